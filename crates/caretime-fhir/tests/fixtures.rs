//! The official FHIR R4 examples and the SMART Scheduling Links example publication read into
//! this crate's types and write back to the same JSON (same fields and values; key order and
//! whitespace free). Any field a fixture uses that the types do not model would be dropped and
//! fail here.
//!
//! The fixtures are copied into `tests/fixtures/` (see its README) and read through
//! `CARGO_MANIFEST_DIR`, so these tests run on any clean clone.

use std::fs;
use std::path::{Path, PathBuf};

use caretime_fhir::administration::{
    HealthcareService, Location, Patient, Practitioner, PractitionerRole,
};
use caretime_fhir::audit::AuditEvent;
use caretime_fhir::bulk::{self, BulkPublishManifest};
use caretime_fhir::outcome::OperationOutcome;
use caretime_fhir::scheduling::{
    Appointment, AppointmentResponse, AppointmentStatus, Schedule, Slot, SlotStatus,
};
use caretime_fhir::{FhirResource, Resource};
use serde_json::Value;

fn fixtures(dir: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(dir)
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|err| panic!("cannot read {}: {err}", path.display()))
}

fn json(text: &str, what: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|err| panic!("{what} is not JSON: {err}"))
}

/// Where two JSON values first differ, as a path, or `None` if they are equal.
fn first_difference(expected: &Value, actual: &Value, path: &str) -> Option<String> {
    match (expected, actual) {
        (Value::Object(expected), Value::Object(actual)) => {
            for (key, value) in expected {
                let here = format!("{path}.{key}");
                match actual.get(key) {
                    None => return Some(format!("{here}: missing from the output")),
                    Some(other) => {
                        if let Some(found) = first_difference(value, other, &here) {
                            return Some(found);
                        }
                    }
                }
            }
            actual
                .keys()
                .find(|key| !expected.contains_key(*key))
                .map(|key| format!("{path}.{key}: added by the output"))
        }
        (Value::Array(expected), Value::Array(actual)) if expected.len() == actual.len() => {
            expected
                .iter()
                .zip(actual)
                .enumerate()
                .find_map(|(index, (value, other))| {
                    first_difference(value, other, &format!("{path}[{index}]"))
                })
        }
        _ if expected == actual => None,
        _ => Some(format!("{path}: {expected} became {actual}")),
    }
}

fn assert_same_json(expected: &Value, actual: &Value, what: &str) {
    if let Some(difference) = first_difference(expected, actual, "") {
        panic!("{what} does not round-trip: {difference}");
    }
}

/// Reads `text` as `T` (checking its `resourceType`) and writes it back as JSON.
fn typed_round_trip<T: FhirResource>(text: &str, what: &str) -> Value {
    let resource: T = caretime_fhir::parse(text)
        .unwrap_or_else(|err| panic!("{what} does not read as {}: {err}", T::RESOURCE_TYPE));
    json(&caretime_fhir::to_json(&resource), what)
}

/// Reads `text` as the type its `resourceType` names.
fn round_trip_as_own_type(resource_type: &str, text: &str, what: &str) -> Value {
    match resource_type {
        "Appointment" => typed_round_trip::<Appointment>(text, what),
        "AppointmentResponse" => typed_round_trip::<AppointmentResponse>(text, what),
        "AuditEvent" => typed_round_trip::<AuditEvent>(text, what),
        "HealthcareService" => typed_round_trip::<HealthcareService>(text, what),
        "Location" => typed_round_trip::<Location>(text, what),
        "OperationOutcome" => typed_round_trip::<OperationOutcome>(text, what),
        "Patient" => typed_round_trip::<Patient>(text, what),
        "Practitioner" => typed_round_trip::<Practitioner>(text, what),
        "PractitionerRole" => typed_round_trip::<PractitionerRole>(text, what),
        "Schedule" => typed_round_trip::<Schedule>(text, what),
        "Slot" => typed_round_trip::<Slot>(text, what),
        other => panic!("{what}: no test for resource type {other}"),
    }
}

#[test]
fn every_fhir_r4_example_round_trips_as_its_type_and_as_any_resource() {
    let dir = fixtures("fhir-r4");
    let mut paths: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|err| panic!("cannot list {}: {err}", dir.display()))
        .map(|entry| entry.expect("a directory entry of the fixtures").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    paths.sort();
    assert!(
        paths.len() >= 30,
        "expected the 30 fixtures, found {}",
        paths.len()
    );

    for path in &paths {
        let what = path
            .file_name()
            .expect("a fixture has a file name")
            .to_string_lossy()
            .into_owned();
        let text = read(path);
        let original = json(&text, &what);
        let resource_type = original["resourceType"]
            .as_str()
            .unwrap_or_else(|| panic!("{what} has no resourceType"));
        assert!(
            what.starts_with(&format!("{resource_type}-")),
            "{what}: named after its resourceType"
        );

        let typed = round_trip_as_own_type(resource_type, &text, &what);
        assert_same_json(&original, &typed, &what);

        let any = Resource::from_json(&text)
            .unwrap_or_else(|err| panic!("{what} does not read as a Resource: {err}"));
        assert_eq!(any.resource_type(), resource_type, "{what}");
        assert!(
            !matches!(any, Resource::Other(_)),
            "{what} read as an unmodelled resource"
        );
        assert_eq!(any.id(), original["id"].as_str(), "{what}");
        assert_same_json(&original, &json(&any.to_json(), &what), &what);
    }
}

