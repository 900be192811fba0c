//! The one ingestion engine: inputs → chunks of whole lines → the format
//! detected once per source → lines parsed on worker threads → a [`Sink`].
//!
//! Every command reads through here. `analyze` and `query` call [`run`]
//! over their sources; `tail` hands the follower's new bytes to
//! [`parse_chunk`], the same function the batch workers run on each block.
//! So format detection ([`detect_format`]), line cutting and the line cap
//! ([`blocks`]), line numbering and what counts as a malformed line each
//! live in one place.
//!
//! Batch inputs: one reader thread per input at a time opens it,
//! decompresses it if need be, detects its format from its first lines and
//! cuts it into blocks. Blocks travel through a bounded channel, and their
//! buffers come back through a pool, so memory stays at a few blocks per
//! thread whatever the size of the input. Each worker owns one sink (made by
//! the caller's factory); sinks merge, or keep per-chunk results that the
//! caller orders.
//!
//! A worker does not know how many lines came before its block, so it numbers
//! a line `(block << LINE_BITS) | line within the block`, which sorts like the
//! real number. Each worker also records every block's line count; once all
//! blocks are in, [`Numbering`] turns provisional numbers into real ones. So
//! every total, sample and example is what one thread reading the inputs in
//! order would find, whatever the thread count or block size.

pub(crate) mod blocks;

use crate::aggregate::{merge_buckets, AggConfig, Aggregate, BucketStats, FastMap};
use crate::event::{Event, Micros};
use crate::input::open::{open, Compression};
use crate::input::Source;
use crate::parse::w3c::last_fields_line;
use crate::parse::{detect_format as detect_in, Format, LineParser, Malformed, ParseOptions};
use blocks::{lines, trim_cr, Cutter, Piece, Pool, MAX_LINE};
use crossbeam_channel::{Receiver, Sender};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// How many non-blank lines of a source are looked at to detect its format.
pub(crate) const DETECT_SAMPLE: usize = 100;

/// Blocks held back, at most, while an input's format is being detected:
/// past this, the lines seen so far decide.
const DETECT_HOLD_MAX: usize = 64 * 1024 * 1024;

/// Bits of a provisional line number that hold the line within its block.
const LINE_BITS: u32 = 40;

/// Where parsed lines go: the aggregate (analyze, tail), the frame builder
/// (query). A sink never knows where its lines came from.
pub(crate) trait Sink {
    fn event(&mut self, ev: &Event<'_>, source: u32, line: u64);
    fn malformed(&mut self, source: u32, line: u64, reason: Malformed, text: &[u8]);
    /// Called after each chunk's lines: block `seq` of `source` in batch runs.
    fn end_chunk(&mut self, _source: u32, _seq: u64) {}
}

impl Sink for Aggregate {
    fn event(&mut self, ev: &Event<'_>, source: u32, line: u64) {
        self.observe(ev, source, line);
    }

    fn malformed(&mut self, source: u32, line: u64, reason: Malformed, text: &[u8]) {
        self.observe_malformed(source, line, reason, text);
    }
}

/// A run of input as the parser sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Chunk<'a> {
    /// Whole lines, each ending in `\n` except perhaps the last one of an input.
    Lines(&'a [u8]),
    /// One line over the length cap; its bytes were skipped.
    TooLong,
    /// The bytes after the last newline before an input error.
    Cut(&'a [u8]),
}

/// Lines in a chunk.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct ChunkCount {
    /// Lines, blank ones included (they are numbered too).
    pub(crate) lines: u64,
    /// Non-blank lines: what `summary.inputs[].lines` counts.
    pub(crate) counted: u64,
}

/// The times a request may have (SPEC §3): from 1990-01-01 to one day after
/// the wall clock. One corrupt timestamp (an epoch of `9999999999` seconds, the year
/// 2286) must never make a bucket, an incident, or decide what is "ongoing".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TimeRange {
    pub(crate) first: Micros,
    pub(crate) last: Micros,
}

