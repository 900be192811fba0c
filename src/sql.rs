//! `faultline query`: parsed events (the SPEC §4 schema) as table `events`
//! in a Polars SQL context, in memory bounded by the threads, not the input.
//!
//! Each engine worker owns a [`FrameBuilder`] (an engine [`Sink`]) that
//! appends values straight into Arrow buffers and, at the end of every block
//! (or every [`BATCH`] rows), writes the chunk as one Parquet file into a
//! temporary directory ([`crate::spill`]). So memory holds one chunk per
//! worker, and every core parses.
//!
//! `events` is then a lazy scan of those files in input order (sorted by
//! source, block, part), and the SQL runs on Polars' streaming engine. A
//! worker cannot know the real line numbers (the lines of earlier blocks
//! are counted elsewhere), so a chunk stores each line's number within its
//! block and the block's key; the scan joins a small frame of block starts
//! ([`Numbering::block_starts`]) and adds them up. The join keeps the scan's
//! order, and the source name comes from that frame too, not from every row.

use crate::engine::{self, Blocks, InputOutcome, Numbering, Sink};
use crate::event::{status_class, Body, Event};
use crate::export::DatasetFile;
use crate::input::Source;
use crate::parse::{Malformed, ParseOptions};
use crate::route;
use crate::spill::{ChunkWriter, SpillDir};
use polars::prelude::*;
use polars::sql::SQLContext;
use std::path::{Path, PathBuf};
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
    "persistent-5xx-periods",
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

/// The key columns a spilled chunk carries: its source's index and its block.
const SOURCE_KEY: &str = "_source";
const BLOCK_KEY: &str = "_block";
/// Lines before the block, from the block-starts frame.
const BEFORE: &str = "_before";

/// Builds the `events` chunks of the blocks one worker parses and spills
/// each to a Parquet file.
pub(crate) struct FrameBuilder {
    writer: ChunkWriter,
    rows: usize,
    /// The block of the last chunk written and how many chunks of it so far
    /// (a block over [`BATCH`] rows is written in parts, all by this worker).
    last: Option<(u32, u64, u32)>,
    files: Vec<SpilledChunk>,
    /// The first write that failed; nothing more is built after it.
    error: Option<PolarsError>,
    cols: Columns,
    scratch_route: String,
}

/// One chunk on disk.
struct SpilledChunk {
    /// Input order: (source, block, part).
    order: (u32, u64, u32),
    rows: usize,
    path: PathBuf,
}

struct Columns {
    ts: PrimitiveChunkedBuilder<Int64Type>,
    /// The line within its block: see [`Numbering::within_block`].
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

    /// The chunk as spilled: the event columns but `source`, then the block key.
    fn finish(self, source: u32, seq: u64) -> PolarsResult<DataFrame> {
        let ts = self
            .ts
            .finish()
            .into_series()
            // UTC, stored without a zone (Parquet's isAdjustedToUTC=false):
            // Polars SQL cannot compare a zoned column with a TIMESTAMP
            // literal, and DuckDB and Spark would render a zoned one in the
            // session's zone. A plain timestamp means the same on all three.
            .into_datetime(TimeUnit::Microseconds, None);
        let height = ts.len();
        let columns: Vec<Column> = vec![
            ts.into(),
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
            Column::new_scalar(SOURCE_KEY.into(), Scalar::from(source), height),
            Column::new_scalar(BLOCK_KEY.into(), Scalar::from(seq), height),
        ];
        DataFrame::new_infer_height(columns)
    }
}

impl FrameBuilder {
    pub(crate) fn new(writer: ChunkWriter) -> Self {
        FrameBuilder {
            writer,
            rows: 0,
            last: None,
            files: Vec::new(),
            error: None,
            cols: Columns::new(CHUNK_CAPACITY),
            scratch_route: String::new(),
        }
    }

    /// Writes the current chunk as part of block `seq` of `source`.
    fn flush(&mut self, source: u32, seq: u64) -> PolarsResult<()> {
        let cols = std::mem::replace(&mut self.cols, Columns::new(CHUNK_CAPACITY));
        let rows = std::mem::take(&mut self.rows);
        let part = match self.last {
            Some((s, b, part)) if (s, b) == (source, seq) => part + 1,
            _ => 0,
        };
        self.last = Some((source, seq, part));
        let mut df = cols.finish(source, seq)?;
        let name = format!("{source}-{seq}-{part}.parquet");
        let path = self.writer.write(Path::new(&name), &mut df)?;
        self.files.push(SpilledChunk {
            order: (source, seq, part),
            rows,
            path,
        });
        Ok(())
    }
}

