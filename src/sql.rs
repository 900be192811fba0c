//! `faultline query`: parsed events as a Polars DataFrame (the SPEC §4
//! schema) registered as table `events` in a Polars SQL context.
//!
//! The frame is built column by column as lines stream in ([`FrameBuilder`]
//! is a pipeline [`Sink`]): values are appended straight into Arrow buffers
//! and every [`BATCH`] rows become one chunk, so memory holds the columns and
//! nothing else — no vector of events.

use crate::event::{status_class, Body, Event};
use crate::input::Source;
use crate::parse::{Malformed, ParseOptions};
use crate::pipeline::{self, InputOutcome, Sink};
use crate::route;
use polars::prelude::*;
use polars::sql::SQLContext;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

/// Rows per chunk.
pub const BATCH: usize = 64 * 1024;

/// The columns of table `events`, in order.
pub const COLUMNS: &[&str] = &[
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
];

/// A query shipped in `queries/`, embedded in the binary.
#[derive(Debug, Clone, Copy)]
pub struct Shipped {
    pub name: &'static str,
    pub sql: &'static str,
}

macro_rules! shipped {
    ($($name:literal),* $(,)?) => {
        &[$(Shipped { name: $name, sql: include_str!(concat!("../queries/", $name, ".sql")) }),*]
    };
}

/// Every query in `queries/`, by name (the file name without `.sql`).
pub static SHIPPED: &[Shipped] = shipped![
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
    pub fn find(name: &str) -> Option<&'static Shipped> {
        let name = name.strip_suffix(".sql").unwrap_or(name);
        SHIPPED.iter().find(|q| q.name == name)
    }

    /// The first comment line: what the query answers.
    pub fn description(&self) -> &'static str {
        self.sql
            .lines()
            .find_map(|l| l.trim().strip_prefix("--"))
            .map_or("", str::trim)
    }
}

/// Builds the `events` frame of one source.
pub struct FrameBuilder {
    source_name: String,
    rows: usize,
    chunks: Vec<DataFrame>,
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
        ];
        DataFrame::new_infer_height(columns)
    }
}

impl FrameBuilder {
    pub fn new(source_name: String) -> Self {
        FrameBuilder {
            source_name,
            rows: 0,
            chunks: Vec::new(),
            cols: Columns::new(BATCH),
            scratch_route: String::new(),
        }
    }

    fn flush(&mut self) -> PolarsResult<()> {
        let cols = std::mem::replace(&mut self.cols, Columns::new(BATCH));
        self.chunks.push(cols.finish()?);
        self.rows = 0;
        Ok(())
    }

    /// The frame of every event seen (possibly several chunks).
    pub fn finish(mut self) -> PolarsResult<DataFrame> {
        if self.rows > 0 || self.chunks.is_empty() {
            self.flush()?;
        }
        let mut chunks = self.chunks.into_iter();
        let mut df = chunks.next().unwrap_or_default();
        for c in chunks {
            df.vstack_mut_owned(c)?;
        }
        Ok(df)
    }
}

impl Sink for FrameBuilder {
    fn event(&mut self, ev: Event<'_>, _source: u32, line: u64) {
        let c = &mut self.cols;
        c.ts.append_value(ev.ts);
        c.source.append_value(&self.source_name);
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
        match &ev.body {
            Body::Error(e) => {
                c.error_type.append_option(e.error_type.as_deref());
                c.error_code.append_option(e.code.as_deref());
                c.error_param.append_option(e.param.as_deref());
                c.error_message.append_option(e.message.as_deref());
            }
            Body::Absent | Body::Unparsed => {
                c.error_type.append_null();
                c.error_code.append_null();
                c.error_param.append_null();
                c.error_message.append_null();
            }
        }
        self.rows += 1;
        if self.rows >= BATCH {
            // Builders only fail on a dtype mismatch, which these fixed columns cannot have.
            if let Err(e) = self.flush() {
                tracing::error!("building the events frame: {e}");
            }
        }
    }

    fn malformed(&mut self, _source: u32, _line: u64, _reason: Malformed, _text: &[u8]) {}
}

/// Reads `sources` into one `events` frame: sources in their sorted order,
/// lines in file order within each.
pub fn events_frame(
    sources: &[Source],
    opts: &ParseOptions,
    threads: usize,
) -> PolarsResult<(DataFrame, Vec<InputOutcome>)> {
    let built = pipeline::run_each(sources, opts, threads, Arc::new(AtomicU64::new(0)), |i| {
        FrameBuilder::new(sources[i as usize].display_name())
    });
    let mut frame = DataFrame::default();
    let mut outcomes = Vec::with_capacity(built.len());
    for (builder, outcome) in built {
        let df = builder.finish()?;
        if frame.width() == 0 {
            frame = df;
        } else {
            frame.vstack_mut_owned(df)?;
        }
        outcomes.push(outcome);
    }
    if frame.width() == 0 {
        frame = FrameBuilder::new(String::new()).finish()?;
    }
    Ok((frame, outcomes))
}

/// Runs `sql` with `events` registered as table `events`.
pub fn run_sql(events: DataFrame, sql: &str) -> PolarsResult<DataFrame> {
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
        let df = FrameBuilder::new("x".into()).finish().unwrap();
        let names: Vec<&str> = df.get_column_names().iter().map(|n| n.as_str()).collect();
        assert_eq!(names, COLUMNS);
        assert_eq!(df.height(), 0);
        assert_eq!(
            df.column("ts").unwrap().dtype(),
            &DataType::Datetime(TimeUnit::Microseconds, Some(TimeZone::UTC))
        );
        assert_eq!(df.column("status").unwrap().dtype(), &DataType::UInt16);
    }

    #[test]
    fn rows_span_batches() {
        let mut b = FrameBuilder::new("f".into());
        for i in 0..(BATCH as i64 + 10) {
            let mut ev = Event::new(i, 200);
            ev.path = Some(std::borrow::Cow::Borrowed("/v1/x/42"));
            b.event(ev, 0, i as u64 + 1);
        }
        let df = b.finish().unwrap();
        assert_eq!(df.height(), BATCH + 10);
        let out = run_sql(df, "SELECT route, COUNT(*) AS n FROM events GROUP BY route").unwrap();
        assert_eq!(out.height(), 1);
        assert_eq!(
            out.column("n").unwrap().get(0).unwrap(),
            AnyValue::UInt32((BATCH + 10) as u32)
        );
    }
}
