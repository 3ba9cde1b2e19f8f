//! caretime's region simulator: what staffing, contract terms and demand do to timely access.
//!
//! A [`scenario::Scenario`] (read from TOML by [`scenario::parse_scenario`]; `socal-2024` and
//! `norcal-2022` are built in) names a region (generator parameters: members, the staffing
//! ratio, the contract whose template internal clinicians work, the network), the demand for
//! care, how episodes run and how members attend. [`model::run`] simulates one replication: a
//! discrete-event simulation over months in which **every booking is a decision of the booking
//! engine** (`Book::find_from`, `decide_take`, `apply`: the same path the CLI and the server use),
//! ending in a [`caretime_engine::report::AccessReport`] and the provider census taken at the
//! scenario's survey instants ([`census`]). [`simulate`] runs the replications in
//! parallel (rayon; one seed each) and [`summary`] turns them into tables of means with 95 %
//! confidence intervals, which [`render`] writes as text, JSON or CSV and [`html`] as a
//! self-contained page with SVG charts. [`compare`] runs variants of a scenario (contracts ×
//! staffing ratios) with the same seeds side by side, and [`plan`] searches the staffing that
//! reaches a compliance target and prices it under the scenario's wage schedule. [`shard`] splits
//! a simulation or a comparison into shards (replications, or variant × replication pairs) that
//! a batch scheduler runs, each writing a [`part`] file, and merges the parts through the same
//! summarising code into the report one run prints.
//!
//! Deterministic: the same scenario and seed give byte-identical output whatever the number of
//! threads (replications are independent and collected in order).
//!
//! Not here: reading files (callers pass text), printing, clocks. Not yet modelled: group
//! referrals, unplanned leave (planned leave and a scenario's disruption, replanned by the
//! engine's replanner, are), psychiatric follow-ups.

pub mod census;
pub mod compare;
pub mod html;
pub mod model;
pub mod overbook;
pub mod part;
pub mod plan;
pub mod render;
pub mod scenario;
pub mod shard;
pub mod summary;
pub mod validate;

use std::sync::atomic::{AtomicU64, Ordering};

use caretime_core::region::Region;
use caretime_region::generate::{GenerateError, generate};
use rayon::prelude::*;

use crate::model::{Dates, Replication};
use crate::scenario::Scenario;
use crate::summary::Summary;

/// Why a simulation could not run.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The scenario's region cannot be generated.
    #[error("the scenario's region: {0}")]
    Generate(#[from] GenerateError),
    /// The book could not be built over the simulated dates.
    #[error("the book: {0}")]
    Availability(#[from] caretime_engine::availability::AvailabilityError),
    /// A find failed (a bug in the model or the engine, never a full calendar).
    #[error("finding offers: {0}")]
    Find(#[from] caretime_engine::find::FindError),
    /// A follow-up's deadline could not be computed.
    #[error("a follow-up: {0}")]
    Deadline(#[from] caretime_core::rules::DeadlineError),
    /// The engine refused a decision the model made (a bug in the model), with every reason.
    #[error("the engine refused a decision: {}", joined(.0))]
    Refused(Vec<caretime_engine::book::Refusal>),
    /// Applying accepted changes failed (a bug in the engine).
    #[error("applying a decision: {0}")]
    Apply(#[from] caretime_engine::book::ApplyError),
    /// The replanner failed on the scenario's disruption.
    #[error("replanning the disruption: {0}")]
    Replan(#[from] caretime_replan::ReplanError),
    /// The report failed.
    #[error("the report: {0}")]
    Report(#[from] caretime_engine::report::ReportError),
    /// The provider census failed.
    #[error("the provider census: {0}")]
    Census(#[from] caretime_engine::report::census::CensusError),
    /// A date beyond the calendar's range.
    #[error("the simulated dates are out of range")]
    OutOfRange,
}

/// Refusals in one line, separated by semicolons.
fn joined(refusals: &[caretime_engine::book::Refusal]) -> String {
    refusals
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// Runs every replication of `scenario` over `region` (generated from the scenario's region
/// parameters) in parallel; `progress` is told each simulated day that ends, in any replication.
pub fn run_replications(
    scenario: &Scenario,
    region: &Region,
    progress: &(dyn Fn() + Sync),
) -> Result<Vec<Replication>, SimError> {
    let every: Vec<u32> = (0..scenario.simulation.replications).collect();
    run_replications_of(scenario, region, &every, progress)
}

/// Runs the replications `indices` of `scenario` (a shard's share: replication `i` runs seed
/// `i` whoever runs it) in parallel, collected in the order given.
pub fn run_replications_of(
    scenario: &Scenario,
    region: &Region,
    indices: &[u32],
    progress: &(dyn Fn() + Sync),
) -> Result<Vec<Replication>, SimError> {
    indices
        .par_iter()
        .map(|index| model::run(scenario, region, *index, progress))
        .collect()
}

/// Generates the scenario's region, runs every replication and summarises them.
/// `progress(done, total)` counts simulated days over all replications.
pub fn simulate(
    scenario: &Scenario,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<(Summary, Vec<Replication>), SimError> {
    let region = generate(&scenario.region)?;
    let dates = Dates::of(scenario)?;
    let total = u64::from(dates.days()) * u64::from(scenario.simulation.replications);
    let done = AtomicU64::new(0);
    let replications = run_replications(scenario, &region, &|| {
        let now = done.fetch_add(1, Ordering::Relaxed) + 1;
        progress(now, total);
    })?;
    Ok((summarise(scenario, &dates, &replications)?, replications))
}

/// The summary of a scenario's replications.
pub fn summarise(
    scenario: &Scenario,
    dates: &Dates,
    replications: &[Replication],
) -> Result<Summary, SimError> {
    Ok(Summary {
        scenario: scenario.name.clone(),
        title: scenario.title.clone(),
        contract: scenario.region.internal_contract.clone(),
        members_per_therapist: scenario.region.members_per_therapist,
        replications: replications.len() as u32,
        period: (
            dates.report_first,
            dates.end.yesterday().map_err(|_| SimError::OutOfRange)?,
        ),
        rule_set: scenario.rules.name().to_owned(),
        threshold: scenario
            .rules
            .compliance_threshold()
            .map(|threshold| threshold.rate.fraction()),
        tables: summary::tables(replications),
    })
}

#[cfg(test)]
mod tests {
    use caretime_engine::book::Refusal;

    use super::SimError;

    /// A refused decision names every reason on one line, in the engine's words.
    #[test]
    fn a_refusal_lists_every_reason() {
        let error = SimError::Refused(vec![Refusal::OffGrid, Refusal::InThePast]);
        assert_eq!(
            error.to_string(),
            "the engine refused a decision: appointments start on a quarter hour; \
             the start is in the past"
        );
        assert!(matches!(error, SimError::Refused(refusals) if refusals.len() == 2));
    }
}
