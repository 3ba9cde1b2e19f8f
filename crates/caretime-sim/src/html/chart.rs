//! Charts of estimates as SVG: horizontal bars with confidence intervals ([`bar_chart`]), a line
//! with its confidence band over ordered categories such as months ([`line_chart`]) and bars of
//! shares stacked to 100 % ([`stacked_chart`]).
//!
//! A chart is described by plain data (labels and [`Estimate`]s, not a [`Summary`]), so that the
//! single report and a page comparing several summaries draw with the same code: a comparison
//! passes one series (or one stacked row) per summary. Every chart has a title, a legend when it
//! has more than one series, axis ticks in the figures' unit (percentages for shares), a `<title>`
//! and `aria-label` for screen readers, and a `<desc>` that lists every figure in words.
//!
//! Bars start at zero (a truncated bar exaggerates); a line's axis may start higher, because a
//! line is read by its slope and its ticks say where it starts. Confidence intervals of shares
//! are drawn clipped to 0-100 %.
//!
//! [`Summary`]: crate::summary::Summary

use crate::render::{cell, number};
use crate::summary::{Estimate, Unit};

use super::svg::{self, Anchor, Drawing, Font, GRID, INK, PAPER, Stroke};

/// The width of every chart, in pixels: the printable width of an A4 page with 15 mm margins at
/// 96 pixels an inch, so that printed charts are neither shrunk nor cut.
pub const WIDTH: f64 = 680.0;

const TITLE: Font = Font::bold(15.0);
const LABEL: Font = Font::regular(12.0);
const SMALL: Font = Font::regular(11.0);
const MUTED: &str = "#666666";
/// Labels wider than this are shortened with an ellipsis (the tables give them in full).
const MAX_LABEL_WIDTH: f64 = 220.0;
/// Space between the chart's edge and anything drawn.
const MARGIN: f64 = 12.0;

/// A dashed line at a value that matters: a rule set's threshold, a statutory standard.
#[derive(Clone, Debug, PartialEq)]
pub struct Reference {
    /// Where the line is, in the chart's unit (a share from 0 to 1 for shares).
    pub value: f64,
    /// What it is ("threshold 70%").
    pub label: String,
}

/// A labelled group of bars: one estimate per series.
#[derive(Clone, Debug, PartialEq)]
pub struct BarGroup {
    /// The group's label, left of its bars.
    pub label: String,
    /// One estimate per series, in the order of [`BarChart::series`].
    pub values: Vec<Estimate>,
}

/// A horizontal bar chart: groups of bars, one bar per series, each with its 95 % confidence
/// interval as an error bar and its value written after it.
#[derive(Clone, Debug, PartialEq)]
pub struct BarChart {
    /// The title, above the chart.
    pub title: String,
    /// The unit of every value (shares are drawn from 0 to 100 %).
    pub unit: Unit,
    /// What the horizontal axis measures, under it.
    pub axis_label: String,
    /// The series' names; a legend is drawn when there is more than one.
    pub series: Vec<String>,
    /// The groups, top to bottom.
    pub groups: Vec<BarGroup>,
    /// An optional dashed line across the bars.
    pub reference: Option<Reference>,
}

/// A line of estimates over ordered categories (months), one per category.
#[derive(Clone, Debug, PartialEq)]
pub struct LineSeries {
    /// The series' name, for the legend.
    pub name: String,
    /// One estimate per category, in the order of [`LineChart::categories`]; a category without
    /// a mean breaks the line.
    pub points: Vec<Estimate>,
}

/// Lines with their confidence bands over ordered categories.
#[derive(Clone, Debug, PartialEq)]
pub struct LineChart {
    /// The title, above the chart.
    pub title: String,
    /// The unit of every value.
    pub unit: Unit,
    /// What the vertical axis measures, above it.
    pub axis_label: String,
    /// The categories, left to right.
    pub categories: Vec<String>,
    /// The lines; a legend is drawn when there is more than one, and values are written at the
    /// points when there is only one.
    pub series: Vec<LineSeries>,
    /// An optional dashed horizontal line.
    pub reference: Option<Reference>,
}

