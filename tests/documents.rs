//! Documents end to end through the HTTP API on the embedded backend (the
//! real `examreg` binary): the confirmation PDF (notice, section 2) and the
//! uploads of the signed confirmation and of every piece (section 3), with
//! the check of the stored bytes that the runner runs at the end of each PUT.
//!
//! The PDF's text is read with poppler's `pdftotext` (Debian: `apt-get
//! install poppler-utils`).

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use serde_json::{json, Value};
use support::{
    account_of, bac_pro_melec_body, problem, uploads_path, valid_jpeg, valid_pdf, valid_png,
    Runner, BAC_PRO_BOTH_OPEN,
};

/// Bac Pro: registration open, documents not yet.
const BEFORE_DOCUMENTS: &str = "2021-10-20T10:00:00+02:00";

const HTML: &[u8] = b"<!DOCTYPE html><html><body><script>alert('pdf?')</script></body></html>";

/// The Bac Pro inscription that asks for every kind of piece: French and 21
/// (JDC), an accommodation already granted, two acquis.
fn full_body(version: u64) -> Value {
    json!({
        "diploma": "BAC_PRO",
        "specialty": "MELEC",
        "identity": {
            "last_name": "N'Diaye-Lefèvre",
            "first_names": "Zoé Anaïs",
            "birth_date": "2000-02-03",
            "birth_place": "Saint-Étienne",
            "nationality": "FR",
            "address": {
                "line1": "12 rue de l'Œuvre",
                "line2": "Bâtiment Les Cèdres",
                "postal_code": "13100",
                "city": "Aix-en-Provence",
                "country": "FR"
            },
            "phone": "06 12 34 56 78"
        },
        "disability": { "declared": true, "existing_accommodation": true },
        "acquis": [
            { "unit": "E11", "type": "dispense", "year": 2019 },
            { "unit": "E2", "type": "benefit", "grade": 14.5, "year": 2020 }
        ],
        "version": version
    })
}

/// Asks for an upload URL that must be refused: the problem's status and body.
async fn refusal(
    runner: &Runner,
    token: &str,
    kind: &str,
    content_type: &str,
    size: u64,
) -> (StatusCode, Value) {
    problem(runner.ask_upload(token, kind, content_type, size).await).await
}

