//! A summary as text (aligned tables for people), JSON (one document for programs) or CSV (one
//! line per figure, for spreadsheets). Every format carries the same figures: the mean over the
//! replications, the half-width of its 95 % confidence interval and how many replications have it.

use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::summary::{Estimate, Summary, Table, Unit};

fn unit_slug(unit: Unit) -> &'static str {
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
/// its charts): the mean, then "± half-width" when there is an interval, "-" without a value.
pub fn cell(unit: Unit, estimate: &Estimate) -> String {
    match (estimate.mean, estimate.half_width) {
        (None, _) => "-".to_owned(),
        (Some(mean), None) => number(unit, mean),
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
            " (threshold {:.0}% of offers within standard)",
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
    let widths: Vec<usize> = (0..grid[0].len())
        .map(|col| {
            grid.iter()
                .map(|line| line[col].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for line in &grid {
        let mut text = String::new();
        for (col, value) in line.iter().enumerate() {
            let pad = widths[col] - value.chars().count();
            if col == 0 {
                text.push_str(value);
                text.push_str(&" ".repeat(pad));
            } else {
                text.push_str("  ");
                text.push_str(&" ".repeat(pad));
                text.push_str(value);
            }
        }
        let _ = writeln!(out, "{}", text.trim_end());
    }
}

/// The summary as aligned text tables.
pub fn text(summary: &Summary) -> String {
    let mut out = heading(summary);
    for table in &summary.tables {
        text_table(&mut out, table);
    }
    out
}

fn estimate_json(estimate: &Estimate) -> Value {
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
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record([
        "scenario",
        "table",
        "row",
        "column",
        "unit",
        "mean",
        "ci95_half_width",
        "n",
    ])?;
    let optional = |value: Option<f64>| value.map_or(String::new(), |v| v.to_string());
    for table in &summary.tables {
        for row in &table.rows {
            for (column, estimate) in table.columns.iter().zip(&row.cells) {
                writer.write_record([
                    summary.scenario.as_str(),
                    table.slug,
                    row.label.as_str(),
                    column.slug,
                    unit_slug(column.unit),
                    &optional(estimate.mean),
                    &optional(estimate.half_width),
                    &estimate.n.to_string(),
                ])?;
            }
        }
    }
    let bytes = writer
        .into_inner()
        .map_err(|err| csv::Error::from(err.into_error()))?;
    Ok(String::from_utf8(bytes).expect("the CSV writer writes the UTF-8 it was given"))
}
