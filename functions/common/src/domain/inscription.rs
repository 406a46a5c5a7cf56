//! The inscription: what `PUT /inscription` takes ([`InscriptionInput`]),
//! its validation into the normalised, typed data that is stored and
//! returned ([`ValidInscription`]), and the summary of what changed that the
//! « Modification d'inscription » email carries.
//!
//! Pure: no I/O and no clock read; `today` comes in a [`ValidationContext`].

use std::collections::HashSet;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::domain::catalogue::{Catalogue, Specialty, Unit};
use crate::domain::countries::{country_fr, nationality_fr};
use crate::domain::validation::{self as v, codes, FieldError};
use crate::domain::Diploma;

/// Where a candidate asks for a new accommodation of the exams (notice,
/// section 4, « Candidats en situation de handicap »).
pub const ACCOMMODATION_REQUEST_URL: &str = "https://appli.ac-aix-marseille.fr/amex/";

/// A candidate is at least this old on the day they register...
pub const MIN_AGE: i32 = 14;
/// ...and at most this old.
pub const MAX_AGE: i32 = 100;
/// The lowest grade a benefit keeps (« bénéfice de note » needs 10/20).
pub const MIN_BENEFIT_GRADE: f64 = 10.0;
/// The highest grade there is.
pub const MAX_GRADE: f64 = 20.0;
/// A benefit comes from one of this many sessions before the current one.
pub const BENEFIT_SESSIONS: i32 = 5;
/// The earliest year a diploma giving a dispense may have been obtained.
pub const FIRST_DISPENSE_YEAR: i32 = 1950;

// ---------------------------------------------------------------------------
// The input
// ---------------------------------------------------------------------------

/// The body of `PUT /inscription`: the inscription's editable fields and the
/// `version` it was read at (0 to create).
///
/// Every missing or wrong value is answered by a 422 `validation_failed`
/// listing all the invalid fields at once (their leaves are lenient here, as
/// `Option`s and strings, for that). Unknown fields are rejected.
#[derive(Deserialize, Clone, Debug, Default, PartialEq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InscriptionInput {
    /// `BAC_PRO`, `MC`, `BP` or `CAP`.
    #[schema(required = true, example = "CAP")]
    pub diploma: Option<String>,
    /// A specialty code of that diploma in `GET /catalogue`.
    #[schema(required = true)]
    pub specialty: Option<String>,
    #[schema(required = true)]
    pub identity: Option<IdentityInput>,
    #[schema(required = true)]
    pub disability: Option<DisabilityInput>,
    /// Units the candidate need not sit (dispense) or whose grade they keep
    /// (benefit); none when absent.
    pub acquis: Option<Vec<AcquisInput>>,
    /// The version of the inscription this edit is based on; 0 to create it.
    #[schema(required = true, example = 0)]
    pub version: Option<u64>,
}

impl InscriptionInput {
    /// The version the edit is based on (0 when absent, which [`validate`]
    /// reports as `required`, so it is always given once validated).
    pub fn expected_version(&self) -> u64 {
        self.version.unwrap_or_default()
    }
}

#[derive(Deserialize, Clone, Debug, Default, PartialEq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IdentityInput {
    #[schema(required = true, example = "N'Diaye")]
    pub last_name: Option<String>,
    #[schema(required = true, example = "Zoé Anaïs")]
    pub first_names: Option<String>,
    /// `YYYY-MM-DD`.
    #[schema(required = true, example = "2004-05-17")]
    pub birth_date: Option<String>,
    #[schema(required = true, example = "Marseille")]
    pub birth_place: Option<String>,
    /// ISO 3166-1 alpha-2 code.
    #[schema(required = true, example = "FR")]
    pub nationality: Option<String>,
    #[schema(required = true)]
    pub address: Option<AddressInput>,
    /// French (`06 12 34 56 78`) or international (`+32 470 12 34 56`) number.
    #[schema(required = true, example = "06 12 34 56 78")]
    pub phone: Option<String>,
}

#[derive(Deserialize, Clone, Debug, Default, PartialEq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddressInput {
    #[schema(required = true, example = "12 rue de la République")]
    pub line1: Option<String>,
    pub line2: Option<String>,
    /// Five digits in France.
    #[schema(required = true, example = "13001")]
    pub postal_code: Option<String>,
    #[schema(required = true, example = "Marseille")]
    pub city: Option<String>,
    /// ISO 3166-1 alpha-2 code.
    #[schema(required = true, example = "FR")]
    pub country: Option<String>,
}

#[derive(Deserialize, Clone, Debug, Default, PartialEq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisabilityInput {
    /// Whether the candidate is in a situation of disability (« Handicap »).
    #[schema(required = true)]
    pub declared: Option<bool>,
    /// Whether they already have an accommodation of the exams; required
    /// when `declared` is true, false when absent otherwise.
    pub existing_accommodation: Option<bool>,
}

#[derive(Deserialize, Clone, Debug, Default, PartialEq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcquisInput {
    /// A unit code of the chosen specialty, e.g. `EP1`.
    #[schema(required = true, example = "EP1")]
    pub unit: Option<String>,
    /// `dispense` or `benefit`.
    #[serde(rename = "type")]
    #[schema(required = true, example = "benefit")]
    pub kind: Option<String>,
    /// For a benefit only: the grade kept, 10 to 20, at most two decimals.
    #[schema(example = 12.5)]
    pub grade: Option<f64>,
    /// The session of the benefit, or the year the diploma giving the
    /// dispense was obtained.
    #[schema(required = true, example = 2020)]
    pub year: Option<i64>,
}

// ---------------------------------------------------------------------------
// The valid, normalised data
// ---------------------------------------------------------------------------

/// A validated inscription: normalised and typed. This is what is stored and
/// returned (the inscription of the CONTRACT, less `session`, `version`,
/// `status`, `pieces` and the timestamps, which the service adds).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, utoipa::ToSchema)]
pub struct ValidInscription {
    pub diploma: Diploma,
    /// The catalogue's code of the specialty.
    pub specialty: String,
    pub identity: Identity,
    pub disability: Disability,
    pub acquis: Vec<Acquis>,
}

/// Another name for [`ValidInscription`].
pub type InscriptionData = ValidInscription;

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, utoipa::ToSchema)]
pub struct Identity {
    pub last_name: String,
    pub first_names: String,
    #[schema(value_type = String, format = Date, example = "2004-05-17")]
    pub birth_date: NaiveDate,
    pub birth_place: String,
    /// ISO 3166-1 alpha-2, uppercase.
    pub nationality: String,
    pub address: Address,
    /// E.164, e.g. `+33612345678`.
    pub phone: String,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, utoipa::ToSchema)]
pub struct Address {
    pub line1: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line2: Option<String>,
    pub postal_code: String,
    pub city: String,
    /// ISO 3166-1 alpha-2, uppercase.
    pub country: String,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, utoipa::ToSchema)]
pub struct Disability {
    pub declared: bool,
    pub existing_accommodation: bool,
}

impl Disability {
    /// A disability declared without an accommodation already granted: the
    /// candidate must ask for one at [`ACCOMMODATION_REQUEST_URL`].
    pub fn needs_accommodation_request(&self) -> bool {
        self.declared && !self.existing_accommodation
    }
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AcquisKind {
    /// « Dispense »: the unit is not sat, thanks to a diploma or title held.
    Dispense,
    /// « Bénéfice de note »: a grade of at least 10 from an earlier session is kept.
    Benefit,
}

impl AcquisKind {
    pub fn code(self) -> &'static str {
        match self {
            AcquisKind::Dispense => "dispense",
            AcquisKind::Benefit => "benefit",
        }
    }

