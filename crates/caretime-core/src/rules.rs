//! Timely-access rule sets and deadline computation.
//!
//! A [`RuleSet`] is one regulator's standard: a [`DeadlineRule`] per [`RequestKind`], the time
//! zone and [`BusinessCalendar`] its days are counted in, whether a clinical exception may extend
//! a deadline, and the compliance threshold its source sets (a rate of what, surveyed providers
//! for DMHC or enrollees for Maryland, its source says).
//!
//! # Deadline semantics
//!
//! These are exact, and the same for every rule set:
//!
//! - **Hours** ([`Within::Hours`]): the deadline is the anchor instant plus N elapsed hours. Across
//!   a DST change "48 hours" stays 48 real hours, so the local wall time moves by an hour.
//! - **Business or calendar days** ([`Within::BusinessDays`], [`Within::CalendarDays`]): the local
//!   date of the anchor in the rule set's time zone is day 0 and never counts, whatever its
//!   weekday or whether it is a holiday. The appointment must start on or before the Nth business
//!   (or calendar) day after day 0, the *last day*; the deadline instant is local midnight at the
//!   end of the last day, in the rule set's time zone. An appointment is timely when it starts
//!   strictly before the deadline instant.
//! - **Anchor** ([`Anchor`]): most deadlines count from the request. SB 221 follow-ups count from
//!   the start of the prior appointment; when no prior appointment is known the request stands in
//!   for it, and [`Deadline::anchor`] says so. A prior appointment long before the request can
//!   give a deadline that is already past: the standard was missed before the request was made.
//! - **Clinical exception**: where the rule set allows it, a treating clinician may document a
//!   later date as not detrimental; the last day becomes that date and the deadline midnight at
//!   its end. Reports count such deadlines separately. A documented date before the standard's
//!   last day is rejected: an exception can only lengthen a wait.

use std::fmt;
use std::sync::Arc;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Span, Timestamp, Zoned};

use crate::calendar::{BusinessCalendar, CalendarError};
use crate::request::RequestKind;
use crate::slug::Slug;
use crate::zone_days::ZoneDays;

/// How long a deadline allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Within {
    /// N elapsed hours.
    Hours(u32),
    /// N business days after day 0.
    BusinessDays(u32),
    /// N calendar days after day 0.
    CalendarDays(u32),
}

impl Within {
    /// The longest deadline in hours: a year (366 days).
    pub const MAX_HOURS: u32 = 366 * 24;
    /// The longest deadline in calendar days: a year.
    pub const MAX_CALENDAR_DAYS: u32 = 366;
    /// The longest deadline in business days: the most weekdays a year holds.
    pub const MAX_BUSINESS_DAYS: u32 = 262;

    /// Whether the deadline is at most a year ([`Within::MAX_HOURS`] and the like). Timely-access
    /// standards are hours, days or weeks; a longer one is a mistake in the file, and the bound
    /// keeps every deadline's arithmetic far inside the dates caretime supports.
    pub fn is_at_most_a_year(self) -> bool {
        match self {
            Within::Hours(n) => n <= Within::MAX_HOURS,
            Within::BusinessDays(n) => n <= Within::MAX_BUSINESS_DAYS,
            Within::CalendarDays(n) => n <= Within::MAX_CALENDAR_DAYS,
        }
    }
}

impl fmt::Display for Within {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (n, unit) = match *self {
            Within::Hours(n) => (n, "hour"),
            Within::BusinessDays(n) => (n, "business day"),
            Within::CalendarDays(n) => (n, "calendar day"),
        };
        write!(f, "{n} {unit}{}", if n == 1 { "" } else { "s" })
    }
}

/// What a deadline counts from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Anchor {
    /// The moment the request was made.
    Request,
    /// The start of the member's prior appointment (SB 221 follow-ups).
    PriorAppointment,
}

impl Slug for Anchor {
    const VARIANTS: &'static [Anchor] = &[Anchor::Request, Anchor::PriorAppointment];

    fn slug(self) -> &'static str {
        match self {
            Anchor::Request => "request",
            Anchor::PriorAppointment => "prior-appointment",
        }
    }
}

