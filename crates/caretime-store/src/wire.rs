//! The journal's wire format: one [`Change`] as one line of JSON.
//!
//! Every accepted decision's changes are appended to the journal, one row per change, and other
//! processes read the rows back and [`Book::apply`](caretime_engine::book::Book::apply) them.
//! [`decode_change`]`(&`[`encode_change`]`(&change))` gives back a change equal to `change`, so
//! every process's book stays identical to the one that decided.
//!
//! # Format, version 1
//!
//! A row is one JSON object whose first two keys are `v` (the format version, `1`) and `change`
//! (which change, a kebab-case name); the change's own fields follow:
//!
//! ```json
//! {"v":1,"change":"set-status","appointment":12,"from":"pending","to":"cancelled","cancellation":{"reason":"hold-expired","by":"member","at":"2025-12-01T16:15:00Z"}}
//! ```
//!
//! Spellings, the same in every change:
//!
//! - ids are plain numbers (`"member":7`); a group session is its index in the group;
//! - instants are RFC 3339 in UTC (`"2025-12-01T16:00:00Z"`), dates `YYYY-MM-DD`, times of day
//!   `HH:MM` (`HH:MM:SS.fffffffff` when not on a whole minute);
//! - enums are their slugs (request kinds, modalities, routes, cancellation reasons, cadences,
//!   block kinds, weekdays `mon` ... `sun`) or FHIR codes (appointment statuses: `noshow`,
//!   `entered-in-error`); languages are their ISO 639 codes (`es`); `by` is `member` or `plan`;
//!   `time` (the kind of free time taken) `direct` or `urgent-hold`; `longer_wait` `documented`
//!   or `not-documented`;
//! - an optional field that is `None` is left out, and so is a request's `preferences` when the
//!   member can come any day at any time; lists are always written, empty or not.
//!
//! The changes and their fields (`x?` may be left out; `xs: a, b` is a list of objects with the
//! fields `a` and `b`):
//!
//! | `change`         | fields                                                              |
//! |------------------|---------------------------------------------------------------------|
//! | `create`         | `appointment`                                                       |
//! | `set-status`     | `appointment` (id), `from`, `to`, `cancellation?`                   |
//! | `arrange`        | `arrangement`: `request`, `requested`, `member`, `kind`, `deadline` |
//! | `wait`           | `entry`: `request`, `deadline`, `since`                             |
//! | `unwait`         | `request` (id)                                                      |
//! | `create-group`   | `group`                                                             |
//! | `enrol`          | `group`, `member`, `from`                                           |
//! | `unenrol`        | `group`, `member`, `from`                                           |
//! | `cancel-session` | `group`, `session`, `cancellation`, `seats`: `member`, `outcome`    |
//! | `reschedule`     | `clinician`, `schedule`, `from` (a date)                            |
//! | `open-episode`   | `episode`                                                           |
//! | `attach`         | `episode`, `appointment`                                            |
//! | `set-cadence`    | `episode`, `from`, `to`                                             |
//! | `discharge`      | `episode`, `at`                                                     |
//! | `substitute`     | `group`, `session`, `absent`, `substitute`                          |
//! | `seat-status`    | `group`, `session`, `member`, `from`, `to`                          |
//!
//! The values inside them:
//!
//! - an appointment: `id`, `request`, `deadline`, `offered` (`clinician`, `start`,
//!   `timeliness`), `clinician`, `facility`, `start`, `length` (minutes), `time`, `modality`,
//!   `interpreter?`, `route`, `status`, `expires?`, `cancellation?`, `replaces?`, `overbooks?` (the appointment
//!   it is booked on top of: the simulator's overbooking; the server makes none);
//! - a request: `id`, `member`, `kind`, `requested`, `prior_appointment?`,
//!   `clinical_exception?` (a date), `treating_clinician?`, `preferences?` (`weekdays`,
//!   `earliest_start`, `latest_start`);
//! - a timeliness: `"met"`, or `{"late":{"business_days":3}}`;
//! - a cancellation: `reason`, `by`, `at`;
//! - a seat's outcome: `"cancelled"`, or `{"moved":{"group":2,"session":4}}`;
//! - a group: `id`, `name`, `facilitators` (ids), `facility`, `capacity`, `roster` (ids),
//!   `sessions`: `start`, `length`, `cancellation?`, `seats` and `substitutes` (with
//!   `seats`: `member`, `status` and `substitutes`: `absent`, `substitute`);
//! - an episode: `id`, `member`, `clinician`, `cadence`, `longer_wait`, `preferences?`,
//!   `discharged?`, `appointments` (ids);
//! - a schedule: `clinician`, `pool` (a number), `time_zone` (an IANA name such as
//!   `America/Los_Angeles`), `template` (`fte`, a decimal such as `0.75`, and `blocks`: `day`,
//!   `start`, `end`, `kind`), `calendar` and `leave`: `first`, `last` (dates);
//! - a calendar: `weekdays` (day names), `holidays` (the name of a built-in holiday calendar, or
//!   `none`), `holiday_rules?` and `closures` (dates). `holiday_rules` (`title`, `source`,
//!   `rules`: `name`, `date`, `observed`, `source`) is written only for a holiday calendar that
//!   is not the built-in one of its name; a rule's `date` is `{"fixed":{"month":7,"day":4}}`,
//!   `{"nth-weekday":{"n":4,"weekday":"thu","month":11}}`,
//!   `{"last-weekday":{"weekday":"mon","month":5}}` or `{"day-after":3}` (a rule's index).
//!
//! # Reading
//!
//! [`decode_change`] is strict: an unknown version, an unknown field, a missing field and a value
//! the domain types refuse are all errors. A [`WireError`] names the field by its path
//! (`appointment.request.preferences.weekdays[2]`) and never repeats a value from the row: rows
//! hold member data.
//!
//! Not here: SQL. The journal table and its queries are the store's; this module only turns a
//! change into text and back.

mod packed;

pub(crate) use packed::{PACKED_VERSION, Packed, pack, unpack};

use std::fmt;
use std::marker::PhantomData;
use std::str::FromStr;
use std::sync::OnceLock;

use caretime_core::calendar::{
    BusinessCalendar, Holiday, HolidayCalendar, HolidayDate, Observance, WeekdayMask,
    parse_weekday, weekday_slug,
};
use caretime_core::files::builtin;
use caretime_core::id::{
    AppointmentId, ClinicianId, EpisodeId, FacilityId, GroupId, MemberId, RequestId,
};
use caretime_core::region::{Fte, Language, Modality};
use caretime_core::request::{Preferences, Request, RequestKind};
use caretime_core::slug::Slug;
use caretime_core::template::{Block, BlockKind, DayRange, Template};
use caretime_core::time_input::parse_date;
use caretime_engine::availability::{FreeKind, Pool, Schedule};
use caretime_engine::book::{
    Appointment, AppointmentStatus, Cancellation, CancellationReason, CancelledBy, Change,
    OfferRecord, WaitlistEntry,
};
use caretime_engine::episode::{Cadence, Episode, LongerWait};
use caretime_engine::find::{OutOfNetworkArrangement, Route, Timeliness};
use caretime_engine::group::{Group, GroupSession, Seat, SeatOutcome};
use jiff::Timestamp;
use jiff::civil::{Date, Time, Weekday};
use jiff::fmt::temporal::{DateTimeParser, DateTimePrinter};
use jiff::tz::TimeZone;
use serde::de::{self, DeserializeOwned, Deserializer, Visitor};
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};

