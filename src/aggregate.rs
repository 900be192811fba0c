//! Counters that observe events and merge with each other.
//!
//! Every worker fills its own [`Aggregate`]; [`Aggregate::merge`] combines
//! them. Every figure is a sum or a minimum/maximum over a deterministic key,
//! so the merged result does not depend on how inputs were split or ordered.

use crate::event::{status_class, ApiError, Body, Event, Micros};
use crate::heavy::{Counts, Table};
use crate::parse::body::reuse;
use crate::parse::Malformed;
use crate::route;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

mod breakdowns;
pub(crate) use breakdowns::Breakdowns;

/// The maps counted into on every line: foldhash is several times faster than
/// the default SipHash here, and still seeded per process.
pub(crate) type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// How many malformed lines are kept as samples.
pub(crate) const MAX_SAMPLES: usize = 10;
/// How many characters of a malformed line a sample keeps.
pub(crate) const SAMPLE_CHARS: usize = 200;
/// `--max-keys` when not given (SPEC §4).
pub(crate) const DEFAULT_MAX_KEYS: usize = 10_000;
/// The most keys each of a bucket's breakdowns keeps (seven tables: 5xx by
/// route, error, client and user agent; sampled requests by route, client
/// and user agent): they feed an incident's top five and what changed, and
/// there is one set per bucket, so they stay small.
const BUCKET_KEYS: usize = 16;

fn default_max_keys() -> usize {
    DEFAULT_MAX_KEYS
}

/// What the aggregate needs to know before it sees events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct AggConfig {
    /// Bucket width in microseconds; buckets are aligned to the UTC epoch.
    pub(crate) bucket_us: i64,
    /// Events before this time are filtered out.
    pub(crate) since: Option<Micros>,
    /// Events at or after this time are filtered out.
    pub(crate) until: Option<Micros>,
    /// The most keys each keyed table (routes, errors) keeps (`--max-keys`).
    #[serde(default = "default_max_keys")]
    pub(crate) max_keys: usize,
}

impl AggConfig {
    /// The cap of a bucket's 5xx breakdowns.
    fn bucket_keys(&self) -> usize {
        self.max_keys.clamp(1, BUCKET_KEYS)
    }
}

/// The identity of an API error: (type, code, param).
#[derive(Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub(crate) struct ErrorKey {
    pub(crate) error_type: Option<String>,
    pub(crate) code: Option<String>,
    pub(crate) param: Option<String>,
}

/// By hand for `clone_from`, which reuses the strings' buffers: a full errors
/// table overwrites an evicted key with each new one.
impl Clone for ErrorKey {
    fn clone(&self) -> Self {
        ErrorKey {
            error_type: self.error_type.clone(),
            code: self.code.clone(),
            param: self.param.clone(),
        }
    }

    fn clone_from(&mut self, source: &Self) {
        self.error_type.clone_from(&source.error_type);
        self.code.clone_from(&source.code);
        self.param.clone_from(&source.param);
    }
}

/// One message seen for an error key, and where; the earliest one is kept.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub(crate) struct Example {
    pub(crate) ts: Micros,
    pub(crate) source: u32,
    pub(crate) line: u64,
    pub(crate) message: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct ErrorStats {
    pub(crate) count: u64,
    pub(crate) statuses: BTreeMap<u16, u64>,
    pub(crate) example: Option<Example>,
    /// The earliest and latest times the error was counted (since the key
    /// was admitted, when its table is capped).
    #[serde(default)]
    pub(crate) first_seen: Option<Micros>,
    #[serde(default)]
    pub(crate) last_seen: Option<Micros>,
}

