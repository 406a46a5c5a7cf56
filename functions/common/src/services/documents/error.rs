//! Why a request on the candidate's files is refused: one kind per refusal,
//! with its stable code and its French wording. The HTTP edge gives each
//! kind its status (`http::documents`).

use crate::domain::dossier::MAX_FILES_PER_PIECE;
use crate::domain::validation::FieldError;
use crate::error::AppError;
use crate::ports::{DocumentStoreError, StoreError};
use crate::services::inscription::NO_INSCRIPTION;

#[derive(Debug, Clone, PartialEq)]
pub enum DocumentsRefusal {
    /// The caller has no inscription in the current session.
    NoInscription,
    /// Not a piece the inscription requires; `expected` lists those it
    /// does, in French.
    UnknownPiece {
        expected: String,
    },
    /// No current file of the piece (`label`) has this id.
    UnknownFile {
        label: String,
    },
    /// The documents window is not open to this inscription; `detail`
    /// says why and when it is, in French (it depends on the dossier).
    DocumentsClosed {
        detail: String,
    },
    /// The piece (`label`) was validated: nothing more to upload.
    PieceAlreadyValidated {
        label: String,
    },
    /// The piece (`label`) was validated: its files stay.
    PieceValidatedKeepsFiles {
        label: String,
    },
    /// The piece (`label`) has as many files as a piece may have.
    TooManyFiles {
        label: String,
    },
    /// Fields of the upload request to correct (every one at once).
    Invalid(Vec<FieldError>),
    UnsupportedType,
    TooLarge,
}

impl DocumentsRefusal {
    /// The stable snake_case code.
    pub fn code(&self) -> &'static str {
        match self {
            DocumentsRefusal::NoInscription => "no_inscription",
            DocumentsRefusal::UnknownPiece { .. } => "unknown_piece",
            DocumentsRefusal::UnknownFile { .. } => "unknown_file",
            DocumentsRefusal::DocumentsClosed { .. } => "documents_closed",
            DocumentsRefusal::PieceAlreadyValidated { .. } => "piece_already_validated",
            DocumentsRefusal::PieceValidatedKeepsFiles { .. } => "piece_validated",
            DocumentsRefusal::TooManyFiles { .. } => "too_many_files",
            DocumentsRefusal::Invalid(_) => "validation_failed",
            DocumentsRefusal::UnsupportedType => "unsupported_type",
            DocumentsRefusal::TooLarge => "too_large",
        }
    }

    pub fn title(&self) -> &'static str {
        match self {
            DocumentsRefusal::NoInscription
            | DocumentsRefusal::UnknownPiece { .. }
            | DocumentsRefusal::UnknownFile { .. } => "Introuvable",
            DocumentsRefusal::DocumentsClosed { .. } => "Dépôt des pièces fermé",
            DocumentsRefusal::PieceAlreadyValidated { .. }
            | DocumentsRefusal::PieceValidatedKeepsFiles { .. } => "Pièce déjà validée",
            DocumentsRefusal::TooManyFiles { .. } => "Trop de fichiers pour cette pièce",
            DocumentsRefusal::Invalid(_) => "Certaines informations sont invalides",
            DocumentsRefusal::UnsupportedType => "Type de fichier non accepté",
            DocumentsRefusal::TooLarge => "Fichier trop volumineux",
        }
    }

    /// What the candidate is told, in French.
    pub fn detail(&self) -> String {
        match self {
            DocumentsRefusal::NoInscription => NO_INSCRIPTION.to_owned(),
            DocumentsRefusal::UnknownPiece { expected } => format!(
                "Cette pièce n'est pas demandée pour votre inscription. Les pièces attendues sont : {expected}."
            ),
            DocumentsRefusal::UnknownFile { label } => format!(
                "La pièce « {label} » n'a pas de fichier portant cet identifiant : consultez la liste de ses fichiers (GET /inscription/pieces)."
            ),
            DocumentsRefusal::DocumentsClosed { detail } => detail.clone(),
            DocumentsRefusal::PieceAlreadyValidated { label } => format!(
                "La pièce « {label} » a déjà été vérifiée et validée par la division des examens et concours : il n'y a pas lieu de la déposer de nouveau."
            ),
            DocumentsRefusal::PieceValidatedKeepsFiles { label } => format!(
                "La pièce « {label} » a été validée par la division des examens et concours : ses fichiers ne peuvent plus être supprimés."
            ),
            DocumentsRefusal::TooManyFiles { label } => format!(
                "La pièce « {label} » compte déjà {MAX_FILES_PER_PIECE} fichiers, le plus qu'une pièce puisse en avoir : supprimez-en un avant d'en déposer un autre."
            ),
            // The edge words it with the fields (`AppError::validation`).
            DocumentsRefusal::Invalid(errors) => AppError::validation(errors.clone()).message(),
            DocumentsRefusal::UnsupportedType => "Seuls les fichiers PDF, JPEG et PNG sont acceptés (content_type « application/pdf », « image/jpeg » ou « image/png »).".into(),
            DocumentsRefusal::TooLarge => "Un fichier ne peut dépasser 5 Mo (5 242 880 octets). Réduisez-le (par exemple en le numérisant à une résolution plus faible), puis recommencez.".into(),
        }
    }
}

/// A request's error: a refusal the candidate can act on, or a failure of
/// the service (an unauthenticated caller among them).
#[derive(Debug, thiserror::Error)]
pub enum DocumentsError {
    #[error("{}: {}", .0.code(), .0.detail())]
    Refused(DocumentsRefusal),
    #[error(transparent)]
    Failed(#[from] AppError),
}

pub type DocumentsResult<T> = Result<T, DocumentsError>;

impl DocumentsError {
    /// The stable code, refusal or failure.
    pub fn code(&self) -> &'static str {
        match self {
            DocumentsError::Refused(refusal) => refusal.code(),
            DocumentsError::Failed(error) => error.code(),
        }
    }
}

impl From<DocumentsRefusal> for DocumentsError {
    fn from(refusal: DocumentsRefusal) -> Self {
        DocumentsError::Refused(refusal)
    }
}

impl From<StoreError> for DocumentsError {
    fn from(error: StoreError) -> Self {
        DocumentsError::Failed(error.into())
    }
}

impl From<DocumentStoreError> for DocumentsError {
    fn from(error: DocumentStoreError) -> Self {
        DocumentsError::Failed(error.into())
    }
}
