//! The find's clinic policies, each against a hand count on the shared test region (one direct
//! hour a weekday, 09:00-10:00, per clinician): the intake reserve, returns booked on the
//! treating clinician's calendar, the network referral's delay, and the caseload cap.

mod support;

use caretime_core::id::{ClinicianId, RequestId};
use caretime_core::region::{Discipline, Region};
use caretime_core::request::{Request, RequestKind};
use caretime_engine::availability::Horizon;
use caretime_engine::book::{Book, BookPolicy, Outcome};
use caretime_engine::find::{FindPolicy, FollowUps, IntakeReserve, Offer, Route};
use jiff::civil::date;
use support::{at, region, request, rules};

const MONDAY_8AM: &str = "2025-12-01T08:00:00-08:00";

/// Two weeks, Monday 2025-12-01 to Friday 2025-12-12: ten direct hours per clinician. Urgent-hold
/// time (11:00-12:00) never opens to routine requests, so only the direct hours count here.
fn book(region: &Region, find: FindPolicy) -> Book {
    let horizon = Horizon {
        first: date(2025, 12, 1),
        last: date(2025, 12, 12),
    };
    let policy = BookPolicy {
        find,
        urgent_hold_release_minutes: 0,
        ..BookPolicy::STANDARD
    };
    Book::new(region, horizon, &[], policy).expect("valid templates")
}

/// Books member 1's initial visit with `clinician` at `start` (a time the member chose).
fn book_at(book: &mut Book, region: &Region, id: u32, clinician: u32, start: &str) {
    support::book_chosen(book, region, (id, 1), clinician, start, MONDAY_8AM);
}

/// Books clinician 0's direct hours of Monday 2025-12-01 to Wednesday (members 1, ids 10-12).
fn book_monday_to_wednesday(book: &mut Book, region: &Region) {
    for (id, day) in [(10, "01"), (11, "02"), (12, "03")] {
        book_at(
            book,
            region,
            id,
            0,
            &format!("2025-12-{day}T09:00:00-08:00"),
        );
    }
}

/// Member 0's follow-up with clinician 0, whose prior session was at `prior`.
fn follow_up(id: u32, prior: &str) -> Request {
    Request {
        prior_appointment: Some(at(prior)),
        treating_clinician: Some(ClinicianId(0)),
        ..request(id, 0, RequestKind::FollowUp, MONDAY_8AM)
    }
}

fn offers(book: &Book, region: &Region, request: &Request) -> Vec<Offer> {
    book.find(region, rules(), request, at(MONDAY_8AM))
        .expect("find works")
        .offers
}

fn starts(offers: &[Offer]) -> Vec<(u32, String, Route)> {
    offers
        .iter()
        .map(|offer| (offer.clinician.0, offer.start.to_string(), offer.route))
        .collect()
}

#[test]
fn the_intake_reserve_keeps_a_share_of_the_week_from_the_clinicians_own_patients() {
    let region = region();
    let reserve = |release_days| FindPolicy {
        intake_reserve: IntakeReserve {
            share: 0.4,
            release_days,
        },
        ..FindPolicy::STANDARD
    };
    for (release_days, expected) in [
        // Clinician 0's first week: 5 bookable hours, Monday to Wednesday booked, Thursday and
        // Friday free. 0.4 of 5 hours is 2 hours kept for new patients: a return on Thursday
        // would leave 1 free hour, so the week is closed to returns and the next own time is
        // Monday 2025-12-08 09:00 (a whole free week: 4 of 5 hours left after it).
        (0, "2025-12-08T17:00:00Z"),
        // Released four days ahead (Monday 08:00 + 4 days = Friday 08:00): Thursday 09:00 is
        // inside the release, so the kept time opens to returns.
        (4, "2025-12-04T17:00:00Z"),
    ] {
        let mut book = book(&region, reserve(release_days));
        book_monday_to_wednesday(&mut book, &region);
        let found = offers(&book, &region, &follow_up(1, "2025-11-24T09:00:00-08:00"));
        let continuity: Vec<_> = found
            .iter()
            .filter(|offer| offer.route == Route::Continuity)
            .collect();
        assert_eq!(
            continuity.len(),
            1,
            "release {release_days}: {:?}",
            starts(&found)
        );
        assert_eq!(continuity[0].start, at(expected), "release {release_days}");
        // A new patient may take the kept time: clinician 1 is free Monday, so make it busy
        // too and ask again; the earliest new-patient time is clinician 0's Thursday.
        let mut book = book.clone();
        for (id, day) in [(20, "01"), (21, "02"), (22, "03"), (23, "04"), (24, "05")] {
            book_at(
                &mut book,
                &region,
                id,
                1,
                &format!("2025-12-{day}T09:00:00-08:00"),
            );
        }
        let initial = request(2, 0, RequestKind::Initial, MONDAY_8AM);
        let best = book
            .find(&region, rules(), &initial, at(MONDAY_8AM))
            .expect("find works")
            .offers[0]
            .clone();
        assert_eq!(
            (best.clinician, best.start),
            (ClinicianId(0), at("2025-12-04T17:00:00Z")),
            "release {release_days}"
        );
    }
}

