//! JSON-lines field recognition, overrides and malformed objects.

use super::*;
use crate::event::ApiError;
use crate::parse::time::parse_iso;
use proptest::prelude::*;

fn parse_with(fields: FieldMap, line: &str) -> Result<Event<'static>, Malformed> {
    let mut p = JsonParser::new(fields, true);
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
        let _ = JsonParser::new(FieldMap::default(), true).parse(&line);
    }
}

/// JSON-lines objects built from the keys the default field map reads (flat,
/// nested, dotted, escaped, repeated) and values of every kind.
fn json_line() -> impl Strategy<Value = String> {
    let key = prop_oneof![
        Just("time"),
        Just("ts"),
        Just("StartUTC"),
        Just("status"),
        Just("status_code"),
        Just("st\\u0061tus"),
        Just("method"),
        Just("path"),
        Just("url"),
        Just("uri"),
        Just("request"),
        Just("http"),
        Just("response"),
        Just("http.response.status_code"),
        Just("body"),
        Just("response_body"),
        Just("error"),
        Just("client_ip"),
        Just("user_agent"),
        Just("headers"),
        Just("User-Agent"),
        Just("bytes"),
        Just("duration"),
        Just("duration_ms"),
        Just("Duration"),
        Just("other"),
        Just("status_code"),
        Just("uri"),
        Just("type"),
        Just("code"),
    ];
    let scalar = prop_oneof![
        Just("null".to_string()),
        Just("true".to_string()),
        Just("404".to_string()),
        Just("503".to_string()),
        Just("200.0".to_string()),
        Just("-1".to_string()),
        Just("1764064800".to_string()),
        Just("1.5".to_string()),
        Just("1e400".to_string()),
        Just("5.03e2".to_string()),
        Just("-2.5E+3".to_string()),
        Just("1E-400".to_string()),
        Just("\"2026-11-25T10:00:00Z\"".to_string()),
        Just("\"500\"".to_string()),
        Just("\"-\"".to_string()),
        Just("\"\"".to_string()),
        Just("\"GET\"".to_string()),
        Just("\"/v1/x/42?q=1\"".to_string()),
        Just("\"https://h/v1/y\"".to_string()),
        Just("\"esc\\\"aped\\u00e9\"".to_string()),
        Just(r#""{\"type\":\"api_error\",\"code\":\"x\"}""#.to_string()),
        Just(r#"{"type":"t","code":7,"message":"m"}"#.to_string()),
        Just(r#"{"error":{"code":"c"}}"#.to_string()),
        Just(r#"["curl/8",1]"#.to_string()),
        Just(r#"[["a"]]"#.to_string()),
        Just("[]".to_string()),
        Just("<html>".to_string()),
        Just(r#""a\/b\n\t""#.to_string()),
        Just(r#""\u0041\ud83d\ude00""#.to_string()),
        Just(r#""\ud800""#.to_string()),
        Just(r#""bad\x""#.to_string()),
        Just("\"tab\there\"".to_string()),
        Just("0.5".to_string()),
        Just("-0".to_string()),
        Just("01".to_string()),
        Just("1E2".to_string()),
        Just("2.".to_string()),
        Just("-".to_string()),
        Just("nul".to_string()),
        Just("[ \"x\" , [] ]".to_string()),
        Just(
            r#""{\"error\":{\"type\":\"t\",\"code\":\"c\",\"message\":\"\\\"q\\\"\"}}""#
                .to_string()
        ),
    ];
    let leaf = (key.clone(), scalar.clone()).prop_map(|(k, v)| format!("\"{k}\":{v}"));
    let inner =
        proptest::collection::vec(leaf.clone(), 0..4).prop_map(|m| format!("{{{}}}", m.join(",")));
    let deeper = (key.clone(), inner.clone()).prop_map(|(k, v)| format!("\"{k}\":{v}"));
    let nested = proptest::collection::vec(prop_oneof![leaf.clone(), deeper], 0..4)
        .prop_map(|m| format!("{{{}}}", m.join(",")));
    let member = prop_oneof![
        3 => leaf,
        1 => (key, prop_oneof![inner, nested]).prop_map(|(k, v)| format!("\"{k}\":{v}")),
    ];
    let sep = prop_oneof![Just(","), Just(" , "), Just(",\t"), Just(",\r\n")];
    (
        proptest::collection::vec(member, 0..10),
        sep,
        prop_oneof![Just(""), Just(" "), Just("  x")],
    )
        .prop_map(|(m, sep, tail)| format!("{{{}}}{tail}", m.join(sep)))
}

proptest! {
    /// The one-pass reader gives exactly what the `Value` route gives.
    #[test]
    fn one_pass_reader_agrees_with_value(line in json_line(), cut in 0usize..200) {
        for text in [line.as_str(), line.get(..cut).unwrap_or(&line)] {
            let mut value = JsonParser::new(FieldMap::default(), true);
            let want = value.parse_value(text.as_bytes()).map(Event::into_owned);
            let mut fast = JsonParser::new(FieldMap::default(), true);
            let got = fast.parse(text.as_bytes()).map(Event::into_owned);
            prop_assert_eq!(&got, &want, "{}", text);
            // Without details, the fields reports use are the same.
            let mut lean = JsonParser::new(FieldMap::default(), false);
            let got = lean.parse(text.as_bytes()).map(|e| (e.ts, e.status, e.method.map(|m| m.into_owned()), e.path.map(|p| p.into_owned()), e.body.into_owned()));
            let want = want.map(|e| {
                (e.ts, e.status, e.method.map(|m| m.into_owned()), e.path.map(|p| p.into_owned()), e.body)
            });
            prop_assert_eq!(got, want, "{}", text);
        }
    }
}

/// Field maps where a body field's object also holds wanted keys (the fast
/// reader then reads that value twice, from its raw text).
fn body_holding_fields() -> FieldMap {
    let mut fields = FieldMap::default();
    fields.set_override("body=error").unwrap();
    fields.set_override("status=error.code").unwrap();
    fields.set_override("path=error.type").unwrap();
    fields
}

proptest! {
    /// With a body field whose object also holds wanted keys, the one-pass
    /// reader still gives what the `Value` route gives.
    #[test]
    fn a_body_holding_wanted_keys_agrees_with_value(line in json_line(), cut in 0usize..200) {
        for text in [line.as_str(), line.get(..cut).unwrap_or(&line)] {
            let mut value = JsonParser::new(body_holding_fields(), true);
            let want = value.parse_value(text.as_bytes()).map(Event::into_owned);
            let mut fast = JsonParser::new(body_holding_fields(), true);
            let got = fast.parse(text.as_bytes()).map(Event::into_owned);
            prop_assert_eq!(&got, &want, "{}", text);
        }
    }
}

#[test]
fn a_body_holding_wanted_keys_gives_both() {
    let line = br#"{"ts":"2026-11-25T10:00:00Z","error":{"code":503,"type":"api_error","message":"down"}}"#;
    let mut p = JsonParser::new(body_holding_fields(), true);
    let ev = p.parse(line).unwrap();
    assert_eq!(ev.status, 503);
    assert_eq!(ev.path.as_deref(), Some("api_error"));
    let Body::Error(e) = &ev.body else {
        panic!("no error body: {:?}", ev.body)
    };
    assert_eq!(
        (
            e.error_type.as_deref(),
            e.code.as_deref(),
            e.message.as_deref()
        ),
        (Some("api_error"), Some("503"), Some("down"))
    );
}

#[test]
fn plain_lines_take_the_scanner_and_odd_ones_fall_back() {
    let plan = stream::KeyTree::compile(&FieldMap::default(), false);
    let scan = |line: &str| {
        let mut caps = stream::Caps::with_nodes(64);
        scan::read(&plan, line, &mut caps)
    };
    let plain = r#"{"time":"2026-11-24T09:00:00.000Z","status":503,"path":"/v1/x","response_body":"{\"code\":\"c\"}","n":[1,{"a":null}],"f":-0.5}"#;
    assert_eq!(scan(plain), scan::Scan::Done);
    // `\u` escapes and body objects stay on the scanner (production lines
    // are full of both).
    for fine in [
        r#"{"a":"\u0041\ud83d\ude00","user_agent":"B\u00fcndler"}"#,
        r#"{"status":404,"response_body":{"error":{"type":"t","code":"c","n":[1,{"x":2}]}}}"#,
        // Exponents too, once serde_json says they are in range.
        r#"{"response_body":{"detail":{"ratio":1e-3}}}"#,
        r#"{"a":1e5,"b":-2.5E+3}"#,
    ] {
        assert_eq!(scan(fine), scan::Scan::Done, "{fine}");
    }
    for odd in [
        r#"{"a":"\ud800"}"#,
        r#"{"a":"\udc00\ud800"}"#,
        r#"{"a":"\u00g1"}"#,
        r#"{"a":1e400}"#,
        r#"{"a":1e}"#,
        r#"{"a\n":1}"#,
        "[1]",
        r#"{"a":1,}"#,
        "{\"a\":\"\t\"}",
    ] {
        assert_eq!(scan(odd), scan::Scan::Fallback, "{odd}");
    }
}

#[test]
fn one_pass_reader_on_repeated_and_dotted_keys() {
    let lines = [
        // A repeated parent: the last one counts, even without the child.
        r#"{"ts":"2026-11-25T10:00:00Z","status":500,"request":{"uri":"/a"},"request":5}"#,
        r#"{"ts":"2026-11-25T10:00:00Z","status":500,"request":{"uri":"/a"},"request":{"method":"GET"}}"#,
        // A literal dotted key hides the nested path, even when null.
        r#"{"ts":"2026-11-25T10:00:00Z","http.response.status_code":null,"http":{"response":{"status_code":502}}}"#,
        r#"{"ts":"2026-11-25T10:00:00Z","http":{"response":{"status_code":502}}}"#,
        // The first time field present decides, even when it does not parse.
        r#"{"ts":"yesterday","time":"2026-11-25T10:00:00Z","status":200}"#,
        // Escaped keys and an escaped body string.
        r#"{"t\u0073":"2026-11-25T10:00:00Z","status":503,"body":"{\"type\":\"api_error\",\"code\":\"down\"}"}"#,
        r#"{"ts":"2026-11-25T10:00:00Z","status":404,"error":{"error":{"type":"t","code":"c"}},"url":{"path":"/v1/x"}}"#,
        // Escapes the scanner decodes itself, and ones it leaves to serde.
        r#"{"ts":"2026-11-25T10:00:00Z","status":500,"path":"/v1\/x\b\f\n\r\t","method":"G\"ET","response_body":"{\"code\":\"c\",\"message\":\"say \\\"hi\\\"\"}"}"#,
        r#"{"ts":"2026-11-25T10:00:00Z","status":500,"path":"/v1/\u00e9","user_agent":["curl/8",2]}"#,
        r#"{"ts":1764064800.25,"status":"503","bytes":-0,"duration":0.5}"#,
        r#"{"ts":1764064800,"status":503.0,"request":{"headers":{"User-Agent":[["ua"]]}}}"#,
        // Body objects and `\u` escapes in and around bodies.
        r#"{"ts":"2026-11-25T10:00:00Z","status":404,"response_body":{"error":{"type":"invalid_request_error","code":"resource_missing","param":"id","message":"No such customer: 'cus_9aZ3kLp0' \u2014 Kunde \u00abJ\u00fcrgen\u00bb \ud83d\ude80"}}}"#,
        r#"{"ts":"2026-11-25T10:00:00Z","status":400,"response_body":{"type":"t","code":"c","message":"\"quoted\" \u0022too\u0022","detail":{"n":[1,2.5,-0]}},"response_body":{"code":"last"}}"#,
        r#"{"ts":"2026-11-25T10:00:00Z","status":500,"response_body":"{\"type\":\"t\",\"message\":\"caf\u00e9 \\u00e9\"}"}"#,
        r#"{"ts":"2026-11-25T10:00:00Z","status":500,"response_body":"{\"type\":\"t\",\"message\":\"\u0022broken\"}"}"#,
        r#"{"ts":"2026-11-25T10:00:00Z","status":503,"response_body":{"errors":[{"code":"a"},{"type":"b","message":"\ud83d\ude00"}]}}"#,
        r#"{"ts":"2026-11-25T10:00:00Z","status":503,"response_body":{}}"#,
    ];
    for line in lines {
        let want = JsonParser::new(FieldMap::default(), true)
            .parse_value(line.as_bytes())
            .map(Event::into_owned);
        let got = JsonParser::new(FieldMap::default(), true)
            .parse(line.as_bytes())
            .map(Event::into_owned);
        assert_eq!(got, want, "{line}");
    }
}

/// Past 128 names the resolver visits every candidate (no masks): the
/// first name present still wins, whichever its place in the list.
#[test]
fn a_field_map_of_many_names_reads_like_the_reference() {
    let fields = FieldMap {
        time: (0..140).map(|i| format!("t{i}")).collect(),
        ..FieldMap::default()
    };
    for (line, ts) in [
        // `t2` comes first in the list, and is no time.
        (
            r#"{"t139":"2026-11-25T10:00:00Z","t2":"x","status":200}"#,
            None,
        ),
        (
            r#"{"t135":"2026-11-25T11:00:00Z","t130":"2026-11-25T10:00:00Z","status":503}"#,
            Some("2026-11-25T10:00:00Z"),
        ),
        (
            r#"{"t5":"2026-11-25T10:00:00Z","status":404}"#,
            Some("2026-11-25T10:00:00Z"),
        ),
        (r#"{"status":404}"#, None),
    ] {
        let want = JsonParser::new(fields.clone(), true)
            .parse_value(line.as_bytes())
            .map(Event::into_owned);
        let got = parse_with(fields.clone(), line);
        assert_eq!(got, want, "{line}");
        assert_eq!(got.ok().map(|e| e.ts), ts.and_then(parse_iso), "{line}");
    }
}

#[test]
fn a_parser_reused_across_lines_reads_each_like_a_fresh_one() {
    let lines = [
        r#"{"ts":"2026-11-25T10:00:00Z","status":503,"response_body":"{\"code\":\"a\"}"}"#,
        r#"{"ts":"2026-11-25T10:00:00Z","status":502,"response_body":"{\"code\":\"b\"}"}"#,
        r#"{"ts":"2026-11-25T10:00:01Z","status":503,"response_body":"{\"code\":\"a\"}"}"#,
        r#"{"ts":"not a time","status":500}"#,
        r#"{"ts":"2026-11-25T10:00:01Z","status":200}"#,
        r#"{"ts":1764064800,"status":18446744073709551615}"#,
        r#"{"ts":"2026-11-25T10:00:01Z","status":404,"response_body":"{\"code\":\"b\"}"}"#,
    ];
    let mut shared = JsonParser::new(FieldMap::default(), true);
    for line in lines {
        let want = JsonParser::new(FieldMap::default(), true)
            .parse_value(line.as_bytes())
            .map(Event::into_owned);
        let got = shared.parse(line.as_bytes()).map(Event::into_owned);
        assert_eq!(got, want, "{line}");
    }
}

#[test]
fn numbers_beyond_i64_and_u64_are_no_time_no_count_no_duration() {
    let lines = [
        (
            r#"{"ts":1e300,"status":500,"path":"/x"}"#,
            Err(Malformed::NoTime),
        ),
        (r#"{"ts":"1e300","status":500}"#, Err(Malformed::NoTime)),
        (r#"{"ts":1.7e308,"status":500}"#, Err(Malformed::NoTime)),
        (
            r#"{"ts":1747652829,"status":5e300}"#,
            Err(Malformed::BadStatus),
        ),
    ];
    for (line, want) in lines {
        let mut value = JsonParser::new(FieldMap::default(), true);
        let mut fast = JsonParser::new(FieldMap::default(), true);
        assert_eq!(
            value.parse_value(line.as_bytes()).map(|e| e.ts),
            want,
            "{line}"
        );
        assert_eq!(fast.parse(line.as_bytes()).map(|e| e.ts), want, "{line}");
    }
    // Counts that do not fit a u64 and durations that overflow to infinity are absent.
    let line = r#"{"ts":1747652829,"status":200,"bytes":1e300,"duration":1e308}"#;
    let mut value = JsonParser::new(FieldMap::default(), true);
    let mut fast = JsonParser::new(FieldMap::default(), true);
    for ev in [
        value.parse_value(line.as_bytes()).unwrap(),
        fast.parse(line.as_bytes()).unwrap(),
    ] {
        assert_eq!(
            (ev.ts, ev.bytes, ev.duration_ms),
            (1_747_652_829_000_000, None, None)
        );
    }
}

/// One parser over many lines, as a worker reads them: bodies that repeat
/// (answered from `RecentBodies`) and bodies that never do (which turn the
/// remembering off for a while) read as a fresh parser reads each line.
#[test]
fn a_long_run_of_bodies_reads_as_each_line_alone() {
    let mut shared = JsonParser::new(FieldMap::default(), true);
    for i in 0..20_000u32 {
        let message = if (i / 3000) % 2 == 0 {
            format!("No such customer: 'cus_{i:08}'")
        } else {
            format!("repeated {}", i % 3)
        };
        let line = match i % 3 {
            0 => format!(
                r#"{{"ts":"2026-11-25T10:00:00Z","status":404,"response_body":{{"error":{{"code":"c","message":"{message}"}}}}}}"#
            ),
            1 => format!(
                r#"{{"ts":"2026-11-25T10:00:00Z","status":404,"response_body":"{{\"code\":\"c\",\"message\":\"{message} \\u00e9\"}}"}}"#
            ),
            _ => format!(
                r#"{{"ts":"2026-11-25T10:00:00Z","status":200,"response_body":{{"code":"{message}"}}}}"#
            ),
        };
        let alone = JsonParser::new(FieldMap::default(), true)
            .parse(line.as_bytes())
            .map(Event::into_owned);
        let got = shared.parse(line.as_bytes()).map(Event::into_owned);
        assert_eq!(got, alone, "{line}");
    }
}
