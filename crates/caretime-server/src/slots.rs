//! `Schedule` and `Slot`: a clinician's time as FHIR, from the book's availability index.
//!
//! **Schedule**: one per clinician, `Schedule/<clinician id>`. Its actors are the Practitioner
//! and the Location of their facility; `serviceType` and `specialty` are the clinician's
//! discipline (code system [`DISCIPLINE_SYSTEM`]); `planningHorizon` is the book's horizon (local
//! dates, first and last). `meta.lastUpdated` is when the clinician's time last changed (see
//! [`caretime_store::query::ClinicianChanges`]: the journal row that last changed one of their
//! appointments, else the import of the book).
//!
//! **Slot**: the clinician's time over the horizon, cut into
//! - `free` Slots: the free intervals of the availability index
//!   ([`caretime_engine::availability::Availability::free`]) cut from their start into pieces of
//!   one appointment's length (30 minutes for a psychiatrist, the intake length, 60 minutes by
//!   default, for the others; a remainder shorter than that is not a Slot, since nothing can
//!   book it), and only those that start after now. Urgent-hold time is `free` too, with the
//!   extension [`TIME_KIND_URL`] `valueCode` `urgent-hold` (routine requests may book it only
//!   from its release, 24 hours before it by default); direct time says `direct`;
//! - `busy` Slots: the appointments that hold time (booked, arrived, fulfilled, no-show),
//!   `busy-tentative` for a pending hold or a waitlist proposal (time-kind `appointment`; never
//!   the member, so a Slot holds no member data);
//! - `busy-unavailable` Slots: the template's protected, meeting, break and group blocks on the
//!   days the template applies (time-kind `protected`, `meeting`, `break`, `group`), never
//!   Appointments.
//!
//! **Slot ids** are `<clinician id>.<start, Unix seconds>` (`3.1796889600`): a clinician's
//! Slots never overlap, so the start names one. `GET /Slot/{id}` recomputes the clinician's
//! Slot starting at that instant on the book as it is now: a `free` Slot that was booked
//! reads back `busy` under the same id when the booking took exactly its time. A Slot whose
//! start no longer begins one (the book cut the time differently) is 404.
//!
//! Searches: `GET /Schedule?actor=Practitioner/N&_id=&_count=&_offset=` and
//! `GET /Slot?schedule=Schedule/N&status=free,busy&start=ge..&start=lt..&_count=&_offset=`.
//! A Slot search without `schedule` must bound `start` on both sides (`ge`/`gt` and
//! `lt`/`le`) within [`MAX_UNSCHEDULED_DAYS`] days, so one request never computes every
//! clinician's whole horizon; otherwise it is 400 with an OperationOutcome.

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use axum::routing::get;
use caretime_core::id::ClinicianId;
use caretime_core::region::{Clinician, Discipline, Region};
use caretime_core::request::RequestKind;
use caretime_core::slug::Slug;
use caretime_core::template::BlockKind;
use caretime_engine::availability::FreeKind;
use caretime_engine::book::{AppointmentStatus, Book};
use caretime_fhir::bundle::BundleEntry;
use caretime_fhir::datatypes::{CodeableConcept, Coding, Extension, Meta, Period, Reference};
use caretime_fhir::scheduling::{Schedule, Slot, SlotStatus};
use jiff::{SignedDuration, Timestamp, ToSpan};

use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::rest::{DateBound, STAFF, date_bound, fhir, region_id};
use crate::search::{Paging, reference_id, searchset};

/// The code system of a clinician's discipline (`psychologist`, `therapist`, ...).
pub(crate) const DISCIPLINE_SYSTEM: &str = "https://caretime.dev/fhir/CodeSystem/discipline";
/// Slot extension (`valueCode`): what the time is: `direct`, `urgent-hold`, `appointment`,
/// `protected`, `meeting`, `break` or `group`.
pub(crate) const TIME_KIND_URL: &str = "https://caretime.dev/fhir/StructureDefinition/time-kind";
/// The widest `start` window of a Slot search without `schedule`, in days.
pub(crate) const MAX_UNSCHEDULED_DAYS: i64 = 31;

/// The Schedule and Slot routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/Schedule/{id}", get(read_schedule))
        .route("/Schedule", get(search_schedules))
        .route("/Slot/{id}", get(read_slot))
        .route("/Slot", get(search_slots))
}

