use super::*;
use crate::event::{ApiError, Body};
use std::borrow::Cow;

fn event(method: &str, path: &str, status: u16) -> Event<'static> {
    let mut ev = Event::new(0, status);
    ev.method = Some(Cow::Owned(method.to_owned()));
    ev.path = Some(Cow::Owned(path.to_owned()));
    ev
}

fn api(t: &str, code: &str) -> ApiError<'static> {
    ApiError {
        error_type: Some(Cow::Owned(t.to_owned())),
        code: Some(Cow::Owned(code.to_owned())),
        param: None,
        message: None,
    }
}

/// The samples of a 0.0.4 scrape whose name starts with `metric`: (the
/// sample's name and labels as written, value).
fn samples(text: &str, metric: &str) -> Vec<(String, f64)> {
    text.lines()
        .filter(|l| l.starts_with(metric))
        .map(|l| {
            let (series, value) = l.rsplit_once(' ').expect("a sample line");
            (series.to_owned(), value.parse().expect("a number"))
        })
        .collect()
}

fn sum(text: &str, metric: &str) -> f64 {
    samples(text, metric).iter().map(|(_, v)| v).sum()
}

#[test]
fn series_past_the_cap_go_to_other_and_sums_stay_exact() {
    let (exporter, mut rec) = Exporter::new(3, false);
    for i in 0..50 {
        // 50 distinct routes (the path's last segment is not an id), 10 of them 5xx.
        let status = if i % 5 == 0 { 503 } else { 200 };
        rec.event(&event("GET", &format!("/v1/page-{i}x"), status), 0, i);
    }
    let (text, _) = exporter.render(false, 0);
    let routes = samples(&text, "faultline_route_requests_total{");
    let kept: Vec<_> = routes.iter().filter(|(s, _)| !s.contains(OTHER)).collect();
    assert_eq!(kept.len(), 3, "{routes:?}");
    // The overflow keeps the status class: one series per class seen past the cap.
    let mut other: Vec<_> = routes.iter().filter(|(s, _)| s.contains(OTHER)).collect();
    other.sort_by(|a, b| a.0.cmp(&b.0));
    let series = |class: &str, n: f64| {
        (
            format!(
                r#"faultline_route_requests_total{{method="__other__",route="__other__",status_class="{class}"}}"#
            ),
            n,
        )
    };
    assert_eq!(other, [&series("2xx", 38.0), &series("5xx", 9.0)]);
    assert_eq!(sum(&text, "faultline_route_requests_total{"), 50.0);
    // The first three routes seen are the ones kept, with their exact counts.
    for (i, status_class) in [(0, "5xx"), (1, "2xx"), (2, "2xx")] {
        let series = format!(
            r#"faultline_route_requests_total{{method="GET",route="/v1/page-{i}x",status_class="{status_class}"}}"#
        );
        assert!(
            routes.contains(&(series.clone(), 1.0)),
            "{series} in {routes:?}"
        );
    }
    // Statuses (two here) are under the cap: exact.
    let mut statuses = samples(&text, "faultline_requests_total{");
    statuses.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        statuses,
        [
            (
                r#"faultline_requests_total{status_class="2xx",status="200"}"#.to_owned(),
                40.0
            ),
            (
                r#"faultline_requests_total{status_class="5xx",status="503"}"#.to_owned(),
                10.0
            ),
        ]
    );
    assert_eq!(
        line_counts(&text),
        (50.0, 0.0),
        "every event is a request line"
    );
}

/// `faultline_lines_total` for requests and malformed lines.
fn line_counts(text: &str) -> (f64, f64) {
    let get = |r: &str| {
        samples(text, &format!("faultline_lines_total{{result=\"{r}\"}}"))
            .first()
            .map(|(_, v)| *v)
            .expect("both results are always there")
    };
    (get("request"), get("malformed"))
}

#[test]
fn a_series_seen_before_the_cap_filled_keeps_counting() {
    let (exporter, mut rec) = Exporter::new(2, false);
    for path in ["/a", "/b", "/c", "/a", "/d", "/b"] {
        rec.event(&event("GET", path, 200), 0, 0);
    }
    let (text, _) = exporter.render(false, 0);
    let routes = samples(&text, "faultline_route_requests_total{");
    let value = |route: &str| {
        routes
            .iter()
            .find(|(s, _)| s.contains(&format!("route=\"{route}\"")))
            .map(|(_, v)| *v)
    };
    assert_eq!(value("/a"), Some(2.0));
    assert_eq!(value("/b"), Some(2.0));
    assert_eq!(value("/c"), None);
    assert_eq!(value(OTHER), Some(2.0));
}

