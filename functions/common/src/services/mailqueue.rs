//! The mail queue: emails whose sending must not be lost nor doubled.
//!
//! A change that owes the candidate an email (a reminder, a cancellation, a
//! rejected piece...) writes a `mail` item in the SAME transaction as the
//! change itself, so that the change and the intent to tell the candidate
//! exist together or not at all. The queue is then drained:
//!
//! - each queued mail is indexed on gsi1 under [`keys::MAIL_QUEUE`] by the
//!   instant it may be sent, so the drain is a `Query`, never a scan;
//! - a sender first *claims* a mail with a conditional write that replaces its
//!   `lease` token (the optimistic lock of the queue) and pushes its due
//!   instant [`LEASE`] ahead: two concurrent drains never both send it;
//! - after a successful send the mail is deleted (conditional on the lease);
//!   a throttled or failed send puts it back with a later due instant
//!   (exponential backoff), so the next run retries it; a message the provider
//!   rejects for good is kept, out of the queue, with `status: failed` and the
//!   error, for the exams office to see in the console;
//! - sends are paced at `config.mail_rate_per_second` (SES sending quota);
//! - a mail to an address SES reported undeliverable (a permanent bounce or
//!   a complaint, `records::deliverability`) is not sent: it is kept, out of
//!   the queue, as failed with the French reason, and `failed_mails` lists
//!   it. This is the one place queued mail is sent, so the one check; the
//!   one email the write path sends at once without queueing it (the
//!   modification summary) is checked by the write path before its
//!   transaction, and stored there as failed instead ([`suppressed`]).
//!
//! Delivery is at least once: a process that dies between the provider's
//! acceptance and the delete leaves a claimed mail that is sent again once
//! its lease ends. Nothing else sends twice.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::app::App;
use crate::domain::record::InscriptionRecord;
use crate::error::AppResult;
use crate::ports::store::{Query, SortKeyCondition, WriteOp};
use crate::ports::{Clock, MailError, OutgoingEmail, StoreError};
use crate::records::deliverability::{self, Undeliverable};
use crate::records::keys;
use crate::records::keys::due_bound;
use crate::records::mail::new_lease;
use crate::records::mail::{MailStatus, QueuedMail};
use crate::services::budget::Budget;

/// How long a claimed mail is reserved for its sender.
pub const LEASE: Duration = Duration::minutes(5);
/// The first retry delay after a failed send; it doubles up to [`MAX_BACKOFF`].
pub const FIRST_BACKOFF: Duration = Duration::minutes(1);
pub const MAX_BACKOFF: Duration = Duration::hours(1);

fn backoff(attempts: u32) -> Duration {
    let factor = 1_i32 << attempts.saturating_sub(1).min(10);
    (FIRST_BACKOFF * factor).min(MAX_BACKOFF)
}

/// Spaces sends `1 / rate` seconds apart, in the time of the app's clock
/// (whose waits a simulated clock takes without sleeping).
pub struct Pacer {
    clock: Arc<dyn Clock>,
    interval: StdDuration,
    next: Option<DateTime<Utc>>,
}

impl Pacer {
    /// A pacer for `rate_per_second` messages a second (a rate that is not a
    /// positive number means one a second), on `clock`.
    pub fn new(rate_per_second: f64, clock: Arc<dyn Clock>) -> Self {
        let rate = if rate_per_second.is_finite() && rate_per_second > 0.0 {
            rate_per_second
        } else {
            1.0
        };
        Self {
            clock,
            interval: StdDuration::from_secs_f64(1.0 / rate),
            next: None,
        }
    }

