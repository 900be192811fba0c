//! `faultline tail` as a user runs it: rotation both ways, `kill -9` and
//! restart, SIGTERM's final report, incident announcements, webhooks.
//! Every wait is on a condition with a deadline.

use crate::*;
use serde_json::{json, Value};
use std::fs::OpenOptions;
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

pub(crate) const DEADLINE: Duration = Duration::from_secs(30);

pub(crate) fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(start.elapsed() < DEADLINE, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Starts `faultline tail ARGS` with stdout appended to `out`.
pub(crate) fn spawn_tail(dir: &Path, args: &[&str], out: &Path) -> Child {
    let stdout = OpenOptions::new()
        .create(true)
        .append(true)
        .open(out)
        .unwrap();
    let stderr = OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("stderr.txt"))
        .unwrap();
    std::process::Command::new(assert_cmd::cargo::cargo_bin("faultline"))
        .arg("tail")
        .args(args)
        .current_dir(dir)
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr)
        .spawn()
        .unwrap()
}

/// A `tail` that is killed when dropped, so a failing test leaves no
/// process behind (one that was stopped already is only reaped).
pub(crate) struct Running(pub(crate) Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub(crate) fn sigterm(child: &mut Child) -> i32 {
    let ok = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code().unwrap_or(-1);
        }
        assert!(
            start.elapsed() < DEADLINE,
            "tail did not exit after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `faultline tail ARGS` in `dir`, expected to stop at once with exit 2.
pub(crate) fn tail_refuses(dir: &Path, args: &[&str]) -> assert_cmd::assert::Assert {
    faultline()
        .current_dir(dir)
        .arg("tail")
        .args(args)
        .timeout(DEADLINE)
        .assert()
        .code(2)
}

/// A temp dir with `api.log` (20 lines) and `state/`, after `tail
/// --from-start EXTRA api.log` checkpointed all of it and stopped.
fn checkpointed_twenty_lines(extra: &[&str]) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.jsonl");
    append(&dir.path().join("api.log"), &lines(1..=20));
    let mut args = vec![
        "--from-start",
        "--state",
        "state",
        "--poll",
        "20ms",
        "--checkpoint-every",
        "20ms",
        "-o",
        "json",
    ];
    args.extend_from_slice(extra);
    args.push("api.log");
    let mut child = spawn_tail(dir.path(), &args, &out);
    let state = dir.path().join("state");
    wait_for("20 lines checkpointed", || checkpointed_lines(&state) == 20);
    assert_eq!(sigterm(&mut child), 0);
    (dir, state)
}

/// The checkpoint of `state` (zstd-compressed JSON), if there is a whole one.
pub(crate) fn read_checkpoint(state: &Path) -> Option<Value> {
    let bytes = std::fs::read(state.join("checkpoint.json.zst")).ok()?;
    serde_json::from_slice(&zstd::decode_all(&bytes[..]).ok()?).ok()
}

/// Replaces the checkpoint of `state` with `value` (a forged one).
fn write_checkpoint(state: &Path, value: &Value) {
    let json = serde_json::to_vec(value).unwrap();
    let bytes = zstd::encode_all(&json[..], 3).unwrap();
    std::fs::write(state.join("checkpoint.json.zst"), bytes).unwrap();
}

/// Lines counted so far, as the checkpoint says.
pub(crate) fn checkpointed_lines(state: &Path) -> u64 {
    read_checkpoint(state)
        .and_then(|v| v["aggregate"]["lines"].as_u64())
        .unwrap_or(0)
}

pub(crate) fn output_events(out: &Path) -> Vec<Value> {
    std::fs::read_to_string(out)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// Combined lines with ids `ids`: every 10th a 503 with a body, every 7th a 404.
pub(crate) fn lines(ids: std::ops::RangeInclusive<u32>) -> String {
    ids.map(|id| {
        let (status, body) = match id {
            i if i % 10 == 0 => (503, r#""{\x22type\x22:\x22api_error\x22,\x22code\x22:\x22overloaded\x22}""#),
            i if i % 7 == 0 => (404, r#""{\x22type\x22:\x22invalid_request\x22,\x22code\x22:\x22resource_missing\x22,\x22param\x22:\x22id\x22}""#),
            _ => (200, r#""-""#),
        };
        let (m, s) = (id / 60, id % 60);
        format!("10.0.0.{} - - [25/Nov/2026:10:{m:02}:{s:02} +0000] \"GET /v1/items/{id} HTTP/1.1\" {status} 12 \"-\" \"t\" 0.010 {body}\n", id % 250)
    })
    .collect()
}

pub(crate) fn append(path: &Path, text: &str) {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
}

/// Asserts the tail report equals `analyze`'s over `dir`, but for what names inputs.
fn assert_same_as_analyze(report: &Value, dir: &Path) {
    let mut tail = report.clone();
    tail.as_object_mut().unwrap().remove("event");
    assert!(tail.as_object_mut().unwrap().remove("emitted_at").is_some());
    let batch = analyze(&[dir.to_str().unwrap()], 0);
    let (mut t, mut b) = (without_inputs(tail), without_inputs(batch));
    for r in [&mut t, &mut b] {
        r["malformed_samples"] = Value::Null;
    }
    assert_eq!(t, b);
}

const FOLLOW: &[&str] = &[
    "--from-start",
    "--state",
    "state",
    "--checkpoint-every",
    "20ms",
    "--poll",
    "20ms",
    "-o",
    "json",
    "logs/api.log*",
];

/// A temp dir with `logs/` (created), and the paths of `state/` and `out.jsonl`, as FOLLOW expects.
fn follow_dir() -> (
    tempfile::TempDir,
    std::path::PathBuf,
    std::path::PathBuf,
    std::path::PathBuf,
) {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    let (state, out) = (dir.path().join("state"), dir.path().join("out.jsonl"));
    (dir, logs, state, out)
}

#[test]
fn rotation_both_ways_and_a_kill_9_restart_match_analyze() {
    let (dir, logs, state, out) = follow_dir();
    let log = logs.join("api.log");
    append(&log, &lines(1..=50));
    let mut child = spawn_tail(dir.path(), FOLLOW, &out);
    wait_for("50 lines", || checkpointed_lines(&state) == 50);

    // logrotate `create`: rename, then a new file.
    std::fs::rename(&log, logs.join("api.log.1")).unwrap();
    append(&log, &lines(51..=100));
    wait_for("100 lines", || checkpointed_lines(&state) == 100);

    // logrotate `copytruncate`.
    std::fs::copy(&log, logs.join("api.log.2")).unwrap();
    OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(&log)
        .unwrap();
    append(&log, &lines(101..=150));
    wait_for("150 lines", || checkpointed_lines(&state) == 150);

    child.kill().unwrap();
    child.wait().unwrap();
    // Written while faultline was down, including a rotation.
    append(&log, &lines(151..=200));
    std::fs::rename(&log, logs.join("api.log.3")).unwrap();
    append(&log, &lines(201..=230));

    let mut child = spawn_tail(dir.path(), FOLLOW, &out);
    wait_for("230 lines", || checkpointed_lines(&state) == 230);
    assert_eq!(sigterm(&mut child), 0);
    let events = output_events(&out);
    let report = events.last().unwrap();
    assert_eq!(report["event"], "report");
    assert_eq!(report["summary"]["requests"], 230);
    assert_same_as_analyze(report, &logs);
}

#[test]
fn kill_9_at_any_moment_loses_and_repeats_nothing() {
    let (dir, logs, state, out) = follow_dir();
    let log = logs.join("api.log");
    let mut child = spawn_tail(dir.path(), FOLLOW, &out);
    let mut next = 1;
    for round in 0..8u32 {
        for _ in 0..5 {
            append(&log, &lines(next..=next + 19));
            next += 20;
        }
        if round % 3 == 2 {
            std::fs::rename(&log, logs.join(format!("api.log.{round}"))).unwrap();
        }
        // No waiting: the kill lands wherever the follower happens to be.
        child.kill().unwrap();
        child.wait().unwrap();
        child = spawn_tail(dir.path(), FOLLOW, &out);
    }
    let total = u64::from(next - 1);
    wait_for("every line", || checkpointed_lines(&state) == total);
    assert_eq!(sigterm(&mut child), 0);
    let report = output_events(&out).pop().unwrap();
    assert_eq!(report["summary"]["requests"], total);
    assert_same_as_analyze(&report, &logs);
}

#[test]
fn without_a_checkpoint_it_starts_at_the_end_of_existing_files() {
    let dir = tempfile::tempdir().unwrap();
    let (out, state) = (dir.path().join("out.jsonl"), dir.path().join("state"));
    let log = dir.path().join("api.log");
    append(&log, &lines(1..=30));
    let args = [
        "--state",
        "state",
        "--poll",
        "20ms",
        "--checkpoint-every",
        "20ms",
        "-o",
        "json",
        "api.log",
        "late.log",
    ];
    let mut child = spawn_tail(dir.path(), &args, &out);
    // A fresh state directory is checkpointed after the first poll: from then on,
    // lines 1-30 are behind the start and everything new is read.
    wait_for("the first checkpoint", || {
        state.join("checkpoint.json.zst").exists()
    });
    append(&log, &lines(31..=40));
    append(&dir.path().join("late.log"), &lines(41..=45));
    wait_for("15 new lines", || checkpointed_lines(&state) == 15);
    assert_eq!(sigterm(&mut child), 0);
    let report = output_events(&out).pop().unwrap();
    assert_eq!(report["summary"]["requests"], 15);
    let inputs: Vec<u64> = report["summary"]["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["lines"].as_u64().unwrap())
        .collect();
    assert_eq!(inputs, [10, 5]);
}

pub(crate) fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// JSON lines over 10 one-second buckets starting at `t0` (epoch seconds):
/// 10 requests a second, 5 of them 503 in seconds 2 to 6.
pub(crate) fn incident_lines(t0: i64) -> String {
    let mut s = String::new();
    for sec in 0..10i64 {
        for i in 0..10i64 {
            let status = if (2..=6).contains(&sec) && i < 5 {
                503
            } else {
                200
            };
            let ms = (t0 + sec) * 1000 + i * 50;
            s.push_str(&format!("{{\"ts\":{ms},\"status\":{status},\"method\":\"POST\",\"path\":\"/v1/charges\"}}\n"));
        }
    }
    s
}

/// A tiny HTTP server on 127.0.0.1 answering 503 to the first `failures`
/// requests and 200 after; returns its URL and the bodies it accepted.
pub(crate) fn webhook_receiver(
    failures: usize,
) -> (String, std::sync::mpsc::Receiver<(usize, Value)>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for (n, conn) in listener.incoming().enumerate() {
            let Ok(mut conn) = conn else { return };
            conn.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            let mut req = Vec::new();
            let mut buf = [0u8; 4096];
            let body = loop {
                let Ok(k) = conn.read(&mut buf) else {
                    break None;
                };
                if k == 0 {
                    break None;
                }
                req.extend_from_slice(&buf[..k]);
                let text = String::from_utf8_lossy(&req).to_string();
                if let Some(end) = text.find("\r\n\r\n") {
                    let len: usize = text
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().parse().unwrap_or(0))
                        })
                        .unwrap_or(0);
                    if req.len() >= end + 4 + len {
                        break Some(req[end + 4..end + 4 + len].to_vec());
                    }
                }
            };
            let Some(body) = body else { continue };
            let status = if n < failures {
                "503 Service Unavailable"
            } else {
                "200 OK"
            };
            let _ = conn.write_all(
                format!("HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                    .as_bytes(),
            );
            if n >= failures {
                let _ = tx.send((n, serde_json::from_slice(&body).unwrap_or(Value::Null)));
            }
        }
    });
    (url, rx)
}

#[test]
fn incidents_are_announced_on_stdout_and_by_webhook_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.jsonl");
    let log = dir.path().join("api.jsonl");
    let t0 = now_secs() - 60;
    append(&log, &incident_lines(t0));
    let (url, bodies) = webhook_receiver(2);
    let args = [
        "--from-start",
        "--poll",
        "20ms",
        "--bucket",
        "1s",
        "--for",
        "3s",
        "--max-gap",
        "1",
        "--lateness",
        "500ms",
        "-o",
        "json",
        "--webhook",
        &url,
        "api.jsonl",
    ];
    let mut child = spawn_tail(dir.path(), &args, &out);
    wait_for("both announcements", || output_events(&out).len() >= 2);
    let got: Vec<(usize, Value)> = (0..2)
        .map(|_| bodies.recv_timeout(DEADLINE).expect("webhook delivery"))
        .collect();
    assert_eq!(sigterm(&mut child), 0);

    let events = output_events(&out);
    assert_eq!(events.len(), 3, "opened, closed, report: {events:?}");
    let rfc3339 = |secs: i64| {
        chrono::DateTime::from_timestamp(secs, 0)
            .expect("a time in range")
            .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
    };
    let (start, end) = (rfc3339(t0 + 2), rfc3339(t0 + 7));
    for (e, name) in events.iter().zip(["incident_opened", "incident_closed"]) {
        assert_eq!(e["event"], name);
        assert_eq!(e["start"], json!(start));
        assert_eq!(e["end"], json!(end));
        assert_eq!(
            (
                e["requests"].as_u64(),
                e["errors_5xx"].as_u64(),
                e["bad_buckets"].as_u64()
            ),
            (Some(50), Some(25), Some(5))
        );
        assert_eq!(
            e["top_routes"],
            json!([{"method": "POST", "route": "/v1/charges", "errors_5xx": 25, "count_error": 0}])
        );
        // What changed and the first failures travel with the events: the
        // seconds before had only 200s, so the 503s are new.
        assert_eq!(
            (
                &e["changes"][0]["dimension"],
                &e["changes"][0]["value"],
                &e["changes"][0]["incident_count"]
            ),
            (&json!("status"), &json!("503"), &json!(25))
        );
        let lines: Vec<u64> = e["examples"]
            .as_array()
            .expect("examples")
            .iter()
            .map(|x| x["line"].as_u64().unwrap())
            .collect();
        assert_eq!(lines, [21, 22, 23, 24, 25]);
        // When it was written, and a sentence every receiver can show as is.
        let emitted = e["emitted_at"].as_str().expect("emitted_at");
        let emitted = chrono::DateTime::parse_from_rfc3339(emitted).expect("RFC 3339");
        assert!(emitted.timestamp() >= t0 + 7, "{emitted}");
        let reason = e["reason"].as_str().expect("reason");
        assert!(
            reason.contains(&start) && reason.contains("25 of 50 requests failed with 5xx"),
            "{reason}"
        );
    }
    assert!(events[0]["reason"]
        .as_str()
        .unwrap()
        .starts_with("5xx errors have persisted since "));
    assert!(events[1]["reason"]
        .as_str()
        .unwrap()
        .starts_with("The persistent 5xx period from "));
    assert_eq!(got[0].1["reason"], events[0]["reason"]);
    assert_eq!(events[2]["event"], "report");
    assert_eq!(events[2]["incidents"].as_array().unwrap().len(), 1);
    // The receiver refused the first two attempts; each event arrived once, in order.
    let names: Vec<&str> = got
        .iter()
        .map(|(_, b)| b["event"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["incident_opened", "incident_closed"]);
    assert_eq!(got[0].0, 2, "two refusals, then the first delivery");
    assert!(
        bodies.recv_timeout(Duration::from_millis(300)).is_err(),
        "nothing delivered twice"
    );
}

#[test]
fn an_unreadable_checkpoint_is_an_error_not_a_fresh_start() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("state")).unwrap();
    std::fs::write(dir.path().join("state/checkpoint.json"), "{\"version\":1,").unwrap();
    std::fs::write(dir.path().join("api.log"), "").unwrap();
    faultline()
        .current_dir(dir.path())
        .args(["tail", "--state", "state", "-o", "json", "api.log"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("checkpoint is corrupt"));
    std::fs::write(dir.path().join("state/checkpoint.json"), "{\"version\":7}").unwrap();
    faultline()
        .current_dir(dir.path())
        .args(["tail", "--state", "state", "-o", "json", "api.log"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("checkpoint version 7"));
}

#[test]
fn a_checkpoint_that_cannot_be_written_warns_and_following_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.jsonl");
    // A directory where the temporary checkpoint file must go: every write fails.
    std::fs::create_dir_all(dir.path().join("state/checkpoint.json.zst.tmp")).unwrap();
    append(&dir.path().join("api.log"), &lines(1..=20));
    let args = [
        "--from-start",
        "--state",
        "state",
        "--poll",
        "20ms",
        "--checkpoint-every",
        "20ms",
        "--summary-every",
        "100ms",
        "-o",
        "json",
        "api.log",
    ];
    let mut child = spawn_tail(dir.path(), &args, &out);
    wait_for("a summary with every line", || {
        output_events(&out)
            .iter()
            .any(|e| e["event"] == "summary" && e["summary"]["requests"] == 20)
    });
    wait_for("the warning", || {
        std::fs::read_to_string(dir.path().join("stderr.txt"))
            .unwrap_or_default()
            .contains("cannot write the checkpoint in state")
    });
    assert_eq!(sigterm(&mut child), 1, "the last write failed too");
    let report = output_events(&out).pop().unwrap();
    assert_eq!(report["event"], "report");
    assert_eq!(report["summary"]["requests"], 20);
}

#[test]
fn a_stdout_that_cannot_be_written_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    append(&dir.path().join("api.log"), &lines(1..=20));
    let args = [
        "--from-start",
        "--poll",
        "20ms",
        "--summary-every",
        "50ms",
        "-o",
        "json",
        "api.log",
    ];
    // The first summary cannot be written: tail ends by itself.
    let mut child = spawn_tail(dir.path(), &args, Path::new("/dev/full"));
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(start.elapsed() < DEADLINE, "tail did not end");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(1));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("stderr.txt")).unwrap(),
        "faultline: error: cannot write to stdout: No space left on device (os error 28)\n"
    );
}

