//! What the portal's and the back office's embedded pages share: the
//! security headers of every answer, and an asset's answer revalidated by
//! its ETag. Each site keeps its own pages, assets and Content-Security-Policy.

use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

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
pub fn etag_of(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    format!("\"{}\"", hex::encode(&digest[..12]))
}

/// An asset's answer: revalidated on each use (`no-cache` with its ETag),
/// so a new deployment is picked up at once and an unchanged file costs a
/// 304 (`If-None-Match` in `request`).
pub fn asset_response(
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
