//! What every check of the inscription shares: the context validation runs
//! in, the errors it collects, the outcome of the specialty's check (which
//! the acquis depend on) and what counts as blank.

use chrono::NaiveDate;

use crate::domain::catalogue::{Catalogue, Specialty};
use crate::domain::validation::FieldError;

/// What validation needs besides the input.
#[derive(Clone, Copy, Debug)]
pub struct ValidationContext<'a> {
    pub catalogue: &'a Catalogue,
    /// The session's year, e.g. 2022.
    pub session_year: i32,
    /// Today's date in Europe/Paris.
    pub today: NaiveDate,
}

/// Collects field errors; every `check_*` returns `None` only after pushing one.
pub(super) struct Errors(pub(super) Vec<FieldError>);

impl Errors {
    pub(super) fn push(&mut self, field: &str, code: &str, message: impl Into<String>) {
        self.0.push(FieldError::new(field, code, message));
    }
}

#[derive(Clone, Copy)]
pub(super) enum SpecialtyCheck<'a> {
    Found(&'a Specialty),
    /// Not checked because the diploma is not known (its error is reported).
    Unchecked,
    Invalid,
}

/// `Some(s)` when `s` has something else than whitespace.
pub(super) fn non_blank(raw: Option<&str>) -> Option<&str> {
    raw.filter(|s| !s.trim().is_empty())
}
