//! The application's error: what a request or an admin event can end with.
//!
//! A refusal carries its stable `code` and French `title`/`detail`; it is
//! mapped once, at the HTTP edge to RFC 9457 problem+json, and in the admin
//! function to `{"error": {"code", "message"}}`.

use crate::domain::validation::FieldError;
use crate::ports::{DocumentStoreError, MailError, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// A refusal the caller can act on (bad input, closed window, conflict...).
    #[error("{code}: {detail}")]
    Refused {
        status: u16,
        code: &'static str,
        title: String,
        detail: String,
        errors: Vec<FieldError>,
        /// Seconds the caller should wait before retrying, for 429 and 503.
        retry_after: Option<u64>,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Documents(#[from] DocumentStoreError),
    #[error(transparent)]
    Mail(#[from] MailError),
    /// A bug: logged, answered with a generic 500.
    #[error("internal error: {0}")]
    Internal(String),
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn refused(
        status: u16,
        code: &'static str,
        title: impl Into<String>,
        detail: impl Into<String>,
    ) -> Self {
        AppError::Refused {
            status,
            code,
            title: title.into(),
            detail: detail.into(),
            errors: Vec::new(),
            retry_after: None,
        }
    }

    pub fn validation(errors: Vec<FieldError>) -> Self {
        let count = errors.len();
        AppError::Refused {
            status: 422,
            code: "validation_failed",
            title: "Certaines informations sont invalides".into(),
            detail: if count == 1 {
                "Une information est à corriger : voyez le détail ci-dessous.".into()
            } else {
                format!("{count} informations sont à corriger : voyez le détail ci-dessous.")
            },
            errors,
            retry_after: None,
        }
    }

    pub fn with_errors(mut self, new_errors: Vec<FieldError>) -> Self {
        if let AppError::Refused { errors, .. } = &mut self {
            *errors = new_errors;
        }
        self
    }

    pub fn with_retry_after(mut self, seconds: u64) -> Self {
        if let AppError::Refused { retry_after, .. } = &mut self {
            *retry_after = Some(seconds);
        }
        self
    }

    pub fn unauthenticated() -> Self {
        Self::refused(
            401,
            "unauthenticated",
            "Connexion requise",
            "Votre session n'est pas valide ou a expiré. Connectez-vous de nouveau.",
        )
    }

    pub fn not_found(code: &'static str, detail: impl Into<String>) -> Self {
        Self::refused(404, code, "Introuvable", detail)
    }

    /// The stable code, for logs and the admin function.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Refused { code, .. } => code,
            AppError::Store(StoreError::Throttled(_)) => "service_unavailable",
            AppError::Store(StoreError::Unavailable(_))
            | AppError::Documents(DocumentStoreError::Unavailable(_))
            | AppError::Mail(MailError::Unavailable(_) | MailError::Throttled(_)) => {
                "service_unavailable"
            }
            AppError::Store(StoreError::Conflict(_)) => "conflict",
            _ => "internal_error",
        }
    }

    /// The HTTP status this error answers with.
    pub fn status(&self) -> u16 {
        match self {
            AppError::Refused { status, .. } => *status,
            AppError::Store(StoreError::Conflict(_)) => 409,
            _ if self.code() == "service_unavailable" => 503,
            _ => 500,
        }
    }

    /// A French sentence for the caller (never leaks internals).
    pub fn message(&self) -> String {
        match self {
            AppError::Refused { detail, .. } => detail.clone(),
            AppError::Store(StoreError::Conflict(_)) => {
                "Une autre opération a modifié ces données au même moment. Réessayez.".into()
            }
            _ if self.status() == 503 => {
                "Le service est momentanément surchargé. Réessayez dans quelques instants.".into()
            }
            _ => "Une erreur inattendue s'est produite. Elle a été enregistrée ; réessayez plus tard."
                .into(),
        }
    }

    pub fn title(&self) -> String {
        match self {
            AppError::Refused { title, .. } => title.clone(),
            _ if self.status() == 503 => "Service momentanément indisponible".into(),
            _ if self.status() == 409 => "Conflit".into(),
            _ => "Erreur interne".into(),
        }
    }
}
