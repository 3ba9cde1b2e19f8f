//! `caretime replan`: preview (and apply) the optimal moves for a disruption.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, bail};
use caretime_core::region::Region;
use caretime_core::slug::Slug;
use caretime_engine::availability::Horizon;
use caretime_engine::book::{Book, BookPolicy};
use caretime_engine::find::Timeliness;
use caretime_region::file::read_region;
use caretime_region::generate::generate;
use caretime_replan::disruption_file::read_disruption;
use caretime_replan::{ReplanContext, ReplanCosts, plan};
use clap::Args;
use jiff::{ToSpan, Zoned};
use serde::Serialize;

use crate::deadline::parse_instant;
use crate::output::{Format, print_json, progress_bar, rfc3339, spinner, table, write_file};
use crate::region::Preset;
use crate::workload::{Workload, check_bookings};
use crate::{Outcome, load};

/// Arguments of `caretime replan`.
#[derive(Debug, Args)]
#[command(
    after_help = "The book is a seeded workload: --bookings random requests made over the \
two weeks before --now and booked through find, decide and apply. The plan moves every \
appointment the disruption displaces (another internal clinician, the treating clinician after the \
disruption, a network provider, or an out-of-network arrangement) at minimum total cost: a \
min-cost flow over candidate (clinician, day) buckets, grown by column generation priced with the \
optimum's dual potentials. The report says whether that converged (the plan is then optimal over \
every allowed bucket) or stopped at --rounds (optimal over the candidates found)."
)]
pub(crate) struct ReplanArgs {
    /// Region file (JSON); without it, --preset is generated.
    #[arg(long, value_name = "FILE")]
    region: Option<String>,
    /// Region preset, when no --region is given.
    #[arg(long, value_enum, default_value_t = Preset::Socal)]
    preset: Preset,
    /// Scale of the preset (1 = full scale).
    #[arg(long, default_value_t = 0.01)]
    scale: f64,
    /// Seed of the region (for --preset) and of the workload: the same seed gives the same plan.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// The disruption file (TOML: reason, first, last, who).
    #[arg(long, value_name = "FILE")]
    disruption: String,
    /// Random bookings before the plan [default: 300,000 x scale, or 60 per clinician for a
    /// region file]; at most 10,000,000.
    #[arg(long)]
    bookings: Option<u32>,
    /// When the plan is made [default: 17:00 the day before the disruption].
    #[arg(long, value_name = "TIME")]
    now: Option<String>,
    /// Rule set for deadlines and lateness.
    #[arg(long, value_name = "NAME|PATH", default_value = "ca-dmhc")]
    rules: String,
    /// Write the flow network as a DIMACS min-cost-flow file (check it with any solver).
    #[arg(long, value_name = "FILE")]
    export_dimacs: Option<PathBuf>,
    /// Write every move as one JSON object per line.
    #[arg(long, value_name = "FILE")]
    moves: Option<PathBuf>,
    /// At most this many (clinician, day) candidates per displaced appointment, besides its
    /// out-of-network arc: more finds cheaper plans when capacity is contested, at more arcs.
    #[arg(long, default_value_t = ReplanCosts::STANDARD.candidates as u32, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    candidates: u32,
    /// At most this many rounds of column generation: the plan is optimal over every bucket the
    /// filters allow when they converge sooner (reported), else over the candidates found.
    #[arg(long, default_value_t = ReplanCosts::STANDARD.max_rounds as u32, value_parser = clap::value_parser!(u32).range(1..=1_000))]
    rounds: u32,
    /// Apply the plan to the book (one atomic step) and report what changed.
    #[arg(long)]
    apply: bool,
}

#[derive(Debug, Serialize)]
struct ReplanReport {
    reason: &'static str,
    first: String,
    last: String,
    clinicians_disrupted: usize,
    bookings: u32,
    groups: u32,
    displaced: usize,
    internal: usize,
    network: usize,
    out_of_network: usize,
    timely: usize,
    timely_before: usize,
    late_by_business_days: BTreeMap<u32, usize>,
    groups_kept: usize,
    groups_cancelled: usize,
    flow_nodes: usize,
    flow_arcs: usize,
    rounds: usize,
    converged: bool,
    cost: String,
    plan_seconds: f64,
    applied: Option<AppliedReport>,
}

#[derive(Debug, Serialize)]
struct AppliedReport {
    changes: usize,
    cancelled: usize,
    rebooked: usize,
    arrangements: usize,
}

