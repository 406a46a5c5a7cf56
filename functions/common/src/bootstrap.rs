//! Building the application once at start: on AWS for a Lambda, embedded for
//! the local runner and the tests.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context as _;
#[cfg(feature = "embedded")]
use chrono::{DateTime, Utc};

#[cfg(feature = "embedded")]
use crate::adapters::clock::SimulatedClock;
use crate::adapters::clock::SystemClock;
use crate::adapters::dynamodb::DynamoStore;
#[cfg(feature = "embedded")]
use crate::adapters::folder::{load_or_create_signing_key, FolderDocumentStore};
use crate::adapters::lazy_client::LazyClient;
#[cfg(feature = "embedded")]
use crate::adapters::outbox::OutboxMailer;
use crate::adapters::s3::S3DocumentStore;
use crate::adapters::ses::SesMailer;
#[cfg(feature = "embedded")]
use crate::adapters::sqlite::SqliteStore;
use crate::adapters::trust_store;
use crate::app::{App, Config};
use crate::calendar::SessionCalendar;
use crate::catalogue::Catalogue;
use crate::http::routes::Function;

/// JSON logs in Lambda (CloudWatch reads them), readable lines locally.
pub fn init_tracing(json: bool) {
    use tracing_subscriber::{fmt, EnvFilter};
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(std::io::stderr);
    let _ = if json {
        builder.json().flatten_event(true).without_time().try_init()
    } else {
        builder.try_init()
    };
}

fn env(name: &str) -> anyhow::Result<String> {
    std::env::var(name).with_context(|| format!("the environment variable {name} is not set"))
}

/// The session calendar and catalogue: embedded, or the files named by
/// `EXAMREG_CALENDAR_FILE` / `EXAMREG_CATALOGUE_FILE`.
pub fn reference_data(session: &str) -> anyhow::Result<(SessionCalendar, Catalogue)> {
    let calendar = match std::env::var_os("EXAMREG_CALENDAR_FILE") {
        Some(path) => SessionCalendar::from_file(Path::new(&path))?,
        None => SessionCalendar::embedded(session)?,
    };
    let catalogue = match std::env::var_os("EXAMREG_CATALOGUE_FILE") {
        Some(path) => Catalogue::from_file(Path::new(&path))?,
        None => Catalogue::embedded()?,
    };
    Ok((calendar, catalogue))
}

/// The AWS adapters, from the environment (`EXAMREG_TABLE`, `EXAMREG_SENDER`,
/// `EXAMREG_BUCKET`; the SDK's own variables, `AWS_ENDPOINT_URL` included,
/// which is how tests point them at an emulator).
pub struct AwsAdapters {
    pub store: Arc<DynamoStore>,
    pub mailer: Arc<SesMailer>,
    pub documents: Arc<S3DocumentStore>,
}

pub async fn aws_adapters() -> anyhow::Result<AwsAdapters> {
    let mut loader = aws_config::from_env();
    // The system's bundle file alone as trust store, when it is usable: the
    // default reads the certificates directory too, at every cold start.
    if let Some(https) = trust_store::https_client_from_bundle(&trust_store::bundle_path()) {
        loader = loader.http_client(https);
    }
    let sdk = loader.load().await;
    let path_style = std::env::var("EXAMREG_S3_PATH_STYLE").is_ok_and(|v| v == "true");
    let s3 = aws_sdk_s3::config::Builder::from(&sdk)
        .force_path_style(path_style)
        .build();
    let ses = sdk.clone();
    // DynamoDB serves every request: built now. SES and S3 are built on
    // first use, so that a function that never mails nor touches S3 does
    // not pay for their TLS set-up at each cold start (see BENCHMARKS.md).
    Ok(AwsAdapters {
        store: Arc::new(DynamoStore::new(
            aws_sdk_dynamodb::Client::new(&sdk),
            env("EXAMREG_TABLE")?,
        )),
        mailer: Arc::new(SesMailer::new(
            LazyClient::new(move || aws_sdk_ses::Client::new(&ses)),
            env("EXAMREG_SENDER")?,
        )),
        documents: Arc::new(S3DocumentStore::new(
            LazyClient::new(move || aws_sdk_s3::Client::from_conf(s3.clone())),
            env("EXAMREG_BUCKET")?,
        )),
    })
}

