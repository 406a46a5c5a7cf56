//! Bounces and complaints (issue #18), each case on both backends (SQLite
//! and the outbox; DynamoDB and SES on moto): SES's notifications reach the
//! sweep function's entry point (`bootstrap::sweep_invocation`) wrapped in
//! an SNS event, exactly as the configuration set's topic delivers them. A
//! permanent bounce or a complaint marks the address: the next email to it
//! is not sent, and the office's `failed_mails` lists it with why; a
//! transient bounce or a malformed notification changes nothing.

use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

use serde_json::{json, Value};

use examreg_common::app::{App, Config};
use examreg_common::bootstrap;
use examreg_common::domain::inscription::InscriptionInput;
use examreg_common::on_both_backends;
use examreg_common::records::deliverability;
use examreg_common::services::accounts::{self, Credentials, EmailOnly, NewPassword, TokenOnly};
use examreg_common::services::admin;
use examreg_common::services::inscription;
use examreg_common::testkit::{
    self, at, bac_pro_inscription, Backend, FixedClock, RecordingMailer, ScratchDir,
};

/// Bac Pro: registration and documents windows both open.
const BOTH_OPEN: &str = "2021-10-26T08:00:00Z";
/// Within the week before the Bac Pro documents window closes (7 November):
/// the sweep owes the 7-day reminder.
const REMINDER_DUE: &str = "2021-11-01T12:00:00Z";
const PASSWORD: &str = "cheval-agrafe-batterie-correcte";
const REMINDER_SUBJECT: &str = "Rappel";

struct Fixture {
    app: Arc<App>,
    clock: Arc<FixedClock>,
    mailer: Arc<RecordingMailer>,
    domain: String,
    _scratch: Option<ScratchDir>,
}

async fn fixture(backend: Backend) -> Fixture {
    let adapters = backend.adapters().await;
    let mailer = Arc::new(RecordingMailer::new(adapters.mailer));
    let clock = Arc::new(FixedClock::new(at(BOTH_OPEN)));
    let config = Config {
        mail_rate_per_second: 1000.0,
        ..Config::default()
    };
    let app = testkit::app(
        config,
        adapters.store,
        mailer.clone(),
        adapters.documents,
        clock.clone(),
    );
    Fixture {
        app: Arc::new(app),
        clock,
        mailer,
        domain: testkit::unique_domain("b"),
        _scratch: adapters.scratch,
    }
}

/// SES's bounce notification for `to`, as event publishing writes it.
fn bounce(kind: &str, to: &str) -> Value {
    json!({
        "eventType": "Bounce",
        "bounce": {
            "bounceType": kind,
            "bounceSubType": if kind == "Permanent" { "General" } else { "MailboxFull" },
            "bouncedRecipients": [{"emailAddress": to, "action": "failed", "status": "5.1.1",
                                   "diagnosticCode": "smtp; 550 5.1.1 user unknown"}],
            "timestamp": "2021-10-26T08:05:00.000Z",
            "feedbackId": "0100017c-bounce",
            "reportingMTA": "dsn; a1-2.smtp-out.eu-west-3.amazonses.com"
        },
        "mail": {"timestamp": "2021-10-26T08:04:58.000Z", "source": "no-reply@examens.example.fr",
                 "messageId": "0100017c-mail", "destination": [to]}
    })
}

fn complaint(to: &str) -> Value {
    json!({
        "eventType": "Complaint",
        "complaint": {
            "complainedRecipients": [{"emailAddress": to}],
            "timestamp": "2021-10-26T08:06:00.000Z",
            "feedbackId": "0100017c-complaint",
            "complaintFeedbackType": "abuse"
        },
        "mail": {"timestamp": "2021-10-26T08:04:58.000Z", "messageId": "0100017c-mail",
                 "destination": [to]}
    })
}

/// The SNS event Lambda hands the sweep function for `messages` (each an
/// SES notification's JSON text).
fn sns_event(messages: &[String]) -> Value {
    let records: Vec<Value> = messages
        .iter()
        .map(|message| {
            json!({
                "EventSource": "aws:sns",
                "EventVersion": "1.0",
                "EventSubscriptionArn": "arn:aws:sns:eu-west-3:123456789012:examreg-test-mail-events:1",
                "Sns": {
                    "Type": "Notification",
                    "MessageId": "95df01b4-ee98-5cb9-9903-4c221d41eb5e",
                    "TopicArn": "arn:aws:sns:eu-west-3:123456789012:examreg-test-mail-events",
                    "Subject": null,
                    "Message": message,
                    "Timestamp": "2021-10-26T08:05:01.000Z",
                    "MessageAttributes": {}
                }
            })
        })
        .collect();
    json!({ "Records": records })
}

