//! From replications to a summary: each figure's mean over the replications with a 95 %
//! confidence interval (Student's t), in tables that every output format renders alike.
//!
//! A [`Table`] has fixed columns and rows labelled by a slice ("initial", "Anaheim Medical
//! Center", "2025-03"); a row that only some replications have (a language nobody of it asked in)
//! is averaged over the replications that have it, and says how many.

use caretime_engine::report::{AccessReport, ComplianceRow, Days};

use crate::model::Replication;

/// What a figure measures, for rendering.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// A count (requests, visits).
    Count,
    /// A share from 0 to 1 (rendered as a percentage).
    Share,
    /// Business or calendar days.
    Days,
    /// A plain number (members per FTE, sessions per day).
    Number,
}

/// A column of a table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Column {
    /// Machine name (`within-standard`).
    pub slug: &'static str,
    /// Header for people.
    pub title: &'static str,
    /// What it measures.
    pub unit: Unit,
}

/// A figure over the replications.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    /// The mean over the replications that have a value; `None` when none has.
    pub mean: Option<f64>,
    /// Half the width of the 95 % confidence interval of the mean; `None` below two values.
    pub half_width: Option<f64>,
    /// How many replications have a value.
    pub n: u32,
}

impl Estimate {
    /// The estimate of `values` (`None`s are replications without a value).
    pub fn of(values: &[Option<f64>]) -> Estimate {
        let known: Vec<f64> = values.iter().flatten().copied().collect();
        let n = known.len();
        if n == 0 {
            return Estimate {
                mean: None,
                half_width: None,
                n: 0,
            };
        }
        let mean = known.iter().sum::<f64>() / n as f64;
        let half_width = (n >= 2).then(|| {
            let variance =
                known.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1) as f64;
            t_975(n as u32 - 1) * (variance / n as f64).sqrt()
        });
        Estimate {
            mean: Some(mean),
            half_width,
            n: n as u32,
        }
    }
}

/// The 97.5 % quantile of Student's t with `df` degrees of freedom (two-sided 95 %): the
/// published table to 30, then linear in 1/df towards the normal 1.960.
pub fn t_975(df: u32) -> f64 {
    const TABLE: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
        2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
        2.052, 2.048, 2.045, 2.042,
    ];
    match df {
        0 => f64::INFINITY,
        1..=30 => TABLE[df as usize - 1],
        // 2.042 at 30 and 1.960 at infinity, linear in 1/df (within 0.002 of the exact values
        // at 40, 60 and 120 degrees of freedom).
        _ => 1.960 + (2.042 - 1.960) * 30.0 / f64::from(df),
    }
}

/// A row of a table: its label and one estimate per column.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// The slice.
    pub label: String,
    /// One estimate per column.
    pub cells: Vec<Estimate>,
}

/// A table of estimates.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    /// Machine name (`compliance-by-kind`).
    pub slug: &'static str,
    /// Title for people.
    pub title: &'static str,
    /// The columns.
    pub columns: &'static [Column],
    /// The rows, in the order the first replication that has each gave them.
    pub rows: Vec<Row>,
}

/// What the simulation found, over every replication.
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    /// The scenario's name.
    pub scenario: String,
    /// Its title.
    pub title: String,
    /// The internal clinicians' contract.
    pub contract: String,
    /// Members per internal therapist.
    pub members_per_therapist: u32,
    /// Replications run.
    pub replications: u32,
    /// First and last reported request date.
    pub period: (jiff::civil::Date, jiff::civil::Date),
    /// The rule set.
    pub rule_set: String,
    /// Its compliance threshold, when it sets one.
    pub threshold: Option<f64>,
    /// The tables.
    pub tables: Vec<Table>,
}

impl Summary {
    /// A table by slug.
    pub fn table(&self, slug: &str) -> Option<&Table> {
        self.tables.iter().find(|table| table.slug == slug)
    }

    /// The estimate in a table's row and column.
    pub fn cell(&self, table: &str, row: &str, column: &str) -> Option<Estimate> {
        let table = self.table(table)?;
        let column = table.columns.iter().position(|c| c.slug == column)?;
        table
            .rows
            .iter()
            .find(|known| known.label == row)
            .map(|known| known.cells[column])
    }
}

const fn column(slug: &'static str, title: &'static str, unit: Unit) -> Column {
    Column { slug, title, unit }
}

