//! `caretime flow ...`: solve any DIMACS min-cost-flow file, and generate the replanning
//! benchmark instance.
//!
//! `flow solve` exists so that any instance (one `caretime replan --export-dimacs` wrote, or one
//! from elsewhere) can be checked against another solver: it prints the optimal cost in the
//! file's own terms (lower bounds included) and the read and solve times. `flow generate` writes
//! the benchmark of issue 5, a bipartite replanning network at the scale of a strike; see
//! `bench/README.md` for the side-by-side run against OR-Tools.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::bail;
use caretime_flow::{Algorithm, MAX_ARCS, MAX_NODES, Network, NodeId, dimacs, solve_using};
use clap::{Args, Subcommand, ValueEnum};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use crate::Outcome;
use crate::output::{
    Format, print, print_json, progress_bar, refuse_overwriting, spinner, write_file,
};

/// `caretime flow ...`
#[derive(Debug, Subcommand)]
pub(crate) enum FlowCommand {
    /// Solve a DIMACS min-cost-flow file; prints `cost N` (in the file's terms) and the times.
    Solve(SolveArgs),
    /// Write the replanning benchmark instance (displaced appointments -> provider-day buckets ->
    /// sink, plus an out-of-network arc per appointment) as a DIMACS file.
    Generate(GenerateArgs),
}

/// Which solver `flow solve` runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum AlgorithmArg {
    /// Primal network simplex with block search (the default, and what the replanner uses).
    NetworkSimplex,
    /// Cost-scaling push-relabel (polynomial, slower on the replanning benchmark).
    CostScaling,
}

/// Arguments of `caretime flow solve`.
#[derive(Debug, Args)]
pub(crate) struct SolveArgs {
    /// The DIMACS file (`p min NODES ARCS`, `n ID SUPPLY`, `a FROM TO LOW CAP COST`).
    file: PathBuf,
    /// Also write the solution (`s COST`, `f FROM TO FLOW` for nonzero flows) here.
    #[arg(long, value_name = "OUT")]
    solution: Option<PathBuf>,
    /// The algorithm.
    #[arg(long, value_enum, default_value_t = AlgorithmArg::NetworkSimplex)]
    algorithm: AlgorithmArg,
}

/// Arguments of `caretime flow generate`.
#[derive(Debug, Args)]
pub(crate) struct GenerateArgs {
    /// Displaced appointments (each a supply of 1).
    #[arg(long, default_value_t = 120_000, value_parser = clap::value_parser!(u32).range(1..=10_000_000))]
    appointments: u32,
    /// Providers who can take them.
    #[arg(long, default_value_t = 13_000, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    providers: u32,
    /// Days of the replanning window (a bucket per provider and day).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=366))]
    days: u32,
    /// Provider-day buckets each appointment may go to (the out-of-network arc comes on top).
    #[arg(long, default_value_t = 51, value_parser = clap::value_parser!(u32).range(1..=1000))]
    arcs_per_appointment: u32,
    /// How far, in providers either way, a member may be sent: providers stand in a ring and
    /// neighbours are near each other (half the number of providers or more: anywhere).
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    reach: u32,
    /// Random seed: the same seed gives the same file, byte for byte.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Where to write the DIMACS file.
    #[arg(short, long, value_name = "FILE")]
    output: PathBuf,
}

pub(crate) fn run(command: &FlowCommand, format: Format) -> anyhow::Result<Outcome> {
    match command {
        FlowCommand::Solve(args) => run_solve(args, format),
        FlowCommand::Generate(args) => run_generate(args, format),
    }
}

#[derive(Debug, Serialize)]
struct SolveReport {
    file: String,
    algorithm: &'static str,
    cost: i128,
    nodes: usize,
    arcs: usize,
    read_seconds: f64,
    solve_seconds: f64,
}

