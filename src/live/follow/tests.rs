//! Model-based test: random sequences of writes, rotations, truncations,
//! restarts and crashes against a real directory; every written line must be
//! read exactly once. `PROPTEST_CASES=5000 cargo test follow` runs more.

use super::*;
use crate::engine::blocks::{lines, trim_cr};
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::io::Write;

/// The lines of a chunk as the engine numbers and caps them:
/// `(number, text or TOO LONG)`, as the reference reader's tests print them.
fn split(before: u64, chunk: Chunk<'_>, max_line: usize) -> Vec<(u64, String)> {
    match chunk {
        Chunk::Lines(data) => lines(data)
            .enumerate()
            .map(|(i, l)| {
                let t = &l[..trim_cr(l)];
                let text = if t.len() > max_line {
                    "TOO LONG".to_string()
                } else {
                    String::from_utf8_lossy(t).into_owned()
                };
                (before + 1 + i as u64, text)
            })
            .collect(),
        Chunk::TooLong => vec![(before + 1, "TOO LONG".to_string())],
        Chunk::Cut(t) => vec![(before + 1, format!("CUT {}", String::from_utf8_lossy(t)))],
    }
}

/// Polls once; the lines read as `"number:text"`.
fn poll_lines(f: &mut Follower, max_line: usize) -> Vec<String> {
    let mut got = Vec::new();
    f.poll(&mut |_, before, chunk| {
        got.extend(
            split(before, chunk, max_line)
                .into_iter()
                .map(|(n, t)| format!("{n}:{t}")),
        );
    });
    got
}

#[derive(Debug, Clone)]
enum Op {
    Append(u8),
    /// Write the start of a line; the next write completes it.
    PartialAppend,
    Poll,
    Checkpoint,
    RenameRotate,
    CopyTruncate,
    /// copytruncate whose copy the reader sees half-written: the first `n`
    /// bytes (0 = an empty new file), a poll, then the rest.
    SlowCopyTruncate(u8),
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
        2 => (0u8..40).prop_map(Op::SlowCopyTruncate),
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
        self.follower.poll(&mut |_, before, chunk| {
            for (_, t) in split(before, chunk, MAX_LINE) {
                let id: u64 = t[1..7].parse().unwrap();
                *counted.entry(id).or_default() += 1;
            }
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
            Op::SlowCopyTruncate(n) => {
                w.finish_pending();
                let to = w.rotated_name();
                let content = std::fs::read(w.log()).unwrap();
                let cut = usize::from(*n).min(content.len());
                std::fs::write(&to, &content[..cut]).unwrap();
                r.poll();
                std::fs::OpenOptions::new()
                    .append(true)
                    .open(&to)
                    .unwrap()
                    .write_all(&content[cut..])
                    .unwrap();
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
    assert_eq!(poll_lines(&mut f, MAX_LINE), ["1:one"]);
    std::fs::OpenOptions::new()
        .append(true)
        .open(&log)
        .unwrap()
        .write_all(b"o\r\n")
        .unwrap();
    assert_eq!(poll_lines(&mut f, MAX_LINE), ["2:two"]);
    assert_eq!(f.state().files[0].offset, 9);
}

#[test]
fn without_a_checkpoint_existing_files_start_at_their_last_whole_line() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("a.log");
    std::fs::write(&log, "old1\nold2\npart").unwrap();
    let pattern = format!("{}/*.log", dir.path().display());
    let mut f = Follower::new(vec![pattern], None, StartAt::End);
    assert!(poll_lines(&mut f, MAX_LINE).is_empty());
    std::fs::OpenOptions::new()
        .append(true)
        .open(&log)
        .unwrap()
        .write_all(b"ial\n")
        .unwrap();
    // A file appearing later is read from its first line.
    std::fs::write(dir.path().join("b.log"), "new\n").unwrap();
    let got = poll_lines(&mut f, MAX_LINE);
    assert_eq!(
        got,
        ["3:partial", "1:new"],
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
    assert!(poll_lines(&mut f, MAX_LINE).is_empty());
    long.clear();
    std::fs::OpenOptions::new()
        .append(true)
        .open(&log)
        .unwrap()
        .write_all(b"tail\nok\n")
        .unwrap();
    assert_eq!(poll_lines(&mut f, MAX_LINE), ["1:TOO LONG", "2:ok"]);
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

/// The reference reader's lines of `data` up to its last newline (the
/// follower waits for a line's newline), as `"number:text"`.
fn reference_lines(data: &[u8], max_line: usize) -> Vec<String> {
    let whole = &data[..memchr::memrchr(b'\n', data).map_or(0, |i| i + 1)];
    crate::input::lines::tests::collect(whole, 4096, max_line, false)
}

proptest! {
    /// Whatever sizes the writes come in and whenever the polls happen, the
    /// follower hands out exactly the lines the reference reader finds,
    /// numbered the same, over-long ones included.
    #[test]
    fn lines_agree_with_the_reference_reader(
        data in proptest::collection::vec(proptest::sample::select(vec![b'a', b'b', b'\r', b'\n']), 0..300),
        cuts in proptest::collection::vec(0usize..300, 0..60),
        max_line in 1usize..12,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("a.log");
        std::fs::write(&log, "").unwrap();
        let mut f = Follower::new(vec![log.display().to_string()], None, StartAt::Beginning)
            .with_max_line(max_line);
        let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(data.len())).collect();
        cuts.push(data.len());
        cuts.sort_unstable();
        let mut got = poll_lines(&mut f, max_line);
        let mut written = 0;
        for cut in cuts {
            std::fs::OpenOptions::new()
                .append(true)
                .open(&log)
                .unwrap()
                .write_all(&data[written..cut])
                .unwrap();
            written = cut;
            got.extend(poll_lines(&mut f, max_line));
        }
        prop_assert_eq!(got, reference_lines(&data, max_line));
    }
}
