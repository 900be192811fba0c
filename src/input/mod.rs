//! Inputs: which files to read (paths, directories, globs, stdin) and how to
//! open them (compression sniffed from magic bytes). Cutting them into lines
//! is the engine's (`engine::blocks`); `lines` here is the tests' reference.

#[cfg(test)]
pub(crate) mod lines;
pub(crate) mod open;
#[cfg(feature = "s3")]
pub(crate) mod s3;

use std::path::{Path, PathBuf};

/// One thing to read.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Source {
    Stdin,
    /// A file named on the command line (or matched by a glob).
    File(PathBuf),
    /// A file found by walking a directory: skipped when it turns out not to
    /// be a log (a README, a PID file), since nobody asked for it by name.
    Found(PathBuf),
    /// An object found under an `s3://bucket/prefix` argument (read as a
    /// file found in a directory is).
    #[cfg(feature = "s3")]
    S3(s3::S3Object),
}

impl Source {
    /// The name used in reports and the `source` column.
    pub(crate) fn display_name(&self) -> String {
        match self {
            Source::Stdin => "<stdin>".to_owned(),
            Source::File(p) | Source::Found(p) => p.display().to_string(),
            #[cfg(feature = "s3")]
            Source::S3(o) => o.url(),
        }
    }

    /// Whether it was found rather than named (SPEC §2: skipped when it
    /// turns out not to be a log).
    pub(crate) fn found(&self) -> bool {
        match self {
            Source::Found(_) => true,
            #[cfg(feature = "s3")]
            Source::S3(_) => true,
            _ => false,
        }
    }

    /// The file's path; None for stdin.
    pub(crate) fn path(&self) -> Option<&Path> {
        match self {
            Source::File(p) | Source::Found(p) => Some(p),
            _ => None,
        }
    }
}

/// A path argument that cannot be read: the run stops before any work (exit 2).
#[derive(Debug, thiserror::Error)]
pub(crate) enum ResolveError {
    #[error("{0}: no such file or directory")]
    NotFound(String),
    #[error("{0}: no file matches this pattern")]
    NoMatch(String),
    #[error("{0}: bad glob pattern: {1}")]
    BadGlob(String, String),
    #[error("{path}: cannot read: {err}")]
    Unreadable { path: String, err: std::io::Error },
    #[error("{0}: {1}")]
    S3(String, String),
}

/// Expands path arguments into the sorted, de-duplicated list of sources.
/// `-` is stdin; directories are walked (hidden entries skipped); arguments
/// holding `*`, `?` or `[` that name no existing file are glob patterns.
///
/// The order is chronological for rotated sets (`api.log.2.gz`, `api.log.1`,
/// `api.log`) so that reports list inputs the way an operator thinks of them;
/// no result depends on it.
pub(crate) fn resolve(args: &[String]) -> Result<Vec<Source>, ResolveError> {
    let mut out = Vec::new();
    for arg in args {
        if arg == "-" {
            out.push(Source::Stdin);
            continue;
        }
        if arg.starts_with("s3://") {
            #[cfg(feature = "s3")]
            out.extend(s3::list(arg).map_err(|e| ResolveError::S3(arg.clone(), e))?);
            #[cfg(not(feature = "s3"))]
            return Err(ResolveError::S3(
                arg.clone(),
                "this build has no S3 support (cargo feature `s3`)".into(),
            ));
            #[cfg(feature = "s3")]
            continue;
        }
        let path = Path::new(arg);
        if path.exists() {
            add_path(path, &mut out)?;
        } else if arg.contains(['*', '?', '[']) {
            let matches =
                glob::glob(arg).map_err(|e| ResolveError::BadGlob(arg.clone(), e.to_string()))?;
            let before = out.len();
            for m in matches {
                let p = m.map_err(|e| ResolveError::Unreadable {
                    path: e.path().display().to_string(),
                    err: std::io::Error::other(e.to_string()),
                })?;
                if !is_hidden(&p) {
                    add_path(&p, &mut out)?;
                }
            }
            if out.len() == before {
                return Err(ResolveError::NoMatch(arg.clone()));
            }
        } else {
            return Err(ResolveError::NotFound(arg.clone()));
        }
    }
    out.sort_by_cached_key(sort_key);
    // A file both named and found in a directory is the named one (it sorts first).
    out.dedup_by(|later, earlier| same_input(later, earlier));
    Ok(out)
}

