//! `faultline tail`: the live loop on tokio. Polls the files, announces
//! incident changes (stdout and webhook), prints summaries, checkpoints,
//! serves `/metrics` beside it, and on SIGINT/SIGTERM writes a last
//! checkpoint and the final report.

use super::{Exit, Failure};
use crate::cli::TailArgs;
use crate::event::{format_ts, Micros};
use crate::live::alertmanager::{self, Alert, Alertmanager};
use crate::live::checkpoint;
use crate::live::metrics::{self, Exporter};
use crate::live::webhook::{RetryPolicy, Webhook};
use crate::live::{Change, Live, LiveState};
use crate::plan::{self, Env, TailOutput, TailPlan};
use crate::render::table::printable;
use crate::report::{percent, Incident, Level, Report, Summary};
use anyhow::Context;
use serde::Serialize;
use std::io::Write;
use std::time::Duration;
use tokio::signal::unix::{signal, SignalKind};
use tokio::time::{interval, Instant, MissedTickBehavior};

/// `{"event": NAME, "emitted_at": TIME, ...body}`: `event` first, then when
/// it was written, then the body's own keys.
#[derive(Serialize)]
struct Tagged<'a, T: Serialize> {
    event: &'a str,
    emitted_at: String,
    #[serde(flatten)]
    body: &'a T,
}

/// An incident event: the incident with a sentence a receiver can show as is.
#[derive(Serialize)]
struct Announcement<'a> {
    reason: String,
    #[serde(flatten)]
    incident: &'a Incident,
}

#[derive(Serialize)]
struct SummaryEvent<'a> {
    event: &'a str,
    emitted_at: String,
    summary: &'a Summary,
    open_incident: Option<&'a Incident>,
    /// With `--slo`: the burn-rate alerts firing now.
    #[serde(skip_serializing_if = "Option::is_none")]
    open_slo_alerts: Option<Vec<crate::slo::SloAlert>>,
}

fn tagged<'a, T: Serialize>(event: &'a str, body: &'a T) -> Tagged<'a, T> {
    Tagged {
        event,
        emitted_at: format_ts(now_micros()),
        body,
    }
}

pub(crate) fn run(args: &TailArgs) -> Result<Exit, Failure> {
    let plan = plan::tail(args, &Env::current()).map_err(Failure::usage)?;
    let state = match &plan.state_dir {
        Some(dir) => {
            let state = Live::load(dir).map_err(Failure::usage)?;
            if let Some(s) = &state {
                same_settings(dir, s, &plan)?;
            }
            state
        }
        None => None,
    };
    if let Some(s) = &state {
        tracing::info!(files = s.follower.files.len(), "resuming from checkpoint");
    }
    // Bound now, so that a port in use is a usage error before any work.
    let listener = match plan.metrics_listen {
        Some(addr) => Some(std::net::TcpListener::bind(addr).map_err(|e| {
            Failure::usage(anyhow::anyhow!(
                "--metrics-listen {addr}: cannot listen there: {e}"
            ))
        })?),
        None => None,
    };
    // Errors from here on (the runtime, signals, stdout) are I/O: exit 1.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    Ok(runtime.block_on(run_loop(plan, state, listener))?)
}

/// A checkpoint's counts and announcements follow the settings it was made
/// with: resuming it with others would mix them (60 s and 10 s buckets, two
/// formats). Checkpoints from before settings were recorded hold only the
/// bucket width, in their aggregate.
fn same_settings(dir: &std::path::Path, s: &LiveState, plan: &TailPlan) -> Result<(), Failure> {
    let saved = s.aggregate.config.bucket_us;
    let mut differ: Option<(String, String, String)> =
        (saved != plan.detect.bucket_us).then(|| {
            (
                "--bucket".to_owned(),
                seconds(saved),
                seconds(plan.detect.bucket_us),
            )
        });
    for (flag, was) in &s.settings {
        if differ.is_some() {
            break;
        }
        if let Some((_, now)) = plan.settings.iter().find(|(f, _)| f == flag) {
            if now != was {
                differ = Some((flag.clone(), was.clone(), now.clone()));
            }
        }
    }
    let Some((flag, was, now)) = differ else {
        return Ok(());
    };
    let shown = |v: &str| {
        if v.is_empty() {
            "(none)".to_owned()
        } else {
            v.to_owned()
        }
    };
    Err(Failure::usage(anyhow::anyhow!(
        "{}: the checkpoint was made with {flag} {}, not {}; give that {flag}, or move it away to start afresh",
        checkpoint::path_in(dir).display(),
        shown(&was),
        shown(&now),
    )))
}

