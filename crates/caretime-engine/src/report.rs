//! Timely-access and workforce reports over a book, in the regulator's terms.
//!
//! [`access_report`] reads a [`Book`] (its appointments, the offers they answered, arrangements,
//! groups) and the [`Region`] over a [`Period`] of request dates and counts:
//!
//! - **requests offered within standard (demand-weighted)**: of the requests made in the period,
//!   the share whose *offer* (the best offer [`crate::find`] made; the member may choose a later
//!   time) was within the rule set's standard, overall and by request kind, facility, discipline,
//!   language and month, with the rule set's threshold beside it for reference. This is not the
//!   regulator's measure: DMHC's 70 % (28 CCR § 1300.67.2.2 (b)(12)(A), (f)) is a rate of
//!   compliance of surveyed providers, which [`census`] computes; a network can pass one and fail
//!   the other;
//! - **waits** to the offered start, in business days of the rule set's calendar (median, p90);
//! - **follow-up intervals**: business days from the prior appointment to the follow-up that was
//!   kept, against the follow-up standard (SB 221: 10 business days, Health & Safety Code
//!   § 1367.03(a)(5)(F), effective 2022-07-01), and how many stayed with the treating clinician;
//! - **routes**: internal, network and out-of-network (SB 855) shares;
//! - **attendance**, **group sessions** held and cancelled with their reasons, and the
//!   **workforce**: members per internal FTE, template hours by kind (direct against non-direct),
//!   sessions per clinician-day.
//!
//! Counts are exact integers; rates and quantiles are derived on demand. A report is a value: the
//! simulator keeps one per replication and the CLI renders it; nothing here prints.
//!
//! Which appointments count: one per request, the first one made for it (a rebooking after a plan
//! cancellation keeps the original request and deadline, and is not a second offer), none entered
//! in error, and only requests made on the period's dates (local dates of the rule set's zone).

use caretime_core::calendar::BusinessCalendar;
use caretime_core::id::AppointmentId;
use caretime_core::region::{Affiliation, Discipline, Language, Region};
use caretime_core::request::RequestKind;
use caretime_core::rules::RuleSet;
use caretime_core::slug::Slug;
use caretime_core::template::BlockKind;
use caretime_hint::prefetch;
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;

use crate::book::{AppointmentStatus, Book, CancelledBy};
use crate::find::{Route, Timeliness};

pub mod census;

/// The dates whose requests a report counts, local to the rule set's zone, inclusive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Period {
    /// First date.
    pub first: Date,
    /// Last date.
    pub last: Date,
}

/// Why a report could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    /// The period ends before it starts.
    #[error("the report period ends before it starts")]
    EmptyPeriod,
    /// A date beyond the calendar's range.
    #[error("a date of the report is out of range")]
    OutOfRange,
}

/// Counts of whole days (waits, intervals): one bucket per day up to [`Days::CAP`], the rest in
/// the last bucket.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Days {
    /// Values below [`Days::CAP`], counted by value.
    counts: Vec<u64>,
    /// Values from [`Days::CAP`] on, kept exactly and sorted (rare: a wait of over a year and a
    /// half of business days).
    beyond: Vec<u32>,
    sum: u64,
}

impl Days {
    /// Values below this are counted in buckets; larger ones are kept one by one.
    pub const CAP: u32 = 400;

    /// Counts one value.
    // Inlined: a report adds a value to six histograms per request (a call each was a sixth of
    // the report), and the bucket usually exists already.
    #[inline]
    pub fn add(&mut self, days: u32) {
        // `counts` holds at most `CAP` buckets, so a bucket found is a value below `CAP`.
        match self.counts.get_mut(days as usize) {
            Some(count) => *count += 1,
            None => self.add_new(days),
        }
        self.sum += u64::from(days);
    }

    /// [`Days::add`]'s rare case without the sum: a value past the buckets made so far.
    #[cold]
    #[inline(never)]
    fn add_new(&mut self, days: u32) {
        if days >= Days::CAP {
            let at = self.beyond.partition_point(|known| *known <= days);
            self.beyond.insert(at, days);
        } else {
            let bucket = days as usize;
            self.counts.resize(bucket + 1, 0);
            self.counts[bucket] += 1;
        }
    }

    /// Adds every value of `other`.
    pub fn merge(&mut self, other: &Days) {
        if self.counts.len() < other.counts.len() {
            self.counts.resize(other.counts.len(), 0);
        }
        for (mine, theirs) in self.counts.iter_mut().zip(&other.counts) {
            *mine += theirs;
        }
        self.beyond.extend_from_slice(&other.beyond);
        self.beyond.sort_unstable();
        self.sum += other.sum;
    }

    /// How many values.
    pub fn total(&self) -> u64 {
        self.counts.iter().sum::<u64>() + self.beyond.len() as u64
    }

    /// The smallest value with at least `share` of the values at or below it (the median is
    /// `quantile(0.5)`); `None` without values.
    pub fn quantile(&self, share: f64) -> Option<u32> {
        let total = self.total();
        if total == 0 {
            return None;
        }
        // The rank of the value, 1-based: ceil(share * total), at least 1.
        let rank = ((share * total as f64).ceil() as u64).clamp(1, total);
        let mut seen = 0;
        for (days, count) in self.counts.iter().enumerate() {
            seen += count;
            if seen >= rank {
                return Some(days as u32);
            }
        }
        self.beyond.get((rank - seen - 1) as usize).copied()
    }

