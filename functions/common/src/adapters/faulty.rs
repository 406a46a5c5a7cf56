//! Adapters that fail on command: [`FaultyStore`], [`FaultyMailer`] and
//! [`FaultyDocuments`] wrap a real adapter (embedded or AWS) and inject, at
//! the port's boundary, the failures the real services have: DynamoDB
//! throttling once the SDK's retries are spent, SES refusing a message, S3
//! unavailable, an answer lost after the write was made, or a process killed
//! in the middle of a call. The fault-injection tests
//! (`functions/common/tests/faults.rs`) show what the application does then.
//!
//! A [`Fault`] says which calls it matches (a predicate on the call), how
//! many matching calls it lets through first ([`Fault::skip`]), how many it
//! hits ([`Fault::times`]; every one by default) and what it does to them:
//!
//! - [`Fault::fail`]: the call fails with the error, and never reaches the
//!   adapter (a request refused: nothing happened);
//! - [`Fault::fail_after`]: the call reaches the adapter, then fails (the
//!   write was made but its answer was lost, as on a timeout);
//! - [`Fault::stall`] / [`Fault::stall_after`]: the call never returns
//!   (before or after reaching the adapter), so that a test can abort the
//!   task that made it, at exactly that point: a Lambda killed mid-run.
//!   [`FaultHandle::stalled`] resolves once a call is parked;
//! - [`Fault::hold`]: the call waits until the test calls
//!   [`FaultHandle::release`], then goes through: another request can be
//!   slipped in between a read and a write, deterministically.
//!
//! Faults are tried in the order they were injected; the first one that
//! matches a call decides. Test support, small enough to be always compiled.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use tokio::sync::Notify;

use crate::ports::documents::{DocumentStore, DocumentStoreError, PresignedUpload, StoredObject};
use crate::ports::mailer::{MailError, Mailer, OutgoingEmail};
use crate::ports::store::{Item, Key, Page, Query, Store, StoreError, WriteOp};

// ---------------------------------------------------------------------------
// Faults
// ---------------------------------------------------------------------------

type Matcher<C> = Box<dyn Fn(&C) -> bool + Send + Sync>;
type MakeError<E> = Arc<dyn Fn() -> E + Send + Sync>;

enum Effect<E> {
    Fail(MakeError<E>),
    FailAfter(MakeError<E>),
    Stall,
    StallAfter,
    Hold,
}

/// One injected failure: which calls, how many, and what happens to them.
pub struct Fault<C, E> {
    matches: Matcher<C>,
    skip: usize,
    times: Option<usize>,
    effect: Effect<E>,
}

impl<C: 'static, E: 'static> Fault<C, E> {
    /// A fault on the calls `matches` accepts; it fails them with `error()`
    /// unless told otherwise.
    pub fn on(
        matches: impl Fn(&C) -> bool + Send + Sync + 'static,
        error: impl Fn() -> E + Send + Sync + 'static,
    ) -> Self {
        Self {
            matches: Box::new(matches),
            skip: 0,
            times: None,
            effect: Effect::Fail(Arc::new(error)),
        }
    }

    /// A fault on every call.
    pub fn always(error: impl Fn() -> E + Send + Sync + 'static) -> Self {
        Self::on(|_| true, error)
    }

    /// Lets the first `n` matching calls through untouched.
    pub fn skip(mut self, n: usize) -> Self {
        self.skip = n;
        self
    }

    /// Hits at most `n` calls, then lets every call through.
    pub fn times(mut self, n: usize) -> Self {
        self.times = Some(n);
        self
    }

    /// The call fails before it reaches the adapter (the default).
    pub fn fail(mut self) -> Self {
        self.effect = match self.effect {
            Effect::Fail(e) | Effect::FailAfter(e) => Effect::Fail(e),
            other => other,
        };
        self
    }

    /// The call reaches the adapter (a write is made), then fails.
    pub fn fail_after(mut self) -> Self {
        self.effect = match self.effect {
            Effect::Fail(e) | Effect::FailAfter(e) => Effect::FailAfter(e),
            other => other,
        };
        self
    }

