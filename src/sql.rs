//! `faultline query`: parsed events as a Polars DataFrame (the SPEC §4
//! schema) registered as table `events` in a Polars SQL context.
//!
//! The frame is built column by column as lines stream in: each engine
//! worker owns a [`FrameBuilder`] (an engine [`Sink`]) that appends values
//! straight into Arrow buffers and closes a chunk at the end of every block
//! (or every [`BATCH`] rows). The chunks, tagged with their source and block,
//! are put back in input order at the end, so memory holds the columns and
//! nothing else — no vector of events — and every core parses.

use crate::engine::{self, Blocks, InputOutcome, Numbering, Sink};
use crate::event::{status_class, Body, Event};
use crate::input::Source;
use crate::parse::{Malformed, ParseOptions};
use crate::route;
use polars::prelude::*;
use polars::sql::SQLContext;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

/// Rows per chunk at most.
pub(crate) const BATCH: usize = 64 * 1024;

/// Rows a chunk's builders are sized for at first.
const CHUNK_CAPACITY: usize = 4 * 1024;

/// The columns of table `events`, in order.
pub(crate) const COLUMNS: &[&str] = &[
    "ts",
    "source",
    "line",
    "client",
    "method",
    "path",
    "route",
    "status",
    "status_class",
    "bytes",
    "duration_ms",
    "user_agent",
    "error_type",
    "error_code",
    "error_param",
    "error_message",
    "upstream_status",
    "request_id",
];

/// A query shipped in `queries/`, embedded in the binary.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Shipped {
    pub(crate) name: &'static str,
    pub(crate) sql: &'static str,
}

macro_rules! shipped {
    ($($name:literal),* $(,)?) => {
        &[$(Shipped { name: $name, sql: include_str!(concat!("../queries/", $name, ".sql")) }),*]
    };
}

/// Every query in `queries/`, by name (the file name without `.sql`).
pub(crate) static SHIPPED: &[Shipped] = shipped![
    "top-error-codes",
    "errors-by-param",
    "5xx-by-route-per-minute",
    "429-by-client",
    "slowest-routes",
    "hourly-error-rate",
    "new-error-codes",
    "top-messages-per-code",
];

impl Shipped {
    pub(crate) fn find(name: &str) -> Option<&'static Shipped> {
        let name = name.strip_suffix(".sql").unwrap_or(name);
        SHIPPED.iter().find(|q| q.name == name)
    }

    /// The first comment line: what the query answers.
    pub(crate) fn description(&self) -> &'static str {
        self.sql
            .lines()
            .find_map(|l| l.trim().strip_prefix("--"))
            .map_or("", str::trim)
    }
}

/// Builds the `events` frame of the blocks one worker parses.
pub(crate) struct FrameBuilder {
    /// Display name of every source, by index.
    source_names: Arc<[String]>,
    rows: usize,
    /// Finished chunks: (source, block, rows with provisional line numbers).
    chunks: Vec<(u32, u64, DataFrame)>,
    cols: Columns,
    scratch_route: String,
}

struct Columns {
    ts: PrimitiveChunkedBuilder<Int64Type>,
    source: StringChunkedBuilder,
    line: PrimitiveChunkedBuilder<UInt64Type>,
    client: StringChunkedBuilder,
    method: StringChunkedBuilder,
    path: StringChunkedBuilder,
    route: StringChunkedBuilder,
    status: PrimitiveChunkedBuilder<UInt16Type>,
    status_class: StringChunkedBuilder,
    bytes: PrimitiveChunkedBuilder<UInt64Type>,
    duration_ms: PrimitiveChunkedBuilder<Float64Type>,
    user_agent: StringChunkedBuilder,
    error_type: StringChunkedBuilder,
    error_code: StringChunkedBuilder,
    error_param: StringChunkedBuilder,
    error_message: StringChunkedBuilder,
    upstream_status: PrimitiveChunkedBuilder<UInt16Type>,
    request_id: StringChunkedBuilder,
}

impl Columns {
    fn new(cap: usize) -> Self {
        let s = |n: &str| StringChunkedBuilder::new(n.into(), cap);
        Columns {
            ts: PrimitiveChunkedBuilder::new("ts".into(), cap),
            source: s("source"),
            line: PrimitiveChunkedBuilder::new("line".into(), cap),
            client: s("client"),
            method: s("method"),
            path: s("path"),
            route: s("route"),
            status: PrimitiveChunkedBuilder::new("status".into(), cap),
            status_class: s("status_class"),
            bytes: PrimitiveChunkedBuilder::new("bytes".into(), cap),
            duration_ms: PrimitiveChunkedBuilder::new("duration_ms".into(), cap),
            user_agent: s("user_agent"),
            error_type: s("error_type"),
            error_code: s("error_code"),
            error_param: s("error_param"),
            error_message: s("error_message"),
            upstream_status: PrimitiveChunkedBuilder::new("upstream_status".into(), cap),
            request_id: s("request_id"),
        }
    }

