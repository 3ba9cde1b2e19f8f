//! Fuzz targets for the readers of this crate: rule sets, holiday calendars, contracts, templates,
//! and the times and dates of `time_input`.
//!
//! Each target feeds a reader arbitrary text, and valid files mutated the way a hostile or
//! careless user would (a value at its extreme, a key made up, a line dropped or doubled, the text
//! cut short, garbage inserted), and checks what the reader promises: it returns (no panic, no
//! hang), and an error is one line without control characters, of bounded length. Text planted in
//! the free-text fields and comments (a member's name, a birth date) is never quoted: these files
//! may quote a misspelt key or value, cut and escaped, but not the rest of the file.
//!
//! The number of cases per target is `CARETIME_FUZZ_CASES` (64 by default, so that `cargo test`
//! stays fast; CI runs more).

use caretime_core::files::{self, FileError, builtin};
use caretime_core::region::Fte;
use caretime_core::request::RequestKind;
use caretime_core::rules::DeadlineQuery;
use caretime_core::template::{WeeklyHours, check_template, standard_template};
use caretime_core::time_input::{parse_date, parse_instant};
use jiff::civil::date;
use jiff::fmt::temporal::{Pieces, PiecesOffset};
use jiff::{SignedDuration, Timestamp, Zoned};
use proptest::prelude::*;

#[path = "fuzz_config/mod.rs"]
mod fuzz_config;

use fuzz_config::{MAX_ERROR_BYTES, config};

/// Member data planted where no message should ever quote it from.
const PLANTED: [&str; 3] = ["Zelda Secretname", "1975-06-15", "SC000000002"];

/// What a mutation puts in a value's place: numbers and strings at their extremes, text that
/// breaks lines or terminals, and the planted data.
fn replacements() -> Vec<String> {
    let mut values: Vec<String> = [
        "0",
        "-1",
        "1",
        "4294967295",
        "4294967296",
        "9223372036854775807",
        "-9223372036854775808",
        "18446744073709551615",
        "1e308",
        "-1e308",
        "nan",
        "inf",
        "-inf",
        "0.999999999",
        "\"\"",
        "\" \"",
        "\"\\u001b[2J\"",
        "\"a\\nb\"",
        "\"\\u202e\"",
        "[]",
        "{}",
        "true",
        "\"9999-12-31\"",
        "\"-009999-01-01\"",
        "\"4294967295 calendar days\"",
        "\"4294967295 business days\"",
        "\"4294967295 hours\"",
        "\"9223372036854775807 hours\"",
        "\"-30 minutes\"",
        "\"00:00-23:59 direct\"",
        "\"23:59-00:00 direct\"",
        "\"24:00-25:00 direct\"",
        "\"Mars/Base\"",
        // A name and a date a reader may quote, cut and escaped: these files hold no member data.
        "\"Jane Roe\"",
        "\"1980-02-29\"",
    ]
    .map(str::to_owned)
    .to_vec();
    values.push(format!("\"{}\"", "x".repeat(100_000)));
    values.push(format!("[{}]", vec!["\"mon\""; 1_000].join(", ")));
    values.push(format!(
        "[{}]",
        vec!["\"08:00-09:00 direct\""; 2_000].join(", ")
    ));
    values
}

/// Keys a mutation adds or puts in a key's place.
fn keys() -> Vec<String> {
    let mut keys: Vec<String> = [
        "\"Jane Roe\"",
        "\"\\u001b[2J\"",
        "\"a\\nb\"",
        "mon",
        "name",
        "kind",
        "x",
    ]
    .map(str::to_owned)
    .to_vec();
    keys.push("k".repeat(100_000));
    keys
}

/// Numbers a mutation writes over a number in a value (`10` in `"10 business days"`, `08` in
/// `"08:00-09:00 direct"`): the edges of the limits and of the integer types.
const NUMBERS: [&str; 18] = [
    "0",
    "1",
    "-1",
    "24",
    "60",
    "262",
    "263",
    "366",
    "367",
    "8784",
    "8785",
    "10081",
    "2147483648",
    "4294967295",
    "4294967296",
    "9223372036854775807",
    "18446744073709551615",
    "99999999999999999999",
];

