//! The candidate's save (`PUT /inscription`): a creation (version 0) or an
//! update over the version they last read, while the registration window of
//! the diploma is open. A save that changes nothing is no change at all.

use chrono::{DateTime, NaiveDate, Utc};

use super::{Actor, HistoryAction, HistoryLine, OwedEmail, Transition};
use crate::domain::calendar::SessionCalendar;
use crate::domain::dossier::{
    reconcile_pieces, InscriptionStatus, PieceState, PieceStatus, Pieces,
};
use crate::domain::inscription::{changed_fields, changes_nothing, ValidInscription};
use crate::domain::pieces::PieceKind;
use crate::domain::record::InscriptionRecord;
use crate::domain::Diploma;

/// What the candidate asks: save `data` over `expected_version`.
#[derive(Debug, Clone)]
pub struct Save {
    pub account_id: String,
    /// The account's address, kept on the record for emails and the office.
    pub email: String,
    pub session: String,
    pub data: ValidInscription,
    /// The version the candidate last read (0: they create it).
    pub expected_version: u64,
}

/// Why a save is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaveRefused {
    /// The registration window of this diploma is not open at `now`.
    RegistrationClosed { diploma: Diploma },
    /// The inscription is not at the version the candidate read: its
    /// version now, `None` when there is none yet.
    VersionConflict { current: Option<u64> },
}

/// Whether `diploma`'s registration window is open at `now`.
pub fn check_open(
    calendar: &SessionCalendar,
    diploma: Diploma,
    now: DateTime<Utc>,
) -> Result<(), SaveRefused> {
    if calendar.windows(diploma).registration.is_open(now) {
        Ok(())
    } else {
        Err(SaveRefused::RegistrationClosed { diploma })
    }
}

/// The save of `command` over `current`: the transition, a refusal, or
/// `None` when it changes nothing (no write, no email, no history: the
/// version, the status and the signed confirmation stay as they are).
pub fn save(
    current: Option<&InscriptionRecord>,
    command: &Save,
    calendar: &SessionCalendar,
    now: DateTime<Utc>,
) -> Result<Option<Transition>, SaveRefused> {
    let today = now.with_timezone(&calendar.timezone).date_naive();
    match current {
        None if command.expected_version != 0 => {
            Err(SaveRefused::VersionConflict { current: None })
        }
        None => Ok(Some(create(command, now, today))),
        Some(record) if record.version != command.expected_version => {
            Err(SaveRefused::VersionConflict {
                current: Some(record.version),
            })
        }
        Some(record) => {
            // The diploma it has now must still be open to change (unless cancelled).
            if record.status != InscriptionStatus::Cancelled {
                check_open(calendar, record.data.diploma, now)?;
            }
            if saves_nothing(record, &command.data) {
                return Ok(None);
            }
            Ok(Some(update(record, &command.data, now, today)))
        }
    }
}

fn create(command: &Save, now: DateTime<Utc>, today: NaiveDate) -> Transition {
    let mut record = InscriptionRecord {
        record_type: "inscription".into(),
        account_id: command.account_id.clone(),
        email: command.email.clone(),
        session: command.session.clone(),
        candidate_number: None,
        data: command.data.clone(),
        version: 1,
        revision: 1,
        status: InscriptionStatus::Registered,
        pieces: reconcile_pieces(&command.data, today, &Pieces::new()),
        created_at: now,
        updated_at: now,
        documents_deadline_extension: None,
        reminders_sent: Vec::new(),
        cancelled_at: None,
        withdrawn_at: None,
        extension_job: None,
        legal_hold: None,
    };
    record.refresh_status();
    let history = HistoryLine {
        at: now,
        actor: Actor::Candidate,
        action: HistoryAction::Created,
        fields: Vec::new(),
        version: record.version,
        detail: None,
    };
    Transition {
        record,
        history,
        emails: vec![OwedEmail::Modification { previous: None }],
    }
}

/// Whether saving `data` over `record` would change nothing. A cancelled
/// or withdrawn inscription saved again is registered afresh, which is a
/// change even when the form is the same.
fn saves_nothing(record: &InscriptionRecord, data: &ValidInscription) -> bool {
    !record.status.is_closed() && changes_nothing(&record.data, data)
}

