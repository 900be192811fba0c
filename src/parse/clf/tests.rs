//! Odd cases of the access-log formats, written as our own fixture lines.

use super::*;
use crate::event::ApiError;
use crate::parse::time::parse_iso;

fn parse(line: &str) -> Result<Event<'static>, Malformed> {
    ClfParser::default()
        .parse(line.as_bytes())
        .map(|(e, _)| e.into_owned())
}

fn ok(line: &str) -> Event<'static> {
    parse(line).unwrap_or_else(|e| panic!("{line}: {e}"))
}

#[test]
fn combined_line() {
    let ev = ok(
        r#"83.149.9.216 - - [17/May/2015:10:05:03 +0000] "GET /presentations/x.png?a=1 HTTP/1.1" 200 203023 "http://semicomplete.com/" "Mozilla/5.0 (Macintosh)""#,
    );
    assert_eq!(ev.ts, parse_iso("2015-05-17T10:05:03Z").unwrap());
    assert_eq!(ev.client.as_deref(), Some("83.149.9.216"));
    assert_eq!(ev.method.as_deref(), Some("GET"));
    assert_eq!(ev.path.as_deref(), Some("/presentations/x.png"));
    assert_eq!(ev.status, 200);
    assert_eq!(ev.bytes, Some(203023));
    assert_eq!(ev.user_agent.as_deref(), Some("Mozilla/5.0 (Macintosh)"));
    assert_eq!(ev.body, Body::Absent);
    assert_eq!(ev.duration_ms, None);
}

