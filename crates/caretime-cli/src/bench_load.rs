//! `caretime bench load`: a database holding a region and a year of appointments, timed as a
//! process loads it, and the strike replan committed on it in one transaction.
//!
//! A benchmark, not a test. It imports a generated region into a fresh database, books a steady
//! practice over `--days` (`Workload::steady`: every direct slot booked with the chance
//! `--utilisation`, its request made before the slot) on a scratch book, commits those
//! appointments to the store in decisions of `CHUNK` changes, then times what a new process
//! does: open the store and load its book (region, then the journal replayed through the
//! engine); then it writes a snapshot of the journal and times a load again (region, snapshot).
//! `--existing` times the loads of a database filled before. With `--disruption FILE` it then
//! plans the disruption on the loaded book and commits every move in one transaction, timing
//! the plan and the commit apart.

use std::cell::Cell;
use std::time::Instant;

use anyhow::{Context, bail};
use caretime_core::rules::RuleSet;
use caretime_engine::availability::Horizon;
use caretime_engine::book::{Book, BookPolicy, Change, Outcome as Decided};
use caretime_region::generate::generate;
use caretime_replan::disruption_file::read_disruption;
use caretime_replan::{ReplanContext, ReplanCosts, plan};
use caretime_store::live::{Decision, LiveBook};
use caretime_store::{Actor, AuditEvent, Store, StoreError};
use clap::Args;
use jiff::ToSpan;
use jiff::civil::date;
use serde::Serialize;

use crate::output::{Format, print, print_json, progress_bar, spinner, table};
use crate::region::Preset;
use crate::workload::{Utilisation, Workload};
use crate::{Outcome, load};

/// Changes committed per decision while filling the database.
const CHUNK: usize = 50_000;

