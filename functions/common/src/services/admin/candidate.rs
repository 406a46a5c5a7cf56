//! Finding the candidate an event names ([`CandidateRef`]: by address or by
//! candidate number): their account and their inscription for the session.

use super::events::CandidateRef;
use super::{AdminError, AdminResult};
use crate::app::App;
use crate::domain::account::Email;
use crate::error::AppError;
use crate::ports::Key;
use crate::records::account::AccountRecord;
use crate::records::dossier::InscriptionRecord;
use crate::records::{keys, numbers};

pub(super) struct Candidate {
    pub account: AccountRecord,
    pub inscription: Option<InscriptionRecord>,
    /// The event's field that named them (for refusals).
    pub named_by: &'static str,
}

/// The candidate `reference` names, with their inscription of `session`
/// (`None`: the deployment's): the email guard or the number's guard, then
/// the account and the inscription in one round trip.
pub(super) async fn candidate(
    app: &App,
    reference: &CandidateRef,
    session: Option<&str>,
) -> AdminResult<Candidate> {
    let session = session.unwrap_or(&app.calendar.session);
    let not_found = || {
        match reference {
        CandidateRef::Email(email) => not_found_by_email(email),
        CandidateRef::Number(number) => AdminError::field(
            "not_found",
            "candidate_number",
            format!("Aucun dossier de la session {session} ne porte le numéro de candidat « {number} »."),
        ),
    }
    };
    let account_id = match reference {
        CandidateRef::Email(email) => account_by_email(app, email).await?,
        CandidateRef::Number(number) => numbers::account_of(app, session, number).await?,
    }
    .ok_or_else(not_found)?;
    let account_key = keys::account(&account_id);
    let inscription_key = keys::inscription(&account_id, session);
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
        named_by: reference.field(),
    })
}

fn not_found_by_email(email: &Email) -> AdminError {
    AdminError::field(
        "not_found",
        "email",
        format!(
            "Aucun compte candidat n'existe pour l'adresse « {} ».",
            email.as_typed()
        ),
    )
}

async fn account_by_email(app: &App, email: &Email) -> AdminResult<Option<String>> {
    let Some(guard) = app.store.get(&keys::email_guard(email.canonical())).await? else {
        return Ok(None);
    };
    guard
        .str_attr("account_id")
        .map(|id| Some(id.to_owned()))
        .ok_or_else(|| AppError::Internal("email guard without account id".into()).into())
}

/// The candidate's inscription, or a `no_inscription` refusal.
pub(super) fn require_inscription(candidate: Candidate) -> AdminResult<InscriptionRecord> {
    let account = &candidate.account;
    candidate.inscription.ok_or_else(|| {
        AdminError::field(
            "no_inscription",
            candidate.named_by,
            format!(
                "Le compte de « {} » existe (compte {}) mais n'a pas d'inscription pour cette session.",
                account.email,
                account.status.label_fr()
            ),
        )
    })
}
