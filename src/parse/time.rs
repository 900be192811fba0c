//! Timestamp parsing: `dd/Mon/yyyy:HH:MM:SS ±zzzz`, RFC 3339 / ISO 8601 and
//! epoch numbers, all converted to UTC microseconds.
//!
//! The access-log form is parsed by hand (it is on every line of a combined
//! log) and the minute part of the last timestamp is cached, since consecutive
//! lines nearly always share it.

use crate::event::Micros;
use chrono::{DateTime, NaiveDateTime};

const MICROS_PER_SEC: i64 = 1_000_000;

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = month as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

fn digits(b: &[u8]) -> Option<u32> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0')))
}

fn month_number(b: &[u8]) -> Option<u32> {
    const MONTHS: [&[u8; 3]; 12] = [
        b"jan", b"feb", b"mar", b"apr", b"may", b"jun", b"jul", b"aug", b"sep", b"oct", b"nov",
        b"dec",
    ];
    let lower = [
        b.first()?.to_ascii_lowercase(),
        b.get(1)?.to_ascii_lowercase(),
        b.get(2)?.to_ascii_lowercase(),
    ];
    MONTHS
        .iter()
        .position(|m| **m == lower)
        .map(|i| i as u32 + 1)
}

/// Parses `dd/Mon/yyyy:HH:MM:SS ±zzzz` (the `$time_local` of nginx and Apache).
pub(crate) fn parse_clf(s: &[u8]) -> Option<Micros> {
    ClfTimeCache::default().parse(s)
}

/// Remembers the minute of the last parsed access-log time, so a line in the
/// same minute and offset only parses its seconds.
#[derive(Debug, Default, Clone)]
pub(crate) struct ClfTimeCache {
    /// The last successfully parsed time without its seconds ([`minute_key`]).
    key: Option<(u128, u128)>,
    /// UTC micros of that minute.
    minute: Micros,
}

/// A time's 26 bytes but the seconds', as two 16-byte numbers (bytes 0–15
/// and 10–25, the seconds masked out): equal keys mean the same
/// `dd/Mon/yyyy:HH:MM` and offset. Two compares, where comparing the
/// parts as arrays cost about 60 instructions a line.
fn minute_key(s: &[u8; 26]) -> (u128, u128) {
    // Bytes 18 and 19 (the seconds) are bytes 8 and 9 of the second number.
    const NO_SECONDS: u128 = !(0xFFFF << 64);
    let mut low = [0u8; 16];
    let mut high = [0u8; 16];
    low.copy_from_slice(&s[..16]);
    high.copy_from_slice(&s[10..]);
    (
        u128::from_le_bytes(low),
        u128::from_le_bytes(high) & NO_SECONDS,
    )
}

impl ClfTimeCache {
    pub(crate) fn parse(&mut self, s: &[u8]) -> Option<Micros> {
        // 01/Jan/2020:00:00:00 +0000
        let s: &[u8; 26] = s.try_into().ok()?;
        if s[20] != b' ' {
            return None;
        }
        let sec = digits(&s[18..20])?;
        if s[17] != b':' || sec > 60 {
            return None;
        }
        let key = minute_key(s);
        if self.key != Some(key) {
            let minute_part: [u8; 17] = s[..17].try_into().ok()?;
            let offset_part: [u8; 5] = s[21..26].try_into().ok()?;
            self.minute = parse_clf_minute(&minute_part, &offset_part)?;
            self.key = Some(key);
        }
        Some(self.minute + i64::from(sec) * MICROS_PER_SEC)
    }
}

