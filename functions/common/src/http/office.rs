//! The Office API (`/office/`, served by the admin function): the console's
//! admin events over HTTP for the office's staff, each checked against the
//! caller's role.
//!
//! Who calls is read from the claims of a verified token, where the HTTP
//! API's JWT authorizer puts them: the request context of the API Gateway
//! (payload v2) event, `requestContext.authorizer.jwt.claims`, every value a
//! string. lambda_http hands that context to the router as the request's
//! [`RequestContext`] extension; the local runner verifies its own tokens
//! and puts the same context there (`security::office_token`), so this code
//! is the same in both. A request without claims never got past the
//! authorizer in AWS; here it is answered 401 all the same.

use std::collections::HashMap;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use lambda_http::request::RequestContext;
use serde::Serialize;

use crate::domain::staff::{ClaimsRefused, StaffCaller};
use crate::error::AppError;

/// The claims the JWT authorizer verified, if the request carries any.
pub fn verified_claims(extensions: &axum::http::Extensions) -> Option<&HashMap<String, String>> {
    match extensions.get::<RequestContext>()? {
        RequestContext::ApiGatewayV2(context) => context
            .authorizer
            .as_ref()?
            .jwt
            .as_ref()
            .map(|jwt| &jwt.claims)
            .filter(|claims| !claims.is_empty()),
        #[allow(unreachable_patterns)] // other event sources never reach /office/
        _ => None,
    }
}

/// The request context of an HTTP API (payload v2) event whose JWT
/// authorizer verified a token with `claims` (as it passes them: strings):
/// what the local runner puts on a request whose token it verified, so the
/// Office API reads it as in AWS.
pub fn context_with_claims(claims: HashMap<String, String>) -> RequestContext {
    use lambda_http::aws_lambda_events::apigw::{
        ApiGatewayRequestAuthorizer, ApiGatewayRequestAuthorizerJwtDescription,
        ApiGatewayV2httpRequestContext,
    };
    let mut jwt = ApiGatewayRequestAuthorizerJwtDescription::default();
    jwt.claims = claims;
    let mut authorizer = ApiGatewayRequestAuthorizer::default();
    authorizer.jwt = Some(jwt);
    let mut context = ApiGatewayV2httpRequestContext::default();
    context.authorizer = Some(authorizer);
    RequestContext::ApiGatewayV2(context)
}

/// 401 `unauthenticated`: no verified token.
pub fn unauthenticated() -> Response {
    let mut response = AppError::refused(
        401,
        "unauthenticated",
        "Connexion requise",
        "Connectez-vous avec votre compte du bureau des examens pour accéder à cette page.",
    )
    .into_response();
    response
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    response
}

/// The verified staff member calling: an extractor answering 401 without
/// verified claims naming an address, 403 `forbidden_role` for a caller in
/// none of the office's groups.
pub struct Staff(pub StaffCaller);

impl<S: Send + Sync> FromRequestParts<S> for Staff {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let Some(claims) = verified_claims(&parts.extensions) else {
            return Err(unauthenticated());
        };
        match StaffCaller::from_claims(claims) {
            Ok(caller) => Ok(Staff(caller)),
            Err(ClaimsRefused::Unauthenticated) => Err(unauthenticated()),
            Err(ClaimsRefused::NoRole) => Err(AppError::refused(
                403,
                "forbidden_role",
                "Action non permise",
                "Votre compte n'appartient à aucun groupe du bureau des examens (lecteur, gestionnaire ou responsable) : demandez au responsable de vous en attribuer un.",
            )
            .into_response()),
        }
    }
}

/// An event of the Office API: the console's event, without `actor`.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(example = json!({"action": "validate_piece", "email": "zoe.martin@exemple.fr", "kind": "identity_document"}))]
pub struct OfficeEvent {
    /// The action: `list`, `get`, `search`, `stats`, `piece_link`,
    /// `failed_mails`, `validate_piece`, `reject_piece`, `record_piece`,
    /// `validate_dossier`, `extend_deadline`, `export`, `correct`,
    /// `withdraw`, `reopen`.
    pub action: String,
    /// The action's fields, as in the console's event (README, « The exams
    /// office's events »), except `actor`: the token says who acts, and an
    /// `actor` field is refused (400 `invalid_event`).
    #[serde(flatten)]
    pub fields: HashMap<String, serde_json::Value>,
}

#[cfg(feature = "office-api")]
mod handlers {
    use axum::extract::State;
    use axum::response::{IntoResponse, Response};
    use axum::Json;
    use serde_json::Value;

    use super::Staff;
    use crate::error::AppError;
    use crate::http::json::StrictJson;
    use crate::http::AppState;
    use crate::services::admin::{self, AdminError};

    /// The status an admin refusal answers with over HTTP: a bad event is a
    /// 400 (as `malformed_json`), an entry the office named and that does
    /// not exist a 404, a refusal of the dossier's state a 409.
    pub fn status(code: &str) -> u16 {
        match code {
            "invalid_event" | "unknown_action" | "invalid_actor" | "malformed_json" => 400,
            "forbidden_role" => 403,
            "not_found" | "no_inscription" | "unknown_file" => 404,
            "validation_failed" | "invalid_deadline" => 422,
            "payload_too_large" => 413,
            "internal_error" => 500,
            "service_unavailable" => 503,
            _ => 409,
        }
    }

