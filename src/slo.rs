//! SLO burn-rate alerts (SPEC §10): the multiwindow, multi-burn-rate alerts
//! of the Google SRE workbook, computed from the logs themselves.
//!
//! [`ALERTS`] is the one table of the four alerts (severity, long window,
//! short window, factor). `faultline rules` writes its PromQL from it and the
//! replay here evaluates it, so the two cannot drift.
//!
//! The SLI is requests that were not 5xx over all requests: an "error" is a
//! 5xx response (a 4xx is the client's fault and spends no budget). An alert
//! fires at a bucket boundary when the 5xx ratio over its long window is
//! above `factor × (1 − objective)` and so is the ratio over its short window,
//! and the long window holds at least [`MIN_REQUESTS`] requests. Windows are
//! whole buckets ending at the boundary, so the bucket width is the
//! resolution of every start and end.
//!
//! [`Burn`] walks the timeline one bucket at a time with running sums (one
//! add and one subtract per window and bucket), keeping only the counts of
//! the longest window's buckets: 3 days are 4,320 one-minute buckets, 16
//! bytes each. `analyze` replays a whole aggregate through it; `tail` pushes
//! each bucket once it is final and keeps the evaluator in its checkpoint.

use crate::event::{format_ts, Micros};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// No alert fires while its long window holds fewer requests than this.
/// Below 100 requests one failed request is at least 1 % of the window, ten
/// times a 99.9 % budget: a single 5xx on a quiet night would decide a page.
/// From 100 requests on, the fastest alert at 99.9 % (14.4 × 0.1 % = 1.44 %)
/// needs at least two failures, and each added request moves the ratio less.
/// The same floor is in the rules `faultline rules` writes.
pub(crate) const MIN_REQUESTS: u64 = 100;

/// How urgent an alert is: a page wakes someone, a ticket waits for the day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Severity {
    Page,
    Ticket,
}

impl Severity {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Severity::Page => "page",
            Severity::Ticket => "ticket",
        }
    }
}

/// A window of time as PromQL writes it (`5m`, `1d`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Window {
    pub(crate) name: &'static str,
    pub(crate) secs: i64,
}

const fn window(name: &'static str, secs: i64) -> Window {
    Window { name, secs }
}

/// One multiwindow burn-rate alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BurnAlert {
    pub(crate) severity: Severity,
    pub(crate) long: Window,
    pub(crate) short: Window,
    /// The burn rate, in tenths (14.4× is 144), so comparisons stay in integers.
    pub(crate) factor_tenths: u64,
}

impl BurnAlert {
    /// The factor as people write it: `14.4`, `6`.
    pub(crate) fn factor(&self) -> f64 {
        self.factor_tenths as f64 / 10.0
    }

    /// The factor as PromQL literal text (`14.4`, `6`), exact.
    pub(crate) fn factor_text(&self) -> String {
        let (whole, tenths) = (self.factor_tenths / 10, self.factor_tenths % 10);
        if tenths == 0 {
            whole.to_string()
        } else {
            format!("{whole}.{tenths}")
        }
    }
}

/// The SRE workbook's table (chapter 5, "Alerting on SLOs", for a 30-day
/// budget): 2 % of the budget spent in an hour or 5 % in six hours pages;
/// 10 % in a day or in three days makes a ticket.
pub(crate) const ALERTS: [BurnAlert; 4] = [
    BurnAlert {
        severity: Severity::Page,
        long: window("1h", 3_600),
        short: window("5m", 300),
        factor_tenths: 144,
    },
    BurnAlert {
        severity: Severity::Page,
        long: window("6h", 21_600),
        short: window("30m", 1_800),
        factor_tenths: 60,
    },
    BurnAlert {
        severity: Severity::Ticket,
        long: window("1d", 86_400),
        short: window("2h", 7_200),
        factor_tenths: 30,
    },
    BurnAlert {
        severity: Severity::Ticket,
        long: window("3d", 259_200),
        short: window("6h", 21_600),
        factor_tenths: 10,
    },
];

