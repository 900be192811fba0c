//! Bounded keyed tables: Space-Saving heavy hitters whose keys carry counters.
//!
//! A [`Table`] keeps at most `cap` keys (`--max-keys`). Below the cap it is an
//! exact map. Once a new key arrives at a full table, the key with the
//! smallest weight is evicted and the newcomer inherits that weight as its
//! `error` (Metwally, Agrawal and El Abbadi's Space-Saving). Every reported
//! count is then an upper bound that exceeds the truth by at most the row's
//! `error`, and every key whose true weight exceeds `total / cap` is kept.
//!
//! Two tables merge by the rule of Agarwal et al., "Mergeable summaries"
//! (2012): a key missing from a full table may have had up to that table's
//! smallest weight there, so it is charged that much as error; the `cap`
//! heaviest keys are kept. The guarantees above survive any number of merges,
//! so worker threads, files and saved checkpoints combine freely.
//!
//! Why not Apache DataSketches' frequent-items sketch: it counts one weight
//! per key, while our rows carry counters that must follow their key (4xx and
//! 5xx, statuses, the earliest example message), and a table under the cap must
//! stay exact so reports do not change for ordinary logs. Its HyperLogLog
//! counts distinct keys once a table has evicted some; until then the keys
//! held are the count.
//!
//! The smallest weight is found with a lazy bucket queue: slots filed under
//! the weight they had when filed. A record goes stale when its slot's weight
//! grows, and is filed again under the new weight when it is taken out stale.
//! Each slot has exactly one record, so a record taken from the lightest
//! bucket whose weight is still current is the minimum. Weights grow by one,
//! so the light buckets are few and hot, and filing is a push onto a vector
//! (a binary heap spent a tenth of a scanner log's time sifting). The queue
//! is built only at the first eviction, so tables that never fill cost
//! nothing beyond the map. An evicted slot's key buffer is reused for the
//! newcomer.

use datasketches::hll::{HllSketch, HllType, HllUnion};
use foldhash::fast::RandomState;
use hashbrown::HashTable;
use serde::de::{Deserializer, Error as _};
use serde::{Deserialize, Serialize, Serializer};
use std::borrow::Borrow;
use std::collections::BTreeMap;
use std::hash::{BuildHasher, Hash};

/// The counters a key carries. `weight` is what the table ranks by; it grows
/// by one for each observation of the key.
pub(crate) trait Counts: Default {
    fn weight(&self) -> u64;
    /// Adds `other`'s counters into these.
    fn absorb(&mut self, other: Self);
}

impl Counts for u64 {
    fn weight(&self) -> u64 {
        *self
    }
    fn absorb(&mut self, other: Self) {
        *self = self.saturating_add(other);
    }
}

/// HyperLogLog precision: 2^12 registers, about 1.6 % standard error.
const HLL_LG_K: u8 = 12;

/// Tables of at most this many keys (each bucket's breakdowns) keep no hash
/// index and find the lightest key by a scan: a run of a few days at
/// one-minute buckets holds thousands of them, and an index and a bucket
/// queue cost more memory than the keys (and are no faster for 16).
const SMALL_CAP: usize = 16;

/// Slots by the weight they were filed under (see the module doc). Either
/// form hands out the record of least weight, and of those the one filed
/// last, so a table evicts the same key whichever it uses.
#[derive(Debug, Clone)]
enum Queue {
    /// One vector of records per weight (large tables).
    Buckets(BTreeMap<u64, Vec<u32>>),
    /// The records in the order they were filed (small tables).
    Scan(Vec<(u64, u32)>),
}

impl Queue {
    fn new(small: bool) -> Self {
        if small {
            Queue::Scan(Vec::new())
        } else {
            Queue::Buckets(BTreeMap::new())
        }
    }

    fn is_empty(&self) -> bool {
        match self {
            Queue::Buckets(b) => b.is_empty(),
            Queue::Scan(v) => v.is_empty(),
        }
    }

    fn clear(&mut self) {
        match self {
            Queue::Buckets(b) => b.clear(),
            Queue::Scan(v) => v.clear(),
        }
    }

