//! What changed between two versions of an inscription, and the French
//! summary of it that the « Modification d'inscription » email carries.

use super::acquis::find_unit;
use super::data::{Acquis, AcquisKind, OptionChoice, ValidInscription};
use super::options::describe_option;
use crate::domain::catalogue::{Catalogue, Specialty};
use crate::domain::countries::{country_fr, nationality_fr};
use crate::domain::validation as v;
use crate::wording::yes_no;

/// The acquis in a canonical order, so that reordering them changes nothing.
fn sorted_acquis(data: &ValidInscription) -> Vec<&Acquis> {
    let mut acquis: Vec<&Acquis> = data.acquis.iter().collect();
    acquis.sort_by(|a, b| a.unit.cmp(&b.unit).then(a.year.cmp(&b.year)));
    acquis
}

/// The options in a canonical order, so that reordering them changes nothing.
fn sorted_options(data: &ValidInscription) -> Vec<&OptionChoice> {
    let mut options: Vec<&OptionChoice> = data.options.iter().collect();
    options.sort_by(|a, b| a.unit.cmp(&b.unit));
    options
}

/// The dotted paths of the fields that differ between two inscriptions, in
/// the order of the input (`diploma`, `identity.address.city`, `acquis`...).
/// The acquis are compared as a whole, whatever their order.
pub fn changed_fields(old: &ValidInscription, new: &ValidInscription) -> Vec<String> {
    let (o, n) = (&old.identity, &new.identity);
    let (oa, na) = (&o.address, &n.address);
    let checks: [(&str, bool); 19] = [
        ("diploma", old.diploma != new.diploma),
        ("specialty", old.specialty != new.specialty),
        ("identity.last_name", o.last_name != n.last_name),
        ("identity.first_names", o.first_names != n.first_names),
        ("identity.birth_date", o.birth_date != n.birth_date),
        ("identity.birth_place", o.birth_place != n.birth_place),
        (
            "identity.birth_department",
            o.birth_department != n.birth_department,
        ),
        ("identity.birth_country", o.birth_country != n.birth_country),
        ("identity.nationality", o.nationality != n.nationality),
        ("identity.address.line1", oa.line1 != na.line1),
        ("identity.address.line2", oa.line2 != na.line2),
        (
            "identity.address.postal_code",
            oa.postal_code != na.postal_code,
        ),
        ("identity.address.city", oa.city != na.city),
        ("identity.address.country", oa.country != na.country),
        ("identity.phone", o.phone != n.phone),
        (
            "disability.declared",
            old.disability.declared != new.disability.declared,
        ),
        (
            "disability.existing_accommodation",
            old.disability.existing_accommodation != new.disability.existing_accommodation,
        ),
        ("acquis", sorted_acquis(old) != sorted_acquis(new)),
        ("options", sorted_options(old) != sorted_options(new)),
    ];
    checks
        .into_iter()
        .filter(|(_, changed)| *changed)
        .map(|(path, _)| path.to_owned())
        .collect()
}

/// Whether a save of `submitted` over `stored` would change nothing the
/// candidate declared. Both are validated, so a body that differs only in
/// what validation normalises (spacing, case, Unicode forms, the phone's
/// writing, the acquis' order) changes nothing either: such a save must not
/// raise the version nor void a signed confirmation.
pub fn changes_nothing(stored: &ValidInscription, submitted: &ValidInscription) -> bool {
    changed_fields(stored, submitted).is_empty()
}

/// The French label of each field the summary names.
fn field_label_fr(path: &str) -> &'static str {
    match path {
        "diploma" => "Diplôme",
        "specialty" => "Spécialité",
        "identity.last_name" => "Nom de famille",
        "identity.first_names" => "Prénoms",
        "identity.birth_date" => "Date de naissance",
        "identity.birth_place" => "Lieu de naissance",
        "identity.birth_department" => "Département de naissance",
        "identity.birth_country" => "Pays de naissance",
        "identity.nationality" => "Nationalité",
        "identity.address.line1" => "Adresse",
        "identity.address.line2" => "Complément d'adresse",
        "identity.address.postal_code" => "Code postal",
        "identity.address.city" => "Ville",
        "identity.address.country" => "Pays",
        "identity.phone" => "Téléphone",
        "disability.declared" => "Situation de handicap déclarée",
        "disability.existing_accommodation" => "Aménagement d'épreuves déjà accordé",
        "acquis" => "Acquis",
        "options" => "Épreuves facultatives",
        _ => "Autre information",
    }
}

/// An E.164 number the way a French reader writes it: `+33 6 12 34 56 78`.
pub fn format_phone_fr(e164: &str) -> String {
    match e164.strip_prefix("+33") {
        Some(n) if n.len() == 9 && n.bytes().all(|b| b.is_ascii_digit()) => {
            format!(
                "+33 {} {} {} {} {}",
                &n[..1],
                &n[1..3],
                &n[3..5],
                &n[5..7],
                &n[7..9]
            )
        }
        _ => e164.to_owned(),
    }
}

