//! `caretime bench serve`: the HTTP server under load, driven over HTTP by concurrent clients;
//! with `--pgbench`, PostgreSQL's own benchmark on the same server, for scale.
//!
//! A benchmark, not a test. It imports a generated region into a fresh database (or, with
//! `--reuse`, serves the region a database holds, so a full-scale run does not import again),
//! starts the real server in this process on 127.0.0.1 (`caretime_server::serve`, rate limit
//! off, its clock set to the book's first morning so runs on different days ask the same
//! questions), adds a scheduler's token, and then runs two phases from `--clients` tasks, each
//! with its own HTTP connection, each waiting for an answer before it asks again:
//! `$find` for members drawn from the seed (visit-type initial), timed end to end per request;
//! `$book` of the proposals those finds answered, with no `$find` between (the throughput of
//! `$book` itself, set beside pgbench's transactions); then `$find` and `$book` of the first
//! proposal, as a scheduler at a screen does, counted by outcome. The requests are the same
//! for a seed; what is booked depends on how the clients interleave, and the times on the
//! machine. Server and clients share this process's cores: the figures include the clients' own
//! work (small beside the server's: build a body, read the answer).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use caretime_server::auth::{new_token, token_hash};
use caretime_server::{AppState, Clock};
use caretime_store::live::LiveBook;
use caretime_store::shared::SharedBook;
use caretime_store::users::NewUser;
use caretime_store::{Connections, Store, StoreError};
use clap::Args;
use indicatif::ProgressBar;
use jiff::Timestamp;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use crate::bench_store::{
    Millis, PgTools, PgbenchReport, bench_actor, first_date, import, midnight, on_database,
    pg_tools,
};
use crate::output::{Format, print, print_json, progress_bar, spinner, table};
use crate::region::Preset;
use crate::{Outcome, load};

/// Arguments of `caretime bench serve`.
#[derive(Debug, Args)]
#[command(
    after_help = "The server is `caretime serve`'s, started in this process on 127.0.0.1 with \
no rate limit, its clock set to 09:00 on the book's first day (a Monday); a scheduler's token is \
added to the database. Each client is a task with its own HTTP connection that waits for each \
answer before it asks again. Phase one: --finds POST /Appointment/$find (visit-type initial, \
members drawn from the seed), each timed from sending the request to the last byte of the \
answer. Phase two: POST /Appointment/$book of --book-found of those finds' proposals, each client \
booking its own, with no $find between: the throughput of $book itself. Each find books the first \
of its proposals whose clinician and start no earlier find took (bookings of distinct times, as \
pgbench updates random accounts). Phase three: \
--books times $find, then $book of the first proposal, as a scheduler at a screen does. Bookings \
are counted as booked (200), conflict (409: another booking took the time first), no offer (an \
empty Bundle) and other statuses, and bookings a second over each phase. With --start-within 0 (the default) every member asks for the \
earliest time, so concurrent clients race for one proposal and most lose (409); --start-within \
DAYS spreads the members' starts, as pgbench spreads its updates over random accounts. Every $find is audited (a write) as the server always does. \
The full-scale import takes minutes: --reuse serves the region a database already holds (its \
bookings stay). With --pgbench (a postgres:// database), pgbench -i -s 8, then pgbench -b \
simple-update -c CLIENTS -j 2 -T 20, runs on a scratch database of the same server (created and \
dropped) after the phases, and its transactions a second are printed beside phase two's bookings \
a second (the ratio) and phase three's."
)]
pub(crate) struct BenchServeArgs {
    /// The database: sqlite://FILE or postgres://USER@HOST:PORT/DB. It must hold no region
    /// (see --reuse) [default: a new SQLite file in a temporary directory, removed after].
    #[arg(long, value_name = "URL")]
    database: Option<String>,
    /// Scale of the generated socal region (1 = full scale: 4.8 million members); ignored with
    /// --reuse on a database that holds a region.
    #[arg(long, default_value_t = 1.0)]
    scale: f64,
    /// Random seed for the region and the members asked for.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Concurrent clients, 1 to 256, each with its own connection.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=256))]
    clients: u32,
    /// Timed $find requests of phase one, dealt to the clients in turn, 1 to 1,000,000.
    #[arg(long, default_value_t = 20_000, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    finds: u32,
    /// $book requests of phase two: the first proposals of this many of phase one's finds (each
    /// client books its own), 0 to 1,000,000 (at most --finds).
    #[arg(long, value_name = "N", default_value_t = 5_000, value_parser = clap::value_parser!(u32).range(0..=1_000_000))]
    book_found: u32,
    /// $find-then-$book attempts of phase three, dealt to the clients in turn, 0 to 1,000,000.
    #[arg(long, default_value_t = 5_000, value_parser = clap::value_parser!(u32).range(0..=1_000_000))]
    books: u32,
    /// Connections the server keeps to a PostgreSQL database (`caretime serve` keeps
    /// caretime_server::DATABASE_CONNECTIONS), 2 to 64; SQLite keeps its four.
    #[arg(long, default_value_t = caretime_server::DATABASE_CONNECTIONS, value_parser = clap::value_parser!(u32).range(2..=64))]
    connections: u32,
    /// Serve the region the database holds (its bookings stay) instead of refusing it; a
    /// database without one is filled first.
    #[arg(long)]
    reuse: bool,
    /// Also run pgbench on a scratch database of the same PostgreSQL server, and print the
    /// ratio.
    #[arg(long)]
    pgbench: bool,
    /// Each `$find` asks from a start drawn uniformly over this many days after the server's
    /// morning (on the quarter hour), as members who cannot come before a date of their own; 0
    /// to 60. With 0 every member asks for the earliest time, so concurrent clients are offered,
    /// and race for, the same proposal.
    #[arg(long, value_name = "DAYS", default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=60))]
    start_within: u32,
}

