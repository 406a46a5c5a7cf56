//! Accounts (the notice's « compte Cyclades »): signup, activation within
//! 48 hours, login with lockout, password reset, one-time sign-in links, a
//! password change while signed in; one module per use case.
//!
//! Answers never tell whether an address has an account: the owner of the
//! address is told by email instead.

mod activation;
mod error;
#[cfg(feature = "passwords")]
mod login;
#[cfg(feature = "passwords")]
mod login_link;
#[cfg(feature = "passwords")]
mod new_password;
#[cfg(feature = "passwords")]
mod password;
mod rate;
mod reset;
#[cfg(feature = "passwords")]
mod signup;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::app::App;
#[cfg(feature = "passwords")]
use crate::domain::account::Password;
use crate::domain::account::{AccountStatus, Email};
use crate::domain::validation::FieldError;
use crate::error::AppResult;
use crate::ports::OutgoingEmail;
use crate::records::account;

pub use activation::{activate, resend_activation};
pub use error::{AccountError, AccountRefusal, AccountResult};
#[cfg(feature = "passwords")]
pub use login::login;
#[cfg(all(feature = "passwords", feature = "embedded"))]
pub(crate) use login::{admit_attempt, settle_attempt};
#[cfg(feature = "passwords")]
pub use login_link::{confirm_login_link, request_login_link};
#[cfg(feature = "passwords")]
pub use new_password::confirm_password_reset;
#[cfg(feature = "passwords")]
pub use password::change_password;
pub use rate::limit_source;
pub use reset::request_password_reset;
#[cfg(feature = "passwords")]
pub use signup::signup;

use crate::records::account::AccountRecord;

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    /// An email address (at most 254 characters, an unaccented part before « @ », a dotted domain).
    #[schema(format = Email, min_length = 3, max_length = 254, example = "zoe.martin@exemple.fr")]
    pub email: String,
    /// 12 to 128 characters (a signup also refuses common or guessable ones: 422 `weak_password`).
    #[schema(format = Password, min_length = 12, max_length = 128)]
    pub password: String,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailOnly {
    /// An email address (at most 254 characters, an unaccented part before « @ », a dotted domain).
    #[schema(format = Email, min_length = 3, max_length = 254, example = "zoe.martin@exemple.fr")]
    pub email: String,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenOnly {
    #[schema(min_length = 1)]
    pub token: String,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPassword {
    #[schema(min_length = 1)]
    pub token: String,
    /// 12 to 128 characters, neither common nor guessable (422 `weak_password`).
    #[schema(format = Password, min_length = 12, max_length = 128)]
    pub password: String,
}

/// `POST /auth/password`'s body.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    #[schema(format = Password, min_length = 1, max_length = 128)]
    pub current_password: String,
    /// 12 to 128 characters, neither common nor guessable (422 `weak_password`).
    #[schema(format = Password, min_length = 12, max_length = 128)]
    pub new_password: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LoginAnswer {
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MeAnswer {
    pub email: String,
    pub status: AccountStatus,
    pub created_at: DateTime<Utc>,
    /// `false` once SES reported the address undeliverable (a permanent
    /// bounce or a complaint): our mail to it is no longer sent.
    pub email_deliverable: bool,
}

/// `GET /me`: the caller's account (`email_deliverable`: see
/// `records::deliverability`).
pub fn me(account: &AccountRecord, email_deliverable: bool) -> MeAnswer {
    MeAnswer {
        email: account.email.clone(),
        status: account.status,
        created_at: account.created_at,
        email_deliverable,
    }
}

pub async fn load(app: &App, account_id: &str) -> AppResult<Option<AccountRecord>> {
    account::load(app.store.as_ref(), account_id).await
}

fn parse_email(text: &str) -> Result<Email, FieldError> {
    Email::parse(text).map_err(|e| FieldError::new("email", "invalid_email", e.to_string()))
}

#[cfg(feature = "passwords")]
fn parse_password(text: &str, email: Option<&Email>) -> Result<Password, FieldError> {
    Password::parse_for(text, email)
        .map_err(|why| FieldError::new("password", "weak_password", why))
}

/// The one-field refusal of a form with one field to parse.
fn refuse_field(error: FieldError) -> AccountRefusal {
    AccountRefusal::Fields(vec![error])
}

async fn send_or_log(app: &App, email: OutgoingEmail, what: &str) {
    if let Err(e) = app.mailer.send(&email).await {
        // The account stays usable: the candidate can ask for the link again.
        tracing::error!(error = %e, email_kind = what, "email not sent");
    }
}