/// One change to a text; its numbers pick lines, values and offsets modulo what there is. Lines
/// are picked among those that hold something (not comments or blank lines).
#[derive(Clone, Debug)]
enum Mutation {
    ReplaceNumber(usize, usize, usize),
    ReplaceValue(usize, usize),
    ReplaceKey(usize, usize),
    AddLine(usize, usize, usize),
    DropLine(usize),
    DoubleLine(usize),
    Truncate(usize),
    Insert(usize, String),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => (any::<usize>(), any::<usize>(), any::<usize>())
            .prop_map(|(l, at, n)| Mutation::ReplaceNumber(l, at, n)),
        4 => (any::<usize>(), any::<usize>()).prop_map(|(l, v)| Mutation::ReplaceValue(l, v)),
        2 => (any::<usize>(), any::<usize>()).prop_map(|(l, k)| Mutation::ReplaceKey(l, k)),
        2 => (any::<usize>(), any::<usize>(), any::<usize>())
            .prop_map(|(l, k, v)| Mutation::AddLine(l, k, v)),
        1 => any::<usize>().prop_map(Mutation::DropLine),
        1 => any::<usize>().prop_map(Mutation::DoubleLine),
        1 => any::<usize>().prop_map(Mutation::Truncate),
        1 => (any::<usize>(), "\\PC{0,12}|[\\x00-\\x1f\\[\\]{}=\"',.]{1,6}")
            .prop_map(|(at, text)| Mutation::Insert(at, text)),
    ]
}

/// `text` with each mutation applied in turn, line by line (`key = value` lines and the bare
/// entries of multi-line arrays).
fn mutate(text: &str, mutations: &[Mutation]) -> String {
    let values = replacements();
    let keys = keys();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let mut flat: Option<String> = None;
    for mutation in mutations {
        if let Some(joined) = flat.take() {
            lines = joined.lines().map(str::to_owned).collect();
        }
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
                *line = match line.split_once(" = ") {
                    Some((key, _)) => format!("{key} = {value}"),
                    None => format!("{value},"),
                };
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
            Mutation::Truncate(at) | Mutation::Insert(at, _) => {
                let mut joined = lines.join("\n");
                let mut at = at % (joined.len() + 1);
                while !joined.is_char_boundary(at) {
                    at -= 1;
                }
                match mutation {
                    Mutation::Insert(_, inserted) => joined.insert_str(at, inserted),
                    _ => joined.truncate(at),
                }
                flat = Some(joined);
            }
        }
    }
    flat.unwrap_or_else(|| lines.join("\n") + "\n")
}

