//! What changed during an incident (SPEC §11): for the route, status, error
//! code, client and user agent, the values whose share of the incident's 5xx
//! most exceeds their share in the baseline — the same length of time right
//! before the incident. The baseline's share is of its 5xx, or, when it had
//! none, of its requests. A baseline without any request claims nothing.
//!
//! A baseline's request shares come from a deterministic sample of one
//! line in eight (the same whatever the threads), so they are estimates;
//! its 5xx shares are counted in full.
//!
//! Shares come from each bucket's bounded tables (at most 16 keys a bucket),
//! so on buckets with more distinct values the rarest are not counted; the
//! values that matter here are the frequent ones, which are kept.

use crate::aggregate::{split_route_key, Aggregate, BucketStats, ABSENT, SAMPLE_ONE_IN};
use crate::heavy::Table;
use serde::Serialize;
use std::collections::HashMap;

/// A value is claimed only when its share of the incident's 5xx exceeds its
/// baseline share by at least this much (fifteen percentage points) ...
const MIN_LIFT: f64 = 0.15;
/// ... and it holds at least this share of the incident's 5xx: twenty
/// clients that each send 5 % of the traffic and get 10 % of a small
/// incident's 5xx are noise, not a cause. An incident that fails like before
/// claims nothing.
const MIN_SHARE: f64 = 0.30;
/// A baseline of requests sampled fewer times than this is too thin for
/// route, client and user-agent shares (its statuses and error codes, with no
/// 5xx, still compare exactly).
const MIN_SAMPLED: u64 = 32;
/// At most this many values per dimension.
const PER_DIMENSION: usize = 3;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct Change {
    /// `route`, `status`, `error_code`, `client` or `user_agent`.
    pub(crate) dimension: &'static str,
    pub(crate) value: String,
    /// The incident's 5xx with this value, and their share of its 5xx.
    pub(crate) incident_count: u64,
    pub(crate) incident_share: f64,
    /// The baseline's count and share of the same value (of requests: an
    /// estimate from a sample of one line in eight).
    pub(crate) baseline_count: u64,
    pub(crate) baseline_share: f64,
    /// What the baseline share is of: `5xx`, or `requests` when the
    /// baseline had no 5xx.
    pub(crate) baseline_of: &'static str,
}

/// Counts per value of each dimension over some buckets.
#[derive(Default)]
struct Counts {
    total: u64,
    by: [HashMap<String, u64>; 5],
}

const DIMENSIONS: [&str; 5] = ["route", "status", "error_code", "client", "user_agent"];

fn add_table(
    into: &mut HashMap<String, u64>,
    t: &Table<String, u64>,
    name: impl Fn(&str) -> String,
) {
    for r in t.rows() {
        let n = into.entry(name(r.key)).or_default();
        *n = n.saturating_add(*r.value);
    }
}

fn route_name(key: &str) -> String {
    let (method, route) = split_route_key(key);
    format!("{} {}", method.unwrap_or(ABSENT), route.unwrap_or(ABSENT))
}

/// The 5xx of `buckets` by each dimension.
fn of_5xx<'a>(buckets: impl Iterator<Item = &'a BucketStats>) -> Counts {
    let mut c = Counts::default();
    for b in buckets {
        c.total = c.total.saturating_add(b.errors_5xx);
        let t = b.breakdowns.tables();
        add_table(&mut c.by[0], &t.routes_5xx, route_name);
        for (s, n) in &b.statuses_5xx {
            let m = c.by[1].entry(s.to_string()).or_default();
            *m = m.saturating_add(*n);
        }
        for r in t.errors_5xx_by_key.rows() {
            let k = r.key;
            let name = k
                .code
                .as_deref()
                .or(k.error_type.as_deref())
                .unwrap_or(ABSENT);
            let m = c.by[2].entry(name.to_owned()).or_default();
            *m = m.saturating_add(*r.value);
        }
        add_table(&mut c.by[3], &t.clients_5xx, str::to_owned);
        add_table(&mut c.by[4], &t.agents_5xx, str::to_owned);
    }
    c
}

