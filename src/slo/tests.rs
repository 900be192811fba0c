use super::*;
use proptest::prelude::*;

const MINUTE: Micros = 60_000_000;

fn ppb(s: &str) -> u64 {
    parse_objective(s)
        .unwrap_or_else(|e| panic!("{s}: {e}"))
        .ppb
}

#[test]
fn objectives_as_percentages_or_ratios() {
    assert_eq!(ppb("99.9%"), 999_000_000);
    assert_eq!(ppb("0.999"), 999_000_000);
    assert_eq!(ppb(" 99.9 % "), 999_000_000);
    assert_eq!(ppb("99%"), 990_000_000);
    assert_eq!(ppb(".99"), 990_000_000);
    assert_eq!(ppb("99.95%"), 999_500_000);
    assert_eq!(ppb("99.9999999%"), 999_999_999);
    assert_eq!(ppb("0.999999999"), 999_999_999);
    let o = parse_objective("99.9%").unwrap();
    assert_eq!(o.budget_ppb(), 1_000_000);
    assert_eq!(o.budget_text(), "0.001");
    assert_eq!(o.percent_text(), "99.9%");
    assert_eq!(parse_objective("0.9995").unwrap().budget_text(), "0.0005");
    assert_eq!(parse_objective("99%").unwrap().percent_text(), "99%");
    // The lowest objective whose 14.4× page can still fire: 14.4 × 6.94 % < 100 %.
    assert_eq!(ppb("93.06%"), 930_600_000);
}

#[test]
fn objectives_that_make_no_sense_are_refused_with_the_reason() {
    let err = |s: &str| parse_objective(s).unwrap_err();
    assert!(err("100%").contains("below 100%"), "{}", err("100%"));
    assert!(err("1").contains("below 100%"));
    assert!(err("1.0").contains("below 100%"));
    assert!(err("0").contains("allows every request to fail"));
    assert!(err("0%").contains("allows every request to fail"));
    assert!(err("0.0").contains("allows every request to fail"));
    assert!(err("101%").contains("below 100%"));
    assert!(err("1.5").contains("a ratio is below 1"));
    // A bare 99.9 is Sloth's way of writing it: say how to write it here.
    assert!(err("99.9").contains("write 99.9%"), "{}", err("99.9"));
    for garbage in [
        "", "%", ".", "abc", "99.9%%", "-1%", "+0.9", "9 9%", "0x1", "1e-3",
    ] {
        assert!(
            err(garbage).contains("not an objective"),
            "{garbage}: {}",
            err(garbage)
        );
    }
    assert!(err("99.99999999%").contains("too many decimals"));
    assert!(err(&"9".repeat(40)).contains("not an objective"));
    // 14.4 × 7 % = 100.8 %: the page could never fire.
    assert!(err("93%").contains("too low"), "{}", err("93%"));
    assert!(err("93.05%").contains("too low"));
    assert!(err("50%").contains("too low"));
}

#[test]
fn windows_are_whole_buckets_rounded_up() {
    assert_eq!(buckets_in(300, MINUTE), 5);
    assert_eq!(buckets_in(3_600, MINUTE), 60);
    assert_eq!(buckets_in(259_200, MINUTE), 4_320);
    assert_eq!(buckets_in(300, 7 * MINUTE), 1);
    assert_eq!(buckets_in(1_800, 7 * MINUTE), 5); // 30 / 7 = 4.3
    assert_eq!(buckets_in(300, 10_000_000), 30);
    assert_eq!(buckets_in(300, 86_400 * 1_000_000), 1);
    let b = Burn::new(parse_objective("99.9%").unwrap(), MINUTE);
    assert_eq!(b.lengths, [(60, 5), (360, 30), (1_440, 120), (4_320, 360)]);
    assert_eq!(b.longest, 4_320);
    let names: Vec<&str> = windows().iter().map(|w| w.name).collect();
    assert_eq!(names, ["5m", "30m", "1h", "2h", "6h", "1d", "3d"]);
    assert_eq!(
        ALERTS.map(|a| a.factor_text()),
        ["14.4", "6", "3", "1"].map(String::from)
    );
}

#[test]
fn the_threshold_is_strict_and_exact() {
    let o = parse_objective("99.9%").unwrap();
    let page = &ALERTS[0];
    // 14.4 × 0.1 % = 1.44 %: 144 of 10,000 is not above it, 145 is.
    let c = |requests, errors| Counts { requests, errors };
    assert!(!o.burns(page, c(10_000, 144)));
    assert!(o.burns(page, c(10_000, 145)));
    assert!(!o.burns(page, c(0, 0)));
    // 1× 0.1 %: 1 of 1,000 is not above, 2 are.
    assert!(!o.burns(&ALERTS[3], c(1_000, 1)));
    assert!(o.burns(&ALERTS[3], c(1_000, 2)));
    assert!(o.burns(&ALERTS[3], c(u64::MAX, u64::MAX)));
}