    /// The call never returns, and never reaches the adapter.
    pub fn stall(mut self) -> Self {
        self.effect = Effect::Stall;
        self
    }

    /// The call reaches the adapter (a write is made), then never returns.
    pub fn stall_after(mut self) -> Self {
        self.effect = Effect::StallAfter;
        self
    }

    /// The call waits for [`FaultHandle::release`], then goes through.
    pub fn hold(mut self) -> Self {
        self.effect = Effect::Hold;
        self
    }
}

/// What a test keeps of an injected fault.
#[derive(Clone, Default)]
pub struct FaultHandle(Arc<FaultState>);

#[derive(Default)]
struct FaultState {
    hits: AtomicUsize,
    stalled: Notify,
    released: Notify,
}

impl FaultHandle {
    /// How many calls the fault hit so far.
    pub fn hits(&self) -> usize {
        self.0.hits.load(Ordering::SeqCst)
    }

    /// Resolves once a call is parked by [`Fault::stall`] or
    /// [`Fault::stall_after`] (at once if one already was).
    pub async fn stalled(&self) {
        self.0.stalled.notified().await;
    }

    /// Lets a call held by [`Fault::hold`] go on (or the next one, at once).
    pub fn release(&self) {
        self.0.released.notify_one();
    }
}

struct Rule<C, E> {
    fault: Fault<C, E>,
    seen: usize,
    hit: usize,
    state: FaultHandle,
}

enum Decision<E> {
    Pass,
    Fail(E),
    FailAfter(E),
    Stall(FaultHandle),
    StallAfter(FaultHandle),
    Hold(FaultHandle),
}

/// The faults of one adapter.
struct Faults<C, E> {
    rules: Mutex<Vec<Rule<C, E>>>,
    injected: AtomicUsize,
}

impl<C, E> Default for Faults<C, E> {
    fn default() -> Self {
        Self {
            rules: Mutex::new(Vec::new()),
            injected: AtomicUsize::new(0),
        }
    }
}

impl<C, E> Faults<C, E> {
    fn rules(&self) -> MutexGuard<'_, Vec<Rule<C, E>>> {
        // A test that panicked while holding the lock has already failed.
        self.rules.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn inject(&self, fault: Fault<C, E>) -> FaultHandle {
        let state = FaultHandle::default();
        self.rules().push(Rule {
            fault,
            seen: 0,
            hit: 0,
            state: state.clone(),
        });
        state
    }

    fn clear(&self) {
        self.rules().clear();
    }

    fn decide(&self, call: &C) -> Decision<E> {
        let mut rules = self.rules();
        for rule in rules.iter_mut() {
            let spent = rule.fault.times.is_some_and(|n| rule.hit >= n);
            if spent || !(rule.fault.matches)(call) {
                continue;
            }
            rule.seen += 1;
            if rule.seen <= rule.fault.skip {
                continue;
            }
            rule.hit += 1;
            rule.state.0.hits.fetch_add(1, Ordering::SeqCst);
            self.injected.fetch_add(1, Ordering::SeqCst);
            return match &rule.fault.effect {
                Effect::Fail(error) => Decision::Fail(error()),
                Effect::FailAfter(error) => Decision::FailAfter(error()),
                Effect::Stall => Decision::Stall(rule.state.clone()),
                Effect::StallAfter => Decision::StallAfter(rule.state.clone()),
                Effect::Hold => Decision::Hold(rule.state.clone()),
            };
        }
        Decision::Pass
    }

    /// Runs `call` through the faults: `run` is the real adapter's call.
    async fn around<T>(&self, call: &C, run: impl Future<Output = Result<T, E>>) -> Result<T, E> {
        match self.decide(call) {
            Decision::Pass => run.await,
            Decision::Fail(error) => Err(error),
            Decision::FailAfter(error) => {
                let _ = run.await;
                Err(error)
            }
            Decision::Stall(state) => park(state).await,
            Decision::StallAfter(state) => {
                let _ = run.await;
                park(state).await
            }
            Decision::Hold(state) => {
                state.0.stalled.notify_one();
                state.0.released.notified().await;
                run.await
            }
        }
    }
}

