//! The staffing planner: the fewest internal therapists whose simulated compliance meets a
//! target under the scenario's contract, and what they cost under its wage schedule.
//!
//! [`plan`] searches the staffing ratio (members per internal therapist) with the simulator: a
//! [`Search`] names the target and the [`Measure`] it is judged by, and the result is a [`Plan`]:
//! every [`Evaluation`] run, the answer with its confidence interval, the neighbouring ratio that
//! missed, and the [`WageCost`] of the answer and of the scenario's own ratio.
//!
//! Compliance falls as the ratio grows (fewer therapists), but not strictly: each evaluation is a
//! mean over replications, with noise. So the search does not assume more than it needs. It
//! starts at the scenario's ratio, doubles or halves it until one ratio meets the target and
//! another misses it (bracketing), then bisects between them on whole ratios; "meets" means the
//! mean over the replications is at least the target (the confidence interval at the answer is
//! reported, not used). Every evaluation runs the scenario's seeds (common random numbers), and
//! ratios that give the same number of therapists give the same region and are simulated once.
//! The number of simulations is bounded ([`Search::max_evaluations`]); a search that runs out
//! reports how far apart its bracket still is.
//!
//! When even the richest staffing tried misses the target, or the poorest tried meets it, that is
//! the [`Outcome`], not an error.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

use caretime_core::region::{Affiliation, Discipline};
use caretime_core::slug::Slug;
use caretime_region::generate::{MIN_MEMBERS_PER_CLINICIAN, generate};
use jiff::civil::Date;
use serde_json::{Value, json};

use crate::model::Dates;
use crate::render::{aligned, cell, estimate_json, interval_warning, thousands};
use crate::scenario::Scenario;
use crate::summary::{Estimate, Summary, Unit};
use crate::{SimError, run_replications, summarise};

/// Why a plan could not run.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// A target outside (0, 1].
    #[error("the target must be a share above 0 and at most 1, not {0}")]
    Target(f64),
    /// Search bounds that are empty or include zero.
    #[error(
        "the search bounds must satisfy 1 <= richest ({richest}) <= poorest ({poorest}) members per therapist"
    )]
    Bounds {
        /// The richest ratio.
        richest: u32,
        /// The poorest ratio.
        poorest: u32,
    },
    /// No evaluation allowed.
    #[error("the search needs at least one evaluation")]
    NoEvaluations,
    /// An evaluation's simulation failed.
    #[error("simulating 1 therapist per {ratio} members: {source}")]
    Simulation {
        /// The ratio simulated.
        ratio: u32,
        /// What failed.
        source: SimError,
    },
}

/// Which compliance the target is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Measure {
    /// The share of requests offered within the standard, over every request of the period
    /// (demand-weighted). Not DMHC's measure, which is a rate of surveyed providers
    /// (28 CCR § 1300.67.2.2 (b)(12)(A), (f); the census tables).
    Offers,
    /// The share of kept follow-ups within the follow-up standard (SB 221: 10 business days
    /// after the prior appointment, Health & Safety Code § 1367.03(a)(5)(F)): what members in
    /// treatment live.
    FollowUps,
}

impl Measure {
    /// Every measure, in a fixed order.
    pub const ALL: [Measure; 2] = [Measure::Offers, Measure::FollowUps];

    /// For people.
    pub fn title(self) -> &'static str {
        match self {
            Measure::Offers => "offers within the standard (all requests)",
            Measure::FollowUps => "follow-ups kept within SB 221",
        }
    }

    /// The measure in a summary.
    pub fn of(self, summary: &Summary) -> Option<Estimate> {
        match self {
            Measure::Offers => summary.cell("compliance", "all", "within-standard"),
            Measure::FollowUps => summary.cell("follow-ups", "all", "within-standard"),
        }
    }
}

impl Slug for Measure {
    const VARIANTS: &'static [Measure] = &Measure::ALL;

    /// The name on the command line and in JSON.
    fn slug(self) -> &'static str {
        match self {
            Measure::Offers => "offers",
            Measure::FollowUps => "follow-ups",
        }
    }
}

