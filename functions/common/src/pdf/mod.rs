//! The « confirmation d'inscription » a candidate prints, checks, dates and
//! signs (`GET /inscription/confirmation.pdf`).
//!
//! [`render_confirmation`] is a pure function of [`ConfirmationDocument`]:
//! the caller formats every date in Paris time and every label in French, this
//! module only lays them out on A4 pages. The same input always gives the same
//! bytes: no clock, no random identifier (the document identifier, and so
//! the trailer `/ID` and the XMP's, derive from the input; no creation date).
//!
//! An accessible PDF (PDF/UA-1, issue #19), written with krilla (without its
//! default features: the layout places every glyph itself, so neither text
//! shaping nor raster images are linked). The file has a title shown by
//! viewers and the language `fr-FR`; its structure tree follows the reading
//! order: the title (H1), each section's heading (H2), paragraphs (P), the
//! exam's and the identity's label/value pairs as tables whose rows are
//! headed by their label (TH scope Row), the units as a table with a header
//! row (THead, TH scope Column), bulleted lists (L, LI, Lbl, LBody), the
//! signature box as a section headed « Date et signature du candidat » (H3).
//! Rules, shadings and boxes are layout artefacts; the footers and a table
//! header repeated on a continuation page are pagination artefacts. krilla
//! validates PDF/UA-1 as it writes: a file that fails is an error, never a
//! download (`tests.rs` renders the largest documents through it).
//!
//! Fonts: DejaVu Sans and DejaVu Sans Bold are compiled in
//! (`assets/fonts/`, licence alongside); krilla embeds a subset of the
//! glyphs each PDF uses with a `/ToUnicode` map built from the text each
//! glyph draws, so accents, `’`, `œ`, `æ`, `« »` and non-breaking spaces
//! print, copy and read right. Text is normalised to NFC; a character the
//! font cannot draw prints as `�` rather than vanishing. Long values wrap
//! (at spaces, else after `-`, `/`, `@`, `.`, else anywhere) and the document
//! flows over as many pages as it needs: nothing is ever cut off.

mod document;
mod fonts;
mod layout;
mod style;
mod write;

use document::compose;
use fonts::faces;
use layout::Layout;
use write::write_pdf;

/// Everything printed on the confirmation, already in French and formatted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfirmationDocument {
    /// The academy's name without article: "Aix-Marseille".
    pub academie: String,
    /// "2022".
    pub session: String,
    /// "K7M2-9QXP"; empty for a dossier saved before numbers existed.
    pub candidate_number: String,
    /// The diploma's full name with its abbreviation: "Certificat
    /// d'aptitude professionnelle (CAP)".
    pub diploma_label: String,
    /// "Cuisine".
    pub specialty_label: String,
    /// The specialty's code in the catalogue.
    pub specialty_code: String,
    /// The account's email.
    pub email: String,
    /// (French field label, value), printed in this order: ("Nom",
    /// "N'Diaye-Lefèvre"), ("Prénoms", "Zoé Anaïs"), address lines, phone...
    pub identity: Vec<(String, String)>,
    /// Every unit of the specialty, in catalogue order.
    pub units: Vec<UnitLine>,
    /// A French sentence describing the disability declaration.
    pub disability: String,
    /// The inscription's version this confirmation was printed from.
    pub version: u64,
    /// When it was generated, formatted in Paris time by the caller:
    /// "mardi 26 octobre 2021 à 10 h 14".
    pub generated_at: String,
    /// French labels of the pieces to upload.
    pub pieces: Vec<String>,
    /// Why this confirmation must be neither dated, signed nor sent (a
    /// cancelled or withdrawn inscription: the copy is for the candidate's
    /// records), in French; `None` for an inscription still in progress.
    pub not_to_sign: Option<String>,
    /// "du lundi 25 octobre 2021 au dimanche 7 novembre 2021".
    pub documents_window: String,
    /// Where the pieces may be posted instead: the envelope's lines
    /// ("RECTORAT D'AIX-MARSEILLE", ..., "(merci de préciser l'intitulé du
    /// diplôme)").
    pub postal_address: Vec<String>,
}

/// One row of the units table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnitLine {
    /// "EP1", "UP2"...
    pub code: String,
    /// The unit's French label.
    pub label: String,
    /// "professionnelle", "générale", "facultative".
    pub kind: String,
    /// "Dispense", "Bénéfice de note : 14,5/20 (2019)", or "À présenter";
    /// for an optional unit without acquis, "Choisie, en espagnol (es)",
    /// "Choisie" or "Non choisie".
    pub acquis: String,
}

/// Why a confirmation could not be rendered. None depends on the document's
/// text: they mean a broken build (font) or a bug in the PDF writer.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    /// An embedded font file could not be parsed.
    #[error("the embedded font {0} cannot be parsed")]
    Font(&'static str),
    /// The PDF writer reported an error, or the file failed krilla's
    /// PDF/UA-1 validation.
    #[error("the PDF cannot be written: {0}")]
    Write(String),
}

/// The fixed title line, shared with tests and callers (e.g. a download
/// file name or an email).
pub fn confirmation_title(session: &str) -> String {
    format!("Confirmation d'inscription — Session {}", session.trim())
}

/// Renders the confirmation as a PDF file (A4, one or more pages).
pub fn render_confirmation(doc: &ConfirmationDocument) -> Result<Vec<u8>, PdfError> {
    let faces = faces()?;
    let mut layout = Layout::new(faces);
    compose(&mut layout, doc);
    layout.footers(doc);
    write_pdf(layout, doc)
}

#[cfg(test)]
mod tests;
