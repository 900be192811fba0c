//! Where a dataset lives: a local directory or an `s3://bucket/prefix`.
//! Both get the same steps — lock (local only), read the manifest, sweep leftovers,
//! stage, publish, write the manifest — so the commit rule is one.

use super::manifest::{is_dataset_file_name, Manifest};
use anyhow::Context;
use std::fmt;
use std::path::{Path, PathBuf};

/// The manifest's name in the dataset's root.
pub(crate) const MANIFEST: &str = "_faultline_manifest.json";
/// Uncommitted objects in a bucket are removed as leftovers once this old.
#[cfg(feature = "s3")]
const SWEEP_AFTER_HOURS: i64 = 24;
/// Staging directories of local runs, in the dataset's root (the `_`
/// hides them from readers' partition discovery).
const STAGING: &str = "_staging-";
const LOCK: &str = "_faultline.lock";

/// Which manifest a run read, for its commit to check it is still there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ManifestVersion {
    /// None yet: a new dataset.
    Absent,
    /// An S3 object's entity tag.
    #[cfg_attr(not(feature = "s3"), allow(dead_code))]
    Tag(String),
    /// A local manifest (the lock keeps it), or an object its store gave
    /// no tag for.
    Untagged,
}

/// What committing a run's manifest did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Commit {
    Written,
    /// Another export committed since the manifest was read; nothing
    /// written. (Only on S3: a local dataset is locked.)
    #[cfg_attr(not(feature = "s3"), allow(dead_code))]
    Changed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Destination {
    Local(PathBuf),
    #[cfg(feature = "s3")]
    S3 {
        bucket: String,
        prefix: String,
    },
}

impl fmt::Display for Destination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Destination::Local(p) => write!(f, "{}", p.display()),
            #[cfg(feature = "s3")]
            Destination::S3 { bucket, prefix } => write!(f, "s3://{bucket}/{prefix}"),
        }
    }
}

/// A staging directory: removed when dropped (after publishing, or when
/// the run fails).
pub(crate) struct Staging {
    dir: PathBuf,
    temp: Option<tempfile::TempDir>,
}

impl Staging {
    pub(crate) fn path(&self) -> &Path {
        &self.dir
    }

    pub(crate) fn display(&self) -> std::path::Display<'_> {
        self.dir.display()
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if self.temp.is_none() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

impl Destination {
    /// `--out`: a local directory (created if missing) or `s3://bucket/prefix`.
    pub(crate) fn parse(arg: &str) -> Result<Self, String> {
        if arg.starts_with("s3://") {
            #[cfg(feature = "s3")]
            {
                let (bucket, prefix) = crate::input::s3::parse_url(arg)
                    .ok_or_else(|| format!("{arg}: not an s3://bucket/prefix URL"))?;
                let prefix = prefix.trim_end_matches('/');
                let prefix = if prefix.is_empty() {
                    String::new()
                } else {
                    format!("{prefix}/")
                };
                return Ok(Destination::S3 { bucket, prefix });
            }
            #[cfg(not(feature = "s3"))]
            return Err(format!(
                "{arg}: this build has no S3 support (cargo feature `s3`)"
            ));
        }
        let path = PathBuf::from(arg);
        if path.exists() && !path.is_dir() {
            return Err(format!("{arg}: exists and is not a directory"));
        }
        Ok(Destination::Local(path))
    }

    /// One export at a time into a local dataset: an exclusive lock on a
    /// file in it, released when the value drops (and by the OS when the
    /// process dies). S3 has no lock: exports there commit by a conditional
    /// write instead ([`Destination::commit`]).
    pub(crate) fn lock(&self) -> anyhow::Result<Option<std::fs::File>> {
        match self {
            Destination::Local(dir) => {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("{}: cannot create", dir.display()))?;
                let path = dir.join(LOCK);
                let file = std::fs::OpenOptions::new()
                    .create(true)
                    .truncate(false)
                    .write(true)
                    .open(&path)
                    .with_context(|| format!("{}: cannot open", path.display()))?;
                file.try_lock().map_err(|_| {
                    anyhow::anyhow!(
                        "{}: another export into this dataset is running",
                        dir.display()
                    )
                })?;
                Ok(Some(file))
            }
            #[cfg(feature = "s3")]
            Destination::S3 { .. } => Ok(None),
        }
    }

