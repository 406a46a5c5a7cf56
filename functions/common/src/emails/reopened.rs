//! « Votre inscription est rouverte »: the office reopened a withdrawn or
//! cancelled inscription.

use crate::ports::OutgoingEmail;

use super::Message;

pub struct Reopening<'a> {
    pub title: &'a str,
    /// The documents deadline in force, Paris time.
    pub deadline_fr: &'a str,
    /// The pieces still owed, one line each (empty when none).
    pub missing: &'a str,
    /// Whether that deadline was past when the dossier was reopened.
    pub deadline_passed: bool,
    pub documents_link: &'a str,
}

pub fn message(r: &Reopening, to: &str) -> OutgoingEmail {
    let mut message = Message::new("Votre inscription est rouverte").para(format!(
        "Les services du rectorat ont rouvert votre inscription ({}).",
        r.title
    ));
    message = if r.missing.is_empty() {
        message.para("Toutes vos pièces sont reçues : vous n'avez rien d'autre à déposer.")
    } else if r.deadline_passed {
        message
            .para(format!(
                "La date limite de dépôt des pièces ({}, heure de Paris) est passée et des pièces manquent encore : contactez sans tarder la division des examens et concours du rectorat.",
                r.deadline_fr
            ))
            .para(format!("Pièces encore attendues :\n{}", r.missing))
    } else {
        message
            .para(format!(
                "Vous avez jusqu'au {} (heure de Paris) pour déposer les pièces encore attendues ; passé ce délai, votre candidature sera annulée si votre dossier n'est pas complet.",
                r.deadline_fr
            ))
            .para(format!("Pièces encore attendues :\n{}", r.missing))
    };
    message.link("Mes documents", r.documents_link).to(to)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_gives_the_deadline_when_pieces_are_owed() {
        let mail = |missing, deadline_passed| {
            message(
                &Reopening {
                    title: "T",
                    deadline_fr: "D",
                    missing,
                    deadline_passed,
                    documents_link: "https://x/mes-documents",
                },
                "z@x.fr",
            )
        };
        let owed = mail("- P : manquante", false);
        assert!(owed.text.contains("Vous avez jusqu'au D (heure de Paris)"));
        assert!(owed.text.contains("- P : manquante"));
        let late = mail("- P : manquante", true);
        assert!(late.text.contains("(D, heure de Paris) est passée"));
        assert!(mail("", true)
            .text
            .contains("Toutes vos pièces sont reçues"));
    }
}