    /// Waits for the next sending slot. Answers `false`, without waiting,
    /// when that slot is past the end of `budget`.
    pub async fn wait(&mut self, budget: &Budget) -> bool {
        let now = self.clock.now();
        let slot = self.next.map_or(now, |next| next.max(now));
        // Never more than one interval: a wall clock set back meanwhile
        // must not hold the sends.
        let wait = (slot - now).to_std().unwrap_or_default().min(self.interval);
        if wait >= budget.remaining() {
            return false;
        }
        if !wait.is_zero() {
            self.clock.sleep(wait).await;
        }
        let slot = now + Duration::from_std(wait).unwrap_or_default();
        self.next = Some(slot + Duration::from_std(self.interval).unwrap_or_default());
        true
    }
}

/// What a drain did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct DrainCounts {
    pub sent: usize,
    /// Sends that failed (kept for a later retry, or marked failed for good).
    pub failed: usize,
    /// Mails not sent because their address is marked undeliverable (kept
    /// as failed, for the office).
    pub suppressed: usize,
    /// Queue items read from the index.
    pub items_read: usize,
    /// Mails found due but claimed by another sender meanwhile.
    pub skipped: usize,
    /// Whether the provider throttled us (the drain then stops).
    pub throttled: bool,
}

enum Outcome {
    Sent,
    /// Not sent: the address is marked undeliverable.
    Suppressed,
    Failed {
        throttled: bool,
    },
    /// Claimed by someone else, or gone.
    Skipped,
}

/// Claims `mail` (as read), sends it and settles it; with its address's
/// `mark` (read with its page), keeps it as failed instead of sending it.
async fn claim_and_send(
    app: &App,
    mail: &QueuedMail,
    mark: Option<&Undeliverable>,
) -> AppResult<Outcome> {
    let now = app.now();
    if mail.status == MailStatus::Failed || mail.available_at > now {
        return Ok(Outcome::Skipped);
    }
    let mut claimed = mail.clone();
    claimed.status = MailStatus::Sending;
    claimed.lease = new_lease();
    claimed.attempts += 1;
    claimed.tried(now);
    claimed.available_at = now + LEASE;
    let claim = WriteOp::put(claimed.to_item()?, mail.lease_condition());
    match app.store.transact(vec![claim]).await {
        Ok(()) => {}
        Err(StoreError::ConditionFailed { .. } | StoreError::Conflict(_)) => {
            return Ok(Outcome::Skipped)
        }
        Err(e) => return Err(e.into()),
    }
    if let Some(mark) = mark {
        suppress(app, &claimed, mark).await;
        return Ok(Outcome::Suppressed);
    }

    match app.mailer.send(&claimed.email()).await {
        Ok(()) => {
            let done = WriteOp::Delete {
                key: claimed.key(),
                condition: claimed.lease_condition(),
            };
            match app.store.transact(vec![done]).await {
                Ok(()) => {}
                // Our lease lapsed and another sender took it: it will send again.
                Err(StoreError::ConditionFailed { .. }) => {
                    tracing::warn!(mail_id = %claimed.mail_id, "mail lease lapsed during the send")
                }
                // Sent, but still queued under our lease: it would be sent
                // again when the lease lapses. Say so loudly.
                Err(e) => {
                    tracing::error!(mail_id = %claimed.mail_id, error = %e, "sent mail not dequeued")
                }
            }
            tracing::info!(mail_id = %claimed.mail_id, kind = %claimed.kind, "queued mail sent");
            Ok(Outcome::Sent)
        }
        Err(error) => {
            let throttled = matches!(error, MailError::Throttled(_));
            let mut settled = claimed.clone();
            settled.lease = new_lease();
            settled.last_error = Some(error.to_string());
            match error {
                MailError::Rejected(_) => {
                    settled.status = MailStatus::Failed;
                    settled
                        .session
                        .get_or_insert_with(|| app.calendar.session.clone());
                    tracing::error!(mail_id = %claimed.mail_id, error = %error, "mail rejected for good; kept as failed");
                }
                MailError::Throttled(_) | MailError::Unavailable(_) => {
                    settled.status = MailStatus::Queued;
                    settled.available_at = app.now() + backoff(settled.attempts);
                    tracing::warn!(mail_id = %claimed.mail_id, error = %error, retry_at = %settled.available_at, "mail not sent; will retry");
                }
            }
            let release = WriteOp::put(settled.to_item()?, claimed.lease_condition());
            match app.store.transact(vec![release]).await {
                // If this write is lost, the lease lapses and the mail is retried anyway.
                Ok(()) | Err(StoreError::ConditionFailed { .. }) => {}
                Err(e) => {
                    tracing::error!(mail_id = %claimed.mail_id, error = %e, "failed mail not released")
                }
            }
            Ok(Outcome::Failed { throttled })
        }
    }
}

