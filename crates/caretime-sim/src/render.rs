//! A summary as text (aligned tables for people), JSON (one document for programs) or CSV (one
//! line per figure, for spreadsheets). Every format carries the same figures: the mean over the
//! replications, the half-width of its 95 % confidence interval and how many replications have it.
//!
//! It also holds what every report writes the same way ([`compare`](crate::compare) and
//! [`plan`](crate::plan) too): a figure's cell, aligned text tables, thousands separators and
//! CSV lines of figures.

use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::summary::{Estimate, Summary, Table, Unit, t_975};

/// A unit's name in JSON and CSV.
pub(crate) fn unit_slug(unit: Unit) -> &'static str {
    match unit {
        Unit::Count => "count",
        Unit::Share => "share",
        Unit::Days => "days",
        Unit::Number => "number",
    }
}

/// A value for people: shares as percentages, counts whole, the rest with one decimal.
pub fn number(unit: Unit, value: f64) -> String {
    match unit {
        Unit::Share => format!("{:.1}%", value * 100.0),
        Unit::Count => format!("{:.0}", value),
        Unit::Days | Unit::Number => format!("{value:.1}"),
    }
}

/// A figure for people, as every format for people writes it (the text tables, the HTML report and
/// its charts): the mean, then "± half-width" when there is an interval, "-" without a value. A
/// share whose interval would reach below 0 % or above 100 % shows the interval's ends instead,
/// cut at those bounds ("76.6% [0.0, 100.0]"): a share cannot be outside them, and "± 93.0"
/// around 76.6 % would say it could.
pub fn cell(unit: Unit, estimate: &Estimate) -> String {
    match (estimate.mean, estimate.half_width) {
        (None, _) => "-".to_owned(),
        (Some(mean), None) => number(unit, mean),
        (Some(mean), Some(half))
            if unit == Unit::Share && (mean - half < 0.0 || mean + half > 1.0) =>
        {
            let low = (mean - half).max(0.0);
            let high = (mean + half).min(1.0);
            format!(
                "{} [{:.1}, {:.1}]",
                number(unit, mean),
                low * 100.0,
                high * 100.0
            )
        }
        (Some(mean), Some(half)) => {
            let half = match unit {
                Unit::Share => format!("{:.1}", half * 100.0),
                Unit::Count => format!("{half:.0}"),
                Unit::Days | Unit::Number => format!("{half:.1}"),
            };
            format!("{} ± {half}", number(unit, mean))
        }
    }
}

/// The fewest replications whose confidence intervals are worth reading. With two, Student's t
/// has one degree of freedom and the 95 % half-width is 12.7 standard errors (`32.3% ± 124.6`):
/// the interval says more about the t table than about the model. With three it is 4.3, with
/// five 2.8; the built-in scenarios run five.
pub const MIN_REPLICATIONS_FOR_INTERVALS: u32 = 3;

/// Why the confidence intervals of a run of `replications` are not worth reading, when they are
/// not (fewer than [`MIN_REPLICATIONS_FOR_INTERVALS`]): one sentence, for a `warning:` line in
/// text and the `ci95_warning` field in JSON.
pub fn interval_warning(replications: u32) -> Option<String> {
    match replications {
        0 | 1 => Some(format!(
            "one replication gives no confidence interval; run {MIN_REPLICATIONS_FOR_INTERVALS} \
             or more replications to see how much the figures vary"
        )),
        n if n < MIN_REPLICATIONS_FOR_INTERVALS => Some(format!(
            "{n} replications give 95% intervals {:.1} standard errors wide on each side \
             (Student's t with {} degree{} of freedom), too wide to read; run \
             {MIN_REPLICATIONS_FOR_INTERVALS} or more replications",
            t_975(n - 1),
            n - 1,
            if n == 2 { "" } else { "s" }
        )),
        _ => None,
    }
}

/// A line under a table's text, where its columns alone would mislead.
fn table_note(table: &Table) -> Option<&'static str> {
    match table.slug {
        "routes" => Some(
            "(the first three columns add up to 100%; out-of-network arrangements are a part of \
             them, each also counted in the route its booking took)",
        ),
        _ => None,
    }
}

fn heading(summary: &Summary) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}: {}", summary.scenario, summary.title);
    let _ = writeln!(
        out,
        "contract {}, 1 internal therapist per {} members; rule set {}{}",
        summary.contract,
        summary.members_per_therapist,
        summary.rule_set,
        summary.threshold.map_or(String::new(), |threshold| format!(
            " (threshold {:.0}%: a census rate of providers)",
            threshold * 100.0
        )),
    );
    let _ = writeln!(
        out,
        "requests of {} to {}; {} replication{}, mean ± half-width of the 95% confidence interval",
        summary.period.0,
        summary.period.1,
        summary.replications,
        if summary.replications == 1 { "" } else { "s" },
    );
    if let Some(warning) = interval_warning(summary.replications) {
        let _ = writeln!(out, "warning: {warning}");
    }
    out
}

