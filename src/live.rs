//! Live mode's engine: follower → per-source parser → aggregate, the state a
//! checkpoint holds, and the live application of the SPEC §5 rule.
//!
//! Everything here is synchronous and clock-free (the caller passes `now`),
//! so tests drive it step by step; `cmd/tail.rs` adds tokio, signals and output.

use crate::aggregate::{AggConfig, Aggregate};
use crate::detect::{find_periods, BucketCount, DetectConfig, Period};
use crate::event::Micros;
use crate::follow::{checkpoint, Follower, FollowerState, StartAt};
use crate::input::lines::Line;
use crate::input::open::Compression;
use crate::input::Source;
use crate::parse::{detect, Format, LineParser, Malformed, ParseOptions};
use crate::pipeline::InputOutcome;
use crate::report::{self, Incident, Report};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// How many lines from a file's start decide its format.
const DETECT_SAMPLE: usize = 100;

/// Per source: the format it is read as and its non-blank lines.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceMeta {
    pub format: Option<String>,
    pub lines: u64,
}

/// A period that was announced, by its first bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Announced {
    pub last_bucket: i64,
    pub closed: bool,
}

/// Everything a restart needs, saved together so that offsets and counts always agree.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LiveState {
    pub version: u32,
    pub follower: FollowerState,
    pub aggregate: Aggregate,
    pub sources: Vec<SourceMeta>,
    pub announced: BTreeMap<i64, Announced>,
}

/// An incident event to announce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Opened,
    Closed,
}

impl Change {
    pub fn event_name(self) -> &'static str {
        match self {
            Change::Opened => "incident_opened",
            Change::Closed => "incident_closed",
        }
    }
}

/// The live pipeline over some file patterns.
pub struct Live {
    follower: Follower,
    agg: Aggregate,
    sources: Vec<SourceMeta>,
    parsers: HashMap<u32, LineParser>,
    announced: BTreeMap<i64, Announced>,
    opts: ParseOptions,
    detect: DetectConfig,
    lateness_us: Micros,
    /// Lines of sources whose format is not known yet, held until the end of the poll.
    pending: Vec<(u32, u64, Vec<u8>, bool)>,
}

impl Live {
    /// Starts from `state` (a checkpoint) or afresh.
    pub fn new(
        patterns: Vec<String>,
        state: Option<LiveState>,
        start: StartAt,
        opts: ParseOptions,
        detect: DetectConfig,
        lateness_us: Micros,
    ) -> Self {
        let config = AggConfig {
            bucket_us: detect.bucket_us,
            since: None,
            until: None,
        };
        let (follower, agg, sources, announced) = match state {
            Some(s) => (
                Follower::new(patterns, Some(s.follower), start),
                s.aggregate,
                s.sources,
                s.announced,
            ),
            None => (
                Follower::new(patterns, None, start),
                Aggregate::new(config),
                Vec::new(),
                BTreeMap::new(),
            ),
        };
        Live {
            follower,
            agg,
            sources,
            parsers: HashMap::new(),
            announced,
            opts,
            detect,
            lateness_us,
            pending: Vec::new(),
        }
    }

    /// Reads a checkpoint from a state directory.
    pub fn load(dir: &Path) -> Result<Option<LiveState>, checkpoint::CheckpointError> {
        checkpoint::read(dir)
    }

    pub fn state(&self) -> LiveState {
        LiveState {
            version: checkpoint::VERSION,
            follower: self.follower.state(),
            aggregate: self.agg.clone(),
            sources: self.sources.clone(),
            announced: self.announced.clone(),
        }
    }

    pub fn aggregate(&self) -> &Aggregate {
        &self.agg
    }

    /// Reads what is new in the files; returns the number of lines read.
    pub fn poll(&mut self) -> u64 {
        let Live {
            follower,
            agg,
            sources,
            parsers,
            pending,
            ..
        } = self;
        let n = follower.poll(&mut |source, line_no, line| {
            if let Some(parser) = parsers.get_mut(&source) {
                observe(source, line_no, line, parser, agg, sources);
            } else {
                let (bytes, too_long) = match line {
                    Line::Text(t) | Line::Cut(t) => (t.to_vec(), false),
                    Line::TooLong => (Vec::new(), true),
                };
                pending.push((source, line_no, bytes, too_long));
            }
        });
        for (source, line_no, bytes, too_long) in std::mem::take(&mut self.pending) {
            if !self.parsers.contains_key(&source) {
                let parser = self.parser_for(source, &bytes);
                self.parsers.insert(source, parser);
            }
            let line = if too_long {
                Line::TooLong
            } else {
                Line::Text(&bytes)
            };
            if let Some(parser) = self.parsers.get_mut(&source) {
                observe(
                    source,
                    line_no,
                    line,
                    parser,
                    &mut self.agg,
                    &mut self.sources,
                );
            }
        }
        n
    }

