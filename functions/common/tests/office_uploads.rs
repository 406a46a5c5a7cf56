//! The structural check of uploads (issue #17), each case on both backends
//! (SQLite and a folder; DynamoDB, S3 and SES on moto): a file with the
//! right first bytes but the wrong insides (HTML behind a PDF header, a PDF
//! with JavaScript, a launch action or an attached file, a truncated PNG, a
//! JPEG without its end) is refused and deleted when documents-check runs,
//! the candidate reads why on the piece, and nothing else changes; real
//! files of each type are received.

use std::sync::Arc;

use bytes::Bytes;

use examreg_common::app::{App, Config};
use examreg_common::domain::dossier::PieceStatus;
use examreg_common::domain::inscription::InscriptionInput;
use examreg_common::on_both_backends;
use examreg_common::services::accounts::{self, Credentials, TokenOnly};
use examreg_common::services::documents::{request_upload, UploadRequestInput};
use examreg_common::services::inscription::{self, PieceView};
use examreg_common::services::upload_check::{check_stored_object, CheckOutcome};
use examreg_common::testkit::files as fixtures;
use examreg_common::testkit::{
    self, at, bac_pro_inscription, Backend, FixedClock, RecordingMailer, ScratchDir,
};

/// Bac Pro: registration and documents windows both open.
const BOTH_OPEN: &str = "2021-10-26T08:00:00Z";
const PASSWORD: &str = "cheval-agrafe-batterie-correcte";
const PIECE: &str = "identity_document";

struct Fixture {
    app: Arc<App>,
    mailer: Arc<RecordingMailer>,
    token: String,
    _scratch: Option<ScratchDir>,
}

/// A candidate registered for the Bac Pro, signed in.
async fn fixture(backend: Backend) -> Fixture {
    let adapters = backend.adapters().await;
    let mailer = Arc::new(RecordingMailer::new(adapters.mailer));
    let clock = Arc::new(FixedClock::new(at(BOTH_OPEN)));
    let config = Config {
        mail_rate_per_second: 1000.0,
        ..Config::default()
    };
    let app = testkit::app(
        config,
        adapters.store,
        mailer.clone(),
        adapters.documents,
        clock,
    );
    let email = format!("ana@{}", testkit::unique_domain("u"));
    let credentials = || Credentials {
        email: email.clone(),
        password: PASSWORD.into(),
    };
    accounts::signup(&app, credentials()).await.unwrap();
    let token = mailer.last_token(&email, "/activate");
    accounts::activate(&app, TokenOnly { token }).await.unwrap();
    let token = accounts::login(&app, credentials()).await.unwrap().token;
    let input: InscriptionInput = serde_json::from_value(bac_pro_inscription(0)).unwrap();
    inscription::save(&app, Some(&token), input).await.unwrap();
    Fixture {
        app: Arc::new(app),
        mailer,
        token,
        _scratch: adapters.scratch,
    }
}

impl Fixture {
    /// Asks for an upload URL, stores `bytes` at its key as the client's PUT
    /// does, then runs the check as documents-check does: its outcome and
    /// the key.
    async fn upload(&self, content_type: &str, bytes: &[u8]) -> (CheckOutcome, String) {
        let ticket = request_upload(
            &self.app,
            Some(&self.token),
            PIECE,
            &UploadRequestInput {
                content_type: Some(content_type.into()),
                size_bytes: Some(bytes.len() as u64),
                name: None,
            },
        )
        .await
        .unwrap();
        let url = url::Url::parse(&ticket.upload_url).unwrap();
        let path = url.path().trim_start_matches('/');
        let key = match path.strip_prefix("_local/blobs/") {
            Some(key) => key.to_owned(),
            None => path.split_once('/').unwrap().1.to_owned(),
        };
        self.app
            .documents
            .put(&key, content_type, Bytes::copy_from_slice(bytes))
            .await
            .unwrap();
        (check_stored_object(&self.app, &key).await.unwrap(), key)
    }

    /// The piece as the candidate sees it in « Mon espace ».
    async fn piece(&self) -> PieceView {
        inscription::pieces(&self.app, Some(&self.token))
            .await
            .unwrap()
            .into_iter()
            .find(|p| p.kind.code() == PIECE)
            .unwrap()
    }
}

/// Each hostile file: refused with its French reason, deleted, shown to the
/// candidate; the piece stays as it was (missing, no file).
async fn files_with_the_right_first_bytes_but_the_wrong_insides_are_refused(backend: Backend) {
    let f = fixture(backend).await;
    let png = fixtures::png();
    let jpeg = fixtures::jpeg();
    let cases: [(&str, Vec<u8>, &str); 6] = [
        (
            "application/pdf",
            fixtures::html_behind_pdf_header(),
            "incomplet ou endommagé",
        ),
        (
            "application/pdf",
            fixtures::pdf_with_javascript_open_action(),
            "contient du code JavaScript",
        ),
        (
            "application/pdf",
            fixtures::pdf_with_launch_action(),
            "lance un programme",
        ),
        (
            "application/pdf",
            fixtures::pdf_with_embedded_file(),
            "contient des fichiers joints",
        ),
        (
            "image/png",
            png[..png.len() - 30].to_vec(),
            "une image PNG, complet et lisible",
        ),
        (
            "image/jpeg",
            jpeg[..jpeg.len() - 2].to_vec(),
            "une image JPEG, complet et lisible",
        ),
    ];
    for (content_type, bytes, expected) in cases {
        let emails = f.mailer.sent().len();
        let (outcome, key) = f.upload(content_type, &bytes).await;
        let CheckOutcome::Refused { reason, .. } = outcome else {
            panic!("{expected}: {outcome:?}");
        };
        assert!(reason.contains(expected), "{reason}");
        assert_eq!(f.app.documents.get(&key).await.unwrap(), None, "deleted");
        let piece = f.piece().await;
        assert_eq!(piece.status, PieceStatus::Missing, "{expected}");
        assert_eq!(piece.reason.as_deref(), Some(reason.as_str()));
        assert!(piece.files.is_empty(), "{expected}");
        assert_eq!(f.mailer.sent().len(), emails, "no email for a refusal");
    }
}

/// Real files of each type count, one after the other.
async fn real_files_of_each_type_are_received(backend: Backend) {
    let f = fixture(backend).await;
    for (content_type, bytes) in [
        ("application/pdf", fixtures::pdf()),
        ("image/png", fixtures::png()),
        ("image/jpeg", fixtures::jpeg()),
    ] {
        let (outcome, key) = f.upload(content_type, &bytes).await;
        assert!(
            matches!(outcome, CheckOutcome::Received { .. }),
            "{content_type}: {outcome:?}"
        );
        assert_eq!(
            f.app.documents.get(&key).await.unwrap().as_deref(),
            Some(bytes.as_slice())
        );
    }
    let piece = f.piece().await;
    assert_eq!(piece.status, PieceStatus::Received);
    assert_eq!(piece.files.len(), 3);
    assert_eq!(piece.reason, None);
}

on_both_backends!(
    files_with_the_right_first_bytes_but_the_wrong_insides_are_refused,
    real_files_of_each_type_are_received,
);
