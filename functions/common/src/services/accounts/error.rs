//! Why an account request is refused: one kind per refusal, with its stable
//! code and its French wording. The HTTP edge gives each kind its status
//! (`http::accounts`).

use chrono::{DateTime, DurationRound, Utc};

use crate::domain::validation::FieldError;
use crate::error::AppError;
use crate::ports::StoreError;
use crate::wording::to_paris_string;

#[derive(Debug, Clone, PartialEq)]
pub enum AccountRefusal {
    /// The email or the password cannot be kept (`invalid_email`,
    /// `weak_password`): the first field's code names the refusal.
    Fields(Vec<FieldError>),
    /// A wrong address or password, said the same way for both.
    InvalidCredentials,
    NotActivated,
    /// Locked after failed logins, or every try taken by attempts in
    /// flight, until `until`.
    TooManyAttempts {
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    },
    /// The hourly allowance of new activation links is used: `wait` seconds.
    TooManyRequests {
        wait: u64,
    },
    InvalidActivationLink,
    /// Past the 48 hours (the account is deleted, or about to be).
    ActivationExpired {
        deadline: DateTime<Utc>,
    },
    InvalidResetLink,
    ResetLinkExpired,
    InvalidLoginLink,
    /// Past its 15 minutes.
    LoginLinkExpired,
}

impl AccountRefusal {
    /// The stable snake_case code.
    pub fn code(&self) -> &'static str {
        match self {
            AccountRefusal::Fields(errors) => match errors.first().map(|e| e.code.as_str()) {
                Some("invalid_email") => "invalid_email",
                _ => "weak_password",
            },
            AccountRefusal::InvalidCredentials => "invalid_credentials",
            AccountRefusal::NotActivated => "account_not_activated",
            AccountRefusal::TooManyAttempts { .. } => "too_many_attempts",
            AccountRefusal::TooManyRequests { .. } => "too_many_requests",
            AccountRefusal::InvalidActivationLink
            | AccountRefusal::InvalidResetLink
            | AccountRefusal::InvalidLoginLink => "invalid_token",
            AccountRefusal::ActivationExpired { .. } => "activation_expired",
            AccountRefusal::ResetLinkExpired | AccountRefusal::LoginLinkExpired => "token_expired",
        }
    }

    pub fn title(&self) -> &'static str {
        match self {
            AccountRefusal::Fields(_) => "Informations à corriger",
            AccountRefusal::InvalidCredentials => "Identifiants incorrects",
            AccountRefusal::NotActivated => "Compte non activé",
            AccountRefusal::TooManyAttempts { .. } => "Trop de tentatives",
            AccountRefusal::TooManyRequests { .. } => "Trop de demandes",
            AccountRefusal::InvalidActivationLink
            | AccountRefusal::InvalidResetLink
            | AccountRefusal::InvalidLoginLink => "Introuvable",
            AccountRefusal::ActivationExpired { .. } => "Lien d'activation expiré",
            AccountRefusal::ResetLinkExpired | AccountRefusal::LoginLinkExpired => "Lien expiré",
        }
    }

    /// What the candidate is told, in French.
    pub fn detail(&self) -> String {
        match self {
            AccountRefusal::Fields(errors) => errors
                .iter()
                .map(|e| e.message.clone())
                .collect::<Vec<_>>()
                .join(" "),
            AccountRefusal::InvalidCredentials => {
                "L'adresse électronique ou le mot de passe est incorrect.".into()
            }
            AccountRefusal::NotActivated => "Votre compte n'est pas encore activé : ouvrez le lien reçu par courriel, ou demandez-en un nouveau.".into(),
            AccountRefusal::TooManyAttempts { until, now } => too_many_attempts(*until, *now),
            AccountRefusal::TooManyRequests { wait } => format!(
                "Vous avez demandé trop de liens en une heure. Réessayez dans {}.",
                minutes_fr(wait.div_ceil(60))
            ),
            AccountRefusal::InvalidActivationLink => "Ce lien d'activation n'est pas valide ou a déjà servi. Si votre compte n'est pas encore activé, demandez un nouveau lien.".into(),
            AccountRefusal::ActivationExpired { deadline } => format!(
                "Le délai de 48 heures pour activer votre compte a expiré le {} (heure de Paris). Votre compte a été ou va être supprimé : créez-en un nouveau avec la même adresse.",
                to_paris_string(*deadline)
            ),
            AccountRefusal::InvalidResetLink => "Ce lien de réinitialisation n'est pas valide ou a déjà servi. Demandez-en un nouveau.".into(),
            AccountRefusal::ResetLinkExpired => "Ce lien de réinitialisation a expiré (il est valable une heure). Demandez-en un nouveau.".into(),
            AccountRefusal::InvalidLoginLink => "Ce lien de connexion n'est pas valide ou a déjà servi. Demandez-en un nouveau, ou connectez-vous avec votre mot de passe.".into(),
            AccountRefusal::LoginLinkExpired => "Ce lien de connexion a expiré (il est valable 15 minutes). Demandez-en un nouveau.".into(),
        }
    }

    /// Seconds to wait before trying again, for the refusals that pass.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            AccountRefusal::TooManyAttempts { until, now } => {
                Some(u64::try_from((*until - *now).num_seconds().max(1)).unwrap_or(1))
            }
            AccountRefusal::TooManyRequests { wait } => Some(*wait),
            _ => None,
        }
    }

    /// The fields to correct, for [`AccountRefusal::Fields`].
    pub fn into_field_errors(self) -> Vec<FieldError> {
        match self {
            AccountRefusal::Fields(errors) => errors,
            _ => Vec::new(),
        }
    }
}

