//! The back office's pages (`/gestion/...`): French HTML pages, their
//! stylesheet and scripts, embedded in the binary at build time and served
//! with strict security headers, by the admin function in AWS and by the
//! local runner alike (the same router, see `http::handler`).
//!
//! The pages are static, as the candidates' portal is: one layout
//! (`assets/gestion/layout.html`) around each page's `<main>`; their scripts
//! (plain ES modules, no inline script) sign the staff member in (a form
//! posting to `POST /office/session` locally, Cognito's hosted UI with the
//! authorization code flow and PKCE in AWS, as `GET /office/config` says),
//! then call `POST /office/actions` with the bearer token, which the server
//! checks for every action (the pages only hide what a role may not do).

use axum::extract::rejection::PathRejection;
use axum::extract::{MatchedPath, Path, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};

use super::embedded_site::{Asset, AssetSet, JS};
use super::AppState;
use crate::app::Config;
use crate::config::OfficeSignIn;
use crate::wording::{de, escape_html};

/// The route of the back office's assets (`/gestion/assets/office.css`, ...).
pub const ASSETS_ROUTE: &str = "/gestion/assets/{file}";

/// The home page with a trailing slash, where Cognito's hosted UI sends
/// staff back (`redirect_uri`, see `http::office`): API Gateway routes it to
/// the `/gestion` route (an HTTP API route may not end with a slash), so the
/// router answers both.
pub const HOME_ALIAS: &str = "/gestion/";

/// One page of the back office.
pub struct Page {
    /// Its path, as in the route table.
    pub path: &'static str,
    /// The `<title>`, before the site's name.
    pub title: &'static str,
    /// Its script, in [`ASSETS`].
    pub script: &'static str,
    /// The content of its `<main>`.
    pub main: &'static str,
}

macro_rules! page {
    ($path:literal, $title:literal, $name:literal) => {
        Page {
            path: $path,
            title: $title,
            script: concat!($name, ".js"),
            main: include_str!(concat!("../../assets/gestion/pages/", $name, ".html")),
        }
    };
}

/// Every page, in French as the office reads them.
pub const PAGES: &[Page] = &[
    page!("/gestion", "Tableau de bord", "home"),
    page!("/gestion/connexion", "Connexion", "sign-in"),
    page!("/gestion/recherche", "Rechercher un candidat", "search"),
    page!("/gestion/dossier", "Dossier", "dossier"),
    page!("/gestion/prolongation", "Prolongation groupée", "bulk"),
    page!("/gestion/exports", "Exports", "exports"),
    page!("/gestion/courriels", "Courriels en échec", "mails"),
];

macro_rules! asset {
    ($name:literal, $content_type:expr) => {
        Asset {
            name: $name,
            content_type: $content_type,
            bytes: include_bytes!(concat!("../../assets/gestion/assets/", $name)),
        }
    };
}

pub const ASSETS: &[Asset] = &[
    asset!("office.css", "text/css; charset=utf-8"),
    asset!("office.js", JS),
    asset!("home.js", JS),
    asset!("sign-in.js", JS),
    asset!("search.js", JS),
    asset!("dossier.js", JS),
    asset!("bulk.js", JS),
    asset!("exports.js", JS),
    asset!("mails.js", JS),
];

const LAYOUT: &str = include_str!("../../assets/gestion/layout.html");

/// Whether `path` (a route of the table) is one of the back office's pages.
pub fn is_page(path: &str) -> bool {
    PAGES.iter().any(|p| p.path == path)
}

/// Whether `path` (a route of the table) belongs to the back office's
/// pages: a page or its assets (they are not in the OpenAPI document).
pub fn is_gestion_path(path: &str) -> bool {
    path == ASSETS_ROUTE || is_page(path)
}

/// The page in its layout; the navigation link to the page itself is
/// marked `aria-current="page"`.
pub fn render(page: &Page, academie: &str, session: &str) -> String {
    let current = format!("data-nav=\"{}\"", page.path);
    LAYOUT
        .replace("{{title}}", page.title)
        .replace("{{script}}", page.script)
        .replace("{{main}}", page.main)
        .replace(&current, &format!("{current} aria-current=\"page\""))
        .replace("{{de_academie}}", &escape_html(&de(academie)))
        .replace("{{session}}", &escape_html(session))
}

/// The back office's Content-Security-Policy: nothing inline, nothing from
/// elsewhere; `token_origins` are where the sign-in script may exchange an
/// authorization code (Cognito's domain in AWS, none locally).
pub fn content_security_policy(token_origins: &str) -> String {
    let mut connect = String::from("'self'");
    for origin in token_origins.split_whitespace() {
        // An HTTPS origin, nothing that could end the directive or the header.
        if origin.starts_with("https://") && !origin.contains([';', ',', '\'', '"', ' ']) {
            connect.push(' ');
            connect.push_str(origin.trim_end_matches('/'));
        }
    }
    format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
         font-src 'self'; connect-src {connect}; object-src 'none'; frame-ancestors 'none'; \
         base-uri 'none'; form-action 'self'"
    )
}

