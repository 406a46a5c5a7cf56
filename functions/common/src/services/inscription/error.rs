//! Why a request on the candidate's inscription is refused: one kind per
//! refusal, with its stable code and its French wording. The HTTP edge gives
//! each kind its status (`http::inscription`).

use crate::domain::validation::FieldError;
use crate::domain::Diploma;
use crate::error::AppError;
use crate::ports::StoreError;

/// Said by every dossier service when the caller has no inscription yet.
pub(crate) const NO_INSCRIPTION: &str = "Vous n'avez pas encore d'inscription pour cette session : remplissez le formulaire « M'inscrire ».";

#[derive(Debug, Clone, PartialEq)]
pub enum InscriptionRefusal {
    /// The caller has no inscription in the current session.
    NoInscription,
    /// Fields to correct (every one at once).
    Invalid(Vec<FieldError>),
    /// The diploma's registration window is not open: not yet (`upcoming`)
    /// or no longer; `range_fr` says when it is, in French.
    RegistrationClosed {
        diploma: Diploma,
        upcoming: bool,
        range_fr: String,
    },
    /// The inscription is not at the version the candidate read (`None`:
    /// there is none yet).
    VersionConflict { current: Option<u64> },
    /// Changed by someone else during the request, every retry included.
    ChangedMeanwhile,
}

impl InscriptionRefusal {
    /// The stable snake_case code.
    pub fn code(&self) -> &'static str {
        match self {
            InscriptionRefusal::NoInscription => "no_inscription",
            InscriptionRefusal::Invalid(_) => "validation_failed",
            InscriptionRefusal::RegistrationClosed { .. } => "registration_closed",
            InscriptionRefusal::VersionConflict { .. } => "version_conflict",
            InscriptionRefusal::ChangedMeanwhile => "conflict",
        }
    }

    pub fn title(&self) -> &'static str {
        match self {
            InscriptionRefusal::NoInscription => "Introuvable",
            InscriptionRefusal::Invalid(_) => "Certaines informations sont invalides",
            InscriptionRefusal::RegistrationClosed { upcoming: true, .. } => {
                "Inscriptions pas encore ouvertes"
            }
            InscriptionRefusal::RegistrationClosed { .. } => "Inscriptions closes",
            InscriptionRefusal::VersionConflict { .. } | InscriptionRefusal::ChangedMeanwhile => {
                "Inscription modifiée entre-temps"
            }
        }
    }

    /// What the candidate is told, in French.
    pub fn detail(&self) -> String {
        match self {
            InscriptionRefusal::NoInscription => NO_INSCRIPTION.to_owned(),
            // The edge words it with the fields (`AppError::validation`).
            InscriptionRefusal::Invalid(errors) => AppError::validation(errors.clone()).message(),
            InscriptionRefusal::RegistrationClosed {
                diploma,
                upcoming,
                range_fr,
            } => {
                // « en » fits every diploma (« en mention complémentaire »,
                // « en CAP »), where « au » does not.
                let (when, were) = if *upcoming {
                    ("ne sont pas encore ouvertes", "seront ouvertes")
                } else {
                    ("sont closes", "étaient ouvertes")
                };
                format!(
                    "Les inscriptions en {} {when} : elles {were} {range_fr} (heure de Paris). Aucune modification ne peut être prise en compte en dehors de cette période.",
                    diploma.label().to_lowercase(),
                )
            }
            InscriptionRefusal::VersionConflict { current: Some(v) } => format!(
                "Votre inscription a été modifiée entre-temps (elle est maintenant à la version {v}). Rechargez-la, puis refaites vos changements."
            ),
            InscriptionRefusal::VersionConflict { current: None } => {
                "Vous n'avez pas encore d'inscription : envoyez la version 0 pour la créer.".into()
            }
            InscriptionRefusal::ChangedMeanwhile => {
                "Votre inscription a été modifiée pendant votre demande. Réessayez.".into()
            }
        }
    }
}

/// A request's error: a refusal the candidate can act on, or a failure of
/// the service (an unauthenticated caller among them, said by
/// `services::sessions`).
#[derive(Debug, thiserror::Error)]
pub enum InscriptionError {
    #[error("{}: {}", .0.code(), .0.detail())]
    Refused(InscriptionRefusal),
    #[error(transparent)]
    Failed(#[from] AppError),
}

pub type InscriptionResult<T> = Result<T, InscriptionError>;

impl InscriptionError {
    /// The stable code, refusal or failure.
    pub fn code(&self) -> &'static str {
        match self {
            InscriptionError::Refused(refusal) => refusal.code(),
            InscriptionError::Failed(error) => error.code(),
        }
    }
}

impl From<InscriptionRefusal> for InscriptionError {
    fn from(refusal: InscriptionRefusal) -> Self {
        InscriptionError::Refused(refusal)
    }
}

impl From<StoreError> for InscriptionError {
    fn from(error: StoreError) -> Self {
        InscriptionError::Failed(error.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_closed_window_says_whether_it_opens_later_or_closed() {
        let refusal = |upcoming| InscriptionRefusal::RegistrationClosed {
            diploma: Diploma::Cap,
            upcoming,
            range_fr: "du 1er au 30 octobre".into(),
        };
        let later = refusal(true).detail();
        assert!(later.starts_with(
            "Les inscriptions en certificat d'aptitude professionnelle ne sont pas encore ouvertes"
        ));
        assert!(later.contains("elles seront ouvertes du 1er au 30 octobre (heure de Paris)"));
        assert_eq!(refusal(true).title(), "Inscriptions pas encore ouvertes");
        let closed = refusal(false).detail();
        assert!(closed.contains(" sont closes : elles étaient ouvertes du 1er"));
        assert_eq!(refusal(false).title(), "Inscriptions closes");
        let mc = InscriptionRefusal::RegistrationClosed {
            diploma: Diploma::Mc,
            upcoming: false,
            range_fr: String::new(),
        };
        assert!(mc
            .detail()
            .starts_with("Les inscriptions en mention complémentaire"));
        assert_eq!(refusal(false).code(), "registration_closed");
    }

    #[test]
    fn a_version_conflict_names_the_version_to_reload() {
        let now = InscriptionRefusal::VersionConflict { current: Some(4) };
        assert!(now.detail().contains("à la version 4"));
        let none = InscriptionRefusal::VersionConflict { current: None };
        assert!(none.detail().contains("envoyez la version 0"));
        let error = InscriptionError::from(none);
        assert_eq!(error.code(), "version_conflict");
    }
}
