//! `analyze` on many threads, with inputs cut into many blocks, gives the
//! byte-identical report of one thread reading in big blocks.

use super::faultline;
use serde_json::Value;
use std::io::Write;
use std::path::Path;

/// A messy combined log: errors with bodies, junk and cut lines, CRLF endings,
/// blank lines, one line over the 1 MiB cap, and no final newline.
fn messy_log() -> (String, usize) {
    let mut lines = Vec::new();
    for i in 0..3000u32 {
        let ts = format!("25/Nov/2026:10:{:02}:{:02} +0000", (i / 60) % 60, i % 60);
        let line = match i % 13 {
            0 => format!("junk line {i}"),
            1 => format!(
                r#"10.0.0.1 - - [{ts}] "POST /v1/charges HTTP/1.1" 502 9 "-" "ua" 0.2 "{{\"type\":\"api_error\",\"code\":\"upstream_{}\",\"message\":\"m{i}\"}}""#,
                i % 4
            ),
            2 => format!(
                r#"10.0.0.2 - - [{ts}] "GET /v1/items/{i} HTTP/1.1" 404 - "-" "ua"{}"#,
                "\r"
            ),
            3 => String::new(),
            4 => format!(r#"10.0.0.3 - - [{ts}] "GET /v1/cut HTTP/1.1" 2"#),
            _ => format!(r#"10.0.0.4 - - [{ts}] "GET /v1/items/{i} HTTP/1.1" 200 512 "-" "ua""#),
        };
        lines.push(line);
    }
    let too_long_at = 9;
    lines[too_long_at - 1] = format!("10.0.0.9 {}", "x".repeat(1024 * 1024 + 10));
    (lines.join("\n"), too_long_at)
}

fn report(path: &Path, extra: &[&str]) -> Vec<u8> {
    faultline()
        .args(["analyze", "-o", "json", "--no-progress"])
        .args(extra)
        .arg(path)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone()
}

/// `text` written as `access.log` and as `access.log.gz` in `dir`.
fn plain_and_gzip(dir: &Path, text: &str) -> (std::path::PathBuf, std::path::PathBuf) {
    let plain = dir.join("access.log");
    std::fs::write(&plain, text).unwrap();
    let gz = dir.join("access.log.gz");
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(text.as_bytes()).unwrap();
    std::fs::write(&gz, e.finish().unwrap()).unwrap();
    (plain, gz)
}

#[test]
fn threads_and_block_sizes_give_byte_identical_reports() {
    let (text, too_long_at) = messy_log();
    let dir = tempfile::tempdir().unwrap();
    let (plain, gz) = plain_and_gzip(dir.path(), &text);
    let zst = dir.path().join("access.log.zst");
    std::fs::write(&zst, zstd::encode_all(text.as_bytes(), 3).unwrap()).unwrap();

    for path in [&plain, &gz, &zst] {
        let one = report(path, &["--threads", "1"]);
        for blocks in ["97", "4096", "65536"] {
            let many = report(path, &["--threads", "4", "--block-size", blocks]);
            assert!(
                one == many,
                "{} with --threads 4 --block-size {blocks} differs from --threads 1",
                path.display()
            );
        }

        // And the figures themselves are right, not just equal.
        let r: Value = serde_json::from_slice(&one).unwrap();
        let s = &r["summary"];
        // 3000 lines, 231 of them blank (i % 13 == 3); 231 junk and 231 cut
        // (i % 13 == 0 and 4), plus the over-long line, which replaced a 200.
        assert_eq!(s["lines"], 2769, "{}", path.display());
        assert_eq!(s["malformed"], 231 + 231 + 1);
        assert_eq!(s["requests"], 2769 - 463);
        let samples = r["malformed_samples"].as_array().unwrap();
        let lines: Vec<u64> = samples
            .iter()
            .map(|m| m["line"].as_u64().unwrap())
            .collect();
        assert_eq!(lines, [1, 5, 9, 14, 18, 27, 31, 40, 44, 53]);
        assert_eq!(samples[2]["reason"], "too long (over 1 MiB)");
        assert_eq!(samples[2]["line"], too_long_at as u64);
    }
}

/// `query` reads through the same engine: on every core, in many blocks,
/// it gives the same rows in the same order, with the real line numbers.
#[test]
fn query_rows_do_not_depend_on_threads_or_blocks() {
    let (text, _) = messy_log();
    let dir = tempfile::tempdir().unwrap();
    let (plain, gz) = plain_and_gzip(dir.path(), &text);
    let rows = |extra: &[&str]| {
        faultline()
            .args([
                "query",
                "--sql",
                "SELECT source, line, status, route FROM events",
            ])
            .args(["-o", "csv"])
            .args(extra)
            .arg(dir.path())
            .assert()
            .success()
            .get_output()
            .stdout
            .clone()
    };
    let one = rows(&["--threads", "1"]);
    for blocks in ["97", "4096"] {
        let many = rows(&["--threads", "4", "--block-size", blocks]);
        assert!(one == many, "--threads 4 --block-size {blocks} differs");
    }
    let text = String::from_utf8(one).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    // A header, then the 2306 requests of each of the two files (2769 lines
    // less 463 malformed), the plain file first (sources sort by name).
    assert_eq!(lines.len(), 1 + 2 * 2306);
    let gz_name = gz.display().to_string();
    let plain_name = plain.display().to_string();
    // Line 1 is junk, 2 a 502, 3 a 404, 4 blank, 5 cut, 6.. 200s.
    assert_eq!(lines[1], format!("{plain_name},2,502,/v1/charges"));
    assert_eq!(lines[2], format!("{plain_name},3,404,/v1/items/{{id}}"));
    assert_eq!(lines[3], format!("{plain_name},6,200,/v1/items/{{id}}"));
    assert_eq!(lines[2307], format!("{gz_name},2,502,/v1/charges"));
    assert_eq!(
        lines.last().copied(),
        Some(format!("{gz_name},3000,200,/v1/items/{{id}}").as_str())
    );
}
