//! The pure domain: no AWS type, no clock read, no I/O. It takes `now` and
//! returns decisions.

pub mod account;
pub mod calendar;
pub mod candidate_number;
pub mod catalogue;
pub mod countries;
mod data_file;
pub mod diploma;
pub mod dossier;
pub mod file_type;
#[cfg(feature = "filecheck")]
pub mod filecheck;
pub mod files;
pub mod help;
pub mod inscription;
pub mod languages;
pub mod local_day;
pub mod mail_events;
pub mod pieces;
pub mod record;
pub mod retention;
pub mod search;
pub mod staff;
pub mod transitions;
pub mod validation;

pub use diploma::{Diploma, PerDiploma};
