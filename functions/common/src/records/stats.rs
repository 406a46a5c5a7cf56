//! The office's counts (`stats`), kept as counters rather than counted at
//! each call: sharded counter items `STATS#<session>#<shard>` / `STATS`
//! whose attributes are `<DIPLOMA>#<SPECIALTY>#<status>` (dossiers) and
//! `<DIPLOMA>#<SPECIALTY>#awaiting_review` (pieces received, not reviewed).
//!
//! The dossier's write path adds the difference between the record before
//! and after each change ([`ops`]) in the change's own transaction, with an
//! unconditional `ADD`: every transition, whoever makes it, keeps the counts
//! right, and a change that does not commit counts nothing. A candidate
//! always writes the same shard, candidates spread over [`SHARDS`], so two
//! saves rarely touch the same counter item at once (DynamoDB cancels
//! concurrent transactions on one item; the write path retries them). A
//! read is one `BatchGetItem` of the shards.

use std::collections::BTreeMap;

use crate::app::App;
use crate::domain::dossier::PieceStatus;
use crate::domain::record::InscriptionRecord;
use crate::error::AppResult;
use crate::ports::store::WriteOp;
use crate::ports::Key;
use crate::records::shards::shard_of;

/// The counter items of a session.
pub const SHARDS: u32 = 16;

/// The counter name of pieces awaiting review.
pub const AWAITING_REVIEW: &str = "awaiting_review";

fn shard_key(session: &str, shard: u32) -> Key {
    Key::new(format!("STATS#{session}#{shard}"), "STATS")
}

/// What `record` adds to the counts: nothing for a dossier stored before
/// the counters existed (no candidate number yet), counted from its first
/// write on.
fn contribution(record: &InscriptionRecord) -> BTreeMap<String, i64> {
    let mut counts = BTreeMap::new();
    if record.candidate_number.is_none() {
        return counts;
    }
    let prefix = format!("{}#{}", record.data.diploma.code(), record.data.specialty);
    counts.insert(format!("{prefix}#{}", record.status.code()), 1);
    let awaiting = record
        .pieces
        .values()
        .filter(|piece| piece.status == PieceStatus::Received)
        .count();
    counts.insert(
        format!("{prefix}#{AWAITING_REVIEW}"),
        i64::try_from(awaiting).unwrap_or(i64::MAX),
    );
    counts
}

/// The counters' change from `before` to `after`, if any.
pub fn ops(before: Option<&InscriptionRecord>, after: &InscriptionRecord) -> Option<WriteOp> {
    let mut deltas = contribution(after);
    for (name, n) in before.map(contribution).unwrap_or_default() {
        *deltas.entry(name).or_insert(0) -= n;
    }
    deltas.retain(|_, delta| *delta != 0);
    if deltas.is_empty() {
        return None;
    }
    Some(WriteOp::Add {
        key: shard_key(&after.session, shard_of(&after.account_id, SHARDS)),
        deltas,
    })
}

/// The counters' change when `record` is deleted (the purge): its whole
/// contribution taken away.
pub fn removal(record: &InscriptionRecord) -> Option<WriteOp> {
    let mut deltas = contribution(record);
    deltas.retain(|_, delta| *delta != 0);
    if deltas.is_empty() {
        return None;
    }
    deltas.values_mut().for_each(|delta| *delta = -*delta);
    Some(WriteOp::Add {
        key: shard_key(&record.session, shard_of(&record.account_id, SHARDS)),
        deltas,
    })
}

/// One counter: diploma code, specialty code, status code (or
/// [`AWAITING_REVIEW`]) and its value, summed over the shards.
pub type Counts = BTreeMap<(String, String, String), i64>;

/// The session's counters, in one round trip.
pub async fn read(app: &App, session: &str) -> AppResult<Counts> {
    let keys: Vec<Key> = (0..SHARDS).map(|shard| shard_key(session, shard)).collect();
    let mut counts = Counts::new();
    for item in app.store.get_many(&keys).await? {
        for (name, value) in &item.attrs {
            let mut parts = name.splitn(3, '#');
            let (Some(diploma), Some(specialty), Some(what), Some(n)) =
                (parts.next(), parts.next(), parts.next(), value.as_i64())
            else {
                continue;
            };
            *counts
                .entry((diploma.to_owned(), specialty.to_owned(), what.to_owned()))
                .or_insert(0) += n;
        }
    }
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::dossier::InscriptionStatus;
    use crate::domain::transitions::fixtures;

    fn deltas(op: Option<WriteOp>) -> BTreeMap<String, i64> {
        match op {
            Some(WriteOp::Add { deltas, .. }) => deltas,
            None => BTreeMap::new(),
            Some(other) => panic!("{other:?}"),
        }
    }

    #[test]
    fn each_change_adds_its_difference_only() {
        let mut created = fixtures::record("2021-10-26T08:00:00Z".parse().unwrap());
        created.candidate_number = Some("K7M2-9QXP".into());
        assert_eq!(
            deltas(ops(None, &created)),
            BTreeMap::from([("BAC_PRO#MELEC#registered".to_owned(), 1)])
        );
        // A change that moves nothing counted writes no counter.
        let mut same = created.clone();
        same.version += 1;
        assert!(ops(Some(&created), &same).is_none());
        // A piece received, then the dossier cancelled.
        let mut received = created.clone();
        if let Some(piece) = received.pieces.values_mut().next() {
            piece.status = PieceStatus::Received;
        }
        received.status = InscriptionStatus::Cancelled;
        assert_eq!(
            deltas(ops(Some(&created), &received)),
            BTreeMap::from([
                ("BAC_PRO#MELEC#awaiting_review".to_owned(), 1),
                ("BAC_PRO#MELEC#cancelled".to_owned(), 1),
                ("BAC_PRO#MELEC#registered".to_owned(), -1),
            ])
        );
    }

    #[test]
    fn a_dossier_stored_before_the_counters_is_counted_from_its_next_write() {
        let old = fixtures::record("2021-10-26T08:00:00Z".parse().unwrap());
        let mut numbered = old.clone();
        numbered.candidate_number = Some("K7M2-9QXP".into());
        assert_eq!(
            deltas(ops(Some(&old), &numbered)),
            BTreeMap::from([("BAC_PRO#MELEC#registered".to_owned(), 1)])
        );
    }
}
