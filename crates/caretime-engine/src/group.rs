//! Group sessions: recurring therapy groups with facilitators, a capacity and a roster.
//!
//! The dispute's union complaint was that psychotherapy groups were "systematically canceled for
//! thousands of enrollees" (NUHW, 2024); so a group session is never cancelled silently: the
//! cancellation carries a reason, and every member's seat is moved to the group's next session
//! with room or cancelled, each listed in the decision.
//!
//! Groups run in the facilitators' `group` template blocks, which individual appointments never
//! use, so groups do not touch the availability index. Capacity is 8 by default and at most 12
//! (an assumption, as the scenario files say: "groups of 8, at most 12").

use caretime_core::id::{ClinicianId, FacilityId, GroupId, MemberId};
use caretime_core::region::Region;
use caretime_core::template::BlockKind;
use jiff::{SignedDuration, Timestamp, Zoned};
use smallvec::smallvec;

use crate::book::{
    AppointmentStatus, Book, Cancellation, CancellationReason, CancelledBy, Change, Outcome,
    Refusal,
};
use crate::episode::{Cadence, recurrence};

/// The default number of seats in a group.
pub const DEFAULT_GROUP_CAPACITY: u8 = 8;
/// The most seats a group may have.
pub const MAX_GROUP_CAPACITY: u8 = 12;

/// A recurring group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    /// Its id (its index in the book).
    pub id: GroupId,
    /// Its name ("DBT skills, Tuesday").
    pub name: String,
    /// The facilitators (one or two, usually).
    pub facilitators: Vec<ClinicianId>,
    /// Where it meets.
    pub facility: FacilityId,
    /// Seats per session (1..=12).
    pub capacity: u8,
    /// Members enrolled, in enrolment order.
    pub roster: Vec<MemberId>,
    /// Its sessions, in time order.
    pub sessions: Vec<GroupSession>,
}

/// One meeting of a group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupSession {
    /// Start.
    pub start: Timestamp,
    /// Minutes.
    pub length: u32,
    /// Set when cancelled.
    pub cancellation: Option<Cancellation>,
    /// One seat per member expected.
    pub seats: Vec<Seat>,
    /// Facilitators standing in for this session: (absent facilitator, substitute).
    pub substitutes: Vec<(ClinicianId, ClinicianId)>,
}

impl GroupSession {
    /// Who facilitates this session: the group's facilitators with this session's substitutes.
    pub fn facilitators<'a>(&'a self, group: &'a Group) -> impl Iterator<Item = ClinicianId> + 'a {
        group.facilitators.iter().map(|facilitator| {
            self.substitutes
                .iter()
                .find(|(absent, _)| absent == facilitator)
                .map_or(*facilitator, |(_, substitute)| *substitute)
        })
    }
}

/// A member's seat in a session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Seat {
    /// The member.
    pub member: MemberId,
    /// Booked, arrived, fulfilled, noshow or cancelled (FHIR statuses).
    pub status: AppointmentStatus,
}

/// What a group session's cancellation did to one member's seat.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SeatOutcome {
    /// Moved to a session of another group at the same facility, within
    /// [`SEAT_MOVE_WINDOW`] of the cancelled one, that had room.
    Moved {
        /// The group.
        group: GroupId,
        /// The session's index in it.
        session: usize,
    },
    /// Cancelled: no such session had room.
    Cancelled,
}

/// How far from a cancelled session a seat may move (an assumption: a week either way keeps the
/// member's rhythm of care).
pub const SEAT_MOVE_WINDOW: SignedDuration = SignedDuration::from_hours(7 * 24);

fn refused(refusals: Vec<GroupRefusal>) -> Outcome {
    Outcome::Refused(refusals.into_iter().map(Refusal::Group).collect())
}

/// A new group: who runs it, where, the first session and its cadence.
#[derive(Clone, Debug)]
pub struct NewGroup {
    /// Name.
    pub name: String,
    /// Facilitators.
    pub facilitators: Vec<ClinicianId>,
    /// Seats ([`DEFAULT_GROUP_CAPACITY`] unless there is a reason).
    pub capacity: u8,
    /// First session, in the facility's zone.
    pub first: Zoned,
    /// How often it meets.
    pub cadence: Cadence,
    /// How many sessions.
    pub sessions: usize,
    /// Minutes per session (90 in the built-in scenarios).
    pub length: u32,
}

