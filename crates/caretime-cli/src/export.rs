//! `caretime export appointments|region|report|census`: what a database holds, out as files
//! (`census` in [`crate::census`]).

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, bail};
use caretime_core::slug::Slug;
use caretime_engine::report::{AccessReport, Period, access_report};
use caretime_region::file::{CsvTable, write_region_csv, write_region_json};
use caretime_store::Store;
use caretime_store::live::LiveBook;
use caretime_store::query::AppointmentRow;
use clap::{Args, Subcommand};
use jiff::Timestamp;
use jiff::civil::Date;
use serde::Serialize;

use crate::Outcome;
use crate::output::{Format, print, print_json, table, write_file};
use crate::store::{StoreArgs, actor, block_on};

/// `caretime export ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum ExportCommand {
    /// The stored appointments as CSV (one row each; --format json for a JSON array).
    Appointments(ExportAppointmentsArgs),
    /// The stored region as a region JSON file (or its four CSV tables with --csv).
    Region(ExportRegionArgs),
    /// The stored book's access report: compliance in the regulator's terms, waits, follow-ups,
    /// routes, attendance and the workforce, for the requests made in a period.
    Report(ExportReportArgs),
    /// The stored book's provider census: the Provider Appointment Availability Survey question
    /// (next available urgent, non-urgent and follow-up appointment) answered for every
    /// provider at one instant, as rates of compliance against 70% and 90%.
    Census(ExportCensusArgs),
}

/// Arguments of `caretime export census`.
#[derive(Debug, Args)]
#[command(
    after_help = "Rates are providers with an appointment within the standard over \
eligible providers (28 CCR 1300.67.2.2 (b)(12)(A), (f)), by network, provider type (npmh: every \
discipline but psychiatrist) and facility; urgent is judged against 96 hours (48 also shown), \
non-urgent against 10 business days (15 for psychiatrists), follow-up against 10. Waits are \
hours for urgent, business days otherwise; mean and median of providers with availability. \
A provider with nothing free in the book's horizon is eligible and not compliant.

--csv writes one row per provider and question. Columns: survey_at, clinician_id, clinician, \
facility_id, facility, network, provider_type, discipline, question, request_kind, standard, \
next_available, time, wait_hours, wait_business_days, within_standard, within_48_hours. \
Instants are RFC 3339 in UTC; a provider with nothing free has empty next_available, time and \
waits."
)]
pub(crate) struct ExportCensusArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// The survey instant [default: --now]; asked of the book as it stands.
    #[arg(long, value_name = "INSTANT")]
    at: Option<String>,
    /// Write the raw rows as CSV instead of the rates.
    #[arg(long)]
    csv: bool,
    /// Also draw a PAAS-like sample of N providers per question, network and provider type,
    /// with each rate's 95% Wilson interval (finite-population corrected).
    #[arg(long, value_name = "N")]
    sample: Option<u32>,
    /// The sample's seed.
    #[arg(long, value_name = "SEED", default_value_t = 1, requires = "sample")]
    seed: u64,
    /// Write to this file instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
}

/// Arguments of `caretime export appointments`.
#[derive(Debug, Args)]
#[command(
    after_help = "Columns: id, request, member, kind, requested, deadline, clinician, \
facility, start, end, time_kind, modality, route, status, timely, late_business_days, \
cancel_reason, cancelled_by. Instants are local to the facility, with their offset; ids are \
numbers. Members appear by id only."
)]
pub(crate) struct ExportAppointmentsArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// Only this member's.
    #[arg(long, value_name = "ID")]
    member: Option<String>,
    /// Only this clinician's.
    #[arg(long, value_name = "ID")]
    clinician: Option<String>,
    /// Write to this file instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
}

