//! The catalogue: the diplomas, their specialties and each specialty's units
//! (épreuves), as `GET /catalogue` serves them.
//!
//! The catalogue is data, `infra/catalogue.toml`, embedded in the binary and
//! checked when loaded: every diploma present exactly once with at least three
//! specialties, unique codes, at least one unit per specialty, no empty label.
//! Every problem is reported on one line that names the file.

use std::collections::HashSet;
use std::fmt;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::data_file::{one_line, toml_error_parts, toml_position as position};
use super::Diploma;

const EMBEDDED_ORIGIN: &str = "infra/catalogue.toml";
const EMBEDDED_TEXT: &str = include_str!("../../../../infra/catalogue.toml");
/// The same data in JSON, written by build.rs: read at every cold start, so
/// read with serde_json rather than toml (BENCHMARKS.md, « Cold starts »).
const EMBEDDED_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/catalogue.json"));

/// The fewest specialties a diploma may offer.
pub const MIN_SPECIALTIES: usize = 3;
/// The longest specialty or unit code.
pub const MAX_CODE_LEN: usize = 32;

/// Every diploma with its specialties, in the order BAC_PRO, MC, BP, CAP.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Catalogue {
    pub diplomas: Vec<DiplomaEntry>,
}

/// One diploma and the specialties a candidate may register for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DiplomaEntry {
    pub diploma: Diploma,
    /// The diploma's French name.
    #[schema(example = "Certificat d'aptitude professionnelle")]
    pub label: String,
    pub specialties: Vec<Specialty>,
}

/// A specialty of a diploma, e.g. CAP Cuisine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Specialty {
    /// Stable code, unique within the diploma.
    #[schema(example = "CUISINE")]
    pub code: String,
    /// The specialty's French name.
    #[schema(example = "Cuisine")]
    pub label: String,
    /// The units (épreuves) of its règlement d'examen.
    pub units: Vec<Unit>,
}

/// One unit (épreuve) of a specialty, e.g. EP1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Unit {
    /// The épreuve's code in the referential, unique within the specialty.
    #[schema(example = "EP1")]
    pub code: String,
    /// The épreuve's French name.
    #[schema(example = "Organisation de la production de cuisine")]
    pub label: String,
    pub kind: UnitKind,
    /// For an optional unit sat in a language of the candidate's choice
    /// (« épreuve facultative de langue vivante »): the languages it may be
    /// sat in (ISO 639-1, lowercase), one of which the candidate's `options`
    /// must name. Absent for every other unit.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(example = json!(["de", "en", "es", "it"]))]
    pub languages: Vec<String>,
}

/// Whether a unit belongs to the professional or the general domain, or is an
/// optional (facultative) épreuve.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum UnitKind {
    Professional,
    General,
    Optional,
}

impl UnitKind {
    pub const ALL: [UnitKind; 3] = [
        UnitKind::Professional,
        UnitKind::General,
        UnitKind::Optional,
    ];

    /// The code used in the API and the data file.
    pub fn code(self) -> &'static str {
        match self {
            UnitKind::Professional => "professional",
            UnitKind::General => "general",
            UnitKind::Optional => "optional",
        }
    }

    /// The French adjective: "épreuve professionnelle / générale / facultative".
    pub fn label(self) -> &'static str {
        match self {
            UnitKind::Professional => "professionnelle",
            UnitKind::General => "générale",
            UnitKind::Optional => "facultative",
        }
    }
}

impl fmt::Display for UnitKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl Catalogue {
    /// The catalogue built into the binary (`infra/catalogue.toml`).
    pub fn embedded() -> Result<Self, CatalogueError> {
        match serde_json::from_str::<Catalogue>(EMBEDDED_JSON) {
            Ok(catalogue) => Self::checked(catalogue, EMBEDDED_ORIGIN),
            // The JSON holds what the TOML holds: reading the TOML gives the
            // same refusal, with the file's line and column.
            Err(_) => Self::parse(EMBEDDED_TEXT, EMBEDDED_ORIGIN),
        }
    }

