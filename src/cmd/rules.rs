//! `faultline rules`: the Prometheus rule file on stdout.

use super::{Exit, Failure};
use crate::cli::RulesArgs;
use crate::plan;
use anyhow::Context;
use std::io::{BufWriter, Write};

pub(crate) fn run(args: &RulesArgs) -> Result<Exit, Failure> {
    let plan = plan::rules(args).map_err(Failure::usage)?;
    let mut out = BufWriter::new(std::io::stdout().lock());
    crate::rules::write(&plan.detect, plan.slo, &mut out)
        .and_then(|()| out.flush())
        .context("cannot write the rules")?;
    Ok(Exit::Ok)
}