/// What to search for, and within what.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Search {
    /// The share to reach, above 0 and at most 1.
    pub target: f64,
    /// What the share measures.
    pub measure: Measure,
    /// The fewest members per therapist (the most staff) the search may try.
    pub richest_ratio: u32,
    /// The most members per therapist (the least staff) the search may try.
    pub poorest_ratio: u32,
    /// The most simulations the search may run (each of every replication).
    pub max_evaluations: u32,
}

impl Search {
    /// The default search around the scenario's ratio: from a quarter of it (at least
    /// [`MIN_MEMBERS_PER_CLINICIAN`]) to four times it, in at most 12 simulations (two doublings
    /// or halvings to bracket, then bisection).
    pub fn around(scenario: &Scenario, target: f64, measure: Measure) -> Search {
        let ratio = scenario
            .region
            .members_per_therapist
            .max(MIN_MEMBERS_PER_CLINICIAN);
        Search {
            target,
            measure,
            richest_ratio: (ratio / 4).max(MIN_MEMBERS_PER_CLINICIAN),
            poorest_ratio: ratio.saturating_mul(4),
            max_evaluations: 12,
        }
    }
}

/// One staffing ratio simulated (or known from a ratio with the same number of therapists).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Evaluation {
    /// Members per internal therapist.
    pub members_per_therapist: u32,
    /// Internal non-physician clinicians the generated region has at that ratio.
    pub therapists: u32,
    /// Their FTE.
    pub therapist_fte: f64,
    /// The measure, with its 95 % confidence interval.
    pub compliance: Estimate,
    /// Whether the mean reaches the target (a missing mean does not).
    pub meets: bool,
}

/// How the search ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// A ratio that meets the target, next to one that misses it (both simulated: a ratio in
    /// between gives the number of therapists of one of them).
    Found,
    /// Even the poorest staffing tried meets the target: the answer is that staffing, and fewer
    /// therapists may do.
    PoorestMeets,
    /// Even the richest staffing tried misses the target: no answer.
    RichestMisses,
}

impl Slug for Outcome {
    const VARIANTS: &'static [Outcome] = &[
        Outcome::Found,
        Outcome::PoorestMeets,
        Outcome::RichestMisses,
    ];

    /// The name in JSON.
    fn slug(self) -> &'static str {
        match self {
            Outcome::Found => "found",
            Outcome::PoorestMeets => "poorest-meets",
            Outcome::RichestMisses => "richest-misses",
        }
    }
}

/// What a staffing costs a year under the scenario's wage schedule.
#[derive(Clone, Debug, PartialEq)]
pub struct WageCost {
    /// The internal therapists' FTE.
    pub therapist_fte: f64,
    /// Their cost in each year of the schedule.
    pub by_year: Vec<f64>,
    /// The sum over the schedule.
    pub total: f64,
}

impl WageCost {
    fn of(scenario: &Scenario, therapist_fte: f64) -> WageCost {
        let by_year: Vec<f64> = scenario
            .wages
            .cost_by_year()
            .into_iter()
            .map(|per_fte| per_fte * therapist_fte)
            .collect();
        WageCost {
            therapist_fte,
            total: by_year.iter().sum(),
            by_year,
        }
    }
}

