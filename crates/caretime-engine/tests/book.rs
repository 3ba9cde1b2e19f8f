//! Hold, book, cancel, attendance and the waitlist, through decisions and one apply.

mod support;

use caretime_core::id::{AppointmentId, ClinicianId, RequestId};
use caretime_core::region::Region;
use caretime_core::request::{Request, RequestKind};
use caretime_engine::availability::Horizon;
use caretime_engine::book::{
    ApplyError, Appointment, AppointmentStatus, Book, BookPolicy, CancellationReason, CancelledBy,
    Change, Changes, Choice, Outcome, Refusal, Take, TakeOffer,
};
use caretime_engine::find::{Offers, Route, Timeliness};
use jiff::civil::date;
use support::{at, region, request, rules};

fn book(region: &Region) -> Book {
    // Monday 2025-12-01 to Friday 2025-12-05 only: a week of capacity.
    let horizon = Horizon {
        first: date(2025, 12, 1),
        last: date(2025, 12, 5),
    };
    Book::new(region, horizon, &[], BookPolicy::STANDARD).expect("valid templates")
}

/// Appointment `id` of the book, which must have it.
fn appointment(book: &Book, id: u32) -> Appointment {
    book.appointment(AppointmentId(id)).expect("in the book")
}

fn accepted(outcome: Outcome) -> Changes {
    match outcome {
        Outcome::Accepted(changes) => changes,
        Outcome::Refused(refusals) => panic!("refused: {refusals:?}"),
    }
}

fn take(
    book: &mut Book,
    region: &Region,
    request: &Request,
    take: Take,
    now: &str,
) -> Offers<'static> {
    let offers = book
        .find(region, rules(), request, at(now))
        .expect("find works");
    let offer = offers.best().expect("an offer").clone();
    let changes = accepted(book.decide_take(
        region,
        &TakeOffer {
            request,
            offers: &offers,
            offer: &offer,
            choice: None,
            take,
        },
        at(now),
    ));
    book.apply(&changes).expect("decided on this book");
    offers
}

const MONDAY_8AM: &str = "2025-12-01T08:00:00-08:00";

#[test]
fn a_hold_then_confirm_books_the_slot_and_it_is_never_offered_again() {
    let region = region();
    let mut book = book(&region);
    let first = request(0, 0, RequestKind::Initial, MONDAY_8AM);
    let offers = take(&mut book, &region, &first, Take::Hold, MONDAY_8AM);
    let offer = offers.best().expect("offer");
    // The first direct hour, Monday 09:00, with the lowest-id internal therapist.
    assert_eq!(offer.start, at("2025-12-01T09:00:00-08:00"));
    assert_eq!(offer.clinician, ClinicianId(0));
    assert_eq!(offer.route, Route::Internal);
    assert_eq!(offer.timeliness, Timeliness::Met);
    let held = &appointment(&book, 0);
    assert_eq!(held.status, AppointmentStatus::Pending);
    assert_eq!(held.expires, Some(at("2025-12-01T08:15:00-08:00")));

    // Another member's find skips the held hour; a second take of it is refused.
    let second = request(1, 1, RequestKind::Initial, MONDAY_8AM);
    let other = book
        .find(&region, rules(), &second, at(MONDAY_8AM))
        .expect("find");
    let other_best = other.best().expect("offer");
    assert!(
        (other_best.clinician, other_best.start) != (ClinicianId(0), offer.start),
        "a held slot is offered again"
    );
    let outcome = book.decide_take(
        &region,
        &TakeOffer {
            request: &second,
            offers: &other,
            offer,
            choice: None,
            take: Take::Book,
        },
        at(MONDAY_8AM),
    );
    assert_eq!(
        outcome.refusals(),
        [Refusal::NotFree {
            clinician: ClinicianId(0),
            start: offer.start
        }]
    );

    let confirm = accepted(book.decide_confirm(AppointmentId(0), at("2025-12-01T08:10:00-08:00")));
    book.apply(&confirm).expect("applies");
    assert_eq!(appointment(&book, 0).status, AppointmentStatus::Booked);
    assert_eq!(appointment(&book, 0).expires, None);
}

