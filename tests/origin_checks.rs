//! The HTTP edge against cross-site requests, through the real runner: the
//! audit's login CSRF (a cross-site `<form enctype="text/plain">` posting to
//! `/auth/login`) and its variants are refused before any handler runs, so
//! they set no cookie and change nothing; the session cookie is `__Host-`
//! over HTTPS, and a duplicated one is never taken; the runner's control
//! routes stay off a network address. (The guard is the router's, the same
//! on every backend: these run on the embedded one.)

mod support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::header::{CONTENT_TYPE, COOKIE, ORIGIN, SET_COOKIE};
use reqwest::{Method, Response, StatusCode};
use serde_json::{json, Value};
use support::{problem, Runner, BAC_PRO_BOTH_OPEN, PASSWORD};

const EVIL: &str = "https://evil.example";

/// What a `text/plain` form (its one field split at a `=` of the
/// password) or a `no-cors` fetch can send: the credentials in JSON.
fn form_body(email: &str, password: &str) -> String {
    json!({"email": email, "password": password}).to_string()
}

async fn send(
    runner: &Runner,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<String>,
) -> Response {
    let mut request = runner.http.request(method, runner.url(path));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    if let Some(body) = body {
        request = request.body(body);
    }
    request.send().await.expect("the request")
}

async fn refused(response: Response, status: StatusCode, code: &str) {
    assert!(
        response.headers().get(SET_COOKIE).is_none(),
        "a refusal sets no cookie"
    );
    let (got, body) = problem(response).await;
    assert_eq!(got, status, "{body}");
    assert_eq!(body["code"], code, "{body}");
    assert!(
        body["detail"].as_str().is_some_and(|d| d.len() > 20),
        "a French explanation: {body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_login_csrf_form_logs_nobody_in() {
    let runner = Runner::start(BAC_PRO_BOTH_OPEN).await;
    let attacker = "attaquant@exemple.fr";
    runner.signup_and_login(attacker).await;
    let portal = runner.base_url.clone();

    // The audit's request: text/plain from another site.
    let attack = [
        (CONTENT_TYPE.as_str(), "text/plain"),
        (ORIGIN.as_str(), EVIL),
        ("sec-fetch-site", "cross-site"),
    ];
    let r = send(
        &runner,
        Method::POST,
        "/auth/login",
        &attack,
        Some(form_body(attacker, PASSWORD)),
    )
    .await;
    refused(r, StatusCode::FORBIDDEN, "forbidden_origin").await;
    // Each half of it alone is refused too.
    let from_evil = [
        (CONTENT_TYPE.as_str(), "application/json"),
        (ORIGIN.as_str(), EVIL),
    ];
    let body = json!({"email": attacker, "password": PASSWORD}).to_string();
    let r = send(
        &runner,
        Method::POST,
        "/auth/login",
        &from_evil,
        Some(body.clone()),
    )
    .await;
    refused(r, StatusCode::FORBIDDEN, "forbidden_origin").await;
    let null_origin = [
        (CONTENT_TYPE.as_str(), "application/json"),
        (ORIGIN.as_str(), "null"),
    ];
    let r = send(
        &runner,
        Method::POST,
        "/auth/login",
        &null_origin,
        Some(body.clone()),
    )
    .await;
    refused(r, StatusCode::FORBIDDEN, "forbidden_origin").await;
    let plain = [(CONTENT_TYPE.as_str(), "text/plain")];
    let r = send(
        &runner,
        Method::POST,
        "/auth/login",
        &plain,
        Some(form_body(attacker, PASSWORD)),
    )
    .await;
    refused(
        r,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .await;
    let urlencoded = [(CONTENT_TYPE.as_str(), "application/x-www-form-urlencoded")];
    let r = send(
        &runner,
        Method::POST,
        "/auth/signup",
        &urlencoded,
        Some("email=a%40b.fr".into()),
    )
    .await;
    refused(
        r,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .await;

    // Nothing ran: a dozen cross-site guesses would have locked the address
    // (ten failures in 15 minutes), yet its owner logs in at once.
    for _ in 0..12 {
        let wrong = json!({"email": attacker, "password": "pas le bon"}).to_string();
        let r = send(
            &runner,
            Method::POST,
            "/auth/login",
            &from_evil,
            Some(wrong),
        )
        .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
    }
    // The portal's own pages, and API clients (no Origin), are served.
    let from_portal = [
        (CONTENT_TYPE.as_str(), "application/json; charset=utf-8"),
        (ORIGIN.as_str(), portal.as_str()),
        ("sec-fetch-site", "same-origin"),
    ];
    let r = send(
        &runner,
        Method::POST,
        "/auth/login",
        &from_portal,
        Some(body.clone()),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let cookie = r.headers()[SET_COOKIE].to_str().unwrap().to_owned();
    assert!(
        cookie.starts_with("examreg_session="),
        "plain HTTP, plain name: {cookie}"
    );
    let token = runner.login_token(attacker).await;

    // A signed-in candidate's changes are guarded alike, cookie or not.
    let r = send(
        &runner,
        Method::PUT,
        "/inscription",
        &[
            (CONTENT_TYPE.as_str(), "application/json"),
            ("sec-fetch-site", "cross-site"),
            ("authorization", &format!("Bearer {token}")),
        ],
        Some(support::inscription_body(0).to_string()),
    )
    .await;
    refused(r, StatusCode::FORBIDDEN, "forbidden_origin").await;
    let (status, _) = problem(runner.get("/inscription", Some(&token)).await).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "no inscription was made");
    // A route without a body needs no type.
    let r = send(
        &runner,
        Method::POST,
        "/auth/logout",
        &[
            (ORIGIN.as_str(), portal.as_str()),
            ("authorization", &format!("Bearer {token}")),
        ],
        None,
    )
    .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_duplicated_session_cookie_is_never_taken() {
    let runner = Runner::start(BAC_PRO_BOTH_OPEN).await;
    let victim = runner.signup_and_login("victime@exemple.fr").await;
    let attacker = runner.signup_and_login("attaquant@exemple.fr").await;
    let me = |cookie: String| {
        let runner = &runner;
        async move {
            let r = runner
                .http
                .get(runner.url("/me"))
                .header(COOKIE, cookie)
                .send()
                .await
                .unwrap();
            let status = r.status();
            let body: Value = r.json().await.unwrap_or(Value::Null);
            (status, body)
        }
    };
    let (status, body) = me(format!("examreg_session={victim}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["email"], "victime@exemple.fr");
    for cookie in [
        format!("examreg_session={attacker}; examreg_session={victim}"),
        format!("examreg_session={victim}; examreg_session={attacker}"),
    ] {
        let (status, body) = me(cookie).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_https_the_cookie_is_host_prefixed_and_the_origin_is_the_portals() {
    let portal = "https://inscriptions.exemple.fr";
    let runner = Runner::start_with_env(
        support::Backend::Embedded,
        BAC_PRO_BOTH_OPEN,
        &[("EXAMREG_PORTAL_ORIGIN", portal)],
    )
    .await;
    let email = "zoe@exemple.fr";
    runner.signup_and_login(email).await;
    let body = json!({"email": email, "password": PASSWORD}).to_string();
    fn json_from(origin: &str) -> [(&str, &str); 2] {
        [
            (CONTENT_TYPE.as_str(), "application/json"),
            (ORIGIN.as_str(), origin),
        ]
    }

    // The runner's own address is not the configured portal.
    let r = send(
        &runner,
        Method::POST,
        "/auth/login",
        &json_from(&runner.base_url),
        Some(body.clone()),
    )
    .await;
    refused(r, StatusCode::FORBIDDEN, "forbidden_origin").await;

    let r = send(
        &runner,
        Method::POST,
        "/auth/login",
        &json_from(portal),
        Some(body),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let cookie = r.headers()[SET_COOKIE].to_str().unwrap().to_owned();
    let token = cookie
        .strip_prefix("__Host-examreg_session=")
        .and_then(|rest| rest.split(';').next())
        .unwrap_or_else(|| panic!("a __Host- cookie: {cookie}"))
        .to_owned();
    for attribute in ["; Path=/;", "; Secure", "; HttpOnly", "SameSite=Strict"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    assert!(!cookie.to_ascii_lowercase().contains("domain="), "{cookie}");

    let status_with = |cookie: String| {
        let runner = &runner;
        async move {
            let r = runner
                .http
                .get(runner.url("/me"))
                .header(COOKIE, cookie)
                .send()
                .await
                .unwrap();
            r.status()
        }
    };
    assert_eq!(
        status_with(format!("__Host-examreg_session={token}")).await,
        StatusCode::OK
    );
    // The unprefixed name, which a sibling site could plant, is not read.
    assert_eq!(
        status_with(format!("examreg_session={token}")).await,
        StatusCode::UNAUTHORIZED
    );
}

/// The runner on `addr` (`0.0.0.0` reaches every interface), with `env`.
struct RawRunner {
    child: std::process::Child,
    base_url: String,
    data_dir: std::path::PathBuf,
}

impl RawRunner {
    async fn start(bind: &str, env: &[(&str, &str)]) -> RawRunner {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        let data_dir =
            std::env::temp_dir().join(format!("examreg-origin-{}-{port}", std::process::id()));
        let child = Command::new(env!("CARGO_BIN_EXE_examreg"))
            .args([
                "serve",
                "--addr",
                &format!("{bind}:{port}"),
                "--now",
                BAC_PRO_BOTH_OPEN,
            ])
            .arg("--data-dir")
            .arg(&data_dir)
            .env("EXAMREG_SWEEP_EVERY", "3600")
            .env_remove("EXAMREG_ALLOW_REMOTE_LOCAL_ROUTES")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the examreg binary");
        let runner = RawRunner {
            child,
            base_url: format!("http://127.0.0.1:{port}"),
            data_dir,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if reqwest::get(format!("{}/health", runner.base_url))
                .await
                .is_ok()
            {
                return runner;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the runner did not start on {bind}");
    }
}

impl Drop for RawRunner {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

async fn control_statuses(runner: &RawRunner) -> Vec<StatusCode> {
    let http = reqwest::Client::new();
    let outbox = http
        .get(format!("{}/_local/outbox", runner.base_url))
        .send()
        .await
        .unwrap();
    let clock = http
        .post(format!("{}/_local/clock", runner.base_url))
        .json(&json!({"advance": "49h"}))
        .send()
        .await
        .unwrap();
    let checks = http
        .post(format!("{}/_local/checks", runner.base_url))
        .json(&json!({"hold": false}))
        .send()
        .await
        .unwrap();
    vec![outbox.status(), clock.status(), checks.status()]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_control_routes_stay_off_a_network_address() {
    let exposed = RawRunner::start("0.0.0.0", &[]).await;
    assert_eq!(control_statuses(&exposed).await, [StatusCode::FORBIDDEN; 3]);
    let r = reqwest::get(format!("{}/_local/outbox", exposed.base_url))
        .await
        .unwrap();
    let (_, body) = problem(r).await;
    assert_eq!(body["code"], "local_routes_disabled", "{body}");
    // The clock did not move.
    let calendar: Value = reqwest::get(format!("{}/calendar", exposed.base_url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        calendar["now"].as_str().unwrap().starts_with("2021-10-26T"),
        "{calendar}"
    );
    // Upload links stay served: each is checked by its signature.
    let r = reqwest::Client::new()
        .put(format!("{}/_local/blobs/candidates/x/y", exposed.base_url))
        .header(CONTENT_TYPE, "image/png")
        .body("x")
        .send()
        .await
        .unwrap();
    let (status, body) = problem(r).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("signature_invalid"))
    );
    drop(exposed);

    let allowed =
        RawRunner::start("0.0.0.0", &[("EXAMREG_ALLOW_REMOTE_LOCAL_ROUTES", "true")]).await;
    assert_eq!(control_statuses(&allowed).await, [StatusCode::OK; 3]);
    drop(allowed);
    let loopback = RawRunner::start("127.0.0.1", &[]).await;
    assert_eq!(control_statuses(&loopback).await, [StatusCode::OK; 3]);
}