    pub fn label_fr(self) -> &'static str {
        match self {
            AcquisKind::Dispense => "dispense",
            AcquisKind::Benefit => "bénéfice de note",
        }
    }
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, utoipa::ToSchema)]
pub struct Acquis {
    /// The catalogue's code of the unit.
    pub unit: String,
    #[serde(rename = "type")]
    pub kind: AcquisKind,
    /// For a benefit: the grade kept, rounded to the hundredth.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grade: Option<f64>,
    pub year: i32,
}

impl ValidInscription {
    /// Whether the answer should point the candidate to
    /// [`ACCOMMODATION_REQUEST_URL`].
    pub fn needs_accommodation_request(&self) -> bool {
        self.disability.needs_accommodation_request()
    }

    /// [`ACCOMMODATION_REQUEST_URL`] when a new accommodation request is needed.
    pub fn accommodation_request_url(&self) -> Option<&'static str> {
        self.needs_accommodation_request()
            .then_some(ACCOMMODATION_REQUEST_URL)
    }

    /// The units of the declared acquis, in the order declared.
    pub fn acquis_units(&self) -> Vec<&str> {
        self.acquis.iter().map(|a| a.unit.as_str()).collect()
    }

    /// The input that describes this inscription at `version` (to prefill a
    /// form; it validates back to `self`).
    pub fn to_input(&self, version: u64) -> InscriptionInput {
        let id = &self.identity;
        InscriptionInput {
            diploma: Some(self.diploma.code().to_owned()),
            specialty: Some(self.specialty.clone()),
            identity: Some(IdentityInput {
                last_name: Some(id.last_name.clone()),
                first_names: Some(id.first_names.clone()),
                birth_date: Some(id.birth_date.format("%Y-%m-%d").to_string()),
                birth_place: Some(id.birth_place.clone()),
                nationality: Some(id.nationality.clone()),
                address: Some(AddressInput {
                    line1: Some(id.address.line1.clone()),
                    line2: id.address.line2.clone(),
                    postal_code: Some(id.address.postal_code.clone()),
                    city: Some(id.address.city.clone()),
                    country: Some(id.address.country.clone()),
                }),
                phone: Some(id.phone.clone()),
            }),
            disability: Some(DisabilityInput {
                declared: Some(self.disability.declared),
                existing_accommodation: Some(self.disability.existing_accommodation),
            }),
            acquis: Some(
                self.acquis
                    .iter()
                    .map(|a| AcquisInput {
                        unit: Some(a.unit.clone()),
                        kind: Some(a.kind.code().to_owned()),
                        grade: a.grade,
                        year: Some(i64::from(a.year)),
                    })
                    .collect(),
            ),
            version: Some(version),
        }
    }
}

/// Whether the answer to a save should carry [`ACCOMMODATION_REQUEST_URL`].
pub fn accommodation_request_url(data: &ValidInscription) -> Option<&'static str> {
    data.accommodation_request_url()
}

// ---------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------

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
struct Errors(Vec<FieldError>);

impl Errors {
    fn push(&mut self, field: &str, code: &str, message: impl Into<String>) {
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
                "Ce diplôme n'est pas proposé : choisissez le baccalauréat professionnel (BAC_PRO), \
                 une mention complémentaire (MC), le brevet professionnel (BP) ou le certificat \
                 d'aptitude professionnelle (CAP).",
            );
            None
        }
    }
}

#[derive(Clone, Copy)]
enum SpecialtyCheck<'a> {
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

/// `Some(s)` when `s` has something else than whitespace.
fn non_blank(raw: Option<&str>) -> Option<&str> {
    raw.filter(|s| !s.trim().is_empty())
}

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

fn check_identity(
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

fn check_disability(raw: Option<&DisabilityInput>, errs: &mut Errors) -> Option<Disability> {
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

/// Finds a unit of the specialty by its code, ignoring ASCII case.
fn find_unit<'a>(specialty: &'a Specialty, code: &str) -> Option<&'a Unit> {
    specialty.unit(code).or_else(|| {
        specialty
            .units
            .iter()
            .find(|u| u.code.eq_ignore_ascii_case(code))
    })
}

fn check_acquis(
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

// ---------------------------------------------------------------------------
// What changed
// ---------------------------------------------------------------------------

/// The acquis in a canonical order, so that reordering them changes nothing.
fn sorted_acquis(data: &ValidInscription) -> Vec<&Acquis> {
    let mut acquis: Vec<&Acquis> = data.acquis.iter().collect();
    acquis.sort_by(|a, b| a.unit.cmp(&b.unit).then(a.year.cmp(&b.year)));
    acquis
}

/// The dotted paths of the fields that differ between two inscriptions, in
/// the order of the input (`diploma`, `identity.address.city`, `acquis`...).
/// The acquis are compared as a whole, whatever their order.
pub fn changed_fields(old: &ValidInscription, new: &ValidInscription) -> Vec<String> {
    let (o, n) = (&old.identity, &new.identity);
    let (oa, na) = (&o.address, &n.address);
    let checks: [(&str, bool); 16] = [
        ("diploma", old.diploma != new.diploma),
        ("specialty", old.specialty != new.specialty),
        ("identity.last_name", o.last_name != n.last_name),
        ("identity.first_names", o.first_names != n.first_names),
        ("identity.birth_date", o.birth_date != n.birth_date),
        ("identity.birth_place", o.birth_place != n.birth_place),
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
        _ => "Autre information",
    }
}

fn yes_no(b: bool) -> String {
    if b { "oui" } else { "non" }.to_owned()
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
        "disability.declared" => yes_no(data.disability.declared),
        "disability.existing_accommodation" => yes_no(data.disability.existing_accommodation),
        "acquis" if data.acquis.is_empty() => "aucun".to_owned(),
        "acquis" => data
            .acquis
            .iter()
            .map(|a| describe_acquis(a, specialty))
            .collect::<Vec<_>>()
            .join(" ; "),
        _ => String::new(),
    }
}

