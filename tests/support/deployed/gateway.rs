//! An HTTP API in front of the functions, as API Gateway runs one: it reads
//! the routes from `template.yaml`, picks the route a request matches (a
//! literal path before a parameter, `$default` last, else API Gateway's own
//! `{"message":"Not Found"}`), and turns the request into a payload-2.0 event
//! for the function behind it: lower-case headers joined by commas, the
//! cookies apart, the query string raw and parsed, path parameters, the body
//! base64-encoded unless it is text, `$default` stage. The function's answer
//! (status, headers, cookies, base64 body) is turned back into HTTP; a
//! function error is API Gateway's 500, a timeout its 503.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Router;
use base64::Engine as _;
use serde_json::{json, Map, Value};

use super::runtime::RuntimeApi;
use crate::support::template::HttpRoute;

/// API Gateway's payload limit for HTTP APIs.
const PAYLOAD_LIMIT: usize = 10 * 1024 * 1024;

struct GatewayState {
    routes: Vec<HttpRoute>,
    functions: BTreeMap<String, Arc<RuntimeApi>>,
    account: String,
}

/// A free loopback port for the API, and its URL: bound before the
/// functions start, since their environment holds the API's URL.
pub async fn bind() -> (String, tokio::net::TcpListener) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port for the gateway");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    (url, listener)
}

/// Serves the API on `listener`.
pub fn serve(
    listener: tokio::net::TcpListener,
    routes: Vec<HttpRoute>,
    functions: BTreeMap<String, Arc<RuntimeApi>>,
    account: &str,
) {
    let state = Arc::new(GatewayState {
        routes,
        functions,
        account: account.to_owned(),
    });
    let router = Router::new().fallback(gateway).with_state(state);
    tokio::spawn(async move { axum::serve(listener, router).await });
}

