//! Routes of the signup, activation and auth functions.

// The handlers taking passwords exist with the `passwords` feature only.
#![cfg_attr(not(feature = "passwords"), allow(unused_imports))]

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

use super::json::StrictJson;
use super::problem::Problem;
use super::AppState;
use crate::domain::account::AccountStatus;
use crate::error::AppError;
use crate::records::deliverability;
use crate::services::accounts::{
    self, AccountError, AccountRefusal, Credentials, EmailOnly, LoginAnswer, MeAnswer, NewPassword,
    TokenOnly,
};
use crate::services::sessions::{self, token_from_headers, SESSION_COOKIE};

#[derive(Serialize, utoipa::ToSchema)]
pub struct MessageAnswer {
    pub message: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ActivationAnswer {
    pub status: AccountStatus,
}

/// The status each account refusal answers with.
fn status(refusal: &AccountRefusal) -> u16 {
    match refusal {
        AccountRefusal::Fields(_) => 422,
        AccountRefusal::InvalidCredentials => 401,
        AccountRefusal::NotActivated => 403,
        AccountRefusal::TooManyAttempts { .. } | AccountRefusal::TooManyRequests { .. } => 429,
        AccountRefusal::InvalidActivationLink | AccountRefusal::InvalidResetLink => 404,
        AccountRefusal::ActivationExpired { .. } | AccountRefusal::ResetLinkExpired => 410,
    }
}

impl From<AccountError> for AppError {
    fn from(error: AccountError) -> Self {
        let refusal = match error {
            AccountError::Refused(refusal) => refusal,
            AccountError::Failed(error) => return error,
        };
        let mut answer = AppError::refused(
            status(&refusal),
            refusal.code(),
            refusal.title(),
            refusal.detail(),
        );
        if let Some(seconds) = refusal.retry_after() {
            answer = answer.with_retry_after(seconds);
        }
        answer.with_errors(refusal.into_field_errors())
    }
}

fn accepted(message: &str) -> Response {
    (
        StatusCode::ACCEPTED,
        Json(MessageAnswer {
            message: message.to_owned(),
        }),
    )
        .into_response()
}

/// Create an account; the activation link arrives by email.
#[utoipa::path(post, path = "/auth/signup", tag = "accounts", request_body = Credentials,
    responses(
        (status = 202, description = "Accepted, whether or not the address already has an account", body = MessageAnswer),
        (status = 422, description = "invalid_email, weak_password, unknown_field, validation_failed (every field missing or of the wrong type)", body = Problem),
        (status = 400, description = "malformed_json", body = Problem),
    ))]
#[cfg(feature = "passwords")] // after `utoipa::path`: described in every build
pub async fn signup(
    State(app): State<AppState>,
    StrictJson(input): StrictJson<Credentials>,
) -> Result<Response, AppError> {
    accounts::signup(&app, input).await?;
    Ok(accepted(
        "Votre demande est enregistrée. Si cette adresse peut recevoir un compte, un courriel vient de vous y être envoyé : ouvrez le lien qu'il contient dans les 48 heures pour activer votre compte.",
    ))
}

/// Ask for a new activation link (at most 3 an hour per address).
#[utoipa::path(post, path = "/auth/resend-activation", tag = "accounts", request_body = EmailOnly,
    responses(
        (status = 202, body = MessageAnswer),
        (status = 422, description = "invalid_email, unknown_field, validation_failed (every field missing or of the wrong type)", body = Problem),
        (status = 429, description = "too_many_requests", body = Problem),
    ))]
pub async fn resend_activation(
    State(app): State<AppState>,
    StrictJson(input): StrictJson<EmailOnly>,
) -> Result<Response, AppError> {
    accounts::resend_activation(&app, input).await?;
    Ok(accepted(
        "Si un compte en attente d'activation existe pour cette adresse, un nouveau lien vient d'y être envoyé. L'ancien lien ne fonctionne plus.",
    ))
}

/// Activate an account with the emailed token (within 48 hours).
#[utoipa::path(post, path = "/auth/activate", tag = "accounts", request_body = TokenOnly,
    responses(
        (status = 200, body = ActivationAnswer),
        (status = 404, description = "invalid_token", body = Problem),
        (status = 410, description = "activation_expired", body = Problem),
    ))]
