//! The application: its configuration and the ports it runs on. One `App` is
//! built at start (per Lambda container, or once in the local runner) and
//! shared by every request.

use std::sync::Arc;
use std::time::Duration;

use crate::calendar::SessionCalendar;
use crate::catalogue::Catalogue;
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
    /// Whether the `Secure` cookie attribute is set (always, except for
    /// plain-HTTP local runs where browsers would drop the cookie).
    pub secure_cookies: bool,
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
