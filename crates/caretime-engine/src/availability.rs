//! The index of bookable time.
//!
//! Each clinician's weekly [`Template`] is expanded over a horizon of dates into bookable time:
//! `direct` blocks and `urgent-hold` blocks, on the dates the clinician's facility is open (no
//! holiday, no closure) and the clinician is not on leave. Protected, meeting, group and break
//! blocks never become bookable, so nothing can book them.
//!
//! Time is cut into 15-minute slots ([`GRID_MINUTES`]) on the absolute grid (whole quarter hours
//! since the Unix epoch, which are local quarter hours in every zone caretime serves). A slot is
//! free when all of it lies in a bookable block and no appointment holds it. Appointments start on
//! the grid and last a whole number of slots, inside one run of free slots of one kind, so an
//! appointment never spans a direct and an urgent-hold block. Wall times are converted with the
//! clinician's zone, so a 09:00 block stays at 09:00 local time across a DST change.
//!
//! The index keeps the same bits twice: per clinician (a row of slots, for one clinician's
//! earliest start) and per slot (a column of clinicians, for "who is free at 10:00" across
//! thousands of clinicians in a few word operations). Clinicians are ordered by a caller-chosen
//! pool (internal therapists, network psychiatrists, ...) so that a pool is a contiguous range of
//! rows. A summary bit per slot and column word says whether that word has any free clinician, so
//! a search over a booked-out period or a sparse filter reads a few summary words per slot, not
//! the columns. [`Availability::reserve`] and [`Availability::release`] change the rows, columns
//! and summaries together; nothing else changes them.

use std::ops::Range;

use caretime_core::calendar::{BusinessCalendar, DayOff};
use caretime_core::id::ClinicianId;
use caretime_core::slug::Slug;
use caretime_core::template::{Block, BlockKind, DayRange, Template};
use caretime_hint::prefetch;
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;

/// Appointments start on multiples of this many minutes since the epoch (every zone caretime
/// serves has an offset that is a multiple of 15 minutes, so this is the local quarter hour).
pub const GRID_MINUTES: i64 = 15;

/// An instant in whole minutes since the Unix epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Minute(pub i64);

impl Minute {
    /// The minute an instant falls in (rounding down).
    pub fn from_timestamp(timestamp: Timestamp) -> Minute {
        Minute(timestamp.as_second().div_euclid(60))
    }

    /// The instant at the start of this minute.
    pub fn to_timestamp(self) -> Result<Timestamp, AvailabilityError> {
        Timestamp::from_second(self.0 * 60).map_err(|_| AvailabilityError::OutOfRange)
    }

    /// The first grid minute at or after this one.
    pub fn ceil_to_grid(self) -> Minute {
        Minute(self.0 + (GRID_MINUTES - self.0.rem_euclid(GRID_MINUTES)) % GRID_MINUTES)
    }
}

/// A pool: the clinicians one search runs over (internal therapists, network psychiatrists,
/// ...). The index keeps a pool's rows contiguous, so a search reads only its pool's rows and
/// skips the slots where nobody of the pool is free. Pools are numbered from 0; which
/// clinicians share a pool is the caller's choice (the find uses the four below, see
/// [`crate::find::pool_of`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(transparent)]
pub struct Pool(pub u8);

impl Pool {
    /// Internal non-physician mental health clinicians.
    pub const INTERNAL_THERAPY: Pool = Pool(0);
    /// Internal psychiatrists.
    pub const INTERNAL_PSYCHIATRY: Pool = Pool(1);
    /// Network non-physician mental health clinicians.
    pub const NETWORK_THERAPY: Pool = Pool(2);
    /// Network psychiatrists.
    pub const NETWORK_PSYCHIATRY: Pool = Pool(3);

    /// The pool's number as an index into per-pool tables.
    #[inline]
    pub fn index(self) -> usize {
        usize::from(self.0)
    }
}

/// Failures building or changing the index.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AvailabilityError {
    /// A template whose bookable blocks overlap would let two appointments share a minute.
    #[error(
        "{0}: bookable blocks overlap in the template; check it with `caretime template check`"
    )]
    OverlappingBlocks(ClinicianId),
    /// Two schedules for one clinician.
    #[error("{0} has two schedules")]
    DuplicateClinician(ClinicianId),
    /// A date or instant outside the supported range.
    #[error("date arithmetic out of range")]
    OutOfRange,
    /// A horizon whose last date is before its first.
    #[error("the horizon ends before it starts")]
    EmptyHorizon,
    /// A length that is not a positive whole number of slots.
    #[error("an appointment length must be a positive multiple of {GRID_MINUTES} minutes, not {0}")]
    BadLength(u32),
    /// A start that is not on the 15-minute grid.
    #[error("an appointment must start on a quarter hour")]
    OffGrid,
    /// A reservation of time that is not free in one piece.
    #[error("{clinician} is not free for that time")]
    NotFree {
        /// The clinician.
        clinician: ClinicianId,
    },
    /// A release of time that was never bookable or is already free.
    #[error("{clinician}: that time is not reserved bookable time")]
    NotReserved {
        /// The clinician.
        clinician: ClinicianId,
    },
    /// A clinician the index does not know.
    #[error("{0} is not in the availability index")]
    UnknownClinician(ClinicianId),
    /// A new schedule that would move the clinician to another pool.
    #[error("{0}: a new schedule cannot change the clinician's pool")]
    PoolChange(ClinicianId),
    /// More search tags than the index keeps (64).
    #[error("{0} search tags: the index keeps at most 64")]
    TooManyTags(usize),
}

/// What a clinician's week looks like and when it does not apply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Schedule {
    /// Whose schedule.
    pub clinician: ClinicianId,
    /// The pool the clinician belongs to (rows of one pool are contiguous; see
    /// [`Availability::pool_rows`]). Pools are numbered from 0.
    pub pool: Pool,
    /// The zone of the clinician's facility: template times are wall times in it.
    pub time_zone: TimeZone,
    /// The weekly template.
    pub template: Template,
    /// The facility's calendar: no blocks on its holidays and closures. (Weekends follow the
    /// template: a Saturday block is free time on Saturdays.)
    pub calendar: BusinessCalendar,
    /// Inclusive date ranges the clinician is away (leave, strike).
    pub leave: Vec<(Date, Date)>,
}

impl Schedule {
    /// The template's blocks that take place on local `date`, of every kind: none on the
    /// facility's holidays and closures or while the clinician is on leave, the same days the
    /// index gives no bookable time. (Weekends follow the template, as in the index.)
    pub fn blocks_on(&self, date: Date) -> impl Iterator<Item = &Block> + '_ {
        let closed = matches!(
            self.calendar.day_off(date),
            Some(DayOff::Holiday(_) | DayOff::Closure)
        ) || self
            .leave
            .iter()
            .any(|(first, last)| *first <= date && date <= *last);
        self.template
            .blocks
            .iter()
            .filter(move |block| !closed && block.day == date.weekday())
    }
}

/// A clinician's direct time over a period ([`Availability::direct_minutes`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DirectMinutes {
    /// Minutes free.
    pub free: u32,
    /// Minutes the template made bookable, free or booked.
    pub bookable: u32,
}

/// What kind of bookable time a slot is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FreeKind {
    /// Ordinary appointment time.
    Direct,
    /// Held for urgent requests until the release time before it, then open to all.
    UrgentHold,
}

impl Slug for FreeKind {
    const VARIANTS: &'static [FreeKind] = &[FreeKind::Direct, FreeKind::UrgentHold];

    /// The template block kind it is (`direct`, `urgent-hold`).
    fn slug(self) -> &'static str {
        match self {
            FreeKind::Direct => "direct",
            FreeKind::UrgentHold => "urgent-hold",
        }
    }
}

/// Whether a request is urgent, which decides access to urgent-hold time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Urgency {
    /// May use urgent-hold time at any time.
    Urgent,
    /// May use urgent-hold time only once it is released.
    Routine,
}

/// A free interval: `start < end`, both on the grid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FreeInterval {
    /// First free minute.
    pub start: Minute,
    /// First minute after it.
    pub end: Minute,
    /// Direct or urgent-hold.
    pub kind: FreeKind,
}

/// The dates a schedule is expanded over, inclusive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Horizon {
    /// First date.
    pub first: Date,
    /// Last date.
    pub last: Date,
}

/// A set of rows of the index (clinicians), as a bitset. A set may cover only a window of the
/// rows ([`RowSet::empty_within`], one pool's): the rows outside it are never in it, and
/// its words cost nothing to make or combine (a find's filters are one pool's).
#[derive(Clone, Debug)]
pub struct RowSet {
    /// The index of the first word `words` holds: row `r` is bit `r % 64` of
    /// `words[r / 64 - first_word]`.
    first_word: usize,
    words: Vec<u64>,
}

impl RowSet {
    /// An empty set able to hold `n_rows` rows.
    pub fn empty(n_rows: usize) -> RowSet {
        RowSet {
            first_word: 0,
            words: vec![0; n_rows.div_ceil(64)],
        }
    }

    /// An empty set able to hold the rows of `rows` only (and the others of their first and
    /// last words).
    pub fn empty_within(rows: Range<usize>) -> RowSet {
        let first_word = rows.start / 64;
        RowSet {
            first_word,
            words: vec![0; rows.end.div_ceil(64).saturating_sub(first_word)],
        }
    }

    /// The word of rows `64 * word_idx..64 * (word_idx + 1)` (zero outside the set's window).
    fn word(&self, word_idx: usize) -> u64 {
        word_idx
            .checked_sub(self.first_word)
            .and_then(|idx| self.words.get(idx))
            .copied()
            .unwrap_or(0)
    }