/// What the planner found.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The scenario's name.
    pub scenario: String,
    /// Its title.
    pub title: String,
    /// The internal clinicians' contract.
    pub contract: String,
    /// The region's scale.
    pub scale: f64,
    /// Members of the simulated region.
    pub members: u32,
    /// What was searched for.
    pub search: Search,
    /// Replications per evaluation.
    pub replications: u32,
    /// First and last reported request date.
    pub period: (Date, Date),
    /// Every simulation, in the order run.
    pub evaluations: Vec<Evaluation>,
    /// How the search ended.
    pub outcome: Outcome,
    /// The fewest therapists found that meet the target (with [`Outcome::Found`] and
    /// [`Outcome::PoorestMeets`]), at the ratio that was simulated: one of `evaluations`.
    pub answer: Option<Evaluation>,
    /// The ratio next to the answer that missed (with [`Outcome::Found`]), or the richest tried
    /// (with [`Outcome::RichestMisses`]).
    pub missed: Option<Evaluation>,
    /// The scenario's own ratio.
    pub baseline: Evaluation,
    /// One FTE's cost in each year of the scenario's wage schedule.
    pub cost_per_fte: Vec<f64>,
    /// What the answer's therapists cost.
    pub answer_cost: Option<WageCost>,
    /// What the scenario's own ratio costs.
    pub baseline_cost: WageCost,
}

/// The search's state: simulations run, and what each number of therapists gave.
struct Evaluator<'a> {
    scenario: &'a Scenario,
    search: &'a Search,
    dates: Dates,
    /// Simulations run, in order.
    runs: Vec<Evaluation>,
    done_days: AtomicU64,
    total_days: u64,
    progress: &'a (dyn Fn(u64, u64) + Sync),
}

impl Evaluator<'_> {
    /// The evaluation at `ratio`: known when a simulation had the same number of therapists,
    /// else simulated; `None` when that would exceed the budget.
    fn at(&mut self, ratio: u32) -> Result<Option<Evaluation>, PlanError> {
        let failed = |source: SimError| PlanError::Simulation { ratio, source };
        let mut run = self.scenario.clone();
        run.region.members_per_therapist = ratio;
        let therapists = run
            .region
            .counts()
            .map_err(SimError::from)
            .map_err(failed)?
            .therapists;
        if let Some(known) = self
            .runs
            .iter()
            .find(|known| known.therapists == therapists)
        {
            return Ok(Some(Evaluation {
                members_per_therapist: ratio,
                ..*known
            }));
        }
        if self.runs.len() as u32 >= self.search.max_evaluations {
            return Ok(None);
        }
        let region = generate(&run.region)
            .map_err(SimError::from)
            .map_err(failed)?;
        let fte_hundredths: u64 = region
            .clinicians
            .iter()
            .filter(|clinician| {
                clinician.affiliation == Affiliation::Internal
                    && clinician.discipline != Discipline::Psychiatrist
            })
            .map(|clinician| u64::from(clinician.fte.hundredths()))
            .sum();
        let replications = run_replications(&run, &region, &|| {
            let now = self.done_days.fetch_add(1, Ordering::Relaxed) + 1;
            (self.progress)(now, self.total_days);
        })
        .map_err(failed)?;
        drop(region);
        let summary = summarise(&run, &self.dates, &replications).map_err(failed)?;
        let compliance = self.search.measure.of(&summary).unwrap_or(Estimate {
            mean: None,
            half_width: None,
            n: 0,
        });
        let evaluation = Evaluation {
            members_per_therapist: ratio,
            therapists,
            therapist_fte: fte_hundredths as f64 / 100.0,
            compliance,
            meets: compliance
                .mean
                .is_some_and(|mean| mean >= self.search.target),
        };
        self.runs.push(evaluation);
        Ok(Some(evaluation))
    }
}

