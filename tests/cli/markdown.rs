//! `analyze -o markdown` (SPEC §11): a snapshot of a fixture's report, and
//! log lines written to break out of the Markdown, which must stay text.

use crate::{data, faultline, stdout_of};

/// The cells of a GFM table row, split at `|` that are not backslash-escaped.
fn cells(row: &str) -> Vec<String> {
    let inner = row.trim().trim_start_matches('|');
    let mut cells = vec![String::new()];
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                cells.last_mut().unwrap().push(c);
                if let Some(next) = chars.next() {
                    cells.last_mut().unwrap().push(next);
                }
            }
            '|' => cells.push(String::new()),
            c => cells.last_mut().unwrap().push(c),
        }
    }
    // The row's closing `|` leaves an empty last cell.
    if cells.last().is_some_and(String::is_empty) {
        cells.pop();
    }
    cells
}

/// Every table: each row has as many cells as its header.
fn assert_tables_are_whole(md: &str) {
    let lines: Vec<&str> = md.lines().collect();
    let mut i = 0;
    let mut tables = 0;
    while i < lines.len() {
        if lines[i].starts_with('|') {
            let width = cells(lines[i]).len();
            tables += 1;
            while i < lines.len() && lines[i].starts_with('|') {
                assert_eq!(cells(lines[i]).len(), width, "row {:?}", lines[i]);
                i += 1;
            }
        }
        i += 1;
    }
    assert!(tables >= 2, "{md}");
}

#[test]
fn the_markdown_of_a_rotated_set_matches_its_snapshot() {
    let md = stdout_of(faultline().args(["analyze", "-o", "markdown", "rotated"]));
    let expected = std::fs::read_to_string(data().join("markdown/rotated.md")).unwrap();
    assert_eq!(md, expected);
    assert_tables_are_whole(&md);
}

#[test]
fn hostile_log_lines_stay_text() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("evil.log");
    let mut text = String::new();
    for i in 0..3 {
        text.push_str(&format!(
            "10.0.0.1 - - [25/Nov/2026:10:00:0{i} +0000] \"GET /<script>alert(1)</script>|x HTTP/1.1\" 404 9 \"-\" \"![img](http://evil/x.png)\" 0.001 \"{{\\\"error\\\":{{\\\"type\\\":\\\"a|b\\\",\\\"code\\\":\\\"[link](http://evil)\\\",\\\"message\\\":\\\"line\\\\nbreak `code` *bold* _em_ <b>\\\"}}}}\"\n"
        ));
    }
    std::fs::write(&log, text).unwrap();
    let md = stdout_of(faultline().args(["analyze", "-o", "markdown"]).arg(&log));
    assert_tables_are_whole(&md);
    // Nothing unescaped that GitHub would turn into HTML, a link or an image:
    // with every `\X` pair taken out, no markup character is left.
    // (Only in the verdict and the tables: the rest is faultline's own markup.)
    let from_logs: String = md
        .lines()
        .filter_map(|l| l.strip_prefix("> ").or(l.starts_with('|').then_some(l)))
        .collect::<Vec<_>>()
        .join("\n");
    let mut bare = String::new();
    let mut chars = from_logs.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            chars.next();
        } else {
            bare.push(c);
        }
    }
    for bad in ["<", ">", "](", "![", "*", "_"] {
        assert!(!bare.contains(bad), "{bad:?} unescaped in\n{md}");
    }
    assert!(
        md.contains("\\<script\\>alert\\(1\\)\\</script\\>\\|x"),
        "{md}"
    );
    assert!(md.contains("\\[link\\]\\(http://evil\\)"), "{md}");
    // The line break inside the message is shown, not obeyed.
    assert!(
        md.contains("line\\\\x0abreak \\`code\\` \\*bold\\* \\_em\\_ \\<b\\>"),
        "{md}"
    );
}

#[test]
fn out_writes_the_file_and_nothing_to_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.md");
    let stdout = stdout_of(
        faultline()
            .args(["analyze", "-o", "markdown", "rotated", "--out"])
            .arg(&path),
    );
    assert_eq!(stdout, "");
    let expected = std::fs::read_to_string(data().join("markdown/rotated.md")).unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), expected);
}
