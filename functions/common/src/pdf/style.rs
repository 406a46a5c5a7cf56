//! Page geometry and styles (PDF points, origin at the bottom left).

// ---------------------------------------------------------------------------
// Page geometry and styles (PDF points, origin at the bottom left)

pub(super) const MM: f32 = 72.0 / 25.4;
pub(super) const PAGE_W_MM: f32 = 210.0;
pub(super) const PAGE_H_MM: f32 = 297.0;
pub(super) const PAGE_W: f32 = PAGE_W_MM * MM;
pub(super) const PAGE_H: f32 = PAGE_H_MM * MM;
pub(super) const MARGIN_X: f32 = 18.0 * MM;
pub(super) const MARGIN_TOP: f32 = 16.0 * MM;
pub(super) const MARGIN_BOTTOM: f32 = 20.0 * MM;
pub(super) const CONTENT_W: f32 = PAGE_W - 2.0 * MARGIN_X;
pub(super) const FOOTER_BASELINE: f32 = 10.0 * MM;
/// Ratio of the line height to the font size.
pub(super) const LEADING: f32 = 1.32;
/// Where the baseline sits inside a line box, as a ratio of the font size.
pub(super) const BASELINE: f32 = 0.98;

pub(super) const BODY: f32 = 9.5;
pub(super) const SMALL: f32 = 8.0;
pub(super) const HEADING: f32 = 11.5;
pub(super) const TITLE: f32 = 17.0;

pub(super) const INK: (f32, f32, f32) = (0.08, 0.08, 0.10);
pub(super) const MUTED: (f32, f32, f32) = (0.33, 0.35, 0.40);
pub(super) const ACCENT: (f32, f32, f32) = (0.0, 0.0, 0.57);
pub(super) const RULE: (f32, f32, f32) = (0.70, 0.72, 0.78);
pub(super) const HEADER_FILL: (f32, f32, f32) = (0.91, 0.92, 0.96);

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Weight {
    Regular,
    Bold,
}

#[derive(Debug, Clone, Copy)]
pub(super) struct Style {
    pub(super) weight: Weight,
    pub(super) size: f32,
    pub(super) color: (f32, f32, f32),
}

impl Style {
    pub(super) const fn new(weight: Weight, size: f32, color: (f32, f32, f32)) -> Self {
        Self {
            weight,
            size,
            color,
        }
    }

    pub(super) fn line_height(self) -> f32 {
        self.size * LEADING
    }
}

pub(super) const BODY_STYLE: Style = Style::new(Weight::Regular, BODY, INK);
pub(super) const LABEL_STYLE: Style = Style::new(Weight::Regular, BODY, MUTED);
pub(super) const STRONG_STYLE: Style = Style::new(Weight::Bold, BODY, INK);
pub(super) const HEADING_STYLE: Style = Style::new(Weight::Bold, HEADING, ACCENT);
pub(super) const SMALL_STYLE: Style = Style::new(Weight::Regular, SMALL, MUTED);

/// A colour of the palette as 8-bit RGB.
pub(super) fn rgb8((r, g, b): (f32, f32, f32)) -> (u8, u8, u8) {
    let byte = |v: f32| (v.clamp(0.0, 1.0) * 255.0).round() as u8;
    (byte(r), byte(g), byte(b))
}