pub async fn activate(
    State(app): State<AppState>,
    StrictJson(input): StrictJson<TokenOnly>,
) -> Result<Json<ActivationAnswer>, AppError> {
    let status = accounts::activate(&app, input).await?;
    Ok(Json(ActivationAnswer { status }))
}

/// Log in: a bearer token, also set as an HttpOnly cookie for the portal.
#[utoipa::path(post, path = "/auth/login", tag = "accounts", request_body = Credentials,
    responses(
        (status = 200, body = LoginAnswer),
        (status = 401, description = "invalid_credentials", body = Problem),
        (status = 403, description = "account_not_activated", body = Problem),
        (status = 429, description = "too_many_attempts", body = Problem),
    ))]
#[cfg(feature = "passwords")] // after `utoipa::path`: described in every build
pub async fn login(
    State(app): State<AppState>,
    StrictJson(input): StrictJson<Credentials>,
) -> Result<Response, AppError> {
    let answer = accounts::login(&app, input).await?;
    let max_age = (answer.expires_at - app.now()).num_seconds().max(0);
    let cookie = session_cookie(&answer.token, max_age, app.config.secure_cookies);
    let mut response = Json(answer).into_response();
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    Ok(response)
}

fn session_cookie(token: &str, max_age: i64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!(
        "{SESSION_COOKIE}={token}; Path=/; Max-Age={max_age}; HttpOnly{secure}; SameSite=Strict"
    )
}

/// Log out: the token is revoked at once.
#[utoipa::path(post, path = "/auth/logout", tag = "accounts",
    responses(
        (status = 204, description = "Logged out"),
        (status = 401, description = "unauthenticated", body = Problem),
    ),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn logout(State(app): State<AppState>, headers: HeaderMap) -> Result<Response, AppError> {
    let token = token_from_headers(&headers);
    let (caller, _) = sessions::authenticate(&app, token.as_deref(), |_| Vec::new()).await?;
    sessions::logout(&app, &caller).await?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    if let Ok(value) = HeaderValue::from_str(&session_cookie("", 0, app.config.secure_cookies)) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    Ok(response)
}

/// Ask for a password-reset link (same answer for unknown addresses).
#[utoipa::path(post, path = "/auth/password-reset", tag = "accounts", request_body = EmailOnly,
    responses(
        (status = 202, body = MessageAnswer),
        (status = 422, description = "invalid_email, unknown_field, validation_failed (every field missing or of the wrong type)", body = Problem),
    ))]
pub async fn password_reset(
    State(app): State<AppState>,
    StrictJson(input): StrictJson<EmailOnly>,
) -> Result<Response, AppError> {
    accounts::request_password_reset(&app, input).await?;
    Ok(accepted(
        "Si un compte existe pour cette adresse, un lien pour choisir un nouveau mot de passe vient d'y être envoyé. Il est valable une heure.",
    ))
}

/// Choose a new password with the emailed token; every session is revoked.
#[utoipa::path(post, path = "/auth/password-reset/confirm", tag = "accounts", request_body = NewPassword,
    responses(
        (status = 204, description = "Password changed, every session revoked"),
        (status = 404, description = "invalid_token", body = Problem),
        (status = 410, description = "token_expired", body = Problem),
        (status = 422, description = "weak_password, unknown_field, validation_failed (every field missing or of the wrong type)", body = Problem),
    ))]
#[cfg(feature = "passwords")] // after `utoipa::path`: described in every build
pub async fn password_reset_confirm(
    State(app): State<AppState>,
    StrictJson(input): StrictJson<NewPassword>,
) -> Result<StatusCode, AppError> {
    accounts::confirm_password_reset(&app, input).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's account.
#[utoipa::path(get, path = "/me", tag = "accounts",
    responses(
        (status = 200, body = MeAnswer),
        (status = 401, description = "unauthenticated", body = Problem),
    ),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn me(
    State(app): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<MeAnswer>, AppError> {
    let token = token_from_headers(&headers);
    let (caller, _) = sessions::authenticate(&app, token.as_deref(), |_| Vec::new()).await?;
    let deliverable =
        deliverability::is_deliverable(app.store.as_ref(), &caller.account.email).await?;
    Ok(Json(accounts::me(&caller.account, deliverable)))
}
