//! Sanity cases with known answers, the validation a simulator of queues must pass:
//! ample capacity gives near-zero waits; capacity below demand makes waits grow; each protected
//! hour removes exactly one direct hour per full-time week; the same seed gives the same bytes
//! whatever the number of threads; episodes are as long as the scenario says; and a degenerate
//! region (Poisson requests, one-visit episodes, identical clinicians) behaves as a queue does,
//! its waits exploding as utilisation approaches 1.
//!
//! Every expectation below is derived by hand, in the comments beside it, never read back from
//! the library. Runs are small (a fixture region at half a percent of Southern California, or a
//! handful of clinicians); the long ones run only when `CARETIME_SLOW_TESTS` is set.

use caretime_core::region::{Affiliation, Discipline, Fte, Region};
use caretime_core::template::{BlockKind, Template};
use caretime_engine::report::Dimension;
use caretime_region::generate::generate;
use caretime_sim::model::Replication;
use caretime_sim::scenario::{NoShowStep, Scenario, builtin_scenario, parse_scenario};
use caretime_sim::summary::Summary;
use jiff::civil::date;
use std::sync::OnceLock;

const SMALL: &str = include_str!("fixtures/small.toml");

/// The snapshot fixture: socal-2024 at half a percent (24,000 members, one internal facility,
/// 65 network providers), one month of warm-up and two reported months, two replications.
fn small() -> Scenario {
    parse_scenario("tests/fixtures/small.toml", SMALL).expect("the fixture is a valid scenario")
}

fn simulate(scenario: &Scenario) -> (Summary, Vec<Replication>) {
    caretime_sim::simulate(scenario, &|_, _| {}).expect("the scenario simulates")
}

/// Runs `scenario` over `region` (generated from the scenario's parameters already).
fn simulate_on(scenario: &Scenario, region: &Region) -> Summary {
    let replications =
        caretime_sim::run_replications(scenario, region, &|| {}).expect("the scenario simulates");
    let dates = caretime_sim::model::Dates::of(scenario).expect("the scenario's dates");
    caretime_sim::summarise(scenario, &dates, &replications).expect("the replications summarise")
}

/// A figure's mean over the replications; panics when the summary lacks it.
fn figure(summary: &Summary, table: &str, row: &str, column: &str) -> f64 {
    summary
        .cell(table, row, column)
        .and_then(|estimate| estimate.mean)
        .unwrap_or_else(|| panic!("the summary has no figure {table} / {row} / {column}"))
}

/// Whether the slow cases run (CI sets the variable).
fn slow_tests() -> bool {
    std::env::var_os("CARETIME_SLOW_TESTS").is_some()
}

/// Members who come to every appointment and never cancel, so that every booked slot is a visit.
fn perfect_attendance(scenario: &mut Scenario) {
    scenario.attendance.no_show = vec![NoShowStep {
        up_to_days: 0,
        share: 0.0,
    }];
    scenario.attendance.no_show_beyond = 0.0;
    scenario.attendance.member_cancellation = 0.0;
    scenario.attendance.dropout_after_no_show = 0.0;
}

/// Every member accepts video visits, so every member can reach some clinician. Without it, at
/// the fixture's scale (one internal facility, in Los Angeles) the members who accept only
/// in-person care and live more than 24 km from it and from every network office get no offer
/// at all: about 5 % of requests, counted unserved (not offered in time, with no wait).
fn everyone_reachable(scenario: &mut Scenario) {
    scenario.region.member_video_share = 1.0;
}

