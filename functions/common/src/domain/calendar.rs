//! The session calendar: when each diploma's registration and documents
//! windows open and close.
//!
//! The notice speaks in calendar days ("du jeudi 14 octobre au dimanche 31
//! octobre 2021"), both ends included, in the académie's time zone. A
//! [`Window`] keeps those days and the two instants they mean: it opens at
//! 00:00:00.000 local time on its first day and closes at 23:59:59.999 local
//! time on its last day, daylight saving time included (31 October 2021 is the
//! CEST → CET change in Paris: a window ending that day closes at
//! `2021-10-31T22:59:59.999Z`).
//!
//! The calendar is data: `infra/sessions/<session>.toml`, embedded in the
//! binary and checked when loaded. Every problem is reported on one line that
//! names the file and what is wrong.
//!
//! Its time zone is one of France's, metropolitan or overseas: the binaries
//! carry only those of the IANA database (`.cargo/config.toml`): the whole
//! database cost each function 0.18 MiB zipped and 225 page faults at each
//! cold start (BENCHMARKS.md, « Session 12 »).

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Deserializer, Serialize};

use super::data_file::{one_line, toml_error_parts, toml_position};
use super::local_day::{end_of_day, start_of_day};
use super::retention::{RawRetention, RetentionProblem, RetentionSchedule};
use super::{Diploma, PerDiploma};
use crate::wording::{french_date, french_instant};

/// The session the local runner and the Lambdas use unless told otherwise.
pub const DEFAULT_SESSION: &str = "2022";

/// The calendars built into the binary: (session, origin shown in errors, text).
const EMBEDDED: &[(&str, &str, &str)] = &[(
    "2022",
    "infra/sessions/2022.toml",
    include_str!("../../../../infra/sessions/2022.toml"),
)];

/// The sessions whose calendar is built into the binary.
pub fn embedded_sessions() -> impl Iterator<Item = &'static str> {
    EMBEDDED.iter().map(|(session, _, _)| *session)
}

// ---------------------------------------------------------------------------
// Windows
// ---------------------------------------------------------------------------

/// Which of a diploma's two windows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum WindowKind {
    /// The pré-inscription on the Internet.
    Registration,
    /// Sending the signed confirmation and the pieces.
    Documents,
}

impl WindowKind {
    pub const ALL: [WindowKind; 2] = [WindowKind::Registration, WindowKind::Documents];

    /// The key used in the data files and in error messages.
    pub fn code(self) -> &'static str {
        match self {
            WindowKind::Registration => "registration",
            WindowKind::Documents => "documents",
        }
    }
}

impl fmt::Display for WindowKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A period of whole calendar days, both ends included, and the instants it
/// spans in the calendar's time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Window {
    /// 00:00:00.000 local time on `first_day`.
    pub opens: DateTime<Utc>,
    /// 23:59:59.999 local time on `last_day`.
    pub closes: DateTime<Utc>,
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
}

impl Window {
    /// The window from the start of `first_day` to the end of `last_day` in
    /// `tz`; `None` when `last_day` comes before `first_day` or a day cannot be
    /// placed in time (beyond chrono's range).
    pub fn from_days(tz: Tz, first_day: NaiveDate, last_day: NaiveDate) -> Option<Self> {
        if last_day < first_day {
            return None;
        }
        Some(Window {
            opens: start_of_day(tz, first_day)?,
            closes: end_of_day(tz, last_day)?,
            first_day,
            last_day,
        })
    }

    /// Open iff `opens <= now <= closes`.
    pub fn is_open(&self, now: DateTime<Utc>) -> bool {
        self.opens <= now && now <= self.closes
    }

    /// True before the window opens.
    pub fn is_upcoming(&self, now: DateTime<Utc>) -> bool {
        now < self.opens
    }

    /// True once the window has closed.
    pub fn has_closed(&self, now: DateTime<Utc>) -> bool {
        now > self.closes
    }

    /// The days in French, as the notice writes them: "du jeudi 14 octobre
    /// 2021 au dimanche 31 octobre 2021" (or "le jeudi 14 octobre 2021" for a
    /// single day).
    pub fn french_range(&self) -> String {
        if self.first_day == self.last_day {
            format!("le {}", french_date(self.first_day))
        } else {
            format!(
                "du {} au {}",
                french_date(self.first_day),
                french_date(self.last_day)
            )
        }
    }
}

/// The registration and documents windows of one diploma.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DiplomaWindows {
    pub registration: Window,
    pub documents: Window,
}

impl DiplomaWindows {
    pub fn get(&self, kind: WindowKind) -> &Window {
        match kind {
            WindowKind::Registration => &self.registration,
            WindowKind::Documents => &self.documents,
        }
    }
}

// ---------------------------------------------------------------------------
// The calendar
// ---------------------------------------------------------------------------

/// One session's calendar: every diploma's windows, in the académie's time zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionCalendar {
    pub session: String,
    pub academie: String,
    pub timezone: Tz,
    /// Where the académie's candidates may post their pieces.
    pub postal_address: PostalAddress,
    /// How long the session's personal data is kept (`[retention]`), when
    /// the file says.
    pub retention: Option<RetentionSchedule>,
    /// Whom candidates may ask (`[help]`), shown by the portal's help page.
    pub help: super::help::HelpDesk,
    /// The académie's data protection officer (`[data_protection_officer]`),
    /// when the file says.
    pub data_protection_officer: Option<super::help::DataProtectionOfficer>,
    windows: PerDiploma<DiplomaWindows>,
}

