//! Reading a JSON-lines event in one pass, without building a
//! `serde_json::Value`.
//!
//! The [`FieldMap`] is compiled once into a tree of the keys that matter
//! ([`KeyTree`]). [`KeyTree::read`] first tries the hand-written scanner
//! (`scan.rs`); for the lines it leaves, a serde visitor walks the line: it keeps the values of wanted
//! keys (strings borrowed from the line when unescaped), descends only into
//! objects that hold wanted keys, and skips the rest while still checking it
//! as strictly as `Value` would. [`KeyTree::resolve`] then applies the same
//! rules as the `Value` route in `json/reference.rs` — literal key before dotted path,
//! first name present and readable wins, the last of duplicate keys counts —
//! and a property test holds the two to the same results.

use super::{as_str_value, number_as_u64, path_of, DurationUnit, FieldMap};
use crate::event::Body;
use crate::parse::body;
use crate::parse::time::{from_epoch_number, parse_any};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::fmt;

/// What an event field reads from a value.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Time,
    Status,
    Method,
    Path,
    Client,
    UserAgent,
    Bytes,
    Body,
    Duration(DurationUnit),
    RequestId,
}

/// One key of the tree. Nodes are numbered depth first, so a node's
/// descendants are the ids `id + 1 .. end`.
#[derive(Debug, Default)]
pub(crate) struct Node {
    pub(crate) id: usize,
    pub(crate) end: usize,
    /// Read as an error body when it is an object.
    body: bool,
    /// Also read by a field other than the body.
    other: bool,
    children: Children,
}

/// A node's children, found by key length, then the key's bytes as numbers:
/// a handful of keys per length, so cheaper than hashing every key of a line.
#[derive(Debug, Default)]
struct Children {
    entries: Vec<(String, Node)>,
    /// Keys under [`SHORT`] bytes, per length: the key as one number
    /// ([`word`]) and its entry. The scanner has a short key's bytes in a
    /// register already ([`Node::child_word`]), so one comparison tells it.
    short: Vec<Vec<(u128, usize)>>,
    /// Longer keys, per length: their first 8 bytes as one number, and their entry.
    long: Vec<Vec<(u64, usize)>>,
}

/// Keys shorter than this are looked up as one number.
const SHORT: usize = 16;

/// A key under [`SHORT`] bytes as one little-endian number, zeros above it:
/// among keys of one length, equal words mean equal keys.
fn word(key: &[u8]) -> u128 {
    let mut bytes = [0u8; SHORT];
    for (b, k) in bytes.iter_mut().zip(key) {
        *b = *k;
    }
    u128::from_le_bytes(bytes)
}

impl Children {
    fn get(&self, key: &str) -> Option<&Node> {
        let k = key.as_bytes();
        if k.len() < SHORT {
            return self.get_word(word(k), k.len());
        }
        let head = k.first_chunk::<8>().map(|h| u64::from_le_bytes(*h))?;
        self.long.get(k.len())?.iter().find_map(|&(h, i)| {
            let (name, node) = self.entries.get(i)?;
            (h == head && name.as_bytes().get(8..) == k.get(8..)).then_some(node)
        })
    }

    /// The child whose key is `len` bytes long and reads as `word`.
    #[inline]
    fn get_word(&self, word: u128, len: usize) -> Option<&Node> {
        let &(_, i) = self.short.get(len)?.iter().find(|(w, _)| *w == word)?;
        self.entries.get(i).map(|(_, node)| node)
    }

    fn get_or_insert(&mut self, key: &str) -> &mut Node {
        let i = match self.entries.iter().position(|(k, _)| k == key) {
            Some(i) => i,
            None => {
                self.entries.push((key.to_owned(), Node::default()));
                let i = self.entries.len() - 1;
                let k = key.as_bytes();
                if k.len() < SHORT {
                    if self.short.len() <= k.len() {
                        self.short.resize(k.len() + 1, Vec::new());
                    }
                    self.short[k.len()].push((word(k), i));
                } else {
                    if self.long.len() <= k.len() {
                        self.long.resize(k.len() + 1, Vec::new());
                    }
                    let head = k.first_chunk::<8>().map_or(0, |h| u64::from_le_bytes(*h));
                    self.long[k.len()].push((head, i));
                }
                i
            }
        };
        &mut self.entries[i].1
    }

    fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl Node {
    pub(crate) fn child(&self, key: &str) -> Option<&Node> {
        self.children.get(key)
    }

    /// [`Node::child`] for a key under [`SHORT`] bytes, given as its length
    /// and its bytes as one little-endian number with zeros above them.
    #[inline]
    pub(crate) fn child_word(&self, word: u128, len: usize) -> Option<&Node> {
        self.children.get_word(word, len)
    }

    /// Whether the key's object is read as an error body.
    pub(crate) fn is_body(&self) -> bool {
        self.body
    }

    /// Whether no wanted key lies below this one.
    pub(crate) fn is_leaf(&self) -> bool {
        self.children.is_empty()
    }

    /// Whether only the body field reads this key.
    pub(crate) fn is_only_body(&self) -> bool {
        self.body && !self.other
    }
}

/// Where one name of a field list is looked up.
#[derive(Debug)]
struct Candidate {
    kind: Kind,
    /// The node of the name as a literal top-level key.
    literal: usize,
    /// The node of the name's dotted path, for names with dots.
    nested: Option<usize>,
}

/// The compiled field map.
#[derive(Debug)]
pub(crate) struct KeyTree {
    top: Node,
    nodes: usize,
    /// In order of preference within each kind.
    candidates: Vec<Candidate>,
    /// Per node: the candidates that read it, as a mask of their indexes;
    /// `None` for a field map of more than 128 names (all are visited).
    candidates_of_node: Option<Vec<u128>>,
}

/// The value of a wanted key, as much of it as any field can read.
#[derive(Debug)]
pub(crate) enum Cap<'a> {
    Null,
    Bool,
    Num(serde_json::Number),
    Str(Cow<'a, str>),
    /// An array: what `as_str` reads from it (its first element, as a string).
    Arr(Option<Cow<'a, str>>),
    /// An object: its error body when the key is a body field (boxed: rare,
    /// and it would make every kept value as big as a body).
    Obj(Option<Box<Body<'a>>>),
    /// The raw (still escaped) text of a string only the body field reads.
    BodyRaw(&'a str),
    /// The raw text of a body object the scanner checked (no wanted keys in it).
    BodyObj(&'a str),
}

/// The values one line's wanted keys hold, by node id.
///
/// A line fills a dozen of the tree's nodes, so the values are a short list
/// in the order read, with an index by node id beside it. After a line only
/// the slots it filled are emptied: a slot per node, emptied and refilled
/// with `None` every line, had cost more than reading the keys that fill them.
#[derive(Debug, Default)]
pub(crate) struct Caps<'a> {
    found: Vec<(usize, Cap<'a>)>,
    /// Per node id: its place in `found` plus one, or 0.
    index: Vec<u32>,
}

impl<'a> Caps<'a> {
    /// Empty slots for `nodes` nodes.
    pub(crate) fn with_nodes(nodes: usize) -> Self {
        Caps {
            found: Vec::new(),
            index: vec![0; nodes],
        }
    }

    /// The value kept for a node.
    pub(crate) fn get(&self, id: usize) -> Option<&Cap<'a>> {
        let at = *self.index.get(id)? as usize;
        self.found.get(at.checked_sub(1)?).map(|(_, cap)| cap)
    }

    fn get_mut(&mut self, id: usize) -> Option<&mut Cap<'a>> {
        let at = *self.index.get(id)? as usize;
        self.found.get_mut(at.checked_sub(1)?).map(|(_, cap)| cap)
    }

    /// Keeps a node's value (replacing one kept before).
    #[inline]
    pub(crate) fn set(&mut self, id: usize, cap: Cap<'a>) {
        let Some(slot) = self.index.get_mut(id) else {
            return;
        };
        match (*slot as usize).checked_sub(1) {
            Some(at) => self.found[at].1 = cap,
            None => {
                self.found.push((id, cap));
                *slot = self.found.len() as u32;
            }
        }
    }

    /// Forgets the values of the nodes `ids` (a node and its descendants,
    /// when its key repeats).
    #[inline]
    pub(crate) fn forget(&mut self, ids: std::ops::Range<usize>) {
        let held = self.index.get(ids.clone()).unwrap_or_default();
        if held.iter().all(|&at| at == 0) {
            return;
        }
        self.forget_held(ids);
    }

    /// [`Caps::forget`] once some of `ids` hold a value (a repeated key):
    /// rare, so out of line.
    #[inline(never)]
    fn forget_held(&mut self, ids: std::ops::Range<usize>) {
        for (id, _) in &self.found {
            self.index[*id] = 0;
        }
        self.found.retain(|(id, _)| !ids.contains(id));
        for (at, (id, _)) in self.found.iter().enumerate() {
            self.index[*id] = at as u32 + 1;
        }
    }

    /// Forgets every value.
    pub(crate) fn clear(&mut self) {
        for (id, _) in &self.found {
            self.index[*id] = 0;
        }
        self.found.clear();
    }

    /// Emptied, ready for the values of another line (the allocations are
    /// reused: the list is empty, so it changes lifetime in place).
    pub(crate) fn recycle<'b>(mut self) -> Caps<'b> {
        self.clear();
        Caps {
            found: self
                .found
                .into_iter()
                .map(|(id, _)| (id, Cap::Null))
                .collect(),
            index: self.index,
        }
    }
}

/// What [`KeyTree::resolve`] found; the body text is left to the caller, which
/// may have to keep an unescaped copy.
pub(crate) struct Resolved<'c, 'a> {
    pub(crate) status: Option<Result<u64, ()>>,
    /// The first time field present: its value, if it reads as a time.
    pub(crate) ts: Option<Option<i64>>,
    pub(crate) method: Option<Cow<'a, str>>,
    pub(crate) path: Option<Cow<'a, str>>,
    pub(crate) client: Option<Cow<'a, str>>,
    pub(crate) user_agent: Option<Cow<'a, str>>,
    pub(crate) bytes: Option<u64>,
    pub(crate) duration_ms: Option<f64>,
    pub(crate) request_id: Option<Cow<'a, str>>,
    pub(crate) body: Option<&'c mut Cap<'a>>,
}

impl KeyTree {
    /// The key tree of a field map.
    pub(crate) fn compile(fields: &FieldMap, details: bool) -> KeyTree {
        let mut lists: Vec<(Kind, Vec<&str>)> = vec![
            (Kind::Time, fields.time.iter().map(String::as_str).collect()),
            (
                Kind::Status,
                fields.status.iter().map(String::as_str).collect(),
            ),
            (
                Kind::Method,
                fields.method.iter().map(String::as_str).collect(),
            ),
            (Kind::Path, fields.path.iter().map(String::as_str).collect()),
            (Kind::Body, fields.body.iter().map(String::as_str).collect()),
            (
                Kind::RequestId,
                fields.request_id.iter().map(String::as_str).collect(),
            ),
        ];
        if details {
            lists.push((
                Kind::Client,
                fields.client.iter().map(String::as_str).collect(),
            ));
            lists.push((
                Kind::UserAgent,
                fields.user_agent.iter().map(String::as_str).collect(),
            ));
            lists.push((
                Kind::Bytes,
                fields.bytes.iter().map(String::as_str).collect(),
            ));
            for (name, unit) in &fields.duration {
                lists.push((Kind::Duration(*unit), vec![name.as_str()]));
            }
        }
        // Build the tree with paths, then number it.
        let mut top = Node::default();
        let mut paths: Vec<(Kind, Vec<String>, Option<Vec<String>>)> = Vec::new();
        for (kind, names) in &lists {
            for name in names {
                let literal = vec![(*name).to_owned()];
                let nested = name
                    .contains('.')
                    .then(|| name.split('.').map(str::to_owned).collect::<Vec<_>>());
                for path in std::iter::once(&literal).chain(nested.as_ref()) {
                    let mut node = &mut top;
                    for key in path {
                        node = node.children.get_or_insert(key);
                    }
                    node.body |= *kind == Kind::Body;
                    node.other |= *kind != Kind::Body;
                }
                paths.push((*kind, literal, nested));
            }
        }
        let nodes = number(&mut top, 0);
        let id_of = |path: &[String]| {
            let mut node = &top;
            for key in path {
                if let Some(child) = node.children.get(key) {
                    node = child;
                }
            }
            node.id
        };
        let candidates: Vec<Candidate> = paths
            .iter()
            .map(|(kind, literal, nested)| Candidate {
                kind: *kind,
                literal: id_of(literal),
                nested: nested.as_deref().map(id_of),
            })
            .collect();
        // Candidate `i` is bit `i` of the masks of its literal and nested nodes.
        let candidates_of_node = (candidates.len() <= 128).then(|| {
            let mut masks = vec![0u128; nodes];
            for (i, c) in candidates.iter().enumerate() {
                for id in std::iter::once(c.literal).chain(c.nested) {
                    masks[id] |= 1 << i;
                }
            }
            masks
        });
        KeyTree {
            top,
            nodes,
            candidates,
            candidates_of_node,
        }
    }

    /// The root of the key tree.
    pub(crate) fn top(&self) -> &Node {
        &self.top
    }

    /// Fills `caps` (one slot per node) from one line; `Err` when the line is
    /// not a JSON object.
    pub(crate) fn read<'a>(&self, line: &'a [u8], caps: &mut Caps<'a>) -> Result<(), ()> {
        caps.clear();
        if caps.index.len() != self.nodes {
            *caps = Caps::with_nodes(self.nodes);
        }
        // One UTF-8 check of the whole line, so that serde_json does not check
        // each string again; a line `Value` would reject for its encoding is
        // rejected here too (invalid UTF-8 outside a string is a syntax error).
        let text = crate::parse::utf8(line).ok_or(())?;
        if super::scan::read(self, text, caps) == super::scan::Scan::Done {
            return Ok(());
        }
        caps.clear();
        let mut de = serde_json::Deserializer::from_str(text);
        ObjectSeed {
            node: &self.top,
            caps,
        }
        .deserialize(&mut de)
        .and_then(|()| de.end())
        .map_err(|_| ())
    }

    /// Applies the field lists to what [`KeyTree::read`] kept.
    pub(crate) fn resolve<'c, 'a>(
        &self,
        caps: &'c mut Caps<'a>,
        times: &mut TimeCache,
    ) -> Resolved<'c, 'a> {
        let mut r = Resolved {
            status: None,
            ts: None,
            method: None,
            path: None,
            client: None,
            user_agent: None,
            bytes: None,
            duration_ms: None,
            request_id: None,
            body: None,
        };
        let mut body_at = None;
        // Only the candidates whose nodes hold a value can read one: with a
        // mask per node, a line visits its dozen instead of every name.
        let visit = match &self.candidates_of_node {
            Some(masks) => Visit::Mask(
                caps.found
                    .iter()
                    .fold(0, |m, (id, _)| m | masks.get(*id).copied().unwrap_or(0)),
            ),
            None => Visit::All(0..self.candidates.len()),
        };
        for index in visit {
            let Some(c) = self.candidates.get(index) else {
                break;
            };
            // A literal key, when present (even null), hides the dotted path.
            let at = match (caps.get(c.literal), c.nested) {
                (Some(_), _) | (None, None) => c.literal,
                (None, Some(n)) => n,
            };
            let Some(cap) = caps.get(at) else { continue };
            let is_null = matches!(cap, Cap::Null);
            match c.kind {
                Kind::Time if r.ts.is_none() && !is_null => r.ts = Some(time(cap, times)),
                Kind::Status if r.status.is_none() && !is_null => {
                    r.status = Some(as_u64(cap).ok_or(()));
                }
                Kind::Method if r.method.is_none() => r.method = as_str(cap),
                Kind::Path if r.path.is_none() => {
                    r.path = as_str(cap).map(|p| match p {
                        Cow::Borrowed(s) => Cow::Borrowed(path_of(s)),
                        Cow::Owned(s) => Cow::Owned(path_of(&s).to_owned()),
                    })
                }
                Kind::Client if r.client.is_none() => r.client = as_str(cap),
                Kind::UserAgent if r.user_agent.is_none() => r.user_agent = as_str(cap),
                Kind::Bytes if r.bytes.is_none() => r.bytes = as_u64(cap),
                Kind::Duration(DurationUnit::SecondsText) if r.duration_ms.is_none() => {
                    r.duration_ms = match cap {
                        Cap::Str(s) => super::seconds_text_ms(s),
                        _ => None,
                    };
                }
                Kind::Duration(unit) if r.duration_ms.is_none() => {
                    r.duration_ms = as_f64(cap)
                        .map(|n| match unit {
                            DurationUnit::Seconds => n * 1000.0,
                            DurationUnit::Millis | DurationUnit::SecondsText => n,
                            DurationUnit::Nanos => n / 1e6,
                        })
                        .filter(|ms| ms.is_finite());
                }
                Kind::RequestId if r.request_id.is_none() => r.request_id = as_str(cap),
                Kind::Body if body_at.is_none() && !is_null => body_at = Some(at),
                _ => {}
            }
        }
        r.body = body_at.and_then(|at| caps.get_mut(at));
        r
    }
}

/// The indexes of the candidates [`KeyTree::resolve`] visits, in order.
enum Visit {
    /// Bit `i` for candidate `i`.
    Mask(u128),
    All(std::ops::Range<usize>),
}

impl Iterator for Visit {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        match self {
            Visit::Mask(0) => None,
            Visit::Mask(mask) => {
                let index = mask.trailing_zeros() as usize;
                *mask &= *mask - 1;
                Some(index)
            }
            Visit::All(range) => range.next(),
        }
    }
}

/// Numbers the tree depth first; returns the next free id.
fn number(node: &mut Node, id: usize) -> usize {
    node.id = id;
    let mut next = id + 1;
    // In the order the field map names them, so ids are deterministic.
    for (_, child) in &mut node.children.entries {
        next = number(child, next);
    }
    node.end = next;
    next
}

/// The last time string read and its value: consecutive lines mostly carry
/// the same second or millisecond.
#[derive(Debug, Default)]
pub(crate) struct TimeCache {
    text: String,
    value: Option<i64>,
}

fn time(cap: &Cap, times: &mut TimeCache) -> Option<i64> {
    match cap {
        Cap::Str(s) => {
            if times.text != *s {
                times.value = parse_any(s);
                times.text.clear();
                times.text.push_str(s);
            }
            times.value
        }
        Cap::Num(n) => n.as_f64().and_then(from_epoch_number),
        _ => None,
    }
}

fn as_u64(cap: &Cap) -> Option<u64> {
    match cap {
        Cap::Num(n) => number_as_u64(n),
        Cap::Str(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn as_f64(cap: &Cap) -> Option<f64> {
    match cap {
        Cap::Num(n) => n.as_f64(),
        _ => None,
    }
}

fn as_str<'a>(cap: &Cap<'a>) -> Option<Cow<'a, str>> {
    match cap {
        Cap::Str(s) if as_str_value(s) => Some(s.clone()),
        Cap::Arr(first) => first.clone(),
        _ => None,
    }
}

/// Reads an object, keeping the values of `node`'s children.
struct ObjectSeed<'n, 'c, 'a> {
    node: &'n Node,
    caps: &'c mut Caps<'a>,
}

impl<'de> DeserializeSeed<'de> for ObjectSeed<'_, '_, 'de> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ObjectSeed<'_, '_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<Key>()? {
            match self.node.children.get(key.0.as_ref()) {
                None => {
                    map.next_value::<body::Skip>()?;
                }
                Some(child) => {
                    // A repeated key replaces everything the earlier one gave.
                    self.caps.forget(child.id..child.end);
                    let cap = map.next_value_seed(ValueSeed {
                        node: child,
                        caps: &mut *self.caps,
                    })?;
                    self.caps.set(child.id, cap);
                }
            }
        }
        Ok(())
    }
}

