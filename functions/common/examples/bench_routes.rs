//! Every route's in-process handler time (p50/p99) and its round trips to the
//! store, the mailer and the document store, on both backends.
//!
//! ```text
//! cargo run --release -p examreg-common --example bench_routes                 # both, N = 200
//! cargo run --release -p examreg-common --example bench_routes -- sqlite 500   # SQLite only, N = 500
//! cargo run --release -p examreg-common --example bench_routes -- moto         # DynamoDB+S3+SES on moto
//! ```
//!
//! Requests go through the very router the Lambdas serve
//! (`http::router(app, &Function::ALL)`), called in-process with
//! `tower::ServiceExt::oneshot`, one at a time; the time is from the call to
//! the last byte of the body. No tracing subscriber is installed, so log
//! lines cost nothing here. The store is wrapped in a `CountingStore` (a
//! store call is one round trip), the mailer and the document store in the
//! counting wrappers below.
//!
//! The journey runs N candidates through every route in order: signup,
//! resend, activate, login, `/me`, create and update the inscription, read
//! it, its pieces and its PDF, request two uploads and check the stored
//! files, logout, password reset and its confirmation. Signup, login and
//! password-reset confirmation hash or verify a password with argon2id: just
//! before each of their requests, one hash (or verification) is timed on its
//! own the way the route runs it, and the "less hashing" column is the median
//! of the paired differences (the argon2 share is the rest).
//!
//! On moto every round trip is an HTTP call to a Python emulator on
//! loopback: its latency, not examreg's code, makes most of the time there.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use async_trait::async_trait;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use axum::Router;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

use examreg_common::adapters::clock::SimulatedClock;
use examreg_common::adapters::counting::{CountingStore, StoreCounts};
use examreg_common::adapters::dynamodb::DynamoStore;
use examreg_common::adapters::folder::FolderDocumentStore;
use examreg_common::adapters::outbox::OutboxMailer;
use examreg_common::adapters::s3::S3DocumentStore;
use examreg_common::adapters::ses::SesMailer;
use examreg_common::adapters::sqlite::SqliteStore;
use examreg_common::app::{App, AppBuilder, Config, Ports};
use examreg_common::config::Settings;
use examreg_common::domain::account::Password;
use examreg_common::http::routes::Function;
use examreg_common::ports::{
    DocumentStore, DocumentStoreError, MailError, Mailer, OutgoingEmail, PresignedUpload, Store,
    StoredObject,
};
use examreg_common::security;
use examreg_common::services::upload_check::{check_stored_object, CheckOutcome};

const PASSWORD: &str = "cheval-agrafe-batterie-correcte";
const NEW_PASSWORD: &str = "autre-cheval-agrafe-pile-solide";
/// CAP registration (19 Nov - 8 Dec 2021) and documents (1 - 22 Dec) both open.
const NOW: &str = "2021-12-02T10:00:00+01:00";
const PUBLIC_URL: &str = "http://127.0.0.1:3000";

// ---------------------------------------------------------------------------
// Counting wrappers for the mailer and the document store
// ---------------------------------------------------------------------------

/// Counts the emails sent (one round trip each to SES) and keeps the last
/// one, from which the journey reads its links.
struct CountingMailer {
    inner: Arc<dyn Mailer>,
    sent: AtomicU64,
    last: Mutex<Option<OutgoingEmail>>,
}

#[async_trait]
impl Mailer for CountingMailer {
    async fn send(&self, email: &OutgoingEmail) -> Result<(), MailError> {
        self.sent.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut last) = self.last.lock() {
            *last = Some(email.clone());
        }
        self.inner.send(email).await
    }
}

/// Counts the document store's calls: `get`/`put`/`delete` are round trips
/// to S3; presigning is computed locally (counted apart).
struct CountingDocuments {
    inner: Arc<dyn DocumentStore>,
    round_trips: AtomicU64,
    presigned: AtomicU64,
}

#[async_trait]
impl DocumentStore for CountingDocuments {
    async fn presign_put(
        &self,
        key: &str,
        content_type: &str,
        content_length: u64,
        now: DateTime<Utc>,
        expires_in: Duration,
    ) -> Result<PresignedUpload, DocumentStoreError> {
        self.presigned.fetch_add(1, Ordering::Relaxed);
        self.inner
            .presign_put(key, content_type, content_length, now, expires_in)
            .await
    }

