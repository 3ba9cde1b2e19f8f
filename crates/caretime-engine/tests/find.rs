//! Offers against a naive oracle: every clinician's every minute, scanned, and the ranking rules of
//! the `find` module documentation applied literally.
//!
//! The oracle expands each template minute by minute (as `tests/availability.rs` does) and knows
//! nothing of the availability index or of how `find` searches it. For a request it picks, in order:
//! the treating clinician when their earliest start meets the deadline (continuity); else the
//! earliest timely internal clinician who speaks the member's language, else any timely internal
//! clinician (with an interpreter); else the same two steps over the network; else the earliest
//! start anywhere, late, ties going to the treating clinician, then internal, then network. Ties
//! within a step go to the lowest clinician id. Every step applies the
//! hard filters: discipline, language (when interpreters cannot be booked), modality (in person
//! only within the travel distance, except with the treating clinician), the member's preferred
//! days and times, starts from the later of the request and `now`, and the urgent-hold release.
//!
//! Beyond the best offer, every offer must be free time the request may use, clear of protected,
//! meeting, break and group blocks, offered once, with the documented modality, interpreter and
//! timeliness; and once the best offer is booked, a second search never offers that time again.

use caretime_core::calendar::{BusinessCalendar, DayOff, WeekdayMask};
use caretime_core::files::builtin;
use caretime_core::id::{ClinicianId, FacilityId, MemberId, RegionId, RequestId, TemplateId};
use caretime_core::phi::Phi;
use caretime_core::region::{
    Affiliation, Clinician, Discipline, Facility, Fte, GeoPoint, Language, Member, Modality,
    ModalitySet, Region,
};
use caretime_core::request::{Preferences, Request, RequestKind};
use caretime_core::rules::{Deadline, RuleSet};
use caretime_core::template::{Block, BlockKind, DayRange, Template, WeeklyHours};
use caretime_engine::availability::{Availability, FreeKind, Horizon, Minute};
use caretime_engine::find::{
    Directory, FindContext, FindPolicy, Interpreters, Offer, Offers, Route, Timeliness, find,
    schedules,
};
use std::fmt;

use jiff::civil::{Date, Time, Weekday, date};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use proptest::prelude::*;

/// Urgent-hold time opens to routine requests a day before it starts.
const RELEASE_MINUTES: i64 = 24 * 60;
const HORIZON_DAYS: i64 = 21;
const LANGUAGES: [&str; 3] = ["en", "es", "vi"];
const WEEKDAYS: [Weekday; 5] = [
    Weekday::Monday,
    Weekday::Tuesday,
    Weekday::Wednesday,
    Weekday::Thursday,
    Weekday::Friday,
];
/// Los Angeles Medical Center; the second facility is one of the others: 10.6 km, about 15 km,
/// about 33 km and about 180 km away (the travel limit is 24 km).
const LOS_ANGELES: (f64, f64) = (34.0983, -118.2930);
const SECOND_FACILITIES: [(f64, f64); 4] = [
    (34.0335, -118.3776),
    (34.1478, -118.1445),
    (33.8303, -118.2930),
    (32.7157, -117.1611),
];
/// A home in Fresno, far from every facility.
const FRESNO: (f64, f64) = (36.7378, -119.7871);

fn los_angeles() -> TimeZone {
    TimeZone::get("America/Los_Angeles").expect("bundled zone")
}

fn california() -> BusinessCalendar {
    BusinessCalendar::new(
        WeekdayMask::MONDAY_TO_FRIDAY,
        builtin::holiday_calendar("california-state").expect("built in"),
    )
}

fn point((lat, lon): (f64, f64)) -> GeoPoint {
    GeoPoint::new(lat, lon).expect("on the map")
}

fn minute_of(timestamp: Timestamp) -> i64 {
    timestamp.as_second().div_euclid(60)
}

fn timestamp_of(minute: i64) -> Timestamp {
    Timestamp::from_second(minute * 60).expect("in range")
}

fn clock(minute: u32) -> Time {
    Time::new((minute / 60) as i8, (minute % 60) as i8, 0, 0).expect("within the day")
}

// ---------------------------------------------------------------------------------------------
// What proptest generates

/// A day's consecutive segments: (quarter hours, block kind or a gap).
type Segments = Vec<(u32, Option<BlockKind>)>;

