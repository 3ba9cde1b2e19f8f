//! Who and where: `Patient` (a member), `PractitionerRole` (a clinician at their facility) and
//! `HealthcareService` (a discipline at a facility).
//!
//! **Patient** `Patient/<member id>`: name, birth date, the plan's member number as an
//! identifier (system [`MEMBER_NUMBER_SYSTEM`]) and the member's language (`communication`,
//! BCP 47, preferred). Member data is PHI: it is read out of its `Phi` wrapper only here, to
//! build the resource; errors and logs name members by id only, and a search by identifier
//! never echoes the value. Schedulers and admins read any member; a clinician only their own
//! patients (members with an appointment with them in the book, whatever its status); anyone
//! else is 403 with an OperationOutcome, and the refusal is audited. Every member read is
//! audited (entity `member`, the member's id). A search needs `_id` or `identifier`: the API
//! does not list members.
//!
//! **PractitionerRole** `PractitionerRole/<clinician id>`: the Practitioner, the Location of
//! their facility, the discipline as `code` and `specialty`, and the HealthcareService of that
//! discipline there. (Languages are the Practitioner's `communication`, as R4 has them.)
//!
//! **HealthcareService** `HealthcareService/<facility id>.<discipline>` (`0.psychologist`): one
//! per facility and discipline that has a clinician there, with the languages its clinicians
//! speak, so a directory answers "a Spanish-speaking psychologist near me".

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use axum::routing::get;
use caretime_core::id::MemberId;
use caretime_core::region::{Clinician, Discipline, Member, Region};
use caretime_core::slug::Slug;
use caretime_fhir::administration::{
    HealthcareService, Patient, PatientCommunication, PractitionerRole,
};
use caretime_fhir::bundle::BundleEntry;
use caretime_fhir::datatypes::{CodeableConcept, Coding, HumanName, Identifier, Reference};

use crate::AppState;
use crate::auth::{Caller, Role};
use crate::error::ApiError;
use crate::rest::{STAFF, fhir, region_id};
use crate::search::{Paging, reference_id, searchset, unknown};
use crate::slots::discipline;

/// The identifier system of the plan's member numbers.
pub(crate) const MEMBER_NUMBER_SYSTEM: &str = "https://caretime.dev/fhir/sid/member-number";

/// The directory routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/Patient/{id}", get(read_patient))
        .route("/Patient", get(search_patients))
        .route("/PractitionerRole/{id}", get(read_role))
        .route("/PractitionerRole", get(search_roles))
        .route("/HealthcareService/{id}", get(read_service))
        .route("/HealthcareService", get(search_services))
}

/// Who may read members: schedulers (and admins) any, clinicians their own patients.
const MEMBER_READERS: [Role; 2] = [Role::Scheduler, Role::Clinician];

/// The member as FHIR: the one place member data leaves its `Phi` wrapper.
fn patient(member: &Member) -> Patient {
    Patient {
        id: Some(member.id.0.to_string()),
        active: Some(true),
        identifier: vec![Identifier::new(
            MEMBER_NUMBER_SYSTEM,
            member.plan_number.expose().clone(),
        )],
        name: vec![HumanName {
            text: Some(member.name.expose().clone()),
            ..HumanName::default()
        }],
        birth_date: Some(member.birth_date.expose().to_string()),
        communication: vec![PatientCommunication {
            language: CodeableConcept {
                coding: vec![Coding::new("urn:ietf:bcp:47", member.language.code())],
                ..CodeableConcept::default()
            },
            preferred: Some(true),
            ..PatientCommunication::default()
        }],
        ..Patient::default()
    }
}

/// Whether the caller may read `member`: a clinician only their own patients.
fn may_read(caller: &Caller, book: &caretime_engine::book::Book, member: MemberId) -> bool {
    if caller.role != Role::Clinician {
        return true;
    }
    caller.clinician.is_some_and(|own| {
        book.appointments_of(caretime_core::id::ClinicianId(own))
            .any(|(_, brief)| brief.member == member)
    })
}

/// What a member lookup found, read under the book's lock.
enum Lookup {
    Found(Box<Patient>),
    Forbidden,
    Missing,
}

async fn read_patient(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    caller.require(&state, &MEMBER_READERS, "member").await?;
    let id = region_id("Patient", &id)?;
    let now = state.clock.now();
    let who = caller.clone();
    let lookup = state
        .book
        .read(now, move |ctx| match ctx.region.members.get(id as usize) {
            None => Lookup::Missing,
            Some(member) if may_read(&who, ctx.book, member.id) => {
                Lookup::Found(Box::new(patient(member)))
            }
            Some(_) => Lookup::Forbidden,
        })
        .await?;
    match lookup {
        Lookup::Missing => Err(ApiError::NotFound(format!("there is no Patient {id}"))),
        Lookup::Forbidden => Err(caller
            .refuse(
                &state,
                "member",
                Some(id.to_string()),
                "a clinician reads only their own patients".into(),
            )
            .await),
        Lookup::Found(found) => {
            caller
                .audit_read(&state, now, "member", Some(id.to_string()), "ok")
                .await?;
            Ok(fhir(&*found))
        }
    }
}

