//! The exams office records a piece received by post (notice, §3: « envoyées
//! par courrier postal » to the rectorat), with its postmark's date. It
//! counts exactly like an upload: the last piece in completes the dossier.
//! Letters take days: a dossier cancelled at the deadline whose last pieces
//! were postmarked in time is reinstated when they are recorded. The
//! decision of `services::admin`'s `record_piece`, as a pure function.

use chrono::{DateTime, NaiveDate, Utc};

use super::{Actor, HistoryAction, HistoryLine, OwedEmail, Transition};
use crate::domain::calendar::SessionCalendar;
use crate::domain::dossier::{Channel, InscriptionStatus, PieceStatus};
use crate::domain::pieces::{label_for, PieceKind};
use crate::domain::record::InscriptionRecord;
use crate::wording::{french_date, to_paris_string};

/// What the office read on the envelope and the paper.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PostedPiece {
    pub kind: PieceKind,
    /// The postmark's date (« cachet de la poste »), a Paris calendar day.
    pub postmarked_on: NaiveDate,
    /// For the signed confirmation: the inscription's version printed on it.
    pub version: Option<u64>,
}

/// Why a posted piece is not recorded. Each leaves the dossier untouched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordRefused {
    /// The inscription does not require this piece; `required` are those it does.
    UnknownPiece {
        kind: PieceKind,
        required: Vec<PieceKind>,
    },
    /// A postmark after today's date (Paris): a mistyped date.
    PostmarkInTheFuture {
        postmarked_on: NaiveDate,
        today: NaiveDate,
    },
    /// The piece is validated already: nothing to record over it.
    PieceValidated { label: String },
    /// A withdrawn inscription: the office reopens it first.
    InscriptionWithdrawn,
    /// Posted after the candidate's documents deadline (`deadline`, whose
    /// Paris day is the last one accepted).
    PostmarkedLate {
        postmarked_on: NaiveDate,
        deadline: DateTime<Utc>,
    },
    /// A signed confirmation without the version printed on it.
    VersionRequired,
    /// A signed confirmation of a version other than the current one.
    StaleConfirmation { printed: u64, current: u64 },
}

impl RecordRefused {
    /// The code the admin API answers.
    pub fn code(&self) -> &'static str {
        match self {
            RecordRefused::UnknownPiece { .. } => "unknown_piece",
            RecordRefused::PostmarkInTheFuture { .. } | RecordRefused::VersionRequired => {
                "invalid_event"
            }
            RecordRefused::PieceValidated { .. } => "piece_validated",
            RecordRefused::InscriptionWithdrawn => "inscription_withdrawn",
            RecordRefused::PostmarkedLate { .. } => "postmarked_late",
            RecordRefused::StaleConfirmation { .. } => "stale_confirmation",
        }
    }

    /// The field of the event at fault.
    pub fn field(&self) -> &'static str {
        match self {
            RecordRefused::UnknownPiece { .. } | RecordRefused::PieceValidated { .. } => "kind",
            RecordRefused::InscriptionWithdrawn => "email",
            RecordRefused::PostmarkInTheFuture { .. } | RecordRefused::PostmarkedLate { .. } => {
                "postmarked_on"
            }
            RecordRefused::VersionRequired | RecordRefused::StaleConfirmation { .. } => "version",
        }
    }

    /// What the admin reads, in French.
    pub fn message_fr(&self) -> String {
        match self {
            RecordRefused::UnknownPiece { kind, required } => {
                let required: Vec<&str> = required.iter().map(|k| k.code()).collect();
                format!(
                    "Cette inscription ne demande pas la pièce « {} » ; pièces demandées : {}.",
                    kind.code(),
                    required.join(", ")
                )
            }
            RecordRefused::PostmarkInTheFuture {
                postmarked_on,
                today,
            } => format!(
                "Le cachet de la poste ne peut pas être postérieur à aujourd'hui ({}) : vous avez indiqué le {}. Vérifiez la date.",
                french_date(*today),
                french_date(*postmarked_on)
            ),
            RecordRefused::PieceValidated { label } => format!(
                "La pièce « {label} » est déjà validée : un envoi postal ne peut pas la remplacer."
            ),
            RecordRefused::PostmarkedLate {
                postmarked_on,
                deadline,
            } => format!(
                "Envoi hors délai : le cachet de la poste ({}) est postérieur à la date limite de dépôt du candidat, le {} (heure de Paris). La pièce n'est pas enregistrée.",
                french_date(*postmarked_on),
                to_paris_string(*deadline)
            ),
            RecordRefused::InscriptionWithdrawn => "Cette inscription est retirée : rouvrez-la d'abord (action « reopen ») pour enregistrer une pièce reçue par courrier.".to_owned(),
            RecordRefused::VersionRequired => "Pour la confirmation d'inscription signée, le champ « version » (le numéro de version imprimé sur la confirmation) est obligatoire.".to_owned(),
            RecordRefused::StaleConfirmation { printed, current } => format!(
                "Cette confirmation signée correspond à la version {printed} de l'inscription, qui a été modifiée depuis (version {current}) : elle n'est plus valable. Le candidat doit dater, signer et envoyer la confirmation de la version {current}."
            ),
        }
    }
}

