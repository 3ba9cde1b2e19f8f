//! The provider census (PAAS question for every provider): rates, waits and raw rows on small
//! hand-built regions, each figure derived by hand below; the census follows the engine's
//! routing of urgent-hold time; and booking a provider's time never raises their network's rate.

mod support;

use caretime_core::id::{ClinicianId, FacilityId, RegionId, TemplateId};
use caretime_core::region::{
    Affiliation, Clinician, Discipline, Facility, Fte, GeoPoint, Language, ModalitySet, Region,
};
use caretime_core::slug::Slug;
use caretime_core::template::WeeklyHours;
use caretime_engine::availability::{Availability, Horizon, Minute};
use caretime_engine::book::{Book, BookPolicy};
use caretime_engine::find::{FindPolicy, schedules};
use caretime_engine::report::census::{
    Census, Grouping, ProviderType, Question, census, census_csv, census_of,
};
use jiff::civil::{Date, date};
use proptest::prelude::*;
use support::{at, range, rules, template};

/// Clinicians `(discipline, affiliation, facility)` at three facilities: 0 "Los Angeles Medical
/// Center" and 1 "Anaheim Medical Center" (internal), 2 "Network office 1"; every clinician
/// works the support template (each weekday 09:00-10:00 direct, 11:00-12:00 urgent hold).
fn region_of(clinicians: &[(Discipline, Affiliation, u32)]) -> Region {
    let base = support::region();
    let facility = |id: u32, name: &str| Facility {
        id: FacilityId(id),
        name: name.to_owned(),
        address: "synthetic".to_owned(),
        location: GeoPoint::new(34.0, -118.0).expect("valid"),
        time_zone: base.facilities[0].time_zone.clone(),
        hours: WeeklyHours::weekdays(range("08:00", "18:00")),
        calendar: base.facilities[0].calendar.clone(),
    };
    Region {
        id: RegionId(0),
        name: "Census test".to_owned(),
        facilities: vec![
            facility(0, "Los Angeles Medical Center"),
            facility(1, "Anaheim Medical Center"),
            facility(2, "Network office 1"),
        ],
        clinicians: clinicians
            .iter()
            .enumerate()
            .map(|(id, &(discipline, affiliation, facility))| Clinician {
                id: ClinicianId(id as u32),
                name: format!("Clinician {id}"),
                discipline,
                affiliation,
                languages: vec![Language::ENGLISH],
                modalities: ModalitySet::ALL,
                fte: Fte::FULL_TIME,
                facility: FacilityId(facility),
                template: TemplateId(0),
            })
            .collect(),
        members: base.members,
        templates: vec![template()],
    }
}

const HORIZON: Horizon = Horizon {
    first: date(2025, 10, 27),
    last: date(2025, 12, 31),
};

/// The book of the main table: each clinician away (leave) from Monday 2025-11-03 through a
/// date, or not at all.
fn leave_book(region: &Region, away_through: &[Option<Date>]) -> Book {
    let leave: Vec<(ClinicianId, Date, Date)> = away_through
        .iter()
        .enumerate()
        .filter_map(|(id, through)| {
            through.map(|last| (ClinicianId(id as u32), date(2025, 11, 3), last))
        })
        .collect();
    Book::new(region, HORIZON, &leave, BookPolicy::STANDARD).expect("valid")
}

/// A row's eligible, within, within 48 hours, no availability, mean and median wait.
type Figures = (u64, u64, u64, u64, Option<f64>, Option<f64>);

/// The [`Figures`] of a row.
fn figures(census: &Census, region: &Region, question: Question, label: &str) -> Figures {
    let rows = census.rows(
        region,
        &[
            Grouping::All,
            Grouping::Network,
            Grouping::ProviderType,
            Grouping::Facility,
        ],
    );
    let row = rows
        .iter()
        .find(|row| row.question == question && row.label == label)
        .unwrap_or_else(|| panic!("a {} row {label}", question.slug()));
    let tally = &row.tally;
    (
        tally.eligible,
        tally.within,
        tally.within_shorter,
        tally.no_availability,
        tally.mean_wait(),
        tally.median_wait(),
    )
}

