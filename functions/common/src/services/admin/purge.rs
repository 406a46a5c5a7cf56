//! `purge`: a closed session's personal data deleted, page by page.
//!
//! **Closed.** A session closes when its retention schedule says its
//! dossiers' time is over (`domain::retention`: 00:00 Paris time on the day
//! `dossiers_months` after `results_on`). Before that, `purge` is refused
//! (`session_not_closed`), the deployment's own session included; a session
//! whose file has no `[retention]` is refused too (`no_retention_schedule`).
//!
//! **What goes, in this order** (evidence and exports first, so that an
//! interruption never leaves a file that no record names):
//! 1. the session's export files (`exports/`, named by the export journal
//!    `EXPORTS#<session>`, whose lines stay, marked `file_deleted_at`: they
//!    say who exported what, and hold no candidate's data);
//! 2. the session's mails that failed for good (`MAILS_FAILED#<session>`);
//! 3. each dossier of the session's listing (gsi2 `INSCRIPTIONS#<session>#<shard>`,
//!    its shards one after the other, never a scan), unless it is on legal hold: every stored version of
//!    the candidate's files stored before the session's results (rejected
//!    and replaced files included: they were kept as evidence until now),
//!    the files the dossier names, its history, its search entries and
//!    upload requests, then in one transaction the dossier itself, its
//!    number guard and its share of the counters. When the candidate has no
//!    dossier in another session, the account goes with it: its sessions,
//!    its guards (address, login attempts, rate limits) and the account.
//!    A candidate with a dossier in another session keeps the account.
//!
//! **Resumable and bounded.** A run works within its budget (90 s at the
//! console, 20 s over the Office API) and answers `remaining` > 0 when work
//! is left: the same event again goes on. Where the walk stands is saved
//! after each page (`PURGE#<session>` / `CURSOR`); a dossier is deleted last
//! of all its items, so a run interrupted anywhere meets it again. Counts
//! are added in the very transactions that delete (`PURGE#<session>` /
//! `COUNTS`), so they stay true whatever the interruptions (the one
//! exception: stored file versions, counted just after S3 erases them).
//! `deleted` is the purge's total since its first run.
//!
//! **Dry run.** `dry_run: true` walks the same way and counts what would go,
//! writing nothing; when it runs out of time it answers a `cursor`, to send
//! back with the next dry run (whose counts are then that slice's).
//!
//! **Journal.** Each run (not a dry run) writes one line
//! `PURGE#<session>` / `RUN#<instant>#<id>` (actor, counts, finished); the
//! deleted dossiers' histories go with them. The office's read journal
//! (`READS#<session>`) stays: it names no candidate.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::events::PurgeEvent;
use super::{instant, AdminError, AdminResult};
use crate::app::App;
use crate::domain::calendar::SessionCalendar;
use crate::domain::local_day::start_of_day;
use crate::domain::record::InscriptionRecord;
use crate::domain::retention::RetentionSchedule;
use crate::ports::documents::ObjectVersion;
use crate::ports::store::{Condition, Index, Item, Query, SortKeyCondition, WriteOp};
use crate::ports::{Key, StoreError};
use crate::records::account::AccountRecord;
use crate::records::mail::failed_mails_partition;
use crate::records::rate_limit::RateKind;
use crate::records::shards::FanOut;
use crate::records::upload::CANDIDATES_PREFIX;
use crate::records::{keys, numbers, stats};
use crate::services::budget::Budget;

/// Dossiers read per page of the listing.
const PAGE: usize = 20;
/// Deletions per transaction, leaving room for the counters' `Add`.
const BATCH: usize = 99;
/// How many times one dossier is tried when a concurrent write moves it.
const DOSSIER_TRIES: usize = 3;

/// The refusal of a session whose retention has not ended.
pub const SESSION_NOT_CLOSED: &str = "session_not_closed";
/// The refusal of a session whose file has no retention schedule.
pub const NO_RETENTION_SCHEDULE: &str = "no_retention_schedule";