    /// The set's words and the words of `other` at the same rows (zero where `other` has none).
    fn paired<'s>(&'s mut self, other: &'s RowSet) -> impl Iterator<Item = (&'s mut u64, u64)> {
        let first_word = self.first_word;
        self.words
            .iter_mut()
            .enumerate()
            .map(move |(idx, word)| (word, other.word(first_word + idx)))
    }

    /// Adds a row. Panics when the row is outside the set's window.
    pub fn insert(&mut self, row: usize) {
        self.words[row / 64 - self.first_word] |= 1 << (row % 64);
    }

    /// Adds the rows `start..end`. Panics when they are outside the set's window.
    pub fn insert_range(&mut self, start: usize, end: usize) {
        if start >= end {
            return;
        }
        let offset = self.first_word * 64;
        fill_bits(&mut self.words, start - offset, end - offset);
    }

    /// Takes a row out (a row outside the set's window is not in it).
    pub fn remove(&mut self, row: usize) {
        if let Some(word) = (row / 64)
            .checked_sub(self.first_word)
            .and_then(|idx| self.words.get_mut(idx))
        {
            *word &= !(1 << (row % 64));
        }
    }

    /// Whether the set holds `row`.
    pub fn contains(&self, row: usize) -> bool {
        self.word(row / 64) & (1 << (row % 64)) != 0
    }

    /// Adds every row of `other` that is in this set's window.
    pub fn union_with(&mut self, other: &RowSet) {
        for (word, other) in self.paired(other) {
            *word |= other;
        }
    }

    /// Keeps only the rows also in `other`.
    pub fn intersect_with(&mut self, other: &RowSet) {
        for (word, other) in self.paired(other) {
            *word &= other;
        }
    }

    /// Takes out every row also in `other`.
    pub fn difference_with(&mut self, other: &RowSet) {
        for (word, other) in self.paired(other) {
            *word &= !other;
        }
    }

    /// Removes every row.
    pub fn clear(&mut self) {
        self.words.fill(0);
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.words.iter().all(|word| *word == 0)
    }

    /// The rows in the set, ascending.
    pub fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        let first_word = self.first_word;
        self.words.iter().enumerate().flat_map(move |(idx, &word)| {
            let mut rest = word;
            std::iter::from_fn(move || {
                (rest != 0).then(|| {
                    let bit = rest.trailing_zeros() as usize;
                    rest &= rest - 1;
                    (first_word + idx) * 64 + bit
                })
            })
        })
    }
}

/// Two sets are equal when they hold the same rows, whatever their windows.
impl PartialEq for RowSet {
    fn eq(&self, other: &RowSet) -> bool {
        let words = self.first_word.min(other.first_word)
            ..(self.first_word + self.words.len()).max(other.first_word + other.words.len());
        words
            .into_iter()
            .all(|idx| self.word(idx) == other.word(idx))
    }
}

impl Eq for RowSet {}

/// A query over many clinicians: the earliest grid start, from `not_before` and before
/// `before`, where `length` minutes fit in one run of free time some row in `rows` may use.
#[derive(Clone, Copy, Debug)]
pub struct Search<'a> {
    /// The pool to search.
    pub pool: Pool,
    /// The rows (of that pool) that pass the request's filters.
    pub rows: &'a RowSet,
    /// A tag every row of `rows` carries ([`Availability::set_tags`]), if any: the search then
    /// skips the slots where no row of the tag is free. `None`, or a tag never set, skips only
    /// the slots where nobody of the pool is free.
    pub tag: Option<u8>,
    /// Earliest start.
    pub not_before: Minute,
    /// Starts must be before this minute.
    pub before: Minute,
    /// Appointment length in minutes, a multiple of [`GRID_MINUTES`].
    pub length: u32,
    /// Who may use urgent-hold time.
    pub urgency: Urgency,
    /// The time of the search, for the release of urgent-hold time.
    pub now: Minute,
    /// Starts the member accepts, as slot indexes of the index ([`Availability::slot_of`]);
    /// `None` accepts every start.
    pub starts: Option<&'a [bool]>,
}

/// A start found by a search.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Found {
    /// The clinician.
    pub clinician: ClinicianId,
    /// The start.
    pub start: Minute,
    /// The kind of time it uses.
    pub kind: FreeKind,
}

/// Bookable time per clinician over a horizon.
#[derive(Clone, Debug)]
pub struct Availability {
    /// Minute of slot 0 (on the grid).
    base: i64,
    n_slots: usize,
    /// Words of a clinician's row.
    row_words: usize,
    /// Words of a slot's column.
    column_words: usize,
    /// Clinicians by row: sorted by (pool, clinician).
    clinicians: Vec<ClinicianId>,
    /// Row of each clinician, by clinician index (`u32::MAX`: none).
    row_of: Vec<u32>,
    /// Each pool's first row; `pool_starts[g]..pool_starts[g + 1]` are its rows.
    pool_starts: Vec<usize>,
    /// The pool of each row.
    row_pool: Vec<Pool>,
    /// Words of a slot's summary (one bit per column word).
    summary_words: usize,
    /// Per kind: free slots by row (`row * row_words`), the same bits by slot
    /// (`slot * column_words`), and which column words are nonzero (`slot * summary_words`).
    direct: Bits,
    urgent: Bits,
    /// Bookable time as the templates made it, so that a release can never create time.
    capacity_direct: Vec<u64>,
    capacity_urgent: Vec<u64>,
    /// Per row and week (Monday 00:00 UTC to the next, [`week_start`]): how many of its direct
    /// slots are free and how many the template made bookable (`row * n_weeks + week`), kept as
    /// time is reserved and released, so that a week's direct time is read without counting
    /// its bits ([`Availability::week_direct_minutes`]).
    weeks: Vec<WeekSlots>,
    n_weeks: usize,
    /// Slots from the start of slot 0's week to slot 0.
    week_offset: usize,
    urgent_hold_release_minutes: i64,
    horizon: Horizon,
    /// How many tags there are (at most 64), and each row's tags as bits (empty: no tags).
    n_tags: usize,
    row_tags: Vec<u64>,
}

/// A row's direct slots in one week: free now, and bookable as the template made them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct WeekSlots {
    free: u16,
    bookable: u16,
}

/// Minutes in a week.
const WEEK_MINUTES: i64 = 7 * 24 * 60;
/// Slots in a week.
const WEEK_SLOTS: usize = (WEEK_MINUTES / GRID_MINUTES) as usize;
/// The first Monday 00:00 UTC after the Unix epoch (a Thursday), in minutes.
const FIRST_MONDAY: i64 = 4 * 24 * 60;

/// The start of the week (Monday 00:00 UTC to the next) that holds `minute`: the weeks the
/// intake reserve is kept over ([`Availability::week_direct_minutes`]).
pub fn week_start(minute: Minute) -> Minute {
    Minute((minute.0 - FIRST_MONDAY).div_euclid(WEEK_MINUTES) * WEEK_MINUTES + FIRST_MONDAY)
}

/// The start of the week after the one that holds `minute`.
pub fn next_week_start(minute: Minute) -> Minute {
    Minute(week_start(minute).0.saturating_add(WEEK_MINUTES))
}

#[derive(Clone, Debug)]
struct Bits {
    rows: Vec<u64>,
    columns: Vec<u64>,
    summary: Vec<u64>,
    /// Per pool, how many of its rows are free at each slot (`pool * n_slots + slot`), and
    /// the same as bits (`pool * row_words + slot / 64`): a slot where nobody of the pool is
    /// free, at night, on a weekend or a full day, is skipped 64 at a time by a search.
    pool_counts: Vec<u32>,
    pool_free: Vec<u64>,
    /// The same per pool and tag ([`Availability::set_tags`]): `(pool * n_tags + tag) *
    /// n_slots + slot` and `(pool * n_tags + tag) * row_words + slot / 64`. Empty until tags are
    /// set.
    tag_counts: Vec<u32>,
    tag_free: Vec<u64>,
}

impl Availability {
    /// Expands every schedule over `horizon`. Urgent-hold time opens to routine requests
    /// `urgent_hold_release_minutes` before it starts.
    pub fn build(
        schedules: &[Schedule],
        horizon: Horizon,
        urgent_hold_release_minutes: i64,
    ) -> Result<Availability, AvailabilityError> {
        if horizon.last < horizon.first {
            return Err(AvailabilityError::EmptyHorizon);
        }
        let mut order: Vec<usize> = (0..schedules.len()).collect();
        order.sort_by_key(|&idx| (schedules[idx].pool, schedules[idx].clinician));
        let mut clinicians = Vec::with_capacity(schedules.len());
        for &idx in &order {
            let schedule = &schedules[idx];
            if clinicians.last() == Some(&schedule.clinician) {
                return Err(AvailabilityError::DuplicateClinician(schedule.clinician));
            }
            check_no_overlap(schedule)?;
            clinicians.push(schedule.clinician);
        }
        // Whatever a zone's offset, a local date lies within a day and a half of UTC midnight.
        let utc_day = |date: Date| -> Result<i64, AvailabilityError> {
            Ok(date
                .to_zoned(TimeZone::UTC)
                .map_err(|_| AvailabilityError::OutOfRange)?
                .timestamp()
                .as_second()
                / 60)
        };
        let base = utc_day(horizon.first)? - 36 * 60;
        let end = utc_day(horizon.last)? + 60 * 60;
        let n_slots = ((end - base) / GRID_MINUTES) as usize;
        let row_words = n_slots.div_ceil(64);
        let column_words = clinicians.len().div_ceil(64);
        let summary_words = column_words.div_ceil(64);
        let n_pools = schedules
            .iter()
            .map(|schedule| schedule.pool.index() + 1)
            .max()
            .unwrap_or(0);
        let mut pool_starts = vec![0; n_pools + 1];
        for schedule in schedules {
            pool_starts[schedule.pool.index() + 1] += 1;
        }
        for pool in 0..n_pools {
            pool_starts[pool + 1] += pool_starts[pool];
        }
        let n_clinician_ids = clinicians.iter().map(|c| c.index() + 1).max().unwrap_or(0);
        let mut row_of = vec![u32::MAX; n_clinician_ids];
        for (row, clinician) in clinicians.iter().enumerate() {
            row_of[clinician.index()] = row as u32;
        }
        let empty_bits = || Bits {
            rows: vec![0; row_words * clinicians.len()],
            columns: vec![0; column_words * n_slots],
            summary: vec![0; summary_words * n_slots],
            pool_counts: vec![0; n_pools * n_slots],
            pool_free: vec![0; n_pools * row_words],
            tag_counts: Vec::new(),
            tag_free: Vec::new(),
        };
        let mut row_pool = vec![Pool(0); clinicians.len()];
        for pool in 0..n_pools {
            // Pools are numbered by a u8 (`Pool`), so `pool` fits.
            row_pool[pool_starts[pool]..pool_starts[pool + 1]].fill(Pool(pool as u8));
        }
        let mut index = Availability {
            base,
            n_slots,
            row_words,
            column_words,
            summary_words,
            row_of,
            pool_starts,
            row_pool,
            // In small pages, all of it: huge pages for the direct-time rows and columns and the
            // capacity copy saved no time in a year at full scale once the appointment table was
            // compact, and cost the first run in a process up to half a second more of the
            // kernel's clearing (a huge page is cleared whole, night slots and all, where most
            // small pages of night-time columns are never made).
            direct: empty_bits(),
            urgent: empty_bits(),
            capacity_direct: Vec::new(),
            capacity_urgent: Vec::new(),
            weeks: Vec::new(),
            n_weeks: 0,
            week_offset: 0,
            clinicians,
            urgent_hold_release_minutes,
            horizon,
            n_tags: 0,
            row_tags: Vec::new(),
        };
        let mut days = DayTables::default();
        for (row, &idx) in order.iter().enumerate() {
            let (base, n_slots, row_words) = (index.base, index.n_slots, index.row_words);
            let words = row * row_words..(row + 1) * row_words;
            let (direct, urgent) = (
                &mut index.direct.rows[words.clone()],
                &mut index.urgent.rows[words],
            );
            expand_runs(
                base,
                n_slots,
                &schedules[idx],
                horizon,
                &mut days,
                |kind, slots| {
                    let row_bits = match kind {
                        FreeKind::Direct => &mut *direct,
                        FreeKind::UrgentHold => &mut *urgent,
                    };
                    fill_bits(row_bits, slots.start, slots.end);
                },
            )?;
        }
        index.derive_from_rows();
        index.capacity_direct = sparse_copy(&index.direct.rows);
        index.capacity_urgent = sparse_copy(&index.urgent.rows);
        // Slot 0 and `base` are on the grid, as are the weeks' starts.
        index.week_offset =
            ((base - FIRST_MONDAY).rem_euclid(WEEK_MINUTES) / GRID_MINUTES) as usize;
        index.n_weeks = (index.week_offset + n_slots).div_ceil(WEEK_SLOTS);
        index.weeks = vec![WeekSlots::default(); index.n_weeks * index.n_rows()];
        for row in 0..index.n_rows() {
            index.count_weeks(row);
        }
        Ok(index)
    }

