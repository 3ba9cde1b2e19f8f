//! `caretime replan` as a user runs it: a generated strike, previewed, exported and applied.

mod support;

use support::{caretime, json, scratch};

const STRIKE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../examples/disruptions/socal-strike.toml"
);

fn strike(extra: &[&str]) -> serde_json::Value {
    let mut args = vec![
        "replan",
        "--preset",
        "socal",
        "--scale",
        "0.01",
        "--seed",
        "3",
        "--disruption",
        STRIKE,
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    json(&caretime(&args))
}

#[test]
fn a_generated_strike_accounts_for_every_appointment_the_same_way_twice() {
    let dir = scratch("replan-strike");
    let dimacs = dir.join("strike.dimacs");
    let moves = dir.join("moves.jsonl");
    let first = strike(&[
        "--export-dimacs",
        dimacs.to_str().expect("utf-8"),
        "--moves",
        moves.to_str().expect("utf-8"),
    ]);
    let displaced = first["displaced"].as_u64().expect("count");
    assert!(
        displaced > 100,
        "a strike of most therapists displaces many: {first}"
    );
    let count = |name: &str| first[name].as_u64().expect("count");
    assert_eq!(
        count("internal") + count("network") + count("out_of_network"),
        displaced,
        "every displaced appointment is accounted for"
    );
    let late: u64 = first["late_by_business_days"]
        .as_object()
        .expect("histogram")
        .values()
        .map(|n| n.as_u64().expect("count"))
        .sum();
    assert_eq!(count("timely") + late, count("internal") + count("network"));
    let lines = std::fs::read_to_string(&moves).expect("moves written");
    assert_eq!(lines.lines().count() as u64, displaced);

    // Same seed, same plan (the solve time aside).
    let mut second = strike(&[]);
    let mut first_again = first.clone();
    for report in [&mut first_again, &mut second] {
        report["plan_seconds"] = serde_json::Value::Null;
    }
    assert_eq!(first_again, second);

    // The exported network solves to the same optimal cost with `caretime flow solve`.
    let solved = json(&caretime(&[
        "flow",
        "solve",
        dimacs.to_str().expect("utf-8"),
        "--format",
        "json",
    ]));
    assert_eq!(
        solved["cost"].to_string().trim_matches('"'),
        first["cost"].as_str().expect("cost")
    );

    // Applying it: every displaced appointment cancelled, each move rebooked or arranged.
    let applied = strike(&["--apply"]);
    let report = &applied["applied"];
    assert_eq!(report["cancelled"].as_u64(), Some(displaced));
    assert_eq!(
        report["rebooked"].as_u64().expect("count")
            + report["arrangements"].as_u64().expect("count"),
        displaced
    );
}

#[test]
fn a_bad_disruption_file_is_one_line_naming_the_field() {
    let dir = scratch("replan-bad");
    let file = dir.join("bad.toml");
    std::fs::write(
        &file,
        "reason = \"picnic\"\nfirst = \"2025-12-08\"\nlast = \"2025-12-19\"\nclinicians = [1]\n",
    )
    .expect("written");
    let run = caretime(&[
        "replan",
        "--scale",
        "0.002",
        "--disruption",
        file.to_str().expect("utf-8"),
    ]);
    assert_eq!(run.status, 2, "{}", run.stderr);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(run.stderr.contains("reason"), "{}", run.stderr);
    assert!(run.stdout.is_empty());
}
