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
    pub documents_link: &'a str,
}

pub fn message(r: &Reopening, to: &str) -> OutgoingEmail {
    let mut message = Message::new("Votre inscription est rouverte").para(format!(
        "Les services du rectorat ont rouvert votre inscription ({}).",
        r.title
    ));
    message = if r.missing.is_empty() {
        message.para("Toutes vos pièces sont reçues : vous n'avez rien d'autre à déposer.")
    } else {
        message
            .para(format!(
                "Vous avez jusqu'au {} (heure de Paris) pour déposer les pièces encore attendues ; passé ce délai, votre candidature sera annulée si votre dossier n'est pas complet.",
                r.deadline_fr
            ))
            .para(format!("Pièces encore attendues :\n{}", r.missing))
    };
    message
        .link("Mes documents", r.documents_link)
        .to(to)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_gives_the_deadline_when_pieces_are_owed() {
        let mail = |missing| {
            message(
                &Reopening {
                    title: "T",
                    deadline_fr: "D",
                    missing,
                    documents_link: "https://x/mes-documents",
                },
                "z@x.fr",
            )
        };
        let owed = mail("- P : manquante");
        assert!(owed.text.contains("Vous avez jusqu'au D (heure de Paris)"));
        assert!(owed.text.contains("- P : manquante"));
        assert!(mail("").text.contains("Toutes vos pièces sont reçues"));
    }
}
