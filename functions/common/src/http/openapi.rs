//! The OpenAPI document, generated from the handlers' annotations and the
//! types they exchange: never written by hand.

use std::sync::OnceLock;

use utoipa::openapi::header::{Header, HeaderBuilder};
use utoipa::openapi::path::Operation;
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response};
use utoipa::{Modify, OpenApi};

use axum::http::header;
use axum::response::IntoResponse;

use super::problem::PROBLEM_JSON;

use super::{accounts, documents, inscription, office, reference};
use crate::services::sessions::{PLAIN_HTTP_SESSION_COOKIE, SESSION_COOKIE};

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
        openapi,
        accounts::signup,
        accounts::resend_activation,
        accounts::activate,
        accounts::login,
        accounts::logout,
        accounts::password_reset,
        accounts::password_reset_confirm,
        accounts::me,
        accounts::change_password,
        accounts::logout_all,
        accounts::login_link,
        accounts::login_link_confirm,
        inscription::get_inscription,
        inscription::put_inscription,
        inscription::get_pieces,
        inscription::withdraw,
        documents::confirmation_pdf,
        documents::create_upload,
        documents::delete_file,
        office::actions,
        office::config,
    ),
    components(schemas(crate::domain::validation::FieldError, super::problem::Problem)),
    modifiers(&SessionAuth, &ProblemAnswers),
)]
pub struct ApiDoc;

// Served from here rather than beside the other reference handlers, which
// this module lists: so neither module imports the other. (Its doc comment is
// the operation's summary in the document: kept as it was.)
/// This document.
#[utoipa::path(get, path = "/openapi.json", tag = "reference", responses((status = 200, description = "The OpenAPI 3 document")))]
pub async fn openapi() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        document_json(),
    )
}

/// The two ways to send the session token `POST /auth/login` answers, each
/// enough on its own: every authenticated route lists both as alternatives
/// (`security(("bearer" = []), ("cookie" = []))`).
struct SessionAuth;

impl Modify for SessionAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "`Authorization: Bearer <token>`, the `token` of `POST /auth/login`.",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "office",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "`Authorization: Bearer <JWT>`, a staff member's access token: in AWS one of the office's Cognito user pool (its groups `lecteur`, `gestionnaire`, `responsable` are the roles), verified by the HTTP API's JWT authorizer; locally one of `POST /office/session` (the runner only).",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                SESSION_COOKIE.to_owned(),
                format!(
                    "The same token, as the `{SESSION_COOKIE}` cookie `POST /auth/login` sets \
                     (`HttpOnly; Secure; SameSite=Strict; Path=/`) for the portal and \
                     `POST /auth/logout` clears (`{PLAIN_HTTP_SESSION_COOKIE}` when the portal is \
                     served over plain HTTP, as by the local runner). Sent twice with different \
                     values, it is ignored. An `Authorization` header, when sent, is used instead."
                ),
            ))),
        );
    }
}

/// What the HTTP edge answers on every route, documented once here rather
/// than in each handler's annotation: errors are `application/problem+json`
/// (not `application/json`); a JSON body (`StrictJson`) may be answered 400
/// `malformed_json`, 413 `payload_too_large` and 422 `unknown_field`; a route
/// that reads the store may be answered 503 `service_unavailable` with
/// `Retry-After` when the store throttles; a 429 (rate limits) always
/// carries `Retry-After` too; an unsafe method may be answered 403
/// `forbidden_origin` and 415 `unsupported_media_type`. Found by the outside fuzzer
/// (`infra/scripts/fuzz-api.sh`) and an audit of the document.
struct ProblemAnswers;

const PROBLEM_REF: &str = "#/components/schemas/Problem";

fn problem_answer(description: &str) -> Response {
    let mut response = Response::new(description);
    response.content.insert(
        PROBLEM_JSON.to_owned(),
        ContentBuilder::new()
            .schema(Some(Ref::new(PROBLEM_REF)))
            .build(),
    );
    response
}

/// The `Retry-After` header of 429 and 503 answers (`AppError::with_retry_after`).
fn retry_after_header() -> Header {
    HeaderBuilder::new()
        .schema(ObjectBuilder::new().schema_type(Type::Integer))
        .description(Some("Seconds to wait before retrying."))
        .build()
}

/// Documents `description` under `status`: a new answer, or one more case
/// of the answer the handler already documents there.
fn add_answer(
    answers: &mut std::collections::BTreeMap<String, RefOr<Response>>,
    status: &str,
    description: &str,
) {
    match answers.get_mut(status) {
        Some(RefOr::T(response)) => {
            response.description = format!("{}; {description}", response.description);
        }
        Some(RefOr::Ref(_)) => {}
        None => {
            answers.insert(status.into(), problem_answer(description).into());
        }
    }
}

fn document_edge_answers(op: &mut Operation, is_unsafe: bool) {
    // Errors are problem+json, whatever the annotation said.
    for answer in op.responses.responses.values_mut() {
        let RefOr::T(response) = answer else { continue };
        let is_problem = |content: &utoipa::openapi::Content| matches!(&content.schema, Some(RefOr::Ref(r)) if r.ref_location == PROBLEM_REF);
        if let Some(content) = response.content.get("application/json") {
            if is_problem(content) {
                if let Some(content) = response.content.shift_remove("application/json") {
                    response.content.insert(PROBLEM_JSON.to_owned(), content);
                }
            }
        }
    }
    let answers = &mut op.responses.responses;
    // A rate limit (`too_many_requests`, `too_many_attempts`) says when to retry.
    if let Some(RefOr::T(response)) = answers.get_mut("429") {
        response
            .headers
            .entry("Retry-After".into())
            .or_insert_with(retry_after_header);
    }
    if op.request_body.is_some() {
        answers
            .entry("400".into())
            .or_insert_with(|| problem_answer("malformed_json: the body is not JSON").into());
        answers
            .entry("413".into())
            .or_insert_with(|| problem_answer("payload_too_large: the body is over 64 KiB").into());
        answers.entry("422".into()).or_insert_with(|| {
            problem_answer("unknown_field, validation_failed (a field of the wrong type)").into()
        });
    }
    if is_unsafe {
        // The edge's guard (`http/cross_site.rs`), before any handler.
        add_answer(
            answers,
            "403",
            "forbidden_origin: sent from another site (an `Origin` other than the portal's, or \
             `Sec-Fetch-Site: cross-site`)",
        );
        add_answer(
            answers,
            "415",
            "unsupported_media_type: a body whose `Content-Type` is not `application/json`",
        );
    }
    if op.request_body.is_some() || op.security.is_some() {
        answers.entry("503".into()).or_insert_with(|| {
            let mut response = problem_answer(
                "service_unavailable: the store is throttling; retry after `Retry-After` seconds",
            );
            response
                .headers
                .insert("Retry-After".into(), retry_after_header());
            response.into()
        });
    }
}

impl Modify for ProblemAnswers {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            for (op, is_unsafe) in [
                (&mut item.get, false),
                (&mut item.put, true),
                (&mut item.post, true),
                (&mut item.delete, true),
                (&mut item.patch, true),
            ] {
                if let Some(op) = op {
                    document_edge_answers(op, is_unsafe);
                }
            }
        }
    }
}

/// The document as JSON, built once.
pub fn document_json() -> String {
    static JSON: OnceLock<String> = OnceLock::new();
    JSON.get_or_init(|| ApiDoc::openapi().to_json().unwrap_or_else(|_| "{}".into()))
        .clone()
}
