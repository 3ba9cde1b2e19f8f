//! `caretime bench store`: bookings committed a second against a database by concurrent
//! clients of one or more servers (each its own connections and cached book, committing its
//! clients' queued decisions together); with `--pgbench`, PostgreSQL's own benchmark on the
//! same server, for scale.
//!
//! A benchmark, not a test. It imports a generated region into a fresh database (or, with
//! `--reuse`, books into the region a database holds), draws every request up front from the
//! seed (`Workload`: members over the whole region, request times over the book's first two
//! weeks), deals them to the clients in turn, and times each decision as `caretime book` makes
//! it: `book_decision` through a server's `SharedBook` (queue, catch up, find, decide, commit). The requests
//! are the same for a seed whatever the number of clients; which of them are booked depends on
//! how the clients interleave, and the times on the machine.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use anyhow::{Context, bail};
use caretime_core::region::Region;
use caretime_core::request::Request;
use caretime_core::rules::RuleSet;
use caretime_engine::book::Take;
use caretime_region::generate::{RegionParams, generate};
use caretime_store::live::{BoxError, Decision, LiveBook};
use caretime_store::shared::{SharedBook, SharedError};
use caretime_store::{Actor, AuditEvent, Store, StoreError};
use clap::Args;
use indicatif::ProgressBar;
use jiff::Timestamp;
use jiff::civil::{Date, date};
use serde::Serialize;

use crate::output::{Format, print, print_json, progress_bar, spinner, table};
use crate::region::Preset;
use crate::store::{NoFreeTime, book_decision};
use crate::workload::Workload;
use crate::{Outcome, load};

/// Arguments of `caretime bench store`.
#[derive(Debug, Args)]
#[command(
    after_help = "Each server opens its own connections and loads its own book (a `caretime` \
process); its clients book their share of the requests through the same decision as `caretime \
book`. A server queues its clients' decisions and commits every decision waiting in one \
transaction: the write lock, the catch-up on the journal and the fsync are paid once a batch. \
A decision's latency is the wait in the queue, the find and decide, and the commit; `engine` is \
the find and decide alone. With --pgbench (a postgres:// database), pgbench -i -s 8, then \
pgbench -b simple-update -c CLIENTS -j 2 -T 20, runs on a scratch database of the same server \
(created and dropped), and its transactions a second are printed beside the bookings a second."
)]
pub(crate) struct BenchStoreArgs {
    /// The database: sqlite://FILE or postgres://USER@HOST:PORT/DB. It must hold no region
    /// (see --reuse) [default: a new SQLite file in a temporary directory, removed after].
    #[arg(long, value_name = "URL")]
    database: Option<String>,
    /// Concurrent clients, 1 to 64, each waiting for its booking before it asks the next.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=64))]
    clients: u32,
    /// Servers the clients are dealt to, 1 to --clients: each its own connections and cached
    /// book, committing its clients' queued decisions together (group commit). --servers equal
    /// to --clients gives each client a server of its own.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=64))]
    servers: u32,
    /// Booking requests, dealt to the clients in turn, 1 to 1,000,000.
    #[arg(long, default_value_t = 5_000, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    bookings: u32,
    /// Scale of the generated socal region (1 = full scale); ignored with --reuse on a
    /// database that holds a region.
    #[arg(long, default_value_t = 0.05)]
    scale: f64,
    /// Random seed for the region and the requests.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Book into the region the database holds (its bookings stay) instead of refusing it.
    #[arg(long)]
    reuse: bool,
    /// Also run pgbench on a scratch database of the same PostgreSQL server, and print the
    /// ratio.
    #[arg(long)]
    pgbench: bool,
}

/// The book's first date in a fresh database (a Monday), as `bench find` uses.
pub(crate) fn first_date() -> Date {
    date(2025, 12, 1)
}

/// Requests are made over this many weeks from the book's first date.
const REQUEST_WEEKS: i64 = 2;

/// pgbench's scale (`-i -s`): 800,000 accounts.
const PGBENCH_SCALE: u32 = 8;
/// pgbench's worker threads (`-j`): this machine's cores.
const PGBENCH_THREADS: u32 = 2;
/// How long pgbench runs (`-T`), in seconds.
const PGBENCH_SECONDS: u32 = 20;

