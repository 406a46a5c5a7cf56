//! The national load model: the last evening's peak replayed against the
//! store port on SQLite, through a `CapacityStore` that estimates the
//! DynamoDB capacity units each partition takes, second by second.
//!
//! ```text
//! cargo run -p examreg-common --example load_model              # 60 s of the peak
//! cargo run -p examreg-common --example load_model -- 20        # 20 s of it
//! cargo run -p examreg-common --example load_model -- 20 2000   # ... over 2,000 candidates
//! ```
//!
//! The deployment: 30 académies and about 200,000 candidates in one
//! session, whose registration closes tonight (8 December 2021, CAP); the
//! documents window is open too. The peak, a minute of it:
//!
//! - 10,000 saves (`PUT /inscription`, an update of a dossier): the figure
//!   the issue sets;
//! - 2,000 logins (`POST /auth/login`, argon2 included): one a visit, a
//!   visit saving about five times (one save per step of the form);
//! - 20,000 reads: 10,000 `GET /inscription` and 10,000 `GET /me`, the
//!   two reads each page of the portal makes, about two pages a save;
//! - 1,500 uploads checked (`POST .../uploads`, the file stored, then its
//!   check as S3's notification runs it): two pieces a candidate, three
//!   visits in four uploading one tonight.
//!
//! Requests go through the router the Lambdas serve, in-process, each
//! simulated second's share of them (167 saves, 33 logins, 333 reads, 25
//! uploads) before the stepped clock moves one second on. The candidates of
//! the evening (5,000 by default: each saves twice a minute) are seeded
//! first — account, session, then their dossier created through the router
//! — and that setup is not counted. The other 195,000 candidates of the
//! session do nothing in the peak: they add no load to any partition (their
//! items are in partitions of their own; the shared ones, gsi1's due
//! inscriptions and gsi2's listings, take only writes, which the model
//! counts from the writers). Item counts do not depend on the build
//! profile: a debug build gives the same units.
//!
//! It prints, per partition key (the table's and each index's), the busiest
//! second's write and read units and their share of DynamoDB's
//! per-partition limits (1,000 WCU/s, 3,000 RCU/s), the raw keys and the
//! keys summed over a shard suffix (`adapters::capacity::without_shard`),
//! and the whole table's units a second.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Context as _};
use async_trait::async_trait;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use axum::Router;
use bytes::Bytes;
use chrono::{DateTime, Duration, Utc};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

use examreg_common::adapters::capacity::{self, CapacityStore, Partition, Peak, Units};
use examreg_common::adapters::clock::SimulatedClock;
use examreg_common::adapters::folder::FolderDocumentStore;
use examreg_common::adapters::sqlite::SqliteStore;
use examreg_common::app::{App, AppBuilder, Config, Ports};
use examreg_common::config::Settings;
use examreg_common::domain::account::AccountStatus;
use examreg_common::http::routes::Function;
use examreg_common::ports::store::{Condition, Item, WriteOp};
use examreg_common::ports::{DocumentStore, MailError, Mailer, OutgoingEmail, Store};
use examreg_common::records::account::AccountRecord;
use examreg_common::records::keys;
use examreg_common::records::session::SessionRecord;
use examreg_common::security;
use examreg_common::services::upload_check::{check_stored_object, CheckOutcome};

/// The last evening of the CAP registration (closes 8 December 2021).
const PEAK_START: &str = "2021-12-08T21:00:00+01:00";
const PASSWORD: &str = "cheval-agrafe-batterie-correcte";
const PUBLIC_URL: &str = "http://127.0.0.1:3000";

/// A minute of the peak.
const SAVES_A_MINUTE: usize = 10_000;
const LOGINS_A_MINUTE: usize = 2_000;
/// Half `GET /inscription`, half `GET /me`.
const READS_A_MINUTE: usize = 20_000;
const UPLOADS_A_MINUTE: usize = 1_500;

struct NoMailer;

#[async_trait]
impl Mailer for NoMailer {
    async fn send(&self, _email: &OutgoingEmail) -> Result<(), MailError> {
        Ok(())
    }
}

struct Candidate {
    email: String,
    token: String,
    version: u64,
    pieces_sent: usize,
}

struct Model {
    app: Arc<App>,
    router: Router,
    clock: Arc<SimulatedClock>,
    capacity: Arc<CapacityStore>,
    raw_documents: Arc<dyn DocumentStore>,
    requests: BTreeMap<&'static str, (usize, usize)>,
}

