//! `caretime replan`: preview (and apply) the optimal moves for a disruption.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};
use caretime_core::id::ClinicianId;
use caretime_core::region::{Affiliation, Discipline, Region};
use caretime_core::slug::Slug;
use caretime_engine::availability::{FreeKind, Horizon, Minute};
use caretime_engine::book::{Book, BookPolicy};
use caretime_engine::find::Timeliness;
use caretime_region::file::read_region;
use caretime_region::generate::generate;
use caretime_replan::disruption_file::read_disruption;
use caretime_replan::{Disruption, Replan, ReplanContext, ReplanCosts, plan};
use clap::Args;
use jiff::civil::Date;
use jiff::{ToSpan, Zoned};
use serde::Serialize;

use crate::deadline::parse_instant;
use crate::output::{
    Format, print, print_json, progress_bar, refuse_overwriting, rfc3339, spinner, table,
    write_file,
};
use crate::region::Preset;
use crate::workload::{Utilisation, Workload, check_bookings};
use crate::{Outcome, load};

/// Arguments of `caretime replan`.
#[derive(Debug, Args)]
#[command(
    after_help = "The book is a steady practice at a stated utilisation, seeded: each direct \
slot of each clinician is booked with the chance --utilisation (internal) or \
--network-utilisation (network), for the request a steady practice books there (a psychiatry \
evaluation; a therapist's intake, one in twelve, or a follow-up with the treating clinician a \
week or two after the last session, as the socal-2024 scenario's episodes run), but only when \
that request came before --now: the calendar is full to the target behind --now and thins out \
over the next two weeks. 85 % is an assumption between what the simulator leaves (its socal-2024 \
clinicians see 3.4 visits a day, README) and the union's reports of 32-35 patients a week \
(about 30 direct hours a full-time week under socal-2025). The report says how full internal and \
network direct time were in the disruption's dates before it, and how much of the free time \
belongs to clinicians it leaves at work: the room the plan has. --bookings N books N random \
requests at their best offers over the two weeks before instead (a stress load that fills the \
calendar from the front, as `bench find` does).\n\n\
The plan moves every appointment the disruption displaces (another internal clinician, the \
treating clinician after the disruption, a network provider, or an out-of-network arrangement) \
at minimum total cost: a min-cost flow over candidate (clinician, day) buckets, grown by column \
generation priced with the optimum's dual potentials. The report says whether that converged \
(the plan is then optimal over every allowed bucket) or stopped at --rounds (optimal over the \
candidates found)."
)]
pub(crate) struct ReplanArgs {
    /// Region file (JSON); without it, --preset is generated.
    #[arg(long, value_name = "FILE")]
    region: Option<String>,
    /// Replan the stored book of this database instead (sqlite://FILE, postgres://...): its
    /// region, rule set and appointments; --apply commits every move in one transaction.
    #[arg(
        long,
        value_name = "URL",
        conflicts_with_all = [
            "region", "preset", "scale", "seed", "utilisation", "network_utilisation",
            "bookings", "rules"
        ]
    )]
    database: Option<String>,
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
    /// Share of internal clinicians' direct time booked (0 to 1): the steady book's utilisation,
    /// an assumption (see below).
    #[arg(long, default_value_t = 0.85, value_parser = parse_share, conflicts_with = "bookings")]
    utilisation: f64,
    /// Share of network providers' direct time booked (0 to 1), of the hours a week each gives
    /// the plan's members: an assumption.
    #[arg(long, default_value_t = 0.85, value_parser = parse_share, conflicts_with = "bookings")]
    network_utilisation: f64,
    /// Instead of the steady book, this many random requests booked at their best offers over
    /// the two weeks before --now (fills the calendar from the front: a stress load); at most
    /// 10,000,000.
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

/// Parses a share from 0 to 1.
fn parse_share(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(share) if (0.0..=1.0).contains(&share) => Ok(share),
        _ => Err(format!("expected a share from 0 to 1 (got `{text}`)")),
    }
}

