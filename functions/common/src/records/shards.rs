//! Spreading the items every save writes over several partitions (GUIDE:
//! « an index partition that every save writes is a national hot spot »):
//! a candidate always lands on the same shard, candidates spread evenly.
//!
//! Three index partitions are sharded this way (`records::keys`): the
//! sweep's due inscriptions and due uploads (gsi1) and the office's listing
//! (gsi2), `<base>#<shard>` for [`SHARDS`] shards. A write names its shard
//! from the account id (never a lookup, so a save stays one transaction);
//! a reader fans out over [`partitions`]: every shard, then the unsharded
//! `<base>` where a deployment's items written before sharding still are
//! until their next write moves them (one empty query a reading). [`FanOut`]
//! reads them page by page in parallel, in no particular order (the sweep,
//! the purge); [`Merge`] merges them back into the index's order (the
//! office's listing), each with an opaque cursor of per-partition positions.

use std::collections::VecDeque;
use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::{Deserialize, Serialize};

use crate::ports::store::{Item, Page, Query, Store};
use crate::ports::StoreError;

/// The shards of the due-work and listing partitions: the search index's
/// count (`records::search::SHARDS`), 8 × ~1,000 writes a second per
/// partition, for a peak of 10,000 saves a minute (~170 a second, each
/// writing each partition at most twice: see docs/deploy.md).
pub const SHARDS: u32 = 8;

/// The partition of `base` that `account_id`'s items go to.
pub fn partition_of(base: &str, account_id: &str) -> String {
    format!("{base}#{}", shard_of(account_id, SHARDS))
}

/// Every partition a reading of `base` fans out over: the shards, then
/// `base` itself (items written before sharding).
pub fn partitions(base: &str) -> Vec<String> {
    (0..SHARDS)
        .map(|shard| format!("{base}#{shard}"))
        .chain([base.to_owned()])
        .collect()
}

/// The shard of `account_id` among `shards` (FNV-1a: stable across builds
/// and machines, unlike the standard library's hasher).
pub fn shard_of(account_id: &str, shards: u32) -> u32 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in account_id.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    (hash % u64::from(shards.max(1))) as u32
}

/// Where one partition's reading stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
enum Part {
    /// Not read yet.
    #[serde(rename = "s")]
    Start,
    /// Its next page starts after this store cursor.
    #[serde(rename = "c")]
    From(String),
    /// Read to its end.
    #[serde(rename = "d")]
    Done,
}

impl Part {
    fn cursor(&self) -> Option<String> {
        match self {
            Part::From(cursor) => Some(cursor.clone()),
            Part::Start | Part::Done => None,
        }
    }
}

/// The index position of an item: its index sort key, then its table key
/// (the order SQLite emulates and DynamoDB keeps, unique within an index).
type Position = (String, String, String);

fn position_of(item: &Item, sort_key_attribute: &str) -> Position {
    (
        item.str_attr(sort_key_attribute)
            .unwrap_or_default()
            .to_owned(),
        item.key.pk.clone(),
        item.key.sk.clone(),
    )
}

/// Puts items read from several partitions of one index back in the
/// order one partition would have given (by `sort_key_attribute`, then the
/// table key): a fanned-out page is handled the same way whatever the
/// shards its items came from.
pub fn in_index_order(items: &mut [Item], sort_key_attribute: &str) {
    items.sort_by_cached_key(|item| position_of(item, sort_key_attribute));
}

/// The opaque cursor of a fanned-out reading: base64url of JSON, checked
/// on the way back in as the store checks its own.
#[derive(Serialize, Deserialize)]
struct Compound {
    #[serde(rename = "p")]
    parts: Vec<Part>,
    /// The last item a merge handed out.
    #[serde(rename = "a", default, skip_serializing_if = "Option::is_none")]
    after: Option<Position>,
}

fn encode(compound: &Compound) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(compound).unwrap_or_default())
}

fn decode(cursor: Option<&str>, partitions: usize) -> Result<Compound, StoreError> {
    let Some(text) = cursor else {
        return Ok(Compound {
            parts: vec![Part::Start; partitions],
            after: None,
        });
    };
    URL_SAFE_NO_PAD
        .decode(text)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<Compound>(&bytes).ok())
        .filter(|compound| compound.parts.len() == partitions)
        .ok_or_else(|| StoreError::Invalid("unreadable cursor".into()))
}

