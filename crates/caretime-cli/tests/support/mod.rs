//! What every CLI suite shares: run the binary, read its JSON, make a scratch directory.

#![allow(dead_code, reason = "each suite uses what it needs")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A tiny run of the built-in scenario: 9,600 members, one month of warm-up and one reported,
/// two replications (a second or two in debug).
pub(crate) const TINY: [&str; 8] = [
    "--scale",
    "0.002",
    "--warm-up-months",
    "1",
    "--months",
    "1",
    "--replications",
    "2",
];

/// What one run of `caretime` printed and how it exited.
pub(crate) struct Run {
    pub(crate) status: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

pub(crate) fn caretime(args: &[&str]) -> Run {
    let Output {
        status,
        stdout,
        stderr,
    } = Command::new(env!("CARGO_BIN_EXE_caretime"))
        .args(args)
        .output()
        .expect("the binary runs");
    Run {
        status: status.code().expect("exited, not killed"),
        stdout: String::from_utf8(stdout).expect("utf-8 stdout"),
        stderr: String::from_utf8(stderr).expect("utf-8 stderr"),
    }
}

/// Asserts that a run failed on bad input the CLI's way: exit status 2, nothing on stdout, and
/// one `error:` line on stderr that contains `expected`.
pub(crate) fn assert_one_error_line(run: &Run, args: &[&str], expected: &str) {
    assert_eq!(run.status, 2, "{args:?}: {}", run.stderr);
    assert!(run.stdout.is_empty(), "{args:?}");
    assert_eq!(run.stderr.lines().count(), 1, "{args:?}: {}", run.stderr);
    assert!(
        run.stderr.starts_with("error: ") && run.stderr.contains(expected),
        "{args:?}: {}",
        run.stderr
    );
}

/// The one JSON document a successful run printed.
pub(crate) fn json(run: &Run) -> serde_json::Value {
    assert_eq!(run.status, 0, "stderr: {}", run.stderr);
    serde_json::from_str(&run.stdout).expect("stdout is one JSON document")
}

/// A fresh scratch directory under the target directory (removed first if a past run left it).
pub(crate) fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// Asserts that `doc[list]` names each of `slugs` in its entries' `key` field, and that `dir`
/// holds each of `files`, none empty: what a report written with `--out` must have.
pub(crate) fn assert_report(
    doc: &serde_json::Value,
    (list, key): (&str, &str),
    slugs: &[&str],
    dir: &Path,
    files: &[&str],
) {
    let named: Vec<&str> = doc[list]
        .as_array()
        .unwrap_or_else(|| panic!("{list} is a list"))
        .iter()
        .filter_map(|entry| entry[key].as_str())
        .collect();
    for slug in slugs {
        assert!(named.contains(slug), "{slug} in {named:?}");
    }
    for name in files {
        let text = std::fs::read_to_string(dir.join(name)).expect("written");
        assert!(!text.is_empty(), "{name}");
    }
}
