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
    /// The candidate or the office withdrew it: never reminded nor
    /// cancelled; the office may reopen it.
    Withdrawn,
}

impl InscriptionStatus {
    pub fn code(self) -> &'static str {
        match self {
            InscriptionStatus::Registered => "registered",
            InscriptionStatus::Complete => "complete",
            InscriptionStatus::Validated => "validated",
            InscriptionStatus::Cancelled => "cancelled",
            InscriptionStatus::Withdrawn => "withdrawn",
        }
    }

    pub const ALL: [InscriptionStatus; 5] = [
        InscriptionStatus::Registered,
        InscriptionStatus::Complete,
        InscriptionStatus::Validated,
        InscriptionStatus::Cancelled,
        InscriptionStatus::Withdrawn,
    ];

    /// Every code, « a, b ou c » (`last` joins the last two).
    pub fn codes_listed(last: &str) -> String {
        let codes: Vec<&str> = Self::ALL.iter().map(|s| s.code()).collect();
        let (tail, head) = codes.split_last().unwrap_or((&"", &[]));
        format!("{} {last} {tail}", head.join(", "))
    }

    /// Whether the dossier is closed (cancelled or withdrawn): its status no
    /// longer follows its pieces.
    pub fn is_closed(self) -> bool {
        matches!(
            self,
            InscriptionStatus::Cancelled | InscriptionStatus::Withdrawn
        )
    }

    pub fn label_fr(self) -> &'static str {
        match self {
            InscriptionStatus::Registered => "enregistrée (dossier incomplet)",
            InscriptionStatus::Complete => "complète (en attente de vérification)",
            InscriptionStatus::Validated => "validée",
            InscriptionStatus::Cancelled => "annulée",
            InscriptionStatus::Withdrawn => "retirée (désistement)",
        }
    }

    /// The status in one word, as the office's export and messages show it.
    pub fn short_label_fr(self) -> &'static str {
        match self {
            InscriptionStatus::Registered => "enregistrée",
            InscriptionStatus::Complete => "complète",
            InscriptionStatus::Validated => "validée",
            InscriptionStatus::Cancelled => "annulée",
            InscriptionStatus::Withdrawn => "retirée",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
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

/// How a piece reached the exams office: uploaded in « Mes documents », or
/// posted to the rectorat and recorded by the office (notice, §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Upload,
    Post,
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
    /// How the piece came (`None` in records written before the paper
    /// channel existed: those pieces were all uploaded, see [`Self::received_by`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<Channel>,
    /// For a piece received by post: the postmark's date (« cachet de la
    /// poste »), a calendar day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postmarked_on: Option<NaiveDate>,
    /// The files that count for the piece, oldest first (at most
    /// [`MAX_FILES_PER_PIECE`]). A record stored before pieces held several
    /// files has none here but its `object_key`: see [`PieceState::current_files`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<PieceFile>,
    /// Files the exams office refused, kept as evidence until the dossier's
    /// retention ends; they no longer count.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rejected_files: Vec<PieceFile>,
}

/// The most files one piece holds (both sides of a card, every page of the
/// signed confirmation).
pub const MAX_FILES_PER_PIECE: usize = 5;

/// One stored file of a piece.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PieceFile {
    /// The upload's id (the last segment of its key).
    pub id: String,
    /// The name the candidate gave, or one made from the piece's code.
    pub name: String,
    pub content_type: String,
    pub size_bytes: u64,
    pub received_at: DateTime<Utc>,
    /// Where the file is stored.
    pub object_key: String,
}

impl PieceFile {
    /// The file's id as its key gives it: the key's last segment.
    pub fn id_of_key(key: &str) -> &str {
        key.rsplit('/').next().unwrap_or(key)
    }
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
            channel: None,
            postmarked_on: None,
            files: Vec::new(),
            rejected_files: Vec::new(),
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

