//! Following growing, rotating files (SPEC §6), by polling.
//!
//! Each poll expands the patterns, then for every tracked file (kept open, so
//! a file renamed or deleted under us can still be read to its end) reads the
//! whole lines added since its offset. Offsets only ever stand on line
//! boundaries: a partial last line waits for its newline, so a checkpoint of
//! offsets is exact.
//!
//! Identity: a file is its (device, inode) *and* its head, the first
//! [`HEAD_LEN`] bytes. A tracked file whose head no longer matches, or that
//! shrank below its offset, was truncated (copytruncate) or replaced: it
//! starts over at 0 as a new source. A new file whose head equals the old head
//! of such a file is its copy and resumes at the old offset, so no line is
//! lost or read twice; a new file whose head equals a live file's head is a
//! copy in the making, kept passive until the original is truncated.

use crate::engine::blocks::MAX_LINE;
use crate::engine::Chunk;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fs::File;
use std::io;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};

/// How many leading bytes identify a file.
pub(crate) const HEAD_LEN: usize = 256;
/// Bytes read per file per poll at most, so a large backlog does not hold up
/// signals and checkpoints.
const POLL_BUDGET: u64 = 64 * 1024 * 1024;
const CHUNK: usize = 256 * 1024;
/// Polls a file that is no longer matched (renamed away, deleted) is still
/// read after it stopped growing: writers keep appending to the old inode
/// until they reopen their log (nginx after `kill -USR1`).
pub(crate) const GONE_GRACE_POLLS: u32 = 20;

/// One followed file as the checkpoint records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct FileState {
    /// Index into [`FollowerState::sources`].
    pub(crate) source: u32,
    pub(crate) path: PathBuf,
    pub(crate) dev: u64,
    pub(crate) ino: u64,
    /// The first bytes of the file, hex-encoded.
    pub(crate) head: String,
    /// Bytes consumed: always just after a newline.
    pub(crate) offset: u64,
    /// Lines consumed (blank ones included), for line numbers.
    pub(crate) line: u64,
    /// A line over the length cap is being skipped.
    pub(crate) in_long_line: bool,
    /// A copy of the file with this source, not read while the original lives.
    pub(crate) passive_of: Option<u32>,
}

/// Everything the follower needs to resume exactly.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct FollowerState {
    pub(crate) files: Vec<FileState>,
    /// Display name of each source (its latest path); a source is one file's
    /// content from its first byte (a truncated file becomes a new source).
    pub(crate) sources: Vec<String>,
}

struct Tracked {
    state: FileState,
    head: Vec<u8>,
    file: File,
    /// Polls in a row in which the file was not matched and nothing was read.
    gone_idle: u32,
}

/// A file's earlier content that a new file (its copy) may carry on from.
struct Ghost {
    head: Vec<u8>,
    offset: u64,
    line: u64,
    source: u32,
    in_long_line: bool,
}

/// Where files seen for the first time start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StartAt {
    /// At the end of their last whole line (no checkpoint, files that exist at start-up).
    End,
    /// At the first byte.
    Beginning,
}

/// Follows the files matching some patterns.
pub(crate) struct Follower {
    patterns: Vec<String>,
    tracked: Vec<Tracked>,
    sources: Vec<String>,
    /// Checkpointed files not yet found again (first poll only).
    restored: Vec<FileState>,
    /// Where files found by the first poll start when no checkpoint knows them.
    first_poll_start: StartAt,
    first_poll_done: bool,
    /// The files that existed at start-up: only these start at their end
    /// with `StartAt::End` (a file created between start-up and the first
    /// poll, after a "no such file yet" warning, is read whole).
    at_start_up: Vec<PathBuf>,
    buf: Vec<u8>,
    /// Lines longer than this are skipped without being held (SPEC §3).
    max_line: usize,
}

