//! The book: appointments and the free time they leave, changed only by decisions.
//!
//! Every operation is two steps. A `decide_*` function reads the [`Book`] and returns an
//! [`Outcome`]: either the [`Change`]s it would make, or every [`Refusal`] that stops it. Nothing
//! changes until [`Book::apply`] applies an accepted decision, atomically (all of its changes or
//! none). The server, the CLI, the simulator and the replanner all change the book this way, so
//! the no-double-booking and protected-time invariants are kept in one place.
//!
//! Appointment statuses are FHIR R4's `Appointment.status` codes (proposed, pending, booked,
//! arrived, fulfilled, cancelled, noshow, entered-in-error). A `$hold` makes a `pending`
//! appointment that expires; a waitlist proposal makes a `proposed` one that expires too.
//!
//! Compliance counts the *offer*, not the member's choice (28 CCR § 1300.67.2.2(c)(5)): an appointment records both the offer it answered and the start the member chose.
//! A cancellation by the plan counts against the plan and its rebooking keeps the original
//! deadline ([`Book::rebooking_request`]); a member's cancellation starts a new clock.

use caretime_core::id::{
    AppointmentId, ClinicianId, EpisodeId, FacilityId, GroupId, MemberId, RequestId,
};
use caretime_core::region::{Language, Modality, Region};
use caretime_core::request::Request;
use caretime_core::rules::{DeadlineInstants, RuleSet};
use caretime_core::slug::Slug;
use caretime_core::template::Template;
use caretime_hint::{prefetch, prefetch_all, prefetch_push};
use std::collections::HashMap;

use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use smallvec::{SmallVec, smallvec};

use crate::availability::{
    Availability, AvailabilityError, FreeKind, Horizon, Minute, Pool, RowSet, Schedule, Urgency,
};
use crate::episode::{
    Cadence, Episode, EpisodeAppointments, EpisodeRefusal, FollowUp, LongerWait, next_follow_up,
};
use crate::find::{
    self, Directory, FindContext, FindError, FindPolicy, Offer, Offers, OutOfNetworkArrangement,
    Route, Timeliness,
};
use crate::group::{
    Group, GroupRefusal, SeatOutcome, StaleGroup, apply_group_change, touched_groups,
};

mod table;

/// FHIR R4 `Appointment.status`, as far as caretime uses it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AppointmentStatus {
    /// Proposed to the member (from the waitlist); holds its time until it expires.
    Proposed,
    /// Held (`$hold`); holds its time until it expires.
    Pending,
    /// Booked.
    Booked,
    /// The member has arrived.
    Arrived,
    /// The appointment took place.
    Fulfilled,
    /// Cancelled, with a reason and who cancelled.
    Cancelled,
    /// The member did not come.
    NoShow,
    /// Recorded in error; it never was.
    EnteredInError,
}

impl AppointmentStatus {
    /// The FHIR code.
    pub fn code(self) -> &'static str {
        match self {
            AppointmentStatus::Proposed => "proposed",
            AppointmentStatus::Pending => "pending",
            AppointmentStatus::Booked => "booked",
            AppointmentStatus::Arrived => "arrived",
            AppointmentStatus::Fulfilled => "fulfilled",
            AppointmentStatus::Cancelled => "cancelled",
            AppointmentStatus::NoShow => "noshow",
            AppointmentStatus::EnteredInError => "entered-in-error",
        }
    }

    /// Whether an appointment in this status holds its clinician's time.
    pub fn holds_time(self) -> bool {
        matches!(
            self,
            AppointmentStatus::Proposed
                | AppointmentStatus::Pending
                | AppointmentStatus::Booked
                | AppointmentStatus::Arrived
                | AppointmentStatus::Fulfilled
                | AppointmentStatus::NoShow
        )
    }
}

/// Who cancelled: it decides whether the cancellation counts against the plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CancelledBy {
    /// The member: does not count against the plan; a new request starts a new clock.
    Member,
    /// The plan (clinician unavailable, strike, closure): counts against the plan; the rebooking
    /// keeps the original deadline.
    Plan,
}

impl Slug for CancelledBy {
    const VARIANTS: &'static [CancelledBy] = &[CancelledBy::Member, CancelledBy::Plan];

    /// `member` or `plan`.
    fn slug(self) -> &'static str {
        match self {
            CancelledBy::Member => "member",
            CancelledBy::Plan => "plan",
        }
    }
}

/// Why an appointment or a group session was cancelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CancellationReason {
    /// The member asked.
    MemberRequest,
    /// The clinician is unavailable (illness, emergency).
    ClinicianUnavailable,
    /// A strike.
    Strike,
    /// The clinician's leave.
    Leave,
    /// The facility is closed.
    Closure,
    /// Too few members for a group session.
    LowEnrolment,
    /// Moved by a replan or the member took another time.
    Rescheduled,
    /// A hold or proposal was not confirmed in time.
    HoldExpired,
    /// Anything else (say what in the system that records it).
    Other,
}

impl Slug for CancellationReason {
    const VARIANTS: &'static [CancellationReason] = &[
        CancellationReason::MemberRequest,
        CancellationReason::ClinicianUnavailable,
        CancellationReason::Strike,
        CancellationReason::Leave,
        CancellationReason::Closure,
        CancellationReason::LowEnrolment,
        CancellationReason::Rescheduled,
        CancellationReason::HoldExpired,
        CancellationReason::Other,
    ];

    /// The kebab-case name used in files, the CLI and reports.
    fn slug(self) -> &'static str {
        match self {
            CancellationReason::MemberRequest => "member-request",
            CancellationReason::ClinicianUnavailable => "clinician-unavailable",
            CancellationReason::Strike => "strike",
            CancellationReason::Leave => "leave",
            CancellationReason::Closure => "closure",
            CancellationReason::LowEnrolment => "low-enrolment",
            CancellationReason::Rescheduled => "rescheduled",
            CancellationReason::HoldExpired => "hold-expired",
            CancellationReason::Other => "other",
        }
    }
}

/// A cancellation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cancellation {
    /// Why.
    pub reason: CancellationReason,
    /// Who.
    pub by: CancelledBy,
    /// When it was recorded.
    pub at: Timestamp,
}

/// What compliance counts: the offer an appointment answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OfferRecord {
    /// The offered clinician.
    pub clinician: ClinicianId,
    /// The offered start.
    pub start: Timestamp,
    /// The offer's timeliness.
    pub timeliness: Timeliness,
}

/// An appointment in the book.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Appointment {
    /// Its id (its index in the book).
    pub id: AppointmentId,
    /// The request it answers.
    pub request: Request,
    /// The deadline it counts against (a rebooking after a plan cancellation keeps the original).
    pub deadline: Timestamp,
    /// The offer it answered: compliance counts this.
    pub offered: OfferRecord,
    /// Who sees the member.
    pub clinician: ClinicianId,
    /// Where.
    pub facility: FacilityId,
    /// When (the member's choice, which may be later than the offer).
    pub start: Timestamp,
    /// Minutes.
    pub length: u32,
    /// The kind of template time it took.
    pub time: FreeKind,
    /// How.
    pub modality: Modality,
    /// The interpreter booked for the same time, if any.
    pub interpreter: Option<Language>,
    /// Continuity, internal or network.
    pub route: Route,
    /// FHIR status.
    pub status: AppointmentStatus,
    /// When a proposed or pending appointment lets its time go.
    pub expires: Option<Timestamp>,
    /// Set when cancelled.
    pub cancellation: Option<Cancellation>,
    /// The plan-cancelled appointment this one replaces, if any.
    pub replaces: Option<AppointmentId>,
    /// The appointment this one is booked on top of, when the clinic books over expected
    /// no-shows ([`Book::decide_overbook`]): same clinician, start and length, and no free time
    /// of its own. The pair's time goes back only when neither holds it. The server never
    /// overbooks (its database keeps one appointment to a clinician's time); the simulator
    /// does where a scenario's clinic does.
    pub overbooks: Option<AppointmentId>,
}

/// The fields of an appointment its events read most ([`Book::appointment_brief`]), without
/// reading out the rest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AppointmentBrief {
    /// The request it answers.
    pub request: RequestId,
    /// The member.
    pub member: MemberId,
    /// Who sees the member.
    pub clinician: ClinicianId,
    /// When the request was made.
    pub requested: Timestamp,
    /// When.
    pub start: Timestamp,
    /// Minutes.
    pub length: u32,
    /// The kind of template time it took.
    pub time: FreeKind,
    /// FHIR status.
    pub status: AppointmentStatus,
}

/// A decision's changes: most decisions make one or two (a booking and its out-of-network
/// arrangement), which are kept inline (no allocation).
pub type Changes = SmallVec<[Change; 2]>;

