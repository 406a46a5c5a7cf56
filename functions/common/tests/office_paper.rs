//! The paper channel (notice, §3: the signed confirmation and the pieces
//! « envoyées par courrier postal » to the rectorat): the office's
//! `record_piece`, each case on both backends (SQLite and a folder; DynamoDB,
//! SES and S3 on moto). The clock is fixed and set by each case.
//!
//! Candidates are seeded straight into the store: a Bac Pro inscription of a
//! Belgian candidate owes two pieces, the signed confirmation and the
//! identity document.

use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde_json::{json, Value};

use examreg_common::app::{App, Config};
use examreg_common::domain::account::AccountStatus;
use examreg_common::domain::dossier::{Channel, InscriptionStatus, PieceState, Pieces};
use examreg_common::domain::inscription::{Address, Disability, Identity, ValidInscription};
use examreg_common::domain::pieces::PieceKind;
use examreg_common::domain::Diploma;
use examreg_common::on_both_backends;
use examreg_common::ports::store::{Condition, Item, WriteOp};
use examreg_common::ports::OutgoingEmail;
use examreg_common::records::account::AccountRecord;
use examreg_common::records::dossier::InscriptionRecord;
use examreg_common::records::history::HistoryEntry;
use examreg_common::records::keys;
use examreg_common::security;
use examreg_common::services::admin;
use examreg_common::services::inscription;
use examreg_common::services::sweep::{self, SweepReport};
use examreg_common::testkit::{self, at, Backend, FixedClock, RecordingMailer, ScratchDir};

/// The Bac Pro documents window closes on Sunday 7 November 2021 at
/// 23:59:59.999 Paris time (CET).
const BAC_PRO_CLOSE: &str = "2021-11-07T22:59:59.999Z";
const CREATED: &str = "2021-10-20T08:00:00Z";
const ACTOR: &str = "Mme Durand (DIEC 3.05)";

struct Fixture {
    app: Arc<App>,
    clock: Arc<FixedClock>,
    mailer: Arc<RecordingMailer>,
    domain: String,
    _scratch: Option<ScratchDir>,
}

async fn fixture(backend: Backend, now: &str) -> Fixture {
    let adapters = backend.adapters().await;
    let clock = Arc::new(FixedClock::new(at(now)));
    let mailer = Arc::new(RecordingMailer::new(adapters.mailer));
    let config = Config {
        mail_rate_per_second: 1000.0,
        ..Config::default()
    };
    let app = testkit::app(
        config,
        adapters.store,
        mailer.clone(),
        adapters.documents,
        clock.clone(),
    );
    Fixture {
        app: Arc::new(app),
        clock,
        mailer,
        domain: testkit::unique_domain("paper"),
        _scratch: adapters.scratch,
    }
}

/// A candidate seeded in the store.
struct Seeded {
    email: String,
    account_id: String,
}

