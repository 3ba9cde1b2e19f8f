//! File formats: rule sets, holiday calendars, contracts and templates as TOML.
//!
//! Each format is a private serde type (`RuleSetFile`, ...) parsed from text, then validated into
//! the domain type ([`RuleSet`], [`HolidayCalendar`], [`Contract`], [`Template`]). Every failure,
//! whether TOML syntax, a missing field, or a value the domain rejects, is a [`FileError`] that names
//! the file, the line and the field (`deadline[2].within`).
//!
//! Reading files from disk is the caller's job: these functions take the text. The built-in files
//! under `data/` are compiled in; [`builtin`] lists and parses them.

use std::fmt;
use std::ops::Range;
use std::str::FromStr;

use jiff::SignedDuration;
use jiff::civil::{Time, Weekday};
use jiff::tz::TimeZone;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use toml::Spanned;

use crate::calendar::{
    BusinessCalendar, Holiday, HolidayCalendar, HolidayDate, Observance, WeekdayMask, parse_weekday,
};
use crate::contract::{Contract, ContractError, ContractParts};
use crate::quote::{escape, quote};
use crate::region::Fte;
use crate::request::RequestKind;
use crate::rules::{
    Anchor, ClinicalExceptionPolicy, ComplianceThreshold, DeadlineRule, Rate, RuleSet,
    RuleSetError, RuleSetParts, TriageStandard, Within,
};
use crate::slug::Slug;
use crate::template::{Block, BlockKind, DayRange, Template, WeeklyHours};
use crate::time_input::parse_date;

/// A data file that could not be read into a domain type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct FileError {
    /// The file's name or path as the caller gave it.
    pub file: String,
    /// The 1-based line of the offending value, when known.
    pub line: Option<usize>,
    /// The field's path (`deadline[2].within`), empty for the whole file.
    pub field: String,
    /// What is wrong, in one lowercase line.
    pub message: String,
}

impl FileError {
    /// A problem with one field of `file` whose line is not known (a value that parsed but does
    /// not hold, found after reading).
    pub fn field(file: &str, field: &str, message: impl Into<String>) -> FileError {
        FileError {
            file: file.to_owned(),
            line: None,
            field: field.to_owned(),
            message: message.into(),
        }
    }
}

/// The most characters of a [`FileError`]'s message or field path that are shown. Messages quote
/// outside text through [`quote`], which cuts it shorter; this bounds what a caller built.
const MAX_SHOWN_CHARS: usize = 400;

impl fmt::Display for FileError {
    // Every part may hold text from outside (a path, a key the file spells wrongly), so each is
    // escaped: the message stays on one line and sends no terminal escapes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", escape(&self.file))?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if !self.field.is_empty() {
            write!(f, ": field `{}`", shown(&self.field))?;
        }
        write!(f, ": {}", shown(&self.message))
    }
}

/// `text` escaped, and cut after [`MAX_SHOWN_CHARS`] characters.
fn shown(text: &str) -> String {
    let escaped = escape(text).to_string();
    match escaped.char_indices().nth(MAX_SHOWN_CHARS) {
        Some((cut, _)) => format!("{}…", &escaped[..cut]),
        None => escaped,
    }
}

/// The text of one file and its name, for errors that point into it.
struct Source<'a> {
    file: &'a str,
    text: &'a str,
}

impl Source<'_> {
    fn line_of(&self, offset: usize) -> usize {
        self.text[..offset.min(self.text.len())]
            .bytes()
            .filter(|b| *b == b'\n')
            .count()
            + 1
    }

    fn error(
        &self,
        span: Option<Range<usize>>,
        field: impl Into<String>,
        message: impl fmt::Display,
    ) -> FileError {
        FileError {
            file: self.file.to_owned(),
            line: span.map(|span| self.line_of(span.start)),
            field: field.into(),
            message: first_line(&message.to_string()),
        }
    }

    fn at<T>(
        &self,
        value: &Spanned<T>,
        field: impl Into<String>,
        message: impl fmt::Display,
    ) -> FileError {
        self.error(Some(value.span()), field, message)
    }

    fn parse<T: DeserializeOwned>(&self) -> Result<T, FileError> {
        let deserializer = toml::Deserializer::parse(self.text)
            .map_err(|err| self.error(err.span(), "", err.message()))?;
        serde_path_to_error::deserialize(deserializer).map_err(|err| {
            let field = field_path(&err.path().to_string(), err.inner().message());
            let inner = err.into_inner();
            self.error(inner.span(), field, quote_serde_message(inner.message()))
        })
    }
}

