//! A withdrawal (« désistement »): the candidate (`POST /inscription/withdraw`)
//! or the office (`withdraw`) closes the dossier; the office may `reopen` it.
//!
//! A withdrawn dossier is never reminded nor cancelled: only a `registered`
//! dossier awaits uploads (`InscriptionRecord::awaits_uploads`), so the
//! record written here carries no due work in gsi1.

use chrono::{DateTime, Utc};

use super::extension::{reminders_past, ExtensionRefused};
use super::{Actor, HistoryAction, HistoryLine, OwedEmail, Transition};
use crate::domain::calendar::SessionCalendar;
use crate::domain::dossier::InscriptionStatus;
use crate::domain::record::InscriptionRecord;
use crate::wording::to_paris_string;

/// Who withdraws, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Withdrawal {
    /// The candidate, from their space.
    ByCandidate,
    /// The office, for `reason`.
    ByOffice { actor: Actor, reason: String },
}

/// Withdraws `record` (any status but withdrawn); `None` when it is
/// withdrawn already: a withdrawal sent twice changes nothing more.
pub fn withdraw(
    record: &InscriptionRecord,
    withdrawal: &Withdrawal,
    now: DateTime<Utc>,
) -> Option<Transition> {
    if record.status == InscriptionStatus::Withdrawn {
        return None;
    }
    let mut next = record.clone();
    next.status = InscriptionStatus::Withdrawn;
    next.withdrawn_at = Some(now);
    next.revision += 1;
    next.updated_at = now;
    let (actor, detail, email) = match withdrawal {
        Withdrawal::ByCandidate => (
            Actor::Candidate,
            "Le candidat s'est désisté : inscription retirée.".to_owned(),
            OwedEmail::Withdrawn {
                by_office: false,
                reason: None,
            },
        ),
        Withdrawal::ByOffice { actor, reason } => (
            actor.clone(),
            format!("Inscription retirée par le rectorat. Motif : {reason}"),
            OwedEmail::Withdrawn {
                by_office: true,
                reason: Some(reason.clone()),
            },
        ),
    };
    Some(Transition {
        history: HistoryLine {
            at: now,
            actor,
            action: HistoryAction::Withdrawn,
            fields: Vec::new(),
            version: next.version,
            detail: Some(detail),
        },
        record: next,
        emails: vec![email],
    })
}

/// Why a reopening is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReopenRefused {
    /// Only a withdrawn or cancelled dossier reopens; it is `status`.
    NotClosed { status: InscriptionStatus },
    /// The new deadline given is not acceptable.
    Deadline(ExtensionRefused),
}

impl ReopenRefused {
    pub fn code(&self) -> &'static str {
        match self {
            ReopenRefused::NotClosed { .. } => "not_reopenable",
            ReopenRefused::Deadline(refused) => refused.code(),
        }
    }

    pub fn field(&self) -> &'static str {
        match self {
            ReopenRefused::NotClosed { .. } => "email",
            ReopenRefused::Deadline(refused) => refused.field(),
        }
    }

    pub fn message_fr(&self) -> String {
        match self {
            ReopenRefused::NotClosed { status } => format!(
                "Seule une inscription retirée ou annulée peut être rouverte ; celle-ci est {}.",
                status.short_label_fr()
            ),
            ReopenRefused::Deadline(refused) => refused.message_fr(),
        }
    }
}

