//! A login session: one item per token, in the candidate's partition, keyed
//! by the token's hash (the token itself is never stored).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::account::SESSION_PERIOD;
use crate::error::AppResult;
use crate::ports::store::{Condition, Item, Store, WriteOp};
use crate::ports::Key;
use crate::records::candidate::partition_keys;
use crate::records::keys;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SessionRecord {
    pub record_type: String,
    pub account_id: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub expires_at_epoch: i64,
}

impl SessionRecord {
    /// A session opened at `now`, for [`SESSION_PERIOD`].
    pub fn open(account_id: &str, now: DateTime<Utc>) -> Self {
        let expires_at = now + SESSION_PERIOD;
        Self {
            record_type: "session".into(),
            account_id: account_id.to_owned(),
            created_at: now,
            expires_at,
            expires_at_epoch: expires_at.timestamp(),
        }
    }

    /// The write that creates the session of the token hashed `token_hash`.
    pub fn create(&self, token_hash: &str) -> AppResult<WriteOp> {
        let item = Item::from_value(keys::session(&self.account_id, token_hash), self)?;
        Ok(WriteOp::put(item, Condition::NotExists))
    }
}

/// The token hash a session's key holds.
pub fn token_hash_of(session_key: &Key) -> &str {
    session_key.sk.trim_start_matches(keys::SESSION_PREFIX)
}

/// The keys of every session of an account.
pub async fn session_keys(store: &dyn Store, account_id: &str) -> AppResult<Vec<Key>> {
    partition_keys(store, account_id, keys::SESSION_PREFIX).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_lasts_its_period_and_is_keyed_by_its_token_hash() {
        let now: DateTime<Utc> = "2021-10-14T10:00:00Z".parse().unwrap();
        let session = SessionRecord::open("a1", now);
        assert_eq!(session.expires_at, now + SESSION_PERIOD);
        assert_eq!(session.expires_at_epoch, session.expires_at.timestamp());
        let write = session.create("hash").unwrap();
        assert_eq!(write.key(), &keys::session("a1", "hash"));
        assert_eq!(write.condition(), &Condition::NotExists);
        assert_eq!(token_hash_of(write.key()), "hash");
    }
}