impl Fixture {
    /// Signs up, activates, logs in and registers for the Bac Pro: the
    /// address and the session token.
    async fn candidate(&self, name: &str) -> (String, String) {
        let email = format!("{name}@{}", self.domain);
        let credentials = || Credentials {
            email: email.clone(),
            password: PASSWORD.into(),
        };
        accounts::signup(&self.app, credentials()).await.unwrap();
        let token = self.mailer.last_token(&email, "/activate");
        accounts::activate(&self.app, TokenOnly { token })
            .await
            .unwrap();
        let token = accounts::login(&self.app, credentials())
            .await
            .unwrap()
            .token;
        let input: InscriptionInput = serde_json::from_value(bac_pro_inscription(0)).unwrap();
        inscription::save(&self.app, Some(&token), input)
            .await
            .unwrap();
        (email, token)
    }

    /// The sweep function invoked with `event`, as Lambda invokes it.
    async fn invoke(&self, event: Value) -> Value {
        bootstrap::sweep_invocation(
            &self.app,
            event,
            Instant::now() + StdDuration::from_secs(60),
        )
        .await
        .unwrap()
    }

    /// SES's notifications delivered by SNS to the sweep function.
    async fn notify(&self, notifications: &[Value]) -> Value {
        let messages: Vec<String> = notifications.iter().map(Value::to_string).collect();
        self.invoke(sns_event(&messages)).await
    }

    /// The scheduled sweep at `instant` (the 7-day reminders fall due).
    async fn sweep_at(&self, instant: &str) -> Value {
        self.clock.set(at(instant));
        self.invoke(json!({"source": "schedule"})).await
    }

    async fn failed_mails(&self) -> Vec<Value> {
        let answer = admin::handle_value(&self.app, json!({"action": "failed_mails"})).await;
        answer["items"]
            .as_array()
            .unwrap_or_else(|| panic!("failed_mails answered {answer}"))
            .clone()
    }

    async fn deliverable(&self, email: &str) -> bool {
        deliverability::is_deliverable(self.app.store.as_ref(), email)
            .await
            .unwrap()
    }

    fn reminders_to(&self, email: &str) -> usize {
        self.mailer
            .sent_to(email)
            .iter()
            .filter(|m| m.subject.contains(REMINDER_SUBJECT))
            .count()
    }
}

/// A permanent bounce, reported for the address written in another case:
/// the sweep's next email (the 7-day reminder) is not sent, the office sees
/// it in `failed_mails` with the French reason, and `GET /me` would say
/// `email_deliverable: false`; another candidate's reminder goes as usual.
async fn a_permanent_bounce_suppresses_the_next_email(backend: Backend) {
    let f = fixture(backend).await;
    let (email, _) = f.candidate("zoe.martin").await;
    let (other, _) = f.candidate("lucas").await;
    assert!(f.deliverable(&email).await);

    let report = f
        .notify(&[bounce("Permanent", &email.to_uppercase())])
        .await;
    assert_eq!(report, json!({"marked": 1, "ignored": 0, "refused": 0}));
    assert!(
        !f.deliverable(&email).await,
        "case-insensitive, as accounts"
    );
    // The office sees it on the dossier.
    let dossier = admin::handle_value(&f.app, json!({"action": "get", "email": email})).await;
    assert_eq!(dossier["email_deliverable"], json!(false), "{dossier}");
    assert_eq!(
        dossier["email_undeliverable"]["reason"],
        json!("adresse signalée comme invalide (rejet définitif)")
    );
    let other_dossier = admin::handle_value(&f.app, json!({"action": "get", "email": other})).await;
    assert_eq!(other_dossier["email_deliverable"], json!(true));
    assert!(other_dossier.get("email_undeliverable").is_none());

    let sweep = f.sweep_at(REMINDER_DUE).await;
    assert_eq!(f.reminders_to(&email), 0, "suppressed: {sweep}");
    assert_eq!(f.reminders_to(&other), 1, "the other address is served");
    assert_eq!(sweep["mails_failed"], json!(1));

    let failed = f.failed_mails().await;
    assert_eq!(failed.len(), 1, "{failed:?}");
    let item = &failed[0];
    assert_eq!(item["to"], json!(email));
    assert!(item["subject"].as_str().unwrap().contains(REMINDER_SUBJECT));
    assert_eq!(
        item["reason"],
        json!("envoi suspendu : adresse signalée comme invalide (rejet définitif)")
    );
    assert!(item["candidate_number"].is_string());
    assert!(item["first_tried_at"].is_string() && item["last_tried_at"].is_string());

    // A later sweep neither sends it nor lists it twice.
    f.sweep_at("2021-11-01T12:30:00Z").await;
    assert_eq!(f.reminders_to(&email), 0);
    assert_eq!(f.failed_mails().await.len(), 1);
}

