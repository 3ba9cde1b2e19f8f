//! The provider census in a simulation and the seeded PAAS-like sample: survey instants as the
//! scenario says, a sample reproducible from its seed, and Wilson intervals that cover the
//! census rate about as often as they promise.

use caretime_core::id::{ClinicianId, FacilityId};
use caretime_core::region::Affiliation;
use caretime_core::request::RequestKind;
use caretime_engine::report::census::{Answer, Census, ProviderType, Question};
use caretime_sim::census::paas_sample;
use caretime_sim::scenario::{CensusPlan, parse_scenario};
use jiff::civil::date;

const SMALL: &str = include_str!("fixtures/small.toml");

/// A census of `n` internal NPMH providers answering the non-urgent question, provider `i`
/// within the standard when `i % 10 < 7` (70 %), and `m` network ones, within when `i % 4 == 0`
/// (25 %).
fn census(n: u32, m: u32) -> Census {
    let answer = |id: u32, affiliation, within_standard| Answer {
        clinician: ClinicianId(id),
        facility: FacilityId(0),
        affiliation,
        provider_type: ProviderType::Npmh,
        question: Question::NonUrgent,
        kind: RequestKind::Initial,
        next_available: None,
        wait_minutes: None,
        wait_business_days: None,
        within_standard,
        within_shorter: None,
    };
    Census {
        at: "2025-11-03T18:00:00Z".parse().expect("valid"),
        rule_set: "ca-dmhc".to_owned(),
        standards: Vec::new(),
        shorter_urgent: None,
        answers: (0..n)
            .map(|i| answer(i, Affiliation::Internal, i % 10 < 7))
            .chain((0..m).map(|i| answer(n + i, Affiliation::Network, i % 4 == 0)))
            .collect(),
    }
}

#[test]
fn the_sample_is_reproducible_from_its_seed_and_the_whole_stratum_is_the_census() {
    let census = census(500, 80);
    let first = paas_sample(&census, 30, 7);
    assert_eq!(first, paas_sample(&census, 30, 7));
    // Two strata, internal then network, 30 sampled of 500 and of 80.
    let sizes: Vec<(Affiliation, u64, u64)> = first
        .iter()
        .map(|estimate| {
            (
                estimate.stratum.affiliation,
                estimate.population,
                estimate.sampled,
            )
        })
        .collect();
    assert_eq!(
        sizes,
        [
            (Affiliation::Internal, 500, 30),
            (Affiliation::Network, 80, 30)
        ]
    );
    // Other seeds draw other providers: over ten seeds, more than one sampled count.
    let counts: std::collections::BTreeSet<u64> = (0..10)
        .map(|seed| paas_sample(&census, 30, seed)[0].within)
        .collect();
    assert!(counts.len() > 1, "{counts:?}");
    // A sample as large as the stratum is the census: 350 of 500 and 20 of 80, no interval.
    let whole = paas_sample(&census, 1000, 7);
    assert_eq!(
        (whole[0].rate, whole[0].low, whole[0].high),
        (0.7, 0.7, 0.7)
    );
    assert_eq!(
        (whole[1].rate, whole[1].low, whole[1].high),
        (0.25, 0.25, 0.25)
    );
    assert_eq!(whole[0].census_rate, 0.7);
}

#[test]
fn wilson_intervals_cover_the_census_rate_about_95_percent_of_the_time() {
    // 400 samples of 25 from each stratum. A 95 % interval misses about 5 % of the time; with
    // the finite-population correction it should still not miss much more. At most 8 % missed
    // of 400 (the binomial 5 % has a standard deviation of 1.1 % over 400 draws).
    let census = census(300, 120);
    for stratum in 0..2 {
        let missed = (0..400u64)
            .filter(|seed| {
                let estimate = paas_sample(&census, 25, *seed)[stratum];
                estimate.census_rate < estimate.low || estimate.census_rate > estimate.high
            })
            .count();
        assert!(missed <= 32, "stratum {stratum}: {missed} of 400 missed");
    }
}

#[test]
fn surveys_fall_on_the_nth_business_day_at_the_local_time() {
    let scenario = parse_scenario("tests/fixtures/small.toml", SMALL).expect("valid");
    assert_eq!(scenario.census, CensusPlan::DEFAULT);
    // The first business days of November 2025 to February 2026 at 10:00 Pacific: Monday 11-03
    // (PST, UTC-8), Monday 12-01, Friday 01-02 (New Year's Day is a holiday), Monday 02-02.
    let instants = CensusPlan::DEFAULT
        .instants(&scenario.rules, date(2025, 11, 1), date(2026, 3, 1))
        .expect("in range");
    let expected: Vec<jiff::Timestamp> = [
        "2025-11-03T18:00:00Z",
        "2025-12-01T18:00:00Z",
        "2026-01-02T18:00:00Z",
        "2026-02-02T18:00:00Z",
    ]
    .iter()
    .map(|text| text.parse().expect("valid"))
    .collect();
    assert_eq!(instants, expected);
    // The third business day, 16:30: November's 1st is a Saturday (3rd: Wednesday 11-05);
    // Veterans Day does not come before it.
    let third = CensusPlan {
        business_day: 3,
        time: jiff::civil::time(16, 30, 0, 0),
    };
    let instants = third
        .instants(&scenario.rules, date(2025, 11, 1), date(2025, 12, 1))
        .expect("in range");
    assert_eq!(
        instants,
        ["2025-11-06T00:30:00Z"
            .parse::<jiff::Timestamp>()
            .expect("valid")]
    );
    // A scenario's section sets both and refuses a day no month has.
    let with = |section: &str| parse_scenario("s.toml", &format!("{SMALL}\n{section}"));
    let parsed = with("[census]\nbusiness-day = 3\ntime = \"16:30\"\n").expect("valid");
    assert_eq!(parsed.census, third);
    let error = with("[census]\nbusiness-day = 24\n").expect_err("refused");
    assert!(error.to_string().contains("census.business-day"), "{error}");
    let error = with("[census]\ntime = \"noon\"\n").expect_err("refused");
    assert!(error.to_string().contains("census.time"), "{error}");
}

#[test]
fn each_replication_pools_one_census_a_reported_month() {
    let scenario = parse_scenario("tests/fixtures/small.toml", SMALL).expect("valid");
    let (_, replications) = caretime_sim::simulate(&scenario, &|_, _| {}).expect("simulates");
    let dates = caretime_sim::model::Dates::of(&scenario).expect("valid");
    let surveys = scenario
        .census
        .instants(&scenario.rules, dates.report_first, dates.end)
        .expect("in range")
        .len() as u32;
    assert!(surveys > 0);
    for replication in &replications {
        assert_eq!(replication.census.surveys, surveys);
        let all = replication
            .census
            .rows
            .iter()
            .find(|row| row.question == Question::NonUrgent && row.label == "all")
            .expect("an all row");
        // Every clinician is asked the non-urgent question at every survey.
        let region = caretime_region::generate::generate(&scenario.region).expect("generates");
        assert_eq!(
            all.tally.eligible,
            region.clinicians.len() as u64 * u64::from(surveys)
        );
    }
}
