//! `caretime simulate` as a user runs it: bad input is one `error:` line with exit status 2 and
//! nothing on stdout; a run prints the same JSON for the same seed (whatever the threads), another
//! seed changes it, and `--out` writes the summary in its four formats.

mod support;

use support::{TINY, assert_one_error_line, caretime, scratch};

#[test]
fn bad_input_is_one_error_line() {
    let dir = scratch("simulate-bad");
    let bad_share = dir.join("bad-share.toml");
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../caretime-sim/scenarios/socal-2024.toml"
    ))
    .expect("the built-in scenario file")
    .replace("one-visit-share = 0.33", "one-visit-share = 1.5");
    std::fs::write(&bad_share, text).expect("written");
    let bad_share = bad_share.to_str().expect("utf-8 path").to_owned();
    let cases: [(Vec<&str>, &str); 4] = [
        (
            vec!["simulate", "nope"],
            "unknown scenario `nope` (built in: socal-2024, socal-2024-strike, norcal-2022",
        ),
        (
            vec!["simulate", &bad_share],
            "field `episodes.one-visit-share`: expected a share from 0 to 1",
        ),
        (
            vec!["simulate", "socal-2024", "--replications", "0"],
            "--replications must be 1 to 1000",
        ),
        (
            vec!["simulate", "socal-2024", "--scale", "0"],
            "--scale must be above 0 and at most 10",
        ),
    ];
    for (args, expected) in cases {
        let run = caretime(&args);
        assert_one_error_line(&run, &args, expected);
    }
}

#[test]
fn the_same_seed_prints_the_same_json_and_out_writes_four_files() {
    let dir = scratch("simulate-tiny");
    let out = dir.to_str().expect("utf-8 path");
    let mut args = vec!["simulate", "socal-2024", "--format", "json", "--out", out];
    args.extend(TINY);
    let first = caretime(&args);
    assert_eq!(first.status, 0, "{}", first.stderr);
    // Another run, on one thread: the replications are collected in order.
    let mut one_thread = std::process::Command::new(env!("CARGO_BIN_EXE_caretime"));
    one_thread.args(&args).env("RAYON_NUM_THREADS", "1");
    let again = one_thread.output().expect("runs");
    assert_eq!(String::from_utf8_lossy(&again.stdout), first.stdout);
    let doc: serde_json::Value = serde_json::from_str(&first.stdout).expect("one JSON document");
    assert_eq!(doc["scenario"], "socal-2024");
    assert_eq!(doc["replications"], 2);
    support::assert_report(
        &doc,
        ("tables", "table"),
        &[
            "compliance",
            "compliance-by-month",
            "follow-ups",
            "workforce",
        ],
        &dir,
        &["summary.txt", "summary.json", "summary.csv", "summary.html"],
    );
    let written = std::fs::read_to_string(dir.join("summary.json")).expect("written");
    assert_eq!(written, first.stdout);
    // Another seed, another run.
    let mut other = args.clone();
    other.extend(["--seed", "7"]);
    let other = caretime(&other);
    assert_ne!(other.stdout, first.stdout);
}
