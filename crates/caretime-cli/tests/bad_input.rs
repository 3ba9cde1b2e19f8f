//! Bad input, as a hostile or careless user gives it: the CLI answers with exit status 2 and one
//! `error:` line that holds no member data and no control characters, and never panics, hangs or
//! runs out of memory. One or more cases per class of issue 18's probe: member data in errors,
//! overflowing durations and counts, declared sizes, scenario values that never end, a quadratic
//! template check, offsets that contradict their zone, and control characters in messages.

use std::path::Path;

use serde_json::Value;

mod support;

use support::{Run, assert_one_error_line, caretime, scratch};

const REQUESTED: &str = "2025-12-01T08:00:00-08:00[America/Los_Angeles]";

/// A generated region (0.1 % of socal) and its members' names, birth dates and plan numbers.
fn region(dir: &Path) -> (Value, Vec<String>) {
    let path = dir.join("r.json");
    let path = path.to_str().expect("UTF-8 path");
    let run = caretime(&[
        "region", "generate", "--preset", "socal", "--scale", "0.001", "--seed", "1", "-o", path,
    ]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let region: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("written")).expect("JSON");
    let phi = region["members"]
        .as_array()
        .expect("members")
        .iter()
        .flat_map(|member| {
            ["name", "birth_date", "plan_number"]
                .map(|field| member[field].as_str().expect("a string field").to_owned())
        })
        .collect();
    (region, phi)
}

/// Writes `region` to `dir/name` and runs `find` on it for member 7.
fn find_on(dir: &Path, name: &str, region: &Value) -> (Run, Vec<String>) {
    let path = dir.join(name);
    std::fs::write(&path, region.to_string()).expect("writable");
    let path = path.to_str().expect("UTF-8 path").to_owned();
    let args = [
        "find",
        "--region",
        &path,
        "--member",
        "7",
        "--kind",
        "initial",
        "--requested",
        REQUESTED,
    ];
    (
        caretime(&args),
        args.iter().map(|arg| (*arg).to_owned()).collect(),
    )
}

/// One `error:` line saying `expected`, without any of `secrets` or a control character.
fn refused(run: &Run, args: &[&str], expected: &str, secrets: &[String]) {
    assert_one_error_line(run, args, expected);
    assert!(
        !run.stderr.trim_end().chars().any(char::is_control),
        "{args:?}: {:?}",
        run.stderr
    );
    for secret in secrets {
        assert!(
            !run.stderr.contains(secret.as_str()),
            "{args:?} leaks `{secret}`: {}",
            run.stderr
        );
    }
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("writable");
    path.to_str().expect("UTF-8 path").to_owned()
}

fn builtin(path: &str) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    std::fs::read_to_string(root.join(path)).expect("a file of the repository")
}

// ---------------------------------------------------------------------------------------------
// Class 1: member data in errors

#[test]
fn a_member_name_or_birth_date_used_as_a_key_is_not_echoed() {
    let dir = scratch("bad-input-phi-keys");
    let (base, phi) = region(&dir);
    let name = base["members"][7]["name"]
        .as_str()
        .expect("a name")
        .to_owned();
    let birth_date = base["members"][7]["birth_date"]
        .as_str()
        .expect("a date")
        .to_owned();
    for (idx, (table, key)) in [
        ("members", &name),
        ("members", &birth_date),
        ("facilities", &name),
        ("clinicians", &name),
    ]
    .into_iter()
    .enumerate()
    {
        let mut region = base.clone();
        let entry = if table == "members" { 7 } else { 0 };
        region[table][entry][key.as_str()] = Value::from(1);
        let (run, args) = find_on(&dir, &format!("key-{idx}.json"), &region);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        refused(
            &run,
            &args,
            &format!("field `{table}[{entry}]`: unknown field (expected one of"),
            &phi,
        );
    }
    let mut region = base.clone();
    region[name.as_str()] = Value::from(1);
    let (run, args) = find_on(&dir, "top-level.json", &region);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    refused(&run, &args, "unknown field (expected one of", &phi);
}

