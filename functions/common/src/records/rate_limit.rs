//! Per-address hourly counters of the forms that send an email (signup,
//! new activation link, password reset), so that nobody can flood a
//! mailbox through them.

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use crate::error::AppResult;
use crate::ports::store::{Item, Store, WriteOp, TTL_ATTRIBUTE};
use crate::ports::Key;
use crate::records::keys;
use crate::records::retry::if_unchanged;

/// Which form a counter limits (each has its own allowance).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateKind {
    /// A signup for an address that has an account.
    Signup,
    /// « Renvoyer le lien d'activation ».
    Resend,
    /// « Mot de passe oublié ».
    Reset,
    /// « Recevoir un lien de connexion par e-mail ».
    LoginLink,
}

impl RateKind {
    /// Every kind: what a purge deletes with the address.
    pub const ALL: [RateKind; 4] = [
        RateKind::Signup,
        RateKind::Resend,
        RateKind::Reset,
        RateKind::LoginLink,
    ];

    /// As it appears in the counter's key (`RATE#<kind>#<address>`).
    pub fn as_str(self) -> &'static str {
        match self {
            RateKind::Signup => "signup",
            RateKind::Resend => "resend",
            RateKind::Reset => "reset",
            RateKind::LoginLink => "login_link",
        }
    }
}

/// A counter as read: the sends it remembers, and what its replacement must
/// be conditioned on.
#[derive(Debug, Clone)]
pub struct RateCounter {
    key: Key,
    /// `None` when no counter is stored.
    version: Option<u64>,
    pub sent_at: Vec<DateTime<Utc>>,
}

impl RateCounter {
    /// The write that replaces the counter read with `sent_at`.
    pub fn replace_with(&self, sent_at: &[DateTime<Utc>], now: DateTime<Utc>) -> WriteOp {
        let item = Item::new(self.key.clone())
            .with("record_type", "rate_limit")
            .with("sent_at", json!(sent_at))
            .with("version", self.version.unwrap_or(0) + 1)
            // An hour's sends are all that counts; the item may go after.
            .with(
                TTL_ATTRIBUTE,
                (now + chrono::Duration::hours(2)).timestamp(),
            );
        WriteOp::put(item, if_unchanged(self.version))
    }
}

/// The `kind` counter of `canonical_email`: an address, or `source:<ip>`
/// for a client's (empty if none is stored).
pub async fn read(
    store: &dyn Store,
    kind: RateKind,
    canonical_email: &str,
) -> AppResult<RateCounter> {
    let key = keys::rate(kind.as_str(), canonical_email);
    let counter = match store.get(&key).await? {
        Some(item) => RateCounter {
            sent_at: item
                .attrs
                .get("sent_at")
                .cloned()
                .and_then(|v| serde_json::from_value(v).ok())
                .unwrap_or_default(),
            version: Some(
                item.attrs
                    .get("version")
                    .and_then(Value::as_u64)
                    .unwrap_or(0),
            ),
            key,
        },
        None => RateCounter {
            key,
            version: None,
            sent_at: Vec::new(),
        },
    };
    Ok(counter)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::store::Condition;

    #[test]
    fn a_counter_is_written_under_its_lock_with_a_ttl() {
        let now: DateTime<Utc> = "2021-10-14T10:00:00Z".parse().unwrap();
        let counter = RateCounter {
            key: keys::rate(RateKind::Resend.as_str(), "a@b.fr"),
            version: Some(2),
            sent_at: Vec::new(),
        };
        let WriteOp::Put { item, condition } = counter.replace_with(&[now], now) else {
            panic!("a put");
        };
        assert_eq!(item.key.pk, "RATE#resend#a@b.fr");
        assert_eq!(
            condition,
            Condition::AttributeEquals("version".into(), json!(2))
        );
        assert_eq!(item.attrs["version"], json!(3));
        assert_eq!(item.attrs["sent_at"], json!([now]));
        assert_eq!(
            item.attrs[TTL_ATTRIBUTE],
            json!((now + chrono::Duration::hours(2)).timestamp())
        );
    }
}
