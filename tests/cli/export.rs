//! `faultline export` (SPEC §9): a hive-partitioned Parquet dataset read
//! back with Polars, exported again without duplicates, grown, swept after
//! an interrupted run; `query` over the dataset.

use crate::*;
use polars::prelude::*;
use std::path::Path;

/// Inputs of three formats and compressions, with malformed lines.
const INPUTS: [&str; 3] = ["query.jsonl", "combined.log.zst", "formats/alb.log"];

/// `faultline export --out DIR`, inputs to add.
fn export_into(dir: &Path) -> assert_cmd::Command {
    let mut c = faultline();
    c.args(["export", "--no-progress", "--out"]).arg(dir);
    c
}

pub(crate) fn export(dir: &Path, inputs: &[&str]) -> String {
    let out = export_into(dir)
        .args(inputs)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    String::from_utf8(out).unwrap()
}

/// The dataset's files (relative names), sorted.
pub(crate) fn files(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for date in std::fs::read_dir(dir).unwrap() {
        let date = date.unwrap();
        if !date.path().is_dir() || date.file_name().to_string_lossy().starts_with('_') {
            continue;
        }
        for hour in std::fs::read_dir(date.path()).unwrap() {
            let hour = hour.unwrap();
            for f in std::fs::read_dir(hour.path()).unwrap() {
                let f = f.unwrap();
                out.push(format!(
                    "{}/{}/{}",
                    date.file_name().to_string_lossy(),
                    hour.file_name().to_string_lossy(),
                    f.file_name().to_string_lossy()
                ));
            }
        }
    }
    out.sort();
    out
}

fn read_parquet(path: &Path) -> DataFrame {
    ParquetReader::new(std::fs::File::open(path).unwrap())
        .finish()
        .unwrap()
}

/// Every row of the dataset, sorted by (source, line).
pub(crate) fn dataset_rows(dir: &Path) -> DataFrame {
    let mut all: Option<DataFrame> = None;
    for f in files(dir) {
        let df = read_parquet(&dir.join(&f));
        all = Some(match all {
            None => df,
            Some(mut a) => {
                a.vstack_mut(&df).unwrap();
                a
            }
        });
    }
    sorted(all.expect("the dataset has files"))
}

fn sorted(df: DataFrame) -> DataFrame {
    df.sort(["source", "line"], SortMultipleOptions::default())
        .unwrap()
}

/// What `query` gives for the same inputs: every event, as Parquet.
pub(crate) fn query_rows(inputs: &[&str]) -> DataFrame {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("all.parquet");
    faultline()
        .args(["query", "--sql", "SELECT * FROM events", "-o", "parquet"])
        .args(["--out", out.to_str().unwrap()])
        .args(inputs)
        .assert()
        .success();
    sorted(read_parquet(&out))
}

/// The rows and types equal `query`'s; each file is in its hour's
/// partition; the manifest names the files.
#[test]
fn the_dataset_holds_the_events_query_sees_partitioned_by_hour() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("events");
    let said = export(&dir, &INPUTS);
    let want = query_rows(&INPUTS);
    assert!(
        said.contains(&format!("{} events from 3 input(s)", want.height())),
        "{said}"
    );
    let got = dataset_rows(&dir);
    assert_eq!(got.schema(), want.schema());
    assert!(got.equals_missing(&want), "{got}\n{want}");

    let names = files(&dir);
    assert!(names.len() >= 3, "{names:?}");
    for name in &names {
        let (date, rest) = name.split_once('/').unwrap();
        let (hour, file) = rest.split_once('/').unwrap();
        assert!(file.ends_with(".parquet"));
        // Every row's time is inside the file's partition.
        let df = read_parquet(&dir.join(name));
        let ts = df.column("ts").unwrap().datetime().unwrap().clone();
        let text: Vec<String> = ts
            .physical()
            .iter()
            .map(|us| {
                chrono::DateTime::from_timestamp_micros(us.unwrap())
                    .unwrap()
                    .format("date=%Y-%m-%d/hour=%H")
                    .to_string()
            })
            .collect();
        assert!(
            text.iter().all(|t| t == &format!("{date}/{hour}")),
            "{name}"
        );
    }
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("_faultline_manifest.json")).unwrap())
            .unwrap();
    let mut listed: Vec<String> = manifest["runs"][0]["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap().to_owned())
        .collect();
    listed.sort();
    assert_eq!(listed, names);
    assert_eq!(manifest["runs"][0]["rows"], want.height());
    assert_eq!(manifest["runs"][0]["sources"].as_array().unwrap().len(), 3);
}

