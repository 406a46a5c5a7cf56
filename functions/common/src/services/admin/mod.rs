//! The exams office's actions (« rectorat, DIEC »): JSON events from the AWS
//! console (the `admin` Lambda), or `examreg admin '<json>'` locally.
//!
//! An event names its `action`; the fields of each action are checked
//! strictly (an unknown field, a missing or mistyped one is refused, naming
//! it): [`events`] reads them, through the API's strict JSON parser, into an
//! [`AdminEvent`], one variant per action with its typed fields. Every answer is JSON: the action's result, or
//! `{"error": {"code", "message", "field"?}}` with a stable code and a French
//! message. Nothing here panics on input.
//!
//! | action | fields | answer |
//! |---|---|---|
//! | `list` | `actor`?, `session`?, `diploma`?, `specialty`?, `status`?, `cursor`?, `limit`? (1–500, 50) | `{"items": [...], "cursor"?}`, by name |
//! | `get` | `actor`?, `email` \| `candidate_number`, `session`? | the inscription (`pieces` included), `history`, `account` |
//! | `validate_piece` | `actor`, `email` \| `candidate_number`, `kind` | `{"status", "pieces"}` |
//! | `reject_piece` | `actor`, `email` \| `candidate_number`, `kind`, `reason` | `{"status", "pieces", "notification"}` |
//! | `extend_deadline` | `actor`, `email` \| `candidate_number`, `until` | `{"documents_deadline", "status", ...}` |
//! | `extend_deadline` (bulk) | `actor`, `emails` or `diploma` (+ `specialty`?), `until` | `{"job_id", "total", "done", "remaining", ...}` |
//! | `export` | `actor`, `diploma`?, `specialty`?, `status`? | `{"location", "key", "rows", "expires_at"}` |
//! | `record_piece` | `actor`, `email` \| `candidate_number`, `kind`, `postmarked_on`, `version`? | `{"status", "pieces", "notification"}` |
//! | `validate_dossier` | `actor`, `email` \| `candidate_number` | `{"status", "pieces"}` |
//! | `correct` | `actor`, `email` \| `candidate_number`, `identity`, `reason` | `{"version", "status", "identity", "pieces", ...}` |
//! | `withdraw` | `actor`, `email` \| `candidate_number`, `reason` | `{"status": "withdrawn", ...}` |
//! | `reopen` | `actor`, `email` \| `candidate_number`, `until`? | `{"status", "documents_deadline", "warning"?, ...}` |
//! | `piece_link` | `actor`?, `email` \| `candidate_number`, `kind`, `file`? | `{"url", "expires_at", "content_type", "size_bytes", "name", "id", "kind", "rejected", "received_at"}` |
//! | `search` | `actor`?, `name`?, `birth_date`?, `candidate_number`?, `session`? | `{"items": [...], "truncated"?}`, by name |
//! | `stats` | `actor`?, `diploma`?, `session`? | `{"session", "total", "diplomas": [...]}` |
//! | `failed_mails` | `actor`?, `session`? | `{"session", "items": [...]}` |
//! | `recheck` | `actor`, `email` \| `candidate_number` | `{"status", "pieces", "rechecked": [...]}` |
//! | `hold` | `actor`, `email` \| `candidate_number`, `reason`, `session`? | `{"on_hold": true, "legal_hold": {"reason", "actor", "at"}, ...}` |
//! | `release_hold` | `actor`, `email` \| `candidate_number`, `session`? | `{"on_hold": false, "legal_hold": null, ...}` |
//! | `purge` | `actor`, `session`, `dry_run`?, `cursor`? | `{"deleted": {...}, "kept_on_hold", "remaining", "finished", ...}` (see [`purge`]) |
//!
//! Actors: a change's `actor` is recorded as `console:<actor>`; reserved
//! names (`candidate`, `system`, `console`, `console:`/`staff:` prefixes) are
//! refused (`invalid_actor`). `get`, `piece_link` and `search` hits journal
//! themselves in the candidate's history; `list` pages and `failed_mails`
//! reads, which show many candidates at once, are journaled once each in the
//! office's read journal (`READS#<session>`, `records::read_journal`), as an
//! `export` is in `EXPORTS#<session>`.
//!
//! Every answer goes through [`present`]: instants in Paris time, a French
//! `status_label` beside every `status`.
//!
//! Decisions:
//! - `list` reads the gsi2 listing (`INSCRIPTIONS#<session>#<shard>`, its
//!   shards merged back into the sort key's order, sort key
//!   `<DIPLOMA>#<SPECIALTY>#<status>#<names>#<account>`) by the longest prefix the
//!   filters give; a filter that is not a prefix (a status without diploma
//!   and specialty, a specialty without diploma) is applied to what is read,
//!   so such a page may come back shorter than `limit` with a `cursor`: keep
//!   following the cursor until there is none. `cursor` is opaque (each
//!   shard's position, and the last dossier answered);
//! - every change is conditional on the inscription's `revision` as read,
//!   with a bounded retry, and writes a history line naming the `actor`;
//! - the emails the candidate is owed (rejected piece, dossier validated,
//!   extension) are queued in the same transaction as the change, then sent
//!   at once; if that send fails, the next sweep sends them;
//! - `extend_deadline` sets the candidate's documents deadline to `until`
//!   (whole milliseconds; it must be in the future and after the window's
//!   close). A `cancelled` inscription whose deadline is extended is
//!   reinstated: it goes back to `registered` (or `complete` when every piece
//!   is in), since extending it means giving the candidate another chance.
//!   Reminders whose time is already past for the new deadline are not sent;
//!   the others will be, at their time;
//! - `record_piece` records a piece received by post (`channel: "post"`,
//!   its postmark kept): it counts like an upload. The postmark is a Paris
//!   calendar day, not after today, nor after the candidate's documents
//!   deadline (`postmarked_late`); a signed confirmation names the version printed on it, which must be the
//!   current one (`stale_confirmation`). A dossier cancelled at the deadline
//!   is reinstated when its last pieces, postmarked in time, are recorded;
//! - `export` writes a CSV in UTF-8 with a BOM, `;`-separated (what Excel
//!   expects in French locales, where `,` is the decimal separator), CRLF line
//!   ends, French headers, one row per inscription sorted by diploma,
//!   specialty and name, dates in Paris time. Cells that a spreadsheet would
//!   read as a formula (starting with `=`, `+`, `-`, `@`) are prefixed with `'`.
//!
//! Where things go: `events.rs` the typed events and their refusals,
//! `candidate.rs` finding a candidate by address or number, one module per
//! reading action (`list.rs`, `get.rs`, `export.rs`, `search.rs`,
//! `stats.rs`, `failed_mails.rs`), and `changes.rs` the actions
//! that change a dossier. A new action is a variant of [`AdminEvent`] (with
//! its fields' struct in `events.rs`) and one module, dispatched by [`run`].