/// A pattern is a glob when it holds `*`, `?` or `[`; otherwise a path that may not exist yet.
fn expand(patterns: &[String]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for p in patterns {
        if p.contains(['*', '?', '[']) {
            if let Ok(paths) = glob::glob(p) {
                out.extend(paths.flatten().filter(|p| p.is_file()));
            }
        } else if Path::new(p).is_file() {
            out.push(PathBuf::from(p));
        }
    }
    out.sort();
    out.dedup();
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .filter_map(|i| u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok())
        .collect()
}

fn read_head(file: &File, len: usize) -> io::Result<Vec<u8>> {
    let mut head = vec![0; len];
    let mut filled = 0;
    while filled < len {
        let n = file.read_at(&mut head[filled..], filled as u64)?;
        if n == 0 {
            break;
        }
        filled += n;
    }
    head.truncate(filled);
    Ok(head)
}

/// `candidate` is the same content as a file whose head was `head`.
fn same_start(head: &[u8], candidate: &[u8]) -> bool {
    !head.is_empty() && candidate.starts_with(head)
}

impl Follower {
    /// `restored` is the follower part of a checkpoint; without one, files found
    /// by the first poll start at `first_poll_start`. Files appearing later
    /// always start at their first byte.
    pub(crate) fn new(
        patterns: Vec<String>,
        restored: Option<FollowerState>,
        first_poll_start: StartAt,
    ) -> Self {
        let (restored, sources, start) = match restored {
            Some(s) => (s.files, s.sources, StartAt::Beginning),
            None => (Vec::new(), Vec::new(), first_poll_start),
        };
        Follower {
            at_start_up: expand(&patterns),
            patterns,
            tracked: Vec::new(),
            sources,
            restored,
            first_poll_start: start,
            first_poll_done: false,
            buf: Vec::with_capacity(CHUNK),
            max_line: MAX_LINE,
        }
    }

    /// The same follower with another line-length cap (tests use tiny ones).
    #[cfg(test)]
    pub(crate) fn with_max_line(mut self, max_line: usize) -> Self {
        self.max_line = max_line;
        self
    }

    /// The patterns that match no file now: a typo must not look like a
    /// quiet log (SPEC §6). They are still followed: a file that appears is read.
    pub(crate) fn unmatched(&self) -> Vec<&str> {
        self.patterns
            .iter()
            .filter(|p| expand(std::slice::from_ref(*p)).is_empty())
            .map(String::as_str)
            .collect()
    }

    /// Source display names, by index.
    pub(crate) fn sources(&self) -> &[String] {
        &self.sources
    }

    /// What a checkpoint must hold to resume exactly.
    pub(crate) fn state(&self) -> FollowerState {
        // Restored files not looked for yet are still ours to resume.
        let files = self
            .tracked
            .iter()
            .map(|t| t.state.clone())
            .chain(self.restored.iter().cloned());
        FollowerState {
            files: files.collect(),
            sources: self.sources.clone(),
        }
    }

    /// The whole lines among the first bytes of the file currently read as
    /// `source`, to detect its format from.
    pub(crate) fn head_lines(&self, source: u32) -> Vec<u8> {
        let Some(t) = self
            .tracked
            .iter()
            .find(|t| t.state.source == source && t.state.passive_of.is_none())
        else {
            return Vec::new();
        };
        let Ok(mut head) = read_head(&t.file, CHUNK) else {
            return Vec::new();
        };
        head.truncate(memchr::memrchr(b'\n', &head).map_or(0, |i| i + 1));
        head
    }

    fn new_source(&mut self, path: &Path) -> u32 {
        self.sources.push(path.display().to_string());
        (self.sources.len() - 1) as u32
    }