async fn park<T>(state: FaultHandle) -> T {
    state.0.stalled.notify_one();
    std::future::pending().await
}

// ---------------------------------------------------------------------------
// The store
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreMethod {
    Get,
    GetMany,
    Query,
    Transact,
}

/// A call to the store, as faults see it.
#[derive(Debug, Clone)]
pub struct StoreCall {
    pub method: StoreMethod,
    /// The keys read or written (none for a query).
    pub keys: Vec<Key>,
    pub query: Option<Query>,
}

impl StoreCall {
    /// Whether the call reads or writes a key whose partition starts with `prefix`.
    pub fn touches_partition(&self, prefix: &str) -> bool {
        self.keys.iter().any(|k| k.pk.starts_with(prefix))
            || self
                .query
                .as_ref()
                .is_some_and(|q| q.partition.starts_with(prefix))
    }

    /// Whether the call reads or writes a key whose sort key starts with `prefix`.
    pub fn touches_sort_key(&self, prefix: &str) -> bool {
        self.keys.iter().any(|k| k.sk.starts_with(prefix))
    }

    pub fn is_write(&self) -> bool {
        self.method == StoreMethod::Transact
    }
}

/// DynamoDB's answer once the SDK's retries are spent.
pub fn throttled() -> StoreError {
    StoreError::Throttled("injected: ProvisionedThroughputExceededException".into())
}

/// A [`Store`] that fails on command.
pub struct FaultyStore {
    inner: Arc<dyn Store>,
    faults: Faults<StoreCall, StoreError>,
}

impl FaultyStore {
    pub fn new(inner: Arc<dyn Store>) -> Self {
        Self {
            inner,
            faults: Faults::default(),
        }
    }

    pub fn inject(&self, fault: Fault<StoreCall, StoreError>) -> FaultHandle {
        self.faults.inject(fault)
    }

    /// Fails the next `n` calls of `method` with `error()`.
    pub fn fail_next(
        &self,
        method: StoreMethod,
        n: usize,
        error: impl Fn() -> StoreError + Send + Sync + 'static,
    ) -> FaultHandle {
        self.inject(Fault::on(move |c: &StoreCall| c.method == method, error).times(n))
    }

    /// Removes every fault: calls go through again.
    pub fn clear(&self) {
        self.faults.clear();
    }

    /// Calls failed or stalled so far.
    pub fn injected(&self) -> usize {
        self.faults.injected.load(Ordering::SeqCst)
    }

    pub fn inner(&self) -> &Arc<dyn Store> {
        &self.inner
    }
}

#[async_trait]
impl Store for FaultyStore {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        let call = StoreCall {
            method: StoreMethod::Get,
            keys: vec![key.clone()],
            query: None,
        };
        self.faults.around(&call, self.inner.get(key)).await
    }

    async fn get_many(&self, keys: &[Key]) -> Result<Vec<Item>, StoreError> {
        let call = StoreCall {
            method: StoreMethod::GetMany,
            keys: keys.to_vec(),
            query: None,
        };
        self.faults.around(&call, self.inner.get_many(keys)).await
    }

    async fn query(&self, query: &Query) -> Result<Page, StoreError> {
        let call = StoreCall {
            method: StoreMethod::Query,
            keys: Vec::new(),
            query: Some(query.clone()),
        };
        self.faults.around(&call, self.inner.query(query)).await
    }

    async fn transact(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
        let call = StoreCall {
            method: StoreMethod::Transact,
            keys: ops.iter().map(|op| op.key().clone()).collect(),
            query: None,
        };
        self.faults.around(&call, self.inner.transact(ops)).await
    }
}

// ---------------------------------------------------------------------------
// The mailer
// ---------------------------------------------------------------------------

/// SES refusing for now (quota, throttling).
pub fn mail_throttled() -> MailError {
    MailError::Throttled("injected: Maximum sending rate exceeded.".into())
}

