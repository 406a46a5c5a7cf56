//! The deadline sweeps and the exams office's admin events end to end, on
//! the embedded backend: the real `examreg` binary over HTTP (the sweeps run
//! after every move of its simulated clock), and `examreg admin '<json>'` as
//! a subprocess on the same data directory.
//!
//! The simulated clock ticks with real time from where it is set, so a check
//! "one second before" has that second of margin.

mod support;

use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use examreg_common::testkit::at;
use reqwest::StatusCode;
use serde_json::json;
use support::{
    bac_pro_melec_body, inscription_body, valid_pdf, valid_png, Runner, BAC_PRO_BOTH_OPEN,
    CAP_REGISTRATION_OPEN,
};

fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// The inscription's status, read by the candidate (logging in afresh: the
/// clock may have moved past the last session's end).
async fn status_of(runner: &Runner, email: &str) -> String {
    let token = runner.login_token(email).await;
    runner.inscription_status(&token).await
}

#[tokio::test]
async fn an_unactivated_account_is_deleted_at_48_hours_to_the_second_and_can_sign_up_again() {
    let runner = Runner::start("2021-10-14T09:00:00+02:00").await;
    let t0 = at("2021-10-14T07:00:00Z");

    // Each signup starts with the clock at t0; it is created within `elapsed`
    // (counted from before the clock is set: the clock runs on while the
    // runner sweeps after the move, before it answers).
    let started = Instant::now();
    runner.set_clock(&rfc3339(t0)).await;
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
        runner.mails_about("gone@exemple.fr", "Activez").await.len(),
        2
    );
}

