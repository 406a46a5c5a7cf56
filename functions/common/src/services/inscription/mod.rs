//! The inscription (« Vous inscrire »): one per candidate and session, saved
//! and changed while its diploma's registration window is open, never after.
//!
//! Every write is conditional on the revision it read, so no update is ever
//! lost; the candidate's `version` is checked against what they last read.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::app::App;
use crate::domain::calendar::{PostalAddress, SessionCalendar};
use crate::domain::dossier::{Channel, InscriptionStatus, PieceFile, PieceStatus};
use crate::domain::inscription::{validate, InscriptionInput, ValidInscription, ValidationContext};
use crate::domain::pieces::{label_for, PieceKind};
use crate::domain::transitions::save::{self as save_transition, Save, SaveRefused};
use crate::domain::validation::{merge_errors, Parsed};
use crate::domain::Diploma;
use crate::error::AppResult;
use crate::metrics::Metric;
use crate::records::dossier::{self as dossier, Delivery};
use crate::records::keys;
use crate::services::sessions::{authenticate, take, Caller};

use crate::records::dossier::InscriptionRecord;
use crate::records::history::HistoryEntry;

mod error;
pub(crate) use error::NO_INSCRIPTION;
pub use error::{InscriptionError, InscriptionRefusal, InscriptionResult};

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
    /// How the piece reached the exams office, once it did (received,
    /// validated or rejected): `upload` (in « Mes documents ») or `post`
    /// (the paper copy recorded by the office).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<Channel>,
    /// For a piece received by post: the postmark's date (Paris calendar day).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "2021-11-05")]
    pub postmarked_on: Option<NaiveDate>,
    /// For a piece still owed (missing or rejected): both ways to send it,
    /// in French: upload it in « Mes documents », or post it to the
    /// rectorat's address (the postmark's date counts).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub how_to_send: Option<String>,
    /// The files that count for the piece, oldest first (at most 5).
    pub files: Vec<FileView>,
    /// The files the exams office refused, kept as evidence: they no longer count.
    pub rejected_files: Vec<FileView>,
}

/// One file of a piece.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FileView {
    /// The file's id, for `DELETE /inscription/pieces/{kind}/files/{id}`.
    pub id: String,
    pub name: String,
    pub content_type: String,
    pub size_bytes: u64,
    pub received_at: DateTime<Utc>,
}

impl From<&PieceFile> for FileView {
    fn from(file: &PieceFile) -> Self {
        Self {
            id: file.id.clone(),
            name: file.name.clone(),
            content_type: file.content_type.clone(),
            size_bytes: file.size_bytes,
            received_at: file.received_at,
        }
    }
}

/// The inscription as the API answers it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct InscriptionView {
    pub session: String,
    /// The candidate number, unique within the session (`^[A-Z0-9-]{4,16}$`,
    /// e.g. `K7M2-9QXP`), given at creation and never changed. A dossier
    /// saved before numbers existed gets one at its next change.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(pattern = "^[A-Z0-9-]{4,16}$", example = "K7M2-9QXP")]
    pub candidate_number: Option<String>,
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

/// The pieces of `record`; those still owed say how to send them, by upload
/// or by post to `post_to`.
pub fn pieces_view(record: &InscriptionRecord, post_to: &PostalAddress) -> Vec<PieceView> {
    record
        .pieces
        .iter()
        .map(|(kind, state)| PieceView {
            kind: *kind,
            label: label_for(*kind, &record.data),
            status: state.status,
            reason: state.reason.clone(),
            received_at: state.received_at,
            channel: state.received_by(),
            postmarked_on: state.postmarked_on,
            how_to_send: (!state.is_in()).then(|| post_to.both_ways_fr()),
            files: state.current_files().iter().map(FileView::from).collect(),
            rejected_files: state.rejected_files.iter().map(FileView::from).collect(),
        })
        .collect()
}

pub fn view(app: &App, record: &InscriptionRecord) -> InscriptionView {
    let windows = app.calendar.windows(record.data.diploma);
    InscriptionView {
        session: record.session.clone(),
        candidate_number: record.candidate_number.clone(),
        data: record.data.clone(),
        version: record.version,
        status: record.status,
        pieces: pieces_view(record, &app.calendar.postal_address),
        created_at: record.created_at,
        updated_at: record.updated_at,
        registration_closes: windows.registration.closes,
        documents_opens: windows.documents.opens,
        documents_deadline: record.documents_deadline(&app.calendar),
        accommodation_request_url: record.data.accommodation_request_url().map(str::to_owned),
    }
}

fn no_inscription() -> InscriptionError {
    InscriptionRefusal::NoInscription.into()
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
    dossier::load(app, account_id, &app.calendar.session).await
}

/// `GET /inscription`.
pub async fn get(app: &App, token: Option<&str>) -> InscriptionResult<InscriptionView> {
    let (_, record) = load_for_caller(app, token).await?;
    let record = record.ok_or_else(no_inscription)?;
    Ok(view(app, &record))
}

