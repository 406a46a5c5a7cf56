//! The functions' wall clock, moved by the harness: every bootstrap runs with
//! libfaketime preloaded, reading its offset from one file, so that the
//! Lambdas (and the deadlines the runtime API sends them) see the same
//! instant, and a test can take them past a window's close. Monotonic time is
//! left alone (`DONT_FAKE_MONOTONIC`): timers and timeouts run in real time.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};

#[derive(Clone)]
pub struct FakeClock {
    file: PathBuf,
    offset_seconds: Arc<AtomicI64>,
}

impl FakeClock {
    /// A clock at `now`, its offset written to `file`.
    pub fn new(file: PathBuf, now: DateTime<Utc>) -> FakeClock {
        let clock = FakeClock {
            file,
            offset_seconds: Arc::new(AtomicI64::new(0)),
        };
        clock.set(now);
        clock
    }

    /// The functions' current instant.
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + TimeDelta::seconds(self.offset_seconds.load(Ordering::SeqCst))
    }

    /// Moves the functions' clock to `instant` (to the second), from now on.
    pub fn set(&self, instant: DateTime<Utc>) {
        let offset = (instant - Utc::now()).num_seconds();
        self.offset_seconds.store(offset, Ordering::SeqCst);
        // Written whole, then renamed: a bootstrap never reads half a file.
        let partial = self.file.with_extension("partial");
        std::fs::write(&partial, format!("{offset:+}\n")).expect("write the clock file");
        std::fs::rename(&partial, &self.file).expect("move the clock file");
    }

    /// The environment that makes a process use this clock.
    pub fn environment(&self, library: &Path) -> Vec<(String, String)> {
        vec![
            ("LD_PRELOAD".into(), library.display().to_string()),
            (
                "FAKETIME_TIMESTAMP_FILE".into(),
                self.file.display().to_string(),
            ),
            // Read the file at every call: a move is seen at once.
            ("FAKETIME_NO_CACHE".into(), "1".into()),
            ("DONT_FAKE_MONOTONIC".into(), "1".into()),
        ]
    }
}
