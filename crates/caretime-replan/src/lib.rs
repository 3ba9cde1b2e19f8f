//! Replanning a disruption: where every displaced appointment goes, optimally.
//!
//! A [`Disruption`] takes clinicians away over a period (a strike, leave, a closure). [`plan`]
//! finds the appointments it displaces and builds a min-cost-flow network ([`caretime_flow`]):
//!
//! ```text
//!   appointment (supply 1) ──cost──► (clinician, day) bucket ──capacity = free fits──► sink
//!        └──────────── out-of-network arrangement (expensive, capacity 1) ───────────────┘
//! ```
//!
//! Each appointment may go to the buckets the booking filters allow (discipline, reachable
//! modality and distance, language or an interpreter; disrupted clinicians only after the
//! disruption). Arc costs price lateness against the appointment's own deadline (a plan
//! cancellation keeps it), waiting, travel, a change of modality, an interpreter, losing
//! continuity, and network over internal. The out-of-network arc makes every instance feasible.
//!
//! A full-scale strike allows billions of (appointment, bucket) arcs, so the network is built by
//! column generation: the first round gives each appointment its cheapest buckets (spread over
//! several days), later rounds add the arcs whose reduced cost under the last optimum's dual
//! potentials is negative, the only arcs that can lower it. When a round finds none, the plan is
//! optimal over every allowed bucket ([`Replan::converged`]); otherwise it is optimal over the
//! arcs generated, and the report says so. The solver's optimum is then placed on concrete starts
//! inside each bucket's day.
//!
//! The search for such arcs must be complete for that proof, and cheap enough to run for every
//! appointment in every round. It splits the allowed buckets in two: in person (only the
//! facilities within reach of the member's home, searched by day under a bound of travel and
//! the facility's highest price from that day on) and by video or phone (where every clinician
//! of the same pool and remote modalities costs the same, the member's language's
//! speakers without an interpreter and everyone else with one, so each day's rows, listed per
//! language and dearest first, are searched in the exact order of their reduced cost). A
//! round's searches are complete unless a bucket reached its quota of new arcs or a search
//! reached its step budget; only a complete round with nothing to add proves convergence. The
//! test `tests/replan_optimal.rs` checks the converged plan against the complete network.
//!
//! Group sessions facilitated by a disrupted clinician keep their group when a clinician of the
//! same discipline at the same facility, not disrupted, has group time free then; otherwise the
//! session is cancelled with the disruption's reason and every seat is moved or cancelled.
//!
//! [`Replan::changes`] turns the plan into the book's changes (cancellations by the plan,
//! the disrupted clinicians' leave, new appointments, arrangements, group decisions), applied
//! atomically by [`Book::apply`]: the same path as every booking.

pub mod disruption_file;

use std::cmp::Reverse;
use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, BinaryHeap, HashMap};

use caretime_core::calendar::BusinessCalendar;
use caretime_core::id::{AppointmentId, ClinicianId, FacilityId, GroupId};
use caretime_core::region::{
    Affiliation, Clinician, Discipline, Language, Modality, ModalitySet, Region,
};
use caretime_core::rules::RuleSet;
use caretime_core::slug::Slug;
use caretime_flow::{ArcId, Basis, FlowError, Network, NodeId, Progress, Solution};
use jiff::Timestamp;
use jiff::civil::Date;

use caretime_engine::availability::{Availability, AvailabilityError, FreeKind, Minute, Pool};
use caretime_engine::book::{
    Appointment, AppointmentStatus, Book, Cancellation, CancellationReason, CancelledBy, Change,
    OfferRecord, Outcome,
};
use caretime_engine::find::{
    Interpreters, OutOfNetworkArrangement, Route, Timeliness, modality_for, pool_of, timeliness,
};
use caretime_engine::group::in_group_time;

/// Why clinicians are unavailable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DisruptionReason {
    /// A strike (e.g. NUHW's from 2024-10-21, 196 days).
    Strike,
    /// Leave (illness, parental, vacation).
    Leave,
    /// A facility closure.
    Closure,
}

impl DisruptionReason {
    /// The cancellation reason appointments and group sessions get.
    pub fn cancellation_reason(self) -> CancellationReason {
        match self {
            DisruptionReason::Strike => CancellationReason::Strike,
            DisruptionReason::Leave => CancellationReason::Leave,
            DisruptionReason::Closure => CancellationReason::Closure,
        }
    }

    /// Every reason, in a fixed order.
    pub const ALL: [DisruptionReason; 3] = [
        DisruptionReason::Strike,
        DisruptionReason::Leave,
        DisruptionReason::Closure,
    ];
}

impl Slug for DisruptionReason {
    const VARIANTS: &'static [DisruptionReason] = &DisruptionReason::ALL;

    /// The kebab-case name used in files and output.
    fn slug(self) -> &'static str {
        match self {
            DisruptionReason::Strike => "strike",
            DisruptionReason::Leave => "leave",
            DisruptionReason::Closure => "closure",
        }
    }
}

/// Clinicians unavailable over a period.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Disruption {
    /// Who (sorted, no duplicates).
    pub clinicians: Vec<ClinicianId>,
    /// First local date.
    pub first: Date,
    /// Last local date (inclusive).
    pub last: Date,
    /// Why.
    pub reason: DisruptionReason,
}

/// What the replanner pays for each property of a move (integers, so the optimum is exact).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReplanCosts {
    /// Once, for a start past the deadline.
    pub late: i64,
    /// Per business day past the deadline's last day.
    pub late_per_business_day: i64,
    /// Per calendar day after the original appointment's date.
    pub wait_per_day: i64,
    /// A network provider rather than an internal clinician.
    pub network: i64,
    /// Per km of travel to in-person care.
    pub travel_per_km: i64,
    /// In person before, video or phone now.
    pub modality_change: i64,
    /// An interpreter needed where none was.
    pub interpreter: i64,
    /// Another clinician than the one the member saw.
    pub continuity: i64,
    /// An out-of-network arrangement instead of any in-network time.
    pub out_of_network: i64,
    /// At most this many (clinician, day) buckets per appointment in the first round of
    /// column generation (a third as many more in each later round).
    pub candidates: usize,
    /// At most this many rounds of column generation (see [`plan`]).
    pub max_rounds: usize,
}

impl ReplanCosts {
    /// Weights chosen so that lateness dominates, then network and continuity, then comfort; an
    /// out-of-network arrangement costs more than being 40 business days late in network (an
    /// assumption to revisit with the people who run the network: the weights are parameters).
    pub const STANDARD: ReplanCosts = ReplanCosts {
        late: 1_000,
        late_per_business_day: 200,
        wait_per_day: 5,
        network: 150,
        travel_per_km: 4,
        modality_change: 60,
        interpreter: 40,
        continuity: 120,
        out_of_network: 10_000,
        candidates: 48,
        max_rounds: 12,
    };
}

/// Where an appointment goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Placement {
    /// Who.
    pub clinician: ClinicianId,
    /// Where.
    pub facility: FacilityId,
    /// When.
    pub start: Timestamp,
    /// How.
    pub modality: Modality,
    /// The interpreter to book, if any.
    pub interpreter: Option<Language>,
    /// Internal (or back to the treating clinician after the disruption) or network.
    pub route: Route,
}

