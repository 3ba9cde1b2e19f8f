//! The journal's wire format: every change a real decision makes reads back equal, and a second
//! book fed only the journal's text ends identical to the book that decided.

use std::sync::OnceLock;

use caretime_core::calendar::{
    BusinessCalendar, Holiday, HolidayCalendar, HolidayDate, Observance, WeekdayMask,
};
use caretime_core::files::builtin;
use caretime_core::id::{
    AppointmentId, ClinicianId, EpisodeId, FacilityId, GroupId, MemberId, RequestId,
};
use caretime_core::region::{Affiliation, Discipline, Fte, Language, Modality, Region};
use caretime_core::request::{Preferences, Request, RequestKind};
use caretime_core::rules::RuleSet;
use caretime_core::template::{Block, BlockKind, DayRange, Template};
use caretime_engine::availability::{FreeKind, Horizon, Pool, Schedule};
use caretime_engine::book::{
    Appointment, AppointmentStatus, Book, BookPolicy, Cancellation, CancellationReason,
    CancelledBy, Change, OfferRecord, Outcome, Take, TakeOffer, WaitlistEntry,
};
use caretime_engine::episode::{Cadence, Episode, EpisodeAppointments, LongerWait};
use caretime_engine::find::{OutOfNetworkArrangement, Route, Timeliness};
use caretime_engine::group::{
    DEFAULT_GROUP_CAPACITY, Group, GroupSession, NewGroup, Seat, SeatOutcome,
};
use caretime_region::generate::{RegionParams, generate};
use caretime_replan::{Disruption, DisruptionReason, ReplanContext, ReplanCosts, plan};
use caretime_store::wire::{WireError, decode_change, encode_change, repack};
use jiff::civil::{Date, Time, Weekday, date};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use proptest::prelude::*;

fn rules() -> &'static RuleSet {
    static RULES: OnceLock<RuleSet> = OnceLock::new();
    RULES.get_or_init(|| builtin::rule_set("ca-dmhc").expect("built in"))
}

fn la() -> TimeZone {
    TimeZone::get("America/Los_Angeles").expect("bundled")
}

/// `hour:minute` in Los Angeles on `day`.
fn local(day: Date, hour: i8, minute: i8) -> Timestamp {
    day.at(hour, minute, 0, 0)
        .to_zoned(la())
        .expect("in range")
        .timestamp()
}

/// A book that decides and a replica that only ever sees the journal's text.
struct Story {
    region: Region,
    book: Book,
    replica: Book,
    journal: Vec<Change>,
    next_request: u32,
}

impl Story {
    fn new() -> Story {
        // Every internal therapist has group time, so that a clinic has groups and substitutes.
        let mut params = RegionParams::socal(0.002, 7);
        params.group_facilitator_share = 1.0;
        let region = generate(&params).expect("the preset generates");
        let horizon = Horizon {
            first: date(2025, 12, 1),
            last: date(2026, 1, 4),
        };
        let book = Book::new(&region, horizon, &[], BookPolicy::STANDARD).expect("valid");
        let replica = book.clone();
        Story {
            region,
            book,
            replica,
            journal: Vec::new(),
            next_request: 0,
        }
    }

    /// Applies an accepted decision to the book, and to the replica through the wire: each
    /// change must read back equal and write back to the same bytes.
    fn apply(&mut self, outcome: Outcome) -> Vec<Change> {
        let Outcome::Accepted(changes) = outcome else {
            panic!("refused: {:?}", outcome.refusals());
        };
        self.apply_changes(changes.to_vec())
    }

    fn apply_changes(&mut self, changes: Vec<Change>) -> Vec<Change> {
        self.book.apply(&changes).expect("decided on this book");
        let mut read_back = Vec::with_capacity(changes.len());
        for change in &changes {
            let line = encode_change(change);
            assert!(!line.contains('\n'), "one line: {line}");
            let decoded = decode_change(&line).unwrap_or_else(|err| panic!("{err}: {line}"));
            assert_eq!(&decoded, change, "{line}");
            assert_eq!(encode_change(&decoded), line, "the same bytes again");
            assert_eq!(
                repack(change).as_ref(),
                Ok(change),
                "packed for a snapshot: {line}"
            );
            read_back.push(decoded);
        }
        self.replica
            .apply(&read_back)
            .expect("the replica takes what the book took");
        self.journal.extend(changes.iter().cloned());
        changes
    }

    fn request(&mut self, member: u32, kind: RequestKind, requested: Timestamp) -> Request {
        let id = RequestId(self.next_request);
        self.next_request += 1;
        Request {
            id,
            member: MemberId(member),
            kind,
            requested,
            prior_appointment: None,
            clinical_exception: None,
            treating_clinician: None,
            preferences: Preferences::ANY,
        }
    }

    /// Finds offers for `request` and takes the best one; returns the new appointment's id.
    fn take(&mut self, request: &Request, take: Take, now: Timestamp) -> AppointmentId {
        let offers = self
            .book
            .find(&self.region, rules(), request, now)
            .expect("find");
        let offer = offers.best().expect("an offer").clone();
        let outcome = self.book.decide_take(
            &self.region,
            &TakeOffer {
                request,
                offers: &offers,
                offer: &offer,
                choice: None,
                take,
            },
            now,
        );
        let changes = self.apply(outcome);
        match &changes[0] {
            Change::Create(appointment) => appointment.id,
            other => panic!("a booking, not {other:?}"),
        }
    }

