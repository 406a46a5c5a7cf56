//! The « confirmation d'inscription » a candidate prints, checks, dates and
//! signs (`GET /inscription/confirmation.pdf`).
//!
//! [`render_confirmation`] is a pure function of [`ConfirmationDocument`]:
//! the caller formats every date in Paris time and every label in French, this
//! module only lays them out on A4 pages. The same input always gives the same
//! bytes: no clock, no random identifier (the trailer `/ID` and the font
//! subset tags are derived from the input, the creation dates are omitted).
//!
//! Fonts: DejaVu Sans and DejaVu Sans Bold are compiled in
//! (`assets/fonts/`, licence alongside) and every PDF embeds a subset of the
//! glyphs it actually uses, with a `/ToUnicode` map, so accents, `’`, `œ`,
//! `æ`, `« »` and non-breaking spaces print and copy right. Text is normalised
//! to NFC; a character the font cannot draw prints as `�` rather than
//! vanishing. Long values wrap (at spaces, else after `-`, `/`, `@`, `.`,
//! else anywhere) and the document flows over as many pages as it needs:
//! nothing is ever cut off.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use printpdf::{
    Color, Line, LinePoint, Mm, Op, PaintMode, ParsedFont, PdfDocument, PdfFont, PdfFontHandle,
    PdfPage, PdfParseErrorSeverity, PdfSaveOptions, Point, Pt, Rect, Rgb, TextItem,
};
use sha2::{Digest, Sha256};
use unicode_normalization::UnicodeNormalization;

/// Everything printed on the confirmation, already in French and formatted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfirmationDocument {
    /// The academy's name without article: "Aix-Marseille".
    pub academie: String,
    /// "2022".
    pub session: String,
    /// "Certificat d'aptitude professionnelle".
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
    /// "du lundi 25 octobre 2021 au dimanche 7 novembre 2021".
    pub documents_window: String,
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
    /// "Dispense", "Bénéfice de note : 14,5/20 (2019)", or "À présenter".
    pub acquis: String,
}

