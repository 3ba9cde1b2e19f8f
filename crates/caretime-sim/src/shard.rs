//! Sweeps beyond one machine: a simulation or a comparison split into shards that any batch
//! scheduler runs, each writing a part file, and the parts merged into the report one run prints.
//!
//! **Units.** The unit of work is one replication (simulate) or one (variant, replication) pair
//! (compare), numbered variant-major: unit `u = variant × replications + replication`. Shard
//! `K/N` runs the units with `u mod N = K − 1` ([`Shard::takes`]): a fixed subset, so any shard
//! can be rerun alone, and every shard gets a mix of the variants (which differ in cost: a richer
//! staffing ratio has more clinicians), so shards take about as long as each other. Replication
//! `i` runs the scenario's seed plus `i` whoever runs it, so a shard computes exactly what the
//! whole run would. The price of the mix: a comparison's shard generates the region of every
//! variant it has units of (one at a time, as the unsharded comparison does), so N shards
//! generate each variant's region up to N times where one run generates it once.
//!
//! **Merging by construction.** [`merge`] checks the parts (one run, every shard once, each with
//! exactly its own units), puts the replications back in order and calls the summarising code
//! the unsharded commands call ([`crate::summarise`], [`crate::compare::comparison`]): the report
//! is byte-identical because it is the same function of the same values. Merging generates no
//! region and simulates nothing: what a comparison needs of a region ([`RegionFigures`]) is in
//! the parts.
//!
//! The part file's format (versioned JSON, with a fingerprint of the inputs) is [`crate::part`]'s.

use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};

use caretime_core::files::FileError;
use caretime_region::generate::generate;

use crate::compare::{
    self, CompareError, Comparison, RegionFigures, Variant, VariantRun, check_variants,
};
use crate::model::{Dates, Replication};
use crate::scenario::{Scenario, parse_scenario};
use crate::summary::Summary;
use crate::{SimError, run_replications_of, summarise};

/// One shard of N: the `number`-th (from 1) of `count`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    number: u32,
    count: u32,
}

impl Shard {
    /// The whole run as one shard.
    pub const WHOLE: Shard = Shard {
        number: 1,
        count: 1,
    };

    /// Shard `number` of `count`, `1 ≤ number ≤ count`.
    pub fn new(number: u32, count: u32) -> Result<Shard, ShardError> {
        if number == 0 || number > count {
            return Err(ShardError::Shard(format!("{number}/{count}")));
        }
        Ok(Shard { number, count })
    }

    /// Which shard, from 1.
    pub fn number(self) -> u32 {
        self.number
    }

    /// How many shards.
    pub fn count(self) -> u32 {
        self.count
    }

    /// Whether this shard runs unit `unit` (see the module docs for the numbering).
    pub fn takes(self, unit: u64) -> bool {
        unit % u64::from(self.count) == u64::from(self.number - 1)
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.number, self.count)
    }
}

impl FromStr for Shard {
    type Err = ShardError;

    /// `K/N`, such as `2/8`.
    fn from_str(text: &str) -> Result<Shard, ShardError> {
        let bad = || ShardError::Shard(text.to_owned());
        let (number, count) = text.split_once('/').ok_or_else(bad)?;
        let number = number.trim().parse().map_err(|_| bad())?;
        let count = count.trim().parse().map_err(|_| bad())?;
        Shard::new(number, count).map_err(|_| bad())
    }
}