    fn internal_therapists(&self) -> impl Iterator<Item = ClinicianId> + '_ {
        self.region
            .clinicians
            .iter()
            .filter(|c| {
                c.affiliation == Affiliation::Internal && c.discipline != Discipline::Psychiatrist
            })
            .map(|c| c.id)
    }

    fn group_block(&self, clinician: ClinicianId) -> Option<Block> {
        let template = self.region.clinicians[clinician.index()].template;
        self.region.templates[template.index()]
            .blocks
            .iter()
            .copied()
            .find(|block| block.kind == BlockKind::Group)
    }

    /// A weekly group of `facilitator`'s from their first group block on or after `first`.
    fn create_group(&mut self, facilitator: ClinicianId, first: Date, name: &str) -> GroupId {
        let block = self.group_block(facilitator).expect("group time");
        let mut day = first;
        while day.weekday() != block.day {
            day = day.tomorrow().expect("in range");
        }
        let start = day
            .to_datetime(block.range.start())
            .to_zoned(la())
            .expect("in range");
        let new = NewGroup {
            name: name.to_owned(),
            facilitators: vec![facilitator],
            capacity: DEFAULT_GROUP_CAPACITY,
            first: start,
            cadence: Cadence::Weekly,
            sessions: 4,
            length: block.range.minutes().min(90),
        };
        let outcome = self.book.decide_create_group(&self.region, &new);
        self.apply(outcome);
        GroupId(self.book.groups().len() as u32 - 1)
    }

    /// The replica is the book: every appointment, arrangement, waitlist entry, group, episode
    /// and schedule.
    fn check_replica(&self) {
        assert_eq!(
            self.replica.appointments().collect::<Vec<_>>(),
            self.book.appointments().collect::<Vec<_>>()
        );
        assert_eq!(self.replica.arrangements(), self.book.arrangements());
        assert_eq!(self.replica.waitlist(), self.book.waitlist());
        assert_eq!(self.replica.groups(), self.book.groups());
        assert_eq!(self.replica.episodes(), self.book.episodes());
        for clinician in &self.region.clinicians {
            assert_eq!(
                self.replica.schedule(clinician.id),
                self.book.schedule(clinician.id)
            );
        }
    }
}

/// The name of a change's variant, as the journal spells it.
fn kind(change: &Change) -> &'static str {
    match change {
        Change::Create(_) => "create",
        Change::SetStatus { .. } => "set-status",
        Change::Arrange(_) => "arrange",
        Change::Wait(_) => "wait",
        Change::Unwait(_) => "unwait",
        Change::CreateGroup(_) => "create-group",
        Change::Enrol { .. } => "enrol",
        Change::Unenrol { .. } => "unenrol",
        Change::CancelSession { .. } => "cancel-session",
        Change::Reschedule { .. } => "reschedule",
        Change::OpenEpisode(_) => "open-episode",
        Change::Attach { .. } => "attach",
        Change::SetCadence { .. } => "set-cadence",
        Change::Discharge { .. } => "discharge",
        Change::Substitute { .. } => "substitute",
        Change::SeatStatus { .. } => "seat-status",
    }
}

