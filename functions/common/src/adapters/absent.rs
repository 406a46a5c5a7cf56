//! The ports of an SDK client a Lambda is built without.
//!
//! Each Lambda links only the AWS SDK clients its code paths call (features
//! `s3` and `ses` of this crate, BENCHMARKS.md « Lambda artefacts »): the
//! activation function, for one, neither mails nor touches S3. Its `App`
//! still has a mailer and a document store; these answer every call with
//! [`Unavailable`](MailError::Unavailable), naming the missing feature, so
//! that a code path added later without its feature fails loudly (logged by
//! its caller, the email kept queued) instead of not compiling in one
//! function only.

use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, Utc};

use crate::ports::documents::{DocumentStore, DocumentStoreError, PresignedUpload, StoredObject};
use crate::ports::mailer::{MailError, Mailer, OutgoingEmail};

/// The mailer of a function built without the `ses` feature.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoMailer;

const NO_SES: &str = "this function is built without SES (feature `ses` of examreg-common)";
const NO_S3: &str = "this function is built without S3 (feature `s3` of examreg-common)";

#[async_trait]
impl Mailer for NoMailer {
    async fn send(&self, _email: &OutgoingEmail) -> Result<(), MailError> {
        Err(MailError::Unavailable(NO_SES.to_owned()))
    }
}

/// The document store of a function built without the `s3` feature.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoDocumentStore;

fn no_s3<T>() -> Result<T, DocumentStoreError> {
    Err(DocumentStoreError::Unavailable(NO_S3.to_owned()))
}

#[async_trait]
impl DocumentStore for NoDocumentStore {
    async fn presign_put(
        &self,
        _key: &str,
        _content_type: &str,
        _content_length: u64,
        _now: DateTime<Utc>,
        _expires_in: Duration,
    ) -> Result<PresignedUpload, DocumentStoreError> {
        no_s3()
    }

    async fn presign_get(
        &self,
        _key: &str,
        _now: DateTime<Utc>,
        _expires_in: Duration,
    ) -> Result<String, DocumentStoreError> {
        no_s3()
    }

    async fn put(
        &self,
        _key: &str,
        _content_type: &str,
        _body: Bytes,
    ) -> Result<(), DocumentStoreError> {
        no_s3()
    }

    async fn get(&self, _key: &str) -> Result<Option<Bytes>, DocumentStoreError> {
        no_s3()
    }

    async fn head(&self, _key: &str) -> Result<Option<StoredObject>, DocumentStoreError> {
        no_s3()
    }

    async fn delete(&self, _key: &str) -> Result<(), DocumentStoreError> {
        no_s3()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_call_fails_naming_the_missing_feature() {
        let email = OutgoingEmail {
            to: "a@exemple.fr".into(),
            subject: "s".into(),
            text: "t".into(),
            html: None,
        };
        let mail = NoMailer.send(&email).await.unwrap_err();
        assert!(matches!(mail, MailError::Unavailable(ref why) if why.contains("`ses`")));
        let store = NoDocumentStore;
        let get = store.get("k").await.unwrap_err();
        assert!(matches!(get, DocumentStoreError::Unavailable(ref why) if why.contains("`s3`")));
        assert!(store.delete("k").await.is_err());
        assert!(store.put("k", "a/b", Bytes::new()).await.is_err());
        let now = Utc::now();
        assert!(store
            .presign_get("k", now, Duration::from_secs(1))
            .await
            .is_err());
        let put = store.presign_put("k", "a/b", 1, now, Duration::from_secs(1));
        assert!(put.await.is_err());
    }
}
