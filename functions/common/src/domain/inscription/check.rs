//! Validation of a whole input into [`ValidInscription`]: the context it
//! needs, the errors it collects, the diploma and the specialty.

use chrono::NaiveDate;

use super::acquis::check_acquis;
use super::data::ValidInscription;
use super::identity::{check_disability, check_identity, non_blank};
use super::input::InscriptionInput;
use crate::domain::catalogue::Catalogue;
use crate::domain::catalogue::Specialty;
use crate::domain::validation::codes;
use crate::domain::validation::FieldError;
use crate::domain::Diploma;

/// What validation needs besides the input.
#[derive(Clone, Copy, Debug)]
pub struct ValidationContext<'a> {
    pub catalogue: &'a Catalogue,
    /// The session's year, e.g. 2022.
    pub session_year: i32,
    /// Today's date in Europe/Paris.
    pub today: NaiveDate,
}

/// Collects field errors; every `check_*` returns `None` only after pushing one.
pub(super) struct Errors(pub(super) Vec<FieldError>);

impl Errors {
    pub(super) fn push(&mut self, field: &str, code: &str, message: impl Into<String>) {
        self.0.push(FieldError::new(field, code, message));
    }
}

/// Validates and normalises an inscription, reporting every invalid field at
/// once, in the order of the input's fields.
pub fn validate(
    input: &InscriptionInput,
    ctx: &ValidationContext<'_>,
) -> Result<ValidInscription, Vec<FieldError>> {
    let mut errs = Errors(Vec::new());

    let diploma = check_diploma(input.diploma.as_deref(), &mut errs);
    let specialty = check_specialty(
        input.specialty.as_deref(),
        diploma,
        ctx.catalogue,
        &mut errs,
    );
    let identity = check_identity(input.identity.as_ref(), ctx.today, &mut errs);
    let disability = check_disability(input.disability.as_ref(), &mut errs);
    let acquis = check_acquis(
        input.acquis.as_deref().unwrap_or_default(),
        specialty,
        ctx,
        &mut errs,
    );
    if input.version.is_none() {
        errs.push(
            "version",
            codes::REQUIRED,
            "La version de l'inscription est obligatoire (0 pour une première inscription).",
        );
    }

    match (diploma, specialty, identity, disability, acquis) {
        (
            Some(diploma),
            SpecialtyCheck::Found(specialty),
            Some(identity),
            Some(disability),
            Some(acquis),
        ) if errs.0.is_empty() => Ok(ValidInscription {
            diploma,
            specialty: specialty.code.clone(),
            identity,
            disability,
            acquis,
        }),
        _ => Err(errs.0),
    }
}

fn check_diploma(raw: Option<&str>, errs: &mut Errors) -> Option<Diploma> {
    let Some(raw) = non_blank(raw) else {
        errs.push(
            "diploma",
            codes::REQUIRED,
            "Veuillez choisir le diplôme que vous présentez.",
        );
        return None;
    };
    let code = raw.trim().to_ascii_uppercase().replace([' ', '-'], "_");
    match code.parse::<Diploma>() {
        Ok(d) => Some(d),
        Err(_) => {
            errs.push(
                "diploma",
                codes::UNKNOWN_DIPLOMA,
                format!(
                    "Ce diplôme n'est pas proposé : choisissez {}.",
                    Diploma::choices_fr()
                ),
            );
            None
        }
    }
}

#[derive(Clone, Copy)]
pub(super) enum SpecialtyCheck<'a> {
    Found(&'a Specialty),
    /// Not checked because the diploma is not known (its error is reported).
    Unchecked,
    Invalid,
}

fn check_specialty<'a>(
    raw: Option<&str>,
    diploma: Option<Diploma>,
    catalogue: &'a Catalogue,
    errs: &mut Errors,
) -> SpecialtyCheck<'a> {
    let Some(raw) = non_blank(raw) else {
        errs.push(
            "specialty",
            codes::REQUIRED,
            "Veuillez choisir votre spécialité.",
        );
        return SpecialtyCheck::Invalid;
    };
    let Some(diploma) = diploma else {
        return SpecialtyCheck::Unchecked;
    };
    // Catalogue codes are capital letters, digits and underscores.
    let code = raw.trim();
    let found = catalogue
        .specialty(diploma, code)
        .or_else(|| catalogue.specialty(diploma, &code.to_ascii_uppercase()));
    match found {
        Some(s) => SpecialtyCheck::Found(s),
        None => {
            errs.push(
                "specialty",
                codes::UNKNOWN_SPECIALTY,
                "Cette spécialité n'existe pas pour le diplôme choisi : veuillez en choisir une \
                 dans la liste.",
            );
            SpecialtyCheck::Invalid
        }
    }
}
