//! A login session: one item per token, in the candidate's partition, keyed
//! by the token's hash (the token itself is never stored).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::account::{SESSION_IDLE_PERIOD, SESSION_PERIOD, SESSION_SEEN_STEP};
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
    /// The last request seen with this session (to the minute: see
    /// [`SessionRecord::needs_seen_write`]); none stored means its creation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen_at: Option<DateTime<Utc>>,
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
            last_seen_at: Some(now),
        }
    }

    /// Whether the session still opens anything at `now`: before its
    /// absolute end, and used within the last [`SESSION_IDLE_PERIOD`].
    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        now < self.expires_at && now - self.seen_at() < SESSION_IDLE_PERIOD
    }

    /// Whether a request at `now` should write the new last-seen time: at
    /// most once per [`SESSION_SEEN_STEP`], so that reads do not each write.
    pub fn needs_seen_write(&self, now: DateTime<Utc>) -> bool {
        now - self.seen_at() >= SESSION_SEEN_STEP
    }

    fn seen_at(&self) -> DateTime<Utc> {
        self.last_seen_at.unwrap_or(self.created_at)
    }

    /// The write of this session (at `key`) seen at `now`, only if it still
    /// exists: a logout meanwhile stays a logout.
    pub fn seen(&self, key: &Key, now: DateTime<Utc>) -> AppResult<WriteOp> {
        let mut seen = self.clone();
        seen.last_seen_at = Some(now);
        let item = Item::from_value(key.clone(), &seen)?;
        Ok(WriteOp::put(item, Condition::Exists))
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

    #[test]
    fn a_session_ends_after_thirty_idle_minutes_or_twelve_hours() {
        let now: DateTime<Utc> = "2021-10-14T10:00:00Z".parse().unwrap();
        let minute = chrono::Duration::minutes(1);
        let mut session = SessionRecord::open("a1", now);
        assert!(session.is_live(now + minute * 29));
        assert!(!session.is_live(now + minute * 30));
        // Seen again: thirty more minutes, but never past the absolute end.
        assert!(!session.needs_seen_write(now + chrono::Duration::seconds(59)));
        assert!(session.needs_seen_write(now + minute));
        session.last_seen_at = Some(now + minute * 29);
        assert!(session.is_live(now + minute * 58));
        session.last_seen_at = Some(now + SESSION_PERIOD - minute);
        assert!(!session.is_live(now + SESSION_PERIOD));
        // A session stored before the idle timeout counts from its creation.
        session.last_seen_at = None;
        assert!(!session.is_live(now + minute * 30));
    }
}
