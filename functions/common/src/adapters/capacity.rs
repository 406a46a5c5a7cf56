//! A [`Store`] that estimates DynamoDB's capacity units per partition and
//! per second: wraps any store (SQLite in the load model) and charges each
//! call as DynamoDB would charge it to the partitions it touches, so that a
//! replayed load shows its hottest partitions against DynamoDB's
//! per-partition limits ([`PARTITION_WCU`], [`PARTITION_RCU`]).
//!
//! How DynamoDB counts, as estimated here:
//!
//! - an item's size is the length of its attribute names and values
//!   ([`item_size`]); an index's copy of it adds 100 bytes;
//! - a write costs one unit per KB of the item, rounded up, the larger of
//!   the item before and after for a replacement; a delete costs the item
//!   deleted, a condition check the item checked (at least one unit each);
//! - every index whose key attributes the item has gets its projected copy
//!   written too (the table's indexes project ALL): a copy whose index key
//!   changed is a delete of the old copy (in the old key's partition) plus a
//!   put of the new one; a copy that appears is a put, one that disappears a
//!   delete;
//! - a call of two operations or more is a transaction (the DynamoDB
//!   adapter sends one operation alone as a plain write): every unit counts
//!   double; a write refused on its condition still costs its table units;
//! - a read costs one unit per 4 KB: per item for a `get` or a `get_many`
//!   (strongly consistent, at least one unit per key asked, found or not),
//!   per page for a `query` (the sizes of its items summed, then rounded up;
//!   half as much on an index, which the adapter reads eventually
//!   consistently; at least one unit).
//!
//! Units are recorded per partition — the table's or an index's partition
//! key — and per second of the app's clock (a simulated clock replays a
//! load second by second). To know an item's size and index keys before a
//! write, the adapter reads it from the inner store first: those reads are
//! the adapter's own and are not charged.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::ports::store::{
    Index, Item, Key, Page, Query, Store, StoreError, WriteOp, GSI1_PK, GSI1_SK, GSI2_PK, GSI2_SK,
};
use crate::ports::Clock;

/// DynamoDB's write capacity units a second for one partition.
pub const PARTITION_WCU: f64 = 1_000.0;
/// DynamoDB's read capacity units a second for one partition.
pub const PARTITION_RCU: f64 = 3_000.0;
/// One write unit covers this many bytes of an item.
pub const WRITE_UNIT_BYTES: usize = 1_024;
/// One read unit covers this many bytes, strongly consistent.
pub const READ_UNIT_BYTES: usize = 4_096;
/// What an index adds to the size of its copy of an item.
pub const INDEX_OVERHEAD_BYTES: usize = 100;

/// Where capacity is spent: the table, or one of its indexes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Space {
    Table,
    Gsi1,
    Gsi2,
}

impl Space {
    pub fn name(self) -> &'static str {
        match self {
            Space::Table => "table",
            Space::Gsi1 => "gsi1",
            Space::Gsi2 => "gsi2",
        }
    }

    fn of(index: Option<Index>) -> Self {
        match index {
            None => Space::Table,
            Some(Index::Gsi1) => Space::Gsi1,
            Some(Index::Gsi2) => Space::Gsi2,
        }
    }
}

/// One partition: a partition key of the table or of an index.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Partition {
    pub space: Space,
    pub key: String,
}

impl Partition {
    pub fn new(space: Space, key: impl Into<String>) -> Self {
        Self {
            space,
            key: key.into(),
        }
    }
}

impl fmt::Display for Partition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.space.name(), self.key)
    }
}

/// Capacity units spent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Units {
    pub wcu: f64,
    pub rcu: f64,
}

impl Units {
    fn add(&mut self, other: Units) {
        self.wcu += other.wcu;
        self.rcu += other.rcu;
    }
}

/// The size DynamoDB gives an item: its attribute names and values,
/// the key attributes (`pk`, `sk`) included.
pub fn item_size(item: &Item) -> usize {
    let key = "pk".len() + item.key.pk.len() + "sk".len() + item.key.sk.len();
    key + item
        .attrs
        .iter()
        .map(|(name, value)| name.len() + value_size(value))
        .sum::<usize>()
}

