//! Aggregates count exactly and merge to the same result in any split.

use super::*;
use crate::event::ApiError;
use std::borrow::Cow;

const MIN: i64 = 60_000_000;

fn cfg() -> AggConfig {
    AggConfig {
        bucket_us: MIN,
        since: None,
        until: None,
        max_keys: crate::aggregate::DEFAULT_MAX_KEYS,
    }
}

fn ev(ts: i64, status: u16, path: &'static str, code: Option<&'static str>) -> Event<'static> {
    let mut e = Event::new(ts, status);
    e.method = Some(Cow::Borrowed("GET"));
    e.path = Some(Cow::Borrowed(path));
    if let Some(c) = code {
        e.body = Body::Error(ApiError {
            error_type: Some("api_error".into()),
            code: Some(c.into()),
            param: None,
            message: Some(format!("msg at {ts}").into()),
        });
    }
    e
}

fn events() -> Vec<(Event<'static>, u32, u64)> {
    vec![
        (ev(5 * MIN, 200, "/v1/a/1", None), 0, 1),
        (ev(MIN + 5, 503, "/v1/a/2", Some("overloaded")), 0, 2),
        (ev(MIN, 503, "/v1/a/3", Some("overloaded")), 1, 1),
        (ev(2 * MIN, 404, "/v1/b", Some("missing")), 1, 2),
        (ev(2 * MIN, 500, "/v1/b", None), 1, 3),
    ]
}

fn observe_all(items: &[(Event<'static>, u32, u64)]) -> Aggregate {
    let mut agg = Aggregate::new(cfg());
    for (e, s, l) in items {
        agg.observe(e, *s, *l);
    }
    agg
}

#[test]
fn counts_routes_errors_and_buckets() {
    let agg = observe_all(&events());
    assert_eq!((agg.lines, agg.requests), (5, 5));
    assert_eq!(agg.by_status[503], 2);
    assert_eq!(agg.first_ts, Some(MIN));
    assert_eq!(agg.last_ts, Some(5 * MIN));
    let mut key = String::new();
    route_key(Some("GET"), Some("/v1/a/{id}"), &mut key);
    assert_eq!(
        *agg.routes.get(&key).unwrap(),
        RouteStats {
            requests: 3,
            errors_4xx: 0,
            errors_5xx: 2
        }
    );
    let overloaded = ErrorKey {
        error_type: Some("api_error".into()),
        code: Some("overloaded".into()),
        param: None,
    };
    let stats = agg.errors.get(&overloaded).unwrap();
    assert_eq!(stats.count, 2);
    assert_eq!(stats.statuses[&503], 2);
    // The earliest example wins, whatever order the lines came in.
    assert_eq!(
        stats.example.as_ref().unwrap().message,
        format!("msg at {MIN}")
    );
    let b1 = &agg.buckets[&1];
    assert_eq!((b1.requests, b1.errors_5xx), (2, 2));
    let t = b1.breakdowns.tables();
    assert_eq!(*t.routes_5xx.get(&key).unwrap(), 2);
    assert_eq!(*t.errors_5xx_by_key.get(&overloaded).unwrap(), 2);
    assert_eq!(agg.buckets[&2].errors_4xx, 1);
    assert_eq!(agg.by_class()["5xx"], 3);
    assert_eq!(agg.by_class()["1xx"], 0);
}

#[test]
fn since_and_until_filter_by_event_time() {
    let mut agg = Aggregate::new(AggConfig {
        since: Some(MIN + 5),
        until: Some(5 * MIN),
        ..cfg()
    });
    for (e, s, l) in events() {
        agg.observe(&e, s, l);
    }
    assert_eq!((agg.lines, agg.requests, agg.filtered_out), (5, 3, 2));
}

#[test]
fn merge_equals_one_pass_in_any_split() {
    let all = events();
    let whole = observe_all(&all);
    for split in 0..=all.len() {
        let mut a = observe_all(&all[split..]);
        a.merge(observe_all(&all[..split]));
        assert_eq!(a.requests, whole.requests);
        assert_eq!(a.by_status, whole.by_status);
        assert_eq!(a.errors, whole.errors);
        assert_eq!(a.routes, whole.routes);
        assert_eq!(a.buckets, whole.buckets);
        assert_eq!((a.first_ts, a.last_ts), (whole.first_ts, whole.last_ts));
    }
}

#[test]
fn malformed_samples_keep_the_first_lines_by_source_and_line() {
    let mut a = Aggregate::new(cfg());
    let mut b = Aggregate::new(cfg());
    for line in (1..=30).rev() {
        a.observe_malformed(1, line, Malformed::NotJson, b"x");
    }
    for line in 20..=25 {
        b.observe_malformed(0, line, Malformed::NotJson, "é".repeat(300).as_bytes());
    }
    a.merge(b);
    assert_eq!(a.malformed, 36);
    let got: Vec<(u32, u64)> = a.samples.iter().map(|s| (s.source, s.line)).collect();
    assert_eq!(
        got,
        [
            (0, 20),
            (0, 21),
            (0, 22),
            (0, 23),
            (0, 24),
            (0, 25),
            (1, 1),
            (1, 2),
            (1, 3),
            (1, 4)
        ]
    );
    assert_eq!(a.samples[0].text.chars().count(), SAMPLE_CHARS);
}

#[test]
fn route_keys_round_trip() {
    let mut k = String::new();
    for (m, r) in [
        (Some("GET"), Some("/x")),
        (None, None),
        (Some("hello"), None),
        (None, Some("")),
    ] {
        route_key(m, r, &mut k);
        assert_eq!(split_route_key(&k), (m, r));
    }
}

#[test]
fn survives_a_json_round_trip() {
    let mut agg = observe_all(&events());
    agg.observe_malformed(2, 9, Malformed::BadTime, b"bad");
    let text = serde_json::to_string(&agg).unwrap();
    let back: Aggregate = serde_json::from_str(&text).unwrap();
    assert_eq!(back.errors, agg.errors);
    assert_eq!(back.buckets, agg.buckets);
    assert_eq!(back.routes, agg.routes);
    assert_eq!(back.samples, agg.samples);
    assert_eq!(
        (back.lines, back.requests, back.malformed),
        (agg.lines, agg.requests, agg.malformed)
    );
    assert_eq!(
        (back.first_ts, back.last_ts, back.by_status.clone()),
        (agg.first_ts, agg.last_ts, agg.by_status.clone())
    );
}
