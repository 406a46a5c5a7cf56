//! Validation of the acquis (dispenses and benefits of a grade) against the
//! specialty's units and the session.

use std::collections::HashSet;

use chrono::Datelike;

use super::context::{non_blank, Errors, SpecialtyCheck, ValidationContext};
use super::data::{Acquis, AcquisKind};
use super::input::AcquisInput;
use super::{BENEFIT_SESSIONS, FIRST_DISPENSE_YEAR, MAX_GRADE, MIN_BENEFIT_GRADE};
use crate::domain::catalogue::{Specialty, Unit};
use crate::domain::validation as v;
use crate::domain::validation::codes;

/// Finds a unit of the specialty by its code, ignoring ASCII case.
pub(super) fn find_unit<'a>(specialty: &'a Specialty, code: &str) -> Option<&'a Unit> {
    specialty.unit(code).or_else(|| {
        specialty
            .units
            .iter()
            .find(|u| u.code.eq_ignore_ascii_case(code))
    })
}

pub(super) fn check_acquis(
    items: &[AcquisInput],
    specialty: SpecialtyCheck<'_>,
    ctx: &ValidationContext<'_>,
    errs: &mut Errors,
) -> Option<Vec<Acquis>> {
    let mut out = Vec::with_capacity(items.len());
    let mut seen: HashSet<String> = HashSet::new();
    let mut all_ok = true;
    for (i, item) in items.iter().enumerate() {
        let path = |leaf: &str| format!("acquis[{i}].{leaf}");

        // The unit: known to the specialty, once.
        let unit = match non_blank(item.unit.as_deref()) {
            None => {
                errs.push(
                    &path("unit"),
                    codes::REQUIRED,
                    "Veuillez indiquer l'épreuve concernée.",
                );
                None
            }
            Some(raw) => {
                let raw = raw.trim();
                let canonical = match &specialty {
                    SpecialtyCheck::Found(s) => match find_unit(s, raw) {
                        Some(u) => Some(u.code.clone()),
                        None => {
                            errs.push(
                                &path("unit"),
                                codes::UNKNOWN_UNIT,
                                "Cette épreuve ne fait pas partie de la spécialité choisie : \
                                 veuillez en choisir une dans la liste.",
                            );
                            None
                        }
                    },
                    // The specialty's own error is reported; still catch duplicates.
                    _ => Some(raw.to_ascii_uppercase()),
                };
                match canonical {
                    Some(code) if !seen.insert(code.to_ascii_uppercase()) => {
                        errs.push(
                            &path("unit"),
                            codes::DUPLICATE_UNIT,
                            "Vous avez déjà déclaré un acquis pour cette épreuve : une seule \
                             dispense ou un seul bénéfice de note par épreuve.",
                        );
                        None
                    }
                    other => other,
                }
            }
        };

        // The kind.
        let kind = match non_blank(item.kind.as_deref()) {
            None => {
                errs.push(
                    &path("type"),
                    codes::REQUIRED,
                    "Veuillez indiquer s'il s'agit d'une dispense (dispense) ou d'un bénéfice de \
                     note (benefit).",
                );
                None
            }
            Some(raw) => match raw.trim().to_ascii_lowercase().as_str() {
                "dispense" => Some(AcquisKind::Dispense),
                "benefit" => Some(AcquisKind::Benefit),
                _ => {
                    errs.push(
                        &path("type"),
                        codes::INVALID_ACQUIS_TYPE,
                        "Le type d'acquis doit être « dispense » (dispense d'épreuve) ou \
                         « benefit » (bénéfice de note).",
                    );
                    None
                }
            },
        };

        // The grade: none for a dispense, 10 to 20 for a benefit.
        let grade = match (kind, item.grade) {
            (Some(AcquisKind::Dispense), Some(_)) => {
                errs.push(
                    &path("grade"),
                    codes::UNEXPECTED_GRADE,
                    "Une dispense ne comporte pas de note : veuillez retirer la note.",
                );
                None
            }
            (Some(AcquisKind::Dispense), None) => Some(None),
            (Some(AcquisKind::Benefit), None) => {
                errs.push(
                    &path("grade"),
                    codes::REQUIRED,
                    "Veuillez indiquer la note conservée (entre 10 et 20).",
                );
                None
            }
            (Some(AcquisKind::Benefit), Some(g)) => {
                if (MIN_BENEFIT_GRADE..=MAX_GRADE).contains(&g) && v::has_at_most_two_decimals(g) {
                    Some(Some(v::round_hundredths(g)))
                } else {
                    errs.push(
                        &path("grade"),
                        codes::INVALID_GRADE,
                        "Un bénéfice de note conserve une note comprise entre 10 et 20, avec au \
                         plus deux décimales (par exemple 12,5).",
                    );
                    None
                }
            }
            (None, _) => None,
        };

        // The year: one of the last five sessions for a benefit, the year the
        // diploma was obtained for a dispense.
        let year = match item.year {
            None => {
                let message = match kind {
                    Some(AcquisKind::Benefit) => {
                        "Veuillez indiquer l'année de la session où la note a été obtenue."
                    }
                    _ => "Veuillez indiquer l'année d'obtention.",
                };
                errs.push(&path("year"), codes::REQUIRED, message);
                None
            }
            Some(y) => {
                let (first, last, message) = match kind {
                    Some(AcquisKind::Benefit) => {
                        let (first, last) =
                            (ctx.session_year - BENEFIT_SESSIONS, ctx.session_year - 1);
                        let message = format!(
                            "Un bénéfice de note doit venir de l'une des {BENEFIT_SESSIONS} dernières \
                             sessions, de {first} à {last}."
                        );
                        (first, last, message)
                    }
                    _ => {
                        let (first, last) = (FIRST_DISPENSE_YEAR, ctx.today.year());
                        let message = format!(
                            "L'année d'obtention du diplôme ou du titre doit être comprise entre \
                             {first} et {last}."
                        );
                        (first, last, message)
                    }
                };
                match i32::try_from(y) {
                    Ok(y) if (first..=last).contains(&y) => Some(y),
                    _ if kind.is_none() => None, // the type's error says it all
                    _ => {
                        errs.push(&path("year"), codes::INVALID_YEAR, message);
                        None
                    }
                }
            }
        };

        match (unit, kind, grade, year) {
            (Some(unit), Some(kind), Some(grade), Some(year)) => out.push(Acquis {
                unit,
                kind,
                grade,
                year,
            }),
            _ => all_ok = false,
        }
    }
    all_ok.then_some(out)
}