#[test]
fn ample_capacity_gives_near_total_compliance_and_next_day_waits() {
    let mut scenario = small();
    // One therapist per 200 members: 120 internal therapists for 24,000 members. Demand stays
    // socal-2024's (0.115 episodes per member-year, about 12.4 sessions each, so about 2,760
    // new requests and 34,000 visits a year) against some 120 x 0.94 FTE x 30 one-hour slots x
    // 48 working weeks = 160,000 slots a year: a utilisation near 20 %.
    scenario.region.members_per_therapist = 200;
    everyone_reachable(&mut scenario);
    let (summary, replications) = simulate(&scenario);

    // Nobody goes without an offer.
    for replication in &replications {
        assert_eq!(replication.counts.unserved, 0, "every request finds time");
        assert!(replication.counts.arrivals > 500, "the run has requests");
    }
    // With free slots everywhere, the best offer is the first bookable hour after the request:
    // the same business day or the next one (from a night, a weekend or a holiday the next
    // business day is 1 business day away). So initial waits are 0 or 1 business day; the
    // median and p90 are at most 1.
    let initial_median = figure(&summary, "compliance-by-kind", "initial", "wait-median");
    let initial_p90 = figure(&summary, "compliance-by-kind", "initial", "wait-p90");
    let initial_mean = figure(&summary, "compliance-by-kind", "initial", "wait-mean");
    assert!(
        initial_median <= 1.0,
        "initial median wait {initial_median}"
    );
    assert!(initial_p90 <= 1.0, "initial p90 wait {initial_p90}");
    assert!(initial_mean < 1.0, "initial mean wait {initial_mean}");
    // Ten business days are always enough for an initial appointment. A follow-up is looked
    // for from its cadence's target when that keeps within SB 221's ten business days: a target
    // late on the tenth business day (a biweekly session at the same wall time) leaves only the
    // rest of that day, and now and then nobody is free then (one in a few thousand here).
    let initial = figure(&summary, "compliance-by-kind", "initial", "within-standard");
    assert_eq!(initial, 1.0, "initial offers within standard");
    let follow_up = figure(
        &summary,
        "compliance-by-kind",
        "follow-up",
        "within-standard",
    );
    assert!(
        follow_up >= 0.999,
        "follow-up offers within standard: {follow_up}"
    );
    // Only urgent requests can miss: 48 hours from Friday afternoon (after the last bookable
    // hour) to Saturday morning (48 hours before Monday's first one) end on a weekend, about
    // 17 of the week's 168 hours, and longer before a Monday holiday. Urgent requests are 5 %
    // of new requests and new requests about a quarter of all offers (follow-ups are the rest),
    // so the overall share misses by about 0.05 x 0.25 x 0.1 = 0.1 %: at least 99 % are within
    // standard.
    let urgent = figure(&summary, "compliance-by-kind", "urgent", "within-standard");
    assert!(urgent >= 0.7, "urgent offers within standard: {urgent}");
    let overall = figure(&summary, "compliance", "all", "within-standard");
    assert!(overall >= 0.99, "overall within standard: {overall}");
}

/// The fixture made short of capacity: two internal therapists for 24,000 members and one
/// network provider at one hour a week, with socal-2024's demand, from an empty book.
fn overloaded() -> Scenario {
    let mut scenario = small();
    scenario.region.members_per_therapist = 20_000;
    // One provider at full scale is 0.005 at the fixture's scale, which rounds to 0; the
    // generator keeps at least one.
    scenario.region.network_providers = 1;
    scenario.region.network_hours_per_week = 1;
    everyone_reachable(&mut scenario);
    scenario.simulation.warm_up_months = 0;
    scenario.simulation.months = 4;
    scenario.simulation.replications = 1;
    scenario
}

/// The overloaded scenario's run, made once for the two tests that read it.
fn overloaded_run() -> &'static (Summary, Vec<Replication>) {
    static RUN: OnceLock<(Summary, Vec<Replication>)> = OnceLock::new();
    RUN.get_or_init(|| simulate(&overloaded()))
}

#[test]
fn capacity_below_demand_makes_waits_grow_month_after_month() {
    // About 2,500 new therapy requests a year (0.115 x 24,000, less the 10 % for psychiatry)
    // come to two therapists with about 60 one-hour slots a week between them: the intakes
    // alone are 48 a week, and every episode then asks for a dozen more sessions. The queue
    // grows every week, so each month's requests wait longer than the month before's.
    let (summary, replications) = overloaded_run();
    // The calendar is open 26 weeks past the last simulated day and the queue never gets there
    // in four months: no request goes unserved, so every request is in the monthly figures and
    // none of the growth is hidden by the horizon.
    assert_eq!(
        replications[0].counts.unserved, 0,
        "nothing beyond the horizon"
    );
    let months = ["2023-10", "2023-11", "2023-12", "2024-01"];
    let waits: Vec<f64> = months
        .iter()
        .map(|month| figure(summary, "compliance-by-month", month, "wait-mean"))
        .collect();
    let within: Vec<f64> = months
        .iter()
        .map(|month| figure(summary, "compliance-by-month", month, "within-standard"))
        .collect();
    for pair in waits.windows(2) {
        assert!(pair[1] > pair[0] + 2.0, "monthly mean waits {waits:?}");
    }
    // Over three months the queue moves out by weeks: the last month waits at least 20
    // business days longer, and at least three times as long, as the first.
    assert!(waits[3] >= waits[0] + 20.0, "monthly mean waits {waits:?}");
    assert!(waits[3] >= 3.0 * waits[0], "monthly mean waits {waits:?}");
    // Compliance falls with it: from most offers within ten business days in the first month
    // (the book starts empty) to few in the last.
    assert!(within[0] >= 0.5, "first month within standard {within:?}");
    assert!(
        within[3] <= within[0] - 0.5,
        "monthly within standard {within:?}"
    );
    // Kept follow-ups wait longer than SB 221's ten business days on average.
    let follow_up = figure(summary, "follow-ups", "all", "mean-business-days");
    assert!(follow_up > 10.0, "mean follow-up interval {follow_up}");
}

