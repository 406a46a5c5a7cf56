//! The login guard of an address (see [`LoginGuard`]): one item per address,
//! account or not, under an optimistic lock.

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use crate::domain::account::{LoginGuard, LOCKOUT_PERIOD, LOCKOUT_WINDOW};
use crate::error::AppResult;
use crate::ports::store::{Condition, Item, Store, WriteOp, TTL_ATTRIBUTE};
use crate::ports::Key;
use crate::records::keys;
use crate::records::retry::if_unchanged;

/// A login guard as read, with what its replacement must be conditioned on.
#[derive(Debug, Clone)]
pub struct StoredGuard {
    key: Key,
    /// `None` when the address has no guard stored.
    version: Option<u64>,
    pub guard: LoginGuard,
}

impl StoredGuard {
    /// The write that stores `changed` in place of the guard read (deleting
    /// the item when nothing is left to remember); `None` if nothing changed.
    pub fn replace_with(
        &self,
        changed: &LoginGuard,
        now: DateTime<Utc>,
    ) -> AppResult<Option<WriteOp>> {
        if *changed == self.guard {
            return Ok(None);
        }
        let condition = if_unchanged(self.version);
        if changed.is_clear() {
            return Ok(Some(WriteOp::Delete {
                key: self.key.clone(),
                condition,
            }));
        }
        let mut item = Item::from_value(self.key.clone(), changed)?
            .with("record_type", "login_guard")
            .with("version", self.version.unwrap_or(0) + 1);
        // Nothing in it counts any more by then.
        let forget_at = now + LOCKOUT_WINDOW + LOCKOUT_PERIOD;
        item.attrs
            .insert(TTL_ATTRIBUTE.into(), json!(forget_at.timestamp()));
        Ok(Some(WriteOp::put(item, condition)))
    }
}

/// The guard of the address `canonical_email` (an empty one if none is stored).
pub async fn read(store: &dyn Store, canonical_email: &str) -> AppResult<StoredGuard> {
    let key = keys::login_guard(canonical_email);
    let stored = match store.get(&key).await? {
        Some(item) => StoredGuard {
            guard: item.to_value::<LoginGuard>()?,
            version: Some(
                item.attrs
                    .get("version")
                    .and_then(Value::as_u64)
                    .unwrap_or(0),
            ),
            key,
        },
        None => StoredGuard {
            key,
            version: None,
            guard: LoginGuard::default(),
        },
    };
    Ok(stored)
}

/// The write that forgets an address's failed logins and lockout.
pub fn forget(canonical_email: &str) -> WriteOp {
    WriteOp::Delete {
        key: keys::login_guard(canonical_email),
        condition: Condition::Always,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn none_stored() -> StoredGuard {
        StoredGuard {
            key: keys::login_guard("a@b.fr"),
            version: None,
            guard: LoginGuard::default(),
        }
    }

    #[test]
    fn an_unchanged_guard_writes_nothing_and_a_clear_one_is_deleted() {
        let now = at("2021-10-14T10:00:00Z");
        let stored = none_stored();
        assert_eq!(
            stored.replace_with(&LoginGuard::default(), now).unwrap(),
            None
        );

        let mut admitted = LoginGuard::default();
        admitted.admit("x", now).unwrap();
        let Some(WriteOp::Put { item, condition }) = stored.replace_with(&admitted, now).unwrap()
        else {
            panic!("a put");
        };
        assert_eq!(condition, Condition::NotExists);
        assert_eq!(item.attrs["version"], json!(1));
        assert_eq!(
            item.attrs[TTL_ATTRIBUTE],
            json!((now + LOCKOUT_WINDOW + LOCKOUT_PERIOD).timestamp())
        );

        let read_back = StoredGuard {
            version: Some(1),
            guard: admitted.clone(),
            ..none_stored()
        };
        let mut settled = admitted;
        settled.succeed("x", now);
        let Some(WriteOp::Delete { condition, .. }) =
            read_back.replace_with(&settled, now).unwrap()
        else {
            panic!("a delete");
        };
        assert_eq!(condition, if_unchanged(Some(1)));
    }
}
