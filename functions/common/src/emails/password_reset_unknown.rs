//! A password reset asked for an address without an account: its owner is
//! told so (the API's answer is the same as for an account).

use crate::emails::Message;
use crate::ports::OutgoingEmail;

pub fn email(to: &str, signup_link: &str) -> OutgoingEmail {
    Message::new("Réinitialisation de mot de passe")
        .para("Quelqu'un a demandé à réinitialiser le mot de passe d'un compte candidat avec cette adresse électronique, mais aucun compte n'existe pour elle.")
        .para("Si vous souhaitez vous inscrire, commencez par créer votre compte.")
        .link("Créer mon compte", signup_link)
        .para("Si vous n'êtes pas à l'origine de cette demande, ignorez ce message.")
        .to(to)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_says_no_account_exists_and_offers_the_signup() {
        let mail = email("zoe@exemple.fr", "http://x/signup");
        assert_eq!(mail.subject, "Réinitialisation de mot de passe");
        assert!(mail.text.contains("aucun compte n'existe pour elle"));
        assert!(mail.text.contains("Créer mon compte :\nhttp://x/signup"));
    }
}
