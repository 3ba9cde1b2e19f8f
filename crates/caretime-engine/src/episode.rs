//! Episodes of care and the follow-up policy.
//!
//! An [`Episode`] is a course of treatment: an intake, follow-ups at a cadence the treating
//! clinician sets (weekly, biweekly, monthly), and a discharge. California's SB 221 (Health &
//! Safety Code § 1367.03(a)(5)(F), effective 2022-07-01) requires each non-urgent follow-up with
//! a non-physician mental health provider to be offered within 10 business days of the prior
//! appointment, unless the treating provider documents that a longer wait will not be
//! detrimental (§ 1367.03(a)(5)(H)). [`next_follow_up`] turns an episode and its prior
//! appointment into the follow-up [`Request`] and the earliest start to look from:
//!
//! - the cadence's target is the prior start plus one week, two weeks or one month **in local
//!   wall time** (jiff's zoned arithmetic), so a Tuesday 09:00 session stays at 09:00 across a
//!   DST change;
//! - when the target falls after the SB 221 window, a documented clinical exception moves the
//!   deadline to the target date; without one the follow-up is looked for from the prior
//!   appointment on, within the 10 business days (the cadence yields to the law).

use caretime_core::id::{AppointmentId, ClinicianId, EpisodeId, MemberId, RequestId};
use caretime_core::request::{Preferences, Request, RequestKind};
use caretime_core::rules::{DeadlineError, DeadlineInstants, RuleSet};
use caretime_core::slug::Slug;
use jiff::tz::TimeZone;
use jiff::{Span, Timestamp, ToSpan, Zoned};
use smallvec::SmallVec;

/// How often the treating clinician wants to see the member.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Cadence {
    /// Every week.
    Weekly,
    /// Every two weeks.
    Biweekly,
    /// Every month.
    Monthly,
}

impl Cadence {
    /// The step between sessions in whole days, when it is a fixed number of them (a month is
    /// not).
    pub fn days(self) -> Option<i64> {
        match self {
            Cadence::Weekly => Some(7),
            Cadence::Biweekly => Some(14),
            Cadence::Monthly => None,
        }
    }

    /// The step between sessions, in calendar units (wall time is kept).
    pub fn span(self) -> Span {
        match self {
            Cadence::Weekly => 1.week(),
            Cadence::Biweekly => 2.weeks(),
            Cadence::Monthly => 1.month(),
        }
    }
}

impl Slug for Cadence {
    const VARIANTS: &'static [Cadence] = &[Cadence::Weekly, Cadence::Biweekly, Cadence::Monthly];

    /// The kebab-case name used in files and output.
    fn slug(self) -> &'static str {
        match self {
            Cadence::Weekly => "weekly",
            Cadence::Biweekly => "biweekly",
            Cadence::Monthly => "monthly",
        }
    }
}

/// Whether the treating clinician documented that waiting longer than the follow-up standard is
/// not detrimental (an enum, not a bool, so a call site says which).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LongerWait {
    /// Documented: the cadence's date becomes the deadline.
    Documented,
    /// Not documented: the follow-up standard applies.
    NotDocumented,
}

/// A course of treatment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Episode {
    /// Its id.
    pub id: EpisodeId,
    /// The member.
    pub member: MemberId,
    /// The treating clinician (continuity).
    pub clinician: ClinicianId,
    /// The cadence the clinician set.
    pub cadence: Cadence,
    /// Whether a longer wait than the standard is documented as not detrimental.
    pub longer_wait: LongerWait,
    /// The member's days and times.
    pub preferences: Preferences,
    /// When the episode ended, if it has.
    pub discharged: Option<Timestamp>,
    /// Its appointments (intake, follow-ups), in the order they were attached.
    pub appointments: EpisodeAppointments,
}

/// An episode's appointments. Most episodes' fit in the record itself (median 5-8 sessions, mean
/// 8-13, and cancelled and missed appointments are on the list too); a longer list moves to the
/// heap. Inline, a simulated year makes no allocation per episode (nor a free at its end), and
/// reading an episode's latest appointment costs no second cache miss.
pub type EpisodeAppointments = SmallVec<[AppointmentId; 16]>;

/// A follow-up to look for: the request, the earliest start and the request's deadline.
#[derive(Clone, Debug, PartialEq)]
pub struct FollowUp<'r> {
    /// The request (kind follow-up, from the prior appointment, treating clinician set).
    pub request: Request,
    /// Look for starts from here: the cadence's target, or the prior appointment when the
    /// cadence would break the standard.
    pub not_before: Timestamp,
    /// The cadence's target (local wall time kept).
    pub target: Timestamp,
    /// The request's deadline under the rule set (as `RuleSet::deadline_instants` gives it for
    /// `request`): a find may take it instead of working it out again
    /// ([`crate::find::find_within`]).
    pub deadline: DeadlineInstants<'r>,
}

