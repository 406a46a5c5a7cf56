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
//! 3. [`check_stored_object`] runs on the stored bytes (an S3 `ObjectCreated`
//!    notification in AWS, the end of the PUT locally): size and magic
//!    numbers against what was declared, a live request, the inscription's
//!    version for the signed confirmation. A good file makes the piece
//!    `received`; a bad one is deleted and the piece says why. The check is
//!    idempotent: a duplicated or retried notification changes nothing.

use bytes::Bytes;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::app::App;
use crate::calendar::to_paris_string;
use crate::domain::dossier::{InscriptionStatus, PieceState, PieceStatus};
use crate::domain::pieces::{label_for, PieceKind};
use crate::domain::validation::FieldError;
use crate::error::{AppError, AppResult};
use crate::ports::store::{Condition, Item, WriteOp, TTL_ATTRIBUTE};
use crate::ports::{Key, OutgoingEmail, StoreError};
use crate::services::emails::Message;
use crate::services::inscription::{load_for_caller, HistoryEntry, InscriptionRecord};
use crate::services::keys;
use crate::services::mailqueue::{deliver_now, QueuedMail};
use crate::services::sessions::take;

/// The largest file accepted: 5 MiB.
pub const MAX_UPLOAD_BYTES: u64 = 5 * 1024 * 1024;

/// The prefix under which every candidate's files live.
pub const CANDIDATES_PREFIX: &str = "candidates/";

/// How late after its URL expired a notification may still arrive (S3
/// delivers asynchronously, retried for up to an hour).
const NOTIFICATION_GRACE: chrono::Duration = chrono::Duration::hours(1);

/// How long an upload request item is kept after its URL expired (the
/// table's TTL deletes it then): long enough to recognise any late or
/// duplicated notification.
const UPLOAD_RECORD_KEPT: chrono::Duration = chrono::Duration::days(30);

/// How many times the check re-reads and retries when another write moved
/// the inscription's revision in between.
const MAX_RETRIES: usize = 5;

// ---------------------------------------------------------------------------
// Accepted files
// ---------------------------------------------------------------------------

/// The kinds of file a piece may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileType {
    Pdf,
    Jpeg,
    Png,
}

impl FileType {
    pub const ALL: [FileType; 3] = [FileType::Pdf, FileType::Jpeg, FileType::Png];

    /// The media type, as signed into the upload URL.
    pub fn mime(self) -> &'static str {
        match self {
            FileType::Pdf => "application/pdf",
            FileType::Jpeg => "image/jpeg",
            FileType::Png => "image/png",
        }
    }

    /// A declared media type: one of [`FileType::mime`], whatever its case,
    /// or `image/jpg`, a common misspelling of `image/jpeg`. Parameters
    /// (`; charset=...`) are not accepted: the upload must send exactly the
    /// signed header.
    pub fn parse(content_type: &str) -> Option<Self> {
        let normalised = content_type.trim().to_ascii_lowercase();
        match normalised.as_str() {
            "application/pdf" => Some(FileType::Pdf),
            "image/jpeg" | "image/jpg" => Some(FileType::Jpeg),
            "image/png" => Some(FileType::Png),
            _ => None,
        }
    }

    /// The bytes every file of this type starts with.
    pub fn magic(self) -> &'static [u8] {
        match self {
            FileType::Pdf => b"%PDF-",
            FileType::Jpeg => b"\xFF\xD8\xFF",
            FileType::Png => b"\x89PNG\r\n\x1a\n",
        }
    }

    fn name_fr(self) -> &'static str {
        match self {
            FileType::Pdf => "un document PDF",
            FileType::Jpeg => "une image JPEG",
            FileType::Png => "une image PNG",
        }
    }

    fn short_fr(self) -> &'static str {
        match self {
            FileType::Pdf => "PDF",
            FileType::Jpeg => "JPEG",
            FileType::Png => "PNG",
        }
    }
}