/// One deadline of a rule set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeadlineRule {
    /// The request kind it covers.
    pub kind: RequestKind,
    /// How long it allows.
    pub within: Within,
    /// What it counts from.
    pub from: Anchor,
    /// The statute or regulation, section and effective date (shared: every search's answer
    /// names it).
    pub source: Arc<str>,
}

/// A compliance rate between 0 and 1, in basis points (7000 is 70 %).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Rate(u16);

impl Rate {
    /// A rate from a fraction in (0, 1]; precision is one basis point.
    pub fn from_fraction(fraction: f64) -> Option<Rate> {
        // Within (0, 1] the cast below is exact enough: 10,000 basis points at most.
        (fraction > 0.0 && fraction <= 1.0).then(|| Rate((fraction * 10_000.0).round() as u16))
    }

    /// The rate as a fraction.
    pub fn fraction(self) -> f64 {
        f64::from(self.0) / 10_000.0
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let percent = f64::from(self.0) / 100.0;
        if self.0.is_multiple_of(100) {
            write!(f, "{percent:.0}%")
        } else {
            write!(f, "{percent}%")
        }
    }
}

/// The compliance rate a source requires and where it comes from. What the rate is of differs:
/// DMHC's is a rate of surveyed providers with an appointment within the standard (28 CCR
/// § 1300.67.2.2 (b)(12)(A), (f)); the source says which.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ComplianceThreshold {
    /// The share.
    pub rate: Rate,
    /// Its source.
    pub source: String,
}

/// Whether a documented clinical exception may extend a deadline, and the source saying so.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClinicalExceptionPolicy {
    /// Whether the rule set allows it.
    pub allowed: bool,
    /// The source (or the statement that the source provides none).
    pub source: String,
}

/// A telephone triage answer-time standard (a report row, not a booking rule).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TriageStandard {
    /// Maximum wait to speak with a qualified professional.
    pub within: SignedDuration,
    /// Its source.
    pub source: String,
}

impl TriageStandard {
    /// The longest triage standard: a day. Triage is a telephone answer time, minutes by statute.
    pub const MAX: SignedDuration = SignedDuration::from_hours(24);
}

/// Everything a rule set is made of; [`RuleSet::new`] checks it.
#[derive(Clone, Debug)]
pub struct RuleSetParts {
    /// Short name (`ca-dmhc`; shared: every search's answer names it).
    pub name: Arc<str>,
    /// Human title.
    pub title: String,
    /// The laws the rule set implements.
    pub source: String,
    /// The zone days are counted in.
    pub time_zone: TimeZone,
    /// Which dates are business days.
    pub calendar: BusinessCalendar,
    /// One rule per request kind.
    pub deadlines: Vec<DeadlineRule>,
    /// The clinical-exception policy.
    pub clinical_exception: ClinicalExceptionPolicy,
    /// The compliance threshold, when the source sets one.
    pub compliance_threshold: Option<ComplianceThreshold>,
    /// The telephone triage standard, when the source sets one.
    pub triage: Option<TriageStandard>,
}

/// A rule set that violates an invariant; `index` points into [`RuleSetParts::deadlines`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleSetError {
    /// Two deadlines for the same kind.
    #[error("request kind `{kind}` has a second deadline")]
    DuplicateKind {
        /// Index of the second rule.
        index: usize,
        /// The kind.
        kind: RequestKind,
    },
    /// A deadline of zero.
    #[error("a deadline must allow at least 1 hour or 1 day")]
    ZeroDeadline {
        /// Index of the rule.
        index: usize,
    },
    /// A deadline of more than a year ([`Within::is_at_most_a_year`]).
    #[error(
        "a deadline must be at most a year ({} hours, {} calendar days or {} business days)",
        Within::MAX_HOURS,
        Within::MAX_CALENDAR_DAYS,
        Within::MAX_BUSINESS_DAYS
    )]
    DeadlineTooLong {
        /// Index of the rule.
        index: usize,
    },
    /// A triage standard of zero, less, or more than [`TriageStandard::MAX`].
    #[error("a triage standard must be more than 0 and at most 24 hours")]
    TriageOutOfRange,
    /// No deadline at all.
    #[error("a rule set needs at least one deadline")]
    Empty,
    /// A time zone with no IANA name (a fixed offset): results could not be reported by zone.
    #[error("the time zone must be an IANA zone such as America/Los_Angeles")]
    UnnamedTimeZone,
}

