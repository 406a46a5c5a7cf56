//! Accounts, issue #17's low findings: `resend-activation` does the same
//! work for every address (the email queued, never sent on the request's
//! way), and a wrong current password on `POST /auth/password` counts in the
//! login lock-out. Each case on both backends (SQLite and DynamoDB/SES on
//! moto), through the services, with a clock each case sets.

use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

use chrono::Duration;

use examreg_common::app::{App, Config};
use examreg_common::domain::account::MAX_FAILED_LOGINS;
use examreg_common::on_both_backends;
use examreg_common::services::accounts::{
    self, AccountError, AccountRefusal, Credentials, EmailOnly, PasswordChange, TokenOnly,
};
use examreg_common::services::sessions::{self, Caller};
use examreg_common::services::sweep;
use examreg_common::testkit::{self, at, Backend, FixedClock, RecordingMailer, ScratchDir};

const START: &str = "2021-10-14T08:00:00Z";
const PASSWORD: &str = "cheval-agrafe-batterie-correcte";

struct Fixture {
    app: Arc<App>,
    clock: Arc<FixedClock>,
    mailer: Arc<RecordingMailer>,
    domain: String,
    _scratch: Option<ScratchDir>,
}

async fn fixture(backend: Backend) -> Fixture {
    let adapters = backend.adapters().await;
    let clock = Arc::new(FixedClock::new(at(START)));
    let mailer = Arc::new(RecordingMailer::new(adapters.mailer));
    let app = testkit::app(
        Config::default(),
        adapters.store,
        mailer.clone(),
        adapters.documents,
        clock.clone(),
    );
    Fixture {
        app: Arc::new(app),
        clock,
        mailer,
        domain: testkit::unique_domain("acc17"),
        _scratch: adapters.scratch,
    }
}

impl Fixture {
    fn email(&self, name: &str) -> String {
        format!("{name}@{}", self.domain)
    }

    fn advance(&self, by: Duration) {
        self.clock.set(self.app.now() + by);
    }

    async fn signup(&self, email: &str) {
        let input = Credentials {
            email: email.into(),
            password: PASSWORD.into(),
        };
        accounts::signup(&self.app, input).await.expect("signup");
    }

    /// An activated account, signed in: its caller.
    async fn signed_in(&self, email: &str) -> Caller {
        self.signup(email).await;
        let token = self.mailer.last_token(email, "/activate");
        accounts::activate(&self.app, TokenOnly { token })
            .await
            .expect("activated");
        let session = self.login(email, PASSWORD).await.expect("login").token;
        sessions::authenticate(&self.app, Some(&session), |_| Vec::new())
            .await
            .expect("signed in")
            .0
    }

    async fn login(
        &self,
        email: &str,
        password: &str,
    ) -> Result<accounts::LoginAnswer, AccountError> {
        let input = Credentials {
            email: email.into(),
            password: password.into(),
        };
        accounts::login(&self.app, input).await
    }

    async fn change(&self, caller: &Caller, current: &str) -> Result<(), AccountError> {
        let input = PasswordChange {
            current_password: current.into(),
            new_password: "tortue-lampadaire-violon-47".into(),
        };
        accounts::change_password(&self.app, caller, input).await
    }

    async fn sweep(&self) {
        sweep::run(&self.app, Instant::now() + StdDuration::from_secs(30))
            .await
            .expect("sweep");
    }
}

fn refusal<T: std::fmt::Debug>(result: Result<T, AccountError>) -> AccountRefusal {
    match result {
        Err(AccountError::Refused(refusal)) => refusal,
        other => panic!("a refusal expected, got {other:?}"),
    }
}

