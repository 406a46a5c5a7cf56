//! The last evening and lost checks through the real runner over HTTP
//! (embedded backend). `POST /_local/checks {"hold": true}` holds the
//! runner's inline check of each upload, as when S3's notification is late
//! or lost; `{"hold": false}` runs the held checks, each as of when its file
//! was stored. The sweeps run after every move of the simulated clock.

mod support;

use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use serde_json::{json, Value};
use support::{bac_pro_melec_body, valid_pdf, Runner, BAC_PRO_BOTH_OPEN};

/// The Bac Pro documents window's last millisecond.
const DEADLINE: &str = "2021-11-07T23:59:59.999+01:00";
const ACTOR: &str = "Mme Durand (DIEC 3.05)";

async fn hold_checks(runner: &Runner, hold: bool) -> Value {
    let r = runner
        .post("/_local/checks", None, &json!({ "hold": hold }))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    r.json().await.unwrap()
}

/// A Bac Pro dossier with every piece but the identity document: the token.
async fn all_but_identity(runner: &Runner, email: &str) -> String {
    let token = runner.signup_and_login(email).await;
    runner
        .save(&token, &bac_pro_melec_body(0, "Marseille"))
        .await;
    runner
        .upload(
            &token,
            "signed_confirmation",
            "application/pdf",
            valid_pdf(),
        )
        .await;
    token
}

/// Asks for an identity document URL and PUTs a PDF through it (200).
async fn put_identity(runner: &Runner, token: &str) {
    let ticket = runner
        .upload_ticket(
            token,
            "identity_document",
            "application/pdf",
            valid_pdf().len(),
        )
        .await;
    let expires: DateTime<Utc> = ticket["expires_at"].as_str().unwrap().parse().unwrap();
    assert!(expires <= DEADLINE.parse::<DateTime<Utc>>().unwrap());
    let r = runner.put_file(&ticket, valid_pdf()).await;
    assert_eq!(r.status(), StatusCode::OK);
}

async fn status_of(runner: &Runner, email: &str) -> String {
    let token = runner.login_token(email).await;
    runner.inscription_status(&token).await
}

#[tokio::test]
async fn a_file_put_at_23_59_58_counts_when_its_check_runs_after_the_midnight_sweep() {
    let runner = Runner::start(BAC_PRO_BOTH_OPEN).await;
    let late = "derniere.minute@exemple.fr";
    let idle = "sans.depot@exemple.fr";
    all_but_identity(&runner, late).await;
    all_but_identity(&runner, idle).await;

    runner.set_clock("2021-11-07T23:59:58+01:00").await;
    let token = runner.login_token(late).await;
    assert_eq!(hold_checks(&runner, true).await["held"], 0);
    put_identity(&runner, &token).await;
    assert_eq!(hold_checks(&runner, true).await["held"], 1);

    // Midnight: the sweep cancels the dossier with nothing in flight, and
    // waits for the other.
    runner.set_clock("2021-11-08T00:00:00+01:00").await;
    assert_eq!(status_of(&runner, idle).await, "cancelled");
    assert_eq!(status_of(&runner, late).await, "registered");
    assert!(runner.mails_about(late, "annulée").await.is_empty());

    // The check comes 3 seconds after midnight.
    runner.set_clock("2021-11-08T00:00:03+01:00").await;
    let released = hold_checks(&runner, false).await;
    assert_eq!(released["checked"], 1, "{released}");
    let token = runner.login_token(late).await;
    assert_eq!(runner.inscription_status(&token).await, "complete");
    let piece = runner.piece(&token, "identity_document").await;
    assert_eq!(piece["status"], "received");
    let received: DateTime<Utc> = piece["received_at"].as_str().unwrap().parse().unwrap();
    assert!(
        received < DEADLINE.parse::<DateTime<Utc>>().unwrap(),
        "received as of the PUT, not the check: {piece}"
    );

    runner.advance("1d").await;
    assert_eq!(status_of(&runner, late).await, "complete");
    assert!(runner.mails_about(late, "annulée").await.is_empty());
}

#[tokio::test]
async fn past_the_grace_the_sweep_finds_the_file_a_lost_check_left() {
    let runner = Runner::start(BAC_PRO_BOTH_OPEN).await;
    let email = "notification.perdue@exemple.fr";
    all_but_identity(&runner, email).await;

    runner.set_clock("2021-11-07T23:59:58+01:00").await;
    let token = runner.login_token(email).await;
    hold_checks(&runner, true).await;
    put_identity(&runner, &token).await;

    runner.set_clock("2021-11-08T00:14:00+01:00").await;
    assert_eq!(status_of(&runner, email).await, "registered");
    // Fifteen minutes after the deadline, the sweep looks at the file itself.
    runner.set_clock("2021-11-08T00:15:00+01:00").await;
    assert_eq!(status_of(&runner, email).await, "complete");
    assert!(runner.mails_about(email, "annulée").await.is_empty());

    // The lost check shows up at last: nothing more happens.
    assert_eq!(hold_checks(&runner, false).await["checked"], 1);
    assert_eq!(status_of(&runner, email).await, "complete");
}

#[tokio::test]
async fn a_dropped_check_is_recovered_by_the_sweep_or_by_recheck() {
    let runner = Runner::start(BAC_PRO_BOTH_OPEN).await;
    let swept = "balayage@exemple.fr";
    let rechecked = "reverification@exemple.fr";
    let swept_token = all_but_identity(&runner, swept).await;
    let rechecked_token = all_but_identity(&runner, rechecked).await;
    hold_checks(&runner, true).await;
    put_identity(&runner, &swept_token).await;
    put_identity(&runner, &rechecked_token).await;

    // The office's recheck, for one candidate, at once.
    let answer = runner.admin(&json!({"action": "recheck", "actor": ACTOR, "email": rechecked}));
    assert_eq!(answer["status"], "complete", "{answer}");
    assert_eq!(answer["rechecked"][0]["found"], "received", "{answer}");
    assert_eq!(answer["rechecked"][0]["kind"], "identity_document");
    assert_eq!(status_of(&runner, swept).await, "registered");

    // The sweep's reconciliation, once the URL expired and its grace passed.
    runner.advance("30m").await;
    assert_eq!(status_of(&runner, swept).await, "complete");
    assert_eq!(hold_checks(&runner, false).await["checked"], 2);
}
