//! The `caretime` binary as a user runs it: arguments in, stdout, stderr and exit status out.

use std::io::Write;

mod support;

use support::{assert_one_error_line, caretime, json};

const THANKSGIVING_TUESDAY: &str = "2025-11-25T16:30:00-08:00[America/Los_Angeles]";

#[test]
fn deadline_json_has_the_documented_fields() {
    let out = json(&caretime(&[
        "deadline",
        "--rules",
        "ca-dmhc",
        "--kind",
        "initial",
        "--requested",
        THANKSGIVING_TUESDAY,
        "--format",
        "json",
    ]));
    // 10 business days after Tuesday 2025-11-25, skipping Thanksgiving (11-27) and the day after
    // (11-28): Nov 26, Dec 1-5, Dec 8-11. Last day Thursday 2025-12-11; deadline at its end.
    assert_eq!(out["rule"], "ca-dmhc");
    assert_eq!(out["kind"], "initial");
    assert_eq!(out["requested"], "2025-11-25T16:30:00-08:00");
    assert_eq!(out["deadline"], "2025-12-12T00:00:00-08:00");
    assert_eq!(out["days_counted"], 10);
    assert_eq!(out["hours"], serde_json::Value::Null);
    assert!(
        out["source"]
            .as_str()
            .is_some_and(|s| s.contains("1300.67.2.2"))
    );
    assert_eq!(out["skipped"][0]["reason"], "Thanksgiving Day");
    assert_eq!(out["skipped"][1]["date"], "2025-11-28");
}

#[test]
fn follow_up_counts_from_the_prior_appointment() {
    let out = json(&caretime(&[
        "deadline",
        "--rules",
        "ca-dmhc",
        "--kind",
        "follow-up",
        "--requested",
        THANKSGIVING_TUESDAY,
        "--prior-appointment",
        "2025-11-20T10:00:00-08:00[America/Los_Angeles]",
        "--format",
        "json",
    ]));
    // Day 0 is Thursday 2025-11-20: Nov 21, 24, 25, 26, Dec 1, 2, 3, 4, 5, 8 → last day Monday
    // 2025-12-08.
    assert_eq!(out["counted_from"], "prior-appointment");
    assert_eq!(out["last_day"], "2025-12-08");
    assert_eq!(out["deadline"], "2025-12-09T00:00:00-08:00");
}

#[test]
fn urgent_deadline_is_48_real_hours_across_dst() {
    let out = json(&caretime(&[
        "deadline",
        "--rules",
        "ca-dmhc",
        "--kind",
        "urgent",
        "--requested",
        "2025-11-01T10:00:00-07:00[America/Los_Angeles]",
        "--format",
        "json",
    ]));
    // Clocks fall back at 02:00 on 2025-11-02, so 48 real hours later the wall clock reads 09:00.
    assert_eq!(out["deadline"], "2025-11-03T09:00:00-08:00");
    assert_eq!(out["hours"], 48);
    assert_eq!(out["days_counted"], serde_json::Value::Null);
}

#[test]
fn bad_inputs_fail_with_one_line_and_never_echo_times() {
    let cases: [(&[&str], &str); 7] = [
        (
            &[
                "--rules",
                "nope",
                "--kind",
                "initial",
                "--requested",
                THANKSGIVING_TUESDAY,
            ],
            "unknown rule set `nope`",
        ),
        (
            &[
                "--rules",
                "ca-dmhc",
                "--kind",
                "routine",
                "--requested",
                THANKSGIVING_TUESDAY,
            ],
            "unknown request kind `routine`",
        ),
        (
            &[
                "--rules",
                "ca-dmhc",
                "--kind",
                "initial",
                "--requested",
                "2025-13-45T99:00",
            ],
            "--requested is not a valid time",
        ),
        (
            &[
                "--rules",
                "ca-dmhc",
                "--kind",
                "initial",
                "--requested",
                "2025-11-25T16:30:00",
            ],
            "--requested has no time zone",
        ),
        (
            &[
                "--rules",
                "ca-dmhc",
                "--kind",
                "initial",
                "--requested",
                "2025-11-25",
            ],
            "--requested has no time zone",
        ),
        (
            &[
                "--rules",
                "ca-dmhc",
                "--kind",
                "post-discharge",
                "--requested",
                THANKSGIVING_TUESDAY,
            ],
            "no deadline for request kind `post-discharge`",
        ),
        (
            &[
                "--rules",
                "medicaid-438",
                "--kind",
                "initial",
                "--requested",
                THANKSGIVING_TUESDAY,
                "--clinical-exception",
                "2026-01-30",
            ],
            "allows no clinical exception",
        ),
    ];
    for (args, expected) in cases {
        let run = caretime(&[&["deadline"], args].concat());
        assert_one_error_line(&run, args, expected);
        // Request times are member data: the value given is never repeated.
        let time_given = args[args
            .iter()
            .position(|a| *a == "--requested")
            .expect("always given")
            + 1];
        assert!(
            !run.stderr.contains(time_given) && !run.stderr.contains("panicked"),
            "{}",
            run.stderr
        );
    }
}

