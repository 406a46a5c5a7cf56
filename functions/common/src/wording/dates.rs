//! Days and instants in French, as the notice writes them.

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Timelike, Utc, Weekday};
use chrono_tz::Tz;

const MONTHS: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

fn weekday(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "lundi",
        Weekday::Tue => "mardi",
        Weekday::Wed => "mercredi",
        Weekday::Thu => "jeudi",
        Weekday::Fri => "vendredi",
        Weekday::Sat => "samedi",
        Weekday::Sun => "dimanche",
    }
}

fn month(month0: u32) -> &'static str {
    // chrono's `month0` is 0 to 11: the table always has it.
    MONTHS.get(month0 as usize).copied().unwrap_or("?")
}

/// The day of the month as French writes it: « 1er », « 2 », « 31 ».
fn day_number(day: NaiveDate) -> String {
    match day.day() {
        1 => "1er".to_owned(),
        n => n.to_string(),
    }
}

/// A day in French: "jeudi 14 octobre 2021", "mercredi 1er décembre 2021".
pub fn french_date(day: NaiveDate) -> String {
    format!("{} {}", weekday(day.weekday()), birth_date_fr(day))
}

/// A day without its weekday, as a birth date is written: « 3 février
/// 2000 », « 1er mai 1999 ».
pub fn birth_date_fr(day: NaiveDate) -> String {
    format!("{} {} {}", day_number(day), month(day.month0()), day.year())
}

fn french_date_time(local: NaiveDateTime) -> String {
    format!(
        "{} à {} h {:02}",
        french_date(local.date()),
        local.hour(),
        local.minute()
    )
}

/// An instant in French, in the time zone `tz`: "mardi 16 novembre 2021 à
/// 14 h 05". Seconds are dropped (not rounded).
pub fn french_instant(instant: DateTime<Utc>, tz: Tz) -> String {
    french_date_time(instant.with_timezone(&tz).naive_local())
}

/// An instant in French, Paris time: "mardi 16 novembre 2021 à 14 h 05". For
/// emails ("le lien expire le ...").
pub fn to_paris_string(instant: DateTime<Utc>) -> String {
    french_instant(instant, chrono_tz::Europe::Paris)
}

/// An instant in figures, Paris time, as the office's spreadsheet shows it:
/// « 07/11/2021 23:59:59 ».
pub fn paris_figures(instant: DateTime<Utc>) -> String {
    instant
        .with_timezone(&chrono_tz::Europe::Paris)
        .format("%d/%m/%Y %H:%M:%S")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(rfc3339: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(rfc3339)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn french_dates_name_every_month_and_day() {
        let months: Vec<String> = (1..=12).map(|m| french_date(ymd(2022, m, 15))).collect();
        assert_eq!(
            months,
            [
                "samedi 15 janvier 2022",
                "mardi 15 février 2022",
                "mardi 15 mars 2022",
                "vendredi 15 avril 2022",
                "dimanche 15 mai 2022",
                "mercredi 15 juin 2022",
                "vendredi 15 juillet 2022",
                "lundi 15 août 2022",
                "jeudi 15 septembre 2022",
                "samedi 15 octobre 2022",
                "mardi 15 novembre 2022",
                "jeudi 15 décembre 2022",
            ]
        );
        let days: Vec<String> = (10..=16).map(|d| french_date(ymd(2022, 1, d))).collect();
        assert_eq!(
            days,
            [
                "lundi 10 janvier 2022",
                "mardi 11 janvier 2022",
                "mercredi 12 janvier 2022",
                "jeudi 13 janvier 2022",
                "vendredi 14 janvier 2022",
                "samedi 15 janvier 2022",
                "dimanche 16 janvier 2022",
            ]
        );
    }

    #[test]
    fn the_first_of_the_month_is_1er() {
        assert_eq!(french_date(ymd(2021, 12, 1)), "mercredi 1er décembre 2021");
        assert_eq!(birth_date_fr(ymd(1999, 5, 1)), "1er mai 1999");
        assert_eq!(birth_date_fr(ymd(2000, 2, 3)), "3 février 2000");
        assert_eq!(birth_date_fr(ymd(2004, 8, 31)), "31 août 2004");
    }

    #[test]
    fn instants_read_in_french_paris_time() {
        assert_eq!(
            to_paris_string(at("2021-11-16T13:05:00Z")),
            "mardi 16 novembre 2021 à 14 h 05"
        );
        assert_eq!(
            to_paris_string(at("2021-10-14T07:30:59Z")),
            "jeudi 14 octobre 2021 à 9 h 30"
        );
        assert_eq!(
            to_paris_string(at("2021-10-31T22:59:59.999Z")),
            "dimanche 31 octobre 2021 à 23 h 59"
        );
        assert_eq!(
            to_paris_string(at("2021-11-30T23:00:00Z")),
            "mercredi 1er décembre 2021 à 0 h 00"
        );
        assert_eq!(
            french_instant(at("2021-11-16T13:05:00Z"), chrono_tz::America::Cayenne),
            "mardi 16 novembre 2021 à 10 h 05"
        );
    }

    #[test]
    fn figures_are_paris_time_to_the_second() {
        assert_eq!(
            paris_figures(at("2021-11-07T22:59:59.999Z")),
            "07/11/2021 23:59:59"
        );
        assert_eq!(
            paris_figures(at("2021-10-14T07:30:05Z")),
            "14/10/2021 09:30:05"
        );
    }
}