/// Checks stored bytes against what was declared: the size (1 byte to
/// 5 MiB, and exactly the declared one) and the magic numbers of the declared
/// type. The error is the French reason the candidate reads.
pub fn inspect(declared: FileType, declared_size: u64, bytes: &[u8]) -> Result<(), String> {
    let size = bytes.len() as u64;
    if size == 0 {
        return Err(
            "Le fichier déposé est vide. Déposez un fichier PDF, JPEG ou PNG d'au plus 5 Mio."
                .into(),
        );
    }
    if size > MAX_UPLOAD_BYTES {
        return Err("Le fichier déposé dépasse 5 Mio. Réduisez-le (par exemple en le numérisant en noir et blanc ou à une résolution plus faible), puis déposez-le de nouveau.".into());
    }
    if size != declared_size {
        return Err(format!(
            "Le fichier reçu ne fait pas la taille annoncée ({} octets au lieu de {declared_size}) : déposez-le de nouveau.",
            size
        ));
    }
    if !bytes.starts_with(declared.magic()) {
        return Err(format!(
            "Le fichier déposé n'est pas un PDF, un JPEG ou un PNG valide (il devait être {}). Déposez un fichier PDF, JPEG ou PNG d'au plus 5 Mio.",
            declared.name_fr()
        ));
    }
    Ok(())
}

