//! The local document store: the [`DocumentStore`] port over a directory.
//!
//! Keys map to files under the root. Only keys made of `[A-Za-z0-9._/@+=-]`
//! in non-empty segments, none starting with a dot, are accepted, so nothing
//! can escape the root (no `..`, no absolute path, no backslash, no NUL) and
//! the store's own temporary files (dot files) never collide with a key.
//! Writes are atomic: a temporary file in the same directory, then a rename.
//!
//! Upload and download URLs point at the local runner's `/_local/blobs/{key}`
//! and carry an HMAC-SHA256 signature over the method, the key, the expiry
//! and, for uploads, the content type and length. The runner checks them with
//! [`FolderDocumentStore::verify_signed_put`] and
//! [`FolderDocumentStore::verify_signed_get`], refusing what S3 would refuse.

use std::collections::BTreeMap;
use std::io::{ErrorKind, Write as _};
use std::path::{Path, PathBuf};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use url::form_urlencoded;

use crate::ports::documents::{DocumentStore, DocumentStoreError, PresignedUpload, StoredObject};

type HmacSha256 = Hmac<Sha256>;

/// The path prefix under which the local runner serves blobs.
pub const BLOB_ROUTE: &str = "/_local/blobs/";

/// The length of a signing key made by [`load_or_create_signing_key`].
pub const SIGNING_KEY_BYTES: usize = 32;

/// Why a signed blob URL is refused. The messages are French: the local
/// runner answers them to whoever used the URL (S3's own refusals, in
/// production, are XML that the portal replaces with its own message).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BlobUrlError {
    /// The key as given; why it is refused (in English) goes to the log only.
    #[error("{}", invalid_key_fr(.0))]
    InvalidKey(String),
    #[error("Il manque le paramètre « {0} » à l'adresse : utilisez l'adresse de dépôt telle qu'elle vous a été donnée.")]
    Missing(&'static str),
    #[error("Le paramètre « {0} » de l'adresse est mal formé : utilisez l'adresse de dépôt telle qu'elle vous a été donnée.")]
    Malformed(&'static str),
    #[error("La signature de l'adresse ne correspond pas : utilisez l'adresse de dépôt telle qu'elle vous a été donnée.")]
    BadSignature,
    #[error("Cette adresse de dépôt a expiré : demandez-en une nouvelle.")]
    Expired,
    #[error("Le type du fichier (en-tête Content-Type) diffère de celui annoncé : demandez une adresse de dépôt pour ce type de fichier.")]
    ContentTypeMismatch,
    #[error("La taille du fichier (en-tête Content-Length) diffère de celle annoncée : demandez une adresse de dépôt pour cette taille.")]
    ContentLengthMismatch,
}

/// The longest part of a refused key repeated in its message.
const SHOWN_KEY_CHARS: usize = 80;

/// « Le nom de document « ../x » est invalide. », the key shortened and
/// without control characters.
fn invalid_key_fr(key: &str) -> String {
    if key.is_empty() {
        return "Le nom de document est vide : utilisez l'adresse telle qu'elle vous a été donnée."
            .to_owned();
    }
    let mut shown: String = key
        .chars()
        .take(SHOWN_KEY_CHARS)
        .map(|c| if c.is_control() { '\u{FFFD}' } else { c })
        .collect();
    if key.chars().count() > SHOWN_KEY_CHARS {
        shown.push('…');
    }
    format!(
        "Le nom de document « {shown} » est invalide : utilisez l'adresse telle qu'elle vous a été donnée."
    )
}

/// Checks the key of a signed URL; why it is refused is logged, in English.
fn check_key(key: &str) -> Result<(), BlobUrlError> {
    validate_key(key).map_err(|e| {
        tracing::warn!(reason = %e, "blob URL refused");
        BlobUrlError::InvalidKey(key.to_owned())
    })
}

/// A [`DocumentStore`] over a directory, with URLs signed for the local runner.
#[derive(Clone)]
pub struct FolderDocumentStore {
    root: PathBuf,
    public_base_url: String,
    signing_key: Vec<u8>,
}

impl std::fmt::Debug for FolderDocumentStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FolderDocumentStore")
            .field("root", &self.root)
            .field("public_base_url", &self.public_base_url)
            .finish_non_exhaustive()
    }
}

/// Checks that `key` names a file safely inside the root.
pub fn validate_key(key: &str) -> Result<(), DocumentStoreError> {
    let invalid = |why: &str| Err(DocumentStoreError::InvalidKey(format!("{key:?}: {why}")));
    if key.is_empty() || key.len() > 1024 {
        return invalid("a key holds 1 to 1024 bytes");
    }
    if let Some(c) = key
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "._/@+=-".contains(*c)))
    {
        return invalid(&format!("{c:?} is not allowed"));
    }
    if key.contains("..") {
        return invalid("`..` is not allowed");
    }
    if key.split('/').any(|segment| segment.is_empty()) {
        return invalid("empty path segment (or a leading or trailing `/`)");
    }
    if key.split('/').any(|segment| segment.starts_with('.')) {
        return invalid("a segment may not start with `.`");
    }
    Ok(())
}

