//! Business-day calendars: which dates count when a deadline is "N business days".
//!
//! A [`BusinessCalendar`] is a [`WeekdayMask`] (the working days of the week), a
//! [`HolidayCalendar`] (rules that produce each year's holidays) and explicit closure dates (a
//! clinic shut by a fire, a day the governor declares). A date is a business day when its weekday
//! is in the mask, no holiday is observed on it and it is not a closure.
//!
//! Holidays are rules, not lists of dates, so a calendar works for any year: a fixed date
//! (July 4), the nth weekday of a month (the fourth Thursday in November), the last weekday of a
//! month (the last Monday in May), or the day after another holiday (the day after Thanksgiving).
//! Each has an [`Observance`] that moves it off a weekend.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;

use jiff::ToSpan;
use jiff::civil::{Date, Weekday};

use crate::quote::quote;
use crate::slug::Slug;

/// Errors from building calendars and from counting past the end of the supported dates.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    /// A calendar with no working weekday would never reach a deadline.
    #[error("a business calendar needs at least one working weekday")]
    NoWorkingDays,
    /// A `day_after` rule names a holiday that is not defined before it.
    #[error(
        "holiday `{}` is the day after `{}`, which is not defined before it",
        quote(holiday),
        quote(target)
    )]
    UnknownDayAfter {
        /// The holiday with the bad reference.
        holiday: String,
        /// The name it refers to.
        target: String,
    },
    /// Two holidays with the same name.
    #[error("holiday `{}` is defined twice", quote(.0))]
    DuplicateHoliday(String),
    /// A month outside 1-12, a day the month never has, or an nth weekday outside 1-5.
    #[error("holiday `{}`: {reason}", quote(holiday))]
    InvalidDate {
        /// The holiday.
        holiday: String,
        /// What is wrong with its date.
        reason: String,
    },
    /// Counting ran past the dates the calendar supports (years -9999 to 9999).
    #[error("date arithmetic out of range")]
    OutOfRange,
}

/// The working days of the week.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct WeekdayMask(u8);

impl WeekdayMask {
    /// Monday to Friday.
    pub const MONDAY_TO_FRIDAY: WeekdayMask = WeekdayMask(0b0011111);
    /// Every day of the week.
    pub const EVERY_DAY: WeekdayMask = WeekdayMask(0b1111111);

    /// A mask of the given weekdays; rejects an empty mask.
    pub fn new(weekdays: &[Weekday]) -> Result<WeekdayMask, CalendarError> {
        let bits = weekdays
            .iter()
            .fold(0u8, |bits, day| bits | Self::bit(*day));
        if bits == 0 {
            return Err(CalendarError::NoWorkingDays);
        }
        Ok(WeekdayMask(bits))
    }

    fn bit(day: Weekday) -> u8 {
        1 << (day.to_monday_zero_offset())
    }

    /// Whether `day` is a working day.
    pub fn contains(self, day: Weekday) -> bool {
        self.0 & Self::bit(day) != 0
    }

    /// The working days, Monday first.
    pub fn weekdays(self) -> impl Iterator<Item = Weekday> {
        (0..7)
            .map(|offset| {
                Weekday::from_monday_zero_offset(offset).expect("0..7 are weekday offsets")
            })
            .filter(move |day| self.contains(*day))
    }
}

impl fmt::Debug for WeekdayMask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.weekdays().map(weekday_slug))
            .finish()
    }
}

/// The three-letter lowercase name of a weekday (`mon`), as used in files.
pub fn weekday_slug(day: Weekday) -> &'static str {
    match day {
        Weekday::Monday => "mon",
        Weekday::Tuesday => "tue",
        Weekday::Wednesday => "wed",
        Weekday::Thursday => "thu",
        Weekday::Friday => "fri",
        Weekday::Saturday => "sat",
        Weekday::Sunday => "sun",
    }
}

/// Parses a three-letter weekday name (`mon` ... `sun`).
pub fn parse_weekday(name: &str) -> Option<Weekday> {
    (0..7)
        .map(|offset| Weekday::from_monday_zero_offset(offset).expect("0..7 are weekday offsets"))
        .find(|day| weekday_slug(*day) == name)
}

