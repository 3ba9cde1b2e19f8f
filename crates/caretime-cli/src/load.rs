//! Finding rule sets, contracts and files by built-in name or by path.

use std::path::Path;

use anyhow::{Context, anyhow};
use caretime_core::contract::Contract;
use caretime_core::files::{self, FileError, builtin};
use caretime_core::quote::quote;
use caretime_core::rules::RuleSet;

/// Reads a file the user named; the error names the path.
pub(crate) fn read(path: &str) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read `{path}`"))
}

/// A built-in by name, else a file by path; `what` names the kind of file in errors.
fn named<T>(
    what: &str,
    name: &str,
    builtin: fn(&str) -> Option<T>,
    builtin_names: impl Iterator<Item = &'static str>,
    parse: fn(&str, &str) -> Result<T, FileError>,
) -> anyhow::Result<T> {
    if let Some(found) = builtin(name) {
        return Ok(found);
    }
    // Anything that looks like a path is read as one, so a typo in a path is reported as a
    // missing file rather than an unknown name.
    if name.ends_with(".toml") || name.contains('/') || Path::new(name).exists() {
        return Ok(parse(name, &read(name)?)?);
    }
    Err(anyhow!(
        "unknown {what} `{}` (built in: {}; or give the path of a {what} .toml file)",
        quote(name),
        builtin_names.collect::<Vec<_>>().join(", ")
    ))
}

/// A rule set by built-in name (`ca-dmhc`) or path to a rule set file.
pub(crate) fn rule_set(name: &str) -> anyhow::Result<RuleSet> {
    named(
        "rule set",
        name,
        builtin::rule_set,
        builtin::rule_set_names(),
        files::parse_rule_set,
    )
}

/// A contract by built-in name (`socal-2025`) or path to a contract file.
pub(crate) fn contract(name: &str) -> anyhow::Result<Contract> {
    named(
        "contract",
        name,
        builtin::contract,
        builtin::contract_names(),
        files::parse_contract,
    )
}
