//! `caretime find`: ranked offers for one request in a region file.

use std::str::FromStr;

use anyhow::{Context, bail};
use caretime_core::id::{ClinicianId, IdError, MemberId, RequestId};
use caretime_core::region::Region;
use caretime_core::request::{Preferences, Request, RequestKind};
use caretime_core::rules::RuleSet;
use caretime_core::slug::Slug;
use caretime_engine::availability::{FreeKind, Horizon};
use caretime_engine::book::{Book, BookPolicy};
use caretime_engine::find::{Offers, Timeliness};
use caretime_region::file::read_region;
use clap::Args;
use jiff::{Timestamp, ToSpan};
use serde::Serialize;

use crate::deadline::parse_instant;
use crate::output::{Format, print, print_json, rfc3339, table};
use crate::{Outcome, load};

/// Arguments of `caretime find`.
#[derive(Debug, Args)]
#[command(
    after_help = "Offers are ranked: continuity with the treating clinician when timely, then \
internal clinicians within the deadline (language-concordant first), then network providers \
within the deadline, else the earliest start anywhere with an out-of-network arrangement (SB 855). \
The book is empty: every clinician's template time over the horizon is free."
)]
pub(crate) struct FindArgs {
    /// Region file (JSON, as written by `caretime region generate`).
    #[arg(long, value_name = "FILE")]
    region: String,
    /// The member: an id such as 42 or member-42 (never a name or plan number).
    #[arg(long, value_name = "ID")]
    member: String,
    /// Request kind: initial, follow-up, urgent, urgent-prior-auth, psychiatry, post-discharge,
    /// non-life-threatening-emergency.
    #[arg(long)]
    kind: String,
    /// When the request was made, with its zone: 2025-12-01T08:00:00-08:00[America/Los_Angeles].
    #[arg(long, value_name = "TIME")]
    requested: String,
    /// Rule set: a built-in name or a path to a rule set file.
    #[arg(long, value_name = "NAME|PATH", default_value = "ca-dmhc")]
    rules: String,
    /// The treating clinician, for continuity: an id such as 7 or clinician-7.
    #[arg(long, value_name = "ID")]
    treating: Option<String>,
    /// Start of the prior appointment (follow-ups count from it, SB 221).
    #[arg(long, value_name = "TIME")]
    prior_appointment: Option<String>,
    /// The time of the search (default: the request time).
    #[arg(long, value_name = "TIME")]
    now: Option<String>,
    /// Days of template time to search, from the request's date.
    #[arg(long, default_value_t = 84, value_parser = clap::value_parser!(u32).range(1..=400))]
    horizon_days: u32,
    /// In-person care only within this distance of the member's home, in km.
    #[arg(long, default_value_t = BookPolicy::STANDARD.find.max_travel_km)]
    max_travel_km: f64,
}

/// An id flag: `42` or `member-42` (the one spelling of caretime_core::id).
fn parse_id<Id: FromStr<Err = IdError>>(flag: &str, text: &str) -> anyhow::Result<Id> {
    text.parse().map_err(|err: IdError| {
        anyhow::anyhow!("{flag} must be a number such as 7, or {}-7", err.kind)
    })
}

#[derive(Debug, Serialize)]
struct OfferReport {
    rank: usize,
    route: &'static str,
    clinician: String,
    clinician_name: String,
    discipline: &'static str,
    facility: String,
    start: String,
    length_minutes: u32,
    modality: &'static str,
    interpreter: Option<String>,
    time: &'static str,
    timely: bool,
    late_business_days: Option<u32>,
}

#[derive(Debug, Serialize)]
struct ArrangementReport {
    reason: &'static str,
    deadline: String,
}

#[derive(Debug, Serialize)]
struct FindReport {
    member: String,
    kind: &'static str,
    requested: String,
    rule_set: String,
    rule: String,
    deadline: String,
    last_day: Option<String>,
    clinical_exception: bool,
    offers: Vec<OfferReport>,
    out_of_network_arrangement: Option<ArrangementReport>,
}

