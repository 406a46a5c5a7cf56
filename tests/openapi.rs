//! The OpenAPI document served at `/openapi.json` is generated from the code:
//! it must describe exactly the API routes of the route table, each with its
//! method, and document problem+json errors.

use std::collections::BTreeSet;

use examreg_common::domain::pieces::PieceKind;
use examreg_common::http::openapi::document_json;
use examreg_common::http::routes::ROUTES;
use examreg_common::services::sessions::SESSION_COOKIE;
use serde_json::{json, Value};

fn document() -> Value {
    serde_json::from_str(&document_json()).expect("the OpenAPI document is JSON")
}

/// Follows a `{"$ref": "#/components/..."}` to what it names.
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(location) => {
            let pointer = location
                .strip_prefix('#')
                .unwrap_or_else(|| panic!("{location} is not a local reference"));
            let target = doc
                .pointer(pointer)
                .unwrap_or_else(|| panic!("{location} names nothing"));
            resolve(doc, target)
        }
        None => schema,
    }
}

/// Every operation of the document: (METHOD, path, operation).
fn operations(doc: &Value) -> Vec<(String, String, &Value)> {
    let mut all = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            all.push((method.to_uppercase(), path.clone(), op));
        }
    }
    all
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
        .filter(|r| !r.is_portal() && !r.is_gestion())
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

/// The contract's body is `{"content_type", "size_bytes"}`, and the server
/// answers 422 when either is missing.
#[test]
fn an_upload_request_requires_its_content_type_and_size() {
    let doc = document();
    let op = &doc["paths"]["/inscription/pieces/{kind}/uploads"]["post"];
    let body = resolve(
        &doc,
        &op["requestBody"]["content"]["application/json"]["schema"],
    );
    assert_eq!(
        body, &doc["components"]["schemas"]["UploadRequestInput"],
        "the upload body is UploadRequestInput"
    );
    let required: BTreeSet<&str> = body["required"]
        .as_array()
        .expect("UploadRequestInput has a required list")
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert_eq!(required, BTreeSet::from(["content_type", "size_bytes"]));
    for field in &required {
        assert!(
            body["properties"][field].is_object(),
            "{field} is described"
        );
    }
}

/// Rate limits (`too_many_attempts`, `too_many_requests`) answer with
/// `Retry-After`, like the 503s: the document says so.
#[test]
fn rate_limited_answers_declare_retry_after() {
    let doc = document();
    for path in ["/auth/login", "/auth/resend-activation"] {
        assert!(
            doc["paths"][path]["post"]["responses"]["429"].is_object(),
            "POST {path} documents its 429"
        );
    }
    let mut seen = 0;
    for (method, path, op) in operations(&doc) {
        for status in ["429", "503"] {
            let answer = &op["responses"][status];
            if answer.is_null() {
                continue;
            }
            seen += 1;
            let header = &answer["headers"]["Retry-After"];
            assert!(
                header.is_object(),
                "{method} {path}: its {status} does not declare Retry-After"
            );
            assert_eq!(
                header["schema"]["type"], "integer",
                "{method} {path}: Retry-After of its {status} is a number of seconds"
            );
            assert_eq!(
                answer["content"]["application/problem+json"]["schema"]["$ref"],
                "#/components/schemas/Problem"
            );
        }
    }
    assert!(seen >= 2);
}

/// The token is sent either as `Authorization: Bearer` or as the portal's
/// HttpOnly cookie: both schemes exist, and every authenticated route takes
/// either (two security requirements: bearer OR cookie, never both at once).
#[test]
fn authenticated_routes_take_the_bearer_token_or_the_session_cookie() {
    let doc = document();
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["bearer"]["type"], "http");
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    assert_eq!(schemes["cookie"]["type"], "apiKey");
    assert_eq!(schemes["cookie"]["in"], "cookie");
    assert_eq!(schemes["cookie"]["name"], SESSION_COOKIE);

    let either = json!([{ "bearer": [] }, { "cookie": [] }]);
    let mut secured = BTreeSet::new();
    // The Office API takes a staff token instead (see the test below).
    let candidates_operations = operations(&doc)
        .into_iter()
        .filter(|(_, path, _)| !path.starts_with("/office/"));
    for (method, path, op) in candidates_operations {
        match op.get("security") {
            None => {}
            Some(security) => {
                assert_eq!(
                    security, &either,
                    "{method} {path} must take the bearer token or the cookie"
                );
                assert!(
                    op["responses"]["401"].is_object(),
                    "{method} {path} documents its 401"
                );
                secured.insert((method, path));
            }
        }
    }
    let candidate_routes: BTreeSet<(String, String)> = [
        ("POST", "/auth/logout"),
        ("POST", "/auth/logout-all"),
        ("POST", "/auth/password"),
        ("GET", "/me"),
        ("GET", "/inscription"),
        ("PUT", "/inscription"),
        ("GET", "/inscription/pieces"),
        ("GET", "/inscription/confirmation.pdf"),
        ("POST", "/inscription/pieces/{kind}/uploads"),
        ("POST", "/inscription/withdraw"),
        ("DELETE", "/inscription/pieces/{kind}/files/{id}"),
    ]
    .into_iter()
    .map(|(m, p)| (m.to_owned(), p.to_owned()))
    .collect();
    assert_eq!(secured, candidate_routes);
}

