//! The mailer port: SES in Lambda, a local outbox in the runner.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

/// One email, ready to send. Every email has a French plain-text part and,
/// where useful, an HTML part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutgoingEmail {
    pub to: String,
    pub subject: String,
    pub text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub html: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// The provider refused for now (quota, throttling): try again later.
    #[error("mail provider throttled the message: {0}")]
    Throttled(String),
    /// The provider rejected this message for good (bad address...).
    #[error("mail provider rejected the message: {0}")]
    Rejected(String),
    #[error("mail provider unavailable: {0}")]
    Unavailable(String),
}

#[async_trait]
pub trait Mailer: Send + Sync {
    async fn send(&self, email: &OutgoingEmail) -> Result<(), MailError>;
}