/// Parses TOML into a serde file type with this module's errors (file, line, field path): for the
/// file types other crates own (a disruption, a scenario), so every data file reports alike.
pub fn parse_toml<T: DeserializeOwned>(file: &str, text: &str) -> Result<T, FileError> {
    Source { file, text }.parse()
}

/// The user's view of a serde path: without the segments `toml::Spanned` adds internally, without
/// serde_path_to_error's "." for the root, and ending with the field a "missing field" names.
fn field_path(path: &str, message: &str) -> String {
    let mut segments: Vec<&str> = path
        .split('.')
        .filter(|segment| !segment.is_empty() && !segment.starts_with("$__serde_spanned"))
        .collect();
    let missing = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split_once('`'));
    if let Some((name, _)) = missing {
        segments.push(name);
    }
    // A key the file spells wrongly is a segment too: quoted, so that it is cut and escaped.
    segments
        .iter()
        .map(|segment| quote(segment).to_string())
        .collect::<Vec<_>>()
        .join(".")
}

/// A serde message with the text it quotes from the file (an unknown key or variant, a string of
/// the wrong type) passed through [`quote`]: serde quotes it whole and unescaped.
pub(crate) fn quote_serde_message(message: &str) -> String {
    for prefix in ["unknown field `", "unknown variant `"] {
        if let Some(rest) = message.strip_prefix(prefix) {
            // serde's own words follow the quoted text: "`, expected one of ..." or "`, there
            // are no fields" (or the message ends with it).
            let end = rest
                .find("`, expected ")
                .or_else(|| rest.find("`, there are no "));
            let (quoted, tail) = match end {
                Some(end) => (&rest[..end], &rest[end..]),
                None => (rest.strip_suffix('`').unwrap_or(rest), "`"),
            };
            return format!("{prefix}{}{tail}", quote(quoted));
        }
    }
    for prefix in ["invalid type: string \"", "invalid value: string \""] {
        if let Some(rest) = message.strip_prefix(prefix)
            && let Some((quoted, expected)) = rest.rsplit_once("\", expected ")
        {
            return format!("{prefix}{}\", expected {expected}", quote(quoted));
        }
    }
    message.to_owned()
}

fn first_line(message: &str) -> String {
    message.lines().next().unwrap_or_default().trim().to_owned()
}

/// The longest name of a rule set, calendar or contract, in characters.
const MAX_NAME_CHARS: usize = 64;

fn check_name(source: &Source<'_>, name: &Spanned<String>) -> Result<String, FileError> {
    let valid = !name.get_ref().is_empty()
        && name.get_ref().len() <= MAX_NAME_CHARS
        && name
            .get_ref()
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if valid {
        Ok(name.get_ref().clone())
    } else {
        Err(source.at(
            name,
            "name",
            "a name is 1 to 64 lowercase letters, digits and dashes (`ca-dmhc`)",
        ))
    }
}

