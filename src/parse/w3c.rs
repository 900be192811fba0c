//! W3C extended log files: IIS (`w3c`) and CloudFront standard logs
//! (`cloudfront`).
//!
//! `#Fields: date time cs-method cs-uri-stem sc-status ...` names the
//! columns of the lines after it, and a later `#Fields` line names them
//! again (IIS starts a new header block whenever it restarts or its settings
//! change; CloudFront changed its field list over the years). Lines starting
//! with `#` are directives: read for their `#Fields`, never counted as lines.
//! IIS separates columns with spaces (W3C allows `"quoted strings"`, which
//! IIS Advanced Logging writes); CloudFront with tabs.
//!
//! **Headers and parallel blocks.** A header applies to every line after it,
//! but the engine parses blocks of one file on several threads. So the
//! reader, which sees the blocks of a file in order, keeps the last `#Fields`
//! line it has passed ([`last_fields_line`]) and hands it with each block;
//! the worker's parser starts every block from it ([`W3cParser::resume`]) and
//! follows the `#Fields` lines inside the block itself. The live follower
//! gives one parser the chunks of a file in order, so the parser's own state
//! is enough there, except after a restart from a checkpoint: that parser
//! starts from the last `#Fields` line among the file's first lines. A line before any header is malformed (`no #Fields
//! header`): its columns are unknown.
//!
//! Times: `date` + `time` are UTC. IIS Advanced Logging writes `date-local`
//! / `time-local` instead: the server's local time, with no zone, read as if
//! it were UTC (the only choice without knowing the server's zone).

use super::words::{date_time, decimal, field, number, status};
use super::Malformed;
use crate::event::Event;

/// Which writer: decides the separator, the unit of `time-taken` and the
/// reasons' format name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flavor {
    /// IIS and other W3C extended writers: spaces, `time-taken` in ms.
    Iis,
    /// CloudFront: tabs, `time-taken` in seconds, status `000` when the
    /// viewer went away.
    Cloudfront,
}

/// What a column is read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Skip,
    Date,
    Time,
    DateLocal,
    TimeLocal,
    Status,
    Method,
    Stem,
    Client,
    Agent,
    Bytes,
    Taken,
    TakenMs,
    RequestId,
}

const ROLES: usize = 14;

fn role(name: &[u8]) -> Role {
    match name {
        b"date" => Role::Date,
        b"time" => Role::Time,
        b"date-local" => Role::DateLocal,
        b"time-local" => Role::TimeLocal,
        b"sc-status" => Role::Status,
        b"cs-method" => Role::Method,
        b"cs-uri-stem" => Role::Stem,
        b"c-ip" => Role::Client,
        b"cs(User-Agent)" => Role::Agent,
        b"sc-bytes" => Role::Bytes,
        b"time-taken" => Role::Taken,
        b"TimeTakenMS" => Role::TakenMs,
        b"x-edge-request-id" => Role::RequestId,
        _ => Role::Skip,
    }
}

/// The columns a `#Fields` line names.
#[derive(Debug, Clone, Default)]
struct Layout {
    roles: Vec<Role>,
    /// It names a status and a date and time (UTC or local).
    usable: bool,
}

impl Layout {
    fn from_header(header: &[u8]) -> Layout {
        let names = header
            .strip_prefix(b"#Fields:")
            .unwrap_or(header)
            .split(|b| *b == b' ' || *b == b'\t')
            .filter(|n| !n.is_empty());
        let roles: Vec<Role> = names.map(role).collect();
        let has = |r: Role| roles.contains(&r);
        let usable = has(Role::Status)
            && ((has(Role::Date) && has(Role::Time))
                || (has(Role::DateLocal) && has(Role::TimeLocal)));
        Layout { roles, usable }
    }
}

/// Parses W3C extended lines with the columns of the last `#Fields` header.
#[derive(Debug, Clone)]
pub(crate) struct W3cParser {
    flavor: Flavor,
    /// The `#Fields` line the layout was read from (empty: none yet).
    header: Vec<u8>,
    layout: Option<Layout>,
}