fn data(last_name: &str) -> ValidInscription {
    ValidInscription {
        diploma: Diploma::BacPro,
        specialty: "MCV_A".into(),
        identity: Identity {
            last_name: last_name.into(),
            first_names: "Zoé Anaïs".into(),
            birth_date: NaiveDate::from_ymd_opt(1990, 2, 3).unwrap(),
            birth_place: "Aix-en-Provence".into(),
            birth_department: None,
            birth_country: None,
            // Not French: no JDC certificate, so two pieces.
            nationality: "BE".into(),
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

impl Fixture {
    fn set_now(&self, now: DateTime<Utc>) {
        self.clock.set(now);
    }

    /// An active candidate whose inscription (at `version`) owes both
    /// pieces; `pieces` overrides some of them.
    async fn seed(&self, name: &str, version: u64, pieces: &[(PieceKind, PieceState)]) -> Seeded {
        let email = format!("{name}@{}", self.domain);
        let created = at(CREATED);
        let account_id = security::new_account_id();
        let account = AccountRecord {
            record_type: "account".into(),
            account_id: account_id.clone(),
            email: email.clone(),
            email_canonical: email.to_lowercase(),
            status: AccountStatus::Active,
            created_at: created,
            activation_deadline: created + Duration::hours(48),
            activated_at: Some(created),
            password_hash: "not-a-real-hash".into(),
            activation_token_hash: None,
            activation_password_hash: None,
            reset_token_hash: None,
            reset_expires_at: None,
            login_link_hash: None,
            login_link_expires_at: None,
            version: 1,
        };
        let mut owed: Pieces = [PieceKind::SignedConfirmation, PieceKind::IdentityDocument]
            .into_iter()
            .map(|kind| (kind, PieceState::missing()))
            .collect();
        owed.extend(pieces.iter().cloned());
        let mut record = InscriptionRecord {
            record_type: "inscription".into(),
            account_id: account_id.clone(),
            email: email.clone(),
            session: "2022".into(),
            data: data(&format!("Nom-{name}")),
            version,
            revision: 1,
            status: InscriptionStatus::Registered,
            pieces: owed,
            created_at: created,
            updated_at: created,
            documents_deadline_extension: None,
            reminders_sent: Vec::new(),
            cancelled_at: None,
            withdrawn_at: None,
            candidate_number: None,
            extension_job: None,
            legal_hold: None,
        };
        record.refresh_status();
        let history = HistoryEntry {
            at: created,
            actor: "candidate".into(),
            action: "created".into(),
            fields: Vec::new(),
            version,
            detail: None,
        };
        let guard = Item::new(keys::email_guard(&account.email_canonical))
            .with("record_type", "email_guard")
            .with("email", account.email_canonical.as_str())
            .with("account_id", account_id.as_str());
        let mut ops = vec![
            WriteOp::put(account.to_item().unwrap(), Condition::NotExists),
            WriteOp::put(guard, Condition::NotExists),
        ];
        ops.extend(record.write_ops(&self.app.calendar, 0, history).unwrap());
        self.app.store.transact(ops).await.unwrap();
        Seeded { email, account_id }
    }

    async fn admin(&self, event: Value) -> Value {
        admin::handle_value(&self.app, event).await
    }

    /// `record_piece` for `who`, postmarked on `day`.
    async fn record(&self, who: &Seeded, kind: &str, day: &str, version: Option<u64>) -> Value {
        let mut event = json!({
            "action": "record_piece", "actor": ACTOR, "email": who.email,
            "kind": kind, "postmarked_on": day,
        });
        if let Some(version) = version {
            event["version"] = json!(version);
        }
        self.admin(event).await
    }

    async fn inscription(&self, who: &Seeded) -> InscriptionRecord {
        inscription::load(&self.app, &who.account_id)
            .await
            .unwrap()
            .expect("inscription")
    }

    async fn history(&self, who: &Seeded) -> Vec<HistoryEntry> {
        inscription::history(&self.app, &who.account_id)
            .await
            .unwrap()
    }

    async fn sweep(&self) -> SweepReport {
        sweep::run(&self.app, Instant::now() + StdDuration::from_secs(60))
            .await
            .unwrap()
    }

    fn mails_to(&self, who: &Seeded) -> Vec<OutgoingEmail> {
        self.mailer.sent_to(&who.email)
    }
}

fn subjects(mails: &[OutgoingEmail]) -> Vec<&str> {
    mails.iter().map(|m| m.subject.as_str()).collect()
}

/// The piece `kind` in an answer's `pieces`.
fn piece<'a>(answer: &'a Value, kind: &str) -> &'a Value {
    answer["pieces"]
        .as_array()
        .unwrap_or_else(|| panic!("no pieces in {answer}"))
        .iter()
        .find(|p| p["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} in {answer}"))
}

fn error_code(answer: &Value) -> (&str, &str) {
    (
        answer["error"]["code"].as_str().unwrap_or("none"),
        answer["error"]["field"].as_str().unwrap_or("none"),
    )
}

// ---------------------------------------------------------------------------

on_both_backends!(
    a_posted_dossier_completed_by_record_piece_is_never_reminded_or_cancelled,
    a_cancelled_dossier_is_reinstated_by_pieces_postmarked_in_time,
    a_late_postmark_is_refused_and_changes_nothing,
    a_stale_or_unnamed_confirmation_is_refused_and_changes_nothing,
    every_read_says_the_channel,
);

async fn a_posted_dossier_completed_by_record_piece_is_never_reminded_or_cancelled(
    backend: Backend,
) {
    let fx = fixture(backend, "2021-10-28T09:00:00Z").await;
    let posted = fx.seed("posted", 1, &[]).await;
    let silent = fx.seed("silent", 1, &[]).await;

    let answer = fx
        .record(&posted, "identity_document", "2021-10-26", None)
        .await;
    assert_eq!(answer["status"], "registered", "{answer}");
    let identity = piece(&answer, "identity_document");
    assert_eq!(
        (
            &identity["status"],
            &identity["channel"],
            &identity["postmarked_on"]
        ),
        (&json!("received"), &json!("post"), &json!("2021-10-26")),
        "{answer}"
    );
    assert!(fx.mails_to(&posted).is_empty());

    let answer = fx
        .record(&posted, "signed_confirmation", "2021-10-27", Some(1))
        .await;
    assert_eq!(answer["status"], "complete", "{answer}");
    assert_eq!(answer["notification"], "sent", "{answer}");
    assert_eq!(
        subjects(&fx.mails_to(&posted)),
        ["Votre dossier d'inscription est complet"]
    );
    let record = fx.inscription(&posted).await;
    let confirmation = &record.pieces[&PieceKind::SignedConfirmation];
    assert_eq!(confirmation.signed_version, Some(1));
    assert_eq!(confirmation.received_by(), Some(Channel::Post));
    let history = fx.history(&posted).await;
    let recorded: Vec<&HistoryEntry> = history
        .iter()
        .filter(|h| h.action == "piece_recorded")
        .collect();
    assert_eq!(recorded.len(), 2, "{history:?}");
    assert!(recorded
        .iter()
        .all(|h| h.actor == format!("console:{ACTOR}")));
    assert!(recorded[1]
        .detail
        .as_deref()
        .unwrap()
        .ends_with("Dossier complet."));

    // Past both reminders' instants and the deadline: only the silent
    // candidate is reminded, then cancelled.
    let close = at(BAC_PRO_CLOSE);
    for now in [
        close - Duration::days(7),
        close - Duration::days(2),
        close + Duration::milliseconds(1),
        close + Duration::days(3),
    ] {
        fx.set_now(now);
        fx.sweep().await;
    }
    assert_eq!(
        subjects(&fx.mails_to(&posted)),
        ["Votre dossier d'inscription est complet"]
    );
    assert_eq!(
        fx.inscription(&posted).await.status,
        InscriptionStatus::Complete
    );
    let reminded = fx.mails_to(&silent);
    assert_eq!(reminded.len(), 3, "{:?}", subjects(&reminded));
    assert_eq!(
        fx.inscription(&silent).await.status,
        InscriptionStatus::Cancelled
    );
    // The reminders said both ways, with the rectorat's address.
    assert!(
        reminded[0].text.contains("rubrique « Mes documents »")
            && reminded[0].text.contains("par courrier postal")
            && reminded[0]
                .text
                .contains("Place Lucien Paye\n13621 Aix-en-Provence cedex 1"),
        "{}",
        reminded[0].text
    );

    // A validated piece cannot be recorded again.
    let answer = fx
        .admin(json!({"action": "validate_piece", "actor": ACTOR, "email": posted.email, "kind": "identity_document"}))
        .await;
    assert_eq!(piece(&answer, "identity_document")["status"], "validated");
    let revision = fx.inscription(&posted).await.revision;
    let answer = fx
        .record(&posted, "identity_document", "2021-11-02", None)
        .await;
    assert_eq!(error_code(&answer), ("piece_validated", "kind"), "{answer}");
    assert_eq!(fx.inscription(&posted).await.revision, revision);
}

async fn a_cancelled_dossier_is_reinstated_by_pieces_postmarked_in_time(backend: Backend) {
    let fx = fixture(backend, CREATED).await;
    let late_mail = fx.seed("letters", 1, &[]).await;
    let close = at(BAC_PRO_CLOSE);
    fx.set_now(close + Duration::milliseconds(1));
    assert_eq!(fx.sweep().await.cancellations, 1);
    assert_eq!(
        fx.inscription(&late_mail).await.status,
        InscriptionStatus::Cancelled
    );
    let before = fx.mails_to(&late_mail).len();

    // The letters arrive three days later, postmarked before the deadline.
    fx.set_now(close + Duration::days(3));
    let answer = fx
        .record(&late_mail, "identity_document", "2021-11-05", None)
        .await;
    assert_eq!(answer["status"], "cancelled", "{answer}");
    assert_eq!(piece(&answer, "identity_document")["channel"], "post");
    assert_eq!(fx.mails_to(&late_mail).len(), before);

    let answer = fx
        .record(&late_mail, "signed_confirmation", "2021-11-07", Some(1))
        .await;
    assert_eq!(answer["status"], "complete", "{answer}");
    let record = fx.inscription(&late_mail).await;
    assert_eq!(record.status, InscriptionStatus::Complete);
    assert_eq!(record.cancelled_at, None);
    let mails = fx.mails_to(&late_mail);
    assert_eq!(mails.len(), before + 1);
    let last = mails.last().unwrap();
    assert_eq!(
        last.subject,
        "Votre inscription est rétablie : dossier complet"
    );
    assert!(
        last.text.contains("le cachet de la poste fait foi"),
        "{}",
        last.text
    );
    let history = fx.history(&late_mail).await;
    let line = history.last().unwrap();
    assert_eq!(line.action, "piece_recorded");
    assert!(
        line.detail
            .as_deref()
            .unwrap()
            .contains("inscription rétablie"),
        "{line:?}"
    );

    // Nothing more falls due.
    fx.set_now(close + Duration::days(10));
    assert_eq!(fx.sweep().await.cancellations, 0);
    assert_eq!(fx.mails_to(&late_mail).len(), before + 1);
}

async fn a_late_postmark_is_refused_and_changes_nothing(backend: Backend) {
    let fx = fixture(backend, CREATED).await;
    let who = fx.seed("late", 1, &[]).await;
    let close = at(BAC_PRO_CLOSE);
    fx.set_now(close + Duration::days(2));
    let before = fx.inscription(&who).await;
    let history = fx.history(&who).await.len();

    let answer = fx
        .record(&who, "identity_document", "2021-11-08", None)
        .await;
    assert_eq!(
        error_code(&answer),
        ("postmarked_late", "postmarked_on"),
        "{answer}"
    );
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("dimanche 7 novembre 2021 à 23 h 59"),
        "{answer}"
    );
    // A postmark in the future (after today in Paris) is a bad field.
    let answer = fx
        .record(&who, "identity_document", "2021-11-10", None)
        .await;
    assert_eq!(
        error_code(&answer),
        ("invalid_event", "postmarked_on"),
        "{answer}"
    );

    let after = fx.inscription(&who).await;
    assert_eq!(after.revision, before.revision);
    assert_eq!(after.pieces, before.pieces);
    assert_eq!(fx.history(&who).await.len(), history);
    assert!(fx.mails_to(&who).is_empty());
}

