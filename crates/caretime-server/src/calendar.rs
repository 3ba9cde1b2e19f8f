//! `GET /Practitioner/{id}/calendar.ics`: a clinician's weeks as an iCalendar (RFC 5545) feed.
//!
//! One busy VEVENT (`TRANSP:OPAQUE`) for each of:
//! - the clinician's appointments that hold time (`STATUS:CONFIRMED` when booked, arrived,
//!   fulfilled or no-show; `TENTATIVE` for a pending hold or a waitlist proposal), UID
//!   `appointment-<id>@caretime`, SUMMARY the request kind and modality ("Initial appointment,
//!   video"). Never the member: a calendar travels to phones, and the member is PHI;
//! - the group sessions the clinician facilitates (substitutes included; cancelled sessions
//!   are left out), UID `group-<group>-<start, Unix seconds>@caretime`, SUMMARY the group's name;
//! - the template's non-bookable blocks on the days the template applies (not on the
//!   facility's holidays and closures, not on leave): protected time, meetings, breaks, and
//!   group time no session of the book already fills, UID
//!   `block-<clinician>-<date>-<HHMM>@caretime`, SUMMARY the kind ("Protected time").
//!
//! The window is `?from=YYYY-MM-DD&weeks=N`: from local midnight of `from` (default: this
//! week's Monday) for N weeks (default 4, 1 to 26), in the zone of the clinician's facility.
//! Times are written as local times with that zone's VTIMEZONE ([`crate::ical`]), so a 09:00
//! block reads 09:00 on both sides of a DST change.
//!
//! The clinician themself (role clinician with that clinician id), schedulers, managers and
//! admins may read it; anyone else gets 403, and the refusal is audited. Every read is audited
//! too (entity `calendar`, the clinician's id). A calendar is not a FHIR resource, so
//! `GET /metadata` does not list it.
//!
//! A calendar program that subscribes to a URL cannot send an Authorization header: it sends a
//! feed token as `?token=` ([`crate::auth::FeedCaller`], `caretime user feed`), which opens this
//! feed and nothing else, with the same rules as its user's API token.

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use caretime_core::id::ClinicianId;
use caretime_core::region::{Modality, Region};
use caretime_core::request::RequestKind;
use caretime_core::template::BlockKind;
use caretime_engine::book::{AppointmentStatus, Book};
use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp, ToSpan};
use serde::Deserialize;

use crate::AppState;
use crate::auth::{FeedCaller, Role};
use crate::error::ApiError;
use crate::ical::{Calendar, Event, EventStatus};

/// Weeks a calendar covers unless `weeks` says otherwise, and at most.
const DEFAULT_WEEKS: u32 = 4;
const MAX_WEEKS: u32 = 26;

/// The media type of the answer.
const TEXT_CALENDAR: &str = "text/calendar; charset=utf-8";

/// Who may read any clinician's calendar (admins always may; a clinician may read their own).
const READERS: [Role; 3] = [Role::Scheduler, Role::Clinician, Role::Manager];

/// The calendar route.
pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/Practitioner/{id}/calendar.ics", get(read_calendar))
}

/// `?from=YYYY-MM-DD&weeks=N`, both optional.
#[derive(Debug, Deserialize)]
struct CalendarQuery {
    from: Option<String>,
    weeks: Option<String>,
}

/// The window asked for: a local start date (or this week's Monday) and a number of weeks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Window {
    from: Option<Date>,
    weeks: u32,
}

fn window(query: &CalendarQuery) -> Result<Window, ApiError> {
    let from = query
        .from
        .as_deref()
        .map(|text| {
            text.parse::<Date>()
                .map_err(|_| ApiError::Invalid("from is a date, YYYY-MM-DD".to_owned()))
        })
        .transpose()?;
    let weeks = match query.weeks.as_deref() {
        None => DEFAULT_WEEKS,
        Some(text) => text
            .parse::<u32>()
            .ok()
            .filter(|weeks| (1..=MAX_WEEKS).contains(weeks))
            .ok_or_else(|| {
                ApiError::Invalid(format!("weeks is a whole number from 1 to {MAX_WEEKS}"))
            })?,
    };
    Ok(Window { from, weeks })
}