#[tokio::test]
async fn reminders_at_7_and_2_days_then_cancellation_once_and_an_extension_honoured() {
    let runner = Runner::start(CAP_REGISTRATION_OPEN).await;
    let late = "retard@exemple.fr";
    let ext = "prolonge@exemple.fr";
    let late_token = runner.signup_and_login(late).await;
    runner.save(&late_token, &inscription_body(0)).await;
    let ext_token = runner.signup_and_login(ext).await;
    runner.save(&ext_token, &inscription_body(0)).await;

    // The CAP documents window closes on Wednesday 22 December 2021 at
    // 23:59:59.999 Paris time; one candidate gets a week more.
    let answer = runner.admin(&json!({
        "action": "extend_deadline", "actor": "Mme Durand (DIEC 3.05)",
        "email": ext, "until": "2021-12-29T23:59:59.999+01:00"
    }));
    assert_eq!(
        answer["documents_deadline"], "2021-12-29T23:59:59.999+01:00",
        "{answer}"
    );

    // Seven days before the close.
    runner.set_clock("2021-12-15T23:59:59+01:00").await;
    assert!(runner.mails_about(late, "Rappel").await.is_empty());
    runner.set_clock("2021-12-16T00:00:00+01:00").await;
    for _ in 0..3 {
        runner.advance("1h").await;
    }
    let reminders = runner.mails_about(late, "Rappel").await;
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
        runner.mails_about(ext, "Rappel").await.is_empty(),
        "its deadline is a week later"
    );

    // Two days before.
    runner.set_clock("2021-12-20T23:59:59+01:00").await;
    assert_eq!(runner.mails_about(late, "Rappel").await.len(), 1);
    runner.set_clock("2021-12-21T00:00:00+01:00").await;
    runner.advance("2h").await;
    let reminders = runner.mails_about(late, "Rappel").await;
    assert_eq!(reminders.len(), 2);
    assert!(reminders[1]["subject"]
        .as_str()
        .unwrap()
        .contains("2 jours"));

    // Not one second early...
    runner.set_clock("2021-12-22T23:59:59+01:00").await;
    assert_eq!(status_of(&runner, late).await, "registered");
    assert!(runner.mails_about(late, "annulée").await.is_empty());
    // ... cancelled once the window has closed, and told once.
    runner.set_clock("2021-12-23T00:00:00+01:00").await;
    assert_eq!(status_of(&runner, late).await, "cancelled");
    runner.advance("1d").await;
    runner.advance("1d").await;
    let cancelled = runner.mails_about(late, "annulée").await;
    assert_eq!(cancelled.len(), 1, "{cancelled:#?}");
    assert!(cancelled[0]["text"]
        .as_str()
        .unwrap()
        .contains("candidature est donc annulée"));

    // The extension is honoured: reminded on its own dates, cancelled after it.
    assert_eq!(status_of(&runner, ext).await, "registered");
    runner.set_clock("2021-12-29T23:59:59+01:00").await;
    assert_eq!(status_of(&runner, ext).await, "registered");
    assert_eq!(runner.mails_about(ext, "Rappel").await.len(), 2);
    runner.set_clock("2021-12-30T00:00:00+01:00").await;
    runner.advance("3h").await;
    assert_eq!(status_of(&runner, ext).await, "cancelled");
    assert_eq!(runner.mails_about(ext, "annulée").await.len(), 1);

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
    let token = runner
        .complete_bac_pro_dossier(email, ("image/png", valid_png()))
        .await;
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
    let piece = runner.piece(&token, "identity_document").await;
    assert_eq!(piece["status"], "rejected");
    assert_eq!(piece["reason"], "La pièce d'identité est expirée.");
    let rejected = runner.mails_about(email, "Pièce refusée").await;
    assert_eq!(rejected.len(), 1);
    assert!(rejected[0]["text"]
        .as_str()
        .unwrap()
        .contains("La pièce d'identité est expirée."));

    // Uploaded again, then validated: every piece validated.
    runner
        .upload(&token, "identity_document", "image/png", valid_png())
        .await;
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
        .filter(|h| h["actor"] == format!("console:{actor}").as_str())
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
    // these cells hold no `;` nor quote, so a split of the quoted cells
    // reads them here.)
    let text = std::str::from_utf8(&bytes[3..]).unwrap();
    let lines: Vec<Vec<&str>> = text
        .split("\r\n")
        .filter(|line| !line.is_empty())
        .map(|line| {
            line.split(';')
                .map(|quoted| {
                    quoted
                        .strip_prefix('"')
                        .and_then(|c| c.strip_suffix('"'))
                        .unwrap_or_else(|| panic!("a quoted cell: {quoted}"))
                })
                .collect()
        })
        .collect();
    assert_eq!(lines.len(), 2, "{text}");
    // The candidate number first, then the columns as they were.
    assert_eq!(lines[0][0], "Numéro de candidat");
    assert_eq!(lines[0][1], "Courriel");
    assert_eq!(lines[0][3], "Prénoms");
    assert_eq!(lines[0].last(), Some(&"Mis à jour le"));
    // Cells by their header: the columns may grow.
    let column = |name: &str| {
        lines[0]
            .iter()
            .position(|h| *h == name)
            .unwrap_or_else(|| panic!("no column {name}"))
    };
    let rows = &lines[1..];
    assert_eq!(rows[0][0].len(), 9, "a candidate number: {}", rows[0][0]);
    assert_eq!(rows[0][1], email);
    assert_eq!(rows[0][2], "Martin");
    assert_eq!(rows[0][3], "Hélène");
    assert_eq!(
        rows[0][column("Spécialité")],
        "Métiers de l'électricité et de ses environnements connectés"
    );
    assert_eq!(rows[0][column("Statut")], "validée");

    // Refusals are JSON, never a crash.
    assert_eq!(
        runner.admin_raw("{\"action\": ")["error"]["code"],
        "malformed_json"
    );
    assert_eq!(
        runner.admin_raw("{\"action\": \"drop_table\"}")["error"]["code"],
        "unknown_action"
    );
    let missing = runner.admin(&json!({"action": "reject_piece", "actor": actor, "email": email, "kind": "identity_document"}));
    assert_eq!(missing["error"]["code"], "invalid_event");
    assert_eq!(missing["error"]["field"], "reason");
}