/// How a holiday's date is found in a given year.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HolidayDate {
    /// The same month and day every year (July 4).
    Fixed {
        /// 1-12.
        month: i8,
        /// 1-31, and valid for the month (February 29 falls only in leap years).
        day: i8,
    },
    /// The nth (1-5) given weekday of a month (the fourth Thursday in November); a year whose
    /// month has no fifth such weekday has no such holiday.
    NthWeekday {
        /// 1-5.
        n: i8,
        /// The weekday.
        weekday: Weekday,
        /// 1-12.
        month: i8,
    },
    /// The last given weekday of a month (the last Monday in May).
    LastWeekday {
        /// The weekday.
        weekday: Weekday,
        /// 1-12.
        month: i8,
    },
    /// The day after the actual (not observed) date of an earlier holiday in the same calendar,
    /// given by its index (the day after Thanksgiving).
    DayAfter(usize),
}

/// How a holiday that falls on a weekend is observed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Observance {
    /// On its date, whatever the weekday.
    Actual,
    /// A Sunday holiday is observed the following Monday (Cal. Gov. Code § 19853(b)).
    SundayToMonday,
    /// A Saturday holiday is observed the Friday before, a Sunday one the Monday after
    /// (5 U.S.C. § 6103(b); Cal. Gov. Code § 19853(b) for November 11).
    NearestWeekday,
}

impl Slug for Observance {
    const VARIANTS: &'static [Observance] = &[
        Observance::Actual,
        Observance::SundayToMonday,
        Observance::NearestWeekday,
    ];

    fn slug(self) -> &'static str {
        match self {
            Observance::Actual => "actual",
            Observance::SundayToMonday => "sunday-to-monday",
            Observance::NearestWeekday => "nearest-weekday",
        }
    }
}

impl Observance {
    fn apply(self, date: Date) -> Result<Date, CalendarError> {
        let shift = match (self, date.weekday()) {
            (Observance::SundayToMonday | Observance::NearestWeekday, Weekday::Sunday) => 1,
            (Observance::NearestWeekday, Weekday::Saturday) => -1,
            _ => 0,
        };
        date.checked_add(shift.days())
            .map_err(|_| CalendarError::OutOfRange)
    }
}

/// One holiday rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Holiday {
    /// Its name ("Cesar Chavez Day").
    pub name: String,
    /// How its date is found.
    pub date: HolidayDate,
    /// How a weekend date is observed.
    pub observance: Observance,
    /// The law or document that makes it a holiday.
    pub source: String,
}

/// A named set of holiday rules (`california-state`, `us-federal`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HolidayCalendar {
    // The texts and rules are shared between clones as the observed dates are (a region's
    // schedules clone a facility's calendar for each of its clinicians: some 15,000 copies of
    // a dozen holidays' names and sources at full scale otherwise).
    name: Arc<str>,
    title: Arc<str>,
    source: Arc<str>,
    holidays: Arc<[Holiday]>,
    /// Observed dates of every holiday in [`HolidayCalendar::TABLE_YEARS`], sorted by date, with
    /// the holiday's index: `holiday_on` is a binary search there (business-day counting asks it
    /// for every day it counts, on every find).
    /// Shared between clones: every facility of a region carries its calendar.
    observed: Arc<[(Date, u16)]>,
}

impl HolidayCalendar {
    /// Years whose observed holidays are precomputed; other years are computed on demand.
    pub const TABLE_YEARS: std::ops::RangeInclusive<i16> = 1970..=2100;

