//! `faultline query` with Polars: plan → SQL checked → events spilled to
//! disk → SQL on the streaming engine → sink (CSV, Parquet) or render (table,
//! JSON).

use super::super::{Exit, Failure};
use crate::cli::QueryArgs;
use crate::plan::{self, Env, QueryInput, QueryOutput};
use crate::render::frame;
use crate::sql::{self, COLUMNS, SHIPPED};
use anyhow::Context;
use polars::prelude::*;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

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
    let sql_failed = |e: PolarsError| {
        Failure::Usage(anyhow::anyhow!(
            "{}: the SQL failed: {e}\ntable `events` has columns: {}",
            plan.query_name,
            COLUMNS.join(", ")
        ))
    };
    // Planned over an empty `events` first: SQL that Polars rejects or that
    // names unknown columns is a usage error before any log is read.
    sql::check_sql(&plan.sql).map_err(sql_failed)?;
    // The events go to Parquet files in a temporary directory, removed when
    // `spilled` drops, on every return below.
    let (spilled, outcomes) = match &plan.input {
        QueryInput::Logs(sources) => {
            sql::spill_events(sources, &plan.parse, plan.threads, plan.blocks)?
        }
        QueryInput::Dataset { files, rows } => {
            (sql::SpilledEvents::over_dataset(files, *rows)?, Vec::new())
        }
    };
    tracing::info!(rows = spilled.rows(), "events spilled");
    let query = sql::plan_sql(spilled.events(), &plan.sql).map_err(sql_failed)?;
    // CSV and Parquet stream into a file beside the spill, copied to the
    // output afterwards: the result is never whole in memory, and `--out` is
    // still only created once the query ran (below). A table and JSON (one
    // array) are written from the collected result.
    let result = match plan.output {
        QueryOutput::Csv | QueryOutput::Parquet => {
            let csv = plan.output == QueryOutput::Csv;
            let (name, format) = if csv {
                ("result.csv", frame::csv_format())
            } else {
                ("result.parquet", frame::parquet_format())
            };
            let path = spilled.dir().join(name);
            sql::sink(query, &path, format).map_err(sql_failed)?;
            let empty = if csv {
                csv_is_header_only(&path)?
            } else {
                let file = std::fs::File::open(&path)
                    .with_context(|| format!("{}: cannot open", path.display()))?;
                ParquetReader::new(file).num_rows()? == 0
            };
            Computed::File(path, empty)
        }
        QueryOutput::Table => Computed::Table(sql::collect(query).map_err(sql_failed)?),
        QueryOutput::Json => Computed::Json(sql::collect(query).map_err(sql_failed)?),
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
    let empty = match result {
        Computed::Table(mut df) | Computed::Json(mut df) => {
            let as_table = matches!(plan.output, QueryOutput::Table);
            write_result(&mut df, as_table, sink)
                .with_context(|| format!("cannot write the result to {what}"))?;
            df.height() == 0
        }
        Computed::File(path, empty) => {
            copy_file(&path, sink).with_context(|| format!("cannot write the result to {what}"))?;
            empty
        }
    };
    if empty {
        let empty = empty_columns(spilled.events(), spilled.rows(), &plan.sql)?;
        // On stderr: the result itself (a header, an empty array) stays what scripts expect.
        eprintln!("faultline: note: {}", empty_note(spilled.rows(), &empty));
    }
    Ok(if errors.is_empty() {
        Exit::Ok
    } else {
        Exit::InputErrors
    })
}

/// A query's result: rows in memory (to write as a table or as JSON), or a
/// file it was streamed into (and whether it has no rows).
enum Computed {
    Table(DataFrame),
    Json(DataFrame),
    File(PathBuf, bool),
}

/// Whether a CSV result holds its header line and nothing else: no rows.
/// (Column names are SQL names or aliases, so the header is one line.)
fn csv_is_header_only(path: &Path) -> anyhow::Result<bool> {
    use std::io::BufRead;
    let mut file = std::io::BufReader::new(std::fs::File::open(path)?);
    let mut header = Vec::new();
    file.read_until(b'\n', &mut header)?;
    Ok(file.fill_buf()?.is_empty())
}

/// Copies the file `path` to `sink`.
fn copy_file(path: &Path, sink: Box<dyn Write>) -> anyhow::Result<()> {
    let mut out = KeepIoError {
        inner: sink,
        error: None,
    };
    let mut file = std::fs::File::open(path)?;
    let copied = std::io::copy(&mut file, &mut out).and_then(|_| out.flush());
    copied.map_err(|e| match out.error.take() {
        Some(io) => io.into(),
        None => e.into(),
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

/// The optional columns `sql` names that are null in every row of `events`
/// (`rows` rows). Only asked when a result is empty: it reads those columns.
fn empty_columns(events: LazyFrame, rows: u64, sql: &str) -> PolarsResult<Vec<&'static str>> {
    let words: Vec<String> = sql
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .map(str::to_ascii_lowercase)
        .collect();
    let named: Vec<&'static str> = OPTIONAL_COLUMNS
        .iter()
        .map(|(name, _)| *name)
        .filter(|name| words.iter().any(|w| w == name))
        .collect();
    if rows == 0 || named.is_empty() {
        return Ok(Vec::new());
    }
    let nulls = sql::collect(
        events.select(
            named
                .iter()
                .map(|n| col(*n).null_count().cast(DataType::UInt64))
                .collect::<Vec<_>>(),
        ),
    )?;
    Ok(named
        .into_iter()
        .filter(|name| {
            nulls
                .column(name)
                .and_then(|c| c.get(0).map(|v| v.extract::<u64>()))
                .is_ok_and(|n| n == Some(rows))
        })
        .collect())
}

/// Why a result has no rows, as far as the events tell: `no rows; column
/// duration_ms is empty in these logs (their format does not record durations)`.
fn empty_note(events_read: u64, empty_columns: &[&str]) -> String {
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
    as_table: bool,
    sink: Box<dyn Write>,
) -> anyhow::Result<()> {
    let mut out = BufWriter::new(KeepIoError {
        inner: sink,
        error: None,
    });
    let mut write = || -> anyhow::Result<()> {
        if as_table {
            frame::table(result, super::super::columns_env(), &mut out)?;
        } else {
            frame::json(result, &mut out)?;
            writeln!(out)?;
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
        let empty = |df: DataFrame, sql: &str| {
            let rows = df.height() as u64;
            empty_columns(df.lazy(), rows, sql).unwrap()
        };
        assert_eq!(empty(events(), sql), ["duration_ms"]);
        assert_eq!(
            empty(events(), "select ERROR_CODE, Duration_ms from events"),
            ["duration_ms", "error_code"]
        );
        // A name inside another word is not the column.
        assert!(empty(events(), "SELECT duration_msx, my_client FROM events").is_empty());
        assert!(empty(events().head(Some(0)), "SELECT duration_ms FROM events").is_empty());
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
