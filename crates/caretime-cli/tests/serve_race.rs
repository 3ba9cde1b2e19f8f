//! Two `caretime serve` processes on one database, as a deployment scales out: 64 `$book`
//! of one proposal at once, split between them, book it exactly once. Each process decides on
//! its own cache of the book; only the database (PostgreSQL's exclusion constraint, SQLite's
//! `BEGIN IMMEDIATE`) can make the losers lose. Runs on a fresh SQLite file always and on a
//! fresh PostgreSQL database when `CARETIME_TEST_POSTGRES_URL` is set.

use std::sync::Arc;

use jiff::Timestamp;
use reqwest::StatusCode;
use serde_json::{Value, json};

#[path = "../../caretime-store/tests/support/mod.rs"]
mod db_support;
mod serving;
mod support;

use serving::{Server, a_proposal, caretime, parameters, post, words};
use support::scratch;

const RACERS: usize = 64;

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
