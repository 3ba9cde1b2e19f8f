//! Schedules, Slots, Patients and the SMART Scheduling Links publication over real HTTP, on
//! SQLite always and PostgreSQL when `CARETIME_TEST_POSTGRES_URL` is set.

mod common;

use caretime_fhir::Resource;
use caretime_fhir::bulk::{BulkPublishManifest, read_ndjson};
use caretime_fhir::scheduling::SlotStatus;
use common::*;
use jiff::Timestamp;
use reqwest::StatusCode;
use serde_json::Value;

const TIME_KIND: &str = "https://caretime.dev/fhir/StructureDefinition/time-kind";

fn entries(bundle: &Value) -> Vec<Value> {
    bundle["entry"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .map(|entry| entry["resource"].clone())
        .collect()
}

fn next_link(bundle: &Value) -> Option<String> {
    bundle["link"]
        .as_array()?
        .iter()
        .find(|link| link["relation"] == "next")
        .and_then(|link| link["url"].as_str())
        .map(|url| format!("/{url}"))
}

fn time_kind(slot: &Value) -> &str {
    slot["extension"]
        .as_array()
        .and_then(|extensions| extensions.iter().find(|e| e["url"] == TIME_KIND))
        .and_then(|extension| extension["valueCode"].as_str())
        .unwrap_or_default()
}

fn instant(value: &Value) -> Timestamp {
    value
        .as_str()
        .and_then(|text| text.parse().ok())
        .unwrap_or_else(|| panic!("an instant: {value}"))
}

/// Every Slot of a search, following the next links.
async fn all_slots(server: &Running, token: &str, first: &str) -> Vec<Value> {
    let mut slots = Vec::new();
    let mut path = Some(first.to_owned());
    while let Some(current) = path {
        let (status, _, bundle) = server.get(&current, Some(token)).await;
        assert_eq!(status, StatusCode::OK, "{current}: {bundle}");
        slots.extend(entries(&bundle));
        path = next_link(&bundle);
    }
    slots
}

/// A GET without a token: status, content type, cache control, body text.
async fn get_public(url: &str) -> (StatusCode, String, String, String) {
    let response = reqwest::get(url).await.expect("the server answers");
    let header = |name| {
        response
            .headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let kind = header(reqwest::header::CONTENT_TYPE);
    let cache = header(reqwest::header::CACHE_CONTROL);
    let status = response.status();
    (status, kind, cache, response.text().await.expect("a body"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slots_page_with_stable_ids_that_read_back() {
    for db in support::databases("slots_paging").await {
        let server = start(&db).await;
        let backend = db.backend;
        let token = &server.tokens.scheduler;

        // /metadata lists exactly what is served.
        let (_, _, statement) = server.get("/metadata", None).await;
        let listed: Vec<&str> = statement["rest"][0]["resource"]
            .as_array()
            .expect("resources")
            .iter()
            .filter_map(|resource| resource["type"].as_str())
            .collect();
        for kind in [
            "Schedule",
            "Slot",
            "Patient",
            "PractitionerRole",
            "HealthcareService",
        ] {
            assert!(listed.contains(&kind), "{kind}: {listed:?}");
        }

        // The Schedule of clinician 3: the Practitioner and the facility, over the horizon.
        let (status, kind, schedule) = server.get("/Schedule/3", Some(token)).await;
        assert_eq!(status, StatusCode::OK, "{backend}: {schedule}");
        assert_eq!(kind, "application/fhir+json");
        assert_eq!(schedule["resourceType"], "Schedule");
        assert_eq!(schedule["id"], "3");
        assert_eq!(schedule["actor"][0]["reference"], "Practitioner/3");
        assert!(
            schedule["actor"][1]["reference"]
                .as_str()
                .is_some_and(|r| r.starts_with("Location/")),
            "{schedule}"
        );
        assert!(schedule["planningHorizon"]["start"].is_string());
        assert!(schedule["meta"]["lastUpdated"].is_string());
        let (status, _, found) = server
            .get("/Schedule?actor=Practitioner/3", Some(token))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(found["total"], 1, "{found}");
        assert_eq!(entries(&found)[0], schedule);
        let (status, _, body) = server.get("/Schedule/999999", Some(token)).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_outcome(&body, "not-found");

        // Free Slots of one schedule, five a page, through every page.
        let first = "/Slot?schedule=Schedule/3&status=free&_count=5";
        let (status, _, page) = server.get(first, Some(token)).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert_eq!(page["type"], "searchset");
        let total = page["total"].as_u64().expect("a total");
        assert!(
            total > 5,
            "{backend}: clinician 3 has more than a page: {total}"
        );
        assert_eq!(entries(&page).len(), 5);
        assert!(next_link(&page).is_some());
        let slots = all_slots(&server, token, first).await;
        assert_eq!(slots.len() as u64, total);
        let mut ids: Vec<&str> = slots.iter().filter_map(|s| s["id"].as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), slots.len(), "ids are unique");
        let mut previous = None;
        for slot in &slots {
            assert_eq!(slot["resourceType"], "Slot");
            assert_eq!(slot["status"], "free");
            assert_eq!(slot["schedule"]["reference"], "Schedule/3");
            let start = instant(&slot["start"]);
            let end = instant(&slot["end"]);
            assert!(start < end);
            assert!(
                previous.is_none_or(|previous| previous < start),
                "in time order"
            );
            previous = Some(start);
            // The id spells the clinician and the start.
            assert_eq!(slot["id"], format!("3.{}", start.as_second()));
            assert!(
                ["direct", "urgent-hold"].contains(&time_kind(slot)),
                "{slot}"
            );
        }
        // Every Slot reads back as the search gave it.
        for slot in slots.iter().take(12) {
            let id = slot["id"].as_str().expect("an id");
            let (status, _, read) = server.get(&format!("/Slot/{id}"), Some(token)).await;
            assert_eq!(status, StatusCode::OK, "{id}");
            assert_eq!(&read, slot, "{backend}");
        }
        for missing in ["/Slot/3.1", "/Slot/nonsense", "/Slot/999999.1796889600"] {
            let (status, _, body) = server.get(missing, Some(token)).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{missing}");
            assert_outcome(&body, "not-found");
        }

        // A date window narrows the search; the links keep it.
        let day = instant(&slots[0]["start"]).strftime("%Y-%m-%d").to_string();
        let windowed = format!("/Slot?schedule=Schedule/3&start=ge{day}&start=lt{day}T23:59:59Z");
        let in_window = all_slots(&server, token, &windowed).await;
        assert!(!in_window.is_empty());
        assert!(in_window.iter().all(|slot| {
            slot["start"]
                .as_str()
                .is_some_and(|start| start.starts_with(&day))
        }));

        // Without a schedule the window is required and at most 31 days.
        let today = Timestamp::now().strftime("%Y-%m-%d").to_string();
        let in_a_week = (Timestamp::now() + jiff::SignedDuration::from_hours(24 * 7))
            .strftime("%Y-%m-%d")
            .to_string();
        let in_40_days = (Timestamp::now() + jiff::SignedDuration::from_hours(24 * 40))
            .strftime("%Y-%m-%d")
            .to_string();
        for bad in [
            "/Slot".to_owned(),
            "/Slot?status=free".to_owned(),
            format!("/Slot?start=ge{today}"),
            format!("/Slot?start=ge{today}&start=lt{in_40_days}"),
            "/Slot?schedule=Schedule/3&status=maybe".to_owned(),
            "/Slot?schedule=Schedule/3&start=soon".to_owned(),
            "/Slot?schedule=Schedule/3&_count=0".to_owned(),
            "/Slot?schedule=Schedule/3&colour=blue".to_owned(),
        ] {
            let (status, _, body) = server.get(&bad, Some(token)).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
            assert_outcome(&body, "invalid");
        }
        let (status, _, week) = server
            .get(
                &format!("/Slot?status=free&start=ge{today}&start=lt{in_a_week}&_count=50"),
                Some(token),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{week}");
        assert!(entries(&week).iter().all(|slot| slot["status"] == "free"
            && instant(&slot["start"])
                >= instant(&serde_json::json!(format!("{today}T00:00:00Z")))));
        assert!(week["total"].as_u64().expect("a total") >= 50);
        assert!(next_link(&week).is_some());

        // Slots hold no member data, but only staff read them.
        let (status, _, body) = server.get(first, Some(&server.tokens.auditor)).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_outcome(&body, "forbidden");
        let (status, _, _) = server.get(first, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        server.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn protected_time_is_busy_unavailable_and_never_free() {
    for db in support::databases("slots_protected").await {
        let server = start(&db).await;
        let token = &server.tokens.scheduler;
        let mut checked = 0;
        for clinician in 0..12 {
            let slots = all_slots(
                &server,
                token,
                &format!("/Slot?schedule=Schedule/{clinician}&_count=1000"),
            )
            .await;
            let unavailable: Vec<(Timestamp, Timestamp, &str)> = slots
                .iter()
                .filter(|slot| slot["status"] == "busy-unavailable")
                .map(|slot| {
                    (
                        instant(&slot["start"]),
                        instant(&slot["end"]),
                        time_kind(slot),
                    )
                })
                .collect();
            if !unavailable.iter().any(|(_, _, kind)| *kind == "protected") {
                continue;
            }
            checked += 1;
            for (_, _, kind) in &unavailable {
                assert!(
                    ["protected", "meeting", "break", "group"].contains(kind),
                    "{kind}"
                );
            }
            // No free (or booked) Slot overlaps protected, meeting, break or group time.
            for slot in slots.iter().filter(|s| s["status"] != "busy-unavailable") {
                let (start, end) = (instant(&slot["start"]), instant(&slot["end"]));
                assert!(
                    unavailable
                        .iter()
                        .all(|(from, until, _)| end <= *from || start >= *until),
                    "{slot} overlaps unavailable time"
                );
            }
            // A search for free time never answers protected time.
            let free = all_slots(
                &server,
                token,
                &format!("/Slot?schedule=Schedule/{clinician}&status=free&_count=1000"),
            )
            .await;
            assert!(free.iter().all(|slot| slot["status"] == "free"
                && ["direct", "urgent-hold"].contains(&time_kind(slot))));
            // And protected time reads back as busy-unavailable under its own id.
            let protected = slots
                .iter()
                .find(|slot| time_kind(slot) == "protected")
                .expect("a protected Slot");
            let (status, _, read) = server
                .get(
                    &format!("/Slot/{}", protected["id"].as_str().expect("an id")),
                    Some(token),
                )
                .await;
            assert_eq!(status, StatusCode::OK);
            assert_eq!(read["status"], "busy-unavailable");
        }
        assert!(
            checked > 0,
            "some clinician among the first 12 has protected time"
        );
        server.stop().await;
    }
}

/// What [`book_a_free_slot`] booked.
struct Booked {
    member: u32,
    clinician: u32,
    /// The free Slot as it was before.
    slot: Value,
}

/// Books a free direct Slot for the first member with an offer: the offer's clinician's first
/// free direct Slot at or after the offer (the proposal's id with that start, the member's
/// choice).
async fn book_a_free_slot(server: &Running) -> Booked {
    let token = &server.tokens.scheduler;
    let (member, bundle) = server.first_proposals(token, 1).await;
    let proposal = entries(&bundle).into_iter().next().expect("a proposal");
    let offered = instant(&proposal["start"]);
    // The proposal's id: p.<member>.<kind>.<clinician>.<start>.<requested>.
    let id = proposal["id"].as_str().expect("a proposal id").to_owned();
    let parts: Vec<&str> = id.split('.').collect();
    assert_eq!(parts.len(), 6, "{id}");
    let clinician: u32 = parts[3].parse().expect("a clinician id");
    let free = all_slots(
        server,
        token,
        &format!("/Slot?schedule=Schedule/{clinician}&status=free&start=ge{offered}&_count=1000"),
    )
    .await;
    let slot = free
        .into_iter()
        .find(|slot| time_kind(slot) == "direct")
        .expect("a free direct Slot at or after the offer");
    let start = instant(&slot["start"]);
    let chosen = format!(
        "Appointment/p.{}.{}.{}.{}.{}",
        parts[1],
        parts[2],
        parts[3],
        start.as_second(),
        parts[5]
    );
    let (status, booked) = server
        .post("/Appointment/$book", token, &book_parameters(&chosen))
        .await;
    assert_eq!(status, StatusCode::OK, "{booked}");
    assert_eq!(booked["entry"][0]["resource"]["status"], "booked");
    assert_eq!(instant(&booked["entry"][0]["resource"]["start"]), start);
    Booked {
        member,
        clinician,
        slot,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_free_slot_becomes_busy_when_its_time_is_booked() {
    for db in support::databases("slots_booked").await {
        let server = start(&db).await;
        let token = &server.tokens.scheduler;
        let Booked {
            clinician, slot, ..
        } = book_a_free_slot(&server).await;
        let id = slot["id"].as_str().expect("an id");
        let (status, _, read) = server.get(&format!("/Slot/{id}"), Some(token)).await;
        assert_eq!(status, StatusCode::OK, "{read}");
        assert_eq!(read["status"], "busy", "{read}");
        assert_eq!(time_kind(&read), "appointment");
        assert_eq!(read["start"], slot["start"]);
        assert_eq!(read["end"], slot["end"]);
        let schedule = format!("/Slot?schedule=Schedule/{clinician}&_count=1000");
        let free = all_slots(&server, token, &format!("{schedule}&status=free")).await;
        assert!(free.iter().all(|other| other["id"] != id), "no longer free");
        let busy = all_slots(&server, token, &format!("{schedule}&status=busy")).await;
        assert!(busy.iter().any(|other| other["id"] == id));
        // The Schedule's lastUpdated is the booking's time, not before the Slot was read.
        let (_, _, after) = server
            .get(&format!("/Schedule/{clinician}"), Some(token))
            .await;
        assert!(instant(&after["meta"]["lastUpdated"]) >= instant(&slot["meta"]["lastUpdated"]));
        server.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clinician_reads_only_their_own_patients_and_every_read_is_audited() {
    for db in support::databases("slots_patients").await {
        let server = start(&db).await;
        let tokens = &server.tokens;

        // Schedulers read any member.
        let (status, kind, patient) = server.get("/Patient/1", Some(&tokens.scheduler)).await;
        assert_eq!(status, StatusCode::OK, "{patient}");
        assert_eq!(kind, "application/fhir+json");
        assert_eq!(patient["resourceType"], "Patient");
        assert_eq!(patient["id"], "1");
        assert_eq!(
            patient["identifier"][0]["system"],
            "https://caretime.dev/fhir/sid/member-number"
        );
        let number = patient["identifier"][0]["value"]
            .as_str()
            .expect("a member number")
            .to_owned();
        assert!(patient["name"][0]["text"].is_string());
        assert!(patient["birthDate"].is_string());
        assert_eq!(
            patient["communication"][0]["language"]["coding"][0]["system"],
            "urn:ietf:bcp:47"
        );
        let (status, _, found) = server
            .get(
                &format!(
                    "/Patient?identifier=https://caretime.dev/fhir/sid/member-number|{number}"
                ),
                Some(&tokens.scheduler),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{found}");
        assert_eq!(found["total"], 1);
        assert_eq!(entries(&found)[0], patient);
        for bad in ["/Patient", "/Patient?name=x", "/Patient?_id=one"] {
            let (status, _, body) = server.get(bad, Some(&tokens.scheduler)).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
            assert_outcome(&body, "invalid");
            // An error never echoes member data.
            assert!(!body.to_string().contains(&number));
        }
        let (status, _, body) = server
            .get("/Patient/99999999", Some(&tokens.scheduler))
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_outcome(&body, "not-found");

        // A clinician with no appointment with member 1: 403 on read and search, audited.
        let (status, _, body) = server.get("/Patient/1", Some(&tokens.clinician)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert_outcome(&body, "forbidden");
        assert!(!body.to_string().contains(&number));
        let (status, _, body) = server.get("/Patient?_id=1", Some(&tokens.clinician)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert_outcome(&body, "forbidden");
        // The auditor reads nobody's record.
        let (status, _, _) = server.get("/Patient/1", Some(&tokens.auditor)).await;
        assert_eq!(status, StatusCode::FORBIDDEN);

        // Once a member has an appointment with a clinician, that clinician reads them.
        let Booked {
            member, clinician, ..
        } = book_a_free_slot(&server).await;
        let theirs = server.add_clinician("dr-booked", clinician).await;
        let (status, _, own) = server
            .get(&format!("/Patient/{member}"), Some(&theirs))
            .await;
        assert_eq!(status, StatusCode::OK, "{own}");
        assert_eq!(own["id"], member.to_string());

        // The audit log has the refusals and the reads, by member id.
        let events = all_events(&server).await;
        let about = |id: &str, who: &str, outcome: &str| {
            events.iter().any(|event| {
                event["entity"][0]["what"]["reference"] == format!("Patient/{id}")
                    && event["agent"][0]["who"]["display"] == format!("user:{who}")
                    && event["outcome"] == outcome
            })
        };
        assert!(about("1", "dr-three", "4"), "the refusal is audited");
        assert!(about("1", "front-desk", "0"), "the read is audited");
        assert!(about(&member.to_string(), "dr-booked", "0"));
        // Member data is not in the audit log either.
        assert!(
            events
                .iter()
                .all(|event| !event.to_string().contains(&number))
        );
        server.stop().await;
    }
}

async fn all_events(server: &Running) -> Vec<Value> {
    let mut events = Vec::new();
    let mut path = Some("/AuditEvent?_count=1000".to_owned());
    while let Some(current) = path {
        let (status, _, bundle) = server.get(&current, Some(&server.tokens.auditor)).await;
        assert_eq!(status, StatusCode::OK, "{bundle}");
        events.extend(entries(&bundle));
        path = next_link(&bundle);
    }
    events
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_and_services_describe_who_works_where() {
    for db in support::databases("slots_directory").await {
        let server = start(&db).await;
        let token = &server.tokens.scheduler;
        let (status, _, role) = server.get("/PractitionerRole/3", Some(token)).await;
        assert_eq!(status, StatusCode::OK, "{role}");
        assert_eq!(role["practitioner"]["reference"], "Practitioner/3");
        let location = role["location"][0]["reference"]
            .as_str()
            .expect("a location")
            .to_owned();
        let service = role["healthcareService"][0]["reference"]
            .as_str()
            .expect("a service")
            .to_owned();
        let (_, _, practitioner) = server.get("/Practitioner/3", Some(token)).await;
        assert_eq!(
            role["specialty"][0]["text"],
            practitioner["qualification"][0]["code"]["text"]
        );
        let (status, _, found) = server
            .get("/PractitionerRole?practitioner=Practitioner/3", Some(token))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(found["total"], 1);
        assert_eq!(entries(&found)[0], role);
        let (status, _, at) = server
            .get(
                &format!("/PractitionerRole?location={location}&_count=2"),
                Some(token),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(at["total"].as_u64().expect("a total") >= 1);
        assert!(entries(&at).len() <= 2);
        assert!(
            entries(&at)
                .iter()
                .all(|r| r["location"][0]["reference"] == location.as_str())
        );

        let (status, _, read) = server.get(&format!("/{service}"), Some(token)).await;
        assert_eq!(status, StatusCode::OK, "{service}: {read}");
        assert_eq!(read["resourceType"], "HealthcareService");
        assert_eq!(read["location"][0]["reference"], location.as_str());
        assert!(
            read["communication"]
                .as_array()
                .is_some_and(|l| !l.is_empty())
        );
        let (status, _, services) = server
            .get(
                &format!("/HealthcareService?location={location}"),
                Some(token),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(entries(&services).contains(&read));
        for bad in [
            "/HealthcareService?specialty=astrology",
            "/PractitionerRole?practitioner=dr-who",
        ] {
            let (status, _, body) = server.get(bad, Some(token)).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
            assert_outcome(&body, "invalid");
        }
        let (status, _, _) = server
            .get("/HealthcareService/0.astrology", Some(token))
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        server.stop().await;
    }
}

/// The manifest and its files, without a token.
async fn publication(server: &Running, query: &str) -> (BulkPublishManifest, Vec<Vec<Resource>>) {
    let (status, kind, cache, text) =
        get_public(&format!("{}/$bulk-publish{query}", server.base)).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert_eq!(kind, "application/json");
    assert!(cache.contains("max-age="), "{cache}");
    let manifest = BulkPublishManifest::from_json(&text).expect("a manifest");
    let mut files = Vec::new();
    for output in &manifest.output {
        assert!(output.url.starts_with(&server.base), "{}", output.url);
        let (status, kind, cache, text) = get_public(&output.url).await;
        assert_eq!(status, StatusCode::OK, "{}", output.url);
        assert_eq!(kind, "application/fhir+ndjson");
        assert!(cache.contains("max-age="), "{cache}");
        let resources = read_ndjson(&text).expect("NDJSON");
        assert!(
            resources
                .iter()
                .all(|resource| resource.resource_type() == output.resource_type)
        );
        files.push(resources);
    }
    (manifest, files)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_publish_lists_public_ndjson_of_free_and_busy_slots() {
    for db in support::databases("slots_bulk").await {
        let server = start(&db).await;
        let (manifest, files) = publication(&server, "").await;
        assert_eq!(manifest.request, format!("{}/$bulk-publish", server.base));
        assert!(manifest.error.is_empty());
        let types: Vec<&str> = manifest
            .output
            .iter()
            .map(|output| output.resource_type.as_str())
            .collect();
        assert_eq!(types, ["Location", "Schedule", "Slot"]);
        assert_eq!(
            manifest.output[0].extension.get("state"),
            Some(&serde_json::json!(["CA"]))
        );
        let (locations, schedules, slots) = (&files[0], &files[1], &files[2]);
        assert!(!locations.is_empty());
        assert!(!schedules.is_empty());
        assert!(!slots.is_empty());
        let location_ids: Vec<String> = locations
            .iter()
            .filter_map(|l| l.id().map(|id| format!("Location/{id}")))
            .collect();
        for schedule in schedules {
            let Resource::Schedule(schedule) = schedule else {
                panic!("a Schedule")
            };
            assert_eq!(schedule.actor.len(), 1);
            let actor = schedule.actor[0].reference.clone().unwrap_or_default();
            assert!(location_ids.contains(&actor), "{actor}");
        }
        let mut free = 0;
        for slot in slots {
            let Resource::Slot(slot) = slot else {
                panic!("a Slot")
            };
            assert!(
                matches!(slot.status, SlotStatus::Free | SlotStatus::Busy),
                "only free and busy are published"
            );
            let kind = slot
                .extension
                .iter()
                .find(|e| e.url == TIME_KIND)
                .and_then(|e| e.value("valueCode"))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            assert!(
                !["protected", "meeting", "break", "group"].contains(&kind.as_str()),
                "{kind} time is not published"
            );
            if slot.status == SlotStatus::Free {
                free += 1;
                assert_eq!(kind, "direct");
            }
        }
        assert!(free > 0);
        // A published free Slot is the REST API's free Slot.
        let published = slots
            .iter()
            .find_map(|slot| match slot {
                Resource::Slot(slot) if slot.status == SlotStatus::Free => Some(slot),
                _ => None,
            })
            .expect("a free Slot");
        let id = published.id.clone().expect("an id");
        let (status, _, read) = server
            .get(&format!("/Slot/{id}"), Some(&server.tokens.scheduler))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(read["status"], "free");
        assert_eq!(read["start"].as_str(), Some(published.start.as_str()));

        // `_since` in the future: every file is empty.
        let future = (Timestamp::now() + jiff::SignedDuration::from_hours(24)).to_string();
        let (manifest, files) = publication(&server, &format!("?_since={future}")).await;
        assert!(manifest.output.iter().all(|o| o.url.contains("_since=")));
        assert!(files.iter().all(Vec::is_empty), "{files:?}");

        // `_since` just before a booking: only the booked clinician's Schedule and Slots.
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        let since = Timestamp::from_second(Timestamp::now().as_second()).expect("in range");
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        let Booked {
            clinician, slot, ..
        } = book_a_free_slot(&server).await;
        let (_, files) = publication(&server, &format!("?_since={since}")).await;
        assert!(files[0].is_empty(), "Locations have not changed");
        let ids: Vec<&str> = files[1].iter().filter_map(Resource::id).collect();
        assert_eq!(ids, [clinician.to_string().as_str()]);
        let schedule = format!("Schedule/{clinician}");
        assert!(files[2].iter().all(|published| match published {
            Resource::Slot(published) => {
                published.schedule.reference.as_deref() == Some(schedule.as_str())
            }
            _ => false,
        }));
        let now_busy = files[2]
            .iter()
            .find(|published| published.id() == slot["id"].as_str())
            .expect("the booked Slot is published");
        let Resource::Slot(now_busy) = now_busy else {
            panic!("a Slot")
        };
        assert_eq!(now_busy.status, SlotStatus::Busy);

        let (status, _, _, text) =
            get_public(&format!("{}/$bulk-publish?_since=yesterday", server.base)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let body: Value = serde_json::from_str(&text).expect("JSON");
        assert_outcome(&body, "invalid");
        server.stop().await;
    }
}
