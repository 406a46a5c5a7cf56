//! The two embedded faces, what they can draw and how wide, and the text
//! normalised before it is measured.

use std::sync::OnceLock;

use skrifa::instance::{LocationRef, Size};
use skrifa::metrics::GlyphMetrics;
use skrifa::{FontRef, MetadataProvider};
use unicode_normalization::UnicodeNormalization;

use super::style::Weight;
use super::PdfError;

// ---------------------------------------------------------------------------
// Fonts

pub(super) const REGULAR_TTF: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
pub(super) const BOLD_TTF: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf");

pub(super) struct Face {
    pub(super) bytes: &'static [u8],
    font: FontRef<'static>,
    metrics: GlyphMetrics<'static>,
    units_per_em: f32,
    /// Printed instead of a character the font has no glyph for.
    pub(super) replacement: char,
}

impl Face {
    pub(super) fn load(bytes: &'static [u8]) -> Option<Self> {
        let font = FontRef::new(bytes).ok()?;
        let metrics = font.glyph_metrics(Size::unscaled(), LocationRef::default());
        let units_per_em = f32::from(
            font.metrics(Size::unscaled(), LocationRef::default())
                .units_per_em
                .max(1),
        );
        let mut face = Face {
            bytes,
            font,
            metrics,
            units_per_em,
            replacement: '?',
        };
        if face.glyph('\u{FFFD}').is_some() {
            face.replacement = '\u{FFFD}';
        }
        Some(face)
    }

    /// The glyph drawing `c`, if the font has one.
    pub(super) fn glyph(&self, c: char) -> Option<u32> {
        self.font
            .charmap()
            .map(c)
            .map(|gid| gid.to_u32())
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

    /// Advance width of a glyph, in ems.
    pub(super) fn glyph_advance(&self, gid: u32) -> f32 {
        self.metrics
            .advance_width(gid.into())
            .map_or(0.0, |w| w / self.units_per_em)
    }

    /// Advance width of a printable character, in ems.
    pub(super) fn advance(&self, c: char) -> f32 {
        self.glyph(c).map_or(0.0, |gid| self.glyph_advance(gid))
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
            let regular = Face::load(REGULAR_TTF).ok_or("DejaVuSans.ttf")?;
            let bold = Face::load(BOLD_TTF).ok_or("DejaVuSans-Bold.ttf")?;
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
