//! caretime's HTTP server: the FHIR R4 scheduling API over the store.
//!
//! Every change goes through the engine's decisions and the store's transaction
//! ([`caretime_store::shared::SharedBook`]); several processes can serve one PostgreSQL, each
//! keeping its cached book coherent from the journal. Requests carry a bearer token
//! ([`auth`]); errors are FHIR OperationOutcomes ([`error`]).
//!
//! Routes: the FHIR reads and the audit log (`rest`), the IHE scheduling operations (`ops`),
//! Schedule and Slot from the availability index (`slots`: Slot ids are
//! `<clinician>.<start, Unix seconds>`), Patient, PractitionerRole and HealthcareService
//! (`directory`: a clinician reads only their own patients, every member read audited), the
//! searches' shared paging (`search`), the public SMART Scheduling Links `GET /$bulk-publish`
//! and its NDJSON files under `/bulk/` (`publish`), and `GET /Practitioner/{id}/calendar.ics`,
//! a clinician's weeks as iCalendar (`calendar`, written by `ical`). The calendar and the
//! publication are not FHIR REST interactions, so `/metadata` lists them only in its
//! documentation text.

pub mod audit;
pub mod auth;
mod calendar;
mod directory;
pub mod error;
mod ical;
pub mod metrics;
mod openapi;
mod ops;
mod publish;
mod rest;
mod search;
mod slots;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use caretime_fhir::outcome::IssueType;
use caretime_store::Store;
use caretime_store::shared::SharedBook;
use jiff::Timestamp;
use tokio::net::TcpListener;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::audit::AuditQueue;
use crate::error::outcome_response;
use crate::metrics::{Metrics, RateLimit};

/// The largest request body accepted (a FHIR Parameters or Appointment is a few kilobytes).
pub const MAX_BODY_BYTES: usize = 256 * 1024;
/// A request that takes longer is answered 408.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Requests a second one client address may make (in bursts of twice as many) unless
/// `caretime serve --rate-limit` says otherwise.
pub const DEFAULT_RATE_LIMIT: u32 = 200;
/// Connections a server keeps to a PostgreSQL database: a request holds one for its token's
/// lookup and for its audit row's commit, so with few of them concurrent requests queue for a
/// connection (bench/NOTES.md, "bench serve"). Sixteen leave room for six servers under
/// PostgreSQL's default 100 connections.
pub const DATABASE_CONNECTIONS: u32 = 16;

/// What every handler shares.
#[derive(Clone, Debug)]
pub struct AppState {
    /// The database.
    pub store: Store,
    /// The process's cached book, with group commit.
    pub book: SharedBook,
    /// The time decisions are made at.
    pub clock: Clock,
    /// What `GET /metrics` shows.
    pub metrics: Arc<Metrics>,
    /// The per-client rate limit (`None`: no limit).
    pub rate_limit: Option<RateLimit>,
    /// Read audit rows, written by group commit.
    pub audit: AuditQueue,
}

impl AppState {
    /// The state of a server on `store` and its cached `book`, with fresh metrics and the
    /// default rate limit ([`DEFAULT_RATE_LIMIT`]). Starts the audit writer and, on
    /// PostgreSQL, the token cache ([`Store::with_token_cache`]; `state.store` has it, so a
    /// revocation through it takes effect at once): call it within a Tokio runtime.
    pub fn new(store: Store, book: SharedBook, clock: Clock) -> AppState {
        let store = store.with_token_cache();
        AppState {
            audit: AuditQueue::start(store.clone()),
            store,
            book,
            clock,
            metrics: Arc::default(),
            rate_limit: RateLimit::per_second(DEFAULT_RATE_LIMIT),
        }
    }
}

/// The server's clock: the system's, or a time a test sets (a hold's expiry without waiting).
#[derive(Clone, Debug, Default)]
pub struct Clock(Arc<Mutex<Option<Timestamp>>>);

impl Clock {
    /// The system clock.
    pub fn system() -> Clock {
        Clock::default()
    }

    /// Now: the time set, else the system's.
    pub fn now(&self) -> Timestamp {
        self.0
            .lock()
            .map(|set| set.unwrap_or_else(Timestamp::now))
            .unwrap_or_else(|_| Timestamp::now())
    }

    /// From now on, `now` answers `at` (for tests).
    pub fn set(&self, at: Timestamp) {
        if let Ok(mut set) = self.0.lock() {
            *set = Some(at);
        }
    }
}

/// The routes, with their limits.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/metrics", get(metrics::metrics))
        .route("/openapi.json", get(openapi::openapi))
        .merge(rest::routes())
        .merge(ops::routes())
        .merge(calendar::routes())
        .merge(slots::routes())
        .merge(directory::routes())
        .merge(publish::routes())
        .fallback(not_found)
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .layer(TraceLayer::new_for_http().make_span_with(request_span))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::limit,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .layer(axum::middleware::map_response(as_operation_outcome))
        .with_state(state)
}

/// Every error answer is an OperationOutcome: those the layers and axum write themselves (a body
/// too large, a timeout, a method the route does not have) are rewritten, with what they mean.
async fn as_operation_outcome(response: Response) -> Response {
    let status = response.status();
    let is_fhir = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|kind| kind.as_bytes().starts_with(b"application/fhir+json"));
    if !(status.is_client_error() || status.is_server_error()) || is_fhir {
        return response;
    }
    let (code, diagnostics) = match status {
        StatusCode::PAYLOAD_TOO_LARGE => (
            IssueType::TooCostly,
            format!("the request body is larger than {MAX_BODY_BYTES} bytes"),
        ),
        StatusCode::REQUEST_TIMEOUT => (
            IssueType::Timeout,
            format!(
                "the request took longer than {} s",
                REQUEST_TIMEOUT.as_secs()
            ),
        ),
        StatusCode::METHOD_NOT_ALLOWED => (
            IssueType::NotSupported,
            "this route does not take that method: GET /metadata lists what is supported"
                .to_owned(),
        ),
        StatusCode::UNSUPPORTED_MEDIA_TYPE | StatusCode::BAD_REQUEST => {
            (IssueType::Invalid, "the request is not valid".to_owned())
        }
        other if other.is_server_error() => (
            IssueType::Exception,
            "the server failed; its log says why".to_owned(),
        ),
        other => (
            IssueType::Processing,
            format!(
                "the request was refused ({})",
                other.canonical_reason().unwrap_or("error")
            ),
        ),
    };
    outcome_response(status, code, &diagnostics)
}

/// A request's span: its method and route template (`/Patient/{id}`), never its path or query,
/// which can name a member (`/Patient?identifier=<plan number>`).
fn request_span(request: &axum::http::Request<axum::body::Body>) -> tracing::Span {
    let route = request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or("unmatched", |path| path.as_str());
    tracing::debug_span!("request", method = %request.method(), route)
}

async fn health() -> &'static str {
    "ok"
}

async fn not_found() -> impl IntoResponse {
    outcome_response(
        StatusCode::NOT_FOUND,
        IssueType::NotSupported,
        "no such route: GET /metadata lists what this server supports",
    )
}

/// Serves `state` on `listener` until `shutdown` completes, then finishes the requests in
/// flight.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// Completes on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
