//! Building the application once at start, through [`AppBuilder`]: on the
//! AWS adapters for a Lambda ([`aws_adapters`], [`aws_app`]); for the local
//! runner and the tests, on the embedded adapters ([`embedded_adapters`],
//! [`embedded_app`]) or on the AWS ones ([`local_aws_app`]), with a simulated
//! clock in a data directory (everything from [`DataDir`] on).

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
use crate::app::{App, AppBuilder, Ports};
use crate::config::{origin_of, AwsSettings, Settings};
use crate::domain::calendar::SessionCalendar;
use crate::adapters::trust_store;
use crate::http::routes::Function;
use crate::ports::Clock;

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

/// The AWS adapters: DynamoDB, SES, S3.
pub struct AwsAdapters {
    pub store: Arc<DynamoStore>,
    pub mailer: Arc<SesMailer>,
    pub documents: Arc<S3DocumentStore>,
}

impl AwsAdapters {
    /// The ports, with `clock`.
    pub fn ports(&self, clock: Arc<dyn Clock>) -> Ports {
        Ports {
            store: self.store.clone(),
            mailer: self.mailer.clone(),
            documents: self.documents.clone(),
            clock,
        }
    }
}

/// The AWS adapters of `settings`; the SDK reads its own variables,
/// `AWS_ENDPOINT_URL` included, which is how tests point them at an emulator.
pub async fn aws_adapters(settings: &AwsSettings) -> AwsAdapters {
    let mut loader = aws_config::from_env();
    // The system's bundle file alone as trust store, when it is usable: the
    // default reads the certificates directory too, at every cold start.
    if let Some(https) = trust_store::https_client_from_bundle(&trust_store::bundle_path()) {
        loader = loader.http_client(https);
    }
    let sdk = loader.load().await;
    let s3 = aws_sdk_s3::config::Builder::from(&sdk)
        .force_path_style(settings.s3_path_style)
        .build();
    let ses = sdk.clone();
    // DynamoDB serves every request: built now. SES and S3 are built on
    // first use, so that a function that never mails nor touches S3 does
    // not pay for their TLS set-up at each cold start (see BENCHMARKS.md).
    AwsAdapters {
        store: Arc::new(DynamoStore::new(
            aws_sdk_dynamodb::Client::new(&sdk),
            settings.table.clone(),
        )),
        mailer: Arc::new(SesMailer::new(
            LazyClient::new(move || aws_sdk_ses::Client::new(&ses)),
            settings.sender.clone(),
        )),
        documents: Arc::new(S3DocumentStore::new(
            LazyClient::new(move || aws_sdk_s3::Client::from_conf(s3.clone())),
            settings.bucket.clone(),
        )),
    }
}

/// A Lambda's application: its settings from the environment, read once and
/// validated (a bad or missing variable stops the function), on the AWS
/// adapters and the system clock.
pub async fn aws_app() -> anyhow::Result<Arc<App>> {
    let settings = Settings::from_env()?;
    settings.required_public_url()?;
    let aws = AwsSettings::from_env()?;
    let builder = AppBuilder::new(&settings)?.upload_origin(aws.upload_origin.clone());
    let adapters = aws_adapters(&aws).await;
    Ok(Arc::new(
        builder.build(adapters.ports(Arc::new(SystemClock))),
    ))
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
#[cfg(feature = "embedded")]
pub async fn local_aws_app(
    data_dir: &Path,
    settings: &Settings,
    aws: &AwsSettings,
    start: Option<DateTime<Utc>>,
    default_start: impl FnOnce(&SessionCalendar) -> DateTime<Utc>,
) -> anyhow::Result<Embedded> {
    let (builder, clock) = local_start(data_dir, settings, start, default_start)?;
    let adapters = aws_adapters(aws).await;
    let app = builder
        .upload_origin(aws.upload_origin.clone())
        .build(adapters.ports(clock.clone()));
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
