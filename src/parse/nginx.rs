//! `--log-format`: the user pastes their nginx `log_format` string and it is
//! compiled once into literal and variable segments; each line is matched
//! against them left to right, with no regex.
//!
//! A variable's value ends where the next literal starts (a space right after
//! a comma does not count: nginx writes lists as `a, b`); a quoted variable
//! (`"$http_user_agent"`) ends at the first unescaped quote that starts the
//! next literal, so escaped quotes inside it (`\x22`, `\"`) are fine.

use super::body;
use super::clf::{non_dash, split_request, text, unescape};
use super::time::{from_epoch_number, parse_iso, ClfTimeCache};
use super::Malformed;
use crate::event::{Body, Event};
use std::sync::Arc;

/// The event field a variable fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Client,
    TimeLocal,
    TimeIso,
    Msec,
    Request,
    Method,
    Uri,
    Status,
    Bytes,
    RequestTime,
    UserAgent,
    Body,
    RequestId,
    UpstreamStatus,
    Ignored,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(Vec<u8>),
    Var { name: String, field: Field },
}

/// A compiled `log_format`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LogFormat {
    segments: Vec<Segment>,
}

/// Why a `log_format` string cannot be used; `Display` points at the spot.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("--log-format: {message}\n  {format}\n  {caret:>width$}", caret = "^", width = position + 1)]
pub(crate) struct LogFormatError {
    pub(crate) message: String,
    pub(crate) format: String,
    /// Character offset of the offending variable in `format`.
    pub(crate) position: usize,
}

fn field_of(name: &str, body_var: Option<&str>) -> Field {
    if Some(name) == body_var {
        return Field::Body;
    }
    match name {
        "remote_addr" => Field::Client,
        "time_local" => Field::TimeLocal,
        "time_iso8601" => Field::TimeIso,
        "msec" => Field::Msec,
        "request" => Field::Request,
        "request_method" => Field::Method,
        "request_uri" | "uri" => Field::Uri,
        "status" => Field::Status,
        "body_bytes_sent" => Field::Bytes,
        "request_time" => Field::RequestTime,
        "http_user_agent" => Field::UserAgent,
        "request_id" => Field::RequestId,
        "upstream_status" => Field::UpstreamStatus,
        _ => Field::Ignored,
    }
}

impl LogFormat {
    /// Compiles a `log_format` string. `body_var` names the variable holding
    /// the response body (with or without `$`).
    pub(crate) fn compile(
        format: &str,
        body_var: Option<&str>,
    ) -> Result<LogFormat, LogFormatError> {
        let body_var = body_var.map(|b| b.trim_start_matches('$'));
        let err = |message: String, position: usize| LogFormatError {
            message,
            format: format.to_owned(),
            position,
        };
        let chars: Vec<(usize, char)> = format.char_indices().collect();
        let mut segments = Vec::new();
        let mut literal = String::new();
        let mut positions = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            let (_, c) = chars[i];
            if c != '$' {
                literal.push(c);
                i += 1;
                continue;
            }
            let at = i;
            let braced = chars.get(i + 1).map(|x| x.1) == Some('{');
            let mut j = if braced { i + 2 } else { i + 1 };
            let mut name = String::new();
            while let Some(&(_, ch)) = chars.get(j) {
                if ch.is_ascii_alphanumeric() || ch == '_' {
                    name.push(ch);
                    j += 1;
                } else {
                    break;
                }
            }
            if braced {
                if chars.get(j).map(|x| x.1) != Some('}') {
                    return Err(err("`${` without a closing `}`".into(), at));
                }
                j += 1;
            }
            if name.is_empty() {
                return Err(err("`$` not followed by a variable name".into(), at));
            }
            if !literal.is_empty() {
                segments.push(Segment::Literal(std::mem::take(&mut literal).into_bytes()));
            } else if let Some(Segment::Var { name: prev, .. }) = segments.last() {
                return Err(err(
                    format!("${prev} and ${name} have nothing between them, so their values cannot be told apart"),
                    at,
                ));
            }
            let field = field_of(&name, body_var);
            segments.push(Segment::Var { name, field });
            positions.push(at);
            i = j;
        }
        if !literal.is_empty() {
            segments.push(Segment::Literal(literal.into_bytes()));
        }
        let has = |f: &[Field]| {
            segments
                .iter()
                .any(|s| matches!(s, Segment::Var { field, .. } if f.contains(field)))
        };
        if !has(&[Field::Status]) {
            return Err(err("the format has no $status".into(), 0));
        }
        if !has(&[Field::TimeLocal, Field::TimeIso, Field::Msec]) {
            return Err(err(
                "the format has no time ($time_local, $time_iso8601 or $msec)".into(),
                0,
            ));
        }
        if let Some(b) = body_var {
            if !has(&[Field::Body]) {
                return Err(err(format!("--body-var {b}: the format has no ${b}"), 0));
            }
        }
        Ok(LogFormat { segments })
    }
}

impl LogFormat {
    /// A format no line matches.
    pub(crate) fn never() -> LogFormat {
        LogFormat {
            segments: vec![Segment::Literal(b"\0never\0".to_vec())],
        }
    }
}

/// Parses lines of one compiled format.
#[derive(Debug, Clone)]
pub(crate) struct LogFormatParser {
    format: Arc<LogFormat>,
    times: ClfTimeCache,
}

