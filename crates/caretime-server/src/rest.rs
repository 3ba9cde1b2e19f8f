//! The FHIR REST routes: what `GET /metadata` lists is exactly what [`routes`] serves.
//!
//! Here: reads of Practitioner (a clinician) and Location (a facility), the search of
//! Appointment, and the search of AuditEvent (the audit log, for auditors). Ids are the
//! region's numbers (`Practitioner/7`). Schedule and Slot are served by `crate::slots`;
//! Patient, PractitionerRole and HealthcareService by `crate::directory`; `SUPPORTED` lists
//! them all.
//! A practitioner's calendar (`/Practitioner/{id}/calendar.ics`) is iCalendar, not FHIR: it is
//! served by `crate::calendar` and `/metadata` does not list it.

use axum::Router;
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use caretime_core::id::{ClinicianId, FacilityId};
use caretime_core::region::{Clinician, Facility};
use caretime_core::slug::Slug;
use caretime_fhir::administration::{
    Location, LocationPosition, Practitioner, PractitionerQualification,
};
use caretime_fhir::audit::{AuditEvent, AuditEventAgent, AuditEventNetwork, AuditEventSource};
use caretime_fhir::bundle::{Bundle, BundleEntry};
use caretime_fhir::capability::{
    CapabilityInteraction, CapabilityOperation, CapabilityResource, CapabilityRest,
    CapabilitySearchParam, CapabilitySoftware, CapabilityStatement,
};
use caretime_fhir::datatypes::{Address, CodeableConcept, Coding, Decimal, HumanName, Reference};
use caretime_store::AuditRow;
use caretime_store::query::{AppointmentFilter, AppointmentRow};
use jiff::Timestamp;
use serde::Deserialize;

use crate::AppState;
use crate::auth::{Caller, Role};
use crate::error::{ApiError, FHIR_JSON};
use crate::search::{Paging, reference_id, searchset, unknown};

/// Audit events a page holds unless `_count` says otherwise, and at most.
const DEFAULT_COUNT: i64 = 100;
const MAX_COUNT: i64 = 1_000;

/// A resource type, its interactions and its search parameters (name, type).
pub(crate) type Supported = (
    &'static str,
    &'static [&'static str],
    &'static [(&'static str, &'static str)],
);

/// What this server serves of each resource type. (`$bulk-publish` and its NDJSON files are
/// SMART Scheduling Links, not FHIR REST interactions: `crate::publish`.)
pub(crate) const SUPPORTED: [Supported; 9] = [
    (
        "Appointment",
        &["search-type", "patch"],
        &[
            ("patient", "reference"),
            ("practitioner", "reference"),
            ("date", "date"),
            ("status", "token"),
            ("_count", "number"),
            ("_offset", "number"),
        ],
    ),
    ("Practitioner", &["read"], &[]),
    ("Location", &["read"], &[]),
    (
        "AuditEvent",
        &["search-type"],
        &[("_count", "number"), ("_after", "number")],
    ),
    (
        "Schedule",
        &["read", "search-type"],
        &[
            ("actor", "reference"),
            ("_id", "token"),
            ("_count", "number"),
            ("_offset", "number"),
        ],
    ),
    (
        "Slot",
        &["read", "search-type"],
        &[
            ("schedule", "reference"),
            ("status", "token"),
            ("start", "date"),
            ("_count", "number"),
            ("_offset", "number"),
        ],
    ),
    (
        "Patient",
        &["read", "search-type"],
        &[
            ("_id", "token"),
            ("identifier", "token"),
            ("_count", "number"),
            ("_offset", "number"),
        ],
    ),
    (
        "PractitionerRole",
        &["read", "search-type"],
        &[
            ("practitioner", "reference"),
            ("location", "reference"),
            ("_count", "number"),
            ("_offset", "number"),
        ],
    ),
    (
        "HealthcareService",
        &["read", "search-type"],
        &[
            ("location", "reference"),
            ("specialty", "token"),
            ("_count", "number"),
            ("_offset", "number"),
        ],
    ),
];

/// The operations on Appointment ([`crate::ops`]) and the IHE definitions they follow.
pub(crate) const OPERATIONS: [(&str, &str); 3] = [
    (
        "find",
        "https://profiles.ihe.net/ITI/Scheduling/OperationDefinition/appointment-find",
    ),
    (
        "hold",
        "https://profiles.ihe.net/ITI/Scheduling/OperationDefinition/appointment-hold",
    ),
    (
        "book",
        "https://profiles.ihe.net/ITI/Scheduling/OperationDefinition/appointment-book",
    ),
];

/// The FHIR routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/metadata", get(metadata))
        .route("/Practitioner/{id}", get(read_practitioner))
        .route("/Location/{id}", get(read_location))
        .route("/AuditEvent", get(search_audit_events))
        .route("/Appointment", get(search_appointments))
}

