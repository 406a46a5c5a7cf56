//! Accounts (the notice's « compte Cyclades »): signup, activation within
//! 48 hours, login with lockout, logout, password reset.
//!
//! Answers never tell whether an address has an account: the owner of the
//! address is told by email instead.

// Signup, login and the password reset's confirmation take passwords: they
// are compiled with the `passwords` feature only (the signup and auth
// functions, the runner). In the other builds their private helpers are
// left unused, and the linker drops them.
#![cfg_attr(not(feature = "passwords"), allow(dead_code, unused_imports))]

use chrono::{DateTime, DurationRound, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::app::App;
use crate::calendar::to_paris_string;
#[cfg(feature = "passwords")]
use crate::domain::account::Password;
use crate::domain::account::{
    self, AccountStatus, Email, LoginGuard, ACTIVATION_PERIOD, RESET_PERIOD, SESSION_PERIOD,
};
use crate::domain::validation::FieldError;
use crate::error::{AppError, AppResult};
use crate::ports::store::{Condition, Item, Query, SortKeyCondition, WriteOp, GSI1_PK, GSI1_SK};
use crate::ports::{Key, StoreError};
use crate::security;
use crate::services::emails;
use crate::services::keys;
use crate::services::sessions::{Caller, SessionRecord};

/// How many times a read-modify-write is retried when another write won.
const MAX_RETRIES: usize = 5;

/// One candidate's account, as stored (attribute names read well in the console).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccountRecord {
    pub record_type: String,
    pub account_id: String,
    /// As typed, for display.
    pub email: String,
    /// Lower-cased: what identifies the account.
    pub email_canonical: String,
    pub status: AccountStatus,
    pub created_at: DateTime<Utc>,
    /// When an unactivated account is deleted (created_at + 48 h).
    pub activation_deadline: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activated_at: Option<DateTime<Utc>>,
    pub password_hash: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activation_token_hash: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reset_token_hash: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reset_expires_at: Option<DateTime<Utc>>,
    pub version: u64,
}

impl AccountRecord {
    pub fn key(&self) -> Key {
        keys::account(&self.account_id)
    }

    /// The item, with the due-work index entry while activation is pending
    /// (the sweep deletes the account at its deadline) and a TTL backstop.
    pub fn to_item(&self) -> AppResult<Item> {
        let mut item = Item::from_value(self.key(), self)?;
        if self.status == AccountStatus::PendingActivation {
            item.attrs
                .insert(GSI1_PK.into(), json!(keys::DUE_ACTIVATION));
            item.attrs.insert(
                GSI1_SK.into(),
                json!(format!(
                    "{}#{}",
                    keys::sortable(self.activation_deadline),
                    self.account_id
                )),
            );
            // DynamoDB TTL, a day after the sweep should have deleted it.
            item.attrs.insert(
                crate::ports::store::TTL_ATTRIBUTE.into(),
                json!((self.activation_deadline + chrono::Duration::days(1)).timestamp()),
            );
        }
        Ok(item)
    }

    /// The write of this record replacing `previous_version`.
    fn put_if_version(&self, previous_version: u64) -> AppResult<WriteOp> {
        Ok(WriteOp::put(
            self.to_item()?,
            Condition::AttributeEquals("version".into(), json!(previous_version)),
        ))
    }

