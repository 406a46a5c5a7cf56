//! Routes of the documents function: the confirmation PDF and upload URLs.

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
#[cfg(feature = "pdf")]
use axum::http::{header, HeaderValue};
use axum::http::{HeaderMap, StatusCode};
#[cfg(feature = "pdf")]
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::json::StrictJson;
use super::problem::Problem;
use super::AppState;
use crate::domain::pieces::PieceKind;
use crate::error::AppError;
use crate::services::documents::{
    self, DocumentsError, DocumentsRefusal, UploadRequestInput, UploadTicket,
};

/// The status each documents refusal answers with.
fn status(refusal: &DocumentsRefusal) -> u16 {
    match refusal {
        DocumentsRefusal::NoInscription
        | DocumentsRefusal::UnknownPiece { .. }
        | DocumentsRefusal::UnknownFile { .. } => 404,
        DocumentsRefusal::DocumentsClosed { .. } => 403,
        DocumentsRefusal::PieceAlreadyValidated { .. }
        | DocumentsRefusal::PieceValidatedKeepsFiles { .. }
        | DocumentsRefusal::TooManyFiles { .. } => 409,
        DocumentsRefusal::Invalid(_) => 422,
        DocumentsRefusal::UnsupportedType => 415,
        DocumentsRefusal::TooLarge => 413,
    }
}

impl From<DocumentsError> for AppError {
    fn from(error: DocumentsError) -> Self {
        match error {
            DocumentsError::Failed(error) => error,
            DocumentsError::Refused(DocumentsRefusal::Invalid(errors)) => {
                AppError::validation(errors)
            }
            DocumentsError::Refused(refusal) => AppError::refused(
                status(&refusal),
                refusal.code(),
                refusal.title(),
                refusal.detail(),
            ),
        }
    }
}
use crate::services::sessions::token_from_headers;

// Only describes the body in the OpenAPI document: never built.
/// A PDF file.
#[derive(utoipa::ToSchema)]
#[schema(value_type = String, format = Binary)]
#[allow(dead_code)]
pub struct PdfFile(Vec<u8>);

/// The « confirmation d'inscription » to print, check, date and sign (A4,
/// French, fonts embedded): académie and session, diploma and specialty,
/// every identity field, the units with the declared acquis, the disability
/// declaration, the version and the instant of the last save, the pieces to
/// upload with the documents window, and a box for the date and signature.
/// The same version always gives the same text. Downloaded as
/// `confirmation-inscription-<session>-v<version>.pdf`.
#[utoipa::path(get, path = "/inscription/confirmation.pdf", tag = "documents",
    responses(
        (status = 200, description = "The PDF", content_type = "application/pdf", body = inline(PdfFile)),
        (status = 401, description = "unauthenticated", body = Problem),
        (status = 404, description = "no_inscription", body = Problem),
    ),
    security(("bearer" = []), ("cookie" = [])))]
// After `utoipa::path`: the OpenAPI document describes the route in every
// build, the handler exists only where the PDF is rendered.
#[cfg(feature = "pdf")]
pub async fn confirmation_pdf(
    State(app): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let token = token_from_headers(&headers, &app.config);
    let pdf = crate::services::confirmation::confirmation_pdf(&app, token.as_deref()).await?;
    // The name holds only the session and a number: no quoting issue.
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{}\"", pdf.filename))
        .map_err(|e| AppError::Internal(format!("content disposition: {e}")))?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/pdf"),
            ),
            (header::CONTENT_DISPOSITION, disposition),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, no-store"),
            ),
        ],
        pdf.bytes,
    )
        .into_response())
}

