//! The four diplomas of the notice.

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
    pub const ALL: [Diploma; 4] = [Diploma::BacPro, Diploma::Mc, Diploma::Bp, Diploma::Cap];

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
}

impl fmt::Display for Diploma {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown diploma `{0}` (expected BAC_PRO, MC, BP or CAP)")]
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
}
