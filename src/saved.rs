//! Saved JSON documents (`tail`'s checkpoint, `analyze --save-state`):
//! zstd-compressed, written atomically (temp file, fsync, rename, fsync of
//! the directory), so a crash at any moment leaves the old file or the new
//! one, never a mix; read back compressed or plain (told by zstd's magic
//! bytes), with a cap on what they may inflate to.

use serde::Serialize;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::Path;

/// The most a saved file may inflate to: far above what any settings make,
/// low enough that a forged one cannot exhaust memory.
const MAX_INFLATED: u64 = 1 << 30;
/// zstd's level: fast, and most of the gain.
const LEVEL: i32 = 3;

/// The bytes of the file at `path`, inflated when compressed; None when
/// there is no file. Bytes that do not inflate are `InvalidData`.
pub(crate) fn read_file(path: &Path) -> io::Result<Option<Vec<u8>>> {
    let bytes = match fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    if !bytes.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        return Ok(Some(bytes));
    }
    let mut inflated = Vec::new();
    let decoded = zstd::Decoder::new(&bytes[..])
        .and_then(|d| io::Read::read_to_end(&mut io::Read::take(d, MAX_INFLATED), &mut inflated));
    // Bytes that do not inflate are damage, not a failure to read.
    decoded.map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
    Ok(Some(inflated))
}

/// Writes `value` as compressed JSON to `temp`, then renames it to `path`.
pub(crate) fn write<T: Serialize>(temp: &Path, path: &Path, value: &T) -> io::Result<()> {
    {
        let mut z = zstd::Encoder::new(File::create(temp)?, LEVEL)?;
        serde_json::to_writer(&mut z, value)?;
        z.write_all(b"\n")?;
        z.finish()?.sync_all()?;
    }
    fs::rename(temp, path)?;
    // The rename itself must reach the disk too.
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    File::open(dir.unwrap_or(Path::new(".")))?.sync_all()
}
