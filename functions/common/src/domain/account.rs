//! Accounts: the parsed email and password, tokens, and the pure rules of
//! activation and login lockout.

use std::fmt;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
#[cfg(feature = "passwords")]
use zxcvbn::feedback::Warning;
#[cfg(feature = "passwords")]
use zxcvbn::Score;

/// How long an activation link, and an unactivated account, live (the notice: 48 h).
pub const ACTIVATION_PERIOD: Duration = Duration::hours(48);
/// How long a password-reset link lives.
pub const RESET_PERIOD: Duration = Duration::hours(1);
/// How long a one-time sign-in link (`POST /auth/login-link`) lives.
pub const LOGIN_LINK_PERIOD: Duration = Duration::minutes(15);
/// How long a login session lives at most.
pub const SESSION_PERIOD: Duration = Duration::hours(12);
/// A session unused this long ends (the idle timeout).
pub const SESSION_IDLE_PERIOD: Duration = Duration::minutes(30);
/// A session's last-seen time is written at most this often, so that
/// reads do not each write.
pub const SESSION_SEEN_STEP: Duration = Duration::minutes(1);
/// Failed logins in [`LOCKOUT_WINDOW`] that lock an account for [`LOCKOUT_PERIOD`].
pub const MAX_FAILED_LOGINS: usize = 10;
pub const LOCKOUT_WINDOW: Duration = Duration::minutes(15);
pub const LOCKOUT_PERIOD: Duration = Duration::minutes(15);
/// Activation emails one address may ask for in an hour.
pub const MAX_RESENDS_PER_HOUR: usize = 3;
/// Requests one source (a client's IP address) may make in an hour to each
/// form that sends an email (signup, new activation link, password reset,
/// sign-in link), whatever the addresses: generous enough for a school's
/// shared connection, small enough that one client cannot mail the world.
pub const MAX_MAIL_REQUESTS_PER_SOURCE_PER_HOUR: usize = 30;

/// A character allowed before « @ »: letters and digits without accents,
/// the dot and the specials RFC 5322 allows unquoted (`o'brien`, `a+b`).
fn is_local_part_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || ".!#$%&'*+/=?^_`{|}~-".contains(c)
}

/// A syntactically valid email address, at most 254 characters. It keeps
/// what was typed for display; [`Email::canonical`] is what identifies it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    as_typed: String,
    canonical: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("L'adresse électronique est obligatoire.")]
    Empty,
    #[error("L'adresse électronique ne doit pas dépasser 254 caractères.")]
    TooLong,
    #[error(
        "L'adresse électronique n'est pas valide : vérifiez qu'elle a la forme nom@domaine.fr."
    )]
    Invalid,
    #[error("La partie de l'adresse électronique avant « @ » doit s'écrire sans accents, sans espaces ni guillemets : les messageries ne savent pas toutes acheminer les autres caractères.")]
    UnsupportedLocalPart,
}

impl Email {
    pub fn parse(text: &str) -> Result<Self, EmailError> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(EmailError::Empty);
        }
        if trimmed.chars().count() > 254 {
            return Err(EmailError::TooLong);
        }
        let options = email_address::Options::default()
            .without_display_text()
            .without_domain_literal();
        let parsed = email_address::EmailAddress::parse_with_options(trimmed, options)
            .map_err(|_| EmailError::Invalid)?;
        // Mail providers (SES among them) only deliver to plain ASCII local
        // parts (no quoted strings); internationalised domains are fine.
        let local = parsed.local_part();
        if !local.chars().all(is_local_part_char) {
            return Err(EmailError::UnsupportedLocalPart);
        }
        // A deliverable personal address has a dotted domain ("nom@localhost" is not).
        let domain = parsed.domain();
        if !domain.contains('.') || domain.starts_with('.') || domain.ends_with('.') {
            return Err(EmailError::Invalid);
        }
        // One form per mailbox: « exémple.fr » and « xn--exmple-cva.fr » are
        // the same domain (IDNA), whatever the case.
        let ascii_domain = idna::domain_to_ascii(domain).map_err(|_| EmailError::Invalid)?;
        Ok(Self {
            as_typed: trimmed.to_owned(),
            canonical: format!("{}@{ascii_domain}", local.to_ascii_lowercase()),
        })
    }

    /// The part before « @ », lower-cased.
    pub fn local_part(&self) -> &str {
        self.canonical
            .rsplit_once('@')
            .map_or(self.canonical.as_str(), |(local, _)| local)
    }

    pub fn as_typed(&self) -> &str {
        &self.as_typed
    }

    /// Lower-cased, its domain in ASCII (punycode): one account per
    /// mailbox, however the address is written.
    pub fn canonical(&self) -> &str {
        &self.canonical
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.as_typed)
    }
}

