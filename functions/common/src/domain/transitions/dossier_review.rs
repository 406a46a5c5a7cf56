//! `validate_dossier`: the office validates every piece of a dossier it has
//! received, at once (a gestionnaire's action on one dossier), in one history
//! line.

use chrono::{DateTime, Utc};

use super::piece_review::{open_to_review, ReviewRefused};
use super::{Actor, HistoryAction, HistoryLine, OwedEmail, Transition};
use crate::domain::dossier::{InscriptionStatus, PieceStatus};
use crate::domain::pieces::label_for;
use crate::domain::record::InscriptionRecord;

/// Why a whole dossier cannot be validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DossierReviewRefused {
    Review(ReviewRefused),
    /// No piece is received and awaiting review.
    NothingReceived,
}

impl DossierReviewRefused {
    pub fn code(&self) -> &'static str {
        match self {
            DossierReviewRefused::Review(refused) => refused.code(),
            DossierReviewRefused::NothingReceived => "piece_not_received",
        }
    }

    pub fn message_fr(&self) -> String {
        match self {
            DossierReviewRefused::Review(refused) => refused.message_fr(),
            DossierReviewRefused::NothingReceived => {
                "Aucune pièce de ce dossier n'est reçue en attente de vérification : il n'y a rien à valider.".to_owned()
            }
        }
    }
}

/// Validates every received piece of `record`; `None` when every piece is
/// validated already. The pieces missing or refused stay so; the dossier is
/// validated (and the candidate told) when no other piece is left.
pub fn validate_all(
    record: &InscriptionRecord,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Option<Transition>, DossierReviewRefused> {
    open_to_review(record).map_err(DossierReviewRefused::Review)?;
    let received: Vec<_> = record
        .pieces
        .iter()
        .filter(|(_, state)| state.status == PieceStatus::Received)
        .map(|(kind, _)| *kind)
        .collect();
    if received.is_empty() {
        let all_validated = record
            .pieces
            .values()
            .all(|state| state.status == PieceStatus::Validated);
        return if all_validated {
            Ok(None)
        } else {
            Err(DossierReviewRefused::NothingReceived)
        };
    }
    let mut next = record.clone();
    for kind in &received {
        if let Some(piece) = next.pieces.get_mut(kind) {
            piece.status = PieceStatus::Validated;
            piece.reason = None;
            piece.reviewed_at = Some(now);
        }
    }
    next.revision += 1;
    next.updated_at = now;
    next.refresh_status();
    let labels: Vec<String> = received
        .iter()
        .map(|kind| label_for(*kind, &record.data))
        .collect();
    let mut detail = format!("Pièces validées : {}.", labels.join(", "));
    let mut emails = Vec::new();
    if next.status == InscriptionStatus::Validated && record.status != InscriptionStatus::Validated
    {
        detail.push_str(" Toutes les pièces sont validées : dossier validé.");
        emails.push(OwedEmail::DossierValidated);
    }
    Ok(Some(Transition {
        history: HistoryLine {
            at: now,
            actor: actor.clone(),
            action: HistoryAction::DossierValidated,
            fields: received.iter().map(|k| k.code().to_owned()).collect(),
            version: next.version,
            detail: Some(detail),
        },
        record: next,
        emails,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::dossier::PieceState;
    use crate::domain::pieces::PieceKind;
    use crate::domain::transitions::fixtures::*;

    fn admin() -> Actor {
        Actor::Admin("M. Martin".into())
    }

    #[test]
    fn every_received_piece_is_validated_in_one_line() {
        let now = at(BOTH_OPEN);
        let record = all_received(record(now), now);
        let t = validate_all(&record, &admin(), now).unwrap().unwrap();
        assert_eq!(t.record.status, InscriptionStatus::Validated);
        assert!(t
            .record
            .pieces
            .values()
            .all(|p| p.status == PieceStatus::Validated));
        assert_eq!(t.history.action, HistoryAction::DossierValidated);
        assert_eq!(t.history.fields.len(), record.pieces.len());
        assert_eq!(t.emails, [OwedEmail::DossierValidated]);
        // Again: nothing to do.
        assert!(validate_all(&t.record, &admin(), now).unwrap().is_none());
    }

    #[test]
    fn missing_pieces_stay_missing_and_an_empty_dossier_is_refused() {
        let now = at(BOTH_OPEN);
        let mut record = all_received(record(now), now);
        record
            .pieces
            .insert(PieceKind::IdentityDocument, PieceState::missing());
        record.refresh_status();
        let t = validate_all(&record, &admin(), now).unwrap().unwrap();
        assert_eq!(t.record.status, InscriptionStatus::Registered);
        assert_eq!(
            t.record.pieces[&PieceKind::IdentityDocument].status,
            PieceStatus::Missing
        );
        assert!(t.emails.is_empty());
        assert_eq!(
            validate_all(&t.record, &admin(), now).unwrap_err(),
            DossierReviewRefused::NothingReceived
        );
        let mut withdrawn = t.record;
        withdrawn.status = InscriptionStatus::Withdrawn;
        assert_eq!(
            validate_all(&withdrawn, &admin(), now).unwrap_err().code(),
            "inscription_withdrawn"
        );
    }
}
