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
    #[schema(required = true, nullable = false, example = "CAP")]
    pub diploma: Option<String>,
    /// A specialty code of that diploma in `GET /catalogue`.
    #[schema(required = true, nullable = false)]
    pub specialty: Option<String>,
    #[schema(required = true, nullable = false)]
    pub identity: Option<IdentityInput>,
    #[schema(required = true, nullable = false)]
    pub disability: Option<DisabilityInput>,
    /// Units the candidate need not sit (dispense) or whose grade they keep
    /// (benefit); none when absent.
    pub acquis: Option<Vec<AcquisInput>>,
    /// The optional units (épreuves facultatives) the candidate chooses to
    /// sit, each once, with its language when the catalogue lists languages
    /// for it; none when absent.
    pub options: Option<Vec<OptionInput>>,
    /// The version of the inscription this edit is based on; 0 to create it.
    #[schema(required = true, nullable = false, example = 0)]
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
    #[schema(
        required = true,
        nullable = false,
        min_length = 1,
        max_length = 100,
        example = "N'Diaye"
    )]
    pub last_name: Option<String>,
    #[schema(
        required = true,
        nullable = false,
        min_length = 1,
        max_length = 100,
        example = "Zoé Anaïs"
    )]
    pub first_names: Option<String>,
    /// `YYYY-MM-DD`.
    #[schema(required = true, nullable = false, format = Date, example = "2004-05-17")]
    pub birth_date: Option<String>,
    /// The commune of birth as written on the birth certificate, with its
    /// arrondissement where there is one (« Marseille 3e », « Saint-Denis »).
    #[schema(
        required = true,
        nullable = false,
        min_length = 1,
        max_length = 100,
        example = "Marseille 3e"
    )]
    pub birth_place: Option<String>,
    /// For a birth in France: the département's INSEE code (`01`..`95`,
    /// `2A`, `2B`, `971`..`976`). Required when `birth_country` is `FR` (or
    /// an overseas département's own code, e.g. `RE`); refused with a
    /// foreign `birth_country`. Optional otherwise: a body that gives
    /// neither birth field is accepted, as before these fields existed.
    #[schema(example = "13")]
    pub birth_department: Option<String>,
    /// ISO 3166-1 alpha-2 code of the country of birth; `FR` (or absent
    /// with a `birth_department`) for a birth in France.
    #[schema(pattern = "^[A-Z]{2}$", example = "FR")]
    pub birth_country: Option<String>,
    /// ISO 3166-1 alpha-2 code.
    #[schema(
        required = true,
        nullable = false,
        pattern = "^[A-Z]{2}$",
        example = "FR"
    )]
    pub nationality: Option<String>,
    #[schema(required = true, nullable = false)]
    pub address: Option<AddressInput>,
    /// French (`06 12 34 56 78`) or international (`+32 470 12 34 56`) number.
    #[schema(required = true, nullable = false, example = "06 12 34 56 78")]
    pub phone: Option<String>,
}

#[derive(Deserialize, Clone, Debug, Default, PartialEq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddressInput {
    #[schema(
        required = true,
        nullable = false,
        min_length = 1,
        max_length = 100,
        example = "12 rue de la République"
    )]
    pub line1: Option<String>,
    #[schema(max_length = 100)]
    pub line2: Option<String>,
    /// Five digits in France.
    #[schema(required = true, nullable = false, example = "13001")]
    pub postal_code: Option<String>,
    #[schema(
        required = true,
        nullable = false,
        min_length = 1,
        max_length = 100,
        example = "Marseille"
    )]
    pub city: Option<String>,
    /// ISO 3166-1 alpha-2 code.
    #[schema(
        required = true,
        nullable = false,
        pattern = "^[A-Z]{2}$",
        example = "FR"
    )]
    pub country: Option<String>,
}

#[derive(Deserialize, Clone, Debug, Default, PartialEq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisabilityInput {
    /// Whether the candidate is in a situation of disability (« Handicap »).
    #[schema(required = true, nullable = false)]
    pub declared: Option<bool>,
    /// Whether they already have an accommodation of the exams; required
    /// when `declared` is true, false when absent otherwise.
    pub existing_accommodation: Option<bool>,
}

#[derive(Deserialize, Clone, Debug, Default, PartialEq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcquisInput {
    /// A unit code of the chosen specialty, e.g. `EP1`.
    #[schema(required = true, nullable = false, example = "EP1")]
    pub unit: Option<String>,
    /// `dispense` or `benefit`.
    #[serde(rename = "type")]
    #[schema(
        required = true,
        nullable = false,
        pattern = "^(dispense|benefit)$",
        example = "benefit"
    )]
    pub kind: Option<String>,
    /// For a benefit only: the grade kept, 10 to 20, at most two decimals.
    #[schema(minimum = 10, maximum = 20, example = 12.5)]
    pub grade: Option<f64>,
    /// The session of the benefit, or the year the diploma giving the
    /// dispense was obtained.
    #[schema(required = true, nullable = false, example = 2020)]
    pub year: Option<i64>,
}

/// One optional unit the candidate chooses (« épreuve facultative »).
#[derive(Deserialize, Clone, Debug, Default, PartialEq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OptionInput {
    /// The code of an optional unit (`kind: "optional"` in `GET /catalogue`)
    /// of the chosen specialty, e.g. `EF1`.
    #[schema(required = true, nullable = false, example = "EF1")]
    pub unit: Option<String>,
    /// ISO 639-1 code of the language the unit is sat in: required when the
    /// catalogue lists `languages` for the unit, one of them; refused
    /// otherwise.
    #[schema(example = "es")]
    pub language: Option<String>,
}
