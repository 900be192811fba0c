//! The README's example outputs are real: each block must match what the
//! command prints now (trailing spaces aside; a `...` line ends the comparison).

use crate::*;
use std::path::Path;

fn readme() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap()
}

/// The ```text block following the first occurrence of `marker`.
fn block_after(readme: &str, marker: &str) -> Vec<String> {
    let at = readme
        .find(marker)
        .unwrap_or_else(|| panic!("README lost {marker:?}"));
    let rest = &readme[at..];
    let start = rest.find("```text\n").expect("a text block") + "```text\n".len();
    let end = rest[start..].find("```").expect("closed block");
    rest[start..start + end]
        .lines()
        .map(|l| l.trim_end().to_owned())
        .collect()
}

fn run(args: &[&str], env: &[(&str, &str)]) -> Vec<String> {
    let mut cmd = faultline();
    cmd.current_dir(env!("CARGO_MANIFEST_DIR")).args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.assert().get_output().stdout.clone();
    String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| l.trim_end().to_owned())
        .collect()
}

fn assert_matches(block: &[String], actual: &[String]) {
    for (i, want) in block.iter().enumerate() {
        if want.trim() == "..." {
            return;
        }
        assert_eq!(
            actual.get(i),
            Some(want),
            "line {} of the README block",
            i + 1
        );
    }
    assert_eq!(
        actual.len(),
        block.len(),
        "the README block is the whole output"
    );
}

#[test]
fn quick_start_output() {
    let block = block_after(&readme(), "The first command then prints this");
    let actual = run(&["analyze", "sample-logs/", "-o", "table"], &[]);
    assert_matches(&block, &actual);
}

#[test]
fn query_examples() {
    let r = readme();
    let block = block_after(
        &r,
        "(`COLUMNS=100 faultline query top-error-codes sample-logs/`)",
    );
    assert_matches(
        &block,
        &run(
            &["query", "top-error-codes", "sample-logs/", "-o", "table"],
            &[("COLUMNS", "100")],
        ),
    );
    let block = block_after(&r, "`faultline query 429-by-client sample-logs/ -o csv`");
    assert_matches(
        &block,
        &run(
            &["query", "429-by-client", "sample-logs/", "-o", "csv"],
            &[],
        ),
    );
}

#[test]
fn markdown_of_the_sample_logs() {
    let readme = readme();
    let at = readme.find("````markdown\n").expect("the Markdown example") + "````markdown\n".len();
    let end = readme[at..].find("````").expect("closed block");
    let block: Vec<String> = readme[at..at + end]
        .lines()
        .map(|l| l.trim_end().to_owned())
        .collect();
    let actual = run(
        &["analyze", "-o", "markdown", "--top", "3", "sample-logs"],
        &[],
    );
    assert_eq!(block, actual);
}

#[test]
fn slo_replay_example() {
    // The README shows the SLO section of the table view.
    let block = block_after(&readme(), "sample-logs/ --slo 99% -o table`):");
    let actual = run(
        &["analyze", "sample-logs/", "--slo", "99%", "-o", "table"],
        &[("COLUMNS", "100")],
    );
    let from = actual
        .iter()
        .position(|l| l.starts_with("SLO 99%"))
        .expect("an SLO section");
    assert_eq!(&actual[from..from + block.len()], &block[..]);
    assert_eq!(actual.get(from + block.len()).map(String::as_str), Some(""));
}
