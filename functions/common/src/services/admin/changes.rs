//! The actions that change a dossier: `validate_piece`, `reject_piece`,
//! `extend_deadline`, each a decision run by [`change`]'s read, decide,
//! conditional write and retry.

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::candidate::{candidate, require_inscription};
use super::events::{ExtendDeadlineEvent, RejectPieceEvent, ValidatePieceEvent};
use super::{instant, AdminError, AdminResult};
use crate::app::App;
use crate::domain::account::Email;
use crate::domain::dossier::{InscriptionStatus, PieceStatus, REMINDERS};
use crate::domain::pieces::{label_for, PieceKind};
use crate::emails::{self, Message};
use crate::ports::StoreError;
use crate::services::inscription::{self, pieces_view, HistoryEntry, InscriptionRecord};
use crate::services::mailqueue::{self, QueuedMail};
use crate::services::sweep::{inscription_title, missing_pieces_fr};
use crate::wording::to_paris_string;

/// Retries of a change whose conditional write lost a race.
const MAX_RETRIES: usize = 5;

/// One change of an inscription: the new record, its history line and the
/// email it owes the candidate.
struct Change {
    record: InscriptionRecord,
    history: HistoryEntry,
    mail: Option<QueuedMail>,
}

/// What a change did.
struct Changed {
    record: InscriptionRecord,
    /// `Some(true)` sent, `Some(false)` queued for the sweep, `None` no email.
    notified: Option<bool>,
}

impl Changed {
    fn notification(&self) -> Value {
        match self.notified {
            Some(true) => json!("sent"),
            Some(false) => json!("queued"),
            None => Value::Null,
        }
    }
}

