//! The document: what the confirmation says, block after block.

use super::layout::{Kind, Layout};
use super::style::{
    Style, Weight, ACCENT, BODY, BODY_STYLE, CONTENT_W, INK, MARGIN_X, MM, MUTED, STRONG_STYLE,
    TITLE,
};
use super::{confirmation_title, ConfirmationDocument};
use crate::wording::de;

// ---------------------------------------------------------------------------
// The document

pub(super) fn compose(layout: &mut Layout<'_>, doc: &ConfirmationDocument) {
    let authority = format!(
        "Académie {} — Division des examens et concours",
        de(&doc.academie)
    );
    layout.paragraph(
        MARGIN_X,
        CONTENT_W,
        Style::new(Weight::Bold, BODY + 0.5, ACCENT),
        &authority,
    );
    layout.y -= 6.0;
    let title = confirmation_title(&doc.session);
    let heading = layout.printable(Weight::Bold, &title);
    layout.block(
        Kind::Heading(1, heading),
        MARGIN_X,
        CONTENT_W,
        Style::new(Weight::Bold, TITLE, INK),
        &title,
    );
    layout.y -= 2.0;
    layout.paragraph(
        MARGIN_X,
        CONTENT_W,
        Style::new(Weight::Regular, BODY, MUTED),
        "Document à vérifier, à dater et à signer, puis à transmettre avec les pièces \
         justificatives\u{a0}: à déposer dans votre espace candidat (« Mes documents ») \
         ou à envoyer par courrier postal (adresse ci-dessous).",
    );
    layout.y -= 2.0;

    let version = doc.version.to_string();
    let number = if doc.candidate_number.is_empty() {
        "attribué à la prochaine modification"
    } else {
        doc.candidate_number.as_str()
    };
    layout.heading("Examen");
    layout.fields(&[
        ("Numéro de candidat", number),
        ("Diplôme", &doc.diploma_label),
        ("Spécialité", &doc.specialty_label),
        ("Code de la spécialité", &doc.specialty_code),
        ("Version de l'inscription", &version),
        ("Document édité le", &doc.generated_at),
    ]);

    layout.heading("Identité du candidat");
    let mut identity: Vec<(&str, &str)> = doc
        .identity
        .iter()
        .map(|(label, value)| (label.as_str(), value.as_str()))
        .collect();
    identity.push(("Adresse électronique", &doc.email));
    layout.fields(&identity);

    layout.heading("Unités de l'examen");
    if doc.units.is_empty() {
        layout.paragraph(MARGIN_X, CONTENT_W, BODY_STYLE, "Aucune unité.");
    } else {
        let pad = 2.0 * MM;
        let widths = [19.0 * MM, 76.0 * MM, 33.0 * MM];
        let x0 = MARGIN_X + pad;
        let x1 = MARGIN_X + widths[0];
        let x2 = x1 + widths[1];
        let x3 = x2 + widths[2];
        let columns = [
            (x0, widths[0] - pad - 2.0 * MM),
            (x1, widths[1] - 3.0 * MM),
            (x2, widths[2] - 3.0 * MM),
            (x3, MARGIN_X + CONTENT_W - x3 - pad),
        ];
        let rows: Vec<Vec<(Style, &str)>> = doc
            .units
            .iter()
            .map(|unit| {
                vec![
                    (STRONG_STYLE, unit.code.as_str()),
                    (BODY_STYLE, unit.label.as_str()),
                    (BODY_STYLE, unit.kind.as_str()),
                    (STRONG_STYLE, unit.acquis.as_str()),
                ]
            })
            .collect();
        layout.table(&columns, &["Code", "Unité", "Nature", "Situation"], &rows);
    }

    layout.heading("Situation de handicap");
    layout.paragraph(MARGIN_X, CONTENT_W, BODY_STYLE, &doc.disability);

    if let Some(notice) = &doc.not_to_sign {
        // Nothing here may ask the candidate to date, sign or send it.
        layout.heading("Pour mémoire");
        layout.paragraph(MARGIN_X, CONTENT_W, STRONG_STYLE, notice);
        return;
    }

    layout.heading("Pièces justificatives");
    layout.paragraph(
        MARGIN_X,
        CONTENT_W,
        BODY_STYLE,
        &format!(
            "À transmettre {}, avec la présente confirmation datée et signée\u{a0}:",
            doc.documents_window.trim()
        ),
    );
    layout.y -= 3.0;
    let pieces: Vec<&str> = doc.pieces.iter().map(String::as_str).collect();
    if pieces.is_empty() {
        layout.paragraph(MARGIN_X, CONTENT_W, BODY_STYLE, "Aucune autre pièce.");
    } else {
        layout.bullets(&pieces, STRONG_STYLE);
    }
    both_ways(layout, doc);

    layout.heading("Rappels");
    // One rule, as the notice (§2) and the portal say it: red pen for the
    // printed copy before it is sent; a change made online after signing
    // calls for the new version, signed and sent again.
    let version_note = format!(
        "Cette confirmation correspond à la version {} de votre inscription\u{a0}: si vous \
         modifiez ensuite votre inscription en ligne, elle n'est plus valable\u{a0}; \
         imprimez, datez et signez la nouvelle confirmation, puis envoyez-la.",
        doc.version
    );
    layout.bullets(
        &[
            "Vérifiez les informations ci-dessus, puis datez et signez la présente \
             confirmation d'inscription.",
            "Avant de l'envoyer, corrigez au stylo rouge uniquement une erreur relevée sur \
             ce document imprimé.",
            "Aucune modification ne pourra être prise en compte après la fin des inscriptions.",
            &version_note,
            "Si la confirmation d'inscription datée et signée et les pièces justificatives \
             n'ont été ni déposées en ligne ni postées (le cachet de la poste faisant foi) dans \
             le délai indiqué ci-dessus, la candidature est annulée.",
        ],
        BODY_STYLE,
    );

    layout.signature_box();
}

/// The two ways the pieces may reach the office (notice, §3): uploaded in
/// the candidate's space, or posted to the académie's address.
fn both_ways(layout: &mut Layout<'_>, doc: &ConfirmationDocument) {
    layout.y -= 2.0;
    layout.paragraph(
        MARGIN_X,
        CONTENT_W,
        BODY_STYLE,
        "De l'une de ces deux façons\u{a0}:",
    );
    layout.y -= 3.0;
    let post = if doc.postal_address.is_empty() {
        "ou en les envoyant par courrier postal au rectorat, le cachet de la poste faisant foi."
    } else {
        "ou en les envoyant par courrier postal, le cachet de la poste faisant foi, \
         à l'adresse suivante\u{a0}:"
    };
    layout.bullets(
        &[
            "en les déposant en ligne dans votre espace candidat, rubrique « Mes documents »\u{a0};",
            post,
        ],
        BODY_STYLE,
    );
    let indent = 10.0 * MM;
    for line in &doc.postal_address {
        layout.paragraph(MARGIN_X + indent, CONTENT_W - indent, STRONG_STYLE, line);
    }
}
