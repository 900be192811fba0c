//! `s3://bucket/prefix` inputs: every object under the prefix, read as the
//! files of a directory would be (SPEC §2), streamed, never downloaded whole;
//! and the calls `export` and `query` make on a dataset in a bucket (a
//! manifest read and written conditionally, files uploaded, downloaded for
//! Polars, listed and deleted).
//!
//! The client is `object_store`'s, configured the AWS way from the
//! environment: `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` /
//! `AWS_SESSION_TOKEN`, `AWS_REGION` (or `AWS_DEFAULT_REGION`), web identity
//! (EKS) and the ECS / EC2 instance metadata credentials, and
//! `AWS_ENDPOINT_URL_S3` or `AWS_ENDPOINT_URL` for S3-compatible stores
//! (plain `http://` allowed there). Shared config files (`~/.aws/credentials` profiles) are not read.
//!
//! The engine reads synchronously on its reader threads; objects are
//! fetched on one small tokio runtime, and each open object's body arrives
//! through a bounded channel, a few chunks ahead of the reader: memory stays
//! at a few chunks per object whatever its size.

use super::Source;
use futures_util::{StreamExt, TryStreamExt};
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt};
use std::collections::HashMap;
use std::io::{self, Read};
use std::sync::{Arc, Mutex, OnceLock};

/// One object of a bucket.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct S3Object {
    pub(crate) bucket: String,
    pub(crate) key: String,
    /// Size and entity tag as listed: what `export`'s manifest knows the
    /// object's content by (an object is replaced, never appended to).
    pub(crate) size: u64,
    pub(crate) e_tag: Option<String>,
}

impl S3Object {
    pub(crate) fn url(&self) -> String {
        format!("s3://{}/{}", self.bucket, self.key)
    }
}

/// Chunks of an object's body held ahead of the reader.
const AHEAD: usize = 4;

fn runtime() -> io::Result<&'static tokio::runtime::Runtime> {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    if let Some(rt) = RT.get() {
        return Ok(rt);
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("faultline-s3")
        .enable_all()
        .build()?;
    Ok(RT.get_or_init(|| rt))
}

/// The client of a bucket, built once per run from the environment.
fn store(bucket: &str) -> io::Result<Arc<AmazonS3>> {
    static STORES: OnceLock<Mutex<HashMap<String, Arc<AmazonS3>>>> = OnceLock::new();
    let stores = STORES.get_or_init(Default::default);
    let mut stores = stores.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(s) = stores.get(bucket) {
        return Ok(s.clone());
    }
    let mut builder = AmazonS3Builder::from_env().with_bucket_name(bucket);
    // The credential chain's second link, after the environment and before
    // instance metadata: the shared files `aws configure` writes.
    if std::env::var_os("AWS_ACCESS_KEY_ID").is_none() {
        let profile = std::env::var("AWS_PROFILE").unwrap_or_else(|_| "default".to_owned());
        let home = std::env::var_os("HOME").map(std::path::PathBuf::from);
        let file = |var: &str, name: &str| {
            std::env::var_os(var)
                .map(std::path::PathBuf::from)
                .or_else(|| home.as_ref().map(|h| h.join(".aws").join(name)))
                .and_then(|p| std::fs::read_to_string(p).ok())
        };
        if let Some(text) = file("AWS_SHARED_CREDENTIALS_FILE", "credentials") {
            let keys = ini_section(&text, &profile);
            if let (Some(id), Some(secret)) = (
                keys.get("aws_access_key_id"),
                keys.get("aws_secret_access_key"),
            ) {
                builder = builder
                    .with_access_key_id(id)
                    .with_secret_access_key(secret);
                if let Some(token) = keys.get("aws_session_token") {
                    builder = builder.with_token(token);
                }
            }
        }
        if std::env::var_os("AWS_REGION").is_none()
            && std::env::var_os("AWS_DEFAULT_REGION").is_none()
        {
            if let Some(text) = file("AWS_CONFIG_FILE", "config") {
                // The config file names profiles `[profile NAME]`, but `[default]`.
                let section = if profile == "default" {
                    profile.clone()
                } else {
                    format!("profile {profile}")
                };
                if let Some(region) = ini_section(&text, &section).get("region") {
                    builder = builder.with_region(region);
                }
            }
        }
    }
    // The AWS SDKs' names: the S3-specific one first.
    let endpoint =
        std::env::var("AWS_ENDPOINT_URL_S3").or_else(|_| std::env::var("AWS_ENDPOINT_URL"));
    if let Ok(endpoint) = endpoint {
        // S3-compatible stores (MinIO, moto, Ceph) are addressed by path,
        // and often served over plain http on a private network.
        builder = builder
            .with_endpoint(&endpoint)
            .with_virtual_hosted_style_request(false)
            .with_allow_http(endpoint.starts_with("http://"));
    }
    let s = Arc::new(
        builder
            .build()
            .map_err(|e| io::Error::other(one_line(&e)))?,
    );
    stores.insert(bucket.to_owned(), s.clone());
    Ok(s)
}