#[test]
fn rule_sets_are_listed_and_shown() {
    let run = caretime(&["rules", "list"]);
    assert_eq!(run.status, 0);
    for name in ["ca-dmhc", "medicaid-438", "ny-98", "md-comar", "ncqa-bh"] {
        assert!(
            run.stdout.contains(name),
            "{name} missing from:\n{}",
            run.stdout
        );
    }
    let shown = json(&caretime(&[
        "rules",
        "show",
        "ca-dmhc",
        "--holidays",
        "2026",
        "--format",
        "json",
    ]));
    insta::assert_json_snapshot!("rules_show_ca_dmhc_2026", shown);
}

#[test]
fn rule_set_from_a_path_and_its_errors() {
    let dir = std::env::temp_dir().join(format!("caretime-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let good = dir.join("good.toml");
    let text = include_str!("../../caretime-core/data/rules/ca-dmhc.toml")
        .replace("name = \"ca-dmhc\"", "name = \"my-plan\"");
    std::fs::write(&good, &text).expect("write");
    let out = json(&caretime(&[
        "deadline",
        "--rules",
        good.to_str().expect("utf-8 path"),
        "--kind",
        "initial",
        "--requested",
        THANKSGIVING_TUESDAY,
        "--format",
        "json",
    ]));
    assert_eq!(out["rule"], "my-plan");
    assert_eq!(out["deadline"], "2025-12-12T00:00:00-08:00");

    let bad = dir.join("bad.toml");
    let mut file = std::fs::File::create(&bad).expect("create");
    file.write_all(
        text.replace("within = \"96 hours\"", "within = \"96 fortnights\"")
            .as_bytes(),
    )
    .expect("write");
    let run = caretime(&["rules", "show", bad.to_str().expect("utf-8 path")]);
    assert_eq!(run.status, 2);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    let line = text
        .lines()
        .position(|l| l.contains("96 hours"))
        .expect("the rule is in the file")
        + 1;
    assert!(
        run.stderr.contains(&format!(
            "bad.toml:{line}: field `deadline[1].within`: `96 fortnights`: unknown unit"
        )),
        "{}",
        run.stderr
    );
    std::fs::remove_dir_all(&dir).expect("clean up");
}

#[test]
fn template_check_exit_codes() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/templates/");
    let valid = caretime(&[
        "template",
        "check",
        &format!("{root}full-time.toml"),
        "--contract",
        "socal-2025",
    ]);
    assert_eq!(valid.status, 0, "{}{}", valid.stdout, valid.stderr);
    assert!(
        valid.stdout.contains("valid: no violations"),
        "{}",
        valid.stdout
    );

    let invalid = caretime(&[
        "template",
        "check",
        &format!("{root}short-protected.toml"),
        "--format",
        "json",
    ]);
    assert_eq!(invalid.status, 1, "{}", invalid.stderr);
    let out: serde_json::Value = serde_json::from_str(&invalid.stdout).expect("json");
    assert_eq!(out["valid"], false);
    let codes: Vec<&str> = out["violations"]
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|v| v["code"].as_str())
        .collect();
    assert!(codes.contains(&"protected-short"), "{codes:?}");
    assert!(
        codes.len() > 1,
        "every violation is listed, not only the first: {codes:?}"
    );

    // The same valid week is short under a contract that owes more protected time.
    let union = caretime(&[
        "template",
        "check",
        &format!("{root}full-time.toml"),
        "--contract",
        "union-2024",
    ]);
    assert_eq!(union.status, 1);
    assert!(
        union
            .stdout
            .contains("2h short of the 7h that contract union-2024 requires"),
        "{}",
        union.stdout
    );

    let missing = caretime(&["template", "check", "no/such/file.toml"]);
    assert_eq!(missing.status, 2);
    assert!(
        missing
            .stderr
            .starts_with("error: cannot read `no/such/file.toml`"),
        "{}",
        missing.stderr
    );
}

#[test]
fn contracts_are_listed() {
    let out = json(&caretime(&["contracts", "list", "--format", "json"]));
    let protected: Vec<(String, u64)> = out
        .as_array()
        .expect("a list")
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap_or_default().to_owned(),
                c["protected_minutes"].as_u64().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        protected,
        [
            ("socal-2025", 300),
            ("employer-2024", 360),
            ("union-2024", 420),
            ("norcal-2022", 450)
        ]
        .map(|(n, m)| (n.to_owned(), m))
    );
}

#[test]
fn demo_is_deterministic_and_snapshotted() {
    let first = caretime(&["demo"]);
    assert_eq!(first.status, 0, "{}", first.stderr);
    assert_eq!(caretime(&["demo"]).stdout, first.stdout);
    insta::assert_snapshot!("demo", first.stdout);
}

#[test]
fn every_command_has_help() {
    for args in [
        &["--help"][..],
        &["deadline", "--help"],
        &["rules", "--help"],
        &["rules", "list", "--help"],
        &["rules", "show", "--help"],
        &["contracts", "show", "--help"],
        &["template", "check", "--help"],
        &["demo", "--help"],
        &["db", "init", "--help"],
        &["db", "migrate", "--help"],
        &["db", "check", "--help"],
        &["import", "--help"],
        &["book", "--help"],
        &["cancel", "--help"],
        &["appointments", "--help"],
        &["export", "appointments", "--help"],
        &["export", "region", "--help"],
        &["export", "report", "--help"],
        &["export", "census", "--help"],
        &["bench", "store", "--help"],
        &["bench", "load", "--help"],
    ] {
        let run = caretime(args);
        assert_eq!(run.status, 0, "{args:?}");
        assert!(run.stdout.contains("Usage: caretime"), "{args:?}");
    }
}
