//! « Votre dossier d'inscription est complet »: the last piece received.

use crate::ports::OutgoingEmail;

use super::Message;

/// `diploma` and `specialty` as the catalogue labels them.
pub fn message(
    diploma: &str,
    specialty: &str,
    session: &str,
    home_link: &str,
    to: &str,
) -> OutgoingEmail {
    Message::new("Votre dossier d'inscription est complet")
        .para(format!(
            "Nous avons bien reçu votre confirmation d'inscription signée et toutes les pièces justificatives demandées pour votre inscription au {} « {specialty} », session {session}.",
            diploma.to_lowercase(),
        ))
        .para("Votre dossier d'inscription est complet. La division des examens et concours va maintenant le vérifier ; si une pièce devait être refusée, vous en seriez informé par courriel et pourriez la déposer de nouveau.")
        .para("Attention : toute nouvelle modification de votre inscription rendra caduque la confirmation signée. Il faudrait alors imprimer, dater, signer et déposer la nouvelle confirmation.")
        .link("Mon espace candidat", home_link)
        .to(to)
}

#[cfg(test)]
mod tests {
    #[test]
    fn it_names_the_diploma_in_lower_case() {
        let mail = super::message(
            "Baccalauréat professionnel",
            "Métiers",
            "2022",
            "https://x/",
            "z@x.fr",
        );
        assert_eq!(mail.subject, "Votre dossier d'inscription est complet");
        assert!(mail.text.contains(
            "votre inscription au baccalauréat professionnel « Métiers », session 2022."
        ));
        assert_eq!(mail.to, "z@x.fr");
    }
}
