//! `POST /auth/login-link` and `/auth/login-link/confirm`: a one-time
//! sign-in link by email. It never goes through the login guard, so that
//! wrong passwords typed by someone else cannot keep the owner of an
//! address out: whoever holds the mailbox can always sign in.

use super::login::open_session;
use super::rate::consume_rate;
use super::{parse_email, refuse_field, send_or_log, AccountRefusal, AccountResult, EmailOnly};
use super::{LoginAnswer, TokenOnly};
use crate::app::App;
use crate::domain::account::{self as rules, AccountStatus, LinkRefusal};
use crate::emails::login_link;
use crate::records::account;
use crate::records::rate_limit::RateKind;
use crate::records::retry;
use crate::security;

/// Always 202 (3 links an hour per address, then 429 whoever asks): the
/// owner of an activated account gets a link valid 15 minutes; an unknown
/// or unactivated address gets nothing (activation alone makes a password
/// usable, and a link must not stand in for it).
pub async fn request_login_link(app: &App, input: EmailOnly) -> AccountResult<()> {
    let email = parse_email(&input.email).map_err(refuse_field)?;
    let now = app.now();
    consume_rate(app, RateKind::LoginLink, &email, now).await?;
    let Some(mut account) = account::load_by_email(app.store.as_ref(), &email).await? else {
        return Ok(());
    };
    if account.status != AccountStatus::Active {
        return Ok(());
    }
    let (token, hash) = security::new_token(&account.account_id);
    let previous = account.version;
    let expires = account.replace_login_link(hash, now);
    let write = app
        .store
        .transact(vec![account.put_if_version(previous)?])
        .await;
    if retry::written(write)? {
        let link = app.link(&format!("/login-link?token={token}"));
        let mail = login_link::email(&account.email, &link, expires);
        send_or_log(app, mail, "login_link").await;
    }
    Ok(())
}

/// Opens a session as `POST /auth/login` does, once per link, within its
/// 15 minutes, whatever the login guard says.
pub async fn confirm_login_link(app: &App, input: TokenOnly) -> AccountResult<LoginAnswer> {
    let invalid = AccountRefusal::InvalidLoginLink;
    let (account_id, hash) = security::parse_token(&input.token).ok_or(invalid.clone())?;
    let mut account = account::load(app.store.as_ref(), &account_id)
        .await?
        .ok_or(invalid.clone())?;
    let now = app.now();
    rules::one_time_link(
        account.login_link_is(&hash),
        account.login_link_expires_at,
        now,
    )
    .map_err(|why| match why {
        LinkRefusal::Invalid => AccountRefusal::InvalidLoginLink,
        LinkRefusal::Expired => AccountRefusal::LoginLinkExpired,
    })?;
    // Spent in the same transaction as the session opens (conditioned on
    // the version read): of two uses of one link, one only opens a session.
    let previous = account.version;
    account.spend_login_link();
    let spend = account.put_if_version(previous)?;
    open_session(app, &account, spend, now)
        .await?
        .ok_or_else(|| invalid.into())
}