/// Every window the alerts read, shortest first, each once.
pub(crate) fn windows() -> Vec<Window> {
    let mut w: Vec<Window> = ALERTS.iter().flat_map(|a| [a.short, a.long]).collect();
    w.sort_by_key(|w| w.secs);
    w.dedup();
    w
}

/// Parts per billion: an objective of 99.9 % is 999,000,000.
const BILLION: u64 = 1_000_000_000;

/// An SLO objective, kept in parts per billion so the alert conditions are
/// exact integer comparisons (as `--min-ratio` is).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Objective {
    ppb: u64,
}

impl Objective {
    /// The objective as a ratio (0.999).
    pub(crate) fn ratio(self) -> f64 {
        self.ppb as f64 / BILLION as f64
    }

    /// The error budget, `1 − objective`, in parts per billion.
    pub(crate) fn budget_ppb(self) -> u64 {
        BILLION - self.ppb
    }

    /// The error budget as exact decimal text (`0.001`), for PromQL.
    pub(crate) fn budget_text(self) -> String {
        decimal(self.budget_ppb(), 9)
    }

    /// The objective as a percentage people read (`99.9%`).
    pub(crate) fn percent_text(self) -> String {
        format!("{}%", decimal(self.ppb, 7))
    }

    /// `factor × budget` of an alert as a percentage (`1.44%`), exact.
    pub(crate) fn threshold_percent(self, alert: &BurnAlert) -> String {
        // Parts per 10^10 of the ratio, so parts per 10^8 of a percent.
        format!("{}%", decimal(alert.factor_tenths * self.budget_ppb(), 8))
    }

    /// Whether `errors` of `requests` is a ratio above `factor × budget`.
    fn burns(self, alert: &BurnAlert, c: Counts) -> bool {
        u128::from(c.errors) * u128::from(BILLION) * 10
            > u128::from(alert.factor_tenths)
                * u128::from(self.budget_ppb())
                * u128::from(c.requests)
    }
}

/// `n / 10^places` as the shortest exact decimal text.
fn decimal(n: u64, places: u32) -> String {
    let scale = 10u64.pow(places);
    let (whole, frac) = (n / scale, n % scale);
    if frac == 0 {
        return whole.to_string();
    }
    let digits = format!("{frac:0width$}", width = places as usize);
    format!("{whole}.{}", digits.trim_end_matches('0'))
}

/// Parses `--slo`: a percentage (`99.9%`) or a ratio (`0.999`), strictly
/// between 0 and 1, with at most nine decimals of the ratio.
pub(crate) fn parse_objective(s: &str) -> Result<Objective, String> {
    let t = s.trim();
    let (num, percent) = match t.strip_suffix('%') {
        Some(p) => (p.trim(), true),
        None => (t, false),
    };
    // Digits of the ratio after the point: a percentage has two more.
    let places: u32 = if percent { 7 } else { 9 };
    let ppb = crate::units::parse_fixed(num, places).map_err(|too_many_decimals| {
        if too_many_decimals {
            format!("--slo {s:?}: too many decimals (an objective is kept to a billionth)")
        } else {
            format!("--slo {s:?}: not an objective (like 99.9% or 0.999)")
        }
    })?;
    if !percent && ppb > BILLION {
        return Err(format!(
            "--slo {s:?}: a ratio is below 1; for a percentage write {num}%"
        ));
    }
    if ppb == 0 {
        return Err(format!(
            "--slo {s:?}: an objective of 0 allows every request to fail"
        ));
    }
    if ppb >= BILLION {
        return Err(format!(
            "--slo {s:?}: the objective must be below 100% (at 100% there is no error budget to burn)"
        ));
    }
    let o = Objective { ppb };
    // The fastest alert compares against 14.4 × the budget; at or above 100 %
    // it could never fire, and a page that cannot fire is a silent hole.
    let fastest = ALERTS.iter().map(|a| a.factor_tenths).max().unwrap_or(10);
    if u128::from(fastest) * u128::from(o.budget_ppb()) >= u128::from(BILLION) * 10 {
        return Err(format!(
            "--slo {s:?}: too low for burn-rate alerts: the 14.4× page alert would need more \
             than 100% of requests to fail; use an objective above 93.06% (e.g. 99% or 99.9%)"
        ));
    }
    Ok(o)
}

