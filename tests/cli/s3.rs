//! `s3://bucket/prefix` inputs against a local S3 server: moto in server
//! mode (from PyPI, in `target/moto-venv`, which `.ci/setup-moto` installs
//! and these tests install too when it is missing), one server per test on
//! a free port of 127.0.0.1, stopped when the test ends.

use crate::*;
use serde_json::Value;
use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn venv() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let venv = root.join("target/moto-venv");
    if !venv.join("bin/moto_server").exists() {
        let ok = Command::new("bash")
            .arg(root.join(".ci/setup-moto"))
            .status()
            .expect("bash runs");
        assert!(ok.success(), ".ci/setup-moto could not install moto");
    }
    venv
}

/// A moto server, killed when dropped.
struct Moto {
    child: Child,
    endpoint: String,
}

impl Moto {
    fn start() -> Moto {
        let venv = venv();
        // A port the system had free a moment ago.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(venv.join("bin/moto_server"))
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("moto_server starts");
        let moto = Moto {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        };
        let start = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "moto did not listen"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        moto
    }

    /// Runs Python with boto3 against the server; `script` sees `s3`.
    fn python(&self, script: &str) {
        let mut child = Command::new(venv().join("bin/python"))
            .arg("-c")
            .arg(format!(
                "import boto3, gzip, sys\n\
                 s3 = boto3.client('s3', endpoint_url='{}', aws_access_key_id='test', \
                 aws_secret_access_key='test', region_name='us-east-1')\n{script}",
                self.endpoint
            ))
            .current_dir(data())
            .stdin(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdin.take());
        assert!(child.wait().unwrap().success(), "{script}");
    }

    /// `faultline ARGS` with the AWS environment pointing at the server.
    fn faultline(&self) -> assert_cmd::Command {
        let mut c = faultline();
        for k in ["AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_DEFAULT_REGION"] {
            c.env_remove(k);
        }
        c.env("AWS_ENDPOINT_URL", &self.endpoint)
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_REGION", "us-east-1")
            // No instance metadata lookups from a test.
            .env("AWS_EC2_METADATA_DISABLED", "true");
        c
    }

    /// [`Moto::faultline`] as a process to start in the background.
    fn faultline_process(&self) -> Command {
        let mut c = Command::new(assert_cmd::cargo::cargo_bin("faultline"));
        c.current_dir(data())
            .env_remove("RUST_LOG")
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_SESSION_TOKEN")
            .env_remove("AWS_DEFAULT_REGION")
            .env("AWS_ENDPOINT_URL", &self.endpoint)
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_EC2_METADATA_DISABLED", "true");
        c
    }

    fn analyze(&self, args: &[&str], code: i32) -> Value {
        let out = self
            .faultline()
            .args(["analyze", "-o", "json", "--no-progress"])
            .args(args)
            .assert()
            .code(code)
            .get_output()
            .stdout
            .clone();
        serde_json::from_slice(&out).unwrap()
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const PREFIX: &str = "AWSLogs/123456789012/elasticloadbalancing/us-east-2/2023/03/01/";

/// ALB logs as AWS delivers them (gzip objects under a dated prefix) give
/// the same report as the same files on disk; `query` reads them too.
#[test]
fn a_prefix_of_gzipped_alb_logs_reads_as_the_same_files_on_disk() {
    let moto = Moto::start();
    moto.python(&format!(
        "s3.create_bucket(Bucket='alb-logs')\n\
         for name in ['alb.log', 'alb-odd.log']:\n\
         \x20   body = gzip.compress(open('formats/' + name, 'rb').read())\n\
         \x20   s3.put_object(Bucket='alb-logs', Key='{PREFIX}' + name + '.gz', Body=body)\n\
         s3.put_object(Bucket='alb-logs', Key='{PREFIX}.hidden', Body=b'x')\n\
         s3.put_object(Bucket='alb-logs', Key='other/README', Body=b'not here')\n"
    ));
    let dir = tempfile::tempdir().unwrap();
    for name in ["alb.log", "alb-odd.log"] {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&std::fs::read(data().join("formats").join(name)).unwrap())
            .unwrap();
        std::fs::write(dir.path().join(format!("{name}.gz")), gz.finish().unwrap()).unwrap();
    }
    let url = format!("s3://alb-logs/{PREFIX}");
    let from_s3 = moto.analyze(&[&url], 0);
    let inputs: Vec<(&str, &str, &str)> = from_s3["summary"]["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            let s = |k: &str| i[k].as_str().unwrap();
            (s("path"), s("format"), s("compression"))
        })
        .collect();
    let odd = format!("{url}alb-odd.log.gz");
    let plain = format!("{url}alb.log.gz");
    assert_eq!(
        inputs,
        [
            (odd.as_str(), "alb", "gzip"),
            (plain.as_str(), "alb", "gzip")
        ]
    );
    let from_disk = analyze(&[dir.path().to_str().unwrap()], 0);
    assert_eq!(counts(&from_s3["summary"]), (18, 7, 11));
    assert_eq!(without_inputs(from_s3), without_inputs(from_disk));

