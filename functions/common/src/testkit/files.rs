//! Upload fixtures: tiny, real files of each accepted type (they pass the
//! structural check of `domain::filecheck`), and hostile ones built from
//! them (active content, truncation, HTML behind a PDF header).

use lopdf::{dictionary, Document, Object, ObjectId, Stream, StringFormat};

/// A one-page PDF (an empty A4 page), as a PDF writer saves it.
pub fn pdf() -> Vec<u8> {
    pdf_with(|_, _| {})
}

/// A one-page PDF to which `extend` added objects or catalog entries
/// (`catalog` is the catalog's id) before saving.
pub fn pdf_with(extend: impl FnOnce(&mut Document, ObjectId)) -> Vec<u8> {
    let mut document = Document::with_version("1.7");
    let pages_id = document.new_object_id();
    let content = document.add_object(Stream::new(dictionary! {}, b"q Q".to_vec()));
    let page = document.add_object(dictionary! {
        "Type" => "Page",
        "Parent" => pages_id,
        "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        "Contents" => content,
    });
    document.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages",
            "Kids" => vec![page.into()],
            "Count" => 1,
        }),
    );
    let catalog = document.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    document.trailer.set("Root", catalog);
    extend(&mut document, catalog);
    let mut bytes = Vec::new();
    document.save_to(&mut bytes).expect("lopdf writes the PDF");
    bytes
}

fn set_in_catalog(document: &mut Document, catalog: ObjectId, key: &str, value: Object) {
    document
        .get_object_mut(catalog)
        .and_then(Object::as_dict_mut)
        .expect("the catalog")
        .set(key, value);
}

fn text(s: &str) -> Object {
    Object::String(s.as_bytes().to_vec(), StringFormat::Literal)
}

/// The first page's id (the page is the third object written by [`pdf_with`]).
fn first_page(document: &Document) -> ObjectId {
    *document.get_pages().values().next().expect("a page")
}

/// Opens at its first page (a /GoTo /OpenAction, as most writers add): kept.
pub fn pdf_opening_at_first_page() -> Vec<u8> {
    pdf_with(|document, catalog| {
        let page = first_page(document);
        let action = dictionary! {
            "S" => "GoTo",
            "D" => vec![page.into(), "Fit".into()],
        };
        set_in_catalog(document, catalog, "OpenAction", action.into());
    })
}

/// A page with a link to a web address (a /URI action): kept.
pub fn pdf_with_link() -> Vec<u8> {
    pdf_with(|document, _| {
        let page = first_page(document);
        let link = document.add_object(dictionary! {
            "Type" => "Annot",
            "Subtype" => "Link",
            "Rect" => vec![0.into(), 0.into(), 100.into(), 20.into()],
            "A" => dictionary! { "S" => "URI", "URI" => text("https://www.education.gouv.fr/") },
        });
        let page = document
            .get_object_mut(page)
            .and_then(Object::as_dict_mut)
            .unwrap();
        page.set("Annots", vec![link.into()]);
    })
}

/// Runs JavaScript when opened (a /JavaScript /OpenAction).
pub fn pdf_with_javascript_open_action() -> Vec<u8> {
    pdf_with(|document, catalog| {
        let action = document.add_object(dictionary! {
            "Type" => "Action",
            "S" => "JavaScript",
            "JS" => text("app.alert('examreg')"),
        });
        set_in_catalog(document, catalog, "OpenAction", action.into());
    })
}

/// Document-level JavaScript in the names tree.
pub fn pdf_with_javascript_names_tree() -> Vec<u8> {
    pdf_with(|document, catalog| {
        let script = document.add_object(dictionary! { "S" => "JavaScript", "JS" => text("1") });
        let tree = dictionary! { "Names" => vec![text("init"), script.into()] };
        set_in_catalog(
            document,
            catalog,
            "Names",
            dictionary! { "JavaScript" => tree }.into(),
        );
    })
}

/// Starts a program when a page is opened (a /Launch action in /AA).
pub fn pdf_with_launch_action() -> Vec<u8> {
    pdf_with(|document, _| {
        let page = first_page(document);
        let launch = dictionary! {
            "S" => "Launch",
            "F" => text("cmd.exe"),
        };
        let page = document
            .get_object_mut(page)
            .and_then(Object::as_dict_mut)
            .unwrap();
        page.set("AA", dictionary! { "O" => launch });
    })
}

/// A file embedded in the names tree (/EmbeddedFiles).
pub fn pdf_with_embedded_file() -> Vec<u8> {
    pdf_with(|document, catalog| {
        let file = document.add_object(Stream::new(
            dictionary! { "Type" => "EmbeddedFile" },
            b"MZ not a program".to_vec(),
        ));
        let spec = document.add_object(dictionary! {
            "Type" => "Filespec",
            "F" => text("setup.exe"),
            "EF" => dictionary! { "F" => file },
        });
        let tree = dictionary! { "Names" => vec![text("setup.exe"), spec.into()] };
        set_in_catalog(
            document,
            catalog,
            "Names",
            dictionary! { "EmbeddedFiles" => tree }.into(),
        );
    })
}