async fn a_stale_or_unnamed_confirmation_is_refused_and_changes_nothing(backend: Backend) {
    let fx = fixture(backend, "2021-10-28T09:00:00Z").await;
    let who = fx.seed("stale", 2, &[]).await;
    let before = fx.inscription(&who).await;

    let answer = fx
        .record(&who, "signed_confirmation", "2021-10-26", Some(1))
        .await;
    assert_eq!(
        error_code(&answer),
        ("stale_confirmation", "version"),
        "{answer}"
    );
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("version 1 de l'inscription, qui a été modifiée depuis (version 2)"),
        "{answer}"
    );
    let answer = fx
        .record(&who, "signed_confirmation", "2021-10-26", None)
        .await;
    assert_eq!(
        error_code(&answer),
        ("invalid_event", "version"),
        "{answer}"
    );
    assert_eq!(fx.inscription(&who).await.revision, before.revision);

    let answer = fx
        .record(&who, "signed_confirmation", "2021-10-26", Some(2))
        .await;
    assert_eq!(piece(&answer, "signed_confirmation")["status"], "received");
    assert_eq!(
        fx.inscription(&who).await.pieces[&PieceKind::SignedConfirmation].signed_version,
        Some(2)
    );
    // The same event again changes nothing.
    let revision = fx.inscription(&who).await.revision;
    let again = fx
        .record(&who, "signed_confirmation", "2021-10-26", Some(2))
        .await;
    assert_eq!(again["pieces"], answer["pieces"]);
    assert_eq!(fx.inscription(&who).await.revision, revision);
}