    async fn presign_get(
        &self,
        key: &str,
        now: DateTime<Utc>,
        expires_in: Duration,
    ) -> Result<String, DocumentStoreError> {
        self.presigned.fetch_add(1, Ordering::Relaxed);
        self.inner.presign_get(key, now, expires_in).await
    }

    async fn put(
        &self,
        key: &str,
        content_type: &str,
        body: Bytes,
    ) -> Result<(), DocumentStoreError> {
        self.round_trips.fetch_add(1, Ordering::Relaxed);
        self.inner.put(key, content_type, body).await
    }

    async fn get(&self, key: &str) -> Result<Option<Bytes>, DocumentStoreError> {
        self.round_trips.fetch_add(1, Ordering::Relaxed);
        self.inner.get(key).await
    }

    async fn head(&self, key: &str) -> Result<Option<StoredObject>, DocumentStoreError> {
        self.round_trips.fetch_add(1, Ordering::Relaxed);
        self.inner.head(key).await
    }

    async fn delete(&self, key: &str) -> Result<(), DocumentStoreError> {
        self.round_trips.fetch_add(1, Ordering::Relaxed);
        self.inner.delete(key).await
    }
}

// ---------------------------------------------------------------------------
// One backend's bench
// ---------------------------------------------------------------------------

struct Bench {
    label: &'static str,
    app: Arc<App>,
    router: Router,
    store: Arc<CountingStore>,
    mailer: Arc<CountingMailer>,
    documents: Arc<CountingDocuments>,
    /// The document store itself, for the candidate's own PUT of a file.
    raw_documents: Arc<dyn DocumentStore>,
    rows: Vec<Row>,
}

/// What one request cost.
#[derive(Clone, Copy, Default)]
struct Cost {
    elapsed: Duration,
    reads: u64,
    writes: u64,
    items: u64,
    mails: u64,
    s3: u64,
    presigned: u64,
}

struct Row {
    route: String,
    statuses: BTreeMap<u16, usize>,
    costs: Vec<Cost>,
    /// For routes that hash or verify a password: the time of one hash (or
    /// verification) measured just before each request, paired with it.
    hashing: Vec<Duration>,
    note: String,
}

