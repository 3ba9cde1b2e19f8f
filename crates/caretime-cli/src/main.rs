//! The `caretime` command: glue between the terminal and the caretime crates.
//!
//! Every subcommand parses its arguments, calls the library, and prints text or JSON. Errors are
//! one line on stderr (`error: ...`) with exit status 2; a check that finds violations (`template
//! check`) exits 1; success exits 0. Messages never echo member data.

mod bench;
mod compare;
mod deadline;
mod demo;
mod find;
mod flow;
mod load;
mod output;
mod plan;
mod region;
mod replan;
mod rules;
mod simulate;
mod template;
mod workload;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::output::Format;

/// caretime: timely access to mental health care.
///
/// Computes appointment deadlines under a regulator's timely-access rules, checks clinicians'
/// weekly templates against the contract that protects their non-appointment care time, generates
/// synthetic regions, finds ranked offers that meet the deadlines, replans disruptions optimally,
/// and simulates a region to compare contract terms and staffing. Rule sets,
/// holiday calendars and contracts are data files; built-in ones are listed by `caretime rules
/// list` and `caretime contracts list`, and any command that takes a name also takes a path to a
/// TOML file of the same format.
#[derive(Debug, Parser)]
#[command(name = "caretime", version, max_term_width = 100)]
struct Cli {
    /// Output format: text for people, json for programs.
    #[arg(long, value_enum, default_value_t = Format::Text, global = true)]
    format: Format,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Compute a request's timely-access deadline under a rule set.
    Deadline(deadline::DeadlineArgs),
    /// List and show timely-access rule sets (regulators' deadlines).
    #[command(subcommand)]
    Rules(rules::RulesCommand),
    /// List and show contracts (protected non-appointment hours per week).
    #[command(subcommand)]
    Contracts(rules::ContractsCommand),
    /// Check clinicians' weekly templates.
    #[command(subcommand)]
    Template(template::TemplateCommand),
    /// Generate synthetic regions.
    #[command(subcommand)]
    Region(region::RegionCommand),
    /// Ranked offers for one request in a region: continuity, internal, network, out-of-network.
    Find(find::FindArgs),
    /// Benchmarks (index build time, find latency).
    #[command(subcommand)]
    Bench(bench::BenchCommand),
    /// Replan a disruption (strike, leave, closure): the optimal moves of every displaced
    /// appointment, previewed, then applied in one step.
    Replan(replan::ReplanArgs),
    /// Min-cost flow: solve a DIMACS file, generate the replanning benchmark.
    #[command(subcommand)]
    Flow(flow::FlowCommand),
    /// Simulate a region over months (every booking through the engine), with replications and
    /// 95 % confidence intervals: timely-access compliance, waits, follow-up intervals, routes,
    /// attendance and the workforce.
    Simulate(simulate::SimulateArgs),
    /// Run variants of a scenario side by side (contracts × staffing ratios, the same seeds):
    /// compliance, waits, follow-ups, visits, and the appointments a week each protected hour
    /// costs.
    Compare(compare::CompareArgs),
    /// The fewest internal therapists whose simulated compliance reaches a target under a
    /// contract, and their wage cost under the scenario's wage schedule.
    Plan(plan::PlanArgs),
    /// A guided tour: the same requests under every rule set, and what each contract does to a
    /// clinician's week.
    Demo,
}

/// What a command reports back to `main` when it did not fail.
enum Outcome {
    /// Done.
    Ok,
    /// A check ran and found violations (exit status 1).
    Violations,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Deadline(args) => deadline::run(&args, cli.format),
        Command::Rules(command) => rules::run_rules(&command, cli.format),
        Command::Contracts(command) => rules::run_contracts(&command, cli.format),
        Command::Template(command) => template::run(&command, cli.format),
        Command::Region(command) => region::run(&command, cli.format),
        Command::Find(args) => find::run(&args, cli.format),
        Command::Bench(command) => bench::run(&command, cli.format),
        Command::Flow(command) => flow::run(&command, cli.format),
        Command::Replan(args) => replan::run(&args, cli.format),
        Command::Simulate(args) => simulate::run(&args, cli.format),
        Command::Compare(args) => compare::run(&args, cli.format),
        Command::Plan(args) => plan::run(&args, cli.format),
        Command::Demo => demo::run(cli.format),
    };
    match result {
        Ok(Outcome::Ok) => ExitCode::SUCCESS,
        Ok(Outcome::Violations) => ExitCode::from(1),
        Err(err) => {
            // `{:#}` joins the error chain on one line.
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}