/// Reopens a withdrawn or cancelled `record`: back to `registered`, or
/// `complete` (`validated`) when its pieces are in. `until`, when given,
/// extends its documents deadline as `extend_deadline` would, so that a
/// dossier reopened after its deadline is not cancelled by the next sweep.
pub fn reopen(
    record: &InscriptionRecord,
    until: Option<DateTime<Utc>>,
    actor: &Actor,
    calendar: &SessionCalendar,
    now: DateTime<Utc>,
) -> Result<Transition, ReopenRefused> {
    if !record.status.is_closed() {
        return Err(ReopenRefused::NotClosed {
            status: record.status,
        });
    }
    if let Some(until) = until {
        super::extension::check_until(record, until, calendar, now)
            .map_err(ReopenRefused::Deadline)?;
    }
    let mut next = record.clone();
    next.status = InscriptionStatus::Registered;
    next.withdrawn_at = None;
    next.cancelled_at = None;
    next.refresh_status();
    let mut detail = format!("Inscription rouverte ({}).", next.status.short_label_fr());
    if let Some(until) = until {
        next.documents_deadline_extension = Some(until);
        next.extension_job = None;
        detail.push_str(&format!(
            " Date limite de dépôt des pièces : {} (heure de Paris).",
            to_paris_string(until)
        ));
    }
    // Reminders whose time is past for the deadline now in force stay unsent.
    next.reminders_sent = reminders_past(next.documents_deadline(calendar), now);
    next.revision += 1;
    next.updated_at = now;
    Ok(Transition {
        history: HistoryLine {
            at: now,
            actor: actor.clone(),
            action: HistoryAction::Reopened,
            fields: Vec::new(),
            version: next.version,
            detail: Some(detail),
        },
        record: next,
        emails: vec![OwedEmail::Reopened { until }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::transitions::fixtures::*;
    use crate::domain::transitions::reminder::due;
    use chrono::Duration;

    fn office() -> Withdrawal {
        Withdrawal::ByOffice {
            actor: Actor::Admin("Mme Durand".into()),
            reason: "Demande écrite du candidat.".into(),
        }
    }

    #[test]
    fn a_withdrawn_dossier_is_never_reminded_nor_cancelled() {
        let created = at(BOTH_OPEN);
        let record = record(created);
        let t = withdraw(&record, &Withdrawal::ByCandidate, created).unwrap();
        assert_eq!(t.record.status, InscriptionStatus::Withdrawn);
        assert_eq!(t.record.withdrawn_at, Some(created));
        assert_eq!(t.history.actor, Actor::Candidate);
        assert_eq!(t.history.action, HistoryAction::Withdrawn);
        assert_eq!(
            t.emails,
            [OwedEmail::Withdrawn {
                by_office: false,
                reason: None
            }]
        );
        let deadline = at(DOCUMENTS_CLOSE);
        for now in [deadline - Duration::days(7), deadline + Duration::days(1)] {
            assert!(due(&t.record, &calendar(), now).is_none());
        }
        // Twice: nothing more.
        assert!(withdraw(&t.record, &office(), created).is_none());
    }

    #[test]
    fn the_office_withdraws_with_its_reason() {
        let created = at(BOTH_OPEN);
        let record = all_received(record(created), created);
        let t = withdraw(&record, &office(), created).unwrap();
        assert_eq!(t.history.actor.recorded(), "console:Mme Durand");
        assert!(t
            .history
            .detail
            .unwrap()
            .ends_with("Motif : Demande écrite du candidat."));
        assert_eq!(
            t.emails,
            [OwedEmail::Withdrawn {
                by_office: true,
                reason: Some("Demande écrite du candidat.".into())
            }]
        );
    }

    #[test]
    fn a_reopened_dossier_follows_its_pieces_and_its_new_deadline() {
        let created = at(BOTH_OPEN);
        let admin = Actor::Admin("Mme Durand".into());
        let complete = all_received(record(created), created);
        let withdrawn = withdraw(&complete, &office(), created).unwrap().record;
        let t = reopen(&withdrawn, None, &admin, &calendar(), created).unwrap();
        assert_eq!(t.record.status, InscriptionStatus::Complete);
        assert_eq!(t.record.withdrawn_at, None);
        assert_eq!(t.emails, [OwedEmail::Reopened { until: None }]);

        // Reopened after the deadline, with a new one: not cancelled at once.
        let late = at(DOCUMENTS_CLOSE) + Duration::days(3);
        let incomplete = withdraw(&record(created), &office(), created)
            .unwrap()
            .record;
        let until = late + Duration::days(10);
        let t = reopen(&incomplete, Some(until), &admin, &calendar(), late).unwrap();
        assert_eq!(t.record.status, InscriptionStatus::Registered);
        assert_eq!(t.record.documents_deadline_extension, Some(until));
        // Both reminders of the new deadline are ahead: they will go out.
        assert!(t.record.reminders_sent.is_empty());
        assert!(due(&t.record, &calendar(), late + Duration::minutes(1)).is_none());
        assert!(due(&t.record, &calendar(), until + Duration::seconds(1)).is_some());

        // Without one, the sweep would cancel it: that is the office's call.
        let t = reopen(&incomplete, None, &admin, &calendar(), late).unwrap();
        assert!(due(&t.record, &calendar(), late).is_some());

        assert_eq!(
            reopen(&complete, None, &admin, &calendar(), created).unwrap_err(),
            ReopenRefused::NotClosed {
                status: InscriptionStatus::Complete
            }
        );
        assert_eq!(
            reopen(&incomplete, Some(late), &admin, &calendar(), late)
                .unwrap_err()
                .code(),
            "invalid_deadline"
        );
    }
}