/// Latencies in milliseconds.
#[derive(Debug, Serialize)]
pub(crate) struct Millis {
    pub(crate) p50_ms: f64,
    pub(crate) p90_ms: f64,
    pub(crate) p99_ms: f64,
    pub(crate) max_ms: f64,
    pub(crate) mean_ms: f64,
}

impl Millis {
    /// The quantiles of `micros` (none: `None`).
    pub(crate) fn of(mut micros: Vec<f64>) -> Option<Millis> {
        if micros.is_empty() {
            return None;
        }
        micros.sort_by(f64::total_cmp);
        let quantile = |q: f64| micros[((micros.len() - 1) as f64 * q).round() as usize] / 1e3;
        Some(Millis {
            p50_ms: quantile(0.5),
            p90_ms: quantile(0.9),
            p99_ms: quantile(0.99),
            max_ms: quantile(1.0),
            mean_ms: micros.iter().sum::<f64>() / micros.len() as f64 / 1e3,
        })
    }
}

/// pgbench's simple-update beside caretime's bookings, on the same server.
#[derive(Debug, Serialize)]
pub(crate) struct PgbenchReport {
    scale: u32,
    clients: u32,
    threads: u32,
    seconds: u32,
    tps: f64,
    /// caretime's bookings a second over pgbench's transactions a second.
    ratio: f64,
}

impl PgbenchReport {
    /// Runs pgbench with `clients` clients on a scratch database of `url`'s server and sets its
    /// transactions a second beside `bookings_per_second`.
    pub(crate) fn beside(
        tools: &PgTools,
        url: &str,
        clients: u32,
        bookings_per_second: f64,
        format: Format,
    ) -> anyhow::Result<PgbenchReport> {
        let tps = tools.run(url, clients, format)?;
        Ok(PgbenchReport {
            scale: PGBENCH_SCALE,
            clients,
            threads: PGBENCH_THREADS,
            seconds: PGBENCH_SECONDS,
            tps,
            ratio: bookings_per_second / tps,
        })
    }

    /// pgbench's transactions a second.
    pub(crate) fn tps(&self) -> f64 {
        self.tps
    }

    /// One line for a table: pgbench's figure and the ratio.
    pub(crate) fn line(&self) -> String {
        format!(
            "{:.0} transactions a second (simple-update, scale {}, {} clients, {} threads, {} s); \
             caretime is {:.2}x",
            self.tps, self.scale, self.clients, self.threads, self.seconds, self.ratio
        )
    }
}

#[derive(Debug, Serialize)]
struct StoreReport {
    backend: &'static str,
    database: String,
    /// Whether the database's own region was booked into (`--reuse`).
    reused: bool,
    scale: Option<f64>,
    seed: u64,
    members: usize,
    clinicians: usize,
    import_seconds: Option<f64>,
    /// The slowest client's load of its book (region and journal).
    load_seconds: f64,
    clients: u32,
    servers: u32,
    requests: u32,
    committed: u32,
    refused: u32,
    conflicts: u32,
    /// Requests for which the book had no time at all.
    no_time: u32,
    /// From the first client's start to the last one's end.
    seconds: f64,
    bookings_per_second: f64,
    /// Catch-up, find, decide and commit.
    decision: Option<Millis>,
    /// Find and decide alone (in memory), included in `decision`.
    engine: Option<Millis>,
    /// What `db check` finds afterwards (none: no double booking, the journal whole).
    check_problems: usize,
    pgbench: Option<PgbenchReport>,
}

/// What one client did.
#[derive(Debug)]
struct ClientRun {
    load_seconds: f64,
    began: Instant,
    ended: Instant,
    committed: u32,
    refused: u32,
    conflicts: u32,
    no_time: u32,
    decision_micros: Vec<f64>,
    engine_micros: Vec<f64>,
}

pub(crate) fn run(args: &BenchStoreArgs, format: Format) -> anyhow::Result<Outcome> {
    let tools = pg_tools(args.pgbench, args.database.as_deref())?;
    on_database(args.database.as_deref(), "store", |url| {
        bench(args, url, tools.as_ref(), format)
    })
}

