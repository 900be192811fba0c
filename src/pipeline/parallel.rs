//! `analyze`'s pipeline on every core: inputs are cut into line-aligned
//! blocks by reader threads and parsed by worker threads, each into its own
//! [`Aggregate`]; the aggregates merge at the end.
//!
//! One reader thread per input at a time opens it, decompresses it if need
//! be, detects its format from its first lines and cuts it into blocks (see
//! [`super::blocks`]). Blocks travel through a bounded channel, and their
//! buffers come back through a pool, so memory stays at a few blocks per
//! thread whatever the size of the input.
//!
//! A worker does not know how many lines came before its block, so it numbers
//! a line `(block << LINE_BITS) | line within the block`, which sorts like the
//! real number. Each worker also records every block's line count; once all
//! blocks are in, those counts give each block's first line and
//! [`Aggregate::renumber`] rewrites the few figures that hold a line number.
//! So every total, sample and example is what one thread reading the inputs
//! in order would find, whatever the thread count or block size.

use super::blocks::{lines, Cutter, Piece, Pool};
use super::{InputOutcome, DETECT_SAMPLE};
use crate::aggregate::{AggConfig, Aggregate};
use crate::input::lines::{trim_cr, MAX_LINE};
use crate::input::open::{open, Compression};
use crate::input::Source;
use crate::parse::{detect, Format, LineParser, Malformed, ParseOptions};
use crossbeam_channel::{Receiver, Sender};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// Bits of a provisional line number that hold the line within its block.
const LINE_BITS: u32 = 40;

/// Blocks held back, at most, while an input's format is being detected:
/// past this, the lines seen so far decide.
const DETECT_HOLD_MAX: usize = 64 * 1024 * 1024;

/// How inputs are cut into blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Blocks {
    /// Bytes a block holds (a block grows to hold one line longer than this).
    pub size: usize,
    /// Lines longer than this are malformed (`too long`).
    pub max_line: usize,
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

/// A block on its way to a worker.
struct Job {
    source: u32,
    seq: u64,
    format: Format,
    piece: Piece,
}

/// What a worker learnt about one block.
#[derive(Debug, Clone, Copy)]
struct BlockCount {
    source: u32,
    seq: u64,
    /// Lines, blank ones included (they are numbered too).
    lines: u64,
    /// Non-blank lines.
    counted: u64,
}

/// What a reader thread learnt about one input.
struct ReaderReport {
    format: Option<Format>,
    compression: Option<Compression>,
    /// An open error, or a read error with the bytes read before it.
    error: Option<ReadFailure>,
    seconds: f64,
}

enum ReadFailure {
    Open(std::io::Error),
    Read(u64, std::io::Error),
}

/// Reads every source into one aggregate, on `threads` worker threads.
/// `bytes_read` grows with the bytes read from disk, for a progress display.
pub fn run(
    sources: &[Source],
    opts: &ParseOptions,
    config: AggConfig,
    threads: usize,
    blocks: Blocks,
    bytes_read: Arc<AtomicU64>,
) -> (Aggregate, Vec<InputOutcome>) {
    let threads = threads.max(1);
    let readers = threads.min(sources.len()).max(1);
    let (jobs_tx, jobs_rx) = crossbeam_channel::bounded::<Job>(threads * 2);
    let pool = Pool::new(blocks.size);
    let next = AtomicUsize::new(0);
    let reads: Mutex<Vec<Option<ReaderReport>>> =
        Mutex::new((0..sources.len()).map(|_| None).collect());

    let mut total = Aggregate::new(config);
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
                let (jobs, pool) = (jobs_rx.clone(), pool.clone());
                scope.spawn(move || parse_blocks(&jobs, &pool, opts, config, blocks.max_line))
            })
            .collect();
        for w in workers {
            match w.join() {
                Ok((agg, mut theirs)) => {
                    total.merge(agg);
                    counts.append(&mut theirs);
                }
                // A worker panic is a bug; re-raise it rather than report partial counts.
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
    });

    let reads = reads.into_inner().unwrap_or_else(|e| e.into_inner());
    let numbering = Numbering::new(sources.len(), &counts);
    total.renumber(|source, line| numbering.absolute(source, line));
    let outcomes = sources
        .iter()
        .zip(reads)
        .enumerate()
        .map(|(i, (source, read))| outcome(source, read, numbering.totals[i]))
        .collect();
    (total, outcomes)
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
    let mut read = ReaderReport {
        format: None,
        compression: None,
        error: None,
        seconds: 0.0,
    };
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
    let mut seq = 0;
    let mut send = |format: Format, piece: Piece| {
        let job = Job {
            source: index,
            seq,
            format,
            piece,
        };
        seq += 1;
        // Fails only when every worker is gone, which only a worker panic does.
        jobs.send(job).is_ok()
    };
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
                held.push(piece);
                let (sample, bytes) = sample_of(&held, blocks.max_line);
                if sample.len() >= DETECT_SAMPLE || bytes >= DETECT_HOLD_MAX {
                    let format = detect(opts, &sample);
                    read.format = Some(format);
                    for piece in held.drain(..) {
                        send(format, piece);
                    }
                }
            }
        }
    }
    if read.format.is_none() {
        let format = detect(opts, &sample_of(&held, blocks.max_line).0);
        read.format = Some(format);
        for piece in held.drain(..) {
            send(format, piece);
        }
    }
    read.seconds = started.elapsed().as_secs_f64();
    read
}

