//! What a new user meets in `replan` and `find`: a replan disrupts a practice with room, says how
//! full the disrupted dates were, and `find` gives alternatives with languages, distances and the
//! member's days and hours.

use std::path::{Path, PathBuf};

mod support;

use support::{Run, caretime, json, scratch};

fn disruption(name: &str) -> String {
    format!(
        "{}/../../examples/disruptions/{name}.toml",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// `caretime replan` of a disruption file at 1 % scale, in JSON, with `extra` flags.
fn replan(name: &str, extra: &[&str]) -> Run {
    let file = disruption(name);
    let mut args = vec![
        "replan",
        "--scale",
        "0.01",
        "--disruption",
        &file,
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    caretime(&args)
}

fn count(report: &serde_json::Value, name: &str) -> u64 {
    report[name]
        .as_u64()
        .unwrap_or_else(|| panic!("{name} is a count: {report}"))
}

fn number(value: &serde_json::Value) -> f64 {
    value
        .as_f64()
        .unwrap_or_else(|| panic!("a number: {value}"))
}

#[test]
fn a_leave_of_two_clinicians_in_a_steady_practice_is_moved_within_the_deadlines() {
    let report = json(&replan("two-clinician-leave", &[]));
    // The workload says what it is: a steady practice at the stated utilisation.
    let workload = &report["workload"];
    assert_eq!(workload["model"], "steady", "{report}");
    assert_eq!(number(&workload["internal_utilisation"]), 0.85);
    assert_eq!(number(&workload["network_utilisation"]), 0.85);
    assert!(count(workload, "booked") > 1_000, "{workload}");
    // Before the leave its dates were busy but not full, internal and network alike.
    for side in ["internal", "network"] {
        let capacity = &report["capacity_before"][side];
        let share = number(&capacity["booked_share"]);
        assert!((0.5..0.9).contains(&share), "{side}: {capacity}");
        let booked = number(&capacity["booked_hours"]);
        let bookable = number(&capacity["bookable_hours"]);
        assert!(
            (booked / bookable - share).abs() < 1e-9,
            "{side}: {capacity}"
        );
        assert!(number(&capacity["free_hours_not_disrupted"]) > 50.0);
    }
    // So the room absorbs the leave: nearly every appointment moves within its deadline.
    let displaced = count(&report, "displaced");
    assert!(
        displaced > 20,
        "two clinicians displace a caseload: {report}"
    );
    let moved = count(&report, "internal") + count(&report, "network");
    assert_eq!(
        moved, displaced,
        "nobody needs an out-of-network arrangement"
    );
    assert!(
        count(&report, "timely") * 10 >= moved * 9,
        "at most one in ten late: {report}"
    );
}

#[test]
fn a_strike_reports_that_there_was_no_room_for_what_it_displaced() {
    let report = json(&replan("socal-strike", &[]));
    let displaced = count(&report, "displaced");
    // Every displaced appointment is an hour with a therapist; the free hours left to the
    // clinicians at work on the strike's dates fall far short of that.
    let room: f64 = ["internal", "network"]
        .iter()
        .map(|side| number(&report["capacity_before"][side]["free_hours_not_disrupted"]))
        .sum();
    assert!(room < displaced as f64 * 0.75, "room {room} h: {report}");
    let moved = count(&report, "internal") + count(&report, "network");
    assert!(
        count(&report, "timely") * 2 < moved,
        "most moves are late: {report}"
    );
    // The text report says so before the plan's counts.
    let file = disruption("socal-strike");
    let text = caretime(&["replan", "--scale", "0.01", "--disruption", &file]);
    assert_eq!(text.status, 0, "{}", text.stderr);
    let row = |label: &str| {
        text.stdout
            .lines()
            .position(|line| line.starts_with(label))
            .unwrap_or_else(|| panic!("a `{label}` row: {}", text.stdout))
    };
    assert!(row("internal before") < row("displaced"));
    assert!(row("network before") < row("displaced"));
    assert!(
        text.stdout.contains("% of therapy direct time booked"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout.contains("steady practice, 85 %"),
        "{}",
        text.stdout
    );
}

#[test]
fn the_utilisation_is_a_share_and_an_empty_practice_has_nothing_to_move() {
    let run = replan("two-clinician-leave", &["--utilisation", "1.5"]);
    assert_eq!(run.status, 2, "{}", run.stderr);
    assert!(run.stderr.contains("share from 0 to 1"), "{}", run.stderr);
    assert!(run.stdout.is_empty());

    let empty = json(&replan(
        "two-clinician-leave",
        &["--utilisation", "0", "--network-utilisation", "0"],
    ));
    assert_eq!(count(&empty["workload"], "booked"), 0, "{empty}");
    assert_eq!(count(&empty, "displaced"), 0, "{empty}");
    assert_eq!(
        number(&empty["capacity_before"]["internal"]["booked_share"]),
        0.0
    );

    // The stress load of random requests is still there, by name.
    let random = json(&replan("two-clinician-leave", &["--bookings", "500"]));
    assert_eq!(random["workload"]["model"], "random-requests", "{random}");
    assert_eq!(count(&random["workload"], "requests"), 500);
}

const REQUESTED: &str = "2025-12-01T08:00:00-08:00[America/Los_Angeles]";

/// A region at 0.2 % scale (9,600 members), written once per test into its own directory.
fn region(name: &str) -> PathBuf {
    let path = scratch(name).join("region.json");
    let run = caretime(&[
        "region",
        "generate",
        "--scale",
        "0.002",
        "-o",
        path.to_str().expect("utf-8 path"),
        "--format",
        "json",
    ]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    path
}

fn find(region: &Path, member: &str, extra: &[&str]) -> Run {
    let mut args = vec![
        "find",
        "--region",
        region.to_str().expect("utf-8 path"),
        "--member",
        member,
        "--kind",
        "initial",
        "--requested",
        REQUESTED,
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    caretime(&args)
}

#[test]
fn find_lists_alternatives_with_languages_and_distances() {
    let region = region("find-alternatives");
    let out = json(&find(&region, "17", &["--offers", "5"]));
    assert!(out["member_language"].is_string(), "{out}");
    assert!(out["member_accepts"].is_array(), "{out}");
    let offers = out["offers"].as_array().expect("offers");
    assert_eq!(offers.len(), 5, "an empty book has room for five: {out}");
    let mut clinicians: Vec<&str> = offers
        .iter()
        .map(|offer| offer["clinician"].as_str().expect("id"))
        .collect();
    clinicians.sort_unstable();
    clinicians.dedup();
    assert_eq!(clinicians.len(), 5, "each from another clinician: {out}");
    assert_eq!(offers[0]["alternative"], false);
    assert_eq!(offers[4]["alternative"], true);
    for (idx, offer) in offers.iter().enumerate() {
        assert_eq!(offer["rank"], idx + 1);
        assert!(
            !offer["clinician_languages"]
                .as_array()
                .expect("languages")
                .is_empty(),
            "{offer}"
        );
        // A distance for in-person care only, within the travel limit.
        match offer["modality"].as_str() {
            Some("in-person") => assert!(number(&offer["distance_km"]) <= 24.0, "{offer}"),
            _ => assert!(offer["distance_km"].is_null(), "{offer}"),
        }
    }

    // A member who comes only in person is offered care near home, with its distance.
    let file: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&region).expect("region written"))
            .expect("region JSON");
    let in_person_only = file["members"]
        .as_array()
        .expect("members")
        .iter()
        .filter(|member| member["accepts"] == serde_json::json!(["in-person"]))
        .map(|member| member["id"].to_string())
        .take(40);
    let distances: Vec<f64> = in_person_only
        .flat_map(|member| {
            let out = json(&find(&region, &member, &[]));
            out["offers"]
                .as_array()
                .expect("offers")
                .iter()
                .filter_map(|offer| offer["distance_km"].as_f64())
                .collect::<Vec<f64>>()
        })
        .collect();
    assert!(!distances.is_empty(), "some in-person offer");
    assert!(distances.iter().all(|km| (0.0..=24.0).contains(km)));

    // The text form names the member's language and each clinician's, and marks alternatives.
    let mut args = vec![
        "find",
        "--region",
        region.to_str().expect("utf-8 path"),
        "--member",
        "17",
        "--kind",
        "initial",
        "--requested",
        REQUESTED,
    ];
    let text = caretime(&args);
    assert_eq!(text.status, 0, "{}", text.stderr);
    assert!(text.stdout.contains("(language "), "{}", text.stdout);
    assert!(text.stdout.contains("languages"), "{}", text.stdout);
    assert!(text.stdout.contains("2*"), "{}", text.stdout);
    args.extend(["--offers", "1"]);
    let one = caretime(&args);
    assert!(!one.stdout.contains("2*"), "{}", one.stdout);
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[test]
fn find_offers_only_the_days_and_hours_the_member_prefers() {
    let region = region("find-preferences");
    let out = json(&find(
        &region,
        "17",
        &[
            "--prefer-days",
            "wed,fri",
            "--prefer-times",
            "13:00-15:00",
            "--offers",
            "4",
        ],
    ));
    assert_eq!(
        out["preferences"]["days"],
        serde_json::json!(["wed", "fri"])
    );
    // Starts from 13:00 through 14:00: an hour's appointment ends by 15:00.
    assert_eq!(
        out["preferences"]["starts"],
        serde_json::json!(["13:00", "14:00"])
    );
    let offers = out["offers"].as_array().expect("offers");
    assert_eq!(offers.len(), 4, "{out}");
    for offer in offers {
        // 2025-12-03T13:00:00-08:00: the local date and time.
        let start = offer["start"].as_str().expect("start");
        let part = |range: std::ops::Range<usize>| -> i64 { start[range].parse().expect("digits") };
        let weekday = (days_from_civil(part(0..4), part(5..7), part(8..10)) + 3).rem_euclid(7);
        assert!([2, 4].contains(&weekday), "Wednesday or Friday: {start}");
        assert!(["13:00", "14:00"].contains(&&start[11..16]), "{start}");
    }

    for (flag, value, expected) in [
        (
            "--prefer-days",
            "mon,funday",
            "--prefer-days takes weekdays",
        ),
        ("--prefer-days", "", "--prefer-days takes weekdays"),
        ("--prefer-times", "9-12", "--prefer-times takes local hours"),
        ("--prefer-times", "12:00-09:00", "must end after it starts"),
        (
            "--prefer-times",
            "11:30-12:00",
            "shorter than a 60-minute appointment",
        ),
    ] {
        let run = find(&region, "17", &[flag, value]);
        assert_eq!(run.status, 2, "{flag} {value}: {}", run.stderr);
        assert_eq!(
            run.stderr.lines().count(),
            1,
            "{flag} {value}: {}",
            run.stderr
        );
        assert!(
            run.stderr.contains(expected),
            "{flag} {value}: {}",
            run.stderr
        );
        assert!(run.stdout.is_empty());
    }
}
