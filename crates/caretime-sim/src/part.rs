//! The part file a shard writes and `merge` reads: versioned JSON owned by the simulator.
//!
//! A part records what makes shards mergeable: the run's inputs ([`RunInputs`]: the caretime
//! version, the scenario file's text, the months, warm-up, replications, scale, seed and a
//! comparison's variants) with their fingerprint, the shard (`K` of `N`), each replication's
//! whole result (its [`AccessReport`] and [`RunCounts`]) and, for a comparison, the figures of
//! each variant's region the shard generated. Private serde types here mirror the domain types
//! and are converted to and from them field by field: the domain types do not derive Serialize,
//! and a field added to them stops this module compiling (the conversions destructure every
//! struct) until the format carries it too, with [`VERSION`] raised.
//!
//! Layout (one JSON object): `format` (`"caretime-part"`), `version`, `fingerprint` (hex SHA-256
//! of the inputs and the format version), `inputs`, `shard` (`number`, `count`), `regions`
//! (`variant`, `members`, `templates`) and `units` (`variant`, `replication`, `report`,
//! `counts`). Waits and intervals are written as their day buckets. A non-integer number
//! (the scale, an FTE, a threshold) is written as a string, Rust's shortest decimal form that
//! reads back to the same `f64`: JSON readers may round a decimal number, and a merged report
//! must be byte-identical.
//!
//! Reading refuses, with the reason: text that is not JSON or ends early, JSON that is not a
//! part, another [`VERSION`] of this format, another caretime version, a fingerprint that does
//! not match the inputs (an edited or damaged file) and a part that does not hold exactly its
//! shard's results.

use std::fmt::Write as _;

use caretime_core::slug::Slug;
use caretime_core::template::BlockKind;
use caretime_engine::book::CancellationReason;
use caretime_engine::report::census::{CensusRow, Question, Tally};
use caretime_engine::report::{
    AccessReport, Attendance, Breakdown, ComplianceRow, Days, Dimension, FollowUpIntervals,
    GroupSessions, Period, Routes, Workforce,
};
use jiff::civil::Date;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};

use crate::census::CensusPool;
use crate::compare::{RegionFigures, TemplateFigures, Variant};
use crate::model::{Replication, RunCounts};
use crate::shard::{Part, RunInputs, Shard};

/// What the `format` field says.
pub const FORMAT: &str = "caretime-part";

/// This format's version; raised whenever the layout or the meaning of a field changes.
pub const VERSION: u32 = 3;

/// Why a part file could not be read. The caller adds the file's name.
#[derive(Debug, thiserror::Error)]
pub enum PartError {
    /// The text ends before the JSON does (a shard killed while writing, a partial copy).
    #[error("the part file is truncated (it ends at line {line}, column {column})")]
    Truncated {
        /// Where it ends.
        line: usize,
        /// Where it ends.
        column: usize,
    },
    /// Not JSON, or JSON that is not a part file.
    #[error("not a caretime part file ({0})")]
    NotAPart(String),
    /// Another version of this format.
    #[error("a part file of format version {found}; this caretime reads version {VERSION}")]
    Version {
        /// The file's version.
        found: u32,
    },
    /// Made by another version of caretime.
    #[error(
        "made by caretime {found}; this is caretime {}: merge with the caretime that ran the shards",
        env!("CARGO_PKG_VERSION")
    )]
    Program {
        /// The version that made it.
        found: String,
    },
    /// Its contents are inconsistent.
    #[error("the part file is damaged: {0}")]
    Damaged(String),
}

/// A part as JSON text (one line and a newline).
pub fn write_part(part: &Part) -> String {
    let file = PartFile {
        format: FORMAT.to_owned(),
        version: VERSION,
        fingerprint: fingerprint(&part.inputs),
        inputs: InputsWire::from(&part.inputs),
        shard: ShardWire {
            number: part.shard.number(),
            count: part.shard.count(),
        },
        regions: part
            .regions
            .iter()
            .map(|(variant, figures)| RegionWire::from_figures(*variant, figures))
            .collect(),
        units: part
            .replications
            .iter()
            .map(|(variant, replication)| UnitWire::from_replication(*variant, replication))
            .collect(),
    };
    serde_json::to_string(&file).expect("a part serializes: strings, integers and lists only")
        + "\n"
}

