//! Clinicians' weekly templates and their check against a contract.
//!
//! A [`Template`] is a week of [`Block`]s: `direct` (bookable), `protected` (contracted
//! non-appointment care time, never bookable), `group`, `meeting`, `urgent-hold` and `break`.
//! [`check_template`] compares it with a [`Contract`] and the facility's [`WeeklyHours`] and
//! returns a [`TemplateCheck`] listing every [`TemplateViolation`], not only the first.

use std::fmt;
use std::str::FromStr;

use jiff::civil::{Time, Weekday};

use crate::calendar::weekday_slug;
use crate::contract::Contract;
use crate::region::Fte;
use crate::slug::Slug;

/// A block or opening-hours interval that ends before it starts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// End at or before start.
    #[error("{start}-{end}: the end must be after the start")]
    EmptyInterval {
        /// Start.
        start: String,
        /// End.
        end: String,
    },
    /// An unknown block kind.
    #[error(
        "unknown block kind `{0}` (expected direct, protected, group, meeting, urgent-hold or break)"
    )]
    UnknownKind(String),
}

/// What a block of a template is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BlockKind {
    /// Bookable appointment time.
    Direct,
    /// Contracted non-appointment care time (charting, calls, treatment plans, coordination):
    /// never bookable.
    Protected,
    /// A therapy group session.
    Group,
    /// Team meetings.
    Meeting,
    /// Held for urgent requests, released to everyone close to the day if unused.
    UrgentHold,
    /// Unpaid break (lunch); not counted as working time.
    Break,
}

impl Slug for BlockKind {
    const VARIANTS: &'static [BlockKind] = &BlockKind::ALL;

    /// The kebab-case name used in files, the CLI and the API.
    fn slug(self) -> &'static str {
        match self {
            BlockKind::Direct => "direct",
            BlockKind::Protected => "protected",
            BlockKind::Group => "group",
            BlockKind::Meeting => "meeting",
            BlockKind::UrgentHold => "urgent-hold",
            BlockKind::Break => "break",
        }
    }
}

impl BlockKind {
    /// Every kind, in a fixed order.
    pub const ALL: [BlockKind; 6] = [
        BlockKind::Direct,
        BlockKind::Protected,
        BlockKind::Group,
        BlockKind::Meeting,
        BlockKind::UrgentHold,
        BlockKind::Break,
    ];

    /// Whether the block counts as paid working time (everything but breaks).
    pub fn is_paid(self) -> bool {
        self != BlockKind::Break
    }
}

impl FromStr for BlockKind {
    type Err = TemplateError;

    fn from_str(name: &str) -> Result<BlockKind, TemplateError> {
        BlockKind::from_slug(name).ok_or_else(|| TemplateError::UnknownKind(name.to_owned()))
    }
}

/// A time range within one day; `start < end`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DayRange {
    start: Time,
    end: Time,
}

impl DayRange {
    /// A range; rejects `end <= start`.
    pub fn new(start: Time, end: Time) -> Result<DayRange, TemplateError> {
        if end <= start {
            return Err(TemplateError::EmptyInterval {
                start: hhmm(start),
                end: hhmm(end),
            });
        }
        Ok(DayRange { start, end })
    }

    /// Start.
    pub fn start(self) -> Time {
        self.start
    }

    /// End.
    pub fn end(self) -> Time {
        self.end
    }

    /// Length in whole minutes.
    pub fn minutes(self) -> u32 {
        // `end > start` within one day, so the duration is positive and below 1440 minutes.
        self.start.duration_until(self.end).as_mins() as u32
    }

    /// Whether the two ranges share any time.
    pub fn overlaps(self, other: DayRange) -> bool {
        self.start < other.end && other.start < self.end
    }

    /// Whether `other` lies entirely within this range.
    pub fn contains(self, other: DayRange) -> bool {
        self.start <= other.start && other.end <= self.end
    }
}

impl fmt::Display for DayRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", hhmm(self.start), hhmm(self.end))
    }
}

fn hhmm(time: Time) -> String {
    format!("{:02}:{:02}", time.hour(), time.minute())
}

/// One block of a weekly template.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Block {
    /// The weekday.
    pub day: Weekday,
    /// When in the day.
    pub range: DayRange,
    /// What it is for.
    pub kind: BlockKind,
}

impl fmt::Display for Block {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {}",
            weekday_slug(self.day),
            self.range,
            self.kind.slug()
        )
    }
}

