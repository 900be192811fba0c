//! Envoy and Istio access logs (`envoy`), in three shapes:
//!
//! - Envoy's default text format: `[START_TIME] "METHOD PATH PROTOCOL" CODE
//!   FLAGS BYTES_RECEIVED BYTES_SENT DURATION UPSTREAM_TIME "X-FORWARDED-FOR"
//!   "USER-AGENT" "X-REQUEST-ID" "AUTHORITY" "UPSTREAM_HOST"`. Istio's text
//!   format adds response details and a quoted failure reason before the
//!   byte counts, so the counts are found as the first three numbers after
//!   the flags, and the quoted fields are counted from there.
//! - Envoy/Istio JSON (`start_time`, `response_code`, `method`, `path`,
//!   `duration`, `bytes_sent`, `x_request_id`, ...), read by the JSON parser
//!   with those names.
//! - Either of those wrapped by a container runtime: a JSON object whose
//!   `log` or `message` string holds the line (Docker's json-file, many
//!   shippers), or a text prefix before the `[` (CRI's `time stream F`,
//!   Ambassador's `ACCESS`).
//!
//! Code 0 means no HTTP response was sent (a TCP proxy line, `"- - -"`, or a
//! stream reset before a response): malformed with its own reason, like
//! Caddy's status 0.

use super::json::{unescape, DurationUnit, FieldMap, JsonParser};
use super::words::{field, iso_utc, number, request, status, Word, Words};
use super::Malformed;
use crate::event::Event;
use serde_json::value::RawValue;

/// Parses Envoy and Istio access log lines.
#[derive(Debug)]
pub(crate) struct EnvoyParser {
    json: JsonParser,
    /// A wrapped line, unescaped, for the event to borrow.
    scratch: Vec<u8>,
}

/// The field names of Envoy's and Istio's JSON access logs.
fn json_fields() -> FieldMap {
    let one = |s: &str| vec![s.to_owned()];
    FieldMap {
        time: one("start_time"),
        status: one("response_code"),
        method: one("method"),
        path: one("path"),
        client: one("downstream_remote_address"),
        user_agent: one("user_agent"),
        bytes: one("bytes_sent"),
        body: Vec::new(),
        duration: vec![("duration".to_owned(), DurationUnit::Millis)],
        request_id: vec!["x_request_id".to_owned(), "request_id".to_owned()],
    }
}

/// The `log` or `message` string of a container runtime's JSON wrapper.
#[derive(serde::Deserialize)]
struct Wrapper<'a> {
    #[serde(borrow)]
    log: Option<&'a RawValue>,
    #[serde(borrow)]
    message: Option<&'a RawValue>,
}

impl EnvoyParser {
    pub(crate) fn new(details: bool) -> Self {
        EnvoyParser {
            json: JsonParser::new(json_fields(), details),
            scratch: Vec::new(),
        }
    }

    pub(crate) fn parse<'a>(&'a mut self, line: &'a [u8]) -> Result<Event<'a>, Malformed> {
        if !line.trim_ascii_start().starts_with(b"{") {
            return parse_text(line);
        }
        let EnvoyParser { json, scratch } = self;
        let wrapped = serde_json::from_slice::<Wrapper<'_>>(line)
            .ok()
            .and_then(|w| w.log.or(w.message))
            .map(|raw| raw.get().as_bytes())
            .filter(|raw| raw.len() >= 2 && raw[0] == b'"');
        let Some(raw) = wrapped else {
            return json.parse(line).map_err(from_json);
        };
        scratch.clear();
        let inner = &raw[1..raw.len() - 1];
        if memchr::memmem::find(inner, b"\\u").is_some() {
            // \uXXXX escapes (rare in access logs): let serde decode them.
            let text: String = serde_json::from_slice(raw).map_err(|_| Malformed::NotJson)?;
            scratch.extend_from_slice(text.as_bytes());
        } else {
            unescape(inner, scratch);
        }
        let inner: &'a [u8] = scratch.as_slice().trim_ascii_end();
        if inner.trim_ascii_start().starts_with(b"{") {
            json.parse(inner).map_err(from_json)
        } else {
            parse_text(inner)
        }
    }
}

