//! Every change of a dossier, as a pure function: from the current record,
//! `now`, the reference data it needs and a typed command, to a
//! [`Transition`] (the new record, its history line, the emails owed), a
//! typed refusal, or `None` when there is nothing to change (nothing is
//! then written). No store, no clock read, no `App`: `crate::records::dossier`
//! reads, writes and retries; the services say what to do.
//!
//! A new change of a dossier is one module here and its unit tests.

use std::fmt;

use chrono::{DateTime, Duration, Utc};

use crate::domain::dossier::PieceStatus;
use crate::domain::inscription::ValidInscription;
use crate::domain::pieces::{label_for, PieceKind};
use crate::domain::record::InscriptionRecord;

pub mod bulk_extension;
pub mod cancel;
pub mod correction;
pub mod dossier_review;
pub mod extension;
pub mod file_removal;
pub mod grace;
pub mod legal_hold;
pub mod piece_review;
pub mod record_piece;
pub mod reminder;
pub mod save;
pub mod upload;
pub mod withdrawal;

#[cfg(test)]
pub(crate) mod fixtures;

/// Who made a change, as the history says it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// The candidate (a save, an upload).
    Candidate,
    /// The deadline sweep.
    System,
    /// An admin of the exams office at the AWS console (or `examreg admin`),
    /// by the name they gave: recorded as `console:<name>`.
    Admin(String),
    /// A console read that names no actor: recorded as `console`.
    AnonymousConsole,
    /// A staff member of the office through the Office API, by the address
    /// their verified token names: recorded as `staff:<email>`.
    Staff(String),
}

/// The prefix of a console admin's recorded name.
pub const CONSOLE_PREFIX: &str = "console:";
/// The prefix the office's staff are recorded with (Office API).
pub const STAFF_PREFIX: &str = "staff:";
/// The name recorded for a console read that names no actor.
pub const ANONYMOUS_CONSOLE: &str = "console";

impl Actor {
    /// The candidate's and the system's recorded names.
    pub const RESERVED_NAMES: [&'static str; 2] = ["candidate", "system"];

    /// The actor as the history records it: `candidate`, `system`,
    /// `console:<name>`.
    pub fn recorded(&self) -> String {
        match self {
            Actor::Candidate => Self::RESERVED_NAMES[0].to_owned(),
            Actor::System => Self::RESERVED_NAMES[1].to_owned(),
            Actor::Admin(name) => format!("{CONSOLE_PREFIX}{name}"),
            Actor::AnonymousConsole => ANONYMOUS_CONSOLE.to_owned(),
            Actor::Staff(email) => format!("{STAFF_PREFIX}{email}"),
        }
    }

    /// Who reads at the console: the admin named, else the anonymous console.
    pub fn reader(name: Option<&str>) -> Self {
        name.map_or(Actor::AnonymousConsole, |name| {
            Actor::Admin(name.to_owned())
        })
    }

    /// Why `name` cannot name a console admin: one of the names the system
    /// uses for itself or the candidate, or a name that would read as
    /// another kind of actor once recorded. `None` when it may.
    pub fn refuses_admin_name(name: &str) -> Option<String> {
        let lower = name.trim().to_lowercase();
        if Self::RESERVED_NAMES.contains(&lower.as_str()) || lower == ANONYMOUS_CONSOLE {
            return Some(format!(
                "« {name} » est un nom réservé au système : nommez l'agent qui agit (par exemple « Mme Durand (DIEC 3.05) »)."
            ));
        }
        [CONSOLE_PREFIX, STAFF_PREFIX]
            .into_iter()
            .find(|prefix| lower.starts_with(prefix))
            .map(|prefix| {
                format!(
                    "Le nom de l'agent ne peut pas commencer par « {prefix} », que l'historique réserve à son origine : donnez le nom seul."
                )
            })
    }
}

/// A console admin's name, as events and tests write it.
impl From<&str> for Actor {
    fn from(name: &str) -> Self {
        Actor::Admin(name.to_owned())
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.recorded())
    }
}

