//! One replication: a discrete-event simulation of a region over months, every booking made by
//! the engine's decisions.
//!
//! Events, in time order (ties in the order they were scheduled):
//!
//! - **arrival**: a member without an open episode asks for care (a Poisson process at the
//!   scenario's rate per member-year). The request is urgent, for a psychiatrist, or a non-urgent
//!   initial appointment; the book finds offers and the member takes the best one. Apart from a
//!   psychiatry evaluation (one visit here), the booking opens an episode with the clinician
//!   who takes it, of a length drawn from the scenario's right-skewed distribution.
//! - **visit end**: the member came or did not (the no-show chance grows with the lead time, as
//!   the scenario's curve says). After a visit the clinician books the next follow-up at the
//!   episode's cadence (weekly, then biweekly), within SB 221's standard when the cadence allows;
//!   a member offered another clinician keeps their own, later, with the scenario's chance (the
//!   regulator counts the offer, the member lives the wait). Where the clinic overbooks, a
//!   return that would wait past a day of the therapist's with room goes on top of an
//!   appointment that day instead ([`crate::overbook`]). After a no-show the member drops out
//!   or books again, counting from the missed appointment. The last session discharges.
//! - **member cancellation**: a member cancels a booked appointment (at a uniform time before it)
//!   and asks again at once.
//!
//! Planned leave (whole weeks, drawn per internal clinician) is known ahead: the book is made
//! with it, so it is never offered. The replication ends with an [`AccessReport`] over the request
//! dates after the warm-up, and the provider census taken at the scenario's survey instants
//! ([`crate::census`]).
//!
//! Randomness: one ChaCha8 stream per replication, read as raw 64-bit words and turned into
//! numbers here (uniforms from 53 bits, exponentials with `libm`'s portable logarithm), so the
//! same scenario and seed give the same result on every build and platform.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use caretime_core::id::{AppointmentId, ClinicianId, EpisodeId, GroupId, MemberId, RequestId};
use caretime_core::region::{Affiliation, Member, Region};
use caretime_core::request::{Preferences, Request, RequestKind};
use caretime_core::rules::DeadlineInstants;
use caretime_core::template::BlockKind;
use caretime_engine::availability::{Horizon, Minute};
use caretime_engine::book::{
    ApplyError, Appointment, AppointmentBrief, AppointmentStatus, Book, CancellationReason,
    CancelledBy, Change, Choice, Outcome, Take, TakeOffer,
};
use caretime_engine::episode::{Cadence, LongerWait, next_follow_up};
use caretime_engine::find::{FollowUps, Offers, Route};
use caretime_engine::group::NewGroup;
use caretime_engine::perf;
use caretime_engine::report::census::census as census_at;
use caretime_engine::report::{AccessReport, Period, access_report};
use caretime_hint::{huge_pages, prefetch};
use caretime_region::draws::Draws;
use caretime_region::generate::GROUP_MINUTES;
use caretime_replan::disruption_file::internal_therapists_by_share;
use caretime_replan::{Disruption, ReplanContext, ReplanCosts};
use jiff::civil::Date;
use jiff::{SignedDuration, Span, Timestamp, ToSpan};

use crate::SimError;
use crate::census::CensusPool;
use crate::overbook::Tally;
use crate::scenario::{LateOffers, Overbooking, Scenario};

/// What one replication counted besides the report.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunCounts {
    /// Requests for a new episode (or a psychiatry evaluation).
    pub arrivals: u64,
    /// Arrivals for a member already in an episode (not a new request; counted to show demand
    /// the open episodes absorb).
    pub busy_members: u64,
    /// Episodes opened.
    pub episodes: u64,
    /// Requests nobody had time for within the booking horizon.
    pub unserved: u64,
    /// Episodes that ended with their last session.
    pub discharged: u64,
    /// Episodes that ended after a no-show.
    pub dropouts: u64,
    /// Visits that took place (warm-up included): the throughput figure.
    pub visits: u64,
    /// Appointments missed.
    pub no_shows: u64,
    /// Appointments the member cancelled.
    pub member_cancellations: u64,
    /// Events handled.
    pub events: u64,
    /// Appointments a disruption displaced (each moved by the replanner or arranged out of
    /// network).
    pub displaced: u64,
    /// Displaced appointments the replanner arranged out of network (SB 855); their episodes
    /// leave the plan's book.
    pub arranged_out_of_network: u64,
    /// Late offers the plan arranged out of network instead of booking ([`LateOffers::Arrange`]).
    pub arranged_instead_of_late: u64,
    /// Network referrals the member did not take (booked, then cancelled by the member at once:
    /// the offer still counts, as the regulator counts it).
    pub declined_network: u64,
    /// Episodes the clinic discharged after missed appointments in a row.
    pub discharged_after_missing: u64,
    /// Groups run (one per facilitator).
    pub groups: u64,
    /// Members referred to a group who got a seat.
    pub group_referrals: u64,
    /// Members referred to a group who found none with room at their clinician's facility.
    pub group_referrals_unplaced: u64,
    /// Returns booked on top of another appointment (the clinic's overbooking, warm-up
    /// included).
    pub overbooked: u64,
}

/// The result of one replication.
#[derive(Clone, Debug)]
pub struct Replication {
    /// Its index (its seed is the scenario's seed plus this).
    pub index: u32,
    /// The report over the dates after the warm-up.
    pub report: AccessReport,
    /// What the run counted.
    pub counts: RunCounts,
    /// The provider census at the scenario's survey instants in the reported months, pooled.
    pub census: CensusPool,
}

/// The simulated dates: warm-up first, then the reported months.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dates {
    /// First simulated date.
    pub start: Date,
    /// First reported date.
    pub report_first: Date,
    /// The day after the last simulated date.
    pub end: Date,
    /// The last date the book offers.
    pub horizon_last: Date,
}