    /// The horizon the index covers.
    pub fn horizon(&self) -> Horizon {
        self.horizon
    }

    /// Replaces a clinician's bookable time from local date `from` on with what `schedule` gives
    /// (a new template, leave, a strike): every slot from `from`'s local midnight is first taken
    /// away, then the new schedule's time is added, as template time (so it can be released
    /// again). Appointments in that time must be reserved again by the caller; the book does it in
    /// the same change. The schedule must keep the clinician's pool.
    pub fn reschedule(&mut self, schedule: &Schedule, from: Date) -> Result<(), AvailabilityError> {
        let row = self.row(schedule.clinician)?;
        if !self.pool_rows(schedule.pool).contains(&row) {
            return Err(AvailabilityError::PoolChange(schedule.clinician));
        }
        check_no_overlap(schedule)?;
        let from = from.max(self.horizon.first);
        if from > self.horizon.last {
            return Ok(());
        }
        let midnight = from
            .to_zoned(schedule.time_zone.clone())
            .map_err(|_| AvailabilityError::OutOfRange)?
            .timestamp();
        let first_slot = self.first_slot_from(Minute::from_timestamp(midnight));
        for kind in [FreeKind::Direct, FreeKind::UrgentHold] {
            self.set_run(kind, row, first_slot..self.n_slots, false);
        }
        let mut days = DayTables::default();
        let horizon = Horizon {
            first: from,
            last: self.horizon.last,
        };
        self.expand(row, schedule, horizon, &mut days)?;
        let words = row * self.row_words..(row + 1) * self.row_words;
        for (word_idx, idx) in words.clone().enumerate() {
            // Slots before `first_slot` keep their old capacity bits.
            let keep = match (word_idx * 64 + 64).checked_sub(first_slot) {
                _ if word_idx * 64 >= first_slot => 0,
                Some(changed) if changed < 64 => !0u64 >> changed,
                _ => !0u64,
            };
            self.capacity_direct[idx] =
                (self.capacity_direct[idx] & keep) | (self.direct.rows[idx] & !keep);
            self.capacity_urgent[idx] =
                (self.capacity_urgent[idx] & keep) | (self.urgent.rows[idx] & !keep);
        }
        self.count_weeks(row);
        Ok(())
    }

    /// Adds a schedule's bookable time over `horizon` to row `row`, slot by slot (every derived
    /// table kept up to date).
    fn expand(
        &mut self,
        row: usize,
        schedule: &Schedule,
        horizon: Horizon,
        days: &mut DayTables,
    ) -> Result<(), AvailabilityError> {
        let mut runs = Vec::new();
        expand_runs(
            self.base,
            self.n_slots,
            schedule,
            horizon,
            days,
            |kind, slots| runs.push((kind, slots)),
        )?;
        for (kind, slots) in runs {
            self.set_run(kind, row, slots, true);
        }
        Ok(())
    }

    /// Makes the columns, summaries and pool counts of both kinds from their rows (the index
    /// build fills the rows alone, a word at a time, then derives the rest in one pass: setting
    /// every slot of every row one by one was most of the build). The derived tables must be all
    /// zero, as the build makes them: they are only written where something is free, so the
    /// pages of slots where nobody works are never touched (and never made resident).
    fn derive_from_rows(&mut self) {
        let n_rows = self.clinicians.len();
        let (row_words, column_words, summary_words, n_slots) = (
            self.row_words,
            self.column_words,
            self.summary_words,
            self.n_slots,
        );
        let pool_starts = &self.pool_starts;
        let mut any_free = vec![0u64; row_words];
        for bits in [&mut self.direct, &mut self.urgent] {
            // 64 rows by 64 slots at a time: a bit-matrix transpose turns the rows' words into
            // the slots' column words.
            for block in 0..column_words {
                let first_row = block * 64;
                let end_row = (first_row + 64).min(n_rows);
                // The pools with rows in this block, and which bits of a column word are theirs:
                // a pool's counts are the popcounts of its part of the column words, taken while
                // the transposed block is at hand (a pass over every slot per pool, after the
                // transpose, was most of the build).
                let pools: Vec<(usize, u64)> = pool_starts
                    .windows(2)
                    .enumerate()
                    .filter_map(|(pool, rows)| {
                        let (start, end) = (rows[0].max(first_row), rows[1].min(end_row));
                        (start < end).then(|| (pool, bit_range(start - first_row, end - first_row)))
                    })
                    .collect();
                let block_rows = &bits.rows[first_row * row_words..end_row * row_words];
                // Which slots of each word any row of the block has free, in one pass along the
                // rows: most words (nights, weekends, the horizon's margins) have none, and are
                // then neither gathered nor transposed.
                any_free.fill(0);
                for row in block_rows.chunks_exact(row_words) {
                    for (any, &word) in any_free.iter_mut().zip(row) {
                        *any |= word;
                    }
                }
                for (word_idx, &any) in any_free.iter().enumerate() {
                    if any == 0 {
                        continue;
                    }
                    let mut matrix = [0u64; 64];
                    for (entry, row) in matrix.iter_mut().zip(block_rows.chunks_exact(row_words)) {
                        *entry = row[word_idx];
                    }
                    transpose64(&mut matrix);
                    // Bit `bit` of `any` says whether column `bit` is nonzero.
                    let first_slot = word_idx * 64;
                    let mut free_slots = any & bit_range(0, (n_slots - first_slot).min(64));
                    while free_slots != 0 {
                        let bit = free_slots.trailing_zeros() as usize;
                        free_slots &= free_slots - 1;
                        let (slot, column) = (first_slot + bit, matrix[bit]);
                        bits.columns[slot * column_words + block] = column;
                        bits.summary[slot * summary_words + block / 64] |= 1 << (block % 64);
                        for &(pool, mask) in &pools {
                            let count = (column & mask).count_ones();
                            if count > 0 {
                                bits.pool_counts[pool * n_slots + slot] += count;
                                bits.pool_free[pool * row_words + word_idx] |= 1 << bit;
                            }
                        }
                    }
                }
            }
        }
    }

    /// Counts row `row`'s free and bookable direct slots week by week, from its bits.
    fn count_weeks(&mut self, row: usize) {
        let (row_words, n_slots, week_offset) = (self.row_words, self.n_slots, self.week_offset);
        let words = row * row_words..(row + 1) * row_words;
        let count = |bits: &[u64], week: usize| -> u16 {
            let first = (week * WEEK_SLOTS).saturating_sub(week_offset);
            let end = ((week + 1) * WEEK_SLOTS - week_offset).min(n_slots);
            count_bits(bits, first, end) as u16
        };
        for week in 0..self.n_weeks {
            self.weeks[row * self.n_weeks + week] = WeekSlots {
                free: count(&self.direct.rows[words.clone()], week),
                bookable: count(&self.capacity_direct[words.clone()], week),
            };
        }
    }

    fn bits(&self, kind: FreeKind) -> &Bits {
        match kind {
            FreeKind::Direct => &self.direct,
            FreeKind::UrgentHold => &self.urgent,
        }
    }

