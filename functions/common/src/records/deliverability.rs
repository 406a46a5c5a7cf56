//! The mark of an undeliverable address (`EMAIL#<address>` /
//! `UNDELIVERABLE`, see `domain::mail_events` for what sets it): one item per
//! canonical address, whether or not an account has it, so that a mark
//! outlives an account deleted unactivated and a new signup with the same
//! address. The latest report wins; SNS redelivering one writes the same.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::mail_events::{canonical_address, Mark, MarkCause};
use crate::error::AppResult;
use crate::ports::store::{Condition, Item, Key, Store, WriteOp};
use crate::records::keys;

/// An address's mark, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Undeliverable {
    pub record_type: String,
    /// The canonical address.
    pub address: String,
    pub cause: MarkCause,
    /// SES's words (bounce sub-type and diagnostic, complaint type).
    pub detail: String,
    /// When the receiving side reported it.
    pub reported_at: DateTime<Utc>,
    /// When we recorded it.
    pub marked_at: DateTime<Utc>,
}

impl Undeliverable {
    pub fn new(mark: Mark, now: DateTime<Utc>) -> Self {
        Self {
            record_type: "undeliverable".into(),
            address: mark.address,
            cause: mark.cause,
            detail: mark.detail,
            reported_at: mark.reported_at,
            marked_at: now,
        }
    }

    /// The write that stores the mark (replacing an older one).
    pub fn put_op(&self) -> AppResult<WriteOp> {
        let item = Item::from_value(keys::undeliverable(&self.address), self)?;
        Ok(WriteOp::put(item, Condition::Always))
    }
}

/// The mark of `address` (written in any case: it is canonicalised), if any.
pub async fn read(store: &dyn Store, address: &str) -> AppResult<Option<Undeliverable>> {
    let Some(canonical) = canonical_address(address) else {
        return Ok(None);
    };
    match store.get(&keys::undeliverable(&canonical)).await? {
        Some(item) => Ok(Some(item.to_value()?)),
        None => Ok(None),
    }
}

/// The marks of the addresses of `addresses` that have one, by canonical
/// address: one `get_many` per hundred addresses (so that the mail queue
/// reads a page's marks in one round trip, not one per mail).
pub async fn marks(
    store: &dyn Store,
    addresses: &[&str],
) -> AppResult<HashMap<String, Undeliverable>> {
    let mut keys: Vec<Key> = addresses
        .iter()
        .filter_map(|a| canonical_address(a))
        .map(|canonical| keys::undeliverable(&canonical))
        .collect();
    keys.sort_by(|a, b| a.pk.cmp(&b.pk));
    keys.dedup();
    let mut found = HashMap::new();
    for chunk in keys.chunks(100) {
        for item in store.get_many(chunk).await? {
            let mark: Undeliverable = item.to_value()?;
            found.insert(mark.address.clone(), mark);
        }
    }
    Ok(found)
}

/// The mark of `address` in `marks` (as [`marks`] answers them).
pub fn mark_of<'m>(
    marks: &'m HashMap<String, Undeliverable>,
    address: &str,
) -> Option<&'m Undeliverable> {
    canonical_address(address).and_then(|canonical| marks.get(&canonical))
}

/// Whether mail to `address` may be sent (no mark).
pub async fn is_deliverable(store: &dyn Store, address: &str) -> AppResult<bool> {
    Ok(read(store, address).await?.is_none())
}

/// The write that lifts the mark of `canonical_email` (nothing if there is
/// none), in the transaction of a change that proves the address works: the
/// candidate used a link we emailed to it, so it receives our mail and they
/// want it.
pub fn forget(canonical_email: &str) -> WriteOp {
    WriteOp::delete(keys::undeliverable(canonical_email))
}