/// Requests and 5xx of a bucket or a window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Counts {
    pub(crate) requests: u64,
    pub(crate) errors: u64,
}

impl Counts {
    fn add(&mut self, c: Counts) {
        self.requests = self.requests.saturating_add(c.requests);
        self.errors = self.errors.saturating_add(c.errors);
    }

    fn sub(&mut self, c: Counts) {
        self.requests = self.requests.saturating_sub(c.requests);
        self.errors = self.errors.saturating_sub(c.errors);
    }

    /// The 5xx ratio; 0 without requests.
    pub(crate) fn ratio(self) -> f64 {
        if self.requests == 0 {
            0.0
        } else {
            self.errors as f64 / self.requests as f64
        }
    }
}

/// An alert opening or closing at a bucket boundary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Transition {
    /// Index into [`ALERTS`].
    pub(crate) alert: usize,
    /// The boundary it opened at, as a bucket index (the boundary is where
    /// that bucket starts).
    pub(crate) start: i64,
    /// The boundary it closed at; None when it opened.
    pub(crate) end: Option<i64>,
    /// The long and short windows at that boundary.
    pub(crate) long: Counts,
    pub(crate) short: Counts,
}

/// What a checkpoint keeps of a [`Burn`]: the running sums are rebuilt
/// from `recent` on load, so there is nothing to disagree.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct BurnState {
    /// The next bucket to push; None before the first.
    pub(crate) next: Option<i64>,
    /// The counts of the latest buckets, oldest first, as `[requests, 5xx]`:
    /// at most the longest window's buckets.
    pub(crate) recent: Vec<[u64; 2]>,
    /// Per alert of [`ALERTS`], the boundary it opened at while open.
    pub(crate) open: Vec<Option<i64>>,
}

impl BurnState {
    /// Every field consistent with buckets of `bucket_us` (a checkpoint that
    /// fails this is corrupt).
    pub(crate) fn check(&self, bucket_us: Micros) -> Result<(), String> {
        // The objective does not bound anything here; any valid one will do.
        let longest = Burn::new(Objective { ppb: 999_000_000 }, bucket_us).longest;
        if self.recent.len() > longest {
            return Err("the SLO windows hold more buckets than the longest window".into());
        }
        if self.open.len() > ALERTS.len() {
            return Err("more open SLO alerts than alerts".into());
        }
        if self
            .recent
            .iter()
            .any(|[requests, errors]| errors > requests)
        {
            return Err("an SLO window bucket has more 5xx than requests".into());
        }
        if self
            .open
            .iter()
            .flatten()
            .any(|start| self.next.is_none_or(|n| *start > n))
        {
            return Err("an SLO alert opened after the last bucket evaluated".into());
        }
        Ok(())
    }
}

/// The evaluator: buckets go in in order, transitions come out.
#[derive(Debug, Clone)]
pub(crate) struct Burn {
    objective: Objective,
    /// Per alert, its (long, short) windows in buckets.
    lengths: [(usize, usize); 4],
    longest: usize,
    recent: VecDeque<Counts>,
    /// Per alert, the (long, short) window sums.
    sums: [(Counts, Counts); 4],
    /// The requests of all of `recent`: 0 means every window is empty.
    held: u64,
    next: Option<i64>,
    open: [Option<i64>; 4],
}