fn value_size(value: &Value) -> usize {
    match value {
        Value::Null | Value::Bool(_) => 1,
        Value::String(s) => s.len(),
        // Up to 38 significant digits, two a byte, plus one.
        Value::Number(n) => n.to_string().trim_start_matches('-').len().div_ceil(2) + 1,
        Value::Array(values) => 3 + values.iter().map(|v| 1 + value_size(v)).sum::<usize>(),
        Value::Object(map) => 3 + map_size(map),
    }
}

fn map_size(map: &Map<String, Value>) -> usize {
    map.iter()
        .map(|(name, value)| 1 + name.len() + value_size(value))
        .sum()
}

fn write_units(bytes: usize) -> f64 {
    bytes.div_ceil(WRITE_UNIT_BYTES).max(1) as f64
}

fn read_units(bytes: usize) -> f64 {
    bytes.div_ceil(READ_UNIT_BYTES).max(1) as f64
}

/// The index keys (partition, sort) `item` has in `space`, if any.
fn index_key(item: &Item, space: Space) -> Option<(&str, &str)> {
    let (pk, sk) = match space {
        Space::Table => return Some((&item.key.pk, &item.key.sk)),
        Space::Gsi1 => (GSI1_PK, GSI1_SK),
        Space::Gsi2 => (GSI2_PK, GSI2_SK),
    };
    Some((item.str_attr(pk)?, item.str_attr(sk)?))
}

/// The units one write operation spends, per partition: `before` is the
/// item at its key before the write, `after` the item it leaves.
fn write_charges(
    before: Option<&Item>,
    after: Option<&Item>,
    key: &Key,
    indexed: bool,
) -> Vec<(Partition, f64)> {
    let size = |item: Option<&Item>| item.map_or(0, item_size);
    let mut charges = vec![(
        Partition::new(Space::Table, key.pk.clone()),
        write_units(size(before).max(size(after))),
    )];
    if !indexed {
        return charges;
    }
    for space in [Space::Gsi1, Space::Gsi2] {
        let old = before.and_then(|item| index_key(item, space).map(|k| (k, item)));
        let new = after.and_then(|item| index_key(item, space).map(|k| (k, item)));
        let copy = |item: &Item| write_units(item_size(item) + INDEX_OVERHEAD_BYTES);
        match (old, new) {
            (Some((old_key, old_item)), Some((new_key, new_item))) if old_key != new_key => {
                charges.push((Partition::new(space, old_key.0), copy(old_item)));
                charges.push((Partition::new(space, new_key.0), copy(new_item)));
            }
            (Some((old_key, old_item)), Some((_, new_item))) => {
                let bytes = item_size(old_item).max(item_size(new_item)) + INDEX_OVERHEAD_BYTES;
                charges.push((Partition::new(space, old_key.0), write_units(bytes)));
            }
            (Some((old_key, old_item)), None) => {
                charges.push((Partition::new(space, old_key.0), copy(old_item)));
            }
            (None, Some((new_key, new_item))) => {
                charges.push((Partition::new(space, new_key.0), copy(new_item)));
            }
            (None, None) => {}
        }
    }
    charges
}

/// What an `Add` leaves: `before` (or an empty item) with each delta added.
fn added(before: Option<&Item>, key: &Key, deltas: &BTreeMap<String, i64>) -> Item {
    let mut item = before.cloned().unwrap_or_else(|| Item::new(key.clone()));
    for (name, delta) in deltas {
        let current = item.attrs.get(name).and_then(Value::as_i64).unwrap_or(0);
        item.attrs
            .insert(name.clone(), Value::from(current + delta));
    }
    item
}

/// Units per second (of the clock) and per partition.
pub type Usage = BTreeMap<(i64, Partition), Units>;

/// Estimates the capacity `inner`'s callers would spend on DynamoDB.
pub struct CapacityStore {
    inner: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    usage: Mutex<Usage>,
}

