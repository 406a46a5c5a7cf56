//! The confirmation PDF, read back with lopdf (no external tool needed).
//!
//! Set `EXAMREG_PDF_SAMPLE=/tmp/confirmation-sample.pdf` to also write the
//! sample document there, to look at it (`pdftoppm -png -r 60 FILE out`).

use std::time::Instant;

use examreg_common::pdf::{render_confirmation, ConfirmationDocument, UnitLine};

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect()
}

fn unit(code: &str, label: &str, kind: &str, acquis: &str) -> UnitLine {
    UnitLine {
        code: code.to_owned(),
        label: label.to_owned(),
        kind: kind.to_owned(),
        acquis: acquis.to_owned(),
    }
}

fn sample() -> ConfirmationDocument {
    ConfirmationDocument {
        academie: "Aix-Marseille".to_owned(),
        session: "2022".to_owned(),
        candidate_number: "K7M2-9QXP".into(),
        diploma_label: "Certificat d'aptitude professionnelle (CAP)".to_owned(),
        specialty_label: "Cuisine".to_owned(),
        specialty_code: "50022135".to_owned(),
        email: "zoe.ndiaye-lefevre@exemple.fr".to_owned(),
        identity: pairs(&[
            ("Nom", "N'Diaye-Lefèvre"),
            ("Prénoms", "Zoé Anaïs"),
            ("Date de naissance", "3 février 2000"),
            ("Lieu de naissance", "Ærø (Danemark)"),
            ("Nationalité", "française"),
            ("Adresse", "12, rue de l’Œuvre d’Artagnan"),
            (
                "Complément d'adresse",
                "Bâtiment « Les Cèdres », escalier B",
            ),
            ("Code postal et commune", "13100 Aix-en-Provence"),
            ("Pays", "France"),
            ("Téléphone", "06\u{a0}12\u{a0}34\u{a0}56\u{a0}78"),
            ("Nom d'usage", "Œdipe"),
            ("Mention", "Ça ira"),
        ]),
        units: vec![
            unit(
                "EP1",
                "Organisation de la production de cuisine",
                "professionnelle",
                "À présenter",
            ),
            unit(
                "EP2",
                "Réalisation de la production de cuisine",
                "professionnelle",
                "À présenter",
            ),
            unit(
                "EG1",
                "Français et histoire-géographie-enseignement moral et civique",
                "générale",
                "Bénéfice de note\u{a0}: 14,5/20 (2019)",
            ),
            unit(
                "EG2",
                "Mathématiques et physique-chimie",
                "générale",
                "Dispense",
            ),
            unit(
                "EG3",
                "Éducation physique et sportive",
                "générale",
                "À présenter",
            ),
            unit("EG4", "Langue vivante étrangère", "générale", "À présenter"),
            unit(
                "EF",
                "Arts appliqués et cultures artistiques",
                "facultative",
                "À présenter",
            ),
        ],
        disability: "Vous avez déclaré être en situation de handicap et bénéficier déjà d'un \
                     aménagement d'épreuves : joignez la notification d'aménagement."
            .to_owned(),
        version: 3,
        generated_at: "mardi 26 octobre 2021 à 10 h 14".to_owned(),
        pieces: vec![
            "Confirmation d'inscription datée et signée".to_owned(),
            "Pièce d'identité en cours de validité".to_owned(),
            "Certificat individuel de participation à la journée défense et citoyenneté (JDC)"
                .to_owned(),
            "Notification d'aménagement d'épreuves".to_owned(),
            "Relevé de notes ou diplôme justifiant les acquis".to_owned(),
        ],
        not_to_sign: None,
        documents_window: "du lundi 25 octobre 2021 au dimanche 7 novembre 2021".to_owned(),
        postal_address: [
            "RECTORAT D'AIX-MARSEILLE",
            "DIEC 3.05",
            "Place Lucien Paye",
            "13621 Aix-en-Provence cedex 1",
            "(merci de préciser l'intitulé du diplôme)",
        ]
        .map(str::to_owned)
        .to_vec(),
    }
}

/// A document far longer than one page: long names, many units and pieces.
fn overflowing() -> ConfirmationDocument {
    let mut doc = sample();
    doc.identity.push((
        "Prénoms".to_owned(),
        "Marie-Clémentine Éléonore Françoise Anaïs Zoé Héloïse Bérénice Geneviève \
         Pénélope Noémie Ophélie Joséphine Capucine Léonie Maëlys Chloé Inès Rosalie"
            .to_owned(),
    ));
    doc.identity.push((
        "Adresse".to_owned(),
        "Résidence-des-Très-Longs-Noms-Composés-Sans-Aucune-Espace-Jusqu’à-La-Fin-De-La-Ligne-\
         Et-Même-Au-Delà-Œuvre-Ærø"
            .to_owned(),
    ));
    doc.email =
        "adresse.electronique.vraiment.tres.longue.pour.tester@exemple-de-domaine.fr".to_owned();
    doc.units = (1..=60)
        .map(|i| {
            unit(
                &format!("U{i:02}"),
                &format!(
                    "Unité n° {i} : épreuve pratique et écrite d’une longueur suffisante pour \
                     occuper plusieurs lignes dans la colonne prévue à cet effet"
                ),
                if i % 2 == 0 {
                    "professionnelle"
                } else {
                    "générale"
                },
                if i % 3 == 0 {
                    "Bénéfice de note : 12,5/20 (2020)"
                } else {
                    "À présenter"
                },
            )
        })
        .collect();
    doc.pieces = (1..=30)
        .map(|i| format!("Pièce justificative n° {i} : « attestation » d’Œuvre"))
        .collect();
    doc
}

