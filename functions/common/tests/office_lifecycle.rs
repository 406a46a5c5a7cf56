//! The data lifecycle (issue #18), each case on both backends (SQLite and a
//! folder; DynamoDB, S3 and SES on moto): a legal hold per dossier (`hold`,
//! `release_hold`: one history line each, the responsable's role), the
//! purge of a closed session (every personal item and file gone but the
//! held dossiers', `dry_run` changing nothing, an interrupted purge
//! resumed, reads in proportion to what it deletes), and a deployment
//! switched to the next session still reading the old one's dossiers until
//! their purge.

use examreg_common::testkit::files::valid_pdf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

use async_trait::async_trait;
use bytes::Bytes;
use chrono::Duration;
use serde_json::{json, Value};

use examreg_common::adapters::counting::CountingStore;
use examreg_common::app::{App, Config};
use examreg_common::domain::account::Email;
use examreg_common::domain::calendar::SessionCalendar;
use examreg_common::domain::dossier::PieceStatus;
use examreg_common::domain::inscription::InscriptionInput;
use examreg_common::domain::mail_events::{Mark, MarkCause};
use examreg_common::domain::pieces::PieceKind;
use examreg_common::domain::staff::{StaffCaller, StaffRole};
use examreg_common::on_both_backends;
use examreg_common::ports::store::{Item, Key, Page, Query, SortKeyCondition, WriteOp};
use examreg_common::ports::{DocumentStore, Store, StoreError};
use examreg_common::records::account::AccountRecord;
use examreg_common::records::deliverability::Undeliverable;
use examreg_common::records::dossier::derived_ops;
use examreg_common::records::keys;
use examreg_common::security;
use examreg_common::services::accounts::{self, Credentials, TokenOnly};
use examreg_common::services::admin::{self, purge, AdminEvent};
use examreg_common::services::budget::Budget;
use examreg_common::services::documents::{request_upload, UploadRequestInput};
use examreg_common::services::inscription;
use examreg_common::services::upload_check::check_stored_object;
use examreg_common::testkit::{
    self, account_ops, at, bac_pro_inscription, bac_pro_record, created_line, Backend, FixedClock,
    RecordingMailer, ScratchDir,
};

/// Bac Pro: registration and documents windows both open.
const BOTH_OPEN: &str = "2021-10-26T08:00:00Z";
/// Session 2022 closes at 00:00 Paris on 8 July 2023 (12 months after its
/// results of 8 July 2022): its purge may run from then.
const CLOSES: &str = "2023-07-07T22:00:00Z";
const PASSWORD: &str = "cheval-agrafe-batterie-correcte";
const ACTOR: &str = "Mme Durand (DIEC 3.05)";

// ---------------------------------------------------------------------------
// The fixture
// ---------------------------------------------------------------------------

/// A store that fails every call once `left` transactions have gone
/// through: a Lambda that dies mid-way (`usize::MAX`: never).
struct Interrupting {
    inner: Arc<dyn Store>,
    left: AtomicUsize,
}

impl Interrupting {
    fn cut_after(&self, transactions: usize) {
        self.left.store(transactions, Ordering::SeqCst);
    }

    fn heal(&self) {
        self.left.store(usize::MAX, Ordering::SeqCst);
    }
}

#[async_trait]
impl Store for Interrupting {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        self.inner.get(key).await
    }
    async fn get_many(&self, keys: &[Key]) -> Result<Vec<Item>, StoreError> {
        self.inner.get_many(keys).await
    }
    async fn query(&self, query: &Query) -> Result<Page, StoreError> {
        self.inner.query(query).await
    }
    async fn transact(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
        let taken = self
            .left
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| {
                (left > 0).then(|| left.saturating_sub(usize::from(left != usize::MAX)))
            });
        if taken.is_err() {
            return Err(StoreError::Unavailable("the Lambda timed out".into()));
        }
        self.inner.transact(ops).await
    }
}

struct Fixture {
    app: Arc<App>,
    clock: Arc<FixedClock>,
    mailer: Arc<RecordingMailer>,
    counting: Arc<CountingStore>,
    interrupting: Arc<Interrupting>,
    documents: Arc<dyn DocumentStore>,
    domain: String,
    _scratch: Option<ScratchDir>,
}

