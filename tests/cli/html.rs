//! `analyze -o html` (SPEC §11) opened in headless Chromium, the real
//! browser: what its DOM holds, that it made no network request, a
//! screenshot kept as a test artifact, and its size on a high-cardinality log.
//!
//! Needs `chromium` on the PATH (Debian's package; `.ci/run` installs it), or
//! `FAULTLINE_CHROMIUM` naming the binary.

use crate::{analyze, faultline};
use std::path::{Path, PathBuf};
use std::process::Command;

fn find_chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("FAULTLINE_CHROMIUM") {
        return Some(p.into());
    }
    for dir in std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()) {
        for name in ["chromium", "chromium-browser"] {
            if dir.join(name).is_file() {
                return Some(dir.join(name));
            }
        }
    }
    None
}

/// Chromium, installed with apt-get (once per test run) when missing and
/// this runs as root, as on a fresh CI machine; else the test fails saying
/// how to get it.
fn chromium() -> PathBuf {
    static FOUND: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();
    let found = FOUND.get_or_init(|| {
        find_chromium().or_else(|| {
            let root = Command::new("id").arg("-u").output().ok()?.stdout == b"0\n";
            if root {
                let _ = Command::new("apt-get")
                    .args(["install", "-y", "-q", "chromium"])
                    .env("DEBIAN_FRONTEND", "noninteractive")
                    .status();
            }
            find_chromium()
        })
    });
    found
        .clone()
        .expect("these tests need Chromium: apt-get install -y chromium (.ci/run does it)")
}

/// Runs headless Chromium on `page` with `args`, the network log in `netlog`.
fn chromium_on(page: &Path, netlog: &Path, args: &[&str]) -> std::process::Output {
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            // Chromium's own clock check, which is not the page's request.
            "--disable-features=NetworkTimeServiceQuerying",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--log-net-log={}", netlog.display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs");
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn report_html(dir: &Path, input: &Path) -> PathBuf {
    let page = dir.join("report.html");
    faultline()
        .args(["analyze", "-o", "html", "--out"])
        .arg(&page)
        .arg(input)
        .assert()
        .success()
        .stdout("");
    page
}

/// Chromium's own services (sign-in, clock, suggestions), which it calls
/// whatever the page, even headless: not requests of the page.
const CHROMIUM_OWN: &[&str] = &[".google.com/", ".googleapis.com/", ".gstatic.com/"];

/// The page's script errors Chromium logged to the console.
fn script_errors(out: &std::process::Output) -> Vec<String> {
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| l.contains("CONSOLE") && l.contains("Uncaught"))
        .map(str::to_owned)
        .collect()
}

/// The URLs a Chromium network log shows requested over the network, once
/// each, but Chromium's own.
fn network_urls(netlog: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(netlog).expect("a network log");
    let mut urls = Vec::new();
    for scheme in [
        "\"url\":\"http://",
        "\"url\":\"https://",
        "\"url\":\"ws://",
        "\"url\":\"wss://",
    ] {
        let mut rest = text.as_str();
        while let Some(at) = rest.find(scheme) {
            let tail = &rest[at + 7..];
            urls.push(tail[..tail.find('"').unwrap_or(tail.len())].to_owned());
            rest = &rest[at + scheme.len()..];
        }
    }
    urls.retain(|u| !CHROMIUM_OWN.iter().any(|own| u.contains(own)));
    urls.sort();
    urls.dedup();
    urls
}

