//! input → parse → sink over many sources, on worker threads.
//!
//! A [`Sink`] receives every parsed line: the [`Aggregate`] for reports, or
//! the SQL frame builder for `query`. [`run`] (in `parallel.rs`) cuts every
//! input into blocks parsed on all cores, each worker into its own
//! aggregate, and merges them; [`run_each`] keeps one sink per source, in
//! source order, one source per thread. Nothing here prints: per-input
//! problems come back in [`InputOutcome`].

mod blocks;
mod parallel;

pub use parallel::{run, Blocks};

use crate::aggregate::Aggregate;
use crate::event::Event;
use crate::input::lines::{Line, LineReader};
use crate::input::open::{open, Compression};
use crate::input::Source;
use crate::parse::{detect, Format, LineParser, Malformed, ParseOptions};
use std::io::Read;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// Where parsed lines go.
pub trait Sink {
    fn event(&mut self, ev: Event<'_>, source: u32, line: u64);
    fn malformed(&mut self, source: u32, line: u64, reason: Malformed, text: &[u8]);
}

impl Sink for Aggregate {
    fn event(&mut self, ev: Event<'_>, source: u32, line: u64) {
        self.observe(&ev, source, line);
    }

    fn malformed(&mut self, source: u32, line: u64, reason: Malformed, text: &[u8]) {
        self.observe_malformed(source, line, reason, text);
    }
}

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

/// Reads every source into its own sink made by `make(index)`, with up to
/// `threads` sources at a time; returns the sinks in source order.
pub fn run_each<S: Sink + Send>(
    sources: &[Source],
    opts: &ParseOptions,
    threads: usize,
    bytes_read: Arc<AtomicU64>,
    make: impl Fn(u32) -> S + Sync,
) -> Vec<(S, InputOutcome)> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<(S, InputOutcome)>>> =
        Mutex::new((0..sources.len()).map(|_| None).collect());
    let workers = threads.clamp(1, sources.len().max(1));
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(source) = sources.get(i) else { break };
                let mut sink = make(i as u32);
                let outcome = read_source(i as u32, source, opts, &mut sink, bytes_read.clone());
                if let Ok(mut all) = results.lock() {
                    all[i] = Some((sink, outcome));
                }
            });
        }
    });
    results
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .flatten()
        .collect()
}

/// Reads one source into `sink`.
pub fn read_source(
    index: u32,
    source: &Source,
    opts: &ParseOptions,
    sink: &mut impl Sink,
    bytes_read: Arc<AtomicU64>,
) -> InputOutcome {
    let mut outcome = InputOutcome {
        source: source.clone(),
        format: None,
        compression: None,
        lines: 0,
        error: None,
    };
    let started = std::time::Instant::now();
    let opened = match open(source, bytes_read) {
        Ok(o) => o,
        Err(e) => {
            outcome.error = Some(format!("cannot open: {e}"));
            return outcome;
        }
    };
    outcome.compression = Some(opened.compression);
    let (format, lines, error) = read_lines(index, opened.reader, opts, sink);
    outcome.format = Some(format);
    outcome.lines = lines;
    outcome.error = error.map(|(offset, line, e)| {
        let what = match opened.compression {
            Compression::None => "read error",
            Compression::Gzip => "corrupt or truncated gzip data",
            Compression::Zstd => "corrupt or truncated zstd data",
        };
        format!("{what} after {offset} bytes (line {line}): {e}")
    });
    tracing::info!(
        input = %source.display_name(),
        format = format.name(),
        compression = opened.compression.name(),
        lines,
        seconds = started.elapsed().as_secs_f64(),
        "read"
    );
    outcome
}

/// A line held back while the format is being detected.
enum Held {
    Text(Vec<u8>),
    TooLong,
    Cut(Vec<u8>),
}

/// A read error: the decompressed offset and line reached, and the error.
type ReadError = (u64, u64, std::io::Error);

/// Parses the lines of one reader. Returns the format used, the non-blank
/// lines read and the read error that ended it, if one did.
fn read_lines(
    index: u32,
    reader: Box<dyn Read + Send>,
    opts: &ParseOptions,
    sink: &mut impl Sink,
) -> (Format, u64, Option<ReadError>) {
    read_lines_capped(index, reader, opts, sink, crate::input::lines::MAX_LINE)
}

/// [`read_lines`] with a line-length cap of `max_line`.
fn read_lines_capped(
    index: u32,
    reader: Box<dyn Read + Send>,
    opts: &ParseOptions,
    sink: &mut impl Sink,
    max_line: usize,
) -> (Format, u64, Option<ReadError>) {
    let mut lines = LineReader::with_max_len(reader, max_line);
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
    let mut counted = 0;
    for (n, h) in &held {
        last_line = *n;
        let line = match h {
            Held::Text(t) => Line::Text(t),
            Held::TooLong => Line::TooLong,
            Held::Cut(t) => Line::Cut(t),
        };
        counted += handle(index, *n, line, &mut parser, sink);
    }
    if error.is_none() {
        while let Some(item) = lines.next_line() {
            match item {
                Ok((n, line)) => {
                    last_line = n;
                    counted += handle(index, n, line, &mut parser, sink);
                }
                Err(e) => {
                    error = Some((lines.offset(), last_line, e));
                    break;
                }
            }
        }
    }
    (format, counted, error)
}

/// Hands one line to the sink; returns 1 if it counts as a line (is not blank).
fn handle(
    index: u32,
    n: u64,
    line: Line<'_>,
    parser: &mut LineParser,
    sink: &mut impl Sink,
) -> u64 {
    match line {
        Line::Text(t) => {
            if t.trim_ascii().is_empty() {
                return 0;
            }
            match parser.parse(t) {
                Ok(ev) => sink.event(ev, index, n),
                Err(reason) => sink.malformed(index, n, reason, t),
            }
        }
        Line::TooLong => sink.malformed(index, n, Malformed::TooLong, b""),
        Line::Cut(t) => sink.malformed(index, n, Malformed::CutByInputError, t),
    }
    1
}