/// What a purge counts, by name (the answer's `deleted`).
const COUNTED: [&str; 8] = [
    "dossiers",
    "history_lines",
    "files",
    "file_versions",
    "other_items",
    "accounts",
    "exports",
    "failed_mails",
];

type Counts = BTreeMap<String, i64>;

/// Where the walk of the listing stands (`PURGE#<session>` / `CURSOR`).
#[derive(Debug, Default, Serialize, Deserialize)]
struct Progress {
    #[serde(default)]
    cursor: Option<String>,
    #[serde(default)]
    kept_on_hold: u64,
    #[serde(default)]
    finished: bool,
}

/// One run: its session's facts, whether it writes, and what it counted.
struct Run<'a> {
    app: &'a App,
    session: String,
    /// Files stored before this instant are the session's (its results'
    /// day: the next session's files come months later).
    files_before: DateTime<Utc>,
    dry_run: bool,
    counted: Counts,
}

/// Runs `event` within `budget`.
pub async fn run(app: &App, event: &PurgeEvent, mut budget: Budget) -> AdminResult<Value> {
    let (schedule, calendar) = schedule_of(app, &event.session)?;
    let now = app.now();
    refuse_open(app, &event.session, &schedule, &calendar, now)?;
    let files_before =
        start_of_day(calendar.timezone, schedule.results_on).unwrap_or(DateTime::<Utc>::MIN_UTC);
    let mut run = Run {
        app,
        session: event.session.clone(),
        files_before,
        dry_run: event.dry_run,
        counted: COUNTED.iter().map(|name| ((*name).to_owned(), 0)).collect(),
    };
    // A dry run's next slice counted these already.
    if event.cursor.is_none() {
        run.exports().await?;
        run.failed_mails().await?;
    }
    let mut progress = if event.dry_run {
        Progress {
            cursor: event.cursor.clone(),
            ..Progress::default()
        }
    } else {
        run.saved_progress().await?
    };
    // The listing's shards one after the other, a page at a time.
    let pages = keys::listing_partitions(&run.session)
        .into_iter()
        .map(|partition| Query::index(Index::Gsi2, partition, SortKeyCondition::Any).limit(PAGE))
        .collect();
    let mut walk = FanOut::resume(pages, progress.cursor.as_deref(), 1)?;
    loop {
        if budget.exhausted() {
            break;
        }
        let items = walk.next_pages(&app.store).await?.unwrap_or_default();
        for item in &items {
            budget.take();
            if run.dossier(&item.key).await? == Fate::Kept {
                progress.kept_on_hold += 1;
            }
        }
        progress.cursor = walk.cursor();
        progress.finished = progress.cursor.is_none();
        if !run.dry_run {
            run.save_progress(&progress, now).await?;
        }
        if progress.finished {
            break;
        }
    }
    let remaining = if progress.finished {
        0
    } else {
        run.remaining_estimate(progress.kept_on_hold).await?
    };
    let deleted = if run.dry_run {
        run.counted.clone()
    } else {
        run.journal(&event.actor.recorded(), &progress, now).await?;
        run.total().await?
    };
    tracing::info!(
        session = %run.session,
        dry_run = run.dry_run,
        finished = progress.finished,
        counted = ?run.counted,
        "purge run"
    );
    let mut answer = json!({
        "session": run.session,
        "dry_run": run.dry_run,
        "deleted": deleted,
        "kept_on_hold": progress.kept_on_hold,
        "remaining": remaining,
        "finished": progress.finished,
        "closed_since": instant(schedule.closes_at(calendar.timezone)),
    });
    if let (true, Some(cursor), Some(map)) = (run.dry_run, progress.cursor, answer.as_object_mut())
    {
        map.insert("cursor".into(), json!(cursor));
    }
    Ok(answer)
}

/// The session's retention schedule, from its calendar: the deployment's
/// own, or the one built into the binary for an earlier session.
fn schedule_of(app: &App, session: &str) -> AdminResult<(RetentionSchedule, SessionCalendar)> {
    let calendar = if session == app.calendar.session {
        app.calendar.clone()
    } else {
        SessionCalendar::embedded(session).map_err(|_| no_schedule(session))?
    };
    let schedule = calendar
        .retention
        .clone()
        .ok_or_else(|| no_schedule(session))?;
    Ok((schedule, calendar))
}

