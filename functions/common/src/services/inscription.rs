//! The inscription (« Vous inscrire »): one per candidate and session, saved
//! and changed while its diploma's registration window is open, never after.
//!
//! Every write is conditional on the revision it read, so no update is ever
//! lost; the candidate's `version` is checked against what they last read.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::app::App;
use crate::domain::calendar::SessionCalendar;
use crate::domain::dossier::{
    next_due, owes_uploads_at, reconcile_pieces, status_for, InscriptionStatus, PieceState,
    PieceStatus, Pieces,
};
use crate::domain::inscription::{
    change_summary_fr, changed_fields, changes_nothing, validate, InscriptionInput,
    ValidInscription, ValidationContext,
};
use crate::domain::pieces::{label_for, PieceKind};
use crate::domain::validation::{merge_errors, Parsed};
use crate::domain::Diploma;
use crate::error::{AppError, AppResult};
use crate::ports::store::{Condition, Item, WriteOp, GSI1_PK, GSI1_SK, GSI2_PK, GSI2_SK};
use crate::ports::StoreError;
use crate::services::emails::Message;
use crate::services::keys;
use crate::services::mailqueue;
use crate::services::sessions::{authenticate, take, Caller};
use crate::wording::to_paris_string;

/// How many times a write is retried when only someone else's unrelated
/// change (an upload, an admin) moved the revision.
const MAX_RETRIES: usize = 5;

/// The inscription as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InscriptionRecord {
    pub record_type: String,
    pub account_id: String,
    /// The account's address, for the exams office and the emails.
    pub email: String,
    pub session: String,
    #[serde(flatten)]
    pub data: ValidInscription,
    /// Raised by each save of the candidate.
    pub version: u64,
    /// Raised by every write (saves, uploads, admins, sweeps): the optimistic lock.
    pub revision: u64,
    pub status: InscriptionStatus,
    pub pieces: Pieces,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// An admin's extension of the documents deadline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub documents_deadline_extension: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reminders_sent: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancelled_at: Option<DateTime<Utc>>,
}

/// One line of an inscription's append-only history.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HistoryEntry {
    pub at: DateTime<Utc>,
    /// `candidate`, `system`, or the admin's name.
    pub actor: String,
    /// e.g. `created`, `updated`, `piece_received`, `piece_rejected`.
    pub action: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<String>,
    pub version: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl InscriptionRecord {
    pub fn key(&self) -> crate::ports::Key {
        keys::inscription(&self.account_id, &self.session)
    }

    /// The documents deadline in force: the extension, else the window's close.
    /// The end of the diploma's documents window, or the extension an admin
    /// granted if later: an extension never shortens the window (it was
    /// granted past the close of the diploma held then).
    pub fn documents_deadline(&self, calendar: &SessionCalendar) -> DateTime<Utc> {
        let closes = calendar.windows(self.data.diploma).documents.closes;
        self.documents_deadline_extension
            .map_or(closes, |until| until.max(closes))
    }

    /// Whether uploads are accepted at `now`.
    pub fn documents_open(&self, calendar: &SessionCalendar, now: DateTime<Utc>) -> bool {
        let window = calendar.windows(self.data.diploma).documents;
        now >= window.opens && now <= self.documents_deadline(calendar)
    }

    /// Whether reminders and, at the deadline, cancellation apply to it.
    pub fn awaits_uploads(&self, deadline: DateTime<Utc>) -> bool {
        self.status == InscriptionStatus::Registered && owes_uploads_at(&self.pieces, deadline)
    }

    /// Brings the status in line with the pieces.
    pub fn refresh_status(&mut self) {
        self.status = status_for(self.status, &self.pieces);
    }

    /// The item, with its index entries: due work (gsi1) while incomplete,
    /// and the exams office's listing (gsi2).
    pub fn to_item(&self, calendar: &SessionCalendar) -> AppResult<Item> {
        let mut item = Item::from_value(self.key(), self)?;
        let deadline = self.documents_deadline(calendar);
        if let Some((due, _)) = next_due(
            self.awaits_uploads(deadline),
            self.created_at,
            deadline,
            &self.reminders_sent,
        ) {
            item.attrs
                .insert(GSI1_PK.into(), json!(keys::due_inscriptions(&self.session)));
            item.attrs.insert(
                GSI1_SK.into(),
                json!(format!("{}#{}", keys::sortable(due), self.account_id)),
            );
        }
        item.attrs
            .insert(GSI2_PK.into(), json!(keys::listing(&self.session)));
        item.attrs.insert(
            GSI2_SK.into(),
            json!(listing_sort_key(
                self.data.diploma,
                &self.data.specialty,
                self.status,
                &self.account_id
            )),
        );
        Ok(item)
    }

    /// The write of this record over the revision `read_revision` (0: a create),
    /// with one history line, in one transaction.
    pub fn write_ops(
        &self,
        calendar: &SessionCalendar,
        read_revision: u64,
        history: HistoryEntry,
    ) -> AppResult<Vec<WriteOp>> {
        let condition = if read_revision == 0 {
            Condition::NotExists
        } else {
            Condition::AttributeEquals("revision".into(), json!(read_revision))
        };
        let history_key = keys::history(&self.account_id, &self.session, history.at, self.revision);
        let history_item = Item::from_value(history_key, &history)?.with("record_type", "history");
        Ok(vec![
            WriteOp::put(self.to_item(calendar)?, condition),
            WriteOp::put(history_item, Condition::NotExists),
        ])
    }
}

