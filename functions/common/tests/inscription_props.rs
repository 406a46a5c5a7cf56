//! Property tests: no body sent to `PUT /inscription` produces a 500 or a
//! partial write, and a save that changes nothing writes nothing. Bodies are a valid inscription with random parts replaced,
//! removed or added, sent through the very router the Lambdas serve.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use axum::Router;
use examreg_common::adapters::outbox::read_outbox;
use examreg_common::bootstrap::{embedded_app, Embedded};
use examreg_common::http::routes::Function;
use http_body_util::BodyExt;
use proptest::prelude::*;
use serde_json::{json, Value};
use tower::ServiceExt;

const PASSWORD: &str = "cheval-agrafe-batterie-correcte";

struct Fixture {
    router: Router,
    token: String,
    _embedded: Embedded,
    _dir: tempfile::TempDir,
}

async fn call(
    router: &Router,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<String>,
) -> (StatusCode, String, Value) {
    let mut request = Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", "application/json");
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let request = request
        .body(body.map(Body::from).unwrap_or_default())
        .unwrap();
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, content_type, value)
}

async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let start = "2021-11-20T10:00:00+01:00".parse().unwrap();
    let embedded = embedded_app(
        dir.path(),
        &examreg_common::config::Settings {
            public_url: Some("http://127.0.0.1:3000".into()),
            ..Default::default()
        },
        Some(start),
        |c| c.first_opening(),
    )
    .unwrap();
    let router = examreg_common::http::router(Arc::clone(&embedded.app), &Function::ALL);
    let credentials = json!({ "email": "prop@exemple.fr", "password": PASSWORD }).to_string();
    call(
        &router,
        Method::POST,
        "/auth/signup",
        None,
        Some(credentials.clone()),
    )
    .await;
    let outbox = embedded.outbox.clone().unwrap();
    let mail = read_outbox(&outbox).unwrap().pop().unwrap();
    let token = mail
        .text
        .split("token=")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    let (status, _, _) = call(
        &router,
        Method::POST,
        "/auth/activate",
        None,
        Some(json!({ "token": token }).to_string()),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, _, login) = call(
        &router,
        Method::POST,
        "/auth/login",
        None,
        Some(credentials),
    )
    .await;
    let token = login["token"].as_str().unwrap().to_owned();
    // A first inscription, so that the properties also cover updates.
    let (status, _, _) = call(
        &router,
        Method::PUT,
        "/inscription",
        Some(&token),
        Some(valid(0).to_string()),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    Fixture {
        router,
        token,
        _embedded: embedded,
        _dir: dir,
    }
}

fn valid(version: u64) -> Value {
    json!({
        "diploma": "CAP",
        "specialty": "CUISINE",
        "identity": {
            "last_name": "Lefèvre",
            "first_names": "Zoé",
            "birth_date": "1995-03-04",
            "birth_place": "Marseille",
            "nationality": "FR",
            "address": { "line1": "1 rue Paradis", "postal_code": "13001", "city": "Marseille", "country": "FR" },
            "phone": "0612345678"
        },
        "disability": { "declared": false, "existing_accommodation": false },
        "acquis": [{ "unit": "EG1", "type": "benefit", "grade": 12, "year": 2019 }],
        "version": version
    })
}

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,40}".prop_map(Value::from),
        prop_oneof![
            Just("CAP"),
            Just("BAC_PRO"),
            Just("2021-02-29"),
            Just("FR"),
            Just("EG1"),
            Just("benefit"),
            Just("dispense"),
            Just("../../etc")
        ]
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,12}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Every path to a value in `v`, as JSON pointers.
fn pointers(v: &Value, prefix: String, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                let p = format!("{prefix}/{k}");
                out.push(p.clone());
                pointers(child, p, out);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                let p = format!("{prefix}/{i}");
                out.push(p.clone());
                pointers(child, p, out);
            }
        }
        _ => {}
    }
}

#[derive(Debug, Clone)]
enum Mutation {
    Replace(usize, Value),
    Remove(usize),
    Add(usize, String, Value),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any_json()).prop_map(|(i, v)| Mutation::Replace(i, v)),
        any::<usize>().prop_map(Mutation::Remove),
        (any::<usize>(), "[a-z_]{1,10}", any_json()).prop_map(|(i, k, v)| Mutation::Add(i, k, v)),
    ]
}

fn apply(mut body: Value, mutations: &[Mutation]) -> Value {
    for m in mutations {
        let mut paths = Vec::new();
        pointers(&body, String::new(), &mut paths);
        if paths.is_empty() {
            break;
        }
        match m {
            Mutation::Replace(i, v) => {
                if let Some(slot) = body.pointer_mut(&paths[i % paths.len()]) {
                    *slot = v.clone();
                }
            }
            Mutation::Remove(i) => {
                let path = &paths[i % paths.len()];
                let (parent, key) = path.rsplit_once('/').unwrap();
                match body.pointer_mut(parent) {
                    Some(Value::Object(map)) => {
                        map.remove(key);
                    }
                    Some(Value::Array(items)) => {
                        if let Ok(n) = key.parse::<usize>() {
                            if n < items.len() {
                                items.remove(n);
                            }
                        }
                    }
                    _ => {}
                }
            }
            Mutation::Add(i, k, v) => {
                if let Some(Value::Object(map)) = body.pointer_mut(&paths[i % paths.len()]) {
                    map.insert(k.clone(), v.clone());
                }
            }
        }
    }
    body
}

/// The fields of an answered inscription that a candidate's save may change.
fn editable(inscription: &Value) -> [&Value; 5] {
    ["diploma", "specialty", "identity", "disability", "acquis"].map(|f| &inscription[f])
}

/// One application for every case (signing up costs two argon2 hashes);
/// each case reads the current version first, so cases stay independent.
fn shared() -> &'static (tokio::runtime::Runtime, Fixture) {
    static SHARED: std::sync::OnceLock<(tokio::runtime::Runtime, Fixture)> =
        std::sync::OnceLock::new();
    SHARED.get_or_init(|| {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let fixture = runtime.block_on(fixture());
        (runtime, fixture)
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn no_body_causes_a_500_or_a_partial_write(mutations in prop::collection::vec(mutation(), 1..5), stale in 0u64..4) {
        let (runtime, f) = shared();
        runtime.block_on(async {
            let (_, _, before) = call(&f.router, Method::GET, "/inscription", Some(&f.token), None).await;
            let current = before["version"].as_u64().unwrap();
            // The current version mostly; sometimes 0 (a create), or a stale one.
            let version = match stale { 0 => 0, 1 => current.saturating_sub(1), _ => current };
            let body = apply(valid(version), &mutations);
            let (status, content_type, answer) = call(&f.router, Method::PUT, "/inscription", Some(&f.token), Some(body.to_string())).await;
            prop_assert!(status.as_u16() < 500, "{status} for {body}: {answer}");
            let (_, _, after) = call(&f.router, Method::GET, "/inscription", Some(&f.token), None).await;
            if status.is_success() {
                // A save that changes something is one new version; one that
                // changes nothing leaves the inscription exactly as it was.
                let changed = editable(&after) != editable(&before);
                let version = if changed { current + 1 } else { current };
                prop_assert_eq!(after["version"].as_u64(), Some(version));
                if !changed {
                    prop_assert_eq!(&after, &before, "a save that changed nothing wrote");
                }
            } else {
                prop_assert_eq!(content_type, "application/problem+json");
                prop_assert!(answer["code"].is_string() && answer["detail"].is_string());
                prop_assert_eq!(&after, &before, "a refused write changed the inscription");
            }
            Ok(())
        })?;
    }
}
