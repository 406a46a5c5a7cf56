//! The « confirmation d'inscription » the candidate prints, dates and signs
//! (`GET /inscription/confirmation.pdf`): what it says, and its rendering.

use crate::app::App;
use crate::domain::catalogue::{Specialty, Unit, UnitKind};
use crate::domain::countries::{country_fr, nationality_fr};
use crate::domain::dossier::InscriptionStatus;
use crate::domain::inscription::{
    format_phone_fr, Acquis, AcquisKind, Disability, OptionChoice, ACCOMMODATION_REQUEST_URL,
};
use crate::domain::languages::language_fr;
use crate::domain::pieces::label_for;
use crate::domain::validation::format_decimal_fr;
use crate::error::AppError;
use crate::pdf::{render_confirmation, ConfirmationDocument, UnitLine};
use crate::records::dossier::InscriptionRecord;
use crate::services::inscription::{load_for_caller, InscriptionRefusal, InscriptionResult};
use crate::wording::{birth_date_fr, to_paris_string};

/// A rendered confirmation and the name to save it under.
#[derive(Debug, Clone)]
pub struct ConfirmationPdf {
    pub filename: String,
    pub bytes: Vec<u8>,
}

/// `GET /inscription/confirmation.pdf`: one read, then the rendering off the
/// async executor.
pub async fn confirmation_pdf(
    app: &App,
    token: Option<&str>,
) -> InscriptionResult<ConfirmationPdf> {
    let (_, record) = load_for_caller(app, token).await?;
    let record = record.ok_or(InscriptionRefusal::NoInscription)?;
    let document = confirmation_document(app, &record);
    let bytes = tokio::task::spawn_blocking(move || render_confirmation(&document))
        .await
        .map_err(|e| AppError::Internal(format!("PDF task failed: {e}")))?
        .map_err(|e| AppError::Internal(format!("PDF rendering failed: {e}")))?;
    Ok(ConfirmationPdf {
        filename: format!(
            "confirmation-inscription-{}-v{}.pdf",
            record.session, record.version
        ),
        bytes,
    })
}

/// The diploma by its full name (the catalogue's) and its usual
/// abbreviation: « Certificat d'aptitude professionnelle (CAP) ».
fn diploma_label(app: &App, diploma: crate::domain::Diploma) -> String {
    format!(
        "{} ({})",
        crate::emails::dossier::diploma_label(&app.catalogue, diploma),
        diploma.abbreviation()
    )
}

/// What the confirmation says, all in French. A pure function of the record
/// (and the reference data): the same version always gives the same text,
/// since even the instant printed is the record's last save, not the request's.
pub fn confirmation_document(app: &App, record: &InscriptionRecord) -> ConfirmationDocument {
    let data = &record.data;
    let id = &data.identity;
    let specialty = app.catalogue.specialty(data.diploma, &data.specialty);
    let mut identity = vec![
        ("Nom".to_owned(), id.last_name.clone()),
        ("Prénoms".to_owned(), id.first_names.clone()),
        ("Date de naissance".to_owned(), birth_date_fr(id.birth_date)),
        ("Lieu de naissance".to_owned(), id.birth_place.clone()),
    ];
    // The birth fields the candidate gave (inscriptions saved before they
    // existed have neither).
    if let Some(department) = &id.birth_department {
        identity.push(("Département de naissance".to_owned(), department.clone()));
    }
    if let Some(country) = &id.birth_country {
        identity.push(("Pays de naissance".to_owned(), country_fr(country)));
    }
    identity.extend([
        ("Nationalité".to_owned(), nationality_fr(&id.nationality)),
        ("Adresse".to_owned(), id.address.line1.clone()),
    ]);
    if let Some(line2) = id.address.line2.as_deref().filter(|l| !l.trim().is_empty()) {
        identity.push(("Complément d'adresse".to_owned(), line2.to_owned()));
    }
    identity.extend([
        (
            "Code postal et commune".to_owned(),
            format!("{} {}", id.address.postal_code, id.address.city),
        ),
        ("Pays".to_owned(), country_fr(&id.address.country)),
        ("Téléphone".to_owned(), format_phone_fr(&id.phone)),
    ]);
    let window = app.calendar.windows(data.diploma).documents;
    let mut documents_window = window.french_range();
    if let Some(until) = record.documents_deadline_extension {
        documents_window.push_str(&format!(
            " (délai prolongé pour vous jusqu'au {}, heure de Paris)",
            to_paris_string(until)
        ));
    }
    ConfirmationDocument {
        academie: app.calendar.academie.clone(),
        session: record.session.clone(),
        candidate_number: record.candidate_number.clone().unwrap_or_default(),
        diploma_label: diploma_label(app, data.diploma),
        specialty_label: specialty.map_or_else(|| data.specialty.clone(), |s| s.label.clone()),
        specialty_code: data.specialty.clone(),
        email: record.email.clone(),
        identity,
        units: unit_lines(specialty, &data.acquis, &data.options),
        disability: disability_fr(&data.disability),
        version: record.version,
        generated_at: to_paris_string(record.updated_at),
        pieces: record.pieces.keys().map(|k| label_for(*k, data)).collect(),
        not_to_sign: not_to_sign(record.status),
        documents_window,
        postal_address: app.calendar.postal_address.envelope(),
    }
}

