//! The documents service on the AWS adapters (DynamoDB, S3 and SES on moto):
//! upload URLs that sign the content type and length, a real PUT through
//! them, then the check of the stored bytes, as the documents-check Lambda
//! runs it on S3's notification. moto does not verify presigned signatures,
//! so what they sign is checked on the URL itself, and what arrives is
//! checked on the stored bytes (that is the point of the check).
//!
//! One case runs on the embedded adapters: a write racing the check.

use examreg_common::testkit::files::{valid_pdf, valid_png};
use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::Bytes;

use examreg_common::adapters::counting::CountingStore;
use examreg_common::app::{App, Config};
use examreg_common::domain::dossier::{InscriptionStatus, PieceStatus};
use examreg_common::domain::inscription::InscriptionInput;
use examreg_common::domain::pieces::PieceKind;
use examreg_common::metrics::Metric;
use examreg_common::ports::OutgoingEmail;
use examreg_common::records::dossier::InscriptionRecord;
use examreg_common::records::history::HistoryEntry;
use examreg_common::records::keys;
use examreg_common::services::accounts::{self, Credentials, TokenOnly};
use examreg_common::services::documents::{request_upload, UploadRequestInput, UploadTicket};
use examreg_common::services::inscription;
use examreg_common::services::upload_check::{
    check_notified_keys, check_stored_object, CheckOutcome,
};
use examreg_common::testkit::{
    self, at, bac_pro_inscription, moto_server, Backend, FixedClock, RaceStore, RecordingMailer,
    ScratchDir,
};

/// Bac Pro: registration and documents windows both open.
const BOTH_OPEN: &str = "2021-10-26T08:00:00Z";
const PASSWORD: &str = "cheval-agrafe-batterie-correcte";

const HTML: &[u8] = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>";

struct Fixture {
    app: Arc<App>,
    counting: Arc<CountingStore>,
    race: Arc<RaceStore>,
    mailer: Arc<RecordingMailer>,
    domain: String,
    _scratch: Option<ScratchDir>,
}

async fn fixture(backend: Backend) -> Fixture {
    let adapters = backend.adapters().await;
    let race = Arc::new(RaceStore::new(adapters.store));
    let counting = Arc::new(CountingStore::new(race.clone()));
    let mailer = Arc::new(RecordingMailer::new(adapters.mailer));
    let app = testkit::app(
        Config::default(),
        counting.clone(),
        mailer.clone(),
        adapters.documents,
        Arc::new(FixedClock::new(at(BOTH_OPEN))),
    );
    Fixture {
        app: Arc::new(app),
        counting,
        race,
        mailer,
        domain: testkit::unique_domain("d"),
        _scratch: adapters.scratch,
    }
}

impl Fixture {
    /// Signs up, activates (the link from the email) and logs in.
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
        let login = accounts::login(&self.app, credentials()).await.unwrap();
        (email, login.token)
    }

    fn sent_to(&self, email: &str) -> Vec<OutgoingEmail> {
        self.mailer.sent_to(email)
    }

    async fn register(&self, token: &str) -> InscriptionRecord {
        let input: InscriptionInput = serde_json::from_value(bac_pro_inscription(0)).unwrap();
        inscription::save(&self.app, Some(token), input)
            .await
            .unwrap();
        self.record(token).await
    }

    async fn record(&self, token: &str) -> InscriptionRecord {
        inscription::load_for_caller(&self.app, Some(token))
            .await
            .unwrap()
            .1
            .expect("inscription")
    }

    async fn ticket(
        &self,
        token: &str,
        kind: &str,
        content_type: &str,
        size: usize,
    ) -> UploadTicket {
        request_upload(
            &self.app,
            Some(token),
            kind,
            &UploadRequestInput {
                content_type: Some(content_type.into()),
                size_bytes: Some(size as u64),
                name: None,
            },
        )
        .await
        .unwrap()
    }
}

/// The object key a presigned S3 URL names (path style: `/<bucket>/<key>`).
fn s3_key(ticket: &UploadTicket) -> String {
    let url = url::Url::parse(&ticket.upload_url).unwrap();
    let path = url.path().trim_start_matches('/');
    path.split_once('/').unwrap().1.to_owned()
}

