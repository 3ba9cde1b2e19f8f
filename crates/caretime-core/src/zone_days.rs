//! Local days of a time zone as a table: the date of an instant and the instant a date ends,
//! without a time-zone lookup each.
//!
//! A deadline counts days in the rule set's zone: the date of the request (or the prior
//! appointment), then the end of the last day. A simulated year asks that millions of times, and
//! each answer from the zone's rules is a search of its transitions. [`ZoneDays`] keeps, per block
//! of 256 days (`BLOCK_DAYS`), the instant each day starts and its date, made from the zone the
//! first time a day of the block is asked for (blocks are shared by the clones of a [`ZoneDays`]).
//! Its answers are the zone's own, bit for bit: a day near an offset change is answered by the
//! zone itself.

use std::fmt;
use std::sync::{Arc, OnceLock};

use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

use crate::calendar::{epoch_day, epoch_day_date};

/// Days per block of the table.
const BLOCK_DAYS: i64 = 256;

/// Blocks of the table: from 1970-01-01 for about 180 years (later and earlier days are
/// answered by the zone).
const BLOCKS: usize = 256;

const SECONDS_PER_DAY: i64 = 86_400;

/// The local days of a time zone (see the module documentation). Cheap to clone: clones share
/// their blocks.
#[derive(Clone)]
pub struct ZoneDays {
    zone: TimeZone,
    blocks: Arc<[OnceLock<Block>]>,
}

/// [`BLOCK_DAYS`] days from epoch day `index * BLOCK_DAYS`.
struct Block {
    /// The start of each day and of the day after the block, in seconds since the epoch: local
    /// midnight resolved as the zone does (`TimeZone::to_timestamp`, the earlier instant when
    /// midnight repeats, the instant after a gap when midnight is skipped).
    starts: Box<[i64]>,
    /// Each day's date.
    dates: Box<[Date]>,
    /// Days with no offset change from a day before they start to a day after they end: the
    /// date of every instant inside one is the day's own, so the table may answer.
    regular: Box<[bool]>,
}

impl ZoneDays {
    /// The table of `zone` (blocks are made on first use).
    pub fn new(zone: TimeZone) -> ZoneDays {
        ZoneDays {
            zone,
            blocks: (0..BLOCKS).map(|_| OnceLock::new()).collect(),
        }
    }

    /// The local date of `at`: `zone.to_datetime(at).date()`.
    pub fn date_of(&self, at: Timestamp) -> Date {
        match self.regular_day(at) {
            Some((block, idx, _)) => block.dates[idx],
            None => self.zone.to_datetime(at).date(),
        }
    }

    /// The local day of `at` in days since 1970-01-01: [`ZoneDays::date_of`] as a number.
    pub fn epoch_day_of(&self, at: Timestamp) -> i64 {
        match self.regular_day(at) {
            Some((_, _, day)) => day,
            None => epoch_day(self.zone.to_datetime(at).date()),
        }
    }

    /// Day `day` (days since 1970-01-01): its date and its end, as [`ZoneDays::end_of_day`]
    /// gives it, when the table holds the day (`None` otherwise: ask with the date).
    pub fn date_and_end(&self, day: i64) -> Option<(Date, Timestamp)> {
        let (block, idx) = self.table_day(day)?;
        // The block keeps the start of the day after its last: index 1..=BLOCK_DAYS.
        let end = Timestamp::from_second(block.starts[idx + 1]).ok()?;
        Some((block.dates[idx], end))
    }

    /// `at` moved `days` local days on at the same wall-clock time, as `Zoned::checked_add` of
    /// that many days gives it, when the table can say so exactly: both days free of offset
    /// changes and at the same offset, so the move is `days` times 24 hours. `None` otherwise
    /// (ask the zone).
    pub fn add_days(&self, at: Timestamp, days: i64) -> Option<Timestamp> {
        let (from_block, from_idx, from_day) = self.regular_day(at)?;
        let (block, idx) = self.table_day(from_day.checked_add(days)?)?;
        if !block.regular[idx] {
            return None;
        }
        let shift = block.starts[idx] - from_block.starts[from_idx];
        if shift != days.checked_mul(SECONDS_PER_DAY)? {
            return None;
        }
        at.checked_add(SignedDuration::from_secs(shift)).ok()
    }