#[test]
fn every_decision_of_a_small_region_reads_back_and_a_replica_ends_identical() {
    let mut story = Story::new();
    let monday = date(2025, 12, 1);
    let now = local(monday, 8, 0);

    // Bookings, a hold that is confirmed and one that expires, a proposal.
    let mut booked = Vec::new();
    for member in 0..6 {
        let request = story.request(member, RequestKind::Initial, now);
        booked.push(story.take(&request, Take::Book, now));
    }
    let urgent = story.request(6, RequestKind::Urgent, now);
    booked.push(story.take(&urgent, Take::Book, now));
    let held = story.request(7, RequestKind::Initial, now);
    let held = story.take(&held, Take::Hold, now);
    let outcome = story
        .book
        .decide_confirm(held, now + SignedDuration::from_mins(5));
    story.apply(outcome);
    let lapsing = story.request(8, RequestKind::Initial, now);
    let lapsing = story.take(&lapsing, Take::Hold, now);
    let proposed = story.request(9, RequestKind::Initial, now);
    story.take(&proposed, Take::Propose, now);
    let later = now + SignedDuration::from_hours(1);
    let expired = story.apply(story.book.decide_expire(later));
    assert!(expired.iter().any(|change| matches!(
        change,
        Change::SetStatus { appointment, cancellation: Some(c), .. }
            if *appointment == lapsing && c.reason == CancellationReason::HoldExpired
    )));

    // Cancellations by the member and by the plan; the plan's is rebooked and keeps its deadline.
    let outcome = story.book.decide_cancel(
        booked[0],
        CancellationReason::MemberRequest,
        CancelledBy::Member,
        later,
    );
    story.apply(outcome);
    let outcome = story.book.decide_cancel(
        booked[1],
        CancellationReason::ClinicianUnavailable,
        CancelledBy::Plan,
        later,
    );
    story.apply(outcome);
    let rebooking = story
        .book
        .rebooking_request(booked[1], later)
        .expect("cancelled");
    let rebooked = story.take(&rebooking, Take::Book, later);
    assert_eq!(
        story.book.appointment(rebooked).expect("booked").replaces,
        Some(booked[1])
    );
    let outcome = story.book.decide_entered_in_error(booked[2]);
    story.apply(outcome);

    // A request made long ago: every offer is late, so the booking comes with an out-of-network
    // arrangement. One nobody can see (Sundays, late at night): the arrangement alone.
    let stale = story.request(10, RequestKind::Initial, local(date(2025, 10, 1), 9, 0));
    story.take(&stale, Take::Book, now);
    let mut nobody = story.request(11, RequestKind::Initial, now);
    nobody.preferences = Preferences {
        weekdays: WeekdayMask::new(&[Weekday::Sunday]).expect("a day"),
        earliest_start: Time::new(23, 0, 0, 0).expect("a time"),
        latest_start: Time::new(23, 30, 0, 0).expect("a time"),
    };
    let offers = story
        .book
        .find(&story.region, rules(), &nobody, now)
        .expect("find");
    assert!(offers.best().is_none(), "nobody works Sunday nights");
    let outcome = story.book.decide_arrange(&offers);
    story.apply(outcome);

    // The waitlist: one request waits and withdraws, one waits and is proposed freed time.
    let mut picky = story.request(12, RequestKind::Initial, later);
    picky.preferences = Preferences {
        weekdays: WeekdayMask::new(&[Weekday::Tuesday, Weekday::Thursday]).expect("days"),
        earliest_start: Time::new(9, 30, 0, 0).expect("a time"),
        latest_start: Time::new(16, 0, 0, 0).expect("a time"),
    };
    let offers = story
        .book
        .find(&story.region, rules(), &picky, later)
        .expect("find");
    let outcome = story.book.decide_wait(&picky, &offers, later);
    story.apply(outcome);
    let outcome = story.book.decide_unwait(picky.id);
    story.apply(outcome);
    let waiting = story.request(13, RequestKind::Initial, later);
    let offers = story
        .book
        .find(&story.region, rules(), &waiting, later)
        .expect("find");
    let outcome = story.book.decide_wait(&waiting, &offers, later);
    story.apply(outcome);
    let outcome = story
        .book
        .decide_propose_waitlist(&story.region, rules(), later)
        .expect("find");
    let proposals = story.apply(outcome);
    assert!(proposals.iter().any(|change| matches!(
        change,
        Change::Create(appointment) if appointment.status == AppointmentStatus::Proposed
    )));
    assert!(proposals.contains(&Change::Unwait(waiting.id)));

    // An episode: opened, its intake attached, a follow-up booked at the cadence and attached,
    // the cadence changed, discharged.
    let intake = story.book.appointment(booked[3]).expect("booked");
    let outcome = story.book.decide_open_episode(
        intake.request.member,
        intake.clinician,
        Cadence::Weekly,
        LongerWait::Documented,
        Preferences {
            weekdays: WeekdayMask::MONDAY_TO_FRIDAY,
            earliest_start: Time::new(8, 15, 0, 0).expect("a time"),
            latest_start: Time::MAX,
        },
    );
    story.apply(outcome);
    let episode = EpisodeId(0);
    let outcome = story.book.decide_attach(episode, intake.id);
    story.apply(outcome);
    let follow_up_request = RequestId(story.next_request);
    story.next_request += 1;
    let follow_up = story
        .book
        .next_follow_up(episode, follow_up_request, rules(), later)
        .expect("a rule")
        .expect("an open episode with an intake");
    let offers = story
        .book
        .find_within(
            &story.region,
            rules(),
            &follow_up.request,
            &follow_up.deadline,
            follow_up.not_before,
            later,
        )
        .expect("find");
    let offer = offers.best().expect("an offer").clone();
    let outcome = story.book.decide_take(
        &story.region,
        &TakeOffer {
            request: &follow_up.request,
            offers: &offers,
            offer: &offer,
            choice: None,
            take: Take::Book,
        },
        later,
    );
    let changes = story.apply(outcome);
    let Change::Create(second) = &changes[0] else {
        panic!("a booking");
    };
    let outcome = story.book.decide_attach(episode, second.id);
    story.apply(outcome);
    let outcome = story.book.decide_cadence(episode, Cadence::Biweekly);
    story.apply(outcome);

    // Groups at one clinic: two therapists with group time, a group each; members enrol, one
    // leaves, attendance is recorded, a session is cancelled and its seats move or are cancelled.
    let therapists: Vec<ClinicianId> = story
        .internal_therapists()
        .filter(|&c| story.group_block(c).is_some())
        .collect();
    // The first facilitator will strike; the third, of the same discipline, can stand in.
    let clinician = |id: ClinicianId| &story.region.clinicians[id.index()];
    let (first, second_facilitator, third) = therapists
        .iter()
        .find_map(|&a| {
            let colleagues = || {
                therapists
                    .iter()
                    .copied()
                    .filter(move |&b| b != a && clinician(b).facility == clinician(a).facility)
            };
            let third =
                colleagues().find(|&b| clinician(b).discipline == clinician(a).discipline)?;
            let second = colleagues().find(|&b| b != third)?;
            Some((a, second, third))
        })
        .expect("a clinic with three therapists who have group time");
    let tuesday_group = story.create_group(first, date(2025, 12, 1), "DBT skills");
    let other_group = story.create_group(second_facilitator, date(2025, 12, 1), "Mindfulness");
    let enrolled = local(date(2025, 11, 28), 9, 0);
    for member in 20..25 {
        let outcome = story
            .book
            .decide_enrol(tuesday_group, MemberId(member), enrolled);
        story.apply(outcome);
    }
    for member in 30..34 {
        let outcome = story
            .book
            .decide_enrol(other_group, MemberId(member), enrolled);
        story.apply(outcome);
    }
    let outcome = story
        .book
        .decide_unenrol(tuesday_group, MemberId(24), later);
    story.apply(outcome);
    for (member, to) in [
        (20, AppointmentStatus::Fulfilled),
        (21, AppointmentStatus::NoShow),
        (22, AppointmentStatus::Arrived),
    ] {
        let outcome = story
            .book
            .decide_group_attendance(tuesday_group, 0, MemberId(member), to);
        story.apply(outcome);
    }
    let outcome = story.book.decide_cancel_session(
        tuesday_group,
        2,
        CancellationReason::LowEnrolment,
        CancelledBy::Plan,
        later,
    );
    let cancelled = story.apply(outcome);
    assert!(matches!(&cancelled[0], Change::CancelSession { seats, .. } if !seats.is_empty()));

    // A new template and leave for a clinician with nothing booked.
    let idle = story
        .region
        .clinicians
        .iter()
        .map(|c| c.id)
        .find(|&c| {
            story
                .book
                .appointment_briefs()
                .all(|appointment| appointment.clinician != c)
                && !story
                    .book
                    .groups()
                    .iter()
                    .any(|group| group.facilitators.contains(&c))
        })
        .expect("an idle clinician");
    let mut template = story
        .book
        .schedule(idle)
        .expect("a schedule")
        .template
        .clone();
    template.blocks.pop();
    let outcome = story
        .book
        .decide_reschedule(
            idle,
            template,
            vec![(date(2025, 12, 22), date(2025, 12, 26))],
            date(2025, 12, 8),
        )
        .expect("known clinician");
    story.apply(outcome);

    // A strike of the first facilitator and of clinicians with bookings: the replan cancels,
    // moves, reschedules and finds a substitute for the group.
    let mut struck: Vec<ClinicianId> = vec![first];
    for id in &booked[3..] {
        let brief = story.book.appointment_brief(*id).expect("booked");
        if brief.status.holds_time() {
            struck.push(brief.clinician);
        }
    }
    struck.retain(|&c| c != second_facilitator && c != third);
    struck.sort();
    struck.dedup();
    let disruption = Disruption {
        clinicians: struck,
        first: date(2025, 12, 2),
        last: date(2025, 12, 12),
        reason: DisruptionReason::Strike,
    };
    let costs = ReplanCosts::STANDARD;
    let context = ReplanContext {
        region: &story.region,
        book: &story.book,
        rules: rules(),
        costs: &costs,
    };
    let replan = plan(&context, &disruption, later, &mut |_| {}).expect("plans");
    let changes = replan.changes(&story.book, later);
    let kinds: Vec<&str> = changes.iter().map(kind).collect();
    for expected in ["set-status", "reschedule", "create", "substitute"] {
        assert!(kinds.contains(&expected), "{expected} in {kinds:?}");
    }
    story.apply_changes(changes);

    // Attendance and the discharge, a month on.
    let january = local(date(2026, 1, 2), 18, 0);
    let outcome = story
        .book
        .decide_attendance(intake.id, AppointmentStatus::Fulfilled, january);
    story.apply(outcome);
    let outcome = story.book.decide_discharge(episode, january);
    story.apply(outcome);

    story.check_replica();
    let mut seen: Vec<&str> = story.journal.iter().map(kind).collect();
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(seen.len(), 16, "every kind of change: {seen:?}");
}

