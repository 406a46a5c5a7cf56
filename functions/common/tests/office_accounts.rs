//! Accounts (issue #17): account pre-hijacking, sign-in links, changing the
//! password, signing out everywhere and the idle timeout (item 2);
//! `resend-activation` doing the same work for every address (the email
//! queued, never sent on the request's way) and wrong current passwords
//! counted in the login lock-out (low findings). Each case on both backends (SQLite and DynamoDB/SES on moto), through the
//! services, with a clock each case sets.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

use chrono::Duration;

use examreg_common::app::{App, Config};
use examreg_common::domain::account::MAX_FAILED_LOGINS;
use examreg_common::error::AppError;
use examreg_common::on_both_backends;
use examreg_common::ports::OutgoingEmail;
use examreg_common::records::rate_limit::RateKind;
use examreg_common::services::accounts::{
    self, AccountError, AccountRefusal, Credentials, EmailOnly, LoginAnswer, NewPassword,
    PasswordChange, TokenOnly,
};
use examreg_common::services::sessions::{self, Caller};
use examreg_common::services::sweep;
use examreg_common::testkit::{self, at, Backend, FixedClock, RecordingMailer, ScratchDir};

const START: &str = "2021-10-14T08:00:00Z";
const VICTIM_PASSWORD: &str = "cheval-agrafe-batterie-correcte";
const ATTACKER_PASSWORD: &str = "pirate-lampadaire-violon-4711";

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
        domain: testkit::unique_domain("acc"),
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

    fn mails(&self, to: &str) -> Vec<OutgoingEmail> {
        self.mailer.sent_to(to)
    }

    /// Every `<path>?token=` link sent to `to`, oldest first.
    fn tokens(&self, to: &str, path: &str) -> Vec<String> {
        let marker = format!("{path}?token=");
        self.mails(to)
            .iter()
            .filter_map(|m| {
                let start = m.text.find(&marker)? + marker.len();
                let rest = &m.text[start..];
                let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
                Some(rest[..end].to_owned())
            })
            .collect()
    }

    async fn signup(&self, email: &str, password: &str) {
        let input = Credentials {
            email: email.into(),
            password: password.into(),
        };
        accounts::signup(&self.app, input).await.expect("signup");
    }

    async fn activate(&self, token: &str) -> Result<(), AccountError> {
        let input = TokenOnly {
            token: token.into(),
        };
        accounts::activate(&self.app, input).await.map(|_| ())
    }

    async fn login(&self, email: &str, password: &str) -> Result<LoginAnswer, AccountError> {
        let input = Credentials {
            email: email.into(),
            password: password.into(),
        };
        accounts::login(&self.app, input).await
    }

    /// An activated account, signed in: its token.
    async fn active(&self, email: &str) -> String {
        self.signup(email, VICTIM_PASSWORD).await;
        let token = self
            .tokens(email, "/activate")
            .pop()
            .expect("activation link");
        self.activate(&token).await.expect("activated");
        self.login(email, VICTIM_PASSWORD)
            .await
            .expect("login")
            .token
    }

    async fn caller(&self, token: &str) -> Result<Caller, AppError> {
        sessions::authenticate(&self.app, Some(token), |_| Vec::new())
            .await
            .map(|(caller, _)| caller)
    }

    /// An activated account, signed in: its caller.
    async fn signed_in(&self, email: &str) -> Caller {
        let token = self.active(email).await;
        self.caller(&token).await.expect("signed in")
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

    async fn ask_login_link(&self, email: &str) -> Result<(), AccountError> {
        let input = EmailOnly {
            email: email.into(),
        };
        accounts::request_login_link(&self.app, input).await
    }

    async fn use_login_link(&self, token: &str) -> Result<LoginAnswer, AccountError> {
        let input = TokenOnly {
            token: token.into(),
        };
        accounts::confirm_login_link(&self.app, input).await
    }
}

fn refusal<T: std::fmt::Debug>(result: Result<T, AccountError>) -> AccountRefusal {
    match result {
        Err(AccountError::Refused(refusal)) => refusal,
        other => panic!("a refusal expected, got {other:?}"),
    }
}

