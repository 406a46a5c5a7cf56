//! Fault injection at the adapters' boundary (`adapters::faulty`): what the
//! application does when SES, DynamoDB or S3 fail, or when a run is killed,
//! and that nothing it accepted is lost. Each case runs on the embedded
//! adapters and on the AWS ones (DynamoDB, S3 and SES on moto), through the
//! very router the Lambdas serve, with a clock that only moves when told.
//!
//! - SES down during signup: 202, the account exists; the candidate asks
//!   for the link again and activates. No 500.
//! - DynamoDB throttling: the real SDK against an endpoint that always
//!   throttles retries, then the route answers 503 with `Retry-After`; and a
//!   throttle injected at each store call of each route in turn answers 503,
//!   never 500, with nothing half-written, and the candidate's retry works.
//! - A write whose answer is lost (the store committed, the caller timed out).
//! - A right password racing a wrong one (found by the outside fuzzer: a 500).
//! - S3 notifications delivered twice, at once or late, and an older upload
//!   notified after a newer one: each piece counted once, the newest kept.
//! - The sweep killed after each of its writes in turn, then run again: each
//!   candidate cancelled once and emailed once.
//!
//! (`sweep_aws.rs` already covers sweeps stopped by their budget, two sweeps
//! at once, and a sweep racing an upload; `inscription_props.rs` bad bodies.)

use examreg_common::testkit::files::{valid_pdf, valid_pdf_v2};
use std::sync::{Arc, Mutex};
use std::time::{Duration as StdDuration, Instant};

use async_trait::async_trait;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use axum::Router;
use bytes::Bytes;
use chrono::Duration;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

use examreg_common::adapters::dynamodb::DynamoStore;
use examreg_common::adapters::faulty::{
    documents_unavailable, mail_throttled, mail_unavailable, throttled, DocumentsMethod, Fault,
    FaultHandle, FaultyDocuments, FaultyMailer, FaultyStore, StoreCall, StoreMethod,
};
use examreg_common::adapters::folder::FolderDocumentStore;
use examreg_common::app::{App, Config};
use examreg_common::domain::dossier::{InscriptionStatus, PieceStatus};
use examreg_common::domain::pieces::PieceKind;
use examreg_common::http::routes::Function;
use examreg_common::on_both_backends;
use examreg_common::ports::store::{Item, Key, Page, Query, SortKeyCondition, WriteOp};
use examreg_common::ports::{Clock, OutgoingEmail, Store, StoreError};
use examreg_common::records::dossier::InscriptionRecord;
use examreg_common::records::keys;
use examreg_common::records::upload::UploadRecord;
use examreg_common::services::inscription;
use examreg_common::services::mailqueue::{settle_deliveries, LEASE};
use examreg_common::services::sweep;
use examreg_common::services::upload_check::{check_stored_object, CheckOutcome};
use examreg_common::testkit::{
    self, at, bac_pro_inscription, Backend, FixedClock, RecordingMailer, ScratchDir,
};

// ---------------------------------------------------------------------------
// The fixture
// ---------------------------------------------------------------------------

/// Bac Pro: registration and documents windows both open.
const BOTH_OPEN: &str = "2021-10-26T08:00:00Z";
/// The Bac Pro documents window closes on Sunday 7 November 2021 at
/// 23:59:59.999 Paris time (CET).
const BAC_PRO_CLOSE: &str = "2021-11-07T22:59:59.999Z";
const PASSWORD: &str = "cheval-agrafe-batterie-correcte";

/// Records the keys of every transaction the real store committed: what a
/// request left behind, whatever it answered.
struct CommitLog {
    inner: Arc<dyn Store>,
    commits: Mutex<Vec<Vec<Key>>>,
}

impl CommitLog {
    fn len(&self) -> usize {
        self.commits.lock().unwrap().len()
    }

    fn since(&self, mark: usize) -> Vec<Vec<Key>> {
        self.commits.lock().unwrap()[mark..].to_vec()
    }
}

#[async_trait]
impl Store for CommitLog {
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
        let keys: Vec<Key> = ops.iter().map(|op| op.key().clone()).collect();
        self.inner.transact(ops).await?;
        self.commits.lock().unwrap().push(keys);
        Ok(())
    }
}

struct Fixture {
    app: Arc<App>,
    router: Router,
    store: Arc<FaultyStore>,
    log: Arc<CommitLog>,
    mailer: Arc<FaultyMailer>,
    sent: Arc<RecordingMailer>,
    documents: Arc<FaultyDocuments>,
    clock: Arc<FixedClock>,
    /// A domain of its own, so that this case's emails are its own.
    domain: String,
    _scratch: Option<ScratchDir>,
}

async fn fixture(backend: Backend) -> Fixture {
    let adapters = backend.adapters().await;
    let log = Arc::new(CommitLog {
        inner: adapters.store,
        commits: Mutex::new(Vec::new()),
    });
    let store = Arc::new(FaultyStore::new(log.clone()));
    let sent = Arc::new(RecordingMailer::new(adapters.mailer));
    let mailer = Arc::new(FaultyMailer::new(sent.clone()));
    let documents = Arc::new(FaultyDocuments::new(adapters.documents));
    let clock = Arc::new(FixedClock::new(at(BOTH_OPEN)));
    let config = Config {
        mail_rate_per_second: 1000.0,
        sweep_page_size: 5,
        ..Config::default()
    };
    let app = Arc::new(testkit::app(
        config,
        store.clone(),
        mailer.clone(),
        documents.clone(),
        clock.clone(),
    ));
    Fixture {
        router: examreg_common::http::router(app.clone(), &Function::ALL),
        app,
        store,
        log,
        mailer,
        sent,
        documents,
        clock,
        domain: testkit::unique_domain("f"),
        _scratch: adapters.scratch,
    }
}

