//! `caretime bench find`: index build time and find latency on a generated region;
//! `caretime bench simulate`: visits simulated per second over one replication, on one core.
//! `caretime bench store` (in `bench_store`): bookings a second against a database.
//! `caretime bench serve` (in `bench_serve`): the HTTP server's $find latency and $book
//! throughput under concurrent clients.
//!
//! A benchmark, not a test: it generates the preset region, builds the book over a 12-week
//! horizon (timed: the index build), fills it with random bookings through the same decisions as
//! every other caller (so finds search a realistic, partly booked index), then times `find` on
//! random requests and prints p50/p90/p99/max. Deterministic by seed except for the times.

use std::time::Instant;

use anyhow::Context;
use caretime_core::rules::RuleSet;
use caretime_engine::availability::Horizon;
use caretime_engine::book::{Book, BookPolicy};
use caretime_engine::find::Route;
use caretime_region::generate::generate;
use clap::{Args, Subcommand};
use jiff::ToSpan;
use jiff::civil::date;
use serde::Serialize;

use crate::output::{Format, print, print_json, progress_bar, spinner, table};
use crate::region::Preset;
use crate::workload::{MAX_BOOKINGS, Workload, check_bookings};
use crate::{Outcome, load};

/// `caretime bench ...`
#[derive(Debug, Subcommand)]
pub(crate) enum BenchCommand {
    /// Index build time and find latency (p50/p99) on a generated region.
    Find(BenchFindArgs),
    /// One replication of a scenario on one core: visits simulated per second and peak memory.
    Simulate(BenchSimulateArgs),
    /// Bookings committed per second against a database by concurrent clients of one or more
    /// servers (group commit), with latency; beside pgbench with --pgbench.
    Store(crate::bench_store::BenchStoreArgs),
    /// A database with a region and a year of appointments: how long a new process takes to
    /// load it; with --disruption, a replan committed on it in one transaction.
    Load(crate::bench_load::BenchLoadArgs),
    /// The HTTP server under load: $find latency (p50/p99) and $book throughput from concurrent
    /// clients over HTTP; beside pgbench with --pgbench.
    Serve(crate::bench_serve::BenchServeArgs),
}

/// Arguments of `caretime bench simulate`.
#[derive(Debug, Args)]
pub(crate) struct BenchSimulateArgs {
    /// A built-in scenario (socal-2024, norcal-2022, socal-2024-strike) or the path of a scenario .toml file.
    #[arg(default_value = "socal-2024")]
    scenario: String,
    /// Region scale (1 = full scale).
    #[arg(long, default_value_t = 1.0)]
    scale: f64,
    /// Simulated months (no warm-up: the benchmark times the months it names).
    #[arg(long, default_value_t = 12, value_parser = clap::value_parser!(u32).range(1..=120))]
    months: u32,
    /// The replication's seed [default: the scenario's].
    #[arg(long)]
    seed: Option<u64>,
    /// Times to run the replication on the same region; the figures are the median run's, and
    /// every run is listed. Every run after the first reuses memory the one before gave back: on
    /// a virtual machine whose host backs memory only when the guest first touches it, the first
    /// run can spend a quarter of its time in the kernel clearing fresh pages (see each run's
    /// system time and page faults).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=20))]
    runs: u32,
}

#[derive(Debug, Serialize)]
struct SimulateReport {
    scenario: String,
    scale: f64,
    months: u32,
    members: usize,
    clinicians: usize,
    generate_seconds: f64,
    simulate_seconds: f64,
    visits: u64,
    events: u64,
    visits_per_second: f64,
    events_per_second: f64,
    peak_rss_mib: Option<f64>,
    /// Each run, in order (the figures above are the median run's).
    runs: Vec<TimedRun>,
}

/// One run of `caretime bench simulate --runs N`.
#[derive(Debug, Serialize)]
struct TimedRun {
    simulate_seconds: f64,
    /// Processor time in the program and in the kernel on its behalf (mostly clearing pages
    /// the run touches for the first time), and the page faults that did; `None` off Linux.
    user_seconds: Option<f64>,
    system_seconds: Option<f64>,
    minor_page_faults: Option<u64>,
}

/// The process's processor time and minor page faults so far (Linux `/proc/self/stat`).
#[derive(Clone, Copy, Debug)]
struct Usage {
    user_seconds: f64,
    system_seconds: f64,
    minor_page_faults: u64,
}

