//! Application services: each use case of the API, written once against the
//! ports, so the Lambdas and the local runner run the very same code.

pub mod accounts;
#[cfg(feature = "office-api")]
pub mod admin;
pub mod budget;
#[cfg(feature = "pdf")]
pub mod confirmation;
pub mod documents;
pub mod inscription;
pub mod mail_events;
pub mod mailqueue;
pub mod object_created;
pub mod reconcile;
pub mod sessions;
// The runner's staff accounts (`examreg staff add`, `POST /office/session`).
#[cfg(all(feature = "embedded", feature = "passwords"))]
pub mod staff;
pub mod sweep;
pub mod upload_check;
