//! Booking over expected no-shows: an appointment on top of another of the same clinician,
//! start and length takes no free time, and the pair's time goes back only when neither holds
//! it. On the shared test region (one direct hour a weekday, 09:00-10:00, per clinician).

mod support;

use caretime_core::id::{AppointmentId, ClinicianId};
use caretime_core::region::Region;
use caretime_core::request::{Request, RequestKind};
use caretime_engine::availability::{FreeKind, Horizon, Minute};
use caretime_engine::book::{
    ApplyError, AppointmentStatus, Book, BookPolicy, CancellationReason, CancelledBy, Change,
    Choice, Outcome, Refusal, Take, TakeOffer,
};
use caretime_engine::find::{Route, Timeliness};
use jiff::Timestamp;
use jiff::civil::date;
use proptest::prelude::*;
use support::{at, region, request, rules};

const MONDAY_8AM: &str = "2025-12-01T08:00:00-08:00";
/// Tuesday 09:00 in Los Angeles.
const TUESDAY_9AM: &str = "2025-12-02T09:00:00-08:00";

fn book(region: &Region) -> Book {
    let horizon = Horizon {
        first: date(2025, 12, 1),
        last: date(2025, 12, 12),
    };
    Book::new(region, horizon, &[], BookPolicy::STANDARD).expect("valid templates")
}

fn apply(book: &mut Book, outcome: Outcome) {
    match outcome {
        Outcome::Accepted(changes) => book.apply(&changes).expect("decided on this book"),
        Outcome::Refused(refusals) => panic!("refused: {refusals:?}"),
    }
}

/// Books `member`'s initial visit with clinician 0 at `start`; its id.
fn book_at(book: &mut Book, region: &Region, id: u32, member: u32, start: &str) -> AppointmentId {
    support::book_chosen(book, region, (id, member), 0, start, MONDAY_8AM)
}

/// `member`'s follow-up with clinician 0, asked on Monday.
fn follow_up(id: u32, member: u32) -> Request {
    Request {
        prior_appointment: Some(at("2025-11-24T09:00:00-08:00")),
        treating_clinician: Some(ClinicianId(0)),
        ..request(id, member, RequestKind::FollowUp, MONDAY_8AM)
    }
}

/// Decides `request` on top of `host`, with the find the request's deadline comes from.
fn overbook(book: &Book, region: &Region, request: &Request, host: AppointmentId) -> Outcome {
    let offers = book
        .find(region, rules(), request, at(MONDAY_8AM))
        .expect("find works");
    book.decide_overbook(region, rules(), request, &offers, host, at(MONDAY_8AM))
}

/// Clinician 0's free kind of time on Tuesday 09:00 for an hour.
fn tuesday(book: &Book) -> Option<FreeKind> {
    book.availability()
        .free_kind(ClinicianId(0), Minute::from_timestamp(at(TUESDAY_9AM)), 60)
        .expect("a known clinician")
}

fn cancel(book: &mut Book, id: AppointmentId) {
    let outcome = book.decide_cancel(
        id,
        CancellationReason::MemberRequest,
        CancelledBy::Member,
        at(MONDAY_8AM),
    );
    apply(book, outcome);
}

fn refusals(outcome: &Outcome) -> Vec<Refusal> {
    outcome.refusals().to_vec()
}

#[test]
fn a_guest_takes_no_time_and_the_pair_gives_it_back_when_neither_holds_it() {
    let region = region();
    let mut book = book(&region);
    assert_eq!(tuesday(&book), Some(FreeKind::Direct));
    let host = book_at(&mut book, &region, 1, 1, TUESDAY_9AM);
    assert_eq!(tuesday(&book), None);
    let free_before = book.availability().clone();

    // Member 0's follow-up on top of member 1's appointment: same clinician, start, length and
    // kind of time, a continuity visit, and not one minute of free time taken.
    let guest_request = follow_up(2, 0);
    let outcome = overbook(&book, &region, &guest_request, host);
    apply(&mut book, outcome);
    let guest = AppointmentId(1);
    let read = book.appointment(guest).expect("booked");
    let slot = book.appointment(host).expect("booked");
    assert_eq!(
        (read.clinician, read.start, read.length, read.time),
        (slot.clinician, slot.start, slot.length, slot.time)
    );
    assert_eq!(
        (read.overbooks, read.route, read.status),
        (Some(host), Route::Continuity, AppointmentStatus::Booked)
    );
    // Its offer is the host's slot: Tuesday is within a follow-up's ten business days.
    assert_eq!(
        (read.offered.start, read.offered.timeliness),
        (at(TUESDAY_9AM), Timeliness::Met)
    );
    assert_eq!(slot.overbooks, None);
    assert_eq!(book.overbooked_with(host), Some(guest));
    assert_eq!(book.overbooked_with(guest), Some(host));
    assert_eq!(
        book.availability()
            .free_kind(ClinicianId(0), Minute::from_timestamp(at(TUESDAY_9AM)), 60),
        free_before.free_kind(ClinicianId(0), Minute::from_timestamp(at(TUESDAY_9AM)), 60)
    );

    // Cancelling the host leaves the guest holding the hour; cancelling the guest then frees it.
    let mut host_first = book.clone();
    cancel(&mut host_first, host);
    assert_eq!(tuesday(&host_first), None);
    cancel(&mut host_first, guest);
    assert_eq!(tuesday(&host_first), Some(FreeKind::Direct));
    // The other order, the same.
    let mut guest_first = book.clone();
    cancel(&mut guest_first, guest);
    assert_eq!(tuesday(&guest_first), None);
    cancel(&mut guest_first, host);
    assert_eq!(tuesday(&guest_first), Some(FreeKind::Direct));
    // A visit recorded keeps the time (it was used): only cancellations give it back.
    let mut visited = book.clone();
    let after = at("2025-12-02T10:00:00-08:00");
    let outcome = visited.decide_attendance(host, AppointmentStatus::Fulfilled, after);
    apply(&mut visited, outcome);
    cancel(&mut visited, guest);
    assert_eq!(tuesday(&visited), None);
}

