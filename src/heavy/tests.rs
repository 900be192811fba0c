use super::*;
use proptest::prelude::*;
use std::collections::BTreeMap;

/// Counts each key of `stream` into a table of `cap` keys.
fn fill(cap: usize, stream: &[u32]) -> Table<u32, u64> {
    let mut t = Table::with_distinct(cap);
    for k in stream {
        t.update(k, |n| *n += 1);
    }
    t
}

fn truth(stream: &[u32]) -> BTreeMap<u32, u64> {
    let mut m = BTreeMap::new();
    for k in stream {
        *m.entry(*k).or_default() += 1;
    }
    m
}

/// The Space-Saving guarantees, checked against the exact counts.
fn assert_bounds(t: &Table<u32, u64>, stream: &[u32]) {
    let exact = truth(stream);
    let total = stream.len() as u64;
    let held: BTreeMap<u32, (u64, u64)> = t
        .rows()
        .map(|r| (*r.key, (*r.value + r.error, r.error)))
        .collect();
    for (k, (count, error)) in &held {
        let truth = exact.get(k).copied().unwrap_or(0);
        assert!(
            count - error <= truth && truth <= *count,
            "key {k}: count {count}, error {error}, truth {truth}"
        );
    }
    for (k, n) in &exact {
        if *n * t.cap() as u64 > total {
            assert!(held.contains_key(k), "heavy key {k} ({n} of {total}) lost");
        }
    }
    assert!(t.len() <= t.cap());
    if !t.capped() {
        assert_eq!(held.len(), exact.len());
        assert!(held.values().all(|&(_, e)| e == 0));
        assert_eq!(t.distinct(), exact.len() as u64);
    }
}

/// Streams with a few heavy keys among many light ones.
fn stream() -> impl Strategy<Value = Vec<u32>> {
    prop::collection::vec(
        prop_oneof![3 => 0u32..4, 2 => 0u32..40, 1 => 0u32..5000],
        0..1500,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn every_row_is_bounded_and_every_heavy_key_kept(s in stream(), cap in 1usize..64) {
        assert_bounds(&fill(cap, &s), &s);
    }

    /// Random splits (threads, files), counted apart and merged in any order.
    #[test]
    fn merges_of_random_splits_keep_the_guarantees(
        s in stream(),
        cap in 1usize..64,
        cuts in prop::collection::vec(0usize..1500, 0..6),
        order_seed in any::<u64>(),
    ) {
        let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(s.len())).collect();
        cuts.push(0);
        cuts.push(s.len());
        cuts.sort_unstable();
        let mut parts: Vec<Table<u32, u64>> =
            cuts.windows(2).map(|w| fill(cap, &s[w[0]..w[1]])).collect();
        fastrand::Rng::with_seed(order_seed).shuffle(&mut parts);
        let mut merged = parts.remove(0);
        for p in parts {
            merged.merge(p);
        }
        assert_bounds(&merged, &s);
    }

    /// A small table (no index, the lightest found by a scan) keeps the
    /// same keys, counts and errors as the indexed form with its bucket
    /// queue, through evictions and a merge: which key is evicted among
    /// equally light ones decides what a report shows.
    #[test]
    fn small_tables_evict_as_indexed_ones_do(
        s in stream(),
        cap in 1usize..=16,
        cut in 0usize..1500,
    ) {
        let cut = cut.min(s.len());
        let count = |mut t: Table<u32, u64>, part: &[u32]| {
            for k in part {
                t.update(k, |n| *n += 1);
            }
            t
        };
        let mut small = count(Table::new(cap), &s[..cut]);
        let mut indexed = count(Table::indexed(cap), &s[..cut]);
        prop_assert!(small.small() && !indexed.small());
        prop_assert!(small == indexed);
        small.merge(count(Table::new(cap), &s[cut..]));
        indexed.merge(count(Table::indexed(cap), &s[cut..]));
        prop_assert!(small == indexed);
        // And on after the merge, which rebuilds the queue.
        let small = count(small, &s[..cut]);
        let indexed = count(indexed, &s[..cut]);
        prop_assert!(small == indexed);
    }

    #[test]
    fn saved_tables_load_equal(s in stream(), cap in 1usize..64) {
        let t = fill(cap, &s);
        let json = serde_json::to_string(&t).unwrap();
        let back: Table<u32, u64> = serde_json::from_str(&json).unwrap();
        assert!(back == t);
        assert_eq!(back.distinct(), t.distinct());
        assert_bounds(&back, &s);
    }
}

#[test]
fn below_the_cap_the_table_is_an_exact_map() {
    let t = fill(3, &[7, 7, 9, 7, 8]);
    let mut rows: Vec<(u32, u64, u64)> = t.rows().map(|r| (*r.key, *r.value, r.error)).collect();
    rows.sort_unstable();
    assert_eq!(rows, [(7, 3, 0), (8, 1, 0), (9, 1, 0)]);
    assert!(!t.capped());
    assert_eq!(t.distinct(), 3);
}

#[test]
fn a_newcomer_inherits_the_lightest_weight_as_its_error() {
    // 1 and 2 fill the table; 3 evicts 2 (the lightest, weight 1).
    let t = fill(2, &[1, 1, 2, 3]);
    let mut rows: Vec<(u32, u64, u64)> = t.rows().map(|r| (*r.key, *r.value, r.error)).collect();
    rows.sort_unstable();
    assert_eq!(rows, [(1, 2, 0), (3, 1, 1)]);
    assert!(t.capped());
}

#[test]
fn the_distinct_estimate_is_close_once_capped() {
    let s: Vec<u32> = (0..50_000).collect();
    let t = fill(100, &s);
    let d = t.distinct() as f64;
    assert!((d - 50_000.0).abs() / 50_000.0 < 0.05, "estimate {d}");
}

#[test]
fn forged_tables_are_refused() {
    for forged in [
        r#"{"cap":0,"capped":false,"rows":[]}"#,
        r#"{"cap":1,"capped":false,"rows":[[1,1,0],[2,1,0]]}"#,
        r#"{"cap":2,"capped":false,"rows":[[1,1,5]]}"#,
        r#"{"cap":3,"capped":true,"rows":[[1,1,0],[1,2,0]]}"#,
        r#"{"cap":3,"capped":true,"counts_distinct":true,"rows":[],"distinct":[1,2,3]}"#,
        r#"{"cap":3,"capped":false,"counts_distinct":true,"rows":[],"distinct":[]}"#,
    ] {
        assert!(
            serde_json::from_str::<Table<u32, u64>>(forged).is_err(),
            "accepted {forged}"
        );
    }
}
