//! The link to choose a new password.

use chrono::{DateTime, Utc};

use crate::emails::Message;
use crate::ports::OutgoingEmail;
use crate::wording::to_paris_string;

/// To `to`: open `link` before `expires_at`.
pub fn email(to: &str, link: &str, expires_at: DateTime<Utc>) -> OutgoingEmail {
    let expires_fr = to_paris_string(expires_at);
    Message::new("Réinitialisation de votre mot de passe")
        .para("Vous avez demandé à réinitialiser le mot de passe de votre compte candidat.")
        .para(format!(
            "Ouvrez le lien ci-dessous avant le {expires_fr} (heure de Paris) pour choisir un nouveau mot de passe. Le lien ne sert qu'une fois. Toutes vos sessions ouvertes seront alors fermées."
        ))
        .link("Choisir un nouveau mot de passe", link)
        .para("Si vous n'êtes pas à l'origine de cette demande, ignorez ce message : votre mot de passe actuel reste valable.")
        .to(to)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_names_the_end_of_the_link_in_paris_time() {
        let mail = email(
            "zoe@exemple.fr",
            "http://x/reset-password?token=t",
            "2021-10-14T09:30:00Z".parse().unwrap(),
        );
        assert_eq!(mail.subject, "Réinitialisation de votre mot de passe");
        assert!(mail
            .text
            .contains("avant le jeudi 14 octobre 2021 à 11 h 30 (heure de Paris)"));
        assert!(mail
            .text
            .contains("Choisir un nouveau mot de passe :\nhttp://x/reset-password?token=t"));
    }
}