/// What a stretch of a clinician's time is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TimeKind {
    /// Free or booked template time of this kind.
    Free(FreeKind),
    /// An appointment's time.
    Appointment,
    /// A template block nothing books.
    Block(BlockKind),
}

impl TimeKind {
    fn code(self) -> &'static str {
        match self {
            TimeKind::Free(kind) => kind.slug(),
            TimeKind::Appointment => "appointment",
            TimeKind::Block(kind) => kind.slug(),
        }
    }
}

/// One Slot of a clinician's time, before it becomes FHIR.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SlotTime {
    pub(crate) clinician: ClinicianId,
    pub(crate) start: Timestamp,
    pub(crate) end: Timestamp,
    pub(crate) status: SlotStatus,
    pub(crate) kind: TimeKind,
}

impl SlotTime {
    pub(crate) fn id(&self) -> String {
        slot_id(self.clinician, self.start)
    }
}

fn slot_id(clinician: ClinicianId, start: Timestamp) -> String {
    format!("{}.{}", clinician.0, start.as_second())
}

/// The clinician and start a Slot id spells.
fn parse_slot_id(id: &str) -> Option<(ClinicianId, Timestamp)> {
    let (clinician, start) = id.split_once('.')?;
    Some((
        ClinicianId(clinician.parse().ok()?),
        Timestamp::from_second(start.parse().ok()?).ok()?,
    ))
}

/// The time an appointment of the clinician holds: start, minutes, status.
pub(crate) type Held = (Timestamp, u32, AppointmentStatus);

/// Each clinician's appointments that hold time, by clinician index (one pass over the book).
pub(crate) fn held_by_clinician(book: &Book, n_clinicians: usize) -> Vec<Vec<Held>> {
    (0..n_clinicians)
        .map(|index| held_of(book, ClinicianId(index as u32)))
        .collect()
}

/// The clinician's appointments that hold time.
pub(crate) fn held_of(book: &Book, clinician: ClinicianId) -> Vec<Held> {
    book.appointments_of(clinician)
        .filter(|(_, brief)| brief.status.holds_time())
        .map(|(_, brief)| (brief.start, brief.length, brief.status))
        .collect()
}

/// The appointment length a free Slot of `clinician` offers: the psychiatry length for a
/// psychiatrist, the intake length for the others.
fn slot_length(book: &Book, clinician: &Clinician) -> u32 {
    let kind = if clinician.discipline == Discipline::Psychiatrist {
        RequestKind::Psychiatry
    } else {
        RequestKind::Initial
    };
    book.policy().find.lengths.minutes(kind)
}

fn minutes(length: u32) -> SignedDuration {
    SignedDuration::from_mins(i64::from(length))
}

/// The clinician's Slots that start in `[from, until]`, in time order; free Slots only from
/// `now` on. `held` is the clinician's appointments that hold time.
pub(crate) fn clinician_slots(
    book: &Book,
    region: &Region,
    clinician: ClinicianId,
    held: &[Held],
    (from, until): (Timestamp, Timestamp),
    now: Timestamp,
) -> Result<Vec<SlotTime>, ApiError> {
    let Some(who) = region.clinicians.get(clinician.index()) else {
        return Ok(Vec::new());
    };
    let inside = |start: Timestamp| from <= start && start <= until;
    let mut slots = Vec::new();
    let length = slot_length(book, who);
    let internal = |error: caretime_engine::availability::AvailabilityError| {
        ApiError::Internal(format!("the availability index failed: {error}"))
    };
    // A clinician the index does not know (none so far) has no free time.
    let free = book.availability().free(clinician).unwrap_or_default();
    for interval in free {
        let mut start = interval.start.to_timestamp().map_err(internal)?;
        let end = interval.end.to_timestamp().map_err(internal)?;
        while start + minutes(length) <= end {
            if start >= now && inside(start) {
                slots.push(SlotTime {
                    clinician,
                    start,
                    end: start + minutes(length),
                    status: SlotStatus::Free,
                    kind: TimeKind::Free(interval.kind),
                });
            }
            start += minutes(length);
        }
    }
    for &(start, length, status) in held {
        if inside(start) {
            slots.push(SlotTime {
                clinician,
                start,
                end: start + minutes(length),
                status: match status {
                    AppointmentStatus::Pending | AppointmentStatus::Proposed => {
                        SlotStatus::BusyTentative
                    }
                    _ => SlotStatus::Busy,
                },
                kind: TimeKind::Appointment,
            });
        }
    }
    if let Some(schedule) = book.schedule(clinician) {
        let zone = &schedule.time_zone;
        let horizon = book.availability().horizon();
        let out_of_range = || ApiError::Invalid("start is out of range".into());
        // The local dates whose blocks may start in the window (a day either side for the
        // zone's offset), within the horizon.
        let first = from.to_zoned(zone.clone()).date();
        let first = first.yesterday().unwrap_or(first).max(horizon.first);
        let last = until.to_zoned(zone.clone()).date();
        let last = last.tomorrow().unwrap_or(last).min(horizon.last);
        let mut date = first;
        while date <= last {
            for block in schedule.blocks_on(date) {
                if matches!(block.kind, BlockKind::Direct | BlockKind::UrgentHold) {
                    continue;
                }
                let instant = |time| {
                    date.to_datetime(time)
                        .to_zoned(zone.clone())
                        .map(|zoned| zoned.timestamp())
                        .map_err(|_| out_of_range())
                };
                let start = instant(block.range.start())?;
                if inside(start) {
                    slots.push(SlotTime {
                        clinician,
                        start,
                        end: instant(block.range.end())?,
                        status: SlotStatus::BusyUnavailable,
                        kind: TimeKind::Block(block.kind),
                    });
                }
            }
            date = date.checked_add(1.day()).map_err(|_| out_of_range())?;
        }
    }
    slots.sort_by_key(|slot| slot.start);
    Ok(slots)
}

