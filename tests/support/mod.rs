//! The end-to-end harness: runs the real `examreg` binary on a free port with
//! its own data directory and simulated clock, and talks to it over HTTP as
//! a candidate's browser or script would; and the steps and data the suites
//! share (each suite uses some of them).

#![allow(dead_code)]

pub mod cors;
pub mod deployed;
pub mod golden;
pub mod grants;
pub mod template;

use std::future::Future;
use std::net::TcpListener;
use std::path::PathBuf;
use std::pin::Pin;
use std::process::{Child, Command, Stdio};
use std::task::Poll;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use examreg_common::testkit::{
    bac_pro_inscription, cap_cuisine_inscription, link_token, moto_server,
};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::{Client, Response, StatusCode};
use serde_json::{json, Value};

/// Which adapters the runner uses: embedded, or DynamoDB, S3 and SES on moto
/// (`Backend::Moto`, the runner's AWS backend).
pub use examreg_common::testkit::Backend;

/// A password zxcvbn scores 4.
pub const PASSWORD: &str = "cheval-agrafe-batterie-correcte";

/// Bac Pro: registration (14–31 Oct 2021) and documents (25 Oct – 7 Nov) open.
/// Real, tiny files of each accepted type (the testkit's).
#[allow(unused_imports)] // each test binary uses some of them
pub use examreg_common::testkit::files::{valid_jpeg, valid_pdf, valid_png};

pub const BAC_PRO_BOTH_OPEN: &str = "2021-10-26T10:00:00+02:00";

/// Declares each listed `async fn name(backend: Backend)` as two tests, one
/// per backend: `embedded::name` and `aws::name` (the runner's AWS backend,
/// on moto).
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod embedded {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                super::$name(super::support::Backend::Embedded).await
            })*
        }
        mod aws {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                super::$name(super::support::Backend::Moto).await
            })*
        }
    };
}

/// The system under test, driven over HTTP: the local runner (on either
/// backend), or the Lambdas in their AWS shape (`Runner::deploy`).
pub struct Runner {
    pub backend: Backend,
    pub base_url: String,
    pub data_dir: PathBuf,
    pub http: Client,
    child: Option<Child>,
    log: PathBuf,
    /// The deployed-shape harness, when the Lambdas serve instead of the runner.
    pub deployment: Option<deployed::Deployment>,
    /// Every exchange through [`Runner::get`], [`Runner::send_json`] and
    /// [`Runner::admin`], in order: what the golden snapshots compare.
    pub transcript: std::sync::Mutex<Vec<Value>>,
}

/// An HTTP client that keeps no connection: a reused keep-alive connection
/// the server just closed would fail a request for nothing.
fn test_client() -> Client {
    Client::builder()
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(60))
        .build()
        .expect("http client")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("no free loopback port")
}

impl Runner {
    /// Starts the runner on the embedded backend with its clock at `now` (RFC 3339).
    pub async fn start(now: &str) -> Runner {
        Self::start_on(Backend::Embedded, now).await
    }

    /// Starts the runner on `backend` with its clock at `now` (RFC 3339).
    pub async fn start_on(backend: Backend, now: &str) -> Runner {
        Self::start_with_env(backend, now, &[]).await
    }