/// A row of shares stacked left to right: one estimate per segment, a missing mean for a segment
/// the row does not have.
#[derive(Clone, Debug, PartialEq)]
pub struct StackedRow {
    /// The row's label, left of its bar.
    pub label: String,
    /// One share per segment, in the order of [`StackedChart::segments`].
    pub shares: Vec<Estimate>,
}

/// Bars of shares stacked on a 0-100 % axis, one bar per row, segments coloured alike in every
/// row and named in the legend.
#[derive(Clone, Debug, PartialEq)]
pub struct StackedChart {
    /// The title, above the chart.
    pub title: String,
    /// The segments' names, for the legend.
    pub segments: Vec<String>,
    /// The bars, top to bottom.
    pub rows: Vec<StackedRow>,
}

/// A linear axis from `min` to `max` with ticks every `step`.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Axis {
    min: f64,
    max: f64,
    step: f64,
}

impl Axis {
    /// The axis of a chart whose values reach `high` (and `low`, for a line): shares on a fixed
    /// percentage grid, other units from zero to a round number above `high`.
    fn covering(unit: Unit, low: f64, high: f64) -> Axis {
        match unit {
            Unit::Share => {
                // Whole tenths, counted as integers so that 0.6 / 0.1 cannot floor to 5: from a
                // tenth below the lowest value (or zero), in fifths when that is over half.
                let mut tenths = ((low * 10.0 - 0.5).floor().clamp(0.0, 9.0)) as u32;
                let mut step = 1;
                if tenths < 5 {
                    step = 2;
                    tenths -= tenths % 2;
                }
                Axis {
                    min: f64::from(tenths) / 10.0,
                    max: 1.0,
                    step: f64::from(step) / 10.0,
                }
            }
            Unit::Count | Unit::Days | Unit::Number => {
                let high = if high.is_finite() && high > 0.0 {
                    high
                } else {
                    1.0
                };
                let step = nice_step(high / 5.0);
                Axis {
                    min: 0.0,
                    max: (high / step).ceil() * step,
                    step,
                }
            }
        }
    }

    /// The ticks from `min` to `max`, computed by counting steps so that rounding cannot add or
    /// drop the last one.
    fn ticks(self) -> Vec<f64> {
        let count = ((self.max - self.min) / self.step).round() as usize;
        (0..=count)
            .map(|idx| self.min + idx as f64 * self.step)
            .collect()
    }

    /// `value` clamped to the axis, as a fraction of its length.
    fn fraction(self, value: f64) -> f64 {
        ((value - self.min) / (self.max - self.min)).clamp(0.0, 1.0)
    }
}

/// 1, 2, 2.5 or 5 times a power of ten, the smallest not below `raw` (found by multiplying, not
/// by logarithms, so that every platform finds the same step).
fn nice_step(raw: f64) -> f64 {
    let mut power = 1.0;
    while power * 10.0 <= raw {
        power *= 10.0;
    }
    while power > raw && power > 1e-6 {
        power /= 10.0;
    }
    [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .map(|factor| factor * power)
        .find(|step| *step >= raw)
        .unwrap_or(10.0 * power)
}

/// A tick's label: whole percentages for shares, otherwise the number without needless decimals.
fn tick_label(unit: Unit, value: f64) -> String {
    match unit {
        Unit::Share => format!("{:.0}%", value * 100.0),
        Unit::Count | Unit::Days | Unit::Number => {
            if (value - value.round()).abs() < 1e-9 {
                format!("{value:.0}")
            } else {
                format!("{value:.1}")
            }
        }
    }
}

/// `label`, shortened with an ellipsis to fit `width` pixels at `font`.
fn fit(label: &str, font: Font, width: f64) -> String {
    if svg::text_width(label, font.size) <= width {
        return label.to_owned();
    }
    let keep = ((width / (font.size * 0.6)).floor() as usize).saturating_sub(1);
    let mut short: String = label.chars().take(keep).collect();
    short.push('…');
    short
}

/// An estimate's mean and the ends of its confidence interval, ready to draw.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Span {
    low: f64,
    mean: f64,
    high: f64,
}

