//! The candidate's account item, the email guard that makes one account per
//! address a property of the store, and the trace an unactivated account
//! leaves once deleted.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::domain::account::{
    self, AccountStatus, Email, ACTIVATION_PERIOD, LOGIN_LINK_PERIOD, RESET_PERIOD,
};
use crate::error::{AppError, AppResult};
use crate::ports::store::{Condition, Item, Store, WriteOp, GSI1_PK, GSI1_SK, TTL_ATTRIBUTE};
use crate::ports::Key;
use crate::records::keys;
use crate::records::retry::if_unchanged;

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
    /// The password hash of the signup that the current activation token
    /// belongs to: activating that token makes it the account's password
    /// (each signup's password travels with its own token, so a password
    /// the mailbox's holder did not choose never becomes usable).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activation_password_hash: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reset_token_hash: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reset_expires_at: Option<DateTime<Utc>>,
    /// The hash of the current one-time sign-in link's token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login_link_hash: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login_link_expires_at: Option<DateTime<Utc>>,
    pub version: u64,
}

impl AccountRecord {
    /// A new account awaiting activation for 48 hours from `now`.
    pub fn pending(
        account_id: &str,
        email: &Email,
        password_hash: String,
        activation_token_hash: String,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            record_type: "account".into(),
            account_id: account_id.to_owned(),
            email: email.as_typed().to_owned(),
            email_canonical: email.canonical().to_owned(),
            status: AccountStatus::PendingActivation,
            created_at: now,
            activation_deadline: now + ACTIVATION_PERIOD,
            activated_at: None,
            password_hash: password_hash.clone(),
            activation_token_hash: Some(activation_token_hash),
            activation_password_hash: Some(password_hash),
            reset_token_hash: None,
            reset_expires_at: None,
            login_link_hash: None,
            login_link_expires_at: None,
            version: 1,
        }
    }

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
                TTL_ATTRIBUTE.into(),
                json!((self.activation_deadline + chrono::Duration::days(1)).timestamp()),
            );
        }
        Ok(item)
    }

    /// The write of this record replacing `previous_version`.
    pub fn put_if_version(&self, previous_version: u64) -> AppResult<WriteOp> {
        Ok(WriteOp::put(
            self.to_item()?,
            if_unchanged(Some(previous_version)),
        ))
    }

    /// A check that the account is still at the version read (for writes
    /// that rely on it without changing it).
    pub fn unchanged(&self) -> WriteOp {
        WriteOp::Check {
            key: self.key(),
            condition: if_unchanged(Some(self.version)),
        }
    }

    /// The deletion of this account as read (the sweep, or a signup
    /// replacing an account past its deadline).
    pub fn delete_if_unchanged(&self) -> WriteOp {
        WriteOp::Delete {
            key: self.key(),
            condition: if_unchanged(Some(self.version)),
        }
    }

    /// Awaiting activation, past its deadline: as good as deleted.
    pub fn is_expired_pending(&self, now: DateTime<Utc>) -> bool {
        self.status == AccountStatus::PendingActivation
            && !account::activation_in_time(self.activation_deadline, now)
    }

    /// Whether `hash` is the hash of the account's current activation token.
    pub fn activation_token_is(&self, hash: &str) -> bool {
        self.activation_token_hash
            .as_deref()
            .is_some_and(|stored| crate::security::same_hash(stored, hash))
    }

    /// Whether `hash` is the hash of the account's current reset token.
    pub fn reset_token_is(&self, hash: &str) -> bool {
        self.reset_token_hash
            .as_deref()
            .is_some_and(|stored| crate::security::same_hash(stored, hash))
    }

    /// A new activation link: its token's hash replaces the old one's, which
    /// no longer activates anything. `password_hash` is a new signup's
    /// password, which travels with the new token; `None` (a link asked for
    /// again, without a password) keeps the latest signup's.
    pub fn replace_activation_token(&mut self, token_hash: String, password_hash: Option<String>) {
        self.activation_token_hash = Some(token_hash);
        if let Some(hash) = password_hash {
            // While pending, the account's password is the latest signup's:
            // a login with an older one says nothing of the account.
            self.password_hash = hash.clone();
            self.activation_password_hash = Some(hash);
        }
        self.version += 1;
    }

    /// Activated at `now` with the current token: the password that
    /// travelled with it becomes the account's, and the link is spent.
    pub fn activate(&mut self, now: DateTime<Utc>) {
        if let Some(hash) = self.activation_password_hash.take() {
            self.password_hash = hash;
        }
        self.mark_active(now);
        self.version += 1;
    }

    /// A new one-time sign-in link, valid for [`LOGIN_LINK_PERIOD`] from
    /// `now` (the previous one is void); answers when it expires.
    pub fn replace_login_link(&mut self, token_hash: String, now: DateTime<Utc>) -> DateTime<Utc> {
        let expires = now + LOGIN_LINK_PERIOD;
        self.login_link_hash = Some(token_hash);
        self.login_link_expires_at = Some(expires);
        self.version += 1;
        expires
    }

    /// Whether `hash` is the hash of the account's current sign-in link.
    pub fn login_link_is(&self, hash: &str) -> bool {
        self.login_link_hash
            .as_deref()
            .is_some_and(|stored| crate::security::same_hash(stored, hash))
    }

    /// The sign-in link is used: it opens nothing more.
    pub fn spend_login_link(&mut self) {
        self.login_link_hash = None;
        self.login_link_expires_at = None;
        self.version += 1;
    }

    /// A new password chosen while signed in (the current one verified).
    pub fn change_password(&mut self, password_hash: String) {
        self.password_hash = password_hash;
        self.version += 1;
    }

    /// A new password-reset link, valid for an hour from `now`; answers when
    /// it expires.
    pub fn replace_reset_token(&mut self, token_hash: String, now: DateTime<Utc>) -> DateTime<Utc> {
        let expires = now + RESET_PERIOD;
        self.reset_token_hash = Some(token_hash);
        self.reset_expires_at = Some(expires);
        self.version += 1;
        expires
    }

    /// A new password chosen through the reset link: the link is spent, and
    /// since it came by email the address is proven, as activation would.
    pub fn reset_password(&mut self, password_hash: String, now: DateTime<Utc>) {
        self.password_hash = password_hash;
        self.reset_token_hash = None;
        self.reset_expires_at = None;
        if self.status == AccountStatus::PendingActivation {
            self.mark_active(now);
        }
        self.version += 1;
    }

    fn mark_active(&mut self, now: DateTime<Utc>) {
        self.status = AccountStatus::Active;
        self.activated_at = Some(now);
        self.activation_token_hash = None;
        self.activation_password_hash = None;
    }
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