    /// The manifest (an empty one for a new dataset) and the version of it
    /// that was read, for [`Destination::commit`].
    pub(crate) fn read_manifest_version(&self) -> anyhow::Result<(Manifest, ManifestVersion)> {
        let (bytes, version) = match self {
            Destination::Local(dir) => match std::fs::read(dir.join(MANIFEST)) {
                Ok(b) => (Some(b), ManifestVersion::Untagged),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    (None, ManifestVersion::Absent)
                }
                Err(e) => return Err(e).context(format!("{self}/{MANIFEST}: cannot read")),
            },
            #[cfg(feature = "s3")]
            Destination::S3 { bucket, prefix } => {
                match crate::input::s3::get_small(bucket, &format!("{prefix}{MANIFEST}"))
                    .with_context(|| format!("{self}{MANIFEST}: cannot read"))?
                {
                    Some((b, Some(tag))) => (Some(b), ManifestVersion::Tag(tag)),
                    Some((b, None)) => (Some(b), ManifestVersion::Untagged),
                    None => (None, ManifestVersion::Absent),
                }
            }
        };
        let manifest = match bytes {
            None => Manifest::default(),
            Some(b) => Manifest::from_json(&b).map_err(|e| {
                anyhow::anyhow!("{self}: the dataset's manifest {MANIFEST} is damaged: {e}")
            })?,
        };
        Ok((manifest, version))
    }

    /// Replaces the manifest whole, which commits a run: a rename locally
    /// (under the export lock), one conditional PUT on S3 that succeeds only
    /// if the manifest is still the `version` read. `Changed`: another
    /// export committed meanwhile, and nothing was written.
    pub(crate) fn commit(&self, m: &Manifest, version: &ManifestVersion) -> anyhow::Result<Commit> {
        match self {
            Destination::Local(dir) => {
                // The export lock keeps a local manifest: no version to check.
                let _ = version;
                let tmp = dir.join(format!("{MANIFEST}.tmp"));
                std::fs::write(&tmp, m.to_json())
                    .with_context(|| format!("{}: cannot write", tmp.display()))?;
                std::fs::rename(&tmp, dir.join(MANIFEST))
                    .with_context(|| format!("{}/{MANIFEST}: cannot write", dir.display()))?;
                Ok(Commit::Written)
            }
            #[cfg(feature = "s3")]
            Destination::S3 { bucket, prefix } => {
                use crate::input::s3::{put_if, Put};
                let expected = match version {
                    ManifestVersion::Absent => None,
                    ManifestVersion::Tag(tag) => Some(tag.as_str()),
                    ManifestVersion::Untagged => anyhow::bail!(
                        "{self}{MANIFEST}: the store gave no entity tag (ETag) for the manifest, \
                         so a concurrent export cannot be told apart; with \
                         AWS_CONDITIONAL_PUT=disabled faultline commits without checking"
                    ),
                };
                let key = format!("{prefix}{MANIFEST}");
                match put_if(bucket, &key, m.to_json(), expected)
                    .with_context(|| format!("{self}{MANIFEST}: cannot write"))?
                {
                    Put::Written => Ok(Commit::Written),
                    Put::Changed => Ok(Commit::Changed),
                    Put::Unchecked => {
                        tracing::warn!(
                            dataset = %self,
                            "the store does not do conditional writes: committed without checking for a concurrent export"
                        );
                        Ok(Commit::Written)
                    }
                }
            }
        }
    }

    /// Removes what interrupted runs left: staging directories, and dataset
    /// files no manifest names (published, but never committed). Returns
    /// how many files it removed.
    pub(crate) fn sweep(&self, m: &Manifest) -> anyhow::Result<usize> {
        let named: std::collections::HashSet<&str> = m.files().collect();
        let mut removed = 0;
        match self {
            Destination::Local(dir) => {
                for entry in std::fs::read_dir(dir)
                    .with_context(|| format!("{}: cannot list", dir.display()))?
                {
                    let entry = entry?;
                    if entry.file_name().to_string_lossy().starts_with(STAGING) {
                        std::fs::remove_dir_all(entry.path()).with_context(|| {
                            format!("{}: cannot remove", entry.path().display())
                        })?;
                    }
                }
                for (rel, path) in dataset_files(dir)? {
                    if !named.contains(rel.as_str()) {
                        tracing::warn!(file = %path.display(), "removing a file an interrupted export left");
                        std::fs::remove_file(&path)
                            .with_context(|| format!("{}: cannot remove", path.display()))?;
                        removed += 1;
                    }
                }
            }
            // Exports into one prefix may run at once (no lock on S3): an
            // object no manifest names yet may be another run's, published
            // and about to be committed. Only those a day old are leftovers.
            #[cfg(feature = "s3")]
            Destination::S3 { bucket, prefix } => {
                let old_enough = chrono::Utc::now() - chrono::Duration::hours(SWEEP_AFTER_HOURS);
                for (key, written) in crate::input::s3::keys(bucket, prefix)? {
                    let Some(rel) = key.strip_prefix(prefix.as_str()) else {
                        continue;
                    };
                    if is_dataset_file_name(rel) && !named.contains(rel) && written < old_enough {
                        tracing::warn!(key, "removing an object an interrupted export left");
                        crate::input::s3::delete(bucket, &key)?;
                        removed += 1;
                    }
                }
            }
        }
        Ok(removed)
    }

    /// Where a run writes its files before publishing them: beside the
    /// dataset locally (so publishing is a rename), a temporary directory
    /// for S3.
    pub(crate) fn staging(&self, id: &str) -> anyhow::Result<Staging> {
        match self {
            Destination::Local(dir) => {
                let path = dir.join(format!("{STAGING}{id}"));
                std::fs::create_dir_all(&path)
                    .with_context(|| format!("{}: cannot create", path.display()))?;
                Ok(Staging {
                    dir: path,
                    temp: None,
                })
            }
            #[cfg(feature = "s3")]
            Destination::S3 { .. } => {
                let temp = tempfile::Builder::new()
                    .prefix("faultline-export-")
                    .tempdir()
                    .context("cannot create a temporary directory")?;
                Ok(Staging {
                    dir: temp.path().to_owned(),
                    temp: Some(temp),
                })
            }
        }
    }

    /// Removes the published, uncommitted file `rel` (a run that cannot
    /// commit takes its files back).
    pub(crate) fn unpublish(&self, rel: &str) -> anyhow::Result<()> {
        match self {
            Destination::Local(dir) => {
                let path = dir.join(rel);
                match std::fs::remove_file(&path) {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                        Err(e).with_context(|| format!("{}: cannot remove", path.display()))
                    }
                    _ => Ok(()),
                }
            }
            #[cfg(feature = "s3")]
            Destination::S3 { bucket, prefix } => {
                crate::input::s3::delete(bucket, &format!("{prefix}{rel}"))
                    .with_context(|| format!("{self}{rel}: cannot remove"))
            }
        }
    }

    /// Puts the staged file `from` at `rel` in the dataset.
    pub(crate) fn publish(&self, from: &Path, rel: &str) -> anyhow::Result<()> {
        match self {
            Destination::Local(dir) => {
                let to = dir.join(rel);
                if let Some(parent) = to.parent() {
                    std::fs::create_dir_all(parent)?;
                }
                std::fs::rename(from, &to)?;
                Ok(())
            }
            #[cfg(feature = "s3")]
            Destination::S3 { bucket, prefix } => {
                crate::input::s3::upload(bucket, &format!("{prefix}{rel}"), from)?;
                Ok(())
            }
        }
    }
}

