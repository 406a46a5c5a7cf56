//! The exams office's actions of issue 15 (actors and journaled reads,
//! withdrawal and reopening, `validate_dossier`, `correct`, the bulk
//! `extend_deadline` job), each case on both backends: SQLite and a folder,
//! then DynamoDB, S3 and SES on moto.

use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde_json::{json, Value};

use examreg_common::app::{App, Config};
use examreg_common::domain::account::AccountStatus;
use examreg_common::domain::calendar::SessionCalendar;
use examreg_common::domain::dossier::{InscriptionStatus, PieceState, PieceStatus, Pieces};
use examreg_common::domain::inscription::{
    Address, Disability, Identity, InscriptionInput, ValidInscription,
};
use examreg_common::domain::pieces::PieceKind;
use examreg_common::domain::Diploma;
use examreg_common::on_both_backends;
use examreg_common::ports::store::{Condition, Index, Item, Query, SortKeyCondition, WriteOp};
use examreg_common::ports::OutgoingEmail;
use examreg_common::records::account::AccountRecord;
use examreg_common::records::dossier::InscriptionRecord;
use examreg_common::records::history::HistoryEntry;
use examreg_common::records::keys;
use examreg_common::security;
use examreg_common::services::accounts::{self, Credentials, TokenOnly};
use examreg_common::services::admin::{self, AdminEvent};
use examreg_common::services::budget::Budget;
use examreg_common::services::inscription;
use examreg_common::services::sweep::{self, SweepReport};
use examreg_common::testkit::{
    self, at, bac_pro_inscription, Backend, FixedClock, RecordingMailer, ScratchDir,
};

// The BAC_PRO documents window closes on Sunday 7 November 2021 at
// 23:59:59.999 Paris time (2021-11-07T22:59:59.999Z); its registration
// window on 31 October.
const CREATED: &str = "2021-10-20T08:00:00Z";
const BOTH_OPEN: &str = "2021-10-26T08:00:00Z";
const PASSWORD: &str = "cheval-agrafe-batterie-correcte";

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
        domain: testkit::unique_domain("o"),
        _scratch: adapters.scratch,
    }
}

struct Seeded {
    email: String,
    account_id: String,
}