/// Seven providers surveyed on Monday 2025-11-03 at 08:00 PST (UTC-8; DST ended on 11-02).
/// Tuesday 11-11 (Veterans Day) and Thursday-Friday 11-27/28 (Thanksgiving) are California
/// holidays. Business days after Monday 11-03: 1 = 11-04, 3 = 11-06, 4 = 11-07, 5 = 11-10,
/// 6 = 11-12, 9 = 11-17, 10 = 11-18, 11 = 11-19, 14 = 11-24, 15 = 11-25, 16 = 11-26.
///
/// | id | type          | network | facility | away through | first free      | bd | hours |
/// |----|---------------|---------|----------|--------------|-----------------|----|-------|
/// | 0  | therapist     | int     | LA       | -            | Mon 11-03 09:00 | 0  | 1     |
/// | 1  | social worker | int     | LA       | Wed 11-05    | Thu 11-06 09:00 | 3  | 73    |
/// | 2  | psychologist  | int     | Anaheim  | Mon 11-17    | Tue 11-18 09:00 | 10 | 361   |
/// | 3  | therapist     | network | office   | Tue 11-18    | Wed 11-19 09:00 | 11 | 385   |
/// | 4  | therapist     | network | office   | whole horizon| none            | -  | -     |
/// | 5  | psychiatrist  | int     | LA       | Fri 11-21    | Mon 11-24 09:00 | 14 | -     |
/// | 6  | psychiatrist  | network | office   | Tue 11-25    | Wed 11-26 09:00 | 16 | -     |
///
/// Every first free hour is a direct hour (09:00, before the 11:00 urgent hold), so urgent,
/// non-urgent and follow-up find the same start. Standards from the survey: urgent 96 hours
/// (Friday 11-07 08:00) and 48 hours (Wednesday 11-05 08:00); NPMH 10 business days (through
/// 11-18), psychiatrist 15 (through 11-25), follow-up 10.
fn survey() -> (Region, Census) {
    use Affiliation::{Internal, Network};
    use Discipline::*;
    let region = region_of(&[
        (Therapist, Internal, 0),
        (SocialWorker, Internal, 0),
        (Psychologist, Internal, 1),
        (Therapist, Network, 2),
        (Therapist, Network, 2),
        (Psychiatrist, Internal, 0),
        (Psychiatrist, Network, 2),
    ]);
    let book = leave_book(
        &region,
        &[
            None,
            Some(date(2025, 11, 5)),
            Some(date(2025, 11, 17)),
            Some(date(2025, 11, 18)),
            Some(HORIZON.last),
            Some(date(2025, 11, 21)),
            Some(date(2025, 11, 25)),
        ],
    );
    let census = census(&book, &region, rules(), at("2025-11-03T16:00:00Z")).expect("valid");
    (region, census)
}

#[test]
fn non_urgent_rates_equal_a_hand_count() {
    let (region, census) = survey();
    let cases: [(&str, Figures); 7] = [
        // All seven: 0, 1, 2 (10 bd, the last day) and 5 (14 of 15) within: 4 of 7. Waits of
        // the NPMH 0, 3, 10, 11 and psychiatrists 14, 16: mean 54 / 6 = 9, median the 3rd of
        // 6 sorted (0 3 10 11 14 16) = 10; provider 4 has none.
        ("all", (7, 4, 0, 1, Some(9.0), Some(10.0))),
        // Internal 0, 1, 2, 5: all within; waits 0, 3, 10, 14: mean 6.75, median 3.
        ("internal", (4, 4, 0, 0, Some(6.75), Some(3.0))),
        // Network 3 (11 bd), 4 (none), 6 (16 of 15): none within; waits 11, 16.
        ("network", (3, 0, 0, 1, Some(13.5), Some(11.0))),
        // NPMH 0-4 against 10 bd: 0, 1, 2 within: 3 of 5; waits 0 3 10 11: mean 6, median 3.
        ("npmh", (5, 3, 0, 1, Some(6.0), Some(3.0))),
        // Psychiatrists against 15 bd: 5 within, 6 not.
        ("psychiatrist", (2, 1, 0, 0, Some(15.0), Some(14.0))),
        // Facilities: LA holds 0, 1, 5 (all within; waits 0 3 14); Anaheim 2.
        (
            "Los Angeles Medical Center",
            (3, 3, 0, 0, Some(17.0 / 3.0), Some(3.0)),
        ),
        ("Network office 1", (3, 0, 0, 1, Some(13.5), Some(11.0))),
    ];
    for (label, expected) in cases {
        assert_eq!(
            figures(&census, &region, Question::NonUrgent, label),
            expected,
            "{label}"
        );
    }
}

