//! Persistent 5xx periods (SPEC §5): pure functions over per-bucket counts.
//!
//! 1. A bucket is bad when its 5xx count is at least `min_errors` and at
//!    least `min_ratio` of its requests, or (the sparse rule, so that a quiet
//!    service that is down is not missed) when at least `sparse_ratio` of its
//!    requests are 5xx however few; an empty bucket is never bad.
//! 2. Bad buckets with at most `max_gap` non-bad buckets between them form a run.
//! 3. A run is a period when first-bad-start to last-bad-end is at least
//!    `min_duration` and the run holds at least `min_errors` 5xx in all
//!    (every bucket in it counts, bad or not, as the period's figures do).
//! 4. A period is ongoing when the latest event's bucket is at most `max_gap`
//!    buckets after its last bad bucket.

use crate::event::Micros;

/// The thresholds of the rule; the defaults are the SPEC's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DetectConfig {
    pub(crate) bucket_us: Micros,
    pub(crate) min_errors: u64,
    /// The minimum 5xx share in parts per million (5 % = 50 000), kept as an
    /// integer so that "exactly 5 %" is exact.
    pub(crate) min_ratio_ppm: u64,
    /// The sparse rule's 5xx share in parts per million (50 % = 500 000);
    /// None when `--min-ratio-sparse off`.
    pub(crate) sparse_ratio_ppm: Option<u64>,
    pub(crate) max_gap: u64,
    pub(crate) min_duration_us: Micros,
}

impl Default for DetectConfig {
    fn default() -> Self {
        DetectConfig {
            bucket_us: 60_000_000,
            min_errors: 5,
            min_ratio_ppm: 50_000,
            sparse_ratio_ppm: Some(500_000),
            max_gap: 2,
            min_duration_us: 300_000_000,
        }
    }
}

impl DetectConfig {
    /// Rule 1: both thresholds, or the sparse one; all inclusive.
    pub(crate) fn is_bad(&self, requests: u64, errors_5xx: u64) -> bool {
        let share_at_least =
            |ppm: u64| u128::from(errors_5xx) * 1_000_000 >= u128::from(ppm) * u128::from(requests);
        requests > 0
            && errors_5xx > 0
            && ((errors_5xx >= self.min_errors && share_at_least(self.min_ratio_ppm))
                || self.sparse_ratio_ppm.is_some_and(share_at_least))
    }

    /// Rule 3 for a run from bucket `first` to bucket `last`, both bad.
    pub(crate) fn long_enough(&self, first: i64, last: i64) -> bool {
        buckets_between(first, last)
            .saturating_add(1)
            .saturating_mul(self.bucket_us)
            >= self.min_duration_us
    }

    /// Rule 2: can bad bucket `next` join a run whose last bad bucket is `last`?
    pub(crate) fn joins(&self, last: i64, next: i64) -> bool {
        buckets_between(last, next).saturating_sub(1) <= self.max_gap()
    }

    /// Rule 4: is a period whose last bad bucket is `last` ongoing at bucket `latest`?
    fn ongoing(&self, last: i64, latest: i64) -> bool {
        buckets_between(last, latest) <= self.max_gap()
    }

    /// `--max-gap` as an `i64`: a gap beyond `i64::MAX` buckets is unbounded
    /// (`as i64` would make `u64::MAX` into -1).
    fn max_gap(&self) -> i64 {
        i64::try_from(self.max_gap).unwrap_or(i64::MAX)
    }
}

/// `to - from`, saturated: bucket indexes of times far apart must not overflow.
fn buckets_between(from: i64, to: i64) -> i64 {
    to.saturating_sub(from)
}

/// The counts of one bucket that the rule reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BucketCount {
    pub(crate) index: i64,
    pub(crate) requests: u64,
    pub(crate) errors_5xx: u64,
}

/// A persistent 5xx period, in bucket indexes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Period {
    pub(crate) first_bucket: i64,
    pub(crate) last_bucket: i64,
    pub(crate) bad_buckets: u64,
    pub(crate) ongoing: bool,
}

/// Finds the persistent 5xx periods among `buckets` (any order; one entry
/// per index with traffic). `latest_bucket` is the bucket of the latest event.
pub(crate) fn find_periods(
    cfg: &DetectConfig,
    buckets: &[BucketCount],
    latest_bucket: Option<i64>,
) -> Vec<Period> {
    let mut bad: Vec<i64> = buckets
        .iter()
        .filter(|b| cfg.is_bad(b.requests, b.errors_5xx))
        .map(|b| b.index)
        .collect();
    bad.sort_unstable();
    bad.dedup();
    // Every bucket's 5xx by index, to total a run's.
    let mut errors: Vec<(i64, u64)> = buckets.iter().map(|b| (b.index, b.errors_5xx)).collect();
    errors.sort_unstable();
    let errors_between = |first: i64, last: i64| -> u64 {
        let from = errors.partition_point(|(i, _)| *i < first);
        let to = errors.partition_point(|(i, _)| *i <= last);
        errors[from..to].iter().map(|(_, n)| n).sum()
    };

    let mut periods = Vec::new();
    let mut run: Option<(i64, i64, u64)> = None;
    let mut close = |(first, last, count): (i64, i64, u64)| {
        if cfg.long_enough(first, last) && errors_between(first, last) >= cfg.min_errors {
            periods.push(Period {
                first_bucket: first,
                last_bucket: last,
                bad_buckets: count,
                ongoing: latest_bucket.is_some_and(|l| cfg.ongoing(last, l)),
            });
        }
    };
    for index in bad {
        run = match run {
            Some((first, last, count)) if cfg.joins(last, index) => Some((first, index, count + 1)),
            Some(done) => {
                close(done);
                Some((index, index, 1))
            }
            None => Some((index, index, 1)),
        };
    }
    if let Some(done) = run {
        close(done);
    }
    periods
}

#[cfg(test)]
mod tests;
