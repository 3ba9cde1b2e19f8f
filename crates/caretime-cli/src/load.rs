//! Finding rule sets, contracts and files by built-in name or by path.

use std::path::Path;

use anyhow::{Context, anyhow};
use caretime_core::contract::Contract;
use caretime_core::files::{self, builtin};
use caretime_core::rules::RuleSet;

/// Reads a file the user named; the error names the path.
pub(crate) fn read(path: &str) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read `{path}`"))
}

/// Whether `name` looks like a path rather than a built-in name.
fn is_path(name: &str) -> bool {
    name.ends_with(".toml") || name.contains('/') || Path::new(name).exists()
}

/// A rule set by built-in name (`ca-dmhc`) or path to a rule set file.
pub(crate) fn rule_set(name: &str) -> anyhow::Result<RuleSet> {
    if let Some(rule_set) = builtin::rule_set(name) {
        return Ok(rule_set);
    }
    if is_path(name) {
        return Ok(files::parse_rule_set(name, &read(name)?)?);
    }
    Err(anyhow!(
        "unknown rule set `{name}` (built in: {}; or give the path of a rule set .toml file)",
        builtin::rule_set_names().collect::<Vec<_>>().join(", ")
    ))
}

/// A contract by built-in name (`socal-2025`) or path to a contract file.
pub(crate) fn contract(name: &str) -> anyhow::Result<Contract> {
    if let Some(contract) = builtin::contract(name) {
        return Ok(contract);
    }
    if is_path(name) {
        return Ok(files::parse_contract(name, &read(name)?)?);
    }
    Err(anyhow!(
        "unknown contract `{name}` (built in: {}; or give the path of a contract .toml file)",
        builtin::contract_names().collect::<Vec<_>>().join(", ")
    ))
}