/// One change to the book.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// A new appointment, taking its time.
    Create(Box<Appointment>),
    /// A status change; `Cancelled` gives the time back (as does `EnteredInError`).
    SetStatus {
        /// Which appointment.
        appointment: AppointmentId,
        /// From (checked when applying).
        from: AppointmentStatus,
        /// To.
        to: AppointmentStatus,
        /// For cancellations.
        cancellation: Option<Cancellation>,
    },
    /// An out-of-network arrangement recorded (SB 855).
    Arrange(OutOfNetworkArrangement),
    /// A request put on the waitlist.
    Wait(Box<WaitlistEntry>),
    /// A request taken off the waitlist (proposed an appointment, or withdrawn).
    Unwait(RequestId),
    /// A new group with its sessions.
    CreateGroup(Box<Group>),
    /// A member enrolled in a group: a seat in each of its sessions from `from` on that is not
    /// cancelled.
    Enrol {
        /// The group.
        group: GroupId,
        /// The member.
        member: MemberId,
        /// Sessions starting at or after this get the member's seat.
        from: Timestamp,
    },
    /// A member leaves a group: off the roster, and their booked seats in sessions from `from`
    /// on are given up.
    Unenrol {
        /// The group.
        group: GroupId,
        /// The member.
        member: MemberId,
        /// Sessions starting at or after this lose the member's seat.
        from: Timestamp,
    },
    /// A group session cancelled, and what happened to each booked seat.
    CancelSession {
        /// The group.
        group: GroupId,
        /// The session's index.
        session: usize,
        /// Reason, who, when.
        cancellation: Cancellation,
        /// Each booked member's seat: moved or cancelled.
        seats: Vec<(MemberId, SeatOutcome)>,
    },
    /// A clinician's schedule replaced from a date on (a new template, leave, a strike); the
    /// clinician's appointments from that date must fit the new schedule.
    Reschedule {
        /// The clinician.
        clinician: ClinicianId,
        /// The new schedule (template, leave; the same zone, calendar and pool).
        schedule: Box<Schedule>,
        /// The first local date it applies to.
        from: Date,
    },
    /// A new episode of care.
    OpenEpisode(Box<Episode>),
    /// An appointment becomes part of an episode.
    Attach {
        /// The episode.
        episode: EpisodeId,
        /// The appointment.
        appointment: AppointmentId,
    },
    /// The treating clinician changes an episode's cadence (weekly at first, then biweekly).
    SetCadence {
        /// The episode.
        episode: EpisodeId,
        /// From (checked when applying).
        from: Cadence,
        /// To.
        to: Cadence,
    },
    /// An episode ends.
    Discharge {
        /// The episode.
        episode: EpisodeId,
        /// When.
        at: Timestamp,
    },
    /// A substitute facilitates one group session in place of an absent facilitator.
    Substitute {
        /// The group.
        group: GroupId,
        /// The session's index.
        session: usize,
        /// The facilitator who is away.
        absent: ClinicianId,
        /// Who stands in.
        substitute: ClinicianId,
    },
    /// A member's attendance at a group session.
    SeatStatus {
        /// The group.
        group: GroupId,
        /// The session's index.
        session: usize,
        /// The member.
        member: MemberId,
        /// From (checked when applying).
        from: AppointmentStatus,
        /// To.
        to: AppointmentStatus,
    },
}

/// A request waiting for time that meets its deadline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WaitlistEntry {
    /// The request.
    pub request: Request,
    /// Its deadline.
    pub deadline: Timestamp,
    /// When it started waiting.
    pub since: Timestamp,
}

/// Why a decision could not be made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The time is not free (taken, protected, outside the template or the horizon).
    NotFree {
        /// The clinician.
        clinician: ClinicianId,
        /// The start asked for.
        start: Timestamp,
    },
    /// Urgent-hold time before its release, asked for by a routine request.
    UrgentHoldNotReleased,
    /// A start off the 15-minute grid.
    OffGrid,
    /// A start in the past.
    InThePast,
    /// The member chose a start before the offer (a choice may only be later).
    ChoiceBeforeOffer,
    /// The offer does not belong to the request's member's clinician set (unknown clinician).
    UnknownClinician(ClinicianId),
    /// The status cannot go from `from` to `to`.
    Transition {
        /// Current status.
        from: AppointmentStatus,
        /// Asked-for status.
        to: AppointmentStatus,
    },
    /// The hold or proposal expired.
    Expired,
    /// Attendance recorded before the appointment starts.
    NotStarted,
    /// No such appointment.
    UnknownAppointment(AppointmentId),
    /// The request is already on the waitlist.
    AlreadyWaiting(RequestId),
    /// The request is not on the waitlist.
    NotWaiting(RequestId),
    /// The request has an offer within its deadline: book it, not arrange.
    HasOffers(RequestId),
    /// A group decision's refusal.
    Group(GroupRefusal),
    /// A new schedule would leave these appointments outside the clinician's time: move or
    /// cancel them first.
    Displaces(Vec<AppointmentId>),
    /// An episode decision's refusal.
    Episode(EpisodeRefusal),
    /// The appointment cannot take another on top of it: it is not booked, has started, is
    /// itself on top of another, already carries one, or is the member's own.
    NotOverbookable(AppointmentId),
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::NotFree { clinician, start } => {
                write!(f, "{clinician} is not free at {start}")
            }
            Refusal::UrgentHoldNotReleased => {
                f.write_str("urgent-hold time is not yet released to routine requests")
            }
            Refusal::OffGrid => f.write_str("appointments start on a quarter hour"),
            Refusal::InThePast => f.write_str("the start is in the past"),
            Refusal::ChoiceBeforeOffer => {
                f.write_str("a member's choice may be later than the offer, not earlier")
            }
            Refusal::UnknownClinician(clinician) => write!(f, "{clinician} is not in the region"),
            Refusal::Transition { from, to } => write!(
                f,
                "an appointment cannot go from {} to {}",
                from.code(),
                to.code()
            ),
            Refusal::Expired => f.write_str("the hold has expired"),
            Refusal::NotStarted => f.write_str("the appointment has not started yet"),
            Refusal::UnknownAppointment(id) => write!(f, "{id} is not in the book"),
            Refusal::AlreadyWaiting(id) => write!(f, "{id} is already on the waitlist"),
            Refusal::NotWaiting(id) => write!(f, "{id} is not on the waitlist"),
            Refusal::HasOffers(id) => write!(f, "{id} has a timely offer: book it"),
            Refusal::Group(refusal) => refusal.fmt(f),
            Refusal::Episode(refusal) => refusal.fmt(f),
            Refusal::NotOverbookable(id) => {
                write!(f, "{id} cannot take an appointment on top of it")
            }
            Refusal::Displaces(ids) => write!(
                f,
                "the new schedule leaves {} appointment(s) outside the clinician's time",
                ids.len()
            ),
        }
    }
}

/// A decision: the changes to apply, or every reason it cannot be made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Apply these with [`Book::apply`].
    Accepted(Changes),
    /// Nothing to apply.
    Refused(Vec<Refusal>),
}

impl Outcome {
    /// The refusals, empty when accepted.
    pub fn refusals(&self) -> &[Refusal] {
        match self {
            Outcome::Accepted(_) => &[],
            Outcome::Refused(refusals) => refusals,
        }
    }
}

/// Failures applying changes: the decision was made against another state of the book (or
/// built by hand). The book is unchanged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApplyError {
    /// The appointment's time could not be taken or given back.
    #[error(transparent)]
    Availability(#[from] AvailabilityError),
    /// A status change from a status the appointment is not in.
    #[error("{appointment} is {actual}, not {expected}", actual = actual.code(), expected = expected.code())]
    StaleStatus {
        /// The appointment.
        appointment: AppointmentId,
        /// Its status.
        actual: AppointmentStatus,
        /// The status the change expected.
        expected: AppointmentStatus,
    },
    /// A new appointment whose id is not the next one.
    #[error("{0} is not the next appointment id")]
    StaleId(AppointmentId),
    /// No such appointment.
    #[error("{0} is not in the book")]
    UnknownAppointment(AppointmentId),
    /// A waitlist change that does not match the waitlist.
    #[error("{0}: the waitlist changed")]
    StaleWaitlist(RequestId),
    /// A group change that no longer fits the groups.
    #[error(transparent)]
    StaleGroup(#[from] StaleGroup),
    /// An episode change that no longer fits the episodes.
    #[error("{0}: the episode changed")]
    StaleEpisode(EpisodeId),
    /// An appointment booked on top of one that cannot take it (see [`Refusal::NotOverbookable`]).
    #[error("{0} cannot take an appointment on top of it")]
    NotOverbookable(AppointmentId),
}

/// How long holds and proposals last.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HoldPolicy {
    /// A `$hold` lasts this long.
    pub hold: SignedDuration,
    /// A waitlist proposal lasts this long.
    pub proposal: SignedDuration,
}

impl HoldPolicy {
    /// Holds last 15 minutes (long enough to confirm on the phone); proposals 24 hours
    /// (assumptions; both are parameters).
    pub const STANDARD: HoldPolicy = HoldPolicy {
        hold: SignedDuration::from_mins(15),
        proposal: SignedDuration::from_hours(24),
    };
}

