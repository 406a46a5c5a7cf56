//! Serialisation with krilla: a tagged PDF/UA-1 file whose structure tree
//! is the layout's, its artefacts marked, its fonts subset with a Unicode
//! map, its identifiers derived from the document so that the same input
//! gives the same bytes.

use krilla::color::rgb;
use krilla::configure::{Accessibility, ConfigurationBuilder};
use krilla::destination::XyzDestination;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::Metadata;
use krilla::num::NormalizedF32;
use krilla::outline::{Outline, OutlineNode};
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::surface::Surface;
use krilla::tagging::{
    Artifact, ArtifactType, ContentTag, Identifier, ListNumbering, SpanTag, TableHeaderScope, Tag,
    TagGroup, TagKind, TagTree,
};
use krilla::text::{Font, GlyphId, KrillaGlyph};
use krilla::{Document, SerializeSettings};
use sha2::{Digest, Sha256};

use super::fonts::Faces;
use super::layout::{Kind, Layout, Node, Op, Role};
use super::style::{rgb8, Weight, PAGE_H, PAGE_W};
use super::{confirmation_title, ConfirmationDocument, PdfError};
use crate::wording::de;

/// The document's language, for the catalogue and screen readers.
pub(super) const LANGUAGE: &str = "fr-FR";

/// SHA-256 of everything the document shows: the source of the document
/// identifier (krilla derives the trailer `/ID` from it and the content),
/// so equal inputs give equal bytes.
pub(super) fn fingerprint(doc: &ConfirmationDocument) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(b"examreg confirmation v2\n");
    hasher.update(format!("{doc:?}").as_bytes());
    hasher.finalize().into()
}

/// The two faces as krilla fonts (it subsets them to the glyphs drawn).
struct Fonts {
    regular: Font,
    bold: Font,
}

impl Fonts {
    fn new(faces: &Faces) -> Result<Self, PdfError> {
        let regular =
            Font::new(faces.regular.bytes.into(), 0).ok_or(PdfError::Font("DejaVuSans.ttf"))?;
        let bold =
            Font::new(faces.bold.bytes.into(), 0).ok_or(PdfError::Font("DejaVuSans-Bold.ttf"))?;
        Ok(Self { regular, bold })
    }

    fn get(&self, weight: Weight) -> Font {
        match weight {
            Weight::Regular => self.regular.clone(),
            Weight::Bold => self.bold.clone(),
        }
    }
}

fn fill(color: (f32, f32, f32)) -> Fill {
    let (r, g, b) = rgb8(color);
    Fill {
        paint: rgb::Color::new(r, g, b).into(),
        opacity: NormalizedF32::ONE,
        rule: Default::default(),
    }
}

/// Draws one instruction (krilla's origin is at the top left, y down).
fn draw(
    surface: &mut Surface<'_>,
    faces: &Faces,
    fonts: &Fonts,
    op: &Op,
    identifiers: &mut [Option<Identifier>],
) {
    match op {
        Op::Text {
            x,
            baseline,
            style,
            text,
            role,
        } => {
            let face = faces.get(style.weight);
            let glyphs: Vec<KrillaGlyph> = text
                .char_indices()
                .map(|(at, c)| {
                    let gid = face.glyph(c).unwrap_or(0);
                    KrillaGlyph::new(
                        GlyphId::new(gid),
                        face.glyph_advance(gid),
                        0.0,
                        0.0,
                        0.0,
                        at..at + c.len_utf8(),
                        None,
                    )
                })
                .collect();
            let tag = match role {
                Role::Content(_) => ContentTag::Span(SpanTag::empty()),
                Role::Pagination => {
                    ContentTag::Artifact(Artifact::with_kind(ArtifactType::PaginationOther))
                }
            };
            let id = surface.start_tagged(tag);
            surface.set_stroke(None);
            surface.set_fill(Some(fill(style.color)));
            surface.draw_glyphs(
                Point::from_xy(*x, PAGE_H - baseline),
                &glyphs,
                fonts.get(style.weight),
                text,
                style.size,
                false,
            );
            surface.end_tagged();
            if let Role::Content(mark) = role {
                if let Some(slot) = identifiers.get_mut(*mark) {
                    *slot = Some(id);
                }
            }
        }
        Op::Line {
            x0,
            x1,
            y,
            thickness,
            color,
        } => {
            let mut path = PathBuilder::new();
            path.move_to(*x0, PAGE_H - y);
            path.line_to(*x1, PAGE_H - y);
            stroke(surface, path, *color, *thickness);
        }
        Op::FillRect {
            x,
            y,
            width,
            height,
            color,
        } => {
            if let Some(path) = rect_path(*x, *y, *width, *height).finish() {
                surface.start_tagged(ContentTag::Artifact(Artifact::with_kind(
                    ArtifactType::Layout,
                )));
                surface.set_stroke(None);
                surface.set_fill(Some(fill(*color)));
                surface.draw_path(&path);
                surface.end_tagged();
            }
        }
        Op::StrokeRect {
            x,
            y,
            width,
            height,
            thickness,
        } => {
            let path = rect_path(*x, *y, *width, *height);
            stroke(surface, path, super::style::INK, *thickness);
        }
    }
}

/// A rectangle in layout coordinates (`y` down from the top of the page).
fn rect_path(x: f32, y: f32, width: f32, height: f32) -> PathBuilder {
    let mut path = PathBuilder::new();
    if let Some(rect) = Rect::from_xywh(x, PAGE_H - y - height, width, height) {
        path.push_rect(rect);
    }
    path
}