    /// [`Runner::start_on`], with `env` added to the runner's environment
    /// (Lambda's variables, say, to run the code as it runs in AWS).
    pub async fn start_with_env(backend: Backend, now: &str, env: &[(&str, &str)]) -> Runner {
        let port = free_port();
        let data_dir = std::env::temp_dir().join(format!("examreg-test-{}", uuid_like()));
        std::fs::create_dir_all(&data_dir).expect("temp dir");
        let log = data_dir.join("runner.log");
        let log_file = std::fs::File::create(&log).expect("log file");
        let mut command = Command::new(env!("CARGO_BIN_EXE_examreg"));
        if backend == Backend::Moto {
            let moto = moto_server().await;
            command
                .env("EXAMREG_BACKEND", "aws")
                .env("AWS_ENDPOINT_URL", moto.endpoint_url())
                .env("AWS_ACCESS_KEY_ID", "testing")
                .env("AWS_SECRET_ACCESS_KEY", "testing")
                .env("AWS_REGION", examreg_common::testkit::moto::REGION)
                .env("EXAMREG_S3_PATH_STYLE", "true")
                .env("EXAMREG_TABLE", moto.fresh_table().await)
                .env("EXAMREG_BUCKET", moto.fresh_bucket().await)
                .env("EXAMREG_SENDER", moto.verified_sender().await);
        }
        let child = command
            .args([
                "serve",
                "--addr",
                &format!("127.0.0.1:{port}"),
                "--now",
                now,
            ])
            .arg("--data-dir")
            .arg(&data_dir)
            .env("RUST_LOG", "info")
            .env("EXAMREG_SWEEP_EVERY", "3600")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(log_file)
            .spawn()
            .expect("cannot start the examreg binary");
        let runner = Runner {
            backend,
            base_url: format!("http://127.0.0.1:{port}"),
            data_dir,
            http: test_client(),
            child: Some(child),
            log,
            deployment: None,
            transcript: Default::default(),
        };
        runner.wait_until_up().await;
        runner
    }

    /// Deploys the repository's `template.yaml` in the deployed-shape harness
    /// (`support::deployed`), the functions' clock at `now` (RFC 3339).
    pub async fn deploy(now: &str) -> Runner {
        Self::deploy_template(template::template_path(), now).await
    }

    /// Deploys `template` in the deployed-shape harness, clock at `now`.
    pub async fn deploy_template(template: &std::path::Path, now: &str) -> Runner {
        let now: DateTime<Utc> = now.parse().expect("an RFC 3339 instant");
        let deployment = deployed::Deployment::start(template, now).await;
        let runner = Runner {
            // Email goes through SES on moto, as with the runner's AWS backend.
            backend: Backend::Moto,
            base_url: deployment.url.clone(),
            data_dir: PathBuf::new(),
            http: test_client(),
            child: None,
            log: PathBuf::new(),
            deployment: Some(deployment),
            transcript: Default::default(),
        };
        runner.wait_until_up().await;
        runner
    }