impl W3cParser {
    pub(crate) fn new(flavor: Flavor) -> Self {
        W3cParser {
            flavor,
            header: Vec::new(),
            layout: None,
        }
    }

    /// Reads a directive line (`#...`); true when `line` is one. A
    /// `#Fields` line replaces the columns.
    pub(crate) fn directive(&mut self, line: &[u8]) -> bool {
        if !line.starts_with(b"#") {
            return false;
        }
        if line.starts_with(b"#Fields:") {
            self.set_header(line);
        }
        true
    }

    /// Starts a block of a file whose last `#Fields` line before the block is
    /// `header` (none: the block comes before any header).
    pub(crate) fn resume(&mut self, header: Option<&[u8]>) {
        match header {
            Some(h) => self.set_header(h),
            None => {
                self.header.clear();
                self.layout = None;
            }
        }
    }

    fn set_header(&mut self, line: &[u8]) {
        if self.layout.is_some() && self.header == line {
            return;
        }
        self.header.clear();
        self.header.extend_from_slice(line);
        self.layout = Some(Layout::from_header(line));
    }

    pub(crate) fn parse<'a>(&mut self, line: &'a [u8]) -> Result<Event<'a>, Malformed> {
        let cf = self.flavor == Flavor::Cloudfront;
        let Some(layout) = &self.layout else {
            return Err(if cf {
                Malformed::CloudfrontNoHeader
            } else {
                Malformed::W3cNoHeader
            });
        };
        if !layout.usable {
            return Err(if cf {
                Malformed::CloudfrontHeader
            } else {
                Malformed::W3cHeader
            });
        }
        let columns = if cf { Self::tabs } else { Self::spaced };
        let mut slots: [&'a [u8]; ROLES] = [b""; ROLES];
        let mut n = 0;
        let ok = columns(line, &mut |i, col| {
            if let Some(r) = layout.roles.get(i) {
                slots[*r as usize] = col;
            }
            n = i + 1;
        });
        if !ok || n != layout.roles.len() {
            return Err(if cf {
                Malformed::CloudfrontColumns
            } else {
                Malformed::W3cColumns
            });
        }
        let slot = |r: Role| slots[r as usize];
        let ts = match (slot(Role::Date), slot(Role::Time)) {
            (d, t) if !d.is_empty() && !t.is_empty() => date_time(d, t),
            _ => date_time(slot(Role::DateLocal), slot(Role::TimeLocal)),
        }
        .ok_or(Malformed::BadTime)?;
        let code = match slot(Role::Status) {
            b"000" if cf => return Err(Malformed::CloudfrontNoResponse),
            s => status(s).ok_or(if s.len() == 3 && s.iter().all(u8::is_ascii_digit) {
                Malformed::StatusOutOfRange
            } else {
                Malformed::BadStatus
            })?,
        };
        let mut ev = Event::new(ts, code);
        ev.method = field(slot(Role::Method));
        ev.path = field(slot(Role::Stem));
        ev.client = field(slot(Role::Client));
        ev.user_agent = field(slot(Role::Agent));
        ev.bytes = number(slot(Role::Bytes));
        ev.duration_ms = match (decimal(slot(Role::Taken)), decimal(slot(Role::TakenMs))) {
            (Some(t), _) if cf => Some(t * 1000.0),
            (Some(t), _) | (None, Some(t)) => Some(t),
            (None, None) => None,
        }
        .filter(|ms| *ms >= 0.0);
        ev.request_id = field(slot(Role::RequestId));
        Ok(ev)
    }

    /// Tab-separated columns (CloudFront: values never hold a tab).
    fn tabs<'a>(line: &'a [u8], each: &mut dyn FnMut(usize, &'a [u8])) -> bool {
        for (i, col) in line.split(|b| *b == b'\t').enumerate() {
            each(i, col);
        }
        true
    }

    /// Space-separated columns; a column may be a `"quoted string"` holding
    /// spaces (`""` inside is a quote). False for a quote that never closes.
    fn spaced<'a>(line: &'a [u8], each: &mut dyn FnMut(usize, &'a [u8])) -> bool {
        let mut i = 0;
        let mut pos = 0;
        while pos < line.len() {
            if line[pos] == b'"' {
                let mut end = pos + 1;
                loop {
                    match memchr::memchr(b'"', &line[end..]) {
                        None => return false,
                        Some(q) if line.get(end + q + 1) == Some(&b'"') => end += q + 2,
                        Some(q) => {
                            end += q;
                            break;
                        }
                    }
                }
                each(i, &line[pos + 1..end]);
                pos = end + 1;
                if pos < line.len() && line[pos] != b' ' {
                    return false;
                }
            } else {
                let end = memchr::memchr(b' ', &line[pos..]).map_or(line.len(), |e| pos + e);
                each(i, &line[pos..end]);
                pos = end;
            }
            i += 1;
            // One space separates columns; the last column may not be empty.
            if pos < line.len() {
                pos += 1;
                if pos == line.len() {
                    each(i, b"");
                    i += 1;
                }
            }
        }
        true
    }
}

