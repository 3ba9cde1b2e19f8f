//! Group sessions: capacity, roster, DST-safe series, and cancellations that say what happened to
//! every seat.

mod support;

use caretime_core::id::{ClinicianId, GroupId, MemberId};
use caretime_core::slug::Slug;
use caretime_engine::availability::Horizon;
use caretime_engine::book::{
    ApplyError, AppointmentStatus, Book, BookPolicy, CancellationReason, CancelledBy, Change,
    Changes, Outcome, Refusal,
};
use caretime_engine::episode::Cadence;
use caretime_engine::group::{
    DEFAULT_GROUP_CAPACITY, GroupRefusal, NewGroup, SeatOutcome, StaleGroup,
};
use jiff::civil::date;
use jiff::tz::TimeZone;
use support::{at, region};

fn book() -> Book {
    let horizon = Horizon {
        first: date(2025, 10, 27),
        last: date(2025, 11, 21),
    };
    Book::new(&region(), horizon, &[], BookPolicy::STANDARD).expect("valid")
}

fn new_group(name: &str, facilitator: u32, first: &str, capacity: u8) -> NewGroup {
    NewGroup {
        name: name.to_owned(),
        facilitators: vec![ClinicianId(facilitator)],
        capacity,
        first: at(first).to_zoned(TimeZone::get("America/Los_Angeles").expect("bundled")),
        cadence: Cadence::Weekly,
        sessions: 3,
        length: 90,
    }
}

/// When the tests' members enrol: before every session of the tests' groups.
fn enrolled() -> jiff::Timestamp {
    at("2025-10-27T08:00:00-07:00")
}

/// Decides on the book, then applies the accepted changes.
fn apply(book: &mut Book, decide: impl FnOnce(&Book) -> Outcome) -> Changes {
    match decide(book) {
        Outcome::Accepted(changes) => {
            book.apply(&changes).expect("decided on this book");
            changes
        }
        Outcome::Refused(refusals) => panic!("refused: {refusals:?}"),
    }
}

