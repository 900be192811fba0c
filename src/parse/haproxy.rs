//! HAProxy's HTTP log format (`option httplog`), with or without a syslog
//! prefix:
//!
//! `[syslog prefix] client:port [accept_date] frontend backend/server
//! TR/Tw/Tc/Tr/Ta status bytes cookie cookie flags conns queues
//! [{captured request headers}] [{captured response headers}] "request" [...]`
//!
//! The accept date (`30/Jul/2018:09:03:52.726`) carries no zone: it is the
//! proxy's local time and is read as UTC. When it is empty (`[]`), the
//! syslog prefix's time is used if it has a date (RFC 3339, as rsyslog and
//! RFC 5424 write it); the classic `Jul 30 09:03:52` has no year, so such a
//! line is malformed. `Ta` (`Tt` before 1.7), the last timer, is the
//! duration; `-1` means none. `<BADREQ>` is a request HAProxy could not read:
//! a valid request with no method or path. TCP-mode lines (three timers, no
//! request) and the proxy's own messages are not requests.

use super::words::{host_of, number, request, slash_date, status, Word, Words};
use super::Malformed;
use crate::event::Event;

/// Parses HAProxy HTTP log lines.
#[derive(Debug, Default, Clone)]
pub(crate) struct HaproxyParser;

impl HaproxyParser {
    pub(crate) fn parse<'a>(&mut self, line: &'a [u8]) -> Result<Event<'a>, Malformed> {
        let (open, close) = accept_date(line).ok_or(Malformed::HaproxyNotHttp)?;
        let inside = &line[open + 1..close];
        let ts = if inside.is_empty() {
            syslog_time(&line[..open]).ok_or(Malformed::HaproxyNoDate)?
        } else {
            slash_date(inside).ok_or(Malformed::BadTime)?
        };
        let client = client_before(line, open).and_then(host_of);

        // The timers are the first word of five `/`-separated numbers.
        let rest = &line[close + 1..];
        let mut words = Words::new(rest);
        let timers = words
            .by_ref()
            .take(4)
            .find_map(|w| w.ok().and_then(Word::bare).filter(|b| is_timers(b)))
            .ok_or(Malformed::HaproxyNotHttp)?;
        let code = match words.next() {
            Some(Ok(Word::Bare(s))) => status(s).ok_or(Malformed::BadStatus)?,
            _ => return Err(Malformed::HaproxyNotHttp),
        };
        let bytes = match words.next() {
            Some(Ok(Word::Bare(b))) => number(b.strip_prefix(b"+").unwrap_or(b)),
            _ => return Err(Malformed::HaproxyNotHttp),
        };
        let req = request_field(&rest[words.pos()..])?;

        let mut ev = Event::new(ts, code);
        ev.client = client;
        ev.bytes = bytes;
        ev.duration_ms = timers
            .rsplit(|b| *b == b'/')
            .next()
            .map(|t| t.strip_prefix(b"+").unwrap_or(t))
            .and_then(number)
            .map(|ms| ms as f64);
        if req != b"<BADREQ>" {
            (ev.method, ev.path) = request(req);
        }
        Ok(ev)
    }
}

/// The brackets of the accept date: `[dd/Mon/yyyy:...]`, or an empty `[]`
/// after a `client:port` word (a log format may leave the client out, as
/// haproxy-ingress's does; an empty pair of brackets alone says too little).
fn accept_date(line: &[u8]) -> Option<(usize, usize)> {
    memchr::memchr_iter(b'[', line).find_map(|open| {
        let t = &line[open..];
        let dated = t.len() > 21 && t[1].is_ascii_digit() && t[3] == b'/' && t[7] == b'/';
        let empty = t.get(1) == Some(&b']') && client_before(line, open).is_some();
        if !(dated || empty) {
            return None;
        }
        let close = open + memchr::memchr(b']', t)?;
        Some((open, close))
    })
}

/// The `client:port` word right before `open`, if there is one.
fn client_before(line: &[u8], open: usize) -> Option<&[u8]> {
    if open < 3 || line[open - 1] != b' ' {
        return None;
    }
    let before = &line[..open - 1];
    let word = &before[before.iter().rposition(|b| *b == b' ').map_or(0, |s| s + 1)..];
    let colon = memchr::memrchr(b':', word)?;
    (colon + 1 < word.len() && word[colon + 1..].iter().all(u8::is_ascii_digit)).then_some(word)
}

/// The time of an RFC 3339 syslog prefix (`2022-09-04T21:34:04+00:00 host
/// haproxy[8]:`, or RFC 5424's `<30>1 2022-...`).
fn syslog_time(prefix: &[u8]) -> Option<i64> {
    prefix
        .split(|b| *b == b' ')
        .take(2)
        .filter(|w| w.first().is_some_and(u8::is_ascii_digit) && w.len() >= 19)
        .find_map(|w| super::time::parse_iso(std::str::from_utf8(w).ok()?))
}

/// `TR/Tw/Tc/Tr/Ta`: five numbers (`-1` when not reached; `+` before a
/// total logged early with `option logasap`).
fn is_timers(w: &[u8]) -> bool {
    let mut parts = 0;
    for p in w.split(|b| *b == b'/') {
        let p = p
            .strip_prefix(b"+")
            .or_else(|| p.strip_prefix(b"-"))
            .unwrap_or(p);
        if p.is_empty() || !p.iter().all(u8::is_ascii_digit) {
            return false;
        }
        parts += 1;
    }
    parts == 5
}

