//! Parsers: one file per log format, all producing the one [`Event`] type.
//!
//! [`LineParser`] is the per-input dispatcher; [`detect`] picks a format for
//! an input from a sample of its first non-blank lines.

pub mod body;
pub mod clf;
pub mod json;
pub mod time;

use crate::event::Event;
use clf::{ClfParser, Flavor};
use json::{FieldMap, JsonParser};

/// Why a line is not a request in its input's format (SPEC §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Malformed {
    NoTimestamp,
    BadTime,
    NoClient,
    NoRequest,
    UnterminatedQuote,
    Truncated,
    BadStatus,
    StatusOutOfRange,
    BadBytes,
    NotJson,
    NoStatus,
    NoTime,
    TooLong,
    CutByInputError,
}

impl Malformed {
    pub fn as_str(self) -> &'static str {
        match self {
            Malformed::NoTimestamp => "no [timestamp]",
            Malformed::BadTime => "unparseable time",
            Malformed::NoClient => "no client/ident/user before the timestamp",
            Malformed::NoRequest => "no quoted request line",
            Malformed::UnterminatedQuote => "quoted field never closes (line cut short?)",
            Malformed::Truncated => "line ends early",
            Malformed::BadStatus => "no status code",
            Malformed::StatusOutOfRange => "status outside 100-599",
            Malformed::BadBytes => "bytes is not a number",
            Malformed::NotJson => "not a JSON object",
            Malformed::NoStatus => "no status field",
            Malformed::NoTime => "no time field or unparseable time",
            Malformed::TooLong => "too long (over 1 MiB)",
            Malformed::CutByInputError => "cut off by an input error",
        }
    }
}

impl std::fmt::Display for Malformed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The formats a user can force with `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormatChoice {
    Auto,
    Combined,
    Common,
    Json,
}

/// The format an input was read as, as `summary.inputs[].format` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Combined,
    Common,
    Json,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Combined => "combined",
            Format::Common => "common",
            Format::Json => "json",
        }
    }
}

/// Parses the lines of one input in its format.
#[derive(Debug)]
pub enum LineParser {
    Clf(ClfParser),
    // Boxed: the JSON parser holds a whole document and a field map.
    Json(Box<JsonParser>),
}

impl LineParser {
    pub fn new(format: Format, fields: &FieldMap) -> Self {
        match format {
            Format::Combined | Format::Common => LineParser::Clf(ClfParser::default()),
            Format::Json => LineParser::Json(Box::new(JsonParser::new(fields.clone()))),
        }
    }

    pub fn parse<'a>(&'a mut self, line: &'a [u8]) -> Result<Event<'a>, Malformed> {
        match self {
            LineParser::Clf(p) => p.parse(line).map(|(ev, _)| ev),
            LineParser::Json(p) => p.parse(line),
        }
    }
}

/// Picks the format that parses most of `sample` (the first non-blank lines
/// of an input). Ties and an empty sample go to `combined`; `common` is
/// chosen when most access-log lines lack referer and user agent.
pub fn detect(choice: FormatChoice, sample: &[&[u8]], fields: &FieldMap) -> Format {
    match choice {
        FormatChoice::Combined => return Format::Combined,
        FormatChoice::Common => return Format::Common,
        FormatChoice::Json => return Format::Json,
        FormatChoice::Auto => {}
    }
    let mut clf = ClfParser::default();
    let (mut combined, mut common) = (0usize, 0usize);
    let mut json = JsonParser::new(fields.clone());
    let mut json_ok = 0usize;
    for line in sample {
        match clf.parse(line) {
            Ok((_, Flavor::Combined)) => combined += 1,
            Ok((_, Flavor::Common)) => common += 1,
            Err(_) => {}
        }
        if json.parse(line).is_ok() {
            json_ok += 1;
        }
    }
    if json_ok > combined + common {
        Format::Json
    } else if common > combined {
        Format::Common
    } else {
        Format::Combined
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_each_format_from_a_sample() {
        let fields = FieldMap::default();
        let combined: &[&[u8]] = &[
            b"not a request",
            br#"1.2.3.4 - - [22/Jan/2019:03:56:14 +0330] "GET / HTTP/1.1" 200 5 "-" "curl""#,
        ];
        assert_eq!(
            detect(FormatChoice::Auto, combined, &fields),
            Format::Combined
        );
        let common: &[&[u8]] =
            &[br#"host - - [21/Jul/1995:14:31:46 -0400] "GET /images/ HTTP/1.0" 200 17688"#];
        assert_eq!(detect(FormatChoice::Auto, common, &fields), Format::Common);
        let json: &[&[u8]] = &[br#"{"ts":"2026-01-01T00:00:00Z","status":200}"#];
        assert_eq!(detect(FormatChoice::Auto, json, &fields), Format::Json);
        assert_eq!(detect(FormatChoice::Auto, &[], &fields), Format::Combined);
        assert_eq!(detect(FormatChoice::Json, combined, &fields), Format::Json);
    }
}