    /// A catalogue read from a TOML file.
    pub fn from_file(path: &Path) -> Result<Self, CatalogueError> {
        let origin = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| CatalogueError::Read {
            origin: origin.clone(),
            message: e.to_string(),
        })?;
        Self::parse(&text, &origin)
    }

    /// A catalogue from TOML text, checked, its diplomas in the order BAC_PRO,
    /// MC, BP, CAP; `origin` names it in error messages (usually the path).
    pub fn parse(text: &str, origin: &str) -> Result<Self, CatalogueError> {
        let invalid = |problem| CatalogueError::Invalid {
            origin: origin.to_owned(),
            problem,
        };
        let catalogue: Catalogue = toml::from_str(text).map_err(|e| {
            let (line, column, message) = toml_error_parts(text, &e);
            invalid(CatalogueProblem::Syntax {
                line,
                column,
                message,
            })
        })?;
        Self::checked(catalogue, origin)
    }

    /// `catalogue` once its rules are checked, its diplomas in order.
    fn checked(mut catalogue: Catalogue, origin: &str) -> Result<Self, CatalogueError> {
        catalogue
            .validate()
            .map_err(|problem| CatalogueError::Invalid {
                origin: origin.to_owned(),
                problem,
            })?;
        catalogue.diplomas.sort_by_key(|entry| entry.diploma);
        Ok(catalogue)
    }

    /// Checks every rule of the catalogue; the first broken one is returned.
    pub fn validate(&self) -> Result<(), CatalogueProblem> {
        let mut seen = HashSet::new();
        for entry in &self.diplomas {
            if !seen.insert(entry.diploma) {
                return Err(CatalogueProblem::DuplicateDiploma {
                    diploma: entry.diploma,
                });
            }
        }
        if let Some(&diploma) = Diploma::ALL.iter().find(|d| !seen.contains(d)) {
            return Err(CatalogueProblem::MissingDiploma { diploma });
        }
        self.diplomas.iter().try_for_each(DiplomaEntry::validate)
    }

    /// The entry of diploma `d`.
    pub fn diploma(&self, d: Diploma) -> Option<&DiplomaEntry> {
        self.diplomas.iter().find(|entry| entry.diploma == d)
    }

    /// The specialty `code` of diploma `d` (codes are matched exactly).
    pub fn specialty(&self, d: Diploma, code: &str) -> Option<&Specialty> {
        self.diploma(d)?.specialty(code)
    }
}

impl DiplomaEntry {
    /// The specialty `code` of this diploma (matched exactly).
    pub fn specialty(&self, code: &str) -> Option<&Specialty> {
        self.specialties.iter().find(|s| s.code == code)
    }

    fn validate(&self) -> Result<(), CatalogueProblem> {
        let diploma = self.diploma;
        let place = format!("diploma {diploma}");
        check_label(&self.label, &place)?;
        if self.specialties.len() < MIN_SPECIALTIES {
            return Err(CatalogueProblem::TooFewSpecialties {
                diploma,
                found: self.specialties.len(),
            });
        }
        let mut codes = HashSet::new();
        for specialty in &self.specialties {
            check_code(&specialty.code, &place, "specialty")?;
            if !codes.insert(specialty.code.as_str()) {
                return Err(CatalogueProblem::DuplicateSpecialty {
                    diploma,
                    code: specialty.code.clone(),
                });
            }
            specialty.validate(diploma)?;
        }
        Ok(())
    }
}

impl Specialty {
    /// The unit `code` of this specialty (matched exactly).
    pub fn unit(&self, code: &str) -> Option<&Unit> {
        self.units.iter().find(|u| u.code == code)
    }

    /// The units of one kind, in the catalogue's order.
    pub fn units_of(&self, kind: UnitKind) -> impl Iterator<Item = &Unit> + '_ {
        self.units.iter().filter(move |u| u.kind == kind)
    }

    fn validate(&self, diploma: Diploma) -> Result<(), CatalogueProblem> {
        let place = format!("diploma {diploma}: specialty {}", self.code);
        check_label(&self.label, &place)?;
        if self.units.is_empty() {
            return Err(CatalogueProblem::NoUnits {
                diploma,
                specialty: self.code.clone(),
            });
        }
        let mut codes = HashSet::new();
        for unit in &self.units {
            check_code(&unit.code, &place, "unit")?;
            if !codes.insert(unit.code.as_str()) {
                return Err(CatalogueProblem::DuplicateUnit {
                    diploma,
                    specialty: self.code.clone(),
                    unit: unit.code.clone(),
                });
            }
            check_label(&unit.label, &format!("{place}: unit {}", unit.code))?;
            unit.check_languages(&format!("{place}: unit {}", unit.code))?;
        }
        Ok(())
    }
}

