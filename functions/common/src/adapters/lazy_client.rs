//! An AWS SDK client built on its first use.
//!
//! The SDK loads and parses the TLS root certificates when a client is built
//! (so that its first request is fast): about a millisecond per client, paid
//! at every cold start. A Lambda function that never sends an email, or never
//! touches S3, should not pay it; [`LazyClient`] defers the build to the first
//! call that needs the client, and then keeps it for the process's life.

use std::fmt;
use std::sync::{Arc, OnceLock};

type Build<C> = Arc<dyn Fn() -> C + Send + Sync>;

#[derive(Clone)]
pub struct LazyClient<C> {
    /// `None` only for a client given ready-made, whose cell is set at once
    /// and so never asks for a build.
    build: Option<Build<C>>,
    client: Arc<OnceLock<C>>,
}

impl<C> LazyClient<C> {
    /// A client `build` makes when it is first needed.
    pub fn new(build: impl Fn() -> C + Send + Sync + 'static) -> Self {
        Self {
            build: Some(Arc::new(build)),
            client: Arc::new(OnceLock::new()),
        }
    }

    /// The client, built now if this is its first use.
    pub fn get(&self) -> &C {
        self.client.get_or_init(|| match &self.build {
            Some(build) => build(),
            None => unreachable!("a ready-made client is set at construction"),
        })
    }

    /// Whether it has been built (for tests and logs).
    pub fn is_built(&self) -> bool {
        self.client.get().is_some()
    }
}

/// A client built already.
impl<C> From<C> for LazyClient<C> {
    fn from(client: C) -> Self {
        Self {
            build: None,
            client: Arc::new(OnceLock::from(client)),
        }
    }
}

impl<C> fmt::Debug for LazyClient<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LazyClient")
            .field("built", &self.is_built())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn builds_once_on_first_use() {
        let builds = Arc::new(AtomicUsize::new(0));
        let counter = builds.clone();
        let lazy = LazyClient::new(move || counter.fetch_add(1, Ordering::SeqCst) + 100);
        assert!(!lazy.is_built());
        assert_eq!(builds.load(Ordering::SeqCst), 0, "nothing built up front");
        let clone = lazy.clone();
        assert_eq!(*lazy.get(), 100);
        assert_eq!(*clone.get(), 100, "clones share the client");
        assert_eq!(builds.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn a_ready_client_is_used_as_is() {
        let lazy = LazyClient::from(String::from("prêt"));
        assert!(lazy.is_built());
        assert_eq!(lazy.get(), "prêt");
    }
}