struct Answer {
    status: StatusCode,
    body: Bytes,
    cost: Cost,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

fn at(text: &str) -> anyhow::Result<DateTime<Utc>> {
    Ok(DateTime::parse_from_rfc3339(text)?.with_timezone(&Utc))
}

fn email(backend: &str, i: usize) -> String {
    format!("bench{i}.{backend}@exemple.fr")
}

fn inscription(version: u64, i: usize, line1: &str) -> String {
    json!({
        "diploma": "CAP",
        "specialty": "CUISINE",
        "identity": {
            "last_name": format!("Lefèvre-N'Diaye{}", char::from(b'a' + (i % 26) as u8)),
            "first_names": "Zoé Anaïs",
            "birth_date": "1995-03-04",
            "birth_place": "Marseille",
            "nationality": "BE",
            "address": { "line1": line1, "postal_code": "13001", "city": "Marseille", "country": "FR" },
            "phone": "0612345678"
        },
        "disability": { "declared": false, "existing_accommodation": false },
        "acquis": [],
        "version": version
    })
    .to_string()
}

/// The token in the first link of `text` that carries one.
fn link_token(text: &str) -> Option<String> {
    text.split("token=")
        .nth(1)?
        .split(|c: char| c.is_whitespace() || c == '"' || c == '<' || c == '&')
        .next()
        .map(str::to_owned)
}

/// The object key in a presigned upload URL (S3 path style or the local
/// runner's `/_local/blobs/...`).
fn object_key(url: &str) -> Option<String> {
    let start = url.find("candidates/")?;
    Some(url[start..].split('?').next()?.to_owned())
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms < 1.0 {
        format!("{ms:.3}")
    } else if ms < 10.0 {
        format!("{ms:.2}")
    } else {
        format!("{ms:.1}")
    }
}

/// "2" when every request made the same number, else "mean (min-max)".
fn spread(values: impl Iterator<Item = u64> + Clone) -> String {
    let n = values.clone().count().max(1) as f64;
    let min = values.clone().min().unwrap_or(0);
    let max = values.clone().max().unwrap_or(0);
    if min == max {
        min.to_string()
    } else {
        format!("{:.2} ({min}–{max})", values.sum::<u64>() as f64 / n)
    }
}

impl Bench {
    fn new(
        label: &'static str,
        store: Arc<dyn Store>,
        mailer: Arc<dyn Mailer>,
        documents: Arc<dyn DocumentStore>,
    ) -> anyhow::Result<Self> {
        let store = Arc::new(CountingStore::new(store));
        let mailer = Arc::new(CountingMailer {
            inner: mailer,
            sent: AtomicU64::new(0),
            last: Mutex::new(None),
        });
        let counted_documents = Arc::new(CountingDocuments {
            inner: documents.clone(),
            round_trips: AtomicU64::new(0),
            presigned: AtomicU64::new(0),
        });
        let app = AppBuilder::new(&Settings::default())?
            .config(Config {
                public_url: PUBLIC_URL.into(),
                secure_cookies: false,
                ..Config::default()
            })
            .build(Ports {
                store: store.clone(),
                mailer: mailer.clone(),
                documents: counted_documents.clone(),
                clock: Arc::new(SimulatedClock::starting_at(at(NOW)?)),
            });
        let app = Arc::new(app);
        let router = examreg_common::http::router(app.clone(), &Function::ALL);
        Ok(Self {
            label,
            app,
            router,
            store,
            mailer,
            documents: counted_documents,
            raw_documents: documents,
            rows: Vec::new(),
        })
    }

    fn snapshot(&self) -> (StoreCounts, u64, u64, u64) {
        (
            self.store.counts(),
            self.mailer.sent.load(Ordering::Relaxed),
            self.documents.round_trips.load(Ordering::Relaxed),
            self.documents.presigned.load(Ordering::Relaxed),
        )
    }

    fn cost_since(&self, before: (StoreCounts, u64, u64, u64), elapsed: Duration) -> Cost {
        let (store, mails, s3, presigned) = self.snapshot();
        let store = store.since(&before.0);
        Cost {
            elapsed,
            reads: store.read_calls(),
            writes: store.transact.calls,
            items: store.items_read() + store.transact.items,
            mails: mails - before.1,
            s3: s3 - before.2,
            presigned: presigned - before.3,
        }
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<String>,
    ) -> anyhow::Result<Answer> {
        let mut request = Request::builder().method(method).uri(path);
        if body.is_some() {
            request = request.header("content-type", "application/json");
        }
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let request = request.body(body.map(Body::from).unwrap_or_default())?;
        let before = self.snapshot();
        let started = Instant::now();
        let response = self.router.clone().oneshot(request).await?;
        let status = response.status();
        let body = response.into_body().collect().await?.to_bytes();
        let elapsed = started.elapsed();
        Ok(Answer {
            status,
            body,
            cost: self.cost_since(before, elapsed),
        })
    }

    fn row(&mut self, route: &str) -> &mut Row {
        if let Some(i) = self.rows.iter().position(|r| r.route == route) {
            return &mut self.rows[i];
        }
        self.rows.push(Row {
            route: route.to_owned(),
            statuses: BTreeMap::new(),
            costs: Vec::new(),
            hashing: Vec::new(),
            note: String::new(),
        });
        self.rows.last_mut().expect("just pushed")
    }

    fn record(&mut self, route: &str, answer: &Answer) {
        let row = self.row(route);
        *row.statuses.entry(answer.status.as_u16()).or_default() += 1;
        row.costs.push(answer.cost);
    }

    /// Calls `path` and records it under `route`; fails unless `expected`.
    async fn timed(
        &mut self,
        route: &str,
        (method, path): (Method, &str),
        token: Option<&str>,
        body: Option<String>,
        expected: u16,
    ) -> anyhow::Result<Answer> {
        let answer = self.call(method, path, token, body).await?;
        self.record(route, &answer);
        if answer.status.as_u16() != expected {
            bail!(
                "{}: {route} answered {} (expected {expected}): {}",
                self.label,
                answer.status,
                String::from_utf8_lossy(&answer.body)
            );
        }
        Ok(answer)
    }

