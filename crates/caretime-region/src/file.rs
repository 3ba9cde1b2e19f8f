//! The region file: a whole [`Region`] as one JSON document, and as CSV tables for spreadsheets.
//!
//! The JSON document has one entry per line inside each table, so a line number in an error
//! finds the entry, and a diff of two regions reads entry by entry:
//!
//! ```json
//! {
//!   "version": 1,
//!   "id": 0,
//!   "name": "Southern California",
//!   "facilities": [
//!     {"id":0,"name":"Los Angeles Medical Center","address":"4867 W Sunset Blvd, Los Angeles, CA","lat":34.0983,"lon":-118.293,"time_zone":"America/Los_Angeles","hours":{"mon":"08:00-18:00","tue":"08:00-18:00"},"calendar":{"weekdays":["mon","tue"],"holidays":"california-state","closures":["2025-07-03"]}}
//!   ],
//!   "templates": [
//!     {"id":0,"name":"socal-2025-fte-1.00","fte":1.0,"blocks":[{"day":"mon","start":"08:00","end":"09:00","kind":"protected"}]}
//!   ],
//!   "clinicians": [
//!     {"id":0,"name":"Ana Park","discipline":"therapist","affiliation":"internal","languages":["en","es"],"modalities":["in-person","video","phone"],"fte":1.0,"facility":0,"template":"socal-2025-fte-1.00"}
//!   ],
//!   "members": [
//!     {"id":0,"plan_number":"SC123456789","name":"Jose Kim","birth_date":"1980-02-29","language":"es","lat":34.1,"lon":-118.3,"accepts":["in-person","video"]}
//!   ]
//! }
//! ```
//!
//! Ids are positions in their table; an `id` field is optional on reading and, when present,
//! must equal the position. A clinician names their facility by position and their template by
//! name. Weekdays are spelt as in caretime's other files (`mon` ... `sun`), times `HH:MM`, and a
//! facility's holiday calendar is the name of a built-in one (or `none`), so a region file stays
//! small and every facility that says `california-state` follows the same rules.
//!
//! [`read_region`] checks everything the domain types require and more (dense ids, known
//! template names, facilities in range, each internal clinician's template inside their
//! facility's opening hours) and reports the first problem as a [`FileError`] that names the
//! file, the line and the field (`members[12].birth_date`). Members' fields are PHI: an error
//! about one names the field and what is wrong with it, never its value.
//!
//! [`write_region_json`] writes deterministic bytes: the same region always gives the same file.
//! [`write_region_csv`] writes one [`CsvTable`] (`facilities.csv`, `template_blocks.csv`,
//! `clinicians.csv` or `members.csv`) to a writer; the caller opens the files. The CSV columns,
//! and reading the tables back, are in [`crate::rows`]; its reader converts rows into this
//! module's file types and checks them through the same validation as [`read_region`].

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::io::{self, BufWriter, Write};
use std::str::FromStr;

use caretime_core::calendar::{
    BusinessCalendar, HolidayCalendar, WeekdayMask, parse_weekday, weekday_slug,
};
use caretime_core::files::{FileError, builtin};
use caretime_core::id::{ClinicianId, FacilityId, MemberId, RegionId, TemplateId};
use caretime_core::phi::Phi;
use caretime_core::region::{
    Affiliation, Clinician, Discipline, Facility, Fte, GeoPoint, Language, Member, Modality,
    ModalitySet, Region,
};
use caretime_core::slug::Slug;
use caretime_core::template::{
    Block, BlockKind, DayRange, Template, TemplateViolation, WeeklyHours, standard_template,
};
use caretime_core::time_input::parse_date;
use caretime_hint::huge_pages;
use jiff::civil::{Time, Weekday};
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

use crate::rows::{self, CsvRow};

/// The version of the region file format this module reads and writes.
pub const FORMAT_VERSION: u32 = 1;

/// A region file that could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum RegionFileError {
    /// The file is not a valid region: the error names file, line and field.
    #[error(transparent)]
    Invalid(#[from] FileError),
    /// The region cannot be written in this format (a time zone without an IANA name, a holiday
    /// calendar that is not built in, a reference to a missing facility or template).
    #[error("cannot write the region: {0}")]
    Unwritable(String),
    /// Writing the JSON document failed.
    #[error("cannot write the region file: {0}")]
    Write(#[from] io::Error),
    /// The CSV writer failed.
    #[error("cannot write the CSV table: {0}")]
    Csv(#[from] csv::Error),
}

// ---------------------------------------------------------------------------------------------
// The file types: one set for reading and writing, so that the two cannot drift apart.

/// A string in a list, borrowed from the file's text when it has no escapes: serde borrows a
/// `Cow<str>` only as a direct field, and a region's lists (a member's `accepts`) number in the
/// millions.
#[derive(Serialize, Deserialize)]
#[serde(transparent)]
pub(crate) struct Name<'a>(#[serde(borrow)] pub(crate) Cow<'a, str>);

impl std::ops::Deref for Name<'_> {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl std::borrow::Borrow<str> for Name<'_> {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Name<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RegionFile<'a> {
    version: u32,
    #[serde(default)]
    id: Option<u32>,
    name: String,
    #[serde(borrow, deserialize_with = "facilities")]
    facilities: Vec<FacilityRecord<'a>>,
    #[serde(borrow, deserialize_with = "templates")]
    templates: Vec<TemplateRecord<'a>>,
    #[serde(borrow, deserialize_with = "clinicians")]
    clinicians: Vec<ClinicianRecord<'a>>,
    #[serde(borrow, deserialize_with = "members")]
    members: Vec<MemberRecord<'a>>,
}

/// The start of the message of a list longer than the region may hold: kept whole by
/// [`without_values`] (it quotes nothing from the file).
pub(crate) const TOO_MANY: &str = "too many entries";

/// A list of at most `max` entries: reading stops with an error at entry `max + 1`, so that a
/// file cannot make the reader hold more than a region may have.
fn at_most<'de, D, T>(deserializer: D, max: usize, what: &'static str) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    struct Bounded<T> {
        max: usize,
        what: &'static str,
        entries: std::marker::PhantomData<T>,
    }

    impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for Bounded<T> {
        type Value = Vec<T>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "a list of at most {} {}", self.max, self.what)
        }

        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
            // The hint is the file's word; room grows with what is actually read.
            let mut entries = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
            while let Some(entry) = seq.next_element()? {
                if entries.len() == self.max {
                    return Err(serde::de::Error::custom(format_args!(
                        "{TOO_MANY}: a region holds at most {} {} in memory",
                        self.max, self.what
                    )));
                }
                entries.push(entry);
            }
            Ok(entries)
        }
    }

    deserializer.deserialize_seq(Bounded {
        max,
        what,
        entries: std::marker::PhantomData,
    })
}

