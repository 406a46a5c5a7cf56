//! Routes of the signup, activation and auth functions.

// The handlers taking passwords exist with the `passwords` feature only.
#![cfg_attr(not(feature = "passwords"), allow(unused_imports))]

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use lambda_http::request::RequestContext;
use serde::Serialize;

use super::json::StrictJson;
use super::problem::Problem;
use super::AppState;
use crate::app::Config;
use crate::domain::account::AccountStatus;
use crate::error::AppError;
use crate::records::deliverability;
use crate::records::rate_limit::RateKind;
use crate::services::accounts::{
    self, AccountError, AccountRefusal, Credentials, EmailOnly, LoginAnswer, MeAnswer, NewPassword,
    PasswordChange, TokenOnly,
};
use crate::services::sessions::{self, token_from_headers};

#[derive(Serialize, utoipa::ToSchema)]
pub struct MessageAnswer {
    pub message: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ActivationAnswer {
    pub status: AccountStatus,
}

/// The client's IP address, for the per-source limits of the forms that
/// send an email: behind the CloudFront distribution, the viewer's address
/// CloudFront gave (`http/edge.rs`, trusted only with the edge's secret);
/// else the HTTP API's `requestContext.http.sourceIp` in AWS, the peer's
/// address in the local runner; `None` when none is known.
pub struct ClientSource(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientSource {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientSource(source_ip(&parts.extensions)))
    }
}

fn source_ip(extensions: &axum::http::Extensions) -> Option<IpAddr> {
    // Behind CloudFront, the sourceIp below is an edge server's, shared by
    // every candidate it serves: only the viewer's address counts, and
    // without one the source is unknown (the WAF's per-IP rules and the
    // per-address limits still hold), rather than one budget for a crowd.
    if let Some(super::edge::ViewerAddress(viewer)) = extensions.get() {
        return *viewer;
    }
    #[allow(irrefutable_let_patterns)] // one event source in this build
    if let Some(RequestContext::ApiGatewayV2(context)) = extensions.get::<RequestContext>() {
        return context.http.source_ip.as_deref()?.parse().ok();
    }
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(peer)| peer.ip())
}

/// The status each account refusal answers with.
fn status(refusal: &AccountRefusal) -> u16 {
    match refusal {
        AccountRefusal::Fields(_) => 422,
        AccountRefusal::InvalidCredentials => 401,
        AccountRefusal::NotActivated => 403,
        AccountRefusal::TooManyAttempts { .. } | AccountRefusal::TooManyRequests { .. } => 429,
        AccountRefusal::InvalidActivationLink
        | AccountRefusal::InvalidResetLink
        | AccountRefusal::InvalidLoginLink => 404,
        AccountRefusal::ActivationExpired { .. }
        | AccountRefusal::ResetLinkExpired
        | AccountRefusal::LoginLinkExpired => 410,
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
        (status = 429, description = "too_many_requests (30 an hour per client IP address)", body = Problem),
        (status = 400, description = "malformed_json", body = Problem),
    ))]
#[cfg(feature = "passwords")] // after `utoipa::path`: described in every build
pub async fn signup(
    State(app): State<AppState>,
    ClientSource(source): ClientSource,
    StrictJson(input): StrictJson<Credentials>,
) -> Result<Response, AppError> {
    accounts::limit_source(&app, RateKind::Signup, source).await?;
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
        (status = 429, description = "too_many_requests (3 an hour per address, 30 per client IP address)", body = Problem),
    ))]
pub async fn resend_activation(
    State(app): State<AppState>,
    ClientSource(source): ClientSource,
    StrictJson(input): StrictJson<EmailOnly>,
) -> Result<Response, AppError> {
    accounts::limit_source(&app, RateKind::Resend, source).await?;
    // The email, if one is owed, was queued by the request's transaction:
    // it goes after the answer, so that the answer takes as long for any
    // address (issue #17).
    let queued = accounts::resend_activation(&app, input).await?;
    queued.deliver_after_answer(app.clone());
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
    Ok(signed_in(&app, answer))
}

