//! « Modification d'inscription »: sent at each save of the candidate, with
//! what changed and what to do next.

use crate::ports::OutgoingEmail;

use super::Message;

/// What the modification email says.
pub struct Modification<'a> {
    pub session: &'a str,
    pub version: u64,
    /// `false` for a creation.
    pub modified: bool,
    /// What changed, in French (`domain::inscription::change_summary_fr`).
    pub summary: &'a str,
    /// The close of the registration window, Paris time, in French.
    pub registration_closes_fr: &'a str,
    /// The documents window, in French (« du ... au ... »).
    pub documents_range_fr: &'a str,
    pub accommodation_request_url: Option<&'a str>,
    pub home_link: &'a str,
}

pub fn message(m: &Modification, to: &str) -> OutgoingEmail {
    let intro = if m.modified {
        format!(
            "Votre inscription à la session {} a été modifiée (version {}).",
            m.session, m.version
        )
    } else {
        format!(
            "Votre inscription à la session {} est enregistrée (version {}).",
            m.session, m.version
        )
    };
    let mut message = Message::new("Modification d'inscription")
        .para(intro)
        .para(m.summary)
        .para(format!(
            "Vous pouvez encore la modifier jusqu'au {} (heure de Paris). Aucune modification ne pourra être prise en compte après la fin des inscriptions.",
            m.registration_closes_fr
        ))
        .para(format!(
            "Imprimez votre confirmation d'inscription depuis « Mes documents », vérifiez-la, datez-la et signez-la, puis déposez-la avec vos pièces justificatives {} (heure de Paris).",
            m.documents_range_fr
        ));
    if m.modified {
        message = message.para("Toute confirmation signée pour une version précédente ne compte plus : déposez celle de la nouvelle version.");
    }
    if let Some(url) = m.accommodation_request_url {
        message = message.link(
            "Vous avez déclaré une situation de handicap sans aménagement existant : faites votre demande d'aménagement d'épreuves",
            url,
        );
    }
    message.link("Mon espace candidat", m.home_link).to(to)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn modification(modified: bool, url: Option<&str>) -> OutgoingEmail {
        let m = Modification {
            session: "2022",
            version: 2,
            modified,
            summary: "Nom : Autre",
            registration_closes_fr: "dimanche 31 octobre 2021 à 23 h 59",
            documents_range_fr: "du lundi 25 octobre au dimanche 7 novembre 2021",
            accommodation_request_url: url,
            home_link: "https://x/",
        };
        message(&m, "zoe@exemple.fr")
    }

    #[test]
    fn a_modification_voids_earlier_confirmations_a_creation_does_not_say_so() {
        let modified = modification(true, None);
        assert_eq!(modified.subject, "Modification d'inscription");
        assert!(modified
            .text
            .starts_with("Bonjour,\n\nVotre inscription à la session 2022 a été modifiée (version 2).\n\nNom : Autre\n\n"));
        assert!(modified
            .text
            .contains("déposez celle de la nouvelle version."));
        let created = modification(false, Some("https://amenagement"));
        assert!(created.text.contains("est enregistrée (version 2)."));
        assert!(!created.text.contains("nouvelle version"));
        assert!(created.text.contains(
            "aménagement d'épreuves :\nhttps://amenagement\n\nMon espace candidat :\nhttps://x/"
        ));
    }
}
