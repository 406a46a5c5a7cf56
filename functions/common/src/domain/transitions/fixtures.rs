//! Records and instants for the transitions' unit tests (session 2022, whose
//! Bac Pro windows are: registration 14–31 October 2021, documents
//! 25 October – 7 November 2021, Paris time).

use chrono::{DateTime, NaiveDate, Utc};

use crate::domain::calendar::SessionCalendar;
use crate::domain::dossier::{
    reconcile_pieces, InscriptionStatus, PieceState, PieceStatus, Pieces,
};
use crate::domain::inscription::{Address, Disability, Identity, ValidInscription};
use crate::domain::pieces::PieceKind;
use crate::domain::record::InscriptionRecord;
use crate::domain::Diploma;

pub fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

pub fn calendar() -> SessionCalendar {
    SessionCalendar::embedded("2022").unwrap()
}

/// The last millisecond of the Bac Pro's registration window.
pub const REGISTRATION_CLOSES: &str = "2021-10-31T22:59:59.999Z";
/// The last millisecond of the Bac Pro's documents window.
pub const DOCUMENTS_CLOSE: &str = "2021-11-07T22:59:59.999Z";
/// An instant when both Bac Pro windows are open.
pub const BOTH_OPEN: &str = "2021-10-26T10:00:00Z";

pub fn data(last_name: &str) -> ValidInscription {
    ValidInscription {
        diploma: Diploma::BacPro,
        specialty: "MELEC".into(),
        identity: Identity {
            last_name: last_name.into(),
            first_names: "Zoé".into(),
            birth_date: NaiveDate::from_ymd_opt(1990, 5, 17).unwrap(),
            birth_place: "Marseille".into(),
            birth_department: None,
            birth_country: None,
            nationality: "FR".into(),
            address: Address {
                line1: "12 rue de la République".into(),
                line2: None,
                postal_code: "13001".into(),
                city: "Marseille".into(),
                country: "FR".into(),
            },
            phone: "+33612345678".into(),
        },
        disability: Disability::default(),
        acquis: Vec::new(),
        options: Vec::new(),
    }
}

/// A registered Bac Pro inscription created at `created`, every piece missing.
pub fn record(created: DateTime<Utc>) -> InscriptionRecord {
    let data = data("N'Diaye");
    InscriptionRecord {
        record_type: "inscription".into(),
        account_id: "0123456789abcdef0123456789abcdef".into(),
        email: "zoe@exemple.fr".into(),
        session: "2022".into(),
        candidate_number: None,
        pieces: reconcile_pieces(&data, created.date_naive(), &Pieces::new()),
        data,
        version: 1,
        revision: 1,
        status: InscriptionStatus::Registered,
        created_at: created,
        updated_at: created,
        documents_deadline_extension: None,
        reminders_sent: Vec::new(),
        cancelled_at: None,
        withdrawn_at: None,
        extension_job: None,
        legal_hold: None,
    }
}

/// A piece received at `at` from `key`.
pub fn received(at: DateTime<Utc>, key: &str) -> PieceState {
    PieceState {
        status: PieceStatus::Received,
        received_at: Some(at),
        object_key: Some(key.into()),
        content_type: Some("application/pdf".into()),
        size_bytes: Some(10),
        ..PieceState::missing()
    }
}

/// `record` with every piece received at `at`.
pub fn all_received(mut record: InscriptionRecord, at: DateTime<Utc>) -> InscriptionRecord {
    let kinds: Vec<PieceKind> = record.pieces.keys().copied().collect();
    for kind in kinds {
        record.pieces.insert(
            kind,
            received(at, &format!("candidates/x/{}/y", kind.code())),
        );
    }
    record.refresh_status();
    record
}
