//! Replanning a disruption: optimal moves, applied atomically through the book.

#[path = "../../caretime-engine/tests/support/mod.rs"]
mod support;

use caretime_core::id::{AppointmentId, ClinicianId, GroupId, MemberId};
use caretime_core::request::{Request, RequestKind};
use caretime_engine::availability::Horizon;
use caretime_engine::book::{
    AppointmentStatus, Book, BookPolicy, CancellationReason, CancelledBy, Change, Choice, Outcome,
    Take, TakeOffer,
};
use caretime_engine::episode::Cadence;
use caretime_engine::find::{Route, Timeliness};
use caretime_engine::group::{NewGroup, SeatOutcome};
use caretime_replan::{
    Disruption, DisruptionReason, GroupDecision, Replan, ReplanContext, ReplanCosts, plan,
};
use jiff::Timestamp;
use jiff::civil::date;
use support::{at, region, request, rules};

/// Books `request` with clinician 0 at `start` (the member's choice, later than the offer).
fn book_at(book: &mut Book, request: &Request, start: &str, now: Timestamp) {
    let region = region();
    let offers = book.find(&region, rules(), request, now).expect("find");
    let offer = offers.best().expect("an offer").clone();
    let outcome = book.decide_take(
        &region,
        &TakeOffer {
            request,
            offers: &offers,
            offer: &offer,
            choice: Some(Choice {
                clinician: ClinicianId(0),
                start: at(start),
            }),
            take: Take::Book,
        },
        now,
    );
    let Outcome::Accepted(changes) = outcome else {
        panic!("refused: {:?}", outcome.refusals());
    };
    book.apply(&changes).expect("applies");
}