pub fn listing_sort_key(
    diploma: Diploma,
    specialty: &str,
    status: InscriptionStatus,
    account_id: &str,
) -> String {
    format!(
        "{}#{}#{}#{}",
        diploma.code(),
        specialty,
        status.code(),
        account_id
    )
}

/// A piece as the candidate sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PieceView {
    pub kind: PieceKind,
    pub label: String,
    pub status: PieceStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub received_at: Option<DateTime<Utc>>,
}

/// The inscription as the API answers it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct InscriptionView {
    pub session: String,
    #[serde(flatten)]
    pub data: ValidInscription,
    pub version: u64,
    pub status: InscriptionStatus,
    pub pieces: Vec<PieceView>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// When the registration window of the diploma closes: no change after.
    pub registration_closes: DateTime<Utc>,
    pub documents_opens: DateTime<Utc>,
    /// The documents deadline in force (with any extension).
    pub documents_deadline: DateTime<Utc>,
    /// Present when the candidate must ask the académie for an accommodation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accommodation_request_url: Option<String>,
}

pub fn pieces_view(record: &InscriptionRecord) -> Vec<PieceView> {
    record
        .pieces
        .iter()
        .map(|(kind, state)| PieceView {
            kind: *kind,
            label: label_for(*kind, &record.data),
            status: state.status,
            reason: state.reason.clone(),
            received_at: state.received_at,
        })
        .collect()
}

pub fn view(app: &App, record: &InscriptionRecord) -> InscriptionView {
    let windows = app.calendar.windows(record.data.diploma);
    InscriptionView {
        session: record.session.clone(),
        data: record.data.clone(),
        version: record.version,
        status: record.status,
        pieces: pieces_view(record),
        created_at: record.created_at,
        updated_at: record.updated_at,
        registration_closes: windows.registration.closes,
        documents_opens: windows.documents.opens,
        documents_deadline: record.documents_deadline(&app.calendar),
        accommodation_request_url: record.data.accommodation_request_url().map(str::to_owned),
    }
}

fn no_inscription() -> AppError {
    AppError::not_found(
        "no_inscription",
        "Vous n'avez pas encore d'inscription pour cette session : remplissez le formulaire « M'inscrire ».",
    )
}

/// The caller and their inscription, in one round trip.
pub async fn load_for_caller(
    app: &App,
    token: Option<&str>,
) -> AppResult<(Caller, Option<InscriptionRecord>)> {
    let session = app.calendar.session.clone();
    let (caller, mut items) =
        authenticate(app, token, |id| vec![keys::inscription(id, &session)]).await?;
    let key = keys::inscription(&caller.account.account_id, &session);
    let record = take(&mut items, &key)
        .map(|item| item.to_value::<InscriptionRecord>())
        .transpose()?;
    Ok((caller, record))
}

pub async fn load(app: &App, account_id: &str) -> AppResult<Option<InscriptionRecord>> {
    let key = keys::inscription(account_id, &app.calendar.session);
    Ok(app
        .store
        .get(&key)
        .await?
        .map(|i| i.to_value())
        .transpose()?)
}

/// `GET /inscription`.
pub async fn get(app: &App, token: Option<&str>) -> AppResult<InscriptionView> {
    let (_, record) = load_for_caller(app, token).await?;
    let record = record.ok_or_else(no_inscription)?;
    Ok(view(app, &record))
}

/// `GET /inscription/pieces`.
pub async fn pieces(app: &App, token: Option<&str>) -> AppResult<Vec<PieceView>> {
    let (_, record) = load_for_caller(app, token).await?;
    Ok(pieces_view(&record.ok_or_else(no_inscription)?))
}