/// Reads a part file's text, checked as the module docs say.
pub fn read_part(text: &str) -> Result<Part, PartError> {
    // One parse when the file is good; the header is read apart only to say why one is not (a
    // file of another version may not have this version's layout).
    let file: PartFile = match serde_json::from_str(text) {
        Ok(file) => file,
        Err(error) => {
            let header: Header = serde_json::from_str(text).map_err(|error| json_error(&error))?;
            check_header(header.format.as_deref(), header.version)?;
            return Err(PartError::Damaged(error.to_string()));
        }
    };
    check_header(Some(&file.format), Some(file.version))?;
    if file.inputs.program != env!("CARGO_PKG_VERSION") {
        return Err(PartError::Program {
            found: file.inputs.program,
        });
    }
    let inputs = file.inputs.into_inputs()?;
    if fingerprint(&inputs) != file.fingerprint {
        return Err(PartError::Damaged(
            "its fingerprint does not match its inputs (was it edited?)".to_owned(),
        ));
    }
    let shard = Shard::new(file.shard.number, file.shard.count)
        .map_err(|error| PartError::Damaged(error.to_string()))?;
    let regions = file
        .regions
        .into_iter()
        .map(RegionWire::into_figures)
        .collect::<Result<Vec<_>, _>>()?;
    let replications = file
        .units
        .into_iter()
        .map(UnitWire::into_replication)
        .collect::<Result<Vec<_>, _>>()?;
    let part = Part {
        inputs,
        shard,
        regions,
        replications,
    };
    part.check().map_err(PartError::Damaged)?;
    Ok(part)
}

/// Refuses a file that is not a part of this format's version.
fn check_header(format: Option<&str>, version: Option<u32>) -> Result<(), PartError> {
    if format != Some(FORMAT) {
        return Err(PartError::NotAPart(format!(
            "its `format` is not `{FORMAT}`"
        )));
    }
    match version {
        Some(VERSION) => Ok(()),
        Some(found) => Err(PartError::Version { found }),
        None => Err(PartError::NotAPart("it has no `version`".to_owned())),
    }
}

/// A JSON error as a truncated file (it ended early) or not a part at all.
fn json_error(error: &serde_json::Error) -> PartError {
    match error.classify() {
        serde_json::error::Category::Eof => PartError::Truncated {
            line: error.line(),
            column: error.column(),
        },
        _ => PartError::NotAPart(error.to_string()),
    }
}

/// The inputs' fingerprint: hex SHA-256 of the format version and every input but the scenario's
/// file name, as JSON.
fn fingerprint(inputs: &RunInputs) -> String {
    let mut wire = InputsWire::from(inputs);
    wire.scenario_file = String::new();
    let bytes = serde_json::to_vec(&(VERSION, wire)).expect("inputs serialize");
    let mut hex = String::with_capacity(64);
    for byte in Sha256::digest(&bytes) {
        let _ = write!(hex, "{byte:02x}");
    }
    hex
}

/// An `f64` written as its shortest decimal string, read back exactly.
#[derive(Clone, Copy, Debug)]
struct Exact(f64);

impl Serialize for Exact {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Exact {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Exact, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse()
            .map(Exact)
            .map_err(|_| D::Error::custom(format!("expected a decimal number, not `{text}`")))
    }
}

