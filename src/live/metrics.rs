//! `tail --metrics-listen`: the counters of SPEC §10 and their exposition.
//!
//! Two halves share the `prometheus-client` metrics (atomics behind `Arc`s):
//! the [`Recorder`], an engine sink the live engine feeds from the one
//! ingestion path (`engine::parse_chunk`, beside the aggregate), and the
//! [`Exporter`], which the HTTP server ([`server`]) encodes on a scrape. The
//! reader only touches atomics and, for a series it has not seen, one short
//! write lock; a scrape encodes into memory under read locks and writes to
//! the socket afterwards, so a slow scraper never holds up reading.
//!
//! **Label cardinality.** Each labelled metric keeps at most
//! `--metrics-max-series` series; past that, a new series is counted with its
//! open-ended labels (status, error type and code, method and route) set to
//! [`OTHER`], while `status_class`, five values at most, is kept, so error
//! ratios stay right in the overflow. Sums over a metric stay exact. Label
//! values longer than [`MAX_VALUE`] bytes are cut.
//!
//! **Restarts.** The counters count what this process read: they start at 0
//! on every start, `--state` or not, as any exporter's do after a restart.
//! Prometheus's `rate()` and `increase()` treat the drop as a counter reset.
//! The gauges (`faultline_incident_open`, `faultline_checkpoint_age_seconds`)
//! say the state now, and an incident announced before a restart is still
//! open in them.

pub(crate) mod server;

use crate::aggregate::counted_errors;
use crate::engine::Sink;
use crate::event::{status_class, Event, Micros};
use crate::parse::Malformed;
use crate::route;
use prometheus_client::encoding::{prometheus_text, text};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;

/// The label value that stands for every series past the cap.
pub(crate) const OTHER: &str = "__other__";

/// Label values are cut to this many bytes (at a character boundary): a
/// scanner's 8 KB path must not become an 8 KB label.
pub(crate) const MAX_VALUE: usize = 256;

/// `faultline_request_duration_seconds`' buckets: Prometheus's defaults,
/// 5 ms to 10 s.
const DURATION_BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The status classes, in `status_class`'s order.
const CLASSES: [&str; 5] = ["1xx", "2xx", "3xx", "4xx", "5xx"];

