//! The structural check of an uploaded file: it must read wholly as the type
//! it was declared as (not only start with its magic bytes), and a PDF must
//! carry no active content. Pure; run by `files::inspect` on the stored bytes.
//!
//! Memory stays bounded for the Lambda (files up to 5 MiB, BENCHMARKS.md
//! « Upload check »): a PNG is decoded row by row (one row held at a time),
//! a JPEG is decoded to one grey channel under a pixel cap, a PDF's objects
//! are parsed with a cap on any stream's decompressed size.

use lopdf::xref::XrefEntry;
use lopdf::{Dictionary, Document, LoadOptions, Object};

use super::file_type::FileType;

/// The most pixels an image may have: 64 million (a 48-megapixel phone
/// photo, or an A4 page scanned at 600 dpi, 35 million, fit). Beyond, it is
/// refused before its pixels are decoded (a small file can declare huge
/// dimensions).
pub const MAX_PIXELS: u64 = 64_000_000;

/// The most bytes one PDF stream may decompress to while the document loads
/// (object and cross-reference streams): a decompression bomb stops there.
const MAX_PDF_STREAM_BYTES: usize = 32 * 1024 * 1024;

/// Why a file was refused, each read by the candidate in [`Refusal::reason_fr`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// It does not read as the declared type, wholly (truncated, corrupted,
    /// or something else behind the right first bytes).
    Unreadable(FileType),
    /// An image larger than [`MAX_PIXELS`].
    TooManyPixels,
    /// A PDF that opens only with a password.
    PasswordProtected,
    /// A PDF with JavaScript.
    JavaScript,
    /// A PDF with an action that starts a program, opens another file or
    /// sends data (/Launch, /GoToR, /SubmitForm, /ImportData).
    ExternalAction,
    /// A PDF with attached files (/EmbeddedFiles, file attachments).
    EmbeddedFiles,
    /// A PDF with multimedia or a dynamic (XFA) form.
    RichContent,
}

/// How to make an acceptable PDF again, said after each PDF refusal.
const RESAVE_PDF: &str = "Ouvrez-le puis enregistrez-le de nouveau au format PDF (par exemple avec « Imprimer » puis « Enregistrer au format PDF »), ou numérisez de nouveau le document, et déposez le nouveau fichier.";

impl Refusal {
    /// The French reason shown to the candidate, who must upload again.
    pub fn reason_fr(self) -> String {
        match self {
            Refusal::Unreadable(declared) => format!(
                "Le fichier déposé n'est pas un PDF, un JPEG ou un PNG valide (il devait être {}, complet et lisible) : il est peut-être incomplet ou endommagé. Déposez un fichier PDF, JPEG ou PNG d'au plus 5 Mo.",
                declared.name_fr()
            ),
            Refusal::TooManyPixels => "L'image déposée est trop grande (plus de 64 millions de pixels). Réduisez sa résolution, puis déposez-la de nouveau.".into(),
            Refusal::PasswordProtected => "Le PDF déposé est protégé par un mot de passe : la division des examens et concours ne pourrait pas l'ouvrir. Enregistrez-le sans mot de passe, puis déposez-le de nouveau.".into(),
            Refusal::JavaScript => format!(
                "Le PDF déposé contient du code JavaScript, que nous n'acceptons pas par sécurité. {RESAVE_PDF}"
            ),
            Refusal::ExternalAction => format!(
                "Le PDF déposé contient une action qui lance un programme, ouvre un autre fichier ou envoie des données, ce que nous n'acceptons pas par sécurité. {RESAVE_PDF}"
            ),
            Refusal::EmbeddedFiles => format!(
                "Le PDF déposé contient des fichiers joints, que nous n'acceptons pas par sécurité : déposez chaque document séparément. {RESAVE_PDF}"
            ),
            Refusal::RichContent => format!(
                "Le PDF déposé contient un contenu multimédia ou un formulaire dynamique, que nous n'acceptons pas par sécurité. {RESAVE_PDF}"
            ),
        }
    }
}

/// Checks that `bytes` read wholly as `declared` (and, for a PDF, carry no
/// active content).
pub fn check(declared: FileType, bytes: &[u8]) -> Result<(), Refusal> {
    match declared {
        FileType::Pdf => check_pdf(bytes),
        FileType::Png => check_png(bytes),
        FileType::Jpeg => check_jpeg(bytes),
    }
}

