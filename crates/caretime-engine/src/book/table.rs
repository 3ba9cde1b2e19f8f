//! The book's appointments, stored compactly, the fields events read apart from the rest.
//!
//! An [`Appointment`] as callers see it is 240 bytes, most of them instants: jiff's `Timestamp`
//! is 16 bytes (a second and a nanosecond, aligned) and an optional one 24. A year of a
//! full-scale region books 2.7 million appointments, 650 MB at that size, each written once in
//! memory the process touches for the first time (the kernel clears every new page) and read
//! back at random by the events that follow, which mostly want its brief: who, when, how long,
//! its status. So the table keeps two lists: the briefs ([`AppointmentBrief`], read as they are,
//! one to a cache line) and the rest of each appointment (112 bytes), where an instant is its
//! second since the Unix epoch in 8 bytes and the sub-second part, which the engine never makes,
//! is kept aside for the appointments that have one. A status change reads and writes only the
//! brief unless the appointment has an expiry or a cancellation (a visit's attendance, most
//! changes, never touches the rest). An appointment's id is its index. Reading a whole
//! appointment puts the two back together into an [`Appointment`] equal to the one stored.

use std::collections::HashMap;

use caretime_core::id::{AppointmentId, ClinicianId, FacilityId};
use caretime_core::region::{Language, Modality};
use caretime_core::request::{Preferences, Request, RequestKind};
use caretime_hint::prefetch;
use jiff::Timestamp;
use jiff::civil::Date;

use super::{
    Appointment, AppointmentBrief, AppointmentStatus, Cancellation, CancellationReason,
    CancelledBy, OfferRecord,
};
use crate::find::{Route, Timeliness};

/// The second of an absent instant (below jiff's earliest, about 9,999 years before the epoch).
const NONE: i64 = i64::MIN;

/// Which instant of the rest of an appointment a sub-second part belongs to.
#[derive(Clone, Copy, Debug)]
enum Instant {
    Deadline,
    OfferedStart,
    PriorAppointment,
    Expires,
    CancelledAt,
}

/// The sub-second parts of one appointment's instants, in nanoseconds, by [`Instant`].
type SubSeconds = [i32; 5];

/// The rest of an appointment: what its brief does not hold.
#[derive(Clone, Debug)]
struct Rest {
    deadline: i64,
    offered_start: i64,
    prior_appointment: i64,
    expires: i64,
    cancelled_at: i64,
    facility: FacilityId,
    offered_clinician: ClinicianId,
    treating_clinician: Option<ClinicianId>,
    replaces: Option<AppointmentId>,
    timeliness: Timeliness,
    preferences: Preferences,
    clinical_exception: Option<Date>,
    interpreter: Option<Language>,
    kind: RequestKind,
    modality: Modality,
    route: Route,
    cancellation: Option<(CancellationReason, CancelledBy)>,
}

/// An appointment's brief, one to a cache line.
#[derive(Clone, Copy, Debug)]
#[repr(align(64))]
struct Hot {
    brief: AppointmentBrief,
    /// Whether the rest holds an expiry or a cancellation (else a status change need not read
    /// it).
    expiry_or_cancellation: bool,
    /// Whether it is booked on top of another ([`Table::host_of`] says which).
    overbooks: bool,
}

/// A list in fixed blocks that are never moved: a block is allocated whole when the one before
/// fills (aligned as `T` asks, which a growing `Vec` would have to copy to a new allocation at
/// every doubling, for an alignment above the allocator's), and an element never changes
/// address.
/// Every block but the last is full.
#[derive(Clone, Debug)]
struct Blocks<T> {
    blocks: Vec<Vec<T>>,
}

impl<T> Default for Blocks<T> {
    fn default() -> Blocks<T> {
        Blocks { blocks: Vec::new() }
    }
}

impl<T> Blocks<T> {
    /// Elements a block holds (a MiB of 64-byte elements).
    const BLOCK: usize = 1 << 14;