    fn is_expired_pending(&self, now: DateTime<Utc>) -> bool {
        self.status == AccountStatus::PendingActivation
            && !account::activation_in_time(self.activation_deadline, now)
    }
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    pub email: String,
    pub password: String,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailOnly {
    pub email: String,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenOnly {
    pub token: String,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPassword {
    pub token: String,
    pub password: String,
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
}

fn parse_email(text: &str) -> Result<Email, FieldError> {
    Email::parse(text).map_err(|e| FieldError::new("email", "invalid_email", e.to_string()))
}

#[cfg(feature = "passwords")]
fn parse_password(text: &str, email: Option<&Email>) -> Result<Password, FieldError> {
    Password::parse_for(text, email)
        .map_err(|why| FieldError::new("password", "weak_password", why))
}

/// 422 whose top-level code is the first field's (`invalid_email`, `weak_password`).
fn refuse_fields(errors: Vec<FieldError>) -> AppError {
    let code = match errors.first().map(|e| e.code.as_str()) {
        Some("invalid_email") => "invalid_email",
        _ => "weak_password",
    };
    let detail = errors
        .iter()
        .map(|e| e.message.clone())
        .collect::<Vec<_>>()
        .join(" ");
    AppError::refused(422, code, "Informations à corriger", detail).with_errors(errors)
}

async fn send_or_log(app: &App, email: crate::ports::OutgoingEmail, what: &str) {
    if let Err(e) = app.mailer.send(&email).await {
        // The account stays usable: the candidate can ask for the link again.
        tracing::error!(error = %e, email_kind = what, "email not sent");
    }
}

async fn load_by_email(app: &App, email: &Email) -> AppResult<Option<AccountRecord>> {
    let Some(guard) = app.store.get(&keys::email_guard(email.canonical())).await? else {
        return Ok(None);
    };
    let Some(account_id) = guard.str_attr("account_id") else {
        return Err(AppError::Internal("email guard without account id".into()));
    };
    load(app, account_id).await
}

pub async fn load(app: &App, account_id: &str) -> AppResult<Option<AccountRecord>> {
    match app.store.get(&keys::account(account_id)).await? {
        Some(item) => Ok(Some(item.to_value()?)),
        None => Ok(None),
    }
}

fn activation_email(
    app: &App,
    account: &AccountRecord,
    token: &str,
) -> crate::ports::OutgoingEmail {
    emails::activation(
        &account.email,
        &app.link(&format!("/activate?token={token}")),
        &to_paris_string(account.activation_deadline),
    )
}

/// `POST /auth/signup`: always the same 202 once the input is valid.
#[cfg(feature = "passwords")]
pub async fn signup(app: &App, input: Credentials) -> AppResult<()> {
    let email = parse_email(&input.email);
    let password = parse_password(&input.password, email.as_ref().ok());
    let (email, password) = match (email, password) {
        (Ok(e), Ok(p)) => (e, p),
        (e, p) => {
            return Err(refuse_fields(
                [e.err(), p.err()].into_iter().flatten().collect(),
            ))
        }
    };
    // Hash first, whatever happens next: a taken address costs the same time.
    let password_hash = security::hash_password(&password).await?;
    let now = app.now();

    let existing = load_by_email(app, &email).await?;
    if let Some(account) = &existing {
        if !account.is_expired_pending(now) {
            // The owner is told by email (at most a few times an hour, so that
            // nobody can flood a mailbox through this form); the answer is
            // the same as for a new account.
            if within_rate(app, "signup", &email, now).await? {
                tell_owner(app, account.clone()).await?;
            }
            return Ok(());
        }
    }

    let account_id = security::new_account_id();
    let (token, token_hash) = security::new_token(&account_id);
    let account = AccountRecord {
        record_type: "account".into(),
        account_id: account_id.clone(),
        email: email.as_typed().to_owned(),
        email_canonical: email.canonical().to_owned(),
        status: AccountStatus::PendingActivation,
        created_at: now,
        activation_deadline: now + ACTIVATION_PERIOD,
        activated_at: None,
        password_hash,
        activation_token_hash: Some(token_hash),
        reset_token_hash: None,
        reset_expires_at: None,
        version: 1,
    };
    let guard = Item::new(keys::email_guard(email.canonical()))
        .with("record_type", "email_guard")
        .with("email", email.canonical())
        .with("account_id", account_id.as_str());
    let mut ops = vec![WriteOp::put(account.to_item()?, Condition::NotExists)];
    match &existing {
        // An unactivated account past its 48 hours: it is gone, replace it.
        Some(old) => {
            ops.push(WriteOp::put(
                guard,
                Condition::AttributeEquals("account_id".into(), json!(old.account_id)),
            ));
            ops.push(WriteOp::Delete {
                key: old.key(),
                condition: Condition::AttributeEquals("version".into(), json!(old.version)),
            });
            ops.extend(old.expired_trace()?);
        }
        None => ops.push(WriteOp::put(guard, Condition::NotExists)),
    }
    match app.store.transact(ops).await {
        Ok(()) => {}
        // Another signup for this address won the race: it made the account.
        Err(StoreError::ConditionFailed { .. } | StoreError::Conflict(_)) => return Ok(()),
        Err(e) => return Err(e.into()),
    }
    if existing.is_some() {
        delete_candidate_data(
            app,
            &existing
                .as_ref()
                .map(|a| a.account_id.clone())
                .unwrap_or_default(),
        )
        .await?;
    }
    tracing::info!(account_id = %account_id, "account created");
    send_or_log(app, activation_email(app, &account, &token), "activation").await;
    Ok(())
}

/// A signup for an address that has an account: an active account's owner
/// gets the login and reset links; a pending one's a fresh activation link
/// (they most likely lost the first).
/// A signup for a taken address. An active account's owner is told so; an
/// account still awaiting activation gets a new link (the old one void) and
/// keeps its password: a signup never changes the password of an existing
/// account, or whoever knows an address could set the password its owner
/// then activates. The email says so, and how to choose a new one.
async fn tell_owner(app: &App, account: AccountRecord) -> AppResult<()> {
    match account.status {
        AccountStatus::Active => {
            let mail = emails::account_already_exists(
                &account.email,
                &app.link("/login"),
                &app.link("/forgot-password"),
            );
            send_or_log(app, mail, "account_exists").await;
            Ok(())
        }
        AccountStatus::PendingActivation => {
            send_new_activation_link(app, account, LinkEmail::PendingAgain).await
        }
    }
}

/// Which email carries a new activation link.
enum LinkEmail {
    /// Asked for with « renvoyer le lien ».
    Resent,
    /// A signup again for an account awaiting activation.
    PendingAgain,
}

/// Replaces the activation token (the old link is void) and emails the new one.
async fn send_new_activation_link(
    app: &App,
    mut account: AccountRecord,
    email: LinkEmail,
) -> AppResult<()> {
    let (token, hash) = security::new_token(&account.account_id);
    let previous = account.version;
    account.activation_token_hash = Some(hash);
    account.version += 1;
    match app
        .store
        .transact(vec![account.put_if_version(previous)?])
        .await
    {
        Ok(()) => {
            let mail = match email {
                LinkEmail::Resent => activation_email(app, &account, &token),
                LinkEmail::PendingAgain => emails::activation_of_pending_account(
                    &account.email,
                    &app.link(&format!("/activate?token={token}")),
                    &to_paris_string(account.activation_deadline),
                    &app.link("/forgot-password"),
                ),
            };
            send_or_log(app, mail, "activation").await;
            Ok(())
        }
        // Activated or changed meanwhile: the other request's outcome stands.
        Err(StoreError::ConditionFailed { .. } | StoreError::Conflict(_)) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// `POST /auth/resend-activation`: a new link, the old one void; 3 an hour.
pub async fn resend_activation(app: &App, input: EmailOnly) -> AppResult<()> {
    let email = parse_email(&input.email).map_err(|e| refuse_fields(vec![e]))?;
    let now = app.now();
    consume_rate(app, "resend", &email, now).await?;

    let Some(account) = load_by_email(app, &email).await? else {
        return Ok(());
    };
    match account.status {
        AccountStatus::Active => {
            let mail = emails::already_active(
                &account.email,
                &app.link("/login"),
                &app.link("/forgot-password"),
            );
            send_or_log(app, mail, "already_active").await;
        }
        AccountStatus::PendingActivation if account.is_expired_pending(now) => {
            // Deleted at its deadline: the candidate must sign up again.
        }
        AccountStatus::PendingActivation => {
            send_new_activation_link(app, account, LinkEmail::Resent).await?
        }
    }
    Ok(())
}

/// [`consume_rate`] for a form whose answer must not change past the limit:
/// `false` over the limit (or when the counter is too busy to tell), an
/// error only when the store fails, so that a throttled store answers 503
/// rather than a 202 claiming an email was sent.
async fn within_rate(app: &App, kind: &str, email: &Email, now: DateTime<Utc>) -> AppResult<bool> {
    match consume_rate(app, kind, email, now).await {
        Ok(()) => Ok(true),
        Err(AppError::Refused { .. } | AppError::Store(StoreError::Conflict(_))) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Counts one request against a per-address hourly limit.
async fn consume_rate(app: &App, kind: &str, email: &Email, now: DateTime<Utc>) -> AppResult<()> {
    let key = keys::rate(kind, email.canonical());
    for _ in 0..MAX_RETRIES {
        let current = app.store.get(&key).await?;
        let (sends, version) = match &current {
            Some(item) => (
                item.attrs
                    .get("sent_at")
                    .cloned()
                    .and_then(|v| serde_json::from_value::<Vec<DateTime<Utc>>>(v).ok())
                    .unwrap_or_default(),
                item.attrs
                    .get("version")
                    .and_then(|v| v.as_u64())
                    .unwrap_or(0),
            ),
            None => (Vec::new(), 0),
        };
        let sends = account::resend_allowed(&sends, now).map_err(|wait| {
            AppError::refused(
                429,
                "too_many_requests",
                "Trop de demandes",
                format!(
                    "Vous avez demandé trop de liens en une heure. Réessayez dans {}.",
                    minutes_fr(wait.div_ceil(60))
                ),
            )
            .with_retry_after(wait)
        })?;
        let item = Item::new(key.clone())
            .with("record_type", "rate_limit")
            .with("sent_at", json!(sends))
            .with("version", version + 1)
            .with(
                crate::ports::store::TTL_ATTRIBUTE,
                (now + chrono::Duration::hours(2)).timestamp(),
            );
        let condition = match current {
            Some(_) => Condition::AttributeEquals("version".into(), json!(version)),
            None => Condition::NotExists,
        };
        match app
            .store
            .transact(vec![WriteOp::put(item, condition)])
            .await
        {
            Ok(()) => return Ok(()),
            Err(StoreError::ConditionFailed { .. } | StoreError::Conflict(_)) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(AppError::Store(StoreError::Conflict(
        "rate counter busy".into(),
    )))
}

/// The trace an unactivated account leaves when the sweep deletes it: no
/// personal data, only what answers its link with « expired ».
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExpiredAccount {
    pub record_type: String,
    pub activation_token_hash: String,
    pub activation_deadline: DateTime<Utc>,
    pub expires_at_epoch: i64,
}

/// How long the trace of a deleted account answers its link.
pub const EXPIRED_TRACE_DAYS: i64 = 30;

impl AccountRecord {
    /// The write that leaves the trace of this account, if it had a link.
    pub fn expired_trace(&self) -> AppResult<Option<WriteOp>> {
        let Some(hash) = &self.activation_token_hash else {
            return Ok(None);
        };
        let trace = ExpiredAccount {
            record_type: "expired_account".into(),
            activation_token_hash: hash.clone(),
            activation_deadline: self.activation_deadline,
            expires_at_epoch: (self.activation_deadline
                + chrono::Duration::days(EXPIRED_TRACE_DAYS))
            .timestamp(),
        };
        let item = Item::from_value(keys::expired_account(&self.account_id), &trace)?;
        Ok(Some(WriteOp::put(item, Condition::Always)))
    }
}

fn activation_expired(deadline: DateTime<Utc>) -> AppError {
    AppError::refused(
        410,
        "activation_expired",
        "Lien d'activation expiré",
        format!(
            "Le délai de 48 heures pour activer votre compte a expiré le {}. Votre compte a été ou va être supprimé : créez-en un nouveau avec la même adresse.",
            to_paris_string(deadline)
        ),
    )
}

/// `POST /auth/activate`.
pub async fn activate(app: &App, input: TokenOnly) -> AppResult<AccountStatus> {
    let (account_id, hash) =
        security::parse_token(&input.token).ok_or_else(invalid_activation_token)?;
    // Another write to the account (a failed login counted, a new link asked
    // for) may land between the read and the write: read and decide again.
    for _ in 0..MAX_RETRIES {
        let mut account = pending_account_for(app, &account_id, &hash).await?;
        let now = app.now();
        if !account::activation_in_time(account.activation_deadline, now) {
            return Err(activation_expired(account.activation_deadline));
        }
        let previous = account.version;
        account.status = AccountStatus::Active;
        account.activated_at = Some(now);
        account.activation_token_hash = None;
        account.version += 1;
        match app
            .store
            .transact(vec![account.put_if_version(previous)?])
            .await
        {
            Ok(()) => return Ok(AccountStatus::Active),
            Err(StoreError::ConditionFailed { .. } | StoreError::Conflict(_)) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(AppError::Store(StoreError::Conflict(
        "the account kept changing during its activation".into(),
    )))
}

/// The pending account that `hash` (an activation token's) activates, or
/// why not: `invalid_token` (unknown, used, replaced by a newer link, or the
/// account is already active), `activation_expired` (also once the sweep has
/// deleted the account, through its trace). One read.
async fn pending_account_for(app: &App, account_id: &str, hash: &str) -> AppResult<AccountRecord> {
    let wanted = [keys::account(account_id), keys::expired_account(account_id)];
    let items = app.store.get_many(&wanted).await?;
    let found = |key: &Key| items.iter().find(|i| &i.key == key);
    let Some(account_item) = found(&wanted[0]) else {
        let tombstone = found(&wanted[1]).ok_or_else(invalid_activation_token)?;
        let expired: ExpiredAccount = tombstone.to_value()?;
        if !security::same_hash(&expired.activation_token_hash, hash) {
            return Err(invalid_activation_token());
        }
        return Err(activation_expired(expired.activation_deadline));
    };
    let account: AccountRecord = account_item.to_value()?;
    let matches = account
        .activation_token_hash
        .as_deref()
        .is_some_and(|stored| security::same_hash(stored, hash));
    if !matches || account.status != AccountStatus::PendingActivation {
        return Err(invalid_activation_token());
    }
    Ok(account)
}

fn invalid_activation_token() -> AppError {
    AppError::not_found(
        "invalid_token",
        "Ce lien d'activation n'est pas valide ou a déjà servi. Si votre compte n'est pas encore activé, demandez un nouveau lien.",
    )
}

/// `POST /auth/login`.
#[cfg(feature = "passwords")]
pub async fn login(app: &App, input: Credentials) -> AppResult<LoginAnswer> {
    let invalid = || {
        AppError::refused(
            401,
            "invalid_credentials",
            "Identifiants incorrects",
            "L'adresse électronique ou le mot de passe est incorrect.",
        )
    };
    let Ok(email) = Email::parse(&input.email) else {
        security::verify_password(&input.password, None).await;
        return Err(invalid());
    };
    // Counted before the password is checked, account or not: a burst of
    // parallel guesses gets no more tries than guesses one after the other,
    // and the lockout says nothing of who has an account.
    let attempt = uuid::Uuid::new_v4().simple().to_string();
    admit_attempt(app, &email, &attempt, app.now()).await?;
    let account = load_by_email(app, &email).await?;
    let ok = security::verify_password(
        &input.password,
        account.as_ref().map(|a| a.password_hash.as_str()),
    )
    .await;
    let account = account.filter(|_| ok);
    settle_attempt(app, &email, &attempt, account.is_some(), app.now()).await?;
    let Some(account) = account else {
        return Err(invalid());
    };
    if account.status != AccountStatus::Active {
        return Err(AppError::refused(
            403,
            "account_not_activated",
            "Compte non activé",
            "Votre compte n'est pas encore activé : ouvrez le lien reçu par courriel, ou demandez-en un nouveau.",
        ));
    }
    open_session(app, account, app.now()).await
}

/// Writes to an address's login guard contend only with its other attempts
/// (at most [`account::MAX_FAILED_LOGINS`] in flight): a few rounds settle them.
const GUARD_ROUNDS: usize = 20;

/// Admits one login attempt for `email`, or answers 429 while it is locked
/// or its allowance is taken by attempts in flight.
async fn admit_attempt(
    app: &App,
    email: &Email,
    attempt: &str,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let admitted = change_login_guard(app, email, now, |guard| guard.admit(attempt, now)).await?;
    match admitted {
        Some(Ok(())) => Ok(()),
        Some(Err(until)) => Err(too_many_attempts(until, now)),
        // The item kept changing under us: a burst is on; refuse this one.
        None => Err(too_many_attempts(now + chrono::Duration::seconds(1), now)),
    }
}

/// Records how an admitted attempt ended.
async fn settle_attempt(
    app: &App,
    email: &Email,
    attempt: &str,
    succeeded: bool,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let settled = change_login_guard(app, email, now, |guard| {
        if succeeded {
            guard.succeed(attempt, now);
        } else {
            guard.fail(attempt, now);
        }
    })
    .await?;
    if settled.is_none() {
        // Its slot frees itself after `ATTEMPT_IN_FLIGHT`.
        tracing::warn!("login attempt left unsettled after contention");
    }
    Ok(())
}

/// Applies `change` to the address's login guard under its optimistic lock,
/// reading again after each lost race; `None` if every round was lost.
async fn change_login_guard<T>(
    app: &App,
    email: &Email,
    now: DateTime<Utc>,
    mut change: impl FnMut(&mut LoginGuard) -> T,
) -> AppResult<Option<T>> {
    let key = keys::login_guard(email.canonical());
    for _ in 0..GUARD_ROUNDS {
        let current = app.store.get(&key).await?;
        let (mut guard, version) = match &current {
            Some(item) => (
                item.to_value::<LoginGuard>()?,
                item.attrs
                    .get("version")
                    .and_then(Value::as_u64)
                    .unwrap_or(0),
            ),
            None => (LoginGuard::default(), 0),
        };
        let before = guard.clone();
        let answer = change(&mut guard);
        let condition = match current {
            Some(_) => Condition::AttributeEquals("version".into(), json!(version)),
            None => Condition::NotExists,
        };
        let op = if guard == before {
            return Ok(Some(answer));
        } else if guard.is_clear() {
            WriteOp::Delete {
                key: key.clone(),
                condition,
            }
        } else {
            let mut item = Item::from_value(key.clone(), &guard)?
                .with("record_type", "login_guard")
                .with("version", version + 1);
            let forget_at = now + account::LOCKOUT_WINDOW + account::LOCKOUT_PERIOD;
            item.attrs.insert(
                crate::ports::store::TTL_ATTRIBUTE.into(),
                json!(forget_at.timestamp()),
            );
            WriteOp::put(item, condition)
        };
        match app.store.transact(vec![op]).await {
            Ok(()) => return Ok(Some(answer)),
            Err(StoreError::ConditionFailed { .. } | StoreError::Conflict(_)) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Ok(None)
}

/// « 1 minute », « 12 minutes ».
fn minutes_fr(minutes: u64) -> String {
    if minutes <= 1 {
        "1 minute".into()
    } else {
        format!("{minutes} minutes")
    }
}

fn too_many_attempts(until: DateTime<Utc>, now: DateTime<Utc>) -> AppError {
    let wait = u64::try_from((until - now).num_seconds().max(1)).unwrap_or(1);
    let detail = if until - now > chrono::Duration::minutes(1) {
        // Said to the minute, rounded up: trying again at that minute works.
        let minute = chrono::Duration::minutes(1);
        let at = match until.duration_trunc(minute) {
            Ok(start) if start < until => start + minute,
            _ => until,
        };
        format!(
            "Trop de tentatives de connexion ont échoué. Par sécurité, réessayez à partir du {}.",
            to_paris_string(at)
        )
    } else {
        "Trop de tentatives de connexion en même temps pour cette adresse : réessayez dans quelques secondes.".to_owned()
    };
    AppError::refused(429, "too_many_attempts", "Trop de tentatives", detail).with_retry_after(wait)
}

/// Opens a session for an account whose password was just verified, on
/// condition that the account has not changed since it was read: a password
/// reset racing this login wins, and the old password opens nothing.
async fn open_session(
    app: &App,
    account: AccountRecord,
    now: DateTime<Utc>,
) -> AppResult<LoginAnswer> {
    let (token, hash) = security::new_token(&account.account_id);
    let expires_at = now + SESSION_PERIOD;
    let session = SessionRecord {
        record_type: "session".into(),
        account_id: account.account_id.clone(),
        created_at: now,
        expires_at,
        expires_at_epoch: expires_at.timestamp(),
    };
    let session = Item::from_value(keys::session(&account.account_id, &hash), &session)?;
    let unchanged = WriteOp::Check {
        key: account.key(),
        condition: Condition::AttributeEquals("version".into(), json!(account.version)),
    };
    match app
        .store
        .transact(vec![WriteOp::put(session, Condition::NotExists), unchanged])
        .await
    {
        Ok(()) => Ok(LoginAnswer { token, expires_at }),
        Err(StoreError::ConditionFailed { .. } | StoreError::Conflict(_)) => {
            Err(AppError::refused(
                401,
                "invalid_credentials",
                "Identifiants incorrects",
                "L'adresse électronique ou le mot de passe est incorrect.",
            ))
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /auth/logout`: the token is void at once.
pub async fn logout(app: &App, caller: &Caller) -> AppResult<()> {
    app.store
        .transact(vec![WriteOp::delete(caller.session_key.clone())])
        .await?;
    Ok(())
}

pub fn me(caller: &Caller) -> MeAnswer {
    MeAnswer {
        email: caller.account.email.clone(),
        status: caller.account.status,
        created_at: caller.account.created_at,
    }
}

/// `POST /auth/password-reset`: always 202; the owner gets the link.
pub async fn request_password_reset(app: &App, input: EmailOnly) -> AppResult<()> {
    let email = parse_email(&input.email).map_err(|e| refuse_fields(vec![e]))?;
    let now = app.now();
    // Past the hourly limit, nothing more is sent, but the answer is the same.
    if !within_rate(app, "reset", &email, now).await? {
        return Ok(());
    }
    let Some(mut account) = load_by_email(app, &email).await? else {
        let mail = emails::password_reset_unknown(email.as_typed(), &app.link("/signup"));
        send_or_log(app, mail, "reset_unknown").await;
        return Ok(());
    };
    let (token, hash) = security::new_token(&account.account_id);
    let previous = account.version;
    let expires = now + RESET_PERIOD;
    account.reset_token_hash = Some(hash);
    account.reset_expires_at = Some(expires);
    account.version += 1;
    match app
        .store
        .transact(vec![account.put_if_version(previous)?])
        .await
    {
        Ok(()) => {
            let mail = emails::password_reset(
                &account.email,
                &app.link(&format!("/reset-password?token={token}")),
                &to_paris_string(expires),
            );
            send_or_log(app, mail, "password_reset").await;
        }
        Err(StoreError::ConditionFailed { .. } | StoreError::Conflict(_)) => {}
        Err(e) => return Err(e.into()),
    }
    Ok(())
}

/// `POST /auth/password-reset/confirm`: a new password, every session revoked.
#[cfg(feature = "passwords")]
pub async fn confirm_password_reset(app: &App, input: NewPassword) -> AppResult<()> {
    let invalid = || {
        AppError::not_found(
            "invalid_token",
            "Ce lien de réinitialisation n'est pas valide ou a déjà servi. Demandez-en un nouveau.",
        )
    };
    let (account_id, hash) = security::parse_token(&input.token).ok_or_else(invalid)?;
    let mut account = load(app, &account_id).await?.ok_or_else(invalid)?;
    let matches = account
        .reset_token_hash
        .as_deref()
        .is_some_and(|stored| security::same_hash(stored, &hash));
    if !matches {
        return Err(invalid());
    }
    let now = app.now();
    if account.reset_expires_at.is_none_or(|at| at <= now) {
        return Err(AppError::refused(
            410,
            "token_expired",
            "Lien expiré",
            "Ce lien de réinitialisation a expiré (il est valable une heure). Demandez-en un nouveau.",
        ));
    }
    let email = Email::parse(&account.email).ok();
    let password =
        parse_password(&input.password, email.as_ref()).map_err(|e| refuse_fields(vec![e]))?;
    let previous = account.version;
    account.password_hash = security::hash_password(&password).await?;
    account.reset_token_hash = None;
    account.reset_expires_at = None;
    // The link came by email: the address is proven, as activation would.
    if account.status == AccountStatus::PendingActivation {
        account.status = AccountStatus::Active;
        account.activated_at = Some(now);
        account.activation_token_hash = None;
    }
    account.version += 1;

    let sessions = session_keys(app, &account_id).await?;
    // The mailbox is proven: a lockout from wrong guesses ends too.
    let unlock = WriteOp::Delete {
        key: keys::login_guard(&account.email_canonical),
        condition: Condition::Always,
    };
    let mut ops = vec![account.put_if_version(previous)?, unlock];
    let first_batch = sessions
        .len()
        .min(crate::ports::store::MAX_TRANSACTION_OPS - 2);
    ops.extend(sessions[..first_batch].iter().cloned().map(WriteOp::delete));
    match app.store.transact(ops).await {
        Ok(()) => {}
        Err(StoreError::ConditionFailed { .. }) => return Err(invalid()),
        Err(e) => return Err(e.into()),
    }
    for chunk in sessions[first_batch..].chunks(crate::ports::store::MAX_TRANSACTION_OPS) {
        app.store
            .transact(chunk.iter().cloned().map(WriteOp::delete).collect())
            .await?;
    }
    Ok(())
}

async fn session_keys(app: &App, account_id: &str) -> AppResult<Vec<Key>> {
    partition_keys(app, account_id, keys::SESSION_PREFIX).await
}

/// Every key of the candidate's partition whose sort key starts with `prefix`.
pub async fn partition_keys(app: &App, account_id: &str, prefix: &str) -> AppResult<Vec<Key>> {
    let mut found = Vec::new();
    let mut cursor = None;
    loop {
        // DynamoDB refuses an empty `begins_with`: no prefix is no condition.
        let sort_key = if prefix.is_empty() {
            SortKeyCondition::Any
        } else {
            SortKeyCondition::BeginsWith(prefix.to_owned())
        };
        let query = Query::table(keys::candidate_pk(account_id), sort_key)
            .limit(500)
            .after(cursor);
        let page = app.store.query(&query).await?;
        found.extend(page.items.into_iter().map(|i| i.key));
        cursor = page.cursor;
        if cursor.is_none() {
            return Ok(found);
        }
    }
}

/// Deletes every item of a candidate's partition (and nothing else). Used
/// when an unactivated account is removed; the documents go with a prefix.
pub async fn delete_candidate_data(app: &App, account_id: &str) -> AppResult<()> {
    let keys = partition_keys(app, account_id, "").await?;
    for chunk in keys.chunks(crate::ports::store::MAX_TRANSACTION_OPS) {
        app.store
            .transact(chunk.iter().cloned().map(WriteOp::delete).collect())
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lockout_names_the_first_minute_a_new_try_works() {
        let now: DateTime<Utc> = "2021-10-14T08:00:40Z".parse().unwrap();
        let detail = |until: &str| match too_many_attempts(until.parse().unwrap(), now) {
            AppError::Refused { detail, .. } => detail,
            other => panic!("{other:?}"),
        };
        // 10:15:40 in Paris: trying at 10 h 15 would still be refused.
        assert!(detail("2021-10-14T08:15:40Z").contains("à 10 h 16"));
        assert!(detail("2021-10-14T08:15:00Z").contains("à 10 h 15"));
    }
}