async fn fixture(backend: Backend) -> Fixture {
    let adapters = backend.adapters().await;
    let mailer = Arc::new(RecordingMailer::new(adapters.mailer));
    let clock = Arc::new(FixedClock::new(at(BOTH_OPEN)));
    let interrupting = Arc::new(Interrupting {
        inner: adapters.store,
        left: AtomicUsize::new(usize::MAX),
    });
    let counting = Arc::new(CountingStore::new(interrupting.clone()));
    let config = Config {
        mail_rate_per_second: 1000.0,
        ..Config::default()
    };
    let app = testkit::app(
        config,
        counting.clone(),
        mailer.clone(),
        adapters.documents.clone(),
        clock.clone(),
    );
    Fixture {
        app: Arc::new(app),
        clock,
        mailer,
        counting,
        interrupting,
        documents: adapters.documents,
        domain: testkit::unique_domain("l"),
        _scratch: adapters.scratch,
    }
}

/// The 2022 calendar moved a year on: the next session, 2023.
fn calendar_2023() -> SessionCalendar {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../infra/sessions/2022.toml"
    ))
    .unwrap()
    .replace("results_on = 2022-07-08", "results_on = 2023-07-07")
    .replace("session = \"2022\"", "session = \"2023\"")
    .replace("2021-", "2022-");
    SessionCalendar::parse(&text, "2023.toml").unwrap()
}

/// What a candidate left: their address, account, and files.
struct Candidate {
    email: String,
    account_id: String,
    files: Vec<String>,
}

impl Fixture {
    /// The same data, with the deployment switched to session 2023.
    fn next_session(&self) -> App {
        let mut app = testkit::app(
            Config {
                mail_rate_per_second: 1000.0,
                ..Config::default()
            },
            self.counting.clone(),
            self.mailer.clone(),
            self.documents.clone(),
            self.clock.clone(),
        );
        app.calendar = calendar_2023();
        app
    }

    /// Signs up, registers for the Bac Pro, uploads both pieces (checked),
    /// and has the office reject the identity document, which the
    /// candidate uploads again: three files, one rejected.
    async fn candidate(&self, name: &str) -> Candidate {
        self.clock.set(at(BOTH_OPEN));
        let email = format!("{name}@{}", self.domain);
        let credentials = || Credentials {
            email: email.clone(),
            password: PASSWORD.into(),
        };
        accounts::signup(&self.app, credentials()).await.unwrap();
        let token = self.mailer.last_token(&email, "/activate");
        accounts::activate(&self.app, TokenOnly { token })
            .await
            .unwrap();
        let token = accounts::login(&self.app, credentials())
            .await
            .unwrap()
            .token;
        let input: InscriptionInput = serde_json::from_value(bac_pro_inscription(0)).unwrap();
        inscription::save(&self.app, Some(&token), input)
            .await
            .unwrap();
        let mut files = Vec::new();
        for kind in ["signed_confirmation", "identity_document"] {
            files.push(self.upload(&token, kind).await);
        }
        let rejected = self
            .admin(
                json!({"action": "reject_piece", "actor": ACTOR, "email": email,
                           "kind": "identity_document", "reason": "Illisible."}),
            )
            .await;
        assert!(rejected.get("error").is_none(), "{rejected}");
        files.push(self.upload(&token, "identity_document").await);
        let account_id = self
            .app
            .store
            .get(&keys::email_guard(&email.to_lowercase()))
            .await
            .unwrap()
            .unwrap()
            .str_attr("account_id")
            .unwrap()
            .to_owned();
        Candidate {
            email,
            account_id,
            files,
        }
    }

    async fn upload(&self, token: &str, kind: &str) -> String {
        let ticket = request_upload(
            &self.app,
            Some(token),
            kind,
            &UploadRequestInput {
                content_type: Some("application/pdf".into()),
                size_bytes: Some(valid_pdf().len() as u64),
                name: None,
            },
        )
        .await
        .unwrap();
        let url = url::Url::parse(&ticket.upload_url).unwrap();
        let path = url.path().trim_start_matches('/');
        let key = match path.strip_prefix("_local/blobs/") {
            Some(key) => key.to_owned(),
            None => path.split_once('/').unwrap().1.to_owned(),
        };
        self.app
            .documents
            .put(&key, "application/pdf", Bytes::from_static(valid_pdf()))
            .await
            .unwrap();
        check_stored_object(&self.app, &key).await.unwrap();
        key
    }