/// PostgreSQL's client programs when `--pgbench` asks for them; an error at once (before the
/// long run) when `database` is not PostgreSQL or pgbench is missing.
pub(crate) fn pg_tools(pgbench: bool, database: Option<&str>) -> anyhow::Result<Option<PgTools>> {
    let postgres =
        database.is_some_and(|url| url.starts_with("postgres:") || url.starts_with("postgresql:"));
    match (pgbench, postgres) {
        (false, _) => Ok(None),
        (true, false) => bail!(
            "--pgbench needs a PostgreSQL --database (postgres://USER@HOST:PORT/DB): pgbench \
             runs on the same server"
        ),
        (true, true) => Ok(Some(PgTools::find()?)),
    }
}

/// Runs `bench` on `database`, or on a new SQLite file in a temporary directory (removed after)
/// when none is given; `command` names the directory (`caretime-bench-COMMAND-PID`).
pub(crate) fn on_database<T>(
    database: Option<&str>,
    command: &str,
    bench: impl FnOnce(&str) -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    match database {
        Some(url) => bench(url),
        None => {
            let dir = std::env::temp_dir()
                .join(format!("caretime-bench-{command}-{}", std::process::id()));
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            let url = format!("sqlite://{}", dir.join("book.db").display());
            let result = bench(&url);
            // A scratch file of the benchmark's own: nothing to keep.
            let _ = std::fs::remove_dir_all(&dir);
            result
        }
    }
}

/// The region booked into: generated and imported, or the database's own.
pub(crate) struct Setup {
    pub(crate) region: Region,
    /// The book's first instant.
    pub(crate) first: Timestamp,
    /// `None`: the database's own region (`--reuse`).
    pub(crate) import_seconds: Option<f64>,
}

/// Generates the socal region of `params` and imports it into `store`, which must hold none
/// (`command` names the benchmark in the refusal), with a progress bar.
pub(crate) async fn import(
    store: &Store,
    params: &RegionParams,
    (rules, rules_text): (&RuleSet, &str),
    command: &str,
    format: Format,
) -> anyhow::Result<Setup> {
    let progress = spinner(format, "generating region");
    let region = generate(params)?;
    progress.finish_and_clear();
    let first = midnight(first_date(), rules.time_zone())?;
    let bar = progress_bar(format, 0, "importing rows");
    let tick = |done: usize, total: usize| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    };
    let started = Instant::now();
    let imported = store
        .import_region(
            &region,
            rules_text,
            first_date(),
            &bench_actor("setup"),
            first,
            &tick,
        )
        .await;
    bar.finish_and_clear();
    match imported {
        Ok(_) => {}
        Err(StoreError::AlreadyImported) => bail!(
            "{} holds a region already: bench {command} needs a fresh database (or --reuse to \
             book into the region it holds)",
            store.url()
        ),
        Err(error) => return Err(error.into()),
    }
    Ok(Setup {
        region,
        first,
        import_seconds: Some(started.elapsed().as_secs_f64()),
    })
}

