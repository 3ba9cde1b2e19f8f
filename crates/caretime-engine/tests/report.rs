//! The access report over a book: a fortnight of bookings made through the engine's decisions at
//! known times, around the Thanksgiving holidays, and every count checked against figures derived
//! by hand (offers per kind, timely offers, waits in business days of the California calendar,
//! follow-up intervals, attendance, routes, workforce), with the period read in local dates. Then
//! the day counts behind every wait and interval, against a sorted vector.

mod support;

use caretime_core::id::{AppointmentId, ClinicianId};
use caretime_core::region::Region;
use caretime_core::request::Request;
use caretime_core::request::RequestKind::{FollowUp, Initial, Urgent};
use caretime_core::slug::Slug;
use caretime_core::template::BlockKind;
use caretime_engine::availability::Horizon;
use caretime_engine::book::AppointmentStatus::{Fulfilled, NoShow};
use caretime_engine::book::CancellationReason::{ClinicianUnavailable, MemberRequest};
use caretime_engine::book::{
    Book, BookPolicy, CancellationReason, CancelledBy, Changes, Outcome, Take, TakeOffer,
};
use caretime_engine::episode::Cadence;
use caretime_engine::find::{Offer, Route, Timeliness};
use caretime_engine::report::{
    AccessReport, ComplianceRow, Days, Dimension, Period, ReportError, access_report,
};
use jiff::civil::date;
use proptest::prelude::*;
use support::{at, region, request, rules};

fn accepted(outcome: Outcome) -> Changes {
    match outcome {
        Outcome::Accepted(changes) => changes,
        Outcome::Refused(refusals) => panic!("refused: {refusals:?}"),
    }
}

/// Finds offers for `request` from `not_before` at `now`, checks the best one is the one derived
/// by hand, books it and returns its id.
fn book_best(
    book: &mut Book,
    region: &Region,
    request: &Request,
    not_before: &str,
    now: &str,
    expected: (u32, &str),
) -> AppointmentId {
    let offers = book
        .find_from(region, rules(), request, at(not_before), at(now))
        .expect("find works");
    let best: Offer = offers.best().expect("an offer").clone();
    assert_eq!(
        (best.clinician, best.start),
        (ClinicianId(expected.0), at(expected.1)),
        "the best offer for request {:?}",
        request.id
    );
    let changes = accepted(book.decide_take(
        region,
        &TakeOffer {
            request,
            offers: &offers,
            offer: &best,
            choice: None,
            take: Take::Book,
        },
        at(now),
    ));
    book.apply(&changes).expect("decided on this book");
    AppointmentId(book.appointment_count() as u32 - 1)
}

/// Decides on the book as it stands and applies the accepted changes.
fn settle(book: &mut Book, decide: impl FnOnce(&Book) -> Outcome) {
    let changes = accepted(decide(book));
    book.apply(&changes).expect("decided on this book");
}