fn group_refusals(outcome: &Outcome) -> Vec<GroupRefusal> {
    outcome
        .refusals()
        .iter()
        .filter_map(|refusal| match refusal {
            Refusal::Group(group) => Some(group.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn a_group_runs_in_group_time_with_at_most_twelve_seats_at_the_same_wall_time() {
    let region = region();
    let mut book = book();
    // Thirteen seats, and a session at 09:00 (direct time, not group time): both refused.
    let outcome = book.decide_create_group(
        &region,
        &new_group("Too big", 0, "2025-10-28T09:00:00-07:00", 13),
    );
    assert_eq!(
        group_refusals(&outcome)[..2],
        [
            GroupRefusal::Capacity(13),
            GroupRefusal::NotGroupTime {
                clinician: ClinicianId(0),
                start: at("2025-10-28T09:00:00-07:00")
            }
        ]
    );
    // Tuesdays 13:00 from 2025-10-28 (PDT) across the DST change: 13:00 PST after it.
    apply(&mut book, |book| {
        book.decide_create_group(
            &region,
            &new_group(
                "DBT skills",
                0,
                "2025-10-28T13:00:00-07:00",
                DEFAULT_GROUP_CAPACITY,
            ),
        )
    });
    let starts: Vec<_> = book.groups()[0]
        .sessions
        .iter()
        .map(|session| session.start)
        .collect();
    assert_eq!(
        starts,
        [
            at("2025-10-28T13:00:00-07:00"),
            at("2025-11-04T13:00:00-08:00"),
            at("2025-11-11T13:00:00-08:00")
        ]
    );
    // Enrol eight: the ninth is refused.
    for member in 0..8 {
        apply(&mut book, |book| {
            book.decide_enrol(GroupId(0), MemberId(member), enrolled())
        });
    }
    assert_eq!(
        group_refusals(&book.decide_enrol(GroupId(0), MemberId(8), enrolled())),
        [GroupRefusal::Full]
    );
    assert!(
        book.groups()[0]
            .sessions
            .iter()
            .all(|session| session.seats.len() == 8)
    );
}

#[test]
fn cancelling_a_session_needs_a_reason_and_moves_or_cancels_every_seat() {
    let region = region();
    let mut book = book();
    // Two groups at the same clinic: Tuesdays (clinician 0) and Thursdays (clinician 1), 3 seats.
    apply(&mut book, |book| {
        book.decide_create_group(
            &region,
            &new_group("Tuesday", 0, "2025-11-04T13:00:00-08:00", 3),
        )
    });
    apply(&mut book, |book| {
        book.decide_create_group(
            &region,
            &new_group("Thursday", 1, "2025-11-06T13:00:00-08:00", 3),
        )
    });
    for member in 0..3 {
        apply(&mut book, |book| {
            book.decide_enrol(GroupId(0), MemberId(member), enrolled())
        });
    }
    apply(&mut book, |book| {
        book.decide_enrol(GroupId(1), MemberId(9), enrolled())
    });
    // Strike on Tuesday 2025-11-11, decided on Friday 11-07. Sessions of other groups at the same
    // clinic within a week of it and still ahead: only Thursday 11-13 (11-06 is past, 11-20 is
    // nine days away), which has member 9 and so two free seats. Members 0 and 1 move there;
    // member 2 finds it full and is cancelled.
    let now = at("2025-11-07T12:00:00-08:00");
    let changes = apply(&mut book, |book| {
        book.decide_cancel_session(
            GroupId(0),
            1,
            CancellationReason::Strike,
            CancelledBy::Plan,
            now,
        )
    });
    let Change::CancelSession {
        seats,
        cancellation,
        ..
    } = &changes[0]
    else {
        panic!("a session cancellation");
    };
    assert_eq!(cancellation.reason.slug(), "strike");
    let moved_to_13th = SeatOutcome::Moved {
        group: GroupId(1),
        session: 1,
    };
    assert_eq!(
        seats,
        &[
            (MemberId(0), moved_to_13th),
            (MemberId(1), moved_to_13th),
            (MemberId(2), SeatOutcome::Cancelled)
        ]
    );
    let tuesday = &book.groups()[0].sessions[1];
    assert!(tuesday.cancellation.is_some());
    assert!(
        tuesday
            .seats
            .iter()
            .all(|seat| seat.status == AppointmentStatus::Cancelled)
    );
    assert_eq!(book.groups()[1].sessions[1].seats.len(), 3);
    // Cancelling it again, or a past session, is refused.
    assert_eq!(
        group_refusals(&book.decide_cancel_session(
            GroupId(0),
            1,
            CancellationReason::Strike,
            CancelledBy::Plan,
            now
        )),
        [GroupRefusal::AlreadyCancelled]
    );
    assert_eq!(
        group_refusals(&book.decide_cancel_session(
            GroupId(0),
            0,
            CancellationReason::LowEnrolment,
            CancelledBy::Plan,
            now
        )),
        [GroupRefusal::Past]
    );
    // Attendance at the first session.
    apply(&mut book, |book| {
        book.decide_group_attendance(GroupId(0), 0, MemberId(0), AppointmentStatus::NoShow)
    });
    assert_eq!(
        group_refusals(&book.decide_group_attendance(
            GroupId(0),
            0,
            MemberId(0),
            AppointmentStatus::Fulfilled
        )),
        [GroupRefusal::Transition {
            from: AppointmentStatus::NoShow,
            to: AppointmentStatus::Fulfilled
        }]
    );
}

#[test]
fn a_member_who_leaves_gives_up_the_seats_ahead_and_a_failed_batch_leaves_the_groups_as_they_were()
{
    let region = region();
    let mut book = book();
    apply(&mut book, |book| {
        book.decide_create_group(
            &region,
            &new_group("Tuesday", 0, "2025-10-28T13:00:00-07:00", 3),
        )
    });
    for member in 0..3 {
        apply(&mut book, |book| {
            book.decide_enrol(GroupId(0), MemberId(member), enrolled())
        });
    }
    // Member 1 leaves after the first session (on 2025-11-01): the first session keeps the seat,
    // the two after it lose it, and the roster has room again.
    apply(&mut book, |book| {
        book.decide_unenrol(GroupId(0), MemberId(1), at("2025-11-01T09:00:00-07:00"))
    });
    let seats = |book: &Book, session: usize| -> Vec<MemberId> {
        book.groups()[0].sessions[session]
            .seats
            .iter()
            .map(|seat| seat.member)
            .collect()
    };
    assert_eq!(seats(&book, 0), [MemberId(0), MemberId(1), MemberId(2)]);
    assert_eq!(seats(&book, 1), [MemberId(0), MemberId(2)]);
    assert_eq!(seats(&book, 2), [MemberId(0), MemberId(2)]);
    assert_eq!(book.groups()[0].roster, [MemberId(0), MemberId(2)]);
    // Member 5 joins on the same day: a seat in the sessions ahead, none in the one past.
    apply(&mut book, |book| {
        book.decide_enrol(GroupId(0), MemberId(5), at("2025-11-01T09:00:00-07:00"))
    });
    assert_eq!(seats(&book, 0), [MemberId(0), MemberId(1), MemberId(2)]);
    assert_eq!(seats(&book, 1), [MemberId(0), MemberId(2), MemberId(5)]);
    assert_eq!(
        book.groups()[0].roster,
        [MemberId(0), MemberId(2), MemberId(5)]
    );
    assert_eq!(
        group_refusals(&book.decide_unenrol(
            GroupId(0),
            MemberId(1),
            at("2025-11-02T09:00:00-08:00")
        )),
        [GroupRefusal::NotEnrolled]
    );
    // A batch whose second change is stale (member 0 is already enrolled) fails whole: the
    // first change (member 7 enrolled) is undone too.
    let before = book.groups().to_vec();
    let batch = [
        Change::Enrol {
            group: GroupId(0),
            member: MemberId(7),
            from: enrolled(),
        },
        Change::Enrol {
            group: GroupId(0),
            member: MemberId(0),
            from: enrolled(),
        },
    ];
    let stale_roster = ApplyError::StaleGroup(StaleGroup::RosterChanged(GroupId(0)));
    assert_eq!(book.apply(&batch), Err(stale_roster.clone()));
    assert_eq!(stale_roster.to_string(), "group-0: the roster changed");
    assert_eq!(book.groups(), &before[..]);
    // A stale change alone (the batch's last, kept without a copy of its group) writes nothing
    // either: enrolling twice, unenrolling a stranger.
    for stale in [
        Change::Enrol {
            group: GroupId(0),
            member: MemberId(0),
            from: enrolled(),
        },
        Change::Unenrol {
            group: GroupId(0),
            member: MemberId(9),
            from: enrolled(),
        },
    ] {
        assert_eq!(book.apply(&[stale]), Err(stale_roster.clone()));
        assert_eq!(book.groups(), &before[..]);
    }
}