fn bench(
    args: &BenchStoreArgs,
    url: &str,
    tools: Option<&PgTools>,
    format: Format,
) -> anyhow::Result<Outcome> {
    let params = Preset::Socal.params(args.scale, args.seed)?;
    let (rules, rules_text) = load::rule_set_with_text("ca-dmhc")?;
    let runtime = current_thread()?;
    let actor = bench_actor("setup");
    let (store, setup) = runtime.block_on(async {
        let store = Store::open(url).await?;
        if args.reuse {
            match store.load_region(&actor, Timestamp::now()).await {
                Ok(stored) => {
                    let first = midnight(stored.first, stored.rules.time_zone())?;
                    let setup = Setup {
                        region: stored.region,
                        first,
                        import_seconds: None,
                    };
                    return anyhow::Ok((store, setup));
                }
                Err(StoreError::Empty) => {}
                Err(error) => return Err(error.into()),
            }
        }
        let setup = import(&store, &params, (&rules, &rules_text), "store", format).await?;
        Ok((store, setup))
    })?;

    let mut workload = Workload::new(&setup.region, args.seed, setup.first, REQUEST_WEEKS)?;
    let requests: Vec<(Request, Timestamp)> = (0..args.bookings)
        .map(|idx| workload.request(idx))
        .collect();
    let servers = args.servers.min(args.clients);
    let runs = run_clients(url, args.clients, servers, &requests, setup.first, format)?;

    let progress = spinner(format, "checking the database");
    let problems = runtime.block_on(async {
        let problems = store.check(&bench_actor("check"), setup.first).await;
        store.close().await;
        problems
    })?;
    progress.finish_and_clear();

    let began = runs.iter().map(|run| run.began).min().context("a client")?;
    let ended = runs.iter().map(|run| run.ended).max().context("a client")?;
    let seconds = ended.duration_since(began).as_secs_f64();
    let sum = |count: fn(&ClientRun) -> u32| runs.iter().map(count).sum::<u32>();
    let committed = sum(|run| run.committed);
    let bookings_per_second = committed as f64 / seconds;
    let pgbench = tools
        .map(|tools| PgbenchReport::beside(tools, url, args.clients, bookings_per_second, format))
        .transpose()?;
    let report = StoreReport {
        backend: store.backend().name(),
        database: store.url().to_owned(),
        reused: setup.import_seconds.is_none(),
        scale: setup.import_seconds.map(|_| args.scale),
        seed: args.seed,
        members: setup.region.members.len(),
        clinicians: setup.region.clinicians.len(),
        import_seconds: setup.import_seconds,
        load_seconds: runs.iter().map(|run| run.load_seconds).fold(0.0, f64::max),
        clients: args.clients,
        servers,
        requests: args.bookings,
        committed,
        refused: sum(|run| run.refused),
        conflicts: sum(|run| run.conflicts),
        no_time: sum(|run| run.no_time),
        seconds,
        bookings_per_second,
        decision: Millis::of(
            runs.iter()
                .flat_map(|run| run.decision_micros.iter().copied())
                .collect(),
        ),
        engine: Millis::of(
            runs.iter()
                .flat_map(|run| run.engine_micros.iter().copied())
                .collect(),
        ),
        check_problems: problems.len(),
        pgbench,
    };
    match format {
        Format::Json => print_json(&report)?,
        Format::Text => print(&text(&report))?,
    }
    Ok(if problems.is_empty() {
        Outcome::Ok
    } else {
        Outcome::Violations
    })
}

pub(crate) fn current_thread() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// The start of `date` in `zone`.
pub(crate) fn midnight(date: Date, zone: &jiff::tz::TimeZone) -> anyhow::Result<Timestamp> {
    Ok(date
        .to_zoned(zone.clone())
        .context("the book's first date in range")?
        .timestamp())
}

/// The benchmark's actor in the audit log.
pub(crate) fn bench_actor(who: &str) -> Actor {
    Actor {
        who: format!("bench:{who}"),
        source: format!("pid {}", std::process::id()),
    }
}

/// Runs the servers, each loading its own store and book, then the clients, dealt to them in
/// turn, all together once every book is loaded; each client books its requests one after the
/// other through its server's shared book.
fn run_clients(
    url: &str,
    clients: u32,
    servers: u32,
    requests: &[(Request, Timestamp)],
    load_at: Timestamp,
    format: Format,
) -> anyhow::Result<Vec<ClientRun>> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let loading = spinner(format, "loading each server's book");
    let bar = progress_bar(format, requests.len() as u64, "booking");
    runtime.block_on(async {
        let mut books = Vec::new();
        let mut stores = Vec::new();
        let mut load_seconds = Vec::new();
        for server in 0..servers {
            let began = Instant::now();
            let store = Store::open(url).await?;
            let live = LiveBook::load(&store, load_at, &bench_actor(&format!("server-{server}")))
                .await
                .with_context(|| format!("server {server}"))?;
            load_seconds.push(began.elapsed().as_secs_f64());
            books.push(SharedBook::start(live));
            stores.push(store);
        }
        loading.finish_and_clear();
        let mut tasks = Vec::new();
        for index in 0..clients {
            let shared = books[(index % servers) as usize].clone();
            let mine: Vec<(Request, Timestamp)> = requests
                .iter()
                .skip(index as usize)
                .step_by(clients as usize)
                .cloned()
                .collect();
            let bar = bar.clone();
            let load = load_seconds[(index % servers) as usize];
            tasks.push(tokio::spawn(client(shared, index, mine, load, bar)));
        }
        let mut runs = Vec::new();
        for task in tasks {
            runs.push(task.await.context("a client task")??);
        }
        for store in stores {
            store.close().await;
        }
        bar.finish_and_clear();
        Ok(runs)
    })
}