#[test]
fn a_checkpoint_of_another_bucket_width_is_a_usage_error() {
    let (dir, state) = checkpointed_twenty_lines(&[]);
    // Before, the checkpoint was resumed and tail ran until killed.
    tail_refuses(
        dir.path(),
        &["--state", "state", "--bucket", "30s", "-o", "json", "api.log"],
    )
    .stdout("")
        .stderr("faultline: error: state/checkpoint.json.zst: the checkpoint was made with --bucket 60s, not 30s; give that --bucket, or move it away to start afresh\n");
    // A damaged width of 0 would divide by zero: the checkpoint is corrupt.
    let mut cp = read_checkpoint(&state).unwrap();
    cp["aggregate"]["config"]["bucket_us"] = json!(0);
    write_checkpoint(&state, &cp);
    tail_refuses(dir.path(), &["--state", "state", "-o", "json", "api.log"]).stderr(
        predicates::str::contains("the checkpoint is corrupt (bucket width is not positive)"),
    );
}

/// A typo in a path must not look like a quiet log: a warning on stderr at
/// once, and the file is followed as soon as it appears.
#[test]
fn a_missing_path_is_warned_about_and_followed_when_it_appears() {
    let (dir, logs, _state, out) = follow_dir();
    let started = Instant::now();
    let mut child = spawn_tail(
        dir.path(),
        &[
            "--poll",
            "20ms",
            "-o",
            "json",
            "--summary-every",
            "100ms",
            "logs/api.log",
        ],
        &out,
    );
    let stderr = dir.path().join("stderr.txt");
    wait_for("the warning", || {
        std::fs::read_to_string(&stderr)
            .unwrap_or_default()
            .contains("logs/api.log: no such file yet")
    });
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the warning comes at start, not after a while"
    );
    // Files appearing later are read from their first line.
    append(&logs.join("api.log"), &lines(1..=20));
    wait_for("the 20 lines", || {
        output_events(&out)
            .iter()
            .any(|e| e["event"] == "summary" && e["summary"]["requests"] == 20)
    });
    assert_eq!(sigterm(&mut child), 0);
    let report = output_events(&out).pop().unwrap();
    assert_eq!(report["event"], "report");
    assert_eq!(report["summary"]["requests"], 20);
}

