//! The store port: one table of items addressed by a partition key and a sort
//! key, with two generic secondary indexes, conditional writes and atomic
//! transactions. This is DynamoDB's single-table model, kept deliberately
//! small so that SQLite can honour exactly the same contract.
//!
//! Every port call is one round trip to the backend, which is what lets a
//! counting wrapper measure round trips per request.

use std::collections::BTreeMap;

use async_trait::async_trait;
use serde_json::{Map, Value};

/// The name of the attribute that DynamoDB's TTL reads (epoch seconds). It is
/// only a backstop: the sweeps delete what is due, since TTL can lag by days.
pub const TTL_ATTRIBUTE: &str = "expires_at_epoch";

/// The attributes that key the secondary indexes.
pub const GSI1_PK: &str = "gsi1pk";
pub const GSI1_SK: &str = "gsi1sk";
pub const GSI2_PK: &str = "gsi2pk";
pub const GSI2_SK: &str = "gsi2sk";

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    pub pk: String,
    pub sk: String,
}

impl Key {
    pub fn new(pk: impl Into<String>, sk: impl Into<String>) -> Self {
        Self {
            pk: pk.into(),
            sk: sk.into(),
        }
    }
}

/// One item: its key and its other attributes, as JSON values. Strings stay
/// strings, numbers numbers, so an item reads naturally in the DynamoDB console.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub key: Key,
    pub attrs: Map<String, Value>,
}

impl Item {
    pub fn new(key: Key) -> Self {
        Self {
            key,
            attrs: Map::new(),
        }
    }

    /// Builds an item from any serialisable value (which must serialise to an
    /// object without `pk`/`sk` fields).
    pub fn from_value<T: serde::Serialize>(key: Key, value: &T) -> Result<Self, StoreError> {
        match serde_json::to_value(value) {
            Ok(Value::Object(attrs)) => Ok(Self { key, attrs }),
            Ok(_) => Err(StoreError::Corrupt("an item must be a JSON object".into())),
            Err(e) => Err(StoreError::Corrupt(e.to_string())),
        }
    }

    /// Reads the attributes back into a typed value.
    pub fn to_value<T: serde::de::DeserializeOwned>(&self) -> Result<T, StoreError> {
        serde_json::from_value(Value::Object(self.attrs.clone()))
            .map_err(|e| StoreError::Corrupt(format!("item {}/{}: {e}", self.key.pk, self.key.sk)))
    }

    pub fn with(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.attrs.insert(name.to_owned(), value.into());
        self
    }

    pub fn str_attr(&self, name: &str) -> Option<&str> {
        self.attrs.get(name).and_then(Value::as_str)
    }
}

/// The secondary indexes. Both project every attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Index {
    /// `gsi1pk`/`gsi1sk`: work that falls due at a time (sort key starts with
    /// an RFC 3339 UTC instant, so lexical order is time order).
    Gsi1,
    /// `gsi2pk`/`gsi2sk`: listings for the exams office.
    Gsi2,
}

impl Index {
    pub fn name(self) -> &'static str {
        match self {
            Index::Gsi1 => "gsi1",
            Index::Gsi2 => "gsi2",
        }
    }

    pub fn key_attributes(self) -> (&'static str, &'static str) {
        match self {
            Index::Gsi1 => (GSI1_PK, GSI1_SK),
            Index::Gsi2 => (GSI2_PK, GSI2_SK),
        }
    }
}

/// Which sort keys a query takes, in ascending order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SortKeyCondition {
    Any,
    BeginsWith(String),
    /// Sort keys `<=` the bound: "everything due by now".
    AtMost(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// `None` queries the table itself, by `pk`.
    pub index: Option<Index>,
    pub partition: String,
    pub sort_key: SortKeyCondition,
    pub limit: usize,
    /// The opaque cursor of the previous page.
    pub cursor: Option<String>,
}