async fn client(
    shared: SharedBook,
    index: u32,
    requests: Vec<(Request, Timestamp)>,
    load_seconds: f64,
    bar: ProgressBar,
) -> anyhow::Result<ClientRun> {
    let actor = bench_actor(&format!("client-{index}"));
    let audit = AuditEvent {
        action: "create",
        entity: "appointment",
        entity_id: None,
        outcome: "ok",
    };
    let mut run = ClientRun {
        load_seconds,
        began: Instant::now(),
        ended: Instant::now(),
        committed: 0,
        refused: 0,
        conflicts: 0,
        no_time: 0,
        decision_micros: Vec::new(),
        engine_micros: Vec::new(),
    };
    for (request, now) in requests {
        let engine = Arc::new(AtomicU64::new(0));
        let timer = Arc::clone(&engine);
        let started = Instant::now();
        let decided = shared
            .decide(now, actor.clone(), audit.clone(), move |ctx| {
                let timed = Instant::now();
                let request = Request {
                    id: ctx.next_request,
                    ..request
                };
                let outcome = book_decision(ctx, &request, None, Take::Book, now);
                timer.store(timed.elapsed().as_nanos() as u64, Ordering::Relaxed);
                outcome.map_err(|error| -> BoxError {
                    if error.downcast_ref::<NoFreeTime>().is_some() {
                        Box::new(NoFreeTime)
                    } else {
                        error.into()
                    }
                })
            })
            .await;
        run.decision_micros
            .push(started.elapsed().as_secs_f64() * 1e6);
        run.engine_micros
            .push(engine.load(Ordering::Relaxed) as f64 / 1e3);
        match decided {
            Ok(Decision::Committed { .. }) => run.committed += 1,
            Ok(Decision::Refused(_)) => run.refused += 1,
            Ok(Decision::Conflict(_)) => run.conflicts += 1,
            Err(SharedError::Decide(error)) if error.downcast_ref::<NoFreeTime>().is_some() => {
                run.no_time += 1;
            }
            Err(error) => return Err(anyhow::Error::new(error).context(format!("client {index}"))),
        }
        bar.inc(1);
    }
    run.ended = Instant::now();
    Ok(run)
}

/// The report's line about the region: generated at a scale and imported, or the database's.
pub(crate) fn region_line(
    scale: Option<f64>,
    seed: u64,
    members: usize,
    clinicians: usize,
    import_seconds: Option<f64>,
) -> String {
    match scale {
        Some(scale) => format!(
            "socal x{scale} seed {seed}: {members} members, {clinicians} clinicians, imported in \
             {:.1} s",
            import_seconds.unwrap_or(0.0)
        ),
        None => format!("the database's own: {members} members, {clinicians} clinicians"),
    }
}

fn text(report: &StoreReport) -> String {
    let region = region_line(
        report.scale,
        report.seed,
        report.members,
        report.clinicians,
        report.import_seconds,
    );
    let latency = |millis: &Option<Millis>| match millis {
        Some(m) => format!(
            "p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms, mean {:.2} ms",
            m.p50_ms, m.p99_ms, m.max_ms, m.mean_ms
        ),
        None => "none".to_owned(),
    };
    let mut rows = vec![
        vec![
            "database".to_owned(),
            format!("{} ({})", report.database, report.backend),
        ],
        vec!["region".to_owned(), region],
        vec![
            "clients".to_owned(),
            format!(
                "{} of {} server(s), each server's book loaded in at most {:.1} s",
                report.clients, report.servers, report.load_seconds
            ),
        ],
        vec![
            "requests".to_owned(),
            format!(
                "{}: {} booked, {} refused, {} conflicts, {} without time",
                report.requests, report.committed, report.refused, report.conflicts, report.no_time
            ),
        ],
        vec![
            "throughput".to_owned(),
            format!(
                "{:.0} bookings a second ({:.2} s)",
                report.bookings_per_second, report.seconds
            ),
        ],
        vec!["decision".to_owned(), latency(&report.decision)],
        vec![
            "of which engine".to_owned(),
            latency(&report.engine) + " (find + decide)",
        ],
        vec![
            "db check".to_owned(),
            match report.check_problems {
                0 => "no problems".to_owned(),
                n => format!("{n} problems: run `caretime db check`"),
            },
        ],
    ];
    if let Some(pgbench) = &report.pgbench {
        rows.push(vec!["pgbench".to_owned(), pgbench.line()]);
    }
    table(&rows)
}

