//! `caretime find`: ranked offers for one request in a region file.

use std::str::FromStr;

use anyhow::{Context, bail};
use caretime_core::calendar::{WeekdayMask, parse_weekday};
use caretime_core::id::{AppointmentId, ClinicianId, IdError, MemberId, RequestId};
use caretime_core::region::{Modality, Region};
use caretime_core::request::{Preferences, Request, RequestKind};
use caretime_core::rules::RuleSet;
use caretime_core::slug::Slug;
use caretime_engine::availability::Horizon;
use caretime_engine::book::{AppointmentStatus, Book, BookPolicy, Change, Outcome as Decision};
use caretime_engine::find::{Offer, Offers, Timeliness};
use caretime_region::file::read_region;
use clap::Args;
use jiff::civil::Time;
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
Each offer names its clinician's languages (an interpreter is booked beside a clinician who does \
not speak the member's) and, in person, the distance from the member's home. The engine ranks a \
few offers, one per route; further offers, up to --offers, are its best with the clinicians \
already listed set aside, so each comes from another clinician. --prefer-days and \
--prefer-times are hard filters, as the member's own preferences are in every find. With \
--region the book is empty (every clinician's template time over the horizon is free); with \
--database it is the stored book as of --now."
)]
pub(crate) struct FindArgs {
    /// Region file (JSON, as written by `caretime region generate`): an empty book.
    #[arg(long, value_name = "FILE", required_unless_present = "database")]
    region: Option<String>,
    /// Or a database (sqlite://FILE, postgres://...): its region, rule set and stored book,
    /// searched with the standard policy.
    #[arg(
        long,
        value_name = "URL",
        conflicts_with_all = ["region", "rules", "horizon_days", "max_travel_km"]
    )]
    database: Option<String>,
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
    /// Rule set: a built-in name or a path to a rule set file [default: ca-dmhc; a database
    /// uses its own].
    #[arg(long, value_name = "NAME|PATH")]
    rules: Option<String>,
    /// The treating clinician, for continuity: an id such as 7 or clinician-7.
    #[arg(long, value_name = "ID")]
    treating: Option<String>,
    /// Start of the prior appointment (follow-ups count from it, SB 221).
    #[arg(long, value_name = "TIME")]
    prior_appointment: Option<String>,
    /// The time of the search (default: the request time).
    #[arg(long, value_name = "TIME")]
    now: Option<String>,
    /// Days of template time to search, from the request's date (with --region; a database's
    /// book reaches 180 days past today).
    #[arg(long, default_value_t = 84, value_parser = clap::value_parser!(u32).range(1..=400))]
    horizon_days: u32,
    /// In-person care only within this distance of the member's home, in km.
    #[arg(long, default_value_t = BookPolicy::STANDARD.find.max_travel_km)]
    max_travel_km: f64,
    /// Days the member can come, comma-separated: mon,tue,wed,thu,fri,sat,sun [default: any].
    #[arg(long, value_name = "DAYS")]
    prefer_days: Option<String>,
    /// Hours the member can come, local time, such as 09:00-12:00: offers start at the first
    /// and end by the second [default: any].
    #[arg(long, value_name = "FROM-TO")]
    prefer_times: Option<String>,
    /// Offers to show, each from another clinician: the engine's ranked offers, then its best
    /// with the clinicians already listed set aside.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=20))]
    offers: u32,
}

/// Parses `--prefer-days`: weekday names, comma-separated.
fn parse_days(text: &str) -> anyhow::Result<WeekdayMask> {
    let mut days = Vec::new();
    for name in text.split(',').map(str::trim) {
        let Some(day) = parse_weekday(&name.to_ascii_lowercase()) else {
            bail!(
                "--prefer-days takes weekdays such as mon,wed (mon, tue, wed, thu, fri, sat, sun), \
                 comma-separated"
            );
        };
        days.push(day);
    }
    WeekdayMask::new(&days).context("--prefer-days needs at least one weekday")
}

/// Parses `--prefer-times FROM-TO` into the earliest and latest starts of an appointment of
/// `length` minutes that starts at FROM or later and ends by TO.
fn parse_times(text: &str, length: u32) -> anyhow::Result<(Time, Time)> {
    let times = text.split_once('-').and_then(|(from, to)| {
        Some((
            from.trim().parse::<Time>().ok()?,
            to.trim().parse::<Time>().ok()?,
        ))
    });
    let Some((from, to)) = times else {
        bail!("--prefer-times takes local hours such as 09:00-12:00");
    };
    let minutes = |time: Time| i32::from(time.hour()) * 60 + i32::from(time.minute());
    if to <= from {
        bail!("--prefer-times must end after it starts, such as 09:00-12:00");
    }
    let latest = minutes(to) - length as i32;
    if latest < minutes(from) {
        bail!("--prefer-times is shorter than a {length}-minute appointment");
    }
    let latest = Time::new((latest / 60) as i8, (latest % 60) as i8, 0, 0)?;
    Ok((from, latest))
}

