//! Comparing variants and planning staffing, as a workforce planner uses them: what a protected
//! hour costs must match the templates' arithmetic, and the planner's answer must meet the
//! target where the next poorer staffing it tried did not. A tiny region (tests/fixtures/small.toml
//! at a fifth of its size, one reported month) keeps every test to a few seconds in debug.

use caretime_core::region::{Affiliation, Discipline};
use caretime_region::generate::generate;
use caretime_sim::compare::{self, Variant};
use caretime_sim::plan::{self, Measure, Outcome, Search};
use caretime_sim::scenario::{Scenario, parse_scenario};

const SMALL: &str = include_str!("fixtures/small.toml");

/// The small fixture at scale 0.002 (9,600 members, 4 internal therapists at 1:3000), one
/// month of warm-up and one reported, two replications.
fn tiny() -> Scenario {
    let mut scenario = parse_scenario("tests/fixtures/small.toml", SMALL)
        .expect("the fixture is a valid scenario");
    scenario.region.scale = 0.002;
    scenario.simulation.warm_up_months = 1;
    scenario.simulation.months = 1;
    scenario.simulation.replications = 2;
    scenario
}

#[test]
fn a_protected_hour_costs_one_direct_hour_per_therapist_fte() {
    let scenario = tiny();
    let contracts = ["socal-2025".to_owned(), "union-2024".to_owned()];
    let variants = Variant::grid(&contracts, &[3000]);
    let comparison =
        compare::compare(&scenario, &variants, &|_, _| {}).expect("the variants simulate");

    // By hand: the internal non-physician clinicians' FTE in the region at 1:3000.
    let mut params = scenario.region.clone();
    params.members_per_therapist = 3000;
    let region = generate(&params).expect("the region generates");
    let fte_hundredths: u64 = region
        .clinicians
        .iter()
        .filter(|c| {
            c.affiliation == Affiliation::Internal && c.discipline != Discipline::Psychiatrist
        })
        .map(|c| u64::from(c.fte.hundredths()))
        .sum();
    let fte = fte_hundredths as f64 / 100.0;
    assert!(fte > 0.0, "the region has internal therapists");

    assert_eq!(comparison.protected_hour_costs.len(), 1, "one pair");
    let cost = &comparison.protected_hour_costs[0];
    assert_eq!(
        (cost.from, cost.to),
        (0, 1),
        "from fewer to more protected hours"
    );
    assert_eq!(
        cost.protected_hours_added, 2.0,
        "union-2024 7 h minus socal-2025 5 h"
    );
    assert!(
        (cost.direct_hours - fte).abs() < 1e-9,
        "template arithmetic {} = FTE {fte}",
        cost.direct_hours
    );
    assert!((cost.therapist_fte - fte).abs() < 1e-9);

    let (fewer, more) = (&comparison.variants[0], &comparison.variants[1]);
    assert!(more.templates.direct_minutes < fewer.templates.direct_minutes);
    assert!(more.templates.hour_appointments <= fewer.templates.hour_appointments);
    assert_eq!(
        fewer.templates.therapists, more.templates.therapists,
        "the same ratio gives the same clinicians"
    );
    let direct_share = comparison
        .rows
        .iter()
        .find(|row| row.slug == "direct-share")
        .expect("the table has the direct share");
    let share = |idx: usize| direct_share.cells[idx].mean.expect("a share");
    assert!(
        share(1) < share(0),
        "more protected time, a smaller direct share"
    );

    // The simulated figure pairs replication i of both variants.
    assert_eq!(cost.simulated.n, 2);
    let paired: Vec<f64> = fewer
        .internal_visits_per_week
        .iter()
        .zip(&more.internal_visits_per_week)
        .map(|(fewer, more)| (fewer - more) / 2.0)
        .collect();
    let mean = paired.iter().sum::<f64>() / 2.0;
    assert!((cost.simulated.mean.expect("a mean") - mean).abs() < 1e-9);

    // Every format carries the figures.
    let text = compare::text(&comparison);
    assert!(text.contains("socal-2025 → union-2024 (1:3000)"));
    assert!(text.contains("1,300 appointments a week"));
    let json = compare::json(&comparison);
    assert_eq!(json["variants"].as_array().map(Vec::len), Some(2));
    assert_eq!(json["summaries"].as_array().map(Vec::len), Some(2));
    let csv = compare::csv(&comparison).expect("CSV into memory");
    assert!(csv.contains(",protected-hour-cost,template-direct-hours,"));
    let page = compare::html(&comparison);
    assert!(page.starts_with("<!DOCTYPE html>") && page.trim_end().ends_with("</html>"));
    assert_eq!(page.matches("<svg").count(), page.matches("</svg>").count());
    assert!(!page.to_lowercase().contains("<script"));
}

