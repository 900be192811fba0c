//! The fast path of JSON-lines reading: a hand-written scanner that checks
//! a line against the JSON grammar and keeps the wanted values, for the
//! plain lines that make up nearly every log.
//!
//! It answers [`Scan::Fallback`] whenever a line holds anything it does not
//! decide by itself — a lone surrogate escape, an escaped key, a number
//! out of a float's range, a body object that also holds wanted keys, a
//! syntax error, deep nesting — and the line then goes through the serde
//! reader ([`super::stream`]), which decides. So it only has to be right on
//! what it accepts, and the property test in `json/tests.rs` holds it to the
//! `Value` route.

use super::as_str_value;
use super::stream::{Cap, Caps, KeyTree, Node};
use std::borrow::Cow;

/// What the scanner made of a line.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Scan {
    /// A JSON object; `caps` holds its wanted values.
    Done,
    /// Not decided here: read the line with serde.
    Fallback,
}

/// Appends the text of a raw JSON string that [`Scanner::scan_string`]
/// accepted (so only simple escapes) to `out`: [`unescape_json`], which
/// finds no `\u` in it.
pub(crate) fn unescape(raw: &[u8], out: &mut Vec<u8>) {
    unescape_json(raw, out);
}

/// Appends the text of a raw JSON string that [`Scanner::scan_string`]
/// accepted to `out`, `\u` escapes included (the scanner only accepts them
/// as serde_json does: four hex digits, surrogates in pairs).
pub(crate) fn unescape_json(raw: &[u8], out: &mut Vec<u8>) {
    let mut i = 0;
    while let Some(off) = memchr::memchr(b'\\', &raw[i..]) {
        out.extend_from_slice(&raw[i..i + off]);
        let at = i + off;
        if raw.get(at + 1) == Some(&b'u') {
            if let Some((c, len)) = unicode_escape(&raw[at..]) {
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                i = at + len;
                continue;
            }
        }
        out.push(match raw.get(at + 1) {
            Some(b'b') => 0x08,
            Some(b'f') => 0x0c,
            Some(b'n') => b'\n',
            Some(b'r') => b'\r',
            Some(b't') => b'\t',
            Some(c) => *c,
            None => b'\\',
        });
        i = at + 2;
    }
    out.extend_from_slice(&raw[i.min(raw.len())..]);
}

/// The four hex digits after `\u` at the start of `raw`.
fn hex4(raw: &[u8]) -> Option<u32> {
    let digits = raw.get(2..6)?;
    digits
        .iter()
        .try_fold(0u32, |n, &d| Some(n * 16 + char::from(d).to_digit(16)?))
}

/// The character a `\uXXXX` escape (or a `\uD8xx\uDCxx` surrogate pair)
/// at the start of `raw` stands for, and the escape's length. None where
/// serde_json fails the string: a bad digit, a lone or reversed surrogate.
fn unicode_escape(raw: &[u8]) -> Option<(char, usize)> {
    let first = hex4(raw)?;
    match first {
        0xD800..=0xDBFF => {
            let rest = raw.get(6..)?;
            if !rest.starts_with(b"\\u") {
                return None;
            }
            let second = hex4(rest)?;
            if !(0xDC00..=0xDFFF).contains(&second) {
                return None;
            }
            let c = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00);
            char::from_u32(c).map(|c| (c, 12))
        }
        0xDC00..=0xDFFF => None,
        _ => char::from_u32(first).map(|c| (c, 6)),
    }
}

/// A short key as [`Node::child_word`] takes it: the sixteen bytes from
/// the key on, as one little-endian number, with the `len` of the key kept.
#[inline]
fn key_word(bytes: [u8; 16], len: usize) -> u128 {
    // The masks by length: a load, where a shift of a u128 is a branch.
    static LOW_BYTES: [u128; 16] = {
        let mut masks = [0u128; 16];
        let mut n = 1;
        while n < 16 {
            masks[n] = (1u128 << (8 * n)) - 1;
            n += 1;
        }
        masks
    };
    u128::from_le_bytes(bytes) & LOW_BYTES.get(len).copied().unwrap_or(0)
}