/// The discipline as a CodeableConcept.
pub(crate) fn discipline(discipline: Discipline) -> CodeableConcept {
    CodeableConcept {
        coding: vec![Coding::new(DISCIPLINE_SYSTEM, discipline.slug())],
        text: Some(discipline.slug().to_owned()),
        ..CodeableConcept::default()
    }
}

pub(crate) fn last_updated(at: Timestamp) -> Option<Meta> {
    Some(Meta {
        last_updated: Some(at.to_string()),
        ..Meta::default()
    })
}

/// A Slot as FHIR.
pub(crate) fn slot(time: &SlotTime, discipline_of: Discipline, updated: Timestamp) -> Slot {
    Slot {
        id: Some(time.id()),
        meta: last_updated(updated),
        service_type: vec![discipline(discipline_of)],
        extension: vec![Extension::with_value(
            TIME_KIND_URL,
            "valueCode",
            time.kind.code(),
        )],
        ..Slot::new(
            Reference::new(format!("Schedule/{}", time.clinician.0)),
            time.status,
            time.start.to_string(),
            time.end.to_string(),
        )
    }
}

/// Whose actors a Schedule lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Actors {
    /// The Practitioner and the Location (the REST API).
    PractitionerAndLocation,
    /// The Location only (SMART Scheduling Links: "array with one JSON object", the location).
    Location,
}

/// The clinician's Schedule as FHIR.
pub(crate) fn schedule(
    book: &Book,
    clinician: &Clinician,
    updated: Timestamp,
    actors: Actors,
) -> Schedule {
    let horizon = book.availability().horizon();
    let location = Reference::new(format!("Location/{}", clinician.facility.0));
    let actor = match actors {
        Actors::PractitionerAndLocation => vec![
            Reference::new(format!("Practitioner/{}", clinician.id.0)),
            location,
        ],
        Actors::Location => vec![location],
    };
    Schedule {
        id: Some(clinician.id.0.to_string()),
        meta: last_updated(updated),
        active: Some(true),
        service_type: vec![discipline(clinician.discipline)],
        specialty: vec![discipline(clinician.discipline)],
        actor,
        planning_horizon: Some(Period::new(
            horizon.first.to_string(),
            horizon.last.to_string(),
        )),
        ..Schedule::default()
    }
}

async fn read_schedule(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    caller.require(&state, &STAFF, "schedule").await?;
    let id = region_id("Schedule", &id)?;
    let changes = state.store.clinician_changes().await?;
    let found = state
        .book
        .read(state.clock.now(), |ctx| {
            ctx.region.clinicians.get(id as usize).map(|clinician| {
                schedule(
                    ctx.book,
                    clinician,
                    changes.of(id),
                    Actors::PractitionerAndLocation,
                )
            })
        })
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("there is no Schedule {id}")))?;
    Ok(fhir(&found))
}