/// One change of each kind, built by hand so that only a change of the format moves the
/// snapshot.
fn one_of_each() -> Vec<Change> {
    let at = |text: &str| -> Timestamp { text.parse().expect("an instant") };
    let request = Request {
        id: RequestId(41),
        member: MemberId(7),
        kind: RequestKind::FollowUp,
        requested: at("2025-12-01T16:00:00Z"),
        prior_appointment: Some(at("2025-11-24T17:00:00Z")),
        clinical_exception: Some(date(2025, 12, 22)),
        treating_clinician: Some(ClinicianId(3)),
        preferences: Preferences {
            weekdays: WeekdayMask::new(&[Weekday::Monday, Weekday::Wednesday]).expect("days"),
            earliest_start: Time::new(9, 0, 0, 0).expect("a time"),
            latest_start: Time::MAX,
        },
    };
    let cancellation = Cancellation {
        reason: CancellationReason::Strike,
        by: CancelledBy::Plan,
        at: at("2025-12-01T20:00:00Z"),
    };
    let appointment = Appointment {
        id: AppointmentId(12),
        request: request.clone(),
        deadline: at("2025-12-16T08:00:00Z"),
        offered: OfferRecord {
            clinician: ClinicianId(3),
            start: at("2025-12-08T17:00:00Z"),
            timeliness: Timeliness::Late { business_days: 2 },
        },
        clinician: ClinicianId(4),
        facility: FacilityId(1),
        start: at("2025-12-09T17:30:00Z"),
        length: 60,
        time: FreeKind::UrgentHold,
        modality: Modality::InPerson,
        interpreter: Some(Language::SPANISH),
        route: Route::Internal,
        status: AppointmentStatus::Pending,
        expires: Some(at("2025-12-01T16:15:00Z")),
        cancellation: None,
        replaces: Some(AppointmentId(5)),
        overbooks: Some(AppointmentId(11)),
    };
    let block = |day, start: (i8, i8), end: (i8, i8), kind| Block {
        day,
        range: DayRange::new(
            Time::new(start.0, start.1, 0, 0).expect("a time"),
            Time::new(end.0, end.1, 0, 0).expect("a time"),
        )
        .expect("a range"),
        kind,
    };
    let schedule = Schedule {
        clinician: ClinicianId(4),
        pool: Pool::INTERNAL_THERAPY,
        time_zone: la(),
        template: Template {
            fte: Fte::from_hundredths(75).expect("an FTE"),
            blocks: vec![
                block(Weekday::Monday, (9, 0), (12, 0), BlockKind::Direct),
                block(Weekday::Monday, (13, 0), (14, 30), BlockKind::Group),
            ],
        },
        calendar: BusinessCalendar::new(
            WeekdayMask::MONDAY_TO_FRIDAY,
            builtin::holiday_calendar("california-state").expect("built in"),
        )
        .with_closure(date(2025, 12, 24)),
        leave: vec![(date(2025, 12, 15), date(2025, 12, 19))],
    };
    // A calendar that is not built in travels with its rules.
    let own_holidays = HolidayCalendar::new(
        "clinic-days".to_owned(),
        "The clinic's own closing days".to_owned(),
        "Clinic policy 2025".to_owned(),
        vec![
            Holiday {
                name: "Thanksgiving".to_owned(),
                date: HolidayDate::NthWeekday {
                    n: 4,
                    weekday: Weekday::Thursday,
                    month: 11,
                },
                observance: Observance::Actual,
                source: "Policy 1".to_owned(),
            },
            Holiday {
                name: "Day after Thanksgiving".to_owned(),
                date: HolidayDate::DayAfter(0),
                observance: Observance::Actual,
                source: "Policy 2".to_owned(),
            },
            Holiday {
                name: "Memorial Day".to_owned(),
                date: HolidayDate::LastWeekday {
                    weekday: Weekday::Monday,
                    month: 5,
                },
                observance: Observance::Actual,
                source: "Policy 3".to_owned(),
            },
            Holiday {
                name: "New Year".to_owned(),
                date: HolidayDate::Fixed { month: 1, day: 1 },
                observance: Observance::NearestWeekday,
                source: "Policy 4".to_owned(),
            },
        ],
    )
    .expect("valid rules");
    let own_schedule = Schedule {
        calendar: BusinessCalendar::new(
            WeekdayMask::new(&[Weekday::Monday, Weekday::Tuesday, Weekday::Saturday])
                .expect("days"),
            own_holidays,
        ),
        leave: Vec::new(),
        ..schedule.clone()
    };
    vec![
        Change::Create(Box::new(appointment)),
        Change::SetStatus {
            appointment: AppointmentId(12),
            from: AppointmentStatus::Booked,
            to: AppointmentStatus::Cancelled,
            cancellation: Some(cancellation),
        },
        Change::Arrange(OutOfNetworkArrangement {
            request: RequestId(41),
            requested: at("2025-12-01T16:00:00Z"),
            member: MemberId(7),
            kind: RequestKind::Initial,
            deadline: at("2025-12-16T08:00:00Z"),
        }),
        Change::Wait(Box::new(WaitlistEntry {
            request: Request {
                preferences: Preferences::ANY,
                prior_appointment: None,
                clinical_exception: None,
                treating_clinician: None,
                kind: RequestKind::Initial,
                ..request
            },
            deadline: at("2025-12-16T08:00:00Z"),
            since: at("2025-12-01T16:00:00.5Z"),
        })),
        Change::Unwait(RequestId(41)),
        Change::CreateGroup(Box::new(Group {
            id: GroupId(2),
            name: "DBT skills, \"Tuesday\"".to_owned(),
            facilitators: vec![ClinicianId(3), ClinicianId(4)],
            facility: FacilityId(1),
            capacity: 8,
            roster: vec![MemberId(7), MemberId(9)],
            sessions: vec![
                GroupSession {
                    start: at("2025-12-02T21:00:00Z"),
                    length: 90,
                    cancellation: None,
                    seats: vec![
                        Seat {
                            member: MemberId(7),
                            status: AppointmentStatus::Fulfilled,
                        },
                        Seat {
                            member: MemberId(9),
                            status: AppointmentStatus::NoShow,
                        },
                    ],
                    substitutes: vec![(ClinicianId(3), ClinicianId(6))],
                },
                GroupSession {
                    start: at("2025-12-09T21:00:00Z"),
                    length: 90,
                    cancellation: Some(cancellation),
                    seats: vec![Seat {
                        member: MemberId(7),
                        status: AppointmentStatus::Cancelled,
                    }],
                    substitutes: Vec::new(),
                },
            ],
        })),
        Change::Enrol {
            group: GroupId(2),
            member: MemberId(11),
            from: at("2025-12-03T00:00:00Z"),
        },
        Change::Unenrol {
            group: GroupId(2),
            member: MemberId(9),
            from: at("2025-12-03T00:00:00Z"),
        },
        Change::CancelSession {
            group: GroupId(2),
            session: 1,
            cancellation,
            seats: vec![
                (
                    MemberId(7),
                    SeatOutcome::Moved {
                        group: GroupId(3),
                        session: 4,
                    },
                ),
                (MemberId(11), SeatOutcome::Cancelled),
            ],
        },
        Change::Reschedule {
            clinician: ClinicianId(4),
            schedule: Box::new(schedule),
            from: date(2025, 12, 8),
        },
        Change::Reschedule {
            clinician: ClinicianId(4),
            schedule: Box::new(own_schedule),
            from: date(2025, 12, 8),
        },
        Change::OpenEpisode(Box::new(Episode {
            id: EpisodeId(1),
            member: MemberId(7),
            clinician: ClinicianId(3),
            cadence: Cadence::Weekly,
            longer_wait: LongerWait::NotDocumented,
            preferences: Preferences::ANY,
            discharged: None,
            appointments: EpisodeAppointments::from_slice(&[AppointmentId(12)]),
        })),
        Change::Attach {
            episode: EpisodeId(1),
            appointment: AppointmentId(13),
        },
        Change::SetCadence {
            episode: EpisodeId(1),
            from: Cadence::Weekly,
            to: Cadence::Monthly,
        },
        Change::Discharge {
            episode: EpisodeId(1),
            at: at("2026-03-02T17:00:00Z"),
        },
        Change::Substitute {
            group: GroupId(2),
            session: 0,
            absent: ClinicianId(3),
            substitute: ClinicianId(6),
        },
        Change::SeatStatus {
            group: GroupId(2),
            session: 0,
            member: MemberId(7),
            from: AppointmentStatus::Booked,
            to: AppointmentStatus::Arrived,
        },
    ]
}

