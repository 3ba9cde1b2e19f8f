//! The commands on a stored book: `db`, `import`, `book`, `cancel`, `appointments`.
//!
//! Each opens the database (`--database`, else `CARETIME_DATABASE_URL`, else
//! `sqlite://caretime.db` in the working directory), applies the migrations it lacks, does one
//! thing through caretime-store and closes it. `--now` fixes the clock (tests, demos).

use std::path::Path;

use anyhow::{Context, bail};
use caretime_core::id::{AppointmentId, ClinicianId, MemberId};
use caretime_core::region::Region;
use caretime_core::request::{Preferences, Request, RequestKind};
use caretime_core::slug::Slug;
use caretime_engine::book::{
    Appointment, CancellationReason, CancelledBy, Change, Choice, Refusal, Take,
};
use caretime_region::file::{CsvTable, read_region};
use caretime_region::rows::{CsvFile, CsvFiles, read_region_csv};
use caretime_store::live::{Context as DecideContext, Decision, LiveBook};
use caretime_store::query::{AppointmentFilter, AppointmentRow};
use caretime_store::{Actor, AuditEvent, Store};
use clap::{Args, Subcommand};
use jiff::Timestamp;
use serde::Serialize;

use crate::deadline::parse_instant;
use crate::find::parse_id;
use crate::output::{Format, print, print_json, rfc3339, table};
use crate::{Outcome, load};

/// The database a command works on, and its clock.
#[derive(Debug, Args)]
pub(crate) struct StoreArgs {
    /// The database: sqlite://FILE (created if missing) or postgres://USER@HOST:PORT/DB.
    #[arg(
        long,
        value_name = "URL",
        env = "CARETIME_DATABASE_URL",
        default_value = "sqlite://caretime.db"
    )]
    database: String,
    /// The time to act at, with its zone (default: the system clock), such as
    /// 2025-12-01T08:00:00-08:00[America/Los_Angeles].
    #[arg(long, value_name = "TIME")]
    now: Option<String>,
}

impl StoreArgs {
    /// The database's URL.
    pub(crate) fn database(&self) -> &str {
        &self.database
    }

    /// `--now`, else the system clock.
    pub(crate) fn now(&self) -> anyhow::Result<Timestamp> {
        match &self.now {
            Some(text) => parse_instant("--now", text),
            None => Ok(Timestamp::now()),
        }
    }
}

/// `caretime db ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum DbCommand {
    /// Create the database (a SQLite file if missing) and its tables.
    Init(StoreArgs),
    /// Apply the migrations the database lacks, and say which.
    Migrate(StoreArgs),
    /// Check the database: no overlapping held appointments, no orphan rows, the journal whole
    /// and in agreement with the tables. Exits 1 listing every problem.
    Check(StoreArgs),
    /// Write a snapshot of the journal (packed, replacing the one there was) so that a process
    /// loads it and replays only the journal rows after it. A snapshot is a cache: the journal
    /// stays the record. Run it after a replan or a busy day (nightly, say).
    Snapshot(StoreArgs),
}

/// Arguments of `caretime import`.
#[derive(Debug, Args)]
#[command(
    after_help = "A region is one JSON file (as `caretime region generate` writes) or \
its four CSV tables, facilities.csv, template_blocks.csv, clinicians.csv and members.csv, given \
as four files or as the directory holding them (`caretime region generate --csv` writes them; \
their columns are documented in caretime-region's `rows` module and in the README). The import \
is one transaction: a bad row writes nothing and the error names the file, line and field."
)]
pub(crate) struct ImportArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// A region JSON file, or the four CSV tables (files or one directory).
    #[arg(value_name = "FILE", required = true)]
    files: Vec<String>,
    /// The rule set the book's deadlines follow: a built-in name or a rule set file.
    #[arg(long, value_name = "NAME|PATH", default_value = "ca-dmhc")]
    rules: String,
    /// The region's id and name, for CSV tables (a JSON file carries its own).
    #[arg(long, value_name = "NAME", default_value = "imported")]
    name: String,
}