/// Reads the signing key at `path`, or makes one of 32 random bytes (stored
/// hex encoded, readable by the owner only). Two processes starting at once
/// agree on one key: the file is published with a link that fails if it exists.
pub fn load_or_create_signing_key(path: &Path) -> std::io::Result<Vec<u8>> {
    let read = |path: &Path| -> std::io::Result<Vec<u8>> {
        let text = std::fs::read_to_string(path)?;
        let key = hex::decode(text.trim()).map_err(|e| {
            std::io::Error::new(
                ErrorKind::InvalidData,
                format!("{} is not a hex signing key: {e}", path.display()),
            )
        })?;
        if key.len() < SIGNING_KEY_BYTES {
            return Err(std::io::Error::new(
                ErrorKind::InvalidData,
                format!(
                    "{} holds a key shorter than {SIGNING_KEY_BYTES} bytes",
                    path.display()
                ),
            ));
        }
        Ok(key)
    };
    match read(path) {
        Ok(key) => return Ok(key),
        Err(e) if e.kind() == ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    let key: [u8; SIGNING_KEY_BYTES] = rand::random();
    let temporary = temporary_sibling(path);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let written = options.open(&temporary).and_then(|mut file| {
        file.write_all(hex::encode(key).as_bytes())?;
        file.sync_all()
    });
    let published = written.and_then(|()| std::fs::hard_link(&temporary, path));
    let _ = std::fs::remove_file(&temporary);
    match published {
        Ok(()) => Ok(key.to_vec()),
        // Another process was first: use its key.
        Err(e) if e.kind() == ErrorKind::AlreadyExists => read(path),
        Err(e) => Err(e),
    }
}

/// A unique dot file beside `path`, for an atomic write.
fn temporary_sibling(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.{}.tmp", uuid::Uuid::new_v4().simple()))
}

fn write_atomically(path: &Path, body: &[u8]) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let temporary = temporary_sibling(path);
    let result = std::fs::File::create(&temporary)
        .and_then(|mut file| {
            file.write_all(body)?;
            file.sync_all()
        })
        .and_then(|()| std::fs::rename(&temporary, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    result
}

fn io_error(key: &str, e: std::io::Error) -> DocumentStoreError {
    DocumentStoreError::Unavailable(format!("{key}: {e}"))
}

/// Runs blocking file work off the async executor.
async fn blocking<T, F>(work: F) -> Result<T, DocumentStoreError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, DocumentStoreError> + Send + 'static,
{
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| DocumentStoreError::Unavailable(format!("file task failed: {e}")))?
}

fn epoch(instant: DateTime<Utc>, expires_in: Duration) -> Result<i64, DocumentStoreError> {
    let seconds = i64::try_from(expires_in.as_secs())
        .map_err(|_| DocumentStoreError::Unavailable("expiry out of range".into()))?;
    instant
        .timestamp()
        .checked_add(seconds)
        .ok_or_else(|| DocumentStoreError::Unavailable("expiry out of range".into()))
}

/// The signed URL's query parameters, by name (the last one wins).
fn parse_query(query: &str) -> BTreeMap<String, String> {
    form_urlencoded::parse(query.trim_start_matches('?').as_bytes())
        .into_owned()
        .collect()
}

fn param<'a>(
    params: &'a BTreeMap<String, String>,
    name: &'static str,
) -> Result<&'a str, BlobUrlError> {
    params
        .get(name)
        .map(String::as_str)
        .ok_or(BlobUrlError::Missing(name))
}