/// Searches the fewest internal therapists (the largest members-per-therapist ratio) whose
/// simulated compliance meets `search.target`, under `scenario`'s contract and seeds.
/// `progress(done, total)` counts simulated days against the budget of every evaluation.
pub fn plan(
    scenario: &Scenario,
    search: &Search,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<Plan, PlanError> {
    if !(search.target > 0.0 && search.target <= 1.0) {
        return Err(PlanError::Target(search.target));
    }
    if search.richest_ratio == 0 || search.richest_ratio > search.poorest_ratio {
        return Err(PlanError::Bounds {
            richest: search.richest_ratio,
            poorest: search.poorest_ratio,
        });
    }
    if search.max_evaluations == 0 {
        return Err(PlanError::NoEvaluations);
    }
    let start = scenario.region.members_per_therapist;
    let dates = Dates::of(scenario).map_err(|source| PlanError::Simulation {
        ratio: start,
        source,
    })?;
    let per_evaluation = u64::from(dates.days()) * u64::from(scenario.simulation.replications);
    let mut evaluator = Evaluator {
        scenario,
        search,
        dates,
        runs: Vec::new(),
        done_days: AtomicU64::new(0),
        total_days: per_evaluation * u64::from(search.max_evaluations),
        progress,
    };
    let baseline = evaluator
        .at(start)?
        .expect("the first evaluation is within any budget of at least one");

    // Bracketing: from the scenario's ratio (within the bounds), double while the target is
    // met, halve while it is missed.
    let mut ratio = start.clamp(search.richest_ratio, search.poorest_ratio);
    let first = match evaluator.at(ratio)? {
        Some(evaluation) => evaluation,
        None => baseline,
    };
    let (mut meets, mut misses) = if first.meets {
        (Some(first), None)
    } else {
        (None, Some(first))
    };
    if first.meets {
        while ratio < search.poorest_ratio {
            ratio = ratio.saturating_mul(2).min(search.poorest_ratio);
            match evaluator.at(ratio)? {
                None => break,
                Some(evaluation) if evaluation.meets => meets = Some(evaluation),
                Some(evaluation) => {
                    misses = Some(evaluation);
                    break;
                }
            }
        }
    } else {
        while ratio > search.richest_ratio {
            ratio = (ratio / 2).max(search.richest_ratio);
            match evaluator.at(ratio)? {
                None => break,
                Some(evaluation) if !evaluation.meets => misses = Some(evaluation),
                Some(evaluation) => {
                    meets = Some(evaluation);
                    break;
                }
            }
        }
    }

    // Bisection on whole ratios between the largest that met and the smallest that missed.
    while let (Some(low), Some(high)) = (meets, misses) {
        if high.members_per_therapist <= low.members_per_therapist + 1 {
            break;
        }
        let middle = low.members_per_therapist
            + (high.members_per_therapist - low.members_per_therapist) / 2;
        match evaluator.at(middle)? {
            None => break,
            Some(evaluation) if evaluation.meets => meets = Some(evaluation),
            Some(evaluation) => misses = Some(evaluation),
        }
    }

    // The bracket moves on whole ratios, and a ratio that gives a number of therapists already
    // simulated borrows that run's figures under its own ratio (4799 after 4500, both 11
    // therapists). The plan reports what was run: the simulated ratio of that number of
    // therapists, never one that was not simulated.
    let as_run = |evaluation: Evaluation| {
        evaluator
            .runs
            .iter()
            .find(|run| run.therapists == evaluation.therapists)
            .copied()
            .unwrap_or(evaluation)
    };
    let (meets, misses) = (meets.map(as_run), misses.map(as_run));
    let outcome = match (meets, misses) {
        (Some(_), Some(_)) => Outcome::Found,
        (Some(_), None) => Outcome::PoorestMeets,
        (None, _) => Outcome::RichestMisses,
    };
    let members = scenario
        .region
        .counts()
        .map_err(|err| PlanError::Simulation {
            ratio: start,
            source: SimError::from(err),
        })?
        .members;
    Ok(Plan {
        scenario: scenario.name.clone(),
        title: scenario.title.clone(),
        contract: scenario.region.internal_contract.clone(),
        scale: scenario.region.scale,
        members,
        search: *search,
        replications: scenario.simulation.replications,
        period: (
            dates.report_first,
            dates.end.yesterday().map_err(|_| PlanError::Simulation {
                ratio: start,
                source: SimError::OutOfRange,
            })?,
        ),
        evaluations: evaluator.runs,
        outcome,
        answer: meets,
        missed: misses,
        baseline,
        cost_per_fte: scenario.wages.cost_by_year(),
        answer_cost: meets.map(|answer| WageCost::of(scenario, answer.therapist_fte)),
        baseline_cost: WageCost::of(scenario, baseline.therapist_fte),
    })
}

/// Whole dollars with commas between thousands, a minus sign before a negative amount.
fn dollars(amount: f64) -> String {
    let sign = if amount.round() < 0.0 { "-" } else { "" };
    format!("{sign}${}", thousands(amount.abs().round() as u64))
}

/// "1 therapist per 1875 members, 128 therapists (119.8 FTE): 90.4% ± 1.2"
fn describe(evaluation: &Evaluation) -> String {
    format!(
        "1 therapist per {} members, {} therapist{} ({:.1} FTE): {}",
        evaluation.members_per_therapist,
        evaluation.therapists,
        if evaluation.therapists == 1 { "" } else { "s" },
        evaluation.therapist_fte,
        cell(Unit::Share, &evaluation.compliance)
    )
}

/// The plan as text for people.
pub fn text(plan: &Plan) -> String {
    let mut out = String::new();
    let search = &plan.search;
    let _ = writeln!(out, "{}: {} (staffing plan)", plan.scenario, plan.title);
    let _ = writeln!(
        out,
        "target: {:.1}% of {}, contract {}",
        search.target * 100.0,
        search.measure.title(),
        plan.contract
    );
    let _ = writeln!(
        out,
        "region at scale {} ({} members); requests of {} to {}; {} replication{} per evaluation, \
         the same seeds in every one; judged by the mean, shown ± half-width of the 95% \
         confidence interval",
        plan.scale,
        thousands(u64::from(plan.members)),
        plan.period.0,
        plan.period.1,
        plan.replications,
        if plan.replications == 1 { "" } else { "s" },
    );
    if let Some(warning) = interval_warning(plan.replications) {
        let _ = writeln!(out, "warning: {warning}");
    }
    let _ = writeln!(out, "\nEvaluations, in the order run");
    let mut grid = vec![vec![
        "run".to_owned(),
        "members per therapist".to_owned(),
        "therapists".to_owned(),
        "therapist FTE".to_owned(),
        search.measure.title().to_owned(),
        "target met".to_owned(),
    ]];
    for (idx, evaluation) in plan.evaluations.iter().enumerate() {
        grid.push(vec![
            (idx + 1).to_string(),
            evaluation.members_per_therapist.to_string(),
            evaluation.therapists.to_string(),
            format!("{:.1}", evaluation.therapist_fte),
            cell(Unit::Share, &evaluation.compliance),
            if evaluation.meets { "yes" } else { "no" }.to_owned(),
        ]);
    }
    out.push_str(&aligned(&grid));
    let _ = writeln!(out);
    match (plan.outcome, &plan.answer, &plan.missed) {
        (Outcome::Found, Some(answer), Some(missed)) => {
            let _ = writeln!(out, "Found: {}", describe(answer));
            // Judged by the mean: say when the interval does not settle it.
            if let (Some(mean), Some(half)) = (answer.compliance.mean, answer.compliance.half_width)
                && mean - half < search.target
            {
                let _ = writeln!(
                    out,
                    "(the confidence interval at the answer reaches below the target: more \
                     replications would say whether a few more therapists are needed)"
                );
            }
            let gap = answer.therapists.saturating_sub(missed.therapists);
            let _ = writeln!(
                out,
                "Missed: {}{}",
                describe(missed),
                if gap > 1 {
                    format!(
                        " (the search stopped after {} simulations, {gap} therapists apart)",
                        plan.evaluations.len()
                    )
                } else {
                    String::new()
                }
            );
        }
        (Outcome::PoorestMeets, Some(answer), _) => {
            let _ = writeln!(
                out,
                "Even the poorest staffing tried meets the target: {}; fewer therapists may do.",
                describe(answer)
            );
        }
        (_, _, Some(missed)) => {
            let _ = writeln!(
                out,
                "Even the richest staffing tried misses the target: {}.",
                describe(missed)
            );
        }
        _ => {}
    }
    let _ = writeln!(
        out,
        "The scenario's own ratio: {}",
        describe(&plan.baseline)
    );

    let schedule = plan
        .cost_per_fte
        .iter()
        .map(|cost| dollars(*cost))
        .collect::<Vec<_>>()
        .join(", ");
    let _ = writeln!(
        out,
        "\nWage cost of the internal therapists (per FTE by year: {schedule})"
    );
    let baseline_header = format!(
        "at 1:{} ({:.1} FTE)",
        plan.baseline.members_per_therapist, plan.baseline_cost.therapist_fte
    );
    let mut grid = vec![match (&plan.answer, &plan.answer_cost) {
        (Some(answer), Some(cost)) => vec![
            String::new(),
            format!(
                "at 1:{} ({:.1} FTE)",
                answer.members_per_therapist, cost.therapist_fte
            ),
            baseline_header,
            "difference".to_owned(),
        ],
        _ => vec![String::new(), baseline_header],
    }];
    let years = plan.baseline_cost.by_year.len();
    for idx in 0..=years {
        let label = if idx < years {
            format!("year {}", idx + 1)
        } else {
            "total".to_owned()
        };
        let pick = |cost: &WageCost| {
            if idx < years {
                cost.by_year[idx]
            } else {
                cost.total
            }
        };
        let baseline = pick(&plan.baseline_cost);
        grid.push(match &plan.answer_cost {
            Some(cost) => vec![
                label,
                dollars(pick(cost)),
                dollars(baseline),
                dollars(pick(cost) - baseline),
            ],
            None => vec![label, dollars(baseline)],
        });
    }
    out.push_str(&aligned(&grid));
    if plan.scale != 1.0 {
        let _ = writeln!(
            out,
            "For the simulated region at scale {}: the scenario's full region has about {:.0} \
             times as many members.",
            plan.scale,
            1.0 / plan.scale
        );
    }
    out
}

fn evaluation_json(evaluation: &Evaluation) -> Value {
    json!({
        "members_per_therapist": evaluation.members_per_therapist,
        "therapists": evaluation.therapists,
        "therapist_fte": evaluation.therapist_fte,
        "compliance": estimate_json(&evaluation.compliance),
        "meets_target": evaluation.meets,
    })
}

fn cost_json(cost: &WageCost) -> Value {
    json!({
        "therapist_fte": cost.therapist_fte,
        "by_year": cost.by_year,
        "total": cost.total,
    })
}

/// The plan as one JSON document.
pub fn json(plan: &Plan) -> Value {
    json!({
        "scenario": plan.scenario,
        "title": plan.title,
        "contract": plan.contract,
        "scale": plan.scale,
        "members": plan.members,
        "measure": plan.search.measure.slug(),
        "target": plan.search.target,
        "bounds": {
            "richest_members_per_therapist": plan.search.richest_ratio,
            "poorest_members_per_therapist": plan.search.poorest_ratio,
            "max_evaluations": plan.search.max_evaluations,
        },
        "replications": plan.replications,
        "ci95_warning": interval_warning(plan.replications),
        "period": {
            "first": plan.period.0.to_string(),
            "last": plan.period.1.to_string(),
        },
        "outcome": plan.outcome.slug(),
        "answer": plan.answer.as_ref().map(evaluation_json),
        "missed": plan.missed.as_ref().map(evaluation_json),
        "baseline": evaluation_json(&plan.baseline),
        "evaluations": plan.evaluations.iter().map(evaluation_json).collect::<Vec<_>>(),
        "wages": {
            "cost_per_fte_by_year": plan.cost_per_fte,
            "answer": plan.answer_cost.as_ref().map(cost_json),
            "baseline": cost_json(&plan.baseline_cost),
            "difference": plan.answer_cost.as_ref().map(|cost| json!({
                "by_year": cost
                    .by_year
                    .iter()
                    .zip(&plan.baseline_cost.by_year)
                    .map(|(answer, baseline)| answer - baseline)
                    .collect::<Vec<_>>(),
                "total": cost.total - plan.baseline_cost.total,
            })),
        },
    })
}
