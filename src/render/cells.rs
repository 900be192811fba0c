//! The rows of the report's tables as the document renderers (HTML and
//! Markdown) show them: one definition of the columns, each renderer
//! escaping text for where it lands and marking approximate counts its way.

use crate::report::{Incident, Report};

/// A column's name, and whether it holds numbers (aligned right).
pub(crate) type Header = &'static [(&'static str, bool)];

/// How a renderer writes a value from a log, and a count with its error.
pub(crate) struct Style {
    pub(crate) text: fn(&str) -> String,
    pub(crate) count: fn(u64, u64) -> String,
}

impl Style {
    fn opt(&self, v: &Option<String>) -> String {
        v.as_deref().map_or_else(|| "–".to_owned(), self.text)
    }
}

pub(crate) const ERRORS: Header = &[
    ("count", true),
    ("statuses", false),
    ("type", false),
    ("code", false),
    ("param", false),
    ("example message", false),
    ("first seen", false),
    ("last seen", false),
];

/// The first `limit` rows of the errors table.
pub(crate) fn errors(r: &Report, limit: usize, s: &Style) -> Vec<Vec<String>> {
    r.errors
        .iter()
        .take(limit)
        .map(|e| {
            let statuses: Vec<String> = e
                .statuses
                .iter()
                .map(|(k, n)| format!("{k}: {n}"))
                .collect();
            vec![
                (s.count)(e.count, e.count_error),
                (s.text)(&statuses.join(", ")),
                s.opt(&e.error_type),
                s.opt(&e.code),
                s.opt(&e.param),
                s.opt(&e.example_message),
                s.opt(&e.first_seen),
                s.opt(&e.last_seen),
            ]
        })
        .collect()
}

pub(crate) const ROUTES: Header = &[
    ("method", false),
    ("route", false),
    ("requests", true),
    ("4xx", true),
    ("5xx", true),
];

/// The first `limit` rows of the routes table.
pub(crate) fn routes(r: &Report, limit: usize, s: &Style) -> Vec<Vec<String>> {
    r.routes
        .iter()
        .take(limit)
        .map(|x| {
            vec![
                s.opt(&x.method),
                s.opt(&x.route),
                (s.count)(x.requests, x.count_error),
                (s.count)(x.errors_4xx, x.count_error),
                (s.count)(x.errors_5xx, x.count_error),
            ]
        })
        .collect()
}

pub(crate) const EXAMPLES: Header = &[
    ("time", false),
    ("logged at", false),
    ("method", false),
    ("route", false),
    ("status", true),
    ("error code", false),
    ("message", false),
    ("request id", false),
];

/// An incident's first failing requests.
pub(crate) fn examples(i: &Incident, s: &Style) -> Vec<Vec<String>> {
    i.examples
        .iter()
        .map(|e| {
            vec![
                (s.text)(&e.ts),
                (s.text)(&format!("{}:{}", e.source, e.line)),
                s.opt(&e.method),
                s.opt(&e.route),
                e.status.to_string(),
                s.opt(&e.error_code),
                s.opt(&e.error_message),
                s.opt(&e.request_id),
            ]
        })
        .collect()
}

pub(crate) const SLO_ALERTS: Header = &[
    ("severity", false),
    ("long window", false),
    ("short window", false),
    ("burn rate", true),
    ("fired", false),
    ("cleared", false),
];

/// When each burn-rate alert would have fired (`--slo`), by start.
pub(crate) fn slo_alerts(slo: &crate::slo::SloReport) -> Vec<Vec<String>> {
    slo.alerts
        .iter()
        .map(|a| {
            vec![
                a.severity.name().to_owned(),
                a.long_window.to_owned(),
                a.short_window.to_owned(),
                format!("{}×", a.factor),
                a.start.clone(),
                a.end
                    .clone()
                    .unwrap_or_else(|| "still firing at the end".to_owned()),
            ]
        })
        .collect()
}