impl Dates {
    /// The dates a scenario simulates.
    pub fn of(scenario: &Scenario) -> Result<Dates, SimError> {
        let sim = &scenario.simulation;
        let out_of_range = |_| SimError::OutOfRange;
        // Fallible spans: the counts come from a file or a flag, and jiff's `ToSpan` panics
        // beyond its range.
        let months = |count: u32| Span::new().try_months(i64::from(count));
        let report_first = months(sim.warm_up_months)
            .and_then(|span| sim.start.checked_add(span))
            .map_err(out_of_range)?;
        let end = months(sim.months)
            .and_then(|span| report_first.checked_add(span))
            .map_err(out_of_range)?;
        let horizon_last = Span::new()
            .try_days(i64::from(sim.booking_horizon_weeks) * 7)
            .and_then(|span| end.checked_add(span))
            .map_err(out_of_range)?;
        Ok(Dates {
            start: sim.start,
            report_first,
            end,
            horizon_last,
        })
    }

    /// Simulated days, warm-up included.
    pub fn days(&self) -> u32 {
        self.start
            .until(self.end)
            .map_or(0, |span| span.get_days().max(0) as u32)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Event {
    /// A disruption is announced: the replanner runs.
    Disruption,
    Arrival,
    /// An appointment's time is over: the member came or did not. The member rides along so
    /// that the run can prefetch their record without reading the appointment first.
    VisitEnd(AppointmentId, MemberId),
    /// The member cancels the appointment.
    MemberCancel(AppointmentId, MemberId),
    /// A day before a group session: too few seats booked cancels it (low enrolment).
    GroupCheck(GroupId, u32),
    /// A group session ends: each booked member came or did not.
    GroupEnd(GroupId, u32),
    /// A member's referral to a group ends.
    GroupLeave(GroupId, MemberId),
}

/// An event queue's entry: when (whole seconds after the queue's start), what. Ties run in
/// the order they were scheduled, which a bucket's list keeps by itself (entries are pushed in
/// that order and sorted stably): 16 bytes, where a timestamp and a sequence number beside the
/// event made 40, and the queue holds every booked visit.
#[derive(Clone, Copy, Debug)]
struct Entry {
    at: u32,
    event: Event,
}

/// Future events in time order, ties in the order they were scheduled: a bucket per quarter
/// hour of the simulated dates. The bucket being run is sorted when it opens, and the events
/// scheduled into it while it runs go to a small heap beside it (with their order of
/// scheduling, later than any of the bucket's). Every event is scheduled at or after the one
/// being handled, so buckets before the current one stay empty (a binary heap of every booked
/// visit cost a tenth of the run in cache misses), and the next events of the current bucket
/// are known in order, so the run can read ahead of them ([`EventQueue::ahead`]).
struct EventQueue {
    /// The queue's start, in seconds since the Unix epoch.
    base: i64,
    buckets: Vec<Vec<Entry>>,
    current: usize,
    /// The current bucket's events as it opened, not yet run, latest first (the next is last).
    sorted: Vec<Entry>,
    /// Events scheduled into the current bucket while it runs: (when, order scheduled, what).
    heap: BinaryHeap<Reverse<(u32, u64, Event)>>,
    seq: u64,
}

impl EventQueue {
    const BUCKET_SECONDS: i64 = 15 * 60;

    /// A queue for events from `start` until `end`; later events are dropped (never run).
    fn new(start: Timestamp, end: Timestamp) -> EventQueue {
        let base = start.as_second();
        let n_buckets = ((end.as_second() - base).max(0) / Self::BUCKET_SECONDS + 1) as usize;
        EventQueue {
            base,
            buckets: vec![Vec::new(); n_buckets],
            current: 0,
            sorted: Vec::new(),
            heap: BinaryHeap::new(),
            seq: 0,
        }
    }

    /// Schedules `event` at `at`, which must be a whole second at or after the queue's start.
    fn push(&mut self, at: Timestamp, event: Event) {
        debug_assert_eq!(at.subsec_nanosecond(), 0, "events fall on whole seconds");
        let offset = (at.as_second() - self.base).max(0);
        let bucket = (offset / Self::BUCKET_SECONDS) as usize;
        // Past the last bucket (beyond the queue's end): dropped. The buckets end before u32's
        // seconds do (136 years).
        if bucket >= self.buckets.len() {
            return;
        }
        let at = offset as u32;
        if bucket <= self.current {
            self.heap.push(Reverse((at, self.seq, event)));
            self.seq += 1;
        } else {
            self.buckets[bucket].push(Entry { at, event });
        }
    }

    fn pop(&mut self) -> Option<(Timestamp, Event)> {
        loop {
            let from_sorted = match (self.sorted.last(), self.heap.peek()) {
                (None, None) => {
                    self.current += 1;
                    let events = self.buckets.get_mut(self.current)?;
                    self.sorted = std::mem::take(events);
                    // A bucket's events were pushed in the order they were scheduled, so a
                    // stable sort by time alone puts ties in that order; most share a time (visits
                    // end on the quarter hour), which a stable sort takes as runs. Reversed, the
                    // next event is last.
                    self.sorted.sort_by_key(|entry| entry.at);
                    self.sorted.reverse();
                    continue;
                }
                (Some(_), None) => true,
                (None, Some(_)) => false,
                // At a tie the bucket's event goes first: it was scheduled before the bucket
                // opened, the heap's after.
                (Some(sorted), Some(Reverse((at, _, _)))) => sorted.at <= *at,
            };
            let (at, event) = if from_sorted {
                let entry = self.sorted.pop()?;
                (entry.at, entry.event)
            } else {
                let Reverse((at, _, event)) = self.heap.pop()?;
                (at, event)
            };
            let at = Timestamp::from_second(self.base + i64::from(at)).ok()?;
            return Some((at, event));
        }
    }

    /// The event `distance` places after the next one among those the current bucket opened
    /// with (events scheduled into it since may come between).
    fn ahead(&self, distance: usize) -> Option<Event> {
        let idx = self.sorted.len().checked_sub(distance + 1)?;
        Some(self.sorted[idx].event)
    }
}

/// The episode's drawn length and progress.
#[derive(Clone, Copy, Debug)]
struct EpisodeState {
    sessions: u32,
    done: u32,
    /// Appointments missed since the last one kept.
    missed_in_a_row: u32,
}

const NO_EPISODE: u32 = u32::MAX;

/// How many events ahead [`Run::read_ahead`] starts reading.
const READ_AHEAD: usize = 32;

/// Asks for what a booking reads of a member's record: where they live, the modalities they
/// accept and their language. As the compiler lays the 72-byte record out today, those end it
/// (bytes 48-72; the member number and name, never read by a booking, start it), so asking for
/// their lines is one line for six members in eight instead of two for every member. Another
/// layout costs a line more at worst, never a wrong result.
fn prefetch_member(record: &Member) {
    prefetch(&record.home);
    prefetch(&record.accepts);
}

/// The simulation state of one replication.
struct Run<'a> {
    scenario: &'a Scenario,
    region: &'a Region,
    book: Book,
    draws: Draws,
    queue: EventQueue,
    next_request: u32,
    /// Who the scenario's disruption takes out, if it has one.
    disrupted: Vec<ClinicianId>,
    /// Each facility's groups, by facility index.
    groups_at: Vec<Vec<GroupId>>,
    /// The open episode of each member, by member index.
    member_episode: Vec<u32>,
    episodes: Vec<EpisodeState>,
    counts: RunCounts,
    /// Expected no-shows and guests per therapist-day, when the clinic overbooks.
    tally: Tally,
}

/// Draws each internal clinician's planned leave: `weeks_per_year` pro-rated over the dates, as
/// distinct Monday-to-Friday weeks.
fn planned_leave(
    scenario: &Scenario,
    region: &Region,
    dates: &Dates,
    draws: &mut Draws,
) -> Result<Vec<(ClinicianId, Date, Date)>, SimError> {
    let weeks_per_year = scenario.leave.weeks_per_year;
    if weeks_per_year == 0 {
        return Ok(Vec::new());
    }
    let mut first_monday = dates.start;
    while first_monday.weekday() != jiff::civil::Weekday::Monday {
        first_monday = first_monday.tomorrow().map_err(|_| SimError::OutOfRange)?;
    }
    let n_weeks = (first_monday
        .until(dates.horizon_last)
        .map_or(0, |span| span.get_days().max(0))
        / 7) as u64;
    let weeks_each =
        ((f64::from(weeks_per_year) * n_weeks as f64 / 52.0).round() as u64).min(n_weeks);
    let mut leave = Vec::new();
    let mut picked = Vec::new();
    for clinician in &region.clinicians {
        if clinician.affiliation != Affiliation::Internal {
            continue;
        }
        picked.clear();
        while (picked.len() as u64) < weeks_each {
            let week = draws.below(n_weeks);
            if !picked.contains(&week) {
                picked.push(week);
            }
        }
        picked.sort_unstable();
        for &week in &picked {
            let monday = first_monday
                .checked_add((week as i64 * 7).days())
                .map_err(|_| SimError::OutOfRange)?;
            let friday = monday
                .checked_add(4.days())
                .map_err(|_| SimError::OutOfRange)?;
            leave.push((clinician.id, monday, friday));
        }
    }
    Ok(leave)
}

/// Runs replication `index` of the scenario over `region` (generated from the scenario's region
/// parameters). `progress` is told each simulated day that ends.
pub fn run(
    scenario: &Scenario,
    region: &Region,
    index: u32,
    progress: &(dyn Fn() + Sync),
) -> Result<Replication, SimError> {
    let dates = Dates::of(scenario)?;
    let zone = scenario.rules.time_zone().clone();
    let midnight = |date: Date| -> Result<Timestamp, SimError> {
        Ok(date
            .to_zoned(zone.clone())
            .map_err(|_| SimError::OutOfRange)?
            .timestamp())
    };
    // Seeds far apart per replication, mixed so that neighbouring seeds share nothing.
    let seed = scenario
        .simulation
        .seed
        .wrapping_add(u64::from(index))
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ 0x7369_6d75_6c61_7465;
    let mut draws = Draws::new(seed);
    let leave = planned_leave(scenario, region, &dates, &mut draws)?;
    let book = Book::new(
        region,
        Horizon {
            first: dates.start,
            last: dates.horizon_last,
        },
        &leave,
        scenario.clinic.book_policy(),
    )?;
    let start = midnight(dates.start)?;
    let end = midnight(dates.end)?;
    let tally_days = dates
        .start
        .until(dates.horizon_last)
        .map_or(0, |span| span.get_days().max(0) as usize + 1);
    let tally = Tally::new(
        region,
        start,
        tally_days,
        scenario.clinic.overbooking == Overbooking::ExpectedNoShows,
    );
    let mut run = Run {
        scenario,
        region,
        book,
        draws,
        queue: EventQueue::new(start, end),
        next_request: 0,
        disrupted: Vec::new(),
        groups_at: vec![Vec::new(); region.facilities.len()],
        member_episode: member_table(region.members.len()),
        episodes: Vec::new(),
        counts: RunCounts::default(),
        tally,
    };
    run.start_groups(start)?;
    if let Some(spec) = &scenario.disruption {
        run.disrupted =
            internal_therapists_by_share(region, spec.internal_therapist_share, spec.seed);
        run.disrupted.sort_unstable();
        // Announced at 08:00 local time, `notice_days` before the first day out (a strike at a
        // health care institution needs ten days' notice: NLRA section 8(g), 29 U.S.C. 158(g)).
        let announced = spec
            .first
            .checked_sub((i64::from(spec.notice_days)).days())
            .map_err(|_| SimError::OutOfRange)?
            .to_datetime(jiff::civil::time(8, 0, 0, 0))
            .to_zoned(zone.clone())
            .map_err(|_| SimError::OutOfRange)?
            .timestamp();
        if !run.disrupted.is_empty() {
            run.schedule(announced.max(start), Event::Disruption);
        }
    }
    if !region.members.is_empty() && scenario.demand.episodes_per_member_year > 0.0 {
        let first = run.next_arrival(start);
        run.schedule(first, Event::Arrival);
    }
    let mut next_midnight = midnight(dates.start.tomorrow().map_err(|_| SimError::OutOfRange)?)?;
    // The census is taken on the book as it stands at each survey instant: after the events
    // before it, before those at or after it.
    let surveys = scenario
        .census
        .instants(&scenario.rules, dates.report_first, dates.end)
        .ok_or(SimError::OutOfRange)?;
    let mut next_survey = 0;
    let mut census = CensusPool::default();
    while let Some((at, event)) = run.queue.pop() {
        if at >= end {
            break;
        }
        while let Some(&survey) = surveys.get(next_survey)
            && survey <= at
        {
            census.add(
                &census_at(&run.book, region, &scenario.rules, survey)?,
                region,
            );
            next_survey += 1;
        }
        while at >= next_midnight {
            progress();
            let date = next_midnight.to_zoned(zone.clone()).date();
            next_midnight = midnight(date.tomorrow().map_err(|_| SimError::OutOfRange)?)?;
        }
        run.read_ahead();
        run.counts.events += 1;
        match event {
            Event::Disruption => run.disruption(at)?,
            Event::Arrival => run.arrival(at)?,
            Event::VisitEnd(id, _) => run.visit_end(id, at)?,
            Event::MemberCancel(id, _) => run.member_cancel(id, at)?,
            Event::GroupCheck(group, session) => run.group_check(group, session as usize, at)?,
            Event::GroupEnd(group, session) => run.group_end(group, session as usize)?,
            Event::GroupLeave(group, member) => run.group_leave(group, member, at)?,
        }
    }
    for &survey in &surveys[next_survey.min(surveys.len())..] {
        census.add(
            &census_at(&run.book, region, &scenario.rules, survey)?,
            region,
        );
    }
    while next_midnight <= end {
        progress();
        let date = next_midnight.to_zoned(zone.clone()).date();
        next_midnight = midnight(date.tomorrow().map_err(|_| SimError::OutOfRange)?)?;
    }
    let last = dates.end.yesterday().map_err(|_| SimError::OutOfRange)?;
    let report = access_report(
        &run.book,
        region,
        &scenario.rules,
        Period {
            first: dates.report_first,
            last,
        },
    )?;
    Ok(Replication {
        index,
        report,
        counts: run.counts,
        census,
    })
}

/// Each member's open episode ([`NO_EPISODE`] for none): millions of entries, read at random by
/// every arrival, in huge pages (asked for before the table is written).
fn member_table(members: usize) -> Vec<u32> {
    let mut table = Vec::with_capacity(members);
    huge_pages(&table);
    table.resize(members, NO_EPISODE);
    table
}

impl Run<'_> {
    /// Asks for what the coming visit ends and cancellations will read first to be brought into
    /// cache: their appointment, member and episode records, written days or weeks ago and so
    /// cache misses each, and the treating clinician's free time where the follow-up will be
    /// searched. The handlers would take those misses one after another; asked for here, a few
    /// events ahead, they arrive while the events in between are handled. In three steps, each
    /// reading what the one before brought in: the appointment, its episode's number and the
    /// member (whom the event names) [`READ_AHEAD`] events ahead, the episode half as far ahead,
    /// the clinician's record and row and the episode's latest appointment a quarter as far.
    /// Prefetches change nothing, so the results are the same without them.
    fn read_ahead(&self) {
        let ahead = self.queue.ahead(READ_AHEAD);
        if let Some(Event::VisitEnd(id, member) | Event::MemberCancel(id, member)) = ahead {
            // Both read the appointment's brief first. (A cancellation also reads the rest of the
            // appointment; asking for that too did not beat the noise: bench/NOTES.md.)
            perf::prefetch_appointment(&self.book, id);
            if let Some(record) = self.region.members.get(member.index()) {
                prefetch_member(record);
            }
        }
        if let Some(Event::VisitEnd(id, _) | Event::MemberCancel(id, _)) =
            self.queue.ahead(READ_AHEAD / 2)
            && let Some(episode) = self.book.episode_of(id)
        {
            if let Some(state) = self.episodes.get(episode.index()) {
                prefetch(state);
            }
            perf::prefetch_episode(&self.book, episode);
        }
        // Nearer still, a visit end's follow-up search: the treating clinician's row a cadence
        // after the visit.
        if let Some(Event::VisitEnd(id, _)) = self.queue.ahead(READ_AHEAD / 4)
            && let Some(appointment) = self.book.appointment_brief(id)
            && let Some(episode) = self.book.episode_of(id)
            && let Some(known) = self.book.episodes().get(episode.index())
        {
            if let Some(last) = known.appointments.last() {
                prefetch(last);
            }
            // The follow-up reads the clinician's record first: its id, facility, discipline
            // and modalities, which end a 72-byte record (the name and languages start it), so
            // the lines holding those fields, not the record's first.
            if let Some(clinician) = self.region.clinicians.get(known.clinician.index()) {
                prefetch(&clinician.id);
                prefetch(&clinician.modalities);
            }
            // A month is read as 30 days here: the row's word there is near enough.
            let days = known.cadence.days().unwrap_or(30);
            let target = Minute::from_timestamp(appointment.start).0 + days * 24 * 60;
            perf::prefetch_direct_row(self.book.availability(), known.clinician, Minute(target));
        }
    }

