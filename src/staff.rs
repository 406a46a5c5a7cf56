//! The runner's side of the Office API: its staff accounts
//! (`examreg staff add`), its sign-in (`POST /office/session`, a route of the
//! runner only, never of a Lambda) and the verification of its tokens, which
//! hands the verified claims to the Office API as the HTTP API's JWT
//! authorizer does in AWS (`http::office::context_with_claims`).

use std::path::Path;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};

use examreg_common::app::App;
use examreg_common::domain::staff::StaffRole;
use examreg_common::error::AppError;
use examreg_common::http::json::StrictJson;
use examreg_common::http::office::{context_with_claims, unauthenticated};
use examreg_common::http::routes::{path_matches, ROUTES};
use examreg_common::security::office_token::{as_authorizer_claims, SigningKey};
use examreg_common::services::accounts::Credentials;
use examreg_common::services::staff;

/// The local sign-in's route.
pub const SESSION_ROUTE: &str = "/office/session";
/// Where `staff add` reads the password it sets.
pub const PASSWORD_VARIABLE: &str = "EXAMREG_STAFF_PASSWORD";

/// What the runner's staff routes and token check share.
#[derive(Clone)]
pub struct Office {
    pub app: Arc<App>,
    pub key: SigningKey,
}

/// `POST /office/session`.
pub fn routes(office: Office) -> Router {
    Router::new()
        .route(SESSION_ROUTE, post(open_session))
        .with_state(office)
}

/// `{"email", "password"}` → `{"access_token", "token_type", "expires_in"}`.
async fn open_session(
    State(office): State<Office>,
    StrictJson(input): StrictJson<Credentials>,
) -> Result<Response, AppError> {
    let session = staff::open_session(&office.app, &office.key, &input.email, &input.password)
        .await
        .map_err(AppError::from)?;
    Ok(Json(session).into_response())
}

/// The bearer token of a request, if it sends one.
fn bearer(request: &Request) -> Option<&str> {
    let value = request
        .headers()
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

/// Verifies the token of an Office API request as the HTTP API's JWT
/// authorizer does (signature, issuer, expiry, access token) and puts its
/// claims where the authorizer's reach the function; a token that fails is
/// answered 401 here, as there. A request without a token goes on, and the
/// Office API answers it 401.
pub async fn verify_token(
    State(office): State<Office>,
    mut request: Request,
    next: Next,
) -> Response {
    // Only the routes behind the authorizer in AWS (not /office/config,
    // not this runner's /office/session).
    let path = request.uri().path();
    let guarded = ROUTES
        .iter()
        .any(|route| route.needs_staff_token() && path_matches(route.path, path));
    if !guarded {
        return next.run(request).await;
    }
    if let Some(token) = bearer(&request) {
        let Some(claims) = office.key.verify(token, office.app.now()) else {
            return unauthenticated();
        };
        let context = context_with_claims(as_authorizer_claims(&claims));
        request.extensions_mut().insert(context);
    }
    next.run(request).await
}

/// The runner's signing key, in `data_dir`.
pub fn signing_key(data_dir: &Path) -> anyhow::Result<SigningKey> {
    SigningKey::in_data_dir(data_dir).map_err(|e| {
        anyhow::anyhow!(
            "cannot keep the staff tokens' key in {}: {e}",
            data_dir.display()
        )
    })
}

/// `--role`, one of the three groups.
pub fn role_arg(value: &str) -> Result<StaffRole, String> {
    StaffRole::from_group(value).ok_or_else(|| {
        format!(
            "« {value} » is not a role / n'est pas un rôle : {}",
            StaffRole::names()
        )
    })
}

/// `examreg staff add <email> --role R`: prints what it did (and the
/// password, once, when it made one).
pub async fn add(app: &App, email: &str, role: StaffRole) -> anyhow::Result<()> {
    let password = std::env::var(PASSWORD_VARIABLE)
        .ok()
        .filter(|p| !p.is_empty());
    let added = staff::add(app, email, role, password.as_deref()).await?;
    let what = if added.replaced {
        "updated (role and password replaced) / mis à jour"
    } else {
        "created / créé"
    };
    println!("staff account {} {what}: role {}", added.email, added.role);
    if let Some(password) = added.generated_password {
        println!("password (shown once / affiché une seule fois): {password}");
    }
    Ok(())
}