    /// The mean; `None` without values.
    pub fn mean(&self) -> Option<f64> {
        let total = self.total();
        (total > 0).then(|| self.sum as f64 / total as f64)
    }

    /// The buckets below [`Days::CAP`]: how many values equal each day (the index), for a file
    /// format to write; [`Days::from_counts`] reads them back.
    pub fn buckets(&self) -> &[u64] {
        &self.counts
    }

    /// The values from [`Days::CAP`] on, sorted.
    pub fn beyond(&self) -> &[u32] {
        &self.beyond
    }

    /// The counts [`Days::buckets`] and [`Days::beyond`] returned, as one value again; `None`
    /// when they cannot be: more than [`Days::CAP`] buckets, a value beyond the buckets that is
    /// below the cap or out of order, or a sum past `u64`.
    pub fn from_counts(buckets: Vec<u64>, beyond: Vec<u32>) -> Option<Days> {
        if buckets.len() > Days::CAP as usize
            || beyond.iter().any(|days| *days < Days::CAP)
            || !beyond.is_sorted()
        {
            return None;
        }
        let mut sum = 0u64;
        for (days, count) in buckets.iter().enumerate() {
            sum = sum.checked_add(count.checked_mul(days as u64)?)?;
        }
        for days in &beyond {
            sum = sum.checked_add(u64::from(*days))?;
        }
        // The total must fit as well: `total` adds the buckets up.
        buckets
            .iter()
            .try_fold(beyond.len() as u64, |total, count| {
                total.checked_add(*count)
            })?;
        Some(Days {
            counts: buckets,
            beyond,
            sum,
        })
    }

    /// How many values are at most `days`.
    pub fn at_most(&self, days: u32) -> u64 {
        let below: u64 = self
            .counts
            .iter()
            .take(days.min(Days::CAP - 1) as usize + 1)
            .sum();
        below + self.beyond.partition_point(|known| *known <= days) as u64
    }
}

/// Offers within standard for one slice of the requests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ComplianceRow {
    /// What the slice is ("initial", "Anaheim Medical Center", "es", "2025-03").
    pub label: String,
    /// Requests with an offer.
    pub offers: u64,
    /// Requests with no booking in network, only an out-of-network arrangement: nobody in
    /// network had time within the book's horizon, or every offer was late and the plan arranged
    /// care out of network instead. They count as not offered within the standard.
    pub unserved: u64,
    /// Offers within the standard.
    pub timely: u64,
    /// Requests whose deadline a documented clinical exception set (counted apart, as DMHC asks).
    pub clinical_exceptions: u64,
    /// Business days from the request's date to the offered start's date.
    pub waits: Days,
}

impl ComplianceRow {
    fn new(label: impl Into<String>) -> ComplianceRow {
        ComplianceRow {
            label: label.into(),
            offers: 0,
            unserved: 0,
            timely: 0,
            clinical_exceptions: 0,
            waits: Days::default(),
        }
    }

    /// Requests counted: with an offer or without any.
    pub fn requests(&self) -> u64 {
        self.offers + self.unserved
    }

    /// The share of requests offered an appointment within the standard; `None` without
    /// requests.
    pub fn rate(&self) -> Option<f64> {
        let requests = self.requests();
        (requests > 0).then(|| self.timely as f64 / requests as f64)
    }
}

/// What a breakdown slices requests by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dimension {
    /// Request kind.
    Kind,
    /// The offered clinician's facility (network providers in one row).
    Facility,
    /// The offered clinician's discipline.
    Discipline,
    /// The member's language.
    Language,
    /// The month of the request.
    Month,
}

impl Dimension {
    /// Every dimension, in report order.
    pub const ALL: [Dimension; 5] = [
        Dimension::Kind,
        Dimension::Facility,
        Dimension::Discipline,
        Dimension::Language,
        Dimension::Month,
    ];
}

impl Slug for Dimension {
    const VARIANTS: &'static [Dimension] = &Dimension::ALL;

    /// The kebab-case name used in output.
    fn slug(self) -> &'static str {
        match self {
            Dimension::Kind => "kind",
            Dimension::Facility => "facility",
            Dimension::Discipline => "discipline",
            Dimension::Language => "language",
            Dimension::Month => "month",
        }
    }
}

/// Compliance rows along one dimension.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Breakdown {
    /// The dimension.
    pub dimension: Dimension,
    /// Rows in a fixed order (kinds and disciplines in their declared order, facilities by id
    /// then the network, languages by code, months in order); only slices with requests.
    pub rows: Vec<ComplianceRow>,
}

/// Follow-ups that were kept: how long after the prior appointment.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FollowUpIntervals {
    /// The follow-up standard in business days, when the rule set has one.
    pub standard_business_days: Option<u32>,
    /// Business days from the prior appointment's date to the follow-up's date.
    pub business_days: Days,
    /// Calendar days, the same pairs.
    pub calendar_days: Days,
    /// Follow-ups with the treating clinician (continuity of care).
    pub with_treating_clinician: u64,
}

impl FollowUpIntervals {
    /// The share within the standard; `None` without a standard or follow-ups.
    pub fn within_standard(&self) -> Option<f64> {
        let standard = self.standard_business_days?;
        let total = self.business_days.total();
        (total > 0).then(|| self.business_days.at_most(standard) as f64 / total as f64)
    }
}

