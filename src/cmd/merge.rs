//! `faultline merge`: saved states → one merged aggregate → the report one
//! `analyze` over all their inputs would print (SPEC §9).

use super::analyze::{conclude, Conclusion, View};
use super::{Exit, Failure};
use crate::cli::MergeArgs;
use crate::plan::{self, Env};
use crate::state;

pub(crate) fn run(args: &MergeArgs) -> Result<Exit, Failure> {
    let plan = plan::merge(args, &Env::current()).map_err(Failure::usage)?;
    // Every state is read and checked before anything is printed: a damaged
    // one, or one made with other settings, is a usage error (exit 2).
    let merged = state::merge_files(&plan.states).map_err(Failure::usage)?;
    conclude(
        merged.aggregate,
        &merged.outcomes,
        &Conclusion {
            detect: &merged.detect,
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
