//! The check of an uploaded file: the piece is `received`, or the file is
//! refused (and the piece says why, keeping a good file received earlier).
//! A duplicated notification of bytes already checked changes nothing.

use chrono::{DateTime, Utc};

use super::{Actor, HistoryAction, HistoryLine, OwedEmail, Transition};
use crate::domain::dossier::{
    default_file_name, Channel, InscriptionStatus, PieceFile, PieceState, PieceStatus,
    MAX_FILES_PER_PIECE,
};
use crate::domain::files::{format_count_fr, inspect, FileType};
use crate::domain::pieces::{label_for, PieceKind};
use crate::domain::record::InscriptionRecord;

/// What is known of the stored file and of the upload request it came from.
#[derive(Debug, Clone, Copy)]
pub struct StoredFile<'a> {
    pub kind: PieceKind,
    /// The object's key in the document store.
    pub key: &'a str,
    /// As declared when the upload URL was asked for.
    pub content_type: &'a str,
    pub size_bytes: u64,
    /// The inscription's version when the URL was asked for.
    pub version: u64,
    pub bytes: &'a [u8],
    /// The name the candidate gave when asking for the upload URL.
    pub name: Option<&'a str>,
    /// The SHA-256 of `bytes`.
    pub digest: &'a str,
    /// The digest recorded when this upload was checked already, if it was.
    pub checked_digest: Option<&'a str>,
    /// When the document store stored it (S3's event time or
    /// `LastModified`): the piece's `received_at`, whenever the check runs.
    /// Never later than the check itself (a store's clock ahead of ours
    /// counts as now).
    pub stored_at: DateTime<Utc>,
}

/// A file checked: the change, and the French reason when it is refused.
#[derive(Debug, Clone)]
pub struct Checked {
    pub transition: Transition,
    pub refusal: Option<String>,
}

/// The check of `file` for `record`, or `None` when these very bytes were
/// checked already (a duplicated or retried notification).
pub fn check(record: &InscriptionRecord, file: &StoredFile, now: DateTime<Utc>) -> Option<Checked> {
    if file.checked_digest == Some(file.digest) {
        return None;
    }
    let verdict = judge(record, file, now);
    let mut next = record.clone();
    if let Some(piece) = verdict.piece {
        next.pieces.insert(file.kind, piece);
    }
    next.refresh_status();
    next.revision += 1;
    let label = label_for(file.kind, &record.data);
    let history = HistoryLine {
        at: now,
        actor: Actor::Candidate,
        action: if verdict.refusal.is_some() {
            HistoryAction::PieceRefused
        } else {
            HistoryAction::PieceReceived
        },
        fields: vec![file.kind.code().to_owned()],
        version: record.version,
        detail: Some(match &verdict.refusal {
            Some(reason) => format!("{label} : {reason}"),
            None => format!(
                "{label} : {} de {} octets",
                FileType::parse(file.content_type).map_or("fichier", FileType::short_fr),
                format_count_fr(file.size_bytes)
            ),
        }),
    };
    // The email owed for a dossier that just became complete.
    let became_complete =
        next.status == InscriptionStatus::Complete && record.status != InscriptionStatus::Complete;
    let emails = if became_complete {
        vec![OwedEmail::DossierComplete]
    } else {
        Vec::new()
    };
    Some(Checked {
        transition: Transition {
            record: next,
            history,
            emails,
        },
        refusal: verdict.refusal,
    })
}

/// The decision on one stored file.
struct Verdict {
    /// The piece's new state, or `None` to leave it as it is.
    piece: Option<PieceState>,
    /// `None` when the file is accepted, else the French reason.
    refusal: Option<String>,
}

/// Refuses the file at `key`: the files received before still count (the
/// piece says why the new one was not kept); without any, the piece is
/// missing again, with the reason. Rejected files stay as evidence.
fn refuse_keeping_better(current: &PieceState, key: &str, reason: String) -> Verdict {
    let others: Vec<PieceFile> = current
        .current_files()
        .into_iter()
        .filter(|f| f.object_key != key)
        .collect();
    let mut piece = current.clone();
    if current.is_in() && !others.is_empty() {
        let kept = match others.len() {
            1 => "Le fichier reçu précédemment reste pris en compte.".to_owned(),
            n => format!("Les {n} fichiers reçus précédemment restent pris en compte."),
        };
        piece.set_files(others);
        piece.reason = Some(format!(
            "Le dernier fichier déposé n'a pas été retenu : {reason} {kept}"
        ));
    } else {
        piece = PieceState {
            rejected_files: current.rejected_files.clone(),
            ..PieceState::missing_because(reason.clone())
        };
    }
    Verdict {
        piece: Some(piece),
        refusal: Some(reason),
    }
}