fn run_solve(args: &SolveArgs, format: Format) -> anyhow::Result<Outcome> {
    let file = args.file.display().to_string();
    refuse_overwriting(args.solution.as_deref(), &[&args.file])?;
    let progress = spinner(format, "reading");
    let started = Instant::now();
    let text = crate::load::read(&args.file, crate::load::Input::DIMACS)?;
    let instance = dimacs::read(&text).map_err(|err| anyhow::anyhow!("`{file}`: {err}"))?;
    drop(text);
    let read_seconds = started.elapsed().as_secs_f64();

    let (algorithm, algorithm_name) = match args.algorithm {
        AlgorithmArg::CostScaling => (Algorithm::CostScaling, "cost-scaling"),
        AlgorithmArg::NetworkSimplex => (Algorithm::NetworkSimplex, "network-simplex"),
    };
    progress.set_message(format!("solving ({algorithm_name})"));
    let started = Instant::now();
    let solution = solve_using(instance.network(), algorithm, &mut |step| {
        progress.set_message(format!("solving: {step}"));
    })
    .map_err(|err| anyhow::anyhow!("`{file}`: {err}"))?;
    let solve_seconds = started.elapsed().as_secs_f64();
    let solution = instance.in_file_terms(&solution);

    if let Some(path) = &args.solution {
        progress.set_message("writing the solution");
        write_file(path, |out| {
            dimacs::write_solution(instance.network(), &solution, out)
        })?;
    }
    progress.finish_and_clear();

    let report = SolveReport {
        file,
        algorithm: algorithm_name,
        cost: solution.cost,
        nodes: instance.network().n_nodes(),
        arcs: instance.network().n_arcs(),
        read_seconds,
        solve_seconds,
    };
    match format {
        Format::Json => print_json(&report)?,
        Format::Text => {
            print(&format!(
                "cost {}\nnodes {}\narcs {}\nalgorithm {}\nread_seconds {:.3}\nsolve_seconds {:.3}\n",
                report.cost,
                report.nodes,
                report.arcs,
                report.algorithm,
                report.read_seconds,
                report.solve_seconds
            ))?;
        }
    }
    Ok(Outcome::Ok)
}

#[derive(Debug, Serialize)]
struct GenerateReport {
    output: String,
    nodes: usize,
    arcs: usize,
    seconds: f64,
}

/// What the benchmark's costs are made of (per unit of flow, i.e. per appointment).
mod cost {
    /// Per business day past the appointment's deadline.
    pub(super) const LATE_PER_DAY: i64 = 250;
    /// Travel to the farthest provider within reach (nearer ones pro rata).
    pub(super) const MAX_TRAVEL: i64 = 800;
    /// Moving to a network provider rather than an internal clinician.
    pub(super) const NETWORK: i64 = 400;
    /// Changing modality (in person to video or back).
    pub(super) const MODALITY: i64 = 150;
    /// The out-of-network arrangement: dearer than any in-network move.
    pub(super) const OUT_OF_NETWORK: i64 = 10_000;
}

fn run_generate(args: &GenerateArgs, format: Format) -> anyhow::Result<Outcome> {
    let started = Instant::now();
    let network = generate(args, format)?;
    let progress = spinner(format, "writing");
    write_file(&args.output, |out| dimacs::write(&network, out))?;
    progress.finish_and_clear();
    let report = GenerateReport {
        output: args.output.display().to_string(),
        nodes: network.n_nodes(),
        arcs: network.n_arcs(),
        seconds: started.elapsed().as_secs_f64(),
    };
    match format {
        Format::Json => print_json(&report)?,
        Format::Text => {
            print(&format!(
                "wrote {}\nnodes {}\narcs {}\nseconds {:.2}\n",
                report.output, report.nodes, report.arcs, report.seconds
            ))?;
        }
    }
    Ok(Outcome::Ok)
}