#[derive(Debug, Serialize)]
struct MoveLine {
    appointment: String,
    from_clinician: String,
    from_start: String,
    to: &'static str,
    clinician: Option<String>,
    start: Option<String>,
    modality: Option<&'static str>,
    interpreter: Option<String>,
    timely: Option<bool>,
    late_business_days: Option<u32>,
}

pub(crate) fn run(args: &ReplanArgs, format: Format) -> anyhow::Result<Outcome> {
    check_bookings(args.bookings)?;
    let rules = load::rule_set(&args.rules)?;
    let progress = spinner(format, "loading the region");
    let region: Region = match &args.region {
        Some(path) => read_region(path, &load::read(path)?)?,
        None => generate(&args.preset.params(args.scale, args.seed)?)?,
    };
    let disruption = read_disruption(&args.disruption, &load::read(&args.disruption)?, &region)?;
    let zone = rules.time_zone().clone();
    let now = match &args.now {
        Some(text) => parse_instant("--now", text)?,
        None => disruption
            .first
            .yesterday()
            .and_then(|day| day.at(17, 0, 0, 0).to_zoned(zone.clone()))
            .context("the disruption's dates are out of range")?
            .timestamp(),
    };
    let today = now.to_zoned(zone.clone()).date();
    if disruption.last < today {
        bail!("the disruption ends before --now");
    }
    // Two weeks of requests before `now`, and twelve weeks of time from them.
    let first = today.checked_sub(14.days())?;
    let horizon = Horizon {
        first,
        last: first.checked_add(97.days())?,
    };
    progress.set_message("building the book");
    let mut book = Book::new(&region, horizon, &[], BookPolicy::STANDARD)?;
    progress.finish_and_clear();
    let bookings = args.bookings.unwrap_or(match &args.region {
        None => (300_000.0 * args.scale).round() as u32,
        Some(_) => 60 * region.clinicians.len() as u32,
    });
    let first_instant = first
        .to_zoned(zone.clone())
        .context("horizon start in range")?
        .timestamp();
    let mut workload = Workload::new(&region, args.seed, first_instant, 2)?;
    let bar = progress_bar(format, u64::from(bookings), "booking the workload");
    workload.book(&mut book, &rules, 0, bookings, &mut |done| {
        bar.set_position(u64::from(done))
    })?;
    bar.finish_and_clear();
    // A group for a third of the internal therapists with group time, weekly from the first week.
    let groups = workload.groups(&mut book, first, 1.0 / 3.0, 12)?;

    let progress = spinner(format, "planning");
    let started = Instant::now();
    let costs = ReplanCosts {
        candidates: args.candidates as usize,
        max_rounds: args.rounds as usize,
        ..ReplanCosts::STANDARD
    };
    let context = ReplanContext {
        region: &region,
        book: &book,
        rules: &rules,
        costs: &costs,
    };
    let replan = plan(&context, &disruption, now, &mut |step| {
        progress.set_message(format!("solving: {step}"));
    })?;
    let plan_seconds = started.elapsed().as_secs_f64();
    progress.finish_and_clear();

    if let Some(path) = &args.export_dimacs {
        write_file(path, |out| {
            caretime_flow::dimacs::write(&replan.network, out)
        })?;
    }
    if let Some(path) = &args.moves {
        let local = |at: jiff::Timestamp| rfc3339(&at.to_zoned(zone.clone()));
        write_file(path, |out| {
            for displaced in &replan.moves {
                let original = book.appointment(displaced.appointment).ok_or_else(|| {
                    std::io::Error::other("the plan names an appointment the book lacks")
                })?;
                let line = MoveLine {
                    appointment: displaced.appointment.to_string(),
                    from_clinician: original.clinician.to_string(),
                    from_start: local(original.start),
                    to: match &displaced.to {
                        None => "out-of-network",
                        Some(placement) => placement.route.slug(),
                    },
                    clinician: displaced.to.map(|p| p.clinician.to_string()),
                    start: displaced.to.map(|p| local(p.start)),
                    modality: displaced.to.map(|p| p.modality.slug()),
                    interpreter: displaced
                        .to
                        .and_then(|p| p.interpreter.map(|language| language.to_string())),
                    timely: displaced.timeliness.map(Timeliness::is_met),
                    late_business_days: match displaced.timeliness {
                        Some(Timeliness::Late { business_days }) => Some(business_days),
                        _ => None,
                    },
                };
                serde_json::to_writer(&mut *out, &line)?;
                out.write_all(b"\n")?;
            }
            Ok(())
        })?;
    }

    let summary = replan.summary();
    let applied = if args.apply {
        let changes = replan.changes(&book, now);
        let before = book.appointment_count();
        let arrangements_before = book.arrangements().len();
        book.apply(&changes)
            .context("the plan no longer fits the book")?;
        Some(AppliedReport {
            changes: changes.len(),
            cancelled: replan.moves.len(),
            rebooked: book.appointment_count() - before,
            arrangements: book.arrangements().len() - arrangements_before,
        })
    } else {
        None
    };
    let report = ReplanReport {
        reason: disruption.reason.slug(),
        first: disruption.first.to_string(),
        last: disruption.last.to_string(),
        clinicians_disrupted: disruption.clinicians.len(),
        bookings,
        groups,
        displaced: summary.displaced,
        internal: summary.internal,
        network: summary.network,
        out_of_network: summary.out_of_network,
        timely: summary.timely,
        timely_before: summary.timely_before,
        late_by_business_days: summary.late_by_business_days.clone(),
        groups_kept: summary.groups_kept,
        groups_cancelled: summary.groups_cancelled,
        flow_nodes: replan.network.n_nodes(),
        flow_arcs: replan.network.n_arcs(),
        rounds: replan.rounds,
        converged: replan.converged,
        cost: replan.cost.to_string(),
        plan_seconds,
        applied,
    };
    match format {
        Format::Json => print_json(&report)?,
        Format::Text => print!("{}", text(&report, now.to_zoned(zone))),
    }
    Ok(Outcome::Ok)
}

