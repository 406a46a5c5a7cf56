//! Spreading the items every save writes over several partitions (GUIDE:
//! « an index partition that every save writes is a national hot spot »):
//! a candidate always lands on the same shard, candidates spread evenly.

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

#[cfg(test)]
mod tests {
    use super::*;

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
