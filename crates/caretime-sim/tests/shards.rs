//! A sweep split into shards, each part written and read back as a file, merges into what one
//! run gives, whatever the number of shards and the order the parts come in.

use caretime_sim::compare::{self, Variant};
use caretime_sim::part::{read_part, write_part};
use caretime_sim::scenario::{BUILTIN, Scenario, parse_scenario};
use caretime_sim::shard::{Merged, RunInputs, Shard, merge, run_part};

/// The built-in scenario at scale 0.002 (9,600 members), a month of warm-up and one reported,
/// four replications: its file name and text, and the scenario.
fn tiny() -> (String, &'static str, Scenario) {
    let (name, text) = BUILTIN[0];
    let file = format!("{name}.toml");
    let mut scenario = parse_scenario(&file, text).expect("built in");
    scenario.region.scale = 0.002;
    scenario.simulation.warm_up_months = 1;
    scenario.simulation.months = 1;
    scenario.simulation.replications = 4;
    (file, text, scenario)
}

/// Every shard of `count` run, written to text and read back, in reverse shard order, merged.
fn merged(inputs: &RunInputs, count: u32) -> Merged {
    let parts = (1..=count)
        .rev()
        .map(|number| {
            let shard = Shard::new(number, count).expect("valid");
            let part = run_part(inputs.clone(), shard, &|_, _| {}).expect("the shard runs");
            let read = read_part(&write_part(&part)).expect("the part reads back");
            (format!("part {shard}"), read)
        })
        .collect();
    merge(parts).expect("the parts merge")
}

#[test]
fn any_number_of_shards_merge_into_the_simulation() {
    let (file, text, scenario) = tiny();
    let (whole, _) = caretime_sim::simulate(&scenario, &|_, _| {}).expect("simulates");
    let inputs = RunInputs::new(&file, text, &scenario, None);
    // One shard to one a replication.
    for count in 1..=4 {
        let Merged::Simulation(summary) = merged(&inputs, count) else {
            panic!("a simulation's parts merge into a summary");
        };
        assert_eq!(summary, whole, "{count} shards");
    }
}

#[test]
fn any_number_of_shards_merge_into_the_comparison() {
    let (file, text, mut scenario) = tiny();
    scenario.simulation.replications = 2;
    let contracts = ["socal-2025".to_owned(), "union-2024".to_owned()];
    let variants = Variant::grid(&contracts, &[3000]);
    let whole = compare::compare(&scenario, &variants, &|_, _| {}).expect("compares");
    let inputs = RunInputs::new(&file, text, &scenario, Some(variants));
    // 2 variants × 2 replications: one shard to one a pair.
    for count in 1..=4 {
        let Merged::Comparison(comparison) = merged(&inputs, count) else {
            panic!("a comparison's parts merge into a comparison");
        };
        assert_eq!(
            compare::json(&comparison),
            compare::json(&whole),
            "{count} shards"
        );
        assert_eq!(
            compare::text(&comparison),
            compare::text(&whole),
            "{count} shards"
        );
    }
}