impl Sink for FrameBuilder {
    fn event(&mut self, ev: &Event<'_>, source: u32, line: u64) {
        if self.error.is_some() {
            return;
        }
        let c = &mut self.cols;
        c.ts.append_value(ev.ts);
        c.line.append_value(Numbering::within_block(line));
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
        if self.rows == 0 || self.error.is_some() {
            return;
        }
        // A write fails on a full or unwritable disk: kept, and reported once
        // the run is over (a sink cannot stop the engine).
        if let Err(e) = self.flush(source, seq) {
            self.error = Some(e);
        }
    }
}

/// The spill files' schema: an empty chunk.
fn spill_schema() -> PolarsResult<SchemaRef> {
    Ok(Columns::new(0).finish(0, 0)?.schema().clone())
}

/// Table `events` over spilled chunks: `chunks` (files in input order, or
/// an in-memory frame of the spill schema) with real line numbers (from
/// `starts`: source, block, lines before it) and source names, in the
/// columns of [`COLUMNS`].
fn events_plan(
    chunks: LazyFrame,
    names: &[String],
    starts: impl Iterator<Item = (u32, u64, u64)>,
) -> PolarsResult<LazyFrame> {
    let (mut sources, mut blocks, mut befores, mut source_names) = (vec![], vec![], vec![], vec![]);
    for (source, seq, before) in starts {
        sources.push(source);
        blocks.push(seq);
        befores.push(before);
        source_names.push(names.get(source as usize).map_or("", String::as_str));
    }
    let starts = DataFrame::new_infer_height(vec![
        Column::new(SOURCE_KEY.into(), sources),
        Column::new(BLOCK_KEY.into(), blocks),
        Column::new(BEFORE.into(), befores),
        Column::new("source".into(), source_names),
    ])?;
    let keys = [col(SOURCE_KEY), col(BLOCK_KEY)];
    let mut args = JoinArgs::new(JoinType::Left);
    // The scan is in input order: keep it, so `SELECT *` and FIRST() see
    // the events as they were logged.
    args.maintain_order = MaintainOrderJoin::Left;
    Ok(chunks
        .join(starts.lazy(), keys.clone(), keys, args)
        .with_column((col("line") + col(BEFORE)).alias("line"))
        .select(COLUMNS.iter().map(|c| col(*c)).collect::<Vec<_>>()))
}

/// Table `events` with no rows, for checking SQL before any work.
pub(crate) fn empty_events() -> PolarsResult<LazyFrame> {
    events_plan(
        Columns::new(0).finish(0, 0)?.lazy(),
        &[],
        std::iter::empty(),
    )
}

/// The events of a run, spilled: a lazy `events` table over files in a
/// temporary directory that lives as long as this value.
pub(crate) struct SpilledEvents {
    dir: SpillDir,
    events: LazyFrame,
    rows: u64,
}

impl SpilledEvents {
    /// Table `events` over exported datasets' files (nothing is spilled;
    /// the temporary directory holds the files of a dataset in a bucket,
    /// downloaded, and a streamed result).
    pub(crate) fn over_dataset(files: &[DatasetFile], rows: u64) -> anyhow::Result<Self> {
        use anyhow::Context;
        let dir = SpillDir::new().context("cannot create a temporary directory")?;
        let paths = crate::export::local_paths(files, dir.path())?;
        Ok(SpilledEvents {
            dir,
            events: dataset_events(&paths)?,
            rows,
        })
    }

    /// Table `events` (a lazy scan: it reads the files when collected).
    pub(crate) fn events(&self) -> LazyFrame {
        self.events.clone()
    }

    /// Rows of `events`.
    pub(crate) fn rows(&self) -> u64 {
        self.rows
    }

    /// The temporary directory, for files a command writes on the way (a
    /// streamed result); removed with it.
    pub(crate) fn dir(&self) -> &Path {
        self.dir.path()
    }
}

/// Reads `sources` into spilled `events` on `threads` workers: sources in
/// their sorted order, lines in file order within each.
pub(crate) fn spill_events(
    sources: &[Source],
    opts: &ParseOptions,
    threads: usize,
    blocks: Blocks,
) -> anyhow::Result<(SpilledEvents, Vec<InputOutcome>)> {
    spill_events_counted(sources, opts, threads, blocks, Arc::new(AtomicU64::new(0)))
}