/// Columns of every compliance table.
pub const COMPLIANCE: [Column; 6] = [
    column("requests", "requests", Unit::Count),
    column("no-offer", "no offer in horizon", Unit::Count),
    column("within-standard", "within standard", Unit::Share),
    column("wait-median", "wait p50 (bd)", Unit::Days),
    column("wait-p90", "wait p90 (bd)", Unit::Days),
    column("wait-mean", "wait mean (bd)", Unit::Days),
];

/// Columns of the urgent census table (waits in hours).
const CENSUS_URGENT: [Column; 6] = [
    column("providers", "providers per survey", Unit::Number),
    column("within-standard", "within standard", Unit::Share),
    column("within-48-hours", "within 48 h", Unit::Share),
    column("no-availability", "nothing in horizon", Unit::Share),
    column("wait-mean", "wait mean (h)", Unit::Number),
    column("wait-median", "wait p50 (h)", Unit::Number),
];

/// Columns of the non-urgent and follow-up census tables (waits in business days).
const CENSUS_DAYS: [Column; 5] = [
    column("providers", "providers per survey", Unit::Number),
    column("within-standard", "within standard", Unit::Share),
    column("no-availability", "nothing in horizon", Unit::Share),
    column("wait-mean", "wait mean (bd)", Unit::Days),
    column("wait-median", "wait p50 (bd)", Unit::Days),
];

const FOLLOW_UPS: [Column; 7] = [
    column("kept", "follow-ups kept", Unit::Count),
    column("mean-business-days", "mean (bd)", Unit::Days),
    column("median-business-days", "p50 (bd)", Unit::Days),
    column("p90-business-days", "p90 (bd)", Unit::Days),
    column("mean-calendar-days", "mean (days)", Unit::Days),
    column("within-standard", "within SB 221", Unit::Share),
    column("continuity", "same clinician", Unit::Share),
];

const ROUTES: [Column; 4] = [
    column("continuity", "treating clinician", Unit::Share),
    column("internal", "other internal", Unit::Share),
    column("network", "network", Unit::Share),
    column("out-of-network", "out-of-network arrangement", Unit::Share),
];

const ATTENDANCE: [Column; 5] = [
    column("fulfilled", "visits", Unit::Count),
    column("no-show", "no-shows", Unit::Count),
    column("no-show-rate", "no-show rate", Unit::Share),
    column("cancelled-by-member", "member cancelled", Unit::Count),
    column("cancelled-by-plan", "plan cancelled", Unit::Count),
];

const GROUPS: [Column; 2] = [
    column("sessions", "sessions", Unit::Count),
    column("seats", "seats", Unit::Count),
];

const WORKFORCE: [Column; 6] = [
    column("therapists", "internal therapists", Unit::Count),
    column("members-per-fte", "members per FTE", Unit::Number),
    column("direct-share", "direct share of paid time", Unit::Share),
    column("protected-hours", "protected h per FTE week", Unit::Number),
    column("sessions-per-day", "visits per clinician-day", Unit::Number),
    column("booked-per-day", "booked per clinician-day", Unit::Number),
];

const RUN: [Column; 17] = [
    column("arrivals", "new requests", Unit::Count),
    column("busy-members", "already in care", Unit::Count),
    column("episodes", "episodes", Unit::Count),
    column("unserved", "unserved", Unit::Count),
    column("discharged", "discharged", Unit::Count),
    column("dropouts", "dropped out", Unit::Count),
    column("visits", "visits", Unit::Count),
    column("displaced", "displaced by the disruption", Unit::Count),
    column("out-of-network", "of which out of network", Unit::Count),
    column(
        "arranged-instead-of-late",
        "arranged out of network instead of late",
        Unit::Count,
    ),
    column(
        "declined-network",
        "network referral not taken",
        Unit::Count,
    ),
    column(
        "discharged-after-missing",
        "discharged after missed in a row",
        Unit::Count,
    ),
    column("overbooked", "returns booked over a no-show", Unit::Count),
    column("groups", "groups", Unit::Count),
    column("group-referrals", "referred to a group", Unit::Count),
    column("group-referrals-unplaced", "no group had room", Unit::Count),
    column("events", "events", Unit::Count),
];

/// One replication's tables: (slug, title, columns, rows of optional values).
type RawTable = (
    &'static str,
    &'static str,
    &'static [Column],
    Vec<(String, Vec<Option<f64>>)>,
);