/// The reason `failed_mails` gives for a mail not sent to a marked address.
fn suppressed_reason(mark: &Undeliverable) -> String {
    format!("envoi suspendu : {}", mark.cause.reason_fr())
}

/// `mail`, not to be sent because its address is marked undeliverable:
/// failed at `now`, with the reason, listed by `failed_mails` once stored
/// (the write path stores it so, in the change's own transaction, for an
/// email it would otherwise send at once).
pub fn suppressed(mut mail: QueuedMail, mark: &Undeliverable, now: DateTime<Utc>) -> QueuedMail {
    mail.status = MailStatus::Failed;
    mail.tried(now);
    mail.last_error = Some(suppressed_reason(mark));
    tracing::warn!(mail_id = %mail.mail_id, cause = ?mark.cause, "mail to an undeliverable address suppressed");
    mail
}

/// Keeps the claimed `mail` as failed, out of the queue, because its
/// address is marked undeliverable.
async fn suppress(app: &App, claimed: &QueuedMail, mark: &Undeliverable) {
    let mut settled = claimed.clone();
    settled.lease = new_lease();
    settled.status = MailStatus::Failed;
    settled.last_error = Some(suppressed_reason(mark));
    settled
        .session
        .get_or_insert_with(|| app.calendar.session.clone());
    tracing::warn!(mail_id = %claimed.mail_id, cause = ?mark.cause, "mail to an undeliverable address suppressed");
    let release = match settled.to_item() {
        Ok(item) => WriteOp::put(item, claimed.lease_condition()),
        Err(e) => {
            tracing::error!(mail_id = %claimed.mail_id, error = %e, "suppressed mail not settled");
            return;
        }
    };
    match app.store.transact(vec![release]).await {
        // If this write is lost, the lease lapses and the next sender
        // suppresses it again.
        Ok(()) | Err(StoreError::ConditionFailed { .. }) => {}
        Err(e) => {
            tracing::error!(mail_id = %claimed.mail_id, error = %e, "suppressed mail not settled")
        }
    }
}

/// The undeliverable marks of the addresses of `mails`, in one read (none
/// when there is no mail); the marks found count as items read.
async fn marks_of(
    app: &App,
    mails: &[QueuedMail],
    counts: &mut DrainCounts,
) -> AppResult<HashMap<String, Undeliverable>> {
    if mails.is_empty() {
        return Ok(HashMap::new());
    }
    let addresses: Vec<&str> = mails.iter().map(|m| m.to.as_str()).collect();
    let marks = deliverability::marks(app.store.as_ref(), &addresses).await?;
    counts.items_read += marks.len();
    Ok(marks)
}

fn tally(counts: &mut DrainCounts, outcome: Outcome) {
    match outcome {
        Outcome::Sent => counts.sent += 1,
        Outcome::Suppressed => counts.suppressed += 1,
        Outcome::Failed { throttled } => {
            counts.failed += 1;
            counts.throttled |= throttled;
        }
        Outcome::Skipped => counts.skipped += 1,
    }
}