/// The text of each page.
fn pages_text(bytes: &[u8]) -> Vec<String> {
    let pdf = lopdf::Document::load_mem(bytes).expect("lopdf reads the PDF");
    pdf.get_pages()
        .keys()
        .map(|page| pdf.extract_text(&[*page]).expect("text of a page"))
        .collect()
}

/// Whitespace-insensitive form, to find values that wrapped over lines.
fn squash(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Whitespace runs (including non-breaking spaces) collapsed to one space.
fn collapse(text: &str) -> String {
    text.split(char::is_whitespace)
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn every_value(doc: &ConfirmationDocument) -> Vec<String> {
    let mut values = vec![
        doc.diploma_label.clone(),
        doc.specialty_label.clone(),
        doc.specialty_code.clone(),
        doc.email.clone(),
        doc.disability.clone(),
        doc.generated_at.clone(),
        doc.documents_window.clone(),
    ];
    for (label, value) in &doc.identity {
        values.push(label.clone());
        values.push(value.clone());
    }
    for unit in &doc.units {
        values.extend([
            unit.code.clone(),
            unit.label.clone(),
            unit.kind.clone(),
            unit.acquis.clone(),
        ]);
    }
    values.extend(doc.pieces.iter().cloned());
    values.extend(doc.postal_address.iter().cloned());
    values
}

#[test]
fn renders_a_pdf_with_every_field_and_accent() {
    let doc = sample();
    let started = Instant::now();
    let bytes = render_confirmation(&doc).expect("render");
    eprintln!(
        "sample confirmation: {} bytes in {:?}",
        bytes.len(),
        started.elapsed()
    );
    if let Ok(path) = std::env::var("EXAMREG_PDF_SAMPLE") {
        std::fs::write(&path, &bytes).expect("write the sample");
    }
    assert!(bytes.starts_with(b"%PDF-"), "not a PDF");

    let pages = pages_text(&bytes);
    assert!(
        pages.len() <= 2,
        "the sample takes two pages at most: {pages:#?}"
    );
    let text = pages.concat();
    let flat = collapse(&text);
    let squashed = squash(&text);

    for expected in [
        "Confirmation d'inscription — Session 2022",
        "Académie d'Aix-Marseille — Division des examens et concours",
        "Date et signature du candidat",
        "Avant de l'envoyer, corrigez au stylo rouge uniquement une erreur relevée sur ce document imprimé.",
        "imprimez, datez et signez la nouvelle confirmation, puis envoyez-la.",
        "Aucune modification ne pourra être prise en compte après la fin des inscriptions",
        "Vérifiez les informations ci-dessus, puis datez et signez",
        "À transmettre du lundi 25 octobre 2021 au dimanche 7 novembre 2021",
        "en les déposant en ligne dans votre espace candidat, rubrique « Mes documents »",
        "ou en les envoyant par courrier postal, le cachet de la poste faisant foi, à l'adresse suivante",
        "Certificat d'aptitude professionnelle (CAP)",
        "N'Diaye-Lefèvre",
        "Zoé Anaïs",
        "Œdipe",
        "Ærø",
        "Ça ira",
        "d’Artagnan",
        "« Les Cèdres »",
        "Version 3",
        "Page 1 sur",
        "mardi 26 octobre 2021 à 10 h 14",
    ] {
        assert!(
            flat.contains(&collapse(expected)),
            "missing {expected:?} in:\n{text}"
        );
    }
    for value in every_value(&doc) {
        assert!(
            squashed.contains(&squash(&value)),
            "missing {value:?} in:\n{text}"
        );
    }
    // Non-breaking spaces survive as such.
    assert!(text.contains("06\u{a0}12\u{a0}34"), "NBSP lost in:\n{text}");
}

#[test]
fn rendering_is_deterministic() {
    let doc = sample();
    let first = render_confirmation(&doc).expect("render");
    let second = render_confirmation(&doc).expect("render");
    assert_eq!(pages_text(&first), pages_text(&second));
    assert!(first == second, "the same input gave different bytes");

    let mut other = sample();
    other.version = 4;
    let third = render_confirmation(&other).expect("render");
    assert_ne!(first, third);
    assert!(collapse(&pages_text(&third).concat()).contains("Version 4"));
}

#[test]
fn an_overflowing_document_spans_pages_and_loses_nothing() {
    let doc = overflowing();
    let started = Instant::now();
    let bytes = render_confirmation(&doc).expect("render");
    eprintln!(
        "overflowing confirmation: {} bytes in {:?}",
        bytes.len(),
        started.elapsed()
    );
    if let Ok(path) = std::env::var("EXAMREG_PDF_SAMPLE") {
        std::fs::write(path.replace(".pdf", "-long.pdf"), &bytes).expect("write");
    }
    let pages = pages_text(&bytes);
    assert!(pages.len() >= 3, "only {} page(s)", pages.len());
    let total = pages.len();
    for (i, page) in pages.iter().enumerate() {
        let flat = collapse(page);
        assert!(
            flat.contains(&format!("Page {} sur {total}", i + 1)),
            "page {} has no page number: {flat}",
            i + 1
        );
        assert!(flat.contains("Version 3"), "page {} lost its footer", i + 1);
    }
    let text = pages.concat();
    let squashed = squash(&text);
    for value in every_value(&doc) {
        assert!(
            squashed.contains(&squash(&value)),
            "missing {value:?} in:\n{text}"
        );
    }
    // The units keep their order across the pages.
    let positions: Vec<usize> = doc
        .units
        .iter()
        .map(|u| squashed.find(&squash(&u.label)).expect("unit label"))
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]));
    // The signature box comes last, whole.
    let last = collapse(&pages[total - 1]);
    assert!(last.contains("Date et signature du candidat"));
}

