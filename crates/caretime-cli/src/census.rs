//! `caretime export census`: the stored book's provider census (the PAAS question for every
//! provider at one instant) as rates against the thresholds, raw rows as CSV, and a seeded
//! PAAS-like sample.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use caretime_core::files::builtin;
use caretime_core::rules::RuleSet;
use caretime_core::slug::Slug;
use caretime_engine::report::census::{
    Census, CensusRow, Grouping, Question, SampleEstimate, census, census_csv, network_label,
};
use caretime_sim::census::paas_sample;
use caretime_store::Store;
use caretime_store::live::LiveBook;
use serde::Serialize;

use crate::Outcome;
use crate::output::{Format, print, table, write_file};
use crate::store::{StoreArgs, actor, block_on};

/// The rule set whose threshold the federal secret-shopper rules set (90 %, 42 CFR
/// § 438.68(e)); the census is also judged against it.
const SECRET_SHOPPER_RULE_SET: &str = "medicaid-438";

/// What `export census` was asked for.
pub(crate) struct CensusOptions<'a> {
    /// The survey instant, as typed.
    pub(crate) at: Option<&'a str>,
    /// Raw rows as CSV instead of the rates.
    pub(crate) csv: bool,
    /// Providers per stratum and the seed of a sample.
    pub(crate) sample: Option<(u32, u64)>,
    /// A file instead of stdout.
    pub(crate) output: Option<&'a Path>,
}

#[derive(Debug, Serialize)]
struct ThresholdJson {
    rule_set: String,
    rate: f64,
    source: String,
}

#[derive(Debug, Serialize)]
struct RowJson {
    question: &'static str,
    grouping: &'static str,
    label: String,
    eligible: u64,
    within_standard: u64,
    rate: Option<f64>,
    /// Urgent only: within the shorter urgent standard (48 hours).
    within_48_hours: Option<u64>,
    rate_48_hours: Option<f64>,
    no_availability: u64,
    /// `hours` for urgent, `business-days` otherwise.
    wait_unit: &'static str,
    mean_wait: Option<f64>,
    median_wait: Option<f64>,
    /// Whether the rate reaches each threshold, in the order of `thresholds`.
    meets: Vec<bool>,
}

#[derive(Debug, Serialize)]
struct SampleJson {
    question: &'static str,
    network: &'static str,
    provider_type: &'static str,
    population: u64,
    sampled: u64,
    within_standard: u64,
    rate: f64,
    low: f64,
    high: f64,
    census_rate: f64,
}

#[derive(Debug, Serialize)]
struct CensusJson {
    survey_at: String,
    rule_set: String,
    thresholds: Vec<ThresholdJson>,
    rows: Vec<RowJson>,
    /// The sample's size per stratum and seed, when one was drawn.
    sample_size: Option<u32>,
    sample_seed: Option<u64>,
    sample: Vec<SampleJson>,
}

/// The thresholds a census is judged against: the book's rule set's and the secret shoppers'.
fn thresholds(rules: &RuleSet) -> Vec<ThresholdJson> {
    let secret_shopper = builtin::rule_set(SECRET_SHOPPER_RULE_SET);
    [Some(rules), secret_shopper.as_ref()]
        .into_iter()
        .flatten()
        .filter_map(|rule_set| {
            rule_set
                .compliance_threshold()
                .map(|threshold| ThresholdJson {
                    rule_set: rule_set.name().to_owned(),
                    rate: threshold.rate.fraction(),
                    source: threshold.source.clone(),
                })
        })
        .collect()
}

fn row_json(row: &CensusRow, thresholds: &[ThresholdJson]) -> RowJson {
    let tally = &row.tally;
    let urgent = row.question == Question::Urgent;
    RowJson {
        question: row.question.slug(),
        grouping: row.grouping.slug(),
        label: row.label.clone(),
        eligible: tally.eligible,
        within_standard: tally.within,
        rate: tally.rate(),
        within_48_hours: urgent.then_some(tally.within_shorter),
        rate_48_hours: if urgent { tally.rate_shorter() } else { None },
        no_availability: tally.no_availability,
        wait_unit: if row.question.in_hours() {
            "hours"
        } else {
            "business-days"
        },
        mean_wait: tally.mean_wait(),
        median_wait: tally.median_wait(),
        meets: thresholds
            .iter()
            .map(|threshold| tally.rate().is_some_and(|rate| rate >= threshold.rate))
            .collect(),
    }
}

fn sample_json(estimate: &SampleEstimate) -> SampleJson {
    SampleJson {
        question: estimate.stratum.question.slug(),
        network: network_label(estimate.stratum.affiliation),
        provider_type: estimate.stratum.provider_type.slug(),
        population: estimate.population,
        sampled: estimate.sampled,
        within_standard: estimate.within,
        rate: estimate.rate,
        low: estimate.low,
        high: estimate.high,
        census_rate: estimate.census_rate,
    }
}