    fn file(&mut self, weight: u64, i: u32) {
        match self {
            Queue::Buckets(b) => b.entry(weight).or_default().push(i),
            Queue::Scan(v) => v.push((weight, i)),
        }
    }

    /// Takes out the record of least weight, the last filed among equals.
    fn take_lightest(&mut self) -> Option<(u64, u32)> {
        match self {
            Queue::Buckets(b) => loop {
                let mut lightest = b.first_entry()?;
                let filed = *lightest.key();
                let taken = lightest.get_mut().pop();
                if lightest.get().is_empty() {
                    lightest.remove();
                }
                if let Some(i) = taken {
                    return Some((filed, i));
                }
            },
            Queue::Scan(v) => {
                let mut at = None;
                for (k, &(w, _)) in v.iter().enumerate() {
                    if at.is_none_or(|a: usize| w <= v[a].0) {
                        at = Some(k);
                    }
                }
                at.map(|a| v.remove(a))
            }
        }
    }
}

#[derive(Debug, Clone)]
struct Slot<K, V> {
    key: K,
    /// The key's hash under its table's hasher, so evicting it needs no rehash.
    hash: u64,
    /// Counted since the key was (last) admitted, plus what merges added.
    value: V,
    /// How much the key may have had before it was admitted (and what merges
    /// charged it): its reported counts exceed the truth by at most this.
    error: u64,
}

impl<K, V: Counts> Slot<K, V> {
    fn weight(&self) -> u64 {
        self.value.weight().saturating_add(self.error)
    }
}

/// One row as the report reads it.
pub(crate) struct Row<'a, K, V> {
    pub(crate) key: &'a K,
    /// The counters observed for the key; add `error` to each for the upper
    /// bound the report prints.
    pub(crate) value: &'a V,
    pub(crate) error: u64,
}

/// A keyed table bounded to `cap` keys. See the module doc.
#[derive(Clone)]
pub(crate) struct Table<K, V> {
    cap: usize,
    /// Slot numbers, found by the hash and key of their slot: the keys live
    /// only in `slots`. Empty in small tables, which scan their slots.
    index: HashTable<u32>,
    hasher: RandomState,
    slots: Vec<Slot<K, V>>,
    /// Slots by weight (see the module doc); empty until the first
    /// eviction, and after a merge.
    queue: Queue,
    /// Whether a key was ever evicted (or dropped by a merge): until then
    /// every count is exact.
    capped: bool,
    /// Whether the table reports a distinct count.
    counts_distinct: bool,
    /// Whether the table scans its slots (at most [`SMALL_CAP`] keys)
    /// instead of keeping an index and a bucket queue.
    small: bool,
    /// Every key ever admitted, once the table is capped (until then the
    /// keys held are every key seen, and the sketch is built from them at
    /// the first eviction).
    distinct: Option<Box<HllSketch>>,
}

impl<K: std::fmt::Debug, V: std::fmt::Debug> std::fmt::Debug for Table<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Table")
            .field("cap", &self.cap)
            .field("capped", &self.capped)
            .field("slots", &self.slots)
            .finish_non_exhaustive()
    }
}

/// Equal keys, counters and errors, whatever the order they were admitted in.
impl<K: Ord, V: PartialEq> PartialEq for Table<K, V> {
    fn eq(&self, other: &Self) -> bool {
        self.cap == other.cap
            && self.capped == other.capped
            && self.sorted_rows() == other.sorted_rows()
    }
}

impl<K: Ord, V> Table<K, V> {
    /// (key, value, error) by key.
    fn sorted_rows(&self) -> Vec<(&K, &V, u64)> {
        let mut rows: Vec<(&K, &V, u64)> = self
            .slots
            .iter()
            .map(|s| (&s.key, &s.value, s.error))
            .collect();
        rows.sort_by(|a, b| a.0.cmp(b.0));
        rows
    }
}

fn new_sketch() -> Option<Box<HllSketch>> {
    HllSketch::new(HLL_LG_K, HllType::Hll8).ok().map(Box::new)
}