/// SES unreachable.
pub fn mail_unavailable() -> MailError {
    MailError::Unavailable("injected: connection reset".into())
}

/// A [`Mailer`] that fails on command; calls are the emails.
pub struct FaultyMailer {
    inner: Arc<dyn Mailer>,
    faults: Faults<OutgoingEmail, MailError>,
}

impl FaultyMailer {
    pub fn new(inner: Arc<dyn Mailer>) -> Self {
        Self {
            inner,
            faults: Faults::default(),
        }
    }

    pub fn inject(&self, fault: Fault<OutgoingEmail, MailError>) -> FaultHandle {
        self.faults.inject(fault)
    }

    /// Fails every send with `error()` until [`FaultyMailer::clear`].
    pub fn fail_all(&self, error: impl Fn() -> MailError + Send + Sync + 'static) -> FaultHandle {
        self.inject(Fault::always(error))
    }

    pub fn clear(&self) {
        self.faults.clear();
    }

    pub fn injected(&self) -> usize {
        self.faults.injected.load(Ordering::SeqCst)
    }
}

#[async_trait]
impl Mailer for FaultyMailer {
    async fn send(&self, email: &OutgoingEmail) -> Result<(), MailError> {
        self.faults.around(email, self.inner.send(email)).await
    }
}

// ---------------------------------------------------------------------------
// The document store
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentsMethod {
    PresignPut,
    PresignGet,
    Put,
    Get,
    Head,
    Delete,
}

/// A call to the document store, as faults see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentsCall {
    pub method: DocumentsMethod,
    pub key: String,
}

/// S3 unreachable.
pub fn documents_unavailable() -> DocumentStoreError {
    DocumentStoreError::Unavailable("injected: S3 SlowDown".into())
}

/// A [`DocumentStore`] that fails on command.
pub struct FaultyDocuments {
    inner: Arc<dyn DocumentStore>,
    faults: Faults<DocumentsCall, DocumentStoreError>,
}

impl FaultyDocuments {
    pub fn new(inner: Arc<dyn DocumentStore>) -> Self {
        Self {
            inner,
            faults: Faults::default(),
        }
    }

    pub fn inject(&self, fault: Fault<DocumentsCall, DocumentStoreError>) -> FaultHandle {
        self.faults.inject(fault)
    }

    /// Fails the next `n` calls of `method` with `error()`.
    pub fn fail_next(
        &self,
        method: DocumentsMethod,
        n: usize,
        error: impl Fn() -> DocumentStoreError + Send + Sync + 'static,
    ) -> FaultHandle {
        self.inject(Fault::on(move |c: &DocumentsCall| c.method == method, error).times(n))
    }

    pub fn clear(&self) {
        self.faults.clear();
    }

    pub fn injected(&self) -> usize {
        self.faults.injected.load(Ordering::SeqCst)
    }

    pub fn inner(&self) -> &Arc<dyn DocumentStore> {
        &self.inner
    }
}

fn documents_call(method: DocumentsMethod, key: &str) -> DocumentsCall {
    DocumentsCall {
        method,
        key: key.to_owned(),
    }
}

#[async_trait]
impl DocumentStore for FaultyDocuments {
    async fn presign_put(
        &self,
        key: &str,
        content_type: &str,
        content_length: u64,
        now: DateTime<Utc>,
        expires_in: Duration,
    ) -> Result<PresignedUpload, DocumentStoreError> {
        let call = documents_call(DocumentsMethod::PresignPut, key);
        let run = self
            .inner
            .presign_put(key, content_type, content_length, now, expires_in);
        self.faults.around(&call, run).await
    }

    async fn presign_get(
        &self,
        key: &str,
        now: DateTime<Utc>,
        expires_in: Duration,
    ) -> Result<String, DocumentStoreError> {
        let call = documents_call(DocumentsMethod::PresignGet, key);
        let run = self.inner.presign_get(key, now, expires_in);
        self.faults.around(&call, run).await
    }

