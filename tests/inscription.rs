//! The inscription end to end (« Vous inscrire », « Aucune modification ne
//! pourra être prise en compte après la fin des inscriptions »).

#[macro_use]
mod support;

use reqwest::StatusCode;
use serde_json::{json, Value};
use support::{
    bac_pro_melec_body, inscription_body, valid_png, Backend, Runner, BAC_PRO_BOTH_OPEN,
    CAP_REGISTRATION_OPEN,
};

fn bac_pro_body(version: u64) -> Value {
    let mut body = inscription_body(version);
    body["diploma"] = json!("BAC_PRO");
    body["specialty"] = json!("MCV_A");
    body
}

async fn json_of(r: reqwest::Response) -> (StatusCode, Value) {
    let status = r.status();
    (status, r.json().await.unwrap())
}

async fn a_candidate_registers_then_changes_the_inscription(backend: Backend) {
    let runner = Runner::start_on(backend, CAP_REGISTRATION_OPEN).await;
    let token = runner.signup_and_login("zoe@exemple.fr").await;

    let (status, body) = json_of(runner.get("/inscription", Some(&token)).await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["code"], "no_inscription");

    let (status, created) = json_of(
        runner
            .put("/inscription", Some(&token), &inscription_body(0))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["version"], 1);
    assert_eq!(created["status"], "registered");
    assert_eq!(created["session"], "2022");
    assert_eq!(created["identity"]["last_name"], "N'Diaye-Lefèvre");
    assert_eq!(created["identity"]["phone"], "+33612345678");
    assert!(created["created_at"].is_string() && created["updated_at"].is_string());
    let kinds: Vec<&str> = created["pieces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["signed_confirmation", "identity_document"]);

    // The same inscription is read back.
    let (status, read) = json_of(runner.get("/inscription", Some(&token)).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(read["identity"], created["identity"]);

    let mut change = inscription_body(1);
    change["identity"]["address"]["city"] = json!("Aix-en-Provence");
    change["identity"]["address"]["postal_code"] = json!("13100");
    let (status, updated) = json_of(runner.put("/inscription", Some(&token), &change).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(updated["version"], 2);
    assert_eq!(updated["identity"]["address"]["city"], "Aix-en-Provence");

    // Each save sends « Modification d'inscription » with what changed.
    let mails = runner
        .mails_titled("zoe@exemple.fr", "Modification d'inscription")
        .await;
    assert_eq!(mails.len(), 2);
    let text = mails[1]["text"].as_str().unwrap();
    assert!(text.contains("Marseille → Aix-en-Provence"), "{text}");
    assert!(text.contains("version 2"), "{text}");

    // A stale version changes nothing.
    let (status, body) = json_of(
        runner
            .put("/inscription", Some(&token), &inscription_body(1))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["code"], "version_conflict");
    let (_, read) = json_of(runner.get("/inscription", Some(&token)).await).await;
    assert_eq!(read["version"], 2);
    assert_eq!(read["identity"]["address"]["city"], "Aix-en-Provence");
    // So does a second creation.
    let (status, _) = json_of(
        runner
            .put("/inscription", Some(&token), &inscription_body(0))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
}

async fn every_invalid_field_is_reported_at_once_and_nothing_is_stored(backend: Backend) {
    let runner = Runner::start_on(backend, CAP_REGISTRATION_OPEN).await;
    let token = runner.signup_and_login("erreurs@exemple.fr").await;
    let mut body = inscription_body(0);
    body["specialty"] = json!("ASTRONAUTE");
    body["identity"]["last_name"] = json!("R2-D2");
    body["identity"]["birth_date"] = json!("2001-02-29");
    body["identity"]["nationality"] = json!("ZZ");
    body["identity"]["address"]["postal_code"] = json!("1300");
    body["identity"]["phone"] = json!("123");
    body["disability"] = json!({ "declared": false, "existing_accommodation": true });

    let r = runner.put("/inscription", Some(&token), &body).await;
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let (status, problem) = json_of(r).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["code"], "validation_failed");
    let errors: Vec<(String, String)> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            assert!(!e["message"].as_str().unwrap().is_empty());
            (
                e["field"].as_str().unwrap().to_owned(),
                e["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    for expected in [
        ("specialty", "unknown_specialty"),
        ("identity.last_name", "invalid_name"),
        ("identity.birth_date", "invalid_date"),
        ("identity.nationality", "invalid_country"),
        ("identity.address.postal_code", "invalid_postal_code"),
        ("identity.phone", "invalid_phone"),
    ] {
        assert!(
            errors
                .iter()
                .any(|(f, c)| f == expected.0 && c == expected.1),
            "{expected:?} missing from {errors:?}"
        );
    }
    assert!(errors.len() >= 7, "{errors:?}");
    let (status, _) = json_of(runner.get("/inscription", Some(&token)).await).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "nothing stored");

    // Unknown fields, even nested, are refused.
    let mut body = inscription_body(0);
    body["identity"]["surnom"] = json!("Zozo");
    let (status, problem) = json_of(runner.put("/inscription", Some(&token), &body).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["code"], "unknown_field");
    assert_eq!(problem["errors"][0]["field"], "identity.surnom");

    // A value of the wrong type names its field.
    let mut body = inscription_body(0);
    body["disability"]["declared"] = json!("oui");
    let (status, problem) = json_of(runner.put("/inscription", Some(&token), &body).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["errors"][0]["field"], "disability.declared");

    // Unauthenticated callers get 401, whatever they send.
    let (status, _) = json_of(runner.put("/inscription", None, &inscription_body(0)).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

async fn the_registration_window_is_enforced_to_the_second_across_the_dst_change(backend: Backend) {
    // Bac Pro: 14 Oct 2021 00:00 CEST to 31 Oct 2021 23:59:59.999 CET.
    let runner = Runner::start_on(backend, "2021-10-13T23:59:58+02:00").await;
    let token = runner.signup_and_login("bacpro@exemple.fr").await;

    runner.set_clock("2021-10-13T23:59:59.000+02:00").await;
    let (status, body) = json_of(
        runner
            .put("/inscription", Some(&token), &bac_pro_body(0))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["code"], "registration_closed");
    let detail = body["detail"].as_str().unwrap();
    assert!(
        detail.contains("du jeudi 14 octobre 2021 au dimanche 31 octobre 2021"),
        "{detail}"
    );

    runner.set_clock("2021-10-14T00:00:00.000+02:00").await;
    let (status, _) = json_of(
        runner
            .put("/inscription", Some(&token), &bac_pro_body(0))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);

    // The last second of 31 October is CET (UTC+1), after the DST change.
    // (Sessions last 12 hours: log in again after the jump.)
    runner.set_clock("2021-10-31T23:59:50+01:00").await;
    let token = runner.login_token("bacpro@exemple.fr").await;
    runner.set_clock("2021-10-31T23:59:58.500+01:00").await;
    // A change, so that the save writes (one that changes nothing writes nothing).
    let mut moved = bac_pro_body(1);
    moved["identity"]["address"]["city"] = json!("Aubagne");
    let (status, saved) = json_of(runner.put("/inscription", Some(&token), &moved).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(saved["version"], 2);

    runner.set_clock("2021-11-01T00:00:00.000+01:00").await;
    let (status, body) = json_of(
        runner
            .put("/inscription", Some(&token), &bac_pro_body(2))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["code"], "registration_closed");
    let (_, read) = json_of(runner.get("/inscription", Some(&token)).await).await;
    assert_eq!(read["version"], 2, "the refused write changed nothing");
    assert_eq!(read["identity"]["address"]["city"], "Aubagne");

    // Moving to the CAP, whose window is not open yet, is refused too.
    let (status, _) = json_of(
        runner
            .put("/inscription", Some(&token), &inscription_body(2))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

async fn twenty_concurrent_creates_make_one_inscription(backend: Backend) {
    let runner = Runner::start_on(backend, CAP_REGISTRATION_OPEN).await;
    let token = runner.signup_and_login("vingt@exemple.fr").await;
    let body = inscription_body(0);
    let mut handles = Vec::new();
    for _ in 0..20 {
        let http = runner.http.clone();
        let url = runner.url("/inscription");
        let token = token.clone();
        let body = body.clone();
        handles.push(tokio::spawn(async move {
            http.put(url)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap()
                .status()
        }));
    }
    let mut created = 0;
    for handle in handles {
        match handle.await.unwrap() {
            StatusCode::CREATED => created += 1,
            StatusCode::CONFLICT => {}
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(created, 1);
    let (_, read) = json_of(runner.get("/inscription", Some(&token)).await).await;
    assert_eq!(read["version"], 1);
}

async fn the_required_pieces_follow_what_was_declared(backend: Backend) {
    let runner = Runner::start_on(backend, CAP_REGISTRATION_OPEN).await;
    let token = runner.signup_and_login("pieces@exemple.fr").await;
    let mut body = inscription_body(0);
    // A French national of 20: the JDC certificate.
    body["identity"]["birth_date"] = json!("2001-06-15");
    // An existing accommodation: its notice.
    body["disability"] = json!({ "declared": true, "existing_accommodation": true });
    // An acquis: its proof.
    body["acquis"] = json!([{ "unit": "EG1", "type": "benefit", "grade": 12.5, "year": 2020 }]);
    let (status, created) = json_of(runner.put("/inscription", Some(&token), &body).await).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert!(created.get("accommodation_request_url").is_none());

    let (status, pieces) = json_of(runner.get("/inscription/pieces", Some(&token)).await).await;
    assert_eq!(status, StatusCode::OK);
    let kinds: Vec<&str> = pieces
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "signed_confirmation",
            "identity_document",
            "jdc_certificate",
            "accommodation_notice",
            "acquis_proof"
        ]
    );
    for piece in pieces.as_array().unwrap() {
        assert_eq!(piece["status"], "missing");
        assert!(!piece["label"].as_str().unwrap().is_empty());
    }
    assert!(pieces[4]["label"].as_str().unwrap().contains("EG1"));

    // A new accommodation request: the académie's link, no notice to upload.
    let mut body = inscription_body(1);
    body["identity"]["nationality"] = json!("BE");
    body["disability"] = json!({ "declared": true, "existing_accommodation": false });
    let (status, updated) = json_of(runner.put("/inscription", Some(&token), &body).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        updated["accommodation_request_url"],
        "https://appli.ac-aix-marseille.fr/amex/"
    );
    let kinds: Vec<&str> = updated["pieces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["signed_confirmation", "identity_document"]);
}

// ---------------------------------------------------------------------------
// A save that changes nothing changes nothing
// ---------------------------------------------------------------------------

async fn saving_the_same_inscription_again_changes_nothing(backend: Backend) {
    let runner = Runner::start_on(backend, CAP_REGISTRATION_OPEN).await;
    let email = "identique@exemple.fr";
    let token = runner.signup_and_login(email).await;
    let (status, created) = json_of(
        runner
            .put("/inscription", Some(&token), &inscription_body(0))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");

    // The same form, as sent and as written otherwise (case, decomposed
    // accents, spacing, the phone's writing: what validation normalises).
    let mut rewritten = inscription_body(1);
    rewritten["diploma"] = json!("cap");
    rewritten["identity"]["first_names"] = json!(" Zoe\u{301}  Anai\u{308}s ");
    rewritten["identity"]["address"]["country"] = json!("fr");
    rewritten["identity"]["phone"] = json!("+33 6 12 34 56 78");
    for body in [inscription_body(1), rewritten] {
        let (status, saved) = json_of(runner.put("/inscription", Some(&token), &body).await).await;
        assert_eq!(status, StatusCode::OK, "{saved}");
        assert_eq!(saved, created, "the inscription as it is, at version 1");
    }
    let (_, read) = json_of(runner.get("/inscription", Some(&token)).await).await;
    assert_eq!(read, created);
    let mails = runner
        .mails_titled(email, "Modification d'inscription")
        .await;
    assert_eq!(mails.len(), 1, "only the creation's email: {mails:#?}");

    // A stale version is still a conflict.
    let (status, body) = json_of(
        runner
            .put("/inscription", Some(&token), &inscription_body(0))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["code"], "version_conflict");

    // Once the CAP window has closed (8 December), even the same form is refused.
    runner.set_clock("2021-12-09T00:00:00+01:00").await;
    let token = runner.login_token(email).await;
    let (status, body) = json_of(
        runner
            .put("/inscription", Some(&token), &inscription_body(1))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["code"], "registration_closed");
}

const ACTOR: &str = "M. Martin (DIEC 3.05)";

/// The exams office validates both pieces of a complete Bac Pro dossier.
fn validate_both_pieces(runner: &Runner, email: &str) {
    for kind in ["signed_confirmation", "identity_document"] {
        let answer = runner.admin(&json!({
            "action": "validate_piece", "actor": ACTOR, "email": email, "kind": kind
        }));
        assert!(answer.get("error").is_none(), "{answer}");
    }
}

async fn an_identical_save_leaves_a_complete_or_validated_dossier_as_it_is(backend: Backend) {
    let runner = Runner::start_on(backend, BAC_PRO_BOTH_OPEN).await;
    let email = "valide@exemple.fr";
    let token = runner
        .complete_bac_pro_dossier(email, ("image/png", valid_png()))
        .await;
    let same = bac_pro_melec_body(1, "Marseille");

    // Complete: the signed confirmation still counts.
    let (status, saved) = json_of(runner.put("/inscription", Some(&token), &same).await).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(saved["version"], 1);
    assert_eq!(saved["status"], "complete");
    assert_eq!(
        runner.piece(&token, "signed_confirmation").await["status"],
        "received"
    );

    // Validated: it stays so, with its validated confirmation.
    validate_both_pieces(&runner, email);
    let (_, validated) = json_of(runner.get("/inscription", Some(&token)).await).await;
    assert_eq!(validated["status"], "validated");
    let (status, saved) = json_of(runner.put("/inscription", Some(&token), &same).await).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(saved, validated, "the inscription as it is, at version 1");
    let confirmation = runner.piece(&token, "signed_confirmation").await;
    assert_eq!(confirmation["status"], "validated", "{confirmation:#}");
    let mails = runner
        .mails_titled(email, "Modification d'inscription")
        .await;
    assert_eq!(mails.len(), 1, "only the creation's email: {mails:#?}");

    // The documents deadline (7 November) passes: nothing to cancel.
    runner.set_clock("2021-11-08T10:00:00+01:00").await;
    let token = runner.login_token(email).await;
    assert_eq!(runner.inscription_status(&token).await, "validated");
    assert!(runner.mails_about(email, "annulée").await.is_empty());
    // And the registration window (31 October) is closed, to the same form too.
    let (status, body) = json_of(runner.put("/inscription", Some(&token), &same).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["code"], "registration_closed");
}

async fn a_save_that_changes_something_still_voids_the_signed_confirmation(backend: Backend) {
    let runner = Runner::start_on(backend, BAC_PRO_BOTH_OPEN).await;
    let email = "change@exemple.fr";
    let token = runner
        .complete_bac_pro_dossier(email, ("image/png", valid_png()))
        .await;
    validate_both_pieces(&runner, email);
    assert_eq!(runner.inscription_status(&token).await, "validated");

    let (status, saved) = json_of(
        runner
            .put(
                "/inscription",
                Some(&token),
                &bac_pro_melec_body(1, "Aubagne"),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(saved["version"], 2);
    assert_eq!(saved["status"], "registered");
    let confirmation = runner.piece(&token, "signed_confirmation").await;
    assert_eq!(confirmation["status"], "missing", "{confirmation:#}");
    let reason = confirmation["reason"].as_str().unwrap();
    assert!(reason.contains("version 2"), "{reason}");
    assert_eq!(
        runner.piece(&token, "identity_document").await["status"],
        "validated"
    );
    let mails = runner
        .mails_titled(email, "Modification d'inscription")
        .await;
    assert_eq!(mails.len(), 2, "{mails:#?}");
    let text = mails[1]["text"].as_str().unwrap();
    assert!(text.contains("Marseille → Aubagne"), "{text}");
}

on_both_backends!(
    a_candidate_registers_then_changes_the_inscription,
    every_invalid_field_is_reported_at_once_and_nothing_is_stored,
    the_registration_window_is_enforced_to_the_second_across_the_dst_change,
    twenty_concurrent_creates_make_one_inscription,
    the_required_pieces_follow_what_was_declared,
    saving_the_same_inscription_again_changes_nothing,
);

/// Embedded only: on the AWS backend the runner's upload URLs point at S3
/// (moto), which sends the runner no notification, so no upload is checked
/// and no dossier gets complete; and `examreg admin` reads the embedded
/// store. The same saves over a validated dossier are run on DynamoDB at
/// the service level (`functions/common/tests/sweep_aws.rs`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_identical_save_leaves_a_complete_or_validated_dossier_as_it_is_embedded() {
    an_identical_save_leaves_a_complete_or_validated_dossier_as_it_is(Backend::Embedded).await
}

/// Embedded only, for the same reasons.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_save_that_changes_something_still_voids_the_signed_confirmation_embedded() {
    a_save_that_changes_something_still_voids_the_signed_confirmation(Backend::Embedded).await
}
