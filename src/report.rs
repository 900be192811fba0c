//! The result model every renderer reads: the SPEC §4 JSON document.
//!
//! [`build`] turns the merged aggregate, the input outcomes and the detection
//! rule into a [`Report`]. Field names here are a stable interface: add keys,
//! never rename them.

use crate::aggregate::{
    keep_earliest, split_route_key, Aggregate, BucketStats, ErrorKey, FailedRequest,
};
use crate::engine::InputOutcome;
use crate::event::{format_ts, status_title, Micros};
use crate::heavy::{Counts, Table};
use crate::periods::{find_periods, BucketCount, DetectConfig, Period};
use serde::Serialize;
use std::collections::BTreeMap;

/// How many routes and errors an incident lists.
const INCIDENT_TOP: usize = 5;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct Report {
    pub(crate) summary: Summary,
    pub(crate) by_status: Vec<StatusRow>,
    pub(crate) errors: Vec<ErrorRow>,
    pub(crate) routes: Vec<RouteRow>,
    pub(crate) timeline: Vec<TimelineRow>,
    pub(crate) incidents: Vec<Incident>,
    pub(crate) malformed_samples: Vec<SampleRow>,
    pub(crate) verdict: Verdict,
    /// The thresholds the verdict was reached with.
    pub(crate) settings: Settings,
    /// With `--slo`: when each burn-rate alert would have fired (SPEC §10).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) slo: Option<crate::slo::SloReport>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct Summary {
    pub(crate) inputs: Vec<InputRow>,
    pub(crate) lines: u64,
    pub(crate) requests: u64,
    pub(crate) malformed: u64,
    pub(crate) unparsed_bodies: u64,
    /// 202 Accepted responses whose body held errors: bulk requests in which
    /// some items failed; their item errors are in `errors` under "202".
    pub(crate) partial_failures: u64,
    /// Valid requests left out by `--since` / `--until`.
    pub(crate) filtered_out: u64,
    pub(crate) first_ts: Option<String>,
    pub(crate) last_ts: Option<String>,
    pub(crate) by_class: BTreeMap<String, u64>,
    pub(crate) input_errors: Vec<InputErrorRow>,
    /// Files found in a directory that are not logs (not in `inputs`).
    pub(crate) skipped: Vec<SkippedRow>,
    /// How full the bounded tables are (SPEC §4).
    pub(crate) tables: Tables,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct Tables {
    pub(crate) routes: TableFill,
    pub(crate) errors: TableFill,
}

/// One keyed table's size: while not `capped` every count in it is exact.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct TableFill {
    /// Distinct keys seen: exact while not capped, else an estimate (HyperLogLog).
    pub(crate) distinct: u64,
    /// Rows the table holds (at most `--max-keys`).
    pub(crate) kept: u64,
    /// Whether rarer keys gave way: then rows carry `count_error`.
    pub(crate) capped: bool,
}

