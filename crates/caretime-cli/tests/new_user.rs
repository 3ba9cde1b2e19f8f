//! What a new user meets on a fresh clone (issue 18, items 5 and 6): each test is one defect
//! found by trying the README, or by feeding the binary bad input, and what it does now.

mod support;

use std::io::Read;
use std::process::{Command, Stdio};

use support::{Run, TINY, assert_one_error_line, caretime, json, scratch};

const THANKSGIVING_TUESDAY: &str = "2025-11-25T16:30:00-08:00[America/Los_Angeles]";

/// Runs `caretime` with a stdout pipe whose reader reads `keep` bytes and then closes it, as
/// `caretime ... | head -c KEEP` does. With `keep` 0 the pipe is closed before the command has
/// had time to compute anything, so its first write finds the reader gone.
fn with_stdout_closed_after(args: &[&str], keep: usize) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_caretime"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let mut stdout = child.stdout.take().expect("piped");
    let mut kept = vec![0; keep];
    stdout.read_exact(&mut kept).expect("the first bytes");
    drop(stdout);
    let output = child.wait_with_output().expect("the binary ends");
    Run {
        status: output.status.code().expect("exited, not killed"),
        stdout: String::from_utf8(kept).expect("utf-8 stdout"),
        stderr: String::from_utf8(output.stderr).expect("utf-8 stderr"),
    }
}

#[test]
fn a_closed_output_ends_the_command_quietly() {
    let mut simulate_json = vec!["simulate", "socal-2024", "--format", "json"];
    simulate_json.extend(TINY);
    let mut simulate_text = vec!["simulate", "socal-2024"];
    simulate_text.extend(TINY);
    let deadline = [
        "deadline",
        "--rules",
        "ca-dmhc",
        "--kind",
        "initial",
        "--requested",
        THANKSGIVING_TUESDAY,
    ];
    // A region of 1.7 MB on stdout: far more than a pipe holds, so the writer meets the closed
    // pipe whatever the timing.
    let region = [
        "region", "generate", "--scale", "0.002", "--seed", "1", "-o", "-",
    ];
    let cases: [(&[&str], usize); 5] = [
        (&simulate_json, 0),
        (&simulate_text, 0),
        (&deadline, 0),
        (&["rules", "list", "--format", "json"], 0),
        (&region, 100),
    ];
    for (args, keep) in cases {
        let run = with_stdout_closed_after(args, keep);
        assert_eq!(run.status, 0, "{args:?}: {}", run.stderr);
        assert_eq!(run.stderr, "", "{args:?}");
    }
}

#[test]
fn error_lines_escape_control_characters_and_stay_one_line() {
    let dir = scratch("new-user-names");
    let hostile = dir.join("two\nlines \u{1b}[31mred\u{202e}.toml");
    let hostile = hostile.to_str().expect("utf-8 path");
    for args in [
        vec!["template", "check", hostile],
        vec!["rules", "show", hostile],
        vec![
            "deadline",
            "--rules",
            hostile,
            "--kind",
            "initial",
            "--requested",
            THANKSGIVING_TUESDAY,
        ],
    ] {
        let run = caretime(&args);
        assert_one_error_line(&run, &args, "cannot read");
        assert!(
            run.stderr
                .contains(r"two\nlines \u{1b}[31mred\u{202e}.toml"),
            "{args:?}: {}",
            run.stderr
        );
        assert!(!run.stderr.contains('\u{1b}'), "{args:?}");
    }
}

