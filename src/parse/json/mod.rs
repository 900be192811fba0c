//! JSON-lines access logs: common field names are recognised (SPEC §2),
//! including Caddy v2's and Traefik v2's, and `--field` overrides them.

mod scan;
mod stream;

use super::body;
use super::time::{from_epoch_number, parse_any};
use super::Malformed;
use crate::event::{Body, Event};
use serde_json::Value;
use std::borrow::Cow;

/// The unit of a duration field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DurationUnit {
    Seconds,
    Millis,
    Nanos,
}

/// Which JSON field (a name, dots for nesting) holds each event field, in
/// order of preference. The first one present in a line wins.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldMap {
    pub time: Vec<String>,
    pub status: Vec<String>,
    pub method: Vec<String>,
    pub path: Vec<String>,
    pub client: Vec<String>,
    pub user_agent: Vec<String>,
    pub bytes: Vec<String>,
    pub body: Vec<String>,
    pub duration: Vec<(String, DurationUnit)>,
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
        }
    }
}

impl FieldMap {
    /// Applies one `--field NAME=PATH` override: PATH becomes the only field read for NAME.
    pub fn set_override(&mut self, spec: &str) -> Result<(), String> {
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
            "duration_ms" => self.duration = vec![(path, DurationUnit::Millis)],
            "duration_s" => self.duration = vec![(path, DurationUnit::Seconds)],
            "duration_ns" => self.duration = vec![(path, DurationUnit::Nanos)],
            _ => {
                return Err(format!(
                    "--field: unknown field {name:?} (known: ts, status, method, path, client, \
                     user_agent, bytes, body, duration_ms, duration_s, duration_ns)"
                ))
            }
        }
        Ok(())
    }
}

/// Parses JSON lines. Plain lines are read by the scanner (`scan.rs`), the
/// rest by the serde visitor of [`stream::Plan`]; a field map that plan
/// cannot serve goes through a `serde_json::Value`, kept in the parser so
/// events can borrow from it.
#[derive(Debug)]
pub struct JsonParser {
    fields: FieldMap,
    plan: Option<stream::Plan>,
    /// The values `plan` keeps, reused from line to line.
    caps: Vec<Option<stream::Cap<'static>>>,
    /// An escaped body string, unescaped, for the event to borrow.
    body_text: String,
    /// The error bodies read lately, by their raw text.
    bodies: body::RecentBodies,
    times: stream::TimeCache,
    doc: Value,
}

impl JsonParser {
    /// `details`: whether events need the client, user agent, bytes and duration.
    pub fn new(fields: FieldMap, details: bool) -> Self {
        JsonParser {
            plan: stream::Plan::compile(&fields, details),
            fields,
            caps: Vec::new(),
            body_text: String::new(),
            bodies: body::RecentBodies::default(),
            times: stream::TimeCache::default(),
            doc: Value::Null,
        }
    }

