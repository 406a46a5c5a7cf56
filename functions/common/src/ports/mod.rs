//! Ports: the small traits through which the application talks to the world.
//!
//! Each port has an embedded adapter (used by the local runner and most tests)
//! and an AWS adapter (used in Lambda). One contract test suite per port runs
//! against both, which is what keeps them interchangeable.

pub mod clock;
pub mod documents;
pub mod mailer;
pub mod store;

pub use clock::Clock;
pub use documents::{DocumentStore, DocumentStoreError, PresignedUpload, StoredObject};
pub use mailer::{MailError, Mailer, OutgoingEmail};
pub use store::{
    Condition, Index, Item, Key, Page, Query, SortKeyCondition, Store, StoreError, WriteOp,
};