fn parse_clf_minute(m: &[u8; 17], off: &[u8; 5]) -> Option<Micros> {
    if m[2] != b'/' || m[6] != b'/' || m[11] != b':' || m[14] != b':' {
        return None;
    }
    let day = digits(&m[0..2])?;
    let month = month_number(&m[3..6])?;
    let year = i64::from(digits(&m[7..11])?);
    let hour = digits(&m[12..14])?;
    let min = digits(&m[15..17])?;
    if day == 0 || day > days_in_month(year, month) || hour > 23 || min > 59 {
        return None;
    }
    let sign = match off[0] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let oh = i64::from(digits(&off[1..3])?);
    let om = i64::from(digits(&off[3..5])?);
    if oh > 23 || om > 59 {
        return None;
    }
    let local = days_from_civil(year, month, day) * 86_400 + i64::from(hour * 3600 + min * 60);
    Some((local - sign * (oh * 3600 + om * 60)) * MICROS_PER_SEC)
}

/// Parses RFC 3339 / ISO 8601 (`2026-11-25T06:11:42Z`, `…42.123+01:00`,
/// a space instead of `T`); a time without an offset is read as UTC.
pub(crate) fn parse_iso(s: &str) -> Option<Micros> {
    let s = s.trim();
    if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        return Some(dt.timestamp_micros());
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%d %H:%M:%S%.f%z"] {
        if let Ok(dt) = DateTime::parse_from_str(s, fmt) {
            return Some(dt.timestamp_micros());
        }
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(dt) = NaiveDateTime::parse_from_str(s, fmt) {
            return Some(dt.and_utc().timestamp_micros());
        }
    }
    None
}

/// Epoch seconds (below 1e11), else milliseconds (below 1e14), else
/// microseconds (below 1e17), else nanoseconds. `None` for NaN, infinities,
/// negatives and numbers whose microseconds do not fit an `i64` (`1e300`):
/// a float-to-int `as` would saturate them into a bogus time.
pub(crate) fn from_epoch_number(n: f64) -> Option<Micros> {
    if !n.is_finite() || n < 0.0 {
        return None;
    }
    let micros = if n < 1e11 {
        n * 1e6
    } else if n < 1e14 {
        n * 1e3
    } else if n < 1e17 {
        n
    } else {
        n / 1e3
    }
    .round();
    // 2^63 is exact as an f64; every smaller non-negative f64 fits an i64.
    (micros < I64_END).then_some(micros as Micros)
}

/// 2^63: the first `f64` above `i64::MAX`.
const I64_END: f64 = 9_223_372_036_854_775_808.0;

