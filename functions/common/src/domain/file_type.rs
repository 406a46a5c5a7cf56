//! The kinds of file a candidate may upload, by their media type and their
//! magic number. Pure; below both the check of stored bytes (`files`) and
//! the structural parsers (`filecheck`).

/// The kinds of file a piece may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileType {
    Pdf,
    Jpeg,
    Png,
}

impl FileType {
    pub const ALL: [FileType; 3] = [FileType::Pdf, FileType::Jpeg, FileType::Png];

    /// The media type, as signed into the upload URL.
    pub fn mime(self) -> &'static str {
        match self {
            FileType::Pdf => "application/pdf",
            FileType::Jpeg => "image/jpeg",
            FileType::Png => "image/png",
        }
    }

    /// A declared media type: one of [`FileType::mime`], whatever its case,
    /// or `image/jpg`, a common misspelling of `image/jpeg`. Parameters
    /// (`; charset=...`) are not accepted: the upload must send exactly the
    /// signed header.
    pub fn parse(content_type: &str) -> Option<Self> {
        let normalised = content_type.trim().to_ascii_lowercase();
        match normalised.as_str() {
            "application/pdf" => Some(FileType::Pdf),
            "image/jpeg" | "image/jpg" => Some(FileType::Jpeg),
            "image/png" => Some(FileType::Png),
            _ => None,
        }
    }

    /// The bytes every file of this type starts with.
    pub fn magic(self) -> &'static [u8] {
        match self {
            FileType::Pdf => b"%PDF-",
            FileType::Jpeg => b"\xFF\xD8\xFF",
            FileType::Png => b"\x89PNG\r\n\x1a\n",
        }
    }

    /// The type whose magic number `bytes` start with, if any.
    pub fn sniff(bytes: &[u8]) -> Option<Self> {
        Self::ALL.into_iter().find(|t| bytes.starts_with(t.magic()))
    }

    pub fn name_fr(self) -> &'static str {
        match self {
            FileType::Pdf => "un document PDF",
            FileType::Jpeg => "une image JPEG",
            FileType::Png => "une image PNG",
        }
    }

    pub fn short_fr(self) -> &'static str {
        match self {
            FileType::Pdf => "PDF",
            FileType::Jpeg => "JPEG",
            FileType::Png => "PNG",
        }
    }
}
