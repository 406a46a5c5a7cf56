//! The sweep and the admin services, each case run on both backends: the
//! embedded one (SQLite, a folder) and the AWS one (DynamoDB, SES and S3 on
//! moto, through the testkit). The clock is fixed and set by each case, so
//! that "to the millisecond" means it.
//!
//! A racing write (a candidate's activation or upload landing between the
//! sweep's read and its write) is simulated by the testkit's `RaceStore`,
//! which applies it just before the sweep's transaction on the raced key.

use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

use async_trait::async_trait;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde_json::{json, Value};

use examreg_common::adapters::counting::CountingStore;
use examreg_common::app::{App, Config};
use examreg_common::domain::account::AccountStatus;
use examreg_common::domain::calendar::SessionCalendar;
use examreg_common::domain::dossier::{InscriptionStatus, PieceState, PieceStatus, Pieces};
use examreg_common::domain::inscription::{Address, Disability, Identity, ValidInscription};
use examreg_common::domain::pieces::PieceKind;
use examreg_common::domain::Diploma;
use examreg_common::metrics::Metric;
use examreg_common::on_both_backends;
use examreg_common::ports::store::{
    Condition, Index, Item, Key, Page, Query, SortKeyCondition, WriteOp,
};
use examreg_common::ports::{Clock, MailError, OutgoingEmail, Store, StoreError};
use examreg_common::records::account::AccountRecord;
use examreg_common::records::dossier::InscriptionRecord;
use examreg_common::records::history::HistoryEntry;
use examreg_common::records::keys;
use examreg_common::records::mail::{mail_key, MailStatus, QueuedMail};
use examreg_common::records::shards;
use examreg_common::security;
use examreg_common::services::accounts::{self, Credentials, TokenOnly};
use examreg_common::services::admin;
use examreg_common::services::budget::Budget;
use examreg_common::services::inscription;
use examreg_common::services::sweep::{self, SweepReport};
use examreg_common::testkit::{
    self, at, moto_server, Backend, FixedClock, RaceStore, RecordingMailer, ScratchDir,
};

// ---------------------------------------------------------------------------
// The fixture
// ---------------------------------------------------------------------------

/// One store call at a time. DynamoDB applies each request atomically (a
/// conditional write or a transaction checks and writes as one); moto, a
/// threaded Python server, does not lock across concurrent requests, so two
/// racing conditional writes can both succeed there. Serialising the calls
/// restores DynamoDB's per-request atomicity while the sweeps still
/// interleave between their calls, as they do on AWS.
struct OneCallAtATime {
    inner: Arc<dyn Store>,
    lock: tokio::sync::Mutex<()>,
}

#[async_trait]
impl Store for OneCallAtATime {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        let _turn = self.lock.lock().await;
        self.inner.get(key).await
    }
    async fn get_many(&self, keys: &[Key]) -> Result<Vec<Item>, StoreError> {
        let _turn = self.lock.lock().await;
        self.inner.get_many(keys).await
    }
    async fn query(&self, query: &Query) -> Result<Page, StoreError> {
        let _turn = self.lock.lock().await;
        self.inner.query(query).await
    }
    async fn transact(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
        let _turn = self.lock.lock().await;
        self.inner.transact(ops).await
    }
}

struct Fixture {
    backend: Backend,
    app: Arc<App>,
    clock: Arc<FixedClock>,
    mailer: Arc<RecordingMailer>,
    counting: Arc<CountingStore>,
    race: Arc<RaceStore>,
    /// A domain of its own, so that the emails of this case are its own even
    /// in moto's shared SES log.
    domain: String,
    _scratch: Option<ScratchDir>,
}

/// The BAC_PRO documents window closes on Sunday 7 November 2021 at
/// 23:59:59.999 Paris time (CET).
const BAC_PRO_CLOSE: &str = "2021-11-07T22:59:59.999Z";
const CREATED: &str = "2021-10-20T08:00:00Z";

/// On moto, the store serialises its calls (see [`OneCallAtATime`]).
async fn fixture(backend: Backend, now: &str) -> Fixture {
    fixture_holding(backend, now, Config::default().held_mails).await
}

/// A fixture whose sweep holds `held_mails` mails before sending them.
async fn fixture_holding(backend: Backend, now: &str, held_mails: usize) -> Fixture {
    let config = Config {
        mail_rate_per_second: 1000.0,
        sweep_page_size: 7,
        held_mails,
        ..Config::default()
    };
    fixture_with(backend, FixedClock::new(at(now)), config).await
}

async fn fixture_with(backend: Backend, clock: FixedClock, config: Config) -> Fixture {
    let mut adapters = backend.adapters().await;
    if backend == Backend::Moto {
        adapters.store = Arc::new(OneCallAtATime {
            inner: adapters.store,
            lock: tokio::sync::Mutex::new(()),
        });
    }
    let clock = Arc::new(clock);
    let race = Arc::new(RaceStore::new(adapters.store));
    let counting = Arc::new(CountingStore::new(race.clone()));
    let mailer = Arc::new(RecordingMailer::new(adapters.mailer));
    let app = testkit::app(
        config,
        counting.clone(),
        mailer.clone(),
        adapters.documents,
        clock.clone(),
    );
    Fixture {
        backend,
        app: Arc::new(app),
        clock,
        mailer,
        counting,
        race,
        domain: testkit::unique_domain("t"),
        _scratch: adapters.scratch,
    }
}

impl Fixture {
    fn set_now(&self, now: &str) {
        self.clock.set(at(now));
    }

    fn email(&self, name: &str) -> String {
        format!("{name}@{}", self.domain)
    }

    async fn sweep(&self) -> SweepReport {
        sweep::run(&self.app, Instant::now() + StdDuration::from_secs(60))
            .await
            .unwrap()
    }

    async fn sweep_with(&self, budget: Budget) -> SweepReport {
        sweep::run_with(&self.app, budget).await.unwrap()
    }

    fn mails_to(&self, email: &str) -> Vec<OutgoingEmail> {
        self.mailer.sent_to(email)
    }

    fn fail_next_sends(&self, errors: Vec<MailError>) {
        self.mailer.fail_next(errors);
    }

    /// Applies `ops` right before the next transaction that touches `key`.
    fn race_on(&self, key: Key, ops: Vec<WriteOp>) {
        self.race.before_transaction_on(key, ops);
    }

    async fn admin(&self, event: Value) -> Value {
        admin::handle_value(&self.app, event).await
    }

    async fn inscription_of(&self, email: &str) -> InscriptionRecord {
        let guard = self
            .app
            .store
            .get(&keys::email_guard(&email.to_lowercase()))
            .await
            .unwrap()
            .expect("email guard");
        let id = guard.str_attr("account_id").unwrap().to_owned();
        inscription::load(&self.app, &id)
            .await
            .unwrap()
            .expect("inscription")
    }

    /// Every mail item still in the table for `email` (queued or failed).
    async fn queued_mails(&self, account_id: &str) -> Vec<QueuedMail> {
        let page = self
            .app
            .store
            .query(&Query::index(Index::Gsi1, keys::MAIL_QUEUE, SortKeyCondition::Any).limit(1000))
            .await
            .unwrap();
        page.items
            .iter()
            .map(|i| i.to_value::<QueuedMail>().unwrap())
            .filter(|m| m.account_id == account_id)
            .collect()
    }
}

// ---------------------------------------------------------------------------
// Seeding candidates straight into the store
// ---------------------------------------------------------------------------

fn data(diploma: Diploma, specialty: &str, last_name: &str) -> ValidInscription {
    ValidInscription {
        diploma,
        specialty: specialty.into(),
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
            }
            (kind, state)
        })
        .collect()
}

struct Seeded {
    email: String,
    account_id: String,
}