/// The answer that opens a session: the token in the body and as the
/// portal's cookie (`/auth/login` and `/auth/login-link/confirm` alike).
#[cfg_attr(not(feature = "passwords"), allow(dead_code))]
fn signed_in(app: &AppState, answer: LoginAnswer) -> Response {
    let max_age = (answer.expires_at - app.now()).num_seconds().max(0);
    let cookie = session_cookie(&answer.token, max_age, &app.config);
    let mut response = Json(answer).into_response();
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

/// A cleared session cookie on `response` (the session is over).
fn clear_cookie(app: &AppState, mut response: Response) -> Response {
    if let Ok(value) = HeaderValue::from_str(&session_cookie("", 0, &app.config)) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

/// The `Set-Cookie` of the session: `__Host-` prefixed over HTTPS (so
/// `Secure`, `Path=/` and no `Domain`), its plain name over plain HTTP
/// ([`sessions::session_cookie_name`]).
fn session_cookie(token: &str, max_age: i64, config: &Config) -> String {
    let name = sessions::session_cookie_name(config);
    let secure = if config.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    format!("{name}={token}; Path=/; Max-Age={max_age}; HttpOnly{secure}; SameSite=Strict")
}

/// Log out: the token is revoked at once.
#[utoipa::path(post, path = "/auth/logout", tag = "accounts",
    responses(
        (status = 204, description = "Logged out"),
        (status = 401, description = "unauthenticated", body = Problem),
    ),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn logout(State(app): State<AppState>, headers: HeaderMap) -> Result<Response, AppError> {
    let token = token_from_headers(&headers, &app.config);
    let (caller, _) = sessions::authenticate(&app, token.as_deref(), |_| Vec::new()).await?;
    sessions::logout(&app, &caller).await?;
    Ok(clear_cookie(&app, StatusCode::NO_CONTENT.into_response()))
}

/// Log out everywhere: every session of the account is revoked at once,
/// the caller's among them.
#[utoipa::path(post, path = "/auth/logout-all", tag = "accounts",
    responses(
        (status = 204, description = "Every session of the account revoked"),
        (status = 401, description = "unauthenticated", body = Problem),
    ),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn logout_all(
    State(app): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let token = token_from_headers(&headers, &app.config);
    let (caller, _) = sessions::authenticate(&app, token.as_deref(), |_| Vec::new()).await?;
    sessions::logout_all(&app, &caller).await?;
    Ok(clear_cookie(&app, StatusCode::NO_CONTENT.into_response()))
}

/// Change the password while signed in: every other session is revoked
/// (the caller's stays), and the candidate is emailed.
#[utoipa::path(post, path = "/auth/password", tag = "accounts", request_body = PasswordChange,
    responses(
        (status = 204, description = "Password changed, every other session revoked, the candidate emailed"),
        (status = 401, description = "invalid_credentials (wrong current password), unauthenticated", body = Problem),
        (status = 422, description = "weak_password (field `new_password`), unknown_field, validation_failed (every field missing or of the wrong type)", body = Problem),
        (status = 429, description = "too_many_attempts: the address is locked, as for `/auth/login` (wrong current passwords count with wrong logins)", body = Problem),
    ),
    security(("bearer" = []), ("cookie" = [])))]
#[cfg(feature = "passwords")] // after `utoipa::path`: described in every build
pub async fn change_password(
    State(app): State<AppState>,
    headers: HeaderMap,
    StrictJson(input): StrictJson<PasswordChange>,
) -> Result<StatusCode, AppError> {
    let token = token_from_headers(&headers, &app.config);
    let (caller, _) = sessions::authenticate(&app, token.as_deref(), |_| Vec::new()).await?;
    accounts::change_password(&app, &caller, input).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Ask for a one-time sign-in link by email (valid 15 minutes; it works
/// even while failed logins lock the address). Same answer for unknown
/// addresses; at most 3 an hour per address.
#[utoipa::path(post, path = "/auth/login-link", tag = "accounts", request_body = EmailOnly,
    responses(
        (status = 202, description = "Accepted, whether or not the address has an account", body = MessageAnswer),
        (status = 422, description = "invalid_email, unknown_field, validation_failed (every field missing or of the wrong type)", body = Problem),
        (status = 429, description = "too_many_requests (3 an hour per address, 30 per client IP address)", body = Problem),
    ))]
#[cfg(feature = "passwords")] // after `utoipa::path`: described in every build
pub async fn login_link(
    State(app): State<AppState>,
    ClientSource(source): ClientSource,
    StrictJson(input): StrictJson<EmailOnly>,
) -> Result<Response, AppError> {
    accounts::limit_source(&app, RateKind::LoginLink, source).await?;
    accounts::request_login_link(&app, input).await?;
    Ok(accepted(
        "Si un compte activé existe pour cette adresse, un lien de connexion vient d'y être envoyé. Il est valable 15 minutes et ne sert qu'une fois.",
    ))
}

