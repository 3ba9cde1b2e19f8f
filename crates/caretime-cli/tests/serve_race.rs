//! Two `caretime serve` processes on one database, as DESIGN.md's scale-out has it: 64 `$book`
//! of one proposal at once, split between them, book it exactly once. Each process decides on
//! its own cache of the book; only the database (PostgreSQL's exclusion constraint, SQLite's
//! `BEGIN IMMEDIATE`) can make the losers lose. Runs on a fresh SQLite file always and on a
//! fresh PostgreSQL database when `CARETIME_TEST_POSTGRES_URL` is set.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::Arc;

use jiff::Timestamp;
use reqwest::StatusCode;
use serde_json::{Value, json};

#[path = "../../caretime-store/tests/support/mod.rs"]
mod db_support;
mod support;

use support::scratch;

const RACERS: usize = 64;

/// A `caretime serve` process; killed if a failed test drops it still running.
struct Server {
    child: Child,
    base: String,
    // Held open so that the server's stdout never becomes a broken pipe.
    _stdout: BufReader<ChildStdout>,
}

impl Server {
    /// Starts `caretime serve` on `url` on a free port, its log in `log`, and waits for the
    /// address it prints.
    fn start(url: &str, log: &Path) -> Server {
        let log_file = std::fs::File::create(log).expect("the server log file");
        let mut child = Command::new(env!("CARGO_BIN_EXE_caretime"))
            .args(["serve", "--database", url, "--bind", "127.0.0.1:0"])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(log_file)
            .spawn()
            .expect("the binary starts");
        let mut stdout = BufReader::new(child.stdout.take().expect("a piped stdout"));
        let mut line = String::new();
        stdout.read_line(&mut line).expect("the server's stdout");
        let base = line
            .trim_end()
            .rsplit_once(" on ")
            .map(|(_, base)| base.to_owned())
            .filter(|base| base.starts_with("http://"))
            .unwrap_or_else(|| {
                let log = std::fs::read_to_string(log).unwrap_or_default();
                panic!("caretime serve printed {line:?}, not its address; log: {log}")
            });
        Server {
            child,
            base,
            _stdout: stdout,
        }
    }