fn account_record(
    email: &str,
    created: DateTime<Utc>,
    status: AccountStatus,
) -> (AccountRecord, String) {
    let account_id = security::new_account_id();
    let (token, hash) = security::new_token(&account_id);
    let account = AccountRecord {
        record_type: "account".into(),
        account_id,
        email: email.into(),
        email_canonical: email.to_lowercase(),
        status,
        created_at: created,
        activation_deadline: created + Duration::hours(48),
        activated_at: (status == AccountStatus::Active).then_some(created),
        password_hash: "not-a-real-hash".into(),
        activation_token_hash: (status == AccountStatus::PendingActivation).then_some(hash),
        activation_password_hash: None,
        reset_token_hash: None,
        reset_expires_at: None,
        login_link_hash: None,
        login_link_expires_at: None,
        version: 1,
    };
    (account, token)
}

fn guard_item(account: &AccountRecord) -> Item {
    Item::new(keys::email_guard(&account.email_canonical))
        .with("record_type", "email_guard")
        .with("email", account.email_canonical.as_str())
        .with("account_id", account.account_id.as_str())
}

/// The writes of an active candidate with an inscription (4 items).
fn candidate_ops(
    calendar: &SessionCalendar,
    email: &str,
    diploma: Diploma,
    specialty: &str,
    created: DateTime<Utc>,
    piece_status: PieceStatus,
) -> (Seeded, Vec<WriteOp>) {
    let (account, _) = account_record(email, created, AccountStatus::Active);
    let mut record = InscriptionRecord {
        record_type: "inscription".into(),
        account_id: account.account_id.clone(),
        email: email.into(),
        session: "2022".into(),
        candidate_number: None,
        data: data(
            diploma,
            specialty,
            &format!("Nom-{}", email.split('@').next().unwrap_or("x")),
        ),
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
        WriteOp::put(guard_item(&account), Condition::NotExists),
    ];
    ops.extend(record.write_ops(calendar, 0, history).unwrap());
    (
        Seeded {
            email: email.into(),
            account_id: account.account_id,
        },
        ops,
    )
}

impl Fixture {
    async fn seed(
        &self,
        name: &str,
        diploma: Diploma,
        specialty: &str,
        piece_status: PieceStatus,
    ) -> Seeded {
        let (seeded, ops) = candidate_ops(
            &self.app.calendar,
            &self.email(name),
            diploma,
            specialty,
            at(CREATED),
            piece_status,
        );
        self.app.store.transact(ops).await.unwrap();
        seeded
    }