#[test]
fn the_format_of_each_kind_of_change_is_pinned() {
    let changes = one_of_each();
    let mut lines = String::new();
    for change in &changes {
        let line = encode_change(change);
        assert_eq!(decode_change(&line).as_ref(), Ok(change), "{line}");
        lines.push_str(&line);
        lines.push('\n');
    }
    insta::assert_snapshot!(lines);
}

#[test]
fn each_kind_of_change_reads_back_from_a_snapshot() {
    for change in one_of_each() {
        assert_eq!(
            repack(&change),
            Ok(change.clone()),
            "{}",
            encode_change(&change)
        );
    }
}

/// `change` encoded, with `edit` applied to its JSON, decoded.
fn edited(change: &Change, edit: impl FnOnce(&mut serde_json::Value)) -> Result<Change, WireError> {
    let mut value: serde_json::Value =
        serde_json::from_str(&encode_change(change)).expect("the encoder writes JSON");
    edit(&mut value);
    decode_change(&value.to_string())
}

fn field(path: &str, message: &str) -> Result<Change, WireError> {
    Err(WireError::Field {
        path: path.to_owned(),
        message: message.to_owned(),
    })
}

#[test]
fn a_bad_row_is_refused_with_the_path_of_its_field_and_without_its_value() {
    let changes = one_of_each();
    let [create, set_status, .., reschedule, _, _, _, _, _, _, _] = &changes[..] else {
        panic!("one of each");
    };
    let planted = "Maria Lopez 1980-02-29";
    let tricky = "Maria`, expected `Lopez\", expected 1980`, there are no fields";
    let cases: Vec<(Result<Change, WireError>, Result<Change, WireError>)> = vec![
        // Wrong types.
        (
            edited(create, |doc| {
                doc["appointment"]["request"]["member"] = planted.into()
            }),
            field(
                "appointment.request.member",
                "invalid type: string, expected u32",
            ),
        ),
        (
            edited(create, |doc| {
                doc["appointment"]["start"] = 1764605400.into()
            }),
            field(
                "appointment.start",
                "invalid type: integer, expected an instant in UTC such as 2025-12-01T16:00:00Z",
            ),
        ),
        (
            edited(create, |doc| doc["appointment"]["length"] = 1.5.into()),
            field(
                "appointment.length",
                "invalid type: floating point, expected u32",
            ),
        ),
        // A value that spells serde's own words is still cut out whole.
        (
            edited(create, |doc| doc["appointment"]["id"] = tricky.into()),
            field("appointment.id", "invalid type: string, expected u32"),
        ),
        (
            edited(set_status, |doc| doc["cancellation"]["by"] = tricky.into()),
            field(
                "cancellation.by",
                "unknown variant, expected `member` or `plan`",
            ),
        ),
        (
            edited(set_status, |doc| doc["cancellation"][tricky] = 1.into()),
            field(
                "cancellation",
                "unknown field, expected one of `reason`, `by`, `at`",
            ),
        ),
        // Unknown variants, an unknown change, an unknown version.
        (
            edited(set_status, |doc| doc["to"] = planted.into()),
            field(
                "to",
                "expected a FHIR appointment status: proposed, pending, booked, arrived, \
                 fulfilled, cancelled, noshow or entered-in-error",
            ),
        ),
        (
            edited(set_status, |doc| doc["cancellation"]["by"] = planted.into()),
            field(
                "cancellation.by",
                "unknown variant, expected `member` or `plan`",
            ),
        ),
        (
            edited(create, |doc| {
                doc["appointment"]["offered"]["timeliness"] =
                    serde_json::json!({ planted: { "business_days": 1 } });
            }),
            field(
                "appointment.offered.timeliness",
                "unknown variant, expected `met` or `late`",
            ),
        ),
        (
            edited(create, |doc| {
                doc["appointment"]["modality"] = planted.into()
            }),
            field(
                "appointment.modality",
                "expected one of: in-person, video, phone",
            ),
        ),
        (
            edited(create, |doc| doc["change"] = planted.into()),
            field(
                "change",
                "unknown change (expected one of: create, set-status, arrange, wait, unwait, \
                 create-group, enrol, unenrol, cancel-session, reschedule, open-episode, attach, \
                 set-cadence, discharge, substitute, seat-status)",
            ),
        ),
        (
            edited(create, |doc| doc["v"] = 2.into()),
            Err(WireError::UnknownVersion { found: 2 }),
        ),
        // Out of range: an id, an FTE, a block that ends before it starts, a rule's month, an
        // instant with an offset, a day that does not exist, an empty set of weekdays.
        (
            edited(set_status, |doc| {
                doc["appointment"] = 4_294_967_296_u64.into()
            }),
            field("appointment", "invalid value: integer, expected u32"),
        ),
        (
            edited(reschedule, |doc| {
                doc["schedule"]["template"]["fte"] = 1.5.into()
            }),
            field(
                "schedule.template.fte",
                "an FTE is above 0 and at most 1.0, in hundredths",
            ),
        ),
        (
            edited(reschedule, |doc| {
                doc["schedule"]["template"]["blocks"][1]["end"] = "12:45".into();
            }),
            field(
                "schedule.template.blocks[1].end",
                "a block must end after it starts",
            ),
        ),
        (
            edited(&changes[10], |doc| {
                doc["schedule"]["calendar"]["holiday_rules"]["rules"][3]["date"]["fixed"]["month"] =
                    13.into();
            }),
            field(
                "schedule.calendar.holiday_rules.rules",
                "a rule's month, day or nth weekday is out of range",
            ),
        ),
        (
            edited(create, |doc| {
                doc["appointment"]["deadline"] = "2025-12-16T00:00:00-08:00".into();
            }),
            field(
                "appointment.deadline",
                "expected an instant in UTC such as 2025-12-01T16:00:00Z",
            ),
        ),
        (
            edited(reschedule, |doc| {
                doc["schedule"]["leave"][0]["last"] = "2025-02-30".into()
            }),
            field(
                "schedule.leave[0].last",
                "expected a date such as 2025-12-01",
            ),
        ),
        (
            edited(create, |doc| {
                doc["appointment"]["request"]["preferences"]["weekdays"] = serde_json::json!([]);
            }),
            field(
                "appointment.request.preferences.weekdays",
                "at least one weekday is needed",
            ),
        ),
        (
            edited(reschedule, |doc| {
                doc["schedule"]["calendar"]["holidays"] = planted.into();
            }),
            field(
                "schedule.calendar.holidays",
                "unknown holiday calendar (expected a built-in one, or none)",
            ),
        ),
        // Unknown and missing fields.
        (
            edited(create, |doc| doc["appointment"][planted] = 1.into()),
            field(
                "appointment",
                "unknown field, expected one of `id`, `request`, `deadline`, `offered`, \
                 `clinician`, `facility`, `start`, `length`, `time`, `modality`, `interpreter`, \
                 `route`, `status`, `expires`, `cancellation`, `replaces`, `overbooks`",
            ),
        ),
        (
            edited(create, |doc| {
                doc["appointment"]
                    .as_object_mut()
                    .expect("an object")
                    .remove("deadline");
            }),
            field("appointment.deadline", "missing field `deadline`"),
        ),
        (
            edited(create, |doc| {
                doc.as_object_mut().expect("an object").remove("v");
            }),
            field("v", "missing field `v`"),
        ),
    ];
    for (actual, expected) in cases {
        assert_eq!(actual, expected);
        let message = actual.expect_err("refused").to_string();
        assert!(!message.contains("Maria"), "{message}");
        assert!(!message.contains("Lopez"), "{message}");
        assert!(!message.contains('\n'), "{message}");
    }
    // Not JSON, or more than one document.
    let line = encode_change(create);
    for text in ["", "{", &line[..line.len() - 1], &format!("{line}{line}")] {
        assert!(
            matches!(decode_change(text), Err(WireError::Syntax { .. })),
            "{text}"
        );
    }
}