/// The sending side of a sweep run: the mails the run queues are held in
/// memory and sent without being read back. Once
/// [`Config::held_mails`](crate::app::Config) are held they are sent
/// (paced) before the run goes on, so that memory stays bounded and no mail
/// of the run is read back from the queue, however many it queues; then
/// [`Outgoing::drain`] sends the rest held and the queue's other mails.
/// A mail whose send the budget or the provider stops stays queued: the
/// next run reads it from the queue and sends it (claimed under its lease,
/// never twice).
pub struct Outgoing {
    pacer: Pacer,
    capacity: usize,
    held: Vec<QueuedMail>,
    counts: DrainCounts,
    /// The budget ran out or the provider throttled: nothing more is sent
    /// (nor held) this run.
    stopped: bool,
}

impl Outgoing {
    pub fn new(app: &App) -> Self {
        Self {
            pacer: Pacer::new(app.config.mail_rate_per_second, app.clock.clone()),
            capacity: app.config.held_mails.max(1),
            held: Vec::new(),
            counts: DrainCounts::default(),
            stopped: false,
        }
    }

    /// Holds `mail`, just queued by this run (in its change's transaction);
    /// sends the mails held once there are as many as the capacity.
    pub async fn hold(
        &mut self,
        app: &App,
        mail: QueuedMail,
        budget: &mut Budget,
    ) -> AppResult<()> {
        if self.stopped {
            // Queued: the next run sends it.
            return Ok(());
        }
        self.held.push(mail);
        if self.held.len() >= self.capacity {
            self.send_held(app, budget).await?;
        }
        Ok(())
    }

    /// What was sent so far.
    pub fn counts(&self) -> DrainCounts {
        self.counts
    }

    async fn send_held(&mut self, app: &App, budget: &mut Budget) -> AppResult<()> {
        let held = std::mem::take(&mut self.held);
        let marks = marks_of(app, &held, &mut self.counts).await?;
        for mail in &held {
            if !self.send(app, mail, &marks, budget).await? {
                return Ok(());
            }
        }
        Ok(())
    }

    /// Sends one mail in its slot; `false` (and stopped) when the budget,
    /// the pacer's next slot or the provider says to stop.
    async fn send(
        &mut self,
        app: &App,
        mail: &QueuedMail,
        marks: &HashMap<String, Undeliverable>,
        budget: &mut Budget,
    ) -> AppResult<bool> {
        if self.stopped || !budget.take() || !self.pacer.wait(budget).await {
            self.stopped = true;
            return Ok(false);
        }
        let mark = deliverability::mark_of(marks, &mail.to);
        tally(&mut self.counts, claim_and_send(app, mail, mark).await?);
        if self.counts.throttled {
            self.stopped = true;
        }
        Ok(!self.stopped)
    }

    /// Sends the mails still held, then every other mail due in the queue
    /// (earlier runs' leftovers, retries, admins' unsent mails), page by
    /// page, paced, until the queue is empty, the budget runs out or the
    /// provider throttles. Answers what was sent this run, and whether the
    /// queue was emptied.
    pub async fn drain(mut self, app: &App, budget: &mut Budget) -> AppResult<(DrainCounts, bool)> {
        self.send_held(app, budget).await?;
        if self.stopped {
            return Ok((self.counts, false));
        }
        let bound = due_bound(app.now());
        let mut cursor = None;
        loop {
            if budget.exhausted() {
                return Ok((self.counts, false));
            }
            let query = Query::index(
                crate::ports::Index::Gsi1,
                keys::MAIL_QUEUE,
                SortKeyCondition::AtMost(bound.clone()),
            )
            .limit(app.config.sweep_page_size.max(1))
            .after(cursor.take());
            let page = app.store.query(&query).await?;
            self.counts.items_read += page.items.len();
            let mut mails = Vec::with_capacity(page.items.len());
            for item in &page.items {
                match item.to_value::<QueuedMail>() {
                    Ok(mail) => mails.push(mail),
                    Err(e) => {
                        tracing::error!(error = %e, "unreadable queued mail left alone");
                        self.counts.skipped += 1;
                    }
                }
            }
            let marks = marks_of(app, &mails, &mut self.counts).await?;
            for mail in &mails {
                if !self.send(app, mail, &marks, budget).await? {
                    return Ok((self.counts, false));
                }
            }
            match page.cursor {
                Some(next) => cursor = Some(next),
                None => return Ok((self.counts, true)),
            }
        }
    }
}