#[test]
fn the_booking_horizon_bounds_waits_and_leaves_the_rest_unserved() {
    // The same overload with the calendar open only two weeks past the last simulated day: the
    // queue reaches the end of the calendar within the run, and requests after that find
    // nothing. Every offer still starts within the calendar, so no wait can exceed the business
    // days from the first request date to the calendar's last date.
    let mut scenario = overloaded();
    scenario.simulation.booking_horizon_weeks = 2;
    let (_, replications) = simulate(&scenario);
    let replication = &replications[0];
    assert!(
        replication.counts.unserved > 0,
        "the queue outgrows the calendar: {:?}",
        replication.counts
    );
    // Every request that found nothing is in the report, as not offered in time (the run has no
    // warm-up, so the report's period is the whole run).
    assert_eq!(
        replication.report.overall.unserved,
        replication.counts.unserved
    );
    assert!(
        replication.report.overall.rate().expect("requests")
            <= replication.report.overall.offers as f64
                / replication.report.overall.requests() as f64
    );
    // The calendar's last date is 2024-02-15 (the day after the run, 2024-02-01, plus two
    // weeks). From the first request date, 2023-10-01 (a Sunday), that is 99 weekdays
    // (2023-10-02 to 2024-02-15), less six California holidays (2023-11-10 Veterans Day
    // observed, 11-23 and 11-24 Thanksgiving, 12-25 Christmas, 2024-01-01 New Year's Day and
    // 01-15 Martin Luther King, Jr. Day): 93 business days. From 2024-01-01, the last month's
    // first date, it is 21 business days of January and 11 of February: 32.
    let longest = replication
        .report
        .overall
        .waits
        .quantile(1.0)
        .expect("some requests were offered time");
    assert!(longest <= 93, "the longest wait, {longest} business days");
    let months = &replication
        .report
        .breakdowns
        .iter()
        .find(|breakdown| breakdown.dimension == Dimension::Month)
        .expect("a month breakdown")
        .rows;
    let last = months.last().expect("a last month");
    assert_eq!(last.label, "2024-01");
    let longest_last = last.waits.quantile(1.0).expect("offers in the last month");
    assert!(
        longest_last <= 32,
        "the last month's longest wait, {longest_last} business days"
    );
    // With the calendar open 26 weeks, that month's requests waited longer than that on
    // average (the test above): here the horizon, not the queue, sets their waits.
    let (open, _) = overloaded_run();
    let open_mean = figure(open, "compliance-by-month", "2024-01", "wait-mean");
    assert!(
        open_mean > 32.0,
        "January's mean wait with an open calendar: {open_mean}"
    );
}

/// Protected minutes per full-time week of the built-in contracts (crates/caretime-core/data/
/// contracts/*.toml): (name, protected minutes). All four have a 40-hour week, 2.5 meeting hours
/// and two urgent-hold hours.
const CONTRACTS: [(&str, u32); 4] = [
    ("socal-2025", 5 * 60),
    ("employer-2024", 6 * 60),
    ("union-2024", 7 * 60),
    ("norcal-2022", 7 * 60 + 30),
];
const FULL_TIME_MINUTES: u32 = 40 * 60;
const MEETING_MINUTES: u32 = 150;

/// A full-time term pro-rated to `hundredths` of an FTE, rounded up to the minute: a guarantee
/// (protected time) is never rounded down (the contract files say terms are pro-rated by FTE).
fn pro_rated(full_time_minutes: u32, hundredths: u32) -> u32 {
    (full_time_minutes * hundredths).div_ceil(100)
}

/// Bookable minutes a week of a template: direct and urgent-hold blocks.
fn bookable_minutes(template: &Template) -> u32 {
    template.minutes(BlockKind::Direct) + template.minutes(BlockKind::UrgentHold)
}

/// Internal non-physician clinicians, the ones the contracts are about.
fn internal_therapists(region: &Region) -> Vec<&caretime_core::region::Clinician> {
    region
        .clinicians
        .iter()
        .filter(|c| {
            c.affiliation == Affiliation::Internal && c.discipline != Discipline::Psychiatrist
        })
        .collect()
}

