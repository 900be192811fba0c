//! `tail --metrics-listen` (SPEC §10) scraped as Prometheus would: counts
//! equal the lines appended, a scan of 100,000 random paths stays under the
//! series cap, a stalled scraper holds nothing up, and `promtool check
//! metrics` (Debian's `prometheus` package, installed by `.ci/run`) accepts
//! every scrape. Every wait is on a condition with a deadline.

use crate::tail::{
    append, lines, now_secs, sigterm, spawn_tail, tail_refuses, wait_for, Running, DEADLINE,
};
use crate::{debian_tool, http_get};
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

/// The address `tail` says it serves metrics at (it was given port 0).
pub(crate) fn metrics_addr(dir: &Path) -> String {
    let mut addr = None;
    wait_for("the metrics address on stderr", || {
        let err = std::fs::read_to_string(dir.join("stderr.txt")).unwrap_or_default();
        addr = err.lines().find_map(|l| {
            l.strip_prefix("faultline: serving metrics at http://")
                .and_then(|rest| rest.strip_suffix("/metrics"))
                .map(str::to_owned)
        });
        addr.is_some()
    });
    addr.unwrap()
}

pub(crate) fn scrape(addr: &str) -> String {
    let (status, body) = http_get(addr, "/metrics", &[]);
    assert_eq!(status, 200, "{body}");
    body
}

/// The value of the sample `series` (name and labels exactly as exposed).
pub(crate) fn value(scrape: &str, series: &str) -> Option<f64> {
    scrape.lines().find_map(|l| {
        l.strip_prefix(series)
            .and_then(|rest| rest.strip_prefix(' '))
            .map(|v| v.parse().expect("a number"))
    })
}

/// The samples of `metric` (`name{`), with their labels as written.
fn series<'a>(scrape: &'a str, metric: &str) -> Vec<(&'a str, f64)> {
    scrape
        .lines()
        .filter(|l| l.starts_with(&format!("{metric}{{")))
        .map(|l| {
            let (s, v) = l.rsplit_once(' ').unwrap();
            (s, v.parse().unwrap())
        })
        .collect()
}

/// Whether a scrape saw `requests` request lines in every per-request
/// metric. A line's counters are bumped one after another and a scrape
/// reads them one after another, so one scrape can fall between them: tests
/// wait for a settled one rather than for `faultline_lines_total` alone.
fn settled(scrape: &str, requests: f64) -> bool {
    let sum = |metric: &str| -> f64 { series(scrape, metric).iter().map(|(_, v)| v).sum() };
    lines_read(scrape).0 == requests
        && sum("faultline_requests_total") == requests
        && sum("faultline_route_requests_total") == requests
}

