//! A proxy in front of moto that plays IAM: every SDK call of a function (and
//! every use of a URL it presigned) is recorded as the IAM actions it needs,
//! on the resources it touches, and refused as AWS refuses it when the
//! function's role in `template.yaml` does not grant it. moto itself checks
//! nothing, so without this a missing grant only shows in production.
//!
//! Each function runs with its logical id as its access key id, so the
//! caller is read from the request's SigV4 credential (header or presigned
//! query), and the service from the credential's scope.
//!
//! It can also make a function lose a race, as DynamoDB does when another
//! writer came first: its next conditional write is refused (a cancelled
//! transaction, or a failed condition) without reaching moto, so that the
//! paths that read again and retry run, with the grants they need.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use serde_json::Value;

/// One action a call needed, and whether the role granted it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SdkCall {
    /// The logical id of the calling function (its access key id).
    pub function: String,
    pub action: String,
    pub resource: String,
    pub allowed: bool,
}

/// An `Allow` statement of a role, evaluated.
#[derive(Debug, Clone)]
pub struct Grant {
    pub actions: Vec<String>,
    pub resources: Vec<String>,
}

/// Each function's grants, by logical id.
pub type Policies = BTreeMap<String, Vec<Grant>>;

/// How many conditional writes each function is still to lose, by logical id.
pub type Races = Arc<Mutex<BTreeMap<String, usize>>>;

struct ProxyState {
    moto: String,
    region: String,
    account: String,
    policies: Policies,
    calls: Arc<Mutex<Vec<SdkCall>>>,
    races: Races,
    http: reqwest::Client,
}

/// Serves the proxy on a free loopback port: its URL.
pub async fn start(
    moto: &str,
    region: &str,
    account: &str,
    policies: Policies,
    calls: Arc<Mutex<Vec<SdkCall>>>,
    races: Races,
) -> String {
    let state = Arc::new(ProxyState {
        moto: moto.trim_end_matches('/').to_owned(),
        region: region.to_owned(),
        account: account.to_owned(),
        policies,
        calls,
        races,
        http: reqwest::Client::builder()
            .pool_max_idle_per_host(0)
            .build()
            .expect("http client"),
    });
    let router = Router::new().fallback(proxy).with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port for the IAM proxy");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(async move { axum::serve(listener, router).await });
    url
}

async fn proxy(State(state): State<Arc<ProxyState>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, 64 * 1024 * 1024)
        .await
        .unwrap_or_default();
    let query = parts.uri.query().unwrap_or_default().to_owned();
    let Some((caller, service)) = credential(&parts.headers, &query) else {
        return refuse("", "", "AccessDenied", "unsigned request").into_response();
    };
    let needed = actions(
        &state,
        &service,
        &parts.method,
        parts.uri.path(),
        &query,
        &parts.headers,
        &body,
    );
    let mut refused = None;
    for (action, resource) in needed {
        let allowed = state
            .policies
            .get(&caller)
            .is_some_and(|grants| grants.iter().any(|g| g.allows(&action, &resource)));
        state.calls.lock().expect("lock").push(SdkCall {
            function: caller.clone(),
            action: action.clone(),
            resource: resource.clone(),
            allowed,
        });
        if !allowed && refused.is_none() {
            refused = Some((action, resource));
        }
    }
    if let Some((action, resource)) = refused {
        let message = format!(
            "User: arn:aws:sts::{}:assumed-role/{caller}Role/{caller} is not authorized to perform: {action} on resource: {resource} because no identity-based policy allows the {action} action",
            state.account
        );
        return refuse(&service, &action, "AccessDenied", &message);
    }
    if service == "dynamodb"
        && is_conditional_write(&parts.headers, &body)
        && loses(&state, &caller)
    {
        return lost_race(&parts.headers);
    }
    forward(&state, parts.method, &parts.uri, parts.headers, body).await
}

/// The caller (access key id) and service of a SigV4-signed request.
fn credential(headers: &HeaderMap, query: &str) -> Option<(String, String)> {
    let from_header = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split("Credential=").nth(1))
        .map(|rest| rest.split(',').next().unwrap_or_default().to_owned());
    let from_query = || {
        url::form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == "X-Amz-Credential")
            .map(|(_, v)| v.into_owned())
    };
    let scope = from_header.or_else(from_query)?;
    // AKID/20211120/eu-west-3/dynamodb/aws4_request
    let parts: Vec<&str> = scope.split('/').collect();
    Some((parts.first()?.to_string(), parts.get(3)?.to_string()))
}