/// Every field path, in the order of the input.
const ALL_FIELDS: [&str; 16] = [
    "diploma",
    "specialty",
    "identity.last_name",
    "identity.first_names",
    "identity.birth_date",
    "identity.birth_place",
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
                if path == "identity.address.line2" && new.identity.address.line2.is_none() {
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

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::{json, Value};

    /// A small catalogue in the shape of `GET /catalogue`.
    pub(crate) fn catalogue() -> Catalogue {
        serde_json::from_value(json!({"diplomas": [
            {"diploma": "CAP", "label": "Certificat d'aptitude professionnelle", "specialties": [
                {"code": "CUISINE", "label": "Cuisine", "units": [
                    {"code": "EP1", "label": "Organisation de la production de cuisine", "kind": "professional"},
                    {"code": "EP2", "label": "Réalisation de la production de cuisine", "kind": "professional"},
                    {"code": "EG1", "label": "Français, histoire-géographie et enseignement moral et civique", "kind": "general"},
                    {"code": "EG2", "label": "Mathématiques et physique-chimie", "kind": "general"},
                    {"code": "EG3", "label": "Éducation physique et sportive", "kind": "general"}
                ]}
            ]},
            {"diploma": "BAC_PRO", "label": "Baccalauréat professionnel", "specialties": [
                {"code": "MELEC", "label": "Métiers de l'électricité et de ses environnements connectés", "units": [
                    {"code": "E2", "label": "Analyse d'un ouvrage", "kind": "professional"},
                    {"code": "E31", "label": "Réalisation d'une installation", "kind": "professional"}
                ]}
            ]}
        ]}))
        .expect("test catalogue")
    }

    pub(crate) fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2021, 11, 25).expect("date")
    }

    fn valid_json() -> Value {
        json!({
            "diploma": "CAP",
            "specialty": "CUISINE",
            "identity": {
                "last_name": "N'Diaye",
                "first_names": "Zoé Anaïs",
                "birth_date": "2004-05-17",
                "birth_place": "Marseille",
                "nationality": "FR",
                "address": {
                    "line1": "12 rue de la République",
                    "postal_code": "13001",
                    "city": "Marseille",
                    "country": "FR"
                },
                "phone": "06 12 34 56 78"
            },
            "disability": {"declared": false, "existing_accommodation": false},
            "acquis": [
                {"unit": "EG1", "type": "dispense", "year": 2019},
                {"unit": "EP1", "type": "benefit", "grade": 12.5, "year": 2020}
            ],
            "version": 0
        })
    }

    fn run(value: &Value) -> Result<ValidInscription, Vec<FieldError>> {
        run_on(value, today())
    }

    fn run_on(value: &Value, today: NaiveDate) -> Result<ValidInscription, Vec<FieldError>> {
        let input: InscriptionInput = serde_json::from_value(value.clone()).expect("deserialises");
        let cat = catalogue();
        validate(
            &input,
            &ValidationContext {
                catalogue: &cat,
                session_year: 2022,
                today,
            },
        )
    }

    /// The valid input with the value at a JSON pointer replaced (or removed for `None`).
    fn with(pointer: &str, value: Option<Value>) -> Value {
        let mut v = valid_json();
        match value {
            Some(value) => *v.pointer_mut(pointer).expect("pointer exists") = value,
            None => {
                let (parent, key) = pointer.rsplit_once('/').expect("pointer");
                let removed = v
                    .pointer_mut(parent)
                    .and_then(Value::as_object_mut)
                    .and_then(|o| o.remove(key));
                assert!(removed.is_some(), "{pointer} exists");
            }
        }
        v
    }

    /// The (field, code) pairs of the errors.
    fn errors(value: &Value) -> Vec<(String, String)> {
        match run(value) {
            Ok(_) => Vec::new(),
            Err(errs) => {
                for e in &errs {
                    assert!(!e.message.is_empty() && e.message.ends_with('.'), "{e:?}");
                    assert!(codes::ALL.contains(&e.code.as_str()), "{e:?}");
                }
                errs.into_iter().map(|e| (e.field, e.code)).collect()
            }
        }
    }

    fn one(field: &str, code: &str) -> Vec<(String, String)> {
        vec![(field.to_owned(), code.to_owned())]
    }

    fn ok(value: &Value) -> ValidInscription {
        match run(value) {
            Ok(v) => v,
            Err(e) => panic!("expected valid, got {e:?}"),
        }
    }

    #[test]
    fn a_valid_inscription_is_normalised() {
        let v = ok(&valid_json());
        assert_eq!(v.diploma, Diploma::Cap);
        assert_eq!(v.specialty, "CUISINE");
        assert_eq!(v.identity.last_name, "N'Diaye");
        assert_eq!(
            v.identity.birth_date,
            NaiveDate::from_ymd_opt(2004, 5, 17).unwrap()
        );
        assert_eq!(v.identity.phone, "+33612345678");
        assert_eq!(v.identity.address.line2, None);
        assert_eq!(
            v.disability,
            Disability {
                declared: false,
                existing_accommodation: false
            }
        );
        assert_eq!(
            v.acquis,
            vec![
                Acquis {
                    unit: "EG1".into(),
                    kind: AcquisKind::Dispense,
                    grade: None,
                    year: 2019
                },
                Acquis {
                    unit: "EP1".into(),
                    kind: AcquisKind::Benefit,
                    grade: Some(12.5),
                    year: 2020
                },
            ]
        );

        let mut messy = valid_json();
        messy["diploma"] = json!(" cap ");
        messy["specialty"] = json!(" CUISINE ");
        messy["identity"]["last_name"] = json!("  Le   Goff -Ménard ");
        messy["identity"]["first_names"] = json!("Zoe\u{301}\u{a0} Anaïs");
        messy["identity"]["nationality"] = json!(" fr");
        messy["identity"]["address"]["line1"] = json!(" 12  rue\tde la République ");
        messy["identity"]["address"]["line2"] = json!("   ");
        messy["identity"]["address"]["postal_code"] = json!("13 001");
        messy["identity"]["address"]["country"] = json!("fr");
        messy["identity"]["phone"] = json!("+33 (0)6.12.34.56.78");
        messy["acquis"][0]["unit"] = json!(" eg1 ");
        messy["acquis"][0]["type"] = json!("Dispense");
        messy.as_object_mut().unwrap().remove("disability");
        messy["disability"] = json!({"declared": false});
        let m = ok(&messy);
        assert_eq!(m.identity.last_name, "Le Goff-Ménard");
        assert_eq!(m.identity.first_names, "Zoé Anaïs");
        assert_eq!(m.identity.nationality, "FR");
        assert_eq!(m.identity.address.line1, "12 rue de la République");
        assert_eq!(m.identity.address.line2, None);
        assert_eq!(m.identity.address.postal_code, "13001");
        assert_eq!(m.identity.address.country, "FR");
        assert_eq!(m.identity.phone, "+33612345678");
        assert_eq!(m.acquis[0].unit, "EG1");
        assert_eq!(m.acquis[0].kind, AcquisKind::Dispense);
        assert!(!m.disability.existing_accommodation);
        // Everything but the last name and the line2 normalises back to the same data.
        assert_eq!(m.identity.first_names, v.identity.first_names);
    }

    #[test]
    fn diploma_and_specialty() {
        assert_eq!(errors(&with("/diploma", None)), one("diploma", "required"));
        assert_eq!(
            errors(&with("/diploma", Some(json!("")))),
            one("diploma", "required")
        );
        assert_eq!(
            errors(&with("/diploma", Some(Value::Null))),
            one("diploma", "required")
        );
        // An unknown diploma hides the specialty's check (and the units').
        assert_eq!(
            errors(&with("/diploma", Some(json!("BTS")))),
            one("diploma", "unknown_diploma")
        );
        assert_eq!(
            errors(&with("/specialty", None)),
            one("specialty", "required")
        );
        assert_eq!(
            errors(&with("/specialty", Some(json!("PATISSERIE")))),
            one("specialty", "unknown_specialty")
        );
        // MELEC is a Bac Pro specialty, not a CAP one.
        assert_eq!(
            errors(&with("/specialty", Some(json!("MELEC")))),
            one("specialty", "unknown_specialty")
        );

        let mut bac = valid_json();
        bac["diploma"] = json!("Bac Pro");
        bac["specialty"] = json!("MELEC");
        bac["acquis"] = json!([]);
        let v = ok(&bac);
        assert_eq!(
            (v.diploma, v.specialty.as_str()),
            (Diploma::BacPro, "MELEC")
        );
    }

    #[test]
    fn names() {
        for path in [
            "/identity/last_name",
            "/identity/first_names",
            "/identity/birth_place",
            "/identity/address/city",
        ] {
            let field = path.trim_start_matches('/').replace('/', ".");
            for good in [
                "N'Diaye",
                "Le Goff-Ménard",
                "Zoé Anaïs",
                "d’Artagnan",
                "Œdipe",
                "Aix-en-Provence",
                "Ngô",
            ] {
                let v = ok(&with(path, Some(json!(good))));
                let got = match path {
                    "/identity/last_name" => v.identity.last_name,
                    "/identity/first_names" => v.identity.first_names,
                    "/identity/birth_place" => v.identity.birth_place,
                    _ => v.identity.address.city,
                };
                assert_eq!(got, good);
            }
            assert_eq!(errors(&with(path, None)), one(&field, "required"), "{path}");
            assert_eq!(
                errors(&with(path, Some(json!("  \t ")))),
                one(&field, "required"),
                "{path}"
            );
            for bad in [
                "Jean2",
                "Marseille 13",
                "Jean_Pierre",
                "-Jean",
                "Jean--Pierre",
                "J@ne",
                "Dupont.",
            ] {
                assert_eq!(
                    errors(&with(path, Some(json!(bad)))),
                    one(&field, "invalid_name"),
                    "{bad}"
                );
            }
            let long = "a".repeat(101);
            assert_eq!(
                errors(&with(path, Some(json!(long)))),
                one(&field, "invalid_name")
            );
            ok(&with(path, Some(json!("é".repeat(100)))));
        }
        let e = run(&with("/identity/first_names", Some(json!("Jean2")))).unwrap_err();
        assert_eq!(
            e[0].message,
            "Les prénoms ne peuvent contenir que des lettres, séparées par une espace, un trait \
             d'union ou une apostrophe (pas de chiffre ni d'autre symbole)."
        );
    }

    #[test]
    fn birth_dates() {
        let f = "identity.birth_date";
        assert_eq!(
            errors(&with("/identity/birth_date", None)),
            one(f, "required")
        );
        for bad in [
            "2021-02-29",
            "2004-02-30",
            "17/05/2004",
            "2004-5-17",
            "2004-05-17T00:00:00Z",
            "hier",
        ] {
            assert_eq!(
                errors(&with("/identity/birth_date", Some(json!(bad)))),
                one(f, "invalid_date"),
                "{bad}"
            );
        }
        let e = run(&with("/identity/birth_date", Some(json!("2021-02-29")))).unwrap_err();
        assert_eq!(
            e[0].message,
            "La date de naissance doit être une date réelle au format AAAA-MM-JJ."
        );
        // A real 29 February.
        let v = ok(&with("/identity/birth_date", Some(json!("2004-02-29"))));
        assert_eq!(
            v.identity.birth_date,
            NaiveDate::from_ymd_opt(2004, 2, 29).unwrap()
        );
        assert_eq!(
            errors(&with("/identity/birth_date", Some(json!("2020-02-29")))),
            one(f, "implausible_birth_date")
        );
        // Today is 2021-11-25: 14 years old exactly is fine, one day less is not.
        ok(&with("/identity/birth_date", Some(json!("2007-11-25"))));
        assert_eq!(
            errors(&with("/identity/birth_date", Some(json!("2007-11-26")))),
            one(f, "implausible_birth_date")
        );
        // 100 years old is fine, 101 is not.
        ok(&with("/identity/birth_date", Some(json!("1920-11-26"))));
        assert_eq!(
            errors(&with("/identity/birth_date", Some(json!("1920-11-25")))),
            one(f, "implausible_birth_date")
        );
        // The future.
        assert_eq!(
            errors(&with("/identity/birth_date", Some(json!("2021-11-26")))),
            one(f, "implausible_birth_date")
        );
        assert_eq!(
            errors(&with("/identity/birth_date", Some(json!("2090-01-01")))),
            one(f, "implausible_birth_date")
        );
        // Born on 29 February 2008: 14 on 1 March 2022, not on 28 February.
        let born = with("/identity/birth_date", Some(json!("2008-02-29")));
        let day = |m, d| NaiveDate::from_ymd_opt(2022, m, d).unwrap();
        assert!(run_on(&born, day(2, 28)).is_err());
        assert!(run_on(&born, day(3, 1)).is_ok());
    }

    #[test]
    fn countries() {
        for (path, field) in [
            ("/identity/nationality", "identity.nationality"),
            ("/identity/address/country", "identity.address.country"),
        ] {
            assert_eq!(errors(&with(path, None)), one(field, "required"));
            for bad in ["FRA", "France", "ZZ", "UK", "F", "12"] {
                assert_eq!(
                    errors(&with(path, Some(json!(bad)))),
                    one(field, "invalid_country"),
                    "{bad}"
                );
            }
        }
        let mut be = with("/identity/nationality", Some(json!("be")));
        be["identity"]["address"]["country"] = json!("BE");
        be["identity"]["address"]["postal_code"] = json!("1000");
        be["identity"]["address"]["city"] = json!("Bruxelles");
        let v = ok(&be);
        assert_eq!(
            (
                v.identity.nationality.as_str(),
                v.identity.address.country.as_str()
            ),
            ("BE", "BE")
        );
    }

    #[test]
    fn postal_codes_and_address_lines() {
        let f = "identity.address.postal_code";
        let p = "/identity/address/postal_code";
        assert_eq!(errors(&with(p, None)), one(f, "required"));
        for bad in ["1300", "130010", "13A01", "2A004", "ABCDE"] {
            assert_eq!(
                errors(&with(p, Some(json!(bad)))),
                one(f, "invalid_postal_code"),
                "{bad}"
            );
        }
        assert_eq!(
            ok(&with(p, Some(json!(" 13 090 "))))
                .identity
                .address
                .postal_code,
            "13090"
        );
        let e = run(&with(p, Some(json!("1300")))).unwrap_err();
        assert_eq!(
            e[0].message,
            "Le code postal doit comporter exactement 5 chiffres, par exemple 13100."
        );

        let mut gb = with("/identity/address/country", Some(json!("GB")));
        gb["identity"]["address"]["postal_code"] = json!("sw1a 1aa");
        gb["identity"]["address"]["city"] = json!("London");
        assert_eq!(ok(&gb).identity.address.postal_code, "SW1A 1AA");
        gb["identity"]["address"]["postal_code"] = json!("S");
        assert_eq!(errors(&gb), one(f, "invalid_postal_code"));
        // An unknown country: only the country is reported.
        let mut xx = with("/identity/address/country", Some(json!("XX")));
        xx["identity"]["address"]["postal_code"] = json!("1000");
        assert_eq!(
            errors(&xx),
            one("identity.address.country", "invalid_country")
        );

        let l1 = "/identity/address/line1";
        assert_eq!(
            errors(&with(l1, None)),
            one("identity.address.line1", "required")
        );
        assert_eq!(
            errors(&with(l1, Some(json!(" ")))),
            one("identity.address.line1", "required")
        );
        assert_eq!(
            errors(&with(l1, Some(json!("x".repeat(101))))),
            one("identity.address.line1", "too_long")
        );
        ok(&with(l1, Some(json!("x".repeat(100)))));
        assert_eq!(
            errors(&with(l1, Some(json!("12 rue\u{7}")))),
            one("identity.address.line1", "invalid_address_line")
        );
        let mut l2 = valid_json();
        l2["identity"]["address"]["line2"] = json!("  Bâtiment   B ");
        assert_eq!(
            ok(&l2).identity.address.line2.as_deref(),
            Some("Bâtiment B")
        );
        l2["identity"]["address"]["line2"] = Value::Null;
        assert_eq!(ok(&l2).identity.address.line2, None);
        l2["identity"]["address"]["line2"] = json!("y".repeat(101));
        assert_eq!(errors(&l2), one("identity.address.line2", "too_long"));
    }

    #[test]
    fn phones() {
        let p = "/identity/phone";
        for (typed, e164) in [
            ("06 12 34 56 78", "+33612345678"),
            ("0612345678", "+33612345678"),
            ("06.12.34.56.78", "+33612345678"),
            ("06-12-34-56-78", "+33612345678"),
            ("+33 6 12 34 56 78", "+33612345678"),
            ("+32 470 12 34 56", "+32470123456"),
            ("0692 12 34 56", "+262692123456"),
        ] {
            assert_eq!(
                ok(&with(p, Some(json!(typed)))).identity.phone,
                e164,
                "{typed}"
            );
        }
        assert_eq!(errors(&with(p, None)), one("identity.phone", "required"));
        for bad in [
            "06 12 34 56",
            "12345",
            "+33 6 12",
            "+1234567890123456",
            "06 12 34 56 7O",
            "appelez-moi",
        ] {
            assert_eq!(
                errors(&with(p, Some(json!(bad)))),
                one("identity.phone", "invalid_phone"),
                "{bad}"
            );
        }
    }

    #[test]
    fn disability() {
        let v = ok(&with(
            "/disability",
            Some(json!({"declared": true, "existing_accommodation": false})),
        ));
        assert!(v.needs_accommodation_request());
        assert_eq!(
            v.accommodation_request_url(),
            Some(ACCOMMODATION_REQUEST_URL)
        );
        assert_eq!(
            accommodation_request_url(&v),
            Some("https://appli.ac-aix-marseille.fr/amex/")
        );
        let v = ok(&with(
            "/disability",
            Some(json!({"declared": true, "existing_accommodation": true})),
        ));
        assert!(!v.needs_accommodation_request());
        assert_eq!(v.accommodation_request_url(), None);
        let v = ok(&with("/disability", Some(json!({"declared": false}))));
        assert_eq!(v.disability, Disability::default());
        assert_eq!(v.accommodation_request_url(), None);

        assert_eq!(
            errors(&with(
                "/disability",
                Some(json!({"declared": false, "existing_accommodation": true}))
            )),
            one(
                "disability.existing_accommodation",
                "inconsistent_disability"
            )
        );
        assert_eq!(
            errors(&with("/disability", Some(json!({"declared": true})))),
            one("disability.existing_accommodation", "required")
        );
        assert_eq!(
            errors(&with("/disability", Some(json!({})))),
            one("disability.declared", "required")
        );
        assert_eq!(
            errors(&with("/disability", None)),
            one("disability.declared", "required")
        );
    }

    #[test]
    fn acquis() {
        let a = |v: Value| with("/acquis", Some(v));
        assert!(ok(&with("/acquis", None)).acquis.is_empty());
        assert!(ok(&a(json!([]))).acquis.is_empty());
        assert_eq!(
            errors(&a(
                json!([{"unit": "EP9", "type": "dispense", "year": 2019}])
            )),
            one("acquis[0].unit", "unknown_unit")
        );
        // A Bac Pro unit is not a CAP Cuisine unit.
        assert_eq!(
            errors(&a(
                json!([{"unit": "E31", "type": "dispense", "year": 2019}])
            )),
            one("acquis[0].unit", "unknown_unit")
        );
        assert_eq!(
            errors(&a(json!([
                {"unit": "EP1", "type": "dispense", "year": 2019},
                {"unit": "ep1", "type": "benefit", "grade": 12, "year": 2019}
            ]))),
            one("acquis[1].unit", "duplicate_unit")
        );
        assert_eq!(
            errors(&a(
                json!([{"unit": "EP1", "type": "exemption", "year": 2019}])
            )),
            one("acquis[0].type", "invalid_acquis_type")
        );
        assert_eq!(
            errors(&a(
                json!([{"unit": "EP1", "type": "dispense", "grade": 14, "year": 2019}])
            )),
            one("acquis[0].grade", "unexpected_grade")
        );
        assert_eq!(
            errors(&a(
                json!([{"unit": "EP1", "type": "benefit", "year": 2019}])
            )),
            one("acquis[0].grade", "required")
        );
        assert_eq!(
            errors(&a(json!([{}]))),
            vec![
                ("acquis[0].unit".to_owned(), "required".to_owned()),
                ("acquis[0].type".to_owned(), "required".to_owned()),
                ("acquis[0].year".to_owned(), "required".to_owned()),
            ]
        );
        for grade in [json!(10), json!(20), json!(12.25), json!(15.1), json!(10.0)] {
            ok(&a(
                json!([{"unit": "EP1", "type": "benefit", "grade": grade, "year": 2020}]),
            ));
        }
        for grade in [
            json!(9.99),
            json!(20.01),
            json!(12.345),
            json!(0),
            json!(-12),
            json!(1e300),
        ] {
            assert_eq!(
                errors(&a(
                    json!([{"unit": "EP1", "type": "benefit", "grade": grade, "year": 2020}])
                )),
                one("acquis[0].grade", "invalid_grade"),
                "{grade}"
            );
        }
        // Benefits: the last five sessions, 2017 to 2021 for the 2022 session.
        for year in [2017, 2021] {
            ok(&a(
                json!([{"unit": "EP1", "type": "benefit", "grade": 11, "year": year}]),
            ));
        }
        for year in [2016, 2022, 0, -1, 99_999_999_999_i64] {
            assert_eq!(
                errors(&a(
                    json!([{"unit": "EP1", "type": "benefit", "grade": 11, "year": year}])
                )),
                one("acquis[0].year", "invalid_year"),
                "{year}"
            );
        }
        // Dispenses: 1950 to this year (today is in 2021).
        for year in [1950, 1990, 2021] {
            ok(&a(
                json!([{"unit": "EG1", "type": "dispense", "year": year}]),
            ));
        }
        for year in [1949, 2022] {
            assert_eq!(
                errors(&a(
                    json!([{"unit": "EG1", "type": "dispense", "year": year}])
                )),
                one("acquis[0].year", "invalid_year"),
                "{year}"
            );
        }
        let e = run(&a(
            json!([{"unit": "EP1", "type": "benefit", "grade": 11, "year": 2016}]),
        ))
        .unwrap_err();
        assert_eq!(
            e[0].message,
            "Un bénéfice de note doit venir de l'une des 5 dernières sessions, de 2017 à 2021."
        );
        // The canonical unit code is kept, the grade rounded to the hundredth.
        let v = ok(&a(
            json!([{"unit": " ep2", "type": "BENEFIT", "grade": 13.1, "year": 2018}]),
        ));
        assert_eq!(
            v.acquis,
            vec![Acquis {
                unit: "EP2".into(),
                kind: AcquisKind::Benefit,
                grade: Some(13.1),
                year: 2018
            }]
        );
    }

    #[test]
    fn the_embedded_catalogue_is_used_as_is() {
        let cat = Catalogue::embedded().expect("embedded catalogue");
        let ctx = ValidationContext {
            catalogue: &cat,
            session_year: 2022,
            today: today(),
        };
        for entry in &cat.diplomas {
            let specialty = &entry.specialties[0];
            let unit = &specialty.units[0];
            let mut json = valid_json();
            json["diploma"] = json!(entry.diploma.code());
            json["specialty"] = json!(specialty.code.to_lowercase());
            json["acquis"] =
                json!([{"unit": unit.code.to_lowercase(), "type": "dispense", "year": 2015}]);
            let input: InscriptionInput = serde_json::from_value(json).unwrap();
            let v = validate(&input, &ctx).expect("valid");
            assert_eq!(v.specialty, specialty.code);
            assert_eq!(v.acquis[0].unit, unit.code);
            let summary = change_summary_fr(None, &v, &cat);
            assert!(
                summary.contains(&format!("- Spécialité : {}", specialty.label)),
                "{summary}"
            );
            assert!(
                summary.contains(&format!("{} – {}", unit.code, unit.label)),
                "{summary}"
            );
        }
    }

    #[test]
    fn version_is_required() {
        assert_eq!(errors(&with("/version", None)), one("version", "required"));
        let input: InscriptionInput =
            serde_json::from_value(with("/version", Some(json!(7)))).unwrap();
        assert_eq!(input.expected_version(), 7);
    }

    #[test]
    fn every_invalid_field_is_reported_at_once() {
        let mut bad = valid_json();
        bad["specialty"] = json!("PATISSERIE");
        bad["identity"]["last_name"] = json!("Dupont3");
        bad["identity"]["birth_date"] = json!("2021-02-29");
        bad["identity"]["address"]["postal_code"] = json!("1300");
        bad["identity"]["phone"] = json!("12");
        bad["disability"] = json!({"declared": false, "existing_accommodation": true});
        let got = errors(&bad);
        assert_eq!(
            got,
            vec![
                ("specialty".to_owned(), "unknown_specialty".to_owned()),
                ("identity.last_name".to_owned(), "invalid_name".to_owned()),
                ("identity.birth_date".to_owned(), "invalid_date".to_owned()),
                (
                    "identity.address.postal_code".to_owned(),
                    "invalid_postal_code".to_owned()
                ),
                ("identity.phone".to_owned(), "invalid_phone".to_owned()),
                (
                    "disability.existing_accommodation".to_owned(),
                    "inconsistent_disability".to_owned()
                ),
            ]
        );

        // An empty body: every required field, each at its own path.
        let fields: Vec<String> = errors(&json!({})).into_iter().map(|(f, _)| f).collect();
        assert_eq!(
            fields,
            [
                "diploma",
                "specialty",
                "identity.last_name",
                "identity.first_names",
                "identity.birth_date",
                "identity.birth_place",
                "identity.nationality",
                "identity.address.line1",
                "identity.address.country",
                "identity.address.postal_code",
                "identity.address.city",
                "identity.phone",
                "disability.declared",
                "version",
            ]
        );
    }

    #[test]
    fn unknown_fields_are_rejected_at_every_level() {
        for pointer in [
            "",
            "/identity",
            "/identity/address",
            "/disability",
            "/acquis/0",
        ] {
            let mut v = valid_json();
            v.pointer_mut(pointer)
                .and_then(Value::as_object_mut)
                .expect("object")
                .insert("surprise".into(), json!(1));
            let err = serde_json::from_value::<InscriptionInput>(v).unwrap_err();
            assert!(
                err.to_string().contains("unknown field `surprise`"),
                "{pointer}: {err}"
            );
        }
    }

    #[test]
    fn the_stored_shape_is_the_contract_shape_and_reads_back_as_input() {
        let mut input = valid_json();
        input["identity"]["address"]["line2"] = json!("Bâtiment B");
        let v = ok(&input);
        let stored = serde_json::to_value(&v).unwrap();
        assert_eq!(
            stored,
            json!({
                "diploma": "CAP",
                "specialty": "CUISINE",
                "identity": {
                    "last_name": "N'Diaye",
                    "first_names": "Zoé Anaïs",
                    "birth_date": "2004-05-17",
                    "birth_place": "Marseille",
                    "nationality": "FR",
                    "address": {
                        "line1": "12 rue de la République",
                        "line2": "Bâtiment B",
                        "postal_code": "13001",
                        "city": "Marseille",
                        "country": "FR"
                    },
                    "phone": "+33612345678"
                },
                "disability": {"declared": false, "existing_accommodation": false},
                "acquis": [
                    {"unit": "EG1", "type": "dispense", "year": 2019},
                    {"unit": "EP1", "type": "benefit", "grade": 12.5, "year": 2020}
                ]
            })
        );
        let back: ValidInscription = serde_json::from_value(stored.clone()).unwrap();
        assert_eq!(back, v);
        let mut again = stored;
        again["version"] = json!(3);
        assert_eq!(run(&again).unwrap(), v);
        assert_eq!(
            v.to_input(3),
            serde_json::from_value::<InscriptionInput>(again).unwrap()
        );
    }

    #[test]
    fn changed_fields_name_what_changed() {
        let old = ok(&valid_json());
        assert!(changed_fields(&old, &old).is_empty());

        let mut new = old.clone();
        new.identity.address.city = "Aix-en-Provence".into();
        new.identity.address.postal_code = "13100".into();
        assert_eq!(
            changed_fields(&old, &new),
            ["identity.address.postal_code", "identity.address.city"]
        );

        let mut reordered = old.clone();
        reordered.acquis.reverse();
        assert!(changed_fields(&old, &reordered).is_empty());

        let mut other = old.clone();
        other.diploma = Diploma::BacPro;
        other.specialty = "MELEC".into();
        other.acquis.clear();
        other.disability = Disability {
            declared: true,
            existing_accommodation: true,
        };
        other.identity.address.line2 = Some("Bâtiment B".into());
        assert_eq!(
            changed_fields(&old, &other),
            [
                "diploma",
                "specialty",
                "identity.address.line2",
                "disability.declared",
                "disability.existing_accommodation",
                "acquis"
            ]
        );
    }

    #[test]
    fn a_save_changes_nothing_when_only_normalisation_tells_the_bodies_apart() {
        let stored = ok(&valid_json());
        assert!(changes_nothing(&stored, &ok(&valid_json())));

        // The same declaration, written otherwise: validation erases every difference.
        let mut messy = valid_json();
        messy["diploma"] = json!(" cap ");
        messy["specialty"] = json!(" CUISINE ");
        messy["identity"]["last_name"] = json!("  N'Diaye ");
        // Decomposed accents (NFD) and a no-break space.
        messy["identity"]["first_names"] = json!("Zoe\u{301}\u{a0} Anai\u{308}s");
        messy["identity"]["nationality"] = json!(" fr");
        messy["identity"]["address"]["line1"] = json!(" 12  rue\tde la Re\u{301}publique ");
        messy["identity"]["address"]["line2"] = json!("   ");
        messy["identity"]["address"]["postal_code"] = json!("13 001");
        messy["identity"]["address"]["country"] = json!("fr");
        messy["identity"]["phone"] = json!("+33 (0)6.12.34.56.78");
        messy["disability"] = json!({"declared": false});
        messy["acquis"] = json!([
            {"unit": "ep1", "type": "Benefit", "grade": 12.50, "year": 2020},
            {"unit": " eg1 ", "type": "dispense", "year": 2019}
        ]);
        messy["version"] = json!(7);
        let rewritten = ok(&messy);
        assert!(
            changes_nothing(&stored, &rewritten),
            "{:?}",
            changed_fields(&stored, &rewritten)
        );

        // Any real change is one.
        for (pointer, value) in [
            ("/identity/address/city", json!("Aix-en-Provence")),
            ("/identity/first_names", json!("Zoé")),
            ("/identity/phone", json!("06 12 34 56 79")),
            ("/acquis/1/grade", json!(12.75)),
            (
                "/disability",
                json!({"declared": true, "existing_accommodation": true}),
            ),
        ] {
            let changed = ok(&with(pointer, Some(value)));
            assert!(!changes_nothing(&stored, &changed), "{pointer}");
        }
    }

    #[test]
    fn the_summary_says_what_changed_in_french() {
        let cat = catalogue();
        let old = ok(&valid_json());
        let mut new = old.clone();
        new.identity.address.city = "Aix-en-Provence".into();
        new.identity.phone = "+33700000000".into();
        new.acquis.pop();
        let summary = change_summary_fr(Some(&old), &new, &cat);
        assert_eq!(
            summary,
            "- Ville : Marseille → Aix-en-Provence\n\
             - Téléphone : +33 6 12 34 56 78 → +33 7 00 00 00 00\n\
             - Acquis : EG1 – Français, histoire-géographie et enseignement moral et civique \
             (dispense, diplôme obtenu en 2019) ; EP1 – Organisation de la production de cuisine \
             (bénéfice de la note 12,5/20, session 2020) → EG1 – Français, histoire-géographie et \
             enseignement moral et civique (dispense, diplôme obtenu en 2019)"
        );
        assert_eq!(
            change_summary_fr(Some(&old), &old, &cat),
            "Aucune de vos informations n'a changé."
        );

        let mut moved = old.clone();
        moved.diploma = Diploma::BacPro;
        moved.specialty = "MELEC".into();
        moved.acquis.clear();
        moved.identity.birth_date = NaiveDate::from_ymd_opt(2004, 5, 18).unwrap();
        moved.identity.address.line2 = Some("Bâtiment B".into());
        let s = change_summary_fr(Some(&old), &moved, &cat);
        assert!(s.contains(
            "- Diplôme : Certificat d'aptitude professionnelle → Baccalauréat professionnel"
        ));
        assert!(s.contains(
            "- Spécialité : Cuisine → Métiers de l'électricité et de ses environnements connectés"
        ));
        assert!(s.contains("- Date de naissance : 17/05/2004 → 18/05/2004"));
        assert!(s.contains("- Complément d'adresse : (non renseigné) → Bâtiment B"));
        assert!(s.contains("→ aucun"));

        let created = change_summary_fr(None, &old, &cat);
        for line in [
            "- Diplôme : Certificat d'aptitude professionnelle",
            "- Spécialité : Cuisine",
            "- Nom de famille : N'Diaye",
            "- Prénoms : Zoé Anaïs",
            "- Date de naissance : 17/05/2004",
            "- Lieu de naissance : Marseille",
            "- Nationalité : française",
            "- Adresse : 12 rue de la République",
            "- Code postal : 13001",
            "- Ville : Marseille",
            "- Pays : France",
            "- Téléphone : +33 6 12 34 56 78",
            "- Situation de handicap déclarée : non",
            "- Acquis : EG1 – Français, histoire-géographie et enseignement moral et civique (dispense, \
             diplôme obtenu en 2019) ; EP1 – Organisation de la production de cuisine (bénéfice de la \
             note 12,5/20, session 2020)",
        ] {
            assert!(created.lines().any(|l| l == line), "missing {line:?} in\n{created}");
        }
        assert!(!created.contains("Complément d'adresse"));
        assert!(!created.contains("Aménagement"));
        let mut declared = old.clone();
        declared.disability = Disability {
            declared: true,
            existing_accommodation: false,
        };
        declared.acquis.clear();
        let created = change_summary_fr(None, &declared, &cat);
        assert!(created.contains("- Aménagement d'épreuves déjà accordé : non"));
        assert!(created.contains("- Acquis : aucun"));
    }

    /// The audit's case: every value of the summary is in words, before and
    /// after, never a code the candidate never typed.
    #[test]
    fn the_summary_shows_words_not_codes() {
        let cat = catalogue();
        let old = ok(&valid_json());
        let mut new = old.clone();
        new.diploma = Diploma::BacPro;
        new.specialty = "MELEC".into();
        new.identity.nationality = "BE".into();
        new.identity.address.country = "BE".into();
        new.identity.birth_date = NaiveDate::from_ymd_opt(2004, 5, 18).unwrap();
        new.disability = Disability {
            declared: true,
            existing_accommodation: true,
        };
        new.acquis = vec![Acquis {
            unit: "E2".into(),
            kind: AcquisKind::Benefit,
            grade: Some(11.0),
            year: 2021,
        }];
        let s = change_summary_fr(Some(&old), &new, &cat);
        for line in [
            "- Diplôme : Certificat d'aptitude professionnelle → Baccalauréat professionnel",
            "- Spécialité : Cuisine → Métiers de l'électricité et de ses environnements connectés",
            "- Date de naissance : 17/05/2004 → 18/05/2004",
            "- Nationalité : française → étrangère, pays : Belgique (BE)",
            "- Pays : France → Belgique (BE)",
            "- Situation de handicap déclarée : non → oui",
            "- Aménagement d'épreuves déjà accordé : non → oui",
            "- Acquis : EG1 – Français, histoire-géographie et enseignement moral et civique \
             (dispense, diplôme obtenu en 2019) ; EP1 – Organisation de la production de cuisine \
             (bénéfice de la note 12,5/20, session 2020) → E2 – Analyse d'un ouvrage (bénéfice de \
             la note 11/20, session 2021)",
        ] {
            assert!(s.lines().any(|l| l == line), "missing {line:?} in\n{s}");
        }
        for code in [
            "FR", "CAP", "BAC_PRO", "CUISINE", "MELEC", "true", "false", "2004-05",
        ] {
            assert!(!s.contains(code), "raw {code:?} in\n{s}");
        }
        for bare in ["EG1 (", "EP1 (", "E2 ("] {
            assert!(!s.contains(bare), "unit without its label {bare:?} in\n{s}");
        }

        // And back: the old values are named the same way.
        let back = change_summary_fr(Some(&new), &old, &cat);
        assert!(back.contains("- Nationalité : étrangère, pays : Belgique (BE) → française"));
        assert!(back.contains("- Pays : Belgique (BE) → France"));
        assert!(back.contains("- Diplôme : Baccalauréat professionnel → Certificat d'aptitude"));
        assert!(!back.contains("BAC_PRO") && !back.contains("FR"), "{back}");

        // Acquis dropped: the units keep their labels on the « avant » side.
        let mut dropped = old.clone();
        dropped.acquis.clear();
        let s = change_summary_fr(Some(&old), &dropped, &cat);
        assert_eq!(
            s,
            "- Acquis : EG1 – Français, histoire-géographie et enseignement moral et civique \
             (dispense, diplôme obtenu en 2019) ; EP1 – Organisation de la production de cuisine \
             (bénéfice de la note 12,5/20, session 2020) → aucun"
        );
    }

    // -----------------------------------------------------------------------
    // Properties
    // -----------------------------------------------------------------------

    fn any_text() -> impl Strategy<Value = Option<String>> {
        prop_oneof![
            Just(None),
            any::<String>().prop_map(Some),
            "[ -~]{0,12}".prop_map(Some),
            "[0-9 +.()-]{0,20}".prop_map(Some),
            "[0-9]{4}-[0-9]{2}-[0-9]{2}".prop_map(Some),
            prop::sample::select(vec![
                "FR", "fr", "CAP", "CUISINE", "EP1", "benefit", "dispense", "Zoé"
            ])
            .prop_map(|s| Some(s.to_owned())),
        ]
    }

    fn any_acquis() -> impl Strategy<Value = AcquisInput> {
        (
            any_text(),
            any_text(),
            proptest::option::of(prop_oneof![any::<f64>(), 0.0..30.0f64]),
            proptest::option::of(prop_oneof![any::<i64>(), 1900..2100i64]),
        )
            .prop_map(|(unit, kind, grade, year)| AcquisInput {
                unit,
                kind,
                grade,
                year,
            })
    }

    fn any_input() -> impl Strategy<Value = InscriptionInput> {
        let address = proptest::option::of(
            (any_text(), any_text(), any_text(), any_text(), any_text()).prop_map(
                |(line1, line2, postal_code, city, country)| AddressInput {
                    line1,
                    line2,
                    postal_code,
                    city,
                    country,
                },
            ),
        );
        let identity = proptest::option::of(
            (
                any_text(),
                any_text(),
                any_text(),
                any_text(),
                any_text(),
                address,
                any_text(),
            )
                .prop_map(
                    |(
                        last_name,
                        first_names,
                        birth_date,
                        birth_place,
                        nationality,
                        address,
                        phone,
                    )| IdentityInput {
                        last_name,
                        first_names,
                        birth_date,
                        birth_place,
                        nationality,
                        address,
                        phone,
                    },
                ),
        );
        let disability =
            proptest::option::of((any::<Option<bool>>(), any::<Option<bool>>()).prop_map(
                |(declared, existing_accommodation)| DisabilityInput {
                    declared,
                    existing_accommodation,
                },
            ));
        (
            any_text(),
            any_text(),
            identity,
            disability,
            proptest::option::of(proptest::collection::vec(any_acquis(), 0..5)),
            any::<Option<u64>>(),
        )
            .prop_map(
                |(diploma, specialty, identity, disability, acquis, version)| InscriptionInput {
                    diploma,
                    specialty,
                    identity,
                    disability,
                    acquis,
                    version,
                },
            )
    }

    fn padded(choices: Vec<&'static str>) -> impl Strategy<Value = String> {
        (
            prop::sample::select(vec!["", " ", "  ", "\t", "\u{a0}"]),
            prop::sample::select(choices),
            prop::sample::select(vec!["", " ", "   "]),
        )
            .prop_map(|(a, s, b)| format!("{a}{s}{b}"))
    }

    fn valid_input() -> impl Strategy<Value = InscriptionInput> {
        let names = vec![
            "N'Diaye",
            "Le Goff-Ménard",
            "Zoé  Anaïs",
            "d’Artagnan",
            "Œdipe",
            "Ngô Bảo",
            "Иван",
            "Jean - Pierre",
        ];
        let places = vec![
            "Marseille",
            "Aix-en-Provence",
            "L'Île-Rousse",
            "Saint-Étienne",
            "Alger",
        ];
        let addresses = vec![
            ("FR", "13001"),
            ("fr", "13 100"),
            ("RE", "97400"),
            ("BE", "1000"),
            ("GB", "sw1a 1aa"),
            ("us", "12345-6789"),
        ];
        let phones = vec![
            "06 12 34 56 78",
            "0612345678",
            "+33 6 12 34 56 78",
            "06.12.34.56.78",
            "+33 (0)4 42 91 70 00",
            "0692 12 34 56",
            "+44 20 7946 0958",
        ];
        let birth = (14 * 366 + 1..100 * 365i64).prop_map(|days| {
            (today() - chrono::Duration::days(days))
                .format("%Y-%m-%d")
                .to_string()
        });
        let units = vec!["EP1", "EP2", "EG1", "eg2", "EG3"];
        let acquis = proptest::sample::subsequence(units, 0..=5).prop_flat_map(|units| {
            let n = units.len();
            (
                Just(units),
                proptest::collection::vec(
                    (
                        any::<bool>(),
                        1000..=2000u32,
                        2017..=2021i64,
                        1950..=2021i64,
                    ),
                    n,
                ),
            )
                .prop_map(|(units, specs)| {
                    units
                        .into_iter()
                        .zip(specs)
                        .map(
                            |(unit, (benefit, hundredths, benefit_year, dispense_year))| {
                                AcquisInput {
                                    unit: Some(unit.to_owned()),
                                    kind: Some(
                                        if benefit { "benefit" } else { "dispense" }.to_owned(),
                                    ),
                                    grade: benefit.then(|| f64::from(hundredths) / 100.0),
                                    year: Some(if benefit { benefit_year } else { dispense_year }),
                                }
                            },
                        )
                        .collect::<Vec<_>>()
                })
        });
        (
            (
                padded(names.clone()),
                padded(names),
                birth,
                padded(places.clone()),
                padded(vec!["FR", "fr", "BE", "DZ"]),
            ),
            (
                padded(vec![
                    "12 rue de la République",
                    "Bât. B, 3 allée des Pins",
                    "1",
                ]),
                proptest::option::of(padded(vec!["Appartement 12", "", " "])),
                prop::sample::select(addresses),
                padded(places),
                prop::sample::select(phones),
            ),
            (any::<bool>(), any::<bool>()),
            acquis,
            any::<u64>(),
        )
            .prop_map(
                |(
                    (last_name, first_names, birth_date, birth_place, nationality),
                    (line1, line2, (country, postal_code), city, phone),
                    (declared, existing),
                    acquis,
                    version,
                )| InscriptionInput {
                    diploma: Some("CAP".into()),
                    specialty: Some("CUISINE".into()),
                    identity: Some(IdentityInput {
                        last_name: Some(last_name),
                        first_names: Some(first_names),
                        birth_date: Some(birth_date),
                        birth_place: Some(birth_place),
                        nationality: Some(nationality),
                        address: Some(AddressInput {
                            line1: Some(line1),
                            line2,
                            postal_code: Some(postal_code.to_owned()),
                            city: Some(city),
                            country: Some(country.to_owned()),
                        }),
                        phone: Some(phone.to_owned()),
                    }),
                    disability: Some(DisabilityInput {
                        declared: Some(declared),
                        existing_accommodation: Some(declared && existing),
                    }),
                    acquis: Some(acquis),
                    version: Some(version),
                },
            )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn validate_never_panics(input in any_input()) {
            let cat = catalogue();
            let ctx = ValidationContext { catalogue: &cat, session_year: 2022, today: today() };
            match validate(&input, &ctx) {
                Ok(v) => {
                    // Whatever passes validates again to itself.
                    prop_assert_eq!(validate(&v.to_input(input.expected_version()), &ctx), Ok(v));
                }
                Err(errs) => {
                    prop_assert!(!errs.is_empty());
                    for e in &errs {
                        prop_assert!(codes::ALL.contains(&e.code.as_str()));
                        prop_assert!(!e.message.is_empty());
                    }
                }
            }
        }

        #[test]
        fn valid_inputs_validate_again_to_themselves(input in valid_input()) {
            let cat = catalogue();
            let ctx = ValidationContext { catalogue: &cat, session_year: 2022, today: today() };
            let first = validate(&input, &ctx);
            prop_assert!(first.is_ok(), "{:?}", first);
            let Ok(v) = first else { unreachable!() };
            // Through the in-memory input...
            prop_assert_eq!(validate(&v.to_input(input.expected_version()), &ctx), Ok(v.clone()));
            // ...and through the stored JSON, read back as an input.
            let mut json = serde_json::to_value(&v).unwrap();
            json["version"] = json!(input.expected_version());
            let again: InscriptionInput = serde_json::from_value(json).unwrap();
            prop_assert_eq!(validate(&again, &ctx), Ok(v.clone()));
            prop_assert!(changed_fields(&v, &v).is_empty());
        }
    }
}