    async fn seed_many(
        &self,
        prefix: &str,
        count: usize,
        diploma: Diploma,
        specialty: &str,
        status: PieceStatus,
    ) -> Vec<Seeded> {
        let mut seeded = Vec::new();
        let mut batch = Vec::new();
        for i in 0..count {
            let (s, ops) = candidate_ops(
                &self.app.calendar,
                &self.email(&format!("{prefix}{i}")),
                diploma,
                specialty,
                at(CREATED),
                status,
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

    async fn seed_pending_account(&self, name: &str, created: &str) -> (AccountRecord, String) {
        let (account, token) = account_record(
            &self.email(name),
            at(created),
            AccountStatus::PendingActivation,
        );
        self.app
            .store
            .transact(vec![
                WriteOp::put(account.to_item().unwrap(), Condition::NotExists),
                WriteOp::put(guard_item(&account), Condition::NotExists),
            ])
            .await
            .unwrap();
        (account, token)
    }
}

on_both_backends!(
    unactivated_accounts_are_deleted_at_48_hours_to_the_second,
    an_account_activated_during_the_sweep_is_left_alone,
    reminders_at_7_and_2_days_then_cancellation_each_once,
    a_late_sweep_sends_only_the_latest_reminder,
    an_extension_is_honoured_and_reinstates_a_cancelled_inscription,
    an_interrupted_sweep_finishes_next_time_without_duplicates,
    two_concurrent_sweeps_send_each_email_once,
    mails_held_in_batches_are_sent_once_and_never_read_back,
    an_interrupted_sweep_sending_batches_sends_each_mail_once,
    concurrent_sweeps_sending_batches_send_each_email_once,
    a_paced_reminder_run_drains_in_its_planned_runs_sending_each_once,
    a_sweep_racing_an_upload_never_cancels_a_complete_dossier,
    failed_sends_stay_queued_and_are_retried,
    admin_pieces_validate_and_reject,
    admin_list_get_and_export,
    admin_errors_are_json_never_panics,
    a_save_that_changes_nothing_leaves_a_validated_dossier_as_it_is,
);

// ---------------------------------------------------------------------------
// Accounts
// ---------------------------------------------------------------------------

async fn unactivated_accounts_are_deleted_at_48_hours_to_the_second(backend: Backend) {
    let fx = fixture(backend, "2021-10-14T08:00:00Z").await;
    let created = "2021-10-14T08:00:00Z";
    let (kept, kept_token) = fx.seed_pending_account("kept", created).await;
    let (gone, _) = fx.seed_pending_account("gone", created).await;
    // Some other data of the candidate, to be deleted with the account.
    fx.app
        .store
        .transact(vec![WriteOp::put(
            Item::new(Key::new(keys::candidate_pk(&gone.account_id), "UPLOAD#x"))
                .with("record_type", "upload"),
            Condition::NotExists,
        )])
        .await
        .unwrap();

    // 47:59:59.999: both still there, and activation still works.
    fx.set_now("2021-10-16T07:59:59.999Z");
    let report = fx.sweep().await;
    assert_eq!(report.accounts_deleted, 0, "{report:?}");
    assert!(report.finished);
    accounts::activate(&fx.app, TokenOnly { token: kept_token })
        .await
        .unwrap();
    assert!(accounts::load(&fx.app, &gone.account_id)
        .await
        .unwrap()
        .is_some());

    // 48:00:00.000: the pending one goes with all its data; the active one stays.
    fx.set_now("2021-10-16T08:00:00Z");
    let report = fx.sweep().await;
    assert_eq!(report.accounts_deleted, 1, "{report:?}");
    assert!(accounts::load(&fx.app, &gone.account_id)
        .await
        .unwrap()
        .is_none());
    assert!(fx
        .app
        .store
        .get(&keys::email_guard(&gone.email_canonical))
        .await
        .unwrap()
        .is_none());
    let rest = fx
        .app
        .store
        .query(&Query::table(
            keys::candidate_pk(&gone.account_id),
            SortKeyCondition::Any,
        ))
        .await
        .unwrap();
    // Only the trace that answers the old link with « expired » remains: no
    // personal data (no address, no name, no password hash).
    assert_eq!(rest.items.len(), 1, "left behind: {:?}", rest.items);
    let trace = &rest.items[0];
    assert_eq!(trace.key.sk, "EXPIRED");
    let mut attributes: Vec<&str> = trace.attrs.keys().map(String::as_str).collect();
    attributes.sort();
    assert_eq!(
        attributes,
        [
            "activation_deadline",
            "activation_token_hash",
            "expires_at_epoch",
            "record_type"
        ]
    );
    let kept_now = accounts::load(&fx.app, &kept.account_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(kept_now.status, AccountStatus::Active);

    // Idempotent.
    assert_eq!(fx.sweep().await.changed(), 0);

    // The address can sign up again.
    accounts::signup(
        &fx.app,
        Credentials {
            email: gone.email.clone(),
            password: "cheval-agrafe-batterie-correcte".into(),
        },
    )
    .await
    .unwrap();
    let guard = fx
        .app
        .store
        .get(&keys::email_guard(&gone.email_canonical))
        .await
        .unwrap()
        .unwrap();
    let new_id = guard.str_attr("account_id").unwrap();
    assert_ne!(new_id, gone.account_id);
    let fresh = accounts::load(&fx.app, new_id).await.unwrap().unwrap();
    assert_eq!(fresh.status, AccountStatus::PendingActivation);
    assert!(fx
        .mails_to(&gone.email)
        .iter()
        .any(|m| m.subject.contains("Activez")));
}

async fn an_account_activated_during_the_sweep_is_left_alone(backend: Backend) {
    let fx = fixture(backend, "2021-10-14T08:00:00Z").await;
    let (account, _) = fx
        .seed_pending_account("late", "2021-10-14T08:00:00Z")
        .await;
    let session_key = Key::new(keys::candidate_pk(&account.account_id), "SESSION#abc");
    fx.app
        .store
        .transact(vec![WriteOp::put(
            Item::new(session_key.clone()).with("record_type", "session"),
            Condition::NotExists,
        )])
        .await
        .unwrap();
    // The candidate activates (e.g. through a password reset) just as the
    // sweep is about to delete.
    let mut activated = account.clone();
    activated.status = AccountStatus::Active;
    activated.activation_token_hash = None;
    activated.version += 1;
    fx.race_on(
        account.key(),
        vec![WriteOp::put(
            activated.to_item().unwrap(),
            Condition::Always,
        )],
    );
    fx.set_now("2021-10-17T08:00:00Z");
    let report = fx.sweep().await;
    assert_eq!(report.accounts_deleted, 0, "{report:?}");
    assert_eq!(report.skipped, 1);
    let stored = accounts::load(&fx.app, &account.account_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.status, AccountStatus::Active);
    assert!(
        fx.app.store.get(&session_key).await.unwrap().is_some(),
        "its data is kept"
    );
    assert!(fx
        .app
        .store
        .get(&keys::email_guard(&account.email_canonical))
        .await
        .unwrap()
        .is_some());
}

// ---------------------------------------------------------------------------
// Reminders and cancellations
// ---------------------------------------------------------------------------

fn seven_days_before() -> DateTime<Utc> {
    at(BAC_PRO_CLOSE) - Duration::days(7)
}

fn two_days_before() -> DateTime<Utc> {
    at(BAC_PRO_CLOSE) - Duration::days(2)
}

fn ms(delta: i64) -> Duration {
    Duration::milliseconds(delta)
}

async fn reminders_at_7_and_2_days_then_cancellation_each_once(backend: Backend) {
    let fx = fixture(backend, CREATED).await;
    let late = fx
        .seed("late", Diploma::BacPro, "MCV_A", PieceStatus::Missing)
        .await;
    let done = fx
        .seed("done", Diploma::BacPro, "MCV_A", PieceStatus::Received)
        .await;
    let cap = fx
        .seed("cap", Diploma::Cap, "CUISINE", PieceStatus::Missing)
        .await;

    fx.clock.set(seven_days_before() - ms(1));
    assert_eq!(fx.sweep().await.changed(), 0);
    assert!(fx.mails_to(&late.email).is_empty());

    fx.clock.set(seven_days_before());
    let report = fx.sweep().await;
    assert_eq!((report.reminders, report.mails_sent), (1, 1), "{report:?}");
    for _ in 0..3 {
        fx.clock.set(fx.clock.now() + Duration::hours(1));
        assert_eq!(
            fx.sweep().await.changed(),
            0,
            "the 7-day reminder goes once"
        );
    }
    let mails = fx.mails_to(&late.email);
    assert_eq!(mails.len(), 1);
    assert!(
        mails[0].subject.contains("Rappel") && mails[0].subject.contains("7 jours"),
        "{}",
        mails[0].subject
    );
    assert!(
        mails[0].text.contains("dimanche 7 novembre 2021 à 23 h 59"),
        "{}",
        mails[0].text
    );
    assert!(
        mails[0]
            .text
            .contains("Confirmation d'inscription datée et signée"),
        "{}",
        mails[0].text
    );

    fx.clock.set(two_days_before() - ms(1));
    assert_eq!(fx.sweep().await.changed(), 0);
    fx.clock.set(two_days_before());
    let report = fx.sweep().await;
    assert_eq!((report.reminders, report.mails_sent), (1, 1), "{report:?}");
    fx.clock.set(two_days_before() + Duration::hours(5));
    assert_eq!(fx.sweep().await.changed(), 0);
    let mails = fx.mails_to(&late.email);
    assert_eq!(mails.len(), 2);
    assert!(mails[1].subject.contains("2 jours"), "{}", mails[1].subject);

    // At the close itself (23:59:59.999 Paris time) it is still in time.
    fx.clock.set(at(BAC_PRO_CLOSE));
    assert_eq!(fx.sweep().await.changed(), 0);
    assert_eq!(
        fx.inscription_of(&late.email).await.status,
        InscriptionStatus::Registered
    );

    // One millisecond later it is cancelled, and told so once.
    fx.clock.set(at(BAC_PRO_CLOSE) + ms(1));
    let report = fx.sweep().await;
    assert_eq!(
        (report.cancellations, report.mails_sent),
        (1, 1),
        "{report:?}"
    );
    for _ in 0..3 {
        fx.clock.set(fx.clock.now() + Duration::days(1));
        assert_eq!(fx.sweep().await.changed(), 0);
    }
    let record = fx.inscription_of(&late.email).await;
    assert_eq!(record.status, InscriptionStatus::Cancelled);
    assert_eq!(record.cancelled_at, Some(at(BAC_PRO_CLOSE) + ms(1)));
    let mails = fx.mails_to(&late.email);
    assert_eq!(mails.len(), 3, "two reminders and one cancellation");
    assert!(mails[2].subject.contains("annulée"), "{}", mails[2].subject);
    assert!(mails[2].text.contains("annulée"));
    assert!(mails[2]
        .html
        .as_deref()
        .unwrap_or_default()
        .contains("lang=\"fr\""));

    // The complete dossier and the CAP candidate (later windows) were not touched.
    assert!(fx.mails_to(&done.email).is_empty());
    assert_eq!(
        fx.inscription_of(&done.email).await.status,
        InscriptionStatus::Complete
    );
    assert!(fx.mails_to(&cap.email).is_empty());

    // The history says what the sweep did, as `system`.
    let history = inscription::history(&fx.app, &late.account_id)
        .await
        .unwrap();
    let actions: Vec<(&str, &str)> = history
        .iter()
        .map(|h| (h.actor.as_str(), h.action.as_str()))
        .collect();
    assert_eq!(
        actions,
        [
            ("candidate", "created"),
            ("system", "reminder_7d"),
            ("system", "reminder_2d"),
            ("system", "cancelled")
        ]
    );
    // Nothing left in the mail queue.
    assert!(fx.queued_mails(&late.account_id).await.is_empty());
    if fx.backend == Backend::Moto {
        let sent = moto_server().await.sent_emails().await;
        let to_late = sent
            .iter()
            .filter(|m| m.to_string().contains(&late.email))
            .count();
        assert_eq!(to_late, 3, "SES received each email once");
    }
}

async fn a_late_sweep_sends_only_the_latest_reminder(backend: Backend) {
    let fx = fixture(backend, CREATED).await;
    let c = fx
        .seed("down", Diploma::BacPro, "AGORA", PieceStatus::Missing)
        .await;
    // The sweep was down from before the 7-day mark until after the 2-day one.
    fx.clock.set(two_days_before() + Duration::hours(3));
    let report = fx.sweep().await;
    assert_eq!(report.reminders, 1, "{report:?}");
    assert_eq!(fx.sweep().await.changed(), 0);
    let mails = fx.mails_to(&c.email);
    assert_eq!(mails.len(), 1);
    assert!(mails[0].subject.contains("2 jours"));
    let record = fx.inscription_of(&c.email).await;
    assert_eq!(record.reminders_sent, ["7d", "2d"]);
}

async fn an_extension_is_honoured_and_reinstates_a_cancelled_inscription(backend: Backend) {
    let fx = fixture(backend, "2021-11-06T12:00:00Z").await;
    let extended = fx
        .seed("ext", Diploma::BacPro, "MELEC", PieceStatus::Missing)
        .await;
    let other = fx
        .seed("oth", Diploma::BacPro, "MELEC", PieceStatus::Missing)
        .await;
    // The 7- and 2-day reminders for the window's close.
    assert_eq!(fx.sweep().await.reminders, 2);

    let answer = fx
        .admin(json!({
            "action": "extend_deadline", "actor": "Mme Durand (DIEC)",
            "email": extended.email, "until": "2021-11-14T23:59:59.999+01:00"
        }))
        .await;
    assert_eq!(
        answer["documents_deadline"], "2021-11-14T23:59:59.999+01:00",
        "{answer}"
    );
    assert_eq!(answer["status"], "registered");
    assert_eq!(answer["notification"], "sent");
    assert!(fx
        .mails_to(&extended.email)
        .last()
        .unwrap()
        .subject
        .contains("Prolongation"));

    fx.set_now("2021-11-07T23:00:00Z");
    let report = fx.sweep().await;
    // Only the other one is cancelled; the extended one gets its new 7-day reminder.
    assert_eq!(
        (report.cancellations, report.reminders),
        (1, 1),
        "{report:?}"
    );
    assert_eq!(
        fx.inscription_of(&other.email).await.status,
        InscriptionStatus::Cancelled
    );
    assert_eq!(
        fx.inscription_of(&extended.email).await.status,
        InscriptionStatus::Registered
    );

    // The new deadline is honoured to the millisecond.
    fx.set_now("2021-11-14T22:59:59.999Z");
    let report = fx.sweep().await;
    assert_eq!(report.cancellations, 0, "{report:?}");
    fx.set_now("2021-11-14T23:00:00Z");
    assert_eq!(fx.sweep().await.cancellations, 1);
    assert_eq!(
        fx.inscription_of(&extended.email).await.status,
        InscriptionStatus::Cancelled
    );

    // Extending a cancelled inscription reinstates it.
    fx.set_now("2021-11-15T09:00:00Z");
    let answer = fx
        .admin(json!({
            "action": "extend_deadline", "actor": "Mme Durand (DIEC)",
            "email": other.email, "until": "2021-11-20T18:00:00+01:00"
        }))
        .await;
    assert_eq!(answer["status"], "registered", "{answer}");
    let record = fx.inscription_of(&other.email).await;
    assert_eq!(record.cancelled_at, None);
    assert_eq!(
        record.documents_deadline_extension,
        Some(at("2021-11-20T17:00:00Z"))
    );
    // Its 7-day mark is past: no stale reminder; the 2-day one will come.
    assert_eq!(record.reminders_sent, ["7d"]);
    let last = fx.mails_to(&other.email).last().cloned().unwrap();
    assert!(last.subject.contains("rétablie"), "{}", last.subject);
    assert_eq!(fx.sweep().await.changed(), 0);
    fx.set_now("2021-11-18T17:00:00Z");
    assert_eq!(fx.sweep().await.reminders, 1);
    let history = inscription::history(&fx.app, &other.account_id)
        .await
        .unwrap();
    let extension = history
        .iter()
        .find(|h| h.action == "deadline_extended")
        .unwrap();
    assert_eq!(extension.actor, "console:Mme Durand (DIEC)");
    assert!(extension.detail.as_deref().unwrap().contains("rétablie"));
}

async fn an_interrupted_sweep_finishes_next_time_without_duplicates(backend: Backend) {
    let fx = fixture(backend, CREATED).await;
    let seeded = fx
        .seed_many("cut", 30, Diploma::BacPro, "MCV_B", PieceStatus::Missing)
        .await;
    fx.clock.set(at(BAC_PRO_CLOSE) + Duration::minutes(5));

    // Stopped after 10 items: 10 cancellations, no mail sent yet.
    let first = fx
        .sweep_with(Budget::until(Instant::now() + StdDuration::from_secs(60)).max_items(10))
        .await;
    assert_eq!(
        (first.cancellations, first.mails_sent),
        (10, 0),
        "{first:?}"
    );
    assert!(!first.finished);
    // Stopped again: the 20 others cancelled, 5 mails out.
    let second = fx
        .sweep_with(Budget::until(Instant::now() + StdDuration::from_secs(60)).max_items(25))
        .await;
    assert_eq!(
        (second.cancellations, second.mails_sent),
        (20, 5),
        "{second:?}"
    );
    assert!(!second.finished);
    // A run whose time is up does nothing.
    let spent = fx.sweep_with(Budget::until(Instant::now())).await;
    assert_eq!(spent.changed(), 0);
    assert!(!spent.finished);
    // The next full run sends the rest.
    let third = fx.sweep().await;
    assert_eq!(
        (third.cancellations, third.mails_sent),
        (0, 25),
        "{third:?}"
    );
    assert!(third.finished);
    assert_eq!(fx.sweep().await.changed(), 0);
    for s in &seeded {
        let mails = fx.mails_to(&s.email);
        assert_eq!(mails.len(), 1, "{} got {} mails", s.email, mails.len());
        assert!(mails[0].subject.contains("annulée"));
        assert_eq!(
            fx.inscription_of(&s.email).await.status,
            InscriptionStatus::Cancelled
        );
    }
}

async fn two_concurrent_sweeps_send_each_email_once(backend: Backend) {
    let fx = fixture(backend, CREATED).await;
    let seeded = fx
        .seed_many("duo", 24, Diploma::Mc, "SOMMELLERIE", PieceStatus::Missing)
        .await;
    fx.seed_many("ok", 6, Diploma::Mc, "SOMMELLERIE", PieceStatus::Received)
        .await;
    fx.clock.set(at(BAC_PRO_CLOSE) + Duration::hours(1));
    let (a, b) = tokio::join!(fx.sweep(), fx.sweep());
    assert_eq!(a.cancellations + b.cancellations, 24, "{a:?} {b:?}");
    assert_eq!(a.mails_sent + b.mails_sent, 24, "{a:?} {b:?}");
    assert!(
        a.skipped + b.skipped > 0,
        "the two runs did race: {a:?} {b:?}"
    );
    let (c, d) = tokio::join!(fx.sweep(), fx.sweep());
    assert_eq!(c.changed() + d.changed(), 0);
    for s in &seeded {
        assert_eq!(fx.mails_to(&s.email).len(), 1, "{}", s.email);
        let history = inscription::history(&fx.app, &s.account_id).await.unwrap();
        assert_eq!(
            history.iter().filter(|h| h.action == "cancelled").count(),
            1
        );
    }
    if fx.backend == Backend::Moto {
        let sent = moto_server().await.sent_emails().await;
        let ours = sent
            .iter()
            .filter(|m| m.to_string().contains(&fx.domain))
            .count();
        assert_eq!(ours, 24, "SES received 24 emails");
    }
}

/// Past `held_mails` mails queued in one run, the sweep sends those it holds
/// before going on: none of its mails is read back from the queue.
async fn mails_held_in_batches_are_sent_once_and_never_read_back(backend: Backend) {
    let fx = fixture_holding(backend, CREATED, 4).await;
    let seeded = fx
        .seed_many("lot", 30, Diploma::BacPro, "MCV_B", PieceStatus::Missing)
        .await;
    fx.clock.set(at(BAC_PRO_CLOSE) + Duration::minutes(5));
    fx.counting.reset();
    let report = fx.sweep().await;
    assert_eq!(
        (report.cancellations, report.mails_sent),
        (30, 30),
        "{report:?}"
    );
    assert!(report.finished);
    // The 30 due inscriptions, each read once; no mail read back.
    assert_eq!(report.items_read, 30, "{report:?}");
    assert_eq!(fx.counting.counts().items_read(), 30);
    assert_eq!(fx.sweep().await.changed(), 0);
    for s in &seeded {
        let mails = fx.mails_to(&s.email);
        assert_eq!(mails.len(), 1, "{} got {} mails", s.email, mails.len());
        assert!(mails[0].subject.contains("annulée"));
        assert!(fx.queued_mails(&s.account_id).await.is_empty());
    }
}

async fn an_interrupted_sweep_sending_batches_sends_each_mail_once(backend: Backend) {
    let fx = fixture_holding(backend, CREATED, 4).await;
    let seeded = fx
        .seed_many("cutlot", 30, Diploma::BacPro, "MCV_B", PieceStatus::Missing)
        .await;
    fx.clock.set(at(BAC_PRO_CLOSE) + Duration::minutes(5));
    // 10 items: 4 cancellations, their 4 mails, 2 more cancellations whose
    // mails stay queued.
    let first = fx
        .sweep_with(Budget::until(Instant::now() + StdDuration::from_secs(60)).max_items(10))
        .await;
    assert_eq!((first.cancellations, first.mails_sent), (6, 4), "{first:?}");
    assert!(!first.finished);
    let second = fx
        .sweep_with(Budget::until(Instant::now() + StdDuration::from_secs(60)).max_items(25))
        .await;
    assert!(!second.finished, "{second:?}");
    let third = fx.sweep().await;
    assert!(third.finished, "{third:?}");
    assert_eq!(
        first.cancellations + second.cancellations + third.cancellations,
        30
    );
    assert_eq!(first.mails_sent + second.mails_sent + third.mails_sent, 30);
    assert_eq!(fx.sweep().await.changed(), 0);
    for s in &seeded {
        assert_eq!(fx.mails_to(&s.email).len(), 1, "{}", s.email);
        assert_eq!(
            fx.inscription_of(&s.email).await.status,
            InscriptionStatus::Cancelled
        );
    }
}

async fn concurrent_sweeps_sending_batches_send_each_email_once(backend: Backend) {
    let fx = fixture_holding(backend, CREATED, 3).await;
    let seeded = fx
        .seed_many(
            "duolot",
            24,
            Diploma::Mc,
            "SOMMELLERIE",
            PieceStatus::Missing,
        )
        .await;
    fx.clock.set(at(BAC_PRO_CLOSE) + Duration::hours(1));
    let (a, b) = tokio::join!(fx.sweep(), fx.sweep());
    assert_eq!(a.cancellations + b.cancellations, 24, "{a:?} {b:?}");
    assert_eq!(a.mails_sent + b.mails_sent, 24, "{a:?} {b:?}");
    let (c, d) = tokio::join!(fx.sweep(), fx.sweep());
    assert_eq!(c.changed() + d.changed(), 0);
    for s in &seeded {
        assert_eq!(fx.mails_to(&s.email).len(), 1, "{}", s.email);
    }
}

/// Reminders sent at the provider's rate across the scheduled runs, on a
/// clock that the pacer's waits move on (nothing slept for real): one mail
/// every 10 s and runs of 60 s send 6 a run, so 12 reminders take 2 runs,
/// the queue empty 50 s into the second.
async fn a_paced_reminder_run_drains_in_its_planned_runs_sending_each_once(backend: Backend) {
    let start = seven_days_before();
    let config = Config {
        mail_rate_per_second: 0.1,
        sweep_page_size: 7,
        held_mails: 4,
        ..Config::default()
    };
    let fx = fixture_with(backend, FixedClock::stepping(at(CREATED)), config).await;
    let seeded = fx
        .seed_many("paced", 12, Diploma::BacPro, "MCV_A", PieceStatus::Missing)
        .await;
    let mut reports = Vec::new();
    for run in 0..4 {
        let run_start = start + Duration::minutes(15 * run);
        fx.clock.set(run_start);
        let budget = Budget::on_clock(fx.app.clock.clone(), run_start + Duration::seconds(60));
        let report = fx.sweep_with(budget).await;
        let done = report.finished;
        reports.push((report, fx.clock.now() - run_start));
        if done {
            break;
        }
    }
    let (first, first_took) = &reports[0];
    assert_eq!(
        (first.reminders, first.mails_sent, first.finished),
        (12, 6, false),
        "{first:?}"
    );
    // Sends at 0, 10, ... 50 s: the clock moved by the waits alone.
    assert_eq!(*first_took, Duration::seconds(50));
    assert_eq!(reports.len(), 2, "{reports:?}");
    let (second, second_took) = &reports[1];
    assert_eq!((second.reminders, second.mails_sent), (0, 6), "{second:?}");
    assert_eq!(*second_took, Duration::seconds(50));
    fx.clock.set(start + Duration::minutes(45));
    assert_eq!(fx.sweep().await.changed(), 0);
    for s in &seeded {
        let mails = fx.mails_to(&s.email);
        assert_eq!(mails.len(), 1, "{} got {} mails", s.email, mails.len());
        assert!(fx.queued_mails(&s.account_id).await.is_empty());
    }
}

async fn a_sweep_racing_an_upload_never_cancels_a_complete_dossier(backend: Backend) {
    let fx = fixture(backend, CREATED).await;
    let c = fx
        .seed("race", Diploma::BacPro, "MCV_A", PieceStatus::Missing)
        .await;
    let read = fx.inscription_of(&c.email).await;
    // Between the sweep's read and its write, the last upload lands.
    let mut uploaded = read.clone();
    uploaded.pieces = pieces(PieceStatus::Received, at(BAC_PRO_CLOSE) - ms(10));
    uploaded.revision += 1;
    uploaded.refresh_status();
    assert_eq!(uploaded.status, InscriptionStatus::Complete);
    fx.race_on(
        read.key(),
        vec![WriteOp::put(
            uploaded.to_item(&fx.app.calendar).unwrap(),
            Condition::Always,
        )],
    );
    fx.clock.set(at(BAC_PRO_CLOSE) + ms(1));
    let report = fx.sweep().await;
    assert_eq!(report.cancellations, 0, "{report:?}");
    assert_eq!(report.skipped, 1);
    assert_eq!(
        fx.inscription_of(&c.email).await.status,
        InscriptionStatus::Complete
    );
    assert!(fx.mails_to(&c.email).is_empty());
    assert!(fx.queued_mails(&c.account_id).await.is_empty());
    assert_eq!(fx.sweep().await.changed(), 0);
}

async fn failed_sends_stay_queued_and_are_retried(backend: Backend) {
    let fx = fixture(backend, CREATED).await;
    let c = fx
        .seed("flaky", Diploma::BacPro, "MCV_A", PieceStatus::Missing)
        .await;
    fx.clock.set(at(BAC_PRO_CLOSE) + Duration::minutes(1));
    fx.fail_next_sends(vec![MailError::Throttled(
        "Maximum sending rate exceeded.".into(),
    )]);
    let report = fx.sweep().await;
    assert_eq!(
        (report.cancellations, report.mails_sent, report.mails_failed),
        (1, 0, 1),
        "{report:?}"
    );
    assert!(!report.finished, "a throttled provider stops the drain");
    let queued = fx.queued_mails(&c.account_id).await;
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0].status, MailStatus::Queued);
    assert_eq!(queued[0].attempts, 1);
    assert!(queued[0].last_error.as_deref().unwrap().contains("rate"));
    // The run published its figures (EMF, for the dashboard and alarms).
    assert_eq!(
        fx.app.metrics.recorded_total(Metric::SweepCancellations),
        1.0
    );
    assert_eq!(fx.app.metrics.recorded_total(Metric::MailsFailed), 1.0);
    // Not before its backoff; meanwhile the backlog ages.
    assert_eq!(fx.sweep().await.mails_sent, 0);
    fx.clock.set(fx.clock.now() + Duration::seconds(30));
    assert_eq!(fx.sweep().await.mails_sent, 0);
    assert_eq!(last_published(&fx, Metric::MailBacklogAge), Some(30.0));
    fx.clock.set(fx.clock.now() + Duration::seconds(31));
    assert_eq!(fx.sweep().await.mails_sent, 1);
    assert_eq!(last_published(&fx, Metric::MailBacklogAge), Some(0.0));
    assert_eq!(fx.app.metrics.recorded_total(Metric::MailsSent), 1.0);
    assert_eq!(fx.mails_to(&c.email).len(), 1);
    assert!(fx.queued_mails(&c.account_id).await.is_empty());

    // A message refused for good is kept, out of the queue, not retried.
    let d = fx
        .seed("bounce", Diploma::BacPro, "MCV_A", PieceStatus::Missing)
        .await;
    fx.fail_next_sends(vec![MailError::Rejected("Address blacklisted.".into())]);
    let report = fx.sweep().await;
    assert_eq!(
        (report.cancellations, report.mails_failed),
        (1, 1),
        "{report:?}"
    );
    fx.clock.set(fx.clock.now() + Duration::hours(3));
    assert_eq!(fx.sweep().await.changed(), 0);
    assert!(fx.mails_to(&d.email).is_empty());
    let record = fx.inscription_of(&d.email).await;
    let id = format!("{}#2022#cancellation#r{}", d.account_id, record.revision);
    let kept: QueuedMail = fx
        .app
        .store
        .get(&mail_key(&id))
        .await
        .unwrap()
        .unwrap()
        .to_value()
        .unwrap();
    assert_eq!(kept.status, MailStatus::Failed);
    assert!(kept.last_error.unwrap().contains("blacklisted"));
}

/// The value of `metric` in the last document published.
fn last_published(fx: &Fixture, metric: Metric) -> Option<f64> {
    fx.app
        .metrics
        .documents()
        .iter()
        .rev()
        .find_map(|document| document.get(metric.name()).and_then(Value::as_f64))
}

// ---------------------------------------------------------------------------
// Admin
// ---------------------------------------------------------------------------

fn piece<'a>(answer: &'a Value, kind: &str) -> &'a Value {
    answer["pieces"]
        .as_array()
        .and_then(|pieces| pieces.iter().find(|p| p["kind"] == kind))
        .unwrap_or_else(|| panic!("no piece {kind} in {answer}"))
}

