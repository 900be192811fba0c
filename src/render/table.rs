//! The human view: verdict first, then the tables a support engineer reads,
//! each cut to `--top` rows (the JSON keeps every row).
//!
//! Everything fits the width it is given (the terminal's, `COLUMNS`, or 80):
//! every table row stays on one line, the widest free-text cells (messages,
//! routes, paths, codes) are shortened with a trailing `…` while numbers and
//! short identifiers stay whole, input paths show their file name only, and
//! sentences wrap between words. Nothing is ever broken inside a word or a
//! number; the JSON and CSV keep every value whole.

use crate::report::{percent, Level, Report, TableFill};
use crate::units::format_duration;
use std::borrow::Cow;
use std::io::{self, Write};

/// How the human view is drawn.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TableOptions {
    /// Rows per table.
    pub(crate) top: usize,
    /// ANSI colour for the verdict.
    pub(crate) color: bool,
    /// Columns every line must fit in (the terminal's width, `COLUMNS`, or 80).
    pub(crate) width: u16,
}

/// What a shortened cell ends with.
const ELLIPSIS: char = '…';
/// Before the first column of a table.
const INDENT: &str = " ";
/// Between two columns.
const GAP: &str = "  ";
/// A cut inside a word moves back to the space before it when that loses at
/// most this many characters.
const WORD_BACKOFF: usize = 8;
/// A shortened column keeps at least this many characters (and its header).
const MIN_SHORTENED: usize = 8;
/// The example message column is shown from this width on.
const WIDE: usize = 120;

/// Characters, as the width of a line is counted.
fn chars(s: &str) -> usize {
    s.chars().count()
}

/// How a column may give up width.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fit {
    /// Numbers, times, statuses, short identifiers: never shortened.
    Keep,
    /// Free text: shortened with a trailing `…` when the table is too wide.
    Shorten,
}

#[derive(Debug)]
struct Cell {
    text: String,
    /// When set, the cell is `file name:line` with this many characters of
    /// `:line`: shortening cuts the middle of the name (whose end tells
    /// `api.log` from `api.log.1`) and keeps the line number.
    name_line: Option<usize>,
}

impl Cell {
    /// A value from a log line, made safe for a terminal.
    fn text(s: &str) -> Self {
        Cell {
            text: printable(s).into_owned(),
            name_line: None,
        }
    }

    fn opt(v: &Option<String>) -> Self {
        Cell::text(v.as_deref().unwrap_or("-"))
    }
}

impl From<String> for Cell {
    fn from(text: String) -> Self {
        Cell {
            text,
            name_line: None,
        }
    }
}

