//! What the TOML readers' fuzz targets share (the disruption file's in caretime-replan and the
//! scenario's in caretime-sim include this module by path): the case count, mutations of a valid
//! file line by line (a number at its edge, a value replaced, a key made up, a line dropped or
//! doubled, the text cut or spliced), member data planted in its comments, and the check every
//! error must pass (one line, no control characters, nothing planted).

#![allow(dead_code, unreachable_pub, reason = "each target uses what it needs")]

use caretime_core::files::FileError;
use proptest::prelude::*;

#[path = "../fuzz_config/mod.rs"]
mod fuzz_config;

use fuzz_config::MAX_ERROR_BYTES;
pub(crate) use fuzz_config::config;

/// Numbers a mutation writes over a number in a line (`0.85`, `"2025-12-08"`, `[3, 7]`).
pub(crate) const NUMBERS: [&str; 16] = [
    "0",
    "1",
    "-1",
    "9",
    "99",
    "366",
    "3661",
    "2147483648",
    "4294967295",
    "4294967296",
    "9223372036854775807",
    "18446744073709551615",
    "99999999999999999999",
    "1e308",
    "nan",
    "inf",
];

/// What a mutation puts in a value's place.
pub(crate) fn replacements() -> Vec<String> {
    let mut values: Vec<String> = [
        "0",
        "-1",
        "1.0",
        "0.999999",
        "4294967295",
        "18446744073709551615",
        "1e308",
        "-1e308",
        "nan",
        "inf",
        "\"\"",
        "\"\\u001b[2J\"",
        "\"a\\nb\"",
        "\"\\u202e\"",
        "[]",
        "{}",
        "true",
        "\"9999-12-31\"",
        "\"-009999-01-01\"",
        "\"0000-01-01\"",
        "\"2025-02-30\"",
        "[4294967295]",
        "[-1]",
        "\"Jane Roe\"",
    ]
    .map(str::to_owned)
    .to_vec();
    values.push(format!("\"{}\"", "x".repeat(100_000)));
    values.push(format!("[{}]", vec!["0"; 100_000].join(", ")));
    values
}

/// Keys a mutation adds or puts in a key's place.
pub(crate) fn keys() -> Vec<String> {
    let mut keys: Vec<String> = ["\"Jane Roe\"", "\"\\u001b[2J\"", "\"a\\nb\"", "seed", "x"]
        .map(str::to_owned)
        .to_vec();
    keys.push("k".repeat(100_000));
    keys
}

/// One change to a text; its numbers pick lines, values and offsets modulo what there is. Lines
/// are picked among those that hold something (not comments or blank lines).
#[derive(Clone, Debug)]
pub(crate) enum Mutation {
    ReplaceNumber(usize, usize, usize),
    ReplaceValue(usize, usize),
    ReplaceKey(usize, usize),
    AddLine(usize, usize, usize),
    DropLine(usize),
    DoubleLine(usize),
    Truncate(usize),
    Insert(usize, String),
}

pub(crate) fn mutation() -> impl Strategy<Value = Mutation> {
    let n = any::<usize>;
    prop_oneof![
        4 => (n(), n(), n()).prop_map(|(l, at, v)| Mutation::ReplaceNumber(l, at, v)),
        4 => (n(), n()).prop_map(|(l, v)| Mutation::ReplaceValue(l, v)),
        1 => (n(), n()).prop_map(|(l, k)| Mutation::ReplaceKey(l, k)),
        1 => (n(), n(), n()).prop_map(|(l, k, v)| Mutation::AddLine(l, k, v)),
        1 => n().prop_map(Mutation::DropLine),
        1 => n().prop_map(Mutation::DoubleLine),
        1 => n().prop_map(Mutation::Truncate),
        1 => (n(), "\\PC{0,12}|[\\x00-\\x1f\\[\\]{}=\"',.]{1,6}")
            .prop_map(|(at, text)| Mutation::Insert(at, text)),
    ]
}

/// The byte ranges of the runs of ASCII digits in `text`.
pub(crate) fn digit_runs(text: &str) -> Vec<(usize, usize)> {
    let mut runs = Vec::new();
    let mut start = None;
    for (idx, byte) in text.bytes().enumerate().chain([(text.len(), b' ')]) {
        match (byte.is_ascii_digit(), start) {
            (true, None) => start = Some(idx),
            (false, Some(begin)) => {
                runs.push((begin, idx));
                start = None;
            }
            _ => {}
        }
    }
    runs
}

/// `text` with each mutation applied in turn, line by line.
pub(crate) fn mutate(text: &str, mutations: &[Mutation]) -> String {
    let values = replacements();
    let keys = keys();
    let mut text = text.to_owned();
    for mutation in mutations {
        let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
        if lines.is_empty() {
            lines.push(String::new());
        }
        let n = lines.len();
        let content: Vec<usize> = (0..n)
            .filter(|idx| {
                let line = lines[*idx].trim_start();
                !line.is_empty() && !line.starts_with('#')
            })
            .collect();
        let pick = |line: &usize| match content.len() {
            0 => line % n,
            len => content[line % len],
        };
        match mutation {
            Mutation::ReplaceNumber(line, at, number) => {
                let line = &mut lines[pick(line)];
                let value_start = line.find(" = ").map_or(0, |idx| idx + 3);
                let runs = digit_runs(&line[value_start..]);
                if !runs.is_empty() {
                    let (start, end) = runs[at % runs.len()];
                    line.replace_range(
                        value_start + start..value_start + end,
                        NUMBERS[number % NUMBERS.len()],
                    );
                }
            }
            Mutation::ReplaceValue(line, value) => {
                let line = &mut lines[pick(line)];
                let value = &values[value % values.len()];
                if let Some((key, _)) = line.split_once(" = ") {
                    *line = format!("{key} = {value}");
                }
            }
            Mutation::ReplaceKey(line, key) => {
                let line = &mut lines[pick(line)];
                if let Some((_, value)) = line.split_once(" = ") {
                    *line = format!("{} = {value}", keys[key % keys.len()]);
                }
            }
            Mutation::AddLine(line, key, value) => lines.insert(
                line % (n + 1),
                format!(
                    "{} = {}",
                    keys[key % keys.len()],
                    values[value % values.len()]
                ),
            ),
            Mutation::DropLine(line) => {
                lines.remove(line % n);
            }
            Mutation::DoubleLine(line) => {
                let copy = lines[line % n].clone();
                lines.insert(line % n, copy);
            }
            Mutation::Truncate(_) | Mutation::Insert(..) => {}
        }
        text = lines.join("\n") + "\n";
        if let Mutation::Truncate(at) | Mutation::Insert(at, _) = mutation {
            let mut at = at % (text.len() + 1);
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            match mutation {
                Mutation::Insert(_, inserted) => text.insert_str(at, inserted),
                _ => text.truncate(at),
            }
        }
    }
    text
}

/// Member data planted in the comments, where a reader has no reason to quote it from.
pub(crate) const PLANTED: [&str; 3] = ["Zelda Secretname", "1975-06-15", "SC000000002"];

pub(crate) fn planted(text: &str) -> String {
    format!("# {} {} {}\n{text}", PLANTED[0], PLANTED[1], PLANTED[2])
}

/// What every reader promises of an error.
pub(crate) fn check_error(err: &FileError) -> Result<(), TestCaseError> {
    fuzz_config::check_message(&err.to_string(), MAX_ERROR_BYTES, &PLANTED)
}
