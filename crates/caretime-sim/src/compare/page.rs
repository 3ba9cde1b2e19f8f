//! A comparison as one self-contained HTML page, with the same promises as the single report
//! ([`crate::html`]): no JavaScript, no external assets, deterministic bytes, every text escaped
//! (askama escapes what the template inserts, [`chart`] what the charts draw). Each chart has one
//! bar per variant, so that variants read side by side against the same reference lines.

use askama::Template;

use crate::html::chart::{self, BarChart, BarGroup, Reference};
use crate::render::{cell, number, thousands};
use crate::summary::{Estimate, Unit};

use super::{Comparison, EMPLOYER_CLAIM, protected_hour_note};

/// The page's askama template and what it shows.
#[derive(Template)]
#[template(path = "compare.html")]
struct Page<'a> {
    comparison: &'a Comparison,
    /// The terms of the comparison, as a definition list: (term, definition).
    terms: Vec<(&'static str, String)>,
    sections: Vec<Section>,
    /// The side-by-side table's first header row: one cell per staffing ratio over its variants.
    ratio_headers: Vec<(String, usize)>,
    /// Its second header row: each variant's contract, and whether it opens a ratio's columns.
    contract_headers: Vec<(String, bool)>,
    /// Its rows: the title, then each cell and whether it opens a ratio's columns.
    rows: Vec<(String, Vec<(String, bool)>)>,
    /// The per-protected-hour table, every cell formatted.
    costs: Vec<Vec<String>>,
    cost_note: String,
}

/// A heading and its charts.
struct Section {
    heading: &'static str,
    figures: Vec<Figure>,
}

/// A chart and what to read it with.
struct Figure {
    /// An SVG element, its text already escaped.
    svg: String,
    caption: String,
}

/// The comparison as a self-contained HTML5 page: terms, charts by variant, then the tables.
pub fn html(comparison: &Comparison) -> String {
    let mut ratio_headers: Vec<(String, usize)> = Vec::new();
    // Whether each variant's column opens its ratio's group (a rule is drawn before it).
    let mut opens = Vec::with_capacity(comparison.variants.len());
    let mut last_ratio = None;
    for result in &comparison.variants {
        let ratio = result.variant.members_per_therapist;
        let opens_group = last_ratio != Some(ratio);
        if opens_group {
            ratio_headers.push((
                format!("1 therapist per {} members", thousands(u64::from(ratio))),
                1,
            ));
        } else if let Some((_, span)) = ratio_headers.last_mut() {
            *span += 1;
        }
        opens.push(opens_group);
        last_ratio = Some(ratio);
    }
    let page = Page {
        comparison,
        terms: terms(comparison),
        sections: sections(comparison),
        ratio_headers,
        contract_headers: comparison
            .variants
            .iter()
            .zip(&opens)
            .map(|(result, opens)| (result.variant.contract.clone(), *opens))
            .collect(),
        rows: comparison
            .rows
            .iter()
            .map(|row| {
                (
                    row.title.to_owned(),
                    row.cells
                        .iter()
                        .zip(&opens)
                        .map(|(estimate, opens)| (cell(row.unit, estimate), *opens))
                        .collect(),
                )
            })
            .collect(),
        costs: comparison
            .protected_hour_costs
            .iter()
            .map(|cost| {
                [
                    format!(
                        "{} → {}",
                        comparison.variants[cost.from].variant.contract,
                        comparison.variants[cost.to].variant.contract
                    ),
                    format!("1:{}", cost.members_per_therapist),
                ]
                .into_iter()
                .chain(comparison.cost_cells(cost))
                .collect()
            })
            .collect(),
        cost_note: protected_hour_note(comparison.scale),
    };
    page.render()
        .expect("the template has no fallible filters and writes into a String, which cannot fail")
}

/// What was compared, over what, and how often.
fn terms(comparison: &Comparison) -> Vec<(&'static str, String)> {
    vec![
        (
            "Variants",
            comparison
                .variants
                .iter()
                .map(|result| result.variant.label.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        ),
        (
            "Region",
            format!(
                "scale {} of the scenario ({} members)",
                comparison.scale,
                thousands(u64::from(comparison.members))
            ),
        ),
        (
            "Rule set",
            format!(
                "{}{}",
                comparison.rule_set,
                comparison
                    .threshold
                    .map_or(String::new(), |threshold| format!(
                        ", threshold {:.0}% of offers within the standard",
                        threshold * 100.0
                    ))
            ),
        ),
        (
            "Requests",
            format!(
                "made from {} to {}",
                comparison.period.0, comparison.period.1
            ),
        ),
        (
            "Replications",
            format!(
                "{} per variant, the same seeds (from {}) in every variant",
                comparison.replications, comparison.seed
            ),
        ),
    ]
}

/// A pair's short label for a chart: `5 → 6 h, 1:3000` (the table names the contracts).
fn short_pair_label(comparison: &Comparison, cost: &super::ProtectedHourCost) -> String {
    format!(
        "{} h, 1:{}",
        comparison.protected_hours_change(cost),
        cost.members_per_therapist
    )
}

/// A row of the side-by-side table by slug.
fn row<'a>(comparison: &'a Comparison, slug: &str) -> Option<&'a super::ComparedRow> {
    comparison.rows.iter().find(|row| row.slug == slug)
}

/// One bar group per variant, one bar per row named in `series`.
fn by_variant(comparison: &Comparison, series: &[&str]) -> Vec<BarGroup> {
    let none = Estimate {
        mean: None,
        half_width: None,
        n: 0,
    };
    comparison
        .variants
        .iter()
        .enumerate()
        .map(|(idx, result)| BarGroup {
            label: result.variant.label.clone(),
            values: series
                .iter()
                .map(|slug| row(comparison, slug).map_or(none, |row| row.cells[idx]))
                .collect(),
        })
        .collect()
}