/// Where candidates may post the signed confirmation and the pieces instead
/// of uploading them (notice, §3): the académie's exams office, as the
/// session file gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostalAddress {
    /// The envelope's lines, in order (« RECTORAT D'AIX-MARSEILLE », ...).
    pub lines: Vec<String>,
    /// What the envelope must also say (« merci de préciser l'intitulé du
    /// diplôme »), if anything.
    pub note: Option<String>,
}

impl PostalAddress {
    /// The lines on one line, for a sentence: « RECTORAT D'AIX-MARSEILLE,
    /// DIEC 3.05, Place Lucien Paye, 13621 Aix-en-Provence cedex 1 ».
    pub fn one_line(&self) -> String {
        self.lines.join(", ")
    }

    /// The address in a sentence, with its note: « RECTORAT ..., 13621
    /// Aix-en-Provence cedex 1 (merci de préciser l'intitulé du diplôme) ».
    pub fn in_a_sentence(&self) -> String {
        match &self.note {
            Some(note) => format!("{} ({note})", self.one_line()),
            None => self.one_line(),
        }
    }

    /// The envelope: one line each, the note last, in brackets.
    pub fn envelope(&self) -> Vec<String> {
        let mut lines = self.lines.clone();
        lines.extend(self.note.iter().map(|note| format!("({note})")));
        lines
    }

    /// How a piece still owed may reach the office, both ways, in French:
    /// « Déposez-la dans « Mes documents » ..., ou envoyez-la par courrier ... ».
    pub fn both_ways_fr(&self) -> String {
        format!(
            "Déposez-la dans votre espace candidat, rubrique « Mes documents », ou envoyez-la par courrier postal (le cachet de la poste faisant foi) à : {}.",
            self.in_a_sentence()
        )
    }
}

impl SessionCalendar {
    /// The calendar of `session` built into the binary.
    pub fn embedded(session: &str) -> Result<Self, CalendarError> {
        let Some((_, origin, text)) = EMBEDDED.iter().find(|(s, _, _)| *s == session) else {
            return Err(CalendarError::UnknownSession {
                session: session.to_owned(),
                known: embedded_sessions().collect::<Vec<_>>().join(", "),
            });
        };
        Self::parse_expecting(text, origin, session)
    }

    /// A calendar read from a TOML file.
    pub fn from_file(path: &Path) -> Result<Self, CalendarError> {
        let origin = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| CalendarError::Read {
            origin: origin.clone(),
            message: e.to_string(),
        })?;
        Self::parse(&text, &origin)
    }

    /// A calendar from TOML text; `origin` names it in error messages
    /// (usually the file's path).
    pub fn parse(text: &str, origin: &str) -> Result<Self, CalendarError> {
        parse_calendar(text).map_err(|problem| CalendarError::Invalid {
            origin: origin.to_owned(),
            problem,
        })
    }

    fn parse_expecting(text: &str, origin: &str, session: &str) -> Result<Self, CalendarError> {
        let calendar = Self::parse(text, origin)?;
        if calendar.session != session {
            return Err(CalendarError::Invalid {
                origin: origin.to_owned(),
                problem: CalendarProblem::SessionMismatch {
                    expected: session.to_owned(),
                    found: calendar.session,
                },
            });
        }
        Ok(calendar)
    }

    /// The windows of diploma `d`.
    pub fn windows(&self, d: Diploma) -> &DiplomaWindows {
        self.windows.get(d)
    }

    /// One window of diploma `d`.
    pub fn window(&self, d: Diploma, kind: WindowKind) -> &Window {
        self.windows(d).get(kind)
    }

    /// Every diploma with its windows, in the order of [`Diploma::ALL`].
    pub fn diplomas(&self) -> impl Iterator<Item = (Diploma, &DiplomaWindows)> + '_ {
        self.windows.iter()
    }

    fn all_windows(&self) -> impl Iterator<Item = &Window> + '_ {
        self.diplomas()
            .flat_map(|(_, w)| [&w.registration, &w.documents])
    }

    /// True while diploma `d`'s registration window is open.
    pub fn registration_open(&self, d: Diploma, now: DateTime<Utc>) -> bool {
        self.windows(d).registration.is_open(now)
    }

    /// True while diploma `d`'s documents window is open.
    pub fn documents_open(&self, d: Diploma, now: DateTime<Utc>) -> bool {
        self.windows(d).documents.is_open(now)
    }

    /// The earliest opening of all windows: when the session starts.
    pub fn first_opening(&self) -> DateTime<Utc> {
        let start = self.windows(Diploma::ALL[0]).registration.opens;
        self.all_windows().map(|w| w.opens).fold(start, Ord::min)
    }

    /// The latest closing of all windows: when the session's inscriptions end.
    pub fn last_closing(&self) -> DateTime<Utc> {
        let start = self.windows(Diploma::ALL[0]).registration.closes;
        self.all_windows().map(|w| w.closes).fold(start, Ord::max)
    }

    /// `instant` as local time in the calendar's time zone, with its offset.
    pub fn local(&self, instant: DateTime<Utc>) -> DateTime<FixedOffset> {
        instant.with_timezone(&self.timezone).fixed_offset()
    }

    /// `instant` in French in the calendar's time zone: "mardi 16 novembre
    /// 2021 à 14 h 05".
    pub fn format_instant(&self, instant: DateTime<Utc>) -> String {
        french_instant(instant, self.timezone)
    }

    /// What `GET /calendar` answers at `now`.
    pub fn view(&self, now: DateTime<Utc>) -> CalendarView {
        let window = |w: &Window| WindowView {
            opens: self.local(w.opens),
            closes: self.local(w.closes),
            open: w.is_open(now),
        };
        CalendarView {
            session: self.session.clone(),
            timezone: self.timezone.name().to_owned(),
            now: self.local(now),
            diplomas: self
                .diplomas()
                .map(|(diploma, w)| DiplomaWindowsView {
                    diploma,
                    registration: window(&w.registration),
                    documents: window(&w.documents),
                })
                .collect(),
        }
    }
}

