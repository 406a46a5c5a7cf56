//! A Lambda runtime API emulator: one per function, serving its real
//! bootstrap the way Lambda does (`/2018-06-01/runtime/invocation/next`,
//! `.../response`, `.../error`, `/runtime/init/error`), warm between
//! invocations, one invocation at a time.
//!
//! Each invocation carries what Lambda sends: a request id, the function's
//! ARN, an X-Ray trace id (`Lambda-Runtime-Trace-Id`, which `lambda_runtime`
//! copies to `_X_AMZN_TRACE_ID`, where the SDK's recursion detection reads it)
//! and an **absolute** deadline in epoch milliseconds, on the function's clock.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use tokio::sync::{mpsc, oneshot};

use super::clock::FakeClock;

/// What a function answered: its response, or the error it reported.
pub type Outcome = Result<Bytes, String>;

struct Pending {
    payload: Bytes,
    respond: oneshot::Sender<Outcome>,
}

struct RuntimeState {
    function_arn: String,
    timeout: Duration,
    clock: FakeClock,
    next: tokio::sync::Mutex<mpsc::UnboundedReceiver<Pending>>,
    in_flight: Mutex<HashMap<String, oneshot::Sender<Outcome>>>,
    init_error: Mutex<Option<String>>,
}

/// The runtime API of one function.
pub struct RuntimeApi {
    pub address: String,
    queue: mpsc::UnboundedSender<Pending>,
    state: Arc<RuntimeState>,
    timeout: Duration,
}

impl RuntimeApi {
    /// Serves a runtime API on a free loopback port.
    pub async fn start(function_arn: String, timeout: Duration, clock: FakeClock) -> RuntimeApi {
        let (queue, receiver) = mpsc::unbounded_channel();
        let state = Arc::new(RuntimeState {
            function_arn,
            timeout,
            clock,
            next: tokio::sync::Mutex::new(receiver),
            in_flight: Mutex::new(HashMap::new()),
            init_error: Mutex::new(None),
        });
        let router = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route(
                "/2018-06-01/runtime/invocation/{id}/response",
                post(response),
            )
            .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a loopback port for the runtime API");
        let address = listener.local_addr().expect("address").to_string();
        tokio::spawn(async move { axum::serve(listener, router).await });
        RuntimeApi {
            address,
            queue,
            state,
            timeout,
        }
    }

    /// Invokes the function with `payload` and waits for its answer, as a
    /// synchronous invocation does; a function that does not answer within
    /// its timeout (and a little more) fails like Lambda's « Task timed out ».
    pub async fn invoke(&self, payload: Bytes) -> Outcome {
        if let Some(message) = self.state.init_error.lock().expect("lock").clone() {
            return Err(format!("init error: {message}"));
        }
        let (respond, answer) = oneshot::channel();
        self.queue
            .send(Pending { payload, respond })
            .map_err(|_| "the runtime API is gone".to_owned())?;
        match tokio::time::timeout(self.timeout + Duration::from_secs(20), answer).await {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(_)) => Err("the invocation was dropped".into()),
            Err(_) => Err(format!("Task timed out after {:?}", self.timeout)),
        }
    }
}

async fn next(State(state): State<Arc<RuntimeState>>) -> Response {
    let Some(pending) = state.next.lock().await.recv().await else {
        return StatusCode::GONE.into_response();
    };
    let request_id = uuid_v4();
    let deadline_ms = state.clock.now().timestamp_millis() + state.timeout.as_millis() as i64;
    state
        .in_flight
        .lock()
        .expect("lock")
        .insert(request_id.clone(), pending.respond);
    let mut headers = HeaderMap::new();
    let mut set = |name: &'static str, value: String| {
        headers.insert(name, HeaderValue::from_str(&value).expect("header value"));
    };
    set("lambda-runtime-aws-request-id", request_id);
    set("lambda-runtime-deadline-ms", deadline_ms.to_string());
    set(
        "lambda-runtime-invoked-function-arn",
        state.function_arn.clone(),
    );
    set("lambda-runtime-trace-id", trace_id());
    set("content-type", "application/json".into());
    (StatusCode::OK, headers, pending.payload).into_response()
}

async fn response(
    State(state): State<Arc<RuntimeState>>,
    Path(id): Path<String>,
    body: Bytes,
) -> StatusCode {
    complete(&state, &id, Ok(body))
}

async fn error(
    State(state): State<Arc<RuntimeState>>,
    Path(id): Path<String>,
    body: Bytes,
) -> StatusCode {
    complete(
        &state,
        &id,
        Err(String::from_utf8_lossy(&body).into_owned()),
    )
}

async fn init_error(State(state): State<Arc<RuntimeState>>, body: Bytes) -> StatusCode {
    *state.init_error.lock().expect("lock") = Some(String::from_utf8_lossy(&body).into_owned());
    StatusCode::ACCEPTED
}

fn complete(state: &RuntimeState, id: &str, outcome: Outcome) -> StatusCode {
    match state.in_flight.lock().expect("lock").remove(id) {
        Some(respond) => {
            let _ = respond.send(outcome);
            StatusCode::ACCEPTED
        }
        None => StatusCode::BAD_REQUEST,
    }
}

/// An X-Ray trace header as Lambda sends it.
fn trace_id() -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let epoch = chrono::Utc::now().timestamp();
    format!(
        "Root=1-{epoch:08x}-{};Parent={};Sampled=0;Lineage=1:{}:0",
        &id[..24],
        &id[..16],
        &id[24..32]
    )
}

/// A random request id, as Lambda's are.
pub fn uuid_v4() -> String {
    uuid::Uuid::new_v4().to_string()
}