fn instant() -> impl Strategy<Value = Timestamp> {
    (Timestamp::MIN.as_nanosecond()..=Timestamp::MAX.as_nanosecond())
        .prop_map(|nanos| Timestamp::from_nanosecond(nanos).expect("in range"))
}

proptest! {
    #[test]
    fn instants_and_ids_read_back(
        ids in prop::array::uniform4(any::<u32>()),
        session in any::<u32>(),
        times in prop::array::uniform3(instant()),
        clock in (0..24i8, 0..60i8, 0..60i8, 0..1_000_000_000i32),
    ) {
        let [first, second, third, fourth] = ids;
        let [requested, deadline, since] = times;
        let latest = Time::new(clock.0, clock.1, clock.2, clock.3).expect("a time");
        let changes = [
            Change::Discharge { episode: EpisodeId(first), at: requested },
            Change::Substitute {
                group: GroupId(first),
                session: session as usize,
                absent: ClinicianId(second),
                substitute: ClinicianId(third),
            },
            Change::Wait(Box::new(WaitlistEntry {
                request: Request {
                    id: RequestId(first),
                    member: MemberId(second),
                    kind: RequestKind::PostDischarge,
                    requested,
                    prior_appointment: Some(since),
                    clinical_exception: None,
                    treating_clinician: Some(ClinicianId(fourth)),
                    preferences: Preferences {
                        weekdays: WeekdayMask::EVERY_DAY,
                        earliest_start: Time::MIN,
                        latest_start: latest,
                    },
                },
                deadline,
                since,
            })),
        ];
        for change in changes {
            let line = encode_change(&change);
            prop_assert_eq!(repack(&change), Ok(change.clone()), "{}", line);
            prop_assert_eq!(decode_change(&line), Ok(change), "{}", line);
        }
    }

    /// Appointments and status changes, which a snapshot packs field by field (instants as
    /// seconds and nanoseconds), with every optional field present or not.
    #[test]
    fn appointments_read_back_from_a_snapshot(
        ids in prop::array::uniform4(any::<u32>()),
        times in prop::array::uniform4(instant()),
        present in prop::array::uniform4(any::<bool>()),
        late in any::<u32>(),
    ) {
        let [first, second, third, fourth] = ids;
        let [requested, deadline, start, cancelled] = times;
        let some = |on: bool, value: Timestamp| on.then_some(value);
        let mut appointment = match one_of_each().swap_remove(0) {
            Change::Create(appointment) => *appointment,
            other => panic!("one_of_each starts with a create: {other:?}"),
        };
        appointment.id = AppointmentId(first);
        appointment.request.id = RequestId(second);
        appointment.request.member = MemberId(third);
        appointment.request.requested = requested;
        appointment.request.prior_appointment = some(present[0], start);
        appointment.request.treating_clinician = present[1].then_some(ClinicianId(fourth));
        appointment.request.preferences = if present[2] {
            appointment.request.preferences
        } else {
            Preferences::ANY
        };
        appointment.deadline = deadline;
        appointment.start = start;
        appointment.offered.start = start;
        appointment.offered.timeliness = if present[3] {
            Timeliness::Late { business_days: late }
        } else {
            Timeliness::Met
        };
        appointment.expires = some(present[1], deadline);
        appointment.interpreter = present[2].then_some(Language::SPANISH);
        appointment.replaces = present[3].then_some(AppointmentId(fourth));
        appointment.overbooks = present[2].then_some(AppointmentId(fourth));
        let cancellation = present[0].then_some(Cancellation {
            reason: CancellationReason::Strike,
            by: CancelledBy::Plan,
            at: cancelled,
        });
        appointment.cancellation = cancellation;
        let changes = [
            Change::Create(Box::new(appointment)),
            Change::SetStatus {
                appointment: AppointmentId(first),
                from: AppointmentStatus::Booked,
                to: AppointmentStatus::Cancelled,
                cancellation,
            },
        ];
        for change in changes {
            prop_assert_eq!(repack(&change), Ok(change.clone()), "{}", encode_change(&change));
        }
    }
}

#[test]
fn zones_without_an_iana_name_read_back() {
    let Change::Reschedule {
        clinician,
        schedule,
        from,
    } = one_of_each().swap_remove(9)
    else {
        panic!("a reschedule");
    };
    for zone in [
        TimeZone::UTC,
        TimeZone::fixed(jiff::tz::offset(-8)),
        TimeZone::posix("PST8PDT,M3.2.0,M11.1.0").expect("a POSIX rule"),
    ] {
        let change = Change::Reschedule {
            clinician,
            schedule: Box::new(Schedule {
                time_zone: zone,
                ..(*schedule).clone()
            }),
            from,
        };
        let line = encode_change(&change);
        assert_eq!(decode_change(&line), Ok(change), "{line}");
    }
}
