//! Routes of the inscription function.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;

use super::json::Parsed;
use super::problem::Problem;
use super::AppState;
use crate::domain::inscription::InscriptionInput;
use crate::error::AppError;
use crate::services::inscription::{
    self, InscriptionError, InscriptionRefusal, InscriptionView, PieceView,
};
use crate::services::sessions::token_from_headers;

/// The status each inscription refusal answers with.
fn status(refusal: &InscriptionRefusal) -> u16 {
    match refusal {
        InscriptionRefusal::NoInscription => 404,
        InscriptionRefusal::Invalid(_) => 422,
        InscriptionRefusal::RegistrationClosed { .. } => 403,
        InscriptionRefusal::VersionConflict { .. } | InscriptionRefusal::ChangedMeanwhile => 409,
    }
}

impl From<InscriptionError> for AppError {
    fn from(error: InscriptionError) -> Self {
        match error {
            InscriptionError::Failed(error) => error,
            InscriptionError::Refused(InscriptionRefusal::Invalid(errors)) => {
                AppError::validation(errors)
            }
            InscriptionError::Refused(refusal) => AppError::refused(
                status(&refusal),
                refusal.code(),
                refusal.title(),
                refusal.detail(),
            ),
        }
    }
}

/// The caller's inscription.
#[utoipa::path(get, path = "/inscription", tag = "inscription",
    responses(
        (status = 200, body = InscriptionView),
        (status = 401, description = "unauthenticated", body = Problem),
        (status = 404, description = "no_inscription", body = Problem),
    ),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn get_inscription(
    State(app): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<InscriptionView>, AppError> {
    let token = token_from_headers(&headers, &app.config);
    Ok(Json(inscription::get(&app, token.as_deref()).await?))
}

/// Create (`version` 0) or change the inscription while the diploma's
/// registration window is open. Every invalid field is reported at once,
/// values of the wrong type (a number for a date...) along with the rest;
/// a closed window (403) is said before any of them. A save that changes
/// nothing answers 200 with the inscription as it is, at the same `version`.
///
/// `options` lists the optional units chosen (`kind: "optional"` in
/// `GET /catalogue`), each once, with a `language` exactly when the
/// catalogue lists `languages` for the unit (`not_optional_unit`,
/// `unknown_unit`, `duplicate_unit`, `unknown_language`,
/// `unexpected_language`). Birth place: `birth_place` is the commune as
/// written (« Marseille 3e »); `birth_department` (`invalid_department`) is
/// required when `birth_country` is `FR` or an overseas département's code,
/// refused with another country (`inconsistent_birth_place`); a body with
/// neither birth field is accepted.
#[utoipa::path(put, path = "/inscription", tag = "inscription", request_body = InscriptionInput,
    responses(
        (status = 201, description = "Created", body = InscriptionView),
        (status = 200, description = "Updated (version raised by one); or, when the save changes nothing, the inscription as it is, at the same version", body = InscriptionView),
        (status = 401, description = "unauthenticated", body = Problem),
        (status = 403, description = "registration_closed", body = Problem),
        (status = 409, description = "version_conflict", body = Problem),
        (status = 422, description = "validation_failed, unknown_field", body = Problem),
    ),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn put_inscription(
    State(app): State<AppState>,
    headers: HeaderMap,
    input: Parsed<InscriptionInput>,
) -> Result<(StatusCode, Json<InscriptionView>), AppError> {
    let token = token_from_headers(&headers, &app.config);
    let (created, view) = inscription::save(&app, token.as_deref(), input).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(view)))
}

/// The pieces the inscription requires, with their status.
#[utoipa::path(get, path = "/inscription/pieces", tag = "inscription",
    responses(
        (status = 200, body = [PieceView]),
        (status = 401, description = "unauthenticated", body = Problem),
        (status = 404, description = "no_inscription", body = Problem),
    ),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn get_pieces(
    State(app): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Vec<PieceView>>, AppError> {
    let token = token_from_headers(&headers, &app.config);
    Ok(Json(inscription::pieces(&app, token.as_deref()).await?))
}

/// Withdraw the inscription (« se désister »): it becomes `withdrawn`, is
/// never reminded nor cancelled, and the candidate gets an email. Any
/// inscription may be withdrawn; sending it again changes nothing (204,
/// no second email). Only the exams office can reopen it.
#[utoipa::path(post, path = "/inscription/withdraw", tag = "inscription",
    responses(
        (status = 204, description = "Withdrawn (or withdrawn already)"),
        (status = 401, description = "unauthenticated", body = Problem),
        (status = 404, description = "no_inscription", body = Problem),
        (status = 409, description = "conflict: changed meanwhile, try again", body = Problem),
    ),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn withdraw(
    State(app): State<AppState>,
    headers: HeaderMap,
) -> Result<StatusCode, AppError> {
    let token = token_from_headers(&headers, &app.config);
    inscription::withdraw(&app, token.as_deref()).await?;
    Ok(StatusCode::NO_CONTENT)
}