/// Where requests were booked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Routes {
    /// With the treating clinician.
    pub continuity: u64,
    /// With another internal clinician.
    pub internal: u64,
    /// With a network provider (a referral).
    pub network: u64,
    /// Out-of-network arrangements (SB 855) the book records: with a booking whose best offer
    /// missed the deadline (the booking itself still counts in its route), and alone for a
    /// request with no booking in network.
    pub arrangements: u64,
}

/// What became of the appointments that were due in the period.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Attendance {
    /// Visits that took place.
    pub fulfilled: u64,
    /// Members who did not come.
    pub no_show: u64,
    /// Cancelled by the member.
    pub cancelled_by_member: u64,
    /// Cancelled by the plan (clinician unavailable, strike, leave, closure, replan).
    pub cancelled_by_plan: u64,
}

impl Attendance {
    /// No-shows among the visits due (fulfilled or not shown); `None` without any.
    pub fn no_show_rate(&self) -> Option<f64> {
        let due = self.fulfilled + self.no_show;
        (due > 0).then(|| self.no_show as f64 / due as f64)
    }
}

/// Group sessions scheduled in the period.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GroupSessions {
    /// Sessions not cancelled.
    pub held: u64,
    /// Cancelled sessions by reason slug, in the order of [`crate::book::CancellationReason`].
    pub cancelled: Vec<(&'static str, u64)>,
    /// Seats in sessions held.
    pub seats: u64,
}

/// The internal workforce.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Workforce {
    /// Members of the region.
    pub members: u64,
    /// Internal non-physician clinicians.
    pub therapists: u64,
    /// Their FTE, in hundredths.
    pub therapist_fte_hundredths: u64,
    /// Their template minutes per week by block kind, in [`BlockKind::ALL`] order.
    pub weekly_minutes: Vec<(BlockKind, u64)>,
    /// Visits with internal clinicians that took place in the period.
    pub sessions: u64,
    /// Appointments with internal clinicians the member missed in the period: the sessions
    /// booked are `sessions + no_shows`.
    pub no_shows: u64,
    /// Working days of internal clinicians in the period (template days that are business days
    /// of their facility, less the days their schedule in the book takes away: leave, a strike).
    pub clinician_days: u64,
}

impl Workforce {
    /// Members per internal non-physician FTE.
    pub fn members_per_fte(&self) -> Option<f64> {
        (self.therapist_fte_hundredths > 0)
            .then(|| self.members as f64 * 100.0 / self.therapist_fte_hundredths as f64)
    }

    /// Direct (bookable: direct and urgent-hold) share of paid template time.
    pub fn direct_share(&self) -> Option<f64> {
        let minutes = |kind: BlockKind| {
            self.weekly_minutes
                .iter()
                .find(|(known, _)| *known == kind)
                .map_or(0, |(_, minutes)| *minutes)
        };
        let paid: u64 = BlockKind::ALL
            .into_iter()
            .filter(|kind| kind.is_paid())
            .map(minutes)
            .sum();
        let direct = minutes(BlockKind::Direct) + minutes(BlockKind::UrgentHold);
        (paid > 0).then(|| direct as f64 / paid as f64)
    }

    /// Visits per internal clinician working day.
    pub fn sessions_per_clinician_day(&self) -> Option<f64> {
        (self.clinician_days > 0).then(|| self.sessions as f64 / self.clinician_days as f64)
    }

    /// Sessions booked (kept or missed) per internal clinician working day.
    pub fn booked_per_clinician_day(&self) -> Option<f64> {
        (self.clinician_days > 0)
            .then(|| (self.sessions + self.no_shows) as f64 / self.clinician_days as f64)
    }
}

/// A report over a book.
#[derive(Clone, Debug, PartialEq)]
pub struct AccessReport {
    /// The request dates counted.
    pub period: Period,
    /// The rule set's name.
    pub rule_set: String,
    /// The rule set's compliance threshold (a share), when it sets one. For ca-dmhc it applies
    /// to the census's provider rates ([`census`]), not to these request shares: it is kept
    /// here as the reference line reports draw.
    pub threshold: Option<f64>,
    /// Every request of the period.
    pub overall: ComplianceRow,
    /// The same requests sliced, one breakdown per [`Dimension`].
    pub breakdowns: Vec<Breakdown>,
    /// Kept follow-ups of the period.
    pub follow_ups: FollowUpIntervals,
    /// Where the period's requests were booked.
    pub routes: Routes,
    /// Appointments due in the period.
    pub attendance: Attendance,
    /// Group sessions scheduled in the period.
    pub groups: GroupSessions,
    /// The internal workforce.
    pub workforce: Workforce,
}

/// Local dates and business-day ordinals over a range of days, so that a report converts millions
/// of instants without a time-zone lookup each.
struct LocalDays {
    zone: TimeZone,
    /// The dates, in order.
    dates: Vec<Date>,
    /// The instant each date starts, in seconds from the Unix epoch, in order. Zone offsets are
    /// whole seconds, so midnights are too: comparing seconds is cheaper than comparing
    /// timestamps (seconds and nanoseconds).
    midnights: Vec<i64>,
    /// Business days from `first` through each date.
    ordinals: Vec<u32>,
}

