//! `caretime deadline`: one request's deadline under a rule set.

use std::str::FromStr;

use anyhow::anyhow;
use caretime_core::calendar::DayOff;
use caretime_core::request::RequestKind;
use caretime_core::rules::{Anchor, Deadline, DeadlineQuery, RuleSet, Within};
use caretime_core::slug::Slug;
use caretime_core::time_input;
use clap::Args;
use jiff::Timestamp;
use jiff::civil::Date;
use serde::Serialize;

use crate::output::{Format, print, print_json, rfc3339, table};
use crate::{Outcome, load};

/// Arguments of `caretime deadline`.
#[derive(Debug, Args)]
#[command(
    after_help = "Deadline semantics: an N-hour deadline is the request instant plus N real hours \
(DST-safe). For N business or calendar days, the local date of the request (or of the prior \
appointment) in the rule set's time zone is day 0; the appointment must start on or before the Nth \
business (or calendar) day after it, and the deadline is local midnight at the end of that day."
)]
pub(crate) struct DeadlineArgs {
    /// Rule set: a built-in name (see `caretime rules list`) or a path to a rule set file.
    #[arg(long, value_name = "NAME|PATH")]
    rules: String,
    /// Request kind: initial, follow-up, urgent, urgent-prior-auth, psychiatry, post-discharge,
    /// non-life-threatening-emergency.
    #[arg(long)]
    kind: String,
    /// When the request was made, with its zone: 2025-11-25T16:30:00-08:00[America/Los_Angeles]
    /// (an RFC 3339 time with an offset is accepted too).
    #[arg(long, value_name = "TIME")]
    requested: String,
    /// Start of the prior appointment, for follow-ups counted from it (SB 221). Without it a
    /// follow-up counts from the request.
    #[arg(long, value_name = "TIME")]
    prior_appointment: Option<String>,
    /// A later date (YYYY-MM-DD) the treating clinician documented as not detrimental; only
    /// where the rule set allows clinical exceptions.
    #[arg(long, value_name = "DATE")]
    clinical_exception: Option<String>,
}

/// Parses a time the user gave (`caretime_core::time_input`: an offset that contradicts its zone
/// is refused). Messages never repeat the value: request times are member data.
pub(crate) fn parse_instant(flag: &str, text: &str) -> anyhow::Result<Timestamp> {
    time_input::parse_instant(text).map_err(|err| anyhow!("{flag} {err}"))
}

fn parse_date(flag: &str, text: &str) -> anyhow::Result<Date> {
    time_input::parse_date(text).map_err(|err| anyhow!("{flag} {err}"))
}

/// A day between day 0 and the last day that did not count, and why.
#[derive(Debug, Serialize)]
pub(crate) struct SkippedDay {
    date: String,
    reason: String,
}

/// The JSON shape of a deadline.
#[derive(Debug, Serialize)]
pub(crate) struct DeadlineReport {
    rule: String,
    kind: String,
    requested: String,
    deadline: String,
    days_counted: Option<u32>,
    hours: Option<u32>,
    source: String,
    unit: &'static str,
    counted_from: &'static str,
    anchor: String,
    time_zone: String,
    last_day: Option<String>,
    standard_deadline: String,
    clinical_exception: Option<String>,
    skipped: Vec<SkippedDay>,
    /// The deadline was already past when the request was made (a follow-up counted from a
    /// prior appointment long before): any appointment is late.
    passed_before_request: bool,
}

impl DeadlineReport {
    pub(crate) fn new(
        rule_set: &RuleSet,
        query: &DeadlineQuery,
        deadline: &Deadline<'_>,
    ) -> DeadlineReport {
        let zone = rule_set.time_zone().clone();
        let (unit, days_counted, hours) = match deadline.rule.within {
            Within::Hours(n) => ("hours", None, Some(n)),
            Within::BusinessDays(n) => ("business-days", Some(n), None),
            Within::CalendarDays(n) => ("calendar-days", Some(n), None),
        };
        DeadlineReport {
            rule: rule_set.name().to_owned(),
            kind: query.kind.slug().to_owned(),
            requested: rfc3339(&query.requested.to_zoned(zone)),
            deadline: rfc3339(&deadline.instant),
            days_counted,
            hours,
            source: deadline.rule.source.to_string(),
            unit,
            counted_from: deadline.anchor.slug(),
            anchor: rfc3339(&deadline.anchor_instant),
            time_zone: rule_set.time_zone_name().to_owned(),
            last_day: deadline.last_day.map(|day| day.to_string()),
            standard_deadline: rfc3339(&deadline.standard),
            clinical_exception: deadline.clinical_exception.map(|day| day.to_string()),
            skipped: skipped_days(rule_set, deadline),
            passed_before_request: deadline.instant.timestamp() <= query.requested,
        }
    }
}

