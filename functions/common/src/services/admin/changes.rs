//! The actions that change a dossier: `validate_piece`, `reject_piece`,
//! `extend_deadline`. Each is a pure transition of the domain
//! (`domain::transitions::{piece_review, extension}`) run by the dossier's
//! one write path, `records::dossier::update` (read, decide, conditional
//! write with the history line and the owed email, bounded retry, delivery).

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::candidate::{candidate, require_inscription};
use super::events::{CandidateRef, ExtendDeadlineEvent, RejectPieceEvent, ValidatePieceEvent};
use super::{instant, AdminError, AdminResult};
use crate::app::App;
use crate::domain::dossier::InscriptionStatus;
use crate::domain::record::InscriptionRecord;
use crate::domain::transitions::extension::{self, ExtensionRefused};
use crate::domain::transitions::piece_review::{self, ReviewRefused};
use crate::domain::transitions::Transition;
use crate::records::dossier::{self, Delivery};
use crate::services::inscription::pieces_view;

/// What a change did: the dossier as it stands after it, and whether the
/// email it owed went out.
pub(super) struct Changed {
    pub(super) record: InscriptionRecord,
    /// `Some(true)` sent, `Some(false)` queued for the sweep, `None` no email.
    pub(super) notified: Option<bool>,
}

impl Changed {
    pub(super) fn notification(&self) -> Value {
        match self.notified {
            Some(true) => json!("sent"),
            Some(false) => json!("queued"),
            None => Value::Null,
        }
    }
}

impl From<ReviewRefused> for AdminError {
    fn from(refused: ReviewRefused) -> Self {
        match refused.field() {
            Some(field) => AdminError::field(refused.code(), field, refused.message_fr()),
            None => AdminError::new(refused.code(), refused.message_fr()),
        }
    }
}

impl From<ExtensionRefused> for AdminError {
    fn from(refused: ExtensionRefused) -> Self {
        AdminError::field(refused.code(), refused.field(), refused.message_fr())
    }
}

/// Runs `decide` on the candidate's inscription through the dossier's write
/// path. `decide` answers `None` when there is nothing to change (the action
/// was already done): the dossier is answered as it is.
pub(super) async fn change<F>(
    app: &App,
    candidate_ref: &CandidateRef,
    decide: F,
) -> AdminResult<Changed>
where
    F: FnMut(&InscriptionRecord, DateTime<Utc>) -> AdminResult<Option<Transition>> + Send,
{
    change_in(app, candidate_ref, None, decide).await
}

/// [`change`] on the candidate's dossier of `session` (`None`: the
/// deployment's).
pub(super) async fn change_in<F>(
    app: &App,
    candidate_ref: &CandidateRef,
    session: Option<&str>,
    mut decide: F,
) -> AdminResult<Changed>
where
    F: FnMut(&InscriptionRecord, DateTime<Utc>) -> AdminResult<Option<Transition>> + Send,
{
    let record = require_inscription(candidate(app, candidate_ref, session).await?)?;
    let (account_id, session) = (record.account_id.clone(), record.session.clone());
    let updated = dossier::update(
        app,
        &account_id,
        &session,
        Some(record),
        Delivery::Now,
        |current| match current {
            Some(current) => decide(current, app.now()),
            None => Err(AdminError::new(
                "no_inscription",
                "Cette inscription n'existe plus.",
            )),
        },
    )
    .await?;
    if updated.raced {
        return Err(AdminError::new(
            "conflict",
            "Le dossier a été modifié plusieurs fois pendant l'opération. Réessayez.",
        ));
    }
    match (updated.committed, updated.before) {
        (Some(committed), _) => Ok(Changed {
            record: committed.record,
            notified: committed.delivered,
        }),
        (None, Some(record)) => Ok(Changed {
            record,
            notified: None,
        }),
        (None, None) => Err(AdminError::new(
            "no_inscription",
            "Cette inscription n'existe plus.",
        )),
    }
}

pub(super) fn pieces_answer(app: &App, changed: &Changed) -> Value {
    json!({
        "email": changed.record.email,
        "candidate_number": changed.record.candidate_number,
        "status": changed.record.status,
        "pieces": pieces_view(&changed.record, &app.calendar.postal_address),
        "notification": changed.notification(),
    })
}

pub(super) async fn validate_piece(app: &App, event: ValidatePieceEvent) -> AdminResult<Value> {
    let ValidatePieceEvent {
        actor,
        candidate,
        kind,
    } = event;
    let changed = change(app, &candidate, |record, now| {
        Ok(piece_review::validate(record, kind, &actor, now)?)
    })
    .await?;
    Ok(pieces_answer(app, &changed))
}

pub(super) async fn reject_piece(app: &App, event: RejectPieceEvent) -> AdminResult<Value> {
    let RejectPieceEvent {
        actor,
        candidate,
        kind,
        reason,
    } = event;
    let changed = change(app, &candidate, |record, now| {
        Ok(piece_review::reject(
            record,
            kind,
            &reason,
            &actor,
            &app.calendar,
            now,
        )?)
    })
    .await?;
    let mut answer = pieces_answer(app, &changed);
    if let Some(warning) = late_rejection_warning(app, &changed.record) {
        if let Some(map) = answer.as_object_mut() {
            map.insert("warning".into(), json!(warning));
        }
    }
    Ok(answer)
}

/// What the office must know when it rejects a piece after the deadline:
/// the candidate can no longer replace it on their own.
fn late_rejection_warning(app: &App, record: &InscriptionRecord) -> Option<&'static str> {
    let deadline = record.documents_deadline(&app.calendar);
    if record.status != InscriptionStatus::Registered || deadline > app.now() {
        return None;
    }
    Some(if record.awaits_uploads(deadline) {
        "La date limite de dépôt est passée et le dossier n'était pas complet à cette date : l'inscription sera annulée au prochain passage du traitement des délais, sauf prolongation (extend_deadline)."
    } else {
        "La date limite de dépôt est passée : le candidat ne peut plus remplacer cette pièce. Ses pièces étant arrivées à temps, l'inscription n'est pas annulée ; accordez-lui une prolongation (extend_deadline) pour qu'il dépose une nouvelle pièce."
    })
}

pub(super) async fn extend_deadline(app: &App, event: ExtendDeadlineEvent) -> AdminResult<Value> {
    let ExtendDeadlineEvent {
        actor,
        candidate,
        until,
    } = event;
    let changed = change(app, &candidate, |record, now| {
        Ok(extension::extend(
            record,
            until,
            &actor,
            &app.calendar,
            now,
        )?)
    })
    .await?;
    Ok(json!({
        "email": changed.record.email,
        "candidate_number": changed.record.candidate_number,
        "documents_deadline": instant(changed.record.documents_deadline(&app.calendar)),
        "status": changed.record.status,
        "notification": changed.notification(),
    }))
}