/// The origins the pages' scripts may call besides their own: the token
/// endpoint's, when staff sign in with Cognito (`GET /office/config`).
fn token_origins(config: &Config) -> String {
    match &config.office_sign_in {
        OfficeSignIn::Cognito { token_url, .. } => url::Url::parse(token_url)
            .map(|url| url.origin().ascii_serialization())
            .unwrap_or_default(),
        OfficeSignIn::Local => String::new(),
    }
}

/// The security headers of every answer of the back office's pages; HSTS
/// when they are served over HTTPS.
fn secure(response: Response, config: &Config) -> Response {
    let https = config.portal_origin.starts_with("https://");
    let csp = content_security_policy(&token_origins(config));
    super::embedded_site::secure(response, &csp, https)
}

/// `GET` of a page (which one comes from the matched route).
pub async fn page(State(app): State<AppState>, matched: Option<MatchedPath>) -> Response {
    let path = match matched.as_ref().map(MatchedPath::as_str) {
        None | Some(HOME_ALIAS) => "/gestion",
        Some(path) => path,
    };
    let Some(page) = PAGES.iter().find(|p| p.path == path) else {
        return super::page_not_found().into_response();
    };
    let html = render(page, &app.calendar.academie, &app.calendar.session);
    let response = (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        html,
    )
        .into_response();
    secure(response, &app.config)
}