fn text(report: &ReplanReport, now: Zoned) -> String {
    // The histogram in ranges of business days late (JSON has every day).
    let ranges = [(1, 5), (6, 10), (11, 20), (21, 40), (41, u32::MAX)];
    let late: Vec<String> = ranges
        .iter()
        .filter_map(|&(low, high)| {
            let count: usize = report
                .late_by_business_days
                .range(low..=high)
                .map(|(_, count)| count)
                .sum();
            let label = if high == u32::MAX {
                format!("{low}+")
            } else {
                format!("{low}-{high}")
            };
            (count > 0).then(|| format!("{label}: {count}"))
        })
        .collect();
    let mut rows = vec![
        vec![
            "disruption".to_owned(),
            format!(
                "{} of {} clinicians, {} to {} (planned at {})",
                report.reason,
                report.clinicians_disrupted,
                report.first,
                report.last,
                rfc3339(&now)
            ),
        ],
        vec![
            "workload".to_owned(),
            format!(
                "{} random requests booked, {} weekly groups",
                report.bookings, report.groups
            ),
        ],
        vec!["displaced".to_owned(), report.displaced.to_string()],
        vec![
            "moved internally".to_owned(),
            format!(
                "{} (incl. back to the treating clinician after)",
                report.internal
            ),
        ],
        vec!["moved to network".to_owned(), report.network.to_string()],
        vec![
            "out of network".to_owned(),
            format!("{} (SB 855 arrangements)", report.out_of_network),
        ],
        vec![
            "within deadline".to_owned(),
            format!(
                "{} of {} moved ({} of the {} displaced were booked within it)",
                report.timely,
                report.internal + report.network,
                report.timely_before,
                report.displaced
            ),
        ],
        vec![
            "late (business days)".to_owned(),
            if late.is_empty() {
                "none".to_owned()
            } else {
                late.join(", ")
            },
        ],
        vec![
            "groups".to_owned(),
            format!(
                "{} kept with a substitute, {} cancelled",
                report.groups_kept, report.groups_cancelled
            ),
        ],
        vec![
            "min-cost flow".to_owned(),
            format!(
                "{} nodes, {} arcs, optimal cost {}, {} rounds{}, {:.2} s",
                report.flow_nodes,
                report.flow_arcs,
                report.cost,
                report.rounds,
                if report.converged {
                    " (converged: optimal over every allowed clinician-day)"
                } else {
                    " (round limit: optimal over the candidates found)"
                },
                report.plan_seconds
            ),
        ],
    ];
    if let Some(applied) = &report.applied {
        rows.push(vec![
            "applied".to_owned(),
            format!(
                "{} changes: {} cancelled, {} rebooked, {} arrangements",
                applied.changes, applied.cancelled, applied.rebooked, applied.arrangements
            ),
        ]);
    } else {
        rows.push(vec![
            "applied".to_owned(),
            "no (preview; --apply applies it in one atomic step)".to_owned(),
        ]);
    }
    table(&rows)
}
