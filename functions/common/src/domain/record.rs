//! The inscription record: the dossier's data as the domain decides on it
//! (pure data and serde). Where and how it is stored is `crate::records`'.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::calendar::SessionCalendar;
use crate::domain::dossier::{owes_uploads_at, status_for, InscriptionStatus, Pieces};
use crate::domain::inscription::ValidInscription;

/// The inscription as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InscriptionRecord {
    pub record_type: String,
    pub account_id: String,
    /// The account's address, for the exams office and the emails.
    pub email: String,
    pub session: String,
    /// The candidate number (`domain::candidate_number`), unique within the
    /// session. Given by the write path at the dossier's creation; a dossier
    /// stored before numbers existed has none until its next write.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub candidate_number: Option<String>,
    #[serde(flatten)]
    pub data: ValidInscription,
    /// Raised by each save of the candidate.
    pub version: u64,
    /// Raised by every write (saves, uploads, admins, sweeps): the optimistic lock.
    pub revision: u64,
    pub status: InscriptionStatus,
    pub pieces: Pieces,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// An admin's extension of the documents deadline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub documents_deadline_extension: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reminders_sent: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancelled_at: Option<DateTime<Utc>>,
    /// When it was withdrawn (by the candidate or the office).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawn_at: Option<DateTime<Utc>>,
    /// The bulk extension job that set `documents_deadline_extension`: a
    /// job run again leaves the dossier alone (one history line, one email).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extension_job: Option<String>,
    /// A legal hold (`hold`): the purge keeps the dossier, its history and
    /// its files while it is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legal_hold: Option<LegalHold>,
}

/// Why, by whom and since when a dossier is kept beyond its retention
/// (a dispute, a request from a court or the CNIL...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegalHold {
    pub reason: String,
    /// The actor as the history records it (`console:<name>`, `staff:<email>`).
    pub actor: String,
    pub at: DateTime<Utc>,
}

impl InscriptionRecord {
    /// The documents deadline in force: the extension, else the window's close.
    /// The end of the diploma's documents window, or the extension an admin
    /// granted if later: an extension never shortens the window (it was
    /// granted past the close of the diploma held then).
    pub fn documents_deadline(&self, calendar: &SessionCalendar) -> DateTime<Utc> {
        let closes = calendar.windows(self.data.diploma).documents.closes;
        self.documents_deadline_extension
            .map_or(closes, |until| until.max(closes))
    }

    /// Whether uploads are accepted at `now`.
    pub fn documents_open(&self, calendar: &SessionCalendar, now: DateTime<Utc>) -> bool {
        let window = calendar.windows(self.data.diploma).documents;
        now >= window.opens && now <= self.documents_deadline(calendar)
    }

    /// Whether reminders and, at the deadline, cancellation apply to it.
    pub fn awaits_uploads(&self, deadline: DateTime<Utc>) -> bool {
        self.status == InscriptionStatus::Registered && owes_uploads_at(&self.pieces, deadline)
    }

    /// Brings the status in line with the pieces.
    pub fn refresh_status(&mut self) {
        self.status = status_for(self.status, &self.pieces);
    }
}
