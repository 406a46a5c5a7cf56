//! The deadline sweeps (« Après cette date, la candidature est annulée »).
//!
//! One run does every due job, each found by a `Query` on gsi1 of what is due
//! by now, page by page, never a scan, so that its cost follows the items it
//! changes and not the size of the table. The due inscriptions and uploads,
//! which every save or upload writes, are sharded by candidate
//! (`records::shards`): their shards are read at once, a page of each:
//!
//! 1. accounts still pending 48 hours after their creation are deleted with
//!    all their data (`DUE#ACTIVATION`);
//! 2. upload URLs that expired 15 minutes ago without their file being
//!    checked (S3's notification lost, or its check dropped after its
//!    retries) are reconciled with the bucket: a HEAD of each one's key,
//!    never a listing; a file found is checked as of when it was stored
//!    (`DUE#UPLOAD#<session>#<shard>`, see [`reconcile`]). The same query, read 15
//!    minutes further, gives the uploads still in flight;
//! 3. inscriptions not complete are reminded 7 and 2 days before their
//!    documents deadline, and cancelled once it has passed (window close or
//!    the candidate's extension), unless an upload is in flight: a URL
//!    given before the deadline (URLs never outlive it) whose file is not
//!    checked yet holds the cancellation for 15 minutes after the deadline
//!    or until that check, whichever comes first; by then step 2 has looked
//!    for its file (a HEAD) and checked one stored in time
//!    (`domain::transitions::grace`) (`DUE#INSCRIPTION#<session>#<shard>`);
//! 4. the mail queue is drained (`DUE#MAIL`), at the configured rate.
//!
//! Every change is conditional on what was read (an account's `version`, an
//! inscription's `revision`): a candidate's activation or upload that lands
//! in between wins, and the sweep re-reads and decides again. A reminder or a
//! cancellation writes, in the same transaction, the inscription (with the
//! reminder recorded, or the status `cancelled`), a history line and the email
//! to send (see [`mailqueue`](crate::services::mailqueue)): re-running the
//! sweep, or running two at once, changes nothing more and sends nothing twice.
//!
//! A run stops when its [`Budget`] is spent (the Lambda's remaining time less
//! a margin): what is left is still due, and the next run carries on.

use std::collections::HashMap;
use std::time::Instant;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::app::App;
use crate::domain::account::AccountStatus;
use crate::domain::dossier::InscriptionStatus;
use crate::domain::transitions::grace;
use crate::error::{AppError, AppResult};
use crate::metrics::Metric;
use crate::ports::store::{Condition, Index, Item, Query, SortKeyCondition, WriteOp, GSI1_SK};
use crate::ports::StoreError;
use crate::records::account::AccountRecord;
use crate::records::dossier::{self, Delivery, InscriptionRecord};
use crate::records::keys;
use crate::records::mail::QueuedMail;
use crate::records::shards::{in_index_order, FanOut};
use crate::records::upload::UploadRecord;
use crate::services::accounts;
use crate::services::mailqueue::{self, Outgoing};
use crate::services::reconcile::{self, Found};

/// Re-reads and retries of one account whose conditional write lost a race.
const MAX_RETRIES: usize = 3;

use crate::records::keys::due_bound;
use crate::services::budget::Budget;

/// What one run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SweepReport {
    /// Unactivated accounts deleted with their data.
    pub accounts_deleted: usize,
    /// Reminders recorded and queued (7 or 2 days before the deadline).
    pub reminders: usize,
    /// Inscriptions cancelled (and their email queued).
    pub cancellations: usize,
    /// Overdue inscriptions left uncancelled this run: an upload URL given
    /// before their deadline still has its file unchecked (the grace).
    pub awaiting_uploads: usize,
    /// Unchecked uploads whose file the sweep found in the bucket (a HEAD)
    /// and checked itself: lost checks recovered.
    pub uploads_recovered: usize,
    /// Unchecked uploads whose URL expired with nothing stored.
    pub uploads_unused: usize,
    pub mails_sent: usize,
    /// Sends that failed this run (retried by a later run, never lost).
    pub mails_failed: usize,
    /// Items the run read from the store (index pages, re-reads, partitions).
    pub items_read: usize,
    /// Items found due but left alone: changed meanwhile by someone else.
    pub skipped: usize,
    /// `false` when the run stopped on its budget (or a throttled mail
    /// provider) with work left for the next run.
    pub finished: bool,
    pub elapsed_ms: u64,
}