/// `GET /Patient?_id=N&identifier=[system|]value&_count=&_offset=`.
async fn search_patients(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    caller.require(&state, &MEMBER_READERS, "member").await?;
    let mut paging = Paging::default();
    let mut only = None;
    let mut number: Option<String> = None;
    // The identifier as the page links repeat it to the client (never logged).
    let mut number_param: Option<String> = None;
    for (key, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        if paging.take(&key, &value)? {
            continue;
        }
        match key.as_ref() {
            "_id" => only = Some(reference_id(&value, "Patient", "_id")?),
            "identifier" => {
                let value = match value.split_once('|') {
                    Some((system, value))
                        if system.is_empty() || system == MEMBER_NUMBER_SYSTEM =>
                    {
                        value
                    }
                    Some(_) => {
                        return Err(ApiError::Invalid(format!(
                            "identifier is a member number, system {MEMBER_NUMBER_SYSTEM}"
                        )));
                    }
                    None => &value,
                };
                number = Some(value.to_owned());
                number_param = Some(format!("{MEMBER_NUMBER_SYSTEM}|{value}"));
            }
            other => return Err(unknown(other)),
        }
    }
    if only.is_none() && number.is_none() {
        return Err(ApiError::Invalid(
            "a Patient search needs _id or identifier".into(),
        ));
    }
    let now = state.clock.now();
    let who = caller.clone();
    // (member id, the Patient or None when the caller may not read it)
    let found: Vec<(u32, Option<Patient>)> = state
        .book
        .read(now, move |ctx| {
            let matches = |member: &&Member| {
                only.is_none_or(|id| member.id.0 == id)
                    && number
                        .as_deref()
                        .is_none_or(|number| member.plan_number.expose() == number)
            };
            let candidates: Box<dyn Iterator<Item = &Member>> = match only {
                Some(id) => Box::new(ctx.region.members.get(id as usize).into_iter()),
                None => Box::new(ctx.region.members.iter()),
            };
            candidates
                .filter(matches)
                .map(|member| {
                    let readable = may_read(&who, ctx.book, member.id);
                    (member.id.0, readable.then(|| patient(member)))
                })
                .collect()
        })
        .await?;
    if let Some((id, _)) = found.iter().find(|(_, patient)| patient.is_none()) {
        return Err(caller
            .refuse(
                &state,
                "member",
                Some(id.to_string()),
                "a clinician reads only their own patients".into(),
            )
            .await);
    }
    let mut entries = Vec::new();
    for (id, found) in found {
        if let Some(found) = found {
            caller
                .audit_read(&state, now, "member", Some(id.to_string()), "ok")
                .await?;
            entries.push(BundleEntry::matched(format!("Patient/{id}"), found));
        }
    }
    let mut params = Vec::new();
    if let Some(only) = only {
        params.push(("_id", only.to_string()));
    }
    if let Some(number) = number_param {
        params.push(("identifier", number));
    }
    Ok(fhir(&searchset("Patient", &params, paging, entries)))
}

/// A HealthcareService id: `<facility>.<discipline>`.
fn service_id(facility: u32, discipline: Discipline) -> String {
    format!("{facility}.{}", discipline.slug())
}

fn role(clinician: &Clinician) -> PractitionerRole {
    PractitionerRole {
        id: Some(clinician.id.0.to_string()),
        active: Some(true),
        practitioner: Some(Reference::new(format!("Practitioner/{}", clinician.id.0))),
        code: vec![discipline(clinician.discipline)],
        specialty: vec![discipline(clinician.discipline)],
        location: vec![Reference::new(format!("Location/{}", clinician.facility.0))],
        healthcare_service: vec![Reference::new(format!(
            "HealthcareService/{}",
            service_id(clinician.facility.0, clinician.discipline)
        ))],
        ..PractitionerRole::default()
    }
}

async fn read_role(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    caller.require(&state, &STAFF, "practitioner").await?;
    let id = region_id("PractitionerRole", &id)?;
    let found = state
        .book
        .read(state.clock.now(), |ctx| {
            ctx.region.clinicians.get(id as usize).map(role)
        })
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("there is no PractitionerRole {id}")))?;
    Ok(fhir(&found))
}