/// Every file stored under the runner's documents folder, as keys.
fn stored_keys(runner: &Runner) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(root, &path, out);
            } else if !entry.file_name().to_string_lossy().starts_with('.') {
                let relative = path.strip_prefix(root).unwrap();
                out.push(relative.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    let root: PathBuf = runner.data_dir.join("documents");
    let mut out = Vec::new();
    walk(&root, &root, &mut out);
    out.sort();
    out
}

/// The key a ticket's URL names.
fn ticket_key(ticket: &Value) -> String {
    let url = ticket["upload_url"].as_str().unwrap();
    let path = url.split('?').next().unwrap();
    path.split("/_local/blobs/").nth(1).unwrap().to_owned()
}

/// What poppler's `tool` prints of the PDF `bytes`, given `args` before the
/// file's name and `after` it (its stderr aside: poppler 22.12's `pdfinfo`
/// complains there that the catalog's `/Suspects false` is a boolean, which
/// ISO 32000 says it must be; it only accepts `true` quietly).
fn poppler(runner: &Runner, tool: &str, args: &[&str], bytes: &[u8], after: &[&str]) -> Vec<u8> {
    let file = runner.data_dir.join(format!("{tool}-{}.pdf", bytes.len()));
    std::fs::write(&file, bytes).unwrap();
    let output = match Command::new(tool).args(args).arg(&file).args(after).output() {
        Ok(output) => output,
        Err(e) => panic!(
            "cannot run `{tool}` ({e}): install poppler-utils (Debian/Ubuntu: `apt-get install poppler-utils`) to read the confirmation PDF"
        ),
    };
    assert!(
        output.status.success(),
        "{tool} {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

/// The PDF's text, as poppler's `pdftotext` reads it.
fn pdf_text(runner: &Runner, bytes: &[u8]) -> String {
    let text = poppler(runner, "pdftotext", &["-enc", "UTF-8"], bytes, &["-"]);
    String::from_utf8(text).expect("pdftotext writes UTF-8")
}

/// What poppler's `pdfinfo` prints of the PDF with `args`. The structure's
/// titles are printed as the file holds them (UTF-16 for non-ASCII), so the
/// text is read lossily; the content lines are UTF-8.
fn pdfinfo(runner: &Runner, bytes: &[u8], args: &[&str]) -> String {
    String::from_utf8_lossy(&poppler(runner, "pdfinfo", args, bytes, &[])).into_owned()
}

/// Without any whitespace (values may wrap over lines; NBSPs are whitespace).
fn squash(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

#[tokio::test]
async fn the_confirmation_pdf_holds_every_declared_field_with_its_accents() {
    let runner = Runner::start(BAC_PRO_BOTH_OPEN).await;
    let token = runner.signup_and_login("zoe.ndiaye@exemple.fr").await;

    // No inscription yet; no token at all.
    let (status, body) = problem(
        runner
            .get("/inscription/confirmation.pdf", Some(&token))
            .await,
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("no_inscription"))
    );
    let (status, body) = problem(runner.get("/inscription/confirmation.pdf", None).await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("unauthenticated"))
    );

    let saved = runner.save(&token, &full_body(0)).await;
    let updated_at: DateTime<Utc> = saved["updated_at"].as_str().unwrap().parse().unwrap();

    let r = runner
        .get("/inscription/confirmation.pdf", Some(&token))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "application/pdf");
    assert_eq!(
        r.headers()["content-disposition"],
        "attachment; filename=\"confirmation-inscription-2022-v1.pdf\""
    );
    let bytes = r.bytes().await.unwrap().to_vec();
    assert!(bytes.starts_with(b"%PDF-"));
    let text = pdf_text(&runner, &bytes);
    let squashed = squash(&text);
    let generated = examreg_common::wording::to_paris_string(updated_at);
    let expected = [
        "Aix-Marseille",
        "2022",
        "Baccalauréat professionnel",
        "Métiers de l'électricité et de ses environnements connectés",
        "MELEC",
        "zoe.ndiaye@exemple.fr",
        "N'Diaye-Lefèvre",
        "Zoé Anaïs",
        "3 février 2000",
        "Saint-Étienne",
        "française",
        "12 rue de l'Œuvre",
        "Bâtiment Les Cèdres",
        "13100 Aix-en-Provence",
        "France",
        "+33 6 12 34 56 78",
        // Every unit of the specialty, with the acquis declared.
        "E11",
        "Mathématiques",
        "Physique-chimie",
        "E31",
        "Réalisation d'une installation",
        "Dispense (diplôme obtenu en 2019)",
        "Bénéfice de note : 14,5/20 (session 2020)",
        "À présenter",
        "professionnelle",
        "générale",
        // The disability declaration.
        "bénéficier déjà d'un aménagement d'épreuves",
        // The version and when it was saved (not when it was downloaded).
        "Version de l'inscription",
        generated.as_str(),
        // The pieces to upload, and when.
        "Confirmation d'inscription datée et signée",
        "Pièce d'identité en cours de validité",
        "Journée défense et citoyenneté (JDC)",
        "Notification d'aménagement d'épreuves",
        "Relevé de notes ou diplôme justifiant vos acquis (E11, E2)",
        "du lundi 25 octobre 2021 au dimanche 7 novembre 2021",
        "Date et signature du candidat",
    ];
    for value in expected {
        assert!(
            squashed.contains(&squash(value)),
            "the PDF lacks « {value} »:\n{text}"
        );
    }

    // The same version gives the same document, whenever it is downloaded.
    runner.advance("3h").await;
    // (Logged in afresh: 30 minutes idle end a session.)
    let token = runner.login_token("zoe.ndiaye@exemple.fr").await;
    let again = runner
        .get("/inscription/confirmation.pdf", Some(&token))
        .await;
    assert_eq!(again.bytes().await.unwrap().to_vec(), bytes);

    // Another candidate gets their own answer, never this PDF.
    let other = runner.signup_and_login("autre.candidat@exemple.fr").await;
    let (status, body) = problem(
        runner
            .get("/inscription/confirmation.pdf", Some(&other))
            .await,
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("no_inscription"))
    );

    // A new version is a new document, named after it.
    let mut changed = full_body(1);
    changed["identity"]["birth_place"] = json!("Bézier");
    runner.save(&token, &changed).await;
    let r = runner
        .get("/inscription/confirmation.pdf", Some(&token))
        .await;
    assert_eq!(
        r.headers()["content-disposition"],
        "attachment; filename=\"confirmation-inscription-2022-v2.pdf\""
    );
    let text = pdf_text(&runner, &r.bytes().await.unwrap());
    assert!(squash(&text).contains("Bézier"), "{text}");
}

