//! Offers for a request, ranked as the README's "How offers are ranked" says.
//!
//! 1. **Continuity**: the treating clinician, when they can see the member within the deadline.
//! 2. **Internal** clinicians within the deadline.
//! 3. **Network** providers within the deadline (a referral).
//! 4. Otherwise the **earliest slot anywhere**, late, with an [`OutOfNetworkArrangement`]
//!    recorded: when in-network care is not available within the standards the plan must arrange
//!    out-of-network care at in-network cost (Health & Safety Code § 1374.72(d), added by SB 855,
//!    effective 2021-01-01; 28 CCR § 1300.67.2.2(c)(7)).
//!
//! Hard filters: discipline (a psychiatry request needs a psychiatrist; other requests go to
//! non-physician mental health clinicians), modality (in person only within the travel distance,
//! except with the treating clinician, whom the member already sees there; video or phone only
//! when the member accepts them), the member's preferred days and times, and
//! language: a clinician who speaks the member's language, or any clinician with an interpreter
//! booked for the same time (28 CCR § 1300.67.2.2(c)(4)). Within the internal
//! and network ranks, language-concordant care that meets the deadline comes before an earlier
//! start with an interpreter; past the deadline, the earliest start wins, ties going to
//! continuity, then internal, then network. Within a rank, ties at one start go to the lowest
//! clinician id, so results are deterministic. Continuity follows the same filters: the treating
//! clinician must fit the request's discipline (a psychiatrist for psychiatry, a non-physician
//! clinician otherwise) and speak the member's language when interpreters are unavailable. A
//! clinician is offered at most once per start, and no start before `now` is offered.

use std::borrow::Cow;
use std::ops::Range;

use caretime_core::id::{ClinicianId, FacilityId, MemberId, RequestId};
use caretime_core::region::{
    Affiliation, Clinician, Discipline, GeoPoint, Language, Member, Modality, Region,
};
use caretime_core::request::{Preferences, Request, RequestKind};
use caretime_core::rules::{DeadlineError, DeadlineInstants, RuleSet};
use caretime_core::slug::Slug;
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use smallvec::SmallVec;

use crate::availability::{
    Availability, AvailabilityError, DirectMinutes, Found, FreeKind, Minute, Pool, RowSet,
    Schedule, Search, Urgency, next_week_start, week_start,
};

/// The pool a clinician's availability is searched in: by affiliation, and psychiatrists apart
/// from the non-physician clinicians (a request needs one discipline or the other).
pub fn pool_of(clinician: &Clinician) -> Pool {
    match (
        clinician.affiliation,
        clinician.discipline == Discipline::Psychiatrist,
    ) {
        (Affiliation::Internal, false) => Pool::INTERNAL_THERAPY,
        (Affiliation::Internal, true) => Pool::INTERNAL_PSYCHIATRY,
        (Affiliation::Network, false) => Pool::NETWORK_THERAPY,
        (Affiliation::Network, true) => Pool::NETWORK_PSYCHIATRY,
    }
}

/// Appointment length by request kind, in minutes (multiples of 15).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServiceLengths {
    /// Intake (initial, post-discharge): 60-90 minutes.
    pub intake: u32,
    /// Individual follow-up: 45-60 minutes.
    pub follow_up: u32,
    /// Urgent visits.
    pub urgent: u32,
    /// Psychiatry: 30 minutes.
    pub psychiatry: u32,
}

impl ServiceLengths {
    /// One-hour intakes, follow-ups and urgent visits (the one-hour direct slots of the
    /// contracts' standard templates); 30-minute psychiatry visits.
    pub const STANDARD: ServiceLengths = ServiceLengths {
        intake: 60,
        follow_up: 60,
        urgent: 60,
        psychiatry: 30,
    };

    /// The length of an appointment for `kind`.
    pub fn minutes(&self, kind: RequestKind) -> u32 {
        match kind {
            RequestKind::Initial | RequestKind::PostDischarge => self.intake,
            RequestKind::FollowUp => self.follow_up,
            RequestKind::Urgent
            | RequestKind::UrgentPriorAuth
            | RequestKind::NonLifeThreateningEmergency => self.urgent,
            RequestKind::Psychiatry => self.psychiatry,
        }
    }
}

/// Whether interpreters can be booked beside an appointment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Interpreters {
    /// An interpreter (in person, video or phone, through the plan's language service) can be
    /// booked for any appointment time; offers may go to clinicians who do not speak the member's
    /// language.
    Available,
    /// Only clinicians who speak the member's language.
    Unavailable,
}

/// How offers are found.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FindPolicy {
    /// Appointment lengths.
    pub lengths: ServiceLengths,
    /// In-person care only at facilities within this distance of the member's home (km, as the
    /// crow flies).
    pub max_travel_km: f64,
    /// Whether an interpreter can stand in for a shared language.
    pub interpreters: Interpreters,
    /// Internal clinicians' direct time kept for new patients (none in the standard policy).
    pub intake_reserve: IntakeReserve,
    /// A network offer starts at least this many days after the request: the referral's own
    /// delay (authorization, the member reaching the provider). 0 in the standard policy.
    pub referral_days: u32,
    /// Where a follow-up with a treating clinician is offered.
    pub follow_ups: FollowUps,
    /// Open episodes an internal clinician may treat before taking no new patient (their own
    /// patients' follow-ups still come to them); `None`: no cap (the standard policy).
    pub caseload_cap: Option<u32>,
}

/// Where a request with a treating clinician (a follow-up) is offered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FollowUps {
    /// The treating clinician when they have time within the deadline, else whoever has (the
    /// standard policy: what the regulator's standard asks of the plan).
    TimelyAnywhere,
    /// The treating clinician's next own time, however late; other clinicians only when the
    /// treating one has no time in the horizon at all (a clinic that books returns on the
    /// therapist's own calendar).
    TreatingClinician,
}

impl Slug for FollowUps {
    const VARIANTS: &'static [FollowUps] =
        &[FollowUps::TimelyAnywhere, FollowUps::TreatingClinician];

    /// The name a scenario file uses.
    fn slug(self) -> &'static str {
        match self {
            FollowUps::TimelyAnywhere => "timely-anywhere",
            FollowUps::TreatingClinician => "treating-clinician",
        }
    }
}

/// Direct time an internal clinician keeps for new patients: a follow-up with the treating
/// clinician (a continuity offer) may take direct time in a week only while the week keeps
/// `share` of its bookable direct time free, unless it starts within `release_days` of the
/// search (reserved time nobody new took by then opens to the clinician's own patients). New
/// patients, and follow-ups offered to another clinician (new to that one), may take any free
/// time. Weeks run from Monday 00:00 UTC: Sunday afternoon in the Americas, between working
/// weeks. Network providers keep no reserve: they give the plan a few hours a week.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct IntakeReserve {
    /// The share of a week's bookable direct time kept for new patients, 0 to 1.
    pub share: f64,
    /// Days before its start that reserved time opens to the clinician's own patients.
    pub release_days: u32,
}

