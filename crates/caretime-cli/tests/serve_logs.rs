//! No member data in the server's output: a region whose members carry distinctive names,
//! birth dates and plan numbers (canaries) is served with the most verbose log an operator would
//! set (`RUST_LOG=debug`), driven through reads, searches, bookings, a calendar and bad requests
//! naming those members, and neither the server's log nor any error it answers holds a canary.

use jiff::Timestamp;
use reqwest::StatusCode;
use serde_json::{Value, json};

mod serving;
mod support;

use serving::{Server, caretime, post, words};
use support::scratch;

const NAME: &str = "Canarywick";
const BIRTH_DATE: &str = "1903-07-19";
const PLAN_PREFIX: &str = "CANARYPN";

/// Whether `text` holds any canary.
fn leaks(text: &str) -> Option<&'static str> {
    [NAME, BIRTH_DATE, PLAN_PREFIX]
        .into_iter()
        .find(|canary| text.contains(canary))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_log_and_its_errors_hold_no_member_data() {
    let dir = scratch("serve_logs");
    let url = format!("sqlite://{}", dir.join("book.db").display());
    let region = dir.join("region.json");
    let region_text = region.to_str().expect("a UTF-8 path");
    let generate = "region generate --preset socal --scale 0.002 --seed 1 -o";
    caretime(&url, &[words(generate), vec![region_text]].concat());
    // Plant the canaries in every member.
    let mut doc: Value =
        serde_json::from_str(&std::fs::read_to_string(&region).expect("the region file"))
            .expect("JSON");
    for (n, member) in doc["members"]
        .as_array_mut()
        .expect("members")
        .iter_mut()
        .enumerate()
    {
        member["name"] = format!("Zebulon {NAME}{n}").into();
        member["birth_date"] = BIRTH_DATE.into();
        member["plan_number"] = format!("{PLAN_PREFIX}{n:06}").into();
    }
    std::fs::write(&region, doc.to_string()).expect("writes the region");
    let now = Timestamp::now().to_string();
    caretime(&url, &["import", region_text, "--now", &now]);
    let token = |args: &str| -> String {
        let added: Value =
            serde_json::from_str(&caretime(&url, &words(args))).expect("one JSON document");
        added["token"].as_str().expect("a token").to_owned()
    };
    let scheduler = token("--format json user add desk --role scheduler");
    let clinician = token("--format json user add dr-two --role clinician --clinician 2");

    let log = dir.join("serve.log");
    let server = Server::start_logging(&url, &log, "debug");
    let base = server.base.clone();
    let client = reqwest::Client::new();
    let mut errors = Vec::new();
    let mut get = async |path: &str, token: &str| -> (StatusCode, String) {
        let response = client
            .get(format!("{base}{path}"))
            .bearer_auth(token)
            .send()
            .await
            .expect("answers");
        let status = response.status();
        let body = response.text().await.expect("a body");
        if !status.is_success() {
            errors.push(body.clone());
        }
        (status, body)
    };

    // Reads that answer member data, as they should, to a scheduler.
    let (status, patient) = get("/Patient/5", &scheduler).await;
    assert_eq!(status, StatusCode::OK, "{patient}");
    assert!(
        patient.contains(NAME),
        "the scheduler reads the name: {patient}"
    );
    let plan = format!("{PLAN_PREFIX}000005");
    let (status, found) = get(&format!("/Patient?identifier={plan}"), &scheduler).await;
    assert_eq!(status, StatusCode::OK, "{found}");
    assert!(found.contains(&plan), "{found}");
    // Refusals and misses that name members.
    let (status, _) = get("/Patient/5", &clinician).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = get(&format!("/Patient?identifier={plan}"), &clinician).await;
    assert!(status.is_client_error(), "{status}");
    let (status, _) = get(
        &format!("/Patient?identifier={PLAN_PREFIX}999999"),
        &scheduler,
    )
    .await;
    assert!(status.is_success() || status.is_client_error(), "{status}");
    let (status, _) = get(&format!("/Patient?name=Zebulon%20{NAME}5"), &scheduler).await;
    assert!(status.is_client_error(), "no search by name: {status}");
    let (status, _) = get(&format!("/Patient?birthdate={BIRTH_DATE}"), &scheduler).await;
    assert!(
        status.is_client_error(),
        "no search by birth date: {status}"
    );
    let (status, _) = get("/Appointment?patient=Patient/5", &scheduler).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = get("/Practitioner/2/calendar.ics", &clinician).await;
    assert_eq!(status, StatusCode::OK);

    // Bookings, and bad bodies that carry member data.
    let find = json!({
        "resourceType": "Parameters",
        "parameter": [
            { "name": "patient-reference", "valueReference": { "reference": "Patient/5" } },
            { "name": "visit-type", "valueCoding": { "code": "initial" } },
        ]
    });
    let (status, bundle) = post(
        &client,
        format!("{base}/Appointment/$find"),
        &scheduler,
        &find,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{bundle}");
    if let Some(id) = bundle["entry"][0]["resource"]["id"].as_str() {
        let book = json!({ "resourceType": "Parameters", "parameter": [
            { "name": "appointment-reference", "valueReference": { "reference": format!("Appointment/{id}") } }
        ]});
        let (status, booked) = post(
            &client,
            format!("{base}/Appointment/$book"),
            &scheduler,
            &book,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{booked}");
    }
    let bad_bodies = [
        json!({ "resourceType": "Parameters", "parameter": [
            { "name": "patient-reference", "valueString": format!("Zebulon {NAME}5") },
            { "name": "visit-type", "valueCoding": { "code": BIRTH_DATE } },
        ]}),
        json!({ "resourceType": format!("Zebulon {NAME}5"), "birthDate": BIRTH_DATE }),
        json!({ "resourceType": "Parameters", "parameter": [
            { "name": "patient-resource", "resource": {
                "resourceType": "Patient",
                "name": [{ "text": format!("Zebulon {NAME}5") }],
                "birthDate": BIRTH_DATE,
                "identifier": [{ "value": plan }],
            } },
        ]}),
        json!({ "resourceType": "Parameters", "parameter": [
            { "name": "appointment-resource", "resource": {
                "resourceType": "Appointment", "status": format!("{NAME}-status"),
                "participant": [{ "actor": { "display": format!("Zebulon {NAME}5") }, "status": "accepted" }],
            } },
        ]}),
    ];
    for operation in ["$find", "$hold", "$book"] {
        for body in &bad_bodies {
            let (status, outcome) = post(
                &client,
                format!("{base}/Appointment/{operation}"),
                &scheduler,
                body,
            )
            .await;
            assert!(status.is_client_error(), "{operation}: {status} {outcome}");
            assert_eq!(outcome["resourceType"], "OperationOutcome", "{outcome}");
            errors.push(outcome.to_string());
        }
    }
    let raw = client
        .post(format!("{base}/Appointment/$find"))
        .bearer_auth(&scheduler)
        .body(format!(
            "{{\"name\": \"Zebulon {NAME}5\", \"birthDate\": \"{BIRTH_DATE}\""
        ))
        .send()
        .await
        .expect("answers");
    assert_eq!(raw.status(), StatusCode::BAD_REQUEST);
    errors.push(raw.text().await.expect("a body"));

    assert_eq!(server.terminate(), Some(0), "a SIGTERM stops cleanly");
    let log_text = std::fs::read_to_string(&log).expect("the server log");
    assert!(
        log_text.lines().count() > 10,
        "the debug log was written: {log_text}"
    );
    if let Some(canary) = leaks(&log_text) {
        let line = log_text
            .lines()
            .find(|line| line.contains(canary))
            .unwrap_or_default();
        panic!("the server log holds member data ({canary}): {line}");
    }
    for error in &errors {
        assert_eq!(
            leaks(error),
            None,
            "an error answer holds member data: {error}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
