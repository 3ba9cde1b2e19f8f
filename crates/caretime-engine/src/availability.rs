//! The index of bookable time.
//!
//! Each clinician's weekly [`Template`] is expanded over a horizon of dates into concrete free
//! intervals, in instants: `direct` blocks and `urgent-hold` blocks, on the dates the clinician's
//! facility is open (no holiday, no closure) and the clinician is not on leave. Protected,
//! meeting, group and break blocks never become free time, so nothing can book them. Adjacent
//! blocks of the same kind merge; an appointment must fit inside one free interval, so it never
//! spans a direct and an urgent-hold block.
//!
//! Time is counted in whole [`Minute`]s since the Unix epoch, and appointments start on the
//! 15-minute grid ([`GRID_MINUTES`]); wall times are converted with the clinician's zone, so a
//! 09:00 block stays at 09:00 local time across a DST change.

use caretime_core::calendar::{BusinessCalendar, DayOff};
use caretime_core::id::ClinicianId;
use caretime_core::template::{BlockKind, Template};
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
    /// A reservation of time that is not free in one piece.
    #[error("{clinician} is not free for that time")]
    NotFree {
        /// The clinician.
        clinician: ClinicianId,
    },
    /// A clinician the index does not know.
    #[error("{0} is not in the availability index")]
    UnknownClinician(ClinicianId),
}

/// What a clinician's week looks like and when it does not apply.
#[derive(Clone, Debug)]
pub struct Schedule {
    /// Whose schedule.
    pub clinician: ClinicianId,
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

/// What kind of free time an interval is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FreeKind {
    /// Ordinary appointment time.
    Direct,
    /// Held for urgent requests until the release time before it, then open to all.
    UrgentHold,
}

/// Whether a request is urgent, which decides access to urgent-hold time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Urgency {
    /// May use urgent-hold time at any time.
    Urgent,
    /// May use urgent-hold time only once it is released.
    Routine,
}

/// A free interval: `start < end`, both on the grid when the template is.
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

/// Bookable time per clinician.
#[derive(Clone, Debug)]
pub struct Availability {
    clinicians: Vec<ClinicianId>,
    free: Vec<Vec<FreeInterval>>,
    urgent_hold_release_minutes: i64,
}

impl Availability {
    /// Expands every schedule over `horizon`. Urgent-hold time opens to routine requests
    /// `urgent_hold_release_minutes` before it starts.
    pub fn build(
        schedules: &[Schedule],
        horizon: Horizon,
        urgent_hold_release_minutes: i64,
    ) -> Result<Availability, AvailabilityError> {
        let mut order: Vec<usize> = (0..schedules.len()).collect();
        order.sort_by_key(|&idx| schedules[idx].clinician);
        let mut clinicians = Vec::with_capacity(schedules.len());
        let mut free = Vec::with_capacity(schedules.len());
        for idx in order {
            let schedule = &schedules[idx];
            if clinicians.last() == Some(&schedule.clinician) {
                return Err(AvailabilityError::DuplicateClinician(schedule.clinician));
            }
            clinicians.push(schedule.clinician);
            free.push(expand(schedule, horizon)?);
        }
        Ok(Availability {
            clinicians,
            free,
            urgent_hold_release_minutes,
        })
    }

    fn slot_of(&self, clinician: ClinicianId) -> Result<usize, AvailabilityError> {
        self.clinicians
            .binary_search(&clinician)
            .map_err(|_| AvailabilityError::UnknownClinician(clinician))
    }

    /// The clinician's free intervals, in time order.
    pub fn free(&self, clinician: ClinicianId) -> Result<&[FreeInterval], AvailabilityError> {
        Ok(&self.free[self.slot_of(clinician)?])
    }

    /// Whether a request of `urgency` may use `interval` at `now`.
    fn may_use(
        &self,
        interval: &FreeInterval,
        start: Minute,
        urgency: Urgency,
        now: Minute,
    ) -> bool {
        match (interval.kind, urgency) {
            (FreeKind::Direct, _) | (FreeKind::UrgentHold, Urgency::Urgent) => true,
            (FreeKind::UrgentHold, Urgency::Routine) => {
                now.0 >= start.0 - self.urgent_hold_release_minutes
            }
        }
    }