impl<K, V> Table<K, V>
where
    K: Hash + Eq + Ord + Clone,
    V: Counts,
{
    /// A table of at most `cap` keys (at least one).
    pub(crate) fn new(cap: usize) -> Self {
        let cap = cap.max(1);
        Table {
            cap,
            index: HashTable::new(),
            hasher: RandomState::default(),
            slots: Vec::new(),
            queue: Queue::new(cap <= SMALL_CAP),
            capped: false,
            counts_distinct: false,
            small: cap <= SMALL_CAP,
            distinct: None,
        }
    }

    /// A table that also estimates how many distinct keys it has seen.
    pub(crate) fn with_distinct(cap: usize) -> Self {
        Table {
            counts_distinct: true,
            ..Table::new(cap)
        }
    }

    /// The distinct-count sketch: the one kept, or one of the keys held.
    fn sketch(&self) -> Option<Box<HllSketch>> {
        if !self.counts_distinct {
            return None;
        }
        if let Some(hll) = &self.distinct {
            return Some(hll.clone());
        }
        let mut hll = new_sketch()?;
        for s in &self.slots {
            hll.update(&s.key);
        }
        Some(hll)
    }

    #[cfg(test)]
    pub(crate) fn cap(&self) -> usize {
        self.cap
    }

    /// Keys held now.
    pub(crate) fn len(&self) -> usize {
        self.slots.len()
    }

    /// Whether some key was evicted: then counts carry errors and the
    /// distinct count is an estimate.
    pub(crate) fn capped(&self) -> bool {
        self.capped
    }

    /// Distinct keys seen: exact until the table is capped, then the
    /// HyperLogLog estimate (never below the keys held).
    pub(crate) fn distinct(&self) -> u64 {
        let held = self.slots.len() as u64;
        match (&self.distinct, self.capped) {
            (Some(hll), true) => (hll.estimate().round() as u64).max(held),
            _ => held,
        }
    }

    /// Whether the table scans its slots instead of keeping an index.
    fn small(&self) -> bool {
        self.small
    }

    /// A small table in the large tables' form, for tests that hold the
    /// two forms to each other.
    #[cfg(test)]
    pub(crate) fn indexed(cap: usize) -> Self {
        Table {
            queue: Queue::new(false),
            small: false,
            ..Table::new(cap)
        }
    }

    /// Where `key` is held, if it is.
    fn find<Q>(&self, key: &Q, hash: u64) -> Option<usize>
    where
        K: Borrow<Q>,
        Q: Eq + ?Sized,
    {
        let slots = &self.slots;
        if self.small() {
            return slots
                .iter()
                .position(|s| s.hash == hash && s.key.borrow() == key);
        }
        self.index
            .find(hash, |&i| slots[i as usize].key.borrow() == key)
            .map(|&i| i as usize)
    }

    /// Files slot `i` (hashed `hash`) in the index of a large table.
    fn index_slot(&mut self, hash: u64, i: usize) {
        if self.small() {
            return;
        }
        let slots = &self.slots;
        self.index
            .insert_unique(hash, i as u32, |&j| slots[j as usize].hash);
    }

    /// Counts an observation of `key` with `f`, admitting the key (and
    /// evicting the lightest one when the table is full) if it is new.
    /// Allocates only for a new key.
    pub(crate) fn update<Q>(&mut self, key: &Q, f: impl FnOnce(&mut V))
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
    {
        let hash = self.hasher.hash_one(key);
        if let Some(i) = self.find(key, hash) {
            f(&mut self.slots[i].value);
            return;
        }
        let i = self.admit(key, hash);
        f(&mut self.slots[i].value);
        // The queue exists once the table is full: the newcomer's record goes
        // in with its weight after `f`, so it is not stale at once.
        if !self.queue.is_empty() {
            let weight = self.slots[i].weight();
            self.file(weight, i as u32);
        }
    }

    pub(crate) fn get<Q>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.find(key, self.hasher.hash_one(key))
            .map(|i| &self.slots[i].value)
    }

    /// Every row, in no particular order.
    pub(crate) fn rows(&self) -> impl Iterator<Item = Row<'_, K, V>> {
        self.slots.iter().map(|s| Row {
            key: &s.key,
            value: &s.value,
            error: s.error,
        })
    }

    pub(crate) fn values_mut(&mut self) -> impl Iterator<Item = &mut V> {
        self.slots.iter_mut().map(|s| &mut s.value)
    }

    /// Puts `key` (hashed `hash`) in a slot and returns the slot.
    fn admit<Q>(&mut self, key: &Q, hash: u64) -> usize
    where
        K: Borrow<Q>,
        Q: Hash + ToOwned<Owned = K> + ?Sized,
    {
        if self.slots.len() < self.cap {
            let i = self.slots.len();
            self.slots.push(Slot {
                key: key.to_owned(),
                hash,
                value: V::default(),
                error: 0,
            });
            self.index_slot(hash, i);
            return i;
        }
        if self.distinct.is_none() {
            self.distinct = self.sketch();
        }
        if let Some(hll) = &mut self.distinct {
            hll.update(key);
        }
        let (i, min) = self.pop_lightest();
        let old_hash = self.slots[i].hash;
        if let Ok(old) = self.index.find_entry(old_hash, |&j| j as usize == i) {
            old.remove();
        }
        let slot = &mut self.slots[i];
        key.clone_into(&mut slot.key);
        slot.hash = hash;
        slot.value = V::default();
        slot.error = min;
        self.index_slot(hash, i);
        self.capped = true;
        i
    }

    /// Files slot `i` under `weight` in the queue.
    fn file(&mut self, weight: u64, i: u32) {
        self.queue.file(weight, i);
    }

    /// The slot of least weight, and that weight. The table is full.
    fn pop_lightest(&mut self) -> (usize, u64) {
        if self.queue.is_empty() {
            for i in 0..self.slots.len() {
                self.file(self.slots[i].weight(), i as u32);
            }
        }
        while let Some((filed, i)) = self.queue.take_lightest() {
            let now = self.slots[i as usize].weight();
            if now == filed {
                return (i as usize, now);
            }
            self.file(now, i);
        }
        // Unreachable while every slot has its record; a linear scan is the
        // safe answer if that ever broke.
        self.slots
            .iter()
            .enumerate()
            .map(|(i, s)| (i, s.weight()))
            .min_by_key(|&(i, w)| (w, i))
            .unwrap_or((0, 0))
    }

    /// Whether the observed counts add up to `total` (at most `total` once
    /// capped, or when not every observation has a key).
    pub(crate) fn counts_within(&self, total: u64, every_one_keyed: bool) -> bool {
        let sum = self
            .slots
            .iter()
            .try_fold(0u64, |sum, s| sum.checked_add(s.value.weight()));
        match sum {
            None => false,
            Some(sum) if every_one_keyed && !self.capped => sum == total,
            Some(sum) => sum <= total,
        }
    }

    /// What a key absent from this table may have weighed in it: 0 while
    /// exact, else the smallest weight held.
    fn floor(&self) -> u64 {
        if self.capped {
            self.slots.iter().map(Slot::weight).min().unwrap_or(0)
        } else {
            0
        }
    }

    /// Adds `other` into `self` (see the module doc); the cap is `self`'s.
    pub(crate) fn merge(&mut self, other: Table<K, V>) {
        let sketches = (self.sketch(), other.sketch());
        let mine_floor = self.floor();
        let theirs_floor = other.floor();
        for s in &mut self.slots {
            if other.get(&s.key).is_none() {
                s.error = s.error.saturating_add(theirs_floor);
            }
        }
        for s in other.slots {
            let hash = self.hasher.hash_one(&s.key);
            match self.find(&s.key, hash) {
                Some(i) => {
                    let mine = &mut self.slots[i];
                    mine.value.absorb(s.value);
                    mine.error = mine.error.saturating_add(s.error);
                }
                None => {
                    let i = self.slots.len() as u32;
                    self.slots.push(Slot {
                        hash,
                        error: s.error.saturating_add(mine_floor),
                        ..s
                    });
                    self.index_slot(hash, i as usize);
                }
            }
        }
        self.capped |= other.capped;
        self.queue.clear();
        if self.slots.len() > self.cap {
            self.capped = true;
            // The heaviest `cap` keys; ties by key, so the result does not
            // depend on the order of the merges' inputs.
            self.slots.sort_unstable_by(|a, b| {
                b.weight().cmp(&a.weight()).then_with(|| a.key.cmp(&b.key))
            });
            self.slots.truncate(self.cap);
            self.slots.shrink_to(self.cap);
            let unique = self.reindex();
            debug_assert!(unique, "a merge holds each key once");
        }
        self.distinct = match sketches {
            (Some(a), Some(b)) if self.capped => {
                let mut union = HllUnion::new(HLL_LG_K).ok();
                if let Some(u) = &mut union {
                    u.update(&a);
                    u.update(&b);
                }
                union.map(|u| Box::new(u.to_sketch(HllType::Hll8)))
            }
            _ => None,
        };
    }

    /// Rebuilds the index of the slots; false if a key is held twice.
    fn reindex(&mut self) -> bool {
        self.index.clear();
        for i in 0..self.slots.len() {
            let hash = self.hasher.hash_one(&self.slots[i].key);
            self.slots[i].hash = hash;
            // Among the slots before `i`: those are the ones indexed so far.
            let key = &self.slots[i].key;
            let twice = if self.small() {
                self.slots[..i]
                    .iter()
                    .any(|s| s.hash == hash && &s.key == key)
            } else {
                self.find(key, hash).is_some()
            };
            if twice {
                return false;
            }
            self.index_slot(hash, i);
        }
        true
    }
}