/// The email guard of `email`, naming the account that has the address.
pub fn email_guard(email: &Email, account_id: &str) -> Item {
    Item::new(keys::email_guard(email.canonical()))
        .with("record_type", "email_guard")
        .with("email", email.canonical())
        .with("account_id", account_id)
}

/// The write of a new account's email guard: the address must have none,
/// or, replacing an account past its deadline, still name that account.
pub fn put_email_guard(
    email: &Email,
    account_id: &str,
    replaced: Option<&AccountRecord>,
) -> WriteOp {
    let condition = match replaced {
        Some(old) => Condition::AttributeEquals("account_id".into(), json!(old.account_id)),
        None => Condition::NotExists,
    };
    WriteOp::put(email_guard(email, account_id), condition)
}

pub async fn load(store: &dyn Store, account_id: &str) -> AppResult<Option<AccountRecord>> {
    match store.get(&keys::account(account_id)).await? {
        Some(item) => Ok(Some(item.to_value()?)),
        None => Ok(None),
    }
}

/// The account that has `email`, through its email guard.
pub async fn load_by_email(store: &dyn Store, email: &Email) -> AppResult<Option<AccountRecord>> {
    let Some(guard) = store.get(&keys::email_guard(email.canonical())).await? else {
        return Ok(None);
    };
    let Some(account_id) = guard.str_attr("account_id") else {
        return Err(AppError::Internal("email guard without account id".into()));
    };
    load(store, account_id).await
}

/// [`load_by_email`] making the same two reads whether or not the address
/// has an account (for an unknown address, the second reads a key no
/// account ever has), for an answer whose time must not tell which.
pub async fn load_by_email_evenly(
    store: &dyn Store,
    email: &Email,
) -> AppResult<Option<AccountRecord>> {
    /// Never an account id (`security::new_account_id` makes hex digits).
    const NO_ACCOUNT: &str = "-";
    let guard = store.get(&keys::email_guard(email.canonical())).await?;
    let account_id = match &guard {
        Some(guard) => guard
            .str_attr("account_id")
            .ok_or_else(|| AppError::Internal("email guard without account id".into()))?,
        None => NO_ACCOUNT,
    };
    let account = load(store, account_id).await?;
    Ok(account.filter(|_| guard.is_some()))
}

