//! `faultline rules` checked by the real promtool, and the SLO burn-rate
//! replay of `analyze --slo` on a generated outage (the same traffic as the
//! shipped promtool test, so the rules and the replay must agree minute for
//! minute) and on the sample logs, worked out by hand.
//!
//! Needs `promtool` (Debian's `prometheus` package; `.ci/run` installs it),
//! or `FAULTLINE_PROMTOOL` naming the binary.

use crate::{analyze, faultline, stdout_of};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn promtool() -> PathBuf {
    if let Some(p) = std::env::var_os("FAULTLINE_PROMTOOL") {
        return p.into();
    }
    std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .chain([PathBuf::from("/usr/bin")])
        .map(|d| d.join("promtool"))
        .find(|p| p.is_file())
        .expect("these tests need promtool: apt-get install -y prometheus (.ci/run does it)")
}

/// Runs promtool with `args` in `dir`; returns (success, stdout + stderr).
fn run_promtool(dir: &Path, args: &[&str]) -> (bool, String) {
    let out = Command::new(promtool())
        .args(args)
        .current_dir(dir)
        .output()
        .expect("promtool runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

fn rules(args: &[&str]) -> String {
    stdout_of(faultline().arg("rules").args(args))
}

#[test]
fn promtool_accepts_the_rules_with_and_without_an_slo() {
    let dir = tempfile::tempdir().unwrap();
    for (name, args, count) in [
        ("plain.yml", &[][..], 9),
        ("slo.yml", &["--slo", "99.9%"][..], 28),
        (
            "tuned.yml",
            &[
                "--slo",
                "0.9995",
                "--bucket",
                "30s",
                "--for",
                "10m",
                "--min-errors",
                "3",
                "--min-ratio",
                "2.5%",
                "--min-ratio-sparse",
                "off",
                "--max-gap",
                "0",
            ][..],
            28,
        ),
    ] {
        let text = rules(args);
        std::fs::write(dir.path().join(name), &text).unwrap();
        let (ok, said) = run_promtool(dir.path(), &["check", "rules", name]);
        assert!(ok, "{name}: {said}\n{text}");
        assert!(
            said.contains(&format!("SUCCESS: {count} rules found")),
            "{said}"
        );
    }
    // The settings reach the PromQL: 30 s buckets, a run of 20 of them, no
    // gap, no sparse rule, 0.05 % budget.
    let tuned = std::fs::read_to_string(dir.path().join("tuned.yml")).unwrap();
    assert!(tuned.contains("    interval: 30s\n"), "{tuned}");
    assert!(
        tuned.contains("increase30s >= 3 and job:faultline_requests_5xx:ratio_rate30s >= 0.025)")
    );
    assert!(tuned.contains("max_over_time(job:faultline_5xx_bucket:bad[15s])"));
    assert!(tuned.contains("min_over_time(job:faultline_5xx_run:bridged[585s]) == 1"));
    assert!(tuned.contains("[10m])) >= 3"));
    assert!(!tuned.contains(">= 0.5"));
    assert!(tuned.contains("> (14.4 * 0.0005))"));
    assert!(tuned.contains("vector(0.9995)"));
    assert!(!rules(&[]).contains("slo:"));
}

#[test]
fn the_shipped_rule_file_is_what_rules_prints() {
    let shipped = std::fs::read_to_string(root().join("rules/faultline-rules.yml")).unwrap();
    assert_eq!(
        rules(&["--slo", "99.9%"]),
        shipped,
        "rules/faultline-rules.yml is stale: faultline rules --slo 99.9% > rules/faultline-rules.yml"
    );
    // The README's excerpts of it (its YAML blocks that are not another
    // program's configuration, which starts with a `# file.yml` comment)
    // are taken from it as they are.
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let excerpts: Vec<&str> = readme
        .split("```yaml\n")
        .skip(1)
        .map(|b| b.split("```").next().unwrap_or_default())
        .filter(|b| !b.starts_with('#'))
        .collect();
    assert_eq!(excerpts.len(), 2);
    for e in excerpts {
        assert!(
            shipped.contains(e),
            "the README's excerpt is not in the rules:\n{e}"
        );
    }
}

#[test]
fn the_shipped_promtool_unit_tests_pass() {
    let dir = root().join("rules/tests");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".yml"))
        .collect();
    files.sort();
    assert_eq!(files, ["persistent-5xx.yml", "slo-burn-rate.yml"]);
    let mut args = vec!["test", "rules"];
    args.extend(files.iter().map(String::as_str));
    let (ok, said) = run_promtool(&dir, &args);
    assert!(ok, "{said}");
    assert_eq!(said.matches("SUCCESS").count(), 2, "{said}");
}

