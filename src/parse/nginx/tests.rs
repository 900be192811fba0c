//! `log_format` strings as users paste them, and lines they produce.

use super::*;
use crate::event::ApiError;

const COMBINED: &str = r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent""#;

fn parser(format: &str, body: Option<&str>) -> LogFormatParser {
    LogFormatParser::new(Arc::new(LogFormat::compile(format, body).unwrap()))
}

#[test]
fn the_combined_format() {
    let mut p = parser(COMBINED, None);
    let ev = p
        .parse(br#"10.0.0.1 - alice [25/Nov/2026:10:00:01 +0000] "GET /v1/x?y=1 HTTP/1.1" 404 12 "-" "say \x22hi\x22""#)
        .unwrap();
    assert_eq!(ev.client.as_deref(), Some("10.0.0.1"));
    assert_eq!(ev.ts, parse_iso("2026-11-25T10:00:01Z").unwrap());
    assert_eq!(
        (ev.method.as_deref(), ev.path.as_deref()),
        (Some("GET"), Some("/v1/x"))
    );
    assert_eq!((ev.status, ev.bytes), (404, Some(12)));
    assert_eq!(ev.user_agent.as_deref(), Some("say \"hi\""));
}

#[test]
fn request_time_and_a_quoted_body_variable() {
    let fmt = r#"$remote_addr [$time_local] "$request" $status $body_bytes_sent $request_time "$resp_body""#;
    let mut p = parser(fmt, Some("$resp_body"));
    let ev = p
        .parse(br#"10.0.0.1 [25/Nov/2026:10:00:01 +0000] "POST /v1/charges HTTP/1.1" 400 80 0.012 "{\"error\":{\"type\":\"invalid_request\",\"code\":\"parameter_missing\",\"param\":\"address.line1\",\"message\":\"Missing \\\"line1\\\"\"}}""#)
        .unwrap();
    assert_eq!(ev.duration_ms, Some(12.0));
    assert_eq!(
        ev.body,
        Body::Error(ApiError {
            error_type: Some("invalid_request".into()),
            code: Some("parameter_missing".into()),
            param: Some("address.line1".into()),
            message: Some("Missing \"line1\"".into()),
        })
    );
    let ev = p
        .parse(br#"10.0.0.1 [25/Nov/2026:10:00:01 +0000] "GET / HTTP/1.1" 502 80 0.012 "<html>bad gateway</html>""#)
        .unwrap();
    assert_eq!(ev.body, Body::Unparsed);
}

#[test]
fn tabs_between_fields() {
    let mut p = parser(
        "$time_local\t$remote_addr\t$request_method\t$request_uri\t$status\t$body_bytes_sent",
        None,
    );
    let ev = p
        .parse(b"25/Nov/2026:10:00:01 +0100\t2001:db8::1\tDELETE\t/v1/customers/cus_9aZ3kLp0?x\t204\t-")
        .unwrap();
    assert_eq!(ev.ts, parse_iso("2026-11-25T09:00:01Z").unwrap());
    assert_eq!(ev.client.as_deref(), Some("2001:db8::1"));
    assert_eq!(
        (ev.method.as_deref(), ev.path.as_deref()),
        (Some("DELETE"), Some("/v1/customers/cus_9aZ3kLp0"))
    );
    assert_eq!((ev.status, ev.bytes), (204, Some(0)));
}

#[test]
fn time_iso8601_msec_and_upstream_status_ignored() {
    let mut p = parser(
        r#"$time_iso8601 $remote_addr "$request" $status $upstream_status ${request_time}s"#,
        None,
    );
    let ev = p
        .parse(br#"2026-11-25T11:00:01+01:00 10.0.0.1 "GET /a HTTP/2.0" 502 502, 502 0.300s"#)
        .unwrap();
    assert_eq!(ev.ts, parse_iso("2026-11-25T10:00:01Z").unwrap());
    assert_eq!(ev.status, 502);
    assert_eq!(ev.duration_ms, Some(300.0));
    let mut p = parser("$msec $status", None);
    assert_eq!(
        p.parse(b"1764064801.250 200").unwrap().ts,
        1_764_064_801_250_000
    );
}

#[test]
fn lines_that_do_not_match_are_malformed() {
    let mut p = parser(COMBINED, None);
    let cases: &[(&[u8], Malformed)] = &[
        (b"garbage", Malformed::FormatMismatch),
        (
            br#"10.0.0.1 - - [25/Nov/2026:10:00:01 +0000] "GET / HTTP/1.1" 200 12 "-" "cut"#,
            Malformed::UnterminatedQuote,
        ),
        (
            br#"10.0.0.1 - - [99/Nov/2026:10:00:01 +0000] "GET / HTTP/1.1" 200 12 "-" "ua""#,
            Malformed::BadTime,
        ),
        (
            br#"10.0.0.1 - - [25/Nov/2026:10:00:01 +0000] "GET / HTTP/1.1" 700 12 "-" "ua""#,
            Malformed::StatusOutOfRange,
        ),
        (
            br#"10.0.0.1 - - [25/Nov/2026:10:00:01 +0000] "GET / HTTP/1.1" 200 x "-" "ua""#,
            Malformed::BadBytes,
        ),
    ];
    for (line, want) in cases {
        assert_eq!(
            p.parse(line).err(),
            Some(*want),
            "{}",
            String::from_utf8_lossy(line)
        );
    }
}

#[test]
fn formats_that_cannot_compile_point_at_the_variable() {
    let e =
        LogFormat::compile("$remote_addr [$time_local] $status$body_bytes_sent", None).unwrap_err();
    assert_eq!(e.position, 34);
    assert_eq!(
        e.to_string(),
        format!(
            "--log-format: $status and $body_bytes_sent have nothing between them, so their values cannot be told apart\n  \
             $remote_addr [$time_local] $status$body_bytes_sent\n  {}^",
            " ".repeat(34)
        )
    );
    assert!(LogFormat::compile("$remote_addr [$time_local]", None)
        .unwrap_err()
        .message
        .contains("no $status"));
    assert!(LogFormat::compile("$status", None)
        .unwrap_err()
        .message
        .contains("no time"));
    assert!(LogFormat::compile("$time_local $status $", None)
        .unwrap_err()
        .message
        .contains("not followed by a variable"));
    assert!(LogFormat::compile("$time_local ${status", None)
        .unwrap_err()
        .message
        .contains("closing"));
    assert!(LogFormat::compile("$time_local $status", Some("resp_body"))
        .unwrap_err()
        .message
        .contains("no $resp_body"));
}

proptest::proptest! {
    #[test]
    fn no_bytes_make_it_panic(line in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200)) {
        let _ = parser(COMBINED, None).parse(&line);
    }

    #[test]
    fn no_format_string_makes_compile_panic(fmt in "[$a-z_{} \"\\[\\]]{0,40}") {
        let _ = LogFormat::compile(&fmt, Some("body"));
    }
}

#[test]
fn a_request_time_that_is_not_a_finite_number_is_no_duration() {
    let mut p = parser(r#"[$time_local] $status $request_time"#, None);
    let huge = format!("{}.5", "9".repeat(400));
    for t in ["NaN", "inf", "-infinity", huge.as_str()] {
        let line = format!("[25/Nov/2026:10:00:01 +0000] 200 {t}");
        let ev = p.parse(line.as_bytes()).unwrap();
        assert_eq!(ev.duration_ms, None, "{t}");
    }
    let ev = p.parse(b"[25/Nov/2026:10:00:01 +0000] 200 0.25").unwrap();
    assert_eq!(ev.duration_ms, Some(250.0));
}

#[test]
fn a_msec_time_beyond_i64_micros_is_a_bad_time() {
    let mut p = parser(r#"$msec $status"#, None);
    for t in ["1e300", "99999999999999999999999999", "inf", "NaN"] {
        let line = format!("{t} 200");
        assert_eq!(
            p.parse(line.as_bytes()).map(|e| e.ts),
            Err(Malformed::BadTime),
            "{t}"
        );
    }
}

#[test]
fn request_id_and_upstream_status() {
    let fmt = r#"$remote_addr [$time_local] "$request" $status $upstream_status $request_id"#;
    let mut p = parser(fmt, None);
    let ev = p
        .parse(
            br#"10.0.0.1 [25/Nov/2026:10:00:01 +0000] "GET / HTTP/1.1" 502 502, 504 7f3a9c2e1b4d"#,
        )
        .unwrap();
    assert_eq!(ev.upstream_status, Some(504));
    assert_eq!(ev.request_id.as_deref(), Some("7f3a9c2e1b4d"));
    let ev = p
        .parse(br#"10.0.0.1 [25/Nov/2026:10:00:01 +0000] "GET / HTTP/1.1" 400 - -"#)
        .unwrap();
    assert_eq!((ev.upstream_status, ev.request_id), (None, None));
}
