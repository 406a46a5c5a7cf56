//! The structural check of uploads on files near the 5 MiB limit: its time
//! and, run under `/usr/bin/time -v`, its peak memory (BENCHMARKS.md,
//! « Upload check »).
//!
//! ```sh
//! cargo run -p examreg-common --example upload_check -- make /tmp/uploads
//! for f in pdf png jpeg; do
//!   /usr/bin/time -v target/debug/examples/upload_check read  /tmp/uploads/big.$f 2>&1 | grep Maximum
//!   /usr/bin/time -v target/debug/examples/upload_check check /tmp/uploads/big.$f 2>&1 | grep -E 'Maximum|check'
//! done
//! ```
//!
//! `read` only reads the file (the baseline); `check` reads it and runs
//! `files::inspect` on it, as documents-check does.

use std::path::Path;
use std::time::Instant;

use examreg_common::domain::files::{inspect, FileType, MAX_UPLOAD_BYTES};
use examreg_common::testkit::files as fixtures;
use lopdf::{dictionary, Object, Stream};

/// Noise from a linear congruential generator: incompressible enough to
/// make files of the size wanted with few pixels.
fn noise(len: usize, mut seed: u32) -> Vec<u8> {
    (0..len)
        .map(|_| {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (seed >> 24) as u8
        })
        .collect()
}

/// A PDF of ~5 MiB: 1,300 pages, each with its own content stream.
fn big_pdf() -> Vec<u8> {
    let mut page = 0u32;
    fixtures::pdf_with(|document, _| {
        let pages_id = document
            .catalog()
            .unwrap()
            .get(b"Pages")
            .unwrap()
            .as_reference()
            .unwrap();
        let mut kids = Vec::new();
        for _ in 0..1_300 {
            page += 1;
            let text = format!("BT /F1 12 Tf 72 720 Td (Page {page}) Tj ET\n").repeat(90);
            let content = document.add_object(Stream::new(dictionary! {}, text.into_bytes()));
            let id = document.add_object(dictionary! {
                "Type" => "Page",
                "Parent" => pages_id,
                "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
                "Contents" => content,
            });
            kids.push(Object::Reference(id));
        }
        let pages = document
            .get_object_mut(pages_id)
            .unwrap()
            .as_dict_mut()
            .unwrap();
        pages.set("Count", kids.len() as i64);
        pages.set("Kids", kids);
    })
}

fn make(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    let files = [
        ("big.pdf", big_pdf()),
        // 1,250 × 1,350 noise in RGB: 5.06 MB of pixels, barely compressed.
        ("big.png", png_of_noise(1_250, 1_350)),
        // A 24-megapixel photo-like JPEG.
        ("big.jpeg", fixtures::jpeg_of(6_000, 4_000)),
    ];
    for (name, bytes) in files {
        assert!(
            bytes.len() as u64 <= MAX_UPLOAD_BYTES,
            "{name}: {}",
            bytes.len()
        );
        std::fs::write(dir.join(name), &bytes).unwrap();
        println!("{name}: {} bytes", bytes.len());
    }
}

fn png_of_noise(width: u32, height: u32) -> Vec<u8> {
    let mut bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut bytes, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().unwrap();
    writer
        .write_image_data(&noise((width * height * 3) as usize, 7))
        .unwrap();
    writer.finish().unwrap();
    bytes
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["make", dir] => make(Path::new(dir)),
        [mode @ ("read" | "check"), path] => {
            let bytes = std::fs::read(path).unwrap();
            let declared = FileType::sniff(&bytes).expect("a PDF, PNG or JPEG");
            if *mode == "check" {
                let started = Instant::now();
                let verdict = inspect(declared, bytes.len() as u64, &bytes);
                println!("check of {path}: {verdict:?} in {:?}", started.elapsed());
            } else {
                println!("read {} bytes", bytes.len());
            }
        }
        _ => eprintln!("usage: upload_check make DIR | read FILE | check FILE"),
    }
}