/// A checkpoint that parses but does not add up (forged, or damaged by
/// hand) is corrupt: exit 2 with a message, never a panic on the next line.
#[test]
fn a_forged_checkpoint_is_corrupt_and_never_a_panic() {
    let (dir, logs, state, out) = follow_dir();
    append(&logs.join("api.log"), &lines(1..=30));
    let mut child = spawn_tail(dir.path(), FOLLOW, &out);
    wait_for("the checkpoint", || checkpointed_lines(&state) == 30);
    assert_eq!(sigterm(&mut child), 0);
    let saved = read_checkpoint(&state).unwrap();
    let forge = |edit: &dyn Fn(&mut Value)| {
        let mut v = saved.clone();
        edit(&mut v);
        write_checkpoint(&state, &v);
        tail_refuses(dir.path(), FOLLOW)
            .stderr(predicates::str::contains("the checkpoint is corrupt"))
            .stderr(predicates::prelude::PredicateBooleanExt::not(
                predicates::str::contains("panicked"),
            ));
    };
    forge(&|v| {
        v["aggregate"]["by_status"]
            .as_array_mut()
            .unwrap()
            .truncate(300)
    });
    forge(&|v| v["aggregate"]["config"]["bucket_us"] = json!(0));
    forge(&|v| v["aggregate"]["requests"] = json!(u64::MAX));
    forge(&|v| v["aggregate"]["lines"] = json!(-1));
    // The burn-rate evaluator (--slo) is checked too.
    forge(&|v| v["slo"] = json!({"next": 5, "recent": [[1, 2]], "open": []}));
    forge(&|v| v["slo"] = json!({"next": 5, "recent": [], "open": [7]}));
    forge(&|v| v["slo"] = json!({"next": 5, "recent": [], "open": [null, null, null, null, null]}));
    forge(&|v| v["slo"] = json!({"next": 5, "recent": "x", "open": []}));
}