/// Arguments of `caretime export region`.
#[derive(Debug, Args)]
pub(crate) struct ExportRegionArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// Write the region JSON file here (`-` for stdout).
    #[arg(short, long, value_name = "FILE", required_unless_present = "csv")]
    output: Option<String>,
    /// Write the four CSV tables into this directory instead.
    #[arg(long, value_name = "DIR", conflicts_with = "output")]
    csv: Option<PathBuf>,
}

/// Arguments of `caretime export report`.
#[derive(Debug, Args)]
pub(crate) struct ExportReportArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// First date of requests counted [default: the book's first date].
    #[arg(long, value_name = "DATE")]
    from: Option<String>,
    /// Last date of requests counted [default: today, in the rule set's zone].
    #[arg(long, value_name = "DATE")]
    to: Option<String>,
}

pub(crate) fn run(command: &ExportCommand, format: Format) -> anyhow::Result<Outcome> {
    match command {
        ExportCommand::Appointments(args) => appointments(args, format),
        ExportCommand::Region(args) => region(args),
        ExportCommand::Report(args) => report(args, format),
        ExportCommand::Census(args) => crate::census::export(
            &args.store,
            &crate::census::CensusOptions {
                at: args.at.as_deref(),
                csv: args.csv,
                sample: args.sample.map(|n| (n, args.seed)),
                output: args.output.as_deref(),
            },
            format,
        ),
    }
}

#[derive(Debug, Serialize)]
struct AppointmentLine {
    id: u32,
    request: u32,
    member: u32,
    kind: String,
    requested: String,
    deadline: String,
    clinician: u32,
    facility: u32,
    start: String,
    end: String,
    time_kind: String,
    modality: String,
    route: String,
    status: String,
    timely: bool,
    late_business_days: Option<i64>,
    cancel_reason: Option<String>,
    cancelled_by: Option<String>,
}

impl AppointmentLine {
    fn new(row: &AppointmentRow) -> AppointmentLine {
        let local = |at: Timestamp| crate::store::local(at, &row.zone);
        AppointmentLine {
            id: row.id,
            request: row.request,
            member: row.member,
            kind: row.kind.clone(),
            requested: local(row.requested),
            deadline: local(row.deadline),
            clinician: row.clinician,
            facility: row.facility,
            start: local(row.start),
            end: local(row.end),
            time_kind: row.time_kind.clone(),
            modality: row.modality.clone(),
            route: row.route.clone(),
            status: row.status.clone(),
            timely: row.offered_met,
            late_business_days: (!row.offered_met).then_some(row.offered_late_days),
            cancel_reason: row.cancel_reason.clone(),
            cancelled_by: row.cancelled_by.clone(),
        }
    }
}

fn appointments(args: &ExportAppointmentsArgs, format: Format) -> anyhow::Result<Outcome> {
    let rows = crate::store::stored_appointments(
        &args.store,
        args.member.as_deref(),
        args.clinician.as_deref(),
    )?;
    let lines: Vec<AppointmentLine> = rows.iter().map(AppointmentLine::new).collect();
    let write = |out: &mut dyn Write| -> std::io::Result<()> {
        match format {
            Format::Json => {
                serde_json::to_writer_pretty(&mut *out, &lines)?;
                out.write_all(b"\n")
            }
            Format::Text => {
                let mut csv = csv::Writer::from_writer(out);
                for line in &lines {
                    csv.serialize(line)?;
                }
                if lines.is_empty() {
                    csv.write_record([
                        "id",
                        "request",
                        "member",
                        "kind",
                        "requested",
                        "deadline",
                        "clinician",
                        "facility",
                        "start",
                        "end",
                        "time_kind",
                        "modality",
                        "route",
                        "status",
                        "timely",
                        "late_business_days",
                        "cancel_reason",
                        "cancelled_by",
                    ])?;
                }
                csv.flush()
            }
        }
    };
    match &args.output {
        Some(path) => write_file(path, |out| write(out))?,
        None => {
            let mut out = crate::output::stdout();
            write(&mut out).context("cannot write to stdout")?;
        }
    }
    Ok(Outcome::Ok)
}