/// What the confirmation of an inscription that ended says instead of
/// asking for a dated and signed copy.
fn not_to_sign(status: InscriptionStatus) -> Option<String> {
    let why = match status {
        InscriptionStatus::Cancelled => "Cette inscription a été annulée",
        InscriptionStatus::Withdrawn => "Cette inscription a été retirée",
        InscriptionStatus::Registered
        | InscriptionStatus::Complete
        | InscriptionStatus::Validated => return None,
    };
    Some(format!(
        "{why} : ce document vous est remis pour mémoire. Ne le datez pas, ne le signez pas et ne l'envoyez pas. Pour toute question, contactez la division des examens et concours du rectorat."
    ))
}

/// Every unit of the specialty in catalogue order, with what the candidate
/// declared for it (an optional unit says whether it was chosen, and in
/// which language); acquis on units the catalogue no longer lists follow.
fn unit_lines(
    specialty: Option<&Specialty>,
    acquis: &[Acquis],
    options: &[OptionChoice],
) -> Vec<UnitLine> {
    let acquis_of = |unit: &Unit| match acquis.iter().find(|a| a.unit == unit.code) {
        Some(a) => acquis_fr(a),
        None if unit.kind == UnitKind::Optional => option_fr(options, &unit.code),
        None => "À présenter".to_owned(),
    };
    let mut lines: Vec<UnitLine> = specialty
        .map(|s| {
            s.units
                .iter()
                .map(|u| UnitLine {
                    code: u.code.clone(),
                    label: u.label.clone(),
                    kind: u.kind.label().to_owned(),
                    acquis: acquis_of(u),
                })
                .collect()
        })
        .unwrap_or_default();
    for a in acquis {
        if !lines.iter().any(|l| l.code == a.unit) {
            lines.push(UnitLine {
                code: a.unit.clone(),
                label: a.unit.clone(),
                kind: String::new(),
                acquis: acquis_fr(a),
            });
        }
    }
    lines
}

/// What the candidate chose for an optional unit: « Choisie, en espagnol
/// (es) », « Choisie » or « Non choisie ».
fn option_fr(options: &[OptionChoice], unit: &str) -> String {
    match options.iter().find(|o| o.unit == unit) {
        Some(OptionChoice {
            language: Some(language),
            ..
        }) => format!("Choisie, en {}", language_fr(language)),
        Some(_) => "Choisie".to_owned(),
        None => "Non choisie".to_owned(),
    }
}