impl Counts for ErrorStats {
    fn weight(&self) -> u64 {
        self.count
    }
    fn absorb(&mut self, other: Self) {
        self.count = self.count.saturating_add(other.count);
        self.statuses.add_counts(other.statuses);
        self.example = match (self.example.take(), other.example) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.first_seen = min_opt(self.first_seen, other.first_seen);
        self.last_seen = max_opt(self.last_seen, other.last_seen);
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct RouteStats {
    pub(crate) requests: u64,
    pub(crate) errors_4xx: u64,
    pub(crate) errors_5xx: u64,
}

impl Counts for RouteStats {
    fn weight(&self) -> u64 {
        self.requests
    }
    fn absorb(&mut self, other: Self) {
        self.requests = self.requests.saturating_add(other.requests);
        self.errors_4xx = self.errors_4xx.saturating_add(other.errors_4xx);
        self.errors_5xx = self.errors_5xx.saturating_add(other.errors_5xx);
    }
}

/// One time bucket. The 5xx breakdowns feed the incident details.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct BucketStats {
    pub(crate) requests: u64,
    pub(crate) errors_4xx: u64,
    pub(crate) errors_5xx: u64,
    pub(crate) statuses_5xx: BTreeMap<u16, u64>,
    /// The earliest [`MAX_EXAMPLES`] 5xx requests, by (ts, source, line).
    pub(crate) examples: Vec<FailedRequest>,
    /// Requests in the bucket's deterministic sample: one request in
    /// [`SAMPLE_ONE_IN`] (by a hash of its time, route and client) is
    /// counted in the breakdowns of all requests, because counting every
    /// request three more times cost a third of the parse.
    pub(crate) sampled: u64,
    /// 5xx and sampled requests by route, error, client and user agent,
    /// bounded; frozen once the bucket is cold (see [`Breakdowns`]). Saved
    /// as the tables' fields beside the others.
    #[serde(flatten)]
    pub(crate) breakdowns: Breakdowns,
}

/// One line in this many is counted in the buckets' request samples.
pub(crate) const SAMPLE_ONE_IN: u64 = 8;

/// Whether a request is in the buckets' request sample: by a fixed hash of
/// its time, route and client, so the sample does not depend on how inputs
/// were cut into blocks or spread over threads.
fn sampled(ts: Micros, route_key: &str, client: &str) -> bool {
    use std::hash::BuildHasher;
    let h = foldhash::fast::FixedState::with_seed(0x5A3E).hash_one((ts, route_key, client));
    h >> 61 == 0
}

/// The key of an absent client or user agent in the what-changed tables.
pub(crate) const ABSENT: &str = "-";

impl BucketStats {
    pub(crate) fn new(config: &AggConfig) -> Self {
        BucketStats {
            requests: 0,
            errors_4xx: 0,
            errors_5xx: 0,
            statuses_5xx: BTreeMap::new(),
            examples: Vec::new(),
            sampled: 0,
            breakdowns: Breakdowns::new(config.bucket_keys()),
        }
    }
}

/// How many failing requests an incident (and each bucket) keeps as examples.
pub(crate) const MAX_EXAMPLES: usize = 5;

/// A failing (5xx) request kept as evidence for the platform team.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub(crate) struct FailedRequest {
    /// First, so the derived order is by time, then input, then line.
    pub(crate) ts: Micros,
    pub(crate) source: u32,
    pub(crate) line: u64,
    pub(crate) method: Option<String>,
    pub(crate) route: Option<String>,
    pub(crate) status: u16,
    pub(crate) error_code: Option<String>,
    pub(crate) error_message: Option<String>,
    pub(crate) request_id: Option<String>,
}

/// A malformed line kept as evidence.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub(crate) struct MalformedSample {
    pub(crate) source: u32,
    pub(crate) line: u64,
    pub(crate) reason: Malformed,
    pub(crate) text: String,
}

