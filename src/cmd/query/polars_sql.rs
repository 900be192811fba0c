//! `faultline query` with Polars: plan → events frame → Polars SQL → render.

use super::super::{Exit, Failure};
use crate::cli::QueryArgs;
use crate::plan::{self, Env, QueryOutput};
use crate::render::frame;
use crate::sql::{self, COLUMNS, SHIPPED};
use anyhow::Context;
use std::io::{BufWriter, Write};

pub(crate) fn run(args: &QueryArgs) -> Result<Exit, Failure> {
    if args.list {
        let stdout = std::io::stdout();
        let mut out = stdout.lock();
        let width = SHIPPED.iter().map(|q| q.name.len()).max().unwrap_or(0);
        for q in SHIPPED {
            writeln!(out, "{:width$}  {}", q.name, q.description())
                .context("cannot write the list")?;
        }
        return Ok(Exit::Ok);
    }
    let plan = plan::query(args, &Env::current()).map_err(Failure::usage)?;
    let (events, outcomes) =
        sql::events_frame(&plan.sources, &plan.parse, plan.threads, plan.blocks)?;
    tracing::info!(rows = events.height(), "events frame built");
    let mut result = match sql::run_sql(events, &plan.sql) {
        Ok(df) => df,
        Err(e) => {
            return Err(Failure::Usage(anyhow::anyhow!(
                "{}: the SQL failed: {e}\ntable `events` has columns: {}",
                plan.query_name,
                COLUMNS.join(", ")
            )))
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

    // `--out` is created only now, after the query ran: a file that cannot be
    // created is an output that cannot be written after work began (exit 1,
    // SPEC §3), and an existing file is not emptied by a query that fails.
    let (sink, what): (Box<dyn Write>, String) = match &plan.out {
        Some(path) => (
            Box::new(
                std::fs::File::create(path)
                    .with_context(|| format!("{}: cannot create", path.display()))?,
            ),
            path.display().to_string(),
        ),
        None => (Box::new(std::io::stdout().lock()), "stdout".to_owned()),
    };
    write_result(&mut result, plan.output, sink)
        .with_context(|| format!("cannot write the result to {what}"))?;
    Ok(if errors.is_empty() {
        Exit::Ok
    } else {
        Exit::InputErrors
    })
}

fn write_result(
    result: &mut polars::prelude::DataFrame,
    output: QueryOutput,
    sink: Box<dyn Write>,
) -> anyhow::Result<()> {
    let mut out = BufWriter::new(KeepIoError {
        inner: sink,
        error: None,
    });
    let mut write = || -> anyhow::Result<()> {
        match output {
            QueryOutput::Table => frame::table(result, super::super::columns_env(), &mut out)?,
            QueryOutput::Csv => frame::csv(result, &mut out)?,
            QueryOutput::Json => {
                frame::json(result, &mut out)?;
                writeln!(out)?;
            }
            QueryOutput::Parquet => frame::parquet(result, &mut out)?,
        }
        out.flush()?;
        Ok(())
    };
    let written = write();
    // The sink's own error is the cause: Polars wraps it (the Parquet writer
    // keeps only its text), which would hide a closed pipe.
    written.map_err(|e| match out.get_mut().error.take() {
        Some(io) => io.into(),
        None => e,
    })
}

/// A writer that keeps a copy of the first I/O error it returned.
struct KeepIoError<W> {
    inner: W,
    error: Option<std::io::Error>,
}

impl<W> KeepIoError<W> {
    fn keep<T>(&mut self, r: std::io::Result<T>) -> std::io::Result<T> {
        if let (Err(e), None) = (&r, &self.error) {
            self.error = Some(match e.raw_os_error() {
                Some(code) => std::io::Error::from_raw_os_error(code),
                None => std::io::Error::new(e.kind(), e.to_string()),
            });
        }
        r
    }
}

impl<W: Write> Write for KeepIoError<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let r = self.inner.write(buf);
        self.keep(r)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let r = self.inner.flush();
        self.keep(r)
    }
}