/// A password strong enough to keep: 12 characters or more, not a common
/// French password (however many digits follow it), and a zxcvbn score of 3
/// or more. Never printed. Only the functions that take
/// passwords (signup, auth) link zxcvbn (feature `passwords`).
#[cfg(feature = "passwords")]
pub struct Password(String);

/// Common French passwords, reduced to their base, sorted (by
/// `infra/scripts/common-passwords.py`, from the Richelieu list, CC BY 4.0):
/// zxcvbn's dictionaries are English, and score « pamplemousse » or
/// « lavieestbelle2024 » as strong.
#[cfg(feature = "passwords")]
const COMMON_FR: &str = include_str!("../../assets/passwords/common-fr.txt");

/// Whether `text`, lowercased and without its trailing digits and symbols
/// (« Marseille2024! » → « marseille »), is a common French password.
#[cfg(feature = "passwords")]
fn is_common_in_french(text: &str) -> bool {
    use std::sync::OnceLock;
    static BASES: OnceLock<Vec<&'static str>> = OnceLock::new();
    let bases = BASES.get_or_init(|| {
        COMMON_FR
            .lines()
            .filter(|line| !line.starts_with('#') && !line.is_empty())
            .collect()
    });
    let lowered = text.to_lowercase();
    let base = lowered.trim_end_matches(|c: char| c.is_ascii_digit() || "!?.*_@#$-".contains(c));
    // The file is sorted by code point, which is UTF-8's byte order.
    bases.binary_search(&base).is_ok()
}

#[cfg(feature = "passwords")]
impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

pub const MIN_PASSWORD_CHARS: usize = 12;
pub const MAX_PASSWORD_CHARS: usize = 128;

#[cfg(feature = "passwords")]
impl Password {
    /// As [`Password::parse`], for the owner of `email`: the password may not
    /// hold the address's part before « @ », and leans on none of its words.
    pub fn parse_for(text: &str, email: Option<&Email>) -> Result<Self, String> {
        if let Some(local) = email
            .map(Email::local_part)
            .filter(|local| local.chars().count() >= 3)
        {
            if text.to_lowercase().contains(local) {
                return Err(
                    "Le mot de passe ne doit pas reprendre votre adresse électronique.".into(),
                );
            }
        }
        let context: Vec<&str> = email
            .map(|e| e.canonical().split(['@', '.']).collect())
            .unwrap_or_default();
        Self::parse(text, &context)
    }

