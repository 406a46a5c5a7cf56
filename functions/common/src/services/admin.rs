//! The exams office's actions (« rectorat, DIEC »): JSON events from the AWS
//! console (the `admin` Lambda), or `examreg admin '<json>'` locally.
//!
//! An event names its `action`; the fields of each action are checked
//! strictly (an unknown field, a missing or mistyped one is refused, naming
//! it). Every answer is JSON: the action's result, or
//! `{"error": {"code", "message", "field"?}}` with a stable code and a French
//! message. Nothing here panics on input.
//!
//! | action | fields | answer |
//! |---|---|---|
//! | `list` | `diploma`?, `specialty`?, `status`?, `cursor`?, `limit`? (1–500, 50) | `{"items": [...], "cursor"?}` |
//! | `get` | `email` | the inscription (`pieces` included), `history`, `account` |
//! | `validate_piece` | `actor`, `email`, `kind` | `{"status", "pieces"}` |
//! | `reject_piece` | `actor`, `email`, `kind`, `reason` | `{"status", "pieces", "notification"}` |
//! | `extend_deadline` | `actor`, `email`, `until` | `{"documents_deadline", "status", ...}` |
//! | `export` | `actor`, `diploma`?, `specialty`?, `status`? | `{"location", "key", "rows", "expires_at"}` |
//!
//! Decisions:
//! - `list` reads the gsi2 listing (`INSCRIPTIONS#<session>`, sort key
//!   `<DIPLOMA>#<SPECIALTY>#<status>#<account>`) by the longest prefix the
//!   filters give; a filter that is not a prefix (a status without diploma
//!   and specialty, a specialty without diploma) is applied to what is read,
//!   so such a page may come back shorter than `limit` with a `cursor`: keep
//!   following the cursor until there is none. `cursor` is opaque;
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
//! - `export` writes a CSV in UTF-8 with a BOM, `;`-separated (what Excel
//!   expects in French locales, where `,` is the decimal separator), CRLF line
//!   ends, French headers, one row per inscription sorted by diploma,
//!   specialty and name, dates in Paris time. Cells that a spreadsheet would
//!   read as a formula (starting with `=`, `+`, `-`, `@`) are prefixed with `'`.

use chrono::{DateTime, SecondsFormat, SubsecRound, Utc};
use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::app::App;
use crate::domain::account::Email;
use crate::domain::dossier::{InscriptionStatus, PieceStatus, REMINDERS};
use crate::domain::pieces::{label_for, PieceKind};
use crate::domain::Diploma;
use crate::error::AppError;
use crate::ports::store::{Index, Query, SortKeyCondition};
use crate::ports::{Key, StoreError};
use crate::services::accounts::AccountRecord;
use crate::services::emails::{self, Message};
use crate::services::inscription::{self, pieces_view, HistoryEntry, InscriptionRecord};
use crate::services::keys;
use crate::services::mailqueue::{self, QueuedMail};
use crate::services::sweep::{inscription_title, missing_pieces_fr};
use crate::wording::dates::paris_figures;
use crate::wording::{to_paris_string, yes_no};

/// Retries of a change whose conditional write lost a race.
const MAX_RETRIES: usize = 5;
/// `list`'s page size, by default and at most.
const DEFAULT_LIST_LIMIT: usize = 50;
const MAX_LIST_LIMIT: usize = 500;
/// Store pages one `list` call reads at most while filtering.
const MAX_LIST_READS: usize = 20;
/// How long an export's download link stays valid.
const EXPORT_LINK_LIFETIME: std::time::Duration = std::time::Duration::from_secs(60 * 60);
const MAX_ACTOR_CHARS: usize = 100;
const MAX_REASON_CHARS: usize = 1000;

/// The actions, with the fields each accepts (besides `action`).
const ACTIONS: [(&str, &[&str]); 6] = [
    (
        "list",
        &["diploma", "specialty", "status", "cursor", "limit"],
    ),
    ("get", &["email"]),
    ("validate_piece", &["actor", "email", "kind"]),
    ("reject_piece", &["actor", "email", "kind", "reason"]),
    ("extend_deadline", &["actor", "email", "until"]),
    ("export", &["actor", "diploma", "specialty", "status"]),
];

/// A refused event: `{"error": {"code", "message", "field"?}}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminError {
    pub code: &'static str,
    pub message: String,
    pub field: Option<String>,
}

