//! The clinic's booking over expected no-shows ([`crate::scenario::Overbooking`]).
//!
//! The rule, in the form LaGanga and Lawrence study (Decision Sciences 2007;38(2):251-276) and
//! Huang and Hanauer refine (Appl Clin Inform 2014;5(3):836-860: overbook the slot of the patient
//! most likely to miss): a clinician's day takes as many appointments on top of others as its
//! booked appointments' expected no-shows round down to. A booked appointment's chance of a
//! no-show is the scenario's own lead-time curve, the one the visits are drawn from; appointments
//! on top of others are not counted in it. Nothing here is a fitted amount: the number of guests
//! follows from the curve and the calendar.
//!
//! The tally keeps, per internal non-physician clinician and local day, the sum of those chances,
//! the guests booked, and the live appointments that could carry one, updated as the run books
//! and cancels. A return that would otherwise wait past a day with room then asks only the
//! treating clinician's days between its cadence and its free slot, never their whole calendar.

use caretime_core::id::{AppointmentId, ClinicianId};
use caretime_core::region::{Affiliation, Discipline, Region};
use jiff::Timestamp;

/// Chances are kept in millionths, so sums and differences are exact.
const PPM: f64 = 1_000_000.0;
/// The appointments a day keeps as candidates to carry a guest (a clinician's direct time holds
/// about six a day); more still count in the day's expected no-shows.
const SLOTS: usize = 8;
/// Set in a slot's chance once it carries a guest (a host carries one, ever).
const CARRIES: u32 = 1 << 31;
const NO_ROW: u32 = u32::MAX;

#[derive(Clone, Copy, Debug, Default)]
struct Slot {
    id: u32,
    /// Millionths, with [`CARRIES`] set once it has a guest.
    chance: u32,
}

/// One clinician-day's sums: eight bytes, so that a return's search over its therapist's days
/// reads a cache line for eight days.
#[derive(Clone, Copy, Debug, Default)]
struct Room {
    /// The booked appointments' chances of a no-show, in millionths.
    expected: u32,
    guests: u16,
    /// Candidates in the day's [`Slots`].
    len: u16,
}

impl Room {
    fn has_room(&self) -> bool {
        u64::from(self.expected) / PPM as u64 > u64::from(self.guests)
    }
}

/// One clinician-day's candidates to carry a guest, in booking order: one cache line, read only
/// for a day with room (and by each booking and cancellation of the day).
#[derive(Clone, Copy, Debug, Default)]
#[repr(align(64))]
struct Slots([Slot; SLOTS]);

/// Expected no-shows, guests and candidate hosts per internal therapist and day (empty when the
/// clinic does not overbook: every call is then a no-op).
#[derive(Clone, Debug, Default)]
pub(crate) struct Tally {
    /// The first day's local midnight, in seconds since the Unix epoch. A day is 86,400 seconds
    /// from there: a daylight-saving change moves the boundary an hour off midnight, where no
    /// clinic books.
    origin: i64,
    days: usize,
    /// Each clinician's row (by clinician index), [`NO_ROW`] for those not counted.
    rows: Vec<u32>,
    /// By row, then day.
    rooms: Vec<Room>,
    slots: Vec<Slots>,
}

impl Tally {
    /// A tally over `days` days from `origin` (a local midnight) for the region's internal
    /// non-physician clinicians; `on: false` keeps none.
    pub(crate) fn new(region: &Region, origin: Timestamp, days: usize, on: bool) -> Tally {
        if !on {
            return Tally::default();
        }
        let mut n_rows = 0u32;
        let rows = region
            .clinicians
            .iter()
            .map(|clinician| {
                if clinician.affiliation == Affiliation::Internal
                    && clinician.discipline != Discipline::Psychiatrist
                {
                    n_rows += 1;
                    n_rows - 1
                } else {
                    NO_ROW
                }
            })
            .collect();
        Tally {
            origin: origin.as_second(),
            days,
            rows,
            rooms: vec![Room::default(); n_rows as usize * days],
            slots: vec![Slots::default(); n_rows as usize * days],
        }
    }