fn update(
    current: &InscriptionRecord,
    data: &ValidInscription,
    now: DateTime<Utc>,
    today: NaiveDate,
) -> Transition {
    let mut record = current.clone();
    let fields = changed_fields(&current.data, data);
    record.data = data.clone();
    record.version += 1;
    record.revision += 1;
    record.updated_at = now;
    record.pieces = reconcile_pieces(data, today, &current.pieces);
    // The confirmation signed for the previous version no longer counts.
    if let Some(confirmation) = record.pieces.get_mut(&PieceKind::SignedConfirmation) {
        if confirmation.status != PieceStatus::Missing {
            *confirmation = PieceState::missing_because(format!(
                "Votre inscription a été modifiée (version {}) : imprimez, datez et signez la nouvelle confirmation, puis déposez-la.",
                record.version
            ));
        }
    }
    if data.diploma != current.data.diploma {
        // An extension, and the reminders sent, were for the deadline of the
        // diploma held then.
        record.documents_deadline_extension = None;
        record.reminders_sent.clear();
    }
    if record.status.is_closed() {
        // Registering again (in another diploma's open window, or after a
        // withdrawal while the window is open) starts afresh: neither the
        // old extension nor the reminders already sent apply.
        record.cancelled_at = None;
        record.withdrawn_at = None;
        record.extension_job = None;
        record.reminders_sent.clear();
        record.documents_deadline_extension = None;
    }
    record.status = InscriptionStatus::Registered;
    record.refresh_status();
    let history = HistoryLine {
        at: now,
        actor: Actor::Candidate,
        action: HistoryAction::Updated,
        fields,
        version: record.version,
        detail: None,
    };
    Transition {
        record,
        history,
        emails: vec![OwedEmail::Modification {
            previous: Some(Box::new(current.data.clone())),
        }],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::transitions::fixtures::*;
    use chrono::Duration;

    fn command(expected_version: u64, last_name: &str) -> Save {
        Save {
            account_id: "0123456789abcdef0123456789abcdef".into(),
            email: "zoe@exemple.fr".into(),
            session: "2022".into(),
            data: data(last_name),
            expected_version,
        }
    }

    #[test]
    fn a_creation_is_version_1_with_its_pieces_and_owes_the_email() {
        let now = at(BOTH_OPEN);
        let t = save(None, &command(0, "N'Diaye"), &calendar(), now)
            .unwrap()
            .unwrap();
        assert_eq!((t.record.version, t.record.revision), (1, 1));
        assert_eq!(t.record.status, InscriptionStatus::Registered);
        assert!(t.record.pieces.contains_key(&PieceKind::SignedConfirmation));
        assert_eq!(t.history.action, HistoryAction::Created);
        assert_eq!(t.history.actor, Actor::Candidate);
        assert_eq!(t.emails, [OwedEmail::Modification { previous: None }]);
    }

    #[test]
    fn versions_must_match() {
        let now = at(BOTH_OPEN);
        let current = record(now - Duration::days(1));
        assert_eq!(
            save(None, &command(1, "X"), &calendar(), now).unwrap_err(),
            SaveRefused::VersionConflict { current: None }
        );
        assert_eq!(
            save(Some(&current), &command(0, "X"), &calendar(), now).unwrap_err(),
            SaveRefused::VersionConflict { current: Some(1) }
        );
    }

    #[test]
    fn the_registration_window_closes_on_its_last_millisecond() {
        let current = record(at(BOTH_OPEN));
        let closes = at(REGISTRATION_CLOSES);
        assert!(save(Some(&current), &command(1, "Autre"), &calendar(), closes).is_ok());
        let after = closes + Duration::milliseconds(1);
        assert_eq!(
            save(Some(&current), &command(1, "Autre"), &calendar(), after).unwrap_err(),
            SaveRefused::RegistrationClosed {
                diploma: Diploma::BacPro
            }
        );
        assert_eq!(
            check_open(&calendar(), Diploma::BacPro, after),
            Err(SaveRefused::RegistrationClosed {
                diploma: Diploma::BacPro
            })
        );
    }

    #[test]
    fn a_save_that_changes_nothing_is_no_change() {
        let current = record(at(BOTH_OPEN));
        let same = command(1, "N'Diaye");
        assert!(save(Some(&current), &same, &calendar(), at(BOTH_OPEN))
            .unwrap()
            .is_none());
    }

    #[test]
    fn an_update_voids_the_signed_confirmation_and_names_its_fields() {
        let now = at(BOTH_OPEN);
        let current = all_received(record(now - Duration::days(1)), now);
        assert_eq!(current.status, InscriptionStatus::Complete);
        let t = save(Some(&current), &command(1, "Autre"), &calendar(), now)
            .unwrap()
            .unwrap();
        assert_eq!((t.record.version, t.record.revision), (2, 2));
        let confirmation = &t.record.pieces[&PieceKind::SignedConfirmation];
        assert_eq!(confirmation.status, PieceStatus::Missing);
        assert!(confirmation
            .reason
            .as_deref()
            .unwrap()
            .contains("version 2"));
        assert_eq!(t.record.status, InscriptionStatus::Registered);
        assert_eq!(t.history.action, HistoryAction::Updated);
        assert!(!t.history.fields.is_empty());
        assert_eq!(
            t.emails,
            [OwedEmail::Modification {
                previous: Some(Box::new(current.data.clone()))
            }]
        );
    }

    #[test]
    fn a_cancelled_inscription_saved_again_starts_afresh() {
        let now = at(BOTH_OPEN);
        let mut current = record(now - Duration::days(1));
        current.status = InscriptionStatus::Cancelled;
        current.cancelled_at = Some(now);
        current.reminders_sent = vec!["7d".into()];
        current.documents_deadline_extension = Some(now);
        // The same form, and even after its own window closed: a change.
        let later = at(REGISTRATION_CLOSES) + Duration::days(1);
        let t = save(Some(&current), &command(1, "N'Diaye"), &calendar(), later)
            .unwrap()
            .unwrap();
        assert_eq!(t.record.status, InscriptionStatus::Registered);
        assert_eq!(t.record.cancelled_at, None);
        assert!(t.record.reminders_sent.is_empty());
        assert_eq!(t.record.documents_deadline_extension, None);
    }
}
