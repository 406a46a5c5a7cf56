//! How the sweep scales: items read per item changed, and throughput.
//!
//! ```text
//! cargo run --release -p examreg-common --example sweep_scale             # SQLite, 1,000 / 10,000 / 100,000
//! cargo run --release -p examreg-common --example sweep_scale -- 5000     # SQLite, 5,000 candidates
//! cargo run --release -p examreg-common --example sweep_scale -- --moto   # DynamoDB + SES on moto, 10,000
//! cargo run --release -p examreg-common --example sweep_scale -- --paced 100000 10   # reminders at 10 mails/s
//! ```
//!
//! `--paced N RATE`: N candidates owed their 7-day reminder on the morning
//! of 1 November 2021, sent at RATE mails a second (the stack's `MailRate`,
//! 10 by default) by the sweep runs as template.yaml schedules them (every
//! 15 minutes, 300 s each less the handler's 10 s margin), on a stepped
//! simulated clock: the pacer's waits move the clock on and are not slept.
//! It reports the runs, the time the queue took to drain against the
//! planned time (N / (RATE × 290 s) runs), and any address mailed twice.
//!
//! Each run seeds N active candidates with an inscription (4 items each:
//! account, email guard, inscription, history line), then moves the clock
//! one minute past the Bac Pro documents close and runs the sweep once:
//!
//! - 10 % Bac Pro inscriptions still incomplete: due, cancelled (+ one email each);
//! - 40 % Bac Pro inscriptions complete: not due, never read;
//! - 50 % CAP inscriptions incomplete: due later (December), not read;
//! - plus N/100 accounts left unactivated for 48 hours: deleted.
//!
//! The store is wrapped in a `CountingStore`; the mailer is a no-op and the
//! sending rate is unbounded so that the figures are the sweep's own (in
//! production the drain is paced at `mail_rate_per_second`, 14/s by default).
//! A second run follows, which must read nothing.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

use anyhow::Context as _;
use async_trait::async_trait;
use chrono::{DateTime, Duration, NaiveDate, Utc};

use examreg_common::adapters::clock::SimulatedClock;
use examreg_common::adapters::counting::CountingStore;
use examreg_common::adapters::dynamodb::DynamoStore;
use examreg_common::adapters::folder::FolderDocumentStore;
use examreg_common::adapters::ses::SesMailer;
use examreg_common::adapters::sqlite::SqliteStore;
use examreg_common::app::{AppBuilder, Config, Ports};
use examreg_common::config::Settings;
use examreg_common::domain::account::AccountStatus;
use examreg_common::domain::calendar::SessionCalendar;
use examreg_common::domain::dossier::{InscriptionStatus, PieceState, PieceStatus, Pieces};
use examreg_common::domain::inscription::{Address, Disability, Identity, ValidInscription};
use examreg_common::domain::pieces::PieceKind;
use examreg_common::domain::Diploma;
use examreg_common::ports::store::{Condition, Item, WriteOp};
use examreg_common::ports::{Clock, MailError, Mailer, OutgoingEmail, Store};
use examreg_common::records::account::AccountRecord;
use examreg_common::records::dossier::InscriptionRecord;
use examreg_common::records::history::HistoryEntry;
use examreg_common::records::keys;
use examreg_common::security;
use examreg_common::services::budget::Budget;
use examreg_common::services::sweep;

struct NoMailer;

#[async_trait]
impl Mailer for NoMailer {
    async fn send(&self, _email: &OutgoingEmail) -> Result<(), MailError> {
        Ok(())
    }
}

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default()
}

fn account(email: &str, created: DateTime<Utc>, status: AccountStatus) -> AccountRecord {
    let account_id = security::new_account_id();
    AccountRecord {
        record_type: "account".into(),
        account_id,
        email: email.into(),
        email_canonical: email.into(),
        status,
        created_at: created,
        activation_deadline: created + Duration::hours(48),
        activated_at: (status == AccountStatus::Active).then_some(created),
        password_hash: "x".into(),
        activation_token_hash: None,
        activation_password_hash: None,
        reset_token_hash: None,
        reset_expires_at: None,
        login_link_hash: None,
        login_link_expires_at: None,
        version: 1,
    }
}

fn guard(account: &AccountRecord) -> Item {
    Item::new(keys::email_guard(&account.email_canonical))
        .with("record_type", "email_guard")
        .with("email", account.email_canonical.as_str())
        .with("account_id", account.account_id.as_str())
}