    /// How the piece came, once it came (received, validated, or rejected
    /// by the office); a piece stored without a channel was uploaded (the
    /// only way before the paper channel).
    pub fn received_by(&self) -> Option<Channel> {
        match self.status {
            PieceStatus::Missing => None,
            PieceStatus::Received | PieceStatus::Validated | PieceStatus::Rejected => {
                Some(self.channel.unwrap_or(Channel::Upload))
            }
        }
    }
    /// The files that count for the piece. A piece stored before pieces held
    /// several files (one `object_key`, no `files`) holds that one file.
    pub fn current_files(&self) -> Vec<PieceFile> {
        if !self.files.is_empty() || !self.is_in() {
            return self.files.clone();
        }
        let Some(key) = self.object_key.as_deref() else {
            return Vec::new();
        };
        vec![PieceFile {
            id: PieceFile::id_of_key(key).to_owned(),
            name: default_file_name(key, self.content_type.as_deref()),
            content_type: self
                .content_type
                .clone()
                .unwrap_or_else(|| "application/pdf".to_owned()),
            size_bytes: self.size_bytes.unwrap_or_default(),
            received_at: self.received_at.unwrap_or(DateTime::<Utc>::MIN_UTC),
            object_key: key.to_owned(),
        }]
    }

    /// Whether the file stored at `key` counts for the piece.
    pub fn counts_key(&self, key: &str) -> bool {
        self.current_files().iter().any(|f| f.object_key == key)
    }

    /// The piece with `files` as the ones that count: the summary fields
    /// (`object_key`, `content_type`, `size_bytes`, `received_at`) follow
    /// the newest file, as records read before several files were kept.
    pub fn set_files(&mut self, files: Vec<PieceFile>) {
        let newest = files.last();
        self.object_key = newest.map(|f| f.object_key.clone());
        self.content_type = newest.map(|f| f.content_type.clone());
        self.size_bytes = newest.map(|f| f.size_bytes);
        self.received_at = newest.map(|f| f.received_at);
        self.files = files;
    }
}

/// A file's name when the candidate gave none: the piece's code (the key's
/// third segment) and the extension of its type, e.g. `identity_document.pdf`.
pub fn default_file_name(key: &str, content_type: Option<&str>) -> String {
    let stem = key.split('/').nth(2).unwrap_or("piece");
    let extension = match content_type {
        Some("image/jpeg") => "jpg",
        Some("image/png") => "png",
        _ => "pdf",
    };
    format!("{stem}.{extension}")
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

/// The status the pieces call for (a cancelled or withdrawn inscription
/// stays so).
pub fn status_for(current: InscriptionStatus, pieces: &Pieces) -> InscriptionStatus {
    if current.is_closed() {
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
    fn a_piece_stored_without_a_channel_was_uploaded() {
        let stored =
            r#"{"status": "received", "received_at": "2021-10-26T10:00:00Z", "object_key": "k"}"#;
        let piece: PieceState = serde_json::from_str(stored).unwrap();
        assert_eq!(piece.channel, None);
        assert_eq!(piece.received_by(), Some(Channel::Upload));
        assert_eq!(PieceState::missing().received_by(), None);
        let posted = PieceState {
            status: PieceStatus::Validated,
            channel: Some(Channel::Post),
            postmarked_on: NaiveDate::from_ymd_opt(2021, 11, 5),
            ..PieceState::missing()
        };
        assert_eq!(posted.received_by(), Some(Channel::Post));
        let json = serde_json::to_value(&posted).unwrap();
        assert_eq!(json["channel"], "post");
        assert_eq!(json["postmarked_on"], "2021-11-05");
        let back: PieceState = serde_json::from_value(json).unwrap();
        assert_eq!(back, posted);
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
        assert_eq!(
            status_for(InscriptionStatus::Withdrawn, &pieces),
            InscriptionStatus::Withdrawn
        );
    }

    #[test]
    fn every_status_reads_back_from_its_code() {
        for status in InscriptionStatus::ALL {
            assert_eq!(InscriptionStatus::parse(status.code()), Some(status));
        }
        assert_eq!(
            InscriptionStatus::codes_listed("ou"),
            "registered, complete, validated, cancelled ou withdrawn"
        );
        assert_eq!(InscriptionStatus::Withdrawn.short_label_fr(), "retirée");
    }
}