fn is_unauthenticated(result: Result<Caller, AppError>) -> bool {
    matches!(result, Err(e) if e.code() == "unauthenticated")
}

/// The attack of issue #17: someone signs up with the victim's address and
/// a password of theirs; the victim signs up too and activates from the
/// newest email. The attacker's password must not work, the victim's must,
/// and the attacker's link is void.
async fn a_pre_hijacker_s_password_never_becomes_usable(backend: Backend) {
    let f = fixture(backend).await;
    let victim = f.email("victime");
    f.signup(&victim, ATTACKER_PASSWORD).await;
    f.advance(Duration::minutes(5));
    f.signup(&victim, VICTIM_PASSWORD).await;

    let mails = f.mails(&victim);
    assert_eq!(mails.len(), 2, "one email per signup");
    let second = &mails[1];
    assert!(
        second.text.contains("avait déjà été faite auparavant"),
        "the second email says plainly a request was made before: {}",
        second.text
    );
    assert!(
        second.text.contains("n'était pas de vous"),
        "{}",
        second.text
    );

    let tokens = f.tokens(&victim, "/activate");
    assert_eq!(tokens.len(), 2);
    assert_eq!(
        refusal(f.activate(&tokens[0]).await),
        AccountRefusal::InvalidActivationLink,
        "the attacker's link is void"
    );
    f.activate(&tokens[1])
        .await
        .expect("the newest link activates");

    assert_eq!(
        refusal(f.login(&victim, ATTACKER_PASSWORD).await),
        AccountRefusal::InvalidCredentials,
        "the attacker's password fails"
    );
    f.login(&victim, VICTIM_PASSWORD)
        .await
        .expect("the victim's password works");
    // Still void afterwards.
    assert_eq!(
        refusal(f.activate(&tokens[0]).await),
        AccountRefusal::InvalidActivationLink
    );
}

/// A new link asked for without a password carries the latest signup's:
/// the attacker cannot bring their password back through it.
async fn a_resent_link_carries_the_latest_signup_s_password(backend: Backend) {
    let f = fixture(backend).await;
    let victim = f.email("renvoi");
    f.signup(&victim, ATTACKER_PASSWORD).await;
    f.signup(&victim, VICTIM_PASSWORD).await;
    let input = EmailOnly {
        email: victim.clone(),
    };
    let queued = accounts::resend_activation(&f.app, input).await.unwrap();
    assert!(queued.deliver(&f.app).await);
    let tokens = f.tokens(&victim, "/activate");
    assert_eq!(tokens.len(), 3);
    for old in &tokens[..2] {
        assert_eq!(
            refusal(f.activate(old).await),
            AccountRefusal::InvalidActivationLink
        );
    }
    f.activate(&tokens[2]).await.unwrap();
    assert_eq!(
        refusal(f.login(&victim, ATTACKER_PASSWORD).await),
        AccountRefusal::InvalidCredentials
    );
    f.login(&victim, VICTIM_PASSWORD).await.unwrap();
}

/// Ten wrong passwords lock the address; the sign-in link still opens a
/// session, once, for 15 minutes.
async fn a_sign_in_link_works_while_the_address_is_locked(backend: Backend) {
    let f = fixture(backend).await;
    let email = f.email("verrouille");
    f.active(&email).await;
    for _ in 0..10 {
        let _ = f.login(&email, "pas-le-bon-mot-de-passe").await;
    }
    assert_eq!(
        refusal(f.login(&email, VICTIM_PASSWORD).await).code(),
        "too_many_attempts"
    );

    f.ask_login_link(&email).await.unwrap();
    let mail = f.mails(&email).pop().unwrap();
    assert_eq!(mail.subject, "Votre lien de connexion");
    let token = f.tokens(&email, "/login-link").pop().unwrap();
    assert!(mail.text.contains(&format!(
        "{}/login-link?token={token}",
        f.app.config.public_url.trim_end_matches('/')
    )));
    let answer = f.use_login_link(&token).await.expect("signed in");
    let caller = f.caller(&answer.token).await.expect("a live session");
    assert_eq!(caller.account.email, email);

    // Single use.
    assert_eq!(
        refusal(f.use_login_link(&token).await),
        AccountRefusal::InvalidLoginLink
    );
    assert_eq!(
        refusal(f.use_login_link("x.y").await).code(),
        "invalid_token"
    );

    // 15 minutes.
    f.ask_login_link(&email).await.unwrap();
    let late = f.tokens(&email, "/login-link").pop().unwrap();
    f.advance(Duration::minutes(15));
    let expired = refusal(f.use_login_link(&late).await);
    assert_eq!(expired, AccountRefusal::LoginLinkExpired);
    assert_eq!(expired.code(), "token_expired");
}

