//! Command-line units: durations (`500ms`, `30s`, `5m`, `2h`, bare seconds),
//! ratios (`0.05`, `5%`) and points in time (RFC 3339, a date, or relative
//! like `2h`); and durations written back the same short way (`55s`, `1h05m`).

use crate::event::Micros;

/// Parses a duration into microseconds. A bare number means seconds.
pub(crate) fn parse_duration(s: &str) -> Result<Micros, String> {
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let scale: f64 = match unit {
        "" | "s" => 1e6,
        "ms" => 1e3,
        "m" | "min" => 60e6,
        "h" => 3600e6,
        "d" => 86_400e6,
        _ => return Err(format!("{s:?}: unknown unit (use ms, s, m, h or d)")),
    };
    let n: f64 = num
        .parse()
        .map_err(|_| format!("{s:?}: not a duration (like 500ms, 30s, 5m, 2h)"))?;
    let us = (n * scale).round();
    if !(1.0..=1e17).contains(&us) {
        return Err(format!("{s:?}: out of range"));
    }
    Ok(us as Micros)
}

/// A ratio in parts per million, or `off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RatioOrOff(pub Option<u64>);

/// `--min-ratio-sparse`: a ratio, or `off`.
pub(crate) fn parse_ratio_ppm_or_off(s: &str) -> Result<RatioOrOff, String> {
    if s.trim().eq_ignore_ascii_case("off") {
        return Ok(RatioOrOff(None));
    }
    parse_ratio_ppm(s).map(|ppm| RatioOrOff(Some(ppm)))
}

/// A decimal number `I.F` (digits only, either part may be empty but not
/// both) as an integer scaled by 10^`places`, exactly, without floats.
/// `Err(true)` when it has more than `places` decimals, `Err(false)` when
/// it is not such a number or does not fit.
pub(crate) fn parse_fixed(num: &str, places: u32) -> Result<u64, bool> {
    let (int, frac) = num.split_once('.').unwrap_or((num, ""));
    if int.is_empty() && frac.is_empty()
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(false);
    }
    if frac.len() as u32 > places {
        return Err(true);
    }
    let int: u64 = if int.is_empty() {
        0
    } else {
        int.parse().map_err(|_| false)?
    };
    let frac_val: u64 = if frac.is_empty() {
        0
    } else {
        frac.parse().map_err(|_| false)?
    };
    int.checked_mul(10u64.pow(places))
        .and_then(|v| v.checked_add(frac_val * 10u64.pow(places - frac.len() as u32)))
        .ok_or(false)
}

/// Parses a ratio into parts per million: `0.05` or `5%`, exactly, without floats.
pub(crate) fn parse_ratio_ppm(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let (num, scale_exp) = match t.strip_suffix('%') {
        Some(p) => (p.trim(), 4u32),
        None => (t, 6u32),
    };
    let ppm =
        parse_fixed(num, scale_exp).map_err(|_| format!("{s:?}: not a ratio (like 0.05 or 5%)"))?;
    if ppm > 1_000_000 {
        return Err(format!("{s:?}: a ratio is at most 1 (100%)"));
    }
    Ok(ppm)
}

/// A point in time: RFC 3339 (or any time form logs use), a plain date
/// (`2026-11-24`: that day's 00:00:00Z), or a duration meaning that long
/// before `now`.
pub(crate) fn parse_time_arg(s: &str, now: Micros) -> Result<Micros, String> {
    if let Some(t) = crate::parse::time::parse_iso(s) {
        return Ok(t);
    }
    if let Ok(day) = chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d") {
        return Ok(day
            .and_time(chrono::NaiveTime::MIN)
            .and_utc()
            .timestamp_micros());
    }
    parse_duration(s)
        .ok()
        .and_then(|d| now.checked_sub(d))
        .ok_or_else(|| {
            format!(
                "{s:?}: not a time (RFC 3339 like 2026-11-25T06:00:00Z, a date like 2026-11-25, \
                 or relative like 2h)"
            )
        })
}

