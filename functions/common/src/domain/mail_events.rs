//! What SES tells us about the mail it could not deliver (bounces) or that
//! its recipient refused (complaints), and which addresses that makes
//! undeliverable. Pure: the notification's JSON in, marks out.
//!
//! SES publishes these events through the configuration set's SNS
//! destination (`template.yaml`): each SNS record's `Message` is the SES
//! event as a JSON string. The same JSON reaches the local runner's
//! `POST /_local/mail-events`, so one parser serves both.
//!
//! Which events mark an address:
//! - a **permanent** bounce (the mailbox or the domain does not exist, or
//!   SES's suppression list holds it): sending again cannot succeed and each
//!   new attempt raises the account's bounce rate, which SES watches;
//! - **any** complaint: the recipient (or their provider's filter) marked our
//!   mail as spam; each new message risks another complaint, and SES puts an
//!   account under review from a complaint rate of 0.1 %;
//! - a **transient** bounce (mailbox full, message too large, a greylisting
//!   or an out-of-office reply) does **not**: the mailbox exists and the next
//!   message may well arrive. SES has already retried it for hours.
//!
//! Other events (`Delivery`, `Send`, `Open`...) are not marked; the
//! configuration set publishes only bounces and complaints.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::domain::account::Email;

/// Why an address was marked undeliverable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MarkCause {
    /// A permanent bounce.
    Bounce,
    /// A complaint (the mail was reported as spam).
    Complaint,
}

impl MarkCause {
    /// What the office reads in `failed_mails` for a mail not sent because
    /// of this mark.
    pub fn reason_fr(self) -> &'static str {
        match self {
            Self::Bounce => "adresse signalée comme invalide (rejet définitif)",
            Self::Complaint => "le destinataire a signalé nos messages comme indésirables",
        }
    }
}

/// One address to mark undeliverable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mark {
    /// The address, canonical (lower-cased, its domain in ASCII), as
    /// accounts are keyed.
    pub address: String,
    pub cause: MarkCause,
    /// SES's words for it: the bounce's sub-type and diagnostic, or the
    /// complaint's feedback type, for the operator.
    pub detail: String,
    /// When the receiving side reported it (SES's timestamp).
    pub reported_at: DateTime<Utc>,
}

