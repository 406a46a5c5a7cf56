//! Documents (notice, sections 2 and 3): the « confirmation d'inscription »
//! the candidate prints, dates and signs, and the upload of the signed
//! confirmation and of every piece (« déposer »).
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
//! 3. [`check_stored_object`](crate::services::upload_check::check_stored_object) runs on the stored bytes (an S3 `ObjectCreated`
//!    notification in AWS, the end of the PUT locally): size and magic
//!    numbers against what was declared, a live request, the inscription's
//!    version for the signed confirmation. A good file makes the piece
//!    `received`; a bad one is deleted and the piece says why. The check is
//!    idempotent: a duplicated or retried notification changes nothing.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::app::App;
use crate::domain::dossier::{InscriptionStatus, PieceStatus, MAX_FILES_PER_PIECE};
use crate::domain::pieces::{label_for, PieceKind};
use crate::domain::validation::FieldError;
use crate::ports::store::{Condition, WriteOp};
use crate::records::dossier::InscriptionRecord;
use crate::services::inscription::load_for_caller;
use crate::wording::to_paris_string;

use crate::domain::files::{FileType, MAX_UPLOAD_BYTES};
use crate::records::upload::{ObjectKey, UploadRecord, UploadStatus};

mod error;
pub use error::{DocumentsError, DocumentsRefusal, DocumentsResult};

/// The body of `POST /inscription/pieces/{kind}/uploads`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UploadRequestInput {
    /// `application/pdf`, `image/jpeg` or `image/png`.
    #[serde(default)]
    #[schema(required = true, schema_with = content_type_schema)]
    pub content_type: Option<String>,
    /// The file's exact size in bytes, from 1 to 5 242 880 (5 MiB).
    // The bounds are `MAX_UPLOAD_BYTES`'s (a test over the document ties them).
    #[serde(default)]
    #[schema(
        required = true,
        nullable = false,
        minimum = 1,
        maximum = 5_242_880,
        example = 183_204
    )]
    pub size_bytes: Option<u64>,
    /// The file's name, as the piece's `files` will list it (at most 200
    /// characters, no control character); by default the piece's code and
    /// the type's extension (`identity_document.pdf`).
    #[serde(default)]
    #[schema(
        max_length = 200,
        pattern = r"^[^\x00-\x1F\x7F-\x9F]*$",
        example = "carte-identite-recto.jpg"
    )]
    pub name: Option<String>,
}

/// `content_type`'s schema: exactly the media types [`FileType::parse`]
/// takes as spelt by [`FileType::mime`], so that a generated client offers
/// no other (anything else is answered 415 `unsupported_type`).
fn content_type_schema() -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(FileType::ALL.map(FileType::mime)))
        .description(Some("`application/pdf`, `image/jpeg` or `image/png`."))
        .examples(["application/pdf"])
        .build()
}

/// The longest file name kept.
const MAX_NAME_CHARS: usize = 200;

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

fn no_inscription() -> DocumentsError {
    DocumentsRefusal::NoInscription.into()
}

fn unknown_piece(record: &InscriptionRecord) -> DocumentsError {
    let expected = record
        .pieces
        .keys()
        .map(|k| format!("« {} » ({})", k.code(), label_for(*k, &record.data)))
        .collect::<Vec<_>>()
        .join(", ");
    DocumentsRefusal::UnknownPiece { expected }.into()
}

/// The piece `kind` names, if it is one `record` requires. Only the exact
/// code of such a piece passes: anything else (`../x`, other case, a piece
/// not required) stops here.
fn required_piece(record: &InscriptionRecord, kind: &str) -> DocumentsResult<PieceKind> {
    kind.parse::<PieceKind>()
        .ok()
        .filter(|k| record.pieces.contains_key(k))
        .ok_or_else(|| unknown_piece(record))
}

fn documents_closed(app: &App, record: &InscriptionRecord, now: DateTime<Utc>) -> DocumentsError {
    let window = app.calendar.windows(record.data.diploma).documents;
    let detail = if record.status == InscriptionStatus::Withdrawn {
        "Votre inscription est retirée : le dépôt des pièces n'est plus possible. S'il s'agit d'une erreur, contactez la division des examens et concours du rectorat, qui peut la rouvrir.".to_owned()
    } else if record.status == InscriptionStatus::Cancelled {
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
    DocumentsRefusal::DocumentsClosed { detail }.into()
}

/// The file's name given, trimmed; `None` when empty or absent.
fn file_name(input: &UploadRequestInput) -> Result<Option<String>, FieldError> {
    let Some(name) = input
        .name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
    else {
        return Ok(None);
    };
    if name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(FieldError::new(
            "name",
            "invalid_name",
            format!("Le nom du fichier tient en {MAX_NAME_CHARS} caractères au plus, sans caractère de contrôle."),
        ));
    }
    Ok(Some(name.to_owned()))
}

