//! Sweeps beyond one machine, as a batch scheduler runs them: `simulate --shard K/N` and
//! `compare --shard K/N` each write a part file, and `caretime merge` prints the report one run
//! prints, byte for byte, in every format. Merge refuses parts that do not make one whole sweep,
//! with one `error:` line, exit status 2 and nothing written.

mod support;

use std::path::{Path, PathBuf};

use support::{Run, assert_one_error_line, caretime, scratch};

/// A tiny region (9,600 members), a month of warm-up and one reported: seconds in debug.
const SMALL: [&str; 6] = ["--scale", "0.002", "--warm-up-months", "1", "--months", "1"];

fn text(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|_| panic!("{} written", path.display()))
}

fn arg(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

/// Runs `caretime` and asserts that it succeeded.
fn ok(args: &[&str]) -> Run {
    let run = caretime(args);
    assert_eq!(run.status, 0, "{args:?}: {}", run.stderr);
    run
}

/// Runs every shard of `command` (the command and its arguments before `--shard`) in the order
/// given, each writing its part into `parts`, and returns the part files in shard order.
fn run_shards(command: &[&str], order: &[u32], count: u32, parts: &Path) -> Vec<PathBuf> {
    for number in order {
        let shard = format!("{number}/{count}");
        let mut args = command.to_vec();
        args.extend(["--shard", &shard, "--out", arg(parts)]);
        let run = ok(&args);
        assert!(
            run.stdout.contains(&format!("shard {shard}")),
            "{}",
            run.stdout
        );
    }
    (1..=count)
        .map(|number| parts.join(format!("part-{number}-of-{count}.json")))
        .collect()
}

/// Asserts that merging `parts` prints what the unsharded run printed (its JSON on stdout and
/// its four files in `full`), in text and JSON, and writes the same four files.
fn assert_merge_is_the_run(
    parts: &[PathBuf],
    full: &Path,
    full_json: &str,
    files: [&str; 4],
    merged: &Path,
) {
    let mut args = vec!["merge", "--format", "json", "--out", arg(merged)];
    args.extend(parts.iter().map(|part| arg(part)));
    assert_eq!(ok(&args).stdout, full_json);
    for name in files {
        assert_eq!(
            text(&merged.join(name)),
            text(&full.join(name)),
            "{name} differs"
        );
    }
    // Text on stdout is the text file's.
    let mut args = vec!["merge"];
    args.extend(parts.iter().rev().map(|part| arg(part)));
    assert_eq!(ok(&args).stdout, text(&full.join(files[0])));
}

#[test]
fn four_shards_of_eight_replications_merge_to_one_run_byte_for_byte() {
    let dir = scratch("shards-simulate");
    let (full, parts, merged) = (dir.join("full"), dir.join("parts"), dir.join("merged"));
    let mut command = vec!["simulate", "socal-2024"];
    command.extend(SMALL);
    command.extend(["--replications", "8"]);

    let mut args = command.clone();
    args.extend(["--format", "json", "--out", arg(&full)]);
    let full_json = ok(&args).stdout;
    // Shards in any order, as a scheduler starts them.
    let part_files = run_shards(&command, &[3, 1, 4, 2], 4, &parts);
    assert_merge_is_the_run(
        &part_files,
        &full,
        &full_json,
        ["summary.txt", "summary.json", "summary.csv", "summary.html"],
        &merged,
    );
    let doc: serde_json::Value = serde_json::from_str(&full_json).expect("one JSON document");
    assert_eq!(doc["replications"], 8);
}

#[test]
fn three_shards_of_a_two_variant_comparison_merge_to_one_run_byte_for_byte() {
    let dir = scratch("shards-compare");
    let (full, parts, merged) = (dir.join("full"), dir.join("parts"), dir.join("merged"));
    let mut command = vec![
        "compare",
        "socal-2024",
        "--contracts",
        "socal-2025,employer-2024",
        "--ratio",
        "3000",
    ];
    command.extend(SMALL);
    // 2 variants × 4 replications: 8 units in 3 shards of 3, 3 and 2.
    command.extend(["--replications", "4"]);

    let mut args = command.clone();
    args.extend(["--format", "json", "--out", arg(&full)]);
    let full_json = ok(&args).stdout;
    let part_files = run_shards(&command, &[2, 3, 1], 3, &parts);
    assert_merge_is_the_run(
        &part_files,
        &full,
        &full_json,
        ["compare.txt", "compare.json", "compare.csv", "compare.html"],
        &merged,
    );
    let doc: serde_json::Value = serde_json::from_str(&full_json).expect("one JSON document");
    assert_eq!(doc["variants"].as_array().map(Vec::len), Some(2));
}

/// Asserts that `args` fail the CLI's way and that `out` was not written.
fn assert_refused(args: &[&str], expected: &str, out: &Path) {
    let run = caretime(args);
    assert_one_error_line(&run, args, expected);
    assert!(!out.exists(), "{args:?} wrote {}", out.display());
}

#[test]
fn merge_refuses_parts_that_are_not_one_whole_sweep() {
    let dir = scratch("shards-refused");
    let mut command = vec!["simulate", "socal-2024"];
    command.extend(SMALL);
    command.extend(["--replications", "4"]);
    let parts = run_shards(&command, &[1, 2], 2, &dir.join("parts"));
    let (first, second) = (arg(&parts[0]), arg(&parts[1]));
    // The same run with another seed, and split in three.
    let mut reseeded = command.clone();
    reseeded.extend(["--seed", "7"]);
    let other_seed = run_shards(&reseeded, &[2], 2, &dir.join("seed-7"));
    let thirds = run_shards(&command, &[2], 3, &dir.join("thirds"));
    // Files that are not whole parts of this version.
    let copy = dir.join("copy-of-part-1.json");
    std::fs::copy(&parts[0], &copy).expect("copied");
    let whole = text(&parts[1]);
    let write = |name: &str, contents: &str| {
        let path = dir.join(name);
        std::fs::write(&path, contents).expect("written");
        path
    };
    let garbage = write(
        "garbage.json",
        "these are not the results you are looking for\n",
    );
    let truncated = write("truncated.json", &whole[..whole.len() / 2]);
    let version = write(
        "version-next.json",
        &whole.replacen("\"version\":3,", "\"version\":4,", 1),
    );
    let edited = write(
        "edited.json",
        &whole.replacen("\"months\":1,", "\"months\":2,", 1),
    );
    for path in [&version, &edited] {
        assert_ne!(text(path), whole, "{} changed nothing", path.display());
    }

    let out = dir.join("report");
    let cases: [(Vec<&str>, &str); 8] = [
        (
            vec![first, arg(&other_seed[1])],
            "is from another run than", // ... (seed 1 against 7)
        ),
        (vec![first, arg(&thirds[1])], "but `"),
        (vec![first], "shard 2 of 2 is missing"),
        (vec![first, arg(&copy), second], "shard 1/2 is given twice"),
        (vec![first, arg(&garbage)], "not a caretime part file"),
        (vec![first, arg(&truncated)], "the part file is truncated"),
        (
            vec![first, arg(&version)],
            "a part file of format version 4; this caretime reads version 3",
        ),
        (
            vec![first, arg(&edited)],
            "its fingerprint does not match its inputs",
        ),
    ];
    for (parts, expected) in cases {
        for format in ["text", "json"] {
            let mut args = vec!["merge", "--format", format, "--out", arg(&out)];
            args.extend(&parts);
            assert_refused(&args, expected, &out);
        }
    }
    // The messages name what differs and which file.
    let run = caretime(&["merge", first, arg(&other_seed[1])]);
    assert!(run.stderr.contains("seed"), "{}", run.stderr);
    assert!(run.stderr.contains(arg(&other_seed[1])), "{}", run.stderr);
    let run = caretime(&["merge", first, arg(&thirds[1])]);
    assert!(
        run.stderr.contains("is shard 2/3 but") && run.stderr.contains("is shard 1/2"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_shard_refuses_what_it_cannot_run_and_writes_nothing() {
    let dir = scratch("shards-bad-shard");
    let out = dir.join("parts");
    let mut command = vec!["simulate", "socal-2024"];
    command.extend(SMALL);
    command.extend(["--replications", "2"]);
    let cases: [(&str, &str); 4] = [
        ("0/2", "a shard is K/N with 1 ≤ K ≤ N"),
        ("3/2", "a shard is K/N with 1 ≤ K ≤ N"),
        ("two/2", "a shard is K/N with 1 ≤ K ≤ N"),
        // Two replications are two units of work.
        (
            "3/3",
            "3 shards for 2 units of work (replications): give at most 2 shards",
        ),
    ];
    for (shard, expected) in cases {
        let mut args = command.clone();
        args.extend(["--shard", shard, "--out", arg(&out)]);
        assert_refused(&args, expected, &out);
    }
    // A comparison's units are its variant × replication pairs: 2 × 2.
    let args = [
        "compare",
        "socal-2024",
        "--contracts",
        "socal-2025,union-2024",
        "--replications",
        "2",
        "--shard",
        "5/5",
        "--out",
        arg(&out),
    ];
    assert_refused(
        &args,
        "5 shards for 4 units of work (variant × replication pairs)",
        &out,
    );
    // A shard writes a part file, so it needs somewhere to write it.
    let mut args = command.clone();
    args.extend(["--shard", "1/2"]);
    assert_refused(&args, "--out", &out);
}

#[test]
fn help_explains_shards() {
    // Help is wrapped to the terminal: compare words, not lines.
    let help = |command: &str| {
        let help = ok(&[command, "--help"]).stdout;
        help.split_whitespace().collect::<Vec<_>>().join(" ")
    };
    for command in ["simulate", "compare"] {
        let help = help(command);
        assert!(help.contains("--shard <K/N>"), "{command}: {help}");
        assert!(help.contains("caretime merge"), "{command}: {help}");
    }
    let help = help("merge");
    assert!(help.contains("--shard K/N"), "{help}");
    assert!(help.contains("byte for byte"), "{help}");
}
