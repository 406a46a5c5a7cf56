//! `export`: the inscriptions as a CSV file in the documents bucket, and a
//! download link. Its columns are [`CSV_HEADERS`], one row per inscription.

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::events::{ExportEvent, Filter};
use super::{instant, AdminError, AdminResult};
use crate::app::App;
use crate::domain::inscription::OptionChoice;
use crate::domain::pieces::label_for;
use crate::domain::transitions::Actor;
use crate::error::AppError;
use crate::ports::store::{Condition, Item, WriteOp};
use crate::records::dossier::InscriptionRecord;
use crate::records::keys;
use crate::wording::dates::paris_figures;
use crate::wording::yes_no;

/// How long an export's download link stays valid.
const EXPORT_LINK_LIFETIME: std::time::Duration = std::time::Duration::from_secs(60 * 60);

/// The export's columns: who the candidate is, how to reach them, what they
/// sit (codes next to labels, so the office can sort by code), then where
/// their dossier stands. The birth département and country and the options
/// are codes, for the exams system the file feeds (README, « The export »).
const CSV_HEADERS: [&str; 29] = [
    "Numéro de candidat",
    "Courriel",
    "Nom",
    "Prénoms",
    "Date de naissance",
    "Lieu de naissance",
    "Code département de naissance",
    "Code pays de naissance",
    "Nationalité",
    "Téléphone",
    "Adresse",
    "Complément d'adresse",
    "Code postal",
    "Ville",
    "Pays",
    "Code diplôme",
    "Diplôme",
    "Code spécialité",
    "Spécialité",
    "Handicap déclaré",
    "Aménagement existant",
    "Acquis",
    "Épreuves facultatives",
    "Langues des épreuves facultatives",
    "Statut",
    "Version",
    "Pièces encore à fournir",
    "Date limite de dépôt",
    "Mis à jour le",
];

/// What a spreadsheet may read as the start of a formula.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A cell a spreadsheet will not take for a formula: an apostrophe before
/// the cell, and before each part of it that a `;` or a `,` separates, when
/// that part (its leading spaces aside) starts like a formula. Every cell is
/// also quoted ([`csv::QuoteStyle::Always`]), but a tool that splits lines
/// on either separator without honouring the quotes must still meet no
/// formula in any piece.
fn cell(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 1);
    let mut part_start = true;
    for c in text.chars() {
        if part_start && FORMULA_STARTS.contains(&c) {
            out.push('\'');
        }
        // A part starts after a separator and the spaces that follow it.
        part_start = matches!(c, ';' | ',') || (part_start && c == ' ');
        out.push(c);
    }
    out
}

/// A country code as the office reads it: « France », « Belgique (BE) », or
/// the code when its French name is not known.
fn country(code: &str) -> String {
    crate::domain::countries::country_fr(code)
}

/// The acquis, compact: « E11 dispense (2019) ; E2 bénéfice 12,5 (2020) »;
/// empty when there are none.
fn acquis_cell(acquis: &[crate::domain::inscription::Acquis]) -> String {
    use crate::domain::inscription::AcquisKind;
    use crate::domain::validation::format_decimal_fr;
    acquis
        .iter()
        .map(|a| match (a.kind, a.grade) {
            (AcquisKind::Dispense, _) => format!("{} dispense ({})", a.unit, a.year),
            (AcquisKind::Benefit, Some(grade)) => format!(
                "{} bénéfice {} ({})",
                a.unit,
                format_decimal_fr(grade),
                a.year
            ),
            (AcquisKind::Benefit, None) => format!("{} bénéfice ({})", a.unit, a.year),
        })
        .collect::<Vec<_>>()
        .join(" ; ")
}

/// The ISO 3166-1 code of the country of birth: the one given, or `FR`
/// when only a département was (a département means France); empty when
/// the candidate gave neither.
fn birth_country_cell(identity: &crate::domain::inscription::Identity) -> String {
    match (&identity.birth_country, &identity.birth_department) {
        (Some(country), _) => country.clone(),
        (None, Some(_)) => "FR".to_owned(),
        (None, None) => String::new(),
    }
}

/// The optional units chosen, by code: « EF1 ; EF2 ».
fn options_cell(options: &[OptionChoice]) -> String {
    options
        .iter()
        .map(|o| o.unit.as_str())
        .collect::<Vec<_>>()
        .join(" ; ")
}

/// The language of each optional unit that has one, « unit:language »
/// (ISO 639-1): « EF1:es ».
fn option_languages_cell(options: &[OptionChoice]) -> String {
    options
        .iter()
        .filter_map(|o| Some(format!("{}:{}", o.unit, o.language.as_deref()?)))
        .collect::<Vec<_>>()
        .join(" ; ")
}

