//! A signup for an address whose account is active: its owner is told, and
//! no new account is made (the API's answer is the same as for a new one).

use crate::emails::Message;
use crate::ports::OutgoingEmail;

pub fn email(to: &str, login_link: &str, reset_link: &str) -> OutgoingEmail {
    Message::new("Vous avez déjà un compte candidat")
        .para("Quelqu'un, sans doute vous-même, a demandé à créer un compte avec cette adresse électronique. Un compte existe déjà pour elle : aucun nouveau compte n'a été créé.")
        .para("Vous pouvez vous connecter avec votre mot de passe, ou le réinitialiser si vous l'avez oublié.")
        .link("Me connecter", login_link)
        .link("Réinitialiser mon mot de passe", reset_link)
        .para("Si vous n'êtes pas à l'origine de cette demande, vous pouvez ignorer ce message.")
        .to(to)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_gives_the_login_and_reset_links() {
        let mail = email(
            "zoe@exemple.fr",
            "http://x/login",
            "http://x/forgot-password",
        );
        assert_eq!(mail.subject, "Vous avez déjà un compte candidat");
        assert!(mail.text.contains("aucun nouveau compte n'a été créé"));
        assert!(mail.text.contains("Me connecter :\nhttp://x/login"));
        assert!(mail
            .text
            .contains("Réinitialiser mon mot de passe :\nhttp://x/forgot-password"));
    }
}