/// Arguments of `caretime book`.
#[derive(Debug, Args)]
#[command(
    after_help = "Without --clinician and --start, books the engine's best offer (as \
`caretime find` ranks them). With both, books that clinician's time if it is free, and the \
deadline and the best offer are recorded beside it for compliance. Exits 0 when booked, 1 when \
the engine refuses or another process took the time first (a conflict), 2 on bad input."
)]
pub(crate) struct BookArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// The member: an id such as 42 or member-42.
    #[arg(long, value_name = "ID")]
    member: String,
    /// Request kind: initial, follow-up, urgent, urgent-prior-auth, psychiatry, post-discharge,
    /// non-life-threatening-emergency.
    #[arg(long)]
    kind: String,
    /// When the request was made, with its zone (default: now).
    #[arg(long, value_name = "TIME")]
    requested: Option<String>,
    /// The treating clinician, for continuity: an id such as 7 or clinician-7.
    #[arg(long, value_name = "ID")]
    treating: Option<String>,
    /// Book this clinician's time (with --start).
    #[arg(long, value_name = "ID", requires = "start")]
    clinician: Option<String>,
    /// The start of the time to book (with --clinician), with its zone.
    #[arg(long, value_name = "TIME", requires = "clinician")]
    start: Option<String>,
    /// Hold the time (pending, expiring) instead of booking it.
    #[arg(long)]
    hold: bool,
}

/// Arguments of `caretime cancel`.
#[derive(Debug, Args)]
pub(crate) struct CancelArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// The appointment: an id such as 12 or appointment-12.
    #[arg(value_name = "ID")]
    id: String,
    /// Why: member-request, clinician-unavailable, strike, leave, closure, low-enrolment,
    /// rescheduled, hold-expired, other.
    #[arg(long)]
    reason: String,
    /// Who cancels: member or plan.
    #[arg(long, value_name = "WHO")]
    by: String,
}

/// Arguments of `caretime appointments`.
#[derive(Debug, Args)]
pub(crate) struct AppointmentsArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// Only this member's.
    #[arg(long, value_name = "ID")]
    member: Option<String>,
    /// Only this clinician's.
    #[arg(long, value_name = "ID")]
    clinician: Option<String>,
}

/// Runs `work` on a single-threaded async runtime.
pub(crate) fn block_on<T>(work: impl Future<Output = anyhow::Result<T>>) -> anyhow::Result<T> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?
        .block_on(work)
}

/// The CLI's actor: the user running it, from this host and process.
pub(crate) fn actor() -> Actor {
    let user = std::env::var("USER").unwrap_or_else(|_| "unknown".to_owned());
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|text| text.trim().to_owned())
        .unwrap_or_else(|_| "localhost".to_owned());
    Actor {
        who: format!("cli:{user}"),
        source: format!("{host}/pid {}", std::process::id()),
    }
}

/// The stored book as of `now`: its region, rule set and the engine's book (`find --database`).
pub(crate) fn load_book(
    url: &str,
    now: Timestamp,
) -> anyhow::Result<(
    Region,
    caretime_core::rules::RuleSet,
    caretime_engine::book::Book,
)> {
    block_on(async {
        let store = Store::open_existing(url).await?;
        let live = LiveBook::load(&store, now, &actor()).await;
        store.close().await;
        Ok(live?.into_parts())
    })
}