#[test]
fn urgent_and_follow_up_rates_equal_a_hand_count() {
    let (region, census) = survey();
    // Urgent asks the NPMH only (the engine routes urgent requests to them): 0 (1 h) and 1
    // (73 h) within 96 hours, only 0 within 48; waits 1, 73, 361, 385 hours: mean 820 / 4 = 205,
    // median the 2nd of 4 = 73.
    assert_eq!(
        figures(&census, &region, Question::Urgent, "all"),
        (5, 2, 1, 1, Some(205.0), Some(73.0))
    );
    // Internal 0, 1, 2: 2 of 3 within 96 h, 1 within 48 h; waits 1 73 361: mean 145.
    assert_eq!(
        figures(&census, &region, Question::Urgent, "internal"),
        (3, 2, 1, 0, Some(145.0), Some(73.0))
    );
    assert_eq!(
        figures(&census, &region, Question::Urgent, "network"),
        (2, 0, 0, 1, Some(385.0), Some(385.0))
    );
    // Follow-up: the NPMH against 10 business days, the same starts as the initial question.
    assert_eq!(
        figures(&census, &region, Question::FollowUp, "all"),
        (5, 3, 0, 1, Some(6.0), Some(3.0))
    );
    assert_eq!(
        figures(&census, &region, Question::FollowUp, "internal"),
        (3, 3, 0, 0, Some(13.0 / 3.0), Some(3.0))
    );
    // Psychiatrists answer neither question.
    let rows = census.rows(&region, &[Grouping::ProviderType]);
    for question in [Question::Urgent, Question::FollowUp] {
        let types: Vec<&str> = rows
            .iter()
            .filter(|row| row.question == question)
            .map(|row| row.label.as_str())
            .collect();
        assert_eq!(types, ["npmh"], "{question:?}");
    }
    assert!(
        census
            .answers
            .iter()
            .filter(|answer| answer.provider_type == ProviderType::Psychiatrist)
            .all(|answer| answer.question == Question::NonUrgent)
    );
}

#[test]
fn raw_rows_say_each_answer_and_are_the_same_every_time() {
    let (region, census) = survey();
    // 5 NPMH x 3 questions + 2 psychiatrists x 1.
    assert_eq!(census.answers.len(), 17);
    let csv = census_csv(std::slice::from_ref(&census), &region);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 18);
    assert_eq!(
        lines[0],
        "survey_at,clinician_id,clinician,facility_id,facility,network,provider_type,discipline,\
         question,request_kind,standard,next_available,time,wait_hours,wait_business_days,\
         within_standard,within_48_hours"
    );
    // Provider 1's urgent answer: Thursday 11-06 09:00 PST is 17:00 UTC, 73 hours on, 3
    // business days; within 96 hours, not 48.
    assert!(lines.contains(
        &"2025-11-03T16:00:00Z,1,Clinician 1,0,Los Angeles Medical Center,internal,npmh,\
          social-worker,urgent,urgent,96 hours,2025-11-06T17:00:00Z,direct,73.00,3,true,false"
    ));
    // Provider 4 has nothing: empty start, time and waits, not within.
    assert!(lines.contains(
        &"2025-11-03T16:00:00Z,4,Clinician 4,2,Network office 1,network,npmh,therapist,\
          non-urgent,initial,10 business days,,,,,false,"
    ));
    let (_, again) = survey();
    assert_eq!(census, again);
    assert_eq!(csv, census_csv(&[again], &region));
}

/// The index of the support region's three therapists (0 and 1 internal, 2 network) with
/// Monday 2025-11-03 09:00 PST (17:00 UTC) taken from therapist 0.
fn index_with_monday_taken() -> (Region, Availability) {
    let region = support::region();
    let mut availability =
        Availability::build(&schedules(&region, &[]), HORIZON, 24 * 60).expect("valid");
    availability
        .reserve(
            ClinicianId(0),
            Minute::from_timestamp(at("2025-11-03T17:00:00Z")),
            60,
        )
        .expect("free");
    (region, availability)
}