    /// The parser of a source: its checkpointed format, or one detected from the file's first lines.
    fn parser_for(&mut self, source: u32, first_line: &[u8]) -> LineParser {
        let i = source as usize;
        if self.sources.len() <= i {
            self.sources.resize(i + 1, SourceMeta::default());
        }
        let known = self.sources[i]
            .format
            .as_deref()
            .and_then(Format::from_name);
        let format = known.unwrap_or_else(|| {
            let mut sample = self.follower.head_sample(source, DETECT_SAMPLE);
            if sample.is_empty() {
                sample.push(first_line.to_vec());
            }
            let refs: Vec<&[u8]> = sample.iter().map(Vec::as_slice).collect();
            detect(&self.opts, &refs)
        });
        self.sources[i].format = Some(format.name().to_owned());
        LineParser::new(format, &self.opts)
    }

    /// Applies the rule to the final buckets and returns what to announce.
    /// A bucket is final once the later of the newest event time and `now`
    /// has passed its end by the lateness allowance.
    pub fn changes(&mut self, now: Micros) -> Vec<(Change, Incident)> {
        let Some(last_final) = self.last_final_bucket(now) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for p in self.final_periods(last_final) {
            let entry = self.announced.entry(p.first_bucket).or_insert_with(|| {
                out.push((Change::Opened, p));
                Announced {
                    last_bucket: p.last_bucket,
                    closed: false,
                }
            });
            entry.last_bucket = p.last_bucket;
            if !p.ongoing && !entry.closed {
                entry.closed = true;
                out.push((Change::Closed, p));
            }
        }
        out.into_iter()
            .map(|(c, p)| (c, report::incident(&self.agg, self.detect.bucket_us, &p)))
            .collect()
    }

    /// The period still open (announced and not closed), with its figures so far.
    pub fn open_incident(&self, now: Micros) -> Option<Incident> {
        let last_final = self.last_final_bucket(now)?;
        self.final_periods(last_final)
            .into_iter()
            .rev()
            .find(|p| p.ongoing)
            .map(|p| report::incident(&self.agg, self.detect.bucket_us, &p))
    }

    fn last_final_bucket(&self, now: Micros) -> Option<i64> {
        let watermark = self.agg.last_ts.unwrap_or(Micros::MIN).max(now) - self.lateness_us;
        let last = watermark.div_euclid(self.detect.bucket_us) - 1;
        (self.agg.first_ts.is_some()).then_some(last)
    }

    fn final_periods(&self, last_final: i64) -> Vec<Period> {
        let counts: Vec<BucketCount> = self
            .agg
            .buckets
            .iter()
            .filter(|(i, _)| **i <= last_final)
            .map(|(i, b)| BucketCount {
                index: *i,
                requests: b.requests,
                errors_5xx: b.errors_5xx,
            })
            .collect();
        find_periods(&self.detect, &counts, Some(last_final))
    }

    /// The report of everything read so far: the same document `analyze` prints.
    pub fn report(&self) -> Report {
        let names = self.follower.sources();
        let outcomes: Vec<InputOutcome> = names
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let meta = self.sources.get(i).cloned().unwrap_or_default();
                InputOutcome {
                    source: Source::File(name.into()),
                    format: meta.format.as_deref().and_then(Format::from_name),
                    compression: Some(Compression::None),
                    lines: meta.lines,
                    error: None,
                }
            })
            .collect();
        report::build(&self.agg, &outcomes, &self.detect)
    }
}

fn observe(
    source: u32,
    line_no: u64,
    line: Line<'_>,
    parser: &mut LineParser,
    agg: &mut Aggregate,
    sources: &mut Vec<SourceMeta>,
) {
    let i = source as usize;
    if sources.len() <= i {
        sources.resize(i + 1, SourceMeta::default());
    }
    match line {
        Line::Text(t) | Line::Cut(t) => {
            if t.trim_ascii().is_empty() {
                return;
            }
            sources[i].lines += 1;
            match parser.parse(t) {
                Ok(ev) => agg.observe(&ev, source, line_no),
                Err(reason) => agg.observe_malformed(source, line_no, reason, t),
            }
        }
        Line::TooLong => {
            sources[i].lines += 1;
            agg.observe_malformed(source, line_no, Malformed::TooLong, b"");
        }
    }
}

#[cfg(test)]
mod tests;