/// Arguments of `caretime bench load`.
#[derive(Debug, Args)]
pub(crate) struct BenchLoadArgs {
    /// The database: sqlite://FILE or postgres://USER@HOST:PORT/DB; it must hold no region
    /// (unless --existing).
    #[arg(long, value_name = "URL")]
    database: String,
    /// Time the loads of a database `bench load` filled before (no import, no booking); --days
    /// must be the same.
    #[arg(long)]
    existing: bool,
    /// Scale of the generated socal region (1 = full scale: 4.8 million members).
    #[arg(long, default_value_t = 1.0)]
    scale: f64,
    /// Days of appointments, from 2025-12-01.
    #[arg(long, default_value_t = 365, value_parser = clap::value_parser!(u32).range(7..=400))]
    days: u32,
    /// Share of direct time booked, internal and network alike (an assumption, as in replan).
    #[arg(long, default_value_t = 0.85)]
    utilisation: f64,
    /// A disruption to replan and commit on the loaded book (none: the load alone).
    #[arg(long, value_name = "FILE")]
    disruption: Option<String>,
    /// Seed of the region and the workload.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

#[derive(Debug, Serialize)]
struct LoadReport {
    backend: &'static str,
    members: usize,
    clinicians: usize,
    days: u32,
    import_seconds: Option<f64>,
    workload_seconds: Option<f64>,
    appointments: usize,
    fill_seconds: Option<f64>,
    /// A new process without a snapshot: open the store, load the region, replay the journal.
    replay_seconds: f64,
    journal_rows: i64,
    /// `db snapshot`: the journal packed.
    snapshot_seconds: f64,
    snapshot_bytes: i64,
    /// A new process: open the store, load the region and the snapshot (nothing after it).
    load_seconds: f64,
    displaced: Option<usize>,
    plan_seconds: Option<f64>,
    replan_changes: Option<usize>,
    /// The replan's transaction (journal, tables, audit) and the cache's apply.
    commit_seconds: Option<f64>,
    check_problems: Option<usize>,
}

fn actor() -> Actor {
    Actor {
        who: "bench:load".to_owned(),
        source: format!("pid {}", std::process::id()),
    }
}

fn audit() -> AuditEvent {
    AuditEvent {
        action: "create",
        entity: "appointment",
        entity_id: None,
        outcome: "ok",
    }
}

pub(crate) fn run(args: &BenchLoadArgs, format: Format) -> anyhow::Result<Outcome> {
    let (rules, rules_text) = load::rule_set_with_text("ca-dmhc")?;
    let zone = rules.time_zone().clone();
    let disruption_text = args
        .disruption
        .as_deref()
        .map(|path| load::read(path, load::Input::DISRUPTION))
        .transpose()?;
    let first = date(2025, 12, 1);
    let last = first.checked_add(i64::from(args.days - 1).days())?;
    let end = last.tomorrow()?.to_zoned(zone.clone())?.timestamp();

    crate::store::block_on(async {
        let filled = if args.existing {
            None
        } else {
            Some(
                fill(
                    args,
                    format,
                    (&rules, &rules_text),
                    Horizon { first, last },
                    end,
                )
                .await?,
            )
        };
        let (import_seconds, workload_seconds, fill_seconds) = match filled {
            Some(filled) => (
                Some(filled.import_seconds),
                Some(filled.workload_seconds),
                Some(filled.fill_seconds),
            ),
            None => (None, None, None),
        };

        // What a new process does, without a snapshot and then with one.
        let progress = spinner(format, "loading the book as a new process would");
        let started = Instant::now();
        let store = Store::open_existing(&args.database).await?;
        let live = LiveBook::replay(&store, end, &actor()).await?;
        let replay_seconds = started.elapsed().as_secs_f64();
        progress.finish_and_clear();
        let journal_rows = live.seen();
        let appointments = live.book().appointment_count();
        drop(live);
        let bar = progress_bar(format, 0, "writing a snapshot");
        let started = Instant::now();
        let snapshot = store
            .write_snapshot(&actor(), end, |done, head| {
                bar.set_length(head as u64);
                bar.set_position(done as u64);
            })
            .await?;
        let snapshot_seconds = started.elapsed().as_secs_f64();
        bar.finish_and_clear();
        let snapshot_bytes = snapshot.map_or(0, |info| info.bytes);
        store.close().await;
        let progress = spinner(format, "loading the book from the snapshot");
        let started = Instant::now();
        let store = Store::open_existing(&args.database).await?;
        let mut live = LiveBook::load(&store, end, &actor()).await?;
        let load_seconds = started.elapsed().as_secs_f64();
        progress.finish_and_clear();
        if live.seen() != journal_rows {
            bail!(
                "the snapshot's load reached journal row {}, the replay {journal_rows}",
                live.seen()
            );
        }

        // Each figure as soon as it is measured (a full-scale replan can take a while).
        eprintln!(
            "{appointments} appointments over {} days ({journal_rows} journal rows): a new process \
             loads the book in {replay_seconds:.1} s replaying the journal, in \
             {load_seconds:.1} s from a snapshot ({:.1} MB, written in {snapshot_seconds:.1} s)",
            args.days,
            snapshot_bytes as f64 / 1e6,
        );

        let (displaced, plan_seconds, replan_changes, commit_seconds) =
            match (&args.disruption, &disruption_text) {
                (Some(path), Some(text)) => {
                    let disruption = read_disruption(path, text, live.region())?;
                    let replan_now = disruption
                        .first
                        .yesterday()?
                        .at(17, 0, 0, 0)
                        .to_zoned(zone.clone())?
                        .timestamp();
                    let costs = ReplanCosts::STANDARD;
                    let progress = spinner(format, "planning and committing the disruption");
                    let plan_seconds = Cell::new(0.0);
                    let displaced = Cell::new(0);
                    let started = Instant::now();
                    let decision = live
                        .decide(replan_now, &actor(), audit(), |ctx| {
                            let planning = Instant::now();
                            let context = ReplanContext {
                                region: ctx.region,
                                book: ctx.book,
                                rules: ctx.rules,
                                costs: &costs,
                            };
                            let replan = plan(&context, &disruption, replan_now, &mut |_| {})?;
                            displaced.set(replan.moves.len());
                            let changes = replan.changes(ctx.book, replan_now);
                            plan_seconds.set(planning.elapsed().as_secs_f64());
                            anyhow::Ok(Decided::Accepted(changes.into_iter().collect()))
                        })
                        .await?;
                    let total = started.elapsed().as_secs_f64();
                    progress.finish_and_clear();
                    let Decision::Committed { changes, .. } = decision else {
                        bail!("the replan was refused: {decision:?}");
                    };
                    (
                        Some(displaced.get()),
                        Some(plan_seconds.get()),
                        Some(changes.len()),
                        Some(total - plan_seconds.get()),
                    )
                }
                _ => (None, None, None, None),
            };
        let check_problems = if appointments <= 200_000 {
            Some(store.check(&actor(), end).await?.len())
        } else {
            None
        };
        store.close().await;
        let report = LoadReport {
            backend: store.backend().name(),
            members: live.region().members.len(),
            clinicians: live.region().clinicians.len(),
            days: args.days,
            import_seconds,
            workload_seconds,
            appointments,
            fill_seconds,
            replay_seconds,
            journal_rows,
            snapshot_seconds,
            snapshot_bytes,
            load_seconds,
            displaced,
            plan_seconds,
            replan_changes,
            commit_seconds,
            check_problems,
        };
        match format {
            Format::Json => print_json(&report)?,
            Format::Text => print(&text(&report))?,
        }
        Ok(Outcome::Ok)
    })
    .context("bench load")
}

/// What filling a fresh database took.
struct Filled {
    import_seconds: f64,
    workload_seconds: f64,
    fill_seconds: f64,
}

/// Imports a generated region into the fresh database and commits a steady book over
/// `--days` to it.
async fn fill(
    args: &BenchLoadArgs,
    format: Format,
    (rules, rules_text): (&RuleSet, &str),
    days: Horizon,
    end: jiff::Timestamp,
) -> anyhow::Result<Filled> {
    let Horizon { first, last } = days;
    let first_instant = first.to_zoned(rules.time_zone().clone())?.timestamp();
    let params = Preset::Socal.params(args.scale, args.seed)?;
    let progress = spinner(format, "generating the region");
    let region = generate(&params)?;
    progress.finish_and_clear();

    let progress = progress_bar(
        format,
        region.clinicians.len() as u64,
        "booking a steady year",
    );
    let started = Instant::now();
    let mut scratch = Book::new(&region, Horizon { first, last }, &[], BookPolicy::STANDARD)?;
    let weeks = (i64::from(args.days) + 6) / 7;
    let mut workload = Workload::new(&region, args.seed, first_instant, weeks)?;
    let utilisation = Utilisation {
        internal: args.utilisation,
        network: args.utilisation,
    };
    workload.steady(&mut scratch, rules, utilisation, end, 0, &mut |done| {
        progress.set_position(u64::from(done))
    })?;
    progress.finish_and_clear();
    let changes: Vec<Change> = (0..scratch.appointment_count())
        .filter_map(|id| scratch.appointment(caretime_core::id::AppointmentId(id as u32)))
        .map(|appointment| Change::Create(Box::new(appointment)))
        .collect();
    drop(scratch);
    let workload_seconds = started.elapsed().as_secs_f64();

    let store = Store::open(&args.database).await?;
    let bar = progress_bar(format, 0, "importing the region");
    let started = Instant::now();
    let tick = |done: usize, total: usize| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    };
    match store
        .import_region(&region, rules_text, first, &actor(), first_instant, &tick)
        .await
    {
        Ok(_) => {}
        Err(StoreError::AlreadyImported) => {
            bail!(
                "{} holds a region already: bench load needs a fresh database (or --existing)",
                store.url()
            )
        }
        Err(error) => return Err(error.into()),
    }
    bar.finish_and_clear();
    let import_seconds = started.elapsed().as_secs_f64();

