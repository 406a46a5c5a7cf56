//! The exams office's actions of issue 15 end to end, on the real `examreg`
//! runner over HTTP: the candidate's withdrawal (`POST /inscription/withdraw`)
//! and the office's `reopen` through `examreg admin`.

mod support;

use reqwest::StatusCode;
use serde_json::json;
use support::{bac_pro_melec_body, valid_png, Runner, BAC_PRO_BOTH_OPEN};

#[tokio::test]
async fn a_candidate_withdraws_over_http_and_the_office_reopens() {
    let runner = Runner::start(BAC_PRO_BOTH_OPEN).await;
    let email = "lea.withdraw@exemple.fr";
    let token = runner.signup_and_login(email).await;

    // No inscription yet: a French problem.
    let r = runner
        .post("/inscription/withdraw", Some(&token), &json!({}))
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let problem: serde_json::Value = r.json().await.unwrap();
    assert_eq!(problem["code"], "no_inscription", "{problem}");

    runner
        .save(&token, &bac_pro_melec_body(0, "Marseille"))
        .await;
    let r = runner
        .post("/inscription/withdraw", Some(&token), &json!({}))
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(runner.inscription_status(&token).await, "withdrawn");
    assert_eq!(
        runner
            .mails_titled(email, "Votre inscription est retirée")
            .await
            .len(),
        1
    );
    // Again: the same answer, no second email.
    let r = runner
        .post("/inscription/withdraw", Some(&token), &json!({}))
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        runner
            .mails_titled(email, "Votre inscription est retirée")
            .await
            .len(),
        1
    );
    // No upload into a withdrawn dossier.
    let r = runner
        .ask_upload(
            &token,
            "identity_document",
            "image/png",
            valid_png().len() as u64,
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    let answer = runner.admin(&json!({"action": "reopen", "actor": "Mme Durand", "email": email}));
    assert_eq!(answer["status"], "registered", "{answer}");
    assert_eq!(runner.inscription_status(&token).await, "registered");
    assert_eq!(
        runner
            .mails_titled(email, "Votre inscription est rouverte")
            .await
            .len(),
        1
    );
    let dossier = runner.admin(&json!({"action": "get", "actor": "Mme Durand", "email": email}));
    let lines: Vec<(&str, &str)> = dossier["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| (h["actor"].as_str().unwrap(), h["action"].as_str().unwrap()))
        .collect();
    assert_eq!(
        lines,
        [
            ("candidate", "created"),
            ("candidate", "withdrawn"),
            ("console:Mme Durand", "reopened")
        ],
        "{dossier:#}"
    );
}
