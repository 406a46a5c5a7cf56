//! What the portal's and the back office's embedded pages share: the
//! security headers of every answer, and their files served by name,
//! revalidated by their ETag. Each site keeps its own pages, assets and
//! Content-Security-Policy.

use std::sync::OnceLock;

use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

/// The content type of the sites' scripts.
pub const JS: &str = "text/javascript; charset=utf-8";

/// One file a site serves under its assets' route.
pub struct Asset {
    pub name: &'static str,
    pub content_type: &'static str,
    pub bytes: &'static [u8],
}

/// A site's files, each with its ETag computed once, on first use.
pub struct AssetSet {
    assets: &'static [Asset],
    etags: OnceLock<Vec<String>>,
}

impl AssetSet {
    pub const fn new(assets: &'static [Asset]) -> Self {
        AssetSet {
            assets,
            etags: OnceLock::new(),
        }
    }

    /// The answer to a request for the file `name` (a 304 when `request`
    /// already holds it), or `None` when the site has no such file.
    pub fn answer(&self, name: &str, request: &HeaderMap) -> Option<Response> {
        let index = self.assets.iter().position(|a| a.name == name)?;
        let etags = self
            .etags
            .get_or_init(|| self.assets.iter().map(|a| etag_of(a.bytes)).collect());
        let asset = &self.assets[index];
        Some(asset_response(
            request,
            &etags[index],
            asset.content_type,
            asset.bytes,
        ))
    }
}

/// `response` with the headers every page and asset carries: `csp`, no
/// sniffing, no framing, no referrer (links and addresses carry tokens or
/// candidates' addresses: never leak them to another site), and HSTS when
/// the site is served over HTTPS.
pub fn secure(mut response: Response, csp: &str, https: bool) -> Response {
    let csp = HeaderValue::from_str(csp)
        .unwrap_or_else(|_| HeaderValue::from_static("default-src 'self'"));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(
        HeaderName::from_static("permissions-policy"),
        HeaderValue::from_static("camera=(), microphone=(), geolocation=(), payment=()"),
    );
    if https {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    response
}

/// The strong validator of an asset's bytes.
fn etag_of(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    format!("\"{}\"", hex::encode(&digest[..12]))
}

/// An asset's answer: revalidated on each use (`no-cache` with its ETag),
/// so a new deployment is picked up at once and an unchanged file costs a
/// 304 (`If-None-Match` in `request`).
fn asset_response(
    request: &HeaderMap,
    etag: &str,
    content_type: &'static str,
    bytes: &'static [u8],
) -> Response {
    let fresh = request
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let common = [
        (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        (
            header::ETAG,
            HeaderValue::from_str(etag).unwrap_or_else(|_| HeaderValue::from_static("\"\"")),
        ),
    ];
    if fresh {
        (StatusCode::NOT_MODIFIED, common).into_response()
    } else {
        (
            common,
            [(header::CONTENT_TYPE, HeaderValue::from_static(content_type))],
            bytes,
        )
            .into_response()
    }
}

/// What the sites' unit tests share: an embedded app at the first opening
/// of the calendar, and a GET through a router.
#[cfg(test)]
pub(crate) mod test_support {
    use axum::body::Body;
    use axum::http::{HeaderMap, Request, StatusCode};
    use tower::ServiceExt as _;

    use crate::http::AppState;

    /// The embedded app in `dir`, its clock at the first window's opening.
    pub fn app(dir: &std::path::Path) -> AppState {
        let start = "2021-10-26T08:00:00Z".parse().ok();
        let settings = crate::config::Settings {
            public_url: Some("http://127.0.0.1:3000".into()),
            ..Default::default()
        };
        crate::bootstrap::embedded_app(dir, &settings, start, |c| c.first_opening())
            .expect("embedded app")
            .app
    }

    /// `GET path`, with one `extra` header if given: the status, the
    /// headers and the body.
    pub async fn get(
        router: &axum::Router,
        path: &str,
        extra: Option<(&str, &str)>,
    ) -> (StatusCode, HeaderMap, Vec<u8>) {
        let mut request = Request::get(path);
        if let Some((name, value)) = extra {
            request = request.header(name, value);
        }
        let response = router
            .clone()
            .oneshot(request.body(Body::empty()).expect("request"))
            .await
            .expect("response");
        let status = response.status();
        let headers = response.headers().clone();
        let body = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .expect("body");
        (status, headers, body.to_vec())
    }
}
