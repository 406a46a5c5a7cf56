//! Serialisation: the subset fonts, the metadata and the trailer `/ID`
//! derived from the document, so that the same input gives the same bytes.

use std::collections::BTreeSet;

use printpdf::{
    Mm, ParsedFont, PdfDocument, PdfFont, PdfPage, PdfParseErrorSeverity, PdfSaveOptions,
};
use sha2::{Digest, Sha256};

use super::fonts::Face;
use super::layout::Layout;
use super::style::{Weight, PAGE_H_MM, PAGE_W_MM};
use super::{confirmation_title, ConfirmationDocument, PdfError};
use crate::wording::de;

// ---------------------------------------------------------------------------
// Serialisation

/// SHA-256 of everything the document shows: the source of the trailer
/// `/ID` and the subset tags, so equal inputs give equal bytes.
pub(super) fn fingerprint(doc: &ConfirmationDocument) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(b"examreg confirmation v1\n");
    hasher.update(format!("{doc:?}").as_bytes());
    hasher.finalize().into()
}

/// The six capital letters that prefix a subset font's name (ISO 32000-1,
/// 9.6.4), derived from the glyphs it holds.
pub(super) fn subset_tag(weight: Weight, glyphs: &[u16]) -> String {
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
pub(super) fn subset(face: &Face, chars: &BTreeSet<char>) -> Result<ParsedFont, PdfError> {
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

pub(super) fn write_pdf(
    layout: Layout<'_>,
    doc: &ConfirmationDocument,
) -> Result<Vec<u8>, PdfError> {
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