fn csv_row(app: &App, record: &InscriptionRecord) -> Vec<String> {
    let data = &record.data;
    let identity = &data.identity;
    let address = &identity.address;
    let specialty = app
        .catalogue
        .specialty(data.diploma, &data.specialty)
        .map_or(data.specialty.clone(), |s| s.label.clone());
    let missing: Vec<String> = record
        .pieces
        .iter()
        .filter(|(_, state)| !state.is_in())
        .map(|(kind, _)| label_for(*kind, data))
        .collect();
    let row: [String; CSV_HEADERS.len()] = [
        record.candidate_number.clone().unwrap_or_default(),
        record.email.clone(),
        identity.last_name.clone(),
        identity.first_names.clone(),
        identity.birth_date.format("%d/%m/%Y").to_string(),
        identity.birth_place.clone(),
        identity.birth_department.clone().unwrap_or_default(),
        birth_country_cell(identity),
        country(&identity.nationality),
        identity.phone.clone(),
        address.line1.clone(),
        address.line2.clone().unwrap_or_default(),
        address.postal_code.clone(),
        address.city.clone(),
        country(&address.country),
        data.diploma.code().to_owned(),
        data.diploma.label().to_owned(),
        data.specialty.clone(),
        specialty,
        yes_no(data.disability.declared).to_owned(),
        yes_no(data.disability.existing_accommodation).to_owned(),
        acquis_cell(&data.acquis),
        options_cell(&data.options),
        option_languages_cell(&data.options),
        record.status.short_label_fr().to_owned(),
        record.version.to_string(),
        missing.join(" / "),
        paris_figures(record.documents_deadline(&app.calendar)),
        paris_figures(record.updated_at),
    ];
    row.iter().map(|text| cell(text)).collect()
}

/// The export's writer: UTF-8 with a BOM (so that spreadsheets read the
/// accents), `;` between cells as French spreadsheets expect, CRLF, and
/// every cell quoted.
fn csv_writer() -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new()
        .delimiter(b';')
        .quote_style(csv::QuoteStyle::Always)
        .terminator(csv::Terminator::CRLF)
        .from_writer(b"\xEF\xBB\xBF".to_vec())
}

fn export_key(app: &App, filter: &Filter, now: DateTime<Utc>) -> String {
    let mut parts = vec![format!("inscriptions-{}", app.calendar.session)];
    if let Some(d) = filter.diploma {
        parts.push(d.code().to_owned());
    }
    if let Some(s) = &filter.specialty {
        parts.push(
            s.chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect(),
        );
    }
    if let Some(st) = filter.status {
        parts.push(st.code().to_owned());
    }
    parts.push(now.format("%Y%m%dT%H%M%SZ").to_string());
    let suffix = uuid::Uuid::new_v4().simple().to_string();
    parts.push(suffix.chars().take(8).collect());
    format!("exports/{}.csv", parts.join("-"))
}

pub(super) async fn export(app: &App, event: ExportEvent) -> AdminResult<Value> {
    let ExportEvent { actor, filter } = event;
    let mut records = filter.every(app).await?;
    records.sort_by(|a, b| {
        (
            a.data.diploma,
            &a.data.specialty,
            &a.data.identity.last_name,
            &a.data.identity.first_names,
            &a.email,
        )
            .cmp(&(
                b.data.diploma,
                &b.data.specialty,
                &b.data.identity.last_name,
                &b.data.identity.first_names,
                &b.email,
            ))
    });

    let internal =
        |e: &dyn std::fmt::Display| AdminError::from(AppError::Internal(format!("CSV: {e}")));
    let mut writer = csv_writer();
    writer.write_record(CSV_HEADERS).map_err(|e| internal(&e))?;
    for record in &records {
        writer
            .write_record(csv_row(app, record))
            .map_err(|e| internal(&e))?;
    }
    let bytes = writer.into_inner().map_err(|e| internal(&e))?;

    let now = app.now();
    let key = export_key(app, &filter, now);
    app.documents
        .put(&key, "text/csv; charset=utf-8", bytes.into())
        .await
        .map_err(AppError::from)?;
    let location = app
        .documents
        .presign_get(&key, now, EXPORT_LINK_LIFETIME)
        .await
        .map_err(AppError::from)?;
    let expires_at = now
        + chrono::Duration::from_std(EXPORT_LINK_LIFETIME)
            .unwrap_or_else(|_| chrono::Duration::hours(1));
    journal_export(app, &actor, &filter, &key, records.len(), now).await?;
    tracing::info!(actor = %actor, key = %key, rows = records.len(), "inscriptions exported");
    Ok(json!({
        "location": location,
        "key": key,
        "rows": records.len(),
        "expires_at": instant(expires_at),
    }))
}