/// `n` quiet minutes of 100 requests, then `bad` minutes with `errors` 5xx
/// of 100, then quiet again until minute `end`.
fn outage(from: i64, bad: i64, errors: u64, end: i64) -> Vec<(i64, Counts)> {
    (0..end)
        .map(|m| {
            let e = if (from..from + bad).contains(&m) {
                errors
            } else {
                0
            };
            (
                m,
                Counts {
                    requests: 100,
                    errors: e,
                },
            )
        })
        .collect()
}

fn minutes(r: &SloReport) -> Vec<(&'static str, &'static str, String, Option<String>)> {
    let min = |t: &str| {
        let t = chrono::DateTime::parse_from_rfc3339(t).unwrap().timestamp();
        (t / 60).to_string()
    };
    r.alerts
        .iter()
        .map(|a| {
            (
                a.severity.name(),
                a.long_window,
                min(&a.start),
                a.end.as_deref().map(min),
            )
        })
        .collect()
}

#[test]
fn a_half_failing_outage_pages_within_minutes_and_clears_after() {
    // 100 requests a minute from minute 0; minutes 60..90 have 50 5xx each.
    let r = replay(
        parse_objective("99.9%").unwrap(),
        MINUTE,
        outage(60, 30, 50, 240),
    );
    // 14.4× over 1h (1.44 %): at minute 61 the hour holds 50 of 6,000
    // (0.83 %), at 62 100 of 6,000 (1.67 %) and the 5 minutes are 50 %: page
    // at 62. The 5 minutes hold no 5xx from minute 95 on: clear at 95.
    // 6× over 6h (0.6 %): the 6 hours hold every minute so far (0 to m):
    // at 61, 50 of 6,100 (0.82 %): page at 61. It clears when the 30
    // minutes are clean, at 120.
    // 3× over 1d (0.3 %) and 1× over 3d (0.1 %): at 61 their windows also
    // hold 50 of 6,100; tickets at 61. The 2h window is clean at 210, the
    // 6h window never within the 240 minutes (1,500 of 24,000 = 6.25 %).
    assert_eq!(
        minutes(&r),
        [
            ("page", "6h", "61".into(), Some("120".into())),
            ("ticket", "1d", "61".into(), Some("210".into())),
            ("ticket", "3d", "61".into(), None),
            ("page", "1h", "62".into(), Some("95".into())),
        ]
    );
    assert_eq!(r.objective, 0.999);
    assert_eq!(r.min_requests, 100);
}

#[test]
fn no_alert_below_the_minimum_traffic() {
    // 9 requests a minute, all failing, for 11 minutes: the hour holds 99
    // requests, one short of the floor; a 12th minute makes it 108 and pages.
    let all_bad = |n: i64| -> Vec<(i64, Counts)> {
        (0..n)
            .map(|m| {
                (
                    m,
                    Counts {
                        requests: 9,
                        errors: 9,
                    },
                )
            })
            .collect()
    };
    let o = parse_objective("99.9%").unwrap();
    assert!(replay(o, MINUTE, all_bad(11)).alerts.is_empty());
    let r = replay(o, MINUTE, all_bad(12));
    assert_eq!(r.alerts.len(), 4);
    assert!(r
        .alerts
        .iter()
        .all(|a| a.start == format_ts(12 * MINUTE) && a.end.is_none()));
}

#[test]
fn a_long_silence_closes_alerts_and_costs_nothing() {
    // An outage, then nothing for ten years, then one clean minute.
    let o = parse_objective("99.9%").unwrap();
    let mut b = outage(0, 10, 100, 10);
    b.push((
        10 * 365 * 1_440,
        Counts {
            requests: 100,
            errors: 0,
        },
    ));
    let r = replay(o, MINUTE, b);
    // Every alert closed when its short window emptied of 5xx (the silence
    // counts as no traffic), long before the clean minute.
    let ends: Vec<Option<String>> = r.alerts.iter().map(|a| a.end.clone()).collect();
    assert_eq!(
        ends,
        [15, 40, 130, 370].map(|m| Some(format_ts(m * MINUTE)))
    );
}

