//! `--alertmanager URL`: open incidents as alerts on Alertmanager's API
//! (`POST /api/v2/alerts`), so its routing, grouping and silences take over.
//!
//! Alertmanager keeps state, not events: an alert is identified by its
//! labels and fires until its `endsAt`. So each Alertmanager gets one task
//! that holds the latest [`Alert`] per label set and pushes all of them at
//! once: at every change, then every [`RESEND`] while any fires (with
//! `endsAt` [`ENDS_AHEAD`] ahead, as Prometheus does: if faultline dies, the
//! alert resolves itself after that instead of firing forever), and a
//! resolved alert (with its `endsAt`) until one push carrying it succeeds.
//! A failed push is retried with the webhook's jittered exponential backoff;
//! since every push carries the whole current state, a retry never delivers
//! something stale, and the alerts never queue up behind a dead server.
//! The live loop only hands alerts over through a bounded channel
//! ([`Alertmanager::send`] never waits), so reading never waits for delivery.
//!
//! [`Alert`] is generic (a name, a severity, labels, annotations, when it
//! started and ended): incidents are one kind ([`Alert::persistent_5xx`]),
//! and any other alert (SLO burn rates) can be sent the same way.

use super::webhook::{self, Attempt, Backoff, RetryPolicy};
use super::Change;
use crate::event::{format_ts, Micros};
use crate::report::{self, Incident};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// How often a firing alert is sent again. Alertmanager resolves an alert
/// whose `endsAt` passed; re-sending well within that keeps it firing
/// (Prometheus re-sends every minute too).
pub(crate) const RESEND: Duration = Duration::from_secs(60);

/// A firing alert's `endsAt` is this far ahead of each send: four re-sends,
/// as Prometheus sets it, so a lost push or two never resolves it.
pub(crate) const ENDS_AHEAD: Duration = Duration::from_secs(4 * 60);

/// Alert changes waiting for a task at most (each is a whole alert, and a
/// task takes them as they come, so this is never reached in practice).
const QUEUE: usize = 256;

/// The name of the alert an open incident raises.
pub(crate) const PERSISTENT_5XX: &str = "FaultlinePersistent5xx";
/// The name of the SLO burn-rate alerts, as `faultline rules` names them.
pub(crate) const SLO_BURN: &str = "FaultlineErrorBudgetBurn";

/// An alert, whatever raised it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Alert {
    /// The `alertname` label.
    pub(crate) name: String,
    /// The `severity` label (`page`, `ticket`).
    pub(crate) severity: String,
    /// More labels (the identity of the alert, with the two above).
    pub(crate) labels: BTreeMap<String, String>,
    /// What a person reads: `summary`, `description`, …
    pub(crate) annotations: BTreeMap<String, String>,
    pub(crate) starts_at: Micros,
    /// When it stopped; `None` while it fires.
    pub(crate) ends_at: Option<Micros>,
}

impl Alert {
    /// The alert of an incident (SPEC §10): firing from the period's start
    /// while it is open, ending at its end once closed. `reason` is the
    /// sentence the incident was announced with.
    pub(crate) fn persistent_5xx(change: Change, incident: &Incident, reason: &str) -> Alert {
        let micros = |t: &str| {
            chrono::DateTime::parse_from_rfc3339(t)
                .map(|t| t.timestamp_micros())
                .ok()
        };
        let starts_at = micros(&incident.start).unwrap_or_default();
        let mut annotations = BTreeMap::new();
        annotations.insert(
            "summary".to_owned(),
            format!(
                "Persistent 5xx since {}: {} of {} requests failed ({})",
                incident.start,
                incident.errors_5xx,
                incident.requests,
                report::percent(incident.errors_5xx, incident.requests)
            ),
        );
        annotations.insert("description".to_owned(), reason.to_owned());
        annotations.insert("incident_start".to_owned(), incident.start.clone());
        // The first route the verdict names (none when the 5xx are spread).
        if let Some(r) = incident.worst_routes().next() {
            annotations.insert(
                "top_route".to_owned(),
                format!(
                    "{} {}",
                    r.method.as_deref().unwrap_or("-"),
                    r.route.as_deref().unwrap_or("-")
                ),
            );
        }
        if let Some(e) = incident.top_error() {
            let code = e.code.as_deref().or(e.error_type.as_deref()).unwrap_or("-");
            let text = match &e.example_message {
                Some(m) => format!("{code}: {m}"),
                None => code.to_owned(),
            };
            annotations.insert("top_error".to_owned(), text);
        }
        Alert {
            name: PERSISTENT_5XX.to_owned(),
            severity: "page".to_owned(),
            labels: BTreeMap::new(),
            annotations,
            starts_at,
            ends_at: match change {
                Change::Opened => None,
                Change::Closed => Some(micros(&incident.end).unwrap_or(starts_at)),
            },
        }
    }

