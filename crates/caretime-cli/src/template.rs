//! `caretime template check`: a clinician's week against a contract and the facility's hours.

use caretime_core::contract::Contract;
use caretime_core::files;
use caretime_core::slug::Slug;
use caretime_core::template::{TemplateCheck, check_template, format_minutes};
use clap::Subcommand;
use serde::Serialize;

use crate::output::{Format, print, print_json};
use crate::{Outcome, load};

/// `caretime template ...`
#[derive(Debug, Subcommand)]
pub(crate) enum TemplateCommand {
    /// Check a template file against a contract and the facility's opening hours. Lists every
    /// violation and exits 1 when there is any; exits 0 when the template is valid.
    #[command(
        after_help = "Template file format (TOML):\n\n  fte = 1.0\n  [facility]\n  name = \"Los Angeles Medical Center\"\n  hours = { mon = \"08:00-18:00\", tue = \"08:00-18:00\" }\n  [week]\n  mon = [\"08:00-09:00 protected\", \"09:00-12:00 direct\", \"12:00-13:00 break\"]\n\nBlock kinds: direct, protected, group, meeting, urgent-hold, break. See examples/templates/."
    )]
    Check {
        /// The template file.
        file: String,
        /// Contract: a built-in name (see `caretime contracts list`) or a path to a contract file.
        #[arg(long, value_name = "NAME|PATH", default_value = "socal-2025")]
        contract: String,
    },
}

#[derive(Debug, Serialize)]
struct ViolationJson {
    code: &'static str,
    message: String,
}

#[derive(Debug, Serialize)]
struct CheckJson {
    file: String,
    contract: String,
    facility: Option<String>,
    fte: String,
    valid: bool,
    minutes: serde_json::Map<String, serde_json::Value>,
    paid_minutes: u32,
    allowed_paid_minutes: u32,
    required_protected_minutes: u32,
    violations: Vec<ViolationJson>,
    /// Violations found beyond the listed ones (`TemplateCheck::MAX_LISTED`); absent when none.
    #[serde(skip_serializing_if = "is_zero")]
    unlisted_violations: usize,
}

fn is_zero(count: &usize) -> bool {
    *count == 0
}

pub(crate) fn run(command: &TemplateCommand, format: Format) -> anyhow::Result<Outcome> {
    let TemplateCommand::Check { file, contract } = command;
    let contract: Contract = load::contract(contract)?;
    let document = files::parse_template(file, &load::read(file, load::Input::TEMPLATE)?)?;
    let check = check_template(&document.template, &contract, &document.hours);
    let report = CheckJson {
        file: file.clone(),
        contract: contract.name().to_owned(),
        facility: document.facility_name.clone(),
        fte: document.template.fte.to_string(),
        valid: check.is_valid(),
        minutes: check
            .minutes_by_kind
            .iter()
            .map(|(kind, minutes)| (kind.slug().to_owned(), (*minutes).into()))
            .collect(),
        paid_minutes: document.template.paid_minutes(),
        allowed_paid_minutes: check.allowed_paid_minutes,
        required_protected_minutes: check.required_protected_minutes,
        violations: check
            .violations
            .iter()
            .map(|v| ViolationJson {
                code: v.code(),
                message: v.to_string(),
            })
            .collect(),
        unlisted_violations: check.unlisted_violations,
    };
    match format {
        Format::Json => print_json(&report)?,
        Format::Text => print(&text(&report, &check))?,
    }
    Ok(if check.is_valid() {
        Outcome::Ok
    } else {
        Outcome::Violations
    })
}

fn text(report: &CheckJson, check: &TemplateCheck) -> String {
    let at = report
        .facility
        .as_ref()
        .map(|name| format!(" at {name}"))
        .unwrap_or_default();
    let mut out = format!(
        "{} ({} FTE{at}) against contract {}\n",
        report.file, report.fte, report.contract
    );
    let week: Vec<String> = check
        .minutes_by_kind
        .iter()
        .map(|(kind, minutes)| format!("{} {}", kind.slug(), format_minutes(*minutes)))
        .collect();
    out.push_str(&format!("  week: {}\n", week.join(", ")));
    out.push_str(&format!(
        "  paid {} of {} allowed; protected owed {}\n",
        format_minutes(report.paid_minutes),
        format_minutes(report.allowed_paid_minutes),
        format_minutes(report.required_protected_minutes)
    ));
    if check.is_valid() {
        out.push_str("valid: no violations\n");
    } else {
        let n = check.n_violations();
        out.push_str(&format!(
            "invalid: {n} violation{}\n",
            if n == 1 { "" } else { "s" }
        ));
        for violation in &check.violations {
            out.push_str(&format!("  - {violation}\n"));
        }
        if check.unlisted_violations > 0 {
            out.push_str(&format!("  ... and {} more\n", check.unlisted_violations));
        }
    }
    out
}