impl Unit {
    /// Whether the candidate names a language when choosing this unit.
    pub fn takes_language(&self) -> bool {
        !self.languages.is_empty()
    }

    /// Whether `code` (normalised, lowercase) is one of the unit's languages.
    pub fn offers_language(&self, code: &str) -> bool {
        self.languages.iter().any(|l| l == code)
    }

    /// Languages only on optional units, each known to
    /// [`LANGUAGES_FR`](crate::domain::languages::LANGUAGES_FR) (so that
    /// documents can name it), once.
    fn check_languages(&self, place: &str) -> Result<(), CatalogueProblem> {
        if self.languages.is_empty() {
            return Ok(());
        }
        if self.kind != UnitKind::Optional {
            return Err(CatalogueProblem::LanguagesOnCompulsoryUnit {
                place: place.to_owned(),
            });
        }
        let mut seen = HashSet::new();
        for code in &self.languages {
            if crate::domain::languages::language_name_fr(code).is_none() {
                return Err(CatalogueProblem::UnknownLanguage {
                    place: place.to_owned(),
                    code: code.clone(),
                });
            }
            if !seen.insert(code.as_str()) {
                return Err(CatalogueProblem::DuplicateLanguage {
                    place: place.to_owned(),
                    code: code.clone(),
                });
            }
        }
        Ok(())
    }
}

fn check_label(label: &str, place: &str) -> Result<(), CatalogueProblem> {
    if label.trim().is_empty() {
        return Err(CatalogueProblem::EmptyLabel {
            place: place.to_owned(),
        });
    }
    Ok(())
}