impl SweepReport {
    /// Items changed: accounts deleted, inscriptions reminded or cancelled,
    /// mails sent.
    pub fn changed(&self) -> usize {
        self.accounts_deleted + self.reminders + self.cancellations + self.mails_sent
    }
}

/// One run, until `deadline` at the latest.
pub async fn run(app: &App, deadline: Instant) -> AppResult<SweepReport> {
    run_with(app, Budget::until(deadline)).await
}

/// One run within `budget`.
pub async fn run_with(app: &App, mut budget: Budget) -> AppResult<SweepReport> {
    let started = Instant::now();
    let mut report = SweepReport::default();
    let mut held = Outgoing::new(app);
    let accounts_done = delete_expired_accounts(app, &mut budget, &mut report).await?;
    // Lost checks first: a file found may complete a dossier due for
    // cancellation below.
    let in_flight = if accounts_done {
        reconcile_uploads(app, &mut budget, &mut report).await?
    } else {
        None
    };
    let uploads_done = in_flight.is_some();
    let inscriptions_done = match &in_flight {
        Some(in_flight) => {
            handle_due_inscriptions(app, &mut budget, &mut report, &mut held, in_flight).await?
        }
        None => false,
    };
    // The mails this run queued (held in memory, those not sent yet), then
    // the rest of the queue: earlier runs' leftovers, retries, admins'
    // unsent mails.
    let (drained, queue_done) = held.drain(app, &mut budget).await?;
    report.mails_sent = drained.sent;
    // A mail suppressed (undeliverable address) is listed as failed too.
    report.mails_failed = drained.failed + drained.suppressed;
    report.items_read += drained.items_read;
    report.skipped += drained.skipped;
    report.finished = accounts_done && uploads_done && inscriptions_done && queue_done;
    report.elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    if report.changed() > 0 || !report.finished {
        tracing::info!(report = ?report, "sweep run");
    }
    let backlog_age = mailqueue::backlog_age(app).await?.as_secs_f64();
    publish_metrics(app, &report, backlog_age);
    Ok(report)
}

/// The run's figures for the dashboard and the alarms (`metrics.rs`).
fn publish_metrics(app: &App, report: &SweepReport, mail_backlog_age_seconds: f64) {
    let count = |n: usize| n as f64;
    app.metrics.publish(
        app.now(),
        &[
            (Metric::SweepAccountsDeleted, count(report.accounts_deleted)),
            (Metric::SweepReminders, count(report.reminders)),
            (Metric::SweepCancellations, count(report.cancellations)),
            (
                Metric::SweepUploadsRecovered,
                count(report.uploads_recovered),
            ),
            (Metric::MailsSent, count(report.mails_sent)),
            (Metric::MailsFailed, count(report.mails_failed)),
            (Metric::SweepItemsRead, count(report.items_read)),
            (
                Metric::SweepFinished,
                if report.finished { 1.0 } else { 0.0 },
            ),
            (Metric::MailBacklogAge, mail_backlog_age_seconds),
        ],
    );
}

/// The due work of a sharded gsi1 partition (`records::shards`), due by
/// `bound`: a page of every shard at once, page after page. Each item is
/// in one shard only, and each shard is read forward once: a run finds
/// every item due exactly once (what it changes moves past `bound`).
fn due_pages(app: &App, partitions: Vec<String>, bound: &str) -> FanOut {
    let queries = partitions
        .into_iter()
        .map(|partition| {
            Query::index(
                Index::Gsi1,
                partition,
                SortKeyCondition::AtMost(bound.to_owned()),
            )
            .limit(app.config.sweep_page_size.max(1))
        })
        .collect();
    FanOut::new(queries)
}

