//! Live mode in one room: the follower (`follow`), the checkpoint
//! (`checkpoint`), the live engine here, delivery (`webhook`,
//! `alertmanager`) and the `/metrics` counters (`metrics`).
//!
//! The live engine: the follower's new lines go through the one ingestion
//! engine ([`engine::parse_chunk`], the format detected with
//! [`engine::detect_format`]) into an aggregate, and into the metrics'
//! [`metrics::Recorder`] beside it when `/metrics` is served (one parse feeds
//! both, through [`Tee`]); [`LiveState`] is what a
//! checkpoint holds; the SPEC §5 rule is applied to final buckets to decide
//! what to announce.
//!
//! Everything here is synchronous and clock-free (the caller passes `now`),
//! so tests drive it step by step; `cmd/tail.rs` adds tokio, signals and output.

pub(crate) mod alertmanager;
pub(crate) mod checkpoint;
mod follow;
pub(crate) mod metrics;
pub(crate) mod webhook;

use crate::aggregate::{AggConfig, Aggregate};
use crate::engine::blocks::MAX_LINE;
use crate::engine::{self, Chunk, InputOutcome, LineRules, Sink, TimeRange};
use crate::event::{Event, Micros};
use crate::input::open::Compression;
use crate::input::Source;
use crate::parse::{Format, LineParser, Malformed, ParseOptions};
use crate::periods::{find_periods, BucketCount, DetectConfig, Period};
use crate::report::{self, Incident, Report};
use crate::slo::{Burn, BurnState, Counts, Objective, SloAlert, Transition, ALERTS};
use follow::{Follower, FollowerState};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

pub(crate) use follow::StartAt;

/// Per source: the format it is read as and its non-blank lines.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct SourceMeta {
    pub(crate) format: Option<String>,
    pub(crate) lines: u64,
}

/// A period that was announced, by its first bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Announced {
    pub(crate) last_bucket: i64,
    pub(crate) closed: bool,
}

/// Everything a restart needs, saved together so that offsets and counts always agree.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct LiveState {
    pub(crate) version: u32,
    pub(crate) follower: FollowerState,
    pub(crate) aggregate: Aggregate,
    pub(crate) sources: Vec<SourceMeta>,
    pub(crate) announced: BTreeMap<i64, Announced>,
    /// The settings it was made with (`--bucket 60s`, …), checked on restart;
    /// empty in checkpoints written before they were recorded.
    #[serde(default)]
    pub(crate) settings: Vec<(String, String)>,
    /// With `--slo`: the burn-rate evaluator (its windows' buckets and open
    /// alerts). Absent in checkpoints made without it or before it existed,
    /// which load as before: the evaluator then starts afresh.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) slo: Option<BurnState>,
}

impl LiveState {
    /// Every field in range and consistent with the others (SPEC §6: a
    /// checkpoint that fails validation is corrupt, exit 2, never a panic).
    pub(crate) fn check(&self) -> Result<(), String> {
        self.aggregate.check()?;
        let sources = self.follower.sources.len();
        for f in &self.follower.files {
            if f.source as usize >= sources || f.passive_of.is_some_and(|p| p as usize >= sources) {
                return Err(format!(
                    "file {} names a source that does not exist",
                    f.path.display()
                ));
            }
            if f.head.len() % 2 != 0 || !f.head.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(format!("file {} has a damaged head", f.path.display()));
            }
        }
        if self.sources.len() > sources {
            return Err("more source formats than sources".to_owned());
        }
        let lines: u64 = self
            .sources
            .iter()
            .map(|s| s.lines)
            .fold(0, u64::saturating_add);
        if lines != self.aggregate.lines {
            return Err("the sources' lines do not add up to the aggregate's".to_owned());
        }
        for (first, a) in &self.announced {
            if a.last_bucket < *first {
                return Err("an announced period ends before it starts".to_owned());
            }
        }
        if let Some(slo) = &self.slo {
            slo.check(self.aggregate.config.bucket_us)?;
        }
        Ok(())
    }
}

/// An incident event to announce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Change {
    Opened,
    Closed,
}