    async fn admin(&self, event: Value) -> Value {
        admin::handle_value(&self.app, event).await
    }

    async fn purge(&self, app: &App, dry_run: bool, budget: Budget) -> Value {
        let event = AdminEvent::parse(
            json!({"action": "purge", "actor": ACTOR, "session": "2022", "dry_run": dry_run}),
            &app.catalogue,
        )
        .unwrap();
        let AdminEvent::Purge(event) = event else {
            panic!("a purge")
        };
        match purge::run(app, &event, budget).await {
            Ok(mut answer) => {
                admin::present::present(&mut answer, app.calendar.timezone);
                answer
            }
            Err(error) => error.to_json(),
        }
    }

    /// Purges session 2022 to the end, call after call.
    async fn purge_all(&self, app: &App) -> Value {
        for _ in 0..1000 {
            let answer = self.purge(app, false, a_minute()).await;
            assert!(answer.get("error").is_none(), "{answer}");
            if answer["remaining"] == 0 {
                return answer;
            }
        }
        panic!("the purge never finished");
    }

    /// Every item left in the candidate's partition.
    async fn partition(&self, account_id: &str) -> Vec<String> {
        let page = self
            .app
            .store
            .query(&Query::table(
                keys::candidate_pk(account_id),
                SortKeyCondition::Any,
            ))
            .await
            .unwrap();
        page.items.into_iter().map(|item| item.key.sk).collect()
    }

    async fn stored(&self, key: &str) -> bool {
        self.documents.head(key).await.unwrap().is_some()
    }
}

fn a_minute() -> Budget {
    Budget::until(Instant::now() + StdDuration::from_secs(60))
}

