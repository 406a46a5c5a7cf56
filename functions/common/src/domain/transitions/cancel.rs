//! The cancellation of a dossier still incomplete once its documents
//! deadline (the window's close, or the candidate's extension) has passed.

use chrono::{DateTime, Utc};

use super::{Actor, HistoryAction, HistoryLine, OwedEmail, Transition};
use crate::domain::dossier::InscriptionStatus;
use crate::domain::record::InscriptionRecord;
use crate::wording::to_paris_string;

/// Cancels `record`, whose `deadline` passed with pieces still owed (see
/// [`super::reminder::due`] for when it applies).
pub fn cancel(
    record: &InscriptionRecord,
    deadline: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Transition {
    let mut next = record.clone();
    next.revision += 1;
    next.status = InscriptionStatus::Cancelled;
    next.cancelled_at = Some(now);
    next.updated_at = now;
    let history = HistoryLine {
        at: now,
        actor: Actor::System,
        action: HistoryAction::Cancelled,
        fields: Vec::new(),
        version: next.version,
        detail: Some(format!(
            "Inscription annulée : dossier incomplet à la date limite de dépôt ({}, heure de Paris).",
            to_paris_string(deadline)
        )),
    };
    Transition {
        record: next,
        history,
        emails: vec![OwedEmail::Cancellation { deadline }],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::transitions::fixtures::*;
    use crate::domain::transitions::reminder::due;
    use chrono::Duration;

    #[test]
    fn an_incomplete_dossier_is_cancelled_just_after_its_deadline() {
        let deadline = at(DOCUMENTS_CLOSE);
        let mut record = record(at("2021-10-20T10:00:00Z"));
        record.reminders_sent = vec!["7d".into(), "2d".into()];
        assert!(due(&record, &calendar(), deadline).is_none());
        let now = deadline + Duration::milliseconds(1);
        let t = due(&record, &calendar(), now).unwrap();
        assert_eq!(t.record.status, InscriptionStatus::Cancelled);
        assert_eq!(t.record.cancelled_at, Some(now));
        assert_eq!(t.record.updated_at, now);
        assert_eq!(t.record.revision, record.revision + 1);
        assert_eq!(t.history.action, HistoryAction::Cancelled);
        assert_eq!(t.history.actor, Actor::System);
        assert!(t
            .history
            .detail
            .unwrap()
            .starts_with("Inscription annulée : dossier incomplet à la date limite de dépôt ("));
        assert_eq!(t.emails, [OwedEmail::Cancellation { deadline }]);
        // Cancelled: nothing more falls due.
        assert!(due(&t.record, &calendar(), now + Duration::days(1)).is_none());
    }

    #[test]
    fn an_extension_moves_the_deadline() {
        let deadline = at(DOCUMENTS_CLOSE);
        let mut record = record(at("2021-10-20T10:00:00Z"));
        record.reminders_sent = vec!["7d".into(), "2d".into()];
        record.documents_deadline_extension = Some(deadline + Duration::days(10));
        assert!(due(&record, &calendar(), deadline + Duration::days(1)).is_none());
        let extended = deadline + Duration::days(10);
        assert!(due(&record, &calendar(), extended).is_none());
        let t = due(&record, &calendar(), extended + Duration::milliseconds(1)).unwrap();
        assert_eq!(t.record.status, InscriptionStatus::Cancelled);
    }
}