/// Everything that configures a book.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BookPolicy {
    /// Finding offers.
    pub find: FindPolicy,
    /// Holds and proposals.
    pub holds: HoldPolicy,
    /// Urgent-hold time opens to routine requests this many minutes before it starts.
    pub urgent_hold_release_minutes: i64,
}

impl BookPolicy {
    /// Standard find and hold policies; urgent-hold time released 24 hours ahead (an assumption,
    /// a parameter).
    pub const STANDARD: BookPolicy = BookPolicy {
        find: FindPolicy::STANDARD,
        holds: HoldPolicy::STANDARD,
        urgent_hold_release_minutes: 24 * 60,
    };
}

/// The book of one region: its free time, appointments and arrangements.
#[derive(Clone, Debug)]
pub struct Book {
    availability: Availability,
    directory: Directory,
    policy: BookPolicy,
    /// Every appointment, by id, stored compactly.
    appointments: table::Table,
    arrangements: Vec<OutOfNetworkArrangement>,
    /// Sorted by (deadline, request id): the order proposals go out in.
    waitlist: Vec<WaitlistEntry>,
    pub(crate) groups: Vec<Group>,
    /// The latest plan-cancelled appointment of each request (looked up, never iterated, so a
    /// hash map keeps the book deterministic).
    plan_cancelled: HashMap<RequestId, AppointmentId>,
    /// Each clinician's schedule as it stands, by clinician index.
    schedules: Vec<Schedule>,
    episodes: Vec<Episode>,
    /// Each clinician's appointments, by clinician index, in id order (so a clinician's calendar,
    /// Slots or patients read theirs, not the whole book).
    by_clinician: Vec<Vec<AppointmentId>>,
    /// Each member's latest episode, by member index for the region's members (`u32::MAX`:
    /// none) and looked up for any other member id, and each episode's member's episode before
    /// it, by episode index: a member's episodes newest first, without a hash lookup for each
    /// one a region's member opens.
    latest_episode: Vec<u32>,
    latest_episode_beyond: HashMap<MemberId, u32>,
    previous_episode: Vec<u32>,
    /// The episode of each appointment, by appointment index (`u32::MAX`: none; appointments
    /// past the end have none).
    episode_of: Vec<u32>,
    /// Each clinician's open episodes, by clinician index.
    caseloads: Vec<u32>,
    /// The rows of internal clinicians at the policy's caseload cap, and how many they are.
    closed_to_new: RowSet,
    n_closed_to_new: usize,
    /// Each host's guest ([`Appointment::overbooks`]; the table keeps each guest's host).
    /// Looked up, never iterated.
    guest_of: HashMap<AppointmentId, AppointmentId>,
}

/// A slot the member chose instead of the offer's start (same clinician or another).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Choice {
    /// Who.
    pub clinician: ClinicianId,
    /// When.
    pub start: Timestamp,
}

impl Book {
    /// An empty book over `horizon` for the region's clinicians, with `leave` (clinician, first
    /// and last date) taken out of their time.
    pub fn new(
        region: &Region,
        horizon: Horizon,
        leave: &[(ClinicianId, jiff::civil::Date, jiff::civil::Date)],
        policy: BookPolicy,
    ) -> Result<Book, AvailabilityError> {
        let schedules = find::schedules(region, leave);
        let mut availability =
            Availability::build(&schedules, horizon, policy.urgent_hold_release_minutes)?;
        let directory = Directory::new(region, &availability);
        availability.set_tags(directory.n_tags(), |clinician| directory.tags_of(clinician))?;
        let closed_to_new = RowSet::empty(availability.n_rows());
        Ok(Book {
            schedules,
            availability,
            directory,
            policy,
            appointments: table::Table::default(),
            arrangements: Vec::new(),
            waitlist: Vec::new(),
            groups: Vec::new(),
            plan_cancelled: HashMap::new(),
            episodes: Vec::new(),
            by_clinician: vec![Vec::new(); region.clinicians.len()],
            latest_episode: vec![u32::MAX; region.members.len()],
            latest_episode_beyond: HashMap::new(),
            previous_episode: Vec::new(),
            episode_of: Vec::new(),
            caseloads: vec![0; region.clinicians.len()],
            closed_to_new,
            n_closed_to_new: 0,
            guest_of: HashMap::new(),
        })
    }

    /// The open episodes `clinician` treats.
    pub fn caseload(&self, clinician: ClinicianId) -> u32 {
        self.caseloads.get(clinician.index()).copied().unwrap_or(0)
    }

    /// Whether `clinician` takes new patients: false for an internal clinician at the policy's
    /// caseload cap.
    pub fn takes_new_patients(&self, clinician: ClinicianId) -> bool {
        self.availability
            .row_of(clinician)
            .is_none_or(|row| !self.closed_to_new.contains(row))
    }

    /// Counts an episode of `clinician` opening (`opens`) or closing, and opens or closes them
    /// to new patients at the cap.
    fn count_episode(&mut self, clinician: ClinicianId, opens: bool) {
        let Some(caseload) = self.caseloads.get_mut(clinician.index()) else {
            return;
        };
        if opens {
            *caseload += 1;
        } else {
            *caseload = caseload.saturating_sub(1);
        }
        let Some(cap) = self.policy.find.caseload_cap else {
            return;
        };
        let Some(row) = self.availability.row_of(clinician) else {
            return;
        };
        let pool = self.availability.pool_of_row(row);
        if pool != Pool::INTERNAL_THERAPY && pool != Pool::INTERNAL_PSYCHIATRY {
            return;
        }
        let at_cap = *caseload >= cap;
        if at_cap != self.closed_to_new.contains(row) {
            if at_cap {
                self.closed_to_new.insert(row);
                self.n_closed_to_new += 1;
            } else {
                self.closed_to_new.remove(row);
                self.n_closed_to_new -= 1;
            }
        }
    }

    /// Free time.
    pub fn availability(&self) -> &Availability {
        &self.availability
    }

    /// The policy the book was made with.
    pub fn policy(&self) -> &BookPolicy {
        &self.policy
    }

