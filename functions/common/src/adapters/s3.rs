//! The S3 document store: the [`DocumentStore`] port over one bucket.
//!
//! Server-side encryption is the bucket's default (set in the template): no
//! SSE header is sent, so none has to be signed into upload URLs either.
//!
//! An upload ticket is used by a browser, across origins: it lists only the
//! headers of [`UPLOAD_TICKET_HEADERS`], which the bucket's CORS rule allows.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, SystemTime};

use crate::adapters::lazy_client::LazyClient;
use async_trait::async_trait;
use aws_sdk_s3::error::{DisplayErrorContext, SdkError};
use aws_sdk_s3::operation::get_object::GetObjectError;
use aws_sdk_s3::operation::head_object::HeadObjectError;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::Client;
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use bytes::Bytes;
use chrono::{DateTime, Utc};

use crate::ports::documents::{
    DocumentStore, DocumentStoreError, ObjectVersion, PresignedUpload, StoredObject,
};

/// SigV4 presigned URLs live at most 7 days.
const MAX_PRESIGN: Duration = Duration::from_secs(7 * 24 * 3600);

/// The headers an upload ticket may list, lowercase: the ones its URL signs
/// and a browser sends (it sets `content-length` itself). The bucket's CORS
/// rule in `template.yaml` allows exactly these: keep them in step.
pub const UPLOAD_TICKET_HEADERS: [&str; 2] = ["content-type", "content-length"];

/// What the SDK's recursion detection adds to every request it builds
/// inside Lambda (from `_X_AMZN_TRACE_ID`), presigned ones included.
const TRACE_ID_HEADER: &str = "x-amzn-trace-id";

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

/// An S3 answer where a missing object is `None` (the service error that
/// `is_missing` recognises) rather than an error.
fn missing_as_none<T, E, R>(
    answer: Result<T, SdkError<E, R>>,
    is_missing: impl FnOnce(&E) -> bool,
) -> Result<Option<T>, DocumentStoreError>
where
    E: std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match answer {
        Ok(output) => Ok(Some(output)),
        Err(SdkError::ServiceError(service)) if is_missing(service.err()) => Ok(None),
        Err(err) => Err(unavailable(err)),
    }
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

/// Takes the trace header out of a request about to be presigned.
///
/// The recursion detection interceptor adds it in `modify_before_signing`;
/// it is a client-level interceptor and registered `permanent` (it cannot be
/// disabled), and an operation's own interceptors, such as this one through
/// `customize().mutate_request(..)`, run after the client's in the same hook,
/// so before signing. SigV4 would leave it unsigned anyway, but the presigned
/// request would still list it.
fn drop_trace_header(request: &mut HttpRequest) {
    request.headers_mut().remove(TRACE_ID_HEADER);
}

/// The headers `X-Amz-SignedHeaders` names in a presigned URL.
fn signed_header_names(uri: &str) -> Result<BTreeSet<String>, DocumentStoreError> {
    let url = url::Url::parse(uri)
        .map_err(|e| DocumentStoreError::Unavailable(format!("presigned URL: {e}")))?;
    let signed = url
        .query_pairs()
        .find(|(name, _)| name == "X-Amz-SignedHeaders")
        .ok_or_else(|| DocumentStoreError::Unavailable("presigned URL signs no header".into()))?;
    Ok(signed.1.split(';').map(str::to_ascii_lowercase).collect())
}

/// The headers a ticket tells the client to send with a presigned request:
/// only [`UPLOAD_TICKET_HEADERS`]. Any other header is dropped when unsigned
/// (S3 does not need it, and the bucket's CORS would refuse it); a signed one
/// is an error, since S3 would refuse the upload without it.
fn ticket_headers<'a>(
    headers: impl Iterator<Item = (&'a str, &'a str)>,
    uri: &str,
) -> Result<BTreeMap<String, String>, DocumentStoreError> {
    let signed = signed_header_names(uri)?;
    let mut ticket = BTreeMap::new();
    for (name, value) in headers {
        let name = name.to_ascii_lowercase();
        if UPLOAD_TICKET_HEADERS.contains(&name.as_str()) {
            ticket.insert(title_case(&name), value.to_owned());
        } else if signed.contains(&name) {
            return Err(DocumentStoreError::Unavailable(format!(
                "a presigned upload signs {name}, which an upload ticket may not carry"
            )));
        } else {
            // Unsigned, so S3 does without it (as the trace header once was):
            // worth a look, the SDK may have started adding something new.
            tracing::warn!(header = %name, "header left out of an upload ticket");
        }
    }
    Ok(ticket)
}