/// `{kind}` is one of the piece codes, not any string.
#[test]
fn the_upload_kind_is_a_piece_code() {
    let doc = document();
    let op = &doc["paths"]["/inscription/pieces/{kind}/uploads"]["post"];
    let params = op["parameters"].as_array().unwrap();
    let kind = params
        .iter()
        .find(|p| p["name"] == "kind" && p["in"] == "path")
        .expect("the kind path parameter is documented");
    assert_eq!(kind["required"], true);
    let schema = resolve(&doc, &kind["schema"]);
    assert_eq!(schema["type"], "string");
    let codes: Vec<&str> = schema["enum"]
        .as_array()
        .expect("kind has an enum")
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    let expected: Vec<&str> = PieceKind::ALL.iter().map(|k| k.code()).collect();
    assert_eq!(codes, expected);
    assert_eq!(
        expected,
        [
            "signed_confirmation",
            "identity_document",
            "jdc_certificate",
            "accommodation_notice",
            "acquis_proof",
            "professional_experience_proof"
        ]
    );
}

/// The Office API takes a staff member's JWT (`office` scheme), every route
/// of it but `/office/config`, which says how to get one.
#[test]
fn the_office_routes_take_a_staff_token() {
    let doc = document();
    let scheme = &doc["components"]["securitySchemes"]["office"];
    assert_eq!(scheme["type"], "http");
    assert_eq!(scheme["scheme"], "bearer");
    assert_eq!(scheme["bearerFormat"], "JWT");
    for route in ROUTES.iter().filter(|r| r.path.starts_with("/office/")) {
        let op = &doc["paths"][route.path][route.method.to_lowercase()];
        if route.needs_staff_token() {
            assert_eq!(op["security"], json!([{"office": []}]), "{}", route.path);
            for status in ["401", "403"] {
                assert!(
                    op["responses"][status].is_object(),
                    "{} {status}",
                    route.path
                );
            }
        } else {
            assert!(op.get("security").is_none(), "{}", route.path);
        }
    }
}

/// A schema of `doc`'s components, by name.
fn component<'a>(doc: &'a Value, name: &str) -> &'a Value {
    let schema = &doc["components"]["schemas"][name];
    assert!(schema.is_object(), "{name} is a component");
    schema
}

/// Every address the server reads is an email of at most 254 characters, and
/// never empty (`email: ""` was schema-valid and refused 422: issue #17).
#[test]
fn emails_have_a_format_and_lengths() {
    let doc = document();
    for name in ["Credentials", "EmailOnly"] {
        let email = &component(&doc, name)["properties"]["email"];
        assert_eq!(email["format"], "email", "{name}.email");
        assert!(email["minLength"].as_u64().unwrap() >= 1, "{name}.email");
        assert_eq!(email["maxLength"], 254, "{name}.email");
    }
    let signup = &doc["paths"]["/auth/signup"]["post"]["requestBody"]["content"]
        ["application/json"]["schema"];
    assert_eq!(signup["$ref"], "#/components/schemas/Credentials");
}

/// A new password is 12 to 128 characters (`MIN_PASSWORD_CHARS`,
/// `MAX_PASSWORD_CHARS`), wherever one is chosen.
#[test]
fn new_passwords_have_the_servers_lengths() {
    use examreg_common::domain::account::{MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS};
    let doc = document();
    for (name, field) in [
        ("Credentials", "password"),
        ("NewPassword", "password"),
        ("PasswordChange", "new_password"),
    ] {
        let password = &component(&doc, name)["properties"][field];
        assert_eq!(password["minLength"], MIN_PASSWORD_CHARS, "{name}.{field}");
        assert_eq!(password["maxLength"], MAX_PASSWORD_CHARS, "{name}.{field}");
    }
}