/// One displaced appointment's fate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Move {
    /// The displaced appointment.
    pub appointment: AppointmentId,
    /// Its new time, or `None` for an out-of-network arrangement.
    pub to: Option<Placement>,
    /// The new time against the appointment's original deadline (`None` out of network).
    pub timeliness: Option<Timeliness>,
    /// The displaced appointment's own time against the same deadline: a move cannot be timely
    /// where the appointment it replaces was already late.
    pub before: Timeliness,
}

/// A group session the disruption touches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GroupDecision {
    /// A substitute keeps the whole group.
    Substituted {
        /// The group.
        group: GroupId,
        /// The session.
        session: usize,
        /// The disrupted facilitator.
        absent: ClinicianId,
        /// Who stands in.
        substitute: ClinicianId,
    },
    /// No substitute: cancelled with the disruption's reason.
    Cancelled {
        /// The group.
        group: GroupId,
        /// The session.
        session: usize,
    },
}

/// The plan for a disruption: previewed, then applied with [`Replan::changes`].
#[derive(Clone, Debug)]
pub struct Replan {
    /// The disruption.
    pub disruption: Disruption,
    /// One per displaced appointment, in appointment order.
    pub moves: Vec<Move>,
    /// Group sessions kept or cancelled.
    pub groups: Vec<GroupDecision>,
    /// The flow network solved (for `--export-dimacs`).
    pub network: Network,
    /// Its optimal cost.
    pub cost: i128,
    /// Rounds of candidate generation it took (see [`plan`]).
    pub rounds: usize,
    /// Whether the last round found no cheaper free time for any appointment (rather than
    /// stopping at the round limit).
    pub converged: bool,
    /// The first date the disrupted clinicians' time is taken away: the disruption's first day,
    /// or the day after `now` when it has already begun (today's past sessions stay as they
    /// were; today's remaining free time stays bookable).
    pub leave_from: Date,
}

/// Counts for the preview.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReplanSummary {
    /// Appointments displaced.
    pub displaced: usize,
    /// Moved to internal clinicians (incl. back to the treating clinician after the disruption).
    pub internal: usize,
    /// Moved to network providers.
    pub network: usize,
    /// Out-of-network arrangements.
    pub out_of_network: usize,
    /// Moves within the deadline.
    pub timely: usize,
    /// Displaced appointments that were themselves within the deadline.
    pub timely_before: usize,
    /// Late moves by business days late.
    pub late_by_business_days: BTreeMap<u32, usize>,
    /// Group sessions kept with a substitute.
    pub groups_kept: usize,
    /// Group sessions cancelled.
    pub groups_cancelled: usize,
}

/// Why a replan could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplanError {
    /// The disruption ends before it starts.
    #[error("the disruption ends before it starts")]
    EmptyPeriod,
    /// A clinician the region does not have.
    #[error("{0} is not a clinician of the region")]
    UnknownClinician(ClinicianId),
    /// The index failed.
    #[error(transparent)]
    Availability(#[from] AvailabilityError),
    /// The solver failed.
    #[error("min-cost flow: {0}")]
    Flow(#[from] FlowError),
}

impl Replan {
    /// The preview's counts.
    pub fn summary(&self) -> ReplanSummary {
        let mut summary = ReplanSummary {
            displaced: self.moves.len(),
            ..ReplanSummary::default()
        };
        for displaced in &self.moves {
            summary.timely_before += usize::from(displaced.before.is_met());
            match &displaced.to {
                None => summary.out_of_network += 1,
                Some(placement) if placement.route == Route::Network => summary.network += 1,
                Some(_) => summary.internal += 1,
            }
            match displaced.timeliness {
                None => {}
                Some(Timeliness::Met) => summary.timely += 1,
                Some(Timeliness::Late { business_days }) => {
                    *summary
                        .late_by_business_days
                        .entry(business_days)
                        .or_default() += 1;
                }
            }
        }
        for decision in &self.groups {
            match decision {
                GroupDecision::Substituted { .. } => summary.groups_kept += 1,
                GroupDecision::Cancelled { .. } => summary.groups_cancelled += 1,
            }
        }
        summary
    }

    /// The book's changes that carry the plan out, for [`Book::apply`] (all or nothing): each
    /// displaced appointment cancelled by the plan with the disruption's reason; the disrupted
    /// clinicians' leave; the new appointments (same request, so the same deadline; each records
    /// the move as the offer compliance counts); out-of-network arrangements; group substitutes
    /// and cancellations.
    pub fn changes(&self, book: &Book, now: Timestamp) -> Vec<Change> {
        let reason = self.disruption.reason.cancellation_reason();
        let cancellation = Cancellation {
            reason,
            by: CancelledBy::Plan,
            at: now,
        };
        let mut changes = Vec::new();
        for displaced in &self.moves {
            let original = book
                .appointment(displaced.appointment)
                .expect("a plan moves appointments of the book it was made from");
            changes.push(Change::SetStatus {
                appointment: original.id,
                from: original.status,
                to: AppointmentStatus::Cancelled,
                cancellation: Some(cancellation),
            });
        }
        for &clinician in &self.disruption.clinicians {
            if let Some(schedule) = book.schedule(clinician) {
                let mut schedule = schedule.clone();
                schedule
                    .leave
                    .push((self.disruption.first, self.disruption.last));
                changes.push(Change::Reschedule {
                    clinician,
                    schedule: Box::new(schedule),
                    from: self.leave_from,
                });
            }
        }
        let mut next_id = book.next_appointment_id().0;
        for displaced in &self.moves {
            let original = book
                .appointment(displaced.appointment)
                .expect("a plan moves appointments of the book it was made from");
            match &displaced.to {
                Some(placement) => {
                    changes.push(Change::Create(Box::new(Appointment {
                        id: AppointmentId(next_id),
                        request: original.request.clone(),
                        deadline: original.deadline,
                        offered: OfferRecord {
                            clinician: placement.clinician,
                            start: placement.start,
                            timeliness: displaced.timeliness.unwrap_or(Timeliness::Met),
                        },
                        clinician: placement.clinician,
                        facility: placement.facility,
                        start: placement.start,
                        length: original.length,
                        time: FreeKind::Direct,
                        modality: placement.modality,
                        interpreter: placement.interpreter,
                        route: placement.route,
                        // A hold or a proposal stays one (same expiry): the member has not
                        // confirmed the original either.
                        status: original.status,
                        expires: original.expires,
                        cancellation: None,
                        replaces: Some(original.id),
                        overbooks: None,
                    })));
                    next_id += 1;
                }
                None => changes.push(Change::Arrange(OutOfNetworkArrangement {
                    request: original.request.id,
                    requested: original.request.requested,
                    member: original.request.member,
                    kind: original.request.kind,
                    deadline: original.deadline,
                })),
            }
        }
        // Cancelled sessions one after the other on a scratch copy of the groups' state, so that
        // a seat moved into a session the plan also cancels is moved (or cancelled) again.
        let mut scratch: Option<Book> = None;
        for decision in &self.groups {
            match *decision {
                GroupDecision::Substituted {
                    group,
                    session,
                    absent,
                    substitute,
                } => changes.push(Change::Substitute {
                    group,
                    session,
                    absent,
                    substitute,
                }),
                GroupDecision::Cancelled { group, session } => {
                    let scratch = scratch.get_or_insert_with(|| book.clone());
                    if let Outcome::Accepted(cancel) = scratch.decide_cancel_session(
                        group,
                        session,
                        reason,
                        CancelledBy::Plan,
                        now,
                    ) && scratch.apply(&cancel).is_ok()
                    {
                        changes.extend(cancel);
                    }
                }
            }
        }
        changes
    }
}

/// Everything a replan reads.
#[derive(Clone, Copy, Debug)]
pub struct ReplanContext<'a> {
    /// The region.
    pub region: &'a Region,
    /// The book as it stands.
    pub book: &'a Book,
    /// The timely-access rules (for lateness).
    pub rules: &'a RuleSet,
    /// The weights.
    pub costs: &'a ReplanCosts,
}