/// The dataset files under `root` (`date=…/hour=…/*.parquet`), as
/// (relative name, path), sorted: the order `query` reads them in.
pub(crate) fn dataset_files(root: &Path) -> anyhow::Result<Vec<(String, PathBuf)>> {
    let mut out = Vec::new();
    let list = |dir: &Path| -> anyhow::Result<Vec<(String, PathBuf)>> {
        let mut v = Vec::new();
        for e in
            std::fs::read_dir(dir).with_context(|| format!("{}: cannot list", dir.display()))?
        {
            let e = e?;
            v.push((e.file_name().to_string_lossy().into_owned(), e.path()));
        }
        v.sort();
        Ok(v)
    };
    for (date, date_path) in list(root)? {
        if !date.starts_with("date=") || !date_path.is_dir() {
            continue;
        }
        for (hour, hour_path) in list(&date_path)? {
            if !hour.starts_with("hour=") || !hour_path.is_dir() {
                continue;
            }
            for (file, path) in list(&hour_path)? {
                let rel = format!("{date}/{hour}/{file}");
                if is_dataset_file_name(&rel) {
                    out.push((rel, path));
                }
            }
        }
    }
    Ok(out)
}

/// Whether `path` is a local dataset: a directory with a manifest.
fn is_dataset(path: &Path) -> bool {
    path.join(MANIFEST).is_file()
}