    fn last_mail_token(&self) -> anyhow::Result<String> {
        let last = self
            .mailer
            .last
            .lock()
            .map_err(|_| anyhow::anyhow!("mailer lock poisoned"))?
            .clone()
            .context("no email sent")?;
        link_token(&last.text).context("no token link in the last email")
    }

    /// The whole journey, N candidates through every route.
    async fn run(&mut self, n: usize) -> anyhow::Result<()> {
        let backend = self.label.split(' ').next().unwrap_or("x").to_lowercase();
        for path in ["/health", "/calendar", "/catalogue", "/openapi.json", "/"] {
            for _ in 0..n {
                self.timed(&format!("GET {path}"), (Method::GET, path), None, None, 200)
                    .await?;
            }
        }

        let credentials =
            |i: usize| json!({ "email": email(&backend, i), "password": PASSWORD }).to_string();
        let mut tokens = Vec::with_capacity(n);
        for i in 0..n {
            let hashing = hash_once().await?;
            self.row("POST /auth/signup").hashing.push(hashing);
            self.timed(
                "POST /auth/signup",
                (Method::POST, "/auth/signup"),
                None,
                Some(credentials(i)),
                202,
            )
            .await?;
        }
        for i in 0..n {
            let body = json!({ "email": email(&backend, i) }).to_string();
            self.timed(
                "POST /auth/resend-activation",
                (Method::POST, "/auth/resend-activation"),
                None,
                Some(body),
                202,
            )
            .await?;
            // Its link is sent after the answer (out of the timing).
            examreg_common::services::mailqueue::settle_deliveries().await;
            tokens.push(self.last_mail_token()?);
        }
        for token in &tokens {
            let body = json!({ "token": token }).to_string();
            self.timed(
                "POST /auth/activate",
                (Method::POST, "/auth/activate"),
                None,
                Some(body),
                200,
            )
            .await?;
        }
        tokens.clear();
        let stored = hashed()?;
        for i in 0..n {
            let verifying = verify_once(&stored).await?;
            self.row("POST /auth/login").hashing.push(verifying);
            let answer = self
                .timed(
                    "POST /auth/login",
                    (Method::POST, "/auth/login"),
                    None,
                    Some(credentials(i)),
                    200,
                )
                .await?;
            tokens.push(
                answer.json()["token"]
                    .as_str()
                    .context("login answered no token")?
                    .to_owned(),
            );
        }

        for token in &tokens {
            self.timed("GET /me", (Method::GET, "/me"), Some(token), None, 200)
                .await?;
        }
        let put = (Method::PUT, "/inscription");
        for (i, token) in tokens.iter().enumerate() {
            let body = inscription(0, i, "1 rue Paradis");
            self.timed(
                "PUT /inscription (create, v0)",
                put.clone(),
                Some(token),
                Some(body),
                201,
            )
            .await?;
        }
        for (i, token) in tokens.iter().enumerate() {
            let body = inscription(1, i, "2 rue Paradis");
            self.timed(
                "PUT /inscription (update)",
                put.clone(),
                Some(token),
                Some(body),
                200,
            )
            .await?;
        }
        for (i, token) in tokens.iter().enumerate() {
            let body = inscription(1, i, "3 rue Paradis");
            self.timed(
                "PUT /inscription (stale version: 409)",
                put.clone(),
                Some(token),
                Some(body),
                409,
            )
            .await?;
        }
        for (path, route) in [
            ("/inscription", "GET /inscription"),
            ("/inscription/pieces", "GET /inscription/pieces"),
        ] {
            for token in &tokens {
                self.timed(route, (Method::GET, path), Some(token), None, 200)
                    .await?;
            }
        }
        let mut pdf_bytes = 0;
        for token in &tokens {
            let answer = self
                .timed(
                    "GET /inscription/confirmation.pdf",
                    (Method::GET, "/inscription/confirmation.pdf"),
                    Some(token),
                    None,
                    200,
                )
                .await?;
            pdf_bytes = answer.body.len();
        }
        self.row("GET /inscription/confirmation.pdf").note = format!("{pdf_bytes} bytes");

        // Uploads: the request (the route), the candidate's PUT of the file
        // (straight to the document store: not examreg's round trip), then
        // the check of the stored bytes (the S3 notification's handler).
        // A real one-page PDF: the check parses it wholly, as it would a
        // candidate's.
        let pdf = Bytes::from_static(examreg_common::testkit::files::valid_pdf());
        for (kind, check_route) in [
            (
                "identity_document",
                "check of the stored file (1st of 2 pieces)",
            ),
            (
                "signed_confirmation",
                "check of the stored file (last piece: complete + email)",
            ),
        ] {
            let path = format!("/inscription/pieces/{kind}/uploads");
            for token in &tokens {
                let body = json!({ "content_type": "application/pdf", "size_bytes": pdf.len() })
                    .to_string();
                let answer = self
                    .timed(
                        "POST /inscription/pieces/{kind}/uploads",
                        (Method::POST, path.as_str()),
                        Some(token),
                        Some(body),
                        201,
                    )
                    .await?;
                let url = answer.json()["upload_url"]
                    .as_str()
                    .context("no upload_url")?
                    .to_owned();
                let key = object_key(&url).context("no object key in the upload URL")?;
                self.raw_documents
                    .put(&key, "application/pdf", pdf.clone())
                    .await?;
                let before = self.snapshot();
                let started = Instant::now();
                let outcome = check_stored_object(&self.app, &key).await?;
                let cost = self.cost_since(before, started.elapsed());
                let ok = matches!(outcome, CheckOutcome::Received { .. });
                let answer = Answer {
                    status: if ok {
                        StatusCode::OK
                    } else {
                        StatusCode::INTERNAL_SERVER_ERROR
                    },
                    body: Bytes::new(),
                    cost,
                };
                self.record(check_route, &answer);
                if !ok {
                    bail!("{}: the check of {key} gave {outcome:?}", self.label);
                }
            }
        }
        let answer = self
            .call(Method::GET, "/inscription", Some(&tokens[0]), None)
            .await?;
        let status = answer.json()["status"].as_str().unwrap_or("?").to_owned();
        if status != "complete" {
            bail!("{}: the dossier is {status} after both uploads", self.label);
        }

        for token in &tokens {
            self.timed(
                "POST /auth/logout",
                (Method::POST, "/auth/logout"),
                Some(token),
                None,
                204,
            )
            .await?;
        }
        for i in 0..n {
            let body = json!({ "email": email(&backend, i) }).to_string();
            self.timed(
                "POST /auth/password-reset",
                (Method::POST, "/auth/password-reset"),
                None,
                Some(body),
                202,
            )
            .await?;
            let token = self.last_mail_token()?;
            let body = json!({ "token": token, "password": NEW_PASSWORD }).to_string();
            let hashing = hash_once().await?;
            self.row("POST /auth/password-reset/confirm")
                .hashing
                .push(hashing);
            self.timed(
                "POST /auth/password-reset/confirm",
                (Method::POST, "/auth/password-reset/confirm"),
                None,
                Some(body),
                204,
            )
            .await?;
        }
        Ok(())
    }