/// How many days with free time of the treating clinician after the disruption each
/// appointment is offered in the first round (continuity).
const TREATING_DAYS: usize = 3;

/// The remote search lists rows by pool ([`Pool`], 0 to 3) and the remote
/// modalities they offer (video 1, phone 2): key `pool * 4 + bits`.
const REMOTE_KEYS: usize = 16;

/// The remote-modality bits of a set of modalities (see [`REMOTE_KEYS`]).
fn remote_bits(modalities: ModalitySet) -> usize {
    usize::from(modalities.contains(Modality::Video))
        | usize::from(modalities.contains(Modality::Phone)) << 1
}

/// The first round's candidates of an appointment span at least this many days.
const FIRST_ROUND_DAYS: usize = 8;

/// In rounds after the first, a bucket is offered in at most this many new arcs per unit of its
/// capacity. A small quota takes many rounds to converge; a large one, or none, adds far more
/// arcs and rounds, because every appointment then asks for the same dear buckets. 32 converged
/// in the fewest rounds with the fewest arcs on the 10 % strike (figures: `bench/NOTES.md`).
const ROUND_QUOTA: u32 = 32;

/// A (row, day) bucket of the flow network.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Bucket {
    day: u32,
    row: u32,
}

impl Bucket {
    fn new(row: usize, day: usize) -> Bucket {
        Bucket {
            row: row as u32,
            day: day as u32,
        }
    }
}

/// A count per bucket, dense (4 bytes per row and day: 6 MB at full scale).
#[derive(Clone, Debug)]
struct Buckets {
    n_rows: usize,
    counts: Vec<u32>,
}

impl Buckets {
    fn new(n_rows: usize, n_days: usize) -> Buckets {
        Buckets {
            n_rows,
            counts: vec![0; n_rows * n_days],
        }
    }

    fn index(&self, bucket: Bucket) -> usize {
        bucket.day as usize * self.n_rows + bucket.row as usize
    }

    fn get(&self, bucket: Bucket) -> u32 {
        self.counts[self.index(bucket)]
    }

    fn set(&mut self, bucket: Bucket, count: u32) {
        let idx = self.index(bucket);
        self.counts[idx] = count;
    }
}

/// Per day and facility, the rows with room (`plan` sorts them dearest first once there are
/// prices); per discipline kind (therapists 0, psychiatrists 1) and facility, the days with such
/// rows.
#[allow(clippy::type_complexity)]
fn free_lists(
    region: &Region,
    availability: &Availability,
    n_days: usize,
    room: &Buckets,
) -> (Vec<Vec<Vec<u32>>>, [Vec<Vec<u32>>; 2]) {
    let n_facilities = region.facilities.len();
    let mut free = vec![vec![Vec::new(); n_facilities]; n_days];
    let mut facility_days: [Vec<Vec<u32>>; 2] = [
        vec![Vec::new(); n_facilities],
        vec![Vec::new(); n_facilities],
    ];
    for (day, by_facility) in free.iter_mut().enumerate() {
        for row in 0..availability.n_rows() {
            if room.get(Bucket::new(row, day)) == 0 {
                continue;
            }
            let who = &region.clinicians[availability.clinician_at(row).index()];
            let facility = who.facility.index();
            by_facility[facility].push(row as u32);
            let days = &mut facility_days[usize::from(who.discipline == Discipline::Psychiatrist)]
                [facility];
            if days.last() != Some(&(day as u32)) {
                days.push(day as u32);
            }
        }
    }
    (free, facility_days)
}

/// The rows with room that offer video or phone, per day, remote key (see [`REMOTE_KEYS`]) and
/// language slot: slot 0 lists every row, slot `1 + l` the rows that speak language `l` of
/// `languages` (so that a member's own language and an interpreter are two exact bounds, not
/// one loose one). Dearest first under the last prices (by row before any, when all are 0).
#[derive(Debug)]
struct RemoteLists {
    /// Every language some clinician speaks, sorted.
    languages: Vec<Language>,
    /// `1 + languages.len()`.
    n_slots: usize,
    /// By `(day * REMOTE_KEYS + key) * n_slots + slot`.
    lists: Vec<Vec<u32>>,
}

impl RemoteLists {
    /// Empty lists for the region's languages over `n_days` days.
    fn new(region: &Region, n_days: usize) -> RemoteLists {
        let mut languages: Vec<Language> = region
            .clinicians
            .iter()
            .flat_map(|who| who.languages.iter().copied())
            .collect();
        languages.sort_unstable();
        languages.dedup();
        let n_slots = 1 + languages.len();
        RemoteLists {
            languages,
            n_slots,
            lists: vec![Vec::new(); n_days * REMOTE_KEYS * n_slots],
        }
    }

    /// Lists the rows with room in `free` anew, dearest first under `prices`.
    fn fill(
        &mut self,
        region: &Region,
        availability: &Availability,
        free: &[Vec<Vec<u32>>],
        prices: Option<&[i64]>,
        capacity: &Buckets,
    ) {
        let (languages, n_slots, lists) = (&self.languages, self.n_slots, &mut self.lists);
        for list in lists.iter_mut() {
            list.clear();
        }
        for (day, by_facility) in free.iter().enumerate() {
            for &row in by_facility.iter().flatten() {
                let who = &region.clinicians[availability.clinician_at(row as usize).index()];
                let bits = remote_bits(who.modalities);
                if bits == 0 {
                    continue;
                }
                let base = (day * REMOTE_KEYS + pool_of(who).index() * 4 + bits) * n_slots;
                lists[base].push(row);
                for language in &who.languages {
                    if let Ok(idx) = languages.binary_search(language) {
                        lists[base + 1 + idx].push(row);
                    }
                }
            }
        }
        for (idx, list) in lists.iter_mut().enumerate() {
            let day = idx / (REMOTE_KEYS * n_slots);
            match prices {
                Some(prices) => list.sort_unstable_by_key(|&row| {
                    (
                        Reverse(prices[capacity.index(Bucket::new(row as usize, day))]),
                        row,
                    )
                }),
                None => list.sort_unstable(),
            }
        }
    }

    fn index(&self, day: usize, key: usize, slot: usize) -> usize {
        (day * REMOTE_KEYS + key) * self.n_slots + slot
    }

    /// The day, key and slot of a list.
    fn parts(&self, list: usize) -> (usize, usize, usize) {
        let slot = list % self.n_slots;
        let key = list / self.n_slots % REMOTE_KEYS;
        (list / (self.n_slots * REMOTE_KEYS), key, slot)
    }

    /// The slot of a language's speakers, if anyone speaks it.
    fn slot(&self, language: Language) -> Option<usize> {
        self.languages
            .binary_search(&language)
            .ok()
            .map(|idx| idx + 1)
    }
}