/// Declares a string-valued enum: each variant stored as exactly its string.
macro_rules! stored_names {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The name as stored (history lines, queued mails).
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

stored_names! {
    /// What a history line says happened.
    HistoryAction {
        Created => "created",
        Updated => "updated",
        PieceReceived => "piece_received",
        PieceRefused => "piece_refused",
        Reminder7d => "reminder_7d",
        Reminder2d => "reminder_2d",
        Cancelled => "cancelled",
        PieceValidated => "piece_validated",
        PieceRejected => "piece_rejected",
        DeadlineExtended => "deadline_extended",
        PieceRecorded => "piece_recorded",
        Viewed => "viewed",
        Withdrawn => "withdrawn",
        Reopened => "reopened",
        DossierValidated => "dossier_validated",
        Corrected => "corrected",
        FileRemoved => "file_removed",
        PieceViewed => "piece_viewed",
        FoundBySearch => "found_by_search",
        Rechecked => "rechecked",
        Held => "held",
        HoldReleased => "hold_released",
    }
}

stored_names! {
    /// What a queued email is about.
    MailKind {
        Modification => "modification",
        Reminder7d => "reminder_7d",
        Reminder2d => "reminder_2d",
        Cancellation => "cancellation",
        DossierComplete => "dossier_complete",
        DossierValidated => "dossier_validated",
        PieceRejected => "piece_rejected",
        DeadlineExtended => "deadline_extended",
        DossierReinstated => "dossier_reinstated",
        Withdrawn => "withdrawn",
        Reopened => "reopened",
        Corrected => "corrected",
    }
}

/// The reminders, 7 and 2 days before the documents deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reminder {
    SevenDays,
    TwoDays,
}

impl Reminder {
    /// The name recorded in `reminders_sent` (see `domain::dossier::REMINDERS`).
    pub fn name(self) -> &'static str {
        match self {
            Reminder::SevenDays => "7d",
            Reminder::TwoDays => "2d",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "7d" => Some(Reminder::SevenDays),
            "2d" => Some(Reminder::TwoDays),
            _ => None,
        }
    }

    pub fn history_action(self) -> HistoryAction {
        match self {
            Reminder::SevenDays => HistoryAction::Reminder7d,
            Reminder::TwoDays => HistoryAction::Reminder2d,
        }
    }

    pub fn mail_kind(self) -> MailKind {
        match self {
            Reminder::SevenDays => MailKind::Reminder7d,
            Reminder::TwoDays => MailKind::Reminder2d,
        }
    }
}

/// One line of the dossier's history, typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryLine {
    pub at: DateTime<Utc>,
    pub actor: Actor,
    pub action: HistoryAction,
    /// Fields changed, or the piece concerned.
    pub fields: Vec<String>,
    /// The record's version the line is about.
    pub version: u64,
    pub detail: Option<String>,
}

/// Which of its three texts a refused piece's email says (see
/// [`piece_review::reject`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterRejection {
    /// The deadline is ahead: upload a new piece before it.
    ReplaceBefore,
    /// The deadline passed with other pieces owed: the candidature will be cancelled.
    WillBeCancelled,
    /// The deadline passed but every piece came in time: ask for an extension.
    AskForExtension,
}

/// An email a change owes the candidate, with what its text needs beyond
/// the record after the change.
#[derive(Debug, Clone, PartialEq)]
pub enum OwedEmail {
    /// « Modification d'inscription »: `previous` is the data before the
    /// save, `None` for a creation.
    Modification {
        previous: Option<Box<ValidInscription>>,
    },
    /// A reminder, with `days` whole days left before `deadline`.
    Reminder {
        reminder: Reminder,
        days: i64,
        deadline: DateTime<Utc>,
    },
    Cancellation {
        deadline: DateTime<Utc>,
    },
    DossierComplete,
    DossierValidated,
    PieceRejected {
        kind: PieceKind,
        reason: String,
        deadline: DateTime<Utc>,
        after: AfterRejection,
    },
    DeadlineExtended {
        until: DateTime<Utc>,
        reinstated: bool,
    },
    /// A cancelled dossier made whole by pieces posted in time (recorded by
    /// the office): reinstated.
    DossierReinstated,
    /// The inscription is withdrawn: by the candidate (`reason` `None`) or
    /// by the office, for `reason`.
    Withdrawn {
        by_office: bool,
        reason: Option<String>,
    },
    /// The office reopened a withdrawn or cancelled inscription, with a new
    /// documents deadline when it gave one.
    Reopened {
        until: Option<DateTime<Utc>>,
    },
    /// The office corrected the identity: `previous` is the data before.
    Corrected {
        previous: Box<ValidInscription>,
        reason: String,
    },
}

impl OwedEmail {
    pub fn kind(&self) -> MailKind {
        match self {
            OwedEmail::Modification { .. } => MailKind::Modification,
            OwedEmail::Reminder { reminder, .. } => reminder.mail_kind(),
            OwedEmail::Cancellation { .. } => MailKind::Cancellation,
            OwedEmail::DossierComplete => MailKind::DossierComplete,
            OwedEmail::DossierValidated => MailKind::DossierValidated,
            OwedEmail::PieceRejected { .. } => MailKind::PieceRejected,
            OwedEmail::DeadlineExtended { .. } => MailKind::DeadlineExtended,
            OwedEmail::DossierReinstated => MailKind::DossierReinstated,
            OwedEmail::Withdrawn { .. } => MailKind::Withdrawn,
            OwedEmail::Reopened { .. } => MailKind::Reopened,
            OwedEmail::Corrected { .. } => MailKind::Corrected,
        }
    }
}

