//! A legal hold (`hold` / `release_hold`): the office keeps a dossier beyond
//! its retention (a dispute, a court's or the CNIL's request); the purge
//! leaves a held dossier, its history and its files alone. Setting and
//! lifting it each write one history line; neither emails the candidate
//! (the hold is the administration's business, not a decision about them).

use chrono::{DateTime, Utc};

use super::{Actor, HistoryAction, HistoryLine, Transition};
use crate::domain::record::{InscriptionRecord, LegalHold};

/// Puts `record` on hold for `reason`. `None` when it is held already for
/// the same reason (sent twice: nothing more); a new reason replaces the
/// old one, with its own history line.
pub fn hold(
    record: &InscriptionRecord,
    actor: &Actor,
    reason: &str,
    now: DateTime<Utc>,
) -> Option<Transition> {
    if record
        .legal_hold
        .as_ref()
        .is_some_and(|held| held.reason == reason)
    {
        return None;
    }
    let mut next = record.clone();
    next.legal_hold = Some(LegalHold {
        reason: reason.to_owned(),
        actor: actor.recorded(),
        at: now,
    });
    next.revision += 1;
    next.updated_at = now;
    Some(line(
        next,
        actor,
        HistoryAction::Held,
        format!("Conservation au-delà de la durée prévue (gel pour motif légal). Motif : {reason}"),
        now,
    ))
}

/// Lifts the hold of `record`; `None` when it is not held (nothing more).
pub fn release(
    record: &InscriptionRecord,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Option<Transition> {
    let held = record.legal_hold.as_ref()?;
    let detail = format!(
        "Gel pour motif légal levé (posé le {} par {}, motif : {}). Le dossier suit de nouveau la durée de conservation de sa session.",
        crate::wording::to_paris_string(held.at),
        held.actor,
        held.reason
    );
    let mut next = record.clone();
    next.legal_hold = None;
    next.revision += 1;
    next.updated_at = now;
    Some(line(next, actor, HistoryAction::HoldReleased, detail, now))
}

fn line(
    next: InscriptionRecord,
    actor: &Actor,
    action: HistoryAction,
    detail: String,
    now: DateTime<Utc>,
) -> Transition {
    Transition {
        history: HistoryLine {
            at: now,
            actor: actor.clone(),
            action,
            fields: Vec::new(),
            version: next.version,
            detail: Some(detail),
        },
        record: next,
        emails: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::transitions::fixtures;

    fn now() -> DateTime<Utc> {
        "2022-09-01T08:00:00Z".parse().unwrap()
    }

    #[test]
    fn a_hold_is_recorded_with_its_reason_actor_and_time_then_lifted() {
        let record = fixtures::record(fixtures::at("2021-10-26T08:00:00Z"));
        let actor = Actor::from("Mme Durand");
        let held = hold(&record, &actor, "Recours au tribunal administratif.", now()).unwrap();
        assert_eq!(
            held.record.legal_hold,
            Some(LegalHold {
                reason: "Recours au tribunal administratif.".into(),
                actor: "console:Mme Durand".into(),
                at: now(),
            })
        );
        assert_eq!(held.record.revision, record.revision + 1);
        assert_eq!(held.history.action, HistoryAction::Held);
        assert!(held.emails.is_empty());
        assert!(held
            .history
            .detail
            .unwrap()
            .contains("Recours au tribunal administratif."));
        // The same hold again changes nothing; a new reason replaces it.
        assert!(hold(
            &held.record,
            &actor,
            "Recours au tribunal administratif.",
            now()
        )
        .is_none());
        let again = hold(&held.record, &actor, "Demande de la CNIL.", now()).unwrap();
        assert_eq!(
            again.record.legal_hold.unwrap().reason,
            "Demande de la CNIL."
        );

        let released = release(&held.record, &Actor::from("M. Roux"), now()).unwrap();
        assert_eq!(released.record.legal_hold, None);
        assert_eq!(released.history.action, HistoryAction::HoldReleased);
        assert_eq!(released.history.actor.recorded(), "console:M. Roux");
        assert!(release(&released.record, &actor, now()).is_none());
    }
}