pub(crate) fn run_db(command: &DbCommand, format: Format) -> anyhow::Result<Outcome> {
    match command {
        DbCommand::Init(args) => block_on(async {
            let store = Store::open(&args.database).await?;
            let schema = store.schema().await?;
            store.close().await;
            report_schema(format, store.url(), "ready", &schema.applied)
        }),
        DbCommand::Migrate(args) => block_on(async {
            let store = Store::connect(&args.database, false).await?;
            let applied = store.migrate().await?;
            store.close().await;
            report_schema(format, store.url(), "migrated", &applied)
        }),
        DbCommand::Snapshot(args) => run_snapshot(args, format),
        DbCommand::Check(args) => {
            let now = args.now()?;
            block_on(async {
                let store = Store::open_existing(&args.database).await?;
                let problems = store.check(&actor(), now).await?;
                store.close().await;
                #[derive(Serialize)]
                struct ProblemJson<'a> {
                    kind: &'a str,
                    detail: &'a str,
                }
                match format {
                    Format::Json => print_json(
                        &problems
                            .iter()
                            .map(|p| ProblemJson {
                                kind: p.kind,
                                detail: &p.detail,
                            })
                            .collect::<Vec<_>>(),
                    )?,
                    Format::Text if problems.is_empty() => {
                        print(&format!("{}: no problems\n", store.url()))?;
                    }
                    Format::Text => {
                        let mut text = format!("{}: {} problems\n", store.url(), problems.len());
                        for problem in &problems {
                            text.push_str(&format!("  {}: {}\n", problem.kind, problem.detail));
                        }
                        print(&text)?;
                    }
                }
                Ok(if problems.is_empty() {
                    Outcome::Ok
                } else {
                    Outcome::Violations
                })
            })
        }
    }
}

fn run_snapshot(args: &StoreArgs, format: Format) -> anyhow::Result<Outcome> {
    let now = args.now()?;
    let started = std::time::Instant::now();
    let bar = crate::output::progress_bar(format, 0, "packing the journal");
    let written = block_on(async {
        let store = Store::open_existing(&args.database).await?;
        let tick = |done: i64, head: i64| {
            bar.set_length(head.max(0) as u64);
            bar.set_position(done.max(0) as u64);
        };
        let written = store.write_snapshot(&actor(), now, tick).await;
        store.close().await;
        Ok::<_, anyhow::Error>((written?, store.url().to_owned()))
    });
    bar.finish_and_clear();
    let (written, url) = written?;
    #[derive(Serialize)]
    struct SnapshotJson {
        written: bool,
        seq: i64,
        parts: i64,
        changes: i64,
        bytes: i64,
        seconds: f64,
    }
    let info = written;
    let report = SnapshotJson {
        written: written.is_some(),
        seq: info.map_or(0, |i| i.seq),
        parts: info.map_or(0, |i| i.parts),
        changes: info.map_or(0, |i| i.changes),
        bytes: info.map_or(0, |i| i.bytes),
        seconds: (started.elapsed().as_secs_f64() * 100.0).round() / 100.0,
    };
    match format {
        Format::Json => print_json(&report)?,
        Format::Text if report.written => print(&format!(
            "{url}: wrote a snapshot of journal rows 1 to {} ({} parts, {:.1} MB) in {:.1} s\n",
            report.seq,
            report.parts,
            report.bytes as f64 / 1e6,
            report.seconds
        ))?,
        Format::Text => print(&format!(
            "{url}: the journal is empty: nothing to snapshot\n"
        ))?,
    }
    Ok(Outcome::Ok)
}

fn report_schema(
    format: Format,
    url: &str,
    what: &str,
    versions: &[i64],
) -> anyhow::Result<Outcome> {
    #[derive(Serialize)]
    struct SchemaJson<'a> {
        database: &'a str,
        versions: &'a [i64],
    }
    match format {
        Format::Json => print_json(&SchemaJson {
            database: url,
            versions,
        })?,
        Format::Text => {
            let versions = if versions.is_empty() {
                "none".to_owned()
            } else {
                versions
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            print(&format!(
                "{url}: {what} (schema versions applied: {versions})\n"
            ))?;
        }
    }
    Ok(Outcome::Ok)
}