fn facilities<'de: 'a, 'a, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<FacilityRecord<'a>>, D::Error> {
    at_most(deserializer, Region::MAX_FACILITIES, "facilities")
}

fn templates<'de: 'a, 'a, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<TemplateRecord<'a>>, D::Error> {
    at_most(deserializer, Region::MAX_TEMPLATES, "templates")
}

fn clinicians<'de: 'a, 'a, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<ClinicianRecord<'a>>, D::Error> {
    at_most(deserializer, Region::MAX_CLINICIANS, "clinicians")
}

fn members<'de: 'a, 'a, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<MemberRecord<'a>>, D::Error> {
    at_most(deserializer, Region::MAX_MEMBERS, "members")
}

fn blocks<'de: 'a, 'a, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<BlockRecord<'a>>, D::Error> {
    at_most(deserializer, Template::MAX_BLOCKS, "blocks in a template")
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FacilityRecord<'a> {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) id: Option<u32>,
    #[serde(borrow)]
    pub(crate) name: Cow<'a, str>,
    #[serde(borrow)]
    pub(crate) address: Cow<'a, str>,
    pub(crate) lat: f64,
    pub(crate) lon: f64,
    #[serde(borrow)]
    pub(crate) time_zone: Cow<'a, str>,
    #[serde(borrow)]
    pub(crate) hours: WeekRecord<'a>,
    #[serde(borrow)]
    pub(crate) calendar: CalendarRecord<'a>,
}

/// Opening hours per weekday, `"08:00-18:00"`; a missing day is closed.
#[derive(Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct WeekRecord<'a> {
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub(crate) mon: Option<Cow<'a, str>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub(crate) tue: Option<Cow<'a, str>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub(crate) wed: Option<Cow<'a, str>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub(crate) thu: Option<Cow<'a, str>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub(crate) fri: Option<Cow<'a, str>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub(crate) sat: Option<Cow<'a, str>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub(crate) sun: Option<Cow<'a, str>>,
}