/// A bucket width as `--bucket` takes it: `60s`, `0.5s`.
fn seconds(us: Micros) -> String {
    format!("{}s", us as f64 / 1e6)
}

fn now_micros() -> Micros {
    chrono::Utc::now().timestamp_micros()
}

fn write_line(out: &mut impl Write, value: &impl Serialize) -> anyhow::Result<()> {
    let mut write = || -> std::io::Result<()> {
        serde_json::to_writer(&mut *out, value)?;
        out.write_all(b"\n")?;
        out.flush()
    };
    write().context("cannot write to stdout")
}

async fn run_loop(
    plan: TailPlan,
    state: Option<crate::live::LiveState>,
    listener: Option<std::net::TcpListener>,
) -> anyhow::Result<Exit> {
    // A fresh state directory gets its checkpoint right after the first poll:
    // it records where the existing files end, so a restart before any new
    // line does not start at their (then later) end and skip lines.
    let fresh = state.is_none();
    let mut live = Live::new(
        plan.patterns.clone(),
        state,
        plan.start,
        plan.parse.clone(),
        plan.detect,
        plan.lateness_us,
        plan.bounds,
    )
    .with_settings(plan.settings.clone())
    .with_slo(plan.slo);
    let mut exporter: Option<std::sync::Arc<Exporter>> = None;
    if let Some(listener) = listener {
        // Says where, which matters with port 0 (any free port).
        if let Ok(addr) = listener.local_addr() {
            eprintln!("faultline: serving metrics at http://{addr}/metrics");
        }
        let (e, recorder) = Exporter::new(plan.metrics_max_series, plan.state_dir.is_some());
        live = live.with_metrics(recorder);
        metrics::server::spawn(listener, e.clone(), now_micros)?;
        exporter = Some(e);
    }
    let webhook = match &plan.webhook {
        Some(url) => Some(Webhook::spawn(url.clone(), RetryPolicy::default())?),
        None => None,
    };
    let alerts = match plan.alertmanager.as_slice() {
        [] => None,
        urls => Some(Alertmanager::spawn(
            urls,
            plan.alert_labels.clone(),
            RetryPolicy::default(),
        )?),
    };
    if let Some(am) = &alerts {
        // After a restart an incident still open fires again: Alertmanager
        // may have let it expire while faultline was down.
        for i in live.open_announcements() {
            am.send(&Alert::persistent_5xx(
                Change::Opened,
                &i,
                &Change::Opened.sentence(&i),
            ));
        }
        if let Some(objective) = plan.slo {
            for a in live.open_slo_alerts() {
                let reason = format!("Firing since {} (sent again after a restart).", a.start);
                am.send(&Alert::slo_alert(&a, objective.ratio(), &reason));
            }
        }
    }
    let mut last_alert_refresh = Instant::now();
    let mut sigterm = signal(SignalKind::terminate())?;
    let mut sigint = signal(SignalKind::interrupt())?;
    let mut poll = interval(plan.poll.max(Duration::from_millis(10)));
    poll.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut summary = tokio::time::interval_at(
        Instant::now() + plan.summary_every,
        plan.summary_every.max(Duration::from_millis(100)),
    );
    summary.set_missed_tick_behavior(MissedTickBehavior::Delay);

    let stdout = std::io::stdout();
    // A path that matches nothing must not look like a quiet log (SPEC §6).
    for pattern in live.unmatched() {
        eprintln!(
            "faultline: warning: {pattern}: no such file yet; following it as soon as it appears"
        );
    }
    let mut view = LiveView::new(plan.color, &live);
    // The live view draws on the terminal's alternate screen, like `top`, and
    // gives the screen back as it was however the loop ends.
    let screen = (plan.output == TailOutput::Live).then(|| AlternateScreen::enter(&stdout));
    let mut dirty = fresh;
    // "Long ago", so the first poll may checkpoint and draw at once.
    let long_ago = |d: Duration| Instant::now().checked_sub(d).unwrap_or_else(Instant::now);
    let mut last_checkpoint = long_ago(plan.checkpoint_every);
    let mut last_draw = long_ago(Duration::from_secs(10));

    loop {
        tokio::select! {
            _ = poll.tick() => {
                if tokio::task::block_in_place(|| live.poll(now_micros())) > 0 {
                    dirty = true;
                }
                let changes = live.changes(now_micros());
                dirty |= !changes.is_empty();
                if let (true, Some(e)) = (dirty, &exporter) {
                    e.unsaved(now_micros());
                }
                for (change, incident) in changes {
                    let said = Announcement { reason: change.sentence(&incident), incident: &incident };
                    let tagged = tagged(change.event_name(), &said);
                    if let Some(w) = &webhook {
                        w.send(serde_json::to_vec(&tagged)?);
                    }
                    if let Some(am) = &alerts {
                        am.send(&Alert::persistent_5xx(change, &incident, &said.reason));
                    }
                    match plan.output {
                        TailOutput::JsonLines => write_line(&mut stdout.lock(), &tagged)?,
                        TailOutput::Live => view.note(change, &incident),
                    }
                }
                for slo in live.take_slo_changes() {
                    dirty = true;
                    let tagged = tagged(slo.event_name(), &slo);
                    if let Some(w) = &webhook {
                        w.send(serde_json::to_vec(&tagged)?);
                    }
                    if let Some(am) = &alerts {
                        am.send(&Alert::slo_burn(&slo));
                    }
                    match plan.output {
                        TailOutput::JsonLines => write_line(&mut stdout.lock(), &tagged)?,
                        TailOutput::Live => view.note_slo(&slo),
                    }
                }
                // An open incident's alert carries its figures so far, refreshed
                // as often as it is re-sent.
                if let (Some(am), true) = (&alerts, last_alert_refresh.elapsed() >= alertmanager::RESEND) {
                    if let Some(i) = live.open_incident(now_micros()) {
                        am.send(&Alert::persistent_5xx(Change::Opened, &i, &Change::Opened.sentence(&i)));
                    }
                    last_alert_refresh = Instant::now();
                }
                if dirty && last_checkpoint.elapsed() >= plan.checkpoint_every {
                    if let Some(dir) = &plan.state_dir {
                        let state = live.state();
                        match tokio::task::block_in_place(|| checkpoint::write(dir, &state)) {
                            Ok(()) => {
                                dirty = false;
                                if let Some(e) = &exporter {
                                    e.saved();
                                }
                            }
                            // Keep following and alerting; try again next time.
                            Err(e) => tracing::warn!("cannot write the checkpoint in {}: {e}", dir.display()),
                        }
                    } else {
                        dirty = false;
                    }
                    last_checkpoint = Instant::now();
                }
                if plan.output == TailOutput::Live && last_draw.elapsed() >= Duration::from_secs(1) {
                    view.draw(&mut stdout.lock(), &live, now_micros())?;
                    last_draw = Instant::now();
                }
            }
            _ = summary.tick(), if plan.output == TailOutput::JsonLines => {
                let report = live.report();
                let open = live.open_incident(now_micros());
                let open_slo_alerts = plan.slo.map(|_| live.open_slo_alerts());
                write_line(&mut stdout.lock(), &SummaryEvent { event: "summary", emitted_at: format_ts(now_micros()), summary: &report.summary, open_incident: open.as_ref(), open_slo_alerts })?;
            }
            _ = sigterm.recv() => break,
            _ = sigint.recv() => break,
        }
    }

    // Back to the normal screen first: what follows may print an error.
    drop(screen);
    // Read what is still there, so the final report covers every whole line written.
    tokio::task::block_in_place(|| live.poll(now_micros()));
    let mut exit = Exit::Ok;
    if let Some(dir) = &plan.state_dir {
        let state = live.state();
        if let Err(e) = tokio::task::block_in_place(|| checkpoint::write(dir, &state)) {
            eprintln!(
                "faultline: cannot write the checkpoint in {}: {e}",
                dir.display()
            );
            exit = Exit::InputErrors;
        }
    }
    let report = live.report();
    let mut out = stdout.lock();
    match plan.output {
        TailOutput::JsonLines => write_line(&mut out, &tagged("report", &report))?,
        TailOutput::Live => {
            crate::render::table::write(
                &report,
                &crate::render::table::TableOptions {
                    top: 10,
                    color: plan.color,
                    width: super::table_width(),
                },
                &mut out,
            )?;
        }
    }
    drop(out);
    if let Some(w) = webhook {
        w.close(Duration::from_secs(5)).await;
    }
    if let Some(am) = alerts {
        am.close(Duration::from_secs(5)).await;
    }
    Ok(exit)
}

