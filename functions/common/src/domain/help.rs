//! Whom candidates may ask, as the session file gives it: the exams office's
//! help desk (`[help]`: its website, and its email, telephone and opening
//! hours when the académie publishes them) and the académie's data
//! protection officer (`[data_protection_officer]`). The portal's « Besoin
//! d'aide ? » and « Données personnelles » pages show them.

use serde::Deserialize;

/// The exams office's help desk. Every field is optional: the notice of
/// 2022 gives the rectorat's website and postal address only (the postal
/// address is [`super::calendar::PostalAddress`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HelpDesk {
    /// The académie's website (`https://`).
    pub website: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// When the office answers, one line each (« du lundi au vendredi, de
    /// 9 h à 12 h »).
    pub hours: Vec<String>,
}

/// The académie's data protection officer (« délégué à la protection des
/// données »): the postal address to write to, and an email if published.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DataProtectionOfficer {
    pub lines: Vec<String>,
    pub email: Option<String>,
}

/// What is wrong with `[help]` or `[data_protection_officer]`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{field}` must be {expected}")]
pub struct HelpProblem {
    pub field: &'static str,
    pub expected: &'static str,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawHelpDesk {
    website: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    #[serde(default)]
    hours: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDataProtectionOfficer {
    #[serde(default)]
    lines: Vec<String>,
    email: Option<String>,
}

fn text(field: &'static str, value: Option<String>) -> Result<Option<String>, HelpProblem> {
    match value.map(|v| v.trim().to_owned()) {
        Some(v) if v.is_empty() => Err(HelpProblem {
            field,
            expected: "a text that is not empty, or left out",
        }),
        other => Ok(other),
    }
}

fn email(field: &'static str, value: Option<String>) -> Result<Option<String>, HelpProblem> {
    let value = text(field, value)?;
    match value {
        Some(v) if crate::domain::account::Email::parse(&v).is_err() => Err(HelpProblem {
            field,
            expected: "an email address",
        }),
        other => Ok(other),
    }
}

fn lines(field: &'static str, values: Vec<String>) -> Result<Vec<String>, HelpProblem> {
    let values: Vec<String> = values.iter().map(|v| v.trim().to_owned()).collect();
    if values.iter().any(String::is_empty) {
        return Err(HelpProblem {
            field,
            expected: "lines that are not empty",
        });
    }
    Ok(values)
}

impl RawHelpDesk {
    pub(super) fn check(self) -> Result<HelpDesk, HelpProblem> {
        let website = text("help.website", self.website)?;
        if website.as_ref().is_some_and(|w| !w.starts_with("https://")) {
            return Err(HelpProblem {
                field: "help.website",
                expected: "an https:// address",
            });
        }
        Ok(HelpDesk {
            website,
            email: email("help.email", self.email)?,
            phone: text("help.phone", self.phone)?,
            hours: lines("help.hours", self.hours)?,
        })
    }
}

impl RawDataProtectionOfficer {
    pub(super) fn check(self) -> Result<DataProtectionOfficer, HelpProblem> {
        let officer = DataProtectionOfficer {
            lines: lines("data_protection_officer.lines", self.lines)?,
            email: email("data_protection_officer.email", self.email)?,
        };
        if officer.lines.is_empty() && officer.email.is_none() {
            return Err(HelpProblem {
                field: "data_protection_officer",
                expected: "a postal address (`lines`) or an `email`",
            });
        }
        Ok(officer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_help_desk_refuses_empty_fields_and_plain_http() {
        let desk = |website: &str, email: &str| {
            RawHelpDesk {
                website: Some(website.into()),
                email: Some(email.into()),
                phone: None,
                hours: vec![],
            }
            .check()
        };
        assert!(desk(
            "https://www.ac-aix-marseille.fr",
            "diec@ac-aix-marseille.fr"
        )
        .is_ok());
        assert_eq!(
            desk("http://x.fr", "a@b.fr").unwrap_err().field,
            "help.website"
        );
        assert_eq!(desk("https://x.fr", " ").unwrap_err().field, "help.email");
        assert_eq!(
            desk("https://x.fr", "nobody").unwrap_err().field,
            "help.email"
        );
    }

    #[test]
    fn the_officer_needs_an_address_or_an_email() {
        let none = RawDataProtectionOfficer::default().check();
        assert_eq!(none.unwrap_err().field, "data_protection_officer");
        let blank = RawDataProtectionOfficer {
            lines: vec!["DPO".into(), " ".into()],
            email: None,
        };
        assert_eq!(
            blank.check().unwrap_err().field,
            "data_protection_officer.lines"
        );
    }
}
