//! The valid, normalised data: what is stored and returned once
//! [`validate`](super::validate()) accepted an input.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::input::{
    AcquisInput, AddressInput, DisabilityInput, IdentityInput, InscriptionInput, OptionInput,
};
use super::ACCOMMODATION_REQUEST_URL;
use crate::domain::Diploma;

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
    /// The optional units chosen, in the order given; empty when none
    /// (and in inscriptions saved before options existed).
    #[serde(default)]
    pub options: Vec<OptionChoice>,
}

/// An optional unit (« épreuve facultative ») the candidate chose to sit.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, utoipa::ToSchema)]
pub struct OptionChoice {
    /// The catalogue's code of the optional unit.
    #[schema(example = "EF1")]
    pub unit: String,
    /// ISO 639-1, lowercase: the language of a language unit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "es")]
    pub language: Option<String>,
}

/// Another name for [`ValidInscription`].
pub type InscriptionData = ValidInscription;

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, utoipa::ToSchema)]
pub struct Identity {
    pub last_name: String,
    pub first_names: String,
    #[schema(value_type = String, format = Date, example = "2004-05-17")]
    pub birth_date: NaiveDate,
    /// The commune of birth as written (« Marseille 3e »).
    pub birth_place: String,
    /// INSEE code of the département of birth (`13`, `2A`, `974`), for a
    /// birth in France; absent when not given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "13")]
    pub birth_department: Option<String>,
    /// ISO 3166-1 alpha-2 code of the country of birth, uppercase; absent
    /// when not given (a `birth_department` alone means France).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "FR")]
    pub birth_country: Option<String>,
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

    /// Where the candidate was born, as the office reads it: « Marseille 3e
    /// (13) », « Bruxelles, Belgique (BE) », or the commune alone when
    /// neither birth field was given.
    pub fn birth_place_fr(&self) -> String {
        let id = &self.identity;
        match (&id.birth_department, &id.birth_country) {
            (Some(d), _) => format!("{} ({d})", id.birth_place),
            (None, Some(c)) => format!(
                "{}, {}",
                id.birth_place,
                crate::domain::countries::country_fr(c)
            ),
            (None, None) => id.birth_place.clone(),
        }
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
                birth_department: id.birth_department.clone(),
                birth_country: id.birth_country.clone(),
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
            options: Some(
                self.options
                    .iter()
                    .map(|o| OptionInput {
                        unit: Some(o.unit.clone()),
                        language: o.language.clone(),
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