/// The book behind every test of this file. The support region: one Los Angeles clinic with
/// internal therapists 0 (English) and 1 (English and Spanish) and network therapist 2, each
/// with a direct hour at 09:00 and an urgent-hold hour at 11:00 every weekday (released to
/// routine requests 24 hours before it starts); member 0 speaks English, member 1 Spanish.
/// Thursday 2025-11-27 and Friday 11-28 are California holidays (Thanksgiving and the day
/// after), so no clinician works them. Times are Pacific Standard Time (UTC-8).
///
/// | request | kind       | member | requested           | best offer             | wait (bd) |
/// |---------|------------|--------|---------------------|------------------------|-----------|
/// | 0       | initial    | 0      | Sun 11-23 20:00     | 0, Mon 11-24 09:00     | 1         |
/// | 1       | initial    | 1      | Mon 11-24 07:00     | 1, Mon 11-24 09:00     | 0         |
/// | 2       | urgent     | 0      | Mon 11-24 07:30     | 0, Mon 11-24 11:00 (a) | 0         |
/// | 3       | initial    | 0      | Mon 11-24 07:45     | 1, Mon 11-24 11:00 (b) | 0         |
/// | 4       | follow-up  | 1      | Mon 11-24 10:00 (c) | 1, Mon 12-01 09:00     | 3         |
/// | 5       | initial    | 1      | Tue 11-25 08:00     | 1, Tue 11-25 09:00 (d) | 0         |
/// | 6       | initial    | 0      | Wed 11-26 12:00     | 0, Mon 12-01 09:00 (e) | 1         |
/// | 7       | urgent     | 0      | Fri 12-05 18:00     | 0, Mon 12-08 09:00 (f) | 1, late   |
/// | 8       | initial    | 1      | Sat 12-06 10:00     | 1, Mon 12-08 09:00     | 1         |
///
/// (a) Both 09:00 hours are taken; urgent time starts with the urgent hold. (b) A routine
/// request may take an urgent hold within 24 hours of it. (c) After request 1's visit, with
/// therapist 1 treating, looked for from a week later; the continuity offer. (d) Therapist 0 is
/// free first but the Spanish-speaking therapist 1 is free at the same time. (e) Wednesday's
/// hours have passed and Thanksgiving closes Thursday and Friday; Monday is the next business
/// day: 1 business day. (f) 48 hours end on Sunday 12-07 at 18:00, before any hour: the
/// earliest start anywhere, a day late, with an out-of-network arrangement.
///
/// Then: request 3's appointment is cancelled by the plan (clinician unavailable) at Mon 10:30
/// and rebooked (the same hour, free again); request 5's is entered in error; request 6's is
/// cancelled by the member. Request 0's member did not come; requests 1, 2, 3 (the rebooking)
/// and 4 were visits; request 7's member did not come either (after the period).
fn fortnight() -> (Region, Book) {
    let region = region();
    let horizon = Horizon {
        first: date(2025, 11, 17),
        last: date(2025, 12, 31),
    };
    let mut book = Book::new(&region, horizon, &[], BookPolicy::STANDARD).expect("valid");
    // Most requests are booked as they are made, from the time they are made.
    let take = |book: &mut Book, request: &Request, expected| {
        let now = request.requested.to_string();
        book_best(book, &region, request, &now, &now, expected)
    };
    let a0 = take(&mut book, &request(0, 0, Initial, SUN_EVENING), (0, MON_9));
    let a1 = take(&mut book, &request(1, 1, Initial, MON_7), (1, MON_9));
    let a2 = take(&mut book, &request(2, 0, Urgent, MON_7_30), (0, MON_11));
    let a3 = take(&mut book, &request(3, 0, Initial, MON_7_45), (1, MON_11));

    // Request 0's member did not come; request 1's did, and asks for a follow-up a week later.
    settle(&mut book, |book| {
        book.decide_attendance(a0, NoShow, at(MON_10))
    });
    settle(&mut book, |book| {
        book.decide_attendance(a1, Fulfilled, at(MON_10))
    });
    let mut r4 = request(4, 1, FollowUp, MON_10);
    r4.prior_appointment = Some(at(MON_9));
    r4.treating_clinician = Some(ClinicianId(1));
    let a4 = book_best(
        &mut book,
        &region,
        &r4,
        MON_12_01_9,
        MON_10,
        (1, MON_12_01_9),
    );
    assert_eq!(
        book.appointment(a4).expect("in the book").route,
        Route::Continuity
    );

    // Request 3's appointment is cancelled by the plan and rebooked under the same request.
    let cancel = at(MON_10_30);
    settle(&mut book, |book| {
        book.decide_cancel(a3, ClinicianUnavailable, CancelledBy::Plan, cancel)
    });
    let rebooking = book
        .rebooking_request(a3, cancel)
        .expect("a cancelled appointment");
    let a3_again = book_best(
        &mut book,
        &region,
        &rebooking,
        MON_10_30,
        MON_10_30,
        (1, MON_11),
    );
    assert_eq!(
        book.appointment(a3_again).expect("in the book").replaces,
        Some(a3)
    );
    settle(&mut book, |book| {
        book.decide_attendance(a2, Fulfilled, at(MON_NOON))
    });
    settle(&mut book, |book| {
        book.decide_attendance(a3_again, Fulfilled, at(MON_NOON))
    });

    let a5 = take(&mut book, &request(5, 1, Initial, TUE_8), (1, TUE_9));
    settle(&mut book, |book| book.decide_entered_in_error(a5));
    let a6 = take(
        &mut book,
        &request(6, 0, Initial, WED_NOON),
        (0, MON_12_01_9),
    );
    settle(&mut book, |book| {
        book.decide_cancel(a6, MemberRequest, CancelledBy::Member, at(FRI_11_28))
    });
    settle(&mut book, |book| {
        book.decide_attendance(a4, Fulfilled, at(MON_12_01_10))
    });

    let a7 = take(
        &mut book,
        &request(7, 0, Urgent, FRI_EVENING),
        (0, MON_12_08_9),
    );
    assert_eq!(
        book.appointment(a7)
            .expect("in the book")
            .offered
            .timeliness,
        Timeliness::Late { business_days: 1 }
    );
    take(
        &mut book,
        &request(8, 1, Initial, SAT_12_06),
        (1, MON_12_08_9),
    );
    settle(&mut book, |book| {
        book.decide_attendance(a7, NoShow, at(MON_12_08_10))
    });
    (region, book)
}