/// Why a group decision could not be made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GroupRefusal {
    /// Capacity outside 1..=12.
    Capacity(u8),
    /// No facilitator.
    NoFacilitator,
    /// A facilitator not in the region.
    UnknownClinician(ClinicianId),
    /// Facilitators at different facilities.
    FacilitiesDiffer,
    /// A session outside a facilitator's `group` template time.
    NotGroupTime {
        /// The facilitator.
        clinician: ClinicianId,
        /// The session's start.
        start: Timestamp,
    },
    /// No sessions.
    NoSessions,
    /// No such group.
    UnknownGroup(GroupId),
    /// No such session.
    UnknownSession(usize),
    /// Every seat is taken.
    Full,
    /// The member is already enrolled.
    AlreadyEnrolled,
    /// The member is not enrolled.
    NotEnrolled,
    /// The session is already cancelled.
    AlreadyCancelled,
    /// The session already took place.
    Past,
    /// A seat's status cannot change that way.
    Transition {
        /// From.
        from: AppointmentStatus,
        /// To.
        to: AppointmentStatus,
    },
}

impl std::fmt::Display for GroupRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GroupRefusal::Capacity(capacity) => write!(
                f,
                "a group has 1 to {MAX_GROUP_CAPACITY} seats, not {capacity}"
            ),
            GroupRefusal::NoFacilitator => f.write_str("a group needs a facilitator"),
            GroupRefusal::UnknownClinician(clinician) => {
                write!(f, "{clinician} is not in the region")
            }
            GroupRefusal::FacilitiesDiffer => {
                f.write_str("the facilitators work at different facilities")
            }
            GroupRefusal::NotGroupTime { clinician, start } => {
                write!(f, "{clinician} has no group time at {start}")
            }
            GroupRefusal::NoSessions => f.write_str("a group needs at least one session"),
            GroupRefusal::UnknownGroup(group) => write!(f, "{group} is not in the book"),
            GroupRefusal::UnknownSession(idx) => write!(f, "the group has no session {idx}"),
            GroupRefusal::Full => f.write_str("every seat is taken"),
            GroupRefusal::AlreadyEnrolled => f.write_str("the member is already enrolled"),
            GroupRefusal::NotEnrolled => f.write_str("the member is not enrolled"),
            GroupRefusal::AlreadyCancelled => f.write_str("the session is already cancelled"),
            GroupRefusal::Past => f.write_str("the session already took place"),
            GroupRefusal::Transition { from, to } => {
                write!(f, "a seat cannot go from {} to {}", from.code(), to.code())
            }
        }
    }
}

/// How a group change no longer fits the groups it is applied to: it was decided against
/// another state of the book, or built by hand. (A decision that cannot be made is a
/// [`GroupRefusal`]; this is a failure to apply one.)
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StaleGroup {
    /// A new group whose id is not the next one.
    #[error("{0} is not the next group id")]
    NotNextId(GroupId),
    /// No such group.
    #[error("{0} is not in the book")]
    UnknownGroup(GroupId),
    /// The member is already on the roster (or it is full), or not on it to leave.
    #[error("{0}: the roster changed")]
    RosterChanged(GroupId),
    /// No such session.
    #[error("{group} has no session {session}")]
    UnknownSession {
        /// The group.
        group: GroupId,
        /// The session's index in the group.
        session: usize,
    },
    /// Cancelling a session that is already cancelled.
    #[error("{group}: session {session} is already cancelled")]
    AlreadyCancelled {
        /// The group.
        group: GroupId,
        /// The session's index in the group.
        session: usize,
    },
    /// A substitute for a session that is cancelled.
    #[error("{group}: session {session} is cancelled")]
    SessionCancelled {
        /// The group.
        group: GroupId,
        /// The session's index in the group.
        session: usize,
    },
    /// No booked seat of the member in the status the change expected.
    #[error("{0}: the seat changed")]
    SeatChanged(GroupId),
}

/// Whether `[start, start + length)` lies in one of the clinician's `group` blocks.
pub fn in_group_time(region: &Region, clinician: ClinicianId, start: &Zoned, length: u32) -> bool {
    let Some(clinician) = region.clinicians.get(clinician.index()) else {
        return false;
    };
    let template = &region.templates[clinician.template.index()];
    let Ok(end) = start.checked_add(SignedDuration::from_mins(i64::from(length))) else {
        return false;
    };
    let same_day = end.date() == start.date() || end.time() == jiff::civil::Time::midnight();
    same_day
        && template.blocks.iter().any(|block| {
            block.kind == BlockKind::Group
                && block.day == start.weekday()
                && block.range.start() <= start.time()
                && (end.time() <= block.range.end() && end.time() > start.time())
        })
}

