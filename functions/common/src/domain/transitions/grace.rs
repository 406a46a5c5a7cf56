//! The sweep's grace for uploads in flight at the documents deadline.
//!
//! A file counts by the instant the document store stored it, not by when
//! its check runs (in AWS, on S3's notification, seconds later or, after
//! retries, minutes later). Upload URLs never outlive the deadline, so a
//! dossier whose URL was given before it and whose file is not checked yet
//! may still become complete: it is not cancelled before
//! [`UPLOAD_GRACE`] after the deadline or the check of that file, whichever
//! comes first. Past the grace, the sweep looks at the stored objects
//! itself (a HEAD each) and checks those stored in time before deciding.

use chrono::{DateTime, Duration, Utc};

use super::{reminder, Transition};
use crate::domain::calendar::SessionCalendar;
use crate::domain::dossier::InscriptionStatus;
use crate::domain::record::InscriptionRecord;

/// How long after the deadline an upload in flight holds the cancellation
/// back (and how long after a URL expired the sweep waits for its check
/// before looking for the file itself).
pub const UPLOAD_GRACE: Duration = Duration::minutes(15);

/// Where an overdue dossier with uploads given before its deadline stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overdue {
    /// No upload in flight: cancelled at once (if still incomplete).
    Cancel,
    /// Uploads in flight, within the grace: left for a later sweep, unless
    /// their check completes the dossier first.
    Wait,
    /// The grace is over and files are still unchecked: the sweep looks at
    /// what was stored (a HEAD per upload) and checks it before deciding.
    Look,
}

/// Where a dossier whose documents `deadline` passed stands at `now`, given
/// the instants its unchecked upload URLs were `issued` at.
pub fn overdue(deadline: DateTime<Utc>, issued: &[DateTime<Utc>], now: DateTime<Utc>) -> Overdue {
    if !issued.iter().any(|at| *at <= deadline) {
        Overdue::Cancel
    } else if now < deadline + UPLOAD_GRACE {
        Overdue::Wait
    } else {
        Overdue::Look
    }
}

/// Whether a file the store dated `stored_at` came in time for `deadline`.
pub fn stored_in_time(stored_at: DateTime<Utc>, deadline: DateTime<Utc>) -> bool {
    stored_at <= deadline
}

/// What the sweep does to `record` at `now` (a reminder, the cancellation,
/// or nothing), its cancellation held back while an upload URL `issued`
/// before the deadline still has its file unchecked.
pub fn due(
    record: &InscriptionRecord,
    calendar: &SessionCalendar,
    issued: &[DateTime<Utc>],
    now: DateTime<Utc>,
) -> Option<Transition> {
    let transition = reminder::due(record, calendar, now)?;
    let cancels = transition.record.status == InscriptionStatus::Cancelled;
    let deadline = record.documents_deadline(calendar);
    if cancels && overdue(deadline, issued, now) != Overdue::Cancel {
        return None;
    }
    Some(transition)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::transitions::fixtures::*;

    fn overdue_record() -> InscriptionRecord {
        let mut record = record(at("2021-10-20T10:00:00Z"));
        record.reminders_sent = vec!["7d".into(), "2d".into()];
        record
    }

    #[test]
    fn without_an_upload_in_flight_the_dossier_is_cancelled_at_the_first_sweep() {
        let deadline = at(DOCUMENTS_CLOSE);
        let now = deadline + Duration::milliseconds(1);
        let t = due(&overdue_record(), &calendar(), &[], now).unwrap();
        assert_eq!(t.record.status, InscriptionStatus::Cancelled);
        assert_eq!(overdue(deadline, &[], now), Overdue::Cancel);
    }

    #[test]
    fn an_upload_given_before_the_deadline_holds_the_cancellation_for_15_minutes() {
        let deadline = at(DOCUMENTS_CLOSE);
        let issued = [deadline - Duration::seconds(30)];
        let record = overdue_record();
        for after in [Duration::milliseconds(1), Duration::minutes(14)] {
            assert_eq!(overdue(deadline, &issued, deadline + after), Overdue::Wait);
            assert!(due(&record, &calendar(), &issued, deadline + after).is_none());
        }
        // Fifteen minutes after the deadline: the sweep looks at the bucket
        // itself, and the dossier is not cancelled on this reading.
        let grace_over = deadline + UPLOAD_GRACE;
        assert_eq!(overdue(deadline, &issued, grace_over), Overdue::Look);
        assert!(due(&record, &calendar(), &issued, grace_over).is_none());
        // Once the sweep looked (nothing in flight any more): cancelled.
        let t = due(&record, &calendar(), &[], grace_over).unwrap();
        assert_eq!(t.record.status, InscriptionStatus::Cancelled);
    }

    #[test]
    fn the_grace_follows_an_extended_deadline() {
        let extended = at(DOCUMENTS_CLOSE) + Duration::days(10);
        let mut record = overdue_record();
        record.documents_deadline_extension = Some(extended);
        let issued = [extended - Duration::seconds(2)];
        let now = extended + Duration::minutes(5);
        assert!(due(&record, &calendar(), &issued, now).is_none());
        assert!(due(&record, &calendar(), &[], now).is_some());
    }

    #[test]
    fn reminders_are_not_held_back() {
        let deadline = at(DOCUMENTS_CLOSE);
        let record = record(at("2021-10-20T10:00:00Z"));
        let now = deadline - Duration::days(2);
        let issued = [now - Duration::minutes(1)];
        let t = due(&record, &calendar(), &issued, now).unwrap();
        assert_eq!(t.record.status, InscriptionStatus::Registered);
        assert_eq!(t.record.reminders_sent, ["7d", "2d"]);
    }

    #[test]
    fn a_file_counts_by_when_it_was_stored() {
        let deadline = at(DOCUMENTS_CLOSE);
        assert!(stored_in_time(deadline, deadline));
        assert!(stored_in_time(deadline - Duration::seconds(2), deadline));
        assert!(!stored_in_time(
            deadline + Duration::milliseconds(1),
            deadline
        ));
    }
}
