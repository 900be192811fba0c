//! Integration tests: the real `faultline` binary on fixtures in tests/data,
//! asserting exact values of reports, exit codes and stderr. One test binary;
//! one module per subcommand.

mod alertmanager;
mod analyze;
mod bounded;
mod export;
mod formats;
mod help_and_flags;
mod html;
mod markdown;
mod merge;
mod metrics;
mod parallel;
mod portable_sql;
mod query;
mod readme;
mod s3;
mod slo;
mod table_view;
mod tail;
mod verdicts;

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};

pub fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("data")
}

/// The binary, run in tests/data, with the environment variables it reads cleared.
pub fn faultline() -> Command {
    let mut c = Command::cargo_bin("faultline").expect("binary builds");
    c.current_dir(data())
        .env_remove("RUST_LOG")
        .env_remove("NO_COLOR")
        .env_remove("COLUMNS");
    c
}

/// Runs the binary in tests/data with `args` and stdout on `/dev/full`, where
/// every write fails with "No space left on device".
pub fn with_stdout_on_dev_full(args: &[&str]) -> std::process::Output {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full");
    std::process::Command::new(assert_cmd::cargo::cargo_bin("faultline"))
        .args(args)
        .current_dir(data())
        .env_remove("RUST_LOG")
        .stdout(full)
        .output()
        .unwrap()
}

/// Runs `analyze -o json ARGS`, expects `code`, returns the report.
pub fn analyze(args: &[&str], code: i32) -> Value {
    let out = faultline()
        .arg("analyze")
        .args(["-o", "json", "--no-progress"])
        .args(args)
        .assert()
        .code(code)
        .get_output()
        .stdout
        .clone();
    serde_json::from_slice(&out).expect("stdout is one JSON document")
}

/// `(line, reason)` of every malformed sample of a report.
pub fn sample_reasons(r: &Value) -> Vec<(u64, &str)> {
    r["malformed_samples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["line"].as_u64().unwrap(), m["reason"].as_str().unwrap()))
        .collect()
}

/// Runs `cmd`, expects success, returns stdout as text.
pub fn stdout_of(cmd: &mut Command) -> String {
    let out = cmd.assert().success().get_output().stdout.clone();
    String::from_utf8(out).unwrap()
}

/// `query` arguments that print the number of events as CSV (`n`, then the count).
pub const COUNT_EVENTS: [&str; 5] = [
    "query",
    "--sql",
    "SELECT count(*) AS n FROM events",
    "-o",
    "csv",
];

/// `(lines, requests, malformed)` of a report's summary.
pub fn counts(summary: &Value) -> (u64, u64, u64) {
    let n = |k: &str| summary[k].as_u64().unwrap_or_else(|| panic!("summary.{k}"));
    (n("lines"), n("requests"), n("malformed"))
}

pub fn statuses(r: &Value) -> Value {
    let mut m = serde_json::Map::new();
    for row in r["by_status"].as_array().unwrap() {
        m.insert(row["status"].to_string(), row["count"].clone());
    }
    Value::Object(m)
}

/// The report without what legitimately differs between inputs holding the same lines.
pub fn without_inputs(mut r: Value) -> Value {
    r["summary"]["inputs"] = Value::Null;
    // The verdict names the input it judged when there is one.
    r["verdict"]["reason"] = Value::Null;
    for s in r["malformed_samples"].as_array_mut().unwrap() {
        s["source"] = Value::Null;
    }
    for i in r["incidents"].as_array_mut().unwrap() {
        for e in i["examples"].as_array_mut().unwrap() {
            e["source"] = Value::Null;
        }
    }
    r
}

/// `binary` from Debian's `package`: on the PATH, or installed with apt-get
/// when missing and this runs as root, as on a fresh CI machine (`.ci/run`
/// installs it too). `None` when it is missing and cannot be installed.
pub fn debian_tool(binary: &str, package: &str) -> Option<PathBuf> {
    // One apt-get at a time: tests run in parallel and dpkg has one lock.
    static APT: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let find = || {
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
            .map(|dir| dir.join(binary))
            .find(|p| p.is_file())
    };
    let _apt = APT.lock().unwrap_or_else(|e| e.into_inner());
    find().or_else(|| {
        let out = std::process::Command::new("id").arg("-u").output().ok()?;
        if out.stdout != b"0\n" {
            return None;
        }
        let _ = std::process::Command::new("apt-get")
            .args(["install", "-y", "-q", "--no-install-recommends", package])
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status();
        find()
    })
}

/// `GET http://ADDR/PATH` with extra `headers` (HTTP/1.0, so the server
/// closes the connection after its answer): the status and the body.
pub fn http_get(addr: &str, path: &str, headers: &[(&str, &str)]) -> (u16, String) {
    use std::io::{Read, Write};
    let mut conn = std::net::TcpStream::connect(addr).expect("connects");
    conn.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    let mut req = format!("GET {path} HTTP/1.0\r\nHost: {addr}\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    conn.write_all(req.as_bytes()).unwrap();
    let mut resp = Vec::new();
    conn.read_to_end(&mut resp).expect("reads the answer");
    let resp = String::from_utf8(resp).expect("UTF-8");
    let (head, body) = resp.split_once("\r\n\r\n").expect("a whole answer");
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status line");
    (status, body.to_owned())
}
