//! The admin Lambda: invoked with a JSON event from the AWS console, e.g.
//! `{"action": "list", "diploma": "CAP"}`, answered in JSON (the action's
//! result or `{"error": {"code", "message"}}`, never a panic); and behind the
//! HTTP API for the Office API (`POST /office/actions`, `GET /office/config`),
//! whose payload 2.0 events go through the shared router. Everything is in
//! the shared crate (`bootstrap::run_admin_function`).
//!
//! The console's payload comes as plain JSON and is read into the typed
//! admin event by the shared parser, not by lambda_runtime's serde: the
//! runtime would fail the invocation on a refused event with serde's English
//! message, where the contract answers `{"error": {"code", "message",
//! "field"}}` in French.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    examreg_common::bootstrap::run_admin_function().await
}
