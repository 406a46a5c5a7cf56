//! The CloudFront distribution in front of the HTTP API (template.yaml,
//! `# --- edge ---`), seen from the code: the one place that knows it.
//!
//! CloudFront carries the WAF's per-client rate rules; the HTTP API has no
//! WAF of its own. So that no client escapes them by calling the API's own
//! URL, CloudFront adds a secret header ([`SECRET_HEADER`]) to every request
//! it forwards, and with `EXAMREG_EDGE_SECRET` set a request without it (or
//! with another value) is refused, 403 `forbidden_origin`, before anything
//! reads it.
//!
//! Behind CloudFront, the HTTP API's `sourceIp` is a CloudFront edge server,
//! shared by every candidate near it: the per-source limits
//! (`services/accounts/rate.rs`) must count the viewer instead, which
//! CloudFront gives in `CloudFront-Viewer-Address` (`ip:port`). That header
//! is trusted only on a request that carried the secret (anyone can send it
//! otherwise): [`guard`] then records the address as a [`ViewerAddress`]
//! extension, which `http/accounts.rs`'s `ClientSource` prefers. Without a
//! secret configured (the runner, or no distribution) nothing changes.

use std::net::IpAddr;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use subtle::ConstantTimeEq;

use super::cross_site::Refusal;
use crate::error::AppError;

/// The header CloudFront adds with the secret (an origin custom header).
pub const SECRET_HEADER: &str = "x-examreg-edge";
/// Where CloudFront puts the viewer's address and port.
pub const VIEWER_ADDRESS_HEADER: &str = "cloudfront-viewer-address";

/// On a request that came through the distribution: the viewer's address as
/// CloudFront saw it, or `None` if CloudFront gave none (then the HTTP API's
/// `sourceIp`, an edge server shared by many candidates, must not be taken
/// for the client's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ViewerAddress(pub Option<IpAddr>);

/// What the edge makes of a request's headers.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// No distribution configured: served as it is.
    Direct,
    /// Came through CloudFront; the viewer's address, if it gave one.
    ViaEdge(Option<IpAddr>),
    /// A distribution is configured and this request bypassed it.
    Bypassed,
}

/// Decides on `headers` with the configured `secret`.
pub fn decide(headers: &HeaderMap, secret: Option<&str>) -> Verdict {
    let Some(secret) = secret else {
        return Verdict::Direct;
    };
    let mut given = headers.get_all(SECRET_HEADER).iter();
    let matches = match (given.next(), given.next()) {
        (Some(value), None) => bool::from(value.as_bytes().ct_eq(secret.as_bytes())),
        _ => false, // none, or a viewer's own copy beside CloudFront's
    };
    if !matches {
        return Verdict::Bypassed;
    }
    Verdict::ViaEdge(viewer_address(headers))
}

/// `CloudFront-Viewer-Address`: `192.0.2.1:46532`, or for IPv6
/// `2001:db8::1:46532` (no brackets): the address is all before the last
/// colon.
fn viewer_address(headers: &HeaderMap) -> Option<IpAddr> {
    let value = headers.get(VIEWER_ADDRESS_HEADER)?.to_str().ok()?;
    let (address, port) = value.trim().rsplit_once(':')?;
    port.parse::<u16>().ok()?;
    address
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .ok()
}

