//! `caretime plan`: the fewest internal therapists whose simulated compliance reaches a target
//! under a contract, and what they cost under the scenario's wage schedule.

use anyhow::anyhow;
use caretime_sim::plan::{self, Measure, Search};
use clap::{Args, ValueEnum};

use crate::compare::builtin_contract;
use crate::output::{Format, print, print_json, with_progress};
use crate::simulate::{RunOverrides, load_scenario, with_overrides};

/// Which compliance the target is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum MeasureArg {
    /// Requests offered within the standard, all requests (demand-weighted; DMHC's 70% is a
    /// rate of surveyed providers, see the census tables).
    Offers,
    /// Follow-ups kept within SB 221's 10 business days.
    FollowUps,
}

impl MeasureArg {
    fn measure(self) -> Measure {
        match self {
            MeasureArg::Offers => Measure::Offers,
            MeasureArg::FollowUps => Measure::FollowUps,
        }
    }
}

/// Arguments of `caretime plan`.
#[derive(Debug, Args)]
pub(crate) struct PlanArgs {
    /// A built-in scenario (socal-2024, norcal-2022, socal-2024-strike) or the path of a scenario .toml file.
    #[arg(long)]
    pub(crate) scenario: String,
    /// The compliance to reach, as a share above 0 and at most 1 (0.9 = 90%).
    #[arg(long)]
    pub(crate) target: f64,
    /// The internal clinicians' built-in contract; the scenario's own when absent.
    #[arg(long)]
    pub(crate) contract: Option<String>,
    /// Which compliance the target is about.
    #[arg(long, value_enum, default_value_t = MeasureArg::Offers)]
    pub(crate) measure: MeasureArg,
    #[command(flatten)]
    pub(crate) run: RunOverrides,
}

pub(crate) fn run(args: &PlanArgs, format: Format) -> anyhow::Result<crate::Outcome> {
    if !(args.target > 0.0 && args.target <= 1.0) {
        return Err(anyhow!(
            "--target must be a share above 0 and at most 1 (0.9 = 90%), not {}",
            args.target
        ));
    }
    let mut scenario = with_overrides(load_scenario(&args.scenario)?, &args.run)?;
    if let Some(contract) = &args.contract {
        scenario.region.internal_contract = builtin_contract(contract)?;
    }
    let search = Search::around(&scenario, args.target, args.measure.measure());
    let found = with_progress(format, "planning", |progress| {
        plan::plan(&scenario, &search, progress)
    })?;
    match format {
        Format::Text => print(&plan::text(&found))?,
        Format::Json => print_json(&plan::json(&found))?,
    }
    Ok(crate::Outcome::Ok)
}
