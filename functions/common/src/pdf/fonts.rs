//! The two embedded faces, what they can draw and how wide, and the text
//! normalised before it is measured.

use std::sync::OnceLock;

use printpdf::ParsedFont;
use unicode_normalization::UnicodeNormalization;

use super::style::Weight;
use super::PdfError;

// ---------------------------------------------------------------------------
// Fonts

pub(super) const REGULAR_TTF: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
pub(super) const BOLD_TTF: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf");

pub(super) struct Face {
    pub(super) weight: Weight,
    pub(super) bytes: &'static [u8],
    pub(super) parsed: ParsedFont,
    /// Printed instead of a character the font has no glyph for.
    pub(super) replacement: char,
}

impl Face {
    pub(super) fn load(weight: Weight, bytes: &'static [u8]) -> Option<Self> {
        let parsed = ParsedFont::from_bytes(bytes, 0, &mut Vec::new())?;
        let mut face = Face {
            weight,
            bytes,
            parsed,
            replacement: '?',
        };
        if face.glyph('\u{FFFD}').is_some() {
            face.replacement = '\u{FFFD}';
        }
        Some(face)
    }

    pub(super) fn glyph(&self, c: char) -> Option<u16> {
        self.parsed
            .lookup_glyph_index(u32::from(c))
            .filter(|gid| *gid != 0)
    }

    /// The character actually drawn for `c`.
    pub(super) fn printable(&self, c: char) -> char {
        if self.glyph(c).is_some() {
            c
        } else {
            self.replacement
        }
    }

    /// Advance width of a printable character, in ems.
    pub(super) fn advance(&self, c: char) -> f32 {
        let units = f32::from(self.parsed.units_per_em.max(1));
        self.glyph(c)
            .and_then(|gid| self.parsed.get_glyph_width(gid))
            .map_or(0.0, |w| f32::from(w) / units)
    }
}

pub(super) struct Faces {
    pub(super) regular: Face,
    pub(super) bold: Face,
}

impl Faces {
    pub(super) fn get(&self, weight: Weight) -> &Face {
        match weight {
            Weight::Regular => &self.regular,
            Weight::Bold => &self.bold,
        }
    }
}

/// Parsed once per process (a few milliseconds), shared by every render.
pub(super) fn faces() -> Result<&'static Faces, PdfError> {
    static FACES: OnceLock<Result<Faces, &'static str>> = OnceLock::new();
    FACES
        .get_or_init(|| {
            let regular = Face::load(Weight::Regular, REGULAR_TTF).ok_or("DejaVuSans.ttf")?;
            let bold = Face::load(Weight::Bold, BOLD_TTF).ok_or("DejaVuSans-Bold.ttf")?;
            Ok(Faces { regular, bold })
        })
        .as_ref()
        .map_err(|name| PdfError::Font(name))
}

/// NFC, no control or invisible formatting character; other spaces become
/// plain breakable spaces except the non-breaking ones, which French
/// typography needs (U+00A0, U+202F, U+2007).
pub(super) fn clean(text: &str) -> String {
    text.nfc()
        .filter_map(|c| match c {
            '\u{00A0}' | '\u{202F}' | '\u{2007}' => Some(c),
            // Soft hyphen, zero-width and bidirectional formatting characters.
            '\u{00AD}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' => None,
            '\u{2060}'..='\u{206F}' | '\u{FEFF}' => None,
            c if c.is_control() || c.is_whitespace() => Some(' '),
            c => Some(c),
        })
        .collect()
}