/// Checks the body: every missing or invalid field at once (422), then the
/// type (415), then the size (413).
fn check_input(input: &UploadRequestInput) -> DocumentsResult<(FileType, u64, Option<String>)> {
    let mut errors = Vec::new();
    let name = file_name(input).unwrap_or_else(|error| {
        errors.push(error);
        None
    });
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
        return Err(DocumentsRefusal::Invalid(errors).into());
    }
    let file_type = content_type
        .and_then(FileType::parse)
        .ok_or(DocumentsRefusal::UnsupportedType)?;
    let size = input.size_bytes.unwrap_or_default();
    if size > MAX_UPLOAD_BYTES {
        return Err(DocumentsRefusal::TooLarge.into());
    }
    Ok((file_type, size, name))
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
) -> DocumentsResult<UploadTicket> {
    let (caller, record) = load_for_caller(app, token).await?;
    let record = record.ok_or_else(no_inscription)?;
    let kind = required_piece(&record, kind)?;
    let now = app.now();
    if record.status.is_closed() || !record.documents_open(&app.calendar, now) {
        return Err(documents_closed(app, &record, now));
    }
    if record
        .pieces
        .get(&kind)
        .is_some_and(|p| p.status == PieceStatus::Validated)
    {
        let label = label_for(kind, &record.data);
        return Err(DocumentsRefusal::PieceAlreadyValidated { label }.into());
    }
    if record
        .pieces
        .get(&kind)
        .is_some_and(|p| p.current_files().len() >= MAX_FILES_PER_PIECE)
    {
        let label = label_for(kind, &record.data);
        return Err(DocumentsRefusal::TooManyFiles { label }.into());
    }
    let (file_type, size, name) = check_input(input)?;

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
        name,
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

/// `DELETE /inscription/pieces/{kind}/files/{id}`: removes one file of a
/// piece of the caller's inscription, while the documents window is open and
/// the office has not validated the piece. Removing its last file takes the
/// piece back to `missing`. The stored object is deleted once the change is
/// written (the candidate withdrew it: it was never judged by the office).
pub async fn delete_file(
    app: &App,
    token: Option<&str>,
    kind: &str,
    file_id: &str,
) -> DocumentsResult<()> {
    use crate::domain::transitions::file_removal::{remove_file, RemovalRefused};
    use crate::records::dossier::{self, Delivery};

    let (caller, record) = load_for_caller(app, token).await?;
    let record = record.ok_or_else(no_inscription)?;
    let kind = required_piece(&record, kind)?;
    let account_id = caller.account.account_id.clone();
    let session = record.session.clone();
    let mut removed_key = None;
    let updated = dossier::update(
        app,
        &account_id,
        &session,
        Some(record),
        Delivery::Now,
        |current| {
            let current = current.ok_or_else(no_inscription)?;
            let now = app.now();
            match remove_file(current, kind, file_id, &app.calendar, now) {
                Ok(removed) => {
                    removed_key = Some(removed.file.object_key);
                    Ok(Some(removed.transition))
                }
                Err(RemovalRefused::UnknownPiece) => Err(unknown_piece(current)),
                Err(RemovalRefused::DocumentsClosed) => Err(documents_closed(app, current, now)),
                Err(RemovalRefused::PieceValidated) => {
                    let label = label_for(kind, &current.data);
                    Err(DocumentsRefusal::PieceValidatedKeepsFiles { label }.into())
                }
                Err(RemovalRefused::UnknownFile) => {
                    let label = label_for(kind, &current.data);
                    Err(DocumentsRefusal::UnknownFile { label }.into())
                }
            }
        },
    )
    .await?;
    if updated.raced {
        return Err(crate::ports::StoreError::Conflict(
            "the removal of a file lost every race".into(),
        )
        .into());
    }
    if let (Some(_), Some(key)) = (updated.committed, removed_key) {
        if let Err(e) = app.documents.delete(&key).await {
            // The record no longer counts it; the object is orphaned only.
            tracing::warn!(error = %e, key = %key, "removed file not deleted");
        }
    }
    Ok(())
}