/// « 1 minute », « 12 minutes ».
fn minutes_fr(minutes: u64) -> String {
    if minutes <= 1 {
        "1 minute".into()
    } else {
        format!("{minutes} minutes")
    }
}

fn too_many_attempts(until: DateTime<Utc>, now: DateTime<Utc>) -> String {
    if until - now > chrono::Duration::minutes(1) {
        // Said to the minute, rounded up: trying again at that minute works.
        let minute = chrono::Duration::minutes(1);
        let at = match until.duration_trunc(minute) {
            Ok(start) if start < until => start + minute,
            _ => until,
        };
        format!(
            "Trop de tentatives de connexion ont échoué. Par sécurité, réessayez à partir du {} (heure de Paris).",
            to_paris_string(at)
        )
    } else {
        "Trop de tentatives de connexion en même temps pour cette adresse : réessayez dans quelques secondes.".to_owned()
    }
}

/// An account request's error: a refusal the candidate can act on, or a
/// failure of the service.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("{}: {}", .0.code(), .0.detail())]
    Refused(AccountRefusal),
    #[error(transparent)]
    Failed(#[from] AppError),
}

pub type AccountResult<T> = Result<T, AccountError>;

impl From<AccountRefusal> for AccountError {
    fn from(refusal: AccountRefusal) -> Self {
        AccountError::Refused(refusal)
    }
}

impl From<StoreError> for AccountError {
    fn from(error: StoreError) -> Self {
        AccountError::Failed(error.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lockout_names_the_first_minute_a_new_try_works() {
        let now: DateTime<Utc> = "2021-10-14T08:00:40Z".parse().unwrap();
        let detail = |until: &str| {
            AccountRefusal::TooManyAttempts {
                until: until.parse().unwrap(),
                now,
            }
            .detail()
        };
        // 10:15:40 in Paris: trying at 10 h 15 would still be refused.
        assert!(detail("2021-10-14T08:15:40Z").contains("à 10 h 16"));
        assert!(detail("2021-10-14T08:15:00Z").contains("à 10 h 15"));
        // A burst in flight: a few seconds.
        assert!(detail("2021-10-14T08:00:41Z").contains("quelques secondes"));
    }

    #[test]
    fn waits_are_said_in_whole_minutes_and_given_in_seconds() {
        let refusal = AccountRefusal::TooManyRequests { wait: 61 };
        assert!(refusal.detail().ends_with("Réessayez dans 2 minutes."));
        assert_eq!(refusal.retry_after(), Some(61));
        let soon = AccountRefusal::TooManyRequests { wait: 30 };
        assert!(soon.detail().ends_with("Réessayez dans 1 minute."));
    }

    #[test]
    fn a_field_refusal_is_named_by_its_first_field() {
        let email = FieldError::new("email", "invalid_email", "Adresse invalide.");
        let password = FieldError::new("password", "weak_password", "Trop court.");
        let both = AccountRefusal::Fields(vec![email, password.clone()]);
        assert_eq!(both.code(), "invalid_email");
        assert_eq!(both.detail(), "Adresse invalide. Trop court.");
        assert_eq!(
            AccountRefusal::Fields(vec![password]).code(),
            "weak_password"
        );
    }
}