impl LocalDays {
    fn new(
        zone: &TimeZone,
        calendar: &BusinessCalendar,
        first: Date,
        last: Date,
    ) -> Result<LocalDays, ReportError> {
        let mut dates = Vec::new();
        let mut midnights = Vec::new();
        let mut ordinals = Vec::new();
        let mut date = first;
        let mut ordinal = 0;
        while date <= last {
            midnights.push(
                date.to_zoned(zone.clone())
                    .map_err(|_| ReportError::OutOfRange)?
                    .timestamp()
                    .as_second(),
            );
            ordinal += u32::from(calendar.is_business_day(date) && date != first);
            ordinals.push(ordinal);
            dates.push(date);
            date = date.tomorrow().map_err(|_| ReportError::OutOfRange)?;
        }
        Ok(LocalDays {
            zone: zone.clone(),
            dates,
            midnights,
            ordinals,
        })
    }

    /// The index of `at`'s local date, when inside the table.
    // Inlined, as are the counts below: a report places three or four instants per request.
    #[inline]
    fn index(&self, at: Timestamp) -> Option<usize> {
        // `at` in whole seconds, rounded down (the fraction of an instant before 1970 is
        // negative): a midnight, a whole second, is at or before `at` exactly when it is at or
        // before this.
        let at = at.as_second() - i64::from(at.subsec_nanosecond() < 0);
        let first = *self.midnights.first()?;
        // Before the first midnight: none (a negative distance).
        let days = usize::try_from((at - first).div_euclid(86_400)).ok()?;
        // Days are 23 to 25 hours long: the day `at` falls in is within a step or two of its
        // distance from the first midnight in 24-hour days (steps checked, not assumed). Steps
        // back stop at the first date at the latest, whose midnight is at or before `at`.
        let last = self.midnights.len() - 1;
        let mut idx = days.min(last);
        while self.midnights[idx] > at {
            idx -= 1;
        }
        while idx < last && self.midnights[idx + 1] <= at {
            idx += 1;
        }
        // Past the last date's end, which the table cannot see: the last date counts as
        // outside it.
        (idx < last).then_some(idx)
    }

    /// The table's dates from `first` through `last`, when it has them.
    fn dates_between(&self, first: Date, last: Date) -> Option<&[Date]> {
        let from = self.dates.binary_search(&first).ok()?;
        let through = self.dates.binary_search(&last).ok()?;
        self.dates.get(from..=through)
    }

    /// Where `at` falls: found once per instant, then used for each count that needs its date.
    #[inline]
    fn day(&self, at: Timestamp) -> Day {
        match self.index(at) {
            Some(idx) => Day::At(idx),
            None => Day::Beyond(at),
        }
    }

    #[inline]
    fn date(&self, day: Day) -> Date {
        match day {
            Day::At(idx) => self.dates[idx],
            Day::Beyond(at) => self.zone_date(at),
        }
    }

    /// The date of an instant beyond the table, from the zone.
    #[cold]
    #[inline(never)]
    fn zone_date(&self, at: Timestamp) -> Date {
        at.to_zoned(self.zone.clone()).date()
    }

    /// Business days in `(after, through]`, as [`BusinessCalendar::business_days_between`].
    #[inline]
    fn business_days_between(&self, calendar: &BusinessCalendar, after: Day, through: Day) -> u32 {
        match (after, through) {
            (Day::At(a), Day::At(b)) => self.ordinals[b].saturating_sub(self.ordinals[a]),
            _ => self.business_days_beyond(calendar, after, through),
        }
    }

    /// [`LocalDays::business_days_between`] when the table does not cover an end: the calendar
    /// counts.
    #[cold]
    #[inline(never)]
    fn business_days_beyond(&self, calendar: &BusinessCalendar, after: Day, through: Day) -> u32 {
        calendar.business_days_between(self.date(after), self.date(through))
    }

    /// Calendar days from `after`'s date to `through`'s, zero when `through`'s is not later.
    #[inline]
    fn calendar_days_between(&self, after: Day, through: Day) -> u32 {
        match (after, through) {
            (Day::At(a), Day::At(b)) => b.saturating_sub(a) as u32,
            _ => self.calendar_days_beyond(after, through),
        }
    }

    /// [`LocalDays::calendar_days_between`] when the table does not cover an end.
    #[cold]
    #[inline(never)]
    fn calendar_days_beyond(&self, after: Day, through: Day) -> u32 {
        let (a, b) = (self.date(after), self.date(through));
        if b <= a {
            0
        } else {
            a.until(b).map_or(0, |span| span.get_days().max(0) as u32)
        }
    }
}

/// Where an instant falls in a [`LocalDays`] table: its local date's index, or the instant itself
/// beyond the table (its date then comes from the zone).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Day {
    /// The index of the instant's date in the table.
    At(usize),
    /// An instant the table does not cover.
    Beyond(Timestamp),
}

/// The row of each slice, made on first use, found by an index: a slice's key maps to a small
/// number (a kind's or a discipline's place in its declaration, a facility's id, a month's
/// distance from the period's first), in the order the rows are reported. An index replaced a
/// binary search over the keys, five per request.
struct Slices {
    /// By index; `None` for a slice without requests (yet).
    rows: Vec<Option<ComplianceRow>>,
}

impl Slices {
    /// Room for the indexes below `len`.
    fn new(len: usize) -> Slices {
        Slices {
            rows: vec![None; len],
        }
    }

