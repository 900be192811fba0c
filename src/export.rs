//! `faultline export` (SPEC §9): the events of some logs added to a
//! hive-partitioned Parquet dataset, `DIR/date=YYYY-MM-DD/hour=HH/*.parquet`
//! (UTC, zstd, the §4 columns), that DuckDB, Spark and `faultline query`
//! read.
//!
//! The run: every input gets a content fingerprint; inputs whose content the
//! dataset's manifest already holds are skipped, and a plain file that grew
//! since it was exported adds only its new lines. The rest are read by the
//! one engine into a spill (as `query` does), whose lazy `events` table
//! Polars' streaming engine hands back in batches, cut by hour into files in
//! a staging directory. The staged files are then published (renamed into place, or
//! uploaded to S3), and only then is the manifest, which names them,
//! replaced — so the manifest is the commit: a run that dies before it left
//! files no manifest names, and a later export deletes them (in a bucket,
//! once they are a day old: exports there may run at once).
//!
//! Memory: the spill and the streaming sink hold a few chunks at a time,
//! whatever the input's size.

mod dataset;
mod manifest;

pub(crate) use dataset::{
    dataset_files, local_paths, Commit, DatasetFile, Destination, ManifestVersion,
};
pub(crate) use manifest::{Fingerprint, Manifest, RunRecord, SourceRecord};

use crate::engine::Blocks;
use crate::input::Source;
use crate::parse::ParseOptions;
use crate::sql;
use anyhow::Context;
use polars::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

/// What one export is asked to do.
pub(crate) struct ExportJob<'a> {
    pub(crate) sources: &'a [Source],
    pub(crate) parse: &'a ParseOptions,
    pub(crate) threads: usize,
    pub(crate) blocks: Blocks,
    pub(crate) dest: &'a Destination,
    /// Raw bytes read so far, for a progress bar.
    pub(crate) bytes_read: Arc<AtomicU64>,
    /// Tests only: a directory in which, once its files are published, the
    /// run creates `paused` and waits for `resume` before committing, so a
    /// test can commit another export in between.
    pub(crate) pause_before_commit: Option<PathBuf>,
}

/// What an export did, for the command to print.
#[derive(Debug, Default)]
pub(crate) struct ExportOutcome {
    /// Inputs skipped with the run that already holds them.
    pub(crate) skipped: Vec<(String, String)>,
    /// Inputs of which only lines after a number were new: (name, lines before).
    pub(crate) appended: Vec<(String, u64)>,
    pub(crate) read: usize,
    pub(crate) rows: u64,
    pub(crate) files: usize,
    pub(crate) bytes_written: u64,
    /// Leftovers of interrupted exports that were removed.
    pub(crate) swept: usize,
    /// What the engine said of each input it read.
    pub(crate) outcomes: Vec<crate::engine::InputOutcome>,
}

/// How one input is exported.
enum Plan {
    /// Its content is in the dataset already (the run's id).
    Skip(String),
    /// Lines after this many are new (0: all).
    From(u64),
}

/// A dataset held for one export: its lock, its manifest and the
/// manifest's version.
pub(crate) struct Opened {
    lock: Option<std::fs::File>,
    manifest: Manifest,
    version: ManifestVersion,
}

/// Locks the dataset and reads its manifest: the checks before any work
/// (another export running, a damaged manifest).
pub(crate) fn open(dest: &Destination) -> anyhow::Result<Opened> {
    let lock = dest.lock()?;
    let (manifest, version) = dest.read_manifest_version()?;
    Ok(Opened {
        lock,
        manifest,
        version,
    })
}

/// Commits at most this many times over exports that committed first.
const COMMIT_TRIES: usize = 20;

