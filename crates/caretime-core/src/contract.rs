//! Contract terms: the bargained shape of a clinician's week.

use crate::region::Fte;

/// An invalid set of contract terms.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContractError {
    /// A full-time week of zero minutes or more than 60 hours.
    #[error("a full-time week must be more than 0 and at most 60 hours")]
    WeekLength,
    /// Protected and meeting time that does not fit in the week.
    #[error("protected and meeting time ({0} min) exceed the full-time week ({1} min)")]
    Overfull(u64, u32),
}

/// Everything a contract is made of; [`Contract::new`] checks it. Minutes are per full-time week.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContractParts {
    /// Short name (`socal-2025`).
    pub name: String,
    /// Human title.
    pub title: String,
    /// Where the terms come from.
    pub source: String,
    /// Paid minutes in a full-time week (40 hours = 2400).
    pub full_time_minutes: u32,
    /// Protected non-appointment care minutes per full-time week (checked in templates).
    pub protected_minutes: u32,
    /// Meeting minutes per full-time week (shapes generated templates; not checked).
    pub meeting_minutes: u32,
    /// Urgent-hold one-hour slots per full-time week (shapes generated templates; not checked).
    pub urgent_hold_slots: u32,
}

/// Named contract terms (`socal-2025`: 5 protected hours per full-time 40-hour week).
///
/// Every term is per full-time week and pro-rated by FTE, rounding guarantees up to the minute.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Contract {
    parts: ContractParts,
}

impl Contract {
    /// A contract from its terms; rejects a week of 0 or over 60 hours and terms that overfill it.
    pub fn new(parts: ContractParts) -> Result<Contract, ContractError> {
        // Standard templates lay a week over five days; 60 hours keeps every day within the clock.
        if parts.full_time_minutes == 0 || parts.full_time_minutes > 60 * 60 {
            return Err(ContractError::WeekLength);
        }
        // In 64 bits: each term is a u32 from a file, and their sum must not wrap past the check.
        let reserved = u64::from(parts.protected_minutes)
            + u64::from(parts.meeting_minutes)
            + u64::from(parts.urgent_hold_slots) * 60;
        if reserved > u64::from(parts.full_time_minutes) {
            return Err(ContractError::Overfull(reserved, parts.full_time_minutes));
        }
        Ok(Contract { parts })
    }

    /// Short name (`socal-2025`).
    pub fn name(&self) -> &str {
        &self.parts.name
    }

    /// Human title.
    pub fn title(&self) -> &str {
        &self.parts.title
    }

    /// Where the terms come from.
    pub fn source(&self) -> &str {
        &self.parts.source
    }

    /// The terms for a full-time week.
    pub fn terms(&self) -> &ContractParts {
        &self.parts
    }

    /// Paid minutes a week at `fte`.
    pub fn paid_minutes(&self, fte: Fte) -> u32 {
        fte.pro_rate_minutes(self.parts.full_time_minutes)
    }

    /// Protected minutes a week a clinician at `fte` is owed.
    pub fn protected_minutes(&self, fte: Fte) -> u32 {
        fte.pro_rate_minutes(self.parts.protected_minutes)
    }

    /// Meeting minutes a week at `fte`.
    pub fn meeting_minutes(&self, fte: Fte) -> u32 {
        fte.pro_rate_minutes(self.parts.meeting_minutes)
    }

    /// Urgent-hold one-hour slots a week at `fte`, rounded to the nearest slot (half up).
    pub fn urgent_hold_slots(&self, fte: Fte) -> u32 {
        (self.parts.urgent_hold_slots * u32::from(fte.hundredths()) + 50) / 100
    }
}
