//! Validation of the candidate's identity, address, phone and declared
//! disability.

use chrono::NaiveDate;

use super::context::{non_blank, Errors};
use super::data::{Address, Disability, Identity};
use super::input::{AddressInput, DisabilityInput, IdentityInput};
use super::{MAX_AGE, MIN_AGE};
use crate::domain::validation as v;
use crate::domain::validation::codes;

/// The French words for a name field, to build its messages.
struct NameField {
    path: &'static str,
    /// « Veuillez indiquer ... »
    required: &'static str,
    /// Subject of the sentence, e.g. « Le nom de famille ».
    subject: &'static str,
    plural: bool,
    /// Whether an arrondissement's number may follow the commune's name
    /// (« Marseille 3e »).
    digits: bool,
}

const LAST_NAME: NameField = NameField {
    path: "identity.last_name",
    required: "Veuillez indiquer votre nom de famille.",
    subject: "Le nom de famille",
    plural: false,
    digits: false,
};
const FIRST_NAMES: NameField = NameField {
    path: "identity.first_names",
    required: "Veuillez indiquer votre ou vos prénoms.",
    subject: "Les prénoms",
    plural: true,
    digits: false,
};
const BIRTH_PLACE: NameField = NameField {
    path: "identity.birth_place",
    required: "Veuillez indiquer votre lieu de naissance.",
    subject: "Le lieu de naissance",
    plural: false,
    digits: true,
};
const CITY: NameField = NameField {
    path: "identity.address.city",
    required: "Veuillez indiquer votre commune.",
    subject: "La ville",
    plural: false,
    digits: false,
};

fn check_name(raw: Option<&str>, field: &NameField, errs: &mut Errors) -> Option<String> {
    let name = v::normalize_name(raw.unwrap_or_default());
    if name.is_empty() {
        errs.push(field.path, codes::REQUIRED, field.required);
        return None;
    }
    if v::char_len(&name) > v::NAME_MAX_CHARS {
        let verb = if field.plural {
            "ne doivent"
        } else {
            "ne doit"
        };
        errs.push(
            field.path,
            codes::INVALID_NAME,
            format!(
                "{} {verb} pas dépasser {} caractères.",
                field.subject,
                v::NAME_MAX_CHARS
            ),
        );
        return None;
    }
    if field.digits && !v::is_valid_place_name(&name) {
        errs.push(
            field.path,
            codes::INVALID_NAME,
            format!(
                "{} ne peut contenir que des lettres, séparées par une espace, un trait d'union \
                 ou une apostrophe, et le numéro d'un arrondissement suivi de « e » ou « er » \
                 (par exemple « Marseille 3e », « Lyon 1er »).",
                field.subject
            ),
        );
        return None;
    }
    if !field.digits && !v::is_valid_name(&name) {
        let verb = if field.plural {
            "ne peuvent"
        } else {
            "ne peut"
        };
        errs.push(
            field.path,
            codes::INVALID_NAME,
            format!(
                "{} {verb} contenir que des lettres, séparées par une espace, un trait d'union \
                 ou une apostrophe (pas de chiffre ni d'autre symbole).",
                field.subject
            ),
        );
        return None;
    }
    Some(name)
}

pub(super) fn check_identity(
    raw: Option<&IdentityInput>,
    today: NaiveDate,
    errs: &mut Errors,
) -> Option<Identity> {
    let empty = IdentityInput::default();
    let raw = raw.unwrap_or(&empty);
    let last_name = check_name(raw.last_name.as_deref(), &LAST_NAME, errs);
    let first_names = check_name(raw.first_names.as_deref(), &FIRST_NAMES, errs);
    let birth_date = check_birth_date(raw.birth_date.as_deref(), today, errs);
    let birth_place = check_name(raw.birth_place.as_deref(), &BIRTH_PLACE, errs);
    let birth_origin = check_birth_origin(
        raw.birth_department.as_deref(),
        raw.birth_country.as_deref(),
        errs,
    );
    let nationality = check_country(
        raw.nationality.as_deref(),
        "identity.nationality",
        "Veuillez indiquer votre nationalité.",
        "la nationalité",
        errs,
    );
    let address = check_address(raw.address.as_ref(), errs);
    let phone = check_phone(raw.phone.as_deref(), errs);
    Some(Identity {
        last_name: last_name?,
        first_names: first_names?,
        birth_date: birth_date?,
        birth_place: birth_place?,
        birth_department: birth_origin.as_ref()?.0.clone(),
        birth_country: birth_origin?.1,
        nationality: nationality?,
        address: address?,
        phone: phone?,
    })
}

