//! A new activation link asked for an account already active.

use crate::emails::Message;
use crate::ports::OutgoingEmail;

pub fn email(to: &str, login_link: &str, reset_link: &str) -> OutgoingEmail {
    Message::new("Votre compte candidat est déjà activé")
        .para("Vous avez demandé un nouveau lien d'activation, mais votre compte est déjà activé : vous pouvez vous connecter directement.")
        .link("Me connecter", login_link)
        .link("Réinitialiser mon mot de passe", reset_link)
        .to(to)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_sends_to_the_login_page_rather_than_a_link() {
        let mail = email(
            "zoe@exemple.fr",
            "http://x/login",
            "http://x/forgot-password",
        );
        assert_eq!(mail.subject, "Votre compte candidat est déjà activé");
        assert!(mail.text.contains("déjà activé"));
        assert!(mail.text.contains("Me connecter :\nhttp://x/login"));
        assert!(!mail.text.contains("/activate"));
    }
}