/// Reads a region from the files given to `import`: one JSON file, four CSV files, or a
/// directory with the four CSV files.
fn read_import(files: &[String], name: &str) -> anyhow::Result<Region> {
    let csv_paths: Vec<String> = match files {
        [one] if Path::new(one).is_dir() => CsvTable::ALL
            .iter()
            .map(|table| Path::new(one).join(table.file_name()).display().to_string())
            .collect(),
        [one] => return Ok(read_region(one, &load::read(one, load::Input::REGION)?)?),
        many if many.len() == 4 => many.to_vec(),
        _ => bail!(
            "import takes a region JSON file, or its four CSV tables (facilities.csv, \
             template_blocks.csv, clinicians.csv, members.csv) as four files or one directory"
        ),
    };
    let mut texts = Vec::with_capacity(4);
    for table in CsvTable::ALL {
        let path = csv_paths
            .iter()
            .find(|path| {
                Path::new(path).file_name().and_then(|n| n.to_str()) == Some(table.file_name())
            })
            .with_context(|| format!("the CSV tables need a file named {}", table.file_name()))?;
        texts.push((path.clone(), load::read(path, load::Input::REGION)?));
    }
    let file = |index: usize| CsvFile {
        name: &texts[index].0,
        text: &texts[index].1,
    };
    let files = CsvFiles {
        facilities: file(0),
        template_blocks: file(1),
        clinicians: file(2),
        members: file(3),
    };
    Ok(read_region_csv(
        caretime_core::id::RegionId(0),
        name.to_owned(),
        &files,
    )?)
}

pub(crate) fn run_import(args: &ImportArgs, format: Format) -> anyhow::Result<Outcome> {
    let now = args.store.now()?;
    let (rules, rules_text) = load::rule_set_with_text(&args.rules)?;
    let region = read_import(&args.files, &args.name)?;
    let first = now.to_zoned(rules.time_zone().clone()).date();
    let started = std::time::Instant::now();
    let bar = crate::output::progress_bar(format, 0, "importing rows");
    let imported = block_on(async {
        let store = Store::open(&args.store.database).await?;
        let tick = |done: usize, total: usize| {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        };
        let imported = store
            .import_region(&region, &rules_text, first, &actor(), now, &tick)
            .await;
        store.close().await;
        Ok(imported?)
    });
    bar.finish_and_clear();
    let imported = imported?;
    #[derive(Serialize)]
    struct ImportJson {
        facilities: usize,
        template_blocks: usize,
        clinicians: usize,
        members: usize,
        rule_set: String,
        first_date: String,
        seconds: f64,
    }
    let report = ImportJson {
        facilities: imported.facilities,
        template_blocks: imported.template_blocks,
        clinicians: imported.clinicians,
        members: imported.members,
        rule_set: rules.name().to_owned(),
        first_date: first.to_string(),
        seconds: (started.elapsed().as_secs_f64() * 100.0).round() / 100.0,
    };
    match format {
        Format::Json => print_json(&report)?,
        Format::Text => print(&format!(
            "imported {} facilities, {} clinicians ({} template blocks) and {} members in {:.1} s; \
             deadlines follow {}; the book starts {}\n",
            report.facilities,
            report.clinicians,
            report.template_blocks,
            report.members,
            report.seconds,
            report.rule_set,
            report.first_date
        ))?,
    }
    Ok(Outcome::Ok)
}

/// An appointment as `book` and `appointments` print it (ids only: no member data).
#[derive(Debug, Serialize)]
struct AppointmentJson {
    id: String,
    member: String,
    kind: String,
    clinician: String,
    facility: String,
    start: String,
    end: String,
    status: String,
    route: String,
    modality: String,
    deadline: String,
    timely: bool,
    late_business_days: Option<i64>,
    cancel_reason: Option<String>,
    cancelled_by: Option<String>,
}

/// `at` in the IANA zone `zone` as RFC 3339 with its offset (UTC if the zone is unknown).
pub(crate) fn local(at: Timestamp, zone: &str) -> String {
    match jiff::tz::TimeZone::get(zone) {
        Ok(zone) => rfc3339(&at.to_zoned(zone)),
        Err(_) => at.to_string(),
    }
}

