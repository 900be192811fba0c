//! Partial states (SPEC §9): `analyze --save-state FILE` writes the merged
//! aggregate with its inputs and settings; `merge` reads several, checks
//! they were made alike, renumbers their inputs into the order one
//! `analyze` over all of them would have given, and merges the aggregates —
//! the same merge the engine's workers go through, so the report is the
//! same.
//!
//! The file is zstd-compressed JSON (see [`crate::saved`]), versioned, and
//! checked on load like a checkpoint: a damaged or forged state is refused
//! (exit 2), never a panic or a wrong report.

use crate::aggregate::{AggConfig, Aggregate};
use crate::engine::InputOutcome;
use crate::input::open::Compression;
use crate::input::Source;
use crate::parse::Format;
use crate::periods::DetectConfig;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Bumped whenever the stored shape changes incompatibly.
pub(crate) const VERSION: u32 = 1;

/// What one `analyze` read and counted.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct SavedState {
    pub(crate) faultline_state: u32,
    /// The faultline version that wrote it (informational).
    pub(crate) faultline: String,
    pub(crate) settings: Settings,
    pub(crate) inputs: Vec<SavedInput>,
    pub(crate) aggregate: Aggregate,
}

/// The settings that shape the counts and the periods: states merge only
/// when these are equal. (How lines were parsed may differ: one host's
/// nginx and another's ALB logs merge fine.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Settings {
    pub(crate) bucket_us: i64,
    pub(crate) since: Option<i64>,
    pub(crate) until: Option<i64>,
    pub(crate) max_keys: usize,
    pub(crate) min_errors: u64,
    pub(crate) min_ratio_ppm: u64,
    pub(crate) sparse_ratio_ppm: Option<u64>,
    pub(crate) max_gap: u64,
    pub(crate) min_duration_us: i64,
}

impl Settings {
    pub(crate) fn of(agg: AggConfig, d: &DetectConfig) -> Self {
        Settings {
            bucket_us: agg.bucket_us,
            since: agg.since,
            until: agg.until,
            max_keys: agg.max_keys,
            min_errors: d.min_errors,
            min_ratio_ppm: d.min_ratio_ppm,
            sparse_ratio_ppm: d.sparse_ratio_ppm,
            max_gap: d.max_gap,
            min_duration_us: d.min_duration_us,
        }
    }

    pub(crate) fn detect(&self) -> DetectConfig {
        DetectConfig {
            bucket_us: self.bucket_us,
            min_errors: self.min_errors,
            min_ratio_ppm: self.min_ratio_ppm,
            sparse_ratio_ppm: self.sparse_ratio_ppm,
            max_gap: self.max_gap,
            min_duration_us: self.min_duration_us,
        }
    }

    /// The flags that differ between two settings, as `--flag a vs b`.
    fn differences(&self, other: &Settings) -> Vec<String> {
        let secs = |us: i64| format!("{}s", us as f64 / 1e6);
        let pct = |ppm: u64| format!("{}%", ppm as f64 / 1e4);
        let time = |t: Option<i64>| t.map_or("(none)".to_owned(), crate::event::format_ts);
        let mut out = Vec::new();
        let mut diff = |flag: &str, a: String, b: String| {
            if a != b {
                out.push(format!("{flag} {a} vs {b}"));
            }
        };
        diff("--bucket", secs(self.bucket_us), secs(other.bucket_us));
        diff("--since", time(self.since), time(other.since));
        diff("--until", time(self.until), time(other.until));
        diff(
            "--max-keys",
            self.max_keys.to_string(),
            other.max_keys.to_string(),
        );
        diff(
            "--min-errors",
            self.min_errors.to_string(),
            other.min_errors.to_string(),
        );
        diff(
            "--min-ratio",
            pct(self.min_ratio_ppm),
            pct(other.min_ratio_ppm),
        );
        let sparse = |s: Option<u64>| s.map_or("off".to_owned(), pct);
        diff(
            "--min-ratio-sparse",
            sparse(self.sparse_ratio_ppm),
            sparse(other.sparse_ratio_ppm),
        );
        diff(
            "--max-gap",
            self.max_gap.to_string(),
            other.max_gap.to_string(),
        );
        diff(
            "--for",
            secs(self.min_duration_us),
            secs(other.min_duration_us),
        );
        out
    }
}

/// One input as the report shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct SavedInput {
    pub(crate) path: String,
    /// Found by walking a directory (or listed under an S3 prefix), not named.
    pub(crate) found: bool,
    pub(crate) format: Option<String>,
    pub(crate) compression: Option<String>,
    pub(crate) lines: u64,
    pub(crate) error: Option<String>,
    pub(crate) skipped: Option<String>,
    pub(crate) recognized: bool,
}