fn sections(comparison: &Comparison) -> Vec<Section> {
    let threshold = comparison.threshold.map(|threshold| Reference {
        value: threshold,
        label: format!(
            "{} threshold {:.0}%",
            comparison.rule_set,
            threshold * 100.0
        ),
    });
    let access = vec![
        Figure {
            svg: chart::bar_chart(&BarChart {
                title: "Offers within the standard, by variant".to_owned(),
                unit: Unit::Share,
                axis_label: "share of requests whose first offer was within the standard"
                    .to_owned(),
                series: vec![
                    "all requests".to_owned(),
                    "initial".to_owned(),
                    "follow-up".to_owned(),
                ],
                groups: by_variant(
                    comparison,
                    &[
                        "within-standard",
                        "within-standard-initial",
                        "within-standard-follow-up",
                    ],
                ),
                reference: threshold,
            }),
            caption: "The regulator's measure: of the requests made in the period, the share \
                      whose offer was within the request kind's standard. The dashed line is the \
                      share the rule set requires."
                .to_owned(),
        },
        Figure {
            svg: chart::bar_chart(&BarChart {
                title: "Wait for a first appointment, by variant".to_owned(),
                unit: Unit::Days,
                axis_label: "business days from the request to the offered first appointment"
                    .to_owned(),
                series: vec![
                    "median (p50)".to_owned(),
                    "90th percentile (p90)".to_owned(),
                ],
                groups: by_variant(comparison, &["initial-wait-p50", "initial-wait-p90"]),
                reference: comparison
                    .initial_standard_business_days
                    .map(|days| Reference {
                        value: f64::from(days),
                        label: format!("standard: {days} business days"),
                    }),
            }),
            caption: "The dashed line is the rule set's standard for a first non-urgent \
                      appointment (in California, 10 business days with a non-physician mental \
                      health provider: 28 CCR § 1300.67.2.2(c)(5))."
                .to_owned(),
        },
    ];
    let follow_ups = vec![
        Figure {
            svg: chart::bar_chart(&BarChart {
                title: "Follow-up interval, by variant".to_owned(),
                unit: Unit::Days,
                axis_label: "mean business days from the prior appointment to the follow-up kept"
                    .to_owned(),
                series: vec!["mean interval".to_owned()],
                groups: by_variant(comparison, &["follow-up-mean"]),
                reference: comparison
                    .follow_up_standard_business_days
                    .map(|days| Reference {
                        value: f64::from(days),
                        label: format!("follow-up standard: {days} business days"),
                    }),
            }),
            caption: "The dashed line is the rule set's follow-up standard (in California, SB \
                      221, Health & Safety Code § 1367.03(a)(5)(F), since 2022-07-01: 10 \
                      business days after the prior appointment)."
                .to_owned(),
        },
        Figure {
            svg: chart::bar_chart(&BarChart {
                title: "Follow-ups kept within SB 221, by variant".to_owned(),
                unit: Unit::Share,
                axis_label: "share of the follow-ups kept in the period".to_owned(),
                series: vec!["within 10 business days".to_owned()],
                groups: by_variant(comparison, &["follow-up-within-sb-221"]),
                reference: None,
            }),
            caption: "What members lived: the interval to the follow-up they kept, whoever \
                      offered what."
                .to_owned(),
        },
    ];
    let visits = vec![Figure {
        svg: chart::bar_chart(&BarChart {
            title: "Visits a week with internal clinicians, by variant".to_owned(),
            unit: Unit::Number,
            axis_label: "visits kept a week in the period".to_owned(),
            series: vec!["internal visits".to_owned()],
            groups: by_variant(comparison, &["internal-visits-per-week"]),
            reference: None,
        }),
        caption: "Visits that took place with the plan's own clinicians (psychiatrists \
                  included); network visits are not counted here."
            .to_owned(),
    }];
    let mut sections = vec![
        Section {
            heading: "Timely access",
            figures: access,
        },
        Section {
            heading: "Follow-ups",
            figures: follow_ups,
        },
        Section {
            heading: "Visits",
            figures: visits,
        },
    ];
    if !comparison.protected_hour_costs.is_empty() {
        let exact = |value: f64| Estimate {
            mean: Some(value),
            half_width: None,
            n: 1,
        };
        sections.push(Section {
            heading: "What a protected hour costs",
            figures: vec![Figure {
                svg: chart::bar_chart(&BarChart {
                    title: "Appointments a week each protected hour costs".to_owned(),
                    unit: Unit::Number,
                    axis_label: "a week, per protected hour added to the full-time week".to_owned(),
                    series: vec![
                        "direct hours (templates)".to_owned(),
                        "one-hour appointments that fit (templates)".to_owned(),
                        "internal visits (simulated)".to_owned(),
                    ],
                    groups: comparison
                        .protected_hour_costs
                        .iter()
                        .map(|cost| BarGroup {
                            label: short_pair_label(comparison, cost),
                            values: vec![
                                exact(cost.direct_hours),
                                exact(cost.hour_appointments),
                                cost.simulated,
                            ],
                        })
                        .collect(),
                    reference: None,
                }),
                caption: format!(
                    "{EMPLOYER_CLAIM} That claim is about the whole region; this one is at scale \
                     {} ({} appointments a week at this scale, if the cost grows with the \
                     region).",
                    comparison.scale,
                    number(Unit::Count, 1300.0 * comparison.scale)
                ),
            }],
        });
    }
    sections
}
