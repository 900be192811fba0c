//! Opening a source: compression is chosen by magic bytes, never by name.

use super::Source;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// How an input is compressed, as `summary.inputs[].compression` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Compression {
    None,
    Gzip,
    Zstd,
}

impl Compression {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
        }
    }

    /// The compression [`Compression::name`] names.
    pub(crate) fn from_name(name: &str) -> Option<Compression> {
        [Compression::None, Compression::Gzip, Compression::Zstd]
            .into_iter()
            .find(|c| c.name() == name)
    }

    fn sniff(head: &[u8]) -> Compression {
        if head.starts_with(&[0x1f, 0x8b]) {
            Compression::Gzip
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Compression::Zstd
        } else {
            Compression::None
        }
    }
}

/// Counts bytes read from the underlying file (before decompression), so a
/// progress bar can compare them with the total size on disk.
struct Counted<R> {
    inner: R,
    counter: Arc<AtomicU64>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.counter.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// An opened source: decompressed bytes, and how they were compressed.
pub(crate) struct Opened {
    pub(crate) reader: Box<dyn Read + Send>,
    pub(crate) compression: Compression,
}

/// Opens `source`, sniffs its compression and returns a reader of the
/// decompressed bytes. Every gzip member is read (multi-member files, as
/// `cat a.gz b.gz` makes), and every zstd frame.
pub(crate) fn open(source: &Source, counter: Arc<AtomicU64>) -> io::Result<Opened> {
    let raw: Box<dyn Read + Send> = match source {
        Source::Stdin => Box::new(io::stdin()),
        Source::File(p) | Source::Found(p) => Box::new(File::open(p)?),
        #[cfg(feature = "s3")]
        Source::S3(o) => super::s3::open(o)?,
    };
    let mut buffered = BufReader::with_capacity(
        256 * 1024,
        Counted {
            inner: raw,
            counter,
        },
    );
    // A first read shorter than a magic number (2-4 bytes) would only make a
    // compressed pipe read as plain text, never lose data; it does not happen
    // with real files.
    let compression = Compression::sniff(buffered.fill_buf()?);
    let reader: Box<dyn Read + Send> = match compression {
        Compression::None => Box::new(buffered),
        Compression::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(buffered)),
        Compression::Zstd => Box::new(zstd::stream::read::Decoder::with_buffer(buffered)?),
    };
    Ok(Opened {
        reader,
        compression,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn read_all(bytes: &[u8]) -> (Compression, io::Result<Vec<u8>>) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        std::fs::write(&p, bytes).unwrap();
        let counter = Arc::new(AtomicU64::new(0));
        let mut opened = open(&Source::File(p), counter.clone()).unwrap();
        let mut out = Vec::new();
        let res = opened.reader.read_to_end(&mut out).map(|_| out);
        (opened.compression, res)
    }

    fn gz(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn multi_member_gzip_is_read_whole() {
        let mut bytes = gz(b"one\n");
        bytes.extend(gz(b"two\n"));
        let (c, data) = read_all(&bytes);
        assert_eq!(c, Compression::Gzip);
        assert_eq!(data.unwrap(), b"one\ntwo\n");
    }

    #[test]
    fn zstd_and_plain_by_magic_bytes() {
        let z = zstd::encode_all(&b"hello\n"[..], 3).unwrap();
        let (c, data) = read_all(&z);
        assert_eq!((c, data.unwrap()), (Compression::Zstd, b"hello\n".to_vec()));
        let (c, data) = read_all(b"plain\n");
        assert_eq!((c, data.unwrap()), (Compression::None, b"plain\n".to_vec()));
    }

    #[test]
    fn truncated_gzip_is_an_error_after_the_good_part() {
        let big: Vec<u8> = (0..20000)
            .flat_map(|i| format!("line {i}\n").into_bytes())
            .collect();
        let bytes = gz(&big);
        let (_, data) = read_all(&bytes[..bytes.len() / 2]);
        assert!(data.is_err());
    }
}
