//! logfmt and Heroku router lines, written as our own fixture lines.

use super::*;

fn parse(line: &str) -> Result<Event<'_>, Malformed> {
    LogfmtParser.parse(line.as_bytes())
}

#[test]
fn heroku_router_info_line() {
    let ev = parse(r#"2014-02-08T21:35:46.735245+00:00 heroku[router]: at=info method=GET path=/favicon.ico?x=1 host=example.herokuapp.com request_id=bc2e fwd="82.181.178.90" dyno=web.1 connect=8ms service=21ms status=404 bytes=35"#).unwrap();
    assert_eq!(ev.ts, parse_iso("2014-02-08T21:35:46.735245Z").unwrap());
    assert_eq!(ev.status, 404);
    assert_eq!(ev.method.as_deref(), Some("GET"));
    assert_eq!(ev.path.as_deref(), Some("/favicon.ico"));
    assert_eq!(ev.client.as_deref(), Some("82.181.178.90"));
    assert_eq!(ev.duration_ms, Some(21.0));
    assert_eq!(ev.bytes, Some(35));
    assert_eq!(ev.body, Body::Absent);
}

#[test]
fn heroku_router_error_becomes_an_api_error() {
    let ev = parse(r#"2014-02-08T22:46:01.123+00:00 heroku[router]: at=error code=H10 desc="App crashed" method=GET path=/ host=x.herokuapp.com fwd="1.2.3.4, 5.6.7.8" dyno= connect= service= status=503 bytes="#).unwrap();
    assert_eq!(ev.status, 503);
    assert_eq!(ev.client.as_deref(), Some("5.6.7.8"));
    assert_eq!(ev.bytes, None);
    assert_eq!(ev.duration_ms, None);
    assert_eq!(
        ev.body,
        Body::Error(ApiError {
            error_type: None,
            code: Some("H10".into()),
            param: None,
            message: Some("App crashed".into()),
        })
    );
}

#[test]
fn plain_logfmt_with_time_key_and_escapes() {
    let ev = parse(r#"time=2026-11-25T10:00:00Z level=info msg="request \"done\"" method=POST path=/v1/charges status=429 duration_ms=12.5 body="{\"type\":\"rate_limit\",\"code\":\"rate_limited\"}""#).unwrap();
    assert_eq!(ev.ts, parse_iso("2026-11-25T10:00:00Z").unwrap());
    assert_eq!(ev.duration_ms, Some(12.5));
    assert!(
        matches!(ev.body, Body::Error(ApiError { ref code, .. }) if code.as_deref() == Some("rate_limited"))
    );
    let ev = parse("ts=1764064800 status=200 request_time=0.25").unwrap();
    assert_eq!(ev.ts, 1_764_064_800_000_000);
    assert_eq!(ev.duration_ms, Some(250.0));
}

#[test]
fn lines_that_are_not_requests_are_malformed() {
    let cases: &[(&str, Malformed)] = &[
        ("2014-02-08T21:33:17.054992+00:00 heroku[api]: Enable Logplex by someone@example.com", Malformed::NoStatus),
        ("2014-02-08T21:35:42.337354+00:00 app[web.1]: Listening on 5000", Malformed::NoStatus),
        ("2014-02-08T23:34:15.749814+00:00 heroku[router]: at=info method=GET path=/ host=beer-chall", Malformed::NoStatus),
        ("enge.com request_id=e3fc fwd=\"82.181.178.90\" dyno=web.1 status=200 bytes=35288", Malformed::NoTime),
        ("at=info status=abc time=2026-11-25T10:00:00Z", Malformed::BadStatus),
        ("at=info status=0 time=2026-11-25T10:00:00Z", Malformed::StatusOutOfRange),
        ("at=info status=200 time=2026-11-25T10:00:00Z msg=\"never closed", Malformed::UnterminatedQuote),
        ("", Malformed::NoStatus),
    ];
    for (line, want) in cases {
        assert_eq!(parse(line).err(), Some(*want), "{line}");
    }
}

#[test]
fn durations_with_units() {
    assert_eq!(duration_ms(b"18ms", 1e3), Some(18.0));
    assert_eq!(duration_ms(b"1.5s", 1e3), Some(1500.0));
    assert_eq!(duration_ms(b"250us", 1e3), Some(0.25));
    assert_eq!(duration_ms(b"2", 1e3), Some(2000.0));
    assert_eq!(duration_ms(b"fast", 1e3), None);
}

proptest::proptest! {
    #[test]
    fn no_bytes_make_it_panic(line in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200)) {
        let _ = LogfmtParser.parse(&line);
    }

    #[test]
    fn no_logfmt_like_text_makes_it_panic(line in "[a-z =\"\\\\0-9:.\\[\\]-]{0,120}") {
        let _ = LogfmtParser.parse(line.as_bytes());
    }
}

#[test]
fn durations_and_times_that_overflow_are_absent_or_malformed() {
    let huge = "9".repeat(400);
    let line =
        format!("at=info method=GET path=/ time=2014-02-08T21:35:46Z service={huge}ms status=200");
    assert_eq!(parse(&line).unwrap().duration_ms, None);
    let line =
        format!("at=info method=GET path=/ time=2014-02-08T21:35:46Z service={huge} status=200");
    assert_eq!(parse(&line).unwrap().duration_ms, None);
    assert_eq!(
        parse("at=info method=GET path=/ time=1e300 status=200").map(|e| e.ts),
        Err(Malformed::NoTime)
    );
}