fn candidate(
    calendar: &SessionCalendar,
    i: usize,
    diploma: Diploma,
    specialty: &str,
    piece_status: PieceStatus,
    reminded: bool,
) -> anyhow::Result<Vec<WriteOp>> {
    let created = at("2021-10-20T08:00:00Z");
    let email = format!("candidat{i}@exemple.fr");
    let account = account(&email, created, AccountStatus::Active);
    let pieces: Pieces = [PieceKind::SignedConfirmation, PieceKind::IdentityDocument]
        .into_iter()
        .map(|kind| {
            let mut state = PieceState::missing();
            state.status = piece_status;
            (kind, state)
        })
        .collect();
    let mut record = InscriptionRecord {
        record_type: "inscription".into(),
        account_id: account.account_id.clone(),
        email: email.clone(),
        session: "2022".into(),
        candidate_number: None,
        data: ValidInscription {
            diploma,
            specialty: specialty.into(),
            identity: Identity {
                last_name: format!("Nom{i}"),
                first_names: "Zoé".into(),
                birth_date: NaiveDate::from_ymd_opt(1990, 2, 3).unwrap_or_default(),
                birth_place: "Marseille".into(),
                birth_department: None,
                birth_country: None,
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
        },
        version: 1,
        revision: 1,
        status: InscriptionStatus::Registered,
        pieces,
        created_at: created,
        updated_at: created,
        documents_deadline_extension: None,
        // As if the reminders had gone out: the sweep's only job is the cancellation.
        reminders_sent: if reminded {
            vec!["7d".into(), "2d".into()]
        } else {
            Vec::new()
        },
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
        WriteOp::put(account.to_item()?, Condition::Always),
        WriteOp::put(guard(&account), Condition::Always),
    ];
    ops.extend(record.write_ops(calendar, 0, history)?);
    Ok(ops)
}

fn pending(i: usize) -> anyhow::Result<Vec<WriteOp>> {
    let account = account(
        &format!("attente{i}@exemple.fr"),
        at("2021-11-01T08:00:00Z"),
        AccountStatus::PendingActivation,
    );
    Ok(vec![
        WriteOp::put(account.to_item()?, Condition::Always),
        WriteOp::put(guard(&account), Condition::Always),
    ])
}

async fn seed(store: &dyn Store, calendar: &SessionCalendar, n: usize) -> anyhow::Result<usize> {
    let mut batch: Vec<WriteOp> = Vec::with_capacity(100);
    let mut items = 0;
    for i in 0..n + n / 100 {
        let ops = if i >= n {
            pending(i)?
        } else {
            match i % 10 {
                0 => candidate(
                    calendar,
                    i,
                    Diploma::BacPro,
                    "MELEC",
                    PieceStatus::Missing,
                    true,
                ),
                1..=4 => candidate(
                    calendar,
                    i,
                    Diploma::BacPro,
                    "MELEC",
                    PieceStatus::Received,
                    true,
                ),
                _ => candidate(
                    calendar,
                    i,
                    Diploma::Cap,
                    "CUISINE",
                    PieceStatus::Missing,
                    true,
                ),
            }?
        };
        items += ops.len();
        if batch.len() + ops.len() > 100 {
            store.transact(std::mem::take(&mut batch)).await?;
        }
        batch.extend(ops);
    }
    if !batch.is_empty() {
        store.transact(batch).await?;
    }
    Ok(items)
}

async fn measure(
    label: &str,
    base: Arc<dyn Store>,
    mailer: Arc<dyn Mailer>,
    n: usize,
) -> anyhow::Result<()> {
    let calendar = SessionCalendar::embedded("2022")?;
    let counting = Arc::new(CountingStore::new(base));
    let seeding = Instant::now();
    let items = seed(&*counting, &calendar, n).await.context("seeding")?;
    let seeding = seeding.elapsed();

    let dir = std::env::temp_dir().join("examreg-sweep-scale-docs");
    let app = AppBuilder::new(&Settings::default())?
        .config(Config {
            mail_rate_per_second: 1e9,
            ..Config::default()
        })
        .build(Ports {
            store: counting.clone(),
            mailer,
            documents: Arc::new(FolderDocumentStore::new(
                dir,
                "http://127.0.0.1:3000".into(),
                vec![1; 32],
            )),
            clock: Arc::new(SimulatedClock::starting_at(at("2021-11-07T23:01:00Z"))),
        });
    counting.reset();
    let started = Instant::now();
    let report = sweep::run(&app, Instant::now() + StdDuration::from_secs(3600)).await?;
    let elapsed = started.elapsed();
    let counts = counting.counts();
    counting.reset();
    let again = sweep::run(&app, Instant::now() + StdDuration::from_secs(3600)).await?;
    let second = counting.counts();

    let changed_items = report.accounts_deleted + report.cancellations;
    let per_change = counts.items_read() as f64 / changed_items.max(1) as f64;
    let seconds = elapsed.as_secs_f64();
    println!(
        "| {label} | {n} | {items} | {changed_items} | {} | {} | {per_change:.2} | {} | {} | {:.0} ms | {:.0} | {} / {} |",
        report.mails_sent,
        counts.items_read(),
        counts.read_calls(),
        counts.transact.calls,
        seconds * 1000.0,
        changed_items as f64 / seconds,
        again.changed(),
        second.items_read(),
    );
    eprintln!("  ({label}, {n}: seeded {items} items in {seeding:.1?}; report {report:?})");
    Ok(())
}

/// Counts the mails each address received.
#[derive(Default)]
struct TallyMailer(std::sync::Mutex<HashMap<String, usize>>);

#[async_trait]
impl Mailer for TallyMailer {
    async fn send(&self, email: &OutgoingEmail) -> Result<(), MailError> {
        let mut sent = self.0.lock().unwrap_or_else(|p| p.into_inner());
        *sent.entry(email.to.clone()).or_default() += 1;
        Ok(())
    }
}

/// The sweep's runs as scheduled (every 15 minutes, 290 s each), on a
/// stepped clock, until N reminders are recorded and sent.
async fn paced(n: usize, rate: f64) -> anyhow::Result<()> {
    const EVERY: i64 = 15 * 60;
    const RUN: i64 = 300 - 10;
    let calendar = SessionCalendar::embedded("2022")?;
    let dir = std::env::temp_dir().join(format!("examreg-paced-{n}-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let counting = Arc::new(CountingStore::new(Arc::new(SqliteStore::open(
        &dir.join("examreg.sqlite3"),
    )?)));
    let mut batch: Vec<WriteOp> = Vec::with_capacity(100);
    for i in 0..n {
        let ops = candidate(
            &calendar,
            i,
            Diploma::BacPro,
            "MELEC",
            PieceStatus::Missing,
            false,
        )?;
        if batch.len() + ops.len() > 100 {
            counting.transact(std::mem::take(&mut batch)).await?;
        }
        batch.extend(ops);
    }
    if !batch.is_empty() {
        counting.transact(batch).await?;
    }
    let start = at("2021-11-01T06:00:00Z");
    let clock = Arc::new(SimulatedClock::stepped_at(start));
    let mailer = Arc::new(TallyMailer::default());
    let app = AppBuilder::new(&Settings::default())?
        .config(Config {
            mail_rate_per_second: rate,
            ..Config::default()
        })
        .build(Ports {
            store: counting.clone(),
            mailer: mailer.clone(),
            documents: Arc::new(FolderDocumentStore::new(
                dir.join("docs"),
                "http://127.0.0.1:3000".into(),
                vec![1; 32],
            )),
            clock: clock.clone(),
        });
    counting.reset();
    let real = Instant::now();
    let (mut runs, mut reminders, mut sent) = (0, 0, 0);
    let drained_at = loop {
        let run_start = start + Duration::seconds(EVERY * runs);
        clock.set(run_start)?;
        let budget = Budget::on_clock(clock.clone(), run_start + Duration::seconds(RUN));
        let report = sweep::run_with(&app, budget).await?;
        runs += 1;
        reminders += report.reminders;
        sent += report.mails_sent;
        if report.finished || runs > 10_000 {
            break clock.now();
        }
    };
    let counts = counting.counts();
    let tally = mailer.0.lock().unwrap_or_else(|p| p.into_inner());
    let twice = tally.values().filter(|&&c| c > 1).count();
    let planned_runs = (n as f64 / (rate * RUN as f64)).ceil();
    let took = drained_at - start;
    println!("| candidates owed a reminder | mail rate | runs | reminders recorded | mails sent | addresses mailed twice | drained after | planned | items read per item changed | real time |");
    println!("|---|---|---|---|---|---|---|---|---|---|");
    println!(
        "| {n} | {rate}/s | {runs} | {reminders} | {sent} | {twice} | {}h{:02} | {planned_runs} runs: {}h{:02} + {:.0} s | {:.2} | {:.1?} |",
        took.num_hours(),
        took.num_minutes() % 60,
        (planned_runs as i64 - 1) * EVERY / 3600,
        (planned_runs as i64 - 1) * EVERY % 3600 / 60,
        (n as f64 - (planned_runs - 1.0) * rate * RUN as f64) / rate,
        counts.items_read() as f64 / (reminders + sent).max(1) as f64,
        real.elapsed(),
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().is_some_and(|a| a == "--paced") {
        let n = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(100_000);
        let rate = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(10.0);
        return paced(n, rate).await;
    }
    let on_moto = args.iter().any(|a| a == "--moto");
    let mut sizes: Vec<usize> = args.iter().filter_map(|a| a.parse().ok()).collect();
    if sizes.is_empty() {
        sizes = if on_moto {
            vec![10_000]
        } else {
            vec![1_000, 10_000, 100_000]
        };
    }
    println!("| backend | candidates | items in table | items changed | mails sent | items read | items read per item changed | read calls | write calls | sweep time | changes/s | 2nd run: changed / items read |");
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|");
    for n in sizes {
        if on_moto {
            let server = tokio::task::spawn_blocking(examreg_common::testkit::moto::moto).await?;
            let store = DynamoStore::new(server.dynamodb_client(), server.fresh_table().await);
            let mailer = SesMailer::new(server.ses_client(), server.verified_sender().await);
            measure("DynamoDB+SES (moto)", Arc::new(store), Arc::new(mailer), n).await?;
        } else {
            let dir = std::env::temp_dir()
                .join(format!("examreg-sweep-scale-{n}-{}", std::process::id()));
            std::fs::create_dir_all(&dir)?;
            let store = SqliteStore::open(&dir.join("examreg.sqlite3"))?;
            measure("SQLite (file, WAL)", Arc::new(store), Arc::new(NoMailer), n).await?;
            let _ = std::fs::remove_dir_all(&dir);
        }
    }
    Ok(())
}