    fn row(&mut self, idx: usize, label: impl FnOnce() -> String) -> &mut ComplianceRow {
        self.rows[idx].get_or_insert_with(|| ComplianceRow::new(label()))
    }

    /// The rows made, in the order of their indexes.
    fn into_breakdown(self, dimension: Dimension) -> Breakdown {
        Breakdown {
            dimension,
            rows: self.rows.into_iter().flatten().collect(),
        }
    }

    /// The rows made, in the order of `keys`, the key of each index (for indexes that do not
    /// follow the report's order).
    fn into_breakdown_by<K: Ord>(self, dimension: Dimension, keys: &[K]) -> Breakdown {
        let mut rows: Vec<(&K, ComplianceRow)> = keys
            .iter()
            .zip(self.rows)
            .filter_map(|(key, row)| Some((key, row?)))
            .collect();
        rows.sort_by_key(|(key, _)| *key);
        Breakdown {
            dimension,
            rows: rows.into_iter().map(|(_, row)| row).collect(),
        }
    }
}

/// How many appointments ahead [`access_report`] asks for the records it will read.
const REPORT_AHEAD: usize = 16;

/// Reports on the requests made on the period's dates, the appointments due and the group
/// sessions scheduled then.
pub fn access_report(
    book: &Book,
    region: &Region,
    rules: &RuleSet,
    period: Period,
) -> Result<AccessReport, ReportError> {
    if period.last < period.first {
        return Err(ReportError::EmptyPeriod);
    }
    let zone = rules.time_zone();
    let calendar = rules.calendar();
    // Prior appointments come before the period, offers after it: the table spans the book's
    // horizon and the period with a margin, and falls back to the zone beyond it.
    let horizon = book.availability().horizon();
    let table_first = period
        .first
        .min(horizon.first)
        .checked_sub(jiff::Span::new().days(60))
        .map_err(|_| ReportError::OutOfRange)?;
    let table_last = period
        .last
        .max(horizon.last)
        .checked_add(jiff::Span::new().days(2))
        .map_err(|_| ReportError::OutOfRange)?;
    let days = LocalDays::new(zone, calendar, table_first, table_last)?;
    // A local date is in the period when its instant is from the first date's midnight to the
    // midnight after the last date (local midnights only move forward, DST or not): two
    // comparisons per instant instead of a date lookup.
    let midnight = |date: Date| -> Result<Timestamp, ReportError> {
        Ok(date
            .to_zoned(zone.clone())
            .map_err(|_| ReportError::OutOfRange)?
            .timestamp())
    };
    let period_start = midnight(period.first)?;
    let period_end = midnight(
        period
            .last
            .tomorrow()
            .map_err(|_| ReportError::OutOfRange)?,
    )?;
    let in_period = |at: Timestamp| period_start <= at && at < period_end;
    let follow_up_standard = rules
        .rule(RequestKind::FollowUp)
        .and_then(|rule| match rule.within {
            caretime_core::rules::Within::BusinessDays(n) => Some(n),
            _ => None,
        });

    // The index of each slice, in report order (see `Slices`): kinds and disciplines by their
    // declaration (which their `Ord` follows), facilities by id then the network then requests
    // without an offer, the discipline of those first, and months in order. Languages are
    // indexed as members are met and sorted at the end.
    let network_providers = region.facilities.len();
    let no_offer = network_providers + 1;
    let discipline_idx = |discipline: Option<Discipline>| discipline.map_or(0, |d| d as usize + 1);
    let month_idx = |date: Date| -> usize {
        let months = |date: Date| i32::from(date.year()) * 12 + i32::from(date.month());
        // Dates of the period only: not before its first month.
        (months(date) - months(period.first)) as usize
    };
    let mut overall = ComplianceRow::new("all");
    let mut by_kind = Slices::new(RequestKind::ALL.len());
    let mut by_facility = Slices::new(no_offer + 1);
    let mut by_discipline = Slices::new(Discipline::ALL.len() + 1);
    let mut by_month = Slices::new(month_idx(period.last) + 1);
    let mut follow_ups = FollowUpIntervals {
        standard_business_days: follow_up_standard,
        ..FollowUpIntervals::default()
    };
    let mut routes = Routes::default();
    let mut attendance = Attendance::default();
    let mut internal_sessions = 0;
    let mut internal_no_shows = 0;
    // Requests the plan arranged out of network for (SB 855), to count with their bookings.
    let mut arranged: Vec<caretime_core::id::RequestId> = book
        .arrangements()
        .iter()
        .map(|arrangement| arrangement.request)
        .collect();
    arranged.sort_unstable();
    // Members' languages as indexes into the few languages there are, in one dense table read in
    // member order: looking each member up in the region (about 70 bytes a record, millions of
    // them) cost a cache and TLB miss per appointment, most of the report's time on a
    // full-scale region.
    let mut languages: Vec<Language> = Vec::new();
    let member_languages: Vec<u16> = region
        .members
        .iter()
        .map(|member| {
            let idx = match languages.iter().position(|known| *known == member.language) {
                Some(idx) => idx,
                None => {
                    languages.push(member.language);
                    languages.len() - 1
                }
            };
            // ISO 639 has fewer than 65,536 codes.
            idx as u16
        })
        .collect();
    let mut by_language = Slices::new(languages.len());

    for (idx, appointment) in book.appointments().enumerate() {
        // The member-language table is read in appointment order, which is no order of members
        // (some 10 MB at full scale, a cache and TLB miss a read): ask for the entry some
        // appointments ahead, and the clinician's record (a megabyte of them) with it.
        if let Some(ahead) = book.appointment_brief(AppointmentId((idx + REPORT_AHEAD) as u32)) {
            if let Some(entry) = member_languages.get(ahead.member.index()) {
                prefetch(entry);
            }
            if let Some(clinician) = region.clinicians.get(ahead.clinician.index()) {
                prefetch(clinician);
            }
        }
        if appointment.status == AppointmentStatus::EnteredInError {
            continue;
        }
        if in_period(appointment.start) {
            match appointment.status {
                AppointmentStatus::Fulfilled => {
                    attendance.fulfilled += 1;
                    let clinician = &region.clinicians[appointment.clinician.index()];
                    internal_sessions += u64::from(clinician.affiliation == Affiliation::Internal);
                }
                AppointmentStatus::NoShow => {
                    attendance.no_show += 1;
                    let clinician = &region.clinicians[appointment.clinician.index()];
                    internal_no_shows += u64::from(clinician.affiliation == Affiliation::Internal);
                }
                AppointmentStatus::Cancelled => match appointment.cancellation.map(|c| c.by) {
                    Some(CancelledBy::Member) => attendance.cancelled_by_member += 1,
                    Some(CancelledBy::Plan) => attendance.cancelled_by_plan += 1,
                    _ => {}
                },
                _ => {}
            }
        }
        let request = &appointment.request;
        // Kept follow-ups: the interval the member lived, whoever offered what.
        if request.kind == RequestKind::FollowUp
            && appointment.status == AppointmentStatus::Fulfilled
            && in_period(appointment.start)
            && let Some(prior) = request.prior_appointment
        {
            let (prior, start) = (days.day(prior), days.day(appointment.start));
            follow_ups
                .business_days
                .add(days.business_days_between(calendar, prior, start));
            follow_ups
                .calendar_days
                .add(days.calendar_days_between(prior, start));
            follow_ups.with_treating_clinician +=
                u64::from(request.treating_clinician == Some(appointment.clinician));
        }
        if appointment.replaces.is_some() || !in_period(request.requested) {
            continue;
        }
        match appointment.route {
            Route::Continuity => routes.continuity += 1,
            Route::Internal => routes.internal += 1,
            Route::Network => routes.network += 1,
        }
        let offered = &region.clinicians[appointment.offered.clinician.index()];
        let language = usize::from(member_languages[request.member.index()]);
        let timely = appointment.offered.timeliness == Timeliness::Met;
        let exception = request.clinical_exception.is_some();
        let requested = days.day(request.requested);
        let wait =
            days.business_days_between(calendar, requested, days.day(appointment.offered.start));
        let request_date = days.date(requested);
        let rows: [&mut ComplianceRow; 6] = [
            &mut overall,
            by_kind.row(request.kind as usize, || request.kind.slug().to_owned()),
            match offered.affiliation {
                Affiliation::Internal => by_facility.row(offered.facility.index(), || {
                    region.facilities[offered.facility.index()].name.clone()
                }),
                Affiliation::Network => {
                    by_facility.row(network_providers, || "network providers".to_owned())
                }
            },
            by_discipline.row(discipline_idx(Some(offered.discipline)), || {
                offered.discipline.slug().to_owned()
            }),
            by_language.row(language, || languages[language].code().to_owned()),
            by_month.row(month_idx(request_date), || {
                format!("{:04}-{:02}", request_date.year(), request_date.month())
            }),
        ];
        // The engine records an arrangement with a booking whose best offer missed the deadline
        // (SB 855) when the caller asks for it (the simulator's scenarios may not).
        routes.arrangements += u64::from(arranged.binary_search(&request.id).is_ok());
        for row in rows {
            row.offers += 1;
            row.timely += u64::from(timely);
            row.clinical_exceptions += u64::from(exception);
            row.waits.add(wait);
        }
    }
    // Requests that got no offer at all: only their arrangement is in the book. Each counts as
    // a request not offered in time, with no wait to measure.
    let mut answered: Vec<caretime_core::id::RequestId> = book
        .appointment_briefs()
        .map(|brief| brief.request)
        .collect();
    answered.sort_unstable();
    answered.dedup();
    for arrangement in book.arrangements() {
        if answered.binary_search(&arrangement.request).is_ok() || !in_period(arrangement.requested)
        {
            continue;
        }
        let language = usize::from(member_languages[arrangement.member.index()]);
        let request_date = days.date(days.day(arrangement.requested));
        let rows: [&mut ComplianceRow; 6] = [
            &mut overall,
            by_kind.row(arrangement.kind as usize, || {
                arrangement.kind.slug().to_owned()
            }),
            by_facility.row(no_offer, || "no offer in the horizon".to_owned()),
            // `None` comes before every discipline; the label says what it is.
            by_discipline.row(discipline_idx(None), || "no offer".to_owned()),
            by_language.row(language, || languages[language].code().to_owned()),
            by_month.row(month_idx(request_date), || {
                format!("{:04}-{:02}", request_date.year(), request_date.month())
            }),
        ];
        routes.arrangements += 1;
        for row in rows {
            row.unserved += 1;
        }
    }
    Ok(AccessReport {
        period,
        rule_set: rules.name().to_owned(),
        threshold: rules
            .compliance_threshold()
            .map(|threshold| threshold.rate.fraction()),
        overall,
        breakdowns: vec![
            by_kind.into_breakdown(Dimension::Kind),
            by_facility.into_breakdown(Dimension::Facility),
            by_discipline.into_breakdown(Dimension::Discipline),
            by_language.into_breakdown_by(Dimension::Language, &languages),
            by_month.into_breakdown(Dimension::Month),
        ],
        follow_ups,
        routes,
        attendance,
        groups: group_sessions(book, &in_period),
        workforce: workforce(
            book,
            region,
            days.dates_between(period.first, period.last)
                .ok_or(ReportError::OutOfRange)?,
            (internal_sessions, internal_no_shows),
        ),
    })
}