    /// The earliest grid start at or after `not_before` where `length` minutes fit inside one
    /// free interval the request may use at `now`; `None` when nothing fits in the horizon.
    pub fn earliest(
        &self,
        clinician: ClinicianId,
        not_before: Minute,
        length: u32,
        urgency: Urgency,
        now: Minute,
    ) -> Result<Option<Minute>, AvailabilityError> {
        let free = self.free(clinician)?;
        let length = i64::from(length);
        // Intervals are sorted and disjoint: skip those that end before the earliest start.
        let first = free.partition_point(|interval| interval.end <= not_before);
        for interval in &free[first..] {
            let start = Minute(interval.start.0.max(not_before.0)).ceil_to_grid();
            if start.0 + length <= interval.end.0 && self.may_use(interval, start, urgency, now) {
                return Ok(Some(start));
            }
        }
        Ok(None)
    }

    /// Takes `[start, start + length)` out of the clinician's free time; it must lie inside one
    /// free interval.
    pub fn reserve(
        &mut self,
        clinician: ClinicianId,
        start: Minute,
        length: u32,
    ) -> Result<(), AvailabilityError> {
        let slot = self.slot_of(clinician)?;
        let free = &mut self.free[slot];
        let end = Minute(start.0 + i64::from(length));
        let idx = free.partition_point(|interval| interval.end <= start);
        let Some(interval) = free.get(idx).copied() else {
            return Err(AvailabilityError::NotFree { clinician });
        };
        if length == 0 || interval.start > start || interval.end < end {
            return Err(AvailabilityError::NotFree { clinician });
        }
        let before = FreeInterval {
            end: start,
            ..interval
        };
        let after = FreeInterval {
            start: end,
            ..interval
        };
        let pieces: Vec<FreeInterval> = [before, after]
            .into_iter()
            .filter(|piece| piece.start < piece.end)
            .collect();
        free.splice(idx..=idx, pieces);
        Ok(())
    }
}

fn expand(schedule: &Schedule, horizon: Horizon) -> Result<Vec<FreeInterval>, AvailabilityError> {
    let mut intervals = Vec::new();
    let mut date = horizon.first;
    while date <= horizon.last {
        let closed = matches!(
            schedule.calendar.day_off(date),
            Some(DayOff::Holiday(_) | DayOff::Closure)
        );
        let on_leave = schedule
            .leave
            .iter()
            .any(|(first, last)| (*first..=*last).contains(&date));
        if !closed && !on_leave {
            for block in schedule
                .template
                .blocks
                .iter()
                .filter(|block| block.day == date.weekday())
            {
                let kind = match block.kind {
                    BlockKind::Direct => FreeKind::Direct,
                    BlockKind::UrgentHold => FreeKind::UrgentHold,
                    BlockKind::Protected
                    | BlockKind::Group
                    | BlockKind::Meeting
                    | BlockKind::Break => continue,
                };
                let at = |time| -> Result<Minute, AvailabilityError> {
                    let zoned = date.to_datetime(time).to_zoned(schedule.time_zone.clone());
                    Ok(Minute::from_timestamp(
                        zoned
                            .map_err(|_| AvailabilityError::OutOfRange)?
                            .timestamp(),
                    ))
                };
                intervals.push(FreeInterval {
                    start: at(block.range.start())?,
                    end: at(block.range.end())?,
                    kind,
                });
            }
        }
        date = date.tomorrow().map_err(|_| AvailabilityError::OutOfRange)?;
    }
    intervals.sort_by_key(|interval| (interval.start, interval.end));
    let mut merged: Vec<FreeInterval> = Vec::with_capacity(intervals.len());
    for interval in intervals {
        match merged.last_mut() {
            Some(last) if interval.start < last.end => {
                return Err(AvailabilityError::OverlappingBlocks(schedule.clinician));
            }
            Some(last) if interval.start == last.end && interval.kind == last.kind => {
                last.end = interval.end
            }
            _ => merged.push(interval),
        }
    }
    Ok(merged)
}
