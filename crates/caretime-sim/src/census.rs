//! The provider census in a simulation, and a seeded PAAS-like sample of a census.
//!
//! [`model::run`](crate::model::run) takes the engine's census
//! ([`caretime_engine::report::census`]) at the scenario's survey instants
//! ([`crate::scenario::CensusPlan`]) on the book as it stands then, and keeps per replication
//! the tallies of every survey pooled ([`CensusPool`]): a replication's rate is its surveyed
//! providers within the standard over its surveyed providers, over all its surveys (a provider
//! counts once per survey, as in a year of surveys). [`crate::summary`] turns the pools into
//! the `census-*` tables, each figure's mean over replications with its 95 % confidence
//! interval.
//!
//! [`paas_sample`] draws, from one census, a fixed number of providers per stratum (question,
//! network, provider type) without replacement, as a plan's survey does, and gives each
//! stratum's sample rate with Wilson's interval ([`caretime_engine::report::census::SampleEstimate`]).

use caretime_core::region::Region;
use caretime_engine::report::census::{
    Census, CensusRow, Grouping, SampleEstimate, sample_estimate,
};
use caretime_region::draws::Draws;

/// The slices a simulation reports: all providers, by network, by provider type (facility
/// rows are for a stored book's export: thousands of network offices at full scale).
pub const GROUPINGS: [Grouping; 3] = [Grouping::All, Grouping::Network, Grouping::ProviderType];

/// A replication's census tallies, every survey pooled.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CensusPool {
    /// Surveys taken.
    pub surveys: u32,
    /// Rows by question and slice ([`GROUPINGS`]), in the order first met.
    pub rows: Vec<CensusRow>,
}

impl CensusPool {
    /// Adds one survey's census.
    pub fn add(&mut self, census: &Census, region: &Region) {
        self.surveys += 1;
        for row in census.rows(region, &GROUPINGS) {
            match self.rows.iter_mut().find(|known| {
                (known.question, known.grouping, &known.label)
                    == (row.question, row.grouping, &row.label)
            }) {
                Some(known) => known.tally.merge(&row.tally),
                None => self.rows.push(row),
            }
        }
    }
}

/// A seeded PAAS-like sample of `census`: `per_stratum` providers drawn without replacement
/// from each stratum (all of them when it has fewer), each stratum's estimate in the census's
/// stratum order. The same census, size and seed give the same sample.
pub fn paas_sample(census: &Census, per_stratum: u32, seed: u64) -> Vec<SampleEstimate> {
    census
        .strata()
        .into_iter()
        .enumerate()
        .filter_map(|(idx, (stratum, population))| {
            // One stream per stratum, so a stratum's sample does not depend on the others'.
            let mut draws = Draws::with_stream(seed, idx as u64);
            let mut order: Vec<usize> = (0..population.len()).collect();
            let n = (per_stratum as usize).min(population.len());
            // A partial Fisher-Yates shuffle: the first n places are a uniform sample.
            for place in 0..n {
                let pick = place + draws.index(order.len() - place);
                order.swap(place, pick);
            }
            let mut chosen = order[..n].to_vec();
            chosen.sort_unstable();
            let sampled: Vec<_> = chosen.iter().map(|&idx| population[idx]).collect();
            sample_estimate(stratum, &population, &sampled)
        })
        .collect()
}