/// The follow-up after a session that started at `prior_start` (in the facility's `zone`),
/// requested at `now`.
pub fn next_follow_up<'r>(
    episode: &Episode,
    request: RequestId,
    prior_start: Timestamp,
    zone: &TimeZone,
    rules: &'r RuleSet,
    now: Timestamp,
) -> Result<FollowUp<'r>, DeadlineError> {
    let target = cadence_target(prior_start, episode.cadence, zone, rules)?;
    let mut request = Request {
        id: request,
        member: episode.member,
        kind: RequestKind::FollowUp,
        requested: now,
        prior_appointment: Some(prior_start),
        clinical_exception: None,
        treating_clinician: Some(episode.clinician),
        preferences: episode.preferences,
    };
    let standard = rules.deadline_instants(&request.deadline_query())?;
    let within_standard = standard.is_met_by(target);
    let not_before = match (within_standard, episode.longer_wait) {
        (true, _) => target,
        (false, LongerWait::Documented) => {
            request.clinical_exception = Some(zone.to_datetime(target).date());
            target
        }
        // The law wins over the cadence: look from the prior session on, within the standard.
        (false, LongerWait::NotDocumented) => prior_start,
    };
    // The documented date moves the deadline; without it the standard is the deadline.
    let deadline = match request.clinical_exception {
        Some(_) => rules.deadline_instants(&request.deadline_query())?,
        None => standard,
    };
    Ok(FollowUp {
        request,
        not_before,
        target,
        deadline,
    })
}

/// The session a cadence after `prior_start`, at the same local wall time in `zone` (as
/// `Zoned::checked_add` of the cadence's span gives it). Weeks in the rule set's own zone come
/// from its day table when both days are free of offset changes
/// ([`caretime_core::zone_days::ZoneDays::add_days`]).
fn cadence_target(
    prior_start: Timestamp,
    cadence: Cadence,
    zone: &TimeZone,
    rules: &RuleSet,
) -> Result<Timestamp, DeadlineError> {
    if let Some(days) = cadence.days()
        && zone.iana_name().is_some()
        && zone.iana_name() == rules.time_zone().iana_name()
        && let Some(target) = rules.zone_days().add_days(prior_start, days)
    {
        return Ok(target);
    }
    prior_start
        .to_zoned(zone.clone())
        .checked_add(cadence.span())
        .map(|target| target.timestamp())
        .map_err(|_| DeadlineError::OutOfRange)
}

/// `count` session starts from `first` at the cadence, keeping local wall time across DST
/// changes.
pub fn recurrence(first: &Zoned, cadence: Cadence, count: usize) -> Vec<Zoned> {
    let mut starts = Vec::with_capacity(count);
    let mut step = 0i64;
    while starts.len() < count {
        // Each start is computed from the first (not the previous) so that a monthly series
        // from the 31st keeps returning to the 31st where the month has one.
        let span = match cadence {
            Cadence::Weekly => step.weeks(),
            Cadence::Biweekly => (2 * step).weeks(),
            Cadence::Monthly => step.months(),
        };
        match first.checked_add(span) {
            Ok(start) => starts.push(start),
            Err(_) => break,
        }
        step += 1;
    }
    starts
}

/// Why an episode decision could not be made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EpisodeRefusal {
    /// No such episode.
    UnknownEpisode(EpisodeId),
    /// No such appointment.
    UnknownAppointment(AppointmentId),
    /// The episode has ended.
    Discharged,
    /// The appointment is another member's.
    OtherMember,
    /// The appointment already belongs to an episode.
    AlreadyAttached,
}

impl std::fmt::Display for EpisodeRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EpisodeRefusal::UnknownEpisode(id) => write!(f, "{id} is not in the book"),
            EpisodeRefusal::UnknownAppointment(id) => write!(f, "{id} is not in the book"),
            EpisodeRefusal::Discharged => f.write_str("the episode has ended"),
            EpisodeRefusal::OtherMember => {
                f.write_str("the appointment is for another member than the episode")
            }
            EpisodeRefusal::AlreadyAttached => {
                f.write_str("the appointment already belongs to an episode")
            }
        }
    }
}

/// Why a follow-up could not be worked out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FollowUpError {
    /// No such episode.
    #[error("{0} is not in the book")]
    UnknownEpisode(EpisodeId),
    /// The rule set cannot give the follow-up a deadline.
    #[error(transparent)]
    Deadline(#[from] DeadlineError),
}