/// Exporting the same inputs again adds nothing, whatever their order or
/// name (a rotated copy); a new input adds its rows; a plain file that grew
/// adds only its new lines.
#[test]
fn exporting_again_adds_only_what_is_new() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("events");
    let grown = tmp.path().join("api.log");
    let lines = std::fs::read_to_string(data().join("combined.log")).unwrap();
    let all: Vec<&str> = lines.lines().collect();
    let half = all.len() / 2;
    std::fs::write(&grown, all[..half].join("\n") + "\n").unwrap();
    let grown_arg = grown.to_str().unwrap();

    export(&dir, &["query.jsonl", grown_arg]);
    let first = dataset_rows(&dir).height();
    let again = export(&dir, &[grown_arg, "query.jsonl"]);
    assert!(again.contains(": 0 events from 0 input(s)"), "{again}");
    assert_eq!(dataset_rows(&dir).height(), first);

    // The same content under another name is the same content.
    let copy = tmp.path().join("api.log.1");
    std::fs::copy(&grown, &copy).unwrap();
    let out = export_into(&dir)
        .arg(&copy)
        .assert()
        .success()
        .get_output()
        .clone();
    assert!(String::from_utf8_lossy(&out.stderr).contains("already in the dataset"));

    // A new input adds exactly its rows.
    export(&dir, &["formats/alb.log"]);
    let alb = query_rows(&["formats/alb.log"]).height();
    assert_eq!(dataset_rows(&dir).height(), first + alb);

    // The file grew: its second half is added, and the dataset now holds
    // what one export of the whole file would.
    std::fs::write(&grown, all.join("\n") + "\n").unwrap();
    let out = export_into(&dir)
        .arg(grown_arg)
        .assert()
        .success()
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("adding the lines after line {half}")),
        "{stderr}"
    );
    let want = query_rows(&["query.jsonl", grown_arg, "formats/alb.log"]);
    assert!(dataset_rows(&dir).equals_missing(&want));

    // It grows again, then is rotated (renamed) and a new file begun: the
    // rotated file adds only the lines after what the dataset holds, under
    // its new name, and the new file all of its own.
    let extra = std::fs::read_to_string(data().join("events.jsonl")).unwrap();
    let before = dataset_rows(&dir).height();
    let rotated = tmp.path().join("api.log.1");
    std::fs::remove_file(&copy).unwrap();
    std::fs::write(&grown, all.join("\n") + "\n" + &all[..3].join("\n") + "\n").unwrap();
    std::fs::rename(&grown, &rotated).unwrap();
    std::fs::write(&grown, &extra).unwrap();
    export(&dir, &[grown_arg, rotated.to_str().unwrap()]);
    let added = dataset_rows(&dir).height() - before;
    assert_eq!(added, 3 + query_rows(&[grown_arg]).height());
    // No row twice: (ts, line, path, status) stay unique across the names.
    let keys = dataset_rows(&dir)
        .select(["ts", "line", "path", "status", "request_id", "client"])
        .unwrap();
    assert!(!keys.is_duplicated().unwrap().any());
}