/// What an activation token finds, in one read: the account, or else the
/// trace it left when the sweep deleted it unactivated.
pub enum ActivationTarget {
    Account(Box<AccountRecord>),
    Deleted(ExpiredAccount),
    Unknown,
}

pub async fn load_activation_target(
    store: &dyn Store,
    account_id: &str,
) -> AppResult<ActivationTarget> {
    let wanted = [keys::account(account_id), keys::expired_account(account_id)];
    let items = store.get_many(&wanted).await?;
    let found = |key: &Key| items.iter().find(|i| &i.key == key);
    if let Some(account) = found(&wanted[0]) {
        return Ok(ActivationTarget::Account(Box::new(account.to_value()?)));
    }
    match found(&wanted[1]) {
        Some(trace) => Ok(ActivationTarget::Deleted(trace.to_value()?)),
        None => Ok(ActivationTarget::Unknown),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn pending() -> AccountRecord {
        let email = Email::parse("Zoe@Exemple.fr").unwrap();
        AccountRecord::pending(
            "a1",
            &email,
            "pw".into(),
            "h1".into(),
            at("2021-10-14T10:00:00Z"),
        )
    }

    #[test]
    fn a_pending_account_is_indexed_for_the_sweep_at_its_deadline() {
        let account = pending();
        assert_eq!(account.email_canonical, "zoe@exemple.fr");
        assert_eq!(account.activation_deadline, at("2021-10-16T10:00:00Z"));
        let item = account.to_item().unwrap();
        assert_eq!(item.str_attr(GSI1_PK), Some(keys::DUE_ACTIVATION));
        assert_eq!(item.str_attr(GSI1_SK), Some("2021-10-16T10:00:00.000Z#a1"));
        let mut active = account;
        active.activate(at("2021-10-15T10:00:00Z"));
        assert_eq!(active.to_item().unwrap().str_attr(GSI1_PK), None);
    }

    #[test]
    fn each_change_is_one_version_and_spends_its_link() {
        let now = at("2021-10-14T11:00:00Z");
        let mut account = pending();
        account.replace_activation_token("h2".into(), None);
        assert_eq!(account.version, 2);
        assert!(account.activation_token_is("h2") && !account.activation_token_is("h1"));

        let expires = account.replace_reset_token("r1".into(), now);
        assert_eq!(expires, now + RESET_PERIOD);
        assert!(account.reset_token_is("r1"));

        // The reset link proves the address: the account is active too.
        account.reset_password("new".into(), now);
        assert_eq!(account.version, 4);
        assert_eq!(account.status, AccountStatus::Active);
        assert_eq!(account.activated_at, Some(now));
        assert!(!account.reset_token_is("r1") && !account.activation_token_is("h2"));
        assert_eq!(account.password_hash, "new");
    }

    #[test]
    fn activation_makes_the_password_of_its_own_token_the_account_s() {
        let mut account = pending();
        assert_eq!(account.activation_password_hash.as_deref(), Some("pw"));
        // A newer signup: its password travels with its token.
        account.replace_activation_token("h2".into(), Some("pw2".into()));
        // A link asked for again keeps the latest signup's password.
        account.replace_activation_token("h3".into(), None);
        assert_eq!(account.activation_password_hash.as_deref(), Some("pw2"));
        account.activate(at("2021-10-14T12:00:00Z"));
        assert_eq!(account.password_hash, "pw2");
        assert_eq!(account.activation_password_hash, None);
    }

    #[test]
    fn a_sign_in_link_lasts_fifteen_minutes_and_is_spent_once() {
        let now = at("2021-10-14T11:00:00Z");
        let mut account = pending();
        let expires = account.replace_login_link("l1".into(), now);
        assert_eq!(expires, now + LOGIN_LINK_PERIOD);
        assert_eq!(LOGIN_LINK_PERIOD, chrono::Duration::minutes(15));
        assert!(account.login_link_is("l1") && !account.login_link_is("l2"));
        account.spend_login_link();
        assert!(!account.login_link_is("l1"));
        assert_eq!(account.login_link_expires_at, None);
    }

    #[test]
    fn the_trace_of_a_deleted_account_keeps_only_its_link() {
        let account = pending();
        let Some(WriteOp::Put { item, .. }) = account.expired_trace().unwrap() else {
            panic!("a trace");
        };
        assert_eq!(item.key, keys::expired_account("a1"));
        assert_eq!(item.str_attr("activation_token_hash"), Some("h1"));
        assert!(item.str_attr("email").is_none());
    }
}
