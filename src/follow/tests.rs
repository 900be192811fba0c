//! Model-based test: random sequences of writes, rotations, truncations,
//! restarts and crashes against a real directory; every written line must be
//! read exactly once. `PROPTEST_CASES=5000 cargo test follow` runs more.

use super::*;
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::io::Write;

#[derive(Debug, Clone)]
enum Op {
    Append(u8),
    /// Write the start of a line; the next write completes it.
    PartialAppend,
    Poll,
    Checkpoint,
    RenameRotate,
    CopyTruncate,
    /// Poll and checkpoint (a real tailer cannot read what was deleted before
    /// it looked), then delete the log and create it again.
    DeleteRecreate,
    CleanRestart,
    /// Lose everything since the last checkpoint.
    CrashRestart,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (1u8..6).prop_map(Op::Append),
        2 => Just(Op::PartialAppend),
        5 => Just(Op::Poll),
        2 => Just(Op::Checkpoint),
        2 => Just(Op::RenameRotate),
        2 => Just(Op::CopyTruncate),
        1 => Just(Op::DeleteRecreate),
        1 => Just(Op::CleanRestart),
        2 => Just(Op::CrashRestart),
    ]
}

/// The writer side and what it has written.
struct World {
    dir: tempfile::TempDir,
    next_id: u64,
    rotations: u32,
    /// A started line: its id and the text still to write.
    pending: Option<(u64, String)>,
    written: Vec<u64>,
}

impl World {
    fn log(&self) -> PathBuf {
        self.dir.path().join("app.log")
    }

    fn append_raw(&self, text: &str) {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log())
            .unwrap();
        f.write_all(text.as_bytes()).unwrap();
    }

    fn finish_pending(&mut self) {
        if let Some((id, rest)) = self.pending.take() {
            self.append_raw(&format!("{rest}\n"));
            self.written.push(id);
        }
    }

    fn line(&mut self) -> (u64, String) {
        self.next_id += 1;
        (
            self.next_id,
            format!(
                "L{:06} GET /v1/x status=200 padding-{}",
                self.next_id,
                "x".repeat((self.next_id % 7) as usize)
            ),
        )
    }

    fn append(&mut self, n: u8) {
        self.finish_pending();
        let mut text = String::new();
        for _ in 0..n {
            let (id, l) = self.line();
            text.push_str(&l);
            text.push('\n');
            self.written.push(id);
        }
        self.append_raw(&text);
    }

    fn partial(&mut self) {
        self.finish_pending();
        let (id, l) = self.line();
        let (a, b) = l.split_at(l.len() / 2);
        self.append_raw(a);
        self.pending = Some((id, b.to_owned()));
    }

    fn rotated_name(&mut self) -> PathBuf {
        self.rotations += 1;
        self.dir.path().join(format!("app.log.{}", self.rotations))
    }
}

/// The reader side: a follower and what it has counted.
struct Reader {
    follower: Follower,
    counted: BTreeMap<u64, u32>,
}

impl Reader {
    fn new(pattern: &str, state: Option<FollowerState>, counted: BTreeMap<u64, u32>) -> Self {
        Reader {
            follower: Follower::new(vec![pattern.to_owned()], state, StartAt::Beginning),
            counted,
        }
    }

    fn poll(&mut self) {
        let counted = &mut self.counted;
        self.follower.poll(&mut |_, _, line| {
            let Line::Text(t) = line else {
                panic!("unexpected {line:?}")
            };
            let id: u64 = std::str::from_utf8(&t[1..7]).unwrap().parse().unwrap();
            *counted.entry(id).or_default() += 1;
        });
    }
}