/// How long the oldest mail still queued has waited since it was queued
/// (zero when the queue is empty): one index read, the queue's first item
/// (the index orders mails by the instant they may be sent next, so a mail
/// held back by its backoff still counts). What the backlog alarm watches:
/// mails the sweep cannot keep up with, or a provider refusing them.
pub async fn backlog_age(app: &App) -> AppResult<StdDuration> {
    let query = Query::index(
        crate::ports::Index::Gsi1,
        keys::MAIL_QUEUE,
        SortKeyCondition::Any,
    )
    .limit(1);
    let page = app.store.query(&query).await?;
    let oldest = page
        .items
        .first()
        .and_then(|item| item.to_value::<QueuedMail>().ok());
    Ok(oldest
        .and_then(|mail| (app.now() - mail.queued_at).to_std().ok())
        .unwrap_or_default())
}

/// Tries to send one queued mail at once (an admin's action owes the
/// candidate an email now). Answers whether it went; if not, it stays queued
/// and the next sweep sends it.
pub async fn deliver_now(app: &App, mail: &QueuedMail) -> bool {
    let sent = async {
        let marks = deliverability::marks(app.store.as_ref(), &[mail.to.as_str()]).await?;
        claim_and_send(app, mail, deliverability::mark_of(&marks, &mail.to)).await
    };
    match sent.await {
        Ok(Outcome::Sent) => true,
        Ok(_) => false,
        Err(e) => {
            tracing::warn!(mail_id = %mail.mail_id, error = %e, "mail left for the sweep");
            false
        }
    }
}

/// Mails a request queued in its own transaction, to be delivered once its
/// answer is on its way: the request's time then does not depend on whether
/// it owed an email (`POST /auth/resend-activation` must answer alike for
/// every address). Whatever is not delivered this way stays queued, and the
/// sweep sends it.
#[must_use = "queued mails are delivered by `deliver` or `deliver_after_answer`, else by the sweep"]
#[derive(Debug, Default)]
pub struct Queued(Vec<QueuedMail>);

impl Queued {
    pub fn new(mails: Vec<QueuedMail>) -> Self {
        Self(mails)
    }

    /// The mails queued.
    pub fn mails(&self) -> &[QueuedMail] {
        &self.0
    }

    /// Delivers them now ([`deliver_now`], one after the other); answers
    /// whether all went.
    pub async fn deliver(self, app: &App) -> bool {
        let mut all = true;
        for mail in &self.0 {
            all &= deliver_now(app, mail).await;
        }
        all
    }

    /// Delivers them in a task of their own, so that the answer does not
    /// wait for the provider. The local runner, a long-lived process, sends
    /// them at once. A Lambda function's environment may be frozen as soon
    /// as its answer is returned: the task then carries on when it thaws
    /// (its next request), and a mail it could not finish is sent by the
    /// sweep once its lease ends (at least once, as every queued mail).
    pub fn deliver_after_answer(self, app: std::sync::Arc<App>) {
        if self.0.is_empty() {
            return;
        }
        let task = tokio::spawn(async move {
            self.deliver(&app).await;
        });
        let mut in_flight = IN_FLIGHT.lock().unwrap_or_else(|e| e.into_inner());
        in_flight.retain(|task| !task.is_finished());
        in_flight.push(task);
    }
}

/// The deliveries started by [`Queued::deliver_after_answer`] and perhaps
/// not finished (the finished ones are dropped at each new one).
static IN_FLIGHT: std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>> =
    std::sync::Mutex::new(Vec::new());