/// A key, borrowed unless it holds escapes.
struct Key<'a>(Cow<'a, str>);

impl<'de> de::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

/// Reads the value of a wanted key.
struct ValueSeed<'n, 'c, 'a> {
    node: &'n Node,
    caps: &'c mut Caps<'a>,
}

impl<'de> DeserializeSeed<'de> for ValueSeed<'_, '_, 'de> {
    type Value = Cap<'de>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Cap<'de>, D::Error> {
        if !self.node.body || self.node.children.is_empty() {
            return d.deserialize_any(self);
        }
        // A body field whose object also holds wanted keys (`--field`
        // overrides can ask for that): take the value's raw text once, then
        // read its wanted keys and its body each from that text.
        let raw: &'de serde_json::value::RawValue = de::Deserialize::deserialize(d)?;
        let text = raw.get();
        let mut inner = serde_json::Deserializer::from_str(text);
        let cap = de::Deserializer::deserialize_any(&mut inner, self).map_err(de::Error::custom)?;
        Ok(match cap {
            Cap::Obj(_) => Cap::Obj(Some(Box::new(body::from_text(text.as_bytes(), true)))),
            other => other,
        })
    }
}

impl<'de> Visitor<'de> for ValueSeed<'_, '_, 'de> {
    type Value = Cap<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Cap<'de>, E> {
        Ok(Cap::Null)
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Cap<'de>, E> {
        Ok(Cap::Bool)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Cap<'de>, E> {
        Ok(Cap::Num(v.into()))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Cap<'de>, E> {
        Ok(Cap::Num(v.into()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Cap<'de>, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Cap::Null, Cap::Num))
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Cap<'de>, E> {
        Ok(Cap::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Cap<'de>, E> {
        Ok(Cap::Str(Cow::Owned(v.to_owned())))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Cap<'de>, A::Error> {
        let first = seq.next_element::<FirstStr>()?.and_then(|f| f.0);
        while seq.next_element::<body::Skip>()?.is_some() {}
        Ok(Cap::Arr(first))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Cap<'de>, A::Error> {
        if self.node.body && self.node.children.is_empty() {
            return Ok(Cap::Obj(Some(Box::new(body::object_body(map)?))));
        }
        ObjectSeed {
            node: self.node,
            caps: self.caps,
        }
        .visit_map(map)?;
        Ok(Cap::Obj(None))
    }
}

/// What `as_str` reads from an array element: a string, or an array's first.
struct FirstStr<'a>(Option<Cow<'a, str>>);