/// The last `#Fields` line in `block` (whole lines), without its line end.
pub(crate) fn last_fields_line(block: &[u8]) -> Option<&[u8]> {
    memchr::memmem::rfind_iter(block, b"#Fields:")
        .find(|&at| at == 0 || block[at - 1] == b'\n')
        .map(|at| {
            let end = memchr::memchr(b'\n', &block[at..]).map_or(block.len(), |e| at + e);
            let line = &block[at..end];
            line.strip_suffix(b"\r").unwrap_or(line)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const IIS_HEADER: &[u8] = b"#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) sc-status sc-substatus sc-win32-status time-taken";

    #[test]
    fn header_then_lines_then_a_new_header() {
        let mut p = W3cParser::new(Flavor::Iis);
        let line: &[u8] =
            b"2019-03-06 18:43:17 10.0.140.107 GET /health-monitoring - 80 - 10.0.140.2 - 503 0 0 15";
        assert_eq!(p.parse(line), Err(Malformed::W3cNoHeader));
        assert!(p.directive(b"#Software: Microsoft Internet Information Services 7.5"));
        assert!(p.directive(IIS_HEADER));
        let ev = p.parse(line).unwrap();
        assert_eq!((ev.status, ev.duration_ms), (503, Some(15.0)));
        assert_eq!(ev.path.as_deref(), Some("/health-monitoring"));
        assert_eq!(ev.client.as_deref(), Some("10.0.140.2"));
        assert_eq!(ev.ts, 1_551_897_797_000_000);
        // A later header with other columns.
        assert!(p.directive(b"#Fields: time date sc-status"));
        let ev = p.parse(b"18:43:17 2019-03-06 404").unwrap();
        assert_eq!(ev.status, 404);
        assert_eq!(p.parse(line), Err(Malformed::W3cColumns));
        assert!(!p.directive(line));
    }

    #[test]
    fn quoted_columns_and_local_time() {
        let mut p = W3cParser::new(Flavor::Iis);
        p.directive(b"#Fields: date-local time-local cs(User-Agent) sc-status TimeTakenMS");
        let ev = p
            .parse(br#"2012-01-01 10:00:00 "Mozilla/5.0 (Windows NT)" 500 12"#)
            .unwrap();
        assert_eq!(ev.user_agent.as_deref(), Some("Mozilla/5.0 (Windows NT)"));
        assert_eq!((ev.status, ev.duration_ms), (500, Some(12.0)));
        assert_eq!(
            p.parse(br#"2012-01-01 10:00:00 "cut 500 12"#),
            Err(Malformed::W3cColumns)
        );
    }

    #[test]
    fn finds_the_last_header_of_a_block() {
        let block = b"#Fields: a b\nx y\n#Fields: c d\r\nz w\n";
        assert_eq!(last_fields_line(block), Some(&b"#Fields: c d"[..]));
        assert_eq!(last_fields_line(b"x #Fields: a\n"), None);
    }
}