#[derive(Clone)]
struct ClinicianSpec {
    internal: bool,
    discipline: Discipline,
    /// Bits over [`LANGUAGES`], never 0.
    languages: u8,
    /// Bits over [`Modality::ALL`], never 0.
    modalities: u8,
    /// 0 or 1; in a region with one facility, both mean facility 0.
    facility: usize,
    /// Monday to Friday: the first quarter hour of the day and the segments from there.
    week: Vec<(u32, Segments)>,
}

#[derive(Clone)]
struct MemberSpec {
    language: usize,
    accepts: u8,
    home: (f64, f64),
}

#[derive(Clone, Debug)]
struct RequestSpec {
    kind: RequestKind,
    member: usize,
    /// Minutes after local midnight at the start of the horizon.
    requested: i64,
    now: NowSpec,
    /// Minutes from the prior appointment to the request (follow-ups).
    prior_before: i64,
    treating: Option<usize>,
    preferences: Option<Preferences>,
}

/// When the search runs.
#[derive(Clone, Copy, Debug)]
enum NowSpec {
    /// Minutes after the request (negative: the request is dated ahead of the search).
    After(i64),
    /// Seconds after the `n`th quarter hour after the request, where a start that has just
    /// passed would show.
    PastQuarter(i64, i64),
}

#[derive(Clone, Debug)]
struct RegionSpec {
    first: Date,
    /// Whether interpreters can be booked, and the travel limit for in-person care (km).
    policy: (bool, f64),
    second_facility: Option<(usize, Option<i64>)>,
    clinicians: Vec<ClinicianSpec>,
    members: Vec<MemberSpec>,
    /// (clinician, first day offset, days).
    leave: Option<(usize, i64, i64)>,
    /// (clinician, minutes after the horizon starts, length) of appointments booked beforehand.
    booked: Vec<(usize, i64, u32)>,
    requests: Vec<RequestSpec>,
}

/// One line per clinician or member, so that a shrunk failure reads like a fixture.
impl fmt::Debug for ClinicianSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let blocks: Vec<String> = template(self)
            .blocks
            .iter()
            .map(ToString::to_string)
            .collect();
        write!(
            f,
            "{} {} {:?} {:?} @{} [{}]",
            if self.internal { "internal" } else { "network" },
            self.discipline,
            from_bits(self.languages, &LANGUAGES),
            from_bits(self.modalities, &Modality::ALL),
            self.facility,
            blocks.join(", ")
        )
    }
}

impl fmt::Debug for MemberSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let km = point(LOS_ANGELES).distance_km(point(self.home));
        write!(
            f,
            "{} {:?} home {:.4} {:.4} ({km:.1} km from facility 0)",
            LANGUAGES[self.language],
            from_bits(self.accepts, &Modality::ALL),
            self.home.0,
            self.home.1
        )
    }
}

fn mask(bits: u8) -> impl Strategy<Value = u8> {
    1u8..(1 << bits)
}

fn kind_strategy() -> impl Strategy<Value = Option<BlockKind>> {
    prop_oneof![
        5 => Just(Some(BlockKind::Direct)),
        1 => Just(Some(BlockKind::UrgentHold)),
        1 => Just(Some(BlockKind::Protected)),
        1 => Just(Some(BlockKind::Meeting)),
        1 => Just(Some(BlockKind::Break)),
        1 => Just(Some(BlockKind::Group)),
        2 => Just(None),
    ]
}

fn day_strategy() -> impl Strategy<Value = (u32, Segments)> {
    // Start between 07:00 and 10:45; up to 4 segments of 15 minutes to 3 hours. A third of the days
    // are empty, so some requests cannot be met in time.
    (
        28u32..44,
        prop_oneof![
            1 => Just(Vec::new()),
            2 => prop::collection::vec((1u32..13, kind_strategy()), 1..5),
        ],
    )
}

fn clinician_strategy() -> impl Strategy<Value = ClinicianSpec> {
    let discipline = prop_oneof![
        3 => Just(Discipline::Therapist),
        1 => Just(Discipline::Psychologist),
        1 => Just(Discipline::SocialWorker),
        2 => Just(Discipline::Psychiatrist),
    ];
    let languages = prop_oneof![3 => Just(1u8), 3 => mask(3)];
    // Most clinicians offer video; some only see people in person or by phone.
    let modalities = prop_oneof![2 => Just(7u8), 2 => Just(3), 2 => mask(3)];
    (
        any::<bool>(),
        discipline,
        languages,
        modalities,
        0usize..2,
        prop::collection::vec(day_strategy(), 5),
    )
        .prop_map(
            |(internal, discipline, languages, modalities, facility, week)| ClinicianSpec {
                internal,
                discipline,
                languages,
                modalities,
                facility,
                week,
            },
        )
}