impl Usage {
    fn now() -> Option<Usage> {
        let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
        // The fields after the command name, which is in parentheses and may hold spaces: the
        // state (field 3 of proc(5)) first, then minflt (10), utime (14) and stime (15).
        let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
        let field = |number: usize| fields.get(number - 3)?.parse::<u64>().ok();
        // proc(5) counts times in clock ticks of sysconf(_SC_CLK_TCK), which is USER_HZ: 100 on
        // every Linux architecture caretime builds for.
        const TICKS_PER_SECOND: f64 = 100.0;
        Some(Usage {
            minor_page_faults: field(10)?,
            user_seconds: field(14)? as f64 / TICKS_PER_SECOND,
            system_seconds: field(15)? as f64 / TICKS_PER_SECOND,
        })
    }
}

/// The process's peak resident set (Linux `VmHWM`), in MiB.
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn bench_simulate(args: &BenchSimulateArgs, format: Format) -> anyhow::Result<Outcome> {
    let mut scenario = crate::simulate::load_scenario(&args.scenario)?;
    if !args.scale.is_finite() || args.scale <= 0.0 || args.scale > 10.0 {
        anyhow::bail!("--scale must be above 0 and at most 10");
    }
    scenario.region.scale = args.scale;
    scenario.simulation.months = args.months;
    scenario.simulation.warm_up_months = 0;
    scenario.simulation.replications = 1;
    if let Some(seed) = args.seed {
        scenario.simulation.seed = seed;
    }
    let progress = spinner(format, "generating region");
    let started = Instant::now();
    let region = generate(&scenario.region)?;
    let generate_seconds = started.elapsed().as_secs_f64();
    progress.finish_and_clear();
    let days = caretime_sim::model::Dates::of(&scenario)?.days();
    let mut runs = Vec::new();
    let mut counts = None;
    for run in 1..=args.runs {
        let message = if args.runs == 1 {
            "simulating".to_owned()
        } else {
            format!("simulating (run {run} of {})", args.runs)
        };
        let bar = progress_bar(format, u64::from(days), message);
        let before = Usage::now();
        let started = Instant::now();
        let replication = caretime_sim::model::run(&scenario, &region, 0, &|| bar.inc(1))?;
        let simulate_seconds = started.elapsed().as_secs_f64();
        let after = Usage::now();
        bar.finish_and_clear();
        let used = before.zip(after);
        runs.push(TimedRun {
            simulate_seconds,
            user_seconds: used.map(|(before, after)| after.user_seconds - before.user_seconds),
            system_seconds: used
                .map(|(before, after)| after.system_seconds - before.system_seconds),
            minor_page_faults: used
                .map(|(before, after)| after.minor_page_faults - before.minor_page_faults),
        });
        // The same seed gives the same run: a difference would be a bug worth stopping for.
        match &counts {
            None => counts = Some(replication.counts),
            Some(first) => anyhow::ensure!(
                *first == replication.counts,
                "run {run} counted differently from run 1 with the same seed"
            ),
        }
    }
    let counts = counts.context("at least one run")?;
    let mut seconds: Vec<f64> = runs.iter().map(|run| run.simulate_seconds).collect();
    seconds.sort_by(f64::total_cmp);
    // The median run (the lower middle one of an even number).
    let simulate_seconds = seconds[(seconds.len() - 1) / 2];
    let report = SimulateReport {
        scenario: scenario.name.clone(),
        scale: args.scale,
        months: args.months,
        members: region.members.len(),
        clinicians: region.clinicians.len(),
        generate_seconds,
        simulate_seconds,
        visits: counts.visits,
        events: counts.events,
        visits_per_second: counts.visits as f64 / simulate_seconds,
        events_per_second: counts.events as f64 / simulate_seconds,
        peak_rss_mib: peak_rss_mib(),
        runs,
    };
    match format {
        Format::Json => print_json(&report)?,
        Format::Text => print(&simulate_text(&report))?,
    }
    Ok(Outcome::Ok)
}

