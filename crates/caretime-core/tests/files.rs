//! Malformed data files are rejected with a `FileError` that names the file, the line and the
//! field, in one line a user can act on.
//!
//! Each test takes a small valid file, changes one thing, and checks where the error points. The
//! fixtures start on line 1 of their raw strings, so the line numbers in the assertions can be read
//! off the fixture.

use std::fmt::Debug;

use caretime_core::files::{self, FileError};
use caretime_core::region::Fte;

const RULE_SET: &str = r#"name = "test-rules"
title = "Test rules"
source = "test"
clinical_exception = false
clinical_exception_source = "none"

[calendar]
time_zone = "America/Los_Angeles"
weekdays = ["mon", "tue", "wed", "thu", "fri"]
holidays = "california-state"

[[deadline]]
kind = "urgent"
within = "48 hours"
from = "request"
source = "test: urgent"

[[deadline]]
kind = "initial"
within = "10 business days"
from = "request"
source = "test: initial"
"#;

const CONTRACT: &str = r#"name = "test-contract"
title = "Test contract"
source = "test"
full_time_hours = 40
protected_hours = 5
meeting_hours = 2.5
urgent_hold_slots = 2
"#;

const TEMPLATE: &str = r#"fte = 1.0
[facility]
name = "Test clinic"
hours = { mon = "08:00-18:00", tue = "08:00-18:00" }
[week]
mon = [
  "08:00-09:00 protected",
  "09:00-12:00 direct",
  "12:00-13:00 break",
]
tue = ["08:00-12:00 direct"]
"#;

const HOLIDAYS: &str = r#"name = "test-holidays"
title = "Test holidays"
source = "test"

[[holiday]]
name = "Thanksgiving Day"
nth_weekday = { n = 4, weekday = "thu", month = 11 }
source = "test"

[[holiday]]
name = "Day after Thanksgiving"
day_after = "Thanksgiving Day"
source = "test"
"#;

const RULES_FILE: &str = "rules/test.toml";
const CONTRACT_FILE: &str = "contracts/test.toml";
const TEMPLATE_FILE: &str = "templates/test.toml";
const HOLIDAYS_FILE: &str = "calendars/test.toml";

/// `base` with `from` replaced by `to`; `from` must occur exactly once, so each edit is unambiguous.
fn edit(base: &str, from: &str, to: &str) -> String {
    assert_eq!(base.matches(from).count(), 1, "`{from}` should occur once");
    base.replacen(from, to, 1)
}

/// The error of a file that must be rejected.
fn rejected<T: Debug>(result: Result<T, FileError>) -> FileError {
    let err = result.expect_err("the file should be rejected");
    let text = err.to_string();
    assert!(
        !text.contains('\n'),
        "the error should be one line: {text:?}"
    );
    err
}

/// Asserts where an error points and that its message says `says`.
fn assert_points_at(err: &FileError, file: &str, line: Option<usize>, field: &str, says: &str) {
    assert_eq!(
        (err.file.as_str(), err.line, err.field.as_str()),
        (file, line, field),
        "{err}"
    );
    assert!(err.message.contains(says), "{err}");
}

fn rule_set_error(text: &str) -> FileError {
    rejected(files::parse_rule_set(RULES_FILE, text))
}

fn template_error(text: &str) -> FileError {
    rejected(files::parse_template(TEMPLATE_FILE, text))
}

#[test]
fn the_unedited_fixtures_parse() {
    // Otherwise an error below could come from the fixture rather than from the edit.
    files::parse_rule_set(RULES_FILE, RULE_SET).expect("valid rule set");
    files::parse_contract(CONTRACT_FILE, CONTRACT).expect("valid contract");
    files::parse_template(TEMPLATE_FILE, TEMPLATE).expect("valid template");
    files::parse_holiday_calendar(HOLIDAYS_FILE, HOLIDAYS).expect("valid holiday calendar");
}

