//! `caretime rules` and `caretime contracts`: what ships, and what each says.

use caretime_core::calendar::weekday_slug;
use caretime_core::contract::Contract;
use caretime_core::files::builtin;
use caretime_core::rules::RuleSet;
use caretime_core::slug::Slug;
use caretime_core::template::format_minutes;
use clap::Subcommand;
use serde::Serialize;

use crate::output::{Format, print, print_json, table};
use crate::{Outcome, load};

/// `caretime rules ...`
#[derive(Debug, Subcommand)]
pub(crate) enum RulesCommand {
    /// List the built-in rule sets.
    List,
    /// Show a rule set: every deadline with its source, the calendar and the threshold.
    Show {
        /// A built-in name or a path to a rule set file.
        #[arg(value_name = "NAME|PATH")]
        name: String,
        /// Also list the holidays the rule set's calendar observes in this year.
        #[arg(long, value_name = "YEAR")]
        holidays: Option<i16>,
    },
}

/// `caretime contracts ...`
#[derive(Debug, Subcommand)]
pub(crate) enum ContractsCommand {
    /// List the built-in contracts.
    List,
    /// Show a contract's terms and what they mean for a full-time and a half-time week.
    Show {
        /// A built-in name or a path to a contract file.
        #[arg(value_name = "NAME|PATH")]
        name: String,
    },
}

#[derive(Debug, Serialize)]
struct DeadlineRuleJson {
    kind: &'static str,
    within: String,
    from: &'static str,
    source: String,
}

#[derive(Debug, Serialize)]
struct HolidayJson {
    date: String,
    name: String,
    source: String,
}

#[derive(Debug, Serialize)]
struct RuleSetJson {
    name: String,
    title: String,
    source: String,
    time_zone: String,
    weekdays: Vec<&'static str>,
    holiday_calendar: String,
    closures: Vec<String>,
    compliance_threshold: Option<f64>,
    compliance_threshold_source: Option<String>,
    clinical_exception: bool,
    clinical_exception_source: String,
    triage_minutes: Option<i64>,
    deadlines: Vec<DeadlineRuleJson>,
    #[serde(skip_serializing_if = "Option::is_none")]
    holidays: Option<Vec<HolidayJson>>,
}

impl RuleSetJson {
    fn new(rule_set: &RuleSet, holidays_year: Option<i16>) -> RuleSetJson {
        let calendar = rule_set.calendar();
        RuleSetJson {
            name: rule_set.name().to_owned(),
            title: rule_set.title().to_owned(),
            source: rule_set.source().to_owned(),
            time_zone: rule_set.time_zone_name().to_owned(),
            weekdays: calendar.weekdays().weekdays().map(weekday_slug).collect(),
            holiday_calendar: calendar.holidays().name().to_owned(),
            closures: calendar
                .closures()
                .iter()
                .map(ToString::to_string)
                .collect(),
            compliance_threshold: rule_set.compliance_threshold().map(|t| t.rate.fraction()),
            compliance_threshold_source: rule_set.compliance_threshold().map(|t| t.source.clone()),
            clinical_exception: rule_set.clinical_exception().allowed,
            clinical_exception_source: rule_set.clinical_exception().source.clone(),
            triage_minutes: rule_set.triage().map(|t| t.within.as_mins()),
            deadlines: rule_set
                .deadlines()
                .iter()
                .map(|rule| DeadlineRuleJson {
                    kind: rule.kind.slug(),
                    within: rule.within.to_string(),
                    from: rule.from.slug(),
                    source: rule.source.to_string(),
                })
                .collect(),
            holidays: holidays_year.map(|year| {
                calendar
                    .holidays()
                    .observed_in(year)
                    .into_iter()
                    .map(|(date, holiday)| HolidayJson {
                        date: date.to_string(),
                        name: holiday.name.clone(),
                        source: holiday.source.clone(),
                    })
                    .collect()
            }),
        }
    }
}

pub(crate) fn run_rules(command: &RulesCommand, format: Format) -> anyhow::Result<Outcome> {
    match command {
        RulesCommand::List => {
            let rule_sets: Vec<RuleSet> = builtin::rule_set_names()
                .filter_map(builtin::rule_set)
                .collect();
            match format {
                Format::Json => {
                    let listed: Vec<RuleSetJson> = rule_sets
                        .iter()
                        .map(|r| RuleSetJson::new(r, None))
                        .collect();
                    print_json(&listed)?;
                }
                Format::Text => {
                    let mut rows = vec![
                        ["NAME", "THRESHOLD", "TIME ZONE", "KINDS", "TITLE"]
                            .map(String::from)
                            .to_vec(),
                    ];
                    rows.extend(rule_sets.iter().map(|rule_set| {
                        vec![
                            rule_set.name().to_owned(),
                            rule_set
                                .compliance_threshold()
                                .map_or("-".to_owned(), |t| t.rate.to_string()),
                            rule_set.time_zone_name().to_owned(),
                            rule_set.deadlines().len().to_string(),
                            rule_set.title().to_owned(),
                        ]
                    }));
                    print(&table(&rows))?;
                }
            }
        }
        RulesCommand::Show { name, holidays } => {
            let rule_set = load::rule_set(name)?;
            let shown = RuleSetJson::new(&rule_set, *holidays);
            match format {
                Format::Json => print_json(&shown)?,
                Format::Text => print(&rule_set_text(&shown))?,
            }
        }
    }
    Ok(Outcome::Ok)
}