async fn every_read_says_the_channel(backend: Backend) {
    let fx = fixture(backend, "2021-10-28T09:00:00Z").await;
    // An identity document uploaded before the paper channel existed: no
    // channel stored.
    let uploaded = PieceState {
        status: examreg_common::domain::dossier::PieceStatus::Received,
        received_at: Some(at("2021-10-26T10:00:00Z")),
        object_key: Some("candidates/x/identity_document/y".into()),
        content_type: Some("application/pdf".into()),
        size_bytes: Some(1000),
        ..PieceState::missing()
    };
    let who = fx
        .seed("reader", 1, &[(PieceKind::IdentityDocument, uploaded)])
        .await;
    let record = fx.inscription(&who).await;
    assert_eq!(record.pieces[&PieceKind::IdentityDocument].channel, None);

    // The candidate's view (GET /inscription and GET /inscription/pieces).
    let view = serde_json::to_value(inscription::view(&fx.app, &record)).unwrap();
    assert_eq!(piece(&view, "identity_document")["channel"], "upload");
    let owed = piece(&view, "signed_confirmation");
    assert!(owed.get("channel").is_none(), "{owed}");
    let how = owed["how_to_send"].as_str().unwrap();
    assert!(
        how.contains("« Mes documents »") && how.contains("RECTORAT D'AIX-MARSEILLE"),
        "{how}"
    );

    fx.record(&who, "signed_confirmation", "2021-10-27", Some(1))
        .await;
    let got = fx.admin(json!({"action": "get", "email": who.email})).await;
    assert_eq!(got["status"], "complete", "{got}");
    assert_eq!(piece(&got, "identity_document")["channel"], "upload");
    let posted = piece(&got, "signed_confirmation");
    assert_eq!(posted["channel"], "post", "{got}");
    assert_eq!(posted["postmarked_on"], "2021-10-27");
    assert!(posted.get("how_to_send").is_none(), "{posted}");
    let stored = fx.inscription(&who).await;
    assert_eq!(
        stored.pieces[&PieceKind::SignedConfirmation].channel,
        Some(Channel::Post)
    );
}

#[test]
fn the_openapi_document_describes_the_channel_and_how_to_send() {
    let doc: Value = serde_json::from_str(&examreg_common::http::openapi::document_json()).unwrap();
    let schemas = &doc["components"]["schemas"];
    let piece = &schemas["PieceView"]["properties"];
    assert!(piece["channel"].is_object(), "{piece:#}");
    assert!(piece["how_to_send"]["description"]
        .as_str()
        .unwrap()
        .contains("« Mes documents »"));
    assert_eq!(piece["postmarked_on"]["format"], "date", "{piece:#}");
    assert_eq!(schemas["Channel"]["enum"], json!(["upload", "post"]));
}
