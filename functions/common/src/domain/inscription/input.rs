//! What `PUT /inscription` takes: every field optional, so that validation
//! reports each missing one by name.

use serde::Deserialize;

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