/// Nesting the scanner follows before leaving a line to serde (whose own limit is 128).
const MAX_DEPTH: usize = 64;

/// The high bit of each byte of `word` (little-endian) that is a quote, a
/// backslash or a control byte. Only the lowest one is sure (borrows make
/// false ones above a true one, never below), which is the one wanted.
#[cfg(any(test, not(target_arch = "x86_64")))]
fn word_stops(word: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let zero_in = |v: u64| v.wrapping_sub(ONES) & !v & HIGHS;
    (word.wrapping_sub(0x20 * ONES)
        | zero_in(word ^ (u64::from(b'"') * ONES))
        | zero_in(word ^ (u64::from(b'\\') * ONES)))
        & !word
        & HIGHS
}

/// Bytes that end a plain run inside a string: the quote, a backslash, controls.
static STOPS: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = true;
        i += 1;
    }
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t
};

/// Scans `text` (one line, already valid UTF-8) into `caps`.
pub(crate) fn read<'a>(plan: &KeyTree, text: &'a str, caps: &mut Caps<'a>) -> Scan {
    let mut s = Scanner::new(text);
    s.ws();
    if s.peek() != Some(b'{') {
        return Scan::Fallback;
    }
    if s.object(Some((plan.top(), caps))).is_none() {
        return Scan::Fallback;
    }
    s.ws();
    if s.pos != s.b.len() {
        return Scan::Fallback;
    }
    Scan::Done
}

/// The scanner: also the fast path of the error body reader
/// (`parse::body`), which walks a body object with its steps.
pub(crate) struct Scanner<'a> {
    text: &'a str,
    b: &'a [u8],
    pos: usize,
    depth: usize,
}

/// `None` means "leave this line to serde".
type Step<T = ()> = Option<T>;

