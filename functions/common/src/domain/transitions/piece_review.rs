//! The exams office's review of a piece received: validated, or rejected
//! with a reason (the candidate then uploads a new one). The decisions of
//! `services::admin`'s `validate_piece` and `reject_piece`, as pure functions.

use chrono::{DateTime, Utc};

use super::{Actor, AfterRejection, HistoryAction, HistoryLine, OwedEmail, Transition};
use crate::domain::calendar::SessionCalendar;
use crate::domain::dossier::{InscriptionStatus, PieceStatus};
use crate::domain::pieces::{label_for, PieceKind};
use crate::domain::record::InscriptionRecord;

/// Why a review is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReviewRefused {
    /// A cancelled inscription: extend its deadline first to reinstate it.
    InscriptionCancelled,
    /// A withdrawn inscription: reopen it first.
    InscriptionWithdrawn,
    /// The inscription does not require this piece; `required` are those it does.
    UnknownPiece {
        kind: PieceKind,
        required: Vec<PieceKind>,
    },
    /// Nothing received to validate: the piece is `status`.
    NotReceived { label: String, status: PieceStatus },
    /// Rejected already (for another reason), awaiting a new upload.
    AlreadyRejected { label: String },
    /// Nothing uploaded yet: nothing to reject.
    NotUploaded { label: String },
}

impl ReviewRefused {
    /// The code the admin API answers.
    pub fn code(&self) -> &'static str {
        match self {
            ReviewRefused::InscriptionCancelled => "inscription_cancelled",
            ReviewRefused::InscriptionWithdrawn => "inscription_withdrawn",
            ReviewRefused::UnknownPiece { .. } => "unknown_piece",
            ReviewRefused::NotReceived { .. }
            | ReviewRefused::AlreadyRejected { .. }
            | ReviewRefused::NotUploaded { .. } => "piece_not_received",
        }
    }

    /// The field at fault, if one is.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            ReviewRefused::InscriptionCancelled | ReviewRefused::InscriptionWithdrawn => None,
            _ => Some("kind"),
        }
    }

    /// What the admin reads, in French.
    pub fn message_fr(&self) -> String {
        match self {
            ReviewRefused::InscriptionCancelled => "Cette inscription est annulée : prolongez d'abord la date limite de dépôt (extend_deadline) pour la rétablir.".to_owned(),
            ReviewRefused::InscriptionWithdrawn => "Cette inscription est retirée : rouvrez-la d'abord (action « reopen »).".to_owned(),
            ReviewRefused::UnknownPiece { kind, required } => {
                let required: Vec<&str> = required.iter().map(|k| k.code()).collect();
                format!(
                    "Cette inscription ne demande pas la pièce « {} » ; pièces demandées : {}.",
                    kind.code(),
                    required.join(", ")
                )
            }
            ReviewRefused::NotReceived { label, status } => format!(
                "La pièce « {label} » n'a pas été reçue (elle est {}) : elle ne peut pas être validée.",
                status.label_fr()
            ),
            ReviewRefused::AlreadyRejected { label } => format!(
                "La pièce « {label} » est déjà refusée et attend un nouveau dépôt du candidat."
            ),
            ReviewRefused::NotUploaded { label } => format!(
                "La pièce « {label} » n'a pas encore été déposée : il n'y a rien à refuser."
            ),
        }
    }
}

/// Whether the office may review the pieces of `record` (not cancelled, not
/// withdrawn).
pub fn open_to_review(record: &InscriptionRecord) -> Result<(), ReviewRefused> {
    match record.status {
        InscriptionStatus::Cancelled => Err(ReviewRefused::InscriptionCancelled),
        InscriptionStatus::Withdrawn => Err(ReviewRefused::InscriptionWithdrawn),
        _ => Ok(()),
    }
}

fn reviewable(record: &InscriptionRecord, kind: PieceKind) -> Result<PieceStatus, ReviewRefused> {
    open_to_review(record)?;
    record
        .pieces
        .get(&kind)
        .map(|state| state.status)
        .ok_or_else(|| ReviewRefused::UnknownPiece {
            kind,
            required: record.pieces.keys().copied().collect(),
        })
}