/// The reserve's week walk skips a week short of the reserve on its counts alone only where
/// every start is past both releases: urgent-hold time already open to routine requests in
/// that week is still offered.
#[test]
fn a_week_short_of_the_intake_reserve_still_offers_released_urgent_hold_time() {
    let region = region();
    let reserve = FindPolicy {
        intake_reserve: IntakeReserve {
            share: 0.4,
            release_days: 0,
        },
        ..FindPolicy::STANDARD
    };
    // A return searched from Wednesday 08:00 at Monday 08:00, with clinician 0's Monday to
    // Wednesday direct hours booked: the first week keeps too little direct time (as above).
    for (urgent_release_minutes, expected) in [
        // Urgent-hold time (11:00-12:00) never opens before its start: the week is skipped
        // whole, and the next own time is Monday 2025-12-08 09:00.
        (0, "2025-12-08T17:00:00Z"),
        // Opened four days ahead (to Friday 08:00): Wednesday 11:00 is open to the return,
        // in the week the reserve closes to direct time.
        (4 * 24 * 60, "2025-12-03T19:00:00Z"),
    ] {
        let horizon = Horizon {
            first: date(2025, 12, 1),
            last: date(2025, 12, 12),
        };
        let policy = BookPolicy {
            find: reserve,
            urgent_hold_release_minutes: urgent_release_minutes,
            ..BookPolicy::STANDARD
        };
        let mut book = Book::new(&region, horizon, &[], policy).expect("valid templates");
        book_monday_to_wednesday(&mut book, &region);
        let found = book
            .find_from(
                &region,
                rules(),
                &follow_up(1, "2025-11-24T09:00:00-08:00"),
                at("2025-12-03T08:00:00-08:00"),
                at(MONDAY_8AM),
            )
            .expect("find works");
        let continuity: Vec<_> = found
            .offers
            .iter()
            .filter(|offer| offer.route == Route::Continuity)
            .map(|offer| offer.start)
            .collect();
        assert_eq!(
            continuity,
            vec![at(expected)],
            "urgent-hold release {urgent_release_minutes} min: {:?}",
            starts(&found.offers)
        );
    }
}

#[test]
fn returns_on_the_treating_clinicians_calendar_are_offered_however_late() {
    let region = region();
    let follow_ups = |follow_ups| FindPolicy {
        follow_ups,
        ..FindPolicy::STANDARD
    };
    // Prior session on 2025-11-10: SB 221's ten business days end before the search (every
    // offer is late). Clinician 0 is booked Monday and Tuesday; clinician 1 is free Monday.
    let request = follow_up(1, "2025-11-10T09:00:00-08:00");
    let mut standard = book(&region, follow_ups(FollowUps::TimelyAnywhere));
    let mut treating = book(&region, follow_ups(FollowUps::TreatingClinician));
    for book in [&mut standard, &mut treating] {
        book_at(book, &region, 10, 0, "2025-12-01T09:00:00-08:00");
        book_at(book, &region, 11, 0, "2025-12-02T09:00:00-08:00");
    }
    // Late everywhere: the earliest start anywhere comes first, another clinician on Monday.
    let found = offers(&standard, &region, &request);
    assert_eq!(
        (found[0].clinician, found[0].start, found[0].route),
        (ClinicianId(1), at("2025-12-01T17:00:00Z"), Route::Internal)
    );
    // On the treating clinician's calendar: Wednesday with clinician 0, and nothing else.
    let found = offers(&treating, &region, &request);
    assert_eq!(
        starts(&found),
        vec![(0, "2025-12-03T17:00:00Z".to_owned(), Route::Continuity)]
    );
}

