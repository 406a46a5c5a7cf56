//! The edge's guard against cross-site requests (login CSRF and the like),
//! run before any handler so that a refused request changes nothing.
//!
//! A browser lets any site send a "simple" request to another one: a form
//! (`application/x-www-form-urlencoded`, `multipart/form-data`,
//! `text/plain`) or a `fetch` in `no-cors` mode, cookies included. Two rules
//! close that door, for every route:
//!
//! - an unsafe method (anything but `GET`, `HEAD`, `OPTIONS`) coming from
//!   another site is refused, 403 `forbidden_origin`: its `Origin` is not the
//!   configured portal origin (`null` included), or the browser says
//!   `Sec-Fetch-Site: cross-site`. A request with neither header (an API
//!   client, a script) is served: it carries no victim's cookie;
//! - a body that is not `application/json` (a `charset=utf-8` parameter is
//!   fine) is refused, 415 `unsupported_media_type`: no form can send JSON,
//!   and a cross-origin `fetch` that declares it must pass a CORS preflight,
//!   which only the portal's origin passes. Routes without a body need no
//!   type; the local runner's `/_local/blobs/` take the file's own bytes.

use axum::body::HttpBody as _;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::AppError;

/// Paths whose body is a file's bytes, not JSON: the local runner's
/// upload and download URLs (`src/local.rs`), checked by their signature.
/// (In AWS files go to S3 directly, never through the API.)
const RAW_BODY_PREFIXES: &[&str] = &["/_local/blobs/"];

/// Why a request is refused before any handler sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// 403 `forbidden_origin`: an unsafe method sent from another site.
    ForeignOrigin,
    /// 415 `unsupported_media_type`: a body that is not JSON.
    UnsupportedMediaType,
}

impl From<Refusal> for AppError {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::ForeignOrigin => AppError::refused(
                403,
                "forbidden_origin",
                "Requête d'un autre site refusée",
                "Cette demande a été envoyée depuis un autre site que le portail des inscriptions : \
                 elle est refusée pour protéger votre compte. Ouvrez le portail directement à son \
                 adresse, puis recommencez.",
            ),
            Refusal::UnsupportedMediaType => AppError::refused(
                415,
                "unsupported_media_type",
                "Format de contenu non pris en charge",
                "Le contenu envoyé doit être du JSON, déclaré par l'en-tête « Content-Type: \
                 application/json ».",
            ),
        }
    }
}

/// What the guard reads of a request.
pub struct Incoming<'a> {
    pub method: &'a Method,
    pub path: &'a str,
    pub headers: &'a HeaderMap,
    /// Whether the request surely has no body (nothing to type).
    pub body_is_empty: bool,
}

/// Whether `request` may reach its handler, for a portal served at
/// `portal_origin` (`scheme://host[:port]`).
pub fn decide(request: &Incoming<'_>, portal_origin: &str) -> Result<(), Refusal> {
    if is_safe(request.method) {
        return Ok(());
    }
    if comes_from_another_site(request.headers, portal_origin) {
        return Err(Refusal::ForeignOrigin);
    }
    let raw = RAW_BODY_PREFIXES
        .iter()
        .any(|prefix| request.path.starts_with(prefix));
    let declared = request.headers.get(header::CONTENT_TYPE);
    let typed = request.body_is_empty && declared.is_none();
    if raw || typed {
        return Ok(());
    }
    let json = declared
        .and_then(|v| v.to_str().ok())
        .is_some_and(is_json_media_type);
    if json {
        Ok(())
    } else {
        Err(Refusal::UnsupportedMediaType)
    }
}

/// `GET`, `HEAD` and `OPTIONS` change nothing (they are routed to reads,
/// pages and CORS preflights only).
fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Whether the browser says the request comes from another site: a
/// `Sec-Fetch-Site: cross-site`, or an `Origin` other than the portal's.
/// `same-origin`, `same-site` and `none` (typed by the user) are fine.
fn comes_from_another_site(headers: &HeaderMap, portal_origin: &str) -> bool {
    let cross_site = headers
        .get_all("sec-fetch-site")
        .iter()
        .any(|v| v.as_bytes().eq_ignore_ascii_case(b"cross-site"));
    let origins: Vec<_> = headers.get_all(header::ORIGIN).iter().collect();
    let foreign_origin = match origins.as_slice() {
        [] => false,
        [origin] => !origin
            .to_str()
            .is_ok_and(|o| same_origin(o.trim(), portal_origin)),
        // A browser sends one; two cannot be told apart.
        _ => true,
    };
    cross_site || foreign_origin
}