impl SavedInput {
    fn of(o: &InputOutcome) -> Self {
        SavedInput {
            path: o.source.display_name(),
            found: o.source.found(),
            format: o.format.map(|f| f.name().to_owned()),
            compression: o.compression.map(|c| c.name().to_owned()),
            lines: o.lines,
            error: o.error.clone(),
            skipped: o.skipped.clone(),
            recognized: o.recognized,
        }
    }

    /// Back to an outcome; its source is a path that sorts and prints as
    /// the original did (an S3 object by its URL).
    fn outcome(&self) -> Result<InputOutcome, String> {
        let path = PathBuf::from(&self.path);
        let source = if self.path == "<stdin>" && !self.found {
            Source::Stdin
        } else if self.found {
            Source::Found(path)
        } else {
            Source::File(path)
        };
        let format = match &self.format {
            None => None,
            Some(f) => Some(Format::from_name(f).ok_or(format!("unknown format {f:?}"))?),
        };
        let compression = match &self.compression {
            None => None,
            Some(c) => Some(Compression::from_name(c).ok_or(format!("unknown compression {c:?}"))?),
        };
        Ok(InputOutcome {
            source,
            format,
            compression,
            lines: self.lines,
            error: self.error.clone(),
            skipped: self.skipped.clone(),
            recognized: self.recognized,
        })
    }
}

/// Why states cannot be used or merged: exit 2, nothing printed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum StateError {
    #[error("{path}: cannot read the state: {err}")]
    Io { path: PathBuf, err: std::io::Error },
    #[error("{path}: the state is damaged ({why})")]
    Damaged { path: PathBuf, why: String },
    #[error("{path}: state version {found}, this faultline reads version {VERSION}")]
    Version { path: PathBuf, found: u64 },
    #[error("{path} was made with other settings than {first}: {diff}; analyze again with the same flags")]
    Settings {
        path: PathBuf,
        first: PathBuf,
        diff: String,
    },
}

impl SavedState {
    pub(crate) fn new(
        agg: Aggregate,
        outcomes: &[InputOutcome],
        detect: &DetectConfig,
    ) -> SavedState {
        SavedState {
            faultline_state: VERSION,
            faultline: env!("CARGO_PKG_VERSION").to_owned(),
            settings: Settings::of(agg.config, detect),
            inputs: outcomes.iter().map(SavedInput::of).collect(),
            aggregate: agg,
        }
    }

    /// Writes the state atomically (a temporary file beside it, renamed).
    pub(crate) fn save(&self, path: &Path) -> std::io::Result<()> {
        let mut temp = path.as_os_str().to_owned();
        temp.push(".tmp");
        crate::saved::write(Path::new(&temp), path, self)
    }

    /// Reads and checks a state.
    pub(crate) fn load(path: &Path) -> Result<SavedState, StateError> {
        let damaged = |why: String| StateError::Damaged {
            path: path.to_owned(),
            why,
        };
        let bytes = match crate::saved::read_file(path) {
            Ok(Some(b)) => b,
            Ok(None) => {
                return Err(StateError::Io {
                    path: path.to_owned(),
                    err: std::io::ErrorKind::NotFound.into(),
                })
            }
            Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
                return Err(damaged(format!("it does not inflate: {e}")))
            }
            Err(err) => {
                return Err(StateError::Io {
                    path: path.to_owned(),
                    err,
                })
            }
        };
        // The version first, without building the document as a tree (a
        // state is megabytes): the other fields are skipped, not kept.
        #[derive(Deserialize)]
        struct Version {
            faultline_state: Option<u64>,
        }
        let version: Version =
            serde_json::from_slice(&bytes).map_err(|e| damaged(e.to_string()))?;
        let found = version
            .faultline_state
            .ok_or_else(|| damaged("not a faultline state".to_owned()))?;
        if found != u64::from(VERSION) {
            return Err(StateError::Version {
                path: path.to_owned(),
                found,
            });
        }
        let state: SavedState =
            serde_json::from_slice(&bytes).map_err(|e| damaged(e.to_string()))?;
        state.check().map_err(damaged)?;
        Ok(state)
    }

    /// What every state this code writes holds.
    fn check(&self) -> Result<(), String> {
        let agg = &self.aggregate;
        agg.check()?;
        let s = &self.settings;
        if agg.config.bucket_us != s.bucket_us
            || agg.config.since != s.since
            || agg.config.until != s.until
            || agg.config.max_keys != s.max_keys
        {
            return Err("the aggregate's settings are not the state's".to_owned());
        }
        if s.max_keys == 0 || s.max_keys > u32::MAX as usize {
            return Err("--max-keys out of range".to_owned());
        }
        let inputs = self.inputs.len();
        if inputs > u32::MAX as usize {
            return Err("too many inputs".to_owned());
        }
        if agg.max_source().is_some_and(|s| s as usize >= inputs) {
            return Err("a sample or example names an input that is not there".to_owned());
        }
        let lines = self
            .inputs
            .iter()
            .map(|i| i.lines)
            .try_fold(0u64, u64::checked_add);
        if lines != Some(agg.lines) {
            return Err("the inputs' lines do not add up to the aggregate's".to_owned());
        }
        for i in &self.inputs {
            i.outcome()?;
        }
        Ok(())
    }
}

