//! The end-to-end harness: runs the real `examreg` binary on a free port with
//! its own data directory and simulated clock, and talks to it over HTTP as
//! a candidate's browser or script would.

#![allow(dead_code)]

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use reqwest::{Client, Response, StatusCode};
use serde_json::{json, Value};

/// A password zxcvbn scores 4.
pub const PASSWORD: &str = "cheval-agrafe-batterie-correcte";

/// Which adapters the runner uses: embedded, or DynamoDB, S3 and SES on moto.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Embedded,
    Aws,
}

/// Declares each listed `async fn name(backend: Backend)` as two tests, one
/// per backend: `embedded::name` and `aws::name`.
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
                super::$name(super::support::Backend::Aws).await
            })*
        }
    };
}

pub struct Runner {
    pub backend: Backend,
    pub base_url: String,
    pub data_dir: PathBuf,
    pub http: Client,
    child: Child,
    log: PathBuf,
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
        let port = free_port();
        let data_dir = std::env::temp_dir().join(format!("examreg-test-{}", uuid_like()));
        std::fs::create_dir_all(&data_dir).expect("temp dir");
        let log = data_dir.join("runner.log");
        let log_file = std::fs::File::create(&log).expect("log file");
        let mut command = Command::new(env!("CARGO_BIN_EXE_examreg"));
        if backend == Backend::Aws {
            let moto = tokio::task::spawn_blocking(examreg_common::testkit::moto::moto)
                .await
                .expect("moto");
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
            .stdout(Stdio::null())
            .stderr(log_file)
            .spawn()
            .expect("cannot start the examreg binary");
        let runner = Runner {
            backend,
            base_url: format!("http://127.0.0.1:{port}"),
            data_dir,
            // No pooled connections: a reused keep-alive connection the
            // server just closed would fail a request for nothing.
            http: Client::builder()
                .pool_max_idle_per_host(0)
                .timeout(Duration::from_secs(60))
                .build()
                .expect("http client"),
            child,
            log,
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

    /// Everything the runner wrote to stderr so far.
    pub fn logs(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Response {
        let mut request = self.http.get(self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("GET failed")
    }

    pub async fn send_json(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: &Value,
    ) -> Response {
        let mut request = self.http.request(method, self.url(path)).json(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("request failed")
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
            Backend::Embedded => self
                .get("/_local/outbox", None)
                .await
                .json::<Vec<Value>>()
                .await
                .expect("outbox is JSON"),
            Backend::Aws => {
                let moto = tokio::task::spawn_blocking(examreg_common::testkit::moto::moto)
                    .await
                    .expect("moto");
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

    /// The `token` of the last link containing `path` sent to `to`.
    pub async fn last_token(&self, to: &str, path: &str) -> String {
        let mails = self.mails_to(to).await;
        for mail in mails.iter().rev() {
            let text = mail["text"].as_str().unwrap_or_default();
            if let Some(token) = token_after(text, &format!("{path}?token=")) {
                return token;
            }
        }
        panic!(
            "no {path} link sent to {to}: {mails:#?}\nrunner logs:\n{}",
            self.logs()
        );
    }

    pub async fn set_clock(&self, instant: &str) -> DateTime<Utc> {
        let r = self
            .post("/_local/clock", None, &json!({ "set": instant }))
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        let body: Value = r.json().await.expect("clock answer");
        body["now"].as_str().expect("now").parse().expect("instant")
    }

    pub async fn advance(&self, by: &str) -> DateTime<Utc> {
        let r = self
            .post("/_local/clock", None, &json!({ "advance": by }))
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        let body: Value = r.json().await.expect("clock answer");
        body["now"].as_str().expect("now").parse().expect("instant")
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

    /// Signs up, activates from the emailed link and logs in: the bearer token.
    pub async fn signup_and_login(&self, email: &str) -> String {
        assert_eq!(self.signup(email).await.status(), StatusCode::ACCEPTED);
        let token = self.last_token(email, "/activate").await;
        let r = self
            .post("/auth/activate", None, &json!({ "token": token }))
            .await;
        assert_eq!(r.status(), StatusCode::OK, "activation failed");
        let r = self.login(email).await;
        assert_eq!(r.status(), StatusCode::OK, "login failed");
        let body: Value = r.json().await.expect("login answer");
        body["token"].as_str().expect("token").to_owned()
    }

    /// Runs `examreg admin '<event>'` against this runner's data directory.
    pub fn admin(&self, event: &Value) -> Value {
        let output = Command::new(env!("CARGO_BIN_EXE_examreg"))
            .arg("admin")
            .arg(event.to_string())
            .arg("--data-dir")
            .arg(&self.data_dir)
            .env("EXAMREG_PUBLIC_URL", &self.base_url)
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
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

/// SES carries internationalised domains as punycode: show them as typed.
fn unicode_address(address: &str) -> String {
    match address.rsplit_once('@') {
        Some((local, domain)) => format!("{local}@{}", idna::domain_to_unicode(domain).0),
        None => address.to_owned(),
    }
}

fn token_after(text: &str, marker: &str) -> Option<String> {
    let start = text.rfind(marker)? + marker.len();
    let token: String = text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        .collect();
    (!token.is_empty()).then_some(token)
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
    json!({
        "diploma": "CAP",
        "specialty": "CUISINE",
        "identity": {
            "last_name": "N'Diaye-Lefèvre",
            "first_names": "Zoé Anaïs",
            "birth_date": "1990-02-03",
            "birth_place": "Aix-en-Provence",
            "nationality": "FR",
            "address": {
                "line1": "12 rue de la République",
                "postal_code": "13001",
                "city": "Marseille",
                "country": "FR"
            },
            "phone": "06 12 34 56 78"
        },
        "disability": { "declared": false, "existing_accommodation": false },
        "acquis": [],
        "version": version
    })
}

/// Inside the CAP registration window (19 Nov – 8 Dec 2021).
pub const CAP_REGISTRATION_OPEN: &str = "2021-11-20T10:00:00+01:00";