impl AppointmentJson {
    fn from_row(row: &AppointmentRow) -> AppointmentJson {
        AppointmentJson {
            id: AppointmentId(row.id).to_string(),
            member: MemberId(row.member).to_string(),
            kind: row.kind.clone(),
            clinician: ClinicianId(row.clinician).to_string(),
            facility: caretime_core::id::FacilityId(row.facility).to_string(),
            start: local(row.start, &row.zone),
            end: local(row.end, &row.zone),
            status: row.status.clone(),
            route: row.route.clone(),
            modality: row.modality.clone(),
            deadline: local(row.deadline, &row.zone),
            timely: row.offered_met,
            late_business_days: (!row.offered_met).then_some(row.offered_late_days),
            cancel_reason: row.cancel_reason.clone(),
            cancelled_by: row.cancelled_by.clone(),
        }
    }

    fn from_appointment(region: &Region, a: &Appointment) -> AppointmentJson {
        let zone = region
            .facilities
            .get(a.facility.index())
            .and_then(|f| f.time_zone.iana_name())
            .unwrap_or("UTC");
        let end = a.start + jiff::SignedDuration::from_mins(i64::from(a.length));
        let (timely, late) = match a.offered.timeliness {
            caretime_engine::find::Timeliness::Met => (true, None),
            caretime_engine::find::Timeliness::Late { business_days } => {
                (false, Some(i64::from(business_days)))
            }
        };
        AppointmentJson {
            id: a.id.to_string(),
            member: a.request.member.to_string(),
            kind: a.request.kind.slug().to_owned(),
            clinician: a.clinician.to_string(),
            facility: a.facility.to_string(),
            start: local(a.start, zone),
            end: local(end, zone),
            status: a.status.code().to_owned(),
            route: a.route.slug().to_owned(),
            modality: a.modality.slug().to_owned(),
            deadline: local(a.deadline, zone),
            timely,
            late_business_days: late,
            cancel_reason: a.cancellation.map(|c| c.reason.slug().to_owned()),
            cancelled_by: a.cancellation.map(|c| c.by.slug().to_owned()),
        }
    }
}

fn appointment_text(a: &AppointmentJson) -> Vec<String> {
    let timely = match a.late_business_days {
        None => "timely".to_owned(),
        Some(days) => format!("{days} business days late"),
    };
    vec![
        a.id.clone(),
        a.start.clone(),
        a.clinician.clone(),
        a.member.clone(),
        a.kind.clone(),
        a.status.clone(),
        a.route.clone(),
        timely,
    ]
}