#[test]
fn an_objective_that_makes_no_sense_is_a_usage_error() {
    for (objective, says) in [
        ("100%", "must be below 100%"),
        ("1", "must be below 100%"),
        ("0", "allows every request to fail"),
        ("0%", "allows every request to fail"),
        ("101%", "must be below 100%"),
        ("99.9", "write 99.9%"),
        ("abc", "not an objective (like 99.9% or 0.999)"),
        ("90%", "too low for burn-rate alerts"),
    ] {
        for cmd in [&["rules"][..], &["analyze", "combined.log"][..]] {
            let out = faultline()
                .args(cmd)
                .args(["--slo", objective])
                .assert()
                .code(2)
                .get_output()
                .clone();
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(err.contains(says), "{cmd:?} --slo {objective}: {err}");
            assert!(out.stdout.is_empty());
        }
    }
}

/// 2026-11-24T00:00:00Z
const T0: i64 = 1_795_478_400;

fn at(minute: i64) -> String {
    chrono::DateTime::from_timestamp(T0 + minute * 60, 0)
        .unwrap()
        .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

/// JSON lines from T0 for `minutes` minutes, 100 requests a minute; in the
/// minutes of `outage`, the first `failing` of each minute's 100 are 503s.
fn outage_log(minutes: i64, outage: std::ops::Range<i64>, failing: i64) -> String {
    let mut s = String::new();
    for m in 0..minutes {
        for i in 0..100 {
            let status = if outage.contains(&m) && i < failing {
                503
            } else {
                200
            };
            let ms = (T0 + m * 60) * 1000 + i * 600;
            s.push_str(&format!(
                "{{\"ts\":{ms},\"status\":{status},\"method\":\"GET\",\"path\":\"/v1/items\"}}\n"
            ));
        }
    }
    s
}

fn alert(
    severity: &str,
    long: &str,
    short: &str,
    factor: f64,
    start: i64,
    end: Option<i64>,
) -> Value {
    json!({"severity": severity, "long_window": long, "short_window": short, "factor": factor,
           "start": at(start), "end": end.map(at)})
}

#[test]
fn a_generated_outage_pages_within_one_short_window_and_clears_after_it() {
    // The traffic of rules/tests/slo-burn-rate.yml: 8 hours of 100 requests
    // a minute; minutes 60 to 89 have 50 503s each.
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("outage.jsonl");
    std::fs::write(&log, outage_log(480, 60..90, 50)).unwrap();
    let r = analyze(&["--slo", "99.9%", log.to_str().unwrap()], 0);
    // Budget 0.1 %. At the end of minute 60 (boundary 61) every window longer
    // than an hour holds all 6,100 requests so far, 50 of them failed: 0.82 %,
    // above 6 × 0.1 %, 3 × and 1 ×, and so do the short windows: the slow
    // page and both tickets fire at 61. The hour holds 50 of 6,000 (0.83 %,
    // not above 14.4 × 0.1 % = 1.44 %); at 62 it holds 100 of 6,000
    // (1.67 %): the fast page, 2 minutes into the outage, within its 5m.
    // Each clears when its short window holds no 5xx: 90 + 5m = 95,
    // 90 + 30m = 120, 90 + 2h = 210, 90 + 6h = 450. The log ends at 480.
    assert_eq!(
        r["slo"],
        json!({"objective": 0.999, "min_requests": 100, "alerts": [
            alert("page", "6h", "30m", 6.0, 61, Some(120)),
            alert("ticket", "1d", "2h", 3.0, 61, Some(210)),
            alert("ticket", "3d", "6h", 1.0, 61, Some(450)),
            alert("page", "1h", "5m", 14.4, 62, Some(95)),
        ]})
    );
    // Cut the log in the outage: the alerts are still firing at its end.
    std::fs::write(&log, outage_log(75, 60..90, 50)).unwrap();
    let r = analyze(&["--slo", "99.9%", log.to_str().unwrap()], 0);
    let ends: Vec<&Value> = r["slo"]["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| &a["end"])
        .collect();
    assert_eq!(ends, [&Value::Null; 4]);
}

#[test]
fn the_sample_logs_worked_out_by_hand() {
    // The sample logs' timeline (analyze -o json, timeline), cumulated from
    // 09:00: every window of the slow alerts reaches back before 09:00, so
    // each holds everything from the start of the logs.
    //
    //   bucket  requests 5xx   since 09:00       the last 30 buckets
    //   09:02      27     1      76    1  1.32 %
    //   09:03      20     0      96    1  1.04 %
    //   09:04      27     2     123    3  2.44 %
    //   10:38      23     5    2419   70  2.89 %
    //   10:39      25     9    2444   79  3.23 %
    //   10:45      23     6    2591  126  4.86 %
    //   10:46      25    10    2616  136  5.20 %
    //   10:50      21     5    2707  162  5.98 %
    //   10:51      24     6    2731  168  6.15 %    724  130  17.96 %
    //   10:59      26     7    2926  227  7.76 %
    let alerts = |objective: &str| {
        let r = analyze(&["--slo", objective, "../../sample-logs/"], 0);
        // The verdict is the SPEC §5 rule's alone, with or without --slo.
        assert_eq!(r["verdict"]["level"], "escalate");
        assert!(r["verdict"]["reason"]
            .as_str()
            .unwrap()
            .starts_with("Escalate: 5xx errors have persisted since 2026-11-24T10:35:00Z"));
        r["slo"]["alerts"].as_array().unwrap().clone()
    };
    // 95 %, budget 5 %: only the 1× ticket (3d and 6h: all of the logs) can
    // fire, the others need 15 %, 30 % and 72 % over hours. After 10:45,
    // 126 of 2,591 (4.86 %) is not above 5 %; after 10:46, 136 of 2,616
    // (5.20 %) is: it fires at 10:47 and is still firing at 11:00.
    let ticket = json!({"severity": "ticket", "long_window": "3d", "short_window": "6h",
        "factor": 1.0, "start": "2026-11-24T10:47:00Z", "end": null});
    assert_eq!(alerts("95%"), [ticket]);
    // 99 %, budget 1 %: the 3× ticket (1d and 2h: all of the logs) needs
    // above 3 %: 70 of 2,419 (2.89 %) after 10:38, 79 of 2,444 (3.23 %)
    // after 10:39: 10:40. The 6× page needs above 6 % over 6h (all of the
    // logs) and over the last 30 minutes: 162 of 2,707 (5.98 %) after
    // 10:50; after 10:51, 168 of 2,731 (6.15 %) and 130 of 724 (17.96 %):
    // 10:52, 17 minutes into the persistent period (10:35). The 14.4× page
    // needs 14.4 % over an hour: at most 184 of 1,453 (12.7 %), never.
    let a = alerts("99%");
    let find = |long: &str| -> Vec<(&str, &Value)> {
        a.iter()
            .filter(|x| x["long_window"] == long)
            .map(|x| (x["start"].as_str().unwrap(), &x["end"]))
            .collect()
    };
    assert_eq!(find("1d"), [("2026-11-24T10:40:00Z", &Value::Null)]);
    assert_eq!(find("6h"), [("2026-11-24T10:52:00Z", &Value::Null)]);
    assert_eq!(find("1h"), []);
    // 99.9 %, budget 0.1 %: the 6× page needs above 0.6 % and 100 requests.
    // After 09:02, 1 of 76 (1.32 %) and after 09:03 1 of 96 (1.04 %) are
    // above it, but under the floor of 100 requests; after 09:04, 3 of 123
    // (2.44 %): it pages at 09:05, not 09:03.
    let a = alerts("99.9%");
    let first = a.iter().find(|x| x["long_window"] == "6h").unwrap();
    assert_eq!(first["start"], "2026-11-24T09:05:00Z");
}

#[test]
fn without_slo_the_report_has_no_slo_key_and_the_views_show_it_only_with_it() {
    let r = analyze(&["../../sample-logs/"], 0);
    assert!(r.get("slo").is_none());
    let view = |extra: &[&str]| {
        stdout_of(
            faultline()
                .args(["analyze", "../../sample-logs/", "--no-progress"])
                .env("COLUMNS", "120")
                .args(extra),
        )
    };
    assert!(!view(&["-o", "table"]).contains("SLO"));
    let table = view(&["-o", "table", "--slo", "95%"]);
    assert!(
        table.contains("SLO 95%: burn-rate alerts (an error is a 5xx;"),
        "{table}"
    );
    assert!(
        table.contains(" ticket    3d / 6h  1×         2026-11-24T10:47:00Z  still firing"),
        "{table}"
    );
    let md = view(&["-o", "markdown", "--slo", "95%"]);
    assert!(
        md.contains("| ticket | 3d | 6h | 1× | 2026-11-24T10:47:00Z | still firing at the end |"),
        "{md}"
    );
    let html = view(&["-o", "html", "--slo", "95%"]);
    assert!(
        html.contains("<h2>SLO 95%: burn-rate alerts"),
        "{}",
        &html[..200]
    );
}
