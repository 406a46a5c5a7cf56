//! Concurrency invariants under load, through the real `examreg` binary on
//! both backends (embedded, and DynamoDB, S3 and SES on moto): many requests
//! at once, then the tests count what each answered and what is stored.
//!
//! - 100 signups at once for one address, typed in mixed case: one account.
//! - 30 saves at once with one version: exactly one 200, 29 409s, the
//!   version raised by one, the winner's text stored; then 12 editors each
//!   retrying until their save goes through: every save that answered 200 is
//!   a version, a history line and an email (no lost write).
//! - Sweeps running while the last pieces are uploaded: a dossier completed
//!   in time is never cancelled, and a cancelled one never has all its pieces
//!   (embedded: only there does the runner check what is uploaded).

#[macro_use]
mod support;

use std::future::Future;
use std::pin::Pin;

use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use serde_json::{json, Value};
use support::{
    account_of, inscription_body, join_all, valid_pdf, Backend, Runner, BAC_PRO_BOTH_OPEN,
    CAP_REGISTRATION_OPEN,
};

on_both_backends!(
    a_hundred_signups_at_once_for_one_address_make_one_account,
    saves_at_once_with_one_version_make_one_winner_and_lose_no_write,
);

/// Embedded only: on the AWS backend the runner's upload URLs point at S3
/// (moto), which sends the runner no notification, so no upload is checked.
/// The same race on DynamoDB is covered at the service level
/// (`functions/common/tests/sweep_aws.rs`, a sweep racing an upload, on moto).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sweeps_during_uploads_never_cancel_a_dossier_completed_in_time_embedded() {
    sweeps_during_uploads_never_cancel_a_dossier_completed_in_time(Backend::Embedded).await
}

// ---------------------------------------------------------------------------
// One account per address
// ---------------------------------------------------------------------------

/// `email` with the case of its letters flipped by the bits of `pattern`.
fn with_case(email: &str, pattern: usize) -> String {
    email
        .chars()
        .enumerate()
        .map(|(i, c)| {
            if pattern >> (i % usize::BITS as usize) & 1 == 1 {
                c.to_uppercase().collect::<String>()
            } else {
                c.to_string()
            }
        })
        .collect()
}

async fn a_hundred_signups_at_once_for_one_address_make_one_account(backend: Backend) {
    let runner = Runner::start_on(backend, "2021-10-14T09:00:00+02:00").await;
    let email = "cent.fois@académie-exemple.fr";
    let variants: Vec<String> = (0..100)
        .map(|i| with_case(email, i * 2_654_435_761))
        .collect();
    assert!(
        variants
            .iter()
            .collect::<std::collections::BTreeSet<_>>()
            .len()
            > 50,
        "many spellings of the address"
    );
    let answers = join_all(variants.iter().map(|v| runner.signup(v)).collect()).await;
    let accepted = answers
        .iter()
        .filter(|r| r.status() == StatusCode::ACCEPTED)
        .count();
    assert_eq!(accepted, 100, "every signup answers the same 202");

    // Every link sent names one and the same account.
    let tokens = runner.link_tokens(email, "/activate").await;
    assert!(!tokens.is_empty());
    let accounts: std::collections::BTreeSet<String> =
        tokens.iter().map(|t| account_of(t).to_owned()).collect();
    assert_eq!(accounts.len(), 1, "one account: {accounts:?}");
    let account = accounts.into_iter().next().unwrap();

    // The newest link activates it (each re-sent link voids the one before);
    // then a login under any spelling is that account.
    let mut activated = 0;
    for token in tokens.iter().rev() {
        let r = runner
            .post("/auth/activate", None, &json!({ "token": token }))
            .await;
        if r.status() == StatusCode::OK {
            activated += 1;
        }
    }
    assert_eq!(activated, 1, "one link activates, once");
    for variant in variants.iter().step_by(20) {
        let r = runner.login(variant).await;
        assert_eq!(r.status(), StatusCode::OK, "{variant}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(account_of(body["token"].as_str().unwrap()), account);
    }
    // More signups now change nothing: still the one account.
    let again = join_all(variants.iter().take(10).map(|v| runner.signup(v)).collect()).await;
    assert!(again.iter().all(|r| r.status() == StatusCode::ACCEPTED));
    let accounts: std::collections::BTreeSet<String> = runner
        .link_tokens(email, "/activate")
        .await
        .iter()
        .map(|t| account_of(t).to_owned())
        .collect();
    assert_eq!(accounts.len(), 1);

    // Counted by the exams office (`examreg admin`, which reads the embedded
    // data directory): one inscription for the address, whatever its spelling.
    if backend == Backend::Embedded {
        let token = runner.login_token(&variants[7]).await;
        let mut body = inscription_body(0);
        body["diploma"] = json!("BAC_PRO");
        body["specialty"] = json!("MELEC");
        let r = runner.put("/inscription", Some(&token), &body).await;
        assert_eq!(r.status(), StatusCode::CREATED);
        for variant in variants.iter().step_by(25) {
            let dossier = runner.admin(&json!({ "action": "get", "email": variant }));
            assert_eq!(dossier["status"], "registered", "{variant}: {dossier}");
        }
        let list = runner.admin(&json!({ "action": "list" }));
        let ours = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["email"].as_str().unwrap().to_lowercase() == email)
            .count();
        assert_eq!(ours, 1, "{list}");
    }
}

