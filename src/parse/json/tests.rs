//! JSON-lines field recognition, overrides and malformed objects.

use super::*;
use crate::event::ApiError;
use crate::parse::time::parse_iso;

fn parse_with(fields: FieldMap, line: &str) -> Result<Event<'static>, Malformed> {
    let mut p = JsonParser::new(fields);
    // Own the event so the parser can go out of scope in the test.
    p.parse(line.as_bytes()).map(Event::into_owned)
}

fn parse(line: &str) -> Result<Event<'static>, Malformed> {
    parse_with(FieldMap::default(), line)
}

#[test]
fn common_names_and_wrapped_error_string() {
    let ev = parse(r#"{"time":"2026-11-25T06:00:01.5+01:00","status_code":"422","request_method":"POST","url":"https://api.example.com/v1/charges/ch_9aZ3kLp0?x=1","client_ip":"2001:db8::7","duration_ms":12.5,"bytes":88,"resp_body":"{\"error\":{\"type\":\"invalid_request\",\"code\":\"amount_too_small\",\"param\":\"items.0.quantity\",\"message\":\"Too small\"}}"}"#).unwrap();
    assert_eq!(ev.ts, parse_iso("2026-11-25T05:00:01.5Z").unwrap());
    assert_eq!(ev.status, 422);
    assert_eq!(ev.method.as_deref(), Some("POST"));
    assert_eq!(ev.path.as_deref(), Some("/v1/charges/ch_9aZ3kLp0"));
    assert_eq!(ev.client.as_deref(), Some("2001:db8::7"));
    assert_eq!(ev.duration_ms, Some(12.5));
    assert_eq!(ev.bytes, Some(88));
    assert_eq!(
        ev.body,
        Body::Error(ApiError {
            error_type: Some("invalid_request".into()),
            code: Some("amount_too_small".into()),
            param: Some("items.0.quantity".into()),
            message: Some("Too small".into()),
        })
    );
}

#[test]
fn nested_and_flattened_dotted_names() {
    let nested = parse(r#"{"@timestamp":"2026-11-25T06:00:00Z","http":{"request":{"method":"GET"},"response":{"status_code":503}},"url":{"path":"/v1/x"},"error":{"type":"api_error","code":"overloaded"}}"#).unwrap();
    assert_eq!(nested.status, 503);
    assert_eq!(nested.method.as_deref(), Some("GET"));
    assert_eq!(nested.path.as_deref(), Some("/v1/x"));
    assert!(matches!(nested.body, Body::Error(_)));
    let flat =
        parse(r#"{"@timestamp":"2026-11-25T06:00:00Z","http.response.status_code":404}"#).unwrap();
    assert_eq!(flat.status, 404);
}

#[test]
fn epoch_times_seconds_and_millis() {
    let s = parse(r#"{"ts":1747652829.5,"status":200}"#).unwrap();
    let ms = parse(r#"{"ts":1747652829500,"status":200}"#).unwrap();
    assert_eq!(s.ts, 1_747_652_829_500_000);
    assert_eq!(ms.ts, s.ts);
}

#[test]
fn caddy_and_traefik_shapes() {
    let caddy = parse(r#"{"level":"info","ts":1747652829.9251785,"logger":"http.log.access.log0","request":{"remote_ip":"172.19.0.1","client_ip":"172.19.0.9","method":"GET","uri":"/api/x?y=1","headers":{"User-Agent":["curl/8"]}},"bytes_read":0,"duration":0.0025,"size":12,"status":502}"#).unwrap();
    assert_eq!(caddy.client.as_deref(), Some("172.19.0.9"));
    assert_eq!(caddy.path.as_deref(), Some("/api/x"));
    assert_eq!(caddy.user_agent.as_deref(), Some("curl/8"));
    assert_eq!(caddy.duration_ms, Some(2.5));
    assert_eq!(caddy.bytes, Some(12));
    let traefik = parse(r#"{"ClientHost":"10.0.0.4","DownstreamStatus":404,"Duration":188279,"RequestMethod":"HEAD","RequestPath":"/","StartUTC":"2021-02-05T11:55:53.478224329Z","request_User-Agent":"REDACTED","DownstreamContentSize":19}"#).unwrap();
    assert_eq!(traefik.status, 404);
    assert_eq!(traefik.duration_ms, Some(0.188279));
    assert_eq!(
        traefik.ts,
        parse_iso("2021-02-05T11:55:53.478224Z").unwrap()
    );
}

#[test]
fn overrides_replace_the_candidates() {
    let mut fields = FieldMap::default();
    fields.set_override("status=resp.code").unwrap();
    fields.set_override("ts=when").unwrap();
    let ev = parse_with(
        fields.clone(),
        r#"{"when":"2026-11-25T06:00:00Z","status":200,"resp":{"code":500}}"#,
    )
    .unwrap();
    assert_eq!(ev.status, 500);
    assert!(fields.set_override("nope=x").is_err());
    assert!(fields.set_override("status").is_err());
}

#[test]
fn malformed_objects() {
    assert_eq!(parse("not json").err(), Some(Malformed::NotJson));
    assert_eq!(parse("[1,2]").err(), Some(Malformed::NotJson));
    assert_eq!(
        parse(r#"{"ts":1,"status":200"#).err(),
        Some(Malformed::NotJson)
    );
    assert_eq!(
        parse(r#"{"ts":"2026-11-25T06:00:00Z"}"#).err(),
        Some(Malformed::NoStatus)
    );
    assert_eq!(parse(r#"{"status":200}"#).err(), Some(Malformed::NoTime));
    assert_eq!(
        parse(r#"{"ts":"soon","status":200}"#).err(),
        Some(Malformed::NoTime)
    );
    assert_eq!(
        parse(r#"{"ts":1,"status":0}"#).err(),
        Some(Malformed::StatusOutOfRange)
    );
    assert_eq!(
        parse(r#"{"ts":1,"status":"ok"}"#).err(),
        Some(Malformed::BadStatus)
    );
}

#[test]
fn path_of_urls() {
    assert_eq!(path_of("https://h.example/a/b?c#d"), "/a/b");
    assert_eq!(path_of("https://h.example"), "/");
    assert_eq!(path_of("/x#frag"), "/x");
}

proptest::proptest! {
    #[test]
    fn no_bytes_make_it_panic(line in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200)) {
        let _ = JsonParser::new(FieldMap::default()).parse(&line);
    }
}
