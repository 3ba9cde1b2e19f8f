//! What the server will write: built resources serialize with `resourceType` first, no nulls and
//! nothing empty, codes spelled as FHIR spells them, and one `value[x]` per parameter. The
//! snapshots (`tests/snapshots/`) are the exact JSON.

use caretime_fhir::bulk::{self, BulkOutput, BulkPublishManifest};
use caretime_fhir::bundle::{Bundle, BundleEntry, BundleType};
use caretime_fhir::capability::{CapabilitySoftware, CapabilityStatement};
use caretime_fhir::datatypes::{CodeableConcept, Coding, Extension, Period, Reference};
use caretime_fhir::outcome::{IssueSeverity, IssueType, OperationOutcome};
use caretime_fhir::parameters::{Parameter, ParameterValue, Parameters};
use caretime_fhir::scheduling::{
    Appointment, AppointmentParticipant, AppointmentStatus, ParticipantRequired,
    ParticipationStatus, Slot, SlotStatus,
};
use caretime_fhir::{FhirResource, Resource};
use serde_json::Value;

/// Every object, array and string in `json` is non-empty and nothing is null; returns the path
/// of the first offence.
fn first_empty_or_null(json: &Value, path: &str) -> Option<String> {
    match json {
        Value::Null => Some(format!("{path}: null")),
        Value::String(text) if text.is_empty() => Some(format!("{path}: empty string")),
        Value::Array(items) if items.is_empty() => Some(format!("{path}: empty list")),
        Value::Object(fields) if fields.is_empty() => Some(format!("{path}: empty object")),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(index, item)| first_empty_or_null(item, &format!("{path}[{index}]"))),
        Value::Object(fields) => fields
            .iter()
            .find_map(|(key, value)| first_empty_or_null(value, &format!("{path}.{key}"))),
        _ => None,
    }
}

/// The resource as indented JSON, after checking it is strict: `resourceType` first, nothing
/// null or empty, and it reads back to itself both as its type and as any resource.
fn strict_json<T: FhirResource + Clone + PartialEq + std::fmt::Debug>(resource: &T) -> String {
    let text = caretime_fhir::to_json_pretty(resource);
    let first_line = text.lines().nth(1).expect("a resource has fields");
    assert_eq!(
        first_line.trim(),
        format!("\"resourceType\": \"{}\",", T::RESOURCE_TYPE),
        "resourceType comes first"
    );
    let json: Value = serde_json::from_str(&text).expect("the output is JSON");
    if let Some(offence) = first_empty_or_null(&json, "") {
        panic!("strict output has {offence}");
    }
    let again: T = caretime_fhir::parse(&text).expect("the output reads back");
    assert_eq!(
        &again, resource,
        "the output reads back to the same resource"
    );
    let any = Resource::from_json(&text).expect("the output reads as any resource");
    assert_eq!(any, resource.clone().into());
    text
}

fn booked_intake() -> Appointment {
    let mut appointment = Appointment::new(
        AppointmentStatus::Booked,
        vec![
            AppointmentParticipant {
                required: Some(ParticipantRequired::Required),
                ..AppointmentParticipant::new(
                    Reference::to("Patient", "m-1042"),
                    ParticipationStatus::Accepted,
                )
            },
            AppointmentParticipant {
                required: Some(ParticipantRequired::Required),
                ..AppointmentParticipant::new(
                    Reference::to("Practitioner", "c-17"),
                    ParticipationStatus::Accepted,
                )
            },
        ],
    );
    appointment.id = Some("a-90001".to_owned());
    appointment.appointment_type = Some(CodeableConcept::coding(Coding::new(
        "http://terminology.hl7.org/CodeSystem/v2-0276",
        "ROUTINE",
    )));
    appointment.start = Some("2024-11-04T09:00:00-08:00".to_owned());
    appointment.end = Some("2024-11-04T10:00:00-08:00".to_owned());
    appointment.minutes_duration = Some(60);
    appointment.slot = vec![Reference::to("Slot", "s-17-20241104-0900")];
    appointment
}

#[test]
fn a_booked_appointment_is_written_strictly() {
    insta::assert_snapshot!(strict_json(&booked_intake()));
}