/// A complaint marks the address too; the email a save owes (sent at once,
/// outside the queue) is suppressed and listed as well.
async fn a_complaint_suppresses_the_next_email(backend: Backend) {
    let f = fixture(backend).await;
    let (email, token) = f.candidate("camille").await;
    let before = f.mailer.sent_to(&email).len();

    f.notify(&[complaint(&email)]).await;
    assert!(!f.deliverable(&email).await);

    let mut changed = bac_pro_inscription(1);
    changed["identity"]["phone"] = json!("+33491000001");
    let input: InscriptionInput = serde_json::from_value(changed).unwrap();
    let (_, saved) = inscription::save(&f.app, Some(&token), input)
        .await
        .unwrap();
    assert_eq!(saved.version, 2, "the save itself stands");
    assert_eq!(f.mailer.sent_to(&email).len(), before, "nothing sent");

    let failed = f.failed_mails().await;
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0]["subject"], json!("Modification d'inscription"));
    assert_eq!(
        failed[0]["reason"],
        json!("envoi suspendu : le destinataire a signalé nos messages comme indésirables")
    );
}

/// A transient bounce (a full mailbox) leaves the address as it is: the
/// next email goes.
async fn a_transient_bounce_changes_nothing(backend: Backend) {
    let f = fixture(backend).await;
    let (email, _) = f.candidate("ines").await;
    let report = f.notify(&[bounce("Transient", &email)]).await;
    assert_eq!(report, json!({"marked": 0, "ignored": 1, "refused": 0}));
    assert!(f.deliverable(&email).await);
    f.sweep_at(REMINDER_DUE).await;
    assert_eq!(f.reminders_to(&email), 1);
    assert!(f.failed_mails().await.is_empty());
}

/// Notifications that are not SES's are refused, each as a whole (a good
/// recipient beside a bad one is not marked either), and change nothing.
async fn malformed_notifications_are_refused_without_effect(backend: Backend) {
    let f = fixture(backend).await;
    let (email, _) = f.candidate("malo").await;
    let mut bad_recipient = bounce("Permanent", &email);
    bad_recipient["bounce"]["bouncedRecipients"]
        .as_array_mut()
        .unwrap()
        .push(json!({"emailAddress": "pas une adresse"}));
    let mut no_type = bounce("Permanent", &email);
    no_type.as_object_mut().unwrap().remove("eventType");
    let mut no_bounce = bounce("Permanent", &email);
    no_bounce.as_object_mut().unwrap().remove("bounce");
    let messages = [
        bad_recipient.to_string(),
        no_type.to_string(),
        no_bounce.to_string(),
        "pas du JSON".to_owned(),
    ];
    let report = f.invoke(sns_event(&messages)).await;
    assert_eq!(report, json!({"marked": 0, "ignored": 0, "refused": 4}));
    // An SNS-looking event whose records are not SNS's own shape.
    let report = f
        .invoke(json!({"Records": [{"EventSource": "aws:sns", "Sns": {}}]}))
        .await;
    assert_eq!(report["refused"], json!(1));

    assert!(f.deliverable(&email).await);
    f.sweep_at(REMINDER_DUE).await;
    assert_eq!(f.reminders_to(&email), 1);
    assert!(f.failed_mails().await.is_empty());
}

/// A password set through a reset link (it reached that mailbox) lifts the
/// mark: the next email goes again.
async fn a_password_reset_by_link_clears_the_mark(backend: Backend) {
    let f = fixture(backend).await;
    let (email, _) = f.candidate("nora").await;
    f.notify(&[bounce("Permanent", &email)]).await;
    assert!(!f.deliverable(&email).await);

    accounts::request_password_reset(
        &f.app,
        EmailOnly {
            email: email.clone(),
        },
    )
    .await
    .unwrap();
    let token = f.mailer.last_token(&email, "/reset-password");
    accounts::confirm_password_reset(
        &f.app,
        NewPassword {
            token,
            password: "nouveau-cheval-agrafe-batterie".into(),
        },
    )
    .await
    .unwrap();
    assert!(f.deliverable(&email).await);
    f.sweep_at(REMINDER_DUE).await;
    assert_eq!(f.reminders_to(&email), 1);
}

on_both_backends!(
    a_permanent_bounce_suppresses_the_next_email,
    a_complaint_suppresses_the_next_email,
    a_transient_bounce_changes_nothing,
    malformed_notifications_are_refused_without_effect,
    a_password_reset_by_link_clears_the_mark,
);
