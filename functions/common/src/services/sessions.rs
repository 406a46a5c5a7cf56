//! Who is calling: bearer tokens (or the portal's cookie) checked against the
//! session items, in the same round trip as whatever else the route reads.

use chrono::{DateTime, Utc};

use crate::app::App;
use crate::error::{AppError, AppResult};
use crate::ports::store::WriteOp;
use crate::ports::{Item, Key};
use crate::records::account::AccountRecord;
use crate::records::candidate::delete_all;
use crate::records::keys;
use crate::records::session::{self, SessionRecord};
use crate::security;

/// The cookie that carries the token for the portal.
pub const SESSION_COOKIE: &str = "examreg_session";

/// An authenticated candidate.
#[derive(Debug, Clone)]
pub struct Caller {
    pub account: AccountRecord,
    pub session_key: Key,
}

/// The token of a request: `Authorization: Bearer <token>`, else the cookie.
pub fn token_from_headers(headers: &http::HeaderMap) -> Option<String> {
    if let Some(value) = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        let (scheme, token) = value.trim().split_once(' ')?;
        return scheme
            .eq_ignore_ascii_case("bearer")
            .then(|| token.trim().to_owned());
    }
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.to_owned())
}

/// Checks the token and reads `extra` keys of the caller's partition in the
/// same round trip. Returns the caller and the extra items found.
pub async fn authenticate(
    app: &App,
    token: Option<&str>,
    extra: impl FnOnce(&str) -> Vec<Key>,
) -> AppResult<(Caller, Vec<Item>)> {
    let (account_id, hash) = token
        .and_then(security::parse_token)
        .ok_or_else(AppError::unauthenticated)?;
    let session_key = keys::session(&account_id, &hash);
    let account_key = keys::account(&account_id);
    let mut wanted = vec![session_key.clone(), account_key.clone()];
    wanted.extend(extra(&account_id));
    let mut items = app.store.get_many(&wanted).await?;

    let session = take(&mut items, &session_key).ok_or_else(AppError::unauthenticated)?;
    let session: SessionRecord = session.to_value()?;
    let stored_hash = session::token_hash_of(&session_key);
    let now = app.now();
    if !security::same_hash(stored_hash, &hash) || !session.is_live(now) {
        return Err(AppError::unauthenticated());
    }
    if session.needs_seen_write(now) {
        mark_seen(app, &session, &session_key, now).await;
    }
    let account: AccountRecord = take(&mut items, &account_key)
        .ok_or_else(AppError::unauthenticated)?
        .to_value()?;
    Ok((
        Caller {
            account,
            session_key,
        },
        items,
    ))
}

/// Slides the idle timeout: the session was used at `now`. A failed write
/// only shortens the session (the next request tries again), so it does not
/// fail the request.
async fn mark_seen(app: &App, session: &SessionRecord, key: &Key, now: DateTime<Utc>) {
    let write = match session.seen(key, now) {
        Ok(write) => write,
        Err(e) => return tracing::warn!(error = %e, "session not marked seen"),
    };
    if let Err(e) = app.store.transact(vec![write]).await {
        tracing::warn!(error = %e, "session not marked seen");
    }
}

/// `POST /auth/logout`: the caller's token is void at once.
pub async fn logout(app: &App, caller: &Caller) -> AppResult<()> {
    app.store
        .transact(vec![WriteOp::delete(caller.session_key.clone())])
        .await?;
    Ok(())
}

/// `POST /auth/logout-all`: every session of the caller's account is void
/// at once, the caller's among them.
pub async fn logout_all(app: &App, caller: &Caller) -> AppResult<()> {
    let store = app.store.as_ref();
    let mut sessions = session::session_keys(store, &caller.account.account_id).await?;
    // An eventually consistent query may miss a session just opened: the
    // caller's goes in any case.
    if !sessions.contains(&caller.session_key) {
        sessions.push(caller.session_key.clone());
    }
    delete_all(store, &sessions).await
}

/// Removes and returns the item at `key` from `items`.
pub fn take(items: &mut Vec<Item>, key: &Key) -> Option<Item> {
    let position = items.iter().position(|item| &item.key == key)?;
    Some(items.swap_remove(position))
}
