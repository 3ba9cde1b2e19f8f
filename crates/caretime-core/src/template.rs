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
use crate::quote::quote;
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
        "unknown block kind `{}` (expected direct, protected, group, meeting, urgent-hold or break)",
        quote(.0)
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
    /// The most blocks a template may have: a week's minutes. Blocks do not overlap in a valid
    /// template, so a longer list cannot be one, and readers refuse it before checking it.
    pub const MAX_BLOCKS: usize = 7 * 24 * 60;

    /// Total minutes a week of blocks of `kind`.
    pub fn minutes(&self, kind: BlockKind) -> u32 {
        self.blocks
            .iter()
            .filter(|block| block.kind == kind)
            .map(|block| block.range.minutes())
            .fold(0, u32::saturating_add)
    }

    /// Total paid minutes a week (everything but breaks).
    pub fn paid_minutes(&self) -> u32 {
        self.blocks
            .iter()
            .filter(|block| block.kind.is_paid())
            .map(|block| block.range.minutes())
            .fold(0, u32::saturating_add)
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
    /// The violations, in a stable order (protected time, paid time, then per block by day and
    /// start: outside the facility's hours, overlapping an earlier block), at most
    /// [`TemplateCheck::MAX_LISTED`] of them.
    pub violations: Vec<TemplateViolation>,
    /// Violations found beyond the listed ones.
    pub unlisted_violations: usize,
}

impl TemplateCheck {
    /// The most violations a check lists: enough to fix a template by, few enough to read.
    pub const MAX_LISTED: usize = 50;

    /// Every violation found, listed or not.
    pub fn n_violations(&self) -> usize {
        self.violations.len() + self.unlisted_violations
    }

    /// Whether the template has no violation.
    pub fn is_valid(&self) -> bool {
        self.violations.is_empty()
    }
}

/// Checks a template against a contract and the facility's opening hours, finding every
/// violation and listing the first [`TemplateCheck::MAX_LISTED`]. Near-linear in the blocks.
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
    // Sorted by day and start: an earlier block overlaps this one exactly when the one of them
    // that ends last does. So one pass, keeping that block, finds every block that overlaps an
    // earlier one (each reported once), where comparing every pair would take a template of
    // 10,000 copies of one block to fifty million violations.
    let mut ends_last: Option<Block> = None;
    for block in &blocks {
        let open = hours.on(block.day);
        if !open.is_some_and(|open| open.contains(block.range)) {
            violations.push(TemplateViolation::OutsideFacilityHours {
                block: *block,
                open,
            });
        }
        let same_day = ends_last.filter(|earlier| earlier.day == block.day);
        if let Some(earlier) = same_day
            && earlier.range.overlaps(block.range)
        {
            violations.push(TemplateViolation::Overlap {
                first: earlier,
                second: *block,
            });
        }
        if same_day.is_none_or(|earlier| earlier.range.end() < block.range.end()) {
            ends_last = Some(*block);
        }
    }
    let unlisted_violations = violations.len().saturating_sub(TemplateCheck::MAX_LISTED);
    violations.truncate(TemplateCheck::MAX_LISTED);
    TemplateCheck {
        minutes_by_kind: BlockKind::ALL.map(|kind| (kind, template.minutes(kind))),
        required_protected_minutes,
        allowed_paid_minutes,
        violations,
        unlisted_violations,
    }
}

