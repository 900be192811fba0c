//! Portable SQL (SPEC §9): every shipped query in `queries/` gives the same
//! rows on Polars SQL (`faultline query`) and on DuckDB over the same
//! hive-partitioned Parquet dataset, and `persistent-5xx-periods.sql` gives
//! `analyze`'s incidents exactly.
//!
//! DuckDB is the Python package in `target/duckdb-venv` (`.ci/setup-duckdb`
//! installs it, and these tests do too when it is missing): the `duckdb`
//! crate's bundled C++ build would cost CI more than the tests.
//!
//! Spark SQL is compared too when `FAULTLINE_SPARK_PYTHON` names a Python
//! with `pyspark` (too heavy for CI: about 500 MB, and about a minute a
//! Spark session on this 2-core machine).
//!
//! Rows are compared after one normalisation, as the engines print
//! values their own way: every number is compared as an f64 (`3` and `3.0`
//! are equal; no tolerance), and every string that reads as an RFC 3339
//! time as that instant (`2026-11-24T10:00:00+00:00` and
//! `2026-11-24T10:00:00Z` are equal). Everything else compares as text.

use crate::*;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The Python that has DuckDB: what `.ci/setup-duckdb` prints, which installs
/// it when missing. Once per test process, so tests do not install it twice
/// at once.
fn duckdb_python() -> PathBuf {
    static PYTHON: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    PYTHON
        .get_or_init(|| {
            let out = std::process::Command::new("bash")
                .arg(root().join(".ci/setup-duckdb"))
                .output()
                .expect("bash runs");
            assert!(
                out.status.success(),
                ".ci/setup-duckdb could not install DuckDB: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
        })
        .clone()
}

/// Writes the events of `inputs` as a dataset under `dir` with `faultline
/// export`: `date=YYYY-MM-DD/hour=HH/*.parquet`, the SPEC §4 columns.
fn make_dataset(dir: &Path, inputs: &[&Path]) {
    faultline()
        .args(["export", "--no-progress", "--out"])
        .arg(dir)
        .args(inputs)
        .assert()
        .success();
}

/// Runs each SQL file on DuckDB with `events` a view of the dataset, as a
/// user would (`read_parquet('DIR/*/*/*.parquet')`), in UTC. Prints, per
/// file, its columns and rows as JSON; times as ISO 8601 with the offset.
const DUCKDB_RUNNER: &str = r#"
import datetime, decimal, json, sys
import duckdb

dataset, files = sys.argv[1], sys.argv[2:]
con = duckdb.connect()
# Timestamps with a time zone (the dataset's ts) format in the session's zone.
con.execute("SET TimeZone = 'UTC'")
glob = (dataset + "/*/*/*.parquet").replace("'", "''")
con.execute(f"CREATE VIEW events AS SELECT * FROM read_parquet('{glob}')")

def cell(v):
    if isinstance(v, datetime.datetime):
        # A TIMESTAMP without a zone is UTC, as the queries compute them.
        if v.tzinfo is None:
            v = v.replace(tzinfo=datetime.timezone.utc)
        return v.isoformat()
    if isinstance(v, decimal.Decimal):
        return float(v)
    return v

out = {}
for path in files:
    with open(path) as f:
        cur = con.execute(f.read())
    out[path] = {
        "columns": [d[0] for d in cur.description],
        "rows": [[cell(v) for v in row] for row in cur.fetchall()],
    }
json.dump(out, sys.stdout)
"#;

/// One query's result: its column names and rows.
#[derive(Debug, PartialEq)]
struct Rows {
    columns: Vec<String>,
    rows: Vec<Vec<Value>>,
}

/// Runs each SQL file on Spark with `events` the dataset as Spark reads it
/// (`spark.read.parquet(DIR)`), in UTC, after the `strftime` definition of
/// `queries/README.md`. Prints like [`DUCKDB_RUNNER`]; run with `TZ=UTC`,
/// as PySpark gives times in the local zone without one.
const SPARK_RUNNER: &str = r#"
import datetime, decimal, json, sys
from pyspark.sql import SparkSession

dataset, prelude, files = sys.argv[1], sys.argv[2], sys.argv[3:]
spark = (SparkSession.builder.master("local[2]")
         .config("spark.sql.session.timeZone", "UTC")
         .config("spark.sql.ansi.doubleQuotedIdentifiers", "true")
         .config("spark.ui.enabled", "false")
         .getOrCreate())
spark.sparkContext.setLogLevel("ERROR")
spark.read.parquet(dataset).createOrReplaceTempView("events")
spark.sql(prelude)

def cell(v):
    if isinstance(v, datetime.datetime):
        return v.replace(tzinfo=datetime.timezone.utc).isoformat()
    if isinstance(v, decimal.Decimal):
        return float(v)
    return v

out = {}
for path in files:
    with open(path) as f:
        df = spark.sql(f.read())
    out[path] = {
        "columns": df.columns,
        "rows": [[cell(v) for v in row] for row in df.collect()],
    }
json.dump(out, sys.stdout)
"#;

/// An engine that runs the SQL files through a Python runner script.
struct Engine {
    name: &'static str,
    python: PathBuf,
    runner: &'static str,
    /// Arguments between the dataset and the files.
    extra: Vec<String>,
}

impl Engine {
    fn duckdb() -> Engine {
        Engine {
            name: "DuckDB",
            python: duckdb_python(),
            runner: DUCKDB_RUNNER,
            extra: vec![],
        }
    }

    /// Spark, when `FAULTLINE_SPARK_PYTHON` names a Python with pyspark.
    fn spark() -> Option<Engine> {
        let python = std::env::var_os("FAULTLINE_SPARK_PYTHON")?;
        Some(Engine {
            name: "Spark",
            python: python.into(),
            runner: SPARK_RUNNER,
            extra: vec![spark_strftime()],
        })
    }

    /// Every file of `names` (in `queries/`) run over `dataset`.
    fn run(&self, dataset: &Path, names: &[&str]) -> Vec<Rows> {
        let files: Vec<PathBuf> = names
            .iter()
            .map(|n| root().join("queries").join(format!("{n}.sql")))
            .collect();
        let out = std::process::Command::new(&self.python)
            .arg("-c")
            .arg(self.runner)
            .arg(dataset)
            .args(&self.extra)
            .args(&files)
            .env("TZ", "UTC")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}: {}",
            self.name,
            String::from_utf8_lossy(&out.stderr)
        );
        let all: Value = serde_json::from_slice(&out.stdout).unwrap();
        files
            .iter()
            .map(|f| {
                let r = &all[f.to_str().unwrap()];
                Rows {
                    columns: r["columns"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|c| c.as_str().unwrap().to_owned())
                        .collect(),
                    rows: r["rows"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|row| row.as_array().unwrap().iter().map(normal).collect())
                        .collect(),
                }
            })
            .collect()
    }
}