    /// Marks the slots of `slots` free (or not) in `kind` time for `row`, keeping every derived
    /// table up to date; slots already so are left alone.
    fn set_run(&mut self, kind: FreeKind, row: usize, slots: Range<usize>, free: bool) {
        let (row_words, column_words, summary_words, n_slots) = (
            self.row_words,
            self.column_words,
            self.summary_words,
            self.n_slots,
        );
        let pool = self.row_pool[row].index();
        let (n_tags, row_tags) = (self.n_tags, self.row_tags.get(row).copied().unwrap_or(0));
        let (bits, mut weeks) = match kind {
            FreeKind::Direct => {
                let row_weeks = row * self.n_weeks..(row + 1) * self.n_weeks;
                (&mut self.direct, Some(&mut self.weeks[row_weeks]))
            }
            FreeKind::UrgentHold => (&mut self.urgent, None),
        };
        let week_offset = self.week_offset;
        let column_word_idx = row / 64;
        let column_bit = 1u64 << (row % 64);
        let summary_bit = 1u64 << (column_word_idx % 64);
        for slot in slots {
            let row_word = &mut bits.rows[row * row_words + slot / 64];
            let row_bit = 1u64 << (slot % 64);
            if (*row_word & row_bit != 0) == free {
                continue;
            }
            *row_word ^= row_bit;
            if let Some(weeks) = weeks.as_deref_mut() {
                let week = &mut weeks[(week_offset + slot) / WEEK_SLOTS];
                if free {
                    week.free += 1;
                } else {
                    week.free -= 1;
                }
            }
            let column_word = &mut bits.columns[slot * column_words + column_word_idx];
            *column_word ^= column_bit;
            let summary_word = &mut bits.summary[slot * summary_words + column_word_idx / 64];
            if *column_word == 0 {
                *summary_word &= !summary_bit;
            } else {
                *summary_word |= summary_bit;
            }
            // A count of free rows per slot and a bit of whether it is nonzero, for the pool and
            // for each of the row's tags.
            let count_free = |counts: &mut [u32], free_bits: &mut [u64], key: usize| {
                let count = &mut counts[key * n_slots + slot];
                if free {
                    *count += 1;
                } else {
                    *count -= 1;
                }
                let word = &mut free_bits[key * row_words + slot / 64];
                if *count == 0 {
                    *word &= !row_bit;
                } else {
                    *word |= row_bit;
                }
            };
            count_free(&mut bits.pool_counts, &mut bits.pool_free, pool);
            let mut tags = row_tags;
            while tags != 0 {
                let pair = pool * n_tags + tags.trailing_zeros() as usize;
                tags &= tags - 1;
                count_free(&mut bits.tag_counts, &mut bits.tag_free, pair);
            }
        }
    }

    /// Tags rows (the languages their clinicians speak, say; at most 64 tags) so that a search
    /// whose rows all carry one tag ([`Search::tag`]) skips the slots where no row of the tag is
    /// free, as the pool's counts skip slots where nobody of the pool is. `tags_of` gives a
    /// clinician's tags as bits. Replaces any tags set before.
    pub fn set_tags(
        &mut self,
        n_tags: usize,
        tags_of: impl Fn(ClinicianId) -> u64,
    ) -> Result<(), AvailabilityError> {
        if n_tags > 64 {
            return Err(AvailabilityError::TooManyTags(n_tags));
        }
        let n_pools = self.pool_starts.len() - 1;
        let (row_words, n_slots) = (self.row_words, self.n_slots);
        let keep = if n_tags == 64 {
            !0
        } else {
            (1u64 << n_tags) - 1
        };
        self.n_tags = n_tags;
        self.row_tags = self
            .clinicians
            .iter()
            .map(|clinician| tags_of(*clinician) & keep)
            .collect();
        for bits in [&mut self.direct, &mut self.urgent] {
            let mut counts = vec![0u32; n_pools * n_tags * n_slots];
            let mut free = vec![0u64; n_pools * n_tags * row_words];
            for (row, &tags) in self.row_tags.iter().enumerate() {
                let pool = self.row_pool[row].index();
                let words = &bits.rows[row * row_words..(row + 1) * row_words];
                let mut row_tags = tags;
                while row_tags != 0 {
                    let pair = pool * n_tags + row_tags.trailing_zeros() as usize;
                    row_tags &= row_tags - 1;
                    // A tag's slot is free (its count above zero) when any of the tag's rows is
                    // free there: the rows' words ORed. Each run of the row's free slots adds one
                    // to the tag's counts there. Words and runs, not slot by slot, and no pass
                    // over every slot of every tag.
                    let pair_free = &mut free[pair * row_words..(pair + 1) * row_words];
                    for (free, &word) in pair_free.iter_mut().zip(words) {
                        *free |= word;
                    }
                    let pair_counts = &mut counts[pair * n_slots..(pair + 1) * n_slots];
                    for_each_run(words, |run| {
                        for count in &mut pair_counts[run] {
                            *count += 1;
                        }
                    });
                }
            }
            bits.tag_counts = counts;
            bits.tag_free = free;
        }
        Ok(())
    }

    fn is_free(&self, kind: FreeKind, row: usize, slot: usize) -> bool {
        self.bits(kind).rows[row * self.row_words + slot / 64] & (1 << (slot % 64)) != 0
    }

    fn row(&self, clinician: ClinicianId) -> Result<usize, AvailabilityError> {
        match self.row_of.get(clinician.index()) {
            Some(&row) if row != u32::MAX => Ok(row as usize),
            _ => Err(AvailabilityError::UnknownClinician(clinician)),
        }
    }

    /// See [`crate::perf::prefetch_direct_row`].
    pub(crate) fn prefetch_direct_row(&self, clinician: ClinicianId, minute: Minute) {
        if let Ok(row) = self.row(clinician) {
            let slot = self.first_slot_from(minute);
            if let Some(word) = self.direct.rows.get(row * self.row_words + slot / 64)
                && slot < self.n_slots
            {
                prefetch(word);
                // The week's counts, which the intake reserve reads first.
                prefetch(&self.weeks[row * self.n_weeks + (self.week_offset + slot) / WEEK_SLOTS]);
            }
        }
    }

    /// Number of rows (clinicians) in the index; rows are numbered `0..n_rows`.
    pub fn n_rows(&self) -> usize {
        self.clinicians.len()
    }

    /// The clinician's row, if the index knows the clinician.
    pub fn row_of(&self, clinician: ClinicianId) -> Option<usize> {
        self.row(clinician).ok()
    }

    /// The clinician in `row`.
    pub fn clinician_at(&self, row: usize) -> ClinicianId {
        self.clinicians[row]
    }

    /// The pool of `row`.
    #[inline]
    pub fn pool_of_row(&self, row: usize) -> Pool {
        self.row_pool[row]
    }

    /// How many pools the index has.
    pub fn n_pools(&self) -> usize {
        self.pool_starts.len().saturating_sub(1)
    }

    /// The rows of a pool, in clinician order.
    pub fn pool_rows(&self, pool: Pool) -> Range<usize> {
        let pool = pool.index();
        match (self.pool_starts.get(pool), self.pool_starts.get(pool + 1)) {
            (Some(&first), Some(&end)) => first..end,
            _ => 0..0,
        }
    }

    /// Number of slots in the index.
    pub fn n_slots(&self) -> usize {
        self.n_slots
    }

    /// The slot starting at `start`, if `start` is on the grid inside the index.
    pub fn slot_of(&self, start: Minute) -> Option<usize> {
        let offset = start.0 - self.base;
        (offset >= 0 && offset % GRID_MINUTES == 0 && offset / GRID_MINUTES < self.n_slots as i64)
            .then_some((offset / GRID_MINUTES) as usize)
    }

    /// The start of slot `slot`.
    pub fn slot_start(&self, slot: usize) -> Minute {
        Minute(self.base + slot as i64 * GRID_MINUTES)
    }

    /// The clinician's free intervals, in time order (adjacent slots of one kind merged).
    pub fn free(&self, clinician: ClinicianId) -> Result<Vec<FreeInterval>, AvailabilityError> {
        let row = self.row(clinician)?;
        let mut intervals: Vec<FreeInterval> = Vec::new();
        for slot in 0..self.n_slots {
            for kind in [FreeKind::Direct, FreeKind::UrgentHold] {
                if !self.is_free(kind, row, slot) {
                    continue;
                }
                let start = self.slot_start(slot);
                let end = Minute(start.0 + GRID_MINUTES);
                match intervals.last_mut() {
                    Some(last) if last.end == start && last.kind == kind => last.end = end,
                    _ => intervals.push(FreeInterval { start, end, kind }),
                }
            }
        }
        Ok(intervals)
    }

    /// Whether a request of `urgency` may use `kind` time starting at `start` at `now`.
    fn may_use(&self, kind: FreeKind, start: Minute, urgency: Urgency, now: Minute) -> bool {
        match (kind, urgency) {
            (FreeKind::Direct, _) | (FreeKind::UrgentHold, Urgency::Urgent) => true,
            (FreeKind::UrgentHold, Urgency::Routine) => {
                now.0 >= start.0 - self.urgent_hold_release_minutes
            }
        }
    }

    fn slots_of(length: u32) -> Result<usize, AvailabilityError> {
        if length == 0 || i64::from(length) % GRID_MINUTES != 0 {
            return Err(AvailabilityError::BadLength(length));
        }
        Ok((i64::from(length) / GRID_MINUTES) as usize)
    }

    /// How many slots start before `minute` (saturating: any minute past the horizon gives
    /// every slot).
    fn slots_before(&self, minute: Minute) -> usize {
        let offset = minute.0.saturating_sub(self.base);
        if offset <= 0 {
            return 0;
        }
        (offset.saturating_add(GRID_MINUTES - 1) / GRID_MINUTES).min(self.n_slots as i64) as usize
    }

    /// Where a scan for starts before `before` stops, in direct and in urgent-hold time (slot
    /// indexes): a routine request may use urgent-hold time only up to its release after `now`.
    fn scan_ends(&self, before: Minute, urgency: Urgency, now: Minute) -> (usize, usize) {
        let end = self.slots_before(before);
        let urgent_end = match urgency {
            Urgency::Urgent => end,
            Urgency::Routine => end.min(
                self.slots_before(Minute(
                    now.0
                        .saturating_add(self.urgent_hold_release_minutes)
                        .saturating_add(1),
                )),
            ),
        };
        (end, urgent_end)
    }

    /// The first slot at or after `minute`, clamped to the index.
    fn first_slot_from(&self, minute: Minute) -> usize {
        let offset = minute.ceil_to_grid().0 - self.base;
        (offset.max(0) / GRID_MINUTES).min(self.n_slots as i64) as usize
    }