    /// Reads every whole line added since the last poll and hands them to
    /// `sink(source, lines_before, chunk)`. Returns how many lines were read.
    pub(crate) fn poll(&mut self, sink: &mut dyn FnMut(u32, u64, Chunk<'_>)) -> u64 {
        let paths = expand(&self.patterns);
        let mut seen: HashMap<(u64, u64), PathBuf> = HashMap::new();
        for p in &paths {
            if let Ok(m) = std::fs::metadata(p) {
                seen.entry((m.dev(), m.ino())).or_insert_with(|| p.clone());
            }
        }
        let mut ghosts = self.notice_truncations();
        if !self.first_poll_done {
            self.restore(&seen, &mut ghosts);
        }
        self.discover(&paths, &mut ghosts);
        self.first_poll_done = true;
        self.read_all(&seen, sink)
    }

    /// Step 1: tracked files that were truncated or replaced start over as
    /// new sources; what they held may continue in a copy (returned as ghosts,
    /// or a passive copy is activated).
    fn notice_truncations(&mut self) -> Vec<Ghost> {
        let mut ghosts: Vec<Ghost> = Vec::new();
        for i in 0..self.tracked.len() {
            let t = &self.tracked[i];
            let size = t.file.metadata().map(|m| m.len()).unwrap_or(0);
            let current_head = read_head(&t.file, t.head.len()).unwrap_or_default();
            if size >= t.state.offset && current_head == t.head {
                continue;
            }
            let (old_source, path) = (t.state.source, t.state.path.clone());
            let activated = self
                .tracked
                .iter()
                .position(|c| c.state.passive_of == Some(old_source));
            let t = &self.tracked[i];
            if let Some(c) = activated {
                let (offset, line, long) = (t.state.offset, t.state.line, t.state.in_long_line);
                let copy = &mut self.tracked[c];
                copy.state.passive_of = None;
                copy.state.offset = offset;
                copy.state.line = line;
                copy.state.in_long_line = long;
                copy.state.source = old_source;
            } else {
                ghosts.push(Ghost {
                    head: t.head.clone(),
                    offset: t.state.offset,
                    line: t.state.line,
                    source: old_source,
                    in_long_line: t.state.in_long_line,
                });
            }
            let source = self.new_source(&path);
            let t = &mut self.tracked[i];
            t.state.source = source;
            t.state.offset = 0;
            t.state.line = 0;
            t.state.in_long_line = false;
            t.head = read_head(&t.file, HEAD_LEN).unwrap_or_default();
        }
        ghosts
    }

    /// On the first poll after a restart: checkpointed files still there with
    /// the same start resume at their offset; the others become ghosts that a
    /// copy or renamed file may claim.
    fn restore(&mut self, seen: &HashMap<(u64, u64), PathBuf>, ghosts: &mut Vec<Ghost>) {
        for r in std::mem::take(&mut self.restored) {
            if r.head.is_empty() {
                // Nothing was read from it (an empty head means offset 0), and
                // with no content to compare, its inode may have been reused.
                continue;
            }
            let still_there = seen.contains_key(&(r.dev, r.ino));
            let head = unhex(&r.head);
            let reopened = still_there
                .then(|| File::open(&seen[&(r.dev, r.ino)]).ok())
                .flatten()
                .filter(|f| {
                    let size = f.metadata().map(|m| m.len()).unwrap_or(0);
                    size >= r.offset && read_head(f, head.len()).ok().as_deref() == Some(&head[..])
                });
            match reopened {
                Some(file) => self.tracked.push(Tracked {
                    state: FileState {
                        path: seen[&(r.dev, r.ino)].clone(),
                        ..r
                    },
                    head,
                    file,
                    gone_idle: 0,
                }),
                None if r.passive_of.is_none() => ghosts.push(Ghost {
                    head,
                    offset: r.offset,
                    line: r.line,
                    source: r.source,
                    in_long_line: r.in_long_line,
                }),
                None => {}
            }
        }
    }

    /// Step 2: files not tracked yet: a ghost's copy, a passive copy of a live
    /// file, or a new source.
    fn discover(&mut self, paths: &[PathBuf], ghosts: &mut Vec<Ghost>) {
        // Compare new files with what the tracked ones hold now, not with the
        // head they had when last read: a file that was empty then may be the
        // original of a copy being written now.
        for t in &mut self.tracked {
            if t.head.len() < HEAD_LEN {
                if let Ok(h) = read_head(&t.file, HEAD_LEN) {
                    if h.starts_with(&t.head) {
                        t.head = h;
                    }
                }
            }
        }
        let known: Vec<(u64, u64)> = self
            .tracked
            .iter()
            .map(|t| (t.state.dev, t.state.ino))
            .collect();
        for path in paths {
            let Ok(file) = File::open(path) else { continue };
            let Ok(meta) = file.metadata() else { continue };
            if known.contains(&(meta.dev(), meta.ino())) {
                continue;
            }
            let head = read_head(&file, HEAD_LEN).unwrap_or_default();
            if head.starts_with(&[0x1f, 0x8b]) || head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
                // A rotated file compressed by logrotate: its lines were read
                // before it was compressed; `analyze` reads archives.
                continue;
            }
            if self.too_soon_to_tell(&head, ghosts) {
                continue;
            }
            let mut state = FileState {
                source: 0,
                path: path.clone(),
                dev: meta.dev(),
                ino: meta.ino(),
                head: String::new(),
                offset: 0,
                line: 0,
                in_long_line: false,
                passive_of: None,
            };
            if let Some(g) = ghosts.iter().position(|g| same_start(&g.head, &head)) {
                let g = ghosts.swap_remove(g);
                state.source = g.source;
                state.offset = g.offset;
                state.line = g.line;
                state.in_long_line = g.in_long_line;
            } else if let Some(orig) = self
                .tracked
                .iter()
                .find(|t| t.state.passive_of.is_none() && same_start(&t.head, &head))
            {
                state.source = orig.state.source;
                state.passive_of = Some(orig.state.source);
            } else {
                state.source = self.new_source(path);
                if !self.first_poll_done
                    && self.first_poll_start == StartAt::End
                    && self.at_start_up.contains(path)
                {
                    let (offset, line) = end_of_last_line(&file, meta.len()).unwrap_or((0, 0));
                    state.offset = offset;
                    state.line = line;
                }
            }
            self.tracked.push(Tracked {
                state,
                head,
                file,
                gone_idle: 0,
            });
        }
    }

