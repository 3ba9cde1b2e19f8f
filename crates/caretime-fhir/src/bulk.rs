//! SMART Scheduling Links: a publisher's `$bulk-publish` manifest ([`BulkPublishManifest`])
//! lists NDJSON files of Locations, Schedules and Slots (one resource per line), which
//! [`read_ndjson`] reads and [`write_ndjson`] writes.
//!
//! Source: <https://github.com/smart-on-fhir/smart-scheduling-links>, `specification.md`. A
//! Slot there is a plain FHIR Slot with status `free` or `busy`; its booking link, booking phone
//! and capacity are plain FHIR extensions on it, with the URLs below.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::FhirError;
use crate::resource::Resource;

/// Slot extension (`valueUrl`): a deep link into the provider's booking portal for this slot.
pub const BOOKING_DEEP_LINK: &str =
    "http://fhir-registry.smarthealthit.org/StructureDefinition/booking-deep-link";
/// Slot extension (`valueString`): a phone number to book this slot.
pub const BOOKING_PHONE: &str =
    "http://fhir-registry.smarthealthit.org/StructureDefinition/booking-phone";
/// Slot extension (`valueInteger`): how many identical slots this one stands for.
pub const SLOT_CAPACITY: &str =
    "http://fhir-registry.smarthealthit.org/StructureDefinition/slot-capacity";

/// The manifest served at `$bulk-publish`: when the data set was published and where its files
/// are. `output` and `error` are always written, empty or not, as the spec's example does.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BulkPublishManifest {
    /// When the data set was published (an instant).
    pub transaction_time: String,
    /// The manifest's own full URL.
    pub request: String,
    /// The data files.
    #[serde(default)]
    pub output: Vec<BulkOutput>,
    /// Files of OperationOutcomes about errors, usually none.
    #[serde(default)]
    pub error: Vec<BulkOutput>,
}

/// One file listed in a manifest.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BulkOutput {
    /// The resource type of every line (`Location`, `Schedule`, `Slot`).
    #[serde(rename = "type")]
    pub resource_type: String,
    /// The file's full URL.
    pub url: String,
    /// A plain JSON object (not FHIR extensions) of hints for clients, e.g.
    /// `{"state": ["MA"]}`.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub extension: Map<String, Value>,
}

impl BulkPublishManifest {
    /// Reads a manifest from JSON text.
    pub fn from_json(text: &str) -> Result<BulkPublishManifest, FhirError> {
        crate::from_json(text)
    }
}

/// Reads NDJSON: one resource per line. Blank lines are skipped; a bad line is an error naming
/// its (1-based) line number.
pub fn read_ndjson(text: &str) -> Result<Vec<Resource>, FhirError> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(index, line)| {
            Resource::from_json(line).map_err(|err| FhirError::Line {
                line: index + 1,
                source: Box::new(err),
            })
        })
        .collect()
}

/// Writes NDJSON: each item as compact JSON on its own line, each line ending in `\n`.
pub fn write_ndjson<'a, T: Serialize + 'a>(items: impl IntoIterator<Item = &'a T>) -> String {
    let mut out = String::new();
    for item in items {
        out.push_str(&crate::to_json(item));
        out.push('\n');
    }
    out
}
