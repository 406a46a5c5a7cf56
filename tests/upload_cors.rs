//! A browser's upload against the bucket's CORS rule, as S3 evaluates it.
//!
//! The portal PUTs a file to S3 from another origin, with the headers of its
//! upload ticket: the browser first sends a preflight, which S3 answers only
//! when one rule of the bucket's `CorsConfiguration` (template.yaml) matches
//! its origin, its method and every header it asks for. The tickets come
//! from the real runner on S3 (moto) with Lambda's environment, where the
//! SDK's recursion detection once slipped `x-amzn-trace-id` into every
//! ticket, which the rule did not allow: every upload in AWS failed.

mod support;

use std::collections::BTreeSet;

use examreg_common::adapters::s3::UPLOAD_TICKET_HEADERS;
use reqwest::StatusCode;
use serde_json::{json, Value};
use support::cors::{
    api_rule, is_forbidden, is_safelisted, preflight_for, s3_allows, template_rules,
    wildcard_match, CorsRule, Preflight,
};
use support::{bac_pro_melec_body, valid_png, Backend, Runner, BAC_PRO_BOTH_OPEN};

/// The portal's origin, as the stack's `PortalOrigin` parameter gives it.
const PORTAL_ORIGIN: &str = "https://inscriptions.exemple.fr";
const TRACE_ID: &str = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";
/// What the Lambda runtime sets in every function's environment.
const LAMBDA_ENV: [(&str, &str); 2] = [
    ("AWS_LAMBDA_FUNCTION_NAME", "examreg-test-documents"),
    ("_X_AMZN_TRACE_ID", TRACE_ID),
];

/// A ticket with `name: value` added to its headers.
fn with_header(ticket: &Value, name: &str, value: &str) -> Value {
    let mut ticket = ticket.clone();
    ticket["headers"][name] = json!(value);
    ticket
}

// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ticket_made_in_lambda_passes_the_buckets_cors_and_uploads() {
    let runner = Runner::start_with_env(Backend::Moto, BAC_PRO_BOTH_OPEN, &LAMBDA_ENV).await;
    let token = runner.signup_and_login("cors@exemple.fr").await;
    runner
        .save(&token, &bac_pro_melec_body(0, "Marseille"))
        .await;
    let rules = template_rules(PORTAL_ORIGIN);

    for (kind, content_type) in [
        ("identity_document", "image/png"),
        ("signed_confirmation", "application/pdf"),
    ] {
        let ticket = runner
            .upload_ticket(&token, kind, content_type, valid_png().len())
            .await;
        let names: BTreeSet<String> = ticket["headers"]
            .as_object()
            .expect("headers")
            .keys()
            .map(|n| n.to_ascii_lowercase())
            .collect();
        let allowed: BTreeSet<String> = UPLOAD_TICKET_HEADERS.map(str::to_owned).into();
        assert_eq!(names, allowed, "{ticket:#}");

        let preflight = preflight_for(&ticket, PORTAL_ORIGIN);
        assert_eq!(preflight.headers, ["content-type"]);
        assert!(
            s3_allows(&rules, &preflight),
            "{preflight:?} refused by {rules:?}"
        );

        // The ticket used as the portal uses it: moto takes the file.
        if kind == "identity_document" {
            let r = runner.put_file(&ticket, valid_png()).await;
            assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
        }

        // The defect: a ticket listing the trace header is refused.
        let traced = preflight_for(
            &with_header(&ticket, "X-Amzn-Trace-Id", TRACE_ID),
            PORTAL_ORIGIN,
        );
        assert!(traced.headers.contains(&"x-amzn-trace-id".to_owned()));
        assert!(!s3_allows(&rules, &traced), "{traced:?}");
    }
}

