//! The `caretime` command: glue between the terminal and the caretime crates.
//!
//! Every subcommand parses its arguments, calls the library, and prints text or JSON. Errors are
//! one line on stderr (`error: ...`, control characters escaped) with exit status 2, argument
//! errors included; a check that finds violations (`template check`, `db check`) or a booking
//! the engine refuses (`book`, `cancel`) exits 1; success exits 0,
//! and so does a run whose reader closed stdout early (`| head`). Messages never echo member
//! data.

mod bench;
mod bench_load;
mod bench_serve;
mod bench_store;
mod census;
mod compare;
mod deadline;
mod demo;
mod export;
mod find;
mod flow;
mod load;
mod merge;
mod output;
mod plan;
mod region;
mod replan;
mod rules;
mod serve;
mod simulate;
mod store;
mod template;
mod validate;
mod workload;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::output::Format;

/// caretime: timely access to mental health care.
///
/// Computes appointment deadlines under a regulator's timely-access rules, checks clinicians'
/// weekly templates against the contract that protects their non-appointment care time, generates
/// synthetic regions, finds ranked offers that meet the deadlines, keeps a book of appointments in
/// a database (SQLite by default, PostgreSQL for several processes), replans disruptions
/// optimally, and simulates a region to compare contract terms and staffing. Rule sets,
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
    /// Ranked offers for one request in a region file or a stored book: continuity, internal,
    /// network, out-of-network.
    Find(find::FindArgs),
    /// Benchmarks (index build time, find latency, simulation speed, bookings a second in a
    /// database).
    #[command(subcommand)]
    Bench(bench::BenchCommand),
    /// Replan a disruption (strike, leave, closure): the optimal moves of every displaced
    /// appointment, previewed, then applied in one step (on a stored book, one transaction).
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
    /// The model beside the published record: each published figure (intake timeliness,
    /// follow-up interval, sessions per therapist-week, no-shows, what a protected hour costs)
    /// with its source, the model's figure with a 95 % confidence interval, and their ratio.
    Validate(validate::ValidateArgs),
    /// Combine the part files of a sharded `simulate` or `compare` (`--shard K/N`) into the
    /// report one run prints, byte for byte, in every format: refuses parts of different runs, a
    /// shard missing or given twice, a damaged or truncated file and another format version.
    Merge(merge::MergeArgs),
    /// The fewest internal therapists whose simulated compliance reaches a target under a
    /// contract, and their wage cost under the scenario's wage schedule.
    Plan(plan::PlanArgs),
    /// The database holding the book: create it, migrate it, check it.
    #[command(subcommand)]
    Db(store::DbCommand),
    /// Import a region (JSON, or its four CSV tables) into the database, in one transaction.
    Import(store::ImportArgs),
    /// Book a member's request in the stored book: the best offer, or a clinician's free time.
    Book(store::BookArgs),
    /// Cancel a stored appointment, giving its time back.
    Cancel(store::CancelArgs),
    /// List stored appointments, a member's or a clinician's.
    Appointments(store::AppointmentsArgs),
    /// Export what a database holds: appointments (CSV), the region (JSON or CSV), the access
    /// report and the provider census of the stored book.
    #[command(subcommand)]
    Export(export::ExportCommand),
    /// Serve the FHIR R4 scheduling API over HTTP on the stored book.
    Serve(serve::ServeArgs),
    /// The server's users: add one (with a token printed once), a new token, revoke, list.
    #[command(subcommand)]
    User(serve::UserCommand),
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
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => return argument_error(&err),
    };
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
        Command::Validate(args) => validate::run(&args, cli.format),
        Command::Merge(args) => merge::run(&args, cli.format),
        Command::Plan(args) => plan::run(&args, cli.format),
        Command::Db(command) => store::run_db(&command, cli.format),
        Command::Import(args) => store::run_import(&args, cli.format),
        Command::Serve(args) => serve::run_serve(&args),
        Command::User(command) => serve::run_user(&command, cli.format),
        Command::Book(args) => store::run_book(&args, cli.format),
        Command::Cancel(args) => store::run_cancel(&args, cli.format),
        Command::Appointments(args) => store::run_appointments(&args, cli.format),
        Command::Export(command) => export::run(&command, cli.format),
        Command::Demo => demo::run(cli.format),
    };
    match result {
        Ok(Outcome::Ok) => ExitCode::SUCCESS,
        Ok(Outcome::Violations) => ExitCode::from(1),
        // The reader has what it wanted (`| head`): nothing more to say.
        Err(_) if output::stdout_closed() => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {}", output::one_line(&chain(&err)));
            ExitCode::from(2)
        }
    }
}

/// The error and its causes on one line, `: ` between them; a cause whose text its wrapper
/// already shows is left out (an I/O error wrapped in a file error would otherwise appear twice).
fn chain(err: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if out.contains(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}

/// Reports a command line clap rejected. `--help` and `--version` print as clap prints them;
/// anything else becomes the CLI's one `error:` line with exit status 2: clap's first line, its
/// tips, and the usage of the (sub)command.
fn argument_error(err: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(
        err.kind(),
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion
    ) {
        err.exit();
    }
    let rendered = err.render().to_string();
    let usage = rendered
        .lines()
        .find_map(|line| line.trim().strip_prefix("Usage: "))
        .map(str::to_owned);
    let message = if err.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
        "a subcommand is required".to_owned()
    } else {
        // The first paragraph is the message (a list of missing arguments runs over several
        // lines); tips come in later paragraphs.
        let first: Vec<&str> = rendered
            .lines()
            .take_while(|line| !line.trim().is_empty())
            .map(str::trim)
            .collect();
        let first = first.join(" ");
        let mut message = first.strip_prefix("error: ").unwrap_or(&first).to_owned();
        for tip in rendered
            .lines()
            .filter_map(|line| line.trim().strip_prefix("tip: "))
        {
            message.push_str("; ");
            message.push_str(tip);
        }
        message
    };
    let usage = usage.map_or(String::new(), |usage| {
        format!(" (usage: {usage}; see --help)")
    });
    eprintln!("error: {}", output::one_line(&format!("{message}{usage}")));
    ExitCode::from(2)
}