// Instants of the fortnight, Pacific Standard Time.
const SUN_EVENING: &str = "2025-11-23T20:00:00-08:00";
const MON_7: &str = "2025-11-24T07:00:00-08:00";
const MON_7_30: &str = "2025-11-24T07:30:00-08:00";
const MON_7_45: &str = "2025-11-24T07:45:00-08:00";
const MON_9: &str = "2025-11-24T09:00:00-08:00";
const MON_10: &str = "2025-11-24T10:00:00-08:00";
const MON_10_30: &str = "2025-11-24T10:30:00-08:00";
const MON_11: &str = "2025-11-24T11:00:00-08:00";
const MON_NOON: &str = "2025-11-24T12:00:00-08:00";
const TUE_8: &str = "2025-11-25T08:00:00-08:00";
const TUE_9: &str = "2025-11-25T09:00:00-08:00";
const WED_NOON: &str = "2025-11-26T12:00:00-08:00";
const FRI_11_28: &str = "2025-11-28T10:00:00-08:00";
const MON_12_01_9: &str = "2025-12-01T09:00:00-08:00";
const MON_12_01_10: &str = "2025-12-01T10:00:00-08:00";
const FRI_EVENING: &str = "2025-12-05T18:00:00-08:00";
const SAT_12_06: &str = "2025-12-06T10:00:00-08:00";
const MON_12_08_9: &str = "2025-12-08T09:00:00-08:00";
const MON_12_08_10: &str = "2025-12-08T10:00:00-08:00";

/// Monday 2025-11-24 to Friday 2025-12-05.
const FORTNIGHT: Period = Period {
    first: date(2025, 11, 24),
    last: date(2025, 12, 5),
};

fn report(period: Period) -> AccessReport {
    let (region, book) = fortnight();
    access_report(&book, &region, rules(), period).expect("a valid period")
}

/// A row as (label, offers, timely, waits in order).
fn row(row: &ComplianceRow) -> (String, u64, u64, Vec<u32>) {
    let mut waits = Vec::new();
    for days in 0..=Days::CAP {
        let count = row.waits.at_most(days)
            - if days == 0 {
                0
            } else {
                row.waits.at_most(days - 1)
            };
        waits.extend(std::iter::repeat_n(days, count as usize));
    }
    (row.label.clone(), row.offers, row.timely, waits)
}

fn breakdown(report: &AccessReport, dimension: Dimension) -> Vec<(String, u64, u64, Vec<u32>)> {
    report
        .breakdowns
        .iter()
        .find(|breakdown| breakdown.dimension == dimension)
        .expect("every dimension has a breakdown")
        .rows
        .iter()
        .map(row)
        .collect()
}

fn owned(rows: &[(&str, u64, u64, &[u32])]) -> Vec<(String, u64, u64, Vec<u32>)> {
    rows.iter()
        .map(|(label, offers, timely, waits)| {
            ((*label).to_owned(), *offers, *timely, waits.to_vec())
        })
        .collect()
}