/// How many candidates one search looks for, and how good they must be.
#[derive(Clone, Copy, Debug)]
struct Limits {
    /// At most this many.
    want: usize,
    /// At most this many on one day.
    per_day: usize,
    /// Each one's cost less its bucket's price below this.
    threshold: i64,
}

/// A bucket takes at most [`ROUND_QUOTA`] new arcs per unit of capacity in one round, so that
/// the appointments searched later in the round find other buckets than the first ones did.
/// Full buckets leave the remote lists: per list, a disjoint-set forest over its positions
/// points each position to the next one that may still be open.
#[derive(Debug)]
struct Quota {
    /// New arcs per bucket this round.
    offered: Buckets,
    /// Per bucket, where its (list, position) pairs start in `at` (one more entry at the end).
    at_start: Vec<u32>,
    /// The remote lists and positions of every bucket, bucket by bucket.
    at: Vec<(u32, u32)>,
    /// Per remote list, where its positions start in `next`.
    list_start: Vec<u32>,
    /// Per position of each remote list, and one past each list's end: the next position
    /// that may be open (itself while open).
    next: Vec<u32>,
    /// Whether any bucket filled its quota this round (then the round proves nothing).
    filled: bool,
}

impl Quota {
    fn new(remote: &RemoteLists, capacity: &Buckets, n_rows: usize, n_days: usize) -> Quota {
        let mut at_start = vec![0u32; n_rows * n_days + 1];
        for (list, rows) in remote.lists.iter().enumerate() {
            let (day, _, _) = remote.parts(list);
            for &row in rows {
                at_start[capacity.index(Bucket::new(row as usize, day)) + 1] += 1;
            }
        }
        for idx in 0..n_rows * n_days {
            at_start[idx + 1] += at_start[idx];
        }
        let mut fill = at_start.clone();
        let mut at = vec![(0u32, 0u32); at_start[n_rows * n_days] as usize];
        let mut list_start = Vec::with_capacity(remote.lists.len());
        let mut next = Vec::new();
        for (list, rows) in remote.lists.iter().enumerate() {
            list_start.push(next.len() as u32);
            let (day, _, _) = remote.parts(list);
            for (position, &row) in rows.iter().enumerate() {
                let bucket = capacity.index(Bucket::new(row as usize, day));
                at[fill[bucket] as usize] = (list as u32, position as u32);
                fill[bucket] += 1;
                next.push(next.len() as u32);
            }
            next.push(next.len() as u32);
        }
        Quota {
            offered: Buckets::new(n_rows, n_days),
            at_start,
            at,
            list_start,
            next,
            filled: false,
        }
    }

    /// The first position at or after `position` in `list` whose bucket is not full (the
    /// list's length when none is).
    fn open(&mut self, list: usize, position: usize) -> usize {
        let start = self.list_start[list] as usize;
        let mut idx = start + position;
        while self.next[idx] as usize != idx {
            // Path halving.
            let skip = self.next[self.next[idx] as usize];
            self.next[idx] = skip;
            idx = skip as usize;
        }
        idx - start
    }

    fn full(&self, bucket: Bucket, capacity: &Buckets) -> bool {
        self.offered.get(bucket) >= capacity.get(bucket) * ROUND_QUOTA
    }

    /// Counts a new arc to `bucket`.
    fn take(&mut self, bucket: Bucket, capacity: &Buckets) {
        let offers = self.offered.get(bucket) + 1;
        self.offered.set(bucket, offers);
        if offers >= capacity.get(bucket) * ROUND_QUOTA {
            self.filled = true;
            let bucket = capacity.index(bucket);
            for &(list, position) in
                &self.at[self.at_start[bucket] as usize..self.at_start[bucket + 1] as usize]
            {
                let idx = (self.list_start[list as usize] + position) as usize;
                self.next[idx] = idx as u32 + 1;
            }
        }
    }
}

/// At most this many steps (leads taken, rows looked at) in one appointment's search; a search
/// cut short proves nothing.
const SEARCH_BUDGET: usize = 4_096;