#[test]
fn an_expired_hold_cannot_be_confirmed_and_its_time_comes_back() {
    let region = region();
    let mut book = book(&region);
    let first = request(0, 0, RequestKind::Initial, MONDAY_8AM);
    take(&mut book, &region, &first, Take::Hold, MONDAY_8AM);
    let later = at("2025-12-01T08:15:00-08:00");
    assert_eq!(
        book.decide_confirm(AppointmentId(0), later).refusals(),
        [Refusal::Expired]
    );
    let expire = accepted(book.decide_expire(later));
    assert_eq!(expire.len(), 1);
    book.apply(&expire).expect("applies");
    let expired = &appointment(&book, 0);
    assert_eq!(expired.status, AppointmentStatus::Cancelled);
    let cancellation = expired.cancellation.expect("recorded");
    assert_eq!(cancellation.reason, CancellationReason::HoldExpired);
    assert_eq!(cancellation.by, CancelledBy::Member);
    let again = book.find(&region, rules(), &first, later).expect("find");
    assert_eq!(
        again.best().map(|offer| (offer.clinician, offer.start)),
        Some((ClinicianId(0), at("2025-12-01T09:00:00-08:00")))
    );
}

#[test]
fn a_plan_cancellation_keeps_the_deadline_and_a_member_cancellation_restarts_the_clock() {
    let region = region();
    let mut book = book(&region);
    let first = request(0, 0, RequestKind::Initial, MONDAY_8AM);
    let offers = take(&mut book, &region, &first, Take::Book, MONDAY_8AM);
    let later = at("2025-12-03T12:00:00-08:00");
    let cancel = accepted(book.decide_cancel(
        AppointmentId(0),
        CancellationReason::Strike,
        CancelledBy::Plan,
        later,
    ));
    book.apply(&cancel).expect("applies");
    let rebooking = book
        .rebooking_request(AppointmentId(0), later)
        .expect("cancelled");
    let rebooked = book
        .find(&region, rules(), &rebooking, later)
        .expect("find");
    assert_eq!(rebooked.deadline, offers.deadline, "same deadline");
    // The rebooking points back to what it replaces.
    let best = rebooked.best().expect("offer").clone();
    let changes = accepted(book.decide_take(
        &region,
        &TakeOffer {
            request: &rebooking,
            offers: &rebooked,
            offer: &best,
            choice: None,
            take: Take::Book,
        },
        later,
    ));
    book.apply(&changes).expect("applies");
    assert_eq!(appointment(&book, 1).replaces, Some(AppointmentId(0)));

    // A member's cancellation: the new request counts from the cancellation.
    let cancel = accepted(book.decide_cancel(
        AppointmentId(1),
        CancellationReason::MemberRequest,
        CancelledBy::Member,
        later,
    ));
    book.apply(&cancel).expect("applies");
    let new_clock = book
        .rebooking_request(AppointmentId(1), later)
        .expect("cancelled");
    assert_eq!(new_clock.requested, later);
    // Wednesday noon + 10 business days: the deadline moves to Wednesday 2025-12-17, end of day.
    let deadline = book
        .find(&region, rules(), &new_clock, later)
        .expect("find")
        .deadline;
    assert_eq!(deadline, at("2025-12-18T00:00:00-08:00"));
}

#[test]
fn a_member_may_choose_a_later_slot_and_compliance_keeps_the_offer() {
    let region = region();
    let mut book = book(&region);
    let first = request(0, 0, RequestKind::Initial, MONDAY_8AM);
    let offers = book
        .find(&region, rules(), &first, at(MONDAY_8AM))
        .expect("find");
    let offer = offers.best().expect("offer").clone();
    let choose = |start: &str| Choice {
        clinician: ClinicianId(1),
        start: at(start),
    };
    let earlier = book.decide_take(
        &region,
        &TakeOffer {
            request: &first,
            offers: &offers,
            offer: &offer,
            choice: Some(choose("2025-12-01T08:45:00-08:00")),
            take: Take::Book,
        },
        at(MONDAY_8AM),
    );
    assert!(earlier.refusals().contains(&Refusal::ChoiceBeforeOffer));
    let changes = accepted(book.decide_take(
        &region,
        &TakeOffer {
            request: &first,
            offers: &offers,
            offer: &offer,
            choice: Some(choose("2025-12-04T09:00:00-08:00")),
            take: Take::Book,
        },
        at(MONDAY_8AM),
    ));
    book.apply(&changes).expect("applies");
    let booked = &appointment(&book, 0);
    assert_eq!(booked.start, at("2025-12-04T09:00:00-08:00"));
    assert_eq!(booked.clinician, ClinicianId(1));
    assert_eq!(booked.offered.start, offer.start);
    assert_eq!(booked.offered.clinician, offer.clinician);
    assert_eq!(booked.offered.timeliness, Timeliness::Met);
}