/// Reads the candidate's inscription, asks `decide` for the change, writes
/// it conditional on the revision read, re-reading and deciding again when
/// someone else wrote first. `decide` answers `None` when there is nothing to
/// change (the action was already done).
async fn change<F>(app: &App, email: &Email, mut decide: F) -> AdminResult<Changed>
where
    F: FnMut(&InscriptionRecord, DateTime<Utc>) -> AdminResult<Option<Change>>,
{
    let mut record = require_inscription(candidate(app, email).await?)?;
    for _ in 0..MAX_RETRIES {
        let now = app.now();
        let Some(change) = decide(&record, now)? else {
            return Ok(Changed {
                record,
                notified: None,
            });
        };
        let mut ops = change
            .record
            .write_ops(&app.calendar, record.revision, change.history)?;
        if let Some(mail) = &change.mail {
            ops.push(mail.enqueue_op()?);
        }
        match app.store.transact(ops).await {
            Ok(()) => {
                let notified = match &change.mail {
                    Some(mail) => Some(mailqueue::deliver_now(app, mail).await),
                    None => None,
                };
                return Ok(Changed {
                    record: change.record,
                    notified,
                });
            }
            Err(StoreError::ConditionFailed { .. } | StoreError::Conflict(_)) => {
                record = inscription::load(app, &record.account_id)
                    .await?
                    .ok_or_else(|| {
                        AdminError::new("no_inscription", "Cette inscription n'existe plus.")
                    })?;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(AdminError::new(
        "conflict",
        "Le dossier a été modifié plusieurs fois pendant l'opération. Réessayez.",
    ))
}

fn history_line(
    actor: &str,
    action: &str,
    kind: Option<PieceKind>,
    record: &InscriptionRecord,
    now: DateTime<Utc>,
    detail: String,
) -> HistoryEntry {
    HistoryEntry {
        at: now,
        actor: actor.to_owned(),
        action: action.to_owned(),
        fields: kind.map(|k| vec![k.code().to_owned()]).unwrap_or_default(),
        version: record.version,
        detail: Some(detail),
    }
}

fn mail_for(
    record: &InscriptionRecord,
    kind: &str,
    email: crate::ports::OutgoingEmail,
    now: DateTime<Utc>,
) -> QueuedMail {
    let id = format!(
        "{}#{}#{kind}#r{}",
        record.account_id, record.session, record.revision
    );
    QueuedMail::new(id, kind, &record.account_id, email, now)
}

fn cancelled_refusal() -> AdminError {
    AdminError::new(
        "inscription_cancelled",
        "Cette inscription est annulée : prolongez d'abord la date limite de dépôt (extend_deadline) pour la rétablir.",
    )
}

fn unknown_piece(record: &InscriptionRecord, kind: PieceKind) -> AdminError {
    let required: Vec<&str> = record.pieces.keys().map(|k| k.code()).collect();
    AdminError::field(
        "unknown_piece",
        "kind",
        format!(
            "Cette inscription ne demande pas la pièce « {} » ; pièces demandées : {}.",
            kind.code(),
            required.join(", ")
        ),
    )
}

fn pieces_answer(changed: &Changed) -> Value {
    json!({
        "status": changed.record.status,
        "pieces": pieces_view(&changed.record),
        "notification": changed.notification(),
    })
}

pub(super) async fn validate_piece(app: &App, event: ValidatePieceEvent) -> AdminResult<Value> {
    let ValidatePieceEvent { actor, email, kind } = event;
    let changed = change(app, &email, |record, now| {
        if record.status == InscriptionStatus::Cancelled {
            return Err(cancelled_refusal());
        }
        let state = record.pieces.get(&kind).ok_or_else(|| unknown_piece(record, kind))?;
        match state.status {
            PieceStatus::Validated => return Ok(None),
            PieceStatus::Received => {}
            PieceStatus::Missing | PieceStatus::Rejected => {
                return Err(AdminError::field(
                    "piece_not_received",
                    "kind",
                    format!(
                        "La pièce « {} » n'a pas été reçue (elle est {}) : elle ne peut pas être validée.",
                        label_for(kind, &record.data),
                        state.status.label_fr()
                    ),
                ))
            }
        }
        let mut next = record.clone();
        if let Some(piece) = next.pieces.get_mut(&kind) {
            piece.status = PieceStatus::Validated;
            piece.reason = None;
            piece.reviewed_at = Some(now);
        }
        next.revision += 1;
        next.updated_at = now;
        next.refresh_status();
        let label = label_for(kind, &record.data);
        let mut detail = format!("Pièce validée : {label}.");
        let mut mail = None;
        if next.status == InscriptionStatus::Validated && record.status != InscriptionStatus::Validated {
            detail.push_str(" Toutes les pièces sont validées : dossier validé.");
            let email = Message::new("Votre dossier d'inscription est validé")
                .para(format!(
                    "Les services du rectorat ont vérifié et validé toutes les pièces de votre inscription ({}).",
                    inscription_title(app, record)
                ))
                .para("Votre dossier est complet : vous n'avez plus rien à déposer. Vous recevrez votre convocation aux épreuves en temps utile.")
                .link("Mon espace candidat", app.link(emails::HOME_PAGE))
                .to(&record.email);
            mail = Some(mail_for(&next, "dossier_validated", email, now));
        }
        Ok(Some(Change {
            history: history_line(&actor, "piece_validated", Some(kind), &next, now, detail),
            record: next,
            mail,
        }))
    })
    .await?;
    Ok(pieces_answer(&changed))
}

pub(super) async fn reject_piece(app: &App, event: RejectPieceEvent) -> AdminResult<Value> {
    let RejectPieceEvent {
        actor,
        email,
        kind,
        reason,
    } = event;
    let changed = change(app, &email, |record, now| {
        if record.status == InscriptionStatus::Cancelled {
            return Err(cancelled_refusal());
        }
        let state = record.pieces.get(&kind).ok_or_else(|| unknown_piece(record, kind))?;
        let label = label_for(kind, &record.data);
        match state.status {
            PieceStatus::Received | PieceStatus::Validated => {}
            PieceStatus::Rejected if state.reason.as_deref() == Some(reason.as_str()) => return Ok(None),
            PieceStatus::Rejected => {
                return Err(AdminError::field(
                    "piece_not_received",
                    "kind",
                    format!("La pièce « {label} » est déjà refusée et attend un nouveau dépôt du candidat."),
                ))
            }
            PieceStatus::Missing => {
                return Err(AdminError::field(
                    "piece_not_received",
                    "kind",
                    format!("La pièce « {label} » n'a pas encore été déposée : il n'y a rien à refuser."),
                ))
            }
        }
        let mut next = record.clone();
        if let Some(piece) = next.pieces.get_mut(&kind) {
            piece.status = PieceStatus::Rejected;
            piece.reason = Some(reason.clone());
            piece.reviewed_at = Some(now);
        }
        next.revision += 1;
        next.updated_at = now;
        next.refresh_status();
        let deadline = next.documents_deadline(&app.calendar);
        let email = Message::new(format!("Pièce refusée : {label}"))
            .para(format!(
                "Les services du rectorat ont examiné votre dossier d'inscription ({}).",
                inscription_title(app, record)
            ))
            .para(format!("La pièce « {label} » n'a pas pu être acceptée, pour le motif suivant :\n{reason}"));
        let email = if deadline > now {
            email
                .para(format!(
                    "Déposez-en une nouvelle version depuis votre espace candidat avant le {} (heure de Paris). Sans elle, votre candidature sera annulée à cette date.",
                    to_paris_string(deadline)
                ))
                .link("Déposer une nouvelle pièce", app.link(emails::DOCUMENTS_PAGE))
        } else if next.awaits_uploads(deadline) {
            // Other pieces were still owed at the deadline: the sweep cancels
            // the candidature (unless the office extends the deadline).
            email
                .para(format!(
                    "La date limite de dépôt des pièces était fixée au {} (heure de Paris), et votre dossier n'était pas complet à cette date.",
                    to_paris_string(deadline)
                ))
                .para("Contactez sans tarder la Division des examens et concours (DIEC 3.05) du rectorat d'Aix-Marseille.")
                .link("Mon espace candidat", app.link(emails::HOME_PAGE))
        } else {
            // Every piece arrived in time: this refusal alone does not cancel
            // the candidature, and uploading is closed until an extension.
            email
                .para("La date limite de dépôt des pièces est passée, mais votre candidature n'est pas annulée : vos pièces sont arrivées à temps.")
                .para("Pour vous permettre de remplacer cette pièce, la Division des examens et concours (DIEC 3.05) du rectorat d'Aix-Marseille peut vous accorder un délai supplémentaire : contactez-la sans tarder. Vous pourrez alors déposer la nouvelle pièce depuis votre espace candidat.")
                .link("Mon espace candidat", app.link(emails::HOME_PAGE))
        };
        let email = email.to(&record.email);
        Ok(Some(Change {
            history: history_line(
                &actor,
                "piece_rejected",
                Some(kind),
                &next,
                now,
                format!("Pièce refusée : {label}. Motif : {reason}"),
            ),
            mail: Some(mail_for(&next, "piece_rejected", email, now)),
            record: next,
        }))
    })
    .await?;
    let mut answer = pieces_answer(&changed);
    let deadline = changed.record.documents_deadline(&app.calendar);
    if changed.record.status == InscriptionStatus::Registered && deadline <= app.now() {
        let warning = if changed.record.awaits_uploads(deadline) {
            "La date limite de dépôt est passée et le dossier n'était pas complet à cette date : l'inscription sera annulée au prochain passage du traitement des délais, sauf prolongation (extend_deadline)."
        } else {
            "La date limite de dépôt est passée : le candidat ne peut plus remplacer cette pièce. Ses pièces étant arrivées à temps, l'inscription n'est pas annulée ; accordez-lui une prolongation (extend_deadline) pour qu'il dépose une nouvelle pièce."
        };
        if let Some(map) = answer.as_object_mut() {
            map.insert("warning".into(), json!(warning));
        }
    }
    Ok(answer)
}

pub(super) async fn extend_deadline(app: &App, event: ExtendDeadlineEvent) -> AdminResult<Value> {
    let ExtendDeadlineEvent {
        actor,
        email,
        until,
    } = event;
    let changed = change(app, &email, |record, now| {
        let closes = app.calendar.windows(record.data.diploma).documents.closes;
        if until <= closes {
            return Err(AdminError::field(
                "invalid_deadline",
                "until",
                format!(
                    "La nouvelle date limite doit venir après la clôture du dépôt des pièces de ce diplôme, le {} (heure de Paris).",
                    to_paris_string(closes)
                ),
            ));
        }
        if until <= now {
            return Err(AdminError::field(
                "invalid_deadline",
                "until",
                format!("La nouvelle date limite doit être dans le futur (il est {}).", to_paris_string(now)),
            ));
        }
        if record.documents_deadline_extension == Some(until) {
            return Ok(None);
        }
        let mut next = record.clone();
        next.documents_deadline_extension = Some(until);
        let reinstated = record.status == InscriptionStatus::Cancelled;
        if reinstated {
            next.status = InscriptionStatus::Registered;
            next.cancelled_at = None;
        }
        next.refresh_status();
        // Reminders already past for the new deadline stay unsent; the others come at their time.
        next.reminders_sent = REMINDERS
            .iter()
            .filter(|(_, before)| until - *before <= now)
            .map(|(name, _)| (*name).to_owned())
            .collect();
        next.revision += 1;
        next.updated_at = now;
        let mut detail = format!(
            "Date limite de dépôt des pièces prolongée jusqu'au {} (heure de Paris).",
            to_paris_string(until)
        );
        if reinstated {
            detail.push_str(" Inscription rétablie.");
        }
        let mail = (next.status == InscriptionStatus::Registered).then(|| {
            let subject = if reinstated {
                "Votre inscription est rétablie : nouveau délai pour vos pièces"
            } else {
                "Prolongation du délai de dépôt de vos pièces"
            };
            let mut message = Message::new(subject);
            if reinstated {
                message = message.para(format!(
                    "Votre inscription ({}) avait été annulée faute de dossier complet. Les services du rectorat la rétablissent et vous accordent un nouveau délai.",
                    inscription_title(app, record)
                ));
            } else {
                message = message.para(format!(
                    "Les services du rectorat prolongent le délai de dépôt des pièces de votre inscription ({}).",
                    inscription_title(app, record)
                ));
            }
            message = message.para(format!(
                "Vous avez jusqu'au {} (heure de Paris) pour déposer votre confirmation d'inscription datée et signée et vos pièces justificatives. Passé ce délai, votre candidature sera annulée si votre dossier n'est pas complet.",
                to_paris_string(until)
            ));
            let missing = missing_pieces_fr(&next);
            if !missing.is_empty() {
                message = message.para(format!("Pièces encore attendues :\n{missing}"));
            }
            let email = message
                .link("Déposer mes pièces dans mon espace candidat", app.link(emails::DOCUMENTS_PAGE))
                .to(&record.email);
            mail_for(&next, "deadline_extended", email, now)
        });
        Ok(Some(Change {
            history: history_line(&actor, "deadline_extended", None, &next, now, detail),
            record: next,
            mail,
        }))
    })
    .await?;
    Ok(json!({
        "email": changed.record.email,
        "documents_deadline": instant(changed.record.documents_deadline(&app.calendar)),
        "status": changed.record.status,
        "notification": changed.notification(),
    }))
}