/// The last chunk of every PNG: IEND, no data, its CRC.
const PNG_IEND: &[u8] = b"\0\0\0\0IEND\xAE\x42\x60\x82";

/// A PNG: every chunk's CRC and the image data's zlib stream (Adler-32
/// included) decoded, row by row, to the IEND chunk, which ends the file
/// (nothing may hide behind it).
fn check_png(bytes: &[u8]) -> Result<(), Refusal> {
    let unreadable = |_| Refusal::Unreadable(FileType::Png);
    if !bytes.ends_with(PNG_IEND) {
        return Err(Refusal::Unreadable(FileType::Png));
    }
    let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    decoder.ignore_checksums(false);
    let mut reader = decoder.read_info().map_err(unreadable)?;
    let info = reader.info();
    if u64::from(info.width) * u64::from(info.height) > MAX_PIXELS {
        return Err(Refusal::TooManyPixels);
    }
    while reader.next_row().map_err(unreadable)?.is_some() {}
    reader.finish().map_err(unreadable)
}

/// A JPEG: its headers, then every scan's entropy-coded data decoded in
/// strict mode (a corrupted or truncated scan is an error, not grey blocks),
/// and its end-of-image marker. Decoded to one grey channel: the pixels are
/// dropped at once, only their decoding matters.
fn check_jpeg(bytes: &[u8]) -> Result<(), Refusal> {
    use zune_core::bytestream::ZCursor;
    use zune_core::colorspace::ColorSpace;
    use zune_core::options::DecoderOptions;
    use zune_jpeg::JpegDecoder;

    let unreadable = |_| Refusal::Unreadable(FileType::Jpeg);
    // The end-of-image marker ends the file; some cameras pad with zeros.
    let end = bytes
        .iter()
        .rposition(|b| *b != 0)
        .map_or(0, |last| last + 1);
    if !bytes[..end].ends_with(b"\xFF\xD9") {
        return Err(Refusal::Unreadable(FileType::Jpeg));
    }
    let side = MAX_PIXELS as usize;
    let options = DecoderOptions::default()
        .set_strict_mode(true)
        .set_max_width(side)
        .set_max_height(side)
        .jpeg_set_out_colorspace(ColorSpace::Luma);
    let mut decoder = JpegDecoder::new_with_options(ZCursor::new(bytes), options);
    decoder.decode_headers().map_err(unreadable)?;
    let (width, height) = decoder
        .dimensions()
        .ok_or(Refusal::Unreadable(FileType::Jpeg))?;
    if (width as u64) * (height as u64) > MAX_PIXELS {
        return Err(Refusal::TooManyPixels);
    }
    decoder.decode().map(drop).map_err(unreadable)
}

/// A PDF: its cross-reference table and trailer, then every object they
/// list, parsed; a catalog with at least one page; only whitespace after
/// the last `%%EOF`; no active content ([`active_content`]).
///
/// Encryption: a PDF that opens with the empty user password (the usual
/// "permissions" encryption of scanner apps and office suites: anyone can
/// read it) is decrypted and checked like any other; one that needs a
/// password is refused, as the office could not open it and its content
/// cannot be checked.
fn check_pdf(bytes: &[u8]) -> Result<(), Refusal> {
    let unreadable = Refusal::Unreadable(FileType::Pdf);
    if !ends_with_eof_marker(bytes) {
        return Err(unreadable);
    }
    let options = LoadOptions {
        max_decompressed_size: Some(MAX_PDF_STREAM_BYTES),
        ..LoadOptions::default()
    };
    let document = Document::load_mem_with_options(bytes, options).map_err(|_| unreadable)?;
    if document.trailer.has(b"Encrypt") {
        // lopdf removes /Encrypt once it decrypted the objects: still there,
        // the empty password did not open it (and nothing was read).
        return Err(Refusal::PasswordProtected);
    }
    // lopdf skips an object it cannot parse: every object the
    // cross-reference table lists in use must have been read.
    let mut listed = 0;
    for (&number, entry) in &document.reference_table.entries {
        let generation = match entry {
            XrefEntry::Normal { generation, .. } => *generation,
            XrefEntry::Compressed { .. } => 0,
            XrefEntry::Free | XrefEntry::UnusableFree => continue,
        };
        listed += 1;
        if !document.objects.contains_key(&(number, generation)) {
            return Err(unreadable);
        }
    }
    if listed == 0 || document.catalog().is_err() || document.get_pages().is_empty() {
        return Err(unreadable);
    }
    match document.objects.values().find_map(active_content) {
        Some(refusal) => Err(refusal),
        None => Ok(()),
    }
}