/// Issue #19: the confirmation is a tagged PDF whose structure a screen
/// reader follows: a title, the sections' headings in the order they are
/// printed, tables with header cells, lists and paragraphs.
#[tokio::test]
async fn the_confirmation_pdf_is_tagged_with_its_structure_in_reading_order() {
    let runner = Runner::start(BAC_PRO_BOTH_OPEN).await;
    let token = runner.signup_and_login("lecteur.ecran@exemple.fr").await;
    runner.save(&token, &full_body(0)).await;
    let r = runner
        .get("/inscription/confirmation.pdf", Some(&token))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let bytes = r.bytes().await.unwrap().to_vec();

    let info = pdfinfo(&runner, &bytes, &[]);
    assert!(
        info.lines()
            .any(|line| line.split_whitespace().eq(["Tagged:", "yes"])),
        "the confirmation is not tagged:\n{info}"
    );
    assert!(
        info.contains("Title:") && info.contains("Confirmation d'inscription"),
        "{info}"
    );

    let tree = pdfinfo(&runner, &bytes, &["-struct-text"]);
    let lines: Vec<&str> = tree.lines().map(str::trim).collect();
    assert_eq!(lines.first(), Some(&"Document"), "{tree}");
    // Each heading with the text it holds (the line after the element).
    let headings: Vec<(&str, &str)> = lines
        .windows(2)
        .filter_map(|pair| {
            let kind = pair[0].split_whitespace().next()?;
            matches!(kind, "H1" | "H2" | "H3").then(|| (kind, pair[1].trim_matches('"')))
        })
        .collect();
    assert_eq!(
        headings,
        [
            ("H1", "Confirmation d'inscription — Session 2022"),
            ("H2", "Examen"),
            ("H2", "Identité du candidat"),
            ("H2", "Unités de l'examen"),
            ("H2", "Situation de handicap"),
            ("H2", "Pièces justificatives"),
            ("H2", "Rappels"),
            ("H3", "Date et signature du candidat"),
        ],
        "{tree}"
    );
    let count = |kind: &str| {
        lines
            .iter()
            .filter(|line| line.split([' ', ':']).next() == Some(kind))
            .count()
    };
    // The exam's and the identity's tables label each row; the units' table
    // has a header row over its columns.
    assert_eq!(count("Table"), 3, "{tree}");
    assert_eq!(count("THead"), 1, "{tree}");
    assert!(count("TH") >= 10 && count("TD") >= 10, "{tree}");
    assert!(count("L") >= 2 && count("LI") >= 5, "{tree}");
    assert!(count("P") >= 5, "{tree}");

    // The content in the order it is printed: the units' table reads its
    // header, then each unit with its acquis.
    let text: String = lines
        .iter()
        .filter(|line| line.starts_with('"'))
        .map(|line| line.trim_matches('"'))
        .collect::<Vec<_>>()
        .join(" ");
    let in_order = [
        "Numéro de candidat",
        "Métiers de l'électricité",
        "N'Diaye-Lefèvre",
        "E11",
        "Dispense (diplôme obtenu en 2019)",
        "E31",
        "bénéficier déjà d'un aménagement d'épreuves",
        "Pièce d'identité en cours de validité",
        "Date et signature du candidat",
    ];
    let mut from = 0;
    for value in in_order {
        match text[from..].find(value) {
            Some(at) => from += at + value.len(),
            None => panic!("« {value} » is missing or out of order in the structure:\n{tree}"),
        }
    }
}

