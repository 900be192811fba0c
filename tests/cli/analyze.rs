//! `faultline analyze` on the fixtures in tests/data.

use crate::*;
use serde_json::{json, Value};
use std::path::Path;

#[test]
fn combined_fixture_exact_counts() {
    let r = analyze(&["combined.log"], 0);
    let s = &r["summary"];
    assert_eq!(
        s["inputs"],
        json!([{"path": "combined.log", "format": "combined", "compression": "none", "lines": 14}])
    );
    assert_eq!(counts(s), (14, 11, 3));
    assert_eq!(s["unparsed_bodies"], 2);
    assert_eq!(s["first_ts"], "2026-11-25T09:59:00Z");
    assert_eq!(s["last_ts"], "2026-11-25T10:02:00Z");
    assert_eq!(
        s["by_class"],
        json!({"1xx": 0, "2xx": 3, "3xx": 0, "4xx": 5, "5xx": 3})
    );
    assert_eq!(
        statuses(&r),
        json!({"200": 2, "201": 1, "400": 3, "404": 1, "429": 1, "500": 1, "502": 1, "503": 1})
    );
    assert_eq!(
        r["by_status"][0],
        json!({"status": 400, "title": "Bad Request", "count": 3})
    );
    assert_eq!(
        r["errors"][0],
        json!({"type": "invalid_request", "code": "parameter_missing", "param": "address.line1",
               "count": 2, "statuses": {"400": 2}, "example_message": "Missing address.line1", "count_error": 0, "first_seen": "2026-11-25T10:00:02Z", "last_seen": "2026-11-25T10:00:03Z"})
    );
    assert_eq!(r["errors"].as_array().unwrap().len(), 4);
    assert!(r["errors"].as_array().unwrap().contains(&json!({
        "type": "invalid_request", "code": "resource_missing", "param": "id", "count": 1,
        "statuses": {"404": 1}, "example_message": "No such product", "count_error": 0, "first_seen": "2026-11-25T10:00:07Z", "last_seen": "2026-11-25T10:00:07Z"})));
    assert_eq!(
        r["routes"][0],
        json!({"method": "POST", "route": "/v1/charges", "requests": 3, "errors_4xx": 2, "errors_5xx": 1, "count_error": 0})
    );
    assert!(r["routes"].as_array().unwrap().contains(&json!(
        {"method": "GET", "route": "/v1/customers/{id}", "requests": 2, "errors_4xx": 0, "errors_5xx": 1, "count_error": 0})));
    assert!(r["routes"].as_array().unwrap().contains(&json!(
        {"method": null, "route": null, "requests": 1, "errors_4xx": 1, "errors_5xx": 0, "count_error": 0})));
    let samples = sample_reasons(&r);
    assert_eq!(
        samples,
        [
            (8, "no [timestamp]"),
            (11, "quoted field never closes (line cut short?)"),
            (12, "status outside 100-599")
        ]
    );
    assert_eq!(r["malformed_samples"][0]["source"], "combined.log");
    assert_eq!(r["malformed_samples"][0]["text"], "this is not a log line");
    assert_eq!(
        r["timeline"],
        json!([
            {"start": "2026-11-25T09:59:00Z", "requests": 1, "errors_4xx": 0, "errors_5xx": 1},
            {"start": "2026-11-25T10:00:00Z", "requests": 9, "errors_4xx": 5, "errors_5xx": 2},
            {"start": "2026-11-25T10:02:00Z", "requests": 1, "errors_4xx": 0, "errors_5xx": 0}
        ])
    );
    assert_eq!(r["incidents"], json!([]));
    assert_eq!(r["verdict"]["level"], "ok");
}

#[test]
fn multi_member_gzip_and_zstd_read_like_plain() {
    let plain = analyze(&["combined.log"], 0);
    let gz = analyze(&["combined.log.gz"], 0);
    let zst = analyze(&["combined.log.zst"], 0);
    assert_eq!(gz["summary"]["inputs"][0]["compression"], "gzip");
    assert_eq!(zst["summary"]["inputs"][0]["compression"], "zstd");
    assert_eq!(gz["summary"]["inputs"][0]["lines"], 14);
    assert_eq!(gz["malformed_samples"][0]["source"], "combined.log.gz");
    assert_eq!(without_inputs(gz), without_inputs(plain.clone()));
    assert_eq!(without_inputs(zst), without_inputs(plain));
}

