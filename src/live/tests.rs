//! The live rule on a scripted timeline, and resuming from saved state.

use super::*;
use std::io::Write;

const MIN: i64 = 60_000_000;
/// 2026-11-25T12:00:00Z
const T0: i64 = 1_795_608_000 * 1_000_000;

/// 20 requests in `minute`, `errors` of them 503.
fn minute_lines(minute: i64, errors: usize) -> String {
    (0..20)
        .map(|i| {
            let ts =
                chrono::DateTime::from_timestamp_micros(T0 + minute * MIN + i as i64 * 2_000_000)
                    .unwrap();
            let status = if i < errors { 503 } else { 200 };
            format!(
                "10.0.0.1 - - [{}] \"GET /v1/x HTTP/1.1\" {status} 1 \"-\" \"t\"\n",
                ts.format("%d/%b/%Y:%H:%M:%S +0000")
            )
        })
        .collect()
}

fn append(path: &Path, text: &str) {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
}

fn live(dir: &Path, state: Option<LiveState>) -> Live {
    Live::new(
        vec![format!("{}/*.log", dir.display())],
        state,
        StartAt::Beginning,
        ParseOptions::default(),
        DetectConfig::default(),
        30_000_000,
    )
}

#[test]
fn a_period_opens_when_it_qualifies_and_closes_when_the_log_goes_quiet() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("api.log");
    for m in 0..=6 {
        append(&log, &minute_lines(m, if m >= 2 { 6 } else { 0 }));
    }
    let mut l = live(dir.path(), None);
    assert_eq!(l.poll(T0), 140);
    // Bucket 6 (12:06) is final at 12:07:30 (its end plus 30 s lateness), not before.
    assert!(l.changes(T0 + 7 * MIN + 29_000_000).is_empty());
    let opened = l.changes(T0 + 7 * MIN + 30_000_000);
    assert_eq!(opened.len(), 1);
    assert_eq!(opened[0].0, Change::Opened);
    let i = &opened[0].1;
    assert_eq!(
        (i.start.as_str(), i.end.as_str(), i.ongoing),
        ("2026-11-25T12:02:00Z", "2026-11-25T12:07:00Z", true)
    );
    assert_eq!((i.requests, i.errors_5xx, i.bad_buckets), (100, 30, 5));
    assert!(l.open_incident(T0 + 8 * MIN).is_some());
    // Announced once only.
    assert!(l.changes(T0 + 8 * MIN).is_empty());
    // Quiet log: buckets 7 and 8 are final and empty; still within max-gap.
    assert!(l.changes(T0 + 9 * MIN + 30_000_000).is_empty());
    // Bucket 9 final: three non-bad buckets after the last bad one. Closed.
    let closed = l.changes(T0 + 10 * MIN + 30_000_000);
    assert_eq!(closed.len(), 1);
    assert_eq!(closed[0].0, Change::Closed);
    assert!(!closed[0].1.ongoing);
    assert!(l.open_incident(T0 + 11 * MIN).is_none());
    assert!(l.changes(T0 + 20 * MIN).is_empty());
}

#[test]
fn a_restart_from_state_resumes_exactly_and_remembers_announcements() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("api.log");
    for m in 0..=6 {
        append(&log, &minute_lines(m, if m >= 2 { 6 } else { 0 }));
    }
    let mut l = live(dir.path(), None);
    l.poll(T0);
    assert_eq!(l.changes(T0 + 8 * MIN).len(), 1);
    let state: LiveState =
        serde_json::from_str(&serde_json::to_string(&l.state()).unwrap()).unwrap();
    append(&log, &minute_lines(7, 0));
    let mut resumed = live(dir.path(), Some(state));
    assert_eq!(resumed.poll(T0), 20);
    assert!(
        resumed.changes(T0 + 8 * MIN).is_empty(),
        "not announced twice"
    );
    let r = resumed.report();
    assert_eq!(r.summary.requests, 160);
    assert_eq!(r.summary.inputs.len(), 1);
    assert_eq!(r.summary.inputs[0].lines, 160);
    assert_eq!(r.summary.inputs[0].format.as_deref(), Some("combined"));
}
