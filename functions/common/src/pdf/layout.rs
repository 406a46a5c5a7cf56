//! Layout: a cursor going down the page, a new page when the next line does
//! not fit, and the blocks the document is made of (paragraphs, tables...).

use std::collections::{BTreeMap, BTreeSet};

use printpdf::{Line, LinePoint, Op, PaintMode, PdfFontHandle, Point, Pt, Rect, TextItem};

use super::fonts::{clean, Faces};
use super::style::{
    rgb, Style, Weight, ACCENT, BASELINE, BODY, BODY_STYLE, CONTENT_W, FOOTER_BASELINE,
    HEADER_FILL, HEADING_STYLE, INK, LABEL_STYLE, MARGIN_BOTTOM, MARGIN_TOP, MARGIN_X, MM, PAGE_H,
    RULE, SMALL, SMALL_STYLE, STRONG_STYLE,
};
use super::{confirmation_title, ConfirmationDocument};

/// Columns of a multi-column block: (left x, width).
pub(super) type Columns = [(f32, f32)];

/// A table's header row, repeated at the top of every page the table spans.
#[derive(Clone)]
pub(super) struct TableHeader {
    pub(super) columns: Vec<(f32, f32)>,
    pub(super) titles: Vec<String>,
}

pub(super) struct Layout<'f> {
    pub(super) faces: &'f Faces,
    pub(super) pages: Vec<Vec<Op>>,
    /// The page drawn on: the last one, except while adding the footers.
    pub(super) current: usize,
    /// Top of the next line box on the current page.
    pub(super) y: f32,
    /// Every character drawn, per weight, to subset the fonts.
    pub(super) used: BTreeMap<Weight, BTreeSet<char>>,
    /// The header of the table being drawn, repeated after a page break.
    pub(super) table_header: Option<TableHeader>,
}

impl<'f> Layout<'f> {
    pub(super) fn new(faces: &'f Faces) -> Self {
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

    pub(super) fn ops(&mut self) -> &mut Vec<Op> {
        if self.current >= self.pages.len() {
            self.pages.resize_with(self.current + 1, Vec::new);
        }
        &mut self.pages[self.current]
    }

    pub(super) fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.current = self.pages.len() - 1;
        self.y = PAGE_H - MARGIN_TOP;
        if let Some(header) = self.table_header.clone() {
            self.draw_table_header(&header.columns, &header.titles);
        }
    }

    pub(super) fn at_page_top(&self) -> bool {
        self.y >= PAGE_H - MARGIN_TOP - 0.01
    }

    /// Starts a new page unless `height` still fits on this one (or this
    /// page is still empty: an overlong block then flows over).
    pub(super) fn ensure(&mut self, height: f32) {
        if self.y - height < MARGIN_BOTTOM && !self.at_page_top() {
            self.new_page();
        }
    }

    /// Room left on a fresh page, for blocks that must stay together.
    pub(super) fn page_capacity() -> f32 {
        PAGE_H - MARGIN_TOP - MARGIN_BOTTOM
    }

    pub(super) fn gap(&mut self, height: f32) {
        if !self.at_page_top() {
            self.y -= height;
        }
    }

    // -- text measurement ---------------------------------------------------

    /// `text` cleaned, with what the font cannot draw replaced.
    pub(super) fn printable(&self, weight: Weight, text: &str) -> String {
        let face = self.faces.get(weight);
        clean(text).chars().map(|c| face.printable(c)).collect()
    }

    /// Width of printable text.
    pub(super) fn width(&self, style: Style, text: &str) -> f32 {
        let face = self.faces.get(style.weight);
        text.chars().map(|c| face.advance(c)).sum::<f32>() * style.size
    }

    /// Lines of at most `max` points, breaking at spaces; a word longer than
    /// a line breaks after `-`, `/`, `@`, `.` or `_` if it can, else anywhere.
    /// Never drops a character, always at least one (maybe empty) line.
    pub(super) fn wrap(&self, style: Style, text: &str, max: f32) -> Vec<String> {
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

    pub(super) fn break_word(&self, style: Style, word: &str, max: f32) -> Vec<String> {
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
    pub(super) fn draw_text(&mut self, x: f32, baseline: f32, style: Style, text: &str) {
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

    pub(super) fn hline(
        &mut self,
        x0: f32,
        x1: f32,
        y: f32,
        thickness: f32,
        color: (f32, f32, f32),
    ) {
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

    pub(super) fn fill_rect(
        &mut self,
        x: f32,
        y: f32,
        width: f32,
        height: f32,
        color: (f32, f32, f32),
    ) {
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

    pub(super) fn stroke_rect(&mut self, x: f32, y: f32, width: f32, height: f32, thickness: f32) {
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
    pub(super) fn paragraph(&mut self, x: f32, width: f32, style: Style, text: &str) {
        let lh = style.line_height();
        for line in self.wrap(style, text, width) {
            self.ensure(lh);
            let baseline = self.y - style.size * BASELINE;
            self.draw_text(x, baseline, style, &line);
            self.y -= lh;
        }
    }

    pub(super) fn heading(&mut self, text: &str) {
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
    pub(super) fn row(&mut self, columns: &Columns, cells: &[(Style, &str)], padding: f32) {
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
    pub(super) fn fields(&mut self, fields: &[(&str, &str)]) {
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

    pub(super) fn draw_table_header(&mut self, columns: &Columns, titles: &[String]) {
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
    pub(super) fn table(
        &mut self,
        columns: &Columns,
        titles: &[&str],
        rows: &[Vec<(Style, &str)>],
    ) {
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

    pub(super) fn bullets(&mut self, items: &[&str], style: Style) {
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

    pub(super) fn signature_box(&mut self) {
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
    pub(super) fn footers(&mut self, doc: &ConfirmationDocument) {
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
