//! `caretime compare` and `caretime plan` as a user runs them: bad input is one `error:` line
//! with exit status 2 before anything is simulated, and a tiny run prints one JSON document (and
//! writes its four files with `--out`).

mod support;

use support::{TINY, assert_one_error_line, caretime, json, scratch};

#[test]
fn bad_input_is_one_error_line() {
    let cases: [(Vec<&str>, &str); 5] = [
        (
            vec!["compare", "socal-2024", "--contracts", "socal-2025,nope"],
            "unknown contract `nope` (built in: socal-2025, employer-2024, union-2024, norcal-2022)",
        ),
        (
            vec!["compare", "socal-2024", "--ratio", "3000,0"],
            "--ratio must be at least 1",
        ),
        (
            vec![
                "compare",
                "socal-2024",
                "--contracts",
                "union-2024,union-2024",
            ],
            "listed twice",
        ),
        (
            vec![
                "plan",
                "--scenario",
                "socal-2024",
                "--target",
                "0.9",
                "--contract",
                "nope",
            ],
            "unknown contract `nope` (built in: ",
        ),
        (
            vec!["plan", "--scenario", "socal-2024", "--target", "1.5"],
            "--target must be a share above 0 and at most 1",
        ),
    ];
    for (args, expected) in cases {
        let run = caretime(&args);
        assert_one_error_line(&run, &args, expected);
    }
}

#[test]
fn tiny_compare_prints_json_and_writes_four_files() {
    let dir = scratch("compare-tiny");
    let out = dir.to_str().expect("utf-8 path");
    let mut args = vec![
        "compare",
        "socal-2024",
        "--contracts",
        "socal-2025,employer-2024",
        "--ratio",
        "3000",
        "--format",
        "json",
        "--out",
        out,
    ];
    args.extend(TINY);
    let doc = json(&caretime(&args));
    assert_eq!(doc["variants"].as_array().map(Vec::len), Some(2));
    assert_eq!(doc["variants"][1]["contract"], "employer-2024");
    let cost = &doc["protected_hour_costs"][0];
    assert_eq!(cost["from"], "socal-2025 1:3000");
    assert_eq!(cost["protected_hours_added"], 1.0);
    // One direct hour per protected hour per FTE.
    let direct = cost["template_direct_hours"].as_f64().expect("a number");
    let fte = cost["therapist_fte"].as_f64().expect("a number");
    assert!((direct - fte).abs() < 1e-9, "{direct} vs {fte}");
    assert_eq!(cost["simulated_internal_visits"]["n"], 2);
    support::assert_report(
        &doc,
        ("rows", "row"),
        &[
            "within-standard",
            "follow-up-within-sb-221",
            "internal-visits-per-week",
        ],
        &dir,
        &["compare.txt", "compare.json", "compare.csv", "compare.html"],
    );
}

#[test]
fn tiny_plan_prints_json() {
    let mut args = vec![
        "plan",
        "--scenario",
        "socal-2024",
        "--target",
        "0.9",
        "--measure",
        "follow-ups",
        "--format",
        "json",
    ];
    args.extend(TINY);
    let doc = json(&caretime(&args));
    assert_eq!(doc["measure"], "follow-ups");
    assert_eq!(doc["contract"], "socal-2025");
    let outcome = doc["outcome"].as_str().expect("an outcome");
    assert!(["found", "poorest-meets", "richest-misses"].contains(&outcome));
    let evaluations = doc["evaluations"].as_array().expect("evaluations").len();
    assert!((1..=12).contains(&evaluations));
    assert_eq!(doc["baseline"]["members_per_therapist"], 3000);
    // Five years of wages: the first year and four raises (the scenario's schedule).
    assert_eq!(
        doc["wages"]["baseline"]["by_year"].as_array().map(Vec::len),
        Some(5)
    );
}
