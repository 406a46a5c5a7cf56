//! A [`Store`] that counts: wraps any store and counts, per method, the calls
//! (round trips) and the items they returned or wrote. The tests use it to
//! show that a sweep reads what it changes and not the table; the benchmarks
//! use it to report items read per item changed.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use serde::Serialize;

use crate::ports::store::{Item, Key, Page, Query, Store, StoreError, WriteOp};

/// What one method was asked: its calls, and the items it returned (reads)
/// or the operations it carried (transactions).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct MethodCounts {
    pub calls: u64,
    pub items: u64,
}

/// A snapshot of every counter.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct StoreCounts {
    pub get: MethodCounts,
    pub get_many: MethodCounts,
    pub query: MethodCounts,
    /// `items` counts the operations of the transactions.
    pub transact: MethodCounts,
}

impl StoreCounts {
    /// Items returned by every read (get, get_many, query).
    pub fn items_read(&self) -> u64 {
        self.get.items + self.get_many.items + self.query.items
    }

    /// Read round trips.
    pub fn read_calls(&self) -> u64 {
        self.get.calls + self.get_many.calls + self.query.calls
    }

    /// Every round trip.
    pub fn calls(&self) -> u64 {
        self.read_calls() + self.transact.calls
    }

    /// The counts since `earlier` was taken.
    pub fn since(&self, earlier: &StoreCounts) -> StoreCounts {
        let diff = |a: MethodCounts, b: MethodCounts| MethodCounts {
            calls: a.calls.saturating_sub(b.calls),
            items: a.items.saturating_sub(b.items),
        };
        StoreCounts {
            get: diff(self.get, earlier.get),
            get_many: diff(self.get_many, earlier.get_many),
            query: diff(self.query, earlier.query),
            transact: diff(self.transact, earlier.transact),
        }
    }
}

#[derive(Default)]
struct Counter {
    calls: AtomicU64,
    items: AtomicU64,
}

impl Counter {
    fn add(&self, items: usize) {
        self.calls.fetch_add(1, Ordering::Relaxed);
        self.items
            .fetch_add(u64::try_from(items).unwrap_or(u64::MAX), Ordering::Relaxed);
    }

    fn read(&self) -> MethodCounts {
        MethodCounts {
            calls: self.calls.load(Ordering::Relaxed),
            items: self.items.load(Ordering::Relaxed),
        }
    }

    fn reset(&self) {
        self.calls.store(0, Ordering::Relaxed);
        self.items.store(0, Ordering::Relaxed);
    }
}

/// Counts the calls made to `inner`. Calls that fail are counted too (they
/// cost a round trip), with no items.
pub struct CountingStore {
    inner: Arc<dyn Store>,
    get: Counter,
    get_many: Counter,
    query: Counter,
    transact: Counter,
}

impl CountingStore {
    pub fn new(inner: Arc<dyn Store>) -> Self {
        Self {
            inner,
            get: Counter::default(),
            get_many: Counter::default(),
            query: Counter::default(),
            transact: Counter::default(),
        }
    }

    pub fn counts(&self) -> StoreCounts {
        StoreCounts {
            get: self.get.read(),
            get_many: self.get_many.read(),
            query: self.query.read(),
            transact: self.transact.read(),
        }
    }

    pub fn reset(&self) {
        self.get.reset();
        self.get_many.reset();
        self.query.reset();
        self.transact.reset();
    }

    pub fn inner(&self) -> &Arc<dyn Store> {
        &self.inner
    }
}

#[async_trait]
impl Store for CountingStore {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        let result = self.inner.get(key).await;
        self.get.add(
            result
                .as_ref()
                .map_or(0, |found| usize::from(found.is_some())),
        );
        result
    }

    async fn get_many(&self, keys: &[Key]) -> Result<Vec<Item>, StoreError> {
        let result = self.inner.get_many(keys).await;
        self.get_many.add(result.as_ref().map_or(0, Vec::len));
        result
    }

    async fn query(&self, query: &Query) -> Result<Page, StoreError> {
        let result = self.inner.query(query).await;
        self.query
            .add(result.as_ref().map_or(0, |page| page.items.len()));
        result
    }

    async fn transact(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
        let count = ops.len();
        let result = self.inner.transact(ops).await;
        self.transact.add(count);
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::sqlite::SqliteStore;
    use crate::ports::store::{Condition, SortKeyCondition};

    #[tokio::test]
    async fn counts_calls_and_items_per_method() {
        let store = CountingStore::new(Arc::new(SqliteStore::in_memory().unwrap()));
        let ops = (0..3)
            .map(|i| {
                WriteOp::put(
                    Item::new(Key::new("P", format!("S{i}"))),
                    Condition::NotExists,
                )
            })
            .collect();
        store.transact(ops).await.unwrap();
        store.get(&Key::new("P", "S0")).await.unwrap();
        store.get(&Key::new("P", "nope")).await.unwrap();
        store
            .get_many(&[Key::new("P", "S1"), Key::new("P", "S2"), Key::new("Q", "x")])
            .await
            .unwrap();
        let page = store
            .query(&Query::table("P", SortKeyCondition::Any).limit(2))
            .await
            .unwrap();
        assert_eq!(page.items.len(), 2);

        let counts = store.counts();
        assert_eq!(counts.transact, MethodCounts { calls: 1, items: 3 });
        assert_eq!(counts.get, MethodCounts { calls: 2, items: 1 });
        assert_eq!(counts.get_many, MethodCounts { calls: 1, items: 2 });
        assert_eq!(counts.query, MethodCounts { calls: 1, items: 2 });
        assert_eq!(counts.items_read(), 5);
        assert_eq!(counts.calls(), 5);
        let before = counts;
        store.get(&Key::new("P", "S1")).await.unwrap();
        assert_eq!(store.counts().since(&before).items_read(), 1);
        store.reset();
        assert_eq!(store.counts(), StoreCounts::default());
    }
}