/// Why a confirmation could not be rendered. None depends on the document's
/// text: they mean a broken build (font) or a bug in the PDF writer.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    /// An embedded font file could not be parsed.
    #[error("the embedded font {0} cannot be parsed")]
    Font(&'static str),
    /// A font could not be reduced to the glyphs the document uses.
    #[error("the font {font} cannot be subset: {reason}")]
    Subset {
        /// Which font.
        font: &'static str,
        /// allsorts' explanation.
        reason: String,
    },
    /// The PDF writer reported an error or could not serialise the file.
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

// ---------------------------------------------------------------------------
// Page geometry and styles (PDF points, origin at the bottom left)

const MM: f32 = 72.0 / 25.4;
const PAGE_W_MM: f32 = 210.0;
const PAGE_H_MM: f32 = 297.0;
const PAGE_W: f32 = PAGE_W_MM * MM;
const PAGE_H: f32 = PAGE_H_MM * MM;
const MARGIN_X: f32 = 18.0 * MM;
const MARGIN_TOP: f32 = 16.0 * MM;
const MARGIN_BOTTOM: f32 = 20.0 * MM;
const CONTENT_W: f32 = PAGE_W - 2.0 * MARGIN_X;
const FOOTER_BASELINE: f32 = 10.0 * MM;
/// Ratio of the line height to the font size.
const LEADING: f32 = 1.32;
/// Where the baseline sits inside a line box, as a ratio of the font size.
const BASELINE: f32 = 0.98;

const BODY: f32 = 9.5;
const SMALL: f32 = 8.0;
const HEADING: f32 = 11.5;
const TITLE: f32 = 17.0;

const INK: (f32, f32, f32) = (0.08, 0.08, 0.10);
const MUTED: (f32, f32, f32) = (0.33, 0.35, 0.40);
const ACCENT: (f32, f32, f32) = (0.0, 0.0, 0.57);
const RULE: (f32, f32, f32) = (0.70, 0.72, 0.78);
const HEADER_FILL: (f32, f32, f32) = (0.91, 0.92, 0.96);

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Weight {
    Regular,
    Bold,
}

impl Weight {
    fn font_id(self) -> printpdf::FontId {
        printpdf::FontId(
            match self {
                Weight::Regular => "F1",
                Weight::Bold => "F2",
            }
            .to_owned(),
        )
    }

    fn postscript_name(self) -> &'static str {
        match self {
            Weight::Regular => "DejaVuSans",
            Weight::Bold => "DejaVuSans-Bold",
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Style {
    weight: Weight,
    size: f32,
    color: (f32, f32, f32),
}

impl Style {
    const fn new(weight: Weight, size: f32, color: (f32, f32, f32)) -> Self {
        Self {
            weight,
            size,
            color,
        }
    }

    fn line_height(self) -> f32 {
        self.size * LEADING
    }
}

const BODY_STYLE: Style = Style::new(Weight::Regular, BODY, INK);
const LABEL_STYLE: Style = Style::new(Weight::Regular, BODY, MUTED);
const STRONG_STYLE: Style = Style::new(Weight::Bold, BODY, INK);
const HEADING_STYLE: Style = Style::new(Weight::Bold, HEADING, ACCENT);
const SMALL_STYLE: Style = Style::new(Weight::Regular, SMALL, MUTED);

fn rgb((r, g, b): (f32, f32, f32)) -> Color {
    Color::Rgb(Rgb {
        r,
        g,
        b,
        icc_profile: None,
    })
}

// ---------------------------------------------------------------------------
// Fonts

const REGULAR_TTF: &[u8] = include_bytes!("../assets/fonts/DejaVuSans.ttf");
const BOLD_TTF: &[u8] = include_bytes!("../assets/fonts/DejaVuSans-Bold.ttf");

struct Face {
    weight: Weight,
    bytes: &'static [u8],
    parsed: ParsedFont,
    /// Printed instead of a character the font has no glyph for.
    replacement: char,
}

impl Face {
    fn load(weight: Weight, bytes: &'static [u8]) -> Option<Self> {
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

    fn glyph(&self, c: char) -> Option<u16> {
        self.parsed
            .lookup_glyph_index(u32::from(c))
            .filter(|gid| *gid != 0)
    }

    /// The character actually drawn for `c`.
    fn printable(&self, c: char) -> char {
        if self.glyph(c).is_some() {
            c
        } else {
            self.replacement
        }
    }

    /// Advance width of a printable character, in ems.
    fn advance(&self, c: char) -> f32 {
        let units = f32::from(self.parsed.units_per_em.max(1));
        self.glyph(c)
            .and_then(|gid| self.parsed.get_glyph_width(gid))
            .map_or(0.0, |w| f32::from(w) / units)
    }
}

struct Faces {
    regular: Face,
    bold: Face,
}

impl Faces {
    fn get(&self, weight: Weight) -> &Face {
        match weight {
            Weight::Regular => &self.regular,
            Weight::Bold => &self.bold,
        }
    }
}

/// Parsed once per process (a few milliseconds), shared by every render.
fn faces() -> Result<&'static Faces, PdfError> {
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
fn clean(text: &str) -> String {
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

/// "d'Aix-Marseille", "de Lyon".
fn de(name: &str) -> String {
    let name = name.trim();
    let elides = name.chars().next().is_some_and(|c| {
        c.to_lowercase()
            .next()
            .is_some_and(|c| "aâàäeéèêëiîïoôöuûùüyÿœæ".contains(c))
    });
    if elides {
        format!("d'{name}")
    } else {
        format!("de {name}")
    }
}

// ---------------------------------------------------------------------------
// Layout: a cursor going down the page, a new page when the next line does
// not fit.

/// Columns of a multi-column block: (left x, width).
type Columns = [(f32, f32)];

/// A table's header row, repeated at the top of every page the table spans.
#[derive(Clone)]
struct TableHeader {
    columns: Vec<(f32, f32)>,
    titles: Vec<String>,
}

struct Layout<'f> {
    faces: &'f Faces,
    pages: Vec<Vec<Op>>,
    /// The page drawn on: the last one, except while adding the footers.
    current: usize,
    /// Top of the next line box on the current page.
    y: f32,
    /// Every character drawn, per weight, to subset the fonts.
    used: BTreeMap<Weight, BTreeSet<char>>,
    /// The header of the table being drawn, repeated after a page break.
    table_header: Option<TableHeader>,
}

impl<'f> Layout<'f> {
    fn new(faces: &'f Faces) -> Self {
        let mut layout = Layout {
            faces,
            pages: Vec::new(),
            current: 0,
            y: 0.0,
            used: BTreeMap::new(),
            table_header: None,
        };
        layout.new_page();
        layout
    }

    fn ops(&mut self) -> &mut Vec<Op> {
        if self.current >= self.pages.len() {
            self.pages.resize_with(self.current + 1, Vec::new);
        }
        &mut self.pages[self.current]
    }

    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.current = self.pages.len() - 1;
        self.y = PAGE_H - MARGIN_TOP;
        if let Some(header) = self.table_header.clone() {
            self.draw_table_header(&header.columns, &header.titles);
        }
    }

    fn at_page_top(&self) -> bool {
        self.y >= PAGE_H - MARGIN_TOP - 0.01
    }

    /// Starts a new page unless `height` still fits on this one (or this
    /// page is still empty: an overlong block then flows over).
    fn ensure(&mut self, height: f32) {
        if self.y - height < MARGIN_BOTTOM && !self.at_page_top() {
            self.new_page();
        }
    }

    /// Room left on a fresh page, for blocks that must stay together.
    fn page_capacity() -> f32 {
        PAGE_H - MARGIN_TOP - MARGIN_BOTTOM
    }

    fn gap(&mut self, height: f32) {
        if !self.at_page_top() {
            self.y -= height;
        }
    }

    // -- text measurement ---------------------------------------------------

    /// `text` cleaned, with what the font cannot draw replaced.
    fn printable(&self, weight: Weight, text: &str) -> String {
        let face = self.faces.get(weight);
        clean(text).chars().map(|c| face.printable(c)).collect()
    }

    /// Width of printable text.
    fn width(&self, style: Style, text: &str) -> f32 {
        let face = self.faces.get(style.weight);
        text.chars().map(|c| face.advance(c)).sum::<f32>() * style.size
    }

    /// Lines of at most `max` points, breaking at spaces; a word longer than
    /// a line breaks after `-`, `/`, `@`, `.` or `_` if it can, else anywhere.
    /// Never drops a character, always at least one (maybe empty) line.
    fn wrap(&self, style: Style, text: &str, max: f32) -> Vec<String> {
        let text = self.printable(style.weight, text);
        let space = self.width(style, " ");
        let mut lines = Vec::new();
        let mut line = String::new();
        let mut line_w = 0.0;
        for word in text.split(' ').filter(|w| !w.is_empty()) {
            let word_w = self.width(style, word);
            if !line.is_empty() && line_w + space + word_w <= max {
                line.push(' ');
                line.push_str(word);
                line_w += space + word_w;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            if word_w <= max {
                line = word.to_owned();
                line_w = word_w;
            } else {
                let mut pieces = self.break_word(style, word, max);
                let last = pieces.pop().unwrap_or_default();
                lines.extend(pieces);
                line_w = self.width(style, &last);
                line = last;
            }
        }
        if !line.is_empty() || lines.is_empty() {
            lines.push(line);
        }
        lines
    }

    fn break_word(&self, style: Style, word: &str, max: f32) -> Vec<String> {
        let mut pieces = Vec::new();
        let mut rest: Vec<char> = word.chars().collect();
        while !rest.is_empty() {
            // How many characters fit (at least one, so this always ends).
            let mut width = 0.0;
            let mut fit = 0;
            for c in &rest {
                let w = self.width(style, c.encode_utf8(&mut [0; 4]));
                if fit > 0 && width + w > max {
                    break;
                }
                width += w;
                fit += 1;
            }
            if fit < rest.len() {
                if let Some(pos) = rest[..fit]
                    .iter()
                    .rposition(|c| matches!(c, '-' | '/' | '@' | '.' | '_' | ','))
                    .filter(|pos| *pos > 0)
                {
                    fit = pos + 1;
                }
            }
            pieces.push(rest.drain(..fit).collect());
        }
        pieces
    }

    // -- drawing ------------------------------------------------------------

    /// Draws printable text with its baseline at `baseline`.
    fn draw_text(&mut self, x: f32, baseline: f32, style: Style, text: &str) {
        if text.is_empty() {
            return;
        }
        self.used
            .entry(style.weight)
            .or_default()
            .extend(text.chars());
        let ops = self.ops();
        ops.push(Op::StartTextSection);
        ops.push(Op::SetFont {
            font: PdfFontHandle::External(style.weight.font_id()),
            size: Pt(style.size),
        });
        ops.push(Op::SetFillColor {
            col: rgb(style.color),
        });
        ops.push(Op::SetTextCursor {
            pos: Point {
                x: Pt(x),
                y: Pt(baseline),
            },
        });
        ops.push(Op::ShowText {
            items: vec![TextItem::Text(text.to_owned())],
        });
        ops.push(Op::EndTextSection);
    }

    fn hline(&mut self, x0: f32, x1: f32, y: f32, thickness: f32, color: (f32, f32, f32)) {
        let ops = self.ops();
        ops.push(Op::SetOutlineColor { col: rgb(color) });
        ops.push(Op::SetOutlineThickness { pt: Pt(thickness) });
        ops.push(Op::DrawLine {
            line: Line {
                points: vec![
                    LinePoint {
                        p: Point {
                            x: Pt(x0),
                            y: Pt(y),
                        },
                        bezier: false,
                    },
                    LinePoint {
                        p: Point {
                            x: Pt(x1),
                            y: Pt(y),
                        },
                        bezier: false,
                    },
                ],
                is_closed: false,
            },
        });
    }

    fn fill_rect(&mut self, x: f32, y: f32, width: f32, height: f32, color: (f32, f32, f32)) {
        let ops = self.ops();
        ops.push(Op::SetFillColor { col: rgb(color) });
        ops.push(Op::DrawRectangle {
            rectangle: Rect {
                x: Pt(x),
                y: Pt(y),
                width: Pt(width),
                height: Pt(height),
                mode: Some(PaintMode::Fill),
                winding_order: None,
            },
        });
    }

    fn stroke_rect(&mut self, x: f32, y: f32, width: f32, height: f32, thickness: f32) {
        let ops = self.ops();
        ops.push(Op::SetOutlineColor { col: rgb(INK) });
        ops.push(Op::SetOutlineThickness { pt: Pt(thickness) });
        ops.push(Op::DrawRectangle {
            rectangle: Rect {
                x: Pt(x),
                y: Pt(y),
                width: Pt(width),
                height: Pt(height),
                mode: Some(PaintMode::Stroke),
                winding_order: None,
            },
        });
    }

    // -- blocks -------------------------------------------------------------

    /// A wrapped paragraph from `x`, `width` wide.
    fn paragraph(&mut self, x: f32, width: f32, style: Style, text: &str) {
        let lh = style.line_height();
        for line in self.wrap(style, text, width) {
            self.ensure(lh);
            let baseline = self.y - style.size * BASELINE;
            self.draw_text(x, baseline, style, &line);
            self.y -= lh;
        }
    }

    fn heading(&mut self, text: &str) {
        let style = HEADING_STYLE;
        // Keep the heading with at least three lines of what follows.
        self.gap(9.0);
        self.ensure(style.line_height() + 6.0 + 3.0 * BODY_STYLE.line_height());
        self.paragraph(MARGIN_X, CONTENT_W, style, text);
        let y = self.y + 1.5;
        self.hline(MARGIN_X, MARGIN_X + CONTENT_W, y, 0.8, ACCENT);
        self.y -= 4.5;
    }

    /// One row of cells side by side, each wrapped in its column, kept on one
    /// page when it fits on one, else continued on the next page(s). Each
    /// cell is drawn in one go per page, so its text reads (and copies)
    /// in one piece.
    fn row(&mut self, columns: &Columns, cells: &[(Style, &str)], padding: f32) {
        let wrapped: Vec<(Style, Vec<String>)> = cells
            .iter()
            .zip(columns)
            .map(|((style, text), (_, width))| (*style, self.wrap(*style, text, *width)))
            .collect();
        let lh = cells
            .iter()
            .map(|(style, _)| style.line_height())
            .fold(0.0, f32::max);
        let lines = wrapped.iter().map(|(_, l)| l.len()).max().unwrap_or(1);
        let height = lines as f32 * lh + 2.0 * padding;
        self.ensure(height.min(Self::page_capacity() * 0.9));
        self.y -= padding;
        let mut start = 0;
        while start < lines {
            self.ensure(lh + padding);
            let room = ((self.y - MARGIN_BOTTOM) / lh).floor().max(1.0) as usize;
            let end = lines.min(start + room);
            for ((style, cell_lines), (x, _)) in wrapped.iter().zip(columns) {
                for (k, line) in cell_lines.iter().enumerate().take(end).skip(start) {
                    let top = self.y - (k - start) as f32 * lh;
                    self.draw_text(*x, top - style.size * BASELINE, *style, line);
                }
            }
            self.y -= (end - start) as f32 * lh;
            start = end;
            if start < lines {
                self.new_page();
            }
        }
        self.y -= padding;
    }

    /// Label / value pairs in two columns, a thin rule between rows.
    fn fields(&mut self, fields: &[(&str, &str)]) {
        let label_w = 52.0 * MM;
        let columns = [
            (MARGIN_X, label_w - 4.0 * MM),
            (MARGIN_X + label_w, CONTENT_W - label_w),
        ];
        for (i, (label, value)) in fields.iter().enumerate() {
            if i > 0 && !self.at_page_top() {
                let y = self.y;
                self.hline(MARGIN_X, MARGIN_X + CONTENT_W, y, 0.3, RULE);
            }
            self.row(
                &columns,
                &[(LABEL_STYLE, label), (STRONG_STYLE, value)],
                2.6,
            );
        }
    }

    fn draw_table_header(&mut self, columns: &Columns, titles: &[String]) {
        let style = STRONG_STYLE;
        let padding = 3.0;
        let height = style.line_height() + 2.0 * padding;
        let top = self.y;
        self.fill_rect(MARGIN_X, top - height, CONTENT_W, height, HEADER_FILL);
        for ((x, _), title) in columns.iter().zip(titles) {
            let text = self.printable(style.weight, title);
            self.draw_text(*x, top - padding - style.size * BASELINE, style, &text);
        }
        self.y = top - height;
    }

    /// A table with a shaded header row, repeated on every page it spans.
    fn table(&mut self, columns: &Columns, titles: &[&str], rows: &[Vec<(Style, &str)>]) {
        let titles: Vec<String> = titles.iter().map(|t| (*t).to_owned()).collect();
        // The header and the first row stay together.
        self.ensure(STRONG_STYLE.line_height() * 3.0 + 12.0);
        self.draw_table_header(columns, &titles);
        self.table_header = Some(TableHeader {
            columns: columns.to_vec(),
            titles,
        });
        for row in rows {
            self.row(columns, row, 3.0);
            let y = self.y;
            self.hline(MARGIN_X, MARGIN_X + CONTENT_W, y, 0.3, RULE);
        }
        self.table_header = None;
    }

    fn bullets(&mut self, items: &[&str], style: Style) {
        let indent = 5.0 * MM;
        for item in items {
            let lines = self.wrap(style, item, CONTENT_W - indent);
            let lh = style.line_height();
            // Keep short items whole.
            self.ensure(lh * lines.len().min(3) as f32);
            for (i, line) in lines.iter().enumerate() {
                self.ensure(lh);
                let baseline = self.y - style.size * BASELINE;
                if i == 0 {
                    let bullet = self.printable(style.weight, "•");
                    self.draw_text(MARGIN_X + 1.5 * MM, baseline, style, &bullet);
                }
                self.draw_text(MARGIN_X + indent, baseline, style, line);
                self.y -= lh;
            }
            self.y -= 2.0;
        }
    }

    fn signature_box(&mut self) {
        let height = 38.0 * MM;
        self.gap(10.0);
        self.ensure(height);
        let top = self.y;
        self.stroke_rect(MARGIN_X, top - height, CONTENT_W, height, 0.9);
        let pad = 3.5 * MM;
        let title = self.printable(Weight::Bold, "Date et signature du candidat");
        let style = Style::new(Weight::Bold, BODY + 0.5, INK);
        let baseline = top - pad - style.size * BASELINE;
        self.draw_text(MARGIN_X + pad, baseline, style, &title);
        let baseline = baseline - 2.2 * style.line_height();
        let date = self.printable(Weight::Regular, "Date\u{a0}:");
        let signature = self.printable(Weight::Regular, "Signature\u{a0}:");
        self.draw_text(MARGIN_X + pad, baseline, LABEL_STYLE, &date);
        self.draw_text(
            MARGIN_X + CONTENT_W * 0.4,
            baseline,
            LABEL_STYLE,
            &signature,
        );
        self.y = top - height;
    }

    /// The running footer, once every page is known.
    fn footers(&mut self, doc: &ConfirmationDocument) {
        let total = self.pages.len();
        let base = format!(
            "{} — Version {}",
            confirmation_title(&doc.session),
            doc.version
        );
        let with_email = format!("{base} — {}", doc.email.trim());
        for index in 0..total {
            let right = self.printable(
                Weight::Regular,
                &format!("Page {} sur {}", index + 1, total),
            );
            let right_w = self.width(SMALL_STYLE, &right);
            let room = CONTENT_W - right_w - 6.0 * MM;
            let mut left = self.printable(Weight::Regular, &with_email);
            if doc.email.trim().is_empty() || self.width(SMALL_STYLE, &left) > room {
                left = self.printable(Weight::Regular, &base);
            }
            // Even the base line may not fit (an absurd session label):
            // keep its first line, the full text is in the title.
            let left = self
                .wrap(SMALL_STYLE, &left, room)
                .into_iter()
                .next()
                .unwrap_or_default();
            self.current = index;
            let rule_y = FOOTER_BASELINE + SMALL * 1.6;
            self.hline(MARGIN_X, MARGIN_X + CONTENT_W, rule_y, 0.4, RULE);
            self.draw_text(MARGIN_X, FOOTER_BASELINE, SMALL_STYLE, &left);
            self.draw_text(
                MARGIN_X + CONTENT_W - right_w,
                FOOTER_BASELINE,
                SMALL_STYLE,
                &right,
            );
        }
    }
}

// ---------------------------------------------------------------------------
// The document

fn compose(layout: &mut Layout<'_>, doc: &ConfirmationDocument) {
    let authority = format!(
        "Académie {} — Division des examens et concours",
        de(&doc.academie)
    );
    layout.paragraph(
        MARGIN_X,
        CONTENT_W,
        Style::new(Weight::Bold, BODY + 0.5, ACCENT),
        &authority,
    );
    layout.y -= 6.0;
    layout.paragraph(
        MARGIN_X,
        CONTENT_W,
        Style::new(Weight::Bold, TITLE, INK),
        &confirmation_title(&doc.session),
    );
    layout.y -= 2.0;
    layout.paragraph(
        MARGIN_X,
        CONTENT_W,
        Style::new(Weight::Regular, BODY, MUTED),
        "Document à vérifier, à dater et à signer, puis à télé-verser avec les pièces \
         justificatives dans votre espace candidat.",
    );
    layout.y -= 2.0;

    let version = doc.version.to_string();
    layout.heading("Examen");
    layout.fields(&[
        ("Diplôme", &doc.diploma_label),
        ("Spécialité", &doc.specialty_label),
        ("Code de la spécialité", &doc.specialty_code),
        ("Version de l'inscription", &version),
        ("Document édité le", &doc.generated_at),
    ]);

    layout.heading("Identité du candidat");
    let mut identity: Vec<(&str, &str)> = doc
        .identity
        .iter()
        .map(|(label, value)| (label.as_str(), value.as_str()))
        .collect();
    identity.push(("Adresse électronique", &doc.email));
    layout.fields(&identity);

    layout.heading("Unités de l'examen");
    if doc.units.is_empty() {
        layout.paragraph(MARGIN_X, CONTENT_W, BODY_STYLE, "Aucune unité.");
    } else {
        let pad = 2.0 * MM;
        let widths = [19.0 * MM, 76.0 * MM, 33.0 * MM];
        let x0 = MARGIN_X + pad;
        let x1 = MARGIN_X + widths[0];
        let x2 = x1 + widths[1];
        let x3 = x2 + widths[2];
        let columns = [
            (x0, widths[0] - pad - 2.0 * MM),
            (x1, widths[1] - 3.0 * MM),
            (x2, widths[2] - 3.0 * MM),
            (x3, MARGIN_X + CONTENT_W - x3 - pad),
        ];
        let rows: Vec<Vec<(Style, &str)>> = doc
            .units
            .iter()
            .map(|unit| {
                vec![
                    (STRONG_STYLE, unit.code.as_str()),
                    (BODY_STYLE, unit.label.as_str()),
                    (BODY_STYLE, unit.kind.as_str()),
                    (STRONG_STYLE, unit.acquis.as_str()),
                ]
            })
            .collect();
        layout.table(&columns, &["Code", "Unité", "Nature", "Situation"], &rows);
    }

    layout.heading("Situation de handicap");
    layout.paragraph(MARGIN_X, CONTENT_W, BODY_STYLE, &doc.disability);

    layout.heading("Pièces justificatives");
    layout.paragraph(
        MARGIN_X,
        CONTENT_W,
        BODY_STYLE,
        &format!(
            "À télé-verser {}, avec la présente confirmation datée et signée\u{a0}:",
            doc.documents_window.trim()
        ),
    );
    layout.y -= 3.0;
    let pieces: Vec<&str> = doc.pieces.iter().map(String::as_str).collect();
    if pieces.is_empty() {
        layout.paragraph(MARGIN_X, CONTENT_W, BODY_STYLE, "Aucune autre pièce.");
    } else {
        layout.bullets(&pieces, STRONG_STYLE);
    }

    layout.heading("Rappels");
    let version_note = format!(
        "Cette confirmation correspond à la version {} de votre inscription\u{a0}: si vous \
         modifiez votre inscription en ligne, imprimez et signez la nouvelle confirmation.",
        doc.version
    );
    layout.bullets(
        &[
            "Vérifiez les informations ci-dessus, puis datez et signez la présente \
             confirmation d'inscription.",
            "En cas de nouvelles modifications, rectifiez le document au stylo rouge \
             uniquement.",
            "Aucune modification ne pourra être prise en compte après la fin des inscriptions.",
            &version_note,
            "Si la confirmation d'inscription datée et signée et les pièces justificatives \
             n'ont pas été télé-versées dans le délai indiqué ci-dessus, la candidature est \
             annulée.",
        ],
        BODY_STYLE,
    );

    layout.signature_box();
}

// ---------------------------------------------------------------------------
// Serialisation

/// SHA-256 of everything the document shows: the source of the trailer
/// `/ID` and the subset tags, so equal inputs give equal bytes.
fn fingerprint(doc: &ConfirmationDocument) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(b"examreg confirmation v1\n");
    hasher.update(format!("{doc:?}").as_bytes());
    hasher.finalize().into()
}

/// The six capital letters that prefix a subset font's name (ISO 32000-1,
/// 9.6.4), derived from the glyphs it holds.
fn subset_tag(weight: Weight, glyphs: &[u16]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(weight.postscript_name().as_bytes());
    for gid in glyphs {
        hasher.update(gid.to_be_bytes());
    }
    let digest = hasher.finalize();
    digest
        .iter()
        .take(6)
        .map(|b| char::from(b'A' + b % 26))
        .collect()
}

/// The face reduced to the glyphs of `chars` (plus `.notdef`), parsed back
/// so printpdf maps characters to the subset's glyph ids.
fn subset(face: &Face, chars: &BTreeSet<char>) -> Result<ParsedFont, PdfError> {
    use allsorts::binary::read::ReadScope;
    use allsorts::font_data::FontData;
    use allsorts::subset::{CmapTarget, SubsetProfile};

    let name = face.weight.postscript_name();
    let err = |reason: String| PdfError::Subset { font: name, reason };
    let glyphs: BTreeSet<u16> = chars.iter().filter_map(|c| face.glyph(*c)).collect();
    let ids: Vec<u16> = std::iter::once(0).chain(glyphs).collect();

    let data = ReadScope::new(face.bytes)
        .read::<FontData<'_>>()
        .map_err(|e| err(e.to_string()))?;
    let provider = data.table_provider(0).map_err(|e| err(e.to_string()))?;
    let bytes = allsorts::subset::subset(&provider, &ids, &SubsetProfile::Pdf, CmapTarget::Unicode)
        .map_err(|e| err(e.to_string()))?;

    let mut parsed = ParsedFont::from_bytes(&bytes, 0, &mut Vec::new())
        .ok_or_else(|| err("the subset does not parse".to_owned()))?;
    if let Some(missing) = chars
        .iter()
        .find(|c| parsed.lookup_glyph_index(u32::from(**c)).is_none())
    {
        return Err(err(format!("U+{:04X} lost its glyph", u32::from(*missing))));
    }
    parsed.font_name = Some(format!("{}+{}", subset_tag(face.weight, &ids), name));
    Ok(parsed)
}

fn write_pdf(layout: Layout<'_>, doc: &ConfirmationDocument) -> Result<Vec<u8>, PdfError> {
    let title = confirmation_title(&doc.session);
    let mut pdf = PdfDocument::new(&title);
    {
        let info = &mut pdf.metadata.info;
        info.author = format!(
            "Académie {} — Division des examens et concours",
            de(&doc.academie)
        );
        info.subject = format!(
            "{} — {} — version {}",
            doc.diploma_label.trim(),
            doc.specialty_label.trim(),
            doc.version
        );
        info.creator = "examreg".to_owned();
        info.producer = "examreg (printpdf)".to_owned();
    }
    for (weight, chars) in &layout.used {
        let face = layout.faces.get(*weight);
        let font = subset(face, chars)?;
        pdf.resources
            .fonts
            .map
            .insert(weight.font_id(), PdfFont::new(font));
    }
    pdf.pages = layout
        .pages
        .into_iter()
        .map(|ops| PdfPage::new(Mm(PAGE_W_MM), Mm(PAGE_H_MM), ops))
        .collect();

    let options = PdfSaveOptions {
        optimize: true,
        // The fonts are already subset above; printpdf cannot without its
        // `text_layout` feature.
        subset_fonts: false,
        secure: true,
        image_optimization: None,
    };
    let mut warnings = Vec::new();
    let mut lo = printpdf::serialize::to_lopdf_doc(&pdf, &options, &mut warnings);
    if let Some(error) = warnings
        .iter()
        .find(|w| w.severity == PdfParseErrorSeverity::Error)
    {
        return Err(PdfError::Write(error.msg.clone()));
    }

    // No clock in the file: drop the dates printpdf writes (the generation
    // instant is printed on the page), and the empty or meaningless entries.
    if let Ok(info_id) = lo.trailer.get(b"Info").and_then(|o| o.as_reference()) {
        if let Ok(info) = lo.get_object_mut(info_id).and_then(|o| o.as_dict_mut()) {
            for key in [
                &b"CreationDate"[..],
                b"ModDate",
                b"GTS_PDFXVersion",
                b"Trapped",
                b"Identifier",
                b"Keywords",
            ] {
                info.remove(key);
            }
        }
    }
    let digest = fingerprint(doc);
    let id = lopdf::Object::String(digest[..16].to_vec(), lopdf::StringFormat::Hexadecimal);
    lo.trailer
        .set("ID", lopdf::Object::Array(vec![id.clone(), id]));

    lo.compress();
    let mut bytes = Vec::new();
    lo.save_to(&mut bytes)
        .map_err(|e| PdfError::Write(e.to_string()))?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_normalises_and_keeps_french_spaces() {
        // "e" + combining acute becomes "é"; tabs and newlines become spaces.
        assert_eq!(clean("Le\u{301}a\tB\nC"), "Léa B C");
        assert_eq!(clean("14,5\u{a0}€ a\u{202f}:"), "14,5\u{a0}€ a\u{202f}:");
        assert_eq!(clean("in\u{ad}vi\u{200b}sible\u{feff}"), "invisible");
    }

    #[test]
    fn elision() {
        assert_eq!(de("Aix-Marseille"), "d'Aix-Marseille");
        assert_eq!(de("Orléans-Tours"), "d'Orléans-Tours");
        assert_eq!(de("Lyon"), "de Lyon");
        assert_eq!(de("Créteil"), "de Créteil");
    }

    #[test]
    fn wrap_never_loses_a_character() {
        let faces = faces().expect("fonts");
        let layout = Layout::new(faces);
        let text = "Zoé-Anaïs-Marie-Clémentine-Éléonore-Œdipe-Ærø d’Artagnan \
                    adresse.tres.longue.sans.espace@exemple-de-domaine-interminable.fr \
                    Ça ira";
        for max in [20.0, 60.0, 150.0, 400.0] {
            let lines = layout.wrap(BODY_STYLE, text, max);
            for line in &lines {
                let w = layout.width(BODY_STYLE, line);
                // A single glyph may exceed an absurdly narrow column.
                assert!(
                    w <= max + 0.01 || line.chars().count() == 1,
                    "{line} {w} > {max}"
                );
            }
            let joined: String = lines.concat().chars().filter(|c| *c != ' ').collect();
            let expected: String = text.chars().filter(|c| *c != ' ').collect();
            assert_eq!(joined, expected, "at {max} pt");
        }
        assert_eq!(layout.wrap(BODY_STYLE, "", 100.0), vec![String::new()]);
    }

    #[test]
    fn unknown_characters_print_as_replacement() {
        let faces = faces().expect("fonts");
        let layout = Layout::new(faces);
        // U+4E2D (CJK) is not in DejaVu Sans.
        assert_eq!(
            layout.printable(Weight::Regular, "a\u{4e2d}b"),
            "a\u{fffd}b"
        );
        assert_eq!(
            layout.printable(Weight::Bold, "Œdipe Ærø « ça »"),
            "Œdipe Ærø « ça »"
        );
    }

    #[test]
    fn subset_tag_is_six_capitals() {
        let tag = subset_tag(Weight::Regular, &[0, 3, 4]);
        assert_eq!(tag.len(), 6);
        assert!(tag.chars().all(|c| c.is_ascii_uppercase()));
        assert_eq!(tag, subset_tag(Weight::Regular, &[0, 3, 4]));
    }
}