fn check_code(code: &str, place: &str, what: &'static str) -> Result<(), CatalogueProblem> {
    let valid = !code.is_empty()
        && code.len() <= MAX_CODE_LEN
        && code
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
    if !valid {
        return Err(CatalogueProblem::InvalidCode {
            place: place.to_owned(),
            what,
            code: code.to_owned(),
        });
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

/// Why the catalogue could not be loaded. Every message is one line that
/// names the file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogueError {
    #[error("{origin}: cannot read the file: {message}")]
    Read { origin: String, message: String },
    // The problem may quote the file's own text: kept on one line.
    #[error("{origin}: {}", one_line(problem))]
    Invalid {
        origin: String,
        problem: CatalogueProblem,
    },
}

/// What is wrong inside a catalogue.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogueProblem {
    #[error("invalid TOML{}: {message}", position(*line, *column))]
    Syntax {
        line: Option<usize>,
        column: Option<usize>,
        message: String,
    },
    #[error(
        "diploma {diploma} is missing (each of {} must appear once)",
        Diploma::codes_listed("and")
    )]
    MissingDiploma { diploma: Diploma },
    #[error("diploma {diploma} appears more than once")]
    DuplicateDiploma { diploma: Diploma },
    #[error("diploma {diploma}: {found} specialties, at least {MIN_SPECIALTIES} are required")]
    TooFewSpecialties { diploma: Diploma, found: usize },
    #[error("diploma {diploma}: specialty {code} appears more than once")]
    DuplicateSpecialty { diploma: Diploma, code: String },
    #[error("diploma {diploma}: specialty {specialty} has no unit")]
    NoUnits { diploma: Diploma, specialty: String },
    #[error("diploma {diploma}: specialty {specialty}: unit {unit} appears more than once")]
    DuplicateUnit {
        diploma: Diploma,
        specialty: String,
        unit: String,
    },
    #[error("{place}: the label is empty")]
    EmptyLabel { place: String },
    #[error(
        "{place}: {what} code `{code}` must be 1 to {MAX_CODE_LEN} capital letters, digits or underscores"
    )]
    InvalidCode {
        place: String,
        what: &'static str,
        code: String,
    },
    #[error("{place}: only an optional unit may list languages")]
    LanguagesOnCompulsoryUnit { place: String },
    #[error("{place}: language `{code}` is not a known ISO 639-1 code (see domain/languages.rs)")]
    UnknownLanguage { place: String, code: String },
    #[error("{place}: language `{code}` appears more than once")]
    DuplicateLanguage { place: String, code: String },
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORIGIN: &str = "infra/catalogue.toml";

    fn embedded() -> Catalogue {
        Catalogue::embedded().unwrap()
    }

    // --- the embedded catalogue ---------------------------------------------

    #[test]
    fn the_embedded_json_is_the_toml_file_to_the_last_field() {
        let from_toml = Catalogue::parse(EMBEDDED_TEXT, EMBEDDED_ORIGIN).unwrap();
        assert_eq!(embedded(), from_toml);
        // Both were read: the JSON is not the TOML's text.
        assert!(EMBEDDED_JSON.starts_with('{'), "{}", &EMBEDDED_JSON[..40]);
    }

    #[test]
    fn the_embedded_catalogue_loads_in_diploma_order() {
        let c = embedded();
        let order: Vec<Diploma> = c.diplomas.iter().map(|e| e.diploma).collect();
        assert_eq!(order, Diploma::ALL);
        assert_eq!(c.validate(), Ok(()));
        for entry in &c.diplomas {
            assert_eq!(entry.label, entry.diploma.label());
        }
    }

    #[test]
    fn the_embedded_catalogue_satisfies_every_rule() {
        let c = embedded();
        for entry in &c.diplomas {
            let d = entry.diploma;
            assert!(entry.specialties.len() >= MIN_SPECIALTIES, "{d}");
            let codes: HashSet<&str> = entry.specialties.iter().map(|s| s.code.as_str()).collect();
            assert_eq!(
                codes.len(),
                entry.specialties.len(),
                "{d}: duplicate specialty"
            );
            for s in &entry.specialties {
                assert!(!s.label.trim().is_empty(), "{d} {}", s.code);
                assert!(
                    check_code(&s.code, "", "specialty").is_ok(),
                    "{d} {}",
                    s.code
                );
                assert!(!s.units.is_empty(), "{d} {}", s.code);
                assert!(
                    s.units_of(UnitKind::Professional).next().is_some(),
                    "{d} {}: no professional unit",
                    s.code
                );
                let units: HashSet<&str> = s.units.iter().map(|u| u.code.as_str()).collect();
                assert_eq!(units.len(), s.units.len(), "{d} {}: duplicate unit", s.code);
                for u in &s.units {
                    assert!(!u.label.trim().is_empty(), "{d} {} {}", s.code, u.code);
                    assert!(
                        check_code(&u.code, "", "unit").is_ok(),
                        "{d} {} {}",
                        s.code,
                        u.code
                    );
                    assert_eq!(u.label.trim(), u.label, "{d} {} {}", s.code, u.code);
                }
            }
        }
    }

    #[test]
    fn every_cap_has_the_general_units_of_the_2019_arrete() {
        let c = embedded();
        let cap = c.diploma(Diploma::Cap).unwrap();
        for s in &cap.specialties {
            for (code, label) in [
                (
                    "EG1",
                    "Français et histoire-géographie-enseignement moral et civique",
                ),
                ("EG2", "Mathématiques et physique-chimie"),
                ("EG3", "Éducation physique et sportive"),
                ("EG4", "Prévention-santé-environnement"),
            ] {
                let unit = s
                    .unit(code)
                    .unwrap_or_else(|| panic!("CAP {} lacks {code}", s.code));
                assert_eq!(unit.label, label);
                assert_eq!(unit.kind, UnitKind::General);
            }
        }
    }

    #[test]
    fn the_embedded_file_is_the_one_from_file_reads() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../infra/catalogue.toml");
        assert_eq!(Catalogue::from_file(&path).unwrap(), embedded());
    }

    #[test]
    fn lookups_find_specialties_and_units() {
        let c = embedded();
        let cuisine = c.specialty(Diploma::Cap, "CUISINE").unwrap();
        assert_eq!(cuisine.label, "Cuisine");
        let ep1 = cuisine.unit("EP1").unwrap();
        assert_eq!(ep1.label, "Organisation de la production de cuisine");
        assert_eq!(ep1.kind, UnitKind::Professional);
        assert_eq!(cuisine.unit("EG4").unwrap().kind, UnitKind::General);
        assert!(cuisine.units_of(UnitKind::Optional).count() >= 1);
        assert!(cuisine.unit("E31").is_none());
        assert!(cuisine.unit("ep1").is_none());
        assert!(c.specialty(Diploma::Cap, "cuisine").is_none());
        assert!(c.specialty(Diploma::Bp, "CUISINE").is_none());
        assert!(c.specialty(Diploma::Cap, "").is_none());

        let mcv = c.specialty(Diploma::BacPro, "MCV_A").unwrap();
        assert_eq!(mcv.unit("E31").unwrap().label, "Vente-conseil");
        assert_eq!(
            c.specialty(Diploma::Bp, "COIFFURE").unwrap().label,
            "Coiffure"
        );
        assert_eq!(
            c.specialty(Diploma::Cap, "COIFFURE").unwrap().label,
            "Métiers de la coiffure"
        );
        assert!(c.specialty(Diploma::Mc, "SOMMELLERIE").is_some());
        assert_eq!(
            c.diploma(Diploma::Mc).unwrap().specialty("SOMMELLERIE"),
            c.specialty(Diploma::Mc, "SOMMELLERIE")
        );
    }

    #[test]
    fn unit_kinds_speak_json_and_french() {
        let kinds: Vec<(String, &str, &str)> = UnitKind::ALL
            .iter()
            .map(|k| (serde_json::to_string(k).unwrap(), k.code(), k.label()))
            .collect();
        assert_eq!(
            kinds,
            [
                (
                    "\"professional\"".to_owned(),
                    "professional",
                    "professionnelle"
                ),
                ("\"general\"".to_owned(), "general", "générale"),
                ("\"optional\"".to_owned(), "optional", "facultative"),
            ]
        );
        assert_eq!(UnitKind::General.to_string(), "general");
    }

    #[test]
    fn the_json_has_the_contract_shape() {
        let json = serde_json::to_value(embedded()).unwrap();
        let object = json.as_object().unwrap();
        assert_eq!(object.keys().collect::<Vec<_>>(), ["diplomas"]);
        let first = &json["diplomas"][0];
        assert_eq!(first["diploma"], "BAC_PRO");
        assert_eq!(first["label"], "Baccalauréat professionnel");
        let mut keys: Vec<&String> = first.as_object().unwrap().keys().collect();
        keys.sort();
        assert_eq!(keys, ["diploma", "label", "specialties"]);
        let specialty = &first["specialties"][0];
        let mut keys: Vec<&String> = specialty.as_object().unwrap().keys().collect();
        keys.sort();
        assert_eq!(keys, ["code", "label", "units"]);
        let unit = &specialty["units"][0];
        let mut keys: Vec<&String> = unit.as_object().unwrap().keys().collect();
        keys.sort();
        assert_eq!(keys, ["code", "kind", "label"]);
        // And it reads back.
        let back: Catalogue = serde_json::from_value(json).unwrap();
        assert_eq!(back, embedded());
    }

    #[test]
    fn the_catalogue_has_an_openapi_schema() {
        use utoipa::PartialSchema;
        let text = serde_json::to_value(Catalogue::schema())
            .unwrap()
            .to_string();
        assert!(text.contains("diplomas"), "{text}");
    }

    // --- broken files -----------------------------------------------------

    fn specialty(code: &str, label: &str, units: &[(&str, &str)]) -> String {
        let units: Vec<String> = units
            .iter()
            .map(|(code, label)| {
                format!("{{ code = \"{code}\", label = \"{label}\", kind = \"professional\" }}")
            })
            .collect();
        format!(
            "[[diplomas.specialties]]\ncode = \"{code}\"\nlabel = \"{label}\"\nunits = [{}]\n\n",
            units.join(", ")
        )
    }

    fn three() -> Vec<String> {
        vec![
            specialty("A", "Spécialité A", &[("EP1", "Épreuve 1")]),
            specialty("B", "Spécialité B", &[("EP1", "Épreuve 1")]),
            specialty(
                "C",
                "Spécialité C",
                &[("EP1", "Épreuve 1"), ("EP2", "Épreuve 2")],
            ),
        ]
    }

    fn diploma(code: &str, label: &str, specialties: &[String]) -> String {
        format!(
            "[[diplomas]]\ndiploma = \"{code}\"\nlabel = \"{label}\"\n\n{}",
            specialties.concat()
        )
    }

    /// A valid file whose CAP (last, after the three others) is `cap`.
    fn file_with_cap(cap: &str) -> String {
        ["BAC_PRO", "MC", "BP"]
            .map(|d| diploma(d, "Diplôme", &three()))
            .concat()
            + cap
    }

    fn error_of(text: &str) -> String {
        let message = Catalogue::parse(text, ORIGIN).unwrap_err().to_string();
        assert!(!message.contains('\n'), "not one line: {message}");
        assert!(
            message.starts_with(ORIGIN),
            "does not name the file: {message}"
        );
        message
    }

    #[test]
    fn a_minimal_file_is_valid_and_sorted() {
        let text = diploma("CAP", "Certificat", &three())
            + &["MC", "BP", "BAC_PRO"]
                .map(|d| diploma(d, "Diplôme", &three()))
                .concat();
        let c = Catalogue::parse(&text, ORIGIN).unwrap();
        let order: Vec<Diploma> = c.diplomas.iter().map(|e| e.diploma).collect();
        assert_eq!(order, Diploma::ALL);
        assert_eq!(c.specialty(Diploma::Cap, "C").unwrap().units.len(), 2);
    }

    #[test]
    fn a_syntax_error_gives_its_line() {
        let text = file_with_cap("[[diplomas]]\ndiploma = \"CAP\nlabel = \"x\"\n");
        let line = text.lines().count() - 1;
        let e = error_of(&text);
        assert!(
            e.starts_with(&format!("{ORIGIN}: invalid TOML at line {line}, column ")),
            "{e}"
        );
    }

    #[test]
    fn an_unknown_diploma_code_is_reported_with_its_line() {
        let text = file_with_cap(&diploma("BTS", "Brevet de technicien supérieur", &three()));
        let e = error_of(&text);
        assert!(e.contains("invalid TOML at line"), "{e}");
        assert!(e.contains("BTS"), "{e}");
    }

    #[test]
    fn an_unknown_unit_kind_is_reported_with_its_line() {
        let text = file_with_cap(&diploma("CAP", "Certificat", &three()).replacen(
            "\"professional\"",
            "\"mandatory\"",
            1,
        ));
        let e = error_of(&text);
        assert!(e.contains("invalid TOML at line"), "{e}");
        assert!(e.contains("mandatory"), "{e}");
    }

    #[test]
    fn an_unknown_field_is_reported() {
        let text = file_with_cap(&diploma("CAP", "Certificat", &three()).replacen(
            "label = \"Spécialité A\"",
            "libelle = \"Spécialité A\"",
            1,
        ));
        let e = error_of(&text);
        assert!(e.contains("invalid TOML at line"), "{e}");
        assert!(e.contains("libelle"), "{e}");
    }

    #[test]
    fn a_missing_diploma_is_reported() {
        assert_eq!(
            error_of(&file_with_cap("")),
            "infra/catalogue.toml: diploma CAP is missing (each of BAC_PRO, MC, BP and CAP must appear once)"
        );
    }

    #[test]
    fn a_duplicate_diploma_is_reported() {
        let text = file_with_cap(&diploma("MC", "Mention", &three()));
        assert_eq!(
            error_of(&text),
            "infra/catalogue.toml: diploma MC appears more than once"
        );
    }

    #[test]
    fn too_few_specialties_are_reported() {
        let two = &three()[..2];
        assert_eq!(
            error_of(&file_with_cap(&diploma("CAP", "Certificat", two))),
            "infra/catalogue.toml: diploma CAP: 2 specialties, at least 3 are required"
        );
    }

    #[test]
    fn a_duplicate_specialty_is_reported() {
        let mut specialties = three();
        specialties.push(specialty("B", "Autre B", &[("EP1", "Épreuve")]));
        assert_eq!(
            error_of(&file_with_cap(&diploma("CAP", "Certificat", &specialties))),
            "infra/catalogue.toml: diploma CAP: specialty B appears more than once"
        );
    }

    #[test]
    fn a_specialty_without_units_is_reported() {
        let mut specialties = three();
        specialties.push(specialty("D", "Spécialité D", &[]));
        assert_eq!(
            error_of(&file_with_cap(&diploma("CAP", "Certificat", &specialties))),
            "infra/catalogue.toml: diploma CAP: specialty D has no unit"
        );
    }

    #[test]
    fn a_duplicate_unit_is_reported() {
        let mut specialties = three();
        specialties.push(specialty(
            "D",
            "Spécialité D",
            &[("EG1", "Français"), ("EG1", "Maths")],
        ));
        assert_eq!(
            error_of(&file_with_cap(&diploma("CAP", "Certificat", &specialties))),
            "infra/catalogue.toml: diploma CAP: specialty D: unit EG1 appears more than once"
        );
    }

    /// A CAP whose fourth specialty D has the unit written `unit` (TOML).
    fn cap_with_unit(unit: &str) -> String {
        let d = format!(
            "[[diplomas.specialties]]\ncode = \"D\"\nlabel = \"Spécialité D\"\nunits = [{{ code = \"EP1\", label = \"Épreuve\", kind = \"professional\" }}, {unit}]\n\n"
        );
        let mut specialties = three();
        specialties.push(d);
        file_with_cap(&diploma("CAP", "Certificat", &specialties))
    }

    #[test]
    fn languages_belong_to_optional_units_known_and_once() {
        let ok = cap_with_unit(
            r#"{ code = "EF1", label = "Langue vivante", kind = "optional", languages = ["en", "es"] }"#,
        );
        let catalogue = Catalogue::parse(&ok, ORIGIN).unwrap();
        let unit = catalogue
            .specialty(Diploma::Cap, "D")
            .and_then(|s| s.unit("EF1"))
            .unwrap();
        assert!(unit.takes_language() && unit.offers_language("es"));
        assert!(!unit.offers_language("de"));
        assert_eq!(
            error_of(&cap_with_unit(
                r#"{ code = "EG5", label = "Langue", kind = "general", languages = ["en"] }"#
            )),
            "infra/catalogue.toml: diploma CAP: specialty D: unit EG5: only an optional unit may list languages"
        );
        assert_eq!(
            error_of(&cap_with_unit(
                r#"{ code = "EF1", label = "Langue", kind = "optional", languages = ["EN"] }"#
            )),
            "infra/catalogue.toml: diploma CAP: specialty D: unit EF1: language `EN` is not a known ISO 639-1 code (see domain/languages.rs)"
        );
        assert_eq!(
            error_of(&cap_with_unit(
                r#"{ code = "EF1", label = "Langue", kind = "optional", languages = ["en", "en"] }"#
            )),
            "infra/catalogue.toml: diploma CAP: specialty D: unit EF1: language `en` appears more than once"
        );
    }

    #[test]
    fn every_optional_language_unit_of_the_embedded_catalogue_lists_its_languages() {
        let c = embedded();
        for entry in &c.diplomas {
            for s in &entry.specialties {
                for u in s.units_of(UnitKind::Optional) {
                    let is_language = u.label.starts_with("Langue vivante");
                    assert_eq!(
                        u.takes_language(),
                        is_language,
                        "{} {} {}",
                        entry.diploma,
                        s.code,
                        u.code
                    );
                }
                for u in s.units.iter().filter(|u| u.kind != UnitKind::Optional) {
                    assert!(
                        !u.takes_language(),
                        "{} {} {}",
                        entry.diploma,
                        s.code,
                        u.code
                    );
                }
            }
        }
    }

    #[test]
    fn empty_labels_are_reported() {
        assert_eq!(
            error_of(&file_with_cap(&diploma("CAP", "  ", &three()))),
            "infra/catalogue.toml: diploma CAP: the label is empty"
        );
        let mut specialties = three();
        specialties.push(specialty("D", "", &[("EP1", "Épreuve")]));
        assert_eq!(
            error_of(&file_with_cap(&diploma("CAP", "Certificat", &specialties))),
            "infra/catalogue.toml: diploma CAP: specialty D: the label is empty"
        );
        let mut specialties = three();
        specialties.push(specialty(
            "D",
            "Spécialité D",
            &[("EP1", "Épreuve"), ("EP2", " ")],
        ));
        assert_eq!(
            error_of(&file_with_cap(&diploma("CAP", "Certificat", &specialties))),
            "infra/catalogue.toml: diploma CAP: specialty D: unit EP2: the label is empty"
        );
    }

    #[test]
    fn bad_codes_are_reported() {
        let mut specialties = three();
        specialties.push(specialty("cuisine", "Cuisine", &[("EP1", "Épreuve")]));
        assert_eq!(
            error_of(&file_with_cap(&diploma("CAP", "Certificat", &specialties))),
            "infra/catalogue.toml: diploma CAP: specialty code `cuisine` must be 1 to 32 capital letters, digits or underscores"
        );
        let mut specialties = three();
        specialties.push(specialty("D", "Spécialité D", &[("", "Épreuve")]));
        assert_eq!(
            error_of(&file_with_cap(&diploma("CAP", "Certificat", &specialties))),
            "infra/catalogue.toml: diploma CAP: specialty D: unit code `` must be 1 to 32 capital letters, digits or underscores"
        );
    }

    #[test]
    fn from_file_names_a_missing_file() {
        let e = Catalogue::from_file(Path::new("/nonexistent/examreg/catalogue.toml"))
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("/nonexistent/examreg/catalogue.toml: cannot read the file: "),
            "{e}"
        );
        assert!(!e.contains('\n'));
    }
}