/// The mean minus and plus the half-width (just the mean without a half-width); `None` without
/// a finite mean.
fn interval(estimate: &Estimate) -> Option<Span> {
    let mean = estimate.mean.filter(|mean| mean.is_finite())?;
    let half = estimate
        .half_width
        .filter(|half| half.is_finite())
        .unwrap_or(0.0);
    Some(Span {
        low: mean - half,
        mean,
        high: mean + half,
    })
}

/// Where a legend's entries go: a grid of equal columns (as wide as the widest entry) from `x`
/// to the chart's right margin, filled row by row, so that swatches line up under each other.
/// Returns each entry's left end and baseline, and the height the legend takes.
fn legend_layout(names: &[String], x: f64, top: f64) -> (Vec<(f64, f64)>, f64) {
    let line_height = 18.0;
    let column_width = names
        .iter()
        .map(|name| 14.0 + svg::text_width(name, LABEL.size) + 18.0)
        .fold(0.0, f64::max);
    let columns = (((WIDTH - MARGIN - x) / column_width).floor() as usize).max(1);
    let positions: Vec<(f64, f64)> = (0..names.len())
        .map(|idx| {
            (
                x + (idx % columns) as f64 * column_width,
                top + 12.0 + (idx / columns) as f64 * line_height,
            )
        })
        .collect();
    let lines = names.len().div_ceil(columns).max(1);
    (positions, 12.0 + (lines - 1) as f64 * line_height + 8.0)
}

/// Draws a legend of coloured swatches and names from `x`, wrapping within the chart.
fn legend(drawing: &mut Drawing, names: &[String], x: f64, top: f64) {
    let (positions, _) = legend_layout(names, x, top);
    for (idx, (name, (left, baseline))) in names.iter().zip(positions).enumerate() {
        drawing.rect(left, baseline - 10.0, 10.0, 10.0, svg::colour(idx));
        drawing.text(left + 14.0, baseline, Anchor::Start, LABEL, name);
    }
}

/// Draws the title.
fn title(drawing: &mut Drawing, text: &str) {
    drawing.text(MARGIN, 20.0, Anchor::Start, TITLE, text);
}

/// The height [`legend`] will take.
fn legend_height(names: &[String], x: f64) -> f64 {
    legend_layout(names, x, 0.0).1
}

/// Draws a dashed reference line from `from` to `to` over a white line a little wider, so that it
/// shows where it crosses a bar as well as on the background.
fn reference_line(drawing: &mut Drawing, from: (f64, f64), to: (f64, f64)) {
    drawing.line(from, to, Stroke::solid(PAPER, 3.5));
    drawing.line(from, to, Stroke::dashed(INK, 1.5));
}

/// Draws a horizontal axis along `y` from `left` to `right`: grid lines up to `top`, ticks and
/// their labels below, and `label` centred under them.
fn horizontal_axis(
    drawing: &mut Drawing,
    axis: Axis,
    unit: Unit,
    (left, right): (f64, f64),
    top: f64,
    y: f64,
    label: &str,
) {
    for tick in axis.ticks() {
        let x = left + axis.fraction(tick) * (right - left);
        drawing.line((x, top), (x, y), Stroke::solid(GRID, 1.0));
        drawing.line((x, y), (x, y + 4.0), Stroke::solid(INK, 1.0));
        drawing.text(x, y + 17.0, Anchor::Middle, SMALL, &tick_label(unit, tick));
    }
    drawing.line((left, y), (right, y), Stroke::solid(INK, 1.0));
    if !label.is_empty() {
        drawing.text(
            (left + right) / 2.0,
            y + 34.0,
            Anchor::Middle,
            SMALL.in_colour(MUTED),
            label,
        );
    }
}

/// Draws a reference line's label centred on `x` above `y`, kept inside the chart.
fn reference_label(drawing: &mut Drawing, x: f64, y: f64, label: &str) {
    let half = svg::text_width(label, SMALL.size) / 2.0;
    let (x, anchor) = if x + half > WIDTH - MARGIN {
        (WIDTH - MARGIN, Anchor::End)
    } else if x - half < MARGIN {
        (MARGIN, Anchor::Start)
    } else {
        (x, Anchor::Middle)
    };
    drawing.text(x, y, anchor, Font::bold(11.0).with_halo(), label);
}

