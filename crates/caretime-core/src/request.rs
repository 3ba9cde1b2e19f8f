//! Appointment requests and their kinds.

use std::fmt;
use std::str::FromStr;

use jiff::Timestamp;
use jiff::civil::{Date, Time};

use crate::calendar::WeekdayMask;
use crate::id::{ClinicianId, MemberId, RequestId};
use crate::quote::quote;
use crate::rules::DeadlineQuery;
use crate::slug::Slug;

/// What a request asks for; each rule set gives a deadline per kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RequestKind {
    /// Non-urgent first appointment with a non-physician mental health provider.
    Initial,
    /// Non-urgent follow-up in a course of treatment (SB 221 counts it from the prior appointment).
    FollowUp,
    /// Urgent care that needs no prior authorization.
    Urgent,
    /// Urgent care that needs the plan's prior authorization.
    UrgentPriorAuth,
    /// Non-urgent first appointment with a psychiatrist.
    Psychiatry,
    /// Outpatient appointment after discharge from a hospital or emergency department.
    PostDischarge,
    /// Care for a non-life-threatening emergency (NCQA-style plan standards).
    NonLifeThreateningEmergency,
}

/// An unknown request kind name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown request kind `{}` (expected one of: {known})", quote(.0), known = RequestKind::slugs())]
pub struct UnknownRequestKind(pub String);

impl Slug for RequestKind {
    const VARIANTS: &'static [RequestKind] = &RequestKind::ALL;

    /// The kebab-case name used in files, the CLI and the API.
    fn slug(self) -> &'static str {
        match self {
            RequestKind::Initial => "initial",
            RequestKind::FollowUp => "follow-up",
            RequestKind::Urgent => "urgent",
            RequestKind::UrgentPriorAuth => "urgent-prior-auth",
            RequestKind::Psychiatry => "psychiatry",
            RequestKind::PostDischarge => "post-discharge",
            RequestKind::NonLifeThreateningEmergency => "non-life-threatening-emergency",
        }
    }
}

impl RequestKind {
    /// Every kind, in a fixed order.
    pub const ALL: [RequestKind; 7] = [
        RequestKind::Initial,
        RequestKind::FollowUp,
        RequestKind::Urgent,
        RequestKind::UrgentPriorAuth,
        RequestKind::Psychiatry,
        RequestKind::PostDischarge,
        RequestKind::NonLifeThreateningEmergency,
    ];

    /// All slugs, comma-separated, for error messages and help.
    pub fn slugs() -> String {
        RequestKind::ALL.map(RequestKind::slug).join(", ")
    }

    /// Whether only a psychiatrist can take the request.
    pub fn needs_psychiatrist(self) -> bool {
        self == RequestKind::Psychiatry
    }

    /// Whether the request is urgent (may use urgent-hold blocks).
    pub fn is_urgent(self) -> bool {
        matches!(
            self,
            RequestKind::Urgent
                | RequestKind::UrgentPriorAuth
                | RequestKind::NonLifeThreateningEmergency
        )
    }
}

impl FromStr for RequestKind {
    type Err = UnknownRequestKind;

    fn from_str(name: &str) -> Result<RequestKind, UnknownRequestKind> {
        RequestKind::from_slug(name).ok_or_else(|| UnknownRequestKind(name.to_owned()))
    }
}

impl fmt::Display for RequestKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.slug())
    }
}

/// An appointment request: who asks, for what, and when the clock started.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// The request's id.
    pub id: RequestId,
    /// The member it is for.
    pub member: MemberId,
    /// What it asks for.
    pub kind: RequestKind,
    /// When the request was made: the clock starts here.
    pub requested: Timestamp,
    /// The start of the member's prior appointment in the course of treatment (follow-ups).
    pub prior_appointment: Option<Timestamp>,
    /// A later date the treating clinician documented as not detrimental (clinical exception).
    pub clinical_exception: Option<Date>,
    /// The clinician treating the member, for continuity.
    pub treating_clinician: Option<ClinicianId>,
    /// When the member can come.
    pub preferences: Preferences,
}

/// The days and times a member can come, in the local time of the appointment's facility.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Preferences {
    /// Weekdays the member can come.
    pub weekdays: WeekdayMask,
    /// Earliest local start time.
    pub earliest_start: Time,
    /// Latest local start time (inclusive).
    pub latest_start: Time,
}

impl Preferences {
    /// Any day, any time.
    pub const ANY: Preferences = Preferences {
        weekdays: WeekdayMask::EVERY_DAY,
        earliest_start: Time::MIN,
        latest_start: Time::MAX,
    };

    /// Whether a start on `day` at local `time` suits the member.
    pub fn allow(&self, day: jiff::civil::Weekday, time: Time) -> bool {
        self.weekdays.contains(day) && self.earliest_start <= time && time <= self.latest_start
    }
}

impl Default for Preferences {
    fn default() -> Preferences {
        Preferences::ANY
    }
}

impl Request {
    /// What a rule set needs to compute this request's deadline.
    pub fn deadline_query(&self) -> DeadlineQuery {
        DeadlineQuery {
            kind: self.kind,
            requested: self.requested,
            prior_appointment: self.prior_appointment,
            clinical_exception: self.clinical_exception,
        }
    }
}
