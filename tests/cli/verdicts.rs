//! Verdicts a support engineer can trust: the sparse rule (a quiet service
//! that is down), `no_data` when nothing was judged, directories that hold
//! more than logs, and 202 partial failures.

use crate::*;
use serde_json::{json, Value};

fn incidents(r: &Value) -> Vec<(String, String, u64, u64, u64)> {
    r["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["start"].as_str().unwrap().to_owned(),
                i["end"].as_str().unwrap().to_owned(),
                i["errors_5xx"].as_u64().unwrap(),
                i["requests"].as_u64().unwrap(),
                i["bad_buckets"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// A Heroku app with a few requests a minute, every one `H10 App crashed`
/// from 22:43 to 22:47: no minute holds 5 errors, yet the service was down.
#[test]
fn a_quiet_service_that_is_down_is_a_persistent_period() {
    let r = analyze(&["heroku-quiet-down.log"], 0);
    assert_eq!(counts(&r["summary"]), (21, 18, 3));
    assert_eq!(
        incidents(&r),
        [(
            "2026-11-20T22:43:00Z".into(),
            "2026-11-20T22:48:00Z".into(),
            10,
            10,
            5
        )]
    );
    assert_eq!(r["verdict"]["level"], "review");
    assert_eq!(r["settings"]["min_ratio_sparse"], json!(0.5));

    let off = analyze(&["heroku-quiet-down.log", "--min-ratio-sparse", "off"], 0);
    assert_eq!(incidents(&off), []);
    assert_eq!(off["verdict"]["level"], "ok");
    assert_eq!(off["settings"]["min_ratio_sparse"], Value::Null);
}

/// `analyze --exit-code ARGS`: the exit code and the verdict.
fn judged(args: &[&str]) -> (i32, Value) {
    let out = faultline()
        .args(["analyze", "-o", "json", "--no-progress", "--exit-code"])
        .args(args)
        .output()
        .unwrap();
    let r: Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    (out.status.code().unwrap(), r["verdict"].clone())
}

/// Nothing to judge is never OK: a cron check must notice a broken log path.
#[test]
fn nothing_judged_is_no_data_and_exit_4() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.log");
    std::fs::write(&empty, "").unwrap();
    let (code, v) = judged(&[empty.to_str().unwrap()]);
    assert_eq!((code, v["level"].as_str()), (4, Some("no_data")));
    assert_eq!(
        v["reason"],
        "No data: nothing to judge; read 0 lines from empty.log (empty, or every input failed)."
    );

    // Random bytes (a deterministic xorshift, newlines every so often).
    let noise = dir.path().join("noise.bin");
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let bytes: Vec<u8> = (0..20_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect();
    std::fs::write(&noise, &bytes).unwrap();
    let (code, v) = judged(&[noise.to_str().unwrap()]);
    assert_eq!((code, v["level"].as_str()), (4, Some("no_data")));
    // Read, but not labelled with a format it is not in.
    let r = analyze(&[noise.to_str().unwrap()], 0);
    assert_eq!(r["summary"]["inputs"][0]["format"], Value::Null);
    assert_eq!(r["summary"]["inputs"][0]["compression"], "none");
    assert!(
        v["reason"]
            .as_str()
            .unwrap()
            .starts_with("No data: none of the "),
        "{v}"
    );

    let empty_dir = dir.path().join("nothing-here");
    std::fs::create_dir(&empty_dir).unwrap();
    let (code, v) = judged(&[empty_dir.to_str().unwrap()]);
    assert_eq!((code, v["level"].as_str()), (4, Some("no_data")));

    // Real requests, all outside the window.
    let (code, v) = judged(&["combined.log", "--since", "2030-01-01T00:00:00Z"]);
    assert_eq!((code, v["level"].as_str()), (4, Some("no_data")));
    assert!(
        v["reason"]
            .as_str()
            .unwrap()
            .starts_with("No data: no request inside --since/--until;"),
        "{v}"
    );
    // Without --exit-code the verdict is the same and the exit 0.
    let r = analyze(&["combined.log", "--since", "2030-01-01T00:00:00Z"], 0);
    assert_eq!(r["verdict"]["level"], "no_data");
}

/// An OK verdict says what it judged: how many requests, which inputs, when.
#[test]
fn ok_says_what_it_judged() {
    let (code, v) = judged(&["heroku-quiet-down.log", "--min-ratio-sparse", "off"]);
    assert_eq!(code, 0);
    assert_eq!(
        v["reason"],
        "OK: no persistent 5xx period in 18 requests in heroku-quiet-down.log from \
         2026-11-20T22:40:05Z to 2026-11-20T22:50:31Z; 10 were 5xx (55.6%)."
    );
}

/// An error code comes with its message, so `H10` reads `App crashed`.
#[test]
fn the_top_error_comes_with_its_message() {
    let (_, v) = judged(&["heroku-quiet-down.log"]);
    let reason = v["reason"].as_str().unwrap();
    assert!(
        reason.contains("top error: H10 \"App crashed\" (10)"),
        "{reason}"
    );
}

/// A directory walk reads the logs and skips what is not one (a README, a
/// PID file), listing it; a file named on the command line is always read.
#[test]
fn a_directory_walk_skips_and_lists_files_that_are_not_logs() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(data().join("combined.log"), dir.path().join("access.log")).unwrap();
    let readme = dir.path().join("README.md");
    std::fs::write(
        &readme,
        "# Logs\n\nThese are the access logs of the API.\nRotated daily.\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("nginx.pid"), "4242\n").unwrap();
    let alone = analyze(&["combined.log"], 0);
    let r = analyze(&[dir.path().to_str().unwrap()], 0);
    let s = &r["summary"];
    let inputs: Vec<&str> = s["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["path"].as_str().unwrap())
        .collect();
    assert_eq!(inputs, [dir.path().join("access.log").to_str().unwrap()]);
    assert_eq!(
        s["skipped"],
        json!([
            {"path": readme.to_str().unwrap(), "reason": "not a log: 0 of its first 3 lines parse as combined"},
            {"path": dir.path().join("nginx.pid").to_str().unwrap(), "reason": "not a log: 0 of its first 1 lines parse as combined"},
        ])
    );
    // The skipped files change nothing else: same counts as the log alone.
    assert_eq!(counts(s), counts(&alone["summary"]));
    assert_eq!(
        r["malformed_samples"].as_array().unwrap().len(),
        alone["malformed_samples"].as_array().unwrap().len()
    );

    // Named on the command line, the README is read (and is all malformed).
    let named = analyze(&[readme.to_str().unwrap()], 0);
    assert_eq!(counts(&named["summary"]), (3, 0, 3));
    assert_eq!(named["summary"]["skipped"], json!([]));
}

/// 202 from a bulk endpoint: an `errors` array (one per failed item) or a
/// single error object is a partial failure; a 202 without errors is a
/// success, and other 2xx bodies are never read.
#[test]
fn partial_failures_of_bulk_202s_are_counted_item_by_item() {
    let r = analyze(&["bulk.jsonl"], 0);
    let s = &r["summary"];
    assert_eq!(counts(s), (8, 8, 0));
    assert_eq!(s["partial_failures"], 3);
    assert_eq!(s["unparsed_bodies"], 0);
    assert_eq!(
        r["errors"],
        json!([
            {"type": null, "code": "rate_limited", "param": null, "count": 1, "statuses": {"202": 1}, "example_message": "Too many items", "count_error": 0, "first_seen": "2026-11-25T10:00:08Z", "last_seen": "2026-11-25T10:00:08Z"},
            {"type": "invalid_request", "code": "parameter_invalid_integer", "param": "items.0.quantity", "count": 1, "statuses": {"202": 1}, "example_message": "Invalid integer: items.0.quantity", "count_error": 0, "first_seen": "2026-11-25T10:00:02Z", "last_seen": "2026-11-25T10:00:02Z"},
            {"type": "invalid_request", "code": "parameter_invalid_integer", "param": "items.3.quantity", "count": 1, "statuses": {"202": 1}, "example_message": "Invalid integer: items.3.quantity", "count_error": 0, "first_seen": "2026-11-25T10:00:01Z", "last_seen": "2026-11-25T10:00:01Z"},
            {"type": "invalid_request", "code": "parameter_missing", "param": "amount", "count": 1, "statuses": {"400": 1}, "example_message": "Missing amount", "count_error": 0, "first_seen": "2026-11-25T10:00:07Z", "last_seen": "2026-11-25T10:00:07Z"},
            {"type": "invalid_request", "code": "parameter_missing", "param": "items.5.email", "count": 1, "statuses": {"202": 1}, "example_message": "Missing items.5.email", "count_error": 0, "first_seen": "2026-11-25T10:00:01Z", "last_seen": "2026-11-25T10:00:01Z"}
        ])
    );
    let reason = r["verdict"]["reason"].as_str().unwrap();
    assert!(
        reason.ends_with(
            " 3 accepted bulk requests (202) partially failed: 4 item errors, mostly parameter_invalid_integer (2)."
        ),
        "{reason}"
    );

    // The same responses in an access log's body field read the same.
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("access.log");
    let body = r#"{\"data\":[],\"errors\":[{\"type\":\"invalid_request\",\"code\":\"parameter_invalid_integer\",\"param\":\"items.3.quantity\",\"message\":\"Invalid\"},{\"code\":\"rate_limited\"}]}"#;
    let lines = [
        format!(r#"10.0.0.1 - - [25/Nov/2026:10:00:01 +0000] "POST /v1/items/bulk HTTP/1.1" 202 90 "-" "sdk" 0.010 "{body}""#),
        r#"10.0.0.1 - - [25/Nov/2026:10:00:02 +0000] "POST /v1/items/bulk HTTP/1.1" 202 90 "-" "sdk" 0.010 "{\"data\":[]}""#.to_owned(),
        r#"10.0.0.1 - - [25/Nov/2026:10:00:03 +0000] "GET /v1/balance HTTP/1.1" 200 90 "-" "sdk" 0.010 "{\"error\":{\"code\":\"not_read\"}}""#.to_owned(),
    ];
    std::fs::write(&log, lines.join("\n")).unwrap();
    let r = analyze(&[log.to_str().unwrap()], 0);
    assert_eq!(r["summary"]["partial_failures"], 1);
    let codes: Vec<(&str, &Value)> = r["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["code"].as_str().unwrap(), &e["statuses"]))
        .collect();
    assert_eq!(
        codes,
        [
            ("rate_limited", &json!({"202": 1})),
            ("parameter_invalid_integer", &json!({"202": 1}))
        ]
    );
}

/// A 202 job resource with a `type` is not an error; a failed request
/// counts once however many errors its body lists.
#[test]
fn a_202_resource_is_no_error_and_a_failed_request_counts_once() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("api.jsonl");
    let lines = [
        r#"{"time":"2026-11-25T10:00:01Z","status":202,"path":"/v1/exports","response_body":"{\"id\":\"job_1\",\"type\":\"export\",\"status\":\"queued\"}"}"#,
        r#"{"time":"2026-11-25T10:00:02Z","status":503,"path":"/v1/x","response_body":"{\"errors\":[{\"code\":\"a\"},{\"code\":\"a\"},{\"code\":\"b\"}]}"}"#,
    ];
    std::fs::write(&log, lines.join("\n")).unwrap();
    let r = analyze(&[log.to_str().unwrap()], 0);
    assert_eq!(r["summary"]["partial_failures"], 0);
    assert_eq!(r["summary"]["unparsed_bodies"], 0);
    assert_eq!(
        r["errors"],
        json!([{"type": null, "code": "a", "param": null, "count": 1, "statuses": {"503": 1}, "example_message": null, "count_error": 0, "first_seen": "2026-11-25T10:00:02Z", "last_seen": "2026-11-25T10:00:02Z"}])
    );
}

/// Ten minutes of an outage in JSON lines with request ids, written newest
/// first, so the earliest failures sit at the end of the file.
fn outage_with_request_ids() -> String {
    let mut lines = Vec::new();
    for s in 0..600u64 {
        let (status, body) = if s % 3 == 0 {
            (
                503,
                format!(
                    r#","response_body":{{"error":{{"type":"api_error","code":"upstream_unavailable","message":"down {s}"}}}}"#
                ),
            )
        } else {
            (200, String::new())
        };
        lines.push(format!(
            r#"{{"time":"2026-11-25T10:{:02}:{:02}Z","status":{status},"method":"POST","path":"/v1/charges","request_id":"req_{s:04}"{body}}}"#,
            s / 60,
            s % 60
        ));
    }
    lines.reverse();
    lines.join("\n") + "\n"
}

#[test]
fn an_incident_keeps_its_earliest_failing_requests_with_their_ids_whatever_the_threads() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("outage.jsonl");
    std::fs::write(&log, outage_with_request_ids()).unwrap();
    let log = log.to_str().unwrap();
    let one = analyze(&[log, "--threads", "1"], 0);
    let many = analyze(&[log, "--threads", "2", "--block-size", "256"], 0);
    assert_eq!(one["incidents"], many["incidents"]);
    let examples = one["incidents"][0]["examples"].as_array().unwrap();
    // The 503s at 10:00:00, :03, :06, :09, :12 (s = 0, 3, 6, 9, 12), which
    // are the file's last lines: 600 - s.
    let expected: Vec<Value> = [0u64, 3, 6, 9, 12]
        .iter()
        .map(|s| {
            json!({"ts": format!("2026-11-25T10:00:{s:02}Z"), "source": log, "line": 600 - s,
                   "method": "POST", "route": "/v1/charges", "status": 503,
                   "error_code": "upstream_unavailable", "error_message": format!("down {s}"),
                   "request_id": format!("req_{s:04}")})
        })
        .collect();
    assert_eq!(examples, &expected);
}

/// Twenty minutes of traffic on two routes from two clients: before minute
/// 10 a few 503s everywhere, from minute 10 every request of `GET /b` from
/// 10.0.0.2 fails.
fn one_route_and_one_client_fail() -> String {
    let mut out = String::new();
    for m in 0..20u32 {
        for (k, (path, client)) in [
            ("/a", "10.0.0.1"),
            ("/a", "10.0.0.2"),
            ("/b", "10.0.0.1"),
            ("/b", "10.0.0.2"),
        ]
        .iter()
        .enumerate()
        {
            for i in 0..10u32 {
                let s = i * 6 + k as u32;
                let fails = if m < 10 {
                    i == 0 && m % 2 == 0
                } else {
                    *path == "/b" && *client == "10.0.0.2"
                };
                let status = if fails { 503 } else { 200 };
                out.push_str(&format!(
                    "{{\"time\":\"2026-11-25T10:{m:02}:{s:02}Z\",\"status\":{status},\"method\":\"GET\",\"path\":\"{path}\",\"client_ip\":\"{client}\"}}\n"
                ));
            }
        }
    }
    out
}

#[test]
fn what_changed_names_the_route_and_the_client_that_fail() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("api.jsonl");
    std::fs::write(&log, one_route_and_one_client_fail()).unwrap();
    let r = analyze(&[log.to_str().unwrap()], 0);
    let incidents = r["incidents"].as_array().unwrap();
    assert_eq!(incidents.len(), 1);
    assert_eq!(incidents[0]["start"], "2026-11-25T10:10:00Z");
    let changes: Vec<(&str, &str)> = incidents[0]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["dimension"].as_str().unwrap(),
                c["value"].as_str().unwrap(),
            )
        })
        .collect();
    // Before: 5 minutes with a 503 on each route and client (20 in all, half
    // on each); during: all 100 on GET /b from 10.0.0.2.
    assert_eq!(&changes[..2], [("route", "GET /b"), ("client", "10.0.0.2")]);
    let first = &incidents[0]["changes"][0];
    assert_eq!(
        (
            &first["incident_count"],
            &first["incident_share"],
            &first["baseline_count"],
            &first["baseline_share"]
        ),
        (&json!(100), &json!(1.0), &json!(10), &json!(0.5))
    );
}