/// A regulator's timely-access standard.
#[derive(Clone, Debug)]
pub struct RuleSet {
    parts: RuleSetParts,
    /// The zone's local days as a table: deadlines count days without a zone lookup each.
    days: ZoneDays,
}

/// What a deadline is computed from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeadlineQuery {
    /// The request kind.
    pub kind: RequestKind,
    /// When the request was made.
    pub requested: Timestamp,
    /// Start of the prior appointment, for follow-ups.
    pub prior_appointment: Option<Timestamp>,
    /// A later date documented as not detrimental.
    pub clinical_exception: Option<Date>,
}

/// A request's deadline under a rule set: its instants zoned in the rule set's zone
/// ([`RuleSet::deadline`]), or plain instants ([`DeadlineInstants`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Deadline<'r, T = Zoned> {
    /// The rule that decided it.
    pub rule: &'r DeadlineRule,
    /// What the count started from (the request stands in for a missing prior appointment).
    pub anchor: Anchor,
    /// The anchor instant.
    pub anchor_instant: T,
    /// The deadline without any clinical exception: appointments must start before it.
    pub standard: T,
    /// The deadline that applies: `standard`, or the end of the clinical-exception date.
    pub instant: T,
    /// For day-based rules, the last day an appointment may start on.
    pub last_day: Option<Date>,
    /// The documented clinical-exception date, when one applies.
    pub clinical_exception: Option<Date>,
}

/// A deadline as instants, without zoned values ([`RuleSet::deadline_instants`]).
pub type DeadlineInstants<'r> = Deadline<'r, Timestamp>;

impl Deadline<'_> {
    /// Whether an appointment starting at `start` meets the deadline.
    pub fn is_met_by(&self, start: Timestamp) -> bool {
        start < self.instant.timestamp()
    }
}

impl DeadlineInstants<'_> {
    /// Whether an appointment starting at `start` meets the deadline.
    pub fn is_met_by(&self, start: Timestamp) -> bool {
        start < self.instant
    }
}

/// Why a deadline could not be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeadlineError {
    /// The rule set has no deadline for the kind.
    #[error(
        "rule set `{rule_set}` has no deadline for request kind `{kind}` (it covers: {covered})"
    )]
    KindNotCovered {
        /// The rule set.
        rule_set: String,
        /// The kind asked for.
        kind: RequestKind,
        /// The kinds it covers, comma-separated.
        covered: String,
    },
    /// A clinical exception under a rule set that allows none.
    #[error("rule set `{0}` allows no clinical exception")]
    ClinicalExceptionNotAllowed(String),
    /// A clinical-exception date before the standard's last day.
    // The dates stay out of the message: dates tied to a member's care are PHI.
    #[error(
        "the clinical-exception date is before the standard's last day; an exception can only lengthen a wait"
    )]
    ClinicalExceptionTooEarly {
        /// The documented date.
        documented: Date,
        /// The standard's last day.
        last_day: Date,
    },
    /// The deadline falls outside the dates jiff supports.
    #[error("the deadline falls outside the supported dates")]
    OutOfRange,
}

impl From<CalendarError> for DeadlineError {
    fn from(_: CalendarError) -> DeadlineError {
        DeadlineError::OutOfRange
    }
}

impl From<jiff::Error> for DeadlineError {
    fn from(_: jiff::Error) -> DeadlineError {
        DeadlineError::OutOfRange
    }
}