impl FolderDocumentStore {
    /// A store over `root`, whose URLs start with `public_base_url` (the
    /// runner's address, e.g. `http://127.0.0.1:3000`) and are signed with
    /// `signing_key` (see [`load_or_create_signing_key`]).
    pub fn new(root: PathBuf, public_base_url: String, signing_key: Vec<u8>) -> Self {
        Self {
            root,
            public_base_url: public_base_url.trim_end_matches('/').to_owned(),
            signing_key,
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The file that holds `key`.
    pub fn path_for(&self, key: &str) -> Result<PathBuf, DocumentStoreError> {
        validate_key(key)?;
        Ok(key
            .split('/')
            .fold(self.root.clone(), |path, segment| path.join(segment)))
    }

    /// Dates the file at `key` as stored at `at` (its modification time, read
    /// back by `head`): the runner's simulated instant of a PUT, as S3 dates
    /// an object by its own clock.
    pub fn set_stored_at(&self, key: &str, at: DateTime<Utc>) -> Result<(), DocumentStoreError> {
        let path = self.path_for(key)?;
        std::fs::File::options()
            .write(true)
            .open(&path)
            .and_then(|file| file.set_modified(at.into()))
            .map_err(|e| io_error(key, e))
    }

    fn mac(&self, message: &str) -> HmacSha256 {
        // HMAC takes keys of any length: this cannot fail.
        let mut mac = HmacSha256::new_from_slice(&self.signing_key)
            .unwrap_or_else(|_| HmacSha256::new(&Default::default()));
        mac.update(message.as_bytes());
        mac
    }

    fn put_message(key: &str, content_type: &str, content_length: u64, expires: i64) -> String {
        format!("PUT\n{key}\n{content_type}\n{content_length}\n{expires}")
    }

    fn get_message(key: &str, expires: i64) -> String {
        format!("GET\n{key}\n{expires}")
    }

    fn blob_url(&self, key: &str, query: &str) -> String {
        format!("{}{BLOB_ROUTE}{key}?{query}", self.public_base_url)
    }

    fn check_signature(
        &self,
        message: &str,
        params: &BTreeMap<String, String>,
    ) -> Result<(), BlobUrlError> {
        let signature =
            hex::decode(param(params, "sig")?).map_err(|_| BlobUrlError::Malformed("sig"))?;
        self.mac(message)
            .verify_slice(&signature)
            .map_err(|_| BlobUrlError::BadSignature)
    }

    fn check_expiry(
        params: &BTreeMap<String, String>,
        now: DateTime<Utc>,
    ) -> Result<i64, BlobUrlError> {
        let expires: i64 = param(params, "expires")?
            .parse()
            .map_err(|_| BlobUrlError::Malformed("expires"))?;
        if now.timestamp() > expires {
            return Err(BlobUrlError::Expired);
        }
        Ok(expires)
    }

    /// Checks an upload to `/_local/blobs/{key}?{query}` as S3 checks a
    /// presigned PUT: a genuine, unexpired signature, and exactly the signed
    /// `Content-Type` and `Content-Length` headers.
    pub fn verify_signed_put(
        &self,
        key: &str,
        query: &str,
        content_type: Option<&str>,
        content_length: Option<u64>,
        now: DateTime<Utc>,
    ) -> Result<(), BlobUrlError> {
        check_key(key)?;
        let params = parse_query(query);
        let signed_type = param(&params, "ct")?;
        let signed_length: u64 = param(&params, "len")?
            .parse()
            .map_err(|_| BlobUrlError::Malformed("len"))?;
        let expires: i64 = param(&params, "expires")?
            .parse()
            .map_err(|_| BlobUrlError::Malformed("expires"))?;
        self.check_signature(
            &Self::put_message(key, signed_type, signed_length, expires),
            &params,
        )?;
        Self::check_expiry(&params, now)?;
        if content_type.map(str::trim) != Some(signed_type) {
            return Err(BlobUrlError::ContentTypeMismatch);
        }
        if content_length != Some(signed_length) {
            return Err(BlobUrlError::ContentLengthMismatch);
        }
        Ok(())
    }

    /// Checks a download from `/_local/blobs/{key}?{query}`.
    pub fn verify_signed_get(
        &self,
        key: &str,
        query: &str,
        now: DateTime<Utc>,
    ) -> Result<(), BlobUrlError> {
        check_key(key)?;
        let params = parse_query(query);
        let expires: i64 = param(&params, "expires")?
            .parse()
            .map_err(|_| BlobUrlError::Malformed("expires"))?;
        self.check_signature(&Self::get_message(key, expires), &params)?;
        Self::check_expiry(&params, now)?;
        Ok(())
    }
}

#[async_trait]
impl DocumentStore for FolderDocumentStore {
    async fn presign_put(
        &self,
        key: &str,
        content_type: &str,
        content_length: u64,
        now: DateTime<Utc>,
        expires_in: Duration,
    ) -> Result<PresignedUpload, DocumentStoreError> {
        validate_key(key)?;
        let expires = epoch(now, expires_in)?;
        let expires_at = DateTime::from_timestamp(expires, 0)
            .ok_or_else(|| DocumentStoreError::Unavailable("expiry out of range".into()))?;
        let signature = self
            .mac(&Self::put_message(
                key,
                content_type,
                content_length,
                expires,
            ))
            .finalize()
            .into_bytes();
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("expires", &expires.to_string())
            .append_pair("ct", content_type)
            .append_pair("len", &content_length.to_string())
            .append_pair("sig", &hex::encode(signature))
            .finish();
        Ok(PresignedUpload {
            upload_url: self.blob_url(key, &query),
            method: "PUT".to_owned(),
            headers: BTreeMap::from([
                ("Content-Type".to_owned(), content_type.to_owned()),
                ("Content-Length".to_owned(), content_length.to_string()),
            ]),
            expires_at,
        })
    }

    async fn presign_get(
        &self,
        key: &str,
        now: DateTime<Utc>,
        expires_in: Duration,
    ) -> Result<String, DocumentStoreError> {
        validate_key(key)?;
        let expires = epoch(now, expires_in)?;
        let signature = self
            .mac(&Self::get_message(key, expires))
            .finalize()
            .into_bytes();
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("expires", &expires.to_string())
            .append_pair("sig", &hex::encode(signature))
            .finish();
        Ok(self.blob_url(key, &query))
    }

    async fn put(
        &self,
        key: &str,
        _content_type: &str,
        body: Bytes,
    ) -> Result<(), DocumentStoreError> {
        let path = self.path_for(key)?;
        let key = key.to_owned();
        blocking(move || write_atomically(&path, &body).map_err(|e| io_error(&key, e))).await
    }

    async fn get(&self, key: &str) -> Result<Option<Bytes>, DocumentStoreError> {
        let path = self.path_for(key)?;
        let key = key.to_owned();
        blocking(move || match std::fs::read(&path) {
            Ok(body) => Ok(Some(Bytes::from(body))),
            Err(e) if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::IsADirectory) => Ok(None),
            Err(e) => Err(io_error(&key, e)),
        })
        .await
    }

    /// The file's size and modification time (which the runner sets to the
    /// simulated instant of the PUT, see [`FolderDocumentStore::set_stored_at`]).
    async fn head(&self, key: &str) -> Result<Option<StoredObject>, DocumentStoreError> {
        let path = self.path_for(key)?;
        let key = key.to_owned();
        blocking(move || match std::fs::metadata(&path) {
            Ok(meta) if meta.is_file() => Ok(Some(StoredObject {
                size_bytes: meta.len(),
                last_modified: meta.modified().map_err(|e| io_error(&key, e))?.into(),
            })),
            Ok(_) => Ok(None),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_error(&key, e)),
        })
        .await
    }