/// Runs an export: fingerprints, the spill, the hourly files, publish,
/// manifest.
pub(crate) fn run(job: &ExportJob<'_>, opened: Opened) -> anyhow::Result<ExportOutcome> {
    let dest = job.dest;
    let Opened {
        lock: _lock,
        manifest,
        version,
    } = opened;
    let mut outcome = ExportOutcome {
        swept: dest.sweep(&manifest)?,
        ..ExportOutcome::default()
    };

    // Which inputs, and from which line.
    let mut to_read: Vec<Source> = Vec::new();
    let mut records: Vec<SourceRecord> = Vec::new();
    let mut from_lines: Vec<u64> = Vec::new();
    let sizes = manifest.plain_sizes();
    for source in job.sources {
        let name = source.display_name();
        let print =
            Fingerprint::of(source, &sizes).with_context(|| format!("{name}: cannot read"))?;
        match plan_for(&manifest, &print) {
            Plan::Skip(run) => outcome.skipped.push((name, run)),
            Plan::From(from) => {
                if from > 0 {
                    outcome.appended.push((name.clone(), from));
                }
                records.push(SourceRecord {
                    name,
                    content: print.content,
                    bytes: print.bytes,
                    lines: print.lines,
                    from_line: from,
                });
                from_lines.push(from);
                to_read.push(source.clone());
            }
        }
    }
    outcome.read = to_read.len();
    if to_read.is_empty() {
        return Ok(outcome);
    }

    let (spilled, outcomes) = sql::spill_events_counted(
        &to_read,
        job.parse,
        job.threads,
        job.blocks,
        job.bytes_read.clone(),
    )?;
    outcome.outcomes = outcomes;
    let id = run_id();
    let staging = dest.staging(&id)?;
    let events = only_new_lines(spilled.events(), &records, &from_lines);
    write_partitioned(events, staging.path())
        .map_err(anyhow::Error::from)
        .with_context(|| format!("cannot write the dataset's files in {}", staging.display()))?;
    drop(spilled);

    let staged = dataset_files(staging.path())?;
    let mut files = Vec::with_capacity(staged.len());
    for (rel, path) in &staged {
        outcome.rows += parquet_rows(path)?;
        outcome.bytes_written += std::fs::metadata(path)?.len();
        files.push(final_name(rel, &id));
    }
    outcome.files = files.len();
    // A run that stops before its commit takes back what it published.
    for (n, ((_, path), name)) in staged.iter().zip(&files).enumerate() {
        if let Err(e) = dest.publish(path, name) {
            take_back(dest, &files[..n]);
            return Err(e.context(format!("cannot publish {name} to {dest}")));
        }
    }
    let run = RunRecord {
        id,
        finished: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        faultline: env!("CARGO_PKG_VERSION").to_owned(),
        rows: outcome.rows,
        files,
        sources: records,
    };
    let reread = Reread {
        sources: &to_read,
        from_lines: &from_lines,
    };
    match commit_run(job, manifest, version, &run, &reread) {
        Ok(()) => {
            drop(staging);
            Ok(outcome)
        }
        Err(NotCommitted(e)) => {
            take_back(dest, &run.files);
            Err(e)
        }
        // The manifest may name the files now: they stay (a later export
        // sweeps them if it does not).
        Err(MaybeCommitted(e)) => Err(e),
    }
}

/// Why a run's commit failed.
enum CommitFailure {
    /// The manifest does not name the run: its files can go.
    NotCommitted(anyhow::Error),
    /// The manifest may or may not name the run (a write whose answer was
    /// lost).
    MaybeCommitted(anyhow::Error),
}
use CommitFailure::{MaybeCommitted, NotCommitted};

/// A run's inputs as planned, to plan them again against a newer manifest.
struct Reread<'a> {
    sources: &'a [Source],
    from_lines: &'a [u64],
}

/// Commits `run`: the manifest `manifest` (read as `version`) plus the
/// run. On S3 another export may have committed since the manifest was
/// read (there is no lock there): the run is then added to that manifest
/// instead, when its inputs would still have been read the same way.
fn commit_run(
    job: &ExportJob<'_>,
    mut manifest: Manifest,
    mut version: ManifestVersion,
    run: &RunRecord,
    reread: &Reread<'_>,
) -> Result<(), CommitFailure> {
    let dest = job.dest;
    if let Some(dir) = &job.pause_before_commit {
        pause(dir).map_err(NotCommitted)?;
    }
    for attempt in 0..COMMIT_TRIES {
        let mut next = manifest.clone();
        next.runs.push(run.clone());
        match dest.commit(&next, &version) {
            Ok(Commit::Written) => return Ok(()),
            Ok(Commit::Changed) => {}
            Err(e) => return Err(MaybeCommitted(e)),
        }
        let (fresh, fresh_version) = dest.read_manifest_version().map_err(MaybeCommitted)?;
        // S3 applied an earlier write whose answer was lost, and the
        // client's retry of it found the manifest changed: by this run.
        if fresh.runs.iter().any(|r| r.id == run.id) {
            return Ok(());
        }
        if let Some(name) = planned_otherwise(&fresh, run, reread).map_err(NotCommitted)? {
            return Err(NotCommitted(anyhow::anyhow!(
                "{dest}: another export committed {name} (or part of it) while this one ran; \
                 nothing of this run was committed: run it again to add what is still new"
            )));
        }
        tracing::info!(dataset = %dest, "another export committed first: adding this run after it");
        (manifest, version) = (fresh, fresh_version);
        // Apart, so that runs racing for the manifest do not meet again.
        let wait = fastrand::u64(20..200) << attempt.min(4);
        std::thread::sleep(std::time::Duration::from_millis(wait));
    }
    Err(NotCommitted(anyhow::anyhow!(
        "{dest}: other exports kept committing first; nothing of this run was committed"
    )))
}