impl FindReport {
    fn new(region: &Region, rules: &RuleSet, request: &Request, offers: &Offers) -> FindReport {
        let zone = rules.time_zone();
        let local = |at: Timestamp| rfc3339(&at.to_zoned(zone.clone()));
        FindReport {
            member: request.member.to_string(),
            kind: request.kind.slug(),
            requested: local(request.requested),
            rule_set: offers.rule_set.to_string(),
            rule: offers.rule.to_string(),
            deadline: local(offers.deadline),
            last_day: offers.last_day.map(|day| day.to_string()),
            clinical_exception: offers.clinical_exception,
            offers: offers
                .offers
                .iter()
                .enumerate()
                .map(|(idx, offer)| {
                    let clinician = &region.clinicians[offer.clinician.index()];
                    OfferReport {
                        rank: idx + 1,
                        route: offer.route.slug(),
                        clinician: offer.clinician.to_string(),
                        clinician_name: clinician.name.clone(),
                        discipline: clinician.discipline.slug(),
                        facility: region.facilities[offer.facility.index()].name.clone(),
                        start: local(offer.start),
                        length_minutes: offer.length,
                        modality: offer.modality.slug(),
                        interpreter: offer.interpreter.map(|language| language.to_string()),
                        time: match offer.time {
                            FreeKind::Direct => "direct",
                            FreeKind::UrgentHold => "urgent-hold",
                        },
                        timely: offer.timeliness.is_met(),
                        late_business_days: match offer.timeliness {
                            Timeliness::Met => None,
                            Timeliness::Late { business_days } => Some(business_days),
                        },
                    }
                })
                .collect(),
            out_of_network_arrangement: offers.arrangement.as_ref().map(|arrangement| {
                ArrangementReport {
                    reason: "no internal or network offer meets the deadline (SB 855)",
                    deadline: local(arrangement.deadline),
                }
            }),
        }
    }
}

pub(crate) fn run(args: &FindArgs, format: Format) -> anyhow::Result<Outcome> {
    let rules = load::rule_set(&args.rules)?;
    let kind = RequestKind::from_str(&args.kind)?;
    let requested = parse_instant("--requested", &args.requested)?;
    let now = match &args.now {
        Some(text) => parse_instant("--now", text)?,
        None => requested,
    };
    if !(args.max_travel_km.is_finite() && args.max_travel_km >= 0.0) {
        bail!("--max-travel-km must be a distance of 0 or more");
    }
    let region = read_region(
        &args.region,
        &load::read(&args.region, load::Input::REGION)?,
    )?;
    let member: MemberId = parse_id("--member", &args.member)?;
    if member.index() >= region.members.len() {
        bail!("{member} is not a member of the region");
    }
    let treating = args
        .treating
        .as_deref()
        .map(|text| parse_id::<ClinicianId>("--treating", text))
        .transpose()?;
    if let Some(clinician) = treating
        && clinician.index() >= region.clinicians.len()
    {
        bail!("{clinician} is not a clinician of the region");
    }
    let request = Request {
        id: RequestId(0),
        member,
        kind,
        requested,
        prior_appointment: args
            .prior_appointment
            .as_deref()
            .map(|text| parse_instant("--prior-appointment", text))
            .transpose()?,
        clinical_exception: None,
        treating_clinician: treating,
        preferences: Preferences::ANY,
    };
    let first = requested.to_zoned(rules.time_zone().clone()).date();
    let horizon = Horizon {
        first,
        last: first
            .checked_add(i64::from(args.horizon_days - 1).days())
            .context("the horizon runs past the supported dates")?,
    };
    let mut policy = BookPolicy::STANDARD;
    policy.find.max_travel_km = args.max_travel_km;
    let book = Book::new(&region, horizon, &[], policy)?;
    let offers = book.find(&region, &rules, &request, now)?;
    let report = FindReport::new(&region, &rules, &request, &offers);
    match format {
        Format::Json => print_json(&report)?,
        Format::Text => print(&text(&report))?,
    }
    Ok(Outcome::Ok)
}

fn text(report: &FindReport) -> String {
    let mut out = table(&[
        vec!["member".to_owned(), report.member.clone()],
        vec![
            "request".to_owned(),
            format!("{} at {}", report.kind, report.requested),
        ],
        vec![
            "deadline".to_owned(),
            match &report.last_day {
                Some(day) => format!("{} (last day {day})", report.deadline),
                None => report.deadline.clone(),
            },
        ],
        vec![
            "rule".to_owned(),
            format!("{}: {}", report.rule_set, report.rule),
        ],
    ]);
    out.push('\n');
    let mut rows = vec![
        [
            "#",
            "route",
            "clinician",
            "facility",
            "start",
            "min",
            "modality",
            "interpreter",
            "timeliness",
        ]
        .map(str::to_owned)
        .to_vec(),
    ];
    for offer in &report.offers {
        rows.push(vec![
            offer.rank.to_string(),
            offer.route.to_owned(),
            format!("{} ({})", offer.clinician, offer.discipline),
            offer.facility.clone(),
            offer.start.clone(),
            offer.length_minutes.to_string(),
            offer.modality.to_owned(),
            offer.interpreter.clone().unwrap_or_else(|| "-".to_owned()),
            match offer.late_business_days {
                None => "met".to_owned(),
                Some(days) => format!("late by {days} business days"),
            },
        ]);
    }
    if report.offers.is_empty() {
        out.push_str(
            "no offer: no clinician who fits the request (discipline, modality and distance, \
             language) has time in the horizon\n",
        );
    } else {
        out.push_str(&table(&rows));
    }
    if let Some(arrangement) = &report.out_of_network_arrangement {
        out.push_str(&format!(
            "\nout-of-network arrangement: {} (deadline {})\n",
            arrangement.reason, arrangement.deadline
        ));
    }
    out
}
