//! A summary as one self-contained HTML page: the scenario's terms, charts drawn in SVG and every
//! table, for people who read, print or forward a simulation's result.
//!
//! The page has no JavaScript and no external assets (its CSS is inline and its charts are SVG
//! elements drawn by [`chart`]), so that it opens anywhere, offline, from an e-mail attachment,
//! and prints on A4 as it shows on screen. It is deterministic: the same summary gives the same
//! bytes (no dates of rendering, no random identifiers). The page itself is an askama template
//! (`templates/summary.html`), which escapes every text it inserts; the charts escape their own.
//! It extends `templates/page.html` (the head, the CSS and the frame every report page shares)
//! and includes `templates/figures.html` (the charts by section), as the comparison page does.
//!
//! [`chart`] and [`svg`] take plain labels and estimates rather than a [`Summary`], so that a page
//! comparing several summaries can draw the same charts with one series per summary.

pub mod chart;
pub mod svg;

use askama::Template;

use crate::render::{cell, thousands};
use crate::summary::{Estimate, Summary, Table, Unit};

use self::chart::{BarChart, BarGroup, LineChart, LineSeries, Reference, StackedChart, StackedRow};

/// The follow-up standard: SB 221 (Health & Safety Code § 1367.03(a)(5)(F), effective
/// 2022-07-01) sets 10 business days between a non-physician mental health follow-up and the
/// prior appointment. The summary does not carry it, and the follow-up table's "within SB 221"
/// column already measures against it.
const SB_221_BUSINESS_DAYS: f64 = 10.0;

/// A figure no replication has.
const NO_ESTIMATE: Estimate = Estimate {
    mean: None,
    half_width: None,
    n: 0,
};

/// The page's askama template and what it shows.
#[derive(Template)]
#[template(path = "summary.html")]
struct Page<'a> {
    summary: &'a Summary,
    /// "3,000": the members per therapist with a thousands separator, as the scenarios write it.
    members_per_therapist: String,
    /// "70%", when the rule set sets a threshold.
    threshold: Option<String>,
    sections: Vec<Section>,
    tables: Vec<HtmlTable<'a>>,
}

/// A heading and its charts.
struct Section {
    heading: &'static str,
    figures: Vec<Figure>,
}

/// A chart and what to read it with.
struct Figure {
    /// An SVG element (its text already escaped by [`svg::Drawing`]).
    svg: String,
    caption: &'static str,
}

/// A table ready for the template: every cell already formatted.
struct HtmlTable<'a> {
    slug: &'static str,
    title: &'static str,
    headers: Vec<&'a str>,
    rows: Vec<(String, Vec<String>)>,
}

/// The summary as a self-contained HTML5 page: heading, charts, then every table.
pub fn html(summary: &Summary) -> String {
    let page = Page {
        summary,
        members_per_therapist: thousands(u64::from(summary.members_per_therapist)),
        threshold: summary
            .threshold
            .map(|threshold| format!("{:.0}%", threshold * 100.0)),
        sections: sections(summary),
        tables: summary.tables.iter().map(html_table).collect(),
    };
    page.render()
        .expect("the template has no fallible filters and writes into a String, which cannot fail")
}

fn html_table(table: &Table) -> HtmlTable<'_> {
    HtmlTable {
        slug: table.slug,
        title: table.title,
        headers: table.columns.iter().map(|column| column.title).collect(),
        rows: table
            .rows
            .iter()
            .map(|row| {
                let cells = table
                    .columns
                    .iter()
                    .zip(&row.cells)
                    .map(|(column, estimate)| cell(column.unit, estimate))
                    .collect();
                (row.label.clone(), cells)
            })
            .collect(),
    }
}

/// A column of a table: every row's label and estimate.
fn column(summary: &Summary, table: &str, column: &str) -> Vec<(String, Estimate)> {
    let Some(table) = summary.table(table) else {
        return Vec::new();
    };
    let Some(idx) = table.columns.iter().position(|known| known.slug == column) else {
        return Vec::new();
    };
    table
        .rows
        .iter()
        .filter_map(|row| row.cells.get(idx).map(|cell| (row.label.clone(), *cell)))
        .collect()
}

/// The single row ("all") of a one-row table's column.
fn overall(summary: &Summary, table: &str, column_slug: &str) -> Option<Estimate> {
    column(summary, table, column_slug)
        .into_iter()
        .next()
        .map(|(_, estimate)| estimate)
}