async fn admin_pieces_validate_and_reject(backend: Backend) {
    let fx = fixture(backend, "2021-11-02T10:00:00Z").await;
    let c = fx
        .seed("pieces", Diploma::BacPro, "MCV_A", PieceStatus::Received)
        .await;
    let actor = "M. Martin (DIEC 3.05)";

    let answer = fx
        .admin(json!({"action": "validate_piece", "actor": actor, "email": c.email, "kind": "signed_confirmation"}))
        .await;
    assert_eq!(answer["status"], "complete", "{answer}");
    assert_eq!(piece(&answer, "signed_confirmation")["status"], "validated");
    assert_eq!(piece(&answer, "identity_document")["status"], "received");
    // Validating again changes nothing.
    let again = fx
        .admin(json!({"action": "validate_piece", "actor": actor, "email": c.email, "kind": "signed_confirmation"}))
        .await;
    assert_eq!(again["status"], "complete");

    // A rejection: back to registered, the candidate told why.
    let answer = fx
        .admin(json!({
            "action": "reject_piece", "actor": actor, "email": c.email.to_uppercase(),
            "kind": "identity_document", "reason": "Document illisible : la photo est floue."
        }))
        .await;
    assert_eq!(answer["status"], "registered", "{answer}");
    assert_eq!(piece(&answer, "identity_document")["status"], "rejected");
    assert_eq!(
        piece(&answer, "identity_document")["reason"],
        "Document illisible : la photo est floue."
    );
    assert_eq!(answer["notification"], "sent");
    let mails = fx.mails_to(&c.email);
    assert_eq!(mails.len(), 1);
    assert!(
        mails[0].subject.starts_with("Pièce refusée"),
        "{}",
        mails[0].subject
    );
    assert!(mails[0].text.contains("la photo est floue"));
    assert!(mails[0].text.contains("dimanche 7 novembre 2021"));
    let listed = fx
        .admin(json!({"action": "list", "status": "registered"}))
        .await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1, "{listed}");

    // A rejected piece cannot be validated until it is uploaded again.
    let refused = fx
        .admin(json!({"action": "validate_piece", "actor": actor, "email": c.email, "kind": "identity_document"}))
        .await;
    assert_eq!(refused["error"]["code"], "piece_not_received", "{refused}");

    // The candidate uploads it again (the documents service's write).
    let mut record = fx.inscription_of(&c.email).await;
    let read_revision = record.revision;
    if let Some(p) = record.pieces.get_mut(&PieceKind::IdentityDocument) {
        p.status = PieceStatus::Received;
        p.reason = None;
    }
    record.revision += 1;
    record.refresh_status();
    let line = HistoryEntry {
        at: at("2021-11-03T10:00:00Z"),
        actor: "candidate".into(),
        action: "piece_received".into(),
        fields: vec!["identity_document".into()],
        version: record.version,
        detail: None,
    };
    fx.app
        .store
        .transact(
            record
                .write_ops(&fx.app.calendar, read_revision, line)
                .unwrap(),
        )
        .await
        .unwrap();

    fx.set_now("2021-11-04T10:00:00Z");
    let answer = fx
        .admin(json!({"action": "validate_piece", "actor": actor, "email": c.email, "kind": "identity_document"}))
        .await;
    assert_eq!(answer["status"], "validated", "{answer}");
    let mails = fx.mails_to(&c.email);
    assert!(
        mails.last().unwrap().subject.contains("validé"),
        "{mails:?}"
    );

    let dossier = fx.admin(json!({"action": "get", "email": c.email})).await;
    assert_eq!(dossier["status"], "validated", "{dossier}");
    assert_eq!(dossier["account"]["status"], "active");
    let history: Vec<(String, String)> = dossier["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["actor"].as_str().unwrap().to_owned(),
                h["action"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let recorded = format!("console:{actor}");
    let by = recorded.as_str();
    let expected = [
        ("candidate", "created"),
        (by, "piece_validated"),
        (by, "piece_rejected"),
        ("candidate", "piece_received"),
        (by, "piece_validated"),
    ];
    assert_eq!(
        history,
        expected
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect::<Vec<_>>()
    );
    // The sweep never cancels a validated dossier.
    fx.set_now("2021-11-08T10:00:00Z");
    assert_eq!(fx.sweep().await.changed(), 0);

    // Unknown piece for this inscription, missing piece.
    let answer = fx
        .admin(json!({"action": "validate_piece", "actor": actor, "email": c.email, "kind": "jdc_certificate"}))
        .await;
    assert_eq!(answer["error"]["code"], "unknown_piece", "{answer}");
    let fresh = fx
        .seed("fresh", Diploma::Bp, "COIFFURE", PieceStatus::Missing)
        .await;
    let answer = fx
        .admin(json!({"action": "reject_piece", "actor": actor, "email": fresh.email, "kind": "identity_document", "reason": "x"}))
        .await;
    assert_eq!(answer["error"]["code"], "piece_not_received", "{answer}");
}

async fn admin_list_get_and_export(backend: Backend) {
    let fx = fixture(backend, "2021-11-05T10:00:00Z").await;
    let a = fx
        .seed_many("a", 5, Diploma::BacPro, "MCV_A", PieceStatus::Missing)
        .await;
    fx.seed_many("b", 3, Diploma::BacPro, "MCV_B", PieceStatus::Received)
        .await;
    fx.seed_many("c", 4, Diploma::Cap, "CUISINE", PieceStatus::Missing)
        .await;
    fx.seed_many("d", 2, Diploma::Cap, "PATISSIER", PieceStatus::Missing)
        .await;

    let count = |v: &Value| v["items"].as_array().map_or(0, Vec::len);
    let all = fx.admin(json!({"action": "list"})).await;
    assert_eq!(count(&all), 14, "{all}");
    assert!(all.get("cursor").is_none());
    let item = &all["items"][0];
    for field in [
        "email",
        "diploma",
        "specialty",
        "status",
        "version",
        "updated_at",
    ] {
        assert!(item.get(field).is_some(), "{field} in {item}");
    }
    assert_eq!(
        count(
            &fx.admin(json!({"action": "list", "diploma": "BAC_PRO"}))
                .await
        ),
        8
    );
    assert_eq!(
        count(
            &fx.admin(json!({"action": "list", "diploma": "CAP", "specialty": "CUISINE"}))
                .await
        ),
        4
    );
    assert_eq!(
        count(
            &fx.admin(json!({"action": "list", "status": "complete"}))
                .await
        ),
        3
    );
    assert_eq!(
        count(&fx.admin(json!({"action": "list", "diploma": "BAC_PRO", "specialty": "MCV_A", "status": "registered"})).await),
        5
    );
    assert_eq!(
        count(
            &fx.admin(json!({"action": "list", "specialty": "PATISSIER"}))
                .await
        ),
        2
    );

    // Pages of 3, through the cursor, cover everything once.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..10 {
        let mut event = json!({"action": "list", "limit": 3, "status": "registered"});
        if let Some(c) = &cursor {
            event["cursor"] = json!(c);
        }
        let page = fx.admin(event).await;
        assert!(count(&page) <= 3, "{page}");
        seen.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["email"].as_str().unwrap().to_owned()),
        );
        cursor = page["cursor"].as_str().map(str::to_owned);
        if cursor.is_none() {
            break;
        }
    }
    seen.sort();
    let before = seen.len();
    seen.dedup();
    assert_eq!((before, seen.len()), (11, 11));
    let bad = fx
        .admin(json!({"action": "list", "cursor": "not-a-cursor"}))
        .await;
    assert_eq!(bad["error"]["code"], "invalid_event", "{bad}");
    assert_eq!(bad["error"]["field"], "cursor");

    let dossier = fx
        .admin(json!({"action": "get", "email": a[0].email}))
        .await;
    assert_eq!(dossier["email"], a[0].email.as_str(), "{dossier}");
    assert_eq!(dossier["diploma"], "BAC_PRO");
    assert_eq!(dossier["identity"]["first_names"], "Zoé Anaïs");
    assert_eq!(dossier["pieces"].as_array().unwrap().len(), 2);
    assert_eq!(
        dossier["documents_deadline"],
        "2021-11-07T23:59:59.999+01:00"
    );
    assert_eq!(dossier["history"][0]["action"], "created");

    // The export: CSV, UTF-8 with BOM, `;`, French headers.
    let answer = fx
        .admin(json!({"action": "export", "actor": "Mme Durand", "diploma": "BAC_PRO"}))
        .await;
    let key = answer["key"]
        .as_str()
        .unwrap_or_else(|| panic!("{answer}"))
        .to_owned();
    assert!(
        key.starts_with("exports/") && key.ends_with(".csv"),
        "{key}"
    );
    assert_eq!(answer["rows"], 8);
    let location = answer["location"].as_str().unwrap();
    let bytes = match fx.backend {
        // moto serves the presigned link itself.
        Backend::Moto => reqwest::get(location)
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap()
            .to_vec(),
        Backend::Embedded => {
            assert!(location.contains("/_local/blobs/exports/"), "{location}");
            fx.app.documents.get(&key).await.unwrap().unwrap().to_vec()
        }
    };
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "a BOM");
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_reader(&bytes[3..]);
    let headers: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(
        headers,
        [
            "Numéro de candidat",
            "Courriel",
            "Nom",
            "Prénoms",
            "Date de naissance",
            "Lieu de naissance",
            "Code département de naissance",
            "Code pays de naissance",
            "Nationalité",
            "Téléphone",
            "Adresse",
            "Complément d'adresse",
            "Code postal",
            "Ville",
            "Pays",
            "Code diplôme",
            "Diplôme",
            "Code spécialité",
            "Spécialité",
            "Handicap déclaré",
            "Aménagement existant",
            "Acquis",
            "Épreuves facultatives",
            "Langues des épreuves facultatives",
            "Statut",
            "Version",
            "Pièces encore à fournir",
            "Date limite de dépôt",
            "Mis à jour le"
        ]
    );
    // Cells are read by their header, not their position.
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name}"))
    };
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 8);
    let row = rows
        .iter()
        .find(|r| &r[column("Courriel")] == a[0].email.as_str())
        .unwrap();
    assert_eq!(&row[column("Prénoms")], "Zoé Anaïs");
    assert_eq!(&row[column("Date de naissance")], "03/02/1990");
    assert_eq!(&row[column("Lieu de naissance")], "Aix-en-Provence");
    assert_eq!(&row[column("Nationalité")], "Belgique (BE)");
    // The phone, defused like every cell that starts with `+`.
    assert_eq!(&row[column("Téléphone")], "'+33612345678");
    assert_eq!(&row[column("Adresse")], "12 rue de la République");
    assert_eq!(&row[column("Complément d'adresse")], "");
    assert_eq!(&row[column("Code postal")], "13001");
    assert_eq!(&row[column("Ville")], "Marseille");
    assert_eq!(&row[column("Pays")], "France");
    assert_eq!(&row[column("Code diplôme")], "BAC_PRO");
    assert_eq!(&row[column("Diplôme")], "Baccalauréat professionnel");
    assert_eq!(&row[column("Code spécialité")], "MCV_A");
    assert_eq!(&row[column("Handicap déclaré")], "non");
    assert_eq!(&row[column("Aménagement existant")], "non");
    assert_eq!(&row[column("Acquis")], "");
    // Seeded without birth fields nor options: empty codes.
    assert_eq!(&row[column("Code département de naissance")], "");
    assert_eq!(&row[column("Code pays de naissance")], "");
    assert_eq!(&row[column("Épreuves facultatives")], "");
    assert_eq!(&row[column("Langues des épreuves facultatives")], "");
    assert_eq!(&row[column("Statut")], "enregistrée");
    assert_eq!(&row[column("Version")], "1");
    assert!(row[column("Pièces encore à fournir")]
        .contains("Confirmation d'inscription datée et signée"));
    assert_eq!(&row[column("Date limite de dépôt")], "07/11/2021 23:59:59");
    assert_eq!(
        rows.iter()
            .filter(|r| &r[column("Statut")] == "complète")
            .count(),
        3
    );

    let filtered = fx
        .admin(json!({"action": "export", "actor": "Mme Durand", "status": "complete"}))
        .await;
    assert_eq!(filtered["rows"], 3, "{filtered}");
    let empty = fx
        .admin(json!({"action": "export", "actor": "Mme Durand", "diploma": "MC"}))
        .await;
    assert_eq!(empty["rows"], 0, "{empty}");
}

