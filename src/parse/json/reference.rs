//! The reference route, for tests only: the whole line parsed as a
//! `serde_json::Value`, then the field lists applied with plain lookups. The
//! fast reader (`scan.rs` with `stream.rs` behind it) must give exactly what
//! this gives; property tests in `tests.rs` hold it to that.

use super::{as_str_value, number_as_u64, path_of, DurationUnit, JsonParser};
use crate::event::{Body, Event};
use crate::parse::body;
use crate::parse::time::{from_epoch_number, parse_any};
use crate::parse::Malformed;
use serde_json::Value;
use std::borrow::Cow;

impl JsonParser {
    /// The reference route: the whole line as a `Value`.
    pub(crate) fn parse_value<'a>(&'a mut self, line: &'a [u8]) -> Result<Event<'a>, Malformed> {
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
            let v = lookup(doc, name)?;
            if *unit == DurationUnit::SecondsText {
                return super::seconds_text_ms(v.as_str()?);
            }
            let n = v.as_f64()?;
            Some(match unit {
                DurationUnit::Seconds => n * 1000.0,
                DurationUnit::Millis | DurationUnit::SecondsText => n,
                DurationUnit::Nanos => n / 1e6,
            })
        });
        ev.request_id = first(doc, &f.request_id, as_str).map(Cow::Borrowed);
        // `1e308` seconds is infinite milliseconds: no duration rather than `inf`.
        ev.duration_ms = ev.duration_ms.filter(|ms| ms.is_finite());
        ev.body = if crate::event::reads_body(status) {
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