/// Sign in with the emailed one-time link: the same answer and cookie as
/// `POST /auth/login`.
#[utoipa::path(post, path = "/auth/login-link/confirm", tag = "accounts", request_body = TokenOnly,
    responses(
        (status = 200, body = LoginAnswer),
        (status = 404, description = "invalid_token (unknown, used, or replaced by a newer link)", body = Problem),
        (status = 410, description = "token_expired (past its 15 minutes)", body = Problem),
    ))]
#[cfg(feature = "passwords")] // after `utoipa::path`: described in every build
pub async fn login_link_confirm(
    State(app): State<AppState>,
    StrictJson(input): StrictJson<TokenOnly>,
) -> Result<Response, AppError> {
    let answer = accounts::confirm_login_link(&app, input).await?;
    Ok(signed_in(&app, answer))
}

/// Ask for a password-reset link (same answer for unknown addresses).
#[utoipa::path(post, path = "/auth/password-reset", tag = "accounts", request_body = EmailOnly,
    responses(
        (status = 202, body = MessageAnswer),
        (status = 422, description = "invalid_email, unknown_field, validation_failed (every field missing or of the wrong type)", body = Problem),
        (status = 429, description = "too_many_requests (30 an hour per client IP address)", body = Problem),
    ))]
pub async fn password_reset(
    State(app): State<AppState>,
    ClientSource(source): ClientSource,
    StrictJson(input): StrictJson<EmailOnly>,
) -> Result<Response, AppError> {
    accounts::limit_source(&app, RateKind::Reset, source).await?;
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
    let token = token_from_headers(&headers, &app.config);
    let (caller, _) = sessions::authenticate(&app, token.as_deref(), |_| Vec::new()).await?;
    let deliverable =
        deliverability::is_deliverable(app.store.as_ref(), &caller.account.email).await?;
    Ok(Json(accounts::me(&caller.account, deliverable)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_cookie_is_host_prefixed_over_https() {
        let https = Config {
            portal_origin: "https://inscriptions.example.fr".into(),
            secure_cookies: true,
            ..Config::default()
        };
        assert_eq!(
            session_cookie("t", 60, &https),
            "__Host-examreg_session=t; Path=/; Max-Age=60; HttpOnly; Secure; SameSite=Strict"
        );
        let lan = Config {
            portal_origin: "http://192.168.1.20:3000".into(),
            secure_cookies: false,
            ..Config::default()
        };
        assert_eq!(
            session_cookie("", 0, &lan),
            "examreg_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict"
        );
    }

    #[test]
    fn the_source_is_the_http_api_s_source_ip_else_the_peer() {
        use lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequestContext;
        let mut extensions = axum::http::Extensions::new();
        assert_eq!(source_ip(&extensions), None);
        let peer: SocketAddr = "198.51.100.2:50000".parse().unwrap();
        extensions.insert(ConnectInfo(peer));
        assert_eq!(source_ip(&extensions), Some(peer.ip()));
        let mut context = ApiGatewayV2httpRequestContext::default();
        context.http.source_ip = Some("203.0.113.7".into());
        extensions.insert(RequestContext::ApiGatewayV2(context));
        assert_eq!(source_ip(&extensions), "203.0.113.7".parse().ok());
    }

    #[test]
    fn behind_cloudfront_the_source_is_the_viewer_not_the_edge_server() {
        use lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequestContext;
        let mut extensions = axum::http::Extensions::new();
        let mut context = ApiGatewayV2httpRequestContext::default();
        // The HTTP API sees the CloudFront edge server...
        context.http.source_ip = Some("130.176.0.1".into());
        extensions.insert(RequestContext::ApiGatewayV2(context));
        // ...and http/edge.rs recorded the viewer CloudFront saw.
        let viewer: IpAddr = "2001:db8::7".parse().unwrap();
        extensions.insert(super::super::edge::ViewerAddress(Some(viewer)));
        assert_eq!(source_ip(&extensions), Some(viewer));
        // Had CloudFront given no viewer address, the edge server would not
        // be counted as the candidate.
        extensions.insert(super::super::edge::ViewerAddress(None));
        assert_eq!(source_ip(&extensions), None);
    }
}
