//! The paper channel end to end, on the embedded backend: the real `examreg`
//! binary over HTTP, and `examreg admin '<json>'` recording the pieces the
//! rectorat received by post (notice, §3).

mod support;

use reqwest::StatusCode;
use serde_json::json;
use support::{bac_pro_melec_body, Runner, BAC_PRO_BOTH_OPEN};

#[tokio::test]
async fn pieces_posted_in_time_complete_the_dossier_and_say_so_everywhere() {
    let runner = Runner::start(BAC_PRO_BOTH_OPEN).await;
    let email = "paul.papier@exemple.fr";
    let token = runner.signup_and_login(email).await;
    runner
        .save(&token, &bac_pro_melec_body(0, "Marseille"))
        .await;

    // Before anything is posted: both ways, with the rectorat's address, on
    // the pieces list and on the portal's « Mes documents ».
    let owed = runner.piece(&token, "signed_confirmation").await;
    assert!(owed.get("channel").is_none(), "{owed}");
    let how = owed["how_to_send"].as_str().unwrap();
    assert!(
        how.contains("rubrique « Mes documents »")
            && how.contains("Place Lucien Paye, 13621 Aix-en-Provence cedex 1"),
        "{how}"
    );
    let page = runner.get("/mes-documents", None).await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("RECTORAT D&#39;AIX-MARSEILLE<br>DIEC 3.05<br>Place Lucien Paye"),
        "{html}"
    );

    let actor = "M. Martin (DIEC 3.05)";
    let version = runner.inscription(&token).await["version"].clone();
    let answer = runner.admin(&json!({
        "action": "record_piece", "actor": actor, "email": email,
        "kind": "identity_document", "postmarked_on": "2021-10-25"
    }));
    assert_eq!(answer["status"], "registered", "{answer}");
    let answer = runner.admin(&json!({
        "action": "record_piece", "actor": actor, "email": email,
        "kind": "signed_confirmation", "postmarked_on": "2021-10-26", "version": version
    }));
    assert_eq!(answer["status"], "complete", "{answer}");

    let posted = runner.piece(&token, "signed_confirmation").await;
    assert_eq!(posted["status"], "received", "{posted}");
    assert_eq!(posted["channel"], "post");
    assert_eq!(posted["postmarked_on"], "2021-10-26");
    assert!(posted.get("how_to_send").is_none(), "{posted}");
    assert_eq!(
        runner
            .mails_about(email, "dossier d'inscription est complet")
            .await
            .len(),
        1
    );

    // Past the deadline: neither reminded nor cancelled.
    runner.set_clock("2021-11-10T12:00:00+01:00").await;
    // Logged in afresh: the session ended while the clock moved.
    let token = runner.login_token(email).await;
    assert_eq!(runner.inscription_status(&token).await, "complete");
    assert!(runner.mails_about(email, "Rappel").await.is_empty());
    assert!(runner.mails_about(email, "annulée").await.is_empty());
    let late = runner.admin(&json!({
        "action": "record_piece", "actor": actor, "email": email,
        "kind": "signed_confirmation", "postmarked_on": "2021-11-08", "version": version
    }));
    assert_eq!(late["error"]["code"], "postmarked_late", "{late}");
}