    let bar = progress_bar(format, changes.len() as u64, "committing appointments");
    let started = Instant::now();
    let mut live = LiveBook::load(&store, end, &actor()).await?;
    for chunk in changes.chunks(CHUNK) {
        let decision = live
            .decide(end, &actor(), audit(), |_| {
                anyhow::Ok(Decided::Accepted(chunk.iter().cloned().collect()))
            })
            .await?;
        if !matches!(decision, Decision::Committed { .. }) {
            bail!("a chunk of the steady book was refused: {decision:?}");
        }
        bar.inc(chunk.len() as u64);
    }
    bar.finish_and_clear();
    let fill_seconds = started.elapsed().as_secs_f64();
    drop(live);
    store.close().await;
    Ok(Filled {
        import_seconds,
        workload_seconds,
        fill_seconds,
    })
}

fn text(report: &LoadReport) -> String {
    let rows = vec![
        vec![
            "database".to_owned(),
            format!(
                "{}: {} members, {} clinicians",
                report.backend, report.members, report.clinicians
            ),
        ],
        vec![
            "import".to_owned(),
            report
                .import_seconds
                .map_or("done before (--existing)".to_owned(), |s| {
                    format!("{s:.1} s")
                }),
        ],
        vec![
            "steady book".to_owned(),
            match (report.workload_seconds, report.fill_seconds) {
                (Some(made), Some(committed)) => format!(
                    "{} appointments over {} days, made in {made:.1} s, committed in \
                     {committed:.1} s",
                    report.appointments, report.days
                ),
                _ => format!(
                    "{} appointments, committed before (--existing)",
                    report.appointments
                ),
            },
        ],
        vec![
            "load, journal".to_owned(),
            format!(
                "{:.1} s for a new process (region, then {} journal rows replayed)",
                report.replay_seconds, report.journal_rows
            ),
        ],
        vec![
            "snapshot".to_owned(),
            format!(
                "{:.1} MB written in {:.1} s",
                report.snapshot_bytes as f64 / 1e6,
                report.snapshot_seconds
            ),
        ],
        vec![
            "load, snapshot".to_owned(),
            format!(
                "{:.1} s for a new process (region, then the snapshot)",
                report.load_seconds
            ),
        ],
        vec![
            "replan".to_owned(),
            match (
                report.displaced,
                report.plan_seconds,
                report.replan_changes,
                report.commit_seconds,
            ) {
                (Some(displaced), Some(plan), Some(changes), Some(commit)) => format!(
                    "{displaced} displaced; planned in {plan:.1} s; {changes} changes committed \
                     in one transaction in {commit:.1} s"
                ),
                _ => "none (--disruption FILE to replan one)".to_owned(),
            },
        ],
        vec![
            "db check".to_owned(),
            report
                .check_problems
                .map_or("not run (over 200,000 appointments)".to_owned(), |n| {
                    format!("{n} problems")
                }),
        ],
    ];
    table(&rows)
}