/// Whether `origin` (an `Origin` header) is the portal's: the same scheme,
/// host and port, host names compared without case. On a loopback address
/// the runner is its own origin under each of its names (`localhost`,
/// `127.0.0.1`, `[::1]`), so that it may be opened by any of them. `null`
/// (a sandboxed frame, a `data:` page, a redirect) is never the portal.
pub fn same_origin(origin: &str, portal_origin: &str) -> bool {
    // A browser's `Origin` is exactly `scheme://host[:port]`.
    if origin.ends_with('/') {
        return false;
    }
    let (Some(given), Some(portal)) = (parts(origin), parts(portal_origin)) else {
        return false;
    };
    let hosts_match =
        given.host == portal.host || (is_loopback(&given.host) && is_loopback(&portal.host));
    given.scheme == portal.scheme && given.port == portal.port && hosts_match
}

struct OriginParts {
    scheme: String,
    host: url::Host<String>,
    port: Option<u16>,
}

/// An origin's scheme, host and port (the scheme's default port as none);
/// `None` for `null` or anything that is not an http(s) origin.
fn parts(origin: &str) -> Option<OriginParts> {
    let url = url::Url::parse(origin).ok()?;
    let bare = url.path() == "/" && url.query().is_none() && url.fragment().is_none();
    let plain = url.username().is_empty() && url.password().is_none();
    if !matches!(url.scheme(), "http" | "https") || !bare || !plain {
        return None;
    }
    Some(OriginParts {
        scheme: url.scheme().to_owned(),
        host: url.host()?.to_owned(),
        port: url.port(),
    })
}

fn is_loopback(host: &url::Host<String>) -> bool {
    match host {
        url::Host::Domain(name) => name.eq_ignore_ascii_case("localhost"),
        url::Host::Ipv4(ip) => ip.is_loopback(),
        url::Host::Ipv6(ip) => ip.is_loopback(),
    }
}

/// `application/json`, with any parameters as long as a `charset`, if
/// given, is UTF-8 (the only one the API reads).
pub fn is_json_media_type(value: &str) -> bool {
    let mut pieces = value.split(';');
    let essence = pieces.next().unwrap_or_default().trim();
    if !essence.eq_ignore_ascii_case("application/json") {
        return false;
    }
    pieces.all(|parameter| match parameter.split_once('=') {
        Some((name, value)) if name.trim().eq_ignore_ascii_case("charset") => {
            value.trim().trim_matches('"').eq_ignore_ascii_case("utf-8")
        }
        _ => true,
    })
}

