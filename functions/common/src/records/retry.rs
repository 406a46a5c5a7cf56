//! Read → decide → conditional write, tried again while another write wins
//! the race: one bound and one way to tell a lost race from a failure.

use std::future::Future;

use serde_json::json;

use crate::ports::store::Condition;
use crate::ports::StoreError;

/// How many rounds a read → decide → conditional write gets before it gives
/// up. Each round at least one of the contending writers wins, so this many
/// writers racing on one item all get through (a login guard sees at most
/// `MAX_FAILED_LOGINS` attempts in flight, plus their settlements).
pub const MAX_ROUNDS: usize = 20;

/// How one round ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Round<T> {
    /// Decided and, if anything had to change, written.
    Done(T),
    /// Another write changed the item since it was read: read it again.
    LostRace,
}

/// Runs `round` until it is [`Round::Done`], at most [`MAX_ROUNDS`] times;
/// `None` if every round lost its race. An error ends the rounds at once.
pub async fn until_won<T, E, Fut>(mut round: impl FnMut() -> Fut) -> Result<Option<T>, E>
where
    Fut: Future<Output = Result<Round<T>, E>>,
{
    for _ in 0..MAX_ROUNDS {
        if let Round::Done(answer) = round().await? {
            return Ok(Some(answer));
        }
    }
    Ok(None)
}

/// Whether a conditional write went through: `false` when another write
/// won (its condition failed, or DynamoDB cancelled it for a conflicting
/// transaction), the error for anything else.
pub fn written(result: Result<(), StoreError>) -> Result<bool, StoreError> {
    match result {
        Ok(()) => Ok(true),
        Err(StoreError::ConditionFailed { .. } | StoreError::Conflict(_)) => Ok(false),
        Err(e) => Err(e),
    }
}

/// [`written`] as a [`Round`]: done with `answer`, or lost.
pub fn round<T>(result: Result<(), StoreError>, answer: T) -> Result<Round<T>, StoreError> {
    Ok(match written(result)? {
        true => Round::Done(answer),
        false => Round::LostRace,
    })
}

/// The condition of a write replacing the item read at `version` (`None`:
/// no item was there), under the item's optimistic lock.
pub fn if_unchanged(version: Option<u64>) -> Condition {
    match version {
        Some(version) => Condition::AttributeEquals("version".into(), json!(version)),
        None => Condition::NotExists,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lost() -> StoreError {
        StoreError::Conflict("transaction conflict".into())
    }

    #[tokio::test]
    async fn rounds_go_on_while_races_are_lost_and_stop_at_the_bound() {
        let mut tries = 0;
        let won: Result<Option<usize>, StoreError> = until_won(|| {
            tries += 1;
            let attempt = tries;
            async move {
                Ok(if attempt < 3 {
                    Round::LostRace
                } else {
                    Round::Done(attempt)
                })
            }
        })
        .await;
        assert_eq!(won.unwrap(), Some(3));

        let mut tries = 0;
        let never: Result<Option<()>, StoreError> = until_won(|| {
            tries += 1;
            async { Ok(Round::LostRace) }
        })
        .await;
        assert_eq!(never.unwrap(), None);
        assert_eq!(tries, MAX_ROUNDS);
    }

    #[tokio::test]
    async fn an_error_ends_the_rounds() {
        let mut tries = 0;
        let failed: Result<Option<()>, StoreError> = until_won(|| {
            tries += 1;
            async { Err(StoreError::Unavailable("down".into())) }
        })
        .await;
        assert!(matches!(failed, Err(StoreError::Unavailable(_))));
        assert_eq!(tries, 1);
    }

    #[test]
    fn a_failed_condition_or_a_conflict_is_a_lost_race_not_an_error() {
        assert!(written(Ok(())).unwrap());
        assert!(!written(Err(lost())).unwrap());
        assert!(written(Err(StoreError::Throttled("slow down".into()))).is_err());
        assert_eq!(round(Ok(()), 7).unwrap(), Round::Done(7));
        assert_eq!(round(Err(lost()), 7).unwrap(), Round::LostRace);
        assert_eq!(if_unchanged(None), Condition::NotExists);
    }
}
