//! Accounts end to end through the HTTP API on the embedded backend: the
//! notice's step 1, « Créer votre compte », and login, logout, reset.

#[macro_use]
mod support;

use reqwest::StatusCode;
use serde_json::{json, Value};
use support::{join_all, problem, Backend, Runner, PASSWORD};

const START: &str = "2021-10-14T09:00:00+02:00";

async fn a_candidate_signs_up_activates_logs_in_and_out(backend: Backend) {
    let runner = Runner::start_on(backend, START).await;
    let r = runner.signup("Zoe.Martin@Académie-Exemple.fr").await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);

    let mails = runner.mails_to("zoe.martin@académie-exemple.fr").await;
    assert_eq!(mails.len(), 1);
    let mail = &mails[0];
    if backend == Backend::Embedded {
        // (SES carries the domain as punycode, which has no case.)
        assert_eq!(
            mail["to"], "Zoe.Martin@Académie-Exemple.fr",
            "kept as typed"
        );
    }
    let text = mail["text"].as_str().unwrap();
    assert!(text.contains(&format!("{}/activate?token=", runner.base_url)));
    assert!(text.contains("samedi 16 octobre 2021 à 9 h 00"), "{text}");
    // (moto keeps only the HTML part, as `text`.)
    assert!(mail
        .get("html")
        .map_or(text, |h| h.as_str().unwrap())
        .contains("<a href="));

    // Not activated yet.
    let (status, body) = problem(runner.login("zoe.martin@académie-exemple.fr").await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["code"], "account_not_activated");

    let token = runner
        .last_token("zoe.martin@académie-exemple.fr", "/activate")
        .await;
    let r = runner
        .post("/auth/activate", None, &json!({ "token": token }))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({ "status": "active" })
    );
    // Single use.
    let (status, body) = problem(
        runner
            .post("/auth/activate", None, &json!({ "token": token }))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["code"], "invalid_token");

    // Login, case-insensitively; the token is also an HttpOnly cookie.
    let r = runner.login("ZOE.MARTIN@ACADÉMIE-exemple.FR").await;
    assert_eq!(r.status(), StatusCode::OK);
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    // (`Secure` as well: the runner is on a loopback address, which
    // browsers count as a secure origin.)
    for flag in ["HttpOnly", "Secure", "SameSite=Strict", "examreg_session="] {
        assert!(cookie.contains(flag), "{cookie}");
    }
    assert_eq!(
        r.headers()["content-type"],
        "application/json; charset=utf-8",
        "JSON says its charset"
    );
    let body: Value = r.json().await.unwrap();
    let bearer = body["token"].as_str().unwrap().to_owned();
    assert!(body["expires_at"]
        .as_str()
        .unwrap()
        .starts_with("2021-10-14T"));

    let me: Value = runner.get("/me", Some(&bearer)).await.json().await.unwrap();
    assert_eq!(me["email"], "Zoe.Martin@Académie-Exemple.fr");
    assert_eq!(me["status"], "active");
    assert!(me["created_at"].is_string());

    // The cookie alone authenticates too (the portal).
    let r = runner
        .http
        .get(runner.url("/me"))
        .header("cookie", format!("examreg_session={bearer}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);

    let r = runner.post("/auth/logout", Some(&bearer), &json!({})).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let (status, body) = problem(runner.get("/me", Some(&bearer)).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["code"], "unauthenticated");
    let (status, _) = problem(runner.post("/auth/logout", Some(&bearer), &json!({})).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

async fn answers_never_tell_whether_an_address_has_an_account(backend: Backend) {
    let runner = Runner::start_on(backend, START).await;
    runner.signup_and_login("deja@exemple.fr").await;

    let taken = runner.signup("deja@exemple.fr").await;
    let free = runner.signup("libre@exemple.fr").await;
    assert_eq!(taken.status(), free.status());
    assert_eq!(taken.bytes().await.unwrap(), free.bytes().await.unwrap());
    // The owner is told instead, with the login and reset links.
    let mails = runner.mails_to("deja@exemple.fr").await;
    let last = mails.last().unwrap();
    assert_eq!(last["subject"], "Vous avez déjà un compte candidat");
    assert!(last["text"].as_str().unwrap().contains("/forgot-password"));

    let known = runner
        .post(
            "/auth/password-reset",
            None,
            &json!({ "email": "deja@exemple.fr" }),
        )
        .await;
    let unknown = runner
        .post(
            "/auth/password-reset",
            None,
            &json!({ "email": "personne@exemple.fr" }),
        )
        .await;
    assert_eq!(known.status(), StatusCode::ACCEPTED);
    assert_eq!(known.status(), unknown.status());
    assert_eq!(known.bytes().await.unwrap(), unknown.bytes().await.unwrap());

    let known = runner
        .post(
            "/auth/resend-activation",
            None,
            &json!({ "email": "deja@exemple.fr" }),
        )
        .await;
    let unknown = runner
        .post(
            "/auth/resend-activation",
            None,
            &json!({ "email": "personne2@exemple.fr" }),
        )
        .await;
    assert_eq!(known.status(), StatusCode::ACCEPTED);
    assert_eq!(known.bytes().await.unwrap(), unknown.bytes().await.unwrap());

    // Wrong email and wrong password: the same 401.
    let wrong_pw = runner
        .post(
            "/auth/login",
            None,
            &json!({ "email": "deja@exemple.fr", "password": "pas-le-bon-mot-de-passe" }),
        )
        .await;
    let no_user = runner
        .post(
            "/auth/login",
            None,
            &json!({ "email": "inconnu@exemple.fr", "password": PASSWORD }),
        )
        .await;
    assert_eq!(wrong_pw.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        wrong_pw.bytes().await.unwrap(),
        no_user.bytes().await.unwrap()
    );
}

async fn activation_is_valid_for_48_hours_to_the_second(backend: Backend) {
    let runner = Runner::start_on(backend, START).await;
    runner.signup("juste@exemple.fr").await;
    runner.signup("tard@exemple.fr").await;
    let in_time = runner.last_token("juste@exemple.fr", "/activate").await;
    let late = runner.last_token("tard@exemple.fr", "/activate").await;

    // The clock ticks in real time from START: the signups happened a few
    // hundred milliseconds after it, so their deadline is just after 09:00:00.
    runner.set_clock("2021-10-16T08:59:59+02:00").await;
    let r = runner
        .post("/auth/activate", None, &json!({ "token": in_time }))
        .await;
    assert_eq!(r.status(), StatusCode::OK);

    runner.set_clock("2021-10-16T09:00:05+02:00").await;
    let (status, body) = problem(
        runner
            .post("/auth/activate", None, &json!({ "token": late }))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::GONE);
    assert_eq!(body["code"], "activation_expired");
    assert!(body["detail"].as_str().unwrap().contains("48 heures"));

    // The address is free again: a new signup sends a new link that works.
    assert_eq!(
        runner.signup("tard@exemple.fr").await.status(),
        StatusCode::ACCEPTED
    );
    let fresh = runner.last_token("tard@exemple.fr", "/activate").await;
    assert_ne!(fresh, late);
    let r = runner
        .post("/auth/activate", None, &json!({ "token": fresh }))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
}

async fn fifty_concurrent_signups_for_one_address_make_one_account(backend: Backend) {
    let runner = Runner::start_on(backend, START).await;
    let signups = (0..50).map(|i| {
        let email = if i % 2 == 0 {
            "course@exemple.fr"
        } else {
            "COURSE@exemple.fr"
        };
        runner.signup(email)
    });
    for r in join_all(signups.collect()).await {
        assert_eq!(r.status(), StatusCode::ACCEPTED);
    }
    let activations = runner
        .mails_about(
            "course@exemple.fr",
            "Activez votre compte candidat avant le",
        )
        .await;
    // Every link names the same account (a token is `<account id>.<secret>`);
    // the signups that lost the race re-sent its link, at most 3 times an hour.
    let accounts: std::collections::BTreeSet<String> = activations
        .iter()
        .map(|m| {
            let text = m["text"].as_str().unwrap();
            let token = text.split("token=").nth(1).unwrap();
            token.split('.').next().unwrap().to_owned()
        })
        .collect();
    assert_eq!(accounts.len(), 1, "exactly one account was created");
    assert!(
        (1..=4).contains(&activations.len()),
        "{}",
        activations.len()
    );
    // The last link activates it; the earlier ones are void.
    let token = runner.last_token("course@exemple.fr", "/activate").await;
    let r = runner
        .post("/auth/activate", None, &json!({ "token": token }))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
}

async fn ten_failed_logins_lock_the_account_for_fifteen_minutes(backend: Backend) {
    let runner = Runner::start_on(backend, START).await;
    runner.signup_and_login("verrou@exemple.fr").await;
    let wrong = json!({ "email": "verrou@exemple.fr", "password": "mauvais-mot-de-passe-123" });
    for _ in 0..10 {
        let r = runner.post("/auth/login", None, &wrong).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    // Locked: even the right password is refused.
    let r = runner.login("verrou@exemple.fr").await;
    assert!(r.headers().contains_key("retry-after"));
    let (status, body) = problem(r).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(body["code"], "too_many_attempts");

    runner.advance("14m").await;
    assert_eq!(
        runner.login("verrou@exemple.fr").await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    runner.advance("2m").await;
    assert_eq!(
        runner.login("verrou@exemple.fr").await.status(),
        StatusCode::OK
    );
}

/// Thirty wrong guesses sent at once, then the right password: no more than
/// ten are ever checked (the others wait, 429), and the account is locked.
async fn a_burst_of_parallel_guesses_gets_no_more_than_ten_tries(backend: Backend) {
    let runner = Runner::start_on(backend, START).await;
    runner.signup_and_login("rafale@exemple.fr").await;
    let wrong = json!({ "email": "rafale@exemple.fr", "password": "mauvais-mot-de-passe-123" });
    let guesses: Vec<_> = (0..30)
        .map(|_| runner.post("/auth/login", None, &wrong))
        .collect();
    let answers = join_all(guesses).await;
    let statuses: Vec<StatusCode> = answers.iter().map(|r| r.status()).collect();
    let checked = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    assert!(checked <= 10, "{checked} guesses checked: {statuses:?}");
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::UNAUTHORIZED || *s == StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
    // Whatever the burst left, guesses one by one reach the lock, which
    // then refuses even the right password.
    for _ in 0..10 {
        runner.post("/auth/login", None, &wrong).await;
    }
    let (status, body) = problem(runner.login("rafale@exemple.fr").await).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(body["code"], "too_many_attempts");
}

/// The lockout is the same for an address that has no account: it never
/// tells who has one.
async fn the_lockout_says_nothing_of_who_has_an_account(backend: Backend) {
    let runner = Runner::start_on(backend, START).await;
    runner.signup_and_login("existe@exemple.fr").await;
    let mut seen = Vec::new();
    for email in ["existe@exemple.fr", "personne@exemple.fr"] {
        let wrong = json!({ "email": email, "password": "mauvais-mot-de-passe-123" });
        let mut statuses = Vec::new();
        for _ in 0..11 {
            statuses.push(runner.post("/auth/login", None, &wrong).await.status());
        }
        seen.push(statuses);
    }
    assert_eq!(seen[0], seen[1]);
    assert_eq!(seen[0][9], StatusCode::UNAUTHORIZED);
    assert_eq!(seen[0][10], StatusCode::TOO_MANY_REQUESTS);
}

async fn resending_the_activation_link_voids_the_old_one_three_times_an_hour(backend: Backend) {
    let runner = Runner::start_on(backend, START).await;
    runner.signup("renvoi@exemple.fr").await;
    let first = runner.last_token("renvoi@exemple.fr", "/activate").await;
    for _ in 0..3 {
        let r = runner
            .post(
                "/auth/resend-activation",
                None,
                &json!({ "email": "renvoi@exemple.fr" }),
            )
            .await;
        assert_eq!(r.status(), StatusCode::ACCEPTED);
    }
    let r = runner
        .post(
            "/auth/resend-activation",
            None,
            &json!({ "email": "renvoi@exemple.fr" }),
        )
        .await;
    let (status, body) = problem(r).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(body["code"], "too_many_requests");

    let (status, _) = problem(
        runner
            .post("/auth/activate", None, &json!({ "token": first }))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "the old link is void");
    // The signup's link and three resent ones (delivered after each answer).
    assert_eq!(
        runner.mails_eventually("renvoi@exemple.fr", 4).await.len(),
        4
    );
    let latest = runner.last_token("renvoi@exemple.fr", "/activate").await;
    let r = runner
        .post("/auth/activate", None, &json!({ "token": latest }))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
}

async fn a_password_reset_revokes_every_session(backend: Backend) {
    let runner = Runner::start_on(backend, START).await;
    let first = runner.signup_and_login("oubli@exemple.fr").await;
    let second = runner.login_token("oubli@exemple.fr").await;

    let r = runner
        .post(
            "/auth/password-reset",
            None,
            &json!({ "email": "oubli@exemple.fr" }),
        )
        .await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let reset = runner
        .last_token("oubli@exemple.fr", "/reset-password")
        .await;

    let (status, body) = problem(
        runner
            .post(
                "/auth/password-reset/confirm",
                None,
                &json!({ "token": reset, "password": "azertyuiop12" }),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["code"], "weak_password");
    // « azerty » is among the most common passwords in France.
    assert!(body["detail"]
        .as_str()
        .unwrap()
        .contains("plus courants en France"));

    let new_password = "tortue-lampadaire-violon-47";
    let r = runner
        .post(
            "/auth/password-reset/confirm",
            None,
            &json!({ "token": reset, "password": new_password }),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    for token in [&first, &second] {
        assert_eq!(
            runner.get("/me", Some(token)).await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let (status, _) = problem(
        runner
            .post(
                "/auth/password-reset/confirm",
                None,
                &json!({ "token": reset, "password": new_password }),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "single use");
    assert_eq!(
        runner.login("oubli@exemple.fr").await.status(),
        StatusCode::UNAUTHORIZED
    );
    let r = runner
        .post(
            "/auth/login",
            None,
            &json!({ "email": "oubli@exemple.fr", "password": new_password }),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);

    // A link is valid one hour.
    runner
        .post(
            "/auth/password-reset",
            None,
            &json!({ "email": "oubli@exemple.fr" }),
        )
        .await;
    let late = runner
        .last_token("oubli@exemple.fr", "/reset-password")
        .await;
    runner.advance("61m").await;
    let (status, body) = problem(
        runner
            .post(
                "/auth/password-reset/confirm",
                None,
                &json!({ "token": late, "password": "encore-un-autre-secret-99" }),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::GONE);
    assert_eq!(body["code"], "token_expired");
}

async fn bad_input_gets_a_french_problem_and_changes_nothing(backend: Backend) {
    let runner = Runner::start_on(backend, START).await;
    let (status, body) = problem(
        runner
            .post(
                "/auth/signup",
                None,
                &json!({ "email": "pas-une-adresse", "password": "court" }),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["code"], "invalid_email");
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["email", "password"], "every invalid field at once");

    let (status, body) = problem(
        runner
            .post(
                "/auth/signup",
                None,
                &json!({ "email": "a@exemple.fr", "password": "motdepasse123" }),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["code"], "weak_password");

    let (status, body) = problem(
        runner
            .post(
                "/auth/signup",
                None,
                &json!({ "email": "a@exemple.fr", "password": PASSWORD, "admin": true }),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["code"], "unknown_field");

    let r = runner
        .http
        .post(runner.url("/auth/login"))
        .header("content-type", "application/json")
        .body("{\"email\": ")
        .send()
        .await
        .unwrap();
    let (status, body) = problem(r).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["code"], "malformed_json");

    for bad in ["", "Bearer", "Bearer abc", "Basic Zm9vOmJhcg=="] {
        let r = runner
            .http
            .get(runner.url("/me"))
            .header("authorization", bad)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{bad}");
    }
    // Nothing was created by any of the above.
    assert!(runner.mails_to("a@exemple.fr").await.is_empty());

    // Last: the server closes the connection of a refused oversize body.
    let huge = json!({ "email": "a".repeat(70 * 1024), "password": PASSWORD });
    let (status, body) = problem(runner.post("/auth/signup", None, &huge).await).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(body["code"], "payload_too_large");
    assert!(runner.mails_to(&"a".repeat(70 * 1024)).await.is_empty());
}

async fn no_password_or_token_ever_reaches_the_logs(backend: Backend) {
    let runner = Runner::start_on(backend, START).await;
    let bearer = runner.signup_and_login("secret@exemple.fr").await;
    runner.get("/me", Some(&bearer)).await;
    runner
        .post(
            "/auth/password-reset",
            None,
            &json!({ "email": "secret@exemple.fr" }),
        )
        .await;
    let reset = runner
        .last_token("secret@exemple.fr", "/reset-password")
        .await;
    runner
        .post(
            "/auth/password-reset/confirm",
            None,
            &json!({ "token": reset, "password": "tortue-lampadaire-violon-47" }),
        )
        .await;
    runner.post("/auth/logout", Some(&bearer), &json!({})).await;
    let activation = runner.last_token("secret@exemple.fr", "/activate").await;

    let logs = runner.logs();
    assert!(
        logs.contains("/auth/login"),
        "the requests are logged: {logs}"
    );
    for secret in [
        PASSWORD,
        "tortue-lampadaire-violon-47",
        &bearer,
        &reset,
        &activation,
    ] {
        let secret_part = secret.split('.').next_back().unwrap();
        assert!(!logs.contains(secret_part), "a secret leaked into the logs");
    }
    assert!(!logs.contains("$argon2"), "a hash leaked into the logs");
}

/// Signing up again before activation: the new email says a request was
/// made before, the first link is void, and the newest link activates the
/// account with the newest signup's password (each signup's password
/// travels with its own link: issue #17, account pre-hijacking; the attack
/// itself is in tests/office_accounts.rs).
async fn signing_up_again_before_activation_voids_the_first_link_and_says_so(backend: Backend) {
    let runner = Runner::start_on(backend, START).await;
    let email = "reinscrit.avant.activation@exemple.fr";
    let other = "un-autre-mot-de-passe-bien-long";
    for password in [other, PASSWORD] {
        let r = runner
            .post(
                "/auth/signup",
                None,
                &json!({ "email": email, "password": password }),
            )
            .await;
        assert_eq!(r.status(), StatusCode::ACCEPTED);
    }
    let again = runner.mails_about(email, "nouvelle demande").await;
    assert_eq!(again.len(), 1, "the second signup's email");
    let text = again[0]["text"].as_str().unwrap();
    assert!(text.contains("avait déjà été faite auparavant"), "{text}");

    let tokens = runner.link_tokens(email, "/activate").await;
    assert_eq!(tokens.len(), 2, "one email per signup");
    let (status, body) = problem(
        runner
            .post("/auth/activate", None, &json!({ "token": tokens[0] }))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "the first link is void");
    assert_eq!(body["code"], "invalid_token");
    let r = runner
        .post("/auth/activate", None, &json!({ "token": tokens[1] }))
        .await;
    assert_eq!(r.status(), StatusCode::OK);

    assert_eq!(runner.login(email).await.status(), StatusCode::OK);
    let (status, body) = problem(
        runner
            .post(
                "/auth/login",
                None,
                &json!({ "email": email, "password": other }),
            )
            .await,
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the first signup's password went with its void link"
    );
    assert_eq!(body["code"], "invalid_credentials");
}

on_both_backends!(
    a_burst_of_parallel_guesses_gets_no_more_than_ten_tries,
    the_lockout_says_nothing_of_who_has_an_account,
    signing_up_again_before_activation_voids_the_first_link_and_says_so,
    a_candidate_signs_up_activates_logs_in_and_out,
    answers_never_tell_whether_an_address_has_an_account,
    activation_is_valid_for_48_hours_to_the_second,
    fifty_concurrent_signups_for_one_address_make_one_account,
    ten_failed_logins_lock_the_account_for_fifteen_minutes,
    resending_the_activation_link_voids_the_old_one_three_times_an_hour,
    a_password_reset_revokes_every_session,
    bad_input_gets_a_french_problem_and_changes_nothing,
    no_password_or_token_ever_reaches_the_logs,
);
