//! Test support for the AWS adapters, compiled only with the `testkit`
//! feature (this crate's own tests enable it through a self dev-dependency).

pub mod moto;

pub use moto::{moto, MotoServer, MOTO_VERSION};
