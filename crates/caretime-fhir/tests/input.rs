//! What the server will read from clients: lenient where FHIR allows (unknown fields, any key
//! order, unmodelled resource types), and when the input is wrong, an error that names the path
//! and what was expected but never a value, since any value may be PHI.

use caretime_fhir::bulk;
use caretime_fhir::parameters::Parameters;
use caretime_fhir::scheduling::{Appointment, AppointmentStatus, Slot};
use caretime_fhir::{FhirError, Resource};

/// A name that must never show up in an error.
const SECRET: &str = "Jose Kim";

/// The error's message and debug form, after checking neither holds `secret`.
fn shown(err: &FhirError, secret: &str) -> String {
    let message = err.to_string();
    let debug = format!("{err:?}");
    assert!(
        !message.contains(secret) && !debug.contains(secret),
        "the error quotes the input: {message} / {debug}"
    );
    assert!(!message.contains('\n'), "one line: {message}");
    message
}

fn invalid(err: &FhirError) -> (&str, &str) {
    match err {
        FhirError::Invalid { path, reason, .. } => (path, reason),
        other => panic!("expected an invalid-field error, got {other:?}"),
    }
}

const SLOT: &str = r#"{
  "resourceType": "Slot",
  "schedule": {"reference": "Schedule/c-17"},
  "status": "free",
  "start": "2024-11-04T10:00:00-08:00",
  "end": "2024-11-04T11:00:00-08:00"
}"#;

#[test]
fn unknown_fields_are_skipped_anywhere() {
    let text = SLOT
        .replace(
            "\"status\"",
            "\"somethingNew\": {\"deep\": [1, 2]}, \"status\"",
        )
        .replace(
            "\"reference\": \"Schedule/c-17\"",
            "\"reference\": \"Schedule/c-17\", \"_reference\": {\"id\": \"x\"}, \"note\": 3",
        );
    let slot: Slot = caretime_fhir::parse(&text).expect("unknown fields are skipped");
    let plain: Slot = caretime_fhir::parse(SLOT).expect("the plain slot reads");
    assert_eq!(slot, plain);
    assert!(!caretime_fhir::to_json(&slot).contains("somethingNew"));
}

#[test]
fn resource_type_may_come_last() {
    let text = r#"{"status":"free","schedule":{"reference":"Schedule/c-17"},
        "start":"2024-11-04T10:00:00-08:00","end":"2024-11-04T11:00:00-08:00",
        "resourceType":"Slot"}"#;
    let slot: Slot = caretime_fhir::parse(text).expect("resourceType may come last");
    assert_eq!(slot, caretime_fhir::parse::<Slot>(SLOT).expect("reads"));
}

#[test]
fn errors_in_fields_before_resource_type_keep_their_path() {
    let text = format!(
        r#"{{"resourceType":"Bundle","type":"collection","entry":[{{"resource":{{
            "participant":[{{"actor":{{"display":"Jose Kim"}},"status":"{SECRET}"}}],
            "status":"booked","resourceType":"Appointment"}}}}]}}"#
    );
    let err = Resource::from_json(&text).expect_err("not a participation status");
    shown(&err, SECRET);
    let (path, reason) = invalid(&err);
    assert_eq!(path, "entry[0].resource.participant[0].status");
    assert!(
        reason.starts_with("unknown code, expected one of"),
        "{reason}"
    );

    let text = r#"{"participant":[{"actor":{"display":"Jose Kim"}}],
        "resourceType":"Appointment","status":"booked"}"#;
    let err = Resource::from_json(text).expect_err("a participant needs a status");
    shown(&err, SECRET);
    assert_eq!(invalid(&err).0, "participant[0].status");
}

#[test]
fn a_bad_code_names_the_field_and_the_codes_not_the_value() {
    let text = SLOT.replace("\"free\"", &format!("\"{SECRET}\""));
    let err = caretime_fhir::parse::<Slot>(&text).expect_err("not a slot status");
    let message = shown(&err, SECRET);
    let (path, reason) = invalid(&err);
    assert_eq!(path, "status");
    assert!(
        reason.starts_with("unknown code, expected one of"),
        "{reason}"
    );
    assert!(reason.contains("busy-unavailable"), "{reason}");
    assert!(message.contains("line 4"), "{message}");
}

#[test]
fn a_value_of_the_wrong_type_names_the_path_not_the_value() {
    let text = r#"{"resourceType":"Appointment","status":"booked","priority":"Jose Kim",
        "participant":[{"status":"accepted"}]}"#;
    let err = caretime_fhir::parse::<Appointment>(text).expect_err("priority is a number");
    shown(&err, SECRET);
    let (path, reason) = invalid(&err);
    assert_eq!(path, "priority");
    assert!(reason.starts_with("wrong JSON type, expected"), "{reason}");
}

#[test]
fn a_value_that_tries_to_look_like_the_expectation_is_not_quoted() {
    let text = SLOT.replace("\"free\"", "\"x`, expected Jose Kim\"");
    let err = caretime_fhir::parse::<Slot>(&text).expect_err("not a slot status");
    shown(&err, SECRET);
}