/// One request of the benchmark: the member asked for, and the start they ask from (RFC 3339),
/// if any.
#[derive(Clone, Debug)]
struct Ask {
    member: u32,
    start: Option<String>,
}

/// The user the benchmark's requests come from (a scheduler: books for anyone).
const USER: &str = "bench-serve";

/// The benchmark's own stream of members, apart from the region's streams of the same seed.
const MEMBER_STREAM: u64 = 0x7365_7276_6566_696e;

#[derive(Debug, Serialize)]
struct ServeReport {
    backend: &'static str,
    database: String,
    /// Whether the database's own region was served (`--reuse`).
    reused: bool,
    scale: Option<f64>,
    seed: u64,
    members: usize,
    clinicians: usize,
    import_seconds: Option<f64>,
    /// The server's load of its book (region and journal) before it listens.
    load_seconds: f64,
    clients: u32,
    /// The server's connections to PostgreSQL (SQLite: four whatever this says).
    connections: u32,
    /// `--start-within`: the days over which the members' starts are drawn (0: the earliest).
    start_within_days: u32,
    find: FindPhase,
    /// Phase two: `$book` of proposals phase one found.
    book_found: BookFoundPhase,
    book: BookPhase,
    pgbench: Option<PgbenchReport>,
    /// Phase three's bookings a second over pgbench's transactions a second.
    find_then_book_ratio: Option<f64>,
}

/// Phase one: `$find` alone.
#[derive(Debug, Default, Serialize)]
struct FindPhase {
    requests: u32,
    /// Answered 200 with at least one proposal.
    with_offers: u32,
    /// Answered 200 with an empty Bundle.
    without_offers: u32,
    /// Any other answer, by status.
    other_statuses: BTreeMap<u16, u32>,
    seconds: f64,
    per_second: f64,
    /// From sending the request to the answer's last byte.
    latency: Option<Millis>,
}

/// Phase two: `$book` of a proposal phase one found, no `$find` between.
#[derive(Debug, Default, Serialize)]
struct BookFoundPhase {
    /// `$book` requests sent (phase one's finds with offers, up to `--book-found`).
    requests: u32,
    /// Phase one's finds whose every proposal took a clinician and start an earlier find had
    /// claimed (not booked).
    unclaimed: u32,
    booked: u32,
    /// Answered 409: an earlier booking took the time.
    conflicts: u32,
    /// Any other answer, by status.
    other_statuses: BTreeMap<String, u32>,
    seconds: f64,
    bookings_per_second: f64,
    /// `$book` answers (booked or conflict) a second over the phase.
    book_answers_per_second: f64,
    latency: Option<Millis>,
}

