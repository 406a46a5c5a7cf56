//! Several files per piece, rejected files kept as evidence, and the office's
//! `piece_link`, each case run on both backends: the embedded one (SQLite, a
//! folder) and the AWS one (DynamoDB, S3 and SES on moto). Files are stored
//! as the client's PUT would store them, then checked as the documents-check
//! Lambda checks them.

use examreg_common::testkit::files::{valid_pdf, valid_png};
use std::sync::Arc;

use bytes::Bytes;
use serde_json::{json, Value};

use examreg_common::app::{App, Config};
use examreg_common::domain::dossier::{InscriptionStatus, PieceState, PieceStatus};
use examreg_common::domain::inscription::InscriptionInput;
use examreg_common::domain::pieces::PieceKind;
use examreg_common::on_both_backends;
use examreg_common::ports::store::WriteOp;
use examreg_common::records::dossier::InscriptionRecord;
use examreg_common::records::history::HistoryEntry;
use examreg_common::services::accounts::{self, Credentials, TokenOnly};
use examreg_common::services::admin;
use examreg_common::services::documents::{delete_file, request_upload, UploadRequestInput};
use examreg_common::services::inscription::{self, PieceView};
use examreg_common::services::upload_check::{check_stored_object, CheckOutcome};
use examreg_common::testkit::{
    self, at, bac_pro_inscription, Backend, FixedClock, RaceStore, RecordingMailer, ScratchDir,
};

/// Bac Pro: registration and documents windows both open.
const BOTH_OPEN: &str = "2021-10-26T08:00:00Z";
/// The Bac Pro documents window's last millisecond.
const DOCUMENTS_CLOSE: &str = "2021-11-07T22:59:59.999Z";
const PASSWORD: &str = "cheval-agrafe-batterie-correcte";
const ACTOR: &str = "Mme Durand (DIEC 3.05)";

struct Fixture {
    backend: Backend,
    app: Arc<App>,
    clock: Arc<FixedClock>,
    mailer: Arc<RecordingMailer>,
    race: Arc<RaceStore>,
    domain: String,
    _scratch: Option<ScratchDir>,
}

async fn fixture(backend: Backend) -> Fixture {
    let adapters = backend.adapters().await;
    let race = Arc::new(RaceStore::new(adapters.store));
    let mailer = Arc::new(RecordingMailer::new(adapters.mailer));
    let clock = Arc::new(FixedClock::new(at(BOTH_OPEN)));
    let config = Config {
        mail_rate_per_second: 1000.0,
        ..Config::default()
    };
    let app = testkit::app(
        config,
        race.clone(),
        mailer.clone(),
        adapters.documents,
        clock.clone(),
    );
    Fixture {
        backend,
        app: Arc::new(app),
        clock,
        mailer,
        race,
        domain: testkit::unique_domain("f"),
        _scratch: adapters.scratch,
    }
}

/// The object key an upload URL names: the runner's `/_local/blobs/<key>`,
/// or S3's path-style `/<bucket>/<key>`.
fn key_of(url: &str) -> String {
    let url = url::Url::parse(url).unwrap();
    let path = url.path().trim_start_matches('/');
    match path.strip_prefix("_local/blobs/") {
        Some(key) => key.to_owned(),
        None => path.split_once('/').unwrap().1.to_owned(),
    }
}

impl Fixture {
    /// Signs up, activates, logs in and registers for the Bac Pro: the
    /// address and the session token.
    async fn candidate(&self, name: &str) -> (String, String) {
        let email = format!("{name}@{}", self.domain);
        let credentials = || Credentials {
            email: email.clone(),
            password: PASSWORD.into(),
        };
        accounts::signup(&self.app, credentials()).await.unwrap();
        let token = self.mailer.last_token(&email, "/activate");
        accounts::activate(&self.app, TokenOnly { token })
            .await
            .unwrap();
        let token = accounts::login(&self.app, credentials())
            .await
            .unwrap()
            .token;
        let input: InscriptionInput = serde_json::from_value(bac_pro_inscription(0)).unwrap();
        inscription::save(&self.app, Some(&token), input)
            .await
            .unwrap();
        (email, token)
    }

    async fn record(&self, token: &str) -> InscriptionRecord {
        inscription::load_for_caller(&self.app, Some(token))
            .await
            .unwrap()
            .1
            .expect("inscription")
    }