impl Change {
    pub(crate) fn event_name(self) -> &'static str {
        match self {
            Change::Opened => "incident_opened",
            Change::Closed => "incident_closed",
        }
    }

    /// The sentence a webhook receiver or a person reads: what happened,
    /// since when, how bad, where.
    pub(crate) fn sentence(self, i: &Incident) -> String {
        match self {
            Change::Opened => format!(
                "5xx errors have persisted since {} ({} so far): {}.",
                i.start,
                report::human_duration(i.duration_s),
                report::describe(i)
            ),
            Change::Closed => format!(
                "The persistent 5xx period from {} to {} ({}) has ended: {}.",
                i.start,
                i.end,
                report::human_duration(i.duration_s),
                report::describe(i)
            ),
        }
    }
}

/// A burn-rate alert that opened or closed (SPEC §10), to announce.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct SloChange {
    #[serde(skip)]
    pub(crate) change: Change,
    /// The sentence a receiver can show as is.
    pub(crate) reason: String,
    pub(crate) objective: f64,
    #[serde(flatten)]
    pub(crate) alert: SloAlert,
    /// The windows at the boundary it opened or closed at.
    pub(crate) long_requests: u64,
    pub(crate) long_errors_5xx: u64,
    pub(crate) short_requests: u64,
    pub(crate) short_errors_5xx: u64,
}

impl SloChange {
    pub(crate) fn event_name(&self) -> &'static str {
        match self.change {
            Change::Opened => "slo_alert_opened",
            Change::Closed => "slo_alert_closed",
        }
    }

    fn of(t: &Transition, objective: Objective, bucket_us: Micros) -> Self {
        let a = &ALERTS[t.alert];
        let alert = SloAlert::of(t, bucket_us);
        let pct = |c: Counts| format!("{:.2}%", c.ratio() * 100.0);
        let (change, reason) = match &alert.end {
            None => (
                Change::Opened,
                format!(
                    "The {} SLO's error budget burns over {}× too fast since {} ({}): 5xx were {} of {} requests \
                     over the last {} and {} over the last {}, above {}.",
                    objective.percent_text(),
                    a.factor_text(),
                    alert.start,
                    a.severity.name(),
                    pct(t.long),
                    t.long.requests,
                    a.long.name,
                    pct(t.short),
                    a.short.name,
                    objective.threshold_percent(a),
                ),
            ),
            Some(end) => (
                Change::Closed,
                format!(
                    "The {} burn-rate alert of the {} SLO ({} and {} at {}×) from {} to {} has cleared: \
                     5xx were {} of the last {}.",
                    a.severity.name(),
                    objective.percent_text(),
                    a.long.name,
                    a.short.name,
                    a.factor_text(),
                    alert.start,
                    end,
                    pct(t.short),
                    a.short.name,
                ),
            ),
        };
        SloChange {
            change,
            reason,
            objective: objective.ratio(),
            alert,
            long_requests: t.long.requests,
            long_errors_5xx: t.long.errors,
            short_requests: t.short.requests,
            short_errors_5xx: t.short.errors,
        }
    }
}

/// The live pipeline over some file patterns.
/// What bounds the live engine's memory and checkpoint (SPEC §6).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Bounds {
    /// `--retain`: how much of the timeline is kept.
    pub(crate) retain_us: Micros,
    /// `--max-keys`: the most keys each keyed table keeps.
    pub(crate) max_keys: usize,
}

pub(crate) struct Live {
    follower: Follower,
    agg: Aggregate,
    sources: Vec<SourceMeta>,
    parsers: HashMap<u32, LineParser>,
    announced: BTreeMap<i64, Announced>,
    opts: ParseOptions,
    detect: DetectConfig,
    lateness_us: Micros,
    /// `--retain`: buckets older than the newest final one minus this are dropped.
    retain_us: Micros,
    /// What the checkpoint records of the command line (see `LiveState::settings`).
    settings: Vec<(String, String)>,
    /// Chunks of sources whose format is not known yet, held until the end
    /// of the poll: (source, lines before, the lines or None for too long).
    pending: Vec<(u32, u64, Option<Vec<u8>>)>,
    /// `--slo`: the objective and its evaluator, fed each final bucket once.
    slo: Option<(Objective, Burn)>,
    /// The checkpoint's evaluator, until `with_slo` takes it.
    saved_slo: Option<BurnState>,
    /// Burn-rate changes found by `changes`, until `take_slo_changes`.
    slo_changes: Vec<SloChange>,
    /// The `/metrics` counters, fed with the aggregate when they are served.
    metrics: Option<metrics::Recorder>,
}