    fn len(&self) -> usize {
        self.blocks
            .last()
            .map_or(0, |last| (self.blocks.len() - 1) * Self::BLOCK + last.len())
    }

    fn push(&mut self, value: T) {
        match self.blocks.last_mut() {
            Some(block) if block.len() < Self::BLOCK => block.push(value),
            _ => {
                let mut block = Vec::with_capacity(Self::BLOCK);
                block.push(value);
                self.blocks.push(block);
            }
        }
    }

    fn pop(&mut self) -> Option<T> {
        let block = self.blocks.last_mut()?;
        let value = block.pop()?;
        if block.is_empty() {
            self.blocks.pop();
        }
        Some(value)
    }

    #[inline]
    fn get(&self, index: usize) -> Option<&T> {
        self.blocks
            .get(index / Self::BLOCK)?
            .get(index % Self::BLOCK)
    }

    #[inline]
    fn get_mut(&mut self, index: usize) -> Option<&mut T> {
        self.blocks
            .get_mut(index / Self::BLOCK)?
            .get_mut(index % Self::BLOCK)
    }

    fn iter(&self) -> impl Iterator<Item = &T> + '_ {
        self.blocks.iter().flatten()
    }
}

impl<T> std::ops::Index<usize> for Blocks<T> {
    type Output = T;

    /// Element `index`; panics past the end, as a slice does.
    fn index(&self, index: usize) -> &T {
        self.get(index).expect("an index below the list's length")
    }
}

/// Every appointment of a book, by id.
#[derive(Clone, Debug, Default)]
pub(super) struct Table {
    hot: Blocks<Hot>,
    rests: Vec<Rest>,
    /// The sub-second parts of the rests that have any, by index (looked up, never iterated).
    sub_seconds: HashMap<u32, SubSeconds>,
    /// The host of each appointment booked on top of another, by index (few have one: looked up
    /// only for those whose brief says so).
    hosts: HashMap<u32, AppointmentId>,
}

impl Table {
    pub(super) fn len(&self) -> usize {
        self.hot.len()
    }

    /// Adds `appointment` as the next one (its id is taken to be the next index).
    pub(super) fn push(&mut self, appointment: &Appointment) {
        let index = self.hot.len() as u32;
        let request = &appointment.request;
        let offered = &appointment.offered;
        let cancellation = appointment.cancellation;
        let mut parts = [0; 5];
        let mut second = |instant: Instant, at: Option<Timestamp>| -> i64 {
            at.map_or(NONE, |at| {
                parts[instant as usize] = at.subsec_nanosecond();
                at.as_second()
            })
        };
        let rest = Rest {
            deadline: second(Instant::Deadline, Some(appointment.deadline)),
            offered_start: second(Instant::OfferedStart, Some(offered.start)),
            prior_appointment: second(Instant::PriorAppointment, request.prior_appointment),
            expires: second(Instant::Expires, appointment.expires),
            cancelled_at: second(Instant::CancelledAt, cancellation.map(|c| c.at)),
            facility: appointment.facility,
            offered_clinician: offered.clinician,
            treating_clinician: request.treating_clinician,
            replaces: appointment.replaces,
            timeliness: offered.timeliness,
            preferences: request.preferences,
            clinical_exception: request.clinical_exception,
            interpreter: appointment.interpreter,
            kind: request.kind,
            modality: appointment.modality,
            route: appointment.route,
            cancellation: cancellation.map(|c| (c.reason, c.by)),
        };
        if parts != [0; 5] {
            self.sub_seconds.insert(index, parts);
        }
        self.hot.push(Hot {
            brief: AppointmentBrief {
                request: request.id,
                member: request.member,
                clinician: appointment.clinician,
                requested: request.requested,
                start: appointment.start,
                length: appointment.length,
                time: appointment.time,
                status: appointment.status,
            },
            expiry_or_cancellation: appointment.expires.is_some() || cancellation.is_some(),
            overbooks: appointment.overbooks.is_some(),
        });
        if let Some(host) = appointment.overbooks {
            self.hosts.insert(index, host);
        }
        self.rests.push(rest);
    }

