//! The reference line reader, for tests only: a byte stream split line by
//! line with the SPEC §3 rules (`\n` or `\r\n`, a length cap that never
//! buffers a whole over-long line, the bytes before a read error handed out
//! as a cut line). The engine's block cutter ([`crate::engine::blocks`]) and
//! the live follower are held to it by property tests.

use std::io::{self, Read};

/// What the reader found at the next line.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Line<'a> {
    /// A whole line without its `\n` or `\r\n`.
    Text(&'a [u8]),
    /// A line over the cap; its bytes were skipped.
    TooLong,
    /// The bytes read before an input error, with no newline after them.
    Cut(&'a [u8]),
}

/// Reads lines from `R`, numbering them from 1 (blank lines are numbered too).
pub(crate) struct LineReader<R> {
    inner: R,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// Where to resume the newline search in `buf[start..end]`.
    scanned: usize,
    line_no: u64,
    max_len: usize,
    eof: bool,
    error: Option<io::Error>,
    /// Decompressed bytes consumed so far, for error reports.
    offset: u64,
}

impl<R: Read> LineReader<R> {
    pub(crate) fn with_max_len(inner: R, max_len: usize) -> Self {
        LineReader {
            inner,
            buf: vec![0; 256 * 1024],
            start: 0,
            end: 0,
            scanned: 0,
            line_no: 0,
            max_len,
            eof: false,
            error: None,
            offset: 0,
        }
    }

    /// The next line and its number; `Some(Err)` once, after the bytes before
    /// a read error were handed out; `None` at the end.
    pub(crate) fn next_line(&mut self) -> Option<io::Result<(u64, Line<'_>)>> {
        loop {
            if let Some(i) = memchr::memchr(b'\n', &self.buf[self.scanned..self.end]) {
                let nl = self.scanned + i;
                let (s, e) = (self.start, trim_cr(&self.buf, self.start, nl));
                self.consume_to(nl + 1);
                self.line_no += 1;
                if e - s > self.max_len {
                    return Some(Ok((self.line_no, Line::TooLong)));
                }
                return Some(Ok((self.line_no, Line::Text(&self.buf[s..e]))));
            }
            self.scanned = self.end;
            // Over the cap even if its last byte turns out to be the `\r` of a `\r\n`.
            if self.end - self.start > self.max_len + 1 {
                self.line_no += 1;
                if let Err(e) = self.skip_rest_of_line() {
                    // The over-long line still counts; the error comes next.
                    self.eof = true;
                    self.error = Some(e);
                }
                return Some(Ok((self.line_no, Line::TooLong)));
            }
            if self.eof {
                if let Some(err) = self.error.take() {
                    if self.start < self.end {
                        // Hand out the bytes before the damage first; the error comes next.
                        self.error = Some(err);
                        let (s, e) = (self.start, self.end);
                        self.consume_to(e);
                        self.line_no += 1;
                        return Some(Ok((self.line_no, Line::Cut(&self.buf[s..e]))));
                    }
                    return Some(Err(err));
                }
                if self.start < self.end {
                    // The last line of a file counts even without a final newline.
                    let (s, e) = (self.start, trim_cr(&self.buf, self.start, self.end));
                    self.consume_to(self.end);
                    self.line_no += 1;
                    if e - s > self.max_len {
                        return Some(Ok((self.line_no, Line::TooLong)));
                    }
                    return Some(Ok((self.line_no, Line::Text(&self.buf[s..e]))));
                }
                return None;
            }
            self.fill();
        }
    }

    fn consume_to(&mut self, pos: usize) {
        self.offset += (pos - self.start) as u64;
        self.start = pos;
        self.scanned = pos;
    }

    /// Moves the unread bytes to the front and reads more after them.
    fn fill(&mut self) {
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.scanned -= self.start;
            self.start = 0;
        }
        if self.end == self.buf.len() {
            let grown = (self.buf.len() * 2).min(self.max_len + 2).max(self.end + 1);
            self.buf.resize(grown, 0);
        }
        loop {
            match self.inner.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    return;
                }
                Ok(n) => {
                    self.end += n;
                    return;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.eof = true;
                    self.error = Some(e);
                    return;
                }
            }
        }
    }

    /// Drops bytes up to and including the next newline (or the end).
    fn skip_rest_of_line(&mut self) -> io::Result<()> {
        loop {
            if let Some(i) = memchr::memchr(b'\n', &self.buf[self.scanned..self.end]) {
                self.consume_to(self.scanned + i + 1);
                return Ok(());
            }
            let end = self.end;
            self.consume_to(end);
            if self.eof {
                return match self.error.take() {
                    Some(e) => Err(e),
                    None => Ok(()),
                };
            }
            self.fill();
        }
    }
}

