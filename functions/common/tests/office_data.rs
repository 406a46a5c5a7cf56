//! What the dossier must hold (issue 15, part « data »), each case on both
//! backends (SQLite and a folder; DynamoDB, S3 and SES on moto), through the
//! very router the Lambdas serve:
//!
//! - the optional units chosen with their languages (`options`), and the
//!   birth place as commune plus `birth_department` / `birth_country`:
//!   saved, answered by `GET /inscription`, shown by the admin's `get`, in
//!   the export's columns and on the confirmation;
//! - invalid ones refused all at once (422 `validation_failed`), nothing
//!   saved; bodies that give neither birth field still accepted;
//! - the brevet professionnel's proof of professional experience, a piece
//!   its inscriptions call for (and no other diploma's).

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

use examreg_common::app::{App, Config};
use examreg_common::http::routes::Function;
use examreg_common::on_both_backends;
use examreg_common::records::dossier::InscriptionRecord;
use examreg_common::records::keys;
use examreg_common::services::confirmation::confirmation_document;
use examreg_common::services::{admin, inscription};
use examreg_common::testkit::{
    self, at, bac_pro_inscription, Backend, FixedClock, RecordingMailer, ScratchDir,
};

/// Bac Pro registration (14–31 October) and BP registration (18 October –
/// 12 November) both open.
const NOW: &str = "2021-10-26T08:00:00Z";
const PASSWORD: &str = "cheval-agrafe-batterie-correcte";

struct Fixture {
    app: Arc<App>,
    router: Router,
    sent: Arc<RecordingMailer>,
    domain: String,
    _scratch: Option<ScratchDir>,
}

async fn fixture(backend: Backend) -> Fixture {
    let adapters = backend.adapters().await;
    let sent = Arc::new(RecordingMailer::new(adapters.mailer));
    let clock = Arc::new(FixedClock::new(at(NOW)));
    let config = Config {
        mail_rate_per_second: 1000.0,
        ..Config::default()
    };
    let app = Arc::new(testkit::app(
        config,
        adapters.store,
        sent.clone(),
        adapters.documents,
        clock,
    ));
    Fixture {
        router: examreg_common::http::router(app.clone(), &Function::ALL),
        app,
        sent,
        domain: testkit::unique_domain("data"),
        _scratch: adapters.scratch,
    }
}

#[derive(Debug)]
struct Answer {
    status: StatusCode,
    body: Value,
}

impl Fixture {
    async fn send(&self, method: Method, path: &str, token: Option<&str>, body: Value) -> Answer {
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header("content-type", "application/json");
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let body = if body.is_null() {
            Body::empty()
        } else {
            Body::from(body.to_string())
        };
        let response = self
            .router
            .clone()
            .oneshot(request.body(body).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        Answer {
            status,
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        }
    }

    /// Signs up, activates from the emailed link and logs in: the email and
    /// the bearer token.
    async fn candidate(&self, name: &str) -> (String, String) {
        let email = format!("{name}@{}", self.domain);
        let credentials = json!({ "email": email, "password": PASSWORD });
        let r = self
            .send(Method::POST, "/auth/signup", None, credentials.clone())
            .await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{r:?}");
        let token = self.sent.last_token(&email, "/activate");
        let r = self
            .send(
                Method::POST,
                "/auth/activate",
                None,
                json!({ "token": token }),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{r:?}");
        let r = self
            .send(Method::POST, "/auth/login", None, credentials)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{r:?}");
        (email, r.body["token"].as_str().unwrap().to_owned())
    }

    async fn put(&self, token: &str, body: Value) -> Answer {
        self.send(Method::PUT, "/inscription", Some(token), body)
            .await
    }

    async fn get(&self, token: &str, path: &str) -> Answer {
        self.send(Method::GET, path, Some(token), Value::Null).await
    }

    async fn record(&self, email: &str) -> InscriptionRecord {
        let guard = self
            .app
            .store
            .get(&keys::email_guard(&email.to_lowercase()))
            .await
            .unwrap()
            .expect("email guard");
        let id = guard.str_attr("account_id").unwrap().to_owned();
        inscription::load(&self.app, &id)
            .await
            .unwrap()
            .expect("inscription")
    }

    /// The export's CSV, as the office downloads it, read by a CSV reader
    /// (cells holding the `;` separator are quoted).
    async fn export(&self) -> Vec<Vec<String>> {
        let answer = admin::handle_value(
            &self.app,
            json!({"action": "export", "actor": "Mme Durand"}),
        )
        .await;
        let key = answer["key"].as_str().unwrap_or_else(|| panic!("{answer}"));
        let bytes = self.app.documents.get(key).await.unwrap().expect("export");
        let text = String::from_utf8(bytes.to_vec()).unwrap();
        csv::ReaderBuilder::new()
            .delimiter(b';')
            .has_headers(false)
            .from_reader(text.trim_start_matches('\u{feff}').as_bytes())
            .records()
            .map(|row| row.unwrap().iter().map(str::to_owned).collect())
            .collect()
    }
}

/// Bac Pro MELEC (EF1: an optional language unit; EFM: mobility) with a
/// birth in Marseille's 3rd arrondissement and both optional units.
fn melec_with_options(version: u64) -> Value {
    let mut body = bac_pro_inscription(version);
    body["identity"]["birth_place"] = json!("Marseille 3e");
    body["identity"]["birth_department"] = json!("13");
    body["identity"]["birth_country"] = json!("FR");
    body["options"] = json!([{"unit": "EF1", "language": "oc"}, {"unit": "EFM"}]);
    body
}

fn column<'a>(csv: &'a [Vec<String>], row: usize, title: &str) -> &'a str {
    let index = csv[0]
        .iter()
        .position(|h| h == title)
        .unwrap_or_else(|| panic!("no column {title}: {:?}", csv[0]));
    &csv[row][index]
}