    pub fn parse<'a>(&'a mut self, line: &'a [u8]) -> Result<Event<'a>, Malformed> {
        let Some(plan) = &self.plan else {
            return self.parse_value(line);
        };
        let mut caps = recycle(std::mem::take(&mut self.caps));
        if plan.read(line, &mut caps).is_err() {
            self.caps = recycle(caps);
            return Err(Malformed::NotJson);
        }
        let r = plan.resolve(&mut caps, &mut self.times);
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
                self.caps = recycle(caps);
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
        let mut escaped_body = None;
        let mut raw_body = None;
        if status >= 400 {
            ev.body = match r.body {
                None => Body::Absent,
                Some(stream::Cap::BodyRaw(raw)) => {
                    raw_body = Some(*raw);
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
        self.caps = recycle(caps);
        if let Some(raw) = raw_body {
            ev.body = self.bodies.read(raw.as_bytes(), scan::unescape, true);
        } else if let Some(text) = escaped_body {
            self.body_text = text;
            let this: &'a Self = self;
            ev.body = body::from_text(this.body_text.as_bytes(), true);
        }
        Ok(ev)
    }

    /// The reference route: the whole line as a `Value`.
    fn parse_value<'a>(&'a mut self, line: &'a [u8]) -> Result<Event<'a>, Malformed> {
        self.doc = serde_json::from_slice(line).map_err(|_| Malformed::NotJson)?;
        let doc = &self.doc;
        if !doc.is_object() {
            return Err(Malformed::NotJson);
        }
        let f = &self.fields;
        let status = match first(doc, &f.status, Some) {
            None => return Err(Malformed::NoStatus),
            Some(v) => as_u64(v).ok_or(Malformed::BadStatus)?,
        };
        if !(100..=599).contains(&status) {
            return Err(Malformed::StatusOutOfRange);
        }
        let status = status as u16;
        let ts = first(doc, &f.time, Some)
            .and_then(|v| match v {
                Value::String(s) => parse_any(s),
                Value::Number(n) => n.as_f64().and_then(from_epoch_number),
                _ => None,
            })
            .ok_or(Malformed::NoTime)?;

        let mut ev = Event::new(ts, status);
        ev.method = first(doc, &f.method, as_str).map(Cow::Borrowed);
        ev.path = first(doc, &f.path, as_str).map(|s| Cow::Borrowed(path_of(s)));
        ev.client = first(doc, &f.client, as_str).map(Cow::Borrowed);
        ev.user_agent = first(doc, &f.user_agent, as_str).map(Cow::Borrowed);
        ev.bytes = first(doc, &f.bytes, as_u64);
        ev.duration_ms = f.duration.iter().find_map(|(name, unit)| {
            let n = lookup(doc, name)?.as_f64()?;
            Some(match unit {
                DurationUnit::Seconds => n * 1000.0,
                DurationUnit::Millis => n,
                DurationUnit::Nanos => n / 1e6,
            })
        });
        // `1e308` seconds is infinite milliseconds: no duration rather than `inf`.
        ev.duration_ms = ev.duration_ms.filter(|ms| ms.is_finite());
        ev.body = if status >= 400 {
            first(doc, &f.body, Some).map_or(Body::Absent, body::from_value)
        } else {
            Body::Absent
        };
        Ok(ev)
    }
}

/// The first of `names` present in `doc`, not null, and of the kind `read` accepts
/// (so `url` as an object does not hide `url.path`).
fn first<'v, T>(
    doc: &'v Value,
    names: &[String],
    read: impl Fn(&'v Value) -> Option<T>,
) -> Option<T> {
    names
        .iter()
        .find_map(|n| lookup(doc, n).filter(|v| !v.is_null()).and_then(&read))
}

/// A field by name: a literal key first (`"http.response.status_code": 200`
/// as ECS writes when flattened), then dots as nesting.
fn lookup<'v>(doc: &'v Value, name: &str) -> Option<&'v Value> {
    let obj = doc.as_object()?;
    if let Some(v) = obj.get(name) {
        return Some(v);
    }
    if !name.contains('.') {
        return None;
    }
    name.split('.')
        .try_fold(doc, |v, key| v.as_object()?.get(key))
}

/// Empties a vector of kept values and lets it hold values of another line
/// (same layout, so the allocation is reused).
fn recycle<'x, 'y>(mut v: Vec<Option<stream::Cap<'x>>>) -> Vec<Option<stream::Cap<'y>>> {
    v.clear();
    v.into_iter().map(|_| None).collect()
}

/// Whether a string field holds a value (`-` and empty do not).
fn as_str_value(s: &str) -> bool {
    !s.is_empty() && s != "-"
}

/// A string, or the first string of an array (Caddy logs headers as arrays).
fn as_str(v: &Value) -> Option<&str> {
    match v {
        Value::String(s) if as_str_value(s) => Some(s),
        Value::Array(a) => a.first().and_then(as_str),
        _ => None,
    }
}

fn as_u64(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => number_as_u64(n),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
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
    let end = memchr::memchr2(b'?', b'#', rest.as_bytes()).unwrap_or(rest.len());
    &rest[..end]
}

#[cfg(test)]
mod tests;