/// The middleware: [`decide`], then refuse, or pass on without the secret
/// (no handler or log needs it) and with the viewer's address.
pub async fn guard(
    State(secret): State<Option<Arc<str>>>,
    mut request: Request,
    next: Next,
) -> Response {
    match decide(request.headers(), secret.as_deref()) {
        Verdict::Direct => next.run(request).await,
        Verdict::ViaEdge(viewer) => {
            request.headers_mut().remove(SECRET_HEADER);
            request.extensions_mut().insert(ViewerAddress(viewer));
            next.run(request).await
        }
        Verdict::Bypassed => {
            tracing::info!("request that bypassed the CloudFront distribution refused");
            AppError::from(Refusal::ForeignOrigin).into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    /// A router with the edge's layers and one route answering what the
    /// handlers see: the client's source, and whether the secret reached it.
    async fn through_the_router(
        secret: Option<&str>,
        pairs: &[(&'static str, &str)],
    ) -> (u16, String) {
        use axum::body::Body;
        use axum::routing::get;
        use tower::ServiceExt;
        let config = crate::app::Config {
            edge_secret: secret.map(str::to_owned),
            ..Default::default()
        };
        let routes = axum::Router::new().route(
            "/seen",
            get(
                |super::super::accounts::ClientSource(ip): super::super::accounts::ClientSource,
                 headers: HeaderMap| async move {
                    format!("{ip:?} {}", headers.contains_key(SECRET_HEADER))
                },
            ),
        );
        let mut request = axum::http::Request::get("/seen");
        for (name, value) in pairs {
            request = request.header(*name, *value);
        }
        let response = super::super::with_edge(routes, &config)
            .oneshot(request.body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = response.status().as_u16();
        let body = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .unwrap();
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    #[tokio::test]
    async fn the_router_refuses_a_bypass_and_counts_the_viewer_behind_cloudfront() {
        let viewer = (VIEWER_ADDRESS_HEADER, "203.0.113.7:46532");
        // The API's own URL, called directly: refused before any handler.
        let (status, body) = through_the_router(Some(SECRET), &[viewer]).await;
        assert_eq!(status, 403);
        assert!(body.contains("forbidden_origin"), "{body}");
        // Through CloudFront: served, the viewer counted, the secret gone.
        let (status, body) =
            through_the_router(Some(SECRET), &[(SECRET_HEADER, SECRET), viewer]).await;
        assert_eq!((status, body.as_str()), (200, "Some(203.0.113.7) false"));
        // No distribution: a spoofed CloudFront header changes nothing.
        let (status, body) = through_the_router(None, &[viewer]).await;
        assert_eq!((status, body.as_str()), (200, "None false"));
    }

    #[test]
    fn without_a_distribution_every_request_is_direct_and_its_headers_ignored() {
        let spoofed = headers(&[(VIEWER_ADDRESS_HEADER, "198.51.100.9:443")]);
        assert_eq!(decide(&spoofed, None), Verdict::Direct);
    }

    #[test]
    fn with_a_distribution_a_request_without_the_secret_is_refused() {
        assert_eq!(decide(&headers(&[]), Some(SECRET)), Verdict::Bypassed);
        let wrong = headers(&[(SECRET_HEADER, "0123456789abcdef0123456789abcdeX")]);
        assert_eq!(decide(&wrong, Some(SECRET)), Verdict::Bypassed);
        // A viewer's own header beside CloudFront's: not trusted.
        let twice = headers(&[(SECRET_HEADER, "guess"), (SECRET_HEADER, SECRET)]);
        assert_eq!(decide(&twice, Some(SECRET)), Verdict::Bypassed);
    }

    #[test]
    fn through_the_distribution_the_viewer_address_is_cloudfronts() {
        let v4 = headers(&[
            (SECRET_HEADER, SECRET),
            (VIEWER_ADDRESS_HEADER, "203.0.113.7:46532"),
        ]);
        assert_eq!(
            decide(&v4, Some(SECRET)),
            Verdict::ViaEdge("203.0.113.7".parse().ok())
        );
        let v6 = headers(&[
            (SECRET_HEADER, SECRET),
            (VIEWER_ADDRESS_HEADER, "2001:db8::1:46532"),
        ]);
        assert_eq!(
            decide(&v6, Some(SECRET)),
            Verdict::ViaEdge("2001:db8::1".parse().ok())
        );
        for garbage in ["", "203.0.113.7", "not-an-ip:443", "203.0.113.7:port"] {
            let h = headers(&[(SECRET_HEADER, SECRET), (VIEWER_ADDRESS_HEADER, garbage)]);
            assert_eq!(
                decide(&h, Some(SECRET)),
                Verdict::ViaEdge(None),
                "{garbage}"
            );
        }
    }
}
