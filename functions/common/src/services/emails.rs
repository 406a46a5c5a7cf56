//! The account emails (activation, password reset...), on the builder of
//! [`crate::emails`].

use crate::ports::OutgoingEmail;

pub use crate::emails::{escape, Message, DOCUMENTS_PAGE, HOME_PAGE};

pub fn activation(to: &str, link: &str, expires_fr: &str) -> OutgoingEmail {
    Message::new("Activez votre compte candidat")
        .para("Vous venez de créer votre compte pour vous inscrire aux examens professionnels (baccalauréat professionnel, CAP, brevet professionnel, mentions complémentaires).")
        .para(format!(
            "Pour l'activer, ouvrez le lien ci-dessous avant le {expires_fr} (heure de Paris). Passé ce délai de 48 heures, votre compte sera supprimé et vous devrez recommencer la procédure."
        ))
        .link("Activer mon compte", link)
        .para("Si vous n'êtes pas à l'origine de cette demande, ignorez simplement ce message : aucun compte ne sera conservé.")
        .to(to)
}

/// A signup for an address whose account still awaits activation: a new
/// link for that account, whose password stays the one chosen first (a
/// signup never changes the password of an existing account: whoever knows
/// an address could otherwise set the password its owner then activates).
pub fn activation_of_pending_account(
    to: &str,
    link: &str,
    expires_fr: &str,
    reset_link: &str,
) -> OutgoingEmail {
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

pub fn account_already_exists(to: &str, login_link: &str, reset_link: &str) -> OutgoingEmail {
    Message::new("Vous avez déjà un compte candidat")
        .para("Quelqu'un, sans doute vous-même, a demandé à créer un compte avec cette adresse électronique. Un compte existe déjà pour elle : aucun nouveau compte n'a été créé.")
        .para("Vous pouvez vous connecter avec votre mot de passe, ou le réinitialiser si vous l'avez oublié.")
        .link("Me connecter", login_link)
        .link("Réinitialiser mon mot de passe", reset_link)
        .para("Si vous n'êtes pas à l'origine de cette demande, vous pouvez ignorer ce message.")
        .to(to)
}

pub fn already_active(to: &str, login_link: &str, reset_link: &str) -> OutgoingEmail {
    Message::new("Votre compte candidat est déjà activé")
        .para("Vous avez demandé un nouveau lien d'activation, mais votre compte est déjà activé : vous pouvez vous connecter directement.")
        .link("Me connecter", login_link)
        .link("Réinitialiser mon mot de passe", reset_link)
        .to(to)
}

pub fn password_reset(to: &str, link: &str, expires_fr: &str) -> OutgoingEmail {
    Message::new("Réinitialisation de votre mot de passe")
        .para("Vous avez demandé à réinitialiser le mot de passe de votre compte candidat.")
        .para(format!(
            "Ouvrez le lien ci-dessous avant le {expires_fr} (heure de Paris) pour choisir un nouveau mot de passe. Le lien ne sert qu'une fois. Toutes vos sessions ouvertes seront alors fermées."
        ))
        .link("Choisir un nouveau mot de passe", link)
        .para("Si vous n'êtes pas à l'origine de cette demande, ignorez ce message : votre mot de passe actuel reste valable.")
        .to(to)
}

pub fn password_reset_unknown(to: &str, signup_link: &str) -> OutgoingEmail {
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
    fn emails_have_french_text_and_escaped_html() {
        let mail = activation(
            "zoé@exemple.fr",
            "http://x/activate?token=a.b&c",
            "mardi 16 novembre 2021 à 14 h 05",
        );
        assert!(mail.text.contains("http://x/activate?token=a.b&c"));
        assert!(mail.text.contains("48 heures"));
        let html = mail.html.unwrap();
        assert!(html.contains("token=a.b&amp;c"));
        assert!(html.contains("lang=\"fr\""));
    }
}
