//! Pending uploads reconciled with the document store: what the sweep does
//! for an upload whose check never came (its notification lost, or dropped
//! after its retries), what it does past the deadline's grace, and what the
//! office's `recheck` does for one candidate. One HEAD per upload, never a
//! listing of the bucket; a file found is checked as of when it was stored.

use serde_json::json;

use crate::app::App;
use crate::error::AppResult;
use crate::ports::store::{Condition, WriteOp};
use crate::ports::StoreError;
use crate::records::upload::{UploadRecord, UploadStatus};
use crate::services::upload_check::{check_stored_object_at, CheckOutcome};

/// What looking at one pending upload found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// A file was stored: it is checked now (received or refused).
    Checked(CheckOutcome),
    /// It was checked meanwhile (its notification came after all).
    AlreadyChecked,
    /// Nothing stored at its key: the upload is marked unused once its URL
    /// expired.
    Absent,
}

/// Looks at the key of `upload` (a HEAD): a stored file is checked as of
/// its `LastModified`; nothing stored marks the upload unused, which takes
/// it out of the sweep's due work.
pub async fn look(app: &App, upload: &UploadRecord) -> AppResult<Found> {
    let Some(object) = app.documents.head(&upload.object_key).await? else {
        // A URL still valid may yet be used (its check will come): only an
        // expired one is known unused.
        if app.now() > upload.expires_at {
            mark_unused(app, upload).await?;
        }
        return Ok(Found::Absent);
    };
    let outcome =
        check_stored_object_at(app, &upload.object_key, Some(object.last_modified)).await?;
    Ok(match outcome {
        CheckOutcome::AlreadyProcessed => Found::AlreadyChecked,
        // No inscription (or no request) any more: the file was deleted.
        CheckOutcome::Discarded | CheckOutcome::Ignored => {
            mark_unused(app, upload).await?;
            Found::Absent
        }
        outcome => Found::Checked(outcome),
    })
}

/// Marks `upload` unused if it is still pending (a check that came first
/// wins: its status is kept).
async fn mark_unused(app: &App, upload: &UploadRecord) -> AppResult<()> {
    let mut unused = upload.clone();
    unused.status = UploadStatus::Unused;
    unused.processed_at = Some(app.now());
    let op = WriteOp::put(
        unused.to_item()?,
        Condition::AttributeEquals("status".into(), json!(UploadStatus::Pending)),
    );
    match app.store.transact(vec![op]).await {
        Ok(()) | Err(StoreError::ConditionFailed { .. }) => Ok(()),
        Err(e) => Err(e.into()),
    }
}