/// The `key = value` pairs of section `[name]` of an INI text, as the AWS
/// shared credentials and config files hold them.
fn ini_section(text: &str, name: &str) -> HashMap<String, String> {
    let mut inside = false;
    let mut keys = HashMap::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(section) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            inside = section.trim() == name;
        } else if inside {
            if let Some((k, v)) = line.split_once('=') {
                keys.insert(k.trim().to_ascii_lowercase(), v.trim().to_owned());
            }
        }
    }
    keys
}

/// An error's text on one line. S3's own answer, when there is one, is
/// told by its code and message (`NoSuchBucket: The specified bucket does
/// not exist`) rather than by the whole request and XML body.
fn one_line(e: &dyn std::fmt::Display) -> String {
    let text = e.to_string();
    let tag = |name: &str| {
        let open = format!("<{name}>");
        let start = text.find(&open)? + open.len();
        let end = start + text[start..].find(&format!("</{name}>"))?;
        Some(text[start..end].trim().to_owned())
    };
    if let (Some(code), Some(message)) = (tag("Code"), tag("Message")) {
        return format!("{code}: {message}");
    }
    let mut line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.len() > 300 {
        let mut cut = 300;
        while !line.is_char_boundary(cut) {
            cut -= 1;
        }
        line.truncate(cut);
        line.push('…');
    }
    line
}

/// `s3://bucket/prefix` as (bucket, prefix); `None` when it is not one.
pub(crate) fn parse_url(arg: &str) -> Option<(String, String)> {
    let rest = arg.strip_prefix("s3://")?;
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    (!bucket.is_empty()).then(|| (bucket.to_owned(), prefix.to_owned()))
}

/// Every object under `s3://bucket/prefix` (or the one object it names),
/// hidden ones (a name starting with `.`) left out. An error — no such
/// bucket, access denied, no object there — is one line.
pub(crate) fn list(arg: &str) -> Result<Vec<Source>, String> {
    let (bucket, prefix) =
        parse_url(arg).ok_or_else(|| "not an s3://bucket/prefix URL".to_owned())?;
    let store = store(&bucket).map_err(|e| e.to_string())?;
    let rt = runtime().map_err(|e| e.to_string())?;
    let path = ObjectPath::from(prefix.trim_end_matches('/'));
    let metas = rt.block_on(async {
        let under: Vec<_> = store.list(Some(&path)).try_collect().await?;
        if under.is_empty() && !prefix.is_empty() && !prefix.ends_with('/') {
            // Not a folder: perhaps the key of one object.
            return match store.head(&path).await {
                Ok(meta) => Ok(vec![meta]),
                Err(object_store::Error::NotFound { .. }) => Ok(Vec::new()),
                Err(e) => Err(e),
            };
        }
        Ok(under)
    });
    let metas = metas.map_err(|e| one_line(&e))?;
    let objects: Vec<Source> = metas
        .into_iter()
        .filter(|m| !m.location.filename().is_some_and(|n| n.starts_with('.')))
        .map(|m| {
            Source::S3(S3Object {
                bucket: bucket.clone(),
                key: m.location.to_string(),
                size: m.size,
                e_tag: m.e_tag,
            })
        })
        .collect();
    if objects.is_empty() {
        return Err("no object under this prefix".to_owned());
    }
    Ok(objects)
}

