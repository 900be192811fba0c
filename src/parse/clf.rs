//! nginx / Apache access logs: the common and combined formats, optionally
//! followed by extra fields (ingress-nginx, `$request_time`, a quoted body).
//!
//! `client ident user [dd/Mon/yyyy:HH:MM:SS ±zzzz] "request" status bytes ["referer" "ua"] extras...`
//!
//! The parser walks the line once, borrowing every field; it only allocates
//! when a field holds escapes (`\x22`, `\"`) or invalid UTF-8.

use super::body;
use super::find::{find2, find_any, mask16};
use super::time::ClfTimeCache;
use super::Malformed;
use crate::event::{Body, Event};
use std::borrow::Cow;

/// Parses one line of the common or combined format.
#[derive(Debug, Clone)]
pub(crate) struct ClfParser {
    times: ClfTimeCache,
    /// The error bodies read lately, by their raw (escaped) text.
    bodies: body::RecentBodies,
    /// Whether to decode the client, user agent and duration (the line is checked the same either way).
    details: bool,
    /// With `details`: leave the user agent raw in `Event::user_agent_raw`
    /// for whoever needs it to decode it.
    lazy_agent: bool,
    /// With `details`: read `$request_time` into `Event::duration_ms`.
    durations: bool,
}

impl Default for ClfParser {
    fn default() -> Self {
        ClfParser::with_details(true)
    }
}

/// What [`ClfParser::parse`] saw beyond the event: whether the line carried
/// the combined format's referer and user agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flavor {
    Common,
    Combined,
}

/// One field after the timestamp: quoted (raw, still escaped) or bare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field<'a> {
    Quoted(&'a [u8]),
    Bare(&'a [u8]),
}

impl ClfParser {
    pub(crate) fn with_details(details: bool) -> Self {
        ClfParser {
            times: ClfTimeCache::default(),
            bodies: body::RecentBodies::default(),
            details,
            lazy_agent: false,
            durations: true,
        }
    }

    /// The same parser, reading request times or not (see `ParseOptions::durations`).
    pub(crate) fn with_durations(mut self, durations: bool) -> Self {
        self.durations = durations;
        self
    }

    /// The same parser, leaving user agents raw (see `Event::agent`).
    pub(crate) fn with_lazy_agent(mut self, lazy: bool) -> Self {
        self.lazy_agent = lazy;
        self
    }

    /// Parses one line; also says whether it carried a referer and user agent.
    pub(crate) fn parse<'a>(
        &'a mut self,
        line: &'a [u8],
    ) -> Result<(Event<'a>, Flavor), Malformed> {
        let mut flavor = Flavor::Common;
        self.parse_event(line, &mut flavor).map(|ev| (ev, flavor))
    }

    /// [`ClfParser::parse`] without the flavor: the hot path, where moving
    /// the event into a tuple and out again costs a copy of it.
    #[inline]
    pub(crate) fn parse_event<'a>(
        &'a mut self,
        line: &'a [u8],
        flavor: &mut Flavor,
    ) -> Result<Event<'a>, Malformed> {
        let open = find_timestamp(line).ok_or(Malformed::NoTimestamp)?;
        let fields = LineText::new(line);
        let ts = self
            .times
            .parse(&line[open + 1..open + 27])
            .ok_or(Malformed::BadTime)?;
        let client = if self.details {
            non_dash(fields.text(client_of(&line[..open])?))
        } else if has_client(&line[..open]) {
            None
        } else {
            return Err(Malformed::NoClient);
        };

        let mut pos = open + 28;
        let request = request_field(line, &mut pos)?;
        let status = match next_field(line, &mut pos)? {
            Some(Field::Bare(s)) => parse_status(s)?,
            _ => return Err(Malformed::BadStatus),
        };
        let bytes = match next_field(line, &mut pos)? {
            None => None,
            Some(Field::Bare(b"-")) => Some(0),
            Some(Field::Bare(b)) => Some(parse_u64(b).ok_or(Malformed::BadBytes)?),
            Some(Field::Quoted(_)) => return Err(Malformed::BadBytes),
        };

        let mut ev = Event::new(ts, status);
        ev.client = client;
        ev.bytes = bytes;
        let (method, path) = split_request_with(request, |raw| fields.text(raw));
        ev.method = method;
        ev.path = path;

        // Referer and user agent, when both are there and quoted.
        let after_bytes = pos;
        if let (Some(Field::Quoted(_)), Some(Field::Quoted(ua))) =
            (next_field(line, &mut pos)?, next_field(line, &mut pos)?)
        {
            *flavor = Flavor::Combined;
            if self.details && self.lazy_agent {
                ev.user_agent_raw = Some(ua);
            } else if self.details {
                ev.user_agent = agent_text(ua);
            }
        } else {
            pos = after_bytes;
        }

        // Extras: the first bare decimal is `$request_time`; the last quoted one may be the body.
        let mut last_quoted = None;
        // The last two bare extras: ingress-nginx ends its lines with
        // `$upstream_status $req_id`.
        let (mut before_last, mut last_bare): (&[u8], &[u8]) = (b"", b"");
        while let Some(field) = next_field(line, &mut pos)? {
            match field {
                Field::Quoted(q) => last_quoted = Some(q),
                Field::Bare(b) => {
                    (before_last, last_bare) = (last_bare, b);
                    if self.details
                        && self.durations
                        && ev.duration_ms.is_none()
                        && b.contains(&b'.')
                    {
                        if let Some(secs) = parse_decimal(b) {
                            ev.duration_ms = Some(secs * 1000.0);
                        }
                    }
                }
            }
        }
        // Hundreds of digits parse as infinity: no duration rather than `inf`.
        ev.duration_ms = ev.duration_ms.filter(|ms| ms.is_finite());
        if is_request_id(last_bare) {
            if let Ok(upstream) = parse_status(before_last) {
                ev.upstream_status = Some(upstream);
                ev.request_id = Some(fields.text(last_bare));
            }
        }
        if crate::event::reads_body(status) {
            if let Some(raw) = last_quoted {
                ev.body = self.bodies.read(raw, unescape_to, false);
            }
        } else {
            ev.body = Body::Absent;
        }
        Ok(ev)
    }
}