/// All counters of a run (or of one part of it). Serializable, so live mode
/// can checkpoint it together with the file offsets it reflects.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Aggregate {
    pub(crate) config: AggConfig,
    /// Non-blank lines read: `requests + malformed + filtered_out`.
    pub(crate) lines: u64,
    pub(crate) requests: u64,
    pub(crate) malformed: u64,
    pub(crate) unparsed_bodies: u64,
    /// 202 responses whose body held item errors (SPEC §1).
    #[serde(default)]
    pub(crate) partial_failures: u64,
    /// Valid requests outside `--since` / `--until`.
    pub(crate) filtered_out: u64,
    pub(crate) first_ts: Option<Micros>,
    pub(crate) last_ts: Option<Micros>,
    /// Requests per status, indexed by status (100..=599).
    pub(crate) by_status: Vec<u64>,
    /// Per API error, at most `max_keys` (SPEC §4).
    pub(crate) errors: Table<ErrorKey, ErrorStats>,
    /// Per (method, route), keyed by [`route_key_of_path`], at most `max_keys`.
    pub(crate) routes: Table<String, RouteStats>,
    /// Per bucket index (`ts.div_euclid(bucket_us)`).
    pub(crate) buckets: FastMap<i64, BucketStats>,
    /// The first [`MAX_SAMPLES`] malformed lines by (source, line).
    pub(crate) samples: Vec<MalformedSample>,
    #[serde(skip)]
    scratch_key: String,
    #[serde(skip)]
    scratch_error: ErrorKey,
}

/// The sum of `values`, or None when it overflows (a forged checkpoint).
fn checked_sum(mut values: impl Iterator<Item = u64>) -> Option<u64> {
    values.try_fold(0u64, |sum, n| sum.checked_add(n))
}

/// Encodes (method, route) as one string so route lookups can reuse a buffer:
/// `<method length or ->:<method><route tag><route>`. Length-prefixed, since a
/// junk request line can put any character, NUL included, into the method.
#[cfg(test)]
pub(crate) fn route_key(method: Option<&str>, route: Option<&str>, out: &mut String) {
    push_method(method, out);
    match route {
        Some(r) => {
            out.push('+');
            out.push_str(r);
        }
        None => out.push('-'),
    }
}

/// [`route_key_of_path`] of a request path, templated straight into `out`.
fn route_key_of_path(method: Option<&str>, path: Option<&str>, out: &mut String) {
    push_method(method, out);
    match path {
        Some(p) => {
            out.push('+');
            route::template_append(p, out);
        }
        None => out.push('-'),
    }
}

/// Clears `out` and writes the method part of a route key.
fn push_method(method: Option<&str>, out: &mut String) {
    out.clear();
    match method {
        Some(m) => {
            // The length in decimal, without the formatting machinery (hot path).
            let mut digits = [0u8; 20];
            let mut n = m.len();
            let mut i = digits.len();
            loop {
                i -= 1;
                digits[i] = b'0' + (n % 10) as u8;
                n /= 10;
                if n == 0 {
                    break;
                }
            }
            for d in &digits[i..] {
                out.push(char::from(*d));
            }
            out.push(':');
            out.push_str(m);
        }
        None => out.push_str("-:"),
    }
}

/// The inverse of [`route_key_of_path`].
pub(crate) fn split_route_key(key: &str) -> (Option<&str>, Option<&str>) {
    let (len, rest) = key.split_once(':').unwrap_or(("-", key));
    let (method, rest) = match len.parse::<usize>() {
        Ok(n) if rest.is_char_boundary(n) => (Some(&rest[..n]), &rest[n..]),
        _ => (None, rest),
    };
    (method, rest.strip_prefix('+'))
}

/// The errors a request counts in `errors` (and in `/metrics`): its body's
/// error, or for a bulk request's `errors` array the first one (a failed
/// request counts once), or every item of a partially failed 202. The one
/// place that rule lives.
pub(crate) fn counted_errors<'b, 'a>(status: u16, body: &'b Body<'a>) -> &'b [ApiError<'a>] {
    let partial = status == 202;
    match body {
        Body::Absent | Body::Unparsed => &[],
        // A 202's single object counts only with a `code`: a job resource
        // such as {"id": "job_1", "type": "export"} is not an error.
        Body::Error(api) if partial && api.code.is_none() => &[],
        Body::Error(api) => std::slice::from_ref(api),
        // Every failed item of a bulk 202; a failed request counts once,
        // by its first error, whatever its body lists.
        Body::Errors(items) if partial => items,
        Body::Errors(items) => &items[..1.min(items.len())],
    }
}

