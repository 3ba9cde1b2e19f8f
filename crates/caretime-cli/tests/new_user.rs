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
    let cases: [(Vec<&str>, &str); 6] = [
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
    ];
    for (args, expected) in cases {
        let started = std::time::Instant::now();
        let run = caretime(&args);
        assert_one_error_line(&run, &args, expected);
        assert!(started.elapsed().as_secs() < 10, "{args:?}");
    }
    // A named pipe nobody writes to fails after a wait, instead of holding the command forever.
    let lonely = dir.join("lonely.toml");
    let made = Command::new("mkfifo")
        .arg(&lonely)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    let lonely = lonely.to_str().expect("utf-8 path");
    let args = ["template", "check", lonely];
    let run = caretime(&args);
    assert_one_error_line(&run, &args, "is a pipe with no writer after 10 s");
    // A named pipe is read like a file once its writer comes (`--region <(gunzip -c ...)`).
    let template = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/templates/full-time.toml"
    ))
    .expect("the example template");
    let writer = {
        let fifo = fifo.to_owned();
        std::thread::spawn(move || std::fs::write(fifo, template).expect("written to the pipe"))
    };
    let piped = caretime(&["template", "check", fifo, "--contract", "socal-2025"]);
    writer.join().expect("the writer ends");
    assert_eq!(piped.status, 0, "{}", piped.stderr);
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
    let commands: [&[&str]; 19] = [
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
        &["merge", "--help"],
        &["validate", "--help"],
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

/// Every share in a text report, as (mean, low, high) in percent: `98.4% ± 3.0` and
/// `76.6% [0.0, 100.0]` alike.
fn share_intervals(text: &str) -> Vec<(f64, f64, f64)> {
    let mut found = Vec::new();
    let words: Vec<&str> = text.split_whitespace().collect();
    for (idx, word) in words.iter().enumerate() {
        let Some(mean) = word.strip_suffix('%').and_then(|n| n.parse::<f64>().ok()) else {
            continue;
        };
        match words.get(idx + 1..idx + 3) {
            Some(["±", half]) => {
                if let Ok(half) = half.parse::<f64>() {
                    found.push((mean, mean - half, mean + half));
                }
            }
            Some([low, high]) if low.starts_with('[') => {
                let low = low.trim_matches(['[', ',']).parse::<f64>();
                let high = high.trim_end_matches(']').parse::<f64>();
                if let (Ok(low), Ok(high)) = (low, high) {
                    found.push((mean, low, high));
                }
            }
            _ => {}
        }
    }
    found
}

#[test]
fn reports_warn_of_too_few_replications_and_keep_shares_within_bounds() {
    let mut text_args = vec!["simulate", "socal-2024"];
    text_args.extend(TINY);
    let two = caretime(&text_args);
    assert_eq!(two.status, 0, "{}", two.stderr);
    let warnings: Vec<&str> = two
        .stdout
        .lines()
        .filter(|line| line.starts_with("warning: "))
        .collect();
    assert_eq!(warnings.len(), 1, "{}", two.stdout);
    assert!(
        warnings[0].contains("2 replications give 95% intervals 12.7 standard errors wide"),
        "{}",
        warnings[0]
    );
    let shares = share_intervals(&two.stdout);
    assert!(shares.len() > 20, "{}", two.stdout);
    for (mean, low, high) in shares {
        assert!(
            (0.0..=100.0).contains(&low) && (0.0..=100.0).contains(&high) && low <= mean,
            "a share's interval past 0-100%: {mean} [{low}, {high}]\n{}",
            two.stdout
        );
    }

    // Where requests were booked: the text says that the first three columns are the whole and
    // the out-of-network share a part of them, and the JSON's figures agree.
    let routes = two
        .stdout
        .split("\nWhere requests were booked\n")
        .nth(1)
        .expect("the routes table");
    let note = routes.lines().nth(2).expect("a line under the table");
    assert!(
        note.contains("the first three columns add up to 100%")
            && note.contains("out-of-network arrangements are a part of them"),
        "{routes}"
    );
    let mut json_args = text_args.clone();
    json_args.extend(["--format", "json"]);
    let doc = json(&caretime(&json_args));
    assert!(
        doc["ci95_warning"]
            .as_str()
            .is_some_and(|warning| warning.contains("too wide to read")),
        "{}",
        doc["ci95_warning"]
    );
    let table = doc["tables"]
        .as_array()
        .expect("tables")
        .iter()
        .find(|table| table["table"] == "routes")
        .expect("the routes table");
    let mean = |idx: usize| {
        table["rows"][0]["cells"][idx]["mean"]
            .as_f64()
            .expect("a mean")
    };
    assert!((mean(0) + mean(1) + mean(2) - 1.0).abs() < 1e-9);

    // Three replications: no warning.
    let three_args = [
        "simulate",
        "socal-2024",
        "--scale",
        "0.002",
        "--warm-up-months",
        "1",
        "--months",
        "1",
        "--replications",
        "3",
        "--format",
        "json",
    ];
    let three = json(&caretime(&three_args));
    assert_eq!(three["ci95_warning"], serde_json::Value::Null);
}

#[test]
fn deadlines_show_the_last_day_and_label_their_zone() {
    // The README: "the last day is 2025-12-11" for ca-dmhc's initial request.
    let demo = caretime(&["demo"]);
    assert_eq!(demo.status, 0, "{}", demo.stderr);
    let row = |kind: &str| -> Vec<String> {
        demo.stdout
            .lines()
            .find(|line| line.split_whitespace().next() == Some(kind))
            .unwrap_or_else(|| panic!("a row for {kind}"))
            .split("  ")
            .map(str::trim)
            .filter(|cell| !cell.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let header = row("KIND");
    let column = |rule_set: &str| {
        header
            .iter()
            .position(|name| name == rule_set)
            .unwrap_or_else(|| panic!("a column for {rule_set}"))
    };
    assert_eq!(row("initial")[column("ca-dmhc")], "2025-12-11");
    assert_eq!(row("initial")[column("md-comar")], "2025-12-05");
    // A deadline in hours is a local time with its zone: md-comar's are Eastern.
    assert_eq!(row("urgent")[column("md-comar")], "2025-11-28 19:30 EST");
    assert_eq!(row("urgent")[column("ca-dmhc")], "2025-11-27 16:30 PST");
    assert!(!demo.stdout.contains("2025-12-12 00:00"), "{}", demo.stdout);
    assert!(
        demo.stdout
            .contains("ny-98 and md-comar in America/New_York")
    );

    // `caretime deadline` names the zone of every time it prints, and says what the last day is.
    let text = caretime(&[
        "deadline",
        "--rules",
        "md-comar",
        "--kind",
        "initial",
        "--requested",
        THANKSGIVING_TUESDAY,
    ]);
    assert_eq!(text.status, 0, "{}", text.stderr);
    let line = |label: &str| {
        text.stdout
            .lines()
            .find(|line| line.starts_with(label))
            .unwrap_or_else(|| panic!("a {label} line in {}", text.stdout))
            .to_owned()
    };
    assert!(
        line("requested").ends_with("2025-11-25T19:30:00-05:00 (America/New_York)"),
        "{}",
        text.stdout
    );
    assert!(
        line("last day").contains("2025-12-05 (the deadline is local midnight at its end)"),
        "{}",
        text.stdout
    );
    assert!(line("deadline").ends_with("2025-12-06T00:00:00-05:00 (America/New_York)"));
}

#[test]
fn a_follow_up_whose_deadline_passed_before_the_request_says_so() {
    let args = |prior: &'static str, format: &'static str| {
        [
            "deadline",
            "--rules",
            "ca-dmhc",
            "--kind",
            "follow-up",
            "--requested",
            THANKSGIVING_TUESDAY,
            "--prior-appointment",
            prior,
            "--format",
            format,
        ]
    };
    // Ten business days after 2025-10-01 end with 2025-10-15, weeks before the request.
    let long_ago = "2025-10-01T10:00:00-07:00[America/Los_Angeles]";
    let text = caretime(&args(long_ago, "text"));
    assert_eq!(text.status, 0, "{}", text.stderr);
    assert!(
        text.stdout
            .contains("the deadline had passed before the request was made"),
        "{}",
        text.stdout
    );
    let doc = json(&caretime(&args(long_ago, "json")));
    assert_eq!(doc["last_day"], "2025-10-15");
    assert_eq!(doc["passed_before_request"], true);

    // A recent prior appointment: the deadline is ahead, and nothing is said.
    let recent = "2025-11-20T10:00:00-08:00[America/Los_Angeles]";
    let text = caretime(&args(recent, "text"));
    assert!(!text.stdout.contains("had passed"), "{}", text.stdout);
    let doc = json(&caretime(&args(recent, "json")));
    assert_eq!(doc["passed_before_request"], false);
}

#[test]
fn plan_reports_the_staffing_it_simulated() {
    // At 1 % scale the search brackets two ratios and bisects through ratios that give the same
    // numbers of therapists again: it used to report ratios it never ran (4799 and 4800). The
    // target is one some staffing meets: with biweekly returns on the therapist's own calendar,
    // SB 221's ten business days are missed now and then at any ratio (0.99 is not met even at
    // 1:750 here).
    let doc = json(&caretime(&[
        "plan",
        "--scenario",
        "socal-2024",
        "--target",
        "0.8",
        "--measure",
        "follow-ups",
        "--scale",
        "0.01",
        "--warm-up-months",
        "1",
        "--months",
        "1",
        "--replications",
        "2",
        "--format",
        "json",
    ]));
    let runs: Vec<(u64, u64)> = doc["evaluations"]
        .as_array()
        .expect("evaluations")
        .iter()
        .map(|run| {
            (
                run["members_per_therapist"].as_u64().expect("a ratio"),
                run["therapists"].as_u64().expect("a count"),
            )
        })
        .collect();
    assert_eq!(doc["outcome"], "found", "{runs:?}");
    for key in ["answer", "missed", "baseline"] {
        let shown = (
            doc[key]["members_per_therapist"].as_u64().expect("a ratio"),
            doc[key]["therapists"].as_u64().expect("a count"),
        );
        assert!(
            runs.contains(&shown),
            "{key} {shown:?} is not one of {runs:?}"
        );
    }
    assert_eq!(
        doc["wages"]["answer"]["therapist_fte"],
        doc["answer"]["therapist_fte"]
    );
}

#[test]
fn ids_are_read_in_one_spelling_everywhere() {
    let dir = scratch("new-user-ids");
    let disruption = |name: &str, who: &str| {
        let path = dir.join(name);
        std::fs::write(
            &path,
            format!("reason = \"leave\"\nfirst = \"2025-12-08\"\nlast = \"2025-12-12\"\n{who}\n"),
        )
        .expect("written");
        path.to_str().expect("utf-8 path").to_owned()
    };
    let bare = disruption("bare.toml", "clinicians = [0, 1]\nfacilities = [0]");
    let prefixed = disruption(
        "prefixed.toml",
        "clinicians = [\"clinician-0\", \"1\"]\nfacilities = [\"facility-0\"]",
    );
    let wrong_kind = disruption("wrong-kind.toml", "clinicians = [\"member-0\"]");
    let replan = |file: &str| {
        let mut doc = json(&caretime(&[
            "replan",
            "--scale",
            "0.002",
            "--disruption",
            file,
            "--format",
            "json",
        ]));
        doc["plan_seconds"] = serde_json::Value::Null;
        doc
    };
    let from_bare = replan(&bare);
    assert_eq!(replan(&prefixed), from_bare);
    assert!(from_bare["clinicians_disrupted"].as_u64() > Some(2));
    let args = ["replan", "--scale", "0.002", "--disruption", &wrong_kind];
    assert_one_error_line(
        &caretime(&args),
        &args,
        "field `clinicians[0]`: expected a clinician id: a number such as 7, or clinician-7",
    );

    // find: the same spellings, the same offers; another kind's id is refused.
    let region = dir.join("region.json");
    let region = region.to_str().expect("utf-8 path");
    let made = caretime(&[
        "region", "generate", "--scale", "0.002", "--seed", "1", "-o", region,
    ]);
    assert_eq!(made.status, 0, "{}", made.stderr);
    let find = |member: &str, treating: &str| {
        caretime(&[
            "find",
            "--region",
            region,
            "--member",
            member,
            "--treating",
            treating,
            "--kind",
            "follow-up",
            "--requested",
            "2025-12-01T08:00:00-08:00[America/Los_Angeles]",
            "--format",
            "json",
        ])
    };
    let bare = json(&find("3", "2"));
    assert_eq!(json(&find("member-3", "clinician-2")), bare);
    assert_eq!(bare["member"], "member-3");
    for (member, treating, expected) in [
        (
            "clinician-3",
            "2",
            "--member must be a number such as 7, or member-7",
        ),
        (
            "3",
            "member-2",
            "--treating must be a number such as 7, or clinician-7",
        ),
        (
            "Ana Park",
            "2",
            "--member must be a number such as 7, or member-7",
        ),
    ] {
        let run = find(member, treating);
        assert_one_error_line(&run, &[member, treating], expected);
        assert!(!run.stderr.contains("Ana Park"));
    }
}

#[test]
fn the_progress_bar_waits_for_its_total_and_for_a_meaningful_time_left() {
    // The bar draws only on a terminal: util-linux's `script` gives the command one and copies
    // what it draws to our stdout.
    let command = format!(
        "'{}' simulate socal-2024 --scale 0.02 --warm-up-months 2 --months 6 --replications 2 \
         > /dev/null",
        env!("CARGO_BIN_EXE_caretime")
    );
    let output = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .stdin(Stdio::null())
        .output()
        .expect("util-linux's `script` runs (this test needs it)");
    assert!(output.status.success(), "{output:?}");
    let drawn = String::from_utf8_lossy(&output.stdout).replace("\u{1b}[2K", "");
    let frames: Vec<&str> = drawn.split(['\r', '\n']).map(str::trim).collect();
    let bars: Vec<&&str> = frames
        .iter()
        .filter(|frame| frame.starts_with("simulating ["))
        .collect();
    assert!(!bars.is_empty(), "no bar drawn: {drawn}");
    assert!(!drawn.contains("panicked"), "{drawn}");
    // Not a full "0/0" bar before the total is known (a spinner instead).
    assert!(!drawn.contains("0/0"), "{drawn}");
    // No time left from the first steps' rate, and none far beyond this run's few seconds.
    assert!(!bars[0].contains("left"), "{}", bars[0]);
    for bar in bars {
        assert!(!bar.contains("minute") && !bar.contains("hour"), "{bar}");
    }
}

#[test]
fn names_from_files_reach_stdout_escaped_and_error_lines_stay_short() {
    let dir = scratch("new-user-stdout");
    // A contract whose title carries an escape sequence that would clear the screen.
    let contract = dir.join("contract.toml");
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../caretime-core/data/contracts/union-2024.toml"
    ))
    .expect("a built-in contract")
    .replace(
        "title = \"NUHW proposal",
        "title = \"\\u001b[2J\\u001b]0;owned\\u0007NUHW proposal",
    );
    std::fs::write(&contract, text).expect("written");
    let contract = contract.to_str().expect("utf-8 path");
    let shown = caretime(&["contracts", "show", contract]);
    assert_eq!(shown.status, 0, "{}", shown.stderr);
    assert!(!shown.stdout.contains('\u{1b}') && !shown.stdout.contains('\u{7}'));
    assert!(
        shown
            .stdout
            .contains(r"\u{1b}[2J\u{1b}]0;owned\u{7}NUHW proposal"),
        "{}",
        shown.stdout
    );
    // JSON escapes them itself, as JSON does.
    let doc = json(&caretime(&[
        "contracts",
        "show",
        contract,
        "--format",
        "json",
    ]));
    assert!(doc.to_string().contains(r"\u001b[2J"), "{doc}");

    // A flag value of 100,000 characters is quoted, but not in full (core's `quote` shortens
    // it; the error printer would cut a line past 1,000 characters anyway).
    let long = "x".repeat(100_000);
    let args = [
        "deadline",
        "--rules",
        "ca-dmhc",
        "--kind",
        &long,
        "--requested",
        THANKSGIVING_TUESDAY,
    ];
    let run = caretime(&args);
    assert_one_error_line(
        &run,
        &["deadline", "--kind", "x..."],
        "unknown request kind",
    );
    assert!(run.stderr.len() < 2_000, "{} bytes", run.stderr.len());

    // Two outputs that are the same file: one would overwrite the other.
    let same = dir.join("same.out");
    let same = same.to_str().expect("utf-8 path");
    let args = [
        "replan",
        "--scale",
        "0.002",
        "--disruption",
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../examples/disruptions/clinic-closure.toml"
        ),
        "--moves",
        same,
        "--export-dimacs",
        same,
    ];
    assert_one_error_line(&caretime(&args), &args, "two outputs are the same file");
    assert!(!std::path::Path::new(same).exists());
}