    /// Every appointment, in id order. The book stores them compactly (a third of an
    /// [`Appointment`]'s size off, see `book::table`), so each is read out as a value.
    pub fn appointments(
        &self,
    ) -> impl ExactSizeIterator<Item = Appointment> + DoubleEndedIterator + '_ {
        self.appointments.iter()
    }

    /// How many appointments the book has (the next one's id is this).
    pub fn appointment_count(&self) -> usize {
        self.appointments.len()
    }

    /// An appointment.
    pub fn appointment(&self, id: AppointmentId) -> Option<Appointment> {
        self.appointments.get(id)
    }

    /// An appointment's request, member, clinician, times and status, without reading out the
    /// rest.
    pub fn appointment_brief(&self, id: AppointmentId) -> Option<AppointmentBrief> {
        self.appointments.brief(id)
    }

    /// The clinician's appointments (every status), in id order, with their briefs.
    pub fn appointments_of(
        &self,
        clinician: ClinicianId,
    ) -> impl Iterator<Item = (AppointmentId, AppointmentBrief)> + '_ {
        self.by_clinician
            .get(clinician.index())
            .map_or(&[][..], Vec::as_slice)
            .iter()
            .filter_map(|id| Some((*id, self.appointments.brief(*id)?)))
    }

    /// Every appointment's brief, in id order.
    pub fn appointment_briefs(&self) -> impl Iterator<Item = &AppointmentBrief> + '_ {
        self.appointments.briefs()
    }

    /// Out-of-network arrangements recorded.
    pub fn arrangements(&self) -> &[OutOfNetworkArrangement] {
        &self.arrangements
    }

    /// The waitlist, in deadline order.
    pub fn waitlist(&self) -> &[WaitlistEntry] {
        &self.waitlist
    }

    /// Decides to arrange care out of network for a request no offer of which meets its
    /// deadline, instead of booking one: nobody in network has time within the book's horizon,
    /// or only later than the standard (SB 855 obliges the plan to arrange care then). The
    /// arrangement is recorded and nothing is booked; compliance counts the request as not
    /// offered in time.
    pub fn decide_arrange(&self, offers: &Offers<'_>) -> Outcome {
        match &offers.arrangement {
            Some(arrangement) => Outcome::Accepted(smallvec![Change::Arrange(arrangement.clone())]),
            None => Outcome::Refused(vec![Refusal::HasOffers(offers.request)]),
        }
    }

    /// Decides to put a request whose offers miss its deadline on the waitlist.
    pub fn decide_wait(&self, request: &Request, offers: &Offers<'_>, now: Timestamp) -> Outcome {
        if self
            .waitlist
            .iter()
            .any(|entry| entry.request.id == request.id)
        {
            return Outcome::Refused(vec![Refusal::AlreadyWaiting(request.id)]);
        }
        Outcome::Accepted(smallvec![Change::Wait(Box::new(WaitlistEntry {
            request: request.clone(),
            deadline: offers.deadline,
            since: now,
        }))])
    }

    /// Decides to take a request off the waitlist (the member no longer waits).
    pub fn decide_unwait(&self, request: RequestId) -> Outcome {
        if self
            .waitlist
            .iter()
            .any(|entry| entry.request.id == request)
        {
            Outcome::Accepted(smallvec![Change::Unwait(request)])
        } else {
            Outcome::Refused(vec![Refusal::NotWaiting(request)])
        }
    }

    /// When capacity frees (a cancellation, a new template), proposes it to the waitlist in
    /// deadline order: each waiting request whose best offer now meets its deadline gets a
    /// `proposed` appointment (expiring) and leaves the waitlist. A request whose best offer
    /// overlaps one proposed earlier in the same pass waits for the next pass.
    pub fn decide_propose_waitlist(
        &self,
        region: &Region,
        rules: &RuleSet,
        now: Timestamp,
    ) -> Result<Outcome, FindError> {
        let mut changes = Changes::new();
        let mut proposed: Vec<(ClinicianId, Timestamp, Timestamp)> = Vec::new();
        let mut next_id = self.next_appointment_id().0;
        for entry in &self.waitlist {
            let offers = self.find(region, rules, &entry.request, now)?;
            let Some(offer) = offers.best().filter(|offer| offer.timeliness.is_met()) else {
                continue;
            };
            let end = offer.start + SignedDuration::from_mins(i64::from(offer.length));
            if proposed.iter().any(|(clinician, start, stop)| {
                *clinician == offer.clinician && *start < end && offer.start < *stop
            }) {
                continue;
            }
            let taking = TakeOffer {
                request: &entry.request,
                offers: &offers,
                offer,
                choice: None,
                take: Take::Propose,
            };
            if let Outcome::Accepted(mut take_changes) = self.decide_take(region, &taking, now) {
                for change in &mut take_changes {
                    if let Change::Create(appointment) = change {
                        appointment.id = AppointmentId(next_id);
                        next_id += 1;
                    }
                }
                proposed.push((offer.clinician, offer.start, end));
                changes.extend(take_changes);
                changes.push(Change::Unwait(entry.request.id));
            }
        }
        Ok(Outcome::Accepted(changes))
    }

    /// Offers for `request` at `now` (see [`find::find`]). A hold that expired but whose expiry
    /// has not been applied ([`Book::decide_expire`]) still holds its time: apply expiries first
    /// to offer it again.
    pub fn find<'r>(
        &self,
        region: &Region,
        rules: &'r RuleSet,
        request: &Request,
        now: Timestamp,
    ) -> Result<Offers<'r>, FindError> {
        find::find(&self.context(region, rules), request, now)
    }

    /// Offers that start no earlier than `not_before` (a follow-up at its cadence).
    pub fn find_from<'r>(
        &self,
        region: &Region,
        rules: &'r RuleSet,
        request: &Request,
        not_before: Timestamp,
        now: Timestamp,
    ) -> Result<Offers<'r>, FindError> {
        find::find_from(&self.context(region, rules), request, not_before, now)
    }

    /// [`Book::find_from`] with the request's deadline already worked out (see
    /// [`find::find_within`]).
    pub fn find_within<'r>(
        &self,
        region: &Region,
        rules: &'r RuleSet,
        request: &Request,
        deadline: &DeadlineInstants<'r>,
        not_before: Timestamp,
        now: Timestamp,
    ) -> Result<Offers<'r>, FindError> {
        find::find_within(
            &self.context(region, rules),
            request,
            deadline,
            not_before,
            now,
        )
    }

    fn context<'a, 'r>(&'a self, region: &'a Region, rules: &'r RuleSet) -> FindContext<'a, 'r> {
        FindContext {
            region,
            availability: &self.availability,
            directory: &self.directory,
            policy: &self.policy.find,
            rules,
            closed_to_new: (self.n_closed_to_new > 0).then_some(&self.closed_to_new),
        }
    }

    /// The directory of filters (modality, language, facility) over the index's rows.
    pub fn directory(&self) -> &Directory {
        &self.directory
    }

    /// The id the next new appointment gets (ids are dense, in booking order): a plan that
    /// books several appointments in one step numbers them from here.
    pub fn next_appointment_id(&self) -> AppointmentId {
        AppointmentId(self.appointments.len() as u32)
    }

    /// Decides to hold (`$hold`: pending, expiring), propose or directly book an offer, or the
    /// member's later choice instead of it. The offer and its deadline are recorded for
    /// compliance.
    pub fn decide_take(&self, region: &Region, taking: &TakeOffer<'_>, now: Timestamp) -> Outcome {
        let TakeOffer {
            request,
            offers,
            offer,
            choice,
            take,
        } = *taking;
        let mut refusals = Vec::new();
        let (clinician_id, start) = match choice {
            Some(choice) => (choice.clinician, choice.start),
            None => (offer.clinician, offer.start),
        };
        if choice.is_some_and(|choice| choice.start < offer.start) {
            refusals.push(Refusal::ChoiceBeforeOffer);
        }
        let Some(clinician) = region.clinicians.get(clinician_id.index()) else {
            return Outcome::Refused(vec![Refusal::UnknownClinician(clinician_id)]);
        };
        if start < now {
            refusals.push(Refusal::InThePast);
        }
        let minute = Minute::from_timestamp(start);
        if minute.to_timestamp().ok() != Some(start) || minute.ceil_to_grid() != minute {
            refusals.push(Refusal::OffGrid);
        }
        let time = match self
            .availability
            .free_kind(clinician_id, minute, offer.length)
        {
            Ok(Some(kind)) => Some(kind),
            Ok(None) | Err(_) => {
                refusals.push(Refusal::NotFree {
                    clinician: clinician_id,
                    start,
                });
                None
            }
        };
        let urgency = if request.kind.is_urgent() {
            Urgency::Urgent
        } else {
            Urgency::Routine
        };
        if time == Some(FreeKind::UrgentHold)
            && urgency == Urgency::Routine
            && Minute::from_timestamp(now).0 < minute.0 - self.policy.urgent_hold_release_minutes
        {
            refusals.push(Refusal::UrgentHoldNotReleased);
        }
        let (Some(time), true) = (time, refusals.is_empty()) else {
            return Outcome::Refused(refusals);
        };
        let (status, expires) = match take {
            Take::Hold => (
                AppointmentStatus::Pending,
                Some(now + self.policy.holds.hold),
            ),
            Take::Propose => (
                AppointmentStatus::Proposed,
                Some(now + self.policy.holds.proposal),
            ),
            Take::Book => (AppointmentStatus::Booked, None),
        };
        let modality = match choice {
            Some(_) => find::modality_for(
                region,
                &region.members[request.member.index()],
                clinician,
                self.policy.find.max_travel_km,
                true,
            )
            .unwrap_or(offer.modality),
            None => offer.modality,
        };
        let member_language = region.members[request.member.index()].language;
        let mut changes: Changes = smallvec![Change::Create(Box::new(Appointment {
            id: self.next_appointment_id(),
            request: request.clone(),
            deadline: offers.deadline,
            offered: OfferRecord {
                clinician: offer.clinician,
                start: offer.start,
                timeliness: offer.timeliness,
            },
            clinician: clinician_id,
            facility: clinician.facility,
            start,
            length: offer.length,
            time,
            modality,
            interpreter: (!self.directory.speaks(clinician, member_language))
                .then_some(member_language),
            route: if choice.is_some_and(|c| c.clinician != offer.clinician) {
                Route::of(false, clinician.affiliation)
            } else {
                offer.route
            },
            status,
            expires,
            cancellation: None,
            replaces: self.replaced_by(request),
            overbooks: None,
        }))];
        if let Some(arrangement) = &offers.arrangement {
            changes.push(Change::Arrange(arrangement.clone()));
        }
        Outcome::Accepted(changes)
    }

    /// Decides to book `request` on top of `host`, a booked appointment of the clinician that
    /// has not started: a clinic booking over the no-shows it expects (which appointment, and
    /// whether at all, is the caller's policy). The new appointment has the host's clinician,
    /// start, length and kind of time and takes no free time ([`Appointment::overbooks`]). It
    /// answers the find `offers` made for the request: the deadline is recorded, the host's
    /// slot is the offer compliance counts, and the find's out-of-network arrangement is
    /// recorded when that slot is late too.
    pub fn decide_overbook(
        &self,
        region: &Region,
        rules: &RuleSet,
        request: &Request,
        offers: &Offers<'_>,
        host: AppointmentId,
        now: Timestamp,
    ) -> Outcome {
        let Some(slot) = self.appointments.brief(host) else {
            return Outcome::Refused(vec![Refusal::UnknownAppointment(host)]);
        };
        let Some(clinician) = region.clinicians.get(slot.clinician.index()) else {
            return Outcome::Refused(vec![Refusal::UnknownClinician(slot.clinician)]);
        };
        let Some(member) = region.members.get(request.member.index()) else {
            return Outcome::Refused(vec![Refusal::NotOverbookable(host)]);
        };
        let established = request.treating_clinician == Some(slot.clinician);
        let modality = find::modality_for(
            region,
            member,
            clinician,
            self.policy.find.max_travel_km,
            established,
        );
        let (Some(modality), true) = (modality, self.can_host(&slot, host, request, now)) else {
            return Outcome::Refused(vec![Refusal::NotOverbookable(host)]);
        };
        let timeliness = find::timeliness(offers.deadline, offers.last_day, rules, slot.start);
        let member_language = member.language;
        let mut changes: Changes = smallvec![Change::Create(Box::new(Appointment {
            id: self.next_appointment_id(),
            request: request.clone(),
            deadline: offers.deadline,
            offered: OfferRecord {
                clinician: slot.clinician,
                start: slot.start,
                timeliness,
            },
            clinician: slot.clinician,
            facility: clinician.facility,
            start: slot.start,
            length: slot.length,
            time: slot.time,
            modality,
            interpreter: (!self.directory.speaks(clinician, member_language))
                .then_some(member_language),
            route: Route::of(established, clinician.affiliation),
            status: AppointmentStatus::Booked,
            expires: None,
            cancellation: None,
            replaces: self.replaced_by(request),
            overbooks: Some(host),
        }))];
        if let (Some(arrangement), false) = (&offers.arrangement, timeliness.is_met()) {
            changes.push(Change::Arrange(arrangement.clone()));
        }
        Outcome::Accepted(changes)
    }

    /// Whether `host` (whose brief is `slot`) can take `request` on top of it at `now`: booked,
    /// not started, neither on top of another nor carrying one, and another member's.
    fn can_host(
        &self,
        slot: &AppointmentBrief,
        host: AppointmentId,
        request: &Request,
        now: Timestamp,
    ) -> bool {
        slot.status == AppointmentStatus::Booked
            && slot.start >= now
            && slot.member != request.member
            && self.appointments.host_of(host).is_none()
            && !self.guest_of.contains_key(&host)
    }

    /// The appointment on top of `id` or under it, if any ([`Appointment::overbooks`]).
    pub fn overbooked_with(&self, id: AppointmentId) -> Option<AppointmentId> {
        self.guest_of
            .get(&id)
            .copied()
            .or_else(|| self.appointments.host_of(id))
    }

    /// Whether `id`'s time is also held by the other appointment of its overbooked pair, so
    /// that a change of `id`'s status neither gives the time back nor takes it again.
    fn shares_time(&self, id: AppointmentId) -> bool {
        if self.guest_of.is_empty() {
            return false;
        }
        self.overbooked_with(id)
            .and_then(|other| self.appointments.brief(other))
            .is_some_and(|other| other.status.holds_time())
    }

    /// The host `id` is on top of, when that host still holds their shared time (so `id` takes
    /// none of its own).
    fn riding_on(&self, id: AppointmentId) -> Option<AppointmentId> {
        let host = self.appointments.host_of(id)?;
        self.appointments
            .brief(host)
            .is_some_and(|slot| slot.status.holds_time())
            .then_some(host)
    }

    /// The latest plan-cancelled appointment of the same request, which a new one replaces.
    fn replaced_by(&self, request: &Request) -> Option<AppointmentId> {
        self.plan_cancelled.get(&request.id).copied()
    }

    /// Decides `request` the way a scheduler does: takes its best offer, or `choice` (a
    /// clinician's time the member picked) if that time is free, against the earliest offer at
    /// or before it (the engine refuses a choice earlier than its offer). A chosen time that is
    /// not free is refused as [`Refusal::NotFree`], whatever the offers. `None` when nobody can
    /// see the member at all (no offer to take).
    pub fn decide_request(
        &self,
        region: &Region,
        rules: &RuleSet,
        request: &Request,
        choice: Option<Choice>,
        take: Take,
        now: Timestamp,
    ) -> Result<Option<Outcome>, FindError> {
        if let Some(choice) = choice {
            let length = self.policy.find.lengths.minutes(request.kind);
            let free = self.availability.free_kind(
                choice.clinician,
                Minute::from_timestamp(choice.start),
                length,
            );
            if !matches!(free, Ok(Some(_))) {
                return Ok(Some(Outcome::Refused(vec![Refusal::NotFree {
                    clinician: choice.clinician,
                    start: choice.start,
                }])));
            }
        }
        let offers = self.find(region, rules, request, now)?;
        let Some(best) = offers.best() else {
            return Ok(None);
        };
        let offer = match choice {
            Some(choice) => offers
                .offers
                .iter()
                .filter(|offer| offer.start <= choice.start)
                .min_by_key(|offer| offer.start)
                .unwrap_or(best),
            None => best,
        };
        Ok(Some(self.decide_take(
            region,
            &TakeOffer {
                request,
                offers: &offers,
                offer,
                choice,
                take,
            },
            now,
        )))
    }

    /// Decides to confirm a hold or accept a proposal (`pending`/`proposed` → `booked`), before it
    /// expires.
    pub fn decide_confirm(&self, id: AppointmentId, now: Timestamp) -> Outcome {
        let Some(appointment) = self.appointment(id) else {
            return Outcome::Refused(vec![Refusal::UnknownAppointment(id)]);
        };
        let mut refusals = Vec::new();
        if !matches!(
            appointment.status,
            AppointmentStatus::Pending | AppointmentStatus::Proposed
        ) {
            refusals.push(Refusal::Transition {
                from: appointment.status,
                to: AppointmentStatus::Booked,
            });
        } else if appointment.expires.is_some_and(|expires| expires <= now) {
            refusals.push(Refusal::Expired);
        }
        self.status_outcome(
            id,
            appointment.status,
            AppointmentStatus::Booked,
            None,
            refusals,
        )
    }

    /// Decides to cancel, with a reason and who cancelled; the time goes back to the clinician.
    pub fn decide_cancel(
        &self,
        id: AppointmentId,
        reason: CancellationReason,
        by: CancelledBy,
        now: Timestamp,
    ) -> Outcome {
        let Some(appointment) = self.appointments.brief(id) else {
            return Outcome::Refused(vec![Refusal::UnknownAppointment(id)]);
        };
        let refusals = match appointment.status {
            AppointmentStatus::Proposed
            | AppointmentStatus::Pending
            | AppointmentStatus::Booked => Vec::new(),
            from => vec![Refusal::Transition {
                from,
                to: AppointmentStatus::Cancelled,
            }],
        };
        let cancellation = Cancellation {
            reason,
            by,
            at: now,
        };
        self.status_outcome(
            id,
            appointment.status,
            AppointmentStatus::Cancelled,
            Some(cancellation),
            refusals,
        )
    }

    /// Decides to record attendance: `arrived`, `fulfilled` or `noshow`, from the appointment's
    /// start on.
    pub fn decide_attendance(
        &self,
        id: AppointmentId,
        to: AppointmentStatus,
        now: Timestamp,
    ) -> Outcome {
        let Some(appointment) = self.appointments.brief(id) else {
            return Outcome::Refused(vec![Refusal::UnknownAppointment(id)]);
        };
        let allowed = matches!(
            (appointment.status, to),
            (AppointmentStatus::Booked, AppointmentStatus::Arrived)
                | (AppointmentStatus::Booked, AppointmentStatus::Fulfilled)
                | (AppointmentStatus::Booked, AppointmentStatus::NoShow)
                | (AppointmentStatus::Arrived, AppointmentStatus::Fulfilled)
        );
        let mut refusals = Vec::new();
        if !allowed {
            refusals.push(Refusal::Transition {
                from: appointment.status,
                to,
            });
        }
        // A member can arrive early; a no-show or a visit cannot be recorded before the start.
        if to != AppointmentStatus::Arrived && now < appointment.start {
            refusals.push(Refusal::NotStarted);
        }
        self.status_outcome(id, appointment.status, to, None, refusals)
    }

    /// Decides to mark an appointment entered in error (it never was); its time goes back.
    pub fn decide_entered_in_error(&self, id: AppointmentId) -> Outcome {
        let Some(appointment) = self.appointments.brief(id) else {
            return Outcome::Refused(vec![Refusal::UnknownAppointment(id)]);
        };
        let refusals = match appointment.status {
            AppointmentStatus::EnteredInError => vec![Refusal::Transition {
                from: appointment.status,
                to: AppointmentStatus::EnteredInError,
            }],
            _ => Vec::new(),
        };
        self.status_outcome(
            id,
            appointment.status,
            AppointmentStatus::EnteredInError,
            None,
            refusals,
        )
    }

    /// Decides to let every hold and proposal that expired by `now` go: cancelled with reason
    /// `hold-expired`, on the member's side (the member did not confirm, so it does not count
    /// against the plan), and the time goes back.
    pub fn decide_expire(&self, now: Timestamp) -> Outcome {
        let changes = self
            .appointments
            .iter()
            .filter(|appointment| {
                matches!(
                    appointment.status,
                    AppointmentStatus::Pending | AppointmentStatus::Proposed
                ) && appointment.expires.is_some_and(|expires| expires <= now)
            })
            .map(|appointment| Change::SetStatus {
                appointment: appointment.id,
                from: appointment.status,
                to: AppointmentStatus::Cancelled,
                cancellation: Some(Cancellation {
                    reason: CancellationReason::HoldExpired,
                    by: CancelledBy::Member,
                    at: now,
                }),
            })
            .collect();
        Outcome::Accepted(changes)
    }

    fn status_outcome(
        &self,
        appointment: AppointmentId,
        from: AppointmentStatus,
        to: AppointmentStatus,
        cancellation: Option<Cancellation>,
        refusals: Vec<Refusal>,
    ) -> Outcome {
        if !refusals.is_empty() {
            return Outcome::Refused(refusals);
        }
        Outcome::Accepted(smallvec![Change::SetStatus {
            appointment,
            from,
            to,
            cancellation,
        }])
    }

    /// Every episode, by id.
    pub fn episodes(&self) -> &[Episode] {
        &self.episodes
    }

    /// See [`crate::perf::prefetch_appointment`].
    pub(crate) fn prefetch_appointment(&self, id: AppointmentId) {
        self.appointments.prefetch(id);
        if let Some(episode) = self.episode_of.get(id.index()) {
            prefetch(episode);
        }
    }

    /// See [`crate::perf::prefetch_booking`].
    pub(crate) fn prefetch_booking(&self, clinician: ClinicianId) {
        if let Some(appointments) = self.by_clinician.get(clinician.index()) {
            prefetch_push(appointments);
        }
    }

    /// See [`crate::perf::prefetch_episode`].
    pub(crate) fn prefetch_episode(&self, id: EpisodeId) {
        if let Some(episode) = self.episodes.get(id.index()) {
            prefetch_all(episode);
        }
    }

    /// The index of the member's latest episode (`u32::MAX`: none).
    fn latest_episode_of(&self, member: MemberId) -> u32 {
        match self.latest_episode.get(member.index()) {
            Some(latest) => *latest,
            None => self
                .latest_episode_beyond
                .get(&member)
                .copied()
                .unwrap_or(u32::MAX),
        }
    }

    fn set_latest_episode(&mut self, member: MemberId, episode: u32) {
        if let Some(latest) = self.latest_episode.get_mut(member.index()) {
            *latest = episode;
        } else if episode == u32::MAX {
            self.latest_episode_beyond.remove(&member);
        } else {
            self.latest_episode_beyond.insert(member, episode);
        }
    }

    /// The member's latest episode that has not ended: the treating clinician a follow-up
    /// goes to first (continuity).
    pub fn open_episode_of(&self, member: MemberId) -> Option<&Episode> {
        let mut at = self.latest_episode_of(member);
        while at != u32::MAX {
            let episode = &self.episodes[at as usize];
            if episode.discharged.is_none() {
                return Some(episode);
            }
            at = self.previous_episode[at as usize];
        }
        None
    }

    /// The episode an appointment belongs to.
    pub fn episode_of(&self, appointment: AppointmentId) -> Option<EpisodeId> {
        self.episode_of
            .get(appointment.index())
            .filter(|episode| **episode != u32::MAX)
            .map(|episode| EpisodeId(*episode))
    }

    /// Decides to open an episode: the treating clinician sets its cadence and says whether a
    /// wait longer than the follow-up standard is documented as not detrimental.
    pub fn decide_open_episode(
        &self,
        member: MemberId,
        clinician: ClinicianId,
        cadence: Cadence,
        longer_wait: LongerWait,
        preferences: caretime_core::request::Preferences,
    ) -> Outcome {
        Outcome::Accepted(smallvec![Change::OpenEpisode(Box::new(Episode {
            id: EpisodeId(self.episodes.len() as u32),
            member,
            clinician,
            cadence,
            longer_wait,
            preferences,
            discharged: None,
            appointments: EpisodeAppointments::new(),
        }))])
    }

    /// Decides to make an appointment (the intake, a follow-up) part of an episode.
    pub fn decide_attach(&self, episode: EpisodeId, appointment: AppointmentId) -> Outcome {
        let refuse = |refusal| Outcome::Refused(vec![Refusal::Episode(refusal)]);
        let Some(known) = self.episodes.get(episode.index()) else {
            return refuse(EpisodeRefusal::UnknownEpisode(episode));
        };
        let Some(booked) = self.appointments.brief(appointment) else {
            return refuse(EpisodeRefusal::UnknownAppointment(appointment));
        };
        let mut refusals = Vec::new();
        if known.discharged.is_some() {
            refusals.push(Refusal::Episode(EpisodeRefusal::Discharged));
        }
        if booked.member != known.member {
            refusals.push(Refusal::Episode(EpisodeRefusal::OtherMember));
        }
        if self.episode_of(appointment).is_some() {
            refusals.push(Refusal::Episode(EpisodeRefusal::AlreadyAttached));
        }
        if !refusals.is_empty() {
            return Outcome::Refused(refusals);
        }
        Outcome::Accepted(smallvec![Change::Attach {
            episode,
            appointment,
        }])
    }

    /// An episode that has not ended, or the refusal to decide on it.
    fn open_episode(&self, episode: EpisodeId) -> Result<&Episode, Refusal> {
        match self.episodes.get(episode.index()) {
            None => Err(Refusal::Episode(EpisodeRefusal::UnknownEpisode(episode))),
            Some(known) if known.discharged.is_some() => {
                Err(Refusal::Episode(EpisodeRefusal::Discharged))
            }
            Some(known) => Ok(known),
        }
    }

    /// Decides to change an open episode's cadence from its next follow-up on.
    pub fn decide_cadence(&self, episode: EpisodeId, cadence: Cadence) -> Outcome {
        match self.open_episode(episode) {
            Err(refusal) => Outcome::Refused(vec![refusal]),
            Ok(known) => Outcome::Accepted(smallvec![Change::SetCadence {
                episode,
                from: known.cadence,
                to: cadence,
            }]),
        }
    }

    /// Decides to discharge: the episode ends at `now`.
    pub fn decide_discharge(&self, episode: EpisodeId, now: Timestamp) -> Outcome {
        match self.open_episode(episode) {
            Err(refusal) => Outcome::Refused(vec![refusal]),
            Ok(_) => Outcome::Accepted(smallvec![Change::Discharge { episode, at: now }]),
        }
    }

    /// The next follow-up of an open episode: from its latest appointment that took or holds
    /// place (not cancelled, not a no-show), at the clinician's cadence and within SB 221 (see
    /// [`next_follow_up`]). `None` when the episode has ended or has no such appointment yet.
    pub fn next_follow_up<'r>(
        &self,
        episode: EpisodeId,
        request: RequestId,
        rules: &'r RuleSet,
        now: Timestamp,
    ) -> Result<Option<FollowUp<'r>>, crate::episode::FollowUpError> {
        let known = self
            .episodes
            .get(episode.index())
            .ok_or(crate::episode::FollowUpError::UnknownEpisode(episode))?;
        if known.discharged.is_some() {
            return Ok(None);
        }
        let prior = known
            .appointments
            .iter()
            .filter_map(|id| self.appointments.brief(*id))
            .filter(|appointment| {
                matches!(
                    appointment.status,
                    AppointmentStatus::Booked
                        | AppointmentStatus::Arrived
                        | AppointmentStatus::Fulfilled
                )
            })
            .max_by_key(|appointment| appointment.start);
        let Some(prior) = prior else {
            return Ok(None);
        };
        // Borrowed, not cloned: a zone's clone counts a reference (an atomic operation).
        let zone = self
            .schedule(prior.clinician)
            .map_or(rules.time_zone(), |schedule| &schedule.time_zone);
        Ok(Some(next_follow_up(
            known,
            request,
            prior.start,
            zone,
            rules,
            now,
        )?))
    }

    /// The clinician's schedule as the book has it.
    pub fn schedule(&self, clinician: ClinicianId) -> Option<&Schedule> {
        // Schedules are made in the region's clinician order, so the clinician's index finds
        // theirs at once; the scan is for a book whose schedules came otherwise.
        self.schedules
            .get(clinician.index())
            .filter(|schedule| schedule.clinician == clinician)
            .or_else(|| {
                self.schedules
                    .iter()
                    .find(|schedule| schedule.clinician == clinician)
            })
    }

    /// Decides to replace a clinician's template and leave from local date `from` on. Refused,
    /// listing them, when appointments that hold time from that date would fall outside the new
    /// schedule (the replanner moves or cancels them first). Freed time goes to the waitlist with
    /// [`Book::decide_propose_waitlist`].
    pub fn decide_reschedule(
        &self,
        clinician: ClinicianId,
        template: Template,
        leave: Vec<(Date, Date)>,
        from: Date,
    ) -> Result<Outcome, AvailabilityError> {
        let current = self
            .schedule(clinician)
            .ok_or(AvailabilityError::UnknownClinician(clinician))?;
        let schedule = Schedule {
            template,
            leave,
            ..current.clone()
        };
        let horizon = self.availability.horizon();
        if from > horizon.last {
            return Ok(Outcome::Accepted(Changes::new()));
        }
        // The new schedule alone, from `from` on: does every appointment still fit?
        let alone = Availability::build(
            std::slice::from_ref(&schedule),
            Horizon {
                first: from.max(horizon.first),
                last: horizon.last,
            },
            self.policy.urgent_hold_release_minutes,
        )?;
        let from_instant = from
            .to_zoned(schedule.time_zone.clone())
            .map_err(|_| AvailabilityError::OutOfRange)?
            .timestamp();
        let mut displaced = Vec::new();
        let mut alone = alone;
        for (id, appointment) in self.holding(clinician, from_instant) {
            // On top of an appointment that holds the time (an earlier id, seen already): it
            // goes where its host goes.
            if let Some(host) = self.riding_on(id) {
                if displaced.contains(&host) {
                    displaced.push(id);
                }
                continue;
            }
            let start = Minute::from_timestamp(appointment.start);
            // Reserve as we go, so two appointments cannot both claim one free hour.
            if alone.free_kind(clinician, start, appointment.length)? != Some(appointment.time) {
                displaced.push(id);
            } else {
                alone.reserve(clinician, start, appointment.length)?;
            }
        }
        if !displaced.is_empty() {
            return Ok(Outcome::Refused(vec![Refusal::Displaces(displaced)]));
        }
        Ok(Outcome::Accepted(smallvec![Change::Reschedule {
            clinician,
            schedule: Box::new(schedule),
            from,
        }]))
    }

    /// The clinician's appointments that hold time and start at or after `from`, in id order.
    fn holding(
        &self,
        clinician: ClinicianId,
        from: Timestamp,
    ) -> impl Iterator<Item = (AppointmentId, AppointmentBrief)> + '_ {
        self.appointments_of(clinician)
            .filter(move |(_, appointment)| {
                appointment.status.holds_time() && appointment.start >= from
            })
    }

    /// Applies a new schedule and reserves the clinician's appointments in it again.
    fn reschedule(
        &mut self,
        clinician: ClinicianId,
        schedule: &Schedule,
        from: Date,
    ) -> Result<(), ApplyError> {
        self.availability.reschedule(schedule, from)?;
        let from_instant = from
            .max(self.availability.horizon().first)
            .to_zoned(schedule.time_zone.clone())
            .map_err(|_| AvailabilityError::OutOfRange)?
            .timestamp();
        let held: Vec<(Minute, u32, FreeKind)> = self
            .holding(clinician, from_instant)
            .filter(|(id, _)| self.riding_on(*id).is_none())
            .map(|(_, appointment)| {
                (
                    Minute::from_timestamp(appointment.start),
                    appointment.length,
                    appointment.time,
                )
            })
            .collect();
        for (start, length, kind) in held {
            if self.availability.reserve(clinician, start, length)? != kind {
                return Err(ApplyError::Availability(AvailabilityError::NotFree {
                    clinician,
                }));
            }
        }
        Ok(())
    }

    /// The request to rebook a cancelled appointment at `now`: a plan cancellation keeps the
    /// original request and so its deadline (the plan's cancellation counts against the plan); a member's cancellation starts
    /// a new clock at `now`.
    pub fn rebooking_request(&self, id: AppointmentId, now: Timestamp) -> Option<Request> {
        let appointment = self.appointment(id)?;
        let cancellation = appointment.cancellation?;
        let mut request = appointment.request.clone();
        if cancellation.by == CancelledBy::Member {
            request.requested = now;
        }
        Some(request)
    }

    /// Applies an accepted decision's changes, all or none.
    pub fn apply(&mut self, changes: &[Change]) -> Result<(), ApplyError> {
        // The last change is never undone (nothing after it can fail), so a single change, most
        // decisions, keeps no log at all.
        let mut undo_log = Vec::new();
        for (idx, change) in changes.iter().enumerate() {
            match self.apply_one(change, idx + 1 < changes.len()) {
                Ok(undo) if idx + 1 < changes.len() => undo_log.push(undo),
                Ok(_) => {}
                Err(error) => {
                    for undo in undo_log.into_iter().rev() {
                        self.undo(undo);
                    }
                    return Err(error);
                }
            }
        }
        Ok(())
    }

    /// Applies one change; `undoable` asks for an undo that reverses it (the batch's last change
    /// is never undone, so it may skip copies only an undo would need).
    fn apply_one(&mut self, change: &Change, undoable: bool) -> Result<Undo, ApplyError> {
        match change {
            Change::Create(appointment) => {
                if appointment.id != self.next_appointment_id() {
                    return Err(ApplyError::StaleId(appointment.id));
                }
                match appointment.overbooks {
                    // On top of another: that one must still be able to take it, at the same
                    // time; no free time is taken.
                    Some(host) => {
                        let fits = self.appointments.brief(host).is_some_and(|slot| {
                            slot.clinician == appointment.clinician
                                && slot.start == appointment.start
                                && slot.length == appointment.length
                                && slot.time == appointment.time
                                && self.can_host(
                                    &slot,
                                    host,
                                    &appointment.request,
                                    appointment.request.requested,
                                )
                        });
                        if !fits {
                            return Err(ApplyError::NotOverbookable(host));
                        }
                        self.guest_of.insert(host, appointment.id);
                    }
                    // The time must still be free, and of the kind the decision saw.
                    None => self.availability.reserve_as(
                        appointment.clinician,
                        Minute::from_timestamp(appointment.start),
                        appointment.length,
                        appointment.time,
                    )?,
                }
                self.appointments.push(appointment);
                let index = appointment.clinician.index();
                if self.by_clinician.len() <= index {
                    self.by_clinician.resize_with(index + 1, Vec::new);
                }
                self.by_clinician[index].push(appointment.id);
                Ok(Undo::Created)
            }
            Change::SetStatus {
                appointment: id,
                from,
                to,
                cancellation,
            } => {
                let before = self
                    .appointments
                    .brief(*id)
                    .ok_or(ApplyError::UnknownAppointment(*id))?;
                if before.status != *from {
                    return Err(ApplyError::StaleStatus {
                        appointment: *id,
                        actual: before.status,
                        expected: *from,
                    });
                }
                // What the change overwrites (for an undo): a few fields, no copy of the whole
                // appointment.
                let (cancellation_before, expires_before) = self
                    .appointments
                    .cancellation_and_expiry(*id)
                    .ok_or(ApplyError::UnknownAppointment(*id))?;
                let releases = from.holds_time() && !to.holds_time() && !self.shares_time(*id);
                if releases {
                    self.availability.release(
                        before.clinician,
                        Minute::from_timestamp(before.start),
                        before.length,
                        before.time,
                    )?;
                }
                let previous_plan_cancelled =
                    if cancellation.is_some_and(|c| c.by == CancelledBy::Plan) {
                        Some(self.plan_cancelled.insert(before.request, *id))
                    } else {
                        None
                    };
                let expires =
                    if matches!(to, AppointmentStatus::Pending | AppointmentStatus::Proposed) {
                        expires_before
                    } else {
                        None
                    };
                self.appointments.set_status(
                    *id,
                    *to,
                    cancellation.or(cancellation_before),
                    expires,
                );
                Ok(Undo::Status {
                    id: *id,
                    status: before.status,
                    cancellation: cancellation_before,
                    expires: expires_before,
                    released: releases,
                    previous_plan_cancelled,
                })
            }
            Change::Arrange(arrangement) => {
                self.arrangements.push(arrangement.clone());
                Ok(Undo::Arranged)
            }
            Change::Wait(entry) => {
                if self
                    .waitlist
                    .iter()
                    .any(|known| known.request.id == entry.request.id)
                {
                    return Err(ApplyError::StaleWaitlist(entry.request.id));
                }
                let at = self.waitlist.partition_point(|known| {
                    (known.deadline, known.request.id) < (entry.deadline, entry.request.id)
                });
                self.waitlist.insert(at, (**entry).clone());
                Ok(Undo::Waited(entry.request.id))
            }
            Change::Unwait(request) => {
                let at = self
                    .waitlist
                    .iter()
                    .position(|known| known.request.id == *request)
                    .ok_or(ApplyError::StaleWaitlist(*request))?;
                Ok(Undo::Unwaited(at, Box::new(self.waitlist.remove(at))))
            }
            Change::OpenEpisode(episode) => {
                if episode.id.index() != self.episodes.len() {
                    return Err(ApplyError::StaleEpisode(episode.id));
                }
                self.previous_episode
                    .push(self.latest_episode_of(episode.member));
                self.set_latest_episode(episode.member, episode.id.0);
                self.episodes.push((**episode).clone());
                if episode.discharged.is_none() {
                    self.count_episode(episode.clinician, true);
                }
                Ok(Undo::Opened)
            }
            Change::Attach {
                episode,
                appointment,
            } => {
                let known = self
                    .episodes
                    .get_mut(episode.index())
                    .ok_or(ApplyError::StaleEpisode(*episode))?;
                let attached = self
                    .episode_of
                    .get(appointment.index())
                    .is_some_and(|known| *known != u32::MAX);
                if known.discharged.is_some()
                    || attached
                    || appointment.index() >= self.appointments.len()
                {
                    return Err(ApplyError::StaleEpisode(*episode));
                }
                known.appointments.push(*appointment);
                if self.episode_of.len() <= appointment.index() {
                    self.episode_of.resize(appointment.index() + 1, u32::MAX);
                }
                self.episode_of[appointment.index()] = episode.0;
                Ok(Undo::Attached(*episode, *appointment))
            }
            Change::SetCadence { episode, from, to } => {
                let known = self
                    .episodes
                    .get_mut(episode.index())
                    .filter(|known| known.discharged.is_none() && known.cadence == *from)
                    .ok_or(ApplyError::StaleEpisode(*episode))?;
                known.cadence = *to;
                Ok(Undo::Cadence(*episode, *from))
            }
            Change::Discharge { episode, at } => {
                let known = self
                    .episodes
                    .get_mut(episode.index())
                    .filter(|known| known.discharged.is_none())
                    .ok_or(ApplyError::StaleEpisode(*episode))?;
                known.discharged = Some(*at);
                let clinician = known.clinician;
                self.count_episode(clinician, false);
                Ok(Undo::Discharged(*episode))
            }
            Change::Reschedule {
                clinician,
                schedule,
                from,
            } => {
                let idx = self
                    .schedules
                    .iter()
                    .position(|known| known.clinician == *clinician)
                    .ok_or(AvailabilityError::UnknownClinician(*clinician))?;
                let before = self.schedules[idx].clone();
                if let Err(error) = self.reschedule(*clinician, schedule, *from) {
                    self.reschedule(*clinician, &before, *from)
                        .expect("the schedule the book had takes its appointments back");
                    return Err(error);
                }
                self.schedules[idx] = (**schedule).clone();
                Ok(Undo::Rescheduled {
                    idx,
                    before: Box::new(before),
                    from: *from,
                })
            }
            Change::SeatStatus {
                group,
                session,
                member,
                from,
                to,
            } => {
                // The one change made for every seat of every session: undone in place rather
                // than by a copy of the group.
                apply_group_change(&mut self.groups, change).map_err(ApplyError::StaleGroup)?;
                Ok(Undo::Seat {
                    group: *group,
                    session: *session,
                    member: *member,
                    from: *from,
                    to: *to,
                })
            }
            Change::CreateGroup(_)
            | Change::Substitute { .. }
            | Change::Enrol { .. }
            | Change::Unenrol { .. }
            | Change::CancelSession { .. } => {
                // Only the groups the change touches are kept for the undo (every group of a
                // region would be copied on each seat's change otherwise), and none when there
                // will be no undo and the change cannot fail half-way: enrolling, unenrolling
                // and substituting check everything before they write (a cancelled session's
                // moved seats are written one by one, so it keeps its copy).
                let half_way = matches!(change, Change::CancelSession { .. });
                let copies = if undoable || half_way {
                    touched_groups(change)
                } else {
                    Vec::new()
                };
                let before: Vec<(GroupId, Group)> = copies
                    .into_iter()
                    .filter_map(|group| {
                        self.groups
                            .get(group.index())
                            .map(|known| (group, known.clone()))
                    })
                    .collect();
                let n_groups = self.groups.len();
                apply_group_change(&mut self.groups, change).map_err(|error| {
                    // A failed change may have half-applied: put the touched groups back.
                    self.groups.truncate(n_groups);
                    for (group, known) in &before {
                        self.groups[group.index()] = known.clone();
                    }
                    ApplyError::StaleGroup(error)
                })?;
                Ok(Undo::Groups { n_groups, before })
            }
        }
    }

    /// Reverses one applied change (only to roll back a failed batch, so each reversal restores a
    /// state that existed a moment ago).
    fn undo(&mut self, undo: Undo) {
        match undo {
            Undo::Created => {
                let appointment = self.appointments.pop().expect("the change created it");
                if let Some(of_clinician) = self.by_clinician.get_mut(appointment.clinician.index())
                {
                    of_clinician.pop();
                }
                if let Some(host) = appointment.overbooks {
                    self.guest_of.remove(&host);
                    return;
                }
                self.availability
                    .release(
                        appointment.clinician,
                        Minute::from_timestamp(appointment.start),
                        appointment.length,
                        appointment.time,
                    )
                    .expect("the time was reserved by the change being undone");
            }
            Undo::Status {
                id,
                status,
                cancellation,
                expires,
                released,
                previous_plan_cancelled,
            } => {
                self.appointments
                    .set_status(id, status, cancellation, expires);
                let appointment = self
                    .appointments
                    .brief(id)
                    .expect("the change being undone knew it");
                match previous_plan_cancelled {
                    Some(Some(previous)) => {
                        self.plan_cancelled.insert(appointment.request, previous);
                    }
                    Some(None) => {
                        self.plan_cancelled.remove(&appointment.request);
                    }
                    None => {}
                }
                if released {
                    self.availability
                        .reserve(
                            appointment.clinician,
                            Minute::from_timestamp(appointment.start),
                            appointment.length,
                        )
                        .expect("the time was released by the change being undone");
                }
            }
            Undo::Arranged => {
                self.arrangements.pop();
            }
            Undo::Waited(request) => {
                self.waitlist.retain(|entry| entry.request.id != request);
            }
            Undo::Unwaited(at, entry) => self.waitlist.insert(at, *entry),
            Undo::Seat {
                group,
                session,
                member,
                from,
                to,
            } => {
                // The reverse change, through the same mechanism that applied it.
                let reverse = Change::SeatStatus {
                    group,
                    session,
                    member,
                    from: to,
                    to: from,
                };
                apply_group_change(&mut self.groups, &reverse)
                    .expect("the seat was changed by the change being undone");
            }
            Undo::Groups { n_groups, before } => {
                self.groups.truncate(n_groups);
                for (group, known) in before {
                    self.groups[group.index()] = known;
                }
            }
            Undo::Opened => {
                if let Some(episode) = self.episodes.pop() {
                    if episode.discharged.is_none() {
                        self.count_episode(episode.clinician, false);
                    }
                    if let Some(previous) = self.previous_episode.pop() {
                        self.set_latest_episode(episode.member, previous);
                    }
                }
            }
            Undo::Attached(episode, appointment) => {
                self.episodes[episode.index()].appointments.pop();
                self.episode_of[appointment.index()] = u32::MAX;
            }
            Undo::Discharged(episode) => {
                let known = &mut self.episodes[episode.index()];
                known.discharged = None;
                let clinician = known.clinician;
                self.count_episode(clinician, true);
            }
            Undo::Cadence(episode, before) => self.episodes[episode.index()].cadence = before,
            Undo::Rescheduled { idx, before, from } => {
                let clinician = before.clinician;
                self.reschedule(clinician, &before, from)
                    .expect("the schedule the book had takes its appointments back");
                self.schedules[idx] = *before;
            }
        }
    }
}