/// What a refused or conflicting decision prints.
fn refusal_text(region: &Region, refusals: &[Refusal]) -> String {
    if refusals.is_empty() {
        return "the database refused the write twice (another process kept writing the same time)"
            .to_owned();
    }
    refusals
        .iter()
        .map(|refusal| match refusal {
            // The time as the clinician's facility tells it, not in UTC.
            Refusal::NotFree { clinician, start } => {
                let zone = region
                    .clinicians
                    .get(clinician.index())
                    .and_then(|c| region.facilities.get(c.facility.index()))
                    .and_then(|f| f.time_zone.iana_name());
                format!(
                    "{clinician} is not free at {} (the time is taken)",
                    zone.map_or(start.to_string(), |zone| local(*start, zone))
                )
            }
            other => other.to_string(),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn report_decision(
    decision: &Decision,
    live: &LiveBook,
    format: Format,
    what: &str,
) -> anyhow::Result<Outcome> {
    #[derive(Serialize)]
    struct RefusedJson {
        outcome: &'static str,
        reasons: Vec<String>,
    }
    match decision {
        Decision::Committed { changes, .. } => {
            let appointments: Vec<AppointmentJson> = changes
                .iter()
                .filter_map(|change| match change {
                    Change::Create(a) => Some(AppointmentJson::from_appointment(live.region(), a)),
                    Change::SetStatus { appointment, .. } => live
                        .appointment(*appointment)
                        .map(|a| AppointmentJson::from_appointment(live.region(), &a)),
                    _ => None,
                })
                .collect();
            match format {
                Format::Json => match appointments.as_slice() {
                    [one] => print_json(one)?,
                    many => print_json(&many)?,
                },
                Format::Text => {
                    for a in &appointments {
                        print(&format!(
                            "{what} {}: {} with {} at {} ({}, {}, deadline {}{})\n",
                            a.id,
                            a.member,
                            a.clinician,
                            a.start,
                            a.status,
                            a.route,
                            a.deadline,
                            match a.late_business_days {
                                None => String::new(),
                                Some(days) => format!(", {days} business days late"),
                            }
                        ))?;
                    }
                }
            }
            Ok(Outcome::Ok)
        }
        Decision::Refused(refusals) | Decision::Conflict(refusals) => {
            let outcome = if matches!(decision, Decision::Conflict(_)) {
                "conflict"
            } else {
                "refused"
            };
            match format {
                Format::Json => print_json(&RefusedJson {
                    outcome,
                    reasons: refusals.iter().map(ToString::to_string).collect(),
                })?,
                Format::Text => print(&format!(
                    "{outcome}: {}\n",
                    refusal_text(live.region(), refusals)
                ))?,
            }
            Ok(Outcome::Violations)
        }
    }
}

pub(crate) fn run_book(args: &BookArgs, format: Format) -> anyhow::Result<Outcome> {
    let now = args.store.now()?;
    let kind: RequestKind = args.kind.parse()?;
    let member: MemberId = parse_id("--member", &args.member)?;
    let requested = match &args.requested {
        Some(text) => parse_instant("--requested", text)?,
        None => now,
    };
    if requested > now {
        bail!("--requested is after --now: a request is made before it is booked");
    }
    let treating = args
        .treating
        .as_deref()
        .map(|text| parse_id::<ClinicianId>("--treating", text))
        .transpose()?;
    let choice = match (&args.clinician, &args.start) {
        (Some(clinician), Some(start)) => Some(Choice {
            clinician: parse_id("--clinician", clinician)?,
            start: parse_instant("--start", start)?,
        }),
        _ => None,
    };
    let take = if args.hold { Take::Hold } else { Take::Book };
    let actor = actor();
    block_on(async {
        let store = Store::open_existing(&args.store.database).await?;
        // Ids are checked against the region's size before anything is read (or audited).
        let size = store.region_size().await?;
        if member.index() >= size.members {
            bail!("{member} is not a member of the region");
        }
        for clinician in treating.iter().chain(choice.iter().map(|c| &c.clinician)) {
            if clinician.index() >= size.clinicians {
                bail!("{clinician} is not a clinician of the region");
            }
        }
        let mut live = LiveBook::load(&store, now, &actor).await?;
        let audit = AuditEvent {
            action: "create",
            entity: "appointment",
            entity_id: None,
            outcome: "ok",
        };
        let decide = |ctx: DecideContext<'_>| {
            let request = Request {
                id: ctx.next_request,
                member,
                kind,
                requested,
                prior_appointment: None,
                clinical_exception: None,
                treating_clinician: treating,
                preferences: Preferences::ANY,
            };
            book_decision(ctx, &request, choice, take, now)
        };
        let decision = match live.decide(now, &actor, audit, decide).await {
            Ok(decision) => decision,
            // Nobody has time for this member: an outcome (exit 1), not bad input.
            Err(error) if error.downcast_ref::<NoFreeTime>().is_some() => {
                store.close().await;
                print(&format!("refused: {error}\n"))?;
                return Ok(Outcome::Violations);
            }
            Err(error) => return Err(error),
        };
        let outcome = report_decision(
            &decision,
            &live,
            format,
            if args.hold { "held" } else { "booked" },
        );
        store.close().await;
        outcome
    })
}

/// The engine found no time for a request in the book's horizon: an error for `caretime book`,
/// a count for `bench store` (which finds it with `downcast_ref`).
#[derive(Debug)]
pub(crate) struct NoFreeTime;

impl std::fmt::Display for NoFreeTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "no clinician has free time for this request in the book's {} days",
            caretime_store::live::LOOKAHEAD_DAYS
        )
    }
}

