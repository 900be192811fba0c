//! `faultline analyze`: plan → engine → report → render, with a progress
//! bar on a terminal and per-input errors on stderr.

use super::{Exit, Failure};
use crate::aggregate::Aggregate;
use crate::cli::AnalyzeArgs;
use crate::engine::{self, InputOutcome};
use crate::periods::DetectConfig;
use crate::plan::{self, AnalyzePlan, Env, Output};
use crate::render::{self, table::TableOptions};
use crate::report::{self, Level, Report};
use crate::slo::Objective;
use crate::state::SavedState;
use anyhow::Context;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

pub(crate) fn run(args: &AnalyzeArgs) -> Result<Exit, Failure> {
    let plan = plan::analyze(args, &Env::current()).map_err(Failure::usage)?;
    tracing::info!(
        inputs = plan.sources.len(),
        threads = plan.threads,
        "analyze"
    );
    let (agg, outcomes) = analyze(&plan);
    conclude(
        agg,
        &outcomes,
        &Conclusion {
            detect: &plan.detect,
            slo: plan.slo,
            save_state: plan.save_state.as_deref(),
            view: View {
                output: plan.output,
                top: plan.top,
                color: plan.color,
            },
            out: plan.out.as_deref(),
            exit_code: plan.exit_code,
        },
    )
}

/// What `analyze` and `merge` do with the merged aggregate.
pub(crate) struct Conclusion<'a> {
    pub(crate) detect: &'a DetectConfig,
    pub(crate) slo: Option<Objective>,
    pub(crate) save_state: Option<&'a Path>,
    pub(crate) view: View,
    pub(crate) out: Option<&'a Path>,
    pub(crate) exit_code: bool,
}

/// The report (with the SLO replay when asked), input errors on stderr, the
/// state when asked, the output, and the exit code.
pub(crate) fn conclude(
    agg: Aggregate,
    outcomes: &[InputOutcome],
    c: &Conclusion<'_>,
) -> Result<Exit, Failure> {
    let mut report = report::build(&agg, outcomes, c.detect);
    report.slo = c.slo.map(|o| report::slo(&agg, o));
    for e in &report.summary.input_errors {
        eprintln!("faultline: {}: {}", e.path, e.error);
    }
    if let Some(path) = c.save_state {
        SavedState::new(agg, outcomes, c.detect)
            .save(path)
            .with_context(|| format!("{}: cannot write the state", path.display()))?;
    }
    emit(&c.view, &report, c.out)?;
    Ok(exit_of(c.exit_code, &report))
}

/// How a report is shown: what `analyze` and `merge` share.
pub(crate) struct View {
    pub(crate) output: Output,
    pub(crate) top: usize,
    pub(crate) color: bool,
}

/// Writes the report to `out`, or stdout.
pub(crate) fn emit(view: &View, report: &Report, out: Option<&Path>) -> Result<(), Failure> {
    match out {
        // Created only now, after the run: a file that cannot be created is
        // an output that cannot be written after work began (exit 1, SPEC §3).
        Some(path) => {
            let file = std::fs::File::create(path)
                .with_context(|| format!("{}: cannot create", path.display()))?;
            write_report(view, report, file)
                .with_context(|| format!("{}: cannot write the report", path.display()))?;
        }
        None => write_report(view, report, std::io::stdout().lock())
            .context("cannot write the report")?,
    }
    Ok(())
}

fn write_report(view: &View, report: &Report, sink: impl Write) -> std::io::Result<()> {
    let mut out = BufWriter::new(sink);
    match view.output {
        Output::Markdown => render::markdown::write(report, view.top, &mut out)?,
        Output::Html => render::html::write(report, &mut out)?,
        Output::Json => render::json::write(report, &mut out)?,
        Output::Csv(table) => render::csv::write(report, table, &mut out)?,
        Output::Table => {
            let opts = TableOptions {
                top: view.top,
                color: view.color,
                width: super::table_width(),
            };
            render::table::write(report, &opts, &mut out)?;
        }
    }
    out.flush()
}

/// Runs the engine, with a progress bar if asked for.
pub(crate) fn analyze(plan: &AnalyzePlan) -> (Aggregate, Vec<InputOutcome>) {
    let bytes_read = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let bar = plan
        .progress
        .then(|| super::progress::spawn(&plan.sources, bytes_read.clone(), done.clone()));
    let run = engine::aggregate(
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
    run
}

pub(crate) fn exit_of(exit_code: bool, report: &Report) -> Exit {
    if exit_code && report.verdict.level == Level::Escalate {
        Exit::Escalate
    } else if exit_code && report.verdict.level == Level::NoData {
        Exit::NoData
    } else if !report.summary.input_errors.is_empty() {
        Exit::InputErrors
    } else {
        Exit::Ok
    }
}