/// `GET /Schedule?actor=Practitioner/N&_id=N&_count=&_offset=`.
async fn search_schedules(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    caller.require(&state, &STAFF, "schedule").await?;
    let mut paging = Paging::default();
    let mut actor = None;
    let mut only = None;
    for (key, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        if paging.take(&key, &value)? {
            continue;
        }
        match key.as_ref() {
            "actor" => actor = Some(reference_id(&value, "Practitioner", "actor")?),
            "_id" => only = Some(reference_id(&value, "Schedule", "_id")?),
            other => return Err(crate::search::unknown(other)),
        }
    }
    let changes = state.store.clinician_changes().await?;
    let schedules = state
        .book
        .read(state.clock.now(), |ctx| {
            ctx.region
                .clinicians
                .iter()
                .filter(|clinician| actor.is_none_or(|id| clinician.id.0 == id))
                .filter(|clinician| only.is_none_or(|id| clinician.id.0 == id))
                .map(|clinician| {
                    schedule(
                        ctx.book,
                        clinician,
                        changes.of(clinician.id.0),
                        Actors::PractitionerAndLocation,
                    )
                })
                .collect::<Vec<_>>()
        })
        .await?;
    let mut params = Vec::new();
    if let Some(actor) = actor {
        params.push(("actor", format!("Practitioner/{actor}")));
    }
    if let Some(only) = only {
        params.push(("_id", only.to_string()));
    }
    let entries: Vec<BundleEntry> = schedules
        .into_iter()
        .map(|found| {
            let url = format!("Schedule/{}", found.id.clone().unwrap_or_default());
            BundleEntry::matched(url, found)
        })
        .collect();
    Ok(fhir(&searchset("Schedule", &params, paging, entries)))
}

async fn read_slot(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    caller.require(&state, &STAFF, "slot").await?;
    let (clinician, start) = parse_slot_id(&id)
        .ok_or_else(|| ApiError::NotFound("there is no Slot with that id".into()))?;
    let changes = state.store.clinician_changes().await?;
    let now = state.clock.now();
    let found = state
        .book
        .read(now, |ctx| {
            let Some(who) = ctx.region.clinicians.get(clinician.index()) else {
                return Ok(None);
            };
            let held = held_of(ctx.book, clinician);
            let slots =
                clinician_slots(ctx.book, ctx.region, clinician, &held, (start, start), now)?;
            Ok::<_, ApiError>(
                slots
                    .iter()
                    .find(|slot| slot.start == start)
                    .map(|time| slot(time, who.discipline, changes.of(clinician.0))),
            )
        })
        .await??
        .ok_or_else(|| {
            ApiError::NotFound(format!("there is no Slot {}", slot_id(clinician, start)))
        })?;
    Ok(fhir(&found))
}

/// The start window a Slot search computes: from the latest lower bound to the earliest upper
/// bound (every bound is then checked exactly).
fn window(bounds: &[DateBound], default: (Timestamp, Timestamp)) -> (Timestamp, Timestamp) {
    let mut from = default.0;
    let mut until = default.1;
    for bound in bounds {
        match bound.prefix {
            "ge" | "gt" => from = from.max(bound.at),
            "le" | "lt" => until = until.min(bound.at),
            _ => {
                from = from.max(bound.at);
                until = until.min(bound.at);
            }
        }
    }
    (from, until)
}