/// `caretime bench simulate`'s table.
fn simulate_text(report: &SimulateReport) -> String {
    let mut rows = vec![
        vec![
            "scenario".to_owned(),
            format!(
                "{} x{}: {} members, {} clinicians, {} months on one core",
                report.scenario, report.scale, report.members, report.clinicians, report.months
            ),
        ],
        vec![
            "generate".to_owned(),
            format!("{:.2} s (not counted below)", report.generate_seconds),
        ],
        vec![
            "simulate".to_owned(),
            format!(
                "{:.2} s (index build, events, report{})",
                report.simulate_seconds,
                if report.runs.len() > 1 {
                    "; the median run"
                } else {
                    ""
                }
            ),
        ],
    ];
    for (number, run) in report.runs.iter().enumerate() {
        let mut line = format!("{:.2} s", run.simulate_seconds);
        if let (Some(user), Some(system), Some(faults)) =
            (run.user_seconds, run.system_seconds, run.minor_page_faults)
        {
            line.push_str(&format!(
                " (user {user:.2} s, system {system:.2} s, {faults} page faults)"
            ));
        }
        rows.push(vec![format!("run {}", number + 1), line]);
    }
    rows.extend([
        vec![
            "visits".to_owned(),
            format!(
                "{} ({:.0} per second)",
                report.visits, report.visits_per_second
            ),
        ],
        vec![
            "events".to_owned(),
            format!(
                "{} ({:.0} per second)",
                report.events, report.events_per_second
            ),
        ],
        vec![
            "peak memory".to_owned(),
            report
                .peak_rss_mib
                .map_or("unknown".to_owned(), |mib| format!("{mib:.0} MiB")),
        ],
    ]);
    table(&rows)
}

/// Arguments of `caretime bench find`.
#[derive(Debug, Args)]
pub(crate) struct BenchFindArgs {
    /// Region preset.
    #[arg(long, value_enum, default_value_t = Preset::Socal)]
    preset: Preset,
    /// Scale factor (1 = full scale).
    #[arg(long, default_value_t = 1.0)]
    scale: f64,
    /// Random seed for the region and the requests.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Random bookings made before timing, as demand fills the first weeks [default: 300,000 x
    /// scale: at full scale that books internal capacity out for the first weeks, so most finds
    /// search far ahead, the slow case]; at most 10,000,000.
    #[arg(long)]
    bookings: Option<u32>,
    /// Timed finds, 1 to 1,000,000.
    #[arg(long, default_value_t = 20_000)]
    requests: u32,
    /// Rule set.
    #[arg(long, value_name = "NAME|PATH", default_value = "ca-dmhc")]
    rules: String,
}

#[derive(Debug, Serialize)]
struct Latency {
    p50_us: f64,
    p90_us: f64,
    p99_us: f64,
    max_us: f64,
    mean_us: f64,
}

#[derive(Debug, Serialize)]
struct BenchReport {
    preset: &'static str,
    scale: f64,
    seed: u64,
    members: usize,
    clinicians: usize,
    horizon_days: u32,
    generate_seconds: f64,
    index_build_seconds: f64,
    bookings: u32,
    booking_seconds: f64,
    requests: u32,
    find: Latency,
    best_offer_routes: RouteShares,
}

#[derive(Debug, Default, Serialize)]
struct RouteShares {
    continuity: u32,
    internal: u32,
    network: u32,
    late_with_arrangement: u32,
    none_in_horizon: u32,
}

const HORIZON_DAYS: u32 = 84;

/// The most timed finds (`--requests`): a million take under a minute, and their latencies 8 MB.
const MAX_REQUESTS: u32 = 1_000_000;

