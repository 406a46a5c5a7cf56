//! « Pièce refusée : ... »: the office rejected a piece; what to do depends
//! on the deadline (see `domain::transitions::AfterRejection`).

use crate::domain::transitions::AfterRejection;
use crate::ports::OutgoingEmail;

use super::Message;

pub struct Rejection<'a> {
    pub title: &'a str,
    /// The piece, as the candidate reads it.
    pub label: &'a str,
    pub reason: &'a str,
    pub deadline_fr: &'a str,
    pub after: AfterRejection,
    pub home_link: &'a str,
    pub documents_link: &'a str,
}

pub fn message(r: &Rejection, to: &str) -> OutgoingEmail {
    let label = r.label;
    let email = Message::new(format!("Pièce refusée : {label}"))
        .para(format!(
            "Les services du rectorat ont examiné votre dossier d'inscription ({}).",
            r.title
        ))
        .para(format!(
            "La pièce « {label} » n'a pas pu être acceptée, pour le motif suivant :\n{}",
            r.reason
        ));
    let email = match r.after {
        AfterRejection::ReplaceBefore => email
            .para(format!(
                "Déposez-en une nouvelle version depuis votre espace candidat avant le {} (heure de Paris). Sans elle, votre candidature sera annulée à cette date.",
                r.deadline_fr
            ))
            .link("Déposer une nouvelle pièce", r.documents_link),
        AfterRejection::WillBeCancelled => email
            .para(format!(
                "La date limite de dépôt des pièces était fixée au {} (heure de Paris), et votre dossier n'était pas complet à cette date.",
                r.deadline_fr
            ))
            .para("Contactez sans tarder la Division des examens et concours (DIEC 3.05) du rectorat d'Aix-Marseille.")
            .link("Mon espace candidat", r.home_link),
        AfterRejection::AskForExtension => email
            .para("La date limite de dépôt des pièces est passée, mais votre candidature n'est pas annulée : vos pièces sont arrivées à temps.")
            .para("Pour vous permettre de remplacer cette pièce, la Division des examens et concours (DIEC 3.05) du rectorat d'Aix-Marseille peut vous accorder un délai supplémentaire : contactez-la sans tarder. Vous pourrez alors déposer la nouvelle pièce depuis votre espace candidat.")
            .link("Mon espace candidat", r.home_link),
    };
    email.to(to)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_side_of_the_deadline_has_its_text() {
        let text = |after| {
            let r = Rejection {
                title: "T",
                label: "Pièce d'identité",
                reason: "Illisible",
                deadline_fr: "D",
                after,
                home_link: "https://x/",
                documents_link: "https://x/mes-documents",
            };
            message(&r, "z@x.fr")
        };
        let before = text(AfterRejection::ReplaceBefore);
        assert_eq!(before.subject, "Pièce refusée : Pièce d'identité");
        assert!(before.text.contains("pour le motif suivant :\nIllisible"));
        assert!(before
            .text
            .contains("Déposer une nouvelle pièce :\nhttps://x/mes-documents"));
        assert!(text(AfterRejection::WillBeCancelled)
            .text
            .contains("n'était pas complet à cette date"));
        assert!(text(AfterRejection::AskForExtension)
            .text
            .contains("délai supplémentaire"));
    }
}
