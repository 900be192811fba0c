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

    /// The sizes of the plain files the dataset holds, sorted, deduplicated:
    /// where a grown or rotated file's first bytes may be one of them.
    pub(crate) fn plain_sizes(&self) -> Vec<u64> {
        let mut sizes: Vec<u64> = self
            .runs
            .iter()
            .flat_map(|r| &r.sources)
            .filter(|s| s.lines.is_some() && s.bytes > 0)
            .map(|s| s.bytes)
            .collect();
        sizes.sort_unstable();
        sizes.dedup();
        sizes
    }

    /// The longest plain content the dataset holds that `print`'s file
    /// starts with: the file grew (or was rotated after growing) since.
    pub(crate) fn longest_prefix_of(&self, print: &Fingerprint) -> Option<&SourceRecord> {
        self.runs
            .iter()
            .flat_map(|r| &r.sources)
            .filter(|s| s.lines.is_some())
            .filter(|s| {
                print
                    .prefixes
                    .iter()
                    .any(|(len, hash)| *len == s.bytes && *hash == s.content)
            })
            .max_by_key(|s| s.bytes)
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
    /// The content of the file's first bytes at each length asked for that
    /// is shorter than the file (plain files only).
    pub(crate) prefixes: Vec<(u64, String)>,
}

impl Fingerprint {
    /// Reads `source` once (files), or asks its listing (S3 objects).
    /// `prefix_lens` (sorted): also fingerprint the first this many bytes.
    pub(crate) fn of(source: &Source, prefix_lens: &[u64]) -> std::io::Result<Self> {
        match source {
            Source::File(p) | Source::Found(p) => {
                Self::of_reader(std::fs::File::open(p)?, prefix_lens)
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
                prefixes: Vec::new(),
            }),
            Source::Stdin => Err(std::io::Error::other(
                "stdin has no content to recognise again; export files",
            )),
        }
    }

    /// One pass over the bytes: BLAKE3, newlines, and the hash at each of
    /// `prefix_lens` (sorted) shorter than the whole.
    pub(crate) fn of_reader(mut r: impl Read, prefix_lens: &[u64]) -> std::io::Result<Self> {
        let mut hasher = blake3::Hasher::new();
        let mut buf = vec![0u8; 1 << 20];
        let (mut bytes, mut newlines, mut last) = (0u64, 0u64, b'\n');
        let mut prefixes = Vec::new();
        let mut wanted = prefix_lens.iter().copied().filter(|&l| l > 0).peekable();
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
            let mut at = 0usize;
            // A prefix ending inside this chunk (or at its end, when more
            // follows: checked on the next read) gets its hash.
            while let Some(&len) = wanted.peek() {
                if len < bytes + at as u64 {
                    wanted.next();
                    continue;
                }
                if len > bytes + n as u64 {
                    break;
                }
                let cut = (len - bytes) as usize;
                if cut == n {
                    break;
                }
                hasher.update(&chunk[at..cut]);
                at = cut;
                prefixes.push((len, format!("blake3:{}", hasher.finalize().to_hex())));
                wanted.next();
            }
            hasher.update(&chunk[at..]);
            newlines += memchr::memchr_iter(b'\n', chunk).count() as u64;
            last = chunk[n - 1];
            bytes += n as u64;
        }
        let head = &head[..head_len];
        let compressed =
            head.starts_with(&[0x1f, 0x8b]) || head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]);
        let lines = (!compressed).then_some(newlines + u64::from(last != b'\n'));
        if compressed {
            prefixes.clear();
        }
        Ok(Fingerprint {
            content: format!("blake3:{}", hasher.finalize().to_hex()),
            bytes,
            lines,
            prefixes,
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
        let was = Fingerprint::of_reader(&old[..], &[]).unwrap();
        assert_eq!(was.lines, Some(2));
        let now = Fingerprint::of_reader(&new[..], &[1, was.bytes, 10]).unwrap();
        let one = Fingerprint::of_reader(&old[..1], &[]).unwrap();
        // Lengths past the end, or the whole file, are not prefixes.
        assert_eq!(
            now.prefixes,
            [(1, one.content.clone()), (was.bytes, was.content.clone())]
        );
        assert_eq!(now.lines, Some(3));
        assert_ne!(now.content, was.content);
        let whole = Fingerprint::of_reader(&old[..], &[was.bytes]).unwrap();
        assert!(whole.prefixes.is_empty());
        // A last line without a newline is a line.
        assert_eq!(
            Fingerprint::of_reader(&b"a\nb"[..], &[]).unwrap().lines,
            Some(2)
        );
    }

    /// Reads of any size: prefixes on, before and after read boundaries.
    #[test]
    fn prefixes_across_read_boundaries() {
        let big: Vec<u8> = (0..(3 << 20) + 10).map(|i| (i % 251) as u8).collect();
        let lens = [
            5,
            (1 << 20) - 1,
            1 << 20,
            (1 << 20) + 1,
            2 << 20,
            (3 << 20) + 9,
        ];
        let now = Fingerprint::of_reader(&big[..], &lens).unwrap();
        assert_eq!(now.prefixes.len(), lens.len());
        for (len, hash) in &now.prefixes {
            let want = Fingerprint::of_reader(&big[..*len as usize], &[]).unwrap();
            assert_eq!(*hash, want.content, "{len}");
        }
        assert_eq!(
            now.content,
            format!("blake3:{}", blake3::hash(&big).to_hex())
        );
    }

    #[test]
    fn compressed_files_have_no_lines_and_no_prefix() {
        let gz = [0x1f, 0x8b, 8, 0, 1, 2, 3];
        let f = Fingerprint::of_reader(&gz[..], &[2]).unwrap();
        assert_eq!(f.lines, None);
        assert!(f.prefixes.is_empty());
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
