//! Small readers shared by the load-balancer and proxy formats (`alb`, `elb`,
//! `haproxy`, `envoy`, `w3c`): space-separated words with quoted fields,
//! statuses, request lines with absolute URLs, `host:port` pairs.
//!
//! Everything borrows from the line; nothing here allocates unless a quoted
//! field holds backslash escapes.

use super::clf::text;
use super::Malformed;
use std::borrow::Cow;

/// One field of a line: bare, or the inside of `"..."` (still escaped).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Word<'a> {
    Bare(&'a [u8]),
    Quoted(&'a [u8]),
}

impl<'a> Word<'a> {
    /// The bytes of the field, quoted or not.
    pub(crate) fn bytes(self) -> &'a [u8] {
        match self {
            Word::Bare(b) | Word::Quoted(b) => b,
        }
    }

    pub(crate) fn bare(self) -> Option<&'a [u8]> {
        match self {
            Word::Bare(b) => Some(b),
            Word::Quoted(_) => None,
        }
    }

    pub(crate) fn quoted(self) -> Option<&'a [u8]> {
        match self {
            Word::Quoted(q) => Some(q),
            Word::Bare(_) => None,
        }
    }
}

/// The fields of a line split at spaces, a quoted field running to the
/// unescaped quote that is followed by a space or the end of the line (so a
/// raw quote inside a user agent does not end it). `Some(Err(()))` for a quote
/// that never closes: the line was cut short.
#[derive(Debug, Clone)]
pub(crate) struct Words<'a> {
    line: &'a [u8],
    pos: usize,
}

impl<'a> Words<'a> {
    pub(crate) fn new(line: &'a [u8]) -> Self {
        Words { line, pos: 0 }
    }

    /// The first `N` fields of `line` and how many there were (the rest
    /// empty), or a quote that never closes.
    pub(crate) fn first<const N: usize>(
        line: &'a [u8],
    ) -> Result<([Word<'a>; N], usize), Malformed> {
        let mut f: [Word<'a>; N] = [Word::Bare(b""); N];
        let mut n = 0;
        for w in Words::new(line).take(N) {
            f[n] = w.map_err(|()| Malformed::UnterminatedQuote)?;
            n += 1;
        }
        Ok((f, n))
    }

    /// Where the next field starts looking (after the last one read).
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }
}

impl<'a> Iterator for Words<'a> {
    type Item = Result<Word<'a>, ()>;

    fn next(&mut self) -> Option<Self::Item> {
        let line = self.line;
        while line.get(self.pos) == Some(&b' ') {
            self.pos += 1;
        }
        let start = self.pos;
        let first = *line.get(start)?;
        if first == b'"' {
            let mut i = start + 1;
            while i < line.len() {
                match line[i] {
                    b'\\' => i += 2,
                    b'"' if line.get(i + 1).is_none_or(|b| *b == b' ') => {
                        self.pos = i + 1;
                        return Some(Ok(Word::Quoted(&line[start + 1..i])));
                    }
                    _ => i += 1,
                }
            }
            self.pos = line.len();
            return Some(Err(()));
        }
        let end = memchr::memchr(b' ', &line[start..]).map_or(line.len(), |e| start + e);
        self.pos = end;
        Some(Ok(Word::Bare(&line[start..end])))
    }
}

/// A three-digit status in 100–599.
pub(crate) fn status(s: &[u8]) -> Option<u16> {
    if s.len() != 3 || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n = s.iter().fold(0u16, |acc, d| acc * 10 + u16::from(d - b'0'));
    (100..=599).contains(&n).then_some(n)
}

/// An unsigned integer; `None` for `-` and anything else.
pub(crate) fn number(s: &[u8]) -> Option<u64> {
    if s.is_empty() || s.len() > 19 || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(s.iter().fold(0u64, |acc, d| acc * 10 + u64::from(d - b'0')))
}

/// A decimal number such as `0.000043` or `-1`.
pub(crate) fn decimal(s: &[u8]) -> Option<f64> {
    if s.is_empty()
        || !s
            .iter()
            .all(|b| b.is_ascii_digit() || *b == b'.' || *b == b'-')
    {
        return None;
    }
    std::str::from_utf8(s)
        .ok()?
        .parse::<f64>()
        .ok()
        .filter(|f| f.is_finite())
}

/// Text for an event field: `None` for `-` and empty.
pub(crate) fn field(raw: &[u8]) -> Option<Cow<'_, str>> {
    (!raw.is_empty() && raw != b"-").then(|| text(raw))
}

