//! How long a session's personal data is kept: the retention schedule, held
//! as data in the session's file beside its calendar (`[retention]` of
//! `infra/sessions/<session>.toml`), each figure with its reason there.
//!
//! A session is **closed** once its dossiers' retention has ended: from
//! 00:00 (the académie's time) on the day `dossiers_months` months after
//! `results_on`. Only then may `purge` delete its personal data; before,
//! the office still answers appeals and questions about the results.

use chrono::{DateTime, Months, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::Deserialize;

use super::local_day::start_of_day;

/// One session's retention schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetentionSchedule {
    /// The day the session's results are published (the last diploma's).
    pub results_on: NaiveDate,
    /// Dossiers, their history and their pieces' files are kept this many
    /// months after `results_on`.
    pub dossiers_months: u32,
    /// Export files are kept this many days (the bucket's lifecycle).
    pub exports_days: u32,
    /// The functions' logs are kept this many days (the log groups).
    pub logs_days: u32,
}

/// The `[retention]` table as the file writes it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRetention {
    results_on: toml::value::Datetime,
    dossiers_months: u32,
    exports_days: u32,
    logs_days: u32,
}

/// Why a `[retention]` table is refused (one line, for the calendar's error).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RetentionProblem {
    #[error("`retention.results_on` must be a day (YYYY-MM-DD), got `{0}`")]
    NotADay(String),
    #[error("`retention.{field}` must be at least {min}, got {value}")]
    TooShort {
        field: &'static str,
        min: u32,
        value: u32,
    },
}

impl RawRetention {
    /// The schedule, checked: a day for the results, and no figure shorter
    /// than its floor (dossiers at least 2 months after the results, the
    /// time to appeal before the administrative court; exports and logs at
    /// least a day).
    pub(super) fn check(self) -> Result<RetentionSchedule, RetentionProblem> {
        let text = self.results_on.to_string();
        let results_on = NaiveDate::parse_from_str(&text, "%Y-%m-%d")
            .map_err(|_| RetentionProblem::NotADay(text.clone()))?;
        for (field, min, value) in [
            ("dossiers_months", 2, self.dossiers_months),
            ("exports_days", 1, self.exports_days),
            ("logs_days", 1, self.logs_days),
        ] {
            if value < min {
                return Err(RetentionProblem::TooShort { field, min, value });
            }
        }
        Ok(RetentionSchedule {
            results_on,
            dossiers_months: self.dossiers_months,
            exports_days: self.exports_days,
            logs_days: self.logs_days,
        })
    }
}

impl RetentionSchedule {
    /// The day the dossiers' retention ends: `dossiers_months` after the
    /// results (the last day of a shorter month when the day is missing).
    pub fn purge_day(&self) -> NaiveDate {
        self.results_on
            .checked_add_months(Months::new(self.dossiers_months))
            .unwrap_or(NaiveDate::MAX)
    }

    /// The instant the session closes: 00:00 in `tz` on [`Self::purge_day`].
    pub fn closes_at(&self, tz: Tz) -> DateTime<Utc> {
        start_of_day(tz, self.purge_day()).unwrap_or(DateTime::<Utc>::MAX_UTC)
    }

    /// Whether the session is closed at `now`: its personal data may go.
    pub fn is_closed(&self, tz: Tz, now: DateTime<Utc>) -> bool {
        now >= self.closes_at(tz)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schedule(results_on: &str, months: u32) -> RetentionSchedule {
        RetentionSchedule {
            results_on: results_on.parse().unwrap(),
            dossiers_months: months,
            exports_days: 7,
            logs_days: 90,
        }
    }

    #[test]
    fn a_session_closes_at_paris_midnight_months_after_its_results() {
        let s = schedule("2022-07-08", 12);
        assert_eq!(s.purge_day(), "2023-07-08".parse::<NaiveDate>().unwrap());
        let closes = s.closes_at(chrono_tz::Europe::Paris);
        assert_eq!(
            closes,
            "2023-07-07T22:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        assert!(!s.is_closed(
            chrono_tz::Europe::Paris,
            closes - chrono::Duration::milliseconds(1)
        ));
        assert!(s.is_closed(chrono_tz::Europe::Paris, closes));
        // A missing day is the month's last.
        assert_eq!(
            schedule("2022-08-31", 6).purge_day(),
            "2023-02-28".parse::<NaiveDate>().unwrap()
        );
    }

    #[test]
    fn figures_below_their_floor_are_refused() {
        let raw = |months: u32, exports: u32| RawRetention {
            results_on: "2022-07-08".parse().unwrap(),
            dossiers_months: months,
            exports_days: exports,
            logs_days: 90,
        };
        assert!(raw(12, 7).check().is_ok());
        assert_eq!(
            raw(1, 7).check().unwrap_err().to_string(),
            "`retention.dossiers_months` must be at least 2, got 1"
        );
        assert!(raw(12, 0).check().is_err());
        let time = RawRetention {
            results_on: "2022-07-08T10:00:00".parse().unwrap(),
            ..raw(12, 7)
        };
        assert!(matches!(time.check(), Err(RetentionProblem::NotADay(_))));
    }
}