impl Live {
    /// Starts from `state` (a checkpoint) or afresh.
    pub(crate) fn new(
        patterns: Vec<String>,
        state: Option<LiveState>,
        start: StartAt,
        opts: ParseOptions,
        detect: DetectConfig,
        lateness_us: Micros,
        bounds: Bounds,
    ) -> Self {
        let Bounds {
            retain_us,
            max_keys,
        } = bounds;
        let config = AggConfig {
            bucket_us: detect.bucket_us,
            since: None,
            until: None,
            max_keys,
        };
        let (follower, agg, sources, announced, saved_slo) = match state {
            Some(s) => (
                Follower::new(patterns, Some(s.follower), start),
                s.aggregate,
                s.sources,
                s.announced,
                s.slo,
            ),
            None => (
                Follower::new(patterns, None, start),
                Aggregate::new(config),
                Vec::new(),
                BTreeMap::new(),
                None,
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
            retain_us,
            settings: Vec::new(),
            pending: Vec::new(),
            slo: None,
            saved_slo,
            slo_changes: Vec::new(),
            metrics: None,
        }
    }

    /// Feeds `recorder` with every line read from now on (with the
    /// aggregate, from the same parse), and tells it whether an incident
    /// announced before a restart is still open.
    pub(crate) fn with_metrics(mut self, recorder: metrics::Recorder) -> Self {
        recorder.incidents(0, self.incident_announced_open());
        self.metrics = Some(recorder);
        self
    }

    /// Whether an announced period is not closed yet.
    fn incident_announced_open(&self) -> bool {
        self.announced.values().any(|a| !a.closed)
    }

    /// Announces the burn-rate alerts of `objective` (`--slo`), resuming the
    /// checkpoint's evaluator when it has one. The checkpoint records the
    /// objective among its settings, so a saved evaluator was made with it.
    pub(crate) fn with_slo(mut self, objective: Option<Objective>) -> Self {
        let saved = self.saved_slo.take();
        self.slo = objective.map(|o| {
            let bucket_us = self.detect.bucket_us;
            let burn = saved
                .and_then(|s| Burn::resume(o, bucket_us, &s).ok())
                .unwrap_or_else(|| Burn::new(o, bucket_us));
            (o, burn)
        });
        self
    }

    /// The burn-rate alerts that opened or closed since the last call, in
    /// the order of their boundaries.
    pub(crate) fn take_slo_changes(&mut self) -> Vec<SloChange> {
        std::mem::take(&mut self.slo_changes)
    }

    /// Feeds the evaluator every bucket that became final (up to and with
    /// `last_final`), empty ones as no traffic. Each bucket is judged once,
    /// with its counts at that moment: a line for it read later (past
    /// `--lateness`) counts in the report but not in the alerts, as a
    /// scrape that already happened does not change.
    fn judge_slo(&mut self, last_final: i64) {
        let Some((objective, burn)) = &mut self.slo else {
            return;
        };
        let until = last_final.saturating_add(1);
        if burn.next() == Some(until) {
            return;
        }
        let from = burn.next();
        let mut fresh: Vec<(i64, Counts)> = self
            .agg
            .buckets
            .iter()
            .filter(|(i, _)| **i <= last_final && from.is_none_or(|n| **i >= n))
            .map(|(i, b)| {
                (
                    *i,
                    Counts {
                        requests: b.requests,
                        errors: b.errors_5xx,
                    },
                )
            })
            .collect();
        fresh.sort_unstable_by_key(|(i, _)| *i);
        let mut seen = Vec::new();
        for (i, c) in fresh {
            burn.push(i, c, &mut seen);
        }
        burn.advance(until, &mut seen);
        let (objective, bucket_us) = (*objective, self.detect.bucket_us);
        self.slo_changes
            .extend(seen.iter().map(|t| SloChange::of(t, objective, bucket_us)));
    }

    /// The burn-rate alerts open now, as announced (also before a restart).
    pub(crate) fn open_slo_alerts(&self) -> Vec<SloAlert> {
        let Some((_, burn)) = &self.slo else {
            return Vec::new();
        };
        burn.open()
            .map(|(alert, start)| {
                SloAlert::of(
                    &Transition {
                        alert,
                        start,
                        end: None,
                        long: Counts::default(),
                        short: Counts::default(),
                    },
                    self.detect.bucket_us,
                )
            })
            .collect()
    }

    /// Reads a checkpoint from a state directory.
    pub(crate) fn load(dir: &Path) -> Result<Option<LiveState>, checkpoint::CheckpointError> {
        let state: Option<LiveState> = checkpoint::read(dir)?;
        if let Some(s) = &state {
            s.check()
                .map_err(|why| checkpoint::CheckpointError::Invalid {
                    path: checkpoint::path_in(dir),
                    why,
                })?;
        }
        Ok(state)
    }

    pub(crate) fn state(&self) -> LiveState {
        LiveState {
            version: checkpoint::VERSION,
            follower: self.follower.state(),
            aggregate: self.agg.clone(),
            sources: self.sources.clone(),
            announced: self.announced.clone(),
            settings: self.settings.clone(),
            slo: self.slo.as_ref().map(|(_, b)| b.state()),
        }
    }

    pub(crate) fn aggregate(&self) -> &Aggregate {
        &self.agg
    }

    /// Reads what is new in the files, the wall clock saying `now` (for the
    /// time range a request may have); returns the number of lines read.
    pub(crate) fn poll(&mut self, now: Micros) -> u64 {
        let rules = LineRules {
            max_line: MAX_LINE,
            times: TimeRange::at(now),
        };
        let Live {
            follower,
            agg,
            sources,
            parsers,
            pending,
            metrics,
            ..
        } = self;
        let n = follower.poll(
            &mut |source, before, chunk| match parsers.get_mut(&source) {
                Some(parser) => {
                    let mut sink = Tee {
                        agg: &mut *agg,
                        metrics: metrics.as_mut(),
                    };
                    observe(source, before, chunk, parser, &mut sink, sources, &rules)
                }
                None => pending.push((source, before, chunk_bytes(chunk))),
            },
        );
        for (source, before, bytes) in std::mem::take(&mut self.pending) {
            if !self.parsers.contains_key(&source) {
                let parser = self.parser_for(source, bytes.as_deref().unwrap_or_default());
                self.parsers.insert(source, parser);
            }
            let chunk = bytes.as_deref().map_or(Chunk::TooLong, Chunk::Lines);
            if let Some(parser) = self.parsers.get_mut(&source) {
                let mut sink = Tee {
                    agg: &mut self.agg,
                    metrics: self.metrics.as_mut(),
                };
                observe(
                    source,
                    before,
                    chunk,
                    parser,
                    &mut sink,
                    &mut self.sources,
                    &rules,
                );
            }
        }
        n
    }

    /// The parser of a source: its checkpointed format, or one detected from
    /// the file's first lines (or, when they cannot be read, from `first`).
    fn parser_for(&mut self, source: u32, first: &[u8]) -> LineParser {
        let i = source as usize;
        if self.sources.len() <= i {
            self.sources.resize(i + 1, SourceMeta::default());
        }
        let known = self.sources[i]
            .format
            .as_deref()
            .and_then(Format::from_name);
        let format = known.unwrap_or_else(|| {
            let head = self.follower.head_lines(source);
            let from = if head.is_empty() { first } else { &head };
            engine::detect_format(&self.opts, [from], MAX_LINE)
        });
        self.sources[i].format = Some(format.name().to_owned());
        let mut parser = LineParser::new(format, &self.opts);
        if format.has_headers() {
            // A restart from a checkpoint resumes mid-file, after the
            // `#Fields` line that named the columns: take the last one among
            // the file's first lines until the file writes another.
            let head = self.follower.head_lines(source);
            let from = if head.is_empty() { first } else { &head };
            parser.resume(crate::parse::w3c::last_fields_line(from));
        }
        parser
    }

    /// Applies the rule to the final buckets and returns what to announce.
    /// A bucket is final once the later of the newest event time and `now`
    /// has passed its end by the lateness allowance.
    pub(crate) fn changes(&mut self, now: Micros) -> Vec<(Change, Incident)> {
        let Some(last_final) = self.last_final_bucket(now) else {
            return Vec::new();
        };
        self.judge_slo(last_final);
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
        if let Some(m) = &self.metrics {
            let opened = out.iter().filter(|(c, _)| *c == Change::Opened).count();
            m.incidents(opened as u64, self.incident_announced_open());
        }
        let changes = out
            .into_iter()
            .map(|(c, p)| {
                (
                    c,
                    report::incident(
                        &self.agg,
                        self.detect.bucket_us,
                        &p,
                        self.follower.sources(),
                    ),
                )
            })
            .collect();
        self.prune(last_final);
        changes
    }

    /// Drops the buckets older than the newest final one minus `--retain`
    /// (SPEC §6), and freezes the final ones, so memory and the checkpoint do not grow with uptime; the
    /// totals (summary, statuses, errors, routes) still cover the whole run.
    /// The cut never goes through an announced period: its buckets stay
    /// until all of it is older than the cut, or it would be found again,
    /// shorter, and announced as new.
    fn prune(&mut self, last_final: i64) {
        let keep = self.retain_us / self.detect.bucket_us.max(1);
        let mut cutoff = last_final.saturating_sub(keep);
        for (first, a) in &self.announced {
            if a.last_bucket >= cutoff {
                cutoff = cutoff.min(*first);
            }
        }
        self.agg.buckets.retain(|i, _| *i >= cutoff);
        self.announced.retain(|_, a| a.last_bucket >= cutoff);
        // Final buckets' breakdowns are read again only around incidents
        // and by checkpoints: frozen, they take a third of the memory
        // (`--retain`'s default week is 10,080 one-minute buckets). A late
        // line thaws its bucket; the next call freezes it again.
        for (_, b) in self
            .agg
            .buckets
            .iter_mut()
            .filter(|(i, _)| **i <= last_final)
        {
            b.breakdowns.freeze();
        }
    }

    /// Records the settings a checkpoint is made with.
    pub(crate) fn with_settings(mut self, settings: Vec<(String, String)>) -> Self {
        self.settings = settings;
        self
    }

    /// The patterns that match no file yet.
    pub(crate) fn unmatched(&self) -> Vec<&str> {
        self.follower.unmatched()
    }

    /// What was announced so far (also before a restart: the checkpoint keeps
    /// it), oldest first, with the periods' figures as the aggregate holds them.
    pub(crate) fn announcements(&self) -> Vec<(Change, Incident)> {
        let mut out = Vec::new();
        for (first, a) in &self.announced {
            // Only the buckets that exist: the range may be vast.
            let bad_buckets = self
                .agg
                .buckets
                .iter()
                .filter(|(i, b)| {
                    (*first..=a.last_bucket).contains(*i)
                        && self.detect.is_bad(b.requests, b.errors_5xx)
                })
                .count() as u64;
            let p = Period {
                first_bucket: *first,
                last_bucket: a.last_bucket,
                bad_buckets,
                ongoing: !a.closed,
            };
            let incident = report::incident(
                &self.agg,
                self.detect.bucket_us,
                &p,
                self.follower.sources(),
            );
            out.push((Change::Opened, incident.clone()));
            if a.closed {
                out.push((Change::Closed, incident));
            }
        }
        out
    }

    /// The periods announced and not closed yet, with their figures as the
    /// aggregate holds them: after a restart, what still fires.
    pub(crate) fn open_announcements(&self) -> Vec<Incident> {
        let all = self.announcements();
        let closed: Vec<&str> = all
            .iter()
            .filter(|(c, _)| *c == Change::Closed)
            .map(|(_, i)| i.start.as_str())
            .collect();
        all.iter()
            .filter(|(c, i)| *c == Change::Opened && !closed.contains(&i.start.as_str()))
            .map(|(_, i)| i.clone())
            .collect()
    }

    /// The period still open (announced and not closed), with its figures so far.
    pub(crate) fn open_incident(&self, now: Micros) -> Option<Incident> {
        let last_final = self.last_final_bucket(now)?;
        self.final_periods(last_final)
            .into_iter()
            .rev()
            .find(|p| p.ongoing)
            .map(|p| {
                report::incident(
                    &self.agg,
                    self.detect.bucket_us,
                    &p,
                    self.follower.sources(),
                )
            })
    }

    /// The newest final bucket. SPEC §5 takes the later of the newest event
    /// time and the clock; an event time ahead of the clock (a host with a
    /// wrong time zone, up to the day the time range allows) is capped at the
    /// clock, so one such line cannot make every bucket final at once and
    /// close open incidents early. So the clock decides.
    fn last_final_bucket(&self, now: Micros) -> Option<i64> {
        let newest = self.agg.last_ts.unwrap_or(Micros::MIN).min(now);
        let watermark = newest.max(now).saturating_sub(self.lateness_us);
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

    /// The report as the live rule sees it at `now`: its periods are those of
    /// the final buckets, ongoing or closed as they are announced, so a view
    /// built on it agrees with the announcements.
    pub(crate) fn report_at(&self, now: Micros) -> Report {
        let mut r = self.report();
        let incidents: Vec<Incident> = match self.last_final_bucket(now) {
            Some(last_final) => self
                .final_periods(last_final)
                .iter()
                .map(|p| {
                    report::incident(&self.agg, self.detect.bucket_us, p, self.follower.sources())
                })
                .collect(),
            None => Vec::new(),
        };
        r.verdict = report::verdict(
            &self.agg,
            &incidents,
            &report::Scope::of(&self.agg, &self.outcomes()),
        );
        r.incidents = incidents;
        r
    }

    /// The report of everything read so far: the same document `analyze`
    /// prints. Its `slo` section replays the alerts over the retained
    /// timeline, as `analyze` would over the same buckets.
    pub(crate) fn report(&self) -> Report {
        let mut r = report::build(&self.agg, &self.outcomes(), &self.detect);
        r.slo = self.slo.as_ref().map(|(o, _)| report::slo(&self.agg, *o));
        r
    }

    /// Each source as an input of the report.
    fn outcomes(&self) -> Vec<InputOutcome> {
        self.follower
            .sources()
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
                    skipped: None,
                    recognized: true,
                }
            })
            .collect()
    }
}