#[test]
fn stdin_reads_like_a_file() {
    let file = analyze(&["combined.log"], 0);
    let out = faultline()
        .args(["analyze", "-o", "json"])
        .pipe_stdin(data().join("combined.log"))
        .unwrap()
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let stdin: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(stdin["summary"]["inputs"][0]["path"], "<stdin>");
    assert_eq!(without_inputs(stdin), without_inputs(file));
}

#[test]
fn rotated_chain_in_two_time_zones_holds_one_period() {
    let r = analyze(&["rotated"], 0);
    let inputs: Vec<&str> = r["summary"]["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        inputs,
        [
            "rotated/api.log.2.gz",
            "rotated/api.log.1",
            "rotated/api.log"
        ]
    );
    assert_eq!(r["summary"]["requests"], 420);
    assert_eq!(r["summary"]["first_ts"], "2026-11-25T12:00:00Z");
    assert_eq!(r["summary"]["last_ts"], "2026-11-25T12:20:57Z");
    assert_eq!(
        r["incidents"],
        json!([{
            "start": "2026-11-25T12:05:00Z", "end": "2026-11-25T12:12:00Z", "duration_s": 420,
            "ongoing": false, "bad_buckets": 6, "requests": 140, "errors_5xx": 38,
            "error_ratio": 38.0 / 140.0, "by_status": {"503": 38},
            "top_routes": [{"method": "GET", "route": "/v1/customers/{id}", "errors_5xx": 19, "count_error": 0},
                           {"method": "POST", "route": "/v1/charges", "errors_5xx": 19, "count_error": 0}],
            "top_errors": [{"type": "api_error", "code": "upstream_unavailable", "param": null, "count": 38, "example_message": null, "count_error": 0}],
            "changes": [
                {"dimension": "status", "value": "503", "incident_count": 38, "incident_share": 1.0,
                 "baseline_count": 0, "baseline_share": 0.0, "baseline_of": "requests"},
                {"dimension": "error_code", "value": "upstream_unavailable", "incident_count": 38,
                 "incident_share": 1.0, "baseline_count": 0, "baseline_share": 0.0, "baseline_of": "requests"}
            ],
            "examples": json!([
                {"ts": "2026-11-25T12:05:00Z", "source": "rotated/api.log.2.gz", "line": 101, "method": "POST", "route": "/v1/charges", "status": 503, "error_code": "upstream_unavailable", "error_message": null, "request_id": null},
                {"ts": "2026-11-25T12:05:03Z", "source": "rotated/api.log.2.gz", "line": 102, "method": "GET", "route": "/v1/customers/{id}", "status": 503, "error_code": "upstream_unavailable", "error_message": null, "request_id": null},
                {"ts": "2026-11-25T12:05:06Z", "source": "rotated/api.log.2.gz", "line": 103, "method": "POST", "route": "/v1/charges", "status": 503, "error_code": "upstream_unavailable", "error_message": null, "request_id": null},
                {"ts": "2026-11-25T12:05:09Z", "source": "rotated/api.log.2.gz", "line": 104, "method": "GET", "route": "/v1/customers/{id}", "status": 503, "error_code": "upstream_unavailable", "error_message": null, "request_id": null},
                {"ts": "2026-11-25T12:05:12Z", "source": "rotated/api.log.2.gz", "line": 105, "method": "POST", "route": "/v1/charges", "status": 503, "error_code": "upstream_unavailable", "error_message": null, "request_id": null}
            ])
        }])
    );
    assert_eq!(r["verdict"]["level"], "review");
    let reason = r["verdict"]["reason"].as_str().unwrap();
    assert!(
        reason.contains("2026-11-25T12:05:00Z") && reason.contains("7 min"),
        "{reason}"
    );
}

