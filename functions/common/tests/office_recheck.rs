//! The last evening and lost checks (issue #18), each case on both backends
//! (SQLite and a folder; DynamoDB, S3 and SES on moto): a file stored before
//! the deadline counts whenever its check runs; the sweep waits for uploads
//! in flight (15 minutes after the deadline, or their check), then looks at
//! the bucket itself (a HEAD); a check that never came is recovered by the
//! sweep's reconciliation; and the office's `recheck` does it for one
//! candidate on demand. Files are stored as the client's PUT stores them;
//! their check runs, when it does, as documents-check runs it.

use examreg_common::testkit::files::valid_pdf;
use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

use bytes::Bytes;
use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};

use examreg_common::app::{App, Config};
use examreg_common::domain::dossier::{InscriptionStatus, PieceStatus};
use examreg_common::domain::inscription::InscriptionInput;
use examreg_common::on_both_backends;
use examreg_common::services::accounts::{self, Credentials, TokenOnly};
use examreg_common::services::admin;
use examreg_common::services::documents::{request_upload, UploadRequestInput};
use examreg_common::services::inscription::{self, PieceView};
use examreg_common::services::object_created::ObjectCreatedEvent;
use examreg_common::services::sweep::{self, SweepReport};
use examreg_common::services::upload_check::{check_event, check_stored_object, CheckOutcome};
use examreg_common::testkit::{
    self, at, bac_pro_inscription, Backend, FixedClock, RecordingMailer, ScratchDir,
};

/// Bac Pro: registration and documents windows both open.
const BOTH_OPEN: &str = "2021-10-26T08:00:00Z";
/// The Bac Pro documents window's last millisecond (23:59:59.999 Paris).
const DOCUMENTS_CLOSE: &str = "2021-11-07T22:59:59.999Z";
const PASSWORD: &str = "cheval-agrafe-batterie-correcte";
const ACTOR: &str = "Mme Durand (DIEC 3.05)";

const HTML: &[u8] = b"<html><body>not a pdf</body></html>";

