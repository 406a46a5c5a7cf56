//! Application services: each use case of the API, written once against the
//! ports, so the Lambdas and the local runner run the very same code.

pub mod accounts;
pub mod emails;
pub mod keys;
pub mod sessions;
pub mod inscription;
pub mod admin;
pub mod documents;
pub mod mailqueue;
pub mod sweep;