    /// Whether a file not tracked yet must wait for more bytes before it is
    /// taken: an empty file (nothing to read, and nothing yet tells a new log
    /// from a copy), or one whose whole content so far is the start of a file
    /// followed now or before (a copy being written, as copytruncate's copy
    /// is: taken now, it would look like a new log and be read twice).
    fn too_soon_to_tell(&self, head: &[u8], ghosts: &[Ghost]) -> bool {
        let begins = |known: &[u8]| known.len() > head.len() && known.starts_with(head);
        head.is_empty()
            || (head.len() < HEAD_LEN
                && (self.tracked.iter().any(|t| begins(&t.head))
                    || ghosts.iter().any(|g| begins(&g.head))))
    }

    /// Step 3: reads what is new; forgets files that are gone and drained.
    fn read_all(
        &mut self,
        seen: &HashMap<(u64, u64), PathBuf>,
        sink: &mut dyn FnMut(u32, u64, Chunk<'_>),
    ) -> u64 {
        let mut total = 0;
        let mut keep = Vec::with_capacity(self.tracked.len());
        for mut t in std::mem::take(&mut self.tracked) {
            let here = seen.get(&(t.state.dev, t.state.ino));
            if let Some(p) = here {
                if *p != t.state.path {
                    t.state.path = p.clone();
                }
                if let Some(name) = self.sources.get_mut(t.state.source as usize) {
                    if t.state.passive_of.is_none() {
                        *name = p.display().to_string();
                    }
                }
            }
            let read = if t.state.passive_of.is_none() {
                read_new_lines(&mut t, &mut self.buf, self.max_line, sink)
            } else {
                0
            };
            total += read;
            if t.head.len() < HEAD_LEN {
                if let Ok(h) = read_head(&t.file, HEAD_LEN) {
                    if h.starts_with(&t.head) {
                        t.head = h;
                    }
                }
            }
            t.state.head = hex(&t.head);
            t.gone_idle = if here.is_some() || read > 0 {
                0
            } else {
                t.gone_idle + 1
            };
            if t.gone_idle <= GONE_GRACE_POLLS && !(t.gone_idle > 0 && t.state.passive_of.is_some())
            {
                keep.push(t);
            }
        }
        self.tracked = keep;
        total
    }
}

/// Reads the whole lines after `t`'s offset (up to the poll budget) and
/// hands them to `sink` as chunks; the engine splits and numbers them.
/// Returns how many lines were handed out.
fn read_new_lines(
    t: &mut Tracked,
    buf: &mut Vec<u8>,
    max_line: usize,
    sink: &mut dyn FnMut(u32, u64, Chunk<'_>),
) -> u64 {
    let before = t.state.line;
    let mut read_total = 0u64;
    buf.clear();
    loop {
        // `buf` holds no newline here: only the start of a line still being written.
        let start = buf.len();
        buf.resize(start + CHUNK, 0);
        let n = t
            .file
            .read_at(&mut buf[start..], t.state.offset + start as u64)
            .unwrap_or(0);
        buf.truncate(start + n);
        if n == 0 {
            break;
        }
        // The file may have been truncated and written again since this
        // poll checked it (copytruncate races the reader): what was just read
        // would then be the middle of new content. Hand out nothing of it;
        // the next poll sees the truncation, and the copy holds the rest.
        if read_head(&t.file, t.head.len()).ok().as_deref() != Some(&t.head[..]) {
            break;
        }
        read_total += n as u64;
        if let Some(last_nl) = memchr::memrchr(b'\n', &buf[start..]).map(|i| start + i) {
            let mut s = 0;
            if t.state.in_long_line {
                // The end of an over-long line whose start was skipped.
                s = memchr::memchr(b'\n', buf).map_or(0, |i| i + 1);
                sink(t.state.source, t.state.line, Chunk::TooLong);
                t.state.line += 1;
                t.state.in_long_line = false;
            }
            let whole = &buf[s..=last_nl];
            if !whole.is_empty() {
                sink(t.state.source, t.state.line, Chunk::Lines(whole));
                t.state.line += memchr::memchr_iter(b'\n', whole).count() as u64;
            }
            t.state.offset += (last_nl + 1) as u64;
            buf.drain(..=last_nl);
        }
        if buf.len() > max_line + 1 {
            // Over the cap even if its last byte is the `\r` of a `\r\n`: skip
            // the line without holding it; it is counted at its newline.
            t.state.in_long_line = true;
            t.state.offset += buf.len() as u64;
            buf.clear();
        }
        if read_total >= POLL_BUDGET {
            break;
        }
    }
    t.state.line - before
}

/// The offset after the last newline of a file of `size` bytes, and how many lines precede it.
fn end_of_last_line(file: &File, size: u64) -> io::Result<(u64, u64)> {
    let mut buf = vec![0u8; CHUNK];
    let mut pos = 0u64;
    let mut lines = 0u64;
    let mut last_nl_end = 0u64;
    while pos < size {
        let n = file.read_at(&mut buf, pos)?;
        if n == 0 {
            break;
        }
        let chunk = &buf[..n.min((size - pos) as usize)];
        for i in memchr::memchr_iter(b'\n', chunk) {
            lines += 1;
            last_nl_end = pos + i as u64 + 1;
        }
        pos += chunk.len() as u64;
    }
    Ok((last_nl_end, lines))
}

#[cfg(test)]
mod tests;