#[test]
fn attendance_follows_the_fhir_statuses() {
    let region = region();
    let mut book = book(&region);
    let first = request(0, 0, RequestKind::Initial, MONDAY_8AM);
    take(&mut book, &region, &first, Take::Book, MONDAY_8AM);
    let id = AppointmentId(0);
    // Not before the 09:00 start.
    assert_eq!(
        book.decide_attendance(
            id,
            AppointmentStatus::NoShow,
            at("2025-12-01T08:59:00-08:00")
        )
        .refusals(),
        [Refusal::NotStarted]
    );
    let arrived = accepted(book.decide_attendance(
        id,
        AppointmentStatus::Arrived,
        at("2025-12-01T08:55:00-08:00"),
    ));
    book.apply(&arrived).expect("applies");
    let fulfilled = accepted(book.decide_attendance(
        id,
        AppointmentStatus::Fulfilled,
        at("2025-12-01T10:00:00-08:00"),
    ));
    book.apply(&fulfilled).expect("applies");
    assert_eq!(appointment(&book, 0).status.code(), "fulfilled");
    assert_eq!(
        book.decide_cancel(
            id,
            CancellationReason::MemberRequest,
            CancelledBy::Member,
            at("2025-12-01T10:00:00-08:00")
        )
        .refusals(),
        [Refusal::Transition {
            from: AppointmentStatus::Fulfilled,
            to: AppointmentStatus::Cancelled
        }]
    );
    // Entered in error: the record is withdrawn and the (past) time returns.
    let error = accepted(book.decide_entered_in_error(id));
    book.apply(&error).expect("applies");
    assert_eq!(appointment(&book, 0).status.code(), "entered-in-error");
}

#[test]
fn apply_is_all_or_nothing() {
    let region = region();
    let mut book = book(&region);
    let first = request(0, 0, RequestKind::Initial, MONDAY_8AM);
    take(&mut book, &region, &first, Take::Book, MONDAY_8AM);
    let booked = book
        .appointment(AppointmentId(0))
        .expect("in the book")
        .clone();
    let cancel = accepted(book.decide_cancel(
        AppointmentId(0),
        CancellationReason::MemberRequest,
        CancelledBy::Member,
        at(MONDAY_8AM),
    ));
    // The same cancellation twice in one batch: the second is stale, so neither applies.
    let batch: Vec<Change> = cancel.iter().chain(&cancel).cloned().collect();
    assert!(matches!(
        book.apply(&batch),
        Err(ApplyError::StaleStatus { .. })
    ));
    assert_eq!(appointment(&book, 0).status, AppointmentStatus::Booked);
    assert_eq!(
        appointment(&book, 0),
        booked,
        "status, cancellation and expiry restored"
    );
    let again = book
        .find(&region, rules(), &first, at(MONDAY_8AM))
        .expect("find");
    assert_ne!(
        again.best().map(|offer| (offer.clinician, offer.start)),
        Some((ClinicianId(0), at("2025-12-01T09:00:00-08:00"))),
        "the rolled-back cancellation gave the time back"
    );
}

