//! What the office's `search` and `stats` read as the table grows: items
//! read and round trips at 1,000 / 10,000 / 100,000 dossiers (SQLite, through
//! the counting store). The goal: proportional to the answer, not the table.
//!
//! ```text
//! cargo run -p examreg-common --example office_scale            # 1,000 / 10,000 / 100,000
//! cargo run -p examreg-common --example office_scale -- 5000    # 5,000 dossiers
//! ```
//!
//! Each dossier is seeded with exactly what the write path writes at its
//! creation (`records::dossier::derived_ops`: its candidate number's guard,
//! its search entries, its counters), then each question is asked once:
//!
//! - `name` = a whole last name: 1 dossier;
//! - `name` = a common prefix (`lefe`): 1 dossier in 20, capped at 200;
//! - `birth_date`: the dossiers born that day (dates spread over 10 years);
//! - `candidate_number`: 1 dossier;
//! - `stats`, whole session and one diploma.
//!
//! Item counts do not depend on the build profile; the debug build is enough.

use std::sync::Arc;

use anyhow::Context as _;
use async_trait::async_trait;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde_json::{json, Value};

use examreg_common::adapters::clock::SimulatedClock;
use examreg_common::adapters::counting::CountingStore;
use examreg_common::adapters::folder::FolderDocumentStore;
use examreg_common::adapters::sqlite::SqliteStore;
use examreg_common::app::{App, AppBuilder, Ports};
use examreg_common::config::Settings;
use examreg_common::domain::calendar::SessionCalendar;
use examreg_common::domain::dossier::{InscriptionStatus, PieceState, PieceStatus, Pieces};
use examreg_common::domain::inscription::{Address, Disability, Identity, ValidInscription};
use examreg_common::domain::pieces::PieceKind;
use examreg_common::domain::Diploma;
use examreg_common::ports::store::WriteOp;
use examreg_common::ports::{MailError, Mailer, OutgoingEmail, Store};
use examreg_common::records::dossier::derived_ops;
use examreg_common::records::dossier::InscriptionRecord;
use examreg_common::records::history::HistoryEntry;
use examreg_common::services::admin;

const SURNAMES: [&str; 20] = [
    "Lefèvre", "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
    "Leroy", "Moreau", "Simon", "Laurent", "Michel", "Garcia", "David", "Bertrand", "Roux",
    "Vincent", "Fournier",
];

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

/// A distinct suffix of letters for dossier `i` (names fold to letters).
fn letters(mut i: usize) -> String {
    let mut text = String::new();
    loop {
        text.push(char::from(b'a' + (i % 26) as u8));
        i /= 26;
        if i == 0 {
            return text;
        }
    }
}

/// Dossier `i`: its record (numbered) and its writes.
fn dossier(
    calendar: &SessionCalendar,
    i: usize,
) -> anyhow::Result<(InscriptionRecord, Vec<WriteOp>)> {
    let created = at("2021-10-20T08:00:00Z");
    let (diploma, specialty) = match i % 4 {
        0 | 1 => (Diploma::BacPro, "MELEC"),
        2 => (Diploma::Bp, "COIFFURE"),
        _ => (Diploma::Cap, "CUISINE"),
    };
    let status = if i.is_multiple_of(3) {
        PieceStatus::Received
    } else {
        PieceStatus::Missing
    };
    let pieces: Pieces = [PieceKind::SignedConfirmation, PieceKind::IdentityDocument]
        .into_iter()
        .map(|kind| {
            let mut state = PieceState::missing();
            state.status = status;
            (kind, state)
        })
        .collect();
    let birth = NaiveDate::from_ymd_opt(1995, 1, 1).unwrap_or_default()
        + Duration::days((i * 7919 % 3650) as i64);
    let mut record = InscriptionRecord {
        record_type: "inscription".into(),
        account_id: format!("acc{i:07}"),
        email: format!("candidat{i}@exemple.fr"),
        session: "2022".into(),
        candidate_number: None,
        data: ValidInscription {
            diploma,
            specialty: specialty.into(),
            identity: Identity {
                last_name: format!("{} {}", SURNAMES[i % SURNAMES.len()], letters(i)),
                first_names: "Zoé Anaïs".into(),
                birth_date: birth,
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
    let derived = derived_ops(None, &mut record, 0)?;
    let mut ops = record.write_ops(calendar, 0, history)?;
    ops.extend(derived);
    Ok((record, ops))
}

/// Seeds `n` dossiers, one transaction each as the write path does (two
/// dossiers may share a counter item, which one transaction may not touch
/// twice): the number of items written, and dossier 0.
async fn seed(
    store: &dyn Store,
    calendar: &SessionCalendar,
    n: usize,
) -> anyhow::Result<(usize, InscriptionRecord)> {
    let mut items = 0;
    let mut first = None;
    for i in 0..n {
        let (record, ops) = dossier(calendar, i)?;
        first.get_or_insert(record);
        items += ops.len();
        store.transact(ops).await?;
    }
    Ok((items, first.context("no dossier")?))
}

async fn ask(app: &App, counting: &CountingStore, label: &str, n: usize, event: Value) {
    counting.reset();
    let answer = admin::handle_value(app, event).await;
    let counts = counting.counts();
    let answered = match answer.get("items").and_then(Value::as_array) {
        Some(items) => items.len().to_string(),
        None => answer
            .get("total")
            .map_or_else(|| answer.to_string(), ToString::to_string),
    };
    println!(
        "| {n} | {label} | {answered} | {} | {} |",
        counts.items_read(),
        counts.read_calls()
    );
}

async fn measure(n: usize) -> anyhow::Result<()> {
    let calendar = SessionCalendar::embedded("2022")?;
    let dir = std::env::temp_dir().join(format!("examreg-office-scale-{n}-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let store = SqliteStore::open(&dir.join("examreg.sqlite3"))?;
    let counting = Arc::new(CountingStore::new(Arc::new(store)));
    let (items, first) = seed(&*counting, &calendar, n).await.context("seeding")?;
    eprintln!("  ({n} dossiers: {items} items seeded)");
    let app = AppBuilder::new(&Settings::default())?.build(Ports {
        store: counting.clone(),
        mailer: Arc::new(NoMailer),
        documents: Arc::new(FolderDocumentStore::new(
            dir.join("docs"),
            "http://127.0.0.1:3000".into(),
            vec![1; 32],
        )),
        clock: Arc::new(SimulatedClock::starting_at(at("2021-11-02T10:00:00Z"))),
    });
    let identity = &first.data.identity;
    let number = first.candidate_number.clone().unwrap_or_default();
    let questions = [
        (
            "search: a whole last name",
            json!({"action": "search", "name": identity.last_name}),
        ),
        (
            "search: `lefe` (1 in 20, capped at 200)",
            json!({"action": "search", "name": "lefe"}),
        ),
        (
            "search: a birth date",
            json!({"action": "search", "birth_date": identity.birth_date.to_string()}),
        ),
        (
            "search: a candidate number",
            json!({"action": "search", "candidate_number": number}),
        ),
        ("stats: the session", json!({"action": "stats"})),
        (
            "stats: one diploma",
            json!({"action": "stats", "diploma": "CAP"}),
        ),
    ];
    for (label, event) in questions {
        ask(&app, &counting, label, n, event).await;
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    if sizes.is_empty() {
        sizes = vec![1_000, 10_000, 100_000];
    }
    println!("| dossiers | question | answer (items or total) | items read | read calls |");
    println!("|---|---|---|---|---|");
    for n in sizes {
        measure(n).await?;
    }
    Ok(())
}