/// The bytes of a chunk held while its source's format is unknown (the
/// follower never cuts a line: it only hands out whole ones).
fn chunk_bytes(chunk: Chunk<'_>) -> Option<Vec<u8>> {
    match chunk {
        Chunk::Lines(t) | Chunk::Cut(t) => Some(t.to_vec()),
        Chunk::TooLong => None,
    }
}

/// The live engine's sink: each line parsed once, counted into the
/// aggregate and, when `/metrics` is served, into its counters.
struct Tee<'a> {
    agg: &'a mut Aggregate,
    metrics: Option<&'a mut metrics::Recorder>,
}

impl Sink for Tee<'_> {
    fn event(&mut self, ev: &Event<'_>, source: u32, line: u64) {
        self.agg.observe(ev, source, line);
        if let Some(m) = self.metrics.as_deref_mut() {
            m.event(ev, source, line);
        }
    }

    fn malformed(&mut self, source: u32, line: u64, reason: Malformed, text: &[u8]) {
        self.agg.observe_malformed(source, line, reason, text);
        if let Some(m) = self.metrics.as_deref_mut() {
            m.malformed(source, line, reason, text);
        }
    }
}

fn observe(
    source: u32,
    before: u64,
    chunk: Chunk<'_>,
    parser: &mut LineParser,
    sink: &mut Tee<'_>,
    sources: &mut Vec<SourceMeta>,
    rules: &LineRules,
) {
    let i = source as usize;
    if sources.len() <= i {
        sources.resize(i + 1, SourceMeta::default());
    }
    let count = engine::parse_chunk(chunk, source, before, parser, sink, rules);
    sources[i].lines += count.counted;
}

#[cfg(test)]
mod tests;