/// The `strftime` definition Spark needs, as `queries/README.md` shows it.
fn spark_strftime() -> String {
    let doc = std::fs::read_to_string(root().join("queries/README.md")).unwrap();
    let start = doc
        .find("CREATE TEMPORARY FUNCTION strftime")
        .expect("queries/README.md defines strftime for Spark");
    let len = doc[start..].find("```").unwrap();
    doc[start..start + len].trim().to_owned()
}

/// DuckDB, and Spark when set up.
fn engines() -> Vec<Engine> {
    std::iter::once(Engine::duckdb())
        .chain(Engine::spark())
        .collect()
}

/// `faultline query NAME INPUTS -o json`, its rows in the order of `columns`
/// (JSON objects do not keep their key order here).
fn polars(name: &str, inputs: &[&Path], columns: &[String]) -> Rows {
    let out = stdout_of(
        faultline()
            .args(["query", name])
            .args(inputs)
            .args(["-o", "json"]),
    );
    let rows: Vec<Value> = serde_json::from_str(&out).unwrap();
    let wanted: BTreeSet<&str> = columns.iter().map(String::as_str).collect();
    Rows {
        columns: columns.to_vec(),
        rows: rows
            .iter()
            .map(|row| {
                let row = row.as_object().unwrap();
                let keys: BTreeSet<&str> = row.keys().map(String::as_str).collect();
                assert_eq!(keys, wanted, "{name}: the same columns");
                columns.iter().map(|c| normal(&row[c])).collect()
            })
            .collect(),
    }
}

