//! The deadline sweeps (« Après cette date, la candidature est annulée »).
//!
//! One run does every due job, each found by a `Query` on gsi1 of what is due
//! by now, page by page, never a scan, so that its cost follows the items it
//! changes and not the size of the table:
//!
//! 1. accounts still pending 48 hours after their creation are deleted with
//!    all their data (`DUE#ACTIVATION`);
//! 2. inscriptions not complete are reminded 7 and 2 days before their
//!    documents deadline, and cancelled once it has passed (window close or
//!    the candidate's extension) (`DUE#INSCRIPTION#<session>`);
//! 3. the mail queue is drained (`DUE#MAIL`), at the configured rate.
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

use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::app::App;
use crate::domain::account::AccountStatus;
use crate::domain::dossier::{due_action_at, DueAction, InscriptionStatus, PieceStatus, REMINDERS};
use crate::domain::pieces::label_for;
use crate::error::AppResult;
use crate::ports::store::{Condition, Index, Item, Query, SortKeyCondition, WriteOp};
use crate::ports::StoreError;
use crate::services::accounts::{self, AccountRecord};
use crate::services::emails::{self, Message};
use crate::services::inscription::{HistoryEntry, InscriptionRecord};
use crate::services::keys;
use crate::services::mailqueue::{self, Pacer, QueuedMail};
use crate::wording::to_paris_string;

// The run's budget lives in its own module, which the mail queue uses too;
// re-exported because `run_with` takes one.
pub use crate::services::budget::{due_bound, Budget};

/// Re-reads and retries of one item whose conditional write lost a race.
const MAX_RETRIES: usize = 3;

/// Mails enqueued by this run and held in memory to be sent without being
/// read back; beyond this many, the rest are read from the queue.
const MAX_HELD_MAILS: usize = 2_000;

/// What one run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SweepReport {
    /// Unactivated accounts deleted with their data.
    pub accounts_deleted: usize,
    /// Reminders recorded and queued (7 or 2 days before the deadline).
    pub reminders: usize,
    /// Inscriptions cancelled (and their email queued).
    pub cancellations: usize,
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
    let mut held = Vec::new();
    let accounts_done = delete_expired_accounts(app, &mut budget, &mut report).await?;
    let inscriptions_done = if accounts_done {
        handle_due_inscriptions(app, &mut budget, &mut report, &mut held).await?
    } else {
        false
    };
    // The mails this run queued (held in memory), then the rest of the
    // queue: earlier runs' leftovers, retries, admins' unsent mails.
    let mut pacer = Pacer::new(app.config.mail_rate_per_second);
    let (drained, queue_done) = mailqueue::drain(app, held, &mut budget, &mut pacer).await?;
    report.mails_sent = drained.sent;
    report.mails_failed = drained.failed;
    report.items_read += drained.items_read;
    report.skipped += drained.skipped;
    report.finished = accounts_done && inscriptions_done && queue_done;
    report.elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    if report.changed() > 0 || !report.finished {
        tracing::info!(report = ?report, "sweep run");
    }
    Ok(report)
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
    held: &mut Vec<QueuedMail>,
) -> AppResult<bool> {
    let now = app.now();
    let bound = due_bound(now);
    let partition = keys::due_inscriptions(&app.calendar.session);
    let mut cursor = None;
    loop {
        if budget.exhausted() {
            return Ok(false);
        }
        let page = due_page(app, &partition, &bound, cursor.take()).await?;
        report.items_read += page.items.len();
        for item in &page.items {
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
            match handle_inscription(app, record, now, report).await? {
                Some((action, mail)) => {
                    match action {
                        DueAction::Remind(_) => report.reminders += 1,
                        DueAction::Cancel => report.cancellations += 1,
                    }
                    if held.len() < MAX_HELD_MAILS {
                        held.push(mail);
                    }
                }
                None => report.skipped += 1,
            }
        }
        match page.cursor {
            Some(next) => cursor = Some(next),
            None => return Ok(true),
        }
    }
}