impl TimeRange {
    /// 1990-01-01T00:00:00Z.
    pub(crate) const EARLIEST: Micros = 631_152_000_000_000;
    const DAY: Micros = 86_400_000_000;

    /// The range when the wall clock says `now`.
    pub(crate) fn at(now: Micros) -> Self {
        TimeRange {
            first: Self::EARLIEST,
            last: now.saturating_add(Self::DAY),
        }
    }

    /// The range by the wall clock now.
    pub(crate) fn now() -> Self {
        Self::at(chrono::Utc::now().timestamp_micros())
    }

    fn contains(&self, ts: Micros) -> bool {
        (self.first..=self.last).contains(&ts)
    }
}

/// What makes a line malformed beyond its format: the length cap and the
/// time range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LineRules {
    /// Lines longer than this are malformed (`too long`).
    pub(crate) max_line: usize,
    pub(crate) times: TimeRange,
}

/// Parses every line of `chunk` into `sink`, numbering them `before + 1`,
/// `before + 2`, …. Blank lines are skipped and not counted; a line over
/// `rules.max_line` bytes is malformed (`too long`), so is a cut line and a
/// request whose time is outside `rules.times` (`time out of range`).
pub(crate) fn parse_chunk(
    chunk: Chunk<'_>,
    source: u32,
    before: u64,
    parser: &mut LineParser,
    sink: &mut impl Sink,
    rules: &LineRules,
) -> ChunkCount {
    let max_line = rules.max_line;
    let mut count = ChunkCount::default();
    match chunk {
        Chunk::Lines(data) => {
            for line in lines(data) {
                count.lines += 1;
                let n = before + count.lines;
                let t = &line[..trim_cr(line)];
                if t.len() > max_line {
                    sink.malformed(source, n, Malformed::TooLong, b"");
                } else if t.trim_ascii().is_empty()
                    || (t.first() == Some(&b'#') && parser.directive(t))
                {
                    // Blank lines, and W3C directives (`#Fields: ...`), which
                    // the parser has read: neither requests nor malformed.
                    continue;
                } else {
                    match parser.parse(t) {
                        Ok(ev) if rules.times.contains(ev.ts) => sink.event(&ev, source, n),
                        Ok(_) => sink.malformed(source, n, Malformed::TimeOutOfRange, t),
                        Err(reason) => sink.malformed(source, n, reason, t),
                    }
                }
                count.counted += 1;
            }
        }
        Chunk::TooLong => {
            count = ChunkCount {
                lines: 1,
                counted: 1,
            };
            sink.malformed(source, before + 1, Malformed::TooLong, b"");
        }
        Chunk::Cut(t) => {
            count = ChunkCount {
                lines: 1,
                counted: 1,
            };
            sink.malformed(source, before + 1, Malformed::CutByInputError, t);
        }
    }
    count
}

/// The first [`DETECT_SAMPLE`] non-blank lines of `chunks` (whole lines, as
/// [`Chunk::Lines`] holds them), without `\r`, none over `max_line`.
pub(crate) fn sample_lines<'a>(
    chunks: impl IntoIterator<Item = &'a [u8]>,
    max_line: usize,
) -> Vec<&'a [u8]> {
    let mut sample = Vec::new();
    for data in chunks {
        for line in lines(data) {
            let t = &line[..trim_cr(line)];
            if t.len() <= max_line && !t.trim_ascii().is_empty() {
                sample.push(t);
                if sample.len() == DETECT_SAMPLE {
                    return sample;
                }
            }
        }
    }
    sample
}

/// The format of a source whose first chunks are `chunks`.
pub(crate) fn detect_format<'a>(
    opts: &ParseOptions,
    chunks: impl IntoIterator<Item = &'a [u8]>,
    max_line: usize,
) -> Format {
    detect_in(opts, &sample_lines(chunks, max_line))
}

