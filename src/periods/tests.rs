//! The boundaries of the rule, each on both sides.

use super::*;

fn b(index: i64, requests: u64, errors_5xx: u64) -> BucketCount {
    BucketCount {
        index,
        requests,
        errors_5xx,
    }
}

/// `n` consecutive bad buckets (10 of 100 requests) from `start`.
fn bad_run(start: i64, n: i64) -> Vec<BucketCount> {
    (start..start + n).map(|i| b(i, 100, 10)).collect()
}

#[test]
fn bad_bucket_thresholds_are_inclusive() {
    let cfg = DetectConfig::default();
    assert!(cfg.is_bad(100, 5)); // exactly 5 errors at exactly 5 %
    assert!(!cfg.is_bad(101, 5)); // 4.95 %
    assert!(!cfg.is_bad(80, 4)); // 5 % but only 4 errors
    assert!(cfg.is_bad(5, 5));
    assert!(!cfg.is_bad(0, 0));
    let exact = DetectConfig {
        min_ratio_ppm: 333_334,
        min_errors: 1,
        ..cfg
    };
    assert!(!exact.is_bad(3, 1));
}

#[test]
fn a_run_of_exactly_for_is_a_period_and_one_bucket_less_is_not() {
    let cfg = DetectConfig::default();
    let five = find_periods(&cfg, &bad_run(10, 5), Some(100));
    assert_eq!(
        five,
        [Period {
            first_bucket: 10,
            last_bucket: 14,
            bad_buckets: 5,
            ongoing: false
        }]
    );
    assert!(find_periods(&cfg, &bad_run(10, 4), Some(100)).is_empty());
}

#[test]
fn gaps_of_max_gap_join_and_one_more_splits() {
    let cfg = DetectConfig::default();
    // Bad 10..=12, gap of 2 (13, 14 quiet), bad 15..=16: one run 10..=16.
    let mut joined = bad_run(10, 3);
    joined.extend(bad_run(15, 2));
    let p = find_periods(&cfg, &joined, Some(16));
    assert_eq!(p.len(), 1);
    assert_eq!(
        (p[0].first_bucket, p[0].last_bucket, p[0].bad_buckets),
        (10, 16, 5)
    );
    // Gap of 3: two runs of 3 and 2 buckets, neither long enough.
    let mut split = bad_run(10, 3);
    split.extend(bad_run(16, 2));
    assert!(find_periods(&cfg, &split, Some(17)).is_empty());
}

#[test]
fn non_bad_buckets_with_traffic_inside_a_run_count_as_gap() {
    let cfg = DetectConfig::default();
    let mut buckets = bad_run(0, 2);
    buckets.push(b(2, 1000, 10)); // 1 %: not bad
    buckets.push(b(3, 100, 4)); // 4 errors: not bad
    buckets.extend(bad_run(4, 1));
    let p = find_periods(&cfg, &buckets, Some(4));
    assert_eq!(p.len(), 1);
    assert_eq!(
        (p[0].first_bucket, p[0].last_bucket, p[0].bad_buckets),
        (0, 4, 3)
    );
}

#[test]
fn ongoing_by_exactly_max_gap() {
    let cfg = DetectConfig::default();
    let run = bad_run(0, 5);
    assert!(find_periods(&cfg, &run, Some(4))[0].ongoing);
    assert!(find_periods(&cfg, &run, Some(6))[0].ongoing);
    assert!(!find_periods(&cfg, &run, Some(7))[0].ongoing);
}

#[test]
fn bucket_order_does_not_matter() {
    let cfg = DetectConfig::default();
    let mut buckets = bad_run(0, 6);
    buckets.extend(bad_run(20, 5));
    let want = find_periods(&cfg, &buckets, Some(30));
    buckets.reverse();
    assert_eq!(find_periods(&cfg, &buckets, Some(30)), want);
    assert_eq!(want.len(), 2);
}

#[test]
fn other_bucket_widths() {
    let cfg = DetectConfig {
        bucket_us: 30_000_000,
        ..DetectConfig::default()
    };
    assert!(find_periods(&cfg, &bad_run(0, 9), Some(8)).is_empty());
    assert_eq!(find_periods(&cfg, &bad_run(0, 10), Some(9)).len(), 1);
}