impl RuleSet {
    /// A rule set from its parts; rejects duplicate kinds, deadlines of zero or of more than a
    /// year, a triage standard out of range, an empty list and a time zone without an IANA name.
    pub fn new(parts: RuleSetParts) -> Result<RuleSet, RuleSetError> {
        if parts.deadlines.is_empty() {
            return Err(RuleSetError::Empty);
        }
        if parts.time_zone.iana_name().is_none() {
            return Err(RuleSetError::UnnamedTimeZone);
        }
        for (index, rule) in parts.deadlines.iter().enumerate() {
            if parts.deadlines[..index]
                .iter()
                .any(|earlier| earlier.kind == rule.kind)
            {
                return Err(RuleSetError::DuplicateKind {
                    index,
                    kind: rule.kind,
                });
            }
            let n = match rule.within {
                Within::Hours(n) | Within::BusinessDays(n) | Within::CalendarDays(n) => n,
            };
            if n == 0 {
                return Err(RuleSetError::ZeroDeadline { index });
            }
            if !rule.within.is_at_most_a_year() {
                return Err(RuleSetError::DeadlineTooLong { index });
            }
        }
        if let Some(triage) = &parts.triage
            && (triage.within <= SignedDuration::ZERO || triage.within > TriageStandard::MAX)
        {
            return Err(RuleSetError::TriageOutOfRange);
        }
        let days = ZoneDays::new(parts.time_zone.clone());
        Ok(RuleSet { parts, days })
    }

    /// Short name (`ca-dmhc`).
    pub fn name(&self) -> &str {
        &self.parts.name
    }

    /// Human title.
    pub fn title(&self) -> &str {
        &self.parts.title
    }

    /// The laws the rule set implements.
    pub fn source(&self) -> &str {
        &self.parts.source
    }

    /// The zone days are counted in.
    pub fn time_zone(&self) -> &TimeZone {
        &self.parts.time_zone
    }

    /// The zone's local days as a table (shared by the rule set's clones).
    pub fn zone_days(&self) -> &ZoneDays {
        &self.days
    }

    /// The IANA name of the zone.
    pub fn time_zone_name(&self) -> &str {
        self.parts
            .time_zone
            .iana_name()
            .expect("RuleSet::new rejects unnamed zones")
    }

    /// Which dates are business days.
    pub fn calendar(&self) -> &BusinessCalendar {
        &self.parts.calendar
    }

    /// The same rule set with a different business calendar (adding a facility's closures).
    pub fn with_calendar(&self, calendar: BusinessCalendar) -> RuleSet {
        RuleSet {
            parts: RuleSetParts {
                calendar,
                ..self.parts.clone()
            },
            days: self.days.clone(),
        }
    }

    /// The deadline rules, in file order.
    pub fn deadlines(&self) -> &[DeadlineRule] {
        &self.parts.deadlines
    }

    /// The rule for `kind`, if the rule set covers it.
    pub fn rule(&self, kind: RequestKind) -> Option<&DeadlineRule> {
        self.parts.deadlines.iter().find(|rule| rule.kind == kind)
    }

    /// The clinical-exception policy.
    pub fn clinical_exception(&self) -> &ClinicalExceptionPolicy {
        &self.parts.clinical_exception
    }

    /// The compliance threshold, when the source sets one.
    pub fn compliance_threshold(&self) -> Option<&ComplianceThreshold> {
        self.parts.compliance_threshold.as_ref()
    }

    /// The telephone triage standard, when the source sets one.
    pub fn triage(&self) -> Option<&TriageStandard> {
        self.parts.triage.as_ref()
    }