async fn admin_errors_are_json_never_panics(backend: Backend) {
    let fx = fixture(backend, "2021-11-05T10:00:00Z").await;
    let c = fx
        .seed("err", Diploma::BacPro, "MCV_A", PieceStatus::Received)
        .await;
    let (pending, _) = fx
        .seed_pending_account("pending", "2021-11-05T09:00:00Z")
        .await;

    let code = |v: &Value| {
        v["error"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("not an error: {v}"))
            .to_owned()
    };
    let message = |v: &Value| v["error"]["message"].as_str().unwrap().to_owned();

    let malformed = admin::handle_json(&fx.app, "{\"action\": ").await;
    assert_eq!(code(&malformed), "malformed_json");
    assert!(message(&malformed).contains("JSON"));
    for event in [json!([1, 2]), json!("list"), json!(null), json!({})] {
        assert_eq!(code(&fx.admin(event).await), "invalid_event");
    }
    let unknown = fx.admin(json!({"action": "delete_everything"})).await;
    assert_eq!(code(&unknown), "unknown_action");
    assert!(message(&unknown).contains("« list »"), "{unknown}");
    assert_eq!(code(&fx.admin(json!({"action": 3})).await), "invalid_event");

    let cases = [
        (
            json!({"action": "list", "colour": "blue"}),
            "invalid_event",
            "colour",
        ),
        (
            json!({"action": "list", "diploma": "LICENCE"}),
            "invalid_event",
            "diploma",
        ),
        (
            json!({"action": "list", "status": "lost"}),
            "invalid_event",
            "status",
        ),
        (
            json!({"action": "list", "diploma": "CAP", "specialty": "MCV_A"}),
            "invalid_event",
            "specialty",
        ),
        (
            json!({"action": "list", "limit": 0}),
            "invalid_event",
            "limit",
        ),
        (
            json!({"action": "list", "limit": "ten"}),
            "invalid_event",
            "limit",
        ),
        (json!({"action": "get"}), "invalid_event", "email"),
        (
            json!({"action": "get", "email": 42}),
            "invalid_event",
            "email",
        ),
        (
            json!({"action": "get", "email": "not-an-address"}),
            "invalid_event",
            "email",
        ),
        (
            json!({"action": "get", "email": "nobody@nowhere.fr"}),
            "not_found",
            "email",
        ),
        (
            json!({"action": "get", "email": pending.email}),
            "no_inscription",
            "email",
        ),
        (
            json!({"action": "validate_piece", "email": c.email, "kind": "identity_document"}),
            "invalid_event",
            "actor",
        ),
        (
            json!({"action": "validate_piece", "actor": "  ", "email": c.email, "kind": "identity_document"}),
            "invalid_event",
            "actor",
        ),
        (
            json!({"action": "validate_piece", "actor": "x", "email": c.email, "kind": "passport"}),
            "invalid_event",
            "kind",
        ),
        (
            json!({"action": "reject_piece", "actor": "x", "email": c.email, "kind": "identity_document"}),
            "invalid_event",
            "reason",
        ),
        (
            json!({"action": "extend_deadline", "actor": "x", "email": c.email, "until": "next monday"}),
            "invalid_event",
            "until",
        ),
        (
            json!({"action": "extend_deadline", "actor": "x", "email": c.email, "until": "2021-11-06T12:00:00+01:00"}),
            "invalid_deadline",
            "until",
        ),
        (
            json!({"action": "export", "diploma": "CAP"}),
            "invalid_event",
            "actor",
        ),
        (
            json!({"action": "export", "actor": "x", "cursor": "abc"}),
            "invalid_event",
            "cursor",
        ),
    ];
    for (event, expected, field) in cases {
        let answer = fx.admin(event.clone()).await;
        assert_eq!(code(&answer), expected, "{event} → {answer}");
        assert_eq!(answer["error"]["field"], field, "{event} → {answer}");
        assert!(!message(&answer).is_empty());
    }
    // Nothing was changed by the refused events.
    let record = fx.inscription_of(&c.email).await;
    assert_eq!(record.revision, 1);
    let fetched = fx.admin(json!({"action": "get", "email": c.email})).await;
    assert_eq!(fetched["history"].as_array().unwrap().len(), 1);
}