    /// `context` holds words the password must not lean on (the email...).
    /// The error is a French explanation of why the password is refused.
    pub fn parse(text: &str, context: &[&str]) -> Result<Self, String> {
        let length = text.chars().count();
        if length < MIN_PASSWORD_CHARS {
            return Err(format!(
                "Le mot de passe doit contenir au moins {MIN_PASSWORD_CHARS} caractères (il en a {length})."
            ));
        }
        if length > MAX_PASSWORD_CHARS {
            return Err(format!(
                "Le mot de passe ne doit pas dépasser {MAX_PASSWORD_CHARS} caractères."
            ));
        }
        if is_common_in_french(text) {
            return Err("Ce mot de passe figure parmi les plus courants en France (même suivi de chiffres ou de symboles) : il serait essayé parmi les premiers. Choisissez plutôt plusieurs mots sans lien entre eux.".into());
        }
        let entropy = zxcvbn::zxcvbn(text, context);
        if entropy.score() < Score::Three {
            let why = entropy
                .feedback()
                .and_then(|f| f.warning())
                .map(warning_fr)
                .unwrap_or("il serait trop facile à deviner.");
            return Err(format!(
                "Ce mot de passe est trop faible : {why} Choisissez plutôt plusieurs mots sans lien entre eux, ou ajoutez des mots, chiffres et symboles inattendus."
            ));
        }
        Ok(Self(text.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

#[cfg(feature = "passwords")]
fn warning_fr(warning: Warning) -> &'static str {
    match warning {
        Warning::StraightRowsOfKeysAreEasyToGuess => {
            "une suite de touches voisines du clavier se devine facilement."
        }
        Warning::ShortKeyboardPatternsAreEasyToGuess => {
            "un court motif de clavier se devine facilement."
        }
        Warning::RepeatsLikeAaaAreEasyToGuess => {
            "une répétition comme « aaa » se devine facilement."
        }
        Warning::RepeatsLikeAbcAbcAreOnlySlightlyHarderToGuess => {
            "répéter un motif comme « abcabc » ne le rend guère plus sûr."
        }
        Warning::ThisIsATop10Password
        | Warning::ThisIsATop100Password
        | Warning::ThisIsACommonPassword => "c'est un mot de passe très courant.",
        Warning::ThisIsSimilarToACommonlyUsedPassword => {
            "il ressemble à un mot de passe très courant."
        }
        Warning::SequencesLikeAbcAreEasyToGuess => {
            "une suite comme « abc » ou « 6543 » se devine facilement."
        }
        Warning::RecentYearsAreEasyToGuess => "une année récente se devine facilement.",
        Warning::AWordByItselfIsEasyToGuess => "un mot seul se devine facilement.",
        Warning::DatesAreOftenEasyToGuess => "une date se devine souvent facilement.",
        Warning::NamesAndSurnamesByThemselvesAreEasyToGuess
        | Warning::CommonNamesAndSurnamesAreEasyToGuess => {
            "un nom ou un prénom se devine facilement."
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AccountStatus {
    /// Created, waiting for the candidate to click the activation link.
    PendingActivation,
    Active,
}

impl AccountStatus {
    /// The status as the office reads it: « activé », « en attente
    /// d'activation ».
    pub fn label_fr(self) -> &'static str {
        match self {
            AccountStatus::Active => "activé",
            AccountStatus::PendingActivation => "en attente d'activation",
        }
    }
}

/// Whether an activation made at `now` is still in time.
pub fn activation_in_time(deadline: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    now < deadline
}

/// Where an account stands for a signup or a request for a new activation
/// link for its address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExistingAccount {
    /// Activated: its owner is told so, with the login and reset links.
    Active,
    /// Awaiting activation in time: a new link (the old one void).
    Pending,
    /// Awaiting activation past its deadline: as good as deleted (the
    /// sweep deletes it), so the address is free.
    Expired,
}

/// Where an account of `status`, to activate before `deadline`, stands at `now`.
pub fn existing_account(
    status: AccountStatus,
    deadline: DateTime<Utc>,
    now: DateTime<Utc>,
) -> ExistingAccount {
    match status {
        AccountStatus::Active => ExistingAccount::Active,
        AccountStatus::PendingActivation if activation_in_time(deadline, now) => {
            ExistingAccount::Pending
        }
        AccountStatus::PendingActivation => ExistingAccount::Expired,
    }
}

/// Why a link (activation or password reset) changes nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkRefusal {
    /// Unknown, used, or replaced by a newer link (or, for activation, the
    /// account is already active).
    Invalid,
    /// Its time is over.
    Expired,
}

/// Whether an activation link activates the account at `now`: only the
/// latest link (`token_matches`) of an account awaiting activation, before
/// its deadline.
pub fn activation(
    status: AccountStatus,
    token_matches: bool,
    deadline: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), LinkRefusal> {
    if !token_matches || status != AccountStatus::PendingActivation {
        return Err(LinkRefusal::Invalid);
    }
    if !activation_in_time(deadline, now) {
        return Err(LinkRefusal::Expired);
    }
    Ok(())
}

/// Whether a password-reset link lets its holder choose a new password at
/// `now`: only the latest link (`token_matches`), before `expires_at`.
pub fn password_reset(
    token_matches: bool,
    expires_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<(), LinkRefusal> {
    one_time_link(token_matches, expires_at, now)
}

/// Whether a one-time link (a password reset, a sign-in link) works at
/// `now`: only the latest link (`token_matches`, cleared once used), before
/// `expires_at`.
pub fn one_time_link(
    token_matches: bool,
    expires_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<(), LinkRefusal> {
    if !token_matches {
        return Err(LinkRefusal::Invalid);
    }
    if expires_at.is_none_or(|at| at <= now) {
        return Err(LinkRefusal::Expired);
    }
    Ok(())
}

/// How long an attempt admitted by [`LoginGuard::admit`] counts while its
/// password is checked (a few tens of milliseconds); one whose process died
/// before settling it stops counting then.
pub const ATTEMPT_IN_FLIGHT: Duration = Duration::seconds(30);

/// An attempt admitted and not settled yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttemptInFlight {
    pub id: String,
    pub at: DateTime<Utc>,
}

/// The login attempts of one email address, whether or not an account has
/// it (so that the lockout says nothing of who has an account).
///
/// Each attempt is *admitted* (written, under the item's optimistic lock)
/// before its password is checked, and counts until it is settled as a
/// success or a failure: a burst of parallel guesses is held to the same
/// [`MAX_FAILED_LOGINS`] as guesses one after the other.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginGuard {
    #[serde(default)]
    pub failures: Vec<DateTime<Utc>>,
    #[serde(default)]
    pub in_flight: Vec<AttemptInFlight>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locked_until: Option<DateTime<Utc>>,
}

impl LoginGuard {
    /// Admits attempt `id` at `now`, or answers until when none is admitted:
    /// the end of the lock, or, while earlier attempts in flight fill the
    /// allowance, the moment the oldest of them stops counting.
    pub fn admit(&mut self, id: &str, now: DateTime<Utc>) -> Result<(), DateTime<Utc>> {
        self.forget_before(now);
        if let Some(until) = self.locked_until {
            return Err(until);
        }
        if self.failures.len() + self.in_flight.len() >= MAX_FAILED_LOGINS {
            let oldest = self.in_flight.iter().map(|a| a.at).min().unwrap_or(now);
            return Err((oldest + ATTEMPT_IN_FLIGHT).max(now + Duration::seconds(1)));
        }
        self.in_flight.push(AttemptInFlight {
            id: id.to_owned(),
            at: now,
        });
        Ok(())
    }

    /// Attempt `id` had a wrong password (or no account): one more failure,
    /// and the lock once they reach [`MAX_FAILED_LOGINS`] in [`LOCKOUT_WINDOW`].
    pub fn fail(&mut self, id: &str, now: DateTime<Utc>) {
        self.forget_before(now);
        self.in_flight.retain(|a| a.id != id);
        self.failures.push(now);
        if self.failures.len() >= MAX_FAILED_LOGINS {
            self.locked_until = Some(now + LOCKOUT_PERIOD);
        }
    }

    /// Attempt `id` had the right password: the failures before it no longer
    /// count (attempts still in flight settle on their own).
    pub fn succeed(&mut self, id: &str, now: DateTime<Utc>) {
        self.forget_before(now);
        self.in_flight.retain(|a| a.id != id);
        self.failures.clear();
    }

    /// Whether nothing is left to remember (the item can go).
    pub fn is_clear(&self) -> bool {
        self.failures.is_empty() && self.in_flight.is_empty() && self.locked_until.is_none()
    }

    /// Drops what no longer counts at `now`. (What is dated a little after
    /// `now` stays: a parallel attempt read the clock later and wrote first.)
    fn forget_before(&mut self, now: DateTime<Utc>) {
        self.failures.retain(|t| *t > now - LOCKOUT_WINDOW);
        self.in_flight.retain(|a| a.at > now - ATTEMPT_IN_FLIGHT);
        if self.locked_until.is_some_and(|until| until <= now) {
            self.locked_until = None;
        }
    }
}

/// Sends in the last hour, and whether one more is allowed at `now`; when it
/// is not, the seconds to wait.
pub fn resend_allowed(
    sends: &[DateTime<Utc>],
    now: DateTime<Utc>,
) -> Result<Vec<DateTime<Utc>>, u64> {
    allowed_in_hour(sends, now, MAX_RESENDS_PER_HOUR)
}

/// As [`resend_allowed`], with `max` requests an hour.
pub fn allowed_in_hour(
    sends: &[DateTime<Utc>],
    now: DateTime<Utc>,
    max: usize,
) -> Result<Vec<DateTime<Utc>>, u64> {
    let hour_ago = now - Duration::hours(1);
    let mut recent: Vec<_> = sends.iter().copied().filter(|t| *t > hour_ago).collect();
    recent.sort();
    if recent.len() >= max {
        let wait = (recent[0] + Duration::hours(1) - now).num_seconds().max(1);
        return Err(u64::try_from(wait).unwrap_or(1));
    }
    recent.push(now);
    Ok(recent)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn emails_are_parsed_and_compared_case_insensitively() {
        let e = Email::parse("  Zoe.Martin@Exemple.FR ").unwrap();
        assert_eq!(e.as_typed(), "Zoe.Martin@Exemple.FR");
        assert_eq!(e.canonical(), "zoe.martin@exemple.fr");
        assert!(Email::parse("candidat@académie.fr").is_ok());
        for unsupported in ["zoé@exemple.fr", "\"zoe\"@exemple.fr"] {
            assert_eq!(
                Email::parse(unsupported),
                Err(EmailError::UnsupportedLocalPart),
                "{unsupported}"
            );
        }
        assert!(Email::parse("o'brien+examens@exemple.fr").is_ok());
        // One mailbox, one canonical form, however its domain is written.
        let unicode = Email::parse("Zoe@Exémple.fr").unwrap();
        let ascii = Email::parse("zoe@xn--exmple-cva.fr").unwrap();
        assert_eq!(unicode.canonical(), "zoe@xn--exmple-cva.fr");
        assert_eq!(unicode.canonical(), ascii.canonical());
        assert_eq!(unicode.as_typed(), "Zoe@Exémple.fr");
        for bad in [
            "",
            "nom",
            "nom@",
            "@domaine.fr",
            "a b@c.fr",
            "nom@localhost",
            "Nom <a@b.fr>",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad} should be refused");
        }
        let long = format!("{}@exemple.fr", "a".repeat(250));
        assert_eq!(Email::parse(&long), Err(EmailError::TooLong));
    }

    #[test]
    fn a_password_may_not_hold_its_own_address() {
        let email = Email::parse("Jean.Dupont@exemple.fr").unwrap();
        for reused in ["jean.dupont@exemple.fr", "Marie-JEAN.DUPONT-2021"] {
            let why = Password::parse_for(reused, Some(&email)).unwrap_err();
            assert!(why.contains("adresse électronique"), "{reused}: {why}");
        }
        assert!(Password::parse_for("cheval-agrafe-batterie-correcte", Some(&email)).is_ok());
    }

    #[test]
    fn weak_passwords_are_refused_in_french() {
        let short = Password::parse("court", &[]).unwrap_err();
        assert!(short.contains("au moins 12 caractères"), "{short}");
        let common = Password::parse("abcabcabcabc1", &[]).unwrap_err();
        assert!(common.contains("trop faible"), "{common}");
        // « password » is common in France too.
        let english = Password::parse("password1234", &[]).unwrap_err();
        assert!(english.contains("plus courants en France"), "{english}");
        assert!(Password::parse("cheval-agrafe-batterie-correcte", &[]).is_ok());
        // Common in France, which zxcvbn's English dictionaries miss: alone,
        // with digits and symbols after it, in any case.
        for french in [
            "pamplemousse",
            "Marseille2024!",
            "lavieestbelle",
            "MOTDEPASSE1234",
        ] {
            let why = Password::parse(french, &[]).unwrap_err();
            assert!(why.contains("plus courants en France"), "{french}: {why}");
        }
        // A common word inside a longer passphrase is fine.
        assert!(Password::parse("pamplemousse violet sous la pluie", &[]).is_ok());
        assert_eq!(
            format!(
                "{:?}",
                Password::parse("cheval-agrafe-batterie-correcte", &[]).unwrap()
            ),
            "Password(***)"
        );
    }

    #[test]
    fn activation_is_in_time_strictly_before_48_hours() {
        let created = at("2021-10-14T10:00:00Z");
        let deadline = created + ACTIVATION_PERIOD;
        assert!(activation_in_time(
            deadline,
            deadline - Duration::seconds(1)
        ));
        assert!(!activation_in_time(deadline, deadline));
    }

    #[test]
    fn an_account_past_its_activation_deadline_frees_its_address() {
        let deadline = at("2021-10-16T10:00:00Z");
        let before = deadline - Duration::seconds(1);
        let pending = AccountStatus::PendingActivation;
        assert_eq!(
            existing_account(pending, deadline, before),
            ExistingAccount::Pending
        );
        assert_eq!(
            existing_account(pending, deadline, deadline),
            ExistingAccount::Expired
        );
        assert_eq!(
            existing_account(AccountStatus::Active, deadline, deadline),
            ExistingAccount::Active
        );
    }

    #[test]
    fn only_the_latest_link_of_a_pending_account_activates_it_in_time() {
        let deadline = at("2021-10-16T10:00:00Z");
        let before = deadline - Duration::seconds(1);
        let pending = AccountStatus::PendingActivation;
        assert_eq!(activation(pending, true, deadline, before), Ok(()));
        assert_eq!(
            activation(pending, true, deadline, deadline),
            Err(LinkRefusal::Expired)
        );
        // A wrong link says nothing of the deadline; an active account has no link.
        assert_eq!(
            activation(pending, false, deadline, deadline),
            Err(LinkRefusal::Invalid)
        );
        assert_eq!(
            activation(AccountStatus::Active, true, deadline, before),
            Err(LinkRefusal::Invalid)
        );
    }

    #[test]
    fn a_reset_link_works_once_and_for_an_hour() {
        let now = at("2021-10-14T10:00:00Z");
        let expires = Some(now + RESET_PERIOD);
        assert_eq!(password_reset(true, expires, now), Ok(()));
        assert_eq!(
            password_reset(false, expires, now),
            Err(LinkRefusal::Invalid)
        );
        assert_eq!(
            password_reset(true, expires, now + RESET_PERIOD),
            Err(LinkRefusal::Expired)
        );
        assert_eq!(password_reset(true, None, now), Err(LinkRefusal::Expired));
    }

    #[test]
    fn ten_failures_in_fifteen_minutes_lock_for_fifteen_minutes() {
        let now = at("2021-10-14T10:00:00Z");
        let mut guard = LoginGuard::default();
        for i in 0..10 {
            let t = now + Duration::seconds(i);
            assert_eq!(guard.admit(&i.to_string(), t), Ok(()));
            guard.fail(&i.to_string(), t);
        }
        let locked = now + Duration::seconds(9) + LOCKOUT_PERIOD;
        assert_eq!(guard.locked_until, Some(locked));
        assert_eq!(guard.admit("x", now + Duration::minutes(5)), Err(locked));
        // The lock ends, and old failures stop counting.
        assert_eq!(guard.admit("y", locked + Duration::seconds(1)), Ok(()));
        assert!(guard.failures.is_empty());
    }

    #[test]
    fn attempts_in_flight_count_until_settled() {
        let now = at("2021-10-14T10:00:00Z");
        let mut guard = LoginGuard::default();
        // A burst: ten admitted at once, the eleventh waits.
        for i in 0..10 {
            assert_eq!(guard.admit(&i.to_string(), now), Ok(()));
        }
        assert_eq!(guard.admit("late", now), Err(now + ATTEMPT_IN_FLIGHT));
        // One of them had the right password: the others still count.
        guard.succeed("0", now);
        assert_eq!(guard.admit("retry", now), Ok(()));
        assert_eq!(guard.in_flight.len(), 10);
        // Attempts never settled (a process that died) stop counting.
        let later = now + ATTEMPT_IN_FLIGHT + Duration::seconds(1);
        assert_eq!(guard.admit("after", later), Ok(()));
        assert_eq!(guard.in_flight.len(), 1);
    }

    #[test]
    fn a_success_forgets_the_failures_before_it() {
        let now = at("2021-10-14T10:00:00Z");
        let mut guard = LoginGuard::default();
        for i in 0..9 {
            guard.admit(&i.to_string(), now).unwrap();
            guard.fail(&i.to_string(), now);
        }
        guard.admit("ok", now).unwrap();
        guard.succeed("ok", now);
        assert!(guard.is_clear());
    }

    #[test]
    fn three_resends_an_hour() {
        let now = at("2021-10-14T10:00:00Z");
        let mut sends = Vec::new();
        for i in 0..3 {
            sends = resend_allowed(&sends, now + Duration::minutes(i)).unwrap();
        }
        let wait = resend_allowed(&sends, now + Duration::minutes(10)).unwrap_err();
        assert_eq!(wait, 50 * 60);
        assert!(resend_allowed(&sends, now + Duration::minutes(61)).is_ok());
    }
}