impl AdminError {
    fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            field: None,
        }
    }

    fn field(code: &'static str, field: &str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            field: Some(field.to_owned()),
        }
    }

    pub fn to_json(&self) -> Value {
        let mut error = json!({ "code": self.code, "message": self.message });
        if let (Some(field), Some(map)) = (&self.field, error.as_object_mut()) {
            map.insert("field".into(), json!(field));
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

type AdminResult<T> = Result<T, AdminError>;

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

/// Runs one event.
pub async fn handle(app: &App, event: Value) -> AdminResult<Value> {
    let Value::Object(mut map) = event else {
        return Err(AdminError::new(
            "invalid_event",
            "L'évènement doit être un objet JSON, par exemple {\"action\": \"list\"}.",
        ));
    };
    let action = match map.remove("action") {
        Some(Value::String(action)) => action,
        Some(_) => {
            return Err(AdminError::field(
                "invalid_event",
                "action",
                "Le champ « action » doit être une chaîne de caractères.",
            ))
        }
        None => {
            return Err(AdminError::field(
                "invalid_event",
                "action",
                format!("Le champ « action » est obligatoire : {}.", action_names()),
            ))
        }
    };
    let Some((name, allowed)) = ACTIONS.iter().find(|(name, _)| *name == action) else {
        return Err(AdminError::field(
            "unknown_action",
            "action",
            format!("L'action « {action} » n'existe pas : {}.", action_names()),
        ));
    };
    let fields = Fields::new(name, map, allowed)?;
    match *name {
        "list" => list(app, &fields).await,
        "get" => get(app, &fields).await,
        "validate_piece" => validate_piece(app, &fields).await,
        "reject_piece" => reject_piece(app, &fields).await,
        "extend_deadline" => extend_deadline(app, &fields).await,
        "export" => export(app, &fields).await,
        _ => Err(AdminError::new(
            "unknown_action",
            format!("L'action « {action} » n'existe pas."),
        )),
    }
}

fn action_names() -> String {
    let names: Vec<String> = ACTIONS
        .iter()
        .map(|(name, _)| format!("« {name} »"))
        .collect();
    format!("les actions possibles sont {}", names.join(", "))
}

// ---------------------------------------------------------------------------
// Fields
// ---------------------------------------------------------------------------

struct Fields {
    action: &'static str,
    map: Map<String, Value>,
}

impl Fields {
    fn new(action: &'static str, map: Map<String, Value>, allowed: &[&str]) -> AdminResult<Self> {
        if let Some(unknown) = map.keys().find(|k| !allowed.contains(&k.as_str())) {
            let expected = if allowed.is_empty() {
                "aucun autre champ".to_owned()
            } else {
                format!("champs possibles : {}", allowed.join(", "))
            };
            return Err(AdminError::field(
                "invalid_event",
                unknown,
                format!("Le champ « {unknown} » n'est pas attendu pour l'action « {action} » ({expected})."),
            ));
        }
        Ok(Self { action, map })
    }

    /// A string field, trimmed; absent or `null` is `None`; empty is refused.
    fn text(&self, name: &str) -> AdminResult<Option<String>> {
        match self.map.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => Err(AdminError::field(
                "invalid_event",
                name,
                format!("Le champ « {name} » ne peut pas être vide."),
            )),
            Some(Value::String(s)) => Ok(Some(s.trim().to_owned())),
            Some(_) => Err(AdminError::field(
                "invalid_event",
                name,
                format!("Le champ « {name} » doit être une chaîne de caractères."),
            )),
        }
    }

    fn required(&self, name: &str) -> AdminResult<String> {
        self.text(name)?.ok_or_else(|| {
            AdminError::field(
                "invalid_event",
                name,
                format!(
                    "Le champ « {name} » est obligatoire pour l'action « {} ».",
                    self.action
                ),
            )
        })
    }

    fn actor(&self) -> AdminResult<String> {
        let actor = self.required("actor")?;
        if actor.chars().count() > MAX_ACTOR_CHARS || actor.chars().any(char::is_control) {
            return Err(AdminError::field(
                "invalid_event",
                "actor",
                format!("Le champ « actor » nomme l'agent en {MAX_ACTOR_CHARS} caractères au plus, sans retour à la ligne."),
            ));
        }
        Ok(actor)
    }

    fn email(&self) -> AdminResult<Email> {
        let text = self.required("email")?;
        Email::parse(&text).map_err(|_| {
            AdminError::field(
                "invalid_event",
                "email",
                format!("« {text} » n'est pas une adresse électronique valide."),
            )
        })
    }

    fn kind(&self) -> AdminResult<PieceKind> {
        let text = self.required("kind")?;
        text.parse().map_err(|_| {
            let kinds: Vec<&str> = PieceKind::ALL.iter().map(|k| k.code()).collect();
            AdminError::field(
                "invalid_event",
                "kind",
                format!(
                    "« {text} » n'est pas une sorte de pièce ; sortes possibles : {}.",
                    kinds.join(", ")
                ),
            )
        })
    }

    fn diploma(&self) -> AdminResult<Option<Diploma>> {
        self.text("diploma")?
            .map(|text| {
                text.parse().map_err(|_| {
                    AdminError::field(
                        "invalid_event",
                        "diploma",
                        format!(
                            "Le diplôme « {text} » est inconnu : {}.",
                            Diploma::codes_listed("ou")
                        ),
                    )
                })
            })
            .transpose()
    }

    fn status(&self) -> AdminResult<Option<InscriptionStatus>> {
        self.text("status")?
            .map(|text| {
                InscriptionStatus::parse(&text).ok_or_else(|| {
                    AdminError::field(
                        "invalid_event",
                        "status",
                        format!("Le statut « {text} » est inconnu : registered, complete, validated ou cancelled."),
                    )
                })
            })
            .transpose()
    }

    fn specialty(&self, app: &App, diploma: Option<Diploma>) -> AdminResult<Option<String>> {
        let Some(code) = self.text("specialty")? else {
            return Ok(None);
        };
        let known = match diploma {
            Some(d) => app.catalogue.specialty(d, &code).is_some(),
            None => Diploma::ALL
                .into_iter()
                .any(|d| app.catalogue.specialty(d, &code).is_some()),
        };
        if !known {
            return Err(AdminError::field(
                "invalid_event",
                "specialty",
                format!(
                    "La spécialité « {code} » n'existe pas au catalogue{}.",
                    match diploma {
                        Some(d) => format!(" pour le diplôme {}", d.code()),
                        None => String::new(),
                    }
                ),
            ));
        }
        Ok(Some(code))
    }

    fn limit(&self) -> AdminResult<usize> {
        match self.map.get("limit") {
            None | Some(Value::Null) => Ok(DEFAULT_LIST_LIMIT),
            Some(value) => value
                .as_u64()
                .and_then(|n| usize::try_from(n).ok())
                .filter(|n| (1..=MAX_LIST_LIMIT).contains(n))
                .ok_or_else(|| {
                    AdminError::field(
                        "invalid_event",
                        "limit",
                        format!("Le champ « limit » est un nombre entier de 1 à {MAX_LIST_LIMIT}."),
                    )
                }),
        }
    }

    fn until(&self) -> AdminResult<DateTime<Utc>> {
        let text = self.required("until")?;
        DateTime::parse_from_rfc3339(&text)
            .map(|at| at.with_timezone(&Utc).trunc_subsecs(3))
            .map_err(|_| {
                AdminError::field(
                    "invalid_event",
                    "until",
                    format!("« {text} » n'est pas un instant RFC 3339, par exemple 2021-11-14T23:59:59+01:00."),
                )
            })
    }
}

// ---------------------------------------------------------------------------
// Reading candidates
// ---------------------------------------------------------------------------

struct Candidate {
    account: AccountRecord,
    inscription: Option<InscriptionRecord>,
}

/// The candidate named by `email`: the email guard, then the account and the
/// inscription in one round trip.
async fn candidate(app: &App, email: &Email) -> AdminResult<Candidate> {
    let not_found = || {
        AdminError::field(
            "not_found",
            "email",
            format!(
                "Aucun compte candidat n'existe pour l'adresse « {} ».",
                email.as_typed()
            ),
        )
    };
    let guard = app
        .store
        .get(&keys::email_guard(email.canonical()))
        .await?
        .ok_or_else(not_found)?;
    let account_id = guard
        .str_attr("account_id")
        .ok_or_else(|| {
            AdminError::from(AppError::Internal("email guard without account id".into()))
        })?
        .to_owned();
    let account_key = keys::account(&account_id);
    let inscription_key = keys::inscription(&account_id, &app.calendar.session);
    let items = app
        .store
        .get_many(&[account_key.clone(), inscription_key.clone()])
        .await?;
    let find = |key: &Key| items.iter().find(|item| item.key == *key);
    let account: AccountRecord = find(&account_key).ok_or_else(not_found)?.to_value()?;
    let inscription = find(&inscription_key)
        .map(|item| item.to_value::<InscriptionRecord>())
        .transpose()?;
    Ok(Candidate {
        account,
        inscription,
    })
}

/// The candidate's inscription, or a `no_inscription` refusal.
fn require_inscription(candidate: Candidate) -> AdminResult<InscriptionRecord> {
    let account = &candidate.account;
    candidate.inscription.ok_or_else(|| {
        AdminError::field(
            "no_inscription",
            "email",
            format!(
                "Le compte de « {} » existe (compte {}) mais n'a pas d'inscription pour cette session.",
                account.email,
                account.status.label_fr()
            ),
        )
    })
}

fn instant(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

// ---------------------------------------------------------------------------
// list, get
// ---------------------------------------------------------------------------

/// The listing's filters: the longest gsi2 sort-key prefix they allow, and
/// what is left to check on each item.
struct Filter {
    diploma: Option<Diploma>,
    specialty: Option<String>,
    status: Option<InscriptionStatus>,
}

impl Filter {
    fn from_fields(app: &App, fields: &Fields) -> AdminResult<Self> {
        let diploma = fields.diploma()?;
        let specialty = fields.specialty(app, diploma)?;
        let status = fields.status()?;
        Ok(Self {
            diploma,
            specialty,
            status,
        })
    }

    /// gsi2 sort keys are `<DIPLOMA>#<SPECIALTY>#<status>#<account_id>`.
    fn sort_key(&self) -> SortKeyCondition {
        match (self.diploma, &self.specialty, self.status) {
            (Some(d), Some(s), Some(st)) => {
                SortKeyCondition::BeginsWith(format!("{}#{s}#{}#", d.code(), st.code()))
            }
            (Some(d), Some(s), None) => SortKeyCondition::BeginsWith(format!("{}#{s}#", d.code())),
            (Some(d), None, _) => SortKeyCondition::BeginsWith(format!("{}#", d.code())),
            (None, _, _) => SortKeyCondition::Any,
        }
    }

    fn matches(&self, record: &InscriptionRecord) -> bool {
        self.diploma.is_none_or(|d| record.data.diploma == d)
            && self
                .specialty
                .as_deref()
                .is_none_or(|s| record.data.specialty == s)
            && self.status.is_none_or(|st| record.status == st)
    }

    fn query(&self, app: &App) -> Query {
        Query::index(
            Index::Gsi2,
            keys::listing(&app.calendar.session),
            self.sort_key(),
        )
    }
}

fn store_cursor_error(error: StoreError) -> AdminError {
    match error {
        StoreError::Invalid(_) => AdminError::field(
            "invalid_event",
            "cursor",
            "Le curseur n'est pas valide : reprenez la liste depuis le début, sans « cursor ».",
        ),
        other => other.into(),
    }
}

#[derive(Serialize)]
struct ListItem {
    email: String,
    diploma: Diploma,
    specialty: String,
    status: InscriptionStatus,
    version: u64,
    updated_at: DateTime<Utc>,
    last_name: String,
    first_names: String,
}

async fn list(app: &App, fields: &Fields) -> AdminResult<Value> {
    let filter = Filter::from_fields(app, fields)?;
    let limit = fields.limit()?;
    let mut cursor = fields.text("cursor")?;
    let mut items = Vec::new();
    for _ in 0..MAX_LIST_READS {
        let query = filter
            .query(app)
            .limit(limit - items.len())
            .after(cursor.take());
        let page = app.store.query(&query).await.map_err(store_cursor_error)?;
        for item in &page.items {
            let record: InscriptionRecord = item.to_value()?;
            if filter.matches(&record) {
                items.push(ListItem {
                    email: record.email,
                    diploma: record.data.diploma,
                    specialty: record.data.specialty,
                    status: record.status,
                    version: record.version,
                    updated_at: record.updated_at,
                    last_name: record.data.identity.last_name,
                    first_names: record.data.identity.first_names,
                });
            }
        }
        cursor = page.cursor;
        if cursor.is_none() || items.len() >= limit {
            break;
        }
    }
    let mut answer = json!({ "items": items });
    if let (Some(cursor), Some(map)) = (cursor, answer.as_object_mut()) {
        map.insert("cursor".into(), json!(cursor));
    }
    Ok(answer)
}

async fn get(app: &App, fields: &Fields) -> AdminResult<Value> {
    let email = fields.email()?;
    let candidate = candidate(app, &email).await?;
    let account = json!({
        "account_id": candidate.account.account_id,
        "status": candidate.account.status,
        "created_at": candidate.account.created_at,
        "activated_at": candidate.account.activated_at,
        "activation_deadline": candidate.account.activation_deadline,
    });
    let account_id = candidate.account.account_id.clone();
    let record = require_inscription(candidate)?;
    let history = inscription::history(app, &account_id).await?;
    let mut answer = serde_json::to_value(inscription::view(app, &record))
        .map_err(|e| AdminError::from(AppError::Internal(e.to_string())))?;
    if let Some(map) = answer.as_object_mut() {
        map.insert("email".into(), json!(record.email));
        map.insert("account".into(), account);
        map.insert(
            "documents_deadline_extension".into(),
            json!(record.documents_deadline_extension),
        );
        map.insert("reminders_sent".into(), json!(record.reminders_sent));
        map.insert("cancelled_at".into(), json!(record.cancelled_at));
        map.insert("history".into(), json!(history));
    }
    Ok(answer)
}

// ---------------------------------------------------------------------------
// Changes
// ---------------------------------------------------------------------------

/// One change of an inscription: the new record, its history line and the
/// email it owes the candidate.
struct Change {
    record: InscriptionRecord,
    history: HistoryEntry,
    mail: Option<QueuedMail>,
}

/// What a change did.
struct Changed {
    record: InscriptionRecord,
    /// `Some(true)` sent, `Some(false)` queued for the sweep, `None` no email.
    notified: Option<bool>,
}

impl Changed {
    fn notification(&self) -> Value {
        match self.notified {
            Some(true) => json!("sent"),
            Some(false) => json!("queued"),
            None => Value::Null,
        }
    }
}

/// Reads the candidate's inscription, asks `decide` for the change, writes
/// it conditional on the revision read, re-reading and deciding again when
/// someone else wrote first. `decide` answers `None` when there is nothing to
/// change (the action was already done).
async fn change<F>(app: &App, email: &Email, mut decide: F) -> AdminResult<Changed>
where
    F: FnMut(&InscriptionRecord, DateTime<Utc>) -> AdminResult<Option<Change>>,
{
    let mut record = require_inscription(candidate(app, email).await?)?;
    for _ in 0..MAX_RETRIES {
        let now = app.now();
        let Some(change) = decide(&record, now)? else {
            return Ok(Changed {
                record,
                notified: None,
            });
        };
        let mut ops = change
            .record
            .write_ops(&app.calendar, record.revision, change.history)?;
        if let Some(mail) = &change.mail {
            ops.push(mail.enqueue_op()?);
        }
        match app.store.transact(ops).await {
            Ok(()) => {
                let notified = match &change.mail {
                    Some(mail) => Some(mailqueue::deliver_now(app, mail).await),
                    None => None,
                };
                return Ok(Changed {
                    record: change.record,
                    notified,
                });
            }
            Err(StoreError::ConditionFailed { .. } | StoreError::Conflict(_)) => {
                record = inscription::load(app, &record.account_id)
                    .await?
                    .ok_or_else(|| {
                        AdminError::new("no_inscription", "Cette inscription n'existe plus.")
                    })?;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(AdminError::new(
        "conflict",
        "Le dossier a été modifié plusieurs fois pendant l'opération. Réessayez.",
    ))
}

fn history_line(
    actor: &str,
    action: &str,
    kind: Option<PieceKind>,
    record: &InscriptionRecord,
    now: DateTime<Utc>,
    detail: String,
) -> HistoryEntry {
    HistoryEntry {
        at: now,
        actor: actor.to_owned(),
        action: action.to_owned(),
        fields: kind.map(|k| vec![k.code().to_owned()]).unwrap_or_default(),
        version: record.version,
        detail: Some(detail),
    }
}

fn mail_for(
    record: &InscriptionRecord,
    kind: &str,
    email: crate::ports::OutgoingEmail,
    now: DateTime<Utc>,
) -> QueuedMail {
    let id = format!(
        "{}#{}#{kind}#r{}",
        record.account_id, record.session, record.revision
    );
    QueuedMail::new(id, kind, &record.account_id, email, now)
}

fn cancelled_refusal() -> AdminError {
    AdminError::new(
        "inscription_cancelled",
        "Cette inscription est annulée : prolongez d'abord la date limite de dépôt (extend_deadline) pour la rétablir.",
    )
}

fn unknown_piece(record: &InscriptionRecord, kind: PieceKind) -> AdminError {
    let required: Vec<&str> = record.pieces.keys().map(|k| k.code()).collect();
    AdminError::field(
        "unknown_piece",
        "kind",
        format!(
            "Cette inscription ne demande pas la pièce « {} » ; pièces demandées : {}.",
            kind.code(),
            required.join(", ")
        ),
    )
}

fn pieces_answer(changed: &Changed) -> Value {
    json!({
        "status": changed.record.status,
        "pieces": pieces_view(&changed.record),
        "notification": changed.notification(),
    })
}

async fn validate_piece(app: &App, fields: &Fields) -> AdminResult<Value> {
    let actor = fields.actor()?;
    let email = fields.email()?;
    let kind = fields.kind()?;
    let changed = change(app, &email, |record, now| {
        if record.status == InscriptionStatus::Cancelled {
            return Err(cancelled_refusal());
        }
        let state = record.pieces.get(&kind).ok_or_else(|| unknown_piece(record, kind))?;
        match state.status {
            PieceStatus::Validated => return Ok(None),
            PieceStatus::Received => {}
            PieceStatus::Missing | PieceStatus::Rejected => {
                return Err(AdminError::field(
                    "piece_not_received",
                    "kind",
                    format!(
                        "La pièce « {} » n'a pas été reçue (elle est {}) : elle ne peut pas être validée.",
                        label_for(kind, &record.data),
                        state.status.label_fr()
                    ),
                ))
            }
        }
        let mut next = record.clone();
        if let Some(piece) = next.pieces.get_mut(&kind) {
            piece.status = PieceStatus::Validated;
            piece.reason = None;
            piece.reviewed_at = Some(now);
        }
        next.revision += 1;
        next.updated_at = now;
        next.refresh_status();
        let label = label_for(kind, &record.data);
        let mut detail = format!("Pièce validée : {label}.");
        let mut mail = None;
        if next.status == InscriptionStatus::Validated && record.status != InscriptionStatus::Validated {
            detail.push_str(" Toutes les pièces sont validées : dossier validé.");
            let email = Message::new("Votre dossier d'inscription est validé")
                .para(format!(
                    "Les services du rectorat ont vérifié et validé toutes les pièces de votre inscription ({}).",
                    inscription_title(app, record)
                ))
                .para("Votre dossier est complet : vous n'avez plus rien à déposer. Vous recevrez votre convocation aux épreuves en temps utile.")
                .link("Mon espace candidat", app.link(emails::HOME_PAGE))
                .to(&record.email);
            mail = Some(mail_for(&next, "dossier_validated", email, now));
        }
        Ok(Some(Change {
            history: history_line(&actor, "piece_validated", Some(kind), &next, now, detail),
            record: next,
            mail,
        }))
    })
    .await?;
    Ok(pieces_answer(&changed))
}

async fn reject_piece(app: &App, fields: &Fields) -> AdminResult<Value> {
    let actor = fields.actor()?;
    let email = fields.email()?;
    let kind = fields.kind()?;
    let reason = fields.required("reason")?;
    if reason.chars().count() > MAX_REASON_CHARS {
        return Err(AdminError::field(
            "invalid_event",
            "reason",
            format!("Le motif tient en {MAX_REASON_CHARS} caractères au plus."),
        ));
    }
    let changed = change(app, &email, |record, now| {
        if record.status == InscriptionStatus::Cancelled {
            return Err(cancelled_refusal());
        }
        let state = record.pieces.get(&kind).ok_or_else(|| unknown_piece(record, kind))?;
        let label = label_for(kind, &record.data);
        match state.status {
            PieceStatus::Received | PieceStatus::Validated => {}
            PieceStatus::Rejected if state.reason.as_deref() == Some(reason.as_str()) => return Ok(None),
            PieceStatus::Rejected => {
                return Err(AdminError::field(
                    "piece_not_received",
                    "kind",
                    format!("La pièce « {label} » est déjà refusée et attend un nouveau dépôt du candidat."),
                ))
            }
            PieceStatus::Missing => {
                return Err(AdminError::field(
                    "piece_not_received",
                    "kind",
                    format!("La pièce « {label} » n'a pas encore été déposée : il n'y a rien à refuser."),
                ))
            }
        }
        let mut next = record.clone();
        if let Some(piece) = next.pieces.get_mut(&kind) {
            piece.status = PieceStatus::Rejected;
            piece.reason = Some(reason.clone());
            piece.reviewed_at = Some(now);
        }
        next.revision += 1;
        next.updated_at = now;
        next.refresh_status();
        let deadline = next.documents_deadline(&app.calendar);
        let email = Message::new(format!("Pièce refusée : {label}"))
            .para(format!(
                "Les services du rectorat ont examiné votre dossier d'inscription ({}).",
                inscription_title(app, record)
            ))
            .para(format!("La pièce « {label} » n'a pas pu être acceptée, pour le motif suivant :\n{reason}"));
        let email = if deadline > now {
            email
                .para(format!(
                    "Déposez-en une nouvelle version depuis votre espace candidat avant le {} (heure de Paris). Sans elle, votre candidature sera annulée à cette date.",
                    to_paris_string(deadline)
                ))
                .link("Déposer une nouvelle pièce", app.link(emails::DOCUMENTS_PAGE))
        } else if next.awaits_uploads(deadline) {
            // Other pieces were still owed at the deadline: the sweep cancels
            // the candidature (unless the office extends the deadline).
            email
                .para(format!(
                    "La date limite de dépôt des pièces était fixée au {} (heure de Paris), et votre dossier n'était pas complet à cette date.",
                    to_paris_string(deadline)
                ))
                .para("Contactez sans tarder la Division des examens et concours (DIEC 3.05) du rectorat d'Aix-Marseille.")
                .link("Mon espace candidat", app.link(emails::HOME_PAGE))
        } else {
            // Every piece arrived in time: this refusal alone does not cancel
            // the candidature, and uploading is closed until an extension.
            email
                .para("La date limite de dépôt des pièces est passée, mais votre candidature n'est pas annulée : vos pièces sont arrivées à temps.")
                .para("Pour vous permettre de remplacer cette pièce, la Division des examens et concours (DIEC 3.05) du rectorat d'Aix-Marseille peut vous accorder un délai supplémentaire : contactez-la sans tarder. Vous pourrez alors déposer la nouvelle pièce depuis votre espace candidat.")
                .link("Mon espace candidat", app.link(emails::HOME_PAGE))
        };
        let email = email.to(&record.email);
        Ok(Some(Change {
            history: history_line(
                &actor,
                "piece_rejected",
                Some(kind),
                &next,
                now,
                format!("Pièce refusée : {label}. Motif : {reason}"),
            ),
            mail: Some(mail_for(&next, "piece_rejected", email, now)),
            record: next,
        }))
    })
    .await?;
    let mut answer = pieces_answer(&changed);
    let deadline = changed.record.documents_deadline(&app.calendar);
    if changed.record.status == InscriptionStatus::Registered && deadline <= app.now() {
        let warning = if changed.record.awaits_uploads(deadline) {
            "La date limite de dépôt est passée et le dossier n'était pas complet à cette date : l'inscription sera annulée au prochain passage du traitement des délais, sauf prolongation (extend_deadline)."
        } else {
            "La date limite de dépôt est passée : le candidat ne peut plus remplacer cette pièce. Ses pièces étant arrivées à temps, l'inscription n'est pas annulée ; accordez-lui une prolongation (extend_deadline) pour qu'il dépose une nouvelle pièce."
        };
        if let Some(map) = answer.as_object_mut() {
            map.insert("warning".into(), json!(warning));
        }
    }
    Ok(answer)
}

async fn extend_deadline(app: &App, fields: &Fields) -> AdminResult<Value> {
    let actor = fields.actor()?;
    let email = fields.email()?;
    let until = fields.until()?;
    let changed = change(app, &email, |record, now| {
        let closes = app.calendar.windows(record.data.diploma).documents.closes;
        if until <= closes {
            return Err(AdminError::field(
                "invalid_deadline",
                "until",
                format!(
                    "La nouvelle date limite doit venir après la clôture du dépôt des pièces de ce diplôme, le {} (heure de Paris).",
                    to_paris_string(closes)
                ),
            ));
        }
        if until <= now {
            return Err(AdminError::field(
                "invalid_deadline",
                "until",
                format!("La nouvelle date limite doit être dans le futur (il est {}).", to_paris_string(now)),
            ));
        }
        if record.documents_deadline_extension == Some(until) {
            return Ok(None);
        }
        let mut next = record.clone();
        next.documents_deadline_extension = Some(until);
        let reinstated = record.status == InscriptionStatus::Cancelled;
        if reinstated {
            next.status = InscriptionStatus::Registered;
            next.cancelled_at = None;
        }
        next.refresh_status();
        // Reminders already past for the new deadline stay unsent; the others come at their time.
        next.reminders_sent = REMINDERS
            .iter()
            .filter(|(_, before)| until - *before <= now)
            .map(|(name, _)| (*name).to_owned())
            .collect();
        next.revision += 1;
        next.updated_at = now;
        let mut detail = format!(
            "Date limite de dépôt des pièces prolongée jusqu'au {} (heure de Paris).",
            to_paris_string(until)
        );
        if reinstated {
            detail.push_str(" Inscription rétablie.");
        }
        let mail = (next.status == InscriptionStatus::Registered).then(|| {
            let subject = if reinstated {
                "Votre inscription est rétablie : nouveau délai pour vos pièces"
            } else {
                "Prolongation du délai de dépôt de vos pièces"
            };
            let mut message = Message::new(subject);
            if reinstated {
                message = message.para(format!(
                    "Votre inscription ({}) avait été annulée faute de dossier complet. Les services du rectorat la rétablissent et vous accordent un nouveau délai.",
                    inscription_title(app, record)
                ));
            } else {
                message = message.para(format!(
                    "Les services du rectorat prolongent le délai de dépôt des pièces de votre inscription ({}).",
                    inscription_title(app, record)
                ));
            }
            message = message.para(format!(
                "Vous avez jusqu'au {} (heure de Paris) pour déposer votre confirmation d'inscription datée et signée et vos pièces justificatives. Passé ce délai, votre candidature sera annulée si votre dossier n'est pas complet.",
                to_paris_string(until)
            ));
            let missing = missing_pieces_fr(&next);
            if !missing.is_empty() {
                message = message.para(format!("Pièces encore attendues :\n{missing}"));
            }
            let email = message
                .link("Déposer mes pièces dans mon espace candidat", app.link(emails::DOCUMENTS_PAGE))
                .to(&record.email);
            mail_for(&next, "deadline_extended", email, now)
        });
        Ok(Some(Change {
            history: history_line(&actor, "deadline_extended", None, &next, now, detail),
            record: next,
            mail,
        }))
    })
    .await?;
    Ok(json!({
        "email": changed.record.email,
        "documents_deadline": instant(changed.record.documents_deadline(&app.calendar)),
        "status": changed.record.status,
        "notification": changed.notification(),
    }))
}

// ---------------------------------------------------------------------------
// export
// ---------------------------------------------------------------------------

/// The export's columns: who the candidate is, how to reach them, what they
/// sit (codes next to labels, so the office can sort by code), then where
/// their dossier stands.
const CSV_HEADERS: [&str; 24] = [
    "Courriel",
    "Nom",
    "Prénoms",
    "Date de naissance",
    "Lieu de naissance",
    "Nationalité",
    "Téléphone",
    "Adresse",
    "Complément d'adresse",
    "Code postal",
    "Ville",
    "Pays",
    "Code diplôme",
    "Diplôme",
    "Code spécialité",
    "Spécialité",
    "Handicap déclaré",
    "Aménagement existant",
    "Acquis",
    "Statut",
    "Version",
    "Pièces encore à fournir",
    "Date limite de dépôt",
    "Mis à jour le",
];

/// A cell a spreadsheet will not take for a formula.
fn cell(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

/// A country code as the office reads it: « France », « Belgique (BE) », or
/// the code when its French name is not known.
fn country(code: &str) -> String {
    crate::domain::countries::country_fr(code)
}

/// The acquis, compact: « E11 dispense (2019) ; E2 bénéfice 12,5 (2020) »;
/// empty when there are none.
fn acquis_cell(acquis: &[crate::domain::inscription::Acquis]) -> String {
    use crate::domain::inscription::AcquisKind;
    use crate::domain::validation::format_decimal_fr;
    acquis
        .iter()
        .map(|a| match (a.kind, a.grade) {
            (AcquisKind::Dispense, _) => format!("{} dispense ({})", a.unit, a.year),
            (AcquisKind::Benefit, Some(grade)) => format!(
                "{} bénéfice {} ({})",
                a.unit,
                format_decimal_fr(grade),
                a.year
            ),
            (AcquisKind::Benefit, None) => format!("{} bénéfice ({})", a.unit, a.year),
        })
        .collect::<Vec<_>>()
        .join(" ; ")
}

fn csv_row(app: &App, record: &InscriptionRecord) -> Vec<String> {
    let data = &record.data;
    let identity = &data.identity;
    let address = &identity.address;
    let specialty = app
        .catalogue
        .specialty(data.diploma, &data.specialty)
        .map_or(data.specialty.clone(), |s| s.label.clone());
    let missing: Vec<String> = record
        .pieces
        .iter()
        .filter(|(_, state)| !state.is_in())
        .map(|(kind, _)| label_for(*kind, data))
        .collect();
    let row: [String; CSV_HEADERS.len()] = [
        record.email.clone(),
        identity.last_name.clone(),
        identity.first_names.clone(),
        identity.birth_date.format("%d/%m/%Y").to_string(),
        identity.birth_place.clone(),
        country(&identity.nationality),
        identity.phone.clone(),
        address.line1.clone(),
        address.line2.clone().unwrap_or_default(),
        address.postal_code.clone(),
        address.city.clone(),
        country(&address.country),
        data.diploma.code().to_owned(),
        data.diploma.label().to_owned(),
        data.specialty.clone(),
        specialty,
        yes_no(data.disability.declared).to_owned(),
        yes_no(data.disability.existing_accommodation).to_owned(),
        acquis_cell(&data.acquis),
        record.status.short_label_fr().to_owned(),
        record.version.to_string(),
        missing.join(" / "),
        paris_figures(record.documents_deadline(&app.calendar)),
        paris_figures(record.updated_at),
    ];
    row.iter().map(|text| cell(text)).collect()
}

fn export_key(app: &App, filter: &Filter, now: DateTime<Utc>) -> String {
    let mut parts = vec![format!("inscriptions-{}", app.calendar.session)];
    if let Some(d) = filter.diploma {
        parts.push(d.code().to_owned());
    }
    if let Some(s) = &filter.specialty {
        parts.push(
            s.chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect(),
        );
    }
    if let Some(st) = filter.status {
        parts.push(st.code().to_owned());
    }
    parts.push(now.format("%Y%m%dT%H%M%SZ").to_string());
    let suffix = uuid::Uuid::new_v4().simple().to_string();
    parts.push(suffix.chars().take(8).collect());
    format!("exports/{}.csv", parts.join("-"))
}

async fn export(app: &App, fields: &Fields) -> AdminResult<Value> {
    let actor = fields.actor()?;
    let filter = Filter::from_fields(app, fields)?;
    let mut records = Vec::new();
    let mut cursor = None;
    loop {
        let page = app
            .store
            .query(&filter.query(app).limit(1000).after(cursor))
            .await?;
        for item in &page.items {
            let record: InscriptionRecord = item.to_value()?;
            if filter.matches(&record) {
                records.push(record);
            }
        }
        cursor = page.cursor;
        if cursor.is_none() {
            break;
        }
    }
    records.sort_by(|a, b| {
        (
            a.data.diploma,
            &a.data.specialty,
            &a.data.identity.last_name,
            &a.data.identity.first_names,
            &a.email,
        )
            .cmp(&(
                b.data.diploma,
                &b.data.specialty,
                &b.data.identity.last_name,
                &b.data.identity.first_names,
                &b.email,
            ))
    });

    let internal =
        |e: &dyn std::fmt::Display| AdminError::from(AppError::Internal(format!("CSV: {e}")));
    let mut writer = csv::WriterBuilder::new()
        .delimiter(b';')
        .terminator(csv::Terminator::CRLF)
        .from_writer(b"\xEF\xBB\xBF".to_vec());
    writer.write_record(CSV_HEADERS).map_err(|e| internal(&e))?;
    for record in &records {
        writer
            .write_record(csv_row(app, record))
            .map_err(|e| internal(&e))?;
    }
    let bytes = writer.into_inner().map_err(|e| internal(&e))?;

    let now = app.now();
    let key = export_key(app, &filter, now);
    app.documents
        .put(&key, "text/csv; charset=utf-8", bytes.into())
        .await
        .map_err(AppError::from)?;
    let location = app
        .documents
        .presign_get(&key, now, EXPORT_LINK_LIFETIME)
        .await
        .map_err(AppError::from)?;
    let expires_at = now
        + chrono::Duration::from_std(EXPORT_LINK_LIFETIME)
            .unwrap_or_else(|_| chrono::Duration::hours(1));
    tracing::info!(actor = %actor, key = %key, rows = records.len(), "inscriptions exported");
    Ok(json!({
        "location": location,
        "key": key,
        "rows": records.len(),
        "expires_at": instant(expires_at),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_like_cells_are_defused() {
        assert_eq!(cell("=SOMME(A1)"), "'=SOMME(A1)");
        assert_eq!(cell("+33612345678"), "'+33612345678");
        assert_eq!(cell("Zoé"), "Zoé");
    }

    #[test]
    fn acquis_read_compactly() {
        use crate::domain::inscription::{Acquis, AcquisKind};
        assert_eq!(acquis_cell(&[]), "");
        let acquis = [
            Acquis {
                unit: "E11".into(),
                kind: AcquisKind::Dispense,
                grade: None,
                year: 2019,
            },
            Acquis {
                unit: "E2".into(),
                kind: AcquisKind::Benefit,
                grade: Some(12.5),
                year: 2020,
            },
        ];
        assert_eq!(
            acquis_cell(&acquis),
            "E11 dispense (2019) ; E2 bénéfice 12,5 (2020)"
        );
        assert_eq!(CSV_HEADERS.len(), 24);
    }

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