    /// An appointment the run booked (an event names only those).
    fn appointment(&self, id: AppointmentId) -> Result<Appointment, SimError> {
        self.book
            .appointment(id)
            .ok_or(SimError::Apply(ApplyError::UnknownAppointment(id)))
    }

    /// The brief of an appointment the run booked.
    fn brief(&self, id: AppointmentId) -> Result<AppointmentBrief, SimError> {
        self.book
            .appointment_brief(id)
            .ok_or(SimError::Apply(ApplyError::UnknownAppointment(id)))
    }

    fn schedule(&mut self, at: Timestamp, event: Event) {
        self.queue.push(at, event);
    }

    fn next_arrival(&mut self, now: Timestamp) -> Timestamp {
        let per_year =
            self.region.members.len() as f64 * self.scenario.demand.episodes_per_member_year;
        let mean_seconds = 365.25 * 86_400.0 / per_year;
        let gap = self.draws.exponential(mean_seconds).max(1.0);
        now.checked_add(SignedDuration::from_secs(gap.min(1e12) as i64))
            .unwrap_or(Timestamp::MAX)
    }

    fn request_id(&mut self) -> RequestId {
        let id = RequestId(self.next_request);
        self.next_request += 1;
        id
    }

    fn arrival(&mut self, now: Timestamp) -> Result<(), SimError> {
        let next = self.next_arrival(now);
        self.schedule(next, Event::Arrival);
        self.counts.arrivals += 1;
        let member = MemberId(self.draws.below(self.region.members.len() as u64) as u32);
        // The member's record (read by the find) and episode number (read now) are each a cache
        // miss: asked for together, they arrive together instead of one after the other.
        if let Some(record) = self.region.members.get(member.index()) {
            prefetch_member(record);
        }
        if self.member_episode[member.index()] != NO_EPISODE {
            self.counts.busy_members += 1;
            return Ok(());
        }
        let demand = &self.scenario.demand;
        let roll = self.draws.unit();
        let kind = if roll < demand.urgent_share {
            RequestKind::Urgent
        } else if roll < demand.urgent_share + demand.psychiatry_share {
            RequestKind::Psychiatry
        } else {
            RequestKind::Initial
        };
        let request = Request {
            id: self.request_id(),
            member,
            kind,
            requested: now,
            prior_appointment: None,
            clinical_exception: None,
            treating_clinician: None,
            preferences: Preferences::ANY,
        };
        let Some(appointment) = self.book_request(&request, None, now, now)? else {
            return Ok(());
        };
        if kind == RequestKind::Psychiatry {
            return Ok(());
        }
        // A course of treatment with the clinician who took the intake.
        let clinician = self.brief(appointment)?.clinician;
        let cadence = if self.scenario.episodes.weekly_sessions > 0 {
            Cadence::Weekly
        } else {
            Cadence::Biweekly
        };
        let episode = EpisodeId(self.book.episodes().len() as u32);
        let open = self.book.decide_open_episode(
            member,
            clinician,
            cadence,
            LongerWait::NotDocumented,
            Preferences::ANY,
        );
        self.apply(&open)?;
        let attach = self.book.decide_attach(episode, appointment);
        self.apply(&attach)?;
        let sessions = self.episode_length();
        self.episodes.push(EpisodeState {
            sessions,
            done: 0,
            missed_in_a_row: 0,
        });
        self.member_episode[member.index()] = episode.0;
        self.counts.episodes += 1;
        Ok(())
    }