/// The next pages of `due`, most overdue first: the order one partition
/// gave before sharding, whatever shard each item came from.
async fn next_due(app: &App, due: &mut FanOut) -> Result<Option<Vec<Item>>, StoreError> {
    let mut items = due.next_pages(&app.store).await?;
    if let Some(items) = items.as_mut() {
        in_index_order(items, GSI1_SK);
    }
    Ok(items)
}

/// One page of due work in `partition`, due by `bound`.
async fn due_page(
    app: &App,
    partition: &str,
    bound: &str,
    cursor: Option<String>,
) -> Result<crate::ports::Page, StoreError> {
    let query = Query::index(
        Index::Gsi1,
        partition,
        SortKeyCondition::AtMost(bound.to_owned()),
    )
    .limit(app.config.sweep_page_size.max(1))
    .after(cursor);
    app.store.query(&query).await
}

// ---------------------------------------------------------------------------
// Accounts left unactivated for 48 hours
// ---------------------------------------------------------------------------

async fn delete_expired_accounts(
    app: &App,
    budget: &mut Budget,
    report: &mut SweepReport,
) -> AppResult<bool> {
    let now = app.now();
    let bound = due_bound(now);
    let mut cursor = None;
    loop {
        if budget.exhausted() {
            return Ok(false);
        }
        let page = due_page(app, keys::DUE_ACTIVATION, &bound, cursor.take()).await?;
        report.items_read += page.items.len();
        for item in &page.items {
            if !budget.take() {
                return Ok(false);
            }
            match delete_expired_account(app, item, now, report).await? {
                true => report.accounts_deleted += 1,
                false => report.skipped += 1,
            }
        }
        match page.cursor {
            Some(next) => cursor = Some(next),
            None => return Ok(true),
        }
    }
}