impl Book {
    /// Every group, by id.
    pub fn groups(&self) -> &[Group] {
        &self.groups
    }

    /// Decides to create a group and its sessions (DST-safe: every session at the same local wall
    /// time). Each session must lie in every facilitator's `group` template time.
    pub fn decide_create_group(&self, region: &Region, new: &NewGroup) -> Outcome {
        let mut refusals = Vec::new();
        if new.capacity == 0 || new.capacity > MAX_GROUP_CAPACITY {
            refusals.push(GroupRefusal::Capacity(new.capacity));
        }
        if new.facilitators.is_empty() {
            refusals.push(GroupRefusal::NoFacilitator);
        }
        if new.sessions == 0 {
            refusals.push(GroupRefusal::NoSessions);
        }
        let mut facilities = Vec::new();
        for &facilitator in &new.facilitators {
            match region.clinicians.get(facilitator.index()) {
                Some(clinician) => facilities.push(clinician.facility),
                None => refusals.push(GroupRefusal::UnknownClinician(facilitator)),
            }
        }
        facilities.dedup();
        if facilities.len() > 1 {
            refusals.push(GroupRefusal::FacilitiesDiffer);
        }
        let starts = recurrence(&new.first, new.cadence, new.sessions);
        for start in &starts {
            for &facilitator in &new.facilitators {
                if region.clinicians.get(facilitator.index()).is_some()
                    && !in_group_time(region, facilitator, start, new.length)
                {
                    refusals.push(GroupRefusal::NotGroupTime {
                        clinician: facilitator,
                        start: start.timestamp(),
                    });
                }
            }
        }
        if !refusals.is_empty() {
            return refused(refusals);
        }
        Outcome::Accepted(smallvec![Change::CreateGroup(Box::new(Group {
            id: GroupId(self.groups.len() as u32),
            name: new.name.clone(),
            facilitators: new.facilitators.clone(),
            facility: facilities[0],
            capacity: new.capacity,
            roster: Vec::new(),
            sessions: starts
                .iter()
                .map(|start| GroupSession {
                    start: start.timestamp(),
                    length: new.length,
                    cancellation: None,
                    seats: Vec::new(),
                    substitutes: Vec::new(),
                })
                .collect(),
        }))])
    }

    fn group(&self, group: GroupId) -> Result<&Group, GroupRefusal> {
        self.groups
            .get(group.index())
            .ok_or(GroupRefusal::UnknownGroup(group))
    }

    /// Decides to enrol a member: a seat in every session from `now` on that is not cancelled.
    pub fn decide_enrol(&self, group: GroupId, member: MemberId, now: Timestamp) -> Outcome {
        let known = match self.group(group) {
            Ok(known) => known,
            Err(refusal) => return refused(vec![refusal]),
        };
        let mut refusals = Vec::new();
        if known.roster.contains(&member) {
            refusals.push(GroupRefusal::AlreadyEnrolled);
        }
        if known.roster.len() >= usize::from(known.capacity) {
            refusals.push(GroupRefusal::Full);
        }
        if !refusals.is_empty() {
            return refused(refusals);
        }
        Outcome::Accepted(smallvec![Change::Enrol {
            group,
            member,
            from: now,
        }])
    }

    /// Decides that a member leaves a group at `now`: off the roster, and their seats in sessions
    /// from `now` on are given up (past sessions keep their attendance).
    pub fn decide_unenrol(&self, group: GroupId, member: MemberId, now: Timestamp) -> Outcome {
        let known = match self.group(group) {
            Ok(known) => known,
            Err(refusal) => return refused(vec![refusal]),
        };
        if !known.roster.contains(&member) {
            return refused(vec![GroupRefusal::NotEnrolled]);
        }
        Outcome::Accepted(smallvec![Change::Unenrol {
            group,
            member,
            from: now,
        }])
    }