fn group_sessions(book: &Book, in_period: &dyn Fn(Timestamp) -> bool) -> GroupSessions {
    use crate::book::CancellationReason as Reason;
    const REASONS: [Reason; 9] = [
        Reason::MemberRequest,
        Reason::ClinicianUnavailable,
        Reason::Strike,
        Reason::Leave,
        Reason::Closure,
        Reason::LowEnrolment,
        Reason::Rescheduled,
        Reason::HoldExpired,
        Reason::Other,
    ];
    let mut counts = [0u64; REASONS.len()];
    let mut held = 0;
    let mut seats = 0;
    for group in book.groups() {
        for session in group.sessions.iter().filter(|s| in_period(s.start)) {
            match session.cancellation {
                Some(cancellation) => {
                    let idx = REASONS
                        .iter()
                        .position(|reason| *reason == cancellation.reason)
                        .expect("REASONS lists every cancellation reason");
                    counts[idx] += 1;
                }
                None => {
                    held += 1;
                    seats += session.seats.len() as u64;
                }
            }
        }
    }
    GroupSessions {
        held,
        cancelled: REASONS
            .iter()
            .zip(counts)
            .filter(|(_, count)| *count > 0)
            .map(|(reason, count)| (reason.slug(), count))
            .collect(),
        seats,
    }
}

