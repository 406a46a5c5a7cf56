//! The HTTP edge: one router for every function, strict JSON in, problem+json
//! out, security headers, and a request id on every log line.

pub mod accounts;
pub mod cross_site;
pub mod documents;
pub mod edge;
pub mod embedded_site;
#[cfg(feature = "admin")]
pub mod gestion;
pub mod inscription;
pub mod json;
pub mod office;
#[cfg(feature = "openapi")]
pub mod openapi;
#[cfg(feature = "portal")]
pub mod portal;
#[cfg(feature = "portal")]
pub mod portal_frame;
pub mod problem;
pub mod reference;
pub mod routes;

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::MethodRouter;
use axum::Router;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};

use crate::app::{App, Config};
use crate::error::AppError;
use routes::{Function, ROUTES};

pub type AppState = Arc<App>;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The handler of each route of the table, among the routes this build
/// serves: a Lambda is built with its function's feature only (Cargo.toml),
/// so that it links its own handlers and what they need, not the others'.
fn handler(method: &str, path: &str) -> Option<MethodRouter<AppState>> {
    #[allow(unused_imports)] // a build with no HTTP function (sweep, admin)
    use axum::routing::{delete, get, post, put};
    match (method, path) {
        #[cfg(feature = "auth")]
        ("GET", "/health") => Some(get(reference::health)),
        #[cfg(feature = "auth")]
        ("GET", "/calendar") => Some(get(reference::calendar)),
        #[cfg(feature = "auth")]
        ("GET", "/catalogue") => Some(get(reference::catalogue)),
        #[cfg(feature = "auth")]
        ("GET", "/openapi.json") => Some(get(openapi::openapi)),
        #[cfg(feature = "signup")]
        ("POST", "/auth/signup") => Some(post(accounts::signup)),
        #[cfg(feature = "signup")]
        ("POST", "/auth/resend-activation") => Some(post(accounts::resend_activation)),
        #[cfg(feature = "activation")]
        ("POST", "/auth/activate") => Some(post(accounts::activate)),
        #[cfg(feature = "auth")]
        ("POST", "/auth/login") => Some(post(accounts::login)),
        #[cfg(feature = "auth")]
        ("POST", "/auth/logout") => Some(post(accounts::logout)),
        #[cfg(feature = "auth")]
        ("POST", "/auth/password-reset") => Some(post(accounts::password_reset)),
        #[cfg(feature = "auth")]
        ("POST", "/auth/password-reset/confirm") => Some(post(accounts::password_reset_confirm)),
        #[cfg(feature = "auth")]
        ("GET", "/me") => Some(get(accounts::me)),
        #[cfg(feature = "auth")]
        ("POST", "/auth/password") => Some(post(accounts::change_password)),
        #[cfg(feature = "auth")]
        ("POST", "/auth/logout-all") => Some(post(accounts::logout_all)),
        #[cfg(feature = "auth")]
        ("POST", "/auth/login-link") => Some(post(accounts::login_link)),
        #[cfg(feature = "auth")]
        ("POST", "/auth/login-link/confirm") => Some(post(accounts::login_link_confirm)),
        #[cfg(feature = "inscription")]
        ("GET", "/inscription") => Some(get(inscription::get_inscription)),
        #[cfg(feature = "inscription")]
        ("PUT", "/inscription") => Some(put(inscription::put_inscription)),
        #[cfg(feature = "inscription")]
        ("GET", "/inscription/pieces") => Some(get(inscription::get_pieces)),
        #[cfg(feature = "inscription")]
        ("POST", "/inscription/withdraw") => Some(post(inscription::withdraw)),
        #[cfg(feature = "documents")]
        ("GET", "/inscription/confirmation.pdf") => Some(get(documents::confirmation_pdf)),
        #[cfg(feature = "documents")]
        ("POST", "/inscription/pieces/{kind}/uploads") => Some(post(documents::create_upload)),
        #[cfg(feature = "documents")]
        ("DELETE", "/inscription/pieces/{kind}/files/{id}") => Some(delete(documents::delete_file)),
        #[cfg(feature = "admin")]
        ("POST", "/office/actions") => Some(post(office::actions)),
        #[cfg(feature = "admin")]
        ("GET", "/office/config") => Some(get(office::config)),
        #[cfg(feature = "auth")]
        ("GET", p) if portal::is_page(p) => Some(get(portal::page)),
        #[cfg(feature = "auth")]
        ("GET", portal::ASSETS_ROUTE) => Some(get(portal::asset)),
        #[cfg(feature = "admin")]
        ("GET", p) if gestion::is_page(p) => Some(get(gestion::page)),
        #[cfg(feature = "admin")]
        ("GET", gestion::ASSETS_ROUTE) => Some(get(gestion::asset)),
        _ => None,
    }
}

/// The routes of `functions` this build has no handler for: a function's
/// binary built without its feature would answer none of its routes, so
/// [`crate::bootstrap::run_http_function`] refuses to start then.
pub fn missing_handlers(functions: &[Function]) -> Vec<&'static routes::Route> {
    ROUTES
        .iter()
        .filter(|r| functions.contains(&r.function) && handler(r.method, r.path).is_none())
        .collect()
}

/// The router of the given functions (one in a Lambda), with the edge layers.
pub fn router(app: AppState, functions: &[Function]) -> Router {
    let config = app.config.clone();
    with_edge(routes(app, functions), &config)
}