#[test]
fn an_appointment_takes_one_guest_and_only_one_that_has_not_started() {
    let region = region();
    let mut book = book(&region);
    let host = book_at(&mut book, &region, 1, 1, TUESDAY_9AM);
    // The member's own appointment cannot carry them twice.
    let own = follow_up(2, 1);
    assert_eq!(
        refusals(&overbook(&book, &region, &own, host)),
        vec![Refusal::NotOverbookable(host)]
    );
    // Unknown host.
    let other = follow_up(3, 0);
    assert_eq!(
        refusals(&overbook(&book, &region, &other, AppointmentId(9))),
        vec![Refusal::UnknownAppointment(AppointmentId(9))]
    );
    let outcome = overbook(&book, &region, &other, host);
    apply(&mut book, outcome);
    let guest = AppointmentId(1);
    // A second guest on the same host, or a guest on the guest: refused.
    let third = follow_up(4, 0);
    assert_eq!(
        refusals(&overbook(&book, &region, &third, host)),
        vec![Refusal::NotOverbookable(host)]
    );
    assert_eq!(
        refusals(&overbook(&book, &region, &third, guest)),
        vec![Refusal::NotOverbookable(guest)]
    );
    // A host that has started cannot take one.
    let mut later = book.clone();
    cancel(&mut later, guest);
    let offers = later
        .find(&region, rules(), &third, at(MONDAY_8AM))
        .expect("find works");
    let started = at("2025-12-02T09:30:00-08:00");
    let fresh = book_at(&mut later, &region, 5, 1, "2025-12-03T09:00:00-08:00");
    assert_eq!(
        refusals(&later.decide_overbook(&region, rules(), &third, &offers, fresh, started)),
        Vec::new(),
        "Wednesday's appointment has not started on Tuesday"
    );
    assert_eq!(
        refusals(&later.decide_overbook(&region, rules(), &third, &offers, host, started)),
        vec![Refusal::NotOverbookable(host)]
    );
}

#[test]
fn a_guest_that_no_longer_fits_its_host_is_not_applied_and_a_failed_batch_leaves_no_pair() {
    let region = region();
    let mut book = book(&region);
    let host = book_at(&mut book, &region, 1, 1, TUESDAY_9AM);
    let Outcome::Accepted(changes) = overbook(&book, &region, &follow_up(2, 0), host) else {
        panic!("accepted");
    };
    // The host cancelled after the decision: the guest no longer applies.
    let mut cancelled = book.clone();
    cancel(&mut cancelled, host);
    assert_eq!(
        cancelled.apply(&changes),
        Err(ApplyError::NotOverbookable(host))
    );
    // A batch that fails after the guest rolls the pair back: the host can take a guest again.
    let mut failed = book.clone();
    let mut batch = changes.to_vec();
    batch.push(Change::SetStatus {
        appointment: AppointmentId(7),
        from: AppointmentStatus::Booked,
        to: AppointmentStatus::Cancelled,
        cancellation: None,
    });
    assert!(failed.apply(&batch).is_err());
    assert_eq!(failed.appointment_count(), 1);
    assert_eq!(failed.overbooked_with(host), None);
    assert_eq!(tuesday(&failed), None, "the host still holds the hour");
    apply(
        &mut failed,
        overbook(&book, &region, &follow_up(3, 0), host),
    );
}

#[test]
fn a_new_schedule_displaces_a_guest_with_its_host() {
    let region = region();
    let mut book = book(&region);
    let host = book_at(&mut book, &region, 1, 1, TUESDAY_9AM);
    let outcome = overbook(&book, &region, &follow_up(2, 0), host);
    apply(&mut book, outcome);
    let guest = AppointmentId(1);
    // Clinician 0 on leave on Tuesday: the host and its guest both leave the schedule.
    let template = region.templates[0].clone();
    let leave = vec![(date(2025, 12, 2), date(2025, 12, 2))];
    let decided = book
        .decide_reschedule(ClinicianId(0), template.clone(), leave, date(2025, 12, 1))
        .expect("a known clinician");
    assert_eq!(
        refusals(&decided),
        vec![Refusal::Displaces(vec![host, guest])]
    );
    // The same template again: the pair still fits, and reserving the hour again takes it once.
    let same = book
        .decide_reschedule(ClinicianId(0), template, Vec::new(), date(2025, 12, 1))
        .expect("a known clinician");
    apply(&mut book, same);
    assert_eq!(tuesday(&book), None);
    cancel(&mut book, host);
    cancel(&mut book, guest);
    assert_eq!(tuesday(&book), Some(FreeKind::Direct));
}