    /// The earliest grid start at or after `not_before` where `length` minutes fit inside one
    /// run of free time the request may use at `now`; `None` when nothing fits in the horizon.
    pub fn earliest(
        &self,
        clinician: ClinicianId,
        not_before: Minute,
        length: u32,
        urgency: Urgency,
        now: Minute,
    ) -> Result<Option<Minute>, AvailabilityError> {
        self.earliest_before(
            clinician,
            not_before,
            Minute(i64::MAX),
            length,
            urgency,
            now,
            None,
        )
        .map(|found| found.map(|(start, _)| start))
    }

    /// Like [`Availability::earliest`], for starts before `before` that `starts` accepts (slot
    /// indexes; `None` accepts all), also saying the kind of time used.
    #[allow(clippy::too_many_arguments)]
    pub fn earliest_before(
        &self,
        clinician: ClinicianId,
        not_before: Minute,
        before: Minute,
        length: u32,
        urgency: Urgency,
        now: Minute,
        starts: Option<&[bool]>,
    ) -> Result<Option<(Minute, FreeKind)>, AvailabilityError> {
        let row = self.row(clinician)?;
        let n = Self::slots_of(length)?;
        let first = self.first_slot_from(not_before);
        let row_range = row * self.row_words..(row + 1) * self.row_words;
        // A slot can start an appointment of kind K when it and the n - 1 after it are K-free:
        // the run of K-free slots starting there is at least n long. Find it word by word.
        let mut best: Option<(usize, FreeKind)> = None;
        for kind in [FreeKind::Direct, FreeKind::UrgentHold] {
            // The scan stops at the last start the request may take: before `before`, and for a
            // routine request in urgent-hold time, at its release (a follow-up a week out has
            // none to scan: the row's urgent-hold time to the horizon's end was scanned for
            // every follow-up before).
            let (direct_end, urgent_end) = self.scan_ends(before, urgency, now);
            let end = match kind {
                FreeKind::Direct => direct_end,
                FreeKind::UrgentHold => urgent_end,
            };
            let row_bits = &self.bits(kind).rows[row_range.clone()];
            let mut slot = first;
            while let Some(candidate) = next_run_start_before(row_bits, slot, n, self.n_slots, end)
            {
                if best.is_some_and(|(best_slot, _)| best_slot <= candidate) {
                    break;
                }
                let start = self.slot_start(candidate);
                if start >= before {
                    break;
                }
                if self.may_use(kind, start, urgency, now)
                    && starts.is_none_or(|starts| starts.get(candidate) == Some(&true))
                {
                    best = Some((candidate, kind));
                    break;
                }
                slot = candidate + 1;
            }
        }
        Ok(best.map(|(slot, kind)| (self.slot_start(slot), kind)))
    }

    /// The earliest start any row of the search may take, and the lowest row there. Ties between
    /// rows at one start go to the lowest row (the lowest clinician id within a pool).
    pub fn earliest_among(&self, search: &Search<'_>) -> Result<Option<Found>, AvailabilityError> {
        let n = Self::slots_of(search.length)?;
        let rows = self.pool_rows(search.pool);
        if rows.is_empty() {
            return Ok(None);
        }
        // The filter clipped to the pool's rows, read in place (no copy per search): the pool's
        // first and last words are masked to its rows. Which filter words are nonzero is kept per
        // summary word, on the stack for up to 32,768 rows: a sparse filter (a rare language, in
        // person nearby) then costs a few words per slot.
        let (first_word, end_word) = (rows.start / 64, rows.end.div_ceil(64));
        let clipped = |word_idx: usize| -> u64 {
            let first_row = word_idx * 64;
            let mut word = search.rows.word(word_idx);
            if rows.start > first_row {
                word &= !0u64 << (rows.start - first_row);
            }
            if rows.end < first_row + 64 {
                word &= (1u64 << (rows.end - first_row)) - 1;
            }
            word
        };
        let mut summary_stack = [0u64; 8];
        let mut summary_heap = Vec::new();
        let mask_summary: &mut [u64] = if self.summary_words <= summary_stack.len() {
            &mut summary_stack[..self.summary_words]
        } else {
            summary_heap.resize(self.summary_words, 0);
            &mut summary_heap
        };
        // The set's words inside the pool's, a slice at a time (a network pool is some 200
        // words at full scale), then the two edge words again, clipped.
        let set = search.rows;
        let (lo, hi) = (
            first_word.max(set.first_word),
            end_word.min(set.first_word + set.words.len()),
        );
        if lo < hi {
            // Without a branch per word (whether a filter word is empty is a coin toss for a
            // scattered filter), each summary word gathered in a register.
            let (mut summary_idx, mut bits) = (lo / 64, 0u64);
            for (word_idx, &word) in
                (lo..hi).zip(&set.words[lo - set.first_word..hi - set.first_word])
            {
                if word_idx / 64 != summary_idx {
                    mask_summary[summary_idx] |= bits;
                    (summary_idx, bits) = (word_idx / 64, 0);
                }
                bits |= u64::from(word != 0) << (word_idx % 64);
            }
            mask_summary[summary_idx] |= bits;
        }
        for word_idx in [first_word, end_word - 1] {
            if clipped(word_idx) == 0 {
                mask_summary[word_idx / 64] &= !(1 << (word_idx % 64));
            }
        }
        let mask_summary = &*mask_summary;
        let summary_range = match (
            mask_summary.iter().position(|word| *word != 0),
            mask_summary.iter().rposition(|word| *word != 0),
        ) {
            (Some(first), Some(last)) => first..last + 1,
            _ => return Ok(None),
        };
        let (column_words, summary_words) = (self.column_words, self.summary_words);
        let first = self.first_slot_from(search.not_before);
        // Only starts where some row of the pool has a run of `n` free slots of one kind can
        // serve: the pool's occupancy bits skip the rest a word at a time. Each kind's next
        // such start is kept until the search passes it (a kind with no free run ahead, often
        // urgent-hold time, was scanned to its end again for every candidate start), and the
        // scans stop at the last start the search may take: before `before`, and for routine
        // requests, urgent-hold time only up to its release.
        let (direct_free, urgent_free) = match search.tag {
            Some(tag) if usize::from(tag) < self.n_tags => {
                let pair = search.pool.index() * self.n_tags + usize::from(tag);
                let words = pair * self.row_words..(pair + 1) * self.row_words;
                (
                    &self.direct.tag_free[words.clone()],
                    &self.urgent.tag_free[words],
                )
            }
            _ => {
                let words = search.pool.index() * self.row_words
                    ..(search.pool.index() + 1) * self.row_words;
                (
                    &self.direct.pool_free[words.clone()],
                    &self.urgent.pool_free[words],
                )
            }
        };
        let (end, urgent_end) = self.scan_ends(search.before, search.urgency, search.now);
        let scan = |bits: &[u64], from: usize, end: usize| {
            next_run_start_before(bits, from, n, self.n_slots, end)
        };
        let mut direct_at = scan(direct_free, first, end);
        let mut urgent_at = scan(urgent_free, first, urgent_end);
        let mut next = first;
        loop {
            if direct_at.is_some_and(|at| at < next) {
                direct_at = scan(direct_free, next, end);
            }
            if urgent_at.is_some_and(|at| at < next) {
                urgent_at = scan(urgent_free, next, urgent_end);
            }
            let slot = match (direct_at, urgent_at) {
                (Some(direct), Some(urgent)) => direct.min(urgent),
                (Some(slot), None) | (None, Some(slot)) => slot,
                (None, None) => break,
            };
            next = slot + 1;
            let start = self.slot_start(slot);
            if search
                .starts
                .is_some_and(|starts| starts.get(slot) != Some(&true))
            {
                continue;
            }
            let mut best_row: Option<(usize, FreeKind)> = None;
            for kind in [FreeKind::Direct, FreeKind::UrgentHold] {
                if !self.may_use(kind, start, search.urgency, search.now) {
                    continue;
                }
                let bits = self.bits(kind);
                // Summary words ascend, and words within them, so the first hit is the lowest row.
                let lowest = summary_range.clone().find_map(|summary_idx| {
                    let mut candidates =
                        (slot..slot + n).fold(mask_summary[summary_idx], |candidates, run_slot| {
                            candidates & bits.summary[run_slot * summary_words + summary_idx]
                        });
                    while candidates != 0 {
                        let word_idx = summary_idx * 64 + candidates.trailing_zeros() as usize;
                        let word = (slot..slot + n).fold(clipped(word_idx), |word, run_slot| {
                            word & bits.columns[run_slot * column_words + word_idx]
                        });
                        if word != 0 {
                            return Some(word_idx * 64 + word.trailing_zeros() as usize);
                        }
                        candidates &= candidates - 1;
                    }
                    None
                });
                if let Some(row) = lowest
                    && best_row.is_none_or(|(best, _)| row < best)
                {
                    best_row = Some((row, kind));
                }
            }
            if let Some((row, kind)) = best_row {
                return Ok(Some(Found {
                    clinician: self.clinicians[row],
                    start,
                    kind,
                }));
            }
        }
        Ok(None)
    }

    /// The earliest start in `[from, before)` where `length` minutes fit in the clinician's free
    /// direct time (urgent-hold time is never used).
    pub fn earliest_direct(
        &self,
        clinician: ClinicianId,
        from: Minute,
        before: Minute,
        length: u32,
    ) -> Result<Option<Minute>, AvailabilityError> {
        let row = self.row(clinician)?;
        let n = Self::slots_of(length)?;
        let row_bits = &self.direct.rows[row * self.row_words..(row + 1) * self.row_words];
        let found = next_run_start(row_bits, self.first_slot_from(from), n, self.n_slots)
            .map(|slot| self.slot_start(slot))
            .filter(|start| *start < before);
        Ok(found)
    }

    /// The clinician's direct time in `[from, before)`, in minutes: how much of it is free and
    /// how much the template made bookable there (booked or free; none on leave, holidays and
    /// closures). Urgent-hold time is not counted.
    pub fn direct_minutes(
        &self,
        clinician: ClinicianId,
        from: Minute,
        before: Minute,
    ) -> Result<DirectMinutes, AvailabilityError> {
        let row = self.row(clinician)?;
        let words = row * self.row_words..(row + 1) * self.row_words;
        let (first, end) = (self.first_slot_from(from), self.first_slot_from(before));
        let minutes = GRID_MINUTES as u32;
        Ok(DirectMinutes {
            free: count_bits(&self.direct.rows[words.clone()], first, end) * minutes,
            bookable: count_bits(&self.capacity_direct[words], first, end) * minutes,
        })
    }