fn member_strategy() -> impl Strategy<Value = MemberSpec> {
    let home = prop_oneof![
        10 => (-0.25f64..0.25, -0.3f64..0.3)
            .prop_map(|(dlat, dlon)| (LOS_ANGELES.0 + dlat, LOS_ANGELES.1 + dlon)),
        1 => Just(FRESNO),
    ];
    // In person only, any mix, in person or video, anything.
    let accepts = prop_oneof![1 => Just(1u8), 2 => mask(3), 3 => Just(3), 2 => Just(7)];
    (0usize..3, accepts, home).prop_map(|(language, accepts, home)| MemberSpec {
        language,
        accepts,
        home,
    })
}

fn preferences_strategy() -> impl Strategy<Value = Preferences> {
    (
        mask(5),
        prop::sample::select(vec![8 * 60, 9 * 60 + 30, 12 * 60, 14 * 60]),
        prop::sample::select(vec![0u32, 105, 180, 480]),
    )
        .prop_map(|(days, earliest, span)| {
            let weekdays: Vec<Weekday> = WEEKDAYS
                .iter()
                .enumerate()
                .filter(|(idx, _)| days & (1 << idx) != 0)
                .map(|(_, day)| *day)
                .collect();
            Preferences {
                weekdays: WeekdayMask::new(&weekdays).expect("at least one day"),
                earliest_start: clock(earliest),
                latest_start: clock((earliest + span).min(23 * 60)),
            }
        })
}

fn request_strategy(n_clinicians: usize, n_members: usize) -> impl Strategy<Value = RequestSpec> {
    let kind = prop_oneof![
        3 => Just(RequestKind::Initial),
        2 => Just(RequestKind::FollowUp),
        2 => Just(RequestKind::Urgent),
        2 => Just(RequestKind::Psychiatry),
    ];
    let now = prop_oneof![
        8 => (0i64..3 * 24 * 60).prop_map(NowSpec::After),
        2 => (-24 * 60i64..0).prop_map(NowSpec::After),
        3 => (0i64..200, 0i64..60).prop_map(|(quarters, seconds)| NowSpec::PastQuarter(quarters, seconds)),
    ];
    (
        kind,
        0..n_members,
        0i64..8 * 24 * 60,
        now,
        0i64..16 * 24 * 60,
        prop::option::weighted(0.5, 0..n_clinicians),
        prop::option::weighted(0.3, preferences_strategy()),
    )
        .prop_map(
            |(kind, member, requested, now, prior_before, treating, preferences)| RequestSpec {
                kind,
                member,
                requested,
                now,
                prior_before,
                treating,
                preferences,
            },
        )
}

fn region_strategy() -> impl Strategy<Value = RegionSpec> {
    (
        prop::collection::vec(clinician_strategy(), 2..9),
        prop::collection::vec(member_strategy(), 1..5),
    )
        .prop_flat_map(|(clinicians, members)| {
            let (n_clinicians, n_members) = (clinicians.len(), members.len());
            (
                // Horizons over the fall DST change (2025-11-02), Thanksgiving (2025-11-27 and 28),
                // Christmas and New Year, and the spring DST change (2026-03-08).
                prop::sample::select(vec![
                    date(2025, 10, 27),
                    date(2025, 11, 17),
                    date(2025, 12, 15),
                    date(2026, 3, 2),
                ]),
                (
                    prop::bool::weighted(0.8),
                    prop::sample::select(vec![FindPolicy::STANDARD.max_travel_km, 10.0, 40.0]),
                ),
                prop::option::of((0usize..4, prop::option::weighted(0.3, 0i64..HORIZON_DAYS))),
                Just(clinicians),
                Just(members),
                prop::option::weighted(0.3, (0..n_clinicians, 0i64..HORIZON_DAYS, 0i64..6)),
                prop::collection::vec(
                    (
                        0..n_clinicians,
                        0..HORIZON_DAYS * 24 * 60,
                        prop::sample::select(vec![30u32, 60, 90]),
                    ),
                    0..12,
                ),
                prop::collection::vec(request_strategy(n_clinicians, n_members), 1..5),
            )
        })
        .prop_map(
            |(first, policy, second_facility, clinicians, members, leave, booked, requests)| {
                RegionSpec {
                    first,
                    policy,
                    second_facility,
                    clinicians,
                    members,
                    leave,
                    booked,
                    requests,
                }
            },
        )
}