impl Aggregate {
    pub(crate) fn new(config: AggConfig) -> Self {
        Aggregate {
            config,
            lines: 0,
            requests: 0,
            malformed: 0,
            unparsed_bodies: 0,
            partial_failures: 0,
            filtered_out: 0,
            first_ts: None,
            last_ts: None,
            by_status: vec![0; 600],
            errors: Table::with_distinct(config.max_keys),
            routes: Table::with_distinct(config.max_keys),
            buckets: FastMap::default(),
            samples: Vec::new(),
            scratch_key: String::new(),
            scratch_error: ErrorKey::default(),
        }
    }

    /// Checks what a saved aggregate (a checkpoint) claims, so that a forged
    /// or damaged one is refused instead of panicking or dividing by zero
    /// later. Each rule holds for every aggregate this code makes.
    pub(crate) fn check(&self) -> Result<(), String> {
        let fail = |why: &str| Err(why.to_owned());
        if self.config.bucket_us <= 0 {
            return fail("bucket width is not positive");
        }
        if self.by_status.len() != 600 {
            return fail("by_status does not hold one count per status 0..=599");
        }
        let statuses = checked_sum(self.by_status.iter().copied());
        if statuses != Some(self.requests) {
            return fail("by_status does not add up to requests");
        }
        let lines = self
            .requests
            .checked_add(self.malformed)
            .and_then(|n| n.checked_add(self.filtered_out));
        if lines != Some(self.lines) {
            return fail("lines is not requests + malformed + filtered_out");
        }
        match (self.first_ts, self.last_ts) {
            (None, None) if self.requests == 0 => {}
            (Some(first), Some(last)) if self.requests > 0 && first <= last => {}
            _ => return fail("first_ts and last_ts do not match the requests"),
        }
        if self.samples.len() > MAX_SAMPLES {
            return fail("more malformed samples than are kept");
        }
        let mut in_buckets = 0u64;
        for b in self.buckets.values() {
            if b.errors_4xx
                .checked_add(b.errors_5xx)
                .is_none_or(|e| e > b.requests)
            {
                return fail("a bucket holds more errors than requests");
            }
            // Every 5xx has a status and a route; some have an error key.
            let statuses = checked_sum(b.statuses_5xx.values().copied());
            let t = b.breakdowns.tables();
            if statuses != Some(b.errors_5xx)
                || !t.routes_5xx.counts_within(b.errors_5xx, true)
                || !t.errors_5xx_by_key.counts_within(b.errors_5xx, false)
            {
                return fail("a bucket's 5xx do not add up");
            }
            if b.sampled > b.requests
                || !t.routes_all.counts_within(b.sampled, false)
                || !t.clients_5xx.counts_within(b.errors_5xx, false)
            {
                return fail("a bucket's samples do not add up");
            }
            if b.examples.len() > MAX_EXAMPLES || b.examples.len() as u64 > b.errors_5xx {
                return fail("a bucket keeps more example requests than it may");
            }
            in_buckets = in_buckets.saturating_add(b.requests);
        }
        // Not equal: `tail --retain` drops old buckets, not their totals.
        if in_buckets > self.requests {
            return fail("the buckets hold more requests than were counted");
        }
        for r in self.routes.rows().map(|r| r.value) {
            if r.errors_4xx
                .checked_add(r.errors_5xx)
                .is_none_or(|e| e > r.requests)
            {
                return fail("a route holds more errors than requests");
            }
        }
        if !self.routes.counts_within(self.requests, true) {
            return fail("the routes do not add up to requests");
        }
        for e in self.errors.rows().map(|r| r.value) {
            if checked_sum(e.statuses.values().copied()) != Some(e.count) {
                return fail("an error's statuses do not add up to its count");
            }
        }
        Ok(())
    }