#[test]
fn the_examples_keep_the_specs_quirks_and_primitive_extensions() {
    let dir = fixtures("fhir-r4");
    let booked: Appointment = caretime_fhir::parse(&read(&dir.join("Appointment-example.json")))
        .expect("the example Appointment reads");
    assert_eq!(booked.status, AppointmentStatus::Booked);

    let held: Slot = caretime_fhir::parse(&read(&dir.join("Slot-2.json"))).expect("Slot-2 reads");
    assert_eq!(held.status, SlotStatus::BusyTentative);
    let blocked: Slot =
        caretime_fhir::parse(&read(&dir.join("Slot-3.json"))).expect("Slot-3 reads");
    assert_eq!(blocked.status, SlotStatus::BusyUnavailable);

    // `_birthDate` (the time of birth) and `_family` on a contact's name are kept.
    let patient: Patient = caretime_fhir::parse(&read(&dir.join("Patient-example.json")))
        .expect("the example Patient reads");
    let birth = patient
        .birth_date_element
        .expect("the example Patient has extensions on its birth date");
    assert_eq!(
        birth.extension[0].url,
        "http://hl7.org/fhir/StructureDefinition/patient-birthTime"
    );
    let contact_name = patient.contact[0]
        .name
        .as_ref()
        .expect("the contact has a name");
    assert!(contact_name.family_element.is_some());

    // A contained resource is itself a Resource.
    let service: HealthcareService =
        caretime_fhir::parse(&read(&dir.join("HealthcareService-example.json")))
            .expect("the example HealthcareService reads");
    assert!(matches!(service.contained[0], Resource::Location(_)));
}

#[test]
fn the_smart_manifest_reads_and_round_trips() {
    let text = read(&fixtures("smart-scheduling-links").join("bulk-publish.json"));
    let manifest = BulkPublishManifest::from_json(&text).expect("the manifest reads");
    assert_eq!(manifest.transaction_time, "2021-04-22T14:28:21.582Z");
    let types: Vec<&str> = manifest
        .output
        .iter()
        .map(|output| output.resource_type.as_str())
        .collect();
    assert_eq!(
        types,
        [
            "Location", "Schedule", "Slot", "Slot", "Slot", "Slot", "Slot"
        ]
    );
    assert_eq!(
        manifest.output[2].extension.get("state"),
        Some(&serde_json::json!(["MA"]))
    );
    assert!(manifest.error.is_empty());
    assert_same_json(
        &json(&text, "bulk-publish.json"),
        &json(&caretime_fhir::to_json(&manifest), "the written manifest"),
        "bulk-publish.json",
    );
}

fn read_ndjson_fixture(name: &str) -> (String, Vec<Resource>) {
    let text = read(&fixtures("smart-scheduling-links").join(name));
    let resources =
        bulk::read_ndjson(&text).unwrap_or_else(|err| panic!("{name} does not read: {err}"));
    (text, resources)
}

#[test]
fn each_smart_ndjson_file_reads_as_its_type_and_round_trips() {
    for (name, resource_type) in [
        ("locations.ndjson", "Location"),
        ("schedules.ndjson", "Schedule"),
        ("slots-2021-W09.ndjson", "Slot"),
    ] {
        let (text, resources) = read_ndjson_fixture(name);
        let lines: Vec<&str> = text
            .lines()
            .filter(|line| !line.trim().is_empty())
            .collect();
        assert_eq!(
            resources.len(),
            lines.len(),
            "{name}: one resource per line"
        );
        for (index, (resource, line)) in resources.iter().zip(&lines).enumerate() {
            let what = format!("{name} line {}", index + 1);
            assert_eq!(resource.resource_type(), resource_type, "{what}");
            assert!(!matches!(resource, Resource::Other(_)), "{what}");
            assert_same_json(&json(line, &what), &json(&resource.to_json(), &what), &what);
        }

        // Written back as NDJSON, the file reads the same again.
        let written = bulk::write_ndjson(&resources);
        assert_eq!(
            bulk::read_ndjson(&written).expect("written NDJSON reads"),
            resources,
            "{name}"
        );
    }
}

#[test]
fn a_smart_slot_carries_its_booking_link_and_phone_as_plain_extensions() {
    let (_, resources) = read_ndjson_fixture("slots-2021-W09.ndjson");
    let Some(Resource::Slot(slot)) = resources.first() else {
        panic!("the first line is a Slot");
    };
    assert_eq!(slot.status, SlotStatus::Free);
    let value = |url: &str, key: &str| {
        slot.extension
            .iter()
            .find(|extension| extension.url == url)
            .and_then(|extension| extension.value(key))
            .cloned()
    };
    assert_eq!(
        value(bulk::BOOKING_DEEP_LINK, "valueUrl"),
        Some(Value::from(
            "https://ehr-portal.example.org/bookings?slot=1000000"
        ))
    );
    assert_eq!(
        value(bulk::BOOKING_PHONE, "valueString"),
        Some(Value::from("000-000-0000"))
    );
    assert_eq!(
        value(bulk::SLOT_CAPACITY, "valueInteger"),
        Some(Value::from(100))
    );
}