impl CapacityStore {
    pub fn new(inner: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Self {
        Self {
            inner,
            clock,
            usage: Mutex::new(BTreeMap::new()),
        }
    }

    /// Everything recorded so far.
    pub fn usage(&self) -> Usage {
        self.usage.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn reset(&self) {
        self.usage.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }

    fn charge(&self, charges: impl IntoIterator<Item = (Partition, Units)>) {
        let second = self.clock.now().timestamp();
        let mut usage = self.usage.lock().unwrap_or_else(|p| p.into_inner());
        for (partition, units) in charges {
            usage.entry((second, partition)).or_default().add(units);
        }
    }

    fn charge_reads(&self, charges: impl IntoIterator<Item = (Partition, f64)>) {
        self.charge(
            charges
                .into_iter()
                .map(|(p, rcu)| (p, Units { wcu: 0.0, rcu })),
        );
    }
}

#[async_trait]
impl Store for CapacityStore {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        let result = self.inner.get(key).await;
        if let Ok(found) = &result {
            let units = read_units(found.as_ref().map_or(0, item_size));
            self.charge_reads([(Partition::new(Space::Table, key.pk.clone()), units)]);
        }
        result
    }

    async fn get_many(&self, keys: &[Key]) -> Result<Vec<Item>, StoreError> {
        let result = self.inner.get_many(keys).await;
        if let Ok(items) = &result {
            let mut charges: Vec<(Partition, f64)> = items
                .iter()
                .map(|item| {
                    let units = read_units(item_size(item));
                    (Partition::new(Space::Table, item.key.pk.clone()), units)
                })
                .collect();
            // A key asked and not found still costs its unit.
            for key in keys {
                if !items.iter().any(|item| &item.key == key) {
                    charges.push((Partition::new(Space::Table, key.pk.clone()), 1.0));
                }
            }
            self.charge_reads(charges);
        }
        result
    }

    async fn query(&self, query: &Query) -> Result<Page, StoreError> {
        let result = self.inner.query(query).await;
        if let Ok(page) = &result {
            let space = Space::of(query.index);
            let overhead = if space == Space::Table {
                0
            } else {
                INDEX_OVERHEAD_BYTES
            };
            let bytes: usize = page.items.iter().map(|i| item_size(i) + overhead).sum();
            let consistency = if space == Space::Table { 1.0 } else { 0.5 };
            let units = read_units(bytes) * consistency;
            self.charge_reads([(Partition::new(space, query.partition.clone()), units)]);
        }
        result
    }

    async fn transact(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
        let keys: Vec<Key> = ops.iter().map(|op| op.key().clone()).collect();
        // The adapter's own read, not charged: what each write replaces.
        let before = self.inner.get_many(&keys).await.unwrap_or_default();
        let before_of = |key: &Key| before.iter().find(|item| &item.key == key);
        let factor = if ops.len() > 1 { 2.0 } else { 1.0 };
        let mut charges = Vec::new();
        for op in &ops {
            let key = op.key();
            let old = before_of(key);
            let after = match op {
                WriteOp::Put { item, .. } => Some(item.clone()),
                WriteOp::Delete { .. } => None,
                WriteOp::Check { .. } => old.cloned(),
                WriteOp::Add { key, deltas } => Some(added(old, key, deltas)),
            };
            let indexed = !matches!(op, WriteOp::Check { .. });
            charges.push((old, after, key.clone(), indexed));
        }
        let result = self.inner.transact(ops).await;
        let written = result.is_ok();
        let mut units = Vec::new();
        for (old, after, key, indexed) in &charges {
            let charged = write_charges(*old, after.as_ref(), key, *indexed && written);
            // Refused writes cost their table units only.
            let charged = if written {
                charged
            } else {
                charged.into_iter().take(1).collect()
            };
            units.extend(charged.into_iter().map(|(p, wcu)| {
                (
                    p,
                    Units {
                        wcu: wcu * factor,
                        rcu: 0.0,
                    },
                )
            }));
        }
        self.charge(units);
        result
    }
}

/// A partition's busiest second.
#[derive(Debug, Clone, Serialize)]
pub struct Peak {
    pub partition: Partition,
    /// The most write units it took in one second, and the most read units.
    pub wcu_per_second: f64,
    pub rcu_per_second: f64,
    /// Those peaks as a share of DynamoDB's per-partition limits (1.0 = 100 %).
    pub wcu_share: f64,
    pub rcu_share: f64,
}

impl Peak {
    /// The larger of the two shares.
    pub fn share(&self) -> f64 {
        self.wcu_share.max(self.rcu_share)
    }
}

/// The peak second of each partition (as `group` names them: the raw key,
/// or a family of keys summed), hottest first.
pub fn peaks(usage: &Usage, group: impl Fn(&Partition) -> Partition) -> Vec<Peak> {
    let mut per_second: BTreeMap<(Partition, i64), Units> = BTreeMap::new();
    for ((second, partition), units) in usage {
        per_second
            .entry((group(partition), *second))
            .or_default()
            .add(*units);
    }
    let mut best: BTreeMap<Partition, Units> = BTreeMap::new();
    for ((partition, _), units) in per_second {
        let peak = best.entry(partition).or_default();
        peak.wcu = peak.wcu.max(units.wcu);
        peak.rcu = peak.rcu.max(units.rcu);
    }
    let mut peaks: Vec<Peak> = best
        .into_iter()
        .map(|(partition, units)| Peak {
            partition,
            wcu_per_second: units.wcu,
            rcu_per_second: units.rcu,
            wcu_share: units.wcu / PARTITION_WCU,
            rcu_share: units.rcu / PARTITION_RCU,
        })
        .collect();
    peaks.sort_by(|a, b| b.share().total_cmp(&a.share()));
    peaks
}

/// The key with a shard suffix taken off: a last `#`-segment of one to
/// three digits (`DUE#INSCRIPTION#2022#07` → `DUE#INSCRIPTION#2022`), so
/// that the shards of one partition are summed as the partition they split.
/// A session (`2022`, four digits) is not a shard.
pub fn without_shard(partition: &Partition) -> Partition {
    let key = match partition.key.rsplit_once('#') {
        Some((head, last))
            if (1..=3).contains(&last.len()) && last.bytes().all(|b| b.is_ascii_digit()) =>
        {
            head.to_owned()
        }
        _ => partition.key.clone(),
    };
    Partition::new(partition.space, key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::clock::SimulatedClock;
    use crate::adapters::sqlite::SqliteStore;
    use crate::ports::store::{Condition, SortKeyCondition};
    use chrono::{DateTime, Utc};

    fn store() -> (CapacityStore, Arc<SimulatedClock>) {
        let start: DateTime<Utc> = "2022-01-31T21:00:00Z".parse().unwrap();
        let clock = Arc::new(SimulatedClock::stepped_at(start));
        let store = CapacityStore::new(Arc::new(SqliteStore::in_memory().unwrap()), clock.clone());
        (store, clock)
    }

    fn units(store: &CapacityStore, space: Space, key: &str) -> Units {
        let mut total = Units::default();
        for ((_, partition), u) in store.usage() {
            if partition == Partition::new(space, key) {
                total.add(u);
            }
        }
        total
    }

    /// An item of about `bytes` bytes, indexed on gsi1 under `due`.
    fn item(sk: &str, bytes: usize, due: Option<&str>) -> Item {
        let mut item = Item::new(Key::new("ACC#1", sk)).with("text", "x".repeat(bytes));
        if let Some(due) = due {
            item = item.with(GSI1_PK, due).with(GSI1_SK, "2022-01-31");
        }
        item
    }

    #[test]
    fn sizes_count_names_and_values() {
        let item = Item::new(Key::new("P", "S"))
            .with("ab", "xyz")
            .with("n", 12345);
        // pk P, sk S: 2+1+2+1; ab xyz: 5; n 12345: 1 + (3 + 1).
        assert_eq!(item_size(&item), 6 + 5 + 5);
    }

    #[tokio::test]
    async fn a_write_costs_a_unit_per_kilobyte_and_each_index_copy_too() {
        let (store, _) = store();
        let put = |i: Item| WriteOp::put(i, Condition::Always);
        // 1.5 KB, indexed on gsi1: 2 units in the table, 2 in the index.
        store
            .transact(vec![put(item("A", 1_500, Some("DUE#X")))])
            .await
            .unwrap();
        assert_eq!(units(&store, Space::Table, "ACC#1").wcu, 2.0);
        assert_eq!(units(&store, Space::Gsi1, "DUE#X").wcu, 2.0);
        // Moved to another index partition: a delete there, a put here.
        store.reset();
        store
            .transact(vec![put(item("A", 500, Some("DUE#Y")))])
            .await
            .unwrap();
        // The table: the larger of before (1.5 KB) and after.
        assert_eq!(units(&store, Space::Table, "ACC#1").wcu, 2.0);
        assert_eq!(units(&store, Space::Gsi1, "DUE#X").wcu, 2.0);
        assert_eq!(units(&store, Space::Gsi1, "DUE#Y").wcu, 1.0);
        // Two operations: a transaction, every unit counted double.
        store.reset();
        store
            .transact(vec![
                put(item("A", 500, None)),
                put(item("B", 100, Some("DUE#Y"))),
            ])
            .await
            .unwrap();
        assert_eq!(units(&store, Space::Table, "ACC#1").wcu, 4.0);
        // A's copy leaves DUE#Y (deleted), B's arrives: 2 × (1 + 1).
        assert_eq!(units(&store, Space::Gsi1, "DUE#Y").wcu, 4.0);
        // A refused write costs its table units, and no index's.
        store.reset();
        let refused = store
            .transact(vec![WriteOp::put(
                item("B", 100, Some("DUE#Z")),
                Condition::NotExists,
            )])
            .await;
        assert!(refused.is_err());
        assert_eq!(units(&store, Space::Table, "ACC#1").wcu, 1.0);
        assert_eq!(units(&store, Space::Gsi1, "DUE#Z").wcu, 0.0);
    }

    #[tokio::test]
    async fn reads_cost_a_unit_per_4_kb_half_on_an_index_and_by_second() {
        let (store, clock) = store();
        let put = |i: Item| WriteOp::put(i, Condition::Always);
        for sk in ["A", "B", "C"] {
            store
                .transact(vec![put(item(sk, 3_000, Some("DUE#X")))])
                .await
                .unwrap();
        }
        store.reset();
        store.get(&Key::new("ACC#1", "A")).await.unwrap();
        store.get(&Key::new("ACC#1", "none")).await.unwrap();
        assert_eq!(units(&store, Space::Table, "ACC#1").rcu, 2.0);
        clock.advance(chrono::Duration::seconds(1)).unwrap();
        // 3 items of about 3 KB (+ 100 bytes each) on an index: 3 units, halved.
        let query = Query::index(Index::Gsi1, "DUE#X", SortKeyCondition::Any).limit(10);
        assert_eq!(store.query(&query).await.unwrap().items.len(), 3);
        assert_eq!(units(&store, Space::Gsi1, "DUE#X").rcu, 1.5);
        let peaks = peaks(&store.usage(), Partition::clone);
        assert_eq!(peaks.len(), 2);
        assert_eq!(peaks[0].partition, Partition::new(Space::Table, "ACC#1"));
        assert_eq!(peaks[0].rcu_per_second, 2.0);
        assert!((peaks[0].rcu_share - 2.0 / 3_000.0).abs() < 1e-12);
    }

    #[test]
    fn shards_are_summed_as_the_partition_they_split() {
        let shard = |k: &str| without_shard(&Partition::new(Space::Gsi1, k)).key;
        assert_eq!(shard("DUE#INSCRIPTION#2022#07"), "DUE#INSCRIPTION#2022");
        assert_eq!(shard("DUE#INSCRIPTION#2022#7"), "DUE#INSCRIPTION#2022");
        assert_eq!(shard("DUE#INSCRIPTION#2022"), "DUE#INSCRIPTION#2022");
        assert_eq!(shard("ACCOUNT#abc"), "ACCOUNT#abc");
        let mut usage = Usage::new();
        for (second, key, wcu) in [
            (1, "D#2022#0", 300.0),
            (1, "D#2022#1", 300.0),
            (2, "D#2022#0", 400.0),
        ] {
            usage.insert(
                (second, Partition::new(Space::Gsi1, key)),
                Units { wcu, rcu: 0.0 },
            );
        }
        let grouped = peaks(&usage, without_shard);
        assert_eq!(grouped.len(), 1);
        assert_eq!(grouped[0].wcu_per_second, 600.0);
        assert_eq!(peaks(&usage, Partition::clone)[0].wcu_per_second, 400.0);
    }
}