#[derive(Debug, Serialize)]
struct ReplanReport {
    reason: &'static str,
    first: String,
    last: String,
    clinicians_disrupted: usize,
    workload: WorkloadReport,
    capacity_before: CapacityBefore,
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

/// The book the plan disrupts.
#[derive(Debug, Serialize)]
struct WorkloadReport {
    /// `steady` (a practice at a stated utilisation), `random-requests` (`--bookings`) or
    /// `stored` (`--database`).
    model: &'static str,
    /// The steady book's targets: shares of direct time booked.
    internal_utilisation: Option<f64>,
    network_utilisation: Option<f64>,
    /// Random requests tried (`--bookings`).
    requests: Option<u32>,
    /// Appointments booked.
    booked: u32,
    /// Steady slots no member drawn could reach.
    unreached: Option<u32>,
    /// Weekly groups started.
    groups: u32,
}

/// How full the disrupted dates were before the disruption, by side, for the clinicians who could
/// take what it displaces (the disciplines it disrupts: therapy, psychiatry or both).
#[derive(Debug, Serialize)]
struct CapacityBefore {
    /// Whose time counts: `therapy`, `psychiatry` or `therapy and psychiatry`.
    time_of: &'static str,
    internal: Capacity,
    network: Capacity,
}

/// Direct time (not urgent-hold or group time) on the disruption's dates, in hours.
#[derive(Debug, Default, Serialize)]
struct Capacity {
    /// Held by appointments.
    booked_hours: f64,
    /// Booked and free: the template's direct time.
    bookable_hours: f64,
    /// Booked over bookable (`None` without direct time).
    booked_share: Option<f64>,
    /// Free time of the clinicians the disruption leaves at work: the room on its dates.
    free_hours_not_disrupted: f64,
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
    if let Some(url) = &args.database {
        return run_stored(args, url, format);
    }
    let inputs: Vec<&Path> = [
        Some(args.rules.as_str()),
        args.region.as_deref(),
        Some(&args.disruption),
    ]
    .into_iter()
    .flatten()
    .map(Path::new)
    .collect();
    refuse_overwriting(
        [&args.export_dimacs, &args.moves]
            .into_iter()
            .flatten()
            .map(PathBuf::as_path),
        &inputs,
    )?;
    check_bookings(args.bookings)?;
    let rules = load::rule_set(&args.rules)?;
    let progress = spinner(format, "loading the region");
    let region: Region = match &args.region {
        Some(path) => read_region(path, &load::read(path, load::Input::REGION)?)?,
        None => generate(&args.preset.params(args.scale, args.seed)?)?,
    };
    let disruption = read_disruption(
        &args.disruption,
        &load::read(&args.disruption, load::Input::DISRUPTION)?,
        &region,
    )?;
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
    let first_instant = first
        .to_zoned(zone.clone())
        .context("horizon start in range")?
        .timestamp();
    let mut workload = Workload::new(&region, args.seed, first_instant, 2)?;
    let mut workload_report = match args.bookings {
        Some(requests) => {
            let bar = progress_bar(format, u64::from(requests), "booking the workload");
            let booked = workload.book(&mut book, &rules, 0, requests, &mut |done| {
                bar.set_position(u64::from(done))
            })?;
            bar.finish_and_clear();
            WorkloadReport {
                model: "random-requests",
                internal_utilisation: None,
                network_utilisation: None,
                requests: Some(requests),
                booked,
                unreached: None,
                groups: 0,
            }
        }
        None => {
            let utilisation = Utilisation {
                internal: args.utilisation,
                network: args.network_utilisation,
            };
            let bar = progress_bar(
                format,
                region.clinicians.len() as u64,
                "booking a steady practice",
            );
            let counts = workload.steady(&mut book, &rules, utilisation, now, 0, &mut |done| {
                bar.set_position(u64::from(done))
            })?;
            bar.finish_and_clear();
            WorkloadReport {
                model: "steady",
                internal_utilisation: Some(utilisation.internal),
                network_utilisation: Some(utilisation.network),
                requests: None,
                booked: counts.booked,
                unreached: Some(counts.unreached),
                groups: 0,
            }
        }
    };
    // A group for a third of the internal therapists with group time, weekly from the first week.
    workload_report.groups = workload.groups(&mut book, first, 1.0 / 3.0, 12)?;
    let capacity_before = capacity_before(&region, &book, &disruption)?;

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