/// Whether the file's last non-blank line is `%%EOF` (HTML or anything else
/// appended to a PDF is refused).
fn ends_with_eof_marker(bytes: &[u8]) -> bool {
    let end = bytes
        .iter()
        .rposition(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'\0' | b'\x0C'))
        .map_or(0, |last| last + 1);
    bytes[..end].ends_with(b"%%EOF")
}

/// The first active content in `object` or the objects written inside it
/// (dictionaries, arrays, streams' dictionaries; references are followed
/// by the walk over every object of the document).
///
/// Refused: JavaScript (a /JS entry, a /JavaScript action or names tree);
/// /Launch (runs a program), /GoToR (opens another file, possibly on a
/// remote share, which leaks the reader's credentials on some systems),
/// /SubmitForm and /ImportData (send or load form data); /EmbeddedFiles,
/// /Filespec with an /EF stream, /FileAttachment annotations and /GoToE
/// (files inside the PDF, unchecked by us); /RichMedia, /Movie, /Sound,
/// /Screen and /3D (players, historically the most exploited parts of
/// readers) and XFA forms (their own scripting).
///
/// Kept: /OpenAction and /AA (additional actions) as such, since most PDF
/// writers use /OpenAction to open at the first page: what they trigger is
/// an action dictionary, itself checked here, so a JavaScript or Launch
/// open action is refused and a /GoTo is kept. /URI actions (links) are
/// kept: readers ask before following them, and a web address in a scanned
/// document is harmless to the office. Plain AcroForm fields are kept.
fn active_content(object: &Object) -> Option<Refusal> {
    match object {
        Object::Dictionary(dictionary) => dictionary_content(dictionary),
        Object::Stream(stream) => dictionary_content(&stream.dict),
        Object::Array(items) => items.iter().find_map(active_content),
        _ => None,
    }
}

