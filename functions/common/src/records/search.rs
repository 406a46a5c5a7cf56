//! The office's search index: one small item per name key and per birth date
//! of a dossier, in the candidate's partition (`SEARCH#<session>#N#<name>`,
//! `SEARCH#<session>#B#<date>`), indexed on gsi2 under
//! `SEARCH#<session>#<shard>` with the sort key `<N|B>#<value>#<account>`.
//!
//! Every save writes it (in the dossier's transaction, only the entries that
//! changed), so its index partition is sharded by candidate from the start
//! ([`SHARDS`]) and a search fans out over the shards: a few queries, each
//! reading only what matches. It rides on gsi2 (the listing's index) with
//! partitions of its own: no new global secondary index to roll out.

use std::collections::BTreeSet;

use serde_json::json;

use crate::app::App;
use crate::domain::record::InscriptionRecord;
use crate::domain::search::{fold, name_keys};
use crate::error::AppResult;
use crate::ports::store::{
    Condition, Index, Item, Query, SortKeyCondition, WriteOp, GSI2_PK, GSI2_SK,
};
use crate::ports::Key;
use crate::records::keys;
use crate::records::shards::shard_of;

/// The index partitions a session's search entries spread over.
pub const SHARDS: u32 = 8;

/// What an entry is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Field {
    /// A name key (`domain::search::name_keys`).
    Name,
    /// The birth date, `YYYY-MM-DD`.
    BirthDate,
}

impl Field {
    fn tag(self) -> &'static str {
        match self {
            Field::Name => "N",
            Field::BirthDate => "B",
        }
    }
}

/// The entries of `record`: none for a dossier stored before the index
/// existed (it has no candidate number yet), so that its first write adds
/// them all and removes none.
fn entries(record: &InscriptionRecord) -> BTreeSet<(Field, String)> {
    if record.candidate_number.is_none() {
        return BTreeSet::new();
    }
    let identity = &record.data.identity;
    name_keys(&identity.last_name, &identity.first_names)
        .into_iter()
        .map(|key| (Field::Name, key))
        .chain([(Field::BirthDate, identity.birth_date.to_string())])
        .collect()
}

fn entry_key(record: &InscriptionRecord, field: Field, value: &str) -> Key {
    Key::new(
        keys::candidate_pk(&record.account_id),
        format!("SEARCH#{}#{}#{value}", record.session, field.tag()),
    )
}

fn partition(session: &str, shard: u32) -> String {
    format!("SEARCH#{session}#{shard}")
}

/// The writes that bring the index from `before` to `after`: the entries
/// added and those gone (a save that keeps the names writes none).
pub fn ops(before: Option<&InscriptionRecord>, after: &InscriptionRecord) -> Vec<WriteOp> {
    let old = before.map(entries).unwrap_or_default();
    let new = entries(after);
    let shard = shard_of(&after.account_id, SHARDS);
    let added = new.difference(&old).map(|(field, value)| {
        let item = Item::new(entry_key(after, *field, value))
            .with("record_type", "search_entry")
            .with("account_id", json!(after.account_id))
            .with(GSI2_PK, partition(&after.session, shard))
            .with(
                GSI2_SK,
                format!("{}#{value}#{}", field.tag(), after.account_id),
            );
        WriteOp::put(item, Condition::Always)
    });
    let removed = old
        .difference(&new)
        .map(|(field, value)| WriteOp::delete(entry_key(after, *field, value)));
    added.chain(removed).collect()
}

/// What a search asks of the index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// Name keys starting with this (folded here).
    NamePrefix(String),
    BirthDate(chrono::NaiveDate),
}

/// The accounts whose entries match `lookup` in `session`, at most `cap`
/// (`true` with them when there were more): one query per shard, paged.
pub async fn find(
    app: &App,
    session: &str,
    lookup: &Lookup,
    cap: usize,
) -> AppResult<(BTreeSet<String>, bool)> {
    let prefix = match lookup {
        Lookup::NamePrefix(prefix) => format!("{}#{}", Field::Name.tag(), fold(prefix)),
        Lookup::BirthDate(date) => format!("{}#{date}#", Field::BirthDate.tag()),
    };
    let mut found = BTreeSet::new();
    for shard in 0..SHARDS {
        let mut cursor = None;
        loop {
            let query = Query::index(
                Index::Gsi2,
                partition(session, shard),
                SortKeyCondition::BeginsWith(prefix.clone()),
            )
            .limit(cap + 1)
            .after(cursor);
            let page = app.store.query(&query).await?;
            found.extend(
                page.items
                    .iter()
                    .filter_map(|item| item.str_attr("account_id").map(str::to_owned)),
            );
            if found.len() > cap {
                let kept = found.into_iter().take(cap).collect();
                return Ok((kept, true));
            }
            cursor = page.cursor;
            if cursor.is_none() {
                break;
            }
        }
    }
    Ok((found, false))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::transitions::fixtures;

    fn keys_of(ops: &[WriteOp]) -> Vec<(String, &'static str)> {
        ops.iter()
            .map(|op| match op {
                WriteOp::Put { item, .. } => (item.key.sk.clone(), "put"),
                WriteOp::Delete { key, .. } => (key.sk.clone(), "delete"),
                other => panic!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn a_save_writes_only_the_entries_that_changed() {
        let mut record = fixtures::record("2021-10-26T08:00:00Z".parse().unwrap());
        record.candidate_number = Some("K7M2-9QXP".into());
        record.data.identity.last_name = "Lefèvre".into();
        record.data.identity.first_names = "Zoé".into();
        let created = ops(None, &record);
        let mut sks: Vec<_> = keys_of(&created).into_iter().map(|(sk, _)| sk).collect();
        sks.sort();
        let birth = record.data.identity.birth_date;
        assert_eq!(
            sks,
            [
                format!("SEARCH#2022#B#{birth}"),
                "SEARCH#2022#N#lefevre".to_owned(),
                "SEARCH#2022#N#zoe".to_owned(),
            ]
        );
        let WriteOp::Put { item, .. } = &created[1] else {
            panic!()
        };
        let shard = shard_of(&record.account_id, SHARDS);
        assert_eq!(
            item.str_attr(GSI2_PK),
            Some(format!("SEARCH#2022#{shard}").as_str())
        );

        assert!(ops(Some(&record), &record).is_empty());
        let mut renamed = record.clone();
        renamed.data.identity.last_name = "Abadie".into();
        assert_eq!(
            keys_of(&ops(Some(&record), &renamed)),
            [
                ("SEARCH#2022#N#abadie".to_owned(), "put"),
                ("SEARCH#2022#N#lefevre".to_owned(), "delete"),
            ]
        );
    }
}