    /// Sessions of a new episode: one with the scenario's chance, else 2 and a geometric rest.
    fn episode_length(&mut self) -> u32 {
        let model = &self.scenario.episodes;
        if self.draws.chance(model.one_visit_share) {
            1
        } else {
            2 + self.draws.geometric(model.continuing_mean_sessions - 2.0)
        }
    }

    /// Finds offers from `not_before`, takes the best one (or the treating clinician's later time
    /// when the member keeps them), books it and schedules what follows. `None`: nobody had time.
    /// Finds offers for `request` (from `not_before`; under `deadline` when the caller worked it
    /// out already) and books the best, or the treating clinician's when the member keeps them.
    fn book_request(
        &mut self,
        request: &Request,
        deadline: Option<&DeadlineInstants<'_>>,
        not_before: Timestamp,
        now: Timestamp,
    ) -> Result<Option<AppointmentId>, SimError> {
        let rules = &self.scenario.rules;
        let mut offers = match deadline {
            Some(deadline) => {
                self.book
                    .find_within(self.region, rules, request, deadline, not_before, now)?
            }
            None => self
                .book
                .find_from(self.region, rules, request, not_before, now)?,
        };
        let Some(best) = offers.best() else {
            // Nobody in network has time within the horizon: the plan must arrange care out of
            // network (SB 855), and the report counts the request as not offered in time.
            self.counts.unserved += 1;
            let arrange = self.book.decide_arrange(&offers);
            self.apply(&arrange)?;
            return Ok(None);
        };
        let clinic = &self.scenario.clinic;
        if let LateOffers::Arrange(chance) = clinic.late_offers
            && !best.timeliness.is_met()
        {
            // A return booked on the therapist's own calendar is not searched for elsewhere, nor
            // arranged out of network: the chance is for requests without a treating clinician
            // there (new requests, and every request when follow-ups go to whoever is timely).
            let arranges = match (clinic.follow_ups, request.treating_clinician) {
                (FollowUps::TreatingClinician, Some(_)) => false,
                _ => self.draws.chance(chance),
            };
            if arranges {
                self.counts.arranged_instead_of_late += 1;
                let arrange = self.book.decide_arrange(&offers);
                self.apply(&arrange)?;
                return Ok(None);
            }
            // The member books the late offer; the plan arranges nothing.
            offers.arrangement = None;
        }
        let best = offers.best().expect("the offers checked above");
        let declines = best.route == Route::Network
            && clinic.network_acceptance < 1.0
            && !self.draws.chance(clinic.network_acceptance);
        let choice = match request.treating_clinician {
            Some(treating)
                if best.route != Route::Continuity
                    && self
                        .draws
                        .chance(self.scenario.episodes.keep_treating_clinician) =>
            {
                offers
                    .offers
                    .iter()
                    .find(|offer| offer.clinician == treating)
                    .map(|offer| Choice {
                        clinician: offer.clinician,
                        start: offer.start,
                    })
            }
            _ => None,
        };
        // The time the member takes; what booking it will write besides the appointment is
        // asked for while the overbooking check and the decision run.
        let (clinician, start) = choice.map_or((best.clinician, best.start), |choice| {
            (choice.clinician, choice.start)
        });
        perf::prefetch_booking(&self.book, clinician);
        self.tally.prefetch(clinician, start);
        let overbooked = self.overbook(request, &offers, (clinician, start), not_before, now)?;
        if !overbooked {
            let taking = TakeOffer {
                request,
                offers: &offers,
                offer: best,
                choice,
                take: Take::Book,
            };
            let decision = self.book.decide_take(self.region, &taking, now);
            self.apply(&decision)?;
        }
        let id = AppointmentId(self.book.appointment_count() as u32 - 1);
        // A member who keeps their own clinician (a choice) took no referral to decline.
        if declines && choice.is_none() && !overbooked {
            // The referral was made (the offer counts) and the member does not take it up.
            self.counts.declined_network += 1;
            let cancel = self.book.decide_cancel(
                id,
                CancellationReason::MemberRequest,
                CancelledBy::Member,
                now,
            );
            self.apply(&cancel)?;
            return Ok(None);
        }
        let appointment = self.brief(id)?;
        let (start, length) = (appointment.start, appointment.length);
        let visit_end = start + SignedDuration::from_mins(i64::from(length));
        self.schedule(visit_end, Event::VisitEnd(id, request.member));
        if self
            .draws
            .chance(self.scenario.attendance.member_cancellation)
        {
            let lead = start.duration_since(now).as_secs().max(0) as f64;
            let at = now + SignedDuration::from_secs((self.draws.unit() * lead) as i64);
            self.schedule(at, Event::MemberCancel(id, request.member));
        }
        Ok(Some(id))
    }