impl IntakeReserve {
    /// No reserve: every free minute goes to whoever asks first.
    pub const NONE: IntakeReserve = IntakeReserve {
        share: 0.0,
        release_days: 0,
    };
}

impl FindPolicy {
    /// Standard lengths, interpreters available, and 24 km (15 miles) of travel: the Medi-Cal
    /// time-and-distance standard for outpatient mental health in dense counties (Welfare &
    /// Institutions Code § 14197(c), 15 miles or 30 minutes; up to 60 miles in rural counties).
    /// Applying it to this plan's members is an assumption; the policy is a parameter.
    pub const STANDARD: FindPolicy = FindPolicy {
        lengths: ServiceLengths::STANDARD,
        max_travel_km: 24.0,
        interpreters: Interpreters::Available,
        intake_reserve: IntakeReserve::NONE,
        referral_days: 0,
        follow_ups: FollowUps::TimelyAnywhere,
        caseload_cap: None,
    };
}

/// Where an offer comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Route {
    /// The treating clinician.
    Continuity,
    /// Another internal clinician.
    Internal,
    /// A network provider (a referral).
    Network,
}

impl Route {
    /// The route of an appointment with a clinician of `affiliation`: continuity when the
    /// clinician already treats the member (`established`), else internal or network.
    pub fn of(established: bool, affiliation: Affiliation) -> Route {
        match (established, affiliation) {
            (true, _) => Route::Continuity,
            (false, Affiliation::Internal) => Route::Internal,
            (false, Affiliation::Network) => Route::Network,
        }
    }
}

impl Slug for Route {
    const VARIANTS: &'static [Route] = &[Route::Continuity, Route::Internal, Route::Network];

    /// The kebab-case name used in output.
    fn slug(self) -> &'static str {
        match self {
            Route::Continuity => "continuity",
            Route::Internal => "internal",
            Route::Network => "network",
        }
    }
}

/// Whether an offer meets the request's deadline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Timeliness {
    /// It starts before the deadline.
    Met,
    /// It starts after the deadline: `business_days` is the number of business days (of the rule
    /// set's calendar) after the deadline's last day up to the offer's date; 0 means later on the
    /// deadline's own day (hour-based rules).
    Late {
        /// Business days late.
        business_days: u32,
    },
}

impl Timeliness {
    /// Whether the deadline is met.
    pub fn is_met(self) -> bool {
        self == Timeliness::Met
    }
}

/// A candidate appointment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Offer {
    /// Who.
    pub clinician: ClinicianId,
    /// The clinician's facility (for in person care, where).
    pub facility: FacilityId,
    /// When.
    pub start: Timestamp,
    /// How long, in minutes.
    pub length: u32,
    /// How.
    pub modality: Modality,
    /// The interpreter to book for the same time, when the clinician does not speak the member's
    /// language.
    pub interpreter: Option<Language>,
    /// Continuity, internal or network.
    pub route: Route,
    /// The kind of template time it uses.
    pub time: FreeKind,
    /// Met, or late by N business days.
    pub timeliness: Timeliness,
}

/// Recorded when neither internal nor network capacity meets the deadline (SB 855): it carries
/// the request and the deadline that could not be met.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutOfNetworkArrangement {
    /// The request.
    pub request: RequestId,
    /// When the request was made (the clock's start).
    pub requested: Timestamp,
    /// The member.
    pub member: MemberId,
    /// What was asked for.
    pub kind: RequestKind,
    /// The deadline nobody in network could meet.
    pub deadline: Timestamp,
}

/// The answer to a find: the deadline, the rule that set it, and the offers, best first. It
/// borrows the names of the rule set and rule from the rule set the find used (no shared
/// strings to count: a reference count is an atomic operation, which waits for every pending
/// write, twice per find).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Offers<'r> {
    /// The request.
    pub request: RequestId,
    /// The deadline: appointments must start before it.
    pub deadline: Timestamp,
    /// For day-based rules, the last day an appointment may start on.
    pub last_day: Option<Date>,
    /// The rule set.
    pub rule_set: &'r str,
    /// The source of the rule that set the deadline.
    pub rule: &'r str,
    /// Whether a documented clinical exception set the deadline.
    pub clinical_exception: bool,
    /// Offers, best first; the best is the one compliance counts.
    pub offers: Vec<Offer>,
    /// Set when no offer meets the deadline.
    pub arrangement: Option<OutOfNetworkArrangement>,
}

impl Offers<'_> {
    /// The best offer, if any clinician has time in the horizon.
    pub fn best(&self) -> Option<&Offer> {
        self.offers.first()
    }
}