#[test]
fn compliance_counts_each_request_of_the_period_once_by_its_offer() {
    let report = report(FORTNIGHT);
    // Requests 1-4, 6 and 7: request 0 was made the evening before the period (Monday 04:00
    // UTC, but Sunday in Los Angeles), request 8 the day after it (request 7, Friday 18:00 in
    // Los Angeles, is Saturday in UTC and counts); request 5 was entered in error; request 3's
    // rebooking is not a second offer. Waits: 0, 0, 0, 3, 1 and 1 business days.
    assert_eq!(
        row(&report.overall),
        ("all".to_owned(), 6, 5, vec![0, 0, 0, 1, 1, 3])
    );
    assert_eq!(report.overall.clinical_exceptions, 0);
    assert_eq!(report.overall.rate(), Some(5.0 / 6.0));
    assert_eq!(report.overall.waits.mean(), Some(5.0 / 6.0));
    assert_eq!(report.overall.waits.quantile(0.5), Some(0));
    assert_eq!(report.overall.waits.quantile(0.9), Some(3));
    assert_eq!(report.threshold, Some(0.7));
    assert_eq!(report.rule_set, "ca-dmhc");
    assert_eq!(report.period, FORTNIGHT);

    // Kinds in their declared order: initial (1, 3, 6), follow-up (4), urgent (2, and 7 late).
    assert_eq!(
        breakdown(&report, Dimension::Kind),
        owned(&[
            ("initial", 3, 3, &[0, 0, 1]),
            ("follow-up", 1, 1, &[3]),
            ("urgent", 2, 1, &[0, 1]),
        ])
    );
    assert_eq!(
        breakdown(&report, Dimension::Facility),
        owned(&[("Los Angeles Medical Center", 6, 5, &[0, 0, 0, 1, 1, 3])])
    );
    assert_eq!(
        breakdown(&report, Dimension::Discipline),
        owned(&[("therapist", 6, 5, &[0, 0, 0, 1, 1, 3])])
    );
    // Member 0 made requests 2, 3, 6 and 7; member 1 requests 1 and 4.
    assert_eq!(
        breakdown(&report, Dimension::Language),
        owned(&[("en", 4, 3, &[0, 0, 1, 1]), ("es", 2, 2, &[0, 3])])
    );
    assert_eq!(
        breakdown(&report, Dimension::Month),
        owned(&[("2025-11", 5, 5, &[0, 0, 0, 1, 3]), ("2025-12", 1, 0, &[1])])
    );
    // Request 4 stayed with its treating therapist; request 7's offer was late, so it has an
    // out-of-network arrangement (its booking still counts as internal).
    let routes = &report.routes;
    assert_eq!(
        (
            routes.continuity,
            routes.internal,
            routes.network,
            routes.arrangements
        ),
        (1, 5, 0, 1)
    );
}

#[test]
fn follow_up_intervals_attendance_and_workforce() {
    let report = report(FORTNIGHT);
    // Request 4's follow-up: Monday 11-24 to Monday 12-01 is 7 calendar days and 3 business days
    // (Tuesday, Wednesday and Monday; Thanksgiving and the day after are holidays), within
    // SB 221's 10, with the treating therapist.
    let follow_ups = &report.follow_ups;
    assert_eq!(follow_ups.standard_business_days, Some(10));
    assert_eq!(follow_ups.business_days.total(), 1);
    assert_eq!(follow_ups.business_days.mean(), Some(3.0));
    assert_eq!(follow_ups.calendar_days.mean(), Some(7.0));
    assert_eq!(follow_ups.with_treating_clinician, 1);
    assert_eq!(follow_ups.within_standard(), Some(1.0));

    // Appointments due in the period, whenever requested: the visits of requests 1, 2, 3 (the
    // rebooking) and 4; request 0's no-show (requested before the period, due in it); request
    // 6's member cancellation and request 3's plan cancellation. Request 7's no-show is due
    // after the period, request 5's entry in error never was.
    let attendance = &report.attendance;
    assert_eq!(
        (
            attendance.fulfilled,
            attendance.no_show,
            attendance.cancelled_by_member,
            attendance.cancelled_by_plan
        ),
        (4, 1, 1, 1)
    );
    assert_eq!(attendance.no_show_rate(), Some(0.2));
    assert_eq!(report.groups.held, 0);
    assert!(report.groups.cancelled.is_empty());

    // Two internal therapists at full time, each week 5 direct, 5 protected, 5 urgent-hold and
    // 7.5 group hours; two members. The period has 10 weekdays, less Thanksgiving and the day
    // after: 8 working days each, 16 in all, for the 4 internal visits.
    let workforce = &report.workforce;
    assert_eq!(workforce.members, 2);
    assert_eq!(workforce.therapists, 2);
    assert_eq!(workforce.therapist_fte_hundredths, 200);
    let minutes = |kind: BlockKind| {
        workforce
            .weekly_minutes
            .iter()
            .find(|(known, _)| *known == kind)
            .map(|(_, minutes)| *minutes)
    };
    assert_eq!(minutes(BlockKind::Direct), Some(600));
    assert_eq!(minutes(BlockKind::Protected), Some(600));
    assert_eq!(minutes(BlockKind::UrgentHold), Some(600));
    assert_eq!(minutes(BlockKind::Group), Some(900));
    assert_eq!(minutes(BlockKind::Meeting), Some(0));
    assert_eq!(workforce.members_per_fte(), Some(1.0));
    // Bookable (direct and urgent-hold) 20 of 45 paid hours.
    assert_eq!(workforce.direct_share(), Some(1200.0 / 2700.0));
    assert_eq!(workforce.sessions, 4);
    assert_eq!(workforce.clinician_days, 16);
    assert_eq!(workforce.sessions_per_clinician_day(), Some(0.25));
}