#[test]
fn a_network_offer_waits_for_the_referral() {
    // Both internal clinicians are psychiatrists: a therapy request can only go to the network
    // therapist (clinician 2), free every weekday at 09:00.
    let mut region = region();
    for clinician in &mut region.clinicians[..2] {
        clinician.discipline = Discipline::Psychiatrist;
    }
    for (referral_days, expected) in [
        (0, "2025-12-01T17:00:00Z"),
        // Monday 08:00 + 3 days = Thursday 08:00: Thursday 09:00.
        (3, "2025-12-04T17:00:00Z"),
    ] {
        let book = book(
            &region,
            FindPolicy {
                referral_days,
                ..FindPolicy::STANDARD
            },
        );
        let initial = Request {
            id: RequestId(1),
            ..request(1, 0, RequestKind::Initial, MONDAY_8AM)
        };
        let found = offers(&book, &region, &initial);
        assert_eq!(
            starts(&found[..1]),
            vec![(2, expected.to_owned(), Route::Network)],
            "referral {referral_days} days"
        );
    }
}

/// Applies what the book decided.
fn apply(book: &mut Book, outcome: Outcome) {
    match outcome {
        Outcome::Accepted(changes) => book.apply(&changes).expect("decided on this book"),
        Outcome::Refused(refusals) => panic!("refused: {refusals:?}"),
    }
}

#[test]
fn a_clinician_at_the_caseload_cap_takes_no_new_patient_but_keeps_their_own() {
    use caretime_core::id::{EpisodeId, MemberId};
    use caretime_core::request::Preferences;
    use caretime_engine::episode::{Cadence, LongerWait};
    let region = region();
    let mut book = book(
        &region,
        FindPolicy {
            caseload_cap: Some(2),
            ..FindPolicy::STANDARD
        },
    );
    let open = |book: &mut Book, member: u32, clinician: u32| {
        let outcome = book.decide_open_episode(
            MemberId(member),
            ClinicianId(clinician),
            Cadence::Weekly,
            LongerWait::NotDocumented,
            Preferences::default(),
        );
        apply(book, outcome);
    };
    let initial = request(1, 0, RequestKind::Initial, MONDAY_8AM);
    let first = |book: &Book| starts(&offers(book, &region, &initial)[..1]);
    // Every clinician is free Monday 09:00; ties go to the lowest clinician id.
    let monday = "2025-12-01T17:00:00Z".to_owned();
    assert_eq!(first(&book), vec![(0, monday.clone(), Route::Internal)]);
    // One open episode is under the cap of two: clinician 0 still takes new patients.
    open(&mut book, 10, 0);
    assert_eq!(
        (
            book.caseload(ClinicianId(0)),
            book.takes_new_patients(ClinicianId(0))
        ),
        (1, true)
    );
    assert_eq!(first(&book), vec![(0, monday.clone(), Route::Internal)]);
    // Two: at the cap, so a new patient is offered clinician 1 at the same time.
    open(&mut book, 11, 0);
    assert!(!book.takes_new_patients(ClinicianId(0)));
    assert_eq!(first(&book), vec![(1, monday.clone(), Route::Internal)]);
    // Clinician 0's own patient still gets clinician 0 (a follow-up is not a new patient).
    let own = offers(&book, &region, &follow_up(2, "2025-11-24T09:00:00-08:00"));
    assert_eq!(
        (own[0].clinician, own[0].route),
        (ClinicianId(0), Route::Continuity)
    );
    // Both internal clinicians at the cap: the network therapist (no cap) is offered.
    open(&mut book, 12, 1);
    open(&mut book, 13, 1);
    assert_eq!(first(&book), vec![(2, monday.clone(), Route::Network)]);
    // A discharge opens clinician 0 again; undoing it (rolling back) closes them again.
    let discharge = book.decide_discharge(EpisodeId(0), at(MONDAY_8AM));
    let Outcome::Accepted(changes) = discharge else {
        panic!("an open episode discharges");
    };
    let mut after = book.clone();
    after.apply(&changes).expect("applies");
    assert_eq!(after.caseload(ClinicianId(0)), 1);
    assert_eq!(first(&after), vec![(0, monday.clone(), Route::Internal)]);
    // Applied with a change the book refuses, the whole decision rolls back.
    let mut refused = changes.to_vec();
    refused.push(caretime_engine::book::Change::Discharge {
        episode: EpisodeId(99),
        at: at(MONDAY_8AM),
    });
    let mut rolled = book.clone();
    assert!(rolled.apply(&refused).is_err());
    assert_eq!(rolled.caseload(ClinicianId(0)), 2);
    assert_eq!(first(&rolled), vec![(2, monday, Route::Network)]);
}
