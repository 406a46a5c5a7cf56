//! The reminders 7 and 2 days before the documents deadline, for a dossier
//! still incomplete; and [`due`], what the sweep must do for a dossier now.

use chrono::{DateTime, Utc};

use super::{cancel, days_left, Actor, HistoryLine, OwedEmail, Reminder, Transition};
use crate::domain::calendar::SessionCalendar;
use crate::domain::dossier::{due_action_at, DueAction, REMINDERS};
use crate::domain::record::InscriptionRecord;

/// What falls due for `record` at `now`: a reminder, the cancellation, or
/// `None` (nothing due, or already done: a reminder already sent).
pub fn due(
    record: &InscriptionRecord,
    calendar: &SessionCalendar,
    now: DateTime<Utc>,
) -> Option<Transition> {
    let deadline = record.documents_deadline(calendar);
    match due_action_at(
        record.awaits_uploads(deadline),
        record.created_at,
        deadline,
        &record.reminders_sent,
        now,
    )? {
        DueAction::Remind(name) => Some(remind(record, Reminder::from_name(name)?, deadline, now)),
        DueAction::Cancel => Some(cancel::cancel(record, deadline, now)),
    }
}

/// Records `reminder` as sent (with every earlier one whose time has come:
/// only the latest goes out, a sweep that was down does not send both).
pub fn remind(
    record: &InscriptionRecord,
    reminder: Reminder,
    deadline: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Transition {
    let mut next = record.clone();
    next.revision += 1;
    for (name, before) in REMINDERS {
        if deadline - before <= now && !next.reminders_sent.iter().any(|s| s == name) {
            next.reminders_sent.push(name.to_owned());
        }
    }
    if !next.reminders_sent.iter().any(|s| s == reminder.name()) {
        next.reminders_sent.push(reminder.name().to_owned());
    }
    let days = days_left(deadline, now);
    let history = HistoryLine {
        at: now,
        actor: Actor::System,
        action: reminder.history_action(),
        fields: Vec::new(),
        version: next.version,
        detail: Some(format!(
            "Rappel envoyé : dossier incomplet, à {} de la date limite.",
            days_fr(days)
        )),
    };
    Transition {
        record: next,
        history,
        emails: vec![OwedEmail::Reminder {
            reminder,
            days,
            deadline,
        }],
    }
}

/// « 1 jour », « 5 jours ».
pub fn days_fr(days: i64) -> String {
    if days <= 1 {
        "1 jour".to_owned()
    } else {
        format!("{days} jours")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::dossier::InscriptionStatus;
    use crate::domain::transitions::fixtures::*;
    use crate::domain::transitions::HistoryAction;
    use chrono::Duration;

    #[test]
    fn the_7_day_reminder_falls_due_on_its_millisecond() {
        let deadline = at(DOCUMENTS_CLOSE);
        let record = record(at("2021-10-20T10:00:00Z"));
        let mark = deadline - Duration::days(7);
        assert!(due(&record, &calendar(), mark - Duration::milliseconds(1)).is_none());
        let t = due(&record, &calendar(), mark).unwrap();
        assert_eq!(t.record.reminders_sent, ["7d"]);
        assert_eq!(t.record.revision, record.revision + 1);
        assert_eq!(t.history.action, HistoryAction::Reminder7d);
        assert_eq!(t.history.actor, Actor::System);
        assert_eq!(
            t.history.detail.as_deref(),
            Some("Rappel envoyé : dossier incomplet, à 7 jours de la date limite.")
        );
        assert_eq!(
            t.emails,
            [OwedEmail::Reminder {
                reminder: Reminder::SevenDays,
                days: 7,
                deadline
            }]
        );
        // Sent: nothing more until the 2-day mark.
        assert!(due(&t.record, &calendar(), mark + Duration::days(1)).is_none());
    }

    #[test]
    fn a_late_sweep_sends_only_the_latest_reminder() {
        let deadline = at(DOCUMENTS_CLOSE);
        let record = record(at("2021-10-20T10:00:00Z"));
        let t = due(&record, &calendar(), deadline - Duration::days(1)).unwrap();
        assert_eq!(t.record.reminders_sent, ["7d", "2d"]);
        assert_eq!(t.history.action, HistoryAction::Reminder2d);
        assert_eq!(
            t.history.detail.as_deref(),
            Some("Rappel envoyé : dossier incomplet, à 1 jour de la date limite.")
        );
    }

    #[test]
    fn a_complete_dossier_is_never_reminded() {
        let deadline = at(DOCUMENTS_CLOSE);
        let created = at("2021-10-20T10:00:00Z");
        let record = all_received(record(created), created);
        assert_eq!(record.status, InscriptionStatus::Complete);
        assert!(due(&record, &calendar(), deadline - Duration::days(2)).is_none());
        assert!(due(&record, &calendar(), deadline + Duration::days(2)).is_none());
    }

    #[test]
    fn days_read_in_french() {
        assert_eq!(days_fr(1), "1 jour");
        assert_eq!(days_fr(5), "5 jours");
    }
}