    fn title(status: u16) -> &'static str {
        match status {
            400 => "Demande invalide",
            403 => "Action non permise",
            404 => "Introuvable",
            409 => "Action refusée",
            413 => "Requête trop volumineuse",
            422 => "Données invalides",
            503 => "Service momentanément indisponible",
            _ => "Erreur interne",
        }
    }

    /// An admin refusal as problem+json: its code and message, and the
    /// field it names (or every invalid field) in `errors`.
    pub fn problem(error: AdminError) -> AppError {
        let status = status(error.code);
        let mut errors = error.errors;
        if let (true, Some(field)) = (errors.is_empty(), error.field) {
            errors.push(crate::domain::validation::FieldError {
                field,
                code: error.code.to_owned(),
                message: error.message.clone(),
            });
        }
        let answer = AppError::refused(status, error.code, title(status), error.message);
        let answer = if status == 503 {
            answer.with_retry_after(2)
        } else {
            answer
        };
        answer.with_errors(errors)
    }

    /// Runs one admin event for the staff member the token names.
    pub async fn actions(
        State(app): State<AppState>,
        Staff(caller): Staff,
        StrictJson(event): StrictJson<Value>,
    ) -> Response {
        match admin::handle_staff(&app, &caller, event).await {
            Ok(answer) => Json(answer).into_response(),
            Err(error) => problem(error).into_response(),
        }
    }
}

/// Run one action of the exams office, as the staff member the token names.
///
/// The body is the console's admin event without `actor` (README, « The
/// exams office's events »); the answer is the same JSON. Each action needs
/// a role (the `cognito:groups` of the token, the highest counts):
/// `lecteur` reads (`list`, `get`, `search`, `stats`, `piece_link`,
/// `failed_mails`); `gestionnaire` also changes one dossier
/// (`validate_piece`, `reject_piece`, `record_piece`, `validate_dossier`,
/// `extend_deadline` for one candidate); `responsable` also `export`, bulk
/// `extend_deadline`, `correct`, `withdraw`, `reopen`. The history records
/// the actor as `staff:<email>`.
#[utoipa::path(post, path = "/office/actions", tag = "office", request_body = OfficeEvent,
    security(("office" = [])),
    responses(
        (status = 200, description = "The action's answer, as the console event's", body = Object),
        (status = 400, description = "invalid_event (a bad field, or an `actor` field), unknown_action, malformed_json", body = crate::http::problem::Problem),
        (status = 401, description = "unauthenticated: no valid token", body = crate::http::problem::Problem),
        (status = 403, description = "forbidden_role: the caller's role may not do this action", body = crate::http::problem::Problem),
        (status = 404, description = "not_found (no such candidate), no_inscription, unknown_file", body = crate::http::problem::Problem),
        (status = 409, description = "a refusal of the dossier's state: piece_validated, piece_not_received, postmarked_late, stale_confirmation, not_reopenable, inscription_cancelled, inscription_withdrawn, job_busy, conflict...", body = crate::http::problem::Problem),
        (status = 422, description = "validation_failed (`correct`), invalid_deadline, unknown_field", body = crate::http::problem::Problem),
    ))]
// After `utoipa::path`, which keeps the `cfg` on the description: the
// OpenAPI document (feature `openapi`) compiles the handler to describe it;
// only the admin function's router routes to it.
#[cfg(feature = "office-api")]
pub async fn actions(
    state: axum::extract::State<crate::http::AppState>,
    staff: Staff,
    event: crate::http::json::StrictJson<serde_json::Value>,
) -> Response {
    handlers::actions(state, staff, event).await
}

/// How the back office's pages sign a staff member in: `{"sign_in":
/// "local"}` in the local runner (`POST /office/session`), or Cognito's
/// hosted UI (authorization code flow with PKCE) and its addresses in AWS.
#[utoipa::path(get, path = "/office/config", tag = "office",
    responses((status = 200, body = crate::config::OfficeSignIn)))]
#[cfg(feature = "office-api")]
pub async fn config(
    axum::extract::State(app): axum::extract::State<crate::http::AppState>,
) -> Response {
    axum::Json(app.config.office_sign_in.clone()).into_response()
}

#[cfg(all(test, feature = "office-api"))]
mod tests {
    use super::handlers::status;
    use crate::config::OfficeCognito;
    use crate::config::OfficeSignIn;

    #[test]
    fn the_pages_sign_in_locally_or_through_the_hosted_ui() {
        assert_eq!(
            serde_json::to_value(OfficeSignIn::of(None, "http://127.0.0.1:3000")).unwrap(),
            serde_json::json!({"sign_in": "local"})
        );
        let cognito = OfficeCognito {
            domain: "https://examreg.auth.eu-west-3.amazoncognito.com".into(),
            client_id: "abc123".into(),
        };
        assert_eq!(
            serde_json::to_value(OfficeSignIn::of(
                Some(&cognito),
                "https://inscriptions.exemple.fr"
            ))
            .unwrap(),
            serde_json::json!({
                "sign_in": "cognito",
                "authorize_url": "https://examreg.auth.eu-west-3.amazoncognito.com/oauth2/authorize",
                "token_url": "https://examreg.auth.eu-west-3.amazoncognito.com/oauth2/token",
                "client_id": "abc123",
                "redirect_uri": "https://inscriptions.exemple.fr/gestion/",
                "logout_url": "https://examreg.auth.eu-west-3.amazoncognito.com/logout?client_id=abc123&logout_uri=https%3A%2F%2Finscriptions.exemple.fr%2Fgestion%2F"
            })
        );
    }

    #[test]
    fn refusals_answer_with_the_status_of_their_kind() {
        assert_eq!(status("invalid_event"), 400);
        assert_eq!(status("unknown_action"), 400);
        assert_eq!(status("not_found"), 404);
        assert_eq!(status("piece_validated"), 409);
        assert_eq!(status("postmarked_late"), 409);
        assert_eq!(status("validation_failed"), 422);
        assert_eq!(status("service_unavailable"), 503);
    }
}
