//! `correct`: the office corrects the candidate's identity, typically after
//! the registration window closed (when the candidate no longer can). A new
//! version, the reason in the history, the candidate emailed with what changed.
//!
//! The signed confirmation already received is kept: the notice has the
//! candidate correct the printed confirmation by hand (« rectifier le
//! document au stylo rouge »); here the office makes the correction itself,
//! on its own authority, so it does not void the candidate's signature, as
//! a candidate's own save does. The confirmation PDF printed from now on
//! bears the new version; the history line says which version was signed.

use chrono::{DateTime, NaiveDate, Utc};

use super::{Actor, HistoryAction, HistoryLine, OwedEmail, Transition};
use crate::domain::dossier::{reconcile_pieces, PieceStatus};
use crate::domain::inscription::{changed_fields, ValidInscription};
use crate::domain::pieces::PieceKind;
use crate::domain::record::InscriptionRecord;

/// Replaces `record`'s data by `data` (validated, the identity corrected);
/// `None` when that changes nothing.
pub fn correct(
    record: &InscriptionRecord,
    data: &ValidInscription,
    reason: &str,
    actor: &Actor,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Option<Transition> {
    let fields = changed_fields(&record.data, data);
    if fields.is_empty() {
        return None;
    }
    let mut next = record.clone();
    next.data = data.clone();
    next.version += 1;
    next.revision += 1;
    next.updated_at = now;
    // A corrected birth date or nationality may call for other pieces.
    next.pieces = reconcile_pieces(data, today, &record.pieces);
    next.refresh_status();
    let mut detail = format!("Identité corrigée par le rectorat (motif : {reason}).");
    if let Some(signed) = next
        .pieces
        .get(&PieceKind::SignedConfirmation)
        .filter(|piece| piece.status != PieceStatus::Missing)
        .and_then(|piece| piece.signed_version)
    {
        detail.push_str(&format!(
            " La confirmation signée reçue (version {signed}) reste valable."
        ));
    }
    Some(Transition {
        history: HistoryLine {
            at: now,
            actor: actor.clone(),
            action: HistoryAction::Corrected,
            fields,
            version: next.version,
            detail: Some(detail),
        },
        record: next,
        emails: vec![OwedEmail::Corrected {
            previous: Box::new(record.data.clone()),
            reason: reason.to_owned(),
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::dossier::InscriptionStatus;
    use crate::domain::transitions::fixtures::*;

    #[test]
    fn a_correction_is_a_new_version_that_keeps_the_signed_confirmation() {
        let created = at(BOTH_OPEN);
        let mut record = all_received(record(created), created);
        if let Some(piece) = record.pieces.get_mut(&PieceKind::SignedConfirmation) {
            piece.signed_version = Some(1);
        }
        let now = at(DOCUMENTS_CLOSE);
        let mut data = record.data.clone();
        data.identity.last_name = "N'Diaye-Martin".into();
        let admin = Actor::Admin("Mme Durand".into());
        let t = correct(&record, &data, "Nom d'usage", &admin, now.date_naive(), now).unwrap();
        assert_eq!(t.record.version, record.version + 1);
        assert_eq!(t.record.data.identity.last_name, "N'Diaye-Martin");
        assert_eq!(t.record.status, InscriptionStatus::Complete);
        assert_eq!(
            t.record.pieces[&PieceKind::SignedConfirmation].status,
            PieceStatus::Received
        );
        assert_eq!(t.history.fields, ["identity.last_name"]);
        assert_eq!(
            t.history.detail.as_deref(),
            Some("Identité corrigée par le rectorat (motif : Nom d'usage). La confirmation signée reçue (version 1) reste valable.")
        );
        assert!(
            matches!(&t.emails[..], [OwedEmail::Corrected { reason, .. }] if reason == "Nom d'usage")
        );
        // The same identity again: nothing to change.
        assert!(correct(&t.record, &data, "x", &admin, now.date_naive(), now).is_none());
    }
}
