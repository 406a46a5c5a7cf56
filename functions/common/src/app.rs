//! The application: its configuration and the ports it runs on. One `App` is
//! built at start (per Lambda container, or once in the local runner) and
//! shared by every request, always by [`AppBuilder`]: the Lambdas, the runner,
//! the test kit and the examples differ only in the ports they give it.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crate::config::OfficeSignIn;
use crate::config::{origin_of, Settings};
use crate::domain::calendar::SessionCalendar;
use crate::domain::catalogue::Catalogue;
use crate::metrics::MetricsSink;
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
    /// Mails a sweep run holds in memory, as it queues them, to send them
    /// without reading them back; once that many are held it sends them
    /// (paced) before going on (`services::mailqueue::Outgoing`).
    pub held_mails: usize,
    /// Whether the `Secure` cookie attribute is set: see [`secure_cookies_for`].
    pub secure_cookies: bool,
    /// The origin the portal and the API are served at (the cookie's, and
    /// the one whose scheme decides HSTS).
    pub portal_origin: String,
    /// Where presigned upload URLs point, which the portal's pages may
    /// `connect-src` to besides their own origin (empty: their own only).
    pub upload_origin: String,
    /// How the back office's pages sign staff in (`GET /office/config`).
    pub office_sign_in: OfficeSignIn,
    /// The CloudFront distribution's origin-verify secret (`http/edge.rs`);
    /// `None` when the API is reached directly (the runner, or no edge).
    pub edge_secret: Option<String>,
    /// The portal's identity block (`EXAMREG_PORTAL_IDENTITY`).
    pub portal_identity: crate::config::PortalIdentity,
}

impl Config {
    /// The configuration `settings` give, the rest as by default.
    pub fn from_settings(settings: &Settings) -> Self {
        let defaults = Self::default();
        let public_url = settings.public_url.clone().unwrap_or(defaults.public_url);
        let portal_origin = settings
            .portal_origin
            .clone()
            .or_else(|| origin_of(&public_url))
            .unwrap_or(defaults.portal_origin);
        Self {
            mail_rate_per_second: settings.mail_rate_per_second,
            office_sign_in: OfficeSignIn::of(settings.office_cognito.as_ref(), &portal_origin),
            secure_cookies: secure_cookies_for(&portal_origin),
            edge_secret: settings.edge_secret.clone(),
            portal_identity: settings.portal_identity,
            public_url,
            portal_origin,
            ..defaults
        }
    }
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
            held_mails: 2_000,
            secure_cookies: true,
            portal_origin: "http://127.0.0.1:3000".into(),
            upload_origin: String::new(),
            office_sign_in: OfficeSignIn::Local,
            edge_secret: None,
            portal_identity: crate::config::PortalIdentity::default(),
        }
    }
}

/// The ports an `App` runs on.
pub struct Ports {
    pub store: Arc<dyn Store>,
    pub mailer: Arc<dyn Mailer>,
    pub documents: Arc<dyn DocumentStore>,
    pub clock: Arc<dyn Clock>,
}

/// The one place an `App` is made: its configuration and reference data
/// from the settings (or given), then the ports.
pub struct AppBuilder {
    config: Config,
    calendar: SessionCalendar,
    catalogue: Catalogue,
    metrics: MetricsSink,
}

impl AppBuilder {
    /// The configuration and the reference data (the session's embedded
    /// calendar and the embedded catalogue, or the files named) of `settings`.
    pub fn new(settings: &Settings) -> anyhow::Result<Self> {
        let calendar = match &settings.calendar_file {
            Some(path) => SessionCalendar::from_file(Path::new(path))?,
            None => SessionCalendar::embedded(&settings.session)?,
        };
        let catalogue = match &settings.catalogue_file {
            Some(path) => Catalogue::from_file(Path::new(path))?,
            None => Catalogue::embedded()?,
        };
        Ok(Self {
            config: Config::from_settings(settings),
            calendar,
            catalogue,
            metrics: MetricsSink::Off,
        })
    }

    /// The calendar in force, for what must be set up before the ports
    /// (where a simulated clock starts).
    pub fn calendar(&self) -> &SessionCalendar {
        &self.calendar
    }

    /// The base URL of links (and of the runner's own signed URLs).
    pub fn public_url(&self) -> &str {
        &self.config.public_url
    }

    /// This configuration instead of the settings' (tests, benchmarks).
    pub fn config(mut self, config: Config) -> Self {
        self.config = config;
        self
    }

    /// Where the document store's presigned upload URLs point.
    pub fn upload_origin(mut self, origin: impl Into<String>) -> Self {
        self.config.upload_origin = origin.into();
        self
    }

    /// Where business metrics go (by default nowhere; a Lambda's go to its
    /// log as EMF, `metrics.rs`).
    pub fn metrics(mut self, metrics: MetricsSink) -> Self {
        self.metrics = metrics;
        self
    }

    pub fn build(self, ports: Ports) -> App {
        App {
            config: self.config,
            metrics: self.metrics,
            calendar: self.calendar,
            catalogue: self.catalogue,
            store: ports.store,
            mailer: ports.mailer,
            documents: ports.documents,
            clock: ports.clock,
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
    pub metrics: MetricsSink,
}

impl App {
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    /// Publishes one occurrence of `metric`, now.
    pub fn count(&self, metric: crate::metrics::Metric) {
        self.metrics.count(self.now(), metric);
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
    use super::*;

    #[test]
    fn the_configuration_follows_the_settings() {
        let config = Config::from_settings(&Settings {
            public_url: Some("https://inscriptions.example.fr/".into()),
            mail_rate_per_second: 3.0,
            ..Settings::default()
        });
        assert_eq!(config.public_url, "https://inscriptions.example.fr/");
        assert_eq!(config.portal_origin, "https://inscriptions.example.fr");
        assert!(config.secure_cookies);
        assert_eq!(config.mail_rate_per_second, 3.0);
        assert_eq!(config.upload_origin, "");

        let lan = Config::from_settings(&Settings {
            public_url: Some("http://192.168.1.20:3000".into()),
            ..Settings::default()
        });
        assert!(!lan.secure_cookies);
        let behind_https = Config::from_settings(&Settings {
            public_url: Some("http://192.168.1.20:3000".into()),
            portal_origin: Some("https://examens.example.fr".into()),
            ..Settings::default()
        });
        assert!(behind_https.secure_cookies);

        let nothing = Config::from_settings(&Settings::default());
        let defaults = Config::default();
        assert_eq!(nothing.public_url, defaults.public_url);
        assert_eq!(nothing.portal_origin, defaults.portal_origin);
        assert_eq!(nothing.secure_cookies, defaults.secure_cookies);
        assert_eq!(nothing.mail_rate_per_second, defaults.mail_rate_per_second);
    }

    #[test]
    fn the_builder_reads_the_reference_files_named() {
        let missing = Settings {
            calendar_file: Some("/nonexistent/calendar.toml".into()),
            ..Settings::default()
        };
        let error = AppBuilder::new(&missing)
            .err()
            .expect("an error")
            .to_string();
        assert!(error.contains("/nonexistent/calendar.toml"), "{error}");
        let unknown = Settings {
            session: "1999".into(),
            ..Settings::default()
        };
        assert!(AppBuilder::new(&unknown).is_err());
        let builder = AppBuilder::new(&Settings::default()).expect("the embedded data");
        assert_eq!(builder.calendar().session, "2022");
    }

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