/// The `[` that opens `[dd/Mon/yyyy:HH:MM:SS ±zzzz]`. Searching for the shape,
/// not the first bracket, keeps a bracketed IPv6 client from confusing it.
fn find_timestamp(line: &[u8]) -> Option<usize> {
    memchr::memchr_iter(b'[', line).find(|&i| {
        let t = &line[i..];
        t.len() >= 28
            && t[1].is_ascii_digit()
            && t[2].is_ascii_digit()
            && t[3] == b'/'
            && t[27] == b']'
    })
}

/// The client is the last address of what stands before `ident user [`:
/// an IP, a host name, an X-Forwarded-For list, or a vhost followed by those.
fn client_of(prefix: &[u8]) -> Result<&[u8], Malformed> {
    // The third word from the end, found from the end (this runs on every line).
    let mut end = prefix.len();
    let mut word = (0, 0);
    for _ in 0..3 {
        while end > 0 && prefix[end - 1].is_ascii_whitespace() {
            end -= 1;
        }
        if end == 0 {
            return Err(Malformed::NoClient);
        }
        let mut start = end;
        while start > 0 && !prefix[start - 1].is_ascii_whitespace() {
            start -= 1;
        }
        word = (start, end);
        end = start;
    }
    let client_part = &prefix[word.0..word.1];
    // The last whitespace-separated token before ident may still end a quoted
    // or comma-separated list: take its last address.
    let last = client_part
        .split(|&b| b == b',' || b == b'"')
        .rfind(|t| !t.is_empty())
        .unwrap_or(client_part);
    Ok(last)
}

/// Whether [`client_of`] would find a client: three words before the
/// timestamp. Counted from the end, where they are, stopping at three.
fn has_client(prefix: &[u8]) -> bool {
    let mut words = 0;
    let mut in_word = false;
    for b in prefix.iter().rev() {
        if b.is_ascii_whitespace() {
            in_word = false;
        } else if !in_word {
            in_word = true;
            words += 1;
            if words == 3 {
                return true;
            }
        }
    }
    false
}