/// The address of `addr:port` (`10.0.0.1:80`, `[2001:db8::1]:443`,
/// `2001:db8::1:443` as HAProxy writes IPv6); `None` for `-`.
pub(crate) fn host_of(addr: &[u8]) -> Option<Cow<'_, str>> {
    if let Some(inner) = addr.strip_prefix(b"[") {
        let end = memchr::memchr(b']', inner).unwrap_or(inner.len());
        return field(&inner[..end]);
    }
    let host = match memchr::memrchr(b':', addr) {
        Some(i) if addr[i + 1..].iter().all(u8::is_ascii_digit) => &addr[..i],
        _ => addr,
    };
    field(host)
}

/// The method and path of `METHOD target PROTO`: `-` is none, and an
/// absolute target (`http://host:80/p?q`, as load balancers log it) keeps
/// only its path, without the query.
pub(crate) fn request(raw: &[u8]) -> (Option<Cow<'_, str>>, Option<Cow<'_, str>>) {
    let mut parts = raw.split(|b| *b == b' ').filter(|p| !p.is_empty());
    let method = parts.next().and_then(field);
    let path = parts.next().and_then(|t| field(path_of(t)));
    (method, path)
}

/// The path of a request target: no scheme and host, no query, no fragment.
pub(crate) fn path_of(target: &[u8]) -> &[u8] {
    let rest = match memchr::memmem::find(target, b"://") {
        Some(i) if i > 0 && target[..i].iter().all(u8::is_ascii_alphabetic) => {
            let after = &target[i + 3..];
            match memchr::memchr(b'/', after) {
                Some(s) => &after[s..],
                None => b"/",
            }
        }
        _ => target,
    };
    let end = memchr::memchr2(b'?', b'#', rest).unwrap_or(rest.len());
    &rest[..end]
}

/// `yyyy-mm-dd` and `HH:MM:SS[.fff]` as UTC microseconds.
pub(crate) fn date_time(date: &[u8], time: &[u8]) -> Option<i64> {
    let d = |s: &[u8]| -> Option<u32> {
        s.iter()
            .try_fold(0u32, |acc, b| {
                b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0'))
            })
            .filter(|_| !s.is_empty())
    };
    if date.len() != 10 || date[4] != b'-' || date[7] != b'-' {
        return None;
    }
    if time.len() < 8 || time[2] != b':' || time[5] != b':' {
        return None;
    }
    let day = chrono::NaiveDate::from_ymd_opt(
        i32::try_from(d(&date[..4])?).ok()?,
        d(&date[5..7])?,
        d(&date[8..10])?,
    )?;
    let micros = match time.get(8) {
        None => 0,
        Some(b'.') => {
            let frac = &time[9..];
            if frac.is_empty() || frac.len() > 9 {
                return None;
            }
            let n = d(frac)?;
            // Scale to six digits.
            let mut v = u64::from(n);
            let mut len = frac.len();
            while len < 6 {
                v *= 10;
                len += 1;
            }
            while len > 6 {
                v /= 10;
                len -= 1;
            }
            v as u32
        }
        Some(_) => return None,
    };
    let at = day.and_hms_micro_opt(d(&time[..2])?, d(&time[3..5])?, d(&time[6..8])?, micros)?;
    Some(at.and_utc().timestamp_micros())
}