    /// Decides to cancel a session, with its reason and who cancelled: each member's seat moves to
    /// the group's next session (after this one, not cancelled) that has room, or is cancelled.
    pub fn decide_cancel_session(
        &self,
        group: GroupId,
        session: usize,
        reason: CancellationReason,
        by: CancelledBy,
        now: Timestamp,
    ) -> Outcome {
        let known = match self.group(group) {
            Ok(known) => known,
            Err(refusal) => return refused(vec![refusal]),
        };
        let Some(cancelled) = known.sessions.get(session) else {
            return refused(vec![GroupRefusal::UnknownSession(session)]);
        };
        let mut refusals = Vec::new();
        if cancelled.cancellation.is_some() {
            refusals.push(GroupRefusal::AlreadyCancelled);
        }
        if cancelled.start <= now {
            refusals.push(GroupRefusal::Past);
        }
        if !refusals.is_empty() {
            return refused(refusals);
        }
        // Sessions of other groups at the same facility near the cancelled one, earliest first,
        // with the seats they have (counting the moves decided here).
        let mut targets: Vec<(Timestamp, GroupId, usize, usize)> = self
            .groups
            .iter()
            .filter(|other| other.id != group && other.facility == known.facility)
            .flat_map(|other| {
                other
                    .sessions
                    .iter()
                    .enumerate()
                    .filter(|(_, candidate)| {
                        candidate.cancellation.is_none()
                            && candidate.start > now
                            && candidate.start.duration_since(cancelled.start).abs()
                                <= SEAT_MOVE_WINDOW
                    })
                    .map(move |(idx, candidate)| {
                        let taken = candidate
                            .seats
                            .iter()
                            .filter(|seat| seat.status != AppointmentStatus::Cancelled)
                            .count();
                        (candidate.start, other.id, idx, taken)
                    })
            })
            .collect();
        targets.sort();
        let seats = cancelled
            .seats
            .iter()
            .filter(|seat| seat.status == AppointmentStatus::Booked)
            .map(|seat| {
                let target = targets.iter_mut().find(|(_, other, idx, taken)| {
                    let other_group = &self.groups[other.index()];
                    *taken < usize::from(other_group.capacity)
                        && !other_group.sessions[*idx]
                            .seats
                            .iter()
                            .any(|existing| existing.member == seat.member)
                });
                match target {
                    Some((_, other, idx, taken)) => {
                        *taken += 1;
                        (
                            seat.member,
                            SeatOutcome::Moved {
                                group: *other,
                                session: *idx,
                            },
                        )
                    }
                    None => (seat.member, SeatOutcome::Cancelled),
                }
            })
            .collect();
        Outcome::Accepted(smallvec![Change::CancelSession {
            group,
            session,
            cancellation: Cancellation {
                reason,
                by,
                at: now,
            },
            seats,
        }])
    }

    /// Decides to record a member's attendance at a session: arrived, fulfilled or noshow.
    pub fn decide_group_attendance(
        &self,
        group: GroupId,
        session: usize,
        member: MemberId,
        to: AppointmentStatus,
    ) -> Outcome {
        let known = match self.group(group) {
            Ok(known) => known,
            Err(refusal) => return refused(vec![refusal]),
        };
        let Some(meeting) = known.sessions.get(session) else {
            return refused(vec![GroupRefusal::UnknownSession(session)]);
        };
        let Some(seat) = meeting.seats.iter().find(|seat| seat.member == member) else {
            return refused(vec![GroupRefusal::NotEnrolled]);
        };
        let allowed = matches!(
            (seat.status, to),
            (AppointmentStatus::Booked, AppointmentStatus::Arrived)
                | (AppointmentStatus::Booked, AppointmentStatus::Fulfilled)
                | (AppointmentStatus::Booked, AppointmentStatus::NoShow)
                | (AppointmentStatus::Arrived, AppointmentStatus::Fulfilled)
        );
        if !allowed {
            return refused(vec![GroupRefusal::Transition {
                from: seat.status,
                to,
            }]);
        }
        Outcome::Accepted(smallvec![Change::SeatStatus {
            group,
            session,
            member,
            from: seat.status,
            to,
        }])
    }
}

/// Applies a group change (called by `Book::apply`, which snapshots the groups it touches so a
/// failed batch rolls back); `Err` says why the change no longer fits the book.
/// The groups a change writes to (a created group is new and needs no copy).
pub(crate) fn touched_groups(change: &Change) -> Vec<GroupId> {
    match change {
        Change::Enrol { group, .. }
        | Change::Unenrol { group, .. }
        | Change::Substitute { group, .. }
        | Change::SeatStatus { group, .. } => vec![*group],
        Change::CancelSession { group, seats, .. } => {
            let mut groups = vec![*group];
            for (_, outcome) in seats {
                if let SeatOutcome::Moved { group: other, .. } = outcome
                    && !groups.contains(other)
                {
                    groups.push(*other);
                }
            }
            groups
        }
        _ => Vec::new(),
    }
}