/// Waits for every delivery started after an answer (in this process) to
/// end: for callers that read the mail right after the answer (in-process
/// tests; the local runner needs none, its deliveries end in milliseconds).
pub async fn settle_deliveries() {
    loop {
        let tasks = std::mem::take(&mut *IN_FLIGHT.lock().unwrap_or_else(|e| e.into_inner()));
        if tasks.is_empty() {
            return;
        }
        for task in tasks {
            // A delivery that panicked left its mail queued: the sweep's.
            let _ = task.await;
        }
    }
}

/// Sends an email owed for a change already saved, outside that change's
/// transaction: at once in the common case (no extra store write on the
/// caller's path); if the provider fails, the email is queued so that the
/// next sweep sends it, and a saved change is never left without its email.
/// The mirror of [`deliver_now`], for emails that were not queued first.
pub async fn send_or_queue(
    app: &App,
    kind: &str,
    record: &InscriptionRecord,
    email: OutgoingEmail,
) {
    let Err(error) = app.mailer.send(&email).await else {
        return;
    };
    tracing::warn!(%error, email_kind = kind, "email not sent: queued for the sweep");
    let mail = QueuedMail::new(
        uuid::Uuid::new_v4().simple().to_string(),
        kind,
        &record.account_id,
        email,
        app.now(),
    )
    .about(record);
    let queued = match mail.enqueue_op() {
        Ok(op) => app.store.transact(vec![op]).await.map_err(Into::into),
        Err(e) => Err(e),
    };
    if let Err(e) = queued {
        // Both the provider and the store failed: the change stands, the
        // email is lost; the candidate still sees the change in the portal.
        tracing::error!(error = %e, email_kind = kind, "email neither sent nor queued");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        assert_eq!(backoff(1), Duration::minutes(1));
        assert_eq!(backoff(2), Duration::minutes(2));
        assert_eq!(backoff(4), Duration::minutes(8));
        assert_eq!(backoff(7), Duration::hours(1));
        assert_eq!(backoff(500), Duration::hours(1));
    }

    #[tokio::test]
    async fn the_pacer_spaces_sends_on_its_clock_and_respects_the_budget() {
        use crate::adapters::clock::SimulatedClock;
        let start: DateTime<Utc> = "2022-01-10T06:00:00Z".parse().unwrap();
        let clock = Arc::new(SimulatedClock::stepped_at(start));
        let budget = Budget::on_clock(clock.clone(), start + Duration::seconds(1));
        let mut pacer = Pacer::new(4.0, clock.clone());
        let real = std::time::Instant::now();
        // Slots at 0, 250, 500 and 750 ms; the next, at 1 s, is past the budget.
        for _ in 0..4 {
            assert!(pacer.wait(&budget).await);
        }
        assert_eq!(clock.now(), start + Duration::milliseconds(750));
        assert!(!pacer.wait(&budget).await, "no slot past the deadline");
        assert_eq!(clock.now(), start + Duration::milliseconds(750));
        // The waits were the clock's, not slept.
        assert!(real.elapsed() < StdDuration::from_secs(1));
        assert_eq!(
            Pacer::new(f64::NAN, clock.clone()).interval,
            StdDuration::from_secs(1)
        );
        assert_eq!(Pacer::new(0.0, clock).interval, StdDuration::from_secs(1));
    }

    #[tokio::test]
    async fn on_the_system_clock_the_pacer_sleeps_for_real() {
        let clock: Arc<dyn Clock> = Arc::new(crate::adapters::clock::SystemClock);
        let mut pacer = Pacer::new(100.0, clock);
        let budget = Budget::until(std::time::Instant::now() + StdDuration::from_secs(5));
        let start = std::time::Instant::now();
        for _ in 0..5 {
            assert!(pacer.wait(&budget).await);
        }
        // Four intervals of 10 ms at least.
        assert!(start.elapsed() >= StdDuration::from_millis(39));
        assert!(!pacer.wait(&Budget::until(std::time::Instant::now())).await);
    }
}