/// A facility's opening hours: at most one range per weekday (`None` = closed).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct WeeklyHours {
    days: [Option<DayRange>; 7],
}

/// Monday to Friday, the days of a standard week.
const MONDAY_TO_FRIDAY: [Weekday; 5] = [
    Weekday::Monday,
    Weekday::Tuesday,
    Weekday::Wednesday,
    Weekday::Thursday,
    Weekday::Friday,
];

impl WeeklyHours {
    /// Closed every day; open days with [`WeeklyHours::with_day`].
    pub fn closed() -> WeeklyHours {
        WeeklyHours::default()
    }

    /// Open over `range` Monday to Friday, closed at weekends.
    pub fn weekdays(range: DayRange) -> WeeklyHours {
        MONDAY_TO_FRIDAY
            .into_iter()
            .fold(WeeklyHours::closed(), |hours, day| {
                hours.with_day(day, range)
            })
    }

    /// The same hours with `day` open over `range`.
    pub fn with_day(mut self, day: Weekday, range: DayRange) -> WeeklyHours {
        self.days[day.to_monday_zero_offset() as usize] = Some(range);
        self
    }

    /// The opening hours of `day`, or `None` when closed.
    pub fn on(&self, day: Weekday) -> Option<DayRange> {
        self.days[day.to_monday_zero_offset() as usize]
    }
}

/// A clinician's weekly pattern of blocks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template {
    /// The clinician's FTE, which pro-rates the contract.
    pub fte: Fte,
    /// The blocks, in any order.
    pub blocks: Vec<Block>,
}

impl Template {
    /// Total minutes a week of blocks of `kind`.
    pub fn minutes(&self, kind: BlockKind) -> u32 {
        self.blocks
            .iter()
            .filter(|block| block.kind == kind)
            .map(|block| block.range.minutes())
            .sum()
    }

    /// Total paid minutes a week (everything but breaks).
    pub fn paid_minutes(&self) -> u32 {
        self.blocks
            .iter()
            .filter(|block| block.kind.is_paid())
            .map(|block| block.range.minutes())
            .sum()
    }
}

/// One reason a template does not fit its contract or facility.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TemplateViolation {
    /// Less protected time than the contract owes at this FTE.
    ProtectedShort {
        /// The contract's name.
        contract: String,
        /// The clinician's FTE.
        fte: Fte,
        /// Minutes owed.
        required_minutes: u32,
        /// Minutes in the template.
        scheduled_minutes: u32,
    },
    /// Two blocks that share time.
    Overlap {
        /// The earlier block.
        first: Block,
        /// The block that overlaps it.
        second: Block,
    },
    /// A block outside the facility's opening hours.
    OutsideFacilityHours {
        /// The block.
        block: Block,
        /// The facility's hours that day (`None` = closed).
        open: Option<DayRange>,
    },
    /// More paid time than the FTE's share of the contract's full-time week.
    ExceedsFte {
        /// The clinician's FTE.
        fte: Fte,
        /// Paid minutes allowed.
        allowed_minutes: u32,
        /// Paid minutes in the template.
        scheduled_minutes: u32,
    },
}

impl TemplateViolation {
    /// A short machine-readable code (`protected-short`).
    pub fn code(&self) -> &'static str {
        match self {
            TemplateViolation::ProtectedShort { .. } => "protected-short",
            TemplateViolation::Overlap { .. } => "overlap",
            TemplateViolation::OutsideFacilityHours { .. } => "outside-facility-hours",
            TemplateViolation::ExceedsFte { .. } => "exceeds-fte",
        }
    }
}

/// Minutes as `4h30m`, `5h` or `45m`.
pub fn format_minutes(minutes: u32) -> String {
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m}m"),
        (h, 0) => format!("{h}h"),
        (h, m) => format!("{h}h{m:02}m"),
    }
}

impl fmt::Display for TemplateViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TemplateViolation::ProtectedShort {
                contract,
                fte,
                required_minutes,
                scheduled_minutes,
            } => write!(
                f,
                "protected time {} is {} short of the {} that contract {contract} requires at {fte} FTE",
                format_minutes(*scheduled_minutes),
                format_minutes(required_minutes - scheduled_minutes),
                format_minutes(*required_minutes),
            ),
            TemplateViolation::Overlap { first, second } => {
                write!(f, "block {second} overlaps block {first}")
            }
            TemplateViolation::OutsideFacilityHours {
                block,
                open: Some(open),
            } => write!(
                f,
                "block {block} is outside the facility's hours ({} {open})",
                weekday_slug(block.day)
            ),
            TemplateViolation::OutsideFacilityHours { block, open: None } => {
                write!(f, "block {block} falls on a day the facility is closed")
            }
            TemplateViolation::ExceedsFte {
                fte,
                allowed_minutes,
                scheduled_minutes,
            } => write!(
                f,
                "paid time {} exceeds the {} of a {fte} FTE week",
                format_minutes(*scheduled_minutes),
                format_minutes(*allowed_minutes),
            ),
        }
    }
}