    /// Counts one valid request line.
    pub(crate) fn observe(&mut self, ev: &Event<'_>, source: u32, line: u64) {
        self.lines += 1;
        if self.config.since.is_some_and(|s| ev.ts < s)
            || self.config.until.is_some_and(|u| ev.ts >= u)
        {
            self.filtered_out += 1;
            return;
        }
        self.requests += 1;
        self.first_ts = Some(self.first_ts.map_or(ev.ts, |t| t.min(ev.ts)));
        self.last_ts = Some(self.last_ts.map_or(ev.ts, |t| t.max(ev.ts)));
        let status = ev.status;
        self.by_status[usize::from(status)] += 1;
        let is4 = (400..500).contains(&status);
        let is5 = status >= 500;

        route_key_of_path(
            ev.method.as_deref(),
            ev.path.as_deref(),
            &mut self.scratch_key,
        );
        self.routes.update(self.scratch_key.as_str(), |r| {
            r.requests += 1;
            r.errors_4xx += u64::from(is4);
            r.errors_5xx += u64::from(is5);
        });

        let config = &self.config;
        let bucket = self
            .buckets
            .entry(ev.ts.div_euclid(config.bucket_us))
            .or_insert_with(|| BucketStats::new(config));
        bucket.requests += 1;
        bucket.errors_4xx += u64::from(is4);
        bucket.errors_5xx += u64::from(is5);
        let client = ev.client.as_deref().unwrap_or(ABSENT);
        let in_sample = sampled(ev.ts, &self.scratch_key, client);
        // Only the sampled requests and the 5xx count their user agent: the
        // others leave it undecoded (`Event::agent`).
        let agent = if in_sample || is5 { ev.agent() } else { None };
        let agent = agent.as_deref().unwrap_or(ABSENT);
        if in_sample {
            bucket.sampled += 1;
            let t = bucket.breakdowns.tables_mut();
            t.routes_all.update(self.scratch_key.as_str(), |n| *n += 1);
            t.clients_all.update(client, |n| *n += 1);
            t.agents_all.update(agent, |n| *n += 1);
        }
        if is5 {
            *bucket.statuses_5xx.entry(status).or_default() += 1;
            let t = bucket.breakdowns.tables_mut();
            t.clients_5xx.update(client, |n| *n += 1);
            t.agents_5xx.update(agent, |n| *n += 1);
            t.routes_5xx.update(self.scratch_key.as_str(), |n| *n += 1);
            // Only the earliest few are kept: most 5xx fail this comparison
            // and cost no allocation.
            let earlier = bucket.examples.len() < MAX_EXAMPLES
                || bucket
                    .examples
                    .last()
                    .is_some_and(|e| (ev.ts, source, line) < (e.ts, e.source, e.line));
            if earlier {
                let api = match &ev.body {
                    Body::Error(api) => Some(api),
                    Body::Errors(items) => items.first(),
                    Body::Absent | Body::Unparsed => None,
                };
                let (_, route) = split_route_key(&self.scratch_key);
                keep_earliest(
                    &mut bucket.examples,
                    FailedRequest {
                        ts: ev.ts,
                        source,
                        line,
                        method: ev.method.as_deref().map(str::to_owned),
                        route: route.map(str::to_owned),
                        status,
                        error_code: api.and_then(|a| a.code.as_deref()).map(str::to_owned),
                        error_message: api.and_then(|a| a.message.as_deref()).map(str::to_owned),
                        request_id: ev.request_id.as_deref().map(str::to_owned),
                    },
                );
            }
        }

        // A 202's body is read only for the errors of a partial failure; any
        // other body it has is a success's, not an unparsed error body.
        let partial = status == 202;
        if matches!(ev.body, Body::Unparsed) && !partial {
            self.unparsed_bodies += 1;
        }
        let items = counted_errors(status, &ev.body);
        if partial && !items.is_empty() {
            self.partial_failures += 1;
        }
        for api in items {
            // The key is rebuilt in reused buffers: no allocation unless it is new.
            let key = &mut self.scratch_error;
            reuse(&mut key.error_type, api.error_type.as_deref());
            reuse(&mut key.code, api.code.as_deref());
            reuse(&mut key.param, api.param.as_deref());
            if is5 {
                let t = bucket.breakdowns.tables_mut();
                t.errors_5xx_by_key.update(&*key, |n| *n += 1);
            }
            self.errors.update(&*key, |stats| {
                stats.count += 1;
                stats.first_seen = min_opt(stats.first_seen, Some(ev.ts));
                stats.last_seen = max_opt(stats.last_seen, Some(ev.ts));
                *stats.statuses.entry(status).or_default() += 1;
                if let Some(message) = &api.message {
                    let earlier = stats.example.as_ref().is_none_or(|e| {
                        (ev.ts, source, line, message.as_ref())
                            < (e.ts, e.source, e.line, e.message.as_str())
                    });
                    if earlier {
                        stats.example = Some(Example {
                            ts: ev.ts,
                            source,
                            line,
                            message: message.to_string(),
                        });
                    }
                }
            });
        }
    }