#[test]
fn validate_lines_the_model_up_with_each_published_figure_and_its_source() {
    let doc = json(&caretime(&[
        "validate",
        "socal-2024",
        "--scale",
        "0.005",
        "--warm-up-months",
        "1",
        "--months",
        "1",
        "--replications",
        "2",
        "--format",
        "json",
    ]));
    let figures = doc["figures"].as_array().expect("figures");
    assert!(figures.len() >= 5, "{doc}");
    for figure in figures {
        let measure = figure["measure"].as_str().expect("a measure");
        assert!(
            !figure["source"].as_str().expect("a source").is_empty(),
            "{measure}"
        );
        let mean = figure["model"]["mean"].as_f64().expect("a model figure");
        let (low, high) = (
            figure["published"]["low"].as_f64(),
            figure["published"]["high"].as_f64(),
        );
        // The ratio is the model over the middle of the range, or over its one bound.
        let reference = match (low, high) {
            (Some(low), Some(high)) => (low + high) / 2.0,
            (Some(bound), None) | (None, Some(bound)) => bound,
            (None, None) => panic!("{measure}: no bound"),
        };
        let ratio = figure["ratio"].as_f64().expect("a ratio");
        assert!((ratio - mean / reference).abs() < 1e-9, "{measure}");
        let holds = low.is_none_or(|low| mean >= low) && high.is_none_or(|high| mean <= high);
        assert_eq!(figure["holds"].as_bool(), Some(holds), "{measure}");
    }
    // socal-2025 (5 protected hours) is compared with employer-2024 (6) for the hour's cost.
    assert_eq!(doc["contract"], "socal-2025");
    assert!(
        figures
            .iter()
            .any(|figure| figure["measure"] == "protected-hour-cost"
                && figure["model"]["mean"].as_f64().is_some())
    );
}