fn text_table(out: &mut String, table: &Table) {
    let _ = writeln!(out, "\n{}", table.title);
    let mut grid: Vec<Vec<String>> = Vec::with_capacity(table.rows.len() + 1);
    grid.push(
        std::iter::once(String::new())
            .chain(table.columns.iter().map(|column| column.title.to_owned()))
            .collect(),
    );
    for row in &table.rows {
        grid.push(
            std::iter::once(row.label.clone())
                .chain(
                    table
                        .columns
                        .iter()
                        .zip(&row.cells)
                        .map(|(column, estimate)| cell(column.unit, estimate)),
                )
                .collect(),
        );
    }
    out.push_str(&aligned(&grid));
    if let Some(note) = table_note(table) {
        let _ = writeln!(out, "{note}");
    }
}

/// Aligned text, one line per row of `grid`: the first column left-aligned, the others
/// right-aligned, two spaces between columns, no spaces at the end of a line. Rows may be shorter
/// than others (a column is as wide as its widest cell in any row).
pub fn aligned(grid: &[Vec<String>]) -> String {
    let n_columns = grid.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..n_columns)
        .map(|col| {
            grid.iter()
                .filter_map(|line| line.get(col))
                .map(|text| text.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for line in grid {
        let mut text = String::new();
        for (col, value) in line.iter().enumerate() {
            let pad = " ".repeat(widths[col] - value.chars().count());
            if col == 0 {
                text.push_str(value);
                text.push_str(&pad);
            } else {
                text.push_str("  ");
                text.push_str(&pad);
                text.push_str(value);
            }
        }
        let _ = writeln!(out, "{}", text.trim_end());
    }
    out
}

/// `count` with commas between thousands ("4,800,000").
pub fn thousands(count: u64) -> String {
    let digits = count.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (idx, digit) in digits.chars().enumerate() {
        if idx > 0 && (digits.len() - idx).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// The summary as aligned text tables.
pub fn text(summary: &Summary) -> String {
    let mut out = heading(summary);
    for table in &summary.tables {
        text_table(&mut out, table);
    }
    out
}

/// An estimate in JSON: `{"mean", "ci95_half_width", "n"}`.
pub(crate) fn estimate_json(estimate: &Estimate) -> Value {
    json!({
        "mean": estimate.mean,
        "ci95_half_width": estimate.half_width,
        "n": estimate.n,
    })
}

/// The summary as one JSON document.
pub fn json(summary: &Summary) -> Value {
    json!({
        "scenario": summary.scenario,
        "title": summary.title,
        "contract": summary.contract,
        "members_per_therapist": summary.members_per_therapist,
        "rule_set": summary.rule_set,
        "threshold": summary.threshold,
        "period": {
            "first": summary.period.0.to_string(),
            "last": summary.period.1.to_string(),
        },
        "replications": summary.replications,
        "ci95_warning": interval_warning(summary.replications),
        "tables": summary.tables.iter().map(|table| json!({
            "table": table.slug,
            "title": table.title,
            "columns": table.columns.iter().map(|column| json!({
                "column": column.slug,
                "title": column.title,
                "unit": unit_slug(column.unit),
            })).collect::<Vec<_>>(),
            "rows": table.rows.iter().map(|row| json!({
                "label": row.label,
                "cells": row.cells.iter().map(estimate_json).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}

/// The summary as CSV: `scenario,table,row,column,unit,mean,ci95_half_width,n`, one line per
/// figure (empty fields where a figure has no value).
pub fn csv(summary: &Summary) -> Result<String, csv::Error> {
    let mut figures = Vec::new();
    for table in &summary.tables {
        for row in &table.rows {
            for (column, estimate) in table.columns.iter().zip(&row.cells) {
                figures.push((
                    [
                        summary.scenario.as_str(),
                        table.slug,
                        row.label.as_str(),
                        column.slug,
                        unit_slug(column.unit),
                    ],
                    *estimate,
                ));
            }
        }
    }
    figures_csv(["scenario", "table", "row", "column", "unit"], figures)
}

/// CSV of figures, one line each: the fields that name the figure (`key_columns` in the header),
/// then its `mean,ci95_half_width,n` (empty fields where the figure has no value).
pub(crate) fn figures_csv<const N: usize, K: AsRef<str>>(
    key_columns: [&str; N],
    figures: impl IntoIterator<Item = ([K; N], Estimate)>,
) -> Result<String, csv::Error> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(
        key_columns
            .into_iter()
            .chain(["mean", "ci95_half_width", "n"]),
    )?;
    let optional = |value: Option<f64>| value.map_or(String::new(), |v| v.to_string());
    for (key, estimate) in figures {
        let values = [
            optional(estimate.mean),
            optional(estimate.half_width),
            estimate.n.to_string(),
        ];
        writer.write_record(
            key.iter()
                .map(AsRef::as_ref)
                .chain(values.iter().map(String::as_str)),
        )?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|err| csv::Error::from(err.into_error()))?;
    Ok(String::from_utf8(bytes).expect("the CSV writer writes the UTF-8 it was given"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_are_separated() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(3000), "3,000");
        assert_eq!(thousands(4_800_000), "4,800,000");
    }

    #[test]
    fn tables_align_labels_left_and_figures_right() {
        let grid = [
            vec![String::new(), "visits".to_owned()],
            vec!["all".to_owned(), "12".to_owned(), "3".to_owned()],
            vec!["in network".to_owned(), "1,234".to_owned()],
        ];
        assert_eq!(
            aligned(&grid),
            "            visits\nall             12  3\nin network   1,234\n"
        );
    }
}