/// The middleware: [`decide`] on the request, with the portal's origin.
pub async fn guard(
    State(portal_origin): State<std::sync::Arc<str>>,
    request: Request,
    next: Next,
) -> Response {
    let body = request.body();
    let body_is_empty = body.is_end_stream() || body.size_hint().exact() == Some(0);
    let incoming = Incoming {
        method: request.method(),
        path: request.uri().path(),
        headers: request.headers(),
        body_is_empty,
    };
    match decide(&incoming, &portal_origin) {
        Ok(()) => next.run(request).await,
        Err(refusal) => {
            tracing::info!(?refusal, "cross-site request refused");
            AppError::from(refusal).into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    const PORTAL: &str = "https://inscriptions.example.fr";

    fn decide_with(
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: bool,
    ) -> Result<(), Refusal> {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.append(
                axum::http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        let incoming = Incoming {
            method: &method,
            path,
            headers: &map,
            body_is_empty: !body,
        };
        decide(&incoming, PORTAL)
    }

    const JSON: (&str, &str) = ("content-type", "application/json");

    #[test]
    fn the_login_csrf_form_is_refused() {
        // The audit's attack: a cross-site form, enctype="text/plain".
        let attack = [
            ("content-type", "text/plain"),
            ("origin", "https://evil.example"),
            ("sec-fetch-site", "cross-site"),
        ];
        assert_eq!(
            decide_with(Method::POST, "/auth/login", &attack, true),
            Err(Refusal::ForeignOrigin)
        );
        // The same body from the portal itself, or from a script without a
        // browser, is still not JSON.
        let from_portal = [("content-type", "text/plain"), ("origin", PORTAL)];
        assert_eq!(
            decide_with(Method::POST, "/auth/login", &from_portal, true),
            Err(Refusal::UnsupportedMediaType)
        );
        for form in [
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
        ] {
            assert_eq!(
                decide_with(Method::POST, "/auth/login", &[("content-type", form)], true),
                Err(Refusal::UnsupportedMediaType),
                "{form}"
            );
        }
        // A body without a type is not JSON either.
        assert_eq!(
            decide_with(Method::POST, "/auth/login", &[], true),
            Err(Refusal::UnsupportedMediaType)
        );
    }

    #[test]
    fn unsafe_methods_from_another_site_are_refused() {
        for method in [Method::POST, Method::PUT, Method::PATCH, Method::DELETE] {
            for origin in [
                "https://evil.example",
                "null",
                "http://inscriptions.example.fr",
                "https://inscriptions.example.fr:8443",
                "https://inscriptions.example.fr.evil.example",
                "https://evil.example/https://inscriptions.example.fr",
            ] {
                assert_eq!(
                    decide_with(
                        method.clone(),
                        "/inscription",
                        &[JSON, ("origin", origin)],
                        true
                    ),
                    Err(Refusal::ForeignOrigin),
                    "{method} from {origin}"
                );
            }
            assert_eq!(
                decide_with(
                    method.clone(),
                    "/office/actions",
                    &[JSON, ("sec-fetch-site", "cross-site")],
                    true
                ),
                Err(Refusal::ForeignOrigin),
                "{method} cross-site"
            );
            // The portal's own origin is no excuse for a cross-site fetch.
            let both = [JSON, ("origin", PORTAL), ("sec-fetch-site", "cross-site")];
            assert_eq!(
                decide_with(method.clone(), "/inscription", &both, true),
                Err(Refusal::ForeignOrigin)
            );
        }
        let twice = [JSON, ("origin", PORTAL), ("origin", PORTAL)];
        assert_eq!(
            decide_with(Method::POST, "/auth/login", &twice, true),
            Err(Refusal::ForeignOrigin)
        );
    }

    #[test]
    fn the_portal_and_api_clients_are_served() {
        for fetch_site in ["same-origin", "same-site", "none"] {
            let headers = [JSON, ("origin", PORTAL), ("sec-fetch-site", fetch_site)];
            assert_eq!(
                decide_with(Method::POST, "/auth/login", &headers, true),
                Ok(()),
                "{fetch_site}"
            );
        }
        // Neither header: a script or an API client.
        assert_eq!(
            decide_with(Method::PUT, "/inscription", &[JSON], true),
            Ok(())
        );
        // The origin's host name without case, and its charset said.
        let headers = [
            ("content-type", "Application/JSON; charset=UTF-8"),
            ("origin", "https://Inscriptions.Example.FR"),
        ];
        assert_eq!(
            decide_with(Method::POST, "/auth/login", &headers, true),
            Ok(())
        );
        // Reads are never refused, whoever links to them.
        let evil = [
            ("origin", "https://evil.example"),
            ("sec-fetch-site", "cross-site"),
        ];
        for method in [Method::GET, Method::HEAD, Method::OPTIONS] {
            assert_eq!(decide_with(method, "/me", &evil, false), Ok(()));
        }
    }

    #[test]
    fn routes_without_a_body_need_no_type() {
        let portal = [("origin", PORTAL), ("sec-fetch-site", "same-origin")];
        assert_eq!(
            decide_with(Method::POST, "/auth/logout", &portal, false),
            Ok(())
        );
        assert_eq!(
            decide_with(Method::DELETE, "/inscription/pieces/x/files/y", &[], false),
            Ok(())
        );
        // A declared type is checked even on an empty body.
        assert_eq!(
            decide_with(
                Method::POST,
                "/auth/logout",
                &[("content-type", "text/plain")],
                false
            ),
            Err(Refusal::UnsupportedMediaType)
        );
        // The runner's file URLs take the file's bytes, but not from another site.
        let png = [("content-type", "image/png"), ("origin", PORTAL)];
        assert_eq!(
            decide_with(Method::PUT, "/_local/blobs/candidates/a", &png, true),
            Ok(())
        );
        let evil = [
            ("content-type", "image/png"),
            ("origin", "https://evil.example"),
        ];
        assert_eq!(
            decide_with(Method::PUT, "/_local/blobs/candidates/a", &evil, true),
            Err(Refusal::ForeignOrigin)
        );
    }

    #[test]
    fn json_is_application_json_in_utf_8() {
        for good in [
            "application/json",
            "application/json;charset=utf-8",
            "application/json; charset=\"UTF-8\"",
            " application/json ; foo=bar",
        ] {
            assert!(is_json_media_type(good), "{good}");
        }
        for bad in [
            "text/plain",
            "text/json",
            "application/jsonx",
            "application/problem+json",
            "application/json; charset=utf-16",
            "",
        ] {
            assert!(!is_json_media_type(bad), "{bad}");
        }
    }

    #[test]
    fn a_loopback_runner_is_its_own_origin_under_each_name() {
        let runner = "http://127.0.0.1:3000";
        for name in [
            "http://127.0.0.1:3000",
            "http://localhost:3000",
            "http://[::1]:3000",
        ] {
            assert!(same_origin(name, runner), "{name}");
        }
        for other in [
            "http://127.0.0.1:3001",
            "https://localhost:3000",
            "http://192.168.1.20:3000",
            "null",
            "",
        ] {
            assert!(!same_origin(other, runner), "{other}");
        }
        assert!(same_origin("https://a.fr:443", "https://a.fr"));
        assert!(!same_origin("https://a.fr", "https://b.fr"));
        assert!(!same_origin("https://a.fr/", "https://a.fr"));
    }
}
