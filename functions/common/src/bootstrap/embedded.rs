//! The local runner's application (feature `embedded`): its data
//! directory, its simulated clock, the embedded adapters, and the runner on
//! the AWS adapters with a simulated clock (the tests' `--backend aws`).

use std::path::Path;
use std::sync::Arc;

use anyhow::Context as _;
use chrono::{DateTime, Utc};

use super::aws_adapters;
use crate::adapters::clock::SimulatedClock;
use crate::adapters::folder::{load_or_create_signing_key, FolderDocumentStore};
use crate::adapters::outbox::OutboxMailer;
use crate::adapters::sqlite::SqliteStore;
use crate::app::{App, AppBuilder, Ports};
use crate::config::{origin_of, AwsSettings, Settings};
use crate::domain::calendar::SessionCalendar;

/// Where the embedded adapters keep their files.
pub struct DataDir<'a>(pub &'a Path);

impl DataDir<'_> {
    pub fn database(&self) -> std::path::PathBuf {
        self.0.join("examreg.sqlite3")
    }
    pub fn outbox(&self) -> std::path::PathBuf {
        self.0.join("outbox.jsonl")
    }
    pub fn documents(&self) -> std::path::PathBuf {
        self.0.join("documents")
    }
    pub fn clock(&self) -> std::path::PathBuf {
        self.0.join("clock.json")
    }
    pub fn signing_key(&self) -> std::path::PathBuf {
        self.0.join(".blob-signing-key")
    }
    pub fn exports(&self) -> std::path::PathBuf {
        self.0.join("exports")
    }
    /// The portal address the last runner served this data at, so that an
    /// admin command run beside it puts the same address in its links.
    pub fn public_url(&self) -> std::path::PathBuf {
        self.0.join("public_url")
    }
}

/// The application of the local runner, with the concrete adapters its
/// `/_local/*` routes need (the folder and the outbox exist only embedded).
pub struct Embedded {
    pub app: Arc<App>,
    pub clock: Arc<SimulatedClock>,
    pub documents: Option<Arc<FolderDocumentStore>>,
    pub outbox: Option<std::path::PathBuf>,
}

/// The local runner's builder and simulated clock in `data_dir`. `start` sets
/// the clock; without it, a clock saved by a running runner is reused, else
/// `default_start`.
fn local_start(
    data_dir: &Path,
    settings: &Settings,
    start: Option<DateTime<Utc>>,
    default_start: impl FnOnce(&SessionCalendar) -> DateTime<Utc>,
) -> anyhow::Result<(AppBuilder, Arc<SimulatedClock>)> {
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("cannot create the data directory {}", data_dir.display()))?;
    let builder = AppBuilder::new(settings)?;
    let clock = simulated_clock(&DataDir(data_dir), start, || {
        default_start(builder.calendar())
    })?;
    Ok((builder, Arc::new(clock)))
}

/// The local runner on the AWS adapters (an emulator, in tests) with its
/// simulated clock in `data_dir`: the same end-to-end tests run on both.
pub async fn local_aws_app(
    data_dir: &Path,
    settings: &Settings,
    aws: &AwsSettings,
    start: Option<DateTime<Utc>>,
    default_start: impl FnOnce(&SessionCalendar) -> DateTime<Utc>,
) -> anyhow::Result<Embedded> {
    let (builder, clock) = local_start(data_dir, settings, start, default_start)?;
    // A developer's machine: the SDK's whole loader (profile, SSO, process
    // credentials).
    let sdk = aws_config::from_env().load().await;
    let adapters = aws_adapters(aws, &sdk);
    let app = builder
        .upload_origin(adapters.upload_origin.clone())
        .build(adapters.ports(clock.clone()));
    Ok(Embedded {
        app: Arc::new(app),
        clock,
        documents: None,
        outbox: None,
    })
}

fn simulated_clock(
    dir: &DataDir<'_>,
    start: Option<DateTime<Utc>>,
    default_start: impl FnOnce() -> DateTime<Utc>,
) -> anyhow::Result<SimulatedClock> {
    Ok(match (start, SimulatedClock::load(&dir.clock())?) {
        (Some(start), _) => SimulatedClock::persistent(&dir.clock(), start)?,
        (None, Some(saved)) => saved,
        (None, None) => SimulatedClock::persistent(&dir.clock(), default_start())?,
    })
}

/// The embedded adapters in `dir`: SQLite, a folder whose signed URLs start
/// with `public_url`, an outbox.
pub struct EmbeddedAdapters {
    pub store: Arc<SqliteStore>,
    pub mailer: Arc<OutboxMailer>,
    pub documents: Arc<FolderDocumentStore>,
    pub outbox: std::path::PathBuf,
}

pub fn embedded_adapters(
    dir: &DataDir<'_>,
    public_url: &str,
    clock: Arc<SimulatedClock>,
) -> anyhow::Result<EmbeddedAdapters> {
    let signing_key = load_or_create_signing_key(&dir.signing_key())
        .with_context(|| format!("cannot read or create {}", dir.signing_key().display()))?;
    Ok(EmbeddedAdapters {
        store: Arc::new(SqliteStore::open(&dir.database())?),
        mailer: Arc::new(OutboxMailer::new(dir.outbox(), clock)),
        documents: Arc::new(FolderDocumentStore::new(
            dir.documents(),
            public_url.to_owned(),
            signing_key,
        )),
        outbox: dir.outbox(),
    })
}

/// The embedded application in `data_dir`, with its simulated clock (see
/// [`local_start`]). Uploads go to the runner itself, at the public URL.
pub fn embedded_app(
    data_dir: &Path,
    settings: &Settings,
    start: Option<DateTime<Utc>>,
    default_start: impl FnOnce(&SessionCalendar) -> DateTime<Utc>,
) -> anyhow::Result<Embedded> {
    let (builder, clock) = local_start(data_dir, settings, start, default_start)?;
    let public_url = builder.public_url().to_owned();
    let adapters = embedded_adapters(&DataDir(data_dir), &public_url, clock.clone())?;
    let app = builder
        .upload_origin(origin_of(&public_url).unwrap_or_default())
        .build(Ports {
            store: adapters.store,
            mailer: adapters.mailer,
            documents: adapters.documents.clone(),
            clock: clock.clone(),
        });
    Ok(Embedded {
        app: Arc::new(app),
        clock,
        documents: Some(adapters.documents),
        outbox: Some(adapters.outbox),
    })
}
