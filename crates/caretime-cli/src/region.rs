//! `caretime region generate`: a synthetic region, written as JSON (and CSV).

use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, bail};
use caretime_region::file::{CsvTable, write_region_csv, write_region_json};
use caretime_region::generate::{RegionParams, generate};
use clap::{Args, Subcommand, ValueEnum};
use serde::Serialize;

use crate::Outcome;
use crate::output::{Format, print, print_json, spinner, table};

/// `caretime region ...`
#[derive(Debug, Subcommand)]
pub(crate) enum RegionCommand {
    /// Generate a synthetic region (deterministic by seed) and write it as JSON, and CSV with
    /// --csv.
    Generate(GenerateArgs),
}

/// A region preset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Preset {
    /// Southern California as in the 2024-25 dispute: 4.8M members, 1 therapist per 3,000,
    /// 13,000 network providers, facilities across six counties (sources in the socal-2024
    /// scenario file, crates/caretime-sim/scenarios/socal-2024.toml).
    Socal,
}

/// Arguments of `caretime region generate`.
#[derive(Debug, Args)]
pub(crate) struct GenerateArgs {
    /// The preset.
    #[arg(long, value_enum, default_value_t = Preset::Socal)]
    pub(crate) preset: Preset,
    /// Scale factor on members, clinicians, network and facilities (1 = full scale).
    #[arg(long, default_value_t = 0.01)]
    pub(crate) scale: f64,
    /// Random seed: the same seed gives the same region, byte for byte.
    #[arg(long, default_value_t = 1)]
    pub(crate) seed: u64,
    /// Where to write the region JSON (`-` for stdout).
    #[arg(short, long, value_name = "FILE")]
    output: PathBuf,
    /// Also write facilities.csv, clinicians.csv, members.csv and template_blocks.csv here.
    #[arg(long, value_name = "DIR")]
    csv: Option<PathBuf>,
}

impl Preset {
    /// The generator's parameters for this preset.
    pub(crate) fn params(self, scale: f64, seed: u64) -> anyhow::Result<RegionParams> {
        if !scale.is_finite() || scale <= 0.0 || scale > 10.0 {
            bail!("--scale must be a number in (0, 10]");
        }
        Ok(match self {
            Preset::Socal => RegionParams::socal(scale, seed),
        })
    }
}

#[derive(Debug, Serialize)]
struct GenerateReport {
    output: String,
    csv: Option<String>,
    facilities: usize,
    internal_clinicians: usize,
    network_providers: usize,
    members: usize,
    templates: usize,
    seconds: f64,
}

pub(crate) fn run(command: &RegionCommand, format: Format) -> anyhow::Result<Outcome> {
    let RegionCommand::Generate(args) = command;
    let started = Instant::now();
    let progress = spinner(format, "generating region");
    let region = generate(&args.preset.params(args.scale, args.seed)?)?;
    progress.set_message("writing region");
    let output = args.output.display().to_string();
    if output == "-" {
        let mut out = BufWriter::new(crate::output::stdout());
        write_region_json(&region, &mut out)?;
        out.flush().context("cannot write to stdout")?;
    } else {
        let file = std::fs::File::create(&args.output)
            .with_context(|| format!("cannot create `{output}`"))?;
        let mut out = BufWriter::new(file);
        write_region_json(&region, &mut out)?;
        out.flush()
            .with_context(|| format!("cannot write `{output}`"))?;
    }
    if let Some(dir) = &args.csv {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create `{}`", dir.display()))?;
        for table in CsvTable::ALL {
            let path = dir.join(table.file_name());
            let shown = path.display().to_string();
            let file =
                std::fs::File::create(&path).with_context(|| format!("cannot create `{shown}`"))?;
            let mut out = BufWriter::new(file);
            write_region_csv(&region, table, &mut out)
                .with_context(|| format!("cannot write `{shown}`"))?;
            out.flush()
                .with_context(|| format!("cannot write `{shown}`"))?;
        }
    }
    progress.finish_and_clear();
    let internal = region
        .clinicians
        .iter()
        .filter(|c| c.affiliation == caretime_core::region::Affiliation::Internal)
        .count();
    let report = GenerateReport {
        output,
        csv: args.csv.as_ref().map(|dir| dir.display().to_string()),
        facilities: region.facilities.len(),
        internal_clinicians: internal,
        network_providers: region.clinicians.len() - internal,
        members: region.members.len(),
        templates: region.templates.len(),
        seconds: started.elapsed().as_secs_f64(),
    };
    if report.output == "-" {
        return Ok(Outcome::Ok);
    }
    match format {
        Format::Json => print_json(&report)?,
        Format::Text => print(&table(&[
            vec!["wrote".to_owned(), report.output.clone()],
            vec!["facilities".to_owned(), report.facilities.to_string()],
            vec![
                "internal clinicians".to_owned(),
                report.internal_clinicians.to_string(),
            ],
            vec![
                "network providers".to_owned(),
                report.network_providers.to_string(),
            ],
            vec!["members".to_owned(), report.members.to_string()],
            vec!["templates".to_owned(), report.templates.to_string()],
            vec!["seconds".to_owned(), format!("{:.2}", report.seconds)],
        ]))?,
    }
    Ok(Outcome::Ok)
}