/// Does what is due for one inscription as read; on a lost race, re-reads
/// it (strongly) and decides again. Answers what was done and the mail queued.
async fn handle_inscription(
    app: &App,
    mut record: InscriptionRecord,
    now: DateTime<Utc>,
    report: &mut SweepReport,
) -> AppResult<Option<(DueAction, QueuedMail)>> {
    for _ in 0..MAX_RETRIES {
        let deadline = record.documents_deadline(&app.calendar);
        let Some(action) = due_action_at(
            record.awaits_uploads(deadline),
            record.created_at,
            deadline,
            &record.reminders_sent,
            now,
        ) else {
            return Ok(None);
        };
        let (next, history, mail) = apply(app, &record, action, deadline, now);
        let mut ops = next.write_ops(&app.calendar, record.revision, history)?;
        ops.push(mail.enqueue_op()?);
        match app.store.transact(ops).await {
            Ok(()) => return Ok(Some((action, mail))),
            Err(StoreError::ConditionFailed { .. } | StoreError::Conflict(_)) => {
                // A candidate's upload or save, an admin, or another sweep
                // wrote first: what they wrote decides.
                report.items_read += 1;
                match crate::services::inscription::load(app, &record.account_id).await? {
                    Some(fresh) => record = fresh,
                    None => return Ok(None),
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(None)
}

/// The inscription after `action`, its history line, and the email it owes.
fn apply(
    app: &App,
    record: &InscriptionRecord,
    action: DueAction,
    deadline: DateTime<Utc>,
    now: DateTime<Utc>,
) -> (InscriptionRecord, HistoryEntry, QueuedMail) {
    let mut next = record.clone();
    next.revision += 1;
    let (kind, history_action, detail, email) = match action {
        DueAction::Remind(name) => {
            // Every reminder whose time has come counts as sent: only the
            // latest goes out (a sweep that was down does not send both).
            for (reminder, before) in REMINDERS {
                if deadline - before <= now && !next.reminders_sent.iter().any(|s| s == reminder) {
                    next.reminders_sent.push(reminder.to_owned());
                }
            }
            if !next.reminders_sent.iter().any(|s| s == name) {
                next.reminders_sent.push(name.to_owned());
            }
            let days = days_left(deadline, now);
            (
                format!("reminder_{name}"),
                format!("reminder_{name}"),
                format!(
                    "Rappel envoyé : dossier incomplet, à {} de la date limite.",
                    days_fr(days)
                ),
                reminder_email(app, record, days, deadline),
            )
        }
        DueAction::Cancel => {
            next.status = InscriptionStatus::Cancelled;
            next.cancelled_at = Some(now);
            next.updated_at = now;
            (
                "cancellation".to_owned(),
                "cancelled".to_owned(),
                format!(
                    "Inscription annulée : dossier incomplet à la date limite de dépôt ({}).",
                    to_paris_string(deadline)
                ),
                cancellation_email(app, record, deadline),
            )
        }
    };
    let history = HistoryEntry {
        at: now,
        actor: "system".into(),
        action: history_action,
        fields: Vec::new(),
        version: next.version,
        detail: Some(detail),
    };
    let mail_id = format!(
        "{}#{}#{}#r{}",
        record.account_id, record.session, kind, next.revision
    );
    let mail = QueuedMail::new(mail_id, &kind, &record.account_id, email, now);
    (next, history, mail)
}

/// The whole days left until `deadline` at `now`, rounded up: 7 from the
/// 7-day mark until 6 days later, 5 for 4 days and a half. A reminder goes
/// out only before the deadline, so at least 1 (the deadline's very
/// millisecond counts as its last day).
fn days_left(deadline: DateTime<Utc>, now: DateTime<Utc>) -> i64 {
    let left = deadline - now;
    let whole = left.num_days();
    let days = if left > Duration::days(whole) {
        whole + 1
    } else {
        whole
    };
    days.max(1)
}

/// « 1 jour », « 5 jours ».
fn days_fr(days: i64) -> String {
    if days <= 1 {
        "1 jour".to_owned()
    } else {
        format!("{days} jours")
    }
}

/// « plus qu'un jour », « plus que 5 jours ».
fn only_days_fr(days: i64) -> String {
    if days <= 1 {
        "plus qu'un jour".to_owned()
    } else {
        format!("plus que {days} jours")
    }
}

/// « Diplôme — spécialité, session 2022 », as the candidate reads it.
pub fn inscription_title(app: &App, record: &InscriptionRecord) -> String {
    let specialty = app
        .catalogue
        .specialty(record.data.diploma, &record.data.specialty)
        .map_or(record.data.specialty.as_str(), |s| s.label.as_str());
    format!(
        "{} — {}, session {}",
        record.data.diploma.label(),
        specialty,
        record.session
    )
}

/// The pieces still owed, one line each (« - label : refusée (raison) »).
pub fn missing_pieces_fr(record: &InscriptionRecord) -> String {
    record
        .pieces
        .iter()
        .filter(|(_, state)| !state.is_in())
        .map(|(kind, state)| {
            let label = label_for(*kind, &record.data);
            match (state.status, state.reason.as_deref()) {
                (PieceStatus::Rejected, Some(reason)) => format!("- {label} : refusée ({reason})"),
                (status, _) => format!("- {label} : {}", status.label_fr()),
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The reminder sent with `days` whole days left (see [`days_left`]): the
/// time actually left, whichever reminder it is (a dossier that became
/// incomplete after the 7-day mark gets the « 7d » one later).
fn reminder_email(
    app: &App,
    record: &InscriptionRecord,
    days: i64,
    deadline: DateTime<Utc>,
) -> crate::ports::OutgoingEmail {
    let missing = missing_pieces_fr(record);
    let mut message = Message::new(format!(
        "Rappel : votre dossier d'inscription est incomplet ({})",
        only_days_fr(days)
    ))
    .para(format!(
        "Votre inscription ({}) n'est pas encore complète.",
        inscription_title(app, record)
    ))
    .para(format!(
        "Il vous reste {} : déposez votre confirmation d'inscription datée et signée et vos pièces justificatives avant le {} (heure de Paris).",
        days_fr(days),
        to_paris_string(deadline)
    ));
    if !missing.is_empty() {
        message = message.para(format!("Pièces encore attendues :\n{missing}"));
    }
    message
        .para(
            "Passé cette date, votre candidature sera annulée si votre dossier n'est pas complet.",
        )
        .link(
            "Déposer mes pièces dans mon espace candidat",
            app.link(emails::DOCUMENTS_PAGE),
        )
        .to(&record.email)
}

fn cancellation_email(
    app: &App,
    record: &InscriptionRecord,
    deadline: DateTime<Utc>,
) -> crate::ports::OutgoingEmail {
    let missing = missing_pieces_fr(record);
    let mut message = Message::new("Votre inscription est annulée")
        .para(format!(
            "Le délai de dépôt des pièces de votre inscription ({}) a pris fin le {} (heure de Paris), et votre dossier n'était pas complet à cette date.",
            inscription_title(app, record),
            to_paris_string(deadline)
        ))
        .para("Conformément à la notice de la session, votre candidature est donc annulée.");
    if !missing.is_empty() {
        message = message.para(format!("Pièces qui manquaient :\n{missing}"));
    }
    message
        .para("Si vous pensez qu'il s'agit d'une erreur, contactez sans tarder la Division des examens et concours (DIEC 3.05) du rectorat d'Aix-Marseille.")
        .link("Mon espace candidat", app.link(emails::HOME_PAGE))
        .to(&record.email)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_days_left_are_whole_days_rounded_up_never_more() {
        let deadline: DateTime<Utc> = "2021-11-07T22:59:59.999Z".parse().unwrap();
        let left = |d: Duration| days_left(deadline, deadline - d);
        assert_eq!(left(Duration::days(7)), 7);
        assert_eq!(left(Duration::days(7) - Duration::minutes(1)), 7);
        assert_eq!(left(Duration::days(6) + Duration::milliseconds(1)), 7);
        assert_eq!(left(Duration::days(6)), 6);
        assert_eq!(left(Duration::days(4) + Duration::hours(12)), 5);
        assert_eq!(left(Duration::days(2)), 2);
        assert_eq!(left(Duration::days(1) + Duration::seconds(1)), 2);
        assert_eq!(left(Duration::days(1)), 1);
        assert_eq!(left(Duration::hours(3)), 1);
        assert_eq!(left(Duration::zero()), 1);
        assert_eq!(only_days_fr(1), "plus qu'un jour");
        assert_eq!(days_fr(1), "1 jour");
        assert_eq!(only_days_fr(5), "plus que 5 jours");
        assert_eq!(days_fr(5), "5 jours");
    }
}
