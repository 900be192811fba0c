//! JSON-lines access logs: common field names are recognised (SPEC §2),
//! including Caddy v2's and Traefik v2's, and `--field` overrides them.

mod scan;
mod stream;

/// Undoes the simple escapes of a JSON string's raw text (the envoy parser's
/// container wrapper uses it).
pub(crate) use scan::unescape;
pub(crate) use scan::Scanner;

#[cfg(test)]
mod reference;

use super::body;
use super::Malformed;
use crate::event::{Body, Event};
#[cfg(test)]
use serde_json::Value;
use std::borrow::Cow;

/// The unit of a duration field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DurationUnit {
    Seconds,
    Millis,
    Nanos,
    /// A string of seconds with an `s` suffix (`"0.012s"`), as Google
    /// Cloud Logging writes protobuf durations.
    SecondsText,
}

/// Which JSON field (a name, dots for nesting) holds each event field, in
/// order of preference. The first one present in a line wins.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FieldMap {
    pub(crate) time: Vec<String>,
    pub(crate) status: Vec<String>,
    pub(crate) method: Vec<String>,
    pub(crate) path: Vec<String>,
    pub(crate) client: Vec<String>,
    pub(crate) user_agent: Vec<String>,
    pub(crate) bytes: Vec<String>,
    pub(crate) body: Vec<String>,
    pub(crate) duration: Vec<(String, DurationUnit)>,
    pub(crate) request_id: Vec<String>,
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

impl Default for FieldMap {
    fn default() -> Self {
        use DurationUnit::*;
        FieldMap {
            // StartUTC first: Traefik also writes `time`, the second the line was written.
            time: names(&["StartUTC", "ts", "time", "timestamp", "@timestamp", "date"]),
            status: names(&[
                "status",
                "status_code",
                "statusCode",
                "http.response.status_code",
                "DownstreamStatus",
            ]),
            method: names(&[
                "method",
                "request_method",
                "http.request.method",
                "request.method",
                "RequestMethod",
            ]),
            path: names(&[
                "path",
                "uri",
                "url",
                "request_uri",
                "url.path",
                "request.uri",
                "RequestPath",
            ]),
            client: names(&[
                "client_ip",
                "remote_addr",
                "ip",
                "request.client_ip",
                "request.remote_ip",
                "ClientHost",
            ]),
            user_agent: names(&[
                "user_agent",
                "http_user_agent",
                "user_agent.original",
                "request.headers.User-Agent",
                "request_User-Agent",
            ]),
            bytes: names(&[
                "bytes",
                "body_bytes_sent",
                "bytes_sent",
                "size",
                "DownstreamContentSize",
            ]),
            body: names(&[
                "response_body",
                "resp_body",
                "body",
                "response.body",
                "error",
            ]),
            duration: vec![
                ("duration_ms".into(), Millis),
                ("latency_ms".into(), Millis),
                ("request_time".into(), Seconds),
                ("duration".into(), Seconds),
                ("Duration".into(), Nanos),
            ],
            request_id: names(&["request_id", "req_id", "requestId", "x_request_id"]),
        }
    }
}

impl FieldMap {
    /// Applies one `--field NAME=PATH` override: PATH becomes the only field read for NAME.
    pub(crate) fn set_override(&mut self, spec: &str) -> Result<(), String> {
        let (name, path) = spec
            .split_once('=')
            .filter(|(n, p)| !n.is_empty() && !p.is_empty())
            .ok_or_else(|| format!("--field wants NAME=PATH, got {spec:?}"))?;
        let path = path.to_owned();
        match name {
            "ts" | "time" => self.time = vec![path],
            "status" => self.status = vec![path],
            "method" => self.method = vec![path],
            "path" => self.path = vec![path],
            "client" => self.client = vec![path],
            "user_agent" => self.user_agent = vec![path],
            "bytes" => self.bytes = vec![path],
            "body" => self.body = vec![path],
            "request_id" => self.request_id = vec![path],
            "duration_ms" => self.duration = vec![(path, DurationUnit::Millis)],
            "duration_s" => self.duration = vec![(path, DurationUnit::Seconds)],
            "duration_ns" => self.duration = vec![(path, DurationUnit::Nanos)],
            _ => {
                return Err(format!(
                    "--field: unknown field {name:?} (known: ts, status, method, path, client, \
                     user_agent, bytes, body, request_id, duration_ms, duration_s, duration_ns)"
                ))
            }
        }
        Ok(())
    }
}

/// Parses JSON lines. Plain lines are read by the scanner (`scan.rs`), the
/// rest by the serde visitor of [`stream::KeyTree`]. The `Value` route
/// ([`JsonParser::parse_value`]) is the tests' reference and nothing else.
#[derive(Debug)]
pub(crate) struct JsonParser {
    /// The field map, for the reference route.
    #[cfg(test)]
    fields: FieldMap,
    keys: stream::KeyTree,
    /// The values `keys` keeps, reused from line to line.
    caps: stream::Caps<'static>,
    /// An escaped body string, unescaped, for the event to borrow.
    body_text: String,
    /// The error bodies read lately, by their raw text.
    bodies: body::RecentBodies,
    /// The body objects read lately, by their raw text (apart from the
    /// strings: one raw text means one thing in each).
    object_bodies: body::RecentBodies,
    times: stream::TimeCache,
    /// The reference route's document, for events to borrow from.
    #[cfg(test)]
    doc: Value,
}