fn dictionary_content(dictionary: &Dictionary) -> Option<Refusal> {
    let name = |key: &[u8]| dictionary.get(key).and_then(Object::as_name).ok();
    if dictionary.has(b"JS") || dictionary.has(b"JavaScript") {
        return Some(Refusal::JavaScript);
    }
    if dictionary.has(b"EmbeddedFiles") || dictionary.has(b"EF") {
        return Some(Refusal::EmbeddedFiles);
    }
    if dictionary.has(b"XFA") || dictionary.has(b"RichMediaContent") {
        return Some(Refusal::RichContent);
    }
    let refusal = match name(b"S") {
        Some(b"JavaScript") => Some(Refusal::JavaScript),
        Some(b"Launch" | b"GoToR" | b"SubmitForm" | b"ImportData") => Some(Refusal::ExternalAction),
        Some(b"GoToE") => Some(Refusal::EmbeddedFiles),
        Some(b"Rendition" | b"Movie" | b"Sound") => Some(Refusal::RichContent),
        _ => None,
    };
    let refusal = refusal.or(match name(b"Subtype") {
        Some(b"FileAttachment") => Some(Refusal::EmbeddedFiles),
        Some(b"RichMedia" | b"Movie" | b"Sound" | b"Screen" | b"3D") => Some(Refusal::RichContent),
        _ => None,
    });
    refusal.or_else(|| {
        dictionary
            .iter()
            .find_map(|(_, value)| active_content(value))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::files as fixtures;

    #[test]
    fn valid_files_of_each_type_pass() {
        assert_eq!(check(FileType::Pdf, &fixtures::pdf()), Ok(()));
        assert_eq!(check(FileType::Png, &fixtures::png()), Ok(()));
        assert_eq!(check(FileType::Jpeg, &fixtures::jpeg()), Ok(()));
        assert_eq!(
            check(FileType::Pdf, &fixtures::pdf_opening_at_first_page()),
            Ok(())
        );
        assert_eq!(check(FileType::Pdf, &fixtures::pdf_with_link()), Ok(()));
    }

    #[test]
    fn html_behind_a_pdf_header_is_refused() {
        let html = fixtures::html_behind_pdf_header();
        assert_eq!(
            check(FileType::Pdf, &html),
            Err(Refusal::Unreadable(FileType::Pdf))
        );
        // Magic bytes and an end marker are not enough either.
        let fake = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n";
        assert_eq!(
            check(FileType::Pdf, fake),
            Err(Refusal::Unreadable(FileType::Pdf))
        );
        // A valid PDF with a page of HTML appended.
        let appended = [
            fixtures::pdf(),
            b"<html><script>alert(1)</script></html>".to_vec(),
        ]
        .concat();
        assert_eq!(
            check(FileType::Pdf, &appended),
            Err(Refusal::Unreadable(FileType::Pdf))
        );
    }

    #[test]
    fn a_pdf_with_garbage_objects_is_refused() {
        let mut pdf = fixtures::pdf();
        // Overwrite the catalog object's body, keeping the offsets right.
        let at = pdf.windows(5).position(|w| w == b"/Type").unwrap();
        pdf[at..at + 5].copy_from_slice(b"))>>(");
        assert_eq!(
            check(FileType::Pdf, &pdf),
            Err(Refusal::Unreadable(FileType::Pdf))
        );
    }

    #[test]
    fn pdfs_with_active_content_are_refused() {
        let cases = [
            (
                fixtures::pdf_with_javascript_open_action(),
                Refusal::JavaScript,
            ),
            (fixtures::pdf_with_launch_action(), Refusal::ExternalAction),
            (fixtures::pdf_with_embedded_file(), Refusal::EmbeddedFiles),
            (
                fixtures::pdf_with_file_attachment_annotation(),
                Refusal::EmbeddedFiles,
            ),
            (
                fixtures::pdf_with_javascript_names_tree(),
                Refusal::JavaScript,
            ),
        ];
        for (bytes, refusal) in cases {
            assert_eq!(check(FileType::Pdf, &bytes), Err(refusal));
        }
    }

    #[test]
    fn password_protected_pdfs_are_refused_with_their_own_reason() {
        assert_eq!(
            check(FileType::Pdf, &fixtures::pdf_needing_a_password()),
            Err(Refusal::PasswordProtected)
        );
        let reason = Refusal::PasswordProtected.reason_fr();
        assert!(reason.contains("mot de passe"), "{reason}");
    }

    #[test]
    fn truncated_or_corrupted_images_are_refused() {
        let png = fixtures::png();
        let truncated = &png[..png.len() - 20];
        assert_eq!(
            check(FileType::Png, truncated),
            Err(Refusal::Unreadable(FileType::Png))
        );
        let mut corrupted = png.clone();
        let at = corrupted.windows(4).position(|w| w == b"IDAT").unwrap() + 6;
        corrupted[at] ^= 0xFF;
        assert_eq!(
            check(FileType::Png, &corrupted),
            Err(Refusal::Unreadable(FileType::Png))
        );

        let jpeg = fixtures::jpeg();
        let without_end = &jpeg[..jpeg.len() - 2];
        assert_eq!(
            check(FileType::Jpeg, without_end),
            Err(Refusal::Unreadable(FileType::Jpeg))
        );
        let half = [&jpeg[..jpeg.len() / 2], b"\xFF\xD9".as_slice()].concat();
        assert_eq!(
            check(FileType::Jpeg, &half),
            Err(Refusal::Unreadable(FileType::Jpeg))
        );
        // A PNG declared as a JPEG, and the reverse.
        assert!(check(FileType::Jpeg, &png).is_err());
        assert!(check(FileType::Png, &jpeg).is_err());
    }

    #[test]
    fn images_declaring_too_many_pixels_are_refused_before_decoding() {
        assert_eq!(
            check(FileType::Png, &fixtures::png_declaring(10_000, 10_000)),
            Err(Refusal::TooManyPixels)
        );
    }

    #[test]
    fn every_reason_reads_in_french() {
        for refusal in [
            Refusal::Unreadable(FileType::Jpeg),
            Refusal::TooManyPixels,
            Refusal::PasswordProtected,
            Refusal::JavaScript,
            Refusal::ExternalAction,
            Refusal::EmbeddedFiles,
            Refusal::RichContent,
        ] {
            let reason = refusal.reason_fr();
            assert!(
                reason.contains("déposez") || reason.contains("Déposez"),
                "{reason}"
            );
        }
    }
}
