//! `caretime demo`: a tour of what caretime computes today, on built-in data only.
//!
//! It grows with the product: each capability adds its part of the tour.

use caretime_core::files::builtin;
use caretime_core::region::Fte;
use caretime_core::request::RequestKind;
use caretime_core::rules::{DeadlineQuery, RuleSet};
use caretime_core::slug::Slug;
use caretime_core::template::{
    BlockKind, DayRange, WeeklyHours, check_template, format_minutes, standard_template,
};
use jiff::Timestamp;
use jiff::civil::Time;
use serde::Serialize;

use crate::Outcome;
use crate::deadline::parse_instant;
use crate::output::{Format, print_json, rfc3339, table};

/// The tour's requests: Tuesday of Thanksgiving week 2025, with a prior appointment the Thursday
/// before for follow-ups.
const REQUESTED: &str = "2025-11-25T16:30:00-08:00[America/Los_Angeles]";
const PRIOR_APPOINTMENT: &str = "2025-11-20T10:00:00-08:00[America/Los_Angeles]";

#[derive(Debug, Serialize)]
struct DemoDeadline {
    rule: String,
    kind: &'static str,
    deadline: Option<String>,
}

#[derive(Debug, Serialize)]
struct DemoContract {
    contract: String,
    protected_minutes: u32,
    direct_minutes: u32,
    direct_minutes_half_time: u32,
    valid: bool,
}

#[derive(Debug, Serialize)]
struct Demo {
    requested: String,
    prior_appointment: String,
    deadlines: Vec<DemoDeadline>,
    contracts: Vec<DemoContract>,
}

pub(crate) fn run(format: Format) -> anyhow::Result<Outcome> {
    let requested = parse_instant("requested", REQUESTED)?;
    let prior = parse_instant("prior appointment", PRIOR_APPOINTMENT)?;
    let rule_sets: Vec<RuleSet> = builtin::rule_set_names()
        .filter_map(builtin::rule_set)
        .collect();
    let demo = Demo {
        requested: REQUESTED.to_owned(),
        prior_appointment: PRIOR_APPOINTMENT.to_owned(),
        deadlines: deadlines(&rule_sets, requested, prior),
        contracts: contracts(),
    };
    match format {
        Format::Json => print_json(&demo)?,
        Format::Text => print!("{}", text(&demo, &rule_sets)),
    }
    Ok(Outcome::Ok)
}

fn deadlines(rule_sets: &[RuleSet], requested: Timestamp, prior: Timestamp) -> Vec<DemoDeadline> {
    let mut out = Vec::new();
    for rule_set in rule_sets {
        for kind in RequestKind::ALL {
            let query = DeadlineQuery {
                kind,
                requested,
                prior_appointment: (kind == RequestKind::FollowUp).then_some(prior),
                clinical_exception: None,
            };
            out.push(DemoDeadline {
                rule: rule_set.name().to_owned(),
                kind: kind.slug(),
                deadline: rule_set
                    .deadline(&query)
                    .ok()
                    .map(|deadline| rfc3339(&deadline.instant)),
            });
        }
    }
    out
}

fn contracts() -> Vec<DemoContract> {
    let half_time = Fte::from_hundredths(50).expect("0.50 is a valid FTE");
    let hours = WeeklyHours::weekdays(
        DayRange::new(Time::constant(8, 0, 0, 0), Time::constant(18, 0, 0, 0))
            .expect("08:00-18:00 is a valid range"),
    );
    builtin::contract_names()
        .filter_map(builtin::contract)
        .map(|contract| {
            let full = standard_template(&contract, Fte::FULL_TIME);
            let half = standard_template(&contract, half_time);
            DemoContract {
                contract: contract.name().to_owned(),
                protected_minutes: full.minutes(BlockKind::Protected),
                direct_minutes: full.minutes(BlockKind::Direct),
                direct_minutes_half_time: half.minutes(BlockKind::Direct),
                valid: check_template(&full, &contract, &hours).is_valid()
                    && check_template(&half, &contract, &hours).is_valid(),
            }
        })
        .collect()
}

fn text(demo: &Demo, rule_sets: &[RuleSet]) -> String {
    let mut out = String::from(
        "caretime demo\n=============\n\n1. Deadlines. The same requests, made on Tuesday of Thanksgiving week\n",
    );
    out.push_str(&format!(
        "   ({}; follow-ups after a visit on {}), under every built-in rule set.\n   '-' means the rule set sets no deadline for that kind.\n\n",
        demo.requested, demo.prior_appointment
    ));
    let mut header = vec!["KIND".to_owned()];
    header.extend(rule_sets.iter().map(|r| r.name().to_owned()));
    let mut rows = vec![header];
    for kind in RequestKind::ALL {
        let mut row = vec![kind.slug().to_owned()];
        for rule_set in rule_sets {
            let cell = demo
                .deadlines
                .iter()
                .find(|d| d.rule == rule_set.name() && d.kind == kind.slug())
                .and_then(|d| d.deadline.clone())
                // Dates are enough in the grid; `caretime deadline` prints the full instant.
                .map_or("-".to_owned(), |deadline| deadline[..16].replace('T', " "));
            row.push(cell);
        }
        rows.push(row);
    }
    out.push_str(&table(&rows));
    out.push_str(
        "\n   ca-dmhc's 10 business days skip Thanksgiving and the day after (California state holidays);\n   md-comar counts calendar days; ny-98 and ncqa-bh count post-discharge in calendar days.\n   Try: caretime deadline --rules ca-dmhc --kind initial --requested '2025-11-25T16:30:00-08:00[America/Los_Angeles]'\n\n",
    );
    out.push_str("2. Contracts. Each contract's standard week for a full-time clinician (40 paid hours,\n   2.5 h meetings, 2 urgent-hold hours), checked against the contract:\n\n");
    let mut rows = vec![
        [
            "CONTRACT",
            "PROTECTED",
            "DIRECT (1.0 FTE)",
            "DIRECT (0.5 FTE)",
            "CHECK",
        ]
        .map(String::from)
        .to_vec(),
    ];
    rows.extend(demo.contracts.iter().map(|c| {
        vec![
            c.contract.clone(),
            format_minutes(c.protected_minutes),
            format_minutes(c.direct_minutes),
            format_minutes(c.direct_minutes_half_time),
            if c.valid { "valid" } else { "INVALID" }.to_owned(),
        ]
    }));
    out.push_str(&table(&rows));
    out.push_str(
        "\n   Every protected hour a contract adds removes one direct (bookable) hour per full-time week.\n   Try: caretime template check examples/templates/short-protected.toml --contract socal-2025\n",
    );
    out
}
