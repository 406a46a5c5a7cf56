//! `POST /auth/password`: a new password while signed in (feature
//! `passwords`: it hashes the password).

use super::login::{admit_attempt, settle_attempt};
use super::{parse_password, send_or_log, AccountRefusal, AccountResult, PasswordChange};
use crate::app::App;
use crate::domain::account::Email;
use crate::domain::validation::FieldError;
use crate::emails::password_changed;
use crate::ports::StoreError;
use crate::records::candidate::delete_all;
use crate::records::retry;
use crate::records::session::session_keys;
use crate::security;
use crate::services::sessions::Caller;

/// The current password checked, the new one kept; every other session of
/// the account is revoked (the caller's stays) and the owner is emailed.
pub async fn change_password(
    app: &App,
    caller: &Caller,
    input: PasswordChange,
) -> AccountResult<()> {
    let mut account = caller.account.clone();
    let email = Email::parse(&account.email).ok();
    // The current password is a guess like a login's: counted by the same
    // lock-out (the address's login guard), so that a stolen session cannot
    // try passwords faster than the login form lets anyone.
    let guard = email
        .as_ref()
        .map_or(account.email.as_str(), Email::canonical)
        .to_owned();
    let attempt = uuid::Uuid::new_v4().simple().to_string();
    admit_attempt(app, &guard, &attempt, app.now()).await?;
    let current_ok =
        security::verify_password(&input.current_password, Some(&account.password_hash)).await;
    settle_attempt(app, &guard, &attempt, current_ok, app.now()).await?;
    if !current_ok {
        return Err(AccountRefusal::InvalidCredentials.into());
    }
    let password = parse_password(&input.new_password, email.as_ref()).map_err(|e| {
        AccountRefusal::Fields(vec![FieldError::new(
            "new_password",
            "weak_password",
            e.message,
        )])
    })?;
    let previous = account.version;
    account.change_password(security::hash_password(&password).await?);
    let store = app.store.as_ref();
    let others: Vec<_> = session_keys(store, &account.account_id)
        .await?
        .into_iter()
        .filter(|key| *key != caller.session_key)
        .collect();
    // The password first, conditioned on the account read: a change racing
    // another (or a reset) does not silently undo it.
    let write = store
        .transact(vec![account.put_if_version(previous)?])
        .await;
    if !retry::written(write)? {
        return Err(
            StoreError::Conflict("the account changed during the password change".into()).into(),
        );
    }
    delete_all(store, &others).await?;
    let mail = password_changed::email(&account.email, app.now(), &app.link("/forgot-password"));
    send_or_log(app, mail, "password_changed").await;
    Ok(())
}