// ---------------------------------------------------------------------------------------------
// Building the region

fn facility(idx: usize, location: (f64, f64), calendar: BusinessCalendar) -> Facility {
    Facility {
        id: FacilityId(idx as u32),
        name: format!("facility {idx}"),
        address: String::new(),
        location: point(location),
        time_zone: los_angeles(),
        hours: WeeklyHours::weekdays(DayRange::new(clock(7 * 60), clock(21 * 60)).expect("valid")),
        calendar,
    }
}

fn template(spec: &ClinicianSpec) -> Template {
    let mut blocks = Vec::new();
    for (day, (start_quarter, segments)) in WEEKDAYS.iter().zip(&spec.week) {
        let mut minute = start_quarter * 15;
        for (quarters, kind) in segments {
            let end = minute + quarters * 15;
            if let Some(kind) = kind {
                blocks.push(Block {
                    day: *day,
                    range: DayRange::new(clock(minute), clock(end)).expect("end > start"),
                    kind: *kind,
                });
            }
            minute = end;
        }
    }
    Template {
        fte: Fte::FULL_TIME,
        blocks,
    }
}

fn from_bits<T: Copy>(bits: u8, all: &[T]) -> Vec<T> {
    all.iter()
        .enumerate()
        .filter(|(idx, _)| bits & (1 << idx) != 0)
        .map(|(_, item)| *item)
        .collect()
}

fn region(spec: &RegionSpec) -> Region {
    let mut facilities = vec![facility(0, LOS_ANGELES, california())];
    if let Some((location, closure)) = spec.second_facility {
        let calendar = match closure {
            Some(days) => california().with_closure(spec.first + days.days()),
            None => california(),
        };
        facilities.push(facility(1, SECOND_FACILITIES[location], calendar));
    }
    let languages: Vec<Language> = LANGUAGES
        .iter()
        .map(|code| code.parse().expect("valid code"))
        .collect();
    let clinicians = spec
        .clinicians
        .iter()
        .enumerate()
        .map(|(idx, clinician)| Clinician {
            id: ClinicianId(idx as u32),
            name: format!("clinician {idx}"),
            discipline: clinician.discipline,
            affiliation: if clinician.internal {
                Affiliation::Internal
            } else {
                Affiliation::Network
            },
            languages: from_bits(clinician.languages, &languages),
            modalities: ModalitySet::of(&from_bits(clinician.modalities, &Modality::ALL)),
            fte: Fte::FULL_TIME,
            facility: FacilityId((clinician.facility % facilities.len()) as u32),
            template: TemplateId(idx as u32),
        })
        .collect();
    let members = spec
        .members
        .iter()
        .enumerate()
        .map(|(idx, member)| Member {
            id: MemberId(idx as u32),
            plan_number: Phi::new(format!("P{idx}")),
            name: Phi::new(format!("member {idx}")),
            birth_date: Phi::new(date(1990, 1, 1)),
            language: languages[member.language],
            home: Phi::new(point(member.home)),
            accepts: ModalitySet::of(&from_bits(member.accepts, &Modality::ALL)),
        })
        .collect();
    Region {
        id: RegionId(0),
        name: "test".to_owned(),
        facilities,
        clinicians,
        members,
        templates: spec.clinicians.iter().map(template).collect(),
    }
}

fn request(spec: &RequestSpec, idx: usize, horizon_start: i64) -> (Request, Timestamp) {
    let requested = horizon_start + spec.requested;
    let request = Request {
        id: RequestId(idx as u32),
        member: MemberId(spec.member as u32),
        kind: spec.kind,
        requested: timestamp_of(requested),
        prior_appointment: (spec.kind == RequestKind::FollowUp)
            .then(|| timestamp_of(requested - spec.prior_before)),
        clinical_exception: None,
        treating_clinician: spec.treating.map(|idx| ClinicianId(idx as u32)),
        preferences: spec.preferences.unwrap_or(Preferences::ANY),
    };
    let now = match spec.now {
        NowSpec::After(minutes) => timestamp_of(requested + minutes),
        NowSpec::PastQuarter(quarters, seconds) => {
            let quarter = requested + (15 - requested.rem_euclid(15)) % 15 + quarters * 15;
            Timestamp::from_second(quarter * 60 + seconds).expect("in range")
        }
    };
    (request, now)
}