/// The département and the country of birth, both optional, as
/// `(birth_department, birth_country)`:
/// - each, when given, must be valid (INSEE département code, ISO 3166-1
///   country code);
/// - a birth in France (`birth_country` `FR`, or an overseas département's
///   own code such as `RE`) names its département;
/// - a département goes with France only (or with its own overseas code).
///
/// Neither is required: bodies written before these fields existed give
/// neither, and stay accepted.
fn check_birth_origin(
    department: Option<&str>,
    country: Option<&str>,
    errs: &mut Errors,
) -> Option<(Option<String>, Option<String>)> {
    const DEPARTMENT: &str = "identity.birth_department";
    const COUNTRY: &str = "identity.birth_country";
    let department = match non_blank(department) {
        None => Some(None),
        Some(raw) => match v::normalize_department(raw) {
            Some(code) => Some(Some(code)),
            None => {
                errs.push(
                    DEPARTMENT,
                    codes::INVALID_DEPARTMENT,
                    "Le département de naissance doit être un numéro de département français : \
                     de 01 à 95, 2A ou 2B pour la Corse, de 971 à 976 pour l'outre-mer (par \
                     exemple 13 pour les Bouches-du-Rhône).",
                );
                None
            }
        },
    };
    let country = match non_blank(country) {
        None => Some(None),
        Some(raw) => {
            let code = v::normalize_country(raw);
            if code.is_none() {
                errs.push(
                    COUNTRY,
                    codes::INVALID_COUNTRY,
                    "Veuillez indiquer le pays de naissance par son code pays à deux lettres \
                     (norme ISO 3166), par exemple FR pour la France ou MA pour le Maroc.",
                );
            }
            code.map(Some)
        }
    };
    let (department, country) = (department?, country?);
    match (&department, &country) {
        (None, Some(c)) if v::is_french_birth_country(c) => {
            errs.push(
                DEPARTMENT,
                codes::REQUIRED,
                "Vous êtes né(e) en France : veuillez indiquer votre département de naissance \
                 (par exemple 13 pour les Bouches-du-Rhône, 2A pour la Corse-du-Sud, 974 pour \
                 La Réunion).",
            );
            None
        }
        (Some(d), Some(c)) if !v::department_fits_country(d, c) => {
            errs.push(
                DEPARTMENT,
                codes::INCONSISTENT_BIRTH_PLACE,
                "Le département de naissance ne s'indique que pour une naissance en France : \
                 retirez-le pour une naissance à l'étranger, ou indiquez FR comme pays de \
                 naissance.",
            );
            None
        }
        _ => Some((department, country)),
    }
}

fn check_birth_date(raw: Option<&str>, today: NaiveDate, errs: &mut Errors) -> Option<NaiveDate> {
    const FIELD: &str = "identity.birth_date";
    let Some(raw) = non_blank(raw) else {
        errs.push(
            FIELD,
            codes::REQUIRED,
            "Veuillez indiquer votre date de naissance.",
        );
        return None;
    };
    let Some(date) = v::parse_iso_date(raw) else {
        errs.push(
            FIELD,
            codes::INVALID_DATE,
            "La date de naissance doit être une date réelle au format AAAA-MM-JJ.",
        );
        return None;
    };
    if date > today {
        errs.push(
            FIELD,
            codes::IMPLAUSIBLE_BIRTH_DATE,
            "La date de naissance ne peut pas être dans le futur : veuillez la vérifier.",
        );
        return None;
    }
    let age = v::age_on(date, today);
    if !(MIN_AGE..=MAX_AGE).contains(&age) {
        errs.push(
            FIELD,
            codes::IMPLAUSIBLE_BIRTH_DATE,
            format!(
                "Pour vous inscrire, vous devez avoir entre {MIN_AGE} et {MAX_AGE} ans : \
                 veuillez vérifier votre date de naissance."
            ),
        );
        return None;
    }
    Some(date)
}

fn check_country(
    raw: Option<&str>,
    path: &str,
    required: &str,
    subject: &str,
    errs: &mut Errors,
) -> Option<String> {
    let Some(raw) = non_blank(raw) else {
        errs.push(path, codes::REQUIRED, required);
        return None;
    };
    let code = v::normalize_country(raw);
    if code.is_none() {
        errs.push(
            path,
            codes::INVALID_COUNTRY,
            format!(
                "Veuillez indiquer {subject} par son code pays à deux lettres (norme ISO 3166), \
                 par exemple FR pour la France ou BE pour la Belgique."
            ),
        );
    }
    code
}

