//! « Rappel : votre dossier d'inscription est incomplet », 7 and 2 days
//! before the documents deadline.

use crate::ports::OutgoingEmail;

use super::Message;

/// What a reminder says: `days` whole days left (the time actually left,
/// whichever reminder it is), before `deadline_fr` (Paris time, in French).
pub struct ReminderText<'a> {
    pub title: &'a str,
    pub days: i64,
    pub deadline_fr: &'a str,
    /// The pieces still owed, one line each (may be empty).
    pub missing: &'a str,
    pub documents_link: &'a str,
    /// Where the pieces may be posted instead: the envelope's lines.
    pub postal_address: &'a [String],
}

pub fn message(r: &ReminderText, to: &str) -> OutgoingEmail {
    let mut message = Message::new(format!(
        "Rappel : votre dossier d'inscription est incomplet ({})",
        only_days_fr(r.days)
    ))
    .para(format!(
        "Votre inscription ({}) n'est pas encore complète.",
        r.title
    ))
    .para(format!(
        "Il vous reste {} : déposez votre confirmation d'inscription datée et signée et vos pièces justificatives avant le {} (heure de Paris).",
        crate::domain::transitions::reminder::days_fr(r.days),
        r.deadline_fr
    ));
    if !r.missing.is_empty() {
        message = message.para(format!("Pièces encore attendues :\n{}", r.missing));
    }
    message = message.para(both_ways_fr(r.postal_address));
    message
        .para(
            "Passé cette date, votre candidature sera annulée si votre dossier n'est pas complet.",
        )
        .link(
            "Déposer mes pièces dans mon espace candidat",
            r.documents_link,
        )
        .to(to)
}

/// The two ways the pieces may reach the office (notice, §3).
fn both_ways_fr(postal_address: &[String]) -> String {
    format!(
        "Vous pouvez les transmettre de deux façons :\n- en les déposant dans votre espace candidat, rubrique « Mes documents » ;\n- ou en les envoyant par courrier postal avant cette date (le cachet de la poste faisant foi), à l'adresse suivante :\n{}",
        postal_address.join("\n")
    )
}

/// « plus qu'un jour », « plus que 5 jours ».
fn only_days_fr(days: i64) -> String {
    if days <= 1 {
        "plus qu'un jour".to_owned()
    } else {
        format!("plus que {days} jours")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_says_the_days_left_and_the_pieces_owed() {
        let address = [
            "RECTORAT".to_owned(),
            "13621 Aix-en-Provence cedex 1".to_owned(),
        ];
        let text = |days, missing| ReminderText {
            title: "CAP — Cuisine, session 2022",
            days,
            deadline_fr: "mercredi 22 décembre 2021 à 23 h 59",
            missing,
            documents_link: "https://x/mes-documents",
            postal_address: &address,
        };
        let mail = message(&text(1, "- Pièce : manquante"), "z@x.fr");
        assert_eq!(
            mail.subject,
            "Rappel : votre dossier d'inscription est incomplet (plus qu'un jour)"
        );
        assert!(mail.text.contains("Il vous reste 1 jour : déposez"));
        assert!(mail
            .text
            .contains("Pièces encore attendues :\n- Pièce : manquante"));
        assert!(mail.text.contains("rubrique « Mes documents » ;\n- ou en les envoyant par courrier postal avant cette date (le cachet de la poste faisant foi), à l'adresse suivante :\nRECTORAT\n13621 Aix-en-Provence cedex 1"), "{}", mail.text);
        let mail = message(&text(5, ""), "z@x.fr");
        assert!(mail.subject.ends_with("(plus que 5 jours)"));
        assert!(!mail.text.contains("Pièces encore attendues"));
        assert_eq!(only_days_fr(5), "plus que 5 jours");
    }
}