fn query_params(ticket: &UploadTicket) -> BTreeMap<String, String> {
    url::Url::parse(&ticket.upload_url)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

/// A real PUT through the presigned URL, with exactly its headers.
async fn put(ticket: &UploadTicket, bytes: &[u8]) -> reqwest::StatusCode {
    assert_eq!(ticket.method, "PUT");
    let mut request = reqwest::Client::new().put(&ticket.upload_url);
    for (name, value) in &ticket.headers {
        request = request.header(name, value);
    }
    request.body(bytes.to_vec()).send().await.unwrap().status()
}

#[tokio::test]
async fn presigned_s3_urls_sign_type_and_length_and_uploads_are_checked_on_the_stored_bytes() {
    let f = fixture(Backend::Moto).await;
    let (email, token) = f.candidate("ana").await;
    let record = f.register(&token).await;
    let account_id = record.account_id.clone();
    assert_eq!(
        record.pieces.keys().copied().collect::<Vec<_>>(),
        [PieceKind::SignedConfirmation, PieceKind::IdentityDocument]
    );
    // The signup and the save are counted for the dashboard (EMF).
    assert_eq!(f.app.metrics.recorded_total(Metric::Signups), 1.0);
    assert_eq!(f.app.metrics.recorded_total(Metric::InscriptionsSaved), 1.0);

    // One read and one conditional write per upload URL; presigning is local.
    let before = f.counting.counts();
    let png = f
        .ticket(&token, "identity_document", "image/png", valid_png().len())
        .await;
    let used = f.counting.counts().since(&before);
    assert_eq!(
        (used.get_many.calls, used.transact.calls, used.calls()),
        (1, 1, 2),
        "{used:?}"
    );

    // The URL: the candidate's own prefix, the content type and length signed.
    let key = s3_key(&png);
    assert!(
        key.starts_with(&format!("candidates/{account_id}/identity_document/")),
        "{key}"
    );
    let params = query_params(&png);
    let signed: Vec<&str> = params["X-Amz-SignedHeaders"].split(';').collect();
    for header in ["content-length", "content-type", "host"] {
        assert!(
            signed.contains(&header),
            "{header} is not signed: {signed:?}"
        );
    }
    assert_eq!(params["X-Amz-Expires"], "600");
    assert_eq!(params["X-Amz-Algorithm"], "AWS4-HMAC-SHA256");
    assert!(
        params["X-Amz-Date"].starts_with("20211026T08"),
        "signed from the app's clock"
    );
    assert_eq!(png.headers["Content-Type"], "image/png");
    assert_eq!(png.headers["Content-Length"], valid_png().len().to_string());
    assert_eq!(
        png.expires_at,
        at(BOTH_OPEN) + chrono::Duration::minutes(10)
    );

    // A real PUT to moto, then the check S3's notification runs.
    assert!(put(&png, valid_png()).await.is_success());
    let before = f.counting.counts();
    let outcome = check_stored_object(&f.app, &key).await.unwrap();
    assert_eq!(
        outcome,
        CheckOutcome::Received {
            kind: PieceKind::IdentityDocument,
            status: InscriptionStatus::Registered
        }
    );
    let used = f.counting.counts().since(&before);
    assert_eq!(
        (used.get_many.calls, used.transact.calls, used.calls()),
        (1, 1, 2),
        "{used:?}"
    );
    let piece = f.record(&token).await.pieces[&PieceKind::IdentityDocument].clone();
    assert_eq!(piece.status, PieceStatus::Received);
    assert_eq!(piece.object_key.as_deref(), Some(key.as_str()));
    assert_eq!(piece.content_type.as_deref(), Some("image/png"));
    assert_eq!(piece.size_bytes, Some(valid_png().len() as u64));
    assert_eq!(
        f.app.documents.get(&key).await.unwrap().as_deref(),
        Some(valid_png())
    );

    // A duplicated notification (S3 delivers at least once): one read, no
    // write, and the upload counted once.
    let before = f.counting.counts();
    assert_eq!(
        check_stored_object(&f.app, &key).await.unwrap(),
        CheckOutcome::AlreadyProcessed
    );
    assert_eq!(f.app.metrics.recorded_total(Metric::UploadsAccepted), 1.0);
    let used = f.counting.counts().since(&before);
    assert_eq!((used.read_calls(), used.transact.calls), (1, 0), "{used:?}");

    // HTML declared as a PDF: refused and deleted; the piece says why.
    let html = f
        .ticket(&token, "signed_confirmation", "application/pdf", HTML.len())
        .await;
    let html_key = s3_key(&html);
    assert!(put(&html, HTML).await.is_success());
    match check_stored_object(&f.app, &html_key).await.unwrap() {
        CheckOutcome::Refused { kind, reason } => {
            assert_eq!(kind, PieceKind::SignedConfirmation);
            assert!(
                reason.contains("n'est pas un PDF, un JPEG ou un PNG valide"),
                "{reason}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        f.app.documents.get(&html_key).await.unwrap(),
        None,
        "deleted"
    );
    let piece = f.record(&token).await.pieces[&PieceKind::SignedConfirmation].clone();
    assert_eq!(piece.status, PieceStatus::Missing);
    assert!(piece.reason.is_some());
    // Retried: still refused, nothing else changes.
    let revision = f.record(&token).await.revision;
    assert_eq!(
        check_stored_object(&f.app, &html_key).await.unwrap(),
        CheckOutcome::AlreadyProcessed
    );
    assert_eq!(f.record(&token).await.revision, revision);
    assert_eq!(f.app.metrics.recorded_total(Metric::UploadsRefused), 1.0);

    // The signed confirmation, through the notification's URL-encoded key:
    // the dossier is complete and the candidate is told, through SES.
    let pdf = f
        .ticket(
            &token,
            "signed_confirmation",
            "application/pdf",
            valid_pdf().len(),
        )
        .await;
    assert!(put(&pdf, valid_pdf()).await.is_success());
    let outcomes = check_notified_keys(&f.app, [s3_key(&pdf).as_str()])
        .await
        .unwrap();
    assert_eq!(
        outcomes,
        [CheckOutcome::Received {
            kind: PieceKind::SignedConfirmation,
            status: InscriptionStatus::Complete
        }]
    );
    let record = f.record(&token).await;
    assert_eq!(record.status, InscriptionStatus::Complete);
    assert_eq!(
        record.pieces[&PieceKind::SignedConfirmation].signed_version,
        Some(record.version)
    );
    let complete: Vec<_> = f
        .sent_to(&email)
        .into_iter()
        .filter(|m| m.subject == "Votre dossier d'inscription est complet")
        .collect();
    assert_eq!(complete.len(), 1);
    assert!(complete[0]
        .text
        .contains("dossier d'inscription est complet"));
    let ses = moto_server().await.sent_emails().await;
    assert!(
        ses.iter().any(
            |m| m["subject"] == "Votre dossier d'inscription est complet"
                && m["destinations"]["ToAddresses"][0] == email.as_str()
        ),
        "SES did not send it"
    );

    // A file under candidates/ without any upload request is deleted; keys
    // that are no candidate upload are left alone.
    let stray = format!(
        "candidates/{account_id}/identity_document/{}",
        "a".repeat(32)
    );
    f.app
        .documents
        .put(&stray, "image/png", Bytes::from_static(valid_png()))
        .await
        .unwrap();
    assert_eq!(
        check_stored_object(&f.app, &stray).await.unwrap(),
        CheckOutcome::Discarded
    );
    assert_eq!(f.app.documents.get(&stray).await.unwrap(), None);
    let export = "exports/liste des candidats.csv";
    f.app
        .documents
        .put(export, "text/csv", Bytes::from_static(b"a;b\n"))
        .await
        .unwrap();
    assert_eq!(
        check_notified_keys(
            &f.app,
            ["exports/liste+des+candidats.csv", "candidates%2F..%2Fx"]
        )
        .await
        .unwrap(),
        [CheckOutcome::Ignored, CheckOutcome::Ignored]
    );
    assert!(f.app.documents.get(export).await.unwrap().is_some());
}

#[tokio::test]
async fn a_signed_confirmation_asked_for_an_older_version_counts_for_nothing_on_s3() {
    let f = fixture(Backend::Moto).await;
    let (_, token) = f.candidate("versions").await;
    let record = f.register(&token).await;
    let stale = f
        .ticket(
            &token,
            "signed_confirmation",
            "application/pdf",
            valid_pdf().len(),
        )
        .await;
    // A save raises the version before the file arrives.
    let mut input = record.data.to_input(record.version);
    if let Some(identity) = input.identity.as_mut() {
        identity.birth_place = Some("Aubagne".into());
    }
    inscription::save(&f.app, Some(&token), input)
        .await
        .unwrap();
    assert!(put(&stale, valid_pdf()).await.is_success());
    match check_stored_object(&f.app, &s3_key(&stale)).await.unwrap() {
        CheckOutcome::Refused { reason, .. } => assert!(reason.contains("version 1"), "{reason}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(f.app.documents.get(&s3_key(&stale)).await.unwrap(), None);
    let piece = f.record(&token).await.pieces[&PieceKind::SignedConfirmation].clone();
    assert_eq!(piece.status, PieceStatus::Missing);
    assert!(piece.reason.unwrap().contains("nouvelle confirmation"));
}

#[tokio::test]
async fn a_write_racing_the_check_is_retried_and_nothing_is_lost() {
    let f = fixture(Backend::Embedded).await;
    let (_, token) = f.candidate("course").await;
    let record = f.register(&token).await;
    let ticket = f
        .ticket(&token, "identity_document", "image/png", valid_png().len())
        .await;
    let key = local_key(&ticket);
    f.app
        .documents
        .put(&key, "image/png", Bytes::from_static(valid_png()))
        .await
        .unwrap();

    // Another writer (an admin extending the deadline) lands between the
    // check's read and its transaction.
    let mut raced = record.clone();
    raced.revision += 1;
    raced.documents_deadline_extension = Some(at("2021-11-20T22:59:59.999Z"));
    let history = HistoryEntry {
        at: at(BOTH_OPEN),
        actor: "admin".into(),
        action: "deadline_extended".into(),
        fields: Vec::new(),
        version: raced.version,
        detail: None,
    };
    let ops = raced
        .write_ops(&f.app.calendar, record.revision, history)
        .unwrap();
    f.race.before_next_transaction(ops);

    let before = f.counting.counts();
    let outcome = check_stored_object(&f.app, &key).await.unwrap();
    assert!(
        matches!(outcome, CheckOutcome::Received { .. }),
        "{outcome:?}"
    );
    let used = f.counting.counts().since(&before);
    assert_eq!(
        (used.get_many.calls, used.transact.calls),
        (2, 2),
        "read, lost, re-read, won: {used:?}"
    );
    let after = f.record(&token).await;
    assert_eq!(
        after.pieces[&PieceKind::IdentityDocument].status,
        PieceStatus::Received
    );
    assert_eq!(
        after.documents_deadline_extension, raced.documents_deadline_extension,
        "the other write is kept"
    );
    assert_eq!(after.revision, record.revision + 2);
    let stored = f
        .app
        .store
        .get(&keys::upload(
            &record.account_id,
            key.rsplit('/').next().unwrap(),
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.str_attr("status"), Some("done"));
}

/// The local key a folder store's upload URL names.
fn local_key(ticket: &UploadTicket) -> String {
    ticket
        .upload_url
        .split("/_local/blobs/")
        .nth(1)
        .and_then(|rest| rest.split('?').next())
        .unwrap()
        .to_owned()
}

/// Writes `change` of the candidate's record as an admin would (one history line).
async fn admin_write(f: &Fixture, token: &str, change: impl FnOnce(&mut InscriptionRecord)) {
    let record = f.record(token).await;
    let mut next = record.clone();
    change(&mut next);
    next.revision += 1;
    let history = HistoryEntry {
        at: at(BOTH_OPEN),
        actor: "admin".into(),
        action: "test".into(),
        fields: Vec::new(),
        version: next.version,
        detail: None,
    };
    let ops = next
        .write_ops(&f.app.calendar, record.revision, history)
        .unwrap();
    f.app.store.transact(ops).await.unwrap();
}

fn refusal_code(error: impl Into<examreg_common::error::AppError>) -> (u16, &'static str) {
    let error = error.into();
    (error.status(), error.code())
}

#[tokio::test]
async fn validated_pieces_stay_and_cancelled_inscriptions_take_no_file() {
    let f = fixture(Backend::Embedded).await;
    let (_, token) = f.candidate("annulee").await;
    f.register(&token).await;
    let input = |ct: &str, size: u64| UploadRequestInput {
        content_type: Some(ct.into()),
        size_bytes: Some(size),
        name: None,
    };

    // A piece the exams office validated cannot be replaced.
    admin_write(&f, &token, |r| {
        if let Some(piece) = r.pieces.get_mut(&PieceKind::IdentityDocument) {
            piece.status = PieceStatus::Validated;
        }
    })
    .await;
    let error = request_upload(
        &f.app,
        Some(&token),
        "identity_document",
        &input("image/png", 10),
    )
    .await
    .unwrap_err();
    assert_eq!(refusal_code(error), (409, "piece_already_validated"));

    // A URL given before the inscription was cancelled: the file is refused.
    let pending = f
        .ticket(
            &token,
            "signed_confirmation",
            "application/pdf",
            valid_pdf().len(),
        )
        .await;
    admin_write(&f, &token, |r| {
        r.status = InscriptionStatus::Cancelled;
        r.cancelled_at = Some(at(BOTH_OPEN));
    })
    .await;
    let error = request_upload(
        &f.app,
        Some(&token),
        "signed_confirmation",
        &input("application/pdf", 10),
    )
    .await
    .unwrap_err();
    assert_eq!(refusal_code(error), (403, "documents_closed"));
    let key = local_key(&pending);
    f.app
        .documents
        .put(&key, "application/pdf", Bytes::from_static(valid_pdf()))
        .await
        .unwrap();
    match check_stored_object(&f.app, &key).await.unwrap() {
        CheckOutcome::Refused { reason, .. } => assert!(reason.contains("annulée"), "{reason}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(f.app.documents.get(&key).await.unwrap(), None);
    let record = f.record(&token).await;
    assert_eq!(record.status, InscriptionStatus::Cancelled);
    assert_eq!(
        record.pieces[&PieceKind::SignedConfirmation].status,
        PieceStatus::Missing
    );
    assert_eq!(
        record.pieces[&PieceKind::IdentityDocument].status,
        PieceStatus::Validated
    );
}