    /// The block, index and epoch day of `at`'s local day, when it is a regular day of the
    /// table (see [`Block::regular`]).
    fn regular_day(&self, at: Timestamp) -> Option<(&Block, usize, i64)> {
        let second = at.as_second();
        // Whole seconds compare with whole-second starts as the instant does (from the epoch on,
        // where `as_second` rounds down).
        if second < 0 {
            return None;
        }
        // The local day is within two of the UTC day (offsets are under 26 hours).
        let utc_day = second.div_euclid(SECONDS_PER_DAY);
        let block_idx = utc_day.div_euclid(BLOCK_DAYS);
        let block = self.block(block_idx)?;
        let first = block_idx * BLOCK_DAYS;
        // From the UTC day, step back or on to the local day that holds the instant (at most
        // a day either way; the block's first and last days stop the steps).
        let mut idx = (utc_day - first) as usize;
        while idx > 0 && second < block.starts[idx] {
            idx -= 1;
        }
        while idx + 1 < BLOCK_DAYS as usize && second >= block.starts[idx + 1] {
            idx += 1;
        }
        let inside = block.starts[idx] <= second && second < block.starts[idx + 1];
        (inside && block.regular[idx]).then_some((block, idx, first + idx as i64))
    }

    /// The end of `day`: the start of the next day, `zone.to_timestamp(next day at midnight)`.
    pub fn end_of_day(&self, day: Date) -> Result<Timestamp, jiff::Error> {
        if let Some((block, idx)) = self.table_day(epoch_day(day)) {
            // The block keeps the start of the day after its last: index 1..=BLOCK_DAYS.
            return Timestamp::from_second(block.starts[idx + 1]);
        }
        midnight(&self.zone, day.tomorrow()?)
    }

    /// The block holding day `day` (days since 1970-01-01) and the day's index in it; `None`
    /// outside the table.
    fn table_day(&self, day: i64) -> Option<(&Block, usize)> {
        let block_idx = day.div_euclid(BLOCK_DAYS);
        let block = self.block(block_idx)?;
        Some((block, (day - block_idx * BLOCK_DAYS) as usize))
    }

    /// Block `idx`, made now if it is new; `None` outside the table (or if the zone cannot
    /// resolve one of its days, which only the extremes of jiff's range could cause).
    fn block(&self, idx: i64) -> Option<&Block> {
        let cell = self.blocks.get(usize::try_from(idx).ok()?)?;
        if let Some(block) = cell.get() {
            return Some(block);
        }
        let block = Block::new(&self.zone, idx * BLOCK_DAYS)?;
        Some(cell.get_or_init(|| block))
    }
}

impl Block {
    fn new(zone: &TimeZone, first_epoch_day: i64) -> Option<Block> {
        let n = BLOCK_DAYS as usize;
        let first = epoch_day_date(first_epoch_day)?;
        let mut dates = Vec::with_capacity(n + 1);
        let mut starts = Vec::with_capacity(n + 1);
        let mut date = first;
        for _ in 0..=n {
            dates.push(date);
            starts.push(midnight(zone, date).ok()?.as_second());
            date = date.tomorrow().ok()?;
        }
        let day = SignedDuration::from_secs(SECONDS_PER_DAY);
        let regular = (0..n)
            .map(|idx| {
                let Ok(from) = Timestamp::from_second(starts[idx]).and_then(|t| t.checked_sub(day))
                else {
                    return false;
                };
                let until = starts[idx + 1].saturating_add(SECONDS_PER_DAY);
                zone.following(from)
                    .next()
                    .is_none_or(|change| change.timestamp().as_second() >= until)
            })
            .collect();
        dates.truncate(n);
        Some(Block {
            starts: starts.into_boxed_slice(),
            dates: dates.into_boxed_slice(),
            regular,
        })
    }
}

/// Local midnight starting `day`, as the zone resolves it.
fn midnight(zone: &TimeZone, day: Date) -> Result<Timestamp, jiff::Error> {
    zone.to_timestamp(day.to_datetime(Time::midnight()))
}

impl fmt::Debug for ZoneDays {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ZoneDays")
            .field("zone", &self.zone.iana_name())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::ToSpan;

    /// Zones whose offsets change in every way the table must step around: DST at 2 am, changes
    /// at midnight (Santiago, Havana, Gaza), half-hour DST (Lord Howe), a skipped day (Apia,
    /// 2011-12-30), and none at all.
    const ZONES: [&str; 7] = [
        "America/Los_Angeles",
        "America/Santiago",
        "America/Havana",
        "Asia/Gaza",
        "Australia/Lord_Howe",
        "Pacific/Apia",
        "UTC",
    ];