fn history_actions(answer: &Value) -> Vec<String> {
    answer["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|line| line["action"].as_str().unwrap().to_owned())
        .collect()
}

// ---------------------------------------------------------------------------
// Legal hold
// ---------------------------------------------------------------------------

/// `hold` records its reason, actor and time on the dossier with one history
/// line; `release_hold` lifts it with another; both are the responsable's
/// (a gestionnaire is refused, changing nothing); a candidate is named by
/// address or by number.
async fn a_hold_is_recorded_and_released_with_its_history_by_a_responsable(backend: Backend) {
    let f = fixture(backend).await;
    let zoe = f.candidate("zoe").await;
    let held = f
        .admin(json!({"action": "hold", "actor": ACTOR, "email": zoe.email,
                       "reason": "Recours contentieux n° 2201234."}))
        .await;
    assert_eq!(held["on_hold"], true, "{held}");
    assert_eq!(
        held["legal_hold"]["reason"],
        "Recours contentieux n° 2201234."
    );
    assert_eq!(held["legal_hold"]["actor"], format!("console:{ACTOR}"));
    assert_eq!(held["legal_hold"]["at"], "2021-10-26T10:00:00.000+02:00");
    // Sent again: nothing more.
    f.admin(json!({"action": "hold", "actor": ACTOR, "email": zoe.email,
                   "reason": "Recours contentieux n° 2201234."}))
        .await;
    let got = f
        .admin(json!({"action": "get", "actor": ACTOR, "email": zoe.email}))
        .await;
    let actions = history_actions(&got);
    assert_eq!(
        actions.iter().filter(|a| *a == "held").count(),
        1,
        "{actions:?}"
    );
    let line = got["history"]
        .as_array()
        .unwrap()
        .iter()
        .find(|line| line["action"] == "held")
        .unwrap();
    assert!(line["detail"]
        .as_str()
        .unwrap()
        .contains("Recours contentieux n° 2201234."));
    assert_eq!(
        got["legal_hold"]["reason"],
        "Recours contentieux n° 2201234."
    );

    // Through the Office API: a gestionnaire may not; a responsable may.
    let staff = |role| StaffCaller {
        email: Email::parse("agent@ac-aix-marseille.fr").unwrap(),
        role,
    };
    let number = got["candidate_number"].as_str().unwrap().to_owned();
    let release = json!({"action": "release_hold", "candidate_number": number});
    let refused = admin::handle_staff(&f.app, &staff(StaffRole::Gestionnaire), release.clone())
        .await
        .unwrap_err();
    assert_eq!(refused.code, "forbidden_role");
    let purge_refused = admin::handle_staff(
        &f.app,
        &staff(StaffRole::Gestionnaire),
        json!({"action": "purge", "session": "2022", "dry_run": true}),
    )
    .await
    .unwrap_err();
    assert_eq!(purge_refused.code, "forbidden_role");
    let still = f.admin(json!({"action": "get", "email": zoe.email})).await;
    assert_eq!(
        still["legal_hold"]["reason"],
        "Recours contentieux n° 2201234."
    );

    let released = admin::handle_staff(&f.app, &staff(StaffRole::Responsable), release)
        .await
        .unwrap();
    assert_eq!(released["on_hold"], false, "{released}");
    assert_eq!(released["legal_hold"], Value::Null);
    let got = f.admin(json!({"action": "get", "email": zoe.email})).await;
    let line = got["history"]
        .as_array()
        .unwrap()
        .iter()
        .find(|line| line["action"] == "hold_released")
        .expect("a hold_released line");
    assert_eq!(line["actor"], "staff:agent@ac-aix-marseille.fr");
    assert!(got.get("legal_hold").is_none_or(Value::is_null), "{got}");
    // Releasing what is not held changes nothing.
    f.admin(json!({"action": "release_hold", "actor": ACTOR, "email": zoe.email}))
        .await;
    let got = f.admin(json!({"action": "get", "email": zoe.email})).await;
    assert_eq!(
        history_actions(&got)
            .iter()
            .filter(|a| *a == "hold_released")
            .count(),
        1
    );
    // An unknown candidate: a clear refusal.
    let unknown = f
        .admin(json!({"action": "hold", "actor": ACTOR, "email": format!("nobody@{}", f.domain), "reason": "x"}))
        .await;
    assert_eq!(unknown["error"]["code"], "not_found");
}

// ---------------------------------------------------------------------------
// The purge
// ---------------------------------------------------------------------------

/// Before its retention ends a session is refused, in French, with its own
/// code; after, a dry run counts what the purge then deletes, changing
/// nothing; the purge deletes every item and file of the candidates but the
/// held one's, whose dossier, history and files stay whole; the journal
/// holds the run; a second purge finds nothing more.
async fn the_purge_deletes_everything_but_held_dossiers_and_a_dry_run_nothing(backend: Backend) {
    let f = fixture(backend).await;
    let anna = f.candidate("anna").await;
    let bruno = f.candidate("bruno").await;
    let held = f.candidate("held").await;
    let export = f.admin(json!({"action": "export", "actor": ACTOR})).await;
    let export_key = export["key"].as_str().expect("an export").to_owned();
    assert!(f.stored(&export_key).await);
    let hold = f
        .admin(json!({"action": "hold", "actor": ACTOR, "email": held.email, "reason": "Litige."}))
        .await;
    assert_eq!(hold["on_hold"], true);

    // Not closed yet: refused, nothing changes.
    f.clock.set(at(CLOSES) - Duration::milliseconds(1));
    let refused = f.purge(&f.app, false, a_minute()).await;
    assert_eq!(refused["error"]["code"], "session_not_closed", "{refused}");
    let message = refused["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("vendredi 7 juillet 2023 inclus"),
        "{message}"
    );
    assert!(
        message.contains("à partir du samedi 8 juillet 2023"),
        "{message}"
    );
    assert!(message.contains("session en cours"), "{message}");
    let console = f
        .admin(json!({"action": "purge", "actor": ACTOR, "session": "2021"}))
        .await;
    assert_eq!(
        console["error"]["code"], "no_retention_schedule",
        "{console}"
    );

    // SES once reported Bruno's address as bouncing: the mark is personal
    // data too, and goes with his account.
    let bruno_canonical = bruno.email.to_lowercase();
    let mark = Undeliverable::new(
        Mark {
            address: bruno_canonical.clone(),
            cause: MarkCause::Bounce,
            detail: "Permanent General".into(),
            reported_at: at(CLOSES) - Duration::days(300),
        },
        at(CLOSES) - Duration::days(300),
    );
    f.app
        .store
        .transact(vec![mark.put_op().unwrap()])
        .await
        .unwrap();

    f.clock.set(at(CLOSES));
    let before = f.partition(&anna.account_id).await;
    let dry = f.purge(&f.app, true, a_minute()).await;
    assert_eq!(dry["dry_run"], true, "{dry}");
    assert_eq!(dry["remaining"], 0);
    assert_eq!(dry["kept_on_hold"], 1);
    assert_eq!(dry["deleted"]["dossiers"], 2);
    assert_eq!(dry["deleted"]["accounts"], 2);
    assert_eq!(dry["deleted"]["files"], 6);
    assert_eq!(dry["deleted"]["exports"], 1);
    // Nothing changed.
    assert_eq!(f.partition(&anna.account_id).await, before);
    for file in &anna.files {
        assert!(f.stored(file).await, "{file}");
    }
    assert!(f.stored(&export_key).await);

    let done = f.purge(&f.app, false, a_minute()).await;
    assert_eq!(done["remaining"], 0, "{done}");
    assert_eq!(done["kept_on_hold"], 1);
    assert_eq!(
        done["deleted"], dry["deleted"],
        "the dry run counted what went"
    );
    assert!(done["deleted"]["history_lines"].as_i64().unwrap() >= 2 * 5);

    for gone in [&anna, &bruno] {
        assert_eq!(f.partition(&gone.account_id).await, Vec::<String>::new());
        assert!(f
            .app
            .store
            .get(&keys::email_guard(&gone.email.to_lowercase()))
            .await
            .unwrap()
            .is_none());
        for file in &gone.files {
            assert!(!f.stored(file).await, "{file} is still stored");
        }
        let get = f.admin(json!({"action": "get", "email": gone.email})).await;
        assert_eq!(get["error"]["code"], "not_found");
    }
    assert!(f
        .app
        .store
        .get(&keys::undeliverable(&bruno_canonical))
        .await
        .unwrap()
        .is_none());
    assert!(!f.stored(&export_key).await);
    // The held candidate: whole.
    let kept = f.admin(json!({"action": "get", "email": held.email})).await;
    assert_eq!(kept["legal_hold"]["reason"], "Litige.", "{kept}");
    assert!(history_actions(&kept).len() >= 5);
    for file in &held.files {
        assert!(f.stored(file).await, "{file}");
    }
    let stats = f.admin(json!({"action": "stats"})).await;
    assert_eq!(stats["total"], 1, "{stats}");
    let search = f.admin(json!({"action": "search", "name": "lef"})).await;
    assert_eq!(search["items"].as_array().unwrap().len(), 1, "{search}");

    // Journaled at the session's level.
    let journal = f
        .app
        .store
        .query(&Query::table(
            keys::purge_pk("2022"),
            SortKeyCondition::BeginsWith("RUN#".into()),
        ))
        .await
        .unwrap();
    assert_eq!(journal.items.len(), 1);
    assert_eq!(
        journal.items[0].str_attr("actor"),
        Some(format!("console:{ACTOR}").as_str())
    );

    // Run again: nothing more; the totals stand.
    let again = f.purge(&f.app, false, a_minute()).await;
    assert_eq!(again["deleted"], done["deleted"]);
    assert_eq!(again["kept_on_hold"], 1);
    // Released, the held dossier goes at the next purge.
    f.admin(json!({"action": "release_hold", "actor": ACTOR, "email": held.email}))
        .await;
    let last = f.purge(&f.app, false, a_minute()).await;
    assert_eq!(last["kept_on_hold"], 0, "{last}");
    assert_eq!(last["deleted"]["dossiers"], 3);
    assert_eq!(f.partition(&held.account_id).await, Vec::<String>::new());
}

/// A purge cut off mid-way (the store gone between two of its writes, as a
/// Lambda timing out) and run again finishes, and its counts are those of
/// an uninterrupted purge; a purge out of budget answers `remaining` and
/// goes on at the next call.
async fn an_interrupted_purge_resumes_and_its_counts_stay_true(backend: Backend) {
    let f = fixture(backend).await;
    let count = 25;
    let seeded = seed(&f, "2022", count, true).await;
    f.clock.set(at(CLOSES));
    let dry = f.purge(&f.app, true, a_minute()).await;
    assert_eq!(dry["deleted"]["dossiers"], count, "{dry}");

    // Cut after a few writes: mid-dossier.
    f.interrupting.cut_after(7);
    let cut = f.purge(&f.app, false, a_minute()).await;
    assert!(cut.get("error").is_some(), "{cut}");
    f.interrupting.heal();
    // One page per call.
    let first = f
        .purge(&f.app, false, Budget::until(far()).max_items(1))
        .await;
    assert!(first["remaining"].as_u64().unwrap() > 0, "{first}");
    assert_eq!(first["finished"], false);
    let done = f.purge_all(&f.app).await;
    assert_eq!(done["deleted"], dry["deleted"], "{done}");
    for account_id in &seeded {
        assert_eq!(f.partition(account_id).await, Vec::<String>::new());
    }
}

fn far() -> Instant {
    Instant::now() + StdDuration::from_secs(600)
}

/// Sessions change, records stay: the deployment switched to session 2023,
/// the office still reads 2022's dossiers (with `session`), and the purge of
/// 2022 (closed) deletes them while 2023 (the current session, open) is
/// refused.
async fn the_next_session_still_reads_the_last_ones_dossiers_until_their_purge(backend: Backend) {
    let f = fixture(backend).await;
    let zoe = f.candidate("zoe").await;
    f.clock.set(at("2022-10-20T08:00:00Z"));
    let next = f.next_session();
    assert_eq!(next.calendar.session, "2023");
    let read = |event: Value| {
        let next = &next;
        async move { admin::handle_value(next, event).await }
    };
    let got = read(json!({"action": "get", "email": zoe.email, "session": "2022"})).await;
    assert_eq!(got["status"], "complete", "{got}");
    assert_eq!(got["session"], "2022");
    let listed = read(json!({"action": "list", "session": "2022"})).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1, "{listed}");
    let found = read(json!({"action": "search", "name": "lefevre", "session": "2022"})).await;
    assert_eq!(found["items"].as_array().unwrap().len(), 1, "{found}");
    let current = read(json!({"action": "get", "email": zoe.email})).await;
    assert_eq!(current["error"]["code"], "no_inscription", "{current}");
    let stats = read(json!({"action": "stats", "session": "2022"})).await;
    assert_eq!(stats["total"], 1, "{stats}");

    // 2022 not closed yet, even from 2023; then closed, purged.
    let early = f.purge(&next, false, a_minute()).await;
    assert_eq!(early["error"]["code"], "session_not_closed", "{early}");
    f.clock.set(at(CLOSES) + Duration::days(1));
    let refused = read(json!({"action": "purge", "actor": ACTOR, "session": "2023"})).await;
    assert_eq!(refused["error"]["code"], "session_not_closed", "{refused}");
    assert!(refused["error"]["message"]
        .as_str()
        .unwrap()
        .contains("session en cours"));
    let done = f.purge_all(&next).await;
    assert_eq!(done["deleted"]["dossiers"], 1);
    let gone = read(json!({"action": "get", "email": zoe.email, "session": "2022"})).await;
    assert_eq!(gone["error"]["code"], "not_found", "{gone}");
    for file in &zoe.files {
        assert!(!f.stored(file).await);
    }
}

