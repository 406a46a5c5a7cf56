//! The application: its configuration and the ports it runs on. One `App` is
//! built at start (per Lambda container, or once in the local runner) and
//! shared by every request.

use std::sync::Arc;
use std::time::Duration;

use crate::domain::calendar::SessionCalendar;
use crate::domain::catalogue::Catalogue;
use crate::ports::{Clock, DocumentStore, Mailer, Store};

#[derive(Debug, Clone)]
pub struct Config {
    /// The base URL candidates use; email links start with it.
    pub public_url: String,
    /// How long a presigned upload URL stays valid.
    pub upload_url_lifetime: Duration,
    /// The sweep's sending rate (SES quotas allow tens of messages a second).
    pub mail_rate_per_second: f64,
    /// Items a sweep handles per page.
    pub sweep_page_size: usize,
    /// Whether the `Secure` cookie attribute is set: see [`secure_cookies_for`].
    pub secure_cookies: bool,
}

/// Whether the session cookie may carry `Secure` for a portal at
/// `public_url`: always over HTTPS, and over plain HTTP on a loopback address
/// (`localhost`, `127.0.0.1`, `[::1]`), which browsers treat as a secure
/// origin. Only a plain-HTTP runner reached by another host name would see its
/// cookie dropped by the browser, so there alone it goes without.
pub fn secure_cookies_for(public_url: &str) -> bool {
    let Ok(url) = url::Url::parse(public_url) else {
        return true;
    };
    if url.scheme() != "http" {
        return true;
    }
    match url.host() {
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            public_url: "http://127.0.0.1:3000".into(),
            upload_url_lifetime: Duration::from_secs(10 * 60),
            mail_rate_per_second: 14.0,
            sweep_page_size: 100,
            secure_cookies: true,
        }
    }
}

pub struct App {
    pub config: Config,
    pub calendar: SessionCalendar,
    pub catalogue: Catalogue,
    pub store: Arc<dyn Store>,
    pub mailer: Arc<dyn Mailer>,
    pub documents: Arc<dyn DocumentStore>,
    pub clock: Arc<dyn Clock>,
}

impl App {
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    /// A link into the portal, e.g. `link("/activate?token=...")`.
    pub fn link(&self, path_and_query: &str) -> String {
        format!(
            "{}{}",
            self.config.public_url.trim_end_matches('/'),
            path_and_query
        )
    }
}

#[cfg(test)]
mod tests {
    use super::secure_cookies_for;

    #[test]
    fn the_session_cookie_is_secure_except_over_plain_http_to_another_host() {
        for url in [
            "https://inscriptions.example.fr",
            "http://127.0.0.1:3000",
            "http://localhost:8080/",
            "http://[::1]:3000",
        ] {
            assert!(secure_cookies_for(url), "{url}");
        }
        for url in ["http://192.168.1.20:3000", "http://poste-examens.local"] {
            assert!(!secure_cookies_for(url), "{url}");
        }
    }
}