fn region(args: &ExportRegionArgs) -> anyhow::Result<Outcome> {
    let now = args.store.now()?;
    let stored = block_on(async {
        let store = Store::open_existing(args.store.database()).await?;
        let stored = store.load_region(&actor(), now).await;
        store.close().await;
        Ok(stored?)
    })?;
    let region = &stored.region;
    if let Some(dir) = &args.csv {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create `{}`", dir.display()))?;
        for table in CsvTable::ALL {
            write_file(&dir.join(table.file_name()), |out| {
                write_region_csv(region, table, out).map_err(std::io::Error::other)
            })?;
        }
    } else {
        match args.output.as_deref() {
            Some("-") | None => {
                let mut out = std::io::BufWriter::new(crate::output::stdout());
                write_region_json(region, &mut out)?;
                out.flush().context("cannot write to stdout")?;
            }
            Some(path) => write_file(std::path::Path::new(path), |out| {
                write_region_json(region, out).map_err(std::io::Error::other)
            })?,
        }
    }
    Ok(Outcome::Ok)
}

#[derive(Debug, Serialize)]
struct RowJson {
    label: String,
    requests: u64,
    timely: u64,
    unserved: u64,
    rate: Option<f64>,
    median_wait_business_days: Option<u32>,
    p90_wait_business_days: Option<u32>,
}

#[derive(Debug, Serialize)]
struct BreakdownJson {
    dimension: &'static str,
    rows: Vec<RowJson>,
}

#[derive(Debug, Serialize)]
struct ReportJson {
    first: String,
    last: String,
    rule_set: String,
    /// The rule set's threshold, shown for reference: DMHC's applies to the provider census
    /// (`export census`), not to this share of requests.
    threshold: Option<f64>,
    overall: RowJson,
    breakdowns: Vec<BreakdownJson>,
    follow_ups: usize,
    follow_up_standard_business_days: Option<u32>,
    follow_ups_within_standard: Option<f64>,
    follow_up_median_business_days: Option<u32>,
    follow_ups_with_treating_clinician: u64,
    routes_continuity: u64,
    routes_internal: u64,
    routes_network: u64,
    out_of_network_arrangements: u64,
    fulfilled: u64,
    no_show: u64,
    cancelled_by_member: u64,
    cancelled_by_plan: u64,
    members_per_therapist_fte: Option<f64>,
    sessions_per_clinician_day: Option<f64>,
}

fn row_json(row: &caretime_engine::report::ComplianceRow) -> RowJson {
    RowJson {
        label: row.label.clone(),
        requests: row.requests(),
        timely: row.timely,
        unserved: row.unserved,
        rate: row.rate(),
        median_wait_business_days: row.waits.quantile(0.5),
        p90_wait_business_days: row.waits.quantile(0.9),
    }
}

fn report_json(report: &AccessReport) -> ReportJson {
    ReportJson {
        first: report.period.first.to_string(),
        last: report.period.last.to_string(),
        rule_set: report.rule_set.clone(),
        threshold: report.threshold,
        overall: row_json(&report.overall),
        breakdowns: report
            .breakdowns
            .iter()
            .map(|breakdown| BreakdownJson {
                dimension: breakdown.dimension.slug(),
                rows: breakdown.rows.iter().map(row_json).collect(),
            })
            .collect(),
        follow_ups: report.follow_ups.business_days.total() as usize,
        follow_up_standard_business_days: report.follow_ups.standard_business_days,
        follow_ups_within_standard: report.follow_ups.within_standard(),
        follow_up_median_business_days: report.follow_ups.business_days.quantile(0.5),
        follow_ups_with_treating_clinician: report.follow_ups.with_treating_clinician,
        routes_continuity: report.routes.continuity,
        routes_internal: report.routes.internal,
        routes_network: report.routes.network,
        out_of_network_arrangements: report.routes.arrangements,
        fulfilled: report.attendance.fulfilled,
        no_show: report.attendance.no_show,
        cancelled_by_member: report.attendance.cancelled_by_member,
        cancelled_by_plan: report.attendance.cancelled_by_plan,
        members_per_therapist_fte: report.workforce.members_per_fte(),
        sessions_per_clinician_day: report.workforce.sessions_per_clinician_day(),
    }
}