/// The first input of `run` that `fresh` (a manifest another export
/// committed while this one ran) holds some of: content the run read (as
/// recorded, whatever the file holds now), or, read again, a prefix that
/// would have been planned differently.
fn planned_otherwise(
    fresh: &Manifest,
    run: &RunRecord,
    reread: &Reread<'_>,
) -> anyhow::Result<Option<String>> {
    if let Some(r) = run
        .sources
        .iter()
        .find(|r| fresh.run_holding(&r.content).is_some())
    {
        return Ok(Some(r.name.clone()));
    }
    let sizes = fresh.plain_sizes();
    for (source, &from) in reread.sources.iter().zip(reread.from_lines) {
        let name = source.display_name();
        let print =
            Fingerprint::of(source, &sizes).with_context(|| format!("{name}: cannot read"))?;
        match plan_for(fresh, &print) {
            Plan::From(now) if now == from => {}
            _ => return Ok(Some(name)),
        }
    }
    Ok(None)
}

/// Removes a run's published files after it failed to commit (best
/// effort: what stays is swept by a later export).
fn take_back(dest: &Destination, files: &[String]) {
    for f in files {
        if let Err(e) = dest.unpublish(f) {
            tracing::warn!(error = %format!("{e:#}"), "cannot take back an uncommitted file");
        }
    }
}

