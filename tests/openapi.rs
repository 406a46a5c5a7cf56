//! The OpenAPI document served at `/openapi.json` is generated from the code:
//! it must describe exactly the API routes of the route table, each with its
//! method, and document problem+json errors.

use std::collections::BTreeSet;

use examreg_common::http::openapi::document_json;
use examreg_common::http::routes::ROUTES;
use serde_json::Value;

fn document() -> Value {
    serde_json::from_str(&document_json()).expect("the OpenAPI document is JSON")
}

#[test]
fn the_document_describes_exactly_the_api_routes() {
    let doc = document();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            documented.insert((method.to_uppercase(), path.clone()));
        }
    }
    let routed: BTreeSet<(String, String)> = ROUTES
        .iter()
        .filter(|r| !r.is_portal())
        .map(|r| (r.method.to_owned(), r.path.to_owned()))
        .collect();
    assert_eq!(documented, routed);
}

#[test]
fn every_operation_documents_its_answers() {
    let doc = document();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let responses = op["responses"].as_object().unwrap();
            assert!(
                responses.keys().any(|s| s.starts_with('2')),
                "{method} {path} has no success answer"
            );
        }
    }
    assert!(doc["components"]["schemas"]["Problem"].is_object());
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
}