    /// Whether the clinic overbooks at all.
    pub(crate) fn is_on(&self) -> bool {
        !self.rooms.is_empty()
    }

    /// The day `at` falls in, if within the tally.
    fn day(&self, at: Timestamp) -> Option<usize> {
        let day = (at.as_second() - self.origin).div_euclid(86_400);
        usize::try_from(day).ok().filter(|&day| day < self.days)
    }

    /// The clinician-day's sums and candidates.
    fn cell_mut(
        &mut self,
        clinician: ClinicianId,
        start: Timestamp,
    ) -> Option<(&mut Room, &mut [Slot; SLOTS])> {
        let idx = self.cell(clinician, start)?;
        Some((self.rooms.get_mut(idx)?, &mut self.slots.get_mut(idx)?.0))
    }

    /// The index of the clinician-day `start` falls in, if the tally counts both.
    fn cell(&self, clinician: ClinicianId, start: Timestamp) -> Option<usize> {
        let row = *self.rows.get(clinician.index())?;
        if row == NO_ROW {
            return None;
        }
        Some(row as usize * self.days + self.day(start)?)
    }

    /// Asks for the clinician-day's sums and candidates, which booking there will change
    /// ([`caretime_hint::prefetch`]: reads and changes nothing).
    pub(crate) fn prefetch(&self, clinician: ClinicianId, start: Timestamp) {
        if let Some(idx) = self.cell(clinician, start)
            && let (Some(room), Some(slots)) = (self.rooms.get(idx), self.slots.get(idx))
        {
            caretime_hint::prefetch(room);
            caretime_hint::prefetch(slots);
        }
    }

    /// A booked appointment (not on top of another) with its chance of a no-show.
    pub(crate) fn booked(
        &mut self,
        id: AppointmentId,
        clinician: ClinicianId,
        start: Timestamp,
        chance: f64,
    ) {
        let chance = ppm(chance);
        let Some((room, slots)) = self.cell_mut(clinician, start) else {
            return;
        };
        room.expected += chance;
        if usize::from(room.len) < SLOTS {
            slots[usize::from(room.len)] = Slot { id: id.0, chance };
            room.len += 1;
        }
    }

    /// A guest booked on top of `host`.
    pub(crate) fn guest(&mut self, host: AppointmentId, clinician: ClinicianId, start: Timestamp) {
        let Some((room, slots)) = self.cell_mut(clinician, start) else {
            return;
        };
        room.guests += 1;
        let len = usize::from(room.len);
        if let Some(slot) = slots[..len].iter_mut().find(|slot| slot.id == host.0) {
            slot.chance |= CARRIES;
        }
    }

    /// A booked appointment cancelled (with the chance it was counted with), or a guest
    /// (`guest`) cancelled.
    pub(crate) fn cancelled(
        &mut self,
        id: AppointmentId,
        clinician: ClinicianId,
        start: Timestamp,
        chance: f64,
        guest: bool,
    ) {
        let chance = ppm(chance);
        let Some((room, slots)) = self.cell_mut(clinician, start) else {
            return;
        };
        if guest {
            room.guests = room.guests.saturating_sub(1);
            return;
        }
        room.expected = room.expected.saturating_sub(chance);
        let len = usize::from(room.len);
        if let Some(at) = slots[..len].iter().position(|slot| slot.id == id.0) {
            // Order kept, so ties between hosts go the same way on every run.
            slots.copy_within(at + 1..len, at);
            room.len -= 1;
        }
    }

    /// The appointment of `clinician` to book a guest on top of: on the first day from `from`'s
    /// to the day before `before`'s with room, the candidate with the highest chance of a
    /// no-show (the earliest booked among equals) that `fits` (the caller checks its start).
    pub(crate) fn host(
        &self,
        clinician: ClinicianId,
        from: Timestamp,
        before: Timestamp,
        mut fits: impl FnMut(AppointmentId) -> bool,
    ) -> Option<AppointmentId> {
        let row = *self.rows.get(clinician.index())?;
        if row == NO_ROW {
            return None;
        }
        let first = self.day(from)?;
        let last = self.day(before).unwrap_or(self.days);
        let base = row as usize * self.days;
        for day in first..last.max(first) {
            let room = &self.rooms[base + day];
            if !room.has_room() {
                continue;
            }
            let mut best: Option<Slot> = None;
            for slot in &self.slots[base + day].0[..usize::from(room.len)] {
                if slot.chance & CARRIES != 0
                    || best.is_some_and(|best| best.chance >= slot.chance)
                    || !fits(AppointmentId(slot.id))
                {
                    continue;
                }
                best = Some(*slot);
            }
            if let Some(best) = best {
                return Some(AppointmentId(best.id));
            }
        }
        None
    }
}

