//! Several files per piece and the office's `piece_link`, over HTTP: through
//! the local runner (embedded), and in the AWS shape (the Lambdas on moto,
//! S3's notifications delivered to the check, IAM enforced on every call):
//! `DELETE /inscription/pieces/{kind}/files/{id}`, and the link downloaded as
//! the office's browser would (the runner's signed `/_local/blobs/...` URL,
//! or a presigned S3 GET signed by the admin function's role), refused
//! locally once altered or expired.

mod support;

use reqwest::StatusCode;
use serde_json::{json, Value};
use support::{
    bac_pro_melec_body, problem, valid_pdf, valid_png, Backend, Runner, BAC_PRO_BOTH_OPEN,
};

const ACTOR: &str = "Mme Durand (DIEC 3.05)";

fn files_path(kind: &str, id: &str) -> String {
    format!("/inscription/pieces/{kind}/files/{id}")
}

async fn delete(runner: &Runner, token: &str, path: &str) -> reqwest::Response {
    runner.delete(path, Some(token)).await
}

async fn files_are_listed_removed_and_linked(runner: &Runner) {
    let backend = runner.backend;
    let email = "plusieurs@exemple.fr";
    let token = runner.signup_and_login(email).await;
    runner
        .save(&token, &bac_pro_melec_body(0, "Marseille"))
        .await;

    // Two files, the first named.
    let ticket = runner
        .post(
            "/inscription/pieces/identity_document/uploads",
            Some(&token),
            &json!({"content_type": "image/png", "size_bytes": valid_png().len(), "name": "recto.png"}),
        )
        .await;
    assert_eq!(ticket.status(), StatusCode::CREATED);
    let ticket: Value = ticket.json().await.unwrap();
    let r = runner.put_file(&ticket, valid_png()).await;
    assert_eq!(r.status(), StatusCode::OK);
    runner.settle_uploads().await;
    runner
        .upload(&token, "identity_document", "application/pdf", valid_pdf())
        .await;
    let piece = runner.piece(&token, "identity_document").await;
    assert_eq!(piece["status"], "received", "{piece}");
    let files = piece["files"].as_array().unwrap().clone();
    assert_eq!(files.len(), 2, "{piece}");
    assert_eq!(files[0]["name"], "recto.png");
    assert_eq!(files[0]["content_type"], "image/png");
    assert_eq!(files[0]["size_bytes"], valid_png().len());
    assert_eq!(files[1]["name"], "identity_document.pdf");
    assert_eq!(piece["rejected_files"], json!([]));

    // The office sees the newest, then the first by its id, byte for byte.
    let link = runner.admin(&json!({
        "action": "piece_link", "actor": ACTOR, "email": email, "kind": "identity_document"
    }));
    assert_eq!(link["name"], "identity_document.pdf", "{link}");
    let url = link["url"].as_str().unwrap().to_owned();
    let got = runner.http.get(&url).send().await.unwrap();
    assert_eq!(got.status(), StatusCode::OK);
    assert_eq!(&got.bytes().await.unwrap()[..], valid_pdf());
    let first = files[0]["id"].as_str().unwrap();
    let link = runner.admin(&json!({
        "action": "piece_link", "email": email, "kind": "identity_document", "file": first
    }));
    let got = runner
        .http
        .get(link["url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(got.status(), StatusCode::OK);
    if backend == Backend::Embedded {
        assert_eq!(got.headers()["content-type"], "image/png");
    }
    assert_eq!(&got.bytes().await.unwrap()[..], valid_png());
    let dossier = runner.admin(&json!({"action": "get", "email": email}));
    let views: Vec<&Value> = dossier["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["action"] == "piece_viewed")
        .collect();
    assert_eq!(views.len(), 2, "{dossier}");
    assert!(views
        .iter()
        .any(|h| h["actor"] == format!("console:{ACTOR}")));
    assert!(views.iter().any(|h| h["actor"] == "console"));

    // Locally, an altered or expired link is refused (moto does not check
    // presigned signatures; S3 does, and its links expire by themselves).
    if backend == Backend::Embedded {
        let tampered = url.replace("identity_document/", "signed_confirmation/");
        let r = runner.http.get(&tampered).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        let sig = url.rsplit("sig=").next().unwrap().to_owned();
        let mut flipped = sig.clone().into_bytes();
        flipped[0] = if flipped[0] == b'0' { b'1' } else { b'0' };
        let forged = url.replace(&sig, std::str::from_utf8(&flipped).unwrap());
        let r = runner.http.get(&forged).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        runner.advance("6m").await;
        let r = runner.http.get(&url).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        let (_, body) = problem(r).await;
        assert!(
            body["detail"].as_str().unwrap().contains("expiré"),
            "{body}"
        );
    }

    // The candidate removes a file: 204; again: 404 unknown_file.
    let token = runner.login_token(email).await;
    let r = delete(runner, &token, &files_path("identity_document", first)).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let r = delete(runner, &token, &files_path("identity_document", first)).await;
    let (status, body) = problem(r).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["code"], "unknown_file");
    let r = delete(runner, &token, &files_path("nope", first)).await;
    assert_eq!(problem(r).await.1["code"], "unknown_piece");
    let piece = runner.piece(&token, "identity_document").await;
    assert_eq!(piece["files"].as_array().unwrap().len(), 1, "{piece}");
    // The last one: missing again.
    let last = piece["files"][0]["id"].as_str().unwrap().to_owned();
    let r = delete(runner, &token, &files_path("identity_document", &last)).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let piece = runner.piece(&token, "identity_document").await;
    assert_eq!(piece["status"], "missing", "{piece}");
    // Without a session: 401.
    let r = runner
        .http
        .delete(runner.url(&files_path("identity_document", &last)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    // Five files at most.
    for _ in 0..5 {
        runner
            .upload(&token, "identity_document", "image/png", valid_png())
            .await;
    }
    let r = runner
        .ask_upload(
            &token,
            "identity_document",
            "image/png",
            valid_png().len() as u64,
        )
        .await;
    let (status, body) = problem(r).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["code"], "too_many_files");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_the_local_runner() {
    files_are_listed_removed_and_linked(&Runner::start(BAC_PRO_BOTH_OPEN).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_the_aws_shape_with_iam_enforced() {
    let runner = Runner::deploy(BAC_PRO_BOTH_OPEN).await;
    files_are_listed_removed_and_linked(&runner).await;
    let deployment = runner.deployment.as_ref().expect("deployed");
    let calls = deployment.calls();
    let refused: Vec<_> = calls.iter().filter(|c| !c.allowed).collect();
    assert!(refused.is_empty(), "calls IAM refused: {refused:#?}");
    let called = |function: &str, action: &str| {
        calls
            .iter()
            .any(|c| c.function == function && c.action == action)
    };
    // The removal deleted the object with the documents function's role.
    assert!(called("DocumentsFunction", "s3:DeleteObject"), "{calls:#?}");
}