/// Plans the disruption at `now`: the optimal moves of every appointment it displaces (and the
/// group sessions it touches). Pure: the book is not changed.
pub fn plan(
    context: &ReplanContext<'_>,
    disruption: &Disruption,
    now: Timestamp,
    observer: &mut dyn FnMut(Progress),
) -> Result<Replan, ReplanError> {
    let ReplanContext {
        region,
        book,
        rules,
        costs,
    } = *context;
    if disruption.last < disruption.first {
        return Err(ReplanError::EmptyPeriod);
    }
    for clinician in &disruption.clinicians {
        if region.clinicians.get(clinician.index()).is_none() {
            return Err(ReplanError::UnknownClinician(*clinician));
        }
    }
    let availability = book.availability();
    let zone = rules.time_zone();
    let horizon = availability.horizon();
    let disrupted =
        |clinician: ClinicianId| disruption.clinicians.binary_search(&clinician).is_ok();
    let in_period = |date: Date| disruption.first <= date && date <= disruption.last;

    // The displaced appointments.
    let displaced: Vec<Appointment> = book
        .appointments()
        .filter(|appointment| {
            matches!(
                appointment.status,
                AppointmentStatus::Proposed
                    | AppointmentStatus::Pending
                    | AppointmentStatus::Booked
            ) && appointment.start >= now
                && disrupted(appointment.clinician)
                && in_period(appointment.start.to_zoned(zone.clone()).date())
        })
        .collect();

    // Days of the horizon, as [start, end) minutes in the rules' zone.
    let mut days: Vec<(Date, Minute, Minute)> = Vec::new();
    let mut date = horizon.first;
    while date <= horizon.last {
        let next = date.tomorrow().map_err(|_| AvailabilityError::OutOfRange)?;
        let at = |day: Date| -> Result<Minute, AvailabilityError> {
            Ok(Minute::from_timestamp(
                day.to_zoned(zone.clone())
                    .map_err(|_| AvailabilityError::OutOfRange)?
                    .timestamp(),
            ))
        };
        days.push((date, at(date)?, at(next)?));
        date = next;
    }
    let now_minute = Minute::from_timestamp(now);
    let today = now.to_zoned(zone.clone()).date();
    let leave_from = if disruption.first <= today {
        today
            .tomorrow()
            .map_err(|_| AvailabilityError::OutOfRange)?
    } else {
        disruption.first
    };

    // Free direct time per (row, day): each bucket's capacity (fits of the longest displaced
    // appointment), the disrupted clinicians' none during the disruption.
    let max_length = displaced.iter().map(|a| a.length).max().unwrap_or(60);
    let n_rows = availability.n_rows();
    let mut capacity = Buckets::new(n_rows, days.len());
    for (day, (date, day_start, day_end)) in days.iter().enumerate() {
        let from = Minute(day_start.0.max(now_minute.0)).ceil_to_grid();
        if from < *day_end {
            for row in 0..n_rows {
                let clinician = availability.clinician_at(row);
                if disrupted(clinician) && in_period(*date) {
                    continue;
                }
                let fits = availability.direct_fits(clinician, from, *day_end, max_length)?;
                capacity.set(Bucket::new(row, day), fits);
            }
        }
    }
    // Facilities with an internal clinician.
    let mut facility_internal = vec![false; region.facilities.len()];
    for row in 0..n_rows {
        let who = &region.clinicians[availability.clinician_at(row).index()];
        facility_internal[who.facility.index()] |= who.affiliation == Affiliation::Internal;
    }
    // Business days counted through each day of the horizon, for lateness.
    let calendar = rules.calendar();
    let mut business_through: Vec<u32> = Vec::with_capacity(days.len());
    let mut count = 0;
    for (date, _, _) in &days {
        count += u32::from(calendar.is_business_day(*date));
        business_through.push(count);
    }

    // Column generation. The first round gives each appointment its cheapest `candidates`
    // buckets and solves. The optimum's dual prices (caretime_flow::potentials) then say which
    // arcs not yet in the network could lower it: an arc from appointment a to bucket b of cost
    // c with c + p(a) - p(b) < 0, where a bucket not in the network is priced as the sink. Each
    // later round adds, for every appointment (dearest first), up to a third as many such arcs,
    // a bucket offered to at most ROUND_QUOTA times its capacity in new arcs per round, and
    // solves again. A search passes over only what cannot lower the optimum unless a bucket's
    // quota held an arc back or the search hit its step budget (see `Search::candidates`), so
    // when a round with neither finds nothing anywhere, the plan is optimal over every bucket
    // the filters allow, not only the candidates: `converged`.
    let (mut free, facility_days) = free_lists(region, availability, days.len(), &capacity);
    let n_facilities = region.facilities.len();
    let n_days = days.len();
    let mut pair_max = vec![0i64; n_facilities * n_days * 4];
    let mut suffix_max = vec![0i64; n_facilities * n_days * 4];
    let mut remote = RemoteLists::new(region, n_days);
    remote.fill(region, availability, &free, None, &capacity);
    let mut candidates: Vec<Vec<(Bucket, i64)>> = vec![Vec::new(); displaced.len()];
    let mut current_cost: Vec<i64> = vec![i64::MAX; displaced.len()];
    // Dual prices of the last optimum: per appointment, and per bucket (dense).
    let mut prices: Option<(Vec<i64>, Vec<i64>)> = None;
    let mut rounds = 0;
    let mut converged = false;
    // The network grows round by round, nodes and arcs appended, so that each solve starts from
    // the last optimum's basis (only the new arcs need pivots). Node 0 is the sink, node
    // `idx + 1` the appointment `idx`, then the buckets as they are first offered.
    let mut network = Network::new(0);
    let sink = network.add_node();
    network.set_supply(sink, -(displaced.len() as i64));
    // Per appointment, its arcs with their buckets (`None` for out of network).
    let mut arc_targets: Vec<Vec<(ArcId, Option<Bucket>)>> = Vec::with_capacity(displaced.len());
    for _ in &displaced {
        let node = network.add_node();
        network.set_supply(node, 1);
        let arc = network.add_arc(node, sink, 1, costs.out_of_network)?;
        arc_targets.push(vec![(arc, None)]);
    }
    let mut bucket_nodes: HashMap<Bucket, NodeId> = HashMap::new();
    let mut basis: Option<Basis> = None;
    let mut solution: Option<Solution> = None;
    loop {
        rounds += 1;
        let mut added = 0;
        let mut proven = true;
        let mut order: Vec<usize> = (0..displaced.len()).collect();
        order.sort_by_key(|&idx| (Reverse(current_cost[idx]), idx));
        let mut quota = prices
            .is_some()
            .then(|| Quota::new(&remote, &capacity, n_rows, n_days));
        let search = Search {
            region,
            book,
            costs,
            availability,
            days: &days,
            zone,
            horizon_first: horizon.first,
            now,
            free: &free,
            capacity: &capacity,
            facility_internal: &facility_internal,
            facility_days: &facility_days,
            business_through: &business_through,
            calendar,
            remote: &remote,
            prices: prices
                .as_ref()
                .map(|(_, bucket_prices)| bucket_prices.as_slice()),
            pair_max: &pair_max,
            suffix_max: &suffix_max,
        };
        for idx in order {
            let known = &mut candidates[idx];
            known.sort_unstable_by_key(|(bucket, _)| *bucket);
            // The first round spreads each appointment's candidates over at least
            // FIRST_ROUND_DAYS days: the earliest days are the most contested.
            let (threshold, want, per_day, own_price) = match &prices {
                None => (
                    i64::MAX,
                    costs.candidates,
                    costs.candidates.div_ceil(FIRST_ROUND_DAYS),
                    0,
                ),
                Some((appointment_prices, _)) => (
                    -appointment_prices[idx],
                    costs.candidates.div_ceil(3),
                    usize::MAX,
                    appointment_prices[idx],
                ),
            };
            // New arcs only, and with prices only those of negative reduced cost.
            let mut accept = |bucket: Bucket, cost: i64| -> bool {
                if known.binary_search_by_key(&bucket, |(b, _)| *b).is_ok() {
                    return false;
                }
                match &prices {
                    None => true,
                    Some((_, bucket_prices)) => {
                        cost + own_price - bucket_prices[capacity.index(bucket)] < 0
                    }
                }
            };
            let (found, complete) = search.candidates(
                &displaced[idx],
                idx,
                Limits {
                    want,
                    per_day,
                    threshold,
                },
                quota.as_mut(),
                &mut accept,
            )?;
            proven &= complete;
            added += found.len();
            let from = NodeId(idx as u32 + 1);
            for &(bucket, cost) in &found {
                let to = match bucket_nodes.entry(bucket) {
                    Entry::Occupied(known) => *known.get(),
                    Entry::Vacant(vacant) => {
                        let node = network.add_node();
                        network.add_arc(node, sink, i64::from(capacity.get(bucket)), 0)?;
                        *vacant.insert(node)
                    }
                };
                let arc = network.add_arc(from, to, 1, cost)?;
                arc_targets[idx].push((arc, Some(bucket)));
            }
            known.extend(found);
        }
        // A bucket that filled its quota may have been passed over.
        proven &= quota.is_none_or(|quota| !quota.filled);
        if added == 0 && solution.is_some() {
            rounds -= 1;
            converged = proven;
            break;
        }
        let (solved, next) = caretime_flow::solve_from(&network, basis.as_ref(), observer)?;
        basis = Some(next);
        let potentials = caretime_flow::potentials(&network, &solved.flow)?;
        let sink_price = potentials[0];
        let mut bucket_prices = vec![sink_price; n_rows * days.len()];
        for (bucket, node) in &bucket_nodes {
            bucket_prices[capacity.index(*bucket)] = potentials[node.0 as usize];
        }
        pair_max.fill(i64::MIN);
        for (day, by_facility) in free.iter_mut().enumerate() {
            for (facility, rows) in by_facility.iter_mut().enumerate() {
                let price =
                    |row: u32| bucket_prices[capacity.index(Bucket::new(row as usize, day))];
                rows.sort_unstable_by_key(|&row| (Reverse(price(row)), row));
                for &row in rows.iter() {
                    let who = &region.clinicians[availability.clinician_at(row as usize).index()];
                    let pair =
                        &mut pair_max[(day * n_facilities + facility) * 4 + pool_of(who).index()];
                    *pair = (*pair).max(price(row));
                }
            }
        }
        for facility in 0..n_facilities {
            for pool in 0..4 {
                let mut highest = i64::MIN;
                for day in (0..n_days).rev() {
                    highest = highest.max(pair_max[(day * n_facilities + facility) * 4 + pool]);
                    suffix_max[(facility * n_days + day) * 4 + pool] = highest;
                }
            }
        }
        remote.fill(region, availability, &free, Some(&bucket_prices), &capacity);
        let appointment_prices = (0..displaced.len())
            .map(|idx| potentials[idx + 1])
            .collect();
        prices = Some((appointment_prices, bucket_prices));
        for (idx, targets) in arc_targets.iter().enumerate() {
            for (arc, _) in targets {
                if solved.flow[arc.0 as usize] > 0 {
                    current_cost[idx] = network.arc(*arc).cost;
                }
            }
        }
        solution = Some(solved);
        if rounds >= costs.max_rounds {
            break;
        }
    }
    let solution = solution.expect("the first round is always solved");

    // Place each bucket's appointments on concrete starts, earliest original start first.
    let mut assigned: BTreeMap<Bucket, Vec<usize>> = BTreeMap::new();
    for (idx, targets) in arc_targets.iter().enumerate() {
        for (arc, bucket) in targets {
            if let (true, Some(bucket)) = (solution.flow[arc.0 as usize] > 0, bucket) {
                assigned.entry(*bucket).or_default().push(idx);
            }
        }
    }
    let mut scratch: Availability = availability.clone();
    let mut placements: Vec<Option<Placement>> = vec![None; displaced.len()];
    for (bucket, mut members) in assigned {
        members.sort_by_key(|&idx| (displaced[idx].start, displaced[idx].id));
        let clinician = scratch.clinician_at(bucket.row as usize);
        let (_, day_start, day_end) = days[bucket.day as usize];
        for idx in members {
            let appointment = &displaced[idx];
            let from = Minute(day_start.0.max(now_minute.0)).ceil_to_grid();
            // Direct time only: the bucket counted direct fits, so one is left for each
            // appointment the solver sent here.
            let Some(start) =
                scratch.earliest_direct(clinician, from, day_end, appointment.length)?
            else {
                continue;
            };
            scratch.reserve(clinician, start, appointment.length)?;
            let who = &region.clinicians[clinician.index()];
            let member = &region.members[appointment.request.member.index()];
            let established = clinician == appointment.clinician;
            let modality = modality_for(
                region,
                member,
                who,
                book.policy().find.max_travel_km,
                established,
            )
            .unwrap_or(appointment.modality);
            placements[idx] = Some(Placement {
                clinician,
                facility: who.facility,
                start: start.to_timestamp()?,
                modality,
                interpreter: (!who.speaks(member.language)).then_some(member.language),
                route: Route::of(established, who.affiliation),
            });
        }
    }
    let moves = displaced
        .iter()
        .zip(placements)
        .map(|(appointment, placement)| Move {
            appointment: appointment.id,
            timeliness: placement
                .as_ref()
                .map(|placement| timeliness(appointment.deadline, None, rules, placement.start)),
            to: placement,
            before: timeliness(appointment.deadline, None, rules, appointment.start),
        })
        .collect();

    // Group sessions in the period with a disrupted facilitator.
    let mut group_decisions = Vec::new();
    let mut substitutes_taken: Vec<(ClinicianId, Timestamp)> = Vec::new();
    for group in book.groups() {
        for (session_idx, session) in group.sessions.iter().enumerate() {
            if session.cancellation.is_some()
                || session.start < now
                || !in_period(session.start.to_zoned(zone.clone()).date())
            {
                continue;
            }
            let absent: Vec<ClinicianId> = session
                .facilitators(group)
                .filter(|facilitator| disrupted(*facilitator))
                .collect();
            let mut all_covered = true;
            let mut decisions = Vec::new();
            for facilitator in absent {
                let discipline = region.clinicians[facilitator.index()].discipline;
                let start = session.start.to_zoned(zone.clone());
                let busy = |candidate: ClinicianId| {
                    substitutes_taken.contains(&(candidate, session.start))
                        || book.groups().iter().any(|other| {
                            other.sessions.iter().any(|other_session| {
                                other_session.start == session.start
                                    && other_session.cancellation.is_none()
                                    && other_session.facilitators(other).any(|f| f == candidate)
                            })
                        })
                };
                let substitute = region.clinicians.iter().find(|candidate| {
                    candidate.discipline == discipline
                        && candidate.facility == group.facility
                        && candidate.affiliation == Affiliation::Internal
                        && !disrupted(candidate.id)
                        && in_group_time(region, candidate.id, &start, session.length)
                        && !busy(candidate.id)
                });
                match substitute {
                    Some(substitute) => {
                        substitutes_taken.push((substitute.id, session.start));
                        decisions.push(GroupDecision::Substituted {
                            group: group.id,
                            session: session_idx,
                            absent: facilitator,
                            substitute: substitute.id,
                        });
                    }
                    None => all_covered = false,
                }
            }
            if all_covered {
                group_decisions.extend(decisions);
            } else if session.facilitators(group).any(disrupted) {
                group_decisions.push(GroupDecision::Cancelled {
                    group: group.id,
                    session: session_idx,
                });
            }
        }
    }

    Ok(Replan {
        disruption: disruption.clone(),
        moves,
        groups: group_decisions,
        network,
        cost: solution.cost,
        rounds,
        converged,
        leave_from,
    })
}

