//! `POST /auth/signup`.

use super::activation::send_new_activation_link;
use super::rate::within_rate;
use super::{parse_email, parse_password, send_or_log, AccountRefusal, AccountResult, Credentials};
use crate::app::App;
use crate::domain::account::{existing_account, ExistingAccount};
use crate::emails::{account_exists, activation};
use crate::metrics::Metric;
use crate::ports::store::{Condition, WriteOp};
use crate::records::account::{self, AccountRecord};
use crate::records::candidate::delete_candidate_data;
use crate::records::rate_limit::RateKind;
use crate::records::retry;
use crate::security;

/// Always the same 202 once the input is valid.
pub async fn signup(app: &App, input: Credentials) -> AccountResult<()> {
    let email = parse_email(&input.email);
    let password = parse_password(&input.password, email.as_ref().ok());
    let (email, password) = match (email, password) {
        (Ok(e), Ok(p)) => (e, p),
        (e, p) => {
            let errors = [e.err(), p.err()].into_iter().flatten().collect();
            return Err(AccountRefusal::Fields(errors).into());
        }
    };
    // Hash first, whatever happens next: a taken address costs the same time.
    let password_hash = security::hash_password(&password).await?;
    let now = app.now();
    let store = app.store.as_ref();

    let replaced = match account::load_by_email(store, &email).await? {
        None => None,
        // An unactivated account past its 48 hours: it is gone, replace it.
        Some(old) => match existing_account(old.status, old.activation_deadline, now) {
            ExistingAccount::Expired => Some(old),
            // The owner is told by email (at most a few times an hour, so
            // that nobody can flood a mailbox through this form); the answer
            // is the same as for a new account.
            standing => {
                if within_rate(app, RateKind::Signup, &email, now).await? {
                    tell_owner(app, old, standing, password_hash).await?;
                }
                return Ok(());
            }
        },
    };

    let account_id = security::new_account_id();
    let (token, token_hash) = security::new_token(&account_id);
    let account = AccountRecord::pending(&account_id, &email, password_hash, token_hash, now);
    let mut ops = vec![
        WriteOp::put(account.to_item()?, Condition::NotExists),
        account::put_email_guard(&email, &account_id, replaced.as_ref()),
    ];
    if let Some(old) = &replaced {
        ops.push(old.delete_if_unchanged());
        ops.extend(old.expired_trace()?);
    }
    if !retry::written(store.transact(ops).await)? {
        // Another signup for this address won the race: it made the account.
        return Ok(());
    }
    if let Some(old) = &replaced {
        delete_candidate_data(store, &old.account_id).await?;
    }
    tracing::info!(account_id = %account_id, "account created");
    app.count(Metric::Signups);
    let link = app.link(&format!("/activate?token={token}"));
    let mail = activation::email(&account.email, &link, account.activation_deadline);
    send_or_log(app, mail, "activation").await;
    Ok(())
}

/// A signup for a taken address. An active account's owner is told so, and
/// its password never changes. An account still awaiting activation gets a
/// new link carrying this signup's password (the older links, and the
/// passwords they carried, are void): activating it makes this password the
/// account's, so that a password set by someone who merely knows the
/// address never becomes usable. The email says plainly that a request was
/// made before.
async fn tell_owner(
    app: &App,
    account: AccountRecord,
    standing: ExistingAccount,
    password_hash: String,
) -> AccountResult<()> {
    match standing {
        ExistingAccount::Active => {
            let mail = account_exists::email(
                &account.email,
                &app.link("/login"),
                &app.link("/forgot-password"),
            );
            send_or_log(app, mail, "account_exists").await;
            Ok(())
        }
        ExistingAccount::Pending => send_new_activation_link(app, account, password_hash).await,
        // Replaced by the signup, never told.
        ExistingAccount::Expired => Ok(()),
    }
}
