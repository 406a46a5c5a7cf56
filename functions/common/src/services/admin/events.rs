//! The admin events, typed: [`AdminEvent`], one variant per [`Action`], each
//! with its fields checked and converted (an address into an [`Email`], a
//! piece kind into a [`PieceKind`]...).
//!
//! An event is read in two steps. Its fields' JSON shape goes through the
//! API's strict parser ([`json::parse_value`]) into the action's `*Fields`
//! struct (every field optional text, or number): an unknown field or a
//! value of the wrong JSON type is found there. Then the fields are checked
//! one by one, in the order the action reads them (a missing one, an empty
//! text, an unknown diploma...). The first problem met is the answer, with a
//! stable code, the field it concerns and a French message; the lists the
//! messages give (the actions, an action's fields) come from the types.

use chrono::{DateTime, SubsecRound, Utc};
use serde::de::value::{Error as ValueError, StrDeserializer};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;

use super::{AdminError, AdminResult};
use crate::catalogue::Catalogue;
use crate::domain::account::Email;
use crate::domain::dossier::InscriptionStatus;
use crate::domain::pieces::PieceKind;
use crate::domain::Diploma;
use crate::error::AppError;
use crate::http::json::{self, serde_names, Parsed, UNKNOWN_FIELD};

/// `list`'s page size, by default and at most.
pub const DEFAULT_LIST_LIMIT: usize = 50;
pub const MAX_LIST_LIMIT: usize = 500;
const MAX_ACTOR_CHARS: usize = 100;
const MAX_REASON_CHARS: usize = 1000;

/// The refusals of an event that cannot be read.
const INVALID_EVENT: &str = "invalid_event";
const UNKNOWN_ACTION: &str = "unknown_action";

/// What an event asks, as its `action` field names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    List,
    Get,
    ValidatePiece,
    RejectPiece,
    ExtendDeadline,
    Export,
}

impl Action {
    /// Every action's name, in the enum's order.
    pub fn names() -> &'static [&'static str] {
        serde_names::<Action>()
    }

    /// The action's name, as events write it.
    pub fn name(self) -> &'static str {
        // The variants are numbered in declaration order, as serde lists them.
        Self::names()[self as usize]
    }

    /// The action named `name`, if there is one.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::deserialize(StrDeserializer::<ValueError>::new(name)).ok()
    }
}

/// An admin event, read and checked.
#[derive(Debug, Clone, PartialEq)]
pub enum AdminEvent {
    List(ListEvent),
    Get(GetEvent),
    ValidatePiece(ValidatePieceEvent),
    RejectPiece(RejectPieceEvent),
    ExtendDeadline(ExtendDeadlineEvent),
    Export(ExportEvent),
}