/// How inputs are cut into blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Blocks {
    /// Bytes a block holds (a block grows to hold one line longer than this).
    pub(crate) size: usize,
    /// Lines longer than this are malformed (`too long`).
    pub(crate) max_line: usize,
}

impl Default for Blocks {
    fn default() -> Self {
        // Big enough that per-block costs vanish, small enough to stay in cache
        // between the reader that fills a block and the worker that parses it.
        Blocks {
            size: 1024 * 1024,
            max_line: MAX_LINE,
        }
    }
}

/// What happened to one input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct InputOutcome {
    pub(crate) source: Source,
    /// None when the input could not be opened.
    pub(crate) format: Option<Format>,
    pub(crate) compression: Option<Compression>,
    /// Non-blank lines read.
    pub(crate) lines: u64,
    /// A read or decompression error; everything before it was counted.
    pub(crate) error: Option<String>,
    /// Why a file found in a directory was not read as a log (SPEC §2).
    pub(crate) skipped: Option<String>,
    /// Some of its first lines parse in `format` (false for random bytes: the
    /// report then names no format).
    pub(crate) recognized: bool,
}

/// The result of a batch run: one sink per worker, what happened to each
/// input, and how to turn the sinks' provisional line numbers into real ones.
pub(crate) struct Ingested<S> {
    pub(crate) sinks: Vec<S>,
    pub(crate) outcomes: Vec<InputOutcome>,
    pub(crate) numbering: Numbering,
}

/// A block on its way to a worker.
struct Job {
    source: u32,
    seq: u64,
    format: Format,
    /// For formats whose `#Fields` lines define the columns: the last such
    /// line of the source before this block (see `parse::w3c`).
    header: Option<Arc<[u8]>>,
    piece: Piece,
}

/// What a worker learnt about one block.
#[derive(Debug, Clone, Copy)]
struct BlockCount {
    source: u32,
    seq: u64,
    count: ChunkCount,
}

/// What a reader thread learnt about one input.
struct ReaderReport {
    format: Option<Format>,
    /// Some line of the detection sample parses in `format`.
    recognized: bool,
    skipped: Option<String>,
    compression: Option<Compression>,
    /// An open error, or a read error with the bytes read before it.
    error: Option<ReadFailure>,
    seconds: f64,
}

impl Default for ReaderReport {
    fn default() -> Self {
        ReaderReport {
            format: None,
            recognized: true,
            skipped: None,
            compression: None,
            error: None,
            seconds: 0.0,
        }
    }
}

enum ReadFailure {
    Open(std::io::Error),
    Read(u64, std::io::Error),
}