fn review_line(
    actor: &Actor,
    action: HistoryAction,
    kind: PieceKind,
    next: &InscriptionRecord,
    now: DateTime<Utc>,
    detail: String,
) -> HistoryLine {
    HistoryLine {
        at: now,
        actor: actor.clone(),
        action,
        fields: vec![kind.code().to_owned()],
        version: next.version,
        detail: Some(detail),
    }
}

/// Validates the piece `kind` received; `None` when it is validated already.
/// The last piece validated validates the dossier, which owes an email.
pub fn validate(
    record: &InscriptionRecord,
    kind: PieceKind,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Option<Transition>, ReviewRefused> {
    match reviewable(record, kind)? {
        PieceStatus::Validated => return Ok(None),
        PieceStatus::Received => {}
        status @ (PieceStatus::Missing | PieceStatus::Rejected) => {
            return Err(ReviewRefused::NotReceived {
                label: label_for(kind, &record.data),
                status,
            })
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
    let mut detail = format!("Pièce validée : {}.", label_for(kind, &record.data));
    let mut emails = Vec::new();
    if next.status == InscriptionStatus::Validated && record.status != InscriptionStatus::Validated
    {
        detail.push_str(" Toutes les pièces sont validées : dossier validé.");
        emails.push(OwedEmail::DossierValidated);
    }
    Ok(Some(Transition {
        history: review_line(
            actor,
            HistoryAction::PieceValidated,
            kind,
            &next,
            now,
            detail,
        ),
        record: next,
        emails,
    }))
}

/// Rejects the piece `kind` (received or validated) for `reason`; `None`
/// when it is rejected already for this very reason. The email says what
/// the candidate can do, which depends on the deadline.
pub fn reject(
    record: &InscriptionRecord,
    kind: PieceKind,
    reason: &str,
    actor: &Actor,
    calendar: &SessionCalendar,
    now: DateTime<Utc>,
) -> Result<Option<Transition>, ReviewRefused> {
    let status = reviewable(record, kind)?;
    let label = label_for(kind, &record.data);
    match status {
        PieceStatus::Received | PieceStatus::Validated => {}
        PieceStatus::Rejected if record.pieces[&kind].reason.as_deref() == Some(reason) => {
            return Ok(None)
        }
        PieceStatus::Rejected => return Err(ReviewRefused::AlreadyRejected { label }),
        PieceStatus::Missing => return Err(ReviewRefused::NotUploaded { label }),
    }
    let mut next = record.clone();
    if let Some(piece) = next.pieces.get_mut(&kind) {
        // Its files are kept as evidence but no longer count: the piece
        // starts again empty.
        let refused = piece.current_files();
        piece.rejected_files.extend(refused);
        piece.files.clear();
        piece.status = PieceStatus::Rejected;
        piece.reason = Some(reason.to_owned());
        piece.reviewed_at = Some(now);
    }
    next.revision += 1;
    next.updated_at = now;
    next.refresh_status();
    let deadline = next.documents_deadline(calendar);
    let after = if deadline > now {
        AfterRejection::ReplaceBefore
    } else if next.awaits_uploads(deadline) {
        // Other pieces were still owed at the deadline: the sweep cancels
        // the candidature (unless the office extends the deadline).
        AfterRejection::WillBeCancelled
    } else {
        // Every piece arrived in time: this refusal alone does not cancel
        // the candidature, and uploading is closed until an extension.
        AfterRejection::AskForExtension
    };
    let detail = format!("Pièce refusée : {label}. Motif : {reason}");
    Ok(Some(Transition {
        history: review_line(
            actor,
            HistoryAction::PieceRejected,
            kind,
            &next,
            now,
            detail,
        ),
        record: next,
        emails: vec![OwedEmail::PieceRejected {
            kind,
            reason: reason.to_owned(),
            deadline,
            after,
        }],
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::transitions::fixtures::*;
    use chrono::Duration;

    fn admin() -> Actor {
        Actor::Admin("Mme Durand (DIEC)".into())
    }

    #[test]
    fn only_a_received_piece_is_validated_and_the_last_validates_the_dossier() {
        let now = at(BOTH_OPEN);
        let mut record = record(now);
        let kind = PieceKind::IdentityDocument;
        assert!(matches!(
            validate(&record, kind, &admin(), now).unwrap_err(),
            ReviewRefused::NotReceived {
                status: PieceStatus::Missing,
                ..
            }
        ));
        record = all_received(record, now);
        let kinds: Vec<PieceKind> = record.pieces.keys().copied().collect();
        for (i, kind) in kinds.iter().enumerate() {
            let t = validate(&record, *kind, &admin(), now).unwrap().unwrap();
            assert_eq!(t.history.actor.recorded(), "console:Mme Durand (DIEC)");
            assert_eq!(t.history.action, HistoryAction::PieceValidated);
            let last = i + 1 == kinds.len();
            assert_eq!(t.emails.is_empty(), !last);
            assert_eq!(
                t.history
                    .detail
                    .as_ref()
                    .unwrap()
                    .contains("dossier validé"),
                last
            );
            record = t.record;
        }
        assert_eq!(record.status, InscriptionStatus::Validated);
        // Validated already: nothing to change.
        assert!(validate(&record, kinds[0], &admin(), now)
            .unwrap()
            .is_none());
    }

    #[test]
    fn a_cancelled_inscription_or_an_unknown_piece_is_refused() {
        let now = at(BOTH_OPEN);
        let mut record = record(now);
        let unknown = PieceKind::ALL
            .into_iter()
            .find(|k| !record.pieces.contains_key(k))
            .unwrap();
        let refused = validate(&record, unknown, &admin(), now).unwrap_err();
        assert_eq!(refused.code(), "unknown_piece");
        assert!(refused.message_fr().contains(unknown.code()));
        record.status = InscriptionStatus::Cancelled;
        let refused = reject(&record, unknown, "x", &admin(), &calendar(), now).unwrap_err();
        assert_eq!(refused, ReviewRefused::InscriptionCancelled);
        assert_eq!(refused.field(), None);
    }

    #[test]
    fn a_rejection_says_what_to_do_on_each_side_of_the_deadline() {
        let deadline = at(DOCUMENTS_CLOSE);
        let created = at(BOTH_OPEN);
        let record = all_received(record(created), created);
        let kind = PieceKind::IdentityDocument;
        let after = |now| match reject(&record, kind, "Illisible", &admin(), &calendar(), now)
            .unwrap()
            .unwrap()
            .emails[..]
        {
            [OwedEmail::PieceRejected { after, .. }] => after,
            ref other => panic!("{other:?}"),
        };
        assert_eq!(
            after(deadline - Duration::milliseconds(1)),
            AfterRejection::ReplaceBefore
        );
        // Refused on the deadline's last millisecond: there was time to replace it.
        assert_eq!(after(deadline), AfterRejection::WillBeCancelled);
        // Refused after it, every piece having come in time: the office may extend.
        let past = deadline + Duration::milliseconds(1);
        assert_eq!(after(past), AfterRejection::AskForExtension);
        let t = reject(&record, kind, "Illisible", &admin(), &calendar(), past)
            .unwrap()
            .unwrap();
        assert_eq!(t.record.pieces[&kind].status, PieceStatus::Rejected);
        assert_eq!(t.record.status, InscriptionStatus::Registered);
        assert!(t.history.detail.unwrap().ends_with("Motif : Illisible"));
        // The same reason again: nothing to change; another: refused.
        assert!(
            reject(&t.record, kind, "Illisible", &admin(), &calendar(), past)
                .unwrap()
                .is_none()
        );
        assert!(matches!(
            reject(&t.record, kind, "Autre", &admin(), &calendar(), past).unwrap_err(),
            ReviewRefused::AlreadyRejected { .. }
        ));
    }

    #[test]
    fn a_rejection_past_the_deadline_of_an_incomplete_dossier_leads_to_cancellation() {
        let deadline = at(DOCUMENTS_CLOSE);
        let created = at(BOTH_OPEN);
        let mut record = record(created);
        let kind = PieceKind::IdentityDocument;
        record
            .pieces
            .insert(kind, received(created, "candidates/a/identity_document/b"));
        let t = reject(
            &record,
            kind,
            "Illisible",
            &admin(),
            &calendar(),
            deadline + Duration::days(1),
        )
        .unwrap()
        .unwrap();
        assert!(matches!(
            t.emails[..],
            [OwedEmail::PieceRejected {
                after: AfterRejection::WillBeCancelled,
                ..
            }]
        ));
        assert!(matches!(
            reject(
                &record,
                PieceKind::SignedConfirmation,
                "x",
                &admin(),
                &calendar(),
                deadline
            ),
            Err(ReviewRefused::NotUploaded { .. })
        ));
    }
}