impl Query {
    pub fn table(partition: impl Into<String>, sort_key: SortKeyCondition) -> Self {
        Self {
            index: None,
            partition: partition.into(),
            sort_key,
            limit: 100,
            cursor: None,
        }
    }

    pub fn index(index: Index, partition: impl Into<String>, sort_key: SortKeyCondition) -> Self {
        Self {
            index: Some(index),
            ..Self::table(partition, sort_key)
        }
    }

    pub fn limit(mut self, limit: usize) -> Self {
        self.limit = limit;
        self
    }

    pub fn after(mut self, cursor: Option<String>) -> Self {
        self.cursor = cursor;
        self
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub items: Vec<Item>,
    /// Present when more items may follow.
    pub cursor: Option<String>,
}

/// A condition on the item currently stored at a key.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    Always,
    NotExists,
    Exists,
    /// The item exists and its attribute has this value (optimistic locking).
    AttributeEquals(String, Value),
}

#[derive(Debug, Clone, PartialEq)]
pub enum WriteOp {
    /// Writes the whole item, replacing any other at its key.
    Put {
        item: Item,
        condition: Condition,
    },
    Delete {
        key: Key,
        condition: Condition,
    },
    /// Writes nothing, but the transaction fails unless the condition holds.
    Check {
        key: Key,
        condition: Condition,
    },
    /// Adds each number to its attribute, unconditionally (DynamoDB's
    /// `UpdateItem` with `ADD`): a missing attribute counts as 0 and a
    /// missing item is created. Counters written by many writers use it,
    /// since it needs no read and no lock.
    Add {
        key: Key,
        deltas: BTreeMap<String, i64>,
    },
}

static ALWAYS: Condition = Condition::Always;

impl WriteOp {
    pub fn put(item: Item, condition: Condition) -> Self {
        WriteOp::Put { item, condition }
    }

    pub fn delete(key: Key) -> Self {
        WriteOp::Delete {
            key,
            condition: Condition::Always,
        }
    }

    pub fn key(&self) -> &Key {
        match self {
            WriteOp::Put { item, .. } => &item.key,
            WriteOp::Delete { key, .. } | WriteOp::Check { key, .. } | WriteOp::Add { key, .. } => {
                key
            }
        }
    }

    pub fn condition(&self) -> &Condition {
        match self {
            WriteOp::Put { condition, .. }
            | WriteOp::Delete { condition, .. }
            | WriteOp::Check { condition, .. } => condition,
            WriteOp::Add { .. } => &ALWAYS,
        }
    }
}

/// The most operations one transaction may hold (DynamoDB's limit).
pub const MAX_TRANSACTION_OPS: usize = 100;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The condition of operation `op_index` did not hold; nothing was written.
    #[error("condition failed on operation {op_index}")]
    ConditionFailed { op_index: usize },
    /// Two transactions touched the same items at once; nothing was written.
    #[error("transaction conflict: {0}")]
    Conflict(String),
    /// The backend is throttling us even after the SDK's retries.
    #[error("store throttled: {0}")]
    Throttled(String),
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// Stored data that the code cannot read: a bug or a manual edit.
    #[error("stored data unreadable: {0}")]
    Corrupt(String),
    #[error("invalid request to the store: {0}")]
    Invalid(String),
}

#[async_trait]
pub trait Store: Send + Sync {
    /// A strongly consistent read of one item.
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError>;

    /// A strongly consistent read of up to 100 items in one round trip; the
    /// answer holds the items found, in any order.
    async fn get_many(&self, keys: &[Key]) -> Result<Vec<Item>, StoreError>;

    /// One page of a query, in ascending sort-key order.
    async fn query(&self, query: &Query) -> Result<Page, StoreError>;

    /// Applies every operation or none (at most [`MAX_TRANSACTION_OPS`], each
    /// on a distinct key).
    async fn transact(&self, ops: Vec<WriteOp>) -> Result<(), StoreError>;
}