/// Reads every source on `threads` worker threads, each into its own sink
/// made by `make`. `bytes_read` grows with the bytes read from disk, for a
/// progress display.
pub(crate) fn run<S: Sink + Send>(
    sources: &[Source],
    opts: &ParseOptions,
    threads: usize,
    blocks: Blocks,
    bytes_read: Arc<AtomicU64>,
    make: impl Fn() -> S + Sync,
) -> Ingested<S> {
    let threads = threads.max(1);
    let readers = threads.min(sources.len()).max(1);
    // One clock reading for the whole run, so every worker judges alike.
    let rules = LineRules {
        max_line: blocks.max_line,
        times: TimeRange::now(),
    };
    let (jobs_tx, jobs_rx) = crossbeam_channel::bounded::<Job>(threads * 2);
    let pool = Pool::new(blocks.size);
    let next = AtomicUsize::new(0);
    let reads: Mutex<Vec<Option<ReaderReport>>> =
        Mutex::new((0..sources.len()).map(|_| None).collect());

    let mut sinks = Vec::with_capacity(threads);
    let mut counts: Vec<BlockCount> = Vec::new();
    std::thread::scope(|scope| {
        for _ in 0..readers {
            let jobs = jobs_tx.clone();
            let (next, reads, pool, bytes_read) = (&next, &reads, pool.clone(), bytes_read.clone());
            scope.spawn(move || loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(source) = sources.get(i) else { break };
                let read = read_input(i as u32, source, opts, blocks, &pool, &jobs, &bytes_read);
                if let Ok(mut all) = reads.lock() {
                    all[i] = Some(read);
                }
            });
        }
        // The workers stop when the last reader drops its sender.
        drop(jobs_tx);
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                let (jobs, pool, make) = (jobs_rx.clone(), pool.clone(), &make);
                scope.spawn(move || parse_blocks(&jobs, &pool, opts, make(), &rules))
            })
            .collect();
        for w in workers {
            match w.join() {
                Ok((sink, mut theirs)) => {
                    sinks.push(sink);
                    counts.append(&mut theirs);
                }
                // A worker panic is a bug; re-raise it rather than report partial counts.
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
    });

    let reads = reads.into_inner().unwrap_or_else(|e| e.into_inner());
    let numbering = Numbering::new(sources.len(), &counts);
    let outcomes = sources
        .iter()
        .zip(reads)
        .enumerate()
        .map(|(i, (source, read))| outcome(source, read, numbering.totals[i]))
        .collect();
    Ingested {
        sinks,
        outcomes,
        numbering,
    }
}

/// [`run`] into aggregates, merged, with real line numbers.
pub(crate) fn aggregate(
    sources: &[Source],
    opts: &ParseOptions,
    config: AggConfig,
    threads: usize,
    blocks: Blocks,
    bytes_read: Arc<AtomicU64>,
) -> (Aggregate, Vec<InputOutcome>) {
    let shared = Mutex::new(FastMap::default());
    let run = run(sources, opts, threads, blocks, bytes_read, || {
        Worker::new(Aggregate::new(config), &shared)
    });
    let Ingested {
        sinks,
        outcomes,
        numbering,
    } = run;
    let workers: Vec<Aggregate> = sinks.into_iter().map(|w| w.agg).collect();
    let mut total = Aggregate::new(config);
    total.buckets = shared.into_inner().unwrap_or_else(|e| e.into_inner());
    for agg in workers {
        total.merge(agg);
    }
    total.renumber(|source, line| numbering.absolute(source, line));
    (total, outcomes)
}

/// How many chunks a worker reads between two hand-overs of its cold buckets.
const HAND_OVER_EVERY: u32 = 8;

/// A worker's aggregate in a batch run. Every [`HAND_OVER_EVERY`] chunks it
/// hands the buckets it did not count in since the last hand-over to a map
/// the workers share, their breakdowns frozen (`aggregate::Breakdowns`). A
/// full bucket's breakdowns take 10 to 15 KB live and about a third of that
/// frozen, and a few days at one-minute buckets are thousands of buckets:
/// this way they are held once, not once per worker, and packed, until the
/// end. A bucket counted in again after its hand-over (lines out of order,
/// or two workers on the same minute) is merged with the shared one at the
/// end, as the workers' aggregates always were; a time-ordered input read by
/// one worker never splits a bucket.
struct Worker<'a> {
    agg: Aggregate,
    shared: &'a Mutex<FastMap<i64, BucketStats>>,
    /// The hand-over period each bucket index was last counted in.
    touched: FastMap<i64, u32>,
    /// The time span `[from, to)` of the last event's bucket, so most
    /// lines skip both the division and `touched`.
    last: Option<(Micros, Micros)>,
    period: u32,
    chunks: u32,
}

impl<'a> Worker<'a> {
    fn new(agg: Aggregate, shared: &'a Mutex<FastMap<i64, BucketStats>>) -> Self {
        Worker {
            agg,
            shared,
            touched: FastMap::default(),
            last: None,
            period: 0,
            chunks: 0,
        }
    }

