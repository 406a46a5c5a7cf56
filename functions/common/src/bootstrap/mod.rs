//! Building the application once at start, through [`AppBuilder`]: on the
//! AWS adapters for a Lambda ([`aws_adapters`], [`aws_app`]); for the local
//! runner and the tests, on the embedded adapters ([`embedded_adapters`],
//! [`embedded_app`]) or on the AWS ones ([`local_aws_app`]), with a simulated
//! clock in a data directory (everything from [`DataDir`] on).

use std::sync::Arc;

use crate::adapters::clock::SystemClock;
use crate::adapters::dynamodb::DynamoStore;
use crate::app::{App, AppBuilder, Ports};
use crate::config::{AwsSettings, ConfigError, Settings};
use crate::http::routes::Function;
use crate::metrics::MetricsSink;
use crate::ports::{Clock, DocumentStore, Mailer};

/// JSON logs in Lambda (CloudWatch reads them), readable lines locally.
/// `RUST_LOG` holds `target=level` directives or one level (the template's
/// LogLevel); unset or malformed, `info`. Read with `filter::Targets` rather
/// than `EnvFilter`, whose regex engine weighed in every Lambda
/// (BENCHMARKS.md, « Lambda artefacts »).
pub fn init_tracing(json: bool) {
    use tracing_subscriber::filter::{LevelFilter, Targets};
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    use tracing_subscriber::{fmt, Layer};
    let filter = std::env::var("RUST_LOG")
        .ok()
        .and_then(|directives| directives.parse::<Targets>().ok())
        .unwrap_or_else(|| Targets::new().with_default(LevelFilter::INFO));
    let layer = fmt::layer().with_target(false).with_writer(std::io::stderr);
    let layer = if json {
        layer
            .json()
            .flatten_event(true)
            .without_time()
            .with_filter(filter)
            .boxed()
    } else {
        layer.with_filter(filter).boxed()
    };
    let _ = tracing_subscriber::registry().with(layer).try_init();
}

/// The AWS adapters: DynamoDB, and SES and S3 where this build has them
/// (features `ses`, `s3`; otherwise the refusing ports of
/// [`absent`](crate::adapters::absent)).
pub struct AwsAdapters {
    pub store: Arc<DynamoStore>,
    pub mailer: Arc<dyn Mailer>,
    pub documents: Arc<dyn DocumentStore>,
    /// Where the presigned upload URLs point, in the region the SDK
    /// resolved: the portal's `connect-src` allows exactly it.
    pub upload_origin: String,
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

/// The AWS adapters of `settings`, their clients built from `sdk` (in a
/// Lambda, [`sdk_config::lambda`](crate::adapters::sdk_config::lambda)),
/// each pointed at its service's endpoint when `settings` names one (an
/// emulator, in tests).
pub fn aws_adapters(settings: &AwsSettings, sdk: &aws_config::SdkConfig) -> AwsAdapters {
    // DynamoDB serves every request: built now. SES and S3 are built on
    // first use, so that a function that never mails nor touches S3 does
    // not pay for their TLS set-up at each cold start (see BENCHMARKS.md).
    let mut dynamodb = aws_sdk_dynamodb::config::Builder::from(sdk);
    if let Some(endpoint) = &settings.endpoints.dynamodb {
        dynamodb = dynamodb.endpoint_url(endpoint);
    }
    AwsAdapters {
        store: Arc::new(DynamoStore::new(
            aws_sdk_dynamodb::Client::from_conf(dynamodb.build()),
            settings.table.clone(),
        )),
        mailer: mailer(sdk, settings),
        documents: documents(sdk, settings),
        upload_origin: settings.upload_origin_in(sdk.region().map(|r| r.as_ref())),
    }
}

#[cfg(feature = "ses")]
fn mailer(sdk: &aws_config::SdkConfig, settings: &AwsSettings) -> Arc<dyn Mailer> {
    use crate::adapters::lazy_client::LazyClient;
    use crate::adapters::ses::SesMailer;
    let mut ses = aws_sdk_ses::config::Builder::from(sdk);
    if let Some(endpoint) = &settings.endpoints.ses {
        ses = ses.endpoint_url(endpoint);
    }
    let ses = ses.build();
    let mailer = SesMailer::new(
        LazyClient::new(move || aws_sdk_ses::Client::from_conf(ses.clone())),
        settings.sender.clone(),
    );
    // Its bounces and complaints then reach the sweep function.
    Arc::new(match &settings.ses_configuration_set {
        Some(name) => mailer.with_configuration_set(name),
        None => mailer,
    })
}

#[cfg(not(feature = "ses"))]
fn mailer(_: &aws_config::SdkConfig, _: &AwsSettings) -> Arc<dyn Mailer> {
    Arc::new(crate::adapters::absent::NoMailer)
}

#[cfg(feature = "s3")]
fn documents(sdk: &aws_config::SdkConfig, settings: &AwsSettings) -> Arc<dyn DocumentStore> {
    use crate::adapters::lazy_client::LazyClient;
    use crate::adapters::s3::S3DocumentStore;
    let mut s3 = aws_sdk_s3::config::Builder::from(sdk).force_path_style(settings.s3_path_style);
    if let Some(endpoint) = &settings.endpoints.s3 {
        s3 = s3.endpoint_url(endpoint);
    }
    let s3 = s3.build();
    Arc::new(S3DocumentStore::new(
        LazyClient::new(move || aws_sdk_s3::Client::from_conf(s3.clone())),
        settings.bucket.clone(),
    ))
}

#[cfg(not(feature = "s3"))]
fn documents(_: &aws_config::SdkConfig, _: &AwsSettings) -> Arc<dyn DocumentStore> {
    Arc::new(crate::adapters::absent::NoDocumentStore)
}

/// A Lambda's application: its settings from the environment, read once and
/// validated (a bad or missing variable stops the function), on the AWS
/// adapters and the system clock.
pub async fn aws_app() -> anyhow::Result<Arc<App>> {
    let settings = Settings::from_env()?;
    settings.required_public_url()?;
    let aws = AwsSettings::from_env()?;
    let region = aws
        .region
        .as_deref()
        .ok_or(ConfigError::Missing("AWS_REGION"))?;
    let adapters = aws_adapters(&aws, &crate::adapters::sdk_config::lambda(region));
    let builder = AppBuilder::new(&settings)?
        .upload_origin(adapters.upload_origin.clone())
        .metrics(MetricsSink::Emf {
            namespace: aws.metrics_namespace.clone(),
        });
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

mod sweep;
pub use sweep::invocation as sweep_invocation;

#[cfg(feature = "admin")]
mod admin;
#[cfg(feature = "admin")]
pub use admin::{invocation as admin_invocation, is_http_event, run_admin_function};

#[cfg(feature = "embedded")]
mod embedded;
#[cfg(feature = "embedded")]
pub use embedded::{
    embedded_adapters, embedded_app, local_aws_app, DataDir, Embedded, EmbeddedAdapters,
};
