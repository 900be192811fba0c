//! The human view: verdict first, then the tables a support engineer reads,
//! each cut to `--top` rows (the JSON keeps every row).

use crate::report::{percent, Level, Report};
use comfy_table::{presets, ContentArrangement, LineStyle, Table, TableStyle};
use std::io::{self, Write};

/// How the human view is drawn.
#[derive(Debug, Clone, Copy)]
pub struct TableOptions {
    /// Rows per table.
    pub top: usize,
    /// ANSI colour for the verdict.
    pub color: bool,
    /// Total width to fit tables into.
    pub width: u16,
}

/// Plain columns with one rule under the header: compact, and pastes well into tickets.
const STYLE: TableStyle = presets::NOTHING.header_separator(LineStyle::none().fill('─').junction('─'));

fn table(opts: &TableOptions, header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_style(STYLE)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(opts.width)
        .set_header(header);
    t
}

fn opt(v: &Option<String>) -> &str {
    v.as_deref().unwrap_or("-")
}

fn more(out: &mut impl Write, shown: usize, total: usize) -> io::Result<()> {
    if total > shown {
        writeln!(out, "  … {} more (--top N, or --output json for all)", total - shown)?;
    }
    Ok(())
}

pub fn write(r: &Report, opts: &TableOptions, mut out: impl Write) -> io::Result<()> {
    let (label, color) = match r.verdict.level {
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
    for e in &s.input_errors {
        writeln!(out, "INPUT ERROR {}: {}", e.path, e.error)?;
    }

    if !r.incidents.is_empty() {
        writeln!(out, "\nPersistent 5xx periods")?;
        let mut t = table(opts, &["start", "end", "min", "5xx / requests", "statuses", "worst route"]);
        for i in r.incidents.iter().rev().take(opts.top) {
            let statuses: Vec<String> = i.by_status.iter().map(|(k, v)| format!("{k}:{v}")).collect();
            let route = i
                .top_routes
                .first()
                .map(|x| format!("{} {}", opt(&x.method), opt(&x.route)))
                .unwrap_or_default();
            t.add_row(vec![
                i.start.clone(),
                if i.ongoing { "ongoing".to_owned() } else { i.end.clone() },
                (i.duration_s / 60).to_string(),
                format!("{} / {} ({})", i.errors_5xx, i.requests, percent(i.errors_5xx, i.requests)),
                statuses.join(" "),
                route,
            ]);
        }
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
        let mut t = table(opts, &["type", "code", "param", "count", "statuses", "example message"]);
        for e in r.errors.iter().take(opts.top) {
            let statuses: Vec<String> = e.statuses.iter().map(|(k, v)| format!("{k}:{v}")).collect();
            t.add_row(vec![
                opt(&e.error_type).to_owned(),
                opt(&e.code).to_owned(),
                opt(&e.param).to_owned(),
                e.count.to_string(),
                statuses.join(" "),
                opt(&e.example_message).to_owned(),
            ]);
        }
        writeln!(out, "{t}")?;
        more(&mut out, opts.top, r.errors.len())?;
    }

    writeln!(out, "\nRoutes (most 5xx first)")?;
    let mut t = table(opts, &["method", "route", "requests", "4xx", "5xx"]);
    for x in r.routes.iter().take(opts.top) {
        t.add_row(vec![
            opt(&x.method).to_owned(),
            opt(&x.route).to_owned(),
            x.requests.to_string(),
            x.errors_4xx.to_string(),
            x.errors_5xx.to_string(),
        ]);
    }
    writeln!(out, "{t}")?;
    more(&mut out, opts.top, r.routes.len())?;

    if !r.malformed_samples.is_empty() {
        writeln!(out, "\nMalformed lines (first {})", r.malformed_samples.len())?;
        let mut t = table(opts, &["where", "reason", "text"]);
        for m in r.malformed_samples.iter().take(opts.top) {
            t.add_row(vec![format!("{}:{}", m.source, m.line), m.reason.clone(), m.text.clone()]);
        }
        writeln!(out, "{t}")?;
    }
    Ok(())
}