/// The alerts judged the slow way: at every boundary, every window summed
/// from scratch.
fn reference(
    o: Objective,
    bucket_us: Micros,
    buckets: &[(i64, Counts)],
) -> Vec<(usize, i64, Option<i64>)> {
    let Some(first) = buckets.iter().map(|b| b.0).min() else {
        return Vec::new();
    };
    let last = buckets.iter().map(|b| b.0).max().unwrap_or(first);
    let sum = |from: i64, to: i64| {
        let mut c = Counts::default();
        for (i, b) in buckets {
            if (from..to).contains(i) {
                c.add(*b);
            }
        }
        c
    };
    let mut open: [Option<i64>; 4] = [None; 4];
    let mut out = Vec::new();
    for e in first + 1..=last + 1 {
        for (i, a) in ALERTS.iter().enumerate() {
            let n = |secs| buckets_in(secs, bucket_us) as i64;
            let long = sum(e - n(a.long.secs), e);
            let short = sum(e - n(a.short.secs), e);
            let firing = long.requests >= MIN_REQUESTS && o.burns(a, long) && o.burns(a, short);
            match (firing, open[i]) {
                (true, None) => open[i] = Some(e),
                (false, Some(s)) => {
                    out.push((i, s, Some(e)));
                    open[i] = None;
                }
                _ => {}
            }
        }
    }
    out.extend(
        open.iter()
            .enumerate()
            .filter_map(|(i, o)| o.map(|s| (i, s, None))),
    );
    out.sort_by_key(|(i, s, _)| (*s, *i));
    out
}

fn as_tuples(r: &SloReport, bucket_us: Micros) -> Vec<(usize, i64, Option<i64>)> {
    let idx = |t: &str| {
        chrono::DateTime::parse_from_rfc3339(t)
            .unwrap()
            .timestamp_micros()
            / bucket_us
    };
    r.alerts
        .iter()
        .map(|a| {
            let i = ALERTS
                .iter()
                .position(|x| x.long.name == a.long_window)
                .unwrap();
            (i, idx(&a.start), a.end.as_deref().map(idx))
        })
        .collect()
}

/// Random traffic: bursts of failures, gaps, quiet and busy stretches.
fn timeline() -> impl Strategy<Value = Vec<(i64, Counts)>> {
    proptest::collection::vec((0i64..40, 0u64..300, 0u64..=100), 1..120).prop_map(|runs| {
        let mut at = 0i64;
        let mut out = Vec::new();
        for (gap, requests, pct) in runs {
            at += gap;
            out.push((
                at,
                Counts {
                    requests,
                    errors: requests * pct / 100,
                },
            ));
            at += 1;
        }
        out
    })
}

proptest! {
    #[test]
    fn running_sums_equal_summing_every_window(b in timeline(), objective in prop::sample::select(vec!["99.9%", "99%", "95%"])) {
        // One-hour buckets keep the reference quick: windows of 1 to 72 buckets.
        let bucket = 60 * MINUTE;
        let o = parse_objective(objective).unwrap();
        let r = replay(o, bucket, b.clone());
        prop_assert_eq!(as_tuples(&r, bucket), reference(o, bucket, &b));
    }

    #[test]
    fn a_checkpoint_anywhere_resumes_to_the_same_transitions(b in timeline(), cut in 0usize..120) {
        let bucket = 60 * MINUTE;
        let o = parse_objective("99%").unwrap();
        let mut whole = Burn::new(o, bucket);
        let mut one = Vec::new();
        for (i, c) in &b {
            whole.push(*i, *c, &mut one);
        }
        let mut first = Burn::new(o, bucket);
        let mut two = Vec::new();
        let cut = cut.min(b.len());
        for (i, c) in &b[..cut] {
            first.push(*i, *c, &mut two);
        }
        let json = serde_json::to_string(&first.state()).unwrap();
        let state: BurnState = serde_json::from_str(&json).unwrap();
        let mut second = Burn::resume(o, bucket, &state).unwrap();
        for (i, c) in &b[cut..] {
            second.push(*i, *c, &mut two);
        }
        prop_assert_eq!(one, two);
        prop_assert_eq!(whole.state(), second.state());
    }
}

#[test]
fn a_forged_state_is_refused() {
    let o = parse_objective("99.9%").unwrap();
    let too_long = BurnState {
        next: Some(5_000),
        recent: vec![[1, 0]; 4_321],
        open: vec![],
    };
    assert!(Burn::resume(o, MINUTE, &too_long).is_err());
    let more_errors = BurnState {
        next: Some(1),
        recent: vec![[1, 2]],
        open: vec![],
    };
    assert!(Burn::resume(o, MINUTE, &more_errors).is_err());
    let opened_later = BurnState {
        next: Some(1),
        recent: vec![],
        open: vec![Some(7)],
    };
    assert!(Burn::resume(o, MINUTE, &opened_later).is_err());
    let too_many = BurnState {
        next: Some(1),
        recent: vec![],
        open: vec![None; 5],
    };
    assert!(Burn::resume(o, MINUTE, &too_many).is_err());
}