/// A large session: every dossier deleted, and the store read in proportion
/// to what is deleted, not to the table: another session's dossiers cost
/// nothing. SQLite purges 10,000 dossiers (about a minute in a debug
/// build); moto, far slower per call, 60.
async fn a_large_purge_reads_in_proportion_to_what_it_deletes(backend: Backend) {
    let f = fixture(backend).await;
    let count = match backend {
        Backend::Embedded => 10_000,
        Backend::Moto => 60,
    };
    let started = Instant::now();
    let purged = seed(&f, "2022", count, false).await;
    seed(&f, "2023", count / 10, false).await;
    eprintln!(
        "seeded {} dossiers in {:?}",
        count + count / 10,
        started.elapsed()
    );
    f.clock.set(at(CLOSES));
    let before = f.counting.counts();
    let started = Instant::now();
    let done = f.purge_all(&f.app).await;
    let used = f.counting.counts().since(&before);
    assert_eq!(done["deleted"]["dossiers"], count, "{done}");
    let deleted: i64 = done["deleted"]
        .as_object()
        .unwrap()
        .values()
        .filter_map(Value::as_i64)
        .sum();
    let read = used.items_read();
    eprintln!(
        "purge of {count} dossiers: {deleted} items and files deleted, {read} items read in {} read calls, {:?}",
        used.read_calls(),
        started.elapsed()
    );
    // Per dossier: its listing entry, itself read again, its partition (what
    // goes), and a page's bookkeeping. Never the other session's 2x.
    assert!(
        read <= 2 * deleted as u64,
        "{read} items read for {deleted} deleted"
    );
    assert!(read < 3 * count as u64 + 2 * deleted as u64);
    for account_id in purged.iter().step_by(count / 10) {
        assert_eq!(f.partition(account_id).await, Vec::<String>::new());
    }
    let mut other = Vec::new();
    for partition in keys::listing_partitions("2023") {
        let page = f
            .app
            .store
            .query(&Query::index(
                examreg_common::ports::store::Index::Gsi2,
                partition,
                SortKeyCondition::Any,
            ))
            .await
            .unwrap();
        other.extend(page.items);
    }
    assert!(!other.is_empty(), "the other session is untouched");
}

