//! Parsers: one file per log format, all producing the one [`Event`] type.
//!
//! [`LineParser`] is the per-input dispatcher; [`detect_format`] picks a format for
//! an input from a sample of its first non-blank lines.

pub(crate) mod alb;
pub(crate) mod body;
pub(crate) mod clf;
pub(crate) mod cloudfront;
pub(crate) mod elb;
pub(crate) mod envoy;
pub(crate) mod find;
pub(crate) mod gcp_lb;
pub(crate) mod haproxy;
pub(crate) mod json;
pub(crate) mod logfmt;
pub(crate) mod nginx;
pub(crate) mod time;
pub(crate) mod vhost_combined;
pub(crate) mod w3c;
pub(crate) mod words;

use crate::event::Event;
use alb::AlbParser;
use clf::{ClfParser, Flavor};
use elb::ElbParser;
use envoy::EnvoyParser;
use gcp_lb::GcpLbParser;
use haproxy::HaproxyParser;
use json::{FieldMap, JsonParser};
use logfmt::LogfmtParser;
use nginx::{LogFormat, LogFormatParser};
use std::sync::Arc;
use vhost_combined::VhostParser;
use w3c::W3cParser;

/// `bytes` as text if they are valid UTF-8. Every line (and error body) is
/// checked once: simdutf8 checks 32 bytes a step where the standard
/// library's check goes a word at a time, and the check was 4 % of a run.
#[inline]
pub(crate) fn utf8(bytes: &[u8]) -> Option<&str> {
    simdutf8::basic::from_utf8(bytes).ok()
}

/// Why a line is not a request in its input's format (SPEC §3).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub(crate) enum Malformed {
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
    FormatMismatch,
    TooLong,
    CutByInputError,
    TimeOutOfRange,
    AlbOtherRecord,
    AlbFields,
    ElbTcp,
    ElbFields,
    CloudfrontNoHeader,
    CloudfrontHeader,
    CloudfrontColumns,
    CloudfrontNoResponse,
    W3cNoHeader,
    W3cHeader,
    W3cColumns,
    HaproxyNotHttp,
    HaproxyNoDate,
    EnvoyFields,
    EnvoyNoResponse,
    GcpLbFields,
    VhostNoPrefix,
}

impl Malformed {
    pub(crate) fn as_str(self) -> &'static str {
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
            Malformed::FormatMismatch => "does not match --log-format",
            Malformed::TooLong => "too long (over 1 MiB)",
            Malformed::CutByInputError => "cut off by an input error",
            Malformed::TimeOutOfRange => "time out of range (before 1990 or over a day ahead)",
            Malformed::AlbOtherRecord => {
                "alb: an NLB (tls) or connection-log record, not an HTTP request"
            }
            Malformed::AlbFields => {
                "alb: fields missing or out of place for an ALB access log line"
            }
            Malformed::ElbTcp => "elb: a TCP/SSL listener line (status -), not an HTTP request",
            Malformed::ElbFields => {
                "elb: fields missing or out of place for a Classic ELB access log line"
            }
            Malformed::CloudfrontNoHeader => "cloudfront: no #Fields header before this line",
            Malformed::CloudfrontHeader => {
                "cloudfront: the #Fields header names no date, time or sc-status"
            }
            Malformed::CloudfrontColumns => {
                "cloudfront: not as many fields as the #Fields header names (line cut short?)"
            }
            Malformed::CloudfrontNoResponse => "cloudfront: status 000 (the viewer went away)",
            Malformed::W3cNoHeader => "w3c: no #Fields header before this line",
            Malformed::W3cHeader => "w3c: the #Fields header names no date, time or sc-status",
            Malformed::W3cColumns => "w3c: not as many fields as the #Fields header names",
            Malformed::HaproxyNotHttp => {
                "haproxy: not an HTTP log line (TCP mode, or a message of the proxy)"
            }
            Malformed::HaproxyNoDate => "haproxy: empty accept date and no dated syslog header",
            Malformed::EnvoyFields => {
                "envoy: fields missing or out of place for an Envoy access log line"
            }
            Malformed::EnvoyNoResponse => "envoy: response code 0 (no HTTP response was sent)",
            Malformed::GcpLbFields => "gcp_lb: no httpRequest.status or timestamp",
            Malformed::VhostNoPrefix => "vhost_combined: no host:port before the client",
        }
    }
}

