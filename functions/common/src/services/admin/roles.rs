//! Which staff role each action needs, through the Office API (the
//! contract's role table). The console's events are not checked here: who
//! may invoke the admin function is IAM's business.
//!
//! | role (Cognito group) | may |
//! |---|---|
//! | `lecteur` | `list`, `get`, `search`, `stats`, `piece_link`, `failed_mails` |
//! | `gestionnaire` | the above, and `validate_piece`, `reject_piece`, `record_piece`, `validate_dossier`, `recheck`, `extend_deadline` for one candidate |
//! | `responsable` | the above, and `export`, bulk `extend_deadline`, `correct`, `withdraw`, `reopen`, `hold`, `release_hold`, `purge` |
//!
//! The match below is exhaustive, so a new action cannot be forgotten.

use super::events::{Action, AdminEvent};
use super::AdminError;
use crate::domain::staff::{StaffCaller, StaffRole};

/// The code of a refusal for want of a role.
pub const FORBIDDEN_ROLE: &str = "forbidden_role";

/// The role `event` needs.
pub fn required_role(event: &AdminEvent) -> StaffRole {
    match event {
        AdminEvent::List(_)
        | AdminEvent::Get(_)
        | AdminEvent::Search(_)
        | AdminEvent::Stats(_)
        | AdminEvent::PieceLink(_)
        | AdminEvent::FailedMails(_) => StaffRole::Lecteur,
        AdminEvent::ValidatePiece(_)
        | AdminEvent::RejectPiece(_)
        | AdminEvent::RecordPiece(_)
        | AdminEvent::ValidateDossier(_)
        | AdminEvent::Recheck(_)
        | AdminEvent::ExtendDeadline(_) => StaffRole::Gestionnaire,
        AdminEvent::Export(_)
        | AdminEvent::BulkExtendDeadline(_)
        | AdminEvent::Correct(_)
        | AdminEvent::Withdraw(_)
        | AdminEvent::Reopen(_)
        | AdminEvent::Hold(_)
        | AdminEvent::ReleaseHold(_)
        | AdminEvent::Purge(_) => StaffRole::Responsable,
    }
}

/// The least role that may do some form of `action` (`extend_deadline`: one
/// candidate's, a gestionnaire's): checked before the event's fields are
/// read, so that a role that may not never learns more than « not yours ».
pub fn least_role(action: Action) -> StaffRole {
    match action {
        Action::List
        | Action::Get
        | Action::Search
        | Action::Stats
        | Action::PieceLink
        | Action::FailedMails => StaffRole::Lecteur,
        Action::ValidatePiece
        | Action::RejectPiece
        | Action::RecordPiece
        | Action::ValidateDossier
        | Action::Recheck
        | Action::ExtendDeadline => StaffRole::Gestionnaire,
        Action::Export
        | Action::Correct
        | Action::Withdraw
        | Action::Reopen
        | Action::Hold
        | Action::ReleaseHold
        | Action::Purge => StaffRole::Responsable,
    }
}