/// The format version this module writes and reads.
pub const VERSION: u32 = 1;

/// A journal row that is not a change this version can read. No message repeats a value from
/// the row.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// The row is not JSON.
    #[error("journal entry is not valid JSON: {message}")]
    Syntax {
        /// What is wrong and where (line and column).
        message: String,
    },
    /// The row was written by another version of the format.
    #[error("journal entry has format version {found}; this build reads version {VERSION}")]
    UnknownVersion {
        /// The row's `v`.
        found: u32,
    },
    /// A field is missing, unknown, of the wrong type, or holds a value the domain refuses.
    #[error("journal entry field `{path}`: {message}")]
    Field {
        /// The field's path (`appointment.request.kind`); `.` for the row itself.
        path: String,
        /// What is wrong, in one lowercase line.
        message: String,
    },
}

/// One line of JSON for `change`: the same change always gives the same bytes.
///
/// # Panics
///
/// When a [`Schedule`]'s time zone has no name jiff can print (neither an IANA name, a fixed
/// offset nor a POSIX rule): only a zone read from a TZif file without a name is one, and
/// caretime builds zones only from the bundled database (`TimeZone::get`).
pub fn encode_change(change: &Change) -> String {
    match change {
        Change::Create(appointment) => to_line(&CreateDoc {
            v: VERSION,
            change: Tag("create"),
            appointment: AppointmentWire::from(appointment.as_ref()),
        }),
        Change::SetStatus {
            appointment,
            from,
            to,
            cancellation,
        } => to_line(&SetStatusDoc {
            v: VERSION,
            change: Tag("set-status"),
            appointment: appointment.0,
            from: Status(*from),
            to: Status(*to),
            cancellation: cancellation.as_ref().map(CancellationWire::from),
        }),
        Change::Arrange(arrangement) => to_line(&ArrangeDoc {
            v: VERSION,
            change: Tag("arrange"),
            arrangement: ArrangementWire::from(arrangement),
        }),
        Change::Wait(entry) => to_line(&WaitDoc {
            v: VERSION,
            change: Tag("wait"),
            entry: WaitlistEntryWire::from(entry.as_ref()),
        }),
        Change::Unwait(request) => to_line(&UnwaitDoc {
            v: VERSION,
            change: Tag("unwait"),
            request: request.0,
        }),
        Change::CreateGroup(group) => to_line(&CreateGroupDoc {
            v: VERSION,
            change: Tag("create-group"),
            group: GroupWire::from(group.as_ref()),
        }),
        Change::Enrol {
            group,
            member,
            from,
        } => to_line(&RosterDoc {
            v: VERSION,
            change: Tag("enrol"),
            group: group.0,
            member: member.0,
            from: Instant(*from),
        }),
        Change::Unenrol {
            group,
            member,
            from,
        } => to_line(&RosterDoc {
            v: VERSION,
            change: Tag("unenrol"),
            group: group.0,
            member: member.0,
            from: Instant(*from),
        }),
        Change::CancelSession {
            group,
            session,
            cancellation,
            seats,
        } => to_line(&CancelSessionDoc {
            v: VERSION,
            change: Tag("cancel-session"),
            group: group.0,
            session: *session,
            cancellation: CancellationWire::from(cancellation),
            seats: seats
                .iter()
                .map(|(member, outcome)| SeatOutcomeWire {
                    member: member.0,
                    outcome: OutcomeWire::from(*outcome),
                })
                .collect(),
        }),
        Change::Reschedule {
            clinician,
            schedule,
            from,
        } => to_line(&RescheduleDoc {
            v: VERSION,
            change: Tag("reschedule"),
            clinician: clinician.0,
            schedule: ScheduleWire::from(schedule.as_ref()),
            from: Day(*from),
        }),
        Change::OpenEpisode(episode) => to_line(&OpenEpisodeDoc {
            v: VERSION,
            change: Tag("open-episode"),
            episode: EpisodeWire::from(episode.as_ref()),
        }),
        Change::Attach {
            episode,
            appointment,
        } => to_line(&AttachDoc {
            v: VERSION,
            change: Tag("attach"),
            episode: episode.0,
            appointment: appointment.0,
        }),
        Change::SetCadence { episode, from, to } => to_line(&SetCadenceDoc {
            v: VERSION,
            change: Tag("set-cadence"),
            episode: episode.0,
            from: Named(*from),
            to: Named(*to),
        }),
        Change::Discharge { episode, at } => to_line(&DischargeDoc {
            v: VERSION,
            change: Tag("discharge"),
            episode: episode.0,
            at: Instant(*at),
        }),
        Change::Substitute {
            group,
            session,
            absent,
            substitute,
        } => to_line(&SubstituteDoc {
            v: VERSION,
            change: Tag("substitute"),
            group: group.0,
            session: *session,
            absent: absent.0,
            substitute: substitute.0,
        }),
        Change::SeatStatus {
            group,
            session,
            member,
            from,
            to,
        } => to_line(&SeatStatusDoc {
            v: VERSION,
            change: Tag("seat-status"),
            group: group.0,
            session: *session,
            member: member.0,
            from: Status(*from),
            to: Status(*to),
        }),
    }
}

/// What a snapshot gives back for `change`: packed as a snapshot packs it, then unpacked.
pub fn repack(change: &Change) -> Result<Change, WireError> {
    let line = encode_change(change);
    let bytes = postcard::to_stdvec(&pack(change, &line)).map_err(|error| WireError::Syntax {
        message: error.to_string(),
    })?;
    let packed: Packed<'_> = postcard::from_bytes(&bytes).map_err(|error| WireError::Syntax {
        message: error.to_string(),
    })?;
    unpack(packed)
}

