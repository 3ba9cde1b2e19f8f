//! `caretime compare`: variants of a scenario (contracts × staffing ratios) side by side, every
//! variant with the same seeds, and what each protected hour costs in appointments a week.

use std::path::{Path, PathBuf};

use anyhow::anyhow;
use caretime_core::files::builtin;
use caretime_core::quote::quote;
use caretime_region::generate::MIN_MEMBERS_PER_CLINICIAN;
use caretime_sim::compare::{self, Comparison, Variant};
use caretime_sim::scenario;
use caretime_sim::shard::{RunInputs, Shard};
use clap::Args;

use crate::merge;
use crate::output::{Format, print, refuse_overwriting, with_progress, write_files};
use crate::simulate::{RunOverrides, scenario_source, with_overrides};

/// Arguments of `caretime compare`.
#[derive(Debug, Args)]
pub(crate) struct CompareArgs {
    /// A built-in scenario (socal-2024, norcal-2022, socal-2024-strike) or the path of a scenario .toml file.
    pub(crate) scenario: String,
    /// Built-in contracts to compare, comma-separated (socal-2025,employer-2024,union-2024);
    /// the scenario's own contract when absent.
    #[arg(long, value_delimiter = ',', value_name = "NAMES")]
    pub(crate) contracts: Vec<String>,
    /// Members per internal therapist to compare, comma-separated (3000,2000), each at least 100;
    /// the scenario's own ratio when absent. Every contract runs at every ratio.
    #[arg(long, alias = "ratios", value_delimiter = ',', value_name = "MEMBERS")]
    pub(crate) ratio: Vec<u32>,
    #[command(flatten)]
    pub(crate) run: RunOverrides,
    /// Write compare.txt, compare.json, compare.csv and compare.html (a page with charts) into
    /// this directory (created if missing). With --shard, the shard's part file instead.
    #[arg(long)]
    pub(crate) out: Option<PathBuf>,
    /// Run only shard K of N of the (variant, replication) pairs, numbered variant by variant
    /// (those whose number mod N is K-1), and write part-K-of-N.json into --out instead of the
    /// report; `caretime merge` combines the N parts into the report one run prints, byte for
    /// byte. For batch schedulers: any shard can run anywhere, in any order, and be rerun alone.
    #[arg(long, value_name = "K/N", requires = "out")]
    pub(crate) shard: Option<Shard>,
}

/// `name` if it is a built-in contract, else an error that lists the built-in ones (the region
/// generator only knows those).
pub(crate) fn builtin_contract(name: &str) -> anyhow::Result<String> {
    let name = name.trim();
    if builtin::contract(name).is_some() {
        return Ok(name.to_owned());
    }
    Err(anyhow!(
        "unknown contract `{}` (built in: {})",
        quote(name),
        builtin::contract_names().collect::<Vec<_>>().join(", ")
    ))
}

/// The files `--out` writes.
pub(crate) const COMPARE_FILES: [&str; 4] =
    ["compare.txt", "compare.json", "compare.csv", "compare.html"];

pub(crate) fn run(args: &CompareArgs, format: Format) -> anyhow::Result<crate::Outcome> {
    if args.shard.is_none()
        && let Some(dir) = &args.out
    {
        let outputs = COMPARE_FILES.map(|name| dir.join(name));
        refuse_overwriting(
            outputs.iter().map(PathBuf::as_path),
            &[Path::new(&args.scenario)],
        )?;
    }
    let (file, text) = scenario_source(&args.scenario)?;
    let scenario = with_overrides(scenario::parse_scenario(&file, &text)?, &args.run)?;
    let contracts = if args.contracts.is_empty() {
        vec![scenario.region.internal_contract.clone()]
    } else {
        args.contracts
            .iter()
            .map(|name| builtin_contract(name))
            .collect::<anyhow::Result<Vec<_>>>()?
    };
    let ratios = if args.ratio.is_empty() {
        vec![scenario.region.members_per_therapist]
    } else {
        args.ratio.clone()
    };
    if ratios
        .iter()
        .any(|ratio| *ratio < MIN_MEMBERS_PER_CLINICIAN)
    {
        return Err(anyhow!(
            "--ratio must be at least {MIN_MEMBERS_PER_CLINICIAN} members per therapist (fewer make work that grows with the square of the region)"
        ));
    }
    let variants = Variant::grid(&contracts, &ratios);
    compare::check_variants(&variants)?;
    if let Some(shard) = args.shard {
        let inputs = RunInputs::new(&file, &text, &scenario, Some(variants));
        return merge::run_shard(inputs, shard, args.out.as_deref(), &args.scenario, format);
    }
    let comparison = with_progress(format, "comparing", |progress| {
        compare::compare(&scenario, &variants, progress)
    })?;
    report(&comparison, format, args.out.as_deref())?;
    Ok(crate::Outcome::Ok)
}

/// Writes a comparison's four files into `out` (when given) and prints it: what `compare` and a
/// merge of its shards both do, so that both print the same bytes.
pub(crate) fn report(
    comparison: &Comparison,
    format: Format,
    out: Option<&Path>,
) -> anyhow::Result<()> {
    let json = serde_json::to_string_pretty(&compare::json(comparison))?;
    if let Some(dir) = out {
        write_files(
            dir,
            [
                (COMPARE_FILES[0], compare::text(comparison)),
                (COMPARE_FILES[1], json.clone() + "\n"),
                (COMPARE_FILES[2], compare::csv(comparison)?),
                (COMPARE_FILES[3], compare::html(comparison)),
            ],
        )?;
    }
    match format {
        Format::Text => print(&compare::text(comparison))?,
        Format::Json => print(&(json + "\n"))?,
    }
    Ok(())
}