struct Fixture {
    app: Arc<App>,
    clock: Arc<FixedClock>,
    mailer: Arc<RecordingMailer>,
    domain: String,
    _scratch: Option<ScratchDir>,
}

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
        clock.clone(),
    );
    Fixture {
        app: Arc::new(app),
        clock,
        mailer,
        domain: testkit::unique_domain("r"),
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

/// An S3 notification of `key`, stored at `stored_at`, as S3 sends it.
fn notification(key: &str, stored_at: DateTime<Utc>) -> ObjectCreatedEvent {
    serde_json::from_value(json!({"Records": [{
        "eventVersion": "2.1", "eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
        "eventTime": stored_at.to_rfc3339(),
        "s3": {"object": {"key": key, "size": valid_pdf().len()}}
    }]}))
    .unwrap()
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

    /// A new session (the old one expired over the days the clock moved).
    async fn login(&self, email: &str) -> String {
        let credentials = Credentials {
            email: email.to_owned(),
            password: PASSWORD.into(),
        };
        accounts::login(&self.app, credentials).await.unwrap().token
    }

    async fn pieces(&self, token: &str) -> Vec<PieceView> {
        inscription::pieces(&self.app, Some(token)).await.unwrap()
    }

    async fn piece(&self, token: &str, kind: &str) -> PieceView {
        self.pieces(token)
            .await
            .into_iter()
            .find(|p| p.kind.code() == kind)
            .unwrap()
    }

    async fn status(&self, token: &str) -> InscriptionStatus {
        inscription::load_for_caller(&self.app, Some(token))
            .await
            .unwrap()
            .1
            .expect("inscription")
            .status
    }

    /// Asks for an upload URL for `kind` and, with `bytes`, stores them at
    /// its key as the client's PUT does: the key. Nothing is checked.
    async fn put(&self, token: &str, kind: &str, bytes: Option<&[u8]>) -> String {
        let ticket = request_upload(
            &self.app,
            Some(token),
            kind,
            &UploadRequestInput {
                content_type: Some("application/pdf".into()),
                size_bytes: Some(bytes.unwrap_or(valid_pdf()).len() as u64),
                name: None,
            },
        )
        .await
        .unwrap();
        assert!(
            ticket.expires_at <= at(DOCUMENTS_CLOSE),
            "an upload URL never outlives the deadline: {}",
            ticket.expires_at
        );
        let key = key_of(&ticket.upload_url);
        if let Some(bytes) = bytes {
            self.app
                .documents
                .put(&key, "application/pdf", Bytes::copy_from_slice(bytes))
                .await
                .unwrap();
        }
        key
    }

    /// Every piece but `except` uploaded and checked.
    async fn all_pieces_but(&self, token: &str, except: &str) {
        for piece in self.pieces(token).await {
            if piece.kind.code() != except {
                let key = self.put(token, piece.kind.code(), Some(valid_pdf())).await;
                let outcome = check_stored_object(&self.app, &key).await.unwrap();
                assert!(
                    matches!(outcome, CheckOutcome::Received { .. }),
                    "{outcome:?}"
                );
            }
        }
    }

    async fn sweep(&self) -> SweepReport {
        sweep::run(&self.app, Instant::now() + StdDuration::from_secs(60))
            .await
            .unwrap()
    }

    async fn admin(&self, event: Value) -> Value {
        admin::handle_value(&self.app, event).await
    }
}

/// The last-evening race: the PUT at 23:59:58, its notification delivered
/// after the midnight sweep. The sweep waits for it; the piece counts as
/// received at 23:59:58; the dossier is complete, never cancelled. A
/// dossier with nothing in flight is cancelled at the first sweep, as ever.
async fn a_file_stored_before_the_deadline_counts_when_checked_after_the_sweep(backend: Backend) {
    let f = fixture(backend).await;
    let (late_email, late) = f.candidate("derniere-minute").await;
    let (idle_email, _) = f.candidate("sans-depot").await;
    f.all_pieces_but(&late, "identity_document").await;

    let deadline = at(DOCUMENTS_CLOSE);
    let stored_at = at("2021-11-07T22:59:58Z");
    f.clock.set(stored_at);
    let late = f.login(&late_email).await;
    let idle = f.login(&idle_email).await;
    let key = f.put(&late, "identity_document", Some(valid_pdf())).await;

    // 00:00 Paris: the midnight sweep, the notification not there yet.
    f.clock.set(deadline + Duration::milliseconds(1));
    let report = f.sweep().await;
    assert_eq!(report.cancellations, 1, "{report:?}");
    assert_eq!(report.awaiting_uploads, 1, "{report:?}");
    assert_eq!(f.status(&idle).await, InscriptionStatus::Cancelled);
    assert_eq!(f.status(&late).await, InscriptionStatus::Registered);

    // 00:00:03: S3's notification, stamped with when S3 stored the file.
    f.clock.set(deadline + Duration::seconds(3));
    let outcomes = check_event(&f.app, &notification(&key, stored_at))
        .await
        .unwrap();
    assert!(
        matches!(
            outcomes[..],
            [CheckOutcome::Received {
                status: InscriptionStatus::Complete,
                ..
            }]
        ),
        "{outcomes:?}"
    );
    let piece = f.piece(&late, "identity_document").await;
    assert_eq!(piece.status, PieceStatus::Received);
    assert_eq!(piece.received_at, Some(stored_at));

    // The sweeps after the grace leave the complete dossier alone.
    f.clock.set(deadline + Duration::minutes(15));
    let report = f.sweep().await;
    assert_eq!((report.cancellations, report.awaiting_uploads), (0, 0));
    f.clock.set(deadline + Duration::days(1));
    f.sweep().await;
    let late = f.login(&late_email).await;
    assert_eq!(f.status(&late).await, InscriptionStatus::Complete);
}

/// The grace ends 15 minutes after the deadline: a notification that still
/// has not come is not waited for any longer. The sweep looks at the bucket
/// (a HEAD): a file stored in time is checked and counts; an upload URL
/// given but never used does not save its dossier.
async fn past_the_grace_the_sweep_looks_at_the_bucket_itself(backend: Backend) {
    let f = fixture(backend).await;
    let (stored_email, stored) = f.candidate("stocke").await;
    let (unused_email, unused) = f.candidate("jamais-envoye").await;
    f.all_pieces_but(&stored, "identity_document").await;
    f.all_pieces_but(&unused, "identity_document").await;

    let deadline = at(DOCUMENTS_CLOSE);
    f.clock.set(at("2021-11-07T22:59:50Z"));
    let stored = f.login(&stored_email).await;
    let unused = f.login(&unused_email).await;
    let key = f.put(&stored, "identity_document", Some(valid_pdf())).await;
    f.put(&unused, "identity_document", None).await;

    f.clock.set(deadline + Duration::minutes(14));
    let report = f.sweep().await;
    assert_eq!((report.cancellations, report.awaiting_uploads), (0, 2));

    f.clock.set(deadline + Duration::minutes(15));
    let report = f.sweep().await;
    assert_eq!(report.uploads_recovered, 1, "{report:?}");
    assert_eq!(report.cancellations, 1, "{report:?}");
    assert_eq!(f.status(&stored).await, InscriptionStatus::Complete);
    assert_eq!(f.status(&unused).await, InscriptionStatus::Cancelled);
    let piece = f.piece(&stored, "identity_document").await;
    assert!(
        piece.received_at.is_some_and(|at| at <= deadline),
        "{piece:?}"
    );

    // The notification comes at last: already checked, nothing changes.
    let late = check_event(&f.app, &notification(&key, at("2021-11-07T22:59:50Z")))
        .await
        .unwrap();
    assert_eq!(late, [CheckOutcome::AlreadyProcessed]);
    assert_eq!(f.status(&stored).await, InscriptionStatus::Complete);
}

/// A check dropped for good (S3 said yes to the candidate, documents-check
/// failed its retries): the sweep's reconciliation finds the file by a HEAD
/// of its key once the URL expired, and checks it. An URL never used leaves
/// the due work; a second run has nothing left to look at.
async fn a_dropped_check_is_recovered_by_the_sweeps_reconciliation(backend: Backend) {
    let f = fixture(backend).await;
    let (_, token) = f.candidate("perdu").await;
    f.put(&token, "identity_document", Some(valid_pdf())).await;
    f.put(&token, "signed_confirmation", None).await;
    assert_eq!(
        f.piece(&token, "identity_document").await.status,
        PieceStatus::Missing
    );

    // Before the URLs expired (and their grace), nothing is looked at.
    f.clock.set(at(BOTH_OPEN) + Duration::minutes(20));
    let report = f.sweep().await;
    assert_eq!((report.uploads_recovered, report.uploads_unused), (0, 0));

    f.clock.set(at(BOTH_OPEN) + Duration::minutes(26));
    let report = f.sweep().await;
    assert_eq!(report.uploads_recovered, 1, "{report:?}");
    assert_eq!(report.uploads_unused, 1, "{report:?}");
    let piece = f.piece(&token, "identity_document").await;
    assert_eq!(piece.status, PieceStatus::Received);
    // Received as of when it was stored: no later than its URL's expiry.
    assert!(
        piece
            .received_at
            .is_some_and(|t| t <= at(BOTH_OPEN) + Duration::minutes(10)),
        "{piece:?}"
    );

    let again = f.sweep().await;
    assert_eq!((again.uploads_recovered, again.uploads_unused), (0, 0));
}

/// `recheck`: each pending upload of one candidate looked at and its file
/// checked: a good file received, a bad one refused (and deleted), an
/// unused URL reported absent; the pieces in the answer, the action in
/// the history. Sent again, nothing is pending any more.
async fn recheck_checks_what_was_stored_for_one_candidate(backend: Backend) {
    let f = fixture(backend).await;
    let (email, token) = f.candidate("revoir").await;
    f.put(&token, "identity_document", Some(valid_pdf())).await;
    let bad = f.put(&token, "signed_confirmation", Some(HTML)).await;
    f.put(&token, "identity_document", None).await;
    // The URLs expired (10 minutes), not yet reconciled by a sweep (25).
    f.clock.set(at(BOTH_OPEN) + Duration::minutes(11));

    let answer = f
        .admin(json!({"action": "recheck", "actor": ACTOR, "email": email}))
        .await;
    assert!(answer.get("error").is_none(), "{answer}");
    let mut found: Vec<(String, String)> = answer["rechecked"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["kind"].as_str().unwrap().to_owned(),
                r["found"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    found.sort();
    assert_eq!(
        found,
        [
            ("identity_document".to_owned(), "absent".to_owned()),
            ("identity_document".to_owned(), "received".to_owned()),
            ("signed_confirmation".to_owned(), "refused".to_owned()),
        ]
    );
    let refused = answer["rechecked"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["found"] == "refused")
        .unwrap();
    assert!(refused["reason"].as_str().is_some_and(|r| !r.is_empty()));
    assert_eq!(f.app.documents.get(&bad).await.unwrap(), None);
    let identity = answer["pieces"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["kind"] == "identity_document")
        .unwrap();
    assert_eq!(identity["status"], "received");
    assert!(answer["candidate_number"].is_string());
    assert_eq!(answer["status"], "registered");
    assert!(answer["status_label"].is_string());

    let number = answer["candidate_number"].as_str().unwrap().to_owned();
    let again = f
        .admin(json!({"action": "recheck", "actor": ACTOR, "candidate_number": number}))
        .await;
    assert_eq!(again["rechecked"], json!([]), "{again}");

    // A URL still valid with nothing stored yet is reported absent but
    // stays pending: the candidate may still use it.
    let valid = f.put(&token, "identity_document", None).await;
    for _ in 0..2 {
        let answer = f
            .admin(json!({"action": "recheck", "actor": ACTOR, "email": email}))
            .await;
        assert_eq!(
            answer["rechecked"].as_array().map(Vec::len),
            Some(1),
            "{answer}"
        );
        assert_eq!(answer["rechecked"][0]["found"], "absent");
    }
    f.app
        .documents
        .put(&valid, "application/pdf", Bytes::from_static(valid_pdf()))
        .await
        .unwrap();
    let found = f
        .admin(json!({"action": "recheck", "actor": ACTOR, "email": email}))
        .await;
    assert_eq!(found["rechecked"][0]["found"], "received", "{found}");

    let got = f
        .admin(json!({"action": "get", "actor": ACTOR, "email": email}))
        .await;
    let rechecks: Vec<&Value> = got["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|line| line["action"] == "rechecked")
        .collect();
    assert_eq!(rechecks.len(), 5, "{got}");
    assert_eq!(rechecks[0]["actor"], format!("console:{ACTOR}"));

    // A candidate who does not exist, or an event without actor: refused.
    let unknown = f
        .admin(
            json!({"action": "recheck", "actor": ACTOR, "email": format!("personne@{}", f.domain)}),
        )
        .await;
    assert_eq!(unknown["error"]["code"], "not_found");
    let anonymous = f.admin(json!({"action": "recheck", "email": email})).await;
    assert_eq!(anonymous["error"]["code"], "invalid_event");
}

on_both_backends!(
    a_file_stored_before_the_deadline_counts_when_checked_after_the_sweep,
    past_the_grace_the_sweep_looks_at_the_bucket_itself,
    a_dropped_check_is_recovered_by_the_sweeps_reconciliation,
    recheck_checks_what_was_stored_for_one_candidate,
);
