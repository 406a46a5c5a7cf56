//! `POST /auth/activate` and `POST /auth/resend-activation`.

use chrono::{DateTime, Utc};

use super::{
    parse_email, refuse_field, send_or_log, AccountRefusal, AccountResult, EmailOnly, TokenOnly,
};
use crate::app::App;
use crate::domain::account::{
    self as rules, existing_account, AccountStatus, ExistingAccount, LinkRefusal,
};
use crate::emails::{activation, activation_pending, already_active};
use crate::error::AppResult;
use crate::ports::store::WriteOp;
use crate::ports::OutgoingEmail;
use crate::ports::StoreError;
use crate::records::account::{self, AccountRecord, ActivationTarget};
use crate::records::mail::QueuedMail;
use crate::records::rate_limit;
use crate::records::rate_limit::RateKind;
use crate::records::retry;
use crate::security;
use crate::services::mailqueue::Queued;

/// Activates the account of the emailed token, within 48 hours.
pub async fn activate(app: &App, input: TokenOnly) -> AccountResult<AccountStatus> {
    let (account_id, hash) =
        security::parse_token(&input.token).ok_or(AccountRefusal::InvalidActivationLink)?;
    let (account_id, hash) = (account_id.as_str(), hash.as_str());
    // Another write to the account (a failed login counted, a new link asked
    // for) may land between the read and the write: read and decide again.
    let activated = retry::until_won(move || async move {
        let mut account = account_to_activate(app, account_id, hash).await?;
        let now = app.now();
        let deadline = account.activation_deadline;
        rules::activation(
            account.status,
            account.activation_token_is(hash),
            deadline,
            now,
        )
        .map_err(|why| match why {
            LinkRefusal::Invalid => AccountRefusal::InvalidActivationLink,
            LinkRefusal::Expired => AccountRefusal::ActivationExpired { deadline },
        })?;
        let previous = account.version;
        account.activate(now);
        let write = app
            .store
            .transact(vec![account.put_if_version(previous)?])
            .await;
        AccountResult::Ok(retry::round(write, AccountStatus::Active)?)
    })
    .await?;
    activated.ok_or_else(|| {
        StoreError::Conflict("the account kept changing during its activation".into()).into()
    })
}

/// The account that an activation token names, or why it activates nothing
/// once the sweep has deleted it (through its trace: `activation_expired`
/// for its own link, `invalid_token` for any other). One read.
async fn account_to_activate(
    app: &App,
    account_id: &str,
    hash: &str,
) -> AccountResult<AccountRecord> {
    match account::load_activation_target(app.store.as_ref(), account_id).await? {
        ActivationTarget::Account(account) => Ok(*account),
        ActivationTarget::Deleted(trace)
            if security::same_hash(&trace.activation_token_hash, hash) =>
        {
            Err(AccountRefusal::ActivationExpired {
                deadline: trace.activation_deadline,
            }
            .into())
        }
        ActivationTarget::Deleted(_) | ActivationTarget::Unknown => {
            Err(AccountRefusal::InvalidActivationLink.into())
        }
    }
}

/// A new link, the old one void; 3 an hour per address (429 past them).
///
/// The time of the answer must not tell whether the address has an account
/// (issue #17): every address costs the same work — the address's counter
/// and its account read (two reads even when there is none), then ONE
/// transaction, the counter's write with, when an email is owed, the new
/// token and the email queued. Nothing is sent on the way: the caller
/// delivers the [`Queued`] mail after its answer
/// ([`Queued::deliver_after_answer`]), or the sweep does.
pub async fn resend_activation(app: &App, input: EmailOnly) -> AccountResult<Queued> {
    let email = parse_email(&input.email).map_err(refuse_field)?;
    let email = &email;
    let store = app.store.as_ref();
    // The counter and the account may change between the reads and the
    // write (another request): read and decide again.
    let queued = retry::until_won(move || async move {
        let now = app.now();
        let counter = rate_limit::read(store, RateKind::Resend, email.canonical()).await?;
        let sends = rules::resend_allowed(&counter.sent_at, now)
            .map_err(|wait| AccountRefusal::TooManyRequests { wait })?;
        let account = account::load_by_email_evenly(store, email).await?;
        let (mut ops, mail) = match account {
            Some(account) => resend_writes(app, account, now)?,
            None => (Vec::new(), None),
        };
        ops.push(counter.replace_with(&sends, now));
        let write = store.transact(ops).await;
        AccountResult::Ok(retry::round(write, mail)?)
    })
    .await?
    .ok_or_else(|| StoreError::Conflict("rate counter busy".into()))?;
    Ok(Queued::new(queued.into_iter().collect()))
}

/// What a request for a new link writes for an existing account, and the
/// email it queues: a pending account gets a new link (the old one void),
/// an active one is told it is active; one deleted at its deadline, nothing
/// (its owner must sign up again).
fn resend_writes(
    app: &App,
    mut account: AccountRecord,
    now: DateTime<Utc>,
) -> AppResult<(Vec<WriteOp>, Option<QueuedMail>)> {
    let (mut ops, email, kind) =
        match existing_account(account.status, account.activation_deadline, now) {
            ExistingAccount::Expired => return Ok((Vec::new(), None)),
            ExistingAccount::Active => {
                let email = already_active::email(
                    &account.email,
                    &app.link("/login"),
                    &app.link("/forgot-password"),
                );
                // The account is read again by the next round if it changed.
                (vec![account.unchanged()], email, "already_active")
            }
            ExistingAccount::Pending => {
                let (write, email) = replace_link(app, &mut account, None)?;
                (vec![write], email, "activation")
            }
        };
    let mail_id = uuid::Uuid::new_v4().simple().to_string();
    let mail = QueuedMail::new(mail_id, kind, &account.account_id, email, now);
    ops.push(mail.enqueue_op()?);
    Ok((ops, Some(mail)))
}

/// Replaces the activation token of a pending `account` (the old link, and
/// the password it carried, void; `password_hash`, a signup's, travels with
/// the new one): the account's conditional write and the email of the link.
fn replace_link(
    app: &App,
    account: &mut AccountRecord,
    password_hash: Option<String>,
) -> AppResult<(WriteOp, OutgoingEmail)> {
    let (token, hash) = security::new_token(&account.account_id);
    let previous = account.version;
    let again = password_hash.is_some();
    account.replace_activation_token(hash, password_hash);
    let write = account.put_if_version(previous)?;
    let link = app.link(&format!("/activate?token={token}"));
    let deadline = account.activation_deadline;
    let email = if again {
        activation_pending::email(&account.email, &link, deadline)
    } else {
        activation::email(&account.email, &link, deadline)
    };
    Ok((write, email))
}

/// A signup again for an account awaiting activation: a new link carrying
/// that signup's password (`password_hash`), emailed at once (a signup's
/// answer waits for its email whether or not the address was taken).
#[cfg_attr(not(feature = "passwords"), allow(dead_code))]
pub(super) async fn send_new_activation_link(
    app: &App,
    mut account: AccountRecord,
    password_hash: String,
) -> AccountResult<()> {
    let (write, mail) = replace_link(app, &mut account, Some(password_hash))?;
    if !retry::written(app.store.transact(vec![write]).await)? {
        // Activated or changed meanwhile: the other request's outcome stands.
        return Ok(());
    }
    send_or_log(app, mail, "activation").await;
    Ok(())
}
