//! French wording written once: dates and instants, HTML escaping, « oui » /
//! « non », elision, lists. Everything a candidate or the office reads goes
//! through these rather than through a local copy, so that a date reads the
//! same in an email, the confirmation PDF, an API message and the portal.
//!
//! This module is a leaf: it knows text and time, not the domain. The labels
//! of the domain's own values (a status, a piece, a diploma) are methods of
//! their types, beside the variants they name.

pub mod dates;
pub mod html;
pub mod text;

pub use dates::{birth_date_fr, french_date, french_instant, to_paris_string};
pub use html::escape_html;
pub use text::{de, enumerate, yes_no};