impl<'a> Scanner<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        Scanner {
            text,
            b: text.as_bytes(),
            pos: 0,
            depth: 0,
        }
    }

    /// Whether the whole text has been read.
    pub(crate) fn at_end(&self) -> bool {
        self.pos == self.b.len()
    }

    pub(crate) fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    pub(crate) fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    pub(crate) fn eat(&mut self, byte: u8) -> Step {
        (self.peek() == Some(byte)).then(|| self.pos += 1)
    }

    /// An object at `pos`; with a node, keeps the values of its wanted children.
    fn object(&mut self, mut want: Option<(&Node, &mut Caps<'a>)>) -> Step {
        self.eat(b'{')?;
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return None;
        }
        self.ws();
        if self.eat(b'}').is_some() {
            self.depth -= 1;
            return Some(());
        }
        loop {
            let (key, bytes) = match self.short_key() {
                Some((key, bytes)) => (key, Some(bytes)),
                None => (self.any_key()?, None),
            };
            match &mut want {
                Some((node, caps)) => match bytes.map_or_else(
                    || node.child(key),
                    |bytes| node.child_word(key_word(bytes, key.len()), key.len()),
                ) {
                    Some(child) => {
                        // A repeated key replaces everything the earlier one gave.
                        caps.forget(child.id..child.end);
                        let cap = self.wanted(child, caps)?;
                        caps.set(child.id, cap);
                    }
                    None => self.skip()?,
                },
                None => self.skip()?,
            }
            self.ws();
            match self.peek()? {
                b',' => self.pos += 1,
                b'}' => {
                    self.pos += 1;
                    self.depth -= 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// The value of a wanted key, read as [`super::stream`] reads it.
    fn wanted(&mut self, node: &Node, caps: &mut Caps<'a>) -> Step<Cap<'a>> {
        match self.peek()? {
            // A body is remembered by its raw text (see `RecentBodies`).
            b'"' if node.is_only_body() => {
                let (start, end, _) = self.scan_string()?;
                Some(Cap::BodyRaw(&self.text[start..end]))
            }
            b'"' => Some(Cap::Str(self.string()?)),
            // A body object is checked here and read from its raw text
            // (`RecentBodies` again), not left with the whole line to serde:
            // production bodies are objects more often than strings.
            b'{' if node.is_body() && node.is_leaf() => {
                let start = self.pos;
                self.object(None)?;
                Some(Cap::BodyObj(&self.text[start..self.pos]))
            }
            b'{' if node.is_body() => None,
            b'{' => {
                self.object(Some((node, caps)))?;
                Some(Cap::Obj(None))
            }
            b'[' => Some(Cap::Arr(self.first_str()?)),
            b'n' => self.literal(b"null").map(|()| Cap::Null),
            b't' => self.literal(b"true").map(|()| Cap::Bool),
            b'f' => self.literal(b"false").map(|()| Cap::Bool),
            _ => {
                if let Some(n) = self.plain_integer() {
                    return Some(Cap::Num(n.into()));
                }
                let text = self.number()?;
                // Plain non-negative integers as serde_json reads them (a u64;
                // 19 digits always fit); anything else through serde_json itself.
                if text.len() <= 19 && text.bytes().all(|b| b.is_ascii_digit()) {
                    return text.parse::<u64>().ok().map(|n| Cap::Num(n.into()));
                }
                serde_json::from_str::<serde_json::Number>(text)
                    .ok()
                    .map(Cap::Num)
            }
        }
    }

    /// An array, keeping what `as_str` reads from it: its first element as a
    /// string (an array's first, recursively).
    fn first_str(&mut self) -> Step<Option<Cow<'a, str>>> {
        self.eat(b'[')?;
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return None;
        }
        self.ws();
        let mut first = None;
        if self.eat(b']').is_none() {
            let mut index = 0;
            loop {
                self.ws();
                if index == 0 {
                    first = match self.peek()? {
                        b'"' => Some(self.string()?).filter(|s| as_str_value(s)),
                        b'[' => self.first_str()?,
                        _ => {
                            self.skip()?;
                            None
                        }
                    };
                } else {
                    self.skip()?;
                }
                index += 1;
                self.ws();
                match self.peek()? {
                    b',' => self.pos += 1,
                    b']' => {
                        self.pos += 1;
                        break;
                    }
                    _ => return None,
                }
            }
        }
        self.depth -= 1;
        Some(first)
    }

    /// Checks and passes over any value.
    pub(crate) fn skip(&mut self) -> Step {
        match self.peek()? {
            // Checked, not decoded: `scan_string` accepts only escapes
            // that decode to valid text.
            b'"' => self.scan_string().map(drop),
            b'{' => self.object(None),
            b'[' => self.first_str().map(drop),
            b'n' => self.literal(b"null"),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            _ => self.number().map(drop),
        }
    }

    pub(crate) fn literal(&mut self, word: &[u8]) -> Step {
        self.b[self.pos..]
            .starts_with(word)
            .then(|| self.pos += word.len())
    }

    /// A plain non-negative integer of at most 19 digits (so it fits a
    /// u64) at `pos`, read as it is scanned: statuses and byte counts.
    /// `None`, `pos` unmoved, for any other number, left to
    /// [`Scanner::number`].
    #[inline]
    fn plain_integer(&mut self) -> Option<u64> {
        let start = self.pos;
        let mut end = start;
        let mut n: u64 = 0;
        while let Some(&d) = self.b.get(end).filter(|b| b.is_ascii_digit()) {
            if end - start == 19 {
                return None;
            }
            n = n * 10 + u64::from(d - b'0');
            end += 1;
        }
        let len = end - start;
        if len == 0
            || (len > 1 && self.b[start] == b'0')
            || matches!(self.b.get(end), Some(b'.' | b'e' | b'E'))
        {
            return None;
        }
        self.pos = end;
        Some(n)
    }

    /// A number's text. Very long numbers go to serde; serde_json says
    /// whether one with an exponent is in range.
    fn number(&mut self) -> Step<&'a str> {
        let start = self.pos;
        self.eat(b'-');
        let digits = |s: &mut Self| {
            let from = s.pos;
            while s.peek().is_some_and(|b| b.is_ascii_digit()) {
                s.pos += 1;
            }
            s.pos - from
        };
        let int_start = self.pos;
        let int = digits(self);
        if int == 0 || (int > 1 && self.b[int_start] == b'0') {
            return None;
        }
        if self.eat(b'.').is_some() && digits(self) == 0 {
            return None;
        }
        let exponent = matches!(self.peek(), Some(b'e' | b'E'));
        if exponent {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if digits(self) == 0 {
                return None;
            }
        }
        if self.pos - start > 300 {
            return None;
        }
        let text = &self.text[start..self.pos];
        // An exponent can put a number out of a float's range (`1e400`),
        // which fails the whole text in serde_json: ask it.
        if exponent && serde_json::from_str::<serde_json::Number>(text).is_err() {
            return None;
        }
        Some(text)
    }

    /// A string, borrowed when it has no escapes, else unescaped.
    pub(crate) fn string(&mut self) -> Step<Cow<'a, str>> {
        let (start, end, escaped) = self.scan_string()?;
        let raw = &self.text[start..end];
        if !escaped {
            return Some(Cow::Borrowed(raw));
        }
        let mut out = Vec::with_capacity(raw.len());
        unescape_json(raw.as_bytes(), &mut out);
        String::from_utf8(out).ok().map(Cow::Owned)
    }

    /// Checks a string at `pos` and passes over it: the range of its raw
    /// text, and whether it holds escapes (`\u` ones as serde_json takes
    /// them; anything else odd goes to serde).
    #[inline]
    fn scan_string(&mut self) -> Step<(usize, usize, bool)> {
        // The first sixteen bytes in one SIMD step (see `short_key`): a
        // short plain string ends in them; a longer one goes on after them.
        let Some((stops, _)) = self.first_step() else {
            return self.any_string();
        };
        let start = self.pos + 1;
        if stops == 0 {
            self.pos = start + 16;
            return self.string_rest(start);
        }
        let close = start + stops.trailing_zeros() as usize;
        if self.b[close] == b'"' {
            self.pos = close + 1;
            return Some((start, close, false));
        }
        self.pos = close;
        self.string_rest(start)
    }

    /// With a quote at `pos` and sixteen bytes after it: the mask of the
    /// stops ([`stops16`]) among those bytes, and the bytes.
    #[inline]
    fn first_step(&self) -> Option<(u32, [u8; 16])> {
        let chunk = self.b.get(self.pos..self.pos + 17)?;
        if chunk[0] != b'"' {
            return None;
        }
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&chunk[1..]);
        Some((stops16(bytes), bytes))
    }

    /// Where the plain string of under sixteen bytes at `pos` closes: the
    /// first quote, backslash or control byte after its opening quote is a
    /// quote; and the sixteen bytes after the opening quote. `None` for any
    /// other string, or none at all.
    #[inline]
    fn short_close(&self) -> Option<(usize, [u8; 16])> {
        let (stops, bytes) = self.first_step()?;
        let close = self.pos + 1 + stops.trailing_zeros() as usize;
        (stops != 0 && self.b[close] == b'"').then_some((close, bytes))
    }

    /// [`Scanner::scan_string`] for any string, kept out of line.
    #[inline(never)]
    fn any_string(&mut self) -> Step<(usize, usize, bool)> {
        self.eat(b'"')?;
        let start = self.pos;
        self.string_rest(start)
    }

    /// The rest of a string whose text began at `start`, from `pos` (past
    /// plain bytes only).
    #[inline(never)]
    fn string_rest(&mut self, start: usize) -> Step<(usize, usize, bool)> {
        let mut escaped = false;
        loop {
            self.run();
            match self.peek()? {
                b'"' => {
                    self.pos += 1;
                    return Some((start, self.pos - 1, escaped));
                }
                b'\\' => {
                    match self.b.get(self.pos + 1)? {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => {
                            self.pos += 2;
                        }
                        b'u' => {
                            let (_, len) = unicode_escape(&self.b[self.pos..])?;
                            self.pos += len;
                        }
                        _ => return None,
                    }
                    escaped = true;
                }
                _ => return None,
            }
        }
    }

    /// A member's key and its colon, with the whitespace around them; the
    /// scanner is left at the value.
    #[inline]
    pub(crate) fn key(&mut self) -> Step<&'a str> {
        match self.short_key() {
            Some((key, _)) => Some(key),
            None => self.any_key(),
        }
    }

    /// [`Scanner::key`] for any key: kept out of line, so that the short
    /// keys' path saves no registers for it.
    #[inline(never)]
    fn any_key(&mut self) -> Step<&'a str> {
        self.ws();
        let key = self.plain_string()?;
        self.ws();
        self.eat(b':')?;
        self.ws();
        Some(key)
    }

    /// The shape nearly every key of a log line has, read in one SIMD step:
    /// `"name":` right at `pos`, the name plain and under sixteen bytes.
    /// Anything else (whitespace, an escape, a longer name, the text's
    /// last bytes) is left to the general path, which reads it the same.
    ///
    /// Also gives the sixteen bytes from the name on, for [`key_word`].
    #[inline]
    fn short_key(&mut self) -> Option<(&'a str, [u8; 16])> {
        let (close, bytes) = self.short_close()?;
        if self.b.get(close + 1) != Some(&b':') {
            return None;
        }
        let key = self.text.get(self.pos + 1..close)?;
        self.pos = close + 2;
        self.ws();
        Some((key, bytes))
    }

    /// A key: only plain strings (an escaped key goes to serde).
    fn plain_string(&mut self) -> Step<&'a str> {
        match self.string()? {
            Cow::Borrowed(s) => Some(s),
            Cow::Owned(_) => None,
        }
    }

    /// Passes over string bytes up to a quote, backslash or control byte:
    /// sixteen at a time ([`stops16`]: one SIMD step, whose mask says where
    /// the first stop is), the last few bytes of the text one by one.
    fn run(&mut self) {
        while let Some(chunk) = self.b.get(self.pos..self.pos + 16) {
            let mut bytes = [0u8; 16];
            bytes.copy_from_slice(chunk);
            let stops = stops16(bytes);
            if stops != 0 {
                self.pos += stops.trailing_zeros() as usize;
                return;
            }
            self.pos += 16;
        }
        while self.pos < self.b.len() && !STOPS[usize::from(self.b[self.pos])] {
            self.pos += 1;
        }
    }
}

