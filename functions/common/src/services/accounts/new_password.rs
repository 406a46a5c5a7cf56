//! `POST /auth/password-reset/confirm`: a new password from a reset link
//! (feature `passwords`: it hashes the password).

use super::{
    parse_password, refuse_field, send_or_log, AccountRefusal, AccountResult, NewPassword,
};
use crate::app::App;
use crate::domain::account::{self as rules, Email, LinkRefusal};
use crate::emails::password_changed;
use crate::ports::store::{WriteOp, MAX_TRANSACTION_OPS};
use crate::ports::StoreError;
use crate::records::account;
use crate::records::candidate::delete_all;
use crate::records::deliverability;
use crate::records::login_guard;
use crate::records::session::session_keys;
use crate::security;

/// A new password, every session revoked.
pub async fn confirm_password_reset(app: &App, input: NewPassword) -> AccountResult<()> {
    let invalid = AccountRefusal::InvalidResetLink;
    let store = app.store.as_ref();
    let (account_id, hash) = security::parse_token(&input.token).ok_or(invalid.clone())?;
    let mut account = account::load(store, &account_id)
        .await?
        .ok_or(invalid.clone())?;
    let now = app.now();
    rules::password_reset(account.reset_token_is(&hash), account.reset_expires_at, now).map_err(
        |why| match why {
            LinkRefusal::Invalid => AccountRefusal::InvalidResetLink,
            LinkRefusal::Expired => AccountRefusal::ResetLinkExpired,
        },
    )?;
    let email = Email::parse(&account.email).ok();
    let password = parse_password(&input.password, email.as_ref()).map_err(refuse_field)?;
    let previous = account.version;
    account.reset_password(security::hash_password(&password).await?, now);

    let sessions = session_keys(store, &account_id).await?;
    // The mailbox is proven: a lockout from wrong guesses ends too.
    let mut ops = vec![
        account.put_if_version(previous)?,
        login_guard::forget(&account.email_canonical),
        // The link reached this mailbox: our mail to it may go again.
        deliverability::forget(&account.email_canonical),
    ];
    let first_batch = sessions.len().min(MAX_TRANSACTION_OPS - ops.len());
    ops.extend(sessions[..first_batch].iter().cloned().map(WriteOp::delete));
    match store.transact(ops).await {
        Ok(()) => {}
        Err(StoreError::ConditionFailed { .. }) => return Err(invalid.into()),
        Err(e) => return Err(e.into()),
    }
    delete_all(store, &sessions[first_batch..]).await?;
    let mail = password_changed::email(&account.email, now, &app.link("/forgot-password"));
    send_or_log(app, mail, "password_changed").await;
    Ok(())
}
