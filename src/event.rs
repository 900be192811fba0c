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
    /// A combined-format user agent left as the line wrote it (escaped),
    /// when the parser was told to leave it: `analyze` needs it only for the
    /// 5xx and the sampled requests, and decoding it for every line was a
    /// good part of a line's cost. Read either through [`Event::agent`].
    pub(crate) user_agent_raw: Option<&'a [u8]>,
    pub(crate) body: Body<'a>,
    /// The status the upstream (target, backend) answered, when a load
    /// balancer or proxy logs it apart from its own (SPEC §4).
    pub(crate) upstream_status: Option<u16>,
    /// The request id the line carries (`x_request_id`, ALB's trace id, …).
    pub(crate) request_id: Option<Cow<'a, str>>,
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
            user_agent_raw: None,
            body: Body::Absent,
            upstream_status: None,
            request_id: None,
        }
    }
}

impl Event<'_> {
    /// The user agent, decoded now when the parser left it raw.
    pub(crate) fn agent(&self) -> Option<Cow<'_, str>> {
        match self.user_agent_raw {
            Some(raw) => crate::parse::clf::agent_text(raw),
            None => self.user_agent.as_deref().map(Cow::Borrowed),
        }
    }

    /// The same event, owning its text.
    #[cfg(test)]
    pub(crate) fn into_owned(self) -> Event<'static> {
        let own = |s: Option<Cow<'_, str>>| s.map(|s| Cow::Owned(s.into_owned()));
        let user_agent = own(self.agent());
        Event {
            ts: self.ts,
            client: own(self.client),
            method: own(self.method),
            path: own(self.path),
            status: self.status,
            bytes: self.bytes,
            duration_ms: self.duration_ms,
            user_agent,
            user_agent_raw: None,
            body: self.body.into_owned(),
            upstream_status: self.upstream_status,
            request_id: own(self.request_id),
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

/// Every status with a title: the IANA HTTP Status Code Registry (RFC 9110
/// and the RFCs it cites) for 100–511, then the de-facto codes proxies and
/// load balancers write (nginx, AWS ALB, Cloudflare), with short titles.
const STATUS_TITLES: &[(u16, &str)] = &[
    // IANA
    (100, "Continue"),
    (101, "Switching Protocols"),
    (102, "Processing"),
    (103, "Early Hints"),
    (200, "OK"),
    (201, "Created"),
    (202, "Accepted"),
    (203, "Non-Authoritative Information"),
    (204, "No Content"),
    (205, "Reset Content"),
    (206, "Partial Content"),
    (207, "Multi-Status"),
    (208, "Already Reported"),
    (226, "IM Used"),
    (300, "Multiple Choices"),
    (301, "Moved Permanently"),
    (302, "Found"),
    (303, "See Other"),
    (304, "Not Modified"),
    (305, "Use Proxy"),
    (306, "(Unused)"),
    (307, "Temporary Redirect"),
    (308, "Permanent Redirect"),
    (400, "Bad Request"),
    (401, "Unauthorized"),
    (402, "Payment Required"),
    (403, "Forbidden"),
    (404, "Not Found"),
    (405, "Method Not Allowed"),
    (406, "Not Acceptable"),
    (407, "Proxy Authentication Required"),
    (408, "Request Timeout"),
    (409, "Conflict"),
    (410, "Gone"),
    (411, "Length Required"),
    (412, "Precondition Failed"),
    (413, "Content Too Large"),
    (414, "URI Too Long"),
    (415, "Unsupported Media Type"),
    (416, "Range Not Satisfiable"),
    (417, "Expectation Failed"),
    // The registry says "(Unused)"; RFC 2324's title is what servers send.
    (418, "I'm a teapot"),
    (421, "Misdirected Request"),
    (422, "Unprocessable Content"),
    (423, "Locked"),
    (424, "Failed Dependency"),
    (425, "Too Early"),
    (426, "Upgrade Required"),
    (428, "Precondition Required"),
    (429, "Too Many Requests"),
    (431, "Request Header Fields Too Large"),
    (451, "Unavailable For Legal Reasons"),
    (500, "Internal Server Error"),
    (501, "Not Implemented"),
    (502, "Bad Gateway"),
    (503, "Service Unavailable"),
    (504, "Gateway Timeout"),
    (505, "HTTP Version Not Supported"),
    (506, "Variant Also Negotiates"),
    (507, "Insufficient Storage"),
    (508, "Loop Detected"),
    (510, "Not Extended"),
    (511, "Network Authentication Required"),
    // nginx
    (444, "No Response"),
    (494, "Request Header Too Large"),
    (495, "SSL Certificate Error"),
    (496, "SSL Certificate Required"),
    (497, "HTTP Request Sent to HTTPS Port"),
    (499, "Client Closed Request"),
    // AWS Application Load Balancer
    (460, "Client Closed Connection"),
    (463, "Too Many X-Forwarded-For IPs"),
    // Cloudflare
    (520, "Unknown Origin Error"),
    (521, "Web Server Is Down"),
    (522, "Connection Timed Out"),
    (523, "Origin Is Unreachable"),
    (524, "A Timeout Occurred"),
    (525, "SSL Handshake Failed"),
    (526, "Invalid SSL Certificate"),
];

/// The standard title of a status (SPEC §1): the IANA registry's, or the
/// de-facto one of nginx, AWS ALB or Cloudflare; `None` for other codes.
pub(crate) fn status_title(status: u16) -> Option<&'static str> {
    STATUS_TITLES
        .iter()
        .find(|(code, _)| *code == status)
        .map(|(_, title)| *title)
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
        assert_eq!(status_title(299), None);
        assert_eq!(status_title(599), None);
        assert_eq!(status_title(0), None);
    }

    /// Every code of the IANA registry (and the de-facto ones) has a title,
    /// no code is listed twice, and the titles the SPEC names
    /// are exact. (The codes are listed here, not the titles, so the test is
    /// not a copy of the table.)
    #[test]
    fn every_standard_status_has_its_title() {
        let codes: &[u16] = &[
            100, 101, 102, 103, 200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302,
            303, 304, 305, 306, 307, 308, 400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410,
            411, 412, 413, 414, 415, 416, 417, 418, 421, 422, 423, 424, 425, 426, 428, 429, 431,
            444, 451, 460, 463, 494, 495, 496, 497, 499, 500, 501, 502, 503, 504, 505, 506, 507,
            508, 510, 511, 520, 521, 522, 523, 524, 525, 526,
        ];
        for code in codes {
            assert!(status_title(*code).is_some(), "{code} has no title");
        }
        let mut listed: Vec<u16> = STATUS_TITLES.iter().map(|(c, _)| *c).collect();
        listed.sort_unstable();
        listed.dedup();
        assert_eq!(listed.len(), STATUS_TITLES.len(), "a code is listed twice");
        for (code, title) in [
            (200, "OK"),
            (202, "Accepted"),
            (301, "Moved Permanently"),
            (304, "Not Modified"),
            (405, "Method Not Allowed"),
            (422, "Unprocessable Content"),
            (429, "Too Many Requests"),
            (460, "Client Closed Connection"),
            (499, "Client Closed Request"),
            (503, "Service Unavailable"),
        ] {
            assert_eq!(status_title(code), Some(title));
        }
        assert_eq!(status_title(299), None);
    }
}