/// A FHIR JSON response.
pub(crate) fn fhir<T: serde::Serialize>(resource: &T) -> Response {
    (
        [(header::CONTENT_TYPE, FHIR_JSON)],
        caretime_fhir::to_json(resource),
    )
        .into_response()
}

async fn metadata() -> Response {
    let resources = SUPPORTED
        .iter()
        .map(|(kind, interactions, params)| CapabilityResource {
            type_: (*kind).to_owned(),
            interaction: interactions
                .iter()
                .map(|code| CapabilityInteraction {
                    code: (*code).to_owned(),
                    ..CapabilityInteraction::default()
                })
                .collect(),
            search_param: params
                .iter()
                .map(|(name, kind)| CapabilitySearchParam {
                    name: (*name).to_owned(),
                    type_: (*kind).to_owned(),
                    ..CapabilitySearchParam::default()
                })
                .collect(),
            operation: if *kind == "Appointment" {
                OPERATIONS
                    .iter()
                    .map(|(name, definition)| CapabilityOperation {
                        extension: Vec::new(),
                        modifier_extension: Vec::new(),
                        name: (*name).to_owned(),
                        definition: (*definition).to_owned(),
                        documentation: None,
                    })
                    .collect()
            } else {
                Vec::new()
            },
            ..CapabilityResource::default()
        })
        .collect();
    let statement = CapabilityStatement {
        rest: vec![CapabilityRest {
            mode: "server".to_owned(),
            documentation: Some(format!(
                "Every interaction but this one needs `Authorization: Bearer <token>`. A \
                     Slot search without `schedule` needs `start=ge..` and `start=lt..` at most \
                     {} days apart (else 400). SMART Scheduling Links: `GET /$bulk-publish` \
                     (public, no token) lists NDJSON files of Locations, Schedules and free or \
                     busy Slots; `_since` honoured.",
                crate::slots::MAX_UNSCHEDULED_DAYS
            )),
            resource: resources,
            ..CapabilityRest::default()
        }],
        ..CapabilityStatement::server(
            Timestamp::now().to_string(),
            CapabilitySoftware {
                name: "caretime".to_owned(),
                version: Some(env!("CARGO_PKG_VERSION").to_owned()),
                ..CapabilitySoftware::default()
            },
        )
    };
    fhir(&statement)
}

/// A region id in a path: a number (`7`); anything else names no resource.
pub(crate) fn region_id(kind: &str, text: &str) -> Result<u32, ApiError> {
    text.parse()
        .map_err(|_| ApiError::NotFound(format!("there is no {kind} with that id")))
}

pub(crate) const STAFF: [Role; 3] = [Role::Scheduler, Role::Clinician, Role::Manager];

async fn read_practitioner(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    caller.require(&state, &STAFF, "practitioner").await?;
    let id = region_id("Practitioner", &id)?;
    let practitioner = state
        .book
        .read(state.clock.now(), |ctx| {
            ctx.region.clinicians.get(id as usize).map(practitioner)
        })
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("there is no Practitioner {id}")))?;
    Ok(fhir(&practitioner))
}

async fn read_location(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    caller.require(&state, &STAFF, "location").await?;
    let id = region_id("Location", &id)?;
    let location = state
        .book
        .read(state.clock.now(), |ctx| {
            ctx.region.facilities.get(id as usize).map(location)
        })
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("there is no Location {id}")))?;
    Ok(fhir(&location))
}

fn practitioner(clinician: &Clinician) -> Practitioner {
    let ClinicianId(id) = clinician.id;
    Practitioner {
        id: Some(id.to_string()),
        active: Some(true),
        name: vec![HumanName {
            text: Some(clinician.name.clone()),
            ..HumanName::default()
        }],
        qualification: vec![PractitionerQualification {
            code: CodeableConcept {
                text: Some(clinician.discipline.slug().to_owned()),
                ..CodeableConcept::default()
            },
            ..PractitionerQualification::default()
        }],
        communication: clinician
            .languages
            .iter()
            .map(|language| CodeableConcept {
                coding: vec![Coding::new("urn:ietf:bcp:47", language.code())],
                ..CodeableConcept::default()
            })
            .collect(),
        ..Practitioner::default()
    }
}

pub(crate) fn location(facility: &Facility) -> Location {
    let FacilityId(id) = facility.id;
    let position = match (
        Decimal::from_f64(facility.location.lon()),
        Decimal::from_f64(facility.location.lat()),
    ) {
        (Some(longitude), Some(latitude)) => Some(LocationPosition {
            extension: Vec::new(),
            modifier_extension: Vec::new(),
            longitude,
            latitude,
            altitude: None,
        }),
        _ => None,
    };
    Location {
        id: Some(id.to_string()),
        status: Some("active".to_owned()),
        name: Some(facility.name.clone()),
        address: Some(Address {
            text: Some(facility.address.clone()),
            ..Address::default()
        }),
        position,
        ..Location::default()
    }
}