/// The internal workforce over the period's `dates` (in order, every date once).
fn workforce(
    book: &Book,
    region: &Region,
    dates: &[Date],
    (sessions, no_shows): (u64, u64),
) -> Workforce {
    let mut weekly = [0u64; BlockKind::ALL.len()];
    let mut therapists = 0;
    let mut fte = 0;
    let mut clinician_days = 0;
    let weekdays: Vec<u8> = dates
        .iter()
        .map(|date| weekday_bit(date.weekday()))
        .collect();
    // The period's business days of each distinct facility calendar, made once per calendar
    // (facilities usually share one), and which one each facility uses.
    let mut calendars: Vec<PeriodBusinessDays<'_>> = Vec::new();
    let mut facility_calendars: Vec<Option<usize>> = vec![None; region.facilities.len()];
    for clinician in &region.clinicians {
        if clinician.affiliation != Affiliation::Internal {
            continue;
        }
        let template = &region.templates[clinician.template.index()];
        if clinician.discipline != Discipline::Psychiatrist {
            therapists += 1;
            fte += u64::from(clinician.fte.hundredths());
            for (idx, kind) in BlockKind::ALL.into_iter().enumerate() {
                weekly[idx] += u64::from(template.minutes(kind));
            }
        }
        // The weekdays the template works: those with a block other than a break.
        let works = template
            .blocks
            .iter()
            .filter(|block| block.kind != BlockKind::Break)
            .fold(0u8, |works, block| works | weekday_bit(block.day));
        let facility = clinician.facility.index();
        let business = match facility_calendars[facility] {
            Some(idx) => &calendars[idx],
            None => {
                let calendar = &region.facilities[facility].calendar;
                let idx = match calendars
                    .iter()
                    .position(|known| known.calendar == calendar)
                {
                    Some(idx) => idx,
                    None => {
                        calendars.push(PeriodBusinessDays::new(calendar, dates, &weekdays));
                        calendars.len() - 1
                    }
                };
                facility_calendars[facility] = Some(idx);
                &calendars[idx]
            }
        };
        // The business days of the period the template works.
        let working = business.on_weekdays(works);
        // Less the days the clinician's schedule in the book takes away (leave, a strike).
        let away = match book.schedule(clinician.id) {
            Some(schedule) if !schedule.leave.is_empty() => dates
                .iter()
                .zip(&weekdays)
                .zip(&business.open)
                .filter(|((date, weekday), open)| {
                    **open
                        && works & **weekday != 0
                        && schedule
                            .leave
                            .iter()
                            .any(|(first, last)| first <= *date && *date <= last)
                })
                .count() as u64,
            _ => 0,
        };
        clinician_days += working.saturating_sub(away);
    }
    Workforce {
        members: region.members.len() as u64,
        therapists,
        therapist_fte_hundredths: fte,
        weekly_minutes: BlockKind::ALL.into_iter().zip(weekly).collect(),
        sessions,
        no_shows,
        clinician_days,
    }
}

/// A weekday as one bit of a byte, Monday the lowest.
fn weekday_bit(day: jiff::civil::Weekday) -> u8 {
    1 << day.to_monday_zero_offset()
}

/// Which dates of a report's period are business days in one calendar, and how many fall on
/// each weekday, so that a template's working days in the period are a sum over the weekdays it
/// works instead of a pass over the dates per facility and template.
struct PeriodBusinessDays<'c> {
    calendar: &'c BusinessCalendar,
    /// Whether each date of the period is a business day.
    open: Vec<bool>,
    /// Business days of the period by weekday, Monday first.
    by_weekday: [u64; 7],
}