    /// Moves the buckets not counted in this period to the shared map.
    fn hand_over(&mut self) {
        let period = self.period;
        let cold: Vec<i64> = self
            .agg
            .buckets
            .keys()
            .copied()
            .filter(|i| self.touched.get(i).is_none_or(|&p| p < period))
            .collect();
        self.touched.retain(|_, p| *p == period);
        self.period = period.wrapping_add(1);
        self.last = None;
        if cold.is_empty() {
            return;
        }
        // Frozen before the lock is taken, so workers pack in parallel.
        let moved: Vec<(i64, BucketStats)> = cold
            .iter()
            .filter_map(|i| self.agg.buckets.remove_entry(i))
            .map(|(i, mut b)| {
                b.breakdowns.freeze();
                (i, b)
            })
            .collect();
        let mut shared = self.shared.lock().unwrap_or_else(|e| e.into_inner());
        merge_buckets(&mut shared, moved);
    }
}

impl Sink for Worker<'_> {
    #[inline]
    fn event(&mut self, ev: &Event<'_>, source: u32, line: u64) {
        if !self
            .last
            .is_some_and(|(from, to)| from <= ev.ts && ev.ts < to)
        {
            let width = self.agg.config.bucket_us;
            let index = ev.ts.div_euclid(width);
            let from = index.saturating_mul(width);
            self.last = Some((from, from.saturating_add(width)));
            self.touched.insert(index, self.period);
        }
        self.agg.observe(ev, source, line);
    }

    fn malformed(&mut self, source: u32, line: u64, reason: Malformed, text: &[u8]) {
        self.agg.observe_malformed(source, line, reason, text);
    }

    fn end_chunk(&mut self, _source: u32, _seq: u64) {
        self.chunks = self.chunks.wrapping_add(1);
        if self.chunks.is_multiple_of(HAND_OVER_EVERY) {
            self.hand_over();
        }
    }
}

/// Opens one input and sends its blocks, held back until its format is known.
fn read_input(
    index: u32,
    source: &Source,
    opts: &ParseOptions,
    blocks: Blocks,
    pool: &Pool,
    jobs: &Sender<Job>,
    bytes_read: &Arc<AtomicU64>,
) -> ReaderReport {
    let started = std::time::Instant::now();
    let mut read = ReaderReport::default();
    let opened = match open(source, bytes_read.clone()) {
        Ok(o) => o,
        Err(e) => {
            read.error = Some(ReadFailure::Open(e));
            return read;
        }
    };
    read.compression = Some(opened.compression);
    let mut cutter = Cutter::new(opened.reader, pool.clone(), blocks.max_line);
    let mut held: Vec<Piece> = Vec::new();
    let mut held_bytes = 0;
    // Sample lines in the held pieces so far, counted piece by piece (capped
    // at DETECT_SAMPLE), so a file of blank lines is not rescanned per piece.
    let mut held_lines = 0;
    let mut seq = 0;
    // The last `#Fields` line sent so far: blocks are sent in order, so this
    // is the header in force where the next block starts.
    let mut header: Option<Arc<[u8]>> = None;
    let mut send = |format: Format, piece: Piece| {
        let before = header.clone();
        if format.has_headers() {
            if let Some(h) = piece.lines().and_then(last_fields_line) {
                header = Some(Arc::from(h));
            }
        }
        let job = Job {
            source: index,
            seq,
            format,
            header: before,
            piece,
        };
        seq += 1;
        // Fails only when every worker is gone, which only a worker panic does.
        jobs.send(job).is_ok()
    };
    fn held_sample(held: &[Piece], max_line: usize) -> Vec<&[u8]> {
        sample_lines(held.iter().filter_map(Piece::lines), max_line)
    }
    while let Some(item) = cutter.next_piece() {
        let piece = match item {
            Ok(p) => p,
            Err(e) => {
                read.error = Some(ReadFailure::Read(cutter.offset(), e));
                break;
            }
        };
        match read.format {
            Some(format) => {
                if !send(format, piece) {
                    break;
                }
            }
            None => {
                held_bytes += piece.lines().map_or(0, <[u8]>::len);
                held_lines += piece
                    .lines()
                    .map_or(0, |l| sample_lines([l], blocks.max_line).len());
                held.push(piece);
                if held_lines >= DETECT_SAMPLE || held_bytes >= DETECT_HOLD_MAX {
                    let sample = held_sample(&held, blocks.max_line);
                    let format = detect_in(opts, &sample);
                    read.format = Some(format);
                    (read.recognized, read.skipped) = not_a_log(source, opts, format, &sample);
                    if read.skipped.is_some() {
                        break;
                    }
                    for piece in held.drain(..) {
                        send(format, piece);
                    }
                }
            }
        }
    }
    if read.format.is_none() {
        let sample = held_sample(&held, blocks.max_line);
        let format = detect_in(opts, &sample);
        read.format = Some(format);
        (read.recognized, read.skipped) = not_a_log(source, opts, format, &sample);
    }
    if read.skipped.is_some() {
        for piece in held.drain(..) {
            piece.recycle(pool);
        }
    } else if let Some(format) = read.format {
        for piece in held.drain(..) {
            send(format, piece);
        }
    }
    read.seconds = started.elapsed().as_secs_f64();
    read
}