    /// When the clinic overbooks: books a return with its treating therapist on top of an
    /// appointment on an earlier day than the free time the member would take (`taken`: the
    /// clinician and start of the best offer, or of the member's choice), from `not_before` on,
    /// if a day has room ([`crate::overbook`]). Whether it did.
    fn overbook(
        &mut self,
        request: &Request,
        offers: &Offers<'_>,
        (clinician, start): (ClinicianId, Timestamp),
        not_before: Timestamp,
        now: Timestamp,
    ) -> Result<bool, SimError> {
        let Some(treating) = request.treating_clinician else {
            return Ok(false);
        };
        if !self.tally.is_on() || clinician != treating {
            return Ok(false);
        }
        let from = not_before.max(now);
        let book = &self.book;
        let host = self.tally.host(treating, from, start, |id| {
            book.appointment_brief(id)
                .is_some_and(|host| host.start >= from && host.member != request.member)
        });
        let Some(host) = host else {
            return Ok(false);
        };
        let decision = self.book.decide_overbook(
            self.region,
            &self.scenario.rules,
            request,
            offers,
            host,
            now,
        );
        if let Outcome::Refused(_) = decision {
            return Ok(false);
        }
        self.apply(&decision)?;
        self.counts.overbooked += 1;
        Ok(true)
    }

