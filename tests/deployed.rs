//! The whole journey of a CAP session, candidates and office alike, run with
//! the same assertions on the local runner (both backends) and on the Lambda
//! bootstraps in their AWS shape (`support::deployed`): API Gateway's
//! payload-2.0 events, S3 notifications through SQS to `documents-check`,
//! the sweep on its schedule's input, admin console events, and IAM enforced
//! from `template.yaml` on every SDK call.
//!
//! In the AWS shape the journey also proves the template itself: every call
//! is granted, every grant is needed, and an altered copy of the template (a
//! route or a grant removed) breaks the journey.

mod support;

use std::collections::{BTreeMap, BTreeSet};

use reqwest::header::{ACCEPT, CONTENT_TYPE, COOKIE, SET_COOKIE};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use support::grants::{EXPECTED, NOT_SDK_CALLS, UNREACHED_BY_THE_JOURNEY};
use support::{cors, golden, inscription_body, problem, valid_pdf, valid_png, Runner};

/// CAP: registration open (19 Nov – 8 Dec 2021), documents not yet (1 – 22 Dec).
const START: &str = "2021-11-29T10:00:00+01:00";
/// Past the 48 hours of the accounts made at [`START`], before a sweep.
const PAST_48_HOURS: &str = "2021-12-01T11:00:00+01:00";
/// Both CAP windows open, and more than 48 hours after [`START`].
const DOCUMENTS_OPEN: &str = "2021-12-02T10:00:00+01:00";
/// A week before the CAP documents window closes: the first reminders.
const WEEK_BEFORE: &str = "2021-12-16T03:00:00+01:00";
/// Just after the CAP documents window closed (22 Dec, 23:59:59.999).
const AFTER_CLOSE: &str = "2021-12-23T00:05:00+01:00";

/// The journey's candidates. Their addresses are the journey's own: SES on
/// moto is shared by every test of the process, and so are its sent emails.
struct Cast {
    /// Whether the journey is compared with the golden snapshots.
    snapshot: bool,
    late: String,
    on_time: String,
    extended: String,
    forgetful: String,
    unactivated: String,
    retrying: String,
}

impl Cast {
    /// The cast of a journey whose answers the golden snapshots compare:
    /// the same addresses on every backend (and so the same PDF, the same
    /// emails). Two such journeys must not share one SES on moto.
    fn for_the_snapshots() -> Cast {
        Self::named(|name| format!("{name}@exemple.fr"), true)
    }

    /// A cast of its own, for a journey beside others on the same moto.
    fn of_its_own() -> Cast {
        let tag = uuid::Uuid::new_v4().simple().to_string()[..8].to_owned();
        Self::named(move |name| format!("{name}.{tag}@exemple.fr"), false)
    }

    fn named(email: impl Fn(&str) -> String, snapshot: bool) -> Cast {
        Cast {
            snapshot,
            late: email("claire.late"),
            on_time: email("bruno.atemps"),
            extended: email("ines.prolongee"),
            forgetful: email("paul.oublie"),
            unactivated: email("nina.tardive"),
            retrying: email("omar.recommence"),
        }
    }
}
const ACTOR: &str = "Mme Durand (DIEC 3.05)";