    write_outputs(args, &replan, &book, &zone)?;

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
    let report = report(
        &disruption,
        workload_report,
        capacity_before,
        &replan,
        plan_seconds,
        applied,
    );
    match format {
        Format::Json => print_json(&report)?,
        Format::Text => print(&text(&report, now.to_zoned(zone)))?,
    }
    Ok(Outcome::Ok)
}

/// `replan --database`: the stored book as of --now (default: the clock), planned, and with
/// --apply committed in one transaction through the store (the journal, the tables, the audit
/// log), or not at all.
fn run_stored(args: &ReplanArgs, url: &str, format: Format) -> anyhow::Result<Outcome> {
    use caretime_engine::book::{Change, Outcome as Decided};
    use caretime_store::live::{Decision, LiveBook};
    use caretime_store::record::{DisruptionRecord, Record, ReplanCounts};
    use caretime_store::{AuditEvent, Store};

    let inputs = [Path::new(&args.disruption)];
    refuse_overwriting(
        [&args.export_dimacs, &args.moves]
            .into_iter()
            .flatten()
            .map(PathBuf::as_path),
        &inputs,
    )?;
    let now = match &args.now {
        Some(text) => parse_instant("--now", text)?,
        None => jiff::Timestamp::now(),
    };
    let disruption_text = load::read(&args.disruption, load::Input::DISRUPTION)?;
    let costs = ReplanCosts {
        candidates: args.candidates as usize,
        max_rounds: args.rounds as usize,
        ..ReplanCosts::STANDARD
    };
    let actor = crate::store::actor();
    crate::store::block_on(async {
        let progress = spinner(format, "loading the stored book");
        let store = Store::open_existing(url).await?;
        let mut live = LiveBook::load(&store, now, &actor).await?;
        let disruption = read_disruption(&args.disruption, &disruption_text, live.region())?;
        let zone = live.rules().time_zone().clone();
        if disruption.last < now.to_zoned(zone.clone()).date() {
            bail!("the disruption ends before --now");
        }
        let workload_report = WorkloadReport {
            model: "stored",
            internal_utilisation: None,
            network_utilisation: None,
            requests: None,
            booked: u32::try_from(live.book().appointment_count()).unwrap_or(u32::MAX),
            unreached: None,
            groups: u32::try_from(live.book().groups().len()).unwrap_or(u32::MAX),
        };
        let capacity_before = capacity_before(live.region(), live.book(), &disruption)?;
        progress.set_message("planning");
        // The plan is made on the caught-up book inside the decision (again, if another process
        // committed in between), and kept here for the report.
        let planned: std::cell::RefCell<Option<(Replan, f64)>> = std::cell::RefCell::new(None);
        let make_plan = |ctx: caretime_store::live::Context<'_>| -> anyhow::Result<Vec<Change>> {
            let started = Instant::now();
            let context = ReplanContext {
                region: ctx.region,
                book: ctx.book,
                rules: ctx.rules,
                costs: &costs,
            };
            let replan = plan(&context, &disruption, now, &mut |_| {})?;
            let changes = replan.changes(ctx.book, now);
            planned.replace(Some((replan, started.elapsed().as_secs_f64())));
            Ok(changes)
        };
        let applied = if args.apply {
            let audit = AuditEvent {
                action: "update",
                entity: "appointment",
                entity_id: Some(format!(
                    "replan of {} clinicians",
                    disruption.clinicians.len()
                )),
                outcome: "ok",
            };
            // The disruption and the plan's counts, written with the changes.
            let disruption_record = DisruptionRecord {
                name: Path::new(&args.disruption)
                    .file_stem()
                    .map_or_else(String::new, |stem| stem.to_string_lossy().into_owned()),
                reason: disruption.reason.slug().to_owned(),
                first: disruption.first,
                last: disruption.last,
                clinicians: disruption.clinicians.clone(),
                file: disruption_text.clone(),
            };
            let record = |_: &[Change]| {
                let summary = planned
                    .borrow()
                    .as_ref()
                    .map(|(replan, _)| replan.summary())
                    .unwrap_or_default();
                Record::Replan {
                    disruption: disruption_record.clone(),
                    counts: ReplanCounts {
                        displaced: summary.displaced,
                        internal: summary.internal,
                        network: summary.network,
                        out_of_network: summary.out_of_network,
                        timely: summary.timely,
                        groups_kept: summary.groups_kept,
                        groups_cancelled: summary.groups_cancelled,
                    },
                }
            };
            let decide = |ctx: caretime_store::live::Context<'_>| {
                let changes = make_plan(ctx)?;
                if format == Format::Text {
                    progress.finish_and_clear();
                    eprintln!("committing {} changes in one transaction", changes.len());
                }
                anyhow::Ok(Decided::Accepted(changes.into_iter().collect()))
            };
            let decision = live
                .decide_recording(now, &actor, audit, decide, record)
                .await?;
            match decision {
                Decision::Committed { changes, .. } => Some(AppliedReport {
                    changes: changes.len(),
                    cancelled: changes
                        .iter()
                        .filter(|c| matches!(c, Change::SetStatus { .. }))
                        .count(),
                    rebooked: changes
                        .iter()
                        .filter(|c| matches!(c, Change::Create(_)))
                        .count(),
                    arrangements: changes
                        .iter()
                        .filter(|c| matches!(c, Change::Arrange(_)))
                        .count(),
                }),
                Decision::Refused(reasons) | Decision::Conflict(reasons) => bail!(
                    "the plan no longer fits the book: {}",
                    reasons
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
            }
        } else {
            make_plan(live.context())?;
            None
        };
        progress.finish_and_clear();
        store.close().await;
        let Some((replan, plan_seconds)) = planned.into_inner() else {
            bail!("no plan was made");
        };
        write_outputs(args, &replan, live.book(), &zone)?;
        let report = report(
            &disruption,
            workload_report,
            capacity_before,
            &replan,
            plan_seconds,
            applied,
        );
        match format {
            Format::Json => print_json(&report)?,
            Format::Text => print(&text(&report, now.to_zoned(zone)))?,
        }
        Ok(Outcome::Ok)
    })
}