pub mod bulk_extension;
mod candidate;
mod changes;
mod correct;
pub mod events;
mod export;
mod failed_mails;
mod get;
mod legal_hold;
mod list;
mod piece_link;
pub mod present;
pub mod purge;
mod recheck;
mod record_piece;
pub mod roles;
mod search;
mod stats;
mod validate_dossier;
mod withdraw;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Value};

use crate::app::App;
use crate::domain::staff::StaffCaller;
use crate::error::AppError;
use crate::ports::StoreError;

pub use events::{Action, AdminEvent};

/// A refused event: `{"error": {"code", "message", "field"?}}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminError {
    pub code: &'static str,
    pub message: String,
    pub field: Option<String>,
    /// Every invalid field, for a refusal of several at once (`correct`'s
    /// `validation_failed`, as `PUT /inscription` reports them).
    pub errors: Vec<crate::domain::validation::FieldError>,
}

impl AdminError {
    pub(crate) fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            field: None,
            errors: Vec::new(),
        }
    }

    pub(crate) fn field(code: &'static str, field: &str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            field: Some(field.to_owned()),
            errors: Vec::new(),
        }
    }

    pub fn to_json(&self) -> Value {
        let mut error = json!({ "code": self.code, "message": self.message });
        if let (Some(field), Some(map)) = (&self.field, error.as_object_mut()) {
            map.insert("field".into(), json!(field));
        }
        if let (false, Some(map)) = (self.errors.is_empty(), error.as_object_mut()) {
            map.insert("errors".into(), json!(self.errors));
        }
        json!({ "error": error })
    }
}

impl From<AppError> for AdminError {
    fn from(error: AppError) -> Self {
        if matches!(
            error,
            AppError::Internal(_) | AppError::Store(StoreError::Corrupt(_))
        ) {
            tracing::error!(error = %error, "admin event failed");
        } else {
            tracing::warn!(error = %error, "admin event refused");
        }
        AdminError::new(error.code(), error.message())
    }
}

impl From<StoreError> for AdminError {
    fn from(error: StoreError) -> Self {
        AppError::from(error).into()
    }
}

pub type AdminResult<T> = Result<T, AdminError>;

