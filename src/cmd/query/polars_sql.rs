//! `faultline query` with Polars: plan → events frame → Polars SQL → render.

use super::super::{Exit, Failure};
use crate::cli::QueryArgs;
use crate::plan::{self, Env, QueryOutput};
use crate::render::frame;
use crate::sql::{self, COLUMNS, SHIPPED};
use anyhow::Context;
use polars::prelude::DataFrame;
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
    let empty_columns = empty_columns(&events, &plan.sql);
    let events_read = events.height();
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
    for o in &outcomes {
        if let Some(why) = &o.skipped {
            eprintln!("faultline: skipped {}: {why}", o.source.display_name());
        }
    }
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
    if result.height() == 0 {
        // On stderr: the result itself (a header, an empty array) stays what scripts expect.
        eprintln!(
            "faultline: note: {}",
            empty_note(events_read, &empty_columns)
        );
    }
    Ok(if errors.is_empty() {
        Exit::Ok
    } else {
        Exit::InputErrors
    })
}

/// Columns a log format may not record, and why they would be empty.
const OPTIONAL_COLUMNS: &[(&str, &str)] = &[
    ("duration_ms", "their format does not record durations"),
    ("client", "their format does not record client addresses"),
    ("user_agent", "their format does not record user agents"),
    ("bytes", "their format does not record response sizes"),
    ("error_type", "no response body held an API error"),
    ("error_code", "no response body held an API error"),
    ("error_param", "no response body held an API error param"),
    ("error_message", "no response body held an API error"),
];

/// The optional columns `sql` names that are null in every row of `events`.
fn empty_columns(events: &DataFrame, sql: &str) -> Vec<&'static str> {
    let words: Vec<String> = sql
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .map(str::to_ascii_lowercase)
        .collect();
    OPTIONAL_COLUMNS
        .iter()
        .map(|(name, _)| *name)
        .filter(|name| words.iter().any(|w| w == name))
        .filter(|name| {
            events
                .column(name)
                .is_ok_and(|c| events.height() > 0 && c.null_count() == events.height())
        })
        .collect()
}

/// Why a result has no rows, as far as the events tell: `no rows; column
/// duration_ms is empty in these logs (their format does not record durations)`.
fn empty_note(events_read: usize, empty_columns: &[&str]) -> String {
    if events_read == 0 {
        return "no rows; the inputs hold no requests".to_owned();
    }
    // Columns empty for the same reason are named together.
    let mut groups: Vec<(&str, Vec<&str>)> = Vec::new();
    for name in empty_columns {
        let why = OPTIONAL_COLUMNS
            .iter()
            .find(|(n, _)| n == name)
            .map_or("", |(_, why)| *why);
        match groups.iter_mut().find(|(w, _)| *w == why) {
            Some((_, names)) => names.push(name),
            None => groups.push((why, vec![name])),
        }
    }
    let mut note = "no rows".to_owned();
    for (i, (why, names)) in groups.iter().enumerate() {
        let (column, is) = if names.len() == 1 {
            ("column", "is")
        } else {
            ("columns", "are")
        };
        let in_these = if i == 0 { " in these logs" } else { "" };
        note.push_str(&format!(
            "; {column} {} {is} empty{in_these} ({why})",
            names.join(", ")
        ));
    }
    note
}

fn write_result(
    result: &mut DataFrame,
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

#[cfg(test)]
mod tests {
    use super::*;
    use polars::prelude::*;

    fn events() -> DataFrame {
        df!(
            "status" => [200u16, 503],
            "duration_ms" => [None::<f64>, None],
            "client" => [Some("10.0.0.1"), None],
            "error_code" => [None::<&str>, None],
        )
        .unwrap()
    }

    #[test]
    fn columns_the_sql_names_that_are_null_in_every_row() {
        let sql =
            "SELECT route, QUANTILE_CONT(duration_ms, 0.5) FROM events WHERE client IS NOT NULL";
        assert_eq!(empty_columns(&events(), sql), ["duration_ms"]);
        assert_eq!(
            empty_columns(&events(), "select ERROR_CODE, Duration_ms from events"),
            ["duration_ms", "error_code"]
        );
        // A name inside another word is not the column.
        assert!(empty_columns(&events(), "SELECT duration_msx, my_client FROM events").is_empty());
        assert!(
            empty_columns(&events().head(Some(0)), "SELECT duration_ms FROM events").is_empty()
        );
    }

    #[test]
    fn the_note_names_the_empty_columns() {
        assert_eq!(empty_note(5, &[]), "no rows");
        assert_eq!(
            empty_note(5, &["duration_ms"]),
            "no rows; column duration_ms is empty in these logs (their format does not record durations)"
        );
        assert_eq!(
            empty_note(5, &["duration_ms", "error_code"]),
            "no rows; column duration_ms is empty in these logs (their format does not record \
             durations); column error_code is empty (no response body held an API error)"
        );
        assert_eq!(
            empty_note(0, &["duration_ms"]),
            "no rows; the inputs hold no requests"
        );
    }
}
