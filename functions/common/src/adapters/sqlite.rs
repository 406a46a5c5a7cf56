//! The embedded store: one SQLite file in the data directory, honouring the
//! same contract as DynamoDB (conditional writes, atomic transactions, the two
//! secondary indexes as real SQLite indexes so that due work is found without
//! a scan).
//!
//! The file is opened in WAL mode with a busy timeout, so that `examreg admin`
//! can run while the runner serves the same data directory.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use serde_json::{Map, Value};

use crate::ports::store::{
    Condition, Item, Key, Page, Query, SortKeyCondition, Store, StoreError, WriteOp, GSI1_PK,
    GSI1_SK, GSI2_PK, GSI2_SK, MAX_TRANSACTION_OPS,
};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS items (
    pk     TEXT NOT NULL,
    sk     TEXT NOT NULL,
    gsi1pk TEXT,
    gsi1sk TEXT,
    gsi2pk TEXT,
    gsi2sk TEXT,
    attrs  TEXT NOT NULL,
    PRIMARY KEY (pk, sk)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS items_gsi1 ON items (gsi1pk, gsi1sk, pk, sk) WHERE gsi1pk IS NOT NULL;
CREATE INDEX IF NOT EXISTS items_gsi2 ON items (gsi2pk, gsi2sk, pk, sk) WHERE gsi2pk IS NOT NULL;
";

/// A store in one SQLite file. Cloning shares the connection.
#[derive(Clone)]
pub struct SqliteStore {
    conn: Arc<Mutex<Connection>>,
}

impl SqliteStore {
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let conn = Connection::open(path)
            .map_err(|e| StoreError::Unavailable(format!("cannot open {}: {e}", path.display())))?;
        Self::init(conn)
    }

    /// A private database in memory (tests, benchmarks).
    pub fn in_memory() -> Result<Self, StoreError> {
        let conn = Connection::open_in_memory().map_err(backend)?;
        Self::init(conn)
    }

    fn init(conn: Connection) -> Result<Self, StoreError> {
        conn.busy_timeout(Duration::from_secs(10))
            .map_err(backend)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(backend)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(backend)?;
        conn.execute_batch(SCHEMA).map_err(backend)?;
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    /// Runs blocking SQLite work off the async executor.
    async fn with_conn<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let conn = Arc::clone(&self.conn);
        tokio::task::spawn_blocking(move || {
            let mut guard = conn.lock().map_err(|_| {
                StoreError::Unavailable("the SQLite connection was poisoned".into())
            })?;
            work(&mut guard)
        })
        .await
        .map_err(|e| StoreError::Unavailable(format!("SQLite task failed: {e}")))?
    }
}

fn backend(e: rusqlite::Error) -> StoreError {
    match e {
        rusqlite::Error::SqliteFailure(code, _)
            if matches!(
                code.code,
                rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
            ) =>
        {
            StoreError::Throttled(e.to_string())
        }
        other => StoreError::Unavailable(other.to_string()),
    }
}

fn row_to_item(pk: String, sk: String, attrs: &str) -> Result<Item, StoreError> {
    match serde_json::from_str::<Value>(attrs) {
        Ok(Value::Object(attrs)) => Ok(Item {
            key: Key { pk, sk },
            attrs,
        }),
        _ => Err(StoreError::Corrupt(format!(
            "item {pk}/{sk} is not a JSON object"
        ))),
    }
}

