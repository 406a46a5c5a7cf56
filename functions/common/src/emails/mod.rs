//! Every email examreg sends, in French, as plain text and HTML: the
//! [`Message`] builder here, and one module per email (or family of emails)
//! beside it, each a function from typed inputs to the message.

use crate::ports::OutgoingEmail;
use crate::wording::escape_html as escape;

pub mod account_exists;
pub mod activation;
pub mod activation_pending;
pub mod already_active;
pub mod cancellation;
pub mod corrected;
pub mod deadline_extended;
pub mod dossier;
pub mod dossier_complete;
pub mod dossier_reinstated;
pub mod dossier_validated;
pub mod login_link;
pub mod modification;
pub mod password_changed;
pub mod password_reset;
pub mod password_reset_unknown;
pub mod piece_rejected;
pub mod reminder;
pub mod reopened;
pub mod withdrawn;

/// The signature under every email.
pub const SIGNATURE: &str =
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
    fn a_message_has_a_greeting_links_a_signature_and_escaped_html() {
        let mail = Message::new("Objet")
            .para("Un & deux")
            .link("Lien", "http://x/?a=1&b=2")
            .to("zoé@exemple.fr");
        assert_eq!(mail.subject, "Objet");
        assert_eq!(
            mail.text,
            format!("Bonjour,\n\nUn & deux\n\nLien :\nhttp://x/?a=1&b=2\n\nCordialement,\n{SIGNATURE}\n")
        );
        let html = mail.html.unwrap();
        assert!(html.contains("<p>Un &amp; deux</p>"));
        assert!(html.contains("href=\"http://x/?a=1&amp;b=2\""));
        assert!(html.contains("lang=\"fr\""));
    }
}