    /// Applies an accepted decision (by reference: a decision is a few hundred bytes, and moving
    /// it here was a copy per decision).
    fn apply(&mut self, outcome: &Outcome) -> Result<(), SimError> {
        match outcome {
            Outcome::Accepted(changes) => self.apply_changes(changes),
            Outcome::Refused(refusals) => Err(SimError::Refused(refusals.clone())),
        }
    }

    /// Applies changes to the book, and counts in the overbooking tally (when the clinic
    /// overbooks) the appointments they book and cancel.
    fn apply_changes(&mut self, changes: &[Change]) -> Result<(), SimError> {
        if !self.tally.is_on() {
            return Ok(self.book.apply(changes)?);
        }
        // Cancellations are read before they apply (the appointment as it was counted).
        let mut released = Vec::new();
        for change in changes {
            if let Change::SetStatus {
                appointment,
                from,
                to,
                ..
            } = change
                && from.holds_time()
                && !to.holds_time()
            {
                let brief = self.brief(*appointment)?;
                // A guest's host is an earlier appointment.
                let guest = self
                    .book
                    .overbooked_with(*appointment)
                    .is_some_and(|other| other < *appointment);
                released.push((*appointment, brief, guest));
            }
        }
        self.book.apply(changes)?;
        for (id, brief, guest) in released {
            let chance = self.no_show_chance(brief.start, brief.requested);
            self.tally
                .cancelled(id, brief.clinician, brief.start, chance, guest);
        }
        for change in changes {
            if let Change::Create(appointment) = change
                && appointment.status.holds_time()
            {
                match appointment.overbooks {
                    Some(host) => {
                        self.tally
                            .guest(host, appointment.clinician, appointment.start);
                    }
                    None => {
                        let chance =
                            self.no_show_chance(appointment.start, appointment.request.requested);
                        self.tally.booked(
                            appointment.id,
                            appointment.clinician,
                            appointment.start,
                            chance,
                        );
                    }
                }
            }
        }
        Ok(())
    }

    /// The chance a member misses an appointment at `start` asked for at `requested`, by its
    /// lead time (the scenario's curve).
    fn no_show_chance(&self, start: Timestamp, requested: Timestamp) -> f64 {
        let lead_days = start.duration_since(requested).as_secs().max(0) / 86_400;
        self.scenario
            .attendance
            .no_show_share(lead_days.min(i64::from(u32::MAX)) as u32)
    }