/// A mask of the [`STOPS`] among sixteen bytes: bit `i` for byte `i`. On
/// x86_64 one SSE2 step (compares, then a movemask; SSE2 is part of every
/// x86_64 target, and safe_arch offers it as safe functions): the OR of the
/// compares, then a search a word at a time, had cost 40 instructions more
/// a string, and JSON lines are mostly short strings.
#[cfg(target_arch = "x86_64")]
#[inline]
fn stops16(bytes: [u8; 16]) -> u32 {
    use safe_arch::{
        bitor_m128i, cmp_eq_mask_i8_m128i, load_unaligned_m128i, min_u8_m128i, move_mask_i8_m128i,
        set_splat_i8_m128i,
    };
    let v = load_unaligned_m128i(&bytes);
    let quote = cmp_eq_mask_i8_m128i(v, set_splat_i8_m128i(b'"' as i8));
    let backslash = cmp_eq_mask_i8_m128i(v, set_splat_i8_m128i(b'\\' as i8));
    // Below 0x20, unsigned: the byte is its own minimum with 0x1F.
    let control = cmp_eq_mask_i8_m128i(min_u8_m128i(v, set_splat_i8_m128i(0x1F)), v);
    let any = bitor_m128i(bitor_m128i(quote, backslash), control);
    // The movemask's sixteen bits are the whole result.
    move_mask_i8_m128i(any) as u32
}