/// The benchmark network. Providers stand in a ring (neighbours are near each other), each
/// appointment has a home position in it, an original day and a deadline; it may move to
/// `arcs_per_appointment` distinct provider-days within `reach` of home, at a cost of
/// lateness past the deadline, travel, network vs internal (every fifth provider is internal) and
/// a modality change, plus a little noise. Each provider-day takes 1 to 4 appointments.
fn generate(args: &GenerateArgs, format: Format) -> anyhow::Result<Network> {
    let (n_appointments, n_providers, n_days) = (args.appointments, args.providers, args.days);
    let n_buckets = u64::from(n_providers) * u64::from(n_days);
    let window = (2 * u64::from(args.reach) + 1).min(u64::from(n_providers));
    if u64::from(args.arcs_per_appointment) > window * u64::from(n_days) {
        bail!(
            "--arcs-per-appointment {} exceeds the {} provider-days within reach",
            args.arcs_per_appointment,
            window * u64::from(n_days)
        );
    }
    let n_nodes = u64::from(n_appointments) + n_buckets + 1;
    let n_arcs = u64::from(n_appointments) * (u64::from(args.arcs_per_appointment) + 1) + n_buckets;
    if n_nodes > MAX_NODES as u64 || n_arcs > MAX_ARCS as u64 {
        bail!(
            "the instance would have {n_nodes} nodes and {n_arcs} arcs; caretime solves at most {MAX_NODES} nodes and {MAX_ARCS} arcs in memory"
        );
    }
    let mut rng = ChaCha8Rng::seed_from_u64(args.seed);
    let mut network = Network::new(n_nodes as usize);
    network.reserve_arcs(n_arcs as usize);
    let bucket = |provider: u32, day: u32| NodeId(n_appointments + provider * n_days + day);
    let sink = NodeId((n_nodes - 1) as u32);
    network.set_supply(sink, -i64::from(n_appointments));

    let bar = progress_bar(format, u64::from(n_appointments), "generating");
    let half_window = (window as u32 / 2).max(1);
    let mut chosen: Vec<(u32, u32)> = Vec::with_capacity(args.arcs_per_appointment as usize);
    for appointment in 0..n_appointments {
        let node = NodeId(appointment);
        network.set_supply(node, 1);
        let home = rng.random_range(0..n_providers);
        let deadline = rng.random_range(0..n_days);
        let in_person = rng.random_bool(0.6);
        chosen.clear();
        while chosen.len() < args.arcs_per_appointment as usize {
            let step = rng.random_range(0..window as u32);
            let provider =
                (home + n_providers - (window as u32) / 2 % n_providers + step) % n_providers;
            let day = rng.random_range(0..n_days);
            if chosen.contains(&(provider, day)) {
                continue;
            }
            chosen.push((provider, day));
            let distance = step.abs_diff((window as u32) / 2);
            let mut cost = i64::from(distance) * cost::MAX_TRAVEL / i64::from(half_window)
                + i64::from(day.saturating_sub(deadline)) * cost::LATE_PER_DAY
                + rng.random_range(0..100);
            if !provider.is_multiple_of(5) {
                cost += cost::NETWORK;
            }
            if in_person != rng.random_bool(0.7) {
                cost += cost::MODALITY;
            }
            network.add_arc(node, bucket(provider, day), 1, cost)?;
        }
        network.add_arc(node, sink, 1, cost::OUT_OF_NETWORK)?;
        if appointment % 4096 == 0 {
            bar.set_position(u64::from(appointment));
        }
    }
    bar.finish_and_clear();
    for provider in 0..n_providers {
        for day in 0..n_days {
            let capacity = rng.random_range(1..=4);
            network.add_arc(bucket(provider, day), sink, capacity, 0)?;
        }
    }
    Ok(network)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small(seed: u64) -> GenerateArgs {
        GenerateArgs {
            appointments: 300,
            providers: 40,
            days: 5,
            arcs_per_appointment: 12,
            reach: 10,
            seed,
            output: PathBuf::from("unused"),
        }
    }

    fn dimacs_text(network: &Network) -> String {
        let mut out = Vec::new();
        dimacs::write(network, &mut out).expect("writing to memory");
        String::from_utf8(out).expect("DIMACS is ASCII")
    }

    #[test]
    fn the_benchmark_is_deterministic_by_seed_and_always_feasible() {
        let network = generate(&small(7), Format::Json).expect("valid parameters");
        assert_eq!(network.n_nodes(), 300 + 40 * 5 + 1);
        assert_eq!(network.n_arcs(), 300 * 13 + 40 * 5);
        let again = generate(&small(7), Format::Json).expect("valid parameters");
        assert_eq!(dimacs_text(&network), dimacs_text(&again));
        let other = generate(&small(8), Format::Json).expect("valid parameters");
        assert_ne!(dimacs_text(&network), dimacs_text(&other));

        // The out-of-network arcs make every instance feasible; in-network moves are cheaper.
        let solution = caretime_flow::solve(&network).expect("feasible by construction");
        assert!(solution.cost > 0);
        assert!(solution.cost < 300 * i128::from(cost::OUT_OF_NETWORK));
    }

    #[test]
    fn more_buckets_than_within_reach_is_refused() {
        let mut args = small(1);
        args.arcs_per_appointment = 21 * 5 + 1;
        assert!(generate(&args, Format::Json).is_err());
    }
}