    /// A calendar from its rules. Rejects duplicate names, invalid dates and `DayAfter` indexes
    /// that do not point at an earlier holiday.
    pub fn new(
        name: String,
        title: String,
        source: String,
        holidays: Vec<Holiday>,
    ) -> Result<HolidayCalendar, CalendarError> {
        for (index, holiday) in holidays.iter().enumerate() {
            if holidays[..index]
                .iter()
                .any(|earlier| earlier.name == holiday.name)
            {
                return Err(CalendarError::DuplicateHoliday(holiday.name.clone()));
            }
            let invalid = |reason: &str| CalendarError::InvalidDate {
                holiday: holiday.name.clone(),
                reason: reason.to_owned(),
            };
            match holiday.date {
                HolidayDate::Fixed { month, day } => {
                    // 2000 is a leap year, so February 29 passes and falls only in leap years.
                    Date::new(2000, month, day).map_err(|_| invalid("no such month and day"))?;
                }
                HolidayDate::NthWeekday { n, month, .. } => {
                    if !(1..=5).contains(&n) {
                        return Err(invalid("the nth weekday must be 1 to 5"));
                    }
                    if !(1..=12).contains(&month) {
                        return Err(invalid("the month must be 1 to 12"));
                    }
                }
                HolidayDate::LastWeekday { month, .. } => {
                    if !(1..=12).contains(&month) {
                        return Err(invalid("the month must be 1 to 12"));
                    }
                }
                HolidayDate::DayAfter(target) => {
                    if target >= index {
                        return Err(CalendarError::UnknownDayAfter {
                            holiday: holiday.name.clone(),
                            target: holidays
                                .get(target)
                                .map_or_else(|| format!("#{target}"), |h| h.name.clone()),
                        });
                    }
                }
            }
        }
        let mut calendar = HolidayCalendar {
            name: name.into(),
            title: title.into(),
            source: source.into(),
            holidays: holidays.into(),
            observed: Arc::from(Vec::new()),
        };
        calendar.observed = Arc::from(calendar.observed_table());
        Ok(calendar)
    }

    /// Every (observed date, holiday index) for the table's years (and the edges of the years
    /// beside them), in the order `holiday_on_computed` would find them for each date.
    fn observed_table(&self) -> Vec<(Date, u16)> {
        let (first, last) = (*Self::TABLE_YEARS.start(), *Self::TABLE_YEARS.end());
        let mut observed: Vec<(Date, u16)> = (first - 1..=last + 1)
            .flat_map(|year| (0..self.holidays.len()).map(move |index| (year, index)))
            .filter_map(|(year, index)| {
                let actual = self.actual_date(index, year)?;
                let date = self.holidays[index].observance.apply(actual).ok()?;
                Some((date, index as u16))
            })
            .collect();
        // A stable sort keeps the search order of `holiday_on_computed` (year, then rule) among
        // holidays observed on the same date; the first one wins.
        observed.sort_by_key(|(date, _)| *date);
        observed.dedup_by_key(|(date, _)| *date);
        observed
    }

    /// A calendar with no holidays.
    pub fn empty() -> HolidayCalendar {
        HolidayCalendar {
            name: "none".into(),
            title: "No holidays".into(),
            source: "".into(),
            holidays: Arc::new([]),
            observed: Arc::from(Vec::new()),
        }
    }

    /// The calendar's name (`california-state`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A human title.
    pub fn title(&self) -> &str {
        &self.title
    }

    /// The law the calendar follows.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The rules, in file order.
    pub fn holidays(&self) -> &[Holiday] {
        &self.holidays
    }

    /// The actual (unshifted) date of holiday `index` in `year`, or `None` when the holiday does
    /// not fall that year (a fifth Monday the month lacks, February 29 of a common year).
    fn actual_date(&self, index: usize, year: i16) -> Option<Date> {
        match self.holidays[index].date {
            HolidayDate::Fixed { month, day } => Date::new(year, month, day).ok(),
            HolidayDate::NthWeekday { n, weekday, month } => {
                let first = Date::new(year, month, 1).ok()?;
                first.nth_weekday_of_month(n, weekday).ok()
            }
            HolidayDate::LastWeekday { weekday, month } => {
                let first = Date::new(year, month, 1).ok()?;
                first.nth_weekday_of_month(-1, weekday).ok()
            }
            HolidayDate::DayAfter(target) => self.actual_date(target, year)?.tomorrow().ok(),
        }
    }

    /// The holidays observed in `year`, as (observed date, holiday), sorted by date. A holiday
    /// whose observance moves it across a year boundary (January 1 on a Saturday, observed
    /// December 31) belongs to the year it is observed in.
    pub fn observed_in(&self, year: i16) -> Vec<(Date, &Holiday)> {
        let mut observed: Vec<(Date, &Holiday)> =
            [year.saturating_sub(1), year, year.saturating_add(1)]
                .into_iter()
                .flat_map(|y| (0..self.holidays.len()).map(move |index| (y, index)))
                .filter_map(|(y, index)| {
                    let holiday = &self.holidays[index];
                    let date = holiday.observance.apply(self.actual_date(index, y)?).ok()?;
                    (date.year() == year).then_some((date, holiday))
                })
                .collect();
        observed.sort_by_key(|(date, _)| *date);
        observed.dedup_by_key(|(date, _)| *date);
        observed
    }