/// What rolling back one applied change needs.
#[derive(Debug)]
enum Undo {
    Created,
    /// An appointment's status, cancellation and expiry as they were.
    Status {
        id: AppointmentId,
        status: AppointmentStatus,
        cancellation: Option<Cancellation>,
        expires: Option<Timestamp>,
        released: bool,
        /// `Some(previous entry)` when the change recorded a plan cancellation.
        previous_plan_cancelled: Option<Option<AppointmentId>>,
    },
    Arranged,
    Waited(RequestId),
    Unwaited(usize, Box<WaitlistEntry>),
    /// A seat's status as it was.
    Seat {
        group: GroupId,
        session: usize,
        member: MemberId,
        from: AppointmentStatus,
        to: AppointmentStatus,
    },
    /// The number of groups before the change and the touched groups as they were.
    Groups {
        n_groups: usize,
        before: Vec<(GroupId, Group)>,
    },
    Opened,
    Attached(EpisodeId, AppointmentId),
    Discharged(EpisodeId),
    Cadence(EpisodeId, Cadence),
    Rescheduled {
        idx: usize,
        before: Box<Schedule>,
        from: Date,
    },
}

/// What [`Book::decide_take`] takes: an offer from a find for a request, or the member's choice.
#[derive(Clone, Copy, Debug)]
pub struct TakeOffer<'a> {
    /// The request.
    pub request: &'a Request,
    /// The find the offer came from (its deadline and arrangement are recorded).
    pub offers: &'a Offers<'a>,
    /// The offer.
    pub offer: &'a Offer,
    /// The member's own choice instead of the offer's start, if any (never earlier).
    pub choice: Option<Choice>,
    /// Hold, propose or book.
    pub take: Take,
}

/// How an offer is taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Take {
    /// `$hold`: pending until confirmed or expired.
    Hold,
    /// A waitlist proposal: proposed until accepted or expired.
    Propose,
    /// `$book`: booked at once.
    Book,
}
