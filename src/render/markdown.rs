//! `-o markdown`: the verdict, the incidents, the top errors and the top
//! routes as GitHub Flavored Markdown, to paste into a ticket (SPEC §11).
//!
//! Everything that came from a log is attacker-controlled and this text is
//! rendered where people read it, so every such string goes through
//! [`escape`]: Markdown's active characters are backslash-escaped (no HTML,
//! image, link or emphasis can come from a log line) and control characters
//! are written as visible `\xHH`, so a line break cannot end a table row.

use super::cells::{self, Style};
use crate::report::{human_duration, percent, Level, Report, ERRORS_SPREAD, ROUTES_SPREAD};
use std::fmt::Write as _;
use std::io::{self, Write};

/// Backslash-escapes what Markdown would act on, and makes control
/// characters visible.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '<' | '>' | '[' | ']' | '(' | ')' | '!' | '|' | '`' | '*' | '_' | '~' | '#'
            | '&' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => {
                // `\xHH` for ASCII controls, `\u{…}` for the rest (U+0085 …).
                if (c as u32) < 0x80 {
                    let _ = write!(out, "\\\\x{:02x}", c as u32);
                } else {
                    let _ = write!(out, "\\\\u{{{:x}}}", c as u32);
                }
            }
            // Unicode line and paragraph separators break lines in some viewers.
            '\u{2028}' | '\u{2029}' => {
                let _ = write!(out, "\\\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// An optional value: escaped, or `–` when absent.
fn opt(v: &Option<String>) -> String {
    v.as_deref().map_or_else(|| "–".to_owned(), escape)
}

/// A count, marked `~` (escaped) when it is an upper bound.
/// Values backslash-escaped; approximate counts marked `~` (escaped).
const STYLE_MD: Style = Style {
    text: escape,
    count,
};

fn count(n: u64, error: u64) -> String {
    if error > 0 {
        format!("\\~{n}")
    } else {
        n.to_string()
    }
}

/// One GFM table: the header, the alignment row, the rows (already escaped).
fn table(out: &mut impl Write, header: &[(&str, bool)], rows: &[Vec<String>]) -> io::Result<()> {
    let cells = |cells: Vec<String>| format!("| {} |", cells.join(" | "));
    writeln!(
        out,
        "{}",
        cells(header.iter().map(|(h, _)| h.to_string()).collect())
    )?;
    writeln!(
        out,
        "{}",
        cells(
            header
                .iter()
                .map(|(_, right)| if *right { "---:" } else { "---" }.to_owned())
                .collect()
        )
    )?;
    for row in rows {
        writeln!(out, "{}", cells(row.clone()))?;
    }
    Ok(())
}

/// The Markdown report; `top` rows per table.
pub(crate) fn write(r: &Report, top: usize, mut out: impl Write) -> io::Result<()> {
    let level = match r.verdict.level {
        Level::NoData => "NO DATA",
        Level::Ok => "OK",
        Level::Review => "REVIEW",
        Level::Escalate => "ESCALATE",
    };
    let s = &r.summary;
    writeln!(out, "## faultline: {level}\n")?;
    writeln!(out, "> {}\n", escape(&r.verdict.reason))?;
    let mut scope = format!(
        "{} requests, {} lines in {} input{}",
        s.requests,
        s.lines,
        s.inputs.len(),
        if s.inputs.len() == 1 { "" } else { "s" }
    );
    if let (Some(first), Some(last)) = (&s.first_ts, &s.last_ts) {
        let _ = write!(scope, ", {} to {}", escape(first), escape(last));
    }
    if s.malformed > 0 {
        let _ = write!(scope, "; {} malformed", s.malformed);
    }
    writeln!(out, "**Scope:** {scope}.\n")?;

    writeln!(out, "### Persistent 5xx periods\n")?;
    if r.incidents.is_empty() {
        writeln!(out, "None.\n")?;
    } else {
        let rows: Vec<Vec<String>> = r
            .incidents
            .iter()
            .map(|i| {
                let statuses: Vec<String> = i
                    .by_status
                    .iter()
                    .map(|(k, n)| format!("{}: {n}", escape(k)))
                    .collect();
                let routes: Vec<String> = i
                    .worst_routes()
                    .map(|x| {
                        format!(
                            "{} {} ({})",
                            opt(&x.method),
                            opt(&x.route),
                            count(x.errors_5xx, x.count_error)
                        )
                    })
                    .collect();
                let error = i.top_error().map_or_else(
                    || {
                        if i.top_errors.is_empty() {
                            "–".to_owned()
                        } else {
                            ERRORS_SPREAD.to_owned()
                        }
                    },
                    |e| {
                        format!(
                            "{} ({})",
                            opt(&e.code.clone().or(e.error_type.clone())),
                            count(e.count, e.count_error)
                        )
                    },
                );
                vec![
                    escape(&i.start),
                    if i.ongoing {
                        "ongoing".to_owned()
                    } else {
                        escape(&i.end)
                    },
                    human_duration(i.duration_s),
                    i.requests.to_string(),
                    i.errors_5xx.to_string(),
                    percent(i.errors_5xx, i.requests),
                    statuses.join(", "),
                    if routes.is_empty() && !i.top_routes.is_empty() {
                        ROUTES_SPREAD.to_owned()
                    } else {
                        routes.join(", ")
                    },
                    error,
                ]
            })
            .collect();
        table(
            &mut out,
            &[
                ("start", false),
                ("end", false),
                ("lasted", true),
                ("requests", true),
                ("5xx", true),
                ("5xx share", true),
                ("statuses", false),
                ("worst routes", false),
                ("top error", false),
            ],
            &rows,
        )?;
        writeln!(out)?;
        for i in r.incidents.iter().rev().take(3) {
            evidence(&mut out, i)?;
        }
    }

    if let Some(slo) = &r.slo {
        writeln!(out, "### {}\n", escape(&slo.title()))?;
        if slo.alerts.is_empty() {
            writeln!(out, "None would have fired.\n")?;
        } else {
            let rows: Vec<Vec<String>> = cells::slo_alerts(slo)
                .iter()
                .map(|row| row.iter().map(|c| escape(c)).collect())
                .collect();
            table(&mut out, cells::SLO_ALERTS, &rows)?;
            writeln!(out)?;
        }
    }

    if !r.errors.is_empty() {
        writeln!(out, "### Top errors\n")?;
        table(&mut out, cells::ERRORS, &cells::errors(r, top, &STYLE_MD))?;
        more(&mut out, top, r.errors.len())?;
    }

    if !r.routes.is_empty() {
        writeln!(out, "### Top routes (most 5xx first)\n")?;
        table(&mut out, cells::ROUTES, &cells::routes(r, top, &STYLE_MD))?;
        more(&mut out, top, r.routes.len())?;
    }
    let t = &r.settings;
    writeln!(
        out,
        "<sub>faultline {}: a bucket of {} s is bad with at least {} 5xx and {} of requests; \
         a persistent period lasts at least {} s with at most {} good buckets between bad ones. \
         `~` marks counts that may exceed the truth (`--max-keys`).</sub>",
        env!("CARGO_PKG_VERSION"),
        t.bucket_s,
        t.min_errors,
        percent((t.min_ratio * 1e6) as u64, 1_000_000),
        t.for_s,
        t.max_gap
    )
}

/// What changed in one period, and its first failing requests.
fn evidence(out: &mut impl Write, i: &crate::report::Incident) -> io::Result<()> {
    let pct = |share: f64| format!("{:.0}%", share * 100.0);
    writeln!(out, "#### The period from {}\n", escape(&i.start))?;
    if i.changes.is_empty() {
        writeln!(out, "What changed: no value holding 30% or more of the 5xx rose by 15 points or more against the same length of time before (or there was no traffic then).\n")?;
    } else {
        writeln!(
            out,
            "What changed, against the same length of time before:\n"
        )?;
        for c in &i.changes {
            writeln!(
                out,
                "- {} {}: {} of the 5xx ({}), was {} of the {} ({})",
                c.dimension.replace('_', " "),
                escape(&c.value),
                pct(c.incident_share),
                c.incident_count,
                pct(c.baseline_share),
                c.baseline_of,
                c.baseline_count
            )?;
        }
        writeln!(out)?;
    }
    if !i.examples.is_empty() {
        writeln!(out, "First failing requests:\n")?;
        table(out, cells::EXAMPLES, &cells::examples(i, &STYLE_MD))?;
        writeln!(out)?;
    }
    Ok(())
}

fn more(out: &mut impl Write, shown: usize, total: usize) -> io::Result<()> {
    if total > shown {
        writeln!(out, "\n… and {} more (`--top N`).", total - shown)?;
    }
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_text_cannot_make_markup() {
        assert_eq!(
            escape("<script>x</script> ![i](http://e/x.png) [l](u) `c` *b* _i_ a|b"),
            "\\<script\\>x\\</script\\> \\!\\[i\\]\\(http://e/x.png\\) \\[l\\]\\(u\\) \\`c\\` \\*b\\* \\_i\\_ a\\|b"
        );
        assert_eq!(
            escape("a\nb\tc\u{1b}[31m"),
            "a\\\\x0ab\\\\x09c\\\\x1b\\[31m"
        );
        assert_eq!(escape("a\\|b"), "a\\\\\\|b");
        assert_eq!(escape("/v1/charges"), "/v1/charges");
    }
}