    fn finish(self) -> PolarsResult<DataFrame> {
        let ts = self
            .ts
            .finish()
            .into_series()
            .into_datetime(TimeUnit::Microseconds, Some(TimeZone::UTC));
        let columns: Vec<Column> = vec![
            ts.into(),
            self.source.finish().into_series().into(),
            self.line.finish().into_series().into(),
            self.client.finish().into_series().into(),
            self.method.finish().into_series().into(),
            self.path.finish().into_series().into(),
            self.route.finish().into_series().into(),
            self.status.finish().into_series().into(),
            self.status_class.finish().into_series().into(),
            self.bytes.finish().into_series().into(),
            self.duration_ms.finish().into_series().into(),
            self.user_agent.finish().into_series().into(),
            self.error_type.finish().into_series().into(),
            self.error_code.finish().into_series().into(),
            self.error_param.finish().into_series().into(),
            self.error_message.finish().into_series().into(),
            self.upstream_status.finish().into_series().into(),
            self.request_id.finish().into_series().into(),
        ];
        DataFrame::new_infer_height(columns)
    }
}

impl FrameBuilder {
    pub(crate) fn new(source_names: Arc<[String]>) -> Self {
        FrameBuilder {
            source_names,
            rows: 0,
            chunks: Vec::new(),
            cols: Columns::new(CHUNK_CAPACITY),
            scratch_route: String::new(),
        }
    }

    /// Closes the current chunk as part of block `seq` of `source`.
    fn flush(&mut self, source: u32, seq: u64) -> PolarsResult<()> {
        let cols = std::mem::replace(&mut self.cols, Columns::new(CHUNK_CAPACITY));
        self.chunks.push((source, seq, cols.finish()?));
        self.rows = 0;
        Ok(())
    }
}

/// The frame of every event the builders saw, in input order (sources in
/// their sorted order, lines in file order), with real line numbers.
fn finish(builders: Vec<FrameBuilder>, numbering: &Numbering) -> PolarsResult<DataFrame> {
    let mut chunks: Vec<(u32, u64, DataFrame)> =
        builders.into_iter().flat_map(|b| b.chunks).collect();
    // Stable: the chunks of one block (over BATCH rows) stay in order.
    chunks.sort_by_key(|(source, seq, _)| (*source, *seq));
    let mut frame = Columns::new(0).finish()?;
    for (source, _, mut df) in chunks {
        let line: UInt64Chunked = df
            .column("line")?
            .u64()?
            .apply_values(|provisional| numbering.absolute(source, provisional));
        df.with_column(line.into_series().into())?;
        frame.vstack_mut_owned(df)?;
    }
    frame.rechunk_mut();
    Ok(frame)
}

impl Sink for FrameBuilder {
    fn event(&mut self, ev: &Event<'_>, source: u32, line: u64) {
        let c = &mut self.cols;
        c.ts.append_value(ev.ts);
        let name = self.source_names.get(source as usize);
        c.source.append_value(name.map_or("", String::as_str));
        c.line.append_value(line);
        c.client.append_option(ev.client.as_deref());
        c.method.append_option(ev.method.as_deref());
        c.path.append_option(ev.path.as_deref());
        match ev.path.as_deref() {
            Some(p) => {
                route::template_into(p, &mut self.scratch_route);
                c.route.append_value(&self.scratch_route);
            }
            None => c.route.append_null(),
        }
        c.status.append_value(ev.status);
        c.status_class.append_value(status_class(ev.status));
        c.bytes.append_option(ev.bytes);
        c.duration_ms.append_option(ev.duration_ms);
        c.user_agent.append_option(ev.user_agent.as_deref());
        c.upstream_status.append_option(ev.upstream_status);
        c.request_id.append_option(ev.request_id.as_deref());
        // One row per request: a bulk 202's `errors` array shows its first item.
        let error = match &ev.body {
            Body::Error(e) => Some(e),
            Body::Errors(items) => items.first(),
            Body::Absent | Body::Unparsed => None,
        };
        match error {
            Some(e) => {
                c.error_type.append_option(e.error_type.as_deref());
                c.error_code.append_option(e.code.as_deref());
                c.error_param.append_option(e.param.as_deref());
                c.error_message.append_option(e.message.as_deref());
            }
            None => {
                c.error_type.append_null();
                c.error_code.append_null();
                c.error_param.append_null();
                c.error_message.append_null();
            }
        }
        self.rows += 1;
        if self.rows >= BATCH {
            self.end_chunk(source, Numbering::block_of(line));
        }
    }