#[test]
fn each_protected_hour_removes_one_direct_hour_per_fte() {
    let mut scenario = small();
    // 80 therapists, with FTEs whose pro-rating is exact (1, 0.8, 0.5) and some whose is not
    // (0.75 of 7.5 hours is 337.5 minutes, 0.33 of 6 hours is 118.8): the guarantee rounds up.
    scenario.region.members_per_therapist = 300;
    scenario.region.internal_fte = [100, 80, 75, 50, 33]
        .map(|hundredths| (Fte::from_hundredths(hundredths).expect("a valid FTE"), 1))
        .to_vec();
    scenario.demand.episodes_per_member_year = 0.01;
    scenario.simulation.warm_up_months = 0;
    scenario.simulation.months = 1;
    scenario.simulation.replications = 1;

    let regions: Vec<Region> = CONTRACTS
        .iter()
        .map(|(contract, _)| {
            let mut params = scenario.region.clone();
            params.internal_contract = (*contract).to_owned();
            generate(&params).expect("the region generates")
        })
        .collect();
    // The contract changes templates only: the same clinicians at the same FTEs.
    let staff = |region: &Region| -> Vec<(Discipline, u16)> {
        internal_therapists(region)
            .iter()
            .map(|c| (c.discipline, c.fte.hundredths()))
            .collect()
    };
    for region in &regions[1..] {
        assert_eq!(
            staff(region),
            staff(&regions[0]),
            "same staff under every contract"
        );
    }
    let ftes: Vec<u32> = internal_therapists(&regions[0])
        .iter()
        .map(|c| u32::from(c.fte.hundredths()))
        .collect();
    assert_eq!(ftes.len(), 80);
    for hundredths in [100, 80, 75, 50, 33] {
        assert!(
            ftes.contains(&hundredths),
            "some clinicians at {hundredths}"
        );
    }

    // Per clinician: a standard week lays out paid time as protected, meeting, urgent-hold and
    // direct time, so direct plus urgent-hold minutes are the paid minutes less the protected
    // and meeting minutes (and less any group sessions the generator plans, which do not
    // depend on the contract). Between two contracts that differ only in protected time, each
    // clinician's bookable time differs by exactly the difference of the pro-rated protected
    // minutes: 60 minutes per protected hour at full time, 48 at 0.8, 45 at 0.75, 30 at 0.5
    // and about 20 at 0.33 (each contract's minutes rounded up: 119 - 99 from 5 to 6 hours).
    let bookable = |region: &Region| -> Vec<u32> {
        internal_therapists(region)
            .iter()
            .map(|c| bookable_minutes(&region.templates[c.template.index()]))
            .collect()
    };
    for (a, b) in [(0, 1), (1, 2), (2, 3), (0, 3)] {
        let (name_a, protected_a) = CONTRACTS[a];
        let (name_b, protected_b) = CONTRACTS[b];
        let (minutes_a, minutes_b) = (bookable(&regions[a]), bookable(&regions[b]));
        let mut expected_total = 0;
        for (idx, &hundredths) in ftes.iter().enumerate() {
            let expected = pro_rated(protected_b, hundredths) - pro_rated(protected_a, hundredths);
            assert_eq!(
                minutes_a[idx] - minutes_b[idx],
                expected,
                "{name_a} -> {name_b}, a clinician at {hundredths} hundredths"
            );
            expected_total += expected;
        }
        let total = |minutes: &[u32]| minutes.iter().sum::<u32>();
        assert_eq!(
            total(&minutes_a) - total(&minutes_b),
            expected_total,
            "{name_a} -> {name_b}, summed over the therapists"
        );
    }
    // The full-time socal-2025 week: 40 paid hours less 5 protected and 2.5 meeting hours
    // leaves 32.5 hours for appointments (30.5 direct and the two urgent-hold hours) and any
    // group sessions the clinician runs.
    let socal = &regions[0];
    for clinician in internal_therapists(socal) {
        if clinician.fte != Fte::FULL_TIME {
            continue;
        }
        let template = &socal.templates[clinician.template.index()];
        assert_eq!(
            bookable_minutes(template) + template.minutes(BlockKind::Group),
            32 * 60 + 30,
            "a full-time socal-2025 week"
        );
    }

    // The simulator's workforce table says the same: protected hours per FTE week are the
    // contract's (a little more where rounding up adds a minute), and the direct share of paid
    // time falls by the protected minutes added over the paid minutes: 60 / 2,400 = 2.5 points
    // per protected hour.
    let fte_total: u32 = ftes.iter().sum();
    let paid: u32 = ftes.iter().map(|&h| pro_rated(FULL_TIME_MINUTES, h)).sum();
    let protected_sum =
        |protected: u32| -> u32 { ftes.iter().map(|&h| pro_rated(protected, h)).sum() };
    let meetings: u32 = ftes.iter().map(|&h| pro_rated(MEETING_MINUTES, h)).sum();
    let mut shares = Vec::new();
    for ((contract, protected), region) in CONTRACTS.into_iter().zip(&regions) {
        let mut variant = scenario.clone();
        variant.region.internal_contract = contract.to_owned();
        let summary = simulate_on(&variant, region);
        let hours = figure(&summary, "workforce", "internal", "protected-hours");
        let expected_hours =
            f64::from(protected_sum(protected)) / 60.0 * 100.0 / f64::from(fte_total);
        assert!(
            (hours - expected_hours).abs() < 1e-9,
            "{contract}: {hours} protected hours, expected {expected_hours}"
        );
        // Within a minute per clinician of the contract's hours.
        let exact = f64::from(protected) / 60.0;
        assert!(
            hours >= exact && hours < exact + 0.05,
            "{contract}: {hours}"
        );
        // Direct time is at most what protected and meeting time leave of paid time (group
        // sessions, where the generator plans some, take the rest).
        let share = figure(&summary, "workforce", "internal", "direct-share");
        let at_most = f64::from(paid - protected_sum(protected) - meetings) / f64::from(paid);
        assert!(share <= at_most + 1e-12, "{contract}: direct share {share}");
        shares.push(share);
    }
    for (a, b) in [(0, 1), (1, 2), (2, 3), (0, 3)] {
        let (name_a, protected_a) = CONTRACTS[a];
        let (name_b, protected_b) = CONTRACTS[b];
        let expected =
            f64::from(protected_sum(protected_b) - protected_sum(protected_a)) / f64::from(paid);
        let drop = shares[a] - shares[b];
        assert!(
            (drop - expected).abs() < 1e-12,
            "{name_a} -> {name_b}: direct share falls by {drop}, expected {expected}"
        );
    }
    // socal-2025 to norcal-2022: 2.5 more protected hours, 6.25 points less direct share (up to
    // the rounding of the 0.75 and 0.33 FTE clinicians' minutes).
    let drop = shares[0] - shares[3];
    assert!((drop - 0.0625).abs() < 0.001, "direct share drop {drop}");
}