#[test]
fn bucket_indexes_at_the_ends_of_i64_do_not_overflow() {
    let cfg = DetectConfig {
        min_errors: 1,
        min_duration_us: 1,
        ..DetectConfig::default()
    };
    let buckets = [b(i64::MIN, 1, 1), b(i64::MAX - 1, 1, 1), b(i64::MAX, 1, 1)];
    assert_eq!(
        find_periods(&cfg, &buckets, Some(i64::MAX)),
        [
            Period {
                first_bucket: i64::MIN,
                last_bucket: i64::MIN,
                bad_buckets: 1,
                ongoing: false,
            },
            Period {
                first_bucket: i64::MAX - 1,
                last_bucket: i64::MAX,
                bad_buckets: 2,
                ongoing: true,
            },
        ]
    );
    assert!(cfg.long_enough(i64::MIN, i64::MAX));
    assert!(!cfg.joins(i64::MIN, i64::MAX));
    assert!(cfg.joins(i64::MAX, i64::MIN));
}

#[test]
fn a_max_gap_beyond_i64_joins_every_bad_bucket() {
    // `u64::MAX as i64` is -1, which joined nothing.
    let cfg = DetectConfig {
        max_gap: u64::MAX,
        min_duration_us: 60_000_000,
        ..DetectConfig::default()
    };
    let buckets = [b(0, 100, 10), b(1_000, 100, 10)];
    assert_eq!(
        find_periods(&cfg, &buckets, Some(5_000)),
        [Period {
            first_bucket: 0,
            last_bucket: 1_000,
            bad_buckets: 2,
            ongoing: true,
        }]
    );
}

#[test]
fn the_sparse_rule_takes_a_bucket_half_5xx_however_few() {
    let cfg = DetectConfig::default();
    assert!(cfg.is_bad(1, 1)); // one request, failed
    assert!(cfg.is_bad(2, 1)); // exactly 50 %
    assert!(cfg.is_bad(100, 50));
    assert!(cfg.is_bad(100, 49)); // 49 %: not sparse, but bad by the main rule
    assert!(!cfg.is_bad(3, 1)); // 33 %, one error
    assert!(!cfg.is_bad(200, 4)); // neither rule
    let off = DetectConfig {
        sparse_ratio_ppm: None,
        ..cfg
    };
    assert!(!off.is_bad(1, 1));
    assert!(!off.is_bad(2, 1));
    assert!(off.is_bad(100, 5));
}

#[test]
fn a_quiet_service_that_is_down_is_a_period() {
    let cfg = DetectConfig::default();
    // Five minutes, 1 to 3 requests a minute, every one a 5xx: 10 in all.
    let down: Vec<BucketCount> = [3, 2, 1, 3, 1]
        .iter()
        .zip(0..)
        .map(|(n, i)| b(i, *n, *n))
        .collect();
    let p = find_periods(&cfg, &down, Some(4));
    assert_eq!(
        p,
        [Period {
            first_bucket: 0,
            last_bucket: 4,
            bad_buckets: 5,
            ongoing: true
        }]
    );
    // 4 % of 100: bad by neither rule.
    let almost: Vec<BucketCount> = (0..5).map(|i| b(i, 100, 4)).collect();
    assert!(find_periods(&cfg, &almost, Some(4)).is_empty());
    let off = DetectConfig {
        sparse_ratio_ppm: None,
        ..cfg
    };
    assert!(find_periods(&off, &down, Some(4)).is_empty());
}

#[test]
fn a_run_needs_min_errors_5xx_in_all() {
    let cfg = DetectConfig::default();
    // Five bad minutes of one failed request each, but only 4 of them: too
    // short; stretch over 5 minutes with a gap: 4 errors in all is not enough.
    let four = [b(0, 1, 1), b(1, 1, 1), b(3, 1, 1), b(4, 1, 1)];
    assert!(find_periods(&cfg, &four, Some(4)).is_empty());
    // A fifth error in the gap bucket (not bad: 1 of 3) makes 5 in all.
    let five = [b(0, 1, 1), b(1, 1, 1), b(2, 3, 1), b(3, 1, 1), b(4, 1, 1)];
    let p = find_periods(&cfg, &five, Some(4));
    assert_eq!(p.len(), 1);
    assert_eq!(
        (p[0].first_bucket, p[0].last_bucket, p[0].bad_buckets),
        (0, 4, 4)
    );
}

#[test]
fn forty_nine_percent_of_few_requests_is_not_sparse_bad() {
    let cfg = DetectConfig::default();
    // 49 of 100 under a main rule that needs 60 errors: only the sparse rule
    // could make it bad, and 49 % is under its 50 %.
    let strict = DetectConfig {
        min_errors: 60,
        ..cfg
    };
    assert!(!strict.is_bad(100, 49));
    assert!(strict.is_bad(100, 50));
}