fn data(last_name: &str) -> ValidInscription {
    ValidInscription {
        diploma: Diploma::BacPro,
        specialty: "MELEC".into(),
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

fn pieces(status: PieceStatus, at: DateTime<Utc>) -> Pieces {
    [PieceKind::SignedConfirmation, PieceKind::IdentityDocument]
        .into_iter()
        .map(|kind| {
            let mut state = PieceState::missing();
            if status != PieceStatus::Missing {
                state.status = status;
                state.received_at = Some(at);
                state.object_key = Some(format!("pieces/{}.pdf", kind.code()));
                if kind == PieceKind::SignedConfirmation {
                    state.signed_version = Some(1);
                }
            }
            (kind, state)
        })
        .collect()
}

/// The writes of an active candidate with a Bac Pro inscription.
fn candidate_ops(
    calendar: &SessionCalendar,
    email: &str,
    piece_status: PieceStatus,
) -> (Seeded, Vec<WriteOp>) {
    let created = at(CREATED);
    let account_id = security::new_account_id();
    let account = AccountRecord {
        record_type: "account".into(),
        account_id: account_id.clone(),
        email: email.into(),
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
    let guard = Item::new(keys::email_guard(&account.email_canonical))
        .with("record_type", "email_guard")
        .with("email", account.email_canonical.as_str())
        .with("account_id", account_id.as_str());
    let mut record = InscriptionRecord {
        record_type: "inscription".into(),
        account_id: account_id.clone(),
        email: email.into(),
        session: "2022".into(),
        data: data(&format!("Nom-{}", email.split('@').next().unwrap_or("x"))),
        version: 1,
        revision: 1,
        status: InscriptionStatus::Registered,
        pieces: pieces(piece_status, created),
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
        version: 1,
        detail: None,
    };
    let mut ops = vec![
        WriteOp::put(account.to_item().unwrap(), Condition::NotExists),
        WriteOp::put(guard, Condition::NotExists),
    ];
    ops.extend(record.write_ops(calendar, 0, history).unwrap());
    (
        Seeded {
            email: email.into(),
            account_id,
        },
        ops,
    )
}

impl Fixture {
    fn set_now(&self, now: &str) {
        self.clock.set(at(now));
    }

    fn email(&self, name: &str) -> String {
        format!("{name}@{}", self.domain)
    }

    async fn seed(&self, name: &str, piece_status: PieceStatus) -> Seeded {
        let (seeded, ops) = candidate_ops(&self.app.calendar, &self.email(name), piece_status);
        self.app.store.transact(ops).await.unwrap();
        seeded
    }

    async fn seed_many(&self, prefix: &str, count: usize) -> Vec<Seeded> {
        let mut seeded = Vec::new();
        let mut batch = Vec::new();
        for i in 0..count {
            let (s, ops) = candidate_ops(
                &self.app.calendar,
                &self.email(&format!("{prefix}{i:04}")),
                PieceStatus::Missing,
            );
            seeded.push(s);
            if batch.len() + ops.len() > 100 {
                self.app
                    .store
                    .transact(std::mem::take(&mut batch))
                    .await
                    .unwrap();
            }
            batch.extend(ops);
        }
        if !batch.is_empty() {
            self.app.store.transact(batch).await.unwrap();
        }
        seeded
    }

    async fn admin(&self, event: Value) -> Value {
        admin::handle_value(&self.app, event).await
    }

    async fn record(&self, seeded: &Seeded) -> InscriptionRecord {
        inscription::load(&self.app, &seeded.account_id)
            .await
            .unwrap()
            .expect("inscription")
    }

    async fn history(&self, seeded: &Seeded) -> Vec<HistoryEntry> {
        inscription::history(&self.app, &seeded.account_id)
            .await
            .unwrap()
    }

    /// The history as (actor, action) pairs.
    async fn lines(&self, seeded: &Seeded) -> Vec<(String, String)> {
        self.history(seeded)
            .await
            .into_iter()
            .map(|h| (h.actor, h.action))
            .collect()
    }

    fn mails_to(&self, email: &str) -> Vec<OutgoingEmail> {
        self.mailer.sent_to(email)
    }

    async fn sweep(&self) -> SweepReport {
        sweep::run(
            &self.app,
            std::time::Instant::now() + std::time::Duration::from_secs(120),
        )
        .await
        .unwrap()
    }

    /// Whether the sweep's due work (gsi1, the dossier's shard) holds
    /// anything for this dossier.
    async fn is_due(&self, seeded: &Seeded) -> bool {
        let mut cursor = None;
        loop {
            let page = self
                .app
                .store
                .query(
                    &Query::index(
                        Index::Gsi1,
                        keys::due_inscriptions("2022", &seeded.account_id),
                        SortKeyCondition::Any,
                    )
                    .limit(500)
                    .after(cursor),
                )
                .await
                .unwrap();
            if page
                .items
                .iter()
                .any(|item| item.key == keys::inscription(&seeded.account_id, "2022"))
            {
                return true;
            }
            cursor = page.cursor;
            if cursor.is_none() {
                return false;
            }
        }
    }
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

// ---------------------------------------------------------------------------
// Actors and journaled reads
// ---------------------------------------------------------------------------

async fn console_actors_are_recorded_and_reads_journaled(backend: Backend) {
    let fx = fixture(backend, BOTH_OPEN).await;
    let c = fx.seed("ana", PieceStatus::Received).await;

    // Reserved names are refused, and change nothing.
    for actor in [
        "system",
        "candidate",
        "console:Mme Durand",
        "staff:x@ac-aix-marseille.fr",
    ] {
        let answer = fx
            .admin(json!({"action": "validate_piece", "actor": actor, "email": c.email, "kind": "identity_document"}))
            .await;
        assert_eq!(answer["error"]["code"], "invalid_actor", "{answer}");
        assert_eq!(answer["error"]["field"], "actor");
        assert!(answer["error"]["message"].as_str().unwrap().len() > 20);
    }
    assert_eq!(fx.record(&c).await.revision, 1);

    let answer = fx
        .admin(json!({"action": "validate_piece", "actor": "Mme Durand", "email": c.email, "kind": "identity_document"}))
        .await;
    assert_eq!(answer["pieces"][1]["status"], "validated", "{answer}");

    // A read without an actor is journaled as `console`, with one as `console:<actor>`.
    let dossier = fx.admin(json!({"action": "get", "email": c.email})).await;
    // The history up to this read; the read itself is journaled after it.
    assert_eq!(dossier["history"].as_array().unwrap().len(), 2, "{dossier}");
    fx.admin(json!({"action": "get", "actor": "M. Martin", "email": c.email}))
        .await;
    assert_eq!(
        fx.lines(&c).await,
        pairs(&[
            ("candidate", "created"),
            ("console:Mme Durand", "piece_validated"),
            ("console", "viewed"),
            ("console:M. Martin", "viewed"),
        ])
    );
    // A read journaled changes nothing of the dossier.
    assert_eq!(fx.record(&c).await.revision, 2);

    // An export is journaled once, with its actor and filters.
    let export = fx
        .admin(json!({"action": "export", "actor": "Mme Durand", "diploma": "BAC_PRO"}))
        .await;
    assert_eq!(export["rows"], 1, "{export}");
    let page = fx
        .app
        .store
        .query(&Query::table("EXPORTS#2022", SortKeyCondition::Any))
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1);
    let journal = page.items[0].to_value::<Value>().unwrap();
    assert_eq!(journal["actor"], "console:Mme Durand");
    assert_eq!(journal["filters"]["diploma"], "BAC_PRO");
    assert_eq!(journal["rows"], 1);
    assert_eq!(journal["key"], export["key"]);

    // Listings show many candidates at once: each read is journaled once in
    // the office's read journal, naming who read and what they asked for,
    // and nothing of the candidates they saw.
    let listed = fx
        .admin(json!({"action": "list", "actor": "Mme Durand", "diploma": "BAC_PRO"}))
        .await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1, "{listed}");
    fx.admin(json!({"action": "list"})).await;
    fx.admin(json!({"action": "failed_mails", "actor": "M. Martin"}))
        .await;
    let page = fx
        .app
        .store
        .query(&Query::table("READS#2022", SortKeyCondition::Any))
        .await
        .unwrap();
    let mut reads: Vec<Value> = page
        .items
        .iter()
        .map(|item| item.to_value::<Value>().unwrap())
        .collect();
    reads.sort_by_key(|line| (line["action"].to_string(), line["actor"].to_string()));
    let summary: Vec<(&str, &str, u64)> = reads
        .iter()
        .map(|line| {
            (
                line["action"].as_str().unwrap(),
                line["actor"].as_str().unwrap(),
                line["rows"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("failed_mails", "console:M. Martin", 0),
            ("list", "console", 1),
            ("list", "console:Mme Durand", 1),
        ]
    );
    assert_eq!(reads[2]["filters"]["diploma"], "BAC_PRO");
    for line in &reads {
        assert!(!line.to_string().contains(&c.email), "{line}");
    }
}

// ---------------------------------------------------------------------------
// Withdrawal and reopening
// ---------------------------------------------------------------------------

async fn a_withdrawn_dossier_is_never_reminded_nor_cancelled_until_reopened(backend: Backend) {
    let fx = fixture(backend, BOTH_OPEN).await;
    let c = fx.seed("ben", PieceStatus::Missing).await;
    let other = fx.seed("chloe", PieceStatus::Missing).await;
    assert!(fx.is_due(&c).await);

    let answer = fx
        .admin(json!({"action": "withdraw", "actor": "Mme Durand", "email": c.email, "reason": "Demande écrite du candidat."}))
        .await;
    assert_eq!(answer["status"], "withdrawn", "{answer}");
    assert_eq!(answer["notification"], "sent");
    let mails = fx.mails_to(&c.email);
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].subject, "Votre inscription est retirée");
    assert!(mails[0]
        .text
        .contains("Motif : Demande écrite du candidat."));
    assert!(!fx.is_due(&c).await, "a withdrawn dossier has no due work");
    // Sent again: nothing more.
    let again = fx
        .admin(json!({"action": "withdraw", "actor": "Mme Durand", "email": c.email, "reason": "Autre motif."}))
        .await;
    assert_eq!(again["status"], "withdrawn");
    assert_eq!(fx.mails_to(&c.email).len(), 1);
    // Nor reviewed nor extended while withdrawn.
    let answer = fx
        .admin(json!({"action": "extend_deadline", "actor": "x", "email": c.email, "until": "2021-11-20T23:59:59+01:00"}))
        .await;
    assert_eq!(answer["error"]["code"], "inscription_withdrawn", "{answer}");

    // The reminders and the cancellation pass it by (the other is reminded, then cancelled).
    fx.set_now("2021-11-01T10:00:00Z");
    assert_eq!(fx.sweep().await.reminders, 1);
    fx.set_now("2021-11-08T10:00:00Z");
    assert_eq!(fx.sweep().await.cancellations, 1);
    assert_eq!(fx.record(&c).await.status, InscriptionStatus::Withdrawn);
    assert_eq!(fx.record(&other).await.status, InscriptionStatus::Cancelled);
    assert_eq!(fx.mails_to(&c.email).len(), 1);

    // Reopened after the deadline with a new one: registered, not cancelled by the next sweep.
    let answer = fx
        .admin(json!({"action": "reopen", "actor": "Mme Durand", "email": c.email, "until": "2021-11-20T23:59:59+01:00"}))
        .await;
    assert_eq!(answer["status"], "registered", "{answer}");
    assert!(answer.get("warning").is_none());
    let mails = fx.mails_to(&c.email);
    assert_eq!(
        mails.last().unwrap().subject,
        "Votre inscription est rouverte"
    );
    assert!(
        mails.last().unwrap().text.contains("20/11/2021")
            || mails.last().unwrap().text.contains("20 novembre 2021"),
        "{}",
        mails.last().unwrap().text
    );
    fx.set_now("2021-11-08T11:00:00Z");
    assert_eq!(fx.sweep().await.cancellations, 0);
    assert!(fx.is_due(&c).await);
    // Reopening an open dossier is refused.
    let answer = fx
        .admin(json!({"action": "reopen", "actor": "Mme Durand", "email": c.email}))
        .await;
    assert_eq!(answer["error"]["code"], "not_reopenable", "{answer}");
    // A cancelled one reopens too; without `until` the office is warned.
    let answer = fx
        .admin(json!({"action": "reopen", "actor": "Mme Durand", "email": other.email}))
        .await;
    assert_eq!(answer["status"], "registered", "{answer}");
    assert!(answer["warning"].as_str().unwrap().contains("annulée"));

    assert_eq!(
        fx.lines(&c).await,
        pairs(&[
            ("candidate", "created"),
            ("console:Mme Durand", "withdrawn"),
            ("console:Mme Durand", "reopened"),
        ])
    );
}

async fn the_candidate_withdraws_from_their_space(backend: Backend) {
    let fx = fixture(backend, BOTH_OPEN).await;
    let email = fx.email("dina");
    let credentials = || Credentials {
        email: email.clone(),
        password: PASSWORD.into(),
    };
    accounts::signup(&fx.app, credentials()).await.unwrap();
    let token = fx.mailer.last_token(&email, "/activate");
    accounts::activate(&fx.app, TokenOnly { token })
        .await
        .unwrap();
    let token = accounts::login(&fx.app, credentials()).await.unwrap().token;

    let refused = inscription::withdraw(&fx.app, Some(&token))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), "no_inscription");

    let input: InscriptionInput = serde_json::from_value(bac_pro_inscription(0)).unwrap();
    inscription::save(&fx.app, Some(&token), input)
        .await
        .unwrap();
    let before = fx.mails_to(&email).len();
    inscription::withdraw(&fx.app, Some(&token)).await.unwrap();
    let view = inscription::get(&fx.app, Some(&token)).await.unwrap();
    assert_eq!(view.status, InscriptionStatus::Withdrawn);
    let mails = fx.mails_to(&email);
    assert_eq!(mails.len(), before + 1);
    assert!(mails
        .last()
        .unwrap()
        .text
        .contains("Nous avons bien enregistré votre désistement"));
    // Twice: no change, no second email.
    inscription::withdraw(&fx.app, Some(&token)).await.unwrap();
    assert_eq!(fx.mails_to(&email).len(), before + 1);
    let history = fx
        .admin(json!({"action": "get", "actor": "M. Martin", "email": email}))
        .await;
    let actions: Vec<(&str, &str)> = history["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| (h["actor"].as_str().unwrap(), h["action"].as_str().unwrap()))
        .collect();
    assert_eq!(
        actions,
        [("candidate", "created"), ("candidate", "withdrawn")]
    );
}

// ---------------------------------------------------------------------------
// validate_dossier
// ---------------------------------------------------------------------------

async fn validate_dossier_validates_every_received_piece_at_once(backend: Backend) {
    let fx = fixture(backend, BOTH_OPEN).await;
    let c = fx.seed("emma", PieceStatus::Received).await;
    let answer = fx
        .admin(json!({"action": "validate_dossier", "actor": "M. Martin", "email": c.email}))
        .await;
    assert_eq!(answer["status"], "validated", "{answer}");
    assert!(answer["pieces"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["status"] == "validated"));
    assert_eq!(answer["notification"], "sent");
    let mails = fx.mails_to(&c.email);
    assert_eq!(mails.len(), 1);
    assert!(mails[0].subject.contains("validé"));
    // Again: nothing more (no line, no email).
    let again = fx
        .admin(json!({"action": "validate_dossier", "actor": "M. Martin", "email": c.email}))
        .await;
    assert_eq!(again["status"], "validated", "{again}");
    assert_eq!(fx.mails_to(&c.email).len(), 1);
    assert_eq!(
        fx.lines(&c).await,
        pairs(&[
            ("candidate", "created"),
            ("console:M. Martin", "dossier_validated")
        ])
    );

    let empty = fx.seed("fanny", PieceStatus::Missing).await;
    let answer = fx
        .admin(json!({"action": "validate_dossier", "actor": "M. Martin", "email": empty.email}))
        .await;
    assert_eq!(answer["error"]["code"], "piece_not_received", "{answer}");
    assert_eq!(fx.record(&empty).await.revision, 1);
}

// ---------------------------------------------------------------------------
// correct
// ---------------------------------------------------------------------------

fn identity(last_name: &str, birth_date: &str) -> Value {
    json!({
        "last_name": last_name,
        "first_names": "Zoé Anaïs",
        "birth_date": birth_date,
        "birth_place": "Aix-en-Provence",
        "nationality": "BE",
        "address": {"line1": "12 rue de la République", "postal_code": "13001",
                    "city": "Marseille", "country": "FR"},
        "phone": "06 12 34 56 78"
    })
}

async fn correct_replaces_the_identity_after_the_window(backend: Backend) {
    let fx = fixture(backend, "2021-11-03T10:00:00Z").await;
    let c = fx.seed("gael", PieceStatus::Received).await;
    let before = fx.record(&c).await;

    // Checked as PUT /inscription checks it: every invalid field, nothing changed.
    let answer = fx
        .admin(
            json!({"action": "correct", "actor": "Mme Durand", "email": c.email,
                      "identity": {"last_name": "", "birth_date": "31/02/1990"}, "reason": "x"}),
        )
        .await;
    assert_eq!(answer["error"]["code"], "validation_failed", "{answer}");
    let fields: Vec<&str> = answer["error"]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert!(fields.contains(&"identity.last_name"), "{fields:?}");
    assert!(fields.contains(&"identity.birth_date"), "{fields:?}");
    assert_eq!(fx.record(&c).await.revision, before.revision);

    let answer = fx
        .admin(
            json!({"action": "correct", "actor": "Mme Durand", "email": c.email,
                      "identity": identity("Nom-Gael-Martin", "1990-02-03"),
                      "reason": "Nom d'usage ajouté (courrier du 2 novembre)."}),
        )
        .await;
    assert_eq!(answer["version"], 2, "{answer}");
    assert_eq!(answer["identity"]["last_name"], "Nom-Gael-Martin");
    // The signed confirmation received stays (the office corrected it itself).
    assert_eq!(answer["status"], "complete");
    let after = fx.record(&c).await;
    assert_eq!(after.version, 2);
    assert_eq!(
        after.pieces[&PieceKind::SignedConfirmation].status,
        PieceStatus::Received
    );
    let mails = fx.mails_to(&c.email);
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].subject, "Correction de votre inscription");
    assert!(
        mails[0].text.contains("Nom-gael → Nom-Gael-Martin")
            || mails[0].text.contains("→ Nom-Gael-Martin"),
        "{}",
        mails[0].text
    );
    assert!(mails[0].text.contains("Motif : Nom d'usage ajouté"));
    let history = fx.history(&c).await;
    let line = history.last().unwrap();
    assert_eq!(
        (line.actor.as_str(), line.action.as_str()),
        ("console:Mme Durand", "corrected")
    );
    assert_eq!(line.version, 2);
    assert!(line
        .detail
        .as_deref()
        .unwrap()
        .contains("Nom d'usage ajouté"));
    assert!(line
        .detail
        .as_deref()
        .unwrap()
        .contains("(version 1) reste valable"));

    // The same identity again: nothing changes.
    let answer = fx
        .admin(
            json!({"action": "correct", "actor": "Mme Durand", "email": c.email,
                      "identity": identity("Nom-Gael-Martin", "1990-02-03"), "reason": "bis"}),
        )
        .await;
    assert_eq!(answer["version"], 2, "{answer}");
    assert_eq!(fx.mails_to(&c.email).len(), 1);
}