    /// Takes the last appointment off.
    pub(super) fn pop(&mut self) -> Option<Appointment> {
        let last = AppointmentId(self.hot.len().checked_sub(1)? as u32);
        let appointment = self.get(last);
        self.hot.pop();
        self.rests.pop();
        self.sub_seconds.remove(&last.0);
        self.hosts.remove(&last.0);
        appointment
    }

    /// The appointment, put together.
    pub(super) fn get(&self, id: AppointmentId) -> Option<Appointment> {
        let hot = self.hot.get(id.index())?;
        let rest = self.rests.get(id.index())?;
        Some(self.decode(id, hot, rest))
    }

    /// Every appointment in id order, put together.
    pub(super) fn iter(
        &self,
    ) -> impl ExactSizeIterator<Item = Appointment> + DoubleEndedIterator + '_ {
        // `hot` and `rests` have the same length (pushed and popped together).
        (0..self.len()).map(|index| {
            self.decode(
                AppointmentId(index as u32),
                &self.hot[index],
                &self.rests[index],
            )
        })
    }

    /// The appointment `id` is booked on top of, if any.
    pub(super) fn host_of(&self, id: AppointmentId) -> Option<AppointmentId> {
        if !self.hot.get(id.index())?.overbooks {
            return None;
        }
        self.hosts.get(&id.0).copied()
    }

    /// The appointment's brief.
    pub(super) fn brief(&self, id: AppointmentId) -> Option<AppointmentBrief> {
        self.hot.get(id.index()).map(|hot| hot.brief)
    }

    /// Every brief, in id order.
    pub(super) fn briefs(&self) -> impl Iterator<Item = &AppointmentBrief> + '_ {
        self.hot.iter().map(|hot| &hot.brief)
    }

    /// The appointment's cancellation and expiry (what a status change may overwrite), read
    /// from the rest only when it has either.
    pub(super) fn cancellation_and_expiry(
        &self,
        id: AppointmentId,
    ) -> Option<(Option<Cancellation>, Option<Timestamp>)> {
        if !self.hot.get(id.index())?.expiry_or_cancellation {
            return Some((None, None));
        }
        let rest = self.rests.get(id.index())?;
        let parts = self.sub_seconds_of(id.0);
        Some((
            cancellation(parts, rest),
            instant(parts, Instant::Expires, rest.expires),
        ))
    }

    /// Sets the appointment's status, cancellation and expiry; `false` for an unknown id.
    pub(super) fn set_status(
        &mut self,
        id: AppointmentId,
        status: AppointmentStatus,
        cancellation: Option<Cancellation>,
        expires: Option<Timestamp>,
    ) -> bool {
        let Some(hot) = self.hot.get_mut(id.index()) else {
            return false;
        };
        hot.brief.status = status;
        let had = hot.expiry_or_cancellation;
        hot.expiry_or_cancellation = cancellation.is_some() || expires.is_some();
        if !had && !hot.expiry_or_cancellation {
            // Nothing to write or clear in the rest.
            return true;
        }
        let Some(rest) = self.rests.get_mut(id.index()) else {
            return false;
        };
        rest.cancellation = cancellation.map(|c| (c.reason, c.by));
        rest.cancelled_at = cancellation.map_or(NONE, |c| c.at.as_second());
        rest.expires = expires.map_or(NONE, Timestamp::as_second);
        self.set_sub_second(id.0, Instant::CancelledAt, cancellation.map(|c| c.at));
        self.set_sub_second(id.0, Instant::Expires, expires);
        true
    }

    /// Asks for the appointment's brief to be brought into cache ([`prefetch`]).
    pub(super) fn prefetch(&self, id: AppointmentId) {
        if let Some(hot) = self.hot.get(id.index()) {
            prefetch(hot);
        }
    }

    fn set_sub_second(&mut self, index: u32, instant: Instant, at: Option<Timestamp>) {
        let nanos = at.map_or(0, Timestamp::subsec_nanosecond);
        if let Some(parts) = self.sub_seconds.get_mut(&index) {
            parts[instant as usize] = nanos;
            if *parts == [0; 5] {
                self.sub_seconds.remove(&index);
            }
        } else if nanos != 0 {
            let mut parts = [0; 5];
            parts[instant as usize] = nanos;
            self.sub_seconds.insert(index, parts);
        }
    }

    /// The sub-second parts of an appointment's instants, if it has any (none in a simulation:
    /// the map stays empty and is never hashed into).
    #[inline]
    fn sub_seconds_of(&self, index: u32) -> Option<&SubSeconds> {
        if self.sub_seconds.is_empty() {
            None
        } else {
            self.sub_seconds.get(&index)
        }
    }

    fn decode(&self, id: AppointmentId, hot: &Hot, rest: &Rest) -> Appointment {
        let brief = &hot.brief;
        let parts = self.sub_seconds_of(id.0);
        // Every appointment has a deadline and an offered start.
        let given =
            |which: Instant, second: i64| instant(parts, which, second).unwrap_or(Timestamp::MIN);
        Appointment {
            id,
            request: Request {
                id: brief.request,
                member: brief.member,
                kind: rest.kind,
                requested: brief.requested,
                prior_appointment: instant(
                    parts,
                    Instant::PriorAppointment,
                    rest.prior_appointment,
                ),
                clinical_exception: rest.clinical_exception,
                treating_clinician: rest.treating_clinician,
                preferences: rest.preferences,
            },
            deadline: given(Instant::Deadline, rest.deadline),
            offered: OfferRecord {
                clinician: rest.offered_clinician,
                start: given(Instant::OfferedStart, rest.offered_start),
                timeliness: rest.timeliness,
            },
            clinician: brief.clinician,
            facility: rest.facility,
            start: brief.start,
            length: brief.length,
            time: brief.time,
            modality: rest.modality,
            interpreter: rest.interpreter,
            route: rest.route,
            status: brief.status,
            expires: instant(parts, Instant::Expires, rest.expires),
            cancellation: cancellation(parts, rest),
            replaces: rest.replaces,
            overbooks: if hot.overbooks {
                self.hosts.get(&id.0).copied()
            } else {
                None
            },
        }
    }
}