/// `caller` may do what needs `needed`, or the refusal `forbidden_role`.
pub fn allow(caller: &StaffCaller, needed: StaffRole, action: &str) -> Result<(), AdminError> {
    if caller.role >= needed {
        return Ok(());
    }
    Err(AdminError::new(
        FORBIDDEN_ROLE,
        format!(
            "Votre rôle ({}) ne permet pas l'action « {action} » : elle demande le rôle {} ou plus. Adressez-vous au responsable du bureau des examens.",
            caller.role.label_fr(),
            needed.label_fr()
        ),
    ))
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, NaiveDate, Utc};
    use serde_json::{json, Value};

    use super::*;
    use crate::domain::catalogue::Catalogue;
    use crate::domain::staff::StaffRole::{Gestionnaire, Lecteur, Responsable};

    fn event(value: Value) -> AdminEvent {
        AdminEvent::parse(value, &Catalogue::embedded().unwrap()).unwrap()
    }

    fn until() -> DateTime<Utc> {
        "2030-01-01T00:00:00Z".parse().unwrap()
    }

    /// The contract's table, row by row: each action as an event, and the
    /// role it needs.
    #[test]
    fn each_action_needs_the_role_of_the_contracts_table() {
        let one = json!("zoe@exemple.fr");
        let rows: Vec<(Value, StaffRole)> = vec![
            // lecteur
            (json!({"action": "list"}), Lecteur),
            (json!({"action": "get", "email": one}), Lecteur),
            (json!({"action": "search", "name": "mar"}), Lecteur),
            (json!({"action": "stats"}), Lecteur),
            (
                json!({"action": "piece_link", "email": one, "kind": "identity_document"}),
                Lecteur,
            ),
            (json!({"action": "failed_mails"}), Lecteur),
            // gestionnaire
            (
                json!({"action": "validate_piece", "actor": "x", "email": one, "kind": "identity_document"}),
                Gestionnaire,
            ),
            (
                json!({"action": "reject_piece", "actor": "x", "email": one, "kind": "identity_document", "reason": "Illisible."}),
                Gestionnaire,
            ),
            (
                json!({"action": "record_piece", "actor": "x", "email": one, "kind": "identity_document", "postmarked_on": NaiveDate::from_ymd_opt(2021, 11, 2)}),
                Gestionnaire,
            ),
            (
                json!({"action": "validate_dossier", "actor": "x", "email": one}),
                Gestionnaire,
            ),
            (
                json!({"action": "extend_deadline", "actor": "x", "email": one, "until": until()}),
                Gestionnaire,
            ),
            // responsable
            (json!({"action": "export", "actor": "x"}), Responsable),
            (
                json!({"action": "extend_deadline", "actor": "x", "emails": [one], "until": until()}),
                Responsable,
            ),
            (
                json!({"action": "extend_deadline", "actor": "x", "diploma": "CAP", "until": until()}),
                Responsable,
            ),
            (
                json!({"action": "correct", "actor": "x", "email": one, "identity": {}, "reason": "r"}),
                Responsable,
            ),
            (
                json!({"action": "withdraw", "actor": "x", "email": one, "reason": "r"}),
                Responsable,
            ),
            (
                json!({"action": "reopen", "actor": "x", "email": one}),
                Responsable,
            ),
            (
                json!({"action": "recheck", "actor": "x", "email": one}),
                Gestionnaire,
            ),
            (
                json!({"action": "hold", "actor": "x", "email": one, "reason": "Recours."}),
                Responsable,
            ),
            (
                json!({"action": "release_hold", "actor": "x", "candidate_number": "K7M2-9QXP"}),
                Responsable,
            ),
            (
                json!({"action": "purge", "actor": "x", "session": "2022", "dry_run": true}),
                Responsable,
            ),
        ];
        for (value, role) in &rows {
            let event = event(value.clone());
            assert_eq!(required_role(&event), *role, "{value}");
            // Checked before reading: never above what the event needs.
            assert!(least_role(event.action()) <= *role, "{value}");
        }
        // Every action has its row.
        for name in Action::names() {
            assert!(
                rows.iter().any(|(value, _)| value["action"] == *name),
                "{name} has no row"
            );
        }
    }

    #[test]
    fn a_lower_role_is_refused_naming_the_role_needed() {
        let caller = StaffCaller {
            email: crate::domain::account::Email::parse("a@b.fr").unwrap(),
            role: Gestionnaire,
        };
        assert!(allow(&caller, Lecteur, "list").is_ok());
        assert!(allow(&caller, Gestionnaire, "validate_piece").is_ok());
        let refused = allow(&caller, Responsable, "export").unwrap_err();
        assert_eq!(refused.code, FORBIDDEN_ROLE);
        assert!(
            refused.message.contains("responsable"),
            "{}",
            refused.message
        );
    }
}
