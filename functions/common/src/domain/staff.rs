//! The exams office's staff (the back office, Office API): their roles and
//! who a verified token says the caller is.
//!
//! A role is a group of the office's Cognito user pool (locally, the role of
//! an account made by `examreg staff add`). A member of several groups has
//! the highest of their roles: each role may do all that the one below may.

use std::collections::HashMap;
use std::fmt;

use crate::domain::account::Email;
use crate::domain::transitions::{Actor, STAFF_PREFIX};

/// A staff member's role, from the least to the most allowed (the order of
/// the variants is the order of their powers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StaffRole {
    /// Reads: lists, dossiers, searches, counts, pieces, failed emails.
    Lecteur,
    /// Also changes one dossier: reviews pieces, records paper pieces,
    /// validates, extends one candidate's deadline.
    Gestionnaire,
    /// Also bulk actions, exports, corrections, withdrawals, reopenings.
    Responsable,
}

impl StaffRole {
    pub const ALL: [StaffRole; 3] = [
        StaffRole::Lecteur,
        StaffRole::Gestionnaire,
        StaffRole::Responsable,
    ];

    /// The role's Cognito group name (and `--role` value).
    pub fn group(self) -> &'static str {
        match self {
            StaffRole::Lecteur => "lecteur",
            StaffRole::Gestionnaire => "gestionnaire",
            StaffRole::Responsable => "responsable",
        }
    }

    /// The role named by its group, ignoring case and surrounding spaces.
    pub fn from_group(name: &str) -> Option<Self> {
        let name = name.trim();
        Self::ALL
            .into_iter()
            .find(|role| role.group().eq_ignore_ascii_case(name))
    }

    /// The French name of the role, for messages (« gestionnaire »).
    pub fn label_fr(self) -> &'static str {
        self.group()
    }

    /// The highest role among `groups` (other groups are ignored).
    pub fn highest<'a>(groups: impl IntoIterator<Item = &'a str>) -> Option<Self> {
        groups.into_iter().filter_map(Self::from_group).max()
    }

    /// What `--role` accepts, for error messages.
    pub fn names() -> String {
        Self::ALL.map(StaffRole::group).join(", ")
    }
}

impl fmt::Display for StaffRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.group())
    }
}

/// The claim holding a Cognito user's groups.
pub const GROUPS_CLAIM: &str = "cognito:groups";

/// The groups of a `cognito:groups` claim as it reaches the function: behind
/// the HTTP API's JWT authorizer, claims are strings and an array is written
/// `[gestionnaire lecteur]`; a JSON array (`["gestionnaire","lecteur"]`) is
/// read too, and a lone group name.
pub fn groups_of_claim(claim: &str) -> Vec<String> {
    let claim = claim.trim();
    if let Ok(serde_json::Value::Array(items)) = serde_json::from_str(claim) {
        return items
            .iter()
            .filter_map(|item| item.as_str().map(str::to_owned))
            .collect();
    }
    claim
        .trim_start_matches('[')
        .trim_end_matches(']')
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|group| !group.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A staff member whose token was verified: who they are and what they may.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffCaller {
    pub email: Email,
    pub role: StaffRole,
}

/// Why verified claims name no staff member who may act.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimsRefused {
    /// No claims, or none naming the caller by an address.
    Unauthenticated,
    /// A caller in none of the three groups.
    NoRole,
}

impl StaffCaller {
    /// The caller the verified `claims` name (as the JWT authorizer passes
    /// them: every value a string).
    ///
    /// The address: the `email` claim when the token has one (ID tokens,
    /// federated users), else `username`. Cognito access tokens carry no
    /// `email` claim, so staff accounts are created with their address as
    /// their user name (docs: "Inviting the office's staff"); a user name
    /// that is not an address names no one. The role: the highest of the
    /// `cognito:groups`.
    pub fn from_claims(claims: &HashMap<String, String>) -> Result<Self, ClaimsRefused> {
        let email = ["email", "username", "cognito:username"]
            .iter()
            .filter_map(|name| claims.get(*name))
            .find_map(|value| Email::parse(value).ok())
            .ok_or(ClaimsRefused::Unauthenticated)?;
        let groups = claims
            .get(GROUPS_CLAIM)
            .map(|claim| groups_of_claim(claim))
            .unwrap_or_default();
        let role =
            StaffRole::highest(groups.iter().map(String::as_str)).ok_or(ClaimsRefused::NoRole)?;
        Ok(Self { email, role })
    }

    /// The actor the history records: `staff:<email>`.
    pub fn actor(&self) -> Actor {
        Actor::Staff(self.email.canonical().to_owned())
    }

    /// The recorded name, `staff:<email>`.
    pub fn recorded(&self) -> String {
        format!("{STAFF_PREFIX}{}", self.email.canonical())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn roles_are_ordered_by_what_they_may() {
        assert!(StaffRole::Lecteur < StaffRole::Gestionnaire);
        assert!(StaffRole::Gestionnaire < StaffRole::Responsable);
        assert_eq!(
            StaffRole::from_group(" Responsable "),
            Some(StaffRole::Responsable)
        );
        assert_eq!(StaffRole::from_group("admin"), None);
        assert_eq!(StaffRole::names(), "lecteur, gestionnaire, responsable");
    }

    #[test]
    fn groups_are_read_as_the_authorizer_writes_them_or_as_json() {
        assert_eq!(
            groups_of_claim("[gestionnaire lecteur]"),
            ["gestionnaire", "lecteur"]
        );
        assert_eq!(
            groups_of_claim(r#"["responsable","lecteur"]"#),
            ["responsable", "lecteur"]
        );
        assert_eq!(groups_of_claim("lecteur"), ["lecteur"]);
        assert_eq!(groups_of_claim("[]"), Vec::<String>::new());
        assert_eq!(groups_of_claim(""), Vec::<String>::new());
    }

    #[test]
    fn a_member_of_several_groups_has_the_highest_role() {
        let caller = StaffCaller::from_claims(&claims(&[
            ("username", "Agnes.Martin@ac-aix-marseille.fr"),
            ("cognito:groups", "[lecteur gestionnaire autre]"),
        ]))
        .unwrap();
        assert_eq!(caller.role, StaffRole::Gestionnaire);
        assert_eq!(caller.recorded(), "staff:agnes.martin@ac-aix-marseille.fr");
        assert_eq!(caller.actor().recorded(), caller.recorded());
    }

    #[test]
    fn the_address_is_the_email_claim_else_the_user_name() {
        let caller = StaffCaller::from_claims(&claims(&[
            ("username", "idp_12345"),
            ("email", "paul@ac-aix-marseille.fr"),
            ("cognito:groups", "[lecteur]"),
        ]))
        .unwrap();
        assert_eq!(caller.email.canonical(), "paul@ac-aix-marseille.fr");
    }

    #[test]
    fn claims_without_an_address_or_a_role_name_no_one_who_may() {
        assert_eq!(
            StaffCaller::from_claims(&HashMap::new()),
            Err(ClaimsRefused::Unauthenticated)
        );
        assert_eq!(
            StaffCaller::from_claims(&claims(&[
                ("username", "a1b2c3"),
                ("cognito:groups", "[responsable]")
            ])),
            Err(ClaimsRefused::Unauthenticated)
        );
        assert_eq!(
            StaffCaller::from_claims(&claims(&[("username", "a@b.fr")])),
            Err(ClaimsRefused::NoRole)
        );
        assert_eq!(
            StaffCaller::from_claims(&claims(&[
                ("username", "a@b.fr"),
                ("cognito:groups", "[admins]")
            ])),
            Err(ClaimsRefused::NoRole)
        );
    }
}