/// Whether two sources are one input (a file both named and found).
fn same_input(a: &Source, b: &Source) -> bool {
    match (a, b) {
        #[cfg(feature = "s3")]
        (Source::S3(x), Source::S3(y)) => x == y,
        #[cfg(feature = "s3")]
        (Source::S3(_), _) | (_, Source::S3(_)) => false,
        _ => a.path() == b.path(),
    }
}

fn add_path(path: &Path, out: &mut Vec<Source>) -> Result<(), ResolveError> {
    let unreadable = |err: std::io::Error| ResolveError::Unreadable {
        path: path.display().to_string(),
        err,
    };
    if path.is_dir() {
        let walker = walkdir::WalkDir::new(path)
            .follow_links(true)
            .into_iter()
            .filter_entry(|e| e.depth() == 0 || !is_hidden(e.path()));
        for entry in walker {
            let entry = entry.map_err(|e| unreadable(e.into()))?;
            if entry.file_type().is_file() {
                out.push(Source::Found(entry.into_path()));
            }
        }
    } else {
        // Fail now, before any work, rather than half-way through the run.
        std::fs::File::open(path).map_err(unreadable)?;
        out.push(Source::File(path.to_path_buf()));
    }
    Ok(())
}

fn is_hidden(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with('.') && n != "." && n != "..")
}

/// (directory, base name, newest-last rotation rank, full path, named
/// before found). `api.log.3.gz` has base `api.log` and rank -3; `api.log`
/// has rank 0, so it sorts last.
pub(crate) fn sort_key(source: &Source) -> (u8, PathBuf, String, i64, PathBuf, bool) {
    // Objects sort like files, by their URL.
    #[cfg(feature = "s3")]
    let url;
    let path = match source {
        Source::Stdin => return (1, PathBuf::new(), String::new(), 0, PathBuf::new(), false),
        Source::File(p) | Source::Found(p) => p.as_path(),
        #[cfg(feature = "s3")]
        Source::S3(o) => {
            url = PathBuf::from(o.url());
            url.as_path()
        }
    };
    let found = source.found();
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut base = name.as_str();
    for ext in [".gz", ".zst", ".zstd"] {
        base = base.strip_suffix(ext).unwrap_or(base);
    }
    let (base, rank) = match base.rsplit_once('.') {
        Some((b, n)) if !n.is_empty() && n.len() <= 4 && n.bytes().all(|c| c.is_ascii_digit()) => {
            (b, -n.parse::<i64>().unwrap_or(0))
        }
        _ => (base, 0),
    };
    (0, dir, base.to_owned(), rank, path.to_path_buf(), found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotated_sets_sort_oldest_first() {
        let names = [
            "api.log",
            "api.log.1",
            "api.log.10.gz",
            "api.log.2.gz",
            "api.log.3.zst",
            "web.log",
        ];
        let mut sources: Vec<Source> = names
            .iter()
            .map(|n| Source::File(PathBuf::from(n)))
            .collect();
        sources.reverse();
        sources.sort_by_cached_key(sort_key);
        let got: Vec<String> = sources.iter().map(Source::display_name).collect();
        assert_eq!(
            got,
            [
                "api.log.10.gz",
                "api.log.3.zst",
                "api.log.2.gz",
                "api.log.1",
                "api.log",
                "web.log"
            ]
        );
    }

    #[test]
    fn missing_paths_and_empty_globs_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope.log").display().to_string();
        assert!(matches!(
            resolve(&[missing]),
            Err(ResolveError::NotFound(_))
        ));
        let glob = dir.path().join("*.log").display().to_string();
        assert!(matches!(resolve(&[glob]), Err(ResolveError::NoMatch(_))));
    }

    #[test]
    fn directories_skip_hidden_entries_and_dedupe() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.log"), "x").unwrap();
        std::fs::write(dir.path().join(".hidden.log"), "x").unwrap();
        std::fs::create_dir(dir.path().join(".git")).unwrap();
        std::fs::write(dir.path().join(".git").join("b.log"), "x").unwrap();
        let d = dir.path().display().to_string();
        let a = dir.path().join("a.log").display().to_string();
        let got = resolve(&[d.clone(), a]).unwrap();
        assert_eq!(got, vec![Source::File(dir.path().join("a.log"))]);
        let got = resolve(&[d]).unwrap();
        assert_eq!(got, vec![Source::Found(dir.path().join("a.log"))]);
    }
}
