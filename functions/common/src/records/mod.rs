//! What is stored, and how: each record's key, its index entries and its
//! writes over the store port, in one place (services never build an item
//! or a key by hand). The data itself may be a domain type (see
//! `domain::record`): the store mapping stays here.

pub mod dossier;
pub mod history;
pub mod keys;
pub mod mail;
pub mod upload;