fn rule_set_text(shown: &RuleSetJson) -> String {
    let mut out = format!(
        "{} — {}\nsource: {}\n\n",
        shown.name, shown.title, shown.source
    );
    let mut rows = vec![
        vec!["time zone".to_owned(), shown.time_zone.clone()],
        vec![
            "business days".to_owned(),
            format!(
                "{} less {} holidays",
                shown.weekdays.join(" "),
                shown.holiday_calendar
            ),
        ],
    ];
    if !shown.closures.is_empty() {
        rows.push(vec!["closures".to_owned(), shown.closures.join(", ")]);
    }
    rows.push(vec![
        "compliance threshold".to_owned(),
        match (
            &shown.compliance_threshold,
            &shown.compliance_threshold_source,
        ) {
            (Some(rate), Some(source)) => format!("{:.0}% ({source})", rate * 100.0),
            _ => "none set by the source".to_owned(),
        },
    ]);
    rows.push(vec![
        "clinical exception".to_owned(),
        format!(
            "{} ({})",
            if shown.clinical_exception {
                "allowed"
            } else {
                "not allowed"
            },
            shown.clinical_exception_source
        ),
    ]);
    if let Some(minutes) = shown.triage_minutes {
        rows.push(vec![
            "telephone triage".to_owned(),
            format!("answered within {minutes} minutes, 24/7"),
        ]);
    }
    out.push_str(&table(&rows));
    out.push('\n');
    let mut deadlines = vec![
        ["KIND", "WITHIN", "FROM", "SOURCE"]
            .map(String::from)
            .to_vec(),
    ];
    deadlines.extend(shown.deadlines.iter().map(|rule| {
        vec![
            rule.kind.to_owned(),
            rule.within.clone(),
            rule.from.to_owned(),
            rule.source.clone(),
        ]
    }));
    out.push_str(&table(&deadlines));
    if let Some(holidays) = &shown.holidays {
        out.push('\n');
        let mut rows = vec![["DATE", "HOLIDAY", "SOURCE"].map(String::from).to_vec()];
        rows.extend(
            holidays
                .iter()
                .map(|h| vec![h.date.clone(), h.name.clone(), h.source.clone()]),
        );
        out.push_str(&table(&rows));
    }
    out
}

#[derive(Debug, Serialize)]
struct ContractJson {
    name: String,
    title: String,
    source: String,
    full_time_minutes: u32,
    protected_minutes: u32,
    meeting_minutes: u32,
    urgent_hold_slots: u32,
}

impl ContractJson {
    fn new(contract: &Contract) -> ContractJson {
        let terms = contract.terms();
        ContractJson {
            name: contract.name().to_owned(),
            title: contract.title().to_owned(),
            source: contract.source().to_owned(),
            full_time_minutes: terms.full_time_minutes,
            protected_minutes: terms.protected_minutes,
            meeting_minutes: terms.meeting_minutes,
            urgent_hold_slots: terms.urgent_hold_slots,
        }
    }
}

pub(crate) fn run_contracts(command: &ContractsCommand, format: Format) -> anyhow::Result<Outcome> {
    let contracts: Vec<Contract> = match command {
        ContractsCommand::List => builtin::contract_names()
            .filter_map(builtin::contract)
            .collect(),
        ContractsCommand::Show { name } => vec![load::contract(name)?],
    };
    match (command, format) {
        (ContractsCommand::List, Format::Json) => {
            print_json(&contracts.iter().map(ContractJson::new).collect::<Vec<_>>())?;
        }
        (ContractsCommand::Show { .. }, Format::Json) => {
            print_json(&ContractJson::new(&contracts[0]))?
        }
        (_, Format::Text) => {
            let mut rows = vec![
                [
                    "NAME",
                    "PROTECTED/WEEK",
                    "MEETINGS/WEEK",
                    "URGENT HOLDS",
                    "TITLE",
                ]
                .map(String::from)
                .to_vec(),
            ];
            rows.extend(contracts.iter().map(|contract| {
                let terms = contract.terms();
                vec![
                    contract.name().to_owned(),
                    format!(
                        "{} of {}",
                        format_minutes(terms.protected_minutes),
                        format_minutes(terms.full_time_minutes)
                    ),
                    format_minutes(terms.meeting_minutes),
                    terms.urgent_hold_slots.to_string(),
                    contract.title().to_owned(),
                ]
            }));
            print(&table(&rows))?;
            if let ContractsCommand::Show { .. } = command {
                print(&format!(
                    "\nsource: {}\nTerms are per full-time week, pro-rated by FTE (rounded up to the minute); templates must hold at least the protected time.\n",
                    contracts[0].source()
                ))?;
            }
        }
    }
    Ok(Outcome::Ok)
}
