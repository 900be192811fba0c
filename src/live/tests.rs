//! The live rule on a scripted timeline, and resuming from saved state.

use super::*;
use crate::aggregate::DEFAULT_MAX_KEYS;
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
        Bounds {
            retain_us: 7 * 24 * 60 * MIN,
            max_keys: DEFAULT_MAX_KEYS,
        },
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

/// Every number in a JSON document, by path, so a test can damage one.
fn number_paths(v: &serde_json::Value, path: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    match v {
        serde_json::Value::Number(_) => out.push(path.clone()),
        serde_json::Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                path.push(i.to_string());
                number_paths(item, path, out);
                path.pop();
            }
        }
        serde_json::Value::Object(map) => {
            for (k, item) in map {
                path.push(k.clone());
                number_paths(item, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

fn at_path<'v>(v: &'v mut serde_json::Value, path: &[String]) -> &'v mut serde_json::Value {
    path.iter().fold(v, |v, key| match v {
        serde_json::Value::Array(items) => &mut items[key.parse::<usize>().unwrap()],
        other => &mut other[key.as_str()],
    })
}

/// A checkpoint of a log with an open incident, as JSON.
fn saved_state(dir: &Path) -> serde_json::Value {
    let log = dir.join("api.log");
    for m in 0..=6 {
        append(&log, &minute_lines(m, if m >= 2 { 6 } else { 0 }));
    }
    let mut l = live(dir, None);
    l.poll(T0);
    l.changes(T0 + 8 * MIN);
    serde_json::to_value(l.state()).unwrap()
}

/// A forged or damaged checkpoint — every number in it, in turn, replaced by
/// 0, -1, 1 or a huge value, and every array cut short — is refused as
/// corrupt or, if it still holds together, used without a panic: counting
/// more events, applying the rule, reporting (SPEC §3, §6). Exhaustive, not
/// sampled: a random pick would rarely hit the one field that matters.
#[test]
fn damaged_checkpoints_are_refused_or_used_never_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let state = saved_state(dir.path());
    let mut numbers = Vec::new();
    number_paths(&state, &mut Vec::new(), &mut numbers);
    assert!(numbers.len() > 100, "a checkpoint with some content");
    let values = [
        serde_json::json!(0),
        serde_json::json!(-1),
        serde_json::json!(1),
        serde_json::json!(u64::MAX),
        serde_json::json!(i64::MIN),
    ];
    let mut damaged: Vec<serde_json::Value> = Vec::new();
    for path in &numbers {
        for value in &values {
            let mut d = state.clone();
            *at_path(&mut d, path) = value.clone();
            damaged.push(d);
        }
        let mut d = state.clone();
        if let serde_json::Value::Array(items) = at_path(&mut d, &path[..path.len() - 1]) {
            items.pop();
            damaged.push(d);
        }
    }
    let (mut refused, mut used) = (0, 0);
    let mut ev = crate::event::Event::new(T0 + 9 * MIN, 503);
    ev.path = Some("/v1/x".into());
    for d in damaged {
        let Ok(restored) = serde_json::from_value::<LiveState>(d) else {
            refused += 1;
            continue;
        };
        if restored.check().is_err() {
            refused += 1;
            continue;
        }
        used += 1;
        let mut agg = restored.aggregate.clone();
        agg.observe(&ev, 0, 1000);
        agg.observe_malformed(0, 1001, crate::parse::Malformed::NoTimestamp, b"x");
        let l = live(dir.path(), Some(restored));
        let mut l = l;
        l.changes(T0 + 10 * MIN);
        let _ = l.report();
        let _ = l.announcements();
        let _ = report::build(&agg, &[], &DetectConfig::default());
    }
    assert!(refused > 0 && used > 0, "refused {refused}, used {used}");
}

#[test]
fn a_checkpoint_that_does_not_add_up_is_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    let mut state = saved_state(dir.path());
    let state_dir = dir.path().join("state");
    for (path, value, why) in [
        (
            vec!["aggregate", "config", "bucket_us"],
            serde_json::json!(0),
            "bucket width is not positive",
        ),
        (
            vec!["aggregate", "requests"],
            serde_json::json!(141),
            "by_status does not add up to requests",
        ),
        (
            vec!["aggregate", "lines"],
            serde_json::json!(1),
            "lines is not requests + malformed + filtered_out",
        ),
    ] {
        let mut damaged = state.clone();
        let path: Vec<String> = path.iter().map(|s| s.to_string()).collect();
        *at_path(&mut damaged, &path) = value;
        checkpoint::write(&state_dir, &damaged).unwrap();
        let err = Live::load(&state_dir).unwrap_err().to_string();
        assert!(
            err.contains(why) && err.contains("move it away to start afresh"),
            "{err}"
        );
    }
    // A short by_status (it used to panic on the next event).
    at_path(&mut state, &["aggregate".into(), "by_status".into()])
        .as_array_mut()
        .unwrap()
        .truncate(100);
    checkpoint::write(&state_dir, &state).unwrap();
    assert!(Live::load(&state_dir).is_err());
}