impl TableFill {
    fn of<K: std::hash::Hash + Eq + Ord + Clone, V: Counts>(t: &Table<K, V>) -> Self {
        TableFill {
            distinct: t.distinct(),
            kept: t.len() as u64,
            capped: t.capped(),
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct SkippedRow {
    pub(crate) path: String,
    pub(crate) reason: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct InputRow {
    pub(crate) path: String,
    pub(crate) format: Option<String>,
    pub(crate) compression: Option<String>,
    pub(crate) lines: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct InputErrorRow {
    pub(crate) path: String,
    pub(crate) error: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct StatusRow {
    pub(crate) status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) title: Option<&'static str>,
    pub(crate) count: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct ErrorRow {
    #[serde(rename = "type")]
    pub(crate) error_type: Option<String>,
    pub(crate) code: Option<String>,
    pub(crate) param: Option<String>,
    pub(crate) count: u64,
    pub(crate) statuses: BTreeMap<String, u64>,
    pub(crate) example_message: Option<String>,
    /// How much each count of the row may exceed the truth (0: exact).
    pub(crate) count_error: u64,
    /// When the error was first and last counted (in a capped table: since
    /// the row was admitted, so `first_seen` may be later than the truth).
    pub(crate) first_seen: Option<String>,
    pub(crate) last_seen: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct RouteRow {
    pub(crate) method: Option<String>,
    pub(crate) route: Option<String>,
    pub(crate) requests: u64,
    pub(crate) errors_4xx: u64,
    pub(crate) errors_5xx: u64,
    /// How much each count of the row may exceed the truth (0: exact).
    pub(crate) count_error: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct TimelineRow {
    pub(crate) start: String,
    pub(crate) requests: u64,
    pub(crate) errors_4xx: u64,
    pub(crate) errors_5xx: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct Incident {
    pub(crate) start: String,
    pub(crate) end: String,
    pub(crate) duration_s: i64,
    pub(crate) ongoing: bool,
    pub(crate) bad_buckets: u64,
    pub(crate) requests: u64,
    pub(crate) errors_5xx: u64,
    pub(crate) error_ratio: f64,
    pub(crate) by_status: BTreeMap<String, u64>,
    pub(crate) top_routes: Vec<IncidentRoute>,
    pub(crate) top_errors: Vec<IncidentError>,
    /// The earliest failing (5xx) requests of the period, at most five.
    pub(crate) examples: Vec<ExampleRow>,
    /// What differs from the time just before (see [`crate::changes`]).
    pub(crate) changes: Vec<crate::changes::Change>,
}

/// A failing request to look up: where it is logged, and its request id.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct ExampleRow {
    pub(crate) ts: String,
    pub(crate) source: String,
    pub(crate) line: u64,
    pub(crate) method: Option<String>,
    pub(crate) route: Option<String>,
    pub(crate) status: u16,
    pub(crate) error_code: Option<String>,
    pub(crate) error_message: Option<String>,
    pub(crate) request_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct IncidentRoute {
    pub(crate) method: Option<String>,
    pub(crate) route: Option<String>,
    pub(crate) errors_5xx: u64,
    /// How much `errors_5xx` may exceed the truth (0: exact).
    pub(crate) count_error: u64,
}

impl IncidentRoute {
    /// Whether the count is near enough the truth to name the route as one
    /// of the worst: exact, or off by at most a tenth. A period's routes are
    /// summed from each bucket's 16 heaviest; when the 5xx are spread over
    /// many more routes than that (an upstream down for every route), the
    /// sums carry errors nearly as large as themselves, and ranking by them
    /// would name routes that are no worse than the rest.
    pub(crate) fn clearly_counted(&self) -> bool {
        clearly_counted(self.errors_5xx, self.count_error)
    }
}

impl IncidentError {
    /// As [`IncidentRoute::clearly_counted`], for the error named as the top one.
    pub(crate) fn clearly_counted(&self) -> bool {
        clearly_counted(self.count, self.count_error)
    }
}

/// Whether `count`, which may exceed the truth by `error`, is exact or off by
/// at most a tenth.
fn clearly_counted(count: u64, error: u64) -> bool {
    error.saturating_mul(10) <= count
}

impl Incident {
    /// The routes to name as the worst (the verdict, the Markdown report, the
    /// alert): the first three that are [`IncidentRoute::clearly_counted`].
    pub(crate) fn worst_routes(&self) -> impl Iterator<Item = &IncidentRoute> {
        self.top_routes
            .iter()
            .filter(|r| r.clearly_counted())
            .take(3)
    }

    /// The error to name as the top one (the verdict, the alert): the first,
    /// if it is [`IncidentError::clearly_counted`] (it is first by its count,
    /// an upper bound).
    pub(crate) fn top_error(&self) -> Option<&IncidentError> {
        self.top_errors.first().filter(|e| e.clearly_counted())
    }
}

/// The words for an incident's routes when none is [`IncidentRoute::clearly_counted`].
pub(crate) const ROUTES_SPREAD: &str = "5xx spread over many routes, none clearly the worst";
/// The words for an incident's errors when the first is not clearly counted.
pub(crate) const ERRORS_SPREAD: &str =
    "5xx error bodies spread over many codes, none clearly the most common";

#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct IncidentError {
    #[serde(rename = "type")]
    pub(crate) error_type: Option<String>,
    pub(crate) code: Option<String>,
    pub(crate) param: Option<String>,
    pub(crate) count: u64,
    /// The error's example message (from the `errors` table), so a code like
    /// Heroku's `H10` comes with its `App crashed`.
    pub(crate) example_message: Option<String>,
    /// How much `count` may exceed the truth (0: exact).
    pub(crate) count_error: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct SampleRow {
    pub(crate) source: String,
    pub(crate) line: u64,
    pub(crate) reason: String,
    pub(crate) text: String,
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Level {
    /// No request to judge: nothing read, nothing parsed, or nothing inside
    /// `--since`/`--until`. Never reported as `ok` (SPEC §5).
    NoData,
    Ok,
    Review,
    Escalate,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct Verdict {
    pub(crate) level: Level,
    pub(crate) reason: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct Settings {
    pub(crate) bucket_s: f64,
    pub(crate) min_errors: u64,
    pub(crate) min_ratio: f64,
    /// The sparse rule's share; null when it is off.
    pub(crate) min_ratio_sparse: Option<f64>,
    pub(crate) max_gap: u64,
    pub(crate) for_s: f64,
}

/// Builds the report of a finished run.
pub(crate) fn build(agg: &Aggregate, outcomes: &[InputOutcome], cfg: &DetectConfig) -> Report {
    let source_name = |i: u32| {
        outcomes
            .get(i as usize)
            .map_or_else(|| format!("#{i}"), |o| o.source.display_name())
    };
    let names: Vec<String> = outcomes.iter().map(|o| o.source.display_name()).collect();
    let incidents = incidents(agg, cfg, &names);
    let verdict = verdict(agg, &incidents, &Scope::of(agg, outcomes));
    Report {
        summary: Summary {
            inputs: outcomes
                .iter()
                .filter(|o| o.skipped.is_none())
                .map(|o| InputRow {
                    path: o.source.display_name(),
                    // No format for an input none of whose first lines parse.
                    format: o
                        .format
                        .filter(|_| o.recognized)
                        .map(|f| f.name().to_owned()),
                    compression: o.compression.map(|c| c.name().to_owned()),
                    lines: o.lines,
                })
                .collect(),
            lines: agg.lines,
            requests: agg.requests,
            malformed: agg.malformed,
            unparsed_bodies: agg.unparsed_bodies,
            partial_failures: agg.partial_failures,
            filtered_out: agg.filtered_out,
            first_ts: agg.first_ts.map(format_ts),
            last_ts: agg.last_ts.map(format_ts),
            by_class: agg
                .by_class()
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect(),
            input_errors: outcomes
                .iter()
                .filter_map(|o| {
                    o.error.as_ref().map(|e| InputErrorRow {
                        path: o.source.display_name(),
                        error: e.clone(),
                    })
                })
                .collect(),
            skipped: outcomes
                .iter()
                .filter_map(|o| {
                    o.skipped.as_ref().map(|reason| SkippedRow {
                        path: o.source.display_name(),
                        reason: reason.clone(),
                    })
                })
                .collect(),
            tables: Tables {
                routes: TableFill::of(&agg.routes),
                errors: TableFill::of(&agg.errors),
            },
        },
        by_status: by_status(agg),
        errors: errors(agg),
        routes: routes(agg),
        timeline: timeline(agg),
        incidents,
        malformed_samples: agg
            .samples
            .iter()
            .map(|s| SampleRow {
                source: source_name(s.source),
                line: s.line,
                reason: s.reason.as_str().to_owned(),
                text: s.text.clone(),
            })
            .collect(),
        verdict,
        settings: Settings {
            bucket_s: cfg.bucket_us as f64 / 1e6,
            min_errors: cfg.min_errors,
            min_ratio: cfg.min_ratio_ppm as f64 / 1e6,
            min_ratio_sparse: cfg.sparse_ratio_ppm.map(|ppm| ppm as f64 / 1e6),
            max_gap: cfg.max_gap,
            for_s: cfg.min_duration_us as f64 / 1e6,
        },
        slo: None,
    }
}

/// The burn-rate alerts replayed over the aggregate's timeline (SPEC §10).
pub(crate) fn slo(agg: &Aggregate, objective: crate::slo::Objective) -> crate::slo::SloReport {
    let buckets = agg
        .buckets
        .iter()
        .map(|(i, b)| {
            (
                *i,
                crate::slo::Counts {
                    requests: b.requests,
                    errors: b.errors_5xx,
                },
            )
        })
        .collect();
    crate::slo::replay(objective, agg.config.bucket_us, buckets)
}

fn by_status(agg: &Aggregate) -> Vec<StatusRow> {
    let mut rows: Vec<StatusRow> = agg
        .by_status
        .iter()
        .enumerate()
        .filter(|(_, n)| **n > 0)
        .map(|(s, n)| StatusRow {
            status: s as u16,
            title: status_title(s as u16),
            count: *n,
        })
        .collect();
    rows.sort_by(|a, b| b.count.cmp(&a.count).then(a.status.cmp(&b.status)));
    rows
}

/// Errors, most frequent first by the count they surely have (`count -
/// count_error`), so a row that inherited a large error does not outrank
/// what was really counted.
fn errors(agg: &Aggregate) -> Vec<ErrorRow> {
    let mut rows: Vec<(&ErrorKey, u64, ErrorRow)> = agg
        .errors
        .rows()
        .map(|r| {
            let (k, s, e) = (r.key, r.value, r.error);
            (
                k,
                s.count,
                ErrorRow {
                    error_type: k.error_type.clone(),
                    code: k.code.clone(),
                    param: k.param.clone(),
                    count: s.count + e,
                    statuses: s
                        .statuses
                        .iter()
                        .map(|(st, n)| (st.to_string(), n + e))
                        .collect(),
                    example_message: s.example.as_ref().map(|e| e.message.clone()),
                    count_error: e,
                    first_seen: s.first_seen.map(format_ts),
                    last_seen: s.last_seen.map(format_ts),
                },
            )
        })
        .collect();
    rows.sort_by(|(ka, sa, a), (kb, sb, b)| {
        (sb, b.count).cmp(&(sa, a.count)).then_with(|| ka.cmp(kb))
    });
    rows.into_iter().map(|(_, _, r)| r).collect()
}

/// Routes, worst first: most 5xx, then most 4xx, then busiest, by the counts
/// they surely have (see [`errors`]).
fn routes(agg: &Aggregate) -> Vec<RouteRow> {
    let mut rows: Vec<(crate::aggregate::RouteStats, RouteRow)> = agg
        .routes
        .rows()
        .map(|r| {
            let (method, route) = split_route_key(r.key);
            let (s, e) = (r.value, r.error);
            (
                *s,
                RouteRow {
                    method: method.map(str::to_owned),
                    route: route.map(str::to_owned),
                    requests: s.requests + e,
                    errors_4xx: s.errors_4xx + e,
                    errors_5xx: s.errors_5xx + e,
                    count_error: e,
                },
            )
        })
        .collect();
    rows.sort_by(|(sa, a), (sb, b)| {
        (sb.errors_5xx, sb.errors_4xx, sb.requests, b.requests)
            .cmp(&(sa.errors_5xx, sa.errors_4xx, sa.requests, a.requests))
            .then_with(|| (&a.method, &a.route).cmp(&(&b.method, &b.route)))
    });
    rows.into_iter().map(|(_, r)| r).collect()
}

fn timeline(agg: &Aggregate) -> Vec<TimelineRow> {
    let mut idx: Vec<&i64> = agg.buckets.keys().collect();
    idx.sort_unstable();
    idx.into_iter()
        .map(|i| {
            let b = &agg.buckets[i];
            TimelineRow {
                start: format_ts(bucket_start(*i, agg.config.bucket_us)),
                requests: b.requests,
                errors_4xx: b.errors_4xx,
                errors_5xx: b.errors_5xx,
            }
        })
        .collect()
}

fn incidents(agg: &Aggregate, cfg: &DetectConfig, names: &[String]) -> Vec<Incident> {
    let counts: Vec<BucketCount> = agg
        .buckets
        .iter()
        .map(|(i, b)| BucketCount {
            index: *i,
            requests: b.requests,
            errors_5xx: b.errors_5xx,
        })
        .collect();
    // The latest event decides what is ongoing (SPEC §5), but not one ahead
    // of the clock (allowed up to a day): a host with a wrong time zone must
    // not make an outage that is still going read as ended.
    let now = chrono::Utc::now().timestamp_micros();
    let latest = agg.last_ts.map(|t| t.min(now).div_euclid(cfg.bucket_us));
    find_periods(cfg, &counts, latest)
        .into_iter()
        .map(|p| incident(agg, cfg.bucket_us, &p, names))
        .collect()
}

/// Where bucket `index` starts, saturated at the ends of time: the end of a
/// bucket holding a time near `i64::MAX` is past what an `i64` holds.
fn bucket_start(index: i64, bucket_us: Micros) -> Micros {
    index.saturating_mul(bucket_us)
}

/// The first `n` of `rows` in `order`, sorted. `order` is total (it ends
/// on the rows' unique keys), so these are the rows a full sort would put
/// first; a period can hold tens of thousands of routes, of which a report
/// shows a handful.
fn first_in_order<T>(
    mut rows: Vec<T>,
    n: usize,
    order: impl Fn(&T, &T) -> std::cmp::Ordering,
) -> Vec<T> {
    if rows.len() > n {
        if let Some(last) = n.checked_sub(1) {
            rows.select_nth_unstable_by(last, &order);
        }
        rows.truncate(n);
    }
    rows.sort_by(order);
    rows
}

/// The details of one period: everything inside [start, end). `names` are
/// the inputs' names, by source index, for the examples.
pub(crate) fn incident(
    agg: &Aggregate,
    bucket_us: Micros,
    p: &Period,
    names: &[String],
) -> Incident {
    let mut examples: Vec<FailedRequest> = Vec::new();
    let mut requests = 0;
    let mut errors_5xx = 0;
    let mut by_status: BTreeMap<u16, u64> = BTreeMap::new();
    let mut routes: Option<Table<String, u64>> = None;
    let mut errs: Option<Table<ErrorKey, u64>> = None;
    // A period can span far more bucket indexes than there are buckets (a
    // huge --max-gap over times years apart): then walk the buckets instead.
    let period = p.first_bucket..=p.last_bucket;
    let span = p.last_bucket.saturating_sub(p.first_bucket);
    let inside: Box<dyn Iterator<Item = &BucketStats>> =
        if usize::try_from(span).is_ok_and(|s| s < agg.buckets.len()) {
            Box::new(period.filter_map(|i| agg.buckets.get(&i)))
        } else {
            Box::new(
                agg.buckets
                    .iter()
                    .filter(move |(i, _)| period.contains(i))
                    .map(|(_, b)| b),
            )
        };
    for b in inside {
        requests += b.requests;
        errors_5xx += b.errors_5xx;
        for (s, n) in &b.statuses_5xx {
            *by_status.entry(*s).or_default() += n;
        }
        let t = b.breakdowns.tables();
        merge_into(&mut routes, &t.routes_5xx);
        merge_into(&mut errs, &t.errors_5xx_by_key);
        for e in &b.examples {
            keep_earliest(&mut examples, e.clone());
        }
    }
    // By the count each surely has, then the upper bound, then the key.
    let routes: Vec<(&str, u64, u64)> = routes
        .iter()
        .flat_map(Table::rows)
        .map(|r| (r.key.as_str(), *r.value, r.error))
        .collect();
    let routes = first_in_order(routes, INCIDENT_TOP, |a, b| {
        (b.1, b.2)
            .cmp(&(a.1, a.2))
            .then_with(|| split_route_key(a.0).cmp(&split_route_key(b.0)))
            .then_with(|| a.0.cmp(b.0))
    });
    let errs: Vec<(&ErrorKey, u64, u64)> = errs
        .iter()
        .flat_map(Table::rows)
        .map(|r| (r.key, *r.value, r.error))
        .collect();
    let errs = first_in_order(errs, INCIDENT_TOP, |a, b| {
        (b.1, b.2).cmp(&(a.1, a.2)).then(a.0.cmp(b.0))
    });
    let start = bucket_start(p.first_bucket, bucket_us);
    let end = bucket_start(p.last_bucket.saturating_add(1), bucket_us);
    Incident {
        start: format_ts(start),
        end: format_ts(end),
        duration_s: end.saturating_sub(start) / 1_000_000,
        ongoing: p.ongoing,
        bad_buckets: p.bad_buckets,
        requests,
        errors_5xx,
        error_ratio: if requests == 0 {
            0.0
        } else {
            errors_5xx as f64 / requests as f64
        },
        by_status: by_status
            .into_iter()
            .map(|(s, n)| (s.to_string(), n))
            .collect(),
        top_routes: routes
            .into_iter()
            .take(INCIDENT_TOP)
            .map(|(key, n, e)| {
                let (method, route) = split_route_key(key);
                IncidentRoute {
                    method: method.map(str::to_owned),
                    route: route.map(str::to_owned),
                    errors_5xx: n + e,
                    count_error: e,
                }
            })
            .collect(),
        top_errors: errs
            .into_iter()
            .take(INCIDENT_TOP)
            .map(|(k, n, e)| IncidentError {
                error_type: k.error_type.clone(),
                code: k.code.clone(),
                param: k.param.clone(),
                count: n + e,
                count_error: e,
                example_message: agg
                    .errors
                    .get(k)
                    .and_then(|e| e.example.as_ref())
                    .map(|e| e.message.clone()),
            })
            .collect(),
        changes: crate::changes::changes(agg, p.first_bucket, p.last_bucket),
        examples: examples
            .into_iter()
            .map(|e| ExampleRow {
                ts: format_ts(e.ts),
                source: names
                    .get(e.source as usize)
                    .cloned()
                    .unwrap_or_else(|| format!("#{}", e.source)),
                line: e.line,
                method: e.method,
                route: e.route,
                status: e.status,
                error_code: e.error_code,
                error_message: e.error_message,
                request_id: e.request_id,
            })
            .collect(),
    }
}

/// Merges a copy of a bucket's table into the incident's.
fn merge_into<K: std::hash::Hash + Eq + Ord + Clone, V: Counts + Clone>(
    into: &mut Option<Table<K, V>>,
    bucket: &Table<K, V>,
) {
    match into {
        Some(t) => t.merge(bucket.clone()),
        None => *into = Some(bucket.clone()),
    }
}

/// What a verdict judged: the inputs and the time range read.
pub(crate) struct Scope {
    /// `api.log` for one input, `4 inputs` for more.
    inputs: String,
    /// Files found in directories and skipped as not logs.
    skipped: usize,
    first_ts: Option<String>,
    last_ts: Option<String>,
}

impl Scope {
    pub(crate) fn of(agg: &Aggregate, outcomes: &[InputOutcome]) -> Scope {
        let read: Vec<&InputOutcome> = outcomes.iter().filter(|o| o.skipped.is_none()).collect();
        let inputs = match read.as_slice() {
            [one] => one
                .source
                .display_name()
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .to_owned(),
            many => format!("{} inputs", many.len()),
        };
        Scope {
            inputs,
            skipped: outcomes.len() - read.len(),
            first_ts: agg.first_ts.map(format_ts),
            last_ts: agg.last_ts.map(format_ts),
        }
    }

    /// "2926 requests in 4 inputs from 2026-11-24T09:00:04Z to 2026-11-24T10:59:52Z"
    fn judged(&self, requests: u64) -> String {
        let noun = if requests == 1 { "request" } else { "requests" };
        match (&self.first_ts, &self.last_ts) {
            (Some(first), Some(last)) => format!(
                "{requests} {noun} in {} from {first} to {last}",
                self.inputs
            ),
            _ => format!("{requests} {noun} in {}", self.inputs),
        }
    }
}

/// The one-sentence verdict a support engineer can paste into a ticket.
pub(crate) fn verdict(agg: &Aggregate, incidents: &[Incident], scope: &Scope) -> Verdict {
    let mut v = verdict_of_periods(agg, incidents, scope);
    if agg.partial_failures > 0 && v.level != Level::NoData {
        v.reason.push_str(&partial_failures(agg));
    }
    v
}

/// " 12 accepted bulk requests (202) partially failed: 31 item errors, mostly
/// parameter_invalid_integer (20)."
fn partial_failures(agg: &Aggregate) -> String {
    let mut by_code: BTreeMap<&str, u64> = BTreeMap::new();
    for (k, s) in agg.errors.rows().map(|r| (r.key, r.value)) {
        if let Some(n) = s.statuses.get(&202) {
            let name = k.code.as_deref().or(k.error_type.as_deref()).unwrap_or("-");
            *by_code.entry(name).or_default() += n;
        }
    }
    let items: u64 = by_code.values().sum();
    let mut out = format!(
        " {} accepted bulk requests (202) partially failed: {items} item errors",
        agg.partial_failures
    );
    // The most frequent code; the first by name among equals.
    if let Some((name, n)) = by_code
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
    {
        out.push_str(&format!(", mostly {name} ({n})"));
    }
    out.push('.');
    out
}

fn verdict_of_periods(agg: &Aggregate, incidents: &[Incident], scope: &Scope) -> Verdict {
    if agg.requests == 0 {
        return Verdict {
            level: Level::NoData,
            reason: no_data_reason(agg, scope),
        };
    }
    if let Some(open) = incidents.iter().rev().find(|i| i.ongoing) {
        return Verdict {
            level: Level::Escalate,
            reason: format!(
                "Escalate: 5xx errors have persisted since {} ({} so far, still going): {}. Judged {}.",
                open.start,
                human_duration(open.duration_s),
                describe(open),
                scope.judged(agg.requests)
            ),
        };
    }
    if let Some(worst) = incidents
        .iter()
        .max_by_key(|i| (i.duration_s, i.errors_5xx))
    {
        let count = match incidents.len() {
            1 => "A persistent 5xx period".to_owned(),
            n => format!("{n} persistent 5xx periods occurred, all ended; the longest"),
        };
        return Verdict {
            level: Level::Review,
            reason: format!(
                "Review: {count} ran from {} to {} ({}) and has ended: {}. Judged {}.",
                worst.start,
                worst.end,
                human_duration(worst.duration_s),
                describe(worst),
                scope.judged(agg.requests)
            ),
        };
    }
    let e5 = agg.by_class().get("5xx").copied().unwrap_or(0);
    Verdict {
        level: Level::Ok,
        reason: format!(
            "OK: no persistent 5xx period in {}; {} {} 5xx ({}).",
            scope.judged(agg.requests),
            e5,
            if e5 == 1 { "was" } else { "were" },
            percent(e5, agg.requests)
        ),
    }
}

/// Why there was nothing to judge, and what was read.
fn no_data_reason(agg: &Aggregate, scope: &Scope) -> String {
    let read = format!("{} non-blank lines from {}", agg.lines, scope.inputs);
    let skipped = match scope.skipped {
        0 => String::new(),
        n => format!(" ({n} files found in directories were skipped as not logs: summary.skipped)"),
    };
    if agg.lines == 0 {
        format!(
            "No data: nothing to judge; read 0 lines from {}{skipped} (empty, or every input failed).",
            scope.inputs
        )
    } else if agg.filtered_out > 0 {
        format!(
            "No data: no request inside --since/--until; read {read}, {} requests outside the window.",
            agg.filtered_out
        )
    } else {
        // The first sample's reason: "no [timestamp]" points at the format,
        // "time out of range" at the clock of whatever wrote the log.
        let first = agg.samples.first().map_or(String::new(), |s| {
            format!("; first: line {} {}", s.line, s.reason)
        });
        format!(
            "No data: none of the {read} is a request ({} malformed{first}){skipped}; check the path and --format.",
            agg.malformed
        )
    }
}

/// "412 of 2310 requests failed with 5xx (17.8%), mostly 503 (380), 502 (32); worst routes: POST /v1/charges (301)"
pub(crate) fn describe(i: &Incident) -> String {
    let mut statuses: Vec<(&String, &u64)> = i.by_status.iter().collect();
    statuses.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let statuses: Vec<String> = statuses
        .iter()
        .take(3)
        .map(|(s, n)| format!("{s} ({n})"))
        .collect();
    let mut out = format!(
        "{} of {} requests failed with 5xx ({}), mostly {}",
        i.errors_5xx,
        i.requests,
        percent(i.errors_5xx, i.requests),
        statuses.join(", ")
    );
    let routes: Vec<String> = i
        .worst_routes()
        .map(|r| {
            format!(
                "{} {} ({}{})",
                r.method.as_deref().unwrap_or("-"),
                r.route.as_deref().unwrap_or("-"),
                if r.count_error > 0 { "~" } else { "" },
                r.errors_5xx
            )
        })
        .collect();
    if !routes.is_empty() {
        out.push_str("; worst routes: ");
        out.push_str(&routes.join(", "));
    } else if !i.top_routes.is_empty() {
        out.push_str("; ");
        out.push_str(ROUTES_SPREAD);
    }
    if let Some(e) = i.top_error() {
        let name = e.code.as_deref().or(e.error_type.as_deref()).unwrap_or("-");
        let approx = if e.count_error > 0 { "~" } else { "" };
        match e.example_message.as_deref().filter(|m| !m.is_empty()) {
            Some(m) => out.push_str(&format!(
                "; top error: {name} \"{}\" ({approx}{})",
                clip(m, 80),
                e.count
            )),
            None => out.push_str(&format!("; top error: {name} ({approx}{})", e.count)),
        }
    } else if !i.top_errors.is_empty() {
        out.push_str("; ");
        out.push_str(ERRORS_SPREAD);
    }
    out
}

/// `text` cut to at most `max` characters, with `…` when cut.
fn clip(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

pub(crate) fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        return "0%".to_owned();
    }
    format!("{:.1}%", part as f64 * 100.0 / whole as f64)
}

/// `45 s`, `17 min`, `2 h 5 min`.
pub(crate) fn human_duration(secs: i64) -> String {
    match secs {
        s if s < 60 => format!("{s} s"),
        s if s < 3600 => format!("{} min", s / 60),
        s if s % 3600 / 60 == 0 => format!("{} h", s / 3600),
        s => format!("{} h {} min", s / 3600, s % 3600 / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::AggConfig;
    use crate::event::Event;

    /// Events of 10 minutes, 20 a minute, 6 of them 503 in minutes 2..=8.
    fn events() -> Vec<Event<'static>> {
        let mut out = Vec::new();
        for minute in 0..10i64 {
            for i in 0..20i64 {
                let status = if (2..=8).contains(&minute) && i < 6 {
                    503
                } else {
                    200
                };
                out.push(Event::new((minute * 60 + i) * 1_000_000, status));
            }
        }
        out
    }

    fn report_of(events: Vec<Event<'static>>) -> Report {
        let cfg = DetectConfig::default();
        let mut agg = Aggregate::new(AggConfig {
            bucket_us: cfg.bucket_us,
            since: None,
            until: None,
            max_keys: crate::aggregate::DEFAULT_MAX_KEYS,
        });
        for (line, ev) in events.into_iter().enumerate() {
            agg.observe(&ev, 0, line as u64 + 1);
        }
        build(&agg, &[], &cfg)
    }

    #[test]
    fn a_bucket_at_the_end_of_i64_saturates_instead_of_overflowing() {
        let cfg = DetectConfig {
            min_errors: 1,
            min_duration_us: 1,
            ..DetectConfig::default()
        };
        let mut agg = Aggregate::new(AggConfig {
            bucket_us: cfg.bucket_us,
            since: None,
            until: None,
            max_keys: crate::aggregate::DEFAULT_MAX_KEYS,
        });
        agg.observe(&Event::new(i64::MAX, 500), 0, 1);
        let r = build(&agg, &[], &cfg);
        // The last bucket starts at 153_722_867_280 minutes; it ends past i64::MAX.
        assert_eq!(r.timeline[0].start, "9223372036800000000");
        assert_eq!(r.incidents.len(), 1);
        let i = &r.incidents[0];
        assert_eq!(i.start, "9223372036800000000");
        assert_eq!(i.end, "9223372036854775807");
        assert_eq!(i.duration_s, 54);
        assert_eq!(i.requests, 1);
    }

    #[test]
    fn a_period_spanning_all_of_time_sums_its_buckets_without_walking_every_index() {
        let cfg = DetectConfig {
            min_errors: 1,
            min_duration_us: 1,
            max_gap: u64::MAX,
            ..DetectConfig::default()
        };
        let mut agg = Aggregate::new(AggConfig {
            bucket_us: cfg.bucket_us,
            since: None,
            until: None,
            max_keys: crate::aggregate::DEFAULT_MAX_KEYS,
        });
        agg.observe(&Event::new(i64::MIN, 500), 0, 1);
        agg.observe(&Event::new(0, 200), 0, 2);
        agg.observe(&Event::new(i64::MAX, 503), 0, 3);
        let r = build(&agg, &[], &cfg);
        assert_eq!(r.incidents.len(), 1);
        let i = &r.incidents[0];
        assert_eq!(i.start, "-9223372036854775808");
        assert_eq!(i.end, "9223372036854775807");
        assert_eq!(i.duration_s, 9_223_372_036_854);
        assert_eq!((i.bad_buckets, i.requests, i.errors_5xx), (2, 3, 2));
    }

    #[test]
    fn out_of_order_events_give_the_same_periods() {
        let in_order = report_of(events());
        let mut shuffled = events();
        // A deterministic shuffle: reverse, then interleave halves.
        shuffled.reverse();
        let (a, b) = shuffled.split_at(shuffled.len() / 2);
        let interleaved: Vec<Event<'static>> = a
            .iter()
            .zip(b)
            .flat_map(|(x, y)| [y.clone(), x.clone()])
            .collect();
        let out_of_order = report_of(interleaved);
        // The examples are the earliest by time, then line: events at equal
        // times sit on other lines in the other order.
        let without_examples = |r: &Report| -> Vec<Incident> {
            let mut incidents = r.incidents.clone();
            for i in &mut incidents {
                i.examples.clear();
            }
            incidents
        };
        assert_eq!(without_examples(&in_order), without_examples(&out_of_order));
        let times = |r: &Report| -> Vec<String> {
            r.incidents[0]
                .examples
                .iter()
                .map(|e| e.ts.clone())
                .collect()
        };
        assert_eq!(times(&in_order), times(&out_of_order));
        assert_eq!(in_order.incidents.len(), 1);
        let i = &in_order.incidents[0];
        assert_eq!(
            (i.start.as_str(), i.end.as_str()),
            ("1970-01-01T00:02:00Z", "1970-01-01T00:09:00Z")
        );
        assert_eq!((i.requests, i.errors_5xx, i.bad_buckets), (140, 42, 7));
        // The latest event is in minute 9, one bucket after the last bad one.
        assert!(i.ongoing);
        assert_eq!(in_order.verdict.level, Level::Escalate);
        assert!(in_order.verdict.reason.starts_with(
            "Escalate: 5xx errors have persisted since 1970-01-01T00:02:00Z (7 min so far, still going): 42 of 140 requests failed with 5xx (30.0%), mostly 503 (42)"
        ), "{}", in_order.verdict.reason);
    }

    /// 10 minutes of 503s, 60 a minute on `/hot` (when `hot`) and one on
    /// each of 40 other routes: far more routes than a bucket keeps (16).
    fn spread_outage(hot: bool) -> Report {
        let mut events = Vec::new();
        for minute in 0..10i64 {
            let mut at = |path: String, i: i64| {
                let mut ev = Event::new((minute * 60 + i % 60) * 1_000_000, 503);
                ev.method = Some("GET".into());
                ev.path = Some(path.into());
                events.push(ev);
            };
            if hot {
                for i in 0..60 {
                    at("/hot".to_owned(), i);
                }
            }
            for r in 0..40 {
                at(format!("/r{r}"), r);
            }
        }
        report_of(events)
    }

    #[test]
    fn an_ok_verdict_of_one_request_reads_in_the_singular() {
        let one_5xx = report_of(vec![Event::new(0, 503)]);
        assert_eq!(
            one_5xx.verdict.reason,
            "OK: no persistent 5xx period in 1 request in 0 inputs from 1970-01-01T00:00:00Z \
             to 1970-01-01T00:00:00Z; 1 was 5xx (100.0%)."
        );
        let no_5xx = report_of(vec![Event::new(0, 200), Event::new(1_000_000, 200)]);
        assert_eq!(
            no_5xx.verdict.reason,
            "OK: no persistent 5xx period in 2 requests in 0 inputs from 1970-01-01T00:00:00Z \
             to 1970-01-01T00:00:01Z; 0 were 5xx (0.0%)."
        );
    }

    #[test]
    fn the_verdict_names_only_routes_counted_clearly() {
        let spread = spread_outage(false);
        let i = &spread.incidents[0];
        assert_eq!((i.errors_5xx, i.requests), (400, 400));
        assert!(!i.top_routes.is_empty());
        assert!(
            i.top_routes.iter().all(|r| !r.clearly_counted()),
            "{:?}",
            i.top_routes
        );
        assert!(
            spread.verdict.reason.contains(&format!(
                "(100.0%), mostly 503 (400); {ROUTES_SPREAD}. Judged"
            )),
            "{}",
            spread.verdict.reason
        );
        assert!(!spread.verdict.reason.contains("worst routes"));

        let hot = spread_outage(true);
        let i = &hot.incidents[0];
        let first = &i.top_routes[0];
        assert_eq!(first.route.as_deref(), Some("/hot"));
        assert_eq!((first.errors_5xx, first.count_error), (600, 0));
        assert!(i.top_routes[1..].iter().all(|r| !r.clearly_counted()));
        assert!(
            hot.verdict
                .reason
                .contains("; worst routes: GET /hot (600)"),
            "{}",
            hot.verdict.reason
        );
        assert!(!hot.verdict.reason.contains(ROUTES_SPREAD));
    }

    #[test]
    fn the_verdict_names_the_top_error_only_when_counted_clearly() {
        let mut i = Incident {
            start: "2026-11-25T10:00:00Z".into(),
            end: "2026-11-25T10:06:00Z".into(),
            duration_s: 360,
            ongoing: true,
            bad_buckets: 6,
            requests: 100,
            errors_5xx: 100,
            error_ratio: 1.0,
            by_status: [("503".to_owned(), 100)].into_iter().collect(),
            top_routes: Vec::new(),
            top_errors: vec![IncidentError {
                error_type: Some("api_error".into()),
                code: Some("upstream_unavailable".into()),
                param: None,
                count: 100,
                count_error: 10,
                example_message: Some("down".into()),
            }],
            examples: Vec::new(),
            changes: Vec::new(),
        };
        let with = |i: &Incident| describe(i);
        assert!(
            with(&i).ends_with("; top error: upstream_unavailable \"down\" (~100)"),
            "{}",
            with(&i)
        );
        i.top_errors[0].count_error = 11;
        assert!(
            with(&i).ends_with(&format!("(100.0%), mostly 503 (100); {ERRORS_SPREAD}")),
            "{}",
            with(&i)
        );
        i.top_errors[0].count_error = 0;
        assert!(
            with(&i).ends_with("; top error: upstream_unavailable \"down\" (100)"),
            "{}",
            with(&i)
        );
    }

    #[test]
    fn human_durations() {
        assert_eq!(human_duration(45), "45 s");
        assert_eq!(human_duration(300), "5 min");
        assert_eq!(human_duration(7200), "2 h");
        assert_eq!(human_duration(7500), "2 h 5 min");
    }
}
