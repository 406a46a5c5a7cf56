//! The candidate removes one file of a piece (`DELETE
//! /inscription/pieces/{kind}/files/{id}`): while the documents window is
//! open and the office has not validated the piece. Removing its last file
//! takes the piece back to missing (and a complete dossier back to
//! registered).

use chrono::{DateTime, Utc};

use super::{Actor, HistoryAction, HistoryLine, Transition};
use crate::domain::calendar::SessionCalendar;
use crate::domain::dossier::{InscriptionStatus, PieceFile, PieceState, PieceStatus};
use crate::domain::pieces::{label_for, PieceKind};
use crate::domain::record::InscriptionRecord;

/// Why a file cannot be removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RemovalRefused {
    /// The inscription does not require this piece.
    UnknownPiece,
    /// Outside the documents window (or the candidate's extension), or the
    /// inscription is cancelled.
    DocumentsClosed,
    /// The office validated the piece: its files stay.
    PieceValidated,
    /// No file of the piece that counts has this id.
    UnknownFile,
}

/// A file removed: the change, and the file (its stored object may go).
#[derive(Debug, Clone)]
pub struct Removed {
    pub transition: Transition,
    pub file: PieceFile,
}

/// Removes the file `file_id` of the piece `kind`.
pub fn remove_file(
    record: &InscriptionRecord,
    kind: PieceKind,
    file_id: &str,
    calendar: &SessionCalendar,
    now: DateTime<Utc>,
) -> Result<Removed, RemovalRefused> {
    let current = record
        .pieces
        .get(&kind)
        .ok_or(RemovalRefused::UnknownPiece)?;
    if record.status == InscriptionStatus::Cancelled || !record.documents_open(calendar, now) {
        return Err(RemovalRefused::DocumentsClosed);
    }
    if current.status == PieceStatus::Validated {
        return Err(RemovalRefused::PieceValidated);
    }
    let (removed, kept): (Vec<PieceFile>, Vec<PieceFile>) = current
        .current_files()
        .into_iter()
        .partition(|f| f.id == file_id);
    let file = removed
        .into_iter()
        .next()
        .ok_or(RemovalRefused::UnknownFile)?;
    let piece = if kept.is_empty() {
        PieceState {
            rejected_files: current.rejected_files.clone(),
            ..PieceState::missing()
        }
    } else {
        let mut piece = current.clone();
        piece.set_files(kept);
        piece
    };
    let mut next = record.clone();
    next.pieces.insert(kind, piece);
    next.revision += 1;
    next.updated_at = now;
    next.refresh_status();
    let history = HistoryLine {
        at: now,
        actor: Actor::Candidate,
        action: HistoryAction::FileRemoved,
        fields: vec![kind.code().to_owned()],
        version: record.version,
        detail: Some(format!(
            "{} : fichier « {} » supprimé par le candidat.",
            label_for(kind, &record.data),
            file.name
        )),
    };
    Ok(Removed {
        transition: Transition {
            record: next,
            history,
            emails: Vec::new(),
        },
        file,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::dossier::PieceFile;
    use crate::domain::transitions::fixtures::*;
    use chrono::Duration;

    fn file(id: &str, at: DateTime<Utc>) -> PieceFile {
        PieceFile {
            id: id.into(),
            name: format!("{id}.pdf"),
            content_type: "application/pdf".into(),
            size_bytes: 10,
            received_at: at,
            object_key: format!("candidates/x/identity_document/{id}"),
        }
    }

    fn with_two_files(now: DateTime<Utc>) -> InscriptionRecord {
        let mut record = all_received(record(now), now);
        let mut piece = record.pieces[&PieceKind::IdentityDocument].clone();
        piece.set_files(vec![file("recto", now), file("verso", now)]);
        record.pieces.insert(PieceKind::IdentityDocument, piece);
        record
    }

    #[test]
    fn removing_the_last_file_takes_the_piece_back_to_missing() {
        let now = at(BOTH_OPEN);
        let record = with_two_files(now);
        assert_eq!(record.status, InscriptionStatus::Complete);
        let kind = PieceKind::IdentityDocument;
        let first = remove_file(&record, kind, "recto", &calendar(), now).unwrap();
        let piece = &first.transition.record.pieces[&kind];
        assert_eq!(piece.status, PieceStatus::Received);
        assert_eq!(piece.files, [file("verso", now)]);
        assert_eq!(first.transition.record.status, InscriptionStatus::Complete);
        assert_eq!(first.file.id, "recto");
        assert_eq!(first.transition.history.action, HistoryAction::FileRemoved);
        assert!(first.transition.emails.is_empty());

        let second =
            remove_file(&first.transition.record, kind, "verso", &calendar(), now).unwrap();
        let piece = &second.transition.record.pieces[&kind];
        assert_eq!(piece.status, PieceStatus::Missing);
        assert!(piece.files.is_empty());
        assert_eq!(piece.object_key, None);
        assert_eq!(
            second.transition.record.status,
            InscriptionStatus::Registered
        );
    }

    #[test]
    fn a_legacy_piece_holds_its_one_file() {
        let now = at(BOTH_OPEN);
        let record = all_received(record(now), now);
        let kind = PieceKind::IdentityDocument;
        let ids: Vec<String> = record.pieces[&kind]
            .current_files()
            .into_iter()
            .map(|f| f.id)
            .collect();
        assert_eq!(ids, ["y"]);
        let removed = remove_file(&record, kind, "y", &calendar(), now).unwrap();
        assert_eq!(
            removed.transition.record.pieces[&kind].status,
            PieceStatus::Missing
        );
    }

    #[test]
    fn refusals() {
        let now = at(BOTH_OPEN);
        let mut record = with_two_files(now);
        let kind = PieceKind::IdentityDocument;
        let refused = |record: &InscriptionRecord, kind, id, now| {
            remove_file(record, kind, id, &calendar(), now).unwrap_err()
        };
        assert_eq!(
            refused(&record, kind, "nope", now),
            RemovalRefused::UnknownFile
        );
        let unknown = PieceKind::ALL
            .into_iter()
            .find(|k| !record.pieces.contains_key(k))
            .unwrap();
        assert_eq!(
            refused(&record, unknown, "recto", now),
            RemovalRefused::UnknownPiece
        );
        let late = at(DOCUMENTS_CLOSE) + Duration::milliseconds(1);
        assert_eq!(
            refused(&record, kind, "recto", late),
            RemovalRefused::DocumentsClosed
        );
        record.pieces.get_mut(&kind).unwrap().status = PieceStatus::Validated;
        assert_eq!(
            refused(&record, kind, "recto", now),
            RemovalRefused::PieceValidated
        );
    }
}
