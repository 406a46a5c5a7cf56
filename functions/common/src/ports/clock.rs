//! The clock port. The domain never reads the time itself: it is handed `now`.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use chrono::{DateTime, Utc};

/// Where "now" comes from: the system clock in Lambda, a simulated clock locally.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;

    /// Waits `duration` of this clock's time (the mail pacer's waits). Real
    /// time by default; a clock whose time stands still moves itself on
    /// instead, so that a simulated run of hours takes no real time.
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(tokio::time::sleep(duration))
    }
}