fn judge(record: &InscriptionRecord, file: &StoredFile, now: DateTime<Utc>) -> Verdict {
    let refuse_untouched = |reason: String| Verdict {
        piece: None,
        refusal: Some(reason),
    };
    if record.status == InscriptionStatus::Cancelled {
        return refuse_untouched(
            "Votre inscription a été annulée : les pièces déposées ne sont plus prises en compte."
                .to_owned(),
        );
    }
    if record.status == InscriptionStatus::Withdrawn {
        return refuse_untouched(
            "Votre inscription est retirée : les pièces déposées ne sont plus prises en compte."
                .to_owned(),
        );
    }
    let Some(current) = record.pieces.get(&file.kind) else {
        return refuse_untouched(
            "Cette pièce n'est plus demandée pour votre inscription.".to_owned(),
        );
    };
    let counted = current.counts_key(file.key);
    if current.status == PieceStatus::Validated && !counted {
        return refuse_untouched(
            "Cette pièce a déjà été validée par la division des examens et concours : le nouveau fichier n'a pas été pris en compte.".to_owned(),
        );
    }
    let declared = FileType::parse(file.content_type).unwrap_or(FileType::Pdf);
    if let Err(reason) = inspect(declared, file.size_bytes, file.bytes) {
        return refuse_keeping_better(current, file.key, reason);
    }
    if file.kind == PieceKind::SignedConfirmation && file.version != record.version {
        return refuse_keeping_better(
            current,
            file.key,
            format!(
                "Cette confirmation correspond à la version {} de votre inscription, qui a été modifiée depuis (version {}) : imprimez, datez et signez la nouvelle confirmation, puis déposez-la.",
                file.version, record.version
            ),
        );
    }
    // The files that count, but this one (new bytes sent through the same
    // URL replace its entry).
    let mut files: Vec<PieceFile> = current
        .current_files()
        .into_iter()
        .filter(|f| f.object_key != file.key)
        .collect();
    if files.len() >= MAX_FILES_PER_PIECE {
        return refuse_untouched(format!(
            "Cette pièce compte déjà {MAX_FILES_PER_PIECE} fichiers, le plus qu'elle puisse en avoir : supprimez-en un avant d'en déposer un autre."
        ));
    }
    files.push(PieceFile {
        id: PieceFile::id_of_key(file.key).to_owned(),
        name: file
            .name
            .map(str::to_owned)
            .unwrap_or_else(|| default_file_name(file.key, Some(declared.mime()))),
        content_type: declared.mime().to_owned(),
        size_bytes: file.size_bytes,
        received_at: file.stored_at.min(now),
        object_key: file.key.to_owned(),
    });
    let mut piece = PieceState {
        status: PieceStatus::Received,
        reason: None,
        signed_version: (file.kind == PieceKind::SignedConfirmation).then_some(file.version),
        // A new file: not reviewed yet.
        reviewed_at: None,
        rejected_files: current.rejected_files.clone(),
        channel: Some(Channel::Upload),
        ..PieceState::missing()
    };
    piece.set_files(files);
    Verdict {
        piece: Some(piece),
        refusal: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::transitions::fixtures::*;

    use crate::testkit::files::valid_pdf;

    fn file<'a>(kind: PieceKind, key: &'a str, bytes: &'a [u8], version: u64) -> StoredFile<'a> {
        StoredFile {
            kind,
            key,
            content_type: "application/pdf",
            size_bytes: bytes.len() as u64,
            version,
            bytes,
            name: None,
            digest: "d1",
            checked_digest: None,
            // Stored "now", whatever the test's now is.
            stored_at: DateTime::<Utc>::MAX_UTC,
        }
    }

    #[test]
    fn a_file_is_received_when_it_was_stored_not_when_it_was_checked() {
        let stored = at(DOCUMENTS_CLOSE) - chrono::Duration::seconds(2);
        let checked = at(DOCUMENTS_CLOSE) + chrono::Duration::seconds(3);
        let record = record(at(BOTH_OPEN));
        let key = "candidates/a/identity_document/u1";
        let stored_file = StoredFile {
            stored_at: stored,
            ..file(
                PieceKind::IdentityDocument,
                key,
                valid_pdf(),
                record.version,
            )
        };
        let t = check(&record, &stored_file, checked).unwrap().transition;
        let piece = &t.record.pieces[&PieceKind::IdentityDocument];
        assert_eq!(piece.status, PieceStatus::Received);
        assert_eq!(piece.current_files()[0].received_at, stored);
        assert_eq!(t.history.at, checked);
    }

    #[test]
    fn a_good_file_is_received_and_the_last_one_completes_the_dossier() {
        let now = at(BOTH_OPEN);
        let mut record = all_received(record(now), now);
        record
            .pieces
            .insert(PieceKind::IdentityDocument, PieceState::missing());
        record.refresh_status();
        let key = "candidates/a/identity_document/b";
        let checked = check(
            &record,
            &file(PieceKind::IdentityDocument, key, valid_pdf(), 1),
            now,
        )
        .unwrap();
        assert_eq!(checked.refusal, None);
        let t = checked.transition;
        let piece = &t.record.pieces[&PieceKind::IdentityDocument];
        assert_eq!(piece.status, PieceStatus::Received);
        assert_eq!(piece.object_key.as_deref(), Some(key));
        assert_eq!(piece.received_by(), Some(Channel::Upload));
        assert_eq!(t.record.status, InscriptionStatus::Complete);
        assert_eq!(t.record.revision, record.revision + 1);
        assert_eq!(t.history.action, HistoryAction::PieceReceived);
        assert_eq!(t.history.fields, ["identity_document"]);
        let size = crate::domain::files::format_count_fr(valid_pdf().len() as u64);
        assert!(t
            .history
            .detail
            .unwrap()
            .ends_with(&format!(": PDF de {size} octets")));
        assert_eq!(t.emails, [OwedEmail::DossierComplete]);
    }

    #[test]
    fn a_bad_file_is_refused_keeping_a_good_one_received_before() {
        let now = at(BOTH_OPEN);
        let mut record = record(now);
        let kept = received(now, "candidates/a/identity_document/old");
        record
            .pieces
            .insert(PieceKind::IdentityDocument, kept.clone());
        let html = b"<html></html>";
        let checked = check(
            &record,
            &file(
                PieceKind::IdentityDocument,
                "candidates/a/identity_document/new",
                html,
                1,
            ),
            now,
        )
        .unwrap();
        let reason = checked.refusal.unwrap();
        assert!(reason.contains("n'est pas un PDF"), "{reason}");
        let piece = &checked.transition.record.pieces[&PieceKind::IdentityDocument];
        assert_eq!(piece.object_key, kept.object_key);
        assert!(piece
            .reason
            .as_deref()
            .unwrap()
            .contains("reste pris en compte"));
        assert_eq!(
            checked.transition.history.action,
            HistoryAction::PieceRefused
        );
        assert!(checked.transition.emails.is_empty());
    }

    #[test]
    fn a_confirmation_counts_only_for_its_version() {
        let now = at(BOTH_OPEN);
        let mut record = record(now);
        record.version = 2;
        let key = "candidates/a/signed_confirmation/b";
        let checked = check(
            &record,
            &file(PieceKind::SignedConfirmation, key, valid_pdf(), 1),
            now,
        )
        .unwrap();
        assert!(checked.refusal.unwrap().contains("version 1"));
        let piece = &checked.transition.record.pieces[&PieceKind::SignedConfirmation];
        assert_eq!(piece.status, PieceStatus::Missing);
        let checked = check(
            &record,
            &file(PieceKind::SignedConfirmation, key, valid_pdf(), 2),
            now,
        )
        .unwrap();
        let piece = &checked.transition.record.pieces[&PieceKind::SignedConfirmation];
        assert_eq!(piece.signed_version, Some(2));
    }

    #[test]
    fn a_cancelled_inscription_refuses_without_touching_the_piece() {
        let now = at(BOTH_OPEN);
        let mut record = record(now);
        record.status = InscriptionStatus::Cancelled;
        let key = "candidates/a/identity_document/b";
        let checked = check(
            &record,
            &file(PieceKind::IdentityDocument, key, valid_pdf(), 1),
            now,
        )
        .unwrap();
        assert!(checked.refusal.unwrap().contains("annulée"));
        assert_eq!(checked.transition.record.pieces, record.pieces);
    }

    #[test]
    fn the_same_bytes_checked_again_change_nothing() {
        let now = at(BOTH_OPEN);
        let record = record(now);
        let mut again = file(PieceKind::IdentityDocument, "k", valid_pdf(), 1);
        again.checked_digest = Some("d1");
        assert!(check(&record, &again, now).is_none());
        again.checked_digest = Some("d0");
        assert!(check(&record, &again, now).is_some());
    }
}