/// The result of checking a template: the week's arithmetic and every violation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemplateCheck {
    /// Minutes a week per block kind, in [`BlockKind::ALL`] order.
    pub minutes_by_kind: [(BlockKind, u32); 6],
    /// Protected minutes the contract owes at the template's FTE.
    pub required_protected_minutes: u32,
    /// Paid minutes the contract allows at the template's FTE.
    pub allowed_paid_minutes: u32,
    /// Every violation, in a stable order (protected time, hours, overlaps, then per block).
    pub violations: Vec<TemplateViolation>,
}

impl TemplateCheck {
    /// Whether the template has no violation.
    pub fn is_valid(&self) -> bool {
        self.violations.is_empty()
    }
}

/// Checks a template against a contract and the facility's opening hours, listing every
/// violation.
pub fn check_template(
    template: &Template,
    contract: &Contract,
    hours: &WeeklyHours,
) -> TemplateCheck {
    let mut violations = Vec::new();
    let required_protected_minutes = contract.protected_minutes(template.fte);
    let scheduled_protected = template.minutes(BlockKind::Protected);
    if scheduled_protected < required_protected_minutes {
        violations.push(TemplateViolation::ProtectedShort {
            contract: contract.name().to_owned(),
            fte: template.fte,
            required_minutes: required_protected_minutes,
            scheduled_minutes: scheduled_protected,
        });
    }
    let allowed_paid_minutes = contract.paid_minutes(template.fte);
    let paid = template.paid_minutes();
    if paid > allowed_paid_minutes {
        violations.push(TemplateViolation::ExceedsFte {
            fte: template.fte,
            allowed_minutes: allowed_paid_minutes,
            scheduled_minutes: paid,
        });
    }
    let mut blocks = template.blocks.clone();
    blocks.sort_by_key(|block| (block.day.to_monday_zero_offset(), block.range));
    for (index, block) in blocks.iter().enumerate() {
        let open = hours.on(block.day);
        if !open.is_some_and(|open| open.contains(block.range)) {
            violations.push(TemplateViolation::OutsideFacilityHours {
                block: *block,
                open,
            });
        }
        // Sorted by start, so every block that overlaps this one and starts no later comes
        // before it; reporting each pair once, from the later block, lists them all.
        for earlier in blocks[..index]
            .iter()
            .filter(|earlier| earlier.day == block.day)
        {
            if earlier.range.overlaps(block.range) {
                violations.push(TemplateViolation::Overlap {
                    first: *earlier,
                    second: *block,
                });
            }
        }
    }
    TemplateCheck {
        minutes_by_kind: BlockKind::ALL.map(|kind| (kind, template.minutes(kind))),
        required_protected_minutes,
        allowed_paid_minutes,
        violations,
    }
}