    async fn piece(&self, token: &str, kind: &str) -> PieceView {
        inscription::pieces(&self.app, Some(token))
            .await
            .unwrap()
            .into_iter()
            .find(|p| p.kind.code() == kind)
            .unwrap()
    }

    /// Asks for an upload URL, stores `bytes` at its key and checks them:
    /// the key and the outcome.
    async fn upload(
        &self,
        token: &str,
        kind: &str,
        bytes: &[u8],
        name: Option<&str>,
    ) -> (String, CheckOutcome) {
        let content_type = if bytes.starts_with(b"%PDF") {
            "application/pdf"
        } else {
            "image/png"
        };
        let ticket = request_upload(
            &self.app,
            Some(token),
            kind,
            &UploadRequestInput {
                content_type: Some(content_type.into()),
                size_bytes: Some(bytes.len() as u64),
                name: name.map(str::to_owned),
            },
        )
        .await
        .unwrap();
        let key = key_of(&ticket.upload_url);
        self.app
            .documents
            .put(&key, content_type, Bytes::copy_from_slice(bytes))
            .await
            .unwrap();
        let outcome = check_stored_object(&self.app, &key).await.unwrap();
        (key, outcome)
    }

    async fn stored(&self, key: &str) -> Option<Bytes> {
        self.app.documents.get(key).await.unwrap()
    }

    async fn admin(&self, event: Value) -> Value {
        admin::handle_value(&self.app, event).await
    }

    async fn history(&self, token: &str) -> Vec<HistoryEntry> {
        let record = self.record(token).await;
        inscription::history(&self.app, &record.account_id)
            .await
            .unwrap()
    }

    /// Downloads `url`: on moto, straight from S3; embedded, the URL is the
    /// runner's signed route (downloaded through the runner in
    /// tests/office_files.rs at the workspace's root), so the bytes are read
    /// from the key it names.
    async fn download(&self, url: &str) -> Bytes {
        match self.backend {
            Backend::Moto => {
                let response = reqwest::get(url).await.unwrap();
                assert_eq!(response.status(), 200, "{url}");
                response.bytes().await.unwrap()
            }
            Backend::Embedded => {
                assert!(url.starts_with("http://127.0.0.1:3000/_local/blobs/candidates/"));
                assert!(url.contains("expires=") && url.contains("sig="), "{url}");
                self.stored(&key_of(url)).await.unwrap()
            }
        }
    }
}

fn refusal(error: impl Into<examreg_common::error::AppError>) -> (u16, &'static str) {
    let error = error.into();
    (error.status(), error.code())
}

// ---------------------------------------------------------------------------

async fn files_accumulate_up_to_five_and_a_sixth_is_refused(backend: Backend) {
    let f = fixture(backend).await;
    let (_, token) = f.candidate("cinq").await;
    let mut keys = Vec::new();
    for n in 1..=5 {
        let name = format!("page-{n}.png");
        let (key, outcome) = f
            .upload(&token, "identity_document", valid_png(), Some(&name))
            .await;
        assert!(
            matches!(outcome, CheckOutcome::Received { .. }),
            "{outcome:?}"
        );
        keys.push(key);
    }
    let piece = f.piece(&token, "identity_document").await;
    assert_eq!(piece.status, PieceStatus::Received);
    let names: Vec<&str> = piece.files.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "page-1.png",
            "page-2.png",
            "page-3.png",
            "page-4.png",
            "page-5.png"
        ]
    );
    assert!(piece
        .files
        .iter()
        .all(|f| f.size_bytes == valid_png().len() as u64
            && f.content_type == "image/png"
            && f.received_at == at(BOTH_OPEN)));
    // Nothing is replaced: every file is still stored.
    for key in &keys {
        assert_eq!(f.stored(key).await.as_deref(), Some(valid_png()), "{key}");
    }
    // The sixth.
    let error = request_upload(
        &f.app,
        Some(&token),
        "identity_document",
        &UploadRequestInput {
            content_type: Some("image/png".into()),
            size_bytes: Some(valid_png().len() as u64),
            name: None,
        },
    )
    .await
    .unwrap_err();
    assert_eq!(refusal(error), (409, "too_many_files"));
    // Another piece still takes files; a file without a name gets one.
    f.upload(&token, "signed_confirmation", valid_pdf(), None)
        .await;
    let confirmation = f.piece(&token, "signed_confirmation").await;
    assert_eq!(confirmation.files[0].name, "signed_confirmation.pdf");
    // The answers show the files too.
    let json = serde_json::to_value(&piece).unwrap();
    assert_eq!(json["files"].as_array().unwrap().len(), 5);
    assert_eq!(json["rejected_files"], json!([]));
}