fn no_schedule(session: &str) -> AdminError {
    AdminError::field(
        NO_RETENTION_SCHEDULE,
        "session",
        format!(
            "La session {session} n'a pas de durée de conservation connue (table [retention] de son fichier de session) : elle ne peut pas être purgée."
        ),
    )
}

/// Refuses a session whose retention has not ended.
fn refuse_open(
    app: &App,
    session: &str,
    schedule: &RetentionSchedule,
    calendar: &SessionCalendar,
    now: DateTime<Utc>,
) -> AdminResult<()> {
    if schedule.is_closed(calendar.timezone, now) {
        return Ok(());
    }
    let purge_day = schedule.purge_day();
    let last_kept = purge_day.pred_opt().unwrap_or(purge_day);
    let current = if session == app.calendar.session {
        " C'est la session en cours de ce déploiement."
    } else {
        ""
    };
    Err(AdminError::field(
        SESSION_NOT_CLOSED,
        "session",
        format!(
            "La session {session} n'est pas close : ses dossiers sont conservés jusqu'au {} inclus ({} mois après ses résultats du {}) ; la purge sera possible à partir du {}.{current}",
            crate::wording::french_date(last_kept),
            schedule.dossiers_months,
            crate::wording::french_date(schedule.results_on),
            crate::wording::french_date(purge_day),
        ),
    ))
}

/// What became of one dossier met in the listing.
#[derive(Debug, PartialEq, Eq)]
enum Fate {
    /// Deleted (or counted, in a dry run), or already gone.
    Gone,
    /// On legal hold: kept.
    Kept,
}

/// The items of a candidate's partition, sorted by what the purge does.
#[derive(Default)]
struct Partition {
    /// This session's history lines.
    history: Vec<Key>,
    /// This session's search entries and upload requests.
    other: Vec<Key>,
    /// Whether the candidate has a dossier in another session.
    other_sessions: bool,
    /// The account's items besides the account itself (sessions, the trace
    /// of an expired activation), and anything else left there.
    account_items: Vec<Key>,
    account: Option<AccountRecord>,
}