#[test]
fn the_sample_logs_report_in_chromium() {
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-logs");
    let dir = tempfile::tempdir().unwrap();
    let page = report_html(dir.path(), &samples);
    let report = analyze(&[samples.to_str().unwrap()], 0);

    let netlog = dir.path().join("netlog.json");
    let run = chromium_on(
        &page,
        &netlog,
        &["--dump-dom", "--enable-logging=stderr", "--v=0"],
    );
    // The page's own script ran without an error.
    assert_eq!(script_errors(&run), Vec::<String>::new());
    let dom = String::from_utf8(run.stdout).unwrap();
    // The verdict first, with its reason.
    let verdict = dom
        .find("class=\"verdict escalate\"")
        .expect("the verdict card");
    assert!(
        dom[..verdict].find("<table").is_none(),
        "the verdict comes first"
    );
    let reason = report["verdict"]["reason"].as_str().unwrap();
    assert!(
        dom.contains(&format!("<p id=\"reason\">{reason}</p>")),
        "{dom}"
    );
    // One shaded period per incident, one panel each.
    let incidents = report["incidents"].as_array().unwrap().len();
    assert_eq!(incidents, 1);
    assert_eq!(dom.matches("class=\"period\"").count(), incidents);
    assert_eq!(
        dom.matches("<section class=\"incident\"").count(),
        incidents
    );
    // The tables' rows, as many as the JSON report's.
    let rows = |id: &str| {
        let at = dom.find(&format!("<table id=\"{id}\"")).expect(id);
        let end = at + dom[at..].find("</table>").unwrap();
        dom[at..end].matches("<tr>").count() - 1
    };
    assert_eq!(rows("errors"), report["errors"].as_array().unwrap().len());
    assert_eq!(rows("routes"), report["routes"].as_array().unwrap().len());
    assert_eq!(
        rows("statuses"),
        report["by_status"].as_array().unwrap().len()
    );
    assert_eq!(rows("examples-0"), 5);
    assert!(dom.contains("What changed, against the same length of time before"));
    // Nothing went to the network, and nothing in the page points there.
    assert_eq!(network_urls(&netlog), Vec::<String>::new());
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(!html.contains("://"), "an address in the page");
    assert!(html.contains("Content-Security-Policy\" content=\"default-src 'none'"));

    // A screenshot, kept for people to look at.
    let artifacts = Path::new(env!("CARGO_TARGET_TMPDIR")).join("artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    let shot = artifacts.join("html-report.png");
    let _ = std::fs::remove_file(&shot);
    chromium_on(
        &page,
        &dir.path().join("netlog2.json"),
        &[
            "--window-size=1280,2200",
            &format!("--screenshot={}", shot.display()),
        ],
    );
    let png = std::fs::read(&shot).expect("a screenshot");
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 20_000,
        "{} bytes",
        png.len()
    );
    // And printed to PDF, as support attaches it.
    let pdf = artifacts.join("html-report.pdf");
    let _ = std::fs::remove_file(&pdf);
    chromium_on(
        &page,
        &dir.path().join("netlog3.json"),
        &[
            &format!("--print-to-pdf={}", pdf.display()),
            "--no-pdf-header-footer",
        ],
    );
    let pdf = std::fs::read(&pdf).expect("a PDF");
    assert!(
        pdf.starts_with(b"%PDF") && pdf.len() > 20_000,
        "{} bytes",
        pdf.len()
    );
}

/// The checks above can fail: a page that fetches something, and a script
/// that throws, are caught.
#[test]
fn the_network_log_shows_a_page_that_fetches() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("fetches.html");
    std::fs::write(
        &page,
        "<!DOCTYPE html><img src=\"http://127.0.0.1:9/x.png\"><script>throw new Error(\"boom\")</script>",
    )
    .unwrap();
    let netlog = dir.path().join("netlog.json");
    let run = chromium_on(
        &page,
        &netlog,
        &["--dump-dom", "--enable-logging=stderr", "--v=0"],
    );
    assert_eq!(network_urls(&netlog), ["http://127.0.0.1:9/x.png"]);
    // And a script error is seen too.
    assert_eq!(script_errors(&run).len(), 1, "{:?}", script_errors(&run));
}

#[test]
fn log_lines_cannot_add_elements_or_scripts() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("evil.jsonl");
    let mut text = String::new();
    for s in 0..600 {
        text.push_str(&format!(
            "{{\"time\":\"2026-11-25T10:{:02}:{:02}Z\",\"status\":503,\"method\":\"GET\",\"path\":\"/<img src=x onerror=alert(1)>\",\"user_agent\":\"</script><script>alert(2)</script>\",\"response_body\":{{\"error\":{{\"code\":\"<b>bold</b>\",\"message\":\"</script><img src=http://evil.example/x.png>\"}}}}}}\n",
            s / 60,
            s % 60
        ));
    }
    std::fs::write(&log, text).unwrap();
    let page = report_html(dir.path(), &log);
    let netlog = dir.path().join("netlog.json");
    let dom = String::from_utf8(chromium_on(&page, &netlog, &["--dump-dom"]).stdout).unwrap();
    assert!(!dom.contains("<img") && !dom.contains("<b>bold"), "{dom}");
    assert!(dom.contains("/&lt;img src=x onerror=alert(1)&gt;"), "{dom}");
    // Only the page's own two scripts (its data and its code).
    assert_eq!(dom.matches("<script").count(), 2, "{dom}");
    assert_eq!(network_urls(&netlog), Vec::<String>::new());
}

#[test]
fn a_high_cardinality_report_stays_under_2_mb() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("scan.jsonl");
    let mut text = String::new();
    for i in 0..60_000u64 {
        text.push_str(&format!(
            "{{\"time\":\"2026-11-25T{:02}:{:02}:{:02}Z\",\"status\":404,\"method\":\"GET\",\"path\":\"/scan/probe-{i}-{}\",\"response_body\":{{\"error\":{{\"type\":\"invalid_request\",\"code\":\"no_route_{i}\",\"message\":\"No route /scan/probe-{i} (request req_{i:016x})\"}}}}}}\n",
            i / 3600 % 24,
            i / 60 % 60,
            i % 60,
            i * 7919 % 100_003
        ));
    }
    std::fs::write(&log, text).unwrap();
    let page = report_html(dir.path(), &log);
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.len() < 2_000_000, "{} bytes", html.len());
    let errors = html.find("<table id=\"errors\"").unwrap();
    let end = errors + html[errors..].find("</table>").unwrap();
    assert_eq!(html[errors..end].matches("<tr>").count() - 1, 500);
    assert!(html.contains("more rows in the JSON report"));
}