/// `GET /PractitionerRole?practitioner=Practitioner/N&location=Location/N&_count=&_offset=`.
async fn search_roles(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    caller.require(&state, &STAFF, "practitioner").await?;
    let mut paging = Paging::default();
    let mut practitioner = None;
    let mut location = None;
    for (key, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        if paging.take(&key, &value)? {
            continue;
        }
        match key.as_ref() {
            "practitioner" => {
                practitioner = Some(reference_id(&value, "Practitioner", "practitioner")?);
            }
            "location" => location = Some(reference_id(&value, "Location", "location")?),
            other => return Err(unknown(other)),
        }
    }
    let roles = state
        .book
        .read(state.clock.now(), |ctx| {
            ctx.region
                .clinicians
                .iter()
                .filter(|clinician| practitioner.is_none_or(|id| clinician.id.0 == id))
                .filter(|clinician| location.is_none_or(|id| clinician.facility.0 == id))
                .map(role)
                .collect::<Vec<_>>()
        })
        .await?;
    let mut params = Vec::new();
    if let Some(id) = practitioner {
        params.push(("practitioner", format!("Practitioner/{id}")));
    }
    if let Some(id) = location {
        params.push(("location", format!("Location/{id}")));
    }
    let entries: Vec<BundleEntry> = roles
        .into_iter()
        .map(|found| {
            let url = format!("PractitionerRole/{}", found.id.clone().unwrap_or_default());
            BundleEntry::matched(url, found)
        })
        .collect();
    Ok(fhir(&searchset(
        "PractitionerRole",
        &params,
        paging,
        entries,
    )))
}

/// Every HealthcareService of the region, by facility then discipline (in `Discipline::ALL`
/// order), each with the sorted languages of its clinicians.
fn services(region: &Region) -> Vec<HealthcareService> {
    let mut languages: BTreeMap<(u32, usize), Vec<String>> = BTreeMap::new();
    for clinician in &region.clinicians {
        let rank = Discipline::ALL
            .iter()
            .position(|d| *d == clinician.discipline)
            .unwrap_or(0);
        let spoken = languages.entry((clinician.facility.0, rank)).or_default();
        for language in &clinician.languages {
            if !spoken.iter().any(|code| code == language.code()) {
                spoken.push(language.code().to_owned());
            }
        }
    }
    languages
        .into_iter()
        .map(|((facility, rank), mut spoken)| {
            spoken.sort();
            let kind = Discipline::ALL[rank];
            let name = region
                .facilities
                .get(facility as usize)
                .map_or_else(String::new, |found| found.name.clone());
            HealthcareService {
                id: Some(service_id(facility, kind)),
                active: Some(true),
                type_: vec![discipline(kind)],
                specialty: vec![discipline(kind)],
                location: vec![Reference::new(format!("Location/{facility}"))],
                name: Some(format!("{}, {name}", kind.slug())),
                communication: spoken
                    .into_iter()
                    .map(|code| CodeableConcept {
                        coding: vec![Coding::new("urn:ietf:bcp:47", code)],
                        ..CodeableConcept::default()
                    })
                    .collect(),
                appointment_required: Some(true),
                ..HealthcareService::default()
            }
        })
        .collect()
}

async fn read_service(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    caller.require(&state, &STAFF, "service").await?;
    let wanted = id.clone();
    let found = state
        .book
        .read(state.clock.now(), move |ctx| {
            services(ctx.region)
                .into_iter()
                .find(|service| service.id.as_deref() == Some(wanted.as_str()))
        })
        .await?
        .ok_or_else(|| {
            ApiError::NotFound(
                "there is no HealthcareService with that id (<facility>.<discipline>)".into(),
            )
        })?;
    Ok(fhir(&found))
}

/// `GET /HealthcareService?location=Location/N&specialty=<discipline>&_count=&_offset=`.
async fn search_services(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    caller.require(&state, &STAFF, "service").await?;
    let mut paging = Paging::default();
    let mut location = None;
    let mut specialty = None;
    for (key, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        if paging.take(&key, &value)? {
            continue;
        }
        match key.as_ref() {
            "location" => location = Some(reference_id(&value, "Location", "location")?),
            "specialty" => {
                let code = value.rsplit('|').next().unwrap_or_default();
                specialty = Some(Discipline::from_slug(code).ok_or_else(|| {
                    ApiError::Invalid(format!("specialty is one of {}", Discipline::names()))
                })?);
            }
            other => return Err(unknown(other)),
        }
    }
    let found = state
        .book
        .read(state.clock.now(), |ctx| services(ctx.region))
        .await?;
    let location_ref = location.map(|id| format!("Location/{id}"));
    let entries: Vec<BundleEntry> = found
        .into_iter()
        .filter(|service| {
            location_ref.as_deref().is_none_or(|wanted| {
                service
                    .location
                    .iter()
                    .any(|at| at.reference.as_deref() == Some(wanted))
            })
        })
        .filter(|service| {
            specialty.is_none_or(|kind| {
                service
                    .specialty
                    .iter()
                    .any(|concept| concept.text.as_deref() == Some(kind.slug()))
            })
        })
        .map(|service| {
            let url = format!(
                "HealthcareService/{}",
                service.id.clone().unwrap_or_default()
            );
            BundleEntry::matched(url, service)
        })
        .collect();
    let mut params = Vec::new();
    if let Some(wanted) = location_ref {
        params.push(("location", wanted));
    }
    if let Some(kind) = specialty {
        params.push(("specialty", kind.slug().to_owned()));
    }
    Ok(fhir(&searchset(
        "HealthcareService",
        &params,
        paging,
        entries,
    )))
}