// ---------------------------------------------------------------------------
// A candidate's save over a validated dossier
// ---------------------------------------------------------------------------

impl Fixture {
    /// Signs `email` up, activates it from the emailed link and logs in,
    /// through the services: the candidate's session token.
    async fn candidate_session(&self, email: &str) -> String {
        let credentials = Credentials {
            email: email.into(),
            password: "cheval-agrafe-batterie-correcte".into(),
        };
        accounts::signup(&self.app, credentials.clone())
            .await
            .unwrap();
        let token = self.mailer.last_token(email, "/activate");
        accounts::activate(&self.app, TokenOnly { token })
            .await
            .unwrap();
        accounts::login(&self.app, credentials).await.unwrap().token
    }

    /// Marks every piece of `email`'s inscription received, as the
    /// documents service does once a file is checked.
    async fn receive_every_piece(&self, email: &str) {
        let mut record = self.inscription_of(email).await;
        let read_revision = record.revision;
        let now = self.clock.now();
        for state in record.pieces.values_mut() {
            state.status = PieceStatus::Received;
            state.received_at = Some(now);
        }
        record.revision += 1;
        record.refresh_status();
        let line = HistoryEntry {
            at: now,
            actor: "candidate".into(),
            action: "piece_received".into(),
            fields: Vec::new(),
            version: record.version,
            detail: None,
        };
        let ops = record
            .write_ops(&self.app.calendar, read_revision, line)
            .unwrap();
        self.app.store.transact(ops).await.unwrap();
    }
}