/// The routes of the given functions, without the edge layers (the local
/// runner merges its own routes before adding them).
pub fn routes(app: AppState, functions: &[Function]) -> Router {
    let mut router: Router<AppState> = Router::new();
    let mut by_path: std::collections::BTreeMap<&str, MethodRouter<AppState>> =
        std::collections::BTreeMap::new();
    for route in ROUTES.iter().filter(|r| functions.contains(&r.function)) {
        if let Some(h) = handler(route.method, route.path) {
            let entry = by_path.remove(route.path).unwrap_or_default();
            by_path.insert(route.path, entry.merge(h));
        }
    }
    for (path, method_router) in by_path {
        router = router.route(path, method_router);
    }
    #[cfg(feature = "admin")]
    if functions.contains(&Function::Admin) {
        router = router.route(gestion::HOME_ALIAS, axum::routing::get(gestion::page));
    }
    // Set first, so that `with_edge`'s (which sets only defaults) leaves it.
    router
        .method_not_allowed_fallback(wrong_method)
        .fallback(unrouted)
        .with_state(app)
}

/// A route's path asked with a method it does not take: 405, but a
/// browser's navigation (`GET /auth/login`, a link to an API address) gets
/// the portal's « Page introuvable », never JSON.
async fn wrong_method(State(app): State<AppState>, method: Method, headers: HeaderMap) -> Response {
    if method == Method::GET && browser_navigation(&headers) {
        return not_found_for(&app, &method, &headers).await;
    }
    method_not_allowed().await.into_response()
}

/// What answers a request that no route of this router takes: in the runner,
/// and in AWS behind the HTTP API's `$default` route (the function of
/// [`routes::DEFAULT_ROUTE`]), which gets every request no route matches.
/// A path of the route table asked with another method is a 405 (another
/// function may serve it); anything else a 404, as a page of the portal for
/// a browser's `GET`, as problem+json otherwise.
async fn unrouted(
    State(app): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let routed = ROUTES
        .iter()
        .any(|r| routes::path_matches(r.path, uri.path()));
    // Another function's path: a browser's navigation there (an API
    // address with no page) gets the portal's page, never JSON.
    if routed && !(method == Method::GET && browser_navigation(&headers)) {
        return method_not_allowed().await.into_response();
    }
    not_found_for(&app, &method, &headers).await
}

/// Whether a request is a browser's navigation (it asks for HTML).
#[cfg(feature = "portal")]
fn browser_navigation(headers: &HeaderMap) -> bool {
    portal::accepts_html(headers)
}

#[cfg(not(feature = "portal"))]
fn browser_navigation(_headers: &HeaderMap) -> bool {
    false
}

/// The 404 of an unknown address: a page of the portal for a browser's `GET`.
#[cfg(feature = "portal")]
async fn not_found_for(app: &AppState, method: &Method, headers: &HeaderMap) -> Response {
    if method == Method::GET && portal::accepts_html(headers) {
        return portal::not_found_page(app);
    }
    not_found().await.into_response()
}

/// The 404 of an unknown address, in a build without the portal: every
/// function but auth. In AWS only the `$default` route's function (auth,
/// [`routes::DEFAULT_ROUTE`]) gets addresses that no route matches; the
/// others get only their own routes, so this answer is never seen there.
#[cfg(not(feature = "portal"))]
async fn not_found_for(_app: &AppState, _method: &Method, _headers: &HeaderMap) -> Response {
    not_found().await.into_response()
}

/// JSON answers say their charset, as the contract promises
/// (`application/json; charset=utf-8`); axum's `Json` leaves it out.
async fn json_with_charset(mut response: Response) -> Response {
    let content_type = response.headers().get(header::CONTENT_TYPE);
    if content_type.is_some_and(|v| v.as_bytes() == b"application/json") {
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
    }
    response
}

/// Layers every request and response goes through, in the runner and in
/// Lambda alike; innermost, right before any handler (and its answer still
/// dressed by the others), the refusal of cross-site requests and of bodies
/// that are not JSON ([`cross_site`]); just outside it, the refusal of a
/// request that did not come through the CloudFront distribution, when
/// there is one ([`edge`]).
pub fn with_edge(router: Router, config: &Config) -> Router {
    let portal_origin: Arc<str> = Arc::from(config.portal_origin.as_str());
    router
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            portal_origin,
            cross_site::guard,
        ))
        // Outside the origin check: a request that bypassed CloudFront is
        // refused before anything else reads it (`edge`).
        .layer(axum::middleware::from_fn_with_state(
            config.edge_secret.as_deref().map(Arc::from),
            edge::guard,
        ))
        .layer(axum::middleware::map_response(json_with_charset))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|request: &Request| {
                    let request_id = request
                        .headers()
                        .get(REQUEST_ID)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("-");
                    // The path only: query strings may carry tokens.
                    tracing::info_span!(
                        "request",
                        method = %request.method(),
                        path = %request.uri().path(),
                        request_id = %request_id,
                    )
                })
                .on_response(DefaultOnResponse::new().level(tracing::Level::INFO)),
        )
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
}

async fn not_found() -> AppError {
    page_not_found()
}

/// The answer to an address that is neither a route nor a page (the portal
/// gives it too, for an unknown asset).
pub(crate) fn page_not_found() -> AppError {
    AppError::refused(
        404,
        "not_found",
        "Page introuvable",
        "Cette adresse ne correspond à aucune page ni à aucun service.",
    )
}

async fn method_not_allowed() -> AppError {
    AppError::refused(
        405,
        "method_not_allowed",
        "Méthode non permise",
        "Cette adresse existe, mais pas pour cette méthode HTTP.",
    )
}
