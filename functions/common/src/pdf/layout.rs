//! Layout: a cursor going down the page, a new page when the next line does
//! not fit, and the blocks the document is made of (paragraphs, tables...).

use super::fonts::{clean, Faces};
use super::style::{
    Style, Weight, ACCENT, BASELINE, BODY, BODY_STYLE, CONTENT_W, FOOTER_BASELINE, HEADER_FILL,
    HEADING_STYLE, INK, LABEL_STYLE, MARGIN_BOTTOM, MARGIN_TOP, MARGIN_X, MM, PAGE_H, RULE, SMALL,
    SMALL_STYLE, STRONG_STYLE,
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

/// What a drawing is to a reader: a piece of the text, identified by its
/// mark (a leaf of the structure tree), or an artefact that assistive
/// technologies skip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Role {
    /// The n-th piece of content drawn, a leaf of [`Node`]s.
    Content(usize),
    /// Page furniture: the footers and a table's header repeated on a
    /// continuation page.
    Pagination,
}

/// One drawing instruction, in PDF points with the origin at the bottom
/// left of the page; rules and boxes are always layout artefacts.
#[derive(Debug, Clone)]
pub(super) enum Op {
    Text {
        x: f32,
        baseline: f32,
        style: Style,
        /// Printable text (every character has a glyph).
        text: String,
        role: Role,
    },
    Line {
        x0: f32,
        x1: f32,
        y: f32,
        thickness: f32,
        color: (f32, f32, f32),
    },
    FillRect {
        x: f32,
        y: f32,
        width: f32,
        height: f32,
        color: (f32, f32, f32),
    },
    StrokeRect {
        x: f32,
        y: f32,
        width: f32,
        height: f32,
        thickness: f32,
    },
}

/// A structure element of the tagged PDF.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Kind {
    /// A heading of that level, with its text as the title.
    Heading(u16, String),
    P,
    Table,
    THead,
    TBody,
    Tr,
    /// A header cell for its column (`true`) or its row.
    Th(bool),
    Td,
    L,
    Li,
    Lbl,
    LBody,
    Sect,
}

/// The structure tree, in reading order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Node {
    Group(Kind, Vec<Node>),
    /// The content drawn with [`Role::Content`] of that number.
    Mark(usize),
}

pub(super) struct Layout<'f> {
    pub(super) faces: &'f Faces,
    pub(super) pages: Vec<Vec<Op>>,
    /// The page drawn on: the last one, except while adding the footers.
    pub(super) current: usize,
    /// Top of the next line box on the current page.
    pub(super) y: f32,
    /// The header of the table being drawn, repeated after a page break.
    pub(super) table_header: Option<TableHeader>,
    /// The structure tree's top-level elements.
    pub(super) roots: Vec<Node>,
    /// The elements being filled, innermost last.
    open: Vec<(Kind, Vec<Node>)>,
    /// How many pieces of content were drawn.
    marks: usize,
    /// Each heading's level, text, page and top (the PDF/UA outline).
    pub(super) outline: Vec<(u16, String, usize, f32)>,
}

impl<'f> Layout<'f> {
    pub(super) fn new(faces: &'f Faces) -> Self {
        let mut layout = Layout {
            faces,
            pages: Vec::new(),
            current: 0,
            y: 0.0,
            table_header: None,
            roots: Vec::new(),
            open: Vec::new(),
            marks: 0,
            outline: Vec::new(),
        };
        layout.new_page();
        layout
    }

    // -- structure ----------------------------------------------------------

    /// Opens a structure element: what is drawn until [`Self::close`]
    /// belongs to it.
    pub(super) fn open(&mut self, kind: Kind) {
        self.open.push((kind, Vec::new()));
    }

    /// Closes the innermost element, into its parent (or the tree's top).
    pub(super) fn close(&mut self) {
        if let Some((kind, children)) = self.open.pop() {
            self.attach(Node::Group(kind, children));
        }
    }

    fn attach(&mut self, node: Node) {
        match self.open.last_mut() {
            Some((_, children)) => children.push(node),
            None => self.roots.push(node),
        }
    }