/// `content-type` as HTTP clients usually write it: `Content-Type`.
fn title_case(name: &str) -> String {
    name.split('-')
        .map(|word| {
            let mut chars = word.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect::<Vec<_>>()
        .join("-")
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
            .customize()
            .mutate_request(drop_trace_header)
            .presigned(presigning(now, expires_in)?)
            .await
            .map_err(unavailable)?;
        Ok(PresignedUpload {
            upload_url: request.uri().to_owned(),
            method: "PUT".to_owned(),
            headers: ticket_headers(request.headers(), request.uri())?,
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
        let answer = self
            .client
            .get()
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await;
        let Some(output) = missing_as_none(answer, |e| matches!(e, GetObjectError::NoSuchKey(_)))?
        else {
            return Ok(None);
        };
        let body = output
            .body
            .collect()
            .await
            .map_err(|e| DocumentStoreError::Unavailable(format!("reading {key}: {e}")))?;
        Ok(Some(body.into_bytes()))
    }

    async fn head(&self, key: &str) -> Result<Option<StoredObject>, DocumentStoreError> {
        check_key(key)?;
        // HeadObject is authorised by s3:GetObject; a missing key answers
        // 404 only to a role that may also list the bucket (403 otherwise).
        let answer = self
            .client
            .get()
            .head_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await;
        let Some(output) = missing_as_none(answer, |e| matches!(e, HeadObjectError::NotFound(_)))?
        else {
            return Ok(None);
        };
        let last_modified = output
            .last_modified()
            .and_then(|t| DateTime::from_timestamp(t.secs(), t.subsec_nanos()))
            .ok_or_else(|| DocumentStoreError::Unavailable(format!("{key}: no LastModified")))?;
        Ok(Some(StoredObject {
            size_bytes: output
                .content_length()
                .and_then(|n| u64::try_from(n).ok())
                .unwrap_or(0),
            last_modified,
        }))
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

    /// Every version and delete marker under `prefix` last modified before
    /// `before` (`ListObjectVersions`, paged by S3's markers).
    async fn stored_versions(
        &self,
        prefix: &str,
        before: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<ObjectVersion>, DocumentStoreError> {
        check_key(prefix)?;
        let older = |t: Option<&aws_sdk_s3::primitives::DateTime>| {
            t.and_then(|t| DateTime::from_timestamp(t.secs(), t.subsec_nanos()))
                .is_some_and(|at| at < before)
        };
        let mut found = Vec::new();
        let (mut key_marker, mut version_marker) = (None::<String>, None::<String>);
        loop {
            let page = self
                .client
                .get()
                .list_object_versions()
                .bucket(&self.bucket)
                .prefix(prefix)
                .set_key_marker(key_marker.take())
                .set_version_id_marker(version_marker.take())
                .send()
                .await
                .map_err(unavailable)?;
            let versions = page
                .versions()
                .iter()
                .filter(|v| older(v.last_modified()))
                .map(|v| (v.key(), v.version_id()));
            let markers = page
                .delete_markers()
                .iter()
                .filter(|m| older(m.last_modified()))
                .map(|m| (m.key(), m.version_id()));
            for (key, version_id) in versions.chain(markers) {
                if let Some(key) = key {
                    found.push(ObjectVersion {
                        key: key.to_owned(),
                        version_id: version_id.map(str::to_owned),
                    });
                }
            }
            if found.len() >= limit || page.is_truncated() != Some(true) {
                found.truncate(limit);
                return Ok(found);
            }
            key_marker = page.next_key_marker().map(str::to_owned);
            version_marker = page.next_version_id_marker().map(str::to_owned);
        }
    }

    async fn erase_version(&self, version: &ObjectVersion) -> Result<(), DocumentStoreError> {
        check_key(&version.key)?;
        self.client
            .get()
            .delete_object()
            .bucket(&self.bucket)
            .key(&version.key)
            .set_version_id(version.version_id.clone())
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const URI: &str = "https://b.s3.eu-west-3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256\
        &X-Amz-SignedHeaders=content-length%3Bcontent-type%3Bhost&X-Amz-Signature=00";

    #[test]
    fn a_ticket_lists_only_the_allowed_headers() {
        let headers = [
            ("content-type", "application/pdf"),
            ("content-length", "81"),
            (TRACE_ID_HEADER, "Root=1-5759e988-bd862e3fe1be46a994272793"),
        ];
        let ticket = ticket_headers(headers.into_iter(), URI).unwrap();
        assert_eq!(
            ticket,
            BTreeMap::from([
                ("Content-Length".to_owned(), "81".to_owned()),
                ("Content-Type".to_owned(), "application/pdf".to_owned()),
            ])
        );
    }

    #[test]
    fn a_signed_header_a_ticket_may_not_carry_is_an_error() {
        let uri = URI.replace("%3Bhost", "%3Bhost%3Bx-amz-checksum-crc32");
        let headers = [
            ("content-type", "image/png"),
            ("x-amz-checksum-crc32", "AAAAAA=="),
        ];
        let error = ticket_headers(headers.into_iter(), &uri).unwrap_err();
        assert!(
            error.to_string().contains("x-amz-checksum-crc32"),
            "{error}"
        );
    }

    #[test]
    fn a_url_without_signed_headers_is_an_error() {
        assert!(ticket_headers(std::iter::empty(), "https://b.example/k?a=b").is_err());
    }

    #[test]
    fn header_names_are_written_as_clients_write_them() {
        assert_eq!(title_case("content-type"), "Content-Type");
        assert_eq!(title_case("content-length"), "Content-Length");
        assert_eq!(title_case("etag"), "Etag");
    }
}
