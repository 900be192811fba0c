//! The human view: verdict first, then the tables a support engineer reads,
//! each cut to `--top` rows (the JSON keeps every row).

use crate::report::{percent, Level, Report};
use comfy_table::{presets, ColumnConstraint, ContentArrangement, LineStyle, Table, TableStyle};
use std::borrow::Cow;
use std::io::{self, Write};

/// How the human view is drawn.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TableOptions {
    /// Rows per table.
    pub(crate) top: usize,
    /// ANSI colour for the verdict.
    pub(crate) color: bool,
    /// Total width to fit tables into when it cannot be detected (stdout is not a terminal).
    pub(crate) width: u16,
}

/// Plain columns with one rule under the header: compact, and pastes well into tickets.
const STYLE: TableStyle =
    presets::NOTHING.header_separator(LineStyle::none().fill('─').junction('─'));

fn table(opts: &TableOptions, header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_style(STYLE)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(header);
    if t.width().is_none() {
        t.set_width(opts.width);
    }
    t
}

/// Keeps identifier-like columns whole so that only free text wraps.
fn keep_whole(t: &mut Table, columns: &[usize]) {
    for &c in columns {
        if let Some(col) = t.column_mut(c) {
            col.set_constraint(ColumnConstraint::ContentWidth);
        }
    }
}

/// Text from a log line made safe for a terminal: control characters (a TLS
/// handshake sent to an HTTP port, escape sequences) are shown as `\xHH`.
fn printable(s: &str) -> Cow<'_, str> {
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

fn opt(v: &Option<String>) -> String {
    printable(v.as_deref().unwrap_or("-")).into_owned()
}

fn more(out: &mut impl Write, shown: usize, total: usize) -> io::Result<()> {
    if total > shown {
        writeln!(
            out,
            "  … {} more (--top N, or --output json for all)",
            total - shown
        )?;
    }
    Ok(())
}

pub(crate) fn write(r: &Report, opts: &TableOptions, mut out: impl Write) -> io::Result<()> {
    let (label, color) = match r.verdict.level {
        Level::NoData => ("NO DATA", "35"),
        Level::Ok => ("OK", "32"),
        Level::Review => ("REVIEW", "33"),
        Level::Escalate => ("ESCALATE", "1;31"),
    };
    if opts.color {
        writeln!(out, "\x1b[{color}m{label}\x1b[0m  {}", r.verdict.reason)?;
    } else {
        writeln!(out, "{label}  {}", r.verdict.reason)?;
    }
    writeln!(out)?;

    let s = &r.summary;
    let class = |c: &str| s.by_class.get(c).copied().unwrap_or(0);
    writeln!(
        out,
        "{} requests from {} to {} in {} input(s)",
        s.requests,
        s.first_ts.as_deref().unwrap_or("-"),
        s.last_ts.as_deref().unwrap_or("-"),
        s.inputs.len()
    )?;
    writeln!(
        out,
        "2xx {}  3xx {}  4xx {} ({})  5xx {} ({})  malformed lines {}  unparsed bodies {}{}",
        class("2xx"),
        class("3xx"),
        class("4xx"),
        percent(class("4xx"), s.requests),
        class("5xx"),
        percent(class("5xx"), s.requests),
        s.malformed,
        s.unparsed_bodies,
        if s.filtered_out > 0 {
            format!("  outside --since/--until {}", s.filtered_out)
        } else {
            String::new()
        }
    )?;
    if s.partial_failures > 0 {
        writeln!(
            out,
            "partial failures: {} accepted bulk requests (202) had failed items (errors table, status 202)",
            s.partial_failures
        )?;
    }
    for e in &s.input_errors {
        writeln!(out, "INPUT ERROR {}: {}", e.path, e.error)?;
    }
    for k in &s.skipped {
        writeln!(out, "skipped {}: {}", printable(&k.path), k.reason)?;
    }

    if !r.incidents.is_empty() {
        writeln!(out, "\nPersistent 5xx periods")?;
        // The worst routes are in the verdict; JSON has them per period.
        let mut t = table(
            opts,
            &["start", "end", "min", "5xx of requests", "statuses"],
        );
        for i in r.incidents.iter().rev().take(opts.top) {
            let statuses: Vec<String> = i
                .by_status
                .iter()
                .map(|(k, v)| format!("{k}:{v}"))
                .collect();
            t.add_row(vec![
                i.start.clone(),
                if i.ongoing {
                    "ongoing".to_owned()
                } else {
                    i.end.clone()
                },
                (i.duration_s / 60).to_string(),
                format!(
                    "{} of {} ({})",
                    i.errors_5xx,
                    i.requests,
                    percent(i.errors_5xx, i.requests)
                ),
                statuses.join(" "),
            ]);
        }
        keep_whole(&mut t, &[0, 1, 2]);
        writeln!(out, "{t}")?;
        more(&mut out, opts.top, r.incidents.len())?;
    }

    writeln!(out, "\nBy status")?;
    let mut t = table(opts, &["status", "title", "count", "share"]);
    for x in r.by_status.iter().take(opts.top) {
        t.add_row(vec![
            x.status.to_string(),
            x.title.unwrap_or("").to_owned(),
            x.count.to_string(),
            percent(x.count, s.requests),
        ]);
    }
    writeln!(out, "{t}")?;
    more(&mut out, opts.top, r.by_status.len())?;

    if !r.errors.is_empty() {
        writeln!(out, "\nErrors (from response bodies)")?;
        // Example messages only where they fit; JSON and CSV always have them.
        let wide = table(opts, &[]).width().unwrap_or(opts.width) >= 120;
        let mut header = vec!["count", "statuses", "type", "code", "param"];
        if wide {
            header.push("example message");
        }
        let mut t = table(opts, &header);
        for e in r.errors.iter().take(opts.top) {
            let statuses: Vec<String> =
                e.statuses.iter().map(|(k, v)| format!("{k}:{v}")).collect();
            let mut row = vec![
                e.count.to_string(),
                statuses.join(" "),
                opt(&e.error_type),
                opt(&e.code),
                opt(&e.param),
            ];
            if wide {
                row.push(opt(&e.example_message));
            }
            t.add_row(row);
        }
        keep_whole(&mut t, &[0, 3]);
        writeln!(out, "{t}")?;
        more(&mut out, opts.top, r.errors.len())?;
    }

    writeln!(out, "\nRoutes (most 5xx first)")?;
    let mut t = table(opts, &["method", "route", "requests", "4xx", "5xx"]);
    for x in r.routes.iter().take(opts.top) {
        t.add_row(vec![
            opt(&x.method),
            opt(&x.route),
            x.requests.to_string(),
            x.errors_4xx.to_string(),
            x.errors_5xx.to_string(),
        ]);
    }
    writeln!(out, "{t}")?;
    more(&mut out, opts.top, r.routes.len())?;

    if !r.malformed_samples.is_empty() {
        writeln!(
            out,
            "\nMalformed lines (first {})",
            r.malformed_samples.len()
        )?;
        let mut t = table(opts, &["where", "reason", "text"]);
        for m in r.malformed_samples.iter().take(opts.top) {
            t.add_row(vec![
                format!("{}:{}", m.source, m.line),
                m.reason.clone(),
                printable(&m.text).into_owned(),
            ]);
        }
        keep_whole(&mut t, &[0]);
        writeln!(out, "{t}")?;
    }
    Ok(())
}
