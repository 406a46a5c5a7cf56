//! The clock port. The domain never reads the time itself: it is handed `now`.

use chrono::{DateTime, Utc};

/// Where "now" comes from: the system clock in Lambda, a simulated clock locally.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}