fn read_item(conn: &Connection, key: &Key) -> Result<Option<Item>, StoreError> {
    let row: Option<(String, String, String)> = conn
        .query_row(
            "SELECT pk, sk, attrs FROM items WHERE pk = ?1 AND sk = ?2",
            params![key.pk, key.sk],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()
        .map_err(backend)?;
    row.map(|(pk, sk, attrs)| row_to_item(pk, sk, &attrs))
        .transpose()
}

fn condition_holds(current: Option<&Item>, condition: &Condition) -> bool {
    match condition {
        Condition::Always => true,
        Condition::NotExists => current.is_none(),
        Condition::Exists => current.is_some(),
        Condition::AttributeEquals(name, expected) => current
            .and_then(|item| item.attrs.get(name))
            .is_some_and(|actual| json_equal(actual, expected)),
    }
}

/// Numbers compare by value (1 == 1.0), as DynamoDB compares them.
fn json_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

fn index_column(attrs: &Map<String, Value>, name: &str) -> Option<String> {
    attrs.get(name).and_then(Value::as_str).map(str::to_owned)
}

fn write_item(conn: &Connection, item: &Item) -> Result<(), StoreError> {
    let attrs =
        serde_json::to_string(&item.attrs).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    conn.execute(
        "INSERT OR REPLACE INTO items (pk, sk, gsi1pk, gsi1sk, gsi2pk, gsi2sk, attrs)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            item.key.pk,
            item.key.sk,
            index_column(&item.attrs, GSI1_PK),
            index_column(&item.attrs, GSI1_SK),
            index_column(&item.attrs, GSI2_PK),
            index_column(&item.attrs, GSI2_SK),
            attrs
        ],
    )
    .map_err(backend)?;
    Ok(())
}

/// `WriteOp::Add`: the item (created if missing) with each delta added to
/// its number attribute (a missing one counts as 0).
fn add_to_item(
    conn: &Connection,
    key: &Key,
    deltas: &std::collections::BTreeMap<String, i64>,
) -> Result<(), StoreError> {
    let mut item = read_item(conn, key)?.unwrap_or_else(|| Item::new(key.clone()));
    for (name, delta) in deltas {
        let current = match item.attrs.get(name) {
            None => 0,
            Some(value) => value.as_i64().ok_or_else(|| {
                StoreError::Invalid(format!(
                    "ADD to the attribute {name}, which is not a number"
                ))
            })?,
        };
        item.attrs
            .insert(name.clone(), Value::from(current + delta));
    }
    write_item(conn, &item)
}

fn validate_ops(ops: &[WriteOp]) -> Result<(), StoreError> {
    if ops.is_empty() || ops.len() > MAX_TRANSACTION_OPS {
        return Err(StoreError::Invalid(format!(
            "a transaction holds 1 to {MAX_TRANSACTION_OPS} operations, not {}",
            ops.len()
        )));
    }
    let mut keys: Vec<&Key> = ops.iter().map(WriteOp::key).collect();
    keys.sort();
    if keys.windows(2).any(|w| w[0] == w[1]) {
        return Err(StoreError::Invalid(
            "a transaction may touch each key once".into(),
        ));
    }
    Ok(())
}

fn apply_transaction(conn: &mut Connection, ops: &[WriteOp]) -> Result<(), StoreError> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(backend)?;
    for (op_index, op) in ops.iter().enumerate() {
        let current = read_item(&tx, op.key())?;
        if !condition_holds(current.as_ref(), op.condition()) {
            return Err(StoreError::ConditionFailed { op_index });
        }
    }
    for op in ops {
        match op {
            WriteOp::Put { item, .. } => write_item(&tx, item)?,
            WriteOp::Delete { key, .. } => {
                tx.execute(
                    "DELETE FROM items WHERE pk = ?1 AND sk = ?2",
                    params![key.pk, key.sk],
                )
                .map_err(backend)?;
            }
            WriteOp::Check { .. } => {}
            WriteOp::Add { key, deltas } => add_to_item(&tx, key, deltas)?,
        }
    }
    tx.commit().map_err(backend)
}

/// The cursor is the last returned row's position in the queried order.
#[derive(serde::Serialize, serde::Deserialize)]
struct Cursor {
    isk: Option<String>,
    pk: String,
    sk: String,
}

fn encode_cursor(cursor: &Cursor) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(cursor).unwrap_or_default())
}

fn decode_cursor(text: &str) -> Result<Cursor, StoreError> {
    URL_SAFE_NO_PAD
        .decode(text)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(|| StoreError::Invalid("unreadable cursor".into()))
}