// ---------------------------------------------------------------------------------------------
// The oracle

/// Every minute of every clinician over the horizon: free time by kind, and the minutes of
/// protected, meeting, break and group blocks.
struct Oracle<'a> {
    region: &'a Region,
    rules: &'a RuleSet,
    policy: &'a FindPolicy,
    base: i64,
    free: Vec<Vec<Option<FreeKind>>>,
    unbookable: Vec<Vec<bool>>,
}

/// What a request may use: grid starts from `not_before`, of `length` minutes.
struct Query<'r> {
    request: &'r Request,
    not_before: i64,
    now: Timestamp,
    length: u32,
}

/// The offer the ranking rules choose.
#[derive(Debug, PartialEq)]
struct Expected {
    clinician: ClinicianId,
    start: Timestamp,
    modality: Modality,
    interpreter: Option<Language>,
    route: Route,
    timeliness: Timeliness,
}

impl<'a> Oracle<'a> {
    fn new(
        region: &'a Region,
        rules: &'a RuleSet,
        policy: &'a FindPolicy,
        horizon: Horizon,
        leave: &[(ClinicianId, Date, Date)],
    ) -> Oracle<'a> {
        let base = minute_of(
            (horizon.first - 2.days())
                .to_zoned(TimeZone::UTC)
                .expect("in range")
                .timestamp(),
        );
        let n_minutes = ((HORIZON_DAYS + 4) * 24 * 60) as usize;
        let mut free = vec![vec![None; n_minutes]; region.clinicians.len()];
        let mut unbookable = vec![vec![false; n_minutes]; region.clinicians.len()];
        for (idx, clinician) in region.clinicians.iter().enumerate() {
            let facility = &region.facilities[clinician.facility.index()];
            let mut day = horizon.first;
            while day <= horizon.last {
                let closed = matches!(
                    facility.calendar.day_off(day),
                    Some(DayOff::Holiday(_) | DayOff::Closure)
                );
                let away = leave.iter().any(|(who, first, last)| {
                    *who == clinician.id && *first <= day && day <= *last
                });
                for block in &region.templates[clinician.template.index()].blocks {
                    if block.day != day.weekday() {
                        continue;
                    }
                    let at = |time: Time| {
                        let zoned = day
                            .to_datetime(time)
                            .to_zoned(facility.time_zone.clone())
                            .expect("in range");
                        (minute_of(zoned.timestamp()) - base) as usize
                    };
                    for minute in at(block.range.start())..at(block.range.end()) {
                        match block.kind {
                            BlockKind::Direct if !closed && !away => {
                                free[idx][minute] = Some(FreeKind::Direct);
                            }
                            BlockKind::UrgentHold if !closed && !away => {
                                free[idx][minute] = Some(FreeKind::UrgentHold);
                            }
                            BlockKind::Direct | BlockKind::UrgentHold => {}
                            BlockKind::Protected
                            | BlockKind::Meeting
                            | BlockKind::Break
                            | BlockKind::Group => unbookable[idx][minute] = true,
                        }
                    }
                }
                day = day.tomorrow().expect("in range");
            }
        }
        Oracle {
            region,
            rules,
            policy,
            base,
            free,
            unbookable,
        }
    }

    fn query<'r>(&self, request: &'r Request, now: Timestamp) -> Query<'r> {
        let not_before = now.max(request.requested).as_second();
        Query {
            request,
            // The first whole minute at or after the later of the request and now.
            not_before: not_before.div_euclid(60) + i64::from(not_before.rem_euclid(60) != 0),
            now,
            length: self.policy.lengths.minutes(request.kind),
        }
    }

    /// The kind of time `[start, start + length)` is when it is one run of free time of one
    /// kind the request may use, starting on the grid, not before the query's start and at a time
    /// the member prefers.
    fn fits(&self, clinician: usize, start: i64, query: &Query<'_>) -> Option<FreeKind> {
        let offset = usize::try_from(start - self.base).ok()?;
        let minutes = self.free[clinician].get(offset..offset + query.length as usize)?;
        let kind = minutes[0]?;
        let released = kind == FreeKind::Direct
            || query.request.kind.is_urgent()
            || minute_of(query.now) >= start - RELEASE_MINUTES;
        let local = timestamp_of(start).to_zoned(self.rules.time_zone().clone());
        let preferred = query
            .request
            .preferences
            .allow(local.weekday(), local.time());
        (start.rem_euclid(15) == 0
            && start >= query.not_before
            && minutes.iter().all(|minute| *minute == Some(kind))
            && released
            && preferred)
            .then_some(kind)
    }

    /// The clinician's earliest start for the query, before `before` when given.
    fn earliest(
        &self,
        clinician: usize,
        query: &Query<'_>,
        before: Option<Timestamp>,
    ) -> Option<i64> {
        let last = self.base + self.free[clinician].len() as i64;
        let mut start = query.not_before + (15 - query.not_before.rem_euclid(15)) % 15;
        while start < last && before.is_none_or(|before| timestamp_of(start) < before) {
            if self.fits(clinician, start, query).is_some() {
                return Some(start);
            }
            start += 15;
        }
        None
    }

    /// How the member can see the clinician, when the clinician may take the request at all: a
    /// psychiatry request needs a psychiatrist and other requests a non-physician; without
    /// interpreters, the clinician speaks the member's language; in person only within the travel
    /// distance (or with the treating clinician, whom the member already sees there), else video,
    /// else phone, when both accept it.
    fn modality(&self, request: &Request, clinician: &Clinician) -> Option<Modality> {
        let member = &self.region.members[request.member.index()];
        if request.kind.needs_psychiatrist() != (clinician.discipline == Discipline::Psychiatrist) {
            return None;
        }
        if self.policy.interpreters == Interpreters::Unavailable
            && !clinician.speaks(member.language)
        {
            return None;
        }
        let established = request.treating_clinician == Some(clinician.id);
        let km = self.region.facilities[clinician.facility.index()]
            .location
            .distance_km(*member.home.expose());
        [Modality::InPerson, Modality::Video, Modality::Phone]
            .into_iter()
            .find(|&modality| {
                member.accepts.contains(modality)
                    && clinician.modalities.contains(modality)
                    && (modality != Modality::InPerson
                        || established
                        || km <= self.policy.max_travel_km)
            })
    }

    fn timeliness(&self, deadline: &Deadline<'_>, start: Timestamp) -> Timeliness {
        let zone = self.rules.time_zone();
        if start < deadline.instant.timestamp() {
            return Timeliness::Met;
        }
        // The last day: the day-based rule's, or the day of the last instant before the deadline.
        let last_day = deadline.last_day.unwrap_or_else(|| {
            (deadline.instant.timestamp() - 1.second())
                .to_zoned(zone.clone())
                .date()
        });
        let start_day = start.to_zoned(zone.clone()).date();
        let mut business_days = 0;
        let mut day = last_day;
        while day < start_day {
            day = day.tomorrow().expect("in range");
            business_days += u32::from(self.rules.calendar().is_business_day(day));
        }
        Timeliness::Late { business_days }
    }

    /// The best offer by the documented ranking.
    fn best(&self, request: &Request, now: Timestamp) -> Option<Expected> {
        let deadline = self
            .rules
            .deadline(&request.deadline_query())
            .expect("covered kind");
        let deadline_instant = deadline.instant.timestamp();
        let query = self.query(request, now);
        let member = &self.region.members[request.member.index()];
        let eligible: Vec<(usize, &Clinician, Modality)> = self
            .region
            .clinicians
            .iter()
            .enumerate()
            .filter_map(|(idx, clinician)| {
                self.modality(request, clinician)
                    .map(|modality| (idx, clinician, modality))
            })
            .collect();
        let expected = |idx: usize, start: i64, route: Route| {
            let (_, clinician, modality) = eligible
                .iter()
                .find(|(known, _, _)| *known == idx)
                .expect("chosen among the eligible");
            let start = timestamp_of(start);
            Expected {
                clinician: clinician.id,
                start,
                modality: *modality,
                interpreter: (!clinician.speaks(member.language)).then_some(member.language),
                route,
                timeliness: self.timeliness(&deadline, start),
            }
        };
        // The earliest start among the clinicians `admit` lets through, lowest id on ties.
        let earliest_among = |admit: &dyn Fn(&Clinician) -> bool, before: Option<Timestamp>| {
            eligible
                .iter()
                .filter(|(_, clinician, _)| admit(clinician))
                .filter_map(|(idx, _, _)| {
                    self.earliest(*idx, &query, before)
                        .map(|start| (start, *idx))
                })
                .min()
        };
        // 1. Continuity, when timely.
        let treating = request.treating_clinician.map(ClinicianId::index);
        if let Some(treating) = treating
            && let Some((start, _)) = earliest_among(&|c| c.id.index() == treating, None)
            && timestamp_of(start) < deadline_instant
        {
            return Some(expected(treating, start, Route::Continuity));
        }
        // 2-3. Internal, then network, within the deadline: language-concordant first.
        for (affiliation, route) in [
            (Affiliation::Internal, Route::Internal),
            (Affiliation::Network, Route::Network),
        ] {
            for concordant in [true, false] {
                let admit = |clinician: &Clinician| {
                    clinician.affiliation == affiliation
                        && (!concordant || clinician.speaks(member.language))
                };
                if let Some((start, idx)) = earliest_among(&admit, Some(deadline_instant)) {
                    return Some(expected(idx, start, route));
                }
            }
        }
        // 4. The earliest start anywhere, late; ties: continuity, internal, network, lowest id.
        let route_of = |idx: usize| match self.region.clinicians[idx].affiliation {
            _ if Some(idx) == treating => Route::Continuity,
            Affiliation::Internal => Route::Internal,
            Affiliation::Network => Route::Network,
        };
        let (start, _, idx) = eligible
            .iter()
            .filter_map(|(idx, _, _)| {
                self.earliest(*idx, &query, None)
                    .map(|start| (start, route_of(*idx), *idx))
            })
            .min()?;
        Some(expected(idx, start, route_of(idx)))
    }

    /// Takes an appointment's minutes out of the clinician's free time.
    fn reserve(&mut self, clinician: ClinicianId, start: i64, length: u32) {
        let offset = (start - self.base) as usize;
        for minute in &mut self.free[clinician.index()][offset..offset + length as usize] {
            assert!(
                minute.take().is_some(),
                "reserved a minute that was not free"
            );
        }
    }

    /// Every offer obeys the hard filters and lies in free time; the best is the oracle's.
    fn check(
        &self,
        request: &Request,
        now: Timestamp,
        offers: &Offers,
    ) -> Result<(), TestCaseError> {
        let deadline = self
            .rules
            .deadline(&request.deadline_query())
            .expect("covered kind");
        let query = self.query(request, now);
        let member = &self.region.members[request.member.index()];
        prop_assert_eq!(offers.deadline, deadline.instant.timestamp());
        for (offer_idx, offer) in offers.offers.iter().enumerate() {
            let idx = offer.clinician.index();
            let clinician = &self.region.clinicians[idx];
            let start = minute_of(offer.start);
            prop_assert!(
                !offers.offers[..offer_idx].iter().any(|earlier| (
                    earlier.clinician,
                    earlier.start
                ) == (
                    offer.clinician,
                    offer.start
                )),
                "offered twice: {:?}",
                offer
            );
            prop_assert_eq!(
                self.fits(idx, start, &query),
                Some(offer.time),
                "not free time the request may use: {:?}",
                offer
            );
            let offset = (start - self.base) as usize;
            prop_assert!(
                !self.unbookable[idx][offset..offset + offer.length as usize].contains(&true),
                "overlaps a protected, meeting, break or group block: {:?}",
                offer
            );
            prop_assert_eq!(offer.length, query.length);
            prop_assert_eq!(offer.facility, clinician.facility);
            prop_assert_eq!(
                Some(offer.modality),
                self.modality(request, clinician),
                "discipline or modality: {:?}",
                offer
            );
            prop_assert_eq!(
                offer.interpreter,
                (!clinician.speaks(member.language)).then_some(member.language)
            );
            prop_assert_eq!(offer.timeliness, self.timeliness(&deadline, offer.start));
            match offer.route {
                Route::Continuity => {
                    prop_assert_eq!(Some(offer.clinician), request.treating_clinician)
                }
                Route::Internal => prop_assert_eq!(clinician.affiliation, Affiliation::Internal),
                Route::Network => prop_assert_eq!(clinician.affiliation, Affiliation::Network),
            }
        }
        let expected = self.best(request, now);
        let best = offers.best().map(|offer: &Offer| Expected {
            clinician: offer.clinician,
            start: offer.start,
            modality: offer.modality,
            interpreter: offer.interpreter,
            route: offer.route,
            timeliness: offer.timeliness,
        });
        prop_assert_eq!(&best, &expected);
        let timely = expected.is_some_and(|best| best.timeliness.is_met());
        prop_assert_eq!(offers.arrangement.is_some(), !timely);
        if let Some(arrangement) = &offers.arrangement {
            prop_assert_eq!(arrangement.request, request.id);
            prop_assert_eq!(arrangement.member, request.member);
            prop_assert_eq!(arrangement.kind, request.kind);
            prop_assert_eq!(arrangement.deadline, deadline.instant.timestamp());
        }
        Ok(())
    }
}