on_both_backends!(
    options_and_birth_fields_are_saved_and_shown_everywhere,
    invalid_options_and_birth_fields_are_refused_all_at_once,
    a_brevet_professionnel_calls_for_the_professional_experience_proof,
);

async fn options_and_birth_fields_are_saved_and_shown_everywhere(backend: Backend) {
    let fx = fixture(backend).await;
    let (email, token) = fx.candidate("lefevre").await;
    let r = fx.put(&token, melec_with_options(0)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{r:?}");
    let expected_options = json!([{"unit": "EF1", "language": "oc"}, {"unit": "EFM"}]);
    for answer in [&r.body, &fx.get(&token, "/inscription").await.body] {
        assert_eq!(answer["options"], expected_options, "{answer}");
        assert_eq!(answer["identity"]["birth_place"], "Marseille 3e");
        assert_eq!(answer["identity"]["birth_department"], "13");
        assert_eq!(answer["identity"]["birth_country"], "FR");
    }

    // The office's `get`.
    let got = admin::handle_value(&fx.app, json!({"action": "get", "email": email})).await;
    assert_eq!(got["options"], expected_options, "{got}");
    assert_eq!(got["identity"]["birth_department"], "13", "{got}");

    // The confirmation: the birth département, the options chosen.
    let document = confirmation_document(&fx.app, &fx.record(&email).await);
    assert!(document
        .identity
        .contains(&("Département de naissance".to_owned(), "13".to_owned())));
    assert!(document
        .identity
        .contains(&("Pays de naissance".to_owned(), "France".to_owned())));
    let unit = |code: &str| {
        document
            .units
            .iter()
            .find(|u| u.code == code)
            .map(|u| u.acquis.clone())
            .unwrap()
    };
    assert_eq!(unit("EF1"), "Choisie, en occitan (oc)");
    assert_eq!(unit("EFM"), "Choisie");
    assert_eq!(unit("E2"), "À présenter");

    // A change of language is a change: a new version, named in the email.
    let mut body = melec_with_options(1);
    body["options"] = json!([{"unit": "EFM"}, {"unit": "ef1", "language": "DE"}]);
    let r = fx.put(&token, body).await;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    assert_eq!(r.body["version"], 2);
    let last = fx.sent.sent_to(&email).pop().expect("an email");
    assert!(
        last.text.contains("Épreuves facultatives") && last.text.contains("allemand (de)"),
        "{}",
        last.text
    );
    // The same choices in another order change nothing.
    let mut body = melec_with_options(2);
    body["options"] = json!([{"unit": "EF1", "language": "de"}, {"unit": "EFM"}]);
    let r = fx.put(&token, body).await;
    assert_eq!(
        (r.status, r.body["version"].clone()),
        (StatusCode::OK, json!(2))
    );

    // A second candidate born abroad, a third who gives neither field (as
    // clients written before them do).
    let (_, token) = fx.candidate("benali").await;
    let mut body = bac_pro_inscription(0);
    body["identity"]["last_name"] = json!("Benali");
    body["identity"]["birth_place"] = json!("Casablanca");
    body["identity"]["birth_country"] = json!("ma");
    assert_eq!(fx.put(&token, body).await.status, StatusCode::CREATED);
    let (_, token) = fx.candidate("durand").await;
    let mut body = bac_pro_inscription(0);
    body["identity"]["last_name"] = json!("Durand");
    let r = fx.put(&token, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{r:?}");
    assert_eq!(r.body["options"], json!([]));
    assert!(r.body["identity"].get("birth_department").is_none());

    // The export: codes for the exams system, sorted by name.
    let csv = fx.export().await;
    assert_eq!(csv.len(), 4, "{csv:?}");
    let names: Vec<&str> = (1..4).map(|row| column(&csv, row, "Nom")).collect();
    assert_eq!(names, ["Benali", "Durand", "Lefèvre"]);
    assert_eq!(column(&csv, 1, "Code département de naissance"), "");
    assert_eq!(column(&csv, 1, "Code pays de naissance"), "MA");
    assert_eq!(column(&csv, 1, "Épreuves facultatives"), "");
    assert_eq!(column(&csv, 2, "Code pays de naissance"), "");
    assert_eq!(column(&csv, 3, "Lieu de naissance"), "Marseille 3e");
    assert_eq!(column(&csv, 3, "Code département de naissance"), "13");
    assert_eq!(column(&csv, 3, "Code pays de naissance"), "FR");
    assert_eq!(column(&csv, 3, "Épreuves facultatives"), "EFM ; EF1");
    assert_eq!(
        column(&csv, 3, "Langues des épreuves facultatives"),
        "EF1:de"
    );
}

async fn invalid_options_and_birth_fields_are_refused_all_at_once(backend: Backend) {
    let fx = fixture(backend).await;
    let (_, token) = fx.candidate("erreurs").await;
    let mut body = bac_pro_inscription(0);
    body["identity"]["birth_department"] = json!("13");
    body["identity"]["birth_country"] = json!("BE");
    body["identity"]["birth_place"] = json!("Marseille 13");
    body["options"] = json!([
        {"unit": "EFM", "language": "en"},
        {"unit": "E2"},
        {"unit": "EF1", "language": "xx"},
        {"unit": "EF1"}
    ]);
    let r = fx.put(&token, body).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{r:?}");
    assert_eq!(r.body["code"], "validation_failed");
    let errors: Vec<(String, String)> = r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            assert!(!e["message"].as_str().unwrap().is_empty());
            (
                e["field"].as_str().unwrap().to_owned(),
                e["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected = [
        ("identity.birth_place", "invalid_name"),
        ("identity.birth_department", "inconsistent_birth_place"),
        ("options[0].language", "unexpected_language"),
        ("options[1].unit", "not_optional_unit"),
        ("options[2].language", "unknown_language"),
        ("options[3].unit", "duplicate_unit"),
    ];
    assert_eq!(
        errors,
        expected
            .iter()
            .map(|(f, c)| (f.to_string(), c.to_string()))
            .collect::<Vec<_>>()
    );
    // Born in France without the département.
    let mut body = bac_pro_inscription(0);
    body["identity"]["birth_country"] = json!("FR");
    let r = fx.put(&token, body).await;
    assert_eq!(r.body["errors"][0]["field"], "identity.birth_department");
    assert_eq!(r.body["errors"][0]["code"], "required");
    // An unknown field in an option.
    let mut body = bac_pro_inscription(0);
    body["options"] = json!([{"unit": "EF1", "language": "en", "level": "B2"}]);
    let r = fx.put(&token, body).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{r:?}");
    assert_eq!(r.body["code"], "unknown_field");
    // Nothing was saved.
    let r = fx.get(&token, "/inscription").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{r:?}");
}

async fn a_brevet_professionnel_calls_for_the_professional_experience_proof(backend: Backend) {
    let fx = fixture(backend).await;
    let (_, token) = fx.candidate("boulanger").await;
    let mut body = bac_pro_inscription(0);
    body["diploma"] = json!("BP");
    body["specialty"] = json!("BOULANGER");
    body["identity"]["nationality"] = json!("BE");
    body["options"] = json!([{"unit": "EF1", "language": "it"}]);
    let r = fx.put(&token, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{r:?}");
    let pieces = fx.get(&token, "/inscription/pieces").await.body;
    let kinds: Vec<&str> = pieces
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "signed_confirmation",
            "identity_document",
            "professional_experience_proof"
        ]
    );
    let proof = &pieces[2];
    assert_eq!(proof["status"], "missing");
    assert!(proof["label"]
        .as_str()
        .unwrap()
        .starts_with("Justificatifs de votre expérience professionnelle"));

    // A Bac Pro candidate is not asked for it.
    let (_, token) = fx.candidate("bacpro").await;
    let mut body = bac_pro_inscription(0);
    body["identity"]["nationality"] = json!("BE");
    assert_eq!(fx.put(&token, body).await.status, StatusCode::CREATED);
    let pieces = fx.get(&token, "/inscription/pieces").await.body;
    assert!(
        !pieces.to_string().contains("professional_experience_proof"),
        "{pieces}"
    );
}
