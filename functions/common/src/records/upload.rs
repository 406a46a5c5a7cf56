//! An upload request, as stored (`CANDIDATE#<id>` / `UPLOAD#<upload id>`),
//! and the document store's key of the file it names.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::app::App;
use crate::domain::pieces::PieceKind;
use crate::domain::transitions::grace::UPLOAD_GRACE;
use crate::error::AppResult;
use crate::ports::store::{Item, Query, SortKeyCondition, GSI1_PK, GSI1_SK, TTL_ATTRIBUTE};
use crate::ports::Key;
use crate::records::keys;

/// The prefix under which every candidate's files live.
pub const CANDIDATES_PREFIX: &str = "candidates/";

/// How long an upload request item is kept after its URL expired (the
/// table's TTL deletes it then): long enough to recognise any late or
/// duplicated notification.
const UPLOAD_RECORD_KEPT: chrono::Duration = chrono::Duration::days(30);

// ---------------------------------------------------------------------------
// Object keys
// ---------------------------------------------------------------------------

/// The key of an uploaded file: `candidates/<account id>/<kind>/<upload id>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectKey {
    pub account_id: String,
    pub kind: PieceKind,
    pub upload_id: String,
}

fn is_id(s: &str) -> bool {
    s.len() == 32
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

impl ObjectKey {
    /// A new key for an upload of `kind` by `account_id`.
    pub fn new(account_id: &str, kind: PieceKind) -> Self {
        Self {
            account_id: account_id.to_owned(),
            kind,
            upload_id: uuid::Uuid::new_v4().simple().to_string(),
        }
    }

    /// Parses a key strictly: exactly four segments, ids of 32 lowercase
    /// hexadecimal digits, an exact piece kind code. Anything else is `None`.
    pub fn parse(key: &str) -> Option<Self> {
        let mut segments = key.split('/');
        let (prefix, account_id, kind, upload_id) = (
            segments.next()?,
            segments.next()?,
            segments.next()?,
            segments.next()?,
        );
        if segments.next().is_some() || format!("{prefix}/") != CANDIDATES_PREFIX {
            return None;
        }
        if !is_id(account_id) || !is_id(upload_id) {
            return None;
        }
        Some(Self {
            account_id: account_id.to_owned(),
            kind: kind.parse().ok()?,
            upload_id: upload_id.to_owned(),
        })
    }

    pub fn as_key(&self) -> String {
        format!(
            "{CANDIDATES_PREFIX}{}/{}/{}",
            self.account_id,
            self.kind.code(),
            self.upload_id
        )
    }
}

/// Decodes an S3 event's object key, which is URL-encoded with `+` for
/// spaces. `None` when the result is not UTF-8 or an escape is malformed.
pub fn decode_event_key(raw: &str) -> Option<String> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes.get(i + 1..i + 3)?;
                let text = std::str::from_utf8(hex).ok()?;
                out.push(u8::from_str_radix(text, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

// ---------------------------------------------------------------------------
// Upload requests
// ---------------------------------------------------------------------------

/// Where an upload request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UploadStatus {
    /// The URL was given; no file checked yet.
    Pending,
    /// The file was checked and counts for the piece.
    Done,
    /// The file was checked, refused and deleted.
    Refused,
    /// The URL expired and nothing was stored through it (found by the
    /// sweep's reconciliation, a HEAD of its key).
    Unused,
}

/// An upload request, as stored (`CANDIDATE#<id>` / `UPLOAD#<upload id>`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UploadRecord {
    pub record_type: String,
    pub account_id: String,
    pub session: String,
    pub upload_id: String,
    pub kind: PieceKind,
    pub object_key: String,
    pub content_type: String,
    pub size_bytes: u64,
    /// The file's name as the candidate gave it (absent in requests stored
    /// before names were asked for).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The inscription's version when the URL was asked for: a signed
    /// confirmation counts only for that version.
    pub version: u64,
    pub created_at: DateTime<Utc>,
    /// When the upload URL stops working.
    pub expires_at: DateTime<Utc>,
    pub status: UploadStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub processed_at: Option<DateTime<Utc>>,
    /// SHA-256 of the bytes checked, to tell a duplicated notification from
    /// a second PUT through the same URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

impl UploadRecord {
    pub fn key(&self) -> Key {
        keys::upload(&self.account_id, &self.upload_id)
    }

    /// When the sweep looks for this upload's file if no check came:
    /// after its URL expired and S3's notification (with its retries) had
    /// time to arrive.
    pub fn reconcile_at(&self) -> DateTime<Utc> {
        self.expires_at + UPLOAD_GRACE
    }

    /// The item; while pending, with its due entry in gsi1 (the sweep's
    /// reconciliation), which any later status drops.
    pub(crate) fn to_item(&self) -> AppResult<Item> {
        let ttl = (self.expires_at + UPLOAD_RECORD_KEPT).timestamp();
        let mut item = Item::from_value(self.key(), self)?.with(TTL_ATTRIBUTE, ttl);
        if self.status == UploadStatus::Pending {
            item = item
                .with(GSI1_PK, keys::due_uploads(&self.session, &self.account_id))
                .with(
                    GSI1_SK,
                    format!(
                        "{}#{}#{}",
                        keys::sortable(self.reconcile_at()),
                        self.account_id,
                        self.upload_id
                    ),
                );
        }
        Ok(item)
    }
}

/// The upload requests of `account_id` in `session` whose file was never
/// checked: one query of the candidate's partition (their `UPLOAD#` items,
/// at most a few per piece while the window is open).
pub async fn pending(app: &App, account_id: &str, session: &str) -> AppResult<Vec<UploadRecord>> {
    let mut found = Vec::new();
    let mut cursor = None;
    loop {
        let query = Query::table(
            keys::candidate_pk(account_id),
            SortKeyCondition::BeginsWith(keys::UPLOAD_PREFIX.to_owned()),
        )
        .limit(100)
        .after(cursor);
        let page = app.store.query(&query).await?;
        for item in &page.items {
            let upload: UploadRecord = item.to_value()?;
            if upload.status == UploadStatus::Pending && upload.session == session {
                found.push(upload);
            }
        }
        cursor = page.cursor;
        if cursor.is_none() {
            return Ok(found);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_keys_parse_strictly() {
        let account = "0123456789abcdef0123456789abcdef";
        let key = ObjectKey::new(account, PieceKind::JdcCertificate);
        assert_eq!(ObjectKey::parse(&key.as_key()), Some(key.clone()));
        assert!(key
            .as_key()
            .starts_with(&format!("candidates/{account}/jdc_certificate/")));
        let upload = "fedcba9876543210fedcba9876543210";
        for bad in [
            String::new(),
            format!("candidates/{account}/jdc_certificate"),
            format!("candidates/{account}/jdc_certificate/{upload}/x"),
            format!("exports/{account}/jdc_certificate/{upload}"),
            format!("candidates/{account}/../{upload}"),
            format!("candidates/{account}/Jdc_Certificate/{upload}"),
            format!(
                "candidates/{}/jdc_certificate/{upload}",
                account.to_uppercase()
            ),
            format!("candidates/{account}x/jdc_certificate/{upload}"),
            format!("/candidates/{account}/jdc_certificate/{upload}"),
        ] {
            assert_eq!(ObjectKey::parse(&bad), None, "{bad}");
        }
    }

    #[test]
    fn event_keys_are_url_decoded() {
        assert_eq!(
            decode_event_key("candidates/a/b/c").as_deref(),
            Some("candidates/a/b/c")
        );
        assert_eq!(decode_event_key("a+b%2Fc%C3%A9").as_deref(), Some("a b/cé"));
        assert_eq!(decode_event_key("%2"), None);
        assert_eq!(decode_event_key("%zz"), None);
        assert_eq!(decode_event_key("%FF"), None);
    }
}