#[test]
fn urgent_hold_time_needs_an_urgent_request_until_its_release() {
    let region = region();
    let mut book = book(&region);
    let urgent = request(0, 0, RequestKind::Urgent, MONDAY_8AM);
    let offers = book
        .find(&region, rules(), &urgent, at(MONDAY_8AM))
        .expect("find");
    let best = offers.best().expect("offer").clone();
    // The urgent request takes the earliest time it may use: Monday 09:00 direct.
    assert_eq!(best.start, at("2025-12-01T09:00:00-08:00"));
    // A routine request may not take Tuesday's 11:00 urgent hold on Monday at 08:00 (released
    // 24 hours before, Monday 11:00).
    let routine = request(1, 1, RequestKind::Initial, MONDAY_8AM);
    let routine_offers = book
        .find(&region, rules(), &routine, at(MONDAY_8AM))
        .expect("find");
    let mut hold = routine_offers.best().expect("offer").clone();
    hold.clinician = ClinicianId(0);
    hold.start = at("2025-12-02T11:00:00-08:00");
    let outcome = book.decide_take(
        &region,
        &TakeOffer {
            request: &routine,
            offers: &routine_offers,
            offer: &hold,
            choice: None,
            take: Take::Book,
        },
        at(MONDAY_8AM),
    );
    assert_eq!(outcome.refusals(), [Refusal::UrgentHoldNotReleased]);
    let after_release = book.decide_take(
        &region,
        &TakeOffer {
            request: &routine,
            offers: &routine_offers,
            offer: &hold,
            choice: None,
            take: Take::Book,
        },
        at("2025-12-01T11:00:00-08:00"),
    );
    let changes = accepted(after_release);
    book.apply(&changes).expect("applies");
    assert_eq!(
        appointment(&book, 0).time,
        caretime_engine::availability::FreeKind::UrgentHold
    );
}

#[test]
fn the_waitlist_gets_freed_time_in_deadline_order() {
    let region = region();
    let mut book = book(&region);
    let rules = rules();
    // Take every hour a routine request may use on Monday at 08:00: 3 clinicians x 5 direct
    // hours, plus Monday's 11:00 urgent holds (released 24 hours ahead, on Sunday).
    let mut id = 0;
    loop {
        let next = request(id, id % 2, RequestKind::Initial, MONDAY_8AM);
        let offers = book
            .find(&region, rules, &next, at(MONDAY_8AM))
            .expect("find");
        if offers.best().is_none() {
            break;
        }
        take(&mut book, &region, &next, Take::Book, MONDAY_8AM);
        id += 1;
    }
    assert_eq!(book.appointment_count(), 18);
    // Two more requests: nothing timely in the horizon (urgent-hold time is not released yet),
    // so both wait; the one requested earlier has the earlier deadline.
    let now = at("2025-12-01T08:05:00-08:00");
    let later_request = request(21, 1, RequestKind::Initial, "2025-12-01T08:04:00-08:00");
    let earlier_request = request(20, 0, RequestKind::Initial, "2025-11-26T08:00:00-08:00");
    for waiting in [&later_request, &earlier_request] {
        let offers = book.find(&region, rules, waiting, now).expect("find");
        assert!(offers.arrangement.is_some() || offers.best().is_none());
        let wait = accepted(book.decide_wait(waiting, &offers, now));
        book.apply(&wait).expect("applies");
    }
    assert_eq!(
        book.waitlist()
            .iter()
            .map(|entry| entry.request.id)
            .collect::<Vec<_>>(),
        [RequestId(20), RequestId(21)]
    );
    // A plan cancellation frees clinician 1's Thursday 09:00.
    let freed = book
        .appointments()
        .find(|appointment| {
            appointment.clinician == ClinicianId(1)
                && appointment.start == at("2025-12-04T09:00:00-08:00")
        })
        .expect("booked")
        .clone();
    let cancel = accepted(book.decide_cancel(
        freed.id,
        CancellationReason::ClinicianUnavailable,
        CancelledBy::Plan,
        now,
    ));
    book.apply(&cancel).expect("applies");
    let proposals = accepted(
        book.decide_propose_waitlist(&region, rules, now)
            .expect("find works"),
    );
    book.apply(&proposals).expect("applies");
    let proposed: Vec<_> = book
        .appointments()
        .filter(|appointment| appointment.status == AppointmentStatus::Proposed)
        .collect();
    assert_eq!(proposed.len(), 1, "one freed hour, one proposal");
    assert_eq!(
        proposed[0].request.id,
        RequestId(20),
        "earliest deadline first"
    );
    assert_eq!(
        (proposed[0].clinician, proposed[0].start),
        (freed.clinician, freed.start)
    );
    assert_eq!(
        book.waitlist()
            .iter()
            .map(|entry| entry.request.id)
            .collect::<Vec<_>>(),
        [RequestId(21)]
    );
}

