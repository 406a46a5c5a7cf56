//! The pieces (« pièces justificatives ») an inscription calls for.
//!
//! Pure: the candidate's age is computed on `today`, a parameter.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::domain::inscription::ValidInscription;
use crate::domain::validation::age_on;
use crate::domain::Diploma;

/// The kind of a piece: its code is what the API and the upload route
/// (`/inscription/pieces/{kind}/uploads`) use.
#[derive(
    Serialize,
    Deserialize,
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum PieceKind {
    /// The confirmation of inscription, dated and signed (notice, section 2).
    SignedConfirmation,
    /// A valid identity card or passport.
    IdentityDocument,
    /// The certificate of the « Journée défense et citoyenneté ».
    JdcCertificate,
    /// The notification of an accommodation already granted (notice, section 4).
    AccommodationNotice,
    /// Transcript or diploma proving the declared acquis (notice, section 5).
    AcquisProof,
    /// For the brevet professionnel: proof of the professional practice the
    /// diploma requires (code de l'éducation, art. D337-102: two years in a
    /// job related to the specialty with a diploma of level 3 or above, five
    /// years otherwise): employers' certificates, payslips, contracts.
    ProfessionalExperienceProof,
}

/// French nationals aged between these two ages (inclusive) prove their JDC.
pub const JDC_MIN_AGE: i32 = 16;
pub const JDC_MAX_AGE: i32 = 24;

impl PieceKind {
    /// Every kind, in the order pieces are listed.
    pub const ALL: [PieceKind; 6] = [
        PieceKind::SignedConfirmation,
        PieceKind::IdentityDocument,
        PieceKind::JdcCertificate,
        PieceKind::AccommodationNotice,
        PieceKind::AcquisProof,
        PieceKind::ProfessionalExperienceProof,
    ];

    /// The stable snake_case code.
    pub fn code(self) -> &'static str {
        match self {
            PieceKind::SignedConfirmation => "signed_confirmation",
            PieceKind::IdentityDocument => "identity_document",
            PieceKind::JdcCertificate => "jdc_certificate",
            PieceKind::AccommodationNotice => "accommodation_notice",
            PieceKind::AcquisProof => "acquis_proof",
            PieceKind::ProfessionalExperienceProof => "professional_experience_proof",
        }
    }

    /// What the candidate reads.
    pub fn label(self) -> &'static str {
        match self {
            PieceKind::SignedConfirmation => "Confirmation d'inscription datée et signée",
            PieceKind::IdentityDocument => {
                "Pièce d'identité en cours de validité (carte nationale d'identité, passeport ou titre de séjour)"
            }
            PieceKind::JdcCertificate => {
                "Certificat individuel de participation à la Journée défense et citoyenneté (JDC) ou, si vous ne l'avez pas encore effectuée, attestation de recensement"
            }
            PieceKind::AccommodationNotice => "Notification d'aménagement d'épreuves",
            PieceKind::AcquisProof => "Relevé de notes ou diplôme justifiant vos acquis",
            PieceKind::ProfessionalExperienceProof => {
                "Justificatifs de votre expérience professionnelle dans un emploi en rapport avec la spécialité (certificats de travail ou attestations d'employeur précisant l'emploi et les dates, contrat d'apprentissage) : deux ans si vous avez un diplôme de niveau 3 (CAP, BEP) ou plus, cinq ans sinon"
            }
        }
    }
}

impl fmt::Display for PieceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A text that is not the code of a piece kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown piece kind `{0}`")]
pub struct UnknownPieceKind(pub String);

impl FromStr for PieceKind {
    type Err = UnknownPieceKind;

    /// Only the exact codes: anything else (other case, spaces, `../x`) is an error.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PieceKind::ALL
            .into_iter()
            .find(|k| k.code() == s)
            .ok_or_else(|| UnknownPieceKind(s.to_owned()))
    }
}