// ---------------------------------------------------------------------------
// The bulk extension job
// ---------------------------------------------------------------------------

fn bulk_event(
    fx: &Fixture,
    value: Value,
) -> examreg_common::services::admin::events::BulkExtendEvent {
    match AdminEvent::parse(value, &fx.app.catalogue).unwrap() {
        AdminEvent::BulkExtendDeadline(event) => event,
        other => panic!("not a bulk event: {other:?}"),
    }
}

async fn a_bulk_extension_interrupted_and_resumed_extends_each_candidate_once(backend: Backend) {
    // Past one chunk of the job (`CHUNK`, 500) on SQLite, so that the
    // resumption crosses a chunk's boundary; fewer on the slower emulator.
    let count = match backend {
        Backend::Embedded => admin::bulk_extension::CHUNK + 100,
        Backend::Moto => 200,
    };
    let fx = fixture(backend, "2021-11-05T10:00:00Z").await;
    let seeded = fx.seed_many("c", count).await;
    let until = "2021-11-20T23:59:59+01:00";
    let event = json!({"action": "extend_deadline", "actor": "Mme Durand", "diploma": "BAC_PRO", "until": until});

    // Interrupted half-way (its budget spent).
    let half = count / 2;
    let first = admin::bulk_extension::run(
        &fx.app,
        &bulk_event(&fx, event.clone()),
        Budget::until(std::time::Instant::now() + std::time::Duration::from_secs(600))
            .max_items(half),
    )
    .await
    .unwrap();
    assert_eq!(first["total"], count, "{first}");
    assert_eq!(first["done"], half);
    assert_eq!(first["remaining"], count - half);
    assert_eq!(first["finished"], false);
    let job_id = first["job_id"].as_str().unwrap().to_owned();

    // And its last progress lost (as if it stopped between a candidate's
    // extension and the save of the progress): 30 candidates will be met again.
    let key = keys::job(&job_id);
    let mut job: Value = fx
        .app
        .store
        .get(&key)
        .await
        .unwrap()
        .unwrap()
        .to_value()
        .unwrap();
    job["done"] = json!(half - 30);
    job["extended"] = json!(half - 30);
    fx.app
        .store
        .transact(vec![WriteOp::put(
            Item::from_value(key, &job).unwrap(),
            Condition::Always,
        )])
        .await
        .unwrap();

    // The identical event resumes it and reports (with room to finish: the
    // console's 90 s would cut a slow emulator's run short, and what is
    // tested here is the resumption, not the budget).
    let second = admin::bulk_extension::run(
        &fx.app,
        &bulk_event(&fx, event.clone()),
        Budget::until(std::time::Instant::now() + std::time::Duration::from_secs(600)),
    )
    .await
    .unwrap();
    assert_eq!(second["job_id"], job_id.as_str(), "{second}");
    assert_eq!(second["done"], count);
    assert_eq!(second["remaining"], 0);
    assert_eq!(second["extended"], count);
    assert_eq!(second["skipped"], 0);
    assert_eq!(second["finished"], true);
    // Once more: the report, nothing done.
    let third = fx.admin(event).await;
    assert_eq!(third["done"], count);

    // The emails are queued, sent by the sweep: one each.
    fx.sweep().await;
    let until = at("2021-11-20T22:59:59Z");
    for candidate in &seeded {
        let record = fx.record(candidate).await;
        assert_eq!(record.documents_deadline_extension, Some(until));
        let extended = fx
            .history(candidate)
            .await
            .into_iter()
            .filter(|h| h.action == "deadline_extended")
            .count();
        assert_eq!(extended, 1, "{}", candidate.email);
        let mails = fx.mails_to(&candidate.email);
        assert_eq!(mails.len(), 1, "{}: {mails:?}", candidate.email);
        assert_eq!(
            mails[0].subject,
            "Prolongation du délai de dépôt de vos pièces"
        );
    }
    // Nobody was cancelled at the old deadline.
    fx.set_now("2021-11-08T10:00:00Z");
    assert_eq!(fx.sweep().await.cancellations, 0);
}