/// Why a file found by walking a directory is not a log, if it is not one:
/// its best format parses at most one in ten of the sample of its first
/// lines (a README, a PID file, a CSV). Lines that are the format's own
/// non-request records (an ELB's TCP lines) count as the format's; `#`
/// directives of W3C logs count for nothing. Not "at most half", as SPEC §2 words
/// it: real logs mix in non-request lines (Heroku's `heroku logs` output is
/// 80 % app and platform lines, Caddy's status-0 lines are malformed), and
/// they must not be skipped. Files named on the command line are always read,
/// and an empty file is no evidence either way.
///
/// Also says whether the format was recognised at all: when no line of a
/// non-empty sample parses (random bytes, a binary), the input is read (and
/// its lines are malformed) but it is not labelled with a format it is not in.
fn not_a_log(
    source: &Source,
    opts: &ParseOptions,
    format: Format,
    sample: &[&[u8]],
) -> (bool, Option<String>) {
    if sample.is_empty() {
        return (true, None);
    }
    let score = LineParser::new(format, opts).score(sample);
    let (lines, parsed) = (score.lines, score.parsed + score.known);
    if lines == 0 {
        // Only W3C directives so far (a log that has written its header
        // and no request yet): no evidence either way.
        return (true, None);
    }
    let skipped = (source.found() && parsed * 10 <= lines).then(|| {
        format!(
            "not a log: {parsed} of its first {lines} lines parse as {}",
            format.name()
        )
    });
    (parsed > 0, skipped)
}

/// A worker: parses blocks into `sink` until the channel closes.
fn parse_blocks<S: Sink>(
    jobs: &Receiver<Job>,
    pool: &Pool,
    opts: &ParseOptions,
    mut sink: S,
    rules: &LineRules,
) -> (S, Vec<BlockCount>) {
    let mut counts = Vec::new();
    // One parser per format seen, so caches (the last timestamp) survive across blocks.
    let mut parsers: Vec<(Format, LineParser)> = Vec::new();
    for job in jobs.iter() {
        let slot = match parsers.iter().position(|(f, _)| *f == job.format) {
            Some(i) => i,
            None => {
                parsers.push((job.format, LineParser::new(job.format, opts)));
                parsers.len() - 1
            }
        };
        let parser = &mut parsers[slot].1;
        parser.resume(job.header.as_deref());
        let base = job.seq << LINE_BITS;
        let count = parse_chunk(
            job.piece.chunk(),
            job.source,
            base,
            parser,
            &mut sink,
            rules,
        );
        sink.end_chunk(job.source, job.seq);
        counts.push(BlockCount {
            source: job.source,
            seq: job.seq,
            count,
        });
        job.piece.recycle(pool);
    }
    (sink, counts)
}

