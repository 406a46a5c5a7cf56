//! A signup for an address whose account still awaits activation: a new
//! link for that account, whose password stays the one chosen first (a
//! signup never changes the password of an existing account: whoever knows
//! an address could otherwise set the password its owner then activates).

use chrono::{DateTime, Utc};

use crate::emails::Message;
use crate::ports::OutgoingEmail;
use crate::wording::to_paris_string;

/// To `to`: open `link` before `deadline`; `reset_link` if the password
/// chosen first is forgotten.
pub fn email(to: &str, link: &str, deadline: DateTime<Utc>, reset_link: &str) -> OutgoingEmail {
    let expires_fr = to_paris_string(deadline);
    Message::new("Activez votre compte candidat (déjà créé)")
        .para("Quelqu'un, sans doute vous-même, a demandé à créer un compte avec cette adresse électronique. Un compte existe déjà pour elle et attend son activation : aucun nouveau compte n'a été créé, et le mot de passe de ce compte reste celui choisi à sa création (celui de la nouvelle demande n'a pas été enregistré).")
        .para(format!(
            "Pour l'activer, ouvrez le lien ci-dessous avant le {expires_fr} (heure de Paris). Les liens envoyés auparavant ne servent plus."
        ))
        .link("Activer mon compte", link)
        .para("Si vous ne vous souvenez plus du mot de passe choisi, demandez-en un nouveau : le lien de réinitialisation activera aussi votre compte.")
        .link("Choisir un nouveau mot de passe", reset_link)
        .para("Si vous n'êtes pas à l'origine de cette demande, ignorez ce message.")
        .to(to)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_says_the_first_password_stands_and_how_to_choose_another() {
        let mail = email(
            "zoe@exemple.fr",
            "http://x/activate?token=t",
            "2021-11-16T13:05:00Z".parse().unwrap(),
            "http://x/forgot-password",
        );
        assert_eq!(mail.subject, "Activez votre compte candidat (déjà créé)");
        assert!(mail.text.contains("reste celui choisi à sa création"));
        assert!(mail
            .text
            .contains("avant le mardi 16 novembre 2021 à 14 h 05"));
        assert!(mail
            .text
            .contains("Activer mon compte :\nhttp://x/activate?token=t"));
        assert!(mail
            .text
            .contains("Choisir un nouveau mot de passe :\nhttp://x/forgot-password"));
    }
}
