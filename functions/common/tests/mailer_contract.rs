//! The mailer contract: one suite, run against both adapters (the local
//! outbox file, SES on moto). Each sends, then reads back what was sent.

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use examreg_common::adapters::outbox::{read_outbox, OutboxMailer, OUTBOX_FILE};
use examreg_common::adapters::ses::SesMailer;
use examreg_common::ports::clock::Clock;
use examreg_common::ports::mailer::{MailError, Mailer, OutgoingEmail};
use examreg_common::testkit::{moto_server, FixedClock};

/// One sent email as a backend keeps it: SES keeps only the HTML part when
/// there is one, the outbox keeps both.
#[derive(Debug)]
struct Sent {
    to: String,
    subject: String,
    bodies: Vec<String>,
}

fn emails(run: &str) -> Vec<OutgoingEmail> {
    vec![
        OutgoingEmail {
            to: format!("candidat.{run}@example.fr"),
            subject: "Activez votre compte Cyclades".into(),
            text:
                "Bonjour,\n\nPour activer votre compte, ouvrez dans les 48 heures : \
                   https://examreg.example.fr/activate?token=abc123.\n\nLe rectorat d'Aix-Marseille"
                    .into(),
            html: None,
        },
        OutgoingEmail {
            to: format!("eleve.{run}@example.fr"),
            subject: "Modification d'inscription — Bac Pro".into(),
            text: "Votre inscription a été modifiée : spécialité « Cuisine ».".into(),
            html: Some("<p>Votre inscription a été modifiée : spécialité « Cuisine ».</p>".into()),
        },
    ]
}

/// Sends the contract's emails through `mailer`, then checks that `sent`
/// (read back from the backend) holds each, to its recipient.
async fn run_mailer_contract<F, Fut>(mailer: &dyn Mailer, read_back: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Vec<Sent>>,
{
    let run = uuid::Uuid::new_v4().simple().to_string();
    let outgoing = emails(&run);
    for email in &outgoing {
        mailer.send(email).await.unwrap();
    }
    let sent = read_back().await;
    for email in &outgoing {
        let matching: Vec<&Sent> = sent.iter().filter(|s| s.to == email.to).collect();
        assert_eq!(matching.len(), 1, "one email to {}: {sent:?}", email.to);
        let got = matching[0];
        assert_eq!(got.subject, email.subject);
        let expected = email.html.as_ref().unwrap_or(&email.text);
        assert!(
            got.bodies.contains(expected),
            "{:?} should hold {expected:?}",
            got.bodies
        );
    }
}

fn october_14() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2021, 10, 13, 22, 0, 0).unwrap()
}

#[tokio::test]
async fn outbox_mailer_honours_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data").join(OUTBOX_FILE);
    let mailer = OutboxMailer::new(&path, Arc::new(FixedClock::new(october_14())));
    run_mailer_contract(&mailer, || async {
        read_outbox(&path)
            .unwrap()
            .into_iter()
            .map(|entry| Sent {
                to: entry.to,
                subject: entry.subject,
                bodies: [Some(entry.text), entry.html]
                    .into_iter()
                    .flatten()
                    .collect(),
            })
            .collect()
    })
    .await;

    // The file is JSON Lines with exactly the fields `GET /_local/outbox` shows.
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    let mut fields: Vec<&str> = lines[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    fields.sort();
    assert_eq!(fields, ["sent_at", "subject", "text", "to"]);
    assert_eq!(
        lines[1]["html"].as_str().map(|h| h.starts_with("<p>")),
        Some(true)
    );
    let entries = read_outbox(&path).unwrap();
    assert!(entries.iter().all(|entry| entry.sent_at == october_14()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn outbox_lines_never_interleave() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(OUTBOX_FILE);
    let clock: Arc<dyn Clock> = Arc::new(FixedClock::new(october_14()));
    // Two mailers on one file, as the runner and `examreg admin` would be.
    let mailers = [
        Arc::new(OutboxMailer::new(&path, Arc::clone(&clock))),
        Arc::new(OutboxMailer::new(&path, clock)),
    ];
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..40 {
        let mailer = Arc::clone(&mailers[i % 2]);
        tasks.spawn(async move {
            let email = OutgoingEmail {
                to: format!("c{i}@example.fr"),
                subject: format!("Email {i}"),
                text: "x".repeat(20_000 + i),
                html: None,
            };
            mailer.send(&email).await
        });
    }
    while let Some(result) = tasks.join_next().await {
        result.unwrap().unwrap();
    }
    let entries = read_outbox(&path).unwrap();
    assert_eq!(entries.len(), 40);
    for entry in entries {
        let i: usize = entry.subject.trim_start_matches("Email ").parse().unwrap();
        assert_eq!(entry.text.len(), 20_000 + i);
    }
}

#[tokio::test]
async fn ses_mailer_honours_the_contract() {
    let moto = moto_server().await;
    let sender = moto.verified_sender().await;
    let mailer = SesMailer::new(moto.ses_client(), &sender);
    run_mailer_contract(&mailer, || async {
        moto.sent_emails()
            .await
            .into_iter()
            .map(|message| {
                assert_eq!(message["source"], sender.as_str());
                Sent {
                    to: message["destinations"]["ToAddresses"][0]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                    subject: message["subject"].as_str().unwrap_or_default().to_owned(),
                    bodies: vec![message["body"].as_str().unwrap_or_default().to_owned()],
                }
            })
            .collect()
    })
    .await;
}

#[tokio::test]
async fn ses_rejects_an_unverified_sender() {
    let moto = moto_server().await;
    let mailer = SesMailer::new(moto.ses_client(), "intrus@unverified.example");
    let err = mailer.send(&emails("x")[0]).await.unwrap_err();
    assert!(matches!(err, MailError::Rejected(_)), "{err:?}");
}
