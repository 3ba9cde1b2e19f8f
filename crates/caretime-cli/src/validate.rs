//! `caretime validate`: the model's figures beside the published record, each with its source.

use caretime_sim::summary::Estimate;
use caretime_sim::validate::{self, Line, PUBLISHED, Validation};
use clap::Args;
use serde_json::{Value, json};

use crate::output::{Format, print, print_json, table, with_progress};
use crate::simulate::{RunOverrides, load_scenario, with_overrides};

/// Arguments of `caretime validate`.
#[derive(Debug, Args)]
#[command(
    after_help = "Runs the scenario as `compare` does (its contract and staffing ratio, and the \
built-in contract with the next more protected hours at the same ratio, for what a protected hour \
costs), then prints each published figure (crates/caretime-sim/data/published.toml: figure, \
source) beside the model's figure with its 95 % confidence interval and their ratio (model over \
the middle of the published range, or over its bound). `holds` says whether the model's mean lies \
in the published range or on the bound's side. Booked sessions count kept and missed ones, \
returns booked over an expected no-show among them (where the scenario's clinic overbooks); the \
sessions attended are shown beside them. The model is never fitted to these figures."
)]
pub(crate) struct ValidateArgs {
    /// A built-in scenario (socal-2024, norcal-2022, socal-2024-strike) or the path of a scenario .toml file.
    scenario: String,
    #[command(flatten)]
    run: RunOverrides,
}

pub(crate) fn run(args: &ValidateArgs, format: Format) -> anyhow::Result<crate::Outcome> {
    let scenario = with_overrides(load_scenario(&args.scenario)?, &args.run)?;
    let published = validate::parse_published("published.toml", PUBLISHED)?;
    let validation = with_progress(format, "simulating", |progress| {
        validate::validate(&scenario, &published, progress)
    })?;
    match format {
        Format::Json => print_json(&as_json(&validation))?,
        Format::Text => print(&text(&validation))?,
    }
    Ok(crate::Outcome::Ok)
}

fn value(line: &Line, value: f64) -> String {
    if line.published.measure.is_share() {
        format!("{:.1}%", value * 100.0)
    } else {
        format!("{value:.1}")
    }
}

fn published(line: &Line) -> String {
    let show = |value: f64| self::value(line, value);
    match (line.published.low, line.published.high) {
        (Some(low), Some(high)) if low == high => show(low),
        (Some(low), Some(high)) => format!("{}-{}", show(low), show(high)),
        (Some(low), None) => format!(">= {}", show(low)),
        (None, Some(high)) => format!("<= {}", show(high)),
        (None, None) => "-".to_owned(),
    }
}

fn model(line: &Line) -> String {
    match &line.model {
        Some(Estimate {
            mean: Some(mean),
            half_width,
            ..
        }) => match half_width {
            Some(half) => format!("{} ± {}", value(line, *mean), value(line, *half)),
            None => value(line, *mean),
        },
        _ => "-".to_owned(),
    }
}

fn text(validation: &Validation) -> String {
    let comparison = &validation.comparison;
    let own = &comparison.variants[0];
    let mut out = format!(
        "{}: {}\ncontract {}, 1 internal therapist per {} members; scale {}; {} replication(s), \
         requests of {} to {}\n\n",
        comparison.scenario,
        comparison.title,
        own.variant.contract,
        own.variant.members_per_therapist,
        comparison.scale,
        comparison.replications,
        comparison.period.0,
        comparison.period.1,
    );
    let mut rows = vec![
        ["measure", "published", "model (95% CI)", "ratio", "holds"]
            .map(str::to_owned)
            .to_vec(),
    ];
    for line in &validation.lines {
        rows.push(vec![
            line.published.measure.slug().to_owned(),
            published(line),
            model(line),
            line.ratio()
                .map_or("-".to_owned(), |ratio| format!("{ratio:.2}")),
            match line.model.as_ref().and_then(|model| model.mean) {
                Some(mean) if line.published.holds(mean) => "yes".to_owned(),
                Some(_) => "no".to_owned(),
                None => "-".to_owned(),
            },
        ]);
    }
    out.push_str(&table(&rows));
    if let Some(mean) = validation.attended_per_therapist_week.mean {
        out.push_str(&format!(
            "\nattended sessions per internal therapist-week (beside the booked ones): {mean:.1}\n"
        ));
    }
    out.push_str("\nSources:\n");
    for line in &validation.lines {
        out.push_str(&format!(
            "  {} {}: {} ({})\n",
            line.published.measure.slug(),
            published(line),
            line.published.what,
            line.published.source
        ));
    }
    out
}

fn estimate_json(estimate: Option<&Estimate>) -> Value {
    match estimate {
        Some(estimate) => json!({
            "mean": estimate.mean,
            "ci95_half_width": estimate.half_width,
            "replications": estimate.n,
        }),
        None => Value::Null,
    }
}

fn as_json(validation: &Validation) -> Value {
    let comparison = &validation.comparison;
    let own = &comparison.variants[0];
    json!({
        "scenario": comparison.scenario,
        "contract": own.variant.contract,
        "members_per_therapist": own.variant.members_per_therapist,
        "scale": comparison.scale,
        "replications": comparison.replications,
        "period": [comparison.period.0.to_string(), comparison.period.1.to_string()],
        "figures": validation.lines.iter().map(|line| json!({
            "measure": line.published.measure.slug(),
            "published": { "low": line.published.low, "high": line.published.high },
            "what": line.published.what,
            "source": line.published.source,
            "model": estimate_json(line.model.as_ref()),
            "ratio": line.ratio(),
            "holds": line.model.as_ref().and_then(|model| model.mean).map(|mean| line.published.holds(mean)),
        })).collect::<Vec<_>>(),
        "attended_per_therapist_week": estimate_json(Some(&validation.attended_per_therapist_week)),
    })
}