    /// Counts one malformed line, keeping it as a sample if it is among the first.
    pub(crate) fn observe_malformed(
        &mut self,
        source: u32,
        line: u64,
        reason: Malformed,
        text: &[u8],
    ) {
        self.lines += 1;
        self.malformed += 1;
        let full = self.samples.len() >= MAX_SAMPLES;
        if full
            && self
                .samples
                .last()
                .is_some_and(|s| (s.source, s.line) < (source, line))
        {
            return;
        }
        self.samples.push(MalformedSample {
            source,
            line,
            reason,
            text: excerpt(text),
        });
        self.samples.sort();
        self.samples.truncate(MAX_SAMPLES);
    }

    /// Adds `other` into `self`.
    pub(crate) fn merge(&mut self, other: Aggregate) {
        self.lines += other.lines;
        self.requests += other.requests;
        self.malformed += other.malformed;
        self.unparsed_bodies += other.unparsed_bodies;
        self.partial_failures += other.partial_failures;
        self.filtered_out += other.filtered_out;
        self.first_ts = min_opt(self.first_ts, other.first_ts);
        self.last_ts = max_opt(self.last_ts, other.last_ts);
        for (mine, theirs) in self.by_status.iter_mut().zip(other.by_status) {
            *mine += theirs;
        }
        self.errors.merge(other.errors);
        self.routes.merge(other.routes);
        merge_buckets(&mut self.buckets, other.buckets);
        self.samples.extend(other.samples);
        self.samples.sort();
        self.samples.truncate(MAX_SAMPLES);
    }

    /// Rewrites every line number held (malformed samples, error examples)
    /// with `f(source, line)`. `f` must keep the order of lines within a
    /// source, so the samples kept stay the first ones.
    pub(crate) fn renumber(&mut self, f: impl Fn(u32, u64) -> u64) {
        for s in &mut self.samples {
            s.line = f(s.source, s.line);
        }
        for stats in self.errors.values_mut() {
            if let Some(e) = &mut stats.example {
                e.line = f(e.source, e.line);
            }
        }
        for b in self.buckets.values_mut() {
            for e in &mut b.examples {
                e.line = f(e.source, e.line);
            }
        }
    }

    /// Rewrites every input index held (samples, examples) with `f`, for a
    /// merge of saved states whose inputs are numbered anew; the kept lists
    /// are sorted again, since their order is by input within a time.
    pub(crate) fn remap_sources(&mut self, f: impl Fn(u32) -> u32) {
        for s in &mut self.samples {
            s.source = f(s.source);
        }
        self.samples.sort();
        for stats in self.errors.values_mut() {
            if let Some(e) = &mut stats.example {
                e.source = f(e.source);
            }
        }
        for b in self.buckets.values_mut() {
            for e in &mut b.examples {
                e.source = f(e.source);
            }
            b.examples.sort();
        }
    }