/// A window in buckets: rounded up to whole buckets, at least one. With the
/// default 60 s bucket every window of the table is exact.
fn buckets_in(secs: i64, bucket_us: Micros) -> usize {
    let us = secs.saturating_mul(1_000_000);
    let b = bucket_us.max(1);
    usize::try_from(us.div_euclid(b) + i64::from(us.rem_euclid(b) != 0))
        .unwrap_or(usize::MAX)
        .max(1)
}

impl Burn {
    pub(crate) fn new(objective: Objective, bucket_us: Micros) -> Self {
        let lengths = ALERTS.map(|a| {
            (
                buckets_in(a.long.secs, bucket_us),
                buckets_in(a.short.secs, bucket_us),
            )
        });
        let longest = lengths.iter().map(|(l, s)| *l.max(s)).max().unwrap_or(1);
        Burn {
            objective,
            lengths,
            longest,
            recent: VecDeque::new(),
            sums: Default::default(),
            held: 0,
            next: None,
            open: [None; 4],
        }
    }

    /// Resumes from a checkpoint's state; an error names what is inconsistent.
    pub(crate) fn resume(
        objective: Objective,
        bucket_us: Micros,
        state: &BurnState,
    ) -> Result<Self, String> {
        state.check(bucket_us)?;
        let mut b = Burn::new(objective, bucket_us);
        for (i, o) in state.open.iter().enumerate() {
            b.open[i] = *o;
        }
        for [requests, errors] in &state.recent {
            b.append(Counts {
                requests: *requests,
                errors: *errors,
            });
        }
        b.next = state.next;
        Ok(b)
    }

    pub(crate) fn state(&self) -> BurnState {
        BurnState {
            next: self.next,
            recent: self.recent.iter().map(|c| [c.requests, c.errors]).collect(),
            open: self.open.to_vec(),
        }
    }

    /// The next bucket it expects.
    pub(crate) fn next(&self) -> Option<i64> {
        self.next
    }

    /// The alerts open now: (index into [`ALERTS`], the boundary it opened at).
    pub(crate) fn open(&self) -> impl Iterator<Item = (usize, i64)> + '_ {
        self.open
            .iter()
            .enumerate()
            .filter_map(|(i, o)| o.map(|s| (i, s)))
    }

    /// Pushes bucket `index` (buckets before it that were not pushed had no
    /// traffic) and evaluates the boundary at its end. A bucket before
    /// [`Burn::next`] was already judged and is ignored.
    pub(crate) fn push(&mut self, index: i64, c: Counts, out: &mut Vec<Transition>) {
        if self.next.is_some_and(|n| index < n) {
            return;
        }
        self.advance(index, out);
        self.step(index, c, out);
    }

    /// Evaluates every boundary up to the start of bucket `until`, the
    /// buckets not pushed before it having had no traffic.
    pub(crate) fn advance(&mut self, until: i64, out: &mut Vec<Transition>) {
        let Some(mut next) = self.next else {
            return;
        };
        while next < until {
            if self.held == 0 {
                // Every window is empty and every alert closed: nothing
                // changes until traffic comes back, however long the gap.
                self.recent.clear();
                next = until;
                break;
            }
            self.step(next, Counts::default(), out);
            next += 1;
        }
        self.next = Some(next.max(until));
    }

    /// Adds a bucket to the windows without judging (the windows slide).
    fn append(&mut self, c: Counts) {
        self.recent.push_back(c);
        self.held = self.held.saturating_add(c.requests);
        let len = self.recent.len();
        for (i, (long, short)) in self.lengths.iter().enumerate() {
            let sums = &mut self.sums[i];
            sums.0.add(c);
            sums.1.add(c);
            if len > *long {
                sums.0.sub(self.recent[len - 1 - long]);
            }
            if len > *short {
                sums.1.sub(self.recent[len - 1 - short]);
            }
        }
        if len > self.longest {
            if let Some(old) = self.recent.pop_front() {
                self.held = self.held.saturating_sub(old.requests);
            }
        }
    }

    /// Adds bucket `index` and judges the boundary at its end.
    fn step(&mut self, index: i64, c: Counts, out: &mut Vec<Transition>) {
        self.append(c);
        let boundary = index.saturating_add(1);
        self.next = Some(boundary);
        for (i, alert) in ALERTS.iter().enumerate() {
            let (long, short) = self.sums[i];
            let firing = long.requests >= MIN_REQUESTS
                && self.objective.burns(alert, long)
                && self.objective.burns(alert, short);
            match (firing, self.open[i]) {
                (true, None) => {
                    self.open[i] = Some(boundary);
                    out.push(Transition {
                        alert: i,
                        start: boundary,
                        end: None,
                        long,
                        short,
                    });
                }
                (false, Some(start)) => {
                    self.open[i] = None;
                    out.push(Transition {
                        alert: i,
                        start,
                        end: Some(boundary),
                        long,
                        short,
                    });
                }
                _ => {}
            }
        }
    }
}