    /// The deadline of a request, by the semantics in the module documentation.
    pub fn deadline(&self, query: &DeadlineQuery) -> Result<Deadline<'_>, DeadlineError> {
        let instants = self.deadline_instants(query)?;
        let zone = self.time_zone();
        Ok(Deadline {
            rule: instants.rule,
            anchor: instants.anchor,
            anchor_instant: instants.anchor_instant.to_zoned(zone.clone()),
            standard: instants.standard.to_zoned(zone.clone()),
            instant: instants.instant.to_zoned(zone.clone()),
            last_day: instants.last_day,
            clinical_exception: instants.clinical_exception,
        })
    }

    /// [`RuleSet::deadline`] as instants, without the zoned values: what a search or a
    /// simulation needs, a few times per request.
    pub fn deadline_instants(
        &self,
        query: &DeadlineQuery,
    ) -> Result<DeadlineInstants<'_>, DeadlineError> {
        let rule = self
            .rule(query.kind)
            .ok_or_else(|| DeadlineError::KindNotCovered {
                rule_set: self.name().to_owned(),
                kind: query.kind,
                covered: self
                    .deadlines()
                    .iter()
                    .map(|rule| rule.kind.slug())
                    .collect::<Vec<_>>()
                    .join(", "),
            })?;
        let (anchor, anchor_instant) = match (rule.from, query.prior_appointment) {
            (Anchor::PriorAppointment, Some(prior)) => (Anchor::PriorAppointment, prior),
            _ => (Anchor::Request, query.requested),
        };
        let zone = self.time_zone();
        let (standard, last_day) = match rule.within {
            Within::Hours(hours) => (
                anchor_instant.checked_add(SignedDuration::from_hours(i64::from(hours)))?,
                None,
            ),
            Within::BusinessDays(days) => {
                // In days since 1970-01-01 while the tables answer (no date built and taken
                // apart again), with dates otherwise.
                let from_tables = self
                    .calendar()
                    .nth_business_epoch_day_after(self.days.epoch_day_of(anchor_instant), days)
                    .and_then(|last| self.days.date_and_end(last));
                match from_tables {
                    Some((last, end)) => (end, Some(last)),
                    None => {
                        let day0 = self.days.date_of(anchor_instant);
                        let last = self.calendar().nth_business_day_after(day0, days)?;
                        (self.days.end_of_day(last)?, Some(last))
                    }
                }
            }
            Within::CalendarDays(days) => {
                let span = Span::new().try_days(i64::from(days))?;
                let last = self.days.date_of(anchor_instant).checked_add(span)?;
                (self.days.end_of_day(last)?, Some(last))
            }
        };
        let (instant, last_day, clinical_exception) = match query.clinical_exception {
            None => (standard, last_day, None),
            Some(documented) => {
                if !self.clinical_exception().allowed {
                    return Err(DeadlineError::ClinicalExceptionNotAllowed(
                        self.name().to_owned(),
                    ));
                }
                // For an hour-based standard the last day is the date of the last instant before
                // the deadline (a standard ending exactly at midnight leaves the day before).
                let standard_last_day = match last_day {
                    Some(day) => day,
                    None => zone
                        .to_datetime(standard.checked_sub(SignedDuration::from_nanos(1))?)
                        .date(),
                };
                if documented < standard_last_day {
                    return Err(DeadlineError::ClinicalExceptionTooEarly {
                        documented,
                        last_day: standard_last_day,
                    });
                }
                (
                    self.days.end_of_day(documented)?,
                    Some(documented),
                    Some(documented),
                )
            }
        };
        Ok(DeadlineInstants {
            rule,
            anchor,
            anchor_instant,
            standard,
            instant,
            last_day,
            clinical_exception,
        })
    }
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;

    use super::*;
    use crate::files::builtin;

    #[test]
    fn hour_standard_ending_at_midnight_allows_an_exception_on_the_day_before() {
        // 48 hours from 2025-11-10T00:00-08:00 end at 2025-11-12T00:00-08:00, so the last day an
        // appointment can start is 2025-11-11: documenting that day is not "earlier".
        let rule_set = builtin::rule_set("ca-dmhc").expect("built in");
        let requested: Timestamp = "2025-11-10T08:00:00Z".parse().expect("valid timestamp");
        let query = |documented| DeadlineQuery {
            kind: RequestKind::Urgent,
            requested,
            prior_appointment: None,
            clinical_exception: Some(documented),
        };
        let deadline = rule_set
            .deadline(&query(date(2025, 11, 11)))
            .expect("allowed");
        assert_eq!(deadline.instant, deadline.standard);
        assert!(matches!(
            rule_set.deadline(&query(date(2025, 11, 10))),
            Err(DeadlineError::ClinicalExceptionTooEarly { .. })
        ));
    }
}