    /// The clinician's direct time in the week that holds `minute` ([`week_start`]): what
    /// [`Availability::direct_minutes`] gives over that week, read from counts kept as time is
    /// reserved and released instead of counted from the bits. Nothing in a week outside the
    /// index.
    pub fn week_direct_minutes(
        &self,
        clinician: ClinicianId,
        minute: Minute,
    ) -> Result<DirectMinutes, AvailabilityError> {
        let row = self.row(clinician)?;
        // The start of slot 0's week: `week_offset` slots before it.
        let first_week = self.base - self.week_offset as i64 * GRID_MINUTES;
        let week = (week_start(minute).0 - first_week).div_euclid(WEEK_MINUTES);
        let counts = usize::try_from(week)
            .ok()
            .filter(|&week| week < self.n_weeks)
            .map_or(WeekSlots::default(), |week| {
                self.weeks[row * self.n_weeks + week]
            });
        let minutes = GRID_MINUTES as u32;
        Ok(DirectMinutes {
            free: u32::from(counts.free) * minutes,
            bookable: u32::from(counts.bookable) * minutes,
        })
    }

    /// Minutes before its start that urgent-hold time opens to routine requests.
    pub fn urgent_hold_release_minutes(&self) -> i64 {
        self.urgent_hold_release_minutes
    }

    /// How many appointments of `length` minutes fit, one after another, in the clinician's free
    /// direct time starting in `[from, before)` (a greedy packing from the earliest start, which
    /// is the most that fit for one length).
    pub fn direct_fits(
        &self,
        clinician: ClinicianId,
        from: Minute,
        before: Minute,
        length: u32,
    ) -> Result<u32, AvailabilityError> {
        let row = self.row(clinician)?;
        let n = Self::slots_of(length)?;
        let row_bits = &self.direct.rows[row * self.row_words..(row + 1) * self.row_words];
        let end = self.first_slot_from(before);
        let mut slot = self.first_slot_from(from);
        let mut fits = 0;
        while let Some(start) = next_run_start(row_bits, slot, n, self.n_slots) {
            if start >= end {
                break;
            }
            fits += 1;
            slot = start + n;
        }
        Ok(fits)
    }

    /// The kind of time `[start, start + length)` is for the clinician, if it is free in one run
    /// of one kind.
    pub fn free_kind(
        &self,
        clinician: ClinicianId,
        start: Minute,
        length: u32,
    ) -> Result<Option<FreeKind>, AvailabilityError> {
        let (row, slots) = self.run_of(clinician, start, length)?;
        Ok(slots.and_then(|slots| {
            [FreeKind::Direct, FreeKind::UrgentHold]
                .into_iter()
                .find(|&kind| slots.clone().all(|slot| self.is_free(kind, row, slot)))
        }))
    }

    /// The clinician's row and the slots `[start, start + length)` covers: `None` for slots off
    /// the grid or past the horizon (no time there is free, nor reserved).
    fn run_of(
        &self,
        clinician: ClinicianId,
        start: Minute,
        length: u32,
    ) -> Result<(usize, Option<Range<usize>>), AvailabilityError> {
        let row = self.row(clinician)?;
        let n = Self::slots_of(length)?;
        let slots = self
            .slot_of(start)
            .filter(|first| first + n <= self.n_slots)
            .map(|first| first..first + n);
        Ok((row, slots))
    }

    /// Takes `[start, start + length)` out of the clinician's free time; it must be free, in one
    /// run of one kind. Returns the kind of time it took.
    pub fn reserve(
        &mut self,
        clinician: ClinicianId,
        start: Minute,
        length: u32,
    ) -> Result<FreeKind, AvailabilityError> {
        let Some(kind) = self.free_kind(clinician, start, length)? else {
            return Err(AvailabilityError::NotFree { clinician });
        };
        self.reserve_as(clinician, start, length, kind)?;
        Ok(kind)
    }

    /// Takes `[start, start + length)` out of the clinician's free `kind` time, all of which
    /// must be free: [`Availability::reserve`] for a caller that knows the kind (a booking
    /// records the kind it takes), with one check instead of two.
    pub fn reserve_as(
        &mut self,
        clinician: ClinicianId,
        start: Minute,
        length: u32,
        kind: FreeKind,
    ) -> Result<(), AvailabilityError> {
        let (row, slots) = self.run_of(clinician, start, length)?;
        let free = slots.filter(|slots| slots.clone().all(|slot| self.is_free(kind, row, slot)));
        let Some(slots) = free else {
            return Err(AvailabilityError::NotFree { clinician });
        };
        self.set_run(kind, row, slots, false);
        Ok(())
    }

    /// Gives `[start, start + length)` back to the clinician as `kind` time (a cancellation).
    /// Every slot must be template time of that kind and not free now, so a release can never
    /// create bookable time (protected time stays protected).
    pub fn release(
        &mut self,
        clinician: ClinicianId,
        start: Minute,
        length: u32,
        kind: FreeKind,
    ) -> Result<(), AvailabilityError> {
        let (row, slots) = self.run_of(clinician, start, length)?;
        let slots = slots.ok_or(AvailabilityError::NotReserved { clinician })?;
        let capacity = match kind {
            FreeKind::Direct => &self.capacity_direct,
            FreeKind::UrgentHold => &self.capacity_urgent,
        };
        let reserved = slots.clone().all(|slot| {
            capacity[row * self.row_words + slot / 64] & (1 << (slot % 64)) != 0
                && !self.is_free(kind, row, slot)
        });
        if !reserved {
            return Err(AvailabilityError::NotReserved { clinician });
        }
        self.set_run(kind, row, slots, true);
        Ok(())
    }
}

/// A copy of `words` that writes only their nonzero words into zeroed memory: the pages of a
/// long run of zeros (urgent-hold time of the network providers, who keep none: most of that
/// table at full scale) are then never touched, and the system never has to provide them.
fn sparse_copy(words: &[u64]) -> Vec<u64> {
    let mut copy = vec![0u64; words.len()];
    for (to, &word) in copy.iter_mut().zip(words) {
        if word != 0 {
            *to = word;
        }
    }
    copy
}

/// How many bits of `bits` in `[first, end)` are set.
fn count_bits(bits: &[u64], first: usize, end: usize) -> u32 {
    if first >= end {
        return 0;
    }
    let (first_word, last_word) = (first / 64, (end - 1) / 64);
    let mut total = 0;
    for (word, bits) in bits[first_word..=last_word].iter().enumerate() {
        let word = first_word + word;
        let mut mask = !0u64;
        if word == first_word {
            mask &= !0u64 << (first % 64);
        }
        if word == last_word && !end.is_multiple_of(64) {
            mask &= !0u64 >> (64 - end % 64);
        }
        total += (bits & mask).count_ones();
    }
    total
}

/// The first slot `>= from` that starts a run of at least `n` set bits in `row` (`n_slots` bits).
fn next_run_start(row: &[u64], from: usize, n: usize, n_slots: usize) -> Option<usize> {
    next_run_start_before(row, from, n, n_slots, n_slots)
}

/// Like [`next_run_start`], for starts before slot `end` only.
fn next_run_start_before(
    row: &[u64],
    from: usize,
    n: usize,
    n_slots: usize,
    end: usize,
) -> Option<usize> {
    let bit = |slot: usize| row[slot / 64] & (1 << (slot % 64)) != 0;
    let mut slot = from;
    while slot + n <= n_slots && slot < end {
        // Skip zero words quickly.
        let word = row[slot / 64] >> (slot % 64);
        if word == 0 {
            slot = (slot / 64 + 1) * 64;
            continue;
        }
        slot += word.trailing_zeros() as usize;
        if slot + n > n_slots || slot >= end {
            return None;
        }
        match (slot..slot + n).find(|&s| !bit(s)) {
            None => return Some(slot),
            Some(gap) => slot = gap + 1,
        }
    }
    None
}

/// Bookable blocks of a template may not overlap: two appointments would share a minute.
fn check_no_overlap(schedule: &Schedule) -> Result<(), AvailabilityError> {
    let mut bookable: Vec<_> = schedule
        .template
        .blocks
        .iter()
        .filter(|block| matches!(block.kind, BlockKind::Direct | BlockKind::UrgentHold))
        .map(|block| (block.day.to_monday_zero_offset(), block.range))
        .collect();
    bookable.sort_by_key(|(day, range)| (*day, range.start()));
    for pair in bookable.windows(2) {
        if pair[0].0 == pair[1].0 && pair[0].1.overlaps(pair[1].1) {
            return Err(AvailabilityError::OverlappingBlocks(schedule.clinician));
        }
    }
    Ok(())
}