    /// The highest input index a sample or an example names.
    pub(crate) fn max_source(&self) -> Option<u32> {
        let samples = self.samples.iter().map(|s| s.source);
        let errors = self
            .errors
            .rows()
            .filter_map(|r| r.value.example.as_ref().map(|e| e.source));
        let buckets = self
            .buckets
            .values()
            .flat_map(|b| b.examples.iter().map(|e| e.source));
        samples.chain(errors).chain(buckets).max()
    }

    /// Requests per class (`2xx`, …), with every class present.
    pub(crate) fn by_class(&self) -> BTreeMap<&'static str, u64> {
        let mut out: BTreeMap<&'static str, u64> = ["1xx", "2xx", "3xx", "4xx", "5xx"]
            .into_iter()
            .map(|c| (c, 0))
            .collect();
        for (status, n) in self.by_status.iter().enumerate().skip(100) {
            *out.entry(status_class(status as u16)).or_default() += n;
        }
        out
    }
}

/// Adds another count map into this one, key by key.
trait AddCounts {
    fn add_counts(&mut self, other: Self);
}

impl<K: Ord> AddCounts for BTreeMap<K, u64> {
    fn add_counts(&mut self, other: Self) {
        for (k, n) in other {
            *self.entry(k).or_default() += n;
        }
    }
}

impl<K: Eq + std::hash::Hash, H: std::hash::BuildHasher> AddCounts for HashMap<K, u64, H> {
    fn add_counts(&mut self, other: Self) {
        for (k, n) in other {
            *self.entry(k).or_default() += n;
        }
    }
}

/// Adds the buckets of `theirs` into `mine`.
pub(crate) fn merge_buckets(
    mine: &mut FastMap<i64, BucketStats>,
    theirs: impl IntoIterator<Item = (i64, BucketStats)>,
) {
    for (index, theirs) in theirs {
        match mine.get_mut(&index) {
            None => {
                mine.insert(index, theirs);
            }
            Some(mine) => mine.merge(theirs),
        }
    }
}

impl BucketStats {
    /// Adds `theirs`, the same bucket counted elsewhere, into this one.
    fn merge(&mut self, theirs: BucketStats) {
        self.requests += theirs.requests;
        self.errors_4xx += theirs.errors_4xx;
        self.errors_5xx += theirs.errors_5xx;
        self.statuses_5xx.add_counts(theirs.statuses_5xx);
        for e in theirs.examples {
            keep_earliest(&mut self.examples, e);
        }
        self.sampled += theirs.sampled;
        self.breakdowns.merge(theirs.breakdowns);
    }
}

/// Adds `example` to `kept`, which stays the earliest [`MAX_EXAMPLES`] in order.
pub(crate) fn keep_earliest(kept: &mut Vec<FailedRequest>, example: FailedRequest) {
    let at = kept.partition_point(|e| *e < example);
    if at < MAX_EXAMPLES {
        // Room for exactly the few kept: there are thousands of buckets.
        if kept.len() >= MAX_EXAMPLES {
            kept.truncate(MAX_EXAMPLES - 1);
        } else if kept.capacity() == 0 {
            kept.reserve_exact(MAX_EXAMPLES);
        }
        kept.insert(at, example);
    }
}

fn min_opt(a: Option<Micros>, b: Option<Micros>) -> Option<Micros> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, y) => x.or(y),
    }
}

fn max_opt(a: Option<Micros>, b: Option<Micros>) -> Option<Micros> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, y) => x.or(y),
    }
}

/// At most [`SAMPLE_CHARS`] characters of a line, invalid UTF-8 replaced.
fn excerpt(text: &[u8]) -> String {
    // Four bytes per char at most, so this prefix always holds enough characters.
    let prefix = &text[..text.len().min(SAMPLE_CHARS * 4)];
    String::from_utf8_lossy(prefix)
        .chars()
        .take(SAMPLE_CHARS)
        .collect()
}

#[cfg(test)]
mod tests;
