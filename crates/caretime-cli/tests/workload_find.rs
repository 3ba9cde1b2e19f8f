//! What a new user meets in `replan` and `find`: a replan disrupts a practice with room, says how
//! full the disrupted dates were, and `find` gives alternatives with languages, distances and the
//! member's days and hours.

mod support;

use support::{Run, caretime, json};

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