/// The summary as the JSON document the CLI writes.
fn json_text(summary: &Summary) -> String {
    serde_json::to_string(&caretime_sim::render::json(summary)).expect("a JSON value serializes")
}

#[test]
fn the_same_seed_gives_the_same_bytes_whatever_the_threads() {
    let mut scenario = small();
    // More replications than threads, so that they finish out of order; one reported month
    // after the warm-up is enough to compare bytes.
    scenario.simulation.replications = 4;
    scenario.simulation.months = 1;
    let first = json_text(&simulate(&scenario).0);
    let again = json_text(&simulate(&scenario).0);
    assert_eq!(first, again, "two runs of the same scenario");
    for threads in [1, 3] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("a thread pool");
        let in_pool = pool.install(|| json_text(&simulate(&scenario).0));
        assert_eq!(
            first, in_pool,
            "{threads} thread(s) against the default pool"
        );
    }
    let mut reseeded = scenario.clone();
    reseeded.simulation.seed += 1_000;
    let other = json_text(&simulate(&reseeded).0);
    assert_ne!(first, other, "another seed gives another run");
    assert!(
        first.len() > 1_000,
        "the document carries the tables ({} bytes)",
        first.len()
    );
}

/// Sessions of an episode as the scenario files describe them (scenario.rs, `EpisodeModel`): one
/// with chance `one_visit_share`, else 2 plus a geometric number (failures before a success)
/// with mean `continuing_mean - 2`. The exact chance that an episode has at most `k` sessions.
fn sessions_at_most(k: u32, one_visit_share: f64, continuing_mean: f64) -> f64 {
    if k == 0 {
        return 0.0;
    }
    if k == 1 {
        return one_visit_share;
    }
    // The geometric rest G has P(G >= n) = q^n with q = m / (m + 1) for mean m, so
    // P(2 + G <= k) = 1 - q^(k - 1).
    let rest_mean = continuing_mean - 2.0;
    let q = rest_mean / (rest_mean + 1.0);
    one_visit_share + (1.0 - one_visit_share) * (1.0 - q.powi(k as i32 - 1))
}

#[test]
fn socal_2024_episode_parameters_give_the_lengths_design_md_reports() {
    // This checks the scenario's parameters against the range its file states ("median 5-8, mean
    // 8-13 sessions, about a third stop after one visit"), through the distribution the
    // scenario documents; the model's draw is checked by the next tests.
    let scenario = builtin_scenario("socal-2024")
        .expect("built in")
        .expect("valid");
    let episodes = &scenario.episodes;
    let (one, mean) = (episodes.one_visit_share, episodes.continuing_mean_sessions);
    assert!((0.30..=0.36).contains(&one), "a third stop after one visit");
    let median = (1..100)
        .find(|&k| sessions_at_most(k, one, mean) >= 0.5)
        .expect("a median below 100 sessions");
    assert!((5..=8).contains(&median), "median {median} sessions");
    // With the rest at least 2: one x 1 + (1 - one) x continuing mean = 0.33 + 0.67 x 18 = 12.39.
    let mean_sessions = one + (1.0 - one) * mean;
    assert!(
        (8.0..=13.0).contains(&mean_sessions),
        "mean {mean_sessions} sessions"
    );
    // The scenario file's comment says so too: median 6, mean about 12.4.
    assert_eq!(median, 6);
    assert!((mean_sessions - 12.39).abs() < 1e-9);
}