pub(crate) fn run(command: &BenchCommand, format: Format) -> anyhow::Result<Outcome> {
    let args = match command {
        BenchCommand::Find(args) => args,
        BenchCommand::Simulate(args) => return bench_simulate(args, format),
        BenchCommand::Store(args) => return crate::bench_store::run(args, format),
        BenchCommand::Load(args) => return crate::bench_load::run(args, format),
        BenchCommand::Serve(args) => return crate::bench_serve::run(args, format),
    };
    check_bookings(args.bookings)?;
    if !(1..=MAX_REQUESTS).contains(&args.requests) {
        anyhow::bail!("--requests must be 1 to {MAX_REQUESTS}");
    }
    let rules: RuleSet = load::rule_set(&args.rules)?;
    let params = args.preset.params(args.scale, args.seed)?;
    let bookings = args
        .bookings
        .unwrap_or((300_000.0 * args.scale).round() as u32)
        .min(MAX_BOOKINGS);

    let progress = spinner(format, "generating region");
    let started = Instant::now();
    let region = generate(&params)?;
    let generate_seconds = started.elapsed().as_secs_f64();

    progress.set_message("building the availability index");
    // Monday 2025-12-01 for 12 weeks (about 60 business days).
    let first = date(2025, 12, 1);
    let horizon = Horizon {
        first,
        last: first
            .checked_add(i64::from(HORIZON_DAYS - 1).days())
            .context("horizon in range")?,
    };
    let started = Instant::now();
    let mut book = Book::new(&region, horizon, &[], BookPolicy::STANDARD)?;
    let index_build_seconds = started.elapsed().as_secs_f64();
    progress.finish_and_clear();
    let first_instant = first
        .to_zoned(rules.time_zone().clone())
        .context("horizon start in range")?
        .timestamp();

    let mut workload = Workload::new(&region, args.seed, first_instant, 2)?;
    let bar = progress_bar(format, u64::from(bookings), "booking");
    let started = Instant::now();
    workload.book(&mut book, &rules, 0, bookings, &mut |done| {
        bar.set_position(u64::from(done))
    })?;
    bar.finish_and_clear();
    let booking_seconds = started.elapsed().as_secs_f64();

    let bar = progress_bar(format, u64::from(args.requests), "timing finds");
    let mut micros = Vec::with_capacity(args.requests as usize);
    let mut routes = RouteShares::default();
    for idx in 0..args.requests {
        let (request, now) = workload.request(bookings + idx);
        let started = Instant::now();
        let offers = book.find(&region, &rules, &request, now)?;
        micros.push(started.elapsed().as_secs_f64() * 1e6);
        match (offers.best(), offers.arrangement.is_some()) {
            (None, _) => routes.none_in_horizon += 1,
            (Some(_), true) => routes.late_with_arrangement += 1,
            (Some(offer), false) => match offer.route {
                Route::Continuity => routes.continuity += 1,
                Route::Internal => routes.internal += 1,
                Route::Network => routes.network += 1,
            },
        }
        if idx % 1024 == 0 {
            bar.set_position(u64::from(idx));
        }
    }
    bar.finish_and_clear();
    micros.sort_by(f64::total_cmp);
    let quantile = |q: f64| micros[((micros.len() - 1) as f64 * q).round() as usize];
    let report = BenchReport {
        preset: "socal",
        scale: args.scale,
        seed: args.seed,
        members: region.members.len(),
        clinicians: region.clinicians.len(),
        horizon_days: HORIZON_DAYS,
        generate_seconds,
        index_build_seconds,
        bookings,
        booking_seconds,
        requests: args.requests,
        find: Latency {
            p50_us: quantile(0.5),
            p90_us: quantile(0.9),
            p99_us: quantile(0.99),
            max_us: quantile(1.0),
            mean_us: micros.iter().sum::<f64>() / micros.len() as f64,
        },
        best_offer_routes: routes,
    };
    match format {
        Format::Json => print_json(&report)?,
        Format::Text => print(&text(&report))?,
    }
    Ok(Outcome::Ok)
}

fn text(report: &BenchReport) -> String {
    let routes = &report.best_offer_routes;
    table(&[
        vec![
            "region".to_owned(),
            format!(
                "{} x{} seed {}: {} members, {} clinicians",
                report.preset, report.scale, report.seed, report.members, report.clinicians
            ),
        ],
        vec![
            "generate".to_owned(),
            format!("{:.2} s", report.generate_seconds),
        ],
        vec![
            "index build".to_owned(),
            format!(
                "{:.2} s ({} days)",
                report.index_build_seconds, report.horizon_days
            ),
        ],
        vec![
            "bookings".to_owned(),
            format!(
                "{} in {:.2} s (find + decide + apply)",
                report.bookings, report.booking_seconds
            ),
        ],
        vec![
            "find".to_owned(),
            format!(
                "{} requests: p50 {:.1} us, p90 {:.1} us, p99 {:.1} us, max {:.1} us, mean {:.1} us",
                report.requests,
                report.find.p50_us,
                report.find.p90_us,
                report.find.p99_us,
                report.find.max_us,
                report.find.mean_us
            ),
        ],
        vec![
            "best offers".to_owned(),
            format!(
                "continuity {}, internal {}, network {}, late + arrangement {}, none {}",
                routes.continuity,
                routes.internal,
                routes.network,
                routes.late_with_arrangement,
                routes.none_in_horizon
            ),
        ],
    ])
}