/// The saved form: rows sorted by key, and the sketch only once capped, so
/// equal exact tables save equal bytes.
#[derive(Serialize)]
struct SavedRef<'a, K, V> {
    cap: usize,
    capped: bool,
    counts_distinct: bool,
    rows: Vec<(&'a K, &'a V, u64)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    distinct: Option<Vec<u8>>,
}

#[derive(Deserialize)]
struct Saved<K, V> {
    cap: usize,
    capped: bool,
    #[serde(default)]
    counts_distinct: bool,
    rows: Vec<(K, V, u64)>,
    #[serde(default)]
    distinct: Option<Vec<u8>>,
}

impl<K: Serialize + Ord, V: Serialize> Serialize for Table<K, V> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        SavedRef {
            cap: self.cap,
            capped: self.capped,
            counts_distinct: self.counts_distinct,
            rows: self.sorted_rows(),
            distinct: self.distinct.as_deref().map(HllSketch::serialize),
        }
        .serialize(s)
    }
}

impl<'de, K, V> Deserialize<'de> for Table<K, V>
where
    K: Deserialize<'de> + Hash + Eq + Ord + Clone,
    V: Deserialize<'de> + Counts,
{
    /// Refuses what this code never writes: no cap, more rows than the cap,
    /// a key twice, errors on an exact table, an unreadable sketch.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let saved = Saved::<K, V>::deserialize(d)?;
        if saved.cap == 0 || saved.rows.len() > saved.cap {
            return Err(D::Error::custom("a table holds more keys than its cap"));
        }
        if !saved.capped && saved.rows.iter().any(|r| r.2 != 0) {
            return Err(D::Error::custom("an exact table has count errors"));
        }
        if saved.distinct.is_some() && !(saved.capped && saved.counts_distinct) {
            return Err(D::Error::custom(
                "a distinct-count sketch on a table without one",
            ));
        }
        let distinct = match saved.distinct {
            Some(bytes) => Some(Box::new(HllSketch::deserialize(&bytes).map_err(|_| {
                D::Error::custom("a table's distinct-count sketch is damaged")
            })?)),
            None => None,
        };
        let mut table = Table {
            cap: saved.cap,
            index: HashTable::new(),
            hasher: RandomState::default(),
            slots: saved
                .rows
                .into_iter()
                .map(|(key, value, error)| Slot {
                    key,
                    hash: 0,
                    value,
                    error,
                })
                .collect(),
            queue: Queue::new(saved.cap <= SMALL_CAP),
            capped: saved.capped,
            counts_distinct: saved.counts_distinct,
            small: saved.cap <= SMALL_CAP,
            distinct,
        };
        if !table.reindex() {
            return Err(D::Error::custom("a table holds a key twice"));
        }
        Ok(table)
    }
}

#[cfg(test)]
mod tests;