/// The standard week a contract gives a clinician at `fte`: Monday to Friday from 08:00, paid time
/// split evenly across the days (the remainder minutes going to the first days), with a one-hour
/// unpaid break at 12:00 on days that run past noon.
///
/// Each day opens with its share of protected time, then direct time, then (on the first days) one
/// urgent-hold hour, and closes with its share of meeting time. So the week's direct minutes are
/// exactly `paid - protected - meetings - 60 * urgent holds`: each protected hour a contract adds
/// removes one direct hour. The template passes [`check_template`] against `contract` for a facility
/// open 08:00-18:00 on weekdays when the full-time week is at most 40 hours.
pub fn standard_template(contract: &Contract, fte: Fte) -> Template {
    const MORNING: u32 = 4 * 60;
    // Splits `total` minutes over the five days, the remainder going to the first days.
    let share = |total: u32, day_idx: u32| total / 5 + u32::from(day_idx < total % 5);
    let paid = contract.paid_minutes(fte);
    let protected = contract.protected_minutes(fte);
    let meetings = contract.meeting_minutes(fte);
    let urgent_holds = contract.urgent_hold_slots(fte);
    let mut blocks = Vec::new();
    for (day_idx, day) in (0u32..).zip(MONDAY_TO_FRIDAY) {
        let day_paid = share(paid, day_idx);
        let hold = if day_idx < urgent_holds { 60 } else { 0 };
        let (day_protected, day_meetings) = (share(protected, day_idx), share(meetings, day_idx));
        let direct = day_paid.saturating_sub(day_protected + hold + day_meetings);
        // Paid minute `t` of the day sits at 08:00 + t in the morning and 13:00 + (t - 240) after
        // the break; an item that spans paid minute 240 is split there.
        let mut paid_clock = 0;
        for (kind, minutes) in [
            (BlockKind::Protected, day_protected),
            (BlockKind::Direct, direct),
            (BlockKind::UrgentHold, hold),
            (BlockKind::Meeting, day_meetings),
        ] {
            if minutes == 0 {
                continue;
            }
            let (start, end) = (paid_clock, paid_clock + minutes);
            if start < MORNING {
                blocks.push(block_at(
                    day,
                    8 * 60 + start,
                    8 * 60 + end.min(MORNING),
                    kind,
                ));
            }
            if end > MORNING {
                let afternoon_start = start.max(MORNING) - MORNING;
                blocks.push(block_at(
                    day,
                    13 * 60 + afternoon_start,
                    13 * 60 + end - MORNING,
                    kind,
                ));
            }
            paid_clock = end;
        }
        if paid_clock > MORNING {
            blocks.push(block_at(day, 12 * 60, 13 * 60, BlockKind::Break));
        }
    }
    Template { fte, blocks }
}

fn block_at(day: Weekday, start_minute: u32, end_minute: u32, kind: BlockKind) -> Block {
    // `Contract::new` bounds a full-time week to 60 hours, so a day's paid time is at most 12 hours
    // and the latest end is 08:00 + 4 h + 1 h break + 8 h = 21:00.
    let time = |minute: u32| {
        Time::new((minute / 60) as i8, (minute % 60) as i8, 0, 0)
            .expect("standard days end by 21:00")
    };
    let range = DayRange::new(time(start_minute), time(end_minute))
        .expect("laid-out blocks have positive length");
    Block { day, range, kind }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::builtin;

    fn weekday_hours() -> WeeklyHours {
        WeeklyHours::weekdays(
            DayRange::new(Time::constant(8, 0, 0, 0), Time::constant(18, 0, 0, 0))
                .expect("valid range"),
        )
    }

    #[test]
    fn standard_templates_pass_their_contract_at_every_fte() {
        for name in builtin::contract_names() {
            let contract = builtin::contract(name).expect("built in");
            for hundredths in 1..=100 {
                let fte = Fte::from_hundredths(hundredths).expect("1..=100 is valid");
                let template = standard_template(&contract, fte);
                let check = check_template(&template, &contract, &weekday_hours());
                assert!(check.is_valid(), "{name} at {fte}: {:?}", check.violations);
                assert_eq!(
                    template.paid_minutes(),
                    contract.paid_minutes(fte),
                    "{name} at {fte}"
                );
                assert_eq!(
                    template.minutes(BlockKind::Protected),
                    contract.protected_minutes(fte)
                );
                assert_eq!(
                    template.minutes(BlockKind::Meeting),
                    contract.meeting_minutes(fte)
                );
                assert_eq!(
                    template.minutes(BlockKind::UrgentHold),
                    60 * contract.urgent_hold_slots(fte)
                );
            }
        }
    }

    #[test]
    fn full_time_standard_week_layout() {
        // socal-2025 full time: 8 paid hours a day = 1 h protected, 30 min meeting, an urgent hold
        // on Monday and Tuesday, the rest direct: 40 - 5 - 2.5 - 2 = 30.5 direct hours.
        let contract = builtin::contract("socal-2025").expect("built in");
        let template = standard_template(&contract, Fte::FULL_TIME);
        assert_eq!(template.minutes(BlockKind::Direct), 30 * 60 + 30);
        let monday: Vec<String> = template
            .blocks
            .iter()
            .filter(|b| b.day == Weekday::Monday)
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            monday,
            [
                "mon 08:00-09:00 protected",
                "mon 09:00-12:00 direct",
                "mon 13:00-15:30 direct",
                "mon 15:30-16:30 urgent-hold",
                "mon 16:30-17:00 meeting",
                "mon 12:00-13:00 break",
            ]
        );
    }
}