    /// SIGTERM, then the exit status: 0 when it finished its requests and stopped.
    fn terminate(mut self) -> Option<i32> {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill runs");
        assert!(sent.success(), "SIGTERM to {pid}");
        self.child.wait().expect("the server exits").code()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Runs `caretime` with `args` on `url` and returns its stdout; panics unless it exits 0.
fn caretime(url: &str, args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_caretime"))
        .args(args)
        .env("CARETIME_DATABASE_URL", url)
        .output()
        .expect("the binary runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "caretime {args:?}: {stderr}");
    String::from_utf8(output.stdout).expect("utf-8 stdout")
}

fn words(line: &str) -> Vec<&str> {
    line.split_whitespace().collect()
}

fn parameters(name: &str, value: Value) -> Value {
    json!({ "resourceType": "Parameters", "parameter": [{ "name": name, "valueReference": value }] })
}

async fn post(
    client: &reqwest::Client,
    url: String,
    token: &str,
    body: &Value,
) -> (StatusCode, Value) {
    let response = client
        .post(url)
        .bearer_auth(token)
        .header(reqwest::header::CONTENT_TYPE, "application/fhir+json")
        .body(body.to_string())
        .send()
        .await
        .expect("the server answers");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// The first member (from 1) with a proposal, and that proposal.
async fn a_proposal(client: &reqwest::Client, base: &str, token: &str) -> Value {
    for member in 1..200 {
        let find = json!({
            "resourceType": "Parameters",
            "parameter": [
                { "name": "patient-reference", "valueReference": { "reference": format!("Patient/{member}") } },
                { "name": "visit-type", "valueCoding": { "code": "initial" } },
                { "name": "_count", "valueInteger": 1 },
            ]
        });
        let (status, bundle) =
            post(client, format!("{base}/Appointment/$find"), token, &find).await;
        assert_eq!(status, StatusCode::OK, "{bundle}");
        if bundle["total"].as_u64().unwrap_or(0) > 0 {
            return bundle["entry"][0]["resource"].clone();
        }
    }
    panic!("no member among the first 200 has a proposal")
}

fn instant(text: &Value) -> Timestamp {
    text.as_str()
        .expect("a time")
        .parse()
        .expect("an RFC 3339 time")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_servers_on_one_database_book_a_proposal_once() {
    for db in db_support::databases("serve_race").await {
        let backend = db.backend;
        let url = db.url.as_str();
        let dir = scratch(&format!("serve_race-{backend}"));
        let region = dir.join("region.json");
        let region_text = region.to_str().expect("a UTF-8 path");
        let generate = "region generate --preset socal --scale 0.002 --seed 1 -o";
        caretime(url, &[words(generate), vec![region_text]].concat());
        let now = Timestamp::now().to_string();
        caretime(url, &["import", region_text, "--now", &now]);
        let add = "--format json user add racer --role scheduler";
        let added: Value =
            serde_json::from_str(&caretime(url, &words(add))).expect("one JSON document");
        let token: Arc<str> = added["token"].as_str().expect("a token").into();

        let servers = [
            Server::start(url, &dir.join("serve-a.log")),
            Server::start(url, &dir.join("serve-b.log")),
        ];
        let client = reqwest::Client::new();
        let proposal = a_proposal(&client, &servers[0].base, &token).await;
        let reference = format!("Appointment/{}", proposal["id"].as_str().expect("an id"));
        let book = Arc::new(parameters(
            "appointment-reference",
            json!({ "reference": reference }),
        ));

        // All at once: every racer waits at the barrier, then each server gets half of them.
        let barrier = Arc::new(tokio::sync::Barrier::new(RACERS));
        let racers: Vec<_> = (0..RACERS)
            .map(|racer| {
                let url = format!("{}/Appointment/$book", servers[racer % 2].base);
                let (client, token, book, barrier) =
                    (client.clone(), token.clone(), book.clone(), barrier.clone());
                tokio::spawn(async move {
                    barrier.wait().await;
                    post(&client, url, &token, &book).await
                })
            })
            .collect();
        let mut booked = Vec::new();
        let mut conflicts = 0;
        for racer in racers {
            let (status, body) = racer.await.expect("the racer ends");
            match status {
                StatusCode::OK => booked.push(body),
                StatusCode::CONFLICT => {
                    assert_eq!(
                        body["resourceType"], "OperationOutcome",
                        "{backend}: {body}"
                    );
                    assert_eq!(body["issue"][0]["code"], "conflict", "{backend}: {body}");
                    conflicts += 1;
                }
                other => panic!("{backend}: $book answered {other}: {body}"),
            }
        }
        assert_eq!(booked.len(), 1, "{backend}: exactly one $book books");
        assert_eq!(conflicts, RACERS - 1, "{backend}");
        let appointment = &booked[0]["entry"][0]["resource"];
        assert_eq!(appointment["status"], "booked", "{backend}: {appointment}");
        assert_eq!(appointment["start"], proposal["start"], "{backend}");

        let [first, second] = servers;
        assert_eq!(
            first.terminate(),
            Some(0),
            "{backend}: a SIGTERM stops cleanly"
        );
        assert_eq!(
            second.terminate(),
            Some(0),
            "{backend}: a SIGTERM stops cleanly"
        );

        // The database holds exactly one appointment at that time, whatever the caches said.
        let clinician = proposal["participant"]
            .as_array()
            .expect("participants")
            .iter()
            .filter_map(|participant| participant["actor"]["reference"].as_str())
            .find_map(|actor| actor.strip_prefix("Practitioner/"))
            .expect("a practitioner")
            .to_owned();
        let list = [
            words("--format json appointments --clinician"),
            vec![&clinician],
        ]
        .concat();
        let listed: Value = serde_json::from_str(&caretime(url, &list)).expect("one JSON document");
        let start = instant(&proposal["start"]);
        let at_that_time: Vec<&Value> = listed
            .as_array()
            .expect("a list")
            .iter()
            .filter(|listed| listed["status"] == "booked" && instant(&listed["start"]) == start)
            .collect();
        assert_eq!(at_that_time.len(), 1, "{backend}: {at_that_time:?}");

        let _ = std::fs::remove_dir_all(&dir);
        db.finish().await;
    }
}