/// Files an interrupted export left (published, not in the manifest) are
/// neither read by `query` nor kept by the next export.
#[test]
fn leftovers_of_an_interrupted_export_are_swept_and_never_read() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("events");
    export(&dir, &["query.jsonl"]);
    let name = files(&dir).remove(0);
    let leftover = dir
        .join(name)
        .with_file_name("20990101T000000.000Z-1-00000000.parquet");
    std::fs::copy(dir.join(files(&dir).remove(0)), &leftover).unwrap();
    std::fs::create_dir_all(dir.join("_staging-x/date=2026-01-01/hour=00")).unwrap();
    let count = |dir: &Path| {
        let out = faultline()
            .args(COUNT_EVENTS)
            .arg(dir)
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        String::from_utf8(out).unwrap()
    };
    let want = format!("n\n{}\n", query_rows(&["query.jsonl"]).height());
    assert_eq!(count(&dir), want);
    let out = export_into(&dir)
        .arg("events.jsonl")
        .assert()
        .success()
        .get_output()
        .clone();
    assert!(String::from_utf8_lossy(&out.stderr).contains("removed 1 file(s)"));
    assert!(!leftover.exists());
    assert!(!dir.join("_staging-x").exists());
}

/// A `ts` filter reads only the files whose hour it can match (their
/// Parquet statistics), and gives the same count as over the logs.
#[test]
fn a_time_filter_skips_the_other_hours_files() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("events");
    export(&dir, &["query.jsonl"]);
    let hours = files(&dir).len();
    assert_eq!(hours, 3, "query.jsonl spans three hours");
    let sql = "SELECT count(*) AS n FROM events WHERE ts >= TIMESTAMP '2026-11-25 00:00:00'";
    let over_logs = faultline()
        .args(["query", "--sql", sql, "-o", "csv", "query.jsonl"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let out = faultline()
        .args(["query", "--sql", sql, "-o", "csv"])
        .arg(&dir)
        // Polars says per file how many row groups its statistics let through.
        .env("POLARS_VERBOSE", "1")
        .assert()
        .success()
        .get_output()
        .clone();
    assert_eq!(out.stdout, over_logs);
    assert_eq!(String::from_utf8_lossy(&over_logs), "n\n4\n");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let read: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("Predicate pushdown: reading"))
        .collect();
    assert_eq!(read.len(), hours, "{stderr}");
    assert_eq!(
        read.iter()
            .filter(|l| l.ends_with("reading 0 / 1 row groups"))
            .count(),
        2,
        "{read:?}"
    );
}

/// A damaged manifest, stdin, and mixing logs with a dataset are usage
/// errors (exit 2), and nothing is written.
#[test]
fn bad_datasets_and_inputs_are_usage_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("events");
    export(&dir, &["query.jsonl"]);
    let before = files(&dir);
    std::fs::write(dir.join("_faultline_manifest.json"), "{\"runs\": [").unwrap();
    export_into(&dir)
        .arg("events.jsonl")
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "manifest _faultline_manifest.json is damaged",
        ));
    assert_eq!(files(&dir), before);
    faultline()
        .args(["query", "--sql", "SELECT 1 AS x FROM events"])
        .arg(&dir)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("damaged"));

    faultline()
        .args(["export", "--out", dir.to_str().unwrap(), "-"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("not stdin"));
    let file = tmp.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    faultline()
        .args(["export", "--out", file.to_str().unwrap(), "query.jsonl"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("not a directory"));

    let good = tmp.path().join("good");
    export(&good, &["query.jsonl"]);
    faultline()
        .args(["query", "--sql", "SELECT 1 AS x FROM events", "query.jsonl"])
        .arg(&good)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("not both at once"));
}

/// Every shipped query gives the same result over the logs and over their
/// dataset, in every output (`query --list` names them).
#[test]
fn every_shipped_query_reads_the_dataset_as_the_logs() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("events");
    let inputs = ["query.jsonl", "combined.log.zst", "events.jsonl"];
    export(&dir, &inputs);
    let list = stdout_of(faultline().args(["query", "--list"]));
    let names: Vec<&str> = list
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert!(names.len() >= 8, "{names:?}");
    for name in names {
        for output in ["csv", "json"] {
            let over_logs = stdout_of(faultline().args(["query", name, "-o", output]).args(inputs));
            let over_dataset = stdout_of(faultline().args(["query", name, "-o", output]).arg(&dir));
            assert_eq!(over_dataset, over_logs, "{name} -o {output}");
        }
    }
}