async fn a_file_is_removed_and_the_last_one_takes_the_piece_back(backend: Backend) {
    let f = fixture(backend).await;
    let (email, token) = f.candidate("retrait").await;
    let kinds: Vec<String> = f
        .record(&token)
        .await
        .pieces
        .keys()
        .map(|k| k.code().to_owned())
        .collect();
    for kind in &kinds {
        f.upload(
            &token,
            kind,
            if kind == "signed_confirmation" {
                valid_pdf()
            } else {
                valid_png()
            },
            None,
        )
        .await;
    }
    let (verso, _) = f
        .upload(&token, "identity_document", valid_png(), Some("verso.png"))
        .await;
    assert_eq!(f.record(&token).await.status, InscriptionStatus::Complete);
    let files = f.piece(&token, "identity_document").await.files;
    assert_eq!(files.len(), 2);

    // An unknown id, an unknown piece.
    let error = delete_file(&f.app, Some(&token), "identity_document", "nope")
        .await
        .unwrap_err();
    assert_eq!(refusal(error), (404, "unknown_file"));
    let error = delete_file(&f.app, Some(&token), "passport", &files[0].id)
        .await
        .unwrap_err();
    assert_eq!(refusal(error), (404, "unknown_piece"));

    // One of two: the piece still counts, the object is gone.
    delete_file(&f.app, Some(&token), "identity_document", &files[1].id)
        .await
        .unwrap();
    assert_eq!(f.stored(&verso).await, None);
    let piece = f.piece(&token, "identity_document").await;
    assert_eq!(piece.status, PieceStatus::Received);
    assert_eq!(piece.files.len(), 1);
    assert_eq!(f.record(&token).await.status, InscriptionStatus::Complete);

    // The last one: the piece is missing, the dossier registered again.
    delete_file(&f.app, Some(&token), "identity_document", &files[0].id)
        .await
        .unwrap();
    let piece = f.piece(&token, "identity_document").await;
    assert_eq!(piece.status, PieceStatus::Missing);
    assert!(piece.files.is_empty());
    assert_eq!(f.record(&token).await.status, InscriptionStatus::Registered);
    let history = f.history(&token).await;
    assert_eq!(
        history
            .iter()
            .filter(|h| h.action == "file_removed" && h.actor == "candidate")
            .count(),
        2
    );

    // A validated piece keeps its files.
    let answer = f
        .admin(json!({"action": "validate_piece", "actor": ACTOR, "email": email, "kind": "signed_confirmation"}))
        .await;
    assert!(answer.get("error").is_none(), "{answer}");
    let id = f.piece(&token, "signed_confirmation").await.files[0]
        .id
        .clone();
    let error = delete_file(&f.app, Some(&token), "signed_confirmation", &id)
        .await
        .unwrap_err();
    assert_eq!(refusal(error), (409, "piece_validated"));

    // After the documents window: closed (logged in afresh: a session
    // does not last that long).
    let (other_email, other) = f.candidate("tardif").await;
    let (_, _) = f
        .upload(&other, "identity_document", valid_png(), None)
        .await;
    let id = f.piece(&other, "identity_document").await.files[0]
        .id
        .clone();
    f.clock
        .set(at(DOCUMENTS_CLOSE) + chrono::Duration::milliseconds(1));
    let other = accounts::login(
        &f.app,
        Credentials {
            email: other_email,
            password: PASSWORD.into(),
        },
    )
    .await
    .unwrap()
    .token;
    let error = delete_file(&f.app, Some(&other), "identity_document", &id)
        .await
        .unwrap_err();
    assert_eq!(refusal(error), (403, "documents_closed"));
}

