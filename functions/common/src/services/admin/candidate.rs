//! Finding the candidate an event names, by address: their account and
//! their inscription for the session.

use super::{AdminError, AdminResult};
use crate::app::App;
use crate::domain::account::Email;
use crate::error::AppError;
use crate::ports::Key;
use crate::records::keys;
use crate::services::accounts::AccountRecord;
use crate::services::inscription::InscriptionRecord;

pub(super) struct Candidate {
    pub account: AccountRecord,
    pub inscription: Option<InscriptionRecord>,
}

/// The candidate named by `email`: the email guard, then the account and the
/// inscription in one round trip.
pub(super) async fn candidate(app: &App, email: &Email) -> AdminResult<Candidate> {
    let not_found = || {
        AdminError::field(
            "not_found",
            "email",
            format!(
                "Aucun compte candidat n'existe pour l'adresse « {} ».",
                email.as_typed()
            ),
        )
    };
    let guard = app
        .store
        .get(&keys::email_guard(email.canonical()))
        .await?
        .ok_or_else(not_found)?;
    let account_id = guard
        .str_attr("account_id")
        .ok_or_else(|| {
            AdminError::from(AppError::Internal("email guard without account id".into()))
        })?
        .to_owned();
    let account_key = keys::account(&account_id);
    let inscription_key = keys::inscription(&account_id, &app.calendar.session);
    let items = app
        .store
        .get_many(&[account_key.clone(), inscription_key.clone()])
        .await?;
    let find = |key: &Key| items.iter().find(|item| item.key == *key);
    let account: AccountRecord = find(&account_key).ok_or_else(not_found)?.to_value()?;
    let inscription = find(&inscription_key)
        .map(|item| item.to_value::<InscriptionRecord>())
        .transpose()?;
    Ok(Candidate {
        account,
        inscription,
    })
}

/// The candidate's inscription, or a `no_inscription` refusal.
pub(super) fn require_inscription(candidate: Candidate) -> AdminResult<InscriptionRecord> {
    let account = &candidate.account;
    candidate.inscription.ok_or_else(|| {
        AdminError::field(
            "no_inscription",
            "email",
            format!(
                "Le compte de « {} » existe (compte {}) mais n'a pas d'inscription pour cette session.",
                account.email,
                account.status.label_fr()
            ),
        )
    })
}