/// The IAM actions a request needs, each with its resource ARN.
fn actions(
    state: &ProxyState,
    service: &str,
    method: &Method,
    path: &str,
    query: &str,
    headers: &HeaderMap,
    body: &Bytes,
) -> Vec<(String, String)> {
    match service {
        "dynamodb" => dynamodb_actions(state, headers, body),
        "s3" => vec![s3_action(method, path, query)],
        "ses" => vec![ses_action(state, body)],
        other => vec![(format!("{other}:Unknown"), "*".into())],
    }
}

fn dynamodb_actions(
    state: &ProxyState,
    headers: &HeaderMap,
    body: &Bytes,
) -> Vec<(String, String)> {
    let operation = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .and_then(|t| t.split('.').nth(1))
        .unwrap_or("Unknown")
        .to_owned();
    let body: Value = serde_json::from_slice(body).unwrap_or_default();
    let table = |name: &str| {
        format!(
            "arn:aws:dynamodb:{}:{}:table/{name}",
            state.region, state.account
        )
    };
    let name = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    match operation.as_str() {
        // IAM authorises a transaction per operation inside it.
        "TransactWriteItems" => body["TransactItems"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|item| item.as_object()?.iter().next())
            .map(|(kind, op)| {
                let action = match kind.as_str() {
                    "Put" => "PutItem",
                    "Delete" => "DeleteItem",
                    "Update" => "UpdateItem",
                    "ConditionCheck" => "ConditionCheckItem",
                    other => other,
                };
                (format!("dynamodb:{action}"), table(&name(&op["TableName"])))
            })
            .collect(),
        "TransactGetItems" => body["TransactItems"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|item| {
                (
                    "dynamodb:GetItem".into(),
                    table(&name(&item["Get"]["TableName"])),
                )
            })
            .collect(),
        "BatchGetItem" | "BatchWriteItem" => body["RequestItems"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(t, _)| (format!("dynamodb:{operation}"), table(t)))
            .collect(),
        _ => {
            let mut resource = table(&name(&body["TableName"]));
            if let Some(index) = body["IndexName"].as_str() {
                resource = format!("{resource}/index/{index}");
            }
            vec![(format!("dynamodb:{operation}"), resource)]
        }
    }
}

/// Path-style S3: `/<bucket>` or `/<bucket>/<key>`.
fn s3_action(method: &Method, path: &str, query: &str) -> (String, String) {
    let path = percent_encoding::percent_decode_str(path.trim_start_matches('/'))
        .decode_utf8_lossy()
        .into_owned();
    let (bucket, key) = path.split_once('/').unwrap_or((&path, ""));
    if key.is_empty() {
        let action = match *method {
            Method::GET if query.contains("list-type") || query.is_empty() => "s3:ListBucket",
            _ => "s3:UnknownBucketAction",
        };
        return (action.into(), format!("arn:aws:s3:::{bucket}"));
    }
    let action = match *method {
        // HeadObject is authorised as GetObject.
        Method::GET | Method::HEAD => "s3:GetObject",
        Method::PUT => "s3:PutObject",
        Method::DELETE => "s3:DeleteObject",
        _ => "s3:UnknownObjectAction",
    };
    (action.into(), format!("arn:aws:s3:::{bucket}/{key}"))
}

/// SES v1 (query protocol): the action and the sending identity.
fn ses_action(state: &ProxyState, body: &Bytes) -> (String, String) {
    let form: BTreeMap<String, String> = url::form_urlencoded::parse(body).into_owned().collect();
    let action = form.get("Action").cloned().unwrap_or_default();
    let source = form.get("Source").cloned().unwrap_or_default();
    // The identity is the address, or its domain: both are listed as
    // resources in the template; the address's ARN is the one checked first.
    let address = source
        .rsplit('<')
        .next()
        .unwrap_or_default()
        .trim_end_matches('>')
        .to_owned();
    (
        format!("ses:{action}"),
        format!(
            "arn:aws:ses:{}:{}:identity/{address}",
            state.region, state.account
        ),
    )
}