/// A directory is not a file to follow: a usage error that says how to
/// follow its logs, not "no such file yet" forever.
#[test]
fn a_directory_is_a_usage_error() {
    let (dir, _logs, _state, _out) = follow_dir();
    tail_refuses(dir.path(), &["-o", "json", "logs/"])
        .stderr("faultline: error: logs/: is a directory; follow its logs with a pattern, such as 'logs/*.log'\n");
}

/// `--retain` must hold a whole period, or no period could ever be seen.
#[test]
fn a_retain_shorter_than_a_period_is_a_usage_error() {
    let (dir, _logs, _state, _out) = follow_dir();
    tail_refuses(
        dir.path(),
        &["--retain", "5m", "-o", "json", "logs/api.log"],
    )
    .stderr(predicates::str::contains(
        "--retain must keep at least a whole period: --for plus --max-gap + 2 buckets (540s here)",
    ));
}

/// The checkpoint records what shapes its counts and announcements; a
/// restart with another value is a usage error naming both.
#[test]
fn a_restart_with_other_settings_names_the_setting() {
    let (dir, _state) = checkpointed_twenty_lines(&["--min-ratio", "5%"]);
    let restart = |extra: &[&str]| {
        faultline()
            .current_dir(dir.path())
            .args(["tail", "--state", "state", "-o", "json"])
            .args(extra)
            .arg("api.log")
            .timeout(DEADLINE)
            .assert()
    };
    restart(&["--min-ratio", "0.1"]).code(2).stderr(
        "faultline: error: state/checkpoint.json.zst: the checkpoint was made with --min-ratio 5%, not 10%; give that --min-ratio, or move it away to start afresh\n",
    );
    restart(&["--format", "json"])
        .code(2)
        .stderr(predicates::str::contains(
            "made with --format auto, not json",
        ));
    restart(&["--field", "status=code"])
        .code(2)
        .stderr(predicates::str::contains(
            "made with --field (none), not status=code",
        ));
}