#[tokio::test]
async fn uploads_are_refused_outside_the_window_and_for_anything_but_a_required_piece() {
    let runner = Runner::start(BEFORE_DOCUMENTS).await;
    let token = runner.signup_and_login("hors.delai@exemple.fr").await;

    // No inscription, no token.
    let (status, body) = refusal(&runner, &token, "identity_document", "application/pdf", 10).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("no_inscription"))
    );
    let r = runner
        .post(
            &uploads_path("identity_document"),
            None,
            &json!({"content_type": "application/pdf", "size_bytes": 10}),
        )
        .await;
    assert_eq!(problem(r).await.0, StatusCode::UNAUTHORIZED);

    runner
        .save(&token, &bac_pro_melec_body(0, "Marseille"))
        .await;

    // The documents window is not open yet: the detail gives its dates.
    let (status, body) = refusal(&runner, &token, "identity_document", "application/pdf", 10).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("documents_closed"))
    );
    let detail = body["detail"].as_str().unwrap();
    assert!(
        detail.contains("du lundi 25 octobre 2021 au dimanche 7 novembre 2021"),
        "{detail}"
    );

    runner.set_clock(BAC_PRO_BOTH_OPEN).await;
    // Days later: the session has expired, log in again.
    let token = runner.login_token("hors.delai@exemple.fr").await;

    // Unknown kinds, kinds this inscription does not require, path tricks:
    // all `unknown_piece`, and nothing reaches the document store.
    for kind in [
        "passport",
        "Identity_Document",
        "identity_document%20",
        "jdc_certificate",
        "accommodation_notice",
        "acquis_proof",
        "..%2F..%2Fetc%2Fpasswd",
        "identity_document%2F..%2F..%2Fx",
        "%FF",
        "signed_confirmation%00",
    ] {
        let (status, body) = refusal(&runner, &token, kind, "application/pdf", 10).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::NOT_FOUND, Some("unknown_piece")),
            "{kind}: {body:#}"
        );
    }
    // More segments do not even reach the route (`%2E%2E` is a dot segment
    // to URL parsers, resolved before sending).
    for kind in ["../identity_document", "%2E%2E", "identity_document/x"] {
        let (status, body) = refusal(&runner, &token, kind, "application/pdf", 10).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{kind}: {body:#}");
    }

    // Types and sizes.
    for bad_type in [
        "text/html",
        "application/pdf; charset=utf-8",
        "image/gif",
        "application/octet-stream",
    ] {
        let (status, body) = refusal(&runner, &token, "identity_document", bad_type, 10).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::UNSUPPORTED_MEDIA_TYPE, Some("unsupported_type")),
            "{bad_type}"
        );
    }
    let (status, body) = refusal(
        &runner,
        &token,
        "identity_document",
        "application/pdf",
        5_242_881,
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, Some("too_large"))
    );
    let (status, body) = refusal(&runner, &token, "identity_document", "image/png", 0).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("validation_failed"))
    );
    assert_eq!(body["errors"][0]["field"], "size_bytes");
    let r = runner
        .post(&uploads_path("identity_document"), Some(&token), &json!({}))
        .await;
    let (status, body) = problem(r).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("validation_failed"))
    );
    assert_eq!(
        body["errors"].as_array().unwrap().len(),
        2,
        "every missing field at once"
    );
    let r = runner
        .post(
            &uploads_path("identity_document"),
            Some(&token),
            &json!({"content_type": "application/pdf", "size_bytes": 10, "key": "candidates/x"}),
        )
        .await;
    let (status, body) = problem(r).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("unknown_field"))
    );
    assert!(
        stored_keys(&runner).is_empty(),
        "{:?}",
        stored_keys(&runner)
    );

    // Exactly 5 MiB is fine, and the URL is for this candidate's own prefix.
    let t = runner
        .upload_ticket(&token, "identity_document", "application/pdf", 5_242_880)
        .await;
    let key = ticket_key(&t);
    assert!(
        key.starts_with(&format!(
            "candidates/{}/identity_document/",
            account_of(&token)
        )),
        "{key}"
    );
    assert_eq!(t["headers"]["Content-Type"], "application/pdf");
    assert_eq!(t["headers"]["Content-Length"], "5242880");

    // After the window (and the candidate has no extension): closed again.
    runner.set_clock("2021-11-08T00:00:00+01:00").await;
    let token = runner.login_token("hors.delai@exemple.fr").await;
    let (status, body) = refusal(&runner, &token, "identity_document", "application/pdf", 10).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("documents_closed"))
    );
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("dimanche 7 novembre 2021"),
        "{body:#}"
    );
}