#[test]
fn the_period_counts_requests_by_their_local_date() {
    // Sunday 11-23 alone: request 0 (20:00 in Los Angeles, already Monday in UTC), offered
    // Monday 09:00, 1 business day later. Nothing was due that Sunday.
    let sunday = report(Period {
        first: date(2025, 11, 23),
        last: date(2025, 11, 23),
    });
    assert_eq!(row(&sunday.overall), ("all".to_owned(), 1, 1, vec![1]));
    assert_eq!(sunday.attendance.fulfilled + sunday.attendance.no_show, 0);
    assert_eq!(sunday.follow_ups.business_days.total(), 0);
    assert_eq!(sunday.workforce.clinician_days, 0);
    // Saturday 12-06 alone: request 8 (Saturday), not request 7 (Friday evening, Saturday in
    // UTC).
    let saturday = report(Period {
        first: date(2025, 12, 6),
        last: date(2025, 12, 6),
    });
    assert_eq!(row(&saturday.overall), ("all".to_owned(), 1, 1, vec![1]));
    assert_eq!(
        breakdown(&saturday, Dimension::Kind),
        owned(&[("initial", 1, 1, &[1])])
    );
    // The whole horizon: every request but the one entered in error, once each.
    let all = report(Period {
        first: date(2025, 11, 17),
        last: date(2025, 12, 31),
    });
    assert_eq!(all.overall.offers, 8);
    assert_eq!(all.overall.timely, 7);
    // And a period that ends before it starts is an error, not an empty report.
    let (region, book) = fortnight();
    let backwards = Period {
        first: date(2025, 12, 5),
        last: date(2025, 11, 24),
    };
    assert_eq!(
        access_report(&book, &region, rules(), backwards),
        Err(ReportError::EmptyPeriod)
    );
}

/// The oracle: every value, sorted.
fn sorted(values: &[u32]) -> Vec<u32> {
    let mut values = values.to_vec();
    values.sort_unstable();
    values
}

fn days_of(values: &[u32]) -> Days {
    let mut days = Days::default();
    for &value in values {
        days.add(value);
    }
    days
}

/// The smallest value with at least `share` of the values at or below it, as its documentation
/// says, from the sorted values (exact beyond the buckets' cap too).
fn oracle_quantile(sorted: &[u32], share: f64) -> Option<u32> {
    let n = sorted.len();
    sorted
        .iter()
        .enumerate()
        .find(|(idx, _)| (idx + 1) as f64 >= share * n as f64)
        .map(|(_, value)| *value)
}

proptest! {
    #[test]
    fn days_agree_with_a_sorted_vector(
        values in prop::collection::vec(prop_oneof![4 => 0u32..30, 1 => 0u32..1_000], 0..60),
        share in 0.0f64..=1.0,
        bound in 0u32..1_200,
    ) {
        let days = days_of(&values);
        let oracle = sorted(&values);
        prop_assert_eq!(days.total(), values.len() as u64);
        prop_assert_eq!(days.quantile(share), oracle_quantile(&oracle, share));
        for exact in [0.0, 0.5, 0.9, 1.0] {
            prop_assert_eq!(days.quantile(exact), oracle_quantile(&oracle, exact));
        }
        // The mean keeps the values beyond the cap exactly.
        let sum: u64 = values.iter().map(|v| u64::from(*v)).sum();
        let mean = (!values.is_empty()).then(|| sum as f64 / values.len() as f64);
        prop_assert_eq!(days.mean(), mean);
        let at_most = oracle.iter().filter(|value| **value <= bound).count() as u64;
        prop_assert_eq!(days.at_most(bound), at_most);
    }

    #[test]
    fn merged_days_are_the_days_of_both(
        first in prop::collection::vec(0u32..800, 0..40),
        second in prop::collection::vec(0u32..800, 0..40),
    ) {
        let mut merged = days_of(&first);
        merged.merge(&days_of(&second));
        let both: Vec<u32> = first.iter().chain(&second).copied().collect();
        prop_assert_eq!(&merged, &days_of(&both));
        let oracle = sorted(&both);
        prop_assert_eq!(merged.quantile(0.5), oracle_quantile(&oracle, 0.5));
        prop_assert_eq!(merged.total(), both.len() as u64);
    }

    #[test]
    fn days_read_back_from_their_counts_are_the_same_days(
        values in prop::collection::vec(prop_oneof![4 => 0u32..30, 1 => 0u32..1_000], 0..60),
    ) {
        // What a file format writes (buckets and the values beyond them) and reads back.
        let days = days_of(&values);
        let again = Days::from_counts(days.buckets().to_vec(), days.beyond().to_vec());
        prop_assert_eq!(again.as_ref(), Some(&days));
    }
}