/// Unknown and unactivated addresses get the same answer and no email;
/// past three an hour, 429 whoever asks.
async fn sign_in_links_say_nothing_of_who_has_an_account(backend: Backend) {
    let f = fixture(backend).await;
    let unknown = f.email("inconnu");
    let pending = f.email("en-attente");
    f.signup(&pending, VICTIM_PASSWORD).await;
    for email in [&unknown, &pending] {
        let before = f.mails(email).len();
        for _ in 0..3 {
            f.ask_login_link(email).await.expect("the same 202");
        }
        assert_eq!(f.mails(email).len(), before, "nothing sent to {email}");
        let over = refusal(f.ask_login_link(email).await);
        assert_eq!(over.code(), "too_many_requests");
    }
    let active = f.email("actif");
    f.active(&active).await;
    for _ in 0..3 {
        f.ask_login_link(&active).await.unwrap();
    }
    assert_eq!(f.tokens(&active, "/login-link").len(), 3);
    assert_eq!(
        refusal(f.ask_login_link(&active).await).code(),
        "too_many_requests"
    );
}

/// A new password: the current one checked, a weak one refused, the other
/// sessions closed (the caller's stays), an email; then « se déconnecter
/// partout » closes every session.
async fn changing_the_password_closes_the_other_sessions(backend: Backend) {
    let f = fixture(backend).await;
    let email = f.email("change");
    let mine = f.active(&email).await;
    let other = f.login(&email, VICTIM_PASSWORD).await.unwrap().token;
    let caller = f.caller(&mine).await.unwrap();
    let change = |current: &str, new: &str| PasswordChange {
        current_password: current.into(),
        new_password: new.into(),
    };

    let wrong = accounts::change_password(
        &f.app,
        &caller,
        change("faux", "tortue-lampadaire-violon-47"),
    );
    assert_eq!(refusal(wrong.await), AccountRefusal::InvalidCredentials);
    let weak =
        refusal(accounts::change_password(&f.app, &caller, change(VICTIM_PASSWORD, "court")).await);
    assert_eq!(weak.code(), "weak_password");
    assert_eq!(weak.clone().into_field_errors()[0].field, "new_password");
    assert!(f.caller(&other).await.is_ok(), "refusals change nothing");

    let new = "tortue-lampadaire-violon-47";
    accounts::change_password(&f.app, &caller, change(VICTIM_PASSWORD, new))
        .await
        .unwrap();
    assert!(f.caller(&mine).await.is_ok(), "the caller's session stays");
    assert!(
        is_unauthenticated(f.caller(&other).await),
        "the other is closed"
    );
    let mail = f.mails(&email).pop().unwrap();
    assert_eq!(mail.subject, "Votre mot de passe a été modifié");
    assert!(mail.text.contains("Si ce n'est pas vous"));
    assert_eq!(
        refusal(f.login(&email, VICTIM_PASSWORD).await),
        AccountRefusal::InvalidCredentials
    );
    let third = f.login(&email, new).await.unwrap().token;

    sessions::logout_all(&f.app, &f.caller(&mine).await.unwrap())
        .await
        .unwrap();
    for token in [&mine, &third] {
        assert!(is_unauthenticated(f.caller(token).await));
    }
}

/// A reset link's new password is emailed about too.
async fn a_password_reset_is_emailed_about(backend: Backend) {
    let f = fixture(backend).await;
    let email = f.email("oubli");
    f.active(&email).await;
    let input = EmailOnly {
        email: email.clone(),
    };
    accounts::request_password_reset(&f.app, input)
        .await
        .unwrap();
    let token = f.tokens(&email, "/reset-password").pop().unwrap();
    let input = NewPassword {
        token,
        password: "tortue-lampadaire-violon-47".into(),
    };
    accounts::confirm_password_reset(&f.app, input)
        .await
        .unwrap();
    let mail = f.mails(&email).pop().unwrap();
    assert_eq!(mail.subject, "Votre mot de passe a été modifié");
}

