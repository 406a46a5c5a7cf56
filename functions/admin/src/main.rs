//! The admin Lambda, invoked with a JSON event from the AWS console, e.g.
//! `{"action": "list", "diploma": "CAP"}`. It always answers JSON: the
//! action's result or `{"error": {"code", "message"}}`, never a panic.

use std::sync::Arc;

use examreg_common::app::App;
use examreg_common::bootstrap;
use examreg_common::services::admin;
use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::{json, Value};

/// The payload comes as plain JSON and is read into the typed
/// [`admin::AdminEvent`] by the shared parser (`admin::handle_value`, as the
/// runner's `examreg admin` does), not by lambda_runtime's serde into a
/// `LambdaEvent<AdminEvent>`: the runtime would fail the invocation on a
/// refused event with serde's English message, where the contract answers
/// `{"error": {"code", "message", "field"}}` in French.
async fn handle(app: Arc<App>, event: LambdaEvent<Value>) -> Result<Value, Error> {
    // Run on its own task so that even a bug that panics answers JSON.
    let answer = tokio::spawn(async move { admin::handle_value(&app, event.payload).await }).await;
    Ok(answer.unwrap_or_else(|_| {
        json!({"error": {
            "code": "internal_error",
            "message": "Une erreur inattendue s'est produite. Elle a été enregistrée ; réessayez plus tard."
        }})
    }))
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    bootstrap::init_tracing(true);
    // Clients are built once per container, never per invocation.
    let app = bootstrap::aws_app()
        .await
        .map_err(|e| Error::from(format!("the admin function cannot start: {e:#}")))?;
    lambda_runtime::run(service_fn(move |event| handle(app.clone(), event))).await
}
