//! Adapters: the embedded ones (SQLite, a folder, an outbox, a simulated
//! clock) and the AWS ones (DynamoDB, S3, SES, the system clock).

pub mod clock;
pub mod counting;
pub mod dynamodb;
pub mod faulty;
pub mod folder;
pub mod lazy_client;
pub mod outbox;
pub mod s3;
pub mod ses;
pub mod sqlite;