/// A label set: names and values, in a fixed order.
type Labels<const N: usize> = [(&'static str, String); N];

fn new_histogram() -> Histogram {
    Histogram::new(DURATION_BUCKETS)
}

/// `value` cut to [`MAX_VALUE`] bytes at a character boundary.
fn cut(value: &str) -> &str {
    if value.len() <= MAX_VALUE {
        return value;
    }
    let mut end = MAX_VALUE;
    while !value.is_char_boundary(end) {
        end -= 1;
    }
    &value[..end]
}

/// A labelled family that keeps at most `max` series: the ones seen first.
/// Later ones go to an overflow series whose `capped` labels say [`OTHER`].
/// Only the reader uses it; the family itself is shared with the registry.
struct Capped<M: Clone, const N: usize> {
    names: [&'static str; N],
    /// Which labels give way to [`OTHER`] past the cap.
    capped: [bool; N],
    family: Family<Labels<N>, M, fn() -> M>,
    /// The admitted series by key (see `key`), and the overflow ones.
    series: HashMap<String, M>,
    overflow: HashMap<String, M>,
    max: usize,
    /// Reused for each lookup: no allocation for a series already seen.
    key: String,
}

impl<M: Clone, const N: usize> Capped<M, N> {
    fn new(
        names: [&'static str; N],
        capped: [bool; N],
        max: usize,
        constructor: fn() -> M,
    ) -> Self {
        Capped {
            names,
            capped,
            family: Family::new_with_constructor(constructor),
            series: HashMap::new(),
            overflow: HashMap::new(),
            max,
            key: String::new(),
        }
    }

    /// Writes an injective key of `values` into `self.key`: each value with
    /// its length first, so no two label sets share a key.
    fn make_key(&mut self, values: &[&str; N]) {
        self.key.clear();
        for v in values {
            let _ = write!(self.key, "{}:{v}", v.len());
        }
    }

    /// The series of `values` (already cut), created while under the cap,
    /// else the overflow series.
    fn get(&mut self, values: [&str; N]) -> &M {
        let values = values.map(cut);
        self.make_key(&values);
        if self.series.contains_key(self.key.as_str()) {
            return &self.series[self.key.as_str()];
        }
        if self.series.len() < self.max {
            let labels: Labels<N> = std::array::from_fn(|i| (self.names[i], values[i].to_owned()));
            let metric = self.family.get_or_create_owned(&labels);
            return self.series.entry(self.key.clone()).or_insert(metric);
        }
        let values: [&str; N] =
            std::array::from_fn(|i| if self.capped[i] { OTHER } else { values[i] });
        self.make_key(&values);
        if !self.overflow.contains_key(self.key.as_str()) {
            let labels: Labels<N> = std::array::from_fn(|i| (self.names[i], values[i].to_owned()));
            let metric = self.family.get_or_create_owned(&labels);
            self.overflow.insert(self.key.clone(), metric);
        }
        &self.overflow[self.key.as_str()]
    }
}

/// The reader's half: an engine sink counting each line into the metrics.
pub(crate) struct Recorder {
    requests: Capped<Counter, 2>,
    errors: Capped<Counter, 2>,
    routes: Capped<Counter, 3>,
    /// One histogram per status class (five: no cap needed), made on first use.
    durations: Family<Labels<1>, Histogram, fn() -> Histogram>,
    by_class: [Option<Histogram>; 5],
    lines_request: Counter,
    lines_malformed: Counter,
    incident_open: Gauge,
    incidents: Counter,
    /// The route template, rebuilt in place for each event.
    route: String,
    status: String,
}

impl Recorder {
    fn observe(&mut self, ev: &Event<'_>) {
        self.lines_request.inc();
        let status = ev.status;
        let class = status_class(status);
        self.status.clear();
        let _ = write!(self.status, "{status}");
        self.requests.get([class, &self.status]).inc();
        self.route.clear();
        if let Some(p) = &ev.path {
            route::template_append(p, &mut self.route);
        }
        let method = ev.method.as_deref().unwrap_or_default();
        self.routes.get([method, &self.route, class]).inc();
        if let Some(ms) = ev.duration_ms.filter(|d| d.is_finite() && *d >= 0.0) {
            let i = CLASSES.iter().position(|c| *c == class).unwrap_or(4);
            let durations = &self.durations;
            self.by_class[i]
                .get_or_insert_with(|| {
                    durations.get_or_create_owned(&[("status_class", class.to_owned())])
                })
                .observe(ms / 1000.0);
        }
        for api in counted_errors(status, &ev.body) {
            let t = api.error_type.as_deref().unwrap_or_default();
            let c = api.code.as_deref().unwrap_or_default();
            self.errors.get([t, c]).inc();
        }
    }

    /// Incidents opened since the last call, and whether one is open now.
    pub(crate) fn incidents(&self, opened: u64, open: bool) {
        self.incidents.inc_by(opened);
        self.incident_open.set(i64::from(open));
    }
}

impl Sink for Recorder {
    fn event(&mut self, ev: &Event<'_>, _source: u32, _line: u64) {
        self.observe(ev);
    }

    fn malformed(&mut self, _source: u32, _line: u64, _reason: Malformed, _text: &[u8]) {
        self.lines_malformed.inc();
    }
}

/// No checkpoint is waiting to be written.
const SAVED: i64 = i64::MIN;

/// The scrape's half: the registry, and what is computed when it is read.
pub(crate) struct Exporter {
    registry: Registry,
    /// `Some` with `--state`: seconds the newest lines read have waited for
    /// the checkpoint.
    checkpoint_age: Option<Gauge<f64, AtomicU64>>,
    /// When the lines not yet in the checkpoint began to be read, or [`SAVED`].
    unsaved_since: AtomicI64,
}

impl Exporter {
    /// The metrics, empty, with at most `max_series` series per labelled
    /// metric; `checkpointed` when `--state` keeps a checkpoint.
    pub(crate) fn new(max_series: usize, checkpointed: bool) -> (Arc<Exporter>, Recorder) {
        let max = max_series.max(1);
        // Both results exist from the start, at 0, so `rate()` sees the first lines.
        let lines = Family::<Labels<1>, Counter>::default();
        let recorder = Recorder {
            requests: Capped::new(
                ["status_class", "status"],
                [false, true],
                max,
                Counter::default,
            ),
            errors: Capped::new(["type", "code"], [true, true], max, Counter::default),
            routes: Capped::new(
                ["method", "route", "status_class"],
                [true, true, false],
                max,
                Counter::default,
            ),
            durations: Family::new_with_constructor(new_histogram),
            by_class: Default::default(),
            lines_request: lines.get_or_create_owned(&[("result", "request".to_owned())]),
            lines_malformed: lines.get_or_create_owned(&[("result", "malformed".to_owned())]),
            incident_open: Gauge::default(),
            incidents: Counter::default(),
            route: String::new(),
            status: String::new(),
        };
        let mut registry = Registry::default();
        registry.register(
            "faultline_requests",
            "Requests read, by status",
            recorder.requests.family.clone(),
        );
        registry.register(
            "faultline_errors",
            "API errors read from response bodies, by error type and code",
            recorder.errors.family.clone(),
        );
        registry.register(
            "faultline_route_requests",
            "Requests read, by method, route template and status class",
            recorder.routes.family.clone(),
        );
        registry.register(
            "faultline_request_duration_seconds",
            "Request durations as logged, by status class",
            recorder.durations.clone(),
        );
        registry.register(
            "faultline_lines",
            "Lines read: requests and malformed lines (blank lines are not counted)",
            lines,
        );
        registry.register(
            "faultline_incident_open",
            "1 while a persistent 5xx period is open (announced and not closed), else 0",
            recorder.incident_open.clone(),
        );
        registry.register(
            "faultline_incidents",
            "Persistent 5xx periods opened since this process started",
            recorder.incidents.clone(),
        );
        let checkpoint_age = checkpointed.then(|| {
            let g = Gauge::<f64, AtomicU64>::default();
            registry.register(
                "faultline_checkpoint_age_seconds",
                "Seconds the oldest line not yet in the checkpoint has waited for it; 0 when the checkpoint holds everything read",
                g.clone(),
            );
            g
        });
        let exporter = Exporter {
            registry,
            checkpoint_age,
            unsaved_since: AtomicI64::new(SAVED),
        };
        (Arc::new(exporter), recorder)
    }

    /// Lines were read (or an incident announced) that the checkpoint does
    /// not hold yet; the first call since the last save starts the clock.
    pub(crate) fn unsaved(&self, now: Micros) {
        let _ =
            self.unsaved_since
                .compare_exchange(SAVED, now, Ordering::Relaxed, Ordering::Relaxed);
    }

    /// The checkpoint now holds everything read.
    pub(crate) fn saved(&self) {
        self.unsaved_since.store(SAVED, Ordering::Relaxed);
    }

    /// The exposition at `now`: OpenMetrics text when `openmetrics`, else
    /// the Prometheus text format 0.0.4. Returns the body and its content type.
    pub(crate) fn render(&self, openmetrics: bool, now: Micros) -> (String, &'static str) {
        if let Some(g) = &self.checkpoint_age {
            let since = self.unsaved_since.load(Ordering::Relaxed);
            let age = if since == SAVED {
                0.0
            } else {
                now.saturating_sub(since).max(0) as f64 / 1e6
            };
            g.set(age);
        }
        let mut out = String::new();
        // Writing into a `String` cannot fail; an error could only come from
        // a metric's own encoding, and ours are plain counters and gauges.
        if openmetrics {
            let _ = text::encode(&mut out, &self.registry);
            (out, OPENMETRICS)
        } else {
            let _ = prometheus_text::encode(&mut out, &self.registry);
            (out, prometheus_text::CONTENT_TYPE)
        }
    }
}

/// The OpenMetrics text content type.
pub(crate) const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[cfg(test)]
mod tests;