/// `GET /Slot?schedule=&status=&start=&_count=&_offset=`.
async fn search_slots(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    caller.require(&state, &STAFF, "slot").await?;
    let mut paging = Paging::default();
    let mut schedule_id = None;
    let mut statuses: Vec<SlotStatus> = Vec::new();
    let mut bounds = Vec::new();
    for (key, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        if paging.take(&key, &value)? {
            continue;
        }
        match key.as_ref() {
            "schedule" => schedule_id = Some(reference_id(&value, "Schedule", "schedule")?),
            "status" => {
                for code in value.split(',') {
                    statuses.push(
                        SlotStatus::ALL
                            .iter()
                            .copied()
                            .find(|status| status.code() == code)
                            .ok_or_else(|| {
                                ApiError::Invalid(
                                    "status is free, busy, busy-unavailable or busy-tentative"
                                        .into(),
                                )
                            })?,
                    );
                }
            }
            "start" => bounds.push(date_bound(&value).map_err(|_| {
                ApiError::Invalid(
                    "start is a date or an instant with an optional prefix: ge, gt, le, lt, eq"
                        .into(),
                )
            })?),
            other => return Err(crate::search::unknown(other)),
        }
    }
    if schedule_id.is_none() {
        let lower = bounds
            .iter()
            .filter(|bound| matches!(bound.prefix, "ge" | "gt" | "eq"))
            .map(|bound| bound.at)
            .max();
        let upper = bounds
            .iter()
            .filter(|bound| matches!(bound.prefix, "le" | "lt" | "eq"))
            .map(|bound| bound.at)
            .min();
        let bounded = match (lower, upper) {
            (Some(lower), Some(upper)) => {
                upper.duration_since(lower) <= SignedDuration::from_hours(24 * MAX_UNSCHEDULED_DAYS)
            }
            _ => false,
        };
        if !bounded {
            return Err(ApiError::Invalid(format!(
                "a Slot search without schedule needs start=ge.. and start=lt.. at most \
                 {MAX_UNSCHEDULED_DAYS} days apart"
            )));
        }
    }
    let changes = state.store.clinician_changes().await?;
    let now = state.clock.now();
    let (matching, by_clinician) = state
        .book
        .read(now, |ctx| {
            search(ctx.book, ctx.region, schedule_id, &bounds, &statuses, now)
        })
        .await??;
    let mut params = Vec::new();
    if let Some(id) = schedule_id {
        params.push(("schedule", format!("Schedule/{id}")));
    }
    if !statuses.is_empty() {
        let codes: Vec<&str> = statuses.iter().map(|status| status.code()).collect();
        params.push(("status", codes.join(",")));
    }
    for bound in &bounds {
        params.push(("start", format!("{}{}", bound.prefix, bound.at)));
    }
    let entries: Vec<BundleEntry> = matching
        .iter()
        .map(|time| {
            let discipline_of = by_clinician
                .get(&time.clinician)
                .copied()
                .unwrap_or(Discipline::Therapist);
            BundleEntry::matched(
                format!("Slot/{}", time.id()),
                slot(time, discipline_of, changes.of(time.clinician.0)),
            )
        })
        .collect();
    Ok(fhir(&searchset("Slot", &params, paging, entries)))
}

type Found = (Vec<SlotTime>, HashMap<ClinicianId, Discipline>);

fn search(
    book: &Book,
    region: &Region,
    schedule_id: Option<u32>,
    bounds: &[DateBound],
    statuses: &[SlotStatus],
    now: Timestamp,
) -> Result<Found, ApiError> {
    let horizon = book.availability().horizon();
    let edge = |date: jiff::civil::Date| {
        date.to_zoned(jiff::tz::TimeZone::UTC)
            .map(|zoned| zoned.timestamp())
            .map_err(|_| ApiError::Internal("the horizon is out of range".into()))
    };
    // A day either side: the horizon's dates are local, these instants UTC.
    let default = (
        edge(horizon.first.yesterday().unwrap_or(horizon.first))?,
        edge(horizon.last.checked_add(2.days()).unwrap_or(horizon.last))?,
    );
    let (from, until) = window(bounds, default);
    let held = held_by_clinician(book, region.clinicians.len());
    let mut matching = Vec::new();
    let mut disciplines = HashMap::new();
    for clinician in &region.clinicians {
        if schedule_id.is_some_and(|id| id != clinician.id.0) {
            continue;
        }
        disciplines.insert(clinician.id, clinician.discipline);
        let slots = clinician_slots(
            book,
            region,
            clinician.id,
            &held[clinician.id.index()],
            (from, until),
            now,
        )?;
        matching.extend(slots.into_iter().filter(|slot| {
            (statuses.is_empty() || statuses.contains(&slot.status))
                && bounds.iter().all(|bound| bound.admits(slot.start))
        }));
    }
    Ok((matching, disciplines))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slot_id_spells_its_clinician_and_start() {
        let start: Timestamp = "2026-12-08T17:00:00Z".parse().expect("an instant");
        let id = slot_id(ClinicianId(3), start);
        assert_eq!(id, format!("3.{}", start.as_second()));
        assert_eq!(parse_slot_id(&id), Some((ClinicianId(3), start)));
        for bad in ["3", "3.", ".1796889600", "x.1796889600", "3.soon", "3.1.2"] {
            assert_eq!(parse_slot_id(bad), None, "{bad}");
        }
    }
}