    fn visit_end(&mut self, id: AppointmentId, now: Timestamp) -> Result<(), SimError> {
        let appointment = self.brief(id)?;
        if appointment.status != AppointmentStatus::Booked {
            return Ok(());
        }
        let share = self.no_show_chance(appointment.start, appointment.requested);
        let came = !self.draws.chance(share);
        let status = if came {
            AppointmentStatus::Fulfilled
        } else {
            AppointmentStatus::NoShow
        };
        let decision = self.book.decide_attendance(id, status, now);
        self.apply(&decision)?;
        if came {
            self.counts.visits += 1;
        } else {
            self.counts.no_shows += 1;
        }
        let Some(episode) = self.book.episode_of(id) else {
            return Ok(());
        };
        let state = &mut self.episodes[episode.index()];
        if came {
            state.missed_in_a_row = 0;
            state.done += 1;
            let intake = state.done == 1;
            if intake
                && self.scenario.groups.referral_share > 0.0
                && self.draws.chance(self.scenario.groups.referral_share)
            {
                self.refer_to_group(episode, now)?;
            }
            let state = &mut self.episodes[episode.index()];
            if state.done >= state.sessions {
                self.counts.discharged += 1;
                return self.discharge(episode, now);
            }
            if state.done == self.scenario.episodes.weekly_sessions
                && self.book.episodes()[episode.index()].cadence == Cadence::Weekly
            {
                let change = self.book.decide_cadence(episode, Cadence::Biweekly);
                self.apply(&change)?;
            }
        } else {
            state.missed_in_a_row += 1;
            let limit = self.scenario.attendance.discharge_after_missed_in_a_row;
            if limit > 0 && state.missed_in_a_row >= limit {
                self.counts.discharged_after_missing += 1;
                return self.discharge(episode, now);
            }
            if self
                .draws
                .chance(self.scenario.attendance.dropout_after_no_show)
            {
                self.counts.dropouts += 1;
                return self.discharge(episode, now);
            }
        }
        // The next session counts from this one, kept or missed (an assumption: a missed
        // appointment restarts the follow-up clock, since the member, not the plan, missed it).
        self.follow_up(episode, appointment.start, now)
    }

    fn follow_up(
        &mut self,
        episode: EpisodeId,
        prior_start: Timestamp,
        now: Timestamp,
    ) -> Result<(), SimError> {
        let request = self.request_id();
        let known = &self.book.episodes()[episode.index()];
        let clinician = &self.region.clinicians[known.clinician.index()];
        let zone = &self.region.facilities[clinician.facility.index()].time_zone;
        let scenario = self.scenario;
        let follow_up = next_follow_up(known, request, prior_start, zone, &scenario.rules, now)?;
        let not_before = follow_up.not_before.max(now);
        match self.book_request(
            &follow_up.request,
            Some(&follow_up.deadline),
            not_before,
            now,
        )? {
            Some(appointment) => {
                let attach = self.book.decide_attach(episode, appointment);
                self.apply(&attach)
            }
            // Nobody has time within the horizon: the episode ends.
            None => self.discharge(episode, now),
        }
    }

    fn discharge(&mut self, episode: EpisodeId, now: Timestamp) -> Result<(), SimError> {
        let member = self.book.episodes()[episode.index()].member;
        let decision = self.book.decide_discharge(episode, now);
        self.apply(&decision)?;
        self.member_episode[member.index()] = NO_EPISODE;
        Ok(())
    }

    /// Replans the scenario's disruption at `now` and applies the plan in one step: displaced
    /// appointments move (their replacements join the episode and are visited), or are arranged
    /// out of network (the episode leaves the book), and the disrupted clinicians' time is taken
    /// away for the period.
    fn disruption(&mut self, now: Timestamp) -> Result<(), SimError> {
        let Some(spec) = &self.scenario.disruption else {
            return Ok(());
        };
        let last = spec
            .first
            .checked_add((i64::from(spec.days) - 1).days())
            .map_err(|_| SimError::OutOfRange)?;
        let disruption = Disruption {
            clinicians: self.disrupted.clone(),
            first: spec.first,
            last,
            reason: spec.reason,
        };
        let replan = caretime_replan::plan(
            &ReplanContext {
                region: self.region,
                book: &self.book,
                rules: &self.scenario.rules,
                costs: &ReplanCosts::STANDARD,
            },
            &disruption,
            now,
            &mut |_| {},
        )?;
        let first_new = self.book.appointment_count();
        let changes = replan.changes(&self.book, now);
        self.apply_changes(&changes)?;
        self.counts.displaced += replan.moves.len() as u64;
        for moved in &replan.moves {
            if moved.to.is_none() {
                self.counts.arranged_out_of_network += 1;
                if let Some(episode) = self.book.episode_of(moved.appointment)
                    && self.book.episodes()[episode.index()].discharged.is_none()
                {
                    self.discharge(episode, now)?;
                }
            }
        }
        for idx in first_new..self.book.appointment_count() {
            let id = AppointmentId(idx as u32);
            let appointment = self.appointment(id)?;
            let visit_end =
                appointment.start + SignedDuration::from_mins(i64::from(appointment.length));
            let member = appointment.request.member;
            if let Some(replaced) = appointment.replaces
                && let Some(episode) = self.book.episode_of(replaced)
                && self.book.episodes()[episode.index()].discharged.is_none()
            {
                let attach = self.book.decide_attach(episode, id);
                self.apply(&attach)?;
            }
            self.schedule(visit_end, Event::VisitEnd(id, member));
        }
        Ok(())
    }

