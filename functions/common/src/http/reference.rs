//! Reference data: no authentication.

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::Json;
use serde::Serialize;

use super::AppState;
use crate::calendar::CalendarView;
use crate::catalogue::Catalogue;

#[derive(Serialize, utoipa::ToSchema)]
pub struct Health {
    /// Always `ok` when the function answers.
    pub status: String,
    pub version: String,
}

/// Liveness and the running version.
#[utoipa::path(get, path = "/health", tag = "reference", responses((status = 200, body = Health)))]
pub async fn health() -> Json<Health> {
    Json(Health {
        status: "ok".into(),
        version: env!("CARGO_PKG_VERSION").into(),
    })
}

/// The session's windows, as exact instants, with whether each is open now.
#[utoipa::path(get, path = "/calendar", tag = "reference", responses((status = 200, body = CalendarView)))]
pub async fn calendar(State(app): State<AppState>) -> Json<CalendarView> {
    Json(app.calendar.view(app.now()))
}

/// Diplomas, specialties and their units.
#[utoipa::path(get, path = "/catalogue", tag = "reference", responses((status = 200, body = Catalogue)))]
pub async fn catalogue(State(app): State<AppState>) -> impl IntoResponse {
    (
        [(header::CACHE_CONTROL, "public, max-age=300")],
        Json(app.catalogue.clone()),
    )
}

/// This document.
#[utoipa::path(get, path = "/openapi.json", tag = "reference", responses((status = 200, description = "The OpenAPI 3 document")))]
#[cfg(feature = "openapi")] // after `utoipa::path`, which describes it in every build
pub async fn openapi() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        super::openapi::document_json(),
    )
}