impl<'a> WeekRecord<'a> {
    fn days(&self) -> [(Weekday, &Option<Cow<'a, str>>); 7] {
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

    fn day_mut(&mut self, day: Weekday) -> &mut Option<Cow<'a, str>> {
        match day {
            Weekday::Monday => &mut self.mon,
            Weekday::Tuesday => &mut self.tue,
            Weekday::Wednesday => &mut self.wed,
            Weekday::Thursday => &mut self.thu,
            Weekday::Friday => &mut self.fri,
            Weekday::Saturday => &mut self.sat,
            Weekday::Sunday => &mut self.sun,
        }
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CalendarRecord<'a> {
    /// Working weekdays; Monday to Friday when absent.
    #[serde(default)]
    #[serde(borrow)]
    pub(crate) weekdays: Option<Vec<Name<'a>>>,
    #[serde(borrow)]
    pub(crate) holidays: Cow<'a, str>,
    #[serde(borrow, default)]
    pub(crate) closures: Vec<Name<'a>>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TemplateRecord<'a> {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) id: Option<u32>,
    #[serde(borrow)]
    pub(crate) name: Cow<'a, str>,
    pub(crate) fte: f64,
    #[serde(borrow, deserialize_with = "blocks")]
    pub(crate) blocks: Vec<BlockRecord<'a>>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BlockRecord<'a> {
    #[serde(borrow)]
    pub(crate) day: Cow<'a, str>,
    #[serde(borrow)]
    pub(crate) start: Cow<'a, str>,
    #[serde(borrow)]
    pub(crate) end: Cow<'a, str>,
    #[serde(borrow)]
    pub(crate) kind: Cow<'a, str>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ClinicianRecord<'a> {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) id: Option<u32>,
    #[serde(borrow)]
    pub(crate) name: Cow<'a, str>,
    #[serde(borrow)]
    pub(crate) discipline: Cow<'a, str>,
    #[serde(borrow)]
    pub(crate) affiliation: Cow<'a, str>,
    #[serde(borrow)]
    pub(crate) languages: Vec<Name<'a>>,
    #[serde(borrow)]
    pub(crate) modalities: Vec<Name<'a>>,
    pub(crate) fte: f64,
    pub(crate) facility: u32,
    #[serde(borrow)]
    pub(crate) template: Cow<'a, str>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct MemberRecord<'a> {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) id: Option<u32>,
    #[serde(borrow)]
    pub(crate) plan_number: Cow<'a, str>,
    #[serde(borrow)]
    pub(crate) name: Cow<'a, str>,
    #[serde(borrow)]
    pub(crate) birth_date: Cow<'a, str>,
    #[serde(borrow)]
    pub(crate) language: Cow<'a, str>,
    pub(crate) lat: f64,
    pub(crate) lon: f64,
    #[serde(borrow)]
    pub(crate) accepts: Vec<Name<'a>>,
}

pub(crate) fn affiliation_slug(affiliation: Affiliation) -> &'static str {
    match affiliation {
        Affiliation::Internal => "internal",
        Affiliation::Network => "network",
    }
}

fn parse_affiliation(name: &str) -> Option<Affiliation> {
    match name {
        "internal" => Some(Affiliation::Internal),
        "network" => Some(Affiliation::Network),
        _ => None,
    }
}

pub(crate) fn hhmm(time: Time) -> String {
    format!("{:02}:{:02}", time.hour(), time.minute())
}

/// Parses `HH:MM` (two digits each, 00:00 to 23:59).
fn parse_hhmm(text: &str) -> Option<Time> {
    let (hour, minute) = text.split_once(':')?;
    let two_digits = |part: &str| part.len() == 2 && part.bytes().all(|b| b.is_ascii_digit());
    if !two_digits(hour) || !two_digits(minute) {
        return None;
    }
    Time::new(hour.parse().ok()?, minute.parse().ok()?, 0, 0).ok()
}

fn modality_names(modalities: ModalitySet) -> Vec<Name<'static>> {
    Modality::ALL
        .into_iter()
        .filter(|modality| modalities.contains(*modality))
        .map(|modality| Name(Cow::Borrowed(modality.slug())))
        .collect()
}

fn fte_number(fte: Fte) -> f64 {
    f64::from(fte.hundredths()) / 100.0
}

// ---------------------------------------------------------------------------------------------
// Field paths and error locations

/// One step of a path into the document: a key of an object or a position in an array.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Step<'p> {
    Key(&'p str),
    Index(usize),
}

pub(crate) use Step::{Index, Key};

/// Formats a path as `members[12].birth_date`.
pub(crate) struct FieldPath<'p>(pub(crate) &'p [Step<'p>]);

impl fmt::Display for FieldPath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (position, step) in self.0.iter().enumerate() {
            match step {
                Key(key) if position == 0 => f.write_str(key)?,
                Key(key) => write!(f, ".{key}")?,
                Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

/// The text of a region file and its name, for errors that point into it.
struct Source<'a> {
    file: &'a str,
    text: &'a str,
}

/// Where the region's entries came from, so that the one validation path ([`validate`]) can name
/// the file, line and field of a problem: the JSON text ([`Source`]) or table rows
/// ([`crate::rows`]). Paths are those of the JSON document (`members[12].birth_date`); each
/// source says what they mean in its own terms.
pub(crate) trait Locate {
    /// An error about the value at `path` (a path of the JSON document).
    fn at(&self, path: &[Step<'_>], message: impl fmt::Display) -> FileError;
}

impl Locate for Source<'_> {
    /// The line is found by walking the text to the value, which costs a pass over the file,
    /// paid only when there is an error.
    fn at(&self, path: &[Step<'_>], message: impl fmt::Display) -> FileError {
        let line = locate(self.text, path).map(|offset| {
            self.text.as_bytes()[..offset]
                .iter()
                .filter(|byte| **byte == b'\n')
                .count()
                + 1
        });
        FileError {
            file: self.file.to_owned(),
            line,
            field: FieldPath(path).to_string(),
            message: message.to_string(),
        }
    }
}

impl<'a> Source<'a> {
    fn parse(&self) -> Result<RegionFile<'a>, FileError> {
        let mut deserializer = serde_json::Deserializer::from_str(self.text);
        let parsed: RegionFile<'a> =
            serde_path_to_error::deserialize(&mut deserializer).map_err(|err| {
                let path = field_path(err.path());
                self.json_error(path, err.into_inner())
            })?;
        deserializer
            .end()
            .map_err(|err| self.json_error(String::new(), err))?;
        Ok(parsed)
    }

    /// A serde_json error as a [`FileError`]. The file holds members' data, so the message keeps
    /// nothing serde quotes from the file (a value, an unknown key): see [`without_values`].
    fn json_error(&self, path: String, err: serde_json::Error) -> FileError {
        let full = err.to_string();
        let located = format!(" at line {} column {}", err.line(), err.column());
        let message = full.strip_suffix(&located).unwrap_or(&full);
        let mut field = path;
        // serde names a missing field in its message only; it is one of the format's own.
        let missing = message
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split_once('`'))
            .map(|(name, _)| name)
            .filter(|name| FORMAT_KEYS.contains(name));
        if let Some(name) = missing {
            if !field.is_empty() {
                field.push('.');
            }
            field.push_str(name);
        }
        let message = if err.classify() == serde_json::error::Category::Data {
            without_values(message)
        } else {
            // Syntax and end-of-file messages name what was expected, never what was found.
            message.to_owned()
        };
        FileError {
            file: self.file.to_owned(),
            line: (err.line() > 0).then_some(err.line()),
            field,
            message,
        }
    }
}

/// Every key of the region file format. A path names a key only if it is one of these: a key the
/// file made up may be anything, a member's name included.
const FORMAT_KEYS: [&str; 39] = [
    "version",
    "id",
    "name",
    "facilities",
    "templates",
    "clinicians",
    "members",
    "address",
    "lat",
    "lon",
    "time_zone",
    "hours",
    "calendar",
    "mon",
    "tue",
    "wed",
    "thu",
    "fri",
    "sat",
    "sun",
    "weekdays",
    "holidays",
    "closures",
    "fte",
    "blocks",
    "day",
    "start",
    "end",
    "kind",
    "discipline",
    "affiliation",
    "languages",
    "modalities",
    "facility",
    "template",
    "plan_number",
    "birth_date",
    "language",
    "accepts",
];

/// The user's view of serde's path (`members[12].birth_date`), up to the first key that is not
/// one of the format's (an unknown field's path ends with it).
fn field_path(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            Segment::Map { key } if FORMAT_KEYS.contains(&key.as_str()) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Segment::Map { .. } | Segment::Enum { .. } | Segment::Unknown => break,
        }
    }
    out
}

/// A serde message without anything it quotes from the file. serde says ``invalid type: string
/// "Jose Kim", expected u32`` and ``unknown field `Jose Kim`, expected one of ...``, and the
/// quoted text may be any member's data; this keeps what was expected and the kind of problem.
/// Messages that quote only the format's own names (`missing field`, `duplicate field`) or
/// nothing (`invalid length 3`, the readers' own limits) are kept.
fn without_values(message: &str) -> String {
    let quotes_no_file_text = [
        "missing field",
        "duplicate field",
        "invalid length",
        TOO_MANY,
    ]
    .iter()
    .any(|prefix| message.starts_with(prefix));
    if quotes_no_file_text {
        return message.to_owned();
    }
    let kind = if message.starts_with("unknown field") {
        "unknown field"
    } else {
        "invalid type or value"
    };
    if message.ends_with("there are no fields") {
        return format!("{kind} (there are none)");
    }
    // serde writes what it expected last, and it lists the format's own names and types; what
    // it quotes from the file comes before it, so the last ", expected " is serde's.
    match message.rsplit_once(", expected ") {
        Some((_, expected)) => format!("{kind} (expected {expected})"),
        None => kind.to_owned(),
    }
}

/// The byte offset of the value at `path` in the JSON `text`, walking only as much of the text as
/// it needs; `None` if the path is not there (the text was parsed already, so that only happens
/// for keys written with escapes).
fn locate(text: &str, path: &[Step<'_>]) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut pos = skip_space(bytes, 0);
    for step in path {
        match step {
            Key(key) => {
                if bytes.get(pos) != Some(&b'{') {
                    return None;
                }
                pos += 1;
                loop {
                    pos = skip_space(bytes, pos);
                    if bytes.get(pos) != Some(&b'"') {
                        return None;
                    }
                    let after_name = skip_string(bytes, pos)?;
                    let name = &text[pos + 1..after_name - 1];
                    pos = skip_space(bytes, after_name);
                    if bytes.get(pos) != Some(&b':') {
                        return None;
                    }
                    pos = skip_space(bytes, pos + 1);
                    if name == *key {
                        break;
                    }
                    pos = skip_space(bytes, skip_value(bytes, pos)?);
                    if bytes.get(pos) != Some(&b',') {
                        return None;
                    }
                    pos += 1;
                }
            }
            Index(index) => {
                if bytes.get(pos) != Some(&b'[') {
                    return None;
                }
                pos = skip_space(bytes, pos + 1);
                for _ in 0..*index {
                    pos = skip_space(bytes, skip_value(bytes, pos)?);
                    if bytes.get(pos) != Some(&b',') {
                        return None;
                    }
                    pos = skip_space(bytes, pos + 1);
                }
                if bytes.get(pos) == Some(&b']') {
                    return None;
                }
            }
        }
    }
    Some(pos)
}

fn skip_space(bytes: &[u8], mut pos: usize) -> usize {
    while bytes.get(pos).is_some_and(u8::is_ascii_whitespace) {
        pos += 1;
    }
    pos
}

/// The position after the string that starts at `pos` (a `"`).
fn skip_string(bytes: &[u8], pos: usize) -> Option<usize> {
    let mut pos = pos + 1;
    loop {
        match bytes.get(pos)? {
            b'\\' => pos += 2,
            b'"' => return Some(pos + 1),
            _ => pos += 1,
        }
    }
}

/// The position after the value that starts at `pos`.
fn skip_value(bytes: &[u8], pos: usize) -> Option<usize> {
    match bytes.get(pos)? {
        b'"' => skip_string(bytes, pos),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut pos = pos;
            loop {
                match bytes.get(pos)? {
                    b'"' => {
                        pos = skip_string(bytes, pos)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(pos + 1);
                        }
                    }
                    _ => {}
                }
                pos += 1;
            }
        }
        _ => {
            let mut pos = pos;
            while bytes
                .get(pos)
                .is_some_and(|b| !matches!(b, b',' | b']' | b'}') && !b.is_ascii_whitespace())
            {
                pos += 1;
            }
            Some(pos)
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Reading

/// Reads a region file: `file` is its name for error messages, `text` its contents.
///
/// Checks every field and every reference, and each internal clinician's template against their
/// facility's opening hours; the first problem is an error naming file, line and field. An
/// error about a member never quotes the member's values.
pub fn read_region(file: &str, text: &str) -> Result<Region, RegionFileError> {
    let source = Source { file, text };
    let parsed = source.parse()?;
    if parsed.version != FORMAT_VERSION {
        return Err(source
            .at(
                &[Key("version")],
                format!(
                    "unsupported version {} (this caretime reads version {FORMAT_VERSION})",
                    parsed.version
                ),
            )
            .into());
    }
    validate(
        &source,
        RegionId(parsed.id.unwrap_or(0)),
        parsed.name,
        Tables {
            facilities: parsed.facilities,
            templates: parsed.templates,
            clinicians: parsed.clinicians,
            members: parsed.members,
        },
    )
    .map_err(RegionFileError::from)
}

/// A region's entries as read, before validation: from the JSON document, or converted from
/// table rows by [`crate::rows`].
pub(crate) struct Tables<'a> {
    pub(crate) facilities: Vec<FacilityRecord<'a>>,
    pub(crate) templates: Vec<TemplateRecord<'a>>,
    pub(crate) clinicians: Vec<ClinicianRecord<'a>>,
    pub(crate) members: Vec<MemberRecord<'a>>,
}

/// The one validation path of every region reader (JSON and rows): checks every field through
/// the domain constructors, ids, references, sizes, zones, hours, calendars and templates, and
/// returns the first problem located by `source`.
pub(crate) fn validate(
    source: &impl Locate,
    id: RegionId,
    name: String,
    tables: Tables<'_>,
) -> Result<Region, FileError> {
    // The JSON reader stops at these bounds while parsing; rows arrive whole, so they are
    // checked here for every reader.
    let sizes = [
        (
            "facilities",
            tables.facilities.len(),
            Region::MAX_FACILITIES,
        ),
        ("templates", tables.templates.len(), Region::MAX_TEMPLATES),
        (
            "clinicians",
            tables.clinicians.len(),
            Region::MAX_CLINICIANS,
        ),
        ("members", tables.members.len(), Region::MAX_MEMBERS),
    ];
    for (table, len, max) in sizes {
        if len > max {
            return Err(source.at(
                &[Key(table)],
                format!("{TOO_MANY}: a region holds at most {max} {table} in memory"),
            ));
        }
    }
    for (index, template) in tables.templates.iter().enumerate() {
        if template.blocks.len() > Template::MAX_BLOCKS {
            return Err(source.at(
                &[Key("templates"), Index(index), Key("blocks")],
                format!(
                    "{TOO_MANY}: a region holds at most {} blocks in a template in memory",
                    Template::MAX_BLOCKS
                ),
            ));
        }
    }
    let mut zones: BTreeMap<String, TimeZone> = BTreeMap::new();
    let mut calendars: BTreeMap<String, HolidayCalendar> = BTreeMap::new();
    let facilities = tables
        .facilities
        .iter()
        .enumerate()
        .map(|(index, record)| read_facility(source, index, record, &mut zones, &mut calendars))
        .collect::<Result<Vec<_>, _>>()?;
    let mut template_index: BTreeMap<&str, usize> = BTreeMap::new();
    let mut templates = Vec::with_capacity(tables.templates.len());
    for (index, record) in tables.templates.iter().enumerate() {
        if let Some(first) = template_index.insert(&record.name, index) {
            return Err(source.at(
                &[Key("templates"), Index(index), Key("name")],
                format!("the same name as templates[{first}]"),
            ));
        }
        templates.push(read_template(source, index, record)?);
    }
    let clinicians = tables
        .clinicians
        .iter()
        .enumerate()
        .map(|(index, record)| {
            read_clinician(
                source,
                index,
                record,
                &facilities,
                &templates,
                &template_index,
            )
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut plan_numbers: HashMap<&str, usize> = HashMap::with_capacity(tables.members.len());
    for (index, record) in tables.members.iter().enumerate() {
        if let Some(first) = plan_numbers.insert(&record.plan_number, index) {
            return Err(source.at(
                &[Key("members"), Index(index), Key("plan_number")],
                format!("the same plan number as members[{first}]"),
            ));
        }
    }
    drop(plan_numbers);
    let mut members = Vec::with_capacity(tables.members.len());
    // Read at random by every find (as the generator's are): huge pages.
    huge_pages(&members);
    for (index, record) in tables.members.into_iter().enumerate() {
        members.push(read_member(source, index, record)?);
    }
    Ok(Region {
        id,
        name,
        facilities,
        clinicians,
        members,
        templates,
    })
}

/// Ids are positions: an `id`, when given, must be the entry's position in its table.
fn check_id(
    source: &impl Locate,
    table: &str,
    index: usize,
    id: Option<u32>,
) -> Result<u32, FileError> {
    let position = u32::try_from(index)
        .map_err(|_| source.at(&[Key(table)], "more entries than ids can number"))?;
    match id {
        Some(id) if id != position => Err(source.at(
            &[Key(table), Index(index), Key("id")],
            format!(
                "ids are positions in the table: entry {index} must have id {index} (got {id})"
            ),
        )),
        _ => Ok(position),
    }
}

fn parse_range(start: &str, end: &str) -> Result<DayRange, String> {
    let time = |text: &str| {
        parse_hhmm(text).ok_or_else(|| "not a time (expected HH:MM, 00:00 to 23:59)".to_owned())
    };
    DayRange::new(time(start)?, time(end)?).map_err(|err| err.to_string())
}

fn read_facility(
    source: &impl Locate,
    index: usize,
    record: &FacilityRecord<'_>,
    zones: &mut BTreeMap<String, TimeZone>,
    calendars: &mut BTreeMap<String, HolidayCalendar>,
) -> Result<Facility, FileError> {
    let at = |steps: &[Step<'_>], message: String| {
        let mut path = vec![Key("facilities"), Index(index)];
        path.extend_from_slice(steps);
        source.at(&path, message)
    };
    let id = check_id(source, "facilities", index, record.id)?;
    let location =
        GeoPoint::new(record.lat, record.lon).map_err(|err| at(&[Key("lat")], err.to_string()))?;
    let time_zone = match zones.get(record.time_zone.as_ref()) {
        Some(zone) => zone.clone(),
        None => {
            let zone = TimeZone::get(&record.time_zone).map_err(|_| {
                at(
                    &[Key("time_zone")],
                    "unknown time zone (expected an IANA name such as America/Los_Angeles)"
                        .to_owned(),
                )
            })?;
            zones.insert(record.time_zone.to_string(), zone.clone());
            zone
        }
    };
    let mut hours = WeeklyHours::closed();
    for (day, range) in record.hours.days() {
        if let Some(range) = range {
            let slug = weekday_slug(day);
            let parsed = range
                .split_once('-')
                .ok_or_else(|| "not a time range (expected HH:MM-HH:MM)".to_owned())
                .and_then(|(start, end)| parse_range(start, end))
                .map_err(|err| at(&[Key("hours"), Key(slug)], err))?;
            hours = hours.with_day(day, parsed);
        }
    }
    let calendar = &record.calendar;
    let weekdays = match &calendar.weekdays {
        None => WeekdayMask::MONDAY_TO_FRIDAY,
        Some(names) => {
            let days = names
                .iter()
                .enumerate()
                .map(|(day_idx, name)| {
                    parse_weekday(name).ok_or_else(|| {
                        at(
                            &[Key("calendar"), Key("weekdays"), Index(day_idx)],
                            "unknown weekday (expected mon, tue, ..., sun)".to_owned(),
                        )
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            WeekdayMask::new(&days)
                .map_err(|err| at(&[Key("calendar"), Key("weekdays")], err.to_string()))?
        }
    };
    let holidays = match calendars.get(calendar.holidays.as_ref()) {
        Some(holidays) => holidays.clone(),
        None => {
            let holidays = holiday_calendar(&calendar.holidays).ok_or_else(|| {
                at(
                    &[Key("calendar"), Key("holidays")],
                    format!(
                        "unknown holiday calendar (built in: {}, or none)",
                        builtin::calendar_names().collect::<Vec<_>>().join(", ")
                    ),
                )
            })?;
            calendars.insert(calendar.holidays.to_string(), holidays.clone());
            holidays
        }
    };
    let mut business = BusinessCalendar::new(weekdays, holidays);
    for (closure_idx, closure) in calendar.closures.iter().enumerate() {
        let date = parse_date(closure).map_err(|_| {
            at(
                &[Key("calendar"), Key("closures"), Index(closure_idx)],
                "not a date (expected YYYY-MM-DD)".to_owned(),
            )
        })?;
        business = business.with_closure(date);
    }
    Ok(Facility {
        id: FacilityId(id),
        name: record.name.to_string(),
        address: record.address.to_string(),
        location,
        time_zone,
        hours,
        calendar: business,
    })
}

fn holiday_calendar(name: &str) -> Option<HolidayCalendar> {
    if name == "none" {
        Some(HolidayCalendar::empty())
    } else {
        builtin::holiday_calendar(name)
    }
}

fn read_template(
    source: &impl Locate,
    index: usize,
    record: &TemplateRecord<'_>,
) -> Result<Template, FileError> {
    let at = |steps: &[Step<'_>], message: String| {
        let mut path = vec![Key("templates"), Index(index)];
        path.extend_from_slice(steps);
        source.at(&path, message)
    };
    check_id(source, "templates", index, record.id)?;
    if record.name.is_empty() {
        return Err(at(&[Key("name")], "a template needs a name".to_owned()));
    }
    let fte = Fte::from_decimal(record.fte).map_err(|err| at(&[Key("fte")], err.to_string()))?;
    let mut blocks = Vec::with_capacity(record.blocks.len());
    for (block_idx, block) in record.blocks.iter().enumerate() {
        let field = |leaf| [Key("blocks"), Index(block_idx), Key(leaf)];
        let day = parse_weekday(&block.day).ok_or_else(|| {
            at(
                &field("day"),
                "unknown weekday (expected mon, tue, ..., sun)".to_owned(),
            )
        })?;
        let range = parse_range(&block.start, &block.end).map_err(|err| at(&field("end"), err))?;
        let kind =
            BlockKind::from_str(&block.kind).map_err(|_| {
                at(
                    &field("kind"),
                    "unknown block kind (expected direct, protected, group, meeting, urgent-hold or break)"
                        .to_owned(),
                )
            })?;
        blocks.push(Block { day, range, kind });
    }
    // Overlapping blocks would let two appointments share a minute; the availability index
    // refuses them, so the file does too, pointing at the later block.
    let mut order: Vec<usize> = (0..blocks.len()).collect();
    order.sort_by_key(|block_idx| {
        let block = blocks[*block_idx];
        (block.day.to_monday_zero_offset(), block.range)
    });
    let mut latest: Option<usize> = None;
    for block_idx in order {
        let block = blocks[block_idx];
        if let Some(previous) = latest.map(|latest| blocks[latest])
            && previous.day == block.day
            && previous.range.overlaps(block.range)
        {
            let violation = TemplateViolation::Overlap {
                first: previous,
                second: block,
            };
            return Err(at(
                &[Key("blocks"), Index(block_idx)],
                violation.to_string(),
            ));
        }
        // Keep the block that ends last, so a long block is compared with every block it spans.
        let ends_later = latest.is_none_or(|latest| {
            blocks[latest].day != block.day || blocks[latest].range.end() < block.range.end()
        });
        if ends_later {
            latest = Some(block_idx);
        }
    }
    Ok(Template { fte, blocks })
}

/// The most entries of a list of languages or modalities.
const MAX_LISTED: usize = 64;

/// Parses a list of distinct names, each with `parse`; `what` names the list in messages.
fn read_list<T: PartialEq>(
    names: &[Name<'_>],
    parse: impl Fn(&str) -> Result<T, String>,
    mut at: impl FnMut(Option<usize>, String) -> FileError,
    what: &str,
) -> Result<Vec<T>, FileError> {
    if names.is_empty() {
        return Err(at(None, format!("at least one {what} is needed")));
    }
    // Each entry is compared with the ones before it: a bound keeps that cheap, and no person
    // speaks more languages.
    if names.len() > MAX_LISTED {
        return Err(at(None, format!("expected at most {MAX_LISTED} entries")));
    }
    let mut values: Vec<T> = Vec::with_capacity(names.len());
    for (position, name) in names.iter().enumerate() {
        let value = parse(name).map_err(|err| at(Some(position), err))?;
        if values.contains(&value) {
            return Err(at(Some(position), format!("{what} listed twice")));
        }
        values.push(value);
    }
    Ok(values)
}

fn read_clinician(
    source: &impl Locate,
    index: usize,
    record: &ClinicianRecord<'_>,
    facilities: &[Facility],
    templates: &[Template],
    template_index: &BTreeMap<&str, usize>,
) -> Result<Clinician, FileError> {
    let at = |steps: &[Step<'_>], message: String| {
        let mut path = vec![Key("clinicians"), Index(index)];
        path.extend_from_slice(steps);
        source.at(&path, message)
    };
    let list_at = |leaf| {
        move |position: Option<usize>, message: String| match position {
            Some(position) => at(&[Key(leaf), Index(position)], message),
            None => at(&[Key(leaf)], message),
        }
    };
    let id = check_id(source, "clinicians", index, record.id)?;
    let discipline = Discipline::from_str(&record.discipline)
        .map_err(|_| {
            at(
                &[Key("discipline")],
                "unknown discipline (expected psychologist, therapist, social-worker, psychiatric-nurse or psychiatrist)"
                    .to_owned(),
            )
        })?;
    let affiliation = parse_affiliation(&record.affiliation).ok_or_else(|| {
        at(
            &[Key("affiliation")],
            "unknown affiliation (expected internal or network)".to_owned(),
        )
    })?;
    let languages = read_list(
        &record.languages,
        |code| {
            Language::from_str(code).map_err(|_| {
                "not a language code (expected a lowercase ISO 639 code such as `en` or `es`)"
                    .to_owned()
            })
        },
        list_at("languages"),
        "language",
    )?;
    let modalities = read_list(
        &record.modalities,
        |name| {
            Modality::from_str(name)
                .map_err(|_| "unknown modality (expected in-person, video or phone)".to_owned())
        },
        list_at("modalities"),
        "modality",
    )?;
    let fte = Fte::from_decimal(record.fte).map_err(|err| at(&[Key("fte")], err.to_string()))?;
    let facility = facilities.get(record.facility as usize).ok_or_else(|| {
        at(
            &[Key("facility")],
            format!(
                "facility {} is out of range: the file has {} facilities",
                record.facility,
                facilities.len()
            ),
        )
    })?;
    let template_idx = *template_index
        .get(record.template.as_ref())
        .ok_or_else(|| {
            at(
                &[Key("template")],
                "no entry of `templates` has this name".to_owned(),
            )
        })?;
    let template = &templates[template_idx];
    if template.fte != fte {
        return Err(at(
            &[Key("fte")],
            format!(
                "FTE {fte} differs from the {} of its template, templates[{template_idx}]",
                template.fte
            ),
        ));
    }
    // Internal clinicians work the facility's hours; network providers see plan members at
    // their office by arrangement, so their weeks are not held to it.
    if affiliation == Affiliation::Internal
        && let Some(violation) = outside_hours(template, &facility.hours)
    {
        return Err(at(
            &[Key("template")],
            format!(
                "its template, templates[{template_idx}], does not fit the hours of facilities[{}]: {violation}",
                facility.id.index(),
            ),
        ));
    }
    Ok(Clinician {
        id: ClinicianId(id),
        name: record.name.to_string(),
        discipline,
        affiliation,
        languages,
        modalities: ModalitySet::of(&modalities),
        fte,
        facility: facility.id,
        template: TemplateId(
            u32::try_from(template_idx).expect("template positions were checked as ids"),
        ),
    })
}

/// The first block of `template` outside `hours`, as the template check words it.
fn outside_hours(template: &Template, hours: &WeeklyHours) -> Option<TemplateViolation> {
    template.blocks.iter().find_map(|block| {
        let open = hours.on(block.day);
        (!open.is_some_and(|open| open.contains(block.range))).then_some(
            TemplateViolation::OutsideFacilityHours {
                block: *block,
                open,
            },
        )
    })
}

/// Reads a member. Every message here names the field and the rule, never the value: the values
/// are PHI.
fn read_member(
    source: &impl Locate,
    index: usize,
    record: MemberRecord<'_>,
) -> Result<Member, FileError> {
    let at =
        |leaf: &str, message: &str| source.at(&[Key("members"), Index(index), Key(leaf)], message);
    let id = check_id(source, "members", index, record.id)?;
    if record.plan_number.trim().is_empty() {
        return Err(at("plan_number", "a member needs a plan number"));
    }
    if record.name.trim().is_empty() {
        return Err(at("name", "a member needs a name"));
    }
    let birth_date = parse_date(&record.birth_date)
        .map_err(|_| at("birth_date", "not a valid date (expected YYYY-MM-DD)"))?;
    let language = Language::from_str(&record.language).map_err(|_| {
        at(
            "language",
            "not a language code (expected a lowercase ISO 639 code such as `en` or `es`)",
        )
    })?;
    let home = GeoPoint::new(record.lat, record.lon).map_err(|_| {
        at(
            "lat",
            "home location out of range (latitude within ±90, longitude within ±180)",
        )
    })?;
    let accepts = read_list(
        &record.accepts,
        |name| {
            Modality::from_slug(name)
                .ok_or_else(|| "unknown modality (expected in-person, video or phone)".to_owned())
        },
        |position, message: String| match position {
            Some(position) => source.at(
                &[
                    Key("members"),
                    Index(index),
                    Key("accepts"),
                    Index(position),
                ],
                message,
            ),
            None => source.at(&[Key("members"), Index(index), Key("accepts")], message),
        },
        "modality",
    )?;
    Ok(Member {
        id: MemberId(id),
        plan_number: Phi::new(record.plan_number.into_owned()),
        name: Phi::new(record.name.into_owned()),
        birth_date: Phi::new(birth_date),
        language,
        home: Phi::new(home),
        accepts: ModalitySet::of(&accepts),
    })
}

// ---------------------------------------------------------------------------------------------
// Writing

/// Names for the region's templates, by position: `socal-2025-fte-1.00` for a template that is
/// exactly a built-in contract's standard template at its FTE (the first such contract), else
/// `template-<position>`. Names are unique and depend only on the templates.
pub fn template_names(region: &Region) -> Vec<String> {
    let contracts: Vec<_> = builtin::contract_names()
        .filter_map(builtin::contract)
        .collect();
    let mut standard: BTreeMap<(usize, Fte), Template> = BTreeMap::new();
    let mut used: BTreeMap<String, usize> = BTreeMap::new();
    let mut names = Vec::with_capacity(region.templates.len());
    for (index, template) in region.templates.iter().enumerate() {
        let matching = contracts
            .iter()
            .enumerate()
            .find(|(contract_idx, contract)| {
                standard
                    .entry((*contract_idx, template.fte))
                    .or_insert_with(|| standard_template(contract, template.fte))
                    == template
            });
        let name = match matching {
            Some((_, contract))
                if !used.contains_key(&standard_name(contract.name(), template.fte)) =>
            {
                standard_name(contract.name(), template.fte)
            }
            _ => format!("template-{index}"),
        };
        used.insert(name.clone(), index);
        names.push(name);
    }
    names
}

fn standard_name(contract: &str, fte: Fte) -> String {
    format!("{contract}-fte-{fte}")
}

/// Checks that the region can be written in this format, and names its templates.
pub(crate) fn writable(region: &Region) -> Result<Vec<String>, RegionFileError> {
    let mut builtin_calendars: BTreeMap<&str, Option<HolidayCalendar>> = BTreeMap::new();
    for (index, facility) in region.facilities.iter().enumerate() {
        if facility.time_zone.iana_name().is_none() {
            return Err(RegionFileError::Unwritable(format!(
                "facility {index} has a time zone without an IANA name"
            )));
        }
        let holidays = facility.calendar.holidays();
        let known = builtin_calendars
            .entry(holidays.name())
            .or_insert_with(|| holiday_calendar(holidays.name()));
        if known.as_ref() != Some(holidays) {
            return Err(RegionFileError::Unwritable(format!(
                "facility {index} has holiday calendar `{}`, which is not the built-in calendar of that name (the region file stores calendars by name)",
                holidays.name()
            )));
        }
    }
    for (index, clinician) in region.clinicians.iter().enumerate() {
        if clinician.facility.index() >= region.facilities.len() {
            return Err(RegionFileError::Unwritable(format!(
                "clinician {index} works at facility {}, which the region lacks",
                clinician.facility.index()
            )));
        }
        if clinician.template.index() >= region.templates.len() {
            return Err(RegionFileError::Unwritable(format!(
                "clinician {index} works template {}, which the region lacks",
                clinician.template.index()
            )));
        }
    }
    Ok(template_names(region))
}

fn facility_record(index: usize, facility: &Facility) -> FacilityRecord<'_> {
    let mut hours = WeekRecord::default();
    for offset in 0..7 {
        let day = Weekday::from_monday_zero_offset(offset).expect("0..7 are weekday offsets");
        *hours.day_mut(day) = facility
            .hours
            .on(day)
            .map(|range| Cow::Owned(range.to_string()));
    }
    let calendar = &facility.calendar;
    FacilityRecord {
        id: Some(id_number(index)),
        name: Cow::Borrowed(&facility.name),
        address: Cow::Borrowed(&facility.address),
        lat: facility.location.lat(),
        lon: facility.location.lon(),
        time_zone: Cow::Borrowed(
            facility
                .time_zone
                .iana_name()
                .expect("zones were checked by `writable`"),
        ),
        hours,
        calendar: CalendarRecord {
            weekdays: Some(
                calendar
                    .weekdays()
                    .weekdays()
                    .map(|day| Name(Cow::Borrowed(weekday_slug(day))))
                    .collect(),
            ),
            holidays: Cow::Borrowed(calendar.holidays().name()),
            closures: calendar
                .closures()
                .iter()
                .map(|date| Name(Cow::Owned(date.to_string())))
                .collect(),
        },
    }
}

fn template_record<'r>(index: usize, name: &'r str, template: &'r Template) -> TemplateRecord<'r> {
    TemplateRecord {
        id: Some(id_number(index)),
        name: Cow::Borrowed(name),
        fte: fte_number(template.fte),
        blocks: template
            .blocks
            .iter()
            .map(|block| BlockRecord {
                day: Cow::Borrowed(weekday_slug(block.day)),
                start: Cow::Owned(hhmm(block.range.start())),
                end: Cow::Owned(hhmm(block.range.end())),
                kind: Cow::Borrowed(block.kind.slug()),
            })
            .collect(),
    }
}

fn clinician_record<'r>(
    index: usize,
    clinician: &'r Clinician,
    names: &'r [String],
) -> ClinicianRecord<'r> {
    ClinicianRecord {
        id: Some(id_number(index)),
        name: Cow::Borrowed(&clinician.name),
        discipline: Cow::Borrowed(clinician.discipline.slug()),
        affiliation: Cow::Borrowed(affiliation_slug(clinician.affiliation)),
        languages: clinician
            .languages
            .iter()
            .map(|language| Name(Cow::Borrowed(language.code())))
            .collect(),
        modalities: modality_names(clinician.modalities),
        fte: fte_number(clinician.fte),
        facility: clinician.facility.0,
        template: Cow::Borrowed(&names[clinician.template.index()]),
    }
}

fn member_record(index: usize, member: &Member) -> MemberRecord<'_> {
    let home = member.home.expose();
    MemberRecord {
        id: Some(id_number(index)),
        plan_number: Cow::Borrowed(member.plan_number.expose()),
        name: Cow::Borrowed(member.name.expose()),
        birth_date: Cow::Owned(member.birth_date.expose().to_string()),
        language: Cow::Borrowed(member.language.code()),
        lat: home.lat(),
        lon: home.lon(),
        accepts: modality_names(member.accepts),
    }
}

fn id_number(index: usize) -> u32 {
    u32::try_from(index).expect("a region's tables are indexed by u32 ids")
}

/// Writes one table, one entry per line.
fn write_table<W: Write, T: Serialize>(
    out: &mut W,
    key: &str,
    rows: impl Iterator<Item = T>,
    last: bool,
) -> io::Result<()> {
    write!(out, "  \"{key}\": [")?;
    let mut empty = true;
    for row in rows {
        out.write_all(if empty { b"\n    " } else { b",\n    " })?;
        serde_json::to_writer(&mut *out, &row)?;
        empty = false;
    }
    if !empty {
        out.write_all(b"\n  ")?;
    }
    out.write_all(if last { b"]\n" } else { b"],\n" })
}

/// Writes the region as a JSON region file. The bytes depend only on the region: tables in id
/// order, fields in a fixed order, no maps iterated.
pub fn write_region_json(region: &Region, out: &mut impl Write) -> Result<(), RegionFileError> {
    let names = writable(region)?;
    let mut out = BufWriter::new(out);
    write!(
        out,
        "{{\n  \"version\": {FORMAT_VERSION},\n  \"id\": {},\n  \"name\": ",
        region.id.0
    )?;
    serde_json::to_writer(&mut out, &region.name).map_err(io::Error::from)?;
    out.write_all(b",\n")?;
    write_table(
        &mut out,
        "facilities",
        region
            .facilities
            .iter()
            .enumerate()
            .map(|(index, facility)| facility_record(index, facility)),
        false,
    )?;
    write_table(
        &mut out,
        "templates",
        region
            .templates
            .iter()
            .enumerate()
            .map(|(index, template)| template_record(index, &names[index], template)),
        false,
    )?;
    write_table(
        &mut out,
        "clinicians",
        region
            .clinicians
            .iter()
            .enumerate()
            .map(|(index, clinician)| clinician_record(index, clinician, &names)),
        false,
    )?;
    write_table(
        &mut out,
        "members",
        region
            .members
            .iter()
            .enumerate()
            .map(|(index, member)| member_record(index, member)),
        true,
    )?;
    out.write_all(b"}\n")?;
    out.flush()?;
    Ok(())
}

/// One of the CSV tables a region is exported as (one file each, named by [`CsvTable::file_name`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CsvTable {
    /// `facilities.csv`: one row a facility, with its opening hours a column a weekday.
    Facilities,
    /// `template_blocks.csv`: one row a block of a template.
    TemplateBlocks,
    /// `clinicians.csv`: one row a clinician, internal or network.
    Clinicians,
    /// `members.csv`: one row a member. Holds PHI (names, birth dates, plan numbers).
    Members,
}

impl CsvTable {
    /// Every table, in the order they are written.
    pub const ALL: [CsvTable; 4] = [
        CsvTable::Facilities,
        CsvTable::TemplateBlocks,
        CsvTable::Clinicians,
        CsvTable::Members,
    ];

    /// The table's file name (`facilities.csv`, ...).
    pub fn file_name(self) -> &'static str {
        match self {
            CsvTable::Facilities => "facilities.csv",
            CsvTable::TemplateBlocks => "template_blocks.csv",
            CsvTable::Clinicians => "clinicians.csv",
            CsvTable::Members => "members.csv",
        }
    }
}

/// Writes one table of the region as CSV to `out`: a header, then a row an entry, in id order.
/// Lists within a cell are separated by `;`. The cells are those of [`crate::rows::region_rows`],
/// and the columns are documented in [`crate::rows`]. The bytes depend only on the region.
/// Opening the file, or creating its directory, is the caller's job.
pub fn write_region_csv(
    region: &Region,
    table: CsvTable,
    out: &mut impl Write,
) -> Result<(), RegionFileError> {
    // Rows are made one at a time, so that writing members.csv holds one member's row, not
    // millions.
    let names = rows::writable_rows(region)?;
    match table {
        CsvTable::Facilities => write_csv(
            out,
            region
                .facilities
                .iter()
                .enumerate()
                .map(|(index, facility)| rows::facility_row(index, facility)),
        ),
        CsvTable::TemplateBlocks => write_csv(
            out,
            region
                .templates
                .iter()
                .enumerate()
                .flat_map(|(index, template)| {
                    rows::template_block_rows(index, &names[index], template)
                }),
        ),
        CsvTable::Clinicians => write_csv(
            out,
            region
                .clinicians
                .iter()
                .enumerate()
                .map(|(index, clinician)| rows::clinician_row(index, clinician, &names)),
        ),
        CsvTable::Members => write_csv(
            out,
            region
                .members
                .iter()
                .enumerate()
                .map(|(index, member)| rows::member_row(index, member)),
        ),
    }
}

fn write_csv<W: Write, R: CsvRow>(
    out: W,
    rows: impl Iterator<Item = R>,
) -> Result<(), RegionFileError> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(R::header())?;
    for row in rows {
        row.write(&mut writer)?;
    }
    writer.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locate_walks_to_nested_values() {
        let text = "{\n \"a\": {\"x\": \"]}\\\"\", \"b\": [1, {\"c\": 2},\n  {\"d\": [\n 3]}]}\n}";
        let line_of = |path: &[Step<'_>]| {
            locate(text, path).map(|offset| text[..offset].matches('\n').count() + 1)
        };
        assert_eq!(line_of(&[Key("a"), Key("b"), Index(1), Key("c")]), Some(2));
        assert_eq!(line_of(&[Key("a"), Key("b"), Index(2), Key("d")]), Some(3));
        assert_eq!(
            line_of(&[Key("a"), Key("b"), Index(2), Key("d"), Index(0)]),
            Some(4)
        );
        assert_eq!(line_of(&[Key("a"), Key("b"), Index(3)]), None);
        assert_eq!(line_of(&[Key("z")]), None);
    }

    #[test]
    fn serde_messages_lose_what_they_quote_from_the_file() {
        assert_eq!(
            without_values("invalid type: integer `123456789`, expected a string"),
            "invalid type or value (expected a string)"
        );
        assert_eq!(
            without_values("invalid type: string \"Jose, expected Kim\", expected u32"),
            "invalid type or value (expected u32)"
        );
        assert_eq!(
            without_values("unknown field `Jose Kim`, expected one of `id`, `name`"),
            "unknown field (expected one of `id`, `name`)"
        );
        assert_eq!(
            without_values("unknown field `Jose`, expected `Kim`, there are no fields"),
            "unknown field (there are none)"
        );
        assert_eq!(
            without_values("missing field `birth_date`"),
            "missing field `birth_date`"
        );
        assert_eq!(without_values("invalid value"), "invalid type or value");
    }

    #[test]
    fn dates_and_times_are_strict() {
        assert_eq!(parse_hhmm("08:30"), Some(Time::constant(8, 30, 0, 0)));
        for bad in ["8:30", "24:00", "08:60", "08-30", "+8:30"] {
            assert_eq!(parse_hhmm(bad), None, "{bad}");
        }
        assert!(parse_date("2024-02-29").is_ok());
        for bad in ["2023-02-29", "2024-2-29", "20240229", "2024-02-29T00:00"] {
            assert!(parse_date(bad).is_err(), "{bad}");
        }
    }
}