/// `GET /inscription/pieces`.
pub async fn pieces(app: &App, token: Option<&str>) -> InscriptionResult<Vec<PieceView>> {
    let (_, record) = load_for_caller(app, token).await?;
    Ok(pieces_view(
        &record.ok_or_else(no_inscription)?,
        &app.calendar.postal_address,
    ))
}

fn registration_closed(
    calendar: &SessionCalendar,
    diploma: Diploma,
    now: DateTime<Utc>,
) -> InscriptionRefusal {
    let window = calendar.windows(diploma).registration;
    InscriptionRefusal::RegistrationClosed {
        diploma,
        upcoming: window.is_upcoming(now),
        range_fr: window.french_range(),
    }
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
) -> InscriptionResult<(bool, InscriptionView)> {
    let Parsed {
        value: input,
        errors: type_errors,
    } = input.into();
    let (caller, current) = load_for_caller(app, token).await?;
    let now = app.now();
    let today = now.with_timezone(&app.calendar.timezone).date_naive();

    // A closed window is said first: no use correcting a form that cannot be saved.
    if let Some(diploma) = input
        .diploma
        .as_deref()
        .and_then(|d| d.parse::<Diploma>().ok())
    {
        save_transition::check_open(&app.calendar, diploma, now)
            .map_err(|refused| save_refused(&app.calendar, refused, now))?;
    }
    let session_year: i32 = app.calendar.session.parse().unwrap_or(2022);
    let ctx = ValidationContext {
        catalogue: &app.catalogue,
        session_year,
        today,
    };
    let data =
        merge_errors(type_errors, validate(&input, &ctx)).map_err(InscriptionRefusal::Invalid)?;
    let command = Save {
        account_id: caller.account.account_id.clone(),
        email: caller.account.email.clone(),
        session: app.calendar.session.clone(),
        expected_version: input.expected_version(),
        data,
    };
    let updated = dossier::update(
        app,
        &command.account_id,
        &command.session,
        current,
        Delivery::Now,
        |current| {
            save_transition::save(current, &command, &app.calendar, now)
                .map_err(|refused| save_refused(&app.calendar, refused, now))
        },
    )
    .await?;
    match (updated.committed, updated.before) {
        (Some(committed), before) => {
            app.count(Metric::InscriptionsSaved);
            Ok((before.is_none(), view(app, &committed.record)))
        }
        // No write, no email, no history: the inscription as it is.
        (None, Some(record)) if !updated.raced => Ok((false, view(app, &record))),
        (None, before) => Err(InscriptionRefusal::VersionConflict {
            current: before.map(|r| r.version),
        }
        .into()),
    }
}

fn save_refused(
    calendar: &SessionCalendar,
    refused: SaveRefused,
    now: DateTime<Utc>,
) -> InscriptionError {
    match refused {
        SaveRefused::RegistrationClosed { diploma } => registration_closed(calendar, diploma, now),
        SaveRefused::VersionConflict { current } => InscriptionRefusal::VersionConflict { current },
    }
    .into()
}

/// Reads the history of an inscription, oldest first.
pub async fn history(app: &App, account_id: &str) -> AppResult<Vec<HistoryEntry>> {
    history_in(app, account_id, &app.calendar.session).await
}

/// Reads the history of the inscription of `account_id` in `session`.
pub async fn history_in(
    app: &App,
    account_id: &str,
    session: &str,
) -> AppResult<Vec<HistoryEntry>> {
    let mut entries = Vec::new();
    let mut cursor = None;
    loop {
        let query = crate::ports::Query::table(
            keys::candidate_pk(account_id),
            crate::ports::SortKeyCondition::BeginsWith(keys::history_prefix(session)),
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

/// `POST /inscription/withdraw`: the candidate withdraws (« se désister »).
/// Any inscription may be withdrawn, whatever its status; a withdrawal sent
/// again changes nothing (204 as well, no second email). The candidate is
/// emailed a receipt; the office may reopen it (`reopen`).
pub async fn withdraw(app: &App, token: Option<&str>) -> InscriptionResult<()> {
    use crate::domain::transitions::withdrawal::{self, Withdrawal};
    let (caller, current) = load_for_caller(app, token).await?;
    if current.is_none() {
        return Err(no_inscription());
    }
    let now = app.now();
    let updated = dossier::update(
        app,
        &caller.account.account_id,
        &app.calendar.session,
        current,
        Delivery::Now,
        |current| match current {
            Some(record) => Ok(withdrawal::withdraw(record, &Withdrawal::ByCandidate, now)),
            None => Err(no_inscription()),
        },
    )
    .await?;
    if updated.raced {
        return Err(InscriptionRefusal::ChangedMeanwhile.into());
    }
    Ok(())
}
