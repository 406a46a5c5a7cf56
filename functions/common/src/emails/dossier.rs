//! The emails a change of a dossier owes (`domain::transitions::OwedEmail`),
//! rendered from the record after the change and the reference data.

use crate::app::App;
use crate::domain::catalogue::Catalogue;
use crate::domain::inscription::change_summary_fr;
use crate::domain::pieces::label_for;
use crate::domain::record::InscriptionRecord;
use crate::domain::transitions::{missing_pieces_fr, OwedEmail};
use crate::domain::Diploma;
use crate::ports::OutgoingEmail;
use crate::wording::{escape_html, to_paris_string};

use super::{
    cancellation, corrected, deadline_extended, dossier_complete, dossier_reinstated,
    dossier_validated, modification, piece_rejected, reminder, reopened, withdrawn, DOCUMENTS_PAGE,
    HOME_PAGE,
};

/// The email `owed` by the change that wrote `record`, with the
/// candidate's number.
pub fn render(app: &App, record: &InscriptionRecord, owed: &OwedEmail) -> OutgoingEmail {
    let email = render_body(app, record, owed);
    match &record.candidate_number {
        Some(number) => with_candidate_number(email, number),
        None => email,
    }
}

/// `email` with the candidate number said before the signature, so that
/// every dossier email gives it.
fn with_candidate_number(mut email: OutgoingEmail, number: &str) -> OutgoingEmail {
    let line = format!(
        "Votre numéro de candidat : {number} (rappelez-le dans vos échanges avec le rectorat)."
    );
    let at = email
        .text
        .rfind("\n\nCordialement,")
        .unwrap_or(email.text.len());
    email.text.insert_str(at, &format!("\n\n{line}"));
    if let Some(html) = &mut email.html {
        let paragraph = format!("<p>{}</p>", escape_html(&line));
        let at = html
            .rfind("<p>Cordialement,")
            .unwrap_or_else(|| html.rfind("</body>").unwrap_or(html.len()));
        html.insert_str(at, &paragraph);
    }
    email
}

fn render_body(app: &App, record: &InscriptionRecord, owed: &OwedEmail) -> OutgoingEmail {
    let to = record.email.as_str();
    let title = inscription_title(&app.catalogue, record);
    let home = app.link(HOME_PAGE);
    let documents = app.link(DOCUMENTS_PAGE);
    match owed {
        OwedEmail::Modification { previous } => {
            let windows = app.calendar.windows(record.data.diploma);
            let summary = change_summary_fr(previous.as_deref(), &record.data, &app.catalogue);
            modification::message(
                &modification::Modification {
                    session: &record.session,
                    version: record.version,
                    modified: previous.is_some(),
                    summary: &summary,
                    registration_closes_fr: &to_paris_string(windows.registration.closes),
                    documents_range_fr: &windows.documents.french_range(),
                    accommodation_request_url: record.data.accommodation_request_url(),
                    home_link: &app.link("/"),
                },
                to,
            )
        }
        OwedEmail::Reminder { days, deadline, .. } => reminder::message(
            &reminder::ReminderText {
                title: &title,
                days: *days,
                deadline_fr: &to_paris_string(*deadline),
                missing: &missing_pieces_fr(record),
                documents_link: &documents,
                postal_address: &app.calendar.postal_address.envelope(),
            },
            to,
        ),
        OwedEmail::Cancellation { deadline } => cancellation::message(
            &title,
            &to_paris_string(*deadline),
            &missing_pieces_fr(record),
            &home,
            to,
        ),
        OwedEmail::DossierComplete => {
            let data = &record.data;
            let specialty = app
                .catalogue
                .specialty(data.diploma, &data.specialty)
                .map_or_else(|| data.specialty.clone(), |s| s.label.clone());
            dossier_complete::message(
                &diploma_label(&app.catalogue, data.diploma),
                &specialty,
                &record.session,
                &app.link("/"),
                to,
            )
        }
        OwedEmail::DossierValidated => dossier_validated::message(&title, &home, to),
        OwedEmail::DossierReinstated => dossier_reinstated::message(&title, &home, to),
        OwedEmail::PieceRejected {
            kind,
            reason,
            deadline,
            after,
        } => piece_rejected::message(
            &piece_rejected::Rejection {
                title: &title,
                label: &label_for(*kind, &record.data),
                reason,
                deadline_fr: &to_paris_string(*deadline),
                after: *after,
                home_link: &home,
                documents_link: &documents,
            },
            to,
        ),
        OwedEmail::DeadlineExtended { until, reinstated } => deadline_extended::message(
            &deadline_extended::Extension {
                title: &title,
                until_fr: &to_paris_string(*until),
                reinstated: *reinstated,
                missing: &missing_pieces_fr(record),
                documents_link: &documents,
            },
            to,
        ),
        OwedEmail::Withdrawn { reason, .. } => withdrawn::message(
            &withdrawn::Withdrawal {
                title: &title,
                office_reason: reason.as_deref(),
                home_link: &home,
            },
            to,
        ),
        OwedEmail::Reopened { .. } => reopened::message(
            &reopened::Reopening {
                title: &title,
                deadline_fr: &to_paris_string(record.documents_deadline(&app.calendar)),
                missing: &missing_pieces_fr(record),
                // The reopening is the change that wrote the record.
                deadline_passed: record.documents_deadline(&app.calendar) < record.updated_at,
                documents_link: &documents,
            },
            to,
        ),
        OwedEmail::Corrected { previous, reason } => corrected::message(
            &corrected::Correction {
                title: &title,
                version: record.version,
                reason,
                summary: &change_summary_fr(Some(previous), &record.data, &app.catalogue),
                documents_link: &documents,
            },
            to,
        ),
    }
}

/// « Diplôme — spécialité, session 2022 », as the candidate reads it.
pub fn inscription_title(catalogue: &Catalogue, record: &InscriptionRecord) -> String {
    let specialty = catalogue
        .specialty(record.data.diploma, &record.data.specialty)
        .map_or(record.data.specialty.as_str(), |s| s.label.as_str());
    format!(
        "{} — {}, session {}",
        record.data.diploma.label(),
        specialty,
        record.session
    )
}

/// The diploma as the catalogue names it.
pub fn diploma_label(catalogue: &Catalogue, diploma: Diploma) -> String {
    catalogue
        .diploma(diploma)
        .map_or_else(|| diploma.label().to_owned(), |d| d.label.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_candidate_number_goes_before_the_signature() {
        let email = crate::emails::Message::new("Objet")
            .para("Bonjour,")
            .to("zoe@exemple.fr");
        let email = with_candidate_number(email, "K7M2-9QXP");
        let line = "Votre numéro de candidat : K7M2-9QXP (rappelez-le dans vos échanges avec le rectorat).";
        let text_at = email.text.find(line).unwrap();
        assert!(text_at < email.text.find("Cordialement,").unwrap());
        let html = email.html.unwrap();
        assert!(html.find("K7M2-9QXP").unwrap() < html.find("Cordialement,").unwrap());
    }
}