/// IIS writes its `#Fields` header at the top of a file (and again when it
/// restarts): after a restart from a checkpoint, the lines appended later in
/// the file are still read with the header from its start.
#[test]
fn a_w3c_log_resumed_mid_file_keeps_its_header() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("u_ex261125.log");
    let line = |i: u32| {
        let status = if i.is_multiple_of(2) { 200 } else { 503 };
        format!("2026-11-25 10:00:{i:02} GET /v1/items/{i} {status} 5\r\n")
    };
    let header = "#Software: Microsoft Internet Information Services 10.0\r\n\
                  #Fields: date time cs-method cs-uri-stem sc-status time-taken\r\n";
    append(
        &log,
        &format!("{header}{}", (1..=4).map(line).collect::<String>()),
    );
    let args = [
        "--from-start",
        "--state",
        "state",
        "--poll",
        "20ms",
        "--checkpoint-every",
        "20ms",
        "-o",
        "json",
        "u_ex261125.log",
    ];
    let (out, state) = (dir.path().join("out.jsonl"), dir.path().join("state"));
    let mut child = spawn_tail(dir.path(), &args, &out);
    wait_for("4 lines checkpointed", || checkpointed_lines(&state) == 4);
    assert_eq!(sigterm(&mut child), 0);
    append(&log, &(5..=8).map(line).collect::<String>());
    let mut child = spawn_tail(dir.path(), &args, &out);
    wait_for("8 lines checkpointed", || checkpointed_lines(&state) == 8);
    assert_eq!(sigterm(&mut child), 0);
    let checkpoint = read_checkpoint(&state).expect("a checkpoint");
    let agg = &checkpoint["aggregate"];
    assert_eq!(
        (&agg["requests"], &agg["malformed"]),
        (&json!(8), &json!(0))
    );
}

