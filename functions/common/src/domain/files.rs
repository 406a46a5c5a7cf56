//! The files a candidate may upload: their types, their size, and the check
//! of stored bytes against what was declared. Pure.

/// The largest file accepted: 5 MiB.
pub const MAX_UPLOAD_BYTES: u64 = 5 * 1024 * 1024;

pub use super::file_type::FileType;

/// Checks stored bytes against what was declared: the size (1 byte to
/// 5 MiB, and exactly the declared one), the magic numbers of the declared
/// type, then its structure (`domain::filecheck`: the whole file reads as
/// that type, and a PDF has no active content). The error is the French
/// reason the candidate reads.
pub fn inspect(declared: FileType, declared_size: u64, bytes: &[u8]) -> Result<(), String> {
    let size = bytes.len() as u64;
    if size == 0 {
        return Err(
            "Le fichier déposé est vide. Déposez un fichier PDF, JPEG ou PNG d'au plus 5 Mo."
                .into(),
        );
    }
    if size > MAX_UPLOAD_BYTES {
        return Err("Le fichier déposé dépasse 5 Mo. Réduisez-le (par exemple en le numérisant en noir et blanc ou à une résolution plus faible), puis déposez-le de nouveau.".into());
    }
    if size != declared_size {
        return Err(format!(
            "Le fichier reçu ne fait pas la taille annoncée ({} octets au lieu de {declared_size}) : déposez-le de nouveau.",
            size
        ));
    }
    if !bytes.starts_with(declared.magic()) {
        return Err(format!(
            "Le fichier déposé n'est pas un PDF, un JPEG ou un PNG valide (il devait être {}). Déposez un fichier PDF, JPEG ou PNG d'au plus 5 Mo.",
            declared.name_fr()
        ));
    }
    structure(declared, bytes)
}

#[cfg(feature = "filecheck")]
fn structure(declared: FileType, bytes: &[u8]) -> Result<(), String> {
    super::filecheck::check(declared, bytes).map_err(|refusal| refusal.reason_fr())
}

/// Without the parsers (a function that never runs the check of uploads),
/// no file is accepted unchecked.
#[cfg(not(feature = "filecheck"))]
fn structure(_: FileType, _: &[u8]) -> Result<(), String> {
    Err(
        "Le fichier déposé n'a pas pu être vérifié : déposez-le de nouveau dans quelques minutes."
            .into(),
    )
}

/// French thousands for byte counts: « 12 345 ».
pub fn format_count_fr(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('\u{a0}');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_types_parse_strictly() {
        assert_eq!(FileType::parse("application/pdf"), Some(FileType::Pdf));
        assert_eq!(FileType::parse(" Image/PNG "), Some(FileType::Png));
        assert_eq!(FileType::parse("image/jpg"), Some(FileType::Jpeg));
        for bad in [
            "",
            "text/html",
            "application/pdf; charset=utf-8",
            "image/gif",
            "application/octet-stream",
        ] {
            assert_eq!(FileType::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn stored_bytes_must_match_the_declared_type_and_size() {
        use crate::testkit::files as fixtures;
        let (pdf, png, jpeg) = (fixtures::pdf(), fixtures::png(), fixtures::jpeg());
        let html = b"<!DOCTYPE html><html><script>alert(1)</script></html>".to_vec();
        assert_eq!(inspect(FileType::Pdf, pdf.len() as u64, &pdf), Ok(()));
        assert_eq!(inspect(FileType::Png, png.len() as u64, &png), Ok(()));
        assert_eq!(inspect(FileType::Jpeg, jpeg.len() as u64, &jpeg), Ok(()));
        let reason = inspect(FileType::Pdf, html.len() as u64, &html).unwrap_err();
        assert!(
            reason.contains("n'est pas un PDF, un JPEG ou un PNG valide"),
            "{reason}"
        );
        // A real PNG declared as a PDF is refused too.
        assert!(inspect(FileType::Pdf, png.len() as u64, &png).is_err());
        assert!(inspect(FileType::Pdf, 0, b"").is_err());
        assert!(inspect(FileType::Pdf, pdf.len() as u64 + 1, &pdf).is_err());
        let huge = [b"%PDF-".as_slice(), &vec![b' '; MAX_UPLOAD_BYTES as usize]].concat();
        assert!(inspect(FileType::Pdf, huge.len() as u64, &huge)
            .unwrap_err()
            .contains("5 Mo"));
    }

    #[test]
    fn the_right_first_bytes_are_not_enough() {
        use crate::testkit::files as fixtures;
        let refused = |declared: FileType, bytes: &[u8]| {
            inspect(declared, bytes.len() as u64, bytes).unwrap_err()
        };
        let html = fixtures::html_behind_pdf_header();
        assert!(refused(FileType::Pdf, &html).contains("incomplet ou endommagé"));
        let script = fixtures::pdf_with_javascript_open_action();
        assert!(refused(FileType::Pdf, &script).contains("JavaScript"));
        let launch = fixtures::pdf_with_launch_action();
        assert!(refused(FileType::Pdf, &launch).contains("lance un programme"));
        let attached = fixtures::pdf_with_embedded_file();
        assert!(refused(FileType::Pdf, &attached).contains("fichiers joints"));
        let png = fixtures::png();
        assert!(refused(FileType::Png, &png[..png.len() - 1]).contains("une image PNG"));
        let jpeg = fixtures::jpeg();
        assert!(refused(FileType::Jpeg, &jpeg[..jpeg.len() - 2]).contains("une image JPEG"));
    }

    #[test]
    fn byte_counts_read_in_french() {
        assert_eq!(format_count_fr(12_345), "12\u{a0}345");
        assert_eq!(format_count_fr(999), "999");
        assert_eq!(format_count_fr(5_242_880), "5\u{a0}242\u{a0}880");
    }
}
