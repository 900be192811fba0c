//! `analyze --save-state` and `merge` (SPEC §9): states of random splits of
//! a fixture set merge to the byte-identical report of one `analyze`; states
//! made with other settings, damaged or forged, are refused (exit 2).

use crate::*;
use std::path::{Path, PathBuf};

/// Inputs of many formats: an incident across a rotation, malformed lines,
/// bodies, a cut gzip file (an input error: exit 1).
const INPUTS: [&str; 12] = [
    "rotated/api.log",
    "rotated/api.log.1",
    "rotated/api.log.2.gz",
    "combined.log",
    "combined.log.zst",
    "query.jsonl",
    "events.jsonl",
    "heroku.log",
    "caddy.jsonl",
    "truncated.log.gz",
    "formats/alb.log",
    "formats/haproxy-badreq.log",
];

/// A small deterministic generator (the splits must be reproducible).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) % n as u64) as usize
    }

    fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            v.swap(i, self.next(i + 1));
        }
    }
}

/// `analyze ARGS INPUTS --save-state PATH`, expecting `code`.
fn save(path: &Path, inputs: &[&str], args: &[&str], code: i32) {
    faultline()
        .args(["analyze", "-o", "json", "--no-progress", "--save-state"])
        .arg(path)
        .args(args)
        .args(inputs)
        .assert()
        .code(code);
}

fn merge(states: &[PathBuf], args: &[&str], code: i32) -> Vec<u8> {
    faultline()
        .arg("merge")
        .args(args)
        .args(states)
        .assert()
        .code(code)
        .get_output()
        .stdout
        .clone()
}

fn one_analyze(args: &[&str], code: i32) -> Vec<u8> {
    faultline()
        .args(["analyze", "--no-progress"])
        .args(args)
        .args(INPUTS)
        .assert()
        .code(code)
        .get_output()
        .stdout
        .clone()
}

#[test]
fn states_of_random_splits_merge_to_the_report_of_one_analyze() {
    let tmp = tempfile::tempdir().unwrap();
    let want_json = one_analyze(&["-o", "json"], 1);
    let want: serde_json::Value = serde_json::from_slice(&want_json).unwrap();
    // The fixture set holds what the comparison must cover.
    assert!(!want["incidents"].as_array().unwrap().is_empty());
    assert!(!want["malformed_samples"].as_array().unwrap().is_empty());
    assert_eq!(want["summary"]["input_errors"].as_array().unwrap().len(), 1);
    assert!(!want["incidents"][0]["examples"]
        .as_array()
        .unwrap()
        .is_empty());

    for seed in 0..8u64 {
        let mut rng = Lcg(seed);
        let mut inputs = INPUTS.to_vec();
        rng.shuffle(&mut inputs);
        let parts = 1 + rng.next(5);
        let mut states = Vec::new();
        let mut rest = &inputs[..];
        for p in 0..parts {
            let left = parts - p;
            let take = if left == 1 {
                rest.len()
            } else {
                rng.next(rest.len().saturating_sub(left - 1)) + 1
            };
            let (group, tail) = rest.split_at(take.min(rest.len()));
            rest = tail;
            if group.is_empty() {
                continue;
            }
            let path = tmp.path().join(format!("{seed}-{p}.state"));
            let threads = (1 + rng.next(3)).to_string();
            let block = (64 + rng.next(4096)).to_string();
            let code = i32::from(group.contains(&"truncated.log.gz"));
            save(
                &path,
                group,
                &["--threads", &threads, "--block-size", &block],
                code,
            );
            states.push(path);
        }
        rng.shuffle(&mut states);
        let got = merge(&states, &["-o", "json"], 1);
        assert!(
            got == want_json,
            "seed {seed}: {} states differ from one analyze:\n{}",
            states.len(),
            String::from_utf8_lossy(&got)
        );
        if seed == 0 {
            for view in [["-o", "table"], ["-o", "markdown"]] {
                assert_eq!(
                    String::from_utf8(merge(&states, &view, 1)).unwrap(),
                    String::from_utf8(one_analyze(&view, 1)).unwrap()
                );
            }
        }
    }
}

/// A merged state merges again (in stages) to the same report.
#[test]
fn merged_states_merge_again() {
    let tmp = tempfile::tempdir().unwrap();
    let s = |n: &str| tmp.path().join(n);
    save(&s("a"), &INPUTS[..4], &[], 0);
    save(&s("b"), &INPUTS[4..9], &[], 0);
    save(&s("c"), &INPUTS[9..], &[], 1);
    faultline()
        .args(["merge", "-o", "json", "--save-state"])
        .arg(s("ab"))
        .args([s("a"), s("b")])
        .assert()
        .success();
    let staged = merge(&[s("ab"), s("c")], &["-o", "json"], 1);
    assert_eq!(staged, one_analyze(&["-o", "json"], 1));
}