/// The byte ranges of the runs of ASCII digits in `text`.
fn digit_runs(text: &str) -> Vec<(usize, usize)> {
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

/// `text` with member data planted in its comments and free-text fields (`title`, `source`,
/// a facility's `name`), where a reader has no reason to quote it from.
fn planted(text: &str) -> String {
    let mut out = format!("# {} born {}\n", PLANTED[0], PLANTED[1]);
    for line in text.lines() {
        let free_text = ["title = ", "source = ", "name = \"Los"]
            .iter()
            .any(|start| line.starts_with(start));
        if free_text {
            let (key, _) = line.split_once(" = ").expect("a key and a value");
            out.push_str(&format!(
                "{key} = \"{} {} {}\"\n",
                PLANTED[0], PLANTED[1], PLANTED[2]
            ));
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// What every reader promises of an error.
fn check_error(err: &FileError) -> Result<(), TestCaseError> {
    fuzz_config::check_message(&err.to_string(), MAX_ERROR_BYTES, &PLANTED)
}

/// The valid files the mutations start from: every built-in file, and a template.
fn bases(kind: &str) -> Vec<String> {
    match kind {
        "rules" => builtin::rule_set_names()
            .filter_map(builtin::rule_set_text)
            .map(planted)
            .collect(),
        "contract" => builtin::contract_names()
            .filter_map(builtin::contract_text)
            .map(planted)
            .collect(),
        "calendar" => vec![planted(include_str!(
            "../data/calendars/california-state.toml"
        ))],
        _ => vec![
            planted(include_str!("../../../examples/templates/full-time.toml")),
            planted(include_str!(
                "../../../examples/templates/short-protected.toml"
            )),
        ],
    }
}

/// Reads `text` as `kind` and, when it parses, uses it as the CLI does (deadlines of every kind
/// from a request and a prior appointment, a contract's standard templates, a template's check),
/// so that what a reader lets through is exercised too.
fn read(kind: &str, text: &str) -> Result<(), FileError> {
    match kind {
        "rules" => {
            let rules = files::parse_rule_set("fuzz.toml", text)?;
            let requested: Timestamp = "2025-11-25T16:30:00-08:00".parse().expect("valid");
            for kind in RequestKind::ALL {
                for prior in [None, Some(requested - SignedDuration::from_hours(24 * 400))] {
                    let query = DeadlineQuery {
                        kind,
                        requested,
                        prior_appointment: prior,
                        clinical_exception: Some(date(2026, 6, 1)),
                    };
                    let _ = rules.deadline(&query);
                    let _ = rules.deadline(&DeadlineQuery {
                        clinical_exception: None,
                        ..query
                    });
                }
            }
            Ok(())
        }
        "contract" => {
            let contract = files::parse_contract("fuzz.toml", text)?;
            for hundredths in [1, 50, 100] {
                let fte = Fte::from_hundredths(hundredths).expect("in range");
                let week = standard_template(&contract, fte);
                check_template(&week, &contract, &WeeklyHours::closed());
            }
            Ok(())
        }
        "calendar" => {
            let calendar = files::parse_holiday_calendar("fuzz.toml", text)?;
            for year in [-9999, 2025, 9999] {
                calendar.observed_in(year);
            }
            Ok(())
        }
        _ => {
            let document = files::parse_template("fuzz.toml", text)?;
            let contract = builtin::contract("socal-2025").expect("built in");
            check_template(&document.template, &contract, &document.hours);
            Ok(())
        }
    }
}

const KINDS: [&str; 4] = ["rules", "contract", "calendar", "template"];

proptest! {
    #![proptest_config(config())]

    #[test]
    fn readers_take_any_text(kind in 0..KINDS.len(), text in "\\PC{0,200}") {
        if let Err(err) = read(KINDS[kind], &text) {
            check_error(&err)?;
        }
    }

    #[test]
    fn readers_take_any_bytes(kind in 0..KINDS.len(), bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let text = String::from_utf8_lossy(&bytes);
        if let Err(err) = read(KINDS[kind], &text) {
            check_error(&err)?;
        }
    }

    #[test]
    fn readers_take_mutated_files(
        kind in 0..KINDS.len(),
        base in any::<usize>(),
        mutations in prop::collection::vec(mutation(), 1..4),
    ) {
        let bases = bases(KINDS[kind]);
        let text = mutate(&bases[base % bases.len()], &mutations);
        if let Err(err) = read(KINDS[kind], &text) {
            check_error(&err)?;
        }
    }

    #[test]
    fn times_are_read_strictly(
        text in prop_oneof![
            "\\PC{0,60}",
            "[+-]?[0-9]{4,6}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]{1,12})?)?([Zz]|[+-][0-9]{2}(:[0-9]{2}(:[0-9]{2})?)?)?(\\[!?(America/Los_Angeles|America/New_York|UTC|Mars/Base|EST5EDT|[+-][0-9]{2}:[0-9]{2}|[a-z/._]{1,20})\\])?(\\[u-ca=[a-z]{1,8}\\])?",
        ],
    ) {
        // An instant read from a time with both an offset and a zone has that offset in that
        // zone (RFC 9557: a contradiction is an error, never resolved by a guess).
        if let Ok(instant) = parse_instant(&text) {
            let pieces = Pieces::parse(&text).expect("parse_instant read it");
            let given = match pieces.offset() {
                Some(PiecesOffset::Numeric(offset)) => Some(offset.offset()),
                Some(PiecesOffset::Zulu) => Some(jiff::tz::Offset::UTC),
                _ => None,
            };
            if let (Some(given), Ok(Some(zone))) = (given, pieces.to_time_zone()) {
                let zoned: Zoned = instant.to_zoned(zone);
                prop_assert_eq!(zoned.offset(), given, "{}", text);
            }
        }
        if let Ok(date) = parse_date(&text) {
            prop_assert_eq!(date.to_string(), text);
        }
    }
}
