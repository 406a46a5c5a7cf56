//! « Prolongation du délai de dépôt de vos pièces », or « Votre inscription
//! est rétablie » when the extension reinstates a cancelled inscription.

use crate::ports::OutgoingEmail;

use super::Message;

pub struct Extension<'a> {
    pub title: &'a str,
    pub until_fr: &'a str,
    pub reinstated: bool,
    /// The pieces still owed, one line each (may be empty).
    pub missing: &'a str,
    pub documents_link: &'a str,
}

pub fn message(e: &Extension, to: &str) -> OutgoingEmail {
    let subject = if e.reinstated {
        "Votre inscription est rétablie : nouveau délai pour vos pièces"
    } else {
        "Prolongation du délai de dépôt de vos pièces"
    };
    let mut message = Message::new(subject);
    if e.reinstated {
        message = message.para(format!(
            "Votre inscription ({}) avait été annulée faute de dossier complet. Les services du rectorat la rétablissent et vous accordent un nouveau délai.",
            e.title
        ));
    } else {
        message = message.para(format!(
            "Les services du rectorat prolongent le délai de dépôt des pièces de votre inscription ({}).",
            e.title
        ));
    }
    message = message.para(format!(
        "Vous avez jusqu'au {} (heure de Paris) pour déposer votre confirmation d'inscription datée et signée et vos pièces justificatives. Passé ce délai, votre candidature sera annulée si votre dossier n'est pas complet.",
        e.until_fr
    ));
    if !e.missing.is_empty() {
        message = message.para(format!("Pièces encore attendues :\n{}", e.missing));
    }
    message
        .link(
            "Déposer mes pièces dans mon espace candidat",
            e.documents_link,
        )
        .to(to)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reinstatement_says_so() {
        let text = |reinstated| {
            message(
                &Extension {
                    title: "T",
                    until_fr: "U",
                    reinstated,
                    missing: "- P : manquante",
                    documents_link: "https://x/mes-documents",
                },
                "z@x.fr",
            )
        };
        let reinstated = text(true);
        assert!(reinstated
            .subject
            .starts_with("Votre inscription est rétablie"));
        assert!(reinstated
            .text
            .contains("avait été annulée faute de dossier complet"));
        let extended = text(false);
        assert_eq!(
            extended.subject,
            "Prolongation du délai de dépôt de vos pièces"
        );
        assert!(extended
            .text
            .contains("Vous avez jusqu'au U (heure de Paris)"));
        assert!(extended
            .text
            .contains("Pièces encore attendues :\n- P : manquante"));
    }
}