/// Why offers could not be found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FindError {
    /// The member is not in the region.
    #[error("{0} is not a member of the region")]
    UnknownMember(MemberId),
    /// The treating clinician is not in the region.
    #[error("treating clinician {0} is not in the region")]
    UnknownClinician(ClinicianId),
    /// The rule set has no deadline for the request.
    #[error(transparent)]
    Deadline(#[from] DeadlineError),
    /// The index rejected the query.
    #[error(transparent)]
    Availability(#[from] AvailabilityError),
}

/// Who works where, speaks what and offers which modality: bitsets over the availability index's
/// rows, built once per region.
#[derive(Clone, Debug)]
pub struct Directory {
    video: RowSet,
    phone: RowSet,
    languages: Vec<(Language, RowSet)>,
    /// Facilities by grid cell ([`GRID_DEGREES`] of latitude and longitude), sorted by cell then
    /// id, for the travel-distance filter.
    grid: Grid,
    /// Per pool and per remote modalities a member accepts ([`remote_key`]): the
    /// facilities with an in-person row of that pool offering none of those modalities, each
    /// with its location and its in-person rows of the pool. The other facilities add nobody a
    /// member who accepts those modalities does not reach already, so their distance is never
    /// measured (every internal clinician offers video and phone: most members need no distance
    /// test for internal care at all).
    pool_grids: Vec<[CellGrid<Placed>; 4]>,
    /// Each pool's rows of the index: a find's filters hold only these.
    pool_rows: Vec<Range<usize>>,
    /// Per pool: all its rows, and per remote key ([`remote_key`]) whether those
    /// modalities reach every one of them (every internal clinician offers video and phone: most
    /// members reach the whole internal pool without a filter being made).
    pool_everyone: Vec<(RowSet, [bool; 4])>,
    /// Each facility's location, by facility index: distance tests read this dense table, not
    /// the facility records (a cache miss each).
    locations: Vec<GeoPoint>,
    /// The languages each clinician speaks, by clinician index, as bits over the first 64 of
    /// `languages` (a test of one word instead of a walk of the clinician's language list).
    spoken: Vec<u64>,
    /// The languages every clinician speaks, as the same bits: no search ever asks for their
    /// speakers alone, so they are not search tags.
    spoken_by_all: u64,
}

/// Facilities by grid cell, sorted by cell then id.
type Grid = CellGrid<((i32, i32), FacilityId)>;

/// Entries sorted by grid cell, with where each cell's entries start: a search finds the
/// entries of a row of cells at once (a binary search of the whole grid missed the cache at every
/// step, for every row of every find that measured distances: a quarter of the distance filter's
/// time at full scale, and half of the rest went to searching a row).
#[derive(Clone, Debug)]
struct CellGrid<E> {
    entries: Vec<E>,
    /// The first latitude and longitude cells of the table.
    first_lat: i32,
    first_lon: i32,
    /// Longitude cells per row of `starts`: the grid's span, or 1 for a grid too wide for a
    /// table of its cells (its rows are then searched for their first longitude).
    lon_cells: usize,
    /// `starts[row * lon_cells + col]` is the first entry at or after cell
    /// `(first_lat + row, first_lon + col)`; one more entry ends the last row.
    starts: Vec<u32>,
}

impl<E> CellGrid<E> {
    /// The most cells a table may have (4 MiB of starts); a wider grid keeps one start per row.
    const MAX_CELLS: i64 = 1 << 20;

    /// The grid of `entries`, which must be sorted by cell (`cell_of`), latitude first.
    fn new(entries: Vec<E>, cell_of: impl Fn(&E) -> (i32, i32)) -> CellGrid<E> {
        debug_assert!(entries.is_sorted_by_key(&cell_of));
        // Latitudes from the first entry's to the last's (sorted), longitudes from the least to
        // the greatest; an empty grid has no rows.
        let (first_lat, last_lat) = match (entries.first(), entries.last()) {
            (Some(first), Some(last)) => (cell_of(first).0, cell_of(last).0),
            _ => (0, -1),
        };
        let (mut first_lon, last_lon) = entries
            .iter()
            .map(|entry| cell_of(entry).1)
            .fold((i32::MAX, i32::MIN), |(least, greatest), lon| {
                (least.min(lon), greatest.max(lon))
            });
        let rows = i64::from(last_lat) - i64::from(first_lat) + 1;
        let span = (i64::from(last_lon) - i64::from(first_lon) + 1).max(1);
        let lon_cells = if rows * span <= Self::MAX_CELLS {
            span as usize
        } else {
            first_lon = i32::MIN;
            1
        };
        let starts = (0..rows.max(0) as usize * lon_cells + 1)
            .map(|idx| {
                let lat = i64::from(first_lat) + (idx / lon_cells) as i64;
                let lon = i64::from(first_lon) + (idx % lon_cells) as i64;
                entries.partition_point(|entry| {
                    let (entry_lat, entry_lon) = cell_of(entry);
                    (i64::from(entry_lat), i64::from(entry_lon)) < (lat, lon)
                }) as u32
            })
            .collect();
        CellGrid {
            entries,
            first_lat,
            first_lon,
            lon_cells,
            starts,
        }
    }

    /// The entries of latitude row `lat` whose longitude cells are `lon_first..=lon_last`
    /// (`lon_of` gives an entry's).
    fn cells(&self, lat: i32, lon_first: i32, lon_last: i32, lon_of: impl Fn(&E) -> i32) -> &[E] {
        let Ok(row) = usize::try_from(i64::from(lat) - i64::from(self.first_lat)) else {
            return &[];
        };
        let (Some(&row_from), Some(&row_to)) = (
            self.starts.get(row * self.lon_cells),
            self.starts.get((row + 1) * self.lon_cells),
        ) else {
            return &[];
        };
        let row_entries = &self.entries[row_from as usize..row_to as usize];
        if self.lon_cells == 1 {
            let from = row_entries.partition_point(|entry| lon_of(entry) < lon_first);
            let to = row_entries.partition_point(|entry| lon_of(entry) <= lon_last);
            return row_entries.get(from..to.max(from)).unwrap_or(&[]);
        }
        // Clamped to the table's columns: cells outside it hold nothing.
        let last_col = self.lon_cells as i64 - 1;
        let first_col = (i64::from(lon_first) - i64::from(self.first_lon)).max(0);
        let end_col = (i64::from(lon_last) - i64::from(self.first_lon)).min(last_col) + 1;
        if first_col >= end_col {
            return &[];
        }
        let at = |col: i64| self.starts[row * self.lon_cells + col as usize] as usize;
        &self.entries[at(first_col)..at(end_col)]
    }
}

/// A run of a facility's in-person rows of one pool, on a pool grid
/// ([`POOL_GRID_DEGREES`] cells): the distance filter reads the location and the rows it lets
/// in from the same entry.
#[derive(Clone, Copy, Debug)]
struct Placed {
    cell: (i32, i32),
    location: GeoPoint,
    /// The rows `start..end` (a facility's clinicians have neighbouring ids, so their rows of a
    /// pool are one run, or a few).
    start: u32,
    end: u32,
}

/// The size of the facility grid's cells, in degrees (about 28 km of latitude): a 24 km travel
/// radius then spans a few cells each way.
const GRID_DEGREES: f64 = 0.25;

/// The cells of the per-pool grids, in degrees (about 5.5 km of latitude): finer than the
/// plain grid, because a find measures the network's offices (thousands, at full scale) for
/// each member who needs in-person care, and smaller cells leave fewer offices outside the
/// radius to measure (the box of cells around a 24 km radius shrinks from about 83 x 70 km to
/// 55 x 61 km).
const POOL_GRID_DEGREES: f64 = 0.05;

/// The cell of `point` in a grid of `degrees`-sized cells.
fn grid_cell(point: GeoPoint, degrees: f64) -> (i32, i32) {
    (
        (point.lat() / degrees).floor() as i32,
        (point.lon() / degrees).floor() as i32,
    )
}

/// The entries of `grid` (cells of `degrees`, sorted by cell, `cell_of`) whose location is
/// within `max_km` of `home` (haversine distance), in grid order.
fn near_in<'r, E>(
    grid: &'r CellGrid<E>,
    degrees: f64,
    cell_of: impl Fn(&E) -> (i32, i32) + Copy + 'r,
    location_of: impl Fn(&E) -> GeoPoint + Copy + 'r,
    home: GeoPoint,
    max_km: f64,
) -> impl Iterator<Item = &'r E> + 'r {
    // A degree of latitude is about 111.2 km everywhere, and a degree of longitude 111.3 km
    // times the cosine of the latitude: only the grid cells of a box of latitudes and longitudes
    // can be near, and only entries in them are measured.
    let band = max_km / 111.0 + 0.01;
    let widest_cos = (home.lat().abs() + band).min(89.0).to_radians().cos();
    let lon_band = (max_km / (111.0 * widest_cos) + 0.01).min(360.0);
    let cell = move |at: f64| (at / degrees).floor() as i32;
    let (lat_first, lat_last) = (cell(home.lat() - band), cell(home.lat() + band));
    let (lon_first, lon_last) = (cell(home.lon() - lon_band), cell(home.lon() + lon_band));
    let radius = home.radius(max_km);
    (lat_first..=lat_last).flat_map(move |lat_cell| {
        grid.cells(lat_cell, lon_first, lon_last, |entry| cell_of(entry).1)
            .iter()
            .filter(move |entry| radius.contains(location_of(entry)))
    })
}