/// Words for screen readers: every figure of the chart, "label: value" separated by semicolons.
fn describe(items: impl Iterator<Item = (String, String)>) -> String {
    items
        .map(|(label, value)| format!("{label}: {value}"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// A horizontal bar chart as an SVG element.
pub fn bar_chart(chart: &BarChart) -> String {
    let n_series = chart.series.len().max(1);
    let bar_height = if n_series == 1 { 20.0 } else { 15.0 };
    let group_gap = if n_series == 1 { 8.0 } else { 12.0 };
    let group_height = n_series as f64 * bar_height + (n_series - 1) as f64 * 2.0;

    let label_width = chart
        .groups
        .iter()
        .map(|group| svg::text_width(&group.label, LABEL.size))
        .fold(40.0, f64::max)
        .min(MAX_LABEL_WIDTH);
    let values: Vec<String> = chart
        .groups
        .iter()
        .flat_map(|group| group.values.iter().map(|value| cell(chart.unit, value)))
        .collect();
    let value_width = values
        .iter()
        .map(|text| svg::text_width(text, SMALL.size))
        .fold(0.0, f64::max);
    let left = MARGIN + label_width + 10.0;
    let right = WIDTH - MARGIN - value_width - 8.0;

    let high = chart
        .groups
        .iter()
        .flat_map(|group| group.values.iter().filter_map(interval))
        .map(|span| span.high)
        .chain(chart.reference.as_ref().map(|reference| reference.value))
        .fold(0.0, f64::max);
    let mut axis = Axis::covering(chart.unit, 0.0, high);
    if chart.unit == Unit::Share {
        // A bar chart is wide enough for a grid line every 10 %.
        axis.step = 0.1;
    }
    let x_of = |value: f64| left + axis.fraction(value) * (right - left);

    let mut top = 32.0;
    if chart.series.len() > 1 {
        top += legend_height(&chart.series, left);
    }
    if chart.reference.is_some() {
        top += 16.0;
    }
    let plot_top = top;
    let plot_bottom = plot_top
        + chart.groups.len() as f64 * (group_height + group_gap)
        + if chart.groups.is_empty() { 20.0 } else { 0.0 };
    let height = plot_bottom + 46.0;

    let description = describe(chart.groups.iter().flat_map(|group| {
        chart
            .series
            .iter()
            .zip(&group.values)
            .map(move |(series, value)| {
                let label = if chart.series.len() > 1 {
                    format!("{}, {series}", group.label)
                } else {
                    group.label.clone()
                };
                (label, cell(chart.unit, value))
            })
    }));
    let mut drawing = Drawing::new(WIDTH, height, &chart.title, &description);
    title(&mut drawing, &chart.title);
    if chart.series.len() > 1 {
        legend(&mut drawing, &chart.series, left, 32.0);
    }
    horizontal_axis(
        &mut drawing,
        axis,
        chart.unit,
        (left, right),
        plot_top,
        plot_bottom,
        &chart.axis_label,
    );

    // Bars first, then the reference line over them, then the intervals and values over it.
    let bar_top = |group_idx: usize, series_idx: usize| {
        plot_top
            + group_gap / 2.0
            + group_idx as f64 * (group_height + group_gap)
            + series_idx as f64 * (bar_height + 2.0)
    };
    for (group_idx, group) in chart.groups.iter().enumerate() {
        for (series_idx, value) in group.values.iter().enumerate() {
            if let Some(Span { mean, .. }) = interval(value) {
                drawing.rect(
                    left,
                    bar_top(group_idx, series_idx),
                    x_of(mean) - left,
                    bar_height,
                    svg::colour(series_idx),
                );
            }
        }
    }
    let reference_x = chart
        .reference
        .as_ref()
        .map(|reference| x_of(reference.value));
    if let Some(reference) = &chart.reference {
        let x = x_of(reference.value);
        reference_line(&mut drawing, (x, plot_top - 4.0), (x, plot_bottom));
        reference_label(&mut drawing, x, plot_top - 7.0, &reference.label);
    }
    for (group_idx, group) in chart.groups.iter().enumerate() {
        let group_top = bar_top(group_idx, 0);
        drawing.text(
            left - 10.0,
            group_top + group_height / 2.0 + 4.0,
            Anchor::End,
            LABEL,
            &fit(&group.label, LABEL, label_width),
        );
        for (series_idx, value) in group.values.iter().enumerate() {
            let middle = bar_top(group_idx, series_idx) + bar_height / 2.0;
            let Some(Span { low, mean, high }) = interval(value) else {
                drawing.text(
                    left + 4.0,
                    middle + 4.0,
                    Anchor::Start,
                    SMALL.in_colour(MUTED),
                    "no value",
                );
                continue;
            };
            if high > low {
                // Ink over a white line, so that the interval shows on the bar as well as beside.
                let cap = bar_height * 0.3;
                for whisker in [Stroke::solid(PAPER, 3.0), Stroke::solid(INK, 1.3)] {
                    drawing.line((x_of(low), middle), (x_of(high), middle), whisker);
                    for end in [low, high] {
                        drawing.line(
                            (x_of(end), middle - cap),
                            (x_of(end), middle + cap),
                            whisker,
                        );
                    }
                }
            }
            let text = cell(chart.unit, value);
            let mut text_x = x_of(high.max(mean)) + 6.0;
            // A value the reference line would cross moves to the line's right.
            if let Some(reference_x) = reference_x {
                let text_end = text_x + svg::text_width(&text, SMALL.size);
                if reference_x > text_x - 4.0 && reference_x < text_end {
                    text_x = reference_x + 6.0;
                }
            }
            drawing.text(
                text_x,
                middle + 4.0,
                Anchor::Start,
                SMALL.with_halo(),
                &text,
            );
        }
    }

    drawing.finish()
}

/// A line chart with confidence bands as an SVG element.
pub fn line_chart(chart: &LineChart) -> String {
    let intervals: Vec<Span> = chart
        .series
        .iter()
        .flat_map(|series| series.points.iter().filter_map(interval))
        .collect();
    let reference = chart.reference.as_ref().map(|reference| reference.value);
    let low = intervals
        .iter()
        .map(|span| span.low)
        .chain(reference)
        .fold(f64::INFINITY, f64::min);
    let high = intervals
        .iter()
        .map(|span| span.high)
        .chain(reference)
        .fold(0.0, f64::max);
    let axis = Axis::covering(chart.unit, low, high);

    let tick_width = axis
        .ticks()
        .iter()
        .map(|tick| svg::text_width(&tick_label(chart.unit, *tick), SMALL.size))
        .fold(0.0, f64::max);
    let left = MARGIN + tick_width + 8.0;
    let right = WIDTH - MARGIN - 8.0;
    let mut top = 32.0;
    if chart.series.len() > 1 {
        top += legend_height(
            &chart
                .series
                .iter()
                .map(|series| series.name.clone())
                .collect::<Vec<_>>(),
            MARGIN,
        );
    }
    // The axis label sits above the plot, where it can be read without turning the head.
    let axis_label_y = top + 10.0;
    // Room above the plot for the values written over its highest points.
    let plot_top = axis_label_y + 28.0;
    let plot_bottom = plot_top + 200.0;
    let height = plot_bottom + 30.0;
    let y_of = |value: f64| plot_bottom - axis.fraction(value) * (plot_bottom - plot_top);
    let n_categories = chart.categories.len().max(1);
    let spacing = (right - left) / n_categories as f64;
    let x_of = |idx: usize| left + spacing * (idx as f64 + 0.5);

    let description = describe(chart.series.iter().flat_map(|series| {
        chart
            .categories
            .iter()
            .zip(&series.points)
            .map(move |(category, point)| {
                let label = if chart.series.len() > 1 {
                    format!("{category}, {}", series.name)
                } else {
                    category.clone()
                };
                (label, cell(chart.unit, point))
            })
    }));
    let mut drawing = Drawing::new(WIDTH, height, &chart.title, &description);
    title(&mut drawing, &chart.title);
    if chart.series.len() > 1 {
        let names: Vec<String> = chart
            .series
            .iter()
            .map(|series| series.name.clone())
            .collect();
        legend(&mut drawing, &names, MARGIN, 32.0);
    }
    drawing.text(
        MARGIN,
        axis_label_y,
        Anchor::Start,
        SMALL.in_colour(MUTED),
        &chart.axis_label,
    );
    for tick in axis.ticks() {
        let y = y_of(tick);
        drawing.line((left, y), (right, y), Stroke::solid(GRID, 1.0));
        drawing.text(
            left - 6.0,
            y + 4.0,
            Anchor::End,
            SMALL,
            &tick_label(chart.unit, tick),
        );
    }
    drawing.line(
        (left, plot_bottom),
        (right, plot_bottom),
        Stroke::solid(INK, 1.0),
    );
    // Every category's label when they fit, else every second, third...
    let widest = chart
        .categories
        .iter()
        .map(|category| svg::text_width(category, SMALL.size))
        .fold(0.0, f64::max);
    let every = ((widest + 8.0) / spacing).ceil().max(1.0) as usize;
    for (idx, category) in chart.categories.iter().enumerate() {
        let x = x_of(idx);
        drawing.line(
            (x, plot_bottom),
            (x, plot_bottom + 4.0),
            Stroke::solid(INK, 1.0),
        );
        if idx % every == 0 {
            drawing.text(x, plot_bottom + 17.0, Anchor::Middle, SMALL, category);
        }
    }

    if let Some(reference) = &chart.reference {
        let y = y_of(reference.value);
        reference_line(&mut drawing, (left, y), (right, y));
        drawing.text(
            right,
            y + 15.0,
            Anchor::End,
            Font::bold(11.0).with_halo(),
            &reference.label,
        );
    }

    for (series_idx, series) in chart.series.iter().enumerate() {
        let colour = svg::colour(series_idx);
        // Runs of consecutive categories with a value: a missing month breaks line and band.
        let mut runs: Vec<Vec<(usize, Span)>> = vec![Vec::new()];
        for (idx, point) in series.points.iter().enumerate() {
            match interval(point) {
                Some(found) => runs
                    .last_mut()
                    .expect("runs starts non-empty")
                    .push((idx, found)),
                None => runs.push(Vec::new()),
            }
        }
        for run in runs.iter().filter(|run| !run.is_empty()) {
            let mut band: Vec<(f64, f64)> = run
                .iter()
                .map(|(idx, span)| (x_of(*idx), y_of(span.high)))
                .collect();
            band.extend(
                run.iter()
                    .rev()
                    .map(|(idx, span)| (x_of(*idx), y_of(span.low))),
            );
            if run.len() == 1 {
                // A lone point's band is a short bar, as wide as a marker.
                let (idx, Span { low, high, .. }) = run[0];
                drawing.translucent_rect(
                    x_of(idx) - 5.0,
                    y_of(high),
                    10.0,
                    y_of(low) - y_of(high),
                    colour,
                    0.2,
                );
            } else {
                drawing.polygon(&band, colour, 0.2);
            }
            let line: Vec<(f64, f64)> = run
                .iter()
                .map(|(idx, span)| (x_of(*idx), y_of(span.mean)))
                .collect();
            drawing.polyline(&line, Stroke::solid(colour, 2.0));
        }
        for (idx, point) in series.points.iter().enumerate() {
            let Some(Span { mean, high, .. }) = interval(point) else {
                continue;
            };
            drawing.circle((x_of(idx), y_of(mean)), 3.5, colour);
            if chart.series.len() == 1 {
                let value = number(chart.unit, mean);
                // Above the band, where the line cannot cross it.
                drawing.text(
                    x_of(idx),
                    y_of(high) - 7.0,
                    Anchor::Middle,
                    SMALL.with_halo(),
                    &value,
                );
            }
        }
    }
    drawing.finish()
}

/// A stacked bar chart of shares as an SVG element.
pub fn stacked_chart(chart: &StackedChart) -> String {
    let bar_height = 30.0;
    let row_gap = 12.0;
    let label_width = chart
        .rows
        .iter()
        .map(|row| svg::text_width(&row.label, LABEL.size))
        .fold(40.0, f64::max)
        .min(MAX_LABEL_WIDTH);
    let left = MARGIN + label_width + 10.0;
    // Room after the bar for the value of a last segment too narrow to hold it.
    let right = WIDTH - MARGIN - 44.0;
    let axis = Axis {
        min: 0.0,
        max: 1.0,
        step: 0.1,
    };
    let x_of = |share: f64| left + axis.fraction(share) * (right - left);

    let legend_top = 32.0;
    let plot_top = legend_top + legend_height(&chart.segments, MARGIN) + 6.0;
    let plot_bottom = plot_top + chart.rows.len() as f64 * (bar_height + row_gap);
    let height = plot_bottom + 30.0;

    let description = describe(chart.rows.iter().flat_map(|row| {
        chart
            .segments
            .iter()
            .zip(&row.shares)
            .filter(|(_, share)| share.mean.is_some())
            .map(move |(segment, share)| {
                (
                    format!("{}, {segment}", row.label),
                    cell(Unit::Share, share),
                )
            })
    }));
    let mut drawing = Drawing::new(WIDTH, height, &chart.title, &description);
    title(&mut drawing, &chart.title);
    legend(&mut drawing, &chart.segments, MARGIN, legend_top);
    horizontal_axis(
        &mut drawing,
        axis,
        Unit::Share,
        (left, right),
        plot_top,
        plot_bottom,
        "",
    );

    for (row_idx, row) in chart.rows.iter().enumerate() {
        let bar_top = plot_top + row_gap / 2.0 + row_idx as f64 * (bar_height + row_gap);
        let middle = bar_top + bar_height / 2.0 + 4.0;
        drawing.text(
            left - 10.0,
            middle,
            Anchor::End,
            LABEL,
            &fit(&row.label, LABEL, label_width),
        );
        let present: Vec<(usize, f64)> = row
            .shares
            .iter()
            .enumerate()
            .filter_map(|(idx, share)| {
                share
                    .mean
                    .filter(|mean| mean.is_finite())
                    .map(|mean| (idx, mean.max(0.0)))
            })
            .collect();
        let mut start = 0.0_f64;
        for (position, (segment_idx, share)) in present.iter().enumerate() {
            let end = (start + share).min(1.0);
            let fill = svg::colour(*segment_idx);
            let (x0, x1) = (x_of(start), x_of(end));
            drawing.rect(x0, bar_top, x1 - x0, bar_height, fill);
            if position > 0 {
                // A white seam between neighbours, for readers who cannot tell their colours apart.
                drawing.line(
                    (x0, bar_top),
                    (x0, bar_top + bar_height),
                    Stroke::solid(PAPER, 1.5),
                );
            }
            let value = number(Unit::Share, *share);
            let needed = svg::text_width(&value, SMALL.size) + 8.0;
            if x1 - x0 >= needed {
                drawing.text(
                    (x0 + x1) / 2.0,
                    middle,
                    Anchor::Middle,
                    SMALL.in_colour(svg::text_colour(*segment_idx)),
                    &value,
                );
            } else if position + 1 == present.len() {
                drawing.text(x1 + 4.0, middle, Anchor::Start, SMALL.with_halo(), &value);
            }
            start = end;
        }
    }
    drawing.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_end_on_round_numbers() {
        let days = Axis::covering(Unit::Days, 0.0, 12.3);
        assert_eq!((days.min, days.max, days.step), (0.0, 12.5, 2.5));
        assert_eq!(days.ticks().len(), 6);
        let shares = Axis::covering(Unit::Share, 0.72, 0.99);
        assert_eq!((shares.min, shares.step), (0.6, 0.1));
        let last = shares.ticks().last().copied().unwrap_or(0.0);
        assert!((last - 1.0).abs() < 1e-9, "the last tick is 100%");
        // Below one half, the grid goes in fifths from zero or an even tenth.
        let wide = Axis::covering(Unit::Share, 0.33, 0.9);
        assert_eq!((wide.min, wide.step), (0.2, 0.2));
        assert_eq!(nice_step(0.3), 0.5);
        assert_eq!(nice_step(7.0), 10.0);
    }
}
