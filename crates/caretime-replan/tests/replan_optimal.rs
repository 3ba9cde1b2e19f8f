//! The replanner's plan is optimal over every move the filters allow, not only over the
//! candidates its column generation happened to generate.
//!
//! The oracle builds the *complete* network (every displaced appointment to every (clinician,
//! day) bucket it may go to, each arc priced by a literal reading of the cost model) and solves
//! it. A converged plan must cost exactly as much, and the moves it reports must add up to that
//! cost. Small random regions and workloads, with few candidates per round so that column
//! generation has to work for its answer.

use caretime_core::id::{ClinicianId, MemberId, RequestId};
use caretime_core::region::{Affiliation, Discipline, Modality, Region};
use caretime_core::request::{Preferences, Request, RequestKind};
use caretime_core::rules::RuleSet;
use caretime_engine::availability::{Horizon, Minute};
use caretime_engine::book::{
    Appointment, AppointmentStatus, Book, BookPolicy, Outcome, Take, TakeOffer,
};
use caretime_engine::find::{Interpreters, modality_for};
use caretime_flow::{Network, NodeId};
use caretime_region::generate::{RegionParams, generate};
use caretime_replan::{Disruption, DisruptionReason, ReplanContext, ReplanCosts, plan};
use jiff::civil::{Date, date};
use jiff::{SignedDuration, Timestamp};
use proptest::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

#[path = "../../caretime-engine/tests/support/mod.rs"]
mod support;

/// Cases per property: a few by default, many in CI.
fn cases() -> u32 {
    if std::env::var_os("CARETIME_SLOW_TESTS").is_some() {
        48
    } else {
        6
    }
}

/// A tiny generated region with a book of random requests made over the ten days before `now`,
/// each booked at its best offer.
struct Case {
    region: Region,
    book: Book,
    rules: RuleSet,
    now: Timestamp,
    disruption: Disruption,
}

fn case(seed: u64, bookings: u32, share: f64, interpreters: Interpreters) -> Case {
    let region = generate(&RegionParams::socal(0.003, seed)).expect("generates");
    let rules = support::rules();
    let zone = rules.time_zone().clone();
    // Monday 2025-12-01 to Sunday 2026-01-04: over Christmas and New Year.
    let horizon = Horizon {
        first: date(2025, 12, 1),
        last: date(2026, 1, 4),
    };
    let mut policy = BookPolicy::STANDARD;
    policy.find.interpreters = interpreters;
    let mut book = Book::new(&region, horizon, &[], policy).expect("book");
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let first = date(2025, 12, 1)
        .to_zoned(zone.clone())
        .expect("in range")
        .timestamp();
    let therapists: Vec<ClinicianId> = region
        .clinicians
        .iter()
        .filter(|c| {
            c.affiliation == Affiliation::Internal && c.discipline != Discipline::Psychiatrist
        })
        .map(|c| c.id)
        .collect();
    for id in 0..bookings {
        let day = rng.random_range(0..10i64);
        let minute = rng.random_range(8 * 60..17 * 60i64);
        let requested = first + SignedDuration::from_mins(day * 24 * 60 + minute);
        let kind = match rng.random_range(0..10) {
            0..=5 => RequestKind::Initial,
            6..=7 => RequestKind::FollowUp,
            8 => RequestKind::Urgent,
            _ => RequestKind::Psychiatry,
        };
        let follow_up = kind == RequestKind::FollowUp;
        let request = Request {
            id: RequestId(id),
            member: MemberId(rng.random_range(0..region.members.len() as u32)),
            kind,
            requested,
            prior_appointment: follow_up.then(|| requested - SignedDuration::from_hours(24 * 7)),
            clinical_exception: None,
            treating_clinician: follow_up
                .then(|| therapists[rng.random_range(0..therapists.len())]),
            preferences: Preferences::ANY,
        };
        let offers = book
            .find(&region, rules, &request, requested)
            .expect("find");
        if let Some(offer) = offers.best() {
            let take = TakeOffer {
                request: &request,
                offers: &offers,
                offer,
                choice: None,
                take: Take::Book,
            };
            if let Outcome::Accepted(changes) = book.decide_take(&region, &take, requested) {
                book.apply(&changes).expect("applies");
            }
        }
    }
    let now = date(2025, 12, 10)
        .at(17, 0, 0, 0)
        .to_zoned(zone)
        .expect("in range")
        .timestamp();
    let mut out: Vec<ClinicianId> = region
        .clinicians
        .iter()
        .filter(|c| c.affiliation == Affiliation::Internal && rng.random_bool(share))
        .map(|c| c.id)
        .collect();
    if out.is_empty() {
        out.push(therapists[0]);
    }
    let disruption = Disruption {
        clinicians: out,
        first: date(2025, 12, 11),
        last: date(2025, 12, 17),
        reason: DisruptionReason::Strike,
    };
    Case {
        region,
        book,
        rules: rules.clone(),
        now,
        disruption,
    }
}