/// [`ExportJob::pause_before_commit`]: `DIR/paused`, then wait (at most a
/// minute) for `DIR/resume`.
fn pause(dir: &Path) -> anyhow::Result<()> {
    std::fs::write(dir.join("paused"), b"")
        .with_context(|| format!("{}: cannot write", dir.display()))?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !dir.join("resume").exists() {
        anyhow::ensure!(
            std::time::Instant::now() < deadline,
            "{}: no resume within a minute",
            dir.display()
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    Ok(())
}

/// Skip what the dataset holds; a plain file that starts with content the
/// dataset holds (it grew, or grew and was rotated, renamed or copied)
/// adds the lines after the longest such content; anything else is read
/// whole.
fn plan_for(manifest: &Manifest, print: &Fingerprint) -> Plan {
    if let Some(run) = manifest.run_holding(&print.content) {
        return Plan::Skip(run.to_owned());
    }
    match manifest.longest_prefix_of(print).and_then(|r| r.lines) {
        Some(lines) => Plan::From(lines),
        None => Plan::From(0),
    }
}

/// `events` without the lines each source had when it was last exported.
fn only_new_lines(events: LazyFrame, records: &[SourceRecord], from: &[u64]) -> LazyFrame {
    let mut keep: Option<Expr> = None;
    for (r, &n) in records.iter().zip(from) {
        if n == 0 {
            continue;
        }
        let old = col("source")
            .eq(lit(r.name.clone()))
            .and(col("line").lt_eq(lit(n)));
        keep = Some(match keep {
            None => old.not(),
            Some(k) => k.and(old.not()),
        });
    }
    match keep {
        Some(k) => events.filter(k),
        None => events,
    }
}

/// Rows per batch the streaming engine hands to the partition writers.
const BATCH_ROWS: usize = 65_536;
/// Partition files open at once at most; the least recently written is
/// finished first. Logs come mostly in time order, so one or two are open
/// in practice, and a late line for a finished hour starts a new file.
const OPEN_FILES: usize = 8;

/// Streams `events` into `dir/date=…/hour=…/NNNNNNNN.parquet`: zstd, with
/// statistics (so readers skip files by `ts`), the partition keys only in
/// the paths, as hive layouts have them.
///
/// Not Polars' own partitioned sink: it keeps a writer, and its buffered
/// rows, open for every partition until the end, so memory grows with the
/// hours the input spans (1.1 GiB for 61 hours of a 1 GiB log). Here the
/// engine hands over batches in input order, each batch is cut by hour, and
/// each piece is encoded at once into its hour's open file; at most
/// [`OPEN_FILES`] files are open.
fn write_partitioned(events: LazyFrame, dir: &Path) -> PolarsResult<()> {
    let hour_us = 3_600_000_000i64;
    let keyed =
        events.with_column((col("ts").cast(DataType::Int64) / lit(hour_us)).alias(HOUR_KEY));
    let schema = {
        let mut s = (*keyed.clone().collect_schema()?).clone();
        s.shift_remove(HOUR_KEY);
        s
    };
    let writers = Arc::new(std::sync::Mutex::new(Partitions {
        dir: dir.to_owned(),
        schema,
        open: Vec::new(),
        files: 0,
        error: None,
    }));
    let sink = writers.clone();
    let callback = PlanCallback::new(move |df: DataFrame| {
        let mut p = sink.lock().unwrap_or_else(|e| e.into_inner());
        if p.error.is_some() {
            return Ok(true);
        }
        if let Err(e) = p.write(df) {
            p.error = Some(e);
            return Ok(true);
        }
        Ok(false)
    });
    keyed
        .sink_batches(callback, true, std::num::NonZeroUsize::new(BATCH_ROWS))?
        .collect_with_engine(Engine::Streaming)?;
    let mut p = writers.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(e) = p.error.take() {
        return Err(e);
    }
    p.finish_all()
}

/// The hour index column added for cutting batches (dropped before writing).
const HOUR_KEY: &str = "_hour";

/// The open partition files of one export.
struct Partitions {
    dir: PathBuf,
    schema: Schema,
    /// (hour index, writer), most recently written last.
    open: Vec<(
        i64,
        polars::io::parquet::write::BatchedWriter<std::fs::File>,
    )>,
    /// Files created so far: the next file's number.
    files: u64,
    error: Option<PolarsError>,
}

impl Partitions {
    /// Writes one batch: each run of rows of one hour goes to that hour's file.
    fn write(&mut self, df: DataFrame) -> PolarsResult<()> {
        let hours = df.column(HOUR_KEY)?.i64()?.clone();
        let data = df.drop(HOUR_KEY)?;
        let mut start = 0usize;
        let n = df.height();
        while start < n {
            let Some(hour) = hours.get(start) else {
                return Err(polars_err!(ComputeError: "an event without a time"));
            };
            let mut end = start + 1;
            while end < n && hours.get(end) == Some(hour) {
                end += 1;
            }
            let mut piece = data.slice(start as i64, end - start);
            piece.rechunk_mut_par();
            self.writer(hour)?.write_batch(&piece)?;
            start = end;
        }
        Ok(())
    }

    /// The open file of `hour`, opening one (and finishing the least
    /// recently written when too many are open).
    fn writer(
        &mut self,
        hour: i64,
    ) -> PolarsResult<&mut polars::io::parquet::write::BatchedWriter<std::fs::File>> {
        if let Some(at) = self.open.iter().position(|(h, _)| *h == hour) {
            let entry = self.open.remove(at);
            self.open.push(entry);
        } else {
            if self.open.len() >= OPEN_FILES {
                let (_, oldest) = self.open.remove(0);
                oldest.finish()?;
            }
            let start = chrono::DateTime::from_timestamp(hour.saturating_mul(3600), 0)
                .ok_or_else(|| polars_err!(ComputeError: "a time out of range"))?;
            let rel = format!(
                "{}/{:08}.parquet",
                start.format("date=%Y-%m-%d/hour=%H"),
                self.files
            );
            self.files += 1;
            let path = self.dir.join(rel);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            let file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)?;
            let writer = ParquetWriter::new(file)
                .with_compression(ParquetCompression::Zstd(None))
                .with_statistics(StatisticsOptions::full())
                .batched(&self.schema)?;
            self.open.push((hour, writer));
        }
        let last = self.open.len() - 1;
        Ok(&mut self.open[last].1)
    }

    fn finish_all(&mut self) -> PolarsResult<()> {
        for (_, w) in self.open.drain(..) {
            w.finish()?;
        }
        Ok(())
    }
}

/// `date=…/hour=…/00000000.parquet` staged becomes
/// `date=…/hour=…/<run>-00000000.parquet`: names never collide across runs.
fn final_name(rel: &str, id: &str) -> String {
    match rel.rsplit_once('/') {
        Some((dir, file)) => format!("{dir}/{id}-{file}"),
        None => format!("{id}-{rel}"),
    }
}

/// A run's id: its start time (UTC, sortable), the process id and a
/// random part (hosts exporting into one bucket at once may share both).
fn run_id() -> String {
    format!(
        "{}-{}-{:08x}",
        chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ"),
        std::process::id(),
        fastrand::u32(..)
    )
}

fn parquet_rows(path: &PathBuf) -> anyhow::Result<u64> {
    let file =
        std::fs::File::open(path).with_context(|| format!("{}: cannot open", path.display()))?;
    Ok(ParquetReader::new(file).num_rows()? as u64)
}

#[cfg(test)]
mod tests;
