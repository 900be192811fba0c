//! A bucket's breakdowns: live while they are counted into, frozen once cold.
//!
//! A run of days at one-minute buckets holds thousands of buckets, and each
//! one's seven 16-key tables take 10 to 15 KB live (the slots, a `String`
//! per key). The report reads them only around incidents (an incident's top
//! routes and errors, what changed), so a batch worker freezes the buckets it
//! stops counting in (`engine::Worker`) into the tables' saved form, packed
//! as MessagePack bytes (rmp-serde): a third of the live size. Readers thaw the
//! few buckets they need, for as long as they need them.
//!
//! The saved form is the one checkpoints hold (`heavy` module): the same keys,
//! counts and errors, which report and merge as the live table does. Only
//! the order of filing is not kept, and nothing counts into a frozen bucket:
//! a worker freezes only what it has handed over, and [`Breakdowns::merge`],
//! the one writer that meets frozen buckets, merges as it would live.

use super::ErrorKey;
use crate::heavy::Table;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::borrow::Cow;

/// A bucket's keyed breakdowns, each at most the bucket cap.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct BucketTables {
    /// 5xx per route key (see `route_key_of_path`).
    pub(crate) routes_5xx: Table<String, u64>,
    /// 5xx per error key, for 5xx responses whose body gave an error.
    pub(crate) errors_5xx_by_key: Table<ErrorKey, u64>,
    /// What changed (SPEC §11) compares these across an incident and the
    /// time before it: 5xx per client and user agent (`-` when absent) ...
    pub(crate) clients_5xx: Table<String, u64>,
    pub(crate) agents_5xx: Table<String, u64>,
    /// ... and the bucket's sampled requests (`BucketStats::sampled`) per
    /// route key, client and user agent, for a baseline without 5xx.
    pub(crate) routes_all: Table<String, u64>,
    pub(crate) clients_all: Table<String, u64>,
    pub(crate) agents_all: Table<String, u64>,
}

impl BucketTables {
    fn new(cap: usize) -> Self {
        BucketTables {
            routes_5xx: Table::new(cap),
            errors_5xx_by_key: Table::new(cap),
            clients_5xx: Table::new(cap),
            agents_5xx: Table::new(cap),
            routes_all: Table::new(cap),
            clients_all: Table::new(cap),
            agents_all: Table::new(cap),
        }
    }

    /// Adds `theirs`, the same bucket's tables counted elsewhere.
    fn merge(&mut self, theirs: BucketTables) {
        self.routes_5xx.merge(theirs.routes_5xx);
        self.errors_5xx_by_key.merge(theirs.errors_5xx_by_key);
        self.clients_5xx.merge(theirs.clients_5xx);
        self.agents_5xx.merge(theirs.agents_5xx);
        self.routes_all.merge(theirs.routes_all);
        self.clients_all.merge(theirs.clients_all);
        self.agents_all.merge(theirs.agents_all);
    }
}

/// [`BucketTables`], live or frozen (see the module doc).
#[derive(Clone)]
pub(crate) struct Breakdowns(Form);

#[derive(Clone)]
enum Form {
    Live(Box<BucketTables>),
    /// The tables' MessagePack bytes.
    Frozen(Box<[u8]>),
}

impl Breakdowns {
    /// Empty tables of at most `cap` keys each.
    pub(crate) fn new(cap: usize) -> Self {
        Breakdowns(Form::Live(Box::new(BucketTables::new(cap))))
    }

