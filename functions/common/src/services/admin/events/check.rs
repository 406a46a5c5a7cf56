//! The checks of single fields, shared by every action's fields.

use super::*;

/// Checks an action's fields once parsed: `mistyped` names those the parser
/// found of the wrong JSON type (and left out).
pub(super) struct Check {
    pub(super) action: Action,
    pub(super) mistyped: Vec<FieldError>,
    /// The staff member acting through the Office API: the actor of the
    /// event, which then may not name one itself.
    pub(super) staff: Option<Actor>,
}

impl Check {
    pub(super) fn is_mistyped(&self, name: &str) -> bool {
        self.mistyped.iter().any(|error| error.field == name)
    }

    /// A text field, trimmed; absent or `null` is `None`; empty is refused.
    pub(super) fn text(&self, name: &str, value: Option<String>) -> AdminResult<Option<String>> {
        if self.is_mistyped(name) {
            return Err(not_text(name));
        }
        match value {
            None => Ok(None),
            Some(text) if text.trim().is_empty() => Err(AdminError::field(
                INVALID_EVENT,
                name,
                format!("Le champ « {name} » ne peut pas être vide."),
            )),
            Some(text) => Ok(Some(text.trim().to_owned())),
        }
    }

    pub(super) fn required(&self, name: &str, value: Option<String>) -> AdminResult<String> {
        self.text(name, value)?.ok_or_else(|| {
            AdminError::field(
                INVALID_EVENT,
                name,
                format!(
                    "Le champ « {name} » est obligatoire pour l'action « {} ».",
                    self.action.name()
                ),
            )
        })
    }

    pub(super) fn actor(&self, value: Option<String>) -> AdminResult<Actor> {
        if let Some(staff) = self.staff_actor(&value)? {
            return Ok(staff);
        }
        let actor = self.required("actor", value)?;
        Self::check_actor(actor)
    }

    /// A read's actor: optional, checked as a change's when given.
    pub(super) fn optional_actor(&self, value: Option<String>) -> AdminResult<Option<Actor>> {
        if let Some(staff) = self.staff_actor(&value)? {
            return Ok(Some(staff));
        }
        self.text("actor", value)?
            .map(Self::check_actor)
            .transpose()
    }

    /// The staff member acting, for an event of the Office API, which names
    /// no `actor` of its own: the token says who acts, and a typed name
    /// beside it would be a second, unverified answer (refused, not
    /// ignored, so that a page sending one learns it at once).
    fn staff_actor(&self, value: &Option<String>) -> AdminResult<Option<Actor>> {
        let Some(staff) = &self.staff else {
            return Ok(None);
        };
        if value.is_some() || self.is_mistyped("actor") {
            return Err(AdminError::field(
                INVALID_EVENT,
                "actor",
                "Le champ « actor » n'est pas accepté ici : l'action est enregistrée au nom de la personne connectée.",
            ));
        }
        Ok(Some(staff.clone()))
    }

    pub(super) fn check_actor(actor: String) -> AdminResult<Actor> {
        if actor.chars().count() > MAX_ACTOR_CHARS || actor.chars().any(char::is_control) {
            return Err(AdminError::field(
                INVALID_EVENT,
                "actor",
                format!("Le champ « actor » nomme l'agent en {MAX_ACTOR_CHARS} caractères au plus, sans retour à la ligne."),
            ));
        }
        if let Some(message) = Actor::refuses_admin_name(&actor) {
            return Err(AdminError::field(INVALID_ACTOR, "actor", message));
        }
        Ok(Actor::Admin(actor))
    }

    pub(super) fn reason(&self, value: Option<String>) -> AdminResult<String> {
        let reason = self.required("reason", value)?;
        if reason.chars().count() > MAX_REASON_CHARS {
            return Err(AdminError::field(
                INVALID_EVENT,
                "reason",
                format!("Le motif tient en {MAX_REASON_CHARS} caractères au plus."),
            ));
        }
        Ok(reason)
    }