/// Any time form a log field may hold: ISO, access-log, or an epoch number written as text.
pub(crate) fn parse_any(s: &str) -> Option<Micros> {
    let t = s.trim();
    if let Some(v) = parse_iso(t) {
        return Some(v);
    }
    let b = t.trim_start_matches('[').trim_end_matches(']').as_bytes();
    if let Some(v) = parse_clf(b) {
        return Some(v);
    }
    t.parse::<f64>().ok().and_then(from_epoch_number)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_log_time_with_offsets() {
        // 2019-01-22T00:26:14Z
        assert_eq!(
            parse_clf(b"22/Jan/2019:03:56:14 +0330"),
            Some(1_548_116_774 * MICROS_PER_SEC)
        );
        assert_eq!(
            parse_clf(b"21/Jul/1995:14:31:46 -0400"),
            parse_iso("1995-07-21T18:31:46Z")
        );
        assert_eq!(parse_clf(b"01/Jan/1970:00:00:00 +0000"), Some(0));
    }

    #[test]
    fn access_log_time_rejects_nonsense() {
        assert_eq!(parse_clf(b"32/Jan/2019:03:56:14 +0330"), None);
        assert_eq!(parse_clf(b"29/Feb/2019:03:56:14 +0000"), None);
        assert!(parse_clf(b"29/Feb/2020:03:56:14 +0000").is_some());
        assert_eq!(parse_clf(b"22/Foo/2019:03:56:14 +0330"), None);
        assert_eq!(parse_clf(b"22/Jan/2019:24:56:14 +0330"), None);
        assert_eq!(parse_clf(b"22/Jan/2019:03:56:14 0330"), None);
        assert_eq!(parse_clf(b"22/Jan/2019:03:56:14"), None);
    }

    proptest::proptest! {
        /// A time read after another with the same cache reads as it does alone.
        #[test]
        fn the_minute_cache_reads_as_a_fresh_parse(
            // Two values a field in most lists, so that times one field
            // apart follow each other; any values in the others.
            times in proptest::collection::vec(proptest::prop_oneof![
                "[12]9/(Jan|Feb)/20[12]9:[01]9:[01][09]:[05]9 [+-]0[01]0[09]",
                "[0-3][0-9]/(Jan|Feb|Dec)/[12][0-9]{3}:[0-2][0-9]:[0-5][0-9]:[0-6][0-9] [+-][01][0-9][0-5][0-9]",
            ], 1..12),
        ) {
            let mut cache = ClfTimeCache::default();
            for t in &times {
                proptest::prop_assert_eq!(cache.parse(t.as_bytes()), parse_clf(t.as_bytes()), "{}", t);
            }
        }
    }

    #[test]
    fn cache_does_not_leak_between_offsets() {
        let mut c = ClfTimeCache::default();
        let a = c.parse(b"22/Jan/2019:03:56:14 +0000").unwrap();
        let b = c.parse(b"22/Jan/2019:03:56:15 +0100").unwrap();
        assert_eq!(a - b, 3_599 * MICROS_PER_SEC);
    }

    #[test]
    fn iso_forms() {
        let z = parse_iso("2014-02-08T21:33:17Z").unwrap();
        assert_eq!(parse_iso("2014-02-08T22:33:17+01:00"), Some(z));
        assert_eq!(parse_iso("2014-02-08 21:33:17"), Some(z));
        assert_eq!(
            parse_iso("2014-02-08T21:33:17.054992+00:00"),
            Some(z + 54_992)
        );
        assert_eq!(parse_iso("yesterday"), None);
    }

    proptest::proptest! {
        #[test]
        fn no_text_makes_it_panic(s in "\\PC{0,40}", b in proptest::collection::vec(proptest::prelude::any::<u8>(), 26)) {
            let _ = parse_any(&s);
            let _ = parse_clf(&b);
        }

        #[test]
        fn access_log_times_agree_with_chrono(secs in 0i64..4_102_444_800, off_min in -720i64..=840) {
            let off = chrono::FixedOffset::east_opt((off_min * 60) as i32).unwrap();
            let dt = DateTime::from_timestamp(secs, 0).unwrap().with_timezone(&off);
            let text = dt.format("%d/%b/%Y:%H:%M:%S %z").to_string();
            proptest::prop_assert_eq!(parse_clf(text.as_bytes()), Some(secs * MICROS_PER_SEC), "{}", text);
        }
    }

    #[test]
    fn epoch_numbers() {
        assert_eq!(from_epoch_number(1.5), Some(1_500_000));
        assert_eq!(
            from_epoch_number(1_747_652_829_925.0),
            Some(1_747_652_829_925_000)
        );
        assert_eq!(from_epoch_number(-1.0), None);
        assert_eq!(from_epoch_number(f64::NAN), None);
    }

    #[test]
    fn epoch_numbers_beyond_i64_micros_are_no_time() {
        assert_eq!(from_epoch_number(1e300), None);
        assert_eq!(from_epoch_number(f64::MAX), None);
        assert_eq!(from_epoch_number(f64::INFINITY), None);
        assert_eq!(from_epoch_number(f64::NEG_INFINITY), None);
        // Nanoseconds: 9.2e18 µs fits an i64 (at most 9.22e18), 9.3e18 does not.
        assert_eq!(from_epoch_number(9.2e21), Some(9_200_000_000_000_000_000));
        assert_eq!(from_epoch_number(9.3e21), None);
        assert_eq!(from_epoch_number(I64_END * 1e3), None);
        assert_eq!(
            from_epoch_number(u64::MAX as f64),
            Some(18_446_744_073_709_552)
        );
        assert_eq!(parse_any("1e300"), None);
        assert_eq!(parse_any("99999999999999999999999999"), None);
    }
}
