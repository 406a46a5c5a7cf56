//! The four diplomas of the notice, and the one list of them.
//!
//! Adding a diploma is one variant here (with its code, label and French
//! phrase below), its windows in `infra/sessions/<session>.toml` and its
//! specialties in `infra/catalogue.toml`: every other list of the diplomas
//! (the calendar's and the catalogue's checks, their error messages, the
//! form's and the office's refusals, the OpenAPI enum) is derived from
//! [`Diploma::ALL`].

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

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
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Diploma {
    /// Baccalauréat professionnel.
    BacPro,
    /// Mention complémentaire (shares the Bac Pro's windows).
    Mc,
    /// Brevet professionnel.
    Bp,
    /// Certificat d'aptitude professionnelle.
    Cap,
}

impl Diploma {
    /// Every diploma, in the notice's order (which is also the declaration
    /// order, so that [`Diploma::index`] is a position in this array).
    pub const ALL: [Diploma; 4] = [Diploma::BacPro, Diploma::Mc, Diploma::Bp, Diploma::Cap];

    /// How many diplomas there are.
    pub const COUNT: usize = Diploma::ALL.len();

    /// The diploma's position in [`Diploma::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// Every code, `conjunction` before the last: "BAC_PRO, MC, BP or CAP".
    pub fn codes_listed(conjunction: &str) -> String {
        let codes: Vec<&str> = Diploma::ALL.iter().map(|d| d.code()).collect();
        crate::wording::enumerate(&codes, conjunction)
    }

    /// The stable code used in the API and the data files.
    pub fn code(self) -> &'static str {
        match self {
            Diploma::BacPro => "BAC_PRO",
            Diploma::Mc => "MC",
            Diploma::Bp => "BP",
            Diploma::Cap => "CAP",
        }
    }

    /// The French name a candidate reads.
    pub fn label(self) -> &'static str {
        match self {
            Diploma::BacPro => "Baccalauréat professionnel",
            Diploma::Mc => "Mention complémentaire",
            Diploma::Bp => "Brevet professionnel",
            Diploma::Cap => "Certificat d'aptitude professionnelle",
        }
    }

    /// The usual abbreviation: « Bac Pro », « MC », « BP », « CAP ».
    pub fn abbreviation(self) -> &'static str {
        match self {
            Diploma::BacPro => "Bac Pro",
            Diploma::Mc => "MC",
            Diploma::Bp => "BP",
            Diploma::Cap => "CAP",
        }
    }

    /// The full name with its abbreviation, as the confirmation names the
    /// diploma: « Certificat d'aptitude professionnelle (CAP) ».
    pub fn full_name_fr(self) -> String {
        format!("{} ({})", self.label(), self.abbreviation())
    }

    /// Every diploma a candidate may choose, in a French sentence: « le
    /// baccalauréat professionnel (BAC_PRO), une mention complémentaire (MC),
    /// le brevet professionnel (BP) ou le certificat d'aptitude
    /// professionnelle (CAP) ».
    pub fn choices_fr() -> String {
        let choices: Vec<String> = Diploma::ALL
            .iter()
            .map(|d| format!("{} ({})", d.phrase_fr(), d.code()))
            .collect();
        let choices: Vec<&str> = choices.iter().map(String::as_str).collect();
        crate::wording::enumerate(&choices, "ou")
    }

    /// The diploma as a sentence names it, with its article: « le brevet
    /// professionnel », « une mention complémentaire ».
    pub fn phrase_fr(self) -> &'static str {
        match self {
            Diploma::BacPro => "le baccalauréat professionnel",
            Diploma::Mc => "une mention complémentaire",
            Diploma::Bp => "le brevet professionnel",
            Diploma::Cap => "le certificat d'aptitude professionnelle",
        }
    }
}

/// A map with exactly one value per diploma, by construction: what the
/// reference data keeps per diploma, checked complete when it is loaded.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PerDiploma<T>([T; Diploma::COUNT]);

impl<T> PerDiploma<T> {
    /// One value per diploma, built in the order of [`Diploma::ALL`]; the
    /// first error stops it.
    pub fn try_from_fn<E>(mut build: impl FnMut(Diploma) -> Result<T, E>) -> Result<Self, E> {
        let mut values = Vec::with_capacity(Diploma::COUNT);
        for d in Diploma::ALL {
            values.push(build(d)?);
        }
        match values.try_into() {
            Ok(values) => Ok(PerDiploma(values)),
            // `values` holds one value per diploma by the loop above.
            Err(_) => unreachable!("one value per diploma"),
        }
    }

    /// The value of diploma `d`.
    pub fn get(&self, d: Diploma) -> &T {
        &self.0[d.index()]
    }

    /// Every diploma with its value, in the order of [`Diploma::ALL`].
    pub fn iter(&self) -> impl Iterator<Item = (Diploma, &T)> + '_ {
        Diploma::ALL.into_iter().zip(self.0.iter())
    }
}

impl fmt::Display for Diploma {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown diploma `{0}` (expected {expected})", expected = Diploma::codes_listed("or"))]
pub struct UnknownDiploma(pub String);

impl FromStr for Diploma {
    type Err = UnknownDiploma;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Diploma::ALL
            .into_iter()
            .find(|d| d.code() == s)
            .ok_or_else(|| UnknownDiploma(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_through_text_and_json() {
        for d in Diploma::ALL {
            assert_eq!(d.code().parse::<Diploma>().unwrap(), d);
            let json = serde_json::to_string(&d).unwrap();
            assert_eq!(json, format!("\"{}\"", d.code()));
        }
        assert!("bac_pro".parse::<Diploma>().is_err());
    }

    #[test]
    fn full_names_carry_their_usual_abbreviation() {
        let names: Vec<String> = Diploma::ALL.map(Diploma::full_name_fr).to_vec();
        assert_eq!(
            names,
            [
                "Baccalauréat professionnel (Bac Pro)",
                "Mention complémentaire (MC)",
                "Brevet professionnel (BP)",
                "Certificat d'aptitude professionnelle (CAP)",
            ]
        );
    }

    #[test]
    fn the_index_is_the_position_in_all() {
        for (i, d) in Diploma::ALL.into_iter().enumerate() {
            assert_eq!(d.index(), i, "{d}");
        }
    }

    #[test]
    fn the_lists_of_codes_read_as_before() {
        assert_eq!(Diploma::codes_listed("or"), "BAC_PRO, MC, BP or CAP");
        assert_eq!(Diploma::codes_listed("ou"), "BAC_PRO, MC, BP ou CAP");
        assert_eq!(
            Diploma::choices_fr(),
            "le baccalauréat professionnel (BAC_PRO), une mention complémentaire (MC), \
             le brevet professionnel (BP) ou le certificat d'aptitude professionnelle (CAP)"
        );
        assert_eq!(
            UnknownDiploma("BTS".into()).to_string(),
            "unknown diploma `BTS` (expected BAC_PRO, MC, BP or CAP)"
        );
    }

    #[test]
    fn a_per_diploma_map_holds_one_value_each_in_order() {
        let codes = PerDiploma::try_from_fn(|d| Ok::<_, ()>(d.code())).unwrap();
        for d in Diploma::ALL {
            assert_eq!(*codes.get(d), d.code());
        }
        let order: Vec<Diploma> = codes.iter().map(|(d, _)| d).collect();
        assert_eq!(order, Diploma::ALL);
        let failed = PerDiploma::try_from_fn(|d| if d == Diploma::Bp { Err(d) } else { Ok(()) });
        assert_eq!(failed, Err(Diploma::Bp));
    }
}