fn registration_closed(
    calendar: &SessionCalendar,
    diploma: Diploma,
    now: DateTime<Utc>,
) -> AppError {
    let window = calendar.windows(diploma).registration;
    let when = if window.is_upcoming(now) {
        "ne sont pas encore ouvertes"
    } else {
        "sont closes"
    };
    AppError::refused(
        403,
        "registration_closed",
        "Inscriptions fermées",
        format!(
            "Les inscriptions au {} {when} : elles sont ouvertes {} (heure de Paris). Aucune modification ne peut être prise en compte en dehors de cette période.",
            diploma.label().to_lowercase(),
            window.french_range()
        ),
    )
}

fn version_conflict(current: Option<u64>) -> AppError {
    let detail = match current {
        Some(v) => format!(
            "Votre inscription a été modifiée entre-temps (elle est maintenant à la version {v}). Rechargez-la, puis refaites vos changements."
        ),
        None => "Vous n'avez pas encore d'inscription : envoyez la version 0 pour la créer.".into(),
    };
    AppError::refused(
        409,
        "version_conflict",
        "Inscription modifiée entre-temps",
        detail,
    )
}

/// `PUT /inscription`: creates (version 0) or replaces the inscription.
/// Answers whether it was created, and the saved inscription. A save that
/// changes nothing (once normalised) writes nothing and answers the
/// inscription as it is, at the same version: it must not void a dossier.
///
/// `input` is the form, with the values of the wrong type the body held, if
/// any (left out of it, see [`Parsed`]): they are reported with every other
/// invalid field, and nothing is saved.
pub async fn save(
    app: &App,
    token: Option<&str>,
    input: impl Into<Parsed<InscriptionInput>>,
) -> AppResult<(bool, InscriptionView)> {
    let Parsed {
        value: input,
        errors: type_errors,
    } = input.into();
    let (caller, mut current) = load_for_caller(app, token).await?;
    let now = app.now();
    let today = now.with_timezone(&app.calendar.timezone).date_naive();

    // A closed window is said first: no use correcting a form that cannot be saved.
    if let Some(diploma) = input
        .diploma
        .as_deref()
        .and_then(|d| d.parse::<Diploma>().ok())
    {
        if !app.calendar.windows(diploma).registration.is_open(now) {
            return Err(registration_closed(&app.calendar, diploma, now));
        }
    }
    let session_year: i32 = app.calendar.session.parse().unwrap_or(2022);
    let ctx = ValidationContext {
        catalogue: &app.catalogue,
        session_year,
        today,
    };
    let data = merge_errors(type_errors, validate(&input, &ctx)).map_err(AppError::validation)?;
    let expected = input.expected_version();

    for _ in 0..MAX_RETRIES {
        let saved = match &current {
            None if expected != 0 => return Err(version_conflict(None)),
            None => create(app, &caller, &data, now, today),
            Some(record) if record.version != expected => {
                return Err(version_conflict(Some(record.version)))
            }
            Some(record) => {
                // The diploma it has now must still be open to change (unless cancelled).
                let held = record.data.diploma;
                if record.status != InscriptionStatus::Cancelled
                    && !app.calendar.windows(held).registration.is_open(now)
                {
                    return Err(registration_closed(&app.calendar, held, now));
                }
                if saves_nothing(record, &data) {
                    // No write, no email, no history: the version, the
                    // status and the signed confirmation stay as they are.
                    return Ok((false, view(app, record)));
                }
                update(record, &data, now, today)
            }
        };
        let (record, history) = saved;
        let read_revision = current.as_ref().map_or(0, |r| r.revision);
        match app
            .store
            .transact(record.write_ops(&app.calendar, read_revision, history)?)
            .await
        {
            Ok(()) => {
                send_modification_email(app, current.as_ref(), &record).await;
                return Ok((current.is_none(), view(app, &record)));
            }
            Err(StoreError::ConditionFailed { .. } | StoreError::Conflict(_)) => {
                // Someone wrote first: re-read and decide again.
                current = load(app, &caller.account.account_id).await?;
                if current.is_none() && expected == 0 {
                    continue;
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(version_conflict(current.map(|r| r.version)))
}

fn create(
    app: &App,
    caller: &Caller,
    data: &ValidInscription,
    now: DateTime<Utc>,
    today: chrono::NaiveDate,
) -> (InscriptionRecord, HistoryEntry) {
    let mut record = InscriptionRecord {
        record_type: "inscription".into(),
        account_id: caller.account.account_id.clone(),
        email: caller.account.email.clone(),
        session: app.calendar.session.clone(),
        data: data.clone(),
        version: 1,
        revision: 1,
        status: InscriptionStatus::Registered,
        pieces: reconcile_pieces(data, today, &Pieces::new()),
        created_at: now,
        updated_at: now,
        documents_deadline_extension: None,
        reminders_sent: Vec::new(),
        cancelled_at: None,
    };
    record.refresh_status();
    let history = HistoryEntry {
        at: now,
        actor: "candidate".into(),
        action: "created".into(),
        fields: Vec::new(),
        version: record.version,
        detail: None,
    };
    (record, history)
}

/// Whether saving `data` over `record` would change nothing. A cancelled
/// inscription saved again is registered afresh, which is a change even
/// when the form is the same.
fn saves_nothing(record: &InscriptionRecord, data: &ValidInscription) -> bool {
    record.status != InscriptionStatus::Cancelled && changes_nothing(&record.data, data)
}

fn update(
    current: &InscriptionRecord,
    data: &ValidInscription,
    now: DateTime<Utc>,
    today: chrono::NaiveDate,
) -> (InscriptionRecord, HistoryEntry) {
    let mut record = current.clone();
    let fields = changed_fields(&current.data, data);
    record.data = data.clone();
    record.version += 1;
    record.revision += 1;
    record.updated_at = now;
    record.pieces = reconcile_pieces(data, today, &current.pieces);
    // The confirmation signed for the previous version no longer counts.
    if let Some(confirmation) = record.pieces.get_mut(&PieceKind::SignedConfirmation) {
        if confirmation.status != PieceStatus::Missing {
            *confirmation = PieceState::missing_because(format!(
                "Votre inscription a été modifiée (version {}) : imprimez, datez et signez la nouvelle confirmation, puis déposez-la.",
                record.version
            ));
        }
    }
    if data.diploma != current.data.diploma {
        // An extension, and the reminders sent, were for the deadline of the
        // diploma held then.
        record.documents_deadline_extension = None;
        record.reminders_sent.clear();
    }
    if record.status == InscriptionStatus::Cancelled {
        // Registering again (in another diploma's open window) starts afresh:
        // neither the old extension nor the reminders already sent apply.
        record.status = InscriptionStatus::Registered;
        record.cancelled_at = None;
        record.reminders_sent.clear();
        record.documents_deadline_extension = None;
    }
    record.status = InscriptionStatus::Registered;
    record.refresh_status();
    let history = HistoryEntry {
        at: now,
        actor: "candidate".into(),
        action: "updated".into(),
        fields,
        version: record.version,
        detail: None,
    };
    (record, history)
}

/// « Modification d'inscription »: what changed, and what to do next.
async fn send_modification_email(
    app: &App,
    previous: Option<&InscriptionRecord>,
    record: &InscriptionRecord,
) {
    let summary = change_summary_fr(previous.map(|r| &r.data), &record.data, &app.catalogue);
    let windows = app.calendar.windows(record.data.diploma);
    let intro = match previous {
        None => format!(
            "Votre inscription à la session {} est enregistrée (version {}).",
            record.session, record.version
        ),
        Some(_) => format!(
            "Votre inscription à la session {} a été modifiée (version {}).",
            record.session, record.version
        ),
    };
    let mut message = Message::new("Modification d'inscription")
        .para(intro)
        .para(summary)
        .para(format!(
            "Vous pouvez encore la modifier jusqu'au {} (heure de Paris). Aucune modification ne pourra être prise en compte après la fin des inscriptions.",
            to_paris_string(windows.registration.closes)
        ))
        .para(format!(
            "Imprimez votre confirmation d'inscription depuis « Mes documents », vérifiez-la, datez-la et signez-la, puis déposez-la avec vos pièces justificatives {} (heure de Paris).",
            windows.documents.french_range()
        ));
    if previous.is_some() {
        message = message.para("Toute confirmation signée pour une version précédente ne compte plus : déposez celle de la nouvelle version.");
    }
    if let Some(url) = record.data.accommodation_request_url() {
        message = message.link(
            "Vous avez déclaré une situation de handicap sans aménagement existant : faites votre demande d'aménagement d'épreuves",
            url,
        );
    }
    let email = message
        .link("Mon espace candidat", app.link("/"))
        .to(&record.email);
    mailqueue::send_or_queue(app, "modification", &record.account_id, email).await;
}

/// Reads the history of an inscription, oldest first.
pub async fn history(app: &App, account_id: &str) -> AppResult<Vec<HistoryEntry>> {
    let mut entries = Vec::new();
    let mut cursor = None;
    loop {
        let query = crate::ports::Query::table(
            keys::candidate_pk(account_id),
            crate::ports::SortKeyCondition::BeginsWith(keys::history_prefix(&app.calendar.session)),
        )
        .limit(200)
        .after(cursor);
        let page = app.store.query(&query).await?;
        for item in page.items {
            entries.push(item.to_value()?);
        }
        cursor = page.cursor;
        if cursor.is_none() {
            return Ok(entries);
        }
    }
}
