//! `caretime bench store` as a user runs it: concurrent clients booking into a fresh database,
//! on SQLite always and on PostgreSQL when `CARETIME_TEST_POSTGRES_URL` names a server.

#[path = "../../caretime-store/tests/support/mod.rs"]
mod store_support;
mod support;

use support::{assert_one_error_line, caretime, json};

/// A small run: 9,600 members, `bookings` requests over `clients` clients, in JSON.
fn bench(database: &str, clients: &str, bookings: &str, extra: &[&str]) -> support::Run {
    let mut args = vec![
        "bench",
        "store",
        "--database",
        database,
        "--scale",
        "0.002",
        "--clients",
        clients,
        "--bookings",
        bookings,
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    caretime(&args)
}

/// Every request is counted once, some are booked, the latencies are ordered, and the
/// database holds no double booking afterwards.
fn assert_sound(report: &serde_json::Value, requests: u64, backend: &str) {
    assert_eq!(report["backend"], backend);
    assert_eq!(report["members"], 9600);
    let count = |name: &str| report[name].as_u64().expect("a count");
    assert_eq!(
        count("committed") + count("refused") + count("conflicts") + count("no_time"),
        requests,
        "{report}"
    );
    assert!(count("committed") > requests / 2, "{report}");
    assert_eq!(report["check_problems"], 0, "{report}");
    let rate = report["bookings_per_second"].as_f64().expect("a rate");
    let seconds = report["seconds"].as_f64().expect("seconds");
    assert!((rate * seconds - count("committed") as f64).abs() < 1e-6 * rate.max(1.0));
    for part in ["decision", "engine"] {
        let millis = |name: &str| report[part][name].as_f64().expect("milliseconds");
        assert!(millis("p50_ms") > 0.0, "{part}");
        assert!(millis("p50_ms") <= millis("p99_ms"), "{part}");
        assert!(millis("p99_ms") <= millis("max_ms"), "{part}");
    }
    let engine = report["engine"]["mean_ms"].as_f64().expect("mean");
    let decision = report["decision"]["mean_ms"].as_f64().expect("mean");
    assert!(
        engine <= decision,
        "the engine's time is part of a decision's"
    );
}

#[tokio::test]
async fn clients_book_a_fresh_database_and_refuse_one_that_holds_a_region() {
    for db in store_support::databases("bench_store").await {
        let run = bench(&db.url, "3", "60", &[]);
        assert_sound(&json(&run), 60, db.backend);

        // The same database again: refused, unless --reuse books into its region.
        let again = bench(&db.url, "2", "20", &[]);
        assert_one_error_line(&again, &[db.backend], "holds a region already");
        let reused = json(&bench(&db.url, "2", "20", &["--reuse"]));
        assert_eq!(reused["reused"], true);
        assert_eq!(reused["import_seconds"], serde_json::Value::Null);
        assert_sound(&reused, 20, db.backend);
        db.finish().await;
    }
}

#[test]
fn without_a_database_it_books_a_scratch_sqlite_file_and_removes_it() {
    let report = json(&caretime(&[
        "bench",
        "store",
        "--scale",
        "0.002",
        "--clients",
        "2",
        "--bookings",
        "30",
        "--format",
        "json",
    ]));
    assert_sound(&report, 30, "sqlite");
    let url = report["database"].as_str().expect("a URL");
    let file = url.strip_prefix("sqlite://").expect("a SQLite URL");
    assert!(
        !std::path::Path::new(file).exists(),
        "{file} should be removed"
    );
}

#[test]
fn pgbench_needs_a_postgres_database() {
    let args = ["bench", "store", "--bookings", "5", "--pgbench"];
    assert_one_error_line(
        &caretime(&args),
        &args,
        "--pgbench needs a PostgreSQL --database",
    );
}