/// An ISO 8601 UTC time as load balancers write it
/// (`2018-07-02T22:23:00.186641Z`), read without a general parser; any
/// other form (an offset, a space for `T`, more than nine fraction digits)
/// goes to `parse_iso`.
pub(crate) fn iso_utc(s: &[u8]) -> Option<i64> {
    match s {
        [date @ .., b'Z'] if date.len() >= 19 && date[10] == b'T' => {
            date_time(&date[..10], &date[11..])
        }
        _ => None,
    }
    .or_else(|| super::time::parse_iso(std::str::from_utf8(s).ok()?))
}

/// `dd/Mon/yyyy:HH:MM:SS[.mmm]` (HAProxy's accept date, no zone) as UTC.
pub(crate) fn slash_date(s: &[u8]) -> Option<i64> {
    if s.len() < 20 || s[2] != b'/' || s[6] != b'/' || s[11] != b':' {
        return None;
    }
    const MONTHS: [&[u8]; 12] = [
        b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
        b"Dec",
    ];
    let month = MONTHS.iter().position(|m| *m == &s[3..6])? + 1;
    let mut date = [0u8; 10];
    date[..4].copy_from_slice(&s[7..11]);
    date[4] = b'-';
    date[5] = b'0' + (month / 10) as u8;
    date[6] = b'0' + (month % 10) as u8;
    date[7] = b'-';
    date[8..].copy_from_slice(&s[..2]);
    date_time(&date, &s[12..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_quoted_and_bare() {
        let w: Vec<_> = Words::new(br#"a "b c" "d \" e" f"#).collect();
        assert_eq!(
            w,
            vec![
                Ok(Word::Bare(b"a")),
                Ok(Word::Quoted(b"b c")),
                Ok(Word::Quoted(br#"d \" e"#)),
                Ok(Word::Bare(b"f")),
            ]
        );
        let cut: Vec<_> = Words::new(br#"a "b c"#).collect();
        assert_eq!(cut, vec![Ok(Word::Bare(b"a")), Err(())]);
    }

    #[test]
    fn targets_hosts_and_times() {
        assert_eq!(path_of(b"http://www.example.com:80/a/b?x=1"), b"/a/b");
        assert_eq!(path_of(b"https://h"), b"/");
        assert_eq!(path_of(b"/p#f"), b"/p");
        assert_eq!(host_of(b"10.0.0.1:80").as_deref(), Some("10.0.0.1"));
        assert_eq!(host_of(b"[::1]:80").as_deref(), Some("::1"));
        assert_eq!(host_of(b"2001:db8::1:443").as_deref(), Some("2001:db8::1"));
        assert_eq!(host_of(b"-:22222"), None);
        assert_eq!(
            date_time(b"2018-01-01", b"08:09:10"),
            Some(1_514_794_150_000_000)
        );
        assert_eq!(
            date_time(b"2018-01-01", b"08:09:10.5"),
            Some(1_514_794_150_500_000)
        );
        assert_eq!(
            slash_date(b"01/Jan/2018:08:09:10.250"),
            Some(1_514_794_150_250_000)
        );
        assert_eq!(date_time(b"2018-13-01", b"08:09:10"), None);
        assert_eq!(
            iso_utc(b"2018-07-02T22:23:00.186641Z"),
            Some(1_530_570_180_186_641)
        );
        assert_eq!(
            iso_utc(b"2018-07-02T22:23:00Z"),
            Some(1_530_570_180_000_000)
        );
        assert_eq!(
            iso_utc(b"2018-07-02T23:23:00+01:00"),
            Some(1_530_570_180_000_000)
        );
        // Past nine fraction digits, the general parser decides.
        assert_eq!(
            iso_utc(b"2018-07-02T22:23:00.1234567891Z"),
            Some(1_530_570_180_123_456)
        );
        assert_eq!(
            iso_utc(b"2018-07-02 22:23:00Z"),
            Some(1_530_570_180_000_000)
        );
        assert_eq!(iso_utc(b"2018-07-02T25:23:00Z"), None);
        assert_eq!(status(b"000"), None);
        assert_eq!(status(b"503"), Some(503));
    }
}
