//! How long a run (the sweep, the mail queue's drain) may go on.

use std::time::Instant;

/// When a run must stop, and optionally after how many items (to simulate
/// an interrupted run in tests, or to cap a run).
#[derive(Debug, Clone)]
pub struct Budget {
    deadline: Instant,
    max_items: Option<usize>,
    used: usize,
}

impl Budget {
    pub fn until(deadline: Instant) -> Self {
        Self {
            deadline,
            max_items: None,
            used: 0,
        }
    }

    /// Stops after `max_items` due items (accounts, inscriptions, mails) were handled.
    pub fn max_items(mut self, max_items: usize) -> Self {
        self.max_items = Some(max_items);
        self
    }

    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    pub fn exhausted(&self) -> bool {
        Instant::now() >= self.deadline || self.max_items.is_some_and(|max| self.used >= max)
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
}