fn run(ops: &[Op]) -> Result<(), TestCaseError> {
    let mut w = World {
        dir: tempfile::tempdir().unwrap(),
        next_id: 0,
        rotations: 0,
        pending: None,
        written: Vec::new(),
    };
    std::fs::write(w.log(), "").unwrap();
    let pattern = format!("{}/app.log*", w.dir.path().display());
    let mut r = Reader::new(&pattern, None, BTreeMap::new());
    let mut saved: Option<(FollowerState, BTreeMap<u64, u32>)> = None;
    for op in ops {
        match op {
            Op::Append(n) => w.append(*n),
            Op::PartialAppend => w.partial(),
            Op::Poll => r.poll(),
            Op::Checkpoint => saved = Some((r.follower.state(), r.counted.clone())),
            Op::RenameRotate => {
                w.finish_pending();
                let to = w.rotated_name();
                std::fs::rename(w.log(), to).unwrap();
                std::fs::write(w.log(), "").unwrap();
            }
            Op::CopyTruncate => {
                w.finish_pending();
                let to = w.rotated_name();
                std::fs::copy(w.log(), to).unwrap();
                std::fs::OpenOptions::new()
                    .write(true)
                    .truncate(true)
                    .open(w.log())
                    .unwrap();
            }
            Op::DeleteRecreate => {
                w.finish_pending();
                r.poll();
                saved = Some((r.follower.state(), r.counted.clone()));
                std::fs::remove_file(w.log()).unwrap();
                std::fs::write(w.log(), "").unwrap();
            }
            Op::CleanRestart => {
                let state = r.follower.state();
                r = Reader::new(&pattern, Some(state), std::mem::take(&mut r.counted));
            }
            Op::CrashRestart => {
                r = match saved.clone() {
                    Some((state, counted)) => Reader::new(&pattern, Some(state), counted),
                    None => Reader::new(&pattern, None, BTreeMap::new()),
                };
            }
        }
    }
    w.finish_pending();
    r.poll();
    r.poll();
    let want: BTreeMap<u64, u32> = w.written.iter().map(|id| (*id, 1)).collect();
    let missing: Vec<u64> = want
        .keys()
        .filter(|k| !r.counted.contains_key(k))
        .copied()
        .collect();
    let twice: Vec<(u64, u32)> = r
        .counted
        .iter()
        .filter(|(_, n)| **n != 1)
        .map(|(k, n)| (*k, *n))
        .collect();
    prop_assert!(
        missing.is_empty() && twice.is_empty(),
        "missing {:?}, counted more than once {:?}",
        missing,
        twice
    );
    prop_assert_eq!(r.counted, want);
    Ok(())
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(300)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]
    #[test]
    fn every_line_is_read_exactly_once(ops in proptest::collection::vec(op(), 1..40)) {
        run(&ops)?;
    }
}

#[test]
fn crash_after_copytruncate_resumes_in_the_copy() {
    use Op::*;
    run(&[
        Append(3),
        Poll,
        Checkpoint,
        Append(2),
        CopyTruncate,
        Append(1),
        CrashRestart,
    ])
    .unwrap();
}

#[test]
fn crash_after_rename_resumes_in_the_renamed_file() {
    use Op::*;
    run(&[
        Append(3),
        Poll,
        Checkpoint,
        Append(2),
        RenameRotate,
        Append(4),
        CrashRestart,
        Poll,
    ])
    .unwrap();
}

#[test]
fn partial_lines_wait_for_their_newline() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("a.log");
    std::fs::write(&log, "one\ntw").unwrap();
    let mut f = Follower::new(vec![log.display().to_string()], None, StartAt::Beginning);
    let mut got = Vec::new();
    f.poll(&mut |_, n, l| got.push(format!("{n}:{l:?}")));
    assert_eq!(got, ["1:Text([111, 110, 101])"]);
    std::fs::OpenOptions::new()
        .append(true)
        .open(&log)
        .unwrap()
        .write_all(b"o\r\n")
        .unwrap();
    got.clear();
    f.poll(&mut |_, n, l| got.push(format!("{n}:{l:?}")));
    assert_eq!(got, ["2:Text([116, 119, 111])"]);
    assert_eq!(f.state().files[0].offset, 9);
}

#[test]
fn without_a_checkpoint_existing_files_start_at_their_last_whole_line() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("a.log");
    std::fs::write(&log, "old1\nold2\npart").unwrap();
    let pattern = format!("{}/*.log", dir.path().display());
    let mut f = Follower::new(vec![pattern], None, StartAt::End);
    let mut got = Vec::new();
    f.poll(&mut |_, n, l| got.push((n, format!("{l:?}"))));
    assert!(got.is_empty());
    std::fs::OpenOptions::new()
        .append(true)
        .open(&log)
        .unwrap()
        .write_all(b"ial\n")
        .unwrap();
    // A file appearing later is read from its first line.
    std::fs::write(dir.path().join("b.log"), "new\n").unwrap();
    f.poll(&mut |_, n, l| got.push((n, format!("{l:?}"))));
    assert_eq!(got.len(), 2);
    assert_eq!(
        got[0].0, 3,
        "line numbers count the lines skipped at start-up"
    );
    assert_eq!(f.sources().len(), 2);
}

#[test]
fn over_long_lines_are_skipped_across_polls() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("a.log");
    let mut long = "x".repeat(MAX_LINE + 10);
    std::fs::write(&log, &long).unwrap();
    let mut f = Follower::new(vec![log.display().to_string()], None, StartAt::Beginning);
    let mut got = Vec::new();
    f.poll(&mut |_, n, l| got.push(format!("{n}:{l:?}")));
    assert!(got.is_empty());
    long.clear();
    std::fs::OpenOptions::new()
        .append(true)
        .open(&log)
        .unwrap()
        .write_all(b"tail\nok\n")
        .unwrap();
    f.poll(&mut |_, n, l| got.push(format!("{n}:{l:?}")));
    assert_eq!(got, ["1:TooLong", "2:Text([111, 107])"]);
}

#[test]
fn regression_restart_then_copytruncate() {
    use Op::*;
    run(&[
        DeleteRecreate,
        Append(1),
        Poll,
        Checkpoint,
        CleanRestart,
        CopyTruncate,
    ])
    .unwrap();
}