#[test]
fn errors_count_as_the_report_counts_them() {
    let (exporter, mut rec) = Exporter::new(500, false);
    let mut e = event("POST", "/v1/charges", 500);
    e.body = Body::Error(api("api_error", "internal"));
    rec.event(&e, 0, 1);
    // A failed request counts once, by its first error.
    let mut e = event("POST", "/v1/bulk", 400);
    e.body = Body::Errors(vec![
        api("invalid_request", "a"),
        api("invalid_request", "b"),
    ]);
    rec.event(&e, 0, 2);
    // A partially failed 202 counts every failed item.
    let mut e = event("POST", "/v1/bulk", 202);
    e.body = Body::Errors(vec![
        api("invalid_request", "a"),
        api("invalid_request", "b"),
    ]);
    rec.event(&e, 0, 3);
    // A 202's job resource is not an error.
    let mut e = event("POST", "/v1/exports", 202);
    e.body = Body::Error(ApiError {
        code: None,
        ..api("export", "")
    });
    rec.event(&e, 0, 4);
    rec.malformed(0, 5, Malformed::NoTimestamp, b"junk");
    let (text, _) = exporter.render(false, 0);
    let mut errors = samples(&text, "faultline_errors_total{");
    errors.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        errors,
        [
            (
                r#"faultline_errors_total{type="api_error",code="internal"}"#.to_owned(),
                1.0
            ),
            (
                r#"faultline_errors_total{type="invalid_request",code="a"}"#.to_owned(),
                2.0
            ),
            (
                r#"faultline_errors_total{type="invalid_request",code="b"}"#.to_owned(),
                1.0
            ),
        ]
    );
    assert_eq!(line_counts(&text), (4.0, 1.0));
}

#[test]
fn label_values_are_escaped_and_cut() {
    let (exporter, mut rec) = Exporter::new(500, false);
    let mut e = event("GET", "/q\"uo\\te", 404);
    e.body = Body::Error(api("bad\ntype", &"é".repeat(300)));
    rec.event(&e, 0, 1);
    let (text, _) = exporter.render(false, 0);
    assert!(
        text.contains(r#"route="/q\"uo\\te""#),
        "quotes and backslashes escaped: {text}"
    );
    assert!(text.contains(r#"type="bad\ntype""#), "newlines escaped");
    // 300 two-byte characters cut to 128 (256 bytes), not mid-character.
    assert!(text.contains(&format!("code=\"{}\"", "é".repeat(128))));
    assert!(!text.contains(&"é".repeat(129)));
}

#[test]
fn durations_are_a_histogram_by_status_class_in_seconds() {
    let (exporter, mut rec) = Exporter::new(500, false);
    for (ms, status) in [(3.0, 200), (40.0, 200), (12_000.0, 503), (f64::NAN, 503)] {
        let mut e = event("GET", "/", status);
        e.duration_ms = Some(ms);
        rec.event(&e, 0, 0);
    }
    // An event without a duration is not observed.
    rec.event(&event("GET", "/", 200), 0, 0);
    let (text, _) = exporter.render(false, 0);
    let h = |s: &str| {
        samples(&text, "faultline_request_duration_seconds")
            .into_iter()
            .find(|(series, _)| series == s)
            .map(|(_, v)| v)
    };
    assert_eq!(
        h(r#"faultline_request_duration_seconds_bucket{status_class="2xx",le="0.005"}"#),
        Some(1.0)
    );
    assert_eq!(
        h(r#"faultline_request_duration_seconds_bucket{status_class="2xx",le="0.05"}"#),
        Some(2.0)
    );
    assert_eq!(
        h(r#"faultline_request_duration_seconds_count{status_class="2xx"}"#),
        Some(2.0)
    );
    assert_eq!(
        h(r#"faultline_request_duration_seconds_bucket{status_class="5xx",le="10"}"#),
        Some(0.0)
    );
    assert_eq!(
        h(r#"faultline_request_duration_seconds_bucket{status_class="5xx",le="+Inf"}"#),
        Some(1.0)
    );
    assert_eq!(
        h(r#"faultline_request_duration_seconds_sum{status_class="5xx"}"#),
        Some(12.0)
    );
}

#[test]
fn formats_gauges_and_the_checkpoint_age() {
    let (exporter, rec) = Exporter::new(500, true);
    let (text, content_type) = exporter.render(false, 0);
    assert_eq!(content_type, "text/plain; version=0.0.4; charset=utf-8");
    assert!(!text.contains("# EOF"));
    assert!(text.contains("# TYPE faultline_incidents_total counter\n"));
    assert!(text.contains("\nfaultline_incident_open 0\n"));
    assert!(text.contains("\nfaultline_checkpoint_age_seconds 0.0\n"));
    assert_eq!(line_counts(&text), (0.0, 0.0));

    rec.incidents(2, true);
    exporter.unsaved(1_000_000);
    // The first unsaved moment counts, not the later ones.
    exporter.unsaved(4_000_000);
    let (text, content_type) = exporter.render(true, 6_500_000);
    assert_eq!(
        content_type,
        "application/openmetrics-text; version=1.0.0; charset=utf-8"
    );
    assert!(text.ends_with("# EOF\n"));
    assert!(text.contains("\nfaultline_incidents_total 2\n"));
    assert!(text.contains("\nfaultline_incident_open 1\n"));
    assert!(text.contains("\nfaultline_checkpoint_age_seconds 5.5\n"));
    exporter.saved();
    rec.incidents(0, false);
    let (text, _) = exporter.render(false, 9_000_000);
    assert!(text.contains("\nfaultline_checkpoint_age_seconds 0.0\n"));
    assert!(text.contains("\nfaultline_incident_open 0\n"));

    // Without a checkpoint there is no age to tell.
    let (exporter, _) = Exporter::new(500, false);
    assert!(!exporter.render(false, 0).0.contains("checkpoint"));
}