/// [`spill_events`], counting the raw bytes read into `bytes_read` (for a
/// progress bar).
pub(crate) fn spill_events_counted(
    sources: &[Source],
    opts: &ParseOptions,
    threads: usize,
    blocks: Blocks,
    bytes_read: Arc<AtomicU64>,
) -> anyhow::Result<(SpilledEvents, Vec<InputOutcome>)> {
    use anyhow::Context;
    let dir = SpillDir::new().context("cannot create a temporary directory for the events")?;
    let writer = ChunkWriter::for_spill(dir.path());
    let run = engine::run(sources, opts, threads, blocks, bytes_read, || {
        FrameBuilder::new(writer.clone())
    });
    let names: Vec<String> = sources.iter().map(Source::display_name).collect();
    let events = gather(dir, run.sinks, &names, run.numbering.block_starts())?;
    Ok((events, run.outcomes))
}

/// The workers' spilled chunks as one lazy `events` table, in input order.
fn gather(
    dir: SpillDir,
    sinks: Vec<FrameBuilder>,
    names: &[String],
    starts: impl Iterator<Item = (u32, u64, u64)>,
) -> anyhow::Result<SpilledEvents> {
    let mut files = Vec::new();
    for sink in sinks {
        if let Some(e) = sink.error {
            return Err(anyhow::Error::from(e).context(format!(
                "cannot write the events to {}",
                dir.path().display()
            )));
        }
        files.extend(sink.files);
    }
    files.sort_by_key(|f| f.order);
    let rows = files.iter().map(|f| f.rows as u64).sum();
    let chunks = if files.is_empty() {
        // A scan needs at least one file.
        Columns::new(0).finish(0, 0)?.lazy()
    } else {
        let paths = files
            .iter()
            .map(|f| PlRefPath::try_from_path(&f.path))
            .collect::<PolarsResult<Vec<_>>>()?;
        let args = ScanArgsParquet {
            // Known: no file needs opening to plan the query.
            schema: Some(spill_schema()?),
            ..ScanArgsParquet::default()
        };
        LazyFrame::scan_parquet_files(paths.into_iter().collect(), args)?
    };
    let events = events_plan(chunks, names, starts)?;
    Ok(SpilledEvents { dir, events, rows })
}

/// Table `events` over the files of exported datasets (SPEC §9), scanned
/// lazily: only the files and row groups a query's `ts` filter can match
/// are read, by their Parquet statistics (each file holds one hour). Files
/// are read in the order given (by partition, then run).
pub(crate) fn dataset_events(files: &[PathBuf]) -> PolarsResult<LazyFrame> {
    if files.is_empty() {
        return empty_events();
    }
    let paths = files
        .iter()
        .map(|p| PlRefPath::try_from_path(p))
        .collect::<PolarsResult<Vec<_>>>()?;
    let args = ScanArgsParquet {
        schema: Some(empty_events()?.collect_schema()?),
        // The columns are the files' own: `date` and `hour` are only the
        // layout, derived from `ts`.
        hive_options: HiveOptions {
            enabled: Some(false),
            ..HiveOptions::default()
        },
        ..ScanArgsParquet::default()
    };
    Ok(
        LazyFrame::scan_parquet_files(paths.into_iter().collect(), args)?
            .select(COLUMNS.iter().map(|c| col(*c)).collect::<Vec<_>>()),
    )
}

/// `sql` planned over `events` as table `events`; fails on SQL that Polars
/// rejects or that names unknown columns, before anything is read.
pub(crate) fn plan_sql(events: LazyFrame, sql: &str) -> PolarsResult<LazyFrame> {
    let mut ctx = SQLContext::new();
    ctx.register("events", events);
    let mut plan = ctx.execute(sql)?;
    plan.collect_schema()?;
    Ok(plan)
}

/// Fails as [`plan_sql`] would, without any events: checks `sql` before
/// any log is read.
pub(crate) fn check_sql(sql: &str) -> PolarsResult<()> {
    plan_sql(empty_events()?, sql).map(drop)
}

/// Runs a plan on the streaming engine, which reads the scan in morsels.
pub(crate) fn collect(plan: LazyFrame) -> PolarsResult<DataFrame> {
    Ok(plan.collect_with_engine(Engine::Streaming)?.unwrap_single())
}

