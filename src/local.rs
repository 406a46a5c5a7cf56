//! The local runner: every function's routes behind one server, the routes
//! that exist only locally (`/_local/*`), and the sweeps on a timer.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context as _;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path as UrlPath, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::Deserialize;

use examreg_common::adapters::clock::parse_duration;
use examreg_common::adapters::outbox::read_outbox;
use examreg_common::bootstrap::{embedded_app, init_tracing, local_aws_app, DataDir, Embedded};
use examreg_common::config::{AwsSettings, Settings};
use examreg_common::domain::calendar::SessionCalendar;
use examreg_common::error::AppError;
use examreg_common::http::json::StrictJson;
use examreg_common::http::routes::Function;
use examreg_common::ports::DocumentStore as _;
use examreg_common::services;

use crate::ServeArgs;

/// Uploads are at most 5 MiB; the signature pins the exact length anyway.
const MAX_BLOB_BYTES: usize = 5 * 1024 * 1024 + 1024;

/// Where the clock starts without `--now`: now, unless the whole session is
/// in the past, in which case at its first opening so that it can be tried.
fn default_start(calendar: &SessionCalendar) -> DateTime<Utc> {
    let now = Utc::now();
    if calendar.last_closing() < now {
        calendar.first_opening()
    } else {
        now
    }
}

/// Serves on the embedded adapters, or on the AWS ones when `aws` is given.
pub async fn serve(
    data_dir: &Path,
    mut settings: Settings,
    aws: Option<AwsSettings>,
    args: ServeArgs,
) -> anyhow::Result<()> {
    init_tracing(false);
    let public_url = settings
        .public_url
        .get_or_insert_with(|| format!("http://{}", args.addr))
        .clone();
    let embedded = Arc::new(match aws {
        None => embedded_app(data_dir, &settings, args.now, default_start)?,
        Some(aws) => local_aws_app(data_dir, &settings, &aws, args.now, default_start).await?,
    });
    let listener = tokio::net::TcpListener::bind(args.addr)
        .await
        .with_context(|| format!("cannot listen on {}", args.addr))?;
    let recorded = DataDir(data_dir).public_url();
    std::fs::write(&recorded, &public_url)
        .with_context(|| format!("cannot write {}", recorded.display()))?;
    print_banner(&embedded, data_dir, &public_url, args.now.is_some());
    let control_open = control_routes_open(args.addr, args.allow_remote_local_routes);
    if !args.addr.ip().is_loopback() {
        eprintln!(
            "  {} is not a loopback address: /_local/outbox, /_local/clock and /_local/checks are {}\n",
            args.addr,
            if control_open {
                "ON (--allow-remote-local-routes): anyone who reaches this address reads every email"
            } else {
                "off (--allow-remote-local-routes to serve them on a trusted network)"
            }
        );
    }

    let office = crate::staff::Office {
        app: embedded.app.clone(),
        key: crate::staff::signing_key(data_dir)?,
    };
    let router = examreg_common::http::with_edge(
        examreg_common::http::routes(embedded.app.clone(), &Function::ALL)
            .merge(local_routes(embedded.clone(), control_open))
            .merge(crate::staff::routes(office.clone()))
            .layer(axum::middleware::from_fn_with_state(
                office,
                crate::staff::verify_token,
            )),
        &embedded.app.config,
    );
    tokio::spawn(sweep_timer(embedded.clone(), args.sweep_every));
    // With the peer's address: the per-source limits of the forms that mail.
    let router = router.into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, router)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .context("the server stopped")
}

fn print_banner(embedded: &Embedded, data_dir: &Path, public_url: &str, clock_given: bool) {
    let app = &embedded.app;
    let now = app.now();
    let dir = DataDir(data_dir);
    let (database, documents, emails) = match (&embedded.documents, &embedded.outbox) {
        (Some(_), Some(outbox)) => (
            dir.database().display().to_string(),
            dir.documents().display().to_string(),
            format!(
                "{}  (also GET {public_url}/_local/outbox, and one line per email below)",
                outbox.display()
            ),
        ),
        _ => (
            "DynamoDB (EXAMREG_TABLE, AWS_ENDPOINT_URL)".to_owned(),
            "S3 (EXAMREG_BUCKET)".to_owned(),
            "SES (EXAMREG_SENDER)".to_owned(),
        ),
    };
    let clock_note = if clock_given {
        "set by --now".to_owned()
    } else if now < Utc::now() - chrono::Duration::days(1) {
        format!(
            "session {} is over, so the simulated clock starts at its first opening (or where it was left); move it with POST /_local/clock",
            app.calendar.session
        )
    } else {
        "simulated, ticking from where it was left or from the real time; move it with POST /_local/clock".to_owned()
    };
    eprintln!(
        "\nexamreg {version} — session {session}, académie {academie}\n  listening   {public_url}  (API, portal, /openapi.json)\n  data        {data}\n  database    {database}\n  documents   {documents}\n  emails      {emails}\n  clock       {now} ({paris}) — {clock_note}\n",
        version = env!("CARGO_PKG_VERSION"),
        session = app.calendar.session,
        academie = app.calendar.academie,
        data = data_dir.display(),
        now = now.to_rfc3339(),
        paris = examreg_common::wording::to_paris_string(now),
    );
}

