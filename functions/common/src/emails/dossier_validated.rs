//! « Votre dossier d'inscription est validé »: the office validated every piece.

use crate::ports::OutgoingEmail;

use super::Message;

/// `title`: the inscription as the candidate reads it (see [`super::dossier::inscription_title`]).
pub fn message(title: &str, home_link: &str, to: &str) -> OutgoingEmail {
    Message::new("Votre dossier d'inscription est validé")
        .para(format!(
            "Les services du rectorat ont vérifié et validé toutes les pièces de votre inscription ({title})."
        ))
        .para("Votre dossier est complet : vous n'avez plus rien à déposer. Vous recevrez votre convocation aux épreuves en temps utile.")
        .link("Mon espace candidat", home_link)
        .to(to)
}

#[cfg(test)]
mod tests {
    #[test]
    fn it_says_nothing_is_left_to_upload() {
        let mail = super::message("CAP — Cuisine, session 2022", "https://x/", "z@x.fr");
        assert!(mail
            .text
            .contains("pièces de votre inscription (CAP — Cuisine, session 2022)."));
        assert!(mail.text.contains("vous n'avez plus rien à déposer"));
    }
}