/// The whole (small) object at `key` and its entity tag, or `None` when
/// there is none: the dataset manifest.
pub(crate) fn get_small(bucket: &str, key: &str) -> io::Result<Option<(Vec<u8>, Option<String>)>> {
    let store = store(bucket)?;
    let rt = runtime()?;
    let path = ObjectPath::from(key);
    rt.block_on(async {
        match store.get(&path).await {
            Ok(got) => {
                let e_tag = got.meta.e_tag.clone();
                Ok(Some((got.bytes().await?.to_vec(), e_tag)))
            }
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    })
    .map_err(|e| io::Error::other(one_line(&e)))
}

/// What a conditional write did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Put {
    /// The object was what the caller read, and is now `bytes`.
    Written,
    /// Another writer changed (or created, or deleted) it since: nothing written.
    Changed,
    /// The store does not do conditional writes (`AWS_CONDITIONAL_PUT=disabled`
    /// for one that rejects them): written unconditionally.
    Unchecked,
}

/// Writes `bytes` as the object `key` (one PUT: S3 makes it visible whole)
/// only if it is still the version the caller read: the entity tag
/// `e_tag`, or no object at all when `None` (S3's `If-Match` and
/// `If-None-Match` conditional writes).
pub(crate) fn put_if(
    bucket: &str,
    key: &str,
    bytes: Vec<u8>,
    e_tag: Option<&str>,
) -> io::Result<Put> {
    use object_store::{PutMode, UpdateVersion};
    let store = store(bucket)?;
    let rt = runtime()?;
    let path = ObjectPath::from(key);
    let mode = match e_tag {
        Some(tag) => PutMode::Update(UpdateVersion {
            e_tag: Some(tag.to_owned()),
            version: None,
        }),
        None => PutMode::Create,
    };
    let payload: object_store::PutPayload = bytes.into();
    match rt.block_on(store.put_opts(&path, payload.clone(), mode.into())) {
        Ok(_) => Ok(Put::Written),
        // A manifest deleted since it was read counts as changed; a
        // missing bucket on a create is an error.
        Err(
            object_store::Error::Precondition { .. } | object_store::Error::AlreadyExists { .. },
        ) => Ok(Put::Changed),
        Err(object_store::Error::NotFound { .. }) if e_tag.is_some() => Ok(Put::Changed),
        Err(object_store::Error::NotImplemented { .. }) => rt
            .block_on(store.put(&path, payload))
            .map(|_| Put::Unchecked)
            .map_err(|e| io::Error::other(one_line(&e))),
        Err(e) => Err(io::Error::other(one_line(&e))),
    }
}

/// Uploads the local file `from` as the object `key`, in parts of a few
/// MiB, so memory does not grow with the file.
pub(crate) fn upload(bucket: &str, key: &str, from: &std::path::Path) -> io::Result<()> {
    let store = store(bucket)?;
    let rt = runtime()?;
    let mut file = std::fs::File::open(from)?;
    rt.block_on(async {
        let upload = store
            .put_multipart(&ObjectPath::from(key))
            .await
            .map_err(|e| io::Error::other(one_line(&e)))?;
        let mut parts = object_store::WriteMultipart::new_with_chunk_size(upload, PART);
        let mut buf = vec![0u8; PART];
        loop {
            let n = file.read(&mut buf)?;
            if n == 0 {
                break;
            }
            // At most a few parts in flight: the upload keeps pace with the disk.
            parts
                .wait_for_capacity(2)
                .await
                .map_err(|e| io::Error::other(one_line(&e)))?;
            parts.write(&buf[..n]);
        }
        parts
            .finish()
            .await
            .map(drop)
            .map_err(|e| io::Error::other(one_line(&e)))
    })
}

/// Upload parts: S3's minimum part size is 5 MiB.
const PART: usize = 8 << 20;