/// 30 minutes without a request end a session; each request slides it.
async fn an_idle_session_ends_after_thirty_minutes(backend: Backend) {
    let f = fixture(backend).await;
    let email = f.email("inactif");
    let token = f.active(&email).await;
    for _ in 0..3 {
        f.advance(Duration::minutes(29));
        assert!(f.caller(&token).await.is_ok(), "used within 30 minutes");
    }
    f.advance(Duration::minutes(30));
    assert!(
        is_unauthenticated(f.caller(&token).await),
        "idle 30 minutes"
    );
}

/// One client may make 30 requests an hour to a form that mails, whatever
/// the addresses; another client is not held back by it, and the runner's
/// own loopback clients are not counted.
async fn one_source_may_not_mail_the_world(backend: Backend) {
    let f = fixture(backend).await;
    let noisy: IpAddr = "203.0.113.7".parse().unwrap();
    for _ in 0..30 {
        accounts::limit_source(&f.app, RateKind::Signup, Some(noisy))
            .await
            .expect("within the hour's allowance");
    }
    let over = refusal(accounts::limit_source(&f.app, RateKind::Signup, Some(noisy)).await);
    assert_eq!(over.code(), "too_many_requests");
    assert!(over.retry_after().is_some_and(|s| s > 3000));
    // Each form has its own allowance, each source its own.
    accounts::limit_source(&f.app, RateKind::Reset, Some(noisy))
        .await
        .unwrap();
    let other: IpAddr = "2001:db8::1".parse().unwrap();
    accounts::limit_source(&f.app, RateKind::Signup, Some(other))
        .await
        .unwrap();
    let loopback: IpAddr = "127.0.0.1".parse().unwrap();
    for _ in 0..31 {
        accounts::limit_source(&f.app, RateKind::Signup, Some(loopback))
            .await
            .unwrap();
    }
    // An hour later, the source may ask again.
    f.advance(Duration::minutes(61));
    accounts::limit_source(&f.app, RateKind::Signup, Some(noisy))
        .await
        .unwrap();
}

/// A known address (pending, or active) and an unknown one: the request
/// sends nothing on its way, only the known ones queue an email, and the
/// queue's delivery (the one after the answer, else the sweep) brings it.
async fn a_resent_link_is_queued_not_sent_on_the_request_s_way(backend: Backend) {
    let f = fixture(backend).await;
    let pending = f.email("attente");
    let active = f.email("actif");
    f.signup(&pending, VICTIM_PASSWORD).await;
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
    f.signup(&pending, VICTIM_PASSWORD).await;
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
        refusal(f.change(&caller, VICTIM_PASSWORD).await).code(),
        "too_many_attempts"
    );
    assert_eq!(
        refusal(f.login(&email, VICTIM_PASSWORD).await).code(),
        "too_many_attempts"
    );

    f.advance(Duration::minutes(15) + Duration::seconds(1));
    f.change(&caller, VICTIM_PASSWORD)
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
    f.change(&caller, VICTIM_PASSWORD).await.expect("changed");
    assert_eq!(
        refusal(f.login(&email, "encore-faux").await),
        AccountRefusal::InvalidCredentials,
        "counted from zero again"
    );
}

on_both_backends!(
    one_source_may_not_mail_the_world,
    a_pre_hijacker_s_password_never_becomes_usable,
    a_resent_link_carries_the_latest_signup_s_password,
    a_sign_in_link_works_while_the_address_is_locked,
    sign_in_links_say_nothing_of_who_has_an_account,
    changing_the_password_closes_the_other_sessions,
    a_password_reset_is_emailed_about,
    an_idle_session_ends_after_thirty_minutes,
    a_resent_link_is_queued_not_sent_on_the_request_s_way,
    the_resend_limit_holds_for_every_address,
    wrong_current_passwords_count_in_the_login_lock_out,
    a_right_current_password_clears_the_count,
);
