//! `caretime demo`: a tour of what caretime computes today, on built-in data and a generated
//! region only.
//!
//! It grows with the product: each capability adds its part of the tour.

use caretime_core::files::builtin;
use caretime_core::id::{MemberId, RequestId};
use caretime_core::region::{Affiliation, Fte, Language};
use caretime_core::request::{Preferences, Request, RequestKind};
use caretime_core::rules::{DeadlineQuery, RuleSet};
use caretime_core::slug::Slug;
use caretime_core::template::{
    BlockKind, DayRange, WeeklyHours, check_template, format_minutes, standard_template,
};
use caretime_engine::availability::Horizon;
use caretime_engine::book::{Book, BookPolicy, Outcome as Decision, Take, TakeOffer};
use caretime_engine::find::Timeliness;
use caretime_region::generate::{RegionParams, generate};
use jiff::civil::{Time, date};
use jiff::{Timestamp, ToSpan};
use serde::Serialize;

use crate::Outcome;
use crate::deadline::parse_instant;
use crate::output::{Format, print, print_json, rfc3339, table};

/// The tour's requests: Tuesday of Thanksgiving week 2025, with a prior appointment the Thursday
/// before for follow-ups.
const REQUESTED: &str = "2025-11-25T16:30:00-08:00[America/Los_Angeles]";
const PRIOR_APPOINTMENT: &str = "2025-11-20T10:00:00-08:00[America/Los_Angeles]";

