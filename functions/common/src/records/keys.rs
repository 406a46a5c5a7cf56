//! Where each kind of item lives in the single table.
//!
//! Everything about one candidate shares the partition `CANDIDATE#<id>`, so
//! that an authenticated request reads its session, account and inscription
//! in one round trip. The email guard `EMAIL#<address>` makes one account per
//! address a property of the store itself.

use chrono::{DateTime, SecondsFormat, Utc};

use crate::ports::Key;
use crate::records::shards;

pub fn candidate_pk(account_id: &str) -> String {
    format!("CANDIDATE#{account_id}")
}

pub fn account(account_id: &str) -> Key {
    Key::new(candidate_pk(account_id), "ACCOUNT")
}

/// What remains of an account deleted unactivated: its activation token's
/// hash, so that the link answers « expired » rather than « unknown ».
pub fn expired_account(account_id: &str) -> Key {
    Key::new(candidate_pk(account_id), "EXPIRED")
}

pub const SESSION_PREFIX: &str = "SESSION#";

pub fn session(account_id: &str, token_hash: &str) -> Key {
    Key::new(
        candidate_pk(account_id),
        format!("{SESSION_PREFIX}{token_hash}"),
    )
}

pub fn email_guard(canonical_email: &str) -> Key {
    Key::new(format!("EMAIL#{canonical_email}"), "EMAIL")
}

pub fn inscription(account_id: &str, session: &str) -> Key {
    Key::new(candidate_pk(account_id), format!("INSCRIPTION#{session}"))
}

pub fn history_prefix(session: &str) -> String {
    format!("HISTORY#{session}#")
}

/// History entries sort by time, then by a sequence that breaks ties.
pub fn history(account_id: &str, session: &str, at: DateTime<Utc>, seq: u64) -> Key {
    Key::new(
        candidate_pk(account_id),
        format!("{}{}#{seq:08}", history_prefix(session), sortable(at)),
    )
}

pub fn upload(account_id: &str, upload_id: &str) -> Key {
    Key::new(
        candidate_pk(account_id),
        format!("{UPLOAD_PREFIX}{upload_id}"),
    )
}

/// A per-address rate counter (`kind` names what is limited).
pub fn rate(kind: &str, canonical_email: &str) -> Key {
    Key::new(format!("RATE#{kind}#{canonical_email}"), "RATE")
}

/// The login attempts of an address, account or not (see `LoginGuard`).
/// The mark of an address SES reported undeliverable (a permanent bounce
/// or a complaint): beside the email guard, one partition per address.
pub fn undeliverable(canonical_email: &str) -> Key {
    Key::new(format!("EMAIL#{canonical_email}"), "UNDELIVERABLE")
}

pub fn login_guard(canonical_email: &str) -> Key {
    Key::new(format!("LOGIN#{canonical_email}"), "LOGIN")
}

/// A staff account of the local runner (`examreg staff add`): in AWS the
/// office's Cognito user pool holds them.
pub fn staff(canonical_email: &str) -> Key {
    Key::new(format!("STAFF#{canonical_email}"), "STAFF")
}

/// One export's journal line (who exported what, when): `EXPORTS#<session>`
/// sorted by instant.
pub fn export_journal(session: &str, at: DateTime<Utc>, id: &str) -> Key {
    Key::new(
        format!("EXPORTS#{session}"),
        format!("{}#{id}", sortable(at)),
    )
}

/// One bulk read's journal line (who listed what, when; see
/// `records::read_journal`): `READS#<session>` sorted by instant.
pub fn read_journal(session: &str, at: DateTime<Utc>, id: &str) -> Key {
    Key::new(format!("READS#{session}"), format!("{}#{id}", sortable(at)))
}

/// A session's purge (`purge`): its cumulative counts (`COUNTS`, only
/// added to, in the transactions that delete), where it stands (`CURSOR`),
/// and one journal line per run (`RUN#<instant>#<id>`).
pub fn purge_pk(session: &str) -> String {
    format!("PURGE#{session}")
}

pub fn purge_counts(session: &str) -> Key {
    Key::new(purge_pk(session), "COUNTS")
}

pub fn purge_cursor(session: &str) -> Key {
    Key::new(purge_pk(session), "CURSOR")
}

pub fn purge_run(session: &str, at: DateTime<Utc>, id: &str) -> Key {
    Key::new(purge_pk(session), format!("RUN#{}#{id}", sortable(at)))
}

/// A bulk job of the exams office, and its chunks of targets.
pub fn job_pk(job_id: &str) -> String {
    format!("JOB#{job_id}")
}

pub fn job(job_id: &str) -> Key {
    Key::new(job_pk(job_id), "JOB")
}

pub fn job_chunk(job_id: &str, index: usize) -> Key {
    Key::new(job_pk(job_id), format!("CHUNK#{index:06}"))
}

/// Index partitions of due work (gsi1).
pub const DUE_ACTIVATION: &str = "DUE#ACTIVATION";
/// The due inscriptions, sharded by candidate (`records::shards`): the
/// partition `account_id`'s dossier goes to, and every one the sweep reads.
pub fn due_inscriptions(session: &str, account_id: &str) -> String {
    shards::partition_of(&format!("DUE#INSCRIPTION#{session}"), account_id)
}
pub fn due_inscription_partitions(session: &str) -> Vec<String> {
    shards::partitions(&format!("DUE#INSCRIPTION#{session}"))
}
pub const MAIL_QUEUE: &str = "DUE#MAIL";
/// Upload URLs given whose file was never checked, due for the sweep's
/// reconciliation (`records::upload`). Every upload writes it twice (its
/// URL given, its file checked): sharded like the due inscriptions.
pub fn due_uploads(session: &str, account_id: &str) -> String {
    shards::partition_of(&format!("DUE#UPLOAD#{session}"), account_id)
}
pub fn due_upload_partitions(session: &str) -> Vec<String> {
    shards::partitions(&format!("DUE#UPLOAD#{session}"))
}
/// The sort-key prefix of a candidate's upload requests.
pub const UPLOAD_PREFIX: &str = "UPLOAD#";

/// Index partition of the admin listings (gsi2), sharded by candidate:
/// the partition `account_id`'s dossier is listed in, and every one a
/// listing merges (`records::shards::Merge`).
pub fn listing(session: &str, account_id: &str) -> String {
    shards::partition_of(&format!("INSCRIPTIONS#{session}"), account_id)
}
pub fn listing_partitions(session: &str) -> Vec<String> {
    shards::partitions(&format!("INSCRIPTIONS#{session}"))
}

/// A fixed-width UTC instant: lexical order is time order.
pub fn sortable(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The sort-key bound of "everything due by `now`": due-work sort keys are
/// `<sortable instant>#<id>`, and `~` sorts after `#`, so every item due at
/// or before `now` (to the millisecond) is `<=` it.
pub fn due_bound(now: DateTime<Utc>) -> String {
    format!("{}~", sortable(now))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_due_bound_takes_everything_due_in_the_same_millisecond() {
        let now: DateTime<Utc> = "2021-11-07T22:59:59.999Z".parse().unwrap();
        let bound = due_bound(now);
        assert!(format!("{}#acc", sortable(now)).as_str() <= bound.as_str());
        let later = now + chrono::Duration::milliseconds(1);
        assert!(format!("{}#acc", sortable(later)).as_str() > bound.as_str());
    }
}