/// The terminal's alternate screen while it lives (`top` does the same):
/// the view's redraws never reach the scrollback, and the screen the user had
/// comes back on exit, even when the loop ends with an error.
struct AlternateScreen<'a> {
    stdout: &'a std::io::Stdout,
}

impl<'a> AlternateScreen<'a> {
    fn enter(stdout: &'a std::io::Stdout) -> Self {
        // Switch to the alternate screen and hide the cursor.
        let _ = write!(stdout.lock(), "\x1b[?1049h\x1b[?25l");
        AlternateScreen { stdout }
    }
}

impl Drop for AlternateScreen<'_> {
    fn drop(&mut self) {
        // Show the cursor and go back to the normal screen.
        let mut out = self.stdout.lock();
        let _ = write!(out, "\x1b[?25h\x1b[?1049l");
        let _ = out.flush();
    }
}

/// The terminal view: redrawn in place about once a second.
struct LiveView {
    color: bool,
    /// The latest incident announcements, newest last.
    notes: Vec<String>,
}

impl LiveView {
    /// A view that already shows what was announced before a restart.
    fn new(color: bool, live: &Live) -> Self {
        let mut view = LiveView {
            color,
            notes: Vec::new(),
        };
        for (change, incident) in live.announcements() {
            view.note(change, &incident);
        }
        view
    }