#[test]
fn the_buckets_cors_allows_exactly_a_tickets_headers_from_the_portal_only() {
    let rules = template_rules(PORTAL_ORIGIN);
    assert_eq!(rules.len(), 1, "{rules:?}");
    let allowed: BTreeSet<String> = rules[0]
        .headers
        .iter()
        .map(|h| h.to_ascii_lowercase())
        .collect();
    let ticket: BTreeSet<String> = UPLOAD_TICKET_HEADERS.map(str::to_owned).into();
    assert_eq!(
        allowed, ticket,
        "AllowedHeaders and UPLOAD_TICKET_HEADERS differ"
    );

    let ok = Preflight {
        origin: PORTAL_ORIGIN.to_owned(),
        method: "PUT".to_owned(),
        headers: vec!["content-type".to_owned()],
    };
    assert!(s3_allows(&rules, &ok));
    let elsewhere = Preflight {
        origin: "https://ailleurs.exemple.fr".to_owned(),
        ..ok.clone()
    };
    assert!(!s3_allows(&rules, &elsewhere), "another origin");
    let delete = Preflight {
        method: "DELETE".to_owned(),
        ..ok.clone()
    };
    assert!(!s3_allows(&rules, &delete), "another method");
    let checksum = Preflight {
        headers: vec!["content-type".to_owned(), "x-amz-checksum-crc32".to_owned()],
        ..ok
    };
    assert!(!s3_allows(&rules, &checksum), "a header no ticket carries");
}

/// The rule as it was: `x-amz-*` does not cover `x-amzn-trace-id`, so the
/// trace header was refused there too.
#[test]
fn the_former_rule_refused_the_trace_header() {
    let former = CorsRule {
        origins: vec![PORTAL_ORIGIN.to_owned()],
        methods: vec!["PUT".to_owned()],
        headers: ["content-type", "content-md5", "x-amz-*"]
            .map(str::to_owned)
            .to_vec(),
    };
    let preflight = |headers: &[&str]| Preflight {
        origin: PORTAL_ORIGIN.to_owned(),
        method: "PUT".to_owned(),
        headers: headers.iter().map(|h| h.to_string()).collect(),
    };
    assert!(former.allows(&preflight(&["content-type", "x-amz-meta-nom"])));
    assert!(!former.allows(&preflight(&["content-type", "x-amzn-trace-id"])));
}

#[test]
fn wildcards_match_one_run_of_characters_and_header_names_any_case() {
    assert!(wildcard_match(
        "https://*.exemple.fr",
        "https://www.exemple.fr"
    ));
    assert!(!wildcard_match(
        "https://*.exemple.fr",
        "https://exemple.fr"
    ));
    assert!(wildcard_match("*", "https://n-importe-ou.fr"));
    assert!(wildcard_match("x-amz-*", "x-amz-"));
    assert!(!wildcard_match("x-amz-*", "x-amzn-trace-id"));
    let rule = CorsRule {
        origins: vec!["*".to_owned()],
        methods: vec!["PUT".to_owned()],
        headers: vec!["Content-Type".to_owned()],
    };
    let preflight = Preflight {
        origin: PORTAL_ORIGIN.to_owned(),
        method: "PUT".to_owned(),
        headers: vec!["CONTENT-TYPE".to_owned()],
    };
    assert!(rule.allows(&preflight));
    // A plain-text type needs no preflight header; a PDF does.
    assert!(is_safelisted("content-type", "text/plain; charset=utf-8"));
    assert!(!is_safelisted("content-type", "application/pdf"));
    assert!(is_forbidden("content-length"));
}

/// The portal calls the API from its origin with its bearer token: every
/// method a route uses (DELETE included: a candidate removes one file of a
/// piece) must pass the HTTP API's CORS preflight, and no other origin.
#[test]
fn the_apis_cors_allows_every_method_its_routes_use() {
    let rule = api_rule(PORTAL_ORIGIN);
    let methods: BTreeSet<&str> = examreg_common::http::routes::ROUTES
        .iter()
        .map(|r| r.method)
        .collect();
    assert!(methods.contains("DELETE"), "{methods:?}");
    for method in methods {
        let preflight = Preflight {
            origin: PORTAL_ORIGIN.into(),
            method: method.into(),
            headers: vec!["authorization".into(), "content-type".into()],
        };
        assert!(rule.allows(&preflight), "{method} refused by {rule:?}");
        let elsewhere = Preflight {
            origin: "https://ailleurs.exemple.com".into(),
            ..preflight
        };
        assert!(!rule.allows(&elsewhere), "{method} from another origin");
    }
    // The rule is not a blanket one.
    for method in ["PATCH", "*"] {
        assert!(!rule.methods.iter().any(|m| m == method), "{rule:?}");
    }
}