/// The quoted request line. Its closing quote is the first one followed by a
/// status code, so a raw quote inside a request does not cut it short.
fn request_field<'a>(line: &'a [u8], pos: &mut usize) -> Result<&'a [u8], Malformed> {
    skip_spaces(line, pos);
    match line.get(*pos) {
        Some(b'"') => {}
        Some(_) => return Err(Malformed::NoRequest),
        None => return Err(Malformed::Truncated),
    }
    let start = *pos + 1;
    let mut i = start;
    let mut first_close = None;
    // Jump from quote or backslash to the next one.
    while let Some(off) = line.get(i..).and_then(|rest| find2(rest, b'"', b'\\')) {
        let at = i + off;
        if line[at] == b'\\' {
            i = at + 2;
            continue;
        }
        first_close.get_or_insert(at);
        if followed_by_status(&line[at + 1..]) {
            *pos = at + 1;
            return Ok(&line[start..at]);
        }
        i = at + 1;
    }
    match first_close {
        Some(_) => Err(Malformed::BadStatus),
        None => Err(Malformed::UnterminatedQuote),
    }
}

fn followed_by_status(rest: &[u8]) -> bool {
    let digits_at = rest.iter().take_while(|b| **b == b' ').count();
    if digits_at == 0 {
        return false;
    }
    let r = &rest[digits_at..];
    r.len() >= 3
        && r[..3].iter().all(u8::is_ascii_digit)
        && r.get(3).is_none_or(|b| b.is_ascii_whitespace())
}

#[inline]
fn skip_spaces(line: &[u8], pos: &mut usize) {
    // Fields are nearly always one space apart: two loads decide that.
    let blank = |b: Option<&u8>| matches!(b, Some(b' ' | b'\t'));
    if !blank(line.get(*pos)) {
        return;
    }
    *pos += 1;
    while blank(line.get(*pos)) {
        *pos += 1;
    }
}

/// The next field: `"quoted"` (ends at an unescaped quote followed by a space
/// or the end), `[bracketed]`, or a bare word. `Ok(None)` at the end of the line.
#[inline]
fn next_field<'a>(line: &'a [u8], pos: &mut usize) -> Result<Option<Field<'a>>, Malformed> {
    skip_spaces(line, pos);
    let Some(&first) = line.get(*pos) else {
        return Ok(None);
    };
    let start = *pos;
    if first == b'"' {
        let end = closing_quote(line, start + 1).ok_or(Malformed::UnterminatedQuote)?;
        *pos = end + 1;
        return Ok(Some(Field::Quoted(&line[start + 1..end])));
    }
    let end = if first == b'[' {
        memchr::memchr(b']', &line[start..]).map_or(line.len(), |e| start + e + 1)
    } else {
        // Bare fields are a few bytes: memchr's setup costs more than them.
        find2(&line[start..], b' ', b'\t').map_or(line.len(), |e| start + e)
    };
    *pos = end;
    Ok(Some(Field::Bare(&line[start..end])))
}

/// The unescaped quote that closes a field opened before `from`: one followed
/// by a space, a tab or the end of the line.
///
/// A plain field ends at its first quote or backslash (memchr). One with
/// escapes ends where a SIMD substring search for `"` followed by a space
/// says, so that escaped quotes (`\"` or `\x22` every few bytes of a JSON
/// body) do not stop the search: reading the escapes byte by byte from
/// `from` cost more than the rest of the line. A quote is escaped when an
/// odd run of backslashes stands before it, which is what reading the
/// escapes from `from` gives (the first backslash of a run always starts an
/// escape). Quotes before a tab or at the end of the line are checked apart.
/// Every search starts past the last, so a line is read a bounded number of
/// times whatever it holds.
fn closing_quote(line: &[u8], from: usize) -> Option<usize> {
    let first = from + find2(line.get(from..)?, b'"', b'\\')?;
    if line[first] == b'"'
        && line
            .get(first + 1)
            .is_none_or(|b| *b == b' ' || *b == b'\t')
    {
        return Some(first);
    }
    static QUOTE_SPACE: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"\" "));
    let find_space = |i: usize| QUOTE_SPACE.find(line.get(i..)?).map(|at| i + at);
    let mut i = from;
    // The next `" ` at or after `i`; searched again only once `i` passes it
    // (escaped quotes before a tab would otherwise make the search quadratic).
    let mut space = find_space(i);
    loop {
        if space.is_some_and(|s| s < i) {
            space = find_space(i);
        }
        let at = match (
            quote_tab_or_end(line, i, space.unwrap_or(line.len())),
            space,
        ) {
            (Some(other), _) => other,
            (None, Some(space)) => space,
            (None, None) => return None,
        };
        if !escaped(line, from, at) {
            return Some(at);
        }
        i = at + 1;
    }
}

