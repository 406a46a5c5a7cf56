//! Who is calling: bearer tokens (or the portal's cookie) checked against the
//! session items, in the same round trip as whatever else the route reads.

use chrono::{DateTime, Utc};

use crate::app::{App, Config};
use crate::error::{AppError, AppResult};
use crate::ports::store::WriteOp;
use crate::ports::{Item, Key};
use crate::records::account::AccountRecord;
use crate::records::candidate::delete_all;
use crate::records::keys;
use crate::records::session::{self, SessionRecord};
use crate::security;

/// The cookie that carries the token for the portal served over HTTPS. The
/// `__Host-` prefix makes the browser refuse it unless it is `Secure`, has
/// `Path=/` and no `Domain`, set by this very host: no other site, not even
/// a sibling subdomain, can plant one (« cookie tossing »).
pub const SESSION_COOKIE: &str = "__Host-examreg_session";
/// Its name for a portal served over plain HTTP (the local runner), where
/// browsers would drop a `__Host-` cookie.
pub const PLAIN_HTTP_SESSION_COOKIE: &str = "examreg_session";

/// The session cookie's name for the portal `config` describes.
pub fn session_cookie_name(config: &Config) -> &'static str {
    if config.portal_origin.starts_with("https://") {
        SESSION_COOKIE
    } else {
        PLAIN_HTTP_SESSION_COOKIE
    }
}

/// An authenticated candidate.
#[derive(Debug, Clone)]
pub struct Caller {
    pub account: AccountRecord,
    pub session_key: Key,
}

/// The token of a request: `Authorization: Bearer <token>`, else the
/// session cookie of the portal `config` describes. Only that cookie's name
/// is read (over HTTPS, never the unprefixed one, which another site may
/// have planted); sent twice with different values, it is ambiguous and
/// none is taken, so that a planted duplicate can never win.
pub fn token_from_headers(headers: &http::HeaderMap, config: &Config) -> Option<String> {
    if let Some(value) = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        let (scheme, token) = value.trim().split_once(' ')?;
        return scheme
            .eq_ignore_ascii_case("bearer")
            .then(|| token.trim().to_owned());
    }
    let name = session_cookie_name(config);
    let mut values = headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .filter(|(cookie, _)| *cookie == name)
        .map(|(_, value)| value.trim());
    let first = values.next()?;
    values.all(|other| other == first).then(|| first.to_owned())
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

#[cfg(test)]
mod tests {
    use super::*;

    fn config(portal_origin: &str) -> Config {
        Config {
            portal_origin: portal_origin.to_owned(),
            ..Config::default()
        }
    }

    fn with_cookies(lines: &[&str]) -> http::HeaderMap {
        let mut headers = http::HeaderMap::new();
        for line in lines {
            headers.append(http::header::COOKIE, line.parse().unwrap());
        }
        headers
    }

    #[test]
    fn over_https_only_the_host_cookie_is_read() {
        let https = config("https://inscriptions.example.fr");
        assert_eq!(session_cookie_name(&https), "__Host-examreg_session");
        let mine = with_cookies(&["theme=clair; __Host-examreg_session=mine"]);
        assert_eq!(token_from_headers(&mine, &https).as_deref(), Some("mine"));
        // A cookie without the prefix (planted by a sibling subdomain, say)
        // is never read, before or beside the real one.
        let planted = with_cookies(&["examreg_session=attacker"]);
        assert_eq!(token_from_headers(&planted, &https), None);
        let both = with_cookies(&["examreg_session=attacker; __Host-examreg_session=mine"]);
        assert_eq!(token_from_headers(&both, &https).as_deref(), Some("mine"));
    }

    #[test]
    fn over_plain_http_the_plain_name_works() {
        let local = config("http://127.0.0.1:3000");
        assert_eq!(session_cookie_name(&local), "examreg_session");
        let mine = with_cookies(&["examreg_session=mine"]);
        assert_eq!(token_from_headers(&mine, &local).as_deref(), Some("mine"));
    }

    #[test]
    fn a_duplicated_cookie_is_never_taken() {
        for portal in ["https://inscriptions.example.fr", "http://127.0.0.1:3000"] {
            let config = config(portal);
            let name = session_cookie_name(&config);
            let twice = with_cookies(&[&format!("{name}=attacker; {name}=mine")]);
            assert_eq!(token_from_headers(&twice, &config), None, "{portal}");
            let two_lines = with_cookies(&[&format!("{name}=mine"), &format!("{name}=attacker")]);
            assert_eq!(token_from_headers(&two_lines, &config), None, "{portal}");
            // The same value twice is no ambiguity.
            let same = with_cookies(&[&format!("{name}=mine; {name}=mine")]);
            assert_eq!(token_from_headers(&same, &config).as_deref(), Some("mine"));
        }
    }

    #[test]
    fn an_authorization_header_comes_first() {
        let local = config("http://127.0.0.1:3000");
        let mut headers = with_cookies(&["examreg_session=cookie"]);
        headers.insert(
            http::header::AUTHORIZATION,
            "Bearer header".parse().unwrap(),
        );
        assert_eq!(
            token_from_headers(&headers, &local).as_deref(),
            Some("header")
        );
    }
}
