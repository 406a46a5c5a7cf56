//! Clocks: the system's, and the local runner's simulated one.
//!
//! The simulated clock ticks at the speed of real time from an instant the
//! operator chose, and can be set or moved forward. A *stepped* one
//! ([`SimulatedClock::stepped_at`], for benchmarks and tests) stands still
//! and moves only when set, advanced or waited on: a paced run of hours
//! takes no real time. Its state is a small file
//! in the data directory, so that `examreg admin` in another process sees the
//! same "now" as the runner.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::ports::Clock;

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// The simulated time is `anchor_simulated + (real now - anchor_real)`
/// (`anchor_simulated` alone for a stepped clock).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct Anchor {
    simulated: DateTime<Utc>,
    real: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    stepped: bool,
}

impl Anchor {
    fn now(&self) -> DateTime<Utc> {
        if self.stepped {
            self.simulated
        } else {
            self.simulated + (Utc::now() - self.real)
        }
    }
}

pub struct SimulatedClock {
    anchor: Mutex<Anchor>,
    file: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum ClockError {
    #[error("cannot save the simulated clock in {path}: {source}")]
    Save {
        path: String,
        source: std::io::Error,
    },
    #[error("the simulated clock file {path} is unreadable: {reason}")]
    Unreadable { path: String, reason: String },
}

impl SimulatedClock {
    /// A clock starting at `start`, kept in memory only.
    pub fn starting_at(start: DateTime<Utc>) -> Self {
        Self {
            anchor: Mutex::new(Anchor {
                simulated: start,
                real: Utc::now(),
                stepped: false,
            }),
            file: None,
        }
    }

    /// A clock standing still at `start`, kept in memory only: it moves
    /// when set or advanced, and a wait on it ([`Clock::sleep`]) moves it on
    /// by the time waited, at once.
    pub fn stepped_at(start: DateTime<Utc>) -> Self {
        let clock = Self::starting_at(start);
        clock
            .anchor
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .stepped = true;
        clock
    }

    /// A clock whose state lives in `file`, starting at `start` (and saving it).
    pub fn persistent(file: &Path, start: DateTime<Utc>) -> Result<Self, ClockError> {
        let clock = Self {
            file: Some(file.to_owned()),
            ..Self::starting_at(start)
        };
        clock.save()?;
        Ok(clock)
    }

    /// The clock saved in `file` by a running runner, if any.
    pub fn load(file: &Path) -> Result<Option<Self>, ClockError> {
        let text = match std::fs::read_to_string(file) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(ClockError::Unreadable {
                    path: file.display().to_string(),
                    reason: e.to_string(),
                })
            }
        };
        let anchor: Anchor = serde_json::from_str(&text).map_err(|e| ClockError::Unreadable {
            path: file.display().to_string(),
            reason: e.to_string(),
        })?;
        Ok(Some(Self {
            anchor: Mutex::new(anchor),
            file: Some(file.to_owned()),
        }))
    }

    pub fn set(&self, instant: DateTime<Utc>) -> Result<DateTime<Utc>, ClockError> {
        self.update(|_| instant)
    }

    pub fn advance(&self, by: Duration) -> Result<DateTime<Utc>, ClockError> {
        self.update(|now| now + by)
    }

    fn update(
        &self,
        change: impl FnOnce(DateTime<Utc>) -> DateTime<Utc>,
    ) -> Result<DateTime<Utc>, ClockError> {
        // The file is written under the lock: concurrent moves save in order.
        let mut anchor = self.anchor.lock().unwrap_or_else(|p| p.into_inner());
        let now = change(anchor.now());
        *anchor = Anchor {
            simulated: now,
            real: Utc::now(),
            stepped: anchor.stepped,
        };
        self.write(&anchor)?;
        Ok(now)
    }

    fn save(&self) -> Result<(), ClockError> {
        let anchor = *self.anchor.lock().unwrap_or_else(|p| p.into_inner());
        self.write(&anchor)
    }

    fn write(&self, anchor: &Anchor) -> Result<(), ClockError> {
        let Some(file) = &self.file else {
            return Ok(());
        };
        let text = serde_json::to_string(anchor).unwrap_or_default();
        // A name of its own per process, so another process's write cannot
        // rename this one's temporary file away.
        let tmp = file.with_extension(format!("{}.tmp", std::process::id()));
        std::fs::write(&tmp, text)
            .and_then(|()| std::fs::rename(&tmp, file))
            .map_err(|source| ClockError::Save {
                path: file.display().to_string(),
                source,
            })
    }
}

impl Clock for SimulatedClock {
    fn now(&self) -> DateTime<Utc> {
        self.anchor.lock().unwrap_or_else(|p| p.into_inner()).now()
    }

    fn sleep(
        &self,
        duration: std::time::Duration,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + '_>> {
        let stepped = self
            .anchor
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .stepped;
        if !stepped {
            return Box::pin(tokio::time::sleep(duration));
        }
        let by = Duration::from_std(duration).unwrap_or_else(|_| Duration::days(36_500));
        // In memory only (a stepped clock has no file): cannot fail.
        let _ = self.advance(by);
        Box::pin(tokio::task::yield_now())
    }
}

/// Parses a duration such as `49h`, `30m`, `7d`, `90s` or `1d12h`.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let mut total = Duration::zero();
    let mut digits = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let n: i64 = digits.parse().ok()?;
        digits.clear();
        let part = match c {
            'd' => Duration::try_days(n)?,
            'h' => Duration::try_hours(n)?,
            'm' => Duration::try_minutes(n)?,
            's' => Duration::try_seconds(n)?,
            _ => return None,
        };
        total = total.checked_add(&part)?;
    }
    digits.is_empty().then_some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("49h"), Some(Duration::hours(49)));
        assert_eq!(parse_duration("1d12h"), Some(Duration::hours(36)));
        assert_eq!(parse_duration("90s"), Some(Duration::seconds(90)));
        assert_eq!(parse_duration("5"), None);
        assert_eq!(parse_duration("h"), None);
        assert_eq!(parse_duration("3w"), None);
    }

    #[test]
    fn the_simulated_clock_moves_and_is_shared_through_its_file() {
        let dir = std::env::temp_dir().join(format!("examreg-clock-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("clock.json");
        let start: DateTime<Utc> = "2021-10-14T08:00:00Z".parse().unwrap();
        let clock = SimulatedClock::persistent(&file, start).unwrap();
        assert!(clock.now() - start < Duration::seconds(5));
        let later = clock.advance(Duration::hours(49)).unwrap();
        assert!(later - start >= Duration::hours(49));
        let other = SimulatedClock::load(&file).unwrap().unwrap();
        assert!((other.now() - later).num_seconds().abs() < 5);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[tokio::test]
    async fn a_stepped_clock_stands_still_and_moves_on_by_its_waits_at_once() {
        let start: DateTime<Utc> = "2022-01-10T06:00:00Z".parse().unwrap();
        let clock = SimulatedClock::stepped_at(start);
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert_eq!(clock.now(), start);
        let real = std::time::Instant::now();
        clock.sleep(std::time::Duration::from_secs(3_600)).await;
        assert!(real.elapsed() < std::time::Duration::from_secs(1));
        assert_eq!(clock.now(), start + Duration::hours(1));
        clock.advance(Duration::minutes(15)).unwrap();
        assert_eq!(clock.now(), start + Duration::minutes(75));
    }
}
