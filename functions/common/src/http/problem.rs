//! RFC 9457 problem+json: how every error leaves the HTTP API.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::domain::validation::FieldError;
use crate::error::AppError;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// The body of every error answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem: `urn:examreg:problem:<code>`.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// A stable snake_case identifier.
    pub code: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status >= 500 {
            tracing::error!(error = %self, code = self.code(), "request failed");
        }
        let retry_after = match &self {
            AppError::Refused { retry_after, .. } => *retry_after,
            _ if status == 503 => Some(2),
            _ => None,
        };
        let problem = Problem {
            kind: format!("urn:examreg:problem:{}", self.code()),
            title: self.title(),
            status,
            detail: self.message(),
            code: self.code().to_owned(),
            errors: match self {
                AppError::Refused { errors, .. } => errors,
                _ => Vec::new(),
            },
        };
        let body = serde_json::to_vec(&problem).unwrap_or_default();
        let mut response = (
            StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            [(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON))],
            body,
        )
            .into_response();
        if let Some(seconds) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}