#[test]
fn a_member_name_in_another_field_is_not_echoed() {
    let dir = scratch("bad-input-phi-values");
    let (base, phi) = region(&dir);
    let name = Value::from(base["members"][7]["name"].as_str().expect("a name"));
    for (idx, (pointer, says)) in [
        (
            "/clinicians/0/template",
            "no entry of `templates` has this name",
        ),
        ("/facilities/0/time_zone", "unknown time zone"),
        (
            "/facilities/0/calendar/holidays",
            "unknown holiday calendar",
        ),
        ("/templates/0/blocks/0/kind", "unknown block kind"),
        ("/clinicians/0/discipline", "unknown discipline"),
        ("/version", "invalid type or value (expected u32)"),
    ]
    .into_iter()
    .enumerate()
    {
        let mut region = base.clone();
        *region.pointer_mut(pointer).expect("in the region") = name.clone();
        let (run, args) = find_on(&dir, &format!("value-{idx}.json"), &region);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        refused(&run, &args, says, &phi);
    }
}

#[test]
fn a_member_list_given_as_dimacs_is_not_echoed() {
    let dir = scratch("bad-input-phi-dimacs");
    let path = write(
        &dir,
        "m.dimacs",
        "p min 2 1\na 1 2 SC817499722 Jose_Kim 1\n",
    );
    let args = ["flow", "solve", &path];
    refused(
        &caretime(&args),
        &args,
        "line 2: field 4 is not an integer in range",
        &["SC817499722".to_owned(), "Jose_Kim".to_owned()],
    );
}

// ---------------------------------------------------------------------------------------------
// Class 2: durations and counts that overflow

#[test]
fn months_and_warm_up_do_not_wrap_past_their_check() {
    for command in [
        vec!["simulate", "socal-2024"],
        vec!["compare", "socal-2024"],
        vec!["plan", "--scenario", "socal-2024", "--target", "0.9"],
    ] {
        let mut args = command.clone();
        args.extend([
            "--scale",
            "0.001",
            "--months",
            "4294967295",
            "--warm-up-months",
            "1",
            "--replications",
            "1",
        ]);
        refused(
            &caretime(&args),
            &args,
            "--months must be at least 1, and with the warm-up at most 120",
            &[],
        );
    }
}

#[test]
fn durations_beyond_a_year_are_refused_in_rule_sets() {
    let dir = scratch("bad-input-durations");
    let rules = builtin("crates/caretime-core/data/rules/ca-dmhc.toml");
    for (from, to, command, says) in [
        (
            r#"within = "10 business days""#,
            r#"within = "4294967295 calendar days""#,
            "deadline",
            "a deadline must be at most a year",
        ),
        (
            r#"triage_within = "30 minutes""#,
            r#"triage_within = "9223372036854775807 hours""#,
            "show",
            "more than the longest duration caretime counts",
        ),
        (
            r#"triage_within = "30 minutes""#,
            r#"triage_within = "-30 minutes""#,
            "show",
            "a triage standard must be more than 0 and at most 24 hours",
        ),
    ] {
        assert!(rules.contains(from), "{from}");
        let path = write(&dir, "my.toml", &rules.replacen(from, to, 1));
        let args: Vec<&str> = match command {
            "deadline" => vec![
                "deadline",
                "--rules",
                &path,
                "--kind",
                "initial",
                "--requested",
                REQUESTED,
            ],
            _ => vec!["rules", "show", &path],
        };
        refused(&caretime(&args), &args, says, &[]);
    }
}

#[test]
fn contract_slots_that_wrap_the_week_are_refused() {
    let dir = scratch("bad-input-contract");
    let contract = builtin("crates/caretime-core/data/contracts/socal-2025.toml").replacen(
        "urgent_hold_slots = 2",
        "urgent_hold_slots = 4294967295",
        1,
    );
    let path = write(&dir, "c.toml", &contract);
    let args = ["contracts", "show", &path];
    refused(&caretime(&args), &args, "exceed the full-time week", &[]);
}

// ---------------------------------------------------------------------------------------------
// Class 3: declared sizes

#[test]
fn a_dimacs_header_cannot_ask_for_gigabytes() {
    let dir = scratch("bad-input-dimacs-size");
    for (header, says) in [
        (
            "p min 2147483648 0\n",
            "declares 2147483648 nodes, more than the 16777216",
        ),
        (
            "p min 2 4294967295\n",
            "declares 4294967295 arcs, more than the 67108864",
        ),
    ] {
        let path = write(&dir, "f.dimacs", header);
        let args = ["flow", "solve", &path];
        refused(&caretime(&args), &args, says, &[]);
    }
}