/// The upload's `content_type` is one of the accepted media types (not any
/// string, answered 415), its `size_bytes` an integer from 1 to 5 MiB (not
/// 0, answered 422, nor more, answered 413), its `name` at most 200
/// characters without control characters.
#[test]
fn the_upload_body_states_the_servers_bounds() {
    use examreg_common::domain::files::{FileType, MAX_UPLOAD_BYTES};
    let doc = document();
    let body = component(&doc, "UploadRequestInput");
    let content_type = &body["properties"]["content_type"];
    assert_eq!(content_type["type"], "string");
    let accepted: Vec<&str> = FileType::ALL.iter().map(|t| t.mime()).collect();
    assert_eq!(
        content_type["enum"],
        json!(["application/pdf", "image/jpeg", "image/png"])
    );
    assert_eq!(content_type["enum"], json!(accepted));
    for mime in &accepted {
        assert!(FileType::parse(mime).is_some(), "{mime} is accepted");
    }
    let size = &body["properties"]["size_bytes"];
    assert_eq!(size["type"], "integer", "size_bytes is not nullable");
    assert_eq!(size["minimum"], 1);
    assert_eq!(size["maximum"], MAX_UPLOAD_BYTES);
    assert_eq!(MAX_UPLOAD_BYTES, 5 * 1024 * 1024);
    let name = &body["properties"]["name"];
    assert_eq!(name["maxLength"], 200);
    let pattern = name["pattern"].as_str().expect("name has a pattern");
    assert!(pattern.contains("\\x00-\\x1F"), "{pattern}");
}

/// The inscription's required fields are not nullable: a generated client
/// would otherwise send `null`, which the server answers 422 `required`.
#[test]
fn required_inscription_fields_are_not_nullable() {
    let doc = document();
    for name in [
        "InscriptionInput",
        "IdentityInput",
        "AddressInput",
        "DisabilityInput",
        "AcquisInput",
        "OptionInput",
    ] {
        let schema = component(&doc, name);
        let required = schema["required"].as_array().expect("a required list");
        assert!(!required.is_empty(), "{name}");
        for field in required {
            let field = field.as_str().unwrap();
            let property = &schema["properties"][field];
            let types = &property["type"];
            assert!(
                !types.as_array().is_some_and(|t| t.contains(&json!("null"))),
                "{name}.{field} must not be nullable: {property}"
            );
            assert!(
                property.get("oneOf").is_none_or(|alternatives| {
                    !alternatives
                        .as_array()
                        .unwrap()
                        .contains(&json!({"type": "null"}))
                }),
                "{name}.{field} must not be nullable: {property}"
            );
        }
    }
}

/// The inscription's leaves carry the server's formats and bounds: names and
/// address lines of at most 100 characters, a birth date that is a date,
/// two-letter country codes, an acquis' type and grade.
#[test]
fn inscription_leaves_state_their_formats_and_bounds() {
    use examreg_common::domain::validation::{ADDRESS_LINE_MAX_CHARS, NAME_MAX_CHARS};
    let doc = document();
    let identity = &component(&doc, "IdentityInput")["properties"];
    for field in ["last_name", "first_names", "birth_place"] {
        assert_eq!(identity[field]["maxLength"], NAME_MAX_CHARS, "{field}");
        assert_eq!(identity[field]["minLength"], 1, "{field}");
    }
    assert_eq!(identity["birth_date"]["format"], "date");
    let address = &component(&doc, "AddressInput")["properties"];
    assert_eq!(address["city"]["maxLength"], NAME_MAX_CHARS);
    assert_eq!(address["line1"]["maxLength"], ADDRESS_LINE_MAX_CHARS);
    assert_eq!(address["line2"]["maxLength"], ADDRESS_LINE_MAX_CHARS);
    for country in [
        &identity["nationality"],
        &identity["birth_country"],
        &address["country"],
    ] {
        assert_eq!(country["pattern"], "^[A-Z]{2}$");
    }
    let acquis = &component(&doc, "AcquisInput")["properties"];
    assert_eq!(acquis["type"]["pattern"], "^(dispense|benefit)$");
    assert_eq!(acquis["grade"]["minimum"], 10);
    assert_eq!(acquis["grade"]["maximum"], 20);
}
