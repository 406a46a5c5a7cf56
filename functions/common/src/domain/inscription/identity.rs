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
}

const LAST_NAME: NameField = NameField {
    path: "identity.last_name",
    required: "Veuillez indiquer votre nom de famille.",
    subject: "Le nom de famille",
    plural: false,
};
const FIRST_NAMES: NameField = NameField {
    path: "identity.first_names",
    required: "Veuillez indiquer votre ou vos prénoms.",
    subject: "Les prénoms",
    plural: true,
};
const BIRTH_PLACE: NameField = NameField {
    path: "identity.birth_place",
    required: "Veuillez indiquer votre lieu de naissance.",
    subject: "Le lieu de naissance",
    plural: false,
};
const CITY: NameField = NameField {
    path: "identity.address.city",
    required: "Veuillez indiquer votre ville.",
    subject: "La ville",
    plural: false,
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
    if !v::is_valid_name(&name) {
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
        nationality: nationality?,
        address: address?,
        phone: phone?,
    })
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
