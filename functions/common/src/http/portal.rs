//! The candidates' portal: French HTML pages, their stylesheet and their
//! scripts, embedded in the binary at build time (nothing is read from disk or
//! downloaded at run time) and served with strict security headers.
//!
//! The pages are static: one layout (`assets/portal/layout.html`) around each
//! page's `<main>`; their scripts (plain ES modules) call the JSON API with the
//! `HttpOnly` session cookie that `POST /auth/login` sets, so no token is ever
//! within reach of a script. Portal routes are in the route table (they are
//! served by the auth function in AWS) but not in the OpenAPI document: see
//! [`Route::is_portal`](super::routes::Route::is_portal).

use axum::extract::rejection::PathRejection;
use axum::extract::{MatchedPath, Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::embedded_site::{Asset, AssetSet, JS};
use super::portal_frame::Frame;
use super::AppState;
use crate::app::Config;

/// The route of every asset (`/assets/portal.css`, `/assets/home.js`, ...).
pub const ASSETS_ROUTE: &str = "/assets/{file}";

/// One page of the portal.
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
        page!($path, $title, $name, concat!($name, ".js"))
    };
    ($path:literal, $title:literal, $name:literal, $script:expr) => {
        Page {
            path: $path,
            title: $title,
            script: $script,
            main: include_str!(concat!("../../assets/portal/pages/", $name, ".html")),
        }
    };
}

/// Every page. The email links point at `/activate`, `/reset-password`,
/// `/login-link`, `/login`, `/forgot-password`, `/signup` and `/`; the names of the two
/// others follow the notice's « m'inscrire » and « mes documents » (and do
/// not collide with the API's `/inscription`).
pub const PAGES: &[Page] = &[
    page!("/", "Accueil", "home"),
    page!("/signup", "Créer un compte", "signup"),
    page!("/activate", "Activer mon compte", "activate"),
    page!("/login", "Se connecter", "login"),
    page!("/forgot-password", "Mot de passe oublié", "forgot-password"),
    page!(
        "/reset-password",
        "Choisir un nouveau mot de passe",
        "reset-password"
    ),
    page!("/login-link", "Connexion par lien", "login-link"),
    page!("/m-inscrire", "M'inscrire", "inscription"),
    page!("/mes-documents", "Mes documents", "documents"),
    // The information pages the footer links to: text only, their script
    // shows the header's signed-in state.
    page!("/aide", "Besoin d'aide ?", "help", "information.js"),
    page!(
        "/mentions-legales",
        "Mentions légales",
        "legal-notice",
        "information.js"
    ),
    page!(
        "/donnees-personnelles",
        "Données personnelles",
        "personal-data",
        "information.js"
    ),
    page!(
        "/accessibilite",
        "Déclaration d'accessibilité",
        "accessibility",
        "information.js"
    ),
];

/// The page of an address that matches no route, for a browser (any other
/// client gets problem+json): not a route of its own.
pub const NOT_FOUND_PAGE: Page = page!("", "Page introuvable", "not-found", "information.js");

macro_rules! asset {
    ($name:literal, $content_type:expr) => {
        Asset {
            name: $name,
            content_type: $content_type,
            bytes: include_bytes!(concat!("../../assets/portal/assets/", $name)),
        }
    };
}

/// A file of the DSFR, vendored by `infra/scripts/vendor-dsfr.mjs`.
macro_rules! dsfr {
    ($name:literal, $content_type:expr) => {
        Asset {
            name: $name,
            content_type: $content_type,
            bytes: include_bytes!(concat!("../../assets/portal/assets/dsfr/", $name)),
        }
    };
}

pub const ASSETS: &[Asset] = &[
    dsfr!("dsfr.min.css", "text/css; charset=utf-8"),
    dsfr!("Marianne-Regular.woff2", "font/woff2"),
    dsfr!("Marianne-Bold.woff2", "font/woff2"),
    dsfr!("external-link-line.svg", "image/svg+xml"),
    asset!("portal.css", "text/css; charset=utf-8"),
    asset!("api.js", JS),
    asset!("ui.js", JS),
    asset!("countries.js", JS),
    asset!("home.js", JS),
    asset!("tasks.js", JS),
    asset!("signup.js", JS),
    asset!("activate.js", JS),
    asset!("login.js", JS),
    asset!("forgot-password.js", JS),
    asset!("reset-password.js", JS),
    asset!("login-link.js", JS),
    asset!("inscription.js", JS),
    asset!("birth.js", JS),
    asset!("session.js", JS),
    asset!("documents.js", JS),
    asset!("information.js", JS),
];

const LAYOUT: &str = include_str!("../../assets/portal/layout.html");

