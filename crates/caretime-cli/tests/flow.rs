//! `caretime flow solve` and `caretime flow generate` as a user runs them.

use std::path::Path;

mod support;

use support::{caretime, scratch};

fn path(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

/// Two appointments (nodes 1, 2), two provider buckets (3 takes one, 4 takes two), a sink (5).
/// Appointment 1: bucket 3 at 10 or bucket 4 at 30; appointment 2: bucket 3 at 5 or bucket 4 at
/// 40. Both want bucket 3, which takes one: sending 1 → 4 costs 10 more than 2 → 4 would (30 vs
/// 40, the other at 5 vs 10), so the optimum is 1 → 4 (30) + 2 → 3 (5) = 35, plus the lower
/// bound of 1 on arc 4 → 5 at cost 7 that carries one unit anyway: 42.
const SMALL: &str = "c a hand-checked instance
p min 5 6
n 1 1
n 2 1
n 5 -2
a 1 3 0 1 10
a 1 4 0 1 30
a 2 3 0 1 5
a 2 4 0 1 40
a 3 5 0 1 0
a 4 5 1 2 7
";

#[test]
fn solve_prints_the_optimal_cost_and_the_times() {
    let dir = scratch("flow-solve");
    let file = dir.join("small.dimacs");
    std::fs::write(&file, SMALL).expect("write");
    let run = caretime(&["flow", "solve", path(&file)]);
    assert_eq!(run.status, 0, "stderr: {}", run.stderr);
    let first = run.stdout.lines().next().expect("a first line");
    assert_eq!(first, "cost 42");
    assert!(run.stdout.contains("\nsolve_seconds "), "{}", run.stdout);

    for algorithm in ["network-simplex", "cost-scaling"] {
        let run = caretime(&[
            "flow",
            "solve",
            path(&file),
            "--algorithm",
            algorithm,
            "--format",
            "json",
        ]);
        assert_eq!(run.status, 0, "stderr: {}", run.stderr);
        let report: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
        assert_eq!(report["cost"], 42, "{algorithm}");
        assert_eq!(report["algorithm"], algorithm);
        assert_eq!(report["nodes"], 5);
        assert_eq!(report["arcs"], 6);
    }
}

#[test]
fn solve_writes_a_solution_that_meets_the_lower_bound() {
    let dir = scratch("flow-solution");
    let file = dir.join("small.dimacs");
    let solution = dir.join("small.sol");
    std::fs::write(&file, SMALL).expect("write");
    let run = caretime(&["flow", "solve", path(&file), "--solution", path(&solution)]);
    assert_eq!(run.status, 0, "stderr: {}", run.stderr);
    let text = std::fs::read_to_string(&solution).expect("solution written");
    let lines: Vec<&str> = text.lines().filter(|line| !line.starts_with('c')).collect();
    assert_eq!(lines[0], "s 42");
    for expected in ["f 1 4 1", "f 2 3 1", "f 3 5 1", "f 4 5 1"] {
        assert!(lines.contains(&expected), "{expected} missing from {text}");
    }
}

#[test]
fn bad_files_are_refused_on_one_line_that_names_the_line() {
    let dir = scratch("flow-bad");
    let cases = [
        ("p min 2 1\na 1 3 0 1 5\n", "line 2"),
        ("p min 2 1\nn 1 1\nn 2 -1\na 1 2 0 x 5\n", "line 4"),
        ("p min 2 2\nn 1 1\nn 2 -1\na 1 2 0 1 5\n", "line 1"),
        ("a 1 2 0 1 5\n", "line 1"),
    ];
    for (idx, (text, line)) in cases.iter().enumerate() {
        let file = dir.join(format!("bad-{idx}.dimacs"));
        std::fs::write(&file, text).expect("write");
        let run = caretime(&["flow", "solve", path(&file)]);
        assert_eq!(run.status, 2, "case {idx}: {}", run.stdout);
        assert_eq!(run.stderr.lines().count(), 1, "case {idx}: {}", run.stderr);
        assert!(run.stderr.contains(line), "case {idx}: {}", run.stderr);
        assert!(run.stdout.is_empty(), "case {idx}: nothing on stdout");
    }
    let file = dir.join("unbalanced.dimacs");
    std::fs::write(&file, "p min 2 1\nn 1 2\nn 2 -1\na 1 2 0 5 1\n").expect("write");
    let run = caretime(&["flow", "solve", path(&file)]);
    assert_eq!(run.status, 2);
    assert!(run.stderr.contains("unbalanced"), "{}", run.stderr);
    let run = caretime(&["flow", "solve", path(&dir.join("missing.dimacs"))]);
    assert_eq!(run.status, 2);
    assert!(run.stderr.contains("cannot read"), "{}", run.stderr);
}

#[test]
fn generate_is_deterministic_and_its_instance_solves() {
    let dir = scratch("flow-generate");
    let args = |out: &Path, seed: &str| {
        caretime(&[
            "flow",
            "generate",
            "--appointments",
            "400",
            "--providers",
            "60",
            "--days",
            "5",
            "--arcs-per-appointment",
            "8",
            "--reach",
            "6",
            "--seed",
            seed,
            "-o",
            path(out),
            "--format",
            "json",
        ])
    };
    let (a, b, c) = (dir.join("a"), dir.join("b"), dir.join("c"));
    for (file, seed) in [(&a, "3"), (&b, "3"), (&c, "4")] {
        let run = args(file, seed);
        assert_eq!(run.status, 0, "stderr: {}", run.stderr);
        let report: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
        assert_eq!(report["nodes"], 400 + 60 * 5 + 1);
        assert_eq!(report["arcs"], 400 * 9 + 60 * 5);
    }
    let read = |file: &Path| std::fs::read(file).expect("written");
    assert_eq!(read(&a), read(&b));
    assert_ne!(read(&a), read(&c));

    // Both algorithms agree on the optimum.
    let cost = |algorithm: &str| {
        let run = caretime(&[
            "flow",
            "solve",
            path(&a),
            "--algorithm",
            algorithm,
            "--format",
            "json",
        ]);
        assert_eq!(run.status, 0, "stderr: {}", run.stderr);
        let report: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
        report["cost"].as_i64().expect("a cost")
    };
    assert_eq!(cost("network-simplex"), cost("cost-scaling"));
}
