//! The server over real HTTP: a fresh database (SQLite always, PostgreSQL when
//! `CARETIME_TEST_POSTGRES_URL` is set), a real listener on 127.0.0.1:0, a real client.

mod common;

use caretime_server::auth::{new_token, token_hash};
use common::*;
use jiff::Timestamp;
use reqwest::StatusCode;
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_decide_who_reads_what_and_every_refusal_is_audited() {
    for db in support::databases("api_roles").await {
        let server = start(&db).await;
        let backend = db.backend;
        let tokens = &server.tokens;

        // Public: what the server supports.
        let (status, kind, statement) = server.get("/metadata", None).await;
        assert_eq!(status, StatusCode::OK, "{backend}");
        assert_eq!(kind, "application/fhir+json");
        assert_eq!(statement["resourceType"], "CapabilityStatement");
        assert_eq!(statement["fhirVersion"], "4.0.1");
        let listed: Vec<&str> = statement["rest"][0]["resource"]
            .as_array()
            .expect("resources")
            .iter()
            .filter_map(|resource| resource["type"].as_str())
            .collect();
        assert_eq!(
            listed,
            [
                "Appointment",
                "Practitioner",
                "Location",
                "AuditEvent",
                "Schedule",
                "Slot",
                "Patient",
                "PractitionerRole",
                "HealthcareService"
            ]
        );
        let operations: Vec<&str> = statement["rest"][0]["resource"][0]["operation"]
            .as_array()
            .expect("operations")
            .iter()
            .filter_map(|operation| operation["name"].as_str())
            .collect();
        assert_eq!(operations, ["find", "hold", "book"]);

        // No token, a bad header, an unknown token: 401.
        let (status, _, body) = server.get("/Practitioner/3", None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{backend}");
        assert_outcome(&body, "login");
        let (status, _, body) = server.get("/Practitioner/3", Some("ct_nope")).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_outcome(&body, "login");

        // Staff read practitioners and locations.
        let (status, kind, practitioner) =
            server.get("/Practitioner/3", Some(&tokens.scheduler)).await;
        assert_eq!(status, StatusCode::OK, "{backend}: {practitioner}");
        assert_eq!(kind, "application/fhir+json");
        assert_eq!(practitioner["resourceType"], "Practitioner");
        assert_eq!(practitioner["id"], "3");
        assert!(
            practitioner["name"][0]["text"].is_string(),
            "{practitioner}"
        );
        let (status, _, location) = server.get("/Location/0", Some(&tokens.clinician)).await;
        assert_eq!(status, StatusCode::OK, "{location}");
        assert_eq!(location["resourceType"], "Location");
        assert!(location["position"]["latitude"].is_number(), "{location}");
        for missing in [
            "/Practitioner/99999",
            "/Practitioner/dr-who",
            "/Location/999",
        ] {
            let (status, _, body) = server.get(missing, Some(&tokens.scheduler)).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{missing}");
            assert_outcome(&body, "not-found");
        }

        // An auditor reads the audit log and nothing else; nobody else reads the audit log.
        let (status, _, body) = server.get("/Practitioner/3", Some(&tokens.auditor)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{backend}");
        assert_outcome(&body, "forbidden");
        let (status, _, body) = server.get("/AuditEvent", Some(&tokens.scheduler)).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_outcome(&body, "forbidden");
        for bad in [
            "/AuditEvent?_count=0",
            "/AuditEvent?_count=many",
            "/AuditEvent?_count=5000",
        ] {
            let (status, _, body) = server.get(bad, Some(&tokens.auditor)).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
            assert_outcome(&body, "invalid");
        }

        // Page through the whole log, two events a page, following the next links.
        let mut events = Vec::new();
        let mut path = "/AuditEvent?_count=2".to_owned();
        let mut total = None;
        loop {
            let (status, _, bundle) = server.get(&path, Some(&tokens.auditor)).await;
            assert_eq!(status, StatusCode::OK, "{bundle}");
            assert_eq!(bundle["type"], "searchset");
            total.get_or_insert(bundle["total"].as_u64().expect("a total"));
            let entries = bundle["entry"].as_array().cloned().unwrap_or_default();
            assert!(entries.len() <= 2);
            events.extend(entries.into_iter().map(|entry| entry["resource"].clone()));
            let next = bundle["link"]
                .as_array()
                .expect("links")
                .iter()
                .find(|link| link["relation"] == "next")
                .map(|link| link["url"].as_str().expect("a url").to_owned());
            match next {
                Some(url) => path = format!("/{url}"),
                None => break,
            }
        }
        // Every page read was audited before it was read: the first page's total counts the
        // events up to it, and the log has grown by one event per page read since.
        assert!(events.len() as u64 >= total.expect("pages"), "{backend}");
        let refusals: Vec<&Value> = events
            .iter()
            .filter(|event| event["outcomeDesc"] == "forbidden")
            .collect();
        let who: Vec<&str> = refusals
            .iter()
            .filter_map(|event| event["agent"][0]["who"]["display"].as_str())
            .collect();
        assert_eq!(who, ["user:compliance", "user:front-desk"], "{backend}");
        assert!(refusals.iter().all(|event| event["outcome"] == "4"));
        assert!(
            events
                .iter()
                .all(|event| event["resourceType"] == "AuditEvent"
                    && event["recorded"].is_string()
                    && event["agent"][0]["network"]["address"].is_string()),
            "{backend}"
        );
        assert!(
            events.iter().any(
                |event| event["agent"][0]["who"]["display"] == "user:compliance"
                    && event["entity"][0]["what"]["display"] == "audit"
            ),
            "reading the audit log is audited"
        );

        // On PostgreSQL the server keeps the tokens it has checked (see /metrics).
        if backend == "postgres" {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
            while server.store.token_cache().map(|(_, listening)| listening) != Some(true) {
                assert!(
                    std::time::Instant::now() < deadline,
                    "the token cache never listens"
                );
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
            let (status, _, _) = server.get("/Practitioner/3", Some(&tokens.scheduler)).await;
            assert_eq!(status, StatusCode::OK);
            let text = reqwest::get(format!("{}/metrics", server.base))
                .await
                .expect("answers")
                .text()
                .await
                .expect("text");
            assert!(
                text.contains("caretime_token_cache_listening 1")
                    && !text.contains("caretime_token_cache_entries 0"),
                "{text}"
            );
        }
        // A revoked token stops working at once.
        server
            .store
            .revoke_tokens("front-desk", &admin(), now())
            .await
            .expect("revokes");
        let (status, _, body) = server.get("/Practitioner/3", Some(&tokens.scheduler)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{backend}");
        assert_outcome(&body, "login");

        server.stop().await;
        db.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn find_then_book_and_a_proposal_books_once_under_a_race() {
    for db in support::databases("api_book").await {
        let server = start(&db).await;
        let backend = db.backend;
        let scheduler = server.tokens.scheduler.clone();

        // A member some clinician can see.
        let (member, bundle) = server.first_proposals(&scheduler, 3).await;
        assert_eq!(bundle["type"], "searchset");
        let entries = bundle["entry"].as_array().expect("entries");
        assert!(entries.len() <= 3 && !entries.is_empty(), "{bundle}");
        let first = &entries[0]["resource"];
        assert_eq!(first["resourceType"], "Appointment");
        assert_eq!(first["status"], "proposed", "{first}");
        assert_eq!(
            first["participant"][0]["actor"]["reference"],
            format!("Patient/{member}")
        );
        let extensions = first["extension"].as_array().expect("extensions");
        assert!(
            extensions.iter().any(|e| e["url"]
                == "https://caretime.dev/fhir/StructureDefinition/route"
                && e["valueCode"].is_string()),
            "{first}"
        );
        assert!(
            extensions
                .iter()
                .any(|e| e["url"] == "https://caretime.dev/fhir/StructureDefinition/timeliness"),
            "{first}"
        );
        let reference = format!("Appointment/{}", first["id"].as_str().expect("an id"));

        // Sixteen bookings of that proposal at once: exactly one books, the rest are 409.
        let mut racers = Vec::new();
        for _ in 0..16 {
            let server_base = server.base.clone();
            let token = scheduler.clone();
            let body = book_parameters(&reference);
            racers.push(tokio::spawn(async move {
                let response = reqwest::Client::new()
                    .post(format!("{server_base}/Appointment/$book"))
                    .bearer_auth(token)
                    .body(body.to_string())
                    .send()
                    .await
                    .expect("answers");
                let status = response.status();
                (
                    status,
                    response.json::<Value>().await.unwrap_or(Value::Null),
                )
            }));
        }
        let mut booked = Vec::new();
        let mut conflicts = 0;
        for racer in racers {
            let (status, body) = racer.await.expect("the task ends");
            capture("/Appointment/$book", &body);
            match status {
                StatusCode::OK => booked.push(body),
                StatusCode::CONFLICT => {
                    assert_outcome(&body, "conflict");
                    conflicts += 1;
                }
                other => panic!("{backend}: {other}: {body}"),
            }
        }
        assert_eq!(booked.len(), 1, "{backend}");
        assert_eq!(conflicts, 15, "{backend}");
        let appointment = &booked[0]["entry"][0]["resource"];
        assert_eq!(appointment["status"], "booked", "{appointment}");
        assert_eq!(appointment["start"], first["start"]);

        // $find no longer proposes the booked time; a bad request is 400, a stranger 404.
        let (_, again) = server
            .post(
                "/Appointment/$find",
                &scheduler,
                &find_parameters(member, 100),
            )
            .await;
        let starts: Vec<(&Value, &Value)> = again["entry"]
            .as_array()
            .map(|entries| {
                entries
                    .iter()
                    .map(|e| {
                        (
                            &e["resource"]["participant"][1]["actor"]["reference"],
                            &e["resource"]["start"],
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        assert!(
            !starts.contains(&(
                &first["participant"][1]["actor"]["reference"],
                &first["start"]
            )),
            "{backend}: the booked time is offered again"
        );
        for (path, body, status, code) in [
            (
                "/Appointment/$find",
                serde_json::json!({"resourceType": "Patient"}),
                StatusCode::BAD_REQUEST,
                "invalid",
            ),
            (
                "/Appointment/$find",
                serde_json::json!({"resourceType": "Parameters", "parameter": [{"name": "visit-type", "valueCode": "initial"}]}),
                StatusCode::BAD_REQUEST,
                "invalid",
            ),
            (
                "/Appointment/$find",
                serde_json::json!({"resourceType": "Parameters", "parameter": [{"name": "patient-reference", "valueReference": {"reference": "Patient/1"}}, {"name": "visit-type", "valueCode": "checkup"}]}),
                StatusCode::BAD_REQUEST,
                "invalid",
            ),
            (
                "/Appointment/$find",
                find_parameters(99_999_999, 3),
                StatusCode::NOT_FOUND,
                "not-found",
            ),
            (
                "/Appointment/$book",
                book_parameters("Appointment/12"),
                StatusCode::NOT_FOUND,
                "not-found",
            ),
            (
                "/Appointment/$book",
                book_parameters("Appointment/p.99999999.initial.3.1796601600.1796601600"),
                StatusCode::NOT_FOUND,
                "not-found",
            ),
            (
                "/Appointment/$book",
                book_parameters("Appointment/twelve"),
                StatusCode::BAD_REQUEST,
                "invalid",
            ),
        ] {
            let (got, outcome) = server.post(path, &scheduler, &body).await;
            assert_eq!(got, status, "{backend}: {path} {body}: {outcome}");
            assert_outcome(&outcome, code);
        }
        // An auditor may not book.
        let (status, outcome) = server
            .post(
                "/Appointment/$book",
                &server.tokens.auditor,
                &book_parameters(&reference),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_outcome(&outcome, "forbidden");
        let problems = server.store.check(&admin(), now()).await.expect("checks");
        assert!(problems.is_empty(), "{backend}: {problems:?}");
        server.stop().await;
        db.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_the_framework_writes_are_operation_outcomes_too() {
    for db in support::databases("api_errors").await {
        let server = start(&db).await;
        let backend = db.backend;
        // No pooled connections: the server closes the one it refused a large body on, and a
        // client that reused it would fail the next request.
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(0)
            .build()
            .expect("a client");
        let too_large = "x".repeat(caretime_server::MAX_BODY_BYTES + 1);
        for (request, status, code) in [
            (
                client
                    .post(format!("{}/Appointment/$find", server.base))
                    .bearer_auth(&server.tokens.scheduler)
                    .body(too_large),
                StatusCode::PAYLOAD_TOO_LARGE,
                "too-costly",
            ),
            (
                client.delete(format!("{}/metadata", server.base)),
                StatusCode::METHOD_NOT_ALLOWED,
                "not-supported",
            ),
            (
                client
                    .put(format!("{}/Practitioner/3", server.base))
                    .bearer_auth(&server.tokens.scheduler),
                StatusCode::METHOD_NOT_ALLOWED,
                "not-supported",
            ),
        ] {
            let response = request.send().await.expect("answers");
            assert_eq!(response.status(), status, "{backend}");
            let kind = response
                .headers()
                .get(reqwest::header::CONTENT_TYPE)
                .and_then(|value| value.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            assert_eq!(kind, "application/fhir+json", "{backend}: {status}");
            let body: Value = response.json().await.expect("a JSON body");
            capture("/error", &body);
            assert_outcome(&body, code);
        }
        server.stop().await;
        db.finish().await;
    }
}

impl Running {
    /// A GET answered with text: status, content type, body.
    async fn get_text(&self, path: &str, token: &str) -> (StatusCode, String, String) {
        let response = reqwest::Client::new()
            .get(format!("{}{path}", self.base))
            .bearer_auth(token)
            .send()
            .await
            .expect("the server answers");
        let status = response.status();
        let kind = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        (status, kind, response.text().await.expect("a body"))
    }
}

/// The VEVENTs of an iCalendar text, each as its unfolded content lines, after checking the
/// text's shape: CRLF line ends, no physical line over 75 octets, BEGIN and END balanced, one
/// VCALENDAR, and every VEVENT with a UID, a DTSTART and a DTEND.
fn ical_events(text: &str) -> Vec<Vec<String>> {
    assert!(text.ends_with("\r\n"), "no CRLF at the end");
    let physical: Vec<&str> = text[..text.len() - 2].split("\r\n").collect();
    for line in &physical {
        assert!(
            line.len() <= 75 && !line.contains('\n') && !line.contains('\r'),
            "{line:?}"
        );
    }
    let unfolded = text.replace("\r\n ", "");
    let mut open: Vec<String> = Vec::new();
    let mut events = Vec::new();
    let mut event: Option<Vec<String>> = None;
    for line in unfolded.trim_end_matches("\r\n").split("\r\n") {
        if let Some(component) = line.strip_prefix("BEGIN:") {
            if component == "VEVENT" {
                event = Some(Vec::new());
            }
            open.push(component.to_owned());
        } else if let Some(component) = line.strip_prefix("END:") {
            assert_eq!(
                open.pop().as_deref(),
                Some(component),
                "unbalanced END:{component}"
            );
            if component == "VEVENT" {
                events.push(event.take().expect("an open VEVENT"));
            }
        } else if let Some(event) = event.as_mut() {
            event.push(line.to_owned());
        }
    }
    assert!(open.is_empty(), "unclosed: {open:?}");
    assert!(unfolded.starts_with("BEGIN:VCALENDAR\r\n"), "{unfolded}");
    assert!(unfolded.ends_with("END:VCALENDAR\r\n"));
    for required in ["VERSION:2.0", "METHOD:PUBLISH", "PRODID:", "X-WR-CALNAME:"] {
        assert!(unfolded.contains(&format!("\r\n{required}")), "{required}");
    }
    for event in &events {
        for property in ["UID:", "DTSTAMP:", "DTSTART", "DTEND", "SUMMARY:"] {
            assert!(
                event.iter().any(|line| line.starts_with(property)),
                "a VEVENT without {property}: {event:?}"
            );
        }
        assert!(event.contains(&"TRANSP:OPAQUE".to_owned()), "{event:?}");
    }
    events
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clinician_reads_their_own_calendar_and_nobody_else_may() {
    for db in support::databases("api_calendar").await {
        let server = start(&db).await;
        let backend = db.backend;
        let scheduler = server.tokens.scheduler.clone();

        // Book an internal clinician's time (internal clinicians' templates have protected
        // time; a network provider's need not) for some member.
        let mut proposal = None;
        'members: for member in 1..400 {
            let (status, bundle) = server
                .post(
                    "/Appointment/$find",
                    &scheduler,
                    &find_parameters(member, 10),
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{backend}: {bundle}");
            for entry in bundle["entry"].as_array().into_iter().flatten() {
                let internal = entry["resource"]["extension"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|e| e["valueCode"] == "internal" || e["valueCode"] == "continuity");
                if internal {
                    proposal = Some(entry["resource"].clone());
                    break 'members;
                }
            }
        }
        let proposal = proposal.expect("a member with an internal offer");
        let clinician: u32 = proposal["participant"][1]["actor"]["reference"]
            .as_str()
            .and_then(|reference| reference.strip_prefix("Practitioner/"))
            .and_then(|id| id.parse().ok())
            .expect("a practitioner");
        let own = server.add_clinician("dr-own", clinician).await;
        let (other, other_name) = if clinician == 3 {
            (server.add_clinician("dr-other", 4).await, "user:dr-other")
        } else {
            (server.tokens.clinician.clone(), "user:dr-three")
        };
        let reference = format!("Appointment/{}", proposal["id"].as_str().expect("an id"));
        let (status, booked) = server
            .post(
                "/Appointment/$book",
                &scheduler,
                &book_parameters(&reference),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{backend}: {booked}");
        let appointment = &booked["entry"][0]["resource"];
        let appointment_id = appointment["id"].as_str().expect("an id").to_owned();
        let start: Timestamp = appointment["start"]
            .as_str()
            .expect("a start")
            .parse()
            .expect("an instant");

        // The clinician reads the two weeks around it.
        let zone = jiff::tz::TimeZone::get("America/Los_Angeles").expect("a zone");
        let local_start = start.to_zoned(zone.clone());
        let from = local_start
            .date()
            .checked_sub(jiff::ToSpan::days(1))
            .expect("in range");
        let base = format!("/Practitioner/{clinician}/calendar.ics");
        let path = format!("{base}?from={from}&weeks=2");
        let (status, kind, text) = server.get_text(&path, &own).await;
        assert_eq!(status, StatusCode::OK, "{backend}: {text}");
        assert_eq!(kind, "text/calendar; charset=utf-8");
        if let Ok(out) = std::env::var("CARETIME_ICS_OUT") {
            std::fs::write(&out, &text).expect("writes CARETIME_ICS_OUT");
        }
        let events = ical_events(&text);
        let uid = format!("UID:appointment-{appointment_id}@caretime");
        let event = events
            .iter()
            .find(|event| event.contains(&uid))
            .unwrap_or_else(|| panic!("{backend}: no {uid} in {text}"));
        assert!(
            event.contains(&format!(
                "DTSTART;TZID=America/Los_Angeles:{}",
                local_start.strftime("%Y%m%dT%H%M%S")
            )),
            "{event:?}"
        );
        assert!(event.contains(&"STATUS:CONFIRMED".to_owned()), "{event:?}");
        let summary = event
            .iter()
            .find(|line| line.starts_with("SUMMARY:"))
            .expect("a summary");
        assert!(
            summary.starts_with("SUMMARY:Initial appointment\\, "),
            "{summary}"
        );
        // No member in it: no patient reference, no member number.
        assert!(!text.contains("Patient"), "{text}");
        assert!(text.contains("BEGIN:VTIMEZONE\r\nTZID:America/Los_Angeles\r\n"));
        assert!(
            events
                .iter()
                .any(|event| event.contains(&"SUMMARY:Protected time".to_owned())
                    && event
                        .iter()
                        .any(|line| line.starts_with(&format!("UID:block-{clinician}-")))),
            "{backend}: no protected time in {text}"
        );
        // The default window (this week's Monday, four weeks) reads too.
        let (status, _, default) = server.get_text(&base, &scheduler).await;
        assert_eq!(status, StatusCode::OK, "{backend}: {default}");
        ical_events(&default);

        // Another clinician, an auditor: 403, and the clinician's attempt is audited.
        for token in [&other, &server.tokens.auditor] {
            let (status, kind, body) = server.get_text(&path, token).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{backend}: {body}");
            assert_eq!(kind, "application/fhir+json");
            assert_outcome(&serde_json::from_str(&body).expect("JSON"), "forbidden");
        }
        // Unknown practitioners are 404, a bad window 400, each an OperationOutcome.
        for (bad, status, code) in [
            (
                "/Practitioner/99999/calendar.ics",
                StatusCode::NOT_FOUND,
                "not-found",
            ),
            (
                "/Practitioner/dr-who/calendar.ics",
                StatusCode::NOT_FOUND,
                "not-found",
            ),
            (
                "/Practitioner/3/calendar.ics?weeks=0",
                StatusCode::BAD_REQUEST,
                "invalid",
            ),
            (
                "/Practitioner/3/calendar.ics?weeks=27",
                StatusCode::BAD_REQUEST,
                "invalid",
            ),
            (
                "/Practitioner/3/calendar.ics?weeks=four",
                StatusCode::BAD_REQUEST,
                "invalid",
            ),
            (
                "/Practitioner/3/calendar.ics?from=2026-02-30",
                StatusCode::BAD_REQUEST,
                "invalid",
            ),
        ] {
            let (got, _, body) = server.get_text(bad, &scheduler).await;
            assert_eq!(got, status, "{backend}: {bad}: {body}");
            assert_outcome(&serde_json::from_str(&body).expect("JSON"), code);
        }

        let log = server.store.audit_log().await.expect("the audit log");
        let id = clinician.to_string();
        let calendar_events: Vec<(&str, Option<&str>, &str)> = log
            .iter()
            .filter(|row| row.entity == "calendar")
            .map(|row| {
                (
                    row.actor.as_str(),
                    row.entity_id.as_deref(),
                    row.outcome.as_str(),
                )
            })
            .collect();
        assert_eq!(
            calendar_events,
            [
                ("user:dr-own", Some(id.as_str()), "ok"),
                ("user:front-desk", Some(id.as_str()), "ok"),
                (other_name, Some(id.as_str()), "forbidden"),
                ("user:compliance", None, "forbidden"),
            ],
            "{backend}"
        );

        // A calendar program subscribes with a feed token in the URL: it opens the feed and
        // nothing else, and a revoke ends it.
        let feed = new_token().expect("randomness");
        server
            .store
            .add_feed_token("dr-own", &token_hash(&feed), &admin(), now())
            .await
            .expect("a feed token");
        let base_url = server.base.clone();
        let plain = async |path: String| {
            let response = reqwest::Client::new()
                .get(format!("{base_url}{path}"))
                .send()
                .await
                .expect("answers");
            (response.status(), response.text().await.expect("a body"))
        };
        let (status, feed_text) = plain(format!("{path}&token={feed}")).await;
        assert_eq!(status, StatusCode::OK, "{backend}: {feed_text}");
        // The same events (DTSTAMP, the time of writing, aside).
        let stamped = |events: &[Vec<String>]| -> Vec<Vec<String>> {
            events
                .iter()
                .map(|event| {
                    event
                        .iter()
                        .filter(|line| !line.starts_with("DTSTAMP"))
                        .cloned()
                        .collect()
                })
                .collect()
        };
        assert_eq!(
            stamped(&ical_events(&feed_text)),
            stamped(&events),
            "the same calendar"
        );
        let other_path = format!("/Practitioner/{}/calendar.ics?token={feed}", clinician + 1);
        let (status, _) = plain(other_path).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "another clinician's feed");
        let (status, _, body) = server
            .get(&format!("/Practitioner/{clinician}"), Some(&feed))
            .await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "a feed token is no API token"
        );
        assert_outcome(&body, "login");
        let (status, _) = plain(format!("{path}&token={own}")).await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "an API token is not taken from a URL"
        );
        server
            .store
            .revoke_tokens("dr-own", &admin(), now())
            .await
            .expect("revokes");
        let (status, _) = plain(format!("{path}&token={feed}")).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "revoked");
        server.stop().await;
        db.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn find_hold_book_cancel_and_rebook() {
    for db in support::databases("api_story").await {
        let server = start(&db).await;
        let backend = db.backend;
        let scheduler = server.tokens.scheduler.clone();
        let (_, bundle) = server.first_proposals(&scheduler, 1).await;
        let proposal = bundle["entry"][0]["resource"].clone();
        let reference = format!("Appointment/{}", proposal["id"].as_str().expect("an id"));

        // Hold: pending, with its expiry in the Expires header.
        let response = reqwest::Client::new()
            .post(format!("{}/Appointment/$hold", server.base))
            .bearer_auth(&scheduler)
            .body(book_parameters(&reference).to_string())
            .send()
            .await
            .expect("answers");
        assert_eq!(response.status(), StatusCode::OK, "{backend}");
        let expires = response
            .headers()
            .get(reqwest::header::EXPIRES)
            .and_then(|value| value.to_str().ok())
            .expect("an Expires header")
            .to_owned();
        assert!(expires.ends_with(" GMT"), "{expires}");
        let held: Value = response.json().await.expect("a bundle");
        capture("/Appointment/$hold", &held);
        let held = &held["entry"][0]["resource"];
        assert_eq!(held["status"], "pending", "{held}");
        let id = held["id"].as_str().expect("an id").to_owned();
        // The held time is not proposed to anyone else meanwhile, and cannot be held again.
        let (status, outcome) = server
            .post(
                "/Appointment/$hold",
                &scheduler,
                &book_parameters(&reference),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{backend}: {outcome}");
        assert_outcome(&outcome, "conflict");

        // Book the hold: booked, same id and time.
        let (status, bundle) = server
            .post(
                "/Appointment/$book",
                &scheduler,
                &book_parameters(&format!("Appointment/{id}")),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{backend}: {bundle}");
        let booked = &bundle["entry"][0]["resource"];
        assert_eq!(booked["status"], "booked");
        assert_eq!(booked["id"], id.as_str());
        assert_eq!(booked["start"], proposal["start"]);
        // Booking it again is a conflict (it is booked already).
        let (status, outcome) = server
            .post(
                "/Appointment/$book",
                &scheduler,
                &book_parameters(&format!("Appointment/{id}")),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{outcome}");

        // Cancel: the Appointment resource with status cancelled and a reason.
        let cancel = serde_json::json!({
            "resourceType": "Parameters",
            "parameter": [{
                "name": "appointment-resource",
                "resource": {
                    "resourceType": "Appointment",
                    "id": id,
                    "status": "cancelled",
                    "cancelationReason": { "coding": [{ "code": "member-request" }] },
                    "participant": [{ "actor": { "reference": "Patient/1" }, "status": "declined" }]
                }
            }]
        });
        let (status, bundle) = server.post("/Appointment/$book", &scheduler, &cancel).await;
        assert_eq!(status, StatusCode::OK, "{backend}: {bundle}");
        let cancelled = &bundle["entry"][0]["resource"];
        assert_eq!(cancelled["status"], "cancelled", "{cancelled}");
        assert_eq!(
            cancelled["cancelationReason"]["coding"][0]["code"],
            "member-request"
        );

        // The time is free again: the same proposal books.
        let (status, bundle) = server
            .post(
                "/Appointment/$book",
                &scheduler,
                &book_parameters(&reference),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{backend}: {bundle}");
        let rebooked = &bundle["entry"][0]["resource"];
        assert_eq!(rebooked["status"], "booked");
        assert_ne!(rebooked["id"], id.as_str());
        assert_eq!(rebooked["start"], proposal["start"]);

        // ITI-118: the member's appointments, by status and date; a clinician sees only their
        // own, and asking for another clinician's is refused and audited.
        let member = proposal["participant"][0]["actor"]["reference"]
            .as_str()
            .expect("the patient")
            .to_owned();
        let clinician = proposal["participant"][1]["actor"]["reference"]
            .as_str()
            .expect("the practitioner")
            .to_owned();
        let (status, _, both) = server
            .get(&format!("/Appointment?patient={member}"), Some(&scheduler))
            .await;
        assert_eq!(status, StatusCode::OK, "{backend}: {both}");
        assert_eq!(both["total"], 2, "{both}");
        let (_, _, booked_only) = server
            .get(
                &format!("/Appointment?patient={member}&status=booked&_count=1"),
                Some(&scheduler),
            )
            .await;
        assert_eq!(booked_only["total"], 1, "{booked_only}");
        assert_eq!(booked_only["entry"][0]["resource"]["status"], "booked");
        let start = proposal["start"].as_str().expect("a start");
        let (_, _, after) = server
            .get(
                &format!(
                    "/Appointment?patient={member}&date=gt{}",
                    start.replace('+', "%2B")
                ),
                Some(&scheduler),
            )
            .await;
        assert_eq!(after["total"], 0, "{after}");
        let (status, _, outcome) = server.get("/Appointment", Some(&scheduler)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{outcome}");
        assert_outcome(&outcome, "invalid");
        let (status, _, outcome) = server
            .get(
                &format!("/Appointment?patient={member}"),
                Some(&server.tokens.auditor),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{outcome}");
        let other = if clinician == "Practitioner/3" {
            "Practitioner/4"
        } else {
            clinician.as_str()
        };
        let (status, _, outcome) = server
            .get(
                &format!("/Appointment?practitioner={other}"),
                Some(&server.tokens.clinician),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{backend}: {outcome}");
        assert_outcome(&outcome, "forbidden");
        let (status, _, own) = server
            .get("/Appointment", Some(&server.tokens.clinician))
            .await;
        assert_eq!(status, StatusCode::OK, "{own}");
        let entries = own["entry"].as_array().cloned().unwrap_or_default();
        assert!(
            entries
                .iter()
                .all(|e| e["resource"]["participant"][1]["actor"]["reference"] == "Practitioner/3"),
            "{own}"
        );
        let log = server.store.audit_log().await.expect("the log");
        assert!(
            log.iter().any(|row| row.actor == "user:dr-three"
                && row.entity == "appointment"
                && row.outcome == "forbidden"),
            "{backend}: the refusal is audited"
        );

        // A $find filter this server does not apply is refused, not ignored.
        let mut located = find_parameters(1, 1);
        located["parameter"]
            .as_array_mut()
            .expect("parameters")
            .push(serde_json::json!({ "name": "location-reference", "valueReference": { "reference": "Location/0" } }));
        let (status, outcome) = server
            .post("/Appointment/$find", &scheduler, &located)
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{outcome}");
        assert_outcome(&outcome, "invalid");
        assert!(
            outcome["issue"][0]["diagnostics"]
                .as_str()
                .is_some_and(|text| text.contains("location-reference")),
            "{outcome}"
        );

        // Unknown appointments and bad cancellations.
        let (status, outcome) = server
            .post(
                "/Appointment/$book",
                &scheduler,
                &book_parameters("Appointment/99999"),
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{outcome}");
        let mut bad = cancel.clone();
        bad["parameter"][0]["resource"]["cancelationReason"]["coding"][0]["code"] = "bored".into();
        let (status, outcome) = server.post("/Appointment/$book", &scheduler, &bad).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{outcome}");
        assert_outcome(&outcome, "invalid");

        let problems = server.store.check(&admin(), now()).await.expect("checks");
        assert!(problems.is_empty(), "{backend}: {problems:?}");
        server.stop().await;
        db.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_hold_cannot_be_booked() {
    for db in support::databases("api_expired").await {
        let server = start(&db).await;
        let backend = db.backend;
        let scheduler = server.tokens.scheduler.clone();
        let (_, bundle) = server.first_proposals(&scheduler, 1).await;
        let proposal = bundle["entry"][0]["resource"].clone();
        let reference = format!("Appointment/{}", proposal["id"].as_str().expect("an id"));
        let (status, held) = server
            .post(
                "/Appointment/$hold",
                &scheduler,
                &book_parameters(&reference),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{backend}: {held}");
        let id = held["entry"][0]["resource"]["id"]
            .as_str()
            .expect("an id")
            .to_owned();
        // A day later the hold has expired: booking it is a conflict, saying so.
        server
            .clock
            .set(Timestamp::now() + jiff::SignedDuration::from_hours(24));
        let (status, outcome) = server
            .post(
                "/Appointment/$book",
                &scheduler,
                &book_parameters(&format!("Appointment/{id}")),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{backend}: {outcome}");
        assert_outcome(&outcome, "conflict");
        let diagnostics = outcome["issue"][0]["diagnostics"]
            .as_str()
            .unwrap_or_default();
        assert!(diagnostics.contains("expire"), "{diagnostics}");
        server.stop().await;
        db.finish().await;
    }
}

/// `$book` with a proposal and Argonaut's `cancelled-appt-id`.
fn reschedule_parameters(reference: &str, cancelled: &str) -> Value {
    serde_json::json!({
        "resourceType": "Parameters",
        "parameter": [
            { "name": "appointment-reference", "valueReference": { "reference": reference } },
            { "name": "cancelled-appt-id", "valueString": cancelled },
        ]
    })
}

impl Running {
    /// The member's first proposal for an initial visit that starts at or after `from`.
    async fn proposal_from(&self, token: &str, member: u32, from: &str) -> Value {
        let mut parameters = find_parameters(member, 1);
        parameters["parameter"]
            .as_array_mut()
            .expect("parameters")
            .push(serde_json::json!({ "name": "start", "valueDateTime": from }));
        let (status, bundle) = self.post("/Appointment/$find", token, &parameters).await;
        assert_eq!(status, StatusCode::OK, "{bundle}");
        bundle["entry"][0]["resource"].clone()
    }

    async fn patch(&self, path: &str, token: &str, body: &str) -> (StatusCode, Value) {
        let response = reqwest::Client::new()
            .patch(format!("{}{path}", self.base))
            .bearer_auth(token)
            .header(reqwest::header::CONTENT_TYPE, "application/json-patch+json")
            .body(body.to_owned())
            .send()
            .await
            .expect("the server answers");
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// The member's appointments, as `(id, status, start, cancellation reason)` by id.
    async fn appointments_of(&self, member: &str) -> Vec<(String, String, String, String)> {
        let (status, _, bundle) = self
            .get(
                &format!("/Appointment?patient={member}"),
                Some(&self.tokens.scheduler),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{bundle}");
        let mut rows: Vec<_> = bundle["entry"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|entry| {
                let text = |value: &Value| value.as_str().unwrap_or_default().to_owned();
                let resource = &entry["resource"];
                (
                    text(&resource["id"]),
                    text(&resource["status"]),
                    text(&resource["start"]),
                    text(&resource["cancelationReason"]["coding"][0]["code"]),
                )
            })
            .collect();
        rows.sort_by_key(|row| row.0.parse::<u32>().unwrap_or(u32::MAX));
        rows
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reschedule_moves_a_booking_in_one_step_and_patch_cancels() {
    for db in support::databases("api_reschedule").await {
        let server = start(&db).await;
        let backend = db.backend;
        let scheduler = server.tokens.scheduler.clone();
        let (member, bundle) = server.first_proposals(&scheduler, 1).await;
        let patient = format!("Patient/{member}");
        let first = bundle["entry"][0]["resource"].clone();
        let (status, booked) = server
            .post(
                "/Appointment/$book",
                &scheduler,
                &book_parameters(&format!(
                    "Appointment/{}",
                    first["id"].as_str().expect("id")
                )),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{backend}: {booked}");
        let old = booked["entry"][0]["resource"]["id"]
            .as_str()
            .expect("an id")
            .to_owned();

        // Proposals for the same member from the end of the booked one (`start` bounds the
        // search, so these are later offers, not a filter of the earliest).
        let target = server
            .proposal_from(&scheduler, member, first["end"].as_str().expect("an end"))
            .await;
        assert!(
            target["start"].as_str() >= first["end"].as_str(),
            "{target}"
        );
        let target_ref = format!("Appointment/{}", target["id"].as_str().expect("id"));

        // Refused reschedules write nothing: another member's appointment, an unknown one.
        let before = server.appointments_of(&patient).await;
        let (other_member, other) = {
            let mut found = None;
            for candidate in (member + 1)..(member + 200) {
                let (status, bundle) = server
                    .post(
                        "/Appointment/$find",
                        &scheduler,
                        &find_parameters(candidate, 1),
                    )
                    .await;
                assert_eq!(status, StatusCode::OK);
                if bundle["total"].as_u64().unwrap_or(0) > 0 {
                    found = Some((candidate, bundle["entry"][0]["resource"].clone()));
                    break;
                }
            }
            found.expect("another member with an offer")
        };
        let other_ref = format!("Appointment/{}", other["id"].as_str().expect("id"));
        let (status, outcome) = server
            .post(
                "/Appointment/$book",
                &scheduler,
                &reschedule_parameters(&other_ref, &old),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{backend}: {outcome}");
        assert_outcome(&outcome, "invalid");
        let (status, outcome) = server
            .post(
                "/Appointment/$book",
                &scheduler,
                &reschedule_parameters(&target_ref, "Appointment/99999"),
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{backend}: {outcome}");
        assert_eq!(server.appointments_of(&patient).await, before);
        let (_, _, others) = server
            .get(
                &format!("/Appointment?patient=Patient/{other_member}"),
                Some(&scheduler),
            )
            .await;
        assert_eq!(
            others["total"], 0,
            "{backend}: nothing booked for {other_member}"
        );

        // The reschedule: the new time booked and the old appointment cancelled, together.
        let (status, moved) = server
            .post(
                "/Appointment/$book",
                &scheduler,
                &reschedule_parameters(&target_ref, &format!("Appointment/{old}")),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{backend}: {moved}");
        let moved = &moved["entry"][0]["resource"];
        assert_eq!(moved["status"], "booked", "{moved}");
        assert_eq!(moved["start"], target["start"]);
        let new = moved["id"].as_str().expect("an id").to_owned();
        let rows = server.appointments_of(&patient).await;
        assert_eq!(rows.len(), 2, "{backend}: {rows:?}");
        assert_eq!(
            (rows[0].0.as_str(), rows[0].1.as_str(), rows[0].3.as_str()),
            (old.as_str(), "cancelled", "rescheduled"),
            "{rows:?}"
        );
        assert_eq!(
            (rows[1].0.as_str(), rows[1].1.as_str()),
            (new.as_str(), "booked")
        );
        // The old one cannot be rescheduled again (it is cancelled), and nothing is written.
        let (status, outcome) = server
            .post(
                "/Appointment/$book",
                &scheduler,
                &reschedule_parameters(&target_ref, &old),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{backend}: {outcome}");
        assert_eq!(server.appointments_of(&patient).await, rows);
        // Its time is free again: the first proposal books.
        let (status, again) = server
            .post(
                "/Appointment/$book",
                &scheduler,
                &book_parameters(&format!(
                    "Appointment/{}",
                    first["id"].as_str().expect("id")
                )),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{backend}: {again}");
        let again = again["entry"][0]["resource"]["id"]
            .as_str()
            .expect("an id")
            .to_owned();

        // ITI-117 modify: the booked resource with another start moves it the same way; the
        // same start changes nothing.
        let mut resource = moved.clone();
        let (status, unchanged) = server
            .post(
                "/Appointment/$book",
                &scheduler,
                &serde_json::json!({
                    "resourceType": "Parameters",
                    "parameter": [{ "name": "appointment-resource", "resource": resource }]
                }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{backend}: {unchanged}");
        assert_eq!(unchanged["entry"][0]["resource"]["id"], new.as_str());
        let next = &server
            .proposal_from(&scheduler, member, target["end"].as_str().expect("an end"))
            .await;
        resource["start"] = next["start"].clone();
        resource["participant"] = next["participant"].clone();
        let (status, modified) = server
            .post(
                "/Appointment/$book",
                &scheduler,
                &serde_json::json!({
                    "resourceType": "Parameters",
                    "parameter": [{ "name": "appointment-resource", "resource": resource }]
                }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{backend}: {modified}");
        let modified = &modified["entry"][0]["resource"];
        assert_eq!(modified["start"], next["start"], "{modified}");
        assert_eq!(modified["participant"][1], next["participant"][1]);
        let latest = modified["id"].as_str().expect("an id").to_owned();
        let rows = server.appointments_of(&patient).await;
        let status_of = |id: &str| {
            rows.iter()
                .find(|row| row.0 == id)
                .map(|row| row.1.clone())
                .unwrap_or_default()
        };
        assert_eq!(status_of(&new), "cancelled", "{rows:?}");
        assert_eq!(status_of(&latest), "booked", "{rows:?}");

        // Argonaut's cancel: PATCH with a JSON Patch of /status. Anything else is refused.
        let path = format!("/Appointment/{latest}");
        let (status, outcome) = server
            .patch(
                &path,
                &scheduler,
                r#"[{"op":"replace","path":"/start","value":"2030-01-01T00:00:00Z"}]"#,
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{outcome}");
        assert_outcome(&outcome, "business-rule");
        let (status, outcome) = server.patch(&path, &scheduler, "{not json").await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{outcome}");
        assert_outcome(&outcome, "invalid");
        let cancel = r#"[{"op":"replace","path":"/status","value":"cancelled"},
            {"op":"add","path":"/cancelationReason","value":{"coding":[{"code":"member-request"}]}}]"#;
        let (status, outcome) = server.patch(&path, &server.tokens.auditor, cancel).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{outcome}");
        assert_eq!(status_of(&latest), "booked");
        let (status, cancelled) = server.patch(&path, &scheduler, cancel).await;
        assert_eq!(status, StatusCode::OK, "{backend}: {cancelled}");
        let cancelled = &cancelled["entry"][0]["resource"];
        assert_eq!(cancelled["status"], "cancelled", "{cancelled}");
        assert_eq!(
            cancelled["cancelationReason"]["coding"][0]["code"],
            "member-request"
        );
        let (status, _) = server.patch(&path, &scheduler, cancel).await;
        assert_eq!(status, StatusCode::CONFLICT, "cancelled twice");
        let rows = server.appointments_of(&patient).await;
        assert_eq!(
            rows.iter().filter(|row| row.1 == "booked").count(),
            1,
            "{backend}: only {again} is still booked: {rows:?}"
        );

        let problems = server.store.check(&admin(), now()).await.expect("checks");
        assert!(problems.is_empty(), "{backend}: {problems:?}");
        server.stop().await;
        db.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_follow_up_in_an_episode_goes_to_the_treating_clinician_and_joins_it() {
    use caretime_core::id::{AppointmentId, ClinicianId, MemberId};
    use caretime_core::request::Preferences;
    use caretime_engine::episode::{Cadence, LongerWait};
    use caretime_store::AuditEvent;
    use caretime_store::live::{Decision, LiveBook};

    for db in support::databases("api_continuity").await {
        let server = start(&db).await;
        let backend = db.backend;
        let scheduler = server.tokens.scheduler.clone();
        let (member, bundle) = server.first_proposals(&scheduler, 1).await;
        let intake = bundle["entry"][0]["resource"].clone();
        let (status, booked) = server
            .post(
                "/Appointment/$book",
                &scheduler,
                &book_parameters(&format!(
                    "Appointment/{}",
                    intake["id"].as_str().expect("id")
                )),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{backend}: {booked}");
        let intake_id: u32 = booked["entry"][0]["resource"]["id"]
            .as_str()
            .and_then(|id| id.parse().ok())
            .expect("an id");
        let clinician: u32 = intake["participant"][1]["actor"]["reference"]
            .as_str()
            .and_then(|text| text.strip_prefix("Practitioner/")?.parse().ok())
            .expect("the practitioner");

        // The treating clinician opens a weekly episode with the intake in it (another process
        // would; the server follows the journal).
        let mut live = LiveBook::load(&server.store, now(), &admin())
            .await
            .expect("loads");
        let audit = || AuditEvent {
            action: "create",
            entity: "episode",
            entity_id: None,
            outcome: "ok",
        };
        let opened = live
            .decide(now(), &admin(), audit(), |ctx| {
                Ok::<_, caretime_store::StoreError>(ctx.book.decide_open_episode(
                    MemberId(member),
                    ClinicianId(clinician),
                    Cadence::Weekly,
                    LongerWait::NotDocumented,
                    Preferences::ANY,
                ))
            })
            .await
            .expect("decides");
        assert!(matches!(opened, Decision::Committed { .. }), "{opened:?}");
        let episode = live
            .book()
            .open_episode_of(MemberId(member))
            .map(|episode| episode.id)
            .expect("the episode");
        let attached = live
            .decide(now(), &admin(), audit(), |ctx| {
                Ok::<_, caretime_store::StoreError>(
                    ctx.book.decide_attach(episode, AppointmentId(intake_id)),
                )
            })
            .await
            .expect("decides");
        assert!(
            matches!(attached, Decision::Committed { .. }),
            "{attached:?}"
        );

        // A follow-up: the treating clinician first, a week after the intake at the earliest.
        let mut parameters = find_parameters(member, 3);
        parameters["parameter"][1]["valueCoding"]["code"] = "follow-up".into();
        let (status, found) = server
            .post("/Appointment/$find", &scheduler, &parameters)
            .await;
        assert_eq!(status, StatusCode::OK, "{backend}: {found}");
        let best = &found["entry"][0]["resource"];
        assert_eq!(best["extension"][0]["valueCode"], "continuity", "{best}");
        assert_eq!(
            best["participant"][1]["actor"]["reference"],
            format!("Practitioner/{clinician}")
        );
        let intake_start: jiff::Timestamp = intake["start"]
            .as_str()
            .and_then(|text| text.parse().ok())
            .expect("a start");
        let start: jiff::Timestamp = best["start"]
            .as_str()
            .and_then(|text| text.parse().ok())
            .expect("a start");
        assert!(
            start >= intake_start + jiff::SignedDuration::from_hours(24 * 7 - 2),
            "{backend}: a weekly follow-up at {start}, the intake at {intake_start}"
        );

        // Booked, it joins the episode.
        let (status, booked) = server
            .post(
                "/Appointment/$book",
                &scheduler,
                &book_parameters(&format!("Appointment/{}", best["id"].as_str().expect("id"))),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{backend}: {booked}");
        let follow_up: u32 = booked["entry"][0]["resource"]["id"]
            .as_str()
            .and_then(|id| id.parse().ok())
            .expect("an id");
        live.catch_up().await.expect("catches up");
        assert_eq!(
            live.book().episode_of(AppointmentId(follow_up)),
            Some(episode),
            "{backend}"
        );
        assert_eq!(
            live.book()
                .appointment(AppointmentId(follow_up))
                .and_then(|appointment| appointment.request.prior_appointment),
            Some(intake_start),
            "{backend}: the follow-up counts from the intake"
        );

        server.stop().await;
        db.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_requests_by_route_and_a_fast_client_is_throttled() {
    // SQLite only: the limit and the metrics do not depend on the backend.
    let db = support::sqlite("api_metrics");
    let server = start_limited(&db, 2).await;
    let client = reqwest::Client::new();
    // A burst of twice the rate passes; the next request within the second is refused.
    let mut statuses = Vec::new();
    for _ in 0..6 {
        let response = client
            .get(format!("{}/Practitioner/3", server.base))
            .bearer_auth(&server.tokens.scheduler)
            .send()
            .await
            .expect("answers");
        statuses.push(response.status());
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            let retry: u64 = response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|value| value.to_str().ok()?.parse().ok())
                .expect("a Retry-After in seconds");
            assert!((1..=2).contains(&retry), "{retry}");
            let body: Value = response.json().await.expect("an OperationOutcome");
            assert_outcome(&body, "throttled");
        }
    }
    assert_eq!(&statuses[..4], [StatusCode::OK; 4], "{statuses:?}");
    assert!(
        statuses[4..].contains(&StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );

    // The metrics: public, text, by route template (never an id), with the refusals counted.
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    let response = client
        .get(format!("{}/metrics", server.base))
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.text().await.expect("text");
    let line = |prefix: &str| {
        text.lines()
            .find(|line| line.starts_with(prefix))
            .and_then(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
    };
    assert_eq!(
        line(
            r#"caretime_http_requests_total{method="GET",route="/Practitioner/{id}",status="200"}"#
        ),
        Some(4.0),
        "{text}"
    );
    assert!(
        line("caretime_rate_limited_total").is_some_and(|n| n >= 1.0),
        "{text}"
    );
    assert!(
        text.contains(r#"caretime_http_request_duration_seconds_bucket{le="0.0001",route="/Practitioner/{id}"}"#)
            || text.contains(r#"route="/Practitioner/{id}",le="#),
        "{text}"
    );
    assert!(!text.contains("/Practitioner/3"), "no ids in the metrics");
    assert_eq!(
        (
            line("caretime_token_cache_entries"),
            line("caretime_token_cache_listening")
        ),
        (Some(0.0), Some(0.0)),
        "SQLite keeps no token cache"
    );
    assert!(
        text.ends_with("# EOF\n"),
        "OpenMetrics text ends with # EOF"
    );
    server.stop().await;
    db.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_reads_each_leave_their_audit_row() {
    for db in support::databases("api_audit_batch").await {
        let server = start(&db).await;
        let backend = db.backend;
        let before = server.store.audit_log().await.expect("the log").len();
        let readers: Vec<_> = (1..=24u32)
            .map(|member| {
                let (base, token) = (server.base.clone(), server.tokens.scheduler.clone());
                tokio::spawn(async move {
                    reqwest::Client::new()
                        .post(format!("{base}/Appointment/$find"))
                        .bearer_auth(token)
                        .body(find_parameters(member, 1).to_string())
                        .send()
                        .await
                        .expect("answers")
                        .status()
                })
            })
            .collect();
        for reader in readers {
            assert_eq!(reader.await.expect("a reader"), StatusCode::OK, "{backend}");
        }
        // Every answer waited for its row: all 24 are there, one a member.
        let log = server.store.audit_log().await.expect("the log");
        let mut read: Vec<u32> = log[before..]
            .iter()
            .filter(|row| row.action == "read" && row.entity == "member" && row.outcome == "ok")
            .filter_map(|row| row.entity_id.as_deref()?.parse().ok())
            .collect();
        read.sort_unstable();
        assert_eq!(read, (1..=24).collect::<Vec<u32>>(), "{backend}");
        server.stop().await;
        db.finish().await;
    }
}