impl Malformed {
    /// Whether the line was recognised as one of its format's own records
    /// that are not requests (an ELB TCP line, an NLB record in an ALB
    /// bucket, a response code 0): evidence of the format, though not a request.
    pub(crate) fn is_of_format(self) -> bool {
        matches!(
            self,
            Malformed::AlbOtherRecord
                | Malformed::ElbTcp
                | Malformed::CloudfrontNoResponse
                | Malformed::EnvoyNoResponse
        )
    }
}

impl std::fmt::Display for Malformed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The formats a user can force with `--format` (or `--log-format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FormatChoice {
    Auto,
    Combined,
    Common,
    Json,
    Logfmt,
    /// `--log-format`: every input uses [`ParseOptions::log_format`].
    NginxConfig,
    /// One of the formats that only `auto` or its own name picks.
    Only(Format),
}

/// How lines are parsed: the same for every input of a run.
#[derive(Debug, Clone)]
pub(crate) struct ParseOptions {
    pub(crate) format: FormatChoice,
    pub(crate) fields: FieldMap,
    /// The compiled `--log-format`, when given.
    pub(crate) log_format: Option<Arc<LogFormat>>,
    /// Whether access-log events carry the client, user agent and duration.
    /// `query` shows them; reports never use them, and decoding them is a
    /// good part of a line's cost. Lines are checked the same either way.
    pub(crate) details: bool,
    /// With `details`: leave combined-format user agents raw
    /// (`Event::agent` decodes them). Only for readers that go through
    /// `Event::agent` (`analyze`).
    pub(crate) lazy_agent: bool,
    /// With `details`: read a request's duration (an access log's
    /// `$request_time`, a JSON line's `duration_ms`, ...). Reports never use
    /// it, and parsing a float on every line costs (`analyze` turns it off):
    /// a JSON float went through serde_json, 4 % of a clean JSON line.
    pub(crate) durations: bool,
}

impl Default for ParseOptions {
    fn default() -> Self {
        ParseOptions {
            format: FormatChoice::Auto,
            fields: FieldMap::default(),
            log_format: None,
            details: true,
            lazy_agent: false,
            durations: true,
        }
    }
}

/// The format an input was read as, as `summary.inputs[].format` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Combined,
    Common,
    Json,
    /// JSON lines written by Caddy v2 (`http.log.access`).
    Caddy,
    /// JSON lines written by Traefik v2.
    Traefik,
    Logfmt,
    NginxConfig,
    Alb,
    Elb,
    Cloudfront,
    Haproxy,
    Envoy,
    W3c,
    GcpLb,
    VhostCombined,
}

/// The load-balancer and proxy formats, most specific first: on a tie in
/// detection, the earlier one wins.
const PROXY_FORMATS: [Format; 8] = [
    Format::Alb,
    Format::Elb,
    Format::Cloudfront,
    Format::W3c,
    Format::Haproxy,
    Format::Envoy,
    Format::GcpLb,
    Format::VhostCombined,
];

impl Format {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Format::Combined => "combined",
            Format::Common => "common",
            Format::Json => "json",
            Format::Caddy => "caddy",
            Format::Traefik => "traefik",
            Format::Logfmt => "logfmt",
            Format::NginxConfig => "log_format",
            Format::Alb => "alb",
            Format::Elb => "elb",
            Format::Cloudfront => "cloudfront",
            Format::Haproxy => "haproxy",
            Format::Envoy => "envoy",
            Format::W3c => "w3c",
            Format::GcpLb => "gcp_lb",
            Format::VhostCombined => "vhost_combined",
        }
    }

    /// The inverse of [`Format::name`].
    pub(crate) fn from_name(name: &str) -> Option<Format> {
        [
            Format::Combined,
            Format::Common,
            Format::Json,
            Format::Caddy,
            Format::Traefik,
            Format::Logfmt,
            Format::NginxConfig,
        ]
        .into_iter()
        .chain(PROXY_FORMATS)
        .find(|f| f.name() == name)
    }

    /// Whether `#Fields` header lines define the columns of the lines after them.
    pub(crate) fn has_headers(self) -> bool {
        matches!(self, Format::W3c | Format::Cloudfront)
    }
}