/// The keys under `prefix` (a folder: it ends with `/` or is empty), with
/// when each was last written.
pub(crate) fn keys(
    bucket: &str,
    prefix: &str,
) -> io::Result<Vec<(String, chrono::DateTime<chrono::Utc>)>> {
    let store = store(bucket)?;
    let rt = runtime()?;
    let path = ObjectPath::from(prefix.trim_end_matches('/'));
    rt.block_on(async {
        let metas: Vec<_> = store.list(Some(&path)).try_collect().await?;
        Ok(metas
            .into_iter()
            .map(|m| (m.location.to_string(), m.last_modified))
            .collect())
    })
    .map_err(|e: object_store::Error| io::Error::other(one_line(&e)))
}

/// Deletes the object `key` (a missing one is not an error).
pub(crate) fn delete(bucket: &str, key: &str) -> io::Result<()> {
    let store = store(bucket)?;
    let rt = runtime()?;
    match rt.block_on(store.delete(&ObjectPath::from(key))) {
        Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
        Err(e) => Err(io::Error::other(one_line(&e))),
    }
}

/// Writes the object `key` to the local file `to`, streamed (a few chunks
/// in memory whatever its size).
pub(crate) fn download(bucket: &str, key: &str, to: &std::path::Path) -> io::Result<()> {
    let object = S3Object {
        bucket: bucket.to_owned(),
        key: key.to_owned(),
        size: 0,
        e_tag: None,
    };
    let mut body = open(&object)?;
    let mut file = std::fs::File::create(to)?;
    io::copy(&mut body, &mut file).map(drop)
}

/// A reader of an object's body, streamed.
pub(crate) fn open(object: &S3Object) -> io::Result<Box<dyn Read + Send>> {
    let store = store(&object.bucket)?;
    let rt = runtime()?;
    let path = ObjectPath::from(object.key.as_str());
    let (tx, rx) = tokio::sync::mpsc::channel::<io::Result<Vec<u8>>>(AHEAD);
    // Fail at open (exit 1 with the other input errors) when the object is
    // gone or denied, rather than as an empty input.
    let got = rt
        .block_on(store.get(&path))
        .map_err(|e| io::Error::other(one_line(&e)))?;
    rt.spawn(async move {
        let mut body = got.into_stream();
        while let Some(chunk) = body.next().await {
            let chunk = chunk
                .map(|b| b.to_vec())
                .map_err(|e| io::Error::other(one_line(&e)));
            let failed = chunk.is_err();
            // The reader went away (the run stopped early): stop fetching.
            if tx.send(chunk).await.is_err() || failed {
                break;
            }
        }
    });
    Ok(Box::new(Body {
        rx,
        chunk: Vec::new(),
        at: 0,
    }))
}

/// The body of an object as a `Read`: chunks from the fetching task.
struct Body {
    rx: tokio::sync::mpsc::Receiver<io::Result<Vec<u8>>>,
    chunk: Vec<u8>,
    at: usize,
}

impl Read for Body {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.at == self.chunk.len() {
            match self.rx.blocking_recv() {
                None => return Ok(0),
                Some(Err(e)) => return Err(e),
                Some(Ok(chunk)) => {
                    self.chunk = chunk;
                    self.at = 0;
                }
            }
        }
        let n = buf.len().min(self.chunk.len() - self.at);
        buf[..n].copy_from_slice(&self.chunk[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_files_sections() {
        let text = "[default]\naws_access_key_id = AKIA1\n# note\n[profile dev]\nregion=eu-west-1\n[dev]\nAWS_SECRET_ACCESS_KEY = s3cr3t\n";
        assert_eq!(
            ini_section(text, "default")
                .get("aws_access_key_id")
                .map(String::as_str),
            Some("AKIA1")
        );
        assert_eq!(
            ini_section(text, "profile dev")
                .get("region")
                .map(String::as_str),
            Some("eu-west-1")
        );
        assert_eq!(
            ini_section(text, "dev")
                .get("aws_secret_access_key")
                .map(String::as_str),
            Some("s3cr3t")
        );
        assert!(ini_section(text, "missing").is_empty());
    }

    #[test]
    fn urls() {
        assert_eq!(
            parse_url("s3://logs/AWSLogs/1/"),
            Some(("logs".into(), "AWSLogs/1/".into()))
        );
        assert_eq!(parse_url("s3://logs"), Some(("logs".into(), String::new())));
        assert_eq!(parse_url("s3:///x"), None);
        assert_eq!(parse_url("/var/log"), None);
    }
}