/// The schedules of every clinician of a region, for [`Availability::build`]; `leave` gives each
/// clinician's absences (strike, leave) by clinician.
pub fn schedules(region: &Region, leave: &[(ClinicianId, Date, Date)]) -> Vec<Schedule> {
    // Each clinician's leave, in the order given, found by binary search (a scan of the whole
    // list per clinician was quadratic in a region's planned leave).
    let mut by_clinician: Vec<(ClinicianId, usize)> = leave
        .iter()
        .enumerate()
        .map(|(idx, (who, _, _))| (*who, idx))
        .collect();
    by_clinician.sort_unstable();
    let leave_of = |clinician: ClinicianId| -> Vec<(Date, Date)> {
        let first = by_clinician.partition_point(|(who, _)| *who < clinician);
        by_clinician[first..]
            .iter()
            .take_while(|(who, _)| *who == clinician)
            .map(|&(_, idx)| (leave[idx].1, leave[idx].2))
            .collect()
    };
    region
        .clinicians
        .iter()
        .map(|clinician| {
            let facility = &region.facilities[clinician.facility.index()];
            Schedule {
                clinician: clinician.id,
                pool: pool_of(clinician),
                time_zone: facility.time_zone.clone(),
                template: region.templates[clinician.template.index()].clone(),
                calendar: facility.calendar.clone(),
                leave: leave_of(clinician.id),
            }
        })
        .collect()
}

impl Directory {
    /// Indexes the region's clinicians by the rows of `availability`.
    pub fn new(region: &Region, availability: &Availability) -> Directory {
        let n_rows = availability.n_rows();
        let mut video = RowSet::empty(n_rows);
        let mut phone = RowSet::empty(n_rows);
        let mut languages: Vec<(Language, RowSet)> = Vec::new();
        let mut in_person_runs: Vec<Vec<(u32, u32)>> = vec![Vec::new(); region.facilities.len()];
        for row in 0..n_rows {
            let clinician = &region.clinicians[availability.clinician_at(row).index()];
            if clinician.modalities.contains(Modality::Video) {
                video.insert(row);
            }
            if clinician.modalities.contains(Modality::Phone) {
                phone.insert(row);
            }
            if clinician.modalities.contains(Modality::InPerson) {
                let runs = &mut in_person_runs[clinician.facility.index()];
                let row = row as u32;
                match runs.last_mut() {
                    // A run stays within one pool.
                    Some((start, end))
                        if *end == row
                            && availability.pool_of_row(*start as usize)
                                == availability.pool_of_row(row as usize) =>
                    {
                        *end = row + 1
                    }
                    _ => runs.push((row, row + 1)),
                }
            }
            for language in &clinician.languages {
                match languages.iter_mut().find(|(known, _)| known == language) {
                    Some((_, rows)) => rows.insert(row),
                    None => {
                        let mut rows = RowSet::empty(n_rows);
                        rows.insert(row);
                        languages.push((*language, rows));
                    }
                }
            }
        }
        languages.sort_by_key(|(language, _)| *language);
        let mut grid: Vec<((i32, i32), FacilityId)> = region
            .facilities
            .iter()
            .map(|facility| (grid_cell(facility.location, GRID_DEGREES), facility.id))
            .collect();
        grid.sort_unstable();
        let n_pools = availability.n_pools();
        // Whether a member with remote key `key` reaches `row` by one of those modalities.
        let reaches_remotely = |key: usize, row: usize| {
            key & REMOTE_VIDEO != 0 && video.contains(row)
                || key & REMOTE_PHONE != 0 && phone.contains(row)
        };
        let mut pool_grids: Vec<[Vec<Placed>; 4]> = vec![Default::default(); n_pools];
        for &(_, facility) in &grid {
            let location = region.facilities[facility.index()].location;
            let cell = grid_cell(location, POOL_GRID_DEGREES);
            for &(start, end) in &in_person_runs[facility.index()] {
                let pool = availability.pool_of_row(start as usize).index();
                for (key, placed) in pool_grids[pool].iter_mut().enumerate() {
                    // The run counts for members with remote key `key` when one of its rows offers
                    // none of their remote modalities.
                    let uncovered =
                        (start as usize..end as usize).any(|row| !reaches_remotely(key, row));
                    if uncovered {
                        placed.push(Placed {
                            cell,
                            location,
                            start,
                            end,
                        });
                    }
                }
            }
        }
        let pool_grids = pool_grids
            .into_iter()
            .map(|grids| {
                grids.map(|mut grid| {
                    grid.sort_by_key(|placed| (placed.cell, placed.start));
                    CellGrid::new(grid, |placed| placed.cell)
                })
            })
            .collect();
        let grid = CellGrid::new(grid, |(cell, _)| *cell);
        let mut spoken = vec![0u64; region.clinicians.len()];
        for (clinician, bits) in region.clinicians.iter().zip(&mut spoken) {
            for (idx, (language, _)) in languages.iter().take(64).enumerate() {
                if clinician.speaks(*language) {
                    *bits |= 1 << idx;
                }
            }
        }
        let spoken_by_all = spoken.iter().fold(!0u64, |all, bits| all & bits);
        let pool_rows: Vec<Range<usize>> = (0..n_pools)
            .map(|pool| availability.pool_rows(Pool(pool as u8)))
            .collect();
        let pool_everyone = pool_rows
            .iter()
            .map(|rows| {
                let mut everyone = RowSet::empty_within(rows.clone());
                everyone.insert_range(rows.start, rows.end);
                let covered =
                    std::array::from_fn(|key| rows.clone().all(|row| reaches_remotely(key, row)));
                (everyone, covered)
            })
            .collect();
        Directory {
            video,
            phone,
            languages,
            grid,
            pool_grids,
            pool_rows,
            pool_everyone,
            locations: region
                .facilities
                .iter()
                .map(|facility| facility.location)
                .collect(),
            spoken,
            spoken_by_all,
        }
    }

    /// How many search tags the directory gives the index: a tag per language (the first 64).
    pub(crate) fn n_tags(&self) -> usize {
        self.languages.len().min(64)
    }