/// PostgreSQL's client programs the comparison runs: pgbench, and psql to create and drop its
/// scratch database.
#[derive(Debug)]
pub(crate) struct PgTools {
    pgbench: PathBuf,
    psql: PathBuf,
}

impl PgTools {
    /// pgbench and psql on the PATH, else in the newest /usr/lib/postgresql/VERSION/bin (where
    /// Debian installs them); psql beside pgbench first.
    fn find() -> anyhow::Result<PgTools> {
        let pgbench = find_program("pgbench").context(
            "pgbench is not on the PATH nor in /usr/lib/postgresql/*/bin: install PostgreSQL's \
             client programs (Debian: postgresql-client), or leave out --pgbench",
        )?;
        let beside = pgbench.with_file_name("psql");
        let psql = if beside.is_file() {
            beside
        } else {
            find_program("psql").context(
                "psql is not beside pgbench, on the PATH nor in /usr/lib/postgresql/*/bin: \
                 install PostgreSQL's client programs, or leave out --pgbench",
            )?
        };
        Ok(PgTools { pgbench, psql })
    }

    /// Runs pgbench on a scratch database of `url`'s server (created, then dropped whatever
    /// happens) and returns its transactions a second.
    fn run(&self, url: &str, clients: u32, format: Format) -> anyhow::Result<f64> {
        let server = PgUrl::parse(url)?;
        let scratch = format!("caretime_pgbench_{}", std::process::id());
        let progress = spinner(format, "pgbench: creating its scratch database");
        self.psql(&server, &format!("CREATE DATABASE \"{scratch}\""))?;
        let scratch_url = server.with_database(&scratch);
        let result = (|| {
            progress.set_message("pgbench: initializing (scale 8)");
            let scale = PGBENCH_SCALE.to_string();
            run_program(
                &self.pgbench,
                &["-i", "-q", "-s", &scale, &scratch_url.url],
                &scratch_url,
            )?;
            progress.set_message("pgbench: simple-update for 20 s");
            let (clients, threads, seconds) = (
                clients.to_string(),
                PGBENCH_THREADS.to_string(),
                PGBENCH_SECONDS.to_string(),
            );
            let output = run_program(
                &self.pgbench,
                &[
                    "-b",
                    "simple-update",
                    "-c",
                    &clients,
                    "-j",
                    &threads,
                    "-T",
                    &seconds,
                    &scratch_url.url,
                ],
                &scratch_url,
            )?;
            parse_tps(&output).context("pgbench printed no `tps = ` line")
        })();
        progress.set_message("pgbench: dropping its scratch database");
        let dropped = self.psql(
            &server,
            &format!("DROP DATABASE IF EXISTS \"{scratch}\" WITH (FORCE)"),
        );
        progress.finish_and_clear();
        let tps = result?;
        dropped.with_context(|| format!("drop the database {scratch} by hand"))?;
        Ok(tps)
    }

    fn psql(&self, server: &PgUrl, sql: &str) -> anyhow::Result<String> {
        run_program(
            &self.psql,
            &[
                "-X",
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                "-d",
                &server.url,
                "-c",
                sql,
            ],
            server,
        )
    }
}

/// `name` on the PATH, else in the newest /usr/lib/postgresql/VERSION/bin.
fn find_program(name: &str) -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|file| file.is_file())
    });
    on_path.or_else(|| {
        let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .filter_map(|entry| {
                let entry = entry.ok()?;
                let version = entry.file_name().to_str()?.parse().ok()?;
                Some((version, entry.path().join("bin").join(name)))
            })
            .filter(|(_, file)| file.is_file())
            .collect();
        versions.sort();
        versions.pop().map(|(_, file)| file)
    })
}