impl<'de> de::Deserialize<'de> for FirstStr<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct FirstVisitor;
        impl<'de> Visitor<'de> for FirstVisitor {
            type Value = FirstStr<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(FirstStr(as_str_value(v).then_some(Cow::Borrowed(v))))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(FirstStr(as_str_value(v).then(|| Cow::Owned(v.to_owned()))))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let first = seq.next_element::<FirstStr>()?.and_then(|f| f.0);
                while seq.next_element::<body::Skip>()?.is_some() {}
                Ok(FirstStr(first))
            }
            body::visit_others!('de, FirstStr(None); bool, u64, i64, f64, unit, map);
        }
        d.deserialize_any(FirstVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::{word, Children, SHORT};

    proptest::proptest! {
        /// Lookups by the whole key, by its word, and by a scan of the
        /// entries agree, for keys on both sides of [`SHORT`].
        #[test]
        fn keys_are_found_as_a_scan_finds_them(
            // Shared 8-byte heads, so keys of one length often differ only past them.
            keys in proptest::collection::vec("(aaaaaaaa|abababab)?[ab\u{0}z]{0,12}", 0..12),
            probe in "(aaaaaaaa|abababab)?[ab\u{0}z]{0,12}",
        ) {
            let mut children = Children::default();
            for key in &keys {
                children.get_or_insert(key);
            }
            let want = children.entries.iter().find(|(k, _)| *k == probe).map(|(_, n)| n as *const _);
            let got = children.get(&probe).map(|n| n as *const _);
            proptest::prop_assert_eq!(got, want);
            if probe.len() < SHORT {
                let got = children.get_word(word(probe.as_bytes()), probe.len()).map(|n| n as *const _);
                proptest::prop_assert_eq!(got, want);
            }
        }
    }
}