/// JSON lines from `t0` (epoch seconds, a minute boundary) for 120 minutes,
/// 20 requests a minute; every request of minutes 30 to 39 is a 503.
pub(crate) fn slo_outage_lines(t0: i64) -> String {
    let mut s = String::new();
    for m in 0..120i64 {
        for i in 0..20i64 {
            let status = if (30..40).contains(&m) { 503 } else { 200 };
            let ms = (t0 + m * 60) * 1000 + i * 3000;
            s.push_str(&format!(
                "{{\"ts\":{ms},\"status\":{status},\"method\":\"GET\",\"path\":\"/v1/items\"}}\n"
            ));
        }
    }
    s
}

#[test]
fn slo_alerts_are_announced_as_they_open_and_close_and_not_again_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.jsonl");
    // Three hours ago to one hour ago: every bucket is final at once, and
    // the clock has passed the outage's end by more than two hours.
    let t0 = (now_secs() / 60 - 180) * 60;
    append(&dir.path().join("api.jsonl"), &slo_outage_lines(t0));
    let (url, bodies) = webhook_receiver(0);
    let args = [
        "--from-start",
        "--poll",
        "20ms",
        "--slo",
        "99.9%",
        "--state",
        "state",
        "--checkpoint-every",
        "20ms",
        "--summary-every",
        "200ms",
        "-o",
        "json",
        "--webhook",
        &url,
        "api.jsonl",
    ];
    let slo_events = |out: &Path| -> Vec<Value> {
        output_events(out)
            .into_iter()
            .filter(|e| {
                e["event"]
                    .as_str()
                    .is_some_and(|n| n.starts_with("slo_alert_"))
            })
            .collect()
    };
    let mut child = spawn_tail(dir.path(), &args, &out);
    wait_for("seven SLO announcements", || slo_events(&out).len() >= 7);
    let state = dir.path().join("state");
    wait_for("a checkpoint with the evaluator", || {
        read_checkpoint(&state).is_some_and(|c| c["slo"]["open"].is_array())
    });
    assert_eq!(sigterm(&mut child), 0);

    let at = |m: i64| {
        chrono::DateTime::from_timestamp(t0 + m * 60, 0)
            .unwrap()
            .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
    };
    // Budget 0.1 %. After minute 30, every window holds all 620 requests
    // so far, 20 of them failed (3.2 %), and the short windows too: all four
    // open at 31. Each closes when its short window holds no 5xx: 40 + 5m,
    // 40 + 30m, 40 + 2h; the 6h window of the slowest is not clean yet.
    let got: Vec<(String, String, String, Value)> = slo_events(&out)
        .iter()
        .map(|e| {
            (
                e["event"].as_str().unwrap().to_owned(),
                e["long_window"].as_str().unwrap().to_owned(),
                e["start"].as_str().unwrap().to_owned(),
                e["end"].clone(),
            )
        })
        .collect();
    let ev = |name: &str, long: &str, start: i64, end: Option<i64>| {
        (
            name.to_owned(),
            long.to_owned(),
            at(start),
            json!(end.map(at)),
        )
    };
    assert_eq!(
        got,
        [
            ev("slo_alert_opened", "1h", 31, None),
            ev("slo_alert_opened", "6h", 31, None),
            ev("slo_alert_opened", "1d", 31, None),
            ev("slo_alert_opened", "3d", 31, None),
            ev("slo_alert_closed", "1h", 31, Some(45)),
            ev("slo_alert_closed", "6h", 31, Some(70)),
            ev("slo_alert_closed", "1d", 31, Some(160)),
        ]
    );
    let first = &slo_events(&out)[0];
    assert_eq!(
        (
            &first["severity"],
            &first["short_window"],
            &first["factor"],
            &first["objective"],
            &first["long_requests"],
            &first["long_errors_5xx"],
            &first["short_requests"],
            &first["short_errors_5xx"]
        ),
        (
            &json!("page"),
            &json!("5m"),
            &json!(14.4),
            &json!(0.999),
            &json!(620),
            &json!(20),
            &json!(100),
            &json!(20)
        )
    );
    assert!(
        first["reason"]
            .as_str()
            .unwrap()
            .starts_with("The 99.9% SLO's error budget burns over 14.4× too fast since "),
        "{first}"
    );
    // The webhook got the same events, in order, among the incident's.
    let mut hooked = Vec::new();
    while let Ok((_, body)) = bodies.recv_timeout(Duration::from_secs(5)) {
        if body["event"]
            .as_str()
            .is_some_and(|n| n.starts_with("slo_alert_"))
        {
            hooked.push(body);
        }
        if hooked.len() == 7 {
            break;
        }
    }
    assert_eq!(hooked.len(), 7);
    assert_eq!(hooked[0]["reason"], first["reason"]);
    assert_eq!(hooked[6]["event"], "slo_alert_closed");
    // The final report replays the same alerts over the timeline (it ends
    // with the log, at minute 120: the 1d ticket is still firing there).
    let report = output_events(&out)
        .into_iter()
        .find(|e| e["event"] == "report")
        .expect("the final report");
    assert_eq!(report["slo"]["alerts"].as_array().unwrap().len(), 4);

    // A restart resumes the evaluator: nothing is announced twice, and the
    // 3d ticket is still open.
    let again = dir.path().join("again.jsonl");
    let mut child = spawn_tail(dir.path(), &args, &again);
    let summaries = |out: &Path| -> Vec<Value> {
        output_events(out)
            .into_iter()
            .filter(|e| e["event"] == "summary")
            .collect()
    };
    wait_for("two summaries", || summaries(&again).len() >= 2);
    assert_eq!(sigterm(&mut child), 0);
    assert!(slo_events(&again).is_empty(), "{:?}", output_events(&again));
    assert_eq!(
        summaries(&again)[1]["open_slo_alerts"],
        json!([{"severity": "ticket", "long_window": "3d", "short_window": "6h",
                "factor": 1.0, "start": at(31), "end": null}])
    );
}