/// The merge of several states: the aggregate, the inputs in the order one
/// `analyze` over all of them would have, and the detection settings.
pub(crate) struct Merged {
    pub(crate) aggregate: Aggregate,
    pub(crate) outcomes: Vec<InputOutcome>,
    pub(crate) detect: DetectConfig,
}

/// Merges the state files at `paths`, which must have been made with equal
/// settings. Inputs that two states both name (every host of a fleet logs
/// to `/var/log/nginx/access.log`) are kept apart: each is then named
/// `STATE-FILE:PATH`.
///
/// Two passes, so memory holds one state at a time besides the total,
/// however many hosts: the first reads every state's settings and inputs
/// (the order of all inputs must be known before any aggregate is
/// renumbered), the second merges their aggregates one by one. A state
/// that changed in between is refused.
pub(crate) fn merge_files(paths: &[PathBuf]) -> Result<Merged, StateError> {
    let mut heads: Vec<(Settings, Vec<SavedInput>)> = Vec::with_capacity(paths.len());
    for path in paths {
        let s = SavedState::load(path)?;
        heads.push((s.settings, s.inputs));
    }
    let Some(((settings, _), first_path)) = heads.first().zip(paths.first()) else {
        return Err(StateError::Damaged {
            path: PathBuf::new(),
            why: "no state".to_owned(),
        });
    };
    let settings = *settings;
    for ((s, _), path) in heads.iter().zip(paths) {
        let diff = settings.differences(s);
        if !diff.is_empty() {
            return Err(StateError::Settings {
                path: path.clone(),
                first: first_path.clone(),
                diff: diff.join(", "),
            });
        }
    }
    let mut seen = std::collections::HashMap::<&str, usize>::new();
    for (_, inputs) in &heads {
        for i in inputs {
            *seen.entry(i.path.as_str()).or_default() += 1;
        }
    }
    let shared: std::collections::HashSet<String> = seen
        .into_iter()
        .filter(|&(_, n)| n > 1)
        .map(|(p, _)| p.to_owned())
        .collect();

    // Every input with its state and its index there, in `analyze`'s order.
    let mut all: Vec<(usize, u32, InputOutcome)> = Vec::new();
    for (k, ((_, inputs), path)) in heads.iter().zip(paths).enumerate() {
        for (i, input) in inputs.iter().enumerate() {
            let mut input = input.clone();
            if shared.contains(&input.path) {
                input.path = format!("{}:{}", path.display(), input.path);
            }
            let outcome = input.outcome().map_err(|why| StateError::Damaged {
                path: path.clone(),
                why,
            })?;
            all.push((k, i as u32, outcome));
        }
    }
    all.sort_by_cached_key(|(k, i, o)| (crate::input::sort_key(&o.source), *k, *i));
    let mut index: Vec<Vec<u32>> = heads
        .iter()
        .map(|(_, inputs)| vec![0; inputs.len()])
        .collect();
    for (new, (k, i, _)) in all.iter().enumerate() {
        index[*k][*i as usize] = new as u32;
    }

    let mut total = Aggregate::new(AggConfig {
        bucket_us: settings.bucket_us,
        since: settings.since,
        until: settings.until,
        max_keys: settings.max_keys,
    });
    for (k, path) in paths.iter().enumerate() {
        let s = SavedState::load(path)?;
        if s.settings != heads[k].0 || s.inputs != heads[k].1 {
            return Err(StateError::Damaged {
                path: path.clone(),
                why: "it changed while being merged".to_owned(),
            });
        }
        let mut agg = s.aggregate;
        agg.remap_sources(|i| index[k][i as usize]);
        total.merge(agg);
    }
    Ok(Merged {
        aggregate: total,
        outcomes: all.into_iter().map(|(_, _, o)| o).collect(),
        detect: settings.detect(),
    })
}