async fn read_calendar(
    State(state): State<AppState>,
    FeedCaller(caller): FeedCaller,
    Path(id): Path<String>,
    query: Result<Query<CalendarQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    caller.require(&state, &READERS, "calendar").await?;
    let id: Option<u32> = id.parse().ok();
    if caller.role == Role::Clinician && (id.is_none() || caller.clinician != id) {
        return Err(caller
            .refuse(
                &state,
                "calendar",
                id.map(|id| id.to_string()),
                "a clinician may read only their own calendar".to_owned(),
            )
            .await);
    }
    let id =
        id.ok_or_else(|| ApiError::NotFound("there is no Practitioner with that id".into()))?;
    let Query(query) =
        query.map_err(|_| ApiError::Invalid("from and weeks are text parameters".to_owned()))?;
    let window = window(&query)?;
    let now = state.clock.now();
    let calendar = state
        .book
        .read(now, move |ctx| {
            calendar(ctx.book, ctx.region, ClinicianId(id), window, now)
        })
        .await??
        .ok_or_else(|| ApiError::NotFound(format!("there is no Practitioner {id}")))?;
    caller
        .audit_read(&state, now, "calendar", Some(id.to_string()), "ok")
        .await?;
    Ok((
        [
            (header::CONTENT_TYPE, TEXT_CALENDAR.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"practitioner-{id}.ics\""),
            ),
            // A clinician's week is for the caller, not for shared caches.
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
        ],
        calendar.write(),
    )
        .into_response())
}

