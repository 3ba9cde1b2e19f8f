//! The disruption file: who is unavailable, when and why (TOML).
//!
//! ```toml
//! reason = "strike"            # strike | leave | closure
//! first = "2025-12-08"         # first local date
//! last = "2025-12-19"          # last local date, inclusive
//! # Who: the union of any of these.
//! clinicians = [3, "clinician-7"]  # clinician ids: 7 and "clinician-7" are the same
//! facilities = [0]             # every clinician working at these facilities (0 or "facility-0")
//! internal-therapist-share = 0.85  # this share of internal non-physician clinicians,
//! seed = 1                         #   picked by this seed (the same seed picks the same people)
//! ```

use caretime_core::files::{FileError, parse_toml};
use caretime_core::id::{ClinicianId, FacilityId};
use caretime_core::region::{Affiliation, Discipline, Region};
use caretime_core::slug::Slug;
use caretime_core::time_input::parse_date;
use jiff::civil::Date;
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Deserialize;

use crate::{Disruption, DisruptionReason};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct DisruptionFile {
    reason: String,
    first: String,
    last: String,
    #[serde(default)]
    clinicians: Vec<ClinicianId>,
    #[serde(default)]
    facilities: Vec<FacilityId>,
    internal_therapist_share: Option<f64>,
    #[serde(default)]
    seed: u64,
}

fn date(file: &str, field: &str, text: &str) -> Result<Date, FileError> {
    parse_date(text)
        .map_err(|_| FileError::field(file, field, "expected a date such as \"2025-12-08\""))
}

/// A share of the region's internal non-physician clinicians, picked by `seed` (the same seed
/// picks the same people on every build), in pick order.
pub fn internal_therapists_by_share(region: &Region, share: f64, seed: u64) -> Vec<ClinicianId> {
    let mut therapists: Vec<ClinicianId> = region
        .clinicians
        .iter()
        .filter(|clinician| {
            clinician.affiliation == Affiliation::Internal
                && clinician.discipline != Discipline::Psychiatrist
        })
        .map(|clinician| clinician.id)
        .collect();
    // Fisher-Yates on raw words (not `rand`'s shuffle, whose draws may change between
    // versions).
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    for idx in (1..therapists.len()).rev() {
        let pick = (rng.next_u64() % (idx as u64 + 1)) as usize;
        therapists.swap(idx, pick);
    }
    let count = (share.clamp(0.0, 1.0) * therapists.len() as f64).round() as usize;
    therapists.truncate(count);
    therapists
}

/// Reads a disruption file against `region` (clinician and facility ids must exist).
pub fn read_disruption(file: &str, text: &str, region: &Region) -> Result<Disruption, FileError> {
    let parsed: DisruptionFile = parse_toml(file, text)?;
    let reason = DisruptionReason::from_slug(&parsed.reason).ok_or_else(|| {
        FileError::field(file, "reason", "expected one of: strike, leave, closure")
    })?;
    let first = date(file, "first", &parsed.first)?;
    let last = date(file, "last", &parsed.last)?;
    if last < first {
        return Err(FileError::field(
            file,
            "last",
            "the disruption ends before it starts",
        ));
    }
    let mut clinicians = Vec::new();
    for (idx, &id) in parsed.clinicians.iter().enumerate() {
        if id.index() >= region.clinicians.len() {
            return Err(FileError::field(
                file,
                &format!("clinicians[{idx}]"),
                format!("{id} is not in the region"),
            ));
        }
        clinicians.push(id);
    }
    for (idx, &id) in parsed.facilities.iter().enumerate() {
        if id.index() >= region.facilities.len() {
            return Err(FileError::field(
                file,
                &format!("facilities[{idx}]"),
                format!("{id} is not in the region"),
            ));
        }
        clinicians.extend(
            region
                .clinicians
                .iter()
                .filter(|clinician| clinician.facility == id)
                .map(|clinician| clinician.id),
        );
    }
    if let Some(share) = parsed.internal_therapist_share {
        if !(0.0..=1.0).contains(&share) {
            return Err(FileError::field(
                file,
                "internal-therapist-share",
                "expected a share from 0 to 1",
            ));
        }
        clinicians.extend(internal_therapists_by_share(region, share, parsed.seed));
    }
    clinicians.sort();
    clinicians.dedup();
    if clinicians.is_empty() {
        return Err(FileError::field(
            file,
            "",
            "nobody is disrupted: give clinicians, facilities or internal-therapist-share",
        ));
    }
    Ok(Disruption {
        clinicians,
        first,
        last,
        reason,
    })
}
