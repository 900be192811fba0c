//! Event chunks written as Parquet files, so that no command holds every
//! event in memory (SPEC §8).
//!
//! `query` and `export` spill each chunk their workers build into a
//! temporary directory ([`SpillDir`], removed when dropped, on error too)
//! and scan the files back lazily. The writer ([`ChunkWriter`]) knows
//! nothing of temporary directories: it writes one frame as one Parquet
//! file at a path relative to its directory.

use polars::prelude::*;
use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

/// Writes frames as Parquet files under one directory. Cheap to clone: each
/// worker owns one.
#[derive(Debug, Clone)]
pub(crate) struct ChunkWriter {
    dir: PathBuf,
    compression: ParquetCompression,
}

impl ChunkWriter {
    pub(crate) fn new(dir: impl Into<PathBuf>, compression: ParquetCompression) -> Self {
        ChunkWriter {
            dir: dir.into(),
            compression,
        }
    }

    /// For files read back once by this process: LZ4 costs far less CPU than
    /// zstd, and a spill lives only as long as the command.
    pub(crate) fn for_spill(dir: impl Into<PathBuf>) -> Self {
        Self::new(dir, ParquetCompression::Lz4Raw)
    }

    /// Writes `df` as the new file `name` (a relative path; missing parent
    /// directories are created) and returns its full path. An existing file
    /// is never overwritten: two chunks given one name is an error, not a
    /// silent loss of rows.
    pub(crate) fn write(&self, name: &Path, df: &mut DataFrame) -> PolarsResult<PathBuf> {
        let path = self.dir.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let file: File = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)?;
        ParquetWriter::new(std::io::BufWriter::new(file))
            .with_compression(self.compression)
            .finish(df)?;
        Ok(path)
    }
}

/// A temporary directory for spilled chunks, removed with everything in it
/// when dropped (at the end of the command, or when it fails).
#[derive(Debug)]
pub(crate) struct SpillDir {
    dir: tempfile::TempDir,
}

impl SpillDir {
    /// A new directory under the system's temporary directory (`TMPDIR`).
    pub(crate) fn new() -> std::io::Result<Self> {
        let dir = tempfile::Builder::new()
            .prefix("faultline-query-")
            .tempdir()?;
        Ok(SpillDir { dir })
    }

    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chunk_reads_back_and_is_never_overwritten() {
        let spill = SpillDir::new().unwrap();
        let w = ChunkWriter::for_spill(spill.path());
        let mut df = df!("a" => [1u64, 2, 3], "b" => [Some("x"), None, Some("z")]).unwrap();
        let path = w.write(Path::new("p/one.parquet"), &mut df).unwrap();
        assert_eq!(path, spill.path().join("p/one.parquet"));
        let back = ParquetReader::new(File::open(&path).unwrap())
            .finish()
            .unwrap();
        assert!(back.equals_missing(&df));
        assert!(w.write(Path::new("p/one.parquet"), &mut df).is_err());
        let dir = spill.path().to_owned();
        drop(spill);
        assert!(!dir.exists());
    }
}
