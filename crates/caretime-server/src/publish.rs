//! SMART Scheduling Links: `GET /$bulk-publish`, a manifest of NDJSON files of the region's
//! Locations, Schedules and Slots (`/bulk/Location.ndjson`, `/bulk/Schedule.ndjson`,
//! `/bulk/Slot.ndjson`), so that a slot-discovery client finds free time without an account.
//!
//! Source: <https://github.com/smart-on-fhir/smart-scheduling-links>, `specification.md`.
//! - Public, no token: the spec's "Access Control Considerations" say publishers SHOULD host
//!   `$bulk-publish` content at open endpoints without access keys or client credentials. What
//!   is published holds no member data: facilities, clinicians' schedules, and times.
//! - The manifest is `application/json` (`transactionTime`, `request`, `output[{type, url,
//!   extension}]`, `error: []`); its URLs are absolute, built from the request's `Host` (and
//!   `X-Forwarded-Proto` behind a proxy). Each output's `extension` is `{"state": [...]}`, the
//!   states of the facilities' addresses. The files are `application/fhir+ndjson`.
//! - `Cache-Control: max-age=60` on all of them: the spec asks clients to poll at most once a
//!   minute, and a booking changes the Slots.
//! - `_since` (an instant) on the manifest is passed on to the files' URLs: a file then holds
//!   only what changed after it. A clinician's Schedule and Slots change together, when one of
//!   their appointments last changed ([`caretime_store::query::ClinicianChanges`], also their
//!   `meta.lastUpdated`); Locations change only with an import of the region. A `_since` in the
//!   future gives empty files.
//! - Slots are `free` or `busy` only, as the spec allows: free direct time (from now) is
//!   `free`; appointments and holds are `busy`, and so is free urgent-hold time (kept for urgent
//!   requests, which the plan triages, not a public link). Protected, meeting, break and group
//!   time is not published at all. Schedules list the Location as their one actor, as the
//!   spec's Schedule does.
//! - The Slot file covers the book's horizon and is written as a stream, a batch of clinicians
//!   at a time (each batch read from the book as it is then), never as one string.

use std::convert::Infallible;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use caretime_core::id::ClinicianId;
use caretime_engine::availability::FreeKind;
use caretime_fhir::bulk::{BulkOutput, BulkPublishManifest};
use caretime_fhir::scheduling::SlotStatus;
use caretime_store::query::ClinicianChanges;
use jiff::Timestamp;

use crate::AppState;
use crate::error::ApiError;
use crate::slots::{Actors, TimeKind, clinician_slots, last_updated, schedule, slot};

/// The media type of the manifest (the spec: `application/json`).
const MANIFEST_JSON: &str = "application/json";
/// The media type of the files.
const NDJSON: &str = "application/fhir+ndjson";
/// How long a client should wait before polling again, in seconds.
const MAX_AGE_SECONDS: u32 = 60;
/// Clinicians per batch of the Slot file: each batch reads the book once.
const BATCH: usize = 256;

/// The publication routes (no token).
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/$bulk-publish", get(manifest))
        .route("/bulk/Location.ndjson", get(locations))
        .route("/bulk/Schedule.ndjson", get(schedules))
        .route("/bulk/Slot.ndjson", get(slots))
}

/// `_since` from the query, the only parameter.
fn since(query: Option<&str>) -> Result<Option<Timestamp>, ApiError> {
    let mut since = None;
    for (key, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        match key.as_ref() {
            "_since" => {
                since = Some(value.parse::<Timestamp>().map_err(|_| {
                    ApiError::Invalid("_since is an instant, such as 2026-12-08T00:00:00Z".into())
                })?);
            }
            other => return Err(crate::search::unknown(other)),
        }
    }
    Ok(since)
}

/// Whether something last changed at `at` is in a file asked for `_since`.
fn changed(at: Timestamp, since: Option<Timestamp>) -> bool {
    since.is_none_or(|since| at > since)
}

/// The server's base URL as the client reached it.
fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .filter(|host| {
            host.bytes()
                .all(|c| c.is_ascii_alphanumeric() || b".-:[]".contains(&c))
        })
        .unwrap_or("localhost");
    let scheme = match headers
        .get("x-forwarded-proto")
        .and_then(|value| value.to_str().ok())
    {
        Some("https") => "https",
        _ => "http",
    };
    format!("{scheme}://{host}")
}

/// The two-letter state at the end of an address (`..., Los Angeles, CA` or `..., CA 90027`).
fn state_of(address: &str) -> Option<String> {
    let last = address.rsplit(',').next()?.split_whitespace().next()?;
    (last.len() == 2 && last.bytes().all(|c| c.is_ascii_uppercase())).then(|| last.to_owned())
}

fn headers(kind: &'static str) -> [(header::HeaderName, String); 2] {
    [
        (header::CONTENT_TYPE, kind.to_owned()),
        (
            header::CACHE_CONTROL,
            format!("public, max-age={MAX_AGE_SECONDS}"),
        ),
    ]
}