/// A table that lays itself out within a width.
struct Grid {
    columns: Vec<(&'static str, Fit)>,
    rows: Vec<Vec<Cell>>,
}

impl Grid {
    fn new(columns: &[(&'static str, Fit)]) -> Self {
        Grid {
            columns: columns.to_vec(),
            rows: Vec::new(),
        }
    }

    /// A row; its cells may be completed later, before [`Grid::write`].
    fn row(&mut self, cells: Vec<Cell>) {
        self.rows.push(cells);
    }

    fn line_width(widths: &[usize]) -> usize {
        INDENT.len() + widths.iter().sum::<usize>() + GAP.len() * widths.len().saturating_sub(1)
    }

    /// Each column's width: its widest cell, then the widest shortenable
    /// columns give up characters, one at a time, until the line fits.
    fn widths(&self, width: usize) -> Vec<usize> {
        let mut w: Vec<usize> = self
            .columns
            .iter()
            .enumerate()
            .map(|(i, (header, _))| {
                self.rows
                    .iter()
                    .map(|r| chars(&r[i].text))
                    .chain([chars(header)])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let floor: Vec<usize> = self
            .columns
            .iter()
            .zip(&w)
            .map(|((header, fit), &natural)| match fit {
                Fit::Keep => natural,
                Fit::Shorten => chars(header).max(MIN_SHORTENED).min(natural),
            })
            .collect();
        loop {
            let excess = Self::line_width(&w).saturating_sub(width);
            if excess == 0 {
                break;
            }
            // The widest column that can still give; on a tie, the rightmost.
            let Some(i) = (0..w.len())
                .filter(|&i| w[i] > floor[i])
                .max_by_key(|&i| w[i])
            else {
                break;
            };
            let next = (0..w.len())
                .filter(|&j| j != i && w[j] > floor[j])
                .map(|j| w[j])
                .max()
                .unwrap_or(0);
            let target = floor[i].max(next).max(w[i].saturating_sub(excess));
            w[i] = if target < w[i] { target } else { w[i] - 1 };
        }
        w
    }

    fn write(&self, out: &mut impl Write, width: usize) -> io::Result<()> {
        debug_assert!(self.rows.iter().all(|r| r.len() == self.columns.len()));
        let w = self.widths(width);
        let line = |cells: Vec<Cow<'_, str>>| {
            let mut s = String::from(INDENT);
            for (i, (c, &cw)) in cells.iter().zip(&w).enumerate() {
                if i > 0 {
                    s.push_str(GAP);
                }
                s.push_str(c);
                s.extend(std::iter::repeat_n(' ', cw.saturating_sub(chars(c))));
            }
            // Only a terminal too narrow for the columns kept whole gets here.
            shorten(s.trim_end(), width).into_owned()
        };
        writeln!(
            out,
            "{}",
            line(
                self.columns
                    .iter()
                    .map(|(h, _)| Cow::Borrowed(*h))
                    .collect()
            )
        )?;
        let rule = Self::line_width(&w).min(width);
        writeln!(out, "{}", "─".repeat(rule))?;
        for r in &self.rows {
            let cells = r
                .iter()
                .zip(&w)
                .map(|(c, &cw)| match c.name_line {
                    Some(tail) => shorten_name(&c.text, cw, tail),
                    None => shorten(&c.text, cw),
                })
                .collect();
            writeln!(out, "{}", line(cells))?;
        }
        Ok(())
    }
}

/// `s` in at most `max` characters: cut with a trailing `…`, between words
/// when a space is near enough.
fn shorten(s: &str, max: usize) -> Cow<'_, str> {
    let n = chars(s);
    if n <= max {
        return Cow::Borrowed(s);
    }
    if max == 0 {
        return Cow::Borrowed("");
    }
    let all: Vec<char> = s.chars().collect();
    let room = max - 1;
    // A cut inside a word moves back to the space before it when that is
    // near: `500:15 502:31 …`, not `500:15 502:3…`.
    let cut = match all[..room].iter().rposition(|c| c.is_whitespace()) {
        Some(sp) if sp > 0 && room - (sp + 1) <= WORD_BACKOFF => sp + 1,
        _ => room,
    };
    let mut out: String = all[..cut].iter().collect();
    out.push(ELLIPSIS);
    Cow::Owned(out)
}

/// `name:line` in at most `max` characters, `line` being its last `tail`
/// characters: the middle of the name gives way (`api-ga…log.1:2`), the
/// line number stays whole while a character of the name fits beside it.
fn shorten_name(s: &str, max: usize, tail: usize) -> Cow<'_, str> {
    let n = chars(s);
    if n <= max || tail + 2 > max || tail > n {
        return shorten(s, max);
    }
    let all: Vec<char> = s.chars().collect();
    let (name, line) = all.split_at(n - tail);
    let room = max - 1 - tail;
    let (front, back) = (room / 2, room - room / 2);
    let mut out: String = name[..front].iter().collect();
    out.push(ELLIPSIS);
    out.extend(&name[name.len() - back..]);
    out.extend(line);
    Cow::Owned(out)
}

/// `units` joined by `sep` into lines of at most `width` characters: the
/// first line starts with `first` (shown `first_width` wide; it may hold
/// colour codes), the others with `indent` spaces. A unit is never split; one
/// wider than a line is shortened with `…`.
fn wrap<'a>(
    units: impl IntoIterator<Item = &'a str>,
    sep: &str,
    first: &str,
    first_width: usize,
    indent: usize,
    width: usize,
) -> Vec<String> {
    let room = width.saturating_sub(first_width.max(indent)).max(1);
    let sep_len = chars(sep);
    let mut lines = Vec::new();
    let mut line = first.to_owned();
    let (mut start, mut used) = (first_width, first_width);
    for unit in units {
        let unit = shorten(unit, room);
        let len = chars(&unit);
        if used > start && used + sep_len + len > width {
            lines.push(std::mem::replace(&mut line, " ".repeat(indent)));
            (start, used) = (indent, indent);
        }
        if used > start {
            line.push_str(sep);
            used += sep_len;
        }
        line.push_str(&unit);
        used += len;
    }
    lines.push(line);
    lines
}

fn write_lines(out: &mut impl Write, lines: Vec<String>) -> io::Result<()> {
    for l in lines {
        writeln!(out, "{}", l.trim_end())?;
    }
    Ok(())
}

/// A sentence wrapped between its words, continuation lines indented by `indent`.
fn paragraph(out: &mut impl Write, text: &str, indent: usize, width: usize) -> io::Result<()> {
    let text = printable(text);
    write_lines(out, wrap(text.split(' '), " ", "", 0, indent, width))
}

/// Text from a log line made safe for a terminal: control characters (a TLS
/// handshake sent to an HTTP port, escape sequences) are shown as `\xHH`.
pub(crate) fn printable(s: &str) -> Cow<'_, str> {
    if !s.chars().any(char::is_control) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.chars()
            .map(|c| {
                if c.is_control() {
                    format!("\\x{:02X}", c as u32)
                } else {
                    c.to_string()
                }
            })
            .collect(),
    )
}