/// The JSON parser's reasons, named for Envoy where the line is not one.
fn from_json(m: Malformed) -> Malformed {
    match m {
        Malformed::StatusOutOfRange => Malformed::EnvoyNoResponse,
        Malformed::NoStatus | Malformed::NoTime => Malformed::EnvoyFields,
        other => other,
    }
}

/// One line of Envoy's (or Istio's) default text format.
fn parse_text(line: &[u8]) -> Result<Event<'_>, Malformed> {
    let open = start_time(line).ok_or(Malformed::EnvoyFields)?;
    let close = open + memchr::memchr(b']', &line[open..]).ok_or(Malformed::EnvoyFields)?;
    let ts = iso_utc(&line[open + 1..close]).ok_or(Malformed::BadTime)?;
    let mut words = Words::new(&line[close + 1..]);
    let mut next = || match words.next() {
        Some(Ok(w)) => Ok(w),
        Some(Err(())) => Err(Malformed::UnterminatedQuote),
        None => Err(Malformed::EnvoyFields),
    };
    let req = next()?.quoted().ok_or(Malformed::EnvoyFields)?;
    let code = match next()? {
        Word::Bare(b"0") => return Err(Malformed::EnvoyNoResponse),
        Word::Bare(s) => status(s).ok_or(Malformed::BadStatus)?,
        Word::Quoted(_) => return Err(Malformed::EnvoyFields),
    };
    next()?.bare().ok_or(Malformed::EnvoyFields)?; // response flags
                                                   // Bytes received, bytes sent, duration: the first three numbers.
    let mut numbers = [None; 3];
    let mut found = 0;
    while found < 3 {
        if let Word::Bare(b) = next()? {
            if let Some(n) = number(b) {
                numbers[found] = Some(n);
                found += 1;
            }
        }
    }
    // Then the upstream service time (bare), and the quoted headers.
    let mut quoted = [None; 3];
    let mut q = 0;
    while q < 3 {
        match next() {
            Ok(Word::Quoted(v)) => {
                quoted[q] = Some(v);
                q += 1;
            }
            Ok(Word::Bare(_)) => {}
            Err(_) => break,
        }
    }
    let mut ev = Event::new(ts, code);
    (ev.method, ev.path) = request(req);
    ev.bytes = numbers[1];
    ev.duration_ms = numbers[2].map(|ms| ms as f64);
    // X-Forwarded-For: the client is its last address, as for access logs.
    ev.client = quoted[0].and_then(|x| {
        let last = x.rsplit(|b| *b == b',').next().unwrap_or(x);
        field(last.trim_ascii())
    });
    ev.user_agent = quoted[1].and_then(field);
    ev.request_id = quoted[2].and_then(field);
    Ok(ev)
}