#[test]
fn argument_errors_are_one_error_line_and_help_is_unchanged() {
    let cases: [(&[&str], &str); 7] = [
        (&["--bogus"], "unexpected argument '--bogus' found"),
        (&[], "a subcommand is required"),
        (&["rules"], "a subcommand is required"),
        (
            &["deadline", "--rules", "ca-dmhc", "--kind", "initial"],
            "the following required arguments were not provided: --requested <TIME>",
        ),
        (
            &["--formt", "json", "rules", "list"],
            "a similar argument exists: '--format'",
        ),
        (
            &["bench", "simulate", "socal-2024", "--runs", "0"],
            "invalid value '0' for '--runs <RUNS>'",
        ),
        (
            &["simulate", "socal-2024", "--months", "-1"],
            "unexpected argument '-1' found",
        ),
    ];
    for (args, expected) in cases {
        let run = caretime(args);
        assert_one_error_line(&run, args, expected);
    }

    let help = caretime(&["deadline", "--help"]);
    assert_eq!(help.status, 0, "{}", help.stderr);
    assert!(help.stderr.is_empty());
    assert!(
        help.stdout
            .starts_with("Compute a request's timely-access deadline")
    );
    assert!(help.stdout.lines().count() > 10, "{}", help.stdout);
    let version = caretime(&["--version"]);
    assert_eq!(version.status, 0);
    assert!(version.stdout.starts_with("caretime "));
}

#[test]
fn endless_huge_and_special_inputs_fail_at_once_with_the_limit() {
    let dir = scratch("new-user-inputs");
    let huge = dir.join("huge.toml");
    std::fs::write(&huge, "# a comment\n".repeat(100_000)).expect("written");
    let huge = huge.to_str().expect("utf-8 path");
    let fifo = dir.join("fifo.toml");
    let made = Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    let fifo = fifo.to_str().expect("utf-8 path");
    let directory = dir.to_str().expect("utf-8 path");
    let find = |region: &'static str| {
        vec![
            "find",
            "--region",
            region,
            "--member",
            "1",
            "--kind",
            "initial",
            "--requested",
            THANKSGIVING_TUESDAY,
        ]
    };
    let cases: [(Vec<&str>, &str); 7] = [
        (find("/dev/zero"), "`/dev/zero` is not a text file"),
        (
            vec!["template", "check", "/dev/urandom"],
            "`/dev/urandom` is not a text file",
        ),
        (vec!["flow", "solve", "/dev/zero"], "is not a text file"),
        (
            vec!["template", "check", huge],
            "is larger than 1 MiB, the limit for a template file",
        ),
        (
            vec!["simulate", huge],
            "is larger than 1 MiB, the limit for a scenario file",
        ),
        (
            vec!["template", "check", directory],
            "is a directory, not a template file",
        ),
        (
            vec!["template", "check", fifo],
            "is a pipe or socket, not a template file",
        ),
    ];
    for (args, expected) in cases {
        let started = std::time::Instant::now();
        let run = caretime(&args);
        assert_one_error_line(&run, &args, expected);
        assert!(started.elapsed().as_secs() < 10, "{args:?}");
    }
}

#[test]
fn an_output_that_is_an_input_is_refused_before_anything_is_written() {
    let dir = scratch("new-user-overwrite");
    let disruption = dir.join("closure.toml");
    let original = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/disruptions/clinic-closure.toml"
    ))
    .expect("the example disruption");
    std::fs::write(&disruption, &original).expect("written");
    let disruption = disruption.to_str().expect("utf-8 path");
    let scenario = dir.join("summary.txt");
    let scenario_text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../caretime-sim/scenarios/socal-2024.toml"
    ))
    .expect("the built-in scenario file");
    std::fs::write(&scenario, &scenario_text).expect("written");
    let scenario = scenario.to_str().expect("utf-8 path");
    let dimacs = dir.join("tiny.dimacs");
    let dimacs_text = "p min 2 1\nn 1 1\nn 2 -1\na 1 2 0 1 5\n";
    std::fs::write(&dimacs, dimacs_text).expect("written");
    let dimacs = dimacs.to_str().expect("utf-8 path");
    // The same file by another name.
    let link = dir.join("link.toml");
    std::os::unix::fs::symlink(dir.join("closure.toml"), &link).expect("a symbolic link");
    let link = link.to_str().expect("utf-8 path");
    let out_dir = dir.to_str().expect("utf-8 path");

    let replan = |output_flag, output| {
        vec![
            "replan",
            "--scale",
            "0.002",
            "--disruption",
            disruption,
            output_flag,
            output,
        ]
    };
    let cases: [(Vec<&str>, &str); 4] = [
        (replan("--moves", disruption), "is the input"),
        (replan("--export-dimacs", link), "is the input"),
        (
            vec!["flow", "solve", dimacs, "--solution", dimacs],
            "is the input",
        ),
        (vec!["simulate", scenario, "--out", out_dir], "is the input"),
    ];
    for (args, expected) in cases {
        let run = caretime(&args);
        assert_one_error_line(&run, &args, expected);
    }
    assert_eq!(
        std::fs::read_to_string(disruption).expect("still there"),
        original
    );
    assert_eq!(
        std::fs::read_to_string(dimacs).expect("still there"),
        dimacs_text
    );
    assert_eq!(
        std::fs::read_to_string(scenario).expect("still there"),
        scenario_text
    );
    assert!(!dir.join("summary.json").exists());

    // A different output is written as before.
    let run = caretime(&["flow", "solve", dimacs, "--format", "json"]);
    assert_eq!(json(&run)["cost"], 5);
}

