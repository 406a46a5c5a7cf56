//! The admin events, typed: [`AdminEvent`], one variant per [`Action`], each
//! with its fields checked and converted (an address into an [`Email`], a
//! piece kind into a [`PieceKind`]...).
//!
//! An event is read in two steps. Its fields' JSON shape goes through the
//! API's strict parser ([`json::parse_value`]) into the action's `*Fields`
//! struct (every field optional text, or number): an unknown field or a
//! value of the wrong JSON type is found there. Then the fields are checked
//! one by one, in the order the action reads them (a missing one, an empty
//! text, an unknown diploma...). The first problem met is the answer, with a
//! stable code, the field it concerns and a French message; the lists the
//! messages give (the actions, an action's fields) come from the types.

use chrono::{DateTime, NaiveDate, SubsecRound, Utc};
use serde::de::value::{Error as ValueError, StrDeserializer};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;

use super::{AdminError, AdminResult};
use crate::domain::account::Email;
use crate::domain::candidate_number::CandidateNumber;
use crate::domain::catalogue::Catalogue;
use crate::domain::dossier::InscriptionStatus;
use crate::domain::inscription::IdentityInput;
use crate::domain::pieces::PieceKind;
use crate::domain::search;
use crate::domain::transitions::Actor;
use crate::domain::validation::FieldError;
use crate::domain::Diploma;
use crate::error::AppError;
use crate::http::json::{self, serde_names, Parsed, UNKNOWN_FIELD};

/// `list`'s page size, by default and at most.
pub const DEFAULT_LIST_LIMIT: usize = 50;
pub const MAX_LIST_LIMIT: usize = 500;
const MAX_ACTOR_CHARS: usize = 100;
const MAX_REASON_CHARS: usize = 1000;
/// The addresses one bulk `extend_deadline` may name.
pub const MAX_BULK_EMAILS: usize = 10_000;

/// The refusals of an event that cannot be read.
const INVALID_EVENT: &str = "invalid_event";
const UNKNOWN_ACTION: &str = "unknown_action";
/// The refusal of an actor name the history reserves.
const INVALID_ACTOR: &str = "invalid_actor";

/// What an event asks, as its `action` field names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    List,
    Get,
    ValidatePiece,
    RejectPiece,
    ExtendDeadline,
    Export,
    RecordPiece,
    ValidateDossier,
    Correct,
    Withdraw,
    Reopen,
    PieceLink,
    Search,
    Stats,
    FailedMails,
    Recheck,
    Hold,
    ReleaseHold,
    Purge,
}

impl Action {
    /// Every action's name, in the enum's order.
    pub fn names() -> &'static [&'static str] {
        serde_names::<Action>()
    }

    /// The action's name, as events write it.
    pub fn name(self) -> &'static str {
        // The variants are numbered in declaration order, as serde lists them.
        Self::names()[self as usize]
    }

    /// The action named `name`, if there is one.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::deserialize(StrDeserializer::<ValueError>::new(name)).ok()
    }
}

/// An admin event, read and checked.
#[derive(Debug, Clone, PartialEq)]
pub enum AdminEvent {
    List(ListEvent),
    Get(GetEvent),
    ValidatePiece(ValidatePieceEvent),
    RejectPiece(RejectPieceEvent),
    ExtendDeadline(ExtendDeadlineEvent),
    /// `extend_deadline` naming several candidates (`emails`, or a
    /// `diploma` and maybe a `specialty`): a resumable job.
    BulkExtendDeadline(BulkExtendEvent),
    Export(ExportEvent),
    RecordPiece(RecordPieceEvent),
    ValidateDossier(ValidateDossierEvent),
    Correct(CorrectEvent),
    Withdraw(WithdrawEvent),
    Reopen(ReopenEvent),
    PieceLink(PieceLinkEvent),
    Search(SearchEvent),
    Stats(StatsEvent),
    FailedMails(FailedMailsEvent),
    /// The stored files of one candidate's pending uploads checked again.
    Recheck(RecheckEvent),
    /// A legal hold on one candidate's dossier (the purge keeps it).
    Hold(HoldEvent),
    ReleaseHold(ReleaseHoldEvent),
    /// A closed session's personal data deleted, page by page.
    Purge(PurgeEvent),
}

/// The candidate an event names: by the account's `email` or by
/// `candidate_number`, exactly one of the two. Every event about one
/// candidate takes it: give its fields' struct `email` and
/// `candidate_number` (both `Option<String>`) and read them with
/// [`Check::candidate`]; `candidate::candidate` finds them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CandidateRef {
    Email(Email),
    Number(CandidateNumber),
}

impl CandidateRef {
    /// The event's field that named the candidate (for refusals).
    pub fn field(&self) -> &'static str {
        match self {
            CandidateRef::Email(_) => "email",
            CandidateRef::Number(_) => "candidate_number",
        }
    }
}