/// The `[` of `[2019-02-12T18:37:42.921Z]`: at the start, or after a short
/// prefix a container runtime or shipper put there.
fn start_time(line: &[u8]) -> Option<usize> {
    let head = &line[..line.len().min(96)];
    memchr::memchr_iter(b'[', head).find(|&i| {
        let t = &line[i + 1..];
        t.len() > 10
            && t[..4].iter().all(u8::is_ascii_digit)
            && t[4] == b'-'
            && (i == 0 || line[i - 1] == b' ')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_json_and_wrapped_lines() {
        let mut p = EnvoyParser::new(true);
        let text = br#"[2019-02-12T18:37:42.921Z] "GET /httpbin/ip HTTP/1.1" 503 UF 0 43 217 216 "172.17.0.5" "curl/7.59.0" "c62ec130-6dee-4f3b-a52b-4f0d1312d89d" "httpbin.org" "52.87.35.92:80""#;
        let ev = p.parse(text).unwrap().into_owned();
        assert_eq!(
            (ev.status, ev.bytes, ev.duration_ms),
            (503, Some(43), Some(217.0))
        );
        assert_eq!(ev.path.as_deref(), Some("/httpbin/ip"));
        assert_eq!(ev.client.as_deref(), Some("172.17.0.5"));
        assert_eq!(ev.user_agent.as_deref(), Some("curl/7.59.0"));
        assert_eq!(
            ev.request_id.as_deref(),
            Some("c62ec130-6dee-4f3b-a52b-4f0d1312d89d")
        );
        let tcp = br#"[2019-04-06T06:20:05.972Z] "- - -" 0 UF,URX 0 0 0 - "-" "-" "-" "-" "127.0.0.1:9200""#;
        assert_eq!(p.parse(tcp), Err(Malformed::EnvoyNoResponse));
        let wrapped = br#"{"message":"ACCESS [2019-02-12T18:37:42.921Z] \"GET /x HTTP/1.1\" 404 - 0 43 217 216 \"1.2.3.4\" \"curl\" \"rid-1\" \"h\" \"u\"\n","stream":"stdout"}"#;
        let ev = p.parse(wrapped).unwrap().into_owned();
        assert_eq!((ev.status, ev.request_id.as_deref()), (404, Some("rid-1")));
        let docker = br#"{"log":"[2019-02-12T18:37:42.921Z] \"GET /y HTTP/1.1\" 502 UF 0 0 5 - \"-\" \"curl\" \"rid-2\" \"h\" \"u\"\n","stream":"stdout","time":"2019-02-12T18:37:43.1Z"}"#;
        let ev = p.parse(docker).unwrap().into_owned();
        assert_eq!((ev.status, ev.path.as_deref()), (502, Some("/y")));
        // Istio's text format: response details, termination details and a
        // quoted failure reason before the byte counts.
        let istio_text = br#"[2020-11-25T21:26:18.409Z] "GET /status/418 HTTP/1.1" 418 - via_upstream - "-" 0 135 4 4 "-" "curl/7.73.0-DEV" "84961386-6d84-929d-98bd-c5aee93b5c88" "httpbin:8000" "10.44.1.27:80" outbound|8000||httpbin.foo.svc.cluster.local 10.44.1.23:37652 10.0.45.184:8000 10.44.1.23:46520 - default"#;
        let ev = p.parse(istio_text).unwrap().into_owned();
        assert_eq!(
            (ev.status, ev.bytes, ev.duration_ms),
            (418, Some(135), Some(4.0))
        );
        assert_eq!(
            ev.request_id.as_deref(),
            Some("84961386-6d84-929d-98bd-c5aee93b5c88")
        );
        let cri = br#"2019-02-12T18:37:43.139620629Z stdout F [2019-02-12T18:37:42.921Z] "GET /z HTTP/2" 200 - 0 1 2 1 "-" "c" "rid-3" "h" "u""#;
        assert_eq!(p.parse(cri).unwrap().request_id.as_deref(), Some("rid-3"));
        let istio = br#"{"start_time":"2023-01-01T00:00:00.000Z","method":"POST","path":"/v1/x?y=1","response_code":500,"duration":12,"x_request_id":"abc","bytes_sent":7}"#;
        let ev = p.parse(istio).unwrap().into_owned();
        assert_eq!(
            (ev.status, ev.duration_ms, ev.bytes),
            (500, Some(12.0), Some(7))
        );
        assert_eq!(
            (ev.path.as_deref(), ev.request_id.as_deref()),
            (Some("/v1/x"), Some("abc"))
        );
        let zero = br#"{"start_time":"2023-01-01T00:00:00.000Z","response_code":0}"#;
        assert_eq!(p.parse(zero), Err(Malformed::EnvoyNoResponse));
        let other = br#"{"ts":"2023-01-01T00:00:00Z","status":200}"#;
        assert_eq!(p.parse(other), Err(Malformed::EnvoyFields));
    }
}