#[derive(Debug, Serialize)]
struct DemoDeadline {
    rule: String,
    kind: &'static str,
    deadline: Option<String>,
    /// The last day to be seen, for deadlines in days (the deadline is midnight at its end).
    last_day: Option<String>,
    /// The grid's cell: the last day, or a deadline in hours as local time with the zone's
    /// abbreviation ("2025-11-28 19:30 EST").
    #[serde(skip)]
    shown: Option<String>,
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
struct DemoOffer {
    request: String,
    route: &'static str,
    clinician: String,
    start: String,
    modality: &'static str,
    interpreter: Option<String>,
    timeliness: String,
    out_of_network_arrangement: bool,
}

#[derive(Debug, Serialize)]
struct DemoBooking {
    region: String,
    booked: usize,
    offers: Vec<DemoOffer>,
}

#[derive(Debug, Serialize)]
struct DemoScenario {
    scenario: String,
    contract: String,
    members_per_therapist: u32,
    offers_within_standard: Option<f64>,
    follow_up_mean_business_days: Option<f64>,
    follow_ups_within_sb_221: Option<f64>,
    visits_per_clinician_day: Option<f64>,
}

#[derive(Debug, Serialize)]
struct DemoStore {
    /// The backend (the embedded default), in a temporary file removed afterwards.
    database: &'static str,
    members: usize,
    /// Process A's booking.
    booked: String,
    /// What process B, loaded before A booked, was told when it asked for the same time.
    second_process: String,
    /// After a restart, the offers for ten requests equal the first process's.
    same_offers_after_restart: bool,
    journal_rows: i64,
    audit_rows: usize,
    problems: usize,
}

#[derive(Debug, Serialize)]
struct Demo {
    requested: String,
    prior_appointment: String,
    deadlines: Vec<DemoDeadline>,
    contracts: Vec<DemoContract>,
    booking: DemoBooking,
    store: DemoStore,
    simulation: Vec<DemoScenario>,
}

/// A book in the embedded SQLite default, in a temporary directory: two processes (two
/// caches) book one time, and a restart finds the same offers.
fn stored_book() -> anyhow::Result<DemoStore> {
    use caretime_engine::book::{Change, Choice};
    use caretime_store::live::{Decision, LiveBook};
    use caretime_store::{Actor, AuditEvent, Store};

    let dir = std::env::temp_dir().join(format!("caretime-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let url = format!("sqlite://{}", dir.join("book.db").display());
    let now = parse_instant("now", "2025-12-01T08:00:00-08:00[America/Los_Angeles]")?;
    let region = generate(&RegionParams::socal(0.002, 1))?;
    let rules_text = builtin::rule_set_text("ca-dmhc").unwrap_or_default();
    let first = date(2025, 12, 1);
    let actor = |who: &str| Actor {
        who: format!("demo:{who}"),
        source: "caretime demo".to_owned(),
    };
    let audit = || AuditEvent {
        action: "create",
        entity: "appointment",
        entity_id: None,
        outcome: "ok",
    };
    let request_for = |next, member| Request {
        id: next,
        member: MemberId(member),
        kind: RequestKind::Initial,
        requested: now,
        prior_appointment: None,
        clinical_exception: None,
        treating_clinician: None,
        preferences: Preferences::ANY,
    };
    let result = crate::store::block_on(async {
        let store = Store::open(&url).await?;
        store
            .import_region(
                &region,
                rules_text,
                first,
                &actor("import"),
                now,
                &|_, _| {},
            )
            .await?;
        let mut a = LiveBook::load(&store, now, &actor("a")).await?;
        let mut b = LiveBook::load(&store, now, &actor("b")).await?;
        let decision = a
            .decide(now, &actor("a"), audit(), |ctx| {
                crate::store::book_decision(
                    ctx,
                    &request_for(ctx.next_request, 1),
                    None,
                    Take::Book,
                    now,
                )
            })
            .await?;
        let Decision::Committed { changes, .. } = &decision else {
            anyhow::bail!("the demo's first booking was refused: {decision:?}");
        };
        let Some(Change::Create(booked)) = changes.first() else {
            anyhow::bail!("the demo's first booking made no appointment");
        };
        let choice = Choice {
            clinician: booked.clinician,
            start: booked.start,
        };
        let second = b
            .decide(now, &actor("b"), audit(), |ctx| {
                crate::store::book_decision(
                    ctx,
                    &request_for(ctx.next_request, 6),
                    Some(choice),
                    Take::Book,
                    now,
                )
            })
            .await?;
        let second_process = match &second {
            Decision::Committed { .. } => "booked it too (this must not happen)".to_owned(),
            Decision::Refused(reasons) | Decision::Conflict(reasons) => format!(
                "refused: {}",
                reasons
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        };
        let offers = |live: &LiveBook| -> anyhow::Result<Vec<_>> {
            let ctx = live.context();
            (10..20)
                .map(|member| {
                    Ok(ctx
                        .book
                        .find(
                            ctx.region,
                            ctx.rules,
                            &request_for(ctx.next_request, member),
                            now,
                        )?
                        .offers)
                })
                .collect()
        };
        let before = offers(&a)?;
        store.close().await;
        let reopened = Store::open(&url).await?;
        let restarted = LiveBook::load(&reopened, now, &actor("c")).await?;
        let same = offers(&restarted)? == before;
        let problems = reopened.check(&actor("c"), now).await?.len();
        let audit_rows = reopened.audit_log().await?.len();
        let journal_rows = restarted.seen();
        reopened.close().await;
        Ok(DemoStore {
            database: "SQLite, the embedded default, in a temporary file",
            members: region.members.len(),
            booked: format!(
                "{} for {}: {} at {}",
                booked.id,
                booked.request.member,
                booked.clinician,
                rfc3339(
                    &booked
                        .start
                        .to_zoned(jiff::tz::TimeZone::get("America/Los_Angeles")?)
                )
            ),
            second_process,
            same_offers_after_restart: same,
            journal_rows,
            audit_rows,
            problems,
        })
    });
    std::fs::remove_dir_all(&dir).ok();
    result
}

/// The demo's simulation: small, so that it runs in seconds (`caretime simulate` for more).
const DEMO_SCALE: f64 = 0.02;
const DEMO_MONTHS: u32 = 6;
const DEMO_REPLICATIONS: u32 = 3;

/// socal-2024 and norcal-2022, small and short, summarised in the figures the dispute was about.
fn simulation() -> anyhow::Result<Vec<DemoScenario>> {
    let mut rows = Vec::new();
    for name in ["socal-2024", "norcal-2022"] {
        let mut scenario = caretime_sim::scenario::builtin_scenario(name)
            .ok_or_else(|| anyhow::anyhow!("scenario {name} is built in"))??;
        scenario.region.scale = DEMO_SCALE;
        scenario.simulation.months = DEMO_MONTHS;
        scenario.simulation.replications = DEMO_REPLICATIONS;
        let (summary, _) = caretime_sim::simulate(&scenario, &|_, _| {})?;
        let mean = |table: &str, row: &str, column: &str| {
            summary.cell(table, row, column).and_then(|cell| cell.mean)
        };
        rows.push(DemoScenario {
            scenario: name.to_owned(),
            contract: summary.contract.clone(),
            members_per_therapist: summary.members_per_therapist,
            offers_within_standard: mean("compliance", "all", "within-standard"),
            follow_up_mean_business_days: mean("follow-ups", "all", "mean-business-days"),
            follow_ups_within_sb_221: mean("follow-ups", "all", "within-standard"),
            visits_per_clinician_day: mean("workforce", "internal", "sessions-per-day"),
        });
    }
    Ok(rows)
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
        booking: booking()?,
        store: stored_book()?,
        simulation: simulation()?,
    };
    match format {
        Format::Json => print_json(&demo)?,
        Format::Text => print(&text(&demo, &rule_sets))?,
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
            let deadline = rule_set.deadline(&query).ok();
            out.push(DemoDeadline {
                rule: rule_set.name().to_owned(),
                kind: kind.slug(),
                deadline: deadline.as_ref().map(|deadline| rfc3339(&deadline.instant)),
                last_day: deadline
                    .as_ref()
                    .and_then(|deadline| deadline.last_day)
                    .map(|day| day.to_string()),
                shown: deadline.as_ref().map(|deadline| match deadline.last_day {
                    Some(day) => day.to_string(),
                    None => deadline.instant.strftime("%Y-%m-%d %H:%M %Z").to_string(),
                }),
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

/// A small generated region (the `socal` preset at 0.2 %: 9,600 members), its first week booked
/// through the engine's decisions, then offers for four requests.
fn booking() -> anyhow::Result<DemoBooking> {
    let region = generate(&RegionParams::socal(0.002, 1))?;
    let rules = builtin::rule_set("ca-dmhc").expect("ca-dmhc is built in");
    let first = date(2025, 12, 1);
    let horizon = Horizon {
        first,
        last: first.checked_add(83.days())?,
    };
    let mut book = Book::new(&region, horizon, &[], BookPolicy::STANDARD)?;
    let monday = parse_instant("demo", "2025-12-01T08:00:00-08:00[America/Los_Angeles]")?;
    let request = |id: u32, member: u32, kind: RequestKind| Request {
        id: RequestId(id),
        member: MemberId(member),
        kind,
        requested: monday,
        prior_appointment: None,
        clinical_exception: None,
        treating_clinician: None,
        preferences: Preferences::ANY,
    };
    // Demand for a week and a half of internal capacity, all asked for on Monday morning.
    let mut booked = 0;
    for id in 0..250 {
        let asked = request(id, id, RequestKind::Initial);
        let offers = book.find(&region, &rules, &asked, monday)?;
        let Some(offer) = offers.best() else { continue };
        let taking = TakeOffer {
            request: &asked,
            offers: &offers,
            offer,
            choice: None,
            take: Take::Book,
        };
        if let Decision::Accepted(changes) = book.decide_take(&region, &taking, monday) {
            book.apply(&changes)?;
            booked += 1;
        }
    }
    let spanish = region
        .members
        .iter()
        .position(|member| member.language == Language::SPANISH)
        .unwrap_or(0) as u32;
    let therapist = book
        .appointments()
        .next()
        .map(|appointment| appointment.clinician);
    let mut follow_up = request(1003, 3, RequestKind::FollowUp);
    follow_up.prior_appointment = Some(parse_instant(
        "demo",
        "2025-11-24T09:00:00-08:00[America/Los_Angeles]",
    )?);
    follow_up.treating_clinician = therapist;
    let asks = [
        (
            "initial, Spanish-speaking member",
            request(1000, spanish, RequestKind::Initial),
        ),
        ("urgent", request(1001, 1, RequestKind::Urgent)),
        ("psychiatry", request(1002, 2, RequestKind::Psychiatry)),
        ("follow-up, treating clinician booked", follow_up),
    ];
    let zone = rules.time_zone().clone();
    let mut offers = Vec::new();
    for (label, asked) in asks {
        let found = book.find(&region, &rules, &asked, monday)?;
        let Some(best) = found.best() else {
            // Nobody who fits (here: an in-person-only member far from every psychiatrist).
            offers.push(DemoOffer {
                request: label.to_owned(),
                route: "-",
                clinician: "none within reach".to_owned(),
                start: "-".to_owned(),
                modality: "-",
                interpreter: None,
                timeliness: "no offer".to_owned(),
                out_of_network_arrangement: found.arrangement.is_some(),
            });
            continue;
        };
        offers.push(DemoOffer {
            request: label.to_owned(),
            route: best.route.slug(),
            clinician: format!(
                "{} ({})",
                best.clinician,
                region.clinicians[best.clinician.index()].discipline.slug()
            ),
            start: rfc3339(&best.start.to_zoned(zone.clone())),
            modality: best.modality.slug(),
            interpreter: best.interpreter.map(|language| language.to_string()),
            timeliness: match best.timeliness {
                Timeliness::Met => "met".to_owned(),
                Timeliness::Late { business_days } => {
                    format!("late by {business_days} business days")
                }
            },
            out_of_network_arrangement: found.arrangement.is_some(),
        });
    }
    Ok(DemoBooking {
        region: format!(
            "socal x0.002, seed 1: {} members, {} clinicians ({} network)",
            region.members.len(),
            region.clinicians.len(),
            region
                .clinicians
                .iter()
                .filter(|c| c.affiliation == Affiliation::Network)
                .count()
        ),
        booked,
        offers,
    })
}

/// "ca-dmhc, medicaid-438 and ncqa-bh in America/Los_Angeles; ny-98 and md-comar in
/// America/New_York": the rule sets grouped by zone, in the order they come.
fn zones(rule_sets: &[RuleSet]) -> String {
    let mut zones: Vec<(&str, Vec<&str>)> = Vec::new();
    for rule_set in rule_sets {
        let zone = rule_set.time_zone_name();
        match zones.iter_mut().find(|(known, _)| *known == zone) {
            Some((_, names)) => names.push(rule_set.name()),
            None => zones.push((zone, vec![rule_set.name()])),
        }
    }
    zones
        .iter()
        .map(|(zone, names)| {
            let names = match names.split_last() {
                Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
                _ => names.join(""),
            };
            format!("{names} in {zone}")
        })
        .collect::<Vec<_>>()
        .join(";\n   ")
}

fn text(demo: &Demo, rule_sets: &[RuleSet]) -> String {
    let mut out = String::from(
        "caretime demo\n=============\n\n1. Deadlines. The same requests, made on Tuesday of Thanksgiving week\n",
    );
    out.push_str(&format!(
        "   ({}; follow-ups after a visit on {}), under every built-in rule set.\n   A date is the last day to be seen (the deadline is local midnight at its end); a time is a\n   deadline in hours. Each rule set counts in its own zone:\n   {}.\n   '-' means the rule set sets no deadline for that kind.\n\n",
        demo.requested,
        demo.prior_appointment,
        zones(rule_sets)
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
                .and_then(|d| d.shown.clone())
                .unwrap_or_else(|| "-".to_owned());
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
        "\n   Every protected hour a contract adds removes one direct (bookable) hour per full-time week.\n   Try: caretime template check examples/templates/short-protected.toml --contract socal-2025\n\n",
    );
    out.push_str(&format!(
        "3. Booking. A generated region ({}),\n   {} initial requests booked on Monday 2025-12-01 at 08:00 through find, decide and apply;\n   then the best offer for four more requests (ca-dmhc):\n\n",
        demo.booking.region, demo.booking.booked
    ));
    let mut rows = vec![
        [
            "REQUEST",
            "ROUTE",
            "CLINICIAN",
            "START",
            "MODALITY",
            "INTERPRETER",
            "TIMELINESS",
        ]
        .map(String::from)
        .to_vec(),
    ];
    rows.extend(demo.booking.offers.iter().map(|offer| {
        vec![
            offer.request.clone(),
            offer.route.to_owned(),
            offer.clinician.clone(),
            offer
                .start
                .get(..16)
                .unwrap_or(&offer.start)
                .replace('T', " "),
            offer.modality.to_owned(),
            offer.interpreter.clone().unwrap_or_else(|| "-".to_owned()),
            if offer.out_of_network_arrangement {
                format!("{} + out-of-network arrangement", offer.timeliness)
            } else {
                offer.timeliness.clone()
            },
        ]
    }));
    out.push_str(&table(&rows));
    out.push_str(
        "\n   Offers go to the treating clinician when timely, then internal clinicians, then the network;\n   when nobody is in time, the earliest start anywhere with an out-of-network arrangement (SB 855).\n   Try: caretime region generate --scale 0.01 -o region.json && caretime find --region region.json --member 42 --kind initial --requested '2025-12-01T08:00:00-08:00[America/Los_Angeles]'\n\n",
    );
    let store = &demo.store;
    out.push_str(&format!(
        "4. A book that persists ({}): a region of {} members imported, then\n   two processes, each with its own cached book. Process A books {}.\n   Process B, loaded before that booking, asks for the same time: {}.\n   After a restart, the offers for ten more requests are {}. The journal holds {} change(s);\n   the audit log {} rows (the import, each load of member data, the bookings); `db check`: {}.\n   Try: caretime import region.json && caretime book --member 42 --kind initial && caretime appointments\n\n",
        store.database,
        store.members,
        store.booked,
        store.second_process,
        if store.same_offers_after_restart { "the same" } else { "DIFFERENT" },
        store.journal_rows,
        store.audit_rows,
        if store.problems == 0 { "no problems".to_owned() } else { format!("{} problems", store.problems) },
    ));
    out.push_str(&format!(
        "5. Simulation. Two built-in scenarios at {DEMO_SCALE} scale, {DEMO_MONTHS} months after a warm-up, {DEMO_REPLICATIONS} replications\n   (means), every booking through the same engine:\n\n"
    ));
    let percent =
        |value: Option<f64>| value.map_or("-".to_owned(), |v| format!("{:.1}%", v * 100.0));
    let number = |value: Option<f64>| value.map_or("-".to_owned(), |v| format!("{v:.1}"));
    let mut rows = vec![
        [
            "SCENARIO",
            "CONTRACT",
            "MEMBERS/THERAPIST",
            "OFFERS IN TIME",
            "FOLLOW-UP (BD)",
            "WITHIN SB 221",
            "VISITS/DAY",
        ]
        .map(String::from)
        .to_vec(),
    ];
    rows.extend(demo.simulation.iter().map(|row| {
        vec![
            row.scenario.clone(),
            row.contract.clone(),
            row.members_per_therapist.to_string(),
            percent(row.offers_within_standard),
            number(row.follow_up_mean_business_days),
            percent(row.follow_ups_within_sb_221),
            number(row.visits_per_clinician_day),
        ]
    }));
    out.push_str(&table(&rows));
    out.push_str(
        "\n   Follow-up: business days from one session to the next that took place (SB 221: within 10).\n   Try: caretime simulate socal-2024 --scale 0.05 --replications 3 --out sim/\n",
    );
    out
}
