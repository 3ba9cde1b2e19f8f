//! The model beside the published record: each published figure of the system (in
//! `data/published.toml`, with its source) next to the model's figure for the same measure, with
//! its 95 % confidence interval, and their ratio.
//!
//! The model is never fitted to these figures: they are what its mechanisms (the scenario's
//! `[clinic]` and `[attendance]` sections, each default cited or marked as an assumption) must
//! reproduce, and a ratio far from 1 says a mechanism is missing or a default is wrong.
//!
//! [`validate`] runs the scenario as [`crate::compare`] does: its own contract and ratio, and,
//! when a built-in contract keeps more protected hours, that contract at the same ratio, so that
//! what a protected hour costs is measured on paired replications.

use caretime_core::files::{FileError, builtin, parse_toml};
use serde::Deserialize;

use crate::compare::{self, CompareError, Comparison, Variant};
use crate::scenario::Scenario;
use crate::summary::Estimate;

/// The published figures shipped with caretime (TOML).
pub const PUBLISHED: &str = include_str!("../data/published.toml");

/// What a figure measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Measure {
    /// Share of non-urgent initial requests offered within the standard.
    InitialWithinStandard,
    /// Mean business days from one kept session to the next kept follow-up.
    FollowUpInterval,
    /// Internal therapists' booked sessions (kept or missed) per working week.
    BookedPerTherapistWeek,
    /// Missed appointments over appointments due.
    NoShowRate,
    /// One-hour appointments a week that one protected hour per full-time week costs the
    /// region's internal therapists (template arithmetic, scaled to the full region).
    ProtectedHourCost,
}

impl Measure {
    const ALL: [(Measure, &'static str); 5] = [
        (Measure::InitialWithinStandard, "initial-within-standard"),
        (Measure::FollowUpInterval, "follow-up-interval"),
        (Measure::BookedPerTherapistWeek, "booked-per-therapist-week"),
        (Measure::NoShowRate, "no-show-rate"),
        (Measure::ProtectedHourCost, "protected-hour-cost"),
    ];

    /// The measure's name in the data file.
    pub fn slug(self) -> &'static str {
        Measure::ALL
            .iter()
            .find(|(measure, _)| *measure == self)
            .map_or("", |(_, slug)| slug)
    }

    /// Whether the measure is a share (shown as a percentage).
    pub fn is_share(self) -> bool {
        matches!(self, Measure::InitialWithinStandard | Measure::NoShowRate)
    }
}

/// A published figure: a range, or a bound.
#[derive(Clone, Debug, PartialEq)]
pub struct Published {
    /// What it measures.
    pub measure: Measure,
    /// The lowest value it states (`None`: no lower bound).
    pub low: Option<f64>,
    /// The highest (`None`: no upper bound).
    pub high: Option<f64>,
    /// What was published, in words.
    pub what: String,
    /// Who published it, where and when.
    pub source: String,
}

impl Published {
    /// The value a ratio is taken against: the middle of a range, else its one bound.
    pub fn reference(&self) -> Option<f64> {
        match (self.low, self.high) {
            (Some(low), Some(high)) => Some((low + high) / 2.0),
            (Some(bound), None) | (None, Some(bound)) => Some(bound),
            (None, None) => None,
        }
    }

    /// Whether `value` lies within the range or on the bound's side.
    pub fn holds(&self, value: f64) -> bool {
        self.low.is_none_or(|low| value >= low) && self.high.is_none_or(|high| value <= high)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PublishedFile {
    figure: Vec<FigureFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FigureFile {
    measure: String,
    low: Option<f64>,
    high: Option<f64>,
    what: String,
    source: String,
}

/// Reads a published-figures file: every figure with a known measure, a bound, and a source.
pub fn parse_published(file: &str, text: &str) -> Result<Vec<Published>, FileError> {
    let parsed: PublishedFile = parse_toml(file, text)?;
    parsed
        .figure
        .into_iter()
        .enumerate()
        .map(|(idx, figure)| {
            let field = |name: &str| format!("figure[{idx}].{name}");
            let measure = Measure::ALL
                .iter()
                .find(|(_, slug)| *slug == figure.measure)
                .map(|(measure, _)| *measure)
                .ok_or_else(|| FileError::field(file, &field("measure"), "unknown measure"))?;
            let finite = |value: Option<f64>| value.is_none_or(f64::is_finite);
            if figure.low.is_none() && figure.high.is_none()
                || !finite(figure.low)
                || !finite(figure.high)
                || figure
                    .low
                    .zip(figure.high)
                    .is_some_and(|(low, high)| low > high)
            {
                return Err(FileError::field(
                    file,
                    &field("low"),
                    "expected a bound (low, high or both, low at most high)",
                ));
            }
            if figure.source.trim().is_empty() {
                return Err(FileError::field(
                    file,
                    &field("source"),
                    "a figure needs a source",
                ));
            }
            Ok(Published {
                measure,
                low: figure.low,
                high: figure.high,
                what: figure.what,
                source: figure.source,
            })
        })
        .collect()
}

/// One line of the validation: a published figure and the model's.
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    /// The published figure.
    pub published: Published,
    /// The model's figure for its measure (`None` when the run cannot give it, e.g. no contract
    /// with more protected hours to measure one against).
    pub model: Option<Estimate>,
}

impl Line {
    /// The model's mean over the published reference value.
    pub fn ratio(&self) -> Option<f64> {
        let model = self.model.as_ref()?.mean?;
        let reference = self.published.reference()?;
        (reference != 0.0).then(|| model / reference)
    }
}

/// The model's figures beside the published ones, and the comparison they come from.
#[derive(Clone, Debug)]
pub struct Validation {
    /// The runs: the scenario's own variant first.
    pub comparison: Comparison,
    /// One line per published figure, in the file's order.
    pub lines: Vec<Line>,
    /// Attended sessions per internal therapist-week, shown beside the booked ones.
    pub attended_per_therapist_week: Estimate,
}

/// The built-in contract with the fewest protected hours above `contract`'s, if any.
fn more_protected(contract: &str) -> Option<String> {
    let hours = compare::protected_hours;
    let own = hours(contract)?;
    builtin::contract_names()
        .filter_map(|name| Some((hours(name)?, name)))
        .filter(|(other, _)| *other > own)
        .min_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.cmp(b.1)))
        .map(|(_, name)| name.to_owned())
}