async fn a_save_that_changes_nothing_leaves_a_validated_dossier_as_it_is(backend: Backend) {
    // Bac Pro: its registration and documents windows are both open.
    let fx = fixture(backend, "2021-10-26T08:00:00Z").await;
    let email = fx.email("valide");
    let token = fx.candidate_session(&email).await;
    let form = data(Diploma::BacPro, "MCV_A", "Martin");
    inscription::save(&fx.app, Some(&token), form.to_input(0))
        .await
        .unwrap();
    fx.receive_every_piece(&email).await;
    for kind in ["signed_confirmation", "identity_document"] {
        let answer = fx
            .admin(json!({"action": "validate_piece", "actor": "M. Martin (DIEC 3.05)", "email": email, "kind": kind}))
            .await;
        assert!(answer.get("error").is_none(), "{answer}");
    }
    let validated = fx.inscription_of(&email).await;
    assert_eq!(validated.status, InscriptionStatus::Validated);
    let mails = fx.mails_to(&email).len();

    let (created, answer) = inscription::save(&fx.app, Some(&token), form.to_input(1))
        .await
        .unwrap();
    assert!(!created);
    assert_eq!(
        (answer.version, answer.status),
        (1, InscriptionStatus::Validated)
    );
    let after = fx.inscription_of(&email).await;
    assert_eq!(after.revision, validated.revision, "nothing written");
    assert_eq!(
        after.pieces[&PieceKind::SignedConfirmation].status,
        PieceStatus::Validated
    );
    assert_eq!(fx.mails_to(&email).len(), mails, "no email");
    let history = inscription::history(&fx.app, &after.account_id)
        .await
        .unwrap();
    assert!(history.iter().all(|h| h.action != "updated"), "{history:?}");

    // Past the documents deadline (7 November), nothing to cancel.
    fx.set_now("2021-11-08T10:00:00Z");
    fx.sweep().await;
    assert_eq!(
        fx.inscription_of(&email).await.status,
        InscriptionStatus::Validated
    );
}

