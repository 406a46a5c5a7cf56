//! The sweep Lambda, on an EventBridge schedule: one run of every due job
//! (`examreg_common::services::sweep`), stopping a safety margin before the
//! invocation's deadline; the next run carries on. It answers the run's report.
//! It also receives SES's bounces and complaints from the configuration
//! set's SNS topic (`bootstrap::sweep_invocation` tells them apart).

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use examreg_common::app::App;
use examreg_common::bootstrap;
use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::Value;

/// Time kept for finishing the item in hand and answering.
const SAFETY_MARGIN: Duration = Duration::from_secs(10);

/// The time the run may take: the invocation's, less the margin. Zero when
/// the deadline is already that close, or past.
fn budget(deadline: SystemTime, now: SystemTime) -> Duration {
    deadline
        .duration_since(now)
        .unwrap_or(Duration::ZERO)
        .saturating_sub(SAFETY_MARGIN)
}

async fn handle(app: Arc<App>, event: LambdaEvent<Value>) -> Result<Value, Error> {
    let invocation_deadline = event.context.deadline();
    let budget = budget(invocation_deadline, SystemTime::now());
    if budget.is_zero() {
        // A runtime that sends a relative deadline (cargo-lambda 1.9.2's
        // `watch` does) makes it look spent: the run would do nothing.
        tracing::warn!(
            deadline_ms = invocation_deadline
                .duration_since(SystemTime::UNIX_EPOCH)
                .map_or(0, |d| d.as_millis()),
            "the invocation's deadline leaves no time: this run does nothing"
        );
    }
    let deadline = Instant::now() + budget;
    Ok(bootstrap::sweep_invocation(&app, event.payload, deadline).await?)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_keeps_a_margin_and_is_zero_once_spent() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_638_400_000);
        let in_a_minute = now + Duration::from_secs(60);
        assert_eq!(budget(in_a_minute, now), Duration::from_secs(50));
        assert_eq!(budget(now + Duration::from_secs(5), now), Duration::ZERO);
        // A relative deadline (900,000 ms) read as an instant: 1970.
        let relative = SystemTime::UNIX_EPOCH + Duration::from_millis(900_000);
        assert_eq!(budget(relative, now), Duration::ZERO);
    }
}
