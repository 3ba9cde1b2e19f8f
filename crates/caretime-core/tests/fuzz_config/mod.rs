//! How long every fuzz target runs, and what its errors may be: included by path from each
//! crate's `tests/fuzz.rs` (core, flow, region; replan's and sim's through `toml_fuzz`).

#![allow(dead_code, unreachable_pub, reason = "each target uses what it needs")]

use proptest::prelude::{ProptestConfig, TestCaseError, prop_assert, prop_assert_eq};

/// Cases per target: `CARETIME_FUZZ_CASES`, 64 without it (CI runs more).
pub(crate) fn cases() -> u32 {
    std::env::var("CARETIME_FUZZ_CASES")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(64)
}

/// proptest's configuration for a fuzz target: [`cases`] cases, no regression files written.
pub(crate) fn config() -> ProptestConfig {
    ProptestConfig {
        cases: cases(),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// The longest error a reader may give, in bytes: a line someone reads.
pub(crate) const MAX_ERROR_BYTES: usize = 1_500;

/// What every reader promises of an error message: one line, no control characters, at most
/// `max_bytes` bytes, and none of `secrets` (member data planted in the input).
pub(crate) fn check_message(
    shown: &str,
    max_bytes: usize,
    secrets: &[impl AsRef<str>],
) -> Result<(), TestCaseError> {
    prop_assert_eq!(shown.lines().count(), 1, "{:?}", shown);
    prop_assert!(!shown.chars().any(char::is_control), "{:?}", shown);
    prop_assert!(shown.len() <= max_bytes, "{} bytes", shown.len());
    for secret in secrets {
        let secret = secret.as_ref();
        prop_assert!(!shown.contains(secret), "{:?} quotes {}", shown, secret);
    }
    Ok(())
}