/// The normalisation in the module doc.
fn normal(v: &Value) -> Value {
    match v {
        Value::Number(n) => json!(n.as_f64().unwrap()),
        Value::String(s) => match chrono::DateTime::parse_from_rfc3339(s) {
            Ok(t) => json!(t
                .with_timezone(&chrono::Utc)
                .to_rfc3339_opts(chrono::SecondsFormat::Micros, true)),
            Err(_) => v.clone(),
        },
        _ => v.clone(),
    }
}

/// Every shipped query's name (`faultline query --list`).
fn shipped() -> Vec<String> {
    stdout_of(faultline().args(["query", "--list"]))
        .lines()
        .map(|l| l.split_whitespace().next().unwrap().to_owned())
        .collect()
}

/// Asserts every shipped query gives the same rows on Polars and DuckDB
/// (and Spark, when set up) over the events of `inputs`; returns the names
/// of those that gave none.
fn same_rows_everywhere(inputs: &[&Path]) -> BTreeSet<String> {
    let dir = tempfile::tempdir().unwrap();
    make_dataset(dir.path(), inputs);
    let names = shipped();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let mut empty = BTreeSet::new();
    for engine in engines() {
        for (name, theirs) in names.iter().zip(engine.run(dir.path(), &names)) {
            let pol = polars(name, inputs, &theirs.columns);
            assert_eq!(pol, theirs, "{name}: Polars, then {}", engine.name);
            if theirs.rows.is_empty() {
                empty.insert((*name).to_owned());
            }
        }
    }
    empty
}

#[test]
fn every_shipped_query_gives_the_same_rows_on_every_engine() {
    // The sample logs (three formats, gzip, two hours) and the query tests'
    // events (nulls, fractions of seconds, 429s in bursts, a second day).
    let samples = root().join("sample-logs");
    let query_events = data().join("query.jsonl");
    let empty = same_rows_everywhere(&[&samples, &query_events]);
    assert!(
        empty.is_empty(),
        "queries without rows prove nothing: {empty:?}"
    );

    // Periods, runs and gaps at the edges of the rule, and times at the
    // first and last microsecond of their minutes.
    let dir = tempfile::tempdir().unwrap();
    let edges = dir.path().join("edges.jsonl");
    write_edges_log(&edges);
    same_rows_everywhere(&[&edges]);
}

/// Minutes after 2026-11-24T08:00:00Z, each with (requests, 5xx). Minutes
/// not listed have 20 requests and no 5xx up to the last listed one; those
/// listed as (0, 0) are empty.
const EDGES: &[(i64, u64, u64)] = &[
    // A period of five bad buckets (5 minutes exactly).
    (10, 20, 6),
    (11, 20, 6),
    (12, 20, 6),
    (13, 20, 6),
    (14, 20, 6),
    // Two non-bad buckets between bad ones (--max-gap): one run. Minute 32
    // has 5 % 5xx but only 2 of them; minute 33 is empty.
    (30, 20, 6),
    (31, 20, 6),
    (32, 40, 2),
    (33, 0, 0),
    (34, 20, 6),
    (35, 20, 6),
    (36, 20, 6),
    // Three non-bad buckets (one empty): two runs. The first is one bucket
    // short of 5 minutes; the second is a period, without minute 56's 5xx.
    (50, 20, 6),
    (51, 20, 6),
    (52, 20, 6),
    (53, 20, 6),
    (54, 20, 0),
    (55, 0, 0),
    (56, 20, 4),
    (57, 20, 6),
    (58, 20, 6),
    (59, 20, 6),
    (60, 20, 6),
    (61, 20, 6),
    // Bad by the sparse rule alone (half or more 5xx, inclusive), 5 minutes
    // long, but 3 5xx in all: not a period.
    (70, 1, 1),
    (72, 2, 1),
    (74, 1, 1),
    // A sparse-rule bucket opens a period; minute 92 has exactly 5 % and 5
    // 5xx (bad), minute 96 just under 5 % (not bad, not counted).
    (90, 5, 3),
    (91, 20, 6),
    (92, 100, 5),
    (93, 20, 6),
    (94, 20, 6),
    (95, 20, 6),
    (96, 101, 5),
    (100, 20, 0),
];

