//! `-o html`: one self-contained HTML file (SPEC §11) that makes no network
//! request when opened — inline CSS, a little inline JS, and a hand-made SVG
//! chart — so it can travel as a ticket or e-mail attachment.
//!
//! Why a hand-made SVG rather than a chart library: the chart is two series
//! and some shaded spans; an inlined library would be most of the file's
//! size, a licence to carry and code to audit, for little more.
//!
//! Everything from a log is attacker-controlled: text and attributes go
//! through [`h`] (entity-escaped, control characters shown), and the data the
//! script reads is JSON with `<`, `>`, `&`, U+2028 and U+2029 escaped, so
//! `</script>` cannot close it. A Content-Security-Policy forbids every
//! network access. The file stays under 2 MB whatever the input: tables keep
//! their first [`MAX_ROWS`] rows, the chart at most [`MAX_POINTS`] points.

use super::cells::{self, Style};
use crate::report::{human_duration, percent, Incident, Level, Report};
use std::fmt::Write as _;
use std::io::{self, Write};

/// Rows per table at most (the JSON report has them all).
const MAX_ROWS: usize = 500;
/// Points of the timeline chart at most: adjacent buckets are summed.
const MAX_POINTS: usize = 1500;
/// Incident panels at most (the latest).
const MAX_PANELS: usize = 20;

const CHART_W: f64 = 1000.0;
const CHART_H: f64 = 220.0;

