use super::*;
use crate::report::{IncidentError, IncidentRoute};

const MIN: Micros = 60_000_000;

/// 10:00 to 10:07 UTC on 2026-11-25, in micros.
fn at(minute: i64) -> Micros {
    chrono::DateTime::parse_from_rfc3339("2026-11-25T10:00:00Z")
        .unwrap()
        .timestamp_micros()
        + minute * MIN
}

fn incident() -> Incident {
    Incident {
        start: "2026-11-25T10:00:00Z".to_owned(),
        end: "2026-11-25T10:07:00Z".to_owned(),
        duration_s: 420,
        ongoing: true,
        bad_buckets: 7,
        requests: 200,
        errors_5xx: 50,
        error_ratio: 0.25,
        by_status: [("503".to_owned(), 50)].into_iter().collect(),
        top_routes: vec![IncidentRoute {
            method: Some("POST".to_owned()),
            route: Some("/v1/charges".to_owned()),
            errors_5xx: 40,
            count_error: 0,
        }],
        top_errors: vec![IncidentError {
            error_type: Some("api_error".to_owned()),
            code: Some("upstream_unavailable".to_owned()),
            param: None,
            count: 50,
            example_message: Some("The upstream is unavailable".to_owned()),
            count_error: 0,
        }],
        examples: Vec::new(),
        changes: Vec::new(),
    }
}

fn common() -> BTreeMap<String, String> {
    [
        ("instance".to_owned(), "web-1".to_owned()),
        ("service".to_owned(), "payments".to_owned()),
        // Nothing overrides the alert's name and severity.
        ("alertname".to_owned(), "Other".to_owned()),
    ]
    .into_iter()
    .collect()
}

#[test]
fn an_open_incident_fires_with_labels_annotations_and_its_start() {
    let alert = Alert::persistent_5xx(Change::Opened, &incident(), "5xx errors have persisted.");
    let now = at(8);
    assert_eq!(
        alert.payload(&common(), now),
        json!({
            "labels": {
                "alertname": "FaultlinePersistent5xx",
                "severity": "page",
                "instance": "web-1",
                "service": "payments",
            },
            "annotations": {
                "summary": "Persistent 5xx since 2026-11-25T10:00:00Z: 50 of 200 requests failed (25.0%)",
                "description": "5xx errors have persisted.",
                "incident_start": "2026-11-25T10:00:00Z",
                "top_route": "POST /v1/charges",
                "top_error": "upstream_unavailable: The upstream is unavailable",
            },
            "startsAt": "2026-11-25T10:00:00Z",
            // Four resend intervals ahead of the send.
            "endsAt": "2026-11-25T10:12:00Z",
        })
    );
}

/// A route whose count is mostly error (5xx spread over many routes) is not
/// named: the alert carries no `top_route` rather than a guess.
#[test]
fn a_route_not_clearly_counted_is_not_named() {
    let mut spread = incident();
    spread.top_routes[0].count_error = 35;
    let p = Alert::persistent_5xx(Change::Opened, &spread, "open").payload(&common(), at(8));
    assert_eq!(p["annotations"].get("top_route"), None);
    assert_eq!(
        p["annotations"]["top_error"],
        json!("upstream_unavailable: The upstream is unavailable")
    );
    // The same for the top error.
    spread.top_errors[0].count_error = 6;
    let p = Alert::persistent_5xx(Change::Opened, &spread, "open").payload(&common(), at(8));
    assert_eq!(p["annotations"].get("top_error"), None);
    spread.top_errors[0].count_error = 5;
    // Off by at most a tenth: named.
    spread.top_routes[0].count_error = 4;
    let p = Alert::persistent_5xx(Change::Opened, &spread, "open").payload(&common(), at(8));
    assert_eq!(p["annotations"]["top_route"], json!("POST /v1/charges"));
    assert_eq!(
        p["annotations"]["top_error"],
        json!("upstream_unavailable: The upstream is unavailable")
    );
}

#[test]
fn a_closed_incident_ends_at_its_end_and_keeps_its_identity() {
    let opened = Alert::persistent_5xx(Change::Opened, &incident(), "open");
    let closed = Alert::persistent_5xx(Change::Closed, &incident(), "closed");
    assert_eq!(closed.ends_at, Some(at(7)));
    // The same labels: Alertmanager sees the same alert resolve.
    assert_eq!(opened.label_set(&common()), closed.label_set(&common()));
    let p = closed.payload(&common(), at(9));
    assert_eq!(
        (&p["startsAt"], &p["endsAt"]),
        (
            &json!("2026-11-25T10:00:00Z"),
            &json!("2026-11-25T10:07:00Z")
        )
    );
}

#[test]
fn log_times_ahead_of_the_clock_are_held_to_it() {
    let closed = Alert::persistent_5xx(Change::Closed, &incident(), "closed");
    // The clock says 10:03: the end (10:07) may not be in the future, or
    // the alert would go on firing; the start is kept before the end.
    let p = closed.payload(&common(), at(3));
    assert_eq!(
        (&p["startsAt"], &p["endsAt"]),
        (
            &json!("2026-11-25T10:00:00Z"),
            &json!("2026-11-25T10:03:00Z")
        )
    );
    let p = closed.payload(&common(), at(-5));
    assert_eq!(
        (&p["startsAt"], &p["endsAt"]),
        (
            &json!("2026-11-25T09:55:00Z"),
            &json!("2026-11-25T09:55:00Z")
        )
    );
}

#[test]
fn any_alert_can_be_sent_the_same_way() {
    // An SLO burn-rate alert, say: its own name, severity and labels.
    let alert = Alert {
        name: "FaultlineErrorBudgetBurn".to_owned(),
        severity: "ticket".to_owned(),
        labels: [("long_window".to_owned(), "1d".to_owned())]
            .into_iter()
            .collect(),
        annotations: BTreeMap::new(),
        starts_at: at(0),
        ends_at: None,
    };
    assert_eq!(
        alert.payload(&common(), at(1))["labels"],
        json!({
            "alertname": "FaultlineErrorBudgetBurn",
            "severity": "ticket",
            "instance": "web-1",
            "service": "payments",
            "long_window": "1d",
        })
    );
}

#[test]
fn the_api_path_is_added_once() {
    assert_eq!(alerts_url("http://am:9093"), "http://am:9093/api/v2/alerts");
    assert_eq!(
        alerts_url("http://am:9093/"),
        "http://am:9093/api/v2/alerts"
    );
    assert_eq!(
        alerts_url("https://am.example.com/prefix/api/v2/alerts"),
        "https://am.example.com/prefix/api/v2/alerts"
    );
}

#[test]
fn a_host_has_a_name() {
    let name = hostname();
    assert!(!name.is_empty() && !name.contains('\n'));
}