/// Runs the sweeps every `every` seconds of real time.
async fn sweep_timer(embedded: Arc<Embedded>, every: u64) {
    let mut interval = tokio::time::interval(Duration::from_secs(every.max(1)));
    loop {
        interval.tick().await;
        run_sweep(&embedded).await;
    }
}

async fn run_sweep(embedded: &Embedded) {
    let budget = std::time::Instant::now() + Duration::from_secs(60);
    match services::sweep::run(&embedded.app, budget).await {
        Ok(report) if report.changed() > 0 => tracing::info!(?report, "sweep"),
        Ok(_) => {}
        Err(e) => tracing::error!(error = %e, "sweep failed"),
    }
}

/// Checks of uploaded files held back by `POST /_local/checks`: each
/// object's key and when it was stored, in upload order. `None`: checks run
/// at once (the default).
#[derive(Clone, Default)]
struct HeldChecks(Arc<Mutex<Option<Vec<HeldCheck>>>>);

/// A held check: the object's key, and when it was stored.
type HeldCheck = (String, DateTime<Utc>);

impl HeldChecks {
    /// Holds this check if checks are held (`true`), else leaves it to run.
    fn hold(&self, key: &str, stored_at: DateTime<Utc>) -> bool {
        let mut held = self.0.lock().unwrap_or_else(|e| e.into_inner());
        match held.as_mut() {
            Some(queue) => {
                queue.push((key.to_owned(), stored_at));
                true
            }
            None => false,
        }
    }

    /// Starts holding (`true`) and answers how many are held, or stops and
    /// hands back what was held.
    fn set(&self, hold: bool) -> (usize, Vec<HeldCheck>) {
        let mut held = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if hold {
            (held.get_or_insert_with(Vec::new).len(), Vec::new())
        } else {
            (0, held.take().unwrap_or_default())
        }
    }
}

/// Whether the runner's control routes (`/_local/outbox`, `/_local/clock`,
/// `/_local/checks`) are served: on a loopback address only, unless
/// `--allow-remote-local-routes` says otherwise. The outbox holds every
/// email's links, tokens included (whoever reads it takes any account), and
/// the clock decides deadlines. (`/_local/blobs/`, where upload links point,
/// stays open: each of its URLs is checked by its signature, as S3's are.)
pub fn control_routes_open(addr: std::net::SocketAddr, allowed: bool) -> bool {
    addr.ip().is_loopback() || allowed
}

/// The answer of a control route on a runner reachable from the network.
async fn control_routes_closed() -> AppError {
    AppError::refused(
        403,
        "local_routes_disabled",
        "Route locale désactivée",
        "Ce serveur écoute sur une adresse accessible depuis le réseau : les routes /_local/ \
         (courriels envoyés, horloge) n'y sont pas servies. Lancez-le sur 127.0.0.1, ou avec \
         --allow-remote-local-routes (EXAMREG_ALLOW_REMOTE_LOCAL_ROUTES=true) sur un réseau de \
         confiance seulement.",
    )
}