#[tokio::test]
async fn only_checked_bytes_count_html_never_does_and_checks_are_idempotent() {
    let runner = Runner::start(BAC_PRO_BOTH_OPEN).await;
    let token = runner.signup_and_login("fichiers@exemple.fr").await;
    runner.save(&token, &full_body(0)).await;
    let own_prefix = format!("candidates/{}/", account_of(&token));

    // HTML declared as a PDF: stored by the PUT, then refused and deleted.
    let t = runner
        .upload(&token, "identity_document", "application/pdf", HTML)
        .await;
    let p = runner.piece(&token, "identity_document").await;
    assert_eq!(p["status"], "missing");
    let reason = p["reason"].as_str().unwrap();
    assert!(
        reason.contains("n'est pas un PDF, un JPEG ou un PNG valide"),
        "{reason}"
    );
    assert!(!stored_keys(&runner).contains(&ticket_key(&t)));
    // The same URL again: still refused, still deleted.
    assert_eq!(runner.put_file(&t, HTML).await.status(), StatusCode::OK);
    assert_eq!(
        runner.piece(&token, "identity_document").await["status"],
        "missing"
    );
    assert!(stored_keys(&runner).is_empty());

    // A PNG declared as a PDF does not count either.
    runner
        .upload(&token, "jdc_certificate", "application/pdf", valid_png())
        .await;
    assert_eq!(
        runner.piece(&token, "jdc_certificate").await["status"],
        "missing"
    );

    // A valid PNG and a valid PDF count.
    let png = runner
        .upload(&token, "identity_document", "image/png", valid_png())
        .await;
    let pdf = runner
        .upload(&token, "jdc_certificate", "application/pdf", valid_pdf())
        .await;
    let received = runner.piece(&token, "identity_document").await;
    assert_eq!(received["status"], "received");
    assert!(received.get("reason").is_none(), "{received:#}");
    assert!(received["received_at"]
        .as_str()
        .unwrap()
        .starts_with("2021-10-26"));
    assert_eq!(
        runner.piece(&token, "jdc_certificate").await["status"],
        "received"
    );
    let stored = stored_keys(&runner);
    assert_eq!(stored, {
        let mut keys = vec![ticket_key(&png), ticket_key(&pdf)];
        keys.sort();
        keys
    });
    assert!(stored.iter().all(|k| k.starts_with(&own_prefix)));

    // The same file through the same URL again (a duplicated check): nothing changes.
    let before = runner.pieces(&token).await;
    runner.advance("1m").await;
    assert_eq!(
        runner.put_file(&png, valid_png()).await.status(),
        StatusCode::OK
    );
    assert_eq!(runner.pieces(&token).await, before);

    // Other bytes of the same length through the same URL: the checked file
    // is gone, so the piece no longer counts.
    let mut swapped = HTML.to_vec();
    swapped.resize(valid_png().len(), b' ');
    assert_eq!(
        runner.put_file(&png, &swapped).await.status(),
        StatusCode::OK
    );
    let p = runner.piece(&token, "identity_document").await;
    assert_eq!(p["status"], "missing", "{p:#}");
    assert!(!stored_keys(&runner).contains(&ticket_key(&png)));

    // A good file, then a bad replacement: the good one stays in force.
    let good = runner
        .upload(&token, "identity_document", "image/jpeg", valid_jpeg())
        .await;
    runner
        .upload(&token, "identity_document", "image/jpeg", valid_png())
        .await;
    let p = runner.piece(&token, "identity_document").await;
    assert_eq!(p["status"], "received", "{p:#}");
    assert!(
        p["reason"]
            .as_str()
            .unwrap()
            .contains("reste pris en compte"),
        "{p:#}"
    );
    assert!(stored_keys(&runner).contains(&ticket_key(&good)));
    // A second good file adds a page to the piece: both count, both are kept.
    let newer = runner
        .upload(&token, "identity_document", "application/pdf", valid_pdf())
        .await;
    let p = runner.piece(&token, "identity_document").await;
    assert_eq!(p["status"], "received");
    assert!(p.get("reason").is_none(), "{p:#}");
    assert_eq!(p["files"].as_array().map(Vec::len), Some(2), "{p:#}");
    let stored = stored_keys(&runner);
    assert!(
        stored.contains(&ticket_key(&newer)) && stored.contains(&ticket_key(&good)),
        "{stored:?}"
    );
}

