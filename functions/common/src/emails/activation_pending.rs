//! A signup for an address whose account still awaits activation: a new
//! link, carrying the password of this latest request. The email says
//! plainly that a request was made before, so that an owner who did not
//! make the earlier one knows someone else used their address, and that
//! only this link (and the password chosen with it) counts.

use chrono::{DateTime, Utc};

use crate::emails::Message;
use crate::ports::OutgoingEmail;
use crate::wording::to_paris_string;

/// To `to`: open `link` before `deadline` to activate the account with the
/// password chosen in the latest request.
pub fn email(to: &str, link: &str, deadline: DateTime<Utc>) -> OutgoingEmail {
    let expires_fr = to_paris_string(deadline);
    Message::new("Activez votre compte candidat (nouvelle demande)")
        .para("Une demande de création de compte avait déjà été faite auparavant avec cette adresse électronique, et ce compte n'a pas encore été activé. Une nouvelle demande vient d'être faite : les liens envoyés auparavant ne servent plus, et seul le mot de passe choisi lors de cette dernière demande sera celui du compte.")
        .para(format!(
            "Si c'est vous qui venez de faire cette demande, ouvrez le lien ci-dessous avant le {expires_fr} (heure de Paris) : votre compte sera activé avec le mot de passe que vous venez de choisir."
        ))
        .link("Activer mon compte", link)
        .para("Si la demande précédente n'était pas de vous, quelqu'un d'autre a utilisé votre adresse : n'utilisez que le lien de ce message, le plus récent. Si vous n'avez fait aucune demande, n'ouvrez pas ce lien et ignorez ce message : sans activation, le compte sera supprimé à cette date.")
        .to(to)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_says_a_request_was_made_before_and_which_password_counts() {
        let mail = email(
            "zoe@exemple.fr",
            "http://x/activate?token=t",
            "2021-11-16T13:05:00Z".parse().unwrap(),
        );
        assert_eq!(
            mail.subject,
            "Activez votre compte candidat (nouvelle demande)"
        );
        assert!(mail.text.contains("avait déjà été faite auparavant"));
        assert!(mail
            .text
            .contains("seul le mot de passe choisi lors de cette dernière demande"));
        assert!(mail.text.contains("n'était pas de vous"));
        assert!(mail
            .text
            .contains("avant le mardi 16 novembre 2021 à 14 h 05"));
        assert!(mail
            .text
            .contains("Activer mon compte :\nhttp://x/activate?token=t"));
    }
}