/// Each run of bookable slots (`first..end` slot indexes of an index whose slot 0 starts at
/// minute `base`, clipped to `n_slots`) a schedule gives over `horizon`, with its kind.
fn expand_runs(
    base: i64,
    n_slots: usize,
    schedule: &Schedule,
    horizon: Horizon,
    days: &mut DayTables,
    mut emit: impl FnMut(FreeKind, Range<usize>),
) -> Result<(), AvailabilityError> {
    let open_idx = days.open_days(&schedule.calendar, horizon)?;
    let starts_idx = days.day_starts(&schedule.time_zone, horizon)?;
    let (open, starts) = (&days.open[open_idx].1, &days.starts[starts_idx].1);
    // The template's bookable blocks by weekday (Monday first, template order within a day),
    // sorted out once here rather than among all the template's blocks on every date.
    let mut bookable: Vec<BookableBlock> = schedule
        .template
        .blocks
        .iter()
        .filter_map(|block| {
            let kind = match block.kind {
                BlockKind::Direct => FreeKind::Direct,
                BlockKind::UrgentHold => FreeKind::UrgentHold,
                BlockKind::Protected | BlockKind::Group | BlockKind::Meeting | BlockKind::Break => {
                    return None;
                }
            };
            let minutes =
                |time: jiff::civil::Time| i64::from(time.hour()) * 60 + i64::from(time.minute());
            let (start, end) = (minutes(block.range.start()), minutes(block.range.end()));
            Some(BookableBlock {
                weekday: block.day.to_monday_zero_offset() as usize,
                kind,
                range: block.range,
                slots: (start + GRID_MINUTES - 1) / GRID_MINUTES..end / GRID_MINUTES,
            })
        })
        .collect();
    bookable.sort_by_key(|block| block.weekday);
    // `bookable[weekday_starts[d]..weekday_starts[d + 1]]` are weekday `d`'s blocks.
    let mut weekday_starts = [0usize; 8];
    for block in &bookable {
        weekday_starts[block.weekday + 1] += 1;
    }
    for weekday in 0..7 {
        weekday_starts[weekday + 1] += weekday_starts[weekday];
    }
    let mut emit_clipped = |kind: FreeKind, first_slot: i64, end_slot: i64| {
        let (first_slot, end_slot) = (first_slot.max(0), end_slot.min(n_slots as i64));
        if first_slot < end_slot {
            emit(kind, first_slot as usize..end_slot as usize);
        }
    };
    for (day, day_start) in open.iter().zip(starts) {
        let date = day.date;
        let blocks = &bookable[weekday_starts[day.weekday]..weekday_starts[day.weekday + 1]];
        if blocks.is_empty()
            || !day.open
            || schedule
                .leave
                .iter()
                .any(|(first, last)| *first <= date && date <= *last)
        {
            continue;
        }
        match *day_start {
            // Midnight on the grid (every zone caretime serves, outside offset changes): a block's
            // whole slots are its slots from midnight, shifted.
            DayStart::Uniform(midnight)
                if midnight.rem_euclid(GRID_MINUTES) == 0 && base.rem_euclid(GRID_MINUTES) == 0 =>
            {
                let day_slot = (midnight - base) / GRID_MINUTES;
                for block in blocks {
                    emit_clipped(
                        block.kind,
                        day_slot + block.slots.start,
                        day_slot + block.slots.end,
                    );
                }
            }
            day_start => {
                for block in blocks {
                    let at = |time: jiff::civil::Time| -> Result<i64, AvailabilityError> {
                        match day_start {
                            DayStart::Uniform(midnight) => Ok(midnight
                                + i64::from(time.hour()) * 60
                                + i64::from(time.minute())),
                            DayStart::Transition => Ok(Minute::from_timestamp(
                                date.to_datetime(time)
                                    .to_zoned(schedule.time_zone.clone())
                                    .map_err(|_| AvailabilityError::OutOfRange)?
                                    .timestamp(),
                            )
                            .0),
                        }
                    };
                    let (start, end) = (at(block.range.start())?, at(block.range.end())?);
                    // Only whole slots inside the block are bookable.
                    emit_clipped(
                        block.kind,
                        (Minute(start).ceil_to_grid().0 - base) / GRID_MINUTES,
                        (end - base).div_euclid(GRID_MINUTES),
                    );
                }
            }
        }
    }
    Ok(())
}

/// A bookable block of a template, as [`expand_runs`] lays it on each of its dates.
#[derive(Clone, Debug)]
struct BookableBlock {
    /// The block's weekday, Monday 0.
    weekday: usize,
    kind: FreeKind,
    range: DayRange,
    /// The whole slots inside the block, counted from a midnight on the grid.
    slots: Range<i64>,
}

/// Sets bits `start..end` of a bitset held as words.
fn fill_bits(words: &mut [u64], start: usize, end: usize) {
    let mut bit = start;
    while bit < end {
        let word = bit / 64;
        let upto = end.min((word + 1) * 64);
        let width = upto - bit;
        words[word] |= if width == 64 {
            !0u64
        } else {
            ((1u64 << width) - 1) << (bit % 64)
        };
        bit = upto;
    }
}

/// Calls `f` with each run of set bits of a bitset held as words (bit indexes), in order; a run
/// that crosses words comes in one piece per word.
fn for_each_run(words: &[u64], mut f: impl FnMut(Range<usize>)) {
    for (word_idx, &word) in words.iter().enumerate() {
        let mut rest = word;
        while rest != 0 {
            let start = rest.trailing_zeros() as usize;
            // The ones from `start` up: the zeros of their complement (all 64 when the word is
            // all ones).
            let end = start + (!(rest >> start)).trailing_zeros() as usize;
            rest &= !bit_range(start, end);
            f(word_idx * 64 + start..word_idx * 64 + end);
        }
    }
}

/// The bits `start..end` of a word (`start < end <= 64`).
fn bit_range(start: usize, end: usize) -> u64 {
    (!0u64 >> (64 - (end - start))) << start
}

/// Transposes a 64 x 64 bit matrix in place: bit `j` of word `i` becomes bit `i` of word `j`
/// (the recursive block swap of Hacker's Delight, section 7-3). Each round swaps the off-diagonal
/// `width` x `width` blocks of every `2 * width` square, pairing the words of the two halves of a
/// chunk (no index arithmetic, so no bounds checks, and the rounds vectorize).
fn transpose64(matrix: &mut [u64; 64]) {
    let mut width = 32;
    let mut mask: u64 = 0x0000_0000_FFFF_FFFF;
    while width != 0 {
        for chunk in matrix.chunks_exact_mut(2 * width) {
            let (low, high) = chunk.split_at_mut(width);
            for (low, high) in low.iter_mut().zip(high) {
                let swap = ((*low >> width) ^ *high) & mask;
                *low ^= swap << width;
                *high ^= swap;
            }
        }
        width >>= 1;
        mask ^= mask << width;
    }
}

/// Local midnight of a date, when the day has no offset change; otherwise each wall time is
/// converted on its own.
#[derive(Clone, Copy, Debug)]
enum DayStart {
    Uniform(i64),
    Transition,
}

/// A date of the horizon under one calendar.
#[derive(Clone, Copy, Debug)]
struct OpenDay {
    date: Date,
    /// Monday 0.
    weekday: usize,
    /// No holiday or closure.
    open: bool,
}

/// Per-calendar and per-zone tables over the horizon, computed once and shared by every clinician
/// of the same facility calendar or zone (holiday rules and zone lookups are the costly part of
/// expansion).
#[derive(Default)]
struct DayTables {
    open: Vec<(BusinessCalendar, Vec<OpenDay>)>,
    starts: Vec<(String, Vec<DayStart>)>,
}

impl DayTables {
    fn open_days(
        &mut self,
        calendar: &BusinessCalendar,
        horizon: Horizon,
    ) -> Result<usize, AvailabilityError> {
        let same = |known: &BusinessCalendar| {
            known.holidays().name() == calendar.holidays().name()
                && known.holidays().holidays() == calendar.holidays().holidays()
                && known.closures() == calendar.closures()
        };
        if let Some(idx) = self.open.iter().position(|(known, _)| same(known)) {
            return Ok(idx);
        }
        let mut days = Vec::new();
        for date in dates(horizon)? {
            let closed = matches!(
                calendar.day_off(date),
                Some(DayOff::Holiday(_) | DayOff::Closure)
            );
            days.push(OpenDay {
                date,
                weekday: date.weekday().to_monday_zero_offset() as usize,
                open: !closed,
            });
        }
        self.open.push((calendar.clone(), days));
        Ok(self.open.len() - 1)
    }

    fn day_starts(
        &mut self,
        zone: &TimeZone,
        horizon: Horizon,
    ) -> Result<usize, AvailabilityError> {
        let name = zone.iana_name().unwrap_or("").to_owned();
        if !name.is_empty()
            && let Some(idx) = self.starts.iter().position(|(known, _)| *known == name)
        {
            return Ok(idx);
        }
        let mut starts = Vec::new();
        for date in dates(horizon)? {
            let midnight = date
                .to_zoned(zone.clone())
                .map_err(|_| AvailabilityError::OutOfRange)?;
            let next = date
                .tomorrow()
                .and_then(|next| next.to_zoned(zone.clone()))
                .map_err(|_| AvailabilityError::OutOfRange)?;
            let uniform = next.timestamp().as_second() - midnight.timestamp().as_second()
                == 24 * 3600
                && midnight.offset() == next.offset();
            starts.push(if uniform {
                DayStart::Uniform(Minute::from_timestamp(midnight.timestamp()).0)
            } else {
                DayStart::Transition
            });
        }
        // Zones without a name (fixed offsets) are not shared.
        self.starts.push((name, starts));
        Ok(self.starts.len() - 1)
    }
}