    let out = moto
        .faultline()
        .args(COUNT_EVENTS)
        .arg(&url)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert_eq!(String::from_utf8(out).unwrap(), "n\n7\n");
}

/// A bucket that does not exist, or a prefix with nothing under it, is a
/// one-line error and exit 2, before any work; an object whose gzip data
/// breaks off part-way is an input error (exit 1) after what it held.
#[test]
fn a_missing_bucket_is_exit_2_and_a_broken_object_exit_1() {
    let moto = Moto::start();
    let out = moto
        .faultline()
        .args(["analyze", "--no-progress", "s3://no-such-bucket/logs/"])
        .assert()
        .code(2)
        .get_output()
        .clone();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        stderr,
        "faultline: error: s3://no-such-bucket/logs/: NoSuchBucket: The specified bucket does not exist\n"
    );
    assert!(out.stdout.is_empty());

    moto.python(
        "s3.create_bucket(Bucket='cut')\n\
         body = gzip.compress(open('formats/haproxy-lnav.log', 'rb').read() * 50)\n\
         s3.put_object(Bucket='cut', Key='lb/haproxy.log.gz', Body=body[: len(body) // 2])\n",
    );
    let empty = moto
        .faultline()
        .args(["analyze", "--no-progress", "s3://cut/nothing/"])
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    assert_eq!(
        String::from_utf8(empty).unwrap(),
        "faultline: error: s3://cut/nothing/: no object under this prefix\n"
    );
    let r = moto.analyze(&["s3://cut/lb/"], 1);
    let errors = r["summary"]["input_errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0]["path"], "s3://cut/lb/haproxy.log.gz");
    assert!(
        errors[0]["error"]
            .as_str()
            .unwrap()
            .starts_with("corrupt or truncated gzip data"),
        "{errors:?}"
    );
    assert!(r["summary"]["requests"].as_u64().unwrap() > 0);
}

/// Objects do not grow: `tail` refuses them rather than waiting forever.
#[test]
fn tail_refuses_s3_urls() {
    let out = faultline()
        .args(["tail", "s3://alb-logs/AWSLogs/"])
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "faultline: error: s3://alb-logs/AWSLogs/: tail follows local files; read S3 objects with analyze or query\n"
    );
}