/// An acquis as the candidate reads it: the unit with its label (« E11 –
/// Économie-droit »), or its bare code only when the catalogue no longer
/// lists it.
fn describe_acquis(a: &Acquis, specialty: Option<&Specialty>) -> String {
    let unit = match specialty.and_then(|s| find_unit(s, &a.unit)) {
        Some(u) => format!("{} – {}", a.unit, u.label),
        None => a.unit.clone(),
    };
    match (a.kind, a.grade) {
        (AcquisKind::Benefit, Some(g)) => format!(
            "{unit} (bénéfice de la note {}/20, session {})",
            v::format_decimal_fr(g),
            a.year
        ),
        (AcquisKind::Benefit, None) => format!("{unit} (bénéfice de note, session {})", a.year),
        (AcquisKind::Dispense, _) => format!("{unit} (dispense, diplôme obtenu en {})", a.year),
    }
}

/// The value of a field as the summary shows it: in words, never an internal
/// code (countries and nationality as the confirmation document names them,
/// the diploma, specialty and units by their catalogue labels).
fn field_value_fr(data: &ValidInscription, path: &str, catalogue: &Catalogue) -> String {
    let id = &data.identity;
    let specialty = catalogue.specialty(data.diploma, &data.specialty);
    match path {
        "diploma" => catalogue
            .diploma(data.diploma)
            .map_or_else(|| data.diploma.label().to_owned(), |d| d.label.clone()),
        "specialty" => specialty.map_or_else(|| data.specialty.clone(), |s| s.label.clone()),
        "identity.last_name" => id.last_name.clone(),
        "identity.first_names" => id.first_names.clone(),
        "identity.birth_date" => v::format_date_fr(id.birth_date),
        "identity.birth_place" => id.birth_place.clone(),
        "identity.birth_department" => id
            .birth_department
            .clone()
            .unwrap_or_else(|| "(non renseigné)".to_owned()),
        "identity.birth_country" => id
            .birth_country
            .as_deref()
            .map_or_else(|| "(non renseigné)".to_owned(), country_fr),
        "identity.nationality" => nationality_fr(&id.nationality),
        "identity.address.line1" => id.address.line1.clone(),
        "identity.address.line2" => id
            .address
            .line2
            .clone()
            .unwrap_or_else(|| "(non renseigné)".to_owned()),
        "identity.address.postal_code" => id.address.postal_code.clone(),
        "identity.address.city" => id.address.city.clone(),
        "identity.address.country" => country_fr(&id.address.country),
        "identity.phone" => format_phone_fr(&id.phone),
        "disability.declared" => yes_no(data.disability.declared).to_owned(),
        "disability.existing_accommodation" => {
            yes_no(data.disability.existing_accommodation).to_owned()
        }
        "acquis" if data.acquis.is_empty() => "aucun".to_owned(),
        "acquis" => data
            .acquis
            .iter()
            .map(|a| describe_acquis(a, specialty))
            .collect::<Vec<_>>()
            .join(" ; "),
        "options" if data.options.is_empty() => "aucune".to_owned(),
        "options" => data
            .options
            .iter()
            .map(|o| describe_option(o, specialty))
            .collect::<Vec<_>>()
            .join(" ; "),
        _ => String::new(),
    }
}

/// Every field path, in the order of the input.
const ALL_FIELDS: [&str; 19] = [
    "diploma",
    "specialty",
    "identity.last_name",
    "identity.first_names",
    "identity.birth_date",
    "identity.birth_place",
    "identity.birth_department",
    "identity.birth_country",
    "identity.nationality",
    "identity.address.line1",
    "identity.address.line2",
    "identity.address.postal_code",
    "identity.address.city",
    "identity.address.country",
    "identity.phone",
    "disability.declared",
    "disability.existing_accommodation",
    "acquis",
    "options",
];

/// A French plain-text summary for the « Modification d'inscription » email:
/// for an update, one line per changed field (« - Ville : Marseille →
/// Aix-en-Provence »); for a creation (`old` is `None`), every declared
/// field (« - Ville : Marseille »).
pub fn change_summary_fr(
    old: Option<&ValidInscription>,
    new: &ValidInscription,
    catalogue: &Catalogue,
) -> String {
    let mut lines = Vec::new();
    match old {
        None => {
            for path in ALL_FIELDS {
                // What was not given is not listed (the birth fields and the
                // options are new: most inscriptions have none).
                let absent = match path {
                    "identity.address.line2" => new.identity.address.line2.is_none(),
                    "identity.birth_department" => new.identity.birth_department.is_none(),
                    "identity.birth_country" => new.identity.birth_country.is_none(),
                    "options" => new.options.is_empty(),
                    _ => false,
                };
                if absent {
                    continue;
                }
                if path == "disability.existing_accommodation" && !new.disability.declared {
                    continue;
                }
                lines.push(format!(
                    "- {} : {}",
                    field_label_fr(path),
                    field_value_fr(new, path, catalogue)
                ));
            }
        }
        Some(old) => {
            for path in changed_fields(old, new) {
                lines.push(format!(
                    "- {} : {} → {}",
                    field_label_fr(&path),
                    field_value_fr(old, &path, catalogue),
                    field_value_fr(new, &path, catalogue)
                ));
            }
            if lines.is_empty() {
                return "Aucune de vos informations n'a changé.".to_owned();
            }
        }
    }
    lines.join("\n")
}
