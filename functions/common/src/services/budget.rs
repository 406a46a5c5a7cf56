//! How long a run (the sweep, the mail queue's drain) may go on.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use crate::ports::Clock;

/// When a run must stop: an instant of real time (a Lambda's deadline), or
/// of a clock's time (a simulated run, whose waits are the clock's).
#[derive(Clone)]
enum Deadline {
    Real(Instant),
    Clock(Arc<dyn Clock>, DateTime<Utc>),
}

impl std::fmt::Debug for Deadline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Deadline::Real(at) => f.debug_tuple("Real").field(at).finish(),
            Deadline::Clock(_, at) => f.debug_tuple("Clock").field(at).finish(),
        }
    }
}

/// When a run must stop, and optionally after how many items (to simulate
/// an interrupted run in tests, or to cap a run).
#[derive(Debug, Clone)]
pub struct Budget {
    deadline: Deadline,
    max_items: Option<usize>,
    used: usize,
}

impl Budget {
    pub fn until(deadline: Instant) -> Self {
        Self {
            deadline: Deadline::Real(deadline),
            max_items: None,
            used: 0,
        }
    }

    /// A run that must stop when `clock` reads `deadline` (a simulated run:
    /// the time its waits take is the clock's).
    pub fn on_clock(clock: Arc<dyn Clock>, deadline: DateTime<Utc>) -> Self {
        Self {
            deadline: Deadline::Clock(clock, deadline),
            max_items: None,
            used: 0,
        }
    }

    /// Stops after `max_items` due items (accounts, inscriptions, mails) were handled.
    pub fn max_items(mut self, max_items: usize) -> Self {
        self.max_items = Some(max_items);
        self
    }

    /// The time left before the deadline (zero once it is past).
    pub fn remaining(&self) -> Duration {
        match &self.deadline {
            Deadline::Real(at) => at.saturating_duration_since(Instant::now()),
            Deadline::Clock(clock, at) => (*at - clock.now()).to_std().unwrap_or_default(),
        }
    }

    pub fn exhausted(&self) -> bool {
        self.remaining().is_zero() || self.max_items.is_some_and(|max| self.used >= max)
    }

    /// Takes one item from the budget; `false` when it is spent.
    pub fn take(&mut self) -> bool {
        if self.exhausted() {
            return false;
        }
        self.used += 1;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::clock::SimulatedClock;

    #[test]
    fn a_budget_stops_on_time_or_after_its_items() {
        let far = Instant::now() + std::time::Duration::from_secs(60);
        let mut budget = Budget::until(far).max_items(2);
        assert!(budget.take());
        assert!(budget.take());
        assert!(!budget.take());
        assert!(budget.exhausted());
        let mut spent = Budget::until(Instant::now());
        assert!(!spent.take());
    }

    #[test]
    fn a_budget_on_a_clock_ends_when_that_clock_reads_its_deadline() {
        let start: DateTime<Utc> = "2022-01-10T06:00:00Z".parse().unwrap();
        let clock = Arc::new(SimulatedClock::stepped_at(start));
        let mut budget = Budget::on_clock(clock.clone(), start + chrono::Duration::minutes(5));
        assert!(budget.take());
        assert_eq!(budget.remaining(), Duration::from_secs(300));
        clock.advance(chrono::Duration::minutes(5)).unwrap();
        assert!(budget.exhausted());
        assert!(!budget.take());
    }
}