/// The verdict's reason without the level word the label already shows
/// (`Escalate: 5xx errors …` after `ESCALATE`). The JSON keeps it whole.
fn without_level<'a>(reason: &'a str, label: &str) -> &'a str {
    let norm = |s: &str| s.trim().to_ascii_lowercase().replace('_', " ");
    match reason.split_once(": ") {
        Some((head, rest)) if norm(head) == norm(label) => rest,
        _ => reason,
    }
}

/// `503:118 502:31`: most first, then by status.
fn statuses(m: &std::collections::BTreeMap<String, u64>) -> String {
    let mut v: Vec<(&String, &u64)> = m.iter().collect();
    v.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    v.iter()
        .map(|(k, n)| format!("{k}:{n}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The file name of an input path (`s3://b/logs/api.log.gz` → `api.log.gz`).
fn file_name(path: &str) -> &str {
    path.rsplit(['/', '\\'])
        .find(|p| !p.is_empty())
        .unwrap_or(path)
}

/// The end of a period: only the time of day when it ends on the day it began.
fn end_of(start: &str, end: &str) -> String {
    match (start.get(..11), end.get(..11), end.get(11..)) {
        (Some(a), Some(b), Some(time)) if a == b && a.ends_with('T') => time.to_owned(),
        _ => end.to_owned(),
    }
}

/// A blank line and the title of a table.
fn section(out: &mut impl Write, title: &str, width: usize) -> io::Result<()> {
    writeln!(out)?;
    paragraph(out, title, 2, width)
}

fn more(out: &mut impl Write, shown: usize, total: usize, width: usize) -> io::Result<()> {
    if total > shown {
        let text = format!(
            "… {} more (--top N, or --output json for all)",
            total - shown
        );
        write_lines(out, wrap(text.split(' '), " ", "  ", 2, 4, width))?;
    }
    Ok(())
}

/// "What changed: route GET /b 100% of 5xx (was 50%); …" for one period, and
/// where its first failing request is logged.
fn changed(out: &mut impl Write, i: &crate::report::Incident, width: usize) -> io::Result<()> {
    let pct = |share: f64| format!("{:.0}%", share * 100.0);
    if !i.changes.is_empty() {
        let parts: Vec<String> = i
            .changes
            .iter()
            .take(2)
            .map(|c| {
                format!(
                    "{} {} {} of 5xx (was {} of {});",
                    c.dimension.replace('_', " "),
                    printable(&c.value),
                    pct(c.incident_share),
                    pct(c.baseline_share),
                    c.baseline_of
                )
            })
            .collect();
        let text = format!("What changed: {}", parts.join(" "));
        let text = text.trim_end_matches(';');
        write_lines(out, wrap(text.split(' '), " ", "  ", 2, 4, width))?;
    }
    if let Some(e) = i.examples.first() {
        let mut text = format!(
            "First failure: {} at {} line {}",
            e.ts,
            printable(file_name(&e.source)),
            e.line
        );
        if let Some(id) = &e.request_id {
            text.push_str(&format!(", request id {}", printable(id)));
        }
        write_lines(out, wrap(text.split(' '), " ", "  ", 2, 4, width))?;
    }
    Ok(())
}

/// A count, marked `~` when it is an upper bound (its row's `count_error` > 0).
fn approx(count: u64, error: u64) -> String {
    if error > 0 {
        format!("~{count}")
    } else {
        count.to_string()
    }
}

/// Under a table that reached `--max-keys`: what the `~` counts mean.
fn capped(out: &mut impl Write, fill: &TableFill, name: &str, width: usize) -> io::Result<()> {
    if fill.capped {
        let text = format!(
            "~ approximate: about {} distinct {name}, the {} most frequent kept (--max-keys); \
             a ~ count may exceed the truth by its count_error (--output json)",
            fill.distinct, fill.kept
        );
        write_lines(out, wrap(text.split(' '), " ", "  ", 2, 4, width))?;
    }
    Ok(())
}

pub(crate) fn write(r: &Report, opts: &TableOptions, mut out: impl Write) -> io::Result<()> {
    let width = usize::from(opts.width);
    let (label, color) = match r.verdict.level {
        Level::NoData => ("NO DATA", "35"),
        Level::Ok => ("OK", "32"),
        Level::Review => ("REVIEW", "33"),
        Level::Escalate => ("ESCALATE", "1;31"),
    };
    let reason = printable(without_level(&r.verdict.reason, label));
    let first = if opts.color {
        format!("\x1b[{color}m{label}\x1b[0m  ")
    } else {
        format!("{label}  ")
    };
    write_lines(
        &mut out,
        wrap(
            reason.split(' '),
            " ",
            &first,
            chars(label) + 2,
            chars(label) + 2,
            width,
        ),
    )?;
    writeln!(out)?;

    let s = &r.summary;
    let class = |c: &str| s.by_class.get(c).copied().unwrap_or(0);
    let span = [
        format!("{} requests", s.requests),
        format!("from {}", s.first_ts.as_deref().unwrap_or("-")),
        format!("to {}", s.last_ts.as_deref().unwrap_or("-")),
        format!("in {} input(s)", s.inputs.len()),
    ];
    write_lines(
        &mut out,
        wrap(span.iter().map(String::as_str), " ", "", 0, 2, width),
    )?;
    let mut counts = vec![
        format!("2xx {}", class("2xx")),
        format!("3xx {}", class("3xx")),
        format!(
            "4xx {} ({})",
            class("4xx"),
            percent(class("4xx"), s.requests)
        ),
        format!(
            "5xx {} ({})",
            class("5xx"),
            percent(class("5xx"), s.requests)
        ),
        format!("malformed lines {}", s.malformed),
        format!("unparsed bodies {}", s.unparsed_bodies),
    ];
    if s.filtered_out > 0 {
        counts.push(format!("outside --since/--until {}", s.filtered_out));
    }
    write_lines(
        &mut out,
        wrap(counts.iter().map(String::as_str), "  ", "", 0, 0, width),
    )?;
    if s.partial_failures > 0 {
        paragraph(
            &mut out,
            &format!(
                "partial failures: {} accepted bulk requests (202) had failed items (errors table, status 202)",
                s.partial_failures
            ),
            2,
            width,
        )?;
    }
    for e in &s.input_errors {
        paragraph(
            &mut out,
            &format!("INPUT ERROR {}: {}", e.path, e.error),
            2,
            width,
        )?;
    }
    for k in &s.skipped {
        paragraph(
            &mut out,
            &format!("skipped {}: {}", printable(file_name(&k.path)), k.reason),
            2,
            width,
        )?;
    }

    if !r.incidents.is_empty() {
        section(&mut out, "Persistent 5xx periods", width)?;
        // The worst routes are in the verdict; JSON has them per period.
        let mut t = Grid::new(&[
            ("start", Fit::Keep),
            ("end", Fit::Keep),
            ("length", Fit::Keep),
            ("5xx/requests", Fit::Keep),
            ("statuses", Fit::Shorten),
        ]);
        for i in r.incidents.iter().rev().take(opts.top) {
            t.row(vec![
                i.start.clone().into(),
                if i.ongoing {
                    "ongoing".to_owned()
                } else {
                    end_of(&i.start, &i.end)
                }
                .into(),
                format_duration(i.duration_s).into(),
                format!(
                    "{}/{} ({})",
                    i.errors_5xx,
                    i.requests,
                    percent(i.errors_5xx, i.requests)
                )
                .into(),
                Cell::text(&statuses(&i.by_status)),
            ]);
        }
        t.write(&mut out, width)?;
        more(&mut out, opts.top, r.incidents.len(), width)?;
        if let Some(latest) = r.incidents.last() {
            changed(&mut out, latest, width)?;
        }
    }

    if let Some(slo) = &r.slo {
        section(&mut out, &slo.title(), width)?;
        if slo.alerts.is_empty() {
            paragraph(&mut out, "None would have fired.", 2, width)?;
        } else {
            let mut t = Grid::new(&[
                ("severity", Fit::Keep),
                ("windows", Fit::Keep),
                ("burn rate", Fit::Keep),
                ("fired", Fit::Keep),
                ("cleared", Fit::Keep),
            ]);
            for a in &slo.alerts {
                t.row(vec![
                    a.severity.name().to_owned().into(),
                    format!("{} / {}", a.long_window, a.short_window).into(),
                    format!("{}×", a.factor).into(),
                    a.start.clone().into(),
                    a.end
                        .as_deref()
                        .map_or_else(|| "still firing".to_owned(), |e| end_of(&a.start, e))
                        .into(),
                ]);
            }
            t.write(&mut out, width)?;
        }
    }

    section(&mut out, "By status", width)?;
    let mut t = Grid::new(&[
        ("status", Fit::Keep),
        ("title", Fit::Shorten),
        ("count", Fit::Keep),
        ("share", Fit::Keep),
    ]);
    for x in r.by_status.iter().take(opts.top) {
        t.row(vec![
            x.status.to_string().into(),
            Cell::text(x.title.unwrap_or("")),
            x.count.to_string().into(),
            percent(x.count, s.requests).into(),
        ]);
    }
    t.write(&mut out, width)?;
    more(&mut out, opts.top, r.by_status.len(), width)?;

    if !r.errors.is_empty() {
        section(&mut out, "Errors (from response bodies)", width)?;
        // Example messages only where they fit; JSON and CSV always have them.
        let wide = width >= WIDE;
        let mut columns = vec![
            ("count", Fit::Keep),
            ("statuses", Fit::Shorten),
            ("type", Fit::Shorten),
            ("code", Fit::Shorten),
            ("param", Fit::Shorten),
        ];
        if wide {
            columns.push(("example message", Fit::Shorten));
        }
        let mut t = Grid::new(&columns);
        for e in r.errors.iter().take(opts.top) {
            let mut row = vec![
                approx(e.count, e.count_error).into(),
                Cell::text(&statuses(&e.statuses)),
                Cell::opt(&e.error_type),
                Cell::opt(&e.code),
                Cell::opt(&e.param),
            ];
            if wide {
                row.push(Cell::opt(&e.example_message));
            }
            t.row(row);
        }
        t.write(&mut out, width)?;
        more(&mut out, opts.top, r.errors.len(), width)?;
        capped(&mut out, &s.tables.errors, "errors", width)?;
    }

    section(&mut out, "Routes (most 5xx first)", width)?;
    let mut t = Grid::new(&[
        ("method", Fit::Shorten),
        ("route", Fit::Shorten),
        ("requests", Fit::Keep),
        ("4xx", Fit::Keep),
        ("5xx", Fit::Keep),
    ]);
    for x in r.routes.iter().take(opts.top) {
        t.row(vec![
            Cell::opt(&x.method),
            Cell::opt(&x.route),
            approx(x.requests, x.count_error).into(),
            approx(x.errors_4xx, x.count_error).into(),
            approx(x.errors_5xx, x.count_error).into(),
        ]);
    }
    t.write(&mut out, width)?;
    more(&mut out, opts.top, r.routes.len(), width)?;
    capped(&mut out, &s.tables.routes, "routes", width)?;

    if !r.malformed_samples.is_empty() {
        let shown: Vec<_> = r.malformed_samples.iter().take(opts.top).collect();
        let mut sources: Vec<&str> = shown.iter().map(|m| m.source.as_str()).collect();
        sources.sort_unstable();
        sources.dedup();
        let mut title = format!("Malformed lines (first {})", r.malformed_samples.len());
        let mut t = if let [only] = sources[..] {
            // One input: its file name in the title (JSON has the path), line numbers below.
            title.push_str(&format!(" in {}", file_name(only)));
            let mut t = Grid::new(&[
                ("line", Fit::Keep),
                // A short fixed phrase: the text gives way first.
                ("reason", Fit::Keep),
                ("text", Fit::Shorten),
            ]);
            for m in &shown {
                t.row(vec![m.line.to_string().into()]);
            }
            t
        } else {
            // File names only, unless two inputs share one.
            let mut names: Vec<&str> = sources.iter().map(|s| file_name(s)).collect();
            names.sort_unstable();
            names.dedup();
            let full = names.len() < sources.len();
            let mut t = Grid::new(&[
                ("where", Fit::Shorten),
                ("reason", Fit::Keep),
                ("text", Fit::Shorten),
            ]);
            for m in &shown {
                let name = if full {
                    m.source.as_str()
                } else {
                    file_name(&m.source)
                };
                let line = format!(":{}", m.line);
                t.row(vec![Cell {
                    name_line: Some(chars(&line)),
                    text: format!("{}{line}", printable(name)),
                }]);
            }
            t
        };
        for (row, m) in t.rows.iter_mut().zip(&shown) {
            row.push(Cell::text(&m.reason));
            row.push(Cell::text(&m.text));
        }
        section(&mut out, &title, width)?;
        t.write(&mut out, width)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::{AggConfig, Aggregate};
    use crate::event::{ApiError, Body, Event};
    use crate::parse::Malformed;
    use crate::periods::DetectConfig;
    use std::borrow::Cow::Borrowed;

    const LONG_ROUTE: &str =
        "/v1/organizations/acme-international-holdings/billing-accounts/primary/invoices/upcoming/line-items";
    const LONG_CODE: &str = "upstream_service_unavailable_while_rebalancing_partitions";
    const LONG_MESSAGE: &str =
        "The upstream invoice service did not answer within the deadline; retry with exponential backoff.";
    const LONG_PARAM: &str = "items.0.price_data.recurring.aggregate_usage";
    const LONG_PATH: &str =
        "/var/log/archive/api-gateway/eu-west-1/production/2026/11/25/api-gateway.eu-west-1.production.access.log";

    fn event(ts_s: i64, status: u16, method: &'static str, path: &'static str) -> Event<'static> {
        let mut ev = Event::new(ts_s * 1_000_000, status);
        ev.method = Some(Borrowed(method));
        ev.path = Some(Borrowed(path));
        ev
    }

    fn failing(
        ev: Event<'static>,
        t: &'static str,
        code: &'static str,
        param: Option<&'static str>,
        message: &'static str,
    ) -> Event<'static> {
        Event {
            body: Body::Error(ApiError {
                error_type: Some(Borrowed(t)),
                code: Some(Borrowed(code)),
                param: param.map(Borrowed),
                message: Some(Borrowed(message)),
            }),
            ..ev
        }
    }

    fn report(
        cfg: &DetectConfig,
        events: Vec<Event<'static>>,
        malformed: &[(u64, Malformed, &str)],
    ) -> Report {
        let mut agg = Aggregate::new(AggConfig {
            bucket_us: cfg.bucket_us,
            since: None,
            until: None,
            max_keys: crate::aggregate::DEFAULT_MAX_KEYS,
        });
        for (line, ev) in events.iter().enumerate() {
            agg.observe(ev, 0, line as u64 + 1);
        }
        for (line, reason, text) in malformed {
            agg.observe_malformed(0, *line, *reason, text.as_bytes());
        }
        let mut r = crate::report::build(&agg, &[], cfg);
        for m in &mut r.malformed_samples {
            m.source = LONG_PATH.to_owned();
        }
        r
    }

    /// Ten minutes from 2026-11-25T14:00Z, ten requests a minute; in minutes
    /// 2..=7 six of them fail on a long route with six 5xx statuses and a long
    /// error; a 400 with a long param every minute; two malformed lines.
    fn long_values() -> Report {
        let t0 = 1_795_615_200; // 2026-11-25T14:00:00Z
        let mut events = Vec::new();
        for minute in 0..10 {
            for i in 0..10i64 {
                let ts = t0 + minute * 60 + i * 6;
                let ev = if (2..=7).contains(&minute) && i < 6 {
                    let status = [500, 502, 503, 504, 520, 521][i as usize];
                    failing(
                        event(ts, status, "POST", LONG_ROUTE),
                        "api_error",
                        LONG_CODE,
                        None,
                        LONG_MESSAGE,
                    )
                } else if i == 6 {
                    failing(
                        event(ts, 400, "POST", "/v1/subscription_items"),
                        "invalid_request",
                        "parameter_invalid_enum_value_for_nested_object",
                        Some(LONG_PARAM),
                        "Invalid enum value.",
                    )
                } else {
                    event(ts, 200, "GET", "/v1/customers/cus_8KdJ2xQ")
                };
                events.push(ev);
            }
        }
        events.push(event(t0 + 91, 400, "\u{16}\u{3}\u{1}", "/\u{1b}[2J"));
        report(
            &DetectConfig::default(),
            events,
            &[
                (41, Malformed::NoTimestamp, "\u{1b}[31mALERT\u{1b}[0m worker 3 restarted after an out-of-memory kill"),
                (81, Malformed::UnterminatedQuote, "198.51.100.7 - - [25/Nov/2026:14:07:59 +0000] \"GET /v1/organizations/acme-international-holdings HTTP/1.1\" 200 120 \"-\" \"acme-sdk-ruby/9.1.0 (cut short"),
            ],
        )
    }

    fn render(r: &Report, width: u16) -> String {
        let mut out = Vec::new();
        write(
            r,
            &TableOptions {
                top: 10,
                color: false,
                width,
            },
            &mut out,
        )
        .unwrap();
        String::from_utf8(out).unwrap()
    }

    /// Every line fits `width` characters, and every word of the output is
    /// either whole or cut with `…`: none is broken across lines.
    fn assert_fits(text: &str, width: usize, r: &Report) {
        for line in text.lines() {
            assert!(chars(line) <= width, "{} > {width}: {line:?}", chars(line));
        }
        fn strings(v: &serde_json::Value, out: &mut Vec<String>) {
            match v {
                serde_json::Value::String(s) => out.push(printable(s).into_owned()),
                serde_json::Value::Array(a) => a.iter().for_each(|v| strings(v, out)),
                serde_json::Value::Object(o) => o.iter().for_each(|(k, v)| {
                    out.push(k.clone());
                    strings(v, out)
                }),
                other => out.push(other.to_string()),
            }
        }
        let mut report_words = Vec::new();
        strings(&serde_json::to_value(r).unwrap(), &mut report_words);
        for raw in text.split_whitespace() {
            let word = raw.trim_matches(|c| "(),.;:".contains(c));
            if word.is_empty() || word.contains(ELLIPSIS) {
                continue;
            }
            let punct = |c| "(),.;:".contains(c);
            let known = report_words.iter().any(|w| {
                w.split_whitespace().any(|x| x.trim_matches(punct) == word)
                    || w.ends_with(&format!("/{word}"))
                    || w.ends_with(&format!("T{word}"))
            }) || raw == "input(s)"
                || view_words().any(|w| w == word)
                || word
                    .chars()
                    .all(|c| c.is_ascii_digit() || ":./%m─xs".contains(c));
            assert!(known, "{word:?} is not a whole word of the report:\n{text}");
        }
    }

    /// The words the view adds around a report's values (shared with the
    /// integration tests).
    fn view_words() -> impl Iterator<Item = &'static str> {
        include_str!("../../tests/data/view_words.txt")
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
    }

    #[test]
    fn long_values_at_80_columns() {
        let r = long_values();
        let text = render(&r, 80);
        let expected = r#"ESCALATE  5xx errors have persisted since 2026-11-25T14:02:00Z (6 min so far,
          still going): 36 of 60 requests failed with 5xx (60.0%), mostly 500
          (6), 502 (6), 503 (6); worst routes: POST
          /v1/organizations/acme-international-holdings/billing-accounts/primar…
          (36); top error:
          upstream_service_unavailable_while_rebalancing_partitions "The
          upstream invoice service did not answer within the deadline; retry
          with expo…" (36). Judged 101 requests in 0 inputs from
          2026-11-25T14:00:00Z to 2026-11-25T14:09:54Z.

101 requests from 2026-11-25T14:00:00Z to 2026-11-25T14:09:54Z in 0 input(s)
2xx 54  3xx 0  4xx 11 (10.9%)  5xx 36 (35.6%)  malformed lines 2
unparsed bodies 0

Persistent 5xx periods
 start                 end      length  5xx/requests   statuses
────────────────────────────────────────────────────────────────────────────────
 2026-11-25T14:02:00Z  ongoing  6m      36/60 (60.0%)  500:6 502:6 503:6 504:6 …
  What changed: error code
    upstream_service_unavailable_while_rebalancing_partitions 100% of 5xx (was
    0% of requests)
  First failure: 2026-11-25T14:02:00Z at #0 line 21

By status
 status  title                  count  share
────────────────────────────────────────────
 200     OK                     54     53.5%
 400     Bad Request            11     10.9%
 500     Internal Server Error  6      5.9%
 502     Bad Gateway            6      5.9%
 503     Service Unavailable    6      5.9%
 504     Gateway Timeout        6      5.9%
 520     Unknown Origin Error   6      5.9%
 521     Web Server Is Down     6      5.9%

Errors (from response bodies)
 count  statuses           type             code               param
────────────────────────────────────────────────────────────────────────────────
 36     500:6 502:6 …      api_error        upstream_service…  -
 10     400:10             invalid_request  parameter_invali…  items.0.price_da…

Routes (most 5xx first)
 method        route                                          requests  4xx  5xx
────────────────────────────────────────────────────────────────────────────────
 POST          /v1/organizations/acme-international-holding…  36        0    36
 POST          /v1/subscription_items                         10        10   0
 \x16\x03\x01  /\x1B[2J                                       1         1    0
 GET           /v1/customers/{id}                             54        0    0

Malformed lines (first 2) in api-gateway.eu-west-1.production.access.log
 line  reason                                       text
────────────────────────────────────────────────────────────────────────────────
 41    no [timestamp]                               \x1B[31mALERT\x1B[0m …
 81    quoted field never closes (line cut short?)  198.51.100.7 - - [25/Nov/20…
"#;
        assert_eq!(text, expected, "\n{text}");
        assert_fits(&text, 80, &r);
    }

    #[test]
    fn every_width_fits_and_wide_terminals_show_the_example_message() {
        let r = long_values();
        for width in (20..=200).step_by(7) {
            let text = render(&r, width);
            for line in text.lines() {
                assert!(chars(line) <= usize::from(width), "{width}: {line:?}");
            }
            assert!(!text.contains('\u{1b}'), "control characters stay escaped");
            if width >= 60 {
                assert_fits(&text, usize::from(width), &r);
            }
        }
        let wide = render(&r, 300);
        assert!(wide.contains(" example message"), "{wide}");
        assert!(
            wide.contains(LONG_CODE) && wide.contains(LONG_MESSAGE),
            "{wide}"
        );
        assert!(wide.contains(LONG_ROUTE), "{wide}");
        assert!(!render(&r, 119).contains("example message"));
    }

    #[test]
    fn a_55_second_period_shows_55s_and_its_end_time_of_day() {
        let cfg = DetectConfig {
            bucket_us: 55_000_000,
            min_errors: 1,
            min_duration_us: 55_000_000,
            max_gap: 0,
            ..DetectConfig::default()
        };
        // 10 x 503 in the first bucket, then 200s for five more buckets.
        let mut events: Vec<Event<'static>> = (0..10).map(|i| event(i, 503, "GET", "/")).collect();
        events.extend((0..5).map(|i| event(60 + i * 55, 200, "GET", "/")));
        let r = report(&cfg, events, &[]);
        assert_eq!(r.incidents.len(), 1);
        let text = render(&r, 80);
        assert!(
            text.starts_with("REVIEW  A persistent 5xx period ran from 1970-01-01T00:00:00Z"),
            "{text}"
        );
        assert!(
            text.contains("\n 1970-01-01T00:00:00Z  00:00:55Z  55s     10/10 (100.0%)  503:10\n"),
            "{text}"
        );
    }

    #[test]
    fn shorten_cuts_with_an_ellipsis_between_words_when_one_is_near() {
        assert_eq!(shorten("invalid_request", 15), "invalid_request");
        assert_eq!(shorten("invalid_request", 14), "invalid_reque…");
        assert_eq!(shorten("invalid_request", 1), "…");
        assert_eq!(shorten("invalid_request", 0), "");
        assert_eq!(shorten("503:118 502:31 504:20", 17), "503:118 502:31 …");
        assert_eq!(shorten("503:118 502:31 504:20", 16), "503:118 502:31 …");
        assert_eq!(shorten("503:118 502:31 504:20", 15), "503:118 …");
        // A space further back than WORD_BACKOFF: cut inside the word.
        assert_eq!(shorten("a /v1/organizations/acme", 15), "a /v1/organiza…");
        assert_eq!(shorten("größe über alles", 10), "größe …");
    }

    #[test]
    fn file_names_lose_their_middle_never_the_line_number() {
        let s = "api-gateway.eu-west-1.production.access.log.1:8899";
        assert_eq!(shorten_name(s, 60, 5), s);
        assert_eq!(shorten_name(s, 20, 5), "api-gat…s.log.1:8899");
        assert_eq!(shorten_name(s, 19, 5), "api-ga…s.log.1:8899");
        assert_eq!(shorten_name(s, 8, 5), "a…1:8899");
        assert_eq!(shorten_name(s, 7, 5), "…1:8899");
        // No room for a character of the name: cut at the end like any text.
        assert_eq!(shorten_name(s, 6, 5), "api-g…");
        assert_eq!(file_name("/var/log/nginx/api.log"), "api.log");
        assert_eq!(file_name("s3://bucket/logs/api.log.gz"), "api.log.gz");
        assert_eq!(file_name("logs/"), "logs");
        assert_eq!(file_name("<stdin>"), "<stdin>");
    }

    #[test]
    fn wrapping_breaks_between_units_only() {
        assert_eq!(
            wrap("aa bb cc dd".split(' '), " ", "X  ", 3, 3, 8),
            ["X  aa bb", "   cc dd"]
        );
        assert_eq!(
            wrap(["4xx 1 (2.0%)", "5xx 3 (0.1%)"], "  ", "", 0, 0, 20),
            ["4xx 1 (2.0%)", "5xx 3 (0.1%)"]
        );
        // A word wider than a line is shortened, never split.
        assert_eq!(
            wrap("see /a/very/long/route now".split(' '), " ", "", 0, 2, 10),
            ["see", "  /a/very…", "  now"]
        );
    }

    #[test]
    fn the_label_is_not_repeated_in_the_reason() {
        assert_eq!(
            without_level("Escalate: 5xx errors", "ESCALATE"),
            "5xx errors"
        );
        assert_eq!(without_level("Review: A period", "REVIEW"), "A period");
        assert_eq!(without_level("OK: no period", "OK"), "no period");
        assert_eq!(
            without_level("No data: nothing read", "NO_DATA"),
            "nothing read"
        );
        assert_eq!(
            without_level("5xx: persisted", "ESCALATE"),
            "5xx: persisted"
        );
        let text = render(&long_values(), 80);
        assert!(
            text.starts_with("ESCALATE  5xx errors have persisted"),
            "{text}"
        );
    }

    #[test]
    fn periods_ending_on_another_day_show_the_whole_end() {
        assert_eq!(
            end_of("2026-11-24T10:35:00Z", "2026-11-24T10:40:00Z"),
            "10:40:00Z"
        );
        assert_eq!(
            end_of("2026-11-24T23:58:00Z", "2026-11-25T00:03:00Z"),
            "2026-11-25T00:03:00Z"
        );
        assert_eq!(
            end_of("9223372036800000000", "9223372036854775807"),
            "9223372036854775807"
        );
    }
}