on_both_backends!(
    ses_failing_during_signup_leaves_a_usable_account,
    ses_failing_during_a_save_queues_its_email_for_the_sweep,
    a_throttle_at_any_store_call_is_a_503_and_leaves_nothing_half_written,
    a_write_whose_answer_is_lost_is_never_applied_twice,
    a_login_racing_a_failed_login_is_never_a_500,
    an_activation_racing_a_failed_login_still_activates,
    s3_notifications_twice_or_late_count_each_piece_once_and_keep_the_newest,
    a_sweep_killed_after_any_of_its_writes_finishes_next_run_without_duplicates,
);

/// One HTTP answer.
#[derive(Debug)]
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
}

impl Answer {
    fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or_default()
    }

    /// A 503 as the contract has it: problem+json, `service_unavailable`,
    /// and a `Retry-After` in seconds.
    fn assert_unavailable(&self, context: &str) {
        assert_eq!(
            self.status,
            StatusCode::SERVICE_UNAVAILABLE,
            "{context}: {self:?}"
        );
        assert_eq!(self.code(), "service_unavailable", "{context}");
        assert_eq!(
            self.headers["content-type"], "application/problem+json",
            "{context}"
        );
        let retry_after: u64 = self.headers["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .expect("Retry-After is a number of seconds");
        assert!(retry_after >= 1, "{context}");
        assert!(
            !self.body["detail"].as_str().unwrap().contains("injected"),
            "{context}: internals leaked: {self:?}"
        );
    }
}

/// A request, to send again after a fault.
#[derive(Debug, Clone)]
struct Call {
    method: Method,
    path: String,
    token: Option<String>,
    body: Option<Value>,
}

impl Call {
    fn new(method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> Self {
        Self {
            method,
            path: path.to_owned(),
            token: token.map(str::to_owned),
            body,
        }
    }
}

impl Fixture {
    async fn send(&self, call: &Call) -> Answer {
        send_to(&self.router, call).await
    }

    async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Answer {
        self.send(&Call::new(Method::POST, path, token, Some(body)))
            .await
    }

    fn email(&self, name: &str) -> String {
        format!("{name}@{}", self.domain)
    }

    fn sent_to(&self, email: &str) -> Vec<OutgoingEmail> {
        self.sent.sent_to(email)
    }

    /// The token of the last `<path>?token=` link sent to `email`.
    fn last_token(&self, email: &str, path: &str) -> String {
        self.sent.last_token(email, path)
    }

    async fn signup(&self, email: &str) -> Answer {
        self.post(
            "/auth/signup",
            None,
            json!({ "email": email, "password": PASSWORD }),
        )
        .await
    }

    async fn login(&self, email: &str) -> Answer {
        self.post(
            "/auth/login",
            None,
            json!({ "email": email, "password": PASSWORD }),
        )
        .await
    }

    /// Signs up, activates from the emailed link and logs in: the email and
    /// the bearer token.
    async fn candidate(&self, name: &str) -> (String, String) {
        let email = self.email(name);
        assert_eq!(self.signup(&email).await.status, StatusCode::ACCEPTED);
        let token = self.last_token(&email, "/activate");
        let r = self
            .post("/auth/activate", None, json!({ "token": token }))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{r:?}");
        let r = self.login(&email).await;
        assert_eq!(r.status, StatusCode::OK, "{r:?}");
        (email, r.body["token"].as_str().unwrap().to_owned())
    }

    /// A candidate registered to Bac Pro MELEC (pieces missing).
    async fn registered(&self, name: &str) -> (String, String) {
        let (email, token) = self.candidate(name).await;
        let r = self
            .send(&Call::new(
                Method::PUT,
                "/inscription",
                Some(&token),
                Some(inscription_body(0)),
            ))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{r:?}");
        (email, token)
    }

    /// Read straight from the real store, around the faults.
    async fn account_id(&self, email: &str) -> Option<String> {
        let guard = self
            .log
            .get(&keys::email_guard(&email.to_lowercase()))
            .await
            .unwrap()?;
        Some(guard.str_attr("account_id").unwrap().to_owned())
    }

    async fn record(&self, email: &str) -> InscriptionRecord {
        let id = self.account_id(email).await.expect("account");
        self.log
            .get(&keys::inscription(&id, "2022"))
            .await
            .unwrap()
            .expect("inscription")
            .to_value()
            .unwrap()
    }

    async fn partition(&self, email: &str, prefix: &str) -> Vec<Item> {
        let id = self.account_id(email).await.expect("account");
        let query = Query::table(
            keys::candidate_pk(&id),
            SortKeyCondition::BeginsWith(prefix.into()),
        )
        .limit(1000);
        self.log.query(&query).await.unwrap().items
    }