    /// A clinician's search tags: the languages they speak that not everyone speaks.
    pub(crate) fn tags_of(&self, clinician: ClinicianId) -> u64 {
        self.spoken.get(clinician.index()).copied().unwrap_or(0) & !self.spoken_by_all
    }

    /// The search tag of a language's speakers, when it has one.
    fn tag_of(&self, language: Language) -> Option<u8> {
        let idx = self
            .languages
            .binary_search_by_key(&language, |(known, _)| *known)
            .ok()?;
        (idx < 64 && self.spoken_by_all & (1 << idx) == 0).then_some(idx as u8)
    }

    /// Facilities within `max_km` of `home` (haversine distance), in grid order.
    pub fn facilities_near(
        &self,
        home: GeoPoint,
        max_km: f64,
    ) -> impl Iterator<Item = FacilityId> + '_ {
        near_in(
            &self.grid,
            GRID_DEGREES,
            |(cell, _)| *cell,
            |(_, facility)| self.locations[facility.index()],
            home,
            max_km,
        )
        .map(|(_, facility)| *facility)
    }

    /// Whether `clinician` speaks `language` (as [`Clinician::speaks`]).
    pub(crate) fn speaks(&self, clinician: &Clinician, language: Language) -> bool {
        match (
            self.languages
                .binary_search_by_key(&language, |(known, _)| *known),
            self.spoken.get(clinician.id.index()),
        ) {
            (Ok(idx), Some(bits)) if idx < 64 => bits & (1 << idx) != 0,
            // Not a language anyone in the index speaks, or beyond the 64 with bits.
            _ => clinician.speaks(language),
        }
    }

    /// Rows of pool `pool` the member could see (in person nearby), and every row
    /// offering a remote modality the member accepts (whatever its pool: searches clip the
    /// filter to their pool's rows). Borrowed when the member's remote modalities reach the
    /// whole pool: then it is the pool's rows, made once.
    pub(crate) fn reachable(&self, member: &Member, max_km: f64, pool: Pool) -> Cow<'_, RowSet> {
        let Some(pool_rows) = self.pool_rows.get(pool.index()) else {
            return Cow::Owned(RowSet::empty_within(0..0));
        };
        let key = remote_key(member);
        if let Some((everyone, covered)) = self.pool_everyone.get(pool.index())
            && covered[key]
        {
            return Cow::Borrowed(everyone);
        }
        let mut rows = RowSet::empty_within(pool_rows.clone());
        if member.accepts.contains(Modality::Video) {
            rows.union_with(&self.video);
        }
        if member.accepts.contains(Modality::Phone) {
            rows.union_with(&self.phone);
        }
        if member.accepts.contains(Modality::InPerson) {
            let grid = &self.pool_grids[pool.index()][key];
            let home = *member.home.expose();
            for placed in near_in(
                grid,
                POOL_GRID_DEGREES,
                |placed| placed.cell,
                |placed| placed.location,
                home,
                max_km,
            ) {
                rows.insert_range(placed.start as usize, placed.end as usize);
            }
        }
        Cow::Owned(rows)
    }

    pub(crate) fn speakers(&self, language: Language) -> Option<&RowSet> {
        self.languages
            .binary_search_by_key(&language, |(known, _)| *known)
            .ok()
            .map(|idx| &self.languages[idx].1)
    }
}

/// Bit of [`remote_key`]: the member accepts video.
const REMOTE_VIDEO: usize = 1;
/// Bit of [`remote_key`]: the member accepts phone.
const REMOTE_PHONE: usize = 2;

/// The remote modalities a member accepts, as an index of [`Directory`]'s per-pool grids.
fn remote_key(member: &Member) -> usize {
    let mut key = 0;
    if member.accepts.contains(Modality::Video) {
        key |= REMOTE_VIDEO;
    }
    if member.accepts.contains(Modality::Phone) {
        key |= REMOTE_PHONE;
    }
    key
}

/// How a member and a clinician can meet: in person when both can (and, unless `established`,
/// the facility is within `max_km`), else video, else phone.
pub fn modality_for(
    region: &Region,
    member: &Member,
    clinician: &Clinician,
    max_km: f64,
    established: bool,
) -> Option<Modality> {
    meeting_modality(member, clinician, established, || {
        member
            .home
            .expose()
            .radius(max_km)
            .contains(region.facilities[clinician.facility.index()].location)
    })
}

/// [`modality_for`], with the distance test given: `near` says whether the clinician's facility
/// is within the travel distance of the member's home.
fn meeting_modality(
    member: &Member,
    clinician: &Clinician,
    established: bool,
    near: impl Fn() -> bool,
) -> Option<Modality> {
    Modality::ALL.into_iter().find(|&modality| {
        member.accepts.contains(modality)
            && clinician.modalities.contains(modality)
            && (modality != Modality::InPerson || established || near())
    })
}

/// Slots whose start suits the member's preferences (local time of the rule set's zone), from
/// `not_before` on; `None` when the member takes any time.
fn preferred_starts(
    availability: &Availability,
    preferences: &Preferences,
    zone: &TimeZone,
    not_before: Minute,
) -> Result<Option<Vec<bool>>, AvailabilityError> {
    if *preferences == Preferences::ANY {
        return Ok(None);
    }
    let mut starts = vec![false; availability.n_slots()];
    let first_slot = (0..availability.n_slots())
        .find(|&slot| availability.slot_start(slot) >= Minute(not_before.0 - 24 * 60))
        .unwrap_or(availability.n_slots());
    if first_slot == availability.n_slots() {
        return Ok(Some(starts));
    }
    let to_zoned = |minute: Minute| -> Result<jiff::Zoned, AvailabilityError> {
        Ok(minute.to_timestamp()?.to_zoned(zone.clone()))
    };
    let mut date = to_zoned(availability.slot_start(first_slot))?.date();
    let last = to_zoned(availability.slot_start(availability.n_slots() - 1))?.date();
    while date <= last {
        if preferences.weekdays.contains(date.weekday()) {
            let at = |time| -> Result<Minute, AvailabilityError> {
                Ok(Minute::from_timestamp(
                    date.to_datetime(time)
                        .to_zoned(zone.clone())
                        .map_err(|_| AvailabilityError::OutOfRange)?
                        .timestamp(),
                ))
            };
            let (from, through) = (
                at(preferences.earliest_start)?,
                at(preferences.latest_start)?,
            );
            let mut slot = availability.slot_of(from.ceil_to_grid());
            while let Some(idx) = slot {
                if availability.slot_start(idx) > through {
                    break;
                }
                starts[idx] = true;
                slot = (idx + 1 < availability.n_slots()).then_some(idx + 1);
            }
        }
        date = date.tomorrow().map_err(|_| AvailabilityError::OutOfRange)?;
    }
    Ok(Some(starts))
}