#[test]
fn a_missing_required_field_is_named_on_the_path() {
    let text = r#"{"resourceType":"Appointment","status":"booked",
        "participant":[{"actor":{"reference":"Patient/m-1042","display":"Jose Kim"}}]}"#;
    let err = caretime_fhir::parse::<Appointment>(text).expect_err("a participant needs a status");
    shown(&err, SECRET);
    let (path, reason) = invalid(&err);
    assert_eq!(path, "participant[0].status");
    assert_eq!(reason, "missing field `status`");
}

#[test]
fn an_error_inside_a_bundle_entry_keeps_the_whole_path() {
    let text = format!(
        r#"{{"resourceType":"Bundle","type":"searchset","entry":[
            {{"resource":{SLOT}}},
            {{"resource":{{"resourceType":"Appointment","status":"booked",
              "participant":[{{"status":"{SECRET}"}}]}}}}]}}"#
    );
    let err = Resource::from_json(&text).expect_err("not a participation status");
    shown(&err, SECRET);
    let (path, _) = invalid(&err);
    assert_eq!(path, "entry[1].resource.participant[0].status");
}

#[test]
fn a_resource_without_a_type_is_refused() {
    let err = Resource::from_json(r#"{"id":"17","name":[{"family":"Kim"}]}"#)
        .expect_err("no resourceType");
    let (path, reason) = invalid(&err);
    assert_eq!(path, "resourceType");
    assert_eq!(reason, "missing field `resourceType`");
}

#[test]
fn malformed_json_gives_its_position_only() {
    let text = format!("{{\"resourceType\": \"Patient\",\n \"name\": [{{\"text\": \"{SECRET}\" }}");
    let err = Resource::from_json(&text).expect_err("not JSON");
    let message = shown(&err, SECRET);
    assert!(
        matches!(err, FhirError::Syntax { line: 2, .. }),
        "{message}"
    );
}

#[test]
fn trailing_text_after_the_resource_is_refused() {
    let err = Resource::from_json(&format!("{SLOT} {SECRET}")).expect_err("trailing text");
    shown(&err, SECRET);
    assert!(matches!(err, FhirError::Syntax { .. }), "{err:?}");
}

#[test]
fn a_resource_of_another_type_is_refused_by_type() {
    let err = caretime_fhir::parse::<Appointment>(SLOT).expect_err("a Slot is no Appointment");
    assert_eq!(
        err.to_string(),
        "expected resource type Appointment, found Slot"
    );
}

#[test]
fn an_unmodelled_resource_type_is_kept_as_json() {
    let text =
        r#"{"resourceType":"Organization","id":"plan","name":"A health plan","active":true}"#;
    let resource = Resource::from_json(text).expect("any resource type reads");
    assert!(matches!(resource, Resource::Other(_)));
    assert_eq!(resource.resource_type(), "Organization");
    assert_eq!(resource.id(), Some("plan"));
    let again: serde_json::Value =
        serde_json::from_str(&resource.to_json()).expect("the output is JSON");
    let original: serde_json::Value = serde_json::from_str(text).expect("JSON");
    assert_eq!(again, original);

    let err = caretime_fhir::parse::<Slot>(text).expect_err("an Organization is no Slot");
    assert_eq!(
        err.to_string(),
        "expected resource type Slot, found one this crate does not model"
    );
}

#[test]
fn a_bad_ndjson_line_is_named_by_its_number() {
    let good = SLOT.replace('\n', "");
    let bad = good.replace("\"free\"", &format!("\"{SECRET}\""));
    let text = format!("{good}\n\n{bad}\n");
    let err = bulk::read_ndjson(&text).expect_err("line 3 is bad");
    let message = shown(&err, SECRET);
    assert!(matches!(err, FhirError::Line { line: 3, .. }), "{message}");
    assert!(
        message.starts_with("line 3: invalid FHIR at `status`"),
        "{message}"
    );
}

#[test]
fn a_parameter_with_two_values_is_refused() {
    let text = r#"{"resourceType":"Parameters","parameter":[
        {"name":"start","valueInstant":"2024-11-04T00:00:00Z"},
        {"name":"end","valueInstant":"2024-11-18T00:00:00Z","valueString":"Jose Kim"}]}"#;
    let err = caretime_fhir::parse::<Parameters>(text).expect_err("two value[x]");
    shown(&err, SECRET);
    let (path, reason) = invalid(&err);
    assert_eq!(path, "parameter[1]");
    assert_eq!(reason, "more than one value[x]");
}

#[test]
fn a_parameter_without_a_name_is_refused() {
    let text = r#"{"resourceType":"Parameters","parameter":[{"valueString":"Jose Kim"}]}"#;
    let err = caretime_fhir::parse::<Parameters>(text).expect_err("no name");
    shown(&err, SECRET);
    assert_eq!(invalid(&err).0, "parameter[0].name");
}

#[test]
fn an_appointment_reads_noshow_and_a_cancelation_reason() {
    let text = r#"{"resourceType":"Appointment","status":"noshow",
        "cancelationReason":{"text":"member cancelled"},
        "participant":[{"actor":{"reference":"Patient/m-1042"},"status":"accepted"}]}"#;
    let appointment: Appointment = caretime_fhir::parse(text).expect("reads");
    assert_eq!(appointment.status, AppointmentStatus::NoShow);
    assert_eq!(
        appointment
            .cancellation_reason
            .and_then(|reason| reason.text)
            .as_deref(),
        Some("member cancelled")
    );
}