    /// Calls `check` with each zone of [`ZONES`], its table and every `step` from `first_second`
    /// to 2045.
    fn sweep(
        first_second: i64,
        step: SignedDuration,
        mut check: impl FnMut(&str, &TimeZone, &ZoneDays, Timestamp),
    ) {
        let end = Timestamp::from_second(2_366_841_600).expect("in range");
        for name in ZONES {
            let zone = TimeZone::get(name).expect("bundled");
            let days = ZoneDays::new(zone.clone());
            let mut at = Timestamp::from_second(first_second).expect("in range");
            while at < end {
                check(name, &zone, &days, at);
                at = at.checked_add(step).expect("in range");
            }
        }
    }

    #[test]
    fn dates_agree_with_the_zone() {
        // Every 211 minutes and 13 seconds from 1969 to 2045: every time of day, both sides of
        // every change, and the table's edges.
        let step = SignedDuration::from_secs(211 * 60 + 13);
        sweep(-40 * 86_400, step, |name, zone, days, at| {
            assert_eq!(days.date_of(at), zone.to_datetime(at).date(), "{name} {at}");
            assert_eq!(
                days.epoch_day_of(at),
                epoch_day(zone.to_datetime(at).date()),
                "{name} {at}"
            );
            let before = at
                .checked_sub(SignedDuration::from_nanos(1))
                .expect("in range");
            assert_eq!(days.date_of(before), zone.to_datetime(before).date());
        });
    }

    #[test]
    fn day_ends_agree_with_the_zone() {
        for name in ZONES {
            let zone = TimeZone::get(name).expect("bundled");
            let days = ZoneDays::new(zone.clone());
            let mut day = Date::constant(1969, 11, 1);
            while day < Date::constant(2046, 1, 1) {
                assert_eq!(
                    days.end_of_day(day).expect("in range"),
                    midnight(&zone, day.tomorrow().expect("in range")).expect("in range"),
                    "{name} {day}"
                );
                if let Some((date, end)) = days.date_and_end(epoch_day(day)) {
                    assert_eq!(date, day, "{name}");
                    assert_eq!(end, days.end_of_day(day).expect("in range"), "{name} {day}");
                } else {
                    assert!(day < Date::constant(1970, 1, 1), "{name} {day}");
                }
                day = day.tomorrow().expect("in range");
            }
        }
    }

    #[test]
    fn the_table_answers_all_but_the_days_near_a_change() {
        let zone = TimeZone::get("America/Los_Angeles").expect("bundled");
        let days = ZoneDays::new(zone);
        // 2025: two changes, each making three days irregular (the day before, of and after).
        let (first, last) = (
            epoch_day(Date::constant(2025, 1, 1)),
            epoch_day(Date::constant(2025, 12, 31)),
        );
        let irregular = (first..=last)
            .filter(|day| {
                let block = days.block(day / BLOCK_DAYS).expect("in the table");
                !block.regular[(day % BLOCK_DAYS) as usize]
            })
            .count();
        assert!((2..=8).contains(&irregular), "{irregular} irregular days");
        assert!(days.block(BLOCKS as i64).is_none());
    }

    #[test]
    fn days_added_agree_with_the_zone() {
        let mut answered = 0;
        let step = SignedDuration::from_secs(311 * 60 + 7);
        sweep(-10 * 86_400, step, |name, zone, days, at| {
            for n in [1, 7, 14] {
                if let Some(moved) = days.add_days(at, n) {
                    let expected = at
                        .to_zoned(zone.clone())
                        .checked_add(n.days())
                        .expect("in range")
                        .timestamp();
                    assert_eq!(moved, expected, "{name} {at} + {n} days");
                    answered += 1;
                }
            }
        });
        // Most instants are answered by the table (about 380,000 per zone are asked).
        assert!(
            answered > ZONES.len() * 300_000,
            "the table answered {answered}"
        );
    }

    #[test]
    fn transitions_at_the_instants_around_them() {
        // Each change's instant and the instants next to it, where a table would go wrong first.
        for name in ZONES {
            let zone = TimeZone::get(name).expect("bundled");
            let days = ZoneDays::new(zone.clone());
            let from = Timestamp::from_second(0).expect("in range");
            for change in zone.following(from).take(400) {
                for delta in [-86_400, -3_601, -1, 0, 1, 3_599, 86_399] {
                    let Ok(at) = change
                        .timestamp()
                        .checked_add(SignedDuration::from_secs(delta))
                    else {
                        continue;
                    };
                    assert_eq!(days.date_of(at), zone.to_datetime(at).date(), "{name} {at}");
                    for n in [-7, 1, 7] {
                        if let Some(moved) = days.add_days(at, n) {
                            let zoned = at.to_zoned(zone.clone()).checked_add(n.days());
                            assert_eq!(moved, zoned.expect("in range").timestamp(), "{name} {at}");
                        }
                    }
                }
            }
        }
    }
}
