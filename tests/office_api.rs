//! The Office API through the local runner: staff accounts made by
//! `examreg staff add`, tokens from `POST /office/session`, and each role
//! checked route by route on `POST /office/actions` (issue #16).

mod support;

use std::process::Command;

use reqwest::StatusCode;
use serde_json::{json, Value};
use support::{problem, valid_png, Runner, BAC_PRO_BOTH_OPEN};

const LECTEUR: &str = "lea.lecteur@ac-aix-marseille.fr";
const GESTIONNAIRE: &str = "gaston.gestion@ac-aix-marseille.fr";
const RESPONSABLE: &str = "rose.responsable@ac-aix-marseille.fr";
const PASSWORD: &str = "Cachet-de-la-poste-2021";
const CANDIDATE: &str = "zoe.martin@exemple.fr";

/// Runs `examreg staff add` on the runner's data directory; answers its
/// output (stdout, stderr) and whether it succeeded.
fn staff_add(runner: &Runner, email: &str, role: &str, password: Option<&str>) -> (bool, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_examreg"));
    command
        .args(["staff", "add", email, "--role", role])
        .arg("--data-dir")
        .arg(&runner.data_dir)
        .env_remove("EXAMREG_STAFF_PASSWORD");
    if let Some(password) = password {
        command.env("EXAMREG_STAFF_PASSWORD", password);
    }
    let output = command
        .stdin(std::process::Stdio::null())
        .output()
        .expect("examreg staff add");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

async fn sign_in(runner: &Runner, email: &str, password: &str) -> reqwest::Response {
    runner
        .post(
            "/office/session",
            None,
            &json!({"email": email, "password": password}),
        )
        .await
}

async fn token_of(runner: &Runner, email: &str) -> String {
    let r = sign_in(runner, email, PASSWORD).await;
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    body["access_token"].as_str().unwrap().to_owned()
}

async fn act(runner: &Runner, token: Option<&str>, event: Value) -> (StatusCode, Value) {
    let r = runner.post("/office/actions", token, &event).await;
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// A runner with one staff account per role and a complete Bac Pro dossier.
async fn office() -> Runner {
    let runner = Runner::start(BAC_PRO_BOTH_OPEN).await;
    for (email, role) in [
        (LECTEUR, "lecteur"),
        (GESTIONNAIRE, "gestionnaire"),
        (RESPONSABLE, "responsable"),
    ] {
        let (ok, output) = staff_add(&runner, email, role, Some(PASSWORD));
        assert!(ok, "{output}");
    }
    runner
        .complete_bac_pro_dossier(CANDIDATE, ("image/png", valid_png()))
        .await;
    runner
}

#[tokio::test]
async fn each_role_may_do_what_the_contracts_table_says_and_no_more() {
    let runner = office().await;
    let lecteur = token_of(&runner, LECTEUR).await;
    let gestionnaire = token_of(&runner, GESTIONNAIRE).await;
    let responsable = token_of(&runner, RESPONSABLE).await;

    // No token: nothing, not even a read.
    let (status, body) = act(&runner, None, json!({"action": "list"})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["code"], "unauthenticated");

    // A lecteur reads, and cannot change a dossier.
    let (status, body) = act(&runner, Some(&lecteur), json!({"action": "list"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["items"][0]["email"], CANDIDATE);
    let validate =
        json!({"action": "validate_piece", "email": CANDIDATE, "kind": "identity_document"});
    let (status, body) = act(&runner, Some(&lecteur), validate.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["code"], "forbidden_role");
    assert!(
        body["detail"].as_str().unwrap().contains("gestionnaire"),
        "{body}"
    );
    let (status, _) = act(
        &runner,
        Some(&lecteur),
        json!({"action": "validate_dossier", "email": CANDIDATE}),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // A gestionnaire cannot export nor extend in bulk, but may extend one.
    let (status, body) = act(&runner, Some(&gestionnaire), json!({"action": "export"})).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden_role"))
    );
    let until = "2021-12-15T23:59:59+01:00";
    let bulk = json!({"action": "extend_deadline", "diploma": "BAC_PRO", "until": until});
    let (status, body) = act(&runner, Some(&gestionnaire), bulk.clone()).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden_role"))
    );
    let (status, body) = act(
        &runner,
        Some(&gestionnaire),
        json!({"action": "extend_deadline", "email": CANDIDATE, "until": until}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = act(&runner, Some(&gestionnaire), validate).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // A responsable may all of it.
    let (status, body) = act(&runner, Some(&responsable), json!({"action": "export"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["location"].is_string(), "{body}");
    let (status, body) = act(&runner, Some(&responsable), bulk).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["total"], 1, "{body}");

    // The history names the staff members by their verified address (a
    // read too: the first `get` is in the second's history).
    let get = json!({"action": "get", "email": CANDIDATE});
    act(&runner, Some(&lecteur), get.clone()).await;
    let (status, dossier) = act(&runner, Some(&lecteur), get).await;
    assert_eq!(status, StatusCode::OK);
    let actors: Vec<&str> = dossier["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|line| line["actor"].as_str())
        .collect();
    assert!(
        actors.contains(&format!("staff:{GESTIONNAIRE}").as_str()),
        "{actors:?}"
    );
    assert!(
        actors.contains(&format!("staff:{LECTEUR}").as_str()),
        "{actors:?}"
    );
    assert!(
        !actors.iter().any(|a| a.starts_with("console")),
        "{actors:?}"
    );
}

#[tokio::test]
async fn the_event_names_no_actor_and_refusals_are_problems_in_french() {
    let runner = office().await;
    let gestionnaire = token_of(&runner, GESTIONNAIRE).await;
    // The token says who acts: a typed actor is refused, nothing changes.
    let (status, body) = act(
        &runner,
        Some(&gestionnaire),
        json!({"action": "validate_dossier", "actor": "Le Recteur", "email": CANDIDATE}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["code"], "invalid_event");
    assert_eq!(body["errors"][0]["field"], "actor");
    // An unknown candidate is a 404, an unknown action a 400.
    let (status, body) = act(
        &runner,
        Some(&gestionnaire),
        json!({"action": "get", "email": "personne@exemple.fr"}),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    let (status, body) = act(&runner, Some(&gestionnaire), json!({"action": "drop"})).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("unknown_action"))
    );
    // A refusal of the dossier's state is a 409: a piece rejected has
    // nothing left to validate.
    let reject = json!({"action": "reject_piece", "email": CANDIDATE, "kind": "identity_document", "reason": "Illisible."});
    let (status, body) = act(&runner, Some(&gestionnaire), reject).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let validate =
        json!({"action": "validate_piece", "email": CANDIDATE, "kind": "identity_document"});
    let (status, body) = act(&runner, Some(&gestionnaire), validate).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["code"], "piece_not_received");
    assert!(body["detail"].as_str().is_some_and(|d| !d.is_empty()));
    let r = runner
        .post(
            "/office/actions",
            Some(&gestionnaire),
            &json!({"action": "list"}),
        )
        .await;
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
}

#[tokio::test]
async fn a_tampered_expired_or_foreign_token_is_refused() {
    let runner = office().await;
    let lecteur = token_of(&runner, LECTEUR).await;
    // Rewriting the role in the claims breaks the signature.
    let parts: Vec<&str> = lecteur.split('.').collect();
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let claims = String::from_utf8(b64.decode(parts[1]).unwrap()).unwrap();
    let forged = b64.encode(claims.replace("lecteur", "responsable"));
    let tampered = format!("{}.{forged}.{}", parts[0], parts[2]);
    for token in [tampered.as_str(), "nimporte.quoi.ici", "abc"] {
        let (status, body) = act(&runner, Some(token), json!({"action": "list"})).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{token}");
        assert_eq!(body["code"], "unauthenticated");
    }
    // An hour later (the runner's clock), the token has expired.
    let (status, _) = act(&runner, Some(&lecteur), json!({"action": "list"})).await;
    assert_eq!(status, StatusCode::OK);
    runner.advance("61m").await;
    let (status, body) = act(&runner, Some(&lecteur), json!({"action": "list"})).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("unauthenticated"))
    );
}

#[tokio::test]
async fn signing_in_says_nothing_of_who_has_an_account_and_locks_after_ten_failures() {
    let runner = office().await;
    let wrong = problem(sign_in(&runner, GESTIONNAIRE, "pas-le-bon-mot-de-passe").await).await;
    let unknown = problem(sign_in(&runner, "inconnu@ac-aix-marseille.fr", PASSWORD).await).await;
    assert_eq!(wrong.0, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong, unknown);
    for _ in 0..10 {
        sign_in(&runner, LECTEUR, "pas-le-bon-mot-de-passe").await;
    }
    let (status, body) = problem(sign_in(&runner, LECTEUR, PASSWORD).await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::TOO_MANY_REQUESTS, Some("too_many_attempts"))
    );
    // Another address is not locked.
    assert_eq!(
        sign_in(&runner, RESPONSABLE, PASSWORD).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn staff_add_generates_a_password_once_replaces_and_refuses_clearly() {
    let runner = Runner::start(BAC_PRO_BOTH_OPEN).await;
    let (ok, output) = staff_add(&runner, "Paul@AC-Aix-Marseille.fr", "lecteur", None);
    assert!(ok, "{output}");
    let password = output
        .lines()
        .find_map(|line| line.split_once("): ").map(|(_, p)| p.trim().to_owned()))
        .expect("the generated password is printed");
    assert!(password.len() >= 20, "{output}");
    assert_eq!(
        sign_in(&runner, "paul@ac-aix-marseille.fr", &password)
            .await
            .status(),
        StatusCode::OK
    );

    // Again: the role and the password are replaced.
    let (ok, output) = staff_add(
        &runner,
        "paul@ac-aix-marseille.fr",
        "responsable",
        Some(PASSWORD),
    );
    assert!(ok && output.contains("updated"), "{output}");
    assert_eq!(
        sign_in(&runner, "paul@ac-aix-marseille.fr", &password)
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    let token = token_of(&runner, "paul@ac-aix-marseille.fr").await;
    let (status, _) = act(&runner, Some(&token), json!({"action": "export"})).await;
    assert_eq!(status, StatusCode::OK);

    for (email, role, password, says) in [
        ("paul", "lecteur", Some(PASSWORD), "adresse"),
        ("a@b.fr", "admin", Some(PASSWORD), "rôle"),
        ("a@b.fr", "lecteur", Some("court"), "mot de passe"),
    ] {
        let (ok, output) = staff_add(&runner, email, role, password);
        assert!(!ok, "{email} {role}");
        assert!(output.contains(says), "{output}");
        assert_eq!(output.trim().lines().count(), 1, "{output}");
    }
}

#[tokio::test]
async fn the_pages_are_told_to_sign_in_locally() {
    let runner = Runner::start(BAC_PRO_BOTH_OPEN).await;
    // No token needed, and none looked at (as behind the HTTP API, where
    // the route has no authorizer).
    for token in [None, Some("pas.un.jeton")] {
        let r = runner.get("/office/config", token).await;
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(
            r.json::<Value>().await.unwrap(),
            json!({"sign_in": "local"})
        );
    }
}