    /// The holiday observed on `date`, if any.
    pub fn holiday_on(&self, date: Date) -> Option<&Holiday> {
        if Self::TABLE_YEARS.contains(&date.year()) {
            return self
                .observed
                .binary_search_by_key(&date, |(observed, _)| *observed)
                .ok()
                .map(|idx| &self.holidays[usize::from(self.observed[idx].1)]);
        }
        self.holiday_on_computed(date)
    }

    /// [`HolidayCalendar::holiday_on`] from the rules, for any year.
    fn holiday_on_computed(&self, date: Date) -> Option<&Holiday> {
        // Observance moves a date by at most one day, so only the neighbouring years can reach it.
        (date.year().saturating_sub(1)..=date.year().saturating_add(1))
            .flat_map(|y| (0..self.holidays.len()).map(move |index| (y, index)))
            .find(|&(y, index)| {
                self.actual_date(index, y)
                    .and_then(|actual| self.holidays[index].observance.apply(actual).ok())
                    == Some(date)
            })
            .map(|(_, index)| &self.holidays[index])
    }
}

/// Which dates are business days: working weekdays, less observed holidays, less closures.
#[derive(Clone)]
pub struct BusinessCalendar {
    weekdays: WeekdayMask,
    holidays: HolidayCalendar,
    closures: BTreeSet<Date>,
    /// Whether each day of the holiday table's years is a business day, one bit a day from
    /// 1970-01-01, made on first use: deadlines and waits count business days millions of times
    /// in a simulation, and a bit test beats a holiday lookup per day. Not part of the value
    /// (equality and `Debug` ignore it). Clones share the cell, so the table is made once for a
    /// calendar and all its clones (a region's schedules clone a facility's calendar for each of
    /// its clinicians, and each clone making its own table was a third of a simulation's report).
    table: Arc<std::sync::OnceLock<Box<[u64]>>>,
}

impl PartialEq for BusinessCalendar {
    fn eq(&self, other: &BusinessCalendar) -> bool {
        self.weekdays == other.weekdays
            && self.holidays == other.holidays
            && self.closures == other.closures
    }
}

impl Eq for BusinessCalendar {}

impl fmt::Debug for BusinessCalendar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BusinessCalendar")
            .field("weekdays", &self.weekdays)
            .field("holidays", &self.holidays)
            .field("closures", &self.closures)
            .finish()
    }
}

/// Days from 1970-01-01 to `date` (negative before it), by the civil-calendar arithmetic of
/// Howard Hinnant's `days_from_civil` (proleptic Gregorian).
pub(crate) fn epoch_day(date: Date) -> i64 {
    days_from_civil(
        i64::from(date.year()),
        i64::from(date.month()),
        i64::from(date.day()),
    )
}

