//! `caretime bench serve` as a user runs it: the real server on a tiny region, driven over HTTP,
//! on a scratch SQLite file. A smoke test of the command and its report, not a timed test.

mod support;

use support::{assert_one_error_line, caretime, json};

#[test]
fn clients_find_and_book_over_http_and_the_report_says_how_fast() {
    let run = caretime(&[
        "bench",
        "serve",
        "--scale",
        "0.002",
        "--clients",
        "4",
        "--finds",
        "20",
        "--book-found",
        "8",
        "--books",
        "5",
        "--format",
        "json",
    ]);
    let report = json(&run);
    assert_eq!(report["backend"], "sqlite");
    assert_eq!(report["members"], 9600);
    assert_eq!(report["reused"], false);
    let count = |part: &str, name: &str| report[part][name].as_u64().expect("a count");

    // Every $find answered 200, most with offers, and each was timed.
    assert_eq!(count("find", "requests"), 20);
    assert_eq!(
        count("find", "with_offers") + count("find", "without_offers"),
        20,
        "{report}"
    );
    assert!(count("find", "with_offers") > 10, "{report}");
    assert_eq!(report["find"]["other_statuses"], serde_json::json!({}));
    let latency = |part: &str, latency: &str| {
        let millis = |name: &str| report[part][latency][name].as_f64().expect("milliseconds");
        let (p50, p90, p99, max) = (
            millis("p50_ms"),
            millis("p90_ms"),
            millis("p99_ms"),
            millis("max_ms"),
        );
        assert!(
            0.0 < p50 && p50 <= p90 && p90 <= p99 && p99 <= max,
            "{part}"
        );
    };
    latency("find", "latency");
    assert!(report["find"]["per_second"].as_f64().expect("a rate") > 0.0);

    // Phase two books up to 8 of the times phase one's finds offered, one a find, none
    // overlapping another with the same clinician. Everyone asked for the earliest time, so
    // most finds offered times an earlier find had claimed.
    let found = |name: &str| count("book_found", name);
    let claimed = count("find", "with_offers") - found("unclaimed");
    assert_eq!(found("requests"), claimed.min(8), "{report}");
    assert_eq!(
        found("booked") + found("conflicts"),
        found("requests"),
        "{report}"
    );
    assert!(found("booked") >= 1, "{report}");
    assert_eq!(
        report["book_found"]["other_statuses"],
        serde_json::json!({})
    );
    latency("book_found", "latency");
    let seconds = report["book_found"]["seconds"].as_f64().expect("seconds");
    let rate = report["book_found"]["bookings_per_second"]
        .as_f64()
        .expect("a rate");
    assert!((rate * seconds - found("booked") as f64).abs() < 1e-6 * rate.max(1.0));

    // Every attempt is counted once. Clients asking at once are offered the same earliest times,
    // so some lose the race (409): at least the first booking of each time commits.
    let book = |name: &str| count("book", name);
    assert_eq!(book("attempts"), 5);
    assert_eq!(
        book("booked") + book("conflicts") + book("no_offer"),
        5,
        "{report}"
    );
    assert!(book("booked") >= 1, "{report}");
    latency("book", "book_latency");
    let rate = report["book"]["bookings_per_second"]
        .as_f64()
        .expect("a rate");
    let seconds = report["book"]["seconds"].as_f64().expect("seconds");
    assert!((rate * seconds - book("booked") as f64).abs() < 1e-6 * rate.max(1.0));
    let answers = report["book"]["book_answers_per_second"]
        .as_f64()
        .expect("a rate");
    let answered = (book("booked") + book("conflicts")) as f64;
    assert!((answers * seconds - answered).abs() < 1e-6 * answers.max(1.0));
    assert_eq!(report["start_within_days"], 0);
    assert_eq!(report["pgbench"], serde_json::Value::Null);
    assert_eq!(report["find_then_book_ratio"], serde_json::Value::Null);

    // The table says the same.
    let text = caretime(&[
        "bench",
        "serve",
        "--scale",
        "0.002",
        "--clients",
        "2",
        "--finds",
        "10",
        "--books",
        "2",
        "--start-within",
        "7",
    ]);
    assert_eq!(text.status, 0, "{}", text.stderr);
    for field in [
        "$find latency",
        "p99",
        "bookings a second",
        "$book of found",
        "$book latency",
        "from a start within 7 days",
    ] {
        assert!(text.stdout.contains(field), "{field}: {}", text.stdout);
    }
}

#[test]
fn pgbench_needs_a_postgres_database() {
    let args = ["bench", "serve", "--finds", "5", "--pgbench"];
    assert_one_error_line(
        &caretime(&args),
        &args,
        "--pgbench needs a PostgreSQL --database",
    );
}

#[test]
fn members_start_within_at_most_sixty_days() {
    let run = caretime(&["bench", "serve", "--start-within", "61"]);
    assert_ne!(run.status, 0);
    assert!(run.stderr.contains("--start-within"), "{}", run.stderr);
}
