//! What the portal's layout and its information pages say about who runs
//! the service: the identity block of the header and the footer (a
//! deployment setting, [`PortalIdentity`]), the help desk's contact details,
//! the data protection officer and the retention periods, all from the
//! configuration and the session file, as HTML fragments for the layout's
//! and pages' `{{placeholders}}`.

use crate::config::PortalIdentity;
use crate::domain::calendar::SessionCalendar;
use crate::wording::dates::french_date;
use crate::wording::{de, escape_html};

/// Everything the layout and the pages fill in beyond the page's own text.
pub struct Frame<'a> {
    pub calendar: &'a SessionCalendar,
    pub identity: PortalIdentity,
}

impl Frame<'_> {
    /// `(placeholder, HTML)` pairs, every value already escaped.
    pub fn placeholders(&self) -> Vec<(&'static str, String)> {
        let calendar = self.calendar;
        let envelope: Vec<String> = calendar
            .postal_address
            .envelope()
            .iter()
            .map(|line| escape_html(line))
            .collect();
        vec![
            ("{{identity}}", self.identity_name().to_owned()),
            ("{{identity_block}}", self.identity_block()),
            ("{{de_academie}}", escape_html(&de(&calendar.academie))),
            ("{{academie}}", escape_html(&calendar.academie)),
            ("{{session}}", escape_html(&calendar.session)),
            ("{{postal_address}}", envelope.join("<br>")),
            ("{{help_contact}}", self.help_contact()),
            (
                "{{data_protection_officer}}",
                self.data_protection_officer(),
            ),
            ("{{retention}}", self.retention()),
        ]
    }

    fn identity_name(&self) -> &'static str {
        match self.identity {
            PortalIdentity::State => "state",
            PortalIdentity::Neutral => "neutral",
        }
    }

    /// The State's block (« République française », drawn by the DSFR's
    /// logo with the Marianne), or the operator's name alone.
    fn identity_block(&self) -> String {
        match self.identity {
            PortalIdentity::State => "<p class=\"fr-logo\">République<br>française</p>".to_owned(),
            PortalIdentity::Neutral => format!(
                "<p class=\"operator-name\">Académie {}</p>",
                escape_html(&de(&self.calendar.academie))
            ),
        }
    }

    /// The help desk's ways in, as `<dt>`/`<dd>` pairs of a `<dl>`.
    fn help_contact(&self) -> String {
        let help = &self.calendar.help;
        let mut html = String::new();
        let mut row = |term: &str, value: String| {
            html.push_str(&format!("<dt>{term}</dt><dd>{value}</dd>"));
        };
        if let Some(email) = &help.email {
            let email = escape_html(email);
            row(
                "Courriel",
                format!("<a href=\"mailto:{email}\">{email}</a>"),
            );
        }
        if let Some(phone) = &help.phone {
            let digits: String = phone
                .chars()
                .filter(|c| c.is_ascii_digit() || *c == '+')
                .collect();
            row(
                "Téléphone",
                format!(
                    "<a href=\"tel:{}\">{}</a>",
                    escape_html(&digits),
                    escape_html(phone)
                ),
            );
        }
        if !help.hours.is_empty() {
            let hours: Vec<String> = help.hours.iter().map(|h| escape_html(h)).collect();
            row("Horaires", hours.join("<br>"));
        }
        if let Some(website) = &help.website {
            let website = escape_html(website);
            let shown = website.trim_start_matches("https://");
            row(
                "Site de l'académie",
                format!("<a href=\"{website}\">{shown}</a>"),
            );
        }
        html
    }

    /// Where to write to the data protection officer, or the rectorat when
    /// the session file names none.
    fn data_protection_officer(&self) -> String {
        let Some(officer) = &self.calendar.data_protection_officer else {
            return format!(
                "<p>Écrivez au délégué à la protection des données du rectorat de l'académie {}, à l'adresse postale du rectorat.</p>",
                escape_html(&de(&self.calendar.academie))
            );
        };
        let mut html = String::new();
        if !officer.lines.is_empty() {
            let lines: Vec<String> = officer.lines.iter().map(|l| escape_html(l)).collect();
            html.push_str(&format!(
                "<p>Par courrier&nbsp;:</p><address id=\"dpo-address\">{}</address>",
                lines.join("<br>")
            ));
        }
        if let Some(email) = &officer.email {
            let email = escape_html(email);
            html.push_str(&format!(
                "<p>Par courriel&nbsp;: <a href=\"mailto:{email}\">{email}</a></p>"
            ));
        }
        html
    }

    /// How long each kind of data is kept, from the session's `[retention]`.
    fn retention(&self) -> String {
        let Some(schedule) = &self.calendar.retention else {
            return "<p>La durée de conservation de cette session n'est pas encore fixée&nbsp;: elle le sera avant la publication des résultats.</p>".to_owned();
        };
        format!(
            "<ul>\
             <li>Votre compte, votre dossier d'inscription, son historique et les pièces déposées&nbsp;: jusqu'au {purge} inclus, soit {months} mois après la publication des résultats de la session (le {results}), le temps des recours&nbsp;; ils sont ensuite supprimés.</li>\
             <li>Les fichiers d'export des gestionnaires&nbsp;: {exports} jours.</li>\
             <li>Les journaux techniques du service (sans mot de passe ni document)&nbsp;: {logs} jours.</li>\
             </ul>",
            purge = french_date(schedule.purge_day().pred_opt().unwrap_or(schedule.purge_day())),
            months = schedule.dossiers_months,
            results = french_date(schedule.results_on),
            exports = schedule.exports_days,
            logs = schedule.logs_days,
        )
    }
}