    /// The alert of an SLO burn-rate alert (SPEC §10), named and labelled as
    /// `faultline rules --slo` names its rule (`FaultlineErrorBudgetBurn`,
    /// `severity`, `long_window`, `short_window`), so Alertmanager routes and
    /// silences both alike.
    pub(crate) fn slo_burn(change: &super::SloChange) -> Alert {
        Self::slo_alert(&change.alert, change.objective, &change.reason)
    }

    /// The alert of a burn-rate alert `a` of the `objective` (a ratio),
    /// ending at its end when it has one.
    pub(crate) fn slo_alert(a: &crate::slo::SloAlert, objective: f64, reason: &str) -> Alert {
        let micros = |t: &str| {
            chrono::DateTime::parse_from_rfc3339(t)
                .map(|t| t.timestamp_micros())
                .ok()
        };
        let starts_at = micros(&a.start).unwrap_or_default();
        let mut labels = BTreeMap::new();
        labels.insert("long_window".to_owned(), a.long_window.to_owned());
        labels.insert("short_window".to_owned(), a.short_window.to_owned());
        let mut annotations = BTreeMap::new();
        annotations.insert(
            "summary".to_owned(),
            format!(
                "Error budget of the {}% SLO burns {}x too fast ({} and {})",
                objective * 100.0,
                a.factor,
                a.long_window,
                a.short_window
            ),
        );
        annotations.insert("description".to_owned(), reason.to_owned());
        Alert {
            name: SLO_BURN.to_owned(),
            severity: a.severity.name().to_owned(),
            labels,
            annotations,
            starts_at,
            ends_at: a.end.as_deref().map(|e| micros(e).unwrap_or(starts_at)),
        }
    }

    /// The labels Alertmanager identifies the alert by: `common` (the
    /// instance, `--alert-label`s), the alert's own, then its name and
    /// severity, which nothing overrides.
    fn label_set(&self, common: &BTreeMap<String, String>) -> BTreeMap<String, String> {
        let mut labels = common.clone();
        labels.extend(self.labels.clone());
        labels.insert("alertname".to_owned(), self.name.clone());
        labels.insert("severity".to_owned(), self.severity.clone());
        labels
    }

    /// The alert as `POST /api/v2/alerts` takes it, sent at `now`. Times
    /// from the logs are kept in order with the clock: Alertmanager refuses
    /// an alert that ends before it starts, and one that ends in the future
    /// still fires, so a log ahead of the clock must not keep it firing.
    fn payload(&self, common: &BTreeMap<String, String>, now: Micros) -> Value {
        let starts = self.starts_at.min(now);
        let ends = match self.ends_at {
            Some(end) => end.min(now).max(starts),
            None => now.saturating_add(ENDS_AHEAD.as_micros() as i64),
        };
        json!({
            "labels": self.label_set(common),
            "annotations": self.annotations,
            "startsAt": format_ts(starts),
            "endsAt": format_ts(ends),
        })
    }
}

/// `URL`'s alerts endpoint: the API path is added unless it is there.
pub(crate) fn alerts_url(url: &str) -> String {
    let base = url.trim_end_matches('/');
    if base.ends_with("/api/v2/alerts") {
        base.to_owned()
    } else {
        format!("{base}/api/v2/alerts")
    }
}

