//! `faultline query`: plan → events frame → Polars SQL → render. Polars is
//! behind the cargo feature `query` (on by default); without it the command
//! says how to get it.

use super::Exit;
use crate::cli::QueryArgs;
#[cfg(feature = "query")]
use crate::plan::{self, Env, PlanError, QueryOutput};
#[cfg(feature = "query")]
use crate::render::frame;
#[cfg(feature = "query")]
use crate::sql::{self, COLUMNS, SHIPPED};
#[cfg(feature = "query")]
use std::io::{BufWriter, Write};

#[cfg(not(feature = "query"))]
pub(crate) fn run(_args: &QueryArgs) -> anyhow::Result<Exit> {
    eprintln!(
        "faultline: error: this faultline was built without `query` (Polars); \
         rebuild with the default features: cargo install --path . (or --features query)"
    );
    Ok(Exit::Usage)
}

#[cfg(feature = "query")]
pub(crate) fn run(args: &QueryArgs) -> anyhow::Result<Exit> {
    if args.list {
        let stdout = std::io::stdout();
        let mut out = stdout.lock();
        let width = SHIPPED.iter().map(|q| q.name.len()).max().unwrap_or(0);
        for q in SHIPPED {
            writeln!(out, "{:width$}  {}", q.name, q.description())?;
        }
        return Ok(Exit::Ok);
    }
    let plan = match plan::query(args, &Env::current()) {
        Ok(p) => p,
        Err(e @ (PlanError::Usage(_) | PlanError::Input(_))) => {
            eprintln!("faultline: error: {e}");
            return Ok(Exit::Usage);
        }
    };
    let (events, outcomes) =
        sql::events_frame(&plan.sources, &plan.parse, plan.threads, plan.blocks)?;
    tracing::info!(rows = events.height(), "events frame built");
    let mut result = match sql::run_sql(events, &plan.sql) {
        Ok(df) => df,
        Err(e) => {
            eprintln!(
                "faultline: error: {}: the SQL failed: {e}\ntable `events` has columns: {}",
                plan.query_name,
                COLUMNS.join(", ")
            );
            return Ok(Exit::Usage);
        }
    };
    let errors: Vec<String> = outcomes
        .iter()
        .filter_map(|o| {
            o.error
                .as_ref()
                .map(|e| format!("{}: {e}", o.source.display_name()))
        })
        .collect();
    for e in &errors {
        eprintln!("faultline: {e}");
    }

    let sink: Box<dyn Write> = match &plan.out {
        Some(path) => Box::new(
            std::fs::File::create(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?,
        ),
        None => Box::new(std::io::stdout().lock()),
    };
    let mut out = BufWriter::new(sink);
    match plan.output {
        QueryOutput::Table => frame::table(&result, super::columns_env(), &mut out)?,
        QueryOutput::Csv => frame::csv(&mut result, &mut out)?,
        QueryOutput::Json => {
            frame::json(&mut result, &mut out)?;
            writeln!(out)?;
        }
        QueryOutput::Parquet => frame::parquet(&mut result, &mut out)?,
    }
    out.flush()?;
    Ok(if errors.is_empty() {
        Exit::Ok
    } else {
        Exit::InputErrors
    })
}