    /// The tables to read: borrowed when live, thawed when frozen.
    pub(crate) fn tables(&self) -> Cow<'_, BucketTables> {
        match &self.0 {
            Form::Live(t) => Cow::Borrowed(t),
            Form::Frozen(bytes) => Cow::Owned(thaw(bytes)),
        }
    }

    /// The tables to count into, thawed in place if they were frozen.
    pub(crate) fn tables_mut(&mut self) -> &mut BucketTables {
        if let Form::Frozen(bytes) = &self.0 {
            self.0 = Form::Live(Box::new(thaw(bytes)));
        }
        match &mut self.0 {
            Form::Live(t) => t,
            // Thawed just above.
            Form::Frozen(_) => unreachable!("frozen breakdowns were just thawed"),
        }
    }

    fn into_tables(self) -> BucketTables {
        match self.0 {
            Form::Live(t) => *t,
            Form::Frozen(bytes) => thaw(&bytes),
        }
    }

    /// Packs live tables into their frozen form; frozen ones stay as they are.
    pub(crate) fn freeze(&mut self) {
        if let Form::Live(t) = &self.0 {
            match rmp_serde::to_vec(&**t) {
                Ok(bytes) => self.0 = Form::Frozen(bytes.into_boxed_slice()),
                // Serializing tables into memory does not fail; if it ever
                // did, they stay live, which costs memory, not counts.
                Err(e) => tracing::debug!("bucket breakdowns stay live: {e}"),
            }
        }
    }

    #[cfg(test)]
    pub(crate) fn is_frozen(&self) -> bool {
        matches!(self.0, Form::Frozen(_))
    }

    /// Adds `theirs` (the same bucket counted elsewhere); frozen tables are
    /// frozen again after the merge.
    pub(crate) fn merge(&mut self, theirs: Breakdowns) {
        let frozen = matches!(self.0, Form::Frozen(_));
        self.tables_mut().merge(theirs.into_tables());
        if frozen {
            self.freeze();
        }
    }
}

/// Frozen tables as they were. The bytes were written by [`Breakdowns::freeze`]
/// in this process, so they always read back; were that ever broken, the
/// bucket's breakdowns would read empty (with an error logged) rather than
/// stop the run.
fn thaw(bytes: &[u8]) -> BucketTables {
    rmp_serde::from_slice(bytes).unwrap_or_else(|e| {
        tracing::error!("a bucket's frozen breakdowns did not read back ({e}); they read as empty");
        BucketTables::new(1)
    })
}

impl std::fmt::Debug for Breakdowns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.tables().fmt(f)
    }
}

/// Equal tables, whichever form either side is in.
impl PartialEq for Breakdowns {
    fn eq(&self, other: &Self) -> bool {
        self.tables() == other.tables()
    }
}

/// Saved (in checkpoints and `--save-state`) as the tables themselves.
impl Serialize for Breakdowns {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.tables().serialize(s)
    }
}

impl<'de> Deserialize<'de> for Breakdowns {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        BucketTables::deserialize(d).map(|t| Breakdowns(Form::Live(Box::new(t))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counted() -> Breakdowns {
        let mut b = Breakdowns::new(2);
        let t = b.tables_mut();
        for key in ["GET /a", "GET /b", "GET /a", "GET /c"] {
            t.routes_5xx.update(key, |n| *n += 1);
        }
        let key = ErrorKey {
            error_type: Some("api_error".into()),
            code: None,
            param: Some("address.line1".into()),
        };
        t.errors_5xx_by_key.update(&key, |n| *n += 1);
        t.agents_all.update("curl/8.5.0", |n| *n += 3);
        b
    }

    #[test]
    fn frozen_tables_read_back_equal() {
        let live = counted();
        let mut frozen = live.clone();
        frozen.freeze();
        assert!(frozen.is_frozen());
        assert_eq!(frozen.tables(), live.tables());
        let t = frozen.tables();
        // The capped table keeps its rows and their errors.
        assert!(t.routes_5xx.capped());
        assert_eq!(t.routes_5xx.get("GET /a"), Some(&2));
        let c = t.routes_5xx.rows().find(|r| r.key == "GET /c");
        assert_eq!(
            c.map(|r| (*r.value, r.error)),
            Some((1, 1)),
            "c took b's place"
        );
        assert_eq!(t.routes_5xx.get("GET /b"), None);
        assert_eq!(t.agents_all.get("curl/8.5.0"), Some(&3));
    }

    #[test]
    fn a_merge_keeps_the_form_and_counts_as_live() {
        let mut live = counted();
        live.merge(counted());
        let mut frozen = counted();
        frozen.freeze();
        let mut theirs = counted();
        theirs.freeze();
        frozen.merge(theirs);
        assert!(frozen.is_frozen());
        assert!(!live.is_frozen());
        assert_eq!(frozen, live);
        assert_eq!(frozen.tables().agents_all.get("curl/8.5.0"), Some(&6));
    }

    #[test]
    fn counting_into_frozen_tables_thaws_them() {
        let mut b = counted();
        b.freeze();
        b.tables_mut().clients_5xx.update("::1", |n| *n += 1);
        assert!(!b.is_frozen());
        assert_eq!(b.tables().clients_5xx.get("::1"), Some(&1));
        assert_eq!(b.tables().routes_5xx.get("GET /a"), Some(&2));
    }
}
