//! A browser's upload against the bucket's CORS rule, as S3 evaluates it:
//! the portal PUTs a file to S3 from its own origin with the headers of its
//! upload ticket, and the browser first sends a preflight, which S3 answers
//! only when one rule of the bucket's `CorsConfiguration` (template.yaml)
//! matches its origin, its method and every header it asks for.

#![allow(dead_code)]

use serde_json::Value;
use serde_yaml::Value as Yaml;

// ---------------------------------------------------------------------------
// S3's CORS rules (https://docs.aws.amazon.com/AmazonS3/latest/userguide/cors.html).

/// One rule of a bucket's `CorsConfiguration`, its parameters resolved.
#[derive(Debug, Clone)]
pub struct CorsRule {
    pub origins: Vec<String>,
    pub methods: Vec<String>,
    pub headers: Vec<String>,
}

/// A browser's preflight: `Origin`, `Access-Control-Request-Method` and
/// `Access-Control-Request-Headers` (lowercase names).
#[derive(Debug, Clone)]
pub struct Preflight {
    pub origin: String,
    pub method: String,
    pub headers: Vec<String>,
}

/// `value` against an entry holding at most one `*`, which matches any
/// run of characters (none included).
pub fn wildcard_match(pattern: &str, value: &str) -> bool {
    assert!(
        pattern.matches('*').count() <= 1,
        "S3 allows one * in {pattern}"
    );
    match pattern.split_once('*') {
        Some((prefix, suffix)) => {
            value.len() >= prefix.len() + suffix.len()
                && value.starts_with(prefix)
                && value.ends_with(suffix)
        }
        None => pattern == value,
    }
}

impl CorsRule {
    /// Whether S3 answers the preflight with this rule: the origin matches
    /// an allowed origin, the method is allowed, and every requested header
    /// matches an allowed header (header names are case-insensitive).
    pub fn allows(&self, preflight: &Preflight) -> bool {
        let origin = self
            .origins
            .iter()
            .any(|o| wildcard_match(o, &preflight.origin));
        let method = self.methods.contains(&preflight.method);
        let headers = preflight.headers.iter().all(|h| {
            self.headers
                .iter()
                .any(|a| wildcard_match(&a.to_ascii_lowercase(), &h.to_ascii_lowercase()))
        });
        origin && method && headers
    }
}

/// S3 answers a preflight when any rule allows it (it uses the first).
pub fn s3_allows(rules: &[CorsRule], preflight: &Preflight) -> bool {
    rules.iter().any(|rule| rule.allows(preflight))
}

// ---------------------------------------------------------------------------
// The browser's side (https://fetch.spec.whatwg.org/).

/// Headers a script may not set: the browser sets them itself, and never
/// lists them in a preflight.
pub fn is_forbidden(name: &str) -> bool {
    const FORBIDDEN: [&str; 21] = [
        "accept-charset",
        "accept-encoding",
        "access-control-request-headers",
        "access-control-request-method",
        "connection",
        "content-length",
        "cookie",
        "cookie2",
        "date",
        "dnt",
        "expect",
        "host",
        "keep-alive",
        "origin",
        "referer",
        "set-cookie",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "via",
    ];
    FORBIDDEN.contains(&name) || name.starts_with("proxy-") || name.starts_with("sec-")
}

/// Headers sent without asking, when their value is a simple one.
pub fn is_safelisted(name: &str, value: &str) -> bool {
    let essence = value.split(';').next().unwrap_or_default().trim();
    match name {
        "accept" | "accept-language" | "content-language" => true,
        "content-type" => [
            "application/x-www-form-urlencoded",
            "multipart/form-data",
            "text/plain",
        ]
        .contains(&essence.to_ascii_lowercase().as_str()),
        _ => false,
    }
}

/// The preflight a browser sends before PUTting a file with the ticket's
/// headers from the portal (documents.js sets every one a script may set).
pub fn preflight_for(ticket: &Value, origin: &str) -> Preflight {
    let mut headers: Vec<String> = ticket["headers"]
        .as_object()
        .expect("the ticket's headers")
        .iter()
        .map(|(name, value)| {
            (
                name.to_ascii_lowercase(),
                value.as_str().unwrap_or_default(),
            )
        })
        .filter(|(name, value)| !is_forbidden(name) && !is_safelisted(name, value))
        .map(|(name, _)| name)
        .collect();
    headers.sort();
    Preflight {
        origin: origin.to_owned(),
        method: ticket["method"].as_str().expect("method").to_owned(),
        headers,
    }
}

// ---------------------------------------------------------------------------
// The template's rule.

/// A rule's list, with `!Ref PortalOrigin` resolved as the stack would.
pub fn strings(list: &Yaml, portal_origin: &str) -> Vec<String> {
    let items = list.as_sequence().expect("a CORS list");
    items
        .iter()
        .map(|item| match item {
            Yaml::String(s) => s.clone(),
            Yaml::Tagged(tagged) if tagged.tag == "Ref" => {
                assert_eq!(tagged.value.as_str(), Some("PortalOrigin"));
                portal_origin.to_owned()
            }
            other => panic!("unexpected CORS entry {other:?}"),
        })
        .collect()
}

/// The `Bucket` resource's CORS rules in `template.yaml`, for a stack whose
/// `PortalOrigin` is `portal_origin`.
pub fn template_rules(portal_origin: &str) -> Vec<CorsRule> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/template.yaml");
    let text = std::fs::read_to_string(path).expect("template.yaml");
    let template: Yaml = serde_yaml::from_str(&text).expect("template.yaml is YAML");
    let rules = &template["Resources"]["Bucket"]["Properties"]["CorsConfiguration"]["CorsRules"];
    rules
        .as_sequence()
        .expect("the bucket's CORS rules")
        .iter()
        .map(|rule| CorsRule {
            origins: strings(&rule["AllowedOrigins"], portal_origin),
            methods: strings(&rule["AllowedMethods"], portal_origin),
            headers: strings(&rule["AllowedHeaders"], portal_origin),
        })
        .collect()
}

/// The HTTP API's `CorsConfiguration` in `template.yaml`, as one rule
/// (API Gateway answers a preflight the same way: origin, method and every
/// requested header allowed).
pub fn api_rule(portal_origin: &str) -> CorsRule {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/template.yaml");
    let text = std::fs::read_to_string(path).expect("template.yaml");
    let template: Yaml = serde_yaml::from_str(&text).expect("template.yaml is YAML");
    let cors = &template["Resources"]["HttpApi"]["Properties"]["CorsConfiguration"];
    CorsRule {
        origins: strings(&cors["AllowOrigins"], portal_origin),
        methods: strings(&cors["AllowMethods"], portal_origin),
        headers: strings(&cors["AllowHeaders"], portal_origin),
    }
}
