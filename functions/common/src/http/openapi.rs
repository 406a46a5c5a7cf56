//! The OpenAPI document, generated from the handlers' annotations and the
//! types they exchange: never written by hand.

use std::sync::OnceLock;

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{accounts, documents, inscription, reference};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "examreg",
        description = "Inscriptions des candidats individuels au baccalauréat professionnel, au CAP, au brevet professionnel et aux mentions complémentaires (académie d'Aix-Marseille). Every error is application/problem+json (RFC 9457) with a stable `code`.",
    ),
    paths(
        reference::health,
        reference::calendar,
        reference::catalogue,
        reference::openapi,
        accounts::signup,
        accounts::resend_activation,
        accounts::activate,
        accounts::login,
        accounts::logout,
        accounts::password_reset,
        accounts::password_reset_confirm,
        accounts::me,
        inscription::get_inscription,
        inscription::put_inscription,
        inscription::get_pieces,
        documents::confirmation_pdf,
        documents::create_upload,
    ),
    components(schemas(crate::domain::validation::FieldError, super::problem::Problem)),
    modifiers(&BearerAuth),
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The document as JSON, built once.
pub fn document_json() -> String {
    static JSON: OnceLock<String> = OnceLock::new();
    JSON.get_or_init(|| ApiDoc::openapi().to_json().unwrap_or_else(|_| "{}".into()))
        .clone()
}
