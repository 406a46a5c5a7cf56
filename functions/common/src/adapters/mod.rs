//! Adapters: the embedded ones (SQLite, a folder, an outbox, a simulated
//! clock) and the AWS ones (DynamoDB, S3, SES, the system clock).
//!
//! The embedded ones serve only the local runner and the tests (feature
//! `embedded`), the counting, capacity and faulty wrappers only the tests and
//! benchmarks (`testkit`): no Lambda links them. The S3 and SES adapters
//! exist with their features (`s3`, `ses`), which only the Lambdas that call
//! them enable; the others get the refusing ports of [`absent`].

pub mod absent;
#[cfg(feature = "testkit")]
pub mod capacity;
pub mod clock;
#[cfg(feature = "testkit")]
pub mod counting;
pub mod dynamodb;
#[cfg(feature = "testkit")]
pub mod faulty;
#[cfg(feature = "embedded")]
pub mod folder;
pub mod lazy_client;
#[cfg(feature = "embedded")]
pub mod outbox;
#[cfg(feature = "s3")]
pub mod s3;
pub mod sdk_config;
#[cfg(feature = "ses")]
pub mod ses;
#[cfg(feature = "embedded")]
pub mod sqlite;