pub(crate) fn apply_group_change(
    groups: &mut Vec<Group>,
    change: &Change,
) -> Result<(), StaleGroup> {
    match change {
        Change::CreateGroup(group) => {
            if group.id.index() != groups.len() {
                return Err(StaleGroup::NotNextId(group.id));
            }
            groups.push((**group).clone());
        }
        Change::Enrol {
            group,
            member,
            from,
        } => {
            let known = groups
                .get_mut(group.index())
                .ok_or(StaleGroup::UnknownGroup(*group))?;
            if known.roster.contains(member) || known.roster.len() >= usize::from(known.capacity) {
                return Err(StaleGroup::RosterChanged(*group));
            }
            known.roster.push(*member);
            // Past sessions took place without the member.
            for session in known
                .sessions
                .iter_mut()
                .filter(|session| session.cancellation.is_none() && session.start >= *from)
            {
                session.seats.push(Seat {
                    member: *member,
                    status: AppointmentStatus::Booked,
                });
            }
        }
        Change::Unenrol {
            group,
            member,
            from,
        } => {
            let known = groups
                .get_mut(group.index())
                .ok_or(StaleGroup::UnknownGroup(*group))?;
            let at = known
                .roster
                .iter()
                .position(|known| known == member)
                .ok_or(StaleGroup::RosterChanged(*group))?;
            known.roster.remove(at);
            for session in known
                .sessions
                .iter_mut()
                .filter(|session| session.start >= *from)
            {
                session.seats.retain(|seat| {
                    !(seat.member == *member && seat.status == AppointmentStatus::Booked)
                });
            }
        }
        Change::CancelSession {
            group,
            session,
            cancellation,
            seats,
        } => {
            let known = groups
                .get_mut(group.index())
                .ok_or(StaleGroup::UnknownGroup(*group))?;
            let meeting = known
                .sessions
                .get_mut(*session)
                .ok_or(StaleGroup::UnknownSession {
                    group: *group,
                    session: *session,
                })?;
            if meeting.cancellation.is_some() {
                return Err(StaleGroup::AlreadyCancelled {
                    group: *group,
                    session: *session,
                });
            }
            meeting.cancellation = Some(*cancellation);
            for seat in &mut meeting.seats {
                if seat.status == AppointmentStatus::Booked {
                    seat.status = AppointmentStatus::Cancelled;
                }
            }
            for (member, outcome) in seats {
                if let SeatOutcome::Moved {
                    group: other,
                    session: idx,
                } = outcome
                {
                    let target = groups
                        .get_mut(other.index())
                        .and_then(|other| other.sessions.get_mut(*idx))
                        .ok_or(StaleGroup::UnknownSession {
                            group: *other,
                            session: *idx,
                        })?;
                    target.seats.push(Seat {
                        member: *member,
                        status: AppointmentStatus::Booked,
                    });
                }
            }
        }
        Change::Substitute {
            group,
            session,
            absent,
            substitute,
        } => {
            let meeting = groups
                .get_mut(group.index())
                .and_then(|known| known.sessions.get_mut(*session))
                .ok_or(StaleGroup::UnknownSession {
                    group: *group,
                    session: *session,
                })?;
            if meeting.cancellation.is_some() {
                return Err(StaleGroup::SessionCancelled {
                    group: *group,
                    session: *session,
                });
            }
            meeting.substitutes.retain(|(known, _)| known != absent);
            meeting.substitutes.push((*absent, *substitute));
        }
        Change::SeatStatus {
            group,
            session,
            member,
            from,
            to,
        } => {
            let seat = groups
                .get_mut(group.index())
                .and_then(|known| known.sessions.get_mut(*session))
                .and_then(|meeting| {
                    meeting
                        .seats
                        .iter_mut()
                        .find(|seat| seat.member == *member && seat.status == *from)
                })
                .ok_or(StaleGroup::SeatChanged(*group))?;
            seat.status = *to;
        }
        _ => {}
    }
    Ok(())
}