#[test]
fn a_new_schedule_frees_time_for_the_waitlist_and_never_strands_an_appointment() {
    use caretime_core::template::{Block, BlockKind, DayRange};
    use jiff::civil::Weekday;

    let region = region();
    let rules = rules();
    let mut book = book(&region);
    // Book out everything a routine request may use on Monday at 08:00 (as in the waitlist test).
    let mut id = 0;
    while book
        .find(
            &region,
            rules,
            &request(id, id % 2, RequestKind::Initial, MONDAY_8AM),
            at(MONDAY_8AM),
        )
        .expect("find")
        .best()
        .is_some()
    {
        let next = request(id, id % 2, RequestKind::Initial, MONDAY_8AM);
        take(&mut book, &region, &next, Take::Book, MONDAY_8AM);
        id += 1;
    }
    let waiting = request(100, 0, RequestKind::Initial, MONDAY_8AM);
    let offers = book
        .find(&region, rules, &waiting, at(MONDAY_8AM))
        .expect("find");
    book.apply(&accepted(book.decide_wait(
        &waiting,
        &offers,
        at(MONDAY_8AM),
    )))
    .expect("applies");

    // Clinician 0 adds a Wednesday 14:30-15:30 direct hour from Monday on: nothing is stranded,
    // and the new hour goes to the waitlist.
    let mut wider = book
        .schedule(ClinicianId(0))
        .expect("known")
        .template
        .clone();
    wider.blocks.push(Block {
        day: Weekday::Wednesday,
        range: DayRange::new(
            "14:30".parse().expect("time"),
            "15:30".parse().expect("time"),
        )
        .expect("range"),
        kind: BlockKind::Direct,
    });
    let reschedule = book
        .decide_reschedule(ClinicianId(0), wider, Vec::new(), date(2025, 12, 1))
        .expect("known clinician");
    book.apply(&accepted(reschedule)).expect("applies");
    let proposals = accepted(
        book.decide_propose_waitlist(&region, rules, at(MONDAY_8AM))
            .expect("find"),
    );
    book.apply(&proposals).expect("applies");
    let proposed = book.appointments().next_back().expect("a proposal");
    assert_eq!(proposed.request.id, RequestId(100));
    assert_eq!(
        (proposed.clinician, proposed.start),
        (ClinicianId(0), at("2025-12-03T14:30:00-08:00"))
    );
    assert!(book.waitlist().is_empty());

    // Clinician 1 goes on leave Thursday and Friday: refused while appointments stand there.
    let template = book
        .schedule(ClinicianId(1))
        .expect("known")
        .template
        .clone();
    let leave = vec![(date(2025, 12, 4), date(2025, 12, 5))];
    let outcome = book
        .decide_reschedule(
            ClinicianId(1),
            template.clone(),
            leave.clone(),
            date(2025, 12, 1),
        )
        .expect("known clinician");
    let stranded: Vec<AppointmentId> = book
        .appointments()
        .filter(|appointment| {
            appointment.clinician == ClinicianId(1)
                && appointment.start >= at("2025-12-04T00:00:00-08:00")
        })
        .map(|appointment| appointment.id)
        .collect();
    assert_eq!(stranded.len(), 2, "Thursday and Friday 09:00");
    assert_eq!(outcome.refusals(), [Refusal::Displaces(stranded.clone())]);
    // Cancel them for the leave (the plan's doing), then the leave applies and that time is gone.
    for appointment in &stranded {
        let cancel = accepted(book.decide_cancel(
            *appointment,
            CancellationReason::Leave,
            CancelledBy::Plan,
            at(MONDAY_8AM),
        ));
        book.apply(&cancel).expect("applies");
    }
    let reschedule = book
        .decide_reschedule(ClinicianId(1), template, leave, date(2025, 12, 1))
        .expect("known clinician");
    book.apply(&accepted(reschedule)).expect("applies");
    let free = book.availability().free(ClinicianId(1)).expect("known");
    assert!(
        free.iter()
            .all(|interval| interval.start.to_timestamp().expect("in range")
                < at("2025-12-04T00:00:00-08:00")),
        "time on leave days: {free:?}"
    );
    // The plan-cancelled appointments rebook with their original deadline.
    let rebooking = book
        .rebooking_request(stranded[0], at(MONDAY_8AM))
        .expect("cancelled");
    assert_eq!(rebooking.requested, at(MONDAY_8AM));
}
