//! Documents (notice, sections 2 and 3): the « confirmation d'inscription »
//! the candidate prints, dates and signs, and the upload of the signed
//! confirmation and of every piece (« télé-verser »).
//!
//! An upload takes three steps, none of which lets a candidate reach another
//! candidate's files:
//!
//! 1. [`request_upload`] (`POST /inscription/pieces/{kind}/uploads`) checks
//!    the piece, the window, the type and the size, writes an upload request
//!    item (one conditional write) and answers a presigned PUT URL for
//!    `candidates/<own account id>/<kind>/<upload id>`, which signs the
//!    content type and length.
//! 2. The client PUTs the file straight to the document store.
//! 3. [`check_stored_object`] (in `services::upload_check`) runs on the stored bytes (an S3 `ObjectCreated`
//!    notification in AWS, the end of the PUT locally): size and magic
//!    numbers against what was declared, a live request, the inscription's
//!    version for the signed confirmation. A good file makes the piece
//!    `received`; a bad one is deleted and the piece says why. The check is
//!    idempotent: a duplicated or retried notification changes nothing.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::app::App;
use crate::calendar::to_paris_string;
use crate::domain::dossier::{InscriptionStatus, PieceStatus};
use crate::domain::pieces::{label_for, PieceKind};
use crate::domain::validation::FieldError;
use crate::error::{AppError, AppResult};
use crate::ports::store::{Condition, Item, WriteOp, TTL_ATTRIBUTE};
use crate::ports::Key;
use crate::records::keys;
use crate::services::inscription::{load_for_caller, InscriptionRecord};

pub use crate::domain::files::{inspect, FileType, MAX_UPLOAD_BYTES};
pub use crate::services::confirmation::{
    birth_date_fr, confirmation_document, confirmation_pdf, ConfirmationPdf,
};
pub use crate::services::upload_check::{check_notified_keys, check_stored_object, CheckOutcome};

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

    pub(crate) fn to_item(&self) -> AppResult<Item> {
        let ttl = (self.expires_at + UPLOAD_RECORD_KEPT).timestamp();
        Ok(Item::from_value(self.key(), self)?.with(TTL_ATTRIBUTE, ttl))
    }
}

/// The body of `POST /inscription/pieces/{kind}/uploads`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UploadRequestInput {
    /// `application/pdf`, `image/jpeg` or `image/png`.
    #[serde(default)]
    #[schema(required = true, example = "application/pdf")]
    pub content_type: Option<String>,
    /// The file's exact size in bytes, from 1 to 5 242 880 (5 MiB).
    #[serde(default)]
    #[schema(required = true, example = 183_204)]
    pub size_bytes: Option<u64>,
}

/// What the client needs to upload the file: PUT it to `upload_url` with
/// exactly `headers`, before `expires_at`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UploadTicket {
    pub upload_url: String,
    /// Always `PUT`.
    pub method: String,
    /// The headers to send, exactly (`Content-Type`, `Content-Length`): they are signed.
    pub headers: std::collections::BTreeMap<String, String>,
    pub expires_at: DateTime<Utc>,
}

fn no_inscription() -> AppError {
    AppError::not_found(
        "no_inscription",
        "Vous n'avez pas encore d'inscription pour cette session : remplissez le formulaire « M'inscrire ».",
    )
}

fn unknown_piece(record: &InscriptionRecord) -> AppError {
    let expected = record
        .pieces
        .keys()
        .map(|k| format!("« {} » ({})", k.code(), label_for(*k, &record.data)))
        .collect::<Vec<_>>()
        .join(", ");
    AppError::not_found(
        "unknown_piece",
        format!("Cette pièce n'est pas demandée pour votre inscription. Les pièces attendues sont : {expected}."),
    )
}

fn documents_closed(app: &App, record: &InscriptionRecord, now: DateTime<Utc>) -> AppError {
    let window = app.calendar.windows(record.data.diploma).documents;
    let detail = if record.status == InscriptionStatus::Cancelled {
        format!(
            "Votre inscription a été annulée faute d'un dossier complet à temps : le dépôt des pièces n'est plus possible. Le dépôt était ouvert {} (heure de Paris).",
            window.french_range()
        )
    } else if now < window.opens {
        format!(
            "Le dépôt de la confirmation signée et des pièces justificatives n'est pas encore ouvert : il aura lieu {} (heure de Paris).",
            window.french_range()
        )
    } else {
        let extension = record
            .documents_deadline_extension
            .map(|until| format!(", prolongé pour vous jusqu'au {}", to_paris_string(until)))
            .unwrap_or_default();
        format!(
            "Le dépôt de la confirmation signée et des pièces justificatives est clos : il était ouvert {}{extension} (heure de Paris).",
            window.french_range()
        )
    };
    AppError::refused(403, "documents_closed", "Dépôt des pièces fermé", detail)
}

fn piece_validated(record: &InscriptionRecord, kind: PieceKind) -> AppError {
    AppError::refused(
        409,
        "piece_already_validated",
        "Pièce déjà validée",
        format!(
            "La pièce « {} » a déjà été vérifiée et validée par la division des examens et concours : il n'y a pas lieu de la déposer de nouveau.",
            label_for(kind, &record.data)
        ),
    )
}