/// `GET /gestion/assets/{file}`: revalidated on each use (`no-cache` with an
/// ETag), so a new deployment is picked up at once.
pub async fn asset(
    State(app): State<AppState>,
    file: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> Response {
    static FILES: AssetSet = AssetSet::new(ASSETS);
    let name = file.map(|Path(f)| f).unwrap_or_default();
    match FILES.answer(&name, &headers) {
        Some(response) => secure(response, &app.config),
        None => super::page_not_found().into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::embedded_site::test_support::{app, get};
    use crate::http::routes::{Function, ROUTES};
    use axum::http::StatusCode;

    #[test]
    fn every_page_is_french_with_one_h1_a_skip_link_and_nothing_inline() {
        for page in PAGES {
            let html = render(page, "Aix-Marseille", "2022");
            let p = page.path;
            assert!(html.starts_with("<!DOCTYPE html>"), "{p}");
            assert!(html.contains("<html lang=\"fr\">"), "{p}");
            assert!(
                html.contains("href=\"#contenu\">Aller au contenu</a>"),
                "{p}"
            );
            assert_eq!(html.matches("<h1").count(), 1, "{p}: one h1");
            assert_eq!(html.matches("<main").count(), 1, "{p}: one main");
            assert!(!html.contains("{{"), "{p}: a placeholder is left");
            for inline in [" style=", "<style", " onclick=", " onsubmit=", " onchange="] {
                assert!(!html.contains(inline), "{p}: {inline}");
            }
            let scripts = html.matches("<script").count();
            let external = html
                .matches("<script type=\"module\" src=\"/gestion/assets/")
                .count();
            assert_eq!(scripts, external, "{p}: every script is an external module");
            assert!(
                ASSETS.iter().any(|a| a.name == page.script),
                "{p}: its script {} is an asset",
                page.script
            );
            assert!(
                html.contains(&format!("data-nav=\"{p}\" aria-current=\"page\""))
                    || !html.contains(&format!("data-nav=\"{p}\"")),
                "{p}: the current link is marked"
            );
        }
    }

    #[test]
    fn every_module_imported_is_an_asset_of_the_back_office() {
        for asset in ASSETS.iter().filter(|a| a.name.ends_with(".js")) {
            let text = std::str::from_utf8(asset.bytes).expect("UTF-8");
            for (at, _) in text.match_indices(" from '") {
                let rest = &text[at + 7..];
                let name = &rest[..rest.find('\'').expect("closing quote")];
                let name = name.strip_prefix("./").expect("only ./ modules");
                assert!(
                    ASSETS.iter().any(|a| a.name == name),
                    "{} imports {name}, which is not an asset",
                    asset.name
                );
            }
        }
    }

    #[test]
    fn the_policy_allows_only_the_token_endpoint_given() {
        let local = content_security_policy("");
        assert!(local.contains("connect-src 'self';"));
        assert!(local.contains("script-src 'self';"));
        assert!(!local.contains("unsafe"));
        let aws = content_security_policy(
            "https://examreg.auth.eu-west-3.amazoncognito.com/ http://plain bad;x",
        );
        assert!(
            aws.contains("connect-src 'self' https://examreg.auth.eu-west-3.amazoncognito.com;")
        );
        assert!(!aws.contains("plain") && !aws.contains("bad"));
    }

    #[test]
    fn with_cognito_the_pages_may_call_its_token_endpoint_only() {
        assert_eq!(token_origins(&Config::default()), "");
        let cognito = crate::config::OfficeCognito {
            domain: "https://examreg.auth.eu-west-3.amazoncognito.com".into(),
            client_id: "abc123".into(),
        };
        let config = Config {
            office_sign_in: OfficeSignIn::of(Some(&cognito), "https://inscriptions.exemple.fr"),
            ..Config::default()
        };
        assert_eq!(
            token_origins(&config),
            "https://examreg.auth.eu-west-3.amazoncognito.com"
        );
        assert!(content_security_policy(&token_origins(&config))
            .contains("connect-src 'self' https://examreg.auth.eu-west-3.amazoncognito.com;"));
    }

    #[test]
    fn the_pages_are_routes_of_the_admin_function() {
        for page in PAGES {
            assert!(
                ROUTES.iter().any(|r| r.method == "GET"
                    && r.path == page.path
                    && r.is_gestion()
                    && r.function == Function::Admin),
                "{} is in ROUTES, on the admin function",
                page.path
            );
        }
        assert!(ROUTES
            .iter()
            .any(|r| r.path == ASSETS_ROUTE && r.function == Function::Admin));
    }

    /// API Gateway's payload 2.0 event of `GET raw_path`, matched to `route`.
    fn http_event(route: &str, raw_path: &str) -> serde_json::Value {
        serde_json::json!({
            "version": "2.0", "routeKey": format!("GET {route}"),
            "rawPath": raw_path, "rawQueryString": "",
            "headers": {"accept": "text/html", "host": "api.exemple.fr"},
            "requestContext": {
                "accountId": "123456789012", "apiId": "api", "domainName": "api.exemple.fr",
                "domainPrefix": "api", "requestId": "r-1", "routeKey": format!("GET {route}"),
                "stage": "$default", "time": "26/Oct/2021:08:00:00 +0000", "timeEpoch": 1635235200000_i64,
                "http": {"method": "GET", "path": raw_path, "protocol": "HTTP/1.1",
                         "sourceIp": "127.0.0.1", "userAgent": "gestion-test"}
            },
            "isBase64Encoded": false
        })
    }

    #[tokio::test]
    async fn the_admin_lambda_serves_the_pages_even_at_cognitos_callback_with_its_slash() {
        let dir = tempfile::tempdir().expect("tempdir");
        let app = app(dir.path());
        let router = crate::http::router(app.clone(), &[Function::Admin]);
        // The hosted UI comes back to /gestion/, which API Gateway routes to
        // GET /gestion (a route may not end with a slash).
        for (route, raw_path, kind) in [
            ("/gestion", "/gestion/", "text/html"),
            ("/gestion", "/gestion", "text/html"),
            ("/gestion/dossier", "/gestion/dossier", "text/html"),
            (
                ASSETS_ROUTE,
                "/gestion/assets/dossier.js",
                "text/javascript",
            ),
        ] {
            let answer = crate::bootstrap::admin_invocation(
                app.clone(),
                router.clone(),
                lambda_http::LambdaEvent::new(
                    http_event(route, raw_path),
                    lambda_http::Context::default(),
                ),
            )
            .await
            .expect("an answer");
            assert_eq!(answer["statusCode"], 200, "{raw_path}: {answer}");
            let headers = &answer["headers"];
            assert!(
                headers["content-type"]
                    .as_str()
                    .unwrap_or_default()
                    .starts_with(kind),
                "{raw_path}: {headers}"
            );
            assert!(headers["content-security-policy"]
                .as_str()
                .is_some_and(|csp| csp.contains("script-src 'self'")));
        }
    }

    #[tokio::test]
    async fn pages_and_assets_are_served_with_strict_headers_by_the_admin_function() {
        let dir = tempfile::tempdir().expect("tempdir");
        let router = crate::http::router(app(dir.path()), &[Function::Admin]);
        for path in PAGES.iter().map(|p| p.path).chain([HOME_ALIAS]) {
            let (status, headers, body) = get(&router, path, None).await;
            assert_eq!(status, StatusCode::OK, "{path}");
            assert_eq!(headers[header::CONTENT_TYPE], "text/html; charset=utf-8");
            let csp = headers[header::CONTENT_SECURITY_POLICY]
                .to_str()
                .expect("CSP");
            assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"));
            assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
            assert_eq!(headers[header::REFERRER_POLICY], "no-referrer");
            assert_eq!(headers[header::X_FRAME_OPTIONS], "DENY");
            let html = String::from_utf8(body).expect("UTF-8");
            assert!(html.contains("académie d&#39;Aix-Marseille"), "{path}");
        }
        let (status, headers, _) = get(&router, "/gestion/assets/office.css", None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers[header::CONTENT_TYPE], "text/css; charset=utf-8");
        let etag = headers[header::ETAG].to_str().expect("ETag").to_owned();
        let (status, _, body) = get(
            &router,
            "/gestion/assets/office.css",
            Some(("if-none-match", &etag)),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_MODIFIED);
        assert!(body.is_empty());
        let (status, _, _) = get(&router, "/gestion/assets/portal.css", None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _, _) = get(&router, "/gestion/assets/..%2Fgestion.rs", None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
}
