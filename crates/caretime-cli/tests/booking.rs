//! `caretime region generate`, `find` and `bench find` as a user runs them.

use std::path::{Path, PathBuf};

mod support;

use support::{Run, caretime, json, scratch};

fn generate(dir: &Path, name: &str, seed: &str) -> (PathBuf, Vec<u8>) {
    let path = dir.join(name);
    let path_text = path.to_str().expect("utf-8 path");
    let run = caretime(&[
        "region", "generate", "--preset", "socal", "--scale", "0.002", "--seed", seed, "-o",
        path_text, "--format", "json",
    ]);
    let report = json(&run);
    assert_eq!(report["members"], 9600, "4.8M x 0.002");
    let bytes = std::fs::read(&path).expect("region written");
    (path, bytes)
}

const REQUESTED: &str = "2025-12-01T08:00:00-08:00[America/Los_Angeles]";

/// `caretime find` on member-17's initial request in JSON, with `overrides` replacing or adding
/// flags.
fn find(region: &Path, overrides: &[(&str, &str)]) -> Run {
    let mut args: Vec<(&str, &str)> = vec![
        ("--region", region.to_str().expect("utf-8 path")),
        ("--member", "member-17"),
        ("--kind", "initial"),
        ("--requested", REQUESTED),
        ("--format", "json"),
    ];
    for (flag, value) in overrides {
        match args.iter_mut().find(|(known, _)| known == flag) {
            Some(arg) => arg.1 = value,
            None => args.push((flag, value)),
        }
    }
    let mut command = vec!["find"];
    command.extend(args.iter().flat_map(|(flag, value)| [*flag, *value]));
    caretime(&command)
}

#[test]
fn same_seed_and_inputs_give_byte_identical_outputs() {
    let dir = scratch("determinism");
    let (first, first_bytes) = generate(&dir, "first.json", "7");
    let (_, second_bytes) = generate(&dir, "second.json", "7");
    assert!(first_bytes == second_bytes, "same seed, different region");
    let (_, other_bytes) = generate(&dir, "other.json", "8");
    assert!(first_bytes != other_bytes, "another seed, same region");

    let once = find(&first, &[]);
    let twice = find(&first, &[]);
    assert_eq!(once.status, 0, "stderr: {}", once.stderr);
    assert!(once.stdout == twice.stdout, "same find, different output");
}

#[test]
fn find_reports_the_deadline_the_rule_and_ranked_offers() {
    let dir = scratch("find");
    let (region, _) = generate(&dir, "region.json", "1");
    let out = json(&find(&region, &[]));
    // 10 business days from Monday 2025-12-01: Dec 2-5, 8-12, 15 -> last day Monday 2025-12-15.
    assert_eq!(out["deadline"], "2025-12-16T00:00:00-08:00");
    assert_eq!(out["last_day"], "2025-12-15");
    assert_eq!(out["rule_set"], "ca-dmhc");
    assert!(
        out["rule"]
            .as_str()
            .is_some_and(|rule| rule.contains("1300.67.2.2"))
    );
    let offers = out["offers"].as_array().expect("offers");
    assert!(!offers.is_empty(), "an empty book has time");
    let best = &offers[0];
    assert_eq!(best["rank"], 1);
    // An empty book: an internal therapist meets the deadline, no arrangement.
    assert_eq!(best["route"], "internal");
    assert_eq!(best["timely"], true);
    assert_eq!(out["out_of_network_arrangement"], serde_json::Value::Null);
    // The member is named by id only.
    assert_eq!(out["member"], "member-17");

    // Psychiatry requests go to psychiatrists only.
    let psychiatry = json(&find(&region, &[("--kind", "psychiatry")]));
    let offers = psychiatry["offers"].as_array().expect("offers");
    assert!(!offers.is_empty());
    assert!(
        offers
            .iter()
            .all(|offer| offer["discipline"] == "psychiatrist"),
        "{offers:?}"
    );
    // The text form: a table of offers with the discipline beside the clinician.
    let text = caretime(&[
        "find",
        "--region",
        region.to_str().expect("utf-8 path"),
        "--member",
        "17",
        "--kind",
        "psychiatry",
        "--requested",
        REQUESTED,
    ]);
    assert_eq!(text.status, 0, "stderr: {}", text.stderr);
    let text = text.stdout;
    assert!(text.contains("route"), "{text}");
    assert!(text.contains("(psychiatrist)"), "{text}");
}

