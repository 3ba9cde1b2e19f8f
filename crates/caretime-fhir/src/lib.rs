//! caretime's FHIR R4 (4.0.1) wire types: the only crate that knows FHIR JSON.
//!
//! Hand-written serde structs, not generated ones: generated FHIR crates cost a minute or more of
//! compile per edit, and this project needs some fifteen resource types, not all of FHIR.
//!
//! - [`resource::Resource`] is any resource, read by its `resourceType`; every resource type
//!   (`Appointment`, `Slot`, `Schedule`, `Patient`, `Practitioner`, ..., `Bundle`, `Parameters`,
//!   `OperationOutcome`, `CapabilityStatement`) is a struct with public fields that implements
//!   [`resource::FhirResource`]. [`parse`] reads one type, [`Resource::from_json`] any.
//! - [`scheduling`] holds the scheduling resources with their status codes as enums
//!   ([`scheduling::AppointmentStatus`] with `noshow` and `entered-in-error`,
//!   [`scheduling::SlotStatus`]); [`administration`] the people and places; [`datatypes`] the
//!   datatypes they share.
//! - [`bundle::Bundle`] (searchset helpers), [`parameters::Parameters`] (the IHE ITI
//!   scheduling operations' `value[x]` choices as [`parameters::ParameterValue`]) and
//!   [`outcome::OperationOutcome`] (`OperationOutcome::error`) are what the server's operations
//!   take and return.
//! - [`bulk`] is SMART Scheduling Links: the `$bulk-publish` manifest and NDJSON.
//! - [`FhirError`] names the path of a bad field and never a value: resources hold PHI.
//!
//! Lenient on input, strict on output: unknown fields are skipped, resource types this crate
//! does not model are kept as JSON ([`Resource::Other`]), and `extension` and
//! `modifierExtension` are kept as their JSON and written back. Output always has its
//! `resourceType`, never a null or an empty list, and codes from required value sets the
//! server produces are Rust enums. Dates and times are kept as the text that came in.
//!
//! Of caretime's own types only the engine's appointment status converts here (`From` and
//! `TryFrom` with [`scheduling::AppointmentStatus`]). Not here: the rest of the mapping between
//! the book and FHIR (the server does it, with this crate's types on one side), HTTP, and
//! validation beyond the JSON's shape and those codes (cardinalities other than required fields,
//! invariants, terminology).

#[macro_use]
mod macros;

pub mod administration;
pub mod audit;
pub mod bulk;
pub mod bundle;
pub mod capability;
pub mod datatypes;
pub mod error;
pub mod outcome;
pub mod parameters;
pub mod resource;
pub mod scheduling;

use serde::Serialize;
use serde::de::DeserializeOwned;

pub use error::FhirError;
pub use resource::{FhirResource, Resource};

/// Reads a resource of type `T` from JSON text, refusing JSON of another `resourceType`.
pub fn parse<T: FhirResource>(text: &str) -> Result<T, FhirError> {
    let resource = Resource::from_json(text)?;
    T::from_resource(resource).map_err(|other| FhirError::WrongResourceType {
        expected: T::RESOURCE_TYPE,
        found: other.known_type_name(),
    })
}

/// Reads any JSON this crate models (a resource, a [`bulk::BulkPublishManifest`], ...) from
/// text, with errors that name the path and never a value.
pub fn from_json<T: DeserializeOwned>(text: &str) -> Result<T, FhirError> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let value: T =
        serde_path_to_error::deserialize(&mut deserializer).map_err(FhirError::from_serde)?;
    deserializer.end().map_err(|err| FhirError::Syntax {
        line: err.line(),
        column: err.column(),
    })?;
    Ok(value)
}

/// Compact JSON for any type of this crate.
pub fn to_json<T: Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string(value)
        .expect("this crate's types have string keys only, so they always serialize to JSON")
}

/// Indented JSON for any type of this crate.
pub fn to_json_pretty<T: Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string_pretty(value)
        .expect("this crate's types have string keys only, so they always serialize to JSON")
}