/// Weekday holidays and closures between day 0 and the last day of a business-day deadline: the
/// days an auditor would ask about.
fn skipped_days(rule_set: &RuleSet, deadline: &Deadline<'_>) -> Vec<SkippedDay> {
    let (Within::BusinessDays(_), Some(last_day)) = (deadline.rule.within, deadline.last_day)
    else {
        return Vec::new();
    };
    let calendar = rule_set.calendar();
    let mut skipped = Vec::new();
    let mut day = deadline.anchor_instant.date();
    while day < last_day {
        let Ok(next) = day.tomorrow() else { break };
        day = next;
        let reason = match calendar.day_off(day) {
            Some(DayOff::Holiday(holiday)) => holiday.name.clone(),
            Some(DayOff::Closure) => "closure".to_owned(),
            Some(DayOff::Weekend) | None => continue,
        };
        skipped.push(SkippedDay {
            date: day.to_string(),
            reason,
        });
    }
    skipped
}

pub(crate) fn run(args: &DeadlineArgs, format: Format) -> anyhow::Result<Outcome> {
    let rule_set = load::rule_set(&args.rules)?;
    let kind = RequestKind::from_str(&args.kind)?;
    let query = DeadlineQuery {
        kind,
        requested: parse_instant("--requested", &args.requested)?,
        prior_appointment: args
            .prior_appointment
            .as_deref()
            .map(|text| parse_instant("--prior-appointment", text))
            .transpose()?,
        clinical_exception: args
            .clinical_exception
            .as_deref()
            .map(|text| parse_date("--clinical-exception", text))
            .transpose()?,
    };
    let deadline = rule_set.deadline(&query)?;
    let report = DeadlineReport::new(&rule_set, &query, &deadline);
    match format {
        Format::Json => print_json(&report)?,
        Format::Text => print(&text(&report, &deadline))?,
    }
    Ok(Outcome::Ok)
}

fn text(report: &DeadlineReport, deadline: &Deadline<'_>) -> String {
    let from = match deadline.anchor {
        Anchor::PriorAppointment => format!("the prior appointment, {}", report.anchor),
        Anchor::Request if deadline.rule.from == Anchor::PriorAppointment => {
            "the request (no --prior-appointment given)".to_owned()
        }
        Anchor::Request => "the request".to_owned(),
    };
    let mut rows = vec![
        vec!["rule set".to_owned(), report.rule.clone()],
        vec!["request kind".to_owned(), report.kind.clone()],
        vec![
            "standard".to_owned(),
            format!("{} from {from}", deadline.rule.within),
        ],
        vec![
            "requested".to_owned(),
            format!("{} ({})", report.requested, report.time_zone),
        ],
    ];
    if let Some(last_day) = &report.last_day {
        rows.push(vec![
            "last day".to_owned(),
            format!("{last_day} (the deadline is local midnight at its end)"),
        ]);
    }
    if !report.skipped.is_empty() {
        let skipped: Vec<String> = report
            .skipped
            .iter()
            .map(|day| format!("{} {}", day.date, day.reason))
            .collect();
        rows.push(vec!["not counted".to_owned(), skipped.join("; ")]);
    }
    if report.clinical_exception.is_some() {
        rows.push(vec![
            "standard deadline".to_owned(),
            format!("{} ({})", report.standard_deadline, report.time_zone),
        ]);
        rows.push(vec![
            "deadline".to_owned(),
            format!(
                "{} ({}, clinical exception)",
                report.deadline, report.time_zone
            ),
        ]);
    } else {
        rows.push(vec![
            "deadline".to_owned(),
            format!("{} ({})", report.deadline, report.time_zone),
        ]);
    }
    if report.passed_before_request {
        rows.push(vec![
            "note".to_owned(),
            "the deadline had passed before the request was made: any appointment is late"
                .to_owned(),
        ]);
    }
    rows.push(vec!["source".to_owned(), report.source.clone()]);
    table(&rows)
}
