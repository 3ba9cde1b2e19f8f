//! Fuzz target for the disruption file reader.
//!
//! The inputs are arbitrary text, and the example disruption files mutated line by line (a number
//! at its edge, a value replaced, a key made up, a line dropped or doubled, the text cut or
//! spliced). The reader returns (no panic, no hang), an error is one line without control
//! characters or the member data planted in the file's comments, and a disruption it returns
//! names clinicians of the region, over dates in order.
//!
//! The number of cases is `CARETIME_FUZZ_CASES` (64 by default; CI runs more).

use std::sync::OnceLock;

use caretime_core::region::Region;
use caretime_region::generate::{RegionParams, generate};
use caretime_replan::disruption_file::read_disruption;
use proptest::prelude::*;

#[path = "../../caretime-core/tests/toml_fuzz/mod.rs"]
mod toml_fuzz;

use toml_fuzz::{check_error, config, mutate, mutation, planted};

const BASES: [&str; 3] = [
    include_str!("../../../examples/disruptions/socal-strike.toml"),
    include_str!("../../../examples/disruptions/clinic-closure.toml"),
    "reason = \"leave\"\nfirst = \"2025-12-01\"\nlast = \"2025-12-31\"\nclinicians = [0, 3, 7]\nfacilities = [1]\ninternal-therapist-share = 0.5\nseed = 9\n",
];

fn region() -> &'static Region {
    static REGION: OnceLock<Region> = OnceLock::new();
    REGION.get_or_init(|| generate(&RegionParams::socal(0.001, 1)).expect("the preset generates"))
}

fn check(text: &str) -> Result<(), TestCaseError> {
    let region = region();
    match read_disruption("fuzz.toml", text, region) {
        Ok(disruption) => {
            prop_assert!(disruption.first <= disruption.last);
            prop_assert!(!disruption.clinicians.is_empty());
            for clinician in &disruption.clinicians {
                prop_assert!(clinician.index() < region.clinicians.len());
            }
        }
        Err(err) => check_error(&err)?,
    }
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn the_reader_takes_any_text(text in "\\PC{0,200}") {
        check(&text)?;
    }

    #[test]
    fn the_reader_takes_mutated_files(
        base in 0..BASES.len(),
        mutations in prop::collection::vec(mutation(), 1..4),
    ) {
        check(&mutate(&planted(BASES[base]), &mutations))?;
    }
}