/// The quoted request after the counters and the `{captured headers}`
/// (which may hold spaces and quotes). HAProxy writes a quote inside the
/// request as `#22`, so the next quote closes it.
fn request_field(rest: &[u8]) -> Result<&[u8], Malformed> {
    let mut i = 0;
    while i < rest.len() {
        match rest[i] {
            b' ' => i += 1,
            b'{' => {
                // To the `}` that ends this word.
                let mut j = i + 1;
                loop {
                    let close =
                        memchr::memchr(b'}', &rest[j..]).ok_or(Malformed::HaproxyNotHttp)?;
                    j += close + 1;
                    if rest.get(j).is_none_or(|b| *b == b' ') {
                        break;
                    }
                }
                i = j;
            }
            b'"' => {
                let end =
                    memchr::memchr(b'"', &rest[i + 1..]).ok_or(Malformed::UnterminatedQuote)?;
                return Ok(&rest[i + 1..i + 1 + end]);
            }
            _ => {
                i += memchr::memchr(b' ', &rest[i..]).unwrap_or(rest.len() - i);
            }
        }
    }
    Err(Malformed::HaproxyNotHttp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_httplog_lines() {
        let line = br#"Feb 25 16:19:49 192.168.4.2 haproxy[7]: 141.35.244.171:53332 [25/Feb/2019:16:19:48.143] prod_http_in~ bk_admin/nginx_sonst 0/0/7/1457/1487 503 11394 - - ---- 2/1/0/0/0 0/0 {Mozilla/5.0 (Windows NT 6.1; "x") Firefox/65.0} {} "GET /admin/colt?survey=130 HTTP/1.1""#;
        let ev = HaproxyParser.parse(line).unwrap();
        assert_eq!(
            (ev.status, ev.bytes, ev.duration_ms),
            (503, Some(11394), Some(1487.0))
        );
        assert_eq!(ev.client.as_deref(), Some("141.35.244.171"));
        assert_eq!(ev.method.as_deref(), Some("GET"));
        assert_eq!(ev.path.as_deref(), Some("/admin/colt"));
        assert_eq!(ev.ts, 1_551_111_588_143_000);
    }

    #[test]
    fn badreq_ipv6_and_empty_accept_date() {
        let bad = br#"Sep 29 08:33:00 localhost haproxy[14389]: 127.0.0.1:33317 [29/Sep/2025:08:33:00.277] f_foobar~ f_foobar/<NOSRV> -1/-1/-1/-1/0 400 0 - - CR-- 8/1/0/0/0 0/0 "<BADREQ>""#;
        let ev = HaproxyParser.parse(bad).unwrap();
        assert_eq!((ev.status, ev.method, ev.path), (400, None, None));
        assert_eq!(ev.duration_ms, Some(0.0));
        let v6 = br#"haproxy[1]: 2001:db8::1:40780 [06/Feb/2009:12:14:14.655] fe be/s1 10/0/30/69/-1 502 0 - - SH-- 1/1/1/1/0 0/0 "GET / HTTP/1.1""#;
        let ev = HaproxyParser.parse(v6).unwrap();
        assert_eq!(ev.client.as_deref(), Some("2001:db8::1"));
        assert_eq!(ev.duration_ms, None);
        let empty = br#"2022-09-04T21:34:04+00:00 lb haproxy[8]: 172.24.0.1:62106 [] main app/s 0/0/0/0/3 200 132 - - ---- 1/1/0/0/0 0/0 "GET /x HTTP/1.1""#;
        assert_eq!(
            HaproxyParser.parse(empty).unwrap().ts,
            1_662_327_244_000_000
        );
        let no_client = br#"<134>1 2020-06-15T02:58:18+00:00 lb1 ingress 40 - - [15/Jun/2020:02:58:18.042] _front_http _default_backend/srv001 0/0/0/14/14 200 246 - - ---- 1/1/0/0/0 0/0 "POST /api HTTP/1.1""#;
        let ev = HaproxyParser.parse(no_client).unwrap();
        assert_eq!((ev.status, ev.client), (200, None));
        let classic = br#"Sep  4 21:34:04 lb haproxy[8]: 172.24.0.1:62106 [] main app/s 0/0/0/0/3 200 132 - - ---- 1/1/0/0/0 0/0 "GET /x HTTP/1.1""#;
        assert_eq!(HaproxyParser.parse(classic), Err(Malformed::HaproxyNoDate));
        let tcp = b"Sep 29 08:33:00 lb haproxy[1]: 10.0.0.1:5 [29/Sep/2025:08:33:00.277] fe be/s 0/0/5007 212 -- 0/0/0/0/3 0/0";
        assert_eq!(HaproxyParser.parse(tcp), Err(Malformed::HaproxyNotHttp));
        let started = b"Feb 25 16:19:38 192.168.4.2 haproxy[1]: Proxy prod_http_in started.";
        assert_eq!(HaproxyParser.parse(started), Err(Malformed::HaproxyNotHttp));
    }
}
