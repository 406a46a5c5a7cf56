//! The activation link of a new account (also sent again on request).

use chrono::{DateTime, Utc};

use crate::emails::Message;
use crate::ports::OutgoingEmail;
use crate::wording::to_paris_string;

/// To `to`: open `link` before `deadline`, or the account is deleted.
pub fn email(to: &str, link: &str, deadline: DateTime<Utc>) -> OutgoingEmail {
    let expires_fr = to_paris_string(deadline);
    // The subject says what to do, and by when: a mailbox list shows it.
    Message::new(format!(
        "Activez votre compte candidat avant le {expires_fr} (heure de Paris)"
    ))
        .para("Vous venez de créer votre compte pour vous inscrire aux examens professionnels (baccalauréat professionnel, CAP, brevet professionnel, mentions complémentaires).")
        .para(format!(
            "Pour l'activer, ouvrez le lien ci-dessous avant le {expires_fr} (heure de Paris). Passé ce délai de 48 heures, votre compte sera supprimé et vous devrez recommencer la procédure."
        ))
        .link("Activer mon compte", link)
        .para("Si vous n'êtes pas à l'origine de cette demande, ignorez simplement ce message : aucun compte ne sera conservé.")
        .to(to)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_have_french_text_and_escaped_html() {
        let mail = email(
            "zoé@exemple.fr",
            "http://x/activate?token=a.b&c",
            "2021-11-16T13:05:00Z".parse().unwrap(),
        );
        assert_eq!(mail.to, "zoé@exemple.fr");
        assert_eq!(
            mail.subject,
            "Activez votre compte candidat avant le mardi 16 novembre 2021 à 14 h 05 (heure de Paris)"
        );
        assert!(mail.text.contains("http://x/activate?token=a.b&c"));
        assert!(mail.text.contains("48 heures"));
        assert!(mail
            .text
            .contains("avant le mardi 16 novembre 2021 à 14 h 05 (heure de Paris)"));
        let html = mail.html.unwrap();
        assert!(html.contains("token=a.b&amp;c"));
        assert!(html.contains("lang=\"fr\""));
    }
}