/// The fields read first, before the rest is trusted to have this version's layout.
#[derive(Deserialize)]
struct Header {
    format: Option<String>,
    version: Option<u32>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PartFile {
    format: String,
    version: u32,
    fingerprint: String,
    inputs: InputsWire,
    shard: ShardWire,
    regions: Vec<RegionWire>,
    units: Vec<UnitWire>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct InputsWire {
    program: String,
    scenario_file: String,
    scenario_text: String,
    months: u32,
    warm_up_months: u32,
    replications: u32,
    scale: Exact,
    seed: u64,
    variants: Option<Vec<VariantWire>>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct VariantWire {
    contract: String,
    members_per_therapist: u32,
}

impl From<&RunInputs> for InputsWire {
    fn from(inputs: &RunInputs) -> InputsWire {
        let RunInputs {
            program,
            scenario_file,
            scenario_text,
            months,
            warm_up_months,
            replications,
            scale,
            seed,
            variants,
        } = inputs;
        InputsWire {
            program: program.clone(),
            scenario_file: scenario_file.clone(),
            scenario_text: scenario_text.clone(),
            months: *months,
            warm_up_months: *warm_up_months,
            replications: *replications,
            scale: Exact(*scale),
            seed: *seed,
            variants: variants.as_ref().map(|variants| {
                variants
                    .iter()
                    .map(|variant| VariantWire {
                        contract: variant.contract.clone(),
                        members_per_therapist: variant.members_per_therapist,
                    })
                    .collect()
            }),
        }
    }
}

impl InputsWire {
    fn into_inputs(self) -> Result<RunInputs, PartError> {
        Ok(RunInputs {
            program: self.program,
            scenario_file: self.scenario_file,
            scenario_text: self.scenario_text,
            months: self.months,
            warm_up_months: self.warm_up_months,
            replications: self.replications,
            scale: self.scale.0,
            seed: self.seed,
            variants: self.variants.map(|variants| {
                variants
                    .iter()
                    .map(|variant| Variant::new(&variant.contract, variant.members_per_therapist))
                    .collect()
            }),
        })
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ShardWire {
    number: u32,
    count: u32,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RegionWire {
    variant: usize,
    members: u32,
    therapists: u32,
    therapist_fte: Exact,
    direct_minutes: u64,
    hour_appointments: u64,
    psychiatrist_direct_minutes: u64,
}

impl RegionWire {
    fn from_figures(variant: usize, figures: &RegionFigures) -> RegionWire {
        let RegionFigures { members, templates } = figures;
        let TemplateFigures {
            therapists,
            therapist_fte,
            direct_minutes,
            hour_appointments,
            psychiatrist_direct_minutes,
        } = templates;
        RegionWire {
            variant,
            members: *members,
            therapists: *therapists,
            therapist_fte: Exact(*therapist_fte),
            direct_minutes: *direct_minutes,
            hour_appointments: *hour_appointments,
            psychiatrist_direct_minutes: *psychiatrist_direct_minutes,
        }
    }

    fn into_figures(self) -> Result<(usize, RegionFigures), PartError> {
        Ok((
            self.variant,
            RegionFigures {
                members: self.members,
                templates: TemplateFigures {
                    therapists: self.therapists,
                    therapist_fte: self.therapist_fte.0,
                    direct_minutes: self.direct_minutes,
                    hour_appointments: self.hour_appointments,
                    psychiatrist_direct_minutes: self.psychiatrist_direct_minutes,
                },
            },
        ))
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct UnitWire {
    variant: usize,
    replication: u32,
    report: ReportWire,
    counts: CountsWire,
    census: CensusWire,
}

impl UnitWire {
    fn from_replication(variant: usize, replication: &Replication) -> UnitWire {
        let Replication {
            index,
            report,
            counts,
            census,
        } = replication;
        UnitWire {
            variant,
            replication: *index,
            report: ReportWire::from(report),
            counts: CountsWire::from(counts),
            census: CensusWire::from(census),
        }
    }

    fn into_replication(self) -> Result<(usize, Replication), PartError> {
        Ok((
            self.variant,
            Replication {
                index: self.replication,
                report: self.report.into_report()?,
                counts: self.counts.into(),
                census: self.census.into_pool()?,
            },
        ))
    }
}

/// A replication's pooled provider census: each row's question, slice and tally.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CensusWire {
    surveys: u32,
    rows: Vec<CensusRowWire>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CensusRowWire {
    question: String,
    grouping: String,
    label: String,
    eligible: u64,
    within: u64,
    within_shorter: u64,
    no_availability: u64,
    /// Minutes (urgent) or business days, in the order counted.
    waits: Vec<u32>,
}

impl From<&CensusPool> for CensusWire {
    fn from(pool: &CensusPool) -> CensusWire {
        let CensusPool { surveys, rows } = pool;
        CensusWire {
            surveys: *surveys,
            rows: rows
                .iter()
                .map(|row| {
                    let CensusRow {
                        question,
                        grouping,
                        label,
                        tally,
                    } = row;
                    CensusRowWire {
                        question: question.slug().to_owned(),
                        grouping: grouping.slug().to_owned(),
                        label: label.clone(),
                        eligible: tally.eligible,
                        within: tally.within,
                        within_shorter: tally.within_shorter,
                        no_availability: tally.no_availability,
                        waits: tally.waits().to_vec(),
                    }
                })
                .collect(),
        }
    }
}

impl CensusWire {
    fn into_pool(self) -> Result<CensusPool, PartError> {
        let rows = self
            .rows
            .into_iter()
            .map(|row| {
                let question: Question = slug(&row.question, "census question")?;
                let tally = Tally::from_counts(
                    question,
                    row.eligible,
                    row.within,
                    row.within_shorter,
                    row.no_availability,
                    row.waits,
                )
                .ok_or_else(|| {
                    PartError::Damaged("census counts no survey could give".to_owned())
                })?;
                Ok(CensusRow {
                    question,
                    grouping: slug(&row.grouping, "census grouping")?,
                    label: row.label,
                    tally,
                })
            })
            .collect::<Result<Vec<_>, PartError>>()?;
        Ok(CensusPool {
            surveys: self.surveys,
            rows,
        })
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct DaysWire {
    buckets: Vec<u64>,
    beyond: Vec<u32>,
}

impl From<&Days> for DaysWire {
    fn from(days: &Days) -> DaysWire {
        DaysWire {
            buckets: days.buckets().to_vec(),
            beyond: days.beyond().to_vec(),
        }
    }
}

impl DaysWire {
    fn into_days(self) -> Result<Days, PartError> {
        Days::from_counts(self.buckets, self.beyond)
            .ok_or_else(|| PartError::Damaged("day counts no histogram has".to_owned()))
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RowWire {
    label: String,
    offers: u64,
    unserved: u64,
    timely: u64,
    clinical_exceptions: u64,
    waits: DaysWire,
}

impl From<&ComplianceRow> for RowWire {
    fn from(row: &ComplianceRow) -> RowWire {
        let ComplianceRow {
            label,
            offers,
            unserved,
            timely,
            clinical_exceptions,
            waits,
        } = row;
        RowWire {
            label: label.clone(),
            offers: *offers,
            unserved: *unserved,
            timely: *timely,
            clinical_exceptions: *clinical_exceptions,
            waits: DaysWire::from(waits),
        }
    }
}

impl RowWire {
    fn into_row(self) -> Result<ComplianceRow, PartError> {
        Ok(ComplianceRow {
            label: self.label,
            offers: self.offers,
            unserved: self.unserved,
            timely: self.timely,
            clinical_exceptions: self.clinical_exceptions,
            waits: self.waits.into_days()?,
        })
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct BreakdownWire {
    dimension: String,
    rows: Vec<RowWire>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FollowUpsWire {
    standard_business_days: Option<u32>,
    business_days: DaysWire,
    calendar_days: DaysWire,
    with_treating_clinician: u64,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RoutesWire {
    continuity: u64,
    internal: u64,
    network: u64,
    arrangements: u64,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct AttendanceWire {
    fulfilled: u64,
    no_show: u64,
    cancelled_by_member: u64,
    cancelled_by_plan: u64,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct GroupsWire {
    held: u64,
    /// (cancellation reason slug, sessions).
    cancelled: Vec<(String, u64)>,
    seats: u64,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct WorkforceWire {
    members: u64,
    therapists: u64,
    therapist_fte_hundredths: u64,
    /// (block kind slug, minutes).
    weekly_minutes: Vec<(String, u64)>,
    sessions: u64,
    no_shows: u64,
    clinician_days: u64,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReportWire {
    /// First and last date, `YYYY-MM-DD`.
    period: (String, String),
    rule_set: String,
    threshold: Option<Exact>,
    overall: RowWire,
    breakdowns: Vec<BreakdownWire>,
    follow_ups: FollowUpsWire,
    routes: RoutesWire,
    attendance: AttendanceWire,
    groups: GroupsWire,
    workforce: WorkforceWire,
}

impl From<&AccessReport> for ReportWire {
    fn from(report: &AccessReport) -> ReportWire {
        let AccessReport {
            period,
            rule_set,
            threshold,
            overall,
            breakdowns,
            follow_ups,
            routes,
            attendance,
            groups,
            workforce,
        } = report;
        let FollowUpIntervals {
            standard_business_days,
            business_days,
            calendar_days,
            with_treating_clinician,
        } = follow_ups;
        let Routes {
            continuity,
            internal,
            network,
            arrangements,
        } = routes;
        let Attendance {
            fulfilled,
            no_show,
            cancelled_by_member,
            cancelled_by_plan,
        } = attendance;
        let GroupSessions {
            held,
            cancelled,
            seats,
        } = groups;
        let Workforce {
            members,
            therapists,
            therapist_fte_hundredths,
            weekly_minutes,
            sessions,
            no_shows,
            clinician_days,
        } = workforce;
        ReportWire {
            period: (period.first.to_string(), period.last.to_string()),
            rule_set: rule_set.clone(),
            threshold: threshold.map(Exact),
            overall: RowWire::from(overall),
            breakdowns: breakdowns
                .iter()
                .map(|Breakdown { dimension, rows }| BreakdownWire {
                    dimension: dimension.slug().to_owned(),
                    rows: rows.iter().map(RowWire::from).collect(),
                })
                .collect(),
            follow_ups: FollowUpsWire {
                standard_business_days: *standard_business_days,
                business_days: DaysWire::from(business_days),
                calendar_days: DaysWire::from(calendar_days),
                with_treating_clinician: *with_treating_clinician,
            },
            routes: RoutesWire {
                continuity: *continuity,
                internal: *internal,
                network: *network,
                arrangements: *arrangements,
            },
            attendance: AttendanceWire {
                fulfilled: *fulfilled,
                no_show: *no_show,
                cancelled_by_member: *cancelled_by_member,
                cancelled_by_plan: *cancelled_by_plan,
            },
            groups: GroupsWire {
                held: *held,
                cancelled: cancelled
                    .iter()
                    .map(|(reason, count)| ((*reason).to_owned(), *count))
                    .collect(),
                seats: *seats,
            },
            workforce: WorkforceWire {
                members: *members,
                therapists: *therapists,
                therapist_fte_hundredths: *therapist_fte_hundredths,
                weekly_minutes: weekly_minutes
                    .iter()
                    .map(|(kind, minutes)| (kind.slug().to_owned(), *minutes))
                    .collect(),
                sessions: *sessions,
                no_shows: *no_shows,
                clinician_days: *clinician_days,
            },
        }
    }
}

/// A slug of `T` read back, or the part is damaged.
fn slug<T: Slug>(name: &str, what: &str) -> Result<T, PartError> {
    T::from_slug(name).ok_or_else(|| PartError::Damaged(format!("unknown {what} `{name}`")))
}

/// A date read back.
fn date(text: &str) -> Result<Date, PartError> {
    text.parse()
        .map_err(|_| PartError::Damaged(format!("`{text}` is not a date")))
}

impl ReportWire {
    fn into_report(self) -> Result<AccessReport, PartError> {
        let breakdowns = self
            .breakdowns
            .into_iter()
            .map(|breakdown| {
                Ok(Breakdown {
                    dimension: slug::<Dimension>(&breakdown.dimension, "dimension")?,
                    rows: breakdown
                        .rows
                        .into_iter()
                        .map(RowWire::into_row)
                        .collect::<Result<_, _>>()?,
                })
            })
            .collect::<Result<_, PartError>>()?;
        let cancelled = self
            .groups
            .cancelled
            .iter()
            .map(|(reason, count)| {
                Ok((
                    slug::<CancellationReason>(reason, "cancellation reason")?.slug(),
                    *count,
                ))
            })
            .collect::<Result<_, PartError>>()?;
        let weekly_minutes = self
            .workforce
            .weekly_minutes
            .iter()
            .map(|(kind, minutes)| Ok((slug::<BlockKind>(kind, "block kind")?, *minutes)))
            .collect::<Result<_, PartError>>()?;
        Ok(AccessReport {
            period: Period {
                first: date(&self.period.0)?,
                last: date(&self.period.1)?,
            },
            rule_set: self.rule_set,
            threshold: self.threshold.map(|threshold| threshold.0),
            overall: self.overall.into_row()?,
            breakdowns,
            follow_ups: FollowUpIntervals {
                standard_business_days: self.follow_ups.standard_business_days,
                business_days: self.follow_ups.business_days.into_days()?,
                calendar_days: self.follow_ups.calendar_days.into_days()?,
                with_treating_clinician: self.follow_ups.with_treating_clinician,
            },
            routes: Routes {
                continuity: self.routes.continuity,
                internal: self.routes.internal,
                network: self.routes.network,
                arrangements: self.routes.arrangements,
            },
            attendance: Attendance {
                fulfilled: self.attendance.fulfilled,
                no_show: self.attendance.no_show,
                cancelled_by_member: self.attendance.cancelled_by_member,
                cancelled_by_plan: self.attendance.cancelled_by_plan,
            },
            groups: GroupSessions {
                held: self.groups.held,
                cancelled,
                seats: self.groups.seats,
            },
            workforce: Workforce {
                members: self.workforce.members,
                therapists: self.workforce.therapists,
                therapist_fte_hundredths: self.workforce.therapist_fte_hundredths,
                weekly_minutes,
                sessions: self.workforce.sessions,
                no_shows: self.workforce.no_shows,
                clinician_days: self.workforce.clinician_days,
            },
        })
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CountsWire {
    arrivals: u64,
    busy_members: u64,
    episodes: u64,
    unserved: u64,
    discharged: u64,
    dropouts: u64,
    visits: u64,
    no_shows: u64,
    member_cancellations: u64,
    events: u64,
    displaced: u64,
    arranged_out_of_network: u64,
    arranged_instead_of_late: u64,
    declined_network: u64,
    discharged_after_missing: u64,
    groups: u64,
    group_referrals: u64,
    group_referrals_unplaced: u64,
    overbooked: u64,
}

impl From<&RunCounts> for CountsWire {
    fn from(counts: &RunCounts) -> CountsWire {
        let RunCounts {
            arrivals,
            busy_members,
            episodes,
            unserved,
            discharged,
            dropouts,
            visits,
            no_shows,
            member_cancellations,
            events,
            displaced,
            arranged_out_of_network,
            arranged_instead_of_late,
            declined_network,
            discharged_after_missing,
            groups,
            group_referrals,
            group_referrals_unplaced,
            overbooked,
        } = *counts;
        CountsWire {
            arrivals,
            busy_members,
            episodes,
            unserved,
            discharged,
            dropouts,
            visits,
            no_shows,
            member_cancellations,
            events,
            displaced,
            arranged_out_of_network,
            arranged_instead_of_late,
            declined_network,
            discharged_after_missing,
            groups,
            group_referrals,
            group_referrals_unplaced,
            overbooked,
        }
    }
}

impl From<CountsWire> for RunCounts {
    fn from(counts: CountsWire) -> RunCounts {
        RunCounts {
            arrivals: counts.arrivals,
            busy_members: counts.busy_members,
            episodes: counts.episodes,
            unserved: counts.unserved,
            discharged: counts.discharged,
            dropouts: counts.dropouts,
            visits: counts.visits,
            no_shows: counts.no_shows,
            member_cancellations: counts.member_cancellations,
            events: counts.events,
            displaced: counts.displaced,
            arranged_out_of_network: counts.arranged_out_of_network,
            arranged_instead_of_late: counts.arranged_instead_of_late,
            declined_network: counts.declined_network,
            discharged_after_missing: counts.discharged_after_missing,
            groups: counts.groups,
            group_referrals: counts.group_referrals,
            group_referrals_unplaced: counts.group_referrals_unplaced,
            overbooked: counts.overbooked,
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::scenario::BUILTIN;
    use crate::shard::run_part;

    /// A part of a tiny run of the built-in scenario (scale 0.002, a month of warm-up and one
    /// reported), shard 2 of 3 of four replications: replication 1.
    fn tiny_part(variants: Option<Vec<Variant>>) -> Part {
        let (name, text) = BUILTIN[0];
        let file = format!("{name}.toml");
        let mut scenario = crate::scenario::parse_scenario(&file, text).expect("built in");
        scenario.region.scale = 0.002;
        scenario.simulation.warm_up_months = 1;
        scenario.simulation.months = 1;
        scenario.simulation.replications = 4;
        let inputs = RunInputs::new(&file, text, &scenario, variants);
        run_part(inputs, Shard::new(2, 3).expect("valid"), &|_, _| {}).expect("runs")
    }

    #[test]
    fn a_part_reads_back_equal() {
        let part = tiny_part(None);
        // Units 1 of 0..4 (1 mod 3 = 1): replication 1 only.
        assert_eq!(part.replications.len(), 1);
        let text = write_part(&part);
        let again = read_part(&text).expect("reads back");
        assert_eq!(again.inputs, part.inputs);
        assert_eq!(again.shard, part.shard);
        for ((variant, mine), (their_variant, theirs)) in
            part.replications.iter().zip(&again.replications)
        {
            assert_eq!((variant, mine.index), (their_variant, theirs.index));
            assert_eq!(mine.report, theirs.report);
            assert_eq!(mine.counts, theirs.counts);
        }
        // And writes back to the same text.
        assert_eq!(write_part(&again), text);
    }

    #[test]
    fn a_file_that_is_not_this_part_is_refused() {
        let part = tiny_part(None);
        let text = write_part(&part);
        let cut = &text[..text.len() / 2];
        assert!(matches!(read_part(cut), Err(PartError::Truncated { .. })));
        assert!(matches!(read_part("[1, 2]"), Err(PartError::NotAPart(_))));
        let other_version = VERSION + 1;
        assert!(matches!(
            read_part(&format!(r#"{{"format": "caretime-part", "version": {other_version}}}"#)),
            Err(PartError::Version { found }) if found == other_version
        ));
        // Made by another caretime.
        let program = format!("\"program\":\"{}\"", env!("CARGO_PKG_VERSION"));
        assert!(text.contains(&program));
        let other = text.replacen(&program, "\"program\":\"0.0.0-other\"", 1);
        assert!(matches!(
            read_part(&other),
            Err(PartError::Program { found }) if found == "0.0.0-other"
        ));
        // Another seed in the inputs, the fingerprint left as it was.
        let edited = text.replacen(
            &format!("\"seed\":{}", part.inputs.seed),
            &format!("\"seed\":{}", part.inputs.seed + 1),
            1,
        );
        assert_ne!(edited, text);
        let error = read_part(&edited).expect_err("edited").to_string();
        assert!(error.contains("fingerprint"), "{error}");
    }

    proptest! {
        #[test]
        fn decimals_read_back_exactly(bits in any::<u64>()) {
            let value = f64::from_bits(bits);
            prop_assume!(value.is_finite());
            let text = serde_json::to_string(&Exact(value)).expect("serializes");
            let again: Exact = serde_json::from_str(&text).expect("reads back");
            prop_assert_eq!(again.0.to_bits(), value.to_bits());
        }
    }
}