/// Reads one journal row back into the change [`encode_change`] wrote.
pub fn decode_change(text: &str) -> Result<Change, WireError> {
    let head: Head = parse(text)?;
    if head.v != VERSION {
        return Err(WireError::UnknownVersion { found: head.v });
    }
    let change = match head.change.as_str() {
        "create" => {
            let doc: CreateDoc = parse(text)?;
            Change::Create(Box::new(doc.appointment.into()))
        }
        "set-status" => {
            let doc: SetStatusDoc = parse(text)?;
            Change::SetStatus {
                appointment: AppointmentId(doc.appointment),
                from: doc.from.0,
                to: doc.to.0,
                cancellation: doc.cancellation.map(Cancellation::from),
            }
        }
        "arrange" => {
            let doc: ArrangeDoc = parse(text)?;
            Change::Arrange(doc.arrangement.into())
        }
        "wait" => {
            let doc: WaitDoc = parse(text)?;
            Change::Wait(Box::new(doc.entry.into()))
        }
        "unwait" => {
            let doc: UnwaitDoc = parse(text)?;
            Change::Unwait(RequestId(doc.request))
        }
        "create-group" => {
            let doc: CreateGroupDoc = parse(text)?;
            Change::CreateGroup(Box::new(doc.group.into()))
        }
        "enrol" => {
            let doc: RosterDoc = parse(text)?;
            Change::Enrol {
                group: GroupId(doc.group),
                member: MemberId(doc.member),
                from: doc.from.0,
            }
        }
        "unenrol" => {
            let doc: RosterDoc = parse(text)?;
            Change::Unenrol {
                group: GroupId(doc.group),
                member: MemberId(doc.member),
                from: doc.from.0,
            }
        }
        "cancel-session" => {
            let doc: CancelSessionDoc = parse(text)?;
            Change::CancelSession {
                group: GroupId(doc.group),
                session: doc.session,
                cancellation: doc.cancellation.into(),
                seats: doc
                    .seats
                    .into_iter()
                    .map(|seat| (MemberId(seat.member), seat.outcome.into()))
                    .collect(),
            }
        }
        "reschedule" => {
            let doc: RescheduleDoc = parse(text)?;
            let schedule = Schedule::try_from(doc.schedule).map_err(|invalid| {
                let invalid = invalid.within("schedule");
                WireError::Field {
                    path: invalid.path,
                    message: invalid.message.to_owned(),
                }
            })?;
            Change::Reschedule {
                clinician: ClinicianId(doc.clinician),
                schedule: Box::new(schedule),
                from: doc.from.0,
            }
        }
        "open-episode" => {
            let doc: OpenEpisodeDoc = parse(text)?;
            Change::OpenEpisode(Box::new(doc.episode.into()))
        }
        "attach" => {
            let doc: AttachDoc = parse(text)?;
            Change::Attach {
                episode: EpisodeId(doc.episode),
                appointment: AppointmentId(doc.appointment),
            }
        }
        "set-cadence" => {
            let doc: SetCadenceDoc = parse(text)?;
            Change::SetCadence {
                episode: EpisodeId(doc.episode),
                from: doc.from.0,
                to: doc.to.0,
            }
        }
        "discharge" => {
            let doc: DischargeDoc = parse(text)?;
            Change::Discharge {
                episode: EpisodeId(doc.episode),
                at: doc.at.0,
            }
        }
        "substitute" => {
            let doc: SubstituteDoc = parse(text)?;
            Change::Substitute {
                group: GroupId(doc.group),
                session: doc.session,
                absent: ClinicianId(doc.absent),
                substitute: ClinicianId(doc.substitute),
            }
        }
        "seat-status" => {
            let doc: SeatStatusDoc = parse(text)?;
            Change::SeatStatus {
                group: GroupId(doc.group),
                session: doc.session,
                member: MemberId(doc.member),
                from: doc.from.0,
                to: doc.to.0,
            }
        }
        _ => {
            return Err(WireError::Field {
                path: "change".to_owned(),
                message: format!("unknown change (expected one of: {})", KINDS.join(", ")),
            });
        }
    };
    Ok(change)
}

/// Every `change` name, in the order of [`Change`]'s variants.
const KINDS: [&str; 16] = [
    "create",
    "set-status",
    "arrange",
    "wait",
    "unwait",
    "create-group",
    "enrol",
    "unenrol",
    "cancel-session",
    "reschedule",
    "open-episode",
    "attach",
    "set-cadence",
    "discharge",
    "substitute",
    "seat-status",
];

fn to_line<T: Serialize>(doc: &T) -> String {
    serde_json::to_string(doc).expect(
        "journal documents are structs of numbers, strings and lists; only a time zone without \
         a printable name fails, and caretime's zones all come from the bundled database",
    )
}

/// A request's preferences as the journal spells them (`{"weekdays":["mon"],
/// "earliest_start":"09:00","latest_start":"17:00"}`), or none when the member can come any day
/// at any time: the `request` table's `preferences` column.
pub(crate) fn encode_preferences(preferences: &Preferences) -> Option<String> {
    PreferencesWire::unless_any(preferences).map(|wire| to_line(&wire))
}

/// Parses `text` as `T`, naming the field of the first problem.
fn parse<T: DeserializeOwned>(text: &str) -> Result<T, WireError> {
    // The journal is read a row at a time when a process loads (millions of rows): a good row
    // is parsed once, without tracking the path, which only an error needs. A bad one is
    // parsed again, with the path, for the message.
    if let Ok(value) = serde_json::from_str(text) {
        return Ok(value);
    }
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let value: T = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().clone();
        let inner = error.into_inner();
        if inner.is_data() {
            field_error(&path, &inner)
        } else {
            syntax_error(&inner)
        }
    })?;
    // Text after the document (a second document, a stray character).
    deserializer.end().map_err(|error| syntax_error(&error))?;
    Ok(value)
}

fn syntax_error(error: &serde_json::Error) -> WireError {
    WireError::Syntax {
        message: error.to_string(),
    }
}

/// A data error as a [`WireError::Field`]: the path and serde's message without the value it
/// quotes (a key the row spells wrongly is dropped from the path for the same reason).
fn field_error(path: &serde_path_to_error::Path, error: &serde_json::Error) -> WireError {
    let full = error.to_string();
    // serde_json appends the position, which the path makes redundant.
    let suffix = format!(" at line {} column {}", error.line(), error.column());
    let message = full.strip_suffix(&suffix).unwrap_or(&full);
    let mut segments: Vec<String> = path.iter().map(ToString::to_string).collect();
    let unknown_key = message.starts_with("unknown field `");
    if unknown_key {
        segments.pop();
    }
    if let Some(missing) = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.strip_suffix('`'))
    {
        segments.push(missing.to_owned());
    }
    let mut joined = String::new();
    for segment in &segments {
        if !joined.is_empty() && !segment.starts_with('[') {
            joined.push('.');
        }
        joined.push_str(segment);
    }
    if joined.is_empty() {
        joined.push('.');
    }
    WireError::Field {
        path: joined,
        message: without_values(message),
    }
}

