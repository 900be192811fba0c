//! `faultline merge`: saved states → one merged aggregate → the report one
//! `analyze` over all their inputs would print (SPEC §9).

use super::analyze::{emit, exit_of, View};
use super::{Exit, Failure};
use crate::cli::MergeArgs;
use crate::plan::{self, Env};
use crate::report;
use crate::state::{self, SavedState};
use anyhow::Context;

pub(crate) fn run(args: &MergeArgs) -> Result<Exit, Failure> {
    let plan = plan::merge(args, &Env::current()).map_err(Failure::usage)?;
    // Every state is read and checked before anything is printed: a damaged
    // one, or one made with other settings, is a usage error (exit 2).
    let mut states = Vec::with_capacity(plan.states.len());
    for path in &plan.states {
        let s = SavedState::load(path).map_err(Failure::usage)?;
        states.push((path.clone(), s));
    }
    let merged = state::merge(states).map_err(Failure::usage)?;
    let mut report = report::build(&merged.aggregate, &merged.outcomes, &merged.detect);
    report.slo = plan.slo.map(|o| report::slo(&merged.aggregate, o));
    if let Some(path) = &plan.save_state {
        SavedState::new(merged.aggregate, &merged.outcomes, &merged.detect)
            .save(path)
            .with_context(|| format!("{}: cannot write the state", path.display()))?;
    }
    let view = View {
        output: plan.output,
        top: plan.top,
        color: plan.color,
    };
    emit(&view, &report, plan.out.as_deref())?;
    Ok(exit_of(plan.exit_code, &report))
}
