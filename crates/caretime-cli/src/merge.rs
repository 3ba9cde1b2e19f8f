//! Sweeps beyond one machine: `simulate --shard` and `compare --shard` write a part file, and
//! `caretime merge` combines the parts into the report the unsharded command prints.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use caretime_sim::part::{read_part, write_part};
use caretime_sim::shard::{Merged, RunInputs, Shard, merge, run_part, shard_units};
use clap::Args;
use serde_json::json;

use crate::compare::COMPARE_FILES;
use crate::load;
use crate::output::{Format, print, print_json, refuse_overwriting, with_progress};
use crate::simulate::SUMMARY_FILES;

/// Arguments of `caretime merge`.
#[derive(Debug, Args)]
pub(crate) struct MergeArgs {
    /// The part files of one sweep, one per shard (in any order): what `simulate --shard K/N`
    /// or `compare --shard K/N` wrote as part-K-of-N.json.
    #[arg(required = true, value_name = "PARTS")]
    pub(crate) parts: Vec<PathBuf>,
    /// Write the report's four files into this directory (created if missing), as the unsharded
    /// command's --out does: summary.* for simulate, compare.* for compare.
    #[arg(long)]
    pub(crate) out: Option<PathBuf>,
}

/// The part file shard `shard` writes into its `--out` directory.
fn part_file_name(shard: Shard) -> String {
    format!("part-{}-of-{}.json", shard.number(), shard.count())
}

/// Runs one shard and writes its part file into `out`: first under a temporary name, then
/// renamed, so that a shard killed while writing leaves no part that looks whole.
pub(crate) fn run_shard(
    inputs: RunInputs,
    shard: Shard,
    out: Option<&Path>,
    scenario_arg: &str,
    format: Format,
) -> anyhow::Result<crate::Outcome> {
    let dir = out.context("--shard writes a part file: give --out DIR")?;
    let path = dir.join(part_file_name(shard));
    let partial = dir.join(format!(".{}.partial", part_file_name(shard)));
    refuse_overwriting(
        [path.as_path(), partial.as_path()],
        &[Path::new(scenario_arg)],
    )?;
    let units = shard_units(&inputs, shard).len();
    let message = if inputs.variants.is_some() {
        "comparing"
    } else {
        "simulating"
    };
    let part = with_progress(format, message, |progress| {
        run_part(inputs, shard, progress)
    })?;
    let text = write_part(&part);
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create `{}`", dir.display()))?;
    std::fs::write(&partial, &text)
        .with_context(|| format!("cannot write `{}`", partial.display()))?;
    std::fs::rename(&partial, &path)
        .with_context(|| format!("cannot write `{}`", path.display()))?;
    match format {
        Format::Text => print(&format!(
            "shard {shard}: {units} unit{} of work written to {} ({} bytes)\n",
            if units == 1 { "" } else { "s" },
            path.display(),
            text.len()
        ))?,
        Format::Json => print_json(&json!({
            "shard": shard.to_string(),
            "units": units,
            "part": path.display().to_string(),
            "bytes": text.len(),
        }))?,
    }
    Ok(crate::Outcome::Ok)
}

pub(crate) fn run(args: &MergeArgs, format: Format) -> anyhow::Result<crate::Outcome> {
    let mut parts = Vec::with_capacity(args.parts.len());
    for path in &args.parts {
        let shown = path.display().to_string();
        let text = load::read(path, load::Input::PART)?;
        let part = read_part(&text).with_context(|| format!("`{shown}`"))?;
        parts.push((shown, part));
    }
    let merged = merge(parts)?;
    let inputs: Vec<&Path> = args.parts.iter().map(PathBuf::as_path).collect();
    if let Some(dir) = &args.out {
        let names = match merged {
            Merged::Simulation(_) => SUMMARY_FILES,
            Merged::Comparison(_) => COMPARE_FILES,
        };
        let outputs = names.map(|name| dir.join(name));
        refuse_overwriting(outputs.iter().map(PathBuf::as_path), &inputs)?;
    }
    match &merged {
        Merged::Simulation(summary) => {
            crate::simulate::report(summary, format, args.out.as_deref())?;
        }
        Merged::Comparison(comparison) => {
            crate::compare::report(comparison, format, args.out.as_deref())?;
        }
    }
    Ok(crate::Outcome::Ok)
}
