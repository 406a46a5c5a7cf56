//! Accounts (issue #17, item 2) end to end through the runner's HTTP API, on
//! both backends: account pre-hijacking, the sign-in link while the address
//! is locked, changing the password and signing out everywhere; and the
//! low findings: `resend-activation` answers alike for every address while
//! the email it queues still arrives at once, and wrong current passwords on
//! `POST /auth/password` lock the address as wrong logins do.

#[macro_use]
mod support;

use reqwest::{Response, StatusCode};
use serde_json::{json, Value};
use support::{problem, Backend, Runner, PASSWORD};

const START: &str = "2021-10-14T09:00:00+02:00";
const ATTACKER_PASSWORD: &str = "pirate-lampadaire-violon-4711";
const NEW_PASSWORD: &str = "tortue-lampadaire-violon-47";

async fn login_with(runner: &Runner, email: &str, password: &str) -> reqwest::Response {
    runner
        .post(
            "/auth/login",
            None,
            &json!({ "email": email, "password": password }),
        )
        .await
}

/// Someone signs up with the victim's address and a password of theirs; the
/// victim signs up too and activates from the newest email: the attacker's
/// password fails, the victim's works, the attacker's link is void.
async fn a_pre_hijacker_s_password_never_becomes_usable(backend: Backend) {
    let runner = Runner::start_on(backend, START).await;
    let victim = "victime.pre-hijack@exemple.fr";
    for password in [ATTACKER_PASSWORD, PASSWORD] {
        let r = runner
            .post(
                "/auth/signup",
                None,
                &json!({ "email": victim, "password": password }),
            )
            .await;
        assert_eq!(r.status(), StatusCode::ACCEPTED);
    }
    let again = runner.mails_about(victim, "nouvelle demande").await;
    assert_eq!(again.len(), 1, "the second signup's email");
    let text = again[0]["text"].as_str().unwrap();
    assert!(text.contains("avait déjà été faite auparavant"), "{text}");

    let tokens = runner.link_tokens(victim, "/activate").await;
    assert_eq!(tokens.len(), 2, "one email per signup");
    let r = runner
        .post("/auth/activate", None, &json!({ "token": tokens[1] }))
        .await;
    assert_eq!(r.status(), StatusCode::OK, "the newest link activates");

    let (status, body) = problem(login_with(&runner, victim, ATTACKER_PASSWORD).await).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the attacker's password fails"
    );
    assert_eq!(body["code"], "invalid_credentials");
    assert_eq!(runner.login(victim).await.status(), StatusCode::OK);

    let (status, body) = problem(
        runner
            .post("/auth/activate", None, &json!({ "token": tokens[0] }))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "the attacker's link is void");
    assert_eq!(body["code"], "invalid_token");
}

/// Ten wrong passwords lock the address; the sign-in link still signs the
/// owner in, with the same answer and cookie as `/auth/login`, once.
async fn a_sign_in_link_works_while_the_address_is_locked(backend: Backend) {
    let runner = Runner::start_on(backend, START).await;
    let email = "lien.connexion@exemple.fr";
    runner.signup_and_login(email).await;
    for _ in 0..10 {
        login_with(&runner, email, "pas-le-bon-mot-de-passe").await;
    }
    let (status, body) = problem(runner.login(email).await).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(body["code"], "too_many_attempts");

    let r = runner
        .post("/auth/login-link", None, &json!({ "email": email }))
        .await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let unknown = runner
        .post(
            "/auth/login-link",
            None,
            &json!({ "email": "personne@exemple.fr" }),
        )
        .await;
    assert_eq!(unknown.status(), StatusCode::ACCEPTED);
    assert_eq!(
        unknown.json::<Value>().await.unwrap(),
        r.json::<Value>().await.unwrap(),
        "the same answer for an unknown address"
    );
    let text = runner.mails_about(email, "lien de connexion").await[0]["text"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(text.contains(&format!("{}/login-link?token=", runner.base_url)));
    let token = runner.last_token(email, "/login-link").await;

    let page = runner.get("/login-link", None).await;
    assert_eq!(page.status(), StatusCode::OK, "the portal's page");

    let r = runner
        .post("/auth/login-link/confirm", None, &json!({ "token": token }))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
    let body: Value = r.json().await.unwrap();
    assert_eq!(
        body.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["expires_at", "token"]
    );
    let bearer = body["token"].as_str().unwrap();
    assert_eq!(
        runner.get("/me", Some(bearer)).await.status(),
        StatusCode::OK
    );

    let (status, body) = problem(
        runner
            .post("/auth/login-link/confirm", None, &json!({ "token": token }))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "single use");
    assert_eq!(body["code"], "invalid_token");
}

/// `POST /auth/password` keeps the caller's session and closes the others;
/// `POST /auth/logout-all` closes every one.
async fn changing_the_password_and_signing_out_everywhere(backend: Backend) {
    let runner = Runner::start_on(backend, START).await;
    let email = "partout@exemple.fr";
    let mine = runner.signup_and_login(email).await;
    let other = runner.login_token(email).await;

    let (status, body) = problem(
        runner
            .post(
                "/auth/password",
                Some(&mine),
                &json!({ "current_password": "faux", "new_password": NEW_PASSWORD }),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["code"], "invalid_credentials");
    let (status, body) = problem(
        runner
            .post(
                "/auth/password",
                Some(&mine),
                &json!({ "current_password": PASSWORD, "new_password": "court" }),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["code"], "weak_password");
    assert_eq!(body["errors"][0]["field"], "new_password");

    let r = runner
        .post(
            "/auth/password",
            Some(&mine),
            &json!({ "current_password": PASSWORD, "new_password": NEW_PASSWORD }),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        runner.get("/me", Some(&mine)).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        runner.get("/me", Some(&other)).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        runner
            .mails_titled(email, "Votre mot de passe a été modifié")
            .await
            .len(),
        1
    );

    let third = login_with(&runner, email, NEW_PASSWORD).await;
    let third: Value = third.json().await.unwrap();
    let third = third["token"].as_str().unwrap();
    let r = runner
        .post("/auth/logout-all", Some(&mine), &json!({}))
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    for token in [mine.as_str(), third] {
        let (status, body) = problem(runner.get("/me", Some(token)).await).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(body["code"], "unauthenticated");
    }
    let (status, body) = problem(runner.post("/auth/logout-all", None, &json!({})).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["code"], "unauthenticated");
}

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
    a_pre_hijacker_s_password_never_becomes_usable,
    a_sign_in_link_works_while_the_address_is_locked,
    changing_the_password_and_signing_out_everywhere,
    resend_activation_answers_alike_and_the_link_still_arrives,
    wrong_current_passwords_lock_the_address,
);