/// The cost model read literally: what moving `appointment` to `clinician` on `date` costs, or
/// `None` when the filters do not allow it.
fn move_cost(
    case: &Case,
    costs: &ReplanCosts,
    appointment: &Appointment,
    clinician: ClinicianId,
    date: Date,
) -> Option<i64> {
    let region = &case.region;
    let zone = case.rules.time_zone();
    let calendar = case.rules.calendar();
    let policy = case.book.policy().find;
    let member = &region.members[appointment.request.member.index()];
    let who = &region.clinicians[clinician.index()];
    let treating = clinician == appointment.clinician;
    let original_date = appointment.start.to_zoned(zone.clone()).date();
    if date < original_date {
        return None;
    }
    if !treating {
        let psychiatry =
            region.clinicians[appointment.clinician.index()].discipline == Discipline::Psychiatrist;
        if (who.discipline == Discipline::Psychiatrist) != psychiatry {
            return None;
        }
        if policy.interpreters == Interpreters::Unavailable && !who.speaks(member.language) {
            return None;
        }
    }
    let modality = modality_for(region, member, who, policy.max_travel_km, treating)?;
    let mut cost = 0;
    let day_start = date.to_zoned(zone.clone()).expect("in range").timestamp();
    if day_start >= appointment.deadline {
        let last_day = (appointment.deadline - SignedDuration::from_secs(1))
            .to_zoned(zone.clone())
            .date();
        cost += costs.late
            + costs.late_per_business_day
                * i64::from(calendar.business_days_between(last_day, date));
    }
    cost += costs.wait_per_day * (date - original_date).get_days() as i64;
    if who.affiliation == Affiliation::Network {
        cost += costs.network;
    }
    if modality == Modality::InPerson {
        let km = region.facilities[who.facility.index()]
            .location
            .distance_km(*member.home.expose());
        cost += costs.travel_per_km * km.round() as i64;
    } else if appointment.modality == Modality::InPerson {
        cost += costs.modality_change;
    }
    if !who.speaks(member.language) && appointment.interpreter.is_none() {
        cost += costs.interpreter;
    }
    if !treating {
        cost += costs.continuity;
    }
    Some(cost)
}

/// The displaced appointments, as the replanner must find them.
fn displaced(case: &Case) -> Vec<Appointment> {
    let zone = case.rules.time_zone();
    let disruption = &case.disruption;
    case.book
        .appointments()
        .filter(|a| {
            let date = a.start.to_zoned(zone.clone()).date();
            matches!(
                a.status,
                AppointmentStatus::Proposed
                    | AppointmentStatus::Pending
                    | AppointmentStatus::Booked
            ) && a.start >= case.now
                && disruption.clinicians.contains(&a.clinician)
                && disruption.first <= date
                && date <= disruption.last
        })
        .collect()
}