/// The sending side, owned by the live loop: one task per Alertmanager
/// (an HA cluster wants every alert sent to each member).
pub(crate) struct Alertmanager {
    txs: Vec<mpsc::Sender<Alert>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Alertmanager {
    /// Starts a task per URL. `common` labels go on every alert (the
    /// instance, `--alert-label`s). Must be called inside a tokio runtime.
    pub(crate) fn spawn(
        urls: &[String],
        common: BTreeMap<String, String>,
        policy: RetryPolicy,
    ) -> anyhow::Result<Alertmanager> {
        let client = webhook::client(&policy)?;
        let mut txs = Vec::new();
        let mut tasks = Vec::new();
        for url in urls {
            let (tx, rx) = mpsc::channel(QUEUE);
            txs.push(tx);
            let worker = Worker {
                client: client.clone(),
                url: alerts_url(url),
                common: common.clone(),
                alerts: BTreeMap::new(),
                backoff: Backoff::new(&policy),
            };
            tasks.push(tokio::spawn(worker.run(rx)));
        }
        Ok(Alertmanager { txs, tasks })
    }

    /// Hands a new or changed alert to every task; never waits.
    pub(crate) fn send(&self, alert: &Alert) {
        for tx in &self.txs {
            if tx.try_send(alert.clone()).is_err() {
                tracing::warn!(
                    "alertmanager: {QUEUE} alert changes waiting already; this one is dropped"
                );
            }
        }
    }

    /// Stops taking alerts and gives the tasks up to `grace` to push what
    /// changed since their last push. Firing alerts are left to fire: the
    /// incident is still open, and a restart with `--state` re-sends them.
    pub(crate) async fn close(self, grace: Duration) {
        drop(self.txs);
        let all = join_all(self.tasks);
        if tokio::time::timeout(grace, all).await.is_err() {
            tracing::warn!("alertmanager: alert changes still undelivered at exit were dropped");
        }
    }
}

async fn join_all(tasks: Vec<tokio::task::JoinHandle<()>>) {
    for t in tasks {
        let _ = t.await;
    }
}

/// One Alertmanager's delivery state.
struct Worker {
    client: reqwest::Client,
    url: String,
    common: BTreeMap<String, String>,
    /// The latest of each alert, by its label set.
    alerts: BTreeMap<BTreeMap<String, String>, Alert>,
    backoff: Backoff,
}

/// What a push came to.
enum Pushed {
    Done,
    /// Try again after this long.
    Retry(Duration),
}

impl Worker {
    async fn run(mut self, mut rx: mpsc::Receiver<Alert>) {
        // When to push next: now after a change, RESEND later while alerts
        // fire, the backoff after a failure; never while there is nothing.
        let mut due: Option<Instant> = None;
        let mut failing = false;
        // A change not pushed yet.
        let mut unsent = false;
        loop {
            let wait = async {
                match due {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                got = rx.recv() => match got {
                    Some(alert) => {
                        self.take(alert);
                        unsent = true;
                        // A change goes out at once, unless the server is
                        // failing: then it waits for the backoff's next try.
                        if !failing {
                            due = Some(Instant::now());
                        }
                    }
                    None => break,
                },
                () = wait => {
                    match self.push().await {
                        Pushed::Done => {
                            failing = false;
                            unsent = false;
                            due = (!self.alerts.is_empty()).then(|| Instant::now() + RESEND);
                        }
                        Pushed::Retry(after) => {
                            failing = true;
                            due = Some(Instant::now() + after);
                        }
                    }
                }
            }
        }
        // Closing: push what changed since the last push (a close just
        // announced), retrying until the caller's grace ends.
        if unsent {
            while let Pushed::Retry(after) = self.push().await {
                tokio::time::sleep(after).await;
            }
        }
    }

    fn take(&mut self, alert: Alert) {
        self.alerts.insert(alert.label_set(&self.common), alert);
    }

    /// Pushes every alert held; on success the resolved ones are done with.
    async fn push(&mut self) -> Pushed {
        if self.alerts.is_empty() {
            return Pushed::Done;
        }
        let now = chrono::Utc::now().timestamp_micros();
        let body: Vec<Value> = self
            .alerts
            .values()
            .map(|a| a.payload(&self.common, now))
            .collect();
        let body = serde_json::to_vec(&body).unwrap_or_default();
        match webhook::attempt(&self.client, &self.url, &body).await {
            Attempt::Delivered => {
                tracing::debug!(alerts = self.alerts.len(), "alertmanager: pushed");
                self.backoff.reset();
                self.alerts.retain(|_, a| a.ends_at.is_none());
                Pushed::Done
            }
            Attempt::Retry { after, why } => {
                // The backoff, at least any Retry-After, and at most the
                // resend interval: the state is re-sent whole anyway.
                let wait = self
                    .backoff
                    .next()
                    .max(after.unwrap_or_default())
                    .min(RESEND);
                tracing::warn!(
                    "alertmanager: {} failed ({why}); retrying in {wait:?}",
                    self.url
                );
                Pushed::Retry(wait)
            }
            Attempt::Fatal(why) => {
                // Refused as invalid: sending the same again cannot help.
                // Resolved alerts are dropped; firing ones go with the next resend.
                tracing::warn!("alertmanager: {} refused the alerts ({why})", self.url);
                self.alerts.retain(|_, a| a.ends_at.is_none());
                Pushed::Done
            }
        }
    }
}

/// This host's name, for the `instance` label: the kernel's, else `uname
/// -n`'s, else `localhost` (`--alert-label instance=NAME` sets another).
pub(crate) fn hostname() -> String {
    let from_proc = std::fs::read_to_string("/proc/sys/kernel/hostname").ok();
    let from_uname = || {
        std::process::Command::new("uname")
            .arg("-n")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
    };
    from_proc
        .or_else(from_uname)
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "localhost".to_owned())
}

#[cfg(test)]
mod tests;
