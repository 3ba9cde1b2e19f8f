//! Prometheus metrics at `GET /metrics` (the text exposition format), and the per-client rate
//! limit.
//!
//! The metrics hold no member data: requests are counted by method, route template
//! (`/Appointment/{id}`, never the id) and status, and decisions by operation and outcome. The
//! route is public like `/health`, for a scraper without a token.

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use caretime_fhir::outcome::IssueType;
use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::AppState;
use crate::error::outcome_response;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DecisionLabels {
    operation: String,
    outcome: String,
}

/// The server's metrics.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    durations: Family<RouteLabels, Histogram>,
    decisions: Family<DecisionLabels, Counter>,
    limited: Counter,
    token_cache_entries: Gauge,
    token_cache_listening: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("caretime");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by method, route template and status",
            requests.clone(),
        );
        // 100 µs to about 13 s: a $find at full scale is well under a millisecond, a
        // replan's commit can take seconds.
        let durations = Family::<RouteLabels, Histogram>::new_with_constructor(
            (|| Histogram::new(exponential_buckets(0.000_1, 2.0, 18))) as fn() -> Histogram,
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to answer a request, by route template",
            durations.clone(),
        );
        let decisions = Family::<DecisionLabels, Counter>::default();
        registry.register(
            "decisions",
            "Booking decisions by operation ($hold, $book, cancel) and outcome (committed, \
             conflict, refused)",
            decisions.clone(),
        );
        let limited = Counter::default();
        registry.register(
            "rate_limited",
            "Requests refused by the per-client rate limit",
            limited.clone(),
        );
        let token_cache_entries = Gauge::default();
        registry.register(
            "token_cache_entries",
            "API tokens whose users this server keeps (PostgreSQL; 0 on SQLite, which keeps none)",
            token_cache_entries.clone(),
        );
        let token_cache_listening = Gauge::default();
        registry.register(
            "token_cache_listening",
            "1 while the token cache listens for changes to users and tokens (and so answers); \
             0 while every lookup asks the database",
            token_cache_listening.clone(),
        );
        Metrics {
            registry,
            requests,
            durations,
            decisions,
            limited,
            token_cache_entries,
            token_cache_listening,
        }
    }
}

impl Metrics {
    /// Counts a decision of `operation` (`$book`, ...) that ended as `outcome`.
    pub(crate) fn decision(&self, operation: &str, outcome: &str) {
        self.decisions
            .get_or_create(&DecisionLabels {
                operation: operation.to_owned(),
                outcome: outcome.to_owned(),
            })
            .inc();
    }

    fn text(&self) -> String {
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}

/// `GET /metrics`.
pub(crate) async fn metrics(State(state): State<AppState>) -> Response {
    let (entries, listening) = state.store.token_cache().unwrap_or((0, false));
    let metrics = &state.metrics;
    metrics
        .token_cache_entries
        .set(i64::try_from(entries).unwrap_or(i64::MAX));
    metrics.token_cache_listening.set(i64::from(listening));
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.text(),
    )
        .into_response()
}

/// Counts and times every request by its route template.
pub(crate) async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |path| path.as_str().to_owned());
    let response = next.run(request).await;
    state
        .metrics
        .requests
        .get_or_create(&RequestLabels {
            method,
            route: route.clone(),
            status: response.status().as_u16(),
        })
        .inc();
    state
        .metrics
        .durations
        .get_or_create(&RouteLabels { route })
        .observe(started.elapsed().as_secs_f64());
    response
}

/// At most this many requests a second from one client address, in bursts of twice as many.
#[derive(Clone, Debug)]
pub struct RateLimit(Arc<DefaultKeyedRateLimiter<IpAddr>>, Arc<Mutex<Instant>>);

impl RateLimit {
    /// `per_second` requests a second per client address; `None` for 0 (no limit).
    pub fn per_second(per_second: u32) -> Option<RateLimit> {
        let rate = NonZeroU32::new(per_second)?;
        let burst = rate.saturating_mul(NonZeroU32::new(2)?);
        Some(RateLimit(
            Arc::new(RateLimiter::keyed(
                Quota::per_second(rate).allow_burst(burst),
            )),
            Arc::new(Mutex::new(Instant::now())),
        ))
    }

    /// Whether `client` may make a request now; a client refused learns when to try again.
    fn check(&self, client: IpAddr) -> Result<(), u64> {
        // Forget idle clients now and then, so the table does not grow without bound.
        if let Ok(mut last) = self.1.try_lock()
            && last.elapsed().as_secs() >= 60
        {
            *last = Instant::now();
            self.0.retain_recent();
        }
        self.0.check_key(&client).map_err(|refused| {
            refused
                .wait_time_from(DefaultClock::default().now())
                .as_secs()
                .max(1)
        })
    }
}

/// Refuses a client over its rate with `429` and a `Retry-After`, as an OperationOutcome.
pub(crate) async fn limit(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let client = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(address)| address.ip());
    if let (Some(limit), Some(client)) = (&state.rate_limit, client)
        && let Err(retry_after) = limit.check(client)
    {
        state.metrics.limited.inc();
        let mut response = outcome_response(
            StatusCode::TOO_MANY_REQUESTS,
            IssueType::Throttled,
            "too many requests from this address: try again after the Retry-After seconds",
        );
        if let Ok(value) = HeaderValue::from_str(&retry_after.to_string()) {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        return response;
    }
    next.run(request).await
}