/// Scales an estimate (a per-day figure to a per-week one).
fn scaled(estimate: Estimate, factor: f64) -> Estimate {
    Estimate {
        mean: estimate.mean.map(|mean| mean * factor),
        half_width: estimate.half_width.map(|half| half * factor),
        n: estimate.n,
    }
}

/// Runs `scenario` (and the contract with the next more protected hours, at its ratio) and lines
/// the model's figures up with `published`.
pub fn validate(
    scenario: &Scenario,
    published: &[Published],
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<Validation, CompareError> {
    let own = &scenario.region.internal_contract;
    let ratio = scenario.region.members_per_therapist;
    let mut contracts = vec![own.clone()];
    contracts.extend(more_protected(own));
    let variants = Variant::grid(&contracts, &[ratio]);
    let comparison = compare::compare(scenario, &variants, progress)?;
    let summary = &comparison.variants[0].summary;
    let cell = |table: &str, row: &str, column: &str| summary.cell(table, row, column);
    // Working days a week: the workforce report counts per clinician working day.
    let per_week = 5.0;
    let lines = published
        .iter()
        .map(|figure| {
            let model = match figure.measure {
                Measure::InitialWithinStandard => {
                    cell("compliance-by-kind", "initial", "within-standard")
                }
                Measure::FollowUpInterval => cell("follow-ups", "all", "mean-business-days"),
                Measure::BookedPerTherapistWeek => cell("workforce", "internal", "booked-per-day")
                    .map(|estimate| scaled(estimate, per_week)),
                Measure::NoShowRate => cell("attendance", "all", "no-show-rate"),
                // The published figure is the whole region's: the simulated region's templates
                // scaled up by its scale.
                Measure::ProtectedHourCost => comparison
                    .protected_hour_costs
                    .first()
                    .filter(|_| comparison.scale > 0.0)
                    .map(|cost| {
                        compare::constant(
                            cost.hour_appointments / comparison.scale,
                            summary.replications,
                        )
                    }),
            };
            Line {
                published: figure.clone(),
                model,
            }
        })
        .collect();
    let attended = cell("workforce", "internal", "sessions-per-day")
        .map(|estimate| scaled(estimate, per_week))
        .unwrap_or(Estimate {
            mean: None,
            half_width: None,
            n: 0,
        });
    Ok(Validation {
        comparison,
        lines,
        attended_per_therapist_week: attended,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_figures_read_and_each_has_a_source() {
        let figures = parse_published("published.toml", PUBLISHED).expect("valid");
        assert!(figures.len() >= 5);
        for (measure, _) in Measure::ALL {
            assert!(
                figures.iter().any(|figure| figure.measure == measure),
                "{measure:?} has a published figure"
            );
        }
    }

    #[test]
    fn a_figure_without_a_bound_or_source_or_with_an_unknown_measure_is_refused() {
        for (text, field) in [
            (
                "[[figure]]\nmeasure = \"x\"\nlow = 1.0\nwhat = \"w\"\nsource = \"s\"\n",
                "figure[0].measure",
            ),
            (
                "[[figure]]\nmeasure = \"no-show-rate\"\nwhat = \"w\"\nsource = \"s\"\n",
                "figure[0].low",
            ),
            (
                "[[figure]]\nmeasure = \"no-show-rate\"\nlow = 0.3\nhigh = 0.2\nwhat = \"w\"\nsource = \"s\"\n",
                "figure[0].low",
            ),
            (
                "[[figure]]\nmeasure = \"no-show-rate\"\nlow = 0.2\nwhat = \"w\"\nsource = \" \"\n",
                "figure[0].source",
            ),
        ] {
            let error = parse_published("p.toml", text).expect_err(field);
            assert_eq!(error.field, field, "{error}");
        }
    }

    #[test]
    fn ratios_are_taken_against_the_middle_of_a_range_or_its_bound() {
        let figure = |low, high| Published {
            measure: Measure::FollowUpInterval,
            low,
            high,
            what: String::new(),
            source: "s".to_owned(),
        };
        let line = |published, mean| Line {
            published,
            model: Some(Estimate {
                mean: Some(mean),
                half_width: None,
                n: 1,
            }),
        };
        // 15 against 20 to 40 weeks' middle, 30: 0.5; the range does not hold it.
        let range = figure(Some(20.0), Some(40.0));
        assert_eq!(line(range.clone(), 15.0).ratio(), Some(0.5));
        assert!(!range.holds(15.0) && range.holds(30.0));
        // 0.99 against "over 0.95": 1.0421; it holds.
        let bound = figure(Some(0.95), None);
        let ratio = line(bound.clone(), 0.99).ratio().expect("a ratio");
        assert!((ratio - 0.99 / 0.95).abs() < 1e-12);
        assert!(bound.holds(0.99) && !bound.holds(0.9));
    }
}