/// Writes `--export-dimacs` and `--moves`, if asked.
fn write_outputs(
    args: &ReplanArgs,
    replan: &Replan,
    book: &Book,
    zone: &jiff::tz::TimeZone,
) -> anyhow::Result<()> {
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

    Ok(())
}

fn report(
    disruption: &Disruption,
    workload_report: WorkloadReport,
    capacity_before: CapacityBefore,
    replan: &Replan,
    plan_seconds: f64,
    applied: Option<AppliedReport>,
) -> ReplanReport {
    let summary = replan.summary();
    ReplanReport {
        reason: disruption.reason.slug(),
        first: disruption.first.to_string(),
        last: disruption.last.to_string(),
        clinicians_disrupted: disruption.clinicians.len(),
        workload: workload_report,
        capacity_before,
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
    }
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
        vec!["workload".to_owned(), workload_text(&report.workload)],
        vec![
            "internal before".to_owned(),
            capacity_text(
                &report.capacity_before.internal,
                report.capacity_before.time_of,
            ),
        ],
        vec![
            "network before".to_owned(),
            capacity_text(
                &report.capacity_before.network,
                report.capacity_before.time_of,
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

fn workload_text(workload: &WorkloadReport) -> String {
    match (
        workload.internal_utilisation,
        workload.network_utilisation,
        workload.requests,
    ) {
        (Some(internal), Some(network), _) => format!(
            "steady practice, {:.0} % of internal and {:.0} % of network direct time booked \
             once requested (--utilisation, an assumption): {} appointments, {} weekly groups",
            internal * 100.0,
            network * 100.0,
            workload.booked,
            workload.groups
        ),
        _ if workload.model == "stored" => format!(
            "the stored book: {} appointments, {} groups",
            workload.booked, workload.groups
        ),
        (_, _, requests) => format!(
            "{} random requests ({} booked at their best offers), {} weekly groups",
            requests.unwrap_or(0),
            workload.booked,
            workload.groups
        ),
    }
}

fn capacity_text(capacity: &Capacity, time_of: &str) -> String {
    match capacity.booked_share {
        None => format!("no {time_of} direct time on these dates"),
        Some(share) => format!(
            "{:.1} % of {time_of} direct time booked on these dates ({:.0} of {:.0} h); {:.0} h \
             free with clinicians not disrupted",
            share * 100.0,
            capacity.booked_hours,
            capacity.bookable_hours,
            capacity.free_hours_not_disrupted
        ),
    }
}

/// How full internal and network direct time were on the disruption's dates (each clinician's
/// local days) before it: booked hours against the template's, and the free hours of the
/// clinicians it leaves at work. Only clinicians who could take what it displaces count: the
/// non-physician clinicians when it takes any away, the psychiatrists when it takes one away
/// (psychiatry and therapy never take each other's appointments).
fn capacity_before(
    region: &Region,
    book: &Book,
    disruption: &Disruption,
) -> anyhow::Result<CapacityBefore> {
    // Each clinician's dates as minutes, from the first day's midnight to the one after the last.
    let mut windows = Vec::with_capacity(region.clinicians.len());
    for clinician in &region.clinicians {
        let zone = &region.facilities[clinician.facility.index()].time_zone;
        let midnight = |day: Date| -> anyhow::Result<Minute> {
            Ok(Minute::from_timestamp(
                day.to_zoned(zone.clone())?.timestamp(),
            ))
        };
        windows.push((
            midnight(disruption.first)?,
            midnight(disruption.last.tomorrow()?)?,
        ));
    }
    let overlap = |(from, to): (Minute, Minute), start: Minute, end: Minute| {
        (end.0.min(to.0) - start.0.max(from.0)).max(0)
    };
    let psychiatry =
        |id: ClinicianId| region.clinicians[id.index()].discipline == Discipline::Psychiatrist;
    let counted = [
        disruption.clinicians.iter().any(|&id| !psychiatry(id)),
        disruption.clinicians.iter().any(|&id| psychiatry(id)),
    ];
    // Minutes booked, free, and free with clinicians not disrupted: internal, then network.
    let mut minutes = [[0i64; 3]; 2];
    for clinician in &region.clinicians {
        if !counted[usize::from(psychiatry(clinician.id))] {
            continue;
        }
        let side = usize::from(clinician.affiliation == Affiliation::Network);
        let window = windows[clinician.id.index()];
        let disrupted = disruption.clinicians.binary_search(&clinician.id).is_ok();
        for free in book.availability().free(clinician.id)? {
            if free.kind == FreeKind::Direct {
                let free_minutes = overlap(window, free.start, free.end);
                minutes[side][1] += free_minutes;
                if !disrupted {
                    minutes[side][2] += free_minutes;
                }
            }
        }
    }
    for appointment in book.appointment_briefs() {
        if appointment.time != FreeKind::Direct || !appointment.status.holds_time() {
            continue;
        }
        let clinician = &region.clinicians[appointment.clinician.index()];
        if !counted[usize::from(psychiatry(clinician.id))] {
            continue;
        }
        let side = usize::from(clinician.affiliation == Affiliation::Network);
        let start = Minute::from_timestamp(appointment.start);
        let end = Minute(start.0 + i64::from(appointment.length));
        minutes[side][0] += overlap(windows[clinician.id.index()], start, end);
    }
    let capacity = |[booked, free, free_not_disrupted]: [i64; 3]| {
        let bookable = booked + free;
        Capacity {
            booked_hours: booked as f64 / 60.0,
            bookable_hours: bookable as f64 / 60.0,
            booked_share: (bookable > 0).then(|| booked as f64 / bookable as f64),
            free_hours_not_disrupted: free_not_disrupted as f64 / 60.0,
        }
    };
    Ok(CapacityBefore {
        time_of: match counted {
            [true, true] => "therapy and psychiatry",
            [false, true] => "psychiatry",
            _ => "therapy",
        },
        internal: capacity(minutes[0]),
        network: capacity(minutes[1]),
    })
}
