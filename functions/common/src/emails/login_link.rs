//! The one-time sign-in link (`POST /auth/login-link`): it opens a session
//! without the password, even while wrong passwords lock the address.

use chrono::{DateTime, Utc};

use crate::emails::Message;
use crate::ports::OutgoingEmail;
use crate::wording::to_paris_string;

/// To `to`: open `link` once, before `expires_at`.
pub fn email(to: &str, link: &str, expires_at: DateTime<Utc>) -> OutgoingEmail {
    let expires_fr = to_paris_string(expires_at);
    Message::new("Votre lien de connexion")
        .para("Vous avez demandé un lien pour vous connecter à votre espace candidat sans saisir votre mot de passe.")
        .para(format!(
            "Ouvrez le lien ci-dessous avant le {expires_fr} (heure de Paris) : il est valable 15 minutes et ne sert qu'une fois. Il fonctionne même si votre adresse est bloquée après des essais de mot de passe erronés."
        ))
        .link("Me connecter", link)
        .para("Si vous n'êtes pas à l'origine de cette demande, ignorez ce message : personne ne peut se connecter sans ce lien, et votre mot de passe reste valable. Ne transférez ce message à personne.")
        .to(to)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_holds_the_link_and_its_end_in_paris_time() {
        let mail = email(
            "zoe@exemple.fr",
            "http://x/login-link?token=t",
            "2021-10-14T08:15:00Z".parse().unwrap(),
        );
        assert_eq!(mail.subject, "Votre lien de connexion");
        assert!(mail
            .text
            .contains("avant le jeudi 14 octobre 2021 à 10 h 15 (heure de Paris)"));
        assert!(mail
            .text
            .contains("Me connecter :\nhttp://x/login-link?token=t"));
        assert!(mail.text.contains("ne sert qu'une fois"));
    }
}