/// A region where every booked appointment is a visit and every follow-up finds time: one
/// therapist per 500 members (48 therapists), everyone reachable, no psychiatry (psychiatry
/// visits open no episode), perfect attendance.
fn ample_episodes(one_visit_share: f64, continuing_mean: f64) -> Scenario {
    let mut scenario = small();
    scenario.region.members_per_therapist = 500;
    everyone_reachable(&mut scenario);
    scenario.demand.psychiatry_share = 0.0;
    scenario.episodes.one_visit_share = one_visit_share;
    scenario.episodes.continuing_mean_sessions = continuing_mean;
    perfect_attendance(&mut scenario);
    scenario.simulation.replications = 1;
    scenario
}

/// Follow-up requests per new episode in the reported period. Each session but the last asks
/// for a follow-up, so once episodes of every age are running (a steady state) this is the
/// mean episode length less one.
fn follow_ups_per_episode(replication: &Replication) -> f64 {
    let kinds = &replication
        .report
        .breakdowns
        .iter()
        .find(|breakdown| breakdown.dimension == Dimension::Kind)
        .expect("a kind breakdown")
        .rows;
    let offers = |kind: &str| {
        kinds
            .iter()
            .find(|row| row.label == kind)
            .map_or(0, |row| row.offers)
    };
    // Initial and urgent requests open an episode each.
    let episodes = offers("initial") + offers("urgent");
    assert!(
        episodes > 500,
        "{episodes} new episodes: too few to measure"
    );
    offers("follow-up") as f64 / episodes as f64
}

#[test]
fn episodes_run_for_the_drawn_number_of_sessions() {
    // Only one-visit episodes: not a single follow-up is ever asked for.
    let mut scenario = ample_episodes(1.0, 18.0);
    scenario.simulation.warm_up_months = 1;
    scenario.simulation.months = 3;
    let (_, replications) = simulate(&scenario);
    let replication = &replications[0];
    assert_eq!(follow_ups_per_episode(replication), 0.0);
    assert_eq!(replication.report.follow_ups.business_days.total(), 0);
    assert_eq!(replication.counts.unserved, 0);
    assert_eq!(
        replication.counts.episodes,
        replication.counts.arrivals - replication.counts.busy_members
    );

    // A third after one visit and the rest 2 + a geometric rest of mean 3 (mean 5 sessions,
    // short enough that six months of warm-up reach a steady state: an episode outlives it
    // with a chance below 2 %): follow-ups per episode = 0.33 x 0 + 0.67 x (5 - 1) = 2.68.
    // An episode's follow-ups have a standard deviation of about 3.4 (the variance is
    // 0.67 x E[(1 + G)^2] - 2.68^2 = 0.67 x 28 - 7.2), so with about 2,700 episodes in the
    // year the ratio's standard error is about 0.07: 0.2 is three of them.
    let mut scenario = ample_episodes(0.33, 5.0);
    scenario.simulation.warm_up_months = 6;
    scenario.simulation.months = 12;
    let (_, replications) = simulate(&scenario);
    let ratio = follow_ups_per_episode(&replications[0]);
    assert!(
        (ratio - 2.68).abs() < 0.2,
        "{ratio} follow-ups per episode, expected 2.68"
    );
}

#[test]
fn socal_2024_episodes_average_their_documented_length_through_the_model() {
    if !slow_tests() {
        return;
    }
    // socal-2024's episodes (a third after one visit, the rest 2 + geometric, mean 18) run for
    // years in the tail, so three years of warm-up: an episode outlives them (more than about 78
    // sessions at a biweekly cadence) with a chance below 1 %, which takes about 0.1 sessions
    // off the measured mean. Expected follow-ups per episode: 12.39 - 1 = 11.39; the standard
    // deviation of an episode's length is about 16, so four replications of some 2,600 episodes
    // each measure it with a standard error of about 0.15.
    let mut scenario = ample_episodes(0.33, 18.0);
    scenario.simulation.warm_up_months = 36;
    scenario.simulation.months = 12;
    scenario.simulation.replications = 4;
    let (_, replications) = simulate(&scenario);
    let ratios: Vec<f64> = replications.iter().map(follow_ups_per_episode).collect();
    let mean = ratios.iter().sum::<f64>() / ratios.len() as f64;
    assert!(
        (mean - 11.39).abs() < 0.8,
        "{mean} follow-ups per episode ({ratios:?}), expected 11.39"
    );
}

/// Whole one-hour appointments a week that a template can hold: each bookable block holds as
/// many hours as fit between its first quarter hour and its end (an appointment never spans two
/// blocks).
fn one_hour_slots_a_week(template: &Template) -> u32 {
    template
        .blocks
        .iter()
        .filter(|block| matches!(block.kind, BlockKind::Direct | BlockKind::UrgentHold))
        .map(|block| {
            let minute = |time: jiff::civil::Time| {
                u32::try_from(time.hour()).expect("a clock hour") * 60
                    + u32::try_from(time.minute()).expect("a clock minute")
            };
            let first = minute(block.range.start()).div_ceil(15) * 15;
            minute(block.range.end()).saturating_sub(first) / 60
        })
        .sum()
}