/// Whether `path` (a route of the table) is one of the portal's pages.
pub fn is_page(path: &str) -> bool {
    PAGES.iter().any(|p| p.path == path)
}

/// Whether `path` (a route of the table) belongs to the portal: a page or
/// its assets.
pub fn is_portal_path(path: &str) -> bool {
    path == ASSETS_ROUTE || is_page(path)
}

/// The page in its layout: the navigation links to the page itself are
/// marked `aria-current="page"`; `frame` fills the identity block, the
/// académie's name and addresses and the information pages' data.
pub fn render(page: &Page, frame: &Frame<'_>) -> String {
    let current = format!("data-nav=\"{}\"", page.path);
    let mut html = LAYOUT
        .replace("{{title}}", page.title)
        .replace("{{script}}", page.script)
        .replace("{{main}}", page.main)
        .replace(&current, &format!("{current} aria-current=\"page\""));
    for (placeholder, value) in frame.placeholders() {
        html = html.replace(placeholder, &value);
    }
    html
}

/// The frame of `app`'s pages.
fn frame_of(app: &AppState) -> Frame<'_> {
    Frame {
        calendar: &app.calendar,
        identity: app.config.portal_identity,
    }
}

/// The Content-Security-Policy of the portal: nothing inline, nothing from
/// elsewhere except uploads to the presigned URLs' origin.
pub fn content_security_policy(upload_origins: &str) -> String {
    let mut connect = String::from("'self'");
    for origin in upload_origins.split_whitespace() {
        // An origin, nothing that could end the directive or the header.
        let plausible = origin.starts_with("https://") || origin.starts_with("http://");
        // Never a wildcard: exactly the bucket's host, not any of S3's.
        if plausible && !origin.contains([';', ',', '\'', '"', '*']) {
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

/// The security headers of every portal answer; HSTS when the portal is
/// served over HTTPS.
fn secure(response: Response, config: &Config) -> Response {
    let https = config.portal_origin.starts_with("https://");
    // The upload origin was worked out once at start
    // (see [`crate::config::AwsSettings::upload_origin`]).
    let csp = content_security_policy(&config.upload_origin);
    super::embedded_site::secure(response, &csp, https)
}

/// `GET` of a page (which one comes from the matched route).
pub async fn page(State(app): State<AppState>, matched: Option<MatchedPath>) -> Response {
    let path = matched.as_ref().map(MatchedPath::as_str).unwrap_or("/");
    let Some(page) = PAGES.iter().find(|p| p.path == path) else {
        return not_found_page(&app);
    };
    let html = render(page, &frame_of(&app));
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

/// Whether the client asked for a web page (a browser's navigation).
pub fn accepts_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"))
}

/// « Page introuvable », as a page of the portal, with a 404.
pub fn not_found_page(app: &AppState) -> Response {
    let html = render(&NOT_FOUND_PAGE, &frame_of(app));
    let response = (
        StatusCode::NOT_FOUND,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        )],
        html,
    )
        .into_response();
    secure(response, &app.config)
}

/// `GET /assets/{file}`: revalidated on each use (`no-cache` with an ETag),
/// so a new deployment is picked up at once and an unchanged file costs a 304.
pub async fn asset(
    State(app): State<AppState>,
    file: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> Response {
    static FILES: AssetSet = AssetSet::new(ASSETS);
    let name = file.map(|Path(f)| f).unwrap_or_default();
    match FILES.answer(&name, &headers) {
        Some(response) => secure(response, &app.config),
        // A browser opening a mistyped asset address gets the page.
        None if accepts_html(&headers) => not_found_page(&app),
        None => not_found(),
    }
}

fn not_found() -> Response {
    super::page_not_found().into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::embedded_site::test_support::{app, get};
    use crate::http::routes::{Function, ROUTES};
    use crate::wording::de;

    fn calendar() -> crate::domain::calendar::SessionCalendar {
        crate::domain::calendar::SessionCalendar::embedded("2022").expect("the embedded calendar")
    }

    fn rendered(path: &str, identity: crate::config::PortalIdentity) -> String {
        let calendar = calendar();
        let frame = Frame {
            calendar: &calendar,
            identity,
        };
        let page = PAGES
            .iter()
            .chain([&NOT_FOUND_PAGE])
            .find(|p| p.path == path)
            .unwrap();
        render(page, &frame)
    }

    #[test]
    fn the_documents_page_gives_both_ways_and_the_postal_address() {
        let html = rendered("/mes-documents", crate::config::PortalIdentity::State);
        assert!(
            html.contains("dans «&nbsp;Mes documents&nbsp;», ou les envoyer par courrier postal")
        );
        assert!(html.contains(
            "<address id=\"postal-address\">RECTORAT D&#39;AIX-MARSEILLE<br>DIEC 3.05<br>Place Lucien Paye<br>13621 Aix-en-Provence cedex 1<br>(merci de préciser l&#39;intitulé du diplôme)</address>"
        ), "{html}");
    }

    #[test]
    fn the_documents_page_says_the_limit_of_files_the_api_keeps() {
        let max = crate::domain::dossier::MAX_FILES_PER_PIECE;
        let script = ASSETS
            .iter()
            .find(|a| a.name == "documents.js")
            .expect("documents.js");
        let text = std::str::from_utf8(script.bytes).expect("UTF-8");
        assert!(
            text.contains(&format!("const MAX_FILES = {max};")),
            "documents.js's MAX_FILES is the API's {max}"
        );
        let page = PAGES.iter().find(|p| p.path == "/mes-documents").unwrap();
        assert!(
            page.main
                .contains(&format!("{max}&nbsp;fichiers au plus par pièce")),
            "the page says the limit"
        );
    }

    #[test]
    fn every_page_is_french_with_one_h1_and_nothing_inline() {
        for page in PAGES.iter().chain([&NOT_FOUND_PAGE]) {
            let html = rendered(page.path, crate::config::PortalIdentity::State);
            let p = page.path;
            assert!(html.starts_with("<!DOCTYPE html>"), "{p}");
            assert!(html.contains("<html lang=\"fr\">"), "{p}");
            assert_eq!(html.matches("<h1").count(), 1, "{p}: one h1");
            assert_eq!(html.matches("<main").count(), 1, "{p}: one main");
            assert!(!html.contains("{{"), "{p}: a placeholder is left");
            assert!(!html.contains(" style="), "{p}: inline style");
            assert!(!html.contains("<style"), "{p}: inline style");
            assert!(!html.contains(" onclick="), "{p}: inline handler");
            assert!(!html.contains(" onsubmit="), "{p}: inline handler");
            assert!(!html.contains(" onchange="), "{p}: inline handler");
            let scripts = html.matches("<script").count();
            let external = html
                .matches("<script type=\"module\" src=\"/assets/")
                .count();
            assert_eq!(scripts, external, "{p}: every script is an external module");
            assert!(
                ASSETS.iter().any(|a| a.name == page.script),
                "{p}: its script {} is an asset",
                page.script
            );
            for link in [
                "/aide",
                "/mentions-legales",
                "/donnees-personnelles",
                "/accessibilite",
            ] {
                assert!(
                    html.contains(&format!("class=\"fr-footer__bottom-link\" href=\"{link}\"")),
                    "{p}: the footer links to {link}"
                );
            }
            if p != "/" && !p.is_empty() {
                assert!(
                    html.contains(&format!("data-nav=\"{p}\" aria-current=\"page\""))
                        || !html.contains(&format!("data-nav=\"{p}\"")),
                    "{p}: the current link is marked"
                );
            }
        }
    }

    #[test]
    fn the_identity_block_is_the_states_only_when_configured() {
        use crate::config::PortalIdentity;
        let state = rendered("/aide", PortalIdentity::State);
        assert_eq!(
            state.matches("République<br>française").count(),
            2,
            "header and footer"
        );
        assert!(state.contains("<body class=\"identity-state\">"));
        let neutral = rendered("/aide", PortalIdentity::Neutral);
        assert!(!neutral.contains("République"), "{neutral}");
        assert!(neutral.contains("<body class=\"identity-neutral\">"));
        assert!(neutral.contains("<p class=\"operator-name\">Académie d&#39;Aix-Marseille</p>"));
    }

    #[test]
    fn the_information_pages_give_the_reference_data() {
        use crate::config::PortalIdentity::State;
        let help = rendered("/aide", State);
        assert!(help.contains("<dt>Site de l'académie</dt><dd><a href=\"https://www.ac-aix-marseille.fr\">www.ac-aix-marseille.fr</a></dd>"), "{help}");
        assert!(help.contains("<address id=\"help-address\">RECTORAT D&#39;AIX-MARSEILLE<br>DIEC 3.05<br>Place Lucien Paye"));
        let data = rendered("/donnees-personnelles", State);
        assert!(data.contains("jusqu'au vendredi 7 juillet 2023 inclus, soit 12 mois après la publication des résultats de la session (le vendredi 8 juillet 2022)"), "{data}");
        assert!(data.contains("Les fichiers d'export des gestionnaires&nbsp;: 7 jours."));
        assert!(data.contains(
            "journaux techniques du service (sans mot de passe ni document)&nbsp;: 90 jours."
        ));
        assert!(data.contains("<address id=\"dpo-address\">Rectorat de l&#39;académie d&#39;Aix-Marseille<br>Délégué à la protection des données<br>"));
        let statement = rendered("/accessibilite", State);
        assert!(statement.contains("<strong>partiellement conforme</strong>"));
    }

    #[test]
    fn the_academie_is_named_in_good_french() {
        assert_eq!(de("Aix-Marseille"), "d'Aix-Marseille");
        assert_eq!(de("Nice"), "de Nice");
        assert_eq!(de("Orléans-Tours"), "d'Orléans-Tours");
    }

    #[test]
    fn every_module_imported_is_an_asset() {
        for asset in ASSETS.iter().filter(|a| a.name.ends_with(".js")) {
            let text = std::str::from_utf8(asset.bytes).expect("UTF-8");
            assert!(
                !text.contains("from \"") && !text.contains("import(\""),
                "{}: quote imports with '",
                asset.name
            );
            for (at, _) in text.match_indices(" from '") {
                let rest = &text[at + 7..];
                let name = &rest[..rest.find('\'').expect("closing quote")];
                let name = name.strip_prefix("./").unwrap_or_else(|| {
                    panic!(
                        "{} imports {name}: only ./ modules of the portal",
                        asset.name
                    )
                });
                assert!(
                    ASSETS.iter().any(|a| a.name == name),
                    "{} imports {name}, which is not an asset",
                    asset.name
                );
            }
        }
    }

    #[test]
    fn the_policy_allows_only_the_upload_origins_given() {
        let local = content_security_policy("");
        assert!(local.contains("connect-src 'self';"));
        assert!(local.contains("script-src 'self';"));
        assert!(local.contains("frame-ancestors 'none'"));
        assert!(!local.contains("unsafe"));
        let aws = content_security_policy("https://b.s3.eu-west-3.amazonaws.com/ bad;x");
        assert!(aws.contains("connect-src 'self' https://b.s3.eu-west-3.amazonaws.com;"));
        assert!(!aws.contains("bad"));
        let wildcard = content_security_policy("https://*.amazonaws.com");
        assert!(wildcard.contains("connect-src 'self';"), "{wildcard}");
    }

    #[test]
    fn portal_routes_are_on_the_auth_function_and_out_of_the_openapi_document() {
        let doc: serde_json::Value =
            serde_json::from_str(&crate::http::openapi::document_json()).expect("JSON");
        let paths = doc["paths"].as_object().expect("paths");
        for page in PAGES {
            assert!(
                ROUTES
                    .iter()
                    .any(|r| r.method == "GET" && r.path == page.path && r.is_portal()),
                "{} is in ROUTES",
                page.path
            );
        }
        for route in ROUTES {
            if route.is_portal() {
                assert_eq!(route.function, Function::Auth, "{}", route.path);
                assert_eq!(route.method, "GET", "{}", route.path);
                assert!(!paths.contains_key(route.path), "{} documented", route.path);
            } else if !route.is_gestion() {
                assert!(
                    paths.contains_key(route.path),
                    "{} undocumented",
                    route.path
                );
            }
        }
    }

    #[tokio::test]
    async fn pages_and_assets_are_served_with_strict_headers() {
        let dir = tempfile::tempdir().expect("tempdir");
        let router = crate::http::router(app(dir.path()), &[Function::Auth]);
        for page in PAGES {
            let (status, headers, body) = get(&router, page.path, None).await;
            assert_eq!(status, StatusCode::OK, "{}", page.path);
            assert_eq!(headers[header::CONTENT_TYPE], "text/html; charset=utf-8");
            let csp = headers[header::CONTENT_SECURITY_POLICY]
                .to_str()
                .expect("CSP");
            assert!(csp.contains("default-src 'self'") && csp.contains("base-uri 'none'"));
            assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
            assert_eq!(headers[header::REFERRER_POLICY], "no-referrer");
            assert_eq!(headers[header::X_FRAME_OPTIONS], "DENY");
            let html = String::from_utf8(body).expect("UTF-8");
            assert!(html.contains("Aix-Marseille"), "{}", page.path);
        }

        let (status, headers, body) = get(&router, "/assets/portal.css", None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers[header::CONTENT_TYPE], "text/css; charset=utf-8");
        assert!(!body.is_empty());
        let etag = headers[header::ETAG].to_str().expect("ETag").to_owned();
        let (status, _, body) = get(
            &router,
            "/assets/portal.css",
            Some(("if-none-match", &etag)),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_MODIFIED);
        assert!(body.is_empty());

        let (status, headers, _) = get(&router, "/assets/home.js", None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers[header::CONTENT_TYPE], JS);

        let (status, headers, _) = get(&router, "/assets/nope.js", None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(headers[header::CONTENT_TYPE], "application/problem+json");
        let (status, _, _) = get(&router, "/assets/..%2Fportal.rs", None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
}