/// The first [`DETECT_SAMPLE`] non-blank lines of `held` (as the format
/// detector wants them: no `\r`, none over the cap), and the bytes held.
fn sample_of(held: &[Piece], max_line: usize) -> (Vec<&[u8]>, usize) {
    let mut sample = Vec::new();
    let mut bytes = 0;
    for piece in held {
        if let Piece::Lines { buf, len } = piece {
            bytes += len;
            for line in lines(&buf[..*len]) {
                let t = &line[..trim_cr(line, 0, line.len())];
                if t.len() <= max_line && !t.trim_ascii().is_empty() {
                    sample.push(t);
                    if sample.len() == DETECT_SAMPLE {
                        return (sample, bytes);
                    }
                }
            }
        }
    }
    (sample, bytes)
}

/// A worker: parses blocks until the channel closes.
fn parse_blocks(
    jobs: &Receiver<Job>,
    pool: &Pool,
    opts: &ParseOptions,
    config: AggConfig,
    max_line: usize,
) -> (Aggregate, Vec<BlockCount>) {
    let mut agg = Aggregate::new(config);
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
        let base = job.seq << LINE_BITS;
        let mut count = BlockCount {
            source: job.source,
            seq: job.seq,
            lines: 0,
            counted: 0,
        };
        match &job.piece {
            Piece::Lines { buf, len } => {
                for line in lines(&buf[..*len]) {
                    count.lines += 1;
                    let n = base | count.lines;
                    let t = &line[..trim_cr(line, 0, line.len())];
                    if t.len() > max_line {
                        agg.observe_malformed(job.source, n, Malformed::TooLong, b"");
                    } else if t.trim_ascii().is_empty() {
                        continue;
                    } else {
                        match parser.parse(t) {
                            Ok(ev) => agg.observe(&ev, job.source, n),
                            Err(reason) => agg.observe_malformed(job.source, n, reason, t),
                        }
                    }
                    count.counted += 1;
                }
            }
            Piece::TooLong => {
                count.lines = 1;
                count.counted = 1;
                agg.observe_malformed(job.source, base | 1, Malformed::TooLong, b"");
            }
            Piece::Cut { buf, len } => {
                count.lines = 1;
                count.counted = 1;
                let t = &buf[..*len];
                agg.observe_malformed(job.source, base | 1, Malformed::CutByInputError, t);
            }
        }
        counts.push(count);
        job.piece.recycle(pool);
    }
    (agg, counts)
}

/// Turns provisional line numbers into real ones.
struct Numbering {
    /// Per source, per block: the lines before the block.
    before: Vec<Vec<u64>>,
    /// Per source: (lines, non-blank lines).
    totals: Vec<(u64, u64)>,
}

impl Numbering {
    fn new(sources: usize, counts: &[BlockCount]) -> Self {
        let mut per_block: Vec<Vec<(u64, u64)>> = vec![Vec::new(); sources];
        for c in counts {
            let blocks = &mut per_block[c.source as usize];
            let seq = c.seq as usize;
            if blocks.len() <= seq {
                blocks.resize(seq + 1, (0, 0));
            }
            blocks[seq] = (c.lines, c.counted);
        }
        let mut before = Vec::with_capacity(sources);
        let mut totals = Vec::with_capacity(sources);
        for blocks in per_block {
            let (mut lines, mut counted) = (0, 0);
            before.push(
                blocks
                    .iter()
                    .map(|(l, c)| {
                        let start = lines;
                        lines += l;
                        counted += c;
                        start
                    })
                    .collect(),
            );
            totals.push((lines, counted));
        }
        Numbering { before, totals }
    }