/// Every file a new user reads while trying the tool: the sources, data and scenario files, the
/// examples, the README and CI's script.
fn repository_text_files() -> Vec<(std::path::PathBuf, String)> {
    let root = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
    let mut pending = vec![root.join("crates"), root.join("examples")];
    let mut files = vec![root.join("README.md"), root.join(".ci/run")];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).expect("a directory of the repository") {
            let path = entry.expect("a directory entry").path();
            let name = path.file_name().and_then(|name| name.to_str());
            if path.is_dir() && name != Some("target") && name != Some("snapshots") {
                pending.push(path);
            } else if path
                .extension()
                .is_some_and(|ext| ext == "rs" || ext == "toml" || ext == "md")
            {
                files.push(path);
            }
        }
    }
    files
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("a text file");
            (path, text)
        })
        .collect()
}

#[test]
fn help_texts_and_files_cite_only_what_the_repository_holds() {
    // The design brief is not in the repository: a citation of it leads a new user nowhere.
    let brief = ["DESIGN", ".md"].concat();
    let commands: [&[&str]; 17] = [
        &["--help"],
        &["deadline", "--help"],
        &["rules", "list", "--help"],
        &["rules", "show", "--help"],
        &["contracts", "list", "--help"],
        &["template", "check", "--help"],
        &["region", "generate", "--help"],
        &["find", "--help"],
        &["bench", "find", "--help"],
        &["bench", "simulate", "--help"],
        &["replan", "--help"],
        &["flow", "solve", "--help"],
        &["flow", "generate", "--help"],
        &["simulate", "--help"],
        &["compare", "--help"],
        &["plan", "--help"],
        &["demo", "--help"],
    ];
    for args in commands {
        let run = caretime(args);
        assert_eq!(run.status, 0, "{args:?}: {}", run.stderr);
        assert!(!run.stdout.contains(&brief), "{args:?}");
    }
    let root = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
    for (path, text) in repository_text_files() {
        if path.ends_with("tests/new_user.rs") {
            continue;
        }
        assert!(!text.contains(&brief), "{} cites {brief}", path.display());
        // A path a file names (`crates/caretime-region/src/generate.rs`) exists.
        for (idx, _) in text.match_indices("crates/caretime-") {
            let cited: String = text[idx..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || "/._-".contains(*c))
                .collect();
            let cited = cited.trim_end_matches(['.', '/']);
            if cited.contains('*') || !cited.contains('.') {
                continue;
            }
            assert!(
                root.join(cited).exists(),
                "{} cites {cited}, which does not exist",
                path.display()
            );
        }
    }
}

#[test]
fn ci_mentions_a_database_only_when_a_suite_reads_one() {
    let files = repository_text_files();
    let reads_a_database = files.iter().any(|(path, text)| {
        path.extension().is_some_and(|ext| ext == "rs")
            && !path.ends_with("tests/new_user.rs")
            && text.contains("CARETIME_TEST_POSTGRES_URL")
    });
    let (_, ci) = files
        .iter()
        .find(|(path, _)| path.ends_with(".ci/run"))
        .expect(".ci/run");
    let says_postgres = ci
        .lines()
        .any(|line| line.contains("POSTGRES") || line.contains("PostgreSQL-backed suites"));
    assert_eq!(
        says_postgres, reads_a_database,
        ".ci/run should speak of PostgreSQL suites exactly when one exists"
    );
}