async fn manifest(
    State(state): State<AppState>,
    headers_in: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let since = since(query.as_deref())?;
    let now = state.clock.now();
    let base = base_url(&headers_in);
    let mut states: Vec<String> = state
        .book
        .read(now, |ctx| {
            ctx.region
                .facilities
                .iter()
                .filter_map(|facility| state_of(&facility.address))
                .collect()
        })
        .await?;
    states.sort();
    states.dedup();
    let suffix = since.map_or_else(String::new, |since| format!("?_since={since}"));
    let mut extension = serde_json::Map::new();
    if !states.is_empty() {
        extension.insert("state".to_owned(), serde_json::json!(states));
    }
    let output = ["Location", "Schedule", "Slot"]
        .into_iter()
        .map(|kind| BulkOutput {
            resource_type: kind.to_owned(),
            url: format!("{base}/bulk/{kind}.ndjson{suffix}"),
            extension: extension.clone(),
        })
        .collect();
    let manifest = BulkPublishManifest {
        transaction_time: now.to_string(),
        request: format!("{base}/$bulk-publish{suffix}"),
        output,
        error: Vec::new(),
    };
    Ok((headers(MANIFEST_JSON), caretime_fhir::to_json(&manifest)).into_response())
}

async fn locations(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let since = since(query.as_deref())?;
    let changes = state.store.clinician_changes().await?;
    let body = state
        .book
        .read(state.clock.now(), |ctx| {
            if !changed(changes.imported, since) {
                return String::new();
            }
            let located: Vec<_> = ctx
                .region
                .facilities
                .iter()
                .map(|facility| caretime_fhir::administration::Location {
                    meta: last_updated(changes.imported),
                    ..crate::rest::location(facility)
                })
                .collect();
            caretime_fhir::bulk::write_ndjson(&located)
        })
        .await?;
    Ok((headers(NDJSON), body).into_response())
}

async fn schedules(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let since = since(query.as_deref())?;
    let changes = state.store.clinician_changes().await?;
    let body = state
        .book
        .read(state.clock.now(), |ctx| {
            let published: Vec<_> = ctx
                .region
                .clinicians
                .iter()
                .filter(|clinician| changed(changes.of(clinician.id.0), since))
                .map(|clinician| {
                    schedule(
                        ctx.book,
                        clinician,
                        changes.of(clinician.id.0),
                        Actors::Location,
                    )
                })
                .collect();
            caretime_fhir::bulk::write_ndjson(&published)
        })
        .await?;
    Ok((headers(NDJSON), body).into_response())
}

/// The Slot file: one batch of clinicians per chunk.
async fn slots(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let since = since(query.as_deref())?;
    let changes = state.store.clinician_changes().await?;
    let now = state.clock.now();
    let n_clinicians = state
        .book
        .read(now, |ctx| ctx.region.clinicians.len())
        .await?;
    let stream = futures_util::stream::unfold(0_usize, move |first| {
        let state = state.clone();
        let changes = changes.clone();
        async move {
            if first >= n_clinicians {
                return None;
            }
            let last = (first + BATCH).min(n_clinicians);
            let chunk = match slot_batch(&state, &changes, first..last, since, now).await {
                Ok(text) => text,
                Err(error) => {
                    // The status line has gone out: the file ends here, and the log says why
                    // (ids and table names only, never member data).
                    tracing::error!(error = %error, "the Slot file stopped early");
                    return None;
                }
            };
            Some((Ok::<_, Infallible>(Bytes::from(chunk)), last))
        }
    });
    Ok((headers(NDJSON), Body::from_stream(stream)).into_response())
}

/// The published Slots of clinicians `range` as NDJSON.
async fn slot_batch(
    state: &AppState,
    changes: &ClinicianChanges,
    range: std::ops::Range<usize>,
    since: Option<Timestamp>,
    now: Timestamp,
) -> Result<String, ApiError> {
    state
        .book
        .read(now, |ctx| {
            let held: Vec<_> = range
                .clone()
                .map(|index| crate::slots::held_of(ctx.book, ClinicianId(index as u32)))
                .collect();
            let mut out = Vec::new();
            for (offset, clinician) in ctx.region.clinicians[range.clone()].iter().enumerate() {
                let updated = changes.of(clinician.id.0);
                if !changed(updated, since) {
                    continue;
                }
                let times = clinician_slots(
                    ctx.book,
                    ctx.region,
                    ClinicianId(clinician.id.0),
                    &held[offset],
                    (Timestamp::MIN, Timestamp::MAX),
                    now,
                )?;
                for mut time in times {
                    time.status = match (time.status, time.kind) {
                        (SlotStatus::Free, TimeKind::Free(FreeKind::Direct)) => SlotStatus::Free,
                        (SlotStatus::BusyUnavailable, _) => continue,
                        _ => SlotStatus::Busy,
                    };
                    out.push(slot(&time, clinician.discipline, updated));
                }
            }
            Ok(caretime_fhir::bulk::write_ndjson(&out))
        })
        .await?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_state_is_the_last_part_of_an_address() {
        assert_eq!(
            state_of("4867 W Sunset Blvd, Los Angeles, CA").as_deref(),
            Some("CA")
        );
        assert_eq!(
            state_of("1 Main St, Fontana, CA 92335").as_deref(),
            Some("CA")
        );
        assert_eq!(state_of("Hollywood, Los Angeles"), None);
        assert_eq!(state_of(""), None);
    }

    #[test]
    fn since_takes_an_instant_and_nothing_else() {
        assert_eq!(since(None).expect("no parameter"), None);
        assert_eq!(
            since(Some("_since=2026-12-08T00:00:00Z")).expect("an instant"),
            Some("2026-12-08T00:00:00Z".parse().expect("an instant"))
        );
        for bad in ["_since=yesterday", "_since=2026-12-08", "state=CA"] {
            assert!(
                matches!(since(Some(bad)), Err(ApiError::Invalid(_))),
                "{bad}"
            );
        }
    }
}