    async fn delete(&self, key: &str) -> Result<(), DocumentStoreError> {
        let path = self.path_for(key)?;
        let key = key.to_owned();
        blocking(move || match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_error(&key, e)),
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_that_could_escape_the_root_are_refused() {
        for key in [
            "",
            "../x",
            "a/../b",
            "a/..",
            "/etc/passwd",
            "a//b",
            "a/",
            "a\\b",
            "a\0b",
            "a b",
            "é",
            ".hidden",
            "a/.tmp",
            "a?b",
            "a%2e",
        ] {
            assert!(validate_key(key).is_err(), "{key:?} should be refused");
        }
        for key in [
            "a",
            "candidates/x@y.fr/identity_document/3f.pdf",
            "exports/2022-01-01T00=00.csv",
            "a+b-c_d.e",
        ] {
            assert!(validate_key(key).is_ok(), "{key:?} should be accepted");
        }
    }

    #[test]
    fn a_refused_key_is_told_in_french_only() {
        let dir = tempfile::tempdir().unwrap();
        let store = FolderDocumentStore::new(
            dir.path().to_owned(),
            "http://127.0.0.1:3000".into(),
            vec![7; SIGNING_KEY_BYTES],
        );
        let now = Utc::now();
        for refused in [
            store.verify_signed_put(
                "../../etc/passwd",
                "",
                Some("application/pdf"),
                Some(1),
                now,
            ),
            store.verify_signed_get("../../etc/passwd", "", now),
        ] {
            let error = refused.unwrap_err();
            assert_eq!(error, BlobUrlError::InvalidKey("../../etc/passwd".into()));
            let message = error.to_string();
            assert!(
                message.starts_with("Le nom de document « ../../etc/passwd » est invalide"),
                "{message}"
            );
            for english in ["invalid", "allowed", "key", "segment", "`"] {
                assert!(
                    !message.replace("invalide", "").contains(english),
                    "{message}"
                );
            }
        }
        let long = format!("a\nb{}", "c".repeat(200));
        let message = BlobUrlError::InvalidKey(long).to_string();
        assert!(message.contains("a\u{FFFD}bccc"), "{message}");
        assert!(message.contains("c… »"), "{message}");
        assert!(message.chars().count() < 200, "{message}");
        assert!(BlobUrlError::InvalidKey(String::new())
            .to_string()
            .starts_with("Le nom de document est vide"));
    }

    #[test]
    fn a_signing_key_is_made_once_and_then_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".blob-signing-key");
        let first = load_or_create_signing_key(&path).unwrap();
        assert_eq!(first.len(), SIGNING_KEY_BYTES);
        assert_eq!(load_or_create_signing_key(&path).unwrap(), first);
        let leftovers = std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(leftovers, 1, "no temporary file is left behind");
    }
}