    /// One weekly group per internal clinician whose template has group time, from the first
    /// group block of the run to the end of the horizon; sessions in the facilitator's planned
    /// leave are cancelled at once (reason: leave).
    fn start_groups(&mut self, now: Timestamp) -> Result<(), SimError> {
        let model = &self.scenario.groups;
        if model.facilitator_share <= 0.0 {
            return Ok(());
        }
        let horizon = self.book.availability().horizon();
        for clinician in &self.region.clinicians {
            if clinician.affiliation != Affiliation::Internal {
                continue;
            }
            let template = &self.region.templates[clinician.template.index()];
            let Some(block) = template
                .blocks
                .iter()
                .find(|block| block.kind == BlockKind::Group)
            else {
                continue;
            };
            let zone = &self.region.facilities[clinician.facility.index()].time_zone;
            let mut day = horizon.first;
            while day.weekday() != block.day {
                day = day.tomorrow().map_err(|_| SimError::OutOfRange)?;
            }
            let first = day
                .to_datetime(block.range.start())
                .to_zoned(zone.clone())
                .map_err(|_| SimError::OutOfRange)?;
            let weeks = day
                .until(horizon.last)
                .map_or(0, |span| span.get_days().max(0) / 7) as usize;
            if weeks == 0 {
                continue;
            }
            let new = NewGroup {
                name: format!("Weekly group of {}", clinician.id),
                facilitators: vec![clinician.id],
                capacity: model.capacity,
                first,
                cadence: Cadence::Weekly,
                sessions: weeks,
                length: block.range.minutes().min(GROUP_MINUTES),
            };
            let group = GroupId(self.book.groups().len() as u32);
            let decision = self.book.decide_create_group(self.region, &new);
            self.apply(&decision)?;
            self.counts.groups += 1;
            self.groups_at[clinician.facility.index()].push(group);
            // The facilitator's planned leave, as the book's schedule has it.
            let away: Vec<(Date, Date)> = self
                .book
                .schedule(clinician.id)
                .map(|schedule| schedule.leave.clone())
                .unwrap_or_default();
            let sessions: Vec<(Timestamp, u32)> = self.book.groups()[group.index()]
                .sessions
                .iter()
                .map(|session| (session.start, session.length))
                .collect();
            for (idx, (start, length)) in sessions.into_iter().enumerate() {
                let date = start.to_zoned(zone.clone()).date();
                if away
                    .iter()
                    .any(|(first, last)| *first <= date && date <= *last)
                {
                    let cancel = self.book.decide_cancel_session(
                        group,
                        idx,
                        CancellationReason::Leave,
                        CancelledBy::Plan,
                        now,
                    );
                    self.apply(&cancel)?;
                    continue;
                }
                let check = start - SignedDuration::from_hours(24);
                self.schedule(check.max(now), Event::GroupCheck(group, idx as u32));
                let end = start + SignedDuration::from_mins(i64::from(length));
                self.schedule(end, Event::GroupEnd(group, idx as u32));
            }
        }
        Ok(())
    }

    /// Refers the member of an episode whose intake just took place to a group at the treating
    /// clinician's facility with room (the lowest id), for the scenario's weeks.
    fn refer_to_group(&mut self, episode: EpisodeId, now: Timestamp) -> Result<(), SimError> {
        let known = &self.book.episodes()[episode.index()];
        let (member, clinician) = (known.member, known.clinician);
        let facility = self.region.clinicians[clinician.index()].facility;
        let Some(groups) = self.groups_at.get(facility.index()) else {
            return Ok(());
        };
        let open = groups.iter().copied().find(|group| {
            let known = &self.book.groups()[group.index()];
            known.roster.len() < usize::from(known.capacity) && !known.roster.contains(&member)
        });
        let Some(group) = open else {
            self.counts.group_referrals_unplaced += 1;
            return Ok(());
        };
        let decision = self.book.decide_enrol(group, member, now);
        self.apply(&decision)?;
        self.counts.group_referrals += 1;
        let leave =
            now + SignedDuration::from_hours(24 * 7 * i64::from(self.scenario.groups.weeks));
        self.schedule(leave, Event::GroupLeave(group, member));
        Ok(())
    }

    fn group_check(
        &mut self,
        group: GroupId,
        session: usize,
        now: Timestamp,
    ) -> Result<(), SimError> {
        let meeting = &self.book.groups()[group.index()].sessions[session];
        if meeting.cancellation.is_some() || meeting.start <= now {
            return Ok(());
        }
        let booked = meeting
            .seats
            .iter()
            .filter(|seat| seat.status == AppointmentStatus::Booked)
            .count();
        if booked < usize::from(self.scenario.groups.min_seats) {
            let cancel = self.book.decide_cancel_session(
                group,
                session,
                CancellationReason::LowEnrolment,
                CancelledBy::Plan,
                now,
            );
            self.apply(&cancel)?;
        }
        Ok(())
    }

    fn group_end(&mut self, group: GroupId, session: usize) -> Result<(), SimError> {
        let meeting = &self.book.groups()[group.index()].sessions[session];
        if meeting.cancellation.is_some() {
            return Ok(());
        }
        let members: Vec<MemberId> = meeting
            .seats
            .iter()
            .filter(|seat| seat.status == AppointmentStatus::Booked)
            .map(|seat| seat.member)
            .collect();
        // A standing weekly session: the no-show chance of an appointment booked a week ahead.
        let share = self.scenario.attendance.no_show_share(7);
        for member in members {
            let status = if self.draws.chance(share) {
                AppointmentStatus::NoShow
            } else {
                AppointmentStatus::Fulfilled
            };
            let decision = self
                .book
                .decide_group_attendance(group, session, member, status);
            self.apply(&decision)?;
        }
        Ok(())
    }

    fn group_leave(
        &mut self,
        group: GroupId,
        member: MemberId,
        now: Timestamp,
    ) -> Result<(), SimError> {
        if self.book.groups()[group.index()].roster.contains(&member) {
            let decision = self.book.decide_unenrol(group, member, now);
            self.apply(&decision)?;
        }
        Ok(())
    }

    fn member_cancel(&mut self, id: AppointmentId, now: Timestamp) -> Result<(), SimError> {
        let appointment = self.appointment(id)?;
        if appointment.status != AppointmentStatus::Booked || appointment.start <= now {
            return Ok(());
        }
        let mut request = appointment.request.clone();
        let decision = self.book.decide_cancel(
            id,
            CancellationReason::MemberRequest,
            CancelledBy::Member,
            now,
        );
        self.apply(&decision)?;
        self.counts.member_cancellations += 1;
        // The member asks again at once: a new request, same kind, same course of treatment.
        request.id = self.request_id();
        request.requested = now;
        let episode = self.book.episode_of(id);
        match (self.book_request(&request, None, now, now)?, episode) {
            (Some(appointment), Some(episode)) => {
                let attach = self.book.decide_attach(episode, appointment);
                self.apply(&attach)
            }
            (None, Some(episode)) => self.discharge(episode, now),
            _ => Ok(()),
        }
    }
}
