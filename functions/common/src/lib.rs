//! examreg's shared crate: everything but the Lambda entry points and the
//! local runner's command line.

pub mod adapters;
pub mod calendar;
pub mod catalogue;
pub mod domain;
pub mod pdf;
pub mod ports;
#[cfg(feature = "testkit")]
pub mod testkit;
pub mod app;
pub mod bootstrap;
pub mod error;
pub mod http;
pub mod security;
pub mod services;