#[test]
fn request_and_booking_counts_are_bounded() {
    let cases: [(&[&str], &str); 3] = [
        (
            &[
                "bench",
                "find",
                "--scale",
                "0.001",
                "--bookings",
                "0",
                "--requests",
                "4294967295",
            ],
            "--requests must be 1 to 1000000",
        ),
        (
            &[
                "bench",
                "find",
                "--scale",
                "0.001",
                "--bookings",
                "4294967295",
                "--requests",
                "1",
            ],
            "--bookings must be at most 10000000",
        ),
        (
            &[
                "replan",
                "--scale",
                "0.001",
                "--disruption",
                concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/../../examples/disruptions/socal-strike.toml"
                ),
                "--bookings",
                "4294967295",
            ],
            "--bookings must be at most 10000000",
        ),
    ];
    for (args, says) in cases {
        refused(&caretime(args), args, says, &[]);
    }
}

#[test]
fn a_region_larger_than_memory_holds_is_refused() {
    let dir = scratch("bad-input-region-size");
    // The generator: 10 times socal is 48 million members.
    let output = dir.join("big.json");
    let args = [
        "region",
        "generate",
        "--scale",
        "10",
        "-o",
        output.to_str().expect("UTF-8 path"),
    ];
    refused(
        &caretime(&args),
        &args,
        "members: 48000000 is more than the 10000000 a region may hold in memory",
        &[],
    );
    // A file: the reader stops at the first clinician past the limit.
    let (mut region, phi) = region(&dir);
    let clinician = region["clinicians"][0].clone();
    let clinicians = region["clinicians"].as_array_mut().expect("a list");
    clinicians.resize(150_001, clinician);
    let (run, args) = find_on(&dir, "many.json", &region);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    refused(
        &run,
        &args,
        "too many entries: a region holds at most 150000 clinicians in memory",
        &phi,
    );
}

// ---------------------------------------------------------------------------------------------
// Class 4: scenario values that never end or blow up

#[test]
fn scenario_values_that_never_end_are_refused_by_field() {
    let dir = scratch("bad-input-scenario");
    let scenario = builtin("crates/caretime-sim/scenarios/socal-2024.toml");
    for (from, to, field) in [
        (
            "member-cancellation = 0.08",
            "member-cancellation = 1.0",
            "attendance.member-cancellation",
        ),
        (
            "members-per-therapist = 3000",
            "members-per-therapist = 1",
            "members_per_therapist must be at least 100",
        ),
        (
            "network-providers = 13000",
            "network-providers = 2000000000",
            "clinicians:",
        ),
    ] {
        assert!(scenario.contains(from), "{from}");
        let path = write(&dir, "s.toml", &scenario.replacen(from, to, 1));
        let args = [
            "simulate",
            &path,
            "--scale",
            "0.001",
            "--months",
            "1",
            "--warm-up-months",
            "0",
            "--replications",
            "1",
        ];
        refused(&caretime(&args), &args, field, &[]);
    }
    let args = ["compare", "socal-2024", "--ratio", "1", "--scale", "0.01"];
    refused(
        &caretime(&args),
        &args,
        "--ratio must be at least 100 members per therapist",
        &[],
    );
}

// ---------------------------------------------------------------------------------------------
// Class 5: template check