#[test]
fn routine_questions_wait_for_the_urgent_hold_release_and_urgent_ones_do_not() {
    let (region, availability) = index_with_monday_taken();
    let next = |survey: &str, question: Question| {
        let census = census_of(
            &availability,
            &FindPolicy::STANDARD,
            &region,
            rules(),
            at(survey),
        )
        .expect("valid");
        census
            .answers
            .iter()
            .find(|answer| answer.clinician == ClinicianId(0) && answer.question == question)
            .and_then(|answer| answer.next_available)
            .map(|(start, time)| (start.to_string(), time.slug()))
    };
    let some = |start: &str, time: &'static str| Some((start.to_owned(), time));
    // Sunday 11-02 08:00 PST: Monday's 11:00 urgent hold is 27 hours away, not yet released
    // (24 hours): a routine question waits for Tuesday's 09:00 direct hour, an urgent one takes
    // the hold.
    let early = "2025-11-02T16:00:00Z";
    assert_eq!(
        next(early, Question::NonUrgent),
        some("2025-11-04T17:00:00Z", "direct")
    );
    assert_eq!(
        next(early, Question::FollowUp),
        some("2025-11-04T17:00:00Z", "direct")
    );
    assert_eq!(
        next(early, Question::Urgent),
        some("2025-11-03T19:00:00Z", "urgent-hold")
    );
    // Sunday 20:00 PST: the hold is 15 hours away, released: every question takes it.
    let late = "2025-11-03T04:00:00Z";
    for question in Question::ALL {
        assert_eq!(
            next(late, question),
            some("2025-11-03T19:00:00Z", "urgent-hold"),
            "{question:?}"
        );
    }
}

/// The rate of each question for `affiliation`'s providers, in [`Question::ALL`] order.
fn network_rates(census: &Census, region: &Region, affiliation: Affiliation) -> Vec<Option<f64>> {
    let label = match affiliation {
        Affiliation::Internal => "internal",
        Affiliation::Network => "network",
    };
    let rows = census.rows(region, &[Grouping::Network]);
    Question::ALL
        .iter()
        .map(|question| {
            rows.iter()
                .find(|row| row.question == *question && row.label == label)
                .and_then(|row| row.tally.rate())
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Booking some of a provider's free time (any hours of the first three weeks) never raises
    /// their network's rate for any question, whatever the region and the survey instant.
    #[test]
    fn booking_a_providers_time_never_raises_their_networks_rate(
        providers in prop::collection::vec((0usize..5, any::<bool>()), 1..7),
        survey_hours in 0i64..(10 * 24),
        who in any::<prop::sample::Index>(),
        booked in prop::collection::vec((0i64..21, any::<bool>()), 1..12),
    ) {
        let providers: Vec<(Discipline, Affiliation, u32)> = providers
            .iter()
            .map(|&(discipline, internal)| {
                let affiliation = if internal { Affiliation::Internal } else { Affiliation::Network };
                (Discipline::ALL[discipline], affiliation, if internal { 0 } else { 2 })
            })
            .collect();
        let region = region_of(&providers);
        let mut availability =
            Availability::build(&schedules(&region, &[]), HORIZON, 24 * 60).expect("valid");
        // From Monday 2025-11-03 00:00 PST on.
        let survey = at("2025-11-03T08:00:00Z") + jiff::SignedDuration::from_hours(survey_hours);
        let take = |availability: &Availability| {
            census_of(availability, &FindPolicy::STANDARD, &region, rules(), survey)
                .expect("valid")
        };
        let before = take(&availability);
        let clinician = ClinicianId(who.index(providers.len()) as u32);
        let affiliation = providers[clinician.index()].1;
        for (day, urgent_hold) in booked {
            // The direct hour (09:00 PST, 17:00 UTC) or the urgent hold (11:00 PST) of a day.
            let hour = if urgent_hold { 19 } else { 17 };
            let start = at("2025-11-03T00:00:00Z")
                + jiff::SignedDuration::from_hours(day * 24 + hour);
            // Weekends and holidays have no such hour, and a day may come twice: only free time
            // is booked.
            let _ = availability.reserve(clinician, Minute::from_timestamp(start), 60);
        }
        let after = take(&availability);
        for (question, (was, now)) in Question::ALL.iter().zip(
            network_rates(&before, &region, affiliation)
                .into_iter()
                .zip(network_rates(&after, &region, affiliation)),
        ) {
            prop_assert_eq!(was.is_some(), now.is_some());
            if let (Some(was), Some(now)) = (was, now) {
                prop_assert!(now <= was, "{:?}: {} then {}", question, was, now);
            }
        }
    }
}