async fn a_bulk_extension_by_list_reports_who_it_skipped(backend: Backend) {
    let fx = fixture(backend, "2021-11-05T10:00:00Z").await;
    let a = fx.seed("hugo", PieceStatus::Missing).await;
    let b = fx.seed("ines", PieceStatus::Missing).await;
    fx.admin(json!({"action": "withdraw", "actor": "x", "email": b.email, "reason": "r"}))
        .await;
    let event = json!({"action": "extend_deadline", "actor": "Mme Durand", "until": "2021-11-20T23:59:59+01:00",
                       "emails": [a.email, b.email, fx.email("nobody")]});
    let answer = fx.admin(event.clone()).await;
    assert_eq!(answer["total"], 3, "{answer}");
    assert_eq!(answer["extended"], 1);
    assert_eq!(answer["skipped"], 2);
    let codes: Vec<&str> = answer["skipped_items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["inscription_withdrawn", "not_found"]);
    // The single form keeps its answer.
    let single = fx
        .admin(json!({"action": "extend_deadline", "actor": "Mme Durand", "email": a.email, "until": "2021-11-21T23:59:59+01:00"}))
        .await;
    assert_eq!(
        single["documents_deadline"], "2021-11-21T23:59:59.000+01:00",
        "{single}"
    );
    assert!(single.get("job_id").is_none());
    // A deadline before the window's close is refused before any job.
    let answer = fx
        .admin(json!({"action": "extend_deadline", "actor": "x", "diploma": "BAC_PRO", "until": "2021-11-06T23:59:59+01:00"}))
        .await;
    assert_eq!(answer["error"]["code"], "invalid_deadline", "{answer}");
    assert_eq!(
        fx.record(&a).await.documents_deadline_extension,
        Some(at("2021-11-21T22:59:59Z"))
    );
}

on_both_backends!(
    console_actors_are_recorded_and_reads_journaled,
    a_withdrawn_dossier_is_never_reminded_nor_cancelled_until_reopened,
    the_candidate_withdraws_from_their_space,
    validate_dossier_validates_every_received_piece_at_once,
    correct_replaces_the_identity_after_the_window,
    a_bulk_extension_interrupted_and_resumed_extends_each_candidate_once,
    a_bulk_extension_by_list_reports_who_it_skipped,
);