/// The first quote in `line[from..limit]` followed by a tab, or else the
/// line's last byte if it is a quote in that range.
fn quote_tab_or_end(line: &[u8], from: usize, limit: usize) -> Option<usize> {
    let tab = memchr::memchr_iter(b'\t', &line[from..limit])
        .map(|t| from + t)
        .find(|&t| t > from && line[t - 1] == b'"')
        .map(|t| t - 1);
    tab.or_else(|| {
        let last = line.len().checked_sub(1)?;
        (from <= last && last < limit && line[last] == b'"').then_some(last)
    })
}

/// Whether the byte at `at` is escaped: an odd run of backslashes stands
/// right before it, counted no further back than `from`.
fn escaped(line: &[u8], from: usize, at: usize) -> bool {
    line[from..at]
        .iter()
        .rev()
        .take_while(|b| **b == b'\\')
        .count()
        % 2
        == 1
}

/// nginx's `$request_id` (32 hex digits) or a similar hex id; a long
/// number (an epoch in nanoseconds) is not one.
fn is_request_id(s: &[u8]) -> bool {
    (16..=64).contains(&s.len())
        && s.iter().all(u8::is_ascii_hexdigit)
        && s.iter().any(u8::is_ascii_alphabetic)
}

fn parse_status(s: &[u8]) -> Result<u16, Malformed> {
    if s.len() != 3 {
        return Err(Malformed::BadStatus);
    }
    let n = parse_u64(s).ok_or(Malformed::BadStatus)?;
    if (100..=599).contains(&n) {
        Ok(n as u16)
    } else {
        Err(Malformed::StatusOutOfRange)
    }
}

fn parse_u64(s: &[u8]) -> Option<u64> {
    if s.is_empty() || s.len() > 19 || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(s.iter().fold(0u64, |acc, d| acc * 10 + u64::from(d - b'0')))
}

fn parse_decimal(s: &[u8]) -> Option<f64> {
    if !s.iter().all(|b| b.is_ascii_digit() || *b == b'.') {
        return None;
    }
    std::str::from_utf8(s).ok()?.parse().ok()
}

/// `METHOD target PROTO`, read leniently: `-` or empty is no request at all;
/// missing protocol, extra spaces and unknown methods are fine.
pub(super) fn split_request(raw: &[u8]) -> (Option<Cow<'_, str>>, Option<Cow<'_, str>>) {
    split_request_with(raw, text)
}

/// What [`u8::is_ascii_whitespace`] takes for whitespace.
const ASCII_WHITESPACE: [u8; 5] = [b' ', b'\t', b'\n', 0x0C, b'\r'];

/// [`split_request`], the method and path made text by `text`.
fn split_request_with<'a>(
    raw: &'a [u8],
    text: impl Fn(&'a [u8]) -> Cow<'a, str>,
) -> (Option<Cow<'a, str>>, Option<Cow<'a, str>>) {
    let req = raw.trim_ascii();
    if req.is_empty() || req == b"-" {
        return (None, None);
    }
    // Words split by ASCII whitespace, found sixteen bytes a step (this runs
    // on every line).
    let method_end = find_any(req, ASCII_WHITESPACE).unwrap_or(req.len());
    let method = Some(text(&req[..method_end]));
    let target_start = req[method_end..]
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .map(|s| method_end + s);
    // The path ends where the target does, or at its query or fragment:
    // whichever comes first, found in one pass.
    let path = target_start.map(|start| {
        let [space, tab, newline, feed, cr] = ASCII_WHITESPACE;
        let end = find_any(&req[start..], [space, tab, newline, feed, cr, b'?', b'#'])
            .map_or(req.len(), |e| start + e);
        text(&req[start..end])
    });
    (method, path)
}