/// How a sample reads in one format.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Score {
    /// Lines that are requests.
    pub(crate) parsed: usize,
    /// Lines that are the format's own non-request records (see
    /// [`Malformed::is_of_format`]).
    pub(crate) known: usize,
    /// Lines that are not directives.
    pub(crate) lines: usize,
}

/// Parses the lines of one input in its format.
#[derive(Debug)]
pub(crate) enum LineParser {
    Clf(ClfParser),
    // Boxed: the JSON parser holds a whole document and a field map.
    Json(Box<JsonParser>),
    Logfmt(LogfmtParser),
    LogFormat(LogFormatParser),
    Alb(AlbParser),
    Elb(ElbParser),
    W3c(Box<W3cParser>),
    Haproxy(HaproxyParser),
    // Boxed: both hold a JSON parser.
    Envoy(Box<EnvoyParser>),
    GcpLb(Box<GcpLbParser>),
    Vhost(VhostParser),
}

impl LineParser {
    pub(crate) fn new(format: Format, opts: &ParseOptions) -> Self {
        match format {
            Format::Combined | Format::Common => LineParser::Clf(
                ClfParser::with_details(opts.details)
                    .with_lazy_agent(opts.lazy_agent)
                    .with_durations(opts.durations),
            ),
            Format::Json | Format::Caddy | Format::Traefik => {
                let mut fields = opts.fields.clone();
                // Not read, so not captured: the value is checked and passed over.
                if !opts.durations {
                    fields.duration.clear();
                }
                LineParser::Json(Box::new(JsonParser::new(fields, opts.details)))
            }
            Format::Logfmt => LineParser::Logfmt(LogfmtParser),
            Format::NginxConfig => match &opts.log_format {
                Some(f) => LineParser::LogFormat(LogFormatParser::new(f.clone())),
                // The plan only chooses LogFormat with a compiled format; an
                // empty format matches nothing rather than guessing another.
                None => LineParser::LogFormat(LogFormatParser::new(Arc::new(LogFormat::never()))),
            },
            Format::Alb => LineParser::Alb(AlbParser),
            Format::Elb => LineParser::Elb(ElbParser),
            Format::Cloudfront => LineParser::W3c(Box::new(cloudfront::parser())),
            Format::W3c => LineParser::W3c(Box::new(W3cParser::new(w3c::Flavor::Iis))),
            Format::Haproxy => LineParser::Haproxy(HaproxyParser),
            Format::Envoy => LineParser::Envoy(Box::new(EnvoyParser::new(opts.details))),
            Format::GcpLb => LineParser::GcpLb(Box::new(GcpLbParser::new(opts.details))),
            Format::VhostCombined => LineParser::Vhost(VhostParser::new(opts.details)),
        }
    }

    /// Reads `line` as a directive of the format (a `#...` line of W3C
    /// logs) if it is one: such lines are neither requests nor malformed,
    /// and are skipped like blank lines.
    #[inline]
    pub(crate) fn directive(&mut self, line: &[u8]) -> bool {
        match self {
            LineParser::W3c(p) => p.directive(line),
            _ => false,
        }
    }

    /// Starts a block of a source whose last `#Fields` line before the
    /// block is `header` (see `w3c`): parsers of other formats keep no
    /// state between lines that depends on the file.
    pub(crate) fn resume(&mut self, header: Option<&[u8]>) {
        if let LineParser::W3c(p) = self {
            p.resume(header);
        }
    }

    /// How `sample` reads in this format, directives left out.
    pub(crate) fn score(&mut self, sample: &[&[u8]]) -> Score {
        let mut score = Score::default();
        for line in sample {
            if self.directive(line) {
                continue;
            }
            score.lines += 1;
            match self.parse(line) {
                Ok(_) => score.parsed += 1,
                Err(m) if m.is_of_format() => score.known += 1,
                Err(_) => {}
            }
        }
        score
    }