/// An id flag: `42` or `member-42` (the one spelling of caretime_core::id).
pub(crate) fn parse_id<Id: FromStr<Err = IdError>>(flag: &str, text: &str) -> anyhow::Result<Id> {
    text.parse().map_err(|err: IdError| {
        anyhow::anyhow!("{flag} must be a number such as 7, or {}-7", err.kind)
    })
}

#[derive(Debug, Serialize)]
struct OfferReport {
    rank: usize,
    /// Whether the engine ranked it with the best (false), or found it with the clinicians
    /// listed before it set aside (true).
    alternative: bool,
    route: &'static str,
    clinician: String,
    clinician_name: String,
    discipline: &'static str,
    clinician_languages: Vec<String>,
    facility: String,
    /// From the member's home to the facility, in person only (km, as the crow flies).
    distance_km: Option<f64>,
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

/// The days and hours the member asked for (`None`: any).
#[derive(Debug, Serialize)]
struct PreferencesReport {
    days: Option<Vec<&'static str>>,
    /// Local starts from the first through the second (inclusive).
    starts: Option<[String; 2]>,
}

#[derive(Debug, Serialize)]
struct FindReport {
    member: String,
    member_language: String,
    member_accepts: Vec<&'static str>,
    preferences: PreferencesReport,
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
    /// The report of `offers`, listing `listed` (the first `engine_ranked` of them the engine's
    /// own ranking, the rest alternatives).
    fn new(
        region: &Region,
        rules: &RuleSet,
        request: &Request,
        offers: &Offers,
        listed: &[Offer],
        engine_ranked: usize,
    ) -> FindReport {
        let zone = rules.time_zone();
        let local = |at: Timestamp| rfc3339(&at.to_zoned(zone.clone()));
        let member = &region.members[request.member.index()];
        let preferences = request.preferences;
        FindReport {
            member: request.member.to_string(),
            member_language: member.language.to_string(),
            member_accepts: Modality::ALL
                .into_iter()
                .filter(|modality| member.accepts.contains(*modality))
                .map(Slug::slug)
                .collect(),
            preferences: PreferencesReport {
                days: (preferences.weekdays != WeekdayMask::EVERY_DAY).then(|| {
                    preferences
                        .weekdays
                        .weekdays()
                        .map(caretime_core::calendar::weekday_slug)
                        .collect()
                }),
                starts: (preferences.earliest_start != Preferences::ANY.earliest_start
                    || preferences.latest_start != Preferences::ANY.latest_start)
                    .then(|| {
                        [preferences.earliest_start, preferences.latest_start]
                            .map(|time| time.strftime("%H:%M").to_string())
                    }),
            },
            kind: request.kind.slug(),
            requested: local(request.requested),
            rule_set: offers.rule_set.to_string(),
            rule: offers.rule.to_string(),
            deadline: local(offers.deadline),
            last_day: offers.last_day.map(|day| day.to_string()),
            clinical_exception: offers.clinical_exception,
            offers: listed
                .iter()
                .enumerate()
                .map(|(idx, offer)| {
                    let clinician = &region.clinicians[offer.clinician.index()];
                    let facility = &region.facilities[offer.facility.index()];
                    OfferReport {
                        rank: idx + 1,
                        alternative: idx >= engine_ranked,
                        route: offer.route.slug(),
                        clinician: offer.clinician.to_string(),
                        clinician_name: clinician.name.clone(),
                        discipline: clinician.discipline.slug(),
                        clinician_languages: clinician
                            .languages
                            .iter()
                            .map(ToString::to_string)
                            .collect(),
                        facility: facility.name.clone(),
                        distance_km: (offer.modality == Modality::InPerson).then(|| {
                            let km = member.home.expose().distance_km(facility.location);
                            (km * 10.0).round() / 10.0
                        }),
                        start: local(offer.start),
                        length_minutes: offer.length,
                        modality: offer.modality.slug(),
                        interpreter: offer.interpreter.map(|language| language.to_string()),
                        time: offer.time.slug(),
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
    let kind = RequestKind::from_str(&args.kind)?;
    let requested = parse_instant("--requested", &args.requested)?;
    let now = match &args.now {
        Some(text) => parse_instant("--now", text)?,
        None => requested,
    };
    if !(args.max_travel_km.is_finite() && args.max_travel_km >= 0.0) {
        bail!("--max-travel-km must be a distance of 0 or more");
    }
    let member: MemberId = parse_id("--member", &args.member)?;
    let treating = args
        .treating
        .as_deref()
        .map(|text| parse_id::<ClinicianId>("--treating", text))
        .transpose()?;
    let prior_appointment = args
        .prior_appointment
        .as_deref()
        .map(|text| parse_instant("--prior-appointment", text))
        .transpose()?;
    let mut policy = BookPolicy::STANDARD;
    policy.find.max_travel_km = args.max_travel_km;
    let mut preferences = Preferences::ANY;
    if let Some(text) = &args.prefer_days {
        preferences.weekdays = parse_days(text)?;
    }
    if let Some(text) = &args.prefer_times {
        (preferences.earliest_start, preferences.latest_start) =
            parse_times(text, policy.find.lengths.minutes(kind))?;
    }
    let (region, rules, book) = match (&args.region, &args.database) {
        (Some(path), _) => {
            let rules = load::rule_set(args.rules.as_deref().unwrap_or("ca-dmhc"))?;
            let region = read_region(path, &load::read(path, load::Input::REGION)?)?;
            let first = requested.to_zoned(rules.time_zone().clone()).date();
            let horizon = Horizon {
                first,
                last: first
                    .checked_add(i64::from(args.horizon_days - 1).days())
                    .context("the horizon runs past the supported dates")?,
            };
            let book = Book::new(&region, horizon, &[], policy)?;
            (region, rules, book)
        }
        (None, Some(url)) => crate::store::load_book(url, now)?,
        (None, None) => bail!("find needs --region FILE or --database URL"),
    };
    if member.index() >= region.members.len() {
        bail!("{member} is not a member of the region");
    }
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
        prior_appointment,
        clinical_exception: None,
        treating_clinician: treating,
        preferences,
    };
    let offers = book.find(&region, &rules, &request, now)?;
    let mut listed: Vec<Offer> = Vec::new();
    for offer in &offers.offers {
        if listed.len() < args.offers as usize
            && !listed
                .iter()
                .any(|known| known.clinician == offer.clinician)
        {
            listed.push(offer.clone());
        }
    }
    let engine_ranked = listed.len();
    alternatives(
        book,
        &region,
        &rules,
        &request,
        now,
        &mut listed,
        args.offers as usize,
    )?;
    let report = FindReport::new(&region, &rules, &request, &offers, &listed, engine_ranked);
    match format {
        Format::Json => print_json(&report)?,
        Format::Text => print(&text(&report))?,
    }
    Ok(Outcome::Ok)
}

/// Adds to `listed`, until it holds `count` offers, the engine's best offer with every clinician
/// listed so far set aside (on leave over the whole horizon of a scratch `book`): one per
/// clinician, in the order a scheduler would offer them.
fn alternatives(
    mut book: Book,
    region: &Region,
    rules: &RuleSet,
    request: &Request,
    now: Timestamp,
    listed: &mut Vec<Offer>,
    count: usize,
) -> anyhow::Result<()> {
    let horizon = book.availability().horizon();
    let mut set_aside = 0;
    while listed.len() < count {
        for offer in &listed[set_aside..] {
            // A stored book's appointments of the clinician go first (this book is a scratch
            // copy), so the leave displaces nothing.
            let held: Vec<Change> = book
                .appointment_briefs()
                .enumerate()
                .filter(|(_, brief)| {
                    brief.clinician == offer.clinician && brief.status.holds_time()
                })
                .map(|(id, brief)| Change::SetStatus {
                    appointment: AppointmentId(id as u32),
                    from: brief.status,
                    to: AppointmentStatus::EnteredInError,
                    cancellation: None,
                })
                .collect();
            book.apply(&held)?;
            let template = book
                .schedule(offer.clinician)
                .context("an offered clinician has a schedule")?
                .template
                .clone();
            let leave = vec![(horizon.first, horizon.last)];
            match book.decide_reschedule(offer.clinician, template, leave, horizon.first)? {
                Decision::Accepted(changes) => book.apply(&changes)?,
                // The scratch book holds no appointment a leave could displace.
                Decision::Refused(_) => bail!("could not set {} aside", offer.clinician),
            }
        }
        set_aside = listed.len();
        let next = book.find(region, rules, request, now)?;
        let Some(best) = next.best() else {
            break;
        };
        listed.push(best.clone());
    }
    Ok(())
}

fn text(report: &FindReport) -> String {
    let accepts = report.member_accepts.join(", ");
    let mut preferences = Vec::new();
    if let Some(days) = &report.preferences.days {
        preferences.push(days.join(","));
    }
    if let Some([from, through]) = &report.preferences.starts {
        preferences.push(format!("starts {from} through {through}"));
    }
    let mut out = table(&[
        vec![
            "member".to_owned(),
            format!(
                "{} (language {}; accepts {accepts}; {})",
                report.member,
                report.member_language,
                if preferences.is_empty() {
                    "any day and time".to_owned()
                } else {
                    preferences.join(", ")
                }
            ),
        ],
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
            "languages",
            "facility",
            "km",
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
            format!("{}{}", offer.rank, if offer.alternative { "*" } else { "" }),
            offer.route.to_owned(),
            format!("{} ({})", offer.clinician, offer.discipline),
            offer.clinician_languages.join(","),
            offer.facility.clone(),
            offer
                .distance_km
                .map_or_else(|| "-".to_owned(), |km| format!("{km:.1}")),
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
             language, the member's days and hours) has time in the horizon\n",
        );
    } else {
        out.push_str(&table(&rows));
        if report.offers.iter().any(|offer| offer.alternative) {
            out.push_str(
                "* the engine's best with the clinicians listed above it set aside (--offers)\n",
            );
        }
    }
    if let Some(arrangement) = &report.out_of_network_arrangement {
        out.push_str(&format!(
            "\nout-of-network arrangement: {} (deadline {})\n",
            arrangement.reason, arrangement.deadline
        ));
    }
    out
}
