//! `POST /auth/resend-activation`'s answer time for an address with a
//! pending account, an active one, and none (issue #17: the time must not
//! tell them apart).
//!
//! ```text
//! cargo run -p examreg-common --example bench_resend            # N = 100 a path
//! cargo run -p examreg-common --example bench_resend -- 120 50  # N = 120 (at most 140: 48 h of rounds), SES at 50 ms
//! ```
//!
//! Requests go through the very router the Lambdas serve, in process, one at
//! a time, on the embedded backend (SQLite); the mailer stands for SES with
//! a fixed latency (default 80 ms), so that a send on the request's way would
//! show. The clock moves 20 minutes between rounds (three links an hour per
//! address). The answer's time is from the call to the body's last byte;
//! the queued mail is delivered after it (in a task of its own), and the
//! bench waits for it between rounds, out of the timing.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::Duration as Span;
use http_body_util::BodyExt;
use serde_json::json;
use tower::ServiceExt;

use examreg_common::app::Config;
use examreg_common::http::routes::Function;
use examreg_common::ports::{MailError, Mailer, OutgoingEmail};
use examreg_common::services::accounts::{self, Credentials, TokenOnly};
use examreg_common::testkit::{self, at, Backend, FixedClock, RecordingMailer};

/// SES with a fixed latency.
struct SlowMailer {
    latency: Duration,
    inner: RecordingMailer,
}

#[async_trait]
impl Mailer for SlowMailer {
    async fn send(&self, email: &OutgoingEmail) -> Result<(), MailError> {
        tokio::time::sleep(self.latency).await;
        self.inner.send(email).await
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().map_or(Ok(100), |a| a.parse())?;
    let latency_ms: u64 = args.next().map_or(Ok(80), |a| a.parse())?;
    let adapters = Backend::Embedded.adapters().await;
    let clock = Arc::new(FixedClock::new(at("2021-10-14T08:00:00Z")));
    let mailer = Arc::new(SlowMailer {
        latency: Duration::from_millis(latency_ms),
        inner: RecordingMailer::new(None),
    });
    let app = Arc::new(testkit::app(
        Config::default(),
        adapters.store,
        mailer.clone(),
        adapters.documents,
        clock.clone(),
    ));
    let password = "cheval-agrafe-batterie-correcte";
    let signup = |email: &str| Credentials {
        email: email.into(),
        password: password.into(),
    };
    accounts::signup(&app, signup("attente@exemple.fr")).await?;
    accounts::signup(&app, signup("actif@exemple.fr")).await?;
    let token = mailer.inner.last_token("actif@exemple.fr", "/activate");
    accounts::activate(&app, TokenOnly { token }).await?;

    let router = examreg_common::http::router(app.clone(), &Function::ALL);
    let mut times: [Vec<Duration>; 3] = Default::default();
    let names = ["pending account", "active account", "no account"];
    for round in 0..n {
        let unknown = format!("personne{round}@exemple.fr");
        let addresses = ["attente@exemple.fr", "actif@exemple.fr", unknown.as_str()];
        // Each path in turn first, so that none always runs on a warm cache.
        for k in 0..3 {
            let path = (round + k) % 3;
            let body = json!({ "email": addresses[path] }).to_string();
            let request = Request::post("/auth/resend-activation")
                .header("content-type", "application/json")
                .body(Body::from(body))?;
            let start = Instant::now();
            let response = router.clone().oneshot(request).await?;
            let status = response.status();
            response.into_body().collect().await?;
            times[path].push(start.elapsed());
            anyhow::ensure!(status == StatusCode::ACCEPTED, "{status}");
        }
        // Out of the timing: the mails delivered after the answers.
        let expected = 2 + 2 * (round + 1);
        let wait = Instant::now();
        while mailer.inner.sent().len() < expected && wait.elapsed() < Duration::from_secs(5) {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        anyhow::ensure!(
            mailer.inner.sent().len() == expected,
            "round {round}: {} mails sent, {expected} expected",
            mailer.inner.sent().len()
        );
        clock.set(app.now() + Span::minutes(20));
    }

    println!("POST /auth/resend-activation, N = {n} a path, mailer latency {latency_ms} ms");
    println!("| address | p50 ms | p90 ms | p99 ms |");
    println!("|---|---|---|---|");
    for (name, mut samples) in names.into_iter().zip(times) {
        samples.sort();
        println!(
            "| {name} | {} | {} | {} |",
            ms(percentile(&samples, 0.5)),
            ms(percentile(&samples, 0.9)),
            ms(percentile(&samples, 0.99))
        );
    }
    Ok(())
}