/// Runs a plan on the streaming engine into the file `path` in `format`,
/// never holding the whole result.
pub(crate) fn sink(plan: LazyFrame, path: &Path, format: FileWriteFormat) -> PolarsResult<()> {
    let target = SinkTarget::Path(PlRefPath::try_from_path(path)?);
    plan.sink(
        SinkDestination::File { target },
        format,
        UnifiedSinkArgs::default(),
    )?
    .collect_with_engine(Engine::Streaming)?;
    Ok(())
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
        let df = empty_events().unwrap().collect().unwrap();
        let names: Vec<&str> = df.get_column_names().iter().map(|n| n.as_str()).collect();
        assert_eq!(names, COLUMNS);
        assert_eq!(df.height(), 0);
        assert_eq!(
            df.column("ts").unwrap().dtype(),
            &DataType::Datetime(TimeUnit::Microseconds, None)
        );
        assert_eq!(df.column("status").unwrap().dtype(), &DataType::UInt16);
        assert_eq!(df.column("line").unwrap().dtype(), &DataType::UInt64);
        assert_eq!(df.column("source").unwrap().dtype(), &DataType::String);
    }

    /// `faultline query --help` lists the columns as the frame has them.
    #[test]
    fn query_help_lists_every_column_with_its_type() {
        let df = empty_events().unwrap().collect().unwrap();
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
                    DataType::Datetime(TimeUnit::Microseconds, None) => "datetime",
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

    /// A block over BATCH rows is spilled in parts; the parts come back in
    /// order, with line numbers made real from the block's start, and the
    /// files go with the directory.
    #[test]
    fn rows_span_batches_and_blocks() {
        let dir = SpillDir::new().unwrap();
        let path = dir.path().to_owned();
        let mut b = FrameBuilder::new(ChunkWriter::for_spill(dir.path()));
        // Block 3 of source 1 (the 2nd source): BATCH + 10 rows, lines 1, 3, 5, ….
        for i in 0..(BATCH as u64 + 10) {
            let mut ev = Event::new(i as i64, 200);
            ev.path = Some(std::borrow::Cow::Borrowed("/v1/x/42"));
            b.event(&ev, 1, (3 << 40) | (2 * i + 1));
        }
        b.end_chunk(1, 3);
        // Block 0 of source 0, written later by the same worker: it still comes first.
        b.event(&Event::new(-1, 503), 0, 7);
        b.end_chunk(0, 0);
        assert_eq!(b.files.len(), 3);
        let names = ["a.log".to_owned(), "b.log".to_owned()];
        let starts = [(0, 0, 0), (1, 3, 1000)].into_iter();
        let events = gather(dir, vec![b], &names, starts).unwrap();
        assert_eq!(events.rows(), BATCH as u64 + 11);
        let df = collect(events.events()).unwrap();
        assert_eq!(df.height(), BATCH + 11);
        let line = df.column("line").unwrap().u64().unwrap();
        let source = df.column("source").unwrap().str().unwrap();
        assert_eq!((source.get(0), line.get(0)), (Some("a.log"), Some(7)));
        assert_eq!((source.get(1), line.get(1)), (Some("b.log"), Some(1001)));
        assert_eq!(
            line.get(BATCH + 10),
            Some(1000 + 2 * (BATCH as u64 + 9) + 1)
        );
        let ts = df.column("ts").unwrap().cast(&DataType::Int64).unwrap();
        let ts: Vec<Option<i64>> = ts.i64().unwrap().iter().collect();
        let want: Vec<Option<i64>> = std::iter::once(-1)
            .chain(0..(BATCH as i64 + 10))
            .map(Some)
            .collect();
        assert_eq!(ts, want, "input order");
        let out = collect(
            plan_sql(
                events.events(),
                "SELECT route, COUNT(*) AS n FROM events WHERE route IS NOT NULL GROUP BY route",
            )
            .unwrap(),
        )
        .unwrap();
        assert_eq!(out.height(), 1);
        assert_eq!(
            out.column("n").unwrap().get(0).unwrap(),
            AnyValue::UInt32((BATCH + 10) as u32)
        );
        drop(events);
        assert!(!path.exists());
    }

    #[test]
    fn unknown_columns_fail_when_planned() {
        let err = check_sql("SELECT nope FROM events").unwrap_err();
        assert!(err.to_string().contains("nope"), "{err}");
        assert!(check_sql("SELECT COUNT(*) FROM events").is_ok());
    }
}