/// One committed file of a dataset, where a reader finds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DatasetFile {
    Local(PathBuf),
    #[cfg(feature = "s3")]
    S3 {
        bucket: String,
        key: String,
    },
}

impl Destination {
    /// The dataset named by `arg` (`query`'s PATH), with its manifest, or
    /// `None` when `arg` holds no manifest (a directory or `s3://` prefix of
    /// logs). A prefix in a bucket that does not exist is `None` too: read
    /// as logs, it fails there with the store's own message.
    pub(crate) fn existing(arg: &str) -> anyhow::Result<Option<(Destination, Manifest)>> {
        let dest = if arg.starts_with("s3://") {
            match Destination::parse(arg) {
                Ok(dest) => dest,
                // No S3 support, or not a bucket URL: logs, which fail there.
                Err(_) => return Ok(None),
            }
        } else if is_dataset(Path::new(arg)) {
            Destination::Local(PathBuf::from(arg))
        } else {
            return Ok(None);
        };
        match dest.read_manifest_version()? {
            (_, ManifestVersion::Absent) => Ok(None),
            (manifest, _) => Ok(Some((dest, manifest))),
        }
    }

    /// The committed file `name` (a manifest's `date=…/hour=…/….parquet`).
    pub(crate) fn file(&self, name: &str) -> DatasetFile {
        match self {
            Destination::Local(dir) => DatasetFile::Local(dir.join(name)),
            #[cfg(feature = "s3")]
            Destination::S3 { bucket, prefix } => DatasetFile::S3 {
                bucket: bucket.clone(),
                key: format!("{prefix}{name}"),
            },
        }
    }
}

/// Local paths of `files`, in their order: a local file as it is, an
/// object downloaded into `scratch` (Polars reads local files; the caller
/// removes `scratch`). Downloads run a few at a time, each streamed to disk,
/// so memory does not grow with the dataset.
// Without S3 support every file is local, and `scratch` goes unused.
#[cfg_attr(not(feature = "s3"), allow(unused_variables))]
pub(crate) fn local_paths(files: &[DatasetFile], scratch: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let downloaded = |i: usize| scratch.join(format!("dataset-{i:08}.parquet"));
    #[cfg(feature = "s3")]
    {
        let remote: Vec<(usize, &str, &str)> = files
            .iter()
            .enumerate()
            .filter_map(|(i, f)| match f {
                DatasetFile::S3 { bucket, key } => Some((i, bucket.as_str(), key.as_str())),
                DatasetFile::Local(_) => None,
            })
            .collect();
        if !remote.is_empty() {
            tracing::info!(files = remote.len(), "downloading the dataset's files");
        }
        download_all(&remote, &downloaded)?;
    }
    Ok(files
        .iter()
        .enumerate()
        .map(|(i, f)| match f {
            DatasetFile::Local(p) => p.clone(),
            #[cfg(feature = "s3")]
            DatasetFile::S3 { .. } => downloaded(i),
        })
        .collect())
}

/// Downloads at most this many objects at once.
#[cfg(feature = "s3")]
const DOWNLOADS: usize = 8;

/// Downloads each `(index, bucket, key)` to `to(index)`, [`DOWNLOADS`] at a
/// time; the first failure is the error.
#[cfg(feature = "s3")]
fn download_all(
    remote: &[(usize, &str, &str)],
    to: &(dyn Fn(usize) -> PathBuf + Sync),
) -> anyhow::Result<()> {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    let next = AtomicUsize::new(0);
    // After a failure the others stop: the run fails anyway.
    let failed = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..DOWNLOADS.min(remote.len()))
            .map(|_| {
                scope.spawn(|| -> anyhow::Result<()> {
                    while let Some(&(i, bucket, key)) =
                        remote.get(next.fetch_add(1, Ordering::Relaxed))
                    {
                        if failed.load(Ordering::Relaxed) {
                            break;
                        }
                        if let Err(e) = crate::input::s3::download(bucket, key, &to(i)) {
                            failed.store(true, Ordering::Relaxed);
                            return Err(anyhow::Error::from(e)
                                .context(format!("s3://{bucket}/{key}: cannot download")));
                        }
                    }
                    Ok(())
                })
            })
            .collect();
        workers.into_iter().try_for_each(|w| {
            w.join()
                .map_err(|_| anyhow::anyhow!("a download thread panicked"))?
        })
    })
}
