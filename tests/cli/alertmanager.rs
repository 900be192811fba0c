//! `tail --alertmanager` against a real Alertmanager (Debian's
//! `prometheus-alertmanager`, installed by `.ci/run`, or by the test itself
//! when it runs as root), started by the test on a loopback port: the
//! incident is seen firing with its labels in `GET /api/v2/alerts`, and
//! Alertmanager's own notifications (a webhook receiver with
//! `send_resolved`) show it fire and then resolve when the incident closes.

use crate::tail::{
    append, now_secs, output_events, sigterm, spawn_tail, webhook_receiver, Running, DEADLINE,
};
use crate::{debian_tool, http_get};
use serde_json::{json, Value};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// An Alertmanager process, ended when dropped.
struct Alertmanager {
    child: Child,
    addr: String,
}

impl Drop for Alertmanager {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A free loopback port (the kernel's choice, released for the server to take).
fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// Starts Alertmanager in `dir` on `addr`, routing every alert to `webhook`
/// with its resolution, and waits until it is ready; `None` when it is not
/// installed.
fn start_alertmanager(dir: &Path, addr: &str, webhook: &str) -> Option<Alertmanager> {
    let binary = debian_tool("prometheus-alertmanager", "prometheus-alertmanager")?;
    let config = dir.join("alertmanager.yml");
    std::fs::write(
        &config,
        format!(
            "route:\n  receiver: hook\n  group_wait: 1s\n  group_interval: 1s\n  repeat_interval: 1h\n\
             receivers:\n  - name: hook\n    webhook_configs:\n      - url: '{webhook}'\n        send_resolved: true\n"
        ),
    )
    .unwrap();
    let addr = addr.to_owned();
    let log = std::fs::File::create(dir.join("alertmanager.log")).unwrap();
    let child = Command::new(binary)
        .arg(format!("--config.file={}", config.display()))
        .arg(format!("--storage.path={}", dir.join("am-data").display()))
        .arg(format!("--web.listen-address={addr}"))
        // No cluster: a single instance on loopback.
        .arg("--cluster.listen-address=")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("alertmanager starts");
    let am = Alertmanager { child, addr };
    let start = Instant::now();
    loop {
        let ready = std::net::TcpStream::connect(&am.addr).is_ok()
            && http_get(&am.addr, "/-/ready", &[]).0 == 200;
        if ready {
            return Some(am);
        }
        assert!(
            start.elapsed() < DEADLINE,
            "alertmanager not ready: {}",
            std::fs::read_to_string(dir.join("alertmanager.log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The FaultlinePersistent5xx alerts Alertmanager lists (active ones: it
/// lists no resolved alert).
fn listed(am: &Alertmanager) -> Vec<Value> {
    let (status, body) = http_get(&am.addr, "/api/v2/alerts", &[]);
    assert_eq!(status, 200, "{body}");
    let all: Vec<Value> = serde_json::from_str(&body).expect("a JSON array");
    all.into_iter()
        .filter(|a| a["labels"]["alertname"] == "FaultlinePersistent5xx")
        .collect()
}

/// JSON lines, 10 requests a second from `t0 - 10` to `t0 - 2`, half of
/// them 503 from `t0 - 9` to `t0 - 3`: seven bad one-second buckets, all
/// final by the time `tail` first reads them (lateness 0.5 s), so the
/// incident opens with all of them.
fn failing_lines(t0: i64) -> String {
    let mut s = String::new();
    for sec in -10..-1i64 {
        for i in 0..10i64 {
            let status = if (-9..=-3).contains(&sec) && i < 5 {
                503
            } else {
                200
            };
            let ms = (t0 + sec) * 1000 + i * 50;
            s.push_str(&format!(
                "{{\"ts\":{ms},\"status\":{status},\"method\":\"POST\",\"path\":\"/v1/charges\"}}\n"
            ));
        }
    }
    s
}

fn rfc3339(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .unwrap()
        .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

/// Alertmanager's times (`2026-11-25T10:00:00.000Z`) as whole seconds.
fn secs(t: &Value) -> i64 {
    chrono::DateTime::parse_from_rfc3339(t.as_str().expect("a time"))
        .expect("RFC 3339")
        .timestamp()
}

#[test]
fn an_incident_fires_in_alertmanager_and_resolves_when_it_closes() {
    let dir = tempfile::tempdir().unwrap();
    let (hook, notifications) = webhook_receiver(0);
    let addr = format!("127.0.0.1:{}", free_port());
    let Some(am) = start_alertmanager(dir.path(), &addr, &hook) else {
        eprintln!(
            "SKIPPED: no prometheus-alertmanager and not root to install it \
             (apt-get install prometheus-alertmanager; .ci/run does it)"
        );
        return;
    };
    let (log, out) = (dir.path().join("api.jsonl"), dir.path().join("out.jsonl"));
    let t0 = now_secs();
    append(&log, &failing_lines(t0));
    let am_url = format!("http://{}", am.addr);
    let args = [
        "--from-start",
        "--poll",
        "20ms",
        "--bucket",
        "1s",
        "--for",
        "3s",
        // The period stays open about 15 s after its last bad second: time
        // to see it firing before the clock closes it.
        "--max-gap",
        "15",
        "--lateness",
        "500ms",
        "-o",
        "json",
        "--alertmanager",
        &am_url,
        "--alert-label",
        "service=payments",
        "api.jsonl",
    ];
    let mut child = Running(spawn_tail(dir.path(), &args, &out));
    let uname = Command::new("uname").arg("-n").output().unwrap().stdout;
    let host = String::from_utf8(uname).unwrap().trim().to_owned();
    let labels = json!({
        "alertname": "FaultlinePersistent5xx",
        "severity": "page",
        "instance": host,
        "service": "payments",
    });
    let (start, end) = (t0 - 9, t0 - 2);

    // Alertmanager routes it: its first notification is the alert firing.
    let (_, first) = notifications
        .recv_timeout(DEADLINE)
        .expect("Alertmanager notifies the firing alert");
    assert_eq!(first["status"], "firing", "{first}");
    assert_eq!(first["alerts"][0]["labels"], labels);
    // And lists it, active, with the period's start and the reason.
    let alerts = listed(&am);
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    let alert = &alerts[0];
    assert_eq!(alert["labels"], labels);
    assert_eq!(alert["status"]["state"], "active");
    assert_eq!(secs(&alert["startsAt"]), start);
    // A firing alert ends minutes ahead, so it lives on between re-sends.
    assert!(secs(&alert["endsAt"]) >= now_secs() + 180, "{alert}");
    let summary = alert["annotations"]["summary"].as_str().unwrap();
    assert_eq!(
        summary,
        format!(
            "Persistent 5xx since {}: 35 of 70 requests failed (50.0%)",
            rfc3339(start)
        )
    );
    let description = alert["annotations"]["description"].as_str().unwrap();
    assert!(
        description.starts_with("5xx errors have persisted since "),
        "{description}"
    );
    assert_eq!(alert["annotations"]["top_route"], "POST /v1/charges");

    // Traffic recovers; once the clock has passed the gap the period may
    // bridge, it closes, and faultline sends its end.
    let recovered: String = (0..10)
        .map(|i| {
            let ms = now_secs() * 1000 + i * 50;
            format!("{{\"ts\":{ms},\"status\":200,\"method\":\"POST\",\"path\":\"/v1/charges\"}}\n")
        })
        .collect();
    append(&log, &recovered);
    let started = Instant::now();
    let resolved = loop {
        let left = (DEADLINE * 2).saturating_sub(started.elapsed());
        let (_, n) = notifications
            .recv_timeout(left)
            .expect("Alertmanager notifies the resolution");
        if n["status"] == "resolved" {
            break n;
        }
    };
    let alert = &resolved["alerts"][0];
    assert_eq!(alert["labels"], labels);
    assert_eq!(alert["status"], "resolved");
    assert_eq!(secs(&alert["startsAt"]), start);
    assert_eq!(secs(&alert["endsAt"]), end);
    assert!(
        alert["annotations"]["description"]
            .as_str()
            .unwrap()
            .starts_with("The persistent 5xx period from "),
        "{alert}"
    );
    // No longer listed: resolved, minutes before it would have expired.
    assert_eq!(listed(&am), Vec::<Value>::new());

    assert_eq!(sigterm(&mut child.0), 0);
    let events: Vec<Value> = output_events(&out)
        .into_iter()
        .filter(|e| e["event"] != "summary")
        .collect();
    let names: Vec<&str> = events
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["incident_opened", "incident_closed", "report"]);
    assert_eq!(events[1]["start"], json!(rfc3339(start)));
    assert_eq!(events[1]["end"], json!(rfc3339(end)));
}

#[test]
fn an_alertmanager_that_is_down_gets_the_alert_once_it_is_up() {
    if debian_tool("prometheus-alertmanager", "prometheus-alertmanager").is_none() {
        eprintln!("SKIPPED: no prometheus-alertmanager and not root to install it");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (hook, notifications) = webhook_receiver(0);
    let (log, out) = (dir.path().join("api.jsonl"), dir.path().join("out.jsonl"));
    let t0 = now_secs();
    append(&log, &failing_lines(t0));
    // Nothing listens there yet: every push is refused and retried.
    let addr = format!("127.0.0.1:{}", free_port());
    let am_url = format!("http://{addr}");
    let args = [
        "--from-start",
        "--poll",
        "20ms",
        "--bucket",
        "1s",
        "--for",
        "3s",
        "--max-gap",
        "60",
        "--lateness",
        "500ms",
        "-o",
        "json",
        "--alertmanager",
        &am_url,
        "api.jsonl",
    ];
    let mut child = Running(spawn_tail(dir.path(), &args, &out));
    // Reading and announcing go on while Alertmanager is down.
    crate::tail::wait_for("the incident announced on stdout", || {
        output_events(&out)
            .iter()
            .any(|e| e["event"] == "incident_opened")
    });
    crate::tail::wait_for("a failed push and its retry on stderr", || {
        std::fs::read_to_string(dir.path().join("stderr.txt"))
            .unwrap_or_default()
            .contains("failed")
    });
    let am = start_alertmanager(dir.path(), &addr, &hook).expect("installed");
    let (_, first) = notifications
        .recv_timeout(DEADLINE)
        .expect("the retried push reaches Alertmanager");
    assert_eq!(first["status"], "firing", "{first}");
    assert_eq!(listed(&am).len(), 1);
    assert_eq!(secs(&listed(&am)[0]["startsAt"]), t0 - 9);
    assert_eq!(sigterm(&mut child.0), 0);
}

/// With `--slo`, the burn-rate alerts go to Alertmanager too, named and
/// labelled as `faultline rules --slo` names its rule: on a log of an
/// outage two to three hours ago, the three alerts that cleared are not
/// active, and the 3d/6h ticket still firing is, from the minute it opened.
#[test]
fn slo_alerts_fire_in_alertmanager_with_the_rules_labels() {
    let dir = tempfile::tempdir().unwrap();
    let (hook, _notifications) = webhook_receiver(0);
    let addr = format!("127.0.0.1:{}", free_port());
    let Some(am) = start_alertmanager(dir.path(), &addr, &hook) else {
        eprintln!("SKIPPED: no prometheus-alertmanager and not root to install it");
        return;
    };
    let out = dir.path().join("out.jsonl");
    let t0 = (now_secs() / 60 - 180) * 60;
    append(
        &dir.path().join("api.jsonl"),
        &crate::tail::slo_outage_lines(t0),
    );
    let am_url = format!("http://{}", am.addr);
    let args = [
        "--from-start",
        "--poll",
        "20ms",
        "--slo",
        "99.9%",
        "-o",
        "json",
        "--alertmanager",
        &am_url,
        "api.jsonl",
    ];
    let mut child = Running(spawn_tail(dir.path(), &args, &out));
    let burning = || -> Vec<Value> {
        let (status, body) = http_get(&am.addr, "/api/v2/alerts", &[]);
        assert_eq!(status, 200, "{body}");
        let all: Vec<Value> = serde_json::from_str(&body).expect("a JSON array");
        all.into_iter()
            .filter(|a| a["labels"]["alertname"] == "FaultlineErrorBudgetBurn")
            .collect()
    };
    crate::tail::wait_for("the SLO alert in Alertmanager", || !burning().is_empty());
    // Seven announcements were made; give the sender its turn at all of them.
    crate::tail::wait_for("seven SLO events", || {
        output_events(&out)
            .iter()
            .filter(|e| {
                e["event"]
                    .as_str()
                    .is_some_and(|n| n.starts_with("slo_alert_"))
            })
            .count()
            == 7
    });
    let alerts = burning();
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    let a = &alerts[0];
    let uname = Command::new("uname").arg("-n").output().unwrap().stdout;
    let host = String::from_utf8(uname).unwrap().trim().to_owned();
    assert_eq!(
        a["labels"],
        json!({
            "alertname": "FaultlineErrorBudgetBurn",
            "severity": "ticket",
            "long_window": "3d",
            "short_window": "6h",
            "instance": host,
        })
    );
    assert_eq!(secs(&a["startsAt"]), t0 + 31 * 60);
    assert_eq!(a["status"]["state"], "active");
    let summary = a["annotations"]["summary"].as_str().unwrap();
    assert_eq!(
        summary,
        "Error budget of the 99.9% SLO burns 1x too fast (3d and 6h)"
    );
    assert_eq!(sigterm(&mut child.0), 0);
}
