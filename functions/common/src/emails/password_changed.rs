//! Sent after any change of the password (while signed in, or through a
//! reset link), so that the owner of the address learns of a change they did
//! not make.

use chrono::{DateTime, Utc};

use crate::emails::Message;
use crate::ports::OutgoingEmail;
use crate::wording::to_paris_string;

/// To `to`: the password changed at `at`; `reset_link` if it was not them.
pub fn email(to: &str, at: DateTime<Utc>, reset_link: &str) -> OutgoingEmail {
    let at_fr = to_paris_string(at);
    Message::new("Votre mot de passe a été modifié")
        .para(format!(
            "Le mot de passe de votre compte candidat a été modifié le {at_fr} (heure de Paris). Par sécurité, les autres sessions ouvertes sur votre compte ont été fermées."
        ))
        .para("Si c'est vous, vous n'avez rien d'autre à faire.")
        .para("Si ce n'est pas vous, quelqu'un connaît peut-être votre mot de passe ou a accès à votre messagerie : choisissez sans attendre un nouveau mot de passe avec le lien ci-dessous (toutes les sessions seront fermées), puis changez aussi le mot de passe de votre messagerie.")
        .link("Choisir un nouveau mot de passe", reset_link)
        .to(to)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_says_when_and_what_to_do_if_it_was_not_them() {
        let mail = email(
            "zoe@exemple.fr",
            "2021-10-14T08:15:00Z".parse().unwrap(),
            "http://x/forgot-password",
        );
        assert_eq!(mail.subject, "Votre mot de passe a été modifié");
        assert!(mail
            .text
            .contains("modifié le jeudi 14 octobre 2021 à 10 h 15 (heure de Paris)"));
        assert!(mail.text.contains("Si ce n'est pas vous"));
        assert!(mail
            .text
            .contains("Choisir un nouveau mot de passe :\nhttp://x/forgot-password"));
    }
}
