//! Cutting a byte stream into line-aligned blocks, so that lines can be
//! parsed on many threads while one thread reads (and decompresses).
//!
//! A [`Cutter`] fills a buffer, hands out everything up to its last newline
//! and carries the rest into the next buffer. It applies the same line rules
//! as the tests' reference line reader (`input::lines`): a line over `max_line` bytes
//! (without its `\n` / `\r\n`) is [`Piece::TooLong`] and never buffered whole;
//! the bytes after the last newline before a read error are [`Piece::Cut`].
//! Buffers come from and go back to a [`Pool`], so a run allocates a handful
//! of them however large its input is.

use super::Chunk;
use crossbeam_channel::{Receiver, Sender};
use std::io::{self, Read};

/// Lines longer than this are malformed (`too long`) and skipped (SPEC §3).
pub(crate) const MAX_LINE: usize = 1024 * 1024;

/// A run of input.
#[derive(Debug)]
pub(crate) enum Piece {
    /// `buf[..len]` holds whole lines, each ending in `\n`, except that the
    /// last piece of an input may end without one.
    Lines { buf: Vec<u8>, len: usize },
    /// One line over the length cap; its bytes were skipped.
    TooLong,
    /// `buf[..len]`: the bytes read after the last newline before a read error.
    Cut { buf: Vec<u8>, len: usize },
}

impl Piece {
    /// The piece as the parser sees it.
    pub(crate) fn chunk(&self) -> Chunk<'_> {
        match self {
            Piece::Lines { buf, len } => Chunk::Lines(&buf[..*len]),
            Piece::TooLong => Chunk::TooLong,
            Piece::Cut { buf, len } => Chunk::Cut(&buf[..*len]),
        }
    }

    /// The whole lines the piece holds, if it holds lines.
    pub(crate) fn lines(&self) -> Option<&[u8]> {
        match self {
            Piece::Lines { buf, len } => Some(&buf[..*len]),
            _ => None,
        }
    }

    /// Gives the piece's buffer back to the pool.
    pub(crate) fn recycle(self, pool: &Pool) {
        match self {
            Piece::Lines { buf, .. } | Piece::Cut { buf, .. } => pool.give(buf),
            Piece::TooLong => {}
        }
    }
}

/// Reusable buffers shared by the threads that cut and the threads that parse.
#[derive(Clone)]
pub(crate) struct Pool {
    give: Sender<Vec<u8>>,
    take: Receiver<Vec<u8>>,
    /// The length of a new buffer.
    size: usize,
}

impl Pool {
    pub(crate) fn new(size: usize) -> Self {
        let (give, take) = crossbeam_channel::unbounded();
        Pool {
            give,
            take,
            size: size.max(1),
        }
    }

    /// A buffer of at least `min` bytes (its contents are whatever it held).
    fn take(&self, min: usize) -> Vec<u8> {
        let mut buf = self
            .take
            .try_recv()
            .unwrap_or_else(|_| vec![0; self.size.max(min)]);
        if buf.len() < min {
            buf.resize(min, 0);
        }
        buf
    }

    fn give(&self, buf: Vec<u8>) {
        // Only fails once every receiver is gone, when the buffer is not needed.
        let _ = self.give.send(buf);
    }
}

/// Splits a reader into [`Piece`]s.
pub(crate) struct Cutter<R> {
    reader: R,
    pool: Pool,
    max_line: usize,
    /// `cur[..filled]` is read and not handed out; it holds no newline
    /// except in data read since the last cut.
    cur: Vec<u8>,
    filled: usize,
    eof: bool,
    error: Option<io::Error>,
    /// Bytes read from `reader` so far.
    offset: u64,
}

impl<R: Read> Cutter<R> {
    pub(crate) fn new(reader: R, pool: Pool, max_line: usize) -> Self {
        let cur = pool.take(0);
        Cutter {
            reader,
            pool,
            max_line,
            cur,
            filled: 0,
            eof: false,
            error: None,
            offset: 0,
        }
    }

    /// Bytes read from the reader so far (decompressed, for compressed input).
    pub(crate) fn offset(&self) -> u64 {
        self.offset
    }

    /// The next piece; `Some(Err)` once, after the pieces read before a read
    /// error; `None` at the end.
    pub(crate) fn next_piece(&mut self) -> Option<io::Result<Piece>> {
        loop {
            self.fill();
            if self.filled == 0 {
                return self.error.take().map(Err);
            }
            if let Some(nl) = memchr::memrchr(b'\n', &self.cur[..self.filled]) {
                return Some(Ok(self.cut_after(nl)));
            }
            // One line fills everything read so far.
            if self.filled > self.max_line + 1 {
                // Over the cap even if its last byte is the `\r` of a `\r\n`.
                self.skip_line();
                return Some(Ok(Piece::TooLong));
            }
            if self.eof {
                let len = std::mem::take(&mut self.filled);
                let buf = std::mem::replace(&mut self.cur, self.pool.take(0));
                return Some(Ok(match self.error {
                    Some(_) => Piece::Cut { buf, len },
                    None => Piece::Lines { buf, len },
                }));
            }
            // A line longer than the buffer but within the cap: make room.
            let grown = (self.cur.len() * 2)
                .min(self.max_line + 2)
                .max(self.filled + 1);
            self.cur.resize(grown, 0);
        }
    }

    /// Hands out `cur[..=nl]` and moves the rest to a fresh buffer.
    fn cut_after(&mut self, nl: usize) -> Piece {
        let rest = self.filled - (nl + 1);
        let mut next = self.pool.take(rest * 2);
        next[..rest].copy_from_slice(&self.cur[nl + 1..self.filled]);
        self.filled = rest;
        let buf = std::mem::replace(&mut self.cur, next);
        Piece::Lines { buf, len: nl + 1 }
    }