/// A length of time for people, as the command line writes it: `55s`,
/// `12m`, `1h05m`, `2d03h` (rounded down to the unit shown; negative is `0s`).
pub(crate) fn format_duration(secs: i64) -> String {
    let s = secs.max(0);
    match s {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m", s / 60),
        s if s < 86_400 => format!("{}h{:02}m", s / 3600, s % 3600 / 60),
        s => format!("{}d{:02}h", s / 86_400, s % 86_400 / 3600),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("500ms"), Ok(500_000));
        assert_eq!(parse_duration("30s"), Ok(30_000_000));
        assert_eq!(parse_duration("30"), Ok(30_000_000));
        assert_eq!(parse_duration("5m"), Ok(300_000_000));
        assert_eq!(parse_duration("2h"), Ok(7_200_000_000));
        assert_eq!(parse_duration("1.5s"), Ok(1_500_000));
        assert!(parse_duration("5 parsecs").is_err());
        assert!(parse_duration("0").is_err());
        assert!(parse_duration("").is_err());
        assert!(parse_duration("-5s").is_err());
    }

    #[test]
    fn durations_too_long_to_hold_are_errors_not_overflows() {
        // 1e17 µs (about 3,000 years) is the most a duration may be.
        assert_eq!(parse_duration("100000000000s"), Ok(100_000_000_000_000_000));
        assert!(parse_duration("100000000001s").is_err());
        assert!(parse_duration("99999999999999h").is_err());
        assert!(parse_duration(&"9".repeat(400)).is_err());
        assert!(parse_duration(&format!("{}ms", "9".repeat(400))).is_err());
        assert!(parse_time_arg("99999999999999h", 1_764_064_800_000_000).is_err());
        assert!(parse_time_arg("1d", i64::MIN).is_err());
    }

    #[test]
    fn ratios_are_exact() {
        assert_eq!(parse_ratio_ppm("0.05"), Ok(50_000));
        assert_eq!(parse_ratio_ppm("5%"), Ok(50_000));
        assert_eq!(parse_ratio_ppm(".5"), Ok(500_000));
        assert_eq!(parse_ratio_ppm("0.5%"), Ok(5_000));
        assert_eq!(parse_ratio_ppm("1"), Ok(1_000_000));
        assert_eq!(parse_ratio_ppm("0"), Ok(0));
        assert!(parse_ratio_ppm("1.5").is_err());
        assert!(parse_ratio_ppm("abc").is_err());
        assert!(parse_ratio_ppm("0.0000001").is_err());
        assert!(parse_ratio_ppm(".").is_err());
        assert_eq!(parse_ratio_ppm_or_off("off"), Ok(RatioOrOff(None)));
        assert_eq!(parse_ratio_ppm_or_off("50%"), Ok(RatioOrOff(Some(500_000))));
        assert!(parse_ratio_ppm_or_off("of").is_err());
    }

    #[test]
    fn times() {
        assert_eq!(parse_time_arg("1970-01-01T00:01:00Z", 0), Ok(60_000_000));
        assert_eq!(parse_time_arg("2h", 10_000_000_000), Ok(2_800_000_000));
        assert!(parse_time_arg("noon", 0).is_err());
    }

    #[test]
    fn a_plain_date_is_that_day_at_midnight_utc() {
        let day = 1_795_478_400_000_000; // 2026-11-24T00:00:00Z
        assert_eq!(parse_time_arg("2026-11-24", 0), Ok(day));
        assert_eq!(parse_time_arg(" 2026-11-24 ", 0), Ok(day));
        assert_eq!(
            parse_time_arg("2026-11-24T00:00:00Z", 0),
            parse_time_arg("2026-11-24", 0)
        );
        assert_eq!(parse_time_arg("1970-01-01", 5), Ok(0));
        assert!(parse_time_arg("2026-02-30", 0).is_err());
        assert!(parse_time_arg("2026-13-01", 0).is_err());
        assert!(parse_time_arg("24/11/2026", 0).is_err());
        let e = parse_time_arg("2026-11-24x", 0).unwrap_err();
        assert!(e.contains("a date like 2026-11-25"), "{e}");
    }

    #[test]
    fn short_durations_at_the_unit_boundaries() {
        assert_eq!(format_duration(0), "0s");
        assert_eq!(format_duration(55), "55s");
        assert_eq!(format_duration(59), "59s");
        assert_eq!(format_duration(60), "1m");
        assert_eq!(format_duration(119), "1m");
        assert_eq!(format_duration(720), "12m");
        assert_eq!(format_duration(3599), "59m");
        assert_eq!(format_duration(3600), "1h00m");
        assert_eq!(format_duration(3900), "1h05m");
        assert_eq!(format_duration(86_399), "23h59m");
        assert_eq!(format_duration(86_400), "1d00h");
        assert_eq!(format_duration(183_600), "2d03h");
        assert_eq!(format_duration(-5), "0s");
        assert_eq!(format_duration(i64::MAX), "106751991167300d15h");
    }
}
