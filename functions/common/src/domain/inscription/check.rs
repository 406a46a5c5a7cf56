//! Validation of a whole input into [`ValidInscription`], and of its diploma
//! and specialty.

use super::acquis::check_acquis;
use super::context::{non_blank, Errors, SpecialtyCheck, ValidationContext};
use super::data::ValidInscription;
use super::identity::{check_disability, check_identity};
use super::input::InscriptionInput;
use super::options::check_options;
use crate::domain::catalogue::Catalogue;
use crate::domain::validation::{codes, FieldError};
use crate::domain::Diploma;

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
    let options = check_options(
        input.options.as_deref().unwrap_or_default(),
        specialty,
        &mut errs,
    );
    if input.version.is_none() {
        errs.push(
            "version",
            codes::REQUIRED,
            "La version de l'inscription est obligatoire (0 pour une première inscription).",
        );
    }

    match (diploma, specialty, identity, disability, acquis, options) {
        (
            Some(diploma),
            SpecialtyCheck::Found(specialty),
            Some(identity),
            Some(disability),
            Some(acquis),
            Some(options),
        ) if errs.0.is_empty() => Ok(ValidInscription {
            diploma,
            specialty: specialty.code.clone(),
            identity,
            disability,
            acquis,
            options,
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