/// A line checked once as UTF-8, with where its first backslash is, so
/// that its fields before that backslash (the client, method, path) become
/// text without a check of their own: the checks and backslash searches per
/// field cost more than one pass over the line.
struct LineText<'a> {
    line: &'a [u8],
    /// The line as text, when it is valid UTF-8.
    text: Option<&'a str>,
    /// The offset of the first backslash (the line's length if none).
    first_escape: usize,
}

impl<'a> LineText<'a> {
    fn new(line: &'a [u8]) -> Self {
        LineText {
            line,
            text: super::utf8(line),
            first_escape: memchr::memchr(b'\\', line).unwrap_or(line.len()),
        }
    }

    /// `field`, a slice of the line, as [`text`] makes it.
    fn text(&self, field: &'a [u8]) -> Cow<'a, str> {
        // The field's offset in the line; `None` if it is not a slice of it.
        let start = (field.as_ptr() as usize).checked_sub(self.line.as_ptr() as usize);
        let end = start.and_then(|s| s.checked_add(field.len()));
        if let (Some(line), Some(start), Some(end)) = (self.text, start, end) {
            if end <= self.first_escape {
                // Without escapes `text` is the bytes themselves; a field cut
                // at ASCII delimiters is whole characters (`get` checks it).
                if let Some(s) = line.get(start..end) {
                    return Cow::Borrowed(s);
                }
            }
        }
        text(field)
    }
}

/// A raw (escaped) user agent field as the event's user agent.
pub(crate) fn agent_text(raw: &[u8]) -> Option<Cow<'_, str>> {
    non_dash(text(raw))
}

pub(super) fn non_dash(s: Cow<'_, str>) -> Option<Cow<'_, str>> {
    if s.is_empty() || s == "-" {
        None
    } else {
        Some(s)
    }
}

/// A field as text: unescaped if it holds a backslash, lossy UTF-8.
pub(super) fn text(raw: &[u8]) -> Cow<'_, str> {
    match unescape(raw) {
        // The check is fast on ASCII; from_utf8_lossy is slower on valid text.
        Cow::Borrowed(b) => match super::utf8(b) {
            Some(s) => Cow::Borrowed(s),
            None => String::from_utf8_lossy(b),
        },
        Cow::Owned(v) => Cow::Owned(match String::from_utf8(v) {
            Ok(s) => s,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        }),
    }
}

/// Undoes both escape styles: nginx's `\xHH` (any byte) and backslash escapes
/// (`\"`, `\\`, `\n`, `\t`, `\r`). Anything else is kept as written.
pub(crate) fn unescape(raw: &[u8]) -> Cow<'_, [u8]> {
    if memchr::memchr(b'\\', raw).is_none() {
        return Cow::Borrowed(raw);
    }
    let mut out = Vec::with_capacity(raw.len());
    unescape_to(raw, &mut out);
    Cow::Owned(out)
}

