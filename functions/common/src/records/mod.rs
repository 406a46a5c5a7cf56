//! What the store holds, record by record: each record's key, its index
//! entries, its item mapping and the conditions its writes carry, over the
//! store port, in one place (services never build an item or a key by hand).
//! The data itself may be a domain type (see `domain::record`): the store
//! mapping stays here.

pub mod account;
pub mod candidate;
pub mod deliverability;
pub mod dossier;
pub mod history;
pub mod keys;
pub mod login_guard;
pub mod mail;
pub mod numbers;
pub mod rate_limit;
pub mod read_journal;
pub mod retry;
pub mod search;
pub mod session;
pub mod shards;
pub mod stats;
pub mod upload;