fn check_address_line(
    raw: Option<&str>,
    path: &str,
    subject: &str,
    errs: &mut Errors,
) -> Option<String> {
    let line = v::normalize_text(raw.unwrap_or_default());
    if v::char_len(&line) > v::ADDRESS_LINE_MAX_CHARS {
        errs.push(
            path,
            codes::TOO_LONG,
            format!(
                "{subject} ne doit pas dépasser {} caractères.",
                v::ADDRESS_LINE_MAX_CHARS
            ),
        );
        return None;
    }
    if line.chars().any(char::is_control) {
        errs.push(
            path,
            codes::INVALID_ADDRESS_LINE,
            format!("{subject} contient des caractères qui ne sont pas autorisés."),
        );
        return None;
    }
    Some(line)
}

fn check_address(raw: Option<&AddressInput>, errs: &mut Errors) -> Option<Address> {
    let empty = AddressInput::default();
    let raw = raw.unwrap_or(&empty);

    let line1 = match non_blank(raw.line1.as_deref()) {
        None => {
            errs.push(
                "identity.address.line1",
                codes::REQUIRED,
                "Veuillez indiquer votre adresse (numéro et voie).",
            );
            None
        }
        Some(l) => check_address_line(Some(l), "identity.address.line1", "L'adresse", errs),
    };
    // line2 is optional: blank means none.
    let line2 = match non_blank(raw.line2.as_deref()) {
        None => Some(None),
        Some(l) => check_address_line(
            Some(l),
            "identity.address.line2",
            "Le complément d'adresse",
            errs,
        )
        .map(Some),
    };
    let country = check_country(
        raw.country.as_deref(),
        "identity.address.country",
        "Veuillez indiquer le pays de votre adresse.",
        "le pays",
        errs,
    );
    let postal_code = check_postal_code(raw.postal_code.as_deref(), country.as_deref(), errs);
    let city = check_name(raw.city.as_deref(), &CITY, errs);

    Some(Address {
        line1: line1?,
        line2: line2?,
        postal_code: postal_code?,
        city: city?,
        country: country?,
    })
}

fn check_postal_code(
    raw: Option<&str>,
    country: Option<&str>,
    errs: &mut Errors,
) -> Option<String> {
    const FIELD: &str = "identity.address.postal_code";
    let Some(raw) = non_blank(raw) else {
        errs.push(
            FIELD,
            codes::REQUIRED,
            "Veuillez indiquer votre code postal.",
        );
        return None;
    };
    let code = v::normalize_postal_code(raw, country);
    if code.is_none() {
        let message = if country.is_some_and(v::uses_french_postal_codes) {
            "Le code postal doit comporter exactement 5 chiffres, par exemple 13100."
        } else {
            "Le code postal doit comporter de 2 à 10 caractères : lettres, chiffres, espaces ou \
             traits d'union."
        };
        errs.push(FIELD, codes::INVALID_POSTAL_CODE, message);
    }
    code
}

fn check_phone(raw: Option<&str>, errs: &mut Errors) -> Option<String> {
    const FIELD: &str = "identity.phone";
    let Some(raw) = non_blank(raw) else {
        errs.push(
            FIELD,
            codes::REQUIRED,
            "Veuillez indiquer votre numéro de téléphone.",
        );
        return None;
    };
    let phone = v::normalize_phone(raw);
    if phone.is_none() {
        errs.push(
            FIELD,
            codes::INVALID_PHONE,
            "Le numéro de téléphone n'est pas valide : indiquez un numéro français à 10 chiffres \
             (06 12 34 56 78) ou un numéro international commençant par + (+33 6 12 34 56 78).",
        );
    }
    phone
}

pub(super) fn check_disability(
    raw: Option<&DisabilityInput>,
    errs: &mut Errors,
) -> Option<Disability> {
    let empty = DisabilityInput::default();
    let raw = raw.unwrap_or(&empty);
    let Some(declared) = raw.declared else {
        errs.push(
            "disability.declared",
            codes::REQUIRED,
            "Veuillez indiquer si vous êtes en situation de handicap (oui ou non).",
        );
        return None;
    };
    match (declared, raw.existing_accommodation) {
        (true, None) => {
            errs.push(
                "disability.existing_accommodation",
                codes::REQUIRED,
                "Veuillez indiquer si vous bénéficiez déjà d'un aménagement d'épreuves.",
            );
            None
        }
        (false, Some(true)) => {
            errs.push(
                "disability.existing_accommodation",
                codes::INCONSISTENT_DISABILITY,
                "Vous avez indiqué bénéficier d'un aménagement d'épreuves : veuillez aussi \
                 répondre « oui » à la rubrique « Handicap ».",
            );
            None
        }
        (declared, existing) => Some(Disability {
            declared,
            existing_accommodation: existing.unwrap_or(false),
        }),
    }
}