#[test]
fn ten_thousand_duplicate_blocks_give_a_short_report() {
    let dir = scratch("bad-input-template");
    let blocks = vec![r#""08:00-09:00 direct""#; 10_000].join(",\n");
    let path = write(
        &dir,
        "t.toml",
        &format!(
            "fte = 1.0\n[facility]\nname = \"X\"\nhours = {{ mon = \"08:00-18:00\" }}\n[week]\nmon = [\n{blocks}\n]\n"
        ),
    );
    let run = caretime(&["template", "check", &path]);
    assert_eq!(run.status, 1, "{}", run.stderr);
    assert!(
        run.stdout.contains("invalid: 10001 violations"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("  ... and 9951 more\n"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.len() < 10_000, "{} bytes", run.stdout.len());
    let json = caretime(&["template", "check", &path, "--format", "json"]);
    assert_eq!(json.status, 1, "{}", json.stderr);
    let report: Value = serde_json::from_str(&json.stdout).expect("one JSON document");
    assert_eq!(report["violations"].as_array().map(Vec::len), Some(50));
    assert_eq!(report["unlisted_violations"], 9951);
}

// ---------------------------------------------------------------------------------------------
// Class 7: times whose offset contradicts their zone

#[test]
fn an_offset_that_contradicts_its_zone_is_refused() {
    for (requested, says) in [
        (
            "2025-11-25T16:30:00-05:00[America/Los_Angeles]",
            "--requested has an offset its time zone does not have at that time",
        ),
        (
            "2025-11-25T16:30:00-08:00[UTC]",
            "--requested has an offset its time zone does not have at that time",
        ),
        (
            "2025-03-09T02:30:00-08:00[America/Los_Angeles]",
            "--requested has an offset its time zone does not have at that time",
        ),
        (
            "2025-11-25T16:30:00-08:00[Mars/Base]",
            "--requested names a time zone that does not exist",
        ),
        (
            "2025-11-25T16:30:00+25:00",
            "--requested is not a valid time",
        ),
    ] {
        let args = [
            "deadline",
            "--rules",
            "ca-dmhc",
            "--kind",
            "initial",
            "--requested",
            requested,
        ];
        refused(&caretime(&args), &args, says, &[]);
    }
    let args = [
        "deadline",
        "--rules",
        "ca-dmhc",
        "--kind",
        "follow-up",
        "--requested",
        REQUESTED,
        "--prior-appointment",
        "2025-11-20T10:00:00-05:00[America/Los_Angeles]",
    ];
    refused(
        &caretime(&args),
        &args,
        "--prior-appointment has an offset its time zone does not have",
        &[],
    );
    let args = [
        "replan",
        "--scale",
        "0.001",
        "--disruption",
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../examples/disruptions/socal-strike.toml"
        ),
        "--now",
        "2025-12-07T17:00:00-05:00[America/Los_Angeles]",
    ];
    refused(
        &caretime(&args),
        &args,
        "--now has an offset its time zone does not have",
        &[],
    );
}

// ---------------------------------------------------------------------------------------------
// Control characters and long text from flags and files

#[test]
fn text_from_flags_and_files_reaches_errors_escaped_and_cut() {
    let dir = scratch("bad-input-escapes");
    let long = "x".repeat(100_000);
    for (args, says) in [
        (
            vec![
                "deadline",
                "--rules",
                "\u{1b}[2J",
                "--kind",
                "initial",
                "--requested",
                REQUESTED,
            ],
            r"unknown rule set `\u{1b}[2J`",
        ),
        (
            vec![
                "deadline",
                "--rules",
                "ca-dmhc",
                "--kind",
                "initial\nurgent",
                "--requested",
                REQUESTED,
            ],
            r"unknown request kind `initial\nurgent`",
        ),
        (
            vec![
                "deadline",
                "--rules",
                "ca-dmhc",
                "--kind",
                &long,
                "--requested",
                REQUESTED,
            ],
            "unknown request kind `xxxxxxxx",
        ),
        (
            vec!["simulate", "\u{1b}[31mx"],
            r"unknown scenario `\u{1b}[31mx`",
        ),
    ] {
        let run = caretime(&args);
        refused(&run, &args, says, &[]);
        assert!(run.stderr.len() < 1_000, "{} bytes", run.stderr.len());
    }
    let rules = builtin("crates/caretime-core/data/rules/ca-dmhc.toml");
    for (from, to) in [
        ("[calendar]", "[calendar]\n\"a\\nb\" = 1"),
        ("[calendar]", "[calendar]\n\"\\u001b[2J\" = 1"),
        (
            r#"holidays = "california-state""#,
            r#"holidays = "\u001b[2J""#,
        ),
        (
            r#"time_zone = "America/Los_Angeles""#,
            r#"time_zone = "\u001b]0;x\u0007""#,
        ),
    ] {
        assert!(rules.contains(from), "{from}");
        let path = write(&dir, "my.toml", &rules.replacen(from, to, 1));
        let args = ["rules", "show", &path];
        refused(&caretime(&args), &args, "my.toml:", &[]);
    }
}
