//! The inscription: what `PUT /inscription` takes ([`InscriptionInput`]),
//! its validation into the normalised, typed data that is stored and
//! returned ([`ValidInscription`]), and the summary of what changed that the
//! « Modification d'inscription » email carries.
//!
//! Pure: no I/O and no clock read; `today` comes in a [`ValidationContext`].
//!
//! One file per concern: [`input`] (what the API takes), [`data`] (the valid
//! data), [`context`], [`check`], [`identity`], [`acquis`] and [`options`] (validation),
//! [`changes`] (what changed, in French).

mod acquis;
mod changes;
mod check;
mod context;
mod data;
mod identity;
mod input;
mod options;

// The items the rest of the crate, its tests and examples use.
pub use changes::{change_summary_fr, changed_fields, changes_nothing, format_phone_fr};
pub use check::validate;
pub use context::ValidationContext;
pub use data::{
    accommodation_request_url, Acquis, AcquisKind, Address, Disability, Identity, InscriptionData,
    OptionChoice, ValidInscription,
};
pub use input::{
    AcquisInput, AddressInput, DisabilityInput, IdentityInput, InscriptionInput, OptionInput,
};
pub use options::describe_option;

/// Where a candidate asks for a new accommodation of the exams (notice,
/// section 4, « Candidats en situation de handicap »).
pub const ACCOMMODATION_REQUEST_URL: &str = "https://appli.ac-aix-marseille.fr/amex/";

/// A candidate is at least this old on the day they register...
pub const MIN_AGE: i32 = 14;
/// ...and at most this old.
pub const MAX_AGE: i32 = 100;
/// The lowest grade a benefit keeps (« bénéfice de note » needs 10/20).
pub const MIN_BENEFIT_GRADE: f64 = 10.0;
/// The highest grade there is.
pub const MAX_GRADE: f64 = 20.0;
/// A benefit comes from one of this many sessions before the current one.
pub const BENEFIT_SESSIONS: i32 = 5;
/// The earliest year a diploma giving a dispense may have been obtained.
pub const FIRST_DISPENSE_YEAR: i32 = 1950;

#[cfg(test)]
pub(crate) mod tests;