    /// The structure tree, every element closed.
    pub(super) fn finish_structure(&mut self) -> Vec<Node> {
        while !self.open.is_empty() {
            self.close();
        }
        std::mem::take(&mut self.roots)
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
            // Repeated for the eye: the table's structure has it once.
            self.draw_table_header(&header.columns, &header.titles, false);
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

    /// Draws printable text with its baseline at `baseline`, as a new
    /// piece of content whose mark is returned (to be attached to the
    /// structure tree), or as page furniture.
    fn push_text(
        &mut self,
        x: f32,
        baseline: f32,
        style: Style,
        text: &str,
        content: bool,
    ) -> Option<usize> {
        if text.is_empty() {
            return None;
        }
        let role = if content {
            self.marks += 1;
            Role::Content(self.marks - 1)
        } else {
            Role::Pagination
        };
        self.ops().push(Op::Text {
            x,
            baseline,
            style,
            text: text.to_owned(),
            role,
        });
        match role {
            Role::Content(mark) => Some(mark),
            Role::Pagination => None,
        }
    }

    /// Draws content text, a part of the innermost open element.
    pub(super) fn draw_text(&mut self, x: f32, baseline: f32, style: Style, text: &str) {
        if let Some(mark) = self.push_text(x, baseline, style, text, true) {
            self.attach(Node::Mark(mark));
        }
    }

    pub(super) fn hline(
        &mut self,
        x0: f32,
        x1: f32,
        y: f32,
        thickness: f32,
        color: (f32, f32, f32),
    ) {
        self.ops().push(Op::Line {
            x0,
            x1,
            y,
            thickness,
            color,
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
        self.ops().push(Op::FillRect {
            x,
            y,
            width,
            height,
            color,
        });
    }

    pub(super) fn stroke_rect(&mut self, x: f32, y: f32, width: f32, height: f32, thickness: f32) {
        self.ops().push(Op::StrokeRect {
            x,
            y,
            width,
            height,
            thickness,
        });
    }

    // -- blocks -------------------------------------------------------------

    /// Wrapped lines from `x`, `width` wide, in the open element.
    fn lines(&mut self, x: f32, width: f32, style: Style, text: &str) {
        let lh = style.line_height();
        for line in self.wrap(style, text, width) {
            self.ensure(lh);
            let baseline = self.y - style.size * BASELINE;
            self.draw_text(x, baseline, style, &line);
            self.y -= lh;
        }
    }

    /// A wrapped block of text from `x`, `width` wide, as one structure
    /// element (a paragraph, a heading).
    pub(super) fn block(&mut self, kind: Kind, x: f32, width: f32, style: Style, text: &str) {
        if let Kind::Heading(level, title) = &kind {
            self.ensure(style.line_height());
            let entry = (*level, title.clone(), self.current, self.y);
            self.outline.push(entry);
        }
        self.open(kind);
        self.lines(x, width, style, text);
        self.close();
    }

    /// A wrapped paragraph from `x`, `width` wide.
    pub(super) fn paragraph(&mut self, x: f32, width: f32, style: Style, text: &str) {
        self.block(Kind::P, x, width, style, text);
    }

    /// A section's heading (H2), ruled underneath.
    pub(super) fn heading(&mut self, text: &str) {
        let style = HEADING_STYLE;
        // Keep the heading with at least three lines of what follows.
        self.gap(9.0);
        self.ensure(style.line_height() + 6.0 + 3.0 * BODY_STYLE.line_height());
        let title = self.printable(style.weight, text);
        self.block(Kind::Heading(2, title), MARGIN_X, CONTENT_W, style, text);
        let y = self.y + 1.5;
        self.hline(MARGIN_X, MARGIN_X + CONTENT_W, y, 0.8, ACCENT);
        self.y -= 4.5;
    }

    /// One table row (`TR`) of cells side by side, each wrapped in its
    /// column and tagged with its kind (header or data cell), kept on one
    /// page when it fits on one, else continued on the next page(s). Each
    /// cell is drawn in one go per page, so its text reads (and copies)
    /// in one piece.
    pub(super) fn row(&mut self, columns: &Columns, cells: &[(Kind, Style, &str)], padding: f32) {
        let wrapped: Vec<(Style, Vec<String>)> = cells
            .iter()
            .zip(columns)
            .map(|((_, style, text), (_, width))| (*style, self.wrap(*style, text, *width)))
            .collect();
        let mut nodes: Vec<Vec<Node>> = vec![Vec::new(); cells.len()];
        let lh = cells
            .iter()
            .map(|(_, style, _)| style.line_height())
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
            for (((style, cell_lines), (x, _)), cell) in
                wrapped.iter().zip(columns).zip(nodes.iter_mut())
            {
                for (k, line) in cell_lines.iter().enumerate().take(end).skip(start) {
                    let top = self.y - (k - start) as f32 * lh;
                    let baseline = top - style.size * BASELINE;
                    if let Some(mark) = self.push_text(*x, baseline, *style, line, true) {
                        cell.push(Node::Mark(mark));
                    }
                }
            }
            self.y -= (end - start) as f32 * lh;
            start = end;
            if start < lines {
                self.new_page();
            }
        }
        self.y -= padding;
        let cells = cells
            .iter()
            .zip(nodes)
            .map(|((kind, _, _), children)| Node::Group(kind.clone(), children))
            .collect();
        self.attach(Node::Group(Kind::Tr, cells));
    }

    /// Label / value pairs in two columns, a thin rule between rows: a
    /// table whose rows are headed by their label.
    pub(super) fn fields(&mut self, fields: &[(&str, &str)]) {
        let label_w = 52.0 * MM;
        let columns = [
            (MARGIN_X, label_w - 4.0 * MM),
            (MARGIN_X + label_w, CONTENT_W - label_w),
        ];
        self.open(Kind::Table);
        for (i, (label, value)) in fields.iter().enumerate() {
            if i > 0 && !self.at_page_top() {
                let y = self.y;
                self.hline(MARGIN_X, MARGIN_X + CONTENT_W, y, 0.3, RULE);
            }
            self.row(
                &columns,
                &[
                    (Kind::Th(false), LABEL_STYLE, label),
                    (Kind::Td, STRONG_STYLE, value),
                ],
                2.6,
            );
        }
        self.close();
    }

    /// The shaded header row: its titles are content the first time
    /// (`content`), page furniture when repeated on a continuation page.
    pub(super) fn draw_table_header(
        &mut self,
        columns: &Columns,
        titles: &[String],
        content: bool,
    ) {
        let style = STRONG_STYLE;
        let padding = 3.0;
        let height = style.line_height() + 2.0 * padding;
        let top = self.y;
        self.fill_rect(MARGIN_X, top - height, CONTENT_W, height, HEADER_FILL);
        let mut cells = Vec::new();
        for ((x, _), title) in columns.iter().zip(titles) {
            let text = self.printable(style.weight, title);
            let baseline = top - padding - style.size * BASELINE;
            if let Some(mark) = self.push_text(*x, baseline, style, &text, content) {
                cells.push(Node::Group(Kind::Th(true), vec![Node::Mark(mark)]));
            }
        }
        if content {
            self.attach(Node::Group(Kind::THead, vec![Node::Group(Kind::Tr, cells)]));
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
        self.open(Kind::Table);
        self.draw_table_header(columns, &titles, true);
        self.table_header = Some(TableHeader {
            columns: columns.to_vec(),
            titles,
        });
        self.open(Kind::TBody);
        for row in rows {
            let cells: Vec<(Kind, Style, &str)> = row
                .iter()
                .map(|(style, text)| (Kind::Td, *style, *text))
                .collect();
            self.row(columns, &cells, 3.0);
            let y = self.y;
            self.hline(MARGIN_X, MARGIN_X + CONTENT_W, y, 0.3, RULE);
        }
        self.close();
        self.close();
        self.table_header = None;
    }

    /// A bulleted list (`L`): each item's bullet is its label, its text
    /// the item's body.
    pub(super) fn bullets(&mut self, items: &[&str], style: Style) {
        let indent = 5.0 * MM;
        self.open(Kind::L);
        for item in items {
            let lines = self.wrap(style, item, CONTENT_W - indent);
            let lh = style.line_height();
            // Keep short items whole.
            self.ensure(lh * lines.len().min(3) as f32);
            self.open(Kind::Li);
            for (i, line) in lines.iter().enumerate() {
                self.ensure(lh);
                let baseline = self.y - style.size * BASELINE;
                if i == 0 {
                    let bullet = self.printable(style.weight, "•");
                    self.open(Kind::Lbl);
                    self.draw_text(MARGIN_X + 1.5 * MM, baseline, style, &bullet);
                    self.close();
                    self.open(Kind::LBody);
                }
                self.draw_text(MARGIN_X + indent, baseline, style, line);
                self.y -= lh;
            }
            self.close();
            self.close();
            self.y -= 2.0;
        }
        self.close();
    }

    /// The box the candidate dates and signs in: a section headed by its
    /// label, the box itself an artefact.
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
        self.open(Kind::Sect);
        self.open(Kind::Heading(3, title.clone()));
        self.draw_text(MARGIN_X + pad, baseline, style, &title);
        self.close();
        let baseline = baseline - 2.2 * style.line_height();
        let date = self.printable(Weight::Regular, "Date\u{a0}:");
        let signature = self.printable(Weight::Regular, "Signature\u{a0}:");
        self.open(Kind::P);
        self.draw_text(MARGIN_X + pad, baseline, LABEL_STYLE, &date);
        self.close();
        self.open(Kind::P);
        self.draw_text(
            MARGIN_X + CONTENT_W * 0.4,
            baseline,
            LABEL_STYLE,
            &signature,
        );
        self.close();
        self.close();
        self.y = top - height;
    }

    /// The running footer, once every page is known: page furniture.
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
            self.push_text(MARGIN_X, FOOTER_BASELINE, SMALL_STYLE, &left, false);
            self.push_text(
                MARGIN_X + CONTENT_W - right_w,
                FOOTER_BASELINE,
                SMALL_STYLE,
                &right,
                false,
            );
        }
    }
}