/// Why a shard could not run.
#[derive(Debug, thiserror::Error)]
pub enum ShardError {
    /// Not `K/N` with `1 ≤ K ≤ N`.
    #[error(
        "a shard is K/N with 1 ≤ K ≤ N, such as 2/8 for the second of eight, not `{}`",
        caretime_core::quote::quote(.0)
    )]
    Shard(String),
    /// More shards than units of work: some would have nothing to do.
    #[error("{count} shards for {units} units of work ({what}): give at most {units} shards")]
    TooManyShards {
        /// Shards asked for.
        count: u32,
        /// Units of work.
        units: u64,
        /// What a unit is.
        what: &'static str,
    },
    /// The scenario text the part records does not parse (it parsed when the run began).
    #[error("the scenario: {0}")]
    Scenario(#[from] FileError),
    /// The simulation failed.
    #[error(transparent)]
    Simulation(#[from] SimError),
    /// A variant failed, or the variants are wrong.
    #[error(transparent)]
    Compare(#[from] CompareError),
}

/// Everything that changes a run's results: two parts merge only when theirs are equal (the part
/// file's fingerprint covers them).
#[derive(Clone, Debug, PartialEq)]
pub struct RunInputs {
    /// The caretime version that ran (`CARGO_PKG_VERSION`): another version may simulate
    /// differently.
    pub program: String,
    /// The scenario's file name, for messages only (two parts of one run may have read the same
    /// file by different paths).
    pub scenario_file: String,
    /// The scenario file's text, as read.
    pub scenario_text: String,
    /// Months reported, after the command line's overrides.
    pub months: u32,
    /// Warm-up months.
    pub warm_up_months: u32,
    /// Replications (per variant).
    pub replications: u32,
    /// Region scale.
    pub scale: f64,
    /// The first replication's seed.
    pub seed: u64,
    /// `None` for a simulation; a comparison's variants in the order given.
    pub variants: Option<Vec<Variant>>,
}

impl RunInputs {
    /// The inputs of `scenario`, read from `scenario_text` with the command line's overrides
    /// applied (months, warm-up, replications, scale and seed: the only fields a command line
    /// changes), run as a simulation (`variants` `None`) or a comparison.
    pub fn new(
        scenario_file: &str,
        scenario_text: &str,
        scenario: &Scenario,
        variants: Option<Vec<Variant>>,
    ) -> RunInputs {
        let sim = &scenario.simulation;
        RunInputs {
            program: env!("CARGO_PKG_VERSION").to_owned(),
            scenario_file: scenario_file.to_owned(),
            scenario_text: scenario_text.to_owned(),
            months: sim.months,
            warm_up_months: sim.warm_up_months,
            replications: sim.replications,
            scale: scenario.region.scale,
            seed: sim.seed,
            variants,
        }
    }

    /// The scenario these inputs ran: the text parsed, the overrides applied.
    pub fn scenario(&self) -> Result<Scenario, FileError> {
        let mut scenario = parse_scenario(&self.scenario_file, &self.scenario_text)?;
        let sim = &mut scenario.simulation;
        sim.months = self.months;
        sim.warm_up_months = self.warm_up_months;
        sim.replications = self.replications;
        sim.seed = self.seed;
        scenario.region.scale = self.scale;
        Ok(scenario)
    }

    /// Units of work: replications, times the variants of a comparison.
    pub fn units(&self) -> u64 {
        let variants = self.variants.as_ref().map_or(1, Vec::len) as u64;
        variants * u64::from(self.replications)
    }

    /// The first input that differs from `other`'s, for people (`seed 1 against 7`); `None`
    /// when they are the same run's (the scenario's file name aside).
    pub fn difference(&self, other: &RunInputs) -> Option<String> {
        let plain = |what: &str, mine: String, theirs: String| {
            (mine != theirs).then(|| format!("{what} {mine} against {theirs}"))
        };
        let variants = |inputs: &RunInputs| {
            inputs.variants.as_ref().map_or_else(
                || "none (a simulation)".to_owned(),
                |variants| {
                    variants
                        .iter()
                        .map(|variant| variant.label.clone())
                        .collect::<Vec<_>>()
                        .join(", ")
                },
            )
        };
        plain(
            "caretime version",
            self.program.clone(),
            other.program.clone(),
        )
        .or_else(|| {
            (self.scenario_text != other.scenario_text)
                .then(|| "the scenario files' texts differ".to_owned())
        })
        .or_else(|| plain("months", self.months.to_string(), other.months.to_string()))
        .or_else(|| {
            plain(
                "warm-up months",
                self.warm_up_months.to_string(),
                other.warm_up_months.to_string(),
            )
        })
        .or_else(|| {
            plain(
                "replications",
                self.replications.to_string(),
                other.replications.to_string(),
            )
        })
        .or_else(|| plain("scale", self.scale.to_string(), other.scale.to_string()))
        .or_else(|| plain("seed", self.seed.to_string(), other.seed.to_string()))
        .or_else(|| plain("variants", variants(self), variants(other)))
    }

    /// What a unit of work is, for messages.
    fn unit_name(&self) -> &'static str {
        if self.variants.is_some() {
            "variant × replication pairs"
        } else {
            "replications"
        }
    }
}

/// What one shard ran: its inputs, which shard, and its results.
#[derive(Clone, Debug)]
pub struct Part {
    /// The run's inputs.
    pub inputs: RunInputs,
    /// Which shard.
    pub shard: Shard,
    /// The figures of each variant's region the shard generated (a comparison's; empty for a
    /// simulation): (variant index, figures), in variant order.
    pub regions: Vec<(usize, RegionFigures)>,
    /// The shard's replications: (variant index, 0 for a simulation; the replication), in unit
    /// order.
    pub replications: Vec<(usize, Replication)>,
}

impl Part {
    /// Checks that the part holds exactly its shard's units, in order, and a region's figures
    /// for exactly the variants it ran; the error says what is wrong.
    pub fn check(&self) -> Result<(), String> {
        let expected = shard_units(&self.inputs, self.shard);
        let held: Vec<(usize, u32)> = self
            .replications
            .iter()
            .map(|(variant, replication)| (*variant, replication.index))
            .collect();
        if held != expected {
            let name = |(variant, replication): (usize, u32)| {
                if self.inputs.variants.is_some() {
                    format!("replication {replication} of variant {}", variant + 1)
                } else {
                    format!("replication {replication}")
                }
            };
            let what = match expected.iter().find(|unit| !held.contains(unit)) {
                Some(unit) => format!("{} is missing", name(*unit)),
                None => "it holds replications of another shard, or twice".to_owned(),
            };
            return Err(format!(
                "it does not hold exactly shard {}'s results: {what}",
                self.shard
            ));
        }
        if self.inputs.variants.is_some() {
            let mut ran: Vec<usize> = expected.iter().map(|(variant, _)| *variant).collect();
            ran.dedup();
            let figured: Vec<usize> = self.regions.iter().map(|(variant, _)| *variant).collect();
            if figured != ran {
                return Err("its regions' figures do not match the variants it ran".to_owned());
            }
        } else if !self.regions.is_empty() {
            return Err("a simulation's part has no regions' figures".to_owned());
        }
        Ok(())
    }
}

/// The units shard `shard` runs: (variant index, replication index), in unit order.
pub fn shard_units(inputs: &RunInputs, shard: Shard) -> Vec<(usize, u32)> {
    let replications = inputs.replications;
    let variants = inputs.variants.as_ref().map_or(1, Vec::len);
    (0..variants)
        .flat_map(|variant| (0..replications).map(move |replication| (variant, replication)))
        .enumerate()
        .filter(|(unit, _)| shard.takes(*unit as u64))
        .map(|(_, unit)| unit)
        .collect()
}

/// Runs shard `shard` of the run `inputs` describes: a simulation's replications, or a
/// comparison's (variant, replication) pairs. `progress(done, total)` counts the shard's
/// simulated days.
pub fn run_part(
    inputs: RunInputs,
    shard: Shard,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<Part, ShardError> {
    let units = inputs.units();
    if u64::from(shard.count()) > units {
        return Err(ShardError::TooManyShards {
            count: shard.count(),
            units,
            what: inputs.unit_name(),
        });
    }
    let scenario = inputs.scenario()?;
    if let Some(variants) = &inputs.variants {
        check_variants(variants)?;
    }
    let dates = Dates::of(&scenario)?;
    let mine = shard_units(&inputs, shard);
    let total = u64::from(dates.days()) * mine.len() as u64;
    let done = AtomicU64::new(0);
    let tick = || {
        let now = done.fetch_add(1, Ordering::Relaxed) + 1;
        progress(now, total);
    };
    let mut regions = Vec::new();
    let mut replications = Vec::with_capacity(mine.len());
    match &inputs.variants {
        None => {
            let region = generate(&scenario.region).map_err(SimError::from)?;
            let indices: Vec<u32> = mine.iter().map(|(_, index)| *index).collect();
            let ran = run_replications_of(&scenario, &region, &indices, &tick)?;
            replications.extend(ran.into_iter().map(|replication| (0, replication)));
        }
        Some(variants) => {
            let indices: Vec<Vec<u32>> = (0..variants.len())
                .map(|variant_idx| {
                    mine.iter()
                        .filter(|(of, _)| *of == variant_idx)
                        .map(|(_, index)| *index)
                        .collect()
                })
                .collect();
            for (variant_idx, run) in compare::run_variants(&scenario, variants, &indices, &tick)? {
                regions.push((variant_idx, run.region));
                replications.extend(
                    run.replications
                        .into_iter()
                        .map(|replication| (variant_idx, replication)),
                );
            }
        }
    }
    Ok(Part {
        inputs,
        shard,
        regions,
        replications,
    })
}

/// Why parts could not be merged. Each names the part files (by the names the caller gave).
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    /// Nothing to merge.
    #[error("no part files to merge")]
    NoParts,
    /// A part of another run.
    #[error("`{part}` is from another run than `{first}` ({difference})")]
    OtherRun {
        /// The part.
        part: String,
        /// The first part.
        first: String,
        /// The first input that differs.
        difference: String,
    },
    /// A part of the same run split another way.
    #[error(
        "`{part}` is shard {shard} but `{first}` is shard {first_shard}: the parts of one \
         sweep have the same shard count"
    )]
    OtherCount {
        /// The part.
        part: String,
        /// Its shard.
        shard: Shard,
        /// The first part.
        first: String,
        /// The first part's shard.
        first_shard: Shard,
    },
    /// The same shard twice.
    #[error("shard {shard} is given twice: `{first}` and `{second}`")]
    Duplicate {
        /// The shard.
        shard: Shard,
        /// One part.
        first: String,
        /// The other.
        second: String,
    },
    /// Shards without a part.
    #[error(
        "{} of {count} {} missing: give every shard's part file",
        numbers(.missing),
        if .missing.len() == 1 { "is" } else { "are" }
    )]
    Missing {
        /// The missing shards' numbers.
        missing: Vec<u32>,
        /// Shards in the sweep.
        count: u32,
    },
    /// A part that does not hold its shard's results.
    #[error("`{part}`: {problem}")]
    Damaged {
        /// The part.
        part: String,
        /// What is wrong.
        problem: String,
    },
    /// The parts' scenario text does not parse.
    #[error("the parts' scenario: {0}")]
    Scenario(#[from] FileError),
    /// Summarising failed.
    #[error(transparent)]
    Simulation(#[from] SimError),
    /// Comparing failed.
    #[error(transparent)]
    Compare(#[from] CompareError),
}

/// Shard numbers for a message: `shard 3`, `shards 2 and 3`, `shards 2, 3 and 5`.
fn numbers(numbers: &[u32]) -> String {
    let shown: Vec<String> = numbers.iter().map(ToString::to_string).collect();
    match shown.split_last() {
        Some((last, rest)) if !rest.is_empty() => {
            format!("shards {} and {last}", rest.join(", "))
        }
        _ => format!("shard {}", shown.join("")),
    }
}

/// What merged parts make: the report the unsharded command would have made.
#[derive(Clone, Debug)]
pub enum Merged {
    /// `simulate`'s summary.
    Simulation(Summary),
    /// `compare`'s comparison.
    Comparison(Comparison),
}

/// Merges the parts of one sweep, each with a name for messages (its path): refuses parts of
/// different runs or shard counts, a shard given twice or missing, and a part that does not
/// hold exactly its shard's results.
pub fn merge(parts: Vec<(String, Part)>) -> Result<Merged, MergeError> {
    let Some((first_name, first)) = parts.first() else {
        return Err(MergeError::NoParts);
    };
    let count = first.shard.count();
    if u64::from(count) > first.inputs.units() {
        return Err(MergeError::Damaged {
            part: first_name.clone(),
            problem: format!("{count} shards for {} units of work", first.inputs.units()),
        });
    }
    let mut by_number: Vec<Option<&str>> = vec![None; count as usize];
    for (name, part) in &parts {
        if let Some(difference) = first.inputs.difference(&part.inputs) {
            return Err(MergeError::OtherRun {
                part: name.clone(),
                first: first_name.clone(),
                difference,
            });
        }
        if part.shard.count() != count {
            return Err(MergeError::OtherCount {
                part: name.clone(),
                shard: part.shard,
                first: first_name.clone(),
                first_shard: first.shard,
            });
        }
        part.check().map_err(|problem| MergeError::Damaged {
            part: name.clone(),
            problem,
        })?;
        let slot = &mut by_number[part.shard.number() as usize - 1];
        if let Some(earlier) = slot {
            return Err(MergeError::Duplicate {
                shard: part.shard,
                first: (*earlier).to_owned(),
                second: name.clone(),
            });
        }
        *slot = Some(name);
    }
    let missing: Vec<u32> = (1..=count)
        .filter(|number| by_number[*number as usize - 1].is_none())
        .collect();
    if !missing.is_empty() {
        return Err(MergeError::Missing { missing, count });
    }
    // Every shard once, each with exactly its units: every unit is here once.
    let inputs = first.inputs.clone();
    let scenario = inputs.scenario()?;
    let mut units: Vec<(usize, Replication)> = Vec::new();
    let mut regions: Vec<Option<RegionFigures>> =
        vec![None; inputs.variants.as_ref().map_or(0, Vec::len)];
    for (_, part) in parts {
        for (variant, figures) in part.regions {
            regions[variant] = Some(figures);
        }
        units.extend(part.replications);
    }
    units.sort_by_key(|(variant, replication)| (*variant, replication.index));
    match inputs.variants {
        None => {
            let dates = Dates::of(&scenario)?;
            let replications: Vec<Replication> = units
                .into_iter()
                .map(|(_, replication)| replication)
                .collect();
            Ok(Merged::Simulation(summarise(
                &scenario,
                &dates,
                &replications,
            )?))
        }
        Some(variants) => {
            let mut runs: Vec<VariantRun> = Vec::with_capacity(variants.len());
            let mut units = units.into_iter().peekable();
            for (variant_idx, variant) in variants.into_iter().enumerate() {
                let mut replications = Vec::new();
                while let Some((_, replication)) = units.next_if(|(of, _)| *of == variant_idx) {
                    replications.push(replication);
                }
                let region = regions[variant_idx]
                    .expect("every variant has a unit in some shard, whose part has its region");
                runs.push(VariantRun {
                    variant,
                    region,
                    replications,
                });
            }
            Ok(Merged::Comparison(compare::comparison(&scenario, runs)?))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_take_every_unit_once() {
        // 10 units in 4 shards: shard 1 takes 0, 4, 8; shard 2 takes 1, 5, 9; shard 3 takes 2
        // and 6; shard 4 takes 3 and 7.
        let shards: Vec<Shard> = (1..=4)
            .map(|number| Shard::new(number, 4).expect("valid"))
            .collect();
        let taken: Vec<Vec<u64>> = shards
            .iter()
            .map(|shard| (0..10).filter(|unit| shard.takes(*unit)).collect())
            .collect();
        assert_eq!(
            taken,
            vec![vec![0, 4, 8], vec![1, 5, 9], vec![2, 6], vec![3, 7]]
        );
        assert!((0..10).all(|unit| Shard::WHOLE.takes(unit)));
    }

    #[test]
    fn a_shard_is_k_of_n() {
        let parsed: Shard = " 2 / 8".parse().expect("valid");
        assert_eq!((parsed.number(), parsed.count()), (2, 8));
        assert_eq!(parsed.to_string(), "2/8");
        for bad in ["0/4", "5/4", "4", "a/4", "1/0", "-1/4", ""] {
            let error = bad.parse::<Shard>().expect_err(bad).to_string();
            assert!(error.starts_with("a shard is K/N"), "{bad}: {error}");
        }
    }

    #[test]
    fn missing_shards_are_listed() {
        // The message's list of numbers: one, two, three.
        assert_eq!(numbers(&[3]), "shard 3");
        assert_eq!(numbers(&[2, 3]), "shards 2 and 3");
        assert_eq!(numbers(&[2, 3, 5]), "shards 2, 3 and 5");
    }
}