#[test]
fn fonts_are_embedded_subsets() {
    let bytes = render_confirmation(&sample()).expect("render");
    let pdf = lopdf::Document::load_mem(&bytes).expect("lopdf reads the PDF");
    let mut embedded = 0;
    for object in pdf.objects.values() {
        let Ok(dict) = object.as_dict() else { continue };
        if dict.get(b"Type").and_then(|t| t.as_name()).ok() != Some(b"FontDescriptor".as_slice()) {
            continue;
        }
        let name = dict
            .get(b"FontName")
            .and_then(|n| n.as_name())
            .map(|n| String::from_utf8_lossy(n).into_owned())
            .expect("font name");
        assert!(
            name.len() > 7 && name.as_bytes()[6] == b'+',
            "{name} is not tagged as a subset"
        );
        assert!(
            dict.has(b"FontFile2") || dict.has(b"FontFile3"),
            "{name} is not embedded"
        );
        embedded += 1;
    }
    assert_eq!(embedded, 2, "regular and bold");
    assert!(
        bytes.len() < 150_000,
        "{} bytes: are the fonts subset?",
        bytes.len()
    );
}

#[test]
fn empty_and_hostile_values_still_render() {
    let mut doc = ConfirmationDocument {
        identity: pairs(&[
            ("Nom", ""),
            ("Prénoms", "\u{4e2d}\u{6587} e\u{301}\u{200b}\ttab\nnewline"),
        ]),
        units: vec![UnitLine::default()],
        ..ConfirmationDocument::default()
    };
    // One value longer than a page: it flows over the next pages.
    let huge: String = (0..700).map(|i| format!("mot{i} ")).collect();
    doc.units
        .push(unit("HUGE", &huge, "générale", "À présenter"));
    let bytes = render_confirmation(&doc).expect("render");
    let pages = pages_text(&bytes);
    assert!(pages.len() >= 3, "{} page(s)", pages.len());
    let text = pages.concat();
    // Every word, in order, though the footers and headers come in between.
    let words: Vec<&str> = text
        .split(char::is_whitespace)
        .filter(|w| w.starts_with("mot"))
        .collect();
    let expected: Vec<String> = (0..700).map(|i| format!("mot{i}")).collect();
    assert_eq!(words, expected, "the long value lost words");
    // The table header is repeated on the pages the value spans.
    assert!(
        collapse(&pages[1]).starts_with("Code Unité Nature Situation"),
        "{}",
        pages[1]
    );
    // Unknown glyphs print as U+FFFD; decomposed accents are composed.
    assert!(text.contains('\u{fffd}'), "{text}");
    assert!(collapse(&text).contains("é tab newline"), "{text}");
    assert!(collapse(&text).contains("Date et signature du candidat"));
}

/// A cancelled (or withdrawn) inscription's confirmation is for the
/// candidate's records: it never asks to date, sign or send it (issue #19).
#[test]
fn an_ended_inscription_s_confirmation_asks_for_no_signature() {
    let live = squash(&pages_text(&render_confirmation(&sample()).expect("render")).join(" "));
    assert!(
        live.contains(&squash("datez et signez la présente")),
        "{live}"
    );

    let notice = "Cette inscription a été annulée : ce document vous est remis pour mémoire. Ne le datez pas, ne le signez pas et ne l'envoyez pas.";
    let doc = ConfirmationDocument {
        not_to_sign: Some(notice.to_owned()),
        ..sample()
    };
    let text = squash(&pages_text(&render_confirmation(&doc).expect("render")).join(" "));
    assert!(text.contains(&squash(notice)), "{text}");
    for asking in [
        "datez et signez",
        "datée et signée",
        "À transmettre",
        "stylo rouge",
    ] {
        assert!(!text.contains(&squash(asking)), "« {asking} » in {text}");
    }
}