fn dates(horizon: Horizon) -> Result<Vec<Date>, AvailabilityError> {
    let mut dates = Vec::new();
    let mut date = horizon.first;
    while date <= horizon.last {
        dates.push(date);
        date = date.tomorrow().map_err(|_| AvailabilityError::OutOfRange)?;
    }
    Ok(dates)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transpose64_moves_bit_j_of_word_i_to_bit_i_of_word_j() {
        // A pseudo-random matrix (xorshift), transposed and compared bit by bit.
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut matrix = [0u64; 64];
        for word in &mut matrix {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            *word = state;
        }
        let original = matrix;
        transpose64(&mut matrix);
        for (i, row) in original.iter().enumerate() {
            for (j, column) in matrix.iter().enumerate() {
                assert_eq!((row >> j) & 1, (column >> i) & 1, "bit {j} of word {i}");
            }
        }
        transpose64(&mut matrix);
        assert_eq!(matrix, original, "transposing twice gives the matrix back");
    }

    #[test]
    fn a_windowed_row_set_holds_only_its_window_and_equals_a_full_set_of_the_same_rows() {
        let mut full = RowSet::empty(300);
        full.insert_range(0, 300);
        let mut window = RowSet::empty_within(130..250);
        window.union_with(&full);
        assert_eq!(
            window.iter().next(),
            Some(128),
            "the window's first word is whole"
        );
        assert!(window.contains(255) && !window.contains(100) && !window.contains(299));
        let mut same = RowSet::empty(300);
        same.insert_range(128, 256);
        assert_eq!(window, same);
        window.insert_range(140, 150);
        let mut speakers = RowSet::empty(300);
        speakers.insert(129);
        speakers.insert(200);
        window.intersect_with(&speakers);
        assert_eq!(window.iter().collect::<Vec<_>>(), vec![129, 200]);
        window.clear();
        assert!(window.is_empty());
    }

    /// A xorshift generator for the tests' pseudo-random indexes.
    fn xorshift(state: &mut u64) -> u64 {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state
    }

    /// Schedules with no bookable time: rows of `sizes[g]` clinicians in pool `g`.
    fn empty_schedules(sizes: &[usize]) -> Vec<Schedule> {
        let calendar = BusinessCalendar::new(
            caretime_core::calendar::WeekdayMask::MONDAY_TO_FRIDAY,
            caretime_core::files::builtin::holiday_calendar("california-state").expect("built in"),
        );
        let zone = TimeZone::get("America/Los_Angeles").expect("bundled zone");
        let mut schedules = Vec::new();
        for (pool, &size) in sizes.iter().enumerate() {
            for _ in 0..size {
                schedules.push(Schedule {
                    // Ids in an order unlike the rows'.
                    clinician: ClinicianId((schedules.len() as u32 * 37) % 1009),
                    pool: Pool(pool as u8),
                    time_zone: zone.clone(),
                    template: Template {
                        fte: caretime_core::region::Fte::FULL_TIME,
                        blocks: Vec::new(),
                    },
                    calendar: calendar.clone(),
                    leave: Vec::new(),
                });
            }
        }
        schedules
    }

    #[test]
    fn derived_tables_equal_a_slot_by_slot_recomputation() {
        // Pools inside one column word, across several, empty, and one of a single row; rows
        // with whole free words, empty words and scattered runs.
        let sizes = [5, 150, 0, 1, 44, 70];
        let horizon = Horizon {
            first: jiff::civil::date(2024, 3, 1),
            last: jiff::civil::date(2024, 3, 22),
        };
        let mut index = Availability::build(&empty_schedules(&sizes), horizon, 24 * 60)
            .expect("no blocks to overlap");
        let (n_rows, n_slots, row_words) = (index.n_rows(), index.n_slots, index.row_words);
        assert!(n_slots % 64 != 0, "the last word of a row is partial");
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        for row in 0..n_rows {
            for word_idx in 0..row_words {
                let (direct, urgent) = match xorshift(&mut state) % 6 {
                    0 | 1 => (0, 0),
                    2 => (!0, 0),
                    3 => (0, !0),
                    _ => {
                        let direct = xorshift(&mut state) & xorshift(&mut state);
                        (direct, xorshift(&mut state) & !direct)
                    }
                };
                let live = bit_range(0, (n_slots - word_idx * 64).min(64));
                index.direct.rows[row * row_words + word_idx] = direct & live;
                index.urgent.rows[row * row_words + word_idx] = urgent & live;
            }
        }
        index.derive_from_rows();
        let n_tags = 5;
        let tags_of = |clinician: ClinicianId| {
            let hash = u64::from(clinician.0).wrapping_mul(0x9E37_79B9_7F4A_7C15);
            (hash >> 40) & (hash >> 20) & 0b1_1111
        };
        index.set_tags(n_tags, tags_of).expect("five tags");
        let n_pools = sizes.len();
        for bits in [&index.direct, &index.urgent] {
            let free = |row: usize, slot: usize| {
                bits.rows[row * row_words + slot / 64] >> (slot % 64) & 1 == 1
            };
            let mut columns = vec![0u64; index.column_words * n_slots];
            let mut summary = vec![0u64; index.summary_words * n_slots];
            let mut pool_counts = vec![0u32; n_pools * n_slots];
            let mut pool_free = vec![0u64; n_pools * row_words];
            let mut tag_counts = vec![0u32; n_pools * n_tags * n_slots];
            let mut tag_free = vec![0u64; n_pools * n_tags * row_words];
            for slot in 0..n_slots {
                for row in (0..n_rows).filter(|&row| free(row, slot)) {
                    let word = row / 64;
                    columns[slot * index.column_words + word] |= 1 << (row % 64);
                    summary[slot * index.summary_words + word / 64] |= 1 << (word % 64);
                    let pool = index.pool_of_row(row).index();
                    pool_counts[pool * n_slots + slot] += 1;
                    pool_free[pool * row_words + slot / 64] |= 1 << (slot % 64);
                    for tag in
                        (0..n_tags).filter(|tag| tags_of(index.clinician_at(row)) >> tag & 1 == 1)
                    {
                        let pair = pool * n_tags + tag;
                        tag_counts[pair * n_slots + slot] += 1;
                        tag_free[pair * row_words + slot / 64] |= 1 << (slot % 64);
                    }
                }
            }
            assert!(
                pool_counts.iter().any(|count| *count > 1)
                    && tag_counts.iter().any(|count| *count > 1)
            );
            assert_eq!(bits.columns, columns, "columns");
            assert_eq!(bits.summary, summary, "summaries");
            assert_eq!(bits.pool_counts, pool_counts, "pool counts");
            assert_eq!(bits.pool_free, pool_free, "pool occupancy");
            assert_eq!(bits.tag_counts, tag_counts, "tag counts");
            assert_eq!(bits.tag_free, tag_free, "tag occupancy");
        }
    }

    #[test]
    fn expanded_runs_equal_each_block_converted_on_its_own() {
        // Blocks on and off the quarter hour, over both DST changes of 2024 in Los Angeles, in a
        // zone 45 minutes off the hour and in one whose midnight is off the grid (a fixed offset
        // of 10 minutes: never served, but its blocks take the general path).
        let block =
            |day: jiff::civil::Weekday, start: (i8, i8), end: (i8, i8), kind: BlockKind| Block {
                day,
                range: DayRange::new(
                    jiff::civil::time(start.0, start.1, 0, 0),
                    jiff::civil::time(end.0, end.1, 0, 0),
                )
                .expect("a range"),
                kind,
            };
        use jiff::civil::Weekday::{Friday, Monday, Saturday, Sunday, Wednesday};
        let blocks = vec![
            block(Monday, (0, 0), (1, 0), BlockKind::Direct),
            block(Monday, (9, 5), (10, 50), BlockKind::UrgentHold),
            block(Monday, (8, 0), (9, 0), BlockKind::Protected),
            block(Wednesday, (13, 0), (17, 0), BlockKind::Direct),
            block(Friday, (23, 0), (23, 59), BlockKind::Direct),
            block(Sunday, (1, 30), (3, 30), BlockKind::Direct),
            block(Saturday, (9, 0), (12, 0), BlockKind::Meeting),
        ];
        let horizon = Horizon {
            first: jiff::civil::date(2024, 2, 20),
            last: jiff::civil::date(2024, 11, 20),
        };
        let zones = [
            TimeZone::get("America/Los_Angeles").expect("bundled zone"),
            TimeZone::get("Asia/Kathmandu").expect("bundled zone"),
            TimeZone::fixed(jiff::tz::Offset::from_seconds(600).expect("an offset")),
        ];
        let mut schedule = empty_schedules(&[1]).remove(0);
        schedule.template.blocks = blocks;
        schedule.leave = vec![(
            jiff::civil::date(2024, 7, 1),
            jiff::civil::date(2024, 7, 12),
        )];
        let index =
            Availability::build(std::slice::from_ref(&schedule), horizon, 0).expect("no overlap");
        let (base, n_slots) = (index.base, index.n_slots);
        for zone in zones {
            schedule.time_zone = zone.clone();
            let mut runs = Vec::new();
            expand_runs(
                base,
                n_slots,
                &schedule,
                horizon,
                &mut DayTables::default(),
                |kind, slots| {
                    runs.push((kind, slots));
                },
            )
            .expect("in range");
            let mut expected = Vec::new();
            for date in dates(horizon).expect("in range") {
                if schedule
                    .calendar
                    .day_off(date)
                    .is_some_and(|off| !matches!(off, DayOff::Weekend))
                    || schedule
                        .leave
                        .iter()
                        .any(|(first, last)| (*first..=*last).contains(&date))
                {
                    continue;
                }
                let day_blocks: Vec<&Block> = schedule
                    .template
                    .blocks
                    .iter()
                    .filter(|block| block.day == date.weekday())
                    .collect();
                for block in day_blocks {
                    let kind = match block.kind {
                        BlockKind::Direct => FreeKind::Direct,
                        BlockKind::UrgentHold => FreeKind::UrgentHold,
                        _ => continue,
                    };
                    let minute = |time| {
                        Minute::from_timestamp(
                            date.to_datetime(time)
                                .to_zoned(zone.clone())
                                .expect("in range")
                                .timestamp(),
                        )
                    };
                    let first_slot =
                        (minute(block.range.start()).ceil_to_grid().0 - base) / GRID_MINUTES;
                    let end_slot = (minute(block.range.end()).0 - base).div_euclid(GRID_MINUTES);
                    let (first_slot, end_slot) = (first_slot.max(0), end_slot.min(n_slots as i64));
                    if first_slot < end_slot {
                        expected.push((kind, first_slot as usize..end_slot as usize));
                    }
                }
            }
            assert!(expected.len() > 100);
            assert_eq!(runs, expected, "{zone:?}");
        }
    }

    #[test]
    fn for_each_run_gives_the_runs_of_set_bits_split_at_words() {
        let words = [0b0110_0011 | 1 << 63, !0, 0, 1 << 5];
        let mut runs = Vec::new();
        for_each_run(&words, |run| runs.push(run));
        assert_eq!(runs, vec![0..2, 5..7, 63..64, 64..128, 197..198]);
    }

    #[test]
    fn fill_bits_sets_exactly_the_range() {
        for (start, end) in [(0, 0), (0, 1), (3, 64), (63, 65), (0, 192), (70, 130)] {
            let mut words = [0u64; 3];
            fill_bits(&mut words, start, end);
            for bit in 0..192 {
                let set = (words[bit / 64] >> (bit % 64)) & 1 == 1;
                assert_eq!(
                    set,
                    (start..end).contains(&bit),
                    "bit {bit} of {start}..{end}"
                );
            }
        }
    }
}