/// Past `--max-keys` a merge keeps the Space-Saving guarantees: each kept
/// route's count is within its count_error of the truth, and the exact
/// parts of the report (summary counts, by_status, timeline, incidents'
/// figures) equal one analyze's.
#[test]
fn capped_tables_merge_within_their_bounds() {
    let tmp = tempfile::tempdir().unwrap();
    let s = |n: &str| tmp.path().join(n);
    let capped = ["--max-keys", "3"];
    save(&s("a"), &INPUTS[..6], &capped, 0);
    save(&s("b"), &INPUTS[6..], &capped, 1);
    let merged: serde_json::Value =
        serde_json::from_slice(&merge(&[s("a"), s("b")], &["-o", "json"], 1)).unwrap();
    let exact = analyze(&INPUTS, 1);
    assert_eq!(merged["summary"]["tables"]["routes"]["capped"], true);
    assert_eq!(merged["summary"]["tables"]["routes"]["kept"], 3);
    for k in ["requests", "malformed", "lines", "by_class"] {
        assert_eq!(merged["summary"][k], exact["summary"][k], "{k}");
    }
    assert_eq!(merged["by_status"], exact["by_status"]);
    assert_eq!(merged["timeline"], exact["timeline"]);
    let figures = |r: &serde_json::Value| -> Vec<serde_json::Value> {
        r["incidents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                serde_json::json!([
                    i["start"],
                    i["end"],
                    i["bad_buckets"],
                    i["requests"],
                    i["errors_5xx"]
                ])
            })
            .collect()
    };
    assert_eq!(figures(&merged), figures(&exact));
    let truth = |method: &serde_json::Value, route: &serde_json::Value| {
        exact["routes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| &r["method"] == method && &r["route"] == route)
            .map_or(0, |r| r["requests"].as_u64().unwrap())
    };
    for r in merged["routes"].as_array().unwrap() {
        let (n, err) = (
            r["requests"].as_u64().unwrap(),
            r["count_error"].as_u64().unwrap(),
        );
        let t = truth(&r["method"], &r["route"]);
        assert!(t <= n && n <= t + err, "{r}: true count {t}");
    }
}

/// Hosts of a fleet log to the same path: their inputs stay apart, each
/// named after its state.
#[test]
fn the_same_path_from_two_hosts_is_two_inputs() {
    let tmp = tempfile::tempdir().unwrap();
    let web1 = tmp.path().join("web1.state");
    let web2 = tmp.path().join("web2.state");
    save(&web1, &["combined.log"], &[], 0);
    save(&web2, &["combined.log"], &[], 0);
    let one = analyze(&["combined.log"], 0);
    let both: serde_json::Value =
        serde_json::from_slice(&merge(&[web2.clone(), web1.clone()], &["-o", "json"], 0)).unwrap();
    let paths: Vec<&str> = both["summary"]["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["path"].as_str().unwrap())
        .collect();
    let name = |p: &Path| format!("{}:combined.log", p.display());
    assert_eq!(paths, [name(&web1), name(&web2)]);
    let n = |r: &serde_json::Value, k: &str| r["summary"][k].as_u64().unwrap();
    assert_eq!(n(&both, "requests"), 2 * n(&one, "requests"));
    assert_eq!(n(&both, "malformed"), 2 * n(&one, "malformed"));
}

#[test]
fn other_settings_damaged_and_forged_states_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let s = |n: &str| tmp.path().join(n);
    save(&s("a"), &["combined.log"], &[], 0);
    save(
        &s("b"),
        &["query.jsonl"],
        &["--bucket", "30s", "--max-keys", "50"],
        0,
    );
    faultline()
        .arg("merge")
        .args([s("a"), s("b")])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicates::str::contains(
            "was made with other settings than",
        ))
        .stderr(predicates::str::contains(
            "--bucket 60s vs 30s, --max-keys 10000 vs 50",
        ));

    // Not a state, cut short, or a forged count.
    std::fs::write(s("garbage"), "{\"hello\": 1}").unwrap();
    let bytes = std::fs::read(s("a")).unwrap();
    std::fs::write(s("cut"), &bytes[..bytes.len() / 2]).unwrap();
    let inflated = zstd::decode_all(&bytes[..]).unwrap();
    let mut doc: serde_json::Value = serde_json::from_slice(&inflated).unwrap();
    doc["aggregate"]["requests"] = serde_json::json!(999_999);
    std::fs::write(s("forged"), serde_json::to_vec(&doc).unwrap()).unwrap();
    let mut newer = serde_json::from_slice::<serde_json::Value>(&inflated).unwrap();
    newer["faultline_state"] = serde_json::json!(99);
    std::fs::write(s("newer"), serde_json::to_vec(&newer).unwrap()).unwrap();
    for (name, says) in [
        ("garbage", "not a faultline state"),
        ("cut", "does not inflate"),
        ("forged", "by_status does not add up to requests"),
        ("newer", "state version 99"),
        ("missing", "cannot read the state"),
    ] {
        faultline()
            .arg("merge")
            .args([s("a"), s(name)])
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicates::str::contains(says));
    }
    // The plain JSON a user inflated by hand still reads.
    std::fs::write(s("plain"), &inflated).unwrap();
    assert_eq!(
        merge(&[s("plain")], &["-o", "json"], 0),
        merge(&[s("a")], &["-o", "json"], 0)
    );
}