    #[inline]
    pub(crate) fn parse<'a>(&'a mut self, line: &'a [u8]) -> Result<Event<'a>, Malformed> {
        match self {
            LineParser::Clf(p) => p.parse_event(line, &mut Flavor::Common),
            LineParser::Json(p) => p.parse(line),
            LineParser::Logfmt(p) => p.parse(line),
            LineParser::LogFormat(p) => p.parse(line),
            LineParser::Alb(p) => p.parse(line),
            LineParser::Elb(p) => p.parse(line),
            LineParser::W3c(p) => p.parse(line),
            LineParser::Haproxy(p) => p.parse(line),
            LineParser::Envoy(p) => p.parse(line),
            LineParser::GcpLb(p) => p.parse(line),
            LineParser::Vhost(p) => p.parse(line),
        }
    }
}

/// Picks the format that parses most of `sample` (the first non-blank lines
/// of an input), so a few odd lines at the top (Heroku's platform messages,
/// application output) do not decide it. When no format parses any line, the
/// shape of the lines decides; an empty sample is `combined`.
pub(crate) fn detect_format(opts: &ParseOptions, sample: &[&[u8]]) -> Format {
    match opts.format {
        FormatChoice::Combined => return Format::Combined,
        FormatChoice::Common => return Format::Common,
        FormatChoice::Json => return json_flavor(sample),
        FormatChoice::Logfmt => return Format::Logfmt,
        FormatChoice::NginxConfig => return Format::NginxConfig,
        FormatChoice::Only(format) => return format,
        FormatChoice::Auto => {}
    }
    let mut clf = ClfParser::default();
    let mut json = JsonParser::new(opts.fields.clone(), true);
    let mut logfmt = LogfmtParser;
    let (mut combined, mut common, mut json_ok, mut logfmt_ok) = (0usize, 0usize, 0usize, 0usize);
    for line in sample {
        match clf.parse(line) {
            Ok((_, Flavor::Combined)) => combined += 1,
            Ok((_, Flavor::Common)) => common += 1,
            Err(_) => {}
        }
        json_ok += usize::from(json.parse(line).is_ok());
        logfmt_ok += usize::from(logfmt.parse(line).is_ok());
    }
    let clf_ok = combined + common;
    // The load-balancer and proxy formats win ties with the general ones
    // (a vhost_combined line is also a combined one; a Cloud Logging entry
    // may also be read as plain JSON): they say more about the file.
    let general = clf_ok.max(json_ok).max(logfmt_ok);
    let mut best: Option<(Format, usize)> = None;
    let mut own_records: Option<(Format, usize)> = None;
    for format in PROXY_FORMATS {
        let score = LineParser::new(format, opts).score(sample);
        let parsed = score.parsed;
        if parsed > 0 && parsed >= general && best.is_none_or(|(_, b)| parsed > b) {
            best = Some((format, parsed));
        }
        if score.known * 2 > score.lines && own_records.is_none_or(|(_, k)| score.known > k) {
            own_records = Some((format, score.known));
        }
    }
    if let Some((format, _)) = best {
        return format;
    }
    if clf_ok + json_ok + logfmt_ok == 0 {
        // No request anywhere, but most lines are one format's own other
        // records (an ELB's TCP listener lines): that format.
        if let Some((format, _)) = own_records {
            return format;
        }
        return by_shape(sample);
    }
    if json_ok > clf_ok && json_ok >= logfmt_ok {
        json_flavor(sample)
    } else if logfmt_ok > clf_ok {
        Format::Logfmt
    } else if common > combined {
        Format::Common
    } else {
        Format::Combined
    }
}

/// Names the writer of a JSON-lines input when its field names show it.
fn json_flavor(sample: &[&[u8]]) -> Format {
    let has = |needle: &[u8]| {
        sample
            .iter()
            .filter(|l| memchr::memmem::find(l, needle).is_some())
            .count()
    };
    let (caddy, traefik) = (has(b"\"http.log.access"), has(b"\"DownstreamStatus\""));
    if caddy > sample.len() / 2 {
        Format::Caddy
    } else if traefik > sample.len() / 2 {
        Format::Traefik
    } else {
        Format::Json
    }
}