/// What the candidate search reads, shared by every appointment.
struct Search<'a> {
    region: &'a Region,
    book: &'a Book,
    costs: &'a ReplanCosts,
    availability: &'a Availability,
    /// The horizon's days: date, first minute, end minute.
    days: &'a [(Date, Minute, Minute)],
    zone: &'a jiff::tz::TimeZone,
    horizon_first: Date,
    now: Timestamp,
    /// Per day, per facility, rows with free direct time.
    free: &'a [Vec<Vec<u32>>],
    /// Free direct fits per bucket.
    capacity: &'a Buckets,
    facility_internal: &'a [bool],
    /// Per facility, the days it has free rows of therapists (0) or psychiatrists (1).
    facility_days: &'a [Vec<Vec<u32>>; 2],
    /// Business days counted through each day of the horizon.
    business_through: &'a [u32],
    /// The rules' business calendar.
    calendar: &'a BusinessCalendar,
    /// The rows with room that offer video or phone, dearest first.
    remote: &'a RemoteLists,
    /// The last optimum's bucket prices (dense, by [`Buckets::index`]); none in the first round,
    /// where every price counts as 0.
    prices: Option<&'a [i64]>,
    /// Per day, facility and pool (`(day * facilities + facility) * 4 + pool`), the
    /// highest price of its buckets with room (0 before any prices).
    pair_max: &'a [i64],
    /// Per facility, day and pool (`(facility * days + day) * 4 + pool`), the highest
    /// of `pair_max` from that day to the end of the horizon.
    suffix_max: &'a [i64],
}

/// Where the candidate search goes next, in a heap ordered by a lower bound of the cost less
/// the price of what it finds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Lead {
    /// The treating clinician on a day (at the exact cost less price).
    Treating { day: u32 },
    /// A remote list (see [`RemoteLists::index`]) at a position.
    Remote { list: u32, position: u32 },
    /// A facility within reach in person, at an index into its days with free rows.
    Near { facility: u32, next: u32 },
}