/// Runs one event given as JSON text; always answers JSON.
pub async fn handle_json(app: &App, event: &str) -> Value {
    match serde_json::from_str::<Value>(event) {
        Ok(value) => handle_value(app, value).await,
        Err(e) => AdminError::new(
            "malformed_json",
            format!(
                "L'évènement n'est pas du JSON valide (ligne {}, colonne {}). Exemple : {{\"action\": \"list\"}}",
                e.line(),
                e.column()
            ),
        )
        .to_json(),
    }
}

/// Runs one event; always answers JSON.
pub async fn handle_value(app: &App, event: Value) -> Value {
    match handle(app, event).await {
        Ok(answer) => answer,
        Err(error) => error.to_json(),
    }
}

/// Runs one event: reads it (see [`AdminEvent::parse`]), then runs it.
pub async fn handle(app: &App, event: Value) -> AdminResult<Value> {
    let event = AdminEvent::parse(event, &app.catalogue)?;
    run(app, event).await
}

/// Runs one event of the Office API (`POST /office/actions`), sent by
/// `caller`, whose verified token is the actor (the event names none): the
/// role the action needs is checked before its fields are read (a role that
/// may not learns nothing more), then again once the event is read (a bulk
/// `extend_deadline` needs more than one candidate's), then it runs as a
/// console event does.
pub async fn handle_staff(app: &App, caller: &StaffCaller, event: Value) -> AdminResult<Value> {
    let named = event
        .get("action")
        .and_then(Value::as_str)
        .and_then(Action::from_name);
    if let Some(action) = named {
        roles::allow(caller, roles::least_role(action), action.name())?;
    }
    let event = AdminEvent::parse_for_staff(event, &app.catalogue, caller.actor())?;
    let action = event.action().name();
    roles::allow(caller, roles::required_role(&event), action)?;
    tracing::info!(staff = %caller.recorded(), role = %caller.role, action, "office action");
    let mut answer = run_action(app, event, bulk_extension::http_budget()).await?;
    present::present(&mut answer, app.calendar.timezone);
    Ok(answer)
}

/// Runs one event already read; the answer is shown as the office reads
/// it (`present`: Paris time, French status labels).
pub async fn run(app: &App, event: AdminEvent) -> AdminResult<Value> {
    let mut answer = run_action(app, event, bulk_extension::invocation_budget()).await?;
    present::present(&mut answer, app.calendar.timezone);
    Ok(answer)
}

/// Runs one action; a bulk extension or a purge works within
/// `bulk_budget` (then answers its progress: the same event resumes it).
async fn run_action(
    app: &App,
    event: AdminEvent,
    bulk_budget: crate::services::budget::Budget,
) -> AdminResult<Value> {
    match event {
        AdminEvent::List(event) => list::list(app, event).await,
        AdminEvent::Get(event) => get::get(app, event).await,
        AdminEvent::ValidatePiece(event) => changes::validate_piece(app, event).await,
        AdminEvent::RejectPiece(event) => changes::reject_piece(app, event).await,
        AdminEvent::ExtendDeadline(event) => changes::extend_deadline(app, event).await,
        AdminEvent::BulkExtendDeadline(event) => {
            bulk_extension::run(app, &event, bulk_budget).await
        }
        AdminEvent::Export(event) => export::export(app, event).await,
        AdminEvent::RecordPiece(event) => record_piece::record_piece(app, event).await,
        AdminEvent::ValidateDossier(event) => validate_dossier::validate_dossier(app, event).await,
        AdminEvent::Correct(event) => correct::correct(app, event).await,
        AdminEvent::Withdraw(event) => withdraw::withdraw(app, event).await,
        AdminEvent::Reopen(event) => withdraw::reopen(app, event).await,
        AdminEvent::PieceLink(event) => piece_link::piece_link(app, event).await,
        AdminEvent::Search(event) => search::search(app, event).await,
        AdminEvent::Stats(event) => stats::stats(app, event).await,
        AdminEvent::FailedMails(event) => failed_mails::failed_mails(app, event).await,
        AdminEvent::Recheck(event) => recheck::recheck(app, event).await,
        AdminEvent::Hold(event) => legal_hold::hold(app, event).await,
        AdminEvent::ReleaseHold(event) => legal_hold::release_hold(app, event).await,
        AdminEvent::Purge(event) => purge::run(app, &event, bulk_budget).await,
    }
}

/// An instant as an action gives it: RFC 3339, UTC, milliseconds (`present`
/// then shows it in Paris time).
fn instant(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_render_as_the_contract_says() {
        let error = AdminError::field("invalid_event", "email", "x");
        assert_eq!(
            error.to_json(),
            json!({"error": {"code": "invalid_event", "message": "x", "field": "email"}})
        );
        assert_eq!(
            AdminError::new("unknown_action", "y").to_json(),
            json!({"error": {"code": "unknown_action", "message": "y"}})
        );
    }
}
