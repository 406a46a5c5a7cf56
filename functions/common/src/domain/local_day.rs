//! The bounds of a local day in a time zone, across clock changes: what the
//! calendar's windows and the retention schedule's dates are made of. Pure.

use chrono::offset::LocalResult;
use chrono::{DateTime, NaiveDate, NaiveTime, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;

/// The first instant of `day` in `tz`: local midnight, or, when midnight does
/// not exist that day (a clock change at midnight), the first local time that
/// does. When midnight happens twice, the earlier one. `None` only at the
/// edges of chrono's range.
pub fn start_of_day(tz: Tz, day: NaiveDate) -> Option<DateTime<Utc>> {
    let midnight = day.and_time(NaiveTime::MIN);
    match tz.from_local_datetime(&midnight) {
        LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
        LocalResult::Ambiguous(a, b) => Some(a.min(b).with_timezone(&Utc)),
        // A gap: walk to its end. Gaps end on a whole local minute and last at
        // most a day (Samoa skipped 30 December 2011), hence 48 hours.
        LocalResult::None => (1..=48 * 60).find_map(|minutes| {
            let local = midnight.checked_add_signed(TimeDelta::try_minutes(minutes)?)?;
            tz.from_local_datetime(&local)
                .earliest()
                .map(|t| t.with_timezone(&Utc))
        }),
    }
}

/// The last millisecond of `day` in `tz` (23:59:59.999 local time): one
/// millisecond before the next day starts, so that consecutive days neither
/// overlap nor leave a gap, even across a clock change.
pub fn end_of_day(tz: Tz, day: NaiveDate) -> Option<DateTime<Utc>> {
    let next = start_of_day(tz, day.succ_opt()?)?;
    next.checked_sub_signed(TimeDelta::milliseconds(1))
}
