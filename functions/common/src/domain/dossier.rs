//! The candidate's dossier: the inscription's status, the state of each
//! required piece, and what falls due when (reminders, cancellation). Pure.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::inscription::ValidInscription;
use super::pieces::{required_pieces, PieceKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InscriptionStatus {
    /// Saved; editable while the registration window is open.
    Registered,
    /// The signed confirmation and every required piece received.
    Complete,
    /// An admin accepted every piece.
    Validated,
    /// The documents window closed before it was complete.
    Cancelled,
}

impl InscriptionStatus {
    /// Every status, in the dossier's order.
    pub const ALL: [InscriptionStatus; 4] = [
        InscriptionStatus::Registered,
        InscriptionStatus::Complete,
        InscriptionStatus::Validated,
        InscriptionStatus::Cancelled,
    ];

    pub fn code(self) -> &'static str {
        match self {
            InscriptionStatus::Registered => "registered",
            InscriptionStatus::Complete => "complete",
            InscriptionStatus::Validated => "validated",
            InscriptionStatus::Cancelled => "cancelled",
        }
    }

    pub fn label_fr(self) -> &'static str {
        match self {
            InscriptionStatus::Registered => "enregistrée (dossier incomplet)",
            InscriptionStatus::Complete => "complète (en attente de vérification)",
            InscriptionStatus::Validated => "validée",
            InscriptionStatus::Cancelled => "annulée",
        }
    }

    /// The status in one word, as the office's export and messages show it.
    pub fn short_label_fr(self) -> &'static str {
        match self {
            InscriptionStatus::Registered => "enregistrée",
            InscriptionStatus::Complete => "complète",
            InscriptionStatus::Validated => "validée",
            InscriptionStatus::Cancelled => "annulée",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        [
            InscriptionStatus::Registered,
            InscriptionStatus::Complete,
            InscriptionStatus::Validated,
            InscriptionStatus::Cancelled,
        ]
        .into_iter()
        .find(|s| s.code() == code)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PieceStatus {
    Missing,
    Received,
    Validated,
    Rejected,
}

impl PieceStatus {
    pub fn label_fr(self) -> &'static str {
        match self {
            PieceStatus::Missing => "manquante",
            PieceStatus::Received => "reçue",
            PieceStatus::Validated => "validée",
            PieceStatus::Rejected => "refusée",
        }
    }
}

/// What is known of one required piece.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PieceState {
    pub status: PieceStatus,
    /// Why the piece was refused (by an admin or by the automatic check).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub received_at: Option<DateTime<Utc>>,
    /// Where the accepted file is stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size_bytes: Option<u64>,
    /// For the signed confirmation: the inscription version it was signed for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signed_version: Option<u64>,
    /// When the exams office last validated or refused it: a piece refused
    /// after the deadline had been received in time (see [`owes_uploads_at`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reviewed_at: Option<DateTime<Utc>>,
}

impl PieceState {
    pub fn missing() -> Self {
        Self {
            status: PieceStatus::Missing,
            reason: None,
            received_at: None,
            object_key: None,
            content_type: None,
            size_bytes: None,
            signed_version: None,
            reviewed_at: None,
        }
    }

    pub fn missing_because(reason: impl Into<String>) -> Self {
        Self {
            reason: Some(reason.into()),
            ..Self::missing()
        }
    }

    /// Counts toward completeness.
    pub fn is_in(&self) -> bool {
        matches!(self.status, PieceStatus::Received | PieceStatus::Validated)
    }
}

pub type Pieces = BTreeMap<PieceKind, PieceState>;

/// The pieces an inscription now requires, keeping what is known of those
/// still required; the others are dropped, new ones are missing.
pub fn reconcile_pieces(data: &ValidInscription, today: NaiveDate, previous: &Pieces) -> Pieces {
    required_pieces(data, today)
        .into_iter()
        .map(|kind| {
            let state = previous
                .get(&kind)
                .cloned()
                .unwrap_or_else(PieceState::missing);
            (kind, state)
        })
        .collect()
}

/// The status the pieces call for (a cancelled inscription stays cancelled).
pub fn status_for(current: InscriptionStatus, pieces: &Pieces) -> InscriptionStatus {
    if current == InscriptionStatus::Cancelled {
        return current;
    }
    if !pieces.is_empty() && pieces.values().all(|p| p.status == PieceStatus::Validated) {
        InscriptionStatus::Validated
    } else if !pieces.is_empty() && pieces.values().all(PieceState::is_in) {
        InscriptionStatus::Complete
    } else {
        InscriptionStatus::Registered
    }
}

/// Whether the candidate still owes an upload for a window ending at
/// `deadline`: a piece never received, or one refused by then (there was
/// time to replace it). A piece the exams office refuses after the deadline
/// arrived in time: the notice cancels a candidature whose pieces were not
/// *uploaded* by the date, so that refusal alone never cancels it; the
/// office settles it (an extension lets the candidate replace the piece).
pub fn owes_uploads_at(pieces: &Pieces, deadline: DateTime<Utc>) -> bool {
    pieces.values().any(|piece| match piece.status {
        PieceStatus::Missing => true,
        PieceStatus::Rejected => piece.reviewed_at.is_none_or(|at| at <= deadline),
        PieceStatus::Received | PieceStatus::Validated => false,
    })
}

