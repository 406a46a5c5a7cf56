//! The candidate number's guard item, `NUMBER#<session>#<number>` /
//! `NUMBER`: written with `attribute_not_exists` in the transaction that
//! gives a dossier its number, so two dossiers of a session never share one;
//! it also holds the account id, so that the office finds a candidate by
//! number in one read.

use serde_json::json;

use crate::app::App;
use crate::domain::candidate_number::CandidateNumber;
use crate::domain::record::InscriptionRecord;
use crate::error::AppResult;
use crate::ports::store::{Condition, Item, WriteOp};
use crate::ports::Key;

pub fn guard_key(session: &str, number: &str) -> Key {
    Key::new(format!("NUMBER#{session}#{number}"), "NUMBER")
}

/// Gives `record` a number if it has none yet, and answers the guard's
/// write (`None`: it had one). `attempt` counts the write path's tries: the
/// first takes the dossier's first choice, the others a random number. A
/// collision fails the transaction's condition: the write path then decides
/// again, and tries a new number.
pub fn allocate(record: &mut InscriptionRecord, attempt: usize) -> AppResult<Option<WriteOp>> {
    if record.candidate_number.is_some() {
        return Ok(None);
    }
    let number = if attempt == 0 {
        CandidateNumber::first_choice(&record.session, &record.email)
    } else {
        CandidateNumber::random()
    }
    .to_string();
    let item = Item::new(guard_key(&record.session, &number))
        .with("record_type", "candidate_number")
        .with("account_id", json!(record.account_id))
        .with("session", json!(record.session));
    record.candidate_number = Some(number);
    Ok(Some(WriteOp::put(item, Condition::NotExists)))
}

/// The account whose dossier of `session` has `number`.
pub async fn account_of(
    app: &App,
    session: &str,
    number: &CandidateNumber,
) -> AppResult<Option<String>> {
    Ok(app
        .store
        .get(&guard_key(session, number.as_str()))
        .await?
        .and_then(|item| item.str_attr("account_id").map(str::to_owned)))
}