    fn note(&mut self, change: Change, i: &Incident) {
        let what = match change {
            Change::Opened => "OPENED",
            Change::Closed => "CLOSED",
        };
        self.push(format!("{what} {}", change.sentence(i)));
    }

    fn note_slo(&mut self, c: &crate::live::SloChange) {
        let what = match c.change {
            Change::Opened => "SLO ALERT",
            Change::Closed => "SLO CLEARED",
        };
        self.push(format!("{what} {}", c.reason));
    }

    fn push(&mut self, note: String) {
        self.notes.push(note);
        if self.notes.len() > 5 {
            self.notes.remove(0);
        }
    }

    /// Draws what the live rule sees at `now` (the same periods it announces).
    /// Every string from the logs goes through `printable`: a route or a
    /// message may hold terminal escape sequences.
    fn draw(&self, out: &mut impl Write, live: &Live, now: Micros) -> std::io::Result<()> {
        let report: Report = live.report_at(now);
        let agg = live.aggregate();
        // Clear the screen and go home: the view redraws in place.
        write!(out, "\x1b[H\x1b[2J")?;
        let (label, color) = match report.verdict.level {
            Level::NoData => ("NO DATA", "35"),
            Level::Ok => ("OK", "32"),
            Level::Review => ("REVIEW", "33"),
            Level::Escalate => ("ESCALATE", "1;31"),
        };
        let reason = printable(&report.verdict.reason);
        if self.color {
            writeln!(out, "\x1b[{color}m{label}\x1b[0m  {reason}")?;
        } else {
            writeln!(out, "{label}  {reason}")?;
        }
        // Error rate over the last five buckets with data.
        let mut recent: Vec<(&i64, &crate::aggregate::BucketStats)> = agg.buckets.iter().collect();
        recent.sort_by_key(|(i, _)| std::cmp::Reverse(**i));
        let (req, e5, e4) = recent.iter().take(5).fold((0, 0, 0), |(r, a, b), (_, s)| {
            (r + s.requests, a + s.errors_5xx, b + s.errors_4xx)
        });
        writeln!(
            out,
            "\n{} requests so far; last 5 buckets: {} requests, 5xx {}, 4xx {}",
            report.summary.requests,
            req,
            percent(e5, req),
            percent(e4, req)
        )?;
        // The same period the verdict above describes and the announcements
        // speak of, so the figures agree.
        match report.incidents.iter().rev().find(|i| i.ongoing) {
            Some(i) => writeln!(
                out,
                "OPEN INCIDENT since {}: {} of {} requests 5xx ({})",
                i.start,
                i.errors_5xx,
                i.requests,
                percent(i.errors_5xx, i.requests)
            )?,
            None => writeln!(out, "No open incident.")?,
        }
        for pattern in live.unmatched() {
            writeln!(out, "WAITING for {}: no such file yet", printable(pattern))?;
        }
        writeln!(out, "\nTop errors")?;
        for e in report.errors.iter().take(5) {
            writeln!(
                out,
                "  {:>7}  {} {} {}",
                e.count,
                printable(e.error_type.as_deref().unwrap_or("-")),
                printable(e.code.as_deref().unwrap_or("-")),
                printable(e.param.as_deref().unwrap_or(""))
            )?;
        }
        if !self.notes.is_empty() {
            writeln!(out, "\nRecent announcements")?;
            for n in &self.notes {
                writeln!(out, "  {}", printable(n))?;
            }
        }
        writeln!(
            out,
            "\n(Ctrl-C writes the checkpoint and prints the final report)"
        )?;
        out.flush()
    }
}
