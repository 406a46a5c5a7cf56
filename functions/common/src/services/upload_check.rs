//! The check of a stored file (step 3 of an upload, see
//! `services::documents`): an S3 `ObjectCreated` notification in AWS, the
//! end of the PUT locally. What the file does to its piece is the domain's
//! decision (`domain::transitions::upload`); the write goes through the
//! dossier's one write path (`records::dossier::update_with`).

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::app::App;
use crate::domain::dossier::InscriptionStatus;
use crate::domain::pieces::PieceKind;
use crate::domain::transitions::upload::{self, StoredFile};
use crate::error::{AppError, AppResult};
use crate::metrics::Metric;
use crate::ports::store::{Condition, WriteOp};
use crate::ports::Key;
use crate::ports::StoreError;
use crate::records::dossier::InscriptionRecord;
use crate::records::dossier::{self, Attempt, Decide, Delivery, Outcome, Write, MAX_TRIES};
use crate::records::keys;
use crate::records::upload::{decode_event_key, ObjectKey, UploadRecord, UploadStatus};
use crate::services::object_created::ObjectCreatedEvent;
use crate::services::sessions::take;

/// How late after its URL expired a notification may still arrive (S3
/// delivers asynchronously, retried for up to an hour).
const NOTIFICATION_GRACE: chrono::Duration = chrono::Duration::hours(1);

/// What [`check_stored_object`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckOutcome {
    /// Not the key of a candidate's upload: nothing done.
    Ignored,
    /// No live upload request (unknown, expired, or no inscription): the
    /// object was deleted.
    Discarded,
    /// Already checked (a duplicated or retried notification): nothing done.
    AlreadyProcessed,
    /// The file counts: the piece is `received`; `status` is the
    /// inscription's status after it.
    Received {
        kind: PieceKind,
        status: InscriptionStatus,
    },
    /// The file was refused and deleted, for this (French) reason.
    Refused { kind: PieceKind, reason: String },
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

async fn discard(app: &App, key: &str, why: &str) -> AppResult<CheckOutcome> {
    tracing::warn!(key, why, "uploaded object discarded");
    app.documents.delete(key).await?;
    Ok(CheckOutcome::Discarded)
}

/// What a written check leaves to do once committed.
struct Written {
    kind: PieceKind,
    refusal: Option<String>,
}

/// One try of the check of the file at `key`.
struct Check<'a> {
    key: &'a str,
    object: ObjectKey,
    upload_key: Key,
    inscription_key: Key,
    /// The bytes, read once whatever the tries (`Some(None)`: gone).
    stored: Option<Option<Bytes>>,
    /// When the store stored the object, if known (the event's time, a
    /// HEAD's `LastModified`); else the check's own time stands for it.
    stored_at: Option<DateTime<Utc>>,
}

#[async_trait]
impl Decide for Check<'_> {
    /// The outcome when nothing is written, else what is left to do.
    type Answer = Result<CheckOutcome, Written>;
    type Error = AppError;

    async fn attempt(&mut self, app: &App, _: usize) -> AppResult<Attempt<Self::Answer>> {
        let key = self.key;
        let mut items = app
            .store
            .get_many(&[self.upload_key.clone(), self.inscription_key.clone()])
            .await?;
        let upload = take(&mut items, &self.upload_key)
            .map(|item| item.to_value::<UploadRecord>())
            .transpose()?
            .filter(|u| u.kind == self.object.kind && u.object_key == key);
        let record = take(&mut items, &self.inscription_key)
            .map(|item| item.to_value::<InscriptionRecord>())
            .transpose()?;
        let now = app.now();
        let done = |outcome| Ok(Attempt::Answer(Ok(outcome)));

        let Some(upload) = upload else {
            // The request is gone (its TTL passed) but a piece may count on
            // this very file: a late duplicate must not delete it.
            let counted = record
                .as_ref()
                .and_then(|r| r.pieces.get(&self.object.kind))
                .is_some_and(|p| p.counts_key(key));
            if counted {
                return done(CheckOutcome::AlreadyProcessed);
            }
            return done(discard(app, key, "no upload request").await?);
        };
        match upload.status {
            UploadStatus::Refused => {
                // Deleting again is harmless and finishes an interrupted run.
                app.documents.delete(key).await?;
                return done(CheckOutcome::AlreadyProcessed);
            }
            UploadStatus::Pending | UploadStatus::Unused
                if self.stored_at.is_none() && now > upload.expires_at + NOTIFICATION_GRACE =>
            {
                return done(discard(app, key, "upload request expired").await?);
            }
            UploadStatus::Pending | UploadStatus::Unused | UploadStatus::Done => {}
        }
        let Some(record) = record else {
            return done(discard(app, key, "no inscription").await?);
        };
        // Files accumulate (up to the piece's limit): the late notification
        // of an older upload adds its file like any other.
        let bytes = match &self.stored {
            Some(bytes) => bytes.clone(),
            None => {
                let bytes = app.documents.get(key).await?;
                self.stored = Some(bytes.clone());
                bytes
            }
        };
        let Some(bytes) = bytes else {
            // Nothing there any more (deleted, or replaced by a later upload).
            tracing::info!(key, "notified object is gone");
            return done(CheckOutcome::AlreadyProcessed);
        };
        let digest = sha256_hex(&bytes);
        // Pending, or done but the bytes were replaced through the same URL
        // since: what is stored now is what is judged.
        let file = StoredFile {
            kind: upload.kind,
            key,
            content_type: &upload.content_type,
            size_bytes: upload.size_bytes,
            version: upload.version,
            bytes: &bytes,
            name: upload.name.as_deref(),
            digest: &digest,
            checked_digest: upload
                .sha256
                .as_deref()
                .filter(|_| upload.status == UploadStatus::Done),
            // Only the upload's presigned URL can store at this key, and the
            // store refuses it once expired: a later date is a clock's skew.
            stored_at: self.stored_at.map_or(now, |at| at.min(upload.expires_at)),
        };
        let Some(checked) = upload::check(&record, &file, now) else {
            return done(CheckOutcome::AlreadyProcessed);
        };
        let mut processed = upload.clone();
        processed.status = if checked.refusal.is_some() {
            UploadStatus::Refused
        } else {
            UploadStatus::Done
        };
        processed.reason = checked.refusal.clone();
        processed.processed_at = Some(now);
        processed.sha256 = Some(digest.clone());
        let request_op = WriteOp::put(
            processed.to_item()?,
            Condition::AttributeEquals("status".into(), json!(upload.status)),
        );
        Ok(Attempt::Write(Box::new(Write {
            read_revision: record.revision,
            before: Some(record.clone()),
            transition: checked.transition,
            extra_ops: vec![request_op],
            answer: Err(Written {
                kind: upload.kind,
                refusal: checked.refusal,
            }),
        })))
    }
}

