//! « Votre inscription est rétablie »: a dossier cancelled at the deadline
//! whose last pieces, posted in time, were recorded by the exams office.

use crate::ports::OutgoingEmail;

use super::Message;

/// `title`: « Diplôme — spécialité, session 2022 ».
pub fn message(title: &str, home_link: &str, to: &str) -> OutgoingEmail {
    Message::new("Votre inscription est rétablie : dossier complet")
        .para(format!(
            "Votre inscription ({title}) avait été annulée à la date limite de dépôt, faute de dossier complet."
        ))
        .para("Les pièces que vous avez envoyées par courrier avant cette date sont bien arrivées au rectorat : le cachet de la poste fait foi. Votre inscription est donc rétablie et votre dossier est complet.")
        .para("La division des examens et concours va maintenant le vérifier ; si une pièce devait être refusée, vous en seriez informé par courriel.")
        .link("Mon espace candidat", home_link)
        .to(to)
}

#[cfg(test)]
mod tests {
    #[test]
    fn it_says_the_inscription_is_reinstated_and_why() {
        let mail = super::message(
            "Certificat d'aptitude professionnelle — Cuisine, session 2022",
            "https://x/",
            "z@x.fr",
        );
        assert_eq!(
            mail.subject,
            "Votre inscription est rétablie : dossier complet"
        );
        assert!(mail
            .text
            .contains("Votre inscription (Certificat d'aptitude professionnelle — Cuisine, session 2022) avait été annulée"));
        assert!(mail.text.contains("le cachet de la poste fait foi"));
        assert!(mail.text.contains("https://x/"));
        assert_eq!(mail.to, "z@x.fr");
    }
}