/// Escapes `%`, `_` and `\` for a `LIKE 'prefix%' ESCAPE '\'` pattern.
fn like_prefix(prefix: &str) -> String {
    let mut pattern = String::with_capacity(prefix.len() + 1);
    for c in prefix.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

fn run_query(conn: &Connection, query: &Query) -> Result<Page, StoreError> {
    let limit = query.limit.clamp(1, 1000);
    let (pk_col, sk_col) = match query.index {
        None => ("pk", "sk"),
        Some(index) => index.key_attributes(),
    };
    // The order is (index sort key, pk, sk): unique even when index keys repeat.
    let order = match query.index {
        None => "sk".to_owned(),
        Some(_) => format!("{sk_col}, pk, sk"),
    };
    let mut sql = format!("SELECT pk, sk, attrs, {sk_col} FROM items WHERE {pk_col} = ?1");
    let mut args: Vec<rusqlite::types::Value> = vec![query.partition.clone().into()];
    match &query.sort_key {
        SortKeyCondition::Any => {}
        SortKeyCondition::BeginsWith(prefix) => {
            args.push(like_prefix(prefix).into());
            sql.push_str(&format!(" AND {sk_col} LIKE ?{} ESCAPE '\\'", args.len()));
        }
        SortKeyCondition::AtMost(bound) => {
            args.push(bound.clone().into());
            sql.push_str(&format!(" AND {sk_col} <= ?{}", args.len()));
        }
    }
    if let Some(cursor) = query.cursor.as_deref().map(decode_cursor).transpose()? {
        match query.index {
            None => {
                args.push(cursor.sk.into());
                sql.push_str(&format!(" AND sk > ?{}", args.len()));
            }
            Some(_) => {
                let n = args.len();
                sql.push_str(&format!(
                    " AND ({sk_col}, pk, sk) > (?{}, ?{}, ?{})",
                    n + 1,
                    n + 2,
                    n + 3
                ));
                args.push(cursor.isk.unwrap_or_default().into());
                args.push(cursor.pk.into());
                args.push(cursor.sk.into());
            }
        }
    }
    // One row more than asked tells whether another page follows.
    sql.push_str(&format!(" ORDER BY {order} LIMIT {}", limit + 1));

    let mut stmt = conn.prepare_cached(&sql).map_err(backend)?;
    let rows = stmt
        .query_map(rusqlite::params_from_iter(args), |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<String>>(3)?,
            ))
        })
        .map_err(backend)?;
    let mut items = Vec::with_capacity(limit);
    let mut last = None;
    let mut more = false;
    for row in rows {
        let (pk, sk, attrs, isk) = row.map_err(backend)?;
        if items.len() == limit {
            more = true;
            break;
        }
        last = Some(Cursor {
            isk,
            pk: pk.clone(),
            sk: sk.clone(),
        });
        items.push(row_to_item(pk, sk, &attrs)?);
    }
    let cursor = if more {
        last.as_ref().map(encode_cursor)
    } else {
        None
    };
    Ok(Page { items, cursor })
}

#[async_trait]
impl Store for SqliteStore {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        let key = key.clone();
        self.with_conn(move |conn| read_item(conn, &key)).await
    }

    async fn get_many(&self, keys: &[Key]) -> Result<Vec<Item>, StoreError> {
        if keys.len() > 100 {
            return Err(StoreError::Invalid("at most 100 keys per batch".into()));
        }
        let keys = keys.to_vec();
        self.with_conn(move |conn| {
            let mut found = Vec::with_capacity(keys.len());
            for key in &keys {
                if let Some(item) = read_item(conn, key)? {
                    found.push(item);
                }
            }
            Ok(found)
        })
        .await
    }

    async fn query(&self, query: &Query) -> Result<Page, StoreError> {
        let query = query.clone();
        self.with_conn(move |conn| run_query(conn, &query)).await
    }

    async fn transact(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
        validate_ops(&ops)?;
        self.with_conn(move |conn| apply_transaction(conn, &ops))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_prefix_escapes_wildcards() {
        assert_eq!(like_prefix("A_B%C\\"), "A\\_B\\%C\\\\%");
    }

    #[tokio::test]
    async fn index_queries_use_the_index_not_a_scan() {
        let store = SqliteStore::in_memory().unwrap();
        let plan: String = store
            .with_conn(|conn| {
                conn.query_row(
                    "EXPLAIN QUERY PLAN SELECT pk FROM items WHERE gsi1pk = 'DUE' AND gsi1sk <= 'x' ORDER BY gsi1sk, pk, sk",
                    [],
                    |r| r.get::<_, String>(3),
                )
                .map_err(backend)
            })
            .await
            .unwrap();
        assert!(plan.contains("items_gsi1"), "plan: {plan}");
    }
}
