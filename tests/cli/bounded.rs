//! Bounded tables (SPEC §4): a scanner's log with far more distinct routes
//! and error codes than `--max-keys`, against counts known by construction.

use crate::{analyze, faultline, stdout_of};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::fmt::Write;

/// Requests of the API's own routes (method, route, requests, of them 503s).
const HEAVY: [(&str, &str, u64, u64); 3] = [
    ("POST", "/v1/charges", 300, 100),
    ("GET", "/v1/customers/{id}", 200, 0),
    ("GET", "/v1/balance", 100, 0),
];
/// Scanner requests: each a new path and a new error code.
const JUNK: u64 = 1000;
const MAX_KEYS: u64 = 20;

/// JSON lines: the heavy routes interleaved with junk, one second apart.
fn scanner_log() -> String {
    let mut lines = Vec::new();
    let t0 = 1_795_600_800; // 2026-11-26T09:20:00Z
    for (method, route, requests, failed) in HEAVY {
        for i in 0..requests {
            let path = route.replace("{id}", &format!("cus_9aZ3kLp{i}"));
            let (status, body) = if i < failed {
                (
                    503,
                    json!({"error": {"type": "api_error", "code": "upstream_unavailable", "message": "down"}}),
                )
            } else {
                (200, Value::Null)
            };
            lines.push((method, path, status, body));
        }
    }
    for i in 0..JUNK {
        let body = json!({"error": {"type": "invalid_request", "code": format!("no_route_{i}"), "message": format!("No route {i}")}});
        lines.push(("GET", format!("/.scan/probe-{i}"), 404, body));
    }
    // Interleave deterministically, so every worker and block sees both kinds.
    let mut order: Vec<usize> = (0..lines.len()).collect();
    order.sort_by_key(|&i| (i * 7919) % lines.len());
    let mut out = String::new();
    for (n, i) in order.into_iter().enumerate() {
        let (method, path, status, body) = &lines[i];
        let mut line =
            json!({"ts": t0 + n as i64, "method": method, "path": path, "status": status});
        if !body.is_null() {
            line["response_body"] = body.clone();
        }
        writeln!(out, "{line}").unwrap();
    }
    out
}

fn route_counts(r: &Value) -> BTreeMap<String, (u64, u64, u64, u64)> {
    r["routes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            let key = format!(
                "{} {}",
                x["method"].as_str().unwrap(),
                x["route"].as_str().unwrap()
            );
            let n = |k: &str| x[k].as_u64().unwrap();
            (
                key,
                (
                    n("requests"),
                    n("errors_4xx"),
                    n("errors_5xx"),
                    n("count_error"),
                ),
            )
        })
        .collect()
}

/// The true (requests, 4xx, 5xx) of a route key, by construction.
fn truth(key: &str) -> (u64, u64, u64) {
    for (method, route, requests, failed) in HEAVY {
        if key == format!("{method} {route}") {
            return (requests, 0, failed);
        }
    }
    assert!(
        key.starts_with("GET /.scan/probe-"),
        "unexpected route {key}"
    );
    (1, 1, 0)
}

#[test]
fn a_scanner_log_keeps_max_keys_rows_each_within_its_count_error() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("scan.jsonl");
    std::fs::write(&log, scanner_log()).unwrap();
    let log = log.to_str().unwrap();
    let total = 600 + JUNK;

    let exact = analyze(&[log], 0);
    assert_eq!(
        exact["summary"]["tables"],
        json!({"routes": {"distinct": 1003, "kept": 1003, "capped": false},
               "errors": {"distinct": 1001, "kept": 1001, "capped": false}})
    );
    for (key, (req, e4, e5, err)) in route_counts(&exact) {
        assert_eq!(((req, e4, e5), err), (truth(&key), 0), "{key}");
    }

    // Tiny blocks on two threads: many partial tables merged.
    let max_keys = MAX_KEYS.to_string();
    let bounded = analyze(
        &[
            log,
            "--max-keys",
            &max_keys,
            "--threads",
            "2",
            "--block-size",
            "4096",
        ],
        0,
    );
    let tables = &bounded["summary"]["tables"];
    assert_eq!(tables["routes"]["kept"], json!(MAX_KEYS));
    assert_eq!(tables["routes"]["capped"], json!(true));
    assert_eq!(tables["errors"]["capped"], json!(true));
    // The HyperLogLog estimate, within 5 % of 1003.
    let distinct = tables["routes"]["distinct"].as_u64().unwrap();
    assert!(distinct.abs_diff(1003) <= 50, "distinct routes {distinct}");
    let rows = route_counts(&bounded);
    assert_eq!(rows.len() as u64, MAX_KEYS);
    for (key, (req, e4, e5, err)) in &rows {
        let (t_req, t4, t5) = truth(key);
        for (count, true_count) in [(req, t_req), (e4, t4), (e5, t5)] {
            assert!(
                count - err <= true_count && true_count <= *count,
                "{key}: {count} with error {err}, truth {true_count}"
            );
        }
    }
    // Every route with more than total / --max-keys requests is kept.
    for (method, route, requests, _) in HEAVY {
        assert!(requests * MAX_KEYS > total);
        assert!(
            rows.contains_key(&format!("{method} {route}")),
            "{route} lost"
        );
    }
    // The heavy error (100 of 1100 error bodies) is kept, within its error.
    let errors = bounded["errors"].as_array().unwrap();
    let upstream = errors
        .iter()
        .find(|e| e["code"] == "upstream_unavailable")
        .expect("the heavy error is kept");
    let (count, err) = (
        upstream["count"].as_u64().unwrap(),
        upstream["count_error"].as_u64().unwrap(),
    );
    assert!(count - err <= 100 && 100 <= count, "{upstream}");
    // Everything else is exact whatever the cap.
    for section in ["by_status", "timeline", "incidents"] {
        assert_eq!(bounded[section], exact[section], "{section}");
    }
    for key in [
        "lines",
        "requests",
        "malformed",
        "by_class",
        "first_ts",
        "last_ts",
    ] {
        assert_eq!(bounded["summary"][key], exact["summary"][key], "{key}");
    }
}

#[test]
fn the_table_view_marks_approximate_counts() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("scan.jsonl");
    std::fs::write(&log, scanner_log()).unwrap();
    let text = stdout_of(
        faultline()
            .args(["analyze", "-o", "table", "--max-keys", "20", "--top", "30"])
            .arg(&log)
            .env("COLUMNS", "120"),
    );
    // Light rows that took an evicted key's place show `~`; the heavy route
    // admitted first is exact.
    assert!(text.contains("~"), "{text}");
    assert!(
        text.contains("~ approximate: about")
            && text.contains("the 20 most frequent kept (--max-keys)"),
        "{text}"
    );
    let charges = text
        .lines()
        .find(|l| l.contains("/v1/charges"))
        .expect("the charges route");
    assert!(
        charges.contains(" 300 ") && !charges.contains('~'),
        "{charges}"
    );
}