/// One bar group of one bar per (label, column slug): the single row of a one-row table's
/// column; a column the summary lacks has no group.
fn overall_groups(summary: &Summary, table: &str, columns: &[(&str, &str)]) -> Vec<BarGroup> {
    columns
        .iter()
        .filter_map(|(label, slug)| {
            overall(summary, table, slug).map(|estimate| BarGroup {
                label: (*label).to_owned(),
                values: vec![estimate],
            })
        })
        .collect()
}

fn threshold_line(summary: &Summary) -> Option<Reference> {
    summary.threshold.map(|threshold| Reference {
        value: threshold,
        label: format!("{} threshold {:.0}%", summary.rule_set, threshold * 100.0),
    })
}

/// The charts, by section; a chart whose table the summary lacks is left out.
fn sections(summary: &Summary) -> Vec<Section> {
    let mut census = Vec::new();
    let questions = [
        ("urgent", "census-urgent"),
        ("non-urgent", "census-non-urgent"),
        ("follow-up", "census-follow-up"),
    ];
    let networks = ["internal", "network"];
    let groups: Vec<BarGroup> = questions
        .iter()
        .filter_map(|(label, table)| {
            let rates = column(summary, table, "within-standard");
            let values: Vec<Estimate> = networks
                .iter()
                .map(|network| {
                    rates
                        .iter()
                        .find(|(row, _)| row == network)
                        .map_or(NO_ESTIMATE, |(_, estimate)| *estimate)
                })
                .collect();
            values
                .iter()
                .any(|value| value.mean.is_some())
                .then(|| BarGroup {
                    label: (*label).to_owned(),
                    values,
                })
        })
        .collect();
    if !groups.is_empty() {
        census.push(Figure {
            svg: chart::bar_chart(&BarChart {
                title: "Providers with an appointment within the standard (PAAS census)".to_owned(),
                unit: Unit::Share,
                axis_label: "share of eligible providers, every survey of the period".to_owned(),
                series: networks
                    .iter()
                    .map(|network| (*network).to_owned())
                    .collect(),
                groups,
                reference: threshold_line(summary),
            }),
            caption: "Each provider's next available appointment at the survey instants, as \
                      DMHC's Provider Appointment Availability Survey asks it (28 CCR \
                      § 1300.67.2.2 (b)(12)(A), (f)): urgent within 96 hours, non-urgent within \
                      10 business days (15 for psychiatrists), follow-up within 10. The dashed \
                      line is the rule set's threshold; federal secret-shopper rules ask 90 %.",
        });
    }
    let mut access = Vec::new();
    let by_kind = column(summary, "compliance-by-kind", "within-standard");
    if !by_kind.is_empty() {
        let all = overall(summary, "compliance", "within-standard")
            .map(|estimate| BarGroup {
                label: "all requests".to_owned(),
                values: vec![estimate],
            })
            .into_iter();
        access.push(Figure {
            svg: chart::bar_chart(&BarChart {
                title: "Requests offered within the standard (demand-weighted), by request kind"
                    .to_owned(),
                unit: Unit::Share,
                axis_label: "share of requests whose first offer was within the standard"
                    .to_owned(),
                series: vec!["within standard".to_owned()],
                groups: all
                    .chain(by_kind.into_iter().map(|(label, estimate)| BarGroup {
                        label,
                        values: vec![estimate],
                    }))
                    .collect(),
                reference: threshold_line(summary),
            }),
            caption: "Each kind has its own standard (for example 10 business days for a first \
                      non-urgent appointment, 48 hours when urgent). The dashed line is the rule \
                      set's threshold, drawn for reference: DMHC applies it to the provider \
                      census above, not to this share of requests.",
        });
    }
    let by_month = column(summary, "compliance-by-month", "within-standard");
    if !by_month.is_empty() {
        access.push(Figure {
            svg: chart::line_chart(&LineChart {
                title: "Requests offered within the standard (demand-weighted), by month"
                    .to_owned(),
                unit: Unit::Share,
                axis_label: "share within the standard (band: 95 % confidence interval)".to_owned(),
                categories: by_month.iter().map(|(label, _)| label.clone()).collect(),
                series: vec![LineSeries {
                    name: "within standard".to_owned(),
                    points: by_month.iter().map(|(_, estimate)| *estimate).collect(),
                }],
                reference: threshold_line(summary),
            }),
            caption: "The vertical axis starts above zero to show the change from month to month.",
        });
    }
    let medians = column(summary, "compliance-by-kind", "wait-median");
    let p90s = column(summary, "compliance-by-kind", "wait-p90");
    if !medians.is_empty() && medians.len() == p90s.len() {
        access.push(Figure {
            svg: chart::bar_chart(&BarChart {
                title: "Wait to the offered appointment, by request kind".to_owned(),
                unit: Unit::Days,
                axis_label: "business days from the request to the offered appointment".to_owned(),
                series: vec![
                    "median (p50)".to_owned(),
                    "90th percentile (p90)".to_owned(),
                ],
                groups: medians
                    .into_iter()
                    .zip(p90s)
                    .map(|((label, median), (_, p90))| BarGroup {
                        label,
                        values: vec![median, p90],
                    })
                    .collect(),
                reference: None,
            }),
            caption: "Nine in ten requests were offered an appointment no later than the p90.",
        });
    }

    let mut follow_ups = Vec::new();
    let intervals = overall_groups(
        summary,
        "follow-ups",
        &[
            ("mean", "mean-business-days"),
            ("median (p50)", "median-business-days"),
            ("90th percentile (p90)", "p90-business-days"),
        ],
    );
    if !intervals.is_empty() {
        follow_ups.push(Figure {
            svg: chart::bar_chart(&BarChart {
                title: "Follow-up intervals against SB 221".to_owned(),
                unit: Unit::Days,
                axis_label: "business days from the prior appointment to the follow-up kept"
                    .to_owned(),
                series: vec!["business days".to_owned()],
                groups: intervals,
                reference: Some(Reference {
                    value: SB_221_BUSINESS_DAYS,
                    label: "SB 221: 10 business days".to_owned(),
                }),
            }),
            caption: "SB 221 (Health & Safety Code § 1367.03(a)(5)(F), since 2022-07-01): a \
                      follow-up within 10 business days of the prior appointment.",
        });
    }
    let shares = overall_groups(
        summary,
        "follow-ups",
        &[
            ("within SB 221", "within-standard"),
            ("with the same clinician", "continuity"),
        ],
    );
    if !shares.is_empty() {
        follow_ups.push(Figure {
            svg: chart::bar_chart(&BarChart {
                title: "Follow-ups kept within SB 221 and with the same clinician".to_owned(),
                unit: Unit::Share,
                axis_label: "share of follow-ups kept".to_owned(),
                series: vec!["share".to_owned()],
                groups: shares,
                reference: None,
            }),
            caption: "Of the follow-ups that took place in the period.",
        });
    }

    let mut routes = Vec::new();
    let segments = [
        ("treating clinician", "continuity"),
        ("other internal clinician", "internal"),
        ("network provider", "network"),
        ("out-of-network arrangement", "out-of-network"),
    ];
    let shares: Vec<Option<Estimate>> = segments
        .iter()
        .map(|(_, slug)| overall(summary, "routes", slug))
        .collect();
    if shares.iter().any(Option::is_some) {
        let none = Estimate {
            mean: None,
            half_width: None,
            n: 0,
        };
        let share = |idx: usize| shares[idx].unwrap_or(none);
        routes.push(Figure {
            svg: chart::stacked_chart(&StackedChart {
                title: "Where requests were booked".to_owned(),
                segments: segments
                    .iter()
                    .enumerate()
                    .map(|(idx, (name, _))| format!("{name} {}", cell(Unit::Share, &share(idx))))
                    .collect(),
                rows: vec![
                    StackedRow {
                        label: "all bookings".to_owned(),
                        shares: vec![share(0), share(1), share(2), none],
                    },
                    StackedRow {
                        label: "of which out-of-network".to_owned(),
                        shares: vec![none, none, none, share(3)],
                    },
                ],
            }),
            caption: "Out-of-network arrangements (SB 855) are made when the best offer misses \
                      the deadline; each is also counted in the route its booking took, so the \
                      second bar is a part of the first.",
        });
    }

    [
        ("Provider census", census),
        ("Timely access (demand-weighted)", access),
        ("Follow-ups", follow_ups),
        ("Routes", routes),
    ]
    .into_iter()
    .filter(|(_, figures)| !figures.is_empty())
    .map(|(heading, figures)| Section { heading, figures })
    .collect()
}
