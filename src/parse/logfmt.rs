//! logfmt (`key=value key2="quoted value"`), with an optional leading RFC 3339
//! timestamp and `name[proc]:` prefix, as Heroku's router writes:
//!
//! `2014-02-08T22:46:01.123+00:00 heroku[router]: at=error code=H10 desc="App crashed" method=GET path=/ ... status=503 bytes=`
//!
//! Heroku router errors are errors: `code` and `desc` become the error code
//! and message, so `H10 App crashed` shows in the error table.

use super::body;
use super::clf::unescape;
use super::time::{from_epoch_number, parse_any, parse_iso};
use super::Malformed;
use crate::event::{ApiError, Body, Event};
use std::borrow::Cow;

/// Parses one logfmt line.
#[derive(Debug, Default, Clone)]
pub(crate) struct LogfmtParser;

/// The values of one line that map to event fields, borrowed raw (still escaped).
#[derive(Default)]
struct Fields<'a> {
    time: Option<&'a [u8]>,
    status: Option<&'a [u8]>,
    method: Option<&'a [u8]>,
    path: Option<&'a [u8]>,
    client: Option<&'a [u8]>,
    user_agent: Option<&'a [u8]>,
    bytes: Option<&'a [u8]>,
    /// A duration and the unit a bare number in it has.
    duration: Option<(&'a [u8], f64)>,
    code: Option<&'a [u8]>,
    desc: Option<&'a [u8]>,
    body: Option<&'a [u8]>,
}

impl LogfmtParser {
    pub(crate) fn parse<'a>(&mut self, line: &'a [u8]) -> Result<Event<'a>, Malformed> {
        let mut pos = 0;
        let mut leading_time = None;
        // An optional leading timestamp, then an optional `name[proc]:` prefix.
        if let Some((tok, next)) = bare_token(line, 0) {
            if !tok.contains(&b'=') {
                if let Some(t) = std::str::from_utf8(tok).ok().and_then(parse_iso) {
                    leading_time = Some(t);
                    pos = next;
                }
            }
        }
        if let Some((tok, next)) = bare_token(line, pos) {
            if tok.ends_with(b":") && !tok.contains(&b'=') {
                pos = next;
            }
        }

        let mut f = Fields::default();
        while let Some((key, value, next)) = pair(line, pos)? {
            pos = next;
            let Some(value) = value else { continue };
            match key {
                b"time" | b"ts" | b"timestamp" => f.time = Some(value),
                b"status" | b"status_code" => f.status = Some(value),
                b"method" => f.method = Some(value),
                b"path" | b"uri" | b"url" => f.path = Some(value),
                b"fwd" | b"client_ip" | b"remote_addr" | b"ip" | b"client" => {
                    f.client = Some(value)
                }
                b"user_agent" | b"ua" => f.user_agent = Some(value),
                b"bytes" | b"size" => f.bytes = Some(value),
                b"service" | b"duration" | b"request_time" => f.duration = Some((value, 1e3)),
                b"duration_ms" | b"latency_ms" => f.duration = Some((value, 1.0)),
                b"code" => f.code = Some(value),
                b"desc" => f.desc = Some(value),
                b"body" | b"response_body" | b"error" => f.body = Some(value),
                _ => {}
            }
        }

        let status = f.status.ok_or(Malformed::NoStatus)?;
        let status: u16 = std::str::from_utf8(status)
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or(Malformed::BadStatus)?;
        if !(100..=599).contains(&status) {
            return Err(Malformed::StatusOutOfRange);
        }
        let ts = match (leading_time, f.time) {
            (_, Some(t)) => {
                let text = text(t);
                parse_any(&text)
                    .or_else(|| text.parse::<f64>().ok().and_then(from_epoch_number))
                    .ok_or(Malformed::NoTime)?
            }
            (Some(t), None) => t,
            (None, None) => return Err(Malformed::NoTime),
        };

        let mut ev = Event::new(ts, status);
        ev.method = f.method.map(text);
        ev.path = f.path.map(|p| {
            let end = memchr::memchr2(b'?', b'#', p).unwrap_or(p.len());
            text(&p[..end])
        });
        ev.client = f.client.map(|c| {
            // Heroku's fwd can be a list: the client is the last address.
            let last = c
                .split(|b| *b == b',')
                .rfind(|s| !s.trim_ascii().is_empty())
                .unwrap_or(c);
            text(last.trim_ascii())
        });
        ev.user_agent = f.user_agent.map(text);
        ev.bytes = f
            .bytes
            .and_then(|b| std::str::from_utf8(b).ok()?.parse().ok());
        ev.duration_ms = f
            .duration
            .and_then(|(v, bare_scale)| duration_ms(v, bare_scale));
        if crate::event::reads_body(status) {
            ev.body = if f.code.is_some() || f.desc.is_some() {
                Body::Error(ApiError {
                    error_type: None,
                    code: f.code.map(text),
                    param: None,
                    message: f.desc.map(text),
                })
            } else if let Some(b) = f.body {
                body::from_text(&unescape(b), true).into_owned()
            } else {
                Body::Absent
            };
        }
        Ok(ev)
    }
}