fn unsupported_type() -> AppError {
    AppError::refused(
        415,
        "unsupported_type",
        "Type de fichier non accepté",
        "Seuls les fichiers PDF, JPEG et PNG sont acceptés (content_type « application/pdf », « image/jpeg » ou « image/png »).",
    )
}

fn too_large() -> AppError {
    AppError::refused(
        413,
        "too_large",
        "Fichier trop volumineux",
        "Un fichier ne peut dépasser 5 Mio (5 242 880 octets). Réduisez-le (par exemple en le numérisant à une résolution plus faible), puis recommencez.",
    )
}

/// Checks the body: every missing field at once (422), then the type (415),
/// then the size (413).
fn check_input(input: &UploadRequestInput) -> AppResult<(FileType, u64)> {
    let mut errors = Vec::new();
    let content_type = input
        .content_type
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty());
    if content_type.is_none() {
        errors.push(FieldError::new(
            "content_type",
            "required",
            "Indiquez le type du fichier : « application/pdf », « image/jpeg » ou « image/png ».",
        ));
    }
    match input.size_bytes {
        None => errors.push(FieldError::new(
            "size_bytes",
            "required",
            "Indiquez la taille du fichier en octets.",
        )),
        Some(0) => errors.push(FieldError::new(
            "size_bytes",
            "empty_file",
            "Le fichier est vide : choisissez un fichier d'au moins un octet.",
        )),
        Some(_) => {}
    }
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    let file_type = content_type
        .and_then(FileType::parse)
        .ok_or_else(unsupported_type)?;
    let size = input.size_bytes.unwrap_or_default();
    if size > MAX_UPLOAD_BYTES {
        return Err(too_large());
    }
    Ok((file_type, size))
}

/// `POST /inscription/pieces/{kind}/uploads`: a presigned URL to upload one
/// file for one piece of the caller's own inscription.
///
/// Two round trips to the table: one read (session, account and inscription)
/// and one conditional write (the upload request); presigning is local.
pub async fn request_upload(
    app: &App,
    token: Option<&str>,
    kind: &str,
    input: &UploadRequestInput,
) -> AppResult<UploadTicket> {
    let (caller, record) = load_for_caller(app, token).await?;
    let record = record.ok_or_else(no_inscription)?;
    // Only the exact code of a piece this inscription requires: anything
    // else (`../x`, other case, a piece not required) stops here.
    let kind = kind
        .parse::<PieceKind>()
        .ok()
        .filter(|k| record.pieces.contains_key(k))
        .ok_or_else(|| unknown_piece(&record))?;
    let now = app.now();
    if record.status == InscriptionStatus::Cancelled || !record.documents_open(&app.calendar, now) {
        return Err(documents_closed(app, &record, now));
    }
    if record
        .pieces
        .get(&kind)
        .is_some_and(|p| p.status == PieceStatus::Validated)
    {
        return Err(piece_validated(&record, kind));
    }
    let (file_type, size) = check_input(input)?;

    // Less than a second before the close, a URL could not be used in time.
    let lifetime = upload_url_lifetime(app, &record, now)
        .ok_or_else(|| documents_closed(app, &record, now))?;

    // The key is built from the caller's own account id, never from input.
    let object = ObjectKey::new(&caller.account.account_id, kind);
    let object_key = object.as_key();
    let presigned = app
        .documents
        .presign_put(&object_key, file_type.mime(), size, now, lifetime)
        .await?;
    let upload = UploadRecord {
        record_type: "upload".into(),
        account_id: caller.account.account_id.clone(),
        session: record.session.clone(),
        upload_id: object.upload_id.clone(),
        kind,
        object_key,
        content_type: file_type.mime().to_owned(),
        size_bytes: size,
        version: record.version,
        created_at: now,
        expires_at: presigned.expires_at,
        status: UploadStatus::Pending,
        reason: None,
        processed_at: None,
        sha256: None,
    };
    app.store
        .transact(vec![WriteOp::put(upload.to_item()?, Condition::NotExists)])
        .await?;
    Ok(UploadTicket {
        upload_url: presigned.upload_url,
        method: presigned.method,
        headers: presigned.headers,
        expires_at: presigned.expires_at,
    })
}

/// How long an upload URL stays valid: the configured lifetime, but never
/// past the inscription's documents deadline, so that a file sent after the
/// window closed is refused by the store itself (S3 answers 403), not taken
/// in and then ignored. Whole seconds (presigned URLs count in seconds),
/// rounded down; `None` when not one is left.
fn upload_url_lifetime(
    app: &App,
    record: &InscriptionRecord,
    now: DateTime<Utc>,
) -> Option<std::time::Duration> {
    let left = (record.documents_deadline(&app.calendar) - now).num_seconds();
    let left = std::time::Duration::from_secs(u64::try_from(left).ok().filter(|s| *s > 0)?);
    Some(app.config.upload_url_lifetime.min(left))
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
