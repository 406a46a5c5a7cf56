//! `POST /auth/password-reset`: the link to choose a new password (see
//! `new_password.rs` for its use).

use super::rate::within_rate;
use super::{parse_email, refuse_field, send_or_log, AccountResult, EmailOnly};
use crate::app::App;
use crate::emails::{password_reset, password_reset_unknown};
use crate::records::account;
use crate::records::rate_limit::RateKind;
use crate::records::retry;
use crate::security;

/// Always 202; the owner of the address gets the link (or is told that it
/// has no account).
pub async fn request_password_reset(app: &App, input: EmailOnly) -> AccountResult<()> {
    let email = parse_email(&input.email).map_err(refuse_field)?;
    let now = app.now();
    // Past the hourly limit, nothing more is sent, but the answer is the same.
    if !within_rate(app, RateKind::Reset, &email, now).await? {
        return Ok(());
    }
    let Some(mut account) = account::load_by_email(app.store.as_ref(), &email).await? else {
        let mail = password_reset_unknown::email(email.as_typed(), &app.link("/signup"));
        send_or_log(app, mail, "reset_unknown").await;
        return Ok(());
    };
    let (token, hash) = security::new_token(&account.account_id);
    let previous = account.version;
    let expires = account.replace_reset_token(hash, now);
    let write = app
        .store
        .transact(vec![account.put_if_version(previous)?])
        .await;
    if retry::written(write)? {
        let link = app.link(&format!("/reset-password?token={token}"));
        let mail = password_reset::email(&account.email, &link, expires);
        send_or_log(app, mail, "password_reset").await;
    }
    Ok(())
}
