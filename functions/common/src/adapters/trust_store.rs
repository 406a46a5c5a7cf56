//! The AWS SDK clients' HTTPS client, trusting the roots of one bundle file.
//!
//! By default the SDK asks `rustls-native-certs` for the system's roots when
//! the first client is built (at every cold start): it reads the bundle file
//! *and* every file of the certificates directory it finds (on Debian,
//! `/etc/ssl/certs/ca-certificates.crt` and the ~150 files beside it). Lambda's
//! `provided.al2023` keeps its roots in one bundle, [`SYSTEM_BUNDLE`]: reading
//! that file alone is enough (BENCHMARKS.md, "Cold starts").
//!
//! It must never cost an AWS call: the SDK panics on a certificate of a
//! custom trust store that it cannot add, so the bundle is used only when
//! every certificate in it is one rustls accepts as a root. A missing,
//! unreadable, empty or partly unusable bundle falls back to the SDK's
//! default (the native roots), with a warning when the file was there.

use std::path::{Path, PathBuf};

use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::rustls_provider::CryptoMode;
use aws_smithy_http_client::tls::{Provider, TlsContext, TrustStore};
use aws_smithy_http_client::{Builder, ConnectorBuilder};
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;

/// Where Amazon Linux 2023 (Lambda's `provided.al2023`) keeps its roots.
pub const SYSTEM_BUNDLE: &str = "/etc/pki/tls/certs/ca-bundle.crt";

/// Names another bundle file (e.g. Debian's
/// `/etc/ssl/certs/ca-certificates.crt`, to measure on such a host).
pub const BUNDLE_ENV: &str = "EXAMREG_CA_BUNDLE";

/// The bundle to read: [`BUNDLE_ENV`]'s, else [`SYSTEM_BUNDLE`].
pub fn bundle_path() -> PathBuf {
    std::env::var_os(BUNDLE_ENV).map_or_else(|| PathBuf::from(SYSTEM_BUNDLE), PathBuf::from)
}

/// The HTTPS client trusting the roots of the bundle at `path`, or `None`
/// for the SDK's default (see the module's documentation).
pub fn https_client_from_bundle(path: &Path) -> Option<SharedHttpClient> {
    let pem = match std::fs::read(path) {
        Ok(pem) => pem,
        Err(e) => {
            if e.kind() != std::io::ErrorKind::NotFound {
                tracing::warn!(bundle = %path.display(), error = %e, "CA bundle unreadable: the SDK's default roots are used");
            }
            return None;
        }
    };
    match usable_roots(&pem) {
        Ok(_) => Some(https_client_trusting(pem)),
        Err(why) => {
            tracing::warn!(bundle = %path.display(), why, "CA bundle not used: the SDK's default roots are used");
            None
        }
    }
}

/// How many roots `pem` holds, if it holds at least one and rustls accepts
/// every one of them as a trust anchor (what the SDK requires of a custom
/// trust store).
pub fn usable_roots(pem: &[u8]) -> Result<usize, String> {
    let certificates = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("not a PEM bundle: {e}"))?;
    if certificates.is_empty() {
        return Err("no certificate in the bundle".into());
    }
    let mut roots = rustls::RootCertStore::empty();
    for (index, certificate) in certificates.into_iter().enumerate() {
        roots
            .add(certificate)
            .map_err(|e| format!("certificate {index} of the bundle refused: {e}"))?;
    }
    Ok(roots.len())
}

/// The SDK's default HTTPS client (aws-smithy-runtime's
/// `default_https_client`: rustls with aws-lc, the proxy from the
/// environment), its trust store `pem` alone.
fn https_client_trusting(pem: Vec<u8>) -> SharedHttpClient {
    let trust_store = TrustStore::empty()
        .with_native_roots(false)
        .with_pem_certificate(pem);
    let context = TlsContext::builder()
        .with_trust_store(trust_store)
        .build()
        .expect("a TLS context without server names always builds");
    Builder::new().build_with_connector_fn(move |settings, runtime_components| {
        let mut connector = ConnectorBuilder::default()
            .tls_provider(Provider::Rustls(CryptoMode::AwsLc))
            .tls_context(context.clone());
        connector.set_connector_settings(settings.cloned());
        if let Some(components) = runtime_components {
            connector.set_sleep_impl(components.sleep_impl());
        }
        connector.set_proxy_config(Some(ProxyConfig::from_env()));
        connector.build()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A self-signed root (ECDSA P-256, made with `openssl req -x509` for
    /// this test; valid until 2126).
    const ROOT: &str = "-----BEGIN CERTIFICATE-----
MIIBjjCCATWgAwIBAgIUS8nYzHXEyr0wo7z1YlNgSZdZqcEwCgYIKoZIzj0EAwIw
HDEaMBgGA1UEAwwRZXhhbXJlZyB0ZXN0IHJvb3QwIBcNMjYxMjAzMDY0NTQ0WhgP
MjEyNjExMDkwNjQ1NDRaMBwxGjAYBgNVBAMMEWV4YW1yZWcgdGVzdCByb290MFkw
EwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAELuZOt55iwBtA+GLM34z6/pycf94VcXLM
w6SArH1yJjDepEz7yuPbIoD4OYhhScjnFAcGg/E7uYz6cDMcaJhw66NTMFEwHQYD
VR0OBBYEFBP8lIXO6rY8p8s7j0haN8hvv3S0MB8GA1UdIwQYMBaAFBP8lIXO6rY8
p8s7j0haN8hvv3S0MA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDRwAwRAIg
Qy+sz/YWafleGGaV35sq/Psu7KOoPSnpZlhfj3U1wAMCIHjMvKnIWMC3vq8T+Dpu
24HPDP14DPBtg1hHgEvWknu4
-----END CERTIFICATE-----
";

    /// A PEM block that is not a certificate (three zero bytes).
    const NOT_A_CERTIFICATE: &str =
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";

    #[test]
    fn a_bundle_is_used_only_if_every_certificate_is_a_usable_root() {
        assert_eq!(usable_roots(ROOT.as_bytes()), Ok(1));
        assert_eq!(usable_roots(format!("{ROOT}{ROOT}").as_bytes()), Ok(2));
        assert!(usable_roots(b"").is_err(), "empty");
        assert!(usable_roots(b"no PEM block here").is_err());
        let one_bad = format!("{ROOT}{NOT_A_CERTIFICATE}");
        let refused = usable_roots(one_bad.as_bytes()).unwrap_err();
        assert!(refused.contains("certificate 1"), "{refused}");
    }

    #[test]
    fn a_bundle_file_gives_a_client_and_a_missing_or_bad_one_the_default() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("ca-bundle.crt");
        std::fs::write(&good, ROOT).unwrap();
        assert!(https_client_from_bundle(&good).is_some());
        let bad = dir.path().join("bad.crt");
        std::fs::write(&bad, format!("{ROOT}{NOT_A_CERTIFICATE}")).unwrap();
        assert!(https_client_from_bundle(&bad).is_none());
        assert!(https_client_from_bundle(&dir.path().join("absent.crt")).is_none());
    }
}