/// A notification that is not one SES sends: refused as a whole.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MalformedNotification {
    #[error("not a JSON SES notification: {0}")]
    Json(String),
    #[error("a {0} notification without its `{1}` object")]
    MissingPart(&'static str, &'static str),
    #[error("a notification with no recipient")]
    NoRecipient,
    #[error("a recipient that is not an email address: {0:?}")]
    BadAddress(String),
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SesNotification {
    /// Set by event publishing (a configuration set's destination).
    event_type: Option<String>,
    /// Set by an identity's feedback notifications: the same events.
    notification_type: Option<String>,
    bounce: Option<Bounce>,
    complaint: Option<Complaint>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Bounce {
    bounce_type: BounceType,
    #[serde(default)]
    bounce_sub_type: Option<String>,
    bounced_recipients: Vec<Recipient>,
    timestamp: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
enum BounceType {
    Permanent,
    Transient,
    Undetermined,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Complaint {
    complained_recipients: Vec<Recipient>,
    timestamp: DateTime<Utc>,
    #[serde(default)]
    complaint_feedback_type: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Recipient {
    email_address: String,
    #[serde(default)]
    diagnostic_code: Option<String>,
}

/// The addresses a SES notification (its JSON text) marks undeliverable:
/// none for a transient bounce or an event of another type; an error, and
/// no mark at all, for a notification that is not one SES sends.
pub fn marks_of(json: &str) -> Result<Vec<Mark>, MalformedNotification> {
    let notification: SesNotification =
        serde_json::from_str(json).map_err(|e| MalformedNotification::Json(e.to_string()))?;
    let kind = notification
        .event_type
        .or(notification.notification_type)
        .ok_or_else(|| {
            MalformedNotification::Json("neither `eventType` nor `notificationType`".into())
        })?;
    match kind.as_str() {
        "Bounce" => {
            let bounce = notification
                .bounce
                .ok_or(MalformedNotification::MissingPart("Bounce", "bounce"))?;
            let recipients = parsed(&bounce.bounced_recipients)?;
            if bounce.bounce_type != BounceType::Permanent {
                return Ok(Vec::new());
            }
            let sub_type = bounce.bounce_sub_type.unwrap_or_default();
            Ok(recipients
                .into_iter()
                .map(|(address, recipient)| Mark {
                    address,
                    cause: MarkCause::Bounce,
                    detail: match &recipient.diagnostic_code {
                        Some(code) => format!("{sub_type}: {code}"),
                        None => sub_type.clone(),
                    },
                    reported_at: bounce.timestamp,
                })
                .collect())
        }
        "Complaint" => {
            let complaint = notification
                .complaint
                .ok_or(MalformedNotification::MissingPart("Complaint", "complaint"))?;
            let recipients = parsed(&complaint.complained_recipients)?;
            let detail = complaint.complaint_feedback_type.unwrap_or_default();
            Ok(recipients
                .into_iter()
                .map(|(address, _)| Mark {
                    address,
                    cause: MarkCause::Complaint,
                    detail: detail.clone(),
                    reported_at: complaint.timestamp,
                })
                .collect())
        }
        _ => Ok(Vec::new()),
    }
}

/// Each recipient with its canonical address; every one must be an address.
fn parsed(recipients: &[Recipient]) -> Result<Vec<(String, &Recipient)>, MalformedNotification> {
    if recipients.is_empty() {
        return Err(MalformedNotification::NoRecipient);
    }
    recipients
        .iter()
        .map(|r| {
            canonical_address(&r.email_address)
                .map(|address| (address, r))
                .ok_or_else(|| MalformedNotification::BadAddress(r.email_address.clone()))
        })
        .collect()
}

/// The canonical form of `address` (as accounts are keyed), or `None` when
/// it is not an address.
pub fn canonical_address(address: &str) -> Option<String> {
    Email::parse(address).ok().map(|e| e.canonical().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn bounce(kind: &str, to: &[&str]) -> String {
        let recipients: Vec<_> = to
            .iter()
            .map(|a| json!({"emailAddress": a, "action": "failed", "status": "5.1.1", "diagnosticCode": "smtp; 550 5.1.1 user unknown"}))
            .collect();
        json!({
            "eventType": "Bounce",
            "bounce": {"bounceType": kind, "bounceSubType": "General",
                       "bouncedRecipients": recipients,
                       "timestamp": "2021-10-27T08:00:00.000Z", "feedbackId": "x"},
            "mail": {"timestamp": "2021-10-27T07:59:58.000Z", "messageId": "m", "destination": to}
        })
        .to_string()
    }

    #[test]
    fn a_permanent_bounce_marks_each_recipient_by_its_canonical_address() {
        let marks = marks_of(&bounce("Permanent", &["Zoe.Martin@Exemple.FR"])).unwrap();
        assert_eq!(
            marks,
            vec![Mark {
                address: "zoe.martin@exemple.fr".into(),
                cause: MarkCause::Bounce,
                detail: "General: smtp; 550 5.1.1 user unknown".into(),
                reported_at: "2021-10-27T08:00:00Z".parse().unwrap(),
            }]
        );
    }

    #[test]
    fn a_transient_or_undetermined_bounce_marks_nothing() {
        assert_eq!(marks_of(&bounce("Transient", &["a@b.fr"])).unwrap(), vec![]);
        assert_eq!(
            marks_of(&bounce("Undetermined", &["a@b.fr"])).unwrap(),
            vec![]
        );
    }

    #[test]
    fn any_complaint_marks_and_identity_notifications_read_the_same() {
        let complaint = json!({
            "notificationType": "Complaint",
            "complaint": {"complainedRecipients": [{"emailAddress": "a@b.fr"}],
                          "timestamp": "2021-10-27T08:00:00Z"},
            "mail": {}
        });
        let marks = marks_of(&complaint.to_string()).unwrap();
        assert_eq!(marks.len(), 1);
        assert_eq!(marks[0].cause, MarkCause::Complaint);
        assert_eq!(marks[0].address, "a@b.fr");
    }

    #[test]
    fn other_events_mark_nothing() {
        let delivery = json!({"eventType": "Delivery", "delivery": {}, "mail": {}});
        assert_eq!(marks_of(&delivery.to_string()).unwrap(), vec![]);
    }

    #[test]
    fn a_malformed_notification_is_refused_as_a_whole() {
        assert!(matches!(
            marks_of("not json"),
            Err(MalformedNotification::Json(_))
        ));
        assert!(matches!(
            marks_of("{}"),
            Err(MalformedNotification::Json(_))
        ));
        assert_eq!(
            marks_of(&json!({"eventType": "Bounce"}).to_string()),
            Err(MalformedNotification::MissingPart("Bounce", "bounce"))
        );
        assert_eq!(
            marks_of(&bounce("Permanent", &[])),
            Err(MalformedNotification::NoRecipient)
        );
        // One bad recipient: no mark for the good one either.
        assert_eq!(
            marks_of(&bounce("Permanent", &["a@b.fr", "pas une adresse"])),
            Err(MalformedNotification::BadAddress("pas une adresse".into()))
        );
        assert!(matches!(
            marks_of(&bounce("Sometimes", &["a@b.fr"])),
            Err(MalformedNotification::Json(_))
        ));
    }
}