/// serde's message with the value it quotes taken out: `invalid type: string "Ana", expected
/// u32` becomes `invalid type: string, expected u32`, and an unknown variant's message keeps
/// only what was expected. The quoted value may hold anything, the phrases that end it included,
/// so each message is cut at the *last* one (serde's own words follow the value, and none of
/// this module's expectations contain them).
fn without_values(message: &str) -> String {
    for prefix in ["invalid type: ", "invalid value: ", "invalid length "] {
        if let Some(rest) = message.strip_prefix(prefix) {
            let (unexpected, expected) = rest.rsplit_once(", expected ").unwrap_or((rest, ""));
            // What kind of value it was (`string`, `integer`, `floating point`, `map`): the
            // words before the quoted value.
            let kind = unexpected
                .split(['`', '"'])
                .next()
                .unwrap_or_default()
                .trim();
            let mut shown = prefix.trim_end().trim_end_matches(':').to_owned();
            // For a length, the words before `expected` are the length: left out like a value.
            if !kind.is_empty() && prefix != "invalid length " {
                shown.push_str(": ");
                shown.push_str(kind);
            }
            if !expected.is_empty() {
                shown.push_str(", expected ");
                shown.push_str(expected);
            }
            return shown;
        }
    }
    for (prefix, what) in [
        ("unknown field `", "unknown field"),
        ("unknown variant `", "unknown variant"),
    ] {
        if message.starts_with(prefix) {
            let tail = ["`, expected ", "`, there are no "]
                .into_iter()
                .filter_map(|end| message.rfind(end).map(|at| &message[at + 3..]))
                .next();
            return match tail {
                Some(tail) => format!("{what}, {tail}"),
                None => what.to_owned(),
            };
        }
    }
    message.to_owned()
}

// ---------------------------------------------------------------------------------------------
// The documents: one per change, each with `v` and `change` first.

/// What every row starts with, read first to pick the document type.
#[derive(Deserialize)]
struct Head {
    v: u32,
    change: String,
}

/// The `change` field: written as its name, read (and already matched by [`Head`]) as any
/// string.
struct Tag(&'static str);

impl Serialize for Tag {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.0)
    }
}