    /// A bulk event's addresses: a non-empty array of valid addresses, each
    /// kept once (by its canonical form), at most [`MAX_BULK_EMAILS`].
    pub(super) fn emails(&self, value: Option<Value>) -> AdminResult<Vec<Email>> {
        let refused = |message: String| AdminError::field(INVALID_EVENT, "emails", message);
        let Some(Value::Array(values)) = value else {
            return Err(refused(
                "Le champ « emails » est une liste d'adresses électroniques.".into(),
            ));
        };
        if values.is_empty() || values.len() > MAX_BULK_EMAILS {
            return Err(refused(format!(
                "Le champ « emails » nomme de 1 à {MAX_BULK_EMAILS} adresses."
            )));
        }
        let mut emails: Vec<Email> = Vec::with_capacity(values.len());
        let mut seen = std::collections::HashSet::new();
        for value in values {
            let Value::String(text) = value else {
                return Err(refused(
                    "Chaque élément de « emails » est une adresse électronique (du texte).".into(),
                ));
            };
            let email = Email::parse(text.trim()).map_err(|_| {
                refused(format!(
                    "« {text} » n'est pas une adresse électronique valide."
                ))
            })?;
            if seen.insert(email.canonical().to_owned()) {
                emails.push(email);
            }
        }
        Ok(emails)
    }

    /// The candidate an event names: `email` or `candidate_number`, exactly one.
    pub(super) fn candidate(
        &self,
        email: Option<String>,
        number: Option<String>,
    ) -> AdminResult<CandidateRef> {
        let email = self.text("email", email)?;
        let number = self.text("candidate_number", number)?;
        match (email, number) {
            (Some(text), None) => Email::parse(&text).map(CandidateRef::Email).map_err(|_| {
                AdminError::field(
                    INVALID_EVENT,
                    "email",
                    format!("« {text} » n'est pas une adresse électronique valide."),
                )
            }),
            (None, Some(text)) => self.number(&text).map(CandidateRef::Number),
            (Some(_), Some(_)) => Err(AdminError::field(
                INVALID_EVENT,
                "candidate_number",
                format!(
                    "Désignez le candidat par « email » ou par « candidate_number », pas les deux, pour l'action « {} ».",
                    self.action.name()
                ),
            )),
            (None, None) => Err(AdminError::field(
                INVALID_EVENT,
                "email",
                format!(
                    "Le champ « email » (ou « candidate_number ») est obligatoire pour l'action « {} ».",
                    self.action.name()
                ),
            )),
        }
    }

    pub(super) fn number(&self, text: &str) -> AdminResult<CandidateNumber> {
        CandidateNumber::parse(text).ok_or_else(|| {
            AdminError::field(
                INVALID_EVENT,
                "candidate_number",
                format!("« {text} » n'est pas un numéro de candidat (8 caractères, par exemple K7M2-9QXP)."),
            )
        })
    }

    pub(super) fn date(&self, name: &str, value: Option<String>) -> AdminResult<Option<NaiveDate>> {
        self.text(name, value)?
            .map(|text| {
                NaiveDate::parse_from_str(&text, "%Y-%m-%d").map_err(|_| {
                    AdminError::field(
                        INVALID_EVENT,
                        name,
                        format!(
                            "« {text} » n'est pas une date AAAA-MM-JJ, par exemple 2004-03-21."
                        ),
                    )
                })
            })
            .transpose()
    }

    /// A session to read (`None`: the deployment's): a year.
    pub(super) fn session(&self, value: Option<String>) -> AdminResult<Option<String>> {
        self.text("session", value)?
            .map(|text| {
                if text.len() == 4 && text.chars().all(|c| c.is_ascii_digit()) {
                    Ok(text)
                } else {
                    Err(AdminError::field(
                        INVALID_EVENT,
                        "session",
                        format!("« {text} » n'est pas une session : donnez son année, par exemple 2022."),
                    ))
                }
            })
            .transpose()
    }

    pub(super) fn kind(&self, value: Option<String>) -> AdminResult<PieceKind> {
        let text = self.required("kind", value)?;
        text.parse().map_err(|_| {
            let kinds: Vec<&str> = PieceKind::ALL.iter().map(|k| k.code()).collect();
            AdminError::field(
                INVALID_EVENT,
                "kind",
                format!(
                    "« {text} » n'est pas une sorte de pièce ; sortes possibles : {}.",
                    kinds.join(", ")
                ),
            )
        })
    }