/// The local runner on its embedded backend. (On its AWS backend the runner
/// has no S3 notification to check an upload by, nor an admin command on
/// DynamoDB: the AWS shape below is that journey on AWS's adapters.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_journey_on_the_local_runner() {
    let runner = Runner::start(START).await;
    let cast = Cast::for_the_snapshots();
    journey(&runner, &cast).await;
    assert_snapshots(&runner, &cast).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_journey_in_the_aws_shape_with_iam_enforced() {
    let runner = Runner::deploy(START).await;
    let cast = Cast::for_the_snapshots();
    journey(&runner, &cast).await;
    assert_snapshots(&runner, &cast).await;
    let deployment = runner.deployment.as_ref().expect("deployed");

    let dropped = deployment.dropped_notifications();
    assert!(dropped.is_empty(), "S3 notifications dropped: {dropped:#?}");

    // Every call was granted by the template...
    let calls = deployment.calls();
    let refused: Vec<_> = calls.iter().filter(|c| !c.allowed).collect();
    assert!(refused.is_empty(), "calls IAM refused: {refused:#?}");
    // ... the expected grants are what each function really called ...
    let mut called: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for call in &calls {
        called
            .entry(call.function.as_str())
            .or_default()
            .insert(call.action.as_str());
    }
    let mut failures = Vec::new();
    for expected in EXPECTED {
        let needed: BTreeSet<&str> = called.get(expected.function).cloned().unwrap_or_default();
        let listed: BTreeSet<&str> = expected
            .actions
            .iter()
            .copied()
            .filter(|a| {
                let pair = (expected.function, *a);
                !NOT_SDK_CALLS.contains(&pair) && !UNREACHED_BY_THE_JOURNEY.contains(&pair)
            })
            .collect();
        let unlisted: Vec<_> = needed.difference(&listed).collect();
        let unneeded: Vec<_> = listed.difference(&needed).collect();
        if !unlisted.is_empty() || !unneeded.is_empty() {
            failures.push(format!(
                "{}: called but not expected {unlisted:?}; expected but never called {unneeded:?}",
                expected.function
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
    // ... and the template grants exactly those (tests/template.rs checks
    // the resources; here, the actions as the harness evaluated them).
    for (function, mut granted) in deployment.granted_actions() {
        granted.retain(|a| !a.starts_with("logs:"));
        let expected = EXPECTED
            .iter()
            .find(|e| e.function == function)
            .unwrap_or_else(|| panic!("{function} has no expected grants"));
        let mut listed: Vec<String> = expected.actions.iter().map(|a| a.to_string()).collect();
        listed.sort();
        assert_eq!(granted, listed, "{function}'s role in template.yaml");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_template_without_a_route_fails_the_journey() {
    let altered = altered_template("no-route", |t| {
        let events = t["Resources"]["InscriptionFunction"]["Properties"]["Events"]
            .as_mapping_mut()
            .expect("InscriptionFunction's events");
        let removed = events.remove("GetPieces");
        assert!(
            removed.is_some(),
            "the GetPieces route exists in template.yaml"
        );
    });
    // Without its route, GET /inscription/pieces reaches the $default route.
    assert_journey_fails(&altered, "left: 405\n right: 200").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_template_without_a_grant_fails_the_journey() {
    let altered = altered_template("no-grant", |t| {
        let statements = t["Resources"]["DocumentsCheckRole"]["Properties"]["Policies"][0]
            ["PolicyDocument"]["Statement"]
            .as_sequence_mut()
            .expect("DocumentsCheckRole's statements");
        let table = statements
            .iter_mut()
            .find(|s| s["Sid"] == "Table")
            .expect("the Table statement");
        let actions = table["Action"].as_sequence_mut().expect("its actions");
        let before = actions.len();
        actions.retain(|a| a.as_str() != Some("dynamodb:BatchGetItem"));
        assert_eq!(
            actions.len(),
            before - 1,
            "documents-check is granted BatchGetItem"
        );
    });
    // Every check reads its upload request and the dossier in one batch.
    assert_journey_fails(
        &altered,
        "is not authorized to perform: dynamodb:BatchGetItem",
    )
    .await;
}

/// A copy of `template.yaml` changed by `alter`, in a temporary file.
fn altered_template(name: &str, alter: impl FnOnce(&mut serde_yaml::Value)) -> std::path::PathBuf {
    let text = std::fs::read_to_string(support::template::template_path()).expect("template.yaml");
    let mut yaml: serde_yaml::Value = serde_yaml::from_str(&text).expect("YAML");
    alter(&mut yaml);
    let path = std::env::temp_dir().join(format!(
        "examreg-template-{name}-{}.yaml",
        std::process::id()
    ));
    std::fs::write(&path, serde_yaml::to_string(&yaml).expect("YAML out")).expect("write");
    path
}

/// Runs the journey on `template` and expects it to fail, saying `why`.
async fn assert_journey_fails(template: &std::path::Path, why: &str) {
    let template = template.to_owned();
    let outcome = tokio::spawn(async move {
        let runner = Runner::deploy_template(&template, START).await;
        journey(&runner, &Cast::of_its_own()).await;
    })
    .await;
    let Err(failure) = outcome else {
        panic!("the journey passed on an altered template");
    };
    let payload = failure.into_panic();
    let message = payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default();
    assert!(
        message.contains(why),
        "the journey failed, but not because {why:?}: {message}"
    );
}

/// The journey: reference data and the portal, accounts, inscriptions,
/// documents, the office's work, the sweeps' reminders and cancellation.
async fn journey(runner: &Runner, cast: &Cast) {
    // From START exactly, however long the functions took to boot: emails
    // print deadlines to the minute.
    runner.set_clock_between_sweeps(START).await;
    reference_data_portal_and_unknown_routes(runner).await;
    let tokens = accounts(runner, cast).await;
    inscriptions(runner, cast, &tokens).await;

    signing_up_again_past_48_hours(runner, cast).await;
    runner.set_clock(DOCUMENTS_OPEN).await;
    unactivated_accounts_are_gone(runner, cast).await;
    // Sessions end: the candidates log in again days later.
    let mut tokens = Tokens::new();
    for email in [&cast.late, &cast.on_time, &cast.extended] {
        tokens.insert(email.clone(), runner.login_token(email).await);
    }
    documents_and_the_office(runner, cast, &tokens).await;

    runner.set_clock(WEEK_BEFORE).await;
    let reminders = runner.mails_about(&cast.late, "Rappel").await;
    assert_eq!(reminders.len(), 1, "{reminders:#?}");
    assert!(reminders[0]["subject"]
        .as_str()
        .unwrap()
        .contains("7 jours"));
    assert!(runner.mails_about(&cast.on_time, "Rappel").await.is_empty());

    // The cancellation's first write loses a race: read again, retried.
    runner.lose_next_write("SweepFunction");
    runner.set_clock(AFTER_CLOSE).await;
    assert_eq!(status_of(runner, &cast.late).await, "cancelled");
    let cancelled = runner.mails_about(&cast.late, "annulée").await;
    assert_eq!(cancelled.len(), 1, "{cancelled:#?}");
    assert_eq!(
        status_of(runner, &cast.extended).await,
        "registered",
        "extended"
    );
    assert_eq!(status_of(runner, &cast.on_time).await, "validated");
    let listed = runner.admin(&json!({"action": "list", "diploma": "CAP", "status": "cancelled"}));
    let emails: Vec<&str> = listed["items"]
        .as_array()
        .unwrap_or_else(|| panic!("{listed}"))
        .iter()
        .filter_map(|i| i["email"].as_str())
        .collect();
    assert_eq!(emails, [cast.late.as_str()], "{listed}");
}

async fn reference_data_portal_and_unknown_routes(runner: &Runner) {
    let health = runner.get("/health", None).await;
    assert_eq!(health.status(), StatusCode::OK);
    assert_eq!(health.json::<Value>().await.unwrap()["status"], "ok");
    let calendar: Value = runner.get("/calendar", None).await.json().await.unwrap();
    assert_eq!(
        calendar["diplomas"].as_array().map(Vec::len),
        Some(4),
        "{calendar}"
    );
    let openapi = runner.get("/openapi.json", None).await;
    assert_eq!(openapi.status(), StatusCode::OK);

    let home = runner
        .http
        .get(runner.url("/"))
        .header(ACCEPT, "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(home.status(), StatusCode::OK);
    assert!(home.headers().contains_key("content-security-policy"));
    assert!(home.text().await.unwrap().contains("<html lang=\"fr\">"));
    // Every page (a query string as email links carry one), every asset.
    for page in examreg_common::http::portal::PAGES {
        let url = runner.url(&format!("{}?token=x.y", page.path));
        let answer = runner.http.get(url).send().await.unwrap();
        assert_eq!(answer.status(), StatusCode::OK, "{}", page.path);
        assert!(answer.text().await.unwrap().contains(page.title));
    }
    for asset in examreg_common::http::portal::ASSETS {
        let answer = runner.get(&format!("/assets/{}", asset.name), None).await;
        assert_eq!(answer.status(), StatusCode::OK, "{}", asset.name);
        assert_eq!(answer.bytes().await.unwrap(), asset.bytes, "{}", asset.name);
    }
    let css = runner.get("/assets/portal.css", None).await;
    assert_eq!(css.status(), StatusCode::OK);
    assert!(css.headers()[CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/css"));

    // An address no route takes: problem+json for a program, a page of the
    // portal for a browser; a known path with another method: 405.
    let (status, body) = problem(runner.get("/nulle-part", None).await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    let page = runner
        .http
        .get(runner.url("/nulle-part"))
        .header(ACCEPT, "text/html,application/xhtml+xml")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::NOT_FOUND);
    assert!(page.headers()[CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert!(page.text().await.unwrap().contains("Page introuvable"));
    // Nor raw JSON to a browser at an API path it cannot GET, or at an
    // unknown asset (issue #19).
    for path in ["/auth/login", "/assets/inconnu.css"] {
        let page = runner
            .http
            .get(runner.url(path))
            .header(ACCEPT, "text/html,application/xhtml+xml")
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), StatusCode::NOT_FOUND, "{path}");
        assert!(
            page.text().await.unwrap().contains("Page introuvable"),
            "{path}"
        );
    }
    let wrong_method = runner
        .http
        .request(Method::DELETE, runner.url("/inscription"))
        .send()
        .await
        .unwrap();
    let (status, body) = problem(wrong_method).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::METHOD_NOT_ALLOWED, Some("method_not_allowed"))
    );
}

/// Every candidate's session token, by address.
type Tokens = BTreeMap<String, String>;

async fn accounts(runner: &Runner, cast: &Cast) -> Tokens {
    let mut tokens = Tokens::new();
    for email in [&cast.late, &cast.on_time, &cast.extended, &cast.forgetful] {
        if email == &cast.extended {
            // The activation's write loses a race (a login attempt wrote
            // the account meanwhile): read again, retried.
            runner.lose_next_write("ActivationFunction");
        }
        tokens.insert(email.clone(), runner.signup_and_login(email).await);
    }
    // Signed up, never activated (one asked for a new password, and did not
    // follow the link either): gone after 48 hours, with all they left.
    for email in [&cast.unactivated, &cast.retrying] {
        assert_eq!(runner.signup(email).await.status(), StatusCode::ACCEPTED);
    }
    let reset = runner
        .post(
            "/auth/password-reset",
            None,
            &json!({"email": &cast.unactivated}),
        )
        .await;
    assert_eq!(reset.status(), StatusCode::ACCEPTED);

    // A body over the limit changes nothing.
    let huge = json!({"email": "x".repeat(70 * 1024), "password": "p"});
    let (status, body) = problem(runner.post("/auth/signup", None, &huge).await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, Some("payload_too_large"))
    );

    // The portal's session: the cookie alone authenticates.
    let login = runner.login(&cast.on_time).await;
    assert_eq!(login.status(), StatusCode::OK);
    let cookie = login.headers()[SET_COOKIE].to_str().unwrap().to_owned();
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    let pair = cookie.split(';').next().unwrap().to_owned();
    let me = runner
        .http
        .get(runner.url("/me"))
        .header(COOKIE, &pair)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::OK);
    assert_eq!(
        me.json::<Value>().await.unwrap()["email"],
        cast.on_time.as_str()
    );

    // A forgotten password, reset from the emailed link.
    let reset = runner
        .post(
            "/auth/password-reset",
            None,
            &json!({"email": &cast.forgetful}),
        )
        .await;
    assert_eq!(reset.status(), StatusCode::ACCEPTED);
    let token = runner.last_token(&cast.forgetful, "/reset-password").await;
    let new_password = "roseau-lanterne-boussole-granit";
    let confirmed = runner
        .post(
            "/auth/password-reset/confirm",
            None,
            &json!({"token": token, "password": new_password}),
        )
        .await;
    assert_eq!(confirmed.status(), StatusCode::NO_CONTENT);
    let login = runner
        .post(
            "/auth/login",
            None,
            &json!({"email": &cast.forgetful, "password": new_password}),
        )
        .await;
    assert_eq!(login.status(), StatusCode::OK);
    tokens
}

async fn inscriptions(runner: &Runner, cast: &Cast, tokens: &Tokens) {
    for email in [&cast.late, &cast.on_time, &cast.extended] {
        let created = runner.save(&tokens[email], &inscription_body(0)).await;
        assert_eq!(created["version"], 1, "{created}");
    }
    let token = &tokens[&cast.late];
    let modified = "Modification d'inscription";

    // A save that changes nothing changes nothing.
    let same = runner
        .put("/inscription", Some(token), &inscription_body(1))
        .await;
    assert_eq!(same.status(), StatusCode::OK);
    assert_eq!(same.json::<Value>().await.unwrap()["version"], 1);
    // (The one « Modification d'inscription » is the creation's summary.)
    let mails = runner.mails_about(&cast.late, modified).await;
    assert_eq!(mails.len(), 1, "{mails:#?}");

    // A change: a new version, and the candidate told, even when the save's
    // first write loses a race (read again, retried).
    runner.lose_next_write("InscriptionFunction");
    let mut moved = inscription_body(1);
    moved["identity"]["address"]["city"] = json!("Aubagne");
    let saved = runner.save(token, &moved).await;
    assert_eq!(saved["version"], 2, "{saved}");
    assert_eq!(runner.mails_about(&cast.late, modified).await.len(), 2);
    if cast.snapshot {
        let pdf = runner
            .get("/inscription/confirmation.pdf", Some(token))
            .await;
        assert_eq!(pdf.status(), StatusCode::OK);
        golden::assert_bytes("journey-confirmation-v2.pdf", &pdf.bytes().await.unwrap());
    }

    // The confirmation PDF's bytes arrive intact (base64 in API Gateway).
    let pdf = runner
        .get(
            "/inscription/confirmation.pdf",
            Some(&tokens[&cast.on_time]),
        )
        .await;
    assert_eq!(pdf.status(), StatusCode::OK);
    assert_eq!(pdf.headers()[CONTENT_TYPE], "application/pdf");
    let declared: usize = pdf.headers()["content-length"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let bytes = pdf.bytes().await.unwrap();
    assert_eq!(bytes.len(), declared);
    assert!(bytes.starts_with(b"%PDF-"), "a PDF");
    assert!(
        bytes.trim_ascii_end().ends_with(b"%%EOF"),
        "the PDF is whole"
    );
    assert!(
        !bytes.windows(3).any(|w| w == "\u{fffd}".as_bytes()),
        "no byte was replaced as invalid text"
    );
    if cast.snapshot {
        golden::assert_bytes("journey-confirmation-v1.pdf", &bytes);
    }
}

/// Signing up again over an account left unactivated past its 48 hours,
/// before the sweep deleted it (in the AWS shape; the runner sweeps at once).
async fn signing_up_again_past_48_hours(runner: &Runner, cast: &Cast) {
    let first_link = runner.last_token(&cast.retrying, "/activate").await;
    runner.set_clock_between_sweeps(PAST_48_HOURS).await;
    assert_eq!(
        runner.signup(&cast.retrying).await.status(),
        StatusCode::ACCEPTED
    );
    // Out of the transcript: whether the old link is « expired » (the sweep
    // went first: the runner's clock sweeps) or unknown (the new signup
    // replaced the account) depends on the sweep's timing, not the backend.
    let stale = runner
        .http
        .post(runner.url("/auth/activate"))
        .json(&json!({"token": first_link}))
        .send()
        .await
        .unwrap();
    assert!(stale.status().is_client_error(), "{}", stale.status());
    let link = runner.last_token(&cast.retrying, "/activate").await;
    assert_ne!(link, first_link);
    let activated = runner
        .post("/auth/activate", None, &json!({"token": link}))
        .await;
    assert_eq!(activated.status(), StatusCode::OK);
    assert_eq!(runner.login(&cast.retrying).await.status(), StatusCode::OK);
}

async fn unactivated_accounts_are_gone(runner: &Runner, cast: &Cast) {
    let gone = runner.admin(&json!({"action": "get", "email": &cast.unactivated}));
    assert!(gone.get("error").is_some(), "{gone}");
    // The address is free again.
    let token = runner.signup_and_login(&cast.unactivated).await;
    assert!(!token.is_empty());
}

async fn documents_and_the_office(runner: &Runner, cast: &Cast, tokens: &Tokens) {
    let token = &tokens[&cast.on_time];
    let kinds: Vec<String> = runner
        .pieces(token)
        .await
        .iter()
        .map(|p| p["kind"].as_str().unwrap().to_owned())
        .collect();
    assert!(kinds.len() >= 2, "{kinds:?}");
    // Every ticket's headers pass the bucket's CORS rule from the portal.
    let rules = cors::template_rules(&runner.base_url);
    for kind in &kinds {
        let ticket = upload_piece(runner, token, kind).await;
        let preflight = cors::preflight_for(&ticket, &runner.base_url);
        assert!(
            cors::s3_allows(&rules, &preflight),
            "S3 would refuse the browser's {preflight:?}: {ticket:#}"
        );
    }
    assert_eq!(runner.inscription_status(token).await, "complete");
    assert_eq!(
        runner
            .mails_about(&cast.on_time, "Votre dossier d'inscription est complet")
            .await
            .len(),
        1
    );
    upload_piece(runner, &tokens[&cast.late], "signed_confirmation").await;

    // The office rejects a piece; the candidate replaces it.
    let rejected = runner.admin(&json!({
        "action": "reject_piece", "actor": ACTOR, "email": &cast.on_time,
        "kind": "identity_document", "reason": "La photocopie est illisible."
    }));
    assert!(rejected.get("error").is_none(), "{rejected}");
    assert_eq!(
        runner
            .mails_about(&cast.on_time, "Pièce refusée")
            .await
            .len(),
        1
    );
    assert_eq!(runner.inscription_status(token).await, "registered");
    upload_piece(runner, token, "identity_document").await;
    let piece = runner.piece(token, "identity_document").await;
    assert_eq!(piece["status"], "received", "{piece}");
    assert_eq!(runner.inscription_status(token).await, "complete");
    // The rejected file is kept as evidence; the office looks at it.
    assert_eq!(piece["files"].as_array().map(Vec::len), Some(1), "{piece}");
    assert_eq!(piece["rejected_files"].as_array().map(Vec::len), Some(1));
    let link = runner.admin(&json!({
        "action": "piece_link", "actor": ACTOR, "email": &cast.on_time,
        "kind": "identity_document", "file": piece["rejected_files"][0]["id"]
    }));
    let seen = runner
        .http
        .get(link["url"].as_str().unwrap_or_else(|| panic!("{link}")));
    let seen = seen.send().await.unwrap();
    assert_eq!(seen.status(), StatusCode::OK);
    assert_eq!(&seen.bytes().await.unwrap()[..], valid_png());
    // A second page, then removed by the candidate (DELETE through the API).
    upload_piece(runner, token, "identity_document").await;
    let piece = runner.piece(token, "identity_document").await;
    let second = piece["files"][1]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{piece}"));
    let path = format!("/inscription/pieces/identity_document/files/{second}");
    let removed = runner.delete(&path, Some(token)).await;
    assert_eq!(removed.status(), StatusCode::NO_CONTENT);
    assert_eq!(runner.inscription_status(token).await, "complete");

    // It validates every piece.
    for kind in &kinds {
        let answer = runner.admin(&json!({
            "action": "validate_piece", "actor": ACTOR, "email": &cast.on_time, "kind": kind
        }));
        assert!(answer.get("error").is_none(), "{answer}");
    }
    assert_eq!(runner.inscription_status(token).await, "validated");
    // A save that changes nothing keeps the validated dossier as it is.
    let current = runner.inscription(token).await;
    let same = runner
        .put(
            "/inscription",
            Some(token),
            &inscription_body(current["version"].as_u64().unwrap()),
        )
        .await;
    assert_eq!(same.status(), StatusCode::OK);
    assert_eq!(runner.inscription_status(token).await, "validated");
    assert_eq!(
        runner.piece(token, "signed_confirmation").await["status"],
        "validated"
    );

    // It lists, reads a dossier, extends a deadline, exports.
    let listed = runner.admin(&json!({"action": "list", "diploma": "CAP"}));
    assert_eq!(
        listed["items"].as_array().map(Vec::len),
        Some(3),
        "{listed}"
    );
    let dossier = runner.admin(&json!({"action": "get", "email": &cast.on_time}));
    assert!(
        dossier["history"].as_array().is_some_and(|h| h.len() >= 4),
        "{dossier}"
    );
    let extended = runner.admin(&json!({
        "action": "extend_deadline", "actor": ACTOR, "email": &cast.extended,
        "until": "2021-12-29T23:59:59.999+01:00"
    }));
    assert_eq!(
        extended["documents_deadline"], "2021-12-29T23:59:59.999+01:00",
        "{extended}"
    );
    let export = runner.admin(&json!({"action": "export", "actor": ACTOR, "diploma": "CAP"}));
    let location = export["location"]
        .as_str()
        .unwrap_or_else(|| panic!("{export}"));
    let csv = runner.http.get(location).send().await.unwrap();
    assert_eq!(csv.status(), StatusCode::OK);
    let csv = csv.bytes().await.unwrap();
    assert!(csv.starts_with("\u{feff}".as_bytes()), "a CSV with its BOM");
    assert!(String::from_utf8_lossy(&csv).contains("N'Diaye-Lefèvre"));
    runner.note(json!({
        "export_csv": golden::mask_csv(&String::from_utf8_lossy(&csv), &runner.base_url)
    }));
}

/// Uploads a piece as the portal does (a PDF for the signed confirmation, a
/// PNG otherwise), once the check has run: the ticket.
async fn upload_piece(runner: &Runner, token: &str, kind: &str) -> Value {
    let (content_type, bytes) = if kind == "signed_confirmation" {
        ("application/pdf", valid_pdf())
    } else {
        ("image/png", valid_png())
    };
    runner.upload(token, kind, content_type, bytes).await
}

/// The inscription's status, read by its candidate (logging in afresh: the
/// clock may have moved past the last session's end).
async fn status_of(runner: &Runner, email: &str) -> String {
    let token = runner.login_token(email).await;
    runner.inscription_status(&token).await
}

/// The journey as users saw it, against `tests/golden/`: every answer of the
/// API and of the admin function in order, the export, every email each
/// candidate received (the PDF's bytes are compared where it is fetched).
async fn assert_snapshots(runner: &Runner, cast: &Cast) {
    let transcript = Value::Array(runner.transcript.lock().expect("lock").clone());
    golden::assert_json("journey-api", &transcript, &runner.base_url);
    let mut emails = serde_json::Map::new();
    for email in [
        &cast.late,
        &cast.on_time,
        &cast.extended,
        &cast.forgetful,
        &cast.unactivated,
        &cast.retrying,
    ] {
        emails.insert(
            email.clone(),
            Value::from(runner.emails_as_read(email).await),
        );
    }
    golden::assert_json("journey-emails", &Value::Object(emails), &runner.base_url);
    // The plain-text parts, which moto's SES does not keep: the runner's.
    if runner.deployment.is_none() {
        let texts: Vec<Value> = runner
            .outbox()
            .await
            .into_iter()
            .map(|m| json!({"to": m["to"], "subject": m["subject"], "text": m["text"]}))
            .collect();
        golden::assert_json("journey-emails-text", &Value::from(texts), &runner.base_url);
    }
}