#[test]
fn a_cancelled_appointment_writes_cancelation_reason_with_one_l() {
    let mut appointment = booked_intake();
    appointment.status = AppointmentStatus::Cancelled;
    appointment.cancellation_reason = Some(CodeableConcept::coding(Coding::new(
        "http://terminology.hl7.org/CodeSystem/appointment-cancellation-reason",
        "prov",
    )));
    let text = strict_json(&appointment);
    assert!(text.contains("\"cancelationReason\": {"), "{text}");
    assert!(!text.contains("\"cancellationReason\""), "{text}");
}

#[test]
fn every_appointment_status_is_written_as_fhir_spells_it() {
    let written: Vec<String> = AppointmentStatus::ALL
        .iter()
        .map(|status| {
            let mut appointment = booked_intake();
            appointment.status = *status;
            let json: Value = serde_json::from_str(&caretime_fhir::to_json(&appointment))
                .expect("the output is JSON");
            json["status"].as_str().expect("status is text").to_owned()
        })
        .collect();
    assert_eq!(
        written,
        [
            "proposed",
            "pending",
            "booked",
            "arrived",
            "fulfilled",
            "cancelled",
            "noshow",
            "entered-in-error",
            "checked-in",
            "waitlist",
        ]
    );
    let slot_codes: Vec<&str> = SlotStatus::ALL.iter().map(|status| status.code()).collect();
    assert_eq!(
        slot_codes,
        [
            "busy",
            "free",
            "busy-unavailable",
            "busy-tentative",
            "entered-in-error"
        ]
    );
}

#[test]
fn protected_time_is_a_busy_unavailable_slot() {
    let mut slot = Slot::new(
        Reference::to("Schedule", "c-17"),
        SlotStatus::BusyUnavailable,
        "2024-11-04T08:00:00-08:00",
        "2024-11-04T09:00:00-08:00",
    );
    slot.id = Some("s-17-20241104-0800".to_owned());
    slot.comment = Some("protected".to_owned());
    insta::assert_snapshot!(strict_json(&slot));
}

#[test]
fn a_published_slot_carries_smart_extensions() {
    let mut slot = Slot::new(
        Reference::to("Schedule", "c-17"),
        SlotStatus::Free,
        "2024-11-04T10:00:00-08:00",
        "2024-11-04T11:00:00-08:00",
    );
    slot.id = Some("s-17-20241104-1000".to_owned());
    slot.extension = vec![
        Extension::with_value(
            bulk::BOOKING_DEEP_LINK,
            "valueUrl",
            "https://caretime.example.org/book?slot=s-17-20241104-1000",
        ),
        Extension::with_value(bulk::BOOKING_PHONE, "valueString", "000-000-0000"),
    ];
    insta::assert_snapshot!(strict_json(&slot));
}

#[test]
fn a_running_server_describes_its_implementation() {
    // R4 invariant cpb-14: a statement of kind `instance` has an `implementation`.
    let software = CapabilitySoftware {
        name: "caretime".to_owned(),
        ..CapabilitySoftware::default()
    };
    let statement = CapabilityStatement::server("2025-12-01T16:00:00Z", software);
    let json: Value = serde_json::from_str(&strict_json(&statement)).expect("JSON");
    assert_eq!(json["kind"], "instance");
    assert_eq!(
        json["implementation"]["description"],
        "a running caretime server"
    );
}

#[test]
fn a_lost_race_is_an_error_outcome_with_code_conflict() {
    let outcome = OperationOutcome::error(
        IssueType::Conflict,
        "the slot was booked by another request; search again",
    );
    assert_eq!(outcome.issue[0].severity, IssueSeverity::Error);
    insta::assert_snapshot!(strict_json(&outcome));
}

#[test]
fn a_find_result_is_a_searchset_with_total_and_links() {
    let mut proposed = booked_intake();
    proposed.status = AppointmentStatus::Proposed;
    proposed.id = None;
    let bundle = Bundle::searchset(
        7,
        "https://caretime.example.org/fhir/Appointment/$find?_count=1",
        vec![BundleEntry {
            resource: Some(proposed.into()),
            ..BundleEntry::default()
        }],
    )
    .with_link(
        "next",
        "https://caretime.example.org/fhir/Appointment/$find?_count=1&page=2",
    );
    assert_eq!(bundle.type_, BundleType::Searchset);
    assert_eq!(
        bundle.link_url("next"),
        Some("https://caretime.example.org/fhir/Appointment/$find?_count=1&page=2")
    );
    assert_eq!(bundle.resources().count(), 1);
    insta::assert_snapshot!(strict_json(&bundle));
}