impl Run<'_> {
    /// Adds `deltas` to this run's counts.
    fn count(&mut self, deltas: &Counts) {
        for (name, n) in deltas {
            *self.counted.entry(name.clone()).or_insert(0) += n;
        }
    }

    /// The purge's counters' `Add`, in the transaction that deletes.
    fn add_op(&self, deltas: &Counts) -> WriteOp {
        WriteOp::Add {
            key: keys::purge_counts(&self.session),
            deltas: deltas.clone(),
        }
    }

    fn one(name: &str, n: usize) -> Counts {
        BTreeMap::from([(name.to_owned(), i64::try_from(n).unwrap_or(i64::MAX))])
    }

    /// Deletes `keys` (each must exist: a key gone meanwhile is not
    /// counted), counted as `name`, in transactions of [`BATCH`].
    async fn delete_counted(&mut self, keys: &[Key], name: &str) -> AdminResult<()> {
        if self.dry_run {
            self.count(&Self::one(name, keys.len()));
            return Ok(());
        }
        for chunk in keys.chunks(BATCH) {
            let deltas = Self::one(name, chunk.len());
            let mut ops: Vec<WriteOp> = chunk
                .iter()
                .map(|key| WriteOp::Delete {
                    key: key.clone(),
                    condition: Condition::Exists,
                })
                .collect();
            ops.push(self.add_op(&deltas));
            match self.app.store.transact(ops).await {
                Ok(()) => self.count(&deltas),
                // One went meanwhile (another run): each on its own.
                Err(StoreError::ConditionFailed { .. } | StoreError::Conflict(_)) => {
                    for key in chunk {
                        let deltas = Self::one(name, 1);
                        let ops = vec![
                            WriteOp::Delete {
                                key: key.clone(),
                                condition: Condition::Exists,
                            },
                            self.add_op(&deltas),
                        ];
                        match self.app.store.transact(ops).await {
                            Ok(()) => self.count(&deltas),
                            Err(StoreError::ConditionFailed { .. }) => {}
                            Err(e) => return Err(e.into()),
                        }
                    }
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    /// Step 1: the session's export files; their journal lines stay, marked.
    async fn exports(&mut self) -> AdminResult<()> {
        let mut cursor = None;
        loop {
            let page = self
                .app
                .store
                .query(
                    &Query::table(format!("EXPORTS#{}", self.session), SortKeyCondition::Any)
                        .after(cursor),
                )
                .await?;
            for item in page.items {
                if item.attrs.contains_key("file_deleted_at") {
                    continue;
                }
                let deltas = Self::one("exports", 1);
                if self.dry_run {
                    self.count(&deltas);
                    continue;
                }
                if let Some(key) = item.str_attr("key") {
                    self.erase_export(key).await?;
                }
                let marked = item
                    .clone()
                    .with("file_deleted_at", instant(self.app.now()));
                let ops = vec![
                    WriteOp::put(marked, Condition::Exists),
                    self.add_op(&deltas),
                ];
                self.app.store.transact(ops).await?;
                self.count(&deltas);
            }
            cursor = page.cursor;
            if cursor.is_none() {
                return Ok(());
            }
        }
    }

    /// An export's file and every stored version of it (counted as the
    /// export, not as a candidate's file version).
    async fn erase_export(&self, key: &str) -> AdminResult<()> {
        let documents = &self.app.documents;
        let versions = documents
            .stored_versions(key, DateTime::<Utc>::MAX_UTC, 100)
            .await
            .map_err(internal)?;
        for version in versions.iter().filter(|v| v.key == key) {
            documents.erase_version(version).await.map_err(internal)?;
        }
        documents.delete(key).await.map_err(internal)?;
        Ok(())
    }

    /// Step 2: the session's mails that failed for good.
    async fn failed_mails(&mut self) -> AdminResult<()> {
        let mut cursor = None;
        loop {
            let page = self
                .app
                .store
                .query(
                    &Query::index(
                        Index::Gsi2,
                        failed_mails_partition(&self.session),
                        SortKeyCondition::Any,
                    )
                    .after(cursor),
                )
                .await?;
            let keys: Vec<Key> = page.items.into_iter().map(|item| item.key).collect();
            self.delete_counted(&keys, "failed_mails").await?;
            cursor = page.cursor;
            if cursor.is_none() {
                return Ok(());
            }
        }
    }

    /// Step 3, one dossier: read again (consistently: the listing's index
    /// may lag), kept when held, else deleted with all that goes with it.
    async fn dossier(&mut self, key: &Key) -> AdminResult<Fate> {
        for _ in 0..DOSSIER_TRIES {
            let Some(item) = self.app.store.get(key).await? else {
                return Ok(Fate::Gone);
            };
            let record: InscriptionRecord = item.to_value()?;
            if record.legal_hold.is_some() {
                return Ok(Fate::Kept);
            }
            if self.delete_dossier(&record).await? {
                return Ok(Fate::Gone);
            }
        }
        Err(AdminError::new(
            "conflict",
            "Un dossier a été modifié plusieurs fois pendant la purge. Relancez-la : elle reprendra où elle s'est arrêtée.",
        ))
    }

    /// Deletes `record` and what goes with it; `false` when the dossier
    /// changed meanwhile (a hold, a write): to decide again.
    async fn delete_dossier(&mut self, record: &InscriptionRecord) -> AdminResult<bool> {
        let partition = self.partition(record).await?;
        let with_account = !partition.other_sessions;
        // Evidence first: every stored version of the candidate's files of
        // this session, then the files the dossier names.
        let prefix = format!("{CANDIDATES_PREFIX}{}/", record.account_id);
        self.erase_all_versions(&prefix, self.files_before).await?;
        let files = named_files(record);
        if !self.dry_run {
            for file in &files {
                self.app.documents.delete(file).await.map_err(internal)?;
            }
        }
        self.delete_counted(&partition.history, "history_lines")
            .await?;
        let mut other = partition.other.clone();
        if with_account {
            other.extend(partition.account_items.iter().cloned());
        }
        self.delete_counted(&other, "other_items").await?;
        if with_account {
            if let Some(account) = &partition.account {
                self.delete_guards(account).await?;
            }
        }
        // Last, in one transaction: the dossier (as read), its number guard,
        // its share of the counters, and the account when it goes.
        let mut deltas = Self::one("dossiers", 1);
        deltas.insert("files".into(), i64::try_from(files.len()).unwrap_or(0));
        let mut ops = vec![WriteOp::Delete {
            key: record.key(),
            condition: Condition::AttributeEquals("revision".into(), json!(record.revision)),
        }];
        if let Some(number) = &record.candidate_number {
            ops.push(WriteOp::delete(numbers::guard_key(&record.session, number)));
        }
        ops.extend(stats::removal(record));
        if let (true, Some(account)) = (with_account, &partition.account) {
            deltas.insert("accounts".into(), 1);
            ops.push(WriteOp::delete(account.key()));
            ops.push(WriteOp::delete(keys::email_guard(&account.email_canonical)));
        }
        if self.dry_run {
            self.count(&deltas);
            return Ok(true);
        }
        ops.push(self.add_op(&deltas));
        match self.app.store.transact(ops).await {
            Ok(()) => {
                self.count(&deltas);
                Ok(true)
            }
            Err(StoreError::ConditionFailed { .. } | StoreError::Conflict(_)) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// The candidate's partition, read once (a consistent query of their
    /// own items: what is read is what goes, or the other session's).
    async fn partition(&self, record: &InscriptionRecord) -> AdminResult<Partition> {
        let history = keys::history_prefix(&self.session);
        let search = format!("SEARCH#{}#", self.session);
        let own = record.key();
        let mut partition = Partition::default();
        let mut cursor = None;
        loop {
            let page = self
                .app
                .store
                .query(
                    &Query::table(
                        keys::candidate_pk(&record.account_id),
                        SortKeyCondition::Any,
                    )
                    .after(cursor),
                )
                .await?;
            for item in page.items {
                let sk = item.key.sk.as_str();
                if item.key == own {
                    continue;
                } else if sk.starts_with("INSCRIPTION#") {
                    partition.other_sessions = true;
                } else if sk.starts_with(&history) {
                    partition.history.push(item.key);
                } else if sk.starts_with(&search) {
                    partition.other.push(item.key);
                } else if sk.starts_with(keys::UPLOAD_PREFIX) {
                    if item.str_attr("session") == Some(self.session.as_str()) {
                        partition.other.push(item.key);
                    }
                } else if sk == "ACCOUNT" {
                    partition.account = Some(item.to_value()?);
                } else if !sk.starts_with("HISTORY#") && !sk.starts_with("SEARCH#") {
                    // Sessions, the trace of an expired activation: the
                    // account's, deleted with it.
                    partition.account_items.push(item.key);
                }
            }
            cursor = page.cursor;
            if cursor.is_none() {
                return Ok(partition);
            }
        }
    }

    /// The account's guards outside its partition: its address, its login
    /// attempts, its rate limits, the mark of an undeliverable address
    /// (absent ones are no error).
    async fn delete_guards(&self, account: &AccountRecord) -> AdminResult<()> {
        if self.dry_run {
            return Ok(());
        }
        let canonical = &account.email_canonical;
        let mut ops = vec![
            WriteOp::delete(keys::login_guard(canonical)),
            WriteOp::delete(keys::undeliverable(canonical)),
        ];
        for kind in RateKind::ALL {
            ops.push(WriteOp::delete(keys::rate(kind.as_str(), canonical)));
        }
        self.app.store.transact(ops).await?;
        Ok(())
    }

    /// Erases every stored version under `prefix` stored before `before`,
    /// page by page, counted as `file_versions`.
    async fn erase_all_versions(&mut self, prefix: &str, before: DateTime<Utc>) -> AdminResult<()> {
        loop {
            let versions: Vec<ObjectVersion> = self
                .app
                .documents
                .stored_versions(prefix, before, 1000)
                .await
                .map_err(internal)?;
            if versions.is_empty() {
                return Ok(());
            }
            let deltas = Self::one("file_versions", versions.len());
            if self.dry_run {
                self.count(&deltas);
                return Ok(());
            }
            for version in &versions {
                self.app
                    .documents
                    .erase_version(version)
                    .await
                    .map_err(internal)?;
            }
            self.app.store.transact(vec![self.add_op(&deltas)]).await?;
            self.count(&deltas);
        }
    }

    async fn saved_progress(&self) -> AdminResult<Progress> {
        let saved = self
            .app
            .store
            .get(&keys::purge_cursor(&self.session))
            .await?
            .map(|item| item.to_value::<Progress>())
            .transpose()?
            .unwrap_or_default();
        // A finished walk starts again (held dossiers, any left since).
        Ok(if saved.finished {
            Progress::default()
        } else {
            saved
        })
    }

    async fn save_progress(&self, progress: &Progress, now: DateTime<Utc>) -> AdminResult<()> {
        let item = Item::from_value(keys::purge_cursor(&self.session), progress)?
            .with("record_type", "purge_progress")
            .with("updated_at", instant(now));
        self.app
            .store
            .transact(vec![WriteOp::put(item, Condition::Always)])
            .await?;
        Ok(())
    }

    /// The purge's total since its first run.
    async fn total(&self) -> AdminResult<Counts> {
        let mut total: Counts = COUNTED.iter().map(|name| ((*name).to_owned(), 0)).collect();
        if let Some(item) = self
            .app
            .store
            .get(&keys::purge_counts(&self.session))
            .await?
        {
            for name in COUNTED {
                if let Some(n) = item.attrs.get(name).and_then(Value::as_i64) {
                    total.insert(name.to_owned(), n);
                }
            }
        }
        Ok(total)
    }

    /// Dossiers left, from the session's counters (at least 1: the walk is
    /// not over). Dossiers stored before the counters are not in them.
    async fn remaining_estimate(&self, kept_on_hold: u64) -> AdminResult<u64> {
        let counts = stats::read(self.app, &self.session).await?;
        let total: i64 = counts
            .iter()
            .filter(|((_, _, what), _)| what != stats::AWAITING_REVIEW)
            .map(|(_, n)| *n)
            .sum();
        let counted = if self.dry_run {
            self.counted.get("dossiers").copied().unwrap_or(0)
        } else {
            0
        };
        let left = total - i64::try_from(kept_on_hold).unwrap_or(0) - counted;
        Ok(u64::try_from(left).unwrap_or(0).max(1))
    }

    /// The run's journal line, at the session's level.
    async fn journal(
        &self,
        actor: &str,
        progress: &Progress,
        now: DateTime<Utc>,
    ) -> AdminResult<()> {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let item = Item::from_value(
            keys::purge_run(&self.session, now, &id),
            &json!({
                "record_type": "purge_run",
                "at": instant(now),
                "actor": actor,
                "deleted": self.counted,
                "kept_on_hold": progress.kept_on_hold,
                "finished": progress.finished,
            }),
        )?;
        self.app
            .store
            .transact(vec![WriteOp::put(item, Condition::NotExists)])
            .await?;
        Ok(())
    }
}

/// Every file the dossier names: each piece's files and rejected files.
fn named_files(record: &InscriptionRecord) -> BTreeSet<String> {
    record
        .pieces
        .values()
        .flat_map(|piece| {
            piece
                .current_files()
                .into_iter()
                .chain(piece.rejected_files.iter().cloned())
                .map(|file| file.object_key)
        })
        .collect()
}

fn internal(error: crate::ports::DocumentStoreError) -> AdminError {
    AdminError::from(crate::error::AppError::Internal(error.to_string()))
}
