//! Fuzz target for the scenario file reader.
//!
//! The inputs are arbitrary text, and the built-in scenarios mutated line by line (a number at its
//! edge, a value replaced, a key made up, a line dropped or doubled, the text cut or spliced). The
//! reader returns (no panic, no hang), an error is one line without control characters or the
//! member data planted in the file's comments, and a scenario it returns is one the model can run:
//! its dates are in range and its region's counts are within the generator's limits.
//!
//! The number of cases is `CARETIME_FUZZ_CASES` (64 by default; CI runs more).

use caretime_sim::model::Dates;
use caretime_sim::scenario::{BUILTIN, MAX_MEMBER_CANCELLATION, parse_scenario};
use proptest::prelude::*;

#[path = "../../caretime-core/tests/toml_fuzz/mod.rs"]
mod toml_fuzz;

use toml_fuzz::{check_error, config, mutate, mutation, planted};

fn check(text: &str) -> Result<(), TestCaseError> {
    match parse_scenario("fuzz.toml", text) {
        Ok(scenario) => {
            prop_assert!(Dates::of(&scenario).is_ok());
            prop_assert!(scenario.region.counts().is_ok());
            prop_assert!(scenario.attendance.member_cancellation <= MAX_MEMBER_CANCELLATION);
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
        base in 0..BUILTIN.len(),
        mutations in prop::collection::vec(mutation(), 1..4),
    ) {
        check(&mutate(&planted(BUILTIN[base].1), &mutations))?;
    }
}
