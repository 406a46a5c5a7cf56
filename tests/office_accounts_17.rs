//! Accounts through the runner's HTTP API (issue #17's low findings):
//! `resend-activation` answers alike for every address and the email it
//! queues still arrives at once; wrong current passwords on
//! `POST /auth/password` lock the address as wrong logins do.

#[macro_use]
mod support;

use reqwest::{Response, StatusCode};
use serde_json::json;
use support::{problem, Backend, Runner, PASSWORD};

const START: &str = "2021-10-14T09:00:00+02:00";

/// What a client can compare: the status, the headers but `date` and
/// `x-request-id` (new for every request), the body.
async fn seen(r: Response) -> (StatusCode, Vec<(String, String)>, Vec<u8>) {
    let status = r.status();
    let mut headers: Vec<(String, String)> = r
        .headers()
        .iter()
        .filter(|(name, _)| !matches!(name.as_str(), "date" | "x-request-id"))
        .map(|(name, value)| {
            (
                name.to_string(),
                value.to_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    headers.sort();
    (status, headers, r.bytes().await.unwrap().to_vec())
}

async fn resend_activation_answers_alike_and_the_link_still_arrives(backend: Backend) {
    let runner = Runner::start_on(backend, START).await;
    runner.signup("attente@exemple.fr").await;
    runner.signup_and_login("actif@exemple.fr").await;
    let resend = |email: &'static str| {
        let runner = &runner;
        async move {
            let r = runner
                .post("/auth/resend-activation", None, &json!({ "email": email }))
                .await;
            seen(r).await
        }
    };
    let pending = resend("attente@exemple.fr").await;
    let active = resend("actif@exemple.fr").await;
    let unknown = resend("personne@exemple.fr").await;
    assert_eq!(pending.0, StatusCode::ACCEPTED);
    assert_eq!(pending, unknown, "a pending account's answer is no one's");
    assert_eq!(active, unknown, "an active account's answer is no one's");

    // Delivered right after the answer, not at the next sweep.
    let mails = runner.mails_eventually("attente@exemple.fr", 2).await;
    assert_eq!(mails.len(), 2, "the signup's link, then the new one");
    let token = runner.last_token("attente@exemple.fr", "/activate").await;
    let r = runner
        .post("/auth/activate", None, &json!({ "token": token }))
        .await;
    assert_eq!(r.status(), StatusCode::OK, "the new link activates");
    let told = runner.mails_eventually("actif@exemple.fr", 2).await;
    assert_eq!(told.len(), 2, "the active account's owner is told");
    assert!(runner.mails_to("personne@exemple.fr").await.is_empty());
}

async fn wrong_current_passwords_lock_the_address(backend: Backend) {
    let runner = Runner::start_on(backend, START).await;
    let token = runner.signup_and_login("vol@exemple.fr").await;
    let change = |current: &'static str| {
        let runner = &runner;
        let token = token.clone();
        async move {
            let body = json!({
                "current_password": current,
                "new_password": "tortue-lampadaire-violon-47",
            });
            problem(runner.post("/auth/password", Some(&token), &body).await).await
        }
    };
    for _ in 0..10 {
        let (status, body) = change("mauvais-mot-de-passe").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(body["code"], "invalid_credentials");
    }
    let (status, body) = change(PASSWORD).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(body["code"], "too_many_attempts");
    let (status, body) = problem(runner.login("vol@exemple.fr").await).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(body["code"], "too_many_attempts", "the login is locked too");
}

on_both_backends!(
    resend_activation_answers_alike_and_the_link_still_arrives,
    wrong_current_passwords_lock_the_address,
);