/// French thousands for byte counts: « 12 345 ».
fn format_count_fr(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('\u{a0}');
        }
        out.push(c);
    }
    out
}

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

    fn to_item(&self) -> AppResult<Item> {
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

pub(crate) fn no_inscription() -> AppError {
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

// ---------------------------------------------------------------------------
// The check of a stored file
// ---------------------------------------------------------------------------

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

/// The decision on one stored file.
struct Verdict {
    /// The piece's new state, or `None` to leave it as it is.
    piece: Option<PieceState>,
    /// `None` when the file is accepted, else the French reason.
    refusal: Option<String>,
}

fn refuse_keeping_better(current: Option<&PieceState>, key: &str, reason: String) -> Verdict {
    let piece = match current {
        // A good file received earlier (under another key) still counts.
        Some(state) if state.is_in() && state.object_key.as_deref() != Some(key) => {
            let mut kept = state.clone();
            kept.reason = Some(format!(
                "Le dernier fichier déposé n'a pas été retenu : {reason} Le fichier reçu précédemment reste pris en compte."
            ));
            Some(kept)
        }
        _ => Some(PieceState::missing_because(reason.clone())),
    };
    Verdict {
        piece,
        refusal: Some(reason),
    }
}

fn judge(
    record: &InscriptionRecord,
    upload: &UploadRecord,
    key: &str,
    bytes: &[u8],
    now: DateTime<Utc>,
) -> Verdict {
    let refuse_untouched = |reason: &str| Verdict {
        piece: None,
        refusal: Some(reason.to_owned()),
    };
    if record.status == InscriptionStatus::Cancelled {
        return refuse_untouched(
            "Votre inscription a été annulée : les pièces déposées ne sont plus prises en compte.",
        );
    }
    let Some(current) = record.pieces.get(&upload.kind) else {
        return refuse_untouched("Cette pièce n'est plus demandée pour votre inscription.");
    };
    if current.status == PieceStatus::Validated && current.object_key.as_deref() != Some(key) {
        return refuse_untouched(
            "Cette pièce a déjà été validée par la division des examens et concours : le nouveau fichier n'a pas été pris en compte.",
        );
    }
    let declared = FileType::parse(&upload.content_type).unwrap_or(FileType::Pdf);
    if let Err(reason) = inspect(declared, upload.size_bytes, bytes) {
        return refuse_keeping_better(Some(current), key, reason);
    }
    if upload.kind == PieceKind::SignedConfirmation && upload.version != record.version {
        return refuse_keeping_better(
            Some(current),
            key,
            format!(
                "Cette confirmation correspond à la version {} de votre inscription, qui a été modifiée depuis (version {}) : imprimez, datez et signez la nouvelle confirmation, puis déposez-la.",
                upload.version, record.version
            ),
        );
    }
    Verdict {
        piece: Some(PieceState {
            status: PieceStatus::Received,
            reason: None,
            received_at: Some(now),
            object_key: Some(key.to_owned()),
            content_type: Some(declared.mime().to_owned()),
            size_bytes: Some(upload.size_bytes),
            signed_version: (upload.kind == PieceKind::SignedConfirmation)
                .then_some(upload.version),
            // A new file: not reviewed yet.
            reviewed_at: None,
        }),
        refusal: None,
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

async fn discard(app: &App, key: &str, why: &str) -> AppResult<CheckOutcome> {
    tracing::warn!(key, why, "uploaded object discarded");
    app.documents.delete(key).await?;
    Ok(CheckOutcome::Discarded)
}

/// Whether the piece already counts a file from an upload requested after
/// `upload`. One more read, only when the piece holds another file.
async fn superseded(
    app: &App,
    record: &InscriptionRecord,
    upload: &UploadRecord,
    key: &str,
) -> AppResult<bool> {
    let Some(current) = record
        .pieces
        .get(&upload.kind)
        .and_then(|p| p.object_key.as_deref())
        .filter(|current| *current != key)
        .and_then(ObjectKey::parse)
    else {
        return Ok(false);
    };
    let current = app
        .store
        .get(&keys::upload(&current.account_id, &current.upload_id))
        .await?;
    Ok(current
        .map(|item| item.to_value::<UploadRecord>())
        .transpose()?
        .is_some_and(|current| current.created_at > upload.created_at))
}

/// Checks the file stored at `key` and records the outcome on its piece.
///
/// Reads the upload request and the inscription in one round trip, the bytes
/// once, and writes the piece, the request and a history line in one
/// transaction conditional on the revision read (retried, bounded, when
/// another write came first). Keys that are not a candidate's upload are
/// logged and ignored; files without a live request are deleted.
pub async fn check_stored_object(app: &App, key: &str) -> AppResult<CheckOutcome> {
    let Some(object) = ObjectKey::parse(key) else {
        tracing::warn!(key, "not a candidate upload key: ignored");
        return Ok(CheckOutcome::Ignored);
    };
    let upload_key = keys::upload(&object.account_id, &object.upload_id);
    let inscription_key = keys::inscription(&object.account_id, &app.calendar.session);
    let mut stored: Option<Option<Bytes>> = None;

    for _ in 0..MAX_RETRIES {
        let mut items = app
            .store
            .get_many(&[upload_key.clone(), inscription_key.clone()])
            .await?;
        let upload = take(&mut items, &upload_key)
            .map(|item| item.to_value::<UploadRecord>())
            .transpose()?
            .filter(|u| u.kind == object.kind && u.object_key == key);
        let record = take(&mut items, &inscription_key)
            .map(|item| item.to_value::<InscriptionRecord>())
            .transpose()?;
        let now = app.now();

        let Some(upload) = upload else {
            // The request is gone (its TTL passed) but a piece may count on
            // this very file: a late duplicate must not delete it.
            let counted = record
                .as_ref()
                .and_then(|r| r.pieces.get(&object.kind))
                .and_then(|p| p.object_key.as_deref())
                == Some(key);
            if counted {
                return Ok(CheckOutcome::AlreadyProcessed);
            }
            return discard(app, key, "no upload request").await;
        };
        match upload.status {
            UploadStatus::Refused => {
                // Deleting again is harmless and finishes an interrupted run.
                app.documents.delete(key).await?;
                return Ok(CheckOutcome::AlreadyProcessed);
            }
            UploadStatus::Pending if now > upload.expires_at + NOTIFICATION_GRACE => {
                return discard(app, key, "upload request expired").await;
            }
            UploadStatus::Pending | UploadStatus::Done => {}
        }
        let Some(record) = record else {
            return discard(app, key, "no inscription").await;
        };
        // A file counted from a newer upload request of this piece stays in
        // force: the late (or redelivered) notification of an older upload
        // changes nothing, and its file goes.
        if superseded(app, &record, &upload, key).await? {
            return discard(app, key, "superseded by a newer upload").await;
        }
        let bytes = match &stored {
            Some(bytes) => bytes.clone(),
            None => {
                let bytes = app.documents.get(key).await?;
                stored = Some(bytes.clone());
                bytes
            }
        };
        let Some(bytes) = bytes else {
            // Nothing there any more (deleted, or replaced by a later upload).
            tracing::info!(key, "notified object is gone");
            return Ok(CheckOutcome::AlreadyProcessed);
        };
        let digest = sha256_hex(&bytes);
        if upload.status == UploadStatus::Done && upload.sha256.as_deref() == Some(digest.as_str())
        {
            return Ok(CheckOutcome::AlreadyProcessed);
        }
        // Pending, or done but the bytes were replaced through the same URL
        // since: what is stored now is what is judged.

        let verdict = judge(&record, &upload, key, &bytes, now);
        let previous_key = record
            .pieces
            .get(&upload.kind)
            .and_then(|p| p.object_key.clone())
            .filter(|k| k != key);
        let mut next = record.clone();
        if let Some(piece) = verdict.piece.clone() {
            next.pieces.insert(upload.kind, piece);
        }
        next.refresh_status();
        next.revision += 1;
        let label = label_for(upload.kind, &record.data);
        let history = HistoryEntry {
            at: now,
            actor: "candidate".into(),
            action: if verdict.refusal.is_some() {
                "piece_refused"
            } else {
                "piece_received"
            }
            .into(),
            fields: vec![upload.kind.code().to_owned()],
            version: record.version,
            detail: Some(match &verdict.refusal {
                Some(reason) => format!("{label} : {reason}"),
                None => format!(
                    "{label} : {} de {} octets",
                    FileType::parse(&upload.content_type).map_or("fichier", FileType::short_fr),
                    format_count_fr(upload.size_bytes)
                ),
            }),
        };
        let mut done = upload.clone();
        done.status = if verdict.refusal.is_some() {
            UploadStatus::Refused
        } else {
            UploadStatus::Done
        };
        done.reason = verdict.refusal.clone();
        done.processed_at = Some(now);
        done.sha256 = Some(digest);
        let mut ops = next.write_ops(&app.calendar, record.revision, history)?;
        ops.push(WriteOp::put(
            done.to_item()?,
            Condition::AttributeEquals("status".into(), json!(upload.status)),
        ));
        // The email owed for a dossier that just became complete is queued
        // with the change itself, so that it can be neither lost nor doubled.
        let became_complete = next.status == InscriptionStatus::Complete
            && record.status != InscriptionStatus::Complete;
        let mail = if became_complete {
            let mail = QueuedMail::new(
                uuid::Uuid::new_v4().simple().to_string(),
                "dossier_complete",
                &next.account_id,
                complete_email(app, &next),
                now,
            );
            ops.push(mail.enqueue_op()?);
            Some(mail)
        } else {
            None
        };
        match app.store.transact(ops).await {
            Ok(()) => {}
            Err(StoreError::ConditionFailed { .. } | StoreError::Conflict(_)) => continue,
            Err(e) => return Err(e.into()),
        }

        if let Some(reason) = verdict.refusal {
            tracing::info!(key, kind = %upload.kind, "upload refused");
            app.documents.delete(key).await?;
            return Ok(CheckOutcome::Refused {
                kind: upload.kind,
                reason,
            });
        }
        tracing::info!(key, kind = %upload.kind, status = next.status.code(), "piece received");
        if let Some(old) = previous_key {
            // The file this one replaces: no reason to keep it.
            if let Err(e) = app.documents.delete(&old).await {
                tracing::warn!(error = %e, key = %old, "replaced file not deleted");
            }
        }
        if let Some(mail) = mail {
            // Sent now if possible; otherwise the sweep's drain sends it.
            deliver_now(app, &mail).await;
        }
        return Ok(CheckOutcome::Received {
            kind: upload.kind,
            status: next.status,
        });
    }
    Err(AppError::Store(StoreError::Conflict(format!(
        "the check of {key} lost {MAX_RETRIES} races in a row"
    ))))
}

/// Checks every key of one S3 notification (keys as S3 sends them,
/// URL-encoded). Every key is tried; the first error is returned so that the
/// notification is retried (the check is idempotent).
pub async fn check_notified_keys<'a>(
    app: &App,
    raw_keys: impl IntoIterator<Item = &'a str>,
) -> AppResult<Vec<CheckOutcome>> {
    let mut outcomes = Vec::new();
    let mut first_error = None;
    for raw in raw_keys {
        let Some(key) = decode_event_key(raw) else {
            tracing::warn!(raw, "undecodable object key: ignored");
            outcomes.push(CheckOutcome::Ignored);
            continue;
        };
        match check_stored_object(app, &key).await {
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

/// « Votre dossier d'inscription est complet ».
pub fn complete_email(app: &App, record: &InscriptionRecord) -> OutgoingEmail {
    let diploma = record.data.diploma;
    let specialty = app
        .catalogue
        .specialty(diploma, &record.data.specialty)
        .map_or_else(|| record.data.specialty.clone(), |s| s.label.clone());
    Message::new("Votre dossier d'inscription est complet")
        .para(format!(
            "Nous avons bien reçu votre confirmation d'inscription signée et toutes les pièces justificatives demandées pour votre inscription au {} « {specialty} », session {}.",
            diploma_label(app, diploma).to_lowercase(),
            record.session
        ))
        .para("Votre dossier d'inscription est complet. La division des examens et concours va maintenant le vérifier ; si une pièce devait être refusée, vous en seriez informé par courriel et pourriez la déposer de nouveau.")
        .para("Attention : toute nouvelle modification de votre inscription rendra caduque la confirmation signée. Il faudrait alors imprimer, dater, signer et déposer la nouvelle confirmation.")
        .link("Mon espace candidat", app.link("/"))
        .to(&record.email)
}

pub(crate) fn diploma_label(app: &App, diploma: crate::domain::Diploma) -> String {
    app.catalogue
        .diploma(diploma)
        .map_or_else(|| diploma.label().to_owned(), |d| d.label.clone())
}

const MONTHS_FR: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

/// A birth date as French writes it: « 3 février 2000 », « 1er mai 1999 ».
pub fn birth_date_fr(day: NaiveDate) -> String {
    let number = match day.day() {
        1 => "1er".to_owned(),
        n => n.to_string(),
    };
    let month = MONTHS_FR
        .get(day.month0() as usize)
        .copied()
        .unwrap_or_default();
    format!("{number} {month} {}", day.year())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::countries::{country_fr, nationality_fr, COUNTRIES_FR};

    #[test]
    fn declared_types_parse_strictly() {
        assert_eq!(FileType::parse("application/pdf"), Some(FileType::Pdf));
        assert_eq!(FileType::parse(" Image/PNG "), Some(FileType::Png));
        assert_eq!(FileType::parse("image/jpg"), Some(FileType::Jpeg));
        for bad in [
            "",
            "text/html",
            "application/pdf; charset=utf-8",
            "image/gif",
            "application/octet-stream",
        ] {
            assert_eq!(FileType::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn stored_bytes_must_match_the_declared_type_and_size() {
        let pdf = b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n".to_vec();
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        let jpeg = b"\xFF\xD8\xFF\xE0\0\x10JFIF\0".to_vec();
        let html = b"<!DOCTYPE html><html><script>alert(1)</script></html>".to_vec();
        assert_eq!(inspect(FileType::Pdf, pdf.len() as u64, &pdf), Ok(()));
        assert_eq!(inspect(FileType::Png, png.len() as u64, &png), Ok(()));
        assert_eq!(inspect(FileType::Jpeg, jpeg.len() as u64, &jpeg), Ok(()));
        let reason = inspect(FileType::Pdf, html.len() as u64, &html).unwrap_err();
        assert!(
            reason.contains("n'est pas un PDF, un JPEG ou un PNG valide"),
            "{reason}"
        );
        // A real PNG declared as a PDF is refused too.
        assert!(inspect(FileType::Pdf, png.len() as u64, &png).is_err());
        assert!(inspect(FileType::Pdf, 0, b"").is_err());
        assert!(inspect(FileType::Pdf, pdf.len() as u64 + 1, &pdf).is_err());
        let huge = [b"%PDF-".as_slice(), &vec![b' '; MAX_UPLOAD_BYTES as usize]].concat();
        assert!(inspect(FileType::Pdf, huge.len() as u64, &huge)
            .unwrap_err()
            .contains("5 Mio"));
    }

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

    #[test]
    fn french_formats() {
        assert_eq!(
            birth_date_fr(NaiveDate::from_ymd_opt(2000, 2, 3).unwrap()),
            "3 février 2000"
        );
        assert_eq!(
            birth_date_fr(NaiveDate::from_ymd_opt(1999, 5, 1).unwrap()),
            "1er mai 1999"
        );
        assert_eq!(format_count_fr(12_345), "12\u{a0}345");
        assert_eq!(format_count_fr(999), "999");
        assert_eq!(format_count_fr(5_242_880), "5\u{a0}242\u{a0}880");
        assert_eq!(nationality_fr("FR"), "française");
        assert_eq!(nationality_fr("BE"), "étrangère, pays : Belgique (BE)");
        assert_eq!(country_fr("FR"), "France");
        assert_eq!(country_fr("QQ"), "QQ");
        let mut sorted = COUNTRIES_FR;
        sorted.sort();
        assert_eq!(
            sorted, COUNTRIES_FR,
            "the table is sorted for the binary search"
        );
    }
}