/// One page of each query, all at once.
async fn pages(store: &Arc<dyn Store>, queries: Vec<Query>) -> Result<Vec<Page>, StoreError> {
    let mut tasks = tokio::task::JoinSet::new();
    for (index, query) in queries.into_iter().enumerate() {
        let store = Arc::clone(store);
        tasks.spawn(async move { (index, store.query(&query).await) });
    }
    let mut pages: Vec<Option<Page>> = Vec::new();
    pages.resize_with(tasks.len(), || None);
    while let Some(joined) = tasks.join_next().await {
        let (index, page) = joined.map_err(|e| StoreError::Unavailable(e.to_string()))?;
        pages[index] = Some(page?);
    }
    Ok(pages.into_iter().flatten().collect())
}

/// A reading of several partitions, `width` of them at a time, a page of
/// each at once, in no particular order across partitions.
pub struct FanOut {
    queries: Vec<Query>,
    parts: Vec<Part>,
    width: usize,
}

impl FanOut {
    /// `queries` (one a partition, their page size set), all at once,
    /// from their start.
    pub fn new(queries: Vec<Query>) -> Self {
        let width = queries.len();
        FanOut {
            parts: vec![Part::Start; queries.len()],
            queries,
            width,
        }
    }

    /// `queries` (one a partition, their page size set) from `cursor` (a
    /// [`FanOut::cursor`] of the same partitions).
    pub fn resume(
        queries: Vec<Query>,
        cursor: Option<&str>,
        width: usize,
    ) -> Result<Self, StoreError> {
        let parts = decode(cursor, queries.len())?.parts;
        Ok(FanOut {
            queries,
            parts,
            width: width.max(1),
        })
    }

    /// The next page of up to `width` partitions not read to their end,
    /// concatenated: `None` once every partition is read.
    pub async fn next_pages(
        &mut self,
        store: &Arc<dyn Store>,
    ) -> Result<Option<Vec<Item>>, StoreError> {
        let open: Vec<usize> = (0..self.parts.len())
            .filter(|&i| self.parts[i] != Part::Done)
            .take(self.width)
            .collect();
        if open.is_empty() {
            return Ok(None);
        }
        let queries = open
            .iter()
            .map(|&i| self.queries[i].clone().after(self.parts[i].cursor()))
            .collect();
        let mut items = Vec::new();
        for (i, page) in open.into_iter().zip(pages(store, queries).await?) {
            self.parts[i] = page.cursor.map_or(Part::Done, Part::From);
            items.extend(page.items);
        }
        Ok(Some(items))
    }

    /// Where the reading stands, after the pages handed out: `None` once
    /// every partition is read.
    pub fn cursor(&self) -> Option<String> {
        self.parts.iter().any(|p| *p != Part::Done).then(|| {
            encode(&Compound {
                parts: self.parts.clone(),
                after: None,
            })
        })
    }
}

/// One partition of a [`Merge`]: the page being merged, where it started
/// and where the next one starts.
struct Source {
    query: Query,
    from: Part,
    next: Part,
    buffer: VecDeque<(Position, Item)>,
}

/// A reading of several partitions of one index, merged into the index's
/// order (its sort key, then the table key), as if they were one partition.
pub struct Merge {
    sources: Vec<Source>,
    sort_key_attribute: &'static str,
    after: Option<Position>,
    rounds: usize,
    max_rounds: usize,
}

impl Merge {
    /// `queries` (one a partition of the index whose sort key attribute is
    /// `sort_key_attribute`) from `cursor` (a [`Merge::cursor`] of the same
    /// partitions), reading at most `max_rounds` pages of each.
    pub fn resume(
        queries: Vec<Query>,
        sort_key_attribute: &'static str,
        cursor: Option<&str>,
        max_rounds: usize,
    ) -> Result<Self, StoreError> {
        let Compound { parts, after } = decode(cursor, queries.len())?;
        let sources = queries
            .into_iter()
            .zip(parts)
            .map(|(query, part)| Source {
                query,
                from: part.clone(),
                next: part,
                buffer: VecDeque::new(),
            })
            .collect();
        Ok(Merge {
            sources,
            sort_key_attribute,
            after,
            rounds: 0,
            max_rounds,
        })
    }

