//! The document store port: S3 in Lambda, a folder in the runner.
//!
//! Keys are opaque to the adapters; the application builds them so that every
//! candidate's documents live under their own prefix.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde::Serialize;

/// What a client needs to upload one file straight to the document store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PresignedUpload {
    pub upload_url: String,
    /// Always `PUT`.
    pub method: String,
    /// The headers the client must send, exactly (they are signed).
    pub headers: BTreeMap<String, String>,
    pub expires_at: DateTime<Utc>,
}

/// What the store says of an object without reading it (S3's `HeadObject`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredObject {
    pub size_bytes: u64,
    /// When the store finished storing it (S3's `LastModified`, to the
    /// second): the instant a deadline is judged against.
    pub last_modified: DateTime<Utc>,
}

/// One stored version of an object (S3 keeps a deleted or overwritten
/// object's earlier versions in a versioned bucket).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectVersion {
    pub key: String,
    /// `None` for a store without versions.
    pub version_id: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum DocumentStoreError {
    #[error("document store unavailable: {0}")]
    Unavailable(String),
    #[error("invalid document key: {0}")]
    InvalidKey(String),
}

#[async_trait]
pub trait DocumentStore: Send + Sync {
    /// A URL that lets its holder PUT exactly `content_length` bytes of
    /// `content_type` at `key`, until `now + expires_in`.
    async fn presign_put(
        &self,
        key: &str,
        content_type: &str,
        content_length: u64,
        now: DateTime<Utc>,
        expires_in: Duration,
    ) -> Result<PresignedUpload, DocumentStoreError>;

    /// A URL to download `key` until `now + expires_in` (exports).
    async fn presign_get(
        &self,
        key: &str,
        now: DateTime<Utc>,
        expires_in: Duration,
    ) -> Result<String, DocumentStoreError>;

    async fn put(
        &self,
        key: &str,
        content_type: &str,
        body: Bytes,
    ) -> Result<(), DocumentStoreError>;

    /// The stored bytes, or `None` when nothing is stored at `key`.
    async fn get(&self, key: &str) -> Result<Option<Bytes>, DocumentStoreError>;

    /// What is stored at `key`, without its bytes; `None` when nothing is.
    async fn head(&self, key: &str) -> Result<Option<StoredObject>, DocumentStoreError>;

    /// Deleting a missing key is not an error (retries must be harmless).
    async fn delete(&self, key: &str) -> Result<(), DocumentStoreError>;

    /// The versions left under `prefix` that were stored before `before`,
    /// at most `limit`, beyond the current objects (which [`Self::delete`]
    /// removes): in S3 the earlier versions and the delete markers a
    /// versioned bucket keeps. A store without versions (the folder) keeps
    /// nothing behind a delete: none.
    async fn stored_versions(
        &self,
        _prefix: &str,
        _before: DateTime<Utc>,
        _limit: usize,
    ) -> Result<Vec<ObjectVersion>, DocumentStoreError> {
        Ok(Vec::new())
    }

    /// Deletes one version for good (the purge). Missing: not an error.
    async fn erase_version(&self, _version: &ObjectVersion) -> Result<(), DocumentStoreError> {
        Ok(())
    }
}