async fn gateway(State(state): State<Arc<GatewayState>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, PAYLOAD_LIMIT).await else {
        return message(StatusCode::PAYLOAD_TOO_LARGE, "Request Entity Too Large");
    };
    let method = parts.method.as_str().to_owned();
    let path = parts.uri.path().to_owned();
    let Some((route, parameters)) = match_route(&state.routes, &method, &path) else {
        return message(StatusCode::NOT_FOUND, "Not Found");
    };
    let Some(function) = state.functions.get(&route.function) else {
        return message(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error");
    };
    let event = event(&state, route, parameters, &parts, &body);
    match function.invoke(Bytes::from(event.to_string())).await {
        Ok(answer) => match serde_json::from_slice::<Value>(&answer) {
            Ok(answer) => response(answer),
            Err(_) => message(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error"),
        },
        Err(e) if e.starts_with("Task timed out") => {
            message(StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable")
        }
        Err(_) => message(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error"),
    }
}

/// API Gateway's own answers: `{"message": ...}`.
fn message(status: StatusCode, text: &str) -> Response {
    (
        status,
        [("content-type", "application/json")],
        json!({ "message": text }).to_string(),
    )
        .into_response()
}

/// The route a request takes: the most specific matching route (fewest
/// parameters, a method before `ANY`), else `$default`.
pub fn match_route<'r>(
    routes: &'r [HttpRoute],
    method: &str,
    path: &str,
) -> Option<(&'r HttpRoute, Map<String, Value>)> {
    let mut best: Option<(usize, &HttpRoute, Map<String, Value>)> = None;
    for route in routes.iter().filter(|r| r.path != "$default") {
        if route.method != method && route.method != "ANY" {
            continue;
        }
        let Some(parameters) = match_path(&route.path, path) else {
            continue;
        };
        let rank = parameters.len() * 2 + usize::from(route.method == "ANY");
        if best.as_ref().is_none_or(|(r, _, _)| rank < *r) {
            best = Some((rank, route, parameters));
        }
    }
    match best {
        Some((_, route, parameters)) => Some((route, parameters)),
        None => routes
            .iter()
            .find(|r| r.path == "$default")
            .map(|r| (r, Map::new())),
    }
}

fn match_path(pattern: &str, path: &str) -> Option<Map<String, Value>> {
    let mut parameters = Map::new();
    let pattern: Vec<&str> = pattern.split('/').collect();
    let segments: Vec<&str> = path.split('/').collect();
    for (i, part) in pattern.iter().enumerate() {
        if let Some(name) = part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
            if let Some(greedy) = name.strip_suffix('+') {
                let rest = segments.get(i..)?.join("/");
                if rest.is_empty() {
                    return None;
                }
                parameters.insert(greedy.to_owned(), Value::from(decode(&rest)));
                return Some(parameters);
            }
            let segment = segments.get(i).filter(|s| !s.is_empty())?;
            parameters.insert(name.to_owned(), Value::from(decode(segment)));
        } else if segments.get(i) != Some(part) {
            return None;
        }
    }
    (segments.len() == pattern.len()).then_some(parameters)
}

fn decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

/// Whether API Gateway passes a body of this type as text.
fn is_text(content_type: &str) -> bool {
    let ct = content_type.to_ascii_lowercase();
    ct.starts_with("text/")
        || ct.contains("json")
        || ct.contains("xml")
        || ct.contains("javascript")
        || ct.starts_with("application/x-www-form-urlencoded")
}

/// The payload-2.0 event API Gateway sends for this request.
fn event(
    state: &GatewayState,
    route: &HttpRoute,
    parameters: Map<String, Value>,
    parts: &axum::http::request::Parts,
    body: &Bytes,
) -> Value {
    let mut headers: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut cookies = Vec::new();
    for (name, value) in &parts.headers {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        if name == "cookie" {
            cookies.extend(value.split(';').map(|c| c.trim().to_owned()));
        } else {
            headers
                .entry(name.as_str().to_owned())
                .or_default()
                .push(value);
        }
    }
    let host = headers
        .get("host")
        .and_then(|h| h.first().cloned())
        .unwrap_or_default();
    let request_id = super::runtime::uuid_v4();
    headers.insert(
        "x-amzn-trace-id".into(),
        vec![format!("Root=1-{}", &request_id[..8])],
    );
    headers.insert("x-forwarded-for".into(), vec!["127.0.0.1".into()]);
    headers.insert("x-forwarded-proto".into(), vec!["https".into()]);
    headers.insert("x-forwarded-port".into(), vec!["443".into()]);
    let headers: Map<String, Value> = headers
        .into_iter()
        .map(|(k, v)| (k, Value::from(v.join(","))))
        .collect();

    let raw_query = parts.uri.query().unwrap_or_default().to_owned();
    let mut query: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (k, v) in url::form_urlencoded::parse(raw_query.as_bytes()) {
        query
            .entry(k.into_owned())
            .or_default()
            .push(v.into_owned());
    }
    let query: Map<String, Value> = query
        .into_iter()
        .map(|(k, v)| (k, Value::from(v.join(","))))
        .collect();

    let content_type = parts
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let text = is_text(content_type) && std::str::from_utf8(body).is_ok();
    let now = chrono::Utc::now();
    let mut event = json!({
        "version": "2.0",
        "routeKey": route.key(),
        "rawPath": parts.uri.path(),
        "rawQueryString": raw_query,
        "headers": headers,
        "requestContext": {
            "accountId": state.account,
            "apiId": "harness",
            "domainName": host,
            "domainPrefix": host.split('.').next().unwrap_or_default(),
            "http": {
                "method": parts.method.as_str(),
                "path": parts.uri.path(),
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": parts.headers.get("user-agent").and_then(|v| v.to_str().ok()).unwrap_or_default(),
            },
            "requestId": request_id,
            "routeKey": route.key(),
            "stage": "$default",
            "time": now.format("%d/%b/%Y:%H:%M:%S %z").to_string(),
            "timeEpoch": now.timestamp_millis(),
        },
        "isBase64Encoded": !body.is_empty() && !text,
    });
    if !cookies.is_empty() {
        event["cookies"] = json!(cookies);
    }
    if !query.is_empty() {
        event["queryStringParameters"] = Value::Object(query);
    }
    if !parameters.is_empty() {
        event["pathParameters"] = Value::Object(parameters);
    }
    if !body.is_empty() {
        event["body"] = Value::from(if text {
            String::from_utf8_lossy(body).into_owned()
        } else {
            base64::engine::general_purpose::STANDARD.encode(body)
        });
    }
    event
}

/// A payload-2.0 answer turned back into HTTP.
fn response(answer: Value) -> Response {
    let status = answer["statusCode"].as_u64().unwrap_or(200) as u16;
    let mut response = Response::builder().status(status);
    for (name, value) in answer["headers"].as_object().into_iter().flatten() {
        response = response.header(name, value.as_str().unwrap_or_default());
    }
    for (name, values) in answer["multiValueHeaders"]
        .as_object()
        .into_iter()
        .flatten()
    {
        for value in values.as_array().into_iter().flatten() {
            response = response.header(name, value.as_str().unwrap_or_default());
        }
    }
    for cookie in answer["cookies"].as_array().into_iter().flatten() {
        response = response.header("set-cookie", cookie.as_str().unwrap_or_default());
    }
    let body = answer["body"].as_str().unwrap_or_default();
    let body = if answer["isBase64Encoded"] == true {
        base64::engine::general_purpose::STANDARD
            .decode(body)
            .unwrap_or_default()
    } else {
        body.as_bytes().to_vec()
    };
    response
        .body(Body::from(body))
        .unwrap_or_else(|_| message(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error"))
}