/// Whether a request of `kind` may use urgent-hold time before its release.
pub fn urgency_of(kind: RequestKind) -> Urgency {
    if kind.is_urgent() {
        Urgency::Urgent
    } else {
        Urgency::Routine
    }
}

/// The earliest start at or after `not_before` that `clinician` can give a request of `kind`
/// made at `now`, among the starts `starts` accepts (slot indexes; `None` accepts all), with the
/// kind of time it uses; `None` when nothing fits in the horizon.
///
/// This is the engine's one per-clinician question, asked by the continuity offer of
/// [`find_within`] and by the provider census ([`crate::report::census`]), so that whatever
/// decides which time a request kind may use (its length, urgent-hold time before its release,
/// the intake reserve for an internal clinician's own patients) decides it for both. Nothing
/// about a member is asked here (modality, language, travel, preferences other than `starts`):
/// those are the callers' filters.
#[allow(clippy::too_many_arguments)]
pub fn earliest_for_kind(
    availability: &Availability,
    policy: &FindPolicy,
    clinician: &Clinician,
    kind: RequestKind,
    patient: Patient,
    not_before: Minute,
    now: Minute,
    starts: Option<&[bool]>,
) -> Result<Option<(Minute, FreeKind)>, AvailabilityError> {
    let reserve = match (patient, clinician.affiliation) {
        (Patient::Own, Affiliation::Internal) => policy.intake_reserve,
        _ => IntakeReserve::NONE,
    };
    let (length, urgency) = (policy.lengths.minutes(kind), urgency_of(kind));
    let released = Minute(
        now.0
            .saturating_add(i64::from(reserve.release_days) * 24 * 60),
    );
    let keeps_reserve = |week: DirectMinutes| {
        f64::from(week.free.saturating_sub(length)) >= reserve.share * f64::from(week.bookable)
    };
    // From where every start is past the reserve's release and, for a routine request, past the
    // release of urgent-hold time (so only direct time is left to find), a week that cannot keep
    // the reserve is skipped on its counts alone, before its bits are searched.
    let counted_from = match urgency {
        Urgency::Routine if reserve.share > 0.0 => Some(Minute(
            released.0.max(
                now.0
                    .saturating_add(availability.urgent_hold_release_minutes())
                    .saturating_add(1),
            ),
        )),
        _ => None,
    };
    let horizon_end = availability.slot_start(availability.n_slots());
    let mut not_before = not_before;
    // The earliest free time in a week that still keeps the intake reserve after it, or any free
    // time starting within the reserve's release; urgent-hold time is never part of the reserve.
    // A week whose free direct time is down to the reserve is skipped whole.
    loop {
        if let Some(counted_from) = counted_from {
            loop {
                let week = week_start(not_before);
                if not_before < counted_from
                    || week >= horizon_end
                    || keeps_reserve(availability.week_direct_minutes(clinician.id, week)?)
                {
                    break;
                }
                not_before = next_week_start(week);
            }
        }
        let Some((start, time)) = availability.earliest_before(
            clinician.id,
            not_before,
            Minute(i64::MAX),
            length,
            urgency,
            now,
            starts,
        )?
        else {
            return Ok(None);
        };
        if reserve.share <= 0.0 || time == FreeKind::UrgentHold || start < released {
            return Ok(Some((start, time)));
        }
        if keeps_reserve(availability.week_direct_minutes(clinician.id, start)?) {
            return Ok(Some((start, time)));
        }
        not_before = next_week_start(start);
    }
}

/// Whose patient a request is, for the clinician asked ([`earliest_for_kind`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Patient {
    /// New to the clinician: may take the intake reserve.
    New,
    /// The clinician's own patient (they are the treating clinician): may not.
    Own,
}

/// Business days from the deadline's last day to `start`'s date (see [`Timeliness::Late`]).
/// Days are the rule set's local days, counted in its calendar.
pub fn timeliness(
    deadline: Timestamp,
    last_day: Option<Date>,
    rules: &RuleSet,
    start: Timestamp,
) -> Timeliness {
    if start < deadline {
        return Timeliness::Met;
    }
    let days = rules.zone_days();
    let last_day = last_day.unwrap_or_else(|| {
        // Hour-based deadlines: the day the deadline falls in (an instant exactly at midnight
        // closes the day before).
        days.date_of(
            deadline
                .checked_sub(jiff::SignedDuration::from_secs(1))
                .unwrap_or(deadline),
        )
    });
    Timeliness::Late {
        business_days: rules
            .calendar()
            .business_days_between(last_day, days.date_of(start)),
    }
}

/// Everything a find reads.
#[derive(Clone, Copy, Debug)]
pub struct FindContext<'a, 'r> {
    /// The region.
    pub region: &'a Region,
    /// Free time.
    pub availability: &'a Availability,
    /// Who is where and speaks what.
    pub directory: &'a Directory,
    /// Lengths, travel, interpreters.
    pub policy: &'a FindPolicy,
    /// The timely-access rules (offers borrow their names).
    pub rules: &'r RuleSet,
    /// The rows of clinicians who take no new patient (at their caseload cap), if any: only
    /// a request's treating clinician may offer them.
    pub closed_to_new: Option<&'a RowSet>,
}

/// A find's filters for one pool.
struct Masks<'d> {
    /// Everyone the member can reach.
    reachable: Cow<'d, RowSet>,
    /// Those of them who speak the member's language, once a search needs it.
    concordant: Option<RowSet>,
}

impl Masks<'_> {
    /// Who may take the request: anyone reachable when an interpreter can stand in for a shared
    /// language, else only speakers of it.
    fn anyone(
        &mut self,
        interpreters: Interpreters,
        concordant_of: impl FnOnce(&RowSet) -> RowSet,
    ) -> &RowSet {
        match interpreters {
            Interpreters::Available => &self.reachable,
            Interpreters::Unavailable => self.concordant(concordant_of),
        }
    }

    /// The language-concordant filter, made from the reachable one the first time it is asked.
    fn concordant(&mut self, concordant_of: impl FnOnce(&RowSet) -> RowSet) -> &RowSet {
        let Masks {
            reachable,
            concordant,
        } = self;
        concordant.get_or_insert_with(|| concordant_of(reachable))
    }
}

/// Whether any ranked offer is timely (ranks below 9).
fn has_timely_offer(offers: &[(u8, Offer)]) -> bool {
    offers.iter().any(|(rank, _)| *rank < 9)
}

/// Finds offers for `request` at `now`. Pure: reads the index, changes nothing.
pub fn find<'r>(
    context: &FindContext<'_, 'r>,
    request: &Request,
    now: Timestamp,
) -> Result<Offers<'r>, FindError> {
    find_from(context, request, request.requested, now)
}