/// The log of [`EDGES`]: JSON lines, in time order. A minute's requests are
/// spread over it, the first at its first microsecond and the last at its
/// last; its 5xx are its last requests.
fn write_edges_log(path: &Path) {
    let base = chrono::DateTime::parse_from_rfc3339("2026-11-24T08:00:00Z")
        .unwrap()
        .timestamp_micros();
    let last = EDGES.last().unwrap().0;
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    for minute in 0..=last {
        let (requests, errors) = EDGES
            .iter()
            .find(|e| e.0 == minute)
            .map_or((20, 0), |e| (e.1, e.2));
        for i in 0..requests {
            let offset = if i + 1 == requests {
                59_999_999
            } else {
                i * 60_000_000 / requests
            };
            let us = base + minute * 60_000_000 + i64::try_from(offset).unwrap();
            let ts = chrono::DateTime::from_timestamp_micros(us)
                .unwrap()
                .to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
            let status = if i >= requests - errors { 503 } else { 200 };
            writeln!(
                out,
                r#"{{"time":"{ts}","client_ip":"10.0.0.{}","method":"GET","path":"/v1/charges/ch_{i}","status":{status},"duration_ms":{}}}"#,
                i % 7,
                10 + i % 13
            )
            .unwrap();
        }
    }
    out.flush().unwrap();
}

/// `analyze`'s incidents as the query's columns.
fn incidents(inputs: &[&Path]) -> Rows {
    let mut c = faultline();
    c.args(["analyze", "-o", "json", "--no-progress"])
        .args(inputs);
    let r: Value = serde_json::from_str(&stdout_of(&mut c)).unwrap();
    let columns = ["start", "end", "bad_buckets", "requests", "errors_5xx"];
    Rows {
        columns: columns.iter().map(|c| (*c).to_owned()).collect(),
        rows: r["incidents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| columns.iter().map(|c| normal(&i[c])).collect())
            .collect(),
    }
}

/// The periods of `inputs` by `analyze`, Polars, DuckDB (and Spark): all equal.
fn periods_everywhere(inputs: &[&Path]) -> Rows {
    let dir = tempfile::tempdir().unwrap();
    make_dataset(dir.path(), inputs);
    let by_analyze = incidents(inputs);
    for engine in engines() {
        let theirs = engine
            .run(dir.path(), &["persistent-5xx-periods"])
            .pop()
            .unwrap();
        assert_eq!(theirs, by_analyze, "{}, then analyze", engine.name);
    }
    let by_polars = polars("persistent-5xx-periods", inputs, &by_analyze.columns);
    assert_eq!(by_polars, by_analyze, "Polars, then analyze");
    by_analyze
}

fn period(start: &str, end: &str, bad: u64, requests: u64, errors: u64) -> Vec<Value> {
    [
        json!(start),
        json!(end),
        json!(bad),
        json!(requests),
        json!(errors),
    ]
    .iter()
    .map(normal)
    .collect()
}

#[test]
fn persistent_5xx_periods_sql_gives_analyzes_incidents() {
    let samples = root().join("sample-logs");
    assert_eq!(
        periods_everywhere(&[&samples]).rows,
        [period(
            "2026-11-24T10:35:00Z",
            "2026-11-24T11:00:00Z",
            24,
            607,
            184
        )]
    );

    let dir = tempfile::tempdir().unwrap();
    let edges = dir.path().join("edges.jsonl");
    write_edges_log(&edges);
    assert_eq!(
        periods_everywhere(&[&edges]).rows,
        [
            period("2026-11-24T08:10:00Z", "2026-11-24T08:15:00Z", 5, 100, 30),
            // 20 + 20 + 40 + 0 + 3 × 20 requests; 6 + 6 + 2 + 3 × 6 5xx.
            period("2026-11-24T08:30:00Z", "2026-11-24T08:37:00Z", 5, 140, 32),
            period("2026-11-24T08:57:00Z", "2026-11-24T09:02:00Z", 5, 100, 30),
            // 5 + 20 + 100 + 3 × 20 requests; 3 + 6 + 5 + 3 × 6 5xx.
            period("2026-11-24T09:30:00Z", "2026-11-24T09:36:00Z", 6, 185, 32),
        ]
    );
}