/// A file attachment annotation on its page (no /EF, the file named only).
pub fn pdf_with_file_attachment_annotation() -> Vec<u8> {
    pdf_with(|document, _| {
        let page = first_page(document);
        let annotation = document.add_object(dictionary! {
            "Type" => "Annot",
            "Subtype" => "FileAttachment",
            "Rect" => vec![0.into(), 0.into(), 20.into(), 20.into()],
            "FS" => text("notes.txt"),
        });
        let page = document
            .get_object_mut(page)
            .and_then(Object::as_dict_mut)
            .unwrap();
        page.set("Annots", vec![annotation.into()]);
    })
}

/// An HTML page behind a PDF's first bytes (what the audit uploaded).
pub fn html_behind_pdf_header() -> Vec<u8> {
    b"%PDF-1.7\n<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>\n"
        .to_vec()
}

/// A 2×2 RGB PNG.
pub fn png() -> Vec<u8> {
    png_of(2, 2)
}

fn png_of(width: u32, height: u32) -> Vec<u8> {
    let mut bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut bytes, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().expect("a PNG header");
    let pixels: Vec<u8> = (0..width * height * 3)
        .map(|i| (i * 37 % 256) as u8)
        .collect();
    writer.write_image_data(&pixels).expect("PNG data");
    writer.finish().expect("the PNG's end");
    bytes
}

/// A PNG whose header declares `width`×`height` pixels (with a valid CRC),
/// followed by a 1×1 image's data: refused for its size before decoding.
pub fn png_declaring(width: u32, height: u32) -> Vec<u8> {
    let mut bytes = png_of(1, 1);
    // Signature (8), IHDR length (4) and type (4): the width starts at 16.
    bytes[16..20].copy_from_slice(&width.to_be_bytes());
    bytes[20..24].copy_from_slice(&height.to_be_bytes());
    let crc = crc32(&bytes[12..29]);
    bytes[29..33].copy_from_slice(&crc.to_be_bytes());
    bytes
}

/// CRC-32 (ISO 3309, as PNG chunks use it), bit by bit: fixtures only.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for byte in data {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A 16×16 RGB JPEG (baseline, as a phone saves it).
pub fn jpeg() -> Vec<u8> {
    jpeg_of(16, 16)
}

/// A `width`×`height` RGB JPEG of a smooth gradient.
pub fn jpeg_of(width: u16, height: u16) -> Vec<u8> {
    let mut bytes = Vec::new();
    let encoder = jpeg_encoder::Encoder::new(&mut bytes, 85);
    let pixels: Vec<u8> = (0..u32::from(width) * u32::from(height))
        .flat_map(|i| {
            let (x, y) = (i % u32::from(width), i / u32::from(width));
            [(x % 256) as u8, (y % 256) as u8, ((x + y) % 256) as u8]
        })
        .collect();
    encoder
        .encode(&pixels, width, height, jpeg_encoder::ColorType::Rgb)
        .expect("a JPEG");
    bytes
}

/// A `width`×`height` RGB PNG of noise-like pixels (hard to compress).
pub fn png_of_size(width: u32, height: u32) -> Vec<u8> {
    png_of(width, height)
}

/// [`pdf`], [`png`] and [`jpeg`] made once per test process, for the tests
/// that hold fixtures as `&'static [u8]` (`Bytes::from_static`).
pub fn valid_pdf() -> &'static [u8] {
    static BYTES: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    BYTES.get_or_init(pdf)
}

/// Another valid PDF, different from [`valid_pdf`] (its version): a second
/// version of a piece.
pub fn valid_pdf_v2() -> &'static [u8] {
    static BYTES: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    BYTES.get_or_init(|| pdf_with(|document, _| document.version = "1.6".into()))
}

pub fn valid_png() -> &'static [u8] {
    static BYTES: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    BYTES.get_or_init(png)
}

pub fn valid_jpeg() -> &'static [u8] {
    static BYTES: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    BYTES.get_or_init(jpeg)
}

/// Encrypted with a user password (RC4 128, the standard security handler):
/// the empty password does not open it.
pub fn pdf_needing_a_password() -> Vec<u8> {
    pdf_with(|document, _| {
        let hash = |seed: u8| {
            Object::String(
                (0..32).map(|i| seed ^ (i * 7)).collect(),
                StringFormat::Hexadecimal,
            )
        };
        let encrypt = document.add_object(dictionary! {
            "Filter" => "Standard",
            "V" => 2,
            "R" => 3,
            "Length" => 128,
            "P" => -4,
            "O" => hash(0x5A),
            "U" => hash(0xC3),
        });
        let id = Object::String(b"examreg-fixture!".to_vec(), StringFormat::Hexadecimal);
        document.trailer.set("Encrypt", encrypt);
        document.trailer.set("ID", vec![id.clone(), id]);
    })
}