/// Checks the file stored at `key` and records the outcome on its piece,
/// received as of the check (see [`check_stored_object_at`]).
pub async fn check_stored_object(app: &App, key: &str) -> AppResult<CheckOutcome> {
    check_stored_object_at(app, key, None).await
}

/// Checks the file stored at `key`, which the document store stored at
/// `stored_at` (S3's event time, or a HEAD's `LastModified`; `None`: as of
/// the check), and records the outcome on its piece. With `stored_at`
/// known, a check however late (a replay, the sweep's reconciliation)
/// counts the file: it was stored while its URL was valid.
///
/// Reads the upload request and the inscription in one round trip, the bytes
/// once, and writes the piece, the request and a history line in one
/// transaction conditional on the revision read (retried, bounded, when
/// another write came first). Keys that are not a candidate's upload are
/// logged and ignored; files without a live request are deleted.
pub async fn check_stored_object_at(
    app: &App,
    key: &str,
    stored_at: Option<DateTime<Utc>>,
) -> AppResult<CheckOutcome> {
    let Some(object) = ObjectKey::parse(key) else {
        tracing::warn!(key, "not a candidate upload key: ignored");
        return Ok(CheckOutcome::Ignored);
    };
    let mut check = Check {
        key,
        upload_key: keys::upload(&object.account_id, &object.upload_id),
        inscription_key: keys::inscription(&object.account_id, &app.calendar.session),
        object,
        stored: None,
        stored_at,
    };
    let outcome = dossier::update_with(app, Delivery::Now, &mut check).await?;

    match outcome {
        Outcome::Unchanged(Ok(outcome)) => Ok(outcome),
        Outcome::Committed(committed) => match committed.answer {
            Ok(outcome) => Ok(outcome),
            Err(written) => settle(app, key, written, committed.record.status).await,
        },
        Outcome::Unchanged(Err(_)) | Outcome::Raced => Err(AppError::Store(StoreError::Conflict(
            format!("the check of {key} lost {MAX_TRIES} races in a row"),
        ))),
    }
}

/// After the commit: a refused file is deleted. A received one joins the
/// piece's files; none is deleted (a file the office rejected is kept as
/// evidence until the dossier's retention ends).
async fn settle(
    app: &App,
    key: &str,
    written: Written,
    status: InscriptionStatus,
) -> AppResult<CheckOutcome> {
    let Written { kind, refusal } = written;
    if let Some(reason) = refusal {
        tracing::info!(key, kind = %kind, "upload refused");
        app.count(Metric::UploadsRefused);
        app.documents.delete(key).await?;
        return Ok(CheckOutcome::Refused { kind, reason });
    }
    tracing::info!(key, kind = %kind, status = status.code(), "piece received");
    app.count(Metric::UploadsAccepted);
    Ok(CheckOutcome::Received { kind, status })
}

/// Checks every key of one S3 notification (keys as S3 sends them,
/// URL-encoded). Every key is tried; the first error is returned so that the
/// notification is retried (the check is idempotent).
pub async fn check_notified_keys<'a>(
    app: &App,
    raw_keys: impl IntoIterator<Item = &'a str>,
) -> AppResult<Vec<CheckOutcome>> {
    check_notified(app, raw_keys.into_iter().map(|raw| (raw, None))).await
}

/// Checks every object of one S3 notification (as `documents-check` gets
/// it, or replayed from its on-failure queue), each received as of the
/// record's `eventTime`: when S3 stored it, however late the check runs.
pub async fn check_event(app: &App, event: &ObjectCreatedEvent) -> AppResult<Vec<CheckOutcome>> {
    check_notified(app, event.objects()).await
}

async fn check_notified<'a>(
    app: &App,
    objects: impl IntoIterator<Item = (&'a str, Option<DateTime<Utc>>)>,
) -> AppResult<Vec<CheckOutcome>> {
    let mut outcomes = Vec::new();
    let mut first_error = None;
    for (raw, stored_at) in objects {
        let Some(key) = decode_event_key(raw) else {
            tracing::warn!(raw, "undecodable object key: ignored");
            outcomes.push(CheckOutcome::Ignored);
            continue;
        };
        match check_stored_object_at(app, &key, stored_at).await {
            Ok(outcome) => outcomes.push(outcome),
            Err(e) => {
                tracing::error!(error = %e, key = %key, "check failed");
                first_error.get_or_insert(e);
            }
        }
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(outcomes),
    }
}
