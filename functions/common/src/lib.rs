//! examreg's shared crate: everything but the Lambda entry points and the
//! local runner's command line.

pub mod adapters;
pub mod app;
pub mod bootstrap;
pub mod config;
pub mod domain;
pub mod emails;
pub mod error;
pub mod http;
pub mod metrics;
#[cfg(feature = "pdf")]
pub mod pdf;
pub mod ports;
pub mod records;
pub mod security;
pub mod services;
#[cfg(feature = "testkit")]
pub mod testkit;
pub mod wording;