impl<'c> PeriodBusinessDays<'c> {
    /// The business days among `dates`, whose weekdays (as [`weekday_bit`]s) are `weekdays`.
    fn new(calendar: &'c BusinessCalendar, dates: &[Date], weekdays: &[u8]) -> Self {
        // `day_off` rather than `is_business_day` (the same answer): the latter's first call
        // builds the calendar's table of every day from 1970 to 2100, some 12 million
        // instructions when the simulation had not needed it, to be asked about a year here.
        let open: Vec<bool> = dates
            .iter()
            .map(|date| calendar.day_off(*date).is_none())
            .collect();
        let mut by_weekday = [0; 7];
        for (open, weekday) in open.iter().zip(weekdays) {
            by_weekday[weekday.trailing_zeros() as usize] += u64::from(*open);
        }
        PeriodBusinessDays {
            calendar,
            open,
            by_weekday,
        }
    }

    /// Business days on the weekdays `works` (a set of [`weekday_bit`]s).
    fn on_weekdays(&self, works: u8) -> u64 {
        (0..7)
            .filter(|day| works & (1 << day) != 0)
            .map(|day| self.by_weekday[day])
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::SignedDuration;
    use jiff::civil::date;

    #[test]
    fn local_days_find_the_day_of_every_instant_across_dst() {
        let zone = TimeZone::get("America/Los_Angeles").expect("bundled");
        let calendar = BusinessCalendar::new(
            caretime_core::calendar::WeekdayMask::MONDAY_TO_FRIDAY,
            caretime_core::files::builtin::holiday_calendar("california-state").expect("built in"),
        );
        let days = LocalDays::new(&zone, &calendar, date(2025, 1, 1), date(2026, 12, 31))
            .expect("in range");
        // From a week before the table to a week after it, every 37 minutes.
        let mut at = date(2024, 12, 25)
            .to_zoned(zone.clone())
            .expect("valid")
            .timestamp();
        let end = date(2027, 1, 8)
            .to_zoned(zone.clone())
            .expect("valid")
            .timestamp();
        while at < end {
            let after = days.midnights.partition_point(|midnight| {
                Timestamp::from_second(*midnight).expect("in range") <= at
            });
            let expected = after
                .checked_sub(1)
                .filter(|idx| idx + 1 < days.midnights.len());
            assert_eq!(days.index(at), expected, "{at}");
            assert_eq!(
                days.date(days.day(at)),
                at.to_zoned(zone.clone()).date(),
                "{at}"
            );
            at = at
                .checked_add(SignedDuration::from_mins(37))
                .expect("in range");
        }
        // A midnight starts its date; a nanosecond before it is still the date before.
        for (idx, midnight) in days.midnights.iter().enumerate() {
            let midnight = Timestamp::from_second(*midnight).expect("in range");
            let before = midnight - SignedDuration::from_nanos(1);
            assert_eq!(days.index(before), idx.checked_sub(1), "{before}");
            let expected = (idx + 1 < days.midnights.len()).then_some(idx);
            assert_eq!(days.index(midnight), expected, "{midnight}");
        }
    }

    #[test]
    fn slice_indexes_order_as_their_keys() {
        for a in RequestKind::ALL {
            for b in RequestKind::ALL {
                assert_eq!((a as usize).cmp(&(b as usize)), a.cmp(&b), "{a:?} {b:?}");
            }
        }
        for a in Discipline::ALL {
            for b in Discipline::ALL {
                assert_eq!((a as usize).cmp(&(b as usize)), a.cmp(&b), "{a:?} {b:?}");
            }
        }
    }

    #[test]
    fn period_business_days_agree_with_the_calendar() {
        use caretime_core::calendar::WeekdayMask;
        use jiff::civil::Weekday;
        let holidays =
            caretime_core::files::builtin::holiday_calendar("california-state").expect("built in");
        let six_days: Vec<Weekday> = Weekday::Monday.cycle_forward().take(6).collect();
        let monday_to_saturday = WeekdayMask::new(&six_days).expect("valid");
        let calendars = [
            BusinessCalendar::new(WeekdayMask::MONDAY_TO_FRIDAY, holidays.clone()),
            BusinessCalendar::new(monday_to_saturday, holidays).with_closure(date(2025, 3, 12)),
        ];
        let mut dates = vec![date(2024, 12, 20)];
        while let Some(last) = dates.last().copied()
            && last < date(2026, 1, 10)
        {
            dates.push(last.tomorrow().expect("in range"));
        }
        let weekdays: Vec<u8> = dates
            .iter()
            .map(|date| weekday_bit(date.weekday()))
            .collect();
        for calendar in &calendars {
            let business = PeriodBusinessDays::new(calendar, &dates, &weekdays);
            for (date, open) in dates.iter().zip(&business.open) {
                assert_eq!(*open, calendar.is_business_day(*date), "{date}");
            }
            for works in 0..128u8 {
                let expected = dates
                    .iter()
                    .filter(|date| {
                        works & weekday_bit(date.weekday()) != 0 && calendar.is_business_day(**date)
                    })
                    .count() as u64;
                assert_eq!(business.on_weekdays(works), expected, "{works:07b}");
            }
        }
    }
}
