//! SES's bounce and complaint notifications, as the sweep function receives
//! them from the configuration set's SNS topic (and the local runner from
//! `POST /_local/mail-events`): each marks the addresses it names as
//! undeliverable (`records::deliverability`), after which the mail queue
//! no longer sends to them (`services::mailqueue`).
//!
//! A notification that is not one SES sends is refused as a whole, changes
//! nothing and is logged; it is not an error of the invocation (Lambda would
//! only deliver it again, as malformed). A store failure is one: SNS's
//! asynchronous invocation retries it.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::app::App;
use crate::domain::mail_events::{marks_of, MalformedNotification};
use crate::error::AppResult;
use crate::records::deliverability::Undeliverable;

/// What a batch of notifications did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct MailEventsReport {
    /// Addresses marked undeliverable.
    pub marked: usize,
    /// Notifications read that mark nothing (a transient bounce...).
    pub ignored: usize,
    /// Notifications refused as malformed.
    pub refused: usize,
}

/// An SNS event as Lambda receives it: only what we read of it.
#[derive(Debug, Deserialize)]
pub struct SnsEvent {
    #[serde(rename = "Records")]
    pub records: Vec<SnsRecord>,
}

#[derive(Debug, Deserialize)]
pub struct SnsRecord {
    #[serde(rename = "EventSource")]
    pub event_source: String,
    #[serde(rename = "Sns")]
    pub sns: SnsMessage,
}

#[derive(Debug, Deserialize)]
pub struct SnsMessage {
    /// The SES notification, as a JSON string.
    #[serde(rename = "Message")]
    pub message: String,
}

/// Whether a Lambda event comes from SNS (its records say `aws:sns`); the
/// sweep function's other events are its schedule's.
pub fn is_sns_event(event: &Value) -> bool {
    event
        .get("Records")
        .and_then(Value::as_array)
        .and_then(|records| records.first())
        .and_then(|record| record.get("EventSource"))
        .and_then(Value::as_str)
        == Some("aws:sns")
}

/// Records each SES notification an SNS event carries.
pub async fn record_sns_event(app: &App, event: Value) -> AppResult<MailEventsReport> {
    let mut report = MailEventsReport::default();
    let event: SnsEvent = match serde_json::from_value(event) {
        Ok(event) => event,
        Err(e) => {
            tracing::error!(error = %e, "malformed SNS event refused; nothing recorded");
            report.refused += 1;
            return Ok(report);
        }
    };
    for record in event.records {
        if record.event_source != "aws:sns" {
            tracing::error!(source = %record.event_source, "a record not from SNS refused");
            report.refused += 1;
            continue;
        }
        report.add(record_notification(app, &record.sns.message).await?);
    }
    Ok(report)
}

/// Records one SES notification (its JSON text).
pub async fn record_notification(app: &App, json: &str) -> AppResult<MailEventsReport> {
    let mut report = MailEventsReport::default();
    match marks_of(json) {
        Err(e) => {
            log_refused(&e);
            report.refused += 1;
        }
        Ok(marks) if marks.is_empty() => report.ignored += 1,
        Ok(marks) => {
            let now = app.now();
            for mark in marks {
                let record = Undeliverable::new(mark, now);
                app.store.transact(vec![record.put_op()?]).await?;
                // The address is personal data: the log names the cause only.
                tracing::warn!(cause = ?record.cause, detail = %record.detail, "address marked undeliverable; mail to it is suppressed");
                report.marked += 1;
            }
        }
    }
    Ok(report)
}

fn log_refused(error: &MalformedNotification) {
    tracing::error!(error = %error, "malformed SES notification refused; nothing recorded");
}

impl MailEventsReport {
    fn add(&mut self, other: Self) {
        self.marked += other.marked;
        self.ignored += other.ignored;
        self.refused += other.refused;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sns_events_are_told_from_schedule_events() {
        let sns = json!({"Records": [{"EventSource": "aws:sns", "Sns": {"Message": "{}"}}]});
        assert!(is_sns_event(&sns));
        assert!(!is_sns_event(&json!({"source": "schedule"})));
        assert!(!is_sns_event(
            &json!({"Records": [{"eventSource": "aws:s3"}]})
        ));
        assert!(!is_sns_event(&json!({"Records": []})));
    }
}
