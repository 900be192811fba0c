//! The one event type every stage shares: a parsed request line.
//!
//! Parsers borrow from the line (or their own scratch buffers) so that the hot
//! path allocates only when a field really needs unescaping.

use std::borrow::Cow;

/// Microseconds since the Unix epoch, UTC.
pub(crate) type Micros = i64;

/// The error fields read from a response body (SPEC §1).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ApiError<'a> {
    pub(crate) error_type: Option<Cow<'a, str>>,
    pub(crate) code: Option<Cow<'a, str>>,
    pub(crate) param: Option<Cow<'a, str>>,
    pub(crate) message: Option<Cow<'a, str>>,
}

impl ApiError<'_> {
    /// The same error, owning its text.
    pub(crate) fn to_static(&self) -> ApiError<'static> {
        let own = |s: &Option<Cow<'_, str>>| s.as_deref().map(|s| Cow::Owned(s.to_owned()));
        ApiError {
            error_type: own(&self.error_type),
            code: own(&self.code),
            param: own(&self.param),
            message: own(&self.message),
        }
    }

    /// A view of the same error borrowing its text.
    pub(crate) fn borrowed(&self) -> ApiError<'_> {
        fn view<'s>(s: &'s Option<Cow<'_, str>>) -> Option<Cow<'s, str>> {
            s.as_deref().map(Cow::Borrowed)
        }
        ApiError {
            error_type: view(&self.error_type),
            code: view(&self.code),
            param: view(&self.param),
            message: view(&self.message),
        }
    }
}

/// Whether a response's body is read for errors: failures, and 202 Accepted,
/// which bulk endpoints answer when some items failed (SPEC §1).
pub(crate) fn reads_body(status: u16) -> bool {
    status >= 400 || status == 202
}

/// What the response body of a request told us.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) enum Body<'a> {
    /// No body was logged, or it is not read for this status (see [`reads_body`]).
    #[default]
    Absent,
    /// A body was logged but is not a JSON error object (HTML, truncated, no `type`/`code`).
    Unparsed,
    /// A JSON error body.
    Error(ApiError<'a>),
    /// An `errors` array: one error per failed item of a bulk request.
    Errors(Vec<ApiError<'a>>),
}

impl Body<'_> {
    /// The same body, owning its text.
    pub(crate) fn into_owned(self) -> Body<'static> {
        match self {
            Body::Absent => Body::Absent,
            Body::Unparsed => Body::Unparsed,
            Body::Error(e) => Body::Error(e.to_static()),
            Body::Errors(items) => Body::Errors(items.iter().map(ApiError::to_static).collect()),
        }
    }
}

/// One valid request line.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Event<'a> {
    pub(crate) ts: Micros,
    pub(crate) client: Option<Cow<'a, str>>,
    pub(crate) method: Option<Cow<'a, str>>,
    /// The request target without its query string.
    pub(crate) path: Option<Cow<'a, str>>,
    pub(crate) status: u16,
    pub(crate) bytes: Option<u64>,
    pub(crate) duration_ms: Option<f64>,
    pub(crate) user_agent: Option<Cow<'a, str>>,
    pub(crate) body: Body<'a>,
}

impl Event<'_> {
    /// An event with only the mandatory fields set; parsers fill in the rest.
    pub(crate) fn new(ts: Micros, status: u16) -> Self {
        Event {
            ts,
            client: None,
            method: None,
            path: None,
            status,
            bytes: None,
            duration_ms: None,
            user_agent: None,
            body: Body::Absent,
        }
    }
}

impl Event<'_> {
    /// The same event, owning its text.
    #[cfg(test)]
    pub(crate) fn into_owned(self) -> Event<'static> {
        let own = |s: Option<Cow<'_, str>>| s.map(|s| Cow::Owned(s.into_owned()));
        Event {
            ts: self.ts,
            client: own(self.client),
            method: own(self.method),
            path: own(self.path),
            status: self.status,
            bytes: self.bytes,
            duration_ms: self.duration_ms,
            user_agent: own(self.user_agent),
            body: self.body.into_owned(),
        }
    }
}

/// `2xx`, `4xx`, … for a status in 100..=599.
pub(crate) fn status_class(status: u16) -> &'static str {
    match status / 100 {
        1 => "1xx",
        2 => "2xx",
        3 => "3xx",
        4 => "4xx",
        _ => "5xx",
    }
}

/// The title the platform documents for a status, if it documents one (SPEC §1).
pub(crate) fn status_title(status: u16) -> Option<&'static str> {
    Some(match status {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        409 => "Conflict",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => return None,
    })
}

/// Formats microseconds since the epoch as UTC RFC 3339 (`2026-11-25T06:11:42Z`,
/// with a fraction only when there is one).
pub(crate) fn format_ts(ts: Micros) -> String {
    use chrono::{DateTime, SecondsFormat};
    match DateTime::from_timestamp_micros(ts) {
        Some(dt) => dt.to_rfc3339_opts(SecondsFormat::AutoSi, true),
        None => ts.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_utc_times() {
        assert_eq!(format_ts(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_ts(1_500_000), "1970-01-01T00:00:01.500Z");
    }

    #[test]
    fn classes_and_titles() {
        assert_eq!(status_class(503), "5xx");
        assert_eq!(status_class(101), "1xx");
        assert_eq!(status_title(429), Some("Too Many Requests"));
        assert_eq!(status_title(422), None);
    }
}
