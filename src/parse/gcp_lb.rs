//! Google Cloud HTTP(S) Load Balancing logs (`gcp_lb`), as Cloud Logging
//! exports them: one JSON `LogEntry` per line, the request in `httpRequest`
//! (`status`, `requestMethod`, `requestUrl` — a whole URL, of which the path
//! is kept —, `latency` as `"0.012s"`, `remoteIp`, `userAgent`,
//! `responseSize` as a string), the time in `timestamp`. Read by the JSON
//! parser with those names.
//!
//! Entries without `httpRequest.status` (a request the load balancer never
//! answered, or another entry type in the same export) are malformed with a
//! reason that names the format.

use super::json::{DurationUnit, FieldMap, JsonParser};
use super::Malformed;
use crate::event::Event;

/// The field names of a Cloud Logging load balancer entry.
fn fields() -> FieldMap {
    let one = |s: &str| vec![s.to_owned()];
    FieldMap {
        time: one("timestamp"),
        status: one("httpRequest.status"),
        method: one("httpRequest.requestMethod"),
        path: one("httpRequest.requestUrl"),
        client: one("httpRequest.remoteIp"),
        user_agent: one("httpRequest.userAgent"),
        bytes: one("httpRequest.responseSize"),
        body: Vec::new(),
        duration: vec![("httpRequest.latency".to_owned(), DurationUnit::SecondsText)],
        request_id: Vec::new(),
    }
}

/// Parses Cloud Logging load balancer entries.
#[derive(Debug)]
pub(crate) struct GcpLbParser {
    json: JsonParser,
}

impl GcpLbParser {
    pub(crate) fn new(details: bool) -> Self {
        GcpLbParser {
            json: JsonParser::new(fields(), details),
        }
    }

    pub(crate) fn parse<'a>(&'a mut self, line: &'a [u8]) -> Result<Event<'a>, Malformed> {
        self.json.parse(line).map_err(|m| match m {
            Malformed::NoStatus | Malformed::NoTime => Malformed::GcpLbFields,
            other => other,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_an_entry() {
        let mut p = GcpLbParser::new(true);
        let line = br#"{"httpRequest":{"requestMethod":"GET","requestUrl":"http://81.2.69.193:8080/static/us/three-cats.jpg?x=1","status":502,"responseSize":"157","remoteIp":"89.160.20.156","latency":"0.012s"},"timestamp":"2020-06-08T23:41:30.078651Z","jsonPayload":{"statusDetails":"failed_to_connect_to_backend"}}"#;
        let ev = p.parse(line).unwrap().into_owned();
        assert_eq!((ev.status, ev.bytes), (502, Some(157)));
        assert_eq!(ev.path.as_deref(), Some("/static/us/three-cats.jpg"));
        assert_eq!(ev.duration_ms, Some(12.0));
        assert_eq!(ev.ts, 1_591_659_690_078_651);
        let no_request = br#"{"timestamp":"2020-06-08T23:41:30Z","jsonPayload":{}}"#;
        assert_eq!(p.parse(no_request), Err(Malformed::GcpLbFields));
    }
}