/// A candidate whose Bac Pro inscription was cancelled (after an extension)
/// registers again for the CAP in its own window: the new inscription has
/// the CAP's documents deadline, not the old extension's, and is not
/// cancelled a second time by the next sweep.
#[tokio::test]
async fn registering_again_after_a_cancellation_drops_the_old_extension() {
    let runner = Runner::start(BAC_PRO_BOTH_OPEN).await;
    let email = "nouvel.essai@exemple.fr";
    let token = runner.signup_and_login(email).await;
    runner
        .save(&token, &bac_pro_melec_body(0, "Marseille"))
        .await;
    runner.admin(&json!({
        "action": "extend_deadline", "actor": "Mme Durand (DIEC 3.05)",
        "email": email, "until": "2021-11-14T23:59:59.999+01:00"
    }));
    runner.set_clock("2021-11-15T00:00:00+01:00").await;
    assert_eq!(status_of(&runner, email).await, "cancelled");
    assert_eq!(runner.mails_about(email, "annulée").await.len(), 1);

    runner.set_clock(CAP_REGISTRATION_OPEN).await;
    let token = runner.login_token(email).await;
    let saved = runner.save(&token, &inscription_body(1)).await;
    assert_eq!(saved["status"], "registered", "{saved}");
    assert_eq!(
        saved["documents_deadline"], "2021-12-22T22:59:59.999Z",
        "the CAP's own deadline: {saved}"
    );
    runner.advance("1h").await;
    assert_eq!(status_of(&runner, email).await, "registered");
    assert_eq!(
        runner.mails_about(email, "annulée").await.len(),
        1,
        "not cancelled twice"
    );
}

/// Every piece was uploaded in time; the exams office refuses one after the
/// deadline. The candidature is not cancelled (the notice cancels those whose
/// pieces were not uploaded by the date): it waits for the office, whose
/// extension lets the candidate replace the piece.
#[tokio::test]
async fn a_piece_refused_after_the_deadline_does_not_cancel_a_dossier_sent_in_time() {
    let runner = Runner::start(BAC_PRO_BOTH_OPEN).await;
    let email = "dans.les.temps@exemple.fr";
    runner
        .complete_bac_pro_dossier(email, ("application/pdf", valid_pdf()))
        .await;

    // The Bac Pro documents window closed on 7 November at midnight.
    runner.set_clock("2021-11-09T10:00:00+01:00").await;
    let answer = runner.admin(&json!({
        "action": "reject_piece", "actor": "Mme Durand (DIEC 3.05)", "email": email,
        "kind": "identity_document", "reason": "La pièce d'identité est illisible."
    }));
    assert_eq!(answer["status"], "registered", "{answer}");
    assert!(
        answer["warning"]
            .as_str()
            .is_some_and(|w| w.contains("n'est pas annulée")),
        "{answer}"
    );
    for _ in 0..3 {
        runner.advance("1d").await;
    }
    assert_eq!(status_of(&runner, email).await, "registered");
    assert!(runner.mails_about(email, "annulée").await.is_empty());

    // An extension: the candidate replaces the piece; without it by the new
    // date, the candidature would be cancelled then.
    runner.admin(&json!({
        "action": "extend_deadline", "actor": "Mme Durand (DIEC 3.05)",
        "email": email, "until": "2021-11-19T23:59:59.999+01:00"
    }));
    let token = runner.login_token(email).await;
    runner
        .upload(&token, "identity_document", "image/png", valid_png())
        .await;
    assert_eq!(status_of(&runner, email).await, "complete");
}