    async fn put(
        &self,
        key: &str,
        content_type: &str,
        body: Bytes,
    ) -> Result<(), DocumentStoreError> {
        let call = documents_call(DocumentsMethod::Put, key);
        self.faults
            .around(&call, self.inner.put(key, content_type, body))
            .await
    }

    async fn get(&self, key: &str) -> Result<Option<Bytes>, DocumentStoreError> {
        let call = documents_call(DocumentsMethod::Get, key);
        self.faults.around(&call, self.inner.get(key)).await
    }

    async fn head(&self, key: &str) -> Result<Option<StoredObject>, DocumentStoreError> {
        let call = documents_call(DocumentsMethod::Head, key);
        self.faults.around(&call, self.inner.head(key)).await
    }

    async fn delete(&self, key: &str) -> Result<(), DocumentStoreError> {
        let call = documents_call(DocumentsMethod::Delete, key);
        self.faults.around(&call, self.inner.delete(key)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::sqlite::SqliteStore;
    use crate::ports::store::{Condition, SortKeyCondition};

    fn put(sk: &str) -> Vec<WriteOp> {
        vec![WriteOp::put(
            Item::new(Key::new("P", sk)),
            Condition::NotExists,
        )]
    }

    #[tokio::test]
    async fn faults_skip_hit_a_number_of_calls_and_clear() {
        let store = FaultyStore::new(Arc::new(SqliteStore::in_memory().unwrap()));
        let second = store.inject(
            Fault::on(|c: &StoreCall| c.is_write(), throttled)
                .skip(1)
                .times(1),
        );
        store.transact(put("a")).await.unwrap();
        assert!(matches!(
            store.transact(put("b")).await,
            Err(StoreError::Throttled(_))
        ));
        store.transact(put("c")).await.unwrap();
        assert_eq!(second.hits(), 1);
        // Failed before reaching the store: `b` was never written.
        assert!(store.get(&Key::new("P", "b")).await.unwrap().is_none());

        // Failed after: the write is there, the caller was told it failed.
        store.inject(Fault::always(throttled).fail_after().times(1));
        assert!(store.transact(put("d")).await.is_err());
        assert!(store.get(&Key::new("P", "d")).await.unwrap().is_some());

        let reads = store.fail_next(StoreMethod::Query, 2, throttled);
        let query = Query::table("P", SortKeyCondition::Any);
        assert!(store.query(&query).await.is_err());
        assert!(store.query(&query).await.is_err());
        assert_eq!(store.query(&query).await.unwrap().items.len(), 3);
        assert_eq!(reads.hits(), 2);
        assert_eq!(store.injected(), 4);

        store.inject(Fault::always(throttled));
        assert!(store.get(&Key::new("P", "a")).await.is_err());
        store.clear();
        assert!(store.get(&Key::new("P", "a")).await.unwrap().is_some());
    }

    #[tokio::test]
    async fn a_stalled_call_never_returns_and_its_task_can_be_killed() {
        let store = Arc::new(FaultyStore::new(Arc::new(
            SqliteStore::in_memory().unwrap(),
        )));
        let stall = store.inject(Fault::always(throttled).stall_after().times(1));
        let task = {
            let store = store.clone();
            tokio::spawn(async move { store.transact(put("a")).await })
        };
        stall.stalled().await;
        task.abort();
        assert!(task.await.unwrap_err().is_cancelled());
        // The write was made before the call stalled.
        assert!(store.get(&Key::new("P", "a")).await.unwrap().is_some());

        // A held call waits for its release, then goes through.
        let hold = store.inject(Fault::always(throttled).hold().times(1));
        let task = {
            let store = store.clone();
            tokio::spawn(async move { store.transact(put("b")).await })
        };
        hold.stalled().await;
        assert!(store.get(&Key::new("P", "b")).await.unwrap().is_none());
        hold.release();
        task.await.unwrap().unwrap();
        assert!(store.get(&Key::new("P", "b")).await.unwrap().is_some());
    }
}