// ---------------------------------------------------------------------------
// The view served at GET /calendar
// ---------------------------------------------------------------------------

/// The session calendar as `GET /calendar` answers it. Instants carry the
/// calendar's local offset (`2021-10-14T00:00:00+02:00`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CalendarView {
    /// The exam session, e.g. "2022".
    #[schema(example = "2022")]
    pub session: String,
    /// The IANA time zone the notice's days are read in.
    #[schema(example = "Europe/Paris")]
    pub timezone: String,
    /// The instant the answer was computed at, in that time zone.
    pub now: DateTime<FixedOffset>,
    /// Every diploma, in the order BAC_PRO, MC, BP, CAP.
    pub diplomas: Vec<DiplomaWindowsView>,
}

/// One diploma's windows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct DiplomaWindowsView {
    pub diploma: Diploma,
    /// The pré-inscription on the Internet.
    pub registration: WindowView,
    /// Sending the signed confirmation and the pieces.
    pub documents: WindowView,
}

/// One window: both ends included.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct WindowView {
    /// 00:00:00 local time on the first day.
    pub opens: DateTime<FixedOffset>,
    /// 23:59:59.999 local time on the last day.
    pub closes: DateTime<FixedOffset>,
    /// Whether `now` lies within the window.
    pub open: bool,
}

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

/// Why a calendar could not be loaded. Every message is one line that names
/// the file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("no embedded calendar for session `{session}` (embedded sessions: {known})")]
    UnknownSession { session: String, known: String },
    #[error("{origin}: cannot read the file: {message}")]
    Read { origin: String, message: String },
    // The problem may quote the file's own text: kept on one line.
    #[error("{origin}: {}", one_line(problem))]
    Invalid {
        origin: String,
        problem: CalendarProblem,
    },
}

/// What is wrong inside a calendar file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarProblem {
    #[error("{0}")]
    Retention(RetentionProblem),
    #[error(transparent)]
    Help(#[from] super::help::HelpProblem),
    #[error("invalid TOML{}: {message}", toml_position(*line, *column))]
    Syntax {
        line: Option<usize>,
        column: Option<usize>,
        message: String,
    },
    #[error("`{field}` must not be empty")]
    EmptyField { field: &'static str },
    #[error("`postal_address.lines` must hold at least one line, none empty")]
    EmptyPostalAddress,
    #[error("the file describes session `{found}`, not `{expected}`")]
    SessionMismatch { expected: String, found: String },
    #[error(
        "unknown timezone `{timezone}` (expected the IANA name of one of France's, such as \
         Europe/Paris or Indian/Reunion: the binaries carry no other, .cargo/config.toml)"
    )]
    UnknownTimezone { timezone: String },
    #[error(
        "unknown diploma code `{code}` (expected {})",
        Diploma::codes_listed("or")
    )]
    UnknownDiploma { code: String },
    #[error(
        "diploma {diploma} is missing (each of {} needs its windows)",
        Diploma::codes_listed("and")
    )]
    MissingDiploma { diploma: Diploma },
    #[error("diploma {diploma}: {window} window ends ({last_day}) before it starts ({first_day})")]
    WindowEndsBeforeStart {
        diploma: Diploma,
        window: WindowKind,
        first_day: NaiveDate,
        last_day: NaiveDate,
    },
    #[error(
        "diploma {diploma}: documents window opens ({documents_first_day}) before the registration window ({registration_first_day})"
    )]
    DocumentsBeforeRegistration {
        diploma: Diploma,
        documents_first_day: NaiveDate,
        registration_first_day: NaiveDate,
    },
    #[error("diploma {diploma}: {window} window: {first_day} to {last_day} cannot be placed in time zone {timezone}")]
    OutOfRange {
        diploma: Diploma,
        window: WindowKind,
        first_day: NaiveDate,
        last_day: NaiveDate,
        timezone: String,
    },
}

