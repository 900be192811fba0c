//! The dataset's manifest, `DIR/_faultline_manifest.json`: which runs wrote
//! which files, and the content of every input each run read. The leading
//! `_` keeps it out of Spark's and DuckDB's partition discovery.
//!
//! Content is known by a fingerprint: BLAKE3 of a file's bytes as stored
//! (compressed or not), or an S3 object's entity tag and size. The same
//! content under another name (a rotated `api.log` → `api.log.1`) is
//! skipped; a plain file whose first bytes are content the dataset holds
//! has grown, and only its later lines are new.

use crate::input::Source;
use serde::{Deserialize, Serialize};
use std::io::Read;

/// The manifest's format version.
pub(crate) const VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub(crate) struct Manifest {
    pub(crate) faultline_dataset: u32,
    pub(crate) runs: Vec<RunRecord>,
}

impl Default for Manifest {
    fn default() -> Self {
        Manifest {
            faultline_dataset: VERSION,
            runs: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub(crate) struct RunRecord {
    pub(crate) id: String,
    /// When it committed (RFC 3339).
    pub(crate) finished: String,
    /// The faultline version that wrote it.
    pub(crate) faultline: String,
    pub(crate) rows: u64,
    /// Its files, relative to the dataset's root.
    pub(crate) files: Vec<String>,
    pub(crate) sources: Vec<SourceRecord>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub(crate) struct SourceRecord {
    /// As the `source` column has it.
    pub(crate) name: String,
    /// `blake3:<hex>` or `s3-etag:<etag>:<size>`.
    pub(crate) content: String,
    /// Bytes as stored.
    pub(crate) bytes: u64,
    /// Lines in it, for plain files (what a later append starts after).
    pub(crate) lines: Option<u64>,
    /// Lines up to this one were in the dataset already (0: read whole).
    pub(crate) from_line: u64,
}

impl Manifest {
    /// Parses and checks a manifest: its version, and file names that stay
    /// inside the dataset.
    pub(crate) fn from_json(bytes: &[u8]) -> Result<Self, String> {
        let m: Manifest = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
        if m.faultline_dataset != VERSION {
            return Err(format!(
                "format version {} (this faultline reads {VERSION})",
                m.faultline_dataset
            ));
        }
        for f in m.runs.iter().flat_map(|r| &r.files) {
            if !is_dataset_file_name(f) {
                return Err(format!("{f:?} is not a dataset file name"));
            }
        }
        Ok(m)
    }

    pub(crate) fn to_json(&self) -> Vec<u8> {
        let mut out = serde_json::to_vec_pretty(self).unwrap_or_default();
        out.push(b'\n');
        out
    }

    /// The run that holds `content`, if one does.
    pub(crate) fn run_holding(&self, content: &str) -> Option<&str> {
        self.runs
            .iter()
            .find(|r| r.sources.iter().any(|s| s.content == content))
            .map(|r| r.id.as_str())
    }

    /// The latest record of the input named `name`.
    pub(crate) fn latest_of(&self, name: &str) -> Option<&SourceRecord> {
        self.runs
            .iter()
            .rev()
            .flat_map(|r| &r.sources)
            .find(|s| s.name == name)
    }

    /// Every file the manifest names.
    pub(crate) fn files(&self) -> impl Iterator<Item = &str> {
        self.runs
            .iter()
            .flat_map(|r| r.files.iter().map(String::as_str))
    }
}

/// `date=YYYY-MM-DD/hour=HH/NAME.parquet` with a plain name: what an export
/// writes, and nothing that could climb out of the dataset.
pub(crate) fn is_dataset_file_name(rel: &str) -> bool {
    let parts: Vec<&str> = rel.split('/').collect();
    let [date, hour, file] = parts.as_slice() else {
        return false;
    };
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let date_ok = date
        .strip_prefix("date=")
        .is_some_and(|d| d.len() == 10 && d.bytes().all(|b| b.is_ascii_digit() || b == b'-'));
    let hour_ok = hour
        .strip_prefix("hour=")
        .is_some_and(|h| h.len() == 2 && digits(h));
    let file_ok = file.ends_with(".parquet")
        && !file.starts_with('.')
        && file
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
    date_ok && hour_ok && file_ok
}

/// An input's content, and (for a plain file that may have grown) the
/// fingerprint of its first bytes.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Fingerprint {
    pub(crate) content: String,
    pub(crate) bytes: u64,
    /// Lines in a plain file (newlines, plus a last line without one).
    pub(crate) lines: Option<u64>,
    /// The content of the first `prefix_len` bytes asked for, when the
    /// file is that long or longer.
    pub(crate) prefix: Option<String>,
}

impl Fingerprint {
    /// Reads `source` once (files), or asks its listing (S3 objects).
    /// `prefix_len`: also fingerprint the first this many bytes.
    pub(crate) fn of(source: &Source, prefix_len: Option<u64>) -> std::io::Result<Self> {
        match source {
            Source::File(p) | Source::Found(p) => {
                Self::of_reader(std::fs::File::open(p)?, prefix_len)
            }
            #[cfg(feature = "s3")]
            Source::S3(o) => Ok(Fingerprint {
                content: match &o.e_tag {
                    Some(tag) => format!("s3-etag:{}:{}", tag.trim_matches('"'), o.size),
                    // No entity tag: the key, size and nothing better.
                    None => format!("s3-key:{}:{}", o.url(), o.size),
                },
                bytes: o.size,
                lines: None,
                prefix: None,
            }),
            Source::Stdin => Err(std::io::Error::other(
                "stdin has no content to recognise again; export files",
            )),
        }
    }

    pub(crate) fn of_reader(mut r: impl Read, prefix_len: Option<u64>) -> std::io::Result<Self> {
        let mut hasher = blake3::Hasher::new();
        let mut buf = vec![0u8; 1 << 20];
        let (mut bytes, mut newlines, mut last) = (0u64, 0u64, b'\n');
        let mut prefix = None;
        let mut head = [0u8; 4];
        let mut head_len = 0;
        loop {
            let n = match r.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            let chunk = &buf[..n];
            if bytes == 0 {
                head_len = n.min(head.len());
                head[..head_len].copy_from_slice(&chunk[..head_len]);
            }
            if let Some(p) = prefix_len.filter(|&p| p > bytes && p <= bytes + n as u64) {
                let cut = (p - bytes) as usize;
                hasher.update(&chunk[..cut]);
                prefix = Some(format!("blake3:{}", hasher.finalize().to_hex()));
                hasher.update(&chunk[cut..]);
            } else {
                hasher.update(chunk);
            }
            newlines += memchr::memchr_iter(b'\n', chunk).count() as u64;
            last = chunk[n - 1];
            bytes += n as u64;
        }
        if prefix_len == Some(0) {
            prefix = Some(format!("blake3:{}", blake3::hash(b"").to_hex()));
        }
        let compressed = head[..head_len].starts_with(&[0x1f, 0x8b])
            || head[..head_len].starts_with(&[0x28, 0xb5, 0x2f, 0xfd]);
        let lines = (!compressed).then_some(newlines + u64::from(last != b'\n'));
        Ok(Fingerprint {
            content: format!("blake3:{}", hasher.finalize().to_hex()),
            bytes,
            lines,
            prefix: prefix.filter(|_| !compressed),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_grown_file_keeps_the_fingerprint_of_what_it_was() {
        let old = b"a\nb\n";
        let new = b"a\nb\nc\n";
        let was = Fingerprint::of_reader(&old[..], None).unwrap();
        assert_eq!(was.lines, Some(2));
        let now = Fingerprint::of_reader(&new[..], Some(was.bytes)).unwrap();
        assert_eq!(now.prefix.as_deref(), Some(was.content.as_str()));
        assert_eq!(now.lines, Some(3));
        assert_ne!(now.content, was.content);
        // A prefix longer than the file is not there.
        let short = Fingerprint::of_reader(&old[..], Some(10)).unwrap();
        assert_eq!(short.prefix, None);
        // A last line without a newline is a line.
        assert_eq!(
            Fingerprint::of_reader(&b"a\nb"[..], None).unwrap().lines,
            Some(2)
        );
    }

    #[test]
    fn a_prefix_that_ends_on_a_read_boundary() {
        let big = vec![b'x'; (1 << 20) + 10];
        let was = Fingerprint::of_reader(&big[..1 << 20], None).unwrap();
        let now = Fingerprint::of_reader(&big[..], Some(1 << 20)).unwrap();
        assert_eq!(now.prefix.as_deref(), Some(was.content.as_str()));
    }

    #[test]
    fn compressed_files_have_no_lines_and_no_prefix() {
        let gz = [0x1f, 0x8b, 8, 0, 1, 2, 3];
        let f = Fingerprint::of_reader(&gz[..], Some(2)).unwrap();
        assert_eq!((f.lines, f.prefix), (None, None));
    }

    #[test]
    fn manifests_with_paths_outside_the_dataset_are_refused() {
        assert!(is_dataset_file_name(
            "date=2026-11-24/hour=09/x-00000000.parquet"
        ));
        for bad in [
            "../x.parquet",
            "date=2026-11-24/hour=09/../../x.parquet",
            "date=2026-11-24/hour=9/x.parquet",
            "/etc/passwd",
            "date=2026-11-24/hour=09/x.csv",
        ] {
            assert!(!is_dataset_file_name(bad), "{bad}");
        }
        let mut m = Manifest::default();
        m.runs.push(RunRecord {
            id: "r".into(),
            finished: "t".into(),
            faultline: "0".into(),
            rows: 0,
            files: vec!["../../x.parquet".into()],
            sources: vec![],
        });
        assert!(Manifest::from_json(&m.to_json()).is_err());
        m.runs[0].files = vec!["date=2026-11-24/hour=09/r-0.parquet".into()];
        assert_eq!(Manifest::from_json(&m.to_json()).unwrap(), m);
        assert!(Manifest::from_json(br#"{"faultline_dataset":2,"runs":[]}"#).is_err());
        assert!(Manifest::from_json(b"{").is_err());
    }
}