/// `GET /AuditEvent?_count=N&_after=ID`.
#[derive(Debug, Deserialize)]
struct AuditQuery {
    #[serde(rename = "_count")]
    count: Option<i64>,
    #[serde(rename = "_after")]
    after: Option<i64>,
}

async fn search_audit_events(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<AuditQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    caller.require(&state, &[Role::Auditor], "audit").await?;
    let Query(query) =
        query.map_err(|_| ApiError::Invalid("_count and _after are whole numbers".to_owned()))?;
    let count = query.count.unwrap_or(DEFAULT_COUNT);
    if !(1..=MAX_COUNT).contains(&count) {
        return Err(ApiError::Invalid(format!(
            "_count is between 1 and {MAX_COUNT}"
        )));
    }
    let after = query.after.unwrap_or(0).max(0);
    // Reading the audit log is itself audited, before the page is read (so it lists itself).
    caller
        .audit_read(&state, state.clock.now(), "audit", None, "ok")
        .await?;
    let total = state.store.audit_count().await?;
    let rows = state.store.audit_page(after, count + 1).await?;
    let more = rows.len() as i64 > count;
    let page: Vec<&AuditRow> = rows.iter().take(count as usize).collect();
    let entries = page
        .iter()
        .map(|row| BundleEntry::matched(format!("AuditEvent/{}", row.id), audit_event(row)))
        .collect();
    let mut bundle = Bundle::searchset(
        u32::try_from(total).unwrap_or(u32::MAX),
        format!("AuditEvent?_count={count}&_after={after}"),
        entries,
    );
    if more && let Some(last) = page.last() {
        bundle = bundle.with_link(
            "next",
            format!("AuditEvent?_count={count}&_after={}", last.id),
        );
    }
    Ok(fhir(&bundle))
}

/// An audit row as a FHIR AuditEvent (`rest` events; DICOM outcome codes).
fn audit_event(row: &AuditRow) -> AuditEvent {
    let action = match row.action.as_str() {
        "create" | "token" => "C",
        "read" | "check" | "snapshot" => "R",
        "update" | "revoke" => "U",
        "delete" => "D",
        _ => "E",
    };
    let outcome = match row.outcome.as_str() {
        "ok" => "0",
        "error" => "8",
        _ => "4",
    };
    let what = match (row.entity.as_str(), row.entity_id.as_deref()) {
        ("appointment", Some(id)) => Reference::new(format!("Appointment/{id}")),
        ("member", Some(id)) => Reference::new(format!("Patient/{id}")),
        (entity, Some(id)) => Reference {
            display: Some(format!("{entity} {id}")),
            ..Reference::default()
        },
        (entity, None) => Reference {
            display: Some(entity.to_owned()),
            ..Reference::default()
        },
    };
    AuditEvent {
        id: Some(row.id.to_string()),
        type_: Coding::new(
            "http://terminology.hl7.org/CodeSystem/audit-event-type",
            "rest",
        ),
        action: Some(action.to_owned()),
        recorded: row.at.to_string(),
        outcome: Some(outcome.to_owned()),
        outcome_desc: Some(row.outcome.clone()),
        agent: vec![AuditEventAgent {
            who: Some(Reference {
                display: Some(row.actor.clone()),
                ..Reference::default()
            }),
            requestor: true,
            network: Some(AuditEventNetwork {
                address: Some(row.source.clone()),
                ..AuditEventNetwork::default()
            }),
            ..AuditEventAgent::default()
        }],
        source: AuditEventSource {
            observer: Reference {
                display: Some("caretime".to_owned()),
                ..Reference::default()
            },
            ..AuditEventSource::default()
        },
        entity: vec![caretime_fhir::audit::AuditEventEntity {
            what: Some(what),
            ..Default::default()
        }],
        ..AuditEvent::default()
    }
}

/// One `date` comparison: the prefix and the instant (a date means its first instant, UTC).
#[derive(Clone, Copy, Debug)]
pub(crate) struct DateBound {
    pub(crate) prefix: &'static str,
    pub(crate) at: Timestamp,
}