/// A presigned URL to upload one file for one piece of the caller's
/// inscription: `kind` is the exact code of a piece it requires
/// (`signed_confirmation`, `identity_document`, `jdc_certificate`,
/// `accommodation_notice`, `acquis_proof`), while the documents window is
/// open or the candidate's extension runs. PDF, JPEG or PNG, 1 byte to 5 MiB.
///
/// PUT the file to `upload_url` with exactly `headers` (the content type and
/// length are signed) before `expires_at` (a few minutes); the URL only ever
/// names a key under the caller's own prefix and serves one upload. The
/// stored bytes are then checked (size, and magic numbers of the declared
/// type): a good file makes the piece `received` (see `GET
/// /inscription/pieces`), a bad one is deleted and the piece says why in
/// `reason`. A signed confirmation counts only for the version it was asked
/// for. A piece holds up to 5 files (both sides of a card, every page of the
/// confirmation): each upload adds one to its `files`, named by `name`
/// (optional); a sixth is refused (409 `too_many_files`: delete one first).
/// A file refused by the check leaves the files received before in force; a
/// piece the exams office has already validated takes no more files (409
/// `piece_already_validated`).
#[utoipa::path(post, path = "/inscription/pieces/{kind}/uploads", tag = "documents",
    params(("kind" = PieceKind, Path, description = "The piece's code (`PieceKind`); a kind the inscription does not require answers 404 `unknown_piece`")),
    request_body = UploadRequestInput,
    responses(
        (status = 201, description = "Upload URL", body = UploadTicket),
        (status = 401, description = "unauthenticated", body = Problem),
        (status = 403, description = "documents_closed (outside the documents window or the candidate's extension, or inscription cancelled)", body = Problem),
        (status = 404, description = "no_inscription, unknown_piece (not a piece this inscription requires)", body = Problem),
        (status = 409, description = "piece_already_validated, too_many_files (the piece holds 5 files already)", body = Problem),
        (status = 413, description = "too_large (over 5 MiB), payload_too_large", body = Problem),
        (status = 415, description = "unsupported_type (not application/pdf, image/jpeg or image/png)", body = Problem),
        (status = 422, description = "validation_failed (every field missing or of the wrong type, empty file, a name over 200 characters or with a control character), unknown_field", body = Problem),
    ),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn create_upload(
    State(app): State<AppState>,
    headers: HeaderMap,
    kind: Result<Path<String>, PathRejection>,
    StrictJson(input): StrictJson<UploadRequestInput>,
) -> Result<(StatusCode, Json<UploadTicket>), AppError> {
    let token = token_from_headers(&headers, &app.config);
    // An undecodable segment is no piece code either.
    let kind = kind.map(|Path(k)| k).unwrap_or_default();
    let ticket = documents::request_upload(&app, token.as_deref(), &kind, &input).await?;
    Ok((StatusCode::CREATED, Json(ticket)))
}

/// Removes one file of a piece (its `id` as `GET /inscription/pieces` lists
/// it in the piece's `files`), while the documents window is open (or the
/// candidate's extension runs) and the exams office has not validated the
/// piece. Removing the piece's last file takes it back to `missing`, and a
/// `complete` inscription back to `registered`. Files the office rejected
/// (`rejected_files`) are kept as evidence and cannot be removed.
#[utoipa::path(delete, path = "/inscription/pieces/{kind}/files/{id}", tag = "documents",
    params(
        ("kind" = PieceKind, Path, description = "The piece's code (`PieceKind`); a kind the inscription does not require answers 404 `unknown_piece`"),
        ("id" = String, Path, description = "The file's `id`, from the piece's `files`"),
    ),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, description = "unauthenticated", body = Problem),
        (status = 403, description = "documents_closed (outside the documents window or the candidate's extension, or inscription cancelled)", body = Problem),
        (status = 404, description = "no_inscription, unknown_piece, unknown_file (no file of the piece has this id)", body = Problem),
        (status = 409, description = "piece_validated (the office validated the piece: its files stay)", body = Problem),
    ),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn delete_file(
    State(app): State<AppState>,
    headers: HeaderMap,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<StatusCode, AppError> {
    let token = token_from_headers(&headers, &app.config);
    // An undecodable segment is no piece code nor file id either.
    let (kind, id) = path.map(|Path(p)| p).unwrap_or_default();
    documents::delete_file(&app, token.as_deref(), &kind, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::validation::FieldError;

    #[test]
    fn refusals_keep_their_code_and_wording_and_get_their_status_here() {
        let closed = DocumentsRefusal::DocumentsClosed {
            detail: "Le dépôt est clos.".into(),
        };
        let answer = AppError::from(DocumentsError::from(closed));
        assert_eq!((answer.status(), answer.code()), (403, "documents_closed"));
        assert_eq!(answer.title(), "Dépôt des pièces fermé");
        assert_eq!(answer.message(), "Le dépôt est clos.");
        let large = AppError::from(DocumentsError::from(DocumentsRefusal::TooLarge));
        assert_eq!((large.status(), large.code()), (413, "too_large"));
    }

    #[test]
    fn fields_to_correct_are_the_validation_problem() {
        let field = FieldError::new("size_bytes", "required", "Indiquez la taille.");
        let answer = AppError::from(DocumentsError::from(DocumentsRefusal::Invalid(vec![
            field.clone()
        ])));
        assert_eq!((answer.status(), answer.code()), (422, "validation_failed"));
        let AppError::Refused { errors, .. } = answer else {
            panic!("a refusal");
        };
        assert_eq!(errors, vec![field]);
    }
}