/// `--retain`: three days of traffic (one request a minute, a ten-minute
/// outage on the first day) with a day retained: the timeline keeps a day of
/// buckets, the totals all three days, and the old outage, announced and
/// closed, is not announced again once its buckets are gone.
#[test]
fn retain_keeps_a_window_of_buckets_and_every_total() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("api.log");
    let day = 24 * 60;
    let text: String = (0..3 * day)
        .map(|m| {
            let ts = chrono::DateTime::from_timestamp_micros(T0 + m * MIN).unwrap();
            let status = if (600..610).contains(&m) { 503 } else { 200 };
            format!(
                "10.0.0.1 - - [{}] \"GET /v1/x HTTP/1.1\" {status} 1 \"-\" \"t\"\n",
                ts.format("%d/%b/%Y:%H:%M:%S +0000")
            )
        })
        .collect();
    append(&log, &text);
    let now = T0 + 3 * day * MIN + 5 * MIN;
    let mut l = Live::new(
        vec![format!("{}/*.log", dir.path().display())],
        None,
        StartAt::Beginning,
        ParseOptions::default(),
        DetectConfig::default(),
        30_000_000,
        Bounds {
            retain_us: day * MIN,
            max_keys: DEFAULT_MAX_KEYS,
        },
    );
    assert_eq!(l.poll(now), 3 * day as u64);
    let changes = l.changes(now);
    let names: Vec<Change> = changes.iter().map(|(c, _)| *c).collect();
    assert_eq!(names, [Change::Opened, Change::Closed]);
    assert_eq!(changes[0].1.errors_5xx, 10);
    let kept = l.aggregate().buckets.len() as i64;
    assert!(kept <= day + 5 && kept >= day - 5, "{kept} buckets kept");
    // Final buckets are frozen; the last ones, not final yet, are not.
    let frozen = |l: &Live| {
        let mut f: Vec<(i64, bool)> = l
            .aggregate()
            .buckets
            .iter()
            .map(|(i, b)| (*i, b.breakdowns.is_frozen()))
            .collect();
        f.sort_unstable();
        f
    };
    assert!(frozen(&l).iter().all(|s| s.1), "every bucket is final");
    let r = l.report();
    assert_eq!(r.summary.requests, 3 * day as u64);
    assert_eq!(
        r.by_status.iter().find(|s| s.status == 503).unwrap().count,
        10
    );
    assert!(
        r.incidents.is_empty(),
        "the outage is older than the window"
    );
    // Later polls and a restart announce nothing again.
    assert!(l.changes(now + 10 * MIN).is_empty());
    let state: LiveState =
        serde_json::from_str(&serde_json::to_string(&l.state()).unwrap()).unwrap();
    state.check().unwrap();
    assert!(state.announced.is_empty());
    let mut resumed = Live::new(
        vec![format!("{}/*.log", dir.path().display())],
        Some(state),
        StartAt::Beginning,
        ParseOptions::default(),
        DetectConfig::default(),
        30_000_000,
        Bounds {
            retain_us: day * MIN,
            max_keys: DEFAULT_MAX_KEYS,
        },
    );
    assert_eq!(resumed.poll(now), 0);
    assert!(resumed.changes(now + 20 * MIN).is_empty());
    // Frozen buckets are saved (in checkpoints) as their tables: they read
    // back equal, live.
    let saved = serde_json::to_string(l.aggregate()).unwrap();
    let back: crate::aggregate::Aggregate = serde_json::from_str(&saved).unwrap();
    assert!(back.buckets.values().all(|b| !b.breakdowns.is_frozen()));
    assert_eq!(back.buckets, l.aggregate().buckets);
    // A bucket not final yet stays live; a later call freezes it.
    let at = now + 20 * MIN;
    let ts = chrono::DateTime::from_timestamp_micros(at).unwrap();
    append(
        &log,
        &format!(
            "10.0.0.1 - - [{}] \"GET /v1/x HTTP/1.1\" 503 1 \"-\" \"t\"\n",
            ts.format("%d/%b/%Y:%H:%M:%S +0000")
        ),
    );
    assert_eq!(resumed.poll(at), 1);
    resumed.changes(at);
    let newest = at.div_euclid(MIN);
    let live: Vec<i64> = frozen(&resumed)
        .into_iter()
        .filter(|s| !s.1)
        .map(|s| s.0)
        .collect();
    assert_eq!(live, [newest]);
    resumed.changes(at + 5 * MIN);
    assert!(frozen(&resumed).iter().all(|s| s.1));
}