#[test]
fn leave_moves_each_appointment_to_its_cheapest_place_and_applies_atomically() {
    let region = region();
    let rules = rules();
    let horizon = Horizon {
        first: date(2025, 12, 1),
        last: date(2025, 12, 19),
    };
    let mut book = Book::new(&region, horizon, &[], BookPolicy::STANDARD).expect("valid");
    let monday = at("2025-12-01T08:00:00-08:00");
    // A: requested Monday Dec 1, deadline end of Monday Dec 15; booked Tuesday Dec 2 09:00.
    let a = request(0, 0, RequestKind::Initial, "2025-12-01T08:00:00-08:00");
    book_at(&mut book, &a, "2025-12-02T09:00:00-08:00", monday);
    // B: requested Tuesday Nov 18: 10 business days are Nov 19, 20, 21, 24, 25, 26, (Thanksgiving
    // and the day after are holidays) Dec 1, 2, 3, 4: the last day is Thursday Dec 4. Booked
    // Wednesday Dec 3 09:00.
    let b = request(1, 0, RequestKind::Initial, "2025-11-18T08:00:00-08:00");
    book_at(&mut book, &b, "2025-12-03T09:00:00-08:00", monday);

    // Clinician 0 is on leave Tuesday and Wednesday; planned Monday at noon.
    let disruption = Disruption {
        clinicians: vec![ClinicianId(0)],
        first: date(2025, 12, 2),
        last: date(2025, 12, 3),
        reason: DisruptionReason::Leave,
    };
    let now = at("2025-12-01T12:00:00-08:00");
    let costs = ReplanCosts::STANDARD;
    let context = ReplanContext {
        region: &region,
        book: &book,
        rules,
        costs: &costs,
    };
    let replan = plan(&context, &disruption, now, &mut |_| {}).expect("plans");
    // Costs (STANDARD): another clinician 120 (continuity) + 150 if network; each day after the
    // original date 5; late 1,000 + 200 per business day. Clinician 0 is back Thursday with one
    // direct hour a day (09:00). B back with clinician 0 on Thursday (5) and A on Friday (15):
    // 20. The other way round, B on Friday is a day late (1,000 + 200 + 10). Moving either to
    // clinician 1 costs at least 120. So: B -> Thursday, A -> Friday, both with clinician 0.
    assert_eq!(replan.moves.len(), 2);
    let placed: Vec<(
        AppointmentId,
        ClinicianId,
        Timestamp,
        Route,
        Option<Timeliness>,
    )> = replan
        .moves
        .iter()
        .map(|displaced| {
            let to = displaced.to.expect("placed in network");
            (
                displaced.appointment,
                to.clinician,
                to.start,
                to.route,
                displaced.timeliness,
            )
        })
        .collect();
    assert_eq!(
        placed,
        [
            (
                AppointmentId(0),
                ClinicianId(0),
                at("2025-12-05T09:00:00-08:00"),
                Route::Continuity,
                Some(Timeliness::Met)
            ),
            (
                AppointmentId(1),
                ClinicianId(0),
                at("2025-12-04T09:00:00-08:00"),
                Route::Continuity,
                Some(Timeliness::Met)
            ),
        ]
    );
    assert_eq!(replan.cost, 20);
    let summary = replan.summary();
    assert_eq!(
        (
            summary.displaced,
            summary.internal,
            summary.network,
            summary.out_of_network
        ),
        (2, 2, 0, 0)
    );

    // Apply: both cancelled by the plan for leave, rebooked with their requests (and deadlines),
    // clinician 0 has no time on the leave days.
    let changes = replan.changes(&book, now);
    book.apply(&changes).expect("applies");
    for id in [AppointmentId(0), AppointmentId(1)] {
        let old = book.appointment(id).expect("kept");
        assert_eq!(old.status, AppointmentStatus::Cancelled);
        let cancellation = old.cancellation.expect("recorded");
        assert_eq!(cancellation.reason, CancellationReason::Leave);
        assert_eq!(cancellation.by, CancelledBy::Plan);
    }
    let rebooked: Vec<_> = book.appointments().skip(2).collect();
    assert_eq!(rebooked.len(), 2);
    assert_eq!(rebooked[0].replaces, Some(AppointmentId(0)));
    assert_eq!(
        rebooked[0].deadline,
        book.appointment(AppointmentId(0))
            .expect("in the book")
            .deadline
    );
    assert_eq!(rebooked[1].request.requested, b.requested);
    let free = book.availability().free(ClinicianId(0)).expect("known");
    assert!(free.iter().all(|interval| {
        let start = interval.start.to_timestamp().expect("in range");
        start < at("2025-12-02T00:00:00-08:00") || start >= at("2025-12-04T00:00:00-08:00")
    }));
}

/// Two weekly groups at the clinic: clinician 0's on Tuesdays (members 0 and 1), clinician 1's
/// on Thursdays (member 9), 13:00 in both therapists' group time.
fn book_with_groups() -> Book {
    let region = region();
    let horizon = Horizon {
        first: date(2025, 12, 1),
        last: date(2025, 12, 19),
    };
    let mut book = Book::new(&region, horizon, &[], BookPolicy::STANDARD).expect("valid");
    let zone = jiff::tz::TimeZone::get("America/Los_Angeles").expect("bundled");
    for (name, facilitator, first) in [
        ("Tuesday", 0, "2025-12-02T13:00:00-08:00"),
        ("Thursday", 1, "2025-12-04T13:00:00-08:00"),
    ] {
        let new = NewGroup {
            name: name.to_owned(),
            facilitators: vec![ClinicianId(facilitator)],
            capacity: 3,
            first: at(first).to_zoned(zone.clone()),
            cadence: Cadence::Weekly,
            sessions: 3,
            length: 90,
        };
        let Outcome::Accepted(changes) = book.decide_create_group(&region, &new) else {
            panic!("in group time");
        };
        book.apply(&changes).expect("applies");
    }
    for (group, member) in [(0, 0), (0, 1), (1, 9)] {
        // Enrolled before any session (the series start in November 2025).
        let enrolled = at("2025-10-01T09:00:00-07:00");
        let Outcome::Accepted(changes) =
            book.decide_enrol(GroupId(group), MemberId(member), enrolled)
        else {
            panic!("room");
        };
        book.apply(&changes).expect("applies");
    }
    book
}