/// A dossier complete before the 7-day mark becomes incomplete 4 days and a
/// half before the deadline (the office refuses a piece): the 7-day reminder
/// goes out then, and says the time actually left (5 days, rounded up), not
/// 7. Its link, like the refusal's, leads to the documents page.
#[tokio::test]
async fn a_reminder_sent_late_tells_the_days_actually_left() {
    let runner = Runner::start(BAC_PRO_BOTH_OPEN).await;
    let email = "refus.tardif@exemple.fr";
    runner
        .complete_bac_pro_dossier(email, ("application/pdf", valid_pdf()))
        .await;

    // The Bac Pro documents window closes on Sunday 7 November 2021 at
    // 23:59:59.999 Paris time; its 7-day mark passes while it is complete.
    runner.set_clock("2021-11-01T10:00:00+01:00").await;
    assert!(runner.mails_about(email, "Rappel").await.is_empty());

    // 4 days and 12 hours before the deadline, the office refuses a piece.
    runner.set_clock("2021-11-03T12:00:00+01:00").await;
    let answer = runner.admin(&json!({
        "action": "reject_piece", "actor": "Mme Durand (DIEC 3.05)", "email": email,
        "kind": "identity_document", "reason": "La pièce d'identité est illisible."
    }));
    assert_eq!(answer["status"], "registered", "{answer}");
    assert!(answer.get("warning").is_none(), "{answer}");
    let documents_link = runner.url("/mes-documents");
    let rejected = runner.mails_about(email, "Pièce refusée").await;
    assert_eq!(rejected.len(), 1, "{rejected:#?}");
    let text = rejected[0]["text"].as_str().unwrap();
    assert!(
        text.contains(&format!("Déposer une nouvelle pièce :\n{documents_link}\n")),
        "{text}"
    );

    runner.advance("1h").await;
    let reminders = runner.mails_about(email, "Rappel").await;
    assert_eq!(reminders.len(), 1, "{reminders:#?}");
    let subject = reminders[0]["subject"].as_str().unwrap();
    assert_eq!(
        subject,
        "Rappel : votre dossier d'inscription est incomplet (plus que 5 jours)"
    );
    assert!(!subject.contains("7 jours"));
    let text = reminders[0]["text"].as_str().unwrap();
    assert!(text.contains("Il vous reste 5 jours : "), "{text}");
    assert!(!text.contains("7 jours"), "{text}");
    assert!(
        text.contains("dimanche 7 novembre 2021 à 23 h 59"),
        "{text}"
    );
    assert!(
        text.contains("La pièce d'identité est illisible."),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "Déposer mes pièces dans mon espace candidat :\n{documents_link}\n"
        )),
        "{text}"
    );

    // Sent once; the 2-day one follows at its time, and says so.
    runner.advance("1d").await;
    assert_eq!(runner.mails_about(email, "Rappel").await.len(), 1);
    runner.set_clock("2021-11-06T00:00:00+01:00").await;
    runner.advance("2h").await;
    let reminders = runner.mails_about(email, "Rappel").await;
    assert_eq!(reminders.len(), 2, "{reminders:#?}");
    assert!(reminders[1]["subject"]
        .as_str()
        .unwrap()
        .ends_with("(plus que 2 jours)"));
    let dossier = runner.admin(&json!({"action": "get", "email": email}));
    let reminded: Vec<&str> = dossier["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|h| h["action"].as_str())
        .filter(|action| action.starts_with("reminder_"))
        .collect();
    assert_eq!(reminded, ["reminder_7d", "reminder_2d"], "{dossier:#}");
}

/// Refused after the deadline, a piece cannot be replaced until the office
/// grants an extension: the email says so, and does not offer an upload.
#[tokio::test]
async fn a_refusal_after_the_deadline_offers_no_upload_but_an_extension() {
    let runner = Runner::start(BAC_PRO_BOTH_OPEN).await;
    let email = "apres.la.date@exemple.fr";
    runner
        .complete_bac_pro_dossier(email, ("application/pdf", valid_pdf()))
        .await;
    runner.set_clock("2021-11-09T10:00:00+01:00").await;
    let answer = runner.admin(&json!({
        "action": "reject_piece", "actor": "Mme Durand (DIEC 3.05)", "email": email,
        "kind": "identity_document", "reason": "La pièce d'identité est illisible."
    }));
    assert_eq!(answer["status"], "registered", "{answer}");
    let rejected = runner.mails_about(email, "Pièce refusée").await;
    assert_eq!(rejected.len(), 1, "{rejected:#?}");
    let text = rejected[0]["text"].as_str().unwrap();
    assert!(!text.contains("Déposer"), "{text}");
    assert!(!text.contains("/mes-documents"), "{text}");
    assert!(
        text.contains(&format!("Mon espace candidat :\n{}\n", runner.url("/"))),
        "{text}"
    );
    assert!(
        text.contains("votre candidature n'est pas annulée"),
        "{text}"
    );
    assert!(text.contains("délai supplémentaire"), "{text}");
    assert!(text.contains("DIEC 3.05"), "{text}");
}

/// A blob URL whose key climbs out of the store is refused in French only.
#[tokio::test]
async fn a_blob_key_out_of_the_store_is_refused_in_french() {
    let runner = Runner::start(BAC_PRO_BOTH_OPEN).await;
    // `%2F` keeps the client from resolving the `..` itself.
    let r = runner
        .http
        .put(runner.url("/_local/blobs/..%2F..%2Fetc%2Fpasswd?expires=1&sig=00"))
        .header("Content-Type", "application/pdf")
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let problem: serde_json::Value = r.json().await.unwrap();
    let detail = problem["detail"].as_str().unwrap_or_default();
    assert!(
        detail.starts_with("Le nom de document « ../../etc/passwd » est invalide"),
        "{problem}"
    );
    for english in ["invalid document key", "not allowed", "`"] {
        assert!(!detail.contains(english), "{problem}");
    }
}