/// Runs `caretime export census`.
pub(crate) fn export(
    store: &StoreArgs,
    options: &CensusOptions<'_>,
    format: Format,
) -> anyhow::Result<Outcome> {
    let now = store.now()?;
    let at = match options.at {
        Some(text) => caretime_core::time_input::parse_instant(text)
            .map_err(|error| anyhow::anyhow!("--at {error}"))?,
        None => now,
    };
    let (region, rules, book) = block_on(async {
        let store = Store::open_existing(store.database()).await?;
        let live = LiveBook::load(&store, now, &actor()).await;
        store.close().await;
        Ok(live?.into_parts())
    })?;
    let horizon = book.availability().horizon();
    let date = at.to_zoned(rules.time_zone().clone()).date();
    if date < horizon.first || date > horizon.last {
        anyhow::bail!(
            "--at {at} is outside the book's horizon ({} to {})",
            horizon.first,
            horizon.last
        );
    }
    let census: Census = census(&book, &region, &rules, at)?;
    let text = if options.csv {
        census_csv(std::slice::from_ref(&census), &region)
    } else {
        let thresholds = thresholds(&rules);
        let rows = census.rows(
            &region,
            &[
                Grouping::All,
                Grouping::Network,
                Grouping::ProviderType,
                Grouping::Facility,
            ],
        );
        let sample = options
            .sample
            .map(|(n, seed)| paas_sample(&census, n, seed))
            .unwrap_or_default();
        let json = CensusJson {
            survey_at: census.at.to_string(),
            rule_set: census.rule_set.clone(),
            rows: rows.iter().map(|row| row_json(row, &thresholds)).collect(),
            thresholds,
            sample_size: options.sample.map(|(n, _)| n),
            sample_seed: options.sample.map(|(_, seed)| seed),
            sample: sample.iter().map(sample_json).collect(),
        };
        match format {
            Format::Json => serde_json::to_string_pretty(&json)? + "\n",
            Format::Text => census_text(&json, &rules),
        }
    };
    match options.output {
        Some(path) => write_file(path, |out| out.write_all(text.as_bytes()))?,
        None => print(&text).context("cannot write the census")?,
    }
    Ok(Outcome::Ok)
}

fn percent(share: Option<f64>) -> String {
    share.map_or("-".to_owned(), |s| format!("{:.1}%", s * 100.0))
}

fn number(value: Option<f64>) -> String {
    value.map_or("-".to_owned(), |v| format!("{v:.1}"))
}

fn census_text(census: &CensusJson, rules: &RuleSet) -> String {
    let at = census
        .survey_at
        .parse::<jiff::Timestamp>()
        .map(|at| at.to_zoned(rules.time_zone().clone()).to_string())
        .unwrap_or_else(|_| census.survey_at.clone());
    let mut out = format!(
        "provider census at {at} under {}: each provider's next available appointment \
         (rates of providers within the standard)\n",
        census.rule_set
    );
    for threshold in &census.thresholds {
        out.push_str(&format!(
            "threshold {} {:.0}%: {}\n",
            threshold.rule_set,
            threshold.rate * 100.0,
            threshold.source
        ));
    }
    out.push('\n');
    let mut header: Vec<String> = [
        "question",
        "by",
        "slice",
        "providers",
        "within",
        "rate",
        "48 h",
        "nothing free",
        "mean wait",
        "median wait",
    ]
    .map(str::to_owned)
    .to_vec();
    header.extend(
        census
            .thresholds
            .iter()
            .map(|threshold| format!("{:.0}%", threshold.rate * 100.0)),
    );
    let mut lines = vec![header];
    for row in &census.rows {
        let unit = if row.wait_unit == "hours" {
            " h"
        } else {
            " bd"
        };
        let mut line = vec![
            row.question.to_owned(),
            row.grouping.to_owned(),
            row.label.clone(),
            row.eligible.to_string(),
            row.within_standard.to_string(),
            percent(row.rate),
            percent(row.rate_48_hours),
            row.no_availability.to_string(),
            number(row.mean_wait) + unit,
            number(row.median_wait) + unit,
        ];
        line.extend(
            row.meets
                .iter()
                .map(|meets| if *meets { "met" } else { "not met" }.to_owned()),
        );
        lines.push(line);
    }
    out.push_str(&table(&lines));
    if let (Some(size), Some(seed)) = (census.sample_size, census.sample_seed) {
        out.push_str(&format!(
            "\nPAAS-like sample: {size} providers per question, network and provider type, seed \
             {seed}; 95% Wilson score interval with finite-population correction\n"
        ));
        let mut lines = vec![
            [
                "question",
                "network",
                "type",
                "providers",
                "sampled",
                "within",
                "rate",
                "95% CI",
                "census rate",
            ]
            .map(str::to_owned)
            .to_vec(),
        ];
        for estimate in &census.sample {
            lines.push(vec![
                estimate.question.to_owned(),
                estimate.network.to_owned(),
                estimate.provider_type.to_owned(),
                estimate.population.to_string(),
                estimate.sampled.to_string(),
                estimate.within_standard.to_string(),
                percent(Some(estimate.rate)),
                format!("{:.1}-{:.1}%", estimate.low * 100.0, estimate.high * 100.0),
                percent(Some(estimate.census_rate)),
            ]);
        }
        out.push_str(&table(&lines));
    }
    out
}