    fn malformed(&mut self, _source: u32, _line: u64, _reason: Malformed, _text: &[u8]) {}

    fn end_chunk(&mut self, source: u32, seq: u64) {
        if self.rows == 0 {
            return;
        }
        // Builders only fail on a dtype mismatch, which these fixed columns cannot have.
        if let Err(e) = self.flush(source, seq) {
            tracing::error!("building the events frame: {e}");
        }
    }
}

/// Reads `sources` into one `events` frame on `threads` workers: sources in
/// their sorted order, lines in file order within each.
pub(crate) fn events_frame(
    sources: &[Source],
    opts: &ParseOptions,
    threads: usize,
    blocks: Blocks,
) -> PolarsResult<(DataFrame, Vec<InputOutcome>)> {
    let names: Arc<[String]> = sources.iter().map(Source::display_name).collect();
    let run = engine::run(
        sources,
        opts,
        threads,
        blocks,
        Arc::new(AtomicU64::new(0)),
        || FrameBuilder::new(names.clone()),
    );
    Ok((finish(run.sinks, &run.numbering)?, run.outcomes))
}

/// Runs `sql` with `events` registered as table `events`.
pub(crate) fn run_sql(events: DataFrame, sql: &str) -> PolarsResult<DataFrame> {
    let mut ctx = SQLContext::new();
    ctx.register("events", events.lazy());
    ctx.execute(sql)?.collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_query_has_a_description() {
        for q in SHIPPED {
            assert!(
                !q.description().is_empty(),
                "{} has no first comment line",
                q.name
            );
        }
        assert_eq!(
            Shipped::find("top-error-codes.sql").map(|q| q.name),
            Some("top-error-codes")
        );
        assert!(Shipped::find("nope").is_none());
    }

    #[test]
    fn the_frame_has_the_event_schema_even_when_empty() {
        let df = finish(Vec::new(), &Numbering::identity()).unwrap();
        let names: Vec<&str> = df.get_column_names().iter().map(|n| n.as_str()).collect();
        assert_eq!(names, COLUMNS);
        assert_eq!(df.height(), 0);
        assert_eq!(
            df.column("ts").unwrap().dtype(),
            &DataType::Datetime(TimeUnit::Microseconds, Some(TimeZone::UTC))
        );
        assert_eq!(df.column("status").unwrap().dtype(), &DataType::UInt16);
    }

    /// `faultline query --help` lists the columns as the frame has them.
    #[test]
    fn query_help_lists_every_column_with_its_type() {
        let df = finish(Vec::new(), &Numbering::identity()).unwrap();
        let help = crate::cli::QUERY_HELP;
        let listed: Vec<(&str, &str)> = help
            .lines()
            .skip_while(|l| !l.starts_with("Table `events`"))
            .skip(1)
            .take_while(|l| !l.is_empty())
            .map(|l| {
                let mut w = l.split_whitespace();
                let name = w.next().unwrap_or("");
                (name, w.next().unwrap_or("").trim_end_matches(','))
            })
            .collect();
        let actual: Vec<(&str, &str)> = df
            .columns()
            .iter()
            .map(|c| {
                let ty = match c.dtype() {
                    DataType::Datetime(TimeUnit::Microseconds, Some(tz))
                        if *tz == TimeZone::UTC =>
                    {
                        "datetime"
                    }
                    DataType::String => "string",
                    DataType::UInt64 => "u64",
                    DataType::UInt16 => "u16",
                    DataType::Float64 => "f64",
                    other => panic!("{}: add {other} to this test", c.name()),
                };
                (c.name().as_str(), ty)
            })
            .collect();
        assert_eq!(listed, actual);
    }

    #[test]
    fn rows_span_batches() {
        let mut b = FrameBuilder::new(Arc::from(["f".to_string()]));
        for i in 0..(BATCH as i64 + 10) {
            let mut ev = Event::new(i, 200);
            ev.path = Some(std::borrow::Cow::Borrowed("/v1/x/42"));
            b.event(&ev, 0, i as u64 + 1);
        }
        b.end_chunk(0, 0);
        let df = finish(vec![b], &Numbering::identity()).unwrap();
        assert_eq!(df.height(), BATCH + 10);
        let out = run_sql(df, "SELECT route, COUNT(*) AS n FROM events GROUP BY route").unwrap();
        assert_eq!(out.height(), 1);
        assert_eq!(
            out.column("n").unwrap().get(0).unwrap(),
            AnyValue::UInt32((BATCH + 10) as u32)
        );
    }
}