/// The optimum of the complete network: every allowed (appointment, clinician, day) arc, each
/// bucket's capacity the fits of the longest displaced appointment in its free direct time.
fn complete_optimum(case: &Case, costs: &ReplanCosts, displaced: &[Appointment]) -> i128 {
    let zone = case.rules.time_zone();
    let availability = case.book.availability();
    let horizon = availability.horizon();
    let longest = displaced.iter().map(|a| a.length).max().unwrap_or(60);
    let mut dates = Vec::new();
    let mut date = horizon.first;
    while date <= horizon.last {
        dates.push(date);
        date = date.tomorrow().expect("in range");
    }
    let mut network = Network::new(0);
    let sink = network.add_node();
    network.set_supply(sink, -(displaced.len() as i64));
    let mut buckets: Vec<Vec<Option<NodeId>>> =
        vec![vec![None; dates.len()]; availability.n_rows()];
    for appointment in displaced {
        let node = network.add_node();
        network.set_supply(node, 1);
        network
            .add_arc(node, sink, 1, costs.out_of_network)
            .expect("valid arc");
        for (row, row_buckets) in buckets.iter_mut().enumerate() {
            let clinician = availability.clinician_at(row);
            for (day, date) in dates.iter().enumerate() {
                let Some(cost) = move_cost(case, costs, appointment, clinician, *date) else {
                    continue;
                };
                let bucket = match row_buckets[day] {
                    Some(bucket) => bucket,
                    None => {
                        let out = case.disruption.clinicians.contains(&clinician)
                            && case.disruption.first <= *date
                            && *date <= case.disruption.last;
                        let day_start = date.to_zoned(zone.clone()).expect("in range");
                        let day_end = date
                            .tomorrow()
                            .expect("in range")
                            .to_zoned(zone.clone())
                            .expect("in range");
                        let from = Minute::from_timestamp(day_start.timestamp().max(case.now))
                            .ceil_to_grid();
                        let to = Minute::from_timestamp(day_end.timestamp());
                        let fits = if out || from >= to {
                            0
                        } else {
                            availability
                                .direct_fits(clinician, from, to, longest)
                                .expect("known clinician")
                        };
                        let bucket = network.add_node();
                        network
                            .add_arc(bucket, sink, i64::from(fits), 0)
                            .expect("valid arc");
                        row_buckets[day] = Some(bucket);
                        bucket
                    }
                };
                network.add_arc(node, bucket, 1, cost).expect("valid arc");
            }
        }
    }
    caretime_flow::solve(&network).expect("feasible").cost
}

fn check(seed: u64, bookings: u32, share: f64, candidates: usize, interpreters: Interpreters) {
    let case = case(seed, bookings, share, interpreters);
    let costs = ReplanCosts {
        candidates,
        max_rounds: 500,
        ..ReplanCosts::STANDARD
    };
    let context = ReplanContext {
        region: &case.region,
        book: &case.book,
        rules: &case.rules,
        costs: &costs,
    };
    let replan = plan(&context, &case.disruption, case.now, &mut |_| {}).expect("plans");
    let displaced = displaced(&case);
    let ids: Vec<_> = displaced.iter().map(|a| a.id).collect();
    let moved: Vec<_> = replan.moves.iter().map(|m| m.appointment).collect();
    assert_eq!(moved, ids, "every displaced appointment has one move");
    assert!(
        replan.converged,
        "column generation converges on a small instance"
    );

    let optimum = complete_optimum(&case, &costs, &displaced);
    assert_eq!(
        replan.cost,
        optimum,
        "the plan costs what the complete network's optimum costs ({} displaced, {} rounds)",
        displaced.len(),
        replan.rounds
    );

    // The moves are the optimum: their costs, read literally, add up to it.
    let zone = case.rules.time_zone();
    let mut total: i128 = 0;
    for (appointment, displaced_move) in displaced.iter().zip(&replan.moves) {
        total += i128::from(match &displaced_move.to {
            None => costs.out_of_network,
            Some(placement) => move_cost(
                &case,
                &costs,
                appointment,
                placement.clinician,
                placement.start.to_zoned(zone.clone()).date(),
            )
            .expect("every move is one the filters allow"),
        });
    }
    assert_eq!(total, replan.cost, "the moves cost what the flow costs");

    // And they can be carried out: the book takes every change at once.
    let mut book = case.book.clone();
    book.apply(&replan.changes(&case.book, case.now))
        .expect("the plan applies");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn a_converged_plan_is_optimal_over_every_allowed_move(
        seed in 0u64..1_000_000,
        bookings in 150u32..700,
        share in 0.3f64..1.0,
        candidates in 1usize..6,
        interpreters in prop_oneof![Just(Interpreters::Available), Just(Interpreters::Unavailable)],
    ) {
        check(seed, bookings, share, candidates, interpreters);
    }
}

#[test]
fn a_saturated_strike_is_optimal_over_every_allowed_move() {
    // Most internal clinicians out and the weeks before booked solid: most moves are late and
    // contest the same first free days after the strike.
    check(7, 900, 0.9, 2, Interpreters::Available);
}
