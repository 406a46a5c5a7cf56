//! `POST /auth/activate` and `POST /auth/resend-activation`.

use super::rate::consume_rate;
use super::{
    parse_email, refuse_field, send_or_log, AccountRefusal, AccountResult, EmailOnly, TokenOnly,
};
use crate::app::App;
use crate::domain::account::{
    self as rules, existing_account, AccountStatus, ExistingAccount, LinkRefusal,
};
use crate::emails::{activation, activation_pending, already_active};
use crate::ports::StoreError;
use crate::records::account::{self, AccountRecord, ActivationTarget};
use crate::records::rate_limit::RateKind;
use crate::records::retry;
use crate::security;

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

/// A new link, the old one void; 3 an hour.
pub async fn resend_activation(app: &App, input: EmailOnly) -> AccountResult<()> {
    let email = parse_email(&input.email).map_err(refuse_field)?;
    let now = app.now();
    consume_rate(app, RateKind::Resend, &email, now).await?;

    let Some(account) = account::load_by_email(app.store.as_ref(), &email).await? else {
        return Ok(());
    };
    match existing_account(account.status, account.activation_deadline, now) {
        ExistingAccount::Active => {
            let mail = already_active::email(
                &account.email,
                &app.link("/login"),
                &app.link("/forgot-password"),
            );
            send_or_log(app, mail, "already_active").await;
        }
        // Deleted at its deadline: the candidate must sign up again.
        ExistingAccount::Expired => {}
        ExistingAccount::Pending => {
            send_new_activation_link(app, account, LinkEmail::Resent).await?
        }
    }
    Ok(())
}

/// Which email carries a new activation link.
pub(super) enum LinkEmail {
    /// Asked for with « renvoyer le lien ».
    Resent,
    /// A signup again for an account awaiting activation, with the hash of
    /// its password, which travels with the new link (signup is built with
    /// the `passwords` feature only).
    #[cfg_attr(not(feature = "passwords"), allow(dead_code))]
    PendingAgain(String),
}

/// Replaces the activation token (the old link, and the password it carried,
/// are void) and emails the new one.
pub(super) async fn send_new_activation_link(
    app: &App,
    mut account: AccountRecord,
    email: LinkEmail,
) -> AccountResult<()> {
    let (token, hash) = security::new_token(&account.account_id);
    let previous = account.version;
    let (password_hash, again) = match email {
        LinkEmail::Resent => (None, false),
        LinkEmail::PendingAgain(hash) => (Some(hash), true),
    };
    account.replace_activation_token(hash, password_hash);
    let write = app
        .store
        .transact(vec![account.put_if_version(previous)?])
        .await;
    if !retry::written(write)? {
        // Activated or changed meanwhile: the other request's outcome stands.
        return Ok(());
    }
    let link = app.link(&format!("/activate?token={token}"));
    let deadline = account.activation_deadline;
    let mail = if again {
        activation_pending::email(&account.email, &link, deadline)
    } else {
        activation::email(&account.email, &link, deadline)
    };
    send_or_log(app, mail, "activation").await;
    Ok(())
}
