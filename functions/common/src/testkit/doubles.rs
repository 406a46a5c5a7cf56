//! Test doubles for the ports: a clock that only moves when told, a mailer
//! that keeps what it sends, and a store that lets a concurrent writer land
//! between a service's read and its write.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::ports::store::{Item, Key, Page, Query, WriteOp};
use crate::ports::{Clock, MailError, Mailer, OutgoingEmail, Store, StoreError};

/// An instant written in RFC 3339, e.g. `2021-10-26T08:00:00Z`.
pub fn at(rfc3339: &str) -> DateTime<Utc> {
    match DateTime::parse_from_rfc3339(rfc3339) {
        Ok(instant) => instant.with_timezone(&Utc),
        Err(e) => panic!("{rfc3339:?} is not RFC 3339: {e}"),
    }
}

/// The token of a `<marker><token>` link in `text` (the last one when there
/// are several): the characters a token is made of, up to the first other.
pub fn link_token(text: &str, marker: &str) -> Option<String> {
    let start = text.rfind(marker)? + marker.len();
    let token: String = text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        .collect();
    (!token.is_empty()).then_some(token)
}

/// Locks `mutex`, even one a panicking test poisoned: the data of a double
/// stays readable for the assertions that explain the failure.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A clock that only moves when told, so that a case can stand one
/// millisecond before a deadline, then one after.
#[derive(Debug)]
pub struct FixedClock(Mutex<DateTime<Utc>>, bool);

impl FixedClock {
    pub fn new(now: DateTime<Utc>) -> Self {
        Self(Mutex::new(now), false)
    }

    /// A fixed clock that a wait on ([`Clock::sleep`]) moves on by the time
    /// waited, at once, instead of sleeping: paced runs take no real time.
    pub fn stepping(now: DateTime<Utc>) -> Self {
        Self(Mutex::new(now), true)
    }

    pub fn set(&self, now: DateTime<Utc>) {
        *lock(&self.0) = now;
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        *lock(&self.0)
    }

    fn sleep(
        &self,
        duration: std::time::Duration,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + '_>> {
        if !self.1 {
            return Box::pin(tokio::time::sleep(duration));
        }
        let mut now = lock(&self.0);
        *now +=
            chrono::Duration::from_std(duration).unwrap_or_else(|_| chrono::Duration::days(36_500));
        Box::pin(tokio::task::yield_now())
    }
}

/// Keeps every email the provider accepted, and passes each on to `inner`
/// first when there is one (SES on moto, so that the real adapter is
/// exercised too). Sends can be made to fail, as a provider's would.
pub struct RecordingMailer {
    inner: Option<Arc<dyn Mailer>>,
    failures: Mutex<VecDeque<MailError>>,
    sent: Mutex<Vec<OutgoingEmail>>,
}

impl RecordingMailer {
    /// A mailer that keeps what it sends, after passing it on to `inner`.
    pub fn new(inner: Option<Arc<dyn Mailer>>) -> Self {
        Self {
            inner,
            failures: Mutex::new(VecDeque::new()),
            sent: Mutex::new(Vec::new()),
        }
    }

    /// Fails the next sends with `errors`, in order, sending nothing.
    pub fn fail_next(&self, errors: impl IntoIterator<Item = MailError>) {
        lock(&self.failures).extend(errors);
    }

    /// Every email accepted so far, oldest first.
    pub fn sent(&self) -> Vec<OutgoingEmail> {
        lock(&self.sent).clone()
    }

    /// The emails accepted for `address`, oldest first. Addresses compare
    /// without regard to ASCII case, as the application compares them.
    pub fn sent_to(&self, address: &str) -> Vec<OutgoingEmail> {
        lock(&self.sent)
            .iter()
            .filter(|m| m.to.eq_ignore_ascii_case(address))
            .cloned()
            .collect()
    }

    /// The token of the last `<path>?token=` link sent to `address`.
    pub fn last_token(&self, address: &str, path: &str) -> String {
        let marker = format!("{path}?token=");
        self.sent_to(address)
            .iter()
            .rev()
            .find_map(|m| link_token(&m.text, &marker))
            .unwrap_or_else(|| panic!("no {path} link sent to {address}"))
    }
}

#[async_trait]
impl Mailer for RecordingMailer {
    async fn send(&self, email: &OutgoingEmail) -> Result<(), MailError> {
        let failure = lock(&self.failures).pop_front();
        if let Some(error) = failure {
            return Err(error);
        }
        if let Some(inner) = &self.inner {
            inner.send(email).await?;
        }
        lock(&self.sent).push(email.clone());
        Ok(())
    }
}

/// Writes a concurrent writer makes, and when they land.
struct Race {
    /// `None`: before the next transaction; else before the first one that
    /// writes this key.
    trigger: Option<Key>,
    ops: Vec<WriteOp>,
}

impl Race {
    fn lands_before(&self, ops: &[WriteOp]) -> bool {
        match &self.trigger {
            None => true,
            Some(key) => ops.iter().any(|op| op.key() == key),
        }
    }
}

/// A store that commits queued writes just before a transaction: another
/// writer landing between a service's read and its write, at the one moment
/// a real race is hard to hit.
pub struct RaceStore {
    inner: Arc<dyn Store>,
    races: Mutex<VecDeque<Race>>,
}

impl RaceStore {
    pub fn new(inner: Arc<dyn Store>) -> Self {
        Self {
            inner,
            races: Mutex::new(VecDeque::new()),
        }
    }

    /// Commits `ops` just before the next transaction, whatever it writes.
    pub fn before_next_transaction(&self, ops: Vec<WriteOp>) {
        lock(&self.races).push_back(Race { trigger: None, ops });
    }

    /// Commits `ops` just before the first transaction that writes `key`.
    pub fn before_transaction_on(&self, key: Key, ops: Vec<WriteOp>) {
        let trigger = Some(key);
        lock(&self.races).push_back(Race { trigger, ops });
    }

    /// The first queued race that lands before `ops`, taken off the queue.
    fn take_race(&self, ops: &[WriteOp]) -> Option<Vec<WriteOp>> {
        let mut races = lock(&self.races);
        let index = races.iter().position(|race| race.lands_before(ops))?;
        races.remove(index).map(|race| race.ops)
    }
}

#[async_trait]
impl Store for RaceStore {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        self.inner.get(key).await
    }
    async fn get_many(&self, keys: &[Key]) -> Result<Vec<Item>, StoreError> {
        self.inner.get_many(keys).await
    }
    async fn query(&self, query: &Query) -> Result<Page, StoreError> {
        self.inner.query(query).await
    }
    async fn transact(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
        if let Some(racing) = self.take_race(&ops) {
            self.inner.transact(racing).await?;
        }
        self.inner.transact(ops).await
    }
}