#[test]
fn find_rejects_bad_input_in_one_line_without_member_data() {
    let dir = scratch("find-errors");
    let (region, _) = generate(&dir, "region.json", "1");
    for (flag, value, expected) in [
        ("--member", "member-999999", "is not a member of the region"),
        ("--member", "Zelda", "--member must be a number"),
        ("--treating", "clinician-99999", "is not a clinician"),
        ("--kind", "therapy", "unknown request kind"),
        ("--requested", "2025-12-01T08:00:00", "has no time zone"),
        ("--max-travel-km", "inf", "--max-travel-km"),
    ] {
        let run = find(&region, &[(flag, value), ("--format", "text")]);
        assert_eq!(run.status, 2, "{flag} {value}: {}", run.stderr);
        assert_eq!(run.stderr.lines().count(), 1, "{flag}: {}", run.stderr);
        assert!(run.stderr.contains(expected), "{flag}: {}", run.stderr);
        assert!(!run.stderr.contains("Zelda"), "echoed the input");
        assert!(run.stdout.is_empty(), "printed a result on error");
    }
    let missing = caretime(&[
        "find",
        "--region",
        "/nonexistent/region.json",
        "--member",
        "1",
        "--kind",
        "initial",
        "--requested",
        REQUESTED,
    ]);
    assert_eq!(missing.status, 2);
    assert!(missing.stderr.contains("cannot read"));
}

#[test]
fn bench_find_reports_build_time_and_latency_quantiles() {
    let run = caretime(&[
        "bench",
        "find",
        "--scale",
        "0.002",
        "--bookings",
        "200",
        "--requests",
        "50",
        "--format",
        "json",
    ]);
    let out = json(&run);
    assert_eq!(out["members"], 9600);
    assert_eq!(out["requests"], 50);
    let find = &out["find"];
    let quantile = |name: &str| find[name].as_f64().expect("a number");
    assert!(quantile("p50_us") > 0.0);
    assert!(quantile("p50_us") <= quantile("p99_us"));
    assert!(quantile("p99_us") <= quantile("max_us"));
    let routes = &out["best_offer_routes"];
    let total: u64 = [
        "continuity",
        "internal",
        "network",
        "late_with_arrangement",
        "none_in_horizon",
    ]
    .iter()
    .map(|name| routes[*name].as_u64().expect("a count"))
    .sum();
    assert_eq!(total, 50, "every timed request is counted once");
}

#[test]
fn bench_simulate_times_each_run_and_reports_the_median() {
    let run = caretime(&[
        "bench", "simulate", "--scale", "0.002", "--months", "1", "--runs", "3", "--format", "json",
    ]);
    let out = json(&run);
    assert_eq!(out["members"], 9600);
    let runs = out["runs"].as_array().expect("a list of runs");
    assert_eq!(runs.len(), 3);
    let mut seconds: Vec<f64> = runs
        .iter()
        .map(|run| run["simulate_seconds"].as_f64().expect("seconds"))
        .collect();
    seconds.sort_by(f64::total_cmp);
    assert_eq!(out["simulate_seconds"].as_f64(), Some(seconds[1]));
    let visits = out["visits"].as_u64().expect("a count");
    assert!(visits > 0, "a month of a small region has visits");
    let per_second = out["visits_per_second"].as_f64().expect("a rate");
    assert!((per_second - visits as f64 / seconds[1]).abs() < 1e-6 * per_second);
    if cfg!(target_os = "linux") {
        assert!(runs[0]["minor_page_faults"].as_u64().expect("faults") > 0);
        assert!(runs[0]["user_seconds"].as_f64().is_some());
    }
}