fn plan_for(book: &Book, clinicians: &[u32], last: jiff::civil::Date) -> Replan {
    let (region, rules, costs) = (region(), rules(), ReplanCosts::STANDARD);
    let context = ReplanContext {
        region: &region,
        book,
        rules,
        costs: &costs,
    };
    let disruption = Disruption {
        clinicians: clinicians.iter().map(|&id| ClinicianId(id)).collect(),
        first: date(2025, 12, 2),
        last,
        reason: DisruptionReason::Strike,
    };
    plan(
        &context,
        &disruption,
        at("2025-12-01T12:00:00-08:00"),
        &mut |_| {},
    )
    .expect("plans")
}

#[test]
fn a_substitute_of_the_same_discipline_keeps_the_group() {
    let mut book = book_with_groups();
    // Clinician 0 out on Tuesday: clinician 1 (therapist, same clinic, group time free then,
    // her own group meets on Thursdays) stands in.
    let replan = plan_for(&book, &[0], date(2025, 12, 2));
    assert_eq!(
        replan.groups,
        [GroupDecision::Substituted {
            group: GroupId(0),
            session: 0,
            absent: ClinicianId(0),
            substitute: ClinicianId(1),
        }]
    );
    let summary = replan.summary();
    assert_eq!((summary.groups_kept, summary.groups_cancelled), (1, 0));
    let changes = replan.changes(&book, at("2025-12-01T12:00:00-08:00"));
    book.apply(&changes).expect("applies");
    let group = &book.groups()[0];
    let session = &group.sessions[0];
    assert!(session.cancellation.is_none());
    assert_eq!(
        session.facilitators(group).collect::<Vec<_>>(),
        [ClinicianId(1)]
    );
    assert_eq!(session.seats.len(), 2, "the whole group kept");
}

#[test]
fn without_a_substitute_sessions_are_cancelled_and_no_seat_lands_in_a_cancelled_one() {
    let mut book = book_with_groups();
    // Both therapists strike Tuesday to Thursday: no internal therapist is left (clinician 2 is
    // a network provider), so Tuesday's and Thursday's sessions are cancelled for the strike.
    let replan = plan_for(&book, &[0, 1], date(2025, 12, 4));
    assert_eq!(
        replan.groups,
        [
            GroupDecision::Cancelled {
                group: GroupId(0),
                session: 0
            },
            GroupDecision::Cancelled {
                group: GroupId(1),
                session: 0
            },
        ]
    );
    let changes = replan.changes(&book, at("2025-12-01T12:00:00-08:00"));
    book.apply(&changes).expect("applies");
    for group in [0, 1] {
        let cancellation = book.groups()[group].sessions[0]
            .cancellation
            .expect("cancelled");
        assert_eq!(cancellation.reason, CancellationReason::Strike);
    }
    // Tuesday's members were first moved to Thursday's session, which the plan also cancels:
    // every seat's final outcome is a session that still meets, or a cancellation.
    let mut outcomes = Vec::new();
    for change in &changes {
        if let Change::CancelSession { seats, .. } = change {
            outcomes.extend(seats.iter().copied());
        }
    }
    assert!(!outcomes.is_empty());
    for (member, outcome) in outcomes {
        if let SeatOutcome::Moved { group, session } = outcome {
            let moved_to = &book.groups()[group.index()].sessions[session];
            if moved_to.cancellation.is_some() {
                // Moved on again by the later cancellation.
                assert!(
                    book.groups()
                        .iter()
                        .any(|group| group.sessions.iter().any(|session| {
                            session.cancellation.is_none()
                                && session.seats.iter().any(|seat| seat.member == member)
                        }))
                        || changes.iter().any(|change| matches!(
                            change,
                            Change::CancelSession { seats, .. }
                                if seats.contains(&(member, SeatOutcome::Cancelled))
                        )),
                    "{member:?} left in a cancelled session"
                );
            }
        }
    }
}