/// Records `posted` as received by post; `None` when it is recorded so
/// already (same postmark, same version): the event was sent twice.
pub fn record_posted(
    record: &InscriptionRecord,
    posted: &PostedPiece,
    actor: &Actor,
    calendar: &SessionCalendar,
    now: DateTime<Utc>,
) -> Result<Option<Transition>, RecordRefused> {
    if record.status == InscriptionStatus::Withdrawn {
        return Err(RecordRefused::InscriptionWithdrawn);
    }
    let kind = posted.kind;
    let current = record
        .pieces
        .get(&kind)
        .ok_or_else(|| RecordRefused::UnknownPiece {
            kind,
            required: record.pieces.keys().copied().collect(),
        })?;
    let paris_day = |at: DateTime<Utc>| at.with_timezone(&calendar.timezone).date_naive();
    let today = paris_day(now);
    if posted.postmarked_on > today {
        return Err(RecordRefused::PostmarkInTheFuture {
            postmarked_on: posted.postmarked_on,
            today,
        });
    }
    let label = label_for(kind, &record.data);
    if current.status == PieceStatus::Validated {
        return Err(RecordRefused::PieceValidated { label });
    }
    let deadline = record.documents_deadline(calendar);
    if posted.postmarked_on > paris_day(deadline) {
        return Err(RecordRefused::PostmarkedLate {
            postmarked_on: posted.postmarked_on,
            deadline,
        });
    }
    let signed_version = signed_version(record, posted)?;
    let recorded_already = current.status == PieceStatus::Received
        && current.channel == Some(Channel::Post)
        && current.postmarked_on == Some(posted.postmarked_on)
        && current.signed_version == signed_version;
    if recorded_already {
        return Ok(None);
    }

    let mut next = record.clone();
    if let Some(piece) = next.pieces.get_mut(&kind) {
        // What other fields the piece holds (e.g. files kept as evidence of
        // a rejection) stay; what described an uploaded file goes.
        piece.status = PieceStatus::Received;
        piece.reason = None;
        piece.received_at = Some(now);
        piece.object_key = None;
        piece.content_type = None;
        piece.size_bytes = None;
        piece.signed_version = signed_version;
        piece.reviewed_at = None;
        piece.channel = Some(Channel::Post);
        piece.postmarked_on = Some(posted.postmarked_on);
    }
    let reinstated = record.status == InscriptionStatus::Cancelled
        && next.pieces.values().all(|piece| piece.is_in());
    if reinstated {
        next.status = InscriptionStatus::Registered;
        next.cancelled_at = None;
    }
    next.refresh_status();
    next.revision += 1;
    next.updated_at = now;

    let mut detail = format!(
        "Pièce reçue par courrier : {label} (cachet de la poste du {}",
        french_date(posted.postmarked_on)
    );
    if let Some(version) = signed_version {
        detail.push_str(&format!(", version {version} de l'inscription"));
    }
    detail.push_str(").");
    let mut emails = Vec::new();
    if reinstated {
        detail.push_str(
            " Toutes les pièces ont été postées à temps : inscription rétablie, dossier complet.",
        );
        emails.push(OwedEmail::DossierReinstated);
    } else if next.status == InscriptionStatus::Complete
        && record.status != InscriptionStatus::Complete
    {
        detail.push_str(" Dossier complet.");
        emails.push(OwedEmail::DossierComplete);
    } else if next.status == InscriptionStatus::Cancelled {
        detail.push_str(" L'inscription reste annulée tant que des pièces manquent.");
    }
    Ok(Some(Transition {
        history: HistoryLine {
            at: now,
            actor: actor.clone(),
            action: HistoryAction::PieceRecorded,
            fields: vec![kind.code().to_owned()],
            version: next.version,
            detail: Some(detail),
        },
        record: next,
        emails,
    }))
}