/// `export --out s3://…` writes the dataset a local export writes (read
/// back after downloading it), and a second export adds nothing: the
/// manifest is read back from the bucket. Inputs from `s3://` export too.
#[test]
fn export_to_a_bucket_is_the_local_dataset_and_adds_nothing_twice() {
    let moto = Moto::start();
    moto.python(
        "s3.create_bucket(Bucket='lake')\n\
         s3.put_object(Bucket='lake', Key='in/alb.log', Body=open('formats/alb.log', 'rb').read())\n",
    );
    let inputs = ["query.jsonl", "combined.log.zst"];
    let tmp = tempfile::tempdir().unwrap();
    let local = tmp.path().join("local");
    crate::export::export(&local, &inputs);

    let export_to_s3 = |args: &[&str]| {
        let out = moto
            .faultline()
            .args(["export", "--no-progress", "--out", "s3://lake/ds/events"])
            .args(args)
            .assert()
            .success()
            .get_output()
            .clone();
        (
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    };
    let (first, _) = export_to_s3(&inputs);
    let rows = crate::export::dataset_rows(&local).height();
    assert!(
        first.contains(&format!("{rows} events from 2 input(s)")),
        "{first}"
    );
    let (again, stderr) = export_to_s3(&inputs);
    assert!(again.contains(": 0 events from 0 input(s)"), "{again}");
    assert_eq!(
        stderr.matches("already in the dataset").count(),
        2,
        "{stderr}"
    );
    // An object in a bucket is an input like any other.
    let (alb, _) = export_to_s3(&["s3://lake/in/"]);
    let alb_rows = crate::export::query_rows(&["formats/alb.log"]).height();
    assert!(
        alb.contains(&format!("{alb_rows} events from 1 input(s)")),
        "{alb}"
    );

    let down = tmp.path().join("down");
    moto.python(&format!(
        "import os\n\
         for o in s3.list_objects_v2(Bucket='lake', Prefix='ds/events/')['Contents']:\n\
         \x20   p = os.path.join('{}', o['Key'][len('ds/events/'):])\n\
         \x20   os.makedirs(os.path.dirname(p), exist_ok=True)\n\
         \x20   s3.download_file('lake', o['Key'], p)\n",
        down.display()
    ));
    // The downloaded dataset is a dataset: `query` reads it.
    let n = faultline()
        .args(COUNT_EVENTS)
        .arg(&down)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert_eq!(
        String::from_utf8(n).unwrap(),
        format!("n\n{}\n", rows + alb_rows)
    );
    // The local inputs' rows are the local export's, byte for byte.
    let from_s3 = crate::export::dataset_rows(&down);
    let mask = from_s3
        .column("source")
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .map(|s| s.is_some_and(|s| !s.starts_with("s3://")))
        .collect::<polars::prelude::BooleanChunked>();
    let local_part = from_s3.filter(&mask).unwrap();
    assert!(local_part.equals_missing(&crate::export::dataset_rows(&local)));
}

/// `query s3://…` over a dataset in a bucket reads the files its manifest
/// names, as over the same dataset on disk: the same rows. An object the manifest does not name (a crashed run's leftover,
/// here not even Parquet) is not read; a prefix without a manifest is logs.
#[test]
fn query_reads_a_dataset_in_a_bucket_as_the_same_dataset_on_disk() {
    let moto = Moto::start();
    moto.python("s3.create_bucket(Bucket='lake')\n");
    let inputs = ["query.jsonl", "combined.log.zst", "formats/alb.log"];
    moto.faultline()
        .args(["export", "--no-progress", "--out", "s3://lake/ds/events"])
        .args(inputs)
        .assert()
        .success();
    let tmp = tempfile::tempdir().unwrap();
    let local = tmp.path().join("local");
    crate::export::export(&local, &inputs);
    moto.python(
        "s3.put_object(Bucket='lake', Key='ds/events/date=2026-11-25/hour=10/crashed-00000000.parquet', \
         Body=b'not parquet')\n\
         s3.put_object(Bucket='lake', Key='logs/combined.log', Body=open('combined.log', 'rb').read())\n",
    );

    let sql = "SELECT * FROM events ORDER BY source, line";
    let query = |path: &str| {
        stdout_of(
            moto.faultline()
                .args(["query", "--sql", sql, "-o", "csv", path]),
        )
    };
    let over_bucket = query("s3://lake/ds/events");
    let over_disk = query(local.to_str().unwrap());
    let rows = crate::export::dataset_rows(&local).height();
    assert_eq!(over_bucket.lines().count(), rows + 1, "{over_bucket}");
    assert_eq!(over_bucket, over_disk);
    // A trailing slash names the same dataset; a shipped query runs on it.
    assert_eq!(query("s3://lake/ds/events/"), over_disk);
    let codes = stdout_of(moto.faultline().args([
        "query",
        "top-error-codes",
        "-o",
        "csv",
        "s3://lake/ds/events",
    ]));
    let codes_on_disk = stdout_of(
        faultline()
            .args(["query", "top-error-codes", "-o", "csv"])
            .arg(&local),
    );
    assert_eq!(codes, codes_on_disk);

    // A prefix of logs is still logs, and the two do not mix.
    let logs = query("s3://lake/logs/");
    let logs_on_disk =
        stdout_of(faultline().args(["query", "--sql", sql, "-o", "csv", "combined.log"]));
    assert_eq!(
        logs,
        logs_on_disk.replace("combined.log", "s3://lake/logs/combined.log")
    );
    moto.faultline()
        .args([
            "query",
            "--sql",
            sql,
            "s3://lake/ds/events",
            "s3://lake/logs/",
        ])
        .assert()
        .code(2)
        .stderr(
            "faultline: error: s3://lake/logs/: not a dataset, but s3://lake/ds/events is: \
             query logs or datasets, not both at once\n",
        );
}

/// Starts `export --out s3://lake/ds INPUTS` and returns once it has
/// published its files and waits to commit (`resume` in `pause` lets it).
fn paused_export(moto: &Moto, pause: &Path, inputs: &[&str]) -> Child {
    std::fs::create_dir_all(pause).unwrap();
    let child = moto
        .faultline_process()
        .args(["export", "--no-progress", "--out", "s3://lake/ds"])
        .arg("--pause-before-commit")
        .arg(pause)
        .args(inputs)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while !pause.join("paused").exists() {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "the export never reached its commit"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child
}

/// Exports into one bucket prefix from two hosts at once (S3 has no lock):
/// the run that commits second adds itself to the manifest the first wrote
/// (a conditional write fails, it reads the manifest again), the first
/// run's sweep leaves the second's fresh, uncommitted objects alone, and no
/// row is lost or counted twice. When both read the same input, the second
/// commits nothing and takes its objects back.
#[test]
fn concurrent_exports_into_a_bucket_commit_one_after_the_other() {
    let moto = Moto::start();
    moto.python("s3.create_bucket(Bucket='lake')\n");
    let tmp = tempfile::tempdir().unwrap();
    let rows = |inputs: &[&str]| crate::export::query_rows(inputs).height();
    let count = || stdout_of(moto.faultline().args(COUNT_EVENTS).arg("s3://lake/ds"));
    let export = |input: &str| {
        stdout_of(moto.faultline().args([
            "export",
            "--no-progress",
            "--out",
            "s3://lake/ds",
            input,
        ]))
    };
    // The dataset's Parquet objects.
    let objects = || -> BTreeSet<String> {
        let listed = tmp.path().join("listed");
        moto.python(&format!(
            "keys = [o['Key'] for o in s3.list_objects_v2(Bucket='lake', Prefix='ds/').get('Contents', [])]\n\
             open('{}', 'w').write('\\n'.join(k for k in keys if k.endswith('.parquet')))\n",
            listed.display()
        ));
        std::fs::read_to_string(listed)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    };

    // Host A waits at its commit; host B exports other logs and commits.
    let a_pause = tmp.path().join("a");
    let a = paused_export(&moto, &a_pause, &["query.jsonl"]);
    let a_objects = objects();
    assert!(!a_objects.is_empty());
    export("combined.log.zst");
    // B's sweep left A's uncommitted objects; A commits after B.
    let after_b = objects();
    assert!(after_b.is_superset(&a_objects) && after_b.len() > a_objects.len());
    std::fs::write(a_pause.join("resume"), b"").unwrap();
    let a = a.wait_with_output().unwrap();
    assert!(a.status.success(), "{}", String::from_utf8_lossy(&a.stderr));
    let both = rows(&["query.jsonl"]) + rows(&["combined.log.zst"]);
    assert_eq!(count(), format!("n\n{both}\n"));
    let held = objects();
    assert_eq!(held, after_b);

    // Host C waits at its commit; host D exports the same log and commits.
    let c_pause = tmp.path().join("c");
    let c = paused_export(&moto, &c_pause, &["combined.log"]);
    let with_c = objects();
    assert!(with_c.len() > held.len());
    export("combined.log");
    let with_d = objects();
    assert!(with_d.len() > with_c.len());
    std::fs::write(c_pause.join("resume"), b"").unwrap();
    let c = c.wait_with_output().unwrap();
    assert_eq!(c.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&c.stderr);
    assert!(
        stderr.contains(
            "s3://lake/ds/: another export committed combined.log (or part of it) while this \
             one ran; nothing of this run was committed"
        ),
        "{stderr}"
    );
    let all = both + rows(&["combined.log"]);
    assert_eq!(count(), format!("n\n{all}\n"));
    // C took its objects back: D's stay.
    let c_only: BTreeSet<String> = with_c.difference(&held).cloned().collect();
    assert_eq!(objects(), with_d.difference(&c_only).cloned().collect());
    assert!(export("combined.log").contains(": 0 events from 0 input(s)"));
    assert_eq!(count(), format!("n\n{all}\n"));
}