/// Which inscriptions `list` and `export` take.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub diploma: Option<Diploma>,
    /// A specialty of the catalogue (of `diploma`, when given).
    pub specialty: Option<String>,
    pub status: Option<InscriptionStatus>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListEvent {
    /// Who reads (optional for a read).
    pub actor: Option<Actor>,
    /// The session listed (`None`: the deployment's).
    pub session: Option<String>,
    pub filter: Filter,
    /// 1 to [`MAX_LIST_LIMIT`].
    pub limit: usize,
    pub cursor: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetEvent {
    /// Who reads: journaled as `console:<actor>`, or `console` without one.
    pub actor: Option<Actor>,
    pub candidate: CandidateRef,
    /// `None`: the deployment's session.
    pub session: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidatePieceEvent {
    pub actor: Actor,
    pub candidate: CandidateRef,
    pub kind: PieceKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectPieceEvent {
    pub actor: Actor,
    pub candidate: CandidateRef,
    pub kind: PieceKind,
    /// At most [`MAX_REASON_CHARS`] characters.
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtendDeadlineEvent {
    pub actor: Actor,
    pub candidate: CandidateRef,
    /// Whole milliseconds.
    pub until: DateTime<Utc>,
}

/// `piece_link`: a short-lived link to one file of a candidate's piece.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PieceLinkEvent {
    /// Who looks; a console read without one is journaled as `console`.
    pub actor: Option<Actor>,
    pub candidate: CandidateRef,
    pub kind: PieceKind,
    /// The file's id; by default the newest file that counts.
    pub file: Option<String>,
}

/// `search`: at least one criterion; every one given must match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchEvent {
    /// Journaled with each hit (`None`: a console read, `console`).
    pub actor: Option<Actor>,
    /// A prefix of the last name or of a first name (any case, any accents).
    pub name: Option<String>,
    pub birth_date: Option<NaiveDate>,
    pub candidate_number: Option<CandidateNumber>,
    pub session: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatsEvent {
    pub actor: Option<Actor>,
    pub diploma: Option<Diploma>,
    pub session: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedMailsEvent {
    pub actor: Option<Actor>,
    pub session: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportEvent {
    pub actor: Actor,
    pub filter: Filter,
}

/// A piece received by post, as the office reads it on the envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordPieceEvent {
    pub actor: Actor,
    pub candidate: CandidateRef,
    pub kind: PieceKind,
    /// The postmark's date (« cachet de la poste »).
    pub postmarked_on: NaiveDate,
    /// For the signed confirmation: the version printed on it.
    pub version: Option<u64>,
}

/// Whom a bulk extension names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BulkTargets {
    /// These addresses (each once, in the order first given).
    Emails(Vec<Email>),
    /// Every inscription of a diploma (of one specialty, when given).
    Diploma {
        diploma: Diploma,
        specialty: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkExtendEvent {
    pub actor: Actor,
    pub targets: BulkTargets,
    /// Whole milliseconds.
    pub until: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecheckEvent {
    pub actor: Actor,
    pub candidate: CandidateRef,
}

/// `hold`: the dossier kept beyond its retention, for `reason`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoldEvent {
    pub actor: Actor,
    pub candidate: CandidateRef,
    pub reason: String,
    /// The dossier's session (`None`: the deployment's).
    pub session: Option<String>,
}

/// `release_hold`: the hold lifted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseHoldEvent {
    pub actor: Actor,
    pub candidate: CandidateRef,
    pub session: Option<String>,
}

/// `purge`: a closed session's personal data deleted (or, `dry_run`, only
/// counted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PurgeEvent {
    pub actor: Actor,
    /// The session purged (required: a purge never defaults to one).
    pub session: String,
    pub dry_run: bool,
    /// Where a dry run that ran out of time goes on (its answer's `cursor`).
    pub cursor: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidateDossierEvent {
    pub actor: Actor,
    pub candidate: CandidateRef,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CorrectEvent {
    pub actor: Actor,
    pub candidate: CandidateRef,
    /// The whole new identity, as `PUT /inscription` takes it (validated
    /// against the dossier by the action).
    pub identity: Box<IdentityInput>,
    /// Values of the wrong JSON type inside `identity` (left out of it),
    /// reported with the validation's errors.
    pub type_errors: Vec<FieldError>,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WithdrawEvent {
    pub actor: Actor,
    pub candidate: CandidateRef,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReopenEvent {
    pub actor: Actor,
    pub candidate: CandidateRef,
    /// A new documents deadline (whole milliseconds), if given.
    pub until: Option<DateTime<Utc>>,
}

impl AdminEvent {
    /// Reads `event`; `catalogue` knows the specialties a filter may name.
    pub fn parse(event: Value, catalogue: &Catalogue) -> AdminResult<Self> {
        Self::parse_as(event, catalogue, None)
    }

    /// Reads an event of the Office API, sent by `staff`: the actor of the
    /// event (of a read too), which names none itself (an `actor` field is
    /// refused).
    pub fn parse_for_staff(event: Value, catalogue: &Catalogue, staff: Actor) -> AdminResult<Self> {
        Self::parse_as(event, catalogue, Some(&staff))
    }

    fn parse_as(event: Value, catalogue: &Catalogue, staff: Option<&Actor>) -> AdminResult<Self> {
        let Value::Object(mut fields) = event else {
            return Err(AdminError::new(
                INVALID_EVENT,
                "L'évènement doit être un objet JSON, par exemple {\"action\": \"list\"}.",
            ));
        };
        let action = match fields.remove("action") {
            Some(Value::String(action)) => action,
            Some(_) => {
                return Err(AdminError::field(
                    INVALID_EVENT,
                    "action",
                    "Le champ « action » doit être une chaîne de caractères.",
                ))
            }
            None => {
                return Err(AdminError::field(
                    INVALID_EVENT,
                    "action",
                    format!("Le champ « action » est obligatoire : {}.", action_names()),
                ))
            }
        };
        let Some(action) = Action::from_name(&action) else {
            return Err(AdminError::field(
                UNKNOWN_ACTION,
                "action",
                format!("L'action « {action} » n'existe pas : {}.", action_names()),
            ));
        };
        let fields = Value::Object(fields);
        Ok(match action {
            Action::List => {
                let (fields, check) = read::<ListFields>(action, fields, staff)?;
                Self::List(fields.check(&check, catalogue)?)
            }
            Action::Get => {
                let (fields, check) = read::<GetFields>(action, fields, staff)?;
                Self::Get(fields.check(&check)?)
            }
            Action::ValidatePiece => {
                let (fields, check) = read::<ValidatePieceFields>(action, fields, staff)?;
                Self::ValidatePiece(fields.check(&check)?)
            }
            Action::RejectPiece => {
                let (fields, check) = read::<RejectPieceFields>(action, fields, staff)?;
                Self::RejectPiece(fields.check(&check)?)
            }
            Action::ExtendDeadline => {
                let (fields, check) = read::<ExtendDeadlineFields>(action, fields, staff)?;
                fields.check(&check, catalogue)?
            }
            Action::Export => {
                let (fields, check) = read::<ExportFields>(action, fields, staff)?;
                Self::Export(fields.check(&check, catalogue)?)
            }
            Action::RecordPiece => {
                let (fields, check) = read::<RecordPieceFields>(action, fields, staff)?;
                Self::RecordPiece(fields.check(&check)?)
            }
            Action::ValidateDossier => {
                let (fields, check) = read::<ValidateDossierFields>(action, fields, staff)?;
                Self::ValidateDossier(fields.check(&check)?)
            }
            Action::Correct => {
                let (fields, check) = read::<CorrectFields>(action, fields, staff)?;
                Self::Correct(fields.check(&check)?)
            }
            Action::Withdraw => {
                let (fields, check) = read::<WithdrawFields>(action, fields, staff)?;
                Self::Withdraw(fields.check(&check)?)
            }
            Action::Reopen => {
                let (fields, check) = read::<ReopenFields>(action, fields, staff)?;
                Self::Reopen(fields.check(&check)?)
            }
            Action::PieceLink => {
                let (fields, check) = read::<PieceLinkFields>(action, fields, staff)?;
                Self::PieceLink(fields.check(&check)?)
            }
            Action::Search => {
                let (fields, check) = read::<SearchFields>(action, fields, staff)?;
                Self::Search(fields.check(&check)?)
            }
            Action::Stats => {
                let (fields, check) = read::<StatsFields>(action, fields, staff)?;
                Self::Stats(fields.check(&check)?)
            }
            Action::FailedMails => {
                let (fields, check) = read::<FailedMailsFields>(action, fields, staff)?;
                Self::FailedMails(fields.check(&check)?)
            }
            Action::Recheck => {
                let (fields, check) = read::<RecheckFields>(action, fields, staff)?;
                Self::Recheck(fields.check(&check)?)
            }
            Action::Hold => {
                let (fields, check) = read::<HoldFields>(action, fields, staff)?;
                Self::Hold(fields.check(&check)?)
            }
            Action::ReleaseHold => {
                let (fields, check) = read::<ReleaseHoldFields>(action, fields, staff)?;
                Self::ReleaseHold(fields.check(&check)?)
            }
            Action::Purge => {
                let (fields, check) = read::<PurgeFields>(action, fields, staff)?;
                Self::Purge(fields.check(&check)?)
            }
        })
    }

    pub fn action(&self) -> Action {
        match self {
            Self::List(_) => Action::List,
            Self::Get(_) => Action::Get,
            Self::ValidatePiece(_) => Action::ValidatePiece,
            Self::RejectPiece(_) => Action::RejectPiece,
            Self::ExtendDeadline(_) | Self::BulkExtendDeadline(_) => Action::ExtendDeadline,
            Self::Export(_) => Action::Export,
            Self::RecordPiece(_) => Action::RecordPiece,
            Self::ValidateDossier(_) => Action::ValidateDossier,
            Self::Correct(_) => Action::Correct,
            Self::Withdraw(_) => Action::Withdraw,
            Self::Reopen(_) => Action::Reopen,
            Self::PieceLink(_) => Action::PieceLink,
            Self::Search(_) => Action::Search,
            Self::Stats(_) => Action::Stats,
            Self::FailedMails(_) => Action::FailedMails,
            Self::Recheck(_) => Action::Recheck,
            Self::Hold(_) => Action::Hold,
            Self::ReleaseHold(_) => Action::ReleaseHold,
            Self::Purge(_) => Action::Purge,
        }
    }
}

fn action_names() -> String {
    let names: Vec<String> = Action::names()
        .iter()
        .map(|name| format!("« {name} »"))
        .collect();
    format!("les actions possibles sont {}", names.join(", "))
}

mod check;
mod fields;

use check::Check;
use fields::*;

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn catalogue() -> Catalogue {
        Catalogue::embedded().unwrap()
    }

    fn parse(event: Value) -> AdminResult<AdminEvent> {
        AdminEvent::parse(event, &catalogue())
    }

    /// The refusal of `event`: its code, field and message.
    fn refusal(event: Value) -> (&'static str, Option<String>, String) {
        let error = parse(event.clone()).expect_err(&event.to_string());
        (error.code, error.field, error.message)
    }

    fn field(
        code: &'static str,
        field: &str,
        message: &str,
    ) -> (&'static str, Option<String>, String) {
        (code, Some(field.to_owned()), message.to_owned())
    }

    fn email(text: &str) -> Email {
        Email::parse(text).unwrap()
    }

    #[test]
    fn the_actions_are_named_from_the_enum() {
        assert_eq!(
            Action::names(),
            [
                "list",
                "get",
                "validate_piece",
                "reject_piece",
                "extend_deadline",
                "export",
                "record_piece",
                "validate_dossier",
                "correct",
                "withdraw",
                "reopen",
                "piece_link",
                "search",
                "stats",
                "failed_mails",
                "recheck",
                "hold",
                "release_hold",
                "purge"
            ]
        );
        for name in Action::names() {
            assert_eq!(Action::from_name(name).map(Action::name), Some(*name));
        }
        assert_eq!(Action::from_name("List"), None);
        assert_eq!(Action::from_name(""), None);
    }

    #[test]
    fn each_action_lists_its_fields_in_order() {
        let id = ["actor", "email", "candidate_number"];
        let with = |more: &[&'static str]| [&id[..], more].concat();
        assert_eq!(
            serde_names::<ListFields>(),
            [
                "actor",
                "session",
                "diploma",
                "specialty",
                "status",
                "cursor",
                "limit"
            ]
        );
        assert_eq!(serde_names::<GetFields>(), with(&["session"]));
        assert_eq!(serde_names::<ValidatePieceFields>(), with(&["kind"]));
        assert_eq!(
            serde_names::<RejectPieceFields>(),
            with(&["kind", "reason"])
        );
        assert_eq!(
            serde_names::<ExtendDeadlineFields>(),
            with(&["emails", "diploma", "specialty", "until"])
        );
        assert_eq!(
            serde_names::<ExportFields>(),
            ["actor", "diploma", "specialty", "status"]
        );
        assert_eq!(
            serde_names::<RecordPieceFields>(),
            with(&["kind", "postmarked_on", "version"])
        );
        assert_eq!(serde_names::<ValidateDossierFields>(), with(&[]));
        assert_eq!(
            serde_names::<CorrectFields>(),
            with(&["identity", "reason"])
        );
        assert_eq!(serde_names::<WithdrawFields>(), with(&["reason"]));
        assert_eq!(serde_names::<ReopenFields>(), with(&["until"]));
        assert_eq!(serde_names::<PieceLinkFields>(), with(&["kind", "file"]));
        assert_eq!(
            serde_names::<SearchFields>(),
            ["actor", "name", "birth_date", "candidate_number", "session"]
        );
        assert_eq!(
            serde_names::<StatsFields>(),
            ["actor", "diploma", "session"]
        );
        assert_eq!(serde_names::<FailedMailsFields>(), ["actor", "session"]);
        assert_eq!(serde_names::<RecheckFields>(), with(&[]));
        assert_eq!(serde_names::<HoldFields>(), with(&["reason", "session"]));
        assert_eq!(serde_names::<ReleaseHoldFields>(), with(&["session"]));
        assert_eq!(
            serde_names::<PurgeFields>(),
            ["actor", "session", "dry_run", "cursor"]
        );
    }

    #[test]
    fn hold_release_and_purge_read_their_fields() {
        assert_eq!(
            parse(json!({"action": "hold", "actor": "x", "candidate_number": "K7M2-9QXP", "reason": "Recours."})).unwrap(),
            AdminEvent::Hold(HoldEvent {
                actor: "x".into(),
                candidate: CandidateRef::Number(CandidateNumber::parse("K7M2-9QXP").unwrap()),
                reason: "Recours.".into(),
                session: None,
            })
        );
        assert_eq!(
            refusal(json!({"action": "hold", "actor": "x", "email": "zoe@exemple.fr"})).1,
            Some("reason".into())
        );
        assert_eq!(
            parse(json!({"action": "release_hold", "actor": "x", "email": "zoe@exemple.fr", "session": "2022"})).unwrap(),
            AdminEvent::ReleaseHold(ReleaseHoldEvent {
                actor: "x".into(),
                candidate: CandidateRef::Email(email("zoe@exemple.fr")),
                session: Some("2022".into()),
            })
        );
        assert_eq!(
            parse(json!({"action": "purge", "actor": "x", "session": "2022"})).unwrap(),
            AdminEvent::Purge(PurgeEvent {
                actor: "x".into(),
                session: "2022".into(),
                dry_run: false,
                cursor: None,
            })
        );
        assert_eq!(
            refusal(json!({"action": "purge", "actor": "x"})).1,
            Some("session".into())
        );
        assert_eq!(
            refusal(json!({"action": "purge", "actor": "x", "session": "2022", "dry_run": "yes"}))
                .1,
            Some("dry_run".into())
        );
        assert_eq!(
            refusal(json!({"action": "purge", "actor": "x", "session": "2022", "cursor": "abc"})).1,
            Some("cursor".into())
        );
        assert_eq!(
            refusal(json!({"action": "purge", "session": "2022"})).1,
            Some("actor".into())
        );
    }

    #[test]
    fn recheck_names_one_candidate_and_its_actor() {
        let event = parse(json!({
            "action": "recheck", "actor": "M. Martin", "email": "zoe@exemple.fr"
        }));
        assert!(
            matches!(event, Ok(AdminEvent::Recheck(RecheckEvent { ref actor, .. })) if *actor == Actor::Admin("M. Martin".into()))
        );
        assert!(parse(json!({"action": "recheck", "email": "zoe@exemple.fr"})).is_err());
        assert!(parse(json!({"action": "recheck", "actor": "x"})).is_err());
    }

    #[test]
    fn record_piece_reads_its_postmark_and_version() {
        let event = parse(json!({
            "action": "record_piece", "actor": "M. Martin", "email": "zoe@exemple.fr",
            "kind": "signed_confirmation", "postmarked_on": "2021-11-05", "version": 2
        }))
        .unwrap();
        assert_eq!(
            event,
            AdminEvent::RecordPiece(RecordPieceEvent {
                actor: "M. Martin".into(),
                candidate: CandidateRef::Email(email("zoe@exemple.fr")),
                kind: PieceKind::SignedConfirmation,
                postmarked_on: NaiveDate::from_ymd_opt(2021, 11, 5).unwrap(),
                version: Some(2),
            })
        );
        assert_eq!(event.action(), Action::RecordPiece);
        let base = json!({"action": "record_piece", "actor": "x", "email": "zoe@exemple.fr", "kind": "identity_document"});
        let with = |field: &str, value: Value| {
            let mut event = base.clone();
            event[field] = value;
            event
        };
        assert_eq!(
            refusal(base.clone()),
            field(
                "invalid_event",
                "postmarked_on",
                "Le champ « postmarked_on » est obligatoire pour l'action « record_piece »."
            )
        );
        for day in ["05/11/2021", "2021-11-31", "demain"] {
            assert_eq!(
                refusal(with("postmarked_on", json!(day))),
                field(
                    "invalid_event",
                    "postmarked_on",
                    &format!("« {day} » n'est pas une date AAAA-MM-JJ, par exemple 2021-11-05.")
                )
            );
        }
        let dated = with("postmarked_on", json!("2021-11-05"));
        let mut bad_version = dated.clone();
        for version in [json!("2"), json!(0), json!(-1), json!(1.5)] {
            bad_version["version"] = version;
            assert_eq!(refusal(bad_version.clone()).1, Some("version".into()));
        }
        // The version may be left out here: the decision needs it only for
        // the signed confirmation.
        assert!(parse(dated).is_ok());
    }

    #[test]
    fn list_reads_its_filters_limit_and_cursor() {
        assert_eq!(
            parse(json!({"action": "list"})).unwrap(),
            AdminEvent::List(ListEvent {
                actor: None,
                session: None,
                filter: Filter::default(),
                limit: DEFAULT_LIST_LIMIT,
                cursor: None,
            })
        );
        let event = parse(json!({
            "action": "list", "diploma": "BAC_PRO", "specialty": " MCV_A ",
            "status": "complete", "limit": 500, "cursor": "abc", "specialty_label": null
        }));
        // An unknown field is refused even when null.
        assert!(event.is_err());
        let event = parse(json!({
            "action": "list", "diploma": "BAC_PRO", "specialty": " MCV_A ",
            "status": "complete", "limit": 500, "cursor": "abc"
        }))
        .unwrap();
        assert_eq!(
            event,
            AdminEvent::List(ListEvent {
                actor: None,
                session: None,
                filter: Filter {
                    diploma: Some(Diploma::BacPro),
                    specialty: Some("MCV_A".into()),
                    status: Some(InscriptionStatus::Complete),
                },
                limit: MAX_LIST_LIMIT,
                cursor: Some("abc".into()),
            })
        );
        assert_eq!(event.action(), Action::List);
        // `null` is as good as absent.
        assert_eq!(
            parse(json!({"action": "list", "diploma": null, "limit": null})).unwrap(),
            parse(json!({"action": "list"})).unwrap()
        );
    }

    #[test]
    fn get_reads_an_address() {
        let event = parse(json!({"action": "get", "email": " Zoe.Martin@Exemple.fr "})).unwrap();
        assert_eq!(
            event,
            AdminEvent::Get(GetEvent {
                actor: None,
                candidate: CandidateRef::Email(email("Zoe.Martin@Exemple.fr")),
                session: None,
            })
        );
        assert_eq!(event.action(), Action::Get);
    }

    #[test]
    fn the_changes_read_their_actor_address_and_piece() {
        let event = parse(json!({
            "action": "validate_piece", "actor": " M. Martin (DIEC 3.05) ",
            "email": "zoe@exemple.fr", "kind": "identity_document"
        }))
        .unwrap();
        assert_eq!(
            event,
            AdminEvent::ValidatePiece(ValidatePieceEvent {
                actor: "M. Martin (DIEC 3.05)".into(),
                candidate: CandidateRef::Email(email("zoe@exemple.fr")),
                kind: PieceKind::IdentityDocument,
            })
        );
        let event = parse(json!({
            "action": "reject_piece", "actor": "M. Martin", "email": "zoe@exemple.fr",
            "kind": "identity_document", "reason": "Illisible."
        }))
        .unwrap();
        assert_eq!(
            event,
            AdminEvent::RejectPiece(RejectPieceEvent {
                actor: "M. Martin".into(),
                candidate: CandidateRef::Email(email("zoe@exemple.fr")),
                kind: PieceKind::IdentityDocument,
                reason: "Illisible.".into(),
            })
        );
        let event = parse(json!({
            "action": "extend_deadline", "actor": "M. Martin", "email": "zoe@exemple.fr",
            "until": "2021-11-14T23:59:59.9999+01:00"
        }))
        .unwrap();
        let until = DateTime::parse_from_rfc3339("2021-11-14T22:59:59.999Z").unwrap();
        assert_eq!(
            event,
            AdminEvent::ExtendDeadline(ExtendDeadlineEvent {
                actor: "M. Martin".into(),
                candidate: CandidateRef::Email(email("zoe@exemple.fr")),
                until: until.with_timezone(&Utc),
            })
        );
        assert_eq!(event.action(), Action::ExtendDeadline);
    }

    #[test]
    fn export_reads_its_actor_and_filters() {
        let event =
            parse(json!({"action": "export", "actor": "M. Martin", "diploma": "CAP"})).unwrap();
        assert_eq!(
            event,
            AdminEvent::Export(ExportEvent {
                actor: "M. Martin".into(),
                filter: Filter {
                    diploma: Some(Diploma::Cap),
                    ..Filter::default()
                },
            })
        );
    }

    #[test]
    fn an_event_that_is_not_an_action_is_refused() {
        for event in [json!([1, 2]), json!("list"), json!(null)] {
            assert_eq!(
                refusal(event),
                (
                    "invalid_event",
                    None,
                    "L'évènement doit être un objet JSON, par exemple {\"action\": \"list\"}."
                        .into()
                )
            );
        }
        let names = "les actions possibles sont « list », « get », « validate_piece », « reject_piece », « extend_deadline », « export », « record_piece », « validate_dossier », « correct », « withdraw », « reopen », « piece_link », « search », « stats », « failed_mails », « recheck », « hold », « release_hold », « purge »";
        assert_eq!(
            refusal(json!({})),
            field(
                "invalid_event",
                "action",
                &format!("Le champ « action » est obligatoire : {names}.")
            )
        );
        assert_eq!(
            refusal(json!({"action": 3})),
            field(
                "invalid_event",
                "action",
                "Le champ « action » doit être une chaîne de caractères."
            )
        );
        assert_eq!(
            refusal(json!({"action": "drop_table", "email": 5})),
            field(
                "unknown_action",
                "action",
                &format!("L'action « drop_table » n'existe pas : {names}.")
            )
        );
    }

    #[test]
    fn an_unknown_field_is_refused_first_with_the_actions_fields() {
        assert_eq!(
            refusal(json!({"action": "list", "colour": "blue", "limit": "ten"})),
            field(
                "invalid_event",
                "colour",
                "Le champ « colour » n'est pas attendu pour l'action « list » (champs possibles : actor, session, diploma, specialty, status, cursor, limit)."
            )
        );
        assert_eq!(
            refusal(json!({"action": "export", "actor": "x", "cursor": "abc"})),
            field(
                "invalid_event",
                "cursor",
                "Le champ « cursor » n'est pas attendu pour l'action « export » (champs possibles : actor, diploma, specialty, status)."
            )
        );
        // Even before a missing field.
        assert_eq!(
            refusal(json!({"action": "get", "mail": "zoe@exemple.fr"})).1,
            Some("mail".into())
        );
    }

    #[test]
    fn a_mistyped_field_is_refused() {
        assert_eq!(
            refusal(json!({"action": "get", "email": 42})),
            field(
                "invalid_event",
                "email",
                "Le champ « email » doit être une chaîne de caractères."
            )
        );
        for limit in [json!("ten"), json!(0), json!(501), json!(-1), json!(2.5)] {
            assert_eq!(
                refusal(json!({"action": "list", "limit": limit})),
                field(
                    "invalid_event",
                    "limit",
                    "Le champ « limit » est un nombre entier de 1 à 500."
                )
            );
        }
        assert_eq!(
            refusal(
                json!({"action": "validate_piece", "actor": "x", "email": "zoe@exemple.fr", "kind": "passport"})
            ),
            field(
                "invalid_event",
                "kind",
                &format!(
                    "« passport » n'est pas une sorte de pièce ; sortes possibles : {}.",
                    PieceKind::ALL.map(PieceKind::code).join(", ")
                )
            )
        );
        assert_eq!(
            refusal(json!({"action": "extend_deadline", "actor": "x", "email": "zoe@exemple.fr", "until": "next monday"})),
            field(
                "invalid_event",
                "until",
                "« next monday » n'est pas un instant RFC 3339, par exemple 2021-11-14T23:59:59+01:00."
            )
        );
        assert_eq!(
            refusal(json!({"action": "get", "email": "not-an-address"})),
            field(
                "invalid_event",
                "email",
                "« not-an-address » n'est pas une adresse électronique valide."
            )
        );
    }

    #[test]
    fn a_missing_or_empty_field_is_refused_naming_the_action() {
        let required =
            "Le champ « email » (ou « candidate_number ») est obligatoire pour l'action « get ».";
        for event in [
            json!({"action": "get"}),
            json!({"action": "get", "email": null}),
        ] {
            assert_eq!(refusal(event), field("invalid_event", "email", required));
        }
        assert_eq!(
            refusal(json!({"action": "get", "email": "  "})),
            field(
                "invalid_event",
                "email",
                "Le champ « email » ne peut pas être vide."
            )
        );
        assert_eq!(
            refusal(
                json!({"action": "reject_piece", "actor": "x", "email": "zoe@exemple.fr", "kind": "identity_document"})
            ),
            field(
                "invalid_event",
                "reason",
                "Le champ « reason » est obligatoire pour l'action « reject_piece »."
            )
        );
        assert_eq!(
            refusal(json!({"action": "export", "diploma": "CAP"})),
            field(
                "invalid_event",
                "actor",
                "Le champ « actor » est obligatoire pour l'action « export »."
            )
        );
    }

    #[test]
    fn fields_are_checked_in_the_order_the_action_reads_them() {
        // The actor before the address, whatever the JSON's order.
        assert_eq!(
            refusal(json!({"action": "validate_piece", "email": 5, "kind": "x"})).1,
            Some("actor".into())
        );
        // The specialty (against the catalogue) before the status and the limit.
        assert_eq!(
            refusal(
                json!({"action": "list", "limit": "ten", "status": "lost", "diploma": "CAP", "specialty": "MCV_A"})
            ),
            field(
                "invalid_event",
                "specialty",
                "La spécialité « MCV_A » n'existe pas au catalogue pour le diplôme CAP."
            )
        );
        assert_eq!(
            refusal(json!({"action": "list", "limit": "ten", "status": "lost"})),
            field(
                "invalid_event",
                "status",
                "Le statut « lost » est inconnu : registered, complete, validated, cancelled ou withdrawn."
            )
        );
        assert_eq!(
            refusal(json!({"action": "list", "diploma": "LICENCE", "status": 1})),
            field(
                "invalid_event",
                "diploma",
                "Le diplôme « LICENCE » est inconnu : BAC_PRO, MC, BP ou CAP."
            )
        );
        assert_eq!(
            refusal(json!({"action": "list", "specialty": "NOPE"})),
            field(
                "invalid_event",
                "specialty",
                "La spécialité « NOPE » n'existe pas au catalogue."
            )
        );
    }

    #[test]
    fn a_candidate_is_named_by_email_or_by_number_exactly_once() {
        let number = CandidateNumber::parse("K7M2-9QXP").unwrap();
        assert_eq!(
            parse(json!({"action": "get", "candidate_number": " k7m2 9qxp "})).unwrap(),
            AdminEvent::Get(GetEvent {
                actor: None,
                candidate: CandidateRef::Number(number.clone()),
                session: None,
            })
        );
        let event = parse(json!({
            "action": "extend_deadline", "actor": "M. Martin", "candidate_number": "K7M2-9QXP",
            "until": "2021-11-14T23:59:59+01:00"
        }))
        .unwrap();
        let AdminEvent::ExtendDeadline(event) = event else {
            panic!("{event:?}")
        };
        assert_eq!(event.candidate, CandidateRef::Number(number));
        assert_eq!(
            refusal(json!({"action": "get", "email": "zoe@exemple.fr", "candidate_number": "K7M2-9QXP"})),
            field(
                "invalid_event",
                "candidate_number",
                "Désignez le candidat par « email » ou par « candidate_number », pas les deux, pour l'action « get »."
            )
        );
        assert_eq!(
            refusal(
                json!({"action": "validate_piece", "actor": "x", "candidate_number": "K7M2", "kind": "identity_document"})
            ),
            field(
                "invalid_event",
                "candidate_number",
                "« K7M2 » n'est pas un numéro de candidat (8 caractères, par exemple K7M2-9QXP)."
            )
        );
    }

    #[test]
    fn search_stats_and_failed_mails_read_their_criteria() {
        let event = parse(json!({
            "action": "search", "name": "lefe", "birth_date": "2004-03-21", "session": "2022"
        }))
        .unwrap();
        assert_eq!(
            event,
            AdminEvent::Search(SearchEvent {
                actor: None,
                name: Some("lefe".into()),
                birth_date: NaiveDate::from_ymd_opt(2004, 3, 21),
                candidate_number: None,
                session: Some("2022".into()),
            })
        );
        assert_eq!(refusal(json!({"action": "search"})).0, "invalid_event");
        assert_eq!(
            refusal(json!({"action": "search", "name": " -' "})).1,
            Some("name".into())
        );
        assert_eq!(
            refusal(json!({"action": "search", "birth_date": "21/03/2004"})).1,
            Some("birth_date".into())
        );
        assert_eq!(
            refusal(json!({"action": "stats", "session": "deux mille"})),
            field(
                "invalid_event",
                "session",
                "« deux mille » n'est pas une session : donnez son année, par exemple 2022."
            )
        );
        assert_eq!(
            parse(json!({"action": "stats", "diploma": "CAP", "actor": "M. Martin"})).unwrap(),
            AdminEvent::Stats(StatsEvent {
                actor: Some("M. Martin".into()),
                diploma: Some(Diploma::Cap),
                session: None,
            })
        );
        assert_eq!(
            parse(json!({"action": "failed_mails"})).unwrap(),
            AdminEvent::FailedMails(FailedMailsEvent {
                actor: None,
                session: None,
            })
        );
    }

    #[test]
    fn long_or_multiline_texts_are_refused() {
        assert_eq!(
            refusal(json!({"action": "export", "actor": "M. Martin\nDIEC"})),
            field(
                "invalid_event",
                "actor",
                "Le champ « actor » nomme l'agent en 100 caractères au plus, sans retour à la ligne."
            )
        );
        assert_eq!(
            refusal(json!({"action": "export", "actor": "a".repeat(101)})).1,
            Some("actor".into())
        );
        assert!(parse(json!({"action": "export", "actor": "a".repeat(100)})).is_ok());
        let reject = |reason: String| {
            json!({"action": "reject_piece", "actor": "x", "email": "zoe@exemple.fr",
                   "kind": "identity_document", "reason": reason})
        };
        assert_eq!(
            refusal(reject("x".repeat(1001))),
            field(
                "invalid_event",
                "reason",
                "Le motif tient en 1000 caractères au plus."
            )
        );
        assert!(parse(reject("é".repeat(1000))).is_ok());
    }

    #[test]
    fn reserved_actor_names_are_refused() {
        for actor in ["system", "Candidate", "console:Durand", "staff:a@b.fr"] {
            let (code, field, message) = refusal(json!({
                "action": "validate_dossier", "actor": actor, "email": "zoe@exemple.fr"
            }));
            assert_eq!((code, field.as_deref()), ("invalid_actor", Some("actor")));
            assert!(!message.is_empty());
        }
        // A read names its actor optionally, checked the same way.
        assert_eq!(
            refusal(json!({"action": "get", "actor": "system", "email": "zoe@exemple.fr"})).0,
            "invalid_actor"
        );
        assert_eq!(
            parse(json!({"action": "get", "actor": "M. Martin", "email": "zoe@exemple.fr"}))
                .unwrap(),
            AdminEvent::Get(GetEvent {
                actor: Some("M. Martin".into()),
                candidate: CandidateRef::Email(email("zoe@exemple.fr")),
                session: None,
            })
        );
    }

    #[test]
    fn extend_deadline_names_one_candidate_a_list_or_a_diploma() {
        let until = "2021-11-20T23:59:59+01:00";
        let bulk = parse(json!({
            "action": "extend_deadline", "actor": "x", "until": until,
            "emails": ["a@exemple.fr", "A@Exemple.fr", "b@exemple.fr"]
        }))
        .unwrap();
        let AdminEvent::BulkExtendDeadline(bulk) = bulk else {
            panic!("a bulk event")
        };
        assert_eq!(
            bulk.targets,
            BulkTargets::Emails(vec![email("a@exemple.fr"), email("b@exemple.fr")])
        );
        let by_diploma = parse(json!({
            "action": "extend_deadline", "actor": "x", "until": until, "diploma": "CAP"
        }))
        .unwrap();
        assert!(matches!(
            by_diploma,
            AdminEvent::BulkExtendDeadline(BulkExtendEvent {
                targets: BulkTargets::Diploma {
                    diploma: Diploma::Cap,
                    specialty: None
                },
                ..
            })
        ));
        assert_eq!(by_diploma.action(), Action::ExtendDeadline);
        for event in [
            json!({"action": "extend_deadline", "actor": "x", "until": until,
                   "email": "a@exemple.fr", "emails": ["b@exemple.fr"]}),
            json!({"action": "extend_deadline", "actor": "x", "until": until}),
            json!({"action": "extend_deadline", "actor": "x", "until": until, "emails": []}),
            json!({"action": "extend_deadline", "actor": "x", "until": until, "emails": ["nope"]}),
            json!({"action": "extend_deadline", "actor": "x", "until": until, "specialty": "MELEC"}),
        ] {
            assert_eq!(refusal(event).0, "invalid_event");
        }
    }

    #[test]
    fn the_new_actions_read_their_fields() {
        assert_eq!(
            parse(json!({"action": "withdraw", "actor": "x", "email": "zoe@exemple.fr", "reason": "Demande écrite."})).unwrap(),
            AdminEvent::Withdraw(WithdrawEvent {
                actor: "x".into(),
                candidate: CandidateRef::Email(email("zoe@exemple.fr")),
                reason: "Demande écrite.".into(),
            })
        );
        assert_eq!(
            parse(json!({"action": "reopen", "actor": "x", "email": "zoe@exemple.fr"})).unwrap(),
            AdminEvent::Reopen(ReopenEvent {
                actor: "x".into(),
                candidate: CandidateRef::Email(email("zoe@exemple.fr")),
                until: None,
            })
        );
        assert_eq!(
            refusal(json!({"action": "withdraw", "actor": "x", "email": "zoe@exemple.fr"})).1,
            Some("reason".into())
        );
        assert_eq!(
            refusal(
                json!({"action": "correct", "actor": "x", "email": "zoe@exemple.fr", "reason": "r"})
            )
            .1,
            Some("identity".into())
        );
        let AdminEvent::Correct(correct) = parse(json!({
            "action": "correct", "actor": "x", "email": "zoe@exemple.fr", "reason": "r",
            "identity": {"last_name": "Martin", "birth_date": 5}
        }))
        .unwrap() else {
            panic!("a correction")
        };
        assert_eq!(correct.identity.last_name.as_deref(), Some("Martin"));
        assert_eq!(correct.type_errors.len(), 1);
        assert_eq!(correct.type_errors[0].field, "identity.birth_date");
    }
}