fn local_routes(embedded: Arc<Embedded>, control_open: bool) -> Router {
    let checks = HeldChecks::default();
    let control = if control_open {
        Router::new()
            .route("/_local/outbox", get(outbox))
            .route("/_local/clock", post(move_clock))
            .route("/_local/mail-events", post(mail_events))
            .with_state(embedded.clone())
            .merge(
                Router::new()
                    .route("/_local/checks", post(hold_checks))
                    .with_state((embedded.clone(), checks.clone())),
            )
    } else {
        Router::new()
            .route("/_local/outbox", axum::routing::any(control_routes_closed))
            .route("/_local/clock", axum::routing::any(control_routes_closed))
            .route("/_local/checks", axum::routing::any(control_routes_closed))
            .route(
                "/_local/mail-events",
                axum::routing::any(control_routes_closed),
            )
    };
    control.merge(
        Router::new()
            .route(
                "/_local/blobs/{*key}",
                put(put_blob)
                    .get(get_blob)
                    .layer(DefaultBodyLimit::max(MAX_BLOB_BYTES)),
            )
            .with_state((embedded, checks)),
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HoldChecks {
    hold: bool,
}

/// `POST /_local/checks` `{"hold": true}`: uploads are stored (dated by the
/// simulated clock) but not checked, as when S3's notification is late;
/// `{"hold": false}`: the held checks run now, each as of when its file was
/// stored, as a late notification carries its event time.
async fn hold_checks(
    State((embedded, checks)): State<(Arc<Embedded>, HeldChecks)>,
    StrictJson(body): StrictJson<HoldChecks>,
) -> Result<Response, AppError> {
    let (held, released) = checks.set(body.hold);
    let mut outcomes = Vec::with_capacity(released.len());
    for (key, stored_at) in released {
        let outcome =
            services::upload_check::check_stored_object_at(&embedded.app, &key, Some(stored_at))
                .await?;
        outcomes.push(format!("{outcome:?}"));
    }
    Ok(Json(serde_json::json!({
        "hold": body.hold,
        "held": held,
        "checked": outcomes.len(),
    }))
    .into_response())
}

/// `POST /_local/mail-events`: a bounce or complaint as SES reports it
/// (the SES notification's JSON, or a whole SNS event carrying it, as the
/// sweep function receives it), read by the same parser: the address is
/// marked undeliverable. A malformed one is refused (422) and changes nothing.
async fn mail_events(
    State(embedded): State<Arc<Embedded>>,
    body: Bytes,
) -> Result<Response, AppError> {
    let app = &embedded.app;
    let text = String::from_utf8_lossy(&body);
    let report = match serde_json::from_str::<serde_json::Value>(&text) {
        Ok(event) if services::mail_events::is_sns_event(&event) => {
            services::mail_events::record_sns_event(app, event).await?
        }
        _ => services::mail_events::record_notification(app, &text).await?,
    };
    if report.refused > 0 && report.marked == 0 && report.ignored == 0 {
        return Err(AppError::refused(
            422,
            "malformed_notification",
            "Notification illisible",
            "Ce n'est pas une notification de SES (rejet ou plainte) : rien n'a été enregistré. Le journal du serveur dit pourquoi.",
        ));
    }
    Ok(Json(report).into_response())
}

fn embedded_only() -> AppError {
    AppError::not_found(
        "not_found",
        "Cette route n'existe qu'avec les adaptateurs embarqués (--backend embedded).",
    )
}

async fn outbox(State(embedded): State<Arc<Embedded>>) -> Result<Response, AppError> {
    let path = embedded.outbox.as_ref().ok_or_else(embedded_only)?;
    let entries = read_outbox(path).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(Json(entries).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClockMove {
    set: Option<DateTime<Utc>>,
    advance: Option<String>,
}

async fn move_clock(
    State(embedded): State<Arc<Embedded>>,
    StrictJson(body): StrictJson<ClockMove>,
) -> Result<Response, AppError> {
    let bad = |detail: &str| {
        AppError::refused(
            422,
            "validation_failed",
            "Déplacement d'horloge invalide",
            detail,
        )
    };
    let now = match (body.set, body.advance.as_deref()) {
        (Some(instant), None) => embedded.clock.set(instant),
        (None, Some(text)) => {
            let by = parse_duration(text).ok_or_else(|| {
                bad("« advance » attend une durée comme « 49h », « 30m », « 7d » ou « 1d12h ».")
            })?;
            embedded.clock.advance(by)
        }
        _ => {
            return Err(bad(
                "Donnez soit « set » (un instant RFC 3339), soit « advance » (une durée).",
            ))
        }
    }
    .map_err(|e| AppError::Internal(e.to_string()))?;
    // Whatever fell due in the jump is done before answering.
    run_sweep(&embedded).await;
    Ok(Json(serde_json::json!({ "now": now })).into_response())
}

fn blob_refused(detail: String) -> AppError {
    AppError::refused(403, "signature_invalid", "Adresse de dépôt refusée", detail)
}

async fn put_blob(
    State((embedded, checks)): State<(Arc<Embedded>, HeldChecks)>,
    UrlPath(key): UrlPath<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    let documents = embedded.documents.as_ref().ok_or_else(embedded_only)?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    documents
        .verify_signed_put(
            &key,
            query.as_deref().unwrap_or_default(),
            content_type,
            Some(body.len() as u64),
            embedded.app.now(),
        )
        .map_err(|e| blob_refused(e.to_string()))?;
    documents
        .put(
            &key,
            content_type.unwrap_or("application/octet-stream"),
            body,
        )
        .await?;
    // Dated as S3 dates it, by the (simulated) clock of the PUT: what a
    // HEAD reads back (the sweep's reconciliation, `recheck`).
    let stored_at = embedded.app.now();
    documents.set_stored_at(&key, stored_at)?;
    // S3 would now notify the documents check; locally it runs right here,
    // unless checks are held (`POST /_local/checks`).
    if !checks.hold(&key, stored_at) {
        services::upload_check::check_stored_object_at(&embedded.app, &key, Some(stored_at))
            .await?;
    }
    Ok(StatusCode::OK.into_response())
}

async fn get_blob(
    State((embedded, _)): State<(Arc<Embedded>, HeldChecks)>,
    UrlPath(key): UrlPath<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    let documents = embedded.documents.as_ref().ok_or_else(embedded_only)?;
    documents
        .verify_signed_get(
            &key,
            query.as_deref().unwrap_or_default(),
            embedded.app.now(),
        )
        .map_err(|e| blob_refused(e.to_string()))?;
    let bytes = documents
        .get(&key)
        .await?
        .ok_or_else(|| AppError::not_found("not_found", "Ce document n'existe pas."))?;
    // An export is a CSV; a candidate's file (piece_link) is served with
    // the type its bytes were checked to be, as S3 serves it.
    let content_type = if key.ends_with(".csv") {
        "text/csv; charset=utf-8"
    } else {
        examreg_common::domain::files::FileType::sniff(&bytes)
            .map_or("application/octet-stream", |t| t.mime())
    };
    Ok(([(header::CONTENT_TYPE, content_type)], bytes).into_response())
}

/// `examreg staff add <email> --role R`: a staff account in the data
/// directory's store, for the back office's local sign-in.
pub async fn staff_add(
    data_dir: &Path,
    settings: Settings,
    email: &str,
    role: examreg_common::domain::staff::StaffRole,
) -> anyhow::Result<()> {
    let embedded = embedded_app(data_dir, &settings, None, default_start)?;
    crate::staff::add(&embedded.app, email, role).await
}

/// `examreg admin '<json>'`: one admin event against the data directory.
/// Runs one admin event on the data directory. Its email links and export
/// location use the settings' public URL if given, else the address the runner last
/// served this data at, else the runner's default.
pub async fn admin(
    data_dir: &Path,
    mut settings: Settings,
    event: &str,
) -> anyhow::Result<serde_json::Value> {
    let public_url = settings
        .public_url
        .take()
        .or_else(|| {
            let recorded = std::fs::read_to_string(DataDir(data_dir).public_url()).ok()?;
            Some(recorded.trim().to_owned()).filter(|url| !url.is_empty())
        })
        .unwrap_or_else(|| "http://127.0.0.1:3000".into());
    settings.public_url = Some(public_url);
    let embedded = embedded_app(data_dir, &settings, None, default_start)?;
    let mut answer = services::admin::handle_json(&embedded.app, event).await;
    // An export lands in the data directory's documents: say where.
    let file = answer
        .get("key")
        .and_then(serde_json::Value::as_str)
        .and_then(|key| embedded.documents.as_ref()?.path_for(key).ok());
    if let (Some(file), Some(map)) = (file, answer.as_object_mut()) {
        map.insert("file".into(), serde_json::json!(file.display().to_string()));
    }
    Ok(answer)
}

#[cfg(test)]
mod tests {
    use super::control_routes_open;

    #[test]
    fn control_routes_are_served_on_loopback_or_when_allowed() {
        for addr in ["127.0.0.1:3000", "[::1]:3000", "127.0.0.2:80"] {
            assert!(control_routes_open(addr.parse().unwrap(), false), "{addr}");
        }
        for addr in ["0.0.0.0:3000", "192.168.1.20:3000", "[::]:3000"] {
            assert!(!control_routes_open(addr.parse().unwrap(), false), "{addr}");
            assert!(control_routes_open(addr.parse().unwrap(), true), "{addr}");
        }
    }
}