// ---------------------------------------------------------------------------
// Scale (embedded): reads follow the changes, not the table
// ---------------------------------------------------------------------------

#[tokio::test]
async fn a_sweep_reads_what_is_due_not_the_table() {
    let fx = fixture(Backend::Embedded, CREATED).await;
    // 10,000 candidates the sweep must not touch: complete dossiers, CAP and
    // BP ones whose dates are weeks ahead, active accounts...
    fx.seed_many(
        "done",
        4_000,
        Diploma::BacPro,
        "MCV_A",
        PieceStatus::Received,
    )
    .await;
    fx.seed_many("cap", 3_000, Diploma::Cap, "CUISINE", PieceStatus::Missing)
        .await;
    fx.seed_many("bp", 3_000, Diploma::Bp, "BOULANGER", PieceStatus::Missing)
        .await;
    // ... and 100 due for cancellation.
    let due = fx
        .seed_many("due", 100, Diploma::BacPro, "AGORA", PieceStatus::Missing)
        .await;

    fx.clock.set(at(BAC_PRO_CLOSE) + Duration::minutes(1));
    fx.counting.reset();
    let started = Instant::now();
    let report = fx.sweep().await;
    let elapsed = started.elapsed();
    let counts = fx.counting.counts();
    assert_eq!(
        (report.cancellations, report.mails_sent),
        (100, 100),
        "{report:?}"
    );
    assert!(report.finished);
    // Each due inscription is read once from the index; the mails queued by
    // the run are sent from memory; the empty queue answers nothing.
    assert!(counts.items_read() <= 100 + 5, "items read: {counts:?}");
    assert_eq!(report.items_read as u64, counts.items_read());
    // Pages of 7: the 15 pages the due inscriptions fill, plus one query per
    // partition that holds less (the due inscriptions' and the uploads'
    // shards and their unsharded partitions, `records::shards`) and the
    // empty activation and mail queries: nothing grows with the 10,000
    // candidates who are not due.
    let partitions = 2 * (u64::from(shards::SHARDS) + 1);
    assert!(
        counts.read_calls() <= 15 + partitions + 2,
        "read calls: {counts:?}"
    );
    eprintln!(
        "10,100 candidates, 100 due: {} items read in {} calls, {} writes, {:?}",
        counts.items_read(),
        counts.read_calls(),
        counts.transact.calls,
        elapsed
    );
    for s in due.iter().take(3) {
        assert_eq!(fx.mails_to(&s.email).len(), 1);
    }
    // A second run reads nothing.
    fx.counting.reset();
    assert_eq!(fx.sweep().await.changed(), 0);
    assert_eq!(fx.counting.counts().items_read(), 0);
}