// ---------------------------------------------------------------------------
// One winner per version, no lost write
// ---------------------------------------------------------------------------

/// A city name of letters only, distinct for each `i`.
fn city(prefix: &str, i: usize) -> String {
    let letter = |n: usize| char::from(b'a' + u8::try_from(n % 26).unwrap_or(0));
    format!("{prefix} {}{}", letter(i / 26).to_uppercase(), letter(i))
}

fn body_in(city: &str, version: u64) -> Value {
    let mut body = inscription_body(version);
    body["identity"]["address"]["city"] = json!(city);
    body
}

async fn saves_at_once_with_one_version_make_one_winner_and_lose_no_write(backend: Backend) {
    let runner = Runner::start_on(backend, CAP_REGISTRATION_OPEN).await;
    let email = "course.versions@exemple.fr";
    let token = runner.signup_and_login(email).await;
    let r = runner
        .put("/inscription", Some(&token), &inscription_body(0))
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);

    // 30 saves at once, all based on version 1, each with its own city.
    let cities: Vec<String> = (0..30).map(|i| city("Ville", i)).collect();
    let answers = join_all(
        cities
            .iter()
            .map(|city| async {
                let r = runner
                    .put("/inscription", Some(&token), &body_in(city, 1))
                    .await;
                let status = r.status();
                (status, r.json::<Value>().await.unwrap())
            })
            .collect(),
    )
    .await;
    let winners: Vec<&Value> = answers
        .iter()
        .filter(|(s, _)| *s == StatusCode::OK)
        .map(|(_, b)| b)
        .collect();
    let conflicts = answers
        .iter()
        .filter(|(s, b)| *s == StatusCode::CONFLICT && b["code"] == "version_conflict")
        .count();
    assert_eq!(winners.len(), 1, "{answers:#?}");
    assert_eq!(conflicts, 29, "the others are 409: {answers:#?}");
    assert_eq!(winners[0]["version"], 2);
    let stored: Value = runner
        .get("/inscription", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(stored["version"], 2);
    assert_eq!(
        stored["identity"]["address"]["city"], winners[0]["identity"]["address"]["city"],
        "the winner's text is what is stored"
    );

    // 12 editors at once, each re-reading and retrying on 409 until its own
    // save goes through: every 200 must be a version of its own.
    let editors = join_all(
        (0..12)
            .map(|i| {
                let runner = &runner;
                let token = &token;
                async move {
                    let mut conflicts = 0;
                    loop {
                        let current: Value = runner
                            .get("/inscription", Some(token))
                            .await
                            .json()
                            .await
                            .unwrap();
                        let version = current["version"].as_u64().unwrap();
                        let body = body_in(&city("Saint-Éditeur", i), version);
                        let r = runner.put("/inscription", Some(token), &body).await;
                        match r.status() {
                            StatusCode::OK => {
                                let saved: Value = r.json().await.unwrap();
                                return (saved["version"].as_u64().unwrap(), conflicts);
                            }
                            StatusCode::CONFLICT => conflicts += 1,
                            other => panic!("editor {i}: {other}: {}", r.text().await.unwrap()),
                        }
                        assert!(conflicts < 200, "editor {i} starves");
                    }
                }
            })
            .collect(),
    )
    .await;
    let mut versions: Vec<u64> = editors.iter().map(|(v, _)| *v).collect();
    versions.sort_unstable();
    assert_eq!(
        versions,
        (3..=14).collect::<Vec<u64>>(),
        "each accepted save is one version: {editors:?}"
    );
    let stored: Value = runner
        .get("/inscription", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(stored["version"], 14);
    // Every accepted save sent its summary, and nothing else did: 1 + 1 + 12.
    let summaries = runner
        .mails_titled(email, "Modification d'inscription")
        .await
        .len();
    assert_eq!(summaries, 14);
    if backend == Backend::Embedded {
        let dossier = runner.admin(&json!({ "action": "get", "email": email }));
        let history = dossier["history"].as_array().unwrap();
        assert_eq!(history.len(), 14, "one history line per save: {dossier:#}");
        let mut seen: Vec<u64> = history
            .iter()
            .map(|h| h["version"].as_u64().unwrap())
            .collect();
        seen.sort_unstable();
        assert_eq!(seen, (1..=14).collect::<Vec<u64>>());
    }
}

// ---------------------------------------------------------------------------
// Sweeps during uploads
// ---------------------------------------------------------------------------

/// The Bac Pro documents window closes at 23:59:59.999 Paris time on Sunday
/// 7 November 2021 (CET).
const DEADLINE: &str = "2021-11-07T22:59:59.999Z";

/// Bac Pro for a Belgian candidate: two pieces, the signed confirmation and
/// the identity document.
fn bac_pro_body() -> Value {
    let mut body = inscription_body(0);
    body["diploma"] = json!("BAC_PRO");
    body["specialty"] = json!("MELEC");
    body["identity"]["nationality"] = json!("BE");
    body
}

/// An upload ticket for this suite's PDF as the piece `kind`.
async fn ticket(runner: &Runner, token: &str, kind: &str) -> Value {
    runner
        .upload_ticket(token, kind, "application/pdf", valid_pdf().len())
        .await
}

/// PUTs the PDF through the ticket's URL; the runner checks it at once.
async fn put_file(runner: &Runner, ticket: &Value) -> StatusCode {
    runner.put_file(ticket, valid_pdf()).await.status()
}

struct Dossier {
    email: String,
    token: String,
}

async fn dossier_state(runner: &Runner, dossier: &Dossier) -> (String, Vec<Value>) {
    let r = runner
        .get("/inscription/pieces", Some(&dossier.token))
        .await;
    assert_eq!(
        r.status(),
        StatusCode::OK,
        "{}: {}",
        dossier.email,
        r.text().await.unwrap()
    );
    let inscription: Value = runner
        .get("/inscription", Some(&dossier.token))
        .await
        .json()
        .await
        .unwrap();
    let pieces: Vec<Value> = runner
        .get("/inscription/pieces", Some(&dossier.token))
        .await
        .json()
        .await
        .unwrap();
    (inscription["status"].as_str().unwrap().to_owned(), pieces)
}

async fn relog(runner: &Runner, dossiers: &mut [Dossier]) {
    for d in dossiers {
        d.token = runner.login_token(&d.email).await;
    }
}

async fn cancellation_mails(runner: &Runner, email: &str) -> usize {
    runner.mails_about(email, "annulée").await.len()
}

async fn sweeps_during_uploads_never_cancel_a_dossier_completed_in_time(backend: Backend) {
    let runner = Runner::start_on(backend, BAC_PRO_BOTH_OPEN).await;
    let deadline: DateTime<Utc> = DEADLINE.parse().unwrap();
    let mut dossiers = Vec::new();
    for i in 0..16 {
        let email = format!("depot{i}@exemple.fr");
        let token = runner.signup_and_login(&email).await;
        let r = runner
            .put("/inscription", Some(&token), &bac_pro_body())
            .await;
        assert_eq!(r.status(), StatusCode::CREATED);
        dossiers.push(Dossier { email, token });
    }
    // Every candidate already sent the identity document.
    for d in &dossiers {
        let t = ticket(&runner, &d.token, "identity_document").await;
        assert_eq!(put_file(&runner, &t).await, StatusCode::OK);
    }

    // The evening of the deadline: log in again (sessions last hours).
    runner
        .set_clock(&(deadline - chrono::Duration::minutes(30)).to_rfc3339())
        .await;
    relog(&runner, &mut dossiers).await;
    // Phase 1, in time: the first half upload their signed confirmation while
    // sweeps run again and again (reminders race the checks on the revision).
    let (early, late) = dossiers.split_at(8);
    let mut tickets = Vec::new();
    for d in early {
        tickets.push(ticket(&runner, &d.token, "signed_confirmation").await);
    }
    let sweep_at = (deadline - chrono::Duration::minutes(20)).to_rfc3339();
    let mut work: Vec<Pin<Box<dyn Future<Output = Option<StatusCode>> + '_>>> = Vec::new();
    for t in &tickets {
        work.push(Box::pin(async { Some(put_file(&runner, t).await) }));
    }
    for _ in 0..6 {
        let sweep_at = sweep_at.clone();
        let runner = &runner;
        work.push(Box::pin(async move {
            runner.set_clock(&sweep_at).await;
            None
        }));
    }
    let results = join_all(work).await;
    assert!(
        results.iter().flatten().all(|s| *s == StatusCode::OK),
        "{results:?}"
    );
    for d in early {
        let (status, pieces) = dossier_state(&runner, d).await;
        assert_eq!(status, "complete", "{}: {pieces:#?}", d.email);
    }

    // Phase 2, at the deadline: the other half upload while the clock passes
    // it and the sweeps cancel what is incomplete. Their tickets were asked
    // for in time (two minutes before), and their URLs end with the window.
    runner
        .set_clock(&(deadline - chrono::Duration::minutes(2)).to_rfc3339())
        .await;
    let mut tickets = Vec::new();
    for d in late {
        tickets.push(ticket(&runner, &d.token, "signed_confirmation").await);
    }
    let after = (deadline + chrono::Duration::seconds(1)).to_rfc3339();
    let mut work: Vec<Pin<Box<dyn Future<Output = Option<StatusCode>> + '_>>> = Vec::new();
    for (i, t) in tickets.iter().enumerate() {
        work.push(Box::pin(async { Some(put_file(&runner, t).await) }));
        if i % 2 == 0 {
            let after = after.clone();
            let runner = &runner;
            work.push(Box::pin(async move {
                runner.set_clock(&after).await;
                None
            }));
        }
    }
    let results = join_all(work).await;
    assert!(
        results
            .iter()
            .flatten()
            .all(|s| *s == StatusCode::OK || *s == StatusCode::FORBIDDEN),
        "an upload racing the close is taken in (before it) or refused (its URL \
         expired with the window), nothing else: {results:?}"
    );
    // Later sweeps change nothing more.
    runner.advance("1h").await;
    runner.advance("1d").await;
    relog(&runner, &mut dossiers).await;

    let mut cancelled = 0;
    for d in &dossiers {
        let (status, pieces) = dossier_state(&runner, d).await;
        let received_at: Vec<Option<DateTime<Utc>>> = pieces
            .iter()
            .map(|p| {
                (p["status"] == "received")
                    .then(|| p["received_at"].as_str().unwrap().parse().unwrap())
            })
            .collect();
        let all_in = received_at.iter().all(Option::is_some);
        let in_time = all_in && received_at.iter().flatten().all(|at| *at <= deadline);
        let mails = cancellation_mails(&runner, &d.email).await;
        if in_time {
            assert_eq!(
                status, "complete",
                "{}: completed in time: {pieces:#?}",
                d.email
            );
            assert_eq!(mails, 0, "{}", d.email);
        }
        if status == "cancelled" {
            cancelled += 1;
            assert!(
                !all_in,
                "{}: cancelled with every piece in: {pieces:#?}",
                d.email
            );
            assert_eq!(mails, 1, "{}: one cancellation email", d.email);
        } else {
            assert_eq!(status, "complete", "{}: {pieces:#?}", d.email);
            assert_eq!(mails, 0, "{}", d.email);
        }
    }
    // The first half were complete in time; only the second half can be cancelled.
    assert!(cancelled <= dossiers.len() / 2);
}
