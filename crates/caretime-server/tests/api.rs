//! The server over real HTTP: a fresh database (SQLite always, PostgreSQL when
//! `CARETIME_TEST_POSTGRES_URL` is set), a real listener on 127.0.0.1:0, a real client.

#[path = "../../caretime-store/tests/support/mod.rs"]
mod support;

use caretime_core::files::builtin;
use caretime_region::generate::{RegionParams, generate};
use caretime_server::auth::{new_token, token_hash};
use caretime_server::{AppState, serve};
use caretime_store::live::LiveBook;
use caretime_store::shared::SharedBook;
use caretime_store::users::NewUser;
use caretime_store::{Actor, Store};
use jiff::Timestamp;
use reqwest::StatusCode;
use serde_json::Value;
use support::TestDb;
use tokio::sync::oneshot;

fn now() -> Timestamp {
    "2025-12-01T16:00:00Z".parse().expect("an instant")
}

fn admin() -> Actor {
    Actor {
        who: "test:admin".to_owned(),
        source: "api test".to_owned(),
    }
}

/// A running server on `db` with a small region, and a token per role.
struct Running {
    base: String,
    store: Store,
    tokens: Tokens,
    stop: oneshot::Sender<()>,
    served: tokio::task::JoinHandle<std::io::Result<()>>,
}

struct Tokens {
    scheduler: String,
    auditor: String,
    clinician: String,
}

async fn start(db: &TestDb) -> Running {
    let store = Store::open(&db.url).await.expect("the store opens");
    let region = generate(&RegionParams::socal(0.002, 1)).expect("a region");
    let rules = builtin::rule_set_text("ca-dmhc").expect("the built-in rule set");
    let first = now().to_zoned(jiff::tz::TimeZone::UTC).date();
    store
        .import_region(&region, rules, first, &admin(), now(), &|_, _| {})
        .await
        .expect("the region imports");
    let add = async |name: &str, role: &str, clinician: Option<u32>| {
        let token = new_token().expect("randomness");
        store
            .add_user(
                &NewUser {
                    name,
                    role,
                    clinician,
                    password_hash: None,
                    token_hash: &token_hash(&token),
                },
                &admin(),
                now(),
            )
            .await
            .expect("adds the user");
        token
    };
    let tokens = Tokens {
        scheduler: add("front-desk", "scheduler", None).await,
        auditor: add("compliance", "auditor", None).await,
        clinician: add("dr-three", "clinician", Some(3)).await,
    };
    let live = LiveBook::load(&store, now(), &admin())
        .await
        .expect("loads");
    let book = SharedBook::start(live);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let base = format!("http://{}", listener.local_addr().expect("an address"));
    let (stop, stopped) = oneshot::channel::<()>();
    let state = AppState {
        store: store.clone(),
        book,
    };
    let served = tokio::spawn(serve(listener, state, async {
        let _ = stopped.await;
    }));
    Running {
        base,
        store,
        tokens,
        stop,
        served,
    }
}

impl Running {
    async fn get(&self, path: &str, token: Option<&str>) -> (StatusCode, String, Value) {
        let client = reqwest::Client::new();
        let mut request = client.get(format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("the server answers");
        let status = response.status();
        let kind = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        (status, kind, body)
    }

    async fn stop(self) {
        let _ = self.stop.send(());
        self.served
            .await
            .expect("the server task ends")
            .expect("the server stops cleanly");
        self.store.close().await;
    }
}

fn assert_outcome(body: &Value, code: &str) {
    assert_eq!(body["resourceType"], "OperationOutcome", "{body}");
    assert_eq!(body["issue"][0]["severity"], "error", "{body}");
    assert_eq!(body["issue"][0]["code"], code, "{body}");
}

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
        assert_eq!(listed, ["Practitioner", "Location", "AuditEvent"]);

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
