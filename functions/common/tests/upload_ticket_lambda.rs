//! Upload tickets as the S3 adapter makes them inside Lambda.
//!
//! There, `lambda_runtime` sets `_X_AMZN_TRACE_ID` and the AWS SDK's
//! recursion detection adds an `x-amzn-trace-id` header to every request it
//! builds, presigned ones included. A ticket listing it makes the browser
//! ask S3's CORS for a header the bucket does not allow, so every upload
//! from the portal failed. This test binary sets Lambda's environment for
//! the whole process (a binary of its own, so no other test runs with it).

use examreg_common::testkit::files::valid_pdf;
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use chrono::Utc;
use examreg_common::adapters::s3::{S3DocumentStore, UPLOAD_TICKET_HEADERS};
use examreg_common::ports::{DocumentStore, PresignedUpload};
use examreg_common::testkit::moto_server;
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt as _};

const TRACE_ID: &str = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";
const KEY: &str = "candidates/lambda/signed_confirmation/0123456789abcdef0123456789abcdef";

/// Warnings from the S3 adapter: one means a header reached the presigned
/// request and only the ticket's allow-list kept it out.
static ADAPTER_WARNINGS: AtomicUsize = AtomicUsize::new(0);

struct CountAdapterWarnings;

impl<S: Subscriber> Layer<S> for CountAdapterWarnings {
    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        let metadata = event.metadata();
        if *metadata.level() == Level::WARN && metadata.target().ends_with("adapters::s3") {
            ADAPTER_WARNINGS.fetch_add(1, Ordering::SeqCst);
        }
    }
}

/// What the Lambda runtime sets in every function's environment.
fn enter_lambda() {
    std::env::set_var("AWS_LAMBDA_FUNCTION_NAME", "examreg-test-documents");
    std::env::set_var("_X_AMZN_TRACE_ID", TRACE_ID);
}

fn lowercase_names(ticket: &PresignedUpload) -> BTreeSet<String> {
    ticket
        .headers
        .keys()
        .map(|n| n.to_ascii_lowercase())
        .collect()
}

/// The headers the URL's signature covers (`X-Amz-SignedHeaders`).
fn signed_headers(ticket: &PresignedUpload) -> BTreeSet<String> {
    let url = url::Url::parse(&ticket.upload_url).expect("upload URL");
    let signed = url
        .query_pairs()
        .find(|(name, _)| name == "X-Amz-SignedHeaders")
        .map(|(_, value)| value.into_owned())
        .expect("a SigV4 presigned URL");
    signed.split(';').map(str::to_owned).collect()
}

/// A PUT to the ticket's URL with exactly its headers, as the portal sends it.
async fn put(ticket: &PresignedUpload, bytes: &[u8]) -> reqwest::Response {
    let mut request = reqwest::Client::new().put(&ticket.upload_url);
    for (name, value) in &ticket.headers {
        request = request.header(name, value);
    }
    request.body(bytes.to_vec()).send().await.expect("PUT")
}

async fn ticket_in_lambda() {
    let moto = moto_server().await;
    let store = S3DocumentStore::new(moto.s3_client(), moto.fresh_bucket().await);
    let ticket = store
        .presign_put(
            KEY,
            "application/pdf",
            valid_pdf().len() as u64,
            Utc::now(),
            Duration::from_secs(600),
        )
        .await
        .expect("a presigned upload");

    assert_eq!(
        ADAPTER_WARNINGS.load(Ordering::SeqCst),
        0,
        "the trace header reached the presigned request"
    );
    let names = lowercase_names(&ticket);
    assert!(
        !names.contains("x-amzn-trace-id"),
        "the ticket lists the trace header: {:?}",
        ticket.headers
    );
    let allowed: BTreeSet<String> = UPLOAD_TICKET_HEADERS
        .iter()
        .map(|h| h.to_string())
        .collect();
    assert_eq!(names, allowed, "{:?}", ticket.headers);
    assert_eq!(ticket.headers["Content-Type"], "application/pdf");
    assert_eq!(
        ticket.headers["Content-Length"],
        valid_pdf().len().to_string()
    );

    // Everything signed is sent: the ticket's headers, and Host.
    let signed = signed_headers(&ticket);
    assert!(!signed.contains("x-amzn-trace-id"), "{signed:?}");
    let mut sent = names.clone();
    sent.insert("host".to_owned());
    assert!(signed.is_subset(&sent), "signed {signed:?}, sent {sent:?}");

    let response = put(&ticket, valid_pdf()).await;
    let status = response.status();
    assert!(
        status.is_success(),
        "{status}: {}",
        response.text().await.unwrap_or_default()
    );
    assert_eq!(store.get(KEY).await.unwrap().as_deref(), Some(valid_pdf()));
}

/// One test only: the environment is set before any other thread exists.
#[test]
fn an_upload_ticket_made_inside_lambda_carries_no_trace_header_and_works() {
    enter_lambda();
    tracing::subscriber::set_global_default(
        tracing_subscriber::registry().with(CountAdapterWarnings),
    )
    .expect("no other subscriber");
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
        .block_on(ticket_in_lambda());
}