/// The calendar of `clinician` over `window` as the book has it, or `None` when the region has
/// no such clinician.
fn calendar(
    book: &Book,
    region: &Region,
    clinician: ClinicianId,
    window: Window,
    now: Timestamp,
) -> Result<Option<Calendar>, ApiError> {
    let Some(who) = region.clinicians.get(clinician.index()) else {
        return Ok(None);
    };
    let facility = region.facilities.get(who.facility.index());
    let schedule = book.schedule(clinician);
    // The book's schedule is the clinician's as it stands (a new template, leave); its zone is
    // the facility's.
    let zone = schedule
        .map(|schedule| schedule.time_zone.clone())
        .or_else(|| facility.map(|facility| facility.time_zone.clone()))
        .unwrap_or(TimeZone::UTC);
    let out_of_range = || ApiError::Invalid("from is out of range".to_owned());
    let first = match window.from {
        Some(date) => date,
        None => {
            let today = now.to_zoned(zone.clone()).date();
            today
                .checked_sub(i64::from(today.weekday().to_monday_zero_offset()).days())
                .map_err(|_| out_of_range())?
        }
    };
    let end_date = first
        .checked_add((i64::from(window.weeks) * 7).days())
        .map_err(|_| out_of_range())?;
    let instant = |date: Date, time: jiff::civil::Time| {
        date.to_datetime(time)
            .to_zoned(zone.clone())
            .map(|zoned| zoned.timestamp())
            .map_err(|_| out_of_range())
    };
    let start = instant(first, jiff::civil::Time::midnight())?;
    let end = instant(end_date, jiff::civil::Time::midnight())?;
    let overlaps = |from: Timestamp, until: Timestamp| from < end && until > start;
    let facility_name = facility.map(|facility| facility.name.clone());
    let mut events = Vec::new();

    for (id, brief) in book.appointments_of(clinician) {
        let until = brief.start + minutes(brief.length);
        if !brief.status.holds_time() || !overlaps(brief.start, until) {
            continue;
        }
        let Some(appointment) = book.appointment(id) else {
            continue;
        };
        let tentative = matches!(
            appointment.status,
            AppointmentStatus::Proposed | AppointmentStatus::Pending
        );
        events.push(Event {
            uid: format!("appointment-{}@caretime", id.0),
            start: appointment.start,
            end: until,
            summary: format!(
                "{} appointment, {}",
                kind_label(appointment.request.kind),
                modality_label(appointment.modality)
            ),
            status: Some(if tentative {
                EventStatus::Tentative
            } else {
                EventStatus::Confirmed
            }),
            location: (appointment.modality == Modality::InPerson)
                .then(|| {
                    region
                        .facilities
                        .get(appointment.facility.index())
                        .map(|facility| facility.name.clone())
                })
                .flatten(),
        });
    }

    let mut sessions = Vec::new();
    for group in book.groups() {
        for session in &group.sessions {
            let until = session.start + minutes(session.length);
            if session.cancellation.is_none()
                && overlaps(session.start, until)
                && session.facilitators(group).any(|who| who == clinician)
            {
                sessions.push((session.start, until));
                events.push(Event {
                    uid: format!(
                        "group-{}-{}@caretime",
                        group.id.0,
                        session.start.as_second()
                    ),
                    start: session.start,
                    end: until,
                    summary: format!("Group: {}", group.name),
                    status: Some(EventStatus::Confirmed),
                    location: region
                        .facilities
                        .get(group.facility.index())
                        .map(|facility| facility.name.clone()),
                });
            }
        }
    }

    if let Some(schedule) = schedule {
        let mut date = first;
        while date < end_date {
            for block in schedule.blocks_on(date) {
                let Some(summary) = busy_label(block.kind) else {
                    continue;
                };
                let from = instant(date, block.range.start())?;
                let until = instant(date, block.range.end())?;
                // A group block a session fills is that session's event already.
                if block.kind == BlockKind::Group
                    && sessions
                        .iter()
                        .any(|(start, end)| *start < until && *end > from)
                {
                    continue;
                }
                events.push(Event {
                    uid: format!(
                        "block-{}-{}-{:02}{:02}@caretime",
                        clinician.0,
                        date.strftime("%Y%m%d"),
                        block.range.start().hour(),
                        block.range.start().minute()
                    ),
                    start: from,
                    end: until,
                    summary: summary.to_owned(),
                    status: Some(EventStatus::Confirmed),
                    location: facility_name.clone(),
                });
            }
            date = date.tomorrow().map_err(|_| out_of_range())?;
        }
    }

    events.sort_by(|a, b| (a.start, &a.uid).cmp(&(b.start, &b.uid)));
    Ok(Some(Calendar {
        name: format!("caretime: {}", who.name),
        zone,
        window: (start, end),
        stamp: now,
        events,
    }))
}

fn minutes(length: u32) -> SignedDuration {
    SignedDuration::from_mins(i64::from(length))
}

/// The SUMMARY of a template block that is busy time; `None` for bookable time (direct,
/// urgent-hold), which shows only through the appointments booked in it.
fn busy_label(kind: BlockKind) -> Option<&'static str> {
    match kind {
        BlockKind::Protected => Some("Protected time"),
        BlockKind::Meeting => Some("Meeting"),
        BlockKind::Break => Some("Break"),
        BlockKind::Group => Some("Group time"),
        BlockKind::Direct | BlockKind::UrgentHold => None,
    }
}

fn kind_label(kind: RequestKind) -> &'static str {
    match kind {
        RequestKind::Initial => "Initial",
        RequestKind::FollowUp => "Follow-up",
        RequestKind::Urgent => "Urgent",
        RequestKind::UrgentPriorAuth => "Urgent (prior authorization)",
        RequestKind::Psychiatry => "Psychiatry",
        RequestKind::PostDischarge => "Post-discharge",
        RequestKind::NonLifeThreateningEmergency => "Non-life-threatening emergency",
    }
}

