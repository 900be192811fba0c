use super::*;
use crate::aggregate::{AggConfig, DEFAULT_MAX_KEYS};
use crate::event::Event;
use std::borrow::Cow;

const MIN: i64 = 60_000_000;

fn agg() -> Aggregate {
    Aggregate::new(AggConfig {
        bucket_us: MIN,
        since: None,
        until: None,
        max_keys: DEFAULT_MAX_KEYS,
    })
}

/// Observes a request at minute `m` from `client` on `path` with `status`.
fn hit(
    a: &mut Aggregate,
    line: &mut u64,
    m: i64,
    path: &'static str,
    client: &'static str,
    status: u16,
) {
    let mut ev = Event::new(m * MIN + *line as i64 % 59 * 1_000_000, status);
    ev.method = Some(Cow::Borrowed("GET"));
    ev.path = Some(Cow::Borrowed(path));
    ev.client = Some(Cow::Borrowed(client));
    ev.user_agent = Some(Cow::Borrowed("sdk/1"));
    *line += 1;
    a.observe(&ev, 0, *line);
}

/// Ten minutes of baseline (minutes 0-9) and ten of incident (10-19): every
/// minute 10 requests on each of /a and /b from each of two clients, with
/// `fail(minute, path, client)` deciding which get a 503.
fn log(fail: impl Fn(i64, &str, &str) -> bool) -> Aggregate {
    let mut a = agg();
    let mut line = 0;
    for m in 0..20 {
        for path in ["/a", "/b"] {
            for client in ["10.0.0.1", "10.0.0.2"] {
                for i in 0..10 {
                    let status = if i < 3 && fail(m, path, client) {
                        503
                    } else {
                        200
                    };
                    hit(&mut a, &mut line, m, path, client, status);
                }
            }
        }
    }
    a
}

fn named(c: &[Change]) -> Vec<(&str, &str)> {
    c.iter().map(|c| (c.dimension, c.value.as_str())).collect()
}

#[test]
fn the_route_and_client_that_cause_the_incident_rank_first() {
    // Before: a few 503s everywhere. During: only /b from 10.0.0.2 fails.
    let a = log(|m, path, client| {
        if m < 10 {
            m % 3 == 0
        } else {
            path == "/b" && client == "10.0.0.2"
        }
    });
    let c = changes(&a, 10, 19);
    assert_eq!(named(&c), [("route", "GET /b"), ("client", "10.0.0.2")]);
    let route = &c[0];
    assert_eq!((route.incident_count, route.baseline_count), (30, 24));
    assert_eq!(route.incident_share, 1.0);
    assert_eq!(route.baseline_share, 0.5);
    assert_eq!(route.baseline_of, "5xx");
}

#[test]
fn an_incident_that_fails_like_before_claims_nothing() {
    let a = log(|m, _, _| m >= 10 || m % 2 == 0);
    assert!(changes(&a, 10, 19).is_empty());
}

#[test]
fn without_5xx_before_the_baseline_is_the_share_of_requests() {
    let a = log(|m, path, _| m >= 10 && path == "/a");
    let c = changes(&a, 10, 19);
    // /a is half the requests and all the 5xx; 503 and the error code had no
    // share before; both clients and the one agent fail like their traffic.
    assert_eq!(named(&c), [("status", "503"), ("route", "GET /a")]);
    assert_eq!(c[1].baseline_of, "requests");
    // Estimates of 200 and a half, from the one-in-eight sample of requests
    // (fixed: this sample holds 25 of /a's 200 and 31 of /b's).
    assert_eq!(
        (c[1].baseline_count, c[1].baseline_share),
        (200, 25.0 / 56.0)
    );
}

#[test]
fn without_traffic_before_nothing_is_claimed() {
    let mut a = agg();
    let mut line = 0;
    for m in 10..20 {
        for _ in 0..10 {
            hit(&mut a, &mut line, m, "/a", "10.0.0.1", 503);
        }
    }
    assert!(changes(&a, 10, 19).is_empty());
}