/// A change decided: the record to write, its history line, the emails owed.
#[derive(Debug, Clone)]
pub struct Transition {
    pub record: InscriptionRecord,
    pub history: HistoryLine,
    pub emails: Vec<OwedEmail>,
}

/// The whole days left until `deadline` at `now`, rounded up: 7 from the
/// 7-day mark until 6 days later, 5 for 4 days and a half. A reminder goes
/// out only before the deadline, so at least 1 (the deadline's very
/// millisecond counts as its last day).
pub fn days_left(deadline: DateTime<Utc>, now: DateTime<Utc>) -> i64 {
    let left = deadline - now;
    let whole = left.num_days();
    let days = if left > Duration::days(whole) {
        whole + 1
    } else {
        whole
    };
    days.max(1)
}

/// The pieces still owed, one line each (« - label : refusée (raison) »).
pub fn missing_pieces_fr(record: &InscriptionRecord) -> String {
    record
        .pieces
        .iter()
        .filter(|(_, state)| !state.is_in())
        .map(|(kind, state)| {
            let label = label_for(*kind, &record.data);
            match (state.status, state.reason.as_deref()) {
                (PieceStatus::Rejected, Some(reason)) => format!("- {label} : refusée ({reason})"),
                (status, _) => format!("- {label} : {}", status.label_fr()),
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_names_are_exactly_todays_strings() {
        let actions: Vec<_> = HistoryAction::ALL.iter().map(|a| a.as_str()).collect();
        assert_eq!(
            actions,
            [
                "created",
                "updated",
                "piece_received",
                "piece_refused",
                "reminder_7d",
                "reminder_2d",
                "cancelled",
                "piece_validated",
                "piece_rejected",
                "deadline_extended",
                "piece_recorded",
                "viewed",
                "withdrawn",
                "reopened",
                "dossier_validated",
                "corrected",
                "file_removed",
                "piece_viewed",
                "found_by_search",
                "rechecked",
                "held",
                "hold_released"
            ]
        );
        let kinds: Vec<_> = MailKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(
            kinds,
            [
                "modification",
                "reminder_7d",
                "reminder_2d",
                "cancellation",
                "dossier_complete",
                "dossier_validated",
                "piece_rejected",
                "deadline_extended",
                "dossier_reinstated",
                "withdrawn",
                "reopened",
                "corrected"
            ]
        );
        assert_eq!(Actor::Candidate.recorded(), "candidate");
        assert_eq!(Actor::System.to_string(), "system");
        assert_eq!(
            Actor::Admin("Mme Durand (DIEC)".into()).recorded(),
            "console:Mme Durand (DIEC)"
        );
        assert_eq!(Actor::reader(None).recorded(), "console");
        assert_eq!(Actor::reader(Some("M. Roux")).recorded(), "console:M. Roux");
    }

    #[test]
    fn reserved_and_prefixed_names_cannot_name_an_admin() {
        for name in [
            "system",
            "Candidate",
            " SYSTEM ",
            "console",
            "console:x",
            "Staff:a@b.fr",
        ] {
            assert!(Actor::refuses_admin_name(name).is_some(), "{name}");
        }
        for name in ["Mme Durand (DIEC 3.05)", "systeme", "M. Console"] {
            assert_eq!(Actor::refuses_admin_name(name), None, "{name}");
        }
        assert!(Actor::refuses_admin_name("staff:x")
            .unwrap()
            .contains("« staff: »"));
    }

    #[test]
    fn reminders_name_their_history_and_mail() {
        for (name, _) in crate::domain::dossier::REMINDERS {
            let reminder = Reminder::from_name(name).unwrap();
            assert_eq!(reminder.name(), name);
            assert_eq!(
                reminder.history_action().as_str(),
                format!("reminder_{name}")
            );
            assert_eq!(reminder.mail_kind().as_str(), format!("reminder_{name}"));
        }
        assert_eq!(Reminder::from_name("1d"), None);
    }

    #[test]
    fn the_days_left_are_whole_days_rounded_up_never_more() {
        let deadline: DateTime<Utc> = "2021-11-07T22:59:59.999Z".parse().unwrap();
        let left = |d: Duration| days_left(deadline, deadline - d);
        assert_eq!(left(Duration::days(7)), 7);
        assert_eq!(left(Duration::days(7) - Duration::minutes(1)), 7);
        assert_eq!(left(Duration::days(6) + Duration::milliseconds(1)), 7);
        assert_eq!(left(Duration::days(6)), 6);
        assert_eq!(left(Duration::days(4) + Duration::hours(12)), 5);
        assert_eq!(left(Duration::days(2)), 2);
        assert_eq!(left(Duration::days(1) + Duration::seconds(1)), 2);
        assert_eq!(left(Duration::days(1)), 1);
        assert_eq!(left(Duration::hours(3)), 1);
        assert_eq!(left(Duration::zero()), 1);
    }
}