/// Seeds `count` candidates of `session` straight into the store as the
/// write path writes them (account, address guard, dossier, a history line,
/// number, search entries, counters), each with a received piece whose file
/// is stored when `files`: the accounts' ids.
async fn seed(f: &Fixture, session: &str, count: usize, files: bool) -> Vec<String> {
    let created = at(BOTH_OPEN);
    let template = bac_pro_record(created);
    let mut ids = Vec::with_capacity(count);
    for i in 0..count {
        let account_id = security::new_account_id();
        let email = format!("c{i}-{session}@{}", f.domain);
        let account = AccountRecord::pending(
            &account_id,
            &Email::parse(&email).unwrap(),
            "not-a-real-hash".into(),
            "hash".into(),
            created,
        );
        let mut record = template.clone();
        record.account_id = account_id.clone();
        record.email = email.clone();
        record.session = session.into();
        record.data.identity.last_name = format!("Nom{i:05}");
        if files {
            let key = format!(
                "candidates/{account_id}/identity_document/{}",
                uuid::Uuid::new_v4().simple()
            );
            f.documents
                .put(&key, "application/pdf", Bytes::from_static(valid_pdf()))
                .await
                .unwrap();
            let piece = record.pieces.get_mut(&PieceKind::IdentityDocument).unwrap();
            piece.status = PieceStatus::Received;
            piece.received_at = Some(created);
            piece.object_key = Some(key);
            piece.content_type = Some("application/pdf".into());
            piece.size_bytes = Some(valid_pdf().len() as u64);
        }
        let history = created_line(created);
        let mut ops = account_ops(&account);
        ops.extend(derived_ops(None, &mut record, 0).unwrap());
        ops.extend(record.write_ops(&f.app.calendar, 0, history).unwrap());
        f.interrupting.inner.transact(ops).await.unwrap();
        ids.push(account_id);
    }
    ids
}

on_both_backends!(
    a_hold_is_recorded_and_released_with_its_history_by_a_responsable,
    the_purge_deletes_everything_but_held_dossiers_and_a_dry_run_nothing,
    an_interrupted_purge_resumes_and_its_counts_stay_true,
    the_next_session_still_reads_the_last_ones_dossiers_until_their_purge,
    a_large_purge_reads_in_proportion_to_what_it_deletes,
);