/// A URL asked for minutes before the window closes expires with it: the
/// file sent after the close is refused at once, not taken in and ignored.
#[tokio::test]
async fn an_upload_url_never_outlives_the_documents_window() {
    // BAC_PRO documents close on Sunday 7 November 2021, 23:59:59.999 in Paris.
    let runner = Runner::start(BAC_PRO_BOTH_OPEN).await;
    let token = runner.signup_and_login("derniere.minute@exemple.fr").await;
    runner
        .save(&token, &bac_pro_melec_body(0, "Marseille"))
        .await;
    runner.set_clock("2021-11-07T23:55:00+01:00").await;
    let token = runner.login_token("derniere.minute@exemple.fr").await;
    let ticket = runner
        .upload_ticket(&token, "identity_document", "image/png", valid_png().len())
        .await;
    let expires: DateTime<Utc> = ticket["expires_at"].as_str().unwrap().parse().unwrap();
    let closes: DateTime<Utc> = "2021-11-07T23:59:59.999+01:00".parse().unwrap();
    assert!(expires <= closes, "{expires} is past the close {closes}");
    assert!(expires > closes - chrono::Duration::seconds(2), "{expires}");

    // Half a second before the close, no URL could be used in time: none.
    runner.set_clock("2021-11-07T23:59:59.500+01:00").await;
    let (status, body) = problem(
        runner
            .ask_upload(
                &token,
                "identity_document",
                "image/png",
                valid_png().len() as u64,
            )
            .await,
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("documents_closed"))
    );

    runner.set_clock("2021-11-08T00:00:00+01:00").await;
    let (status, body) = problem(runner.put_file(&ticket, valid_png()).await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("signature_invalid"))
    );
    assert!(
        body["detail"].as_str().unwrap().contains("expiré"),
        "{body}"
    );
    assert!(
        stored_keys(&runner).is_empty(),
        "{:?}",
        stored_keys(&runner)
    );
}

#[tokio::test]
async fn a_presigned_url_is_bound_to_its_key_type_length_and_owner() {
    let runner = Runner::start(BAC_PRO_BOTH_OPEN).await;
    let alice = runner.signup_and_login("alice@exemple.fr").await;
    let bob = runner.signup_and_login("bob@exemple.fr").await;
    runner
        .save(&alice, &bac_pro_melec_body(0, "Marseille"))
        .await;
    runner.save(&bob, &bac_pro_melec_body(0, "Toulon")).await;

    // Bob's URLs only ever name Bob's prefix.
    let bobs = runner
        .upload_ticket(&bob, "identity_document", "image/png", valid_png().len())
        .await;
    assert!(ticket_key(&bobs).starts_with(&format!("candidates/{}/", account_of(&bob))));
    let alices = runner
        .upload_ticket(&alice, "identity_document", "image/png", valid_png().len())
        .await;
    let alice_key = ticket_key(&alices);

    // Bob's signature does not open Alice's key (nor any other key).
    let url = bobs["upload_url"].as_str().unwrap();
    let query = url.split_once('?').unwrap().1;
    for key in [
        alice_key.clone(),
        format!(
            "candidates/{}/identity_document/{}",
            account_of(&bob),
            "0".repeat(32)
        ),
        format!(
            "candidates/{}/signed_confirmation/{}",
            account_of(&bob),
            &ticket_key(&bobs)[ticket_key(&bobs).len() - 32..]
        ),
    ] {
        let forged = json!({
            "upload_url": format!("{}/_local/blobs/{key}?{query}", runner.base_url),
            "method": "PUT",
            "headers": bobs["headers"],
        });
        let (status, body) = problem(runner.put_file(&forged, valid_png()).await).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::FORBIDDEN, Some("signature_invalid")),
            "{key}"
        );
    }
    // Another type or length than signed is refused.
    let mut other_type = bobs.clone();
    other_type["headers"]["Content-Type"] = json!("application/pdf");
    assert_eq!(
        runner.put_file(&other_type, valid_png()).await.status(),
        StatusCode::FORBIDDEN
    );
    let mut longer = valid_png().to_vec();
    longer.push(0);
    let mut other_length = bobs.clone();
    other_length["headers"]
        .as_object_mut()
        .unwrap()
        .remove("Content-Length");
    assert_eq!(
        runner.put_file(&other_length, &longer).await.status(),
        StatusCode::FORBIDDEN
    );
    // An expired URL is refused, in French.
    runner.advance("11m").await;
    let (status, body) = problem(runner.put_file(&alices, valid_png()).await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("signature_invalid"))
    );
    assert_eq!(
        body["detail"],
        "Cette adresse de dépôt a expiré : demandez-en une nouvelle."
    );
    assert!(
        stored_keys(&runner).is_empty(),
        "{:?}",
        stored_keys(&runner)
    );

    // Nothing lets anyone read a document: no route, and blob reads need a signature.
    let bobs = runner
        .upload(&bob, "identity_document", "image/png", valid_png())
        .await;
    let key = ticket_key(&bobs);
    for path in [
        format!("/_local/blobs/{key}"),
        format!(
            "/_local/blobs/{key}?{}",
            bobs["upload_url"]
                .as_str()
                .unwrap()
                .split_once('?')
                .unwrap()
                .1
        ),
    ] {
        let r = runner.get(&path, Some(&alice)).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path}");
    }
    for path in [
        "/inscription/pieces/identity_document",
        "/inscription/pieces/identity_document/uploads",
        "/documents",
        &format!("/{key}"),
    ] {
        let r = runner.get(path, Some(&bob)).await;
        assert!(
            matches!(
                r.status(),
                StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED
            ),
            "{path}: {}",
            r.status()
        );
    }
    // Alice's pieces are untouched by all of this.
    assert_eq!(
        runner.piece(&alice, "identity_document").await["status"],
        "missing"
    );
    assert_eq!(
        runner.piece(&bob, "identity_document").await["status"],
        "received"
    );
}

