//! Each action's fields as JSON gives them, and their checks in the order
//! each action reads them.

use super::*;

// ---------------------------------------------------------------------------
// Each action's fields, as JSON gives them. Their fields are declared in the
// order the refusal of an unknown field lists them.
// ---------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ListFields {
    actor: Option<String>,
    session: Option<String>,
    diploma: Option<String>,
    specialty: Option<String>,
    status: Option<String>,
    cursor: Option<String>,
    limit: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct GetFields {
    actor: Option<String>,
    email: Option<String>,
    candidate_number: Option<String>,
    session: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ValidatePieceFields {
    actor: Option<String>,
    email: Option<String>,
    candidate_number: Option<String>,
    kind: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RejectPieceFields {
    actor: Option<String>,
    email: Option<String>,
    candidate_number: Option<String>,
    kind: Option<String>,
    reason: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ExtendDeadlineFields {
    actor: Option<String>,
    email: Option<String>,
    candidate_number: Option<String>,
    /// Any JSON: checked to be an array of addresses.
    emails: Option<Value>,
    diploma: Option<String>,
    specialty: Option<String>,
    until: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ExportFields {
    actor: Option<String>,
    diploma: Option<String>,
    specialty: Option<String>,
    status: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RecordPieceFields {
    actor: Option<String>,
    email: Option<String>,
    candidate_number: Option<String>,
    kind: Option<String>,
    postmarked_on: Option<String>,
    version: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SearchFields {
    actor: Option<String>,
    name: Option<String>,
    birth_date: Option<String>,
    candidate_number: Option<String>,
    session: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RecheckFields {
    actor: Option<String>,
    email: Option<String>,
    candidate_number: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct HoldFields {
    actor: Option<String>,
    email: Option<String>,
    candidate_number: Option<String>,
    reason: Option<String>,
    session: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ReleaseHoldFields {
    actor: Option<String>,
    email: Option<String>,
    candidate_number: Option<String>,
    session: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PurgeFields {
    actor: Option<String>,
    session: Option<String>,
    dry_run: Option<bool>,
    cursor: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ValidateDossierFields {
    actor: Option<String>,
    email: Option<String>,
    candidate_number: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct StatsFields {
    actor: Option<String>,
    diploma: Option<String>,
    session: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CorrectFields {
    actor: Option<String>,
    email: Option<String>,
    candidate_number: Option<String>,
    identity: Option<IdentityInput>,
    reason: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct WithdrawFields {
    actor: Option<String>,
    email: Option<String>,
    candidate_number: Option<String>,
    reason: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ReopenFields {
    actor: Option<String>,
    email: Option<String>,
    candidate_number: Option<String>,
    until: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PieceLinkFields {
    actor: Option<String>,
    email: Option<String>,
    candidate_number: Option<String>,
    kind: Option<String>,
    file: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FailedMailsFields {
    actor: Option<String>,
    session: Option<String>,
}

/// Reads `fields` as `T` with the API's strict parser: `T` (a mistyped value
/// left out) and what checks the rest, or the refusal of an unknown field.
pub(super) fn read<T: DeserializeOwned>(
    action: Action,
    fields: Value,
    staff: Option<&Actor>,
) -> AdminResult<(T, Check)> {
    match json::parse_value::<T>(fields) {
        Ok(Parsed { value, errors }) => Ok((
            value,
            Check {
                action,
                mistyped: errors,
                staff: staff.cloned(),
            },
        )),
        Err(refusal) => Err(unreadable(action, serde_names::<T>(), refusal)),
    }
}

/// The refusal of fields the parser could not read into the action's
/// struct: the first unknown field met.
pub(super) fn unreadable(action: Action, allowed: &[&str], refusal: AppError) -> AdminError {
    let AppError::Refused { errors, .. } = &refusal else {
        return refusal.into();
    };
    // Every field is optional and any JSON value fits a mistyped one's
    // place, so only an unknown field keeps the struct from being read.
    let Some(error) = errors.iter().find(|error| error.code == UNKNOWN_FIELD) else {
        return refusal.into();
    };
    let field = error.field.as_str();
    let expected = if allowed.is_empty() {
        "aucun autre champ".to_owned()
    } else {
        format!("champs possibles : {}", allowed.join(", "))
    };
    AdminError::field(
        INVALID_EVENT,
        field,
        format!(
            "Le champ « {field} » n'est pas attendu pour l'action « {} » ({expected}).",
            action.name()
        ),
    )
}

pub(super) fn not_text(field: &str) -> AdminError {
    AdminError::field(
        INVALID_EVENT,
        field,
        format!("Le champ « {field} » doit être une chaîne de caractères."),
    )
}

// ---------------------------------------------------------------------------
// Checking the fields, in the order each action reads them
// ---------------------------------------------------------------------------

impl ListFields {
    pub(super) fn check(self, check: &Check, catalogue: &Catalogue) -> AdminResult<ListEvent> {
        let actor = check.optional_actor(self.actor)?;
        let session = check.session(self.session)?;
        let filter = check.filter(catalogue, self.diploma, self.specialty, self.status)?;
        let limit = check.limit(self.limit)?;
        let cursor = check.text("cursor", self.cursor)?;
        Ok(ListEvent {
            actor,
            session,
            filter,
            limit,
            cursor,
        })
    }
}

impl GetFields {
    pub(super) fn check(self, check: &Check) -> AdminResult<GetEvent> {
        Ok(GetEvent {
            actor: check.optional_actor(self.actor)?,
            candidate: check.candidate(self.email, self.candidate_number)?,
            session: check.session(self.session)?,
        })
    }
}

impl ValidatePieceFields {
    pub(super) fn check(self, check: &Check) -> AdminResult<ValidatePieceEvent> {
        Ok(ValidatePieceEvent {
            actor: check.actor(self.actor)?,
            candidate: check.candidate(self.email, self.candidate_number)?,
            kind: check.kind(self.kind)?,
        })
    }
}

impl RejectPieceFields {
    pub(super) fn check(self, check: &Check) -> AdminResult<RejectPieceEvent> {
        let actor = check.actor(self.actor)?;
        let candidate = check.candidate(self.email, self.candidate_number)?;
        let kind = check.kind(self.kind)?;
        let reason = check.reason(self.reason)?;
        Ok(RejectPieceEvent {
            actor,
            candidate,
            kind,
            reason,
        })
    }
}

impl ExtendDeadlineFields {
    /// One candidate (`email`): today's event; several (`emails`, or a
    /// `diploma` and maybe a `specialty`): a bulk job. Exactly one form.
    pub(super) fn check(self, check: &Check, catalogue: &Catalogue) -> AdminResult<AdminEvent> {
        let actor = check.actor(self.actor)?;
        let given = [
            self.email.is_some()
                || self.candidate_number.is_some()
                || check.is_mistyped("email")
                || check.is_mistyped("candidate_number"),
            self.emails.as_ref().is_some_and(|v| !v.is_null()),
            self.diploma.is_some() || self.specialty.is_some() || check.is_mistyped("diploma"),
        ];
        match given {
            [true, false, false] => Ok(AdminEvent::ExtendDeadline(ExtendDeadlineEvent {
                actor,
                candidate: check.candidate(self.email, self.candidate_number)?,
                until: check.until(self.until)?,
            })),
            [false, true, false] => {
                let emails = check.emails(self.emails)?;
                Ok(AdminEvent::BulkExtendDeadline(BulkExtendEvent {
                    actor,
                    targets: BulkTargets::Emails(emails),
                    until: check.until(self.until)?,
                }))
            }
            [false, false, true] => {
                let filter = check.filter(catalogue, self.diploma, self.specialty, None)?;
                let Some(diploma) = filter.diploma else {
                    return Err(AdminError::field(
                        INVALID_EVENT,
                        "diploma",
                        "Le champ « diploma » est obligatoire pour prolonger toute une spécialité.",
                    ));
                };
                Ok(AdminEvent::BulkExtendDeadline(BulkExtendEvent {
                    actor,
                    targets: BulkTargets::Diploma {
                        diploma,
                        specialty: filter.specialty,
                    },
                    until: check.until(self.until)?,
                }))
            }
            _ => Err(AdminError::field(
                INVALID_EVENT,
                "email",
                "Nommez les candidats d'une seule façon : « email » ou « candidate_number » (un candidat), « emails » (une liste) ou « diploma » (et « specialty »).",
            )),
        }
    }
}

impl RecheckFields {
    pub(super) fn check(self, check: &Check) -> AdminResult<RecheckEvent> {
        Ok(RecheckEvent {
            actor: check.actor(self.actor)?,
            candidate: check.candidate(self.email, self.candidate_number)?,
        })
    }
}

impl HoldFields {
    pub(super) fn check(self, check: &Check) -> AdminResult<HoldEvent> {
        Ok(HoldEvent {
            actor: check.actor(self.actor)?,
            candidate: check.candidate(self.email, self.candidate_number)?,
            reason: check.reason(self.reason)?,
            session: check.session(self.session)?,
        })
    }
}

impl ReleaseHoldFields {
    pub(super) fn check(self, check: &Check) -> AdminResult<ReleaseHoldEvent> {
        Ok(ReleaseHoldEvent {
            actor: check.actor(self.actor)?,
            candidate: check.candidate(self.email, self.candidate_number)?,
            session: check.session(self.session)?,
        })
    }
}

impl PurgeFields {
    pub(super) fn check(self, check: &Check) -> AdminResult<PurgeEvent> {
        let actor = check.actor(self.actor)?;
        let session = check.session(self.session)?.ok_or_else(|| {
            AdminError::field(
                INVALID_EVENT,
                "session",
                "Le champ « session » est obligatoire pour l'action « purge » : nommez la session à purger, par exemple 2022.",
            )
        })?;
        if check.is_mistyped("dry_run") {
            return Err(AdminError::field(
                INVALID_EVENT,
                "dry_run",
                "Le champ « dry_run » vaut true (compter sans rien supprimer) ou false.",
            ));
        }
        let dry_run = self.dry_run.unwrap_or(false);
        let cursor = check.text("cursor", self.cursor)?;
        if cursor.is_some() && !dry_run {
            return Err(AdminError::field(
                INVALID_EVENT,
                "cursor",
                "Le champ « cursor » ne sert qu'à poursuivre un essai (dry_run) : une purge reprend d'elle-même où elle s'était arrêtée.",
            ));
        }
        Ok(PurgeEvent {
            actor,
            session,
            dry_run,
            cursor,
        })
    }
}

impl ValidateDossierFields {
    pub(super) fn check(self, check: &Check) -> AdminResult<ValidateDossierEvent> {
        Ok(ValidateDossierEvent {
            actor: check.actor(self.actor)?,
            candidate: check.candidate(self.email, self.candidate_number)?,
        })
    }
}

impl CorrectFields {
    pub(super) fn check(self, check: &Check) -> AdminResult<CorrectEvent> {
        let actor = check.actor(self.actor)?;
        let candidate = check.candidate(self.email, self.candidate_number)?;
        if check.is_mistyped("identity") {
            return Err(AdminError::field(
                INVALID_EVENT,
                "identity",
                "Le champ « identity » est un objet, comme dans PUT /inscription.",
            ));
        }
        let identity = self.identity.ok_or_else(|| {
            AdminError::field(
                INVALID_EVENT,
                "identity",
                "Le champ « identity » est obligatoire pour l'action « correct » : l'identité entière, comme dans PUT /inscription.",
            )
        })?;
        let type_errors = check
            .mistyped
            .iter()
            .filter(|error| error.field.starts_with("identity."))
            .cloned()
            .collect();
        Ok(CorrectEvent {
            actor,
            candidate,
            identity: Box::new(identity),
            type_errors,
            reason: check.reason(self.reason)?,
        })
    }
}

impl WithdrawFields {
    pub(super) fn check(self, check: &Check) -> AdminResult<WithdrawEvent> {
        Ok(WithdrawEvent {
            actor: check.actor(self.actor)?,
            candidate: check.candidate(self.email, self.candidate_number)?,
            reason: check.reason(self.reason)?,
        })
    }
}

impl ReopenFields {
    pub(super) fn check(self, check: &Check) -> AdminResult<ReopenEvent> {
        let actor = check.actor(self.actor)?;
        let candidate = check.candidate(self.email, self.candidate_number)?;
        let until = match self.until {
            None if !check.is_mistyped("until") => None,
            until => Some(check.until(until)?),
        };
        Ok(ReopenEvent {
            actor,
            candidate,
            until,
        })
    }
}

impl ExportFields {
    pub(super) fn check(self, check: &Check, catalogue: &Catalogue) -> AdminResult<ExportEvent> {
        let actor = check.actor(self.actor)?;
        let filter = check.filter(catalogue, self.diploma, self.specialty, self.status)?;
        Ok(ExportEvent { actor, filter })
    }
}

impl RecordPieceFields {
    pub(super) fn check(self, check: &Check) -> AdminResult<RecordPieceEvent> {
        Ok(RecordPieceEvent {
            actor: check.actor(self.actor)?,
            candidate: check.candidate(self.email, self.candidate_number)?,
            kind: check.kind(self.kind)?,
            postmarked_on: check.day("postmarked_on", self.postmarked_on)?,
            version: check.version(self.version)?,
        })
    }
}

impl PieceLinkFields {
    pub(super) fn check(self, check: &Check) -> AdminResult<PieceLinkEvent> {
        Ok(PieceLinkEvent {
            actor: check.optional_actor(self.actor)?,
            candidate: check.candidate(self.email, self.candidate_number)?,
            kind: check.kind(self.kind)?,
            file: check.text("file", self.file)?,
        })
    }
}

impl SearchFields {
    pub(super) fn check(self, check: &Check) -> AdminResult<SearchEvent> {
        let actor = check.optional_actor(self.actor)?;
        let name = check.text("name", self.name)?;
        let birth_date = check.date("birth_date", self.birth_date)?;
        let candidate_number = check
            .text("candidate_number", self.candidate_number)?
            .map(|text| check.number(&text))
            .transpose()?;
        let session = check.session(self.session)?;
        if name.is_none() && birth_date.is_none() && candidate_number.is_none() {
            return Err(AdminError::new(
                INVALID_EVENT,
                "L'action « search » cherche par « name » (le début du nom ou d'un prénom), « birth_date » (AAAA-MM-JJ) ou « candidate_number » : donnez-en au moins un.",
            ));
        }
        if name
            .as_deref()
            .is_some_and(|name| search::fold(name).is_empty())
        {
            return Err(AdminError::field(
                INVALID_EVENT,
                "name",
                "Le champ « name » doit contenir au moins une lettre ou un chiffre.",
            ));
        }
        Ok(SearchEvent {
            actor,
            name,
            birth_date,
            candidate_number,
            session,
        })
    }
}

impl StatsFields {
    pub(super) fn check(self, check: &Check) -> AdminResult<StatsEvent> {
        Ok(StatsEvent {
            actor: check.optional_actor(self.actor)?,
            diploma: check.diploma(self.diploma)?,
            session: check.session(self.session)?,
        })
    }
}

impl FailedMailsFields {
    pub(super) fn check(self, check: &Check) -> AdminResult<FailedMailsEvent> {
        Ok(FailedMailsEvent {
            actor: check.optional_actor(self.actor)?,
            session: check.session(self.session)?,
        })
    }
}
