//! Strict JSON bodies: malformed JSON is a 400, an unknown field a 422
//! `unknown_field`, a value of the wrong type a 422 `validation_failed` naming
//! the field, a body over 64 KiB a 413.

use axum::body::{to_bytes, Body};
use axum::extract::{FromRequest, Request};
use axum::http::header;
use serde::de::DeserializeOwned;

use crate::domain::validation::FieldError;
use crate::error::AppError;

pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// A JSON body, deserialised strictly into `T`.
pub struct StrictJson<T>(pub T);

fn too_large() -> AppError {
    AppError::refused(
        413,
        "payload_too_large",
        "Requête trop volumineuse",
        "Le contenu envoyé dépasse 64 Kio.",
    )
}

fn malformed(reason: &str) -> AppError {
    AppError::refused(
        400,
        "malformed_json",
        "Requête illisible",
        format!("Le contenu envoyé n'est pas du JSON valide ({reason})."),
    )
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for StrictJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|len| len > MAX_BODY_BYTES as u64) {
            return Err(too_large());
        }
        let bytes = to_bytes(req.into_body(), MAX_BODY_BYTES)
            .await
            .map_err(|_| too_large())?;
        parse_strict(&bytes).map(StrictJson)
    }
}

/// Parses `bytes` as `T`, classifying every failure for the caller.
pub fn parse_strict<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(malformed("le corps de la requête est vide"));
    }
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| malformed(&format!("ligne {}, colonne {}", e.line(), e.column())))?;
    serde_path_to_error::deserialize::<_, T>(value).map_err(|e| {
        let path = e.path().to_string();
        let message = e.inner().to_string();
        if let Some(field) = unknown_field_name(&message) {
            let full = match path.as_str() {
                "." | "" => field.to_owned(),
                parent if parent.ends_with(field) => parent.to_owned(),
                parent => format!("{parent}.{field}"),
            };
            AppError::refused(
                422,
                "unknown_field",
                "Champ inconnu",
                format!("Le champ « {full} » n'est pas attendu ici."),
            )
            .with_errors(vec![FieldError::new(
                full,
                "unknown_field",
                "Ce champ n'est pas attendu.",
            )])
        } else {
            let field = if path == "." { String::new() } else { path };
            AppError::validation(vec![FieldError::new(
                field,
                type_error_code(&message),
                type_error_message(&message),
            )])
        }
    })
}

/// serde's message for `deny_unknown_fields`: "unknown field `x`, expected ...".
fn unknown_field_name(message: &str) -> Option<&str> {
    let rest = message.strip_prefix("unknown field `")?;
    rest.split('`').next()
}

fn type_error_code(message: &str) -> &'static str {
    if message.starts_with("missing field") {
        "required"
    } else if message.starts_with("unknown variant") {
        "invalid_value"
    } else {
        "invalid_type"
    }
}

fn type_error_message(message: &str) -> String {
    if let Some(rest) = message.strip_prefix("missing field `") {
        let field = rest.split('`').next().unwrap_or_default();
        format!("Le champ « {field} » est obligatoire.")
    } else if message.starts_with("unknown variant") {
        "Cette valeur n'est pas l'une de celles acceptées.".into()
    } else {
        "Cette valeur n'est pas du type attendu (texte, nombre, booléen ou liste).".into()
    }
}

/// An empty body for routes that take none, still refusing oversize ones.
pub async fn drain(body: Body) -> Result<(), AppError> {
    to_bytes(body, MAX_BODY_BYTES)
        .await
        .map(|_| ())
        .map_err(|_| too_large())
}
