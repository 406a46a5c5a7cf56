//! The HTTPS client every AWS SDK client of a function shares.
//!
//! It is the SDK's own client (aws-smithy-http-client: hyper 1, rustls 0.23,
//! the system's roots read the SDK's way, its timeouts and connection pool),
//! with one difference from the SDK's default: rustls runs on `ring` rather
//! than `aws-lc`. aws-lc is a C library of its own that weighed about
//! 0.7 MiB zipped in each Lambda (BENCHMARKS.md, « Lambda artefacts »);
//! ring brings the same TLS 1.2 and 1.3 suites the SDK allows. What is given
//! up, and why it is acceptable here, is in SECURITY.md (« Transport to
//! AWS »): the hybrid post-quantum key exchange only aws-lc offers, and the
//! SDK's reading of `HTTPS_PROXY`, which no Lambda of the template uses.

use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use aws_smithy_http_client::Builder;
use aws_smithy_runtime_api::client::http::SharedHttpClient;

/// A new HTTPS client (cheap: the roots are read when an SDK client first
/// uses it). One per `SdkConfig`: every client built from it shares it.
pub fn client() -> SharedHttpClient {
    Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
        .build_https()
}