impl std::error::Error for NoFreeTime {}

/// The engine's decision for `request`: its best offer, or the chosen clinician's time. What
/// `caretime book` decides, and each of `bench store`'s bookings.
pub(crate) fn book_decision(
    ctx: DecideContext<'_>,
    request: &Request,
    choice: Option<Choice>,
    take: Take,
    now: Timestamp,
) -> anyhow::Result<caretime_engine::book::Outcome> {
    ctx.book
        .decide_request(ctx.region, ctx.rules, request, choice, take, now)?
        .ok_or_else(|| NoFreeTime.into())
}

pub(crate) fn run_cancel(args: &CancelArgs, format: Format) -> anyhow::Result<Outcome> {
    let now = args.store.now()?;
    let id: AppointmentId = parse_id("the appointment", &args.id)?;
    let reason = CancellationReason::from_slug(&args.reason).with_context(|| {
        format!(
            "--reason must be one of {}",
            CancellationReason::VARIANTS
                .iter()
                .map(|r| r.slug())
                .collect::<Vec<_>>()
                .join(", ")
        )
    })?;
    let by = CancelledBy::from_slug(&args.by).context("--by must be member or plan")?;
    let actor = actor();
    block_on(async {
        let store = Store::open_existing(&args.store.database).await?;
        let mut live = LiveBook::load(&store, now, &actor).await?;
        let audit = AuditEvent {
            action: "update",
            entity: "appointment",
            entity_id: Some(id.0.to_string()),
            outcome: "ok",
        };
        let decision = live
            .decide(now, &actor, audit, |ctx| {
                anyhow::Ok(ctx.book.decide_cancel(id, reason, by, now))
            })
            .await?;
        let outcome = report_decision(&decision, &live, format, "cancelled");
        store.close().await;
        outcome
    })
}

/// The stored appointments of `--member` and `--clinician` (each optional), read (and audited)
/// as of `--now`.
pub(crate) fn stored_appointments(
    store: &StoreArgs,
    member: Option<&str>,
    clinician: Option<&str>,
) -> anyhow::Result<Vec<AppointmentRow>> {
    let now = store.now()?;
    let filter = AppointmentFilter {
        member: member
            .map(|text| parse_id::<MemberId>("--member", text))
            .transpose()?
            .map(|id| id.0),
        clinician: clinician
            .map(|text| parse_id::<ClinicianId>("--clinician", text))
            .transpose()?
            .map(|id| id.0),
    };
    block_on(async {
        let store = Store::open_existing(store.database()).await?;
        // An unknown id is a mistake to say, not an empty list (and reads nothing).
        let size = store.region_size().await?;
        if let Some(member) = filter.member
            && member as usize >= size.members
        {
            bail!("{} is not a member of the region", MemberId(member));
        }
        if let Some(clinician) = filter.clinician
            && clinician as usize >= size.clinicians
        {
            bail!(
                "{} is not a clinician of the region",
                ClinicianId(clinician)
            );
        }
        let rows = store.appointments(filter, &actor(), now).await;
        store.close().await;
        Ok(rows?)
    })
}

pub(crate) fn run_appointments(args: &AppointmentsArgs, format: Format) -> anyhow::Result<Outcome> {
    let rows = stored_appointments(
        &args.store,
        args.member.as_deref(),
        args.clinician.as_deref(),
    )?;
    let appointments: Vec<AppointmentJson> = rows.iter().map(AppointmentJson::from_row).collect();
    match format {
        Format::Json => print_json(&appointments)?,
        Format::Text if appointments.is_empty() => print("no appointments\n")?,
        Format::Text => {
            let mut lines = vec![
                [
                    "id",
                    "start",
                    "clinician",
                    "member",
                    "kind",
                    "status",
                    "route",
                    "timeliness",
                ]
                .map(str::to_owned)
                .to_vec(),
            ];
            lines.extend(appointments.iter().map(appointment_text));
            print(&table(&lines))?;
        }
    }
    Ok(Outcome::Ok)
}