#[test]
fn a_toml_syntax_error_names_its_line() {
    let err = rule_set_error(&edit(
        RULE_SET,
        r#"within = "48 hours""#,
        r#"within = "48 hours"#,
    ));
    assert_points_at(&err, RULES_FILE, Some(14), "", "invalid basic string");
}

#[test]
fn an_unknown_request_kind() {
    let err = rule_set_error(&edit(RULE_SET, r#"kind = "initial""#, r#"kind = "intial""#));
    assert_points_at(
        &err,
        RULES_FILE,
        Some(19),
        "deadline[1].kind",
        "unknown request kind `intial`",
    );
    // The whole line, so the format `file:line: field `...`: message` is a visible decision.
    assert_eq!(
        err.to_string(),
        "rules/test.toml:19: field `deadline[1].kind`: unknown request kind `intial` (expected one of: \
         initial, follow-up, urgent, urgent-prior-auth, psychiatry, post-discharge, \
         non-life-threatening-emergency)"
    );
}

#[test]
fn an_unknown_within_unit() {
    let err = rule_set_error(&edit(RULE_SET, "10 business days", "10 fortnights"));
    assert_points_at(
        &err,
        RULES_FILE,
        Some(20),
        "deadline[1].within",
        "unknown unit `fortnights`",
    );
}

#[test]
fn a_deadline_of_zero_days() {
    let err = rule_set_error(&edit(RULE_SET, "10 business days", "0 business days"));
    assert_points_at(
        &err,
        RULES_FILE,
        Some(20),
        "deadline[1].within",
        "a deadline must allow at least 1 hour or 1 day",
    );
}

#[test]
fn a_second_deadline_for_the_same_kind() {
    let err = rule_set_error(&edit(RULE_SET, r#"kind = "initial""#, r#"kind = "urgent""#));
    assert_points_at(
        &err,
        RULES_FILE,
        Some(19),
        "deadline[1].kind",
        "request kind `urgent` has a second deadline",
    );
}

#[test]
fn an_unknown_time_zone() {
    let err = rule_set_error(&edit(RULE_SET, "America/Los_Angeles", "America/Los_Angles"));
    assert_points_at(
        &err,
        RULES_FILE,
        Some(8),
        "calendar.time_zone",
        "unknown time zone `America/Los_Angles`",
    );
}

#[test]
fn an_unknown_holiday_calendar() {
    let err = rule_set_error(&edit(RULE_SET, r#""california-state""#, r#""california""#));
    assert_points_at(
        &err,
        RULES_FILE,
        Some(10),
        "calendar.holidays",
        "unknown holiday calendar `california` (built in: california-state, us-federal, or none)",
    );
}

#[test]
fn a_deadline_without_its_source() {
    let err = rule_set_error(&edit(RULE_SET, "source = \"test: initial\"\n", ""));
    // The line is the `[[deadline]]` header of the table that lacks the field.
    assert_eq!(
        (err.file.as_str(), err.line),
        (RULES_FILE, Some(18)),
        "{err}"
    );
    assert_eq!(err.message, "missing field `source`");
    assert_eq!(err.field, "deadline[1].source");
}

#[test]
fn a_misspelt_field() {
    let err = rule_set_error(&edit(RULE_SET, r#"within = "10"#, r#"withn = "10"#));
    assert_eq!(
        (err.file.as_str(), err.line),
        (RULES_FILE, Some(20)),
        "{err}"
    );
    assert_eq!(
        err.message,
        "unknown field `withn`, expected one of `kind`, `within`, `from`, `source`"
    );
    assert_eq!(err.field, "deadline[1].withn");
}

#[test]
fn a_misspelt_section() {
    let err = rule_set_error(&edit(RULE_SET, "[calendar]", "[calender]"));
    assert_points_at(
        &err,
        RULES_FILE,
        Some(7),
        "calender",
        "unknown field `calender`",
    );
}

#[test]
fn a_compliance_threshold_above_one() {
    let err = rule_set_error(&edit(
        RULE_SET,
        "clinical_exception_source = \"none\"\n",
        "clinical_exception_source = \"none\"\ncompliance_threshold = 1.5\ncompliance_threshold_source = \"test\"\n",
    ));
    assert_points_at(
        &err,
        RULES_FILE,
        Some(6),
        "compliance_threshold",
        "1.5 is not a share above 0 and at most 1 (70% is 0.70)",
    );
}

#[test]
fn contract_hours_must_be_whole_minutes() {
    // 7.25 hours is 435 minutes: fine.
    let contract = files::parse_contract(
        CONTRACT_FILE,
        &edit(CONTRACT, "protected_hours = 5", "protected_hours = 7.25"),
    )
    .expect("7.25 hours is a whole number of minutes");
    assert_eq!(contract.protected_minutes(Fte::FULL_TIME), 435);

    // 0.01 hours is 36 seconds.
    let err = rejected(files::parse_contract(
        CONTRACT_FILE,
        &edit(CONTRACT, "protected_hours = 5", "protected_hours = 0.01"),
    ));
    assert_points_at(
        &err,
        CONTRACT_FILE,
        Some(5),
        "protected_hours",
        "0.01 is not a number of hours from 0 to 168 in whole minutes",
    );
}

#[test]
fn a_template_block_of_an_unknown_kind() {
    let err = template_error(&edit(TEMPLATE, "09:00-12:00 direct", "09:00-12:00 drect"));
    assert_points_at(
        &err,
        TEMPLATE_FILE,
        Some(8),
        "week.mon[1]",
        "unknown block kind `drect`",
    );
}

#[test]
fn a_time_past_midnight() {
    let err = template_error(&edit(TEMPLATE, "12:00-13:00 break", "12:00-25:00 break"));
    assert_points_at(
        &err,
        TEMPLATE_FILE,
        Some(9),
        "week.mon[2]",
        "`25:00` is not a time",
    );
    let err = template_error(&edit(
        TEMPLATE,
        r#"tue = "08:00-18:00""#,
        r#"tue = "08:00-25:00""#,
    ));
    assert_points_at(
        &err,
        TEMPLATE_FILE,
        Some(4),
        "facility.hours.tue",
        "`25:00` is not a time",
    );
}

#[test]
fn a_block_that_ends_before_it_starts() {
    let err = template_error(&edit(TEMPLATE, "12:00-13:00 break", "13:00-12:00 break"));
    assert_points_at(
        &err,
        TEMPLATE_FILE,
        Some(9),
        "week.mon[2]",
        "13:00-12:00: the end must be after the start",
    );
}

#[test]
fn a_weekday_spelt_out() {
    let err = template_error(&edit(TEMPLATE, "mon = [", "monday = ["));
    assert_points_at(
        &err,
        TEMPLATE_FILE,
        Some(6),
        "week.monday",
        "unknown field `monday`, expected one of `mon`, `tue`, `wed`, `thu`, `fri`, `sat`, `sun`",
    );
    let err = template_error(&edit(TEMPLATE, r#"mon = "08:00"#, r#"monday = "08:00"#));
    assert_points_at(
        &err,
        TEMPLATE_FILE,
        Some(4),
        "facility.hours.monday",
        "unknown field `monday`",
    );
}

#[test]
fn a_holiday_the_day_after_an_unknown_holiday() {
    let err = rejected(files::parse_holiday_calendar(
        HOLIDAYS_FILE,
        &edit(
            HOLIDAYS,
            r#"day_after = "Thanksgiving Day""#,
            r#"day_after = "Thanksgiving""#,
        ),
    ));
    assert_points_at(
        &err,
        HOLIDAYS_FILE,
        Some(12),
        "holiday[1].day_after",
        "no holiday named `Thanksgiving` is defined before this one",
    );
}

#[test]
fn a_deadline_of_more_than_a_year_is_refused_not_overflowed() {
    for within in [
        "4294967295 calendar days",
        "4294967295 business days",
        "4294967295 hours",
        "367 calendar days",
        "263 business days",
        "8785 hours",
    ] {
        let err = rule_set_error(&edit(RULE_SET, "10 business days", within));
        assert_points_at(
            &err,
            RULES_FILE,
            Some(20),
            "deadline[1].within",
            "a deadline must be at most a year (8784 hours, 366 calendar days or 262 business days)",
        );
    }
    let year = edit(RULE_SET, "10 business days", "366 calendar days");
    files::parse_rule_set(RULES_FILE, &year).expect("a year is allowed");
}

#[test]
fn a_triage_standard_in_range() {
    let with_triage = |within: &str| {
        RULE_SET.replacen(
            "clinical_exception = false",
            &format!(
                "triage_within = \"{within}\"\ntriage_source = \"test\"\nclinical_exception = false"
            ),
            1,
        )
    };
    files::parse_rule_set(RULES_FILE, &with_triage("30 minutes")).expect("30 minutes");
    for within in [
        "9223372036854775807 hours",
        "9223372036854775807 minutes",
        "2562047788015216 hours",
        "-30 minutes",
        "0 minutes",
        "25 hours",
    ] {
        let err = rule_set_error(&with_triage(within));
        assert_eq!(
            (err.line, err.field.as_str()),
            (Some(4), "triage_within"),
            "{within}: {err}"
        );
    }
}

#[test]
fn contract_slots_that_overflow_the_week_are_refused() {
    let err = rejected(files::parse_contract(
        "contracts/test.toml",
        &edit(
            CONTRACT,
            "urgent_hold_slots = 2",
            "urgent_hold_slots = 4294967295",
        ),
    ));
    assert_points_at(
        &err,
        "contracts/test.toml",
        Some(5),
        "protected_hours",
        "exceed the full-time week",
    );
}

#[test]
fn text_from_the_file_is_escaped_and_cut_in_errors() {
    // Control characters in an unknown key, a value and a value's unit.
    for (from, to) in [
        ("[calendar]", "[calendar]\n\"a\\nb\" = 1"),
        ("[calendar]", "[calendar]\n\"\\u001b[2J\" = 1"),
        (r#"kind = "initial""#, r#"kind = "\u001b[2J""#),
        (r#"within = "48 hours""#, r#"within = "48 \u001b[2J""#),
        (
            r#"time_zone = "America/Los_Angeles""#,
            r#"time_zone = "\u001b]0;x\u0007""#,
        ),
        (r#"holidays = "california-state""#, r#"holidays = "a\nb""#),
    ] {
        let err = rule_set_error(&edit(RULE_SET, from, to)).to_string();
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(!err.chars().any(char::is_control), "{err:?}");
    }
    let long_key = format!("{} = 1\n{RULE_SET}", "k".repeat(1_000_000));
    let err = rule_set_error(&long_key).to_string();
    assert!(err.len() < 1_000, "{} bytes", err.len());
    let long_kind = edit(
        RULE_SET,
        r#"kind = "initial""#,
        &format!(r#"kind = "{}""#, "x".repeat(1_000_000)),
    );
    let err = rule_set_error(&long_kind).to_string();
    assert!(
        err.len() < 1_000 && err.contains("unknown request kind"),
        "{err}"
    );
}

#[test]
fn a_name_is_at_most_64_characters() {
    let long = "a".repeat(65);
    let err = rule_set_error(&edit(
        RULE_SET,
        r#"name = "test-rules""#,
        &format!(r#"name = "{long}""#),
    ));
    assert_points_at(
        &err,
        RULES_FILE,
        Some(1),
        "name",
        "1 to 64 lowercase letters",
    );
}

#[test]
fn a_template_of_more_blocks_than_minutes_in_a_week_is_refused() {
    let blocks = vec![r#""08:00-09:00 direct""#; 10_081].join(", ");
    let text = format!(
        "fte = 1.0\n[facility]\nhours = {{ mon = \"08:00-18:00\" }}\n[week]\nmon = [{blocks}]\n"
    );
    let err = template_error(&text);
    assert_eq!(err.field, "week", "{err}");
    assert!(err.message.contains("a week holds at most 10080"), "{err}");
}