/// Text or an attribute value, entity-escaped; control characters are
/// shown as `\xHH` (an escape sequence in a log must stay visible).
pub(crate) fn h(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() => {
                let _ = write!(out, "\\x{:02X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// JSON that is safe inside a `<script>` element.
pub(crate) fn script_json(value: &impl serde::Serialize) -> String {
    let json = serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned());
    json.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

fn micros(ts: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(ts)
        .ok()
        .map(|t| t.timestamp_micros())
}

/// One point of the chart: start, requests, 5xx.
type Point = (i64, u64, u64);

/// The timeline, summed into at most [`MAX_POINTS`] points.
fn points(r: &Report) -> Vec<Point> {
    let rows: Vec<Point> = r
        .timeline
        .iter()
        .filter_map(|t| Some((micros(&t.start)?, t.requests, t.errors_5xx)))
        .collect();
    let per = rows.len().div_ceil(MAX_POINTS).max(1);
    rows.chunks(per)
        .map(|c| {
            let requests = c.iter().map(|p| p.1).sum();
            let errors = c.iter().map(|p| p.2).sum();
            (c[0].0, requests, errors)
        })
        .collect()
}

/// The SVG chart: requests and 5xx per bucket, persistent periods shaded.
/// Where time `t` lands on the chart's x axis, which spans the points.
fn x_of(pts: &[Point], bucket_us: i64) -> impl Fn(i64) -> f64 {
    let t0 = pts.first().map_or(0, |p| p.0);
    let end = pts
        .last()
        .map_or(0, |p| p.0)
        .saturating_add(bucket_us.max(1));
    let t1 = end.max(t0.saturating_add(1));
    move |t: i64| t.saturating_sub(t0) as f64 / t1.saturating_sub(t0) as f64 * CHART_W
}

fn chart(r: &Report, pts: &[Point], bucket_us: i64) -> String {
    let (Some(first), Some(last)) = (pts.first(), pts.last()) else {
        return "<p>No requests to chart.</p>".to_owned();
    };
    let t0 = first.0;
    let t1 = last.0.saturating_add(bucket_us.max(1)).max(t0 + 1);
    let x = x_of(pts, bucket_us);
    let top = pts.iter().map(|p| p.1).max().unwrap_or(1).max(1) as f64;
    let y = |n: u64| CHART_H - n as f64 / top * (CHART_H - 10.0);
    let path = |value: &dyn Fn(&Point) -> u64| {
        let mut d = format!("M{:.1},{:.1}", x(t0), CHART_H);
        for p in pts {
            let _ = write!(d, " L{:.1},{:.1}", x(p.0), y(value(p)));
        }
        let _ = write!(d, " L{:.1},{:.1} Z", x(last.0), CHART_H);
        d
    };
    let mut svg = format!(
        "<svg id=\"chart\" viewBox=\"0 0 {CHART_W} {CHART_H}\" preserveAspectRatio=\"none\" \
         role=\"img\" aria-label=\"requests and 5xx per bucket\">"
    );
    for (n, i) in r.incidents.iter().enumerate() {
        let (Some(s), Some(e)) = (micros(&i.start), micros(&i.end)) else {
            continue;
        };
        let (xs, xe) = (x(s.max(t0)), x(e.min(t1)));
        let _ = write!(
            svg,
            "<rect class=\"period\" data-incident=\"{n}\" x=\"{xs:.1}\" y=\"0\" width=\"{:.1}\" \
             height=\"{CHART_H}\"><title>persistent 5xx period {} – {}</title></rect>",
            (xe - xs).max(1.0),
            h(&i.start),
            h(&i.end)
        );
    }
    let _ = write!(
        svg,
        "<path class=\"requests\" d=\"{}\"/><path class=\"errors\" d=\"{}\"/>\
         <line id=\"cursor\" x1=\"-10\" x2=\"-10\" y1=\"0\" y2=\"{CHART_H}\"/></svg>",
        path(&|p| p.1),
        path(&|p| p.2)
    );
    svg
}

/// A sortable, filterable table: header (name, numeric), rows of cells
/// (already escaped).
fn table(out: &mut String, id: &str, header: &[(&str, bool)], rows: &[Vec<String>], total: usize) {
    let _ = write!(
        out,
        "<input class=\"filter\" data-table=\"{id}\" placeholder=\"Filter…\" aria-label=\"filter {id}\">\
         <table id=\"{id}\" class=\"sortable\"><thead><tr>"
    );
    for (name, num) in header {
        let _ = write!(out, "<th data-num=\"{}\">{}</th>", u8::from(*num), h(name));
    }
    out.push_str("</tr></thead><tbody>");
    for row in rows {
        out.push_str("<tr>");
        for (cell, (_, num)) in row.iter().zip(header) {
            let _ = write!(
                out,
                "<td{}>{cell}</td>",
                if *num { " class=\"num\"" } else { "" }
            );
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>");
    if total > rows.len() {
        let _ = write!(
            out,
            "<p class=\"more\">{} more rows in the JSON report (<code>-o json</code>).</p>",
            total - rows.len()
        );
    }
}

/// Values escaped for HTML; approximate counts marked `~` with a tooltip.
const STYLE_HTML: Style = Style { text: h, count };

fn count(n: u64, error: u64) -> String {
    if error > 0 {
        format!("<span title=\"may exceed the truth by {error}\">~{n}</span>")
    } else {
        n.to_string()
    }
}

fn panel(out: &mut String, n: usize, i: &Incident) {
    let pct = |s: f64| format!("{:.0}%", s * 100.0);
    let _ = write!(
        out,
        "<section class=\"incident\" id=\"incident-{n}\"><h3>{} period from {} {}</h3>\
         <p>{} of {} requests failed with 5xx ({}) over {}; statuses {}.</p>",
        if i.ongoing { "Ongoing" } else { "Ended" },
        h(&i.start),
        if i.ongoing {
            "(still going)".to_owned()
        } else {
            format!("to {}", h(&i.end))
        },
        i.errors_5xx,
        i.requests,
        percent(i.errors_5xx, i.requests),
        human_duration(i.duration_s),
        h(&i.by_status
            .iter()
            .map(|(s, n)| format!("{s}: {n}"))
            .collect::<Vec<_>>()
            .join(", "))
    );
    if i.changes.is_empty() {
        out.push_str("<p>What changed: no value holding 30% or more of the 5xx rose by 15 points or more against the same length of time before (or there was no traffic then).</p>");
    } else {
        out.push_str(
            "<h4>What changed, against the same length of time before</h4><ul class=\"changes\">",
        );
        for c in &i.changes {
            let _ = write!(
                out,
                "<li><b>{} {}</b>: {} of the 5xx ({}), was {} of the {} ({})</li>",
                h(&c.dimension.replace('_', " ")),
                h(&c.value),
                pct(c.incident_share),
                c.incident_count,
                pct(c.baseline_share),
                c.baseline_of,
                c.baseline_count
            );
        }
        out.push_str("</ul>");
    }
    if !i.examples.is_empty() {
        out.push_str("<h4>First failing requests</h4>");
        let rows = cells::examples(i, &STYLE_HTML);
        let total = rows.len();
        table(out, &format!("examples-{n}"), cells::EXAMPLES, &rows, total);
    }
    out.push_str("</section>");
}

/// The whole page.
pub(crate) fn write(r: &Report, mut out: impl Write) -> io::Result<()> {
    let (level, class) = match r.verdict.level {
        Level::NoData => ("NO DATA", "nodata"),
        Level::Ok => ("OK", "ok"),
        Level::Review => ("REVIEW", "review"),
        Level::Escalate => ("ESCALATE", "escalate"),
    };
    let s = &r.summary;
    let bucket_us = (r.settings.bucket_s * 1e6) as i64;
    let pts = points(r);
    let mut body = String::new();
    let _ = write!(
        body,
        "<header class=\"verdict {class}\"><div class=\"level\">{level}</div>\
         <p id=\"reason\">{}</p></header>",
        h(&r.verdict.reason)
    );
    let _ = write!(
        body,
        "<p class=\"scope\">{} requests, {} lines in {} input{}{}; 2xx {}, 4xx {}, 5xx {}; {} malformed.</p>",
        s.requests,
        s.lines,
        s.inputs.len(),
        if s.inputs.len() == 1 { "" } else { "s" },
        match (&s.first_ts, &s.last_ts) {
            (Some(a), Some(b)) => format!(", {} to {}", h(a), h(b)),
            _ => String::new(),
        },
        s.by_class.get("2xx").copied().unwrap_or(0),
        s.by_class.get("4xx").copied().unwrap_or(0),
        s.by_class.get("5xx").copied().unwrap_or(0),
        s.malformed
    );
    body.push_str("<h2>Requests and 5xx over time</h2><div class=\"chartbox\">");
    body.push_str(&chart(r, &pts, bucket_us));
    body.push_str(
        "<div id=\"tip\" hidden></div></div><p class=\"hint\">Requests (grey) and 5xx (red) per bucket; \
         persistent 5xx periods shaded. Hover for values; drag to zoom, double-click to reset.</p>",
    );

    if !r.incidents.is_empty() {
        body.push_str("<h2>Persistent 5xx periods</h2>");
        for (n, i) in r.incidents.iter().enumerate().rev().take(MAX_PANELS) {
            panel(&mut body, n, i);
        }
    }

    if let Some(slo) = &r.slo {
        let _ = write!(body, "<h2>{}</h2>", h(&slo.title()));
        if slo.alerts.is_empty() {
            body.push_str("<p>None would have fired.</p>");
        } else {
            let rows: Vec<Vec<String>> = cells::slo_alerts(slo)
                .iter()
                .map(|row| row.iter().map(|c| h(c)).collect())
                .collect();
            table(&mut body, "slo", cells::SLO_ALERTS, &rows, rows.len());
        }
    }

    body.push_str("<h2>By status</h2>");
    let rows: Vec<Vec<String>> = r
        .by_status
        .iter()
        .take(MAX_ROWS)
        .map(|x| {
            vec![
                x.status.to_string(),
                x.title.map_or_else(String::new, h),
                x.count.to_string(),
                percent(x.count, s.requests),
            ]
        })
        .collect();
    table(
        &mut body,
        "statuses",
        &[
            ("status", true),
            ("title", false),
            ("count", true),
            ("share", true),
        ],
        &rows,
        r.by_status.len(),
    );

    body.push_str("<h2>Errors (from response bodies)</h2>");
    let rows = cells::errors(r, MAX_ROWS, &STYLE_HTML);
    table(&mut body, "errors", cells::ERRORS, &rows, r.errors.len());

    body.push_str("<h2>Routes</h2>");
    let rows = cells::routes(r, MAX_ROWS, &STYLE_HTML);
    table(&mut body, "routes", cells::ROUTES, &rows, r.routes.len());

    if !r.malformed_samples.is_empty() {
        body.push_str("<h2>Malformed lines (first ones)</h2>");
        let rows: Vec<Vec<String>> = r
            .malformed_samples
            .iter()
            .map(|m| {
                vec![
                    format!("{}:{}", h(&m.source), m.line),
                    h(&m.reason),
                    format!("<code>{}</code>", h(&m.text)),
                ]
            })
            .collect();
        let total = rows.len();
        table(
            &mut body,
            "malformed",
            &[("where", false), ("reason", false), ("text", false)],
            &rows,
            total,
        );
    }
    let t = &r.settings;
    let _ = write!(
        body,
        "<footer>faultline {}: a bucket of {} s is bad with at least {} 5xx and {} of its requests; \
         a persistent period lasts at least {} s with at most {} good buckets between bad ones. \
         Counts marked ~ may exceed the truth (<code>--max-keys</code>).</footer>",
        env!("CARGO_PKG_VERSION"),
        t.bucket_s,
        t.min_errors,
        percent((t.min_ratio * 1e6) as u64, 1_000_000),
        t.for_s,
        t.max_gap
    );
    // Each point with its x, so the hover finds it across gaps in time.
    let x = x_of(&pts, bucket_us);
    let data: Vec<(String, u64, u64, f64)> = pts
        .iter()
        .map(|p| {
            let at = (x(p.0) * 10.0).round() / 10.0;
            (crate::event::format_ts(p.0), p.1, p.2, at)
        })
        .collect();
    write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>faultline: {level}</title><style>{STYLE}</style></head><body>{body}\
         <script type=\"application/json\" id=\"timeline\">{}</script>\
         <script>{SCRIPT}</script></body></html>\n",
        script_json(&data)
    )
}

const STYLE: &str = r#"
:root{--fg:#1d2330;--bg:#fff;--muted:#5b6475;--line:#d9dee7;--req:#9aa3b2;--err:#d0312d;--shade:rgba(208,49,45,.14);--card:#f5f7fa}
@media (prefers-color-scheme:dark){:root{--fg:#e6e9ef;--bg:#15181e;--muted:#9aa3b2;--line:#2c323d;--req:#6b7485;--err:#ff5d57;--shade:rgba(255,93,87,.18);--card:#1d222a}}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:var(--bg);margin:0 auto;max-width:1200px;padding:16px 24px}
h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}h3{font-size:16px;margin:0 0 6px}h4{font-size:14px;margin:12px 0 4px}
.verdict{border-radius:8px;padding:14px 18px;background:var(--card);border-left:8px solid var(--muted)}
.verdict .level{font-weight:700;font-size:20px;letter-spacing:.05em}
.verdict.escalate{border-color:#d0312d}.verdict.escalate .level{color:#d0312d}
.verdict.review{border-color:#d99a00}.verdict.review .level{color:#b07d00}
.verdict.ok{border-color:#2e9d4d}.verdict.ok .level{color:#2e9d4d}
.verdict.nodata{border-color:#8455c4}.verdict.nodata .level{color:#8455c4}
.scope,.hint,.more,footer{color:var(--muted)}footer{margin-top:32px;font-size:12px}
.chartbox{position:relative}#chart{width:100%;height:240px;background:var(--card);border-radius:6px;cursor:crosshair;display:block}
#chart .requests{fill:var(--req);opacity:.55}#chart .errors{fill:var(--err);opacity:.85}#chart .period{fill:var(--shade)}
#chart #cursor{stroke:var(--fg);stroke-width:1;vector-effect:non-scaling-stroke}
#tip{position:absolute;top:6px;background:var(--bg);border:1px solid var(--line);border-radius:4px;padding:4px 8px;font-size:12px;pointer-events:none;white-space:nowrap}
.incident{background:var(--card);border-radius:8px;padding:12px 16px;margin:10px 0;border-left:4px solid var(--err)}
table{border-collapse:collapse;width:100%;margin:4px 0 8px;font-size:13px}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid var(--line);vertical-align:top;overflow-wrap:break-word}
th{cursor:pointer;user-select:none;white-space:nowrap}th[data-num="1"]{text-align:right}th.asc::after{content:" ▲"}th.desc::after{content:" ▼"}td.num{text-align:right;font-variant-numeric:tabular-nums}
.filter{margin:4px 0;padding:4px 8px;border:1px solid var(--line);border-radius:4px;background:var(--bg);color:var(--fg);width:240px}
code{font-size:12px;overflow-wrap:anywhere}
@media print{.filter,.hint,#tip{display:none}body{max-width:none;padding:0}.incident,.verdict{break-inside:avoid}#chart{height:180px}}
"#;

const SCRIPT: &str = r#"
(function(){
var pts=JSON.parse(document.getElementById('timeline').textContent);
var svg=document.getElementById('chart'),tip=document.getElementById('tip'),cur=document.getElementById('cursor');
if(svg&&pts.length){
 var W=1000,H=220,view=[0,W],drag=null;
 function setView(a,b){view=[a,b];svg.setAttribute('viewBox',a+' 0 '+(b-a)+' '+H);}
 function toX(ev){var r=svg.getBoundingClientRect();return view[0]+(ev.clientX-r.left)/r.width*(view[1]-view[0]);}
 function near(x){var lo=0,hi=pts.length-1;while(lo<hi){var m=(lo+hi)>>1;if(pts[m][3]<x)lo=m+1;else hi=m;}
  return (lo>0&&x-pts[lo-1][3]<pts[lo][3]-x)?lo-1:lo;}
 svg.addEventListener('mousemove',function(ev){var x=toX(ev),p=pts[near(x)];cur.setAttribute('x1',x);cur.setAttribute('x2',x);
  tip.hidden=false;tip.textContent=p[0]+'  requests '+p[1]+'  5xx '+p[2];var r=svg.getBoundingClientRect();
  tip.style.left=Math.min(ev.clientX-r.left+12,r.width-220)+'px';});
 svg.addEventListener('mouseleave',function(){tip.hidden=true;drag=null;});
 svg.addEventListener('mousedown',function(ev){drag=toX(ev);});
 svg.addEventListener('mouseup',function(ev){if(drag===null)return;var x=toX(ev),a=Math.min(drag,x),b=Math.max(drag,x);drag=null;if(b-a>2)setView(a,b);});
 svg.addEventListener('dblclick',function(){setView(0,W);});
}
document.querySelectorAll('table.sortable').forEach(function(t){
 t.querySelectorAll('th').forEach(function(th,col){th.addEventListener('click',function(){
  var num=th.dataset.num==='1',asc=!th.classList.contains('asc');
  t.querySelectorAll('th').forEach(function(o){o.classList.remove('asc','desc');});th.classList.add(asc?'asc':'desc');
  var body=t.tBodies[0],rows=Array.prototype.slice.call(body.rows);
  rows.sort(function(a,b){var x=a.cells[col].textContent,y=b.cells[col].textContent;
   if(num){x=parseFloat(x.replace(/[^0-9.\-]/g,''))||0;y=parseFloat(y.replace(/[^0-9.\-]/g,''))||0;return asc?x-y:y-x;}
   return asc?x.localeCompare(y):y.localeCompare(x);});
  rows.forEach(function(r){body.appendChild(r);});});});});
document.querySelectorAll('input.filter').forEach(function(f){f.addEventListener('input',function(){
 var q=f.value.toLowerCase(),t=document.getElementById(f.dataset.table);
 Array.prototype.forEach.call(t.tBodies[0].rows,function(r){r.hidden=q!==''&&r.textContent.toLowerCase().indexOf(q)<0;});});});
})();
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_text_cannot_become_markup_or_end_the_script() {
        assert_eq!(
            h("<img src=x onerror=\"a()\">&'\u{1b}"),
            "&lt;img src=x onerror=&quot;a()&quot;&gt;&amp;&#39;\\x1B"
        );
        let json = script_json(&vec!["</script><script>alert(1)</script>&\u{2028}"]);
        assert!(!json.contains('<') && !json.contains('>') && !json.contains('&'));
        assert!(!json.contains('\u{2028}'));
        let back: Vec<String> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, ["</script><script>alert(1)</script>&\u{2028}"]);
    }
}