#[test]
fn counts_that_no_days_have_are_refused() {
    // Too many buckets: one past the cap.
    assert_eq!(
        Days::from_counts(vec![0; Days::CAP as usize + 1], Vec::new()),
        None
    );
    // A value beyond the buckets must be at least the cap, and they must be sorted.
    assert_eq!(Days::from_counts(Vec::new(), vec![Days::CAP - 1]), None);
    assert_eq!(Days::from_counts(Vec::new(), vec![500, 450]), None);
    // A sum past u64: u64::MAX values of 2 days.
    assert_eq!(Days::from_counts(vec![0, 0, u64::MAX], Vec::new()), None);
    // The same counts in order are fine: 450 and 500, mean 475.
    let days = Days::from_counts(Vec::new(), vec![450, 500]).expect("valid counts");
    assert_eq!(days.mean(), Some(475.0));
}

#[test]
fn days_without_values_have_no_quantile_or_mean() {
    let days = Days::default();
    assert_eq!(days.total(), 0);
    assert_eq!(days.quantile(0.5), None);
    assert_eq!(days.mean(), None);
    assert_eq!(days.at_most(10), 0);
}

#[test]
fn leave_in_the_book_is_not_a_working_day() {
    // The fortnight's region and period, with therapist 0 on leave Monday 12-01 to Wednesday
    // 12-03 in the book: three of its eight working days go, 16 - 3 = 13 clinician-days.
    let region = region();
    let horizon = Horizon {
        first: date(2025, 11, 17),
        last: date(2025, 12, 31),
    };
    let leave = [(ClinicianId(0), date(2025, 12, 1), date(2025, 12, 3))];
    let book = Book::new(&region, horizon, &leave, BookPolicy::STANDARD).expect("valid");
    let report = access_report(&book, &region, rules(), FORTNIGHT).expect("a valid period");
    assert_eq!(report.workforce.clinician_days, 13);
    let without = Book::new(&region, horizon, &[], BookPolicy::STANDARD).expect("valid");
    let report = access_report(&without, &region, rules(), FORTNIGHT).expect("a valid period");
    assert_eq!(report.workforce.clinician_days, 16);
}

/// Every name a report prints for a route, cadence, cancellation reason or dimension reads back
/// as the same value, and no two values of a kind share a name.
#[test]
fn every_printed_name_reads_back() {
    fn check<T: Slug + PartialEq + std::fmt::Debug>(every: &[T]) {
        for (idx, &value) in every.iter().enumerate() {
            assert_eq!(T::from_slug(value.slug()), Some(value), "{value:?}");
            assert!(
                every[..idx]
                    .iter()
                    .all(|other| other.slug() != value.slug()),
                "{value:?} shares its name"
            );
        }
    }
    check(&[Route::Continuity, Route::Internal, Route::Network]);
    check(&[Cadence::Weekly, Cadence::Biweekly, Cadence::Monthly]);
    check(&Dimension::ALL);
    check(&[
        CancellationReason::MemberRequest,
        CancellationReason::ClinicianUnavailable,
        CancellationReason::Strike,
        CancellationReason::Leave,
        CancellationReason::Closure,
        CancellationReason::LowEnrolment,
        CancellationReason::Rescheduled,
        CancellationReason::HoldExpired,
        CancellationReason::Other,
    ]);
}
