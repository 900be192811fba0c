//! Help that teaches (examples that run on the bundled sample logs, the
//! columns of `events`), and flags that say what they do: `--since` as a
//! plain date, `--table` only with CSV, a note when a query has no rows.

use crate::*;
use clap::Parser;
use faultline::cli::Cli;

fn help(command: &str) -> String {
    stdout_of(faultline().args([command, "--help"]).env("COLUMNS", "80"))
}

/// The command lines under `Examples:`.
fn examples(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| *l != "Examples:")
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .map(|l| l.trim().to_owned())
        .collect()
}

/// Shell words, with single and double quotes (enough for the examples).
fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut quote = None;
    let mut in_word = false;
    for c in line.chars() {
        match (quote, c) {
            (None, '\'' | '"') => {
                quote = Some(c);
                in_word = true;
            }
            (Some(q), c) if c == q => quote = None,
            (None, c) if c.is_whitespace() => {
                if in_word {
                    out.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            (_, c) => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        out.push(word);
    }
    out
}

#[test]
fn every_subcommand_has_examples_that_run_on_the_sample_logs() {
    let bin = assert_cmd::cargo::cargo_bin("faultline");
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    for command in ["analyze", "tail", "query", "rules"] {
        let lines = examples(&help(command));
        assert!(
            (3..=6).contains(&lines.len()),
            "{command}: {} examples",
            lines.len()
        );
        for line in &lines {
            // Whole on an 80-column terminal: copied, not re-joined.
            assert!(line.len() + 2 <= 80, "too wide for 80 columns: {line}");
            assert!(line.contains(&format!("faultline {command}")), "{line}");
            let args = words(line.rsplit("| ").next().unwrap());
            if let Err(e) = Cli::try_parse_from(&args) {
                panic!("{line}: {e}");
            }
            if command == "tail" {
                continue; // follows forever; parsing is the check
            }
            let out = std::process::Command::new("sh")
                .args(["-c", line])
                .current_dir(env!("CARGO_MANIFEST_DIR"))
                .env("PATH", &path)
                .env_remove("COLUMNS")
                .env_remove("RUST_LOG")
                .output()
                .unwrap();
            let expected = if line.contains("--exit-code") { 3 } else { 0 };
            assert_eq!(
                out.status.code(),
                Some(expected),
                "{line}\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(!out.stdout.is_empty(), "{line} printed nothing");
            assert!(
                out.stderr.is_empty(),
                "{line}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}

#[test]
fn query_help_lists_the_columns_of_events_and_the_shipped_queries() {
    let h = help("query");
    assert!(h.contains("Table `events`, one row per request"), "{h}");
    for line in [
        "  ts               datetime (µs, UTC)",
        "  status           u16",
        "  duration_ms      f64, null",
        "  error_message    string, null",
        "  upstream_status  u16, null",
        "  request_id       string, null",
    ] {
        assert!(h.contains(line), "{line:?} missing from\n{h}");
    }
    assert!(h.contains("`faultline query --list` shows the shipped queries"));
    let a = help("analyze")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        a.contains("--since <TIME> Only events at or after this time: RFC 3339 (2026-11-24T10:00:00Z), a date (2026-11-24, that day's 00:00:00Z)"),
        "{a}"
    );
    assert!(a.contains("--until <TIME> Only events before this time: RFC 3339, a date (2026-11-25, that day's 00:00:00Z)"), "{a}");
}

#[test]
fn table_without_csv_output_is_a_usage_error() {
    for args in [
        &["--table", "errors"][..],
        &["-o", "json", "--table", "routes"],
        &["-o", "table", "--table", "by_status"],
    ] {
        faultline()
            .arg("analyze")
            .args(args)
            .arg("combined.log")
            .assert()
            .code(2)
            .stdout("")
            .stderr(
                "faultline: error: --table goes with --output csv (e.g. -o csv --table errors); \
                 the table and JSON outputs hold every table\n",
            );
    }
    faultline()
        .args(["analyze", "-o", "csv", "--table", "errors", "combined.log"])
        .assert()
        .success();
    // Without --table, CSV writes by_status.
    let out = faultline()
        .args(["analyze", "-o", "csv", "combined.log"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert!(String::from_utf8(out)
        .unwrap()
        .starts_with("status,title,count\n"));
}

#[test]
fn since_and_until_take_a_plain_date_as_its_midnight_utc() {
    // combined.log holds 11 requests from 2026-11-25T09:59:00Z to 10:02:00Z.
    let r = analyze(&["combined.log", "--since", "2026-11-25"], 0);
    assert_eq!(
        (
            r["summary"]["requests"].as_u64(),
            r["summary"]["filtered_out"].as_u64()
        ),
        (Some(11), Some(0))
    );
    let r = analyze(&["combined.log", "--until", "2026-11-25"], 0);
    assert_eq!(
        (
            r["summary"]["requests"].as_u64(),
            r["summary"]["filtered_out"].as_u64()
        ),
        (Some(0), Some(11))
    );
    let r = analyze(
        &[
            "combined.log",
            "--since",
            "2026-11-24",
            "--until",
            "2026-11-26",
        ],
        0,
    );
    assert_eq!(r["summary"]["requests"], 11);
    faultline()
        .args(["analyze", "combined.log", "--since", "2026-11-31"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("a date like 2026-11-25"));
}

#[test]
fn a_query_without_rows_says_why_on_stderr_and_exits_0() {
    // common.log: the common log format has no durations, user agents or bodies.
    faultline()
        .args(["query", "slowest-routes", "common.log", "-o", "csv"])
        .assert()
        .success()
        .stdout("method,route,timed_requests,p50_ms,p95_ms,p99_ms,max_ms\n")
        .stderr(
            "faultline: note: no rows; column duration_ms is empty in these logs \
             (their format does not record durations)\n",
        );
    faultline()
        .args(["query", "top-error-codes", "common.log", "-o", "json"])
        .assert()
        .success()
        .stdout("[]\n")
        .stderr(
            "faultline: note: no rows; columns error_type, error_code, error_message are empty \
             in these logs (no response body held an API error)\n",
        );
    // No rows for another reason: the note says only that.
    faultline()
        .args([
            "query",
            "--sql",
            "SELECT path FROM events WHERE status = 201",
            "common.log",
        ])
        .assert()
        .success()
        .stdout("path\n")
        .stderr("faultline: note: no rows\n");
    // Rows: no note.
    faultline()
        .args([
            "query",
            "--sql",
            "SELECT path FROM events WHERE status = 500",
            "common.log",
        ])
        .assert()
        .success()
        .stdout("path\n/cgi-bin/imagemap/countdown\n")
        .stderr("");
}