/// The sampled requests of `buckets` by route, client and user agent
/// (statuses and error codes of a baseline without 5xx have no 5xx share to
/// compare). Counts are the sample's, scaled by [`SAMPLE_ONE_IN`] when shown.
fn of_requests<'a>(buckets: impl Iterator<Item = &'a BucketStats>) -> Counts {
    let mut c = Counts::default();
    for b in buckets {
        c.total = c.total.saturating_add(b.sampled);
        let t = b.breakdowns.tables();
        add_table(&mut c.by[0], &t.routes_all, route_name);
        add_table(&mut c.by[3], &t.clients_all, str::to_owned);
        add_table(&mut c.by[4], &t.agents_all, str::to_owned);
    }
    c
}

/// The buckets with an index in `lo..=hi`, walked the cheaper way.
fn buckets_in(agg: &Aggregate, lo: i64, hi: i64) -> Vec<&BucketStats> {
    if hi < lo {
        return Vec::new();
    }
    let span = hi.saturating_sub(lo);
    if usize::try_from(span).is_ok_and(|s| s < agg.buckets.len()) {
        (lo..=hi).filter_map(|i| agg.buckets.get(&i)).collect()
    } else {
        agg.buckets
            .iter()
            .filter(|(i, _)| (lo..=hi).contains(*i))
            .map(|(_, b)| b)
            .collect()
    }
}

/// What changed in the period of buckets `first..=last` against the same
/// number of buckets before it.
pub(crate) fn changes(agg: &Aggregate, first: i64, last: i64) -> Vec<Change> {
    let incident = of_5xx(buckets_in(agg, first, last).into_iter());
    if incident.total == 0 {
        return Vec::new();
    }
    let len = last.saturating_sub(first).saturating_add(1);
    let before = buckets_in(agg, first.saturating_sub(len), first.saturating_sub(1));
    // Without traffic before, nothing can be said to have changed.
    if before.iter().all(|b| b.requests == 0) {
        return Vec::new();
    }
    let mut baseline = of_5xx(before.iter().copied());
    let mut baseline_of = "5xx";
    if baseline.total == 0 {
        baseline = of_requests(before.iter().copied());
        baseline_of = "requests";
    }
    let mut out = Vec::new();
    let thin = baseline_of == "requests" && baseline.total < MIN_SAMPLED;
    for (d, dimension) in DIMENSIONS.iter().enumerate() {
        if thin && matches!(*dimension, "route" | "client" | "user_agent") {
            continue;
        }
        let mut found: Vec<Change> = incident.by[d]
            .iter()
            .map(|(value, &n)| {
                let base = baseline.by[d].get(value).copied().unwrap_or(0);
                Change {
                    dimension,
                    value: value.clone(),
                    incident_count: n,
                    incident_share: n as f64 / incident.total as f64,
                    baseline_count: if baseline_of == "requests" {
                        base.saturating_mul(SAMPLE_ONE_IN)
                    } else {
                        base
                    },
                    baseline_share: if baseline.total == 0 {
                        0.0
                    } else {
                        base as f64 / baseline.total as f64
                    },
                    baseline_of,
                }
            })
            .filter(|c| c.incident_share >= MIN_SHARE && lift(c) >= MIN_LIFT)
            .collect();
        found.sort_by(|a, b| {
            lift(b)
                .total_cmp(&lift(a))
                .then_with(|| a.value.cmp(&b.value))
        });
        found.truncate(PER_DIMENSION);
        out.extend(found);
    }
    out.sort_by(|a, b| lift(b).total_cmp(&lift(a)));
    out
}

fn lift(c: &Change) -> f64 {
    c.incident_share - c.baseline_share
}

#[cfg(test)]
mod tests;