fn parse_date(flag: &str, text: &str) -> anyhow::Result<Date> {
    caretime_core::time_input::parse_date(text).map_err(|error| anyhow::anyhow!("{flag} {error}"))
}

fn report(args: &ExportReportArgs, format: Format) -> anyhow::Result<Outcome> {
    let now = args.store.now()?;
    let from = args
        .from
        .as_deref()
        .map(|t| parse_date("--from", t))
        .transpose()?;
    let to = args
        .to
        .as_deref()
        .map(|t| parse_date("--to", t))
        .transpose()?;
    let (region, rules, book) = block_on(async {
        let store = Store::open_existing(args.store.database()).await?;
        let live = LiveBook::load(&store, now, &actor()).await;
        store.close().await;
        Ok(live?.into_parts())
    })?;
    let period = Period {
        first: from.unwrap_or(book.availability().horizon().first),
        last: to.unwrap_or_else(|| now.to_zoned(rules.time_zone().clone()).date()),
    };
    if period.last < period.first {
        bail!("--to is before --from (or before the book's first date)");
    }
    let report = access_report(&book, &region, &rules, period)?;
    let json = report_json(&report);
    match format {
        Format::Json => print_json(&json)?,
        Format::Text => print(&report_text(&json))?,
    }
    Ok(Outcome::Ok)
}

fn percent(share: Option<f64>) -> String {
    share.map_or("-".to_owned(), |s| format!("{:.1} %", s * 100.0))
}

fn report_text(report: &ReportJson) -> String {
    let mut out = format!(
        "requests made {} to {}, deadlines under {}; requests offered within standard \
         (demand-weighted)\n\n",
        report.first, report.last, report.rule_set
    );
    let mut rows = vec![
        [
            "",
            "requests",
            "offered in time",
            "rate",
            "median wait (bd)",
            "p90 (bd)",
        ]
        .map(str::to_owned)
        .to_vec(),
    ];
    let line = |row: &RowJson| {
        vec![
            row.label.clone(),
            row.requests.to_string(),
            row.timely.to_string(),
            percent(row.rate),
            row.median_wait_business_days
                .map_or("-".to_owned(), |d| d.to_string()),
            row.p90_wait_business_days
                .map_or("-".to_owned(), |d| d.to_string()),
        ]
    };
    rows.push(line(&report.overall));
    if let Some(kinds) = report.breakdowns.iter().find(|b| b.dimension == "kind") {
        rows.extend(kinds.rows.iter().map(line));
    }
    out.push_str(&table(&rows));
    out.push_str(&format!(
        "\nthe rule set's threshold (a rate of surveyed providers: see export census): {}\nfollow-ups kept: {} (median {} business days; {} within the {} business-day standard)\nroutes: {} continuity, {} internal, {} network; {} out-of-network arrangements\nattendance: {} fulfilled, {} no-shows, {} cancelled by members, {} by the plan\n",
        percent(report.threshold),
        report.follow_ups,
        report.follow_up_median_business_days.map_or("-".to_owned(), |d| d.to_string()),
        percent(report.follow_ups_within_standard),
        report.follow_up_standard_business_days.map_or("-".to_owned(), |d| d.to_string()),
        report.routes_continuity,
        report.routes_internal,
        report.routes_network,
        report.out_of_network_arrangements,
        report.fulfilled,
        report.no_show,
        report.cancelled_by_member,
        report.cancelled_by_plan,
    ));
    out
}
