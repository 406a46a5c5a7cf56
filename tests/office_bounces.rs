//! Bounces and complaints end to end through the real runner: a bounce
//! simulated with `POST /_local/mail-events` (SES's notification JSON, read
//! by the same parser as the sweep function's SNS events) marks the
//! candidate's address; `GET /me` says `email_deliverable: false`, the
//! office's `get` shows it, and the next email is not sent but listed in
//! `failed_mails`. A malformed notification is refused and changes nothing.

mod support;

use reqwest::StatusCode;
use serde_json::{json, Value};
use support::{bac_pro_melec_body, Runner, BAC_PRO_BOTH_OPEN};

fn permanent_bounce(to: &str) -> Value {
    json!({
        "eventType": "Bounce",
        "bounce": {
            "bounceType": "Permanent",
            "bounceSubType": "General",
            "bouncedRecipients": [{"emailAddress": to, "diagnosticCode": "smtp; 550 5.1.1 user unknown"}],
            "timestamp": "2021-10-26T08:05:00.000Z"
        },
        "mail": {"messageId": "0100017c-mail", "destination": [to]}
    })
}

async fn me(runner: &Runner, token: &str) -> Value {
    runner.get("/me", Some(token)).await.json().await.unwrap()
}

#[tokio::test]
async fn a_simulated_bounce_shows_in_me_and_suppresses_the_next_email() {
    let runner = Runner::start(BAC_PRO_BOTH_OPEN).await;
    let email = "zoe.martin@exemple.fr";
    let token = runner.signup_and_login(email).await;
    runner
        .save(&token, &bac_pro_melec_body(0, "Marseille"))
        .await;
    assert_eq!(me(&runner, &token).await["email_deliverable"], json!(true));

    // Not SES's: refused, nothing marked.
    let r = runner
        .post("/_local/mail-events", None, &json!({"eventType": "Bounce"}))
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: Value = r.json().await.unwrap();
    assert_eq!(problem["code"], "malformed_notification");
    assert_eq!(me(&runner, &token).await["email_deliverable"], json!(true));

    let r = runner
        .post(
            "/_local/mail-events",
            None,
            &permanent_bounce("Zoe.Martin@Exemple.fr"),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let report: Value = r.json().await.unwrap();
    assert_eq!(report["marked"], json!(1));
    assert_eq!(me(&runner, &token).await["email_deliverable"], json!(false));

    let dossier = runner.admin(&json!({"action": "get", "email": email}));
    assert_eq!(dossier["email_deliverable"], json!(false), "{dossier}");

    // The 7-day reminder falls due: not sent, listed for the office.
    runner.set_clock("2021-11-01T13:00:00+01:00").await;
    let reminders = runner.mails_about(email, "Rappel").await;
    assert!(reminders.is_empty(), "{reminders:?}");
    let failed = runner.admin(&json!({"action": "failed_mails"}));
    let items = failed["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{failed}");
    assert_eq!(items[0]["to"], json!(email));
    assert_eq!(
        items[0]["reason"],
        json!("envoi suspendu : adresse signalée comme invalide (rejet définitif)")
    );
}