/// Journals an export: one item under `EXPORTS#<session>` (see
/// [`keys::export_journal`]) with its actor, its filters, the file and its
/// row count. An export reads many dossiers at once: it is journaled there,
/// once, rather than in each candidate's history.
async fn journal_export(
    app: &App,
    actor: &Actor,
    filter: &Filter,
    key: &str,
    rows: usize,
    now: DateTime<Utc>,
) -> AdminResult<()> {
    let id: String = uuid::Uuid::new_v4().simple().to_string();
    let journal_key = keys::export_journal(&app.calendar.session, now, &id);
    let item = Item::from_value(
        journal_key,
        &json!({
            "record_type": "export_journal",
            "at": instant(now),
            "actor": actor.recorded(),
            "filters": filter.as_json(),
            "key": key,
            "rows": rows,
        }),
    )?;
    app.store
        .transact(vec![WriteOp::put(item, Condition::NotExists)])
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_like_cells_are_defused() {
        assert_eq!(cell("=SOMME(A1)"), "'=SOMME(A1)");
        assert_eq!(cell("+33612345678"), "'+33612345678");
        assert_eq!(cell("@SUM(1)"), "'@SUM(1)");
        assert_eq!(cell("\t=1"), "'\t=1");
        assert_eq!(cell("\r=1"), "'\r=1");
        assert_eq!(cell("Zoé"), "Zoé");
        assert_eq!(cell(""), "");
    }

    #[test]
    fn formulas_after_either_separator_are_defused() {
        // A tool splitting on `,` or on `;` despite the quotes.
        assert_eq!(
            cell("Dupont,=HYPERLINK(\"http://x\")"),
            "Dupont,'=HYPERLINK(\"http://x\")"
        );
        assert_eq!(cell("Bât. A; -1+1"), "Bât. A; '-1+1");
        assert_eq!(cell("a, ,@x"), "a, ,'@x");
        assert_eq!(cell("x;\t=1"), "x;'\t=1");
        // Within a part, nothing changes: hyphenated names, decimals.
        assert_eq!(cell("Saint-Denis"), "Saint-Denis");
        assert_eq!(cell("E2 bénéfice 12,5 (2020)"), "E2 bénéfice 12,5 (2020)");
        assert_eq!(cell("12, rue de la Paix"), "12, rue de la Paix");
        // No piece of a defused cell, split either way, starts a formula.
        for text in ["=1;=2,+3", " -4 , @5", "a;b,c=d", ";=x", ",,-"] {
            let defused = cell(text);
            for piece in defused.split([';', ',']) {
                assert!(
                    !piece.trim_start_matches(' ').starts_with(FORMULA_STARTS),
                    "{text:?} gave {defused:?}"
                );
            }
        }
    }

    #[test]
    fn every_cell_is_quoted() {
        let mut writer = csv_writer();
        writer
            .write_record([cell("a,=1"), cell(""), cell("7")])
            .unwrap();
        let bytes = writer.into_inner().unwrap();
        assert_eq!(bytes, "\u{feff}\"a,'=1\";\"\";\"7\"\r\n".as_bytes());
    }

    #[test]
    fn acquis_read_compactly() {
        use crate::domain::inscription::{Acquis, AcquisKind};
        assert_eq!(acquis_cell(&[]), "");
        let acquis = [
            Acquis {
                unit: "E11".into(),
                kind: AcquisKind::Dispense,
                grade: None,
                year: 2019,
            },
            Acquis {
                unit: "E2".into(),
                kind: AcquisKind::Benefit,
                grade: Some(12.5),
                year: 2020,
            },
        ];
        assert_eq!(
            acquis_cell(&acquis),
            "E11 dispense (2019) ; E2 bénéfice 12,5 (2020)"
        );
        assert_eq!(CSV_HEADERS.len(), 29);
    }

    #[test]
    fn options_and_birth_origin_read_as_codes() {
        let options = [
            OptionChoice {
                unit: "EF1".into(),
                language: Some("es".into()),
            },
            OptionChoice {
                unit: "EF2".into(),
                language: None,
            },
        ];
        assert_eq!(options_cell(&options), "EF1 ; EF2");
        assert_eq!(option_languages_cell(&options), "EF1:es");
        assert_eq!(options_cell(&[]), "");
        assert_eq!(option_languages_cell(&options[1..]), "");

        let mut identity = crate::domain::transitions::fixtures::data("Zoé").identity;
        assert_eq!(birth_country_cell(&identity), "");
        identity.birth_department = Some("13".into());
        assert_eq!(birth_country_cell(&identity), "FR");
        identity.birth_department = None;
        identity.birth_country = Some("MA".into());
        assert_eq!(birth_country_cell(&identity), "MA");
    }
}
