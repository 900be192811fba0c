//! `faultline export`: plan → [`crate::export::run`] → a summary of what
//! the dataset gained, on stdout (it is the command's result); skipped and
//! failed inputs on stderr.

use super::{Exit, Failure};
use crate::cli::ExportArgs;

#[cfg(not(feature = "query"))]
pub(crate) fn run(_args: &ExportArgs) -> Result<Exit, Failure> {
    Err(Failure::usage(anyhow::anyhow!(
        "this faultline was built without `query` (Polars), which writes Parquet; rebuild it \
         with the default features: cargo install --path . (or --features query)"
    )))
}

#[cfg(feature = "query")]
pub(crate) fn run(args: &ExportArgs) -> Result<Exit, Failure> {
    use crate::export::{self, ExportJob};
    use crate::plan::{self, Env};
    use std::io::Write;
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    use std::sync::Arc;

    let plan = plan::export(args, &Env::current()).map_err(Failure::usage)?;
    let bytes_read = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let bar = plan
        .progress
        .then(|| super::progress::spawn(&plan.sources, bytes_read.clone(), done.clone()));
    let job = ExportJob {
        sources: &plan.sources,
        parse: &plan.parse,
        threads: plan.threads,
        blocks: plan.blocks,
        dest: &plan.dest,
        bytes_read,
        pause_before_commit: plan.pause_before_commit.clone(),
    };
    // A damaged manifest, or a dataset another export holds: nothing was
    // done, like a usage error (SPEC §3). Anything after fails part-way.
    let opened = export::open(&plan.dest).map_err(Failure::Usage)?;
    let result = export::run(&job, opened);
    done.store(true, Ordering::Relaxed);
    if let Some(handle) = bar {
        let _ = handle.join();
    }
    let outcome = result?;

    for (name, run) in &outcome.skipped {
        eprintln!("faultline: skipped {name}: already in the dataset (export {run})");
    }
    for (name, from) in &outcome.appended {
        eprintln!(
            "faultline: {name}: grew since it was exported; adding the lines after line {from}"
        );
    }
    let mut errors = 0;
    for o in &outcome.outcomes {
        if let Some(why) = &o.skipped {
            eprintln!("faultline: skipped {}: {why}", o.source.display_name());
        }
        if let Some(e) = &o.error {
            eprintln!("faultline: {}: {e}", o.source.display_name());
            errors += 1;
        }
    }
    if outcome.swept > 0 {
        eprintln!(
            "faultline: removed {} file(s) an interrupted export had left in {}",
            outcome.swept, plan.dest
        );
    }
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{}: {} events from {} input(s) in {} new file(s), {:.1} MB; {} input(s) already there",
        plan.dest,
        outcome.rows,
        outcome.read,
        outcome.files,
        outcome.bytes_written as f64 / 1e6,
        outcome.skipped.len()
    )
    .map_err(anyhow::Error::from)?;
    Ok(if errors > 0 {
        Exit::InputErrors
    } else {
        Exit::Ok
    })
}
