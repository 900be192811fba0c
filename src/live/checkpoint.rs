//! The checkpoint file: versioned JSON, zstd-compressed, written atomically
//! (temp file, fsync, rename, fsync of the directory), so a crash at any
//! moment leaves either the old checkpoint or the new one, never a mix.
//!
//! Compressed because a full `--max-keys` table of scanner paths and error
//! messages is megabytes of JSON that shrinks about sixfold, and it is
//! rewritten every few seconds. A plain `checkpoint.json` (one decompressed by
//! hand to look at or mend) is read too, when there is no compressed one.

use crate::saved;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// Bumped whenever the stored shape changes incompatibly (2: bounded tables).
pub(crate) const VERSION: u32 = 2;
const FILE_NAME: &str = "checkpoint.json.zst";
/// Read when there is no compressed checkpoint.
const PLAIN_NAME: &str = "checkpoint.json";
const TEMP_NAME: &str = "checkpoint.json.zst.tmp";

#[derive(Debug, thiserror::Error)]
pub(crate) enum CheckpointError {
    #[error("{path}: cannot read the checkpoint: {err}")]
    Io { path: PathBuf, err: io::Error },
    #[error("{path}: the checkpoint is corrupt ({err}); move it away to start afresh")]
    Corrupt {
        path: PathBuf,
        err: serde_json::Error,
    },
    #[error("{path}: the checkpoint is corrupt ({why}); move it away to start afresh")]
    Invalid { path: PathBuf, why: String },
    #[error("{path}: checkpoint version {found}, this faultline reads version {VERSION}; move it away to start afresh")]
    Version { path: PathBuf, found: u64 },
}

/// The path of the checkpoint file in a state directory.
pub(crate) fn path_in(dir: &Path) -> PathBuf {
    dir.join(FILE_NAME)
}

/// Reads the checkpoint of `dir`: `Ok(None)` when there is none yet; an error
/// (never a silent fresh start) when it cannot be used.
pub(crate) fn read<T: DeserializeOwned>(dir: &Path) -> Result<Option<T>, CheckpointError> {
    let mut path = path_in(dir);
    let mut found = saved::read_file(&path);
    if matches!(found, Ok(None)) {
        path = dir.join(PLAIN_NAME);
        found = saved::read_file(&path);
    }
    let bytes = match found {
        Ok(Some(b)) => b,
        Ok(None) => return Ok(None),
        Err(err) if err.kind() == io::ErrorKind::InvalidData => {
            let why = format!("it does not inflate: {err}");
            return Err(CheckpointError::Invalid { path, why });
        }
        Err(err) => return Err(CheckpointError::Io { path, err }),
    };
    let value: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|err| CheckpointError::Corrupt {
            path: path.clone(),
            err,
        })?;
    let found = value
        .get("version")
        .and_then(serde_json::Value::as_u64)
        .unwrap_or(0);
    if found != u64::from(VERSION) {
        return Err(CheckpointError::Version { path, found });
    }
    serde_json::from_value(value)
        .map(Some)
        .map_err(|err| CheckpointError::Corrupt { path, err })
}

/// Writes `value` (which must carry `"version": VERSION`) as the checkpoint of `dir`.
pub(crate) fn write<T: Serialize>(dir: &Path, value: &T) -> io::Result<()> {
    fs::create_dir_all(dir)?;
    saved::write(&dir.join(TEMP_NAME), &path_in(dir), value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Doc {
        version: u32,
        n: u64,
    }

    #[test]
    fn round_trip_missing_corrupt_and_wrong_version() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read::<Doc>(dir.path()).unwrap(), None);
        write(
            dir.path(),
            &Doc {
                version: VERSION,
                n: 7,
            },
        )
        .unwrap();
        assert_eq!(
            read::<Doc>(dir.path()).unwrap(),
            Some(Doc {
                version: VERSION,
                n: 7
            })
        );
        assert!(!dir.path().join(TEMP_NAME).exists());
        // A plain copy is read when there is no compressed one.
        let plain = dir.path().join(PLAIN_NAME);
        fs::write(&plain, format!("{{\"version\":{VERSION},\"n\":8}}")).unwrap();
        assert_eq!(read::<Doc>(dir.path()).unwrap().map(|d| d.n), Some(7));
        fs::remove_file(path_in(dir.path())).unwrap();
        assert_eq!(read::<Doc>(dir.path()).unwrap().map(|d| d.n), Some(8));
        fs::remove_file(&plain).unwrap();
        fs::write(path_in(dir.path()), "{\"version\":1,\"n\":").unwrap();
        assert!(matches!(
            read::<Doc>(dir.path()),
            Err(CheckpointError::Corrupt { .. })
        ));
        fs::write(path_in(dir.path()), "{\"version\":99,\"n\":1}").unwrap();
        let err = read::<Doc>(dir.path()).unwrap_err();
        assert!(err.to_string().contains("checkpoint version 99"), "{err}");
        // Damaged compressed bytes are corrupt too, not a panic.
        fs::write(path_in(dir.path()), [0x28, 0xb5, 0x2f, 0xfd, 1, 2, 3]).unwrap();
        assert!(matches!(
            read::<Doc>(dir.path()),
            Err(CheckpointError::Invalid { .. })
        ));
    }
}
