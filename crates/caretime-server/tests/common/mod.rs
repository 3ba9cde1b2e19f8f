//! What the API tests share: a server on a fresh database (SQLite always, PostgreSQL when
//! `CARETIME_TEST_POSTGRES_URL` is set), a real listener on 127.0.0.1:0, a real client.

// Each test file uses its own part of this module.
#![allow(dead_code)]

#[path = "../../../caretime-store/tests/support/mod.rs"]
pub(crate) mod support;

use caretime_core::files::builtin;
use caretime_region::generate::{RegionParams, generate};
use caretime_server::auth::{new_token, token_hash};
use caretime_server::{AppState, Clock, serve};
use caretime_store::live::LiveBook;
use caretime_store::shared::SharedBook;
use caretime_store::users::NewUser;
use caretime_store::{Actor, Store};
use jiff::Timestamp;
use reqwest::StatusCode;
use serde_json::Value;
use std::sync::atomic::{AtomicUsize, Ordering};
pub(crate) use support::TestDb;
use tokio::sync::oneshot;

/// The wall clock: the server decides at the time it is (the book is imported from today).
pub(crate) fn now() -> Timestamp {
    Timestamp::now()
}

pub(crate) fn admin() -> Actor {
    Actor {
        who: "test:admin".to_owned(),
        source: "api test".to_owned(),
    }
}

/// A running server on `db` with a small region, and a token per role.
pub(crate) struct Running {
    pub(crate) base: String,
    pub(crate) store: Store,
    pub(crate) tokens: Tokens,
    pub(crate) stop: oneshot::Sender<()>,
    pub(crate) clock: Clock,
    pub(crate) served: tokio::task::JoinHandle<std::io::Result<()>>,
}

pub(crate) struct Tokens {
    pub(crate) scheduler: String,
    pub(crate) auditor: String,
    pub(crate) clinician: String,
}

/// Adds a user with `role` (and `clinician`, for a clinician) and returns their first token.
pub(crate) async fn user_token(
    store: &Store,
    name: &str,
    role: &str,
    clinician: Option<u32>,
) -> String {
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
}

impl Running {
    /// A new clinician user's token.
    pub(crate) async fn add_clinician(&self, name: &str, clinician: u32) -> String {
        user_token(&self.store, name, "clinician", Some(clinician)).await
    }
}

pub(crate) async fn start(db: &TestDb) -> Running {
    start_limited(db, caretime_server::DEFAULT_RATE_LIMIT).await
}

/// [`start`] with a rate limit of `per_second` requests a second per client (0: none).
pub(crate) async fn start_limited(db: &TestDb, per_second: u32) -> Running {
    let store = Store::open(&db.url).await.expect("the store opens");
    let region = generate(&RegionParams::socal(0.002, 1)).expect("a region");
    let rules = builtin::rule_set_text("ca-dmhc").expect("the built-in rule set");
    let first = now().to_zoned(jiff::tz::TimeZone::UTC).date();
    store
        .import_region(&region, rules, first, &admin(), now(), &|_, _| {})
        .await
        .expect("the region imports");
    let add = async |name: &str, role: &str, clinician: Option<u32>| {
        user_token(&store, name, role, clinician).await
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
    let clock = Clock::system();
    let mut state = AppState::new(store.clone(), book, clock.clone());
    state.rate_limit = caretime_server::metrics::RateLimit::per_second(per_second);
    let state_store = state.store.clone();
    let served = tokio::spawn(serve(listener, state, async {
        let _ = stopped.await;
    }));
    Running {
        base,
        // The server's own store (with its token cache): a revocation through it takes
        // effect at once, as one through `caretime user revoke` does when its notification
        // arrives.
        store: state_store,
        tokens,
        stop,
        clock,
        served,
    }
}

impl Running {
    pub(crate) async fn get(&self, path: &str, token: Option<&str>) -> (StatusCode, String, Value) {
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
        capture(path, &body);
        (status, kind, body)
    }

    pub(crate) async fn stop(self) {
        let _ = self.stop.send(());
        self.served
            .await
            .expect("the server task ends")
            .expect("the server stops cleanly");
        self.store.close().await;
    }
}

/// When `CARETIME_FHIR_OUT` names a directory, writes `body` (a JSON answer to `path`) to a new
/// file there, for the outside FHIR validators CI runs (`.ci/fhir_validate`). The name is the
/// process id, a counter and the path with everything but letters, digits and `-` as `_`.
pub(crate) fn capture(path: &str, body: &Value) {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let Some(dir) = std::env::var_os("CARETIME_FHIR_OUT") else {
        return;
    };
    if body.is_null() {
        return;
    }
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    let name: String = path
        .chars()
        .take(100)
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let file =
        std::path::Path::new(&dir).join(format!("{}-{count:05}-{name}.json", std::process::id()));
    std::fs::write(&file, body.to_string()).expect("CARETIME_FHIR_OUT is a writable directory");
}

pub(crate) fn assert_outcome(body: &Value, code: &str) {
    assert_eq!(body["resourceType"], "OperationOutcome", "{body}");
    assert_eq!(body["issue"][0]["severity"], "error", "{body}");
    assert_eq!(body["issue"][0]["code"], code, "{body}");
}

impl Running {
    pub(crate) async fn post(&self, path: &str, token: &str, body: &Value) -> (StatusCode, Value) {
        let response = reqwest::Client::new()
            .post(format!("{}{path}", self.base))
            .bearer_auth(token)
            .header(reqwest::header::CONTENT_TYPE, "application/fhir+json")
            .body(body.to_string())
            .send()
            .await
            .expect("the server answers");
        let status = response.status();
        let body = response.json().await.unwrap_or(Value::Null);
        capture(path, &body);
        (status, body)
    }
}

pub(crate) fn find_parameters(member: u32, count: u32) -> Value {
    serde_json::json!({
        "resourceType": "Parameters",
        "parameter": [
            { "name": "patient-reference", "valueReference": { "reference": format!("Patient/{member}") } },
            { "name": "visit-type", "valueCoding": { "code": "initial" } },
            { "name": "_count", "valueInteger": count },
        ]
    })
}

impl Running {
    /// The first member (from 1) some clinician can see, with the `$find` Bundle of up to
    /// `count` proposals for their initial request.
    pub(crate) async fn first_proposals(&self, token: &str, count: u32) -> (u32, Value) {
        for member in 1..200 {
            let (status, bundle) = self
                .post("/Appointment/$find", token, &find_parameters(member, count))
                .await;
            assert_eq!(status, StatusCode::OK, "{bundle}");
            if bundle["total"].as_u64().unwrap_or(0) > 0 {
                return (member, bundle);
            }
        }
        panic!("no member among the first 200 has an offer")
    }
}

pub(crate) fn book_parameters(reference: &str) -> Value {
    serde_json::json!({
        "resourceType": "Parameters",
        "parameter": [
            { "name": "appointment-reference", "valueReference": { "reference": reference } },
        ]
    })
}