/// A known address (pending, or active) and an unknown one: the request
/// sends nothing on its way, only the known ones queue an email, and the
/// queue's delivery (the one after the answer, else the sweep) brings it.
async fn a_resent_link_is_queued_not_sent_on_the_request_s_way(backend: Backend) {
    let f = fixture(backend).await;
    let pending = f.email("attente");
    let active = f.email("actif");
    f.signup(&pending).await;
    f.signed_in(&active).await;
    let sent_before = f.mailer.sent().len();
    let resend = |email: String| accounts::resend_activation(&f.app, EmailOnly { email });

    let unknown = resend(f.email("inconnu")).await.unwrap();
    assert!(unknown.mails().is_empty(), "nothing owed to no account");
    let to_pending = resend(pending.clone()).await.unwrap();
    let to_active = resend(active.clone()).await.unwrap();
    assert_eq!(
        f.mailer.sent().len(),
        sent_before,
        "nothing sent inline, for any address"
    );
    assert_eq!(to_pending.mails().len(), 1);
    assert_eq!(to_active.mails().len(), 1);

    // Delivered by the queue: after the answer for one, by the sweep for
    // the other (as if the function had been frozen before sending it).
    assert!(to_pending.deliver(&f.app).await);
    drop(to_active);
    f.sweep().await;
    let link = f.mailer.sent_to(&pending);
    assert_eq!(link.len(), 2, "the signup's link, then the new one");
    assert_eq!(link[1].subject, link[0].subject);
    let told = f.mailer.sent_to(&active).pop().unwrap();
    assert!(told.text.contains("/login"), "{}", told.text);
    assert_eq!(f.mailer.sent().len(), sent_before + 2, "each sent once");

    // The queued link is the one that works; the signup's is void.
    let token = f.mailer.last_token(&pending, "/activate");
    accounts::activate(&f.app, TokenOnly { token })
        .await
        .expect("the resent link activates");
}

/// Still three an hour per address, whether or not it has an account.
async fn the_resend_limit_holds_for_every_address(backend: Backend) {
    let f = fixture(backend).await;
    let pending = f.email("limite");
    f.signup(&pending).await;
    for email in [pending, f.email("personne")] {
        for _ in 0..3 {
            let queued = accounts::resend_activation(
                &f.app,
                EmailOnly {
                    email: email.clone(),
                },
            )
            .await
            .unwrap();
            queued.deliver(&f.app).await;
        }
        let over = accounts::resend_activation(&f.app, EmailOnly { email }).await;
        assert_eq!(refusal(over).code(), "too_many_requests");
    }
}

/// A stolen session cannot guess the password faster than the login form:
/// wrong current passwords count in the address's lock-out, with wrong
/// logins, and lock both; the lock ends after its 15 minutes.
async fn wrong_current_passwords_count_in_the_login_lock_out(backend: Backend) {
    let f = fixture(backend).await;
    let email = f.email("vol");
    let caller = f.signed_in(&email).await;
    let half = MAX_FAILED_LOGINS / 2;
    for _ in 0..half {
        assert_eq!(
            refusal(f.login(&email, "mauvais-mot-de-passe").await),
            AccountRefusal::InvalidCredentials
        );
    }
    for _ in half..MAX_FAILED_LOGINS {
        assert_eq!(
            refusal(f.change(&caller, "mauvais-mot-de-passe").await),
            AccountRefusal::InvalidCredentials
        );
    }
    // Locked: even the right password, by either door.
    assert_eq!(
        refusal(f.change(&caller, PASSWORD).await).code(),
        "too_many_attempts"
    );
    assert_eq!(
        refusal(f.login(&email, PASSWORD).await).code(),
        "too_many_attempts"
    );

    f.advance(Duration::minutes(15) + Duration::seconds(1));
    f.change(&caller, PASSWORD)
        .await
        .expect("the right password, once the lock is over");
}

/// A right current password clears the failures before it, as a login does.
async fn a_right_current_password_clears_the_count(backend: Backend) {
    let f = fixture(backend).await;
    let email = f.email("oubli");
    let caller = f.signed_in(&email).await;
    for _ in 1..MAX_FAILED_LOGINS {
        refusal(f.change(&caller, "mauvais-mot-de-passe").await);
    }
    f.change(&caller, PASSWORD).await.expect("changed");
    assert_eq!(
        refusal(f.login(&email, "encore-faux").await),
        AccountRefusal::InvalidCredentials,
        "counted from zero again"
    );
}

on_both_backends!(
    a_resent_link_is_queued_not_sent_on_the_request_s_way,
    the_resend_limit_holds_for_every_address,
    wrong_current_passwords_count_in_the_login_lock_out,
    a_right_current_password_clears_the_count,
);