/// The weekdays of the test book's two weeks, as clinician 0's 09:00 Los Angeles start.
fn weekday_nine(day: usize) -> Timestamp {
    let dates = [1, 2, 3, 4, 5, 8, 9, 10, 11, 12];
    at(&format!(
        "2025-12-{:02}T09:00:00-08:00",
        dates[day % dates.len()]
    ))
}

/// One step of the property below: book a day, put a guest on an appointment, cancel one, or
/// record a visit.
#[derive(Clone, Debug)]
enum Step {
    Book(usize),
    Overbook(usize),
    Cancel(usize),
    Visit(usize),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (0..10usize).prop_map(Step::Book),
        (0..64usize).prop_map(Step::Overbook),
        (0..64usize).prop_map(Step::Cancel),
        (0..64usize).prop_map(Step::Visit),
    ]
}

/// Applies `outcome` if accepted (an accepted decision always applies); whether it was.
fn apply_if_accepted(book: &mut Book, outcome: Outcome) -> bool {
    match outcome {
        Outcome::Accepted(changes) => {
            book.apply(&changes).expect("an accepted decision applies");
            true
        }
        Outcome::Refused(_) => false,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        if std::env::var_os("CARETIME_SLOW_TESTS").is_some() { 512 } else { 64 }
    ))]

    /// Whatever is booked, overbooked, cancelled and visited in whatever order, clinician 0's
    /// hour on a day is free exactly when no appointment that day holds time, and two hold it
    /// only as a host and its guest.
    #[test]
    fn an_hour_is_free_exactly_when_nobody_holds_it(steps in proptest::collection::vec(step(), 1..40)) {
        let region = region();
        let mut book = book(&region);
        let mut next_request = 1;
        for step in steps {
            let n = book.appointment_count();
            match step {
                Step::Book(day) => {
                    let start = weekday_nine(day);
                    let request = request(next_request, 1, RequestKind::Initial, MONDAY_8AM);
                    next_request += 1;
                    let offers = book
                        .find(&region, rules(), &request, at(MONDAY_8AM))
                        .expect("find works");
                    if let Some(offer) = offers.best().cloned() {
                        let decision = book.decide_take(
                            &region,
                            &TakeOffer {
                                request: &request,
                                offers: &offers,
                                offer: &offer,
                                choice: Some(Choice { clinician: ClinicianId(0), start }),
                                take: Take::Book,
                            },
                            at(MONDAY_8AM),
                        );
                        apply_if_accepted(&mut book, decision);
                    }
                }
                Step::Overbook(k) if n > 0 => {
                    let host = AppointmentId((k % n) as u32);
                    let member = 1 - book.appointment_brief(host).expect("known").member.0;
                    let guest = Request {
                        treating_clinician: Some(ClinicianId(0)),
                        ..request(next_request, member, RequestKind::FollowUp, MONDAY_8AM)
                    };
                    next_request += 1;
                    let outcome = overbook(&book, &region, &guest, host);
                    apply_if_accepted(&mut book, outcome);
                }
                Step::Cancel(k) if n > 0 => {
                    let id = AppointmentId((k % n) as u32);
                    let outcome = book.decide_cancel(
                        id,
                        CancellationReason::MemberRequest,
                        CancelledBy::Member,
                        at(MONDAY_8AM),
                    );
                    apply_if_accepted(&mut book, outcome);
                }
                Step::Visit(k) if n > 0 => {
                    let id = AppointmentId((k % n) as u32);
                    let start = book.appointment_brief(id).expect("known").start;
                    let after = start + jiff::SignedDuration::from_hours(1);
                    let outcome = book.decide_attendance(id, AppointmentStatus::Fulfilled, after);
                    apply_if_accepted(&mut book, outcome);
                }
                _ => {}
            }
            for day in 0..10 {
                let start = weekday_nine(day);
                let holding: Vec<_> = book
                    .appointments()
                    .filter(|a| a.clinician == ClinicianId(0) && a.start == start)
                    .filter(|a| a.status.holds_time())
                    .collect();
                let free = book
                    .availability()
                    .free_kind(ClinicianId(0), Minute::from_timestamp(start), 60)
                    .expect("a known clinician");
                prop_assert_eq!(free == Some(FreeKind::Direct), holding.is_empty(), "day {}", day);
                prop_assert!(holding.len() <= 2);
                if let [host, guest] = &holding[..] {
                    prop_assert_eq!(guest.overbooks, Some(host.id));
                }
            }
        }
    }
}