/// Turns provisional line numbers into real ones.
pub(crate) struct Numbering {
    /// Per source, per block: the lines before the block.
    before: Vec<Vec<u64>>,
    /// Per source: (lines, non-blank lines).
    totals: Vec<(u64, u64)>,
}

impl Numbering {
    fn new(sources: usize, counts: &[BlockCount]) -> Self {
        let mut per_block: Vec<Vec<ChunkCount>> = vec![Vec::new(); sources];
        for c in counts {
            let blocks = &mut per_block[c.source as usize];
            let seq = c.seq as usize;
            if blocks.len() <= seq {
                blocks.resize(seq + 1, ChunkCount::default());
            }
            blocks[seq] = c.count;
        }
        let mut before = Vec::with_capacity(sources);
        let mut totals = Vec::with_capacity(sources);
        for blocks in per_block {
            let (mut lines, mut counted) = (0, 0);
            before.push(
                blocks
                    .iter()
                    .map(|c| {
                        let start = lines;
                        lines += c.lines;
                        counted += c.counted;
                        start
                    })
                    .collect(),
            );
            totals.push((lines, counted));
        }
        Numbering { before, totals }
    }

    /// The block a provisional line number belongs to.
    pub(crate) fn block_of(provisional: u64) -> u64 {
        provisional >> LINE_BITS
    }

    /// A provisional line number's line within its block (1-based).
    pub(crate) fn within_block(provisional: u64) -> u64 {
        provisional & ((1 << LINE_BITS) - 1)
    }

    /// Every block seen, as (source, block, lines before it in its source):
    /// what a line's block and [`Numbering::within_block`] need to be made
    /// real later, where a lookup per line is a join (`query`'s spill).
    #[cfg(feature = "query")]
    pub(crate) fn block_starts(&self) -> impl Iterator<Item = (u32, u64, u64)> + '_ {
        self.before.iter().enumerate().flat_map(|(source, blocks)| {
            blocks
                .iter()
                .enumerate()
                .map(move |(seq, before)| (source as u32, seq as u64, *before))
        })
    }

    /// The real line number of a provisional one.
    pub(crate) fn absolute(&self, source: u32, provisional: u64) -> u64 {
        let seq = Self::block_of(provisional) as usize;
        let within = Self::within_block(provisional);
        let before = self
            .before
            .get(source as usize)
            .and_then(|b| b.get(seq))
            .copied()
            .unwrap_or(0);
        before + within
    }
}

fn outcome(
    source: &Source,
    read: Option<ReaderReport>,
    (lines, counted): (u64, u64),
) -> InputOutcome {
    let read = read.unwrap_or_default();
    // A file skipped as not a log has no input error to report (it may have
    // stopped being read right after the sample that decided).
    let failure = read.error.filter(|_| read.skipped.is_none());
    let error = failure.map(|failure| match failure {
        ReadFailure::Open(e) => format!("cannot open: {e}"),
        ReadFailure::Read(offset, e) => {
            let what = match read.compression {
                Some(Compression::Gzip) => "corrupt or truncated gzip data",
                Some(Compression::Zstd) => "corrupt or truncated zstd data",
                _ => "read error",
            };
            format!("{what} after {offset} bytes (line {lines}): {e}")
        }
    });
    if let (Some(format), Some(compression)) = (read.format, read.compression) {
        tracing::info!(
            input = %source.display_name(),
            format = format.name(),
            compression = compression.name(),
            lines = counted,
            seconds = read.seconds,
            "read"
        );
    }
    InputOutcome {
        source: source.clone(),
        format: read.format,
        compression: read.compression,
        lines: counted,
        error,
        skipped: read.skipped,
        recognized: read.recognized,
    }
}

#[cfg(test)]
mod tests;
