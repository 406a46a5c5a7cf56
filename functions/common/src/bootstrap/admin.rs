//! The admin function's invocations (feature `admin`): a JSON event from the
//! AWS console, as ever, or an HTTP API (payload 2.0) event of the Office
//! API, routed like the other functions' requests (lambda_http's request and
//! response conversions, the same router and edge layers). One function, two
//! doors: the contract's "functions: admin".

use std::sync::Arc;

use lambda_http::request::LambdaRequest;
use lambda_http::{LambdaEvent, Service as _};
use serde_json::{json, Value};

use crate::app::App;
use crate::http::routes::Function;
use crate::services::admin;

/// Whether `payload` is an HTTP API event: payload 2.0 always has
/// `requestContext.http`; a console event never does (it names an `action`).
pub fn is_http_event(payload: &Value) -> bool {
    payload
        .get("requestContext")
        .and_then(|context| context.get("http"))
        .is_some_and(Value::is_object)
}

/// The console's answer to a bug that panicked.
fn internal_error() -> Value {
    json!({"error": {
        "code": "internal_error",
        "message": "Une erreur inattendue s'est produite. Elle a été enregistrée ; réessayez plus tard."
    }})
}

/// Answers one invocation of the admin function: the router's HTTP answer
/// (as API Gateway reads it) for an HTTP API event, else the console event's
/// JSON answer (never an error: a refusal is `{"error": ...}`).
pub async fn invocation(
    app: Arc<App>,
    router: axum::Router,
    event: LambdaEvent<Value>,
) -> Result<Value, lambda_http::Error> {
    let LambdaEvent { payload, context } = event;
    if is_http_event(&payload) {
        let request: LambdaRequest = serde_json::from_value(payload)?;
        // lambda_http's own adapter (what `lambda_http::run` serves the
        // other functions with): the request with its context (the JWT
        // authorizer's claims), the answer in payload 2.0's shape.
        let mut adapter = lambda_http::Adapter::from(router);
        let response = adapter.call(LambdaEvent::new(request, context)).await?;
        return Ok(serde_json::to_value(response)?);
    }
    // Run on its own task so that even a bug that panics answers JSON.
    let answer = tokio::spawn(async move { admin::handle_value(&app, payload).await }).await;
    Ok(answer.unwrap_or_else(|_| internal_error()))
}

/// The admin function's main loop: the application and the router built
/// once per container, then every invocation through [`invocation`].
pub async fn run_admin_function() -> Result<(), lambda_http::Error> {
    super::init_tracing(true);
    let app = super::aws_app().await.map_err(|e| {
        tracing::error!(error = %e, "cannot start");
        lambda_http::Error::from(format!("the admin function cannot start: {e:#}"))
    })?;
    let router = crate::http::router(app.clone(), &[Function::Admin]);
    lambda_http::lambda_runtime::run(lambda_http::service_fn(move |event| {
        invocation(app.clone(), router.clone(), event)
    }))
    .await
}

#[cfg(test)]
mod tests {
    use super::is_http_event;
    use serde_json::json;

    #[test]
    fn an_http_api_event_is_told_from_a_console_event() {
        assert!(is_http_event(&json!({
            "version": "2.0", "routeKey": "POST /office/actions",
            "requestContext": {"http": {"method": "POST", "path": "/office/actions"}}
        })));
        assert!(!is_http_event(&json!({"action": "list"})));
        assert!(!is_http_event(
            &json!({"action": "get", "requestContext": "x"})
        ));
    }
}
