//! « Correction de votre inscription »: the office corrected the identity;
//! what changed, and why.

use crate::ports::OutgoingEmail;

use super::Message;

pub struct Correction<'a> {
    pub title: &'a str,
    pub version: u64,
    pub reason: &'a str,
    /// What changed, one line each (as the modification email says it).
    pub summary: &'a str,
    pub documents_link: &'a str,
}

pub fn message(c: &Correction, to: &str) -> OutgoingEmail {
    Message::new("Correction de votre inscription")
        .para(format!(
            "Les services du rectorat ont corrigé votre inscription ({}), qui passe à la version {}.",
            c.title, c.version
        ))
        .para(format!("Motif : {}", c.reason))
        .para(format!("Ce qui a changé :\n{}", c.summary))
        .para("Vous n'avez rien à refaire : la confirmation d'inscription signée que vous avez déjà envoyée reste valable. La confirmation téléchargeable dans « Mes documents » tient compte de la correction.")
        .link("Mes documents", c.documents_link)
        .to(to)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_says_what_changed_and_why() {
        let mail = message(
            &Correction {
                title: "T",
                version: 3,
                reason: "Nom d'usage.",
                summary: "- Nom : Martin → Martin-Durand",
                documents_link: "https://x/mes-documents",
            },
            "z@x.fr",
        );
        assert_eq!(mail.subject, "Correction de votre inscription");
        assert!(mail.text.contains("qui passe à la version 3"));
        assert!(mail.text.contains("Motif : Nom d'usage."));
        assert!(mail.text.contains("- Nom : Martin → Martin-Durand"));
    }
}