#[test]
fn variants_are_checked_before_anything_runs() {
    let scenario = tiny();
    let unknown = Variant::grid(&["socal-2025".to_owned(), "nope".to_owned()], &[3000]);
    let err = compare::compare(&scenario, &unknown, &|_, _| {}).expect_err("unknown contract");
    assert!(
        err.to_string()
            .starts_with("unknown contract `nope` (built in: ")
    );
    let twice = Variant::grid(&["socal-2025".to_owned()], &[3000, 3000]);
    assert!(compare::compare(&scenario, &twice, &|_, _| {}).is_err());
    assert!(compare::compare(&scenario, &[], &|_, _| {}).is_err());
}

/// The internal therapists the scenario's region has at `ratio` members per therapist.
fn therapists_at(scenario: &Scenario, ratio: u32) -> u32 {
    let mut region = scenario.region.clone();
    region.members_per_therapist = ratio;
    region.counts().expect("the region's counts").therapists
}

/// The invariants every plan keeps, whatever its outcome.
fn check(plan: &plan::Plan, scenario: &Scenario) {
    let search = &plan.search;
    assert!(plan.evaluations.len() as u32 <= search.max_evaluations);
    // The plan reports staffing it simulated, never a ratio it only inferred.
    for shown in [plan.answer, plan.missed, Some(plan.baseline)]
        .into_iter()
        .flatten()
    {
        assert!(plan.evaluations.contains(&shown), "{shown:?}");
    }
    match plan.outcome {
        Outcome::Found => {
            let answer = plan.answer.expect("found: an answer");
            let missed = plan.missed.expect("found: a ratio that missed");
            assert!(answer.meets && !missed.meets);
            assert!(answer.compliance.mean.expect("a mean") >= search.target);
            assert!(
                missed
                    .compliance
                    .mean
                    .is_none_or(|mean| mean < search.target)
            );
            assert!(answer.members_per_therapist < missed.members_per_therapist);
            assert!(answer.therapists > missed.therapists);
        }
        Outcome::PoorestMeets => {
            let answer = plan.answer.expect("the poorest tried");
            assert!(answer.meets);
            assert_eq!(
                answer.therapists,
                therapists_at(scenario, search.poorest_ratio)
            );
        }
        Outcome::RichestMisses => {
            assert!(plan.answer.is_none());
            let missed = plan.missed.expect("the richest tried");
            assert_eq!(
                missed.therapists,
                therapists_at(scenario, search.richest_ratio)
            );
        }
    }
    // The wage schedule times the FTE, year by year.
    let per_fte = scenario.wages.cost_by_year();
    assert_eq!(plan.baseline_cost.by_year.len(), per_fte.len());
    for (cost, per_fte) in plan.baseline_cost.by_year.iter().zip(&per_fte) {
        assert!((cost - per_fte * plan.baseline.therapist_fte).abs() < 1e-6);
    }
    let total: f64 = plan.baseline_cost.by_year.iter().sum();
    assert!((plan.baseline_cost.total - total).abs() < 1e-6);
    assert_eq!(
        plan.baseline.members_per_therapist,
        scenario.region.members_per_therapist
    );
}

#[test]
fn the_plan_meets_the_target_where_the_next_poorer_staffing_missed() {
    let scenario = tiny();
    let search = Search::around(&scenario, 0.97, Measure::FollowUps);
    let found = plan::plan(&scenario, &search, &|_, _| {}).expect("the plan runs");
    check(&found, &scenario);
    // Bisection ends on neighbouring staffing levels unless the budget ran out: every ratio
    // between the two gives one of their numbers of therapists.
    if found.outcome == Outcome::Found && (found.evaluations.len() as u32) < search.max_evaluations
    {
        let (answer, missed) = (
            found.answer.expect("an answer"),
            found.missed.expect("missed"),
        );
        for ratio in answer.members_per_therapist..=missed.members_per_therapist {
            let therapists = therapists_at(&scenario, ratio);
            assert!(
                therapists == answer.therapists || therapists == missed.therapists,
                "{ratio}: {therapists} therapists, between {answer:?} and {missed:?}"
            );
        }
    }
    let text = plan::text(&found);
    assert!(text.contains("Wage cost"));
    let json = plan::json(&found);
    assert_eq!(json["measure"], "follow-ups");
}

#[test]
fn a_target_any_staffing_meets_is_an_outcome_not_an_error() {
    let scenario = tiny();
    let search = Search::around(&scenario, 0.01, Measure::Offers);
    let found = plan::plan(&scenario, &search, &|_, _| {}).expect("the plan runs");
    assert_eq!(found.outcome, Outcome::PoorestMeets);
    check(&found, &scenario);
    assert!(
        plan::plan(
            &scenario,
            &Search {
                target: 1.5,
                ..search
            },
            &|_, _| {}
        )
        .is_err()
    );
}