    /// The next item in the index's order, reading pages of `page_size`
    /// items per partition as needed (all that need one at once): `None`
    /// at the end, or when the rounds are spent (then [`Merge::cursor`]
    /// resumes).
    pub async fn next(
        &mut self,
        store: &Arc<dyn Store>,
        page_size: usize,
    ) -> Result<Option<Item>, StoreError> {
        loop {
            let empty: Vec<usize> = (0..self.sources.len())
                .filter(|&i| {
                    self.sources[i].buffer.is_empty() && self.sources[i].next != Part::Done
                })
                .collect();
            if empty.is_empty() {
                break;
            }
            if self.rounds >= self.max_rounds {
                return Ok(None);
            }
            self.rounds += 1;
            let queries = empty
                .iter()
                .map(|&i| {
                    let source = &self.sources[i];
                    source
                        .query
                        .clone()
                        .limit(page_size.max(1))
                        .after(source.next.cursor())
                })
                .collect();
            for (i, page) in empty.into_iter().zip(pages(store, queries).await?) {
                let attribute = self.sort_key_attribute;
                let after = self.after.as_ref();
                let source = &mut self.sources[i];
                source.from =
                    std::mem::replace(&mut source.next, page.cursor.map_or(Part::Done, Part::From));
                // A resumed page starts where the partition's last page
                // did: what was handed out already is skipped.
                source.buffer = page
                    .items
                    .into_iter()
                    .map(|item| (position_of(&item, attribute), item))
                    .filter(|(position, _)| after.is_none_or(|after| position > after))
                    .collect();
            }
        }
        let first = self
            .sources
            .iter_mut()
            .filter(|source| !source.buffer.is_empty())
            .min_by(|a, b| a.buffer[0].0.cmp(&b.buffer[0].0));
        Ok(first
            .and_then(|source| source.buffer.pop_front())
            .map(|(position, item)| {
                self.after = Some(position);
                item
            }))
    }

    /// Where the merge stands, after the items handed out: `None` once
    /// every partition is read and handed out.
    pub fn cursor(&self) -> Option<String> {
        let parts: Vec<Part> = self
            .sources
            .iter()
            .map(|source| {
                if source.buffer.is_empty() {
                    source.next.clone()
                } else {
                    source.from.clone()
                }
            })
            .collect();
        parts.iter().any(|p| *p != Part::Done).then(|| {
            encode(&Compound {
                parts,
                after: self.after.clone(),
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_always_lands_in_one_of_the_partitions_read() {
        let all = partitions("DUE#INSCRIPTION#2022");
        assert_eq!(all.len(), SHARDS as usize + 1);
        assert_eq!(all.last().unwrap(), "DUE#INSCRIPTION#2022");
        for i in 0..50 {
            let account = format!("account-{i}");
            let mine = partition_of("DUE#INSCRIPTION#2022", &account);
            assert_eq!(mine, partition_of("DUE#INSCRIPTION#2022", &account));
            assert!(all[..SHARDS as usize].contains(&mine), "{mine}");
        }
    }

    #[test]
    fn a_cursor_is_checked_on_the_way_back() {
        let cursor = encode(&Compound {
            parts: vec![Part::Start, Part::From("abc".into()), Part::Done],
            after: Some(("a".into(), "b".into(), "c".into())),
        });
        let back = decode(Some(&cursor), 3).unwrap();
        assert_eq!(back.parts[1], Part::From("abc".into()));
        assert!(matches!(
            decode(Some(&cursor), 9),
            Err(StoreError::Invalid(_))
        ));
        assert!(matches!(
            decode(Some("%%%"), 3),
            Err(StoreError::Invalid(_))
        ));
        let not_ours = URL_SAFE_NO_PAD.encode(br#"{"pk":"x","sk":"y"}"#);
        assert!(matches!(
            decode(Some(&not_ours), 3),
            Err(StoreError::Invalid(_))
        ));
    }

    #[test]
    fn shards_are_stable_and_spread() {
        assert_eq!(shard_of("abc", 8), shard_of("abc", 8));
        let mut seen = [0u32; 8];
        for i in 0..800 {
            seen[shard_of(&format!("account-{i}"), 8) as usize] += 1;
        }
        assert!(seen.iter().all(|n| (60..=140).contains(n)), "{seen:?}");
    }
}