/// Phase three: `$find`, then `$book` of its first proposal.
#[derive(Debug, Default, Serialize)]
struct BookPhase {
    attempts: u32,
    booked: u32,
    /// `$book` answered 409: another client took the time between the find and the book.
    conflicts: u32,
    /// `$find` found nothing to book.
    no_offer: u32,
    /// Any other answer, `$find STATUS` or `$book STATUS`.
    other_statuses: BTreeMap<String, u32>,
    seconds: f64,
    bookings_per_second: f64,
    /// `$book` answers (booked or conflict) a second over the phase.
    book_answers_per_second: f64,
    /// The `$book` requests alone.
    book_latency: Option<Millis>,
}

pub(crate) fn run(args: &BenchServeArgs, format: Format) -> anyhow::Result<Outcome> {
    let tools = pg_tools(args.pgbench, args.database.as_deref())?;
    on_database(args.database.as_deref(), "serve", |url| {
        bench(args, url, tools.as_ref(), format)
    })
}

fn bench(
    args: &BenchServeArgs,
    url: &str,
    tools: Option<&PgTools>,
    format: Format,
) -> anyhow::Result<Outcome> {
    let params = Preset::Socal.params(args.scale, args.seed)?;
    let (rules, rules_text) = load::rule_set_with_text("ca-dmhc")?;
    // Server and clients share the machine's cores, as a server and its clients on one host.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let (report, store) = runtime.block_on(async {
        let store = Store::open(url).await?;
        let held = match store.region_size().await {
            Ok(_) => true,
            Err(StoreError::Empty) => false,
            Err(error) => return Err(error.into()),
        };
        let import_seconds = if held && args.reuse {
            None
        } else {
            // The server loads its own copy from the database: the generated one goes now.
            let setup = import(&store, &params, (&rules, &rules_text), "serve", format).await?;
            setup.import_seconds
        };

        // The server opens its own connections, as `caretime serve` does.
        store.close().await;
        let store = Store::open_existing_with(url, Connections::UpTo(args.connections)).await?;
        let progress = spinner(format, "loading the server's book");
        let started = Instant::now();
        // Loaded as of the first day the benchmarks import with: the book then reaches
        // `LOOKAHEAD_DAYS` past the database's own first day (a later one) or past that one.
        let loaded_at = midnight(first_date(), rules.time_zone())?;
        let live = LiveBook::load(&store, loaded_at, &bench_actor("server")).await?;
        let first_day = live.book().availability().horizon().first;
        let now = first_day
            .at(9, 0, 0, 0)
            .to_zoned(live.rules().time_zone().clone())
            .context("the book's first morning in range")?
            .timestamp();
        let members = live.region().members.len();
        let clinicians = live.region().clinicians.len();
        let load_seconds = started.elapsed().as_secs_f64();
        progress.finish_and_clear();
        if members == 0 {
            bail!("the database's region has no members to ask for");
        }

        let token = scheduler_token(&store, now).await?;
        let clock = Clock::system();
        clock.set(now);
        let mut state = AppState::new(store.clone(), SharedBook::start(live), clock);
        state.rate_limit = None;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .context("cannot listen on 127.0.0.1")?;
        let address = listener.local_addr()?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let served = tokio::spawn(caretime_server::serve(listener, state, async {
            let _ = stopped.await;
        }));

        let mut rng = ChaCha8Rng::seed_from_u64(args.seed ^ MEMBER_STREAM);
        let quarters = i64::from(args.start_within) * 24 * 4;
        let mut draw = |count: u32| -> anyhow::Result<Vec<Ask>> {
            (0..count)
                .map(|_| {
                    let member = rng.random_range(0..members as u32);
                    let start = if quarters > 0 {
                        let offset = rng.random_range(0..quarters);
                        let at = now
                            .checked_add(jiff::SignedDuration::from_mins(offset * 15))
                            .context("a start within the book's range")?;
                        Some(at.to_string())
                    } else {
                        None
                    };
                    Ok(Ask { member, start })
                })
                .collect()
        };
        let find_members = draw(args.finds)?;
        let book_members = draw(args.books)?;
        let mut clients = Vec::new();
        for _ in 0..args.clients {
            clients.push(Client::connect(address, &token).await?);
        }
        let (clients, find, found) = find_phase(clients, &find_members, format).await?;
        let (clients, book_found) =
            book_found_phase(clients, found, args.book_found, format).await?;
        let book = book_phase(clients, &book_members, format).await?;

        let _ = stop.send(());
        served
            .await
            .context("the server task")?
            .context("the server stopped with an error")?;
        let report = ServeReport {
            backend: store.backend().name(),
            database: store.url().to_owned(),
            reused: import_seconds.is_none(),
            scale: import_seconds.map(|_| args.scale),
            seed: args.seed,
            members,
            clinicians,
            import_seconds,
            load_seconds,
            clients: args.clients,
            connections: args.connections,
            start_within_days: args.start_within,
            find,
            book_found,
            book,
            pgbench: None,
            find_then_book_ratio: None,
        };
        anyhow::Ok((report, store))
    })?;
    runtime.block_on(store.close());
    drop(runtime);
    let pgbench = tools
        .map(|tools| {
            PgbenchReport::beside(
                tools,
                url,
                args.clients,
                report.book_found.bookings_per_second,
                format,
            )
        })
        .transpose()?;
    let find_then_book_ratio = pgbench
        .as_ref()
        .map(|pgbench| report.book.bookings_per_second / pgbench.tps());
    let report = ServeReport {
        pgbench,
        find_then_book_ratio,
        ..report
    };
    match format {
        Format::Json => print_json(&report)?,
        Format::Text => print(&text(&report))?,
    }
    Ok(Outcome::Ok)
}