/// The degenerate region: two identical internal therapists at 0.2 FTE, nobody else who could
/// take a therapy request, Poisson requests at utilisation `utilisation`, one visit each.
fn queue(utilisation: f64, replications: u32) -> Scenario {
    let mut scenario = small();
    // 2,000 members at one facility (scale 0.01 keeps a single internal facility).
    scenario.region.scale = 0.01;
    scenario.region.members = 200_000;
    scenario.region.members_per_therapist = 1_000;
    scenario.region.internal_fte = vec![(Fte::from_hundredths(20).expect("a valid FTE"), 1)];
    scenario.region.network_providers = 0;
    everyone_reachable(&mut scenario);
    scenario.leave.weeks_per_year = 0;
    scenario.demand.urgent_share = 0.0;
    scenario.demand.psychiatry_share = 0.0;
    scenario.episodes.one_visit_share = 1.0;
    perfect_attendance(&mut scenario);
    scenario.simulation.start = date(2024, 1, 1);
    scenario.simulation.warm_up_months = 1;
    scenario.simulation.months = 12;
    scenario.simulation.replications = replications;
    // A 0.2 FTE socal-2025 week: 8 paid hours, laid out in whole hours (2, 2, 2, 1, 1 from
    // Monday), less 1 protected hour (Monday's first) and 0.5 meeting hours (the end of Friday),
    // and no urgent-hold hour ((2 x 20 + 50) / 100 rounds to 0): direct time Monday 09:00-10:00,
    // Tuesday and Wednesday 08:00-10:00, Thursday 08:00-09:00, Friday 08:00-08:30. One-hour
    // appointments a week: 1 + 2 + 2 + 1 + 0 = 6. The reported year (2024-02-01 to 2025-01-31)
    // has 52 Mondays, Tuesdays and Wednesdays and 53 Thursdays and Fridays; its 11 California
    // holidays fall on 6 Mondays (Feb 19, Apr 1 for Cesar Chavez Day, May 27, Sep 2, Nov 11,
    // Jan 20), 2 Wednesdays (Dec 25, Jan 1), 2 Thursdays (Jul 4, Nov 28) and a Friday (Nov 29).
    // Slots: 46 x 1 + 52 x 2 + 50 x 2 + 51 x 1 + 52 x 0 = 301 a therapist, 602 between the two.
    // Requests come at `utilisation x 602` a year from 2,000 members.
    scenario.demand.episodes_per_member_year = utilisation * 602.0 / 2_000.0;
    scenario
}

#[test]
fn waits_explode_as_utilisation_approaches_one() {
    let replications = if slow_tests() { 48 } else { 16 };
    // The capacity the comment of `queue` derives by hand, checked against the templates.
    let region = generate(&queue(0.5, 1).region).expect("the region generates");
    let therapists = internal_therapists(&region);
    assert_eq!(therapists.len(), 2, "two identical therapists");
    for therapist in &therapists {
        let template = &region.templates[therapist.template.index()];
        assert_eq!(
            one_hour_slots_a_week(template),
            6,
            "six one-hour slots a week"
        );
    }
    assert!(
        region
            .clinicians
            .iter()
            .all(|c| c.affiliation == Affiliation::Internal),
        "no network"
    );

    let levels = [0.5, 0.7, 0.85, 0.95];
    let mut waits = Vec::new();
    for utilisation in levels {
        let (summary, _) = simulate(&queue(utilisation, replications));
        let wait = figure(&summary, "compliance", "all", "wait-mean");
        // Every request is served (one visit, nobody missing), so the visits of the year are
        // the utilisation of its 602 slots, up to the Poisson noise (about 16 requests a year)
        // and the queue still waiting at the end.
        let visits = figure(&summary, "attendance", "all", "fulfilled");
        let realised = visits / 602.0;
        assert!(
            (realised - utilisation).abs() < 0.06,
            "utilisation {utilisation}: {visits} visits of 602 slots"
        );
        waits.push(wait);
    }
    // Queueing theory: with Poisson arrivals and deterministic service, the mean wait in queue
    // is rho / (2 (1 - rho)) service times (Pollaczek-Khinchine, M/D/1). Taking the two
    // therapists' 12 slots a week (2.4 a business day) as one server with a service time of
    // 1 / 2.4 business days, that is 0.21, 0.49, 1.18 and 3.96 business days at these levels; on
    // top of it every request waits for the next slot (most come at night or at weekends, and
    // Friday has none: about a business day or more). So the waits rise, each step more than the
    // one before (convex: they explode towards rho = 1), and at 0.95 they are well above twice
    // those at 0.5. Near 1 the queue is slow to settle (its relaxation time, about
    // 1 / (1 - rho)^2 = 400 service times, is longer than the run), so the run sees less than the
    // steady state there.
    let steps: Vec<f64> = waits.windows(2).map(|pair| pair[1] - pair[0]).collect();
    assert!(steps.iter().all(|step| *step > 0.0), "waits {waits:?}");
    assert!(
        steps[1] > steps[0] && steps[2] > steps[1],
        "waits {waits:?}"
    );
    assert!(waits[3] > 2.5 * waits[0], "waits {waits:?}");
    // The excess over the wait at 0.5 follows the formula within a factor of 2: 1.18 - 0.21 =
    // 0.97 days at 0.85, and at 0.95 at least half of the steady state's 3.75.
    let excess_85 = waits[2] - waits[0];
    assert!(
        (0.49..=1.94).contains(&excess_85),
        "excess wait at 0.85: {excess_85} (waits {waits:?})"
    );
    let excess_95 = waits[3] - waits[0];
    assert!(
        (1.88..=7.5).contains(&excess_95),
        "excess wait at 0.95: {excess_95} (waits {waits:?})"
    );
}