#[test]
fn results_do_not_depend_on_path_order_globs_or_threads() {
    let a = faultline()
        .args([
            "analyze",
            "-o",
            "json",
            "rotated/api.log",
            "rotated/api.log.1",
            "rotated/api.log.2.gz",
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let b = faultline()
        .args([
            "analyze",
            "-o",
            "json",
            "rotated/api.log.2.gz",
            "rotated/api.log",
            "rotated/api.log.1",
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let glob = faultline()
        .args([
            "analyze",
            "-o",
            "json",
            "--threads",
            "1",
            "rotated/api.log*",
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert_eq!(a, b);
    assert_eq!(a, glob);
}

#[test]
fn ongoing_period_escalates_and_exit_code_makes_it_3() {
    let r = analyze(
        &["rotated", "--until", "2026-11-25T12:12:00Z", "--exit-code"],
        3,
    );
    assert_eq!(r["verdict"]["level"], "escalate");
    assert_eq!(r["incidents"][0]["ongoing"], true);
    assert_eq!(r["summary"]["filtered_out"], 180);
    // Without --exit-code the same verdict exits 0.
    let r = analyze(&["rotated", "--until", "2026-11-25T12:12:00Z"], 0);
    assert_eq!(r["verdict"]["level"], "escalate");
}

#[test]
fn thresholds_are_flags() {
    // With 7 errors needed per bucket, no bucket is bad.
    let r = analyze(&["rotated", "--min-errors", "7"], 0);
    assert_eq!(r["incidents"], json!([]));
    // A gap of zero splits the run at 12:09 into 12:05-12:09 (4 min) and 12:10-12:12: no period.
    let r = analyze(&["rotated", "--max-gap", "0"], 0);
    assert_eq!(r["incidents"], json!([]));
    // ... unless 2 minutes are enough.
    let r = analyze(&["rotated", "--max-gap", "0", "--for", "2m"], 0);
    assert_eq!(r["incidents"].as_array().unwrap().len(), 2);
    let r = analyze(&["rotated", "--bucket", "2m", "--min-ratio", "10%"], 0);
    assert_eq!(r["incidents"][0]["start"], "2026-11-25T12:04:00Z");
    assert_eq!(r["settings"]["bucket_s"], 120.0);
}

#[test]
fn json_lines_fixture() {
    let r = analyze(&["events.jsonl"], 0);
    let s = &r["summary"];
    assert_eq!(s["inputs"][0]["format"], "json");
    assert_eq!(counts(s), (9, 6, 3));
    assert_eq!(s["unparsed_bodies"], 1);
    assert_eq!(
        statuses(&r),
        json!({"200": 2, "402": 1, "404": 1, "422": 1, "503": 1})
    );
    let reasons: Vec<&str> = r["malformed_samples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["reason"].as_str().unwrap())
        .collect();
    assert_eq!(
        reasons,
        [
            "not a JSON object",
            "no status field",
            "status outside 100-599"
        ]
    );
    assert!(r["errors"].as_array().unwrap().contains(&json!({
        "type": "invalid_request", "code": "parameter_invalid_integer", "param": "items.0.quantity",
        "count": 1, "statuses": {"422": 1}, "example_message": "Invalid integer", "count_error": 0, "first_seen": "2026-11-25T10:00:03.250Z", "last_seen": "2026-11-25T10:00:03.250Z"})));
    assert!(r["routes"].as_array().unwrap().contains(&json!(
        {"method": "GET", "route": "/v1/orders/{id}", "requests": 1, "errors_4xx": 1, "errors_5xx": 0, "count_error": 0})));
    assert!(r["routes"].as_array().unwrap().contains(&json!(
        {"method": "POST", "route": "/v1/charges", "requests": 2, "errors_4xx": 1, "errors_5xx": 1, "count_error": 0})));
}

#[test]
fn field_overrides_and_forced_formats() {
    let out = faultline()
        .args([
            "analyze",
            "-o",
            "json",
            "--field",
            "status=resp.code",
            "--field",
            "ts=when",
        ])
        .write_stdin("{\"when\":\"2026-11-25T10:00:00Z\",\"status\":200,\"resp\":{\"code\":503}}\n")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let r: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(statuses(&r), json!({"503": 1}));
    let r = analyze(&["--format", "json", "combined.log"], 0);
    assert_eq!(
        (
            r["summary"]["requests"].as_u64(),
            r["summary"]["malformed"].as_u64()
        ),
        (Some(0), Some(14))
    );
    faultline()
        .args(["analyze", "--field", "colour=x", "combined.log"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("unknown field \"colour\""));
}

#[test]
fn truncated_gzip_keeps_what_was_read_reports_and_exits_1() {
    let r = analyze(&["truncated.log.gz", "combined.log"], 1);
    let s = &r["summary"];
    assert_eq!(s["input_errors"].as_array().unwrap().len(), 1);
    assert_eq!(s["input_errors"][0]["path"], "truncated.log.gz");
    let err = s["input_errors"][0]["error"].as_str().unwrap();
    assert!(
        err.starts_with("corrupt or truncated gzip data after "),
        "{err}"
    );
    // `zcat` recovers 1956 whole lines and the start of line 1957: the whole
    // lines count, the cut one is malformed, and the other input is read in full.
    assert_eq!(s["inputs"][1]["lines"], 1957);
    assert_eq!(s["requests"], 1956 + 11);
    assert_eq!(s["malformed"], 1 + 3);
    let cut = r["malformed_samples"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["source"] == "truncated.log.gz")
        .unwrap();
    assert_eq!(cut["line"], 1957);
    assert_eq!(cut["reason"], "cut off by an input error");
    assert_eq!(
        cut["text"],
        "10.2.0.1 - - [25/Nov/2026:13:00:36 +0000] \"GET /v1/x/1"
    );
    faultline()
        .args(["analyze", "-o", "json", "truncated.log.gz"])
        .assert()
        .code(1)
        .stderr(predicates::str::contains(
            "faultline: truncated.log.gz: corrupt or truncated gzip data",
        ));
}

#[test]
fn missing_paths_exit_2_before_any_work() {
    faultline()
        .args(["analyze", "combined.log", "no/such.log"])
        .assert()
        .code(2)
        .stdout("")
        .stderr("faultline: error: no/such.log: no such file or directory\n");
    faultline()
        .args(["analyze", "nothing-*.log"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("nothing-*.log: no file matches"));
}

#[test]
fn usage_errors_exit_2_without_a_backtrace() {
    for args in [
        vec!["analyze", "--no-such-flag"],
        vec!["analyze", "--bucket", "5 parsecs", "combined.log"],
        vec!["analyze", "--min-ratio", "2", "combined.log"],
        vec!["analyze", "--output", "yaml", "combined.log"],
        vec!["analyze", "--since", "yesterday-ish", "combined.log"],
        vec!["frobnicate"],
    ] {
        let out = faultline()
            .args(&args)
            .assert()
            .code(2)
            .get_output()
            .clone();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"),
            "{args:?}: {stderr}"
        );
        assert!(stderr.contains("error"), "{args:?}: {stderr}");
    }
}

#[test]
fn over_long_lines_are_malformed_and_the_rest_still_counts() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("long.log");
    let good = "10.0.0.1 - - [25/Nov/2026:10:00:01 +0000] \"GET / HTTP/1.1\" 200 1\n";
    let long = format!(
        "10.0.0.1 - - [25/Nov/2026:10:00:01 +0000] \"GET /{} HTTP/1.1\" 200 1\n",
        "a".repeat(1_500_000)
    );
    std::fs::write(&path, format!("{good}{long}{good}")).unwrap();
    let r = analyze(&[path.to_str().unwrap()], 0);
    assert_eq!(
        (
            r["summary"]["requests"].as_u64(),
            r["summary"]["malformed"].as_u64()
        ),
        (Some(2), Some(1))
    );
    assert_eq!(r["malformed_samples"][0]["line"], 2);
    assert_eq!(r["malformed_samples"][0]["reason"], "too long (over 1 MiB)");
}

#[test]
fn empty_input_is_no_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.log");
    std::fs::write(&path, "\n\n").unwrap();
    let r = analyze(&[path.to_str().unwrap()], 0);
    assert_eq!(r["summary"]["lines"], 0);
    assert_eq!(r["summary"]["first_ts"], Value::Null);
    assert_eq!(r["verdict"]["level"], "no_data");
}

#[test]
fn csv_writes_one_table() {
    faultline()
        .args(["analyze", "-o", "csv", "--table", "by_status", "rotated"])
        .assert()
        .success()
        .stdout("status,title,count\n200,OK,382\n503,Service Unavailable,38\n");
    let out = faultline()
        .args(["analyze", "-o", "csv", "--table", "incidents", "rotated"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert!(text.starts_with("start,end,duration_s,ongoing,bad_buckets,requests,errors_5xx,"));
    assert!(text.contains("\n2026-11-25T12:05:00Z,2026-11-25T12:12:00Z,420,false,6,140,38,"));
}

#[test]
fn table_view_puts_the_verdict_first() {
    let out = faultline()
        .args(["analyze", "-o", "table", "--top", "1", "rotated"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.starts_with("REVIEW  A persistent 5xx period ran from 2026-11-25T12:05:00Z"),
        "{text}"
    );
    assert!(text.contains("… 1 more"), "{text}");
    assert!(
        !text.contains('\u{1b}'),
        "no colour when stdout is not a terminal"
    );
}

#[test]
fn sample_logs_show_an_ongoing_period() {
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-logs");
    let r = analyze(&[sample.to_str().unwrap(), "--exit-code"], 3);
    assert_eq!(r["summary"]["inputs"].as_array().unwrap().len(), 4);
    assert_eq!(r["incidents"].as_array().unwrap().len(), 1);
    assert_eq!(r["incidents"][0]["start"], "2026-11-24T10:35:00Z");
    assert_eq!(r["verdict"]["level"], "escalate");
}

#[test]
fn random_bytes_never_crash_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    for round in 0..8 {
        let bytes: Vec<u8> = (0..20_000)
            .map(|i| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                // Mostly log-like bytes, with newlines and quotes, so parsers go deep.
                match (seed >> 56) % 8 {
                    0 => b'\n',
                    1 => b'"',
                    2 => b"[]{}\\ x-:/"[(seed % 10) as usize],
                    _ => (seed as u8).wrapping_add(i as u8),
                }
            })
            .collect();
        let path = dir.path().join(format!("noise{round}.log"));
        std::fs::write(&path, &bytes).unwrap();
        let r = analyze(&[path.to_str().unwrap()], 0);
        let s = &r["summary"];
        assert_eq!(
            s["lines"].as_u64().unwrap(),
            s["requests"].as_u64().unwrap() + s["malformed"].as_u64().unwrap()
        );
    }
}

#[test]
fn heroku_router_logfmt_with_platform_and_app_lines() {
    let r = analyze(&["heroku.log"], 0);
    let s = &r["summary"];
    assert_eq!(s["inputs"][0]["format"], "logfmt");
    assert_eq!(counts(s), (10, 4, 6));
    assert_eq!(statuses(&r), json!({"200": 1, "503": 3}));
    assert_eq!(
        r["errors"],
        json!([
            {"type": null, "code": "H10", "param": null, "count": 2, "statuses": {"503": 2}, "example_message": "App crashed", "count_error": 0, "first_seen": "2026-11-25T10:00:01.100Z", "last_seen": "2026-11-25T10:00:04.100Z"},
            {"type": null, "code": "H12", "param": null, "count": 1, "statuses": {"503": 1}, "example_message": "Request timeout", "count_error": 0, "first_seen": "2026-11-25T10:00:02.100Z", "last_seen": "2026-11-25T10:00:02.100Z"}
        ])
    );
    let lines: Vec<u64> = r["malformed_samples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [1, 2, 3, 7, 8, 9]);
    assert!(r["routes"].as_array().unwrap().contains(&json!(
        {"method": "GET", "route": "/v1/customers/{id}", "requests": 1, "errors_4xx": 0, "errors_5xx": 1, "count_error": 0})));
}

#[test]
fn caddy_with_a_mid_file_ts_encoding_switch_and_traefik() {
    let r = analyze(&["caddy.jsonl"], 0);
    let s = &r["summary"];
    assert_eq!(s["inputs"][0]["format"], "caddy");
    assert_eq!(
        (s["requests"].as_u64(), s["malformed"].as_u64()),
        (Some(3), Some(1))
    );
    assert_eq!(
        r["malformed_samples"][0]["reason"],
        "status outside 100-599"
    );
    assert_eq!(statuses(&r), json!({"200": 1, "404": 1, "502": 1}));
    assert_eq!(s["first_ts"], "2026-11-25T10:00:00.250Z");
    assert_eq!(s["last_ts"], "2026-11-25T10:00:03Z");
    assert!(r["routes"].as_array().unwrap().contains(&json!(
        {"method": "GET", "route": "/v1/products/{id}", "requests": 1, "errors_4xx": 1, "errors_5xx": 0, "count_error": 0})));
    let r = analyze(&["traefik.jsonl"], 0);
    assert_eq!(r["summary"]["inputs"][0]["format"], "traefik");
    assert_eq!(statuses(&r), json!({"404": 1, "502": 1}));
    assert_eq!(r["summary"]["first_ts"], "2026-11-25T10:00:00.478224Z");
}

const CUSTOM_FORMAT: &str = "$time_iso8601\t$remote_addr\t\"$request\"\t$status\t$body_bytes_sent\t$request_time\t$upstream_status\t\"$resp_body\"";

#[test]
fn pasted_nginx_log_format_with_a_body_variable() {
    let r = analyze(
        &[
            "--log-format",
            CUSTOM_FORMAT,
            "--body-var",
            "resp_body",
            "custom_format.log",
        ],
        0,
    );
    let s = &r["summary"];
    assert_eq!(s["inputs"][0]["format"], "log_format");
    assert_eq!(
        (
            s["requests"].as_u64(),
            s["malformed"].as_u64(),
            s["unparsed_bodies"].as_u64()
        ),
        (Some(3), Some(1), Some(1))
    );
    assert_eq!(
        r["malformed_samples"][0]["reason"],
        "does not match --log-format"
    );
    assert_eq!(s["first_ts"], "2026-11-25T10:00:00Z");
    assert_eq!(
        r["errors"],
        json!([{"type": "invalid_request", "code": "parameter_missing", "param": "address.line1", "count": 1,
                "statuses": {"400": 1}, "example_message": "Missing address.line1", "count_error": 0, "first_seen": "2026-11-25T10:00:00Z", "last_seen": "2026-11-25T10:00:00Z"}])
    );
}

#[test]
fn a_bad_log_format_is_a_usage_error_pointing_at_the_variable() {
    faultline()
        .args([
            "analyze",
            "--log-format",
            "$remote_addr [$time_local] $status$body_bytes_sent",
            "combined.log",
        ])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicates::str::contains(
            "--log-format: $status and $body_bytes_sent have nothing between them",
        ))
        .stderr(predicates::str::contains(format!(
            "\n  {}^\n",
            " ".repeat(34)
        )));
    faultline()
        .args(["analyze", "--body-var", "resp_body", "combined.log"])
        .assert()
        .code(2)
        .stderr("faultline: error: --body-var needs --log-format\n");
}

#[test]
fn a_directory_of_mixed_formats_is_detected_per_file() {
    let dir = tempfile::tempdir().unwrap();
    for f in [
        "combined.log",
        "events.jsonl",
        "heroku.log",
        "caddy.jsonl",
        "traefik.jsonl",
    ] {
        std::fs::copy(data().join(f), dir.path().join(f)).unwrap();
    }
    let r = analyze(&[dir.path().to_str().unwrap()], 0);
    let formats: Vec<(String, &str)> = r["summary"]["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            let p = i["path"].as_str().unwrap();
            (
                Path::new(p)
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .into_owned(),
                i["format"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        formats,
        [
            ("caddy.jsonl".to_owned(), "caddy"),
            ("combined.log".to_owned(), "combined"),
            ("events.jsonl".to_owned(), "json"),
            ("heroku.log".to_owned(), "logfmt"),
            ("traefik.jsonl".to_owned(), "traefik")
        ]
    );
    assert_eq!(r["summary"]["requests"], 11 + 6 + 4 + 3 + 2);
}

#[test]
fn an_output_that_cannot_be_written_exits_1_with_one_line() {
    for format in ["json", "csv", "table"] {
        let out =
            with_stdout_on_dev_full(&["analyze", "-o", format, "--no-progress", "combined.log"]);
        assert_eq!(out.status.code(), Some(1), "{format}");
        assert_eq!(
            String::from_utf8_lossy(&out.stderr),
            "faultline: error: cannot write the report: No space left on device (os error 28)\n",
            "{format}"
        );
    }
}

#[test]
fn a_closed_pipe_on_stdout_ends_quietly_with_0() {
    use std::io::Read;
    use std::process::Stdio;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("seconds.log");
    // One request a second and one bucket a second: a report of about 2 MB,
    // far more than a pipe holds, so writes go on after the reader is gone.
    let log: String = (0..20_000)
        .map(|i| {
            let (h, m, s) = (i / 3600, i / 60 % 60, i % 60);
            format!(
                "10.0.0.1 - - [25/Nov/2026:{h:02}:{m:02}:{s:02} +0000] \"GET / HTTP/1.1\" 200 1\n"
            )
        })
        .collect();
    std::fs::write(&path, log).unwrap();
    let args = [
        "analyze",
        "-o",
        "json",
        "--no-progress",
        "--bucket",
        "1s",
        path.to_str().unwrap(),
    ];
    let whole = faultline()
        .args(args)
        .assert()
        .success()
        .get_output()
        .stdout
        .len();
    assert!(whole > 1 << 20, "the report is only {whole} bytes");

    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("faultline"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut head = [0u8; 10];
    let mut stdout = child.stdout.take().unwrap();
    stdout.read_exact(&mut head).unwrap();
    assert_eq!(&head, b"{\n  \"summa");
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn an_epoch_time_of_1e300_is_malformed_and_the_good_lines_still_count() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge-times.jsonl");
    std::fs::write(
        &path,
        concat!(
            "{\"ts\": 1764064800, \"status\": 200, \"path\": \"/a\"}\n",
            "{\"ts\": 1e300, \"status\": 500, \"path\": \"/x\"}\n",
            "{\"ts\": 1764064801.5, \"status\": 404, \"path\": \"/b\"}\n",
            "{\"ts\": \"1e300\", \"status\": 503, \"path\": \"/y\"}\n",
            "{\"ts\": 1764064802000, \"status\": 200, \"path\": \"/c\"}\n",
        ),
    )
    .unwrap();
    // Thresholds so low that one 5xx would be an incident: before, the 1e300
    // line became a time of i64::MAX and its incident's end overflowed (a
    // panic in a debug build).
    let r = analyze(
        &[
            path.to_str().unwrap(),
            "--min-errors",
            "1",
            "--min-ratio",
            "0",
            "--for",
            "1s",
        ],
        0,
    );
    let s = &r["summary"];
    assert_eq!(counts(s), (5, 3, 2));
    assert_eq!(statuses(&r), json!({"200": 2, "404": 1}));
    assert_eq!(s["first_ts"], "2025-11-25T10:00:00Z");
    assert_eq!(s["last_ts"], "2025-11-25T10:00:02Z");
    let samples = sample_reasons(&r);
    assert_eq!(
        samples,
        [
            (2, "no time field or unparseable time"),
            (4, "no time field or unparseable time")
        ]
    );
    assert_eq!(r["incidents"], json!([]));
    assert_eq!(
        r["timeline"],
        json!([{"start": "2025-11-25T10:00:00Z", "requests": 3, "errors_4xx": 1, "errors_5xx": 0}])
    );
    assert_eq!(r["verdict"]["level"], "ok");
}

#[test]
fn durations_too_long_to_hold_are_usage_errors() {
    for args in [
        ["--bucket", "99999999999999h"],
        ["--for", "99999999999999h"],
        ["--since", "99999999999999h"],
    ] {
        faultline()
            .args(["analyze", "-o", "json", "combined.log"])
            .args(args)
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicates::str::contains("99999999999999h"));
    }
}