    async fn wait_until_up(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(r) = self.http.get(self.url("/health")).send().await {
                if r.status().is_success() {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the runner did not answer /health:\n{}", self.logs());
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// Everything the runner (or every function) wrote to stderr so far.
    pub fn logs(&self) -> String {
        match &self.deployment {
            Some(deployment) => deployment.logs(),
            None => std::fs::read_to_string(&self.log).unwrap_or_default(),
        }
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Response {
        let mut request = self.http.get(self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("GET failed");
        self.record(format!("GET {path}"), None, response).await
    }

    /// Adds an exchange to the transcript: the answer is read, noted (JSON
    /// as it is, anything else by its type and length), and handed back.
    async fn record(&self, request: String, body: Option<&Value>, response: Response) -> Response {
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.expect("the answer's body");
        let content_type = headers
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let answer = match serde_json::from_slice::<Value>(&bytes) {
            Ok(json) if content_type.contains("json") => json,
            _ => json!({"content_type": content_type, "bytes": bytes.len()}),
        };
        let body = body.map(|b| {
            let text = b.to_string();
            if text.len() > 4096 {
                json!({"bytes": text.len()})
            } else {
                b.clone()
            }
        });
        self.note(
            json!({"request": request, "body": body, "status": status.as_u16(), "answer": answer}),
        );
        let mut rebuilt = axum::http::Response::builder().status(status);
        if let Some(all) = rebuilt.headers_mut() {
            *all = headers;
        }
        Response::from(rebuilt.body(bytes).expect("the same answer"))
    }

    /// Adds a line to the transcript.
    pub fn note(&self, line: Value) {
        self.transcript.lock().expect("lock").push(line);
    }

    pub async fn send_json(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: &Value,
    ) -> Response {
        let label = format!("{method} {path}");
        let mut request = self.http.request(method, self.url(path)).json(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("request failed");
        self.record(label, Some(body), response).await
    }

    /// `DELETE path`, without a body, in the transcript.
    pub async fn delete(&self, path: &str, token: Option<&str>) -> Response {
        let mut request = self.http.delete(self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("DELETE failed");
        self.record(format!("DELETE {path}"), None, response).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> Response {
        self.send_json(reqwest::Method::POST, path, token, body)
            .await
    }

    pub async fn put(&self, path: &str, token: Option<&str>, body: &Value) -> Response {
        self.send_json(reqwest::Method::PUT, path, token, body)
            .await
    }

    /// Every email sent so far, oldest first, as `{"to", "subject", "text"}`
    /// (on moto, `text` is the HTML part when there is one: moto keeps only that).
    pub async fn outbox(&self) -> Vec<Value> {
        match self.backend {
            // Out of the transcript: reading the mail is not a candidate's request.
            Backend::Embedded => self
                .http
                .get(self.url("/_local/outbox"))
                .send()
                .await
                .expect("the outbox")
                .json::<Vec<Value>>()
                .await
                .expect("outbox is JSON"),
            Backend::Moto => {
                let moto = moto_server().await;
                moto.sent_emails()
                    .await
                    .into_iter()
                    .map(|m| {
                        json!({
                            "to": unicode_address(m["destinations"]["ToAddresses"][0].as_str().unwrap_or_default()),
                            "subject": m["subject"],
                            "text": m["body"],
                        })
                    })
                    .collect()
            }
        }
    }

    /// The emails sent to `to`, oldest first.
    pub async fn mails_to(&self, to: &str) -> Vec<Value> {
        self.outbox()
            .await
            .into_iter()
            .filter(|m| {
                m["to"]
                    .as_str()
                    .is_some_and(|t| t.to_lowercase() == to.to_lowercase())
            })
            .collect()
    }

    /// The emails to `to` whose subject is `subject`, oldest first.
    pub async fn mails_titled(&self, to: &str, subject: &str) -> Vec<Value> {
        let mut mails = self.mails_to(to).await;
        mails.retain(|m| m["subject"] == subject);
        mails
    }

    /// The emails to `to` whose subject contains `part`, oldest first.
    pub async fn mails_about(&self, to: &str, part: &str) -> Vec<Value> {
        let mut mails = self.mails_to(to).await;
        mails.retain(|m| m["subject"].as_str().is_some_and(|s| s.contains(part)));
        mails
    }

    /// The `token` of every `<path>?token=` link sent to `to`, oldest first.
    pub async fn link_tokens(&self, to: &str, path: &str) -> Vec<String> {
        let marker = format!("{path}?token=");
        let mails = self.mails_to(to).await;
        mails
            .iter()
            .filter_map(|m| link_token(m["text"].as_str().unwrap_or_default(), &marker))
            .collect()
    }

    /// The emails sent to `to` once there are at least `count` of them:
    /// emails queued by a request and delivered after its answer (the
    /// resent activation link) arrive a moment after it. Five seconds at
    /// most, then what there is.
    pub async fn mails_eventually(&self, to: &str, count: usize) -> Vec<Value> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        loop {
            let mails = self.mails_to(to).await;
            if mails.len() >= count || std::time::Instant::now() >= deadline {
                return mails;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    /// The `token` of the last link containing `path` sent to `to`.
    pub async fn last_token(&self, to: &str, path: &str) -> String {
        match self.link_tokens(to, path).await.pop() {
            Some(token) => token,
            None => panic!(
                "no {path} link sent to {to}: {:#?}\nrunner logs:\n{}",
                self.mails_to(to).await,
                self.logs()
            ),
        }
    }

    /// Moves the clock to `instant` and runs the due sweeps: the runner's
    /// `/_local/clock`, or the functions' clock and one scheduled sweep.
    pub async fn set_clock(&self, instant: &str) -> DateTime<Utc> {
        if let Some(deployment) = &self.deployment {
            deployment
                .clock
                .set(instant.parse().expect("an RFC 3339 instant"));
            deployment.sweep().await;
            return deployment.clock.now();
        }
        let r = self.move_clock(&json!({ "set": instant })).await;
        assert_eq!(r.status(), StatusCode::OK);
        let body: Value = r.json().await.expect("clock answer");
        body["now"].as_str().expect("now").parse().expect("instant")
    }

    pub async fn advance(&self, by: &str) -> DateTime<Utc> {
        if let Some(deployment) = &self.deployment {
            let then = deployment.clock.now() + parse_duration(by);
            return self.set_clock(&then.to_rfc3339()).await;
        }
        let r = self.move_clock(&json!({ "advance": by })).await;
        assert_eq!(r.status(), StatusCode::OK);
        let body: Value = r.json().await.expect("clock answer");
        body["now"].as_str().expect("now").parse().expect("instant")
    }

    /// `POST /_local/clock`: out of the transcript, since the deployment
    /// has no such route (its clock is moved from outside).
    async fn move_clock(&self, body: &Value) -> Response {
        self.http
            .post(self.url("/_local/clock"))
            .json(body)
            .send()
            .await
            .expect("the clock route")
    }

    pub async fn signup(&self, email: &str) -> Response {
        self.post(
            "/auth/signup",
            None,
            &json!({ "email": email, "password": PASSWORD }),
        )
        .await
    }

    pub async fn login(&self, email: &str) -> Response {
        self.post(
            "/auth/login",
            None,
            &json!({ "email": email, "password": PASSWORD }),
        )
        .await
    }

    /// Logs in (again: sessions end): the bearer token.
    pub async fn login_token(&self, email: &str) -> String {
        let r = self.login(email).await;
        assert_eq!(r.status(), StatusCode::OK, "login failed for {email}");
        let body: Value = r.json().await.expect("login answer");
        body["token"].as_str().expect("token").to_owned()
    }

    /// Signs up, activates from the emailed link and logs in: the bearer token.
    pub async fn signup_and_login(&self, email: &str) -> String {
        assert_eq!(self.signup(email).await.status(), StatusCode::ACCEPTED);
        let token = self.last_token(email, "/activate").await;
        let r = self
            .post("/auth/activate", None, &json!({ "token": token }))
            .await;
        assert_eq!(r.status(), StatusCode::OK, "activation failed");
        self.login_token(email).await
    }

    /// Saves the inscription (`PUT /inscription`), which must succeed: the answer.
    pub async fn save(&self, token: &str, body: &Value) -> Value {
        let r = self.put("/inscription", Some(token), body).await;
        let status = r.status();
        let text = r.text().await.expect("save answer");
        assert!(status.is_success(), "{status}: {text}");
        serde_json::from_str(&text).expect("the saved inscription")
    }

    /// The inscription, as its candidate reads it.
    pub async fn inscription(&self, token: &str) -> Value {
        let r = self.get("/inscription", Some(token)).await;
        assert_eq!(r.status(), StatusCode::OK);
        r.json().await.expect("the inscription")
    }

    /// The inscription's status, as its candidate reads it.
    pub async fn inscription_status(&self, token: &str) -> String {
        let body = self.inscription(token).await;
        body["status"].as_str().expect("status").to_owned()
    }

    /// The pieces the candidate's inscription asks for, with their state.
    pub async fn pieces(&self, token: &str) -> Vec<Value> {
        let r = self.get("/inscription/pieces", Some(token)).await;
        assert_eq!(r.status(), StatusCode::OK);
        r.json().await.expect("the pieces")
    }

    /// The piece `kind` of the candidate's inscription.
    pub async fn piece(&self, token: &str, kind: &str) -> Value {
        self.pieces(token)
            .await
            .into_iter()
            .find(|p| p["kind"] == kind)
            .unwrap_or_else(|| panic!("no piece {kind}"))
    }

    /// Asks for an upload URL for the piece `kind` (any answer).
    pub async fn ask_upload(
        &self,
        token: &str,
        kind: &str,
        content_type: &str,
        size: u64,
    ) -> Response {
        let body = json!({ "content_type": content_type, "size_bytes": size });
        self.post(&uploads_path(kind), Some(token), &body).await
    }

    /// An upload ticket for the piece `kind`: `{upload_url, method, headers, ...}`.
    pub async fn upload_ticket(
        &self,
        token: &str,
        kind: &str,
        content_type: &str,
        size: usize,
    ) -> Value {
        let r = self
            .ask_upload(token, kind, content_type, size as u64)
            .await;
        let status = r.status();
        let body: Value = r.json().await.expect("upload ticket");
        assert_eq!(status, StatusCode::CREATED, "{body:#}");
        body
    }

    /// PUTs `bytes` to a ticket's URL with exactly its headers, as a browser
    /// would; the runner checks them at the end of the PUT.
    pub async fn put_file(&self, ticket: &Value, bytes: &[u8]) -> Response {
        assert_eq!(ticket["method"], "PUT");
        self.http
            .put(ticket["upload_url"].as_str().expect("URL"))
            .headers(signed_headers(ticket))
            .body(bytes.to_vec())
            .send()
            .await
            .expect("PUT failed")
    }

    /// Asks for a URL and uploads `bytes` through it, which must answer 200:
    /// the ticket.
    pub async fn upload(&self, token: &str, kind: &str, content_type: &str, bytes: &[u8]) -> Value {
        let ticket = self
            .upload_ticket(token, kind, content_type, bytes.len())
            .await;
        let r = self.put_file(&ticket, bytes).await;
        assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
        self.settle_uploads().await;
        ticket
    }

    /// In the AWS shape, makes `function`'s next conditional write lose a
    /// race, as DynamoDB refuses it when another writer came first (the
    /// runner has no store in between to lose it to: its races are tested
    /// with `RaceStore`, functions/common/tests/faults.rs).
    pub fn lose_next_write(&self, function: &str) {
        if let Some(deployment) = &self.deployment {
            deployment.lose_next_write(function);
        }
    }

    /// Moves the clock to `instant` before the next sweep: the runner sweeps
    /// at once all the same (its clock route does), the deployment's sweep
    /// waits for its next scheduled run ([`Runner::set_clock`]).
    pub async fn set_clock_between_sweeps(&self, instant: &str) {
        match &self.deployment {
            Some(deployment) => deployment
                .clock
                .set(instant.parse().expect("an RFC 3339 instant")),
            None => {
                self.set_clock(instant).await;
            }
        }
    }

    /// Waits until every stored file has been checked: at once with the
    /// runner (it checks at the end of the PUT); in the harness, once S3's
    /// notifications have reached the check function.
    pub async fn settle_uploads(&self) {
        if let Some(deployment) = &self.deployment {
            deployment.deliver_notifications().await;
            let dropped = deployment.dropped_notifications();
            assert!(
                dropped.is_empty(),
                "S3 gave up on notifications: {dropped:#?}\n{}",
                self.logs()
            );
        }
    }

    /// A Bac Pro MELEC dossier for `email` (living in Marseille), made
    /// complete: saved, then its signed confirmation (a PDF) and its identity
    /// document (`identity`: a content type and bytes) uploaded. Answers the
    /// candidate's session token.
    pub async fn complete_bac_pro_dossier(&self, email: &str, identity: (&str, &[u8])) -> String {
        let token = self.signup_and_login(email).await;
        self.save(&token, &bac_pro_melec_body(0, "Marseille")).await;
        self.upload(
            &token,
            "signed_confirmation",
            "application/pdf",
            valid_pdf(),
        )
        .await;
        let (content_type, bytes) = identity;
        self.upload(&token, "identity_document", content_type, bytes)
            .await;
        assert_eq!(self.inscription_status(&token).await, "complete");
        token
    }

    /// Runs `examreg admin '<event>'` against this runner's data directory,
    /// or invokes the admin function as the AWS console does.
    pub fn admin(&self, event: &Value) -> Value {
        let answer = match &self.deployment {
            Some(deployment) => tokio::task::block_in_place(|| {
                tokio::runtime::Handle::current().block_on(deployment.admin(event))
            }),
            None => self.admin_raw(&event.to_string()),
        };
        self.note(json!({"admin": event, "answer": answer}));
        answer
    }

    /// Every email sent to `to`, as the golden snapshots compare them: its
    /// subject and its HTML part (moto's SES keeps only that one when there
    /// are both), else its text.
    pub async fn emails_as_read(&self, to: &str) -> Vec<Value> {
        self.mails_to(to)
            .await
            .into_iter()
            .map(|m| {
                let body = match &m["html"] {
                    Value::String(html) => html.clone(),
                    _ => m["text"].as_str().unwrap_or_default().to_owned(),
                };
                json!({"subject": m["subject"], "body": body})
            })
            .collect()
    }

    /// Runs `examreg admin <raw text>` (JSON or not) and answers what it printed.
    pub fn admin_raw(&self, raw: &str) -> Value {
        let output = Command::new(env!("CARGO_BIN_EXE_examreg"))
            .arg("admin")
            .arg(raw)
            .arg("--data-dir")
            .arg(&self.data_dir)
            // Its links must use the address the runner recorded in the
            // data directory, as an operator's command beside it would.
            .env_remove("EXAMREG_PUBLIC_URL")
            .output()
            .expect("cannot run examreg admin");
        assert!(
            output.status.success(),
            "examreg admin failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).expect("admin prints JSON")
    }
}

impl Drop for Runner {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
            let _ = std::fs::remove_dir_all(&self.data_dir);
        }
    }
}

/// `49h`, `7d`, `30m`, `15s`: the durations `/_local/clock` takes.
pub fn parse_duration(text: &str) -> chrono::TimeDelta {
    let (number, unit) = text.split_at(text.len() - 1);
    let n: i64 = number
        .parse()
        .unwrap_or_else(|_| panic!("a duration: {text}"));
    match unit {
        "d" => chrono::TimeDelta::days(n),
        "h" => chrono::TimeDelta::hours(n),
        "m" => chrono::TimeDelta::minutes(n),
        "s" => chrono::TimeDelta::seconds(n),
        _ => panic!("a duration in d, h, m or s: {text}"),
    }
}

/// SES carries internationalised domains as punycode: show them as typed.
fn unicode_address(address: &str) -> String {
    match address.rsplit_once('@') {
        Some((local, domain)) => format!("{local}@{}", idna::domain_to_unicode(domain).0),
        None => address.to_owned(),
    }
}

/// The headers an upload ticket says to send.
fn signed_headers(ticket: &Value) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for (name, value) in ticket["headers"].as_object().expect("headers") {
        headers.insert(
            HeaderName::from_bytes(name.as_bytes()).expect("header name"),
            HeaderValue::from_str(value.as_str().expect("header value")).expect("header value"),
        );
    }
    headers
}

/// Where a candidate asks for an upload URL for the piece `kind`.
pub fn uploads_path(kind: &str) -> String {
    format!("/inscription/pieces/{kind}/uploads")
}

/// An error answer's status and body, checking that it is problem+json.
pub async fn problem(r: Response) -> (StatusCode, Value) {
    let status = r.status();
    assert_eq!(
        r.headers()["content-type"],
        "application/problem+json",
        "errors are problem+json"
    );
    (status, r.json().await.expect("a problem body"))
}

/// The account id a bearer or activation token names (`<account id>.<secret>`).
pub fn account_of(token: &str) -> &str {
    token.split('.').next().unwrap_or_default()
}

/// Polls every future together, in this task: the requests are in flight at
/// once, the server handles them concurrently. Answers in order.
pub async fn join_all<F: Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut pinned: Vec<Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut results: Vec<Option<F::Output>> = pinned.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (future, result) in pinned.iter_mut().zip(results.iter_mut()) {
            if result.is_none() {
                match future.as_mut().poll(cx) {
                    Poll::Ready(output) => *result = Some(output),
                    Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })
    .await;
    results.into_iter().flatten().collect()
}

fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    format!(
        "{}-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        Utc::now().timestamp_nanos_opt().unwrap_or_default()
    )
}

/// A valid CAP Cuisine inscription body at `version`.
pub fn inscription_body(version: u64) -> Value {
    cap_cuisine_inscription(version)
}

/// A Bac Pro MELEC inscription asking only for the signed confirmation and
/// an identity document (Hélène Martin, 31 years old: no JDC), living in `city`.
pub fn bac_pro_melec_body(version: u64, city: &str) -> Value {
    let mut body = bac_pro_inscription(version);
    body["identity"]["last_name"] = json!("Martin");
    body["identity"]["first_names"] = json!("Hélène");
    body["identity"]["address"]["city"] = json!(city);
    body
}

/// Inside the CAP registration window (19 Nov – 8 Dec 2021).
pub const CAP_REGISTRATION_OPEN: &str = "2021-11-20T10:00:00+01:00";