/// Where the replications' requests were booked, summed: (continuity, internal, network).
fn routes(replications: &[Replication]) -> (u64, u64, u64) {
    replications
        .iter()
        .fold((0, 0, 0), |(c, i, n), replication| {
            let routes = &replication.report.routes;
            (
                c + routes.continuity,
                i + routes.internal,
                n + routes.network,
            )
        })
}

#[test]
fn a_caseload_cap_sends_new_patients_to_the_network() {
    // The fixture has about eight internal therapists for 24,000 members, 10-13 % of whom start
    // an episode a year and stay in it for weeks: each therapist's open episodes run into the
    // dozens. A cap of 5 closes every therapist to new patients most of the time, so new
    // patients go to other internal clinicians less and to the network more; a cap nobody
    // reaches changes nothing, byte for byte.
    let (_, open) = simulate(&small());
    let mut capped = small();
    capped.clinic.caseload_cap = Some(5);
    let (_, capped) = simulate(&capped);
    let (_, open_internal, open_network) = routes(&open);
    let (_, capped_internal, capped_network) = routes(&capped);
    assert!(
        capped_internal < open_internal / 2 && capped_network > open_network,
        "internal {open_internal} -> {capped_internal}, network {open_network} -> {capped_network}"
    );
    let mut unreached = small();
    unreached.clinic.caseload_cap = Some(1_000_000);
    let (unreached, _) = simulate(&unreached);
    assert_eq!(json_text(&unreached), json_text(&simulate(&small()).0));
}

/// Mean booked sessions per internal clinician-day and mean follow-up interval (business days)
/// over the replications.
fn booked_and_interval(replications: &[Replication]) -> (f64, f64) {
    let n = replications.len() as f64;
    replications
        .iter()
        .fold((0.0, 0.0), |(booked, interval), replication| {
            let report = &replication.report;
            (
                booked
                    + report
                        .workforce
                        .booked_per_clinician_day()
                        .expect("working days")
                        / n,
                interval + report.follow_ups.business_days.mean().expect("follow-ups") / n,
            )
        })
}

#[test]
fn overbooking_over_expected_no_shows_books_more_and_returns_sooner() {
    // Returns on the treating therapist's calendar in the fixture's overloaded clinic wait past
    // their cadence; booked over the no-shows each day expects (about a third of appointments
    // booked weeks ahead are missed, so a day of five or six expects one or two), they come
    // sooner and the therapists' days hold more booked sessions.
    let mut plain = small();
    plain.clinic.follow_ups = caretime_engine::find::FollowUps::TreatingClinician;
    let (_, without) = simulate(&plain);
    let mut overbooking = plain.clone();
    overbooking.clinic.overbooking = caretime_sim::scenario::Overbooking::ExpectedNoShows;
    let (_, with) = simulate(&overbooking);
    assert!(without.iter().all(|r| r.counts.overbooked == 0));
    let overbooked: u64 = with.iter().map(|r| r.counts.overbooked).sum();
    let (booked_without, interval_without) = booked_and_interval(&without);
    let (booked_with, interval_with) = booked_and_interval(&with);
    assert!(
        overbooked > 0 && booked_with > booked_without && interval_with < interval_without,
        "{overbooked} overbooked; booked per day {booked_without:.2} -> {booked_with:.2}, \
         follow-up interval {interval_without:.1} -> {interval_with:.1} business days"
    );
    // Members who never miss: no day expects a no-show, so nothing is overbooked and the run is
    // the same, byte for byte, as without the policy.
    let mut attending = plain.clone();
    perfect_attendance(&mut attending);
    let mut attending_overbooking = attending.clone();
    attending_overbooking.clinic.overbooking = caretime_sim::scenario::Overbooking::ExpectedNoShows;
    let (attending_overbooking, runs) = simulate(&attending_overbooking);
    assert!(runs.iter().all(|r| r.counts.overbooked == 0));
    assert_eq!(
        json_text(&attending_overbooking),
        json_text(&simulate(&attending).0)
    );
}