/// Which inscriptions `list` and `export` take.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub diploma: Option<Diploma>,
    /// A specialty of the catalogue (of `diploma`, when given).
    pub specialty: Option<String>,
    pub status: Option<InscriptionStatus>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListEvent {
    pub filter: Filter,
    /// 1 to [`MAX_LIST_LIMIT`].
    pub limit: usize,
    pub cursor: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetEvent {
    pub email: Email,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidatePieceEvent {
    pub actor: String,
    pub email: Email,
    pub kind: PieceKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectPieceEvent {
    pub actor: String,
    pub email: Email,
    pub kind: PieceKind,
    /// At most [`MAX_REASON_CHARS`] characters.
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtendDeadlineEvent {
    pub actor: String,
    pub email: Email,
    /// Whole milliseconds.
    pub until: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportEvent {
    pub actor: String,
    pub filter: Filter,
}

impl AdminEvent {
    /// Reads `event`; `catalogue` knows the specialties a filter may name.
    pub fn parse(event: Value, catalogue: &Catalogue) -> AdminResult<Self> {
        let Value::Object(mut fields) = event else {
            return Err(AdminError::new(
                INVALID_EVENT,
                "L'évènement doit être un objet JSON, par exemple {\"action\": \"list\"}.",
            ));
        };
        let action = match fields.remove("action") {
            Some(Value::String(action)) => action,
            Some(_) => {
                return Err(AdminError::field(
                    INVALID_EVENT,
                    "action",
                    "Le champ « action » doit être une chaîne de caractères.",
                ))
            }
            None => {
                return Err(AdminError::field(
                    INVALID_EVENT,
                    "action",
                    format!("Le champ « action » est obligatoire : {}.", action_names()),
                ))
            }
        };
        let Some(action) = Action::from_name(&action) else {
            return Err(AdminError::field(
                UNKNOWN_ACTION,
                "action",
                format!("L'action « {action} » n'existe pas : {}.", action_names()),
            ));
        };
        let fields = Value::Object(fields);
        Ok(match action {
            Action::List => {
                let (fields, check) = read::<ListFields>(action, fields)?;
                Self::List(fields.check(&check, catalogue)?)
            }
            Action::Get => {
                let (fields, check) = read::<GetFields>(action, fields)?;
                Self::Get(fields.check(&check)?)
            }
            Action::ValidatePiece => {
                let (fields, check) = read::<ValidatePieceFields>(action, fields)?;
                Self::ValidatePiece(fields.check(&check)?)
            }
            Action::RejectPiece => {
                let (fields, check) = read::<RejectPieceFields>(action, fields)?;
                Self::RejectPiece(fields.check(&check)?)
            }
            Action::ExtendDeadline => {
                let (fields, check) = read::<ExtendDeadlineFields>(action, fields)?;
                Self::ExtendDeadline(fields.check(&check)?)
            }
            Action::Export => {
                let (fields, check) = read::<ExportFields>(action, fields)?;
                Self::Export(fields.check(&check, catalogue)?)
            }
        })
    }

    pub fn action(&self) -> Action {
        match self {
            Self::List(_) => Action::List,
            Self::Get(_) => Action::Get,
            Self::ValidatePiece(_) => Action::ValidatePiece,
            Self::RejectPiece(_) => Action::RejectPiece,
            Self::ExtendDeadline(_) => Action::ExtendDeadline,
            Self::Export(_) => Action::Export,
        }
    }
}

fn action_names() -> String {
    let names: Vec<String> = Action::names()
        .iter()
        .map(|name| format!("« {name} »"))
        .collect();
    format!("les actions possibles sont {}", names.join(", "))
}

// ---------------------------------------------------------------------------
// Each action's fields, as JSON gives them. Their fields are declared in the
// order the refusal of an unknown field lists them.
// ---------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListFields {
    diploma: Option<String>,
    specialty: Option<String>,
    status: Option<String>,
    cursor: Option<String>,
    limit: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GetFields {
    email: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ValidatePieceFields {
    actor: Option<String>,
    email: Option<String>,
    kind: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RejectPieceFields {
    actor: Option<String>,
    email: Option<String>,
    kind: Option<String>,
    reason: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExtendDeadlineFields {
    actor: Option<String>,
    email: Option<String>,
    until: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExportFields {
    actor: Option<String>,
    diploma: Option<String>,
    specialty: Option<String>,
    status: Option<String>,
}

/// Reads `fields` as `T` with the API's strict parser: `T` (a mistyped value
/// left out) and what checks the rest, or the refusal of an unknown field.
fn read<T: DeserializeOwned>(action: Action, fields: Value) -> AdminResult<(T, Check)> {
    match json::parse_value::<T>(fields) {
        Ok(Parsed { value, errors }) => Ok((
            value,
            Check {
                action,
                mistyped: errors.into_iter().map(|error| error.field).collect(),
            },
        )),
        Err(refusal) => Err(unreadable(action, serde_names::<T>(), refusal)),
    }
}

/// The refusal of fields the parser could not read into the action's
/// struct: the first unknown field met.
fn unreadable(action: Action, allowed: &[&str], refusal: AppError) -> AdminError {
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

fn not_text(field: &str) -> AdminError {
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
    fn check(self, check: &Check, catalogue: &Catalogue) -> AdminResult<ListEvent> {
        let filter = check.filter(catalogue, self.diploma, self.specialty, self.status)?;
        let limit = check.limit(self.limit)?;
        let cursor = check.text("cursor", self.cursor)?;
        Ok(ListEvent {
            filter,
            limit,
            cursor,
        })
    }
}

impl GetFields {
    fn check(self, check: &Check) -> AdminResult<GetEvent> {
        Ok(GetEvent {
            email: check.email(self.email)?,
        })
    }
}

impl ValidatePieceFields {
    fn check(self, check: &Check) -> AdminResult<ValidatePieceEvent> {
        Ok(ValidatePieceEvent {
            actor: check.actor(self.actor)?,
            email: check.email(self.email)?,
            kind: check.kind(self.kind)?,
        })
    }
}

impl RejectPieceFields {
    fn check(self, check: &Check) -> AdminResult<RejectPieceEvent> {
        let actor = check.actor(self.actor)?;
        let email = check.email(self.email)?;
        let kind = check.kind(self.kind)?;
        let reason = check.required("reason", self.reason)?;
        if reason.chars().count() > MAX_REASON_CHARS {
            return Err(AdminError::field(
                INVALID_EVENT,
                "reason",
                format!("Le motif tient en {MAX_REASON_CHARS} caractères au plus."),
            ));
        }
        Ok(RejectPieceEvent {
            actor,
            email,
            kind,
            reason,
        })
    }
}

impl ExtendDeadlineFields {
    fn check(self, check: &Check) -> AdminResult<ExtendDeadlineEvent> {
        Ok(ExtendDeadlineEvent {
            actor: check.actor(self.actor)?,
            email: check.email(self.email)?,
            until: check.until(self.until)?,
        })
    }
}

impl ExportFields {
    fn check(self, check: &Check, catalogue: &Catalogue) -> AdminResult<ExportEvent> {
        let actor = check.actor(self.actor)?;
        let filter = check.filter(catalogue, self.diploma, self.specialty, self.status)?;
        Ok(ExportEvent { actor, filter })
    }
}

/// Checks an action's fields once parsed: `mistyped` names those the parser
/// found of the wrong JSON type (and left out).
struct Check {
    action: Action,
    mistyped: Vec<String>,
}

impl Check {
    fn is_mistyped(&self, name: &str) -> bool {
        self.mistyped.iter().any(|field| field == name)
    }

    /// A text field, trimmed; absent or `null` is `None`; empty is refused.
    fn text(&self, name: &str, value: Option<String>) -> AdminResult<Option<String>> {
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

    fn required(&self, name: &str, value: Option<String>) -> AdminResult<String> {
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

    fn actor(&self, value: Option<String>) -> AdminResult<String> {
        let actor = self.required("actor", value)?;
        if actor.chars().count() > MAX_ACTOR_CHARS || actor.chars().any(char::is_control) {
            return Err(AdminError::field(
                INVALID_EVENT,
                "actor",
                format!("Le champ « actor » nomme l'agent en {MAX_ACTOR_CHARS} caractères au plus, sans retour à la ligne."),
            ));
        }
        Ok(actor)
    }

    fn email(&self, value: Option<String>) -> AdminResult<Email> {
        let text = self.required("email", value)?;
        Email::parse(&text).map_err(|_| {
            AdminError::field(
                INVALID_EVENT,
                "email",
                format!("« {text} » n'est pas une adresse électronique valide."),
            )
        })
    }

    fn kind(&self, value: Option<String>) -> AdminResult<PieceKind> {
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

    fn until(&self, value: Option<String>) -> AdminResult<DateTime<Utc>> {
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

    fn limit(&self, value: Option<u64>) -> AdminResult<usize> {
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
    fn filter(
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

    fn diploma(&self, value: Option<String>) -> AdminResult<Option<Diploma>> {
        self.text("diploma", value)?
            .map(|text| {
                text.parse().map_err(|_| {
                    AdminError::field(
                        INVALID_EVENT,
                        "diploma",
                        format!("Le diplôme « {text} » est inconnu : BAC_PRO, MC, BP ou CAP."),
                    )
                })
            })
            .transpose()
    }

    fn status(&self, value: Option<String>) -> AdminResult<Option<InscriptionStatus>> {
        self.text("status", value)?
            .map(|text| {
                InscriptionStatus::parse(&text).ok_or_else(|| {
                    AdminError::field(
                        INVALID_EVENT,
                        "status",
                        format!("Le statut « {text} » est inconnu : registered, complete, validated ou cancelled."),
                    )
                })
            })
            .transpose()
    }

    fn specialty(
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