pub fn standard_template(contract: &Contract, fte: Fte) -> Template {
    const MORNING: u32 = 4 * 60;
    const DAYS: usize = 5;
    let paid = contract.paid_minutes(fte);
    let protected = contract.protected_minutes(fte);
    let meetings = contract.meeting_minutes(fte);
    let urgent_holds = contract.urgent_hold_slots(fte);
    // Paid hours shared over the days, the first days taking the odd hours; minutes beyond whole
    // hours on the last day.
    let paid_hours = paid / 60;
    let mut day_paid: [u32; DAYS] = std::array::from_fn(|day_idx| {
        60 * (paid_hours / DAYS as u32 + u32::from((day_idx as u32) < paid_hours % DAYS as u32))
    });
    day_paid[DAYS - 1] += paid % 60;
    let mut day_protected = [0u32; DAYS];
    let mut day_meetings = [0u32; DAYS];
    let mut day_rest = [(0u32, 0u32); DAYS];
    let day_holds: [u32; DAYS] = std::array::from_fn(|day_idx| {
        if (day_idx as u32) < urgent_holds {
            60
        } else {
            0
        }
    });
    let room = |day_idx: usize,
                protected: &[u32; DAYS],
                meetings: &[u32; DAYS],
                rest: &[(u32, u32); DAYS]| {
        day_paid[day_idx].saturating_sub(
            protected[day_idx]
                + meetings[day_idx]
                + day_holds[day_idx]
                + rest[day_idx].0
                + rest[day_idx].1,
        )
    };
    // Whole hours, one at a time, to the next day in `order` with an hour of room (else the day
    // with the most room, which only a contract beyond a full week of paid time would need).
    let mut next_protected = 0;
    for _ in 0..protected / 60 {
        let order = (0..DAYS).map(|step| (next_protected + step) % DAYS);
        let day_idx = order
            .clone()
            .find(|&day_idx| room(day_idx, &day_protected, &day_meetings, &day_rest) >= 60)
            .unwrap_or(next_protected);
        day_protected[day_idx] += 60;
        next_protected = (day_idx + 1) % DAYS;
    }
    let mut next_meeting = DAYS - 1;
    for _ in 0..meetings / 60 {
        let order = (0..DAYS).map(|step| (next_meeting + DAYS - step) % DAYS);
        let day_idx = order
            .clone()
            .find(|&day_idx| room(day_idx, &day_protected, &day_meetings, &day_rest) >= 60)
            .unwrap_or(next_meeting);
        day_meetings[day_idx] += 60;
        next_meeting = (day_idx + DAYS - 1) % DAYS;
    }
    // The minutes beyond whole hours: together on the last day with room for both, else each
    // spread over the days from the last one (short part-time days).
    let (protected_rest, meeting_rest) = (protected % 60, meetings % 60);
    match (0..DAYS).rev().find(|&day_idx| {
        room(day_idx, &day_protected, &day_meetings, &day_rest) >= protected_rest + meeting_rest
    }) {
        Some(day_idx) => day_rest[day_idx] = (protected_rest, meeting_rest),
        None => {
            for (rest, is_protected) in [(protected_rest, true), (meeting_rest, false)] {
                let mut left = rest;
                for day_idx in (0..DAYS).rev() {
                    let take = left.min(room(day_idx, &day_protected, &day_meetings, &day_rest));
                    if is_protected {
                        day_rest[day_idx].0 += take;
                    } else {
                        day_rest[day_idx].1 += take;
                    }
                    left -= take;
                }
                // Only a contract whose unpaid-by-direct time exceeds its paid time leaves some.
                day_rest[DAYS - 1].0 += if is_protected { left } else { 0 };
                day_rest[DAYS - 1].1 += if is_protected { 0 } else { left };
            }
        }
    }

    let mut blocks = Vec::new();
    for (day_idx, day) in MONDAY_TO_FRIDAY.into_iter().enumerate() {
        let direct = room(day_idx, &day_protected, &day_meetings, &day_rest);
        // Paid minute `t` of the day sits at 08:00 + t in the morning and 13:00 + (t - 240) after
        // the break; an item that spans paid minute 240 is split there.
        let mut paid_clock = 0;
        for (kind, minutes) in [
            (BlockKind::Protected, day_protected[day_idx]),
            (BlockKind::Direct, direct),
            (BlockKind::UrgentHold, day_holds[day_idx]),
            (BlockKind::Meeting, day_meetings[day_idx]),
            (BlockKind::Protected, day_rest[day_idx].0),
            (BlockKind::Meeting, day_rest[day_idx].1),
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
                "mon 13:00-16:00 direct",
                "mon 16:00-17:00 urgent-hold",
                "mon 12:00-13:00 break",
            ]
        );
        // Meeting hours from Friday back, and the half hour beyond them at the end of Friday.
        let friday: Vec<String> = template
            .blocks
            .iter()
            .filter(|b| b.day == Weekday::Friday)
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            friday,
            [
                "fri 08:00-09:00 protected",
                "fri 09:00-12:00 direct",
                "fri 13:00-15:30 direct",
                "fri 15:30-16:30 meeting",
                "fri 16:30-17:00 meeting",
                "fri 12:00-13:00 break",
            ]
        );
    }

    /// One-hour appointments on the quarter-hour grid that fit the template's direct time.
    fn hour_slots(template: &Template) -> u32 {
        template
            .blocks
            .iter()
            .filter(|block| block.kind == BlockKind::Direct)
            .map(|block| block.range.minutes() / 60)
            .sum()
    }

    #[test]
    fn each_protected_hour_costs_one_hour_appointment_in_a_full_time_week() {
        // Full time, 40 paid hours, 2.5 meeting hours, 2 urgent holds: 35.5 hours less the
        // protected ones are direct; with whole-hour layout, all but the half hour that the
        // meetings' and protected time's odd minutes leave fit one-hour appointments.
        for (name, protected_hours, slots) in [
            ("socal-2025", 5.0, 30),
            ("employer-2024", 6.0, 29),
            ("union-2024", 7.0, 28),
            ("norcal-2022", 7.5, 28),
        ] {
            let contract = builtin::contract(name).expect("built in");
            let template = standard_template(&contract, Fte::FULL_TIME);
            let direct_hours = f64::from(template.minutes(BlockKind::Direct)) / 60.0;
            assert_eq!(direct_hours, 40.0 - 2.5 - 2.0 - protected_hours, "{name}");
            assert_eq!(hour_slots(&template), slots, "{name}");
        }
    }
}