/// The version a posted signed confirmation counts for: the one printed on
/// it, which must be the inscription's current one (as for an upload).
fn signed_version(
    record: &InscriptionRecord,
    posted: &PostedPiece,
) -> Result<Option<u64>, RecordRefused> {
    if posted.kind != PieceKind::SignedConfirmation {
        return Ok(None);
    }
    let printed = posted.version.ok_or(RecordRefused::VersionRequired)?;
    if printed != record.version {
        return Err(RecordRefused::StaleConfirmation {
            printed,
            current: record.version,
        });
    }
    Ok(Some(printed))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::dossier::PieceState;
    use crate::domain::transitions::cancel::cancel;
    use crate::domain::transitions::fixtures::*;
    use chrono::Duration;

    fn admin() -> Actor {
        Actor::Admin("Mme Durand (DIEC)".into())
    }

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn posted(kind: PieceKind, on: &str, version: Option<u64>) -> PostedPiece {
        PostedPiece {
            kind,
            postmarked_on: day(on),
            version,
        }
    }

    /// Every piece of `record` posted on `on`, recorded at `now`, in order.
    fn post_all(
        mut record: InscriptionRecord,
        on: &str,
        now: DateTime<Utc>,
    ) -> (InscriptionRecord, Vec<Transition>) {
        let kinds: Vec<PieceKind> = record.pieces.keys().copied().collect();
        let mut done = Vec::new();
        for kind in kinds {
            let version = (kind == PieceKind::SignedConfirmation).then_some(record.version);
            let t = record_posted(
                &record,
                &posted(kind, on, version),
                &admin(),
                &calendar(),
                now,
            )
            .unwrap()
            .unwrap();
            record = t.record.clone();
            done.push(t);
        }
        (record, done)
    }

    #[test]
    fn a_posted_piece_is_received_by_post_and_the_last_completes_the_dossier() {
        let now = at(BOTH_OPEN);
        let (record, done) = post_all(record(at("2021-10-20T10:00:00Z")), "2021-10-26", now);
        let confirmation = &record.pieces[&PieceKind::SignedConfirmation];
        assert_eq!(confirmation.status, PieceStatus::Received);
        assert_eq!(confirmation.received_by(), Some(Channel::Post));
        assert_eq!(confirmation.postmarked_on, Some(day("2021-10-26")));
        assert_eq!(confirmation.signed_version, Some(1));
        assert_eq!(confirmation.received_at, Some(now));
        assert_eq!(record.status, InscriptionStatus::Complete);
        let (last, others) = done.split_last().unwrap();
        assert!(others.iter().all(|t| t.emails.is_empty()));
        assert_eq!(last.emails, [OwedEmail::DossierComplete]);
        assert_eq!(last.history.action, HistoryAction::PieceRecorded);
        assert_eq!(last.history.actor, admin());
        assert!(last
            .history
            .detail
            .as_deref()
            .unwrap()
            .ends_with("(cachet de la poste du mardi 26 octobre 2021). Dossier complet."));
        // Complete: neither reminded nor cancelled.
        let deadline = at(DOCUMENTS_CLOSE);
        assert!(!record.awaits_uploads(deadline));
        // Recorded again as it is: nothing to change.
        let again = posted(PieceKind::IdentityDocument, "2021-10-26", None);
        assert!(record_posted(&record, &again, &admin(), &calendar(), now)
            .unwrap()
            .is_none());
    }

    #[test]
    fn a_postmark_on_the_deadlines_paris_day_counts_the_next_day_is_late() {
        let deadline = at(DOCUMENTS_CLOSE);
        let now = deadline + Duration::days(3);
        let record = record(at("2021-10-20T10:00:00Z"));
        let kind = PieceKind::IdentityDocument;
        let late = record_posted(
            &record,
            &posted(kind, "2021-11-08", None),
            &admin(),
            &calendar(),
            now,
        )
        .unwrap_err();
        assert_eq!(late.code(), "postmarked_late");
        assert_eq!(late.field(), "postmarked_on");
        assert!(late
            .message_fr()
            .contains("dimanche 7 novembre 2021 à 23 h 59"));
        let t = record_posted(
            &record,
            &posted(kind, "2021-11-07", None),
            &admin(),
            &calendar(),
            now,
        )
        .unwrap()
        .unwrap();
        assert_eq!(t.record.pieces[&kind].status, PieceStatus::Received);
        // An extension moves the last day accepted.
        let mut extended = record.clone();
        extended.documents_deadline_extension = Some(at("2021-11-14T22:59:59.999Z"));
        assert!(record_posted(
            &extended,
            &posted(kind, "2021-11-14", None),
            &admin(),
            &calendar(),
            now + Duration::days(10),
        )
        .is_ok());
    }

    #[test]
    fn mistyped_postmarks_are_refused() {
        let now = at(BOTH_OPEN);
        let record = record(at("2021-10-20T10:00:00Z"));
        let kind = PieceKind::IdentityDocument;
        let refused = |on| {
            record_posted(&record, &posted(kind, on, None), &admin(), &calendar(), now).unwrap_err()
        };
        // Today's date in Paris (26 October) is accepted, the 27th is not.
        assert!(record_posted(
            &record,
            &posted(kind, "2021-10-26", None),
            &admin(),
            &calendar(),
            now
        )
        .is_ok());
        let future = refused("2021-10-27");
        assert_eq!(
            (future.code(), future.field()),
            ("invalid_event", "postmarked_on")
        );
        assert!(future.message_fr().contains("mercredi 27 octobre 2021"));
    }

    #[test]
    fn a_signed_confirmation_needs_the_current_version() {
        let now = at(BOTH_OPEN);
        let mut record = record(at("2021-10-20T10:00:00Z"));
        record.version = 3;
        let kind = PieceKind::SignedConfirmation;
        let refused = |version| {
            record_posted(
                &record,
                &posted(kind, "2021-10-25", version),
                &admin(),
                &calendar(),
                now,
            )
            .unwrap_err()
        };
        assert_eq!(refused(None), RecordRefused::VersionRequired);
        assert_eq!(refused(None).field(), "version");
        let stale = refused(Some(2));
        assert_eq!(stale.code(), "stale_confirmation");
        assert!(stale.message_fr().contains("version 2"));
        let t = record_posted(
            &record,
            &posted(kind, "2021-10-25", Some(3)),
            &admin(),
            &calendar(),
            now,
        )
        .unwrap()
        .unwrap();
        assert_eq!(t.record.pieces[&kind].signed_version, Some(3));
        assert!(t
            .history
            .detail
            .unwrap()
            .contains(", version 3 de l'inscription)."));
    }

    #[test]
    fn a_validated_or_unrequired_piece_is_refused() {
        let now = at(BOTH_OPEN);
        let mut record = record(at("2021-10-20T10:00:00Z"));
        let kind = PieceKind::IdentityDocument;
        record.pieces.insert(
            kind,
            PieceState {
                status: PieceStatus::Validated,
                ..received(now, "k")
            },
        );
        let refused = record_posted(
            &record,
            &posted(kind, "2021-10-26", None),
            &admin(),
            &calendar(),
            now,
        )
        .unwrap_err();
        assert_eq!(
            (refused.code(), refused.field()),
            ("piece_validated", "kind")
        );
        let unknown = PieceKind::ALL
            .into_iter()
            .find(|k| !record.pieces.contains_key(k))
            .unwrap();
        let refused = record_posted(
            &record,
            &posted(unknown, "2021-10-26", None),
            &admin(),
            &calendar(),
            now,
        )
        .unwrap_err();
        assert_eq!(refused.code(), "unknown_piece");
    }

    #[test]
    fn a_withdrawn_dossier_takes_no_posted_piece_until_reopened() {
        let now = at(BOTH_OPEN);
        let mut record = record(at("2021-10-20T10:00:00Z"));
        record.status = InscriptionStatus::Withdrawn;
        let refused = record_posted(
            &record,
            &posted(PieceKind::IdentityDocument, "2021-10-26", None),
            &admin(),
            &calendar(),
            now,
        )
        .unwrap_err();
        assert_eq!(refused.code(), "inscription_withdrawn");
    }

    #[test]
    fn a_posted_piece_replaces_an_upload_or_a_rejected_one() {
        let now = at(BOTH_OPEN);
        let mut record = record(at("2021-10-20T10:00:00Z"));
        let kind = PieceKind::IdentityDocument;
        record.pieces.insert(
            kind,
            PieceState {
                status: PieceStatus::Rejected,
                reason: Some("Illisible".into()),
                reviewed_at: Some(now),
                ..received(now, "k")
            },
        );
        let t = record_posted(
            &record,
            &posted(kind, "2021-10-26", None),
            &admin(),
            &calendar(),
            now,
        )
        .unwrap()
        .unwrap();
        let piece = &t.record.pieces[&kind];
        assert_eq!(piece.status, PieceStatus::Received);
        assert_eq!((piece.reason.as_ref(), piece.reviewed_at), (None, None));
        assert_eq!(piece.object_key, None);
        assert_eq!(piece.received_by(), Some(Channel::Post));
    }

    #[test]
    fn a_cancelled_dossier_is_reinstated_when_its_last_posted_piece_is_recorded() {
        let deadline = at(DOCUMENTS_CLOSE);
        let created = at("2021-10-20T10:00:00Z");
        let cancelled_at = deadline + Duration::milliseconds(1);
        let cancelled = cancel(&record(created), deadline, cancelled_at).record;
        let now = deadline + Duration::days(4);
        let (reinstated, done) = post_all(cancelled, "2021-11-06", now);
        assert_eq!(reinstated.status, InscriptionStatus::Complete);
        assert_eq!(reinstated.cancelled_at, None);
        let (last, others) = done.split_last().unwrap();
        // The dossier stays cancelled until the last piece, no email before.
        for t in others {
            assert_eq!(t.record.status, InscriptionStatus::Cancelled);
            assert!(t.emails.is_empty());
            assert!(t
                .history
                .detail
                .as_deref()
                .unwrap()
                .ends_with("tant que des pièces manquent."));
        }
        assert_eq!(last.emails, [OwedEmail::DossierReinstated]);
        assert!(last
            .history
            .detail
            .as_deref()
            .unwrap()
            .ends_with("inscription rétablie, dossier complet."));
        // A late one is refused and changes nothing.
        let cancelled = cancel(&record(created), deadline, cancelled_at).record;
        let late = record_posted(
            &cancelled,
            &posted(PieceKind::IdentityDocument, "2021-11-08", None),
            &admin(),
            &calendar(),
            now,
        );
        assert_eq!(late.unwrap_err().code(), "postmarked_late");
    }
}