#[test]
fn common_line_with_host_name_and_negative_offset() {
    let mut p = ClfParser::default();
    let (ev, flavor) = p
        .parse(br#"lahal.ksc.nasa.gov - - [24/Jul/1995:12:42:40 -0400] "GET /images/USA-logosmall.gif HTTP/1.0" 200 234"#)
        .unwrap();
    assert_eq!(flavor, Flavor::Common);
    assert_eq!(ev.client.as_deref(), Some("lahal.ksc.nasa.gov"));
    assert_eq!(ev.ts, parse_iso("1995-07-24T16:42:40Z").unwrap());
}

#[test]
fn dash_bytes_is_zero() {
    assert_eq!(
        ok(r#"1.2.3.4 - - [24/Jul/1995:12:42:40 -0400] "GET / HTTP/1.0" 304 -"#).bytes,
        Some(0)
    );
}

#[test]
fn ipv6_client_and_user() {
    let ev = ok(
        r#"2001:980:91c0:1:8d31:a232:25e5:85d - frank [25/Oct/2015:04:11:25 +0100] "GET / HTTP/1.1" 200 1 "-" "UA""#,
    );
    assert_eq!(
        ev.client.as_deref(),
        Some("2001:980:91c0:1:8d31:a232:25e5:85d")
    );
    let ev = ok(r#"[2001:db8::1] - - [25/Oct/2015:04:11:25 +0100] "GET / HTTP/1.1" 200 1"#);
    assert_eq!(ev.client.as_deref(), Some("[2001:db8::1]"));
}

#[test]
fn forwarded_for_lists_and_vhosts() {
    let ev = ok(
        r#"10.0.0.2, 10.0.0.1, 127.0.0.1 - - [25/Oct/2015:04:11:25 +0100] "GET / HTTP/1.1" 200 1"#,
    );
    assert_eq!(ev.client.as_deref(), Some("127.0.0.1"));
    let ev = ok(r#""10.0.0.2, 10.0.0.1" - - [25/Oct/2015:04:11:25 +0100] "GET / HTTP/1.1" 200 1"#);
    assert_eq!(ev.client.as_deref(), Some("10.0.0.1"));
    let ev =
        ok(r#"example.com:80 192.0.2.1 - - [25/Oct/2015:04:11:25 +0100] "GET / HTTP/1.1" 200 1"#);
    assert_eq!(ev.client.as_deref(), Some("192.0.2.1"));
}

#[test]
fn nginx_hex_escapes_and_backslash_escapes() {
    let ev = ok(
        r#"93.113.124.199 - - [22/Jan/2019:04:00:06 +0330] "GET /a\x20b HTTP/1.0" 301 178 "-" "\x22nlpproject.info research\x22" "-""#,
    );
    assert_eq!(
        ev.user_agent.as_deref(),
        Some("\"nlpproject.info research\"")
    );
    assert_eq!(ev.path.as_deref(), Some("/a b"));
    let ev = ok(
        r#"1.2.3.4 - - [22/Jan/2019:04:00:06 +0330] "GET / HTTP/1.0" 200 1 "-" "say \"hi\" \\ bye""#,
    );
    assert_eq!(ev.user_agent.as_deref(), Some(r#"say "hi" \ bye"#));
}

#[test]
fn escaped_non_utf8_bytes_become_replacement_chars() {
    let ev = ok(
        r#"1.2.3.4 - - [19/May/2015:11:05:10 +0000] "GET /files/ HTTP/1.0" 200 1 "http://\xe4\xe5/" "UA\xff""#,
    );
    assert_eq!(ev.user_agent.as_deref(), Some("UA\u{fffd}"));
    let ev = ok(
        r#"1.2.3.4 - - [22/Jan/2019:04:07:27 +0330] "GET /image/29201?name=\xD8\xB3 HTTP/1.1" 200 1"#,
    );
    assert_eq!(ev.path.as_deref(), Some("/image/29201"));
    let ev = ok(r#"1.2.3.4 - - [22/Jan/2019:04:07:27 +0330] "GET /\xD8\xB3 HTTP/1.1" 200 1"#);
    assert_eq!(ev.path.as_deref(), Some("/\u{633}"));
}

#[test]
fn raw_invalid_utf8_in_a_field_is_kept_lossily() {
    let mut line =
        br#"1.2.3.4 - - [22/Jan/2019:04:07:27 +0330] "GET / HTTP/1.1" 200 1 "-" "UA"#.to_vec();
    line.extend_from_slice(b"\xff\"");
    let mut p = ClfParser::default();
    let (ev, _) = p.parse(&line).unwrap();
    assert_eq!(ev.user_agent.as_deref(), Some("UA\u{fffd}"));
}

#[test]
fn junk_requests_are_valid_without_method_or_path() {
    for req in [r#""-""#, r#""""#] {
        let line = format!(r#"1.2.3.4 - - [22/Jan/2019:04:00:06 +0330] {req} 400 0 "-" "-""#);
        let ev = ok(&line);
        assert_eq!((ev.method.clone(), ev.path.clone()), (None, None), "{line}");
        assert_eq!(ev.status, 400);
        assert_eq!(ev.user_agent, None);
    }
}

#[test]
fn lenient_request_lines() {
    let ev = ok(r#"1.2.3.4 - - [22/Jan/2019:04:00:06 +0330] "GET /" 200 1"#);
    assert_eq!(
        (ev.method.as_deref(), ev.path.as_deref()),
        (Some("GET"), Some("/"))
    );
    let ev = ok(r#"1.2.3.4 - - [22/Jan/2019:04:00:06 +0330] "GET  /x  HTTP/1.1" 200 1"#);
    assert_eq!(ev.path.as_deref(), Some("/x"));
    let ev = ok(r#"1.2.3.4 - - [22/Jan/2019:04:00:06 +0330] "hello" 400 1"#);
    assert_eq!((ev.method.as_deref(), ev.path), (Some("hello"), None));
    let ev = ok(r#"1.2.3.4 - - [22/Jan/2019:04:00:06 +0330] "GET /x HTTP/1.1 junk junk" 200 1"#);
    assert_eq!(ev.path.as_deref(), Some("/x"));
    let ev = ok(r#"1.2.3.4 - - [22/Jan/2019:04:00:06 +0330] "\x16\x03\x01\x00" 400 0 "-" "-""#);
    assert_eq!(ev.status, 400);
}

#[test]
fn raw_quote_inside_request_does_not_cut_it() {
    let ev = ok(r#"1.2.3.4 - - [22/Jan/2019:04:00:06 +0330] "GET /a"b HTTP/1.1" 404 1 "-" "UA""#);
    assert_eq!(ev.path.as_deref(), Some("/a\"b"));
    assert_eq!(ev.status, 404);
}

#[test]
fn ingress_nginx_extras_give_request_time_and_ignore_integers() {
    let ev = ok(
        r#"10.0.0.9 - - [25/Nov/2026:06:00:00 +0000] "POST /v1/charges HTTP/1.1" 502 150 "-" "curl/8" 197 0.002 [ns-svc-80] [] 10.0.0.5:8080 0 0.004 502 d4acbc"#,
    );
    assert_eq!(ev.duration_ms, Some(2.0));
    assert_eq!(ev.body, Body::Absent);
}

#[test]
fn body_in_last_quoted_extra_field_both_escape_styles() {
    let want = Body::Error(ApiError {
        error_type: Some("invalid_request".into()),
        code: Some("parameter_missing".into()),
        param: Some("address.line1".into()),
        message: Some("Missing \"line1\".".into()),
    });
    let nginx = r#"1.2.3.4 - - [25/Nov/2026:06:00:00 +0000] "POST /v1/customers HTTP/1.1" 400 90 "-" "sdk/1.0" 0.013 "{\x22error\x22:{\x22type\x22:\x22invalid_request\x22,\x22code\x22:\x22parameter_missing\x22,\x22param\x22:\x22address.line1\x22,\x22message\x22:\x22Missing \x5C\x22line1\x5C\x22.\x22}}""#;
    let ev = ok(nginx);
    assert_eq!(ev.body, want);
    assert_eq!(ev.duration_ms, Some(13.0));
    let json_escape = r#"1.2.3.4 - - [25/Nov/2026:06:00:00 +0000] "POST /v1/customers HTTP/1.1" 400 90 "-" "sdk/1.0" "{\"type\":\"invalid_request\",\"code\":\"parameter_missing\",\"param\":\"address.line1\",\"message\":\"Missing \\\"line1\\\".\"}""#;
    assert_eq!(ok(json_escape).body, want);
}

#[test]
fn bodies_only_for_failures_and_unparsed_counted() {
    let ok_line = r#"1.2.3.4 - - [25/Nov/2026:06:00:00 +0000] "GET /v1/x HTTP/1.1" 200 2 "-" "UA" "{\"id\":1}""#;
    assert_eq!(ok(ok_line).body, Body::Absent);
    let html = r#"1.2.3.4 - - [25/Nov/2026:06:00:00 +0000] "GET /v1/x HTTP/1.1" 502 2 "-" "UA" "<html><body>502</body></html>""#;
    assert_eq!(ok(html).body, Body::Unparsed);
    let cut = r#"1.2.3.4 - - [25/Nov/2026:06:00:00 +0000] "GET /v1/x HTTP/1.1" 500 2 "-" "UA" "{\"type\":\"api_er""#;
    assert_eq!(ok(cut).body, Body::Unparsed);
    let xff = r#"1.2.3.4 - - [25/Nov/2026:06:00:00 +0000] "GET /v1/x HTTP/1.1" 404 2 "-" "UA" "10.1.1.1""#;
    assert_eq!(ok(xff).body, Body::Absent);
}

#[test]
fn malformed_lines() {
    let cases: &[(&str, Malformed)] = &[
        ("garbage", Malformed::NoTimestamp),
        (
            r#"1.2.3.4 - - [17/May/2015:10:05:03 +0000] "GET / HTTP/1.1" 200 1 "-" "Mozilla/5.0 (cut"#,
            Malformed::UnterminatedQuote,
        ),
        (
            r#"1.2.3.4 - - [17/May/2015:10:05:03 +0000] "GET / HTTP/1.1"#,
            Malformed::UnterminatedQuote,
        ),
        (
            r#"1.2.3.4 - - [32/May/2015:10:05:03 +0000] "GET / HTTP/1.1" 200 1"#,
            Malformed::BadTime,
        ),
        (
            r#"1.2.3.4 - - [17/May/2015:10:05:03 +0000] "GET / HTTP/1.1" 600 1"#,
            Malformed::StatusOutOfRange,
        ),
        (
            r#"1.2.3.4 - - [17/May/2015:10:05:03 +0000] "GET / HTTP/1.1" 099 1"#,
            Malformed::StatusOutOfRange,
        ),
        (
            r#"1.2.3.4 - - [17/May/2015:10:05:03 +0000] "GET / HTTP/1.1" abc 1"#,
            Malformed::BadStatus,
        ),
        (
            r#"1.2.3.4 - - [17/May/2015:10:05:03 +0000] "GET / HTTP/1.1" 200 x1"#,
            Malformed::BadBytes,
        ),
        (
            r#"- - [17/May/2015:10:05:03 +0000] "GET / HTTP/1.1" 200 1"#,
            Malformed::NoClient,
        ),
        (
            r#"1.2.3.4 - - [17/May/2015:10:05:03 +0000] GET / 200 1"#,
            Malformed::NoRequest,
        ),
        (
            r#"1.2.3.4 - - [17/May/2015:10:05:03 +0000]"#,
            Malformed::Truncated,
        ),
    ];
    for (line, want) in cases {
        assert_eq!(parse(line).err(), Some(*want), "{line}");
    }
}

#[test]
fn unescape_keeps_unknown_escapes_and_trailing_backslash() {
    assert_eq!(&*unescape(br"a\qb\"), br"a\qb\");
    assert_eq!(&*unescape(br"\x4"), br"\x4");
    assert_eq!(&*unescape(br"\x41\x4a"), b"AJ");
}

mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn no_bytes_make_it_panic(line in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = ClfParser::default().parse(&line);
        }

        #[test]
        fn no_mutation_of_a_valid_line_makes_it_panic(
            cut in 0usize..200, byte in any::<u8>(), at in 0usize..200
        ) {
            let mut line = br#"10.0.0.2, 10.0.0.1 - - [25/Nov/2026:06:00:00 +0000] "POST /v1/x?y=1 HTTP/1.1" 503 9 "-" "UA \"q\"" 0.5 "{\x22type\x22:\x22api_error\x22}""#.to_vec();
            if at < line.len() { line[at] = byte; }
            line.truncate(cut.min(line.len()));
            let _ = ClfParser::default().parse(&line);
        }

        #[test]
        fn status_and_bytes_round_trip(status in 100u16..600, bytes in any::<u32>(), sec in 0u32..60) {
            let line = format!(r#"1.2.3.4 - - [25/Nov/2026:06:00:{sec:02} +0000] "GET /a HTTP/1.1" {status} {bytes} "-" "UA""#);
            let mut p = ClfParser::default();
            let (ev, _) = p.parse(line.as_bytes()).unwrap();
            prop_assert_eq!(ev.status, status);
            prop_assert_eq!(ev.bytes, Some(u64::from(bytes)));
            prop_assert_eq!(ev.ts, parse_iso("2026-11-25T06:00:00Z").unwrap() + i64::from(sec) * 1_000_000);
        }
    }
}

#[test]
fn a_repeated_body_reads_the_same_as_a_fresh_one() {
    let line = |status: u16, body: &str| {
        format!(
            r#"1.2.3.4 - - [25/Nov/2026:06:00:00 +0000] "GET /x HTTP/1.1" {status} 9 "-" "ua" "{body}""#
        )
    };
    let a = r#"{\"type\":\"api_error\",\"code\":\"down\",\"message\":\"m\"}"#;
    let b = r#"{\"code\":\"rate_limited\"}"#;
    let lines = [
        line(503, a),
        line(503, a),
        line(200, a),
        line(429, b),
        line(503, "<html>"),
        line(503, a),
        line(429, b),
    ];
    // More distinct bodies than the parser remembers, revisited out of order.
    let many: Vec<String> = (0..12)
        .chain([3, 11, 0, 7, 7, 2, 10])
        .map(|i| {
            line(
                500,
                &format!(r#"{{\"type\":\"api_error\",\"code\":\"c{i}\"}}"#),
            )
        })
        .collect();
    let mut shared = ClfParser::default();
    for l in lines.iter().chain(&many) {
        let fresh = parse(l).unwrap();
        let (reused, _) = shared.parse(l.as_bytes()).unwrap();
        assert_eq!(reused.into_owned(), fresh, "{l}");
    }
}

#[test]
fn a_request_time_of_hundreds_of_digits_is_no_duration() {
    let huge = format!("{}.5", "9".repeat(400));
    let ev = ok(&format!(
        r#"10.0.0.9 - - [25/Nov/2026:06:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "curl/8" {huge} 0.004"#
    ));
    // The first bare decimal is the request time; an infinite one is none (not the next one).
    assert_eq!(ev.duration_ms, None);
}

#[test]
fn ingress_nginx_upstream_status_and_request_id() {
    let ev = ok(
        r#"10.0.0.9 - - [25/Nov/2026:06:00:00 +0000] "POST /v1/charges HTTP/1.1" 502 150 "-" "curl/8" 197 0.002 [ns-svc-80] [] 10.0.0.5:8080, 10.0.0.6:8080 0, 0 0.004, 0.001 504, 502 d4acbc0f1e2d3c4b5a69788796a5b4c3"#,
    );
    assert_eq!(ev.upstream_status, Some(502));
    assert_eq!(
        ev.request_id.as_deref(),
        Some("d4acbc0f1e2d3c4b5a69788796a5b4c3")
    );
    // A trailing number is no request id, and without one nothing is guessed.
    let plain = ok(
        r#"10.0.0.9 - - [25/Nov/2026:06:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "c" 0.002 200 12345"#,
    );
    assert_eq!((plain.upstream_status, plain.request_id), (None, None));
}

/// A run long enough for `RecentBodies` to stop remembering while bodies
/// do not repeat and to start again when they do: every event reads as a
/// fresh parser reads its line. And with `lazy_agent`, `Event::agent` gives
/// the user agent the eager parser decodes.
#[test]
fn unique_then_repeated_bodies_and_lazy_agents_read_as_fresh() {
    let mut shared = ClfParser::default().with_lazy_agent(true);
    for i in 0..12_000u32 {
        let message = if (i / 2500) % 2 == 0 {
            format!("No such customer: 'cus_{i:08}'")
        } else {
            format!("repeated {}", i % 3)
        };
        let body = if i % 2 == 0 {
            format!(
                r#"{{\x22error\x22:{{\x22code\x22:\x22c\x22,\x22message\x22:\x22{message}\x22}}}}"#
            )
        } else {
            format!(r#"{{\"code\":\"c\",\"message\":\"{message} \\\"q\\\"\"}}"#)
        };
        let agent = ["curl/8", "-", r"say \x22hi\x22", "UA\\xFF"][(i % 4) as usize];
        let l = format!(
            r#"203.0.113.7 - - [25/Nov/2026:06:00:00 +0000] "GET /v1/x HTTP/1.1" 404 12 "-" "{agent}" 0.004 "{body}""#
        );
        let fresh = parse(&l).unwrap();
        let (lazy, _) = shared.parse(l.as_bytes()).unwrap();
        assert_eq!(lazy.agent(), fresh.user_agent, "{l}");
        assert_eq!(lazy.into_owned(), fresh, "{l}");
    }
}

/// A body of escaped quotes each followed by a tab (none closes the field)
/// ends at the one real closing quote, read in one pass: each search starts
/// past the last, so this long line takes no longer than a plain one.
#[test]
fn many_escaped_quotes_before_tabs_end_at_the_real_quote() {
    let body = "\\\"\t".repeat(100_000);
    let line = format!(
        r#"1.2.3.4 - - [24/Nov/2026:09:00:00 +0000] "GET /x HTTP/1.1" 500 12 "-" "ua" "{body}" "x""#
    );
    let ev = ok(&line);
    assert_eq!(ev.status, 500);
    assert_eq!(ev.body, Body::Absent, "the last quoted field is \"x\"");
}
