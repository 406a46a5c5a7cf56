//! The office's journal of bulk reads: one line per `list` page or
//! `failed_mails` read, under `READS#<session>` sorted by instant (see
//! [`keys::read_journal`]), with who read, what they asked for and how many
//! rows they saw.
//!
//! A read of one dossier (`get`, a file viewed, a `search` hit) is journaled
//! in that candidate's own history (`records::history::journal`); a read that
//! shows many dossiers at once is journaled here, once, as an export is
//! (`EXPORTS#<session>`). Its lines name no candidate, so they hold no
//! personal data of theirs and outlive the session's purge: they say who
//! looked at which listing, when.

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use crate::domain::transitions::Actor;
use crate::ports::store::{Condition, Item, WriteOp};
use crate::ports::{Store, StoreError};
use crate::records::keys;

/// The `record_type` of a line.
pub const RECORD_TYPE: &str = "read_journal";

/// One bulk read, as journaled.
pub struct BulkRead<'a> {
    /// The session read.
    pub session: &'a str,
    /// Who read: `console:<name>`, `console` or `staff:<email>` once recorded.
    pub actor: &'a Actor,
    /// The admin action (`list`, `failed_mails`).
    pub action: &'static str,
    /// The filters the reader gave, as JSON (no candidate's data).
    pub filters: Value,
    /// How many rows the answer showed.
    pub rows: usize,
}

/// Writes one journal line for `read` at `at`. The line's key carries a
/// random id, so two reads in the same millisecond never collide.
pub async fn journal(
    store: &dyn Store,
    read: BulkRead<'_>,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let item = Item::from_value(
        keys::read_journal(read.session, at, &id),
        &json!({
            "record_type": RECORD_TYPE,
            "at": keys::sortable(at),
            "actor": read.actor.recorded(),
            "action": read.action,
            "filters": read.filters,
            "rows": read.rows,
        }),
    )?;
    store
        .transact(vec![WriteOp::put(item, Condition::NotExists)])
        .await
}