impl JsonParser {
    /// `details`: whether events need the client, user agent, bytes and duration.
    pub(crate) fn new(fields: FieldMap, details: bool) -> Self {
        JsonParser {
            keys: stream::KeyTree::compile(&fields, details),
            #[cfg(test)]
            fields,
            caps: stream::Caps::default(),
            body_text: String::new(),
            bodies: body::RecentBodies::default(),
            object_bodies: body::RecentBodies::default(),
            times: stream::TimeCache::default(),
            #[cfg(test)]
            doc: Value::Null,
        }
    }

    pub(crate) fn parse<'a>(&'a mut self, line: &'a [u8]) -> Result<Event<'a>, Malformed> {
        let keys = &self.keys;
        let mut caps = std::mem::take(&mut self.caps).recycle();
        if keys.read(line, &mut caps).is_err() {
            self.caps = caps.recycle();
            return Err(Malformed::NotJson);
        }
        let r = keys.resolve(&mut caps, &mut self.times);
        let status = match r.status {
            None => Err(Malformed::NoStatus),
            Some(Err(())) => Err(Malformed::BadStatus),
            Some(Ok(n)) if !(100..=599).contains(&n) => Err(Malformed::StatusOutOfRange),
            Some(Ok(n)) => Ok(n as u16),
        };
        let ts = r.ts.flatten().ok_or(Malformed::NoTime);
        let (status, ts) = match (status, ts) {
            (Ok(s), Ok(t)) => (s, t),
            (Err(e), _) | (_, Err(e)) => {
                drop(r);
                self.caps = caps.recycle();
                return Err(e);
            }
        };
        let mut ev = Event::new(ts, status);
        ev.method = r.method;
        ev.path = r.path;
        ev.client = r.client;
        ev.user_agent = r.user_agent;
        ev.bytes = r.bytes;
        ev.duration_ms = r.duration_ms;
        ev.request_id = r.request_id;
        let mut escaped_body = None;
        let mut raw_body = None;
        let mut object_body = None;
        if crate::event::reads_body(status) {
            ev.body = match r.body {
                None => Body::Absent,
                Some(stream::Cap::BodyRaw(raw)) => {
                    raw_body = Some(*raw);
                    Body::Absent
                }
                Some(stream::Cap::BodyObj(raw)) => {
                    object_body = Some(*raw);
                    Body::Absent
                }
                Some(stream::Cap::Str(Cow::Borrowed(s))) => body::from_text(s.as_bytes(), true),
                Some(stream::Cap::Str(Cow::Owned(s))) => {
                    escaped_body = Some(std::mem::take(s));
                    Body::Absent
                }
                Some(stream::Cap::Obj(Some(b))) => std::mem::take(&mut **b),
                Some(stream::Cap::Null) => Body::Absent,
                Some(_) => Body::Unparsed,
            };
        }
        self.caps = caps.recycle();
        if let Some(raw) = raw_body {
            ev.body = self.bodies.read(raw.as_bytes(), scan::unescape_json, true);
        } else if let Some(raw) = object_body {
            // The object's text is the body's: copied, not unescaped.
            ev.body = self.object_bodies.read(
                raw.as_bytes(),
                |raw, out| out.extend_from_slice(raw),
                true,
            );
        } else if let Some(text) = escaped_body {
            self.body_text = text;
            let this: &'a Self = self;
            ev.body = body::from_text(this.body_text.as_bytes(), true);
        }
        Ok(ev)
    }
}

/// Whether a string field holds a value (`-` and empty do not).
fn as_str_value(s: &str) -> bool {
    !s.is_empty() && s != "-"
}

/// A JSON number as a count: an integer, or a float with no fraction (`200.0`)
/// that fits a `u64` (`1e300` is no count, not `u64::MAX`).
fn number_as_u64(n: &serde_json::Number) -> Option<u64> {
    // 2^64, exact as an f64: every smaller non-negative integral f64 fits a u64.
    const U64_END: f64 = 18_446_744_073_709_551_616.0;
    n.as_u64().or_else(|| {
        n.as_f64()
            .filter(|f| f.fract() == 0.0 && (0.0..U64_END).contains(f))
            .map(|f| f as u64)
    })
}

/// The path of a request target: no scheme and host, no query, no fragment.
fn path_of(target: &str) -> &str {
    let rest = ["http://", "https://"]
        .iter()
        .find_map(|p| target.strip_prefix(p))
        .map_or(target, |r| r.find('/').map_or("/", |i| &r[i..]));
    // Paths are short: `find2`'s 16-byte steps, where memchr's setup cost more.
    let end = crate::parse::find::find2(rest.as_bytes(), b'?', b'#').unwrap_or(rest.len());
    &rest[..end]
}

#[cfg(test)]
mod tests;

/// `"0.012s"` as milliseconds.
fn seconds_text_ms(s: &str) -> Option<f64> {
    let n: f64 = s.strip_suffix('s')?.trim().parse().ok()?;
    (n.is_finite() && n >= 0.0).then_some(n * 1000.0)
}