/// Finds offers that start no earlier than `not_before` (nor `now`): a follow-up at its cadence,
/// or a member who cannot come before a date. Timeliness still counts from the request's deadline.
pub fn find_from<'r>(
    context: &FindContext<'_, 'r>,
    request: &Request,
    not_before: Timestamp,
    now: Timestamp,
) -> Result<Offers<'r>, FindError> {
    let deadline = context.rules.deadline_instants(&request.deadline_query())?;
    find_within(context, request, &deadline, not_before, now)
}

/// [`find_from`] with the request's deadline already worked out: `deadline` must be what
/// `RuleSet::deadline_instants` gives for `request` under the context's rule set (a follow-up
/// carries it from [`crate::episode::next_follow_up`], which worked it out to set the search's
/// start). Checked in debug builds.
pub fn find_within<'r>(
    context: &FindContext<'_, 'r>,
    request: &Request,
    deadline: &DeadlineInstants<'r>,
    not_before: Timestamp,
    now: Timestamp,
) -> Result<Offers<'r>, FindError> {
    let FindContext {
        region,
        availability,
        directory,
        policy,
        rules,
        closed_to_new,
    } = *context;
    debug_assert_eq!(
        rules.deadline_instants(&request.deadline_query()).ok(),
        Some(*deadline),
        "the deadline given is the request's"
    );
    let member = region
        .members
        .get(request.member.index())
        .ok_or(FindError::UnknownMember(request.member))?;
    let deadline_instant = deadline.instant;
    let length = policy.lengths.minutes(request.kind);
    let urgency = urgency_of(request.kind);
    // The release of urgent-hold time compares with `now` rounded down (14:59:30 is before a
    // 15:00 release); starts compare with it rounded up (at 09:00:30, 09:00 has passed).
    let now_minute = Minute::from_timestamp(now);
    let ceil_minute = |at: Timestamp| {
        let floor = Minute::from_timestamp(at);
        match floor.to_timestamp() {
            Ok(exact) if exact == at => floor,
            _ => Minute(floor.0 + 1),
        }
    };
    let not_before = Minute(ceil_minute(now).0.max(ceil_minute(not_before).0));
    let before = Minute::from_timestamp(deadline_instant).ceil_to_grid();
    let starts = preferred_starts(
        availability,
        &request.preferences,
        rules.time_zone(),
        not_before,
    )?;
    let starts = starts.as_deref();

    let timeliness_of =
        |start: Timestamp| timeliness(deadline_instant, deadline.last_day, rules, start);
    // Ranked candidates, inline: at most one from continuity, one per side within the deadline
    // and one per side after it.
    let mut offers: SmallVec<[(u8, Offer); 5]> = SmallVec::new();
    // The travel radius is measured from the member's home at most once per find, when an offer
    // needs it (a continuity offer does not: the member already sees that clinician).
    let radius = std::cell::OnceCell::new();
    let modality_of = |clinician: &Clinician, established: bool| {
        meeting_modality(member, clinician, established, || {
            radius
                .get_or_init(|| member.home.expose().radius(policy.max_travel_km))
                .contains(directory.locations[clinician.facility.index()])
        })
    };
    let offer_of =
        |found: Found, route: Route, established: bool| -> Result<Option<Offer>, FindError> {
            let clinician = &region.clinicians[found.clinician.index()];
            let Some(modality) = modality_of(clinician, established) else {
                return Ok(None);
            };
            let start = found.start.to_timestamp()?;
            Ok(Some(Offer {
                clinician: found.clinician,
                facility: clinician.facility,
                start,
                length,
                modality,
                interpreter: (!directory.speaks(clinician, member.language))
                    .then_some(member.language),
                route,
                time: found.kind,
                timeliness: timeliness_of(start),
            }))
        };

    // 1. Continuity with the treating clinician, when timely.
    if let Some(treating) = request.treating_clinician {
        let clinician = region
            .clinicians
            .get(treating.index())
            .ok_or(FindError::UnknownClinician(treating))?;
        let discipline_fits =
            request.kind.needs_psychiatrist() == (clinician.discipline == Discipline::Psychiatrist);
        let language_fits = policy.interpreters == Interpreters::Available
            || directory.speaks(clinician, member.language);
        let fits = discipline_fits
            && language_fits
            && modality_of(clinician, true).is_some()
            && availability.row_of(treating).is_some();
        if fits
            && let Some((start, kind)) = earliest_for_kind(
                availability,
                policy,
                clinician,
                request.kind,
                Patient::Own,
                not_before,
                now_minute,
                starts,
            )?
        {
            let found = Found {
                clinician: treating,
                start,
                kind,
            };
            if let Some(offer) = offer_of(found, Route::Continuity, true)? {
                let rank = if offer.timeliness.is_met() { 0 } else { 9 };
                offers.push((rank, offer));
            }
        }
    }

    // A timely offer from the treating clinician is the best there can be: the searches of the
    // other clinicians (and the filters they need) are skipped, which is most follow-ups. A
    // clinic that books returns on the therapist's calendar offers that time, however late.
    let treating_only = policy.follow_ups == FollowUps::TreatingClinician && !offers.is_empty();
    if !has_timely_offer(&offers) && !treating_only {
        // 2-3. Internal, then network, within the deadline: language-concordant first. Each
        // side's filters (who the member can reach, who speaks the language) are built the first
        // time that side is searched: a timely internal offer spares the network's.
        // The language-concordant filter is made only when a search needs it: with interpreters
        // available, only when the earliest timely clinician does not speak the language.
        let concordant_of = |reachable: &RowSet| -> RowSet {
            let mut concordant = reachable.clone();
            match directory.speakers(member.language) {
                Some(speakers) => concordant.intersect_with(speakers),
                None => concordant.clear(),
            }
            concordant
        };
        let masks_for = |pool: Pool| {
            let mut reachable = directory.reachable(member, policy.max_travel_km, pool);
            // The cap is internal clinicians' (a network provider gives the plan a few hours).
            if let Some(closed) = closed_to_new
                && (pool == Pool::INTERNAL_THERAPY || pool == Pool::INTERNAL_PSYCHIATRY)
            {
                reachable.to_mut().difference_with(closed);
            }
            Masks {
                reachable,
                concordant: None,
            }
        };
        let mut masks: [Option<Masks>; 2] = [None, None];
        // Every row of the concordant filter speaks the member's language, so its searches may
        // skip the slots where no speaker of it is free; so may every search when only speakers
        // may take the request.
        let concordant_tag = directory.tag_of(member.language);
        let anyone_tag = match policy.interpreters {
            Interpreters::Available => None,
            Interpreters::Unavailable => concordant_tag,
        };
        let (internal_pool, network_pool) = if request.kind.needs_psychiatrist() {
            (Pool::INTERNAL_PSYCHIATRY, Pool::NETWORK_PSYCHIATRY)
        } else {
            (Pool::INTERNAL_THERAPY, Pool::NETWORK_THERAPY)
        };
        let search = |pool: Pool,
                      rows: &RowSet,
                      tag: Option<u8>,
                      from: Minute,
                      before: Minute|
         -> Result<Option<Found>, FindError> {
            Ok(availability.earliest_among(&Search {
                pool,
                rows,
                tag,
                not_before: from,
                before,
                length,
                urgency,
                now: now_minute,
                starts,
            })?)
        };
        let has_timely = has_timely_offer;
        // Where each pool's late search may start: a timely search that found nothing for `anyone`
        // has already covered every start before the deadline.
        // A network offer waits for the referral (its delay counts from the request).
        let referred = request
            .requested
            .checked_add(jiff::SignedDuration::from_hours(
                i64::from(policy.referral_days) * 24,
            ))
            .map_or(not_before, |at| Minute(not_before.0.max(ceil_minute(at).0)));
        let from = [not_before, referred];
        let mut late_from = from;
        for (side, route, pool, rank) in [
            (0, Route::Internal, internal_pool, 1),
            (1, Route::Network, network_pool, 3),
        ] {
            if has_timely(&offers) {
                break;
            }
            let side_masks = masks[side].get_or_insert_with(|| masks_for(pool));
            let anyone = side_masks.anyone(policy.interpreters, concordant_of);
            // Anyone first: when nobody is timely, no language-concordant clinician is either (the
            // common case when capacity is short, so it is the case to make cheap).
            let Some(earliest) = search(pool, anyone, anyone_tag, from[side], before)? else {
                late_from[side] = Minute(from[side].0.max(before.0));
                continue;
            };
            let speaks = |found: &Found| {
                directory.speaks(&region.clinicians[found.clinician.index()], member.language)
            };
            // The earliest timely start is concordant: then it is also the earliest concordant one
            // (the lowest row at that start among a superset).
            let (found, found_rank) = if speaks(&earliest) {
                (earliest, rank)
            } else {
                match search(
                    pool,
                    side_masks.concordant(concordant_of),
                    concordant_tag,
                    from[side],
                    before,
                )? {
                    Some(concordant_found) => (concordant_found, rank),
                    None => (earliest, rank + 1),
                }
            };
            offers.extend(offer_of(found, route, false)?.map(|offer| (found_rank, offer)));
        }

        // 4. Nobody in network in time: the earliest start anywhere, and an arrangement.
        if !has_timely(&offers) {
            let horizon_end = Minute(i64::MAX);
            for (side, route, pool) in [
                (0, Route::Internal, internal_pool),
                (1, Route::Network, network_pool),
            ] {
                let side_masks = masks[side].get_or_insert_with(|| masks_for(pool));
                let anyone = side_masks.anyone(policy.interpreters, concordant_of);
                if let Some(found) = search(pool, anyone, anyone_tag, late_from[side], horizon_end)?
                {
                    offers.extend(offer_of(found, route, false)?.map(|offer| (9, offer)));
                }
            }
        }
    }
    // Late offers rank by start; ties keep continuity, then internal, then network.
    offers.sort_by(|(rank_a, a), (rank_b, b)| {
        rank_a
            .cmp(rank_b)
            .then_with(|| {
                if *rank_a == 9 {
                    a.start.cmp(&b.start)
                } else {
                    std::cmp::Ordering::Equal
                }
            })
            .then_with(|| a.route.cmp(&b.route))
            .then_with(|| a.clinician.cmp(&b.clinician))
    });
    // One offer per clinician and start: the best-ranked copy stays.
    let mut kept: Vec<Offer> = Vec::with_capacity(offers.len());
    for (_, offer) in offers {
        if !kept
            .iter()
            .any(|known| (known.clinician, known.start) == (offer.clinician, offer.start))
        {
            kept.push(offer);
        }
    }
    let offers = kept;
    let arrangement = (!offers
        .first()
        .is_some_and(|offer| offer.timeliness.is_met()))
    .then_some(OutOfNetworkArrangement {
        request: request.id,
        requested: request.requested,
        member: request.member,
        kind: request.kind,
        deadline: deadline_instant,
    });
    Ok(Offers {
        request: request.id,
        deadline: deadline_instant,
        last_day: deadline.last_day,
        rule_set: rules.name(),
        rule: &deadline.rule.source,
        clinical_exception: deadline.clinical_exception.is_some(),
        offers,
        arrangement,
    })
}