/// A stored instant: `second` ([`NONE`] for none) and its sub-second part among `parts`.
#[inline]
fn instant(parts: Option<&SubSeconds>, which: Instant, second: i64) -> Option<Timestamp> {
    if second == NONE {
        return None;
    }
    let nanos = parts.map_or(0, |parts| parts[which as usize]);
    // Made from a valid instant's second and nanosecond, so within jiff's range.
    Some(Timestamp::new(second, nanos).unwrap_or(Timestamp::MIN))
}

/// A stored cancellation.
fn cancellation(parts: Option<&SubSeconds>, rest: &Rest) -> Option<Cancellation> {
    let (reason, by) = rest.cancellation?;
    Some(Cancellation {
        reason,
        by,
        at: instant(parts, Instant::CancelledAt, rest.cancelled_at)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::availability::FreeKind;
    use caretime_core::calendar::WeekdayMask;
    use caretime_core::id::{MemberId, RequestId};
    use jiff::civil::{date, time};

    fn appointment(id: u32, start: Timestamp) -> Appointment {
        Appointment {
            id: AppointmentId(id),
            request: Request {
                id: RequestId(7),
                member: MemberId(11),
                kind: RequestKind::FollowUp,
                requested: start - jiff::SignedDuration::from_hours(100),
                prior_appointment: Some(start - jiff::SignedDuration::from_hours(24 * 14)),
                clinical_exception: Some(date(2024, 3, 1)),
                treating_clinician: Some(ClinicianId(3)),
                preferences: Preferences {
                    weekdays: WeekdayMask::MONDAY_TO_FRIDAY,
                    earliest_start: time(9, 0, 0, 0),
                    latest_start: time(16, 30, 0, 0),
                },
            },
            deadline: start + jiff::SignedDuration::from_hours(48),
            offered: OfferRecord {
                clinician: ClinicianId(4),
                start: start - jiff::SignedDuration::from_hours(2),
                timeliness: Timeliness::Late { business_days: 3 },
            },
            clinician: ClinicianId(3),
            facility: FacilityId(2),
            start,
            length: 60,
            time: FreeKind::UrgentHold,
            modality: Modality::Video,
            interpreter: Some(Language::SPANISH),
            route: Route::Network,
            status: AppointmentStatus::Pending,
            expires: Some(start - jiff::SignedDuration::from_hours(1)),
            cancellation: None,
            replaces: Some(AppointmentId(0)),
            overbooks: Some(AppointmentId(0)),
        }
    }

    #[test]
    fn a_brief_and_the_rest_are_much_smaller_than_an_appointment() {
        let stored = std::mem::size_of::<Hot>() + std::mem::size_of::<Rest>();
        assert!(stored <= 176, "{stored} bytes");
        assert_eq!(
            std::mem::size_of::<Hot>(),
            64,
            "a brief fills one cache line"
        );
        assert!(std::mem::size_of::<Appointment>() >= 224);
    }

    #[test]
    fn what_is_stored_reads_back_equal_sub_seconds_and_absences_included() {
        let whole: Timestamp = "2024-05-06T17:15:00Z".parse().expect("an instant");
        let fractional: Timestamp = "1969-12-31T23:59:58.75Z".parse().expect("an instant");
        let mut table = Table::default();
        let first = appointment(0, whole);
        let mut second = appointment(1, fractional);
        second.request.prior_appointment = None;
        second.request.clinical_exception = None;
        second.request.treating_clinician = None;
        second.interpreter = None;
        second.expires = None;
        second.replaces = None;
        second.overbooks = None;
        second.offered.timeliness = Timeliness::Met;
        table.push(&first);
        table.push(&second);
        assert_eq!(table.get(AppointmentId(0)), Some(first.clone()));
        assert_eq!(table.get(AppointmentId(1)), Some(second.clone()));
        assert_eq!(
            table.sub_seconds.len(),
            1,
            "only the fractional one is kept aside"
        );
        assert_eq!(
            table.iter().collect::<Vec<_>>(),
            [first.clone(), second.clone()]
        );
        assert_eq!(table.get(AppointmentId(2)), None);

        // A status change with a fractional cancellation time, then one without.
        let at: Timestamp = "2024-05-01T08:00:00.123456789Z"
            .parse()
            .expect("an instant");
        let cancellation = Cancellation {
            reason: CancellationReason::Leave,
            by: CancelledBy::Plan,
            at,
        };
        assert!(table.set_status(
            AppointmentId(0),
            AppointmentStatus::Cancelled,
            Some(cancellation),
            None
        ));
        let cancelled = table.get(AppointmentId(0)).expect("stored");
        assert_eq!(cancelled.cancellation, Some(cancellation));
        assert_eq!(cancelled.expires, None);
        assert_eq!(cancelled.status, AppointmentStatus::Cancelled);
        assert!(table.set_status(
            AppointmentId(0),
            first.status,
            first.cancellation,
            first.expires
        ));
        assert_eq!(table.get(AppointmentId(0)), Some(first.clone()));
        assert_eq!(
            table.sub_seconds.len(),
            1,
            "the cancellation's part is gone"
        );
        assert!(!table.set_status(AppointmentId(5), AppointmentStatus::Booked, None, None));

        let brief = table.brief(AppointmentId(1)).expect("stored");
        assert_eq!(
            brief,
            AppointmentBrief {
                request: second.request.id,
                member: second.request.member,
                clinician: second.clinician,
                requested: second.request.requested,
                start: fractional,
                length: 60,
                time: FreeKind::UrgentHold,
                status: AppointmentStatus::Pending,
            }
        );
        assert_eq!(table.pop(), Some(second));
        assert!(table.sub_seconds.is_empty());
        assert_eq!(table.len(), 1);
    }

    #[test]
    fn appointments_across_blocks_read_back_in_order() {
        let start: Timestamp = "2024-05-06T17:15:00Z".parse().expect("an instant");
        let mut table = Table::default();
        let n = Blocks::<Hot>::BLOCK * 2 + 7;
        for id in 0..n as u32 {
            let mut appointment = appointment(id, start);
            appointment.length = id;
            table.push(&appointment);
        }
        assert_eq!(table.len(), n);
        for id in [0, Blocks::<Hot>::BLOCK - 1, Blocks::<Hot>::BLOCK, n - 1] {
            let read = table.get(AppointmentId(id as u32)).expect("stored");
            assert_eq!((read.id.index(), read.length), (id, id as u32));
        }
        assert!(
            table
                .iter()
                .enumerate()
                .all(|(id, read)| read.length == id as u32)
        );
        assert_eq!(table.briefs().count(), n);
        // Popping back across a block boundary.
        for _ in 0..8 {
            table.pop();
        }
        assert_eq!(table.len(), Blocks::<Hot>::BLOCK * 2 - 1);
        let last = table
            .get(AppointmentId(table.len() as u32 - 1))
            .expect("stored");
        assert_eq!(last.length as usize, Blocks::<Hot>::BLOCK * 2 - 2);
    }

    /// Any instant jiff can hold, whole seconds or not.
    fn any_instant() -> impl proptest::strategy::Strategy<Value = Timestamp> {
        use proptest::prelude::*;
        (
            Timestamp::MIN.as_second()..=Timestamp::MAX.as_second() - 1,
            prop_oneof![Just(0i32), 0i32..1_000_000_000],
        )
            .prop_map(|(second, nanos)| Timestamp::new(second, nanos).expect("in range"))
    }

    proptest::proptest! {
        /// Whatever is stored, and whatever status changes follow, reads back equal, briefs
        /// included.
        #[test]
        fn stored_appointments_and_status_changes_read_back_equal(
            instants in proptest::collection::vec(
                (any_instant(), any_instant(), proptest::option::of(any_instant()),
                 proptest::option::of(any_instant())),
                1..12,
            ),
            changes in proptest::collection::vec(
                (0usize..12, proptest::option::of(any_instant()), proptest::option::of(any_instant())),
                0..12,
            ),
        ) {
            let mut table = Table::default();
            let mut model = Vec::new();
            for (id, (start, deadline, prior, expires)) in instants.into_iter().enumerate() {
                let mut stored = appointment(id as u32, start);
                stored.deadline = deadline;
                stored.offered.start = deadline;
                stored.request.requested = deadline;
                stored.request.prior_appointment = prior;
                stored.expires = expires;
                table.push(&stored);
                model.push(stored);
            }
            for (idx, cancelled_at, expires) in changes {
                let idx = idx % model.len();
                let cancellation = cancelled_at.map(|at| Cancellation {
                    reason: CancellationReason::MemberRequest,
                    by: CancelledBy::Member,
                    at,
                });
                let status = if cancellation.is_some() {
                    AppointmentStatus::Cancelled
                } else {
                    AppointmentStatus::Booked
                };
                proptest::prop_assert!(
                    table.set_status(AppointmentId(idx as u32), status, cancellation, expires)
                );
                let known = &mut model[idx];
                known.status = status;
                known.cancellation = cancellation;
                known.expires = expires;
            }
            for (idx, known) in model.iter().enumerate() {
                let id = AppointmentId(idx as u32);
                proptest::prop_assert_eq!(table.get(id), Some(known.clone()));
                let brief = table.brief(id).expect("stored");
                proptest::prop_assert_eq!(
                    (brief.start, brief.requested, brief.status),
                    (known.start, known.request.requested, known.status)
                );
                proptest::prop_assert_eq!(
                    table.cancellation_and_expiry(id),
                    Some((known.cancellation, known.expires))
                );
            }
            proptest::prop_assert_eq!(table.iter().collect::<Vec<_>>(), model);
        }
    }
}