/// The report's `slo` section (SPEC §10).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct SloReport {
    pub(crate) objective: f64,
    /// The objective as people write it (`99.9%`), for the views.
    #[serde(skip)]
    pub(crate) label: String,
    /// The fewest requests a long window needs before its alert may fire.
    pub(crate) min_requests: u64,
    /// Every time an alert would have fired, by start.
    pub(crate) alerts: Vec<SloAlert>,
}

impl SloReport {
    /// One line for the views: the objective and what the alerts are.
    pub(crate) fn title(&self) -> String {
        format!(
            "SLO {}: burn-rate alerts (an error is a 5xx; an alert needs at least {} requests in its long window)",
            self.label, self.min_requests
        )
    }
}

/// One firing of one alert.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct SloAlert {
    pub(crate) severity: Severity,
    pub(crate) long_window: &'static str,
    pub(crate) short_window: &'static str,
    pub(crate) factor: f64,
    pub(crate) start: String,
    /// When it cleared; null when it was still firing at the end of the input.
    pub(crate) end: Option<String>,
}

impl SloAlert {
    pub(crate) fn of(t: &Transition, bucket_us: Micros) -> Self {
        let a = &ALERTS[t.alert];
        let at = |i: i64| format_ts(i.saturating_mul(bucket_us));
        SloAlert {
            severity: a.severity,
            long_window: a.long.name,
            short_window: a.short.name,
            factor: a.factor(),
            start: at(t.start),
            end: t.end.map(at),
        }
    }
}

/// Replays the alerts over a timeline: `buckets` are (index, counts) of the
/// buckets with traffic, in any order. Each boundary from the end of the
/// first bucket to the end of the last is judged; an alert still firing at
/// the end has no `end`.
pub(crate) fn replay(
    objective: Objective,
    bucket_us: Micros,
    mut buckets: Vec<(i64, Counts)>,
) -> SloReport {
    buckets.sort_unstable_by_key(|(i, _)| *i);
    let mut burn = Burn::new(objective, bucket_us);
    let mut seen = Vec::new();
    for (i, c) in buckets {
        burn.push(i, c, &mut seen);
    }
    // Opened and closed pair up per alert; one still open has no close.
    let mut alerts: Vec<(i64, usize, Option<i64>)> = Vec::new();
    for t in &seen {
        match t.end {
            None => alerts.push((t.start, t.alert, None)),
            Some(end) => {
                if let Some(a) = alerts
                    .iter_mut()
                    .rev()
                    .find(|(s, i, e)| *s == t.start && *i == t.alert && e.is_none())
                {
                    a.2 = Some(end);
                }
            }
        }
    }
    alerts.sort_by_key(|(s, i, _)| (*s, *i));
    SloReport {
        objective: objective.ratio(),
        label: objective.percent_text(),
        min_requests: MIN_REQUESTS,
        alerts: alerts
            .into_iter()
            .map(|(start, alert, end)| {
                SloAlert::of(
                    &Transition {
                        alert,
                        start,
                        end,
                        long: Counts::default(),
                        short: Counts::default(),
                    },
                    bucket_us,
                )
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests;