/// [`epoch_day`] of a year, month and day.
const fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The date `day` days after 1970-01-01 (the inverse of [`epoch_day`]; Hinnant's
/// `civil_from_days`), when jiff's dates reach it.
pub(crate) fn epoch_day_date(day: i64) -> Option<Date> {
    let z = day + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let d = day_of_year - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = year_of_era + era * 400 + i64::from(m <= 2);
    Date::new(
        i16::try_from(y).ok()?,
        i8::try_from(m).ok()?,
        i8::try_from(d).ok()?,
    )
    .ok()
}

/// Why a date is not a business day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DayOff<'c> {
    /// The weekday is not a working day (a weekend).
    Weekend,
    /// A holiday is observed on it.
    Holiday(&'c Holiday),
    /// An explicit closure.
    Closure,
}

impl BusinessCalendar {
    /// A calendar of the given working weekdays and holidays, with no closures.
    pub fn new(weekdays: WeekdayMask, holidays: HolidayCalendar) -> BusinessCalendar {
        BusinessCalendar {
            weekdays,
            holidays,
            closures: BTreeSet::new(),
            table: Arc::new(std::sync::OnceLock::new()),
        }
    }

    /// The same calendar with `date` closed as well.
    pub fn with_closure(mut self, date: Date) -> BusinessCalendar {
        self.closures.insert(date);
        self.table = Arc::new(std::sync::OnceLock::new());
        self
    }

    /// The first and last epoch day of the table (the holiday table's years).
    const TABLE_DAYS: (i64, i64) = (
        days_from_civil(*HolidayCalendar::TABLE_YEARS.start() as i64, 1, 1),
        days_from_civil(*HolidayCalendar::TABLE_YEARS.end() as i64, 12, 31),
    );

    /// The business-day bits, made on first use.
    fn table(&self) -> &[u64] {
        self.table.get_or_init(|| {
            let (first, last) = Self::TABLE_DAYS;
            let n_days = (last - first + 1) as usize;
            let mut bits = vec![0u64; n_days.div_ceil(64)];
            let mut date = Date::new(*HolidayCalendar::TABLE_YEARS.start(), 1, 1)
                .expect("the table's first year is a valid year");
            for idx in 0..n_days {
                if self.day_off(date).is_none() {
                    bits[idx / 64] |= 1 << (idx % 64);
                }
                match date.tomorrow() {
                    Ok(next) => date = next,
                    Err(_) => break,
                }
            }
            bits.into_boxed_slice()
        })
    }

    /// The table index of `date`, when the table covers it.
    fn table_index(date: Date) -> Option<usize> {
        let (first, last) = Self::TABLE_DAYS;
        let day = epoch_day(date);
        (first..=last)
            .contains(&day)
            .then(|| (day - first) as usize)
    }

    /// The working weekdays.
    pub fn weekdays(&self) -> WeekdayMask {
        self.weekdays
    }

    /// The holiday rules.
    pub fn holidays(&self) -> &HolidayCalendar {
        &self.holidays
    }

    /// The explicit closure dates.
    pub fn closures(&self) -> &BTreeSet<Date> {
        &self.closures
    }

    /// Why `date` is not a business day, or `None` when it is one.
    pub fn day_off(&self, date: Date) -> Option<DayOff<'_>> {
        if !self.weekdays.contains(date.weekday()) {
            Some(DayOff::Weekend)
        } else if self.closures.contains(&date) {
            Some(DayOff::Closure)
        } else {
            self.holidays.holiday_on(date).map(DayOff::Holiday)
        }
    }

    /// Whether `date` is a business day.
    pub fn is_business_day(&self, date: Date) -> bool {
        match Self::table_index(date) {
            Some(idx) => self.table()[idx / 64] & (1 << (idx % 64)) != 0,
            None => self.day_off(date).is_none(),
        }
    }

    /// The `n`th business day after `day0` (`day0` itself is day 0 and never counts); `n = 0`
    /// gives `day0`.
    pub fn nth_business_day_after(&self, day0: Date, n: u32) -> Result<Date, CalendarError> {
        if n > 0
            && let Some(found) = self.nth_business_epoch_day_after(epoch_day(day0), n)
        {
            return epoch_day_date(found).ok_or(CalendarError::OutOfRange);
        }
        let mut date = day0;
        let mut counted = 0;
        while counted < n {
            date = date.tomorrow().map_err(|_| CalendarError::OutOfRange)?;
            if self.is_business_day(date) {
                counted += 1;
            }
        }
        Ok(date)
    }

    /// [`BusinessCalendar::nth_business_day_after`] in days since 1970-01-01 (`n > 0`), when
    /// the business-day table answers it (`None` otherwise: ask with dates).
    pub fn nth_business_epoch_day_after(&self, day0: i64, n: u32) -> Option<i64> {
        let (first, last) = Self::TABLE_DAYS;
        if n == 0 || !(first..=last).contains(&day0) {
            return None;
        }
        // Count set bits after day0's a word at a time.
        let table = self.table();
        let mut remaining = n;
        let mut idx = (day0 - first) as usize + 1;
        while idx / 64 < table.len() {
            let word = table[idx / 64] >> (idx % 64);
            let ones = word.count_ones();
            if ones >= remaining {
                // The remaining-th set bit of `word`.
                let mut word = word;
                for _ in 1..remaining {
                    word &= word - 1;
                }
                let found = idx + word.trailing_zeros() as usize;
                // Bits past the table's last day are never set.
                return Some(first + found as i64);
            }
            remaining -= ones;
            idx = (idx / 64 + 1) * 64;
        }
        None
    }

    /// The number of business days in `(after, through]`: after `after`, up to and including
    /// `through`. Zero when `through <= after`.
    pub fn business_days_between(&self, after: Date, through: Date) -> u32 {
        if through <= after {
            return 0;
        }
        if let (Some(from), Some(to)) = (Self::table_index(after), Self::table_index(through)) {
            // Set bits in (from, to].
            let table = self.table();
            let (first, last) = (from + 1, to);
            let mut count = 0;
            let mut idx = first;
            while idx <= last {
                let word_end = ((idx / 64 + 1) * 64).min(last + 1);
                let width = word_end - idx;
                let mask = if width == 64 {
                    !0u64
                } else {
                    (1u64 << width) - 1
                };
                count += ((table[idx / 64] >> (idx % 64)) & mask).count_ones();
                idx = word_end;
            }
            return count;
        }
        let mut count = 0;
        let mut date = after;
        while date < through {
            match date.tomorrow() {
                Ok(next) => date = next,
                Err(_) => break,
            }
            if self.is_business_day(date) {
                count += 1;
            }
        }
        count
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_holiday_table_agrees_with_the_rules_every_day() {
        for name in ["california-state", "us-federal"] {
            let calendar = crate::files::builtin::holiday_calendar(name).expect("built in");
            let mut date = Date::constant(1969, 12, 1);
            while date <= Date::constant(2101, 1, 31) {
                assert_eq!(
                    calendar.holiday_on(date).map(|h| &h.name),
                    calendar.holiday_on_computed(date).map(|h| &h.name),
                    "{name} {date}"
                );
                date = date.tomorrow().expect("in range");
            }
        }
    }

    use jiff::civil::date;

    use super::*;
    use crate::files::builtin;

    fn california() -> BusinessCalendar {
        BusinessCalendar::new(
            WeekdayMask::MONDAY_TO_FRIDAY,
            builtin::holiday_calendar("california-state").expect("built in"),
        )
    }

    #[test]
    fn epoch_days_agree_with_jiff() {
        let epoch = Date::constant(1970, 1, 1);
        let mut date = Date::constant(1899, 12, 25);
        while date <= Date::constant(2102, 1, 5) {
            let expected = i64::from(
                epoch
                    .until((jiff::Unit::Day, date))
                    .expect("in range")
                    .get_days(),
            );
            assert_eq!(super::epoch_day(date), expected, "{date}");
            assert_eq!(super::epoch_day_date(expected), Some(date));
            date = date.tomorrow().expect("in range");
        }
    }

    proptest::proptest! {
        /// The bit table answers as the day-by-day definitions do (weekday mask, holidays,
        /// closures), inside the table's years, across its edges and beyond them.
        #[test]
        fn the_business_day_table_agrees_with_the_definitions(
            day in 0i64..(140 * 366),
            n in 0u32..60,
            span in 0i64..120,
            closures in proptest::collection::vec(0i64..(140 * 366), 0..4),
            saturday in proptest::bool::ANY,
        ) {
            let base = Date::constant(1965, 1, 1);
            let at = |offset: i64| base.checked_add(offset.days()).expect("in range");
            let weekdays = if saturday {
                WeekdayMask::new(&[
                    Weekday::Monday, Weekday::Tuesday, Weekday::Wednesday, Weekday::Thursday,
                    Weekday::Friday, Weekday::Saturday,
                ]).expect("working days")
            } else {
                WeekdayMask::MONDAY_TO_FRIDAY
            };
            let mut calendar = BusinessCalendar::new(
                weekdays,
                builtin::holiday_calendar("california-state").expect("built in"),
            );
            for closure in &closures {
                calendar = calendar.with_closure(at(*closure));
            }
            let day0 = at(day);
            let through = at(day + span);
            // The definitions, one day at a time.
            let open = |date: Date| calendar.day_off(date).is_none();
            let mut date = day0;
            let mut counted = 0;
            while counted < n {
                date = date.tomorrow().expect("in range");
                if open(date) {
                    counted += 1;
                }
            }
            let mut between = 0;
            let mut step = day0;
            while step < through {
                step = step.tomorrow().expect("in range");
                between += u32::from(open(step));
            }
            proptest::prop_assert_eq!(calendar.is_business_day(day0), open(day0));
            proptest::prop_assert_eq!(calendar.nth_business_day_after(day0, n), Ok(date));
            proptest::prop_assert_eq!(calendar.business_days_between(day0, through), between);
            proptest::prop_assert_eq!(calendar.business_days_between(through, day0), 0);
        }
    }

    #[test]
    fn california_state_holidays_2025() {
        // The dates CalHR published for 2025, derived from Gov. Code § 19853: Jan 1 (Wed),
        // MLK Jan 20, Presidents' Day Feb 17, Cesar Chavez Day Mar 31 (Mon), Memorial Day May 26,
        // July 4 (Fri), Labor Day Sep 1, Veterans Day Nov 11 (Tue), Thanksgiving Nov 27 and the
        // day after, Nov 28, Christmas Dec 25 (Thu).
        let calendar = california();
        let observed: Vec<Date> = calendar
            .holidays()
            .observed_in(2025)
            .into_iter()
            .map(|(d, _)| d)
            .collect();
        assert_eq!(
            observed,
            vec![
                date(2025, 1, 1),
                date(2025, 1, 20),
                date(2025, 2, 17),
                date(2025, 3, 31),
                date(2025, 5, 26),
                date(2025, 7, 4),
                date(2025, 9, 1),
                date(2025, 11, 11),
                date(2025, 11, 27),
                date(2025, 11, 28),
                date(2025, 12, 25),
            ]
        );
    }

    #[test]
    fn weekend_observance() {
        let calendar = california();
        // Cesar Chavez Day 2024 fell on a Sunday: observed Monday April 1 (§ 19853(b)).
        assert!(!calendar.is_business_day(date(2024, 4, 1)));
        // Veterans Day 2023 fell on a Saturday: observed Friday November 10 (§ 19853(b)).
        assert!(!calendar.is_business_day(date(2023, 11, 10)));
        // July 4, 2026 is a Saturday: California moves only November 11 back to Friday, so
        // Friday July 3, 2026 is a business day for the state.
        assert!(calendar.is_business_day(date(2026, 7, 3)));
        let federal = builtin::holiday_calendar("us-federal").expect("built in");
        // ... but a federal holiday observed Friday July 3, 2026 (5 U.S.C. § 6103(b)).
        assert_eq!(
            federal
                .holiday_on(date(2026, 7, 3))
                .map(|h| h.name.as_str()),
            Some("Independence Day")
        );
        // New Year's Day 2022 fell on a Saturday: federally observed Friday December 31, 2021,
        // which belongs to 2021's list.
        assert!(
            federal
                .observed_in(2021)
                .iter()
                .any(|(d, _)| *d == date(2021, 12, 31))
        );
        assert!(
            federal
                .observed_in(2022)
                .iter()
                .all(|(d, _)| d.year() == 2022)
        );
    }

    #[test]
    fn counting_business_days() {
        let calendar = california();
        // Tuesday 2025-11-25 + 10 business days skips Thanksgiving and the day after:
        // Nov 26, Dec 1-5, Dec 8-11 → Thursday 2025-12-11.
        let last = calendar
            .nth_business_day_after(date(2025, 11, 25), 10)
            .expect("in range");
        assert_eq!(last, date(2025, 12, 11));
        assert_eq!(calendar.business_days_between(date(2025, 11, 25), last), 10);
        let closed = california().with_closure(date(2025, 12, 1));
        assert_eq!(
            closed.nth_business_day_after(date(2025, 11, 25), 10),
            Ok(date(2025, 12, 12))
        );
        assert_eq!(closed.day_off(date(2025, 12, 1)), Some(DayOff::Closure));
    }

    #[test]
    fn rejects_bad_holiday_rules() {
        let holiday = |name: &str, date| Holiday {
            name: name.to_owned(),
            date,
            observance: Observance::Actual,
            source: String::new(),
        };
        let build = |holidays| HolidayCalendar::new("t".into(), "t".into(), "t".into(), holidays);
        assert!(matches!(
            build(vec![holiday("a", HolidayDate::DayAfter(0))]),
            Err(CalendarError::UnknownDayAfter { .. })
        ));
        assert!(matches!(
            build(vec![holiday("a", HolidayDate::Fixed { month: 2, day: 30 })]),
            Err(CalendarError::InvalidDate { .. })
        ));
        assert!(matches!(
            build(vec![
                holiday("a", HolidayDate::Fixed { month: 1, day: 1 }),
                holiday("a", HolidayDate::Fixed { month: 1, day: 2 })
            ]),
            Err(CalendarError::DuplicateHoliday(_))
        ));
        assert_eq!(WeekdayMask::new(&[]), Err(CalendarError::NoWorkingDays));
    }
}