async fn a_rejection_keeps_the_files_as_evidence(backend: Backend) {
    let f = fixture(backend).await;
    let (email, token) = f.candidate("preuve").await;
    let (recto, _) = f
        .upload(&token, "identity_document", valid_png(), Some("recto.png"))
        .await;
    let (verso, _) = f
        .upload(&token, "identity_document", valid_png(), Some("verso.png"))
        .await;
    let answer = f
        .admin(json!({
            "action": "reject_piece", "actor": ACTOR, "email": email,
            "kind": "identity_document", "reason": "Le verso est illisible."
        }))
        .await;
    assert!(answer.get("error").is_none(), "{answer}");
    let piece = f.piece(&token, "identity_document").await;
    assert_eq!(piece.status, PieceStatus::Rejected);
    assert!(piece.files.is_empty());
    let rejected: Vec<&str> = piece
        .rejected_files
        .iter()
        .map(|f| f.name.as_str())
        .collect();
    assert_eq!(rejected, ["recto.png", "verso.png"]);
    // The stored objects are kept.
    assert_eq!(f.stored(&recto).await.as_deref(), Some(valid_png()));
    assert_eq!(f.stored(&verso).await.as_deref(), Some(valid_png()));

    // A new upload starts the piece again; the evidence stays, and cannot
    // be removed by the candidate.
    let (again, _) = f
        .upload(
            &token,
            "identity_document",
            valid_pdf(),
            Some("nouvelle.pdf"),
        )
        .await;
    let piece = f.piece(&token, "identity_document").await;
    assert_eq!(piece.status, PieceStatus::Received);
    assert_eq!(piece.files.len(), 1);
    assert_eq!(piece.files[0].name, "nouvelle.pdf");
    assert_eq!(piece.rejected_files.len(), 2);
    let error = delete_file(
        &f.app,
        Some(&token),
        "identity_document",
        &piece.rejected_files[0].id,
    )
    .await
    .unwrap_err();
    assert_eq!(refusal(error), (404, "unknown_file"));
    assert_eq!(f.stored(&again).await.as_deref(), Some(valid_pdf()));
    assert_eq!(f.stored(&recto).await.as_deref(), Some(valid_png()));

    // The office's read shows both lists.
    let dossier = f.admin(json!({"action": "get", "email": email})).await;
    let piece = dossier["pieces"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["kind"] == "identity_document")
        .unwrap();
    assert_eq!(piece["files"].as_array().unwrap().len(), 1, "{piece}");
    assert_eq!(piece["rejected_files"].as_array().unwrap().len(), 2);
}

async fn piece_link_downloads_the_very_bytes_and_is_journaled(backend: Backend) {
    let f = fixture(backend).await;
    let (email, token) = f.candidate("lien").await;
    f.upload(&token, "identity_document", valid_png(), Some("recto.png"))
        .await;
    f.upload(&token, "identity_document", valid_pdf(), Some("verso.pdf"))
        .await;

    // The newest by default, with an actor.
    let link = f
        .admin(json!({"action": "piece_link", "actor": ACTOR, "email": email, "kind": "identity_document"}))
        .await;
    assert!(link.get("error").is_none(), "{link}");
    assert_eq!(link["name"], "verso.pdf");
    assert_eq!(link["content_type"], "application/pdf");
    assert_eq!(link["size_bytes"], valid_pdf().len());
    let expires_at: chrono::DateTime<chrono::Utc> =
        link["expires_at"].as_str().unwrap().parse().unwrap();
    assert!(expires_at > at(BOTH_OPEN));
    assert!(expires_at <= at(BOTH_OPEN) + chrono::Duration::minutes(5));
    let bytes = f.download(link["url"].as_str().unwrap()).await;
    assert_eq!(&bytes[..], valid_pdf());

    // Another by its id, from the console without actor.
    let recto = f.piece(&token, "identity_document").await.files[0]
        .id
        .clone();
    let link = f
        .admin(json!({"action": "piece_link", "email": email, "kind": "identity_document", "file": recto}))
        .await;
    assert_eq!(link["name"], "recto.png", "{link}");
    assert_eq!(
        &f.download(link["url"].as_str().unwrap()).await[..],
        valid_png()
    );

    // Each view is in the history, with its actor; the dossier is unchanged.
    let before = f.record(&token).await.revision;
    let views: Vec<(String, String)> = f
        .history(&token)
        .await
        .into_iter()
        .filter(|h| h.action == "piece_viewed")
        .map(|h| (h.actor, h.detail.unwrap_or_default()))
        .collect();
    assert_eq!(views.len(), 2, "{views:?}");
    assert!(views.iter().any(
        |(actor, detail)| *actor == format!("console:{ACTOR}") && detail.contains("verso.pdf")
    ));
    assert!(views
        .iter()
        .any(|(actor, detail)| actor == "console" && detail.contains("recto.png")));
    assert_eq!(f.record(&token).await.revision, before);

    // Refusals.
    let unknown = f
        .admin(json!({"action": "piece_link", "email": email, "kind": "identity_document", "file": "nope"}))
        .await;
    assert_eq!(unknown["error"]["code"], "unknown_file", "{unknown}");
    let none = f
        .admin(json!({"action": "piece_link", "email": email, "kind": "signed_confirmation"}))
        .await;
    assert_eq!(none["error"]["code"], "piece_not_received", "{none}");
    let extra = f
        .admin(json!({"action": "piece_link", "email": email, "kind": "signed_confirmation", "size": 1}))
        .await;
    assert_eq!(extra["error"]["code"], "invalid_event", "{extra}");
}

