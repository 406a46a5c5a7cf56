//! The sweep function's invocations: its schedule's events run the sweep;
//! SNS events carry SES's bounce and complaint notifications for the mail
//! it delivers (`services::mail_events`). One entry point, which the thin
//! binary calls and the tests call as it does.

use std::time::Instant;

use serde_json::Value;

use crate::app::App;
use crate::services::{mail_events, sweep};

/// Answers one invocation of the sweep function with its report: the
/// sweep's (until `deadline`), or the notifications' recorded.
pub async fn invocation(app: &App, event: Value, deadline: Instant) -> anyhow::Result<Value> {
    if mail_events::is_sns_event(&event) {
        let report = mail_events::record_sns_event(app, event).await?;
        return Ok(serde_json::to_value(report)?);
    }
    let report = sweep::run(app, deadline).await?;
    Ok(serde_json::to_value(report)?)
}
