//! A dossier's history line, as stored (`CANDIDATE#<id>` /
//! `HISTORY#<session>#<instant>#<seq>`), append-only.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::transitions::HistoryLine;
use crate::ports::store::{Condition, Item, WriteOp};
use crate::ports::StoreError;
use crate::records::keys;

/// One line of an inscription's append-only history. Its actor and action
/// are stored as the strings of `domain::transitions::{Actor,
/// HistoryAction}`; they stay strings here so that any line ever stored reads back.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HistoryEntry {
    pub at: DateTime<Utc>,
    /// `candidate`, `system`, `console:<name>` (an admin at the console), or
    /// `console` (a console read that named no actor).
    pub actor: String,
    /// e.g. `created`, `updated`, `piece_received`, `piece_rejected`.
    pub action: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<String>,
    pub version: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl From<HistoryLine> for HistoryEntry {
    fn from(line: HistoryLine) -> Self {
        Self {
            at: line.at,
            actor: line.actor.recorded(),
            action: line.action.as_str().to_owned(),
            fields: line.fields,
            version: line.version,
            detail: line.detail,
        }
    }
}

/// How many later milliseconds a journal line tries when its instant is
/// taken (another line of the same revision in the same millisecond).
const JOURNAL_TRIES: i64 = 5;

/// Appends `entry` to the history of the inscription of `account_id` in
/// `session`, at revision `seq`, without touching the inscription: a read
/// journaled (`get`, a file viewed). Lines are append-only and keyed by
/// instant and revision; if that key is taken, the next millisecond is tried.
pub async fn journal(
    store: &dyn crate::ports::Store,
    account_id: &str,
    session: &str,
    seq: u64,
    mut entry: HistoryEntry,
) -> Result<HistoryEntry, StoreError> {
    for _ in 0..JOURNAL_TRIES {
        match store
            .transact(vec![entry.append_op(account_id, session, seq)?])
            .await
        {
            Ok(()) => return Ok(entry),
            Err(StoreError::ConditionFailed { .. } | StoreError::Conflict(_)) => {
                entry.at += chrono::Duration::milliseconds(1);
            }
            Err(e) => return Err(e),
        }
    }
    Err(StoreError::Conflict(
        "history journal: every instant tried is taken".into(),
    ))
}

impl HistoryEntry {
    /// The write of this line for the inscription of `account_id` in
    /// `session`, written at its revision `seq` (which breaks ties in time).
    pub fn append_op(
        &self,
        account_id: &str,
        session: &str,
        seq: u64,
    ) -> Result<WriteOp, StoreError> {
        let key = keys::history(account_id, session, self.at, seq);
        let item = Item::from_value(key, self)?.with("record_type", "history");
        Ok(WriteOp::put(item, Condition::NotExists))
    }
}

/// The tie-breaking sequences of lines that journal a read (see
/// [`append_read`]): above every revision a dossier reaches, drawn at random
/// so that two reads in the same millisecond do not collide.
const READ_SEQ: std::ops::Range<u64> = 50_000_000..100_000_000;

/// Appends `line`, which journals a read of the inscription of `account_id`
/// in `session` (an office's view of a file): the dossier itself does not
/// change, so it is one conditional Put beside it, not a write of the
/// record (its revision, which guards the candidate's saves, stays).
pub async fn append_read(
    store: &dyn crate::ports::Store,
    account_id: &str,
    session: &str,
    line: HistoryLine,
) -> Result<(), StoreError> {
    let entry = HistoryEntry::from(line);
    store
        .transact(vec![entry.read_op(account_id, session)?])
        .await
}

impl HistoryEntry {
    /// The write of this line as the journal of a read (no revision of the
    /// dossier moves): its sequence drawn from [`READ_SEQ`].
    pub fn read_op(&self, account_id: &str, session: &str) -> Result<WriteOp, StoreError> {
        self.append_op(account_id, session, rand::random_range(READ_SEQ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::transitions::{Actor, HistoryAction};

    #[test]
    fn a_typed_line_is_stored_with_todays_strings() {
        let at: DateTime<Utc> = "2021-10-26T10:00:00Z".parse().unwrap();
        let entry = HistoryEntry::from(HistoryLine {
            at,
            actor: Actor::Admin("Mme Durand (DIEC)".into()),
            action: HistoryAction::DeadlineExtended,
            fields: Vec::new(),
            version: 3,
            detail: None,
        });
        let op = entry.append_op("abc", "2022", 7).unwrap();
        let WriteOp::Put { item, condition } = op else {
            panic!("a put")
        };
        assert_eq!(condition, Condition::NotExists);
        assert_eq!(item.key.pk, "CANDIDATE#abc");
        assert_eq!(
            item.key.sk,
            "HISTORY#2022#2021-10-26T10:00:00.000Z#00000007"
        );
        assert_eq!(item.str_attr("actor"), Some("console:Mme Durand (DIEC)"));
        assert_eq!(item.str_attr("action"), Some("deadline_extended"));
        assert_eq!(item.str_attr("record_type"), Some("history"));
        assert!(!item.attrs.contains_key("fields"));
    }
}
