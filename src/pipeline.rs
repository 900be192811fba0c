//! input → parse → aggregate over many sources, one worker thread per core.
//!
//! Each worker takes the next source, reads it start to end into its own
//! [`Aggregate`], and the aggregates are merged at the end. Nothing here
//! prints: per-input problems come back in [`InputOutcome`].

use crate::aggregate::{AggConfig, Aggregate};
use crate::input::lines::{Line, LineReader};
use crate::input::open::{open, Compression};
use crate::input::Source;
use crate::parse::{detect, Format, LineParser, Malformed, ParseOptions};
use std::io::Read;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// How many non-blank lines of an input are looked at to detect its format.
const DETECT_SAMPLE: usize = 100;

/// What happened to one input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputOutcome {
    pub source: Source,
    /// None when the input could not be opened.
    pub format: Option<Format>,
    pub compression: Option<Compression>,
    /// Non-blank lines read.
    pub lines: u64,
    /// A read or decompression error; everything before it was counted.
    pub error: Option<String>,
}

/// Reads every source into one aggregate. `bytes_read` grows with the bytes
/// read from disk (before decompression), for a progress display.
pub fn run(
    sources: &[Source],
    opts: &ParseOptions,
    config: AggConfig,
    threads: usize,
    bytes_read: Arc<AtomicU64>,
) -> (Aggregate, Vec<InputOutcome>) {
    let next = AtomicUsize::new(0);
    let outcomes: Mutex<Vec<Option<InputOutcome>>> = Mutex::new(vec![None; sources.len()]);
    let workers = threads.clamp(1, sources.len().max(1));
    let mut total = Aggregate::new(config);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let mut agg = Aggregate::new(config);
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(source) = sources.get(i) else { break };
                        let outcome =
                            read_source(i as u32, source, opts, &mut agg, bytes_read.clone());
                        if let Ok(mut all) = outcomes.lock() {
                            all[i] = Some(outcome);
                        }
                    }
                    agg
                })
            })
            .collect();
        for h in handles {
            match h.join() {
                Ok(agg) => total.merge(agg),
                // A worker panic is a bug; re-raise it rather than report partial counts.
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
    });
    let outcomes = outcomes
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .flatten()
        .collect();
    (total, outcomes)
}

/// Reads one source into `agg`.
pub fn read_source(
    index: u32,
    source: &Source,
    opts: &ParseOptions,
    agg: &mut Aggregate,
    bytes_read: Arc<AtomicU64>,
) -> InputOutcome {
    let mut outcome = InputOutcome {
        source: source.clone(),
        format: None,
        compression: None,
        lines: 0,
        error: None,
    };
    let opened = match open(source, bytes_read) {
        Ok(o) => o,
        Err(e) => {
            outcome.error = Some(format!("cannot open: {e}"));
            return outcome;
        }
    };
    outcome.compression = Some(opened.compression);
    let lines_before = agg.lines;
    let (format, error) = read_lines(index, opened.reader, opts, agg);
    outcome.format = Some(format);
    outcome.lines = agg.lines - lines_before;
    outcome.error = error.map(|(offset, line, e)| {
        let what = match opened.compression {
            Compression::None => "read error",
            Compression::Gzip => "corrupt or truncated gzip data",
            Compression::Zstd => "corrupt or truncated zstd data",
        };
        format!("{what} after {offset} bytes (line {line}): {e}")
    });
    outcome
}

/// A line held back while the format is being detected.
enum Held {
    Text(Vec<u8>),
    TooLong,
    Cut(Vec<u8>),
}

/// Parses the lines of one reader. Returns the format used and, on a read
/// error, the decompressed offset and line reached and the error.
fn read_lines(
    index: u32,
    reader: Box<dyn Read + Send>,
    opts: &ParseOptions,
    agg: &mut Aggregate,
) -> (Format, Option<(u64, u64, std::io::Error)>) {
    let mut lines = LineReader::new(reader);
    let mut error = None;

    // Hold back the first lines until the format is known.
    let mut held: Vec<(u64, Held)> = Vec::new();
    let mut texts = 0;
    while texts < DETECT_SAMPLE {
        match lines.next_line() {
            None => break,
            Some(Err(e)) => {
                error = Some((lines.offset(), held.last().map_or(0, |h| h.0), e));
                break;
            }
            Some(Ok((n, Line::Text(t)))) => {
                if !t.trim_ascii().is_empty() {
                    texts += 1;
                    held.push((n, Held::Text(t.to_vec())));
                }
            }
            Some(Ok((n, Line::TooLong))) => held.push((n, Held::TooLong)),
            Some(Ok((n, Line::Cut(t)))) => held.push((n, Held::Cut(t.to_vec()))),
        }
    }
    let sample: Vec<&[u8]> = held
        .iter()
        .filter_map(|(_, h)| match h {
            Held::Text(t) => Some(t.as_slice()),
            _ => None,
        })
        .collect();
    let format = detect(opts, &sample);
    let mut parser = LineParser::new(format, opts);

    let mut last_line = 0;
    for (n, h) in &held {
        last_line = *n;
        let line = match h {
            Held::Text(t) => Line::Text(t),
            Held::TooLong => Line::TooLong,
            Held::Cut(t) => Line::Cut(t),
        };
        handle(index, *n, line, &mut parser, agg);
    }
    if error.is_none() {
        while let Some(item) = lines.next_line() {
            match item {
                Ok((n, line)) => {
                    last_line = n;
                    handle(index, n, line, &mut parser, agg);
                }
                Err(e) => {
                    error = Some((lines.offset(), last_line, e));
                    break;
                }
            }
        }
    }
    (format, error)
}

fn handle(index: u32, n: u64, line: Line<'_>, parser: &mut LineParser, agg: &mut Aggregate) {
    match line {
        Line::Text(t) => {
            if t.trim_ascii().is_empty() {
                return;
            }
            match parser.parse(t) {
                Ok(ev) => agg.observe(ev, index, n),
                Err(reason) => agg.observe_malformed(index, n, reason, t),
            }
        }
        Line::TooLong => agg.observe_malformed(index, n, Malformed::TooLong, b""),
        Line::Cut(t) => agg.observe_malformed(index, n, Malformed::CutByInputError, t),
    }
}
