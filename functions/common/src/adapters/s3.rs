//! The S3 document store: the [`DocumentStore`] port over one bucket.
//!
//! Server-side encryption is the bucket's default (set in the template): no
//! SSE header is sent, so none has to be signed into upload URLs either.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use crate::adapters::lazy_client::LazyClient;
use async_trait::async_trait;
use aws_sdk_s3::error::{DisplayErrorContext, SdkError};
use aws_sdk_s3::operation::get_object::GetObjectError;
use aws_sdk_s3::presigning::{PresignedRequest, PresigningConfig};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::Client;
use bytes::Bytes;
use chrono::{DateTime, Utc};

use crate::ports::documents::{DocumentStore, DocumentStoreError, PresignedUpload};

/// SigV4 presigned URLs live at most 7 days.
const MAX_PRESIGN: Duration = Duration::from_secs(7 * 24 * 3600);

/// A [`DocumentStore`] over one S3 bucket.
#[derive(Debug, Clone)]
pub struct S3DocumentStore {
    client: LazyClient<Client>,
    bucket: String,
}

impl S3DocumentStore {
    /// A store over `bucket`. Build the client once (in `main`), not per request.
    pub fn new(client: impl Into<LazyClient<Client>>, bucket: impl Into<String>) -> Self {
        Self {
            client: client.into(),
            bucket: bucket.into(),
        }
    }

    pub fn bucket(&self) -> &str {
        &self.bucket
    }
}

fn check_key(key: &str) -> Result<(), DocumentStoreError> {
    if key.is_empty() || key.len() > 1024 {
        return Err(DocumentStoreError::InvalidKey(format!(
            "an S3 key holds 1 to 1024 bytes, not {}",
            key.len()
        )));
    }
    Ok(())
}

fn unavailable<E, R>(err: SdkError<E, R>) -> DocumentStoreError
where
    E: std::error::Error + 'static,
    R: std::fmt::Debug,
{
    DocumentStoreError::Unavailable(DisplayErrorContext(&err).to_string())
}

/// Signs from `now` (the application's clock), valid for `expires_in`.
fn presigning(
    now: DateTime<Utc>,
    expires_in: Duration,
) -> Result<PresigningConfig, DocumentStoreError> {
    if expires_in.is_zero() || expires_in > MAX_PRESIGN {
        return Err(DocumentStoreError::Unavailable(format!(
            "a presigned URL lives 1 s to 7 days, not {expires_in:?}"
        )));
    }
    PresigningConfig::builder()
        .start_time(SystemTime::from(now))
        .expires_in(expires_in)
        .build()
        .map_err(|e| DocumentStoreError::Unavailable(e.to_string()))
}

fn expiry(now: DateTime<Utc>, expires_in: Duration) -> Result<DateTime<Utc>, DocumentStoreError> {
    chrono::Duration::from_std(expires_in)
        .ok()
        .and_then(|d| now.checked_add_signed(d))
        .ok_or_else(|| DocumentStoreError::Unavailable("expiry out of range".into()))
}

/// The headers the client must send with a presigned request, named as
/// HTTP clients usually write them.
fn signed_headers(request: &PresignedRequest) -> BTreeMap<String, String> {
    request
        .headers()
        .map(|(name, value)| {
            let name = match name.to_ascii_lowercase().as_str() {
                "content-type" => "Content-Type".to_owned(),
                "content-length" => "Content-Length".to_owned(),
                _ => name.to_owned(),
            };
            (name, value.to_owned())
        })
        .collect()
}

#[async_trait]
impl DocumentStore for S3DocumentStore {
    async fn presign_put(
        &self,
        key: &str,
        content_type: &str,
        content_length: u64,
        now: DateTime<Utc>,
        expires_in: Duration,
    ) -> Result<PresignedUpload, DocumentStoreError> {
        check_key(key)?;
        let length = i64::try_from(content_length)
            .map_err(|_| DocumentStoreError::Unavailable("content length out of range".into()))?;
        // Setting both makes them signed headers: S3 refuses an upload whose
        // Content-Type or Content-Length differs from what was asked for.
        let request = self
            .client
            .get()
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .content_length(length)
            .presigned(presigning(now, expires_in)?)
            .await
            .map_err(unavailable)?;
        Ok(PresignedUpload {
            upload_url: request.uri().to_owned(),
            method: "PUT".to_owned(),
            headers: signed_headers(&request),
            expires_at: expiry(now, expires_in)?,
        })
    }

    async fn presign_get(
        &self,
        key: &str,
        now: DateTime<Utc>,
        expires_in: Duration,
    ) -> Result<String, DocumentStoreError> {
        check_key(key)?;
        let request = self
            .client
            .get()
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .presigned(presigning(now, expires_in)?)
            .await
            .map_err(unavailable)?;
        Ok(request.uri().to_owned())
    }

    async fn put(
        &self,
        key: &str,
        content_type: &str,
        body: Bytes,
    ) -> Result<(), DocumentStoreError> {
        check_key(key)?;
        self.client
            .get()
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .body(ByteStream::from(body))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn get(&self, key: &str) -> Result<Option<Bytes>, DocumentStoreError> {
        check_key(key)?;
        let output = match self
            .client
            .get()
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(output) => output,
            Err(SdkError::ServiceError(service))
                if matches!(service.err(), GetObjectError::NoSuchKey(_)) =>
            {
                return Ok(None)
            }
            Err(err) => return Err(unavailable(err)),
        };
        let body = output
            .body
            .collect()
            .await
            .map_err(|e| DocumentStoreError::Unavailable(format!("reading {key}: {e}")))?;
        Ok(Some(body.into_bytes()))
    }

    async fn delete(&self, key: &str) -> Result<(), DocumentStoreError> {
        check_key(key)?;
        // S3 answers 204 whether or not the key existed.
        self.client
            .get()
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }
}
