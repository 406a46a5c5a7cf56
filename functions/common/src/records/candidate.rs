//! The candidate's partition as a whole: everything about one candidate
//! shares `CANDIDATE#<id>`.

use crate::error::AppResult;
use crate::ports::store::{Query, SortKeyCondition, Store, WriteOp, MAX_TRANSACTION_OPS};
use crate::ports::Key;
use crate::records::keys;

/// Every key of the candidate's partition whose sort key starts with `prefix`.
pub async fn partition_keys(
    store: &dyn Store,
    account_id: &str,
    prefix: &str,
) -> AppResult<Vec<Key>> {
    let mut found = Vec::new();
    let mut cursor = None;
    loop {
        // DynamoDB refuses an empty `begins_with`: no prefix is no condition.
        let sort_key = if prefix.is_empty() {
            SortKeyCondition::Any
        } else {
            SortKeyCondition::BeginsWith(prefix.to_owned())
        };
        let query = Query::table(keys::candidate_pk(account_id), sort_key)
            .limit(500)
            .after(cursor);
        let page = store.query(&query).await?;
        found.extend(page.items.into_iter().map(|i| i.key));
        cursor = page.cursor;
        if cursor.is_none() {
            return Ok(found);
        }
    }
}

/// Deletes `keys`, as many to a transaction as the store allows.
pub async fn delete_all(store: &dyn Store, keys: &[Key]) -> AppResult<()> {
    for chunk in keys.chunks(MAX_TRANSACTION_OPS) {
        store
            .transact(chunk.iter().cloned().map(WriteOp::delete).collect())
            .await?;
    }
    Ok(())
}

/// Deletes every item of a candidate's partition (and nothing else). Used
/// when an unactivated account is removed; the documents go with a prefix.
pub async fn delete_candidate_data(store: &dyn Store, account_id: &str) -> AppResult<()> {
    let keys = partition_keys(store, account_id, "").await?;
    delete_all(store, &keys).await
}
