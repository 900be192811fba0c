//! `faultline query`: every shipped query's exact rows on tests/data/query.jsonl
//! (20 hand-written events; the expected rows were worked out by hand from them),
//! the Parquet export read back with polars, and the error paths.

use crate::*;
use serde_json::{json, Value};

fn query(args: &[&str]) -> Value {
    let out = faultline()
        .arg("query")
        .args(args)
        .args(["query.jsonl", "-o", "json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    serde_json::from_slice(&out).expect("a JSON array")
}

#[test]
fn top_error_codes() {
    assert_eq!(
        query(&["top-error-codes"]),
        json!([
            {"error_type": "rate_limit", "error_code": "rate_limited", "requests": 5, "status": 429, "example_message": "Slow down"},
            {"error_type": "api_error", "error_code": "upstream_unavailable", "requests": 3, "status": 503, "example_message": "Backend down"},
            {"error_type": "invalid_request", "error_code": "parameter_missing", "requests": 3, "status": 400, "example_message": "Missing address.line1"},
            {"error_type": "card_error", "error_code": "card_declined", "requests": 1, "status": 402, "example_message": "Your card was declined."},
            {"error_type": "invalid_request", "error_code": "parameter_invalid_integer", "requests": 1, "status": 400, "example_message": "Invalid integer"}
        ])
    );
}

#[test]
fn errors_by_param() {
    assert_eq!(
        query(&["errors-by-param"]),
        json!([
            {"error_param": "address.line1", "error_code": "parameter_missing", "requests": 3, "clients": 2, "example_message": "Missing address.line1"},
            {"error_param": "items.0.quantity", "error_code": "parameter_invalid_integer", "requests": 1, "clients": 1, "example_message": "Invalid integer"}
        ])
    );
}

#[test]
fn five_xx_by_route_per_minute() {
    assert_eq!(
        query(&["5xx-by-route-per-minute"]),
        json!([
            {"minute": "2026-11-24T10:01:00Z", "method": "GET", "route": "/v1/charges/{id}", "errors_5xx": 2},
            {"minute": "2026-11-24T10:01:00Z", "method": "POST", "route": "/v1/charges", "errors_5xx": 1},
            {"minute": "2026-11-25T09:01:00Z", "method": "POST", "route": "/v1/charges", "errors_5xx": 1}
        ])
    );
}

#[test]
fn clients_that_do_not_back_off_after_429() {
    assert_eq!(
        query(&["429-by-client"]),
        json!([
            {"client": "10.0.0.9", "responses_429": 3, "first_429": "2026-11-24T11:00:00+00:00",
             "last_429": "2026-11-24T11:00:00.500+00:00", "min_gap_s": 0.2, "median_gap_s": 0.25, "retries_within_1s": 2},
            {"client": "10.0.0.8", "responses_429": 2, "first_429": "2026-11-24T11:00:05+00:00",
             "last_429": "2026-11-24T11:00:15+00:00", "min_gap_s": 10.0, "median_gap_s": 10.0, "retries_within_1s": 0}
        ])
    );
}

#[test]
fn slowest_routes_with_percentiles() {
    // POST /v1/charges: 10 15 20 50 3000 4000 ms; GET /v1/balance: 1 x5, 10 20 30 40 50.
    // Linear interpolation at (n-1)q; routes with fewer than 5 timed requests are left out.
    assert_eq!(
        query(&["slowest-routes"]),
        json!([
            {"method": "POST", "route": "/v1/charges", "timed_requests": 6, "p50_ms": 35.0, "p95_ms": 3750.0, "p99_ms": 3950.0, "max_ms": 4000.0},
            {"method": "GET", "route": "/v1/balance", "timed_requests": 10, "p50_ms": 5.5, "p95_ms": 45.5, "p99_ms": 49.1, "max_ms": 50.0}
        ])
    );
}

#[test]
fn hourly_error_rate() {
    assert_eq!(
        query(&["hourly-error-rate"]),
        json!([
            {"hour": "2026-11-24T10:00:00Z", "requests": 6, "errors_4xx": 3, "errors_5xx": 3, "pct_4xx": 50.0, "pct_5xx": 50.0},
            {"hour": "2026-11-24T11:00:00Z", "requests": 10, "errors_4xx": 5, "errors_5xx": 0, "pct_4xx": 50.0, "pct_5xx": 0.0},
            {"hour": "2026-11-25T09:00:00Z", "requests": 4, "errors_4xx": 2, "errors_5xx": 1, "pct_4xx": 50.0, "pct_5xx": 25.0}
        ])
    );
}

#[test]
fn error_codes_new_on_the_last_day() {
    assert_eq!(
        query(&["new-error-codes"]),
        json!([{"error_type": "card_error", "error_code": "card_declined", "first_seen": "2026-11-25T09:00:00+00:00", "requests": 1}])
    );
}

#[test]
fn top_messages_per_code() {
    assert_eq!(
        query(&["top-messages-per-code.sql"]),
        json!([
            {"error_code": "card_declined", "rank": 1, "error_message": "Your card was declined.", "requests": 1},
            {"error_code": "parameter_invalid_integer", "rank": 1, "error_message": "Invalid integer", "requests": 1},
            {"error_code": "parameter_missing", "rank": 1, "error_message": "Missing address.line1", "requests": 3},
            {"error_code": "rate_limited", "rank": 1, "error_message": "Slow down", "requests": 4},
            {"error_code": "rate_limited", "rank": 2, "error_message": "Too many requests", "requests": 1},
            {"error_code": "upstream_unavailable", "rank": 1, "error_message": "Backend down", "requests": 2},
            {"error_code": "upstream_unavailable", "rank": 2, "error_message": "Backend timeout", "requests": 1}
        ])
    );
}

#[test]
fn list_names_every_shipped_query_with_its_first_comment() {
    let out = faultline()
        .args(["query", "--list"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    let dir = std::fs::read_dir(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("queries"))
        .unwrap();
    let mut files: Vec<String> = dir
        .flatten()
        .filter_map(|e| {
            e.file_name()
                .to_str()?
                .strip_suffix(".sql")
                .map(str::to_owned)
        })
        .collect();
    files.sort();
    let mut listed: Vec<String> = text
        .lines()
        .map(|l| l.split_whitespace().next().unwrap().to_owned())
        .collect();
    listed.sort();
    assert_eq!(
        listed, files,
        "every file in queries/ is embedded, and only those"
    );
    assert!(text.contains(
        "top-error-codes          Top error codes: how many requests each (type, code) failed"
    ));
}

#[test]
fn a_sql_file_and_inline_sql_and_csv() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mine.sql");
    std::fs::write(
        &file,
        "-- mine\nSELECT status, COUNT(*) AS n FROM events GROUP BY status ORDER BY status",
    )
    .unwrap();
    faultline()
        .args(["query", file.to_str().unwrap(), "query.jsonl", "-o", "csv"])
        .assert()
        .success()
        .stdout("status,n\n200,6\n400,4\n402,1\n429,5\n502,1\n503,3\n");
    faultline()
        .args([
            "query",
            "--sql",
            "SELECT ts, source, line, route FROM events WHERE status = 502",
            "query.jsonl",
            "-o",
            "csv",
        ])
        .assert()
        .success()
        .stdout("ts,source,line,route\n2026-11-24T10:01:40Z,query.jsonl,6,/v1/charges\n");
}

#[test]
fn parquet_export_reads_back_with_the_same_rows_columns_and_types() {
    use polars::prelude::*;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.parquet");
    faultline()
        .args([
            "query",
            "--sql",
            "SELECT * FROM events",
            "query.jsonl",
            "combined.log",
            "--output",
            "parquet",
            "--out",
        ])
        .arg(&path)
        .assert()
        .success()
        .stdout("");
    let df = ParquetReader::new(std::fs::File::open(&path).unwrap())
        .finish()
        .unwrap();
    assert_eq!(df.height(), 20 + 11);
    let schema: Vec<(String, DataType)> = df
        .columns()
        .iter()
        .map(|c| (c.name().to_string(), c.dtype().clone()))
        .collect();
    let s = DataType::String;
    let want = vec![
        (
            "ts".to_owned(),
            DataType::Datetime(TimeUnit::Microseconds, None),
        ),
        ("source".into(), s.clone()),
        ("line".into(), DataType::UInt64),
        ("client".into(), s.clone()),
        ("method".into(), s.clone()),
        ("path".into(), s.clone()),
        ("route".into(), s.clone()),
        ("status".into(), DataType::UInt16),
        ("status_class".into(), s.clone()),
        ("bytes".into(), DataType::UInt64),
        ("duration_ms".into(), DataType::Float64),
        ("user_agent".into(), s.clone()),
        ("error_type".into(), s.clone()),
        ("error_code".into(), s.clone()),
        ("error_param".into(), s.clone()),
        ("error_message".into(), s.clone()),
        ("upstream_status".into(), DataType::UInt16),
        ("request_id".into(), s),
    ];
    assert_eq!(schema, want);
    // Missing values are nulls, not empty strings.
    // query.jsonl: 13 of 20 rows carry an error code; combined.log: 5 of its 11 requests.
    assert_eq!(
        df.column("error_code").unwrap().null_count(),
        (20 - 13) + (11 - 5)
    );
    // No user agent in query.jsonl; in combined.log line 7 has "-" and line 15 none.
    assert_eq!(df.column("user_agent").unwrap().null_count(), 20 + 2);
}

#[test]
fn bad_sql_and_unknown_names_are_usage_errors() {
    faultline()
        .args(["query", "--sql", "SELECT nope FROM events", "query.jsonl"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "faultline: error: --sql: the SQL failed:",
        ))
        .stderr(predicates::str::contains("nope"))
        .stderr(predicates::str::contains(
            "table `events` has columns: ts, source, line, client",
        ));
    faultline()
        .args(["query", "--sql", "SELEC 1", "query.jsonl"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("the SQL failed"));
    faultline()
        .args(["query", "top-errors", "query.jsonl"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("top-errors: no such query"))
        .stderr(predicates::str::contains(
            "shipped queries: top-error-codes, errors-by-param",
        ));
    faultline()
        .args(["query", "top-error-codes", "missing.log"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("missing.log: no such file"));
}

#[test]
fn an_output_that_cannot_be_written_exits_1() {
    // `--out` is created after the query ran, so a file that cannot be
    // created is an output that cannot be written after work began: 1, not
    // the 2 of a usage error (SPEC §3).
    faultline()
        .args(["query", "top-error-codes", "query.jsonl", "--out", "/nonexistent-dir/x.csv"])
        .assert()
        .code(1)
        .stdout("")
        .stderr(
            "faultline: error: /nonexistent-dir/x.csv: cannot create: No such file or directory (os error 2)\n",
        );
    for format in ["csv", "json", "table", "parquet"] {
        let out =
            with_stdout_on_dev_full(&["query", "top-error-codes", "query.jsonl", "-o", format]);
        assert_eq!(out.status.code(), Some(1), "{format}");
        assert_eq!(
            String::from_utf8_lossy(&out.stderr),
            "faultline: error: cannot write the result to stdout: No space left on device (os error 28)\n",
            "{format}"
        );
    }
    let out = with_stdout_on_dev_full(&["query", "--list"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "faultline: error: cannot write the list: No space left on device (os error 28)\n"
    );
}

/// Writes `n` numbered lines: every 7th blank, every 11th not a log line (so
/// real line numbers differ from row numbers), the others combined-format
/// requests whose path carries their line number; every 5th one a 503.
/// Returns the expected `line,path` rows.
fn numbered_log(path: &std::path::Path, n: u32) -> Vec<String> {
    let mut text = String::new();
    let mut rows = Vec::new();
    for i in 1..=n {
        if i % 7 == 0 {
            text.push('\n');
        } else if i % 11 == 0 {
            text.push_str("not a request at all\n");
        } else {
            let status = if i % 5 == 0 { 503 } else { 200 };
            text.push_str(&format!(
                "10.0.0.1 - - [24/Nov/2026:10:00:{:02} +0000] \"GET /v1/items/{i} HTTP/1.1\" {status} 12 \"-\" \"sdk/1.0\"\n",
                i % 60
            ));
            rows.push(format!("{i},/v1/items/{i}"));
        }
    }
    std::fs::write(path, text).unwrap();
    rows
}

/// Spread over many chunks (a 64-byte block holds one line, three workers
/// take them in turn), the spilled events come back whole, in input order,
/// with the exact line number of each in its own file; every shipped query
/// gives the same rows as one worker with the default blocks; and the
/// temporary directory is gone afterwards, also when the command fails.
#[test]
fn events_spilled_over_many_chunks_keep_their_order_and_line_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let spill_root = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.log"), dir.path().join("b.log"));
    let rows_a = numbered_log(&a, 300);
    let rows_b = numbered_log(&b, 40);
    let (a, b) = (a.to_str().unwrap(), b.to_str().unwrap());
    let mut want = String::from("source,line,path\n");
    for (name, rows) in [(a, &rows_a), (b, &rows_b)] {
        for r in rows {
            want.push_str(&format!("{name},{r}\n"));
        }
    }
    let spread = ["--block-size", "64", "--threads", "3"];
    faultline()
        .env("TMPDIR", spill_root.path())
        .args([
            "query",
            "--sql",
            "SELECT source, line, path FROM events",
            b,
            a,
        ])
        .args(spread)
        .args(["-o", "csv"])
        .assert()
        .success()
        .stdout(want);
    // 300 lines: 42 blank, 27 − 3 (the 77th, 154th, 231st are blank) not requests.
    assert_eq!(rows_a.len(), 300 - 42 - 24);
    faultline()
        .env("TMPDIR", spill_root.path())
        .args([
            "query",
            "--sql",
            "SELECT COUNT(*) AS n, MAX(line) AS last FROM events WHERE status = 503",
            a,
        ])
        .args(spread)
        .args(["-o", "csv"])
        .assert()
        .success()
        // Multiples of 5 up to 300 (60) but those of 7 (8) and of 11 (5); none is
        // both below 385. Line 300 is the last.
        .stdout("n,last\n47,300\n");

    for q in [
        "top-error-codes",
        "errors-by-param",
        "5xx-by-route-per-minute",
        "429-by-client",
        "slowest-routes",
        "hourly-error-rate",
        "new-error-codes",
        "top-messages-per-code",
        "persistent-5xx-periods",
    ] {
        let run = |extra: &[&str]| {
            faultline()
                .env("TMPDIR", spill_root.path())
                // The Heroku log holds a persistent 5xx period.
                .args([
                    "query",
                    q,
                    "query.jsonl",
                    "combined.log",
                    "heroku-quiet-down.log",
                ])
                .args(["-o", "csv"])
                .args(extra)
                .assert()
                .success()
                .get_output()
                .stdout
                .clone()
        };
        let one = run(&["--threads", "1"]);
        let lines = one.iter().filter(|b| **b == b'\n').count();
        assert!(lines > 1, "{q} has rows below its header");
        assert_eq!(
            String::from_utf8(run(&spread)).unwrap(),
            String::from_utf8(one).unwrap(),
            "{q}"
        );
    }
    faultline()
        .env("TMPDIR", spill_root.path())
        .args([
            "query",
            "top-error-codes",
            a,
            "--out",
            "/nonexistent-dir/x.csv",
        ])
        .assert()
        .code(1);
    let left: Vec<_> = std::fs::read_dir(spill_root.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}