/// Runs a PostgreSQL client program, its password (if any) in `PGPASSWORD` rather than on its
/// command line; returns its standard output, or an error with the last line it wrote to
/// standard error.
fn run_program(program: &Path, args: &[&str], server: &PgUrl) -> anyhow::Result<String> {
    let mut command = Command::new(program);
    command.args(args);
    if let Some(password) = &server.password {
        command.env("PGPASSWORD", password);
    }
    let output = command
        .output()
        .with_context(|| format!("cannot run {}", program.display()))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let last = stderr.lines().rev().find(|line| !line.trim().is_empty());
        bail!(
            "{} failed ({}): {}",
            program.display(),
            output.status,
            last.unwrap_or("no message")
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// The transactions a second in pgbench's report (`tps = 1234.5 (without initial connection
/// time)`).
fn parse_tps(output: &str) -> Option<f64> {
    output.lines().find_map(|line| {
        let rest = line.trim().strip_prefix("tps = ")?;
        rest.split_whitespace().next()?.parse().ok()
    })
}

/// A PostgreSQL URL split for the client programs: the URL without its password, and the
/// password apart (percent-decoded).
#[derive(Debug, PartialEq, Eq)]
struct PgUrl {
    url: String,
    password: Option<String>,
}

impl PgUrl {
    fn parse(url: &str) -> anyhow::Result<PgUrl> {
        let (scheme, rest) = url
            .split_once("://")
            .context("--database is not a postgres://USER@HOST:PORT/DB URL")?;
        let (authority_end, _) = rest
            .char_indices()
            .find(|&(_, c)| c == '/' || c == '?')
            .unwrap_or((rest.len(), ' '));
        let (authority, tail) = rest.split_at(authority_end);
        let (url, password) = match authority.rsplit_once('@') {
            Some((userinfo, host)) => match userinfo.split_once(':') {
                Some((user, password)) => (
                    format!("{scheme}://{user}@{host}{tail}"),
                    Some(percent_decode(password)),
                ),
                None => (url.to_owned(), None),
            },
            None => (url.to_owned(), None),
        };
        Ok(PgUrl { url, password })
    }

    /// The same server and parameters, another database.
    fn with_database(&self, database: &str) -> PgUrl {
        let (base, params) = match self.url.split_once('?') {
            Some((base, params)) => (base, Some(params)),
            None => (self.url.as_str(), None),
        };
        let scheme_end = base.find("://").map_or(0, |at| at + 3);
        let authority_end = base[scheme_end..]
            .find('/')
            .map_or(base.len(), |at| scheme_end + at);
        let mut url = format!("{}/{database}", &base[..authority_end]);
        if let Some(params) = params {
            url.push('?');
            url.push_str(params);
        }
        PgUrl {
            url,
            password: self.password.clone(),
        }
    }
}

/// `%XX` escapes decoded (a URL's userinfo); anything else kept as is.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut idx = 0;
    while idx < bytes.len() {
        let hex = bytes
            .get(idx + 1..idx + 3)
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match (bytes[idx], hex) {
            (b'%', Some(byte)) => {
                decoded.push(byte);
                idx += 3;
            }
            (byte, _) => {
                decoded.push(byte);
                idx += 1;
            }
        }
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_leaves_the_url_for_the_environment() {
        let url = PgUrl::parse("postgres://alice:p%40ss@db.example:5432/book?sslmode=disable")
            .expect("a URL");
        assert_eq!(
            url.url,
            "postgres://alice@db.example:5432/book?sslmode=disable"
        );
        assert_eq!(url.password.as_deref(), Some("p@ss"));
        let scratch = url.with_database("scratch");
        assert_eq!(
            scratch.url,
            "postgres://alice@db.example:5432/scratch?sslmode=disable"
        );
        assert_eq!(scratch.password.as_deref(), Some("p@ss"));
    }

    #[test]
    fn a_url_without_password_or_database_keeps_its_server() {
        let url = PgUrl::parse("postgresql://postgres@127.0.0.1:5432").expect("a URL");
        assert_eq!(url.password, None);
        assert_eq!(
            url.with_database("scratch").url,
            "postgresql://postgres@127.0.0.1:5432/scratch"
        );
    }

    #[test]
    fn pgbench_reports_its_transactions_a_second() {
        let report = "transaction type: <builtin: simple update>\nscaling factor: 8\n\
                      latency average = 4.1 ms\ninitial connection time = 12.3 ms\n\
                      tps = 1934.512876 (without initial connection time)\n";
        assert_eq!(parse_tps(report), Some(1934.512876));
        assert_eq!(parse_tps("pgbench: error: connection failed\n"), None);
    }
}