/// [`stops16`] elsewhere: two words, each by [`word_stops`].
#[cfg(not(target_arch = "x86_64"))]
#[inline]
fn stops16(bytes: [u8; 16]) -> u32 {
    let mut mask = 0;
    for (half, word) in bytes.chunks_exact(8).enumerate() {
        let mut w = [0u8; 8];
        w.copy_from_slice(word);
        let mut found = word_stops(u64::from_le_bytes(w));
        // `word_stops` is exact up to its first stop only: take that one.
        if found != 0 {
            found &= found.wrapping_neg();
            mask |= 1u32 << (half * 8 + (found.trailing_zeros() / 8) as usize);
            return mask;
        }
    }
    mask
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The lowest stop a word's bits give is the first stop byte.
        #[test]
        fn stops16_finds_the_first_stop(bytes in proptest::array::uniform16(proptest::sample::select(vec![0u8, 0x1f, 0x20, b'"', b'\\', b'a', 0x7f, 0x80, 0xc3, 0xff, 0x21, 0x5b, 0x5d]))) {
            let want = bytes.iter().position(|b| STOPS[usize::from(*b)]);
            let mask = stops16(bytes);
            let got = (mask != 0).then(|| mask.trailing_zeros() as usize);
            proptest::prop_assert_eq!(got, want);
        }

        /// The one-step paths for short strings and keys read what the
        /// general ones read, at every length around sixteen bytes and at
        /// the end of the text.
        #[test]
        fn short_strings_and_keys_read_as_any(text in "[\"a\\\\:é\t ]{0,3}\"[a\"\\\\:é\t\u{1} nu]{0,20}[\" :]{0,2}") {
            let mut short = Scanner::new(&text);
            let mut any = Scanner::new(&text);
            let got = short.scan_string();
            proptest::prop_assert_eq!(got, any.any_string(), "{:?}", text);
            proptest::prop_assert_eq!(short.pos, any.pos);
            let (mut short, mut any) = (Scanner::new(&text), Scanner::new(&text));
            proptest::prop_assert_eq!(short.key(), any.any_key(), "{:?}", text);
            proptest::prop_assert_eq!(short.pos, any.pos);
            // A short key's word is its bytes, zeros above them.
            if let Some((key, bytes)) = Scanner::new(&text).short_key() {
                let mut padded = [0u8; 16];
                padded[..key.len()].copy_from_slice(key.as_bytes());
                proptest::prop_assert_eq!(key_word(bytes, key.len()), u128::from_le_bytes(padded));
            }
        }

        /// A plain integer reads as the general number path reads it.
        #[test]
        fn plain_integers_read_as_numbers(text in "-?[0-9]{0,22}[.eE]?[0-9]{0,2}[,}x]?") {
            let mut fast = Scanner::new(&text);
            if let Some(n) = fast.plain_integer() {
                let mut general = Scanner::new(&text);
                let number = general.number();
                proptest::prop_assert_eq!(number.map(|t| t.parse::<u64>().ok()), Some(Some(n)), "{:?}", text);
                proptest::prop_assert_eq!(fast.pos, general.pos);
            } else {
                proptest::prop_assert_eq!(fast.pos, 0);
            }
        }

        #[test]
        fn word_stops_finds_the_first_stop(bytes in proptest::array::uniform8(proptest::sample::select(vec![0u8, 0x1f, 0x20, b'"', b'\\', b'a', 0x7f, 0x80, 0xc3, 0xff, 0x21, 0x5b, 0x5d]))) {
            let want = bytes.iter().position(|b| STOPS[usize::from(*b)]);
            let found = word_stops(u64::from_le_bytes(bytes));
            let got = (found != 0).then(|| (found.trailing_zeros() / 8) as usize);
            proptest::prop_assert_eq!(got, want);
        }
    }
}
