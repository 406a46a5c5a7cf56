//! « Votre inscription est retirée »: the candidate withdrew (a receipt), or
//! the office withdrew the inscription (with its reason).

use crate::ports::OutgoingEmail;

use super::Message;

pub struct Withdrawal<'a> {
    /// The inscription as the candidate reads it.
    pub title: &'a str,
    /// `None`: the candidate withdrew; else the office's reason.
    pub office_reason: Option<&'a str>,
    pub home_link: &'a str,
}

pub fn message(w: &Withdrawal, to: &str) -> OutgoingEmail {
    let mut message = Message::new("Votre inscription est retirée");
    message = match w.office_reason {
        None => message.para(format!(
            "Nous avons bien enregistré votre désistement : votre inscription ({}) est retirée. Vous ne serez pas convoqué(e) aux épreuves et vous n'avez plus de pièce à déposer.",
            w.title
        )),
        Some(reason) => message
            .para(format!(
                "Les services du rectorat ont retiré votre inscription ({}) : vous ne serez pas convoqué(e) aux épreuves.",
                w.title
            ))
            .para(format!("Motif : {reason}")),
    };
    message
        .para("S'il s'agit d'une erreur, répondez sans tarder aux services du rectorat (DIEC) : ils peuvent rouvrir votre inscription.")
        .link("Mon espace candidat", w.home_link)
        .to(to)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_says_who_withdrew_and_why() {
        let mail = |office_reason| {
            message(
                &Withdrawal {
                    title: "CAP — Cuisine, session 2022",
                    office_reason,
                    home_link: "https://x/",
                },
                "z@x.fr",
            )
        };
        let own = mail(None);
        assert_eq!(own.subject, "Votre inscription est retirée");
        assert!(own
            .text
            .contains("Nous avons bien enregistré votre désistement"));
        let office = mail(Some("Demande écrite du candidat."));
        assert!(office.text.contains("Les services du rectorat ont retiré"));
        assert!(office.text.contains("Motif : Demande écrite du candidat."));
    }
}