// ---------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCalendar {
    session: String,
    academie: String,
    timezone: String,
    postal_address: RawPostalAddress,
    /// The retention schedule (`domain::retention`); a session file without
    /// one loads, but its session cannot be purged.
    #[serde(default)]
    retention: Option<RawRetention>,
    #[serde(default)]
    help: super::help::RawHelpDesk,
    #[serde(default)]
    data_protection_officer: Option<super::help::RawDataProtectionOfficer>,
    diplomas: BTreeMap<String, RawDiploma>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPostalAddress {
    lines: Vec<String>,
    note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDiploma {
    registration: RawWindow,
    documents: RawWindow,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWindow {
    #[serde(deserialize_with = "calendar_day")]
    first_day: NaiveDate,
    #[serde(deserialize_with = "calendar_day")]
    last_day: NaiveDate,
}

/// A TOML local date (`2021-10-14`), or a string holding one.
fn calendar_day<'de, D: Deserializer<'de>>(deserializer: D) -> Result<NaiveDate, D::Error> {
    use serde::de::Error;

    let value = toml::Value::deserialize(deserializer)?;
    let day = match &value {
        toml::Value::Datetime(toml::value::Datetime {
            date: Some(date),
            time: None,
            offset: None,
        }) => NaiveDate::from_ymd_opt(
            i32::from(date.year),
            u32::from(date.month),
            u32::from(date.day),
        ),
        toml::Value::String(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d").ok(),
        _ => None,
    };
    day.ok_or_else(|| {
        D::Error::custom(format!(
            "expected a calendar day such as 2021-10-14, found `{value}`"
        ))
    })
}

fn parse_calendar(text: &str) -> Result<SessionCalendar, CalendarProblem> {
    let raw: RawCalendar = toml::from_str(text).map_err(|e| {
        let (line, column, message) = toml_error_parts(text, &e);
        CalendarProblem::Syntax {
            line,
            column,
            message,
        }
    })?;

    for (field, value) in [("session", &raw.session), ("academie", &raw.academie)] {
        if value.trim().is_empty() {
            return Err(CalendarProblem::EmptyField { field });
        }
    }
    let lines: Vec<String> = raw
        .postal_address
        .lines
        .iter()
        .map(|line| line.trim().to_owned())
        .collect();
    if lines.is_empty() || lines.iter().any(String::is_empty) {
        return Err(CalendarProblem::EmptyPostalAddress);
    }
    let postal_address = PostalAddress {
        lines,
        note: raw
            .postal_address
            .note
            .map(|note| note.trim().to_owned())
            .filter(|note| !note.is_empty()),
    };
    let timezone: Tz = raw
        .timezone
        .parse()
        .map_err(|_| CalendarProblem::UnknownTimezone {
            timezone: raw.timezone.clone(),
        })?;

    let mut diplomas = BTreeMap::new();
    for (code, windows) in &raw.diplomas {
        let diploma: Diploma = code
            .parse()
            .map_err(|_| CalendarProblem::UnknownDiploma { code: code.clone() })?;
        diplomas.insert(diploma, windows);
    }
    let build = |diploma: Diploma| -> Result<DiplomaWindows, CalendarProblem> {
        let raw = diplomas
            .get(&diploma)
            .ok_or(CalendarProblem::MissingDiploma { diploma })?;
        let window = |kind: WindowKind, w: &RawWindow| {
            if w.last_day < w.first_day {
                return Err(CalendarProblem::WindowEndsBeforeStart {
                    diploma,
                    window: kind,
                    first_day: w.first_day,
                    last_day: w.last_day,
                });
            }
            Window::from_days(timezone, w.first_day, w.last_day).ok_or_else(|| {
                CalendarProblem::OutOfRange {
                    diploma,
                    window: kind,
                    first_day: w.first_day,
                    last_day: w.last_day,
                    timezone: timezone.name().to_owned(),
                }
            })
        };
        let registration = window(WindowKind::Registration, &raw.registration)?;
        let documents = window(WindowKind::Documents, &raw.documents)?;
        if documents.first_day < registration.first_day {
            return Err(CalendarProblem::DocumentsBeforeRegistration {
                diploma,
                documents_first_day: documents.first_day,
                registration_first_day: registration.first_day,
            });
        }
        Ok(DiplomaWindows {
            registration,
            documents,
        })
    };

    let windows = PerDiploma::try_from_fn(build)?;
    let retention = raw
        .retention
        .map(RawRetention::check)
        .transpose()
        .map_err(CalendarProblem::Retention)?;
    let help = raw.help.check()?;
    let data_protection_officer = raw
        .data_protection_officer
        .map(super::help::RawDataProtectionOfficer::check)
        .transpose()?;
    Ok(SessionCalendar {
        session: raw.session,
        academie: raw.academie,
        timezone,
        postal_address,
        retention,
        help,
        data_protection_officer,
        windows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    const ORIGIN: &str = "infra/sessions/2022.toml";

    fn at(rfc3339: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(rfc3339)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn calendar() -> SessionCalendar {
        SessionCalendar::embedded("2022").unwrap()
    }

    fn ms(n: i64) -> TimeDelta {
        TimeDelta::milliseconds(n)
    }

    fn embedded_text() -> &'static str {
        EMBEDDED[0].2
    }

    fn error_of(text: &str) -> String {
        let message = SessionCalendar::parse(text, ORIGIN)
            .unwrap_err()
            .to_string();
        assert!(!message.contains('\n'), "not one line: {message}");
        assert!(
            message.starts_with(ORIGIN),
            "does not name the file: {message}"
        );
        message
    }

    /// Every window of the notice, its days and its instants in UTC, written
    /// out by hand (CEST is +02:00 until 31 October 2021 03:00, then CET +01:00).
    #[rustfmt::skip]
    const EXPECTED: [(Diploma, WindowKind, &str, &str, &str, &str); 8] = [
        (Diploma::BacPro, WindowKind::Registration, "2021-10-14", "2021-10-31", "2021-10-13T22:00:00Z", "2021-10-31T22:59:59.999Z"),
        (Diploma::BacPro, WindowKind::Documents, "2021-10-25", "2021-11-07", "2021-10-24T22:00:00Z", "2021-11-07T22:59:59.999Z"),
        (Diploma::Mc, WindowKind::Registration, "2021-10-14", "2021-10-31", "2021-10-13T22:00:00Z", "2021-10-31T22:59:59.999Z"),
        (Diploma::Mc, WindowKind::Documents, "2021-10-25", "2021-11-07", "2021-10-24T22:00:00Z", "2021-11-07T22:59:59.999Z"),
        (Diploma::Bp, WindowKind::Registration, "2021-10-18", "2021-11-12", "2021-10-17T22:00:00Z", "2021-11-12T22:59:59.999Z"),
        (Diploma::Bp, WindowKind::Documents, "2021-11-08", "2021-11-21", "2021-11-07T23:00:00Z", "2021-11-21T22:59:59.999Z"),
        (Diploma::Cap, WindowKind::Registration, "2021-11-19", "2021-12-08", "2021-11-18T23:00:00Z", "2021-12-08T22:59:59.999Z"),
        (Diploma::Cap, WindowKind::Documents, "2021-12-01", "2021-12-22", "2021-11-30T23:00:00Z", "2021-12-22T22:59:59.999Z"),
    ];

    #[test]
    fn the_embedded_calendar_is_the_notice() {
        let c = calendar();
        assert_eq!(c.session, "2022");
        assert_eq!(c.academie, "Aix-Marseille");
        assert_eq!(c.timezone, chrono_tz::Europe::Paris);
        for (d, kind, first, last, opens, closes) in EXPECTED {
            let w = c.window(d, kind);
            assert_eq!(w.first_day, day(first), "{d} {kind}");
            assert_eq!(w.last_day, day(last), "{d} {kind}");
            assert_eq!(w.opens, at(opens), "{d} {kind}");
            assert_eq!(w.closes, at(closes), "{d} {kind}");
        }
    }

    #[test]
    fn every_window_is_open_exactly_between_its_edges() {
        let c = calendar();
        for (d, kind, _, _, opens, closes) in EXPECTED {
            let w = c.window(d, kind);
            let (opens, closes) = (at(opens), at(closes));
            assert!(
                !w.is_open(opens - ms(1)),
                "{d} {kind}: open 1 ms before opening"
            );
            assert!(w.is_upcoming(opens - ms(1)), "{d} {kind}");
            assert!(
                w.is_open(opens),
                "{d} {kind}: closed at the opening instant"
            );
            assert!(!w.is_upcoming(opens), "{d} {kind}");
            assert!(
                w.is_open(closes),
                "{d} {kind}: closed at the closing instant"
            );
            assert!(!w.has_closed(closes), "{d} {kind}");
            assert!(
                !w.is_open(closes + ms(1)),
                "{d} {kind}: open 1 ms after closing"
            );
            assert!(w.has_closed(closes + ms(1)), "{d} {kind}");
            let open = match kind {
                WindowKind::Registration => SessionCalendar::registration_open,
                WindowKind::Documents => SessionCalendar::documents_open,
            };
            assert!(!open(&c, d, opens - ms(1)));
            assert!(open(&c, d, opens));
            assert!(open(&c, d, closes));
            assert!(!open(&c, d, closes + ms(1)));
        }
    }

    #[test]
    fn bac_pro_and_mc_share_their_windows() {
        let c = calendar();
        assert_eq!(c.windows(Diploma::BacPro), c.windows(Diploma::Mc));
    }

    #[test]
    fn the_31_october_window_closes_at_the_end_of_the_cet_day() {
        // 31 October 2021: CEST (+02:00) until 03:00, then CET (+01:00), so the
        // day is 25 hours long and ends at 23:00 UTC.
        let w = calendar().windows(Diploma::BacPro).registration;
        assert_eq!(w.closes, at("2021-10-31T22:59:59.999Z"));
        assert_eq!(w.closes, at("2021-10-31T23:59:59.999+01:00"));
        // Still open at 23:30 Paris time (22:30 UTC), which an offset of +02:00
        // would wrongly have closed.
        assert!(w.is_open(at("2021-10-31T22:30:00Z")));
        assert!(w.is_open(at("2021-10-31T21:59:59.999Z")));
        assert!(!w.is_open(at("2021-10-31T23:00:00Z")));
        assert!(!w.is_open(at("2021-11-01T00:00:00+01:00")));
    }

    #[test]
    fn the_25_october_window_opens_at_midnight_cest() {
        let w = calendar().windows(Diploma::BacPro).documents;
        assert_eq!(w.opens, at("2021-10-24T22:00:00Z"));
        assert_eq!(w.opens, at("2021-10-25T00:00:00+02:00"));
        assert!(!w.is_open(at("2021-10-24T21:59:59.999Z")));
        assert!(w.is_open(at("2021-10-24T22:00:00Z")));
        // ... and closes after the change, at midnight CET on 7/8 November.
        assert_eq!(w.closes, at("2021-11-07T23:59:59.999+01:00"));
    }

    #[test]
    fn days_on_both_sides_of_the_change_have_the_right_length() {
        let paris = chrono_tz::Europe::Paris;
        let length = |d: &str| {
            end_of_day(paris, day(d)).unwrap() - start_of_day(paris, day(d)).unwrap() + ms(1)
        };
        assert_eq!(length("2021-10-30"), TimeDelta::hours(24));
        assert_eq!(length("2021-10-31"), TimeDelta::hours(25));
        assert_eq!(length("2021-11-01"), TimeDelta::hours(24));
        assert_eq!(length("2021-03-28"), TimeDelta::hours(23));
    }

    #[test]
    fn a_missing_midnight_starts_the_day_when_the_clock_allows() {
        // Havana moved from 00:00 to 01:00 on 14 March 2021 (CST -5 → CDT -4).
        let havana = chrono_tz::America::Havana;
        assert_eq!(
            start_of_day(havana, day("2021-03-14")),
            Some(at("2021-03-14T01:00:00-04:00"))
        );
        assert_eq!(
            end_of_day(havana, day("2021-03-13")),
            Some(at("2021-03-14T04:59:59.999Z"))
        );
        // Samoa skipped 30 December 2011 entirely: that day "starts" when
        // 31 December does.
        let apia = chrono_tz::Pacific::Apia;
        assert_eq!(
            start_of_day(apia, day("2011-12-30")),
            start_of_day(apia, day("2011-12-31"))
        );
    }

    #[test]
    fn a_twice_happening_midnight_starts_the_day_at_the_first() {
        // Havana went back from 01:00 CDT to 00:00 CST on 7 November 2021.
        let havana = chrono_tz::America::Havana;
        assert_eq!(
            start_of_day(havana, day("2021-11-07")),
            Some(at("2021-11-07T00:00:00-04:00"))
        );
        assert_eq!(
            end_of_day(havana, day("2021-11-06")),
            Some(at("2021-11-07T03:59:59.999Z"))
        );
    }

    #[test]
    fn the_edges_of_chronos_range_give_none_not_a_panic() {
        let paris = chrono_tz::Europe::Paris;
        assert_eq!(end_of_day(paris, NaiveDate::MAX), None);
        assert_eq!(
            Window::from_days(paris, NaiveDate::MAX, NaiveDate::MAX),
            None
        );
        assert_eq!(
            Window::from_days(paris, day("2021-10-02"), day("2021-10-01")),
            None
        );
    }

    #[test]
    fn first_opening_and_last_closing_span_the_session() {
        let c = calendar();
        assert_eq!(c.first_opening(), at("2021-10-14T00:00:00+02:00"));
        assert_eq!(c.last_closing(), at("2021-12-22T23:59:59.999+01:00"));
    }

    #[test]
    fn french_ranges_read_like_the_notice() {
        let c = calendar();
        let range = |d, kind| c.window(d, kind).french_range();
        assert_eq!(
            range(Diploma::BacPro, WindowKind::Registration),
            "du jeudi 14 octobre 2021 au dimanche 31 octobre 2021"
        );
        assert_eq!(
            range(Diploma::BacPro, WindowKind::Documents),
            "du lundi 25 octobre 2021 au dimanche 7 novembre 2021"
        );
        assert_eq!(
            range(Diploma::Bp, WindowKind::Registration),
            "du lundi 18 octobre 2021 au vendredi 12 novembre 2021"
        );
        assert_eq!(
            range(Diploma::Bp, WindowKind::Documents),
            "du lundi 8 novembre 2021 au dimanche 21 novembre 2021"
        );
        assert_eq!(
            range(Diploma::Cap, WindowKind::Registration),
            "du vendredi 19 novembre 2021 au mercredi 8 décembre 2021"
        );
        assert_eq!(
            range(Diploma::Cap, WindowKind::Documents),
            "du mercredi 1er décembre 2021 au mercredi 22 décembre 2021"
        );
        let single = Window::from_days(
            chrono_tz::Europe::Paris,
            day("2022-02-01"),
            day("2022-02-01"),
        );
        assert_eq!(single.unwrap().french_range(), "le mardi 1er février 2022");
    }

    #[test]
    fn instants_read_in_french_in_the_calendars_time_zone() {
        let c = calendar();
        assert_eq!(
            c.format_instant(at("2021-11-16T13:05:00Z")),
            "mardi 16 novembre 2021 à 14 h 05"
        );
    }

    #[test]
    fn the_view_carries_paris_offsets_in_diploma_order() {
        let c = calendar();
        let now = at("2021-10-31T22:30:00Z");
        let json = serde_json::to_value(c.view(now)).unwrap();
        assert_eq!(json["session"], "2022");
        assert_eq!(json["timezone"], "Europe/Paris");
        assert_eq!(json["now"], "2021-10-31T23:30:00+01:00");
        let diplomas = json["diplomas"].as_array().unwrap();
        let codes: Vec<&str> = diplomas
            .iter()
            .map(|d| d["diploma"].as_str().unwrap())
            .collect();
        assert_eq!(codes, ["BAC_PRO", "MC", "BP", "CAP"]);
        let bac_pro = &diplomas[0];
        assert_eq!(
            bac_pro["registration"],
            serde_json::json!({
                "opens": "2021-10-14T00:00:00+02:00",
                "closes": "2021-10-31T23:59:59.999+01:00",
                "open": true,
            })
        );
        assert_eq!(
            bac_pro["documents"],
            serde_json::json!({
                "opens": "2021-10-25T00:00:00+02:00",
                "closes": "2021-11-07T23:59:59.999+01:00",
                "open": true,
            })
        );
        assert_eq!(
            diplomas[3]["registration"]["opens"],
            "2021-11-19T00:00:00+01:00"
        );
        assert_eq!(diplomas[3]["registration"]["open"], false);
        assert_eq!(diplomas[2]["registration"]["open"], true);
        assert_eq!(diplomas[2]["documents"]["open"], false);
    }

    #[test]
    fn the_view_has_an_openapi_schema() {
        use utoipa::PartialSchema;
        let schema = serde_json::to_value(CalendarView::schema()).unwrap();
        let text = schema.to_string();
        for field in ["session", "timezone", "now", "diplomas"] {
            assert!(text.contains(field), "{field} missing from {text}");
        }
    }

    // --- loading and errors ------------------------------------------------

    #[test]
    fn embedded_knows_2022_only() {
        assert_eq!(embedded_sessions().collect::<Vec<_>>(), ["2022"]);
        assert_eq!(DEFAULT_SESSION, "2022");
        let e = SessionCalendar::embedded("2023").unwrap_err().to_string();
        assert_eq!(
            e,
            "no embedded calendar for session `2023` (embedded sessions: 2022)"
        );
    }

    #[test]
    fn an_embedded_file_must_describe_its_session() {
        let e = SessionCalendar::parse_expecting(embedded_text(), ORIGIN, "2023")
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "infra/sessions/2022.toml: the file describes session `2022`, not `2023`"
        );
    }

    #[test]
    fn from_file_reads_the_file_and_names_it() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../infra/sessions/2022.toml");
        let c = SessionCalendar::from_file(&path).unwrap();
        assert_eq!(c, calendar());

        let missing = Path::new("/nonexistent/examreg/2099.toml");
        let e = SessionCalendar::from_file(missing).unwrap_err().to_string();
        assert!(
            e.starts_with("/nonexistent/examreg/2099.toml: cannot read the file: "),
            "{e}"
        );
        assert!(!e.contains('\n'));
    }

    #[test]
    fn a_toml_syntax_error_gives_its_line_and_column() {
        let text =
            embedded_text().replace("academie = \"Aix-Marseille\"", "academie = \"Aix-Marseille");
        let e = error_of(&text);
        let line = embedded_text()
            .lines()
            .position(|l| l.starts_with("academie"))
            .unwrap()
            + 1;
        assert!(
            e.starts_with(&format!("{ORIGIN}: invalid TOML at line {line}, column ")),
            "{e}"
        );
    }

    #[test]
    fn a_missing_field_is_reported() {
        let text = embedded_text().replace("academie = \"Aix-Marseille\"\n", "");
        let e = error_of(&text);
        assert!(e.contains("invalid TOML"), "{e}");
        assert!(e.contains("academie"), "{e}");
    }

    #[test]
    fn an_unknown_field_is_reported() {
        let text = embedded_text().replace(
            "registration = { first_day = 2021-10-14",
            "registraton = { first_day = 2021-10-14",
        );
        let e = error_of(&text);
        assert!(e.contains("invalid TOML at line"), "{e}");
        assert!(e.contains("registraton"), "{e}");
    }

    #[test]
    fn a_day_with_a_time_is_rejected_with_its_line() {
        let text =
            embedded_text().replace("last_day = 2021-12-22", "last_day = 2021-12-22T12:00:00");
        let e = error_of(&text);
        let line = embedded_text()
            .lines()
            .position(|l| l.contains("2021-12-22"))
            .unwrap()
            + 1;
        assert!(
            e.contains(&format!("invalid TOML at line {line}, column")),
            "{e}"
        );
        assert!(
            e.contains("expected a calendar day such as 2021-10-14"),
            "{e}"
        );
    }

    #[test]
    fn a_day_may_also_be_a_string() {
        let text = embedded_text().replace("last_day = 2021-12-22", "last_day = \"2021-12-22\"");
        assert_eq!(SessionCalendar::parse(&text, ORIGIN).unwrap(), calendar());
        let text = embedded_text().replace("last_day = 2021-12-22", "last_day = \"22/12/2021\"");
        assert!(error_of(&text).contains("found `\"22/12/2021\"`"));
    }

    #[test]
    fn an_unknown_timezone_is_reported() {
        let text = embedded_text().replace("Europe/Paris", "Europe/Pariss");
        assert_eq!(
            error_of(&text),
            "infra/sessions/2022.toml: unknown timezone `Europe/Pariss` (expected the IANA name \
             of one of France's, such as Europe/Paris or Indian/Reunion: the binaries carry no \
             other, .cargo/config.toml)"
        );
    }

    #[test]
    fn the_time_zones_of_frances_academies_are_known_and_no_other() {
        for zone in [
            "Europe/Paris",
            "America/Guadeloupe",
            "America/Martinique",
            "America/Cayenne",
            "America/Miquelon",
            "America/St_Barthelemy",
            "America/Marigot",
            "Indian/Reunion",
            "Indian/Mayotte",
            "Pacific/Noumea",
            "Pacific/Tahiti",
            "Pacific/Marquesas",
            "Pacific/Gambier",
            "Pacific/Wallis",
        ] {
            let text = embedded_text().replace("Europe/Paris", zone);
            let calendar = parse_calendar(&text).unwrap_or_else(|e| panic!("{zone}: {e}"));
            assert_eq!(calendar.timezone.name(), zone);
        }
        // Cut from the database at build time: a calendar naming one is refused.
        let text = embedded_text().replace("Europe/Paris", "Asia/Tokyo");
        assert!(error_of(&text).contains("unknown timezone `Asia/Tokyo`"));
    }

    #[test]
    fn an_empty_academie_is_reported() {
        let text = embedded_text().replace("\"Aix-Marseille\"", "\" \"");
        assert_eq!(
            error_of(&text),
            "infra/sessions/2022.toml: `academie` must not be empty"
        );
    }

    #[test]
    fn the_postal_address_is_the_notices_and_must_have_lines() {
        let address = calendar().postal_address;
        assert_eq!(
            address.in_a_sentence(),
            "RECTORAT D'AIX-MARSEILLE, DIEC 3.05, Place Lucien Paye, 13621 Aix-en-Provence cedex 1 (merci de préciser l'intitulé du diplôme)"
        );
        let start = embedded_text().find("lines = [").unwrap();
        let end = embedded_text()[start..].find(']').unwrap() + start + 1;
        let mut text = embedded_text().to_owned();
        text.replace_range(start..end, "lines = [\"RECTORAT\", \"  \"]");
        assert_eq!(
            error_of(&text),
            "infra/sessions/2022.toml: `postal_address.lines` must hold at least one line, none empty"
        );
        assert_eq!(
            calendar()
                .postal_address
                .envelope()
                .last()
                .map(String::as_str),
            Some("(merci de préciser l'intitulé du diplôme)")
        );
        assert!(calendar()
            .postal_address
            .both_ways_fr()
            .starts_with("Déposez-la dans votre espace candidat, rubrique « Mes documents », ou envoyez-la par courrier postal (le cachet de la poste faisant foi) à : RECTORAT D'AIX-MARSEILLE, DIEC 3.05,"));
        text = embedded_text().replace("[postal_address]", "[elsewhere]");
        assert!(
            error_of(&text).contains("postal_address"),
            "{}",
            error_of(&text)
        );
    }

    #[test]
    fn a_missing_diploma_is_reported() {
        let start = embedded_text().find("[diplomas.BP]").unwrap();
        let end = embedded_text().find("# CAP:").unwrap();
        let mut text = embedded_text().to_owned();
        text.replace_range(start..end, "");
        assert_eq!(
            error_of(&text),
            "infra/sessions/2022.toml: diploma BP is missing (each of BAC_PRO, MC, BP and CAP needs its windows)"
        );
    }

    #[test]
    fn an_unknown_diploma_is_reported() {
        let text = format!(
            "{}\n[diplomas.BTS]\nregistration = {{ first_day = 2021-10-14, last_day = 2021-10-31 }}\ndocuments = {{ first_day = 2021-10-25, last_day = 2021-11-07 }}\n",
            embedded_text()
        );
        assert_eq!(
            error_of(&text),
            "infra/sessions/2022.toml: unknown diploma code `BTS` (expected BAC_PRO, MC, BP or CAP)"
        );
    }

    #[test]
    fn a_window_ending_before_it_starts_is_reported() {
        let text = embedded_text().replace(
            "documents = { first_day = 2021-12-01, last_day = 2021-12-22 }",
            "documents = { first_day = 2021-12-22, last_day = 2021-12-01 }",
        );
        assert_eq!(
            error_of(&text),
            "infra/sessions/2022.toml: diploma CAP: documents window ends (2021-12-01) before it starts (2021-12-22)"
        );
        let text = embedded_text().replace(
            "registration = { first_day = 2021-10-18, last_day = 2021-11-12 }",
            "registration = { first_day = 2021-10-18, last_day = 2021-10-17 }",
        );
        assert_eq!(
            error_of(&text),
            "infra/sessions/2022.toml: diploma BP: registration window ends (2021-10-17) before it starts (2021-10-18)"
        );
    }

    #[test]
    fn documents_opening_before_registration_is_reported() {
        let text = embedded_text().replace(
            "documents = { first_day = 2021-11-08, last_day = 2021-11-21 }",
            "documents = { first_day = 2021-10-17, last_day = 2021-11-21 }",
        );
        assert_eq!(
            error_of(&text),
            "infra/sessions/2022.toml: diploma BP: documents window opens (2021-10-17) before the registration window (2021-10-18)"
        );
    }

    #[test]
    fn a_day_chrono_cannot_place_is_reported_not_a_panic() {
        // TOML dates stop at year 9999; a string can go to chrono's last day,
        // whose end (the next day's start) does not exist.
        let text = embedded_text().replace("last_day = 2021-12-22", "last_day = \"+262142-12-31\"");
        assert_eq!(
            error_of(&text),
            "infra/sessions/2022.toml: diploma CAP: documents window: 2021-12-01 to +262142-12-31 cannot be placed in time zone Europe/Paris"
        );
    }
}