impl LogFormatParser {
    pub(crate) fn new(format: Arc<LogFormat>) -> Self {
        LogFormatParser {
            format,
            times: ClfTimeCache::default(),
        }
    }

    pub(crate) fn parse<'a>(&mut self, line: &'a [u8]) -> Result<Event<'a>, Malformed> {
        let segs = &self.format.segments;
        let mut pos = 0;
        let mut ts = None;
        let mut status = None;
        let mut ev = Event::new(0, 0);
        let mut body_raw = None;
        for (i, seg) in segs.iter().enumerate() {
            let field = match seg {
                Segment::Literal(lit) => {
                    if !line[pos..].starts_with(lit) {
                        return Err(Malformed::FormatMismatch);
                    }
                    pos += lit.len();
                    continue;
                }
                Segment::Var { field, .. } => *field,
            };
            let next = match segs.get(i + 1) {
                Some(Segment::Literal(l)) => Some(l.as_slice()),
                _ => None,
            };
            let quoted = i > 0 && matches!(&segs[i - 1], Segment::Literal(l) if l.ends_with(b"\""));
            let end = value_end(line, pos, next, quoted)?;
            let value = &line[pos..end];
            pos = end;
            match field {
                Field::Client => ev.client = non_dash(text(value)),
                Field::TimeLocal => ts = Some(self.times.parse(value).ok_or(Malformed::BadTime)?),
                Field::TimeIso => {
                    let s = std::str::from_utf8(value).map_err(|_| Malformed::BadTime)?;
                    ts = Some(parse_iso(s).ok_or(Malformed::BadTime)?);
                }
                Field::Msec => {
                    let n = std::str::from_utf8(value)
                        .ok()
                        .and_then(|s| s.parse::<f64>().ok());
                    ts = Some(n.and_then(from_epoch_number).ok_or(Malformed::BadTime)?);
                }
                Field::Request => (ev.method, ev.path) = split_request(value),
                Field::Method => ev.method = non_dash(text(value)),
                Field::Uri => {
                    let end = memchr::memchr2(b'?', b'#', value).unwrap_or(value.len());
                    ev.path = non_dash(text(&value[..end]));
                }
                Field::Status => {
                    let n: u16 = std::str::from_utf8(value)
                        .ok()
                        .and_then(|s| s.parse().ok())
                        .ok_or(Malformed::BadStatus)?;
                    if !(100..=599).contains(&n) {
                        return Err(Malformed::StatusOutOfRange);
                    }
                    status = Some(n);
                }
                Field::Bytes => {
                    ev.bytes = match value {
                        b"-" => Some(0),
                        v => Some(
                            std::str::from_utf8(v)
                                .ok()
                                .and_then(|s| s.parse().ok())
                                .ok_or(Malformed::BadBytes)?,
                        ),
                    }
                }
                Field::RequestTime => {
                    ev.duration_ms = std::str::from_utf8(value)
                        .ok()
                        .and_then(|s| s.parse::<f64>().ok())
                        .map(|s| s * 1000.0)
                        // `NaN`, `inf` and overflowing numbers are no duration.
                        .filter(|ms| ms.is_finite())
                }
                Field::UserAgent => ev.user_agent = non_dash(text(value)),
                Field::Body => body_raw = Some(value),
                Field::RequestId => ev.request_id = non_dash(text(value)),
                // `502, 504` when nginx tried two upstreams: the last one answered.
                Field::UpstreamStatus => {
                    ev.upstream_status = value
                        .rsplit(|b| *b == b',' || *b == b':')
                        .next()
                        .and_then(|v| std::str::from_utf8(v.trim_ascii()).ok()?.parse().ok())
                        .filter(|n| (100..=599).contains(n));
                }
                Field::Ignored => {}
            }
        }
        ev.ts = ts.ok_or(Malformed::NoTime)?;
        ev.status = status.ok_or(Malformed::NoStatus)?;
        if crate::event::reads_body(ev.status) {
            if let Some(raw) = body_raw {
                ev.body = body::from_text(&unescape(raw), true).into_owned();
            }
        } else {
            ev.body = Body::Absent;
        }
        Ok(ev)
    }
}

/// Where a variable's value starting at `pos` ends.
fn value_end(
    line: &[u8],
    pos: usize,
    next: Option<&[u8]>,
    quoted: bool,
) -> Result<usize, Malformed> {
    let Some(next) = next else {
        return Ok(line.len());
    };
    if quoted && next.first() == Some(&b'"') {
        let mut i = pos;
        while i < line.len() {
            match line[i] {
                b'\\' => i += 2,
                b'"' if line[i..].starts_with(next) => return Ok(i),
                _ => i += 1,
            }
        }
        return Err(Malformed::UnterminatedQuote);
    }
    // nginx writes lists (`$upstream_status` as `502, 504`) with ", ": a
    // space right after a comma is inside the value, not the next separator.
    let mut from = pos;
    while let Some(i) = memchr::memmem::find(&line[from..], next) {
        let at = from + i;
        if next[0] == b' ' && at > pos && line[at - 1] == b',' {
            from = at + 1;
            continue;
        }
        return Ok(at);
    }
    Err(Malformed::FormatMismatch)
}

#[cfg(test)]
mod tests;
