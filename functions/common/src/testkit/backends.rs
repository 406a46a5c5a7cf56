//! The two backends a service-level case runs on: the embedded adapters
//! (SQLite, a folder) and the AWS ones (DynamoDB, S3 and SES on moto), and
//! the `App` assembled over them.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use crate::adapters::dynamodb::DynamoStore;
use crate::adapters::folder::FolderDocumentStore;
use crate::adapters::s3::S3DocumentStore;
use crate::adapters::ses::SesMailer;
use crate::adapters::sqlite::SqliteStore;
use crate::app::{App, AppBuilder, Config, Ports};
use crate::config::Settings;
use crate::domain::account::Email;
use crate::domain::catalogue::Catalogue;
use crate::domain::dossier::{reconcile_pieces, InscriptionStatus, Pieces};
use crate::domain::inscription::{validate, InscriptionInput, ValidationContext};
use crate::ports::store::{Condition, WriteOp};
use crate::ports::{Clock, DocumentStore, Mailer, Store};
use crate::records::account::{email_guard, AccountRecord};
use crate::records::dossier::InscriptionRecord;
use crate::records::history::HistoryEntry;

use super::moto::{moto_server, MotoServer};

/// Which adapters a case runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite and a folder, in a scratch directory; emails are only kept.
    Embedded,
    /// DynamoDB, S3 and SES on this process's moto server, in a fresh table
    /// and bucket.
    Moto,
}

/// Declares each listed `async fn case(backend: Backend)` as two tests,
/// `case::embedded` and `case::moto`.
#[macro_export]
macro_rules! on_both_backends {
    ($($case:ident),* $(,)?) => {
        $(
            mod $case {
                #[tokio::test]
                async fn embedded() {
                    super::$case($crate::testkit::Backend::Embedded).await
                }
                #[tokio::test]
                async fn moto() {
                    super::$case($crate::testkit::Backend::Moto).await
                }
            }
        )*
    };
}

/// The adapters of one case, each of its own (a case never sees another's
/// data, even on the moto server the process shares).
pub struct Adapters {
    pub store: Arc<dyn Store>,
    pub documents: Arc<dyn DocumentStore>,
    /// SES on moto, for a double to pass emails on to; `None` when embedded.
    pub mailer: Option<Arc<dyn Mailer>>,
    /// The embedded adapters' directory: keep it as long as they are used.
    pub scratch: Option<ScratchDir>,
}

impl Backend {
    pub async fn adapters(self) -> Adapters {
        match self {
            Backend::Embedded => embedded_adapters(),
            Backend::Moto => moto_adapters(moto_server().await).await,
        }
    }
}

fn embedded_adapters() -> Adapters {
    let scratch = ScratchDir::new();
    let store = SqliteStore::open(&scratch.path().join("examreg.sqlite3"))
        .unwrap_or_else(|e| panic!("cannot open the SQLite store: {e}"));
    let documents = FolderDocumentStore::new(
        scratch.path().join("documents"),
        "http://127.0.0.1:3000".into(),
        vec![7; 32],
    );
    Adapters {
        store: Arc::new(store),
        documents: Arc::new(documents),
        mailer: None,
        scratch: Some(scratch),
    }
}

async fn moto_adapters(server: &MotoServer) -> Adapters {
    let store = DynamoStore::new(server.dynamodb_client(), server.fresh_table().await);
    let documents = S3DocumentStore::new(server.s3_client(), server.fresh_bucket().await);
    let mailer = SesMailer::new(server.ses_client(), server.verified_sender().await);
    Adapters {
        store: Arc::new(store),
        documents: Arc::new(documents),
        mailer: Some(Arc::new(mailer)),
        scratch: None,
    }
}

/// The application for the 2022 session (the embedded calendar and
/// catalogue, as with no setting at all) over the given ports.
pub fn app(
    config: Config,
    store: Arc<dyn Store>,
    mailer: Arc<dyn Mailer>,
    documents: Arc<dyn DocumentStore>,
    clock: Arc<dyn Clock>,
) -> App {
    AppBuilder::new(&Settings::default())
        .expect("the embedded 2022 calendar and catalogue")
        .config(config)
        // Kept in memory, so that a test may check what a change published.
        .metrics(crate::metrics::MetricsSink::recorded("examreg/test"))
        .build(Ports {
            store,
            mailer,
            documents,
            clock,
        })
}