fn acquis_fr(a: &Acquis) -> String {
    match (a.kind, a.grade) {
        (AcquisKind::Benefit, Some(grade)) => format!(
            "Bénéfice de note\u{a0}: {}/20 (session {})",
            format_decimal_fr(grade),
            a.year
        ),
        (AcquisKind::Benefit, None) => format!("Bénéfice de note (session {})", a.year),
        (AcquisKind::Dispense, _) => format!("Dispense (diplôme obtenu en {})", a.year),
    }
}

fn disability_fr(d: &Disability) -> String {
    match (d.declared, d.existing_accommodation) {
        (false, _) => "Vous n'avez pas déclaré de situation de handicap.".to_owned(),
        (true, true) => "Vous avez déclaré être en situation de handicap et bénéficier déjà d'un aménagement d'épreuves : joignez la notification d'aménagement d'épreuves.".to_owned(),
        (true, false) => format!(
            "Vous avez déclaré une situation de handicap sans aménagement d'épreuves à ce jour : faites votre demande d'aménagement sur {ACCOMMODATION_REQUEST_URL} (rubrique « Aménagement d'épreuves aux examens »)."
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::countries::COUNTRIES_FR;

    #[test]
    fn nationalities_and_countries_in_french() {
        assert_eq!(nationality_fr("FR"), "française");
        assert_eq!(nationality_fr("BE"), "étrangère, pays : Belgique (BE)");
        assert_eq!(country_fr("FR"), "France");
        assert_eq!(country_fr("QQ"), "QQ");
        let mut sorted = COUNTRIES_FR;
        sorted.sort();
        assert_eq!(
            sorted, COUNTRIES_FR,
            "the table is sorted for the binary search"
        );
    }

    #[test]
    fn acquis_read_in_french() {
        let benefit = Acquis {
            unit: "E2".into(),
            kind: AcquisKind::Benefit,
            grade: Some(14.5),
            year: 2020,
        };
        assert_eq!(
            acquis_fr(&benefit),
            "Bénéfice de note\u{a0}: 14,5/20 (session 2020)"
        );
        let dispense = Acquis {
            unit: "E11".into(),
            kind: AcquisKind::Dispense,
            grade: None,
            year: 2019,
        };
        assert_eq!(acquis_fr(&dispense), "Dispense (diplôme obtenu en 2019)");
    }
}

#[cfg(test)]
mod option_tests {
    use super::*;
    use crate::domain::catalogue::Catalogue;
    use crate::domain::Diploma;

    #[test]
    fn optional_units_say_whether_and_in_which_language_they_are_sat() {
        let catalogue = Catalogue::embedded().unwrap();
        let cuisine = catalogue.specialty(Diploma::Cap, "CUISINE");
        let options = [OptionChoice {
            unit: "EF1".into(),
            language: Some("es".into()),
        }];
        let lines = unit_lines(cuisine, &[], &options);
        let said = |code: &str| {
            lines
                .iter()
                .find(|l| l.code == code)
                .map(|l| l.acquis.clone())
                .unwrap()
        };
        assert_eq!(said("EP1"), "À présenter");
        assert_eq!(said("EF1"), "Choisie, en espagnol (es)");
        assert_eq!(said("EF2"), "Non choisie");
        let options = [OptionChoice {
            unit: "EF2".into(),
            language: None,
        }];
        let lines = unit_lines(cuisine, &[], &options);
        assert!(lines
            .iter()
            .any(|l| l.code == "EF2" && l.acquis == "Choisie"));
    }

    #[test]
    fn only_an_ended_inscription_s_confirmation_is_not_to_sign() {
        for status in [
            InscriptionStatus::Registered,
            InscriptionStatus::Complete,
            InscriptionStatus::Validated,
        ] {
            assert_eq!(not_to_sign(status), None);
        }
        let cancelled = not_to_sign(InscriptionStatus::Cancelled).unwrap();
        assert!(cancelled.starts_with("Cette inscription a été annulée"));
        assert!(cancelled.contains("Ne le datez pas, ne le signez pas"));
        assert!(not_to_sign(InscriptionStatus::Withdrawn)
            .unwrap()
            .starts_with("Cette inscription a été retirée"));
    }
}