fn ppm(chance: f64) -> u32 {
    (chance.clamp(0.0, 1.0) * PPM).round() as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three clinicians' worth of rows is enough: the tally only reads each clinician's
    /// affiliation and discipline.
    fn tally() -> Tally {
        let origin: Timestamp = "2025-12-01T08:00:00Z".parse().expect("valid");
        Tally {
            origin: origin.as_second(),
            days: 3,
            rows: vec![0, NO_ROW],
            rooms: vec![Room::default(); 3],
            slots: vec![Slots::default(); 3],
        }
    }

    fn at(hours: i64) -> Timestamp {
        let origin: Timestamp = "2025-12-01T08:00:00Z".parse().expect("valid");
        origin + jiff::SignedDuration::from_hours(hours)
    }

    #[test]
    fn a_day_has_room_for_its_expected_no_shows_rounded_down() {
        let mut tally = tally();
        let me = ClinicianId(0);
        // Day 1: three appointments at 0.3, 0.4 and 0.4: 1.1 expected, room for one guest.
        tally.booked(AppointmentId(1), me, at(33), 0.3);
        tally.booked(AppointmentId(2), me, at(34), 0.4);
        tally.booked(AppointmentId(3), me, at(35), 0.4);
        // From day 0 to before day 2: day 0 has nothing, day 1 offers the earliest-booked of
        // the two at 0.4.
        assert_eq!(
            tally.host(me, at(0), at(50), |_| true),
            Some(AppointmentId(2))
        );
        // Not before day 2's start: nothing found before it.
        assert_eq!(tally.host(me, at(0), at(30), |_| true), None);
        // The caller's check skips one: the other at 0.4 is next.
        assert_eq!(
            tally.host(me, at(0), at(50), |id| id != AppointmentId(2)),
            Some(AppointmentId(3))
        );
        // A guest on it: 1.1 expected rounds down to one, which is taken.
        tally.guest(AppointmentId(2), me, at(34));
        assert_eq!(tally.host(me, at(0), at(50), |_| true), None);
        // The guest cancelled: room again, but appointment 2 carries one for good.
        tally.cancelled(AppointmentId(9), me, at(34), 0.2, true);
        assert_eq!(
            tally.host(me, at(0), at(50), |_| true),
            Some(AppointmentId(3))
        );
        // Appointment 3 cancelled: 0.7 expected, no room.
        tally.cancelled(AppointmentId(3), me, at(35), 0.4, false);
        assert_eq!(tally.host(me, at(0), at(50), |_| true), None);
        // A clinician not counted, and instants outside the days, are no-ops (prefetches too).
        tally.prefetch(me, at(34));
        tally.prefetch(me, at(-1));
        tally.prefetch(ClinicianId(1), at(33));
        tally.prefetch(ClinicianId(7), at(33));
        tally.booked(AppointmentId(4), ClinicianId(1), at(33), 0.9);
        tally.booked(AppointmentId(5), me, at(-1), 0.9);
        tally.booked(AppointmentId(6), me, at(80), 0.9);
        assert_eq!(tally.host(me, at(0), at(80), |_| true), None);
        assert_eq!(tally.host(ClinicianId(1), at(0), at(80), |_| true), None);
    }

    #[test]
    fn an_empty_tally_does_nothing() {
        let mut tally = Tally::default();
        assert!(!tally.is_on());
        tally.booked(AppointmentId(1), ClinicianId(0), at(1), 0.9);
        assert_eq!(tally.host(ClinicianId(0), at(0), at(5), |_| true), None);
    }
}