    async fn uploads(&self, email: &str) -> Vec<UploadRecord> {
        let mut uploads: Vec<UploadRecord> = self
            .partition(email, "UPLOAD#")
            .await
            .iter()
            .map(|i| i.to_value().unwrap())
            .collect();
        uploads.sort_by_key(|u| u.created_at);
        uploads
    }

    async fn history_actions(&self, email: &str) -> Vec<String> {
        let id = self.account_id(email).await.expect("account");
        inscription::history(&self.app, &id)
            .await
            .unwrap()
            .into_iter()
            .map(|h| h.action)
            .collect()
    }

    /// Asks for an upload URL for `kind` and stores `bytes` at its key, as
    /// the client's PUT would: the key (the notification is not sent).
    async fn upload(&self, email: &str, token: &str, kind: &str, bytes: &[u8]) -> String {
        let before: Vec<String> = self
            .uploads(email)
            .await
            .into_iter()
            .map(|u| u.upload_id)
            .collect();
        let r = self
            .post(
                &format!("/inscription/pieces/{kind}/uploads"),
                Some(token),
                json!({ "content_type": "application/pdf", "size_bytes": bytes.len() }),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{r:?}");
        let new: Vec<UploadRecord> = self
            .uploads(email)
            .await
            .into_iter()
            .filter(|u| !before.contains(&u.upload_id))
            .collect();
        assert_eq!(new.len(), 1, "one upload request");
        let key = new[0].object_key.clone();
        self.documents
            .inner()
            .put(&key, "application/pdf", Bytes::copy_from_slice(bytes))
            .await
            .unwrap();
        key
    }
}

/// A valid Bac Pro inscription at `version`: two pieces (a Belgian
/// candidate needs no JDC certificate).
fn inscription_body(version: u64) -> Value {
    let mut body = bac_pro_inscription(version);
    body["identity"]["nationality"] = json!("BE");
    body
}

// ---------------------------------------------------------------------------
// SES down during signup
// ---------------------------------------------------------------------------

async fn ses_failing_during_signup_leaves_a_usable_account(backend: Backend) {
    let fx = fixture(backend).await;
    let email = fx.email("sans-courriel");
    fx.mailer.fail_all(mail_unavailable);

    let r = fx.signup(&email).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{r:?}");
    assert!(fx.sent_to(&email).is_empty());
    assert!(fx.mailer.injected() >= 1, "SES was called and failed");
    // The account exists, with its password: it only waits for activation.
    let r = fx.login(&email).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::FORBIDDEN, "account_not_activated")
    );

    // SES throttles the first request for a new link: still a 202, no 500.
    fx.mailer.clear();
    fx.mailer.inject(Fault::always(mail_throttled).times(1));
    let resend = json!({ "email": email });
    let r = fx
        .post("/auth/resend-activation", None, resend.clone())
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{r:?}");
    settle_deliveries().await;
    assert!(fx.sent_to(&email).is_empty());

    // SES is back: the candidate asks again, gets the link and activates.
    let r = fx.post("/auth/resend-activation", None, resend).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{r:?}");
    settle_deliveries().await;
    let token = fx.last_token(&email, "/activate");
    let r = fx
        .post("/auth/activate", None, json!({ "token": token }))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    let r = fx.login(&email).await;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    let bearer = r.body["token"].as_str().unwrap();
    let me = fx
        .send(&Call::new(Method::GET, "/me", Some(bearer), None))
        .await;
    assert_eq!(me.body["status"], "active");
    // One account for the address all along (a token is `<account id>.<secret>`).
    assert_eq!(
        fx.account_id(&email).await.as_deref(),
        bearer.split('.').next()
    );
}

// ---------------------------------------------------------------------------
// SES down during a save
// ---------------------------------------------------------------------------

