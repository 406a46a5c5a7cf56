//! The sweep Lambda, on an EventBridge schedule: one run of every due job
//! (`examreg_common::services::sweep`), stopping a safety margin before the
//! invocation's deadline; the next run carries on. It answers the run's report.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use examreg_common::app::App;
use examreg_common::bootstrap;
use examreg_common::services::sweep;
use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::Value;

/// Time kept for finishing the item in hand and answering.
const SAFETY_MARGIN: Duration = Duration::from_secs(10);

/// The run's deadline: the invocation's, less the margin.
fn budget(deadline: SystemTime) -> Instant {
    let remaining = deadline
        .duration_since(SystemTime::now())
        .unwrap_or(Duration::ZERO)
        .saturating_sub(SAFETY_MARGIN);
    Instant::now() + remaining
}

async fn handle(app: Arc<App>, event: LambdaEvent<Value>) -> Result<Value, Error> {
    let deadline = budget(event.context.deadline());
    let report = sweep::run(&app, deadline).await?;
    Ok(serde_json::to_value(report)?)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    bootstrap::init_tracing(true);
    // Clients are built once per container, never per invocation.
    let app = bootstrap::aws_app()
        .await
        .map_err(|e| Error::from(format!("the sweep cannot start: {e:#}")))?;
    lambda_runtime::run(service_fn(move |event| handle(app.clone(), event))).await
}
