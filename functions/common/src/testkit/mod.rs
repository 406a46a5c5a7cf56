//! Test support, compiled only with the `testkit` feature (this crate's own
//! tests enable it through a self dev-dependency, the workspace's end-to-end
//! tests through theirs): a moto server per test process, the two backends a
//! case runs on, and doubles for the ports.

pub mod backends;
pub mod doubles;
pub mod files;
pub mod moto;

pub use backends::{
    account_ops, app, bac_pro_inscription, bac_pro_record, cap_cuisine_inscription, created_line,
    unique_domain, Adapters, Backend, ScratchDir,
};
pub use doubles::{at, link_token, FixedClock, RaceStore, RecordingMailer};
pub use moto::{moto, moto_server, MotoServer, MOTO_VERSION};