/// The save stands and its « Modification d'inscription » email is queued:
/// the next sweep sends it, once.
async fn ses_failing_during_a_save_queues_its_email_for_the_sweep(backend: Backend) {
    let fx = fixture(backend).await;
    let (email, token) = fx.registered("modifiee").await;
    let modification = |m: &OutgoingEmail| m.subject == "Modification d'inscription";
    let before = fx
        .sent_to(&email)
        .iter()
        .filter(|m| modification(m))
        .count();
    assert_eq!(before, 1, "the creation's email");

    fx.mailer.fail_all(mail_unavailable);
    let mut body = inscription_body(1);
    body["identity"]["phone"] = json!("+33491000002");
    let r = fx
        .send(&Call::new(
            Method::PUT,
            "/inscription",
            Some(&token),
            Some(body),
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    assert_eq!(r.body["version"], 2);
    assert!(fx.mailer.injected() >= 1, "SES was called and failed");
    assert_eq!(fx.record(&email).await.version, 2, "the save stands");

    fx.mailer.clear();
    for _ in 0..2 {
        sweep::run(&fx.app, Instant::now() + StdDuration::from_secs(120))
            .await
            .unwrap();
    }
    let sent: Vec<_> = fx
        .sent_to(&email)
        .into_iter()
        .filter(|m| modification(m))
        .collect();
    assert_eq!(sent.len(), 2, "the queued email, sent once: {sent:?}");
    assert!(sent[1].text.contains("version 2"), "{}", sent[1].text);
}

// ---------------------------------------------------------------------------
// DynamoDB throttling
// ---------------------------------------------------------------------------

/// A DynamoDB endpoint that answers every request with a throttling error,
/// counting them: the real SDK client, its real retries, our error mapping.
async fn always_throttling_dynamodb() -> (String, Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let requests = Arc::new(AtomicUsize::new(0));
    let counter = requests.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let counter = counter.clone();
            tokio::spawn(async move {
                // Reads one request (headers, then the declared body).
                let mut buffer = Vec::new();
                let mut chunk = [0u8; 4096];
                loop {
                    let Ok(n) = socket.read(&mut chunk).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    buffer.extend_from_slice(&chunk[..n]);
                    let text = String::from_utf8_lossy(&buffer).to_string();
                    if let Some(end) = text.find("\r\n\r\n") {
                        let length = text[..end]
                            .lines()
                            .find_map(|l| {
                                let (name, value) = l.split_once(':')?;
                                name.eq_ignore_ascii_case("content-length")
                                    .then(|| value.trim().parse::<usize>().ok())?
                            })
                            .unwrap_or(0);
                        if buffer.len() >= end + 4 + length {
                            break;
                        }
                    }
                }
                counter.fetch_add(1, Ordering::SeqCst);
                let body = r#"{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"The level of configured provisioned throughput for the table was exceeded."}"#;
                let answer = format!(
                    "HTTP/1.1 400 Bad Request\r\ncontent-type: application/x-amz-json-1.0\r\nx-amzn-errortype: ProvisionedThroughputExceededException\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(answer.as_bytes()).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    (endpoint, requests)
}

#[tokio::test]
async fn dynamodb_throttling_after_the_sdks_retries_is_a_503_with_retry_after() {
    use aws_sdk_dynamodb::config::retry::RetryConfig;
    use std::sync::atomic::Ordering;

    let (endpoint, requests) = always_throttling_dynamodb().await;
    // The SDK's defaults (standard retries, 3 attempts), with a short first
    // backoff so that the test does not sleep for seconds.
    let sdk = aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("eu-west-3"))
        .credentials_provider(aws_sdk_dynamodb::config::SharedCredentialsProvider::new(
            aws_sdk_dynamodb::config::Credentials::new("testing", "testing", None, None, "test"),
        ))
        .endpoint_url(endpoint)
        .retry_config(RetryConfig::standard().with_initial_backoff(StdDuration::from_millis(5)))
        .build();
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), "examreg");

    // The adapter: throttled, after the SDK tried three times.
    let error = store.get(&Key::new("P", "S")).await.unwrap_err();
    assert!(matches!(error, StoreError::Throttled(_)), "{error:?}");
    assert_eq!(requests.load(Ordering::SeqCst), 3, "the SDK's 3 attempts");

    // The routes: 503 with Retry-After, never 500.
    let dir = tempfile::tempdir().unwrap();
    let app = Arc::new(testkit::app(
        Config::default(),
        Arc::new(store),
        Arc::new(RecordingMailer::new(None)),
        Arc::new(FolderDocumentStore::new(
            dir.path().to_owned(),
            "http://127.0.0.1:3000".into(),
            vec![7; 32],
        )),
        Arc::new(FixedClock::new(at(BOTH_OPEN))),
    ));
    let router = examreg_common::http::router(app, &Function::ALL);
    let token = format!("{}.{}", "0".repeat(32), "s".repeat(43));
    let calls = [
        Call::new(
            Method::POST,
            "/auth/signup",
            None,
            Some(json!({ "email": "a@exemple.fr", "password": PASSWORD })),
        ),
        Call::new(
            Method::POST,
            "/auth/login",
            None,
            Some(json!({ "email": "a@exemple.fr", "password": PASSWORD })),
        ),
        Call::new(Method::GET, "/inscription", Some(&token), None),
        Call::new(
            Method::PUT,
            "/inscription",
            Some(&token),
            Some(inscription_body(0)),
        ),
    ];
    for call in &calls {
        let before = requests.load(Ordering::SeqCst);
        let fx_router = router.clone();
        let answer = send_to(&fx_router, call).await;
        answer.assert_unavailable(&format!("{} {}", call.method, call.path));
        assert_eq!(requests.load(Ordering::SeqCst) - before, 3, "{call:?}");
    }
}

async fn send_to(router: &Router, call: &Call) -> Answer {
    let mut request = Request::builder()
        .method(call.method.clone())
        .uri(&call.path)
        .header("content-type", "application/json");
    if let Some(token) = &call.token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let body = call
        .body
        .as_ref()
        .map(|b| Body::from(b.to_string()))
        .unwrap_or_default();
    let response = router
        .clone()
        .oneshot(request.body(body).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    Answer {
        status,
        headers,
        body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    }
}

/// Sends `call` again and again, the store throttling its 1st call, then its
/// 2nd, and so on, until it goes through untouched. Every throttled attempt
/// must answer 503 with `Retry-After` (never 500) and commit nothing but a
/// rate counter; the clock moves by `advance_between` after each (past the
/// hourly limits of the rate-limited forms). Answers the final attempt.
async fn throttle_each_store_call(
    fx: &Fixture,
    call: &Call,
    advance_between: Option<Duration>,
) -> Answer {
    for k in 0.. {
        let mark = fx.log.len();
        let fault = fx.store.inject(Fault::always(throttled).skip(k).times(1));
        let answer = fx.send(call).await;
        fx.store.clear();
        // A resent activation link is delivered after the answer: let it go
        // (the faults cleared) before its token is read.
        settle_deliveries().await;
        let committed = fx.log.since(mark);
        let context = format!(
            "{} {} with store call {} throttled",
            call.method,
            call.path,
            k + 1
        );
        if fault.hits() == 0 {
            assert!(answer.status.is_success(), "{context}: {answer:?}");
            return answer;
        }
        answer.assert_unavailable(&context);
        // Nothing half-written: no transaction committed, but the per-address
        // rate counters and login guards (what an attempt costs, by design:
        // an attempt cut short stops counting after a few seconds).
        for keys in &committed {
            assert!(
                keys.iter()
                    .all(|k| k.pk.starts_with("RATE#") || k.pk.starts_with("LOGIN#")),
                "{context}: committed {keys:?}"
            );
        }
        if let Some(by) = advance_between {
            fx.clock.set(fx.clock.now() + by);
        }
    }
    unreachable!()
}

async fn a_throttle_at_any_store_call_is_a_503_and_leaves_nothing_half_written(backend: Backend) {
    let fx = fixture(backend).await;
    let hour = Some(Duration::minutes(61));

    // Signup, then its activation link, then the link again, activation, login.
    let email = fx.email("lente");
    let signup = Call::new(
        Method::POST,
        "/auth/signup",
        None,
        Some(json!({ "email": email, "password": PASSWORD })),
    );
    throttle_each_store_call(&fx, &signup, None).await;
    assert_eq!(fx.sent_to(&email).len(), 1, "one activation email");
    let resend = Call::new(
        Method::POST,
        "/auth/resend-activation",
        None,
        Some(json!({ "email": email })),
    );
    throttle_each_store_call(&fx, &resend, hour).await;
    let activation = fx.last_token(&email, "/activate");
    let activate = Call::new(
        Method::POST,
        "/auth/activate",
        None,
        Some(json!({ "token": activation })),
    );
    let r = throttle_each_store_call(&fx, &activate, None).await;
    assert_eq!(r.body["status"], "active");
    let login = Call::new(
        Method::POST,
        "/auth/login",
        None,
        Some(json!({ "email": email, "password": PASSWORD })),
    );
    let r = throttle_each_store_call(&fx, &login, None).await;
    let token = r.body["token"].as_str().unwrap().to_owned();
    assert_eq!(
        fx.partition(&email, "SESSION#").await.len(),
        1,
        "one session, however many attempts"
    );

    let me = Call::new(Method::GET, "/me", Some(&token), None);
    throttle_each_store_call(&fx, &me, None).await;

    // The inscription: created once, then changed once.
    let create = Call::new(
        Method::PUT,
        "/inscription",
        Some(&token),
        Some(inscription_body(0)),
    );
    let r = throttle_each_store_call(&fx, &create, None).await;
    assert_eq!(
        (r.status, r.body["version"].clone()),
        (StatusCode::CREATED, json!(1))
    );
    let mut changed = inscription_body(1);
    changed["identity"]["phone"] = json!("+33491000001");
    let update = Call::new(Method::PUT, "/inscription", Some(&token), Some(changed));
    let r = throttle_each_store_call(&fx, &update, None).await;
    assert_eq!(
        (r.status, r.body["version"].clone()),
        (StatusCode::OK, json!(2))
    );
    for path in [
        "/inscription",
        "/inscription/pieces",
        "/inscription/confirmation.pdf",
    ] {
        let call = Call::new(Method::GET, path, Some(&token), None);
        throttle_each_store_call(&fx, &call, None).await;
    }

    // An upload URL: one upload request item, however many attempts.
    let ask = Call::new(
        Method::POST,
        "/inscription/pieces/identity_document/uploads",
        Some(&token),
        Some(json!({ "content_type": "application/pdf", "size_bytes": valid_pdf().len() })),
    );
    throttle_each_store_call(&fx, &ask, None).await;
    assert_eq!(fx.uploads(&email).await.len(), 1);
    // S3 cannot presign (or sign) for a moment: 503 too, and nothing written.
    fx.documents
        .fail_next(DocumentsMethod::PresignPut, 1, documents_unavailable);
    fx.send(&ask).await.assert_unavailable("presign failed");
    assert_eq!(fx.uploads(&email).await.len(), 1);

    // Password reset, then its confirmation (which ends every session).
    let reset = Call::new(
        Method::POST,
        "/auth/password-reset",
        None,
        Some(json!({ "email": email })),
    );
    throttle_each_store_call(&fx, &reset, hour).await;
    // (Hours went by between those attempts: 30 idle minutes ended the
    // session, so the logout is tried on a fresh one.)
    let r = fx
        .post(
            "/auth/login",
            None,
            json!({ "email": email, "password": PASSWORD }),
        )
        .await;
    let token = r.body["token"].as_str().unwrap().to_owned();
    let logout = Call::new(Method::POST, "/auth/logout", Some(&token), None);
    let r = throttle_each_store_call(&fx, &logout, None).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let reset_token = fx.last_token(&email, "/reset-password");
    let confirm = Call::new(
        Method::POST,
        "/auth/password-reset/confirm",
        None,
        Some(json!({ "token": reset_token, "password": "trombone-girafe-parapluie-42" })),
    );
    let r = throttle_each_store_call(&fx, &confirm, None).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);

    // Nothing accepted is lost: every 2xx above is there, exactly once.
    let record = fx.record(&email).await;
    assert_eq!((record.version, record.revision), (2, 2));
    assert_eq!(record.data.identity.phone, "+33491000001");
    assert_eq!(fx.history_actions(&email).await, ["created", "updated"]);
    assert_eq!(
        fx.sent_to(&email)
            .iter()
            .filter(|m| m.subject == "Modification d'inscription")
            .count(),
        2,
        "one summary per save"
    );
    let r = fx
        .post(
            "/auth/login",
            None,
            json!({ "email": email, "password": "trombone-girafe-parapluie-42" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "the new password is in force");
}

// ---------------------------------------------------------------------------
// A login racing a failed login
// ---------------------------------------------------------------------------

/// Found by `infra/scripts/fuzz-api.sh`: a login used to clear the failed
/// attempts on the account with a write conditional on the version it read;
/// a failed login recording its failure in between made that write fail,
/// and the right password got a 500. (Attempts now live on the address's
/// login guard, settled before the session is opened.)
async fn a_login_racing_a_failed_login_is_never_a_500(backend: Backend) {
    let fx = fixture(backend).await;
    let (email, _) = fx.candidate("course").await;
    let wrong = json!({ "email": email, "password": "pas-le-bon-mot-de-passe" });
    let r = fx.post("/auth/login", None, wrong.clone()).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);

    // The right password, held between its reads and its write...
    let hold = fx.store.inject(
        Fault::on(
            |c: &StoreCall| c.is_write() && c.touches_sort_key("SESSION#"),
            throttled,
        )
        .hold()
        .times(1),
    );
    let router = fx.router.clone();
    let right = Call::new(
        Method::POST,
        "/auth/login",
        None,
        Some(json!({ "email": email, "password": PASSWORD })),
    );
    let login = tokio::spawn(async move { send_to(&router, &right).await });
    hold.stalled().await;
    // ...while a wrong one records its failure.
    let r = fx.post("/auth/login", None, wrong).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    hold.release();
    let r = login.await.unwrap();
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    let token = r.body["token"].as_str().unwrap();
    let me = fx
        .send(&Call::new(Method::GET, "/me", Some(token), None))
        .await;
    assert_eq!(me.status, StatusCode::OK);
    // The login that succeeded cleared the failure before it; the one
    // after it counts, on the address's login guard (never on the account).
    let guard = fx
        .log
        .get(&keys::login_guard(&email.to_lowercase()))
        .await
        .unwrap()
        .expect("the failure after the success is counted");
    let failures = guard.attrs["failures"].as_array().unwrap();
    assert_eq!(failures.len(), 1, "{guard:?}");
}

/// The activation reads the pending account, then writes it conditional on
/// the version read; a failed login counted in between used to make it
/// answer an undocumented 409. It reads again and activates.
async fn an_activation_racing_a_failed_login_still_activates(backend: Backend) {
    let fx = fixture(backend).await;
    let email = fx.email("activation-course");
    assert_eq!(fx.signup(&email).await.status, StatusCode::ACCEPTED);
    let link = fx.last_token(&email, "/activate");

    let hold = fx.store.inject(
        Fault::on(
            |c: &StoreCall| c.is_write() && c.touches_sort_key("ACCOUNT"),
            throttled,
        )
        .hold()
        .times(1),
    );
    let router = fx.router.clone();
    let activate = Call::new(
        Method::POST,
        "/auth/activate",
        None,
        Some(json!({ "token": link })),
    );
    let activation = tokio::spawn(async move { send_to(&router, &activate).await });
    hold.stalled().await;
    let wrong = json!({ "email": email, "password": "pas-le-bon-mot-de-passe" });
    let r = fx.post("/auth/login", None, wrong).await;
    assert!(r.status.is_client_error(), "{r:?}");
    let id = fx.account_id(&email).await.unwrap();
    let version = |item: &Item| item.attrs.get("version").cloned();
    let before = fx.log.get(&keys::account(&id)).await.unwrap().unwrap();
    hold.release();

    let r = activation.await.unwrap();
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    assert_eq!(r.body["status"], "active");
    let after = fx.log.get(&keys::account(&id)).await.unwrap().unwrap();
    assert_ne!(version(&before), version(&after), "the account was written");
    assert_eq!(fx.login(&email).await.status, StatusCode::OK);
}

// ---------------------------------------------------------------------------
// A write whose answer is lost
// ---------------------------------------------------------------------------

async fn a_write_whose_answer_is_lost_is_never_applied_twice(backend: Backend) {
    let fx = fixture(backend).await;
    let lost = || {
        Fault::on(|c: &StoreCall| c.is_write(), throttled)
            .fail_after()
            .times(1)
    };

    // A save committed, its answer lost: 503. The candidate's retry with the
    // same version is refused as a conflict (never a second save), and the
    // inscription they reload is the one they sent.
    let (email, token) = fx.registered("perdue").await;
    let mut changed = inscription_body(1);
    changed["identity"]["address"]["city"] = json!("Aix-en-Provence");
    let save = Call::new(Method::PUT, "/inscription", Some(&token), Some(changed));
    fx.store.inject(lost());
    fx.send(&save).await.assert_unavailable("lost save");
    let retry = fx.send(&save).await;
    assert_eq!(
        (retry.status, retry.code()),
        (StatusCode::CONFLICT, "version_conflict")
    );
    let r = fx
        .send(&Call::new(Method::GET, "/inscription", Some(&token), None))
        .await;
    assert_eq!(r.body["version"], 2);
    assert_eq!(r.body["identity"]["address"]["city"], "Aix-en-Provence");
    assert_eq!(fx.history_actions(&email).await, ["created", "updated"]);

    // A signup committed, its answer lost: the account exists once, and the
    // candidate gets a link by asking again.
    let email = fx.email("inscrite-sans-le-savoir");
    fx.store.inject(lost());
    fx.signup(&email).await.assert_unavailable("lost signup");
    let id = fx.account_id(&email).await.expect("the account was made");
    assert_eq!(fx.signup(&email).await.status, StatusCode::ACCEPTED);
    assert_eq!(fx.account_id(&email).await.as_deref(), Some(id.as_str()));
    let r = fx
        .post("/auth/resend-activation", None, json!({ "email": email }))
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    settle_deliveries().await;
    let link = fx.last_token(&email, "/activate");
    let r = fx
        .post("/auth/activate", None, json!({ "token": link }))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
}

// ---------------------------------------------------------------------------
// S3 notifications: twice, at once, late
// ---------------------------------------------------------------------------

async fn s3_notifications_twice_or_late_count_each_piece_once_and_keep_the_newest(
    backend: Backend,
) {
    let fx = fixture(backend).await;
    let (email, token) = fx.registered("notifiee").await;

    // The same notification delivered twice at once, then a third time.
    let key = fx
        .upload(&email, &token, "identity_document", valid_pdf())
        .await;
    let (a, b) = tokio::join!(
        check_stored_object(&fx.app, &key),
        check_stored_object(&fx.app, &key)
    );
    let mut outcomes = [a.unwrap(), b.unwrap()];
    outcomes.sort_by_key(|o| matches!(o, CheckOutcome::AlreadyProcessed));
    assert!(
        matches!(
            outcomes[0],
            CheckOutcome::Received {
                kind: PieceKind::IdentityDocument,
                ..
            }
        ),
        "{outcomes:?}"
    );
    assert_eq!(outcomes[1], CheckOutcome::AlreadyProcessed);
    assert_eq!(
        check_stored_object(&fx.app, &key).await.unwrap(),
        CheckOutcome::AlreadyProcessed
    );
    let received = |r: &InscriptionRecord| {
        r.pieces[&PieceKind::IdentityDocument]
            .object_key
            .clone()
            .filter(|_| r.pieces[&PieceKind::IdentityDocument].status == PieceStatus::Received)
    };
    assert_eq!(received(&fx.record(&email).await), Some(key.clone()));
    let count = |actions: Vec<String>| actions.iter().filter(|a| *a == "piece_received").count();
    assert_eq!(count(fx.history_actions(&email).await), 1);

    // The check meets a throttled store, then S3 failing: the notification
    // is retried (the Lambda fails), and counts once when it goes through.
    let second = fx
        .upload(&email, &token, "identity_document", valid_pdf_v2())
        .await;
    fx.store.fail_next(StoreMethod::Transact, 1, throttled);
    assert!(check_stored_object(&fx.app, &second).await.is_err());
    fx.documents
        .fail_next(DocumentsMethod::Get, 1, documents_unavailable);
    assert!(check_stored_object(&fx.app, &second).await.is_err());
    // Committed, but the answer was lost: the retry finds it done.
    fx.store.inject(
        Fault::on(|c: &StoreCall| c.is_write(), throttled)
            .fail_after()
            .times(1),
    );
    assert!(check_stored_object(&fx.app, &second).await.is_err());
    assert_eq!(
        check_stored_object(&fx.app, &second).await.unwrap(),
        CheckOutcome::AlreadyProcessed
    );
    assert_eq!(received(&fx.record(&email).await), Some(second.clone()));
    assert_eq!(count(fx.history_actions(&email).await), 2);
    assert!(fx.documents.inner().get(&second).await.unwrap().is_some());

    // Late: an older upload's notification arrives after a newer upload of
    // the same piece was counted. Files accumulate (a piece holds up to 5):
    // the older file is added beside the newer one, which stays counted and
    // stored.
    let older = fx
        .upload(&email, &token, "identity_document", valid_pdf())
        .await;
    fx.clock.set(fx.clock.now() + Duration::minutes(1));
    let newer = fx
        .upload(&email, &token, "identity_document", valid_pdf_v2())
        .await;
    assert!(matches!(
        check_stored_object(&fx.app, &newer).await.unwrap(),
        CheckOutcome::Received { .. }
    ));
    fx.clock.set(fx.clock.now() + Duration::minutes(2));
    let late = check_stored_object(&fx.app, &older).await.unwrap();
    assert!(matches!(late, CheckOutcome::Received { .. }), "{late:?}");
    let files = |r: &InscriptionRecord| -> Vec<String> {
        r.pieces[&PieceKind::IdentityDocument]
            .current_files()
            .into_iter()
            .map(|f| f.object_key)
            .collect()
    };
    let counted = files(&fx.record(&email).await);
    assert!(
        counted.contains(&newer) && counted.contains(&older),
        "{counted:?}"
    );
    assert!(fx.documents.inner().get(&newer).await.unwrap().is_some());
    // Delivered again, later still: nothing changes.
    let again = check_stored_object(&fx.app, &older).await.unwrap();
    assert!(!matches!(again, CheckOutcome::Received { .. }), "{again:?}");
    assert_eq!(files(&fx.record(&email).await), counted);
}

// ---------------------------------------------------------------------------
// The sweep killed mid-run
// ---------------------------------------------------------------------------

/// Runs a sweep in its own task, killed at the first call `fault` parks;
/// answers whether it was killed (`false`: it ran to its end untouched).
async fn sweep_killed_at(fx: &Fixture, stall: FaultHandle) -> bool {
    let app = fx.app.clone();
    let mut run = tokio::spawn(async move {
        sweep::run(&app, Instant::now() + StdDuration::from_secs(120)).await
    });
    tokio::select! {
        _ = stall.stalled() => {
            run.abort();
            assert!(run.await.unwrap_err().is_cancelled());
            true
        }
        finished = &mut run => {
            finished.unwrap().unwrap();
            false
        }
    }
}

async fn a_sweep_killed_after_any_of_its_writes_finishes_next_run_without_duplicates(
    backend: Backend,
) {
    let fx = fixture(backend).await;
    let mut everyone = Vec::new();
    // Kill point k: after the k-th write of the run committed (a
    // cancellation with its queued mail, a mail claimed, a mail dequeued),
    // or while SES holds the k-th email (sent or not, we cannot know).
    type Kill = Box<dyn Fn(&Fixture) -> FaultHandle>;
    let mut kill_points: Vec<(String, Kill)> = Vec::new();
    // (Two cancellations, then for each mail a claim and a dequeue: 6 writes.)
    for k in 0..6 {
        kill_points.push((
            format!("after write {}", k + 1),
            Box::new(move |fx: &Fixture| {
                fx.store.inject(
                    Fault::on(|c: &StoreCall| c.is_write(), throttled)
                        .skip(k)
                        .times(1)
                        .stall_after(),
                )
            }),
        ));
    }
    for k in 0..2 {
        kill_points.push((
            format!("before SES accepts email {}", k + 1),
            Box::new(move |fx: &Fixture| {
                fx.mailer
                    .inject(Fault::always(mail_throttled).skip(k).times(1).stall())
            }),
        ));
    }

    let mut killed_runs = 0;
    for (round, (point, kill)) in kill_points.iter().enumerate() {
        // Two candidates whose dossier stays incomplete...
        fx.clock.set(at(BOTH_OPEN));
        let mut batch = Vec::new();
        for i in 0..2 {
            let (email, _) = fx.registered(&format!("r{round}c{i}")).await;
            batch.push(email);
        }
        // ...a sweep after the deadline, killed at `point`...
        fx.clock
            .set(at(BAC_PRO_CLOSE) + Duration::minutes(10 * round as i64 + 1));
        let stall = kill(&fx);
        let killed = sweep_killed_at(&fx, stall).await;
        fx.store.clear();
        fx.mailer.clear();
        killed_runs += usize::from(killed);
        // ...and the next scheduled runs, once claimed mails' leases lapsed.
        fx.clock.set(fx.clock.now() + LEASE + Duration::minutes(1));
        let next = sweep::run(&fx.app, Instant::now() + StdDuration::from_secs(120))
            .await
            .unwrap();
        assert!(next.finished, "{point}: {next:?}");
        let idle = sweep::run(&fx.app, Instant::now() + StdDuration::from_secs(120))
            .await
            .unwrap();
        assert_eq!(idle.changed(), 0, "{point}: {idle:?}");
        for email in &batch {
            let record = fx.record(email).await;
            assert_eq!(record.status, InscriptionStatus::Cancelled, "{point}");
            // The activation link, the save's summary, and one cancellation.
            let mails = fx.sent_to(email);
            let cancellations = mails
                .iter()
                .filter(|m| m.subject.contains("annulée"))
                .count();
            assert_eq!(
                cancellations,
                1,
                "{point}: {email}: {:#?}",
                subjects(&mails)
            );
            assert_eq!(mails.len(), 3, "{point}: {email}: {:#?}", subjects(&mails));
            let actions = fx.history_actions(email).await;
            assert_eq!(
                actions.iter().filter(|a| *a == "cancelled").count(),
                1,
                "{point}: {email}"
            );
        }
        everyone.extend(batch);
    }
    assert_eq!(
        killed_runs,
        kill_points.len(),
        "every kill point was reached"
    );
    // And nothing is left in the queue.
    let queue = fx
        .log
        .query(&Query::index(
            examreg_common::ports::Index::Gsi1,
            keys::MAIL_QUEUE,
            SortKeyCondition::Any,
        ))
        .await
        .unwrap();
    assert!(queue.items.is_empty(), "{:?}", queue.items);
    assert_eq!(everyone.len(), 2 * kill_points.len());
}

fn subjects(mails: &[OutgoingEmail]) -> Vec<&str> {
    mails.iter().map(|m| m.subject.as_str()).collect()
}
