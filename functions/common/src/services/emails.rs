//! Every email examreg sends, in French, as plain text and HTML.

use crate::ports::OutgoingEmail;
use crate::wording::escape_html as escape;

/// The signature under every email.
const SIGNATURE: &str =
    "Division des examens et concours (DIEC)\nRectorat de l'académie d'Aix-Marseille";

/// The portal's page « Mon espace candidat », where every email about an
/// inscription may lead (see [`crate::http::portal::PAGES`]).
pub const HOME_PAGE: &str = "/";

/// The portal's page « Mes documents », where the candidate uploads the
/// signed confirmation and the pieces (it sends a visitor who is not signed
/// in to the login page, and back).
pub const DOCUMENTS_PAGE: &str = "/mes-documents";

/// A simple message: paragraphs and call-to-action links, rendered twice.
pub struct Message {
    subject: String,
    paragraphs: Vec<String>,
    links: Vec<(String, String)>,
}

impl Message {
    pub fn new(subject: impl Into<String>) -> Self {
        Self {
            subject: subject.into(),
            paragraphs: vec!["Bonjour,".into()],
            links: Vec::new(),
        }
    }

    pub fn para(mut self, text: impl Into<String>) -> Self {
        self.paragraphs.push(text.into());
        self
    }

    /// A link shown as its own line in text and as a button-like link in HTML.
    pub fn link(mut self, label: impl Into<String>, url: impl Into<String>) -> Self {
        self.links.push((label.into(), url.into()));
        self
    }

    pub fn to(self, recipient: &str) -> OutgoingEmail {
        let mut text = self.paragraphs.join("\n\n");
        for (label, url) in &self.links {
            text.push_str(&format!("\n\n{label} :\n{url}"));
        }
        text.push_str(&format!("\n\nCordialement,\n{SIGNATURE}\n"));

        let mut html = String::from(
            "<!DOCTYPE html><html lang=\"fr\"><head><meta charset=\"utf-8\"></head><body style=\"font-family:sans-serif;line-height:1.5\">",
        );
        for p in &self.paragraphs {
            html.push_str(&format!("<p>{}</p>", escape(p).replace('\n', "<br>")));
        }
        for (label, url) in &self.links {
            html.push_str(&format!(
                "<p><a href=\"{}\">{}</a></p>",
                escape(url),
                escape(label)
            ));
        }
        html.push_str(&format!(
            "<p>Cordialement,<br>{}</p></body></html>",
            escape(SIGNATURE).replace('\n', "<br>")
        ));
        OutgoingEmail {
            to: recipient.to_owned(),
            subject: self.subject,
            text,
            html: Some(html),
        }
    }
}

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
    fn the_pages_emails_link_to_are_served_by_the_portal() {
        use crate::http::portal::{is_page, PAGES};
        assert!(is_page(HOME_PAGE));
        assert!(is_page(DOCUMENTS_PAGE));
        let documents = PAGES.iter().find(|p| p.path == DOCUMENTS_PAGE).unwrap();
        assert_eq!(documents.script, "documents.js");
    }

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