pub(crate) fn date_bound(text: &str) -> Result<DateBound, ApiError> {
    let (prefix, value) = ["ge", "gt", "le", "lt", "eq"]
        .into_iter()
        .find_map(|prefix| text.strip_prefix(prefix).map(|rest| (prefix, rest)))
        .unwrap_or(("eq", text));
    let at = value
        .parse::<Timestamp>()
        .ok()
        .or_else(|| {
            value
                .parse::<jiff::civil::Date>()
                .ok()
                .and_then(|date| date.to_zoned(jiff::tz::TimeZone::UTC).ok())
                .map(|zoned| zoned.timestamp())
        })
        .ok_or_else(|| {
            ApiError::Invalid(
                "date is a date or an instant with an optional prefix: ge, gt, le, lt, eq".into(),
            )
        })?;
    Ok(DateBound { prefix, at })
}

impl DateBound {
    pub(crate) fn admits(self, start: Timestamp) -> bool {
        match self.prefix {
            "ge" => start >= self.at,
            "gt" => start > self.at,
            "le" => start <= self.at,
            "lt" => start < self.at,
            _ => start == self.at,
        }
    }
}

/// `GET /Appointment?patient=&practitioner=&date=&status=&_count=&_offset=` (IHE ITI-118).
/// A clinician sees only appointments with themself.
async fn search_appointments(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    caller.require(&state, &STAFF, "appointment").await?;
    let mut member = None;
    let mut practitioner = None;
    let mut statuses: Vec<String> = Vec::new();
    let mut bounds = Vec::new();
    let mut paging = Paging::default();
    for (key, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        if paging.take(&key, &value)? {
            continue;
        }
        match key.as_ref() {
            "patient" => member = Some(reference_id(&value, "Patient", "patient")?),
            "practitioner" => {
                practitioner = Some(reference_id(&value, "Practitioner", "practitioner")?);
            }
            "status" => statuses.extend(value.split(',').map(str::to_owned)),
            "date" => bounds.push(date_bound(&value)?),
            other => return Err(unknown(other)),
        }
    }
    if caller.role == Role::Clinician {
        let own = caller.clinician;
        if practitioner.is_some() && practitioner != own {
            return Err(caller
                .refuse(
                    &state,
                    "appointment",
                    practitioner.map(|id| format!("clinician-{id}")),
                    "a clinician sees only their own appointments".into(),
                )
                .await);
        }
        practitioner = own;
    }
    if member.is_none() && practitioner.is_none() {
        return Err(ApiError::Invalid(
            "patient or practitioner is required".into(),
        ));
    }
    let rows = state
        .store
        .appointments(
            AppointmentFilter {
                member,
                clinician: practitioner,
            },
            &caller.actor(),
            state.clock.now(),
        )
        .await?;
    let matching: Vec<&AppointmentRow> = rows
        .iter()
        .filter(|row| statuses.is_empty() || statuses.contains(&row.status))
        .filter(|row| bounds.iter().all(|bound| bound.admits(row.start)))
        .collect();
    let mut params = Vec::new();
    if let Some(member) = member {
        params.push(("patient", format!("Patient/{member}")));
    }
    if let Some(practitioner) = practitioner {
        params.push(("practitioner", format!("Practitioner/{practitioner}")));
    }
    if !statuses.is_empty() {
        params.push(("status", statuses.join(",")));
    }
    for bound in &bounds {
        params.push(("date", format!("{}{}", bound.prefix, bound.at)));
    }
    let entries = matching
        .iter()
        .map(|row| BundleEntry::matched(format!("Appointment/{}", row.id), appointment_of(row)));
    Ok(fhir(&searchset("Appointment", &params, paging, entries)))
}

/// A stored appointment row as FHIR (the member only by id).
fn appointment_of(row: &AppointmentRow) -> caretime_fhir::scheduling::Appointment {
    use caretime_fhir::scheduling::{
        Appointment, AppointmentParticipant, AppointmentStatus, ParticipationStatus,
    };
    let status = AppointmentStatus::ALL
        .iter()
        .copied()
        .find(|status| status.code() == row.status)
        .unwrap_or(AppointmentStatus::EnteredInError);
    let participant = |reference: String| {
        AppointmentParticipant::new(Reference::new(reference), ParticipationStatus::Accepted)
    };
    Appointment {
        id: Some(row.id.to_string()),
        start: Some(row.start.to_string()),
        end: Some(row.end.to_string()),
        minutes_duration: u32::try_from(row.end.duration_since(row.start).as_mins()).ok(),
        cancellation_reason: row.cancel_reason.as_ref().map(|reason| CodeableConcept {
            coding: vec![Coding::new(crate::ops::CANCELLATION_SYSTEM, reason.clone())],
            ..CodeableConcept::default()
        }),
        ..Appointment::new(
            status,
            vec![
                participant(format!("Patient/{}", row.member)),
                participant(format!("Practitioner/{}", row.clinician)),
                participant(format!("Location/{}", row.facility)),
            ],
        )
    }
}