/// A new token of the benchmark's scheduler (added as a user the first time).
async fn scheduler_token(store: &Store, now: Timestamp) -> anyhow::Result<String> {
    let token = new_token().context("no randomness from the operating system")?;
    let actor = bench_actor("setup");
    if store.user_by_name(USER).await?.is_some() {
        store
            .add_token(USER, &token_hash(&token), &actor, now)
            .await?;
    } else {
        store
            .add_user(
                &NewUser {
                    name: USER,
                    role: "scheduler",
                    clinician: None,
                    password_hash: None,
                    token_hash: &token_hash(&token),
                },
                &actor,
                now,
            )
            .await?;
    }
    Ok(token)
}

/// One client: its own connection to the server (kept alive between requests).
#[derive(Debug)]
struct Client {
    http: reqwest::Client,
    base: String,
    token: String,
}

/// An answer: its status, its body and how long it took from sending to its last byte.
struct Answer {
    status: u16,
    body: Vec<u8>,
    took: Duration,
}

impl Client {
    /// A client whose connection is open (a `GET /health` made), so the first timed request
    /// does not pay for the connect.
    async fn connect(address: SocketAddr, token: &str) -> anyhow::Result<Client> {
        let http = reqwest::Client::builder()
            // The server is this process's own: a proxy from the environment must not be used.
            .no_proxy()
            .build()
            .context("cannot make an HTTP client")?;
        let base = format!("http://{address}");
        let health = http
            .get(format!("{base}/health"))
            .send()
            .await
            .context("the server does not answer GET /health")?;
        if !health.status().is_success() {
            bail!("GET /health answered {}", health.status());
        }
        Ok(Client {
            http,
            base,
            token: token.to_owned(),
        })
    }

    async fn post(&self, path: &str, body: String) -> anyhow::Result<Answer> {
        let started = Instant::now();
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .header(reqwest::header::CONTENT_TYPE, "application/fhir+json")
            .body(body)
            .send()
            .await
            .with_context(|| format!("POST {path}"))?;
        let status = response.status().as_u16();
        let body = response
            .bytes()
            .await
            .with_context(|| format!("POST {path}: the answer"))?;
        Ok(Answer {
            status,
            body: body.to_vec(),
            took: started.elapsed(),
        })
    }

    /// `$find` of an initial visit for the member asked for, from their start if they have one.
    async fn find(&self, ask: &Ask) -> anyhow::Result<Answer> {
        let mut parameters = vec![
            serde_json::json!({ "name": "patient-reference",
              "valueReference": { "reference": format!("Patient/{}", ask.member) } }),
            serde_json::json!({ "name": "visit-type", "valueCoding": { "code": "initial" } }),
        ];
        if let Some(start) = &ask.start {
            parameters.push(serde_json::json!({ "name": "start", "valueDateTime": start }));
        }
        let body = serde_json::json!({ "resourceType": "Parameters", "parameter": parameters });
        self.post("/Appointment/$find", body.to_string()).await
    }

    /// `$book` of the proposal `$find` answered as `id`.
    async fn book(&self, id: &str) -> anyhow::Result<Answer> {
        let body = serde_json::json!({
            "resourceType": "Parameters",
            "parameter": [
                { "name": "appointment-reference",
                  "valueReference": { "reference": format!("Appointment/{id}") } },
            ]
        });
        self.post("/Appointment/$book", body.to_string()).await
    }
}