#[tokio::test]
async fn the_signed_confirmation_belongs_to_its_version_and_complete_is_reached_then_left() {
    let runner = Runner::start(BAC_PRO_BOTH_OPEN).await;
    let email = "version@exemple.fr";
    let token = runner.signup_and_login(email).await;
    runner
        .save(&token, &bac_pro_melec_body(0, "Marseille"))
        .await;

    // A URL asked for version 1, a save (version 2), then the upload: void.
    let stale = runner
        .upload_ticket(
            &token,
            "signed_confirmation",
            "application/pdf",
            valid_pdf().len(),
        )
        .await;
    runner.save(&token, &bac_pro_melec_body(1, "Aubagne")).await;
    assert_eq!(
        runner.put_file(&stale, valid_pdf()).await.status(),
        StatusCode::OK
    );
    let p = runner.piece(&token, "signed_confirmation").await;
    assert_eq!(p["status"], "missing", "{p:#}");
    let reason = p["reason"].as_str().unwrap();
    assert!(
        reason.contains("version 1") && reason.contains("nouvelle confirmation"),
        "{reason}"
    );
    assert!(stored_keys(&runner).is_empty());

    // The confirmation of version 2 and the identity document: complete.
    runner
        .upload(
            &token,
            "signed_confirmation",
            "application/pdf",
            valid_pdf(),
        )
        .await;
    assert_eq!(runner.inscription_status(&token).await, "registered");
    assert!(runner
        .mails_titled(email, "Votre dossier d'inscription est complet")
        .await
        .is_empty());
    runner
        .upload(&token, "identity_document", "image/png", valid_png())
        .await;
    assert_eq!(runner.inscription_status(&token).await, "complete");
    let complete = runner
        .mails_titled(email, "Votre dossier d'inscription est complet")
        .await;
    assert_eq!(complete.len(), 1, "one email");
    let text = complete[0]["text"].as_str().unwrap();
    assert!(
        text.contains("Votre dossier d'inscription est complet"),
        "{text}"
    );
    assert!(text.contains("session 2022"), "{text}");

    // A replacement while complete keeps it complete, and sends no new email.
    runner
        .upload(&token, "identity_document", "application/pdf", valid_pdf())
        .await;
    assert_eq!(runner.inscription_status(&token).await, "complete");

    // A later save voids the signed confirmation and leaves `complete`.
    runner
        .save(&token, &bac_pro_melec_body(2, "La Ciotat"))
        .await;
    assert_eq!(runner.inscription_status(&token).await, "registered");
    let p = runner.piece(&token, "signed_confirmation").await;
    assert_eq!(p["status"], "missing");
    assert!(
        p["reason"]
            .as_str()
            .unwrap()
            .contains("nouvelle confirmation"),
        "{p:#}"
    );
    assert_eq!(
        runner.piece(&token, "identity_document").await["status"],
        "received"
    );

    // Signing the new version makes it complete again (a second email).
    runner
        .upload(
            &token,
            "signed_confirmation",
            "application/pdf",
            valid_pdf(),
        )
        .await;
    assert_eq!(runner.inscription_status(&token).await, "complete");
    let count = runner
        .mails_titled(email, "Votre dossier d'inscription est complet")
        .await
        .len();
    assert_eq!(count, 2);
}