impl<'de> Deserialize<'de> for Tag {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Tag, D::Error> {
        de::IgnoredAny::deserialize(deserializer).map(|_| Tag(""))
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateDoc {
    v: u32,
    change: Tag,
    appointment: AppointmentWire,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SetStatusDoc {
    v: u32,
    change: Tag,
    appointment: u32,
    from: Status,
    to: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cancellation: Option<CancellationWire>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ArrangeDoc {
    v: u32,
    change: Tag,
    arrangement: ArrangementWire,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct WaitDoc {
    v: u32,
    change: Tag,
    entry: WaitlistEntryWire,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct UnwaitDoc {
    v: u32,
    change: Tag,
    request: u32,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateGroupDoc {
    v: u32,
    change: Tag,
    group: GroupWire,
}

/// `enrol` and `unenrol`.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RosterDoc {
    v: u32,
    change: Tag,
    group: u32,
    member: u32,
    from: Instant,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CancelSessionDoc {
    v: u32,
    change: Tag,
    group: u32,
    session: usize,
    cancellation: CancellationWire,
    seats: Vec<SeatOutcomeWire>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RescheduleDoc {
    v: u32,
    change: Tag,
    clinician: u32,
    schedule: ScheduleWire,
    from: Day,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct OpenEpisodeDoc {
    v: u32,
    change: Tag,
    episode: EpisodeWire,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct AttachDoc {
    v: u32,
    change: Tag,
    episode: u32,
    appointment: u32,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SetCadenceDoc {
    v: u32,
    change: Tag,
    episode: u32,
    from: Named<Cadence>,
    to: Named<Cadence>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct DischargeDoc {
    v: u32,
    change: Tag,
    episode: u32,
    at: Instant,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SubstituteDoc {
    v: u32,
    change: Tag,
    group: u32,
    session: usize,
    absent: u32,
    substitute: u32,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SeatStatusDoc {
    v: u32,
    change: Tag,
    group: u32,
    session: usize,
    member: u32,
    from: Status,
    to: Status,
}

// ---------------------------------------------------------------------------------------------
// Mirrors of the domain's structs. Each value is checked as it is read (the leaf types below),
// so a conversion back fails only where the domain checks several fields together.

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct AppointmentWire {
    id: u32,
    request: RequestWire,
    deadline: Instant,
    offered: OfferRecordWire,
    clinician: u32,
    facility: u32,
    start: Instant,
    length: u32,
    time: FreeKindWire,
    modality: Named<Modality>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    interpreter: Option<Lang>,
    route: Named<Route>,
    status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expires: Option<Instant>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cancellation: Option<CancellationWire>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    replaces: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    overbooks: Option<u32>,
}

impl From<&Appointment> for AppointmentWire {
    fn from(appointment: &Appointment) -> AppointmentWire {
        AppointmentWire {
            id: appointment.id.0,
            request: RequestWire::from(&appointment.request),
            deadline: Instant(appointment.deadline),
            offered: OfferRecordWire::from(&appointment.offered),
            clinician: appointment.clinician.0,
            facility: appointment.facility.0,
            start: Instant(appointment.start),
            length: appointment.length,
            time: FreeKindWire::from(appointment.time),
            modality: Named(appointment.modality),
            interpreter: appointment.interpreter.map(Lang),
            route: Named(appointment.route),
            status: Status(appointment.status),
            expires: appointment.expires.map(Instant),
            cancellation: appointment
                .cancellation
                .as_ref()
                .map(CancellationWire::from),
            replaces: appointment.replaces.map(|id| id.0),
            overbooks: appointment.overbooks.map(|id| id.0),
        }
    }
}

impl From<AppointmentWire> for Appointment {
    fn from(wire: AppointmentWire) -> Appointment {
        Appointment {
            id: AppointmentId(wire.id),
            request: wire.request.into(),
            deadline: wire.deadline.0,
            offered: wire.offered.into(),
            clinician: ClinicianId(wire.clinician),
            facility: FacilityId(wire.facility),
            start: wire.start.0,
            length: wire.length,
            time: wire.time.into(),
            modality: wire.modality.0,
            interpreter: wire.interpreter.map(|lang| lang.0),
            route: wire.route.0,
            status: wire.status.0,
            expires: wire.expires.map(|at| at.0),
            cancellation: wire.cancellation.map(Cancellation::from),
            replaces: wire.replaces.map(AppointmentId),
            overbooks: wire.overbooks.map(AppointmentId),
        }
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RequestWire {
    id: u32,
    member: u32,
    kind: Named<RequestKind>,
    requested: Instant,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    prior_appointment: Option<Instant>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    clinical_exception: Option<Day>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    treating_clinician: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    preferences: Option<PreferencesWire>,
}

impl From<&Request> for RequestWire {
    fn from(request: &Request) -> RequestWire {
        RequestWire {
            id: request.id.0,
            member: request.member.0,
            kind: Named(request.kind),
            requested: Instant(request.requested),
            prior_appointment: request.prior_appointment.map(Instant),
            clinical_exception: request.clinical_exception.map(Day),
            treating_clinician: request.treating_clinician.map(|id| id.0),
            preferences: PreferencesWire::unless_any(&request.preferences),
        }
    }
}

impl From<RequestWire> for Request {
    fn from(wire: RequestWire) -> Request {
        Request {
            id: RequestId(wire.id),
            member: MemberId(wire.member),
            kind: wire.kind.0,
            requested: wire.requested.0,
            prior_appointment: wire.prior_appointment.map(|at| at.0),
            clinical_exception: wire.clinical_exception.map(|day| day.0),
            treating_clinician: wire.treating_clinician.map(ClinicianId),
            preferences: wire.preferences.map_or(Preferences::ANY, Preferences::from),
        }
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PreferencesWire {
    weekdays: Weekdays,
    earliest_start: Clock,
    latest_start: Clock,
}

impl PreferencesWire {
    /// The preferences to write: none when the member can come any time (most requests).
    fn unless_any(preferences: &Preferences) -> Option<PreferencesWire> {
        (*preferences != Preferences::ANY).then_some(PreferencesWire {
            weekdays: Weekdays(preferences.weekdays),
            earliest_start: Clock(preferences.earliest_start),
            latest_start: Clock(preferences.latest_start),
        })
    }
}

impl From<PreferencesWire> for Preferences {
    fn from(wire: PreferencesWire) -> Preferences {
        Preferences {
            weekdays: wire.weekdays.0,
            earliest_start: wire.earliest_start.0,
            latest_start: wire.latest_start.0,
        }
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct OfferRecordWire {
    clinician: u32,
    start: Instant,
    timeliness: TimelinessWire,
}

impl From<&OfferRecord> for OfferRecordWire {
    fn from(offered: &OfferRecord) -> OfferRecordWire {
        OfferRecordWire {
            clinician: offered.clinician.0,
            start: Instant(offered.start),
            timeliness: offered.timeliness.into(),
        }
    }
}

impl From<OfferRecordWire> for OfferRecord {
    fn from(wire: OfferRecordWire) -> OfferRecord {
        OfferRecord {
            clinician: ClinicianId(wire.clinician),
            start: wire.start.0,
            timeliness: wire.timeliness.into(),
        }
    }
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
enum TimelinessWire {
    Met,
    Late { business_days: u32 },
}

impl From<Timeliness> for TimelinessWire {
    fn from(timeliness: Timeliness) -> TimelinessWire {
        match timeliness {
            Timeliness::Met => TimelinessWire::Met,
            Timeliness::Late { business_days } => TimelinessWire::Late { business_days },
        }
    }
}

impl From<TimelinessWire> for Timeliness {
    fn from(wire: TimelinessWire) -> Timeliness {
        match wire {
            TimelinessWire::Met => Timeliness::Met,
            TimelinessWire::Late { business_days } => Timeliness::Late { business_days },
        }
    }
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum FreeKindWire {
    Direct,
    UrgentHold,
}

impl From<FreeKind> for FreeKindWire {
    fn from(kind: FreeKind) -> FreeKindWire {
        match kind {
            FreeKind::Direct => FreeKindWire::Direct,
            FreeKind::UrgentHold => FreeKindWire::UrgentHold,
        }
    }
}

impl From<FreeKindWire> for FreeKind {
    fn from(wire: FreeKindWire) -> FreeKind {
        match wire {
            FreeKindWire::Direct => FreeKind::Direct,
            FreeKindWire::UrgentHold => FreeKind::UrgentHold,
        }
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CancellationWire {
    reason: Named<CancellationReason>,
    by: CancelledByWire,
    at: Instant,
}

impl From<&Cancellation> for CancellationWire {
    fn from(cancellation: &Cancellation) -> CancellationWire {
        CancellationWire {
            reason: Named(cancellation.reason),
            by: cancellation.by.into(),
            at: Instant(cancellation.at),
        }
    }
}

impl From<CancellationWire> for Cancellation {
    fn from(wire: CancellationWire) -> Cancellation {
        Cancellation {
            reason: wire.reason.0,
            by: wire.by.into(),
            at: wire.at.0,
        }
    }
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum CancelledByWire {
    Member,
    Plan,
}

impl From<CancelledBy> for CancelledByWire {
    fn from(by: CancelledBy) -> CancelledByWire {
        match by {
            CancelledBy::Member => CancelledByWire::Member,
            CancelledBy::Plan => CancelledByWire::Plan,
        }
    }
}

impl From<CancelledByWire> for CancelledBy {
    fn from(wire: CancelledByWire) -> CancelledBy {
        match wire {
            CancelledByWire::Member => CancelledBy::Member,
            CancelledByWire::Plan => CancelledBy::Plan,
        }
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ArrangementWire {
    request: u32,
    requested: Instant,
    member: u32,
    kind: Named<RequestKind>,
    deadline: Instant,
}

impl From<&OutOfNetworkArrangement> for ArrangementWire {
    fn from(arrangement: &OutOfNetworkArrangement) -> ArrangementWire {
        ArrangementWire {
            request: arrangement.request.0,
            requested: Instant(arrangement.requested),
            member: arrangement.member.0,
            kind: Named(arrangement.kind),
            deadline: Instant(arrangement.deadline),
        }
    }
}

impl From<ArrangementWire> for OutOfNetworkArrangement {
    fn from(wire: ArrangementWire) -> OutOfNetworkArrangement {
        OutOfNetworkArrangement {
            request: RequestId(wire.request),
            requested: wire.requested.0,
            member: MemberId(wire.member),
            kind: wire.kind.0,
            deadline: wire.deadline.0,
        }
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct WaitlistEntryWire {
    request: RequestWire,
    deadline: Instant,
    since: Instant,
}

impl From<&WaitlistEntry> for WaitlistEntryWire {
    fn from(entry: &WaitlistEntry) -> WaitlistEntryWire {
        WaitlistEntryWire {
            request: RequestWire::from(&entry.request),
            deadline: Instant(entry.deadline),
            since: Instant(entry.since),
        }
    }
}

impl From<WaitlistEntryWire> for WaitlistEntry {
    fn from(wire: WaitlistEntryWire) -> WaitlistEntry {
        WaitlistEntry {
            request: wire.request.into(),
            deadline: wire.deadline.0,
            since: wire.since.0,
        }
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct GroupWire {
    id: u32,
    name: String,
    facilitators: Vec<u32>,
    facility: u32,
    capacity: u8,
    roster: Vec<u32>,
    sessions: Vec<GroupSessionWire>,
}

impl From<&Group> for GroupWire {
    fn from(group: &Group) -> GroupWire {
        GroupWire {
            id: group.id.0,
            name: group.name.clone(),
            facilitators: group.facilitators.iter().map(|id| id.0).collect(),
            facility: group.facility.0,
            capacity: group.capacity,
            roster: group.roster.iter().map(|id| id.0).collect(),
            sessions: group.sessions.iter().map(GroupSessionWire::from).collect(),
        }
    }
}

impl From<GroupWire> for Group {
    fn from(wire: GroupWire) -> Group {
        Group {
            id: GroupId(wire.id),
            name: wire.name,
            facilitators: wire.facilitators.into_iter().map(ClinicianId).collect(),
            facility: FacilityId(wire.facility),
            capacity: wire.capacity,
            roster: wire.roster.into_iter().map(MemberId).collect(),
            sessions: wire.sessions.into_iter().map(GroupSession::from).collect(),
        }
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct GroupSessionWire {
    start: Instant,
    length: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cancellation: Option<CancellationWire>,
    seats: Vec<SeatWire>,
    substitutes: Vec<SubstituteWire>,
}

impl From<&GroupSession> for GroupSessionWire {
    fn from(session: &GroupSession) -> GroupSessionWire {
        GroupSessionWire {
            start: Instant(session.start),
            length: session.length,
            cancellation: session.cancellation.as_ref().map(CancellationWire::from),
            seats: session
                .seats
                .iter()
                .map(|seat| SeatWire {
                    member: seat.member.0,
                    status: Status(seat.status),
                })
                .collect(),
            substitutes: session
                .substitutes
                .iter()
                .map(|(absent, substitute)| SubstituteWire {
                    absent: absent.0,
                    substitute: substitute.0,
                })
                .collect(),
        }
    }
}

impl From<GroupSessionWire> for GroupSession {
    fn from(wire: GroupSessionWire) -> GroupSession {
        GroupSession {
            start: wire.start.0,
            length: wire.length,
            cancellation: wire.cancellation.map(Cancellation::from),
            seats: wire
                .seats
                .into_iter()
                .map(|seat| Seat {
                    member: MemberId(seat.member),
                    status: seat.status.0,
                })
                .collect(),
            substitutes: wire
                .substitutes
                .into_iter()
                .map(|pair| (ClinicianId(pair.absent), ClinicianId(pair.substitute)))
                .collect(),
        }
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SeatWire {
    member: u32,
    status: Status,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SubstituteWire {
    absent: u32,
    substitute: u32,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SeatOutcomeWire {
    member: u32,
    outcome: OutcomeWire,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
enum OutcomeWire {
    Moved { group: u32, session: usize },
    Cancelled,
}

impl From<SeatOutcome> for OutcomeWire {
    fn from(outcome: SeatOutcome) -> OutcomeWire {
        match outcome {
            SeatOutcome::Moved { group, session } => OutcomeWire::Moved {
                group: group.0,
                session,
            },
            SeatOutcome::Cancelled => OutcomeWire::Cancelled,
        }
    }
}

impl From<OutcomeWire> for SeatOutcome {
    fn from(wire: OutcomeWire) -> SeatOutcome {
        match wire {
            OutcomeWire::Moved { group, session } => SeatOutcome::Moved {
                group: GroupId(group),
                session,
            },
            OutcomeWire::Cancelled => SeatOutcome::Cancelled,
        }
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct EpisodeWire {
    id: u32,
    member: u32,
    clinician: u32,
    cadence: Named<Cadence>,
    longer_wait: LongerWaitWire,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    preferences: Option<PreferencesWire>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    discharged: Option<Instant>,
    appointments: Vec<u32>,
}

impl From<&Episode> for EpisodeWire {
    fn from(episode: &Episode) -> EpisodeWire {
        EpisodeWire {
            id: episode.id.0,
            member: episode.member.0,
            clinician: episode.clinician.0,
            cadence: Named(episode.cadence),
            longer_wait: episode.longer_wait.into(),
            preferences: PreferencesWire::unless_any(&episode.preferences),
            discharged: episode.discharged.map(Instant),
            appointments: episode.appointments.iter().map(|id| id.0).collect(),
        }
    }
}

impl From<EpisodeWire> for Episode {
    fn from(wire: EpisodeWire) -> Episode {
        Episode {
            id: EpisodeId(wire.id),
            member: MemberId(wire.member),
            clinician: ClinicianId(wire.clinician),
            cadence: wire.cadence.0,
            longer_wait: wire.longer_wait.into(),
            preferences: wire.preferences.map_or(Preferences::ANY, Preferences::from),
            discharged: wire.discharged.map(|at| at.0),
            appointments: wire.appointments.into_iter().map(AppointmentId).collect(),
        }
    }
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum LongerWaitWire {
    Documented,
    NotDocumented,
}

impl From<LongerWait> for LongerWaitWire {
    fn from(longer_wait: LongerWait) -> LongerWaitWire {
        match longer_wait {
            LongerWait::Documented => LongerWaitWire::Documented,
            LongerWait::NotDocumented => LongerWaitWire::NotDocumented,
        }
    }
}

impl From<LongerWaitWire> for LongerWait {
    fn from(wire: LongerWaitWire) -> LongerWait {
        match wire {
            LongerWaitWire::Documented => LongerWait::Documented,
            LongerWaitWire::NotDocumented => LongerWait::NotDocumented,
        }
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScheduleWire {
    clinician: u32,
    pool: u8,
    time_zone: Zone,
    template: TemplateWire,
    calendar: CalendarWire,
    leave: Vec<LeaveWire>,
}

impl From<&Schedule> for ScheduleWire {
    fn from(schedule: &Schedule) -> ScheduleWire {
        ScheduleWire {
            clinician: schedule.clinician.0,
            pool: schedule.pool.0,
            time_zone: Zone(schedule.time_zone.clone()),
            template: TemplateWire::from(&schedule.template),
            calendar: CalendarWire::from(&schedule.calendar),
            leave: schedule
                .leave
                .iter()
                .map(|(first, last)| LeaveWire {
                    first: Day(*first),
                    last: Day(*last),
                })
                .collect(),
        }
    }
}

impl TryFrom<ScheduleWire> for Schedule {
    type Error = Invalid;

    fn try_from(wire: ScheduleWire) -> Result<Schedule, Invalid> {
        Ok(Schedule {
            clinician: ClinicianId(wire.clinician),
            pool: Pool(wire.pool),
            time_zone: wire.time_zone.0,
            template: Template::try_from(wire.template).map_err(|e| e.within("template"))?,
            calendar: BusinessCalendar::try_from(wire.calendar)
                .map_err(|e| e.within("calendar"))?,
            leave: wire
                .leave
                .into_iter()
                .map(|leave| (leave.first.0, leave.last.0))
                .collect(),
        })
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct LeaveWire {
    first: Day,
    last: Day,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct TemplateWire {
    fte: FteWire,
    blocks: Vec<BlockWire>,
}

impl From<&Template> for TemplateWire {
    fn from(template: &Template) -> TemplateWire {
        TemplateWire {
            fte: FteWire(template.fte),
            blocks: template.blocks.iter().map(BlockWire::from).collect(),
        }
    }
}

impl TryFrom<TemplateWire> for Template {
    type Error = Invalid;

    fn try_from(wire: TemplateWire) -> Result<Template, Invalid> {
        let blocks = wire
            .blocks
            .into_iter()
            .enumerate()
            .map(|(idx, block)| {
                Block::try_from(block).map_err(|e| e.within(&format!("blocks[{idx}]")))
            })
            .collect::<Result<Vec<Block>, Invalid>>()?;
        Ok(Template {
            fte: wire.fte.0,
            blocks,
        })
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct BlockWire {
    day: DayName,
    start: Clock,
    end: Clock,
    kind: Named<BlockKind>,
}

impl From<&Block> for BlockWire {
    fn from(block: &Block) -> BlockWire {
        BlockWire {
            day: DayName(block.day),
            start: Clock(block.range.start()),
            end: Clock(block.range.end()),
            kind: Named(block.kind),
        }
    }
}

impl TryFrom<BlockWire> for Block {
    type Error = Invalid;

    fn try_from(wire: BlockWire) -> Result<Block, Invalid> {
        let range = DayRange::new(wire.start.0, wire.end.0)
            .map_err(|_| Invalid::new("end", "a block must end after it starts"))?;
        Ok(Block {
            day: wire.day.0,
            range,
            kind: wire.kind.0,
        })
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CalendarWire {
    weekdays: Weekdays,
    holidays: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    holiday_rules: Option<HolidayRulesWire>,
    closures: Vec<Day>,
}

impl From<&BusinessCalendar> for CalendarWire {
    fn from(calendar: &BusinessCalendar) -> CalendarWire {
        let holidays = calendar.holidays();
        let built_in = builtin_holidays(holidays.name()) == Some(holidays);
        CalendarWire {
            weekdays: Weekdays(calendar.weekdays()),
            holidays: holidays.name().to_owned(),
            holiday_rules: (!built_in).then(|| HolidayRulesWire::from(holidays)),
            closures: calendar.closures().iter().copied().map(Day).collect(),
        }
    }
}

impl TryFrom<CalendarWire> for BusinessCalendar {
    type Error = Invalid;

    fn try_from(wire: CalendarWire) -> Result<BusinessCalendar, Invalid> {
        let holidays = match wire.holiday_rules {
            Some(rules) => rules
                .into_calendar(wire.holidays)
                .map_err(|e| e.within("holiday_rules"))?,
            None => builtin_holidays(&wire.holidays).cloned().ok_or_else(|| {
                Invalid::new(
                    "holidays",
                    "unknown holiday calendar (expected a built-in one, or none)",
                )
            })?,
        };
        Ok(wire.closures.into_iter().fold(
            BusinessCalendar::new(wire.weekdays.0, holidays),
            |calendar, closure| calendar.with_closure(closure.0),
        ))
    }
}

/// The built-in holiday calendar of this name (`none` for no holidays), parsed once.
fn builtin_holidays(name: &str) -> Option<&'static HolidayCalendar> {
    static CALENDARS: OnceLock<Vec<HolidayCalendar>> = OnceLock::new();
    CALENDARS
        .get_or_init(|| {
            std::iter::once(HolidayCalendar::empty())
                .chain(builtin::calendar_names().filter_map(builtin::holiday_calendar))
                .collect()
        })
        .iter()
        .find(|calendar| calendar.name() == name)
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct HolidayRulesWire {
    title: String,
    source: String,
    rules: Vec<HolidayWire>,
}

impl From<&HolidayCalendar> for HolidayRulesWire {
    fn from(calendar: &HolidayCalendar) -> HolidayRulesWire {
        HolidayRulesWire {
            title: calendar.title().to_owned(),
            source: calendar.source().to_owned(),
            rules: calendar.holidays().iter().map(HolidayWire::from).collect(),
        }
    }
}

impl HolidayRulesWire {
    fn into_calendar(self, name: String) -> Result<HolidayCalendar, Invalid> {
        let rules = self.rules.into_iter().map(Holiday::from).collect();
        HolidayCalendar::new(name, self.title, self.source, rules).map_err(|error| {
            use caretime_core::calendar::CalendarError;
            let message = match error {
                CalendarError::DuplicateHoliday(_) => "two rules have the same name",
                CalendarError::UnknownDayAfter { .. } => {
                    "a day-after rule must name an earlier rule"
                }
                CalendarError::InvalidDate { .. } => {
                    "a rule's month, day or nth weekday is out of range"
                }
                CalendarError::NoWorkingDays | CalendarError::OutOfRange => {
                    "the rules do not make a holiday calendar"
                }
            };
            Invalid::new("rules", message)
        })
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct HolidayWire {
    name: String,
    date: HolidayDateWire,
    observed: Named<Observance>,
    source: String,
}

impl From<&Holiday> for HolidayWire {
    fn from(holiday: &Holiday) -> HolidayWire {
        HolidayWire {
            name: holiday.name.clone(),
            date: match holiday.date {
                HolidayDate::Fixed { month, day } => HolidayDateWire::Fixed { month, day },
                HolidayDate::NthWeekday { n, weekday, month } => HolidayDateWire::NthWeekday {
                    n,
                    weekday: DayName(weekday),
                    month,
                },
                HolidayDate::LastWeekday { weekday, month } => HolidayDateWire::LastWeekday {
                    weekday: DayName(weekday),
                    month,
                },
                HolidayDate::DayAfter(index) => HolidayDateWire::DayAfter(index),
            },
            observed: Named(holiday.observance),
            source: holiday.source.clone(),
        }
    }
}

impl From<HolidayWire> for Holiday {
    fn from(wire: HolidayWire) -> Holiday {
        Holiday {
            name: wire.name,
            date: match wire.date {
                HolidayDateWire::Fixed { month, day } => HolidayDate::Fixed { month, day },
                HolidayDateWire::NthWeekday { n, weekday, month } => HolidayDate::NthWeekday {
                    n,
                    weekday: weekday.0,
                    month,
                },
                HolidayDateWire::LastWeekday { weekday, month } => HolidayDate::LastWeekday {
                    weekday: weekday.0,
                    month,
                },
                HolidayDateWire::DayAfter(index) => HolidayDate::DayAfter(index),
            },
            observance: wire.observed.0,
            source: wire.source,
        }
    }
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
enum HolidayDateWire {
    Fixed { month: i8, day: i8 },
    NthWeekday { n: i8, weekday: DayName, month: i8 },
    LastWeekday { weekday: DayName, month: i8 },
    DayAfter(usize),
}

/// A value that read well field by field but that the domain refuses as a whole: where (a path
/// relative to the value converted) and why.
#[derive(Debug)]
struct Invalid {
    path: String,
    message: &'static str,
}

impl Invalid {
    fn new(field: &str, message: &'static str) -> Invalid {
        Invalid {
            path: field.to_owned(),
            message,
        }
    }

    /// The same problem seen from the value that holds this one in its field `parent`.
    fn within(self, parent: &str) -> Invalid {
        let separator = if self.path.starts_with('[') { "" } else { "." };
        Invalid {
            path: format!("{parent}{separator}{}", self.path),
            message: self.message,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Leaf values: each written as text (or a number) and checked by the domain as it is read, so
// that a refusal carries the field's path. No message repeats the text it refuses.

/// Reads a string with `parse`; `expected` completes "expected ..." when it fails.
fn from_text<'de, D, T>(
    deserializer: D,
    expected: impl fmt::Display,
    parse: impl FnOnce(&str) -> Option<T>,
) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
{
    struct TextVisitor<X, F> {
        expected: X,
        parse: F,
    }

    impl<'de, T, X: fmt::Display, F: FnOnce(&str) -> Option<T>> Visitor<'de> for TextVisitor<X, F> {
        type Value = T;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            self.expected.fmt(f)
        }

        fn visit_str<E: de::Error>(self, text: &str) -> Result<T, E> {
            (self.parse)(text).ok_or_else(|| E::custom(format_args!("expected {}", self.expected)))
        }
    }

    deserializer.deserialize_str(TextVisitor { expected, parse })
}

/// An instant, RFC 3339 in UTC (`2025-12-01T16:00:00Z`).
struct Instant(Timestamp);

impl Serialize for Instant {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            serializer.collect_str(&self.0)
        } else {
            // The packed form: seconds and nanoseconds since the Unix epoch.
            (self.0.as_second(), self.0.subsec_nanosecond()).serialize(serializer)
        }
    }
}

impl<'de> Deserialize<'de> for Instant {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Instant, D::Error> {
        if !deserializer.is_human_readable() {
            let (second, nanosecond) = <(i64, i32)>::deserialize(deserializer)?;
            return Timestamp::new(second, nanosecond)
                .map(Instant)
                .map_err(|_| de::Error::custom("an instant out of range"));
        }
        from_text(
            deserializer,
            "an instant in UTC such as 2025-12-01T16:00:00Z",
            |text| {
                text.ends_with('Z')
                    .then(|| Timestamp::from_str(text).ok())
                    .flatten()
                    .map(Instant)
            },
        )
    }
}

/// A date, `YYYY-MM-DD`.
struct Day(Date);

impl Serialize for Day {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Day {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Day, D::Error> {
        from_text(deserializer, "a date such as 2025-12-01", |text| {
            parse_date(text).ok().map(Day)
        })
    }
}

/// A local time of day: `HH:MM`, or `HH:MM:SS.fffffffff` off the whole minute.
struct Clock(Time);

impl Serialize for Clock {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let time = self.0;
        if time.second() == 0 && time.subsec_nanosecond() == 0 {
            serializer.collect_str(&format_args!("{:02}:{:02}", time.hour(), time.minute()))
        } else {
            serializer.collect_str(&time)
        }
    }
}

impl<'de> Deserialize<'de> for Clock {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Clock, D::Error> {
        from_text(deserializer, "a time of day such as 09:30", |text| {
            // Two digits and a colon first: jiff also reads `0930` and `T09:30`.
            let shaped = text.len() >= 5 && text.as_bytes()[2] == b':';
            shaped
                .then(|| Time::from_str(text).ok())
                .flatten()
                .map(Clock)
        })
    }
}

/// A weekday, `mon` ... `sun`.
struct DayName(Weekday);

impl Serialize for DayName {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(weekday_slug(self.0))
    }
}

impl<'de> Deserialize<'de> for DayName {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<DayName, D::Error> {
        from_text(deserializer, "a weekday: mon, tue, ..., sun", |text| {
            parse_weekday(text).map(DayName)
        })
    }
}

/// A non-empty set of weekdays, as their names Monday first, each once.
struct Weekdays(WeekdayMask);

impl Serialize for Weekdays {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // A list of known length (a binary form needs it before the items).
        let mut names = [""; 7];
        let mut n = 0;
        for (slot, day) in names.iter_mut().zip(self.0.weekdays()) {
            *slot = weekday_slug(day);
            n += 1;
        }
        names[..n].serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Weekdays {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Weekdays, D::Error> {
        let names = Vec::<DayName>::deserialize(deserializer)?;
        let days: Vec<Weekday> = names.into_iter().map(|name| name.0).collect();
        if days
            .iter()
            .enumerate()
            .any(|(idx, day)| days[..idx].contains(day))
        {
            return Err(de::Error::custom("a weekday is listed twice"));
        }
        WeekdayMask::new(&days)
            .map(Weekdays)
            .map_err(|_| de::Error::custom("at least one weekday is needed"))
    }
}

/// An enum by its slug (`follow-up`, `in-person`).
struct Named<T>(T);

impl<T: Slug> Serialize for Named<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.0.slug())
    }
}

impl<'de, T: Slug> Deserialize<'de> for Named<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Named<T>, D::Error> {
        from_text(deserializer, OneOf::<T>(PhantomData), |text| {
            T::from_slug(text).map(Named)
        })
    }
}

/// "one of: a, b, c", listing `T`'s slugs (written only when a value is refused).
struct OneOf<T>(PhantomData<T>);

impl<T: Slug> fmt::Display for OneOf<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("one of: ")?;
        for (idx, variant) in T::VARIANTS.iter().enumerate() {
            if idx > 0 {
                f.write_str(", ")?;
            }
            f.write_str(variant.slug())?;
        }
        Ok(())
    }
}

/// An appointment or seat status, by its FHIR code.
struct Status(AppointmentStatus);

/// Every status (the engine lists them as [`AppointmentStatus::code`]'s arms).
const STATUSES: [AppointmentStatus; 8] = [
    AppointmentStatus::Proposed,
    AppointmentStatus::Pending,
    AppointmentStatus::Booked,
    AppointmentStatus::Arrived,
    AppointmentStatus::Fulfilled,
    AppointmentStatus::Cancelled,
    AppointmentStatus::NoShow,
    AppointmentStatus::EnteredInError,
];

impl Serialize for Status {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.0.code())
    }
}

impl<'de> Deserialize<'de> for Status {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Status, D::Error> {
        from_text(
            deserializer,
            "a FHIR appointment status: proposed, pending, booked, arrived, fulfilled, \
             cancelled, noshow or entered-in-error",
            |text| {
                STATUSES
                    .into_iter()
                    .find(|status| status.code() == text)
                    .map(Status)
            },
        )
    }
}

/// A spoken language, by its ISO 639 code.
struct Lang(Language);

impl Serialize for Lang {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.0.code())
    }
}

impl<'de> Deserialize<'de> for Lang {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Lang, D::Error> {
        from_text(
            deserializer,
            "a lowercase ISO 639 language code such as es",
            |text| Language::from_str(text).ok().map(Lang),
        )
    }
}

/// A time zone, by its IANA name (a fixed offset or a POSIX rule for a zone without one).
struct Zone(TimeZone);

impl Serialize for Zone {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut name = String::new();
        DateTimePrinter::new()
            .print_time_zone(&self.0, &mut name)
            .map_err(|_| serde::ser::Error::custom("a time zone without a name"))?;
        serializer.serialize_str(&name)
    }
}

impl<'de> Deserialize<'de> for Zone {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Zone, D::Error> {
        from_text(
            deserializer,
            "an IANA time zone such as America/Los_Angeles",
            |text| DateTimeParser::new().parse_time_zone(text).ok().map(Zone),
        )
    }
}

/// A clinician's FTE, a decimal in hundredths (`0.75`).
struct FteWire(Fte);

impl Serialize for FteWire {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_f64(f64::from(self.0.hundredths()) / 100.0)
    }
}

impl<'de> Deserialize<'de> for FteWire {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<FteWire, D::Error> {
        let value = f64::deserialize(deserializer)?;
        Fte::from_decimal(value)
            .map(FteWire)
            .map_err(|_| de::Error::custom("an FTE is above 0 and at most 1.0, in hundredths"))
    }
}