/// `fast` cases by default; `slow` when `CARETIME_SLOW_TESTS` is set (CI sets it); any number with
/// `CARETIME_PROPTEST_CASES`.
fn cases(fast: u32, slow: u32) -> u32 {
    if let Some(cases) = std::env::var("CARETIME_PROPTEST_CASES")
        .ok()
        .and_then(|text| text.parse().ok())
    {
        return cases;
    }
    if std::env::var_os("CARETIME_SLOW_TESTS").is_some() {
        slow
    } else {
        fast
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(128, 1000)))]

    #[test]
    fn offers_follow_the_documented_ranking(spec in region_strategy()) {
        let region = region(&spec);
        let rules = builtin::rule_set("ca-dmhc").expect("built in");
        let policy = FindPolicy {
            interpreters: if spec.policy.0 { Interpreters::Available } else { Interpreters::Unavailable },
            max_travel_km: spec.policy.1,
            ..FindPolicy::STANDARD
        };
        let horizon = Horizon { first: spec.first, last: spec.first + (HORIZON_DAYS - 1).days() };
        let leave: Vec<(ClinicianId, Date, Date)> = spec
            .leave
            .iter()
            .map(|(idx, first, days)| {
                let first = spec.first + first.days();
                (ClinicianId(*idx as u32), first, first + days.days())
            })
            .collect();
        let mut availability = Availability::build(&schedules(&region, &leave), horizon, RELEASE_MINUTES)
            .expect("generated templates do not overlap");
        let directory = Directory::new(&region, &availability);
        let mut oracle = Oracle::new(&region, &rules, &policy, horizon, &leave);
        let horizon_start = minute_of(spec.first.to_zoned(los_angeles()).expect("in range").timestamp());

        // Appointments booked beforehand: the first grid start from the given minute where the
        // length fits in one run of free time of one kind.
        for (idx, offset, length) in &spec.booked {
            let from_quarter = (horizon_start + offset).div_euclid(15) * 15;
            let fits = (0..HORIZON_DAYS * 96)
                .map(|quarter| from_quarter + quarter * 15)
                .find(|start| {
                    let from = (start - oracle.base) as usize;
                    oracle.free[*idx].get(from..from + *length as usize).is_some_and(|minutes| {
                        minutes[0].is_some() && minutes.iter().all(|minute| *minute == minutes[0])
                    })
                });
            if let Some(start) = fits {
                let clinician = ClinicianId(*idx as u32);
                prop_assert!(availability.reserve(clinician, Minute(start), *length).is_ok());
                oracle.reserve(clinician, start, *length);
            }
        }

        for (idx, spec) in spec.requests.iter().enumerate() {
            let (request, now) = request(spec, idx, horizon_start);
            let find_in = |availability: &Availability| {
                let context = FindContext {
                    region: &region,
                    availability,
                    directory: &directory,
                    policy: &policy,
                    rules: &rules,
                    closed_to_new: None,
                };
                find(&context, &request, now).expect("a valid request")
            };
            let offers = find_in(&availability);
            oracle.check(&request, now, &offers)?;
            let Some(best) = offers.best() else { continue };
            // Book the best offer; a second find never offers that time of that clinician again.
            let start = minute_of(best.start);
            prop_assert_eq!(
                availability.reserve(best.clinician, Minute(start), best.length),
                Ok(best.time)
            );
            oracle.reserve(best.clinician, start, best.length);
            let booked = (best.clinician, start, start + i64::from(best.length));
            let again = find_in(&availability);
            for offer in &again.offers {
                let (start, end) = (minute_of(offer.start), minute_of(offer.start) + i64::from(offer.length));
                prop_assert!(
                    offer.clinician != booked.0 || end <= booked.1 || booked.2 <= start,
                    "{:?} overlaps the booked {:?}", offer, booked
                );
            }
            oracle.check(&request, now, &again)?;
        }
    }
}
