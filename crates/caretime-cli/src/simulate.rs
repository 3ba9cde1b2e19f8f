//! `caretime simulate`: a scenario's replications, summarised with confidence intervals.

use std::path::{Path, PathBuf};

use anyhow::anyhow;
use caretime_core::quote::quote;
use caretime_sim::render;
use caretime_sim::scenario::{self, MAX_MONTHS, MAX_REPLICATIONS, Scenario};
use caretime_sim::shard::{RunInputs, Shard};
use caretime_sim::summary::Summary;
use clap::Args;

use crate::output::{Format, print, print_json, refuse_overwriting, with_progress, write_files};
use crate::{load, merge};

/// Arguments of `caretime simulate`.
#[derive(Debug, Args)]
pub(crate) struct SimulateArgs {
    /// A built-in scenario (socal-2024, norcal-2022, socal-2024-strike) or the path of a scenario .toml file.
    pub(crate) scenario: String,
    #[command(flatten)]
    pub(crate) run: RunOverrides,
    /// Write summary.txt, summary.json, summary.csv and summary.html (a report with charts) into
    /// this directory (created if missing). With --shard, the shard's part file instead.
    #[arg(long)]
    pub(crate) out: Option<PathBuf>,
    /// Run only shard K of N of the replications (those whose index mod N is K-1) and write
    /// part-K-of-N.json into --out instead of the report; `caretime merge` combines the N parts
    /// into the report one run prints, byte for byte. For batch schedulers: any shard can run
    /// anywhere, in any order, and be rerun alone.
    #[arg(long, value_name = "K/N", requires = "out")]
    pub(crate) shard: Option<Shard>,
}

/// What every simulating command (simulate, compare, plan) may change in a scenario's run.
#[derive(Debug, Args)]
pub(crate) struct RunOverrides {
    /// Months to simulate and report (after the warm-up); overrides the scenario's.
    #[arg(long)]
    pub(crate) months: Option<u32>,
    /// Months simulated first and not reported; overrides the scenario's.
    #[arg(long)]
    pub(crate) warm_up_months: Option<u32>,
    /// Independent replications (run in parallel); overrides the scenario's.
    #[arg(long)]
    pub(crate) replications: Option<u32>,
    /// Region scale (1 = the scenario's full size); overrides the scenario's.
    #[arg(long)]
    pub(crate) scale: Option<f64>,
    /// The first replication's seed; overrides the scenario's.
    #[arg(long)]
    pub(crate) seed: Option<u64>,
}

/// A scenario by built-in name or path.
pub(crate) fn load_scenario(name: &str) -> anyhow::Result<Scenario> {
    let (file, text) = scenario_source(name)?;
    Ok(scenario::parse_scenario(&file, &text)?)
}

/// A scenario's file name (for messages) and text, by built-in name or path.
pub(crate) fn scenario_source(name: &str) -> anyhow::Result<(String, String)> {
    if let Some((known, text)) = scenario::BUILTIN.iter().find(|(known, _)| *known == name) {
        return Ok((format!("{known}.toml"), (*text).to_owned()));
    }
    if name.ends_with(".toml") || name.contains('/') || std::path::Path::new(name).exists() {
        return Ok((name.to_owned(), load::read(name, load::Input::SCENARIO)?));
    }
    Err(anyhow!(
        "unknown scenario `{}` (built in: {}; or give the path of a scenario .toml file)",
        quote(name),
        scenario::BUILTIN
            .iter()
            .map(|(known, _)| *known)
            .collect::<Vec<_>>()
            .join(", ")
    ))
}

/// The scenario with the command line's overrides, checked as the file's values are.
pub(crate) fn with_overrides(
    mut scenario: Scenario,
    args: &RunOverrides,
) -> anyhow::Result<Scenario> {
    let sim = &mut scenario.simulation;
    if let Some(months) = args.months {
        sim.months = months;
    }
    if let Some(warm_up) = args.warm_up_months {
        sim.warm_up_months = warm_up;
    }
    if scenario::total_months(sim.months, sim.warm_up_months).is_none() {
        return Err(anyhow!(
            "--months must be at least 1, and with the warm-up at most {MAX_MONTHS}"
        ));
    }
    if let Some(replications) = args.replications {
        if !(1..=MAX_REPLICATIONS).contains(&replications) {
            return Err(anyhow!("--replications must be 1 to {MAX_REPLICATIONS}"));
        }
        sim.replications = replications;
    }
    if let Some(seed) = args.seed {
        sim.seed = seed;
    }
    if let Some(scale) = args.scale {
        if !scale.is_finite() || scale <= 0.0 || scale > 10.0 {
            return Err(anyhow!("--scale must be above 0 and at most 10"));
        }
        scenario.region.scale = scale;
    }
    Ok(scenario)
}

/// The files `--out` writes.
pub(crate) const SUMMARY_FILES: [&str; 4] =
    ["summary.txt", "summary.json", "summary.csv", "summary.html"];

pub(crate) fn run(args: &SimulateArgs, format: Format) -> anyhow::Result<crate::Outcome> {
    if let Some(shard) = args.shard {
        let (file, text) = scenario_source(&args.scenario)?;
        let scenario = with_overrides(scenario::parse_scenario(&file, &text)?, &args.run)?;
        let inputs = RunInputs::new(&file, &text, &scenario, None);
        return merge::run_shard(inputs, shard, args.out.as_deref(), &args.scenario, format);
    }
    if let Some(dir) = &args.out {
        let outputs = SUMMARY_FILES.map(|name| dir.join(name));
        refuse_overwriting(
            outputs.iter().map(PathBuf::as_path),
            &[Path::new(&args.scenario)],
        )?;
    }
    let scenario = with_overrides(load_scenario(&args.scenario)?, &args.run)?;
    let (summary, _) = with_progress(format, "simulating", |progress| {
        caretime_sim::simulate(&scenario, progress)
    })?;
    report(&summary, format, args.out.as_deref())?;
    Ok(crate::Outcome::Ok)
}

/// Writes a summary's four files into `out` (when given) and prints it: what `simulate` and a
/// merge of its shards both do, so that both print the same bytes.
pub(crate) fn report(summary: &Summary, format: Format, out: Option<&Path>) -> anyhow::Result<()> {
    if let Some(dir) = out {
        let json = serde_json::to_string_pretty(&render::json(summary))?;
        write_files(
            dir,
            [
                (SUMMARY_FILES[0], render::text(summary)),
                (SUMMARY_FILES[1], json + "\n"),
                (SUMMARY_FILES[2], render::csv(summary)?),
                (SUMMARY_FILES[3], caretime_sim::html::html(summary)),
            ],
        )?;
    }
    match format {
        Format::Text => print(&render::text(summary))?,
        Format::Json => print_json(&render::json(summary))?,
    }
    Ok(())
}