fn modality_label(modality: Modality) -> &'static str {
    match modality {
        Modality::InPerson => "in person",
        Modality::Video => "video",
        Modality::Phone => "phone",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use caretime_engine::availability::Horizon;
    use caretime_engine::book::BookPolicy;
    use caretime_region::generate::{RegionParams, generate};
    use jiff::civil::date;

    /// The protected time of the first clinician who has some, over the two weeks from
    /// `first` (a Monday) across a DST change: (local start, UTC start) of each block.
    fn protected_blocks(first: Date) -> Vec<(jiff::civil::DateTime, Timestamp)> {
        let region = generate(&RegionParams::socal(0.002, 1)).expect("a region");
        let horizon = Horizon {
            first,
            last: first.checked_add(20.days()).expect("in range"),
        };
        let book = Book::new(&region, horizon, &[], BookPolicy::STANDARD).expect("a book");
        let zone = TimeZone::get("America/Los_Angeles").expect("the bundled tz database");
        let window = Window {
            from: Some(first),
            weeks: 2,
        };
        let now: Timestamp = "2026-01-05T12:00:00Z".parse().expect("an instant");
        for clinician in &region.clinicians {
            let calendar = calendar(&book, &region, clinician.id, window, now)
                .expect("a calendar")
                .expect("the clinician exists");
            assert_eq!(calendar.zone.iana_name(), Some("America/Los_Angeles"));
            let blocks: Vec<_> = calendar
                .events
                .iter()
                .filter(|event| event.summary == "Protected time")
                .map(|event| (zone.to_datetime(event.start), event.start))
                .collect();
            if !blocks.is_empty() {
                return blocks;
            }
        }
        panic!("no clinician has protected time");
    }

    #[test]
    fn a_block_keeps_its_local_time_across_dst_and_moves_an_hour_in_utc() {
        // America/Los_Angeles: PST to PDT on 2026-03-08, PDT to PST on 2026-11-01 (Sundays).
        for (first, utc_shift) in [(date(2026, 3, 2), -1), (date(2026, 10, 26), 1)] {
            let blocks = protected_blocks(first);
            let mut pairs = 0;
            for (local, utc) in &blocks {
                if local.date() >= first.checked_add(7.days()).expect("in range") {
                    continue;
                }
                let next_week = local.checked_add(7.days()).expect("in range");
                if let Some((_, later)) = blocks.iter().find(|(other, _)| *other == next_week) {
                    assert_eq!(
                        later.duration_since(*utc),
                        SignedDuration::from_hours(7 * 24 + utc_shift),
                        "{local}"
                    );
                    pairs += 1;
                }
            }
            assert!(pairs > 0, "{first}: {blocks:?}");
            // The instants are the offset's: PST is UTC-8, PDT UTC-7.
            for (local, utc) in &blocks {
                let pdt = (date(2026, 3, 8)..date(2026, 11, 1)).contains(&local.date());
                let offset = if pdt { 7 } else { 8 };
                let expected = local
                    .to_zoned(TimeZone::fixed(jiff::tz::offset(-offset)))
                    .expect("in range")
                    .timestamp();
                assert_eq!(*utc, expected, "{local}");
            }
        }
    }

    fn query(from: Option<&str>, weeks: Option<&str>) -> CalendarQuery {
        CalendarQuery {
            from: from.map(str::to_owned),
            weeks: weeks.map(str::to_owned),
        }
    }

    #[test]
    fn the_window_defaults_to_four_weeks_and_refuses_bad_values() {
        assert_eq!(
            window(&query(None, None)).expect("valid"),
            Window {
                from: None,
                weeks: 4
            }
        );
        assert_eq!(
            window(&query(Some("2026-03-02"), Some("26"))).expect("valid"),
            Window {
                from: Some(jiff::civil::date(2026, 3, 2)),
                weeks: 26
            }
        );
        for (from, weeks) in [
            (None, Some("0")),
            (None, Some("27")),
            (None, Some("-1")),
            (None, Some("four")),
            (Some("2026-13-01"), None),
            (Some("next monday"), None),
        ] {
            assert!(
                matches!(window(&query(from, weeks)), Err(ApiError::Invalid(_))),
                "{from:?} {weeks:?}"
            );
        }
    }
}