/// The pieces the inscription calls for on `today`, in a stable order:
/// always the signed confirmation and an identity document; the JDC
/// certificate for French nationals aged 16 to 24; the accommodation notice
/// when an accommodation already exists; one proof for all the acquis; for
/// the brevet professionnel, the proof of professional experience.
pub fn required_pieces(data: &ValidInscription, today: NaiveDate) -> Vec<PieceKind> {
    let mut pieces = vec![PieceKind::SignedConfirmation, PieceKind::IdentityDocument];
    let age = age_on(data.identity.birth_date, today);
    if data.identity.nationality == "FR" && (JDC_MIN_AGE..=JDC_MAX_AGE).contains(&age) {
        pieces.push(PieceKind::JdcCertificate);
    }
    if data.disability.declared && data.disability.existing_accommodation {
        pieces.push(PieceKind::AccommodationNotice);
    }
    if !data.acquis.is_empty() {
        pieces.push(PieceKind::AcquisProof);
    }
    if data.diploma == Diploma::Bp {
        pieces.push(PieceKind::ProfessionalExperienceProof);
    }
    pieces
}

/// The label of a piece for this inscription: the acquis proof names the
/// units concerned (« Relevé de notes ou diplôme justifiant vos acquis (EP1, EG2) »).
pub fn label_for(kind: PieceKind, data: &ValidInscription) -> String {
    match kind {
        PieceKind::AcquisProof if !data.acquis.is_empty() => {
            let mut units: Vec<&str> = Vec::new();
            for unit in data.acquis_units() {
                if !units.contains(&unit) {
                    units.push(unit);
                }
            }
            format!("{} ({})", kind.label(), units.join(", "))
        }
        _ => kind.label().to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::inscription::{Acquis, AcquisKind, Address, Disability, Identity};
    use PieceKind::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    /// Registration day for these tests.
    fn today() -> NaiveDate {
        date(2021, 11, 25)
    }

    fn candidate(born: NaiveDate, nationality: &str) -> ValidInscription {
        ValidInscription {
            diploma: Diploma::Cap,
            specialty: "CUISINE".into(),
            identity: Identity {
                last_name: "N'Diaye".into(),
                first_names: "Zoé".into(),
                birth_date: born,
                birth_place: "Marseille".into(),
                birth_department: None,
                birth_country: None,
                nationality: nationality.into(),
                address: Address {
                    line1: "12 rue de la République".into(),
                    line2: None,
                    postal_code: "13001".into(),
                    city: "Marseille".into(),
                    country: "FR".into(),
                },
                phone: "+33612345678".into(),
            },
            disability: Disability::default(),
            acquis: Vec::new(),
            options: Vec::new(),
        }
    }

    fn acquis(unit: &str) -> Acquis {
        Acquis {
            unit: unit.into(),
            kind: AcquisKind::Dispense,
            grade: None,
            year: 2019,
        }
    }

    #[test]
    fn the_jdc_certificate_is_for_french_nationals_aged_16_to_24() {
        // 15, turning 16 tomorrow.
        let p = required_pieces(&candidate(date(2005, 11, 26), "FR"), today());
        assert_eq!(p, [SignedConfirmation, IdentityDocument]);
        // 16 today.
        let p = required_pieces(&candidate(date(2005, 11, 25), "FR"), today());
        assert_eq!(p, [SignedConfirmation, IdentityDocument, JdcCertificate]);
        // 24, turning 25 tomorrow.
        let p = required_pieces(&candidate(date(1996, 11, 26), "FR"), today());
        assert_eq!(p, [SignedConfirmation, IdentityDocument, JdcCertificate]);
        // 25 today.
        let p = required_pieces(&candidate(date(1996, 11, 25), "FR"), today());
        assert_eq!(p, [SignedConfirmation, IdentityDocument]);
        // 18, but not French.
        let p = required_pieces(&candidate(date(2003, 1, 1), "BE"), today());
        assert_eq!(p, [SignedConfirmation, IdentityDocument]);
        // Born on 29 February: 16 on 1 March, not on 28 February.
        let leap = candidate(date(2004, 2, 29), "FR");
        assert_eq!(required_pieces(&leap, date(2020, 2, 28)).len(), 2);
        assert_eq!(required_pieces(&leap, date(2020, 2, 29)).len(), 3);
    }

    #[test]
    fn accommodation_and_acquis() {
        // An accommodation already granted: its notification.
        let mut c = candidate(date(1980, 6, 1), "FR");
        c.disability = Disability {
            declared: true,
            existing_accommodation: true,
        };
        assert_eq!(
            required_pieces(&c, today()),
            [SignedConfirmation, IdentityDocument, AccommodationNotice]
        );
        // A disability without an accommodation yet: a request to make, no piece.
        c.disability = Disability {
            declared: true,
            existing_accommodation: false,
        };
        assert_eq!(
            required_pieces(&c, today()),
            [SignedConfirmation, IdentityDocument]
        );
        // Acquis: one proof for all of them.
        c.acquis = vec![acquis("EP1"), acquis("EG2")];
        assert_eq!(
            required_pieces(&c, today()),
            [SignedConfirmation, IdentityDocument, AcquisProof]
        );
        assert_eq!(
            label_for(AcquisProof, &c),
            "Relevé de notes ou diplôme justifiant vos acquis (EP1, EG2)"
        );
        // Everything at once, in the stable order (a BP: its experience proof).
        let mut all = candidate(date(2003, 3, 3), "FR");
        all.diploma = Diploma::Bp;
        all.specialty = "COIFFURE".into();
        all.disability = Disability {
            declared: true,
            existing_accommodation: true,
        };
        all.acquis = vec![acquis("EG1")];
        assert_eq!(required_pieces(&all, today()), PieceKind::ALL);
        let mut sorted = required_pieces(&all, today());
        sorted.sort();
        assert_eq!(sorted, required_pieces(&all, today()));
    }

    #[test]
    fn the_brevet_professionnel_asks_for_proof_of_professional_experience() {
        let mut bp = candidate(date(1990, 6, 1), "BE");
        bp.diploma = Diploma::Bp;
        bp.specialty = "BOULANGER".into();
        assert_eq!(
            required_pieces(&bp, today()),
            [
                SignedConfirmation,
                IdentityDocument,
                ProfessionalExperienceProof
            ]
        );
        // Not for the other diplomas.
        for diploma in [Diploma::BacPro, Diploma::Mc, Diploma::Cap] {
            let mut other = candidate(date(1990, 6, 1), "BE");
            other.diploma = diploma;
            assert!(!required_pieces(&other, today()).contains(&ProfessionalExperienceProof));
        }
        assert_eq!(
            ProfessionalExperienceProof.code(),
            "professional_experience_proof"
        );
        assert!(ProfessionalExperienceProof
            .label()
            .starts_with("Justificatifs de votre expérience professionnelle"));
    }

    #[test]
    fn labels() {
        let c = candidate(date(2003, 3, 3), "FR");
        assert_eq!(
            label_for(AcquisProof, &c),
            "Relevé de notes ou diplôme justifiant vos acquis"
        );
        assert_eq!(
            label_for(SignedConfirmation, &c),
            "Confirmation d'inscription datée et signée"
        );
        assert_eq!(
            IdentityDocument.label(),
            "Pièce d'identité en cours de validité (carte nationale d'identité, passeport ou titre de séjour)"
        );
        assert_eq!(
            JdcCertificate.label(),
            "Certificat individuel de participation à la Journée défense et citoyenneté (JDC) ou, si vous ne l'avez pas encore effectuée, attestation de recensement"
        );
        assert_eq!(
            AccommodationNotice.label(),
            "Notification d'aménagement d'épreuves"
        );
    }

    #[test]
    fn codes_round_trip_and_nothing_else_parses() {
        for kind in PieceKind::ALL {
            assert_eq!(kind.code().parse::<PieceKind>(), Ok(kind));
            assert_eq!(
                serde_json::to_value(kind).unwrap(),
                serde_json::json!(kind.code())
            );
            assert_eq!(
                serde_json::from_value::<PieceKind>(serde_json::json!(kind.code())).unwrap(),
                kind
            );
            assert_eq!(kind.to_string(), kind.code());
        }
        for bad in [
            "",
            "../x",
            "../../etc/passwd",
            "Signed_Confirmation",
            " acquis_proof",
            "acquis_proof/",
            "jdc",
        ] {
            assert_eq!(
                bad.parse::<PieceKind>(),
                Err(UnknownPieceKind(bad.to_owned())),
                "{bad}"
            );
        }
    }
}