/// The reminders, by how long before the documents deadline they are sent.
pub const REMINDERS: [(&str, Duration); 2] = [("7d", Duration::days(7)), ("2d", Duration::days(2))];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DueAction {
    /// Send the reminder with this name.
    Remind(&'static str),
    Cancel,
}

/// The next thing that falls due for an inscription that awaits uploads
/// (`registered` and owing a piece, see [`owes_uploads_at`]), and when: the
/// reminders not yet sent (skipping those whose time came before the
/// inscription existed), then the cancellation just after the deadline.
/// `None` once nothing can fall due (complete, validated, cancelled, or
/// every piece received in time).
pub fn next_due(
    awaits_uploads: bool,
    created_at: DateTime<Utc>,
    deadline: DateTime<Utc>,
    reminders_sent: &[String],
) -> Option<(DateTime<Utc>, DueAction)> {
    if !awaits_uploads {
        return None;
    }
    for (name, before) in REMINDERS {
        let at = deadline - before;
        if at > created_at && !reminders_sent.iter().any(|s| s == name) {
            return Some((at, DueAction::Remind(name)));
        }
    }
    // Cancelled once the deadline (inclusive, to the millisecond) has passed.
    Some((deadline + Duration::milliseconds(1), DueAction::Cancel))
}

/// The reminders made pointless at `now` (their time passed while a later
/// one is due): marked sent so that only the latest goes out.
pub fn due_action_at(
    awaits_uploads: bool,
    created_at: DateTime<Utc>,
    deadline: DateTime<Utc>,
    reminders_sent: &[String],
    now: DateTime<Utc>,
) -> Option<DueAction> {
    if !awaits_uploads {
        return None;
    }
    if now > deadline {
        return Some(DueAction::Cancel);
    }
    // The latest reminder whose time has come, if not sent yet.
    REMINDERS
        .iter()
        .rev()
        .find(|(_, before)| now >= deadline - *before && deadline - *before > created_at)
        .filter(|(name, _)| !reminders_sent.iter().any(|s| s == name))
        .map(|(name, _)| DueAction::Remind(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn reminders_then_cancellation_fall_due_in_order() {
        let created = at("2021-10-20T10:00:00Z");
        let deadline = at("2021-11-07T22:59:59.999Z");
        let r = true;
        assert_eq!(
            next_due(r, created, deadline, &[]),
            Some((deadline - Duration::days(7), DueAction::Remind("7d")))
        );
        assert_eq!(
            next_due(r, created, deadline, &["7d".into()]),
            Some((deadline - Duration::days(2), DueAction::Remind("2d")))
        );
        assert_eq!(
            next_due(r, created, deadline, &["7d".into(), "2d".into()]),
            Some((deadline + Duration::milliseconds(1), DueAction::Cancel))
        );
        assert_eq!(next_due(false, created, deadline, &[]), None);
    }

    #[test]
    fn a_late_registration_gets_only_the_reminders_still_ahead() {
        let deadline = at("2021-11-07T22:59:59.999Z");
        let created = deadline - Duration::days(3);
        assert_eq!(
            next_due(true, created, deadline, &[]),
            Some((deadline - Duration::days(2), DueAction::Remind("2d")))
        );
    }

    #[test]
    fn the_action_due_now_is_the_latest_one() {
        let created = at("2021-10-20T10:00:00Z");
        let deadline = at("2021-11-07T22:59:59.999Z");
        let r = true;
        // Both reminders' times passed: only the 2-day one is sent.
        let now = deadline - Duration::days(1);
        assert_eq!(
            due_action_at(r, created, deadline, &[], now),
            Some(DueAction::Remind("2d"))
        );
        assert_eq!(
            due_action_at(r, created, deadline, &["2d".into()], now),
            None
        );
        assert_eq!(
            due_action_at(r, created, deadline, &[], deadline),
            Some(DueAction::Remind("2d"))
        );
        assert_eq!(
            due_action_at(
                r,
                created,
                deadline,
                &[],
                deadline + Duration::milliseconds(1)
            ),
            Some(DueAction::Cancel)
        );
    }

    #[test]
    fn only_pieces_missing_or_refused_by_the_deadline_are_owed() {
        let deadline = at("2021-11-07T22:59:59.999Z");
        let refused_at = |at: DateTime<Utc>| PieceState {
            status: PieceStatus::Rejected,
            received_at: Some(deadline - Duration::days(5)),
            reviewed_at: Some(at),
            ..PieceState::missing()
        };
        let received = PieceState {
            status: PieceStatus::Received,
            ..PieceState::missing()
        };
        let with = |piece: PieceState| {
            Pieces::from([
                (PieceKind::SignedConfirmation, received.clone()),
                (PieceKind::IdentityDocument, piece),
            ])
        };
        assert!(owes_uploads_at(&with(PieceState::missing()), deadline));
        assert!(owes_uploads_at(&with(refused_at(deadline)), deadline));
        assert!(!owes_uploads_at(
            &with(refused_at(deadline + Duration::milliseconds(1))),
            deadline
        ));
        assert!(!owes_uploads_at(&with(received.clone()), deadline));
        let unknown_time = PieceState {
            reviewed_at: None,
            ..refused_at(deadline)
        };
        assert!(owes_uploads_at(&with(unknown_time), deadline));
    }

    #[test]
    fn status_follows_the_pieces() {
        let mut pieces = Pieces::new();
        pieces.insert(PieceKind::SignedConfirmation, PieceState::missing());
        pieces.insert(PieceKind::IdentityDocument, PieceState::missing());
        let r = InscriptionStatus::Registered;
        assert_eq!(status_for(r, &pieces), r);
        for p in pieces.values_mut() {
            p.status = PieceStatus::Received;
        }
        assert_eq!(status_for(r, &pieces), InscriptionStatus::Complete);
        for p in pieces.values_mut() {
            p.status = PieceStatus::Validated;
        }
        assert_eq!(status_for(r, &pieces), InscriptionStatus::Validated);
        assert_eq!(
            status_for(InscriptionStatus::Cancelled, &pieces),
            InscriptionStatus::Cancelled
        );
    }
}
