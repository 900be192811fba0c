//! One table of the report as CSV. Nested maps and lists are flattened into
//! one cell (`400:3;404:1`), since a CSV row cannot nest.

use super::TableName;
use crate::report::Report;
use std::collections::BTreeMap;
use std::io::{self, Write};

fn opt(v: &Option<String>) -> &str {
    v.as_deref().unwrap_or("")
}

fn counts(m: &BTreeMap<String, u64>) -> String {
    m.iter()
        .map(|(k, v)| format!("{k}:{v}"))
        .collect::<Vec<_>>()
        .join(";")
}

pub(crate) fn write(report: &Report, table: TableName, out: impl Write) -> io::Result<()> {
    let mut w = ::csv::Writer::from_writer(out);
    let r = report;
    match table {
        TableName::Inputs => {
            w.write_record(["path", "format", "compression", "lines"])?;
            for i in &r.summary.inputs {
                w.write_record([
                    &i.path,
                    opt(&i.format),
                    opt(&i.compression),
                    &i.lines.to_string(),
                ])?;
            }
        }
        TableName::ByStatus => {
            w.write_record(["status", "title", "count"])?;
            for s in &r.by_status {
                w.write_record([
                    &s.status.to_string(),
                    s.title.unwrap_or(""),
                    &s.count.to_string(),
                ])?;
            }
        }
        TableName::Errors => {
            w.write_record([
                "type",
                "code",
                "param",
                "count",
                "statuses",
                "example_message",
            ])?;
            for e in &r.errors {
                w.write_record([
                    opt(&e.error_type),
                    opt(&e.code),
                    opt(&e.param),
                    &e.count.to_string(),
                    &counts(&e.statuses),
                    opt(&e.example_message),
                ])?;
            }
        }
        TableName::Routes => {
            w.write_record(["method", "route", "requests", "errors_4xx", "errors_5xx"])?;
            for x in &r.routes {
                w.write_record([
                    opt(&x.method),
                    opt(&x.route),
                    &x.requests.to_string(),
                    &x.errors_4xx.to_string(),
                    &x.errors_5xx.to_string(),
                ])?;
            }
        }
        TableName::Timeline => {
            w.write_record(["start", "requests", "errors_4xx", "errors_5xx"])?;
            for t in &r.timeline {
                w.write_record([
                    &t.start,
                    &t.requests.to_string(),
                    &t.errors_4xx.to_string(),
                    &t.errors_5xx.to_string(),
                ])?;
            }
        }
        TableName::Incidents => {
            w.write_record([
                "start",
                "end",
                "duration_s",
                "ongoing",
                "bad_buckets",
                "requests",
                "errors_5xx",
                "error_ratio",
                "by_status",
                "top_routes",
                "top_errors",
            ])?;
            for i in &r.incidents {
                let routes: Vec<String> = i
                    .top_routes
                    .iter()
                    .map(|x| format!("{} {}:{}", opt(&x.method), opt(&x.route), x.errors_5xx))
                    .collect();
                let errors: Vec<String> = i
                    .top_errors
                    .iter()
                    .map(|e| {
                        format!(
                            "{}/{}/{}:{}",
                            opt(&e.error_type),
                            opt(&e.code),
                            opt(&e.param),
                            e.count
                        )
                    })
                    .collect();
                w.write_record([
                    &i.start,
                    &i.end,
                    &i.duration_s.to_string(),
                    &i.ongoing.to_string(),
                    &i.bad_buckets.to_string(),
                    &i.requests.to_string(),
                    &i.errors_5xx.to_string(),
                    &format!("{:.6}", i.error_ratio),
                    &counts(&i.by_status),
                    &routes.join(";"),
                    &errors.join(";"),
                ])?;
            }
        }
        TableName::Malformed => {
            w.write_record(["source", "line", "reason", "text"])?;
            for s in &r.malformed_samples {
                w.write_record([&s.source, &s.line.to_string(), &s.reason, &s.text])?;
            }
        }
    }
    w.flush()
}
