//! The local runner's staff accounts: `examreg staff add <email> --role R`
//! makes one, `POST /office/session` signs one in (a token of the shape of a
//! Cognito access token, `security::office_token`). In AWS the office's
//! Cognito user pool holds the staff, and none of this runs.
//!
//! An account is one item `STAFF#<address>`: the address, the role, the
//! argon2id hash of the password. Adding an address that has an account
//! replaces its role and its password (that is how a local password is
//! reset, or a role changed); the answer says which it was.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use rand::RngCore;
use serde::{Deserialize, Serialize};

use crate::app::App;
use crate::domain::account::{Email, Password};
use crate::domain::staff::StaffRole;
use crate::error::{AppError, AppResult};
use crate::ports::store::{Condition, Item, WriteOp};
use crate::records::keys;
use crate::security::office_token::{SigningKey, TOKEN_LIFETIME_SECONDS};
use crate::services::accounts::{admit_attempt, settle_attempt, AccountError, AccountRefusal};

/// A staff account, as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StaffRecord {
    pub record_type: String,
    /// Stable, the token's `sub`.
    pub staff_id: String,
    pub email: String,
    pub role: String,
    pub password_hash: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What `staff add` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffAdded {
    pub email: String,
    pub role: StaffRole,
    /// The password, when it was generated (shown once, never stored).
    pub generated_password: Option<String>,
    /// Whether the address already had an account (its role and password
    /// were replaced).
    pub replaced: bool,
}

/// The answer of `POST /office/session`, as an OAuth 2 token endpoint's.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StaffSession {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds the token is valid.
    pub expires_in: i64,
}

/// Why `staff add` refused (English and French, one line each: it is a
/// command for the person running the runner).
#[derive(Debug, thiserror::Error)]
pub enum StaffAddError {
    #[error("« {0} » is not a valid email address / n'est pas une adresse électronique valide")]
    Email(String),
    #[error(
        "the password in EXAMREG_STAFF_PASSWORD is refused / le mot de passe est refusé : {0}"
    )]
    Password(String),
    #[error(transparent)]
    Failed(#[from] AppError),
}

impl From<crate::ports::StoreError> for StaffAddError {
    fn from(error: crate::ports::StoreError) -> Self {
        StaffAddError::Failed(error.into())
    }
}

/// A generated password: 120 random bits in 20 characters.
fn generated_password() -> String {
    let mut bytes = [0u8; 15];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Makes (or replaces) the staff account of `email` with `role`, its
/// password `password`, or a generated one.
pub async fn add(
    app: &App,
    email: &str,
    role: StaffRole,
    password: Option<&str>,
) -> Result<StaffAdded, StaffAddError> {
    let parsed = Email::parse(email).map_err(|_| StaffAddError::Email(email.trim().to_owned()))?;
    let generated = password.is_none().then(generated_password);
    let text = password.or(generated.as_deref()).unwrap_or_default();
    let password = Password::parse_for(text, Some(&parsed)).map_err(StaffAddError::Password)?;
    let hash = crate::security::hash_password(&password).await?;
    let key = keys::staff(parsed.canonical());
    let existing = app.store.get(&key).await?;
    let existing = existing
        .map(|item| item.to_value::<StaffRecord>())
        .transpose()?;
    let now = app.now();
    let record = StaffRecord {
        record_type: "staff".into(),
        staff_id: existing
            .as_ref()
            .map_or_else(|| uuid::Uuid::new_v4().to_string(), |e| e.staff_id.clone()),
        email: parsed.canonical().to_owned(),
        role: role.group().to_owned(),
        password_hash: hash,
        created_at: existing.as_ref().map_or(now, |e| e.created_at),
        updated_at: now,
    };
    let item = Item::from_value(key, &record)?;
    app.store
        .transact(vec![WriteOp::put(item, Condition::Always)])
        .await?;
    Ok(StaffAdded {
        email: record.email,
        role,
        generated_password: generated,
        replaced: existing.is_some(),
    })
}

/// Signs a staff member in: a token for a known address and its password,
/// else one refusal whatever was wrong (401 `invalid_credentials`, which
/// does not tell whether the address has an account). Attempts count on
/// the address's own login guard (`LOGIN#staff:<address>`): the lockout of
/// candidates' logins, ten failures in 15 minutes.
pub async fn open_session(
    app: &App,
    key: &SigningKey,
    email: &str,
    password: &str,
) -> Result<StaffSession, AccountError> {
    let Ok(email) = Email::parse(email) else {
        crate::security::verify_password(password, None).await;
        return Err(AccountRefusal::InvalidCredentials.into());
    };
    let guard = format!("staff:{}", email.canonical());
    let attempt = uuid::Uuid::new_v4().simple().to_string();
    admit_attempt(app, &guard, &attempt, app.now()).await?;
    let record = load(app, &email).await?;
    let ok = crate::security::verify_password(
        password,
        record.as_ref().map(|r| r.password_hash.as_str()),
    )
    .await;
    let record = record.filter(|_| ok);
    settle_attempt(app, &guard, &attempt, record.is_some(), app.now()).await?;
    let Some(record) = record else {
        return Err(AccountRefusal::InvalidCredentials.into());
    };
    let Some(role) = StaffRole::from_group(&record.role) else {
        return Err(
            AppError::Internal(format!("staff account with role {:?}", record.role)).into(),
        );
    };
    tracing::info!(staff = %record.email, %role, "staff signed in (local)");
    Ok(StaffSession {
        access_token: key.issue(&record.staff_id, &record.email, role, app.now()),
        token_type: "Bearer",
        expires_in: TOKEN_LIFETIME_SECONDS,
    })
}

async fn load(app: &App, email: &Email) -> AppResult<Option<StaffRecord>> {
    let item = app.store.get(&keys::staff(email.canonical())).await?;
    Ok(item.map(|item| item.to_value()).transpose()?)
}