#[cfg(test)]
mod tests {
    use super::CellGrid;

    /// Cells scattered over a few rows (with gaps, negative cells and repeats), each entry its
    /// cell and a number.
    fn entries() -> Vec<((i32, i32), u32)> {
        let mut entries: Vec<((i32, i32), u32)> = (0..400u32)
            .map(|n| {
                let lat = (n * 7 % 13) as i32 - 6;
                let lon = (n * 11 % 29) as i32 - 14;
                ((lat, lon * 2), n)
            })
            .filter(|((lat, _), _)| *lat != 2)
            .collect();
        entries.sort_unstable();
        entries
    }

    fn brute(entries: &[((i32, i32), u32)], lat: i32, from: i32, to: i32) -> Vec<u32> {
        entries
            .iter()
            .filter(|((l, o), _)| *l == lat && from <= *o && *o <= to)
            .map(|(_, n)| *n)
            .collect()
    }

    #[test]
    fn a_row_of_cells_is_the_entries_a_scan_finds_in_a_table_and_by_search() {
        let entries = entries();
        let table = CellGrid::new(entries.clone(), |(cell, _)| *cell);
        assert!(table.lon_cells > 1, "a narrow grid gets a table");
        // A grid too wide for a table (longitudes far apart) searches its rows instead.
        let mut wide = entries.clone();
        wide.push(((6, 3_000_000), 9_999));
        wide.push(((-6, -3_000_000), 9_998));
        wide.sort_unstable();
        let searched = CellGrid::new(wide.clone(), |(cell, _)| *cell);
        assert_eq!(searched.lon_cells, 1);
        for (grid, all, name) in [(&table, &entries, "table"), (&searched, &wide, "search")] {
            for lat in -8..=8 {
                for (from, to) in [(-40, 40), (-3, 5), (0, 0), (7, 3), (-100, -30), (27, 90)] {
                    let found: Vec<u32> = grid
                        .cells(lat, from, to, |entry| entry.0.1)
                        .iter()
                        .map(|(_, n)| *n)
                        .collect();
                    assert_eq!(
                        found,
                        brute(all, lat, from, to),
                        "{name} {lat} {from}..={to}"
                    );
                }
            }
        }
        let empty = CellGrid::new(Vec::<((i32, i32), u32)>::new(), |(cell, _)| *cell);
        assert!(empty.cells(0, -5, 5, |entry| entry.0.1).is_empty());
    }
}