/// The requests dealt to client `index` of `clients`, in turn.
fn dealt(asks: &[Ask], index: usize, clients: usize) -> Vec<Ask> {
    asks.iter().skip(index).step_by(clients).cloned().collect()
}

/// The number of proposals a `$find` Bundle holds (its `total`), and the first one's id.
fn proposals(body: &[u8]) -> anyhow::Result<(u64, Option<String>)> {
    let (total, offers) = offers(body)?;
    Ok((total, offers.into_iter().next().map(|offer| offer.id)))
}

/// A proposal of a `$find` answer: its id, and the clinician and time it takes.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Offer {
    id: String,
    /// The practitioner's reference, as the Appointment spells it.
    practitioner: String,
    start: Timestamp,
    end: Timestamp,
}

/// The `total` of a `$find` Bundle and its proposals, in the order given.
fn offers(body: &[u8]) -> anyhow::Result<(u64, Vec<Offer>)> {
    let bundle: serde_json::Value =
        serde_json::from_slice(body).context("$find answered something else than JSON")?;
    let total = bundle["total"]
        .as_u64()
        .context("$find answered a Bundle without total")?;
    let entries = bundle["entry"].as_array().map(Vec::as_slice).unwrap_or(&[]);
    let offers = entries
        .iter()
        .map(|entry| {
            let resource = &entry["resource"];
            let id = resource["id"].as_str().context("a proposal without id")?;
            let time = |field: &str| -> anyhow::Result<Timestamp> {
                resource[field]
                    .as_str()
                    .with_context(|| format!("a proposal without {field}"))?
                    .parse()
                    .with_context(|| format!("a proposal's {field} is not an instant"))
            };
            let practitioner = resource["participant"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|participant| participant["actor"]["reference"].as_str())
                .find(|reference| reference.starts_with("Practitioner/"))
                .context("a proposal without a Practitioner")?;
            Ok(Offer {
                id: id.to_owned(),
                practitioner: practitioner.to_owned(),
                start: time("start")?,
                end: time("end")?,
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok((total, offers))
}

/// What one client saw in phase one.
#[derive(Default)]
struct FindRun {
    with_offers: u32,
    without_offers: u32,
    other_statuses: BTreeMap<u16, u32>,
    micros: Vec<f64>,
    /// The proposals of each find with offers, in order.
    offers: Vec<Vec<Offer>>,
}

/// Phase one: the clients (in order), and what each client's finds offered, in its order.
async fn find_phase(
    clients: Vec<Client>,
    members: &[Ask],
    format: Format,
) -> anyhow::Result<(Vec<Client>, FindPhase, Vec<Vec<Vec<Offer>>>)> {
    let bar = progress_bar(format, members.len() as u64, "$find");
    let count = clients.len();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (index, client) in clients.into_iter().enumerate() {
        let mine = dealt(members, index, count);
        let bar = bar.clone();
        tasks.push(tokio::spawn(async move {
            let mut run = FindRun::default();
            for member in mine {
                let answer = client.find(&member).await?;
                run.micros.push(answer.took.as_secs_f64() * 1e6);
                match answer.status {
                    200 => match offers(&answer.body)? {
                        (total, offers) if total > 0 && !offers.is_empty() => {
                            run.with_offers += 1;
                            run.offers.push(offers);
                        }
                        _ => run.without_offers += 1,
                    },
                    status => *run.other_statuses.entry(status).or_default() += 1,
                }
                bar.inc(1);
            }
            anyhow::Ok((client, run))
        }));
    }
    let mut clients = Vec::new();
    let mut phase = FindPhase {
        requests: members.len() as u32,
        ..FindPhase::default()
    };
    let mut micros = Vec::with_capacity(members.len());
    let mut found = Vec::with_capacity(count);
    for task in tasks {
        let (client, run) = task.await.context("a client task")??;
        clients.push(client);
        found.push(run.offers);
        phase.with_offers += run.with_offers;
        phase.without_offers += run.without_offers;
        for (status, n) in run.other_statuses {
            *phase.other_statuses.entry(status).or_default() += n;
        }
        micros.extend(run.micros);
    }
    phase.seconds = started.elapsed().as_secs_f64();
    bar.finish_and_clear();
    phase.per_second = f64::from(phase.requests) / phase.seconds;
    phase.latency = Millis::of(micros);
    Ok((clients, phase, found))
}

/// Phase two: each client books, for its own finds, a proposal of each, `limit` in all (as
/// evenly as the clients' finds allow), with no `$find` between.
async fn book_found_phase(
    clients: Vec<Client>,
    found: Vec<Vec<Vec<Offer>>>,
    limit: u32,
    format: Format,
) -> anyhow::Result<(Vec<Client>, BookFoundPhase)> {
    let count = clients.len();
    let (found, unclaimed) = claimed(found);
    let shares = shares(
        &found.iter().map(Vec::len).collect::<Vec<_>>(),
        limit as usize,
    );
    let bar = progress_bar(format, shares.iter().sum::<usize>() as u64, "$book");
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(count);
    for ((client, mut proposals), share) in clients.into_iter().zip(found).zip(shares) {
        proposals.truncate(share);
        let bar = bar.clone();
        tasks.push(tokio::spawn(async move {
            let mut run = BookRun::default();
            for id in proposals {
                let answer = client.book(&id).await?;
                run.micros.push(answer.took.as_secs_f64() * 1e6);
                match answer.status {
                    200 => run.booked += 1,
                    409 => run.conflicts += 1,
                    status => {
                        *run.other_statuses.entry(status.to_string()).or_default() += 1;
                    }
                }
                bar.inc(1);
            }
            anyhow::Ok((client, run))
        }));
    }
    let mut clients = Vec::with_capacity(count);
    let mut phase = BookFoundPhase {
        unclaimed,
        ..BookFoundPhase::default()
    };
    let mut micros = Vec::new();
    for task in tasks {
        let (client, run) = task.await.context("a client task")??;
        clients.push(client);
        phase.booked += run.booked;
        phase.conflicts += run.conflicts;
        for (status, n) in run.other_statuses {
            *phase.other_statuses.entry(status).or_default() += n;
        }
        phase.requests += run.micros.len() as u32;
        micros.extend(run.micros);
    }
    phase.seconds = started.elapsed().as_secs_f64();
    bar.finish_and_clear();
    phase.bookings_per_second = rate(phase.booked, phase.seconds);
    phase.book_answers_per_second = rate(phase.booked + phase.conflicts, phase.seconds);
    phase.latency = Millis::of(micros);
    Ok((clients, phase))
}

/// For each find, in the order the members were drawn, the first of its proposals whose time
/// overlaps no time an earlier find claimed with the same clinician: the ids to book, each
/// client's in its order, and the number of finds left without one. pgbench's simple-update
/// spreads its writes over random accounts so that its clients do not wait on each other's
/// rows; bookings of times nobody else books are the same load.
fn claimed(found: Vec<Vec<Vec<Offer>>>) -> (Vec<Vec<String>>, u32) {
    let mut taken: std::collections::HashMap<String, Vec<(Timestamp, Timestamp)>> =
        std::collections::HashMap::new();
    let mut claim = |offer: &Offer| {
        let times = taken.entry(offer.practitioner.clone()).or_default();
        let free = times
            .iter()
            .all(|&(start, end)| offer.end <= start || end <= offer.start);
        if free {
            times.push((offer.start, offer.end));
        }
        free
    };
    let mut unclaimed = 0;
    let mut ids: Vec<Vec<String>> = found.iter().map(|_| Vec::new()).collect();
    let mut finds: Vec<_> = found.into_iter().map(Vec::into_iter).collect();
    // The members were dealt to the clients in turn: find k of client i is member k * clients + i.
    loop {
        let mut any = false;
        for (client, finds) in finds.iter_mut().enumerate() {
            let Some(offers) = finds.next() else { continue };
            any = true;
            match offers.into_iter().find(|offer| claim(offer)) {
                Some(offer) => ids[client].push(offer.id),
                None => unclaimed += 1,
            }
        }
        if !any {
            return (ids, unclaimed);
        }
    }
}

/// How many of each client's proposals to book so that `limit` are booked in all, as evenly as
/// the clients' counts allow: rounds of one from each client that still has one.
fn shares(available: &[usize], limit: usize) -> Vec<usize> {
    let mut shares = vec![0; available.len()];
    let mut left = limit.min(available.iter().sum());
    while left > 0 {
        for (share, &has) in shares.iter_mut().zip(available) {
            if left > 0 && *share < has {
                *share += 1;
                left -= 1;
            }
        }
    }
    shares
}

/// `count` over `seconds`, 0 for an empty phase.
fn rate(count: u32, seconds: f64) -> f64 {
    if seconds > 0.0 {
        f64::from(count) / seconds
    } else {
        0.0
    }
}

/// What one client saw in phase two.
#[derive(Default)]
struct BookRun {
    booked: u32,
    conflicts: u32,
    no_offer: u32,
    other_statuses: BTreeMap<String, u32>,
    micros: Vec<f64>,
}

async fn book_phase(
    clients: Vec<Client>,
    members: &[Ask],
    format: Format,
) -> anyhow::Result<BookPhase> {
    let bar = progress_bar(format, members.len() as u64, "$find and $book");
    let count = clients.len();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (index, client) in clients.into_iter().enumerate() {
        let mine = dealt(members, index, count);
        let bar: ProgressBar = bar.clone();
        tasks.push(tokio::spawn(async move {
            let mut run = BookRun::default();
            for member in mine {
                bar.inc(1);
                let found = client.find(&member).await?;
                if found.status != 200 {
                    *run.other_statuses
                        .entry(format!("$find {}", found.status))
                        .or_default() += 1;
                    continue;
                }
                let Some(id) = proposals(&found.body)?.1 else {
                    run.no_offer += 1;
                    continue;
                };
                let booked = client.book(&id).await?;
                run.micros.push(booked.took.as_secs_f64() * 1e6);
                match booked.status {
                    200 => run.booked += 1,
                    409 => run.conflicts += 1,
                    status => {
                        *run.other_statuses
                            .entry(format!("$book {status}"))
                            .or_default() += 1;
                    }
                }
            }
            anyhow::Ok(run)
        }));
    }
    let mut phase = BookPhase {
        attempts: members.len() as u32,
        ..BookPhase::default()
    };
    let mut micros = Vec::new();
    for task in tasks {
        let run = task.await.context("a client task")??;
        phase.booked += run.booked;
        phase.conflicts += run.conflicts;
        phase.no_offer += run.no_offer;
        for (status, n) in run.other_statuses {
            *phase.other_statuses.entry(status).or_default() += n;
        }
        micros.extend(run.micros);
    }
    phase.seconds = started.elapsed().as_secs_f64();
    bar.finish_and_clear();
    phase.bookings_per_second = rate(phase.booked, phase.seconds);
    phase.book_answers_per_second = rate(phase.booked + phase.conflicts, phase.seconds);
    phase.book_latency = Millis::of(micros);
    Ok(phase)
}

fn text(report: &ServeReport) -> String {
    let region = crate::bench_store::region_line(
        report.scale,
        report.seed,
        report.members,
        report.clinicians,
        report.import_seconds,
    );
    let latency = |millis: &Option<Millis>| match millis {
        Some(m) => format!(
            "p50 {:.3} ms, p90 {:.3} ms, p99 {:.3} ms, max {:.2} ms, mean {:.3} ms",
            m.p50_ms, m.p90_ms, m.p99_ms, m.max_ms, m.mean_ms
        ),
        None => "none".to_owned(),
    };
    let others = |statuses: Vec<String>| {
        if statuses.is_empty() {
            "no other status".to_owned()
        } else {
            format!("other: {}", statuses.join(", "))
        }
    };
    let find = &report.find;
    let found = &report.book_found;
    let book = &report.book;
    let mut rows = vec![
        vec![
            "database".to_owned(),
            format!("{} ({})", report.database, report.backend),
        ],
        vec!["region".to_owned(), region],
        vec![
            "server".to_owned(),
            format!(
                "book loaded in {:.1} s; {} clients over HTTP, one connection each, asking {}; {}",
                report.load_seconds,
                report.clients,
                match report.start_within_days {
                    0 => "for the earliest time".to_owned(),
                    days => format!("from a start within {days} days"),
                },
                match report.backend {
                    "postgres" => format!("{} connections to the database", report.connections),
                    _ => "4 connections to the database".to_owned(),
                }
            ),
        ],
        vec![
            "$find".to_owned(),
            format!(
                "{} requests in {:.2} s ({:.0} a second): {} with offers, {} without; {}",
                find.requests,
                find.seconds,
                find.per_second,
                find.with_offers,
                find.without_offers,
                others(
                    find.other_statuses
                        .iter()
                        .map(|(status, n)| format!("{n} x {status}"))
                        .collect()
                )
            ),
        ],
        vec!["$find latency".to_owned(), latency(&find.latency)],
        vec![
            "$book of found".to_owned(),
            format!(
                "{} requests (a proposal of each of phase one's finds, distinct times; {} finds \
                 had none left) in {:.2} s: {} booked, {} conflicts; {}",
                found.requests,
                found.unclaimed,
                found.seconds,
                found.booked,
                found.conflicts,
                others(
                    found
                        .other_statuses
                        .iter()
                        .map(|(status, n)| format!("{n} x {status}"))
                        .collect()
                )
            ),
        ],
        vec![
            "$book throughput".to_owned(),
            format!(
                "{:.0} bookings a second ({:.0} $book answers a second, conflicts included)",
                found.bookings_per_second, found.book_answers_per_second
            ),
        ],
        vec!["$book latency".to_owned(), latency(&found.latency)],
        vec![
            "$find, $book".to_owned(),
            format!(
                "{} attempts ($find, then $book of the first proposal) in {:.2} s: {} booked, \
                 {} conflicts, {} without offer; {}",
                book.attempts,
                book.seconds,
                book.booked,
                book.conflicts,
                book.no_offer,
                others(
                    book.other_statuses
                        .iter()
                        .map(|(status, n)| format!("{n} x {status}"))
                        .collect()
                )
            ),
        ],
        vec![
            "throughput".to_owned(),
            format!(
                "{:.0} bookings a second ({:.0} $book answers a second, conflicts included)",
                book.bookings_per_second, book.book_answers_per_second
            ),
        ],
        vec!["its $book latency".to_owned(), latency(&book.book_latency)],
    ];
    if let Some(pgbench) = &report.pgbench {
        rows.push(vec!["pgbench".to_owned(), pgbench.line()]);
    }
    if let Some(ratio) = report.find_then_book_ratio {
        rows.push(vec![
            "$find, $book".to_owned(),
            format!("caretime's bookings with a $find each are {ratio:.2}x pgbench"),
        ]);
    }
    table(&rows)
}

#[cfg(test)]
mod tests {
    use super::{Offer, claimed, shares};

    fn offer(id: &str, clinician: &str, start: &str, end: &str) -> Offer {
        let at = |time: &str| {
            format!("2025-01-06T{time}:00Z")
                .parse()
                .expect("an instant")
        };
        Offer {
            id: id.to_owned(),
            practitioner: clinician.to_owned(),
            start: at(start),
            end: at(end),
        }
    }

    #[test]
    fn each_find_claims_the_first_time_no_earlier_find_overlaps() {
        let nine = |id| offer(id, "Practitioner/1", "09:00", "10:00");
        let quarter_past = |id| offer(id, "Practitioner/1", "09:15", "10:15");
        let ten = |id| offer(id, "Practitioner/1", "10:00", "11:00");
        let other = |id| offer(id, "Practitioner/2", "09:00", "10:00");
        // Client 0 found [nine, ten] then [quarter past, nine]; client 1 found [nine, other]. The
        // members were drawn in the order 0, 1, 0: the first claims nine, the second the other
        // clinician (nine is taken), the third nothing (a quarter past nine overlaps nine).
        let found = vec![
            vec![
                vec![nine("0a"), ten("0b")],
                vec![quarter_past("2a"), nine("2b")],
            ],
            vec![vec![nine("1a"), other("1b")]],
        ];
        let (ids, unclaimed) = claimed(found);
        assert_eq!(ids, vec![vec!["0a".to_owned()], vec!["1b".to_owned()]]);
        assert_eq!(unclaimed, 1);
        // Back to back is no overlap.
        let (ids, unclaimed) = claimed(vec![vec![vec![nine("a")], vec![ten("b")]]]);
        assert_eq!(ids, vec![vec!["a".to_owned(), "b".to_owned()]]);
        assert_eq!(unclaimed, 0);
    }

    #[test]
    fn shares_deal_the_limit_evenly_over_what_each_client_has() {
        assert_eq!(shares(&[5, 5, 5], 7), vec![3, 2, 2]);
        // A client with fewer gives what it has; the others make up the rest.
        assert_eq!(shares(&[1, 9, 9], 9), vec![1, 4, 4]);
        // Never more than there is.
        assert_eq!(shares(&[2, 3], 100), vec![2, 3]);
        assert_eq!(shares(&[0, 0], 4), vec![0, 0]);
        assert_eq!(shares(&[4, 4], 0), vec![0, 0]);
    }
}