    /// Reads until the buffer is full or the input ends.
    fn fill(&mut self) {
        while !self.eof && self.filled < self.cur.len() {
            match self.reader.read(&mut self.cur[self.filled..]) {
                Ok(0) => self.eof = true,
                Ok(n) => {
                    self.filled += n;
                    self.offset += n as u64;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.eof = true;
                    self.error = Some(e);
                }
            }
        }
    }

    /// Drops the bytes of the current line up to and including its newline.
    fn skip_line(&mut self) {
        self.filled = 0;
        loop {
            self.fill();
            if let Some(nl) = memchr::memchr(b'\n', &self.cur[..self.filled]) {
                self.cur.copy_within(nl + 1..self.filled, 0);
                self.filled -= nl + 1;
                return;
            }
            self.filled = 0;
            if self.eof {
                return;
            }
        }
    }
}

/// The end of `line` without a trailing `\r` (of a `\r\n`).
pub(crate) fn trim_cr(line: &[u8]) -> usize {
    match line.last() {
        Some(b'\r') => line.len() - 1,
        _ => line.len(),
    }
}

/// The lines of a [`Chunk::Lines`] buffer, without their `\n`.
pub(crate) fn lines(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut start = 0;
    let mut ends = memchr::memchr_iter(b'\n', data);
    std::iter::from_fn(move || match ends.next() {
        Some(nl) => {
            let line = &data[start..nl];
            start = nl + 1;
            Some(line)
        }
        None if start < data.len() => {
            let line = &data[start..];
            start = data.len();
            Some(line)
        }
        None => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::lines::tests::Chunky;
    use crate::input::lines::{Line, LineReader};
    use proptest::prelude::*;

    /// What a consumer of the pieces sees, line by line, in LineReader's terms.
    fn via_cutter(data: &[u8], chunk: usize, block: usize, max: usize, fail: bool) -> Vec<String> {
        let reader = Chunky {
            data,
            chunk,
            fail_at_end: fail,
        };
        let mut cutter = Cutter::new(reader, Pool::new(block), max);
        let mut out = Vec::new();
        while let Some(piece) = cutter.next_piece() {
            match piece {
                Ok(Piece::Lines { buf, len }) => {
                    for line in lines(&buf[..len]) {
                        let t = &line[..trim_cr(line)];
                        if t.len() > max {
                            out.push("<too long>".to_string());
                        } else {
                            out.push(String::from_utf8_lossy(t).into_owned());
                        }
                    }
                }
                Ok(Piece::TooLong) => out.push("<too long>".to_string()),
                Ok(Piece::Cut { buf, len }) => {
                    out.push(format!("<cut {}>", String::from_utf8_lossy(&buf[..len])))
                }
                Err(_) => out.push("<error>".to_string()),
            }
        }
        out
    }

    fn via_line_reader(data: &[u8], chunk: usize, max: usize, fail: bool) -> Vec<String> {
        let reader = Chunky {
            data,
            chunk,
            fail_at_end: fail,
        };
        let mut lines = LineReader::with_max_len(reader, max);
        let mut out = Vec::new();
        while let Some(item) = lines.next_line() {
            out.push(match item {
                Ok((_, Line::Text(t))) => String::from_utf8_lossy(t).into_owned(),
                Ok((_, Line::TooLong)) => "<too long>".to_string(),
                Ok((_, Line::Cut(t))) => format!("<cut {}>", String::from_utf8_lossy(t)),
                Err(_) => "<error>".to_string(),
            });
        }
        out
    }

    #[test]
    fn cuts_at_newlines_and_keeps_a_last_line_without_one() {
        let out = via_cutter(b"a\nbb\r\n\nccc", 3, 4, 100, false);
        assert_eq!(out, ["a", "bb", "", "ccc"]);
    }

    #[test]
    fn a_line_longer_than_a_block_is_whole() {
        let out = via_cutter(b"x\n0123456789abcdef\ny\n", 5, 4, 100, false);
        assert_eq!(out, ["x", "0123456789abcdef", "y"]);
    }

    #[test]
    fn over_the_cap_is_too_long_and_the_next_line_survives() {
        let out = via_cutter(b"a\n0123456789\r\nb\n", 3, 4, 8, false);
        assert_eq!(out, ["a", "<too long>", "b"]);
        // Exactly at the cap, with \r\n: kept.
        let out = via_cutter(b"01234567\r\nb\n", 3, 4, 8, false);
        assert_eq!(out, ["01234567", "b"]);
    }

    #[test]
    fn an_error_cuts_the_last_line() {
        let out = via_cutter(b"a\nbc", 1, 4, 100, true);
        assert_eq!(out, ["a", "<cut bc>", "<error>"]);
    }

    proptest! {
        /// Whatever the block, read and line sizes, the pieces hold exactly
        /// the lines LineReader gives.
        #[test]
        fn agrees_with_the_line_reader(
            lines in proptest::collection::vec("[a-c\r]{0,12}", 0..30),
            final_newline: bool,
            chunk in 1usize..20,
            block in 1usize..24,
            max in 1usize..10,
            fail: bool,
        ) {
            let mut data = lines.join("\n").into_bytes();
            if final_newline && !data.is_empty() {
                data.push(b'\n');
            }
            prop_assert_eq!(
                via_cutter(&data, chunk, block, max, fail),
                via_line_reader(&data, chunk, max, fail)
            );
        }
    }
}