// ---------------------------------------------------------------------------------------------
// Holiday calendars

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CalendarFile {
    name: Spanned<String>,
    title: String,
    source: String,
    #[serde(default)]
    holiday: Vec<Spanned<HolidayEntry>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HolidayEntry {
    name: String,
    fixed: Option<FixedEntry>,
    nth_weekday: Option<NthWeekdayEntry>,
    last_weekday: Option<LastWeekdayEntry>,
    day_after: Option<Spanned<String>>,
    observed: Option<Spanned<String>>,
    source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FixedEntry {
    month: i8,
    day: i8,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NthWeekdayEntry {
    n: i8,
    weekday: Spanned<String>,
    month: i8,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LastWeekdayEntry {
    weekday: Spanned<String>,
    month: i8,
}

fn weekday_at(
    source: &Source<'_>,
    value: &Spanned<String>,
    field: String,
) -> Result<Weekday, FileError> {
    parse_weekday(value.get_ref()).ok_or_else(|| {
        source.at(
            value,
            field,
            format!(
                "unknown weekday `{}` (expected mon, tue, ..., sun)",
                quote(value.get_ref())
            ),
        )
    })
}

/// Parses a holiday calendar file.
pub fn parse_holiday_calendar(file: &str, text: &str) -> Result<HolidayCalendar, FileError> {
    let source = Source { file, text };
    let parsed: CalendarFile = source.parse()?;
    let name = check_name(&source, &parsed.name)?;
    let mut holidays: Vec<Holiday> = Vec::with_capacity(parsed.holiday.len());
    for (index, spanned) in parsed.holiday.iter().enumerate() {
        let entry = spanned.get_ref();
        let field = |leaf: &str| format!("holiday[{index}].{leaf}");
        let rules = [
            entry.fixed.is_some(),
            entry.nth_weekday.is_some(),
            entry.last_weekday.is_some(),
            entry.day_after.is_some(),
        ];
        if rules.iter().filter(|set| **set).count() != 1 {
            return Err(source.at(
                spanned,
                format!("holiday[{index}]"),
                "a holiday needs exactly one of `fixed`, `nth_weekday`, `last_weekday` or `day_after`",
            ));
        }
        let date = if let Some(fixed) = &entry.fixed {
            HolidayDate::Fixed {
                month: fixed.month,
                day: fixed.day,
            }
        } else if let Some(nth) = &entry.nth_weekday {
            HolidayDate::NthWeekday {
                n: nth.n,
                weekday: weekday_at(&source, &nth.weekday, field("nth_weekday.weekday"))?,
                month: nth.month,
            }
        } else if let Some(last) = &entry.last_weekday {
            HolidayDate::LastWeekday {
                weekday: weekday_at(&source, &last.weekday, field("last_weekday.weekday"))?,
                month: last.month,
            }
        } else {
            let target = entry
                .day_after
                .as_ref()
                .expect("exactly one rule is set, checked above");
            let position = holidays
                .iter()
                .position(|h| &h.name == target.get_ref())
                .ok_or_else(|| {
                    source.at(
                        target,
                        field("day_after"),
                        format!(
                            "no holiday named `{}` is defined before this one",
                            quote(target.get_ref())
                        ),
                    )
                })?;
            HolidayDate::DayAfter(position)
        };
        let observance = match &entry.observed {
            None => Observance::Actual,
            Some(observed) => Observance::from_slug(observed.get_ref())
                .ok_or_else(|| {
                    source.at(
                        observed,
                        field("observed"),
                        format!("unknown observance `{}` (expected actual, sunday-to-monday or nearest-weekday)", quote(observed.get_ref())),
                    )
                })?,
        };
        holidays.push(Holiday {
            name: entry.name.clone(),
            date,
            observance,
            source: entry.source.clone(),
        });
        // Validate as we go so the error points at the holiday that broke the calendar.
        HolidayCalendar::new(name.clone(), String::new(), String::new(), holidays.clone())
            .map_err(|err| source.at(spanned, format!("holiday[{index}]"), err))?;
    }
    HolidayCalendar::new(name, parsed.title, parsed.source, holidays)
        .map_err(|err| source.error(None, "holiday", err))
}

// ---------------------------------------------------------------------------------------------
// Rule sets

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleSetFile {
    name: Spanned<String>,
    title: String,
    source: String,
    compliance_threshold: Option<Spanned<f64>>,
    compliance_threshold_source: Option<String>,
    clinical_exception: bool,
    clinical_exception_source: String,
    triage_within: Option<Spanned<String>>,
    triage_source: Option<String>,
    calendar: CalendarSection,
    deadline: Vec<Spanned<DeadlineEntry>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CalendarSection {
    time_zone: Spanned<String>,
    weekdays: Vec<Spanned<String>>,
    holidays: Spanned<String>,
    #[serde(default)]
    closures: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeadlineEntry {
    kind: Spanned<String>,
    within: Spanned<String>,
    from: Spanned<String>,
    source: String,
}

/// Parses `"48 hours"`, `"10 business days"` or `"7 calendar days"`.
fn parse_within(text: &str) -> Result<Within, String> {
    let expected = "expected `N hours`, `N business days` or `N calendar days`";
    let (number, unit) = text
        .trim()
        .split_once(' ')
        .ok_or_else(|| format!("`{}`: {expected}", quote(text)))?;
    let n: u32 = number.parse().map_err(|_| {
        format!(
            "`{}`: `{}` is not a whole number; {expected}",
            quote(text),
            quote(number)
        )
    })?;
    match unit
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .as_str()
    {
        "hour" | "hours" => Ok(Within::Hours(n)),
        "business day" | "business days" => Ok(Within::BusinessDays(n)),
        "calendar day" | "calendar days" => Ok(Within::CalendarDays(n)),
        _ => Err(format!(
            "`{}`: unknown unit `{}`; {expected}",
            quote(text),
            quote(unit)
        )),
    }
}

/// Parses `"30 minutes"` or `"1 hour"`.
fn parse_duration(text: &str) -> Result<SignedDuration, String> {
    let expected = "expected `N minutes` or `N hours`";
    let (number, unit) = text
        .trim()
        .split_once(' ')
        .ok_or_else(|| format!("`{}`: {expected}", quote(text)))?;
    let n: i64 = number.parse().map_err(|_| {
        format!(
            "`{}`: `{}` is not a whole number; {expected}",
            quote(text),
            quote(number)
        )
    })?;
    let seconds_each = match unit.trim() {
        "minute" | "minutes" => 60,
        "hour" | "hours" => 3600,
        _ => 0,
    };
    match n.checked_mul(seconds_each) {
        // The rule set checks the range (`RuleSet::new`); this only keeps the arithmetic whole.
        Some(seconds) if seconds_each > 0 => Ok(SignedDuration::from_secs(seconds)),
        None => Err(format!(
            "`{}`: more than the longest duration caretime counts",
            quote(text)
        )),
        _ => Err(format!(
            "`{}`: unknown unit `{}`; {expected}",
            quote(text),
            quote(unit)
        )),
    }
}

/// Parses a rule set file. Its `calendar.holidays` names a built-in holiday calendar (or `none`).
pub fn parse_rule_set(file: &str, text: &str) -> Result<RuleSet, FileError> {
    let source = Source { file, text };
    let parsed: RuleSetFile = source.parse()?;
    let name = check_name(&source, &parsed.name)?;

    let zone_name = &parsed.calendar.time_zone;
    let time_zone = TimeZone::get(zone_name.get_ref()).map_err(|_| {
        source.at(
            zone_name,
            "calendar.time_zone",
            format!(
                "unknown time zone `{}` (expected an IANA name such as America/Los_Angeles)",
                quote(zone_name.get_ref())
            ),
        )
    })?;
    let weekdays = parsed
        .calendar
        .weekdays
        .iter()
        .enumerate()
        .map(|(index, day)| weekday_at(&source, day, format!("calendar.weekdays[{index}]")))
        .collect::<Result<Vec<_>, _>>()?;
    let weekdays =
        WeekdayMask::new(&weekdays).map_err(|err| source.error(None, "calendar.weekdays", err))?;
    let holidays_name = &parsed.calendar.holidays;
    let holidays = if holidays_name.get_ref() == "none" {
        HolidayCalendar::empty()
    } else {
        builtin::holiday_calendar(holidays_name.get_ref()).ok_or_else(|| {
            source.at(
                holidays_name,
                "calendar.holidays",
                format!(
                    "unknown holiday calendar `{}` (built in: {}, or none)",
                    holidays_name.get_ref(),
                    builtin::calendar_names().collect::<Vec<_>>().join(", ")
                ),
            )
        })?
    };
    let mut calendar = BusinessCalendar::new(weekdays, holidays);
    for (index, closure) in parsed.calendar.closures.iter().enumerate() {
        let date = parse_date(closure.get_ref()).map_err(|_| {
            source.at(
                closure,
                format!("calendar.closures[{index}]"),
                format!(
                    "`{}` is not a date (expected YYYY-MM-DD)",
                    quote(closure.get_ref())
                ),
            )
        })?;
        calendar = calendar.with_closure(date);
    }

    let mut deadlines = Vec::with_capacity(parsed.deadline.len());
    for (index, spanned) in parsed.deadline.iter().enumerate() {
        let entry = spanned.get_ref();
        let field = |leaf: &str| format!("deadline[{index}].{leaf}");
        let kind = RequestKind::from_str(entry.kind.get_ref())
            .map_err(|err| source.at(&entry.kind, field("kind"), err))?;
        let within = parse_within(entry.within.get_ref())
            .map_err(|err| source.at(&entry.within, field("within"), err))?;
        let from = Anchor::from_slug(entry.from.get_ref()).ok_or_else(|| {
            source.at(
                &entry.from,
                field("from"),
                format!(
                    "unknown anchor `{}` (expected request or prior-appointment)",
                    quote(entry.from.get_ref())
                ),
            )
        })?;
        deadlines.push(DeadlineRule {
            kind,
            within,
            from,
            source: entry.source.as_str().into(),
        });
    }

    let compliance_threshold = match (
        &parsed.compliance_threshold,
        parsed.compliance_threshold_source,
    ) {
        (None, _) => None,
        (Some(threshold), None) => {
            return Err(source.at(
                threshold,
                "compliance_threshold_source",
                "a compliance threshold needs its source",
            ));
        }
        (Some(threshold), Some(threshold_source)) => {
            let rate = Rate::from_fraction(*threshold.get_ref()).ok_or_else(|| {
                source.at(
                    threshold,
                    "compliance_threshold",
                    format!(
                        "{} is not a share above 0 and at most 1 (70% is 0.70)",
                        threshold.get_ref()
                    ),
                )
            })?;
            Some(ComplianceThreshold {
                rate,
                source: threshold_source,
            })
        }
    };
    let triage = match (&parsed.triage_within, parsed.triage_source) {
        (None, _) => None,
        (Some(within), None) => {
            return Err(source.at(
                within,
                "triage_source",
                "a triage standard needs its source",
            ));
        }
        (Some(within), Some(triage_source)) => Some(TriageStandard {
            within: parse_duration(within.get_ref())
                .map_err(|err| source.at(within, "triage_within", err))?,
            source: triage_source,
        }),
    };

    RuleSet::new(RuleSetParts {
        name: name.into(),
        title: parsed.title,
        source: parsed.source,
        time_zone,
        calendar,
        deadlines,
        clinical_exception: ClinicalExceptionPolicy {
            allowed: parsed.clinical_exception,
            source: parsed.clinical_exception_source,
        },
        compliance_threshold,
        triage,
    })
    .map_err(|err| match err {
        RuleSetError::DuplicateKind { index, .. } => source.at(
            &parsed.deadline[index].get_ref().kind,
            format!("deadline[{index}].kind"),
            err,
        ),
        RuleSetError::ZeroDeadline { index } | RuleSetError::DeadlineTooLong { index } => source
            .at(
                &parsed.deadline[index].get_ref().within,
                format!("deadline[{index}].within"),
                err,
            ),
        RuleSetError::TriageOutOfRange => match &parsed.triage_within {
            Some(within) => source.at(within, "triage_within", err),
            None => source.error(None, "triage_within", err),
        },
        RuleSetError::Empty => source.error(None, "deadline", err),
        RuleSetError::UnnamedTimeZone => source.at(zone_name, "calendar.time_zone", err),
    })
}

// ---------------------------------------------------------------------------------------------
// Contracts

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ContractFile {
    name: Spanned<String>,
    title: String,
    source: String,
    full_time_hours: Spanned<f64>,
    protected_hours: Spanned<f64>,
    meeting_hours: Option<Spanned<f64>>,
    #[serde(default)]
    urgent_hold_slots: u32,
}

/// Hours (possibly fractional) as whole minutes; at most a week.
fn hours_to_minutes(hours: f64) -> Option<u32> {
    let minutes = hours * 60.0;
    let whole = minutes.round();
    // 10,080 minutes in a week, so the cast below is exact.
    (hours.is_finite() && (0.0..=10_080.0).contains(&whole) && (minutes - whole).abs() < 1e-9)
        .then_some(whole as u32)
}

/// Parses a contract file.
pub fn parse_contract(file: &str, text: &str) -> Result<Contract, FileError> {
    let source = Source { file, text };
    let parsed: ContractFile = source.parse()?;
    let name = check_name(&source, &parsed.name)?;
    let minutes = |value: &Spanned<f64>, field: &str| {
        hours_to_minutes(*value.get_ref()).ok_or_else(|| {
            source.at(
                value,
                field,
                format!(
                    "{} is not a number of hours from 0 to 168 in whole minutes",
                    value.get_ref()
                ),
            )
        })
    };
    let full_time_minutes = minutes(&parsed.full_time_hours, "full_time_hours")?;
    let protected_minutes = minutes(&parsed.protected_hours, "protected_hours")?;
    let meeting_minutes = match &parsed.meeting_hours {
        Some(hours) => minutes(hours, "meeting_hours")?,
        None => 0,
    };
    Contract::new(ContractParts {
        name,
        title: parsed.title,
        source: parsed.source,
        full_time_minutes,
        protected_minutes,
        meeting_minutes,
        urgent_hold_slots: parsed.urgent_hold_slots,
    })
    .map_err(|err| match err {
        ContractError::WeekLength => source.at(&parsed.full_time_hours, "full_time_hours", err),
        ContractError::Overfull(..) => source.at(&parsed.protected_hours, "protected_hours", err),
    })
}

// ---------------------------------------------------------------------------------------------
// Templates

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TemplateFile {
    fte: Spanned<f64>,
    facility: FacilitySection,
    week: Week<Vec<Spanned<String>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FacilitySection {
    name: Option<String>,
    hours: Week<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Week<T> {
    mon: Option<T>,
    tue: Option<T>,
    wed: Option<T>,
    thu: Option<T>,
    fri: Option<T>,
    sat: Option<T>,
    sun: Option<T>,
}

impl<T> Week<T> {
    fn days(&self) -> [(Weekday, &Option<T>); 7] {
        [
            (Weekday::Monday, &self.mon),
            (Weekday::Tuesday, &self.tue),
            (Weekday::Wednesday, &self.wed),
            (Weekday::Thursday, &self.thu),
            (Weekday::Friday, &self.fri),
            (Weekday::Saturday, &self.sat),
            (Weekday::Sunday, &self.sun),
        ]
    }
}

/// A template file: the template and the opening hours of the facility it is checked against.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemplateDocument {
    /// The facility's name, if the file gives one.
    pub facility_name: Option<String>,
    /// The facility's opening hours.
    pub hours: WeeklyHours,
    /// The clinician's template.
    pub template: Template,
}

fn parse_time(text: &str) -> Option<Time> {
    let (hour, minute) = text.split_once(':')?;
    if hour.len() != 2 || minute.len() != 2 {
        return None;
    }
    Time::new(hour.parse().ok()?, minute.parse().ok()?, 0, 0).ok()
}

/// Parses `"08:00-12:30"`.
fn parse_range(text: &str) -> Result<DayRange, String> {
    let (start, end) = text.split_once('-').ok_or_else(|| {
        format!(
            "`{}` is not a time range (expected HH:MM-HH:MM)",
            quote(text)
        )
    })?;
    let time = |part: &str| {
        parse_time(part.trim()).ok_or_else(|| {
            format!(
                "`{}` is not a time (expected HH:MM, 00:00 to 23:59)",
                quote(part)
            )
        })
    };
    DayRange::new(time(start)?, time(end)?).map_err(|err| err.to_string())
}

/// Parses a template file:
///
/// ```toml
/// fte = 1.0
/// [facility]
/// name = "Los Angeles Medical Center"
/// hours = { mon = "08:00-18:00", tue = "08:00-18:00" }
/// [week]
/// mon = ["08:00-09:00 protected", "09:00-12:00 direct", "12:00-13:00 break"]
/// ```
pub fn parse_template(file: &str, text: &str) -> Result<TemplateDocument, FileError> {
    let source = Source { file, text };
    let parsed: TemplateFile = source.parse()?;
    let fte = Fte::from_decimal(*parsed.fte.get_ref())
        .map_err(|err| source.at(&parsed.fte, "fte", err))?;
    let mut hours = WeeklyHours::closed();
    for (day, range) in parsed.facility.hours.days() {
        if let Some(range) = range {
            let field = format!("facility.hours.{}", crate::calendar::weekday_slug(day));
            hours = hours.with_day(
                day,
                parse_range(range.get_ref()).map_err(|err| source.at(range, field, err))?,
            );
        }
    }
    let n_blocks: usize = parsed
        .week
        .days()
        .iter()
        .map(|(_, day)| day.as_ref().map_or(0, Vec::len))
        .sum();
    if n_blocks > Template::MAX_BLOCKS {
        return Err(source.error(
            None,
            "week",
            format!(
                "{n_blocks} blocks: a week holds at most {} (one a minute)",
                Template::MAX_BLOCKS
            ),
        ));
    }
    let mut blocks = Vec::with_capacity(n_blocks);
    for (day, entries) in parsed.week.days() {
        for (index, entry) in entries.iter().flatten().enumerate() {
            let field = format!("week.{}[{index}]", crate::calendar::weekday_slug(day));
            let (range, kind) = entry.get_ref().trim().rsplit_once(' ').ok_or_else(|| {
                source.at(
                    entry,
                    field.clone(),
                    format!(
                        "`{}` is not a block (expected `HH:MM-HH:MM kind`)",
                        quote(entry.get_ref())
                    ),
                )
            })?;
            let range = parse_range(range).map_err(|err| source.at(entry, field.clone(), err))?;
            let kind = BlockKind::from_str(kind.trim())
                .map_err(|err| source.at(entry, field.clone(), err))?;
            blocks.push(Block { day, range, kind });
        }
    }
    Ok(TemplateDocument {
        facility_name: parsed.facility.name,
        hours,
        template: Template { fte, blocks },
    })
}

// ---------------------------------------------------------------------------------------------
// Built-in files

/// The rule sets, holiday calendars and contracts compiled into caretime.
///
/// Adding one is adding its file under `data/` and a line to the list here.
pub mod builtin {
    use crate::calendar::HolidayCalendar;
    use crate::contract::Contract;
    use crate::rules::RuleSet;

    const RULE_SETS: [(&str, &str); 5] = [
        ("ca-dmhc", include_str!("../data/rules/ca-dmhc.toml")),
        (
            "medicaid-438",
            include_str!("../data/rules/medicaid-438.toml"),
        ),
        ("ny-98", include_str!("../data/rules/ny-98.toml")),
        ("md-comar", include_str!("../data/rules/md-comar.toml")),
        ("ncqa-bh", include_str!("../data/rules/ncqa-bh.toml")),
    ];

    const CALENDARS: [(&str, &str); 2] = [
        (
            "california-state",
            include_str!("../data/calendars/california-state.toml"),
        ),
        (
            "us-federal",
            include_str!("../data/calendars/us-federal.toml"),
        ),
    ];

    const CONTRACTS: [(&str, &str); 4] = [
        (
            "socal-2025",
            include_str!("../data/contracts/socal-2025.toml"),
        ),
        (
            "employer-2024",
            include_str!("../data/contracts/employer-2024.toml"),
        ),
        (
            "union-2024",
            include_str!("../data/contracts/union-2024.toml"),
        ),
        (
            "norcal-2022",
            include_str!("../data/contracts/norcal-2022.toml"),
        ),
    ];

    // Every built-in file is parsed by `builtin_files_parse_and_match_their_names` in the tests of
    // this crate, which is what makes the `expect`s below hold.
    const CHECKED: &str = "built-in data files are parsed by the tests";

    /// Names of the built-in rule sets.
    pub fn rule_set_names() -> impl Iterator<Item = &'static str> {
        RULE_SETS.iter().map(|(name, _)| *name)
    }

    /// The TOML text of a built-in rule set.
    pub fn rule_set_text(name: &str) -> Option<&'static str> {
        RULE_SETS
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, text)| *text)
    }

    /// A built-in rule set by name.
    pub fn rule_set(name: &str) -> Option<RuleSet> {
        let text = rule_set_text(name)?;
        Some(super::parse_rule_set(&format!("rules/{name}.toml"), text).expect(CHECKED))
    }

    /// Names of the built-in holiday calendars.
    pub fn calendar_names() -> impl Iterator<Item = &'static str> {
        CALENDARS.iter().map(|(name, _)| *name)
    }

    /// A built-in holiday calendar by name.
    pub fn holiday_calendar(name: &str) -> Option<HolidayCalendar> {
        let (_, text) = CALENDARS.iter().find(|(n, _)| *n == name)?;
        Some(super::parse_holiday_calendar(&format!("calendars/{name}.toml"), text).expect(CHECKED))
    }

    /// Names of the built-in contracts.
    pub fn contract_names() -> impl Iterator<Item = &'static str> {
        CONTRACTS.iter().map(|(name, _)| *name)
    }

    /// The TOML text of a built-in contract.
    pub fn contract_text(name: &str) -> Option<&'static str> {
        CONTRACTS
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, text)| *text)
    }

    /// A built-in contract by name.
    pub fn contract(name: &str) -> Option<Contract> {
        let text = contract_text(name)?;
        Some(super::parse_contract(&format!("contracts/{name}.toml"), text).expect(CHECKED))
    }

    #[cfg(test)]
    pub(super) fn all_files() -> impl Iterator<Item = (&'static str, &'static str, &'static str)> {
        RULE_SETS
            .iter()
            .map(|(n, t)| ("rules", *n, *t))
            .chain(CALENDARS.iter().map(|(n, t)| ("calendars", *n, *t)))
            .chain(CONTRACTS.iter().map(|(n, t)| ("contracts", *n, *t)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_files_parse_and_match_their_names() {
        for (kind, name, text) in builtin::all_files() {
            let file = format!("{kind}/{name}.toml");
            let parsed_name = match kind {
                "rules" => parse_rule_set(&file, text).map(|r| r.name().to_owned()),
                "calendars" => parse_holiday_calendar(&file, text).map(|c| c.name().to_owned()),
                _ => parse_contract(&file, text).map(|c| c.name().to_owned()),
            };
            assert_eq!(parsed_name, Ok(name.to_owned()), "{file}");
        }
    }

    #[test]
    fn field_paths_hide_serde_internals() {
        let spanned = "$__serde_spanned_private_value";
        assert_eq!(
            field_path(&format!("deadline[1].{spanned}"), "missing field `source`"),
            "deadline[1].source"
        );
        assert_eq!(
            field_path(
                &format!("deadline[1].{spanned}.withn"),
                "unknown field `withn`"
            ),
            "deadline[1].withn"
        );
        assert_eq!(field_path(".", "missing field `deadline`"), "deadline");
        assert_eq!(field_path(".", "invalid type"), "");
    }

    #[test]
    fn within_and_durations() {
        assert_eq!(parse_within("48 hours"), Ok(Within::Hours(48)));
        assert_eq!(parse_within("1 business day"), Ok(Within::BusinessDays(1)));
        assert_eq!(
            parse_within("7 calendar  days"),
            Ok(Within::CalendarDays(7))
        );
        assert!(parse_within("ten business days").is_err());
        assert!(parse_within("10 fortnights").is_err());
        assert_eq!(
            parse_duration("30 minutes"),
            Ok(SignedDuration::from_mins(30))
        );
        assert_eq!(hours_to_minutes(7.5), Some(450));
        assert_eq!(hours_to_minutes(0.01), None);
        assert_eq!(hours_to_minutes(-1.0), None);
    }
}