    fn absolute(&self, source: u32, provisional: u64) -> u64 {
        let seq = (provisional >> LINE_BITS) as usize;
        let within = provisional & ((1 << LINE_BITS) - 1);
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
    let read = read.unwrap_or(ReaderReport {
        format: None,
        compression: None,
        error: None,
        seconds: 0.0,
    });
    let error = read.error.map(|failure| match failure {
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
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::AggConfig;
    use proptest::prelude::*;
    use std::io::Write;

    const CONFIG: AggConfig = AggConfig {
        bucket_us: 60_000_000,
        since: None,
        until: None,
    };

    /// One line of a messy combined log, picked by `kind`.
    fn line(kind: u8, n: u32) -> String {
        let ts = format!("25/Nov/2026:10:{:02}:{:02} +0000", (n * 7) % 60, n % 60);
        match kind % 9 {
            0 | 1 => {
                format!(r#"10.0.0.{n} - - [{ts}] "GET /v1/items/{n} HTTP/1.1" 200 12 "-" "ua""#)
            }
            2 => format!(
                r#"10.0.0.1 - - [{ts}] "POST /v1/charges HTTP/1.1" 500 9 "-" "ua" 0.1 "{{\"type\":\"api_error\",\"code\":\"c{}\",\"message\":\"m{n}\"}}""#,
                n % 3
            ),
            3 => format!(
                r#"2001:db8::1 - - [{ts}] "GET /x HTTP/1.1" 404 - "-" "ua"{}"#,
                "\r"
            ),
            4 => format!("garbage {n}"),
            5 => String::new(),
            6 => format!(
                r#"10.0.0.1 - - [{ts}] "GET /{} HTTP/1.1" 200 1 "-" "ua""#,
                "y".repeat(300)
            ),
            7 => format!(r#"10.0.0.1 - - [{ts}] "GET /cut HTTP/1.1" 5"#),
            _ => "   ".to_string(),
        }
    }

    /// The aggregate and outcomes of the single-threaded streaming reader.
    fn reference(path: &std::path::Path, max_line: usize) -> (serde_json::Value, (Format, u64)) {
        let source = Source::File(path.to_path_buf());
        let opened = open(&source, Arc::new(AtomicU64::new(0))).unwrap();
        let mut agg = Aggregate::new(CONFIG);
        let (format, lines, error) = super::super::read_lines_capped(
            0,
            opened.reader,
            &ParseOptions::default(),
            &mut agg,
            max_line,
        );
        assert!(error.is_none());
        (serde_json::to_value(&agg).unwrap(), (format, lines))
    }

    fn parallel(
        path: &std::path::Path,
        threads: usize,
        blocks: Blocks,
    ) -> (serde_json::Value, (Format, u64)) {
        let sources = [Source::File(path.to_path_buf())];
        let (agg, outcomes) = run(
            &sources,
            &ParseOptions::default(),
            CONFIG,
            threads,
            blocks,
            Arc::new(AtomicU64::new(0)),
        );
        let o = &outcomes[0];
        assert_eq!(o.error, None);
        (
            serde_json::to_value(&agg).unwrap(),
            (o.format.unwrap(), o.lines),
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// Any thread count and block size gives exactly what one thread
        /// reading line by line gives: every count, sample and example.
        #[test]
        fn blocks_on_many_threads_equal_one_reader(
            kinds in proptest::collection::vec(0u8..9, 0..250),
            final_newline: bool,
            gzip: bool,
            threads in 1usize..5,
            size in 1usize..400,
        ) {
            let mut text = kinds
                .iter()
                .enumerate()
                .map(|(i, k)| line(*k, i as u32))
                .collect::<Vec<_>>()
                .join("\n");
            if final_newline {
                text.push('\n');
            }
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("access.log");
            let bytes = if gzip {
                let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
                e.write_all(text.as_bytes()).unwrap();
                e.finish().unwrap()
            } else {
                text.into_bytes()
            };
            std::fs::write(&path, bytes).unwrap();
            let max_line = 200;
            let want = reference(&path, max_line);
            let got = parallel(&path, threads, Blocks { size, max_line });
            prop_assert_eq!(got, want);
        }
    }
}
