//! « Votre inscription est annulée »: the documents deadline passed with
//! the dossier incomplete.

use crate::ports::OutgoingEmail;

use super::Message;

/// `missing`: the pieces that were owed, one line each (may be empty).
pub fn message(
    title: &str,
    deadline_fr: &str,
    missing: &str,
    home_link: &str,
    to: &str,
) -> OutgoingEmail {
    let mut message = Message::new("Votre inscription est annulée")
        .para(format!(
            "Le délai de dépôt des pièces de votre inscription ({title}) a pris fin le {deadline_fr} (heure de Paris), et votre dossier n'était pas complet à cette date."
        ))
        .para("Conformément à la notice de la session, votre candidature est donc annulée.");
    if !missing.is_empty() {
        message = message.para(format!("Pièces qui manquaient :\n{missing}"));
    }
    message
        .para("Si vous pensez qu'il s'agit d'une erreur, contactez sans tarder la Division des examens et concours (DIEC 3.05) du rectorat d'Aix-Marseille.")
        .link("Mon espace candidat", home_link)
        .to(to)
}

#[cfg(test)]
mod tests {
    #[test]
    fn it_lists_what_was_missing() {
        let mail = super::message("T", "D", "- P : manquante", "https://x/", "z@x.fr");
        assert_eq!(mail.subject, "Votre inscription est annulée");
        assert!(mail
            .text
            .contains("inscription (T) a pris fin le D (heure de Paris)"));
        assert!(mail
            .text
            .contains("Pièces qui manquaient :\n- P : manquante"));
        let mail = super::message("T", "D", "", "https://x/", "z@x.fr");
        assert!(!mail.text.contains("manquaient"));
    }
}