/// When no line parses: W3C headers, JSON objects, then `key=value` lines,
/// else combined.
fn by_shape(sample: &[&[u8]]) -> Format {
    if let Some(header) = sample.iter().find(|l| l.starts_with(b"#Fields:")) {
        return if memchr::memmem::find(header, b"x-edge-").is_some() {
            Format::Cloudfront
        } else {
            Format::W3c
        };
    }
    // `2026-11-25 10:00:00 ...` with no header: W3C lines whose header was
    // lost (a file cut from the middle of a log), so that each is reported
    // as such rather than as a line without an access-log `[timestamp]`.
    let w3c_like = sample
        .iter()
        .filter(|l| {
            l.len() > 20
                && words::date_time(&l[..10], &l[11..19]).is_some()
                && l[10] == b' '
                && l[19] == b' '
        })
        .count();
    if w3c_like * 2 > sample.len() {
        return Format::W3c;
    }
    let json = sample
        .iter()
        .filter(|l| l.trim_ascii_start().starts_with(b"{"))
        .count();
    let logfmt = sample
        .iter()
        .filter(|l| {
            l.split(|b| *b == b' ')
                .filter(|t| t.len() > 1 && t[1..].contains(&b'='))
                .count()
                >= 2
        })
        .count();
    if json * 2 > sample.len() {
        Format::Json
    } else if logfmt * 2 > sample.len() {
        Format::Logfmt
    } else {
        Format::Combined
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_each_format_from_a_sample() {
        let auto = ParseOptions::default();
        let combined: &[&[u8]] = &[
            b"not a request",
            br#"1.2.3.4 - - [22/Jan/2019:03:56:14 +0330] "GET / HTTP/1.1" 200 5 "-" "curl""#,
        ];
        assert_eq!(detect_format(&auto, combined), Format::Combined);
        let common: &[&[u8]] =
            &[br#"host - - [21/Jul/1995:14:31:46 -0400] "GET /images/ HTTP/1.0" 200 17688"#];
        assert_eq!(detect_format(&auto, common), Format::Common);
        let json: &[&[u8]] = &[br#"{"ts":"2026-01-01T00:00:00Z","status":200}"#];
        assert_eq!(detect_format(&auto, json), Format::Json);
        assert_eq!(detect_format(&auto, &[]), Format::Combined);
        let forced_json = ParseOptions {
            format: FormatChoice::Json,
            ..ParseOptions::default()
        };
        assert_eq!(detect_format(&forced_json, combined), Format::Json);
        let caddy: &[&[u8]] = &[br#"{"level":"info","ts":1747652829.9,"logger":"http.log.access.log0","request":{"method":"GET","uri":"/"},"status":200}"#];
        assert_eq!(detect_format(&auto, caddy), Format::Caddy);
        let traefik: &[&[u8]] = &[br#"{"DownstreamStatus":404,"RequestMethod":"HEAD","RequestPath":"/","StartUTC":"2021-02-05T11:55:53.478224329Z"}"#];
        assert_eq!(detect_format(&auto, traefik), Format::Traefik);
    }

    /// Without `durations`, a JSON line's duration is not read, and
    /// nothing else about the line changes: what is valid stays valid.
    #[test]
    fn json_durations_are_read_only_when_asked_for() {
        let with = ParseOptions::default();
        let without = ParseOptions {
            durations: false,
            ..ParseOptions::default()
        };
        let line = br#"{"time":"2026-11-24T09:00:00Z","status":503,"path":"/v1/x","duration_ms":59.5,"bytes":12}"#;
        let mut read = LineParser::new(Format::Json, &with);
        let mut skipped = LineParser::new(Format::Json, &without);
        let a = read
            .parse(line)
            .map(|e| (e.duration_ms, e.status, e.bytes, e.ts));
        let b = skipped
            .parse(line)
            .map(|e| (e.duration_ms, e.status, e.bytes, e.ts));
        assert_eq!(a.map(|t| t.0), Ok(Some(59.5)));
        assert_eq!(b.map(|t| t.0), Ok(None));
        assert_eq!(a.map(|t| (t.1, t.2, t.3)), b.map(|t| (t.1, t.2, t.3)));
        // A duration serde_json cannot read fails the line either way.
        let bad = br#"{"time":"2026-11-24T09:00:00Z","status":503,"duration_ms":1e400}"#;
        assert_eq!(read.parse(bad).err(), Some(Malformed::NotJson));
        assert_eq!(skipped.parse(bad).err(), Some(Malformed::NotJson));
    }

    #[test]
    fn a_heroku_log_is_logfmt_even_when_it_opens_with_platform_lines() {
        let auto = ParseOptions::default();
        let heroku: &[&[u8]] = &[
            b"2014-02-08T21:33:17.054992+00:00 heroku[api]: Enable Logplex by someone@example.com",
            b"2014-02-08T21:35:42.337354+00:00 app[web.1]: 10.214.127.48 - - [Sat, 08 Feb 2014 23:33:54 GMT] \"GET / HTTP/1.1\" 404 -",
            b"2014-02-08T21:35:46.735245+00:00 heroku[router]: at=info method=GET path=/ host=x fwd=\"1.2.3.4\" service=21ms status=404 bytes=35",
        ];
        assert_eq!(detect_format(&auto, heroku), Format::Logfmt);
        // Nothing parses yet: the shape decides.
        let no_requests: &[&[u8]] = &[
            b"at=info msg=starting dyno=web.1",
            b"at=info msg=listening port=5000",
        ];
        assert_eq!(detect_format(&auto, no_requests), Format::Logfmt);
        let json_no_status: &[&[u8]] = &[br#"{"msg":"boot"}"#];
        assert_eq!(detect_format(&auto, json_no_status), Format::Json);
    }

    /// The format that parses most of the sample wins, whatever else
    /// almost matches; the load-balancer formats only win ties.
    #[test]
    fn the_majority_decides_between_general_and_proxy_formats() {
        let auto = ParseOptions::default();
        let nginx: &[u8] =
            br#"1.2.3.4 - - [22/Jan/2019:03:56:14 +0330] "GET / HTTP/1.1" 200 5 "-" "curl""#;
        let vhost: &[u8] = br#"api.example.com:443 1.2.3.4 - - [22/Jan/2019:03:56:14 +0330] "GET / HTTP/1.1" 200 5 "-" "curl""#;
        let alb: &[u8] = SEEDS[0].as_bytes();
        fn mixed<'a>(a: usize, b: usize, x: &'a [u8], y: &'a [u8]) -> Vec<&'a [u8]> {
            std::iter::repeat_n(x, a)
                .chain(std::iter::repeat_n(y, b))
                .collect()
        }
        assert_eq!(
            detect_format(&auto, &mixed(6, 4, nginx, alb)),
            Format::Combined
        );
        assert_eq!(detect_format(&auto, &mixed(4, 6, nginx, alb)), Format::Alb);
        assert_eq!(
            detect_format(&auto, &mixed(0, 5, nginx, vhost)),
            Format::VhostCombined
        );
        // Half vhost lines: both parse as combined, which parses more.
        assert_eq!(
            detect_format(&auto, &mixed(5, 5, nginx, vhost)),
            Format::Combined
        );
        let gcp: &[&[u8]] = &[SEEDS[9].as_bytes()];
        assert_eq!(detect_format(&auto, gcp), Format::GcpLb);
        let envoy: &[&[u8]] = &[SEEDS[7].as_bytes(), SEEDS[8].as_bytes()];
        assert_eq!(detect_format(&auto, envoy), Format::Envoy);
        let iis: &[&[u8]] = &[SEEDS[4].as_bytes(), SEEDS[5].as_bytes()];
        assert_eq!(detect_format(&auto, iis), Format::W3c);
        let cloudfront: &[&[u8]] = &[SEEDS[2].as_bytes(), SEEDS[3].as_bytes()];
        assert_eq!(detect_format(&auto, cloudfront), Format::Cloudfront);
        let haproxy: &[&[u8]] = &[SEEDS[6].as_bytes()];
        assert_eq!(detect_format(&auto, haproxy), Format::Haproxy);
        let elb: &[&[u8]] = &[SEEDS[1].as_bytes()];
        assert_eq!(detect_format(&auto, elb), Format::Elb);
    }

    #[test]
    fn header_less_w3c_lines_are_w3c_and_say_why_they_are_malformed() {
        let auto = ParseOptions::default();
        let lines: &[&[u8]] = &[
            b"2019-03-06 18:43:17 10.0.140.107 GET /health-monitoring - 80 - 10.0.140.2 - 200 0 0 15",
            b"2019-03-06 18:43:18 10.0.140.107 GET /health-monitoring - 80 - 10.0.140.2 - 200 0 0 15",
        ];
        assert_eq!(detect_format(&auto, lines), Format::W3c);
        let mut p = LineParser::new(Format::W3c, &auto);
        assert_eq!(p.parse(lines[0]), Err(Malformed::W3cNoHeader));
    }

    /// Lines of every load-balancer and proxy format, real ones (see
    /// tests/data/formats/SOURCES.md), for the fuzzing below to cut and splice.
    const SEEDS: &[&str] = &[
        r#"http 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:80 0.000 0.001 0.000 200 200 34 366 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.46.0" - - arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-58337262-36d228ad5d99923122bbe354" "-" "-" 0 2018-07-02T22:22:48.364000Z "forward,redirect" "-" "-" "10.0.0.1:80" "200" "-" "-""#,
        r#"2019-10-14T12:00:20.694172Z filebeat-aws-elb-test 175.16.199.1:54106 10.0.1.185:80 0.000043 0.000785 0.000023 200 200 0 612 "GET http://18.194.223.56:80/ HTTP/1.1" "Mozilla/5.0" - -"#,
        "#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status cs(Referer) cs(User-Agent) cs-uri-query",
        "2019-12-13	22:36:27	SEA19-C1	900	89.160.20.112	GET	d111111abcdef8.cloudfront.net	/favicon.ico	502	http://www.example.com/	Mozilla/5.0%20(Windows)	-",
        "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) sc-status sc-substatus sc-win32-status time-taken",
        r#"2019-03-06 18:43:17 10.0.140.107 GET /health-monitoring - 80 - "10.0.140.2" - 200 0 0 15"#,
        r#"Jun 22 12:02:59 node2 haproxy[23034]: -:47481 [22/Jun/2021:12:02:59.590] www-https~ app/node16 app.domain.com 0/0/3/32/35 403 142 - - ---- 1/1/0/0/0 0/0 {a b} {} "GET /app/event/ HTTP/1.1""#,
        r#"[2019-02-12T18:37:42.921Z] "GET /httpbin/ip HTTP/1.1" 200 - 0 43 217 216 "172.17.0.5" "curl/7.59.0" "c62ec130-6dee-4f3b-a52b-4f0d1312d89d" "httpbin.org" "52.87.35.92:80""#,
        r#"{"message":"ACCESS [2019-02-12T18:37:42.921Z] "GET /httpbin/ip HTTP/1.1" 200 - 0 43 217 216 "172.17.0.5" "curl" "c6" "h" "u"
","stream":"stdout"}"#,
        r#"{"httpRequest":{"requestMethod":"GET","requestUrl":"http://81.2.69.193/static/us/three-cats.jpg","status":304,"responseSize":"157","latency":"0.5s"},"timestamp":"2020-06-08T23:41:30.078651Z"}"#,
        r#"www.example.com:443 192.0.2.7 - - [10/Oct/2023:13:55:36 +0000] "GET /api HTTP/1.1" 502 120 "-" "curl/8.0""#,
    ];

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]
        /// No bytes make a load-balancer or proxy parser panic: random
        /// bytes, and real lines cut short or with bytes spliced in.
        #[test]
        fn no_bytes_make_a_proxy_parser_panic(
            seed in 0..SEEDS.len(),
            header in 0..SEEDS.len(),
            cut in 0usize..400,
            at in 0usize..400,
            junk in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..40),
            random in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300),
        ) {
            let mut line = SEEDS[seed].as_bytes().to_vec();
            line.truncate(cut.max(1));
            let at = at.min(line.len());
            line.splice(at..at, junk);
            for format in PROXY_FORMATS {
                let mut p = LineParser::new(format, &ParseOptions::default());
                p.directive(SEEDS[header].as_bytes());
                p.resume(Some(SEEDS[header].as_bytes()));
                for l in [&line, &random] {
                    if !p.directive(l) {
                        let _ = p.parse(l);
                    }
                }
                let _ = p.score(&[&line, &random]);
            }
        }
    }
}