    pub(super) fn until(&self, value: Option<String>) -> AdminResult<DateTime<Utc>> {
        let text = self.required("until", value)?;
        DateTime::parse_from_rfc3339(&text)
            .map(|at| at.with_timezone(&Utc).trunc_subsecs(3))
            .map_err(|_| {
                AdminError::field(
                    INVALID_EVENT,
                    "until",
                    format!("« {text} » n'est pas un instant RFC 3339, par exemple 2021-11-14T23:59:59+01:00."),
                )
            })
    }

    /// A calendar day, `YYYY-MM-DD`.
    pub(super) fn day(&self, name: &str, value: Option<String>) -> AdminResult<NaiveDate> {
        let text = self.required(name, value)?;
        NaiveDate::parse_from_str(&text, "%Y-%m-%d").map_err(|_| {
            AdminError::field(
                INVALID_EVENT,
                name,
                format!("« {text} » n'est pas une date AAAA-MM-JJ, par exemple 2021-11-05."),
            )
        })
    }

    /// An inscription's version, as printed on a confirmation: 1 or more.
    pub(super) fn version(&self, value: Option<u64>) -> AdminResult<Option<u64>> {
        let refused = || {
            AdminError::field(
                INVALID_EVENT,
                "version",
                "Le champ « version » est le numéro de version imprimé sur la confirmation, un nombre entier à partir de 1.",
            )
        };
        if self.is_mistyped("version") {
            return Err(refused());
        }
        match value {
            Some(0) => Err(refused()),
            other => Ok(other),
        }
    }

    pub(super) fn limit(&self, value: Option<u64>) -> AdminResult<usize> {
        let refused = || {
            AdminError::field(
                INVALID_EVENT,
                "limit",
                format!("Le champ « limit » est un nombre entier de 1 à {MAX_LIST_LIMIT}."),
            )
        };
        if self.is_mistyped("limit") {
            return Err(refused());
        }
        match value {
            None => Ok(DEFAULT_LIST_LIMIT),
            Some(n) => usize::try_from(n)
                .ok()
                .filter(|n| (1..=MAX_LIST_LIMIT).contains(n))
                .ok_or_else(refused),
        }
    }

    /// A listing's filter, checked diploma first: a specialty must be in the
    /// catalogue, under the diploma when one is given.
    pub(super) fn filter(
        &self,
        catalogue: &Catalogue,
        diploma: Option<String>,
        specialty: Option<String>,
        status: Option<String>,
    ) -> AdminResult<Filter> {
        let diploma = self.diploma(diploma)?;
        let specialty = self.specialty(catalogue, diploma, specialty)?;
        let status = self.status(status)?;
        Ok(Filter {
            diploma,
            specialty,
            status,
        })
    }

    pub(super) fn diploma(&self, value: Option<String>) -> AdminResult<Option<Diploma>> {
        self.text("diploma", value)?
            .map(|text| {
                text.parse().map_err(|_| {
                    AdminError::field(
                        INVALID_EVENT,
                        "diploma",
                        format!(
                            "Le diplôme « {text} » est inconnu : {}.",
                            Diploma::codes_listed("ou")
                        ),
                    )
                })
            })
            .transpose()
    }

    pub(super) fn status(&self, value: Option<String>) -> AdminResult<Option<InscriptionStatus>> {
        self.text("status", value)?
            .map(|text| {
                InscriptionStatus::parse(&text).ok_or_else(|| {
                    AdminError::field(
                        INVALID_EVENT,
                        "status",
                        format!(
                            "Le statut « {text} » est inconnu : {}.",
                            InscriptionStatus::codes_listed("ou")
                        ),
                    )
                })
            })
            .transpose()
    }

    pub(super) fn specialty(
        &self,
        catalogue: &Catalogue,
        diploma: Option<Diploma>,
        value: Option<String>,
    ) -> AdminResult<Option<String>> {
        let Some(code) = self.text("specialty", value)? else {
            return Ok(None);
        };
        let known = match diploma {
            Some(d) => catalogue.specialty(d, &code).is_some(),
            None => Diploma::ALL
                .into_iter()
                .any(|d| catalogue.specialty(d, &code).is_some()),
        };
        if !known {
            return Err(AdminError::field(
                INVALID_EVENT,
                "specialty",
                format!(
                    "La spécialité « {code} » n'existe pas au catalogue{}.",
                    match diploma {
                        Some(d) => format!(" pour le diplôme {}", d.code()),
                        None => String::new(),
                    }
                ),
            ));
        }
        Ok(Some(code))
    }
}