impl Search<'_> {
    fn day_of(&self, at: Timestamp) -> Option<usize> {
        let local = at.to_zoned(self.zone.clone()).date();
        self.days.iter().position(|(day, _, _)| *day == local)
    }

    fn price(&self, row: usize, day: usize) -> i64 {
        self.prices.map_or(0, |prices| {
            prices[self.capacity.index(Bucket::new(row, day))]
        })
    }

    /// Up to `want` buckets `accept` takes, each with `cost - price(bucket) < threshold` (the
    /// reduced-cost test), in the order of a lower bound of that difference, with their exact
    /// costs; and whether the search was complete.
    ///
    /// The search is complete unless it stops at [`SEARCH_BUDGET`]: when it stops with `want`
    /// found or runs out of leads, every bucket it passed over is one the filters rule out, one
    /// whose bound already reaches the threshold, or one whose `quota` is full.
    ///
    /// Without prices (the first round) the treating clinician's first days with time come
    /// first. Then three kinds of leads share one heap: the treating clinician's days (with
    /// prices, at their exact reduced cost); facilities within reach in person, by day (bounded
    /// by travel, continuity and the highest price of the pools' buckets there from that
    /// day on; each day's rows dearest first); and, for video and phone, the [`RemoteLists`] of
    /// the member's language (no interpreter) and of every row (an interpreter), where every
    /// row of a list costs the same, so the list's order is the exact order of reduced cost.
    /// `spread` rotates the lists while every price is 0, so that appointments do not all start
    /// on the same rows.
    fn candidates(
        &self,
        appointment: &Appointment,
        spread: usize,
        limits: Limits,
        mut quota: Option<&mut Quota>,
        accept: &mut dyn FnMut(Bucket, i64) -> bool,
    ) -> Result<(Vec<(Bucket, i64)>, bool), ReplanError> {
        let Limits {
            want,
            per_day,
            threshold,
        } = limits;
        let (region, costs, availability) = (self.region, self.costs, self.availability);
        let n_days = self.days.len();
        let member = &region.members[appointment.request.member.index()];
        let psychiatry =
            region.clinicians[appointment.clinician.index()].discipline == Discipline::Psychiatrist;
        let pools = if psychiatry {
            [Pool::INTERNAL_PSYCHIATRY, Pool::NETWORK_PSYCHIATRY]
        } else {
            [Pool::INTERNAL_THERAPY, Pool::NETWORK_THERAPY]
        };
        let policy = &self.book.policy().find;
        let max_km = policy.max_travel_km;
        let speakers_only = policy.interpreters == Interpreters::Unavailable;
        let first_day = self.day_of(appointment.start.max(self.now)).unwrap_or(0);
        let original_day = self.day_of(appointment.start);

        // What each day costs: lateness against the appointment's own deadline (a plan
        // cancellation keeps it) and the wait past the original date.
        let last_day = appointment
            .deadline
            .checked_sub(jiff::SignedDuration::from_secs(1))
            .unwrap_or(appointment.deadline)
            .to_zoned(self.zone.clone())
            .date();
        let calendar = self.calendar;
        let late_offset = match self.days.iter().position(|(day, _, _)| *day == last_day) {
            Some(idx) => Some(-i64::from(self.business_through[idx])),
            None if last_day < self.horizon_first => Some(i64::from(
                calendar.business_days_between(last_day, self.horizon_first)
                    - u32::from(calendar.is_business_day(self.horizon_first)),
            )),
            None => None,
        };
        let day_cost = |day: usize| -> i64 {
            let mut cost = 0;
            if let Some(offset) = late_offset
                && self.days[day]
                    .1
                    .to_timestamp()
                    .is_ok_and(|start| start >= appointment.deadline)
            {
                let business_days = (offset + i64::from(self.business_through[day])).max(0);
                cost += costs.late + costs.late_per_business_day * business_days;
            }
            if let Some(original_day) = original_day {
                cost += costs.wait_per_day * (day as i64 - original_day as i64).max(0);
            }
            cost
        };
        let day_costs: Vec<i64> = (0..n_days).map(day_cost).collect();

        // Facilities within reach in person, by index, with their distance from the member's
        // home (none when the member does not come in person).
        let home = *member.home.expose();
        let mut near: Vec<(usize, f64)> = if member.accepts.contains(Modality::InPerson) {
            self.book
                .directory()
                .facilities_near(home, max_km)
                .map(|facility| {
                    let km = region.facilities[facility.index()]
                        .location
                        .distance_km(home);
                    (facility.index(), km)
                })
                .collect()
        } else {
            Vec::new()
        };
        near.sort_unstable_by_key(|&(facility, _)| facility);
        let near_km = |facility: usize| -> Option<f64> {
            near.binary_search_by_key(&facility, |&(known, _)| known)
                .ok()
                .map(|idx| near[idx].1)
        };
        // Whether the member and `who` would meet in person (`find::modality_for`'s first
        // choice, for anyone but the treating clinician).
        let in_person = |who: &Clinician| -> bool {
            who.modalities.contains(Modality::InPerson) && near_km(who.facility.index()).is_some()
        };
        let change = if appointment.modality == Modality::InPerson {
            costs.modality_change
        } else {
            0
        };
        // The exact cost of a row on a day, if the member may go there.
        let row_cost = |row: usize, day: usize| -> Option<i64> {
            let clinician = availability.clinician_at(row);
            let who = &region.clinicians[clinician.index()];
            let established = clinician == appointment.clinician;
            let facility = &region.facilities[who.facility.index()];
            let km = near_km(who.facility.index());
            // As `find::modality_for`, with the distance known.
            let modality = Modality::ALL.into_iter().find(|&modality| {
                member.accepts.contains(modality)
                    && who.modalities.contains(modality)
                    && (modality != Modality::InPerson || established || km.is_some())
            })?;
            let mut cost = day_costs[day];
            if who.affiliation == Affiliation::Network {
                cost += costs.network;
            }
            if modality == Modality::InPerson {
                let km = km.unwrap_or_else(|| facility.location.distance_km(home));
                cost += costs.travel_per_km * km.round() as i64;
            } else {
                cost += change;
            }
            if !who.speaks(member.language) && appointment.interpreter.is_none() {
                cost += costs.interpreter;
            }
            if !established {
                cost += costs.continuity;
            }
            Some(cost)
        };
        let mut found: Vec<(Bucket, i64)> = Vec::new();
        let mut on_day = vec![0usize; n_days];
        let mut steps = 0;
        let mut offer = |row: usize,
                         day: usize,
                         found: &mut Vec<(Bucket, i64)>,
                         on_day: &mut [usize],
                         quota: &mut Option<&mut Quota>| {
            // Disrupted clinicians have no capacity during the disruption, and the search starts
            // no earlier than the appointment's own day, inside it.
            let bucket = Bucket::new(row, day);
            if self.capacity.get(bucket) == 0
                || on_day[day] >= per_day
                || quota
                    .as_ref()
                    .is_some_and(|quota| quota.full(bucket, self.capacity))
            {
                return;
            }
            if let Some(cost) = row_cost(row, day)
                && accept(bucket, cost)
            {
                if let Some(quota) = quota {
                    quota.take(bucket, self.capacity);
                }
                on_day[day] += 1;
                found.push((bucket, cost));
            }
        };

        // The treating clinician once the disruption is over (continuity, whatever the
        // filters): without prices, on the first few days with time; with prices, every day,
        // at its exact reduced cost among the other leads.
        let mut leads: BinaryHeap<Reverse<(i64, Lead)>> = BinaryHeap::new();
        // A lead worth following: one whose bound is below the threshold.
        let lead_if = |key: i64, lead: Lead| (key < threshold).then_some(Reverse((key, lead)));
        let treating_row = availability.row_of(appointment.clinician);
        if let Some(row) = treating_row {
            for day in first_day..n_days {
                if self.prices.is_none() {
                    if found.len() >= TREATING_DAYS.min(want) {
                        break;
                    }
                    offer(row, day, &mut found, &mut on_day, &mut quota);
                } else if self.capacity.get(Bucket::new(row, day)) > 0
                    && let Some(cost) = row_cost(row, day)
                {
                    let lead = Lead::Treating { day: day as u32 };
                    leads.extend(lead_if(cost - self.price(row, day), lead));
                }
            }
        }

        // Everyone else, merged in the order of a lower bound of cost less price.
        // Remote: every row of a list costs the same. The member's own language's list needs
        // no interpreter; the list of every row is searched for the others, at the interpreter's
        // cost, unless the appointment had one already (then it costs nothing) or only speakers
        // may be offered.
        let remote = self.remote;
        let member_slot = remote.slot(member.language);
        let needs_interpreter = appointment.interpreter.is_none();
        let slots: &[usize] = match (speakers_only, member_slot, needs_interpreter) {
            (true, Some(slot), _) => &[slot],
            (true, None, _) => &[],
            (false, Some(slot), true) => &[slot, 0],
            (false, _, _) => &[0],
        };
        let remote_bound = |list: usize| -> i64 {
            let (day, key, slot) = remote.parts(list);
            let pool = Pool((key / 4) as u8);
            let network = if pool == Pool::NETWORK_THERAPY || pool == Pool::NETWORK_PSYCHIATRY {
                costs.network
            } else {
                0
            };
            let interpreter = if slot == 0 && needs_interpreter {
                costs.interpreter
            } else {
                0
            };
            day_costs[day] + costs.continuity + change + network + interpreter
        };
        let remote_row = |list: usize, position: usize| -> usize {
            let rows = &remote.lists[list];
            // While every price is 0, each appointment starts at its own place in the list.
            let offset = if self.prices.is_some() { 0 } else { spread };
            rows[(offset + position) % rows.len()] as usize
        };
        let remote_key = |list: usize, position: usize| -> i64 {
            remote_bound(list) - self.price(remote_row(list, position), remote.parts(list).0)
        };
        let member_bits = remote_bits(member.accepts);
        for day in first_day..n_days {
            for pool in pools {
                for bits in 1..4 {
                    if bits & member_bits == 0 {
                        continue;
                    }
                    for &slot in slots {
                        let list = remote.index(day, pool.index() * 4 + bits, slot);
                        if remote.lists[list].is_empty() {
                            continue;
                        }
                        let lead = Lead::Remote {
                            list: list as u32,
                            position: 0,
                        };
                        leads.extend(lead_if(remote_key(list, 0), lead));
                    }
                }
            }
        }
        // In person: the bound is continuity, travel, and network unless the facility has
        // internal clinicians.
        let facility_days = &self.facility_days[usize::from(psychiatry)];
        let n_facilities = region.facilities.len();
        let near_bound = |facility: usize, km: f64| -> i64 {
            let network = if self.facility_internal[facility] {
                0
            } else {
                costs.network
            };
            costs.continuity + costs.travel_per_km * km.round() as i64 + network
        };
        let highest = |table: &[i64], at: usize| -> i64 {
            pools
                .iter()
                .map(|&pool| table[at * 4 + pool.index()])
                .max()
                .unwrap_or(i64::MIN)
        };
        let near_key = |facility: usize, km: f64, day: usize| -> i64 {
            near_bound(facility, km) + day_costs[day]
                - highest(self.suffix_max, facility * n_days + day)
        };
        for &(facility, km) in &near {
            let days = &facility_days[facility];
            let next = days.partition_point(|&day| (day as usize) < first_day);
            if let Some(&day) = days.get(next) {
                let lead = Lead::Near {
                    facility: facility as u32,
                    next: next as u32,
                };
                leads.extend(lead_if(near_key(facility, km, day as usize), lead));
            }
        }
        let mut complete = true;
        while let Some(Reverse((key, lead))) = leads.pop() {
            if found.len() >= want || key >= threshold {
                break;
            }
            steps += 1;
            if steps > SEARCH_BUDGET {
                complete = false;
                break;
            }
            match lead {
                Lead::Treating { day } => {
                    if let Some(row) = treating_row {
                        offer(row, day as usize, &mut found, &mut on_day, &mut quota);
                    }
                }
                Lead::Remote { list, position } => {
                    let (list, position) = (list as usize, position as usize);
                    let (day, _, slot) = remote.parts(list);
                    if on_day[day] >= per_day {
                        // This day has its share of candidates: leave the list.
                        continue;
                    }
                    // Past the buckets that are full this round, at the next one's key.
                    let open = quota
                        .as_mut()
                        .map_or(position, |quota| quota.open(list, position));
                    if open >= remote.lists[list].len() {
                        continue;
                    }
                    // Past full buckets, the list goes back on the heap at its first open
                    // position (whose key may be higher); otherwise its next row follows.
                    let follow = if open != position { open } else { position + 1 };
                    if follow < remote.lists[list].len() {
                        let lead = Lead::Remote {
                            list: list as u32,
                            position: follow as u32,
                        };
                        leads.extend(lead_if(remote_key(list, follow), lead));
                    }
                    if open != position {
                        continue;
                    }
                    let row = remote_row(list, position);
                    let who = &region.clinicians[availability.clinician_at(row).index()];
                    // In-person rows are the near leads' (at their own cost), and in the list of
                    // every row, the member's language's speakers are their list's.
                    if Some(row) != treating_row
                        && !(member.accepts.contains(Modality::InPerson) && in_person(who))
                        && !(slot == 0 && slots.len() == 2 && who.speaks(member.language))
                    {
                        offer(row, day, &mut found, &mut on_day, &mut quota);
                    }
                }
                Lead::Near { facility, next } => {
                    let (facility, next) = (facility as usize, next as usize);
                    let days = &facility_days[facility];
                    let day = days[next] as usize;
                    let km = near_km(facility).expect("near leads are near");
                    if let Some(&later) = days.get(next + 1) {
                        let lead = Lead::Near {
                            facility: facility as u32,
                            next: next as u32 + 1,
                        };
                        leads.extend(lead_if(near_key(facility, km, later as usize), lead));
                    }
                    // This day's own highest price may rule it out at once.
                    let bound = near_bound(facility, km) + day_costs[day];
                    let pair_key = bound - highest(self.pair_max, day * n_facilities + facility);
                    if on_day[day] >= per_day || pair_key >= threshold {
                        continue;
                    }
                    // Dearest first: past the first row whose bound reaches the threshold, all do.
                    for &row in &self.free[day][facility] {
                        steps += 1;
                        let row = row as usize;
                        if bound - self.price(row, day) >= threshold {
                            break;
                        }
                        let who = &region.clinicians[availability.clinician_at(row).index()];
                        if Some(row) != treating_row
                            && pools.contains(&pool_of(who))
                            && who.modalities.contains(Modality::InPerson)
                            && (!speakers_only || who.speaks(member.language))
                        {
                            offer(row, day, &mut found, &mut on_day, &mut quota);
                            if found.len() >= want {
                                break;
                            }
                        }
                    }
                }
            }
        }
        Ok((found, complete))
    }
}