impl Grant {
    fn allows(&self, action: &str, resource: &str) -> bool {
        let action_ok = self
            .actions
            .iter()
            .any(|a| glob(&a.to_lowercase(), &action.to_lowercase()));
        action_ok && self.resources.iter().any(|r| resource_matches(r, resource))
    }
}

/// A resource pattern against a resource; an SES address identity is also
/// covered by its domain's identity, as SES authorises sending.
fn resource_matches(pattern: &str, resource: &str) -> bool {
    if glob(pattern, resource) {
        return true;
    }
    match resource.split_once(":identity/") {
        Some((prefix, address)) if address.contains('@') => {
            let domain = address.rsplit('@').next().unwrap_or_default();
            glob(pattern, &format!("{prefix}:identity/{domain}"))
        }
        _ => false,
    }
}

/// A write DynamoDB may refuse because another writer came first.
fn is_conditional_write(headers: &HeaderMap, body: &Bytes) -> bool {
    let target = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let conditional = || {
        serde_json::from_slice::<Value>(body).is_ok_and(|b| b.get("ConditionExpression").is_some())
    };
    target.ends_with(".TransactWriteItems")
        || (target.ends_with(".PutItem") || target.ends_with(".DeleteItem")) && conditional()
}

/// Whether `caller` is to lose this write (and one fewer to lose after it).
fn loses(state: &ProxyState, caller: &str) -> bool {
    let mut races = state.races.lock().expect("lock");
    match races.get_mut(caller) {
        Some(left) if *left > 0 => {
            *left -= 1;
            true
        }
        _ => false,
    }
}

/// DynamoDB's answer to a write whose condition another writer broke first.
fn lost_race(headers: &HeaderMap) -> Response {
    let transaction = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.ends_with(".TransactWriteItems"));
    let body = if transaction {
        serde_json::json!({
            "__type": "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
            "Message": "Transaction cancelled, please refer cancellation reasons for specific reasons [ConditionalCheckFailed]",
            "CancellationReasons": [{"Code": "ConditionalCheckFailed", "Message": "The conditional request failed"}],
        })
    } else {
        serde_json::json!({
            "__type": "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException",
            "message": "The conditional request failed",
        })
    };
    Response::builder()
        .status(StatusCode::BAD_REQUEST)
        .header("content-type", "application/x-amz-json-1.0")
        .body(Body::from(body.to_string()))
        .expect("a refusal")
}

/// IAM's wildcards: `*` any run of characters, `?` any one.
pub fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// AWS's refusal, in each service's own error format.
fn refuse(service: &str, action: &str, code: &str, message: &str) -> Response {
    let (status, content_type, body) = match service {
        "dynamodb" => (
            StatusCode::BAD_REQUEST,
            "application/x-amz-json-1.0",
            serde_json::json!({
                "__type": "com.amazon.coral.service#AccessDeniedException",
                "Message": message,
            })
            .to_string(),
        ),
        "ses" => (
            StatusCode::FORBIDDEN,
            "text/xml",
            format!("<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>harness</RequestId></ErrorResponse>"),
        ),
        _ => (
            StatusCode::FORBIDDEN,
            "application/xml",
            format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>Access Denied ({action})</Message></Error>"),
        ),
    };
    Response::builder()
        .status(status)
        .header("content-type", content_type)
        .body(Body::from(body))
        .expect("a refusal")
}

async fn forward(
    state: &ProxyState,
    method: Method,
    uri: &axum::http::Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let target = format!(
        "{}{}",
        state.moto,
        uri.path_and_query().map(|p| p.as_str()).unwrap_or("/")
    );
    let head = method == Method::HEAD;
    let mut request = state.http.request(method, &target).body(body);
    for (name, value) in &headers {
        if !matches!(name.as_str(), "host" | "content-length" | "connection") {
            request = request.header(name, value);
        }
    }
    let answer = match request.send().await {
        Ok(answer) => answer,
        Err(e) => return (StatusCode::BAD_GATEWAY, format!("moto: {e}")).into_response(),
    };
    let mut response = Response::builder().status(answer.status().as_u16());
    for (name, value) in answer.headers() {
        // A HEAD answer's length is the object's: keep it.
        let framing = matches!(name.as_str(), "transfer-encoding" | "connection")
            || (name == "content-length" && !head);
        if !framing {
            response = response.header(name, value);
        }
    }
    let bytes = answer.bytes().await.unwrap_or_default();
    response.body(Body::from(bytes)).expect("a response")
}