/// A mail domain no other case uses, so that a case's emails are its own
/// even in moto's SES log, which the whole process shares.
pub fn unique_domain(prefix: &str) -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!("{prefix}{}.fr", &id[..12])
}

/// The writes that make `account` exist as signup leaves it: the account
/// and its email guard (`records::account::email_guard`).
pub fn account_ops(account: &AccountRecord) -> Vec<WriteOp> {
    let email = Email::parse(&account.email_canonical).expect("a stored address parses");
    vec![
        WriteOp::put(
            account.to_item().expect("an account serialises"),
            Condition::NotExists,
        ),
        WriteOp::put(
            email_guard(&email, &account.account_id),
            Condition::NotExists,
        ),
    ]
}

/// The history line of a dossier created by its candidate at `at`.
pub fn created_line(at: DateTime<Utc>) -> HistoryEntry {
    HistoryEntry {
        at,
        actor: "candidate".into(),
        action: "created".into(),
        fields: Vec::new(),
        version: 1,
        detail: None,
    }
}

/// [`bac_pro_inscription`]'s dossier as the write path stores it, version 1,
/// registered at `created`, without files nor account: the scale tests
/// write many of it straight into the store, each with its own ids.
pub fn bac_pro_record(created: DateTime<Utc>) -> InscriptionRecord {
    let input: InscriptionInput = serde_json::from_value(bac_pro_inscription(0))
        .expect("the sample inscription is well-formed");
    let catalogue = Catalogue::embedded().expect("the embedded catalogue loads");
    let today = created.date_naive();
    let data = validate(
        &input,
        &ValidationContext {
            catalogue: &catalogue,
            session_year: 2022,
            today,
        },
    )
    .expect("the sample inscription is valid");
    let pieces = reconcile_pieces(&data, today, &Pieces::new());
    InscriptionRecord {
        record_type: "inscription".into(),
        account_id: String::new(),
        email: String::new(),
        session: "2022".into(),
        candidate_number: None,
        data,
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
    }
}

/// Anaïs Lefèvre's Bac Pro MELEC inscription at `version`: born in 1990
/// (no JDC certificate), nothing declared, so two pieces to upload.
pub fn bac_pro_inscription(version: u64) -> Value {
    json!({
        "diploma": "BAC_PRO",
        "specialty": "MELEC",
        "identity": {
            "last_name": "Lefèvre",
            "first_names": "Anaïs",
            "birth_date": "1990-05-17",
            "birth_place": "Marseille",
            "nationality": "FR",
            "address": {
                "line1": "3 boulevard Michelet",
                "postal_code": "13008",
                "city": "Marseille",
                "country": "FR"
            },
            "phone": "+33491000000"
        },
        "disability": { "declared": false, "existing_accommodation": false },
        "acquis": [],
        "version": version
    })
}

/// Zoé N'Diaye-Lefèvre's CAP Cuisine inscription at `version`: born in 1990,
/// nothing declared, a valid body for every route that reads one.
pub fn cap_cuisine_inscription(version: u64) -> Value {
    json!({
        "diploma": "CAP",
        "specialty": "CUISINE",
        "identity": {
            "last_name": "N'Diaye-Lefèvre",
            "first_names": "Zoé Anaïs",
            "birth_date": "1990-02-03",
            "birth_place": "Aix-en-Provence",
            "nationality": "FR",
            "address": {
                "line1": "12 rue de la République",
                "postal_code": "13001",
                "city": "Marseille",
                "country": "FR"
            },
            "phone": "06 12 34 56 78"
        },
        "disability": { "declared": false, "existing_accommodation": false },
        "acquis": [],
        "version": version
    })
}

/// A directory of its own under the system's temporary directory, removed
/// when dropped (the crate's `tempfile` is only a dev-dependency).
#[derive(Debug)]
pub struct ScratchDir(PathBuf);

impl ScratchDir {
    pub fn new() -> Self {
        let id = uuid::Uuid::new_v4().simple();
        let path = std::env::temp_dir().join(format!("examreg-testkit-{id}"));
        if let Err(e) = std::fs::create_dir_all(&path) {
            panic!("cannot create {}: {e}", path.display());
        }
        Self(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Default for ScratchDir {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
