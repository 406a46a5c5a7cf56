//! What the store holds, record by record: each record's shape, its key,
//! its item mapping and the conditions its writes carry. Services read and
//! write records; only this module knows how they sit in the table.

pub mod account;
pub mod candidate;
pub mod login_guard;
pub mod rate_limit;
pub mod retry;
pub mod session;
