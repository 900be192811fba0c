//! The checkpoint file: versioned JSON, written atomically (temp file, fsync,
//! rename, fsync of the directory), so a crash at any moment leaves either the
//! old checkpoint or the new one, never a mix.

use serde::de::DeserializeOwned;
use serde::Serialize;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Bumped whenever the stored shape changes incompatibly.
pub(crate) const VERSION: u32 = 1;
const FILE_NAME: &str = "checkpoint.json";
const TEMP_NAME: &str = "checkpoint.json.tmp";

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
    let path = path_in(dir);
    let bytes = match fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
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
    let temp = dir.join(TEMP_NAME);
    {
        let mut f = File::create(&temp)?;
        serde_json::to_writer(&mut f, value)?;
        f.write_all(b"\n")?;
        f.sync_all()?;
    }
    fs::rename(&temp, path_in(dir))?;
    // The rename itself must reach the disk too.
    File::open(dir)?.sync_all()
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
        fs::write(path_in(dir.path()), "{\"version\":1,\"n\":").unwrap();
        assert!(matches!(
            read::<Doc>(dir.path()),
            Err(CheckpointError::Corrupt { .. })
        ));
        fs::write(path_in(dir.path()), "{\"version\":99,\"n\":1}").unwrap();
        let err = read::<Doc>(dir.path()).unwrap_err();
        assert!(err.to_string().contains("checkpoint version 99"), "{err}");
    }
}