fn trim_cr(buf: &[u8], start: usize, end: usize) -> usize {
    if end > start && buf[end - 1] == b'\r' {
        end - 1
    } else {
        end
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A reader that hands out at most `chunk` bytes a call, then fails if asked to.
    pub(crate) struct Chunky<'a> {
        pub(crate) data: &'a [u8],
        pub(crate) chunk: usize,
        pub(crate) fail_at_end: bool,
    }

    impl Read for Chunky<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.data.is_empty() {
                return if self.fail_at_end {
                    Err(io::Error::new(io::ErrorKind::UnexpectedEof, "corrupt"))
                } else {
                    Ok(0)
                };
            }
            let n = self.chunk.min(buf.len()).min(self.data.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    /// Every line of `data` read in reads of `chunk` bytes, as `"number:text"`.
    pub(crate) fn collect(data: &[u8], chunk: usize, max: usize, fail: bool) -> Vec<String> {
        let mut r = LineReader::with_max_len(
            Chunky {
                data,
                chunk,
                fail_at_end: fail,
            },
            max,
        );
        let mut out = Vec::new();
        while let Some(item) = r.next_line() {
            out.push(match item {
                Ok((n, Line::Text(t))) => format!("{n}:{}", String::from_utf8_lossy(t)),
                Ok((n, Line::TooLong)) => format!("{n}:TOO LONG"),
                Ok((n, Line::Cut(t))) => format!("{n}:CUT {}", String::from_utf8_lossy(t)),
                Err(e) => format!("ERR {e}"),
            });
        }
        out
    }

    #[test]
    fn crlf_blank_lines_and_no_final_newline() {
        for chunk in [1, 2, 3, 7, 1000] {
            assert_eq!(
                collect(b"a\r\n\nbb\nccc", chunk, 100, false),
                ["1:a", "2:", "3:bb", "4:ccc"],
                "chunk {chunk}"
            );
        }
    }

    #[test]
    fn over_long_lines_are_skipped_not_buffered() {
        for chunk in [1, 3, 64] {
            let data = b"ok\n0123456789abcdef\nnext\n0123456789abcdefXX";
            assert_eq!(
                collect(data, chunk, 8, false),
                ["1:ok", "2:TOO LONG", "3:next", "4:TOO LONG"],
                "chunk {chunk}"
            );
        }
        assert_eq!(collect(b"12345678\n", 2, 8, false), ["1:12345678"]);
    }

    #[test]
    fn error_after_partial_line_hands_out_the_cut_bytes_first() {
        assert_eq!(
            collect(b"one\ntw", 2, 100, true),
            ["1:one", "2:CUT tw", "ERR corrupt"]
        );
        assert_eq!(collect(b"one\n", 2, 100, true), ["1:one", "ERR corrupt"]);
    }

    proptest::proptest! {
        #[test]
        fn lines_equal_a_naive_split(
            data in proptest::collection::vec(proptest::sample::select(vec![b'a', b'b', b'\n', b'\r']), 0..200),
            chunk in 1usize..20,
        ) {
            let mut want = Vec::new();
            let mut parts: Vec<&[u8]> = data.split(|b| *b == b'\n').collect();
            if data.last() == Some(&b'\n') || data.is_empty() { parts.pop(); }
            for (i, p) in parts.iter().enumerate() {
                let p = p.strip_suffix(b"\r").unwrap_or(p);
                want.push(format!("{}:{}", i + 1, String::from_utf8_lossy(p)));
            }
            proptest::prop_assert_eq!(collect(&data, chunk, 1000, false), want);
        }
    }
}