/// Appends the unescaped bytes of `raw` to `out`.
///
/// Plain bytes go sixteen at a time (copied, then the index moved to their
/// first backslash, if any, found by one SSE2 compare), eight near the end,
/// into room made up front: an escaped body has an escape every few bytes
/// (`\x22` around every JSON string), and a search and a copy call per run
/// between them cost more than the bytes.
fn unescape_to(raw: &[u8], out: &mut Vec<u8>) {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    const BACKSLASHES: u64 = 0x5C5C_5C5C_5C5C_5C5C;
    let base = out.len();
    // Unescaping never lengthens the text, so a copy of a word at `j <= i`
    // stays inside this room.
    out.resize(base + raw.len(), 0);
    let dst = &mut out[base..];
    let (mut i, mut j) = (0, 0);
    while i < raw.len() {
        // Sixteen plain bytes a step while they last (one SSE2 compare)...
        if let Some(chunk) = raw
            .get(i..i + 16)
            .and_then(|c| <&[u8; 16]>::try_from(c).ok())
        {
            dst[j..j + 16].copy_from_slice(chunk);
            let found = mask16(chunk, b'\\');
            if found == 0 {
                i += 16;
                j += 16;
                continue;
            }
            let plain = found.trailing_zeros() as usize;
            i += plain;
            j += plain;
        } else if let Some(word) = raw.get(i..i + 8) {
            // ... then eight, near the end.
            let mut bytes = [0u8; 8];
            bytes.copy_from_slice(word);
            dst[j..j + 8].copy_from_slice(word);
            let x = u64::from_le_bytes(bytes) ^ BACKSLASHES;
            // The lowest set high bit marks the first backslash (later ones
            // may be false, never an earlier one).
            let found = x.wrapping_sub(ONES) & !x & HIGHS;
            if found == 0 {
                i += 8;
                j += 8;
                continue;
            }
            let plain = (found.trailing_zeros() / 8) as usize;
            i += plain;
            j += plain;
        }
        let b = raw[i];
        let (byte, used) = if b != b'\\' || i + 1 >= raw.len() {
            (b, 1)
        } else {
            match raw[i + 1] {
                b'x' | b'X' if i + 3 < raw.len() => match hex_byte(raw[i + 2], raw[i + 3]) {
                    Some(h) => (h, 4),
                    None => (b, 1),
                },
                c @ (b'"' | b'\\') => (c, 2),
                b'n' => (b'\n', 2),
                b't' => (b'\t', 2),
                b'r' => (b'\r', 2),
                _ => (b, 1),
            }
        };
        dst[j] = byte;
        j += 1;
        i += used;
    }
    out.truncate(base + j);
}

fn hex_byte(hi: u8, lo: u8) -> Option<u8> {
    let (h, l) = (HEX[usize::from(hi)], HEX[usize::from(lo)]);
    (h | l < 16).then_some(h << 4 | l)
}