    fn print(&self, n: usize) {
        println!("\n### {} (N = {n} per route)\n", self.label);
        println!("| route | answers | p50 ms | p99 ms | p50 less hashing ms | store reads | store writes | items read+written | mails sent | S3 round trips | presigned (local) | note |");
        println!("|---|---|---|---|---|---|---|---|---|---|---|---|");
        for row in &self.rows {
            let mut times: Vec<Duration> = row.costs.iter().map(|c| c.elapsed).collect();
            times.sort();
            let (p50, p99) = (percentile(&times, 50.0), percentile(&times, 99.0));
            let less = if row.hashing.len() == row.costs.len() {
                // The median of the paired differences (request - its hash).
                let mut less: Vec<f64> = row
                    .costs
                    .iter()
                    .zip(&row.hashing)
                    .map(|(c, h)| (c.elapsed.as_secs_f64() - h.as_secs_f64()) * 1000.0)
                    .collect();
                less.sort_by(f64::total_cmp);
                let mut hashes = row.hashing.clone();
                hashes.sort();
                format!(
                    "{:.2} (hash p50 {})",
                    less[(less.len() - 1) / 2],
                    ms(percentile(&hashes, 50.0))
                )
            } else {
                "–".into()
            };
            let answers = row
                .statuses
                .iter()
                .map(|(s, n)| format!("{n}×{s}"))
                .collect::<Vec<_>>()
                .join(", ");
            let c = row.costs.iter();
            println!(
                "| {} | {answers} | {} | {} | {less} | {} | {} | {} | {} | {} | {} | {} |",
                row.route,
                ms(p50),
                ms(p99),
                spread(c.clone().map(|c| c.reads)),
                spread(c.clone().map(|c| c.writes)),
                spread(c.clone().map(|c| c.items)),
                spread(c.clone().map(|c| c.mails)),
                spread(c.clone().map(|c| c.s3)),
                spread(c.clone().map(|c| c.presigned)),
                row.note,
            );
        }
    }
}

fn password() -> anyhow::Result<Password> {
    Password::parse(PASSWORD, &[]).map_err(|e| anyhow::anyhow!("{e:?}"))
}

/// One argon2id hash as the routes run it (on the blocking pool).
async fn hash_once() -> anyhow::Result<Duration> {
    let password = password()?;
    let started = Instant::now();
    security::hash_password(&password)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(started.elapsed())
}

/// One argon2id verification as login runs it.
async fn verify_once(stored: &str) -> anyhow::Result<Duration> {
    let started = Instant::now();
    if !security::verify_password(PASSWORD, Some(stored)).await {
        bail!("the password does not verify");
    }
    Ok(started.elapsed())
}

/// A stored hash of [`PASSWORD`] to verify against.
fn hashed() -> anyhow::Result<String> {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let salt = SaltString::encode_b64(&[7u8; 16]).map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(security::argon2()
        .hash_password(PASSWORD.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .to_string())
}

async fn sqlite_bench(dir: &std::path::Path) -> anyhow::Result<Bench> {
    let clock = Arc::new(SimulatedClock::starting_at(at(NOW)?));
    Bench::new(
        "SQLite (file, WAL) + outbox + folder",
        Arc::new(SqliteStore::open(&dir.join("examreg.sqlite3"))?),
        Arc::new(OutboxMailer::new(dir.join("outbox.jsonl"), clock)),
        Arc::new(FolderDocumentStore::new(
            dir.join("documents"),
            PUBLIC_URL.into(),
            vec![7; 32],
        )),
    )
}

async fn moto_bench() -> anyhow::Result<Bench> {
    let server = tokio::task::spawn_blocking(examreg_common::testkit::moto::moto).await?;
    Bench::new(
        "DynamoDB + SES + S3 (moto)",
        Arc::new(DynamoStore::new(
            server.dynamodb_client(),
            server.fresh_table().await,
        )),
        Arc::new(SesMailer::new(
            server.ses_client(),
            server.verified_sender().await,
        )),
        Arc::new(S3DocumentStore::new(
            server.s3_client(),
            server.fresh_bucket().await,
        )),
    )
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let n = args
        .iter()
        .find_map(|a| a.parse::<usize>().ok())
        .unwrap_or(200);
    let sqlite = !args.iter().any(|a| a == "moto") || args.iter().any(|a| a == "sqlite");
    let on_moto = !args.iter().any(|a| a == "sqlite") || args.iter().any(|a| a == "moto");

    if sqlite {
        let dir = tempfile::tempdir()?;
        let mut bench = sqlite_bench(dir.path()).await?;
        let started = Instant::now();
        bench.run(n).await?;
        bench.print(n);
        eprintln!("({}: {:.1?})", bench.label, started.elapsed());
    }
    if on_moto {
        let mut bench = moto_bench().await?;
        let started = Instant::now();
        bench.run(n).await?;
        bench.print(n);
        eprintln!("({}: {:.1?})", bench.label, started.elapsed());
    }
    Ok(())
}