/// The whitespace-delimited token at `pos` (after spaces) and where it ends.
fn bare_token(line: &[u8], pos: usize) -> Option<(&[u8], usize)> {
    let start = pos
        + line
            .get(pos..)?
            .iter()
            .take_while(|b| b.is_ascii_whitespace())
            .count();
    if start >= line.len() {
        return None;
    }
    let len = line[start..]
        .iter()
        .take_while(|b| !b.is_ascii_whitespace())
        .count();
    Some((&line[start..start + len], start + len))
}

/// The next `key=value` (value None for a bare word) and where it ends;
/// `Ok(None)` at the end of the line; an unclosed quote is malformed.
#[allow(clippy::type_complexity)]
fn pair(line: &[u8], pos: usize) -> Result<Option<(&[u8], Option<&[u8]>, usize)>, Malformed> {
    let start = pos
        + line[pos..]
            .iter()
            .take_while(|b| b.is_ascii_whitespace())
            .count();
    if start >= line.len() {
        return Ok(None);
    }
    let key_len = line[start..]
        .iter()
        .take_while(|b| !b.is_ascii_whitespace() && **b != b'=')
        .count();
    let key = &line[start..start + key_len];
    let after_key = start + key_len;
    if line.get(after_key) != Some(&b'=') {
        return Ok(Some((key, None, after_key)));
    }
    let vstart = after_key + 1;
    if line.get(vstart) == Some(&b'"') {
        let mut i = vstart + 1;
        while i < line.len() {
            match line[i] {
                b'\\' => i += 2,
                b'"' => return Ok(Some((key, Some(&line[vstart + 1..i]), i + 1))),
                _ => i += 1,
            }
        }
        return Err(Malformed::UnterminatedQuote);
    }
    let vlen = line[vstart..]
        .iter()
        .take_while(|b| !b.is_ascii_whitespace())
        .count();
    Ok(Some((
        key,
        Some(&line[vstart..vstart + vlen]),
        vstart + vlen,
    )))
}

/// `18ms`, `1.5s`, `250us`, `2m`; a bare number is multiplied by `bare_scale` to get ms.
fn duration_ms(v: &[u8], bare_scale: f64) -> Option<f64> {
    let s = std::str::from_utf8(v).ok()?;
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: f64 = num.parse().ok()?;
    let ms = match unit {
        "" => n * bare_scale,
        "ns" => n / 1e6,
        "us" | "µs" => n / 1e3,
        "ms" => n,
        "s" => n * 1e3,
        "m" => n * 60e3,
        _ => return None,
    };
    // Four hundred digits parse as infinity: no duration rather than `inf`.
    ms.is_finite().then_some(ms)
}

/// A value as text: unescaped, lossy UTF-8.
fn text(raw: &[u8]) -> Cow<'_, str> {
    match unescape(raw) {
        Cow::Borrowed(b) => String::from_utf8_lossy(b),
        Cow::Owned(v) => Cow::Owned(String::from_utf8_lossy(&v).into_owned()),
    }
}

#[cfg(test)]
mod tests;