fn lines_read(scrape: &str) -> (f64, f64) {
    (
        value(scrape, r#"faultline_lines_total{result="request"}"#).unwrap_or(-1.0),
        value(scrape, r#"faultline_lines_total{result="malformed"}"#).unwrap_or(-1.0),
    )
}

/// `promtool check metrics` on a scrape: no error and no lint finding.
/// Skipped, saying so, where promtool is missing and cannot be installed.
pub(crate) fn promtool_accepts(scrape: &str) {
    let Some(promtool) = debian_tool("promtool", "prometheus") else {
        eprintln!("SKIPPED promtool check metrics: no promtool (apt-get install prometheus; .ci/run does it)");
        return;
    };
    let mut child = std::process::Command::new(promtool)
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("promtool runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(scrape.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "promtool: {said}\n{scrape}");
    assert_eq!(said.trim(), "", "promtool's lint findings");
}

/// What `lines(ids)` holds: (200s, 404s, 503s).
fn statuses_of(ids: std::ops::RangeInclusive<u32>) -> (f64, f64, f64) {
    let (mut ok, mut missing, mut down) = (0.0, 0.0, 0.0);
    for i in ids {
        match i {
            i if i % 10 == 0 => down += 1.0,
            i if i % 7 == 0 => missing += 1.0,
            _ => ok += 1.0,
        }
    }
    (ok, missing, down)
}

#[test]
fn counts_equal_the_lines_appended_and_promtool_accepts_the_scrape() {
    let dir = tempfile::tempdir().unwrap();
    let (log, out) = (dir.path().join("api.log"), dir.path().join("out.jsonl"));
    append(&log, &lines(1..=20));
    let args = [
        "--poll",
        "20ms",
        "--state",
        "state",
        "--checkpoint-every",
        "20ms",
        "-o",
        "json",
        "--metrics-listen",
        "127.0.0.1:0",
        "api.log",
    ];
    let mut child = Running(spawn_tail(dir.path(), &args, &out));
    let addr = metrics_addr(dir.path());
    // Without a checkpoint it starts at the end: the 20 lines are not counted.
    wait_for("a first scrape", || {
        lines_read(&scrape(&addr)) == (0.0, 0.0)
    });

    // A scraper that sends half a request and stalls holds nothing up.
    let mut stalled = std::net::TcpStream::connect(&addr).unwrap();
    stalled.write_all(b"GET /metrics HTTP/1.1\r\nHo").unwrap();

    append(&log, &lines(21..=120));
    append(&log, "this is not a request line\n\n");
    let mut text = String::new();
    wait_for("101 lines counted", || {
        text = scrape(&addr);
        lines_read(&text) == (100.0, 1.0) && settled(&text, 100.0)
    });
    let (ok, missing, down) = statuses_of(21..=120);
    let v = |s: &str| value(&text, s);
    assert_eq!(
        v(r#"faultline_requests_total{status_class="2xx",status="200"}"#),
        Some(ok)
    );
    assert_eq!(
        v(r#"faultline_requests_total{status_class="4xx",status="404"}"#),
        Some(missing)
    );
    assert_eq!(
        v(r#"faultline_requests_total{status_class="5xx",status="503"}"#),
        Some(down)
    );
    assert_eq!(series(&text, "faultline_requests_total").len(), 3);
    assert_eq!(
        v(r#"faultline_errors_total{type="api_error",code="overloaded"}"#),
        Some(down)
    );
    assert_eq!(
        v(r#"faultline_errors_total{type="invalid_request",code="resource_missing"}"#),
        Some(missing)
    );
    for (class, n) in [("2xx", ok), ("4xx", missing), ("5xx", down)] {
        assert_eq!(
            v(&format!(
                r#"faultline_route_requests_total{{method="GET",route="/v1/items/{{id}}",status_class="{class}"}}"#
            )),
            Some(n),
            "{class}"
        );
        // Every line logs 0.010 s.
        let h = |k: &str| {
            v(&format!(
                r#"faultline_request_duration_seconds_{k}{{status_class="{class}"}}"#
            ))
        };
        assert_eq!(h("count"), Some(n));
        assert!((h("sum").unwrap() - n * 0.01).abs() < 1e-9);
        let bucket = |le: &str| {
            v(&format!(
                r#"faultline_request_duration_seconds_bucket{{status_class="{class}",le="{le}"}}"#
            ))
        };
        assert_eq!(bucket("0.005"), Some(0.0));
        assert_eq!(bucket("0.025"), Some(n));
        assert_eq!(bucket("+Inf"), Some(n));
    }
    assert_eq!(v("faultline_incident_open"), Some(0.0));
    assert_eq!(v("faultline_incidents_total"), Some(0.0));
    wait_for("the checkpoint to hold everything read", || {
        value(&scrape(&addr), "faultline_checkpoint_age_seconds") == Some(0.0)
    });
    promtool_accepts(&text);
    // OpenMetrics for a scraper that asks for it (Prometheus does).
    let (status, om) = http_get(
        &addr,
        "/metrics",
        &[("Accept", "application/openmetrics-text;version=1.0.0")],
    );
    assert_eq!(status, 200);
    assert!(om.ends_with("# EOF\n"), "{om}");
    assert_eq!(http_get(&addr, "/nothing", &[]).0, 404);
    drop(stalled);
    assert_eq!(sigterm(&mut child.0), 0);

    // After a restart from the checkpoint the counters start again at 0, as
    // any exporter's do (Prometheus's rate() sees a counter reset), and count
    // only what this process reads.
    std::fs::write(dir.path().join("stderr.txt"), "").unwrap();
    let mut child = Running(spawn_tail(dir.path(), &args, &out));
    let addr = metrics_addr(dir.path());
    append(&log, &lines(121..=130));
    wait_for("10 more lines counted", || {
        lines_read(&scrape(&addr)) == (10.0, 0.0)
    });
    assert_eq!(sigterm(&mut child.0), 0);
}

#[test]
fn a_scan_of_100000_random_paths_stays_under_the_series_cap() {
    const LINES: u32 = 100_000;
    let dir = tempfile::tempdir().unwrap();
    let (log, out) = (dir.path().join("scan.log"), dir.path().join("out.jsonl"));
    let mut rng = fastrand::Rng::with_seed(14);
    let t0 = now_secs() - 3600;
    let (mut by_class, mut text) = ([0.0f64; 3], String::new());
    for i in 0..LINES {
        // Letters past `f` make words no route template takes for an id.
        let word: String = (0..12).map(|_| rng.char('g'..='z')).collect();
        let (status, class) = match i {
            i if i % 10 == 0 => (503, 2),
            i if i % 3 == 0 => (404, 1),
            _ => (200, 0),
        };
        by_class[class] += 1.0;
        let ts = chrono::DateTime::from_timestamp(t0 + i64::from(i / 100), 0)
            .unwrap()
            .format("%d/%b/%Y:%H:%M:%S +0000");
        text.push_str(&format!(
            "10.1.2.3 - - [{ts}] \"GET /scan/{word} HTTP/1.1\" {status} 0 \"-\" \"scanner\"\n"
        ));
    }
    append(&log, &text);
    let args = [
        "--from-start",
        "--poll",
        "20ms",
        "-o",
        "json",
        "--metrics-listen",
        "127.0.0.1:0",
        "scan.log",
    ];
    let mut child = Running(spawn_tail(dir.path(), &args, &out));
    let addr = metrics_addr(dir.path());
    // A debug build on a busy machine: allow more than the usual deadline.
    let start = Instant::now();
    let scrape = loop {
        let s = scrape(&addr);
        if lines_read(&s) == (f64::from(LINES), 0.0) && settled(&s, f64::from(LINES)) {
            break s;
        }
        assert!(
            start.elapsed() < DEADLINE * 4,
            "timed out: {:?}",
            lines_read(&s)
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    let routes = series(&scrape, "faultline_route_requests_total");
    let (other, kept): (Vec<_>, Vec<_>) = routes.iter().partition(|(s, _)| s.contains("__other__"));
    // The default cap: the first 500 series, then one overflow series per class.
    assert_eq!(kept.len(), 500);
    assert_eq!(other.len(), 3, "{other:?}");
    let total: f64 = routes.iter().map(|(_, v)| v).sum();
    assert_eq!(total, f64::from(LINES));
    for (i, class) in ["2xx", "4xx", "5xx"].iter().enumerate() {
        let sum: f64 = routes
            .iter()
            .filter(|(s, _)| s.contains(&format!("status_class=\"{class}\"")))
            .map(|(_, v)| v)
            .sum();
        assert_eq!(sum, by_class[i], "{class}");
    }
    let in_other: f64 = other.iter().map(|(_, v)| v).sum();
    assert_eq!(
        in_other,
        f64::from(LINES) - 500.0,
        "each kept route was seen once"
    );
    assert_eq!(series(&scrape, "faultline_requests_total").len(), 3);
    assert!(scrape.len() < 200_000, "{} bytes", scrape.len());
    promtool_accepts(&scrape);
    assert_eq!(sigterm(&mut child.0), 0);
}

#[test]
fn the_readme_scrape_is_a_real_one() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let marker = "A scrape of `sample-logs/nginx/api.log`";
    let at = readme.find(marker).expect("the README shows a scrape");
    let rest = &readme[at..];
    let start = rest.find("```text\n").unwrap() + "```text\n".len();
    let block = &rest[start..start + rest[start..].find("```").unwrap()];

    let log = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-logs/nginx/api.log");
    let log = log.to_str().unwrap();
    let report = crate::analyze(&[log], 0);
    let (_, requests, malformed) = crate::counts(&report["summary"]);
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "--from-start",
        "-o",
        "json",
        "--metrics-listen",
        "127.0.0.1:0",
        log,
    ];
    let mut child = Running(spawn_tail(dir.path(), &args, &dir.path().join("out.jsonl")));
    let addr = metrics_addr(dir.path());
    let mut text = String::new();
    wait_for("the whole sample log counted", || {
        text = scrape(&addr);
        lines_read(&text) == (requests as f64, malformed as f64) && settled(&text, requests as f64)
    });
    // The counters of a line are bumped one after another, and a scrape
    // reads them one after another: under load one scrape can fall between.
    wait_for("the README's counts in a scrape", || {
        text = scrape(&addr);
        block.lines().all(|line| text.lines().any(|l| l == line))
    });
    for line in block.lines() {
        assert!(
            text.lines().any(|l| l == line),
            "README line {line:?} is not in the scrape:\n{text}"
        );
    }
    assert_eq!(sigterm(&mut child.0), 0);
}

#[test]
fn bad_listen_addresses_and_alert_flags_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    tail_refuses(d, &["--metrics-listen", "nowhere", "api.log"]).stderr(
        "faultline: error: --metrics-listen nowhere: not an address to listen on, such as 127.0.0.1:9184 or :9184\n",
    );
    // A port already taken is refused before any work.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let refused = tail_refuses(d, &["--metrics-listen", &addr, "api.log"]);
    let err = String::from_utf8_lossy(&refused.get_output().stderr).to_string();
    assert!(
        err.starts_with(&format!(
            "faultline: error: --metrics-listen {addr}: cannot listen there: "
        )),
        "{err}"
    );
    tail_refuses(d, &["--alertmanager", "am:9093", "api.log"])
        .stderr("faultline: error: --alertmanager am:9093: not an http:// or https:// URL\n");
    tail_refuses(d, &["--alert-label", "team=api", "api.log"]).stderr(
        "faultline: error: --alert-label labels the alerts of --alertmanager, which is not given\n",
    );
    let am = ["--alertmanager", "http://127.0.0.1:9"];
    for (label, why) in [
        ("team", "not NAME=VALUE"),
        (
            "9team=api",
            "a label name is letters, digits and _, not starting with a digit or __",
        ),
        (
            "__team=api",
            "a label name is letters, digits and _, not starting with a digit or __",
        ),
        (
            "severity=low",
            "alertname and severity are each alert's own",
        ),
        ("team=", "an empty value is no label in Alertmanager"),
    ] {
        tail_refuses(d, &[am[0], am[1], "--alert-label", label, "api.log"])
            .stderr(format!("faultline: error: --alert-label {label}: {why}\n"));
    }
}