pub async fn aws_app() -> anyhow::Result<Arc<App>> {
    let session = std::env::var("EXAMREG_SESSION").unwrap_or_else(|_| "2022".into());
    let (calendar, catalogue) = reference_data(&session)?;
    let adapters = aws_adapters().await?;
    let config = Config {
        public_url: env("EXAMREG_PUBLIC_URL")?,
        mail_rate_per_second: std::env::var("EXAMREG_MAIL_RATE")
            .ok()
            .and_then(|r| r.parse().ok())
            .unwrap_or(Config::default().mail_rate_per_second),
        ..Config::default()
    };
    Ok(Arc::new(App {
        config,
        calendar,
        catalogue,
        store: adapters.store,
        mailer: adapters.mailer,
        documents: adapters.documents,
        clock: Arc::new(SystemClock),
    }))
}

/// Serves the routes of `function` in Lambda.
pub async fn run_http_function(function: Function) -> Result<(), lambda_http::Error> {
    init_tracing(true);
    let missing = crate::http::missing_handlers(&[function]);
    if !missing.is_empty() {
        let routes: Vec<String> = missing
            .iter()
            .map(|r| format!("{} {}", r.method, r.path))
            .collect();
        let error = format!(
            "{function:?} cannot serve {}: built without its Cargo feature",
            routes.join(", ")
        );
        tracing::error!(error = %error, "cannot start");
        return Err(error.into());
    }
    let app = aws_app().await.map_err(|e| {
        tracing::error!(error = %e, "cannot start");
        lambda_http::Error::from(e.to_string())
    })?;
    lambda_http::run(crate::http::router(app, &[function])).await
}

// What follows serves the local runner only (feature `embedded`): its data
// directory, its simulated clock, the embedded adapters.

/// Where the embedded adapters keep their files.
#[cfg(feature = "embedded")]
pub struct DataDir<'a>(pub &'a Path);

#[cfg(feature = "embedded")]
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
#[cfg(feature = "embedded")]
pub struct Embedded {
    pub app: Arc<App>,
    pub clock: Arc<SimulatedClock>,
    pub documents: Option<Arc<FolderDocumentStore>>,
    pub outbox: Option<std::path::PathBuf>,
}

/// The local runner on the AWS adapters (an emulator, in tests) with its
/// simulated clock in `data_dir`: the same end-to-end tests run on both.
#[cfg(feature = "embedded")]
pub async fn local_aws_app(
    data_dir: &Path,
    public_url: &str,
    start: Option<DateTime<Utc>>,
    default_start: impl FnOnce(&SessionCalendar) -> DateTime<Utc>,
    session: &str,
) -> anyhow::Result<Embedded> {
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("cannot create the data directory {}", data_dir.display()))?;
    let (calendar, catalogue) = reference_data(session)?;
    let clock = Arc::new(simulated_clock(&DataDir(data_dir), start, || {
        default_start(&calendar)
    })?);
    let adapters = aws_adapters().await?;
    let app = App {
        config: Config {
            public_url: public_url.to_owned(),
            secure_cookies: crate::app::secure_cookies_for(public_url),
            ..Config::default()
        },
        calendar,
        catalogue,
        store: adapters.store,
        mailer: adapters.mailer,
        documents: adapters.documents,
        clock: clock.clone(),
    };
    Ok(Embedded {
        app: Arc::new(app),
        clock,
        documents: None,
        outbox: None,
    })
}

#[cfg(feature = "embedded")]
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

/// The embedded application in `data_dir`, with its simulated clock.
/// `start` sets the clock; without it, a clock saved by a running runner is
/// reused, else `default_start`.
#[cfg(feature = "embedded")]
pub fn embedded_app(
    data_dir: &Path,
    public_url: &str,
    start: Option<DateTime<Utc>>,
    default_start: impl FnOnce(&SessionCalendar) -> DateTime<Utc>,
    session: &str,
) -> anyhow::Result<Embedded> {
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("cannot create the data directory {}", data_dir.display()))?;
    let dir = DataDir(data_dir);
    let (calendar, catalogue) = reference_data(session)?;
    let clock = Arc::new(simulated_clock(&dir, start, || default_start(&calendar))?);
    let signing_key = load_or_create_signing_key(&dir.signing_key())
        .with_context(|| format!("cannot read or create {}", dir.signing_key().display()))?;
    let documents = Arc::new(FolderDocumentStore::new(
        dir.documents(),
        public_url.to_owned(),
        signing_key,
    ));
    let app = App {
        config: Config {
            public_url: public_url.to_owned(),
            secure_cookies: crate::app::secure_cookies_for(public_url),
            ..Config::default()
        },
        calendar,
        catalogue,
        store: Arc::new(SqliteStore::open(&dir.database())?),
        mailer: Arc::new(OutboxMailer::new(dir.outbox(), clock.clone())),
        documents: documents.clone(),
        clock: clock.clone(),
    };
    Ok(Embedded {
        app: Arc::new(app),
        clock,
        documents: Some(documents),
        outbox: Some(dir.outbox()),
    })
}
