//! `faultline analyze`: plan → engine → report → render, with a progress
//! bar on a terminal and per-input errors on stderr.

use super::{Exit, Failure};
use crate::cli::AnalyzeArgs;
use crate::engine;
use crate::plan::{self, AnalyzePlan, Env, Output};
use crate::render::{self, table::TableOptions};
use crate::report::{self, Level, Report};
use anyhow::Context;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::{BufWriter, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

pub(crate) fn run(args: &AnalyzeArgs) -> Result<Exit, Failure> {
    let plan = plan::analyze(args, &Env::current()).map_err(Failure::usage)?;
    tracing::info!(
        inputs = plan.sources.len(),
        threads = plan.threads,
        "analyze"
    );
    let report = analyze(&plan);
    for e in &report.summary.input_errors {
        eprintln!("faultline: {}: {}", e.path, e.error);
    }
    match &plan.out {
        // Created only now, after the run: a file that cannot be created is
        // an output that cannot be written after work began (exit 1, SPEC §3).
        Some(path) => {
            let file = std::fs::File::create(path)
                .with_context(|| format!("{}: cannot create", path.display()))?;
            write_report(&plan, &report, file)
                .with_context(|| format!("{}: cannot write the report", path.display()))?;
        }
        None => write_report(&plan, &report, std::io::stdout().lock())
            .context("cannot write the report")?,
    }
    Ok(exit_of(&plan, &report))
}

fn write_report(plan: &AnalyzePlan, report: &Report, sink: impl Write) -> std::io::Result<()> {
    let mut out = BufWriter::new(sink);
    match plan.output {
        Output::Markdown => render::markdown::write(report, plan.top, &mut out)?,
        Output::Html => render::html::write(report, &mut out)?,
        Output::Json => render::json::write(report, &mut out)?,
        Output::Csv(table) => render::csv::write(report, table, &mut out)?,
        Output::Table => {
            let opts = TableOptions {
                top: plan.top,
                color: plan.color,
                width: super::table_width(),
            };
            render::table::write(report, &opts, &mut out)?;
        }
    }
    out.flush()
}

/// Runs the engine and builds the report, with a progress bar if asked for.
pub(crate) fn analyze(plan: &AnalyzePlan) -> Report {
    let bytes_read = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let bar = plan
        .progress
        .then(|| spawn_progress(plan, bytes_read.clone(), done.clone()));
    let (agg, outcomes) = engine::aggregate(
        &plan.sources,
        &plan.parse,
        plan.agg,
        plan.threads,
        plan.blocks,
        bytes_read,
    );
    done.store(true, Ordering::Relaxed);
    if let Some(handle) = bar {
        let _ = handle.join();
    }
    let mut report = report::build(&agg, &outcomes, &plan.detect);
    report.slo = plan.slo.map(|o| report::slo(&agg, o));
    report
}

fn exit_of(plan: &AnalyzePlan, report: &Report) -> Exit {
    if plan.exit_code && report.verdict.level == Level::Escalate {
        Exit::Escalate
    } else if plan.exit_code && report.verdict.level == Level::NoData {
        Exit::NoData
    } else if !report.summary.input_errors.is_empty() {
        Exit::InputErrors
    } else {
        Exit::Ok
    }
}

/// Draws bytes read of the total size on disk, with rate and ETA, on stderr.
fn spawn_progress(
    plan: &AnalyzePlan,
    bytes_read: Arc<AtomicU64>,
    done: Arc<AtomicBool>,
) -> std::thread::JoinHandle<()> {
    let total: Option<u64> = plan
        .sources
        .iter()
        .map(|s| {
            s.path()
                .and_then(|p| std::fs::metadata(p).ok())
                .map(|m| m.len())
        })
        .sum();
    std::thread::spawn(move || {
        let bar = match total {
            Some(t) => ProgressBar::with_draw_target(Some(t), ProgressDrawTarget::stderr()),
            None => ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()),
        };
        let template = if total.is_some() {
            "{wide_bar} {bytes}/{total_bytes} {bytes_per_sec} ETA {eta}"
        } else {
            "{spinner} {bytes} {bytes_per_sec}"
        };
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style);
        }
        while !done.load(Ordering::Relaxed) {
            bar.set_position(bytes_read.load(Ordering::Relaxed));
            std::thread::sleep(Duration::from_millis(100));
        }
        bar.finish_and_clear();
    })
}
