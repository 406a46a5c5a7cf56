//! The deadline sweeps and the exams office's admin events end to end, on
//! the embedded backend: the real `examreg` binary over HTTP (the sweeps run
//! after every move of its simulated clock), and `examreg admin '<json>'` as
//! a subprocess on the same data directory.
//!
//! The simulated clock ticks with real time from where it is set, so a check
//! "one second before" has that second of margin.

mod support;

use std::process::Command;
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::StatusCode;
use serde_json::{json, Value};
use support::{inscription_body, Runner, CAP_REGISTRATION_OPEN};

/// Bac Pro: registration (14–31 Oct 2021) and documents (25 Oct – 7 Nov) open.
const BAC_PRO_BOTH_OPEN: &str = "2021-10-26T10:00:00+02:00";

/// A 1×1 PNG.
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89\0\0\0\rIDATx\x9cc\xf8\xff\xff?\0\x05\xfe\x02\xfe\xa7\x35\x81\x84\0\0\0\0IEND\xaeB`\x82";
/// A small valid PDF.
const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n";

fn instant(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// The emails to `to` whose subject contains `part`.
async fn mails_about(runner: &Runner, to: &str, part: &str) -> Vec<Value> {
    runner
        .mails_to(to)
        .await
        .into_iter()
        .filter(|m| m["subject"].as_str().is_some_and(|s| s.contains(part)))
        .collect()
}

/// The inscription's status, read by the candidate (logging in afresh: the
/// clock may have moved past the last session's end).
async fn status_of(runner: &Runner, email: &str) -> String {
    let r = runner.login(email).await;
    assert_eq!(r.status(), StatusCode::OK);
    let login: Value = r.json().await.unwrap();
    let token = login["token"].as_str().unwrap();
    let r = runner.get("/inscription", Some(token)).await;
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    body["status"].as_str().unwrap().to_owned()
}

async fn save(runner: &Runner, token: &str, body: &Value) {
    let r = runner.put("/inscription", Some(token), body).await;
    let status = r.status();
    assert!(status.is_success(), "{status}: {}", r.text().await.unwrap());
}

/// Runs `examreg admin <raw text>` and answers what it printed.
fn admin_raw(runner: &Runner, raw: &str) -> Value {
    let output = Command::new(env!("CARGO_BIN_EXE_examreg"))
        .arg("admin")
        .arg(raw)
        .arg("--data-dir")
        .arg(&runner.data_dir)
        .env("EXAMREG_PUBLIC_URL", &runner.base_url)
        .output()
        .expect("cannot run examreg admin");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("admin prints JSON")
}

/// Uploads `bytes` as the piece `kind` through a presigned URL.
async fn upload(runner: &Runner, token: &str, kind: &str, content_type: &str, bytes: &[u8]) {
    let r = runner
        .post(
            &format!("/inscription/pieces/{kind}/uploads"),
            Some(token),
            &json!({ "content_type": content_type, "size_bytes": bytes.len() }),
        )
        .await;
    let status = r.status();
    let ticket: Value = r.json().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{ticket:#}");
    let mut headers = HeaderMap::new();
    for (name, value) in ticket["headers"].as_object().unwrap() {
        headers.insert(
            HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_str(value.as_str().unwrap()).unwrap(),
        );
    }
    let r = runner
        .http
        .put(ticket["upload_url"].as_str().unwrap())
        .headers(headers)
        .body(bytes.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
}

async fn pieces(runner: &Runner, token: &str) -> Vec<Value> {
    runner
        .get("/inscription/pieces", Some(token))
        .await
        .json()
        .await
        .unwrap()
}

/// A Bac Pro inscription asking for the signed confirmation and an identity
/// document only (31 years old: no JDC certificate).
fn bac_pro_body(version: u64) -> Value {
    json!({
        "diploma": "BAC_PRO",
        "specialty": "MELEC",
        "identity": {
            "last_name": "Martin",
            "first_names": "Hélène",
            "birth_date": "1990-05-17",
            "birth_place": "Marseille",
            "nationality": "FR",
            "address": {
                "line1": "3 boulevard Michelet",
                "postal_code": "13008",
                "city": "Marseille",
                "country": "FR"
            },
            "phone": "+33491000000"
        },
        "disability": { "declared": false, "existing_accommodation": false },
        "acquis": [],
        "version": version
    })
}

#[tokio::test]
async fn an_unactivated_account_is_deleted_at_48_hours_to_the_second_and_can_sign_up_again() {
    let runner = Runner::start("2021-10-14T09:00:00+02:00").await;
    let t0 = instant("2021-10-14T07:00:00Z");

    // Each signup starts with the clock at t0; it is created within `elapsed`.
    runner.set_clock(&rfc3339(t0)).await;
    let started = Instant::now();
    assert_eq!(
        runner.signup("gone@exemple.fr").await.status(),
        StatusCode::ACCEPTED
    );
    let elapsed = Duration::from_std(started.elapsed()).unwrap() + Duration::milliseconds(1);
    runner.set_clock(&rfc3339(t0)).await;
    assert_eq!(
        runner.signup("kept@exemple.fr").await.status(),
        StatusCode::ACCEPTED
    );

    // 47:59:59: nothing deleted, and the link still activates.
    runner
        .set_clock(&rfc3339(t0 + Duration::hours(48) - Duration::seconds(1)))
        .await;
    let token = runner.last_token("kept@exemple.fr", "/activate").await;
    let r = runner
        .post("/auth/activate", None, &json!({ "token": token }))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let gone = runner.admin(&json!({"action": "get", "email": "gone@exemple.fr"}));
    assert_eq!(
        gone["error"]["code"], "no_inscription",
        "the account still exists: {gone}"
    );

    // 48:00:00 after its creation, the sweep deletes it with its data.
    runner
        .set_clock(&rfc3339(t0 + Duration::hours(48) + elapsed))
        .await;
    let gone = runner.admin(&json!({"action": "get", "email": "gone@exemple.fr"}));
    assert_eq!(gone["error"]["code"], "not_found", "{gone}");
    let token = runner.last_token("gone@exemple.fr", "/activate").await;
    let r = runner
        .post("/auth/activate", None, &json!({ "token": token }))
        .await;
    // Its link now says it expired, rather than that it never existed.
    assert_eq!(r.status(), StatusCode::GONE);
    // The activated one stays.
    let kept = runner.admin(&json!({"action": "get", "email": "kept@exemple.fr"}));
    assert_eq!(kept["error"]["code"], "no_inscription", "{kept}");
    assert!(kept["error"]["message"]
        .as_str()
        .unwrap()
        .contains("activé"));
    assert_eq!(
        runner.login("kept@exemple.fr").await.status(),
        StatusCode::OK
    );

    // The address may sign up again, from scratch.
    let token = runner.signup_and_login("gone@exemple.fr").await;
    assert!(!token.is_empty());
    assert_eq!(
        mails_about(&runner, "gone@exemple.fr", "Activez")
            .await
            .len(),
        2
    );
}

#[tokio::test]
async fn reminders_at_7_and_2_days_then_cancellation_once_and_an_extension_honoured() {
    let runner = Runner::start(CAP_REGISTRATION_OPEN).await;
    let late = "retard@exemple.fr";
    let ext = "prolonge@exemple.fr";
    let late_token = runner.signup_and_login(late).await;
    save(&runner, &late_token, &inscription_body(0)).await;
    let ext_token = runner.signup_and_login(ext).await;
    save(&runner, &ext_token, &inscription_body(0)).await;

    // The CAP documents window closes on Wednesday 22 December 2021 at
    // 23:59:59.999 Paris time; one candidate gets a week more.
    let answer = runner.admin(&json!({
        "action": "extend_deadline", "actor": "Mme Durand (DIEC 3.05)",
        "email": ext, "until": "2021-12-29T23:59:59.999+01:00"
    }));
    assert_eq!(
        answer["documents_deadline"], "2021-12-29T22:59:59.999Z",
        "{answer}"
    );

    // Seven days before the close.
    runner.set_clock("2021-12-15T23:59:59+01:00").await;
    assert!(mails_about(&runner, late, "Rappel").await.is_empty());
    runner.set_clock("2021-12-16T00:00:00+01:00").await;
    for _ in 0..3 {
        runner.advance("1h").await;
    }
    let reminders = mails_about(&runner, late, "Rappel").await;
    assert_eq!(reminders.len(), 1, "{reminders:#?}");
    assert!(reminders[0]["subject"]
        .as_str()
        .unwrap()
        .contains("7 jours"));
    assert!(reminders[0]["text"]
        .as_str()
        .unwrap()
        .contains("mercredi 22 décembre 2021 à 23 h 59"));
    assert!(
        mails_about(&runner, ext, "Rappel").await.is_empty(),
        "its deadline is a week later"
    );

    // Two days before.
    runner.set_clock("2021-12-20T23:59:59+01:00").await;
    assert_eq!(mails_about(&runner, late, "Rappel").await.len(), 1);
    runner.set_clock("2021-12-21T00:00:00+01:00").await;
    runner.advance("2h").await;
    let reminders = mails_about(&runner, late, "Rappel").await;
    assert_eq!(reminders.len(), 2);
    assert!(reminders[1]["subject"]
        .as_str()
        .unwrap()
        .contains("2 jours"));

    // Not one second early...
    runner.set_clock("2021-12-22T23:59:59+01:00").await;
    assert_eq!(status_of(&runner, late).await, "registered");
    assert!(mails_about(&runner, late, "annulée").await.is_empty());
    // ... cancelled once the window has closed, and told once.
    runner.set_clock("2021-12-23T00:00:00+01:00").await;
    assert_eq!(status_of(&runner, late).await, "cancelled");
    runner.advance("1d").await;
    runner.advance("1d").await;
    let cancelled = mails_about(&runner, late, "annulée").await;
    assert_eq!(cancelled.len(), 1, "{cancelled:#?}");
    assert!(cancelled[0]["text"]
        .as_str()
        .unwrap()
        .contains("candidature est donc annulée"));

    // The extension is honoured: reminded on its own dates, cancelled after it.
    assert_eq!(status_of(&runner, ext).await, "registered");
    runner.set_clock("2021-12-29T23:59:59+01:00").await;
    assert_eq!(status_of(&runner, ext).await, "registered");
    assert_eq!(mails_about(&runner, ext, "Rappel").await.len(), 2);
    runner.set_clock("2021-12-30T00:00:00+01:00").await;
    runner.advance("3h").await;
    assert_eq!(status_of(&runner, ext).await, "cancelled");
    assert_eq!(mails_about(&runner, ext, "annulée").await.len(), 1);

    let dossier = runner.admin(&json!({"action": "get", "email": late}));
    let actions: Vec<&str> = dossier["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["created", "reminder_7d", "reminder_2d", "cancelled"],
        "{dossier:#}"
    );
    let cancelled_list =
        runner.admin(&json!({"action": "list", "diploma": "CAP", "status": "cancelled"}));
    assert_eq!(
        cancelled_list["items"].as_array().unwrap().len(),
        2,
        "{cancelled_list}"
    );
}

#[tokio::test]
async fn the_exams_office_validates_rejects_lists_gets_and_exports() {
    let runner = Runner::start(BAC_PRO_BOTH_OPEN).await;
    let email = "helene.martin@exemple.fr";
    let token = runner.signup_and_login(email).await;
    save(&runner, &token, &bac_pro_body(0)).await;
    upload(
        &runner,
        &token,
        "signed_confirmation",
        "application/pdf",
        PDF,
    )
    .await;
    upload(&runner, &token, "identity_document", "image/png", PNG).await;
    assert_eq!(status_of(&runner, email).await, "complete");
    let actor = "M. Martin (DIEC 3.05)";

    let listed = runner.admin(&json!({"action": "list", "diploma": "BAC_PRO"}));
    assert_eq!(listed["items"][0]["email"], email, "{listed}");
    assert_eq!(listed["items"][0]["status"], "complete");
    assert_eq!(listed["items"][0]["version"], 1);

    let answer = runner.admin(&json!({
        "action": "validate_piece", "actor": actor, "email": email, "kind": "signed_confirmation"
    }));
    assert_eq!(answer["status"], "complete", "{answer}");

    let answer = runner.admin(&json!({
        "action": "reject_piece", "actor": actor, "email": email, "kind": "identity_document",
        "reason": "La pièce d'identité est expirée."
    }));
    assert_eq!(answer["status"], "registered", "{answer}");
    let piece = pieces(&runner, &token)
        .await
        .into_iter()
        .find(|p| p["kind"] == "identity_document")
        .unwrap();
    assert_eq!(piece["status"], "rejected");
    assert_eq!(piece["reason"], "La pièce d'identité est expirée.");
    let rejected = mails_about(&runner, email, "Pièce refusée").await;
    assert_eq!(rejected.len(), 1);
    assert!(rejected[0]["text"]
        .as_str()
        .unwrap()
        .contains("La pièce d'identité est expirée."));

    // Uploaded again, then validated: every piece validated.
    upload(&runner, &token, "identity_document", "image/png", PNG).await;
    assert_eq!(status_of(&runner, email).await, "complete");
    let answer = runner.admin(&json!({
        "action": "validate_piece", "actor": actor, "email": email, "kind": "identity_document"
    }));
    assert_eq!(answer["status"], "validated", "{answer}");
    assert_eq!(status_of(&runner, email).await, "validated");

    let dossier = runner.admin(&json!({"action": "get", "email": "Helene.Martin@Exemple.fr"}));
    assert_eq!(dossier["status"], "validated", "{dossier}");
    assert_eq!(dossier["account"]["status"], "active");
    let by_actor: Vec<&str> = dossier["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["actor"] == actor)
        .map(|h| h["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        by_actor,
        ["piece_validated", "piece_rejected", "piece_validated"]
    );

    // The export: a file in the data directory, and a link the runner serves.
    let answer = runner.admin(&json!({"action": "export", "actor": actor, "diploma": "BAC_PRO"}));
    let file = answer["file"]
        .as_str()
        .unwrap_or_else(|| panic!("{answer}"));
    assert!(
        file.starts_with(
            runner
                .data_dir
                .join("documents")
                .join("exports")
                .to_str()
                .unwrap()
        ),
        "{file}"
    );
    let bytes = std::fs::read(file).unwrap();
    let fetched = runner
        .http
        .get(answer["location"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(fetched.status(), StatusCode::OK);
    assert_eq!(fetched.bytes().await.unwrap().to_vec(), bytes);
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "a UTF-8 BOM");
    // (The csv crate reads it back in functions/common/tests/sweep_aws.rs;
    // these cells hold no `;` nor quote, so a split reads them here.)
    let text = std::str::from_utf8(&bytes[3..]).unwrap();
    let lines: Vec<Vec<&str>> = text
        .split("\r\n")
        .filter(|line| !line.is_empty())
        .map(|line| line.split(';').collect())
        .collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert_eq!(lines[0][0], "Courriel");
    assert_eq!(lines[0][2], "Prénoms");
    assert_eq!(lines[0][10], "Mis à jour le");
    let rows = &lines[1..];
    assert_eq!(rows[0][0], email);
    assert_eq!(rows[0][1], "Martin");
    assert_eq!(rows[0][2], "Hélène");
    assert_eq!(
        rows[0][5],
        "Métiers de l'électricité et de ses environnements connectés"
    );
    assert_eq!(rows[0][6], "validée");

    // Refusals are JSON, never a crash.
    assert_eq!(
        admin_raw(&runner, "{\"action\": ")["error"]["code"],
        "malformed_json"
    );
    assert_eq!(
        admin_raw(&runner, "{\"action\": \"drop_table\"}")["error"]["code"],
        "unknown_action"
    );
    let missing = runner.admin(&json!({"action": "reject_piece", "actor": actor, "email": email, "kind": "identity_document"}));
    assert_eq!(missing["error"]["code"], "invalid_event");
    assert_eq!(missing["error"]["field"], "reason");
}