/// Strokes a path in `color`, `width` thick, as a layout artefact (rules,
/// boxes).
fn stroke(surface: &mut Surface<'_>, path: PathBuilder, color: (f32, f32, f32), width: f32) {
    let (r, g, b) = rgb8(color);
    let stroke = Stroke {
        paint: rgb::Color::new(r, g, b).into(),
        width,
        ..Stroke::default()
    };
    if let Some(path) = path.finish() {
        surface.start_tagged(ContentTag::Artifact(Artifact::with_kind(
            ArtifactType::Layout,
        )));
        surface.set_fill(None);
        surface.set_stroke(Some(stroke));
        surface.draw_path(&path);
        surface.end_tagged();
    }
}

/// krilla's tag for a structure element.
fn tag_kind(kind: Kind) -> TagKind {
    match kind {
        Kind::Heading(level, title) => {
            let level = std::num::NonZeroU16::new(level).unwrap_or(std::num::NonZeroU16::MIN);
            Tag::Hn(level, Some(title)).into()
        }
        Kind::P => Tag::P.into(),
        Kind::Table => Tag::Table.into(),
        Kind::THead => Tag::THead.into(),
        Kind::TBody => Tag::TBody.into(),
        Kind::Tr => Tag::TR.into(),
        Kind::Th(true) => Tag::TH(TableHeaderScope::Column).into(),
        Kind::Th(false) => Tag::TH(TableHeaderScope::Row).into(),
        Kind::Td => Tag::TD.into(),
        Kind::L => Tag::L(ListNumbering::Disc).into(),
        Kind::Li => Tag::LI.into(),
        Kind::Lbl => Tag::Lbl.into(),
        Kind::LBody => Tag::LBody.into(),
        Kind::Sect => Tag::Section.into(),
    }
}

/// The layout's structure tree as krilla's, each mark replaced by the
/// identifier of what it drew (each used exactly once).
fn tag_node(node: Node, identifiers: &mut [Option<Identifier>]) -> Option<krilla::tagging::Node> {
    match node {
        Node::Mark(mark) => identifiers
            .get_mut(mark)
            .and_then(Option::take)
            .map(Into::into),
        Node::Group(kind, children) => {
            let children: Vec<_> = children
                .into_iter()
                .filter_map(|child| tag_node(child, identifiers))
                .collect();
            // An element with nothing drawn (an empty value) is left out.
            (!children.is_empty()).then(|| TagGroup::with_children(tag_kind(kind), children).into())
        }
    }
}

pub(super) fn write_pdf(
    mut layout: Layout<'_>,
    doc: &ConfirmationDocument,
) -> Result<Vec<u8>, PdfError> {
    let configuration = ConfigurationBuilder::new()
        .with_accessibility_validator(Accessibility::UA1)
        .finish()
        .map_err(|e| PdfError::Write(format!("{e:?}")))?;
    let settings = SerializeSettings {
        configuration,
        enable_tagging: true,
        ..SerializeSettings::default()
    };
    let mut document = Document::new_with(settings);

    let faces = layout.faces;
    let fonts = Fonts::new(faces)?;
    let structure = layout.finish_structure();
    let marks = layout
        .pages
        .iter()
        .flatten()
        .filter(|op| {
            matches!(
                op,
                Op::Text {
                    role: Role::Content(_),
                    ..
                }
            )
        })
        .count();
    let mut identifiers: Vec<Option<Identifier>> = vec![None; marks];
    let settings = PageSettings::from_wh(PAGE_W, PAGE_H)
        .ok_or_else(|| PdfError::Write("invalid page size".to_owned()))?;
    for ops in &layout.pages {
        let mut page = document.start_page_with(settings.clone());
        let mut surface = page.surface();
        for op in ops {
            draw(&mut surface, faces, &fonts, op, &mut identifiers);
        }
        surface.finish();
        page.finish();
    }

    let mut tree = TagTree::new().with_lang(Some(LANGUAGE.to_owned()));
    for node in structure {
        if let Some(node) = tag_node(node, &mut identifiers) {
            tree.push(node);
        }
    }
    document.set_tag_tree(tree);

    // The outline PDF/UA asks for: the headings, the sections under the title.
    let mut outline = Outline::new();
    let mut title: Option<OutlineNode> = None;
    for (level, text, page, top) in &layout.outline {
        let node = OutlineNode::new(
            text.clone(),
            XyzDestination::new(*page, Point::from_xy(0.0, PAGE_H - top)),
        );
        match (&mut title, level) {
            (Some(parent), 2..) => parent.push_child(node),
            _ => {
                if let Some(done) = title.take() {
                    outline.push_child(done);
                }
                title = Some(node);
            }
        }
    }
    if let Some(done) = title {
        outline.push_child(done);
    }
    document.set_outline(outline);

    let digest = fingerprint(doc);
    document.set_metadata(
        Metadata::new()
            .title(confirmation_title(&doc.session))
            .language(LANGUAGE.to_owned())
            .authors(vec![format!(
                "Académie {} — Division des examens et concours",
                de(&doc.academie)
            )])
            .description(format!(
                "{} — {} — version {}",
                doc.diploma_label.trim(),
                doc.specialty_label.trim(),
                doc.version
            ))
            .creator("examreg".to_owned())
            .producer("examreg (krilla)".to_owned())
            .document_id(hex::encode(&digest[..16])),
    );
    document
        .finish()
        .map_err(|e| PdfError::Write(format!("{e:?}")))
}