/// A piece stored before pieces held several files: one `object_key`.
async fn a_piece_stored_with_one_object_key_is_one_file(backend: Backend) {
    let f = fixture(backend).await;
    let (email, token) = f.candidate("ancien").await;
    let (key, _) = f
        .upload(&token, "identity_document", valid_png(), None)
        .await;
    // Rewrite the piece as records were stored before: no `files`.
    let record = f.record(&token).await;
    let mut old = record.clone();
    let piece = old.pieces.get_mut(&PieceKind::IdentityDocument).unwrap();
    *piece = PieceState {
        status: PieceStatus::Received,
        received_at: Some(at(BOTH_OPEN)),
        object_key: Some(key.clone()),
        content_type: Some("image/png".into()),
        size_bytes: Some(valid_png().len() as u64),
        ..PieceState::missing()
    };
    old.revision += 1;
    let stored = serde_json::to_value(&old).unwrap();
    assert!(stored["pieces"]["identity_document"].get("files").is_none());
    let ops = old
        .write_ops(&f.app.calendar, record.revision, history_line())
        .unwrap();
    f.app.store.transact(ops).await.unwrap();

    let piece = f.piece(&token, "identity_document").await;
    assert_eq!(piece.files.len(), 1);
    let id = key.rsplit('/').next().unwrap();
    assert_eq!(piece.files[0].id, id);
    assert_eq!(piece.files[0].name, "identity_document.png");
    let link = f
        .admin(json!({"action": "piece_link", "email": email, "kind": "identity_document"}))
        .await;
    assert_eq!(
        &f.download(link["url"].as_str().unwrap()).await[..],
        valid_png()
    );
    // A second file joins it.
    f.upload(&token, "identity_document", valid_pdf(), None)
        .await;
    assert_eq!(f.piece(&token, "identity_document").await.files.len(), 2);
    delete_file(&f.app, Some(&token), "identity_document", id)
        .await
        .unwrap();
    assert_eq!(f.piece(&token, "identity_document").await.files.len(), 1);
}

/// A removal whose write loses a race with another write of the dossier
/// reads it again and applies on what it finds.
async fn a_removal_racing_another_write_applies_once(backend: Backend) {
    let f = fixture(backend).await;
    let (_, token) = f.candidate("course").await;
    f.upload(&token, "identity_document", valid_png(), Some("a.png"))
        .await;
    f.upload(&token, "identity_document", valid_png(), Some("b.png"))
        .await;
    let record = f.record(&token).await;
    // The office extends the deadline just before the removal's write.
    let mut raced = record.clone();
    raced.revision += 1;
    raced.documents_deadline_extension = Some(at("2021-11-20T22:59:59.999Z"));
    let ops: Vec<WriteOp> = raced
        .write_ops(&f.app.calendar, record.revision, history_line())
        .unwrap();
    f.race.before_next_transaction(ops);
    let id = f.piece(&token, "identity_document").await.files[0]
        .id
        .clone();
    delete_file(&f.app, Some(&token), "identity_document", &id)
        .await
        .unwrap();
    let after = f.record(&token).await;
    assert_eq!(after.revision, record.revision + 2);
    assert!(after.documents_deadline_extension.is_some());
    let names: Vec<String> = f
        .piece(&token, "identity_document")
        .await
        .files
        .into_iter()
        .map(|f| f.name)
        .collect();
    assert_eq!(names, ["b.png"]);
}

fn history_line() -> HistoryEntry {
    HistoryEntry {
        at: at(BOTH_OPEN),
        actor: "admin".into(),
        action: "test".into(),
        fields: Vec::new(),
        version: 1,
        detail: None,
    }
}

on_both_backends!(
    files_accumulate_up_to_five_and_a_sixth_is_refused,
    a_file_is_removed_and_the_last_one_takes_the_piece_back,
    a_rejection_keeps_the_files_as_evidence,
    piece_link_downloads_the_very_bytes_and_is_journaled,
    a_piece_stored_with_one_object_key_is_one_file,
    a_removal_racing_another_write_applies_once,
);
