//! The exams office extends a candidate's documents deadline (and so
//! reinstates a cancelled inscription). The decision of `services::admin`'s
//! `extend_deadline`, as a pure function.

use chrono::{DateTime, Utc};

use super::{Actor, HistoryAction, HistoryLine, OwedEmail, Transition};
use crate::domain::calendar::SessionCalendar;
use crate::domain::dossier::{InscriptionStatus, REMINDERS};
use crate::domain::record::InscriptionRecord;
use crate::wording::to_paris_string;

/// Why an extension is refused (both on the field `until`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExtensionRefused {
    /// Not after the close of the diploma's documents window (`closes`).
    NotAfterWindowClose { closes: DateTime<Utc> },
    /// Not in the future.
    InThePast { now: DateTime<Utc> },
    /// A withdrawn inscription: reopen it (`reopen`, with `until`) instead.
    Withdrawn,
}

impl ExtensionRefused {
    pub fn code(self) -> &'static str {
        match self {
            ExtensionRefused::Withdrawn => "inscription_withdrawn",
            _ => "invalid_deadline",
        }
    }

    pub fn field(self) -> &'static str {
        match self {
            ExtensionRefused::Withdrawn => "email",
            _ => "until",
        }
    }

    /// What the admin reads, in French.
    pub fn message_fr(self) -> String {
        match self {
            ExtensionRefused::NotAfterWindowClose { closes } => format!(
                "La nouvelle date limite doit venir après la clôture du dépôt des pièces de ce diplôme, le {} (heure de Paris).",
                to_paris_string(closes)
            ),
            ExtensionRefused::InThePast { now } => format!(
                "La nouvelle date limite doit être dans le futur (il est {}).",
                to_paris_string(now)
            ),
            ExtensionRefused::Withdrawn => "Cette inscription est retirée : rouvrez-la d'abord (action « reopen », avec « until » pour une nouvelle date limite).".to_owned(),
        }
    }
}

/// Whether `until` may be `record`'s new documents deadline at `now`: after
/// the close of its diploma's window, and in the future.
pub fn check_until(
    record: &InscriptionRecord,
    until: DateTime<Utc>,
    calendar: &SessionCalendar,
    now: DateTime<Utc>,
) -> Result<(), ExtensionRefused> {
    let closes = calendar.windows(record.data.diploma).documents.closes;
    if until <= closes {
        return Err(ExtensionRefused::NotAfterWindowClose { closes });
    }
    if until <= now {
        return Err(ExtensionRefused::InThePast { now });
    }
    Ok(())
}

/// The reminders whose time is already past at `now` for `deadline`: marked
/// sent, so that only those still ahead go out, at their time.
pub fn reminders_past(deadline: DateTime<Utc>, now: DateTime<Utc>) -> Vec<String> {
    REMINDERS
        .iter()
        .filter(|(_, before)| deadline - *before <= now)
        .map(|(name, _)| (*name).to_owned())
        .collect()
}

/// Extends `record`'s documents deadline to `until`; `None` when it is
/// extended to that very instant already. A cancelled inscription is
/// reinstated. The candidate is told while their dossier is registered.
pub fn extend(
    record: &InscriptionRecord,
    until: DateTime<Utc>,
    actor: &Actor,
    calendar: &SessionCalendar,
    now: DateTime<Utc>,
) -> Result<Option<Transition>, ExtensionRefused> {
    if record.status == InscriptionStatus::Withdrawn {
        return Err(ExtensionRefused::Withdrawn);
    }
    check_until(record, until, calendar, now)?;
    if record.documents_deadline_extension == Some(until) {
        return Ok(None);
    }
    let mut next = record.clone();
    next.documents_deadline_extension = Some(until);
    next.extension_job = None;
    let reinstated = record.status == InscriptionStatus::Cancelled;
    if reinstated {
        next.status = InscriptionStatus::Registered;
        next.cancelled_at = None;
    }
    next.refresh_status();
    // Reminders already past for the new deadline stay unsent; the others come at their time.
    next.reminders_sent = reminders_past(until, now);
    next.revision += 1;
    next.updated_at = now;
    let mut detail = format!(
        "Date limite de dépôt des pièces prolongée jusqu'au {} (heure de Paris).",
        to_paris_string(until)
    );
    if reinstated {
        detail.push_str(" Inscription rétablie.");
    }
    let emails = if next.status == InscriptionStatus::Registered {
        vec![OwedEmail::DeadlineExtended { until, reinstated }]
    } else {
        Vec::new()
    };
    Ok(Some(Transition {
        history: HistoryLine {
            at: now,
            actor: actor.clone(),
            action: HistoryAction::DeadlineExtended,
            fields: Vec::new(),
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
    use crate::domain::transitions::fixtures::*;
    use chrono::Duration;

    fn admin() -> Actor {
        Actor::Admin("Mme Durand (DIEC)".into())
    }

    #[test]
    fn the_new_deadline_must_be_after_the_window_and_in_the_future() {
        let closes = at(DOCUMENTS_CLOSE);
        let record = record(at(BOTH_OPEN));
        let now = closes + Duration::days(2);
        assert_eq!(
            extend(&record, closes, &admin(), &calendar(), at(BOTH_OPEN)).unwrap_err(),
            ExtensionRefused::NotAfterWindowClose { closes }
        );
        assert_eq!(
            extend(&record, now, &admin(), &calendar(), now).unwrap_err(),
            ExtensionRefused::InThePast { now }
        );
        let refused = ExtensionRefused::InThePast { now };
        assert_eq!(
            (refused.code(), refused.field()),
            ("invalid_deadline", "until")
        );
        assert!(refused
            .message_fr()
            .starts_with("La nouvelle date limite doit être dans le futur"));
    }

    #[test]
    fn an_extension_reinstates_a_cancelled_inscription_and_owes_the_email() {
        let closes = at(DOCUMENTS_CLOSE);
        let now = closes + Duration::days(2);
        let mut record = record(at(BOTH_OPEN));
        record.status = InscriptionStatus::Cancelled;
        record.cancelled_at = Some(now);
        record.reminders_sent = vec!["7d".into(), "2d".into()];
        let until = now + Duration::days(5);
        let t = extend(&record, until, &admin(), &calendar(), now)
            .unwrap()
            .unwrap();
        assert_eq!(t.record.status, InscriptionStatus::Registered);
        assert_eq!(t.record.cancelled_at, None);
        // The 7-day mark of the new deadline is past, the 2-day one ahead.
        assert_eq!(t.record.reminders_sent, ["7d"]);
        assert_eq!(t.record.documents_deadline_extension, Some(until));
        assert!(t
            .history
            .detail
            .as_deref()
            .unwrap()
            .ends_with("Inscription rétablie."));
        assert_eq!(t.history.actor, admin());
        assert_eq!(
            t.emails,
            [OwedEmail::DeadlineExtended {
                until,
                reinstated: true
            }]
        );
        // The same deadline again: nothing to change.
        assert!(extend(&t.record, until, &admin(), &calendar(), now)
            .unwrap()
            .is_none());
    }

    #[test]
    fn a_complete_dossier_is_extended_without_an_email() {
        let closes = at(DOCUMENTS_CLOSE);
        let created = at(BOTH_OPEN);
        let record = all_received(record(created), created);
        let t = extend(
            &record,
            closes + Duration::days(20),
            &admin(),
            &calendar(),
            created,
        )
        .unwrap()
        .unwrap();
        assert_eq!(t.record.status, InscriptionStatus::Complete);
        assert!(t.emails.is_empty());
        assert!(t.record.reminders_sent.is_empty());
    }
}
