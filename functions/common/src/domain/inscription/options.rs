//! Validation of the optional units chosen (« épreuves facultatives ») and
//! of their languages, against the specialty's units in the catalogue.

use std::collections::HashSet;

use super::acquis::find_unit;
use super::context::{non_blank, Errors, SpecialtyCheck};
use super::data::OptionChoice;
use super::input::OptionInput;
use crate::domain::catalogue::{Specialty, Unit, UnitKind};
use crate::domain::languages::{language_fr, normalize_language};
use crate::domain::validation::codes;

/// An option as the candidate reads it: « EF1 – Langue vivante, en
/// espagnol (es) », or the bare code when the catalogue no longer lists it.
pub fn describe_option(option: &OptionChoice, specialty: Option<&Specialty>) -> String {
    let unit = match specialty.and_then(|s| find_unit(s, &option.unit)) {
        Some(u) => format!("{} – {}", option.unit, u.label),
        None => option.unit.clone(),
    };
    match &option.language {
        Some(language) => format!("{unit}, en {}", language_fr(language)),
        None => unit,
    }
}

/// The specialty's optional units, « EF1, EF2 », for the messages.
fn optional_codes(specialty: &Specialty) -> String {
    specialty
        .units_of(UnitKind::Optional)
        .map(|u| u.code.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The unit an option names: of the specialty, optional, chosen once.
fn check_unit<'a>(
    raw: Option<&str>,
    path: &str,
    specialty: SpecialtyCheck<'a>,
    seen: &mut HashSet<String>,
    errs: &mut Errors,
) -> Option<(String, Option<&'a Unit>)> {
    let Some(raw) = non_blank(raw) else {
        errs.push(
            path,
            codes::REQUIRED,
            "Veuillez indiquer l'épreuve facultative choisie.",
        );
        return None;
    };
    let raw = raw.trim();
    let (code, unit) = match specialty {
        SpecialtyCheck::Found(s) => {
            let Some(unit) = find_unit(s, raw) else {
                errs.push(
                    path,
                    codes::UNKNOWN_UNIT,
                    "Cette épreuve ne fait pas partie de la spécialité choisie : veuillez en \
                     choisir une dans la liste.",
                );
                return None;
            };
            if unit.kind != UnitKind::Optional {
                let message = match optional_codes(s) {
                    none if none.is_empty() => format!(
                        "L'épreuve {} est obligatoire, et la spécialité choisie ne comporte pas \
                         d'épreuve facultative : veuillez retirer ce choix.",
                        unit.code
                    ),
                    list => format!(
                        "L'épreuve {} est obligatoire, vous n'avez pas à la choisir : les \
                         épreuves facultatives de la spécialité sont {list}.",
                        unit.code
                    ),
                };
                errs.push(path, codes::NOT_OPTIONAL_UNIT, message);
                return None;
            }
            (unit.code.clone(), Some(unit))
        }
        // The specialty's own error is reported; still catch duplicates.
        _ => (raw.to_ascii_uppercase(), None),
    };
    if !seen.insert(code.to_ascii_uppercase()) {
        errs.push(
            path,
            codes::DUPLICATE_UNIT,
            "Vous avez déjà choisi cette épreuve facultative : une seule fois par épreuve.",
        );
        return None;
    }
    Some((code, unit))
}

/// The language of an option: one of the unit's when it lists some, none
/// otherwise. `Some(None)` is a valid absence.
fn check_language(
    raw: Option<&str>,
    path: &str,
    unit: Option<&Unit>,
    errs: &mut Errors,
) -> Option<Option<String>> {
    let raw = non_blank(raw).map(normalize_language);
    let Some(unit) = unit else {
        // The unit is unknown (its error is reported): the language cannot
        // be checked against it.
        return Some(raw);
    };
    match raw {
        None if unit.takes_language() => {
            errs.push(
                path,
                codes::REQUIRED,
                format!(
                    "Veuillez indiquer la langue dans laquelle vous passerez l'épreuve {} \
                     (code à deux lettres, par exemple « en » pour l'anglais).",
                    unit.code
                ),
            );
            None
        }
        None => Some(None),
        Some(_) if !unit.takes_language() => {
            errs.push(
                path,
                codes::UNEXPECTED_LANGUAGE,
                format!(
                    "L'épreuve {} ne se passe pas dans une langue à choisir : veuillez retirer \
                     la langue.",
                    unit.code
                ),
            );
            None
        }
        Some(code) if unit.offers_language(&code) => Some(Some(code)),
        Some(_) => {
            let offered: Vec<String> = unit.languages.iter().map(|l| language_fr(l)).collect();
            errs.push(
                path,
                codes::UNKNOWN_LANGUAGE,
                format!(
                    "Cette langue n'est pas proposée pour l'épreuve {} : choisissez l'une de \
                     celles-ci : {}.",
                    unit.code,
                    offered.join(", ")
                ),
            );
            None
        }
    }
}

/// Validates the options, reporting every invalid one at once.
pub(super) fn check_options(
    items: &[OptionInput],
    specialty: SpecialtyCheck<'_>,
    errs: &mut Errors,
) -> Option<Vec<OptionChoice>> {
    let mut out = Vec::with_capacity(items.len());
    let mut seen = HashSet::new();
    let mut all_ok = true;
    for (i, item) in items.iter().enumerate() {
        let unit = check_unit(
            item.unit.as_deref(),
            &format!("options[{i}].unit"),
            specialty,
            &mut seen,
            errs,
        );
        let language = check_language(
            item.language.as_deref(),
            &format!("options[{i}].language"),
            unit.as_ref().and_then(|(_, u)| *u),
            errs,
        );
        match (unit, language) {
            (Some((unit, _)), Some(language)) => out.push(OptionChoice { unit, language }),
            _ => all_ok = false,
        }
    }
    all_ok.then_some(out)
}