fn at(text: &str) -> anyhow::Result<DateTime<Utc>> {
    Ok(DateTime::parse_from_rfc3339(text)?.with_timezone(&Utc))
}

fn inscription(version: u64, i: usize, line1: &str) -> String {
    json!({
        "diploma": "CAP",
        "specialty": "CUISINE",
        "identity": {
            "last_name": format!("Martin{}", char::from(b'a' + (i % 26) as u8)),
            "first_names": "Zoé Anaïs",
            "birth_date": "2004-03-04",
            "birth_place": "Lyon",
            "nationality": "FR",
            "address": { "line1": line1, "postal_code": "69001", "city": "Lyon", "country": "FR" },
            "phone": "0612345678"
        },
        "disability": { "declared": false, "existing_accommodation": false },
        "acquis": [],
        "version": version
    })
    .to_string()
}

fn password_hash() -> anyhow::Result<String> {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let salt = SaltString::encode_b64(&[7u8; 16]).map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(security::argon2()
        .hash_password(PASSWORD.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .to_string())
}

/// An active account, its email guard and an open session (and its token).
fn account_ops(
    i: usize,
    hash: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<(String, String, Vec<WriteOp>)> {
    let email = format!("candidat{i}@exemple.fr");
    let created = now - Duration::days(20);
    let account = AccountRecord {
        record_type: "account".into(),
        account_id: security::new_account_id(),
        email: email.clone(),
        email_canonical: email.clone(),
        status: AccountStatus::Active,
        created_at: created,
        activation_deadline: created + Duration::hours(48),
        activated_at: Some(created),
        password_hash: hash.to_owned(),
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
        .with("account_id", account.account_id.as_str());
    let (token, token_hash) = security::new_token(&account.account_id);
    let session = SessionRecord::open(&account.account_id, now);
    let ops = vec![
        WriteOp::put(account.to_item()?, Condition::Always),
        WriteOp::put(guard, Condition::Always),
        session.create(&token_hash)?,
    ];
    Ok((email, token, ops))
}

impl Model {
    async fn new(dir: &std::path::Path) -> anyhow::Result<Self> {
        let clock = Arc::new(SimulatedClock::stepped_at(at(PEAK_START)?));
        let sqlite: Arc<dyn Store> = Arc::new(SqliteStore::open(&dir.join("model.sqlite"))?);
        let capacity = Arc::new(CapacityStore::new(sqlite, clock.clone()));
        let raw_documents: Arc<dyn DocumentStore> = Arc::new(FolderDocumentStore::new(
            dir.join("documents"),
            PUBLIC_URL.into(),
            vec![7; 32],
        ));
        let app = AppBuilder::new(&Settings::default())?
            .config(Config {
                public_url: PUBLIC_URL.into(),
                secure_cookies: false,
                ..Config::default()
            })
            .build(Ports {
                store: capacity.clone(),
                mailer: Arc::new(NoMailer),
                documents: raw_documents.clone(),
                clock: clock.clone(),
            });
        let app = Arc::new(app);
        let router = examreg_common::http::router(app.clone(), &Function::ALL);
        Ok(Self {
            app,
            router,
            clock,
            capacity,
            raw_documents,
            requests: BTreeMap::new(),
        })
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<String>,
    ) -> anyhow::Result<(StatusCode, Value)> {
        let mut request = Request::builder().method(method).uri(path);
        if body.is_some() {
            request = request.header("content-type", "application/json");
        }
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let request = request.body(body.map(Body::from).unwrap_or_default())?;
        let response = self.router.clone().oneshot(request).await?;
        let status = response.status();
        let body = response.into_body().collect().await?.to_bytes();
        Ok((status, serde_json::from_slice(&body).unwrap_or(Value::Null)))
    }

    /// Counts a request of `route`, and whether it answered `expected`.
    fn tally(&mut self, route: &'static str, ok: bool) {
        let entry = self.requests.entry(route).or_default();
        entry.0 += 1;
        entry.1 += usize::from(!ok);
    }

    async fn seed(&mut self, n: usize) -> anyhow::Result<Vec<Candidate>> {
        let hash = password_hash()?;
        let now = self.app.now();
        let mut candidates = Vec::with_capacity(n);
        let mut batch = Vec::new();
        for i in 0..n {
            let (email, token, ops) = account_ops(i, &hash, now)?;
            if batch.len() + ops.len() > 99 {
                self.capacity.transact(std::mem::take(&mut batch)).await?;
            }
            batch.extend(ops);
            candidates.push(Candidate {
                email,
                token,
                version: 0,
                pieces_sent: 0,
            });
        }
        if !batch.is_empty() {
            self.capacity.transact(batch).await?;
        }
        for (i, c) in candidates.iter_mut().enumerate() {
            let (status, answer) = self
                .call(
                    Method::PUT,
                    "/inscription",
                    Some(&c.token),
                    Some(inscription(0, i, "1 rue Mercière")),
                )
                .await?;
            if status != StatusCode::CREATED {
                bail!("creating dossier {i} answered {status}: {answer}");
            }
            c.version = answer["version"].as_u64().context("no version")?;
        }
        self.capacity.reset();
        Ok(candidates)
    }

    async fn save(&mut self, i: usize, c: &mut Candidate) -> anyhow::Result<()> {
        let line1 = format!("{} rue Mercière", c.version + 1);
        let (status, answer) = self
            .call(
                Method::PUT,
                "/inscription",
                Some(&c.token),
                Some(inscription(c.version, i, &line1)),
            )
            .await?;
        if let Some(version) = answer["version"].as_u64() {
            c.version = version;
        }
        self.tally("PUT /inscription", status == StatusCode::OK);
        Ok(())
    }

    async fn login(&mut self, c: &Candidate) -> anyhow::Result<()> {
        let body = json!({ "email": c.email, "password": PASSWORD }).to_string();
        let (status, _) = self
            .call(Method::POST, "/auth/login", None, Some(body))
            .await?;
        self.tally("POST /auth/login", status == StatusCode::OK);
        Ok(())
    }

    async fn read(&mut self, c: &Candidate, me: bool) -> anyhow::Result<()> {
        let (route, path) = if me {
            ("GET /me", "/me")
        } else {
            ("GET /inscription", "/inscription")
        };
        let (status, _) = self.call(Method::GET, path, Some(&c.token), None).await?;
        self.tally(route, status == StatusCode::OK);
        Ok(())
    }

    async fn upload(&mut self, c: &mut Candidate) -> anyhow::Result<()> {
        let kinds = ["identity_document", "signed_confirmation"];
        let Some(kind) = kinds.get(c.pieces_sent) else {
            return Ok(());
        };
        c.pieces_sent += 1;
        let pdf = Bytes::from_static(examreg_common::testkit::files::valid_pdf());
        let body = json!({ "content_type": "application/pdf", "size_bytes": pdf.len() });
        let path = format!("/inscription/pieces/{kind}/uploads");
        let (status, answer) = self
            .call(Method::POST, &path, Some(&c.token), Some(body.to_string()))
            .await?;
        self.tally("POST .../uploads", status == StatusCode::CREATED);
        let Some(url) = answer["upload_url"].as_str() else {
            return Ok(());
        };
        let start = url.find("candidates/").context("no object key")?;
        let key = url[start..]
            .split('?')
            .next()
            .unwrap_or_default()
            .to_owned();
        self.raw_documents.put(&key, "application/pdf", pdf).await?;
        let outcome = check_stored_object(&self.app, &key).await?;
        self.tally(
            "check of the stored file",
            matches!(outcome, CheckOutcome::Received { .. }),
        );
        Ok(())
    }

    /// `seconds` of the peak, each second's share of every kind of request.
    async fn replay(&mut self, candidates: &mut [Candidate], seconds: usize) -> anyhow::Result<()> {
        let per_second =
            |a_minute: usize, second: usize| a_minute * (second + 1) / 60 - a_minute * second / 60;
        let n = candidates.len();
        let (mut saver, mut reader, mut uploader) = (0, n / 3, 2 * n / 3);
        for second in 0..seconds {
            let saves = per_second(SAVES_A_MINUTE, second);
            let logins = per_second(LOGINS_A_MINUTE, second);
            let reads = per_second(READS_A_MINUTE, second);
            let uploads = per_second(UPLOADS_A_MINUTE, second);
            let most = saves.max(logins).max(reads).max(uploads);
            // Interleaved, as the Lambdas would serve them in that second.
            for k in 0..most {
                if k < saves {
                    let i = saver % n;
                    self.save(i, &mut candidates[i]).await?;
                    saver += 1;
                }
                if k < reads {
                    let i = reader % n;
                    self.read(&candidates[i], k % 2 == 1).await?;
                    reader += 1;
                }
                if k < logins {
                    // One a visit: every fifth saver of this second.
                    let i = (saver + 5 * k) % n;
                    self.login(&candidates[i]).await?;
                }
                if k < uploads {
                    let i = uploader % n;
                    self.upload(&mut candidates[i]).await?;
                    uploader += 1;
                }
            }
            self.clock.advance(Duration::seconds(1))?;
        }
        Ok(())
    }
}

fn pct(share: f64) -> String {
    format!("{:.1} %", share * 100.0)
}

fn print_peaks(title: &str, peaks: &[Peak], top: usize) {
    println!("\n{title}\n");
    println!("| partition | WCU/s (peak second) | share of 1,000 | RCU/s (peak second) | share of 3,000 |");
    println!("|---|---|---|---|---|");
    for peak in peaks.iter().take(top) {
        println!(
            "| {} `{}` | {:.0} | {} | {:.1} | {} |",
            peak.partition.space.name(),
            peak.partition.key,
            peak.wcu_per_second,
            pct(peak.wcu_share),
            peak.rcu_per_second,
            pct(peak.rcu_share),
        );
    }
}

/// A key's family: its id-like segments (long, or with lowercase letters
/// or digits past the session) replaced by `*`, to show how the per-item
/// partitions spread.
fn family(partition: &Partition) -> Partition {
    let key = partition
        .key
        .split('#')
        .map(|segment| {
            let id_like = segment.len() > 12 || segment.bytes().any(|b| b.is_ascii_lowercase());
            if id_like {
                "*"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("#");
    Partition::new(partition.space, key)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let seconds = args.first().copied().unwrap_or(60).max(1);
    let pool = args.get(1).copied().unwrap_or(5_000).max(10);
    let dir = std::env::temp_dir().join(format!("examreg-load-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir)?;

    let mut model = Model::new(&dir).await?;
    let started = Instant::now();
    let mut candidates = model.seed(pool).await?;
    eprintln!("{pool} candidates seeded in {:?}", started.elapsed());
    let started = Instant::now();
    model.replay(&mut candidates, seconds).await?;
    let elapsed = started.elapsed();
    std::fs::remove_dir_all(&dir).ok();

    println!(
        "National load model: {seconds} s of the peak over {pool} candidates \
         (a minute: {SAVES_A_MINUTE} saves, {LOGINS_A_MINUTE} logins, {READS_A_MINUTE} reads, \
         {UPLOADS_A_MINUTE} uploads checked), replayed in {elapsed:.1?}\n"
    );
    println!("| request | count | not as expected |");
    println!("|---|---|---|");
    for (route, (count, failed)) in &model.requests {
        println!("| {route} | {count} | {failed} |");
    }
    let usage = model.capacity.usage();
    let mut per_second: BTreeMap<i64, Units> = BTreeMap::new();
    for ((second, _), units) in &usage {
        let total = per_second.entry(*second).or_default();
        total.wcu += units.wcu;
        total.rcu += units.rcu;
    }
    let peak_wcu = per_second.values().map(|u| u.wcu).fold(0.0, f64::max);
    let peak_rcu = per_second.values().map(|u| u.rcu).fold(0.0, f64::max);
    let seconds_seen = per_second.len().max(1) as f64;
    let mean_wcu = per_second.values().map(|u| u.wcu).sum::<f64>() / seconds_seen;
    let mean_rcu = per_second.values().map(|u| u.rcu).sum::<f64>() / seconds_seen;
    println!(
        "\nWhole table (base and indexes): {mean_wcu:.0} WCU/s on average, {peak_wcu:.0} at the peak second; \
         {mean_rcu:.0} RCU/s on average, {peak_rcu:.0} at the peak second."
    );
    let raw = capacity::peaks(&usage, Partition::clone);
    print_peaks("Hottest partitions (raw keys):", &raw, 12);
    print_peaks(
        "Hottest partitions, shards summed (a key less its shard suffix):",
        &capacity::peaks(&usage, capacity::without_shard),
        8,
    );
    let mut families: BTreeMap<Partition, usize> = BTreeMap::new();
    for (_, partition) in usage.keys() {
        *families.entry(family(partition)).or_default() += 1;
    }
    println!("\nKey families (id-like segments as `*`) and their partitions × seconds:\n");
    println!("| family | partition-seconds |");
    println!("|---|---|");
    for (family, count) in &families {
        println!("| {family} | {count} |");
    }
    if let Some(hottest) = raw.first() {
        println!(
            "\nHottest partition: {} at {} of its limit.",
            hottest.partition,
            pct(hottest.share())
        );
    }
    Ok(())
}