#[test]
fn a_search_match_entry_has_its_full_url_and_mode() {
    let entry = BundleEntry::matched(
        "https://caretime.example.org/fhir/Appointment/a-90001",
        booked_intake(),
    );
    let json: Value =
        serde_json::from_str(&caretime_fhir::to_json(&entry)).expect("the output is JSON");
    assert_eq!(json["search"], serde_json::json!({"mode": "match"}));
    assert_eq!(json["resource"]["resourceType"], "Appointment");
}

#[test]
fn find_parameters_write_one_value_each_and_read_back() {
    let parameters = Parameters::new(vec![
        Parameter::value(
            "start",
            ParameterValue::Instant("2024-11-04T00:00:00-08:00".to_owned()),
        ),
        Parameter::value(
            "end",
            ParameterValue::Instant("2024-11-18T00:00:00-08:00".to_owned()),
        ),
        Parameter::value(
            "specialty",
            ParameterValue::CodeableConcept(CodeableConcept::text("psychotherapy")),
        ),
        Parameter::value(
            "patient-reference",
            ParameterValue::Reference(Reference::to("Patient", "m-1042")),
        ),
        Parameter::value("_count", ParameterValue::PositiveInt(3)),
        Parameter::resource("appointment-resource", booked_intake()),
        Parameter::parts(
            "window",
            vec![Parameter::value(
                "period",
                ParameterValue::Period(Period::new(
                    "2024-11-04T09:00:00-08:00",
                    "2024-11-04T17:00:00-08:00",
                )),
            )],
        ),
    ]);
    let text = strict_json(&parameters);
    let json: Value = serde_json::from_str(&text).expect("the output is JSON");
    for parameter in json["parameter"].as_array().expect("parameter is a list") {
        let values = parameter
            .as_object()
            .expect("a parameter is an object")
            .keys()
            .filter(|key| key.starts_with("value"))
            .count();
        assert!(values <= 1, "at most one value[x]: {parameter}");
    }
    assert_eq!(
        parameters.get("_count").and_then(|p| p.value.clone()),
        Some(ParameterValue::PositiveInt(3))
    );
    assert_eq!(
        parameters
            .get("start")
            .and_then(|p| p.value.as_ref())
            .and_then(ParameterValue::as_str),
        Some("2024-11-04T00:00:00-08:00")
    );
    insta::assert_snapshot!(text);
}

#[test]
fn a_parameter_value_of_another_type_is_kept_as_json() {
    let text =
        r#"{"resourceType":"Parameters","parameter":[{"name":"score","valueDecimal":0.75}]}"#;
    let parameters: Parameters = caretime_fhir::parse(text).expect("reads");
    assert_eq!(
        parameters.parameter[0].value,
        Some(ParameterValue::Other {
            key: "valueDecimal".to_owned(),
            json: serde_json::json!(0.75),
        })
    );
    assert_eq!(caretime_fhir::to_json(&parameters), text);
}

#[test]
fn a_manifest_always_writes_output_and_error() {
    let manifest = BulkPublishManifest {
        transaction_time: "2024-11-04T06:00:00Z".to_owned(),
        request: "https://caretime.example.org/fhir/$bulk-publish".to_owned(),
        output: vec![BulkOutput {
            resource_type: "Slot".to_owned(),
            url: "https://caretime.example.org/fhir/slots.ndjson".to_owned(),
            extension: serde_json::Map::new(),
        }],
        error: Vec::new(),
    };
    assert_eq!(
        caretime_fhir::to_json(&manifest),
        r#"{"transactionTime":"2024-11-04T06:00:00Z","request":"https://caretime.example.org/fhir/$bulk-publish","output":[{"type":"Slot","url":"https://caretime.example.org/fhir/slots.ndjson"}],"error":[]}"#
    );
}

#[test]
fn the_engines_statuses_are_written_with_the_engines_fhir_codes() {
    use caretime_engine::book::AppointmentStatus as Engine;
    for engine in [
        Engine::Proposed,
        Engine::Pending,
        Engine::Booked,
        Engine::Arrived,
        Engine::Fulfilled,
        Engine::Cancelled,
        Engine::NoShow,
        Engine::EnteredInError,
    ] {
        let fhir = AppointmentStatus::from(engine);
        assert_eq!(fhir.code(), engine.code());
        assert_eq!(Engine::try_from(fhir), Ok(engine));
    }
    for fhir in [AppointmentStatus::CheckedIn, AppointmentStatus::Waitlist] {
        assert_eq!(Engine::try_from(fhir), Err(fhir));
    }
}