/// The value of each hex digit; 0xFF for any other byte (a table: `\x22`
/// comes a few dozen times in every escaped body).
const HEX: [u8; 256] = {
    let mut t = [0xFF; 256];
    let mut i = 0;
    while i < 10 {
        t[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        t[b'a' as usize + i] = 10 + i as u8;
        t[b'A' as usize + i] = 10 + i as u8;
        i += 1;
    }
    t
};

#[cfg(test)]
mod tests;

#[cfg(test)]
mod fast_paths {
    use super::*;

    /// The reference reading of a quoted field's end: escapes read from the
    /// start, one byte at a time.
    fn closing_quote_reference(line: &[u8], from: usize) -> Option<usize> {
        let mut i = from;
        while i < line.len() {
            match line[i] {
                b'\\' => i += 2,
                b'"' if line.get(i + 1).is_none_or(|b| *b == b' ' || *b == b'\t') => {
                    return Some(i)
                }
                _ => i += 1,
            }
        }
        None
    }

    #[test]
    fn hex_byte_reads_every_pair_as_to_digit_does() {
        for hi in 0..=255u8 {
            for lo in 0..=255u8 {
                let want = (hi as char)
                    .to_digit(16)
                    .zip((lo as char).to_digit(16))
                    .map(|(h, l)| (h * 16 + l) as u8);
                assert_eq!(hex_byte(hi, lo), want, "{hi} {lo}");
            }
        }
    }

    /// The reference unescaping: a run copied at a time, escapes read one by one.
    fn unescape_reference(raw: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < raw.len() {
            let b = raw[i];
            let next = raw.get(i + 1).copied();
            if b != b'\\' || next.is_none() {
                out.push(b);
                i += 1;
                continue;
            }
            let digit = |at: usize| raw.get(at).and_then(|d| (*d as char).to_digit(16));
            let hex = digit(i + 2)
                .zip(digit(i + 3))
                .map(|(h, l)| (h * 16 + l) as u8);
            match (next, hex) {
                (Some(b'x' | b'X'), Some(h)) => {
                    out.push(h);
                    i += 4;
                }
                (Some(c @ (b'"' | b'\\')), _) => {
                    out.push(c);
                    i += 2;
                }
                (Some(b'n'), _) => {
                    out.push(b'\n');
                    i += 2;
                }
                (Some(b't'), _) => {
                    out.push(b'\t');
                    i += 2;
                }
                (Some(b'r'), _) => {
                    out.push(b'\r');
                    i += 2;
                }
                _ => {
                    out.push(b);
                    i += 1;
                }
            }
        }
        out
    }

    /// The reference reading: split the prefix into words, take the third from the end.
    fn split_client(prefix: &[u8]) -> Option<&[u8]> {
        let words: Vec<&[u8]> = prefix
            .split(|b| b.is_ascii_whitespace())
            .filter(|t| !t.is_empty())
            .collect();
        let part = *words.get(words.len().checked_sub(3)?)?;
        Some(
            part.split(|&b| b == b',' || b == b'"')
                .rfind(|t| !t.is_empty())
                .unwrap_or(part),
        )
    }

    proptest::proptest! {
        /// The quick check agrees with the full reading of the client.
        #[test]
        fn has_client_agrees_with_client_of(prefix in "[a-z0-9 ,\"\t-]{0,24}") {
            proptest::prop_assert_eq!(has_client(prefix.as_bytes()), client_of(prefix.as_bytes()).is_ok());
        }

        /// A field cut from a checked line reads as `text` reads it on its own.
        #[test]
        fn line_text_agrees_with_text(
            line in proptest::collection::vec(proptest::sample::select(b"a /\\x\"2\xc3\xa9\xff".to_vec()), 0..40),
            a in 0usize..40,
            b in 0usize..40,
        ) {
            let (a, b) = (a.min(line.len()), b.min(line.len()));
            let field = &line[a.min(b)..a.max(b)];
            proptest::prop_assert_eq!(LineText::new(&line).text(field), text(field));
        }

        /// The substring search finds the quote that reading the escapes one by one finds.
        #[test]
        fn closing_quote_agrees_with_reading_escapes(
            text in proptest::collection::vec(proptest::sample::select(b"ab \t\"\\x2".to_vec()), 0..50),
            from in 0usize..6,
        ) {
            let from = from.min(text.len());
            proptest::prop_assert_eq!(closing_quote(&text, from), closing_quote_reference(&text, from));
        }

        /// Unescaping into room made up front gives what the reference gives, after any prefix.
        #[test]
        fn unescape_agrees_with_the_reference(
            raw in proptest::collection::vec(proptest::sample::select(b"ax\\\"ntrX4fG\xc3".to_vec()), 0..60),
            before in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..4),
        ) {
            let mut out = before.clone();
            unescape_to(&raw, &mut out);
            let mut want = before;
            want.extend(unescape_reference(&raw));
            proptest::prop_assert_eq!(out, want);
        }

        /// The request read in one pass per word gives what splitting it into
        /// words, then cutting the target at `?` or `#`, gives.
        #[test]
        fn split_request_agrees_with_splitting_words(raw in "[A-Z/a?#= \t\n\r\x0B\x0C-]{0,40}") {
            let words: Vec<&str> = raw.split_ascii_whitespace().collect();
            let want = match words.first() {
                None | Some(&"-") if words.len() <= 1 => (None, None),
                _ => (
                    words.first().map(|m| Cow::Borrowed(*m)),
                    words
                        .get(1)
                        .map(|t| Cow::Borrowed(t.split(['?', '#']).next().unwrap_or(t))),
                ),
            };
            proptest::prop_assert_eq!(split_request(raw.as_bytes()), want);
        }

        /// Reading the words from the end finds what splitting the whole prefix finds.
        #[test]
        fn client_of_agrees_with_splitting(prefix in "[a-z0-9 ,\"\t\n-]{0,30}") {
            proptest::prop_assert_eq!(client_of(prefix.as_bytes()).ok(), split_client(prefix.as_bytes()));
        }
    }
}