/// Deletes one account if it is still pending past its deadline. Its other
/// items go first, then the account and its email guard in one transaction,
/// so that an interrupted deletion is still due and is finished next time.
async fn delete_expired_account(
    app: &App,
    item: &Item,
    now: DateTime<Utc>,
    report: &mut SweepReport,
) -> AppResult<bool> {
    let mut account: AccountRecord = match item.to_value() {
        Ok(account) => account,
        Err(e) => {
            // One unreadable item must not stop every run: left for a human.
            tracing::error!(error = %e, "unreadable account left alone");
            return Ok(false);
        }
    };
    for _ in 0..MAX_RETRIES {
        let expired = account.status == AccountStatus::PendingActivation
            && !crate::domain::account::activation_in_time(account.activation_deadline, now);
        if !expired {
            return Ok(false);
        }
        let account_key = account.key();
        let others: Vec<_> = partition_keys(app, &account.account_id)
            .await?
            .into_iter()
            .filter(|key| *key != account_key)
            .collect();
        report.items_read += others.len() + 1;
        let still_pending =
            Condition::AttributeEquals("version".into(), serde_json::json!(account.version));
        // Each batch checks that the account is still the pending one read,
        // so the data of an account activated meanwhile is never touched.
        let mut raced = false;
        for chunk in others.chunks(crate::ports::store::MAX_TRANSACTION_OPS - 1) {
            let mut ops = vec![WriteOp::Check {
                key: account_key.clone(),
                condition: still_pending.clone(),
            }];
            ops.extend(chunk.iter().cloned().map(WriteOp::delete));
            match app.store.transact(ops).await {
                Ok(()) => {}
                Err(StoreError::ConditionFailed { .. } | StoreError::Conflict(_)) => {
                    raced = true;
                    break;
                }
                Err(e) => return Err(e.into()),
            }
        }
        if !raced {
            let delete_account = WriteOp::Delete {
                key: account_key.clone(),
                condition: still_pending.clone(),
            };
            let delete_guard = WriteOp::Delete {
                key: keys::email_guard(&account.email_canonical),
                condition: Condition::AttributeEquals(
                    "account_id".into(),
                    serde_json::json!(account.account_id),
                ),
            };
            // The trace answers the old link with « expired » rather than « unknown ».
            let trace = account.expired_trace()?;
            let mut ops = vec![delete_account, delete_guard];
            ops.extend(trace.clone());
            match app.store.transact(ops).await {
                Ok(()) => {
                    tracing::info!(account_id = %account.account_id, "unactivated account deleted after 48 hours");
                    return Ok(true);
                }
                // The guard no longer names this account (a new signup took the
                // address): delete the account alone.
                Err(StoreError::ConditionFailed { op_index: 1 }) => {
                    let alone = WriteOp::Delete {
                        key: account_key,
                        condition: still_pending,
                    };
                    let mut ops = vec![alone];
                    ops.extend(trace);
                    match app.store.transact(ops).await {
                        Ok(()) => return Ok(true),
                        Err(StoreError::ConditionFailed { .. } | StoreError::Conflict(_)) => {}
                        Err(e) => return Err(e.into()),
                    }
                }
                Err(StoreError::ConditionFailed { .. } | StoreError::Conflict(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        // Changed meanwhile (activated, replaced by a new signup): read again.
        report.items_read += 1;
        match accounts::load(app, &account.account_id).await? {
            Some(fresh) => account = fresh,
            None => return Ok(false),
        }
    }
    Ok(false)
}

// ---------------------------------------------------------------------------
// Lost checks: pending uploads reconciled with the bucket
// ---------------------------------------------------------------------------

/// The upload URLs given whose file is still unchecked, by account: when
/// each was given. A dossier among them is not cancelled yet (the grace).
pub type InFlight = HashMap<String, Vec<DateTime<Utc>>>;

/// One pass over the pending uploads whose URL has expired (gsi1
/// `DUE#UPLOAD#<session>#<shard>`, due 15 minutes after the expiry): those due are
/// reconciled with the bucket (a HEAD each, within the budget: a file found
/// is checked as of when it was stored, an absent one marked unused); the
/// others, whose check may still come, are the uploads in flight, handed
/// to the cancellations. `None` when the budget ran out first.
///
/// Upload URLs never outlive a deadline: every unchecked upload of an
/// overdue dossier expired before now, so it is read here, and past the
/// grace (15 minutes after the deadline) it was looked at already.
async fn reconcile_uploads(
    app: &App,
    budget: &mut Budget,
    report: &mut SweepReport,
) -> AppResult<Option<InFlight>> {
    let now = app.now();
    let bound = due_bound(now + grace::UPLOAD_GRACE);
    let partitions = keys::due_upload_partitions(&app.calendar.session);
    let mut due = due_pages(app, partitions, &bound);
    let mut in_flight = InFlight::new();
    loop {
        if budget.exhausted() {
            return Ok(None);
        }
        let Some(items) = next_due(app, &mut due).await? else {
            return Ok(Some(in_flight));
        };
        report.items_read += items.len();
        for item in &items {
            let pending: UploadRecord = match item.to_value() {
                Ok(upload) => upload,
                Err(e) => {
                    tracing::error!(error = %e, "unreadable upload request left alone");
                    report.skipped += 1;
                    continue;
                }
            };
            let mut unchecked = pending.reconcile_at() > now;
            if !unchecked {
                if !budget.take() {
                    return Ok(None);
                }
                let found = reconcile::look(app, &pending).await;
                unchecked = found.is_err();
                count(report, found);
            }
            if unchecked {
                in_flight
                    .entry(pending.account_id)
                    .or_default()
                    .push(pending.created_at);
            }
        }
    }
}

/// Counts what looking at one pending upload found; a failure is logged
/// and left due (the next run looks again), never fatal to the run.
fn count(report: &mut SweepReport, found: AppResult<Found>) {
    match found {
        Ok(Found::Checked(_)) => report.uploads_recovered += 1,
        Ok(Found::Absent) => report.uploads_unused += 1,
        Ok(Found::AlreadyChecked) => report.skipped += 1,
        Err(e) => {
            tracing::error!(error = %e, "a pending upload could not be reconciled");
            report.skipped += 1;
        }
    }
}

/// Every key of a candidate's partition. (`SortKeyCondition::Any`, since
/// DynamoDB refuses `begins_with` on an empty prefix.)
async fn partition_keys(app: &App, account_id: &str) -> AppResult<Vec<crate::ports::Key>> {
    let mut found = Vec::new();
    let mut cursor = None;
    loop {
        let query = Query::table(keys::candidate_pk(account_id), SortKeyCondition::Any)
            .limit(500)
            .after(cursor);
        let page = app.store.query(&query).await?;
        found.extend(page.items.into_iter().map(|item| item.key));
        cursor = page.cursor;
        if cursor.is_none() {
            return Ok(found);
        }
    }
}

// ---------------------------------------------------------------------------
// Reminders and cancellations
// ---------------------------------------------------------------------------

async fn handle_due_inscriptions(
    app: &App,
    budget: &mut Budget,
    report: &mut SweepReport,
    held: &mut Outgoing,
    in_flight: &InFlight,
) -> AppResult<bool> {
    let now = app.now();
    let bound = due_bound(now);
    let partitions = keys::due_inscription_partitions(&app.calendar.session);
    let mut due = due_pages(app, partitions, &bound);
    loop {
        if budget.exhausted() {
            return Ok(false);
        }
        let Some(items) = next_due(app, &mut due).await? else {
            return Ok(true);
        };
        report.items_read += items.len();
        for item in &items {
            if !budget.take() {
                return Ok(false);
            }
            let record: InscriptionRecord = match item.to_value() {
                Ok(record) => record,
                Err(e) => {
                    tracing::error!(error = %e, "unreadable inscription left alone");
                    report.skipped += 1;
                    continue;
                }
            };
            let issued = in_flight
                .get(&record.account_id)
                .map_or(&[][..], Vec::as_slice);
            match handle_inscription(app, record, issued, now, report).await? {
                Handled::Awaiting => report.awaiting_uploads += 1,
                Handled::Left => report.skipped += 1,
                Handled::Done(done, mail) => {
                    match done {
                        Done::Reminded => report.reminders += 1,
                        Done::Cancelled => report.cancellations += 1,
                    }
                    held.hold(app, *mail, budget).await?;
                }
            }
        }
    }
}

/// What the sweep did to one inscription.
enum Done {
    Reminded,
    Cancelled,
}

/// What became of one due inscription.
enum Handled {
    Done(Done, Box<QueuedMail>),
    /// Overdue, but an upload given before its deadline is still unchecked.
    Awaiting,
    /// Nothing to do after all (changed meanwhile, or nothing owed).
    Left,
}

/// Does what is due for one inscription as read; on a lost race, re-reads
/// it (strongly) and decides again. Answers whether it reminded or
/// cancelled, and the mail queued.
async fn handle_inscription(
    app: &App,
    record: InscriptionRecord,
    issued: &[DateTime<Utc>],
    now: DateTime<Utc>,
    report: &mut SweepReport,
) -> AppResult<Handled> {
    let (account_id, session) = (record.account_id.clone(), record.session.clone());
    // A candidate's upload or save, an admin, or another sweep that wrote
    // first decides: what is due is decided again on what they wrote.
    let updated = dossier::update(
        app,
        &account_id,
        &session,
        Some(record),
        Delivery::Held,
        |current| {
            Ok::<_, AppError>(current.and_then(|r| grace::due(r, &app.calendar, issued, now)))
        },
    )
    .await?;
    report.items_read += updated.rereads;
    let Some(mut committed) = updated.committed else {
        return Ok(if issued.is_empty() {
            Handled::Left
        } else {
            Handled::Awaiting
        });
    };
    let done = if committed.record.status == InscriptionStatus::Cancelled {
        Done::Cancelled
    } else {
        Done::Reminded
    };
    Ok(committed
        .mails
        .pop()
        .map_or(Handled::Left, |mail| Handled::Done(done, Box::new(mail))))
}

/// « Diplôme — spécialité, session 2022 », as the candidate reads it.
pub fn inscription_title(app: &App, record: &InscriptionRecord) -> String {
    crate::emails::dossier::inscription_title(&app.catalogue, record)
}