fn quantile(days: &Days, share: f64) -> Option<f64> {
    days.quantile(share).map(f64::from)
}

fn compliance_cells(row: &ComplianceRow) -> Vec<Option<f64>> {
    vec![
        Some(row.requests() as f64),
        Some(row.unserved as f64),
        row.rate(),
        quantile(&row.waits, 0.5),
        quantile(&row.waits, 0.9),
        row.waits.mean(),
    ]
}

fn share(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// The tables of one replication.
fn raw_tables(replication: &Replication) -> Vec<RawTable> {
    let report: &AccessReport = &replication.report;
    let mut tables = Vec::new();
    let overall = compliance_cells(&report.overall);
    tables.push((
        "compliance",
        "Requests offered within the standard (demand-weighted; all requests of the period)",
        &COMPLIANCE[..],
        vec![("all".to_owned(), overall)],
    ));
    for breakdown in &report.breakdowns {
        let (slug, title) = match breakdown.dimension {
            caretime_engine::report::Dimension::Kind => (
                "compliance-by-kind",
                "Requests offered within the standard by request kind",
            ),
            caretime_engine::report::Dimension::Facility => (
                "compliance-by-facility",
                "Requests offered within the standard by the offered clinician's facility",
            ),
            caretime_engine::report::Dimension::Discipline => (
                "compliance-by-discipline",
                "Requests offered within the standard by the offered clinician's discipline",
            ),
            caretime_engine::report::Dimension::Language => (
                "compliance-by-language",
                "Requests offered within the standard by the member's language",
            ),
            caretime_engine::report::Dimension::Month => (
                "compliance-by-month",
                "Requests offered within the standard by month of request",
            ),
        };
        tables.push((
            slug,
            title,
            &COMPLIANCE[..],
            breakdown
                .rows
                .iter()
                .map(|row| (row.label.clone(), compliance_cells(row)))
                .collect(),
        ));
    }
    census_tables(replication, &mut tables);
    let follow_ups = &report.follow_ups;
    let kept = follow_ups.business_days.total();
    tables.push((
        "follow-ups",
        "Follow-up intervals (prior appointment to the follow-up kept)",
        &FOLLOW_UPS[..],
        vec![(
            "all".to_owned(),
            vec![
                Some(kept as f64),
                follow_ups.business_days.mean(),
                quantile(&follow_ups.business_days, 0.5),
                quantile(&follow_ups.business_days, 0.9),
                follow_ups.calendar_days.mean(),
                follow_ups.within_standard(),
                share(follow_ups.with_treating_clinician, kept),
            ],
        )],
    ));
    let routes = &report.routes;
    let booked = routes.continuity + routes.internal + routes.network;
    tables.push((
        "routes",
        "Where requests were booked",
        &ROUTES[..],
        vec![(
            "all".to_owned(),
            vec![
                share(routes.continuity, booked),
                share(routes.internal, booked),
                share(routes.network, booked),
                share(routes.arrangements, booked),
            ],
        )],
    ));
    let attendance = &report.attendance;
    tables.push((
        "attendance",
        "Appointments due in the period",
        &ATTENDANCE[..],
        vec![(
            "all".to_owned(),
            vec![
                Some(attendance.fulfilled as f64),
                Some(attendance.no_show as f64),
                attendance.no_show_rate(),
                Some(attendance.cancelled_by_member as f64),
                Some(attendance.cancelled_by_plan as f64),
            ],
        )],
    ));
    let groups = &report.groups;
    let mut group_rows = vec![(
        "held".to_owned(),
        vec![Some(groups.held as f64), Some(groups.seats as f64)],
    )];
    for (reason, count) in &groups.cancelled {
        group_rows.push((
            format!("cancelled: {reason}"),
            vec![Some(*count as f64), None],
        ));
    }
    tables.push((
        "groups",
        "Group sessions held and cancelled, by reason",
        &GROUPS[..],
        group_rows,
    ));
    let workforce = &report.workforce;
    let protected_minutes = workforce
        .weekly_minutes
        .iter()
        .find(|(kind, _)| *kind == caretime_core::template::BlockKind::Protected)
        .map_or(0, |(_, minutes)| *minutes);
    tables.push((
        "workforce",
        "Internal workforce",
        &WORKFORCE[..],
        vec![(
            "internal".to_owned(),
            vec![
                Some(workforce.therapists as f64),
                workforce.members_per_fte(),
                workforce.direct_share(),
                (workforce.therapist_fte_hundredths > 0).then(|| {
                    protected_minutes as f64 / 60.0 * 100.0
                        / workforce.therapist_fte_hundredths as f64
                }),
                workforce.sessions_per_clinician_day(),
                workforce.booked_per_clinician_day(),
            ],
        )],
    ));
    let counts = &replication.counts;
    tables.push((
        "run",
        "The whole run (warm-up included)",
        &RUN[..],
        vec![(
            "all".to_owned(),
            [
                counts.arrivals,
                counts.busy_members,
                counts.episodes,
                counts.unserved,
                counts.discharged,
                counts.dropouts,
                counts.visits,
                counts.displaced,
                counts.arranged_out_of_network,
                counts.arranged_instead_of_late,
                counts.declined_network,
                counts.discharged_after_missing,
                counts.overbooked,
                counts.groups,
                counts.group_referrals,
                counts.group_referrals_unplaced,
                counts.events,
            ]
            .map(|count| Some(count as f64))
            .to_vec(),
        )],
    ));
    tables
}

/// The census tables of one replication: one per question, rows all, internal, network, NPMH,
/// psychiatrist (those with eligible providers), every survey pooled. A table is there even
/// without surveys (a run shorter than a month), so that every replication has the same tables.
fn census_tables(replication: &Replication, tables: &mut Vec<RawTable>) {
    use caretime_engine::report::census::Question;
    let pool = &replication.census;
    for question in Question::ALL {
        let (slug, title, columns): (&'static str, &'static str, &'static [Column]) = match question
        {
            Question::Urgent => (
                "census-urgent",
                "Provider census (PAAS): next available urgent appointment within the \
                     standard, rate of providers",
                &CENSUS_URGENT[..],
            ),
            Question::NonUrgent => (
                "census-non-urgent",
                "Provider census (PAAS): next available non-urgent appointment within the \
                     standard, rate of providers",
                &CENSUS_DAYS[..],
            ),
            Question::FollowUp => (
                "census-follow-up",
                "Provider census (PAAS): next available follow-up within SB 221's standard, \
                     rate of NPMH providers",
                &CENSUS_DAYS[..],
            ),
        };
        let surveys = f64::from(pool.surveys.max(1));
        let rows = pool
            .rows
            .iter()
            .filter(|row| row.question == question)
            .map(|row| {
                let tally = &row.tally;
                let providers = Some(tally.eligible as f64 / surveys);
                let no_availability = share(tally.no_availability, tally.eligible);
                let cells = match question {
                    Question::Urgent => vec![
                        providers,
                        tally.rate(),
                        tally.rate_shorter(),
                        no_availability,
                        tally.mean_wait(),
                        tally.median_wait(),
                    ],
                    _ => vec![
                        providers,
                        tally.rate(),
                        no_availability,
                        tally.mean_wait(),
                        tally.median_wait(),
                    ],
                };
                (row.label.clone(), cells)
            })
            .collect();
        tables.push((slug, title, columns, rows));
    }
}

/// Averages the replications' tables: rows matched by table and label.
pub fn tables(replications: &[Replication]) -> Vec<Table> {
    let per_replication: Vec<Vec<RawTable>> = replications.iter().map(raw_tables).collect();
    let Some(first) = per_replication.first() else {
        return Vec::new();
    };
    let mut tables = Vec::new();
    for (table_idx, (slug, title, columns, _)) in first.iter().enumerate() {
        // Row labels in order of first appearance over the replications.
        let mut labels: Vec<&String> = Vec::new();
        for replication in &per_replication {
            for (label, _) in &replication[table_idx].3 {
                if !labels.contains(&label) {
                    labels.push(label);
                }
            }
        }
        let rows = labels
            .into_iter()
            .map(|label| {
                let cells = (0..columns.len())
                    .map(|column| {
                        let values: Vec<Option<f64>> = per_replication
                            .iter()
                            .map(|replication| {
                                replication[table_idx]
                                    .3
                                    .iter()
                                    .find(|(known, _)| known == label)
                                    .and_then(|(_, cells)| cells[column])
                            })
                            .collect();
                        Estimate::of(&values)
                    })
                    .collect();
                Row {
                    label: label.clone(),
                    cells,
                }
            })
            .collect();
        tables.push(Table {
            slug,
            title,
            columns,
            rows,
        });
    }
    tables
}
