//! `POST /auth/login`, with the lockout of an address after failed logins.

use chrono::{DateTime, Utc};

use super::{AccountRefusal, AccountResult, Credentials, LoginAnswer};
use crate::app::App;
use crate::domain::account::{AccountStatus, Email, LoginGuard};
use crate::error::AppResult;
use crate::ports::store::WriteOp;
use crate::records::account::{self, AccountRecord};
use crate::records::login_guard;
use crate::records::retry::{self, Round};
use crate::records::session::SessionRecord;
use crate::security;

pub async fn login(app: &App, input: Credentials) -> AccountResult<LoginAnswer> {
    let Ok(email) = Email::parse(&input.email) else {
        security::verify_password(&input.password, None).await;
        return Err(AccountRefusal::InvalidCredentials.into());
    };
    // Counted before the password is checked, account or not: a burst of
    // parallel guesses gets no more tries than guesses one after the other,
    // and the lockout says nothing of who has an account.
    let attempt = uuid::Uuid::new_v4().simple().to_string();
    admit_attempt(app, email.canonical(), &attempt, app.now()).await?;
    let account = account::load_by_email(app.store.as_ref(), &email).await?;
    let ok = security::verify_password(
        &input.password,
        account.as_ref().map(|a| a.password_hash.as_str()),
    )
    .await;
    let account = account.filter(|_| ok);
    settle_attempt(
        app,
        email.canonical(),
        &attempt,
        account.is_some(),
        app.now(),
    )
    .await?;
    let Some(account) = account else {
        return Err(AccountRefusal::InvalidCredentials.into());
    };
    if account.status != AccountStatus::Active {
        return Err(AccountRefusal::NotActivated.into());
    }
    open_verified_session(app, account, app.now()).await
}

/// Admits one login attempt on the guard named `guard` (a candidate's
/// canonical address; `staff:<address>` for the runner's staff sign-in), or
/// refuses it while the address is locked or its allowance is taken by
/// attempts in flight.
pub(crate) async fn admit_attempt(
    app: &App,
    guard: &str,
    attempt: &str,
    now: DateTime<Utc>,
) -> AccountResult<()> {
    let admitted = change_login_guard(app, guard, now, |guard| guard.admit(attempt, now)).await?;
    let until = match admitted {
        Some(Ok(())) => return Ok(()),
        Some(Err(until)) => until,
        // The item kept changing under us: a burst is on; refuse this one.
        None => now + chrono::Duration::seconds(1),
    };
    Err(AccountRefusal::TooManyAttempts { until, now }.into())
}

/// Records how an admitted attempt ended.
pub(crate) async fn settle_attempt(
    app: &App,
    guard: &str,
    attempt: &str,
    succeeded: bool,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let settled = change_login_guard(app, guard, now, |guard| {
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
    guard_name: &str,
    now: DateTime<Utc>,
    change: impl Fn(&mut LoginGuard) -> T,
) -> AppResult<Option<T>> {
    let store = app.store.as_ref();
    let change = &change;
    retry::until_won(move || async move {
        let stored = login_guard::read(store, guard_name).await?;
        let mut guard = stored.guard.clone();
        let answer = change(&mut guard);
        let Some(write) = stored.replace_with(&guard, now)? else {
            return Ok(Round::Done(answer));
        };
        AppResult::Ok(retry::round(store.transact(vec![write]).await, answer)?)
    })
    .await
}

/// Opens a session for an account whose password was just verified, on
/// condition that the account has not changed since it was read: a password
/// reset racing this login wins, and the old password opens nothing.
async fn open_verified_session(
    app: &App,
    account: AccountRecord,
    now: DateTime<Utc>,
) -> AccountResult<LoginAnswer> {
    open_session(app, &account, account.unchanged(), now)
        .await?
        .ok_or_else(|| AccountRefusal::InvalidCredentials.into())
}

/// Opens a session for `account` in one transaction with `guard` (a check
/// or a write of the account, conditioned on the version read); `None` if
/// the guard's condition no longer holds.
pub(super) async fn open_session(
    app: &App,
    account: &AccountRecord,
    guard: WriteOp,
    now: DateTime<Utc>,
) -> AppResult<Option<LoginAnswer>> {
    let (token, hash) = security::new_token(&account.account_id);
    let session = SessionRecord::open(&account.account_id, now);
    let ops = vec![session.create(&hash)?, guard];
    if !retry::written(app.store.transact(ops).await)? {
        return Ok(None);
    }
    Ok(Some(LoginAnswer {
        token,
        expires_at: session.expires_at,
    }))
}
