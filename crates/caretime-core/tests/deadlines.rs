//! Deadlines of the built-in rule sets, by the semantics documented in `caretime_core::rules`.
//!
//! Every expected deadline below was derived by hand from the calendars in `data/calendars/`
//! (weekdays checked against an independent calendar), never copied from the library's output.
//! Each case's comment lists the business days it counts (1, 2, ...) and the days it skips.
//!
//! Reminders that the derivations rely on:
//! - Day 0 is the local date of the anchor in the rule set's zone and never counts.
//! - The deadline is local midnight at the end of the last day, printed as a `Zoned`.
//! - US daylight saving time: 2025 ends Sunday 2025-11-02 (PDT -07:00 → PST -08:00); 2026 starts
//!   Sunday 2026-03-08 (PST -08:00 → PDT -07:00). New York is -04:00 in summer, -05:00 in winter.
//! - California state holidays (`ca-dmhc`) move a Sunday holiday to Monday and only Veterans Day
//!   from Saturday to Friday; federal holidays (`medicaid-438`, `ny-98`, `md-comar`, `ncqa-bh`)
//!   move every Saturday holiday to Friday. Juneteenth and Columbus Day are federal holidays but
//!   not California state holidays; Cesar Chavez Day and the day after Thanksgiving are California
//!   state holidays but not federal ones.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use caretime_core::calendar::BusinessCalendar;
use caretime_core::files::builtin;
use caretime_core::request::RequestKind;
use caretime_core::rules::{
    Anchor, Deadline, DeadlineError, DeadlineQuery, DeadlineRule, RuleSet, RuleSetParts, Within,
};
use caretime_core::slug::Slug;
use jiff::civil::{Date, date};
use jiff::{SignedDuration, Timestamp, ToSpan, Zoned};
use proptest::prelude::*;
use proptest::sample::Index;

static RULE_SETS: LazyLock<Vec<RuleSet>> = LazyLock::new(|| {
    builtin::rule_set_names()
        .map(|name| builtin::rule_set(name).expect("listed names are built in"))
        .collect()
});

fn rule_set(name: &str) -> &'static RuleSet {
    RULE_SETS
        .iter()
        .find(|rule_set| rule_set.name() == name)
        .unwrap_or_else(|| panic!("no built-in rule set `{name}`"))
}

fn instant(zoned: &str) -> Timestamp {
    zoned
        .parse::<Zoned>()
        .unwrap_or_else(|err| panic!("bad fixture time `{zoned}`: {err}"))
        .timestamp()
}

fn day(text: &str) -> Date {
    text.parse()
        .unwrap_or_else(|err| panic!("bad fixture date `{text}`: {err}"))
}

/// The deadline of a request: `requested` and `prior` are `Zoned` strings, `exception` a date.
fn deadline_of(
    rule_set_name: &str,
    kind: &str,
    requested: &str,
    prior: Option<&str>,
    exception: Option<&str>,
) -> Result<Deadline<'static>, DeadlineError> {
    let kind: RequestKind = kind.parse().expect("fixtures use known kind slugs");
    rule_set(rule_set_name).deadline(&DeadlineQuery {
        kind,
        requested: instant(requested),
        prior_appointment: prior.map(instant),
        clinical_exception: exception.map(day),
    })
}

/// Checks the deadline (no clinical exception) against `expected`, a `Zoned` string in the rule
/// set's zone.
fn check(rule_set: &str, kind: &str, requested: &str, prior: Option<&str>, expected: &str) {
    let case = format!("{rule_set} {kind} requested {requested} prior {prior:?}");
    let deadline = deadline_of(rule_set, kind, requested, prior, None)
        .unwrap_or_else(|err| panic!("{case}: {err}"));
    assert_eq!(deadline.instant.to_string(), expected, "{case}");
    assert_eq!(deadline.standard, deadline.instant, "{case}: no exception");
    assert_eq!(deadline.clinical_exception, None, "{case}");
}

// ---------------------------------------------------------------------------------------------
// ca-dmhc

#[test]
fn ca_dmhc_initial_skips_thanksgiving_and_the_day_after() {
    // Tue 2025-11-25 is day 0. 1 Wed 11-26; Thu 11-27 Thanksgiving and Fri 11-28 the day after
    // are state holidays; Sat-Sun 11-29/30; 2 Mon 12-01, 3 12-02, 4 12-03, 5 12-04, 6 Fri 12-05,
    // 7 Mon 12-08, 8 12-09, 9 12-10, 10 Thu 12-11. Midnight ending 12-11, PST.
    check(
        "ca-dmhc",
        "initial",
        "2025-11-25T16:30:00-08:00[America/Los_Angeles]",
        None,
        "2025-12-12T00:00:00-08:00[America/Los_Angeles]",
    );
    let deadline = deadline_of(
        "ca-dmhc",
        "initial",
        "2025-11-25T16:30:00-08:00[America/Los_Angeles]",
        None,
        None,
    )
    .expect("covered");
    assert_eq!(deadline.last_day, Some(date(2025, 12, 11)));
    assert_eq!(deadline.anchor, Anchor::Request);
    // Timely means starting strictly before the deadline instant.
    assert!(deadline.is_met_by(instant("2025-12-11T23:59:00-08:00[America/Los_Angeles]")));
    assert!(!deadline.is_met_by(instant("2025-12-12T00:00:00-08:00[America/Los_Angeles]")));
}

#[test]
fn ca_dmhc_psychiatry_counts_fifteen_business_days() {
    // Same request as the Thanksgiving case: business day 10 is Thu 12-11, then 11 Fri 12-12,
    // 12 Mon 12-15, 13 12-16, 14 12-17, 15 Thu 12-18.
    check(
        "ca-dmhc",
        "psychiatry",
        "2025-11-25T16:30:00-08:00[America/Los_Angeles]",
        None,
        "2025-12-19T00:00:00-08:00[America/Los_Angeles]",
    );
}

#[test]
fn ca_dmhc_business_days_follow_california_observance() {
    // Veterans Day Sat 2023-11-11 is observed Fri 11-10 (Gov. Code § 19853(b)). Day 0 Thu 11-09;
    // Fri 11-10 skipped; 1 Mon 11-13, 2 11-14, 3 11-15, 4 11-16, 5 Fri 11-17, 6 Mon 11-20,
    // 7 11-21, 8 Wed 11-22; Thu 11-23 Thanksgiving, Fri 11-24 day after; 9 Mon 11-27,
    // 10 Tue 11-28.
    check(
        "ca-dmhc",
        "initial",
        "2023-11-09T09:00:00-08:00[America/Los_Angeles]",
        None,
        "2023-11-29T00:00:00-08:00[America/Los_Angeles]",
    );
    // July 4, 2026 is a Saturday; California moves only Veterans Day back to Friday, so Fri 07-03
    // is a business day. Day 0 Thu 07-02; 1 Fri 07-03, 2 Mon 07-06, 3 07-07, 4 07-08, 5 07-09,
    // 6 Fri 07-10, 7 Mon 07-13, 8 07-14, 9 07-15, 10 Thu 07-16. PDT.
    check(
        "ca-dmhc",
        "initial",
        "2026-07-02T14:00:00-07:00[America/Los_Angeles]",
        None,
        "2026-07-17T00:00:00-07:00[America/Los_Angeles]",
    );
    // Columbus Day Mon 2025-10-13 and Juneteenth Thu 2025-06-19 are not state holidays.
    // Day 0 Mon 06-16; 1 06-17, 2 06-18, 3 Thu 06-19, 4 Fri 06-20, 5 Mon 06-23, 6 06-24,
    // 7 06-25, 8 06-26, 9 Fri 06-27, 10 Mon 06-30.
    check(
        "ca-dmhc",
        "initial",
        "2025-06-16T10:00:00-07:00[America/Los_Angeles]",
        None,
        "2025-07-01T00:00:00-07:00[America/Los_Angeles]",
    );
}

#[test]
fn ca_dmhc_day_zero_never_counts_even_on_a_weekend_or_holiday() {
    // Saturday: day 0 Sat 2025-10-04; 1 Mon 10-06, 2 10-07, 3 10-08, 4 10-09, 5 Fri 10-10,
    // 6 Mon 10-13 (Columbus Day is not a state holiday), 7 10-14, 8 10-15, 9 10-16,
    // 10 Fri 10-17. PDT.
    check(
        "ca-dmhc",
        "initial",
        "2025-10-04T11:00:00-07:00[America/Los_Angeles]",
        None,
        "2025-10-18T00:00:00-07:00[America/Los_Angeles]",
    );
    // Cesar Chavez Day: day 0 Mon 2025-03-31 (holiday); 1 Tue 04-01, 2 04-02, 3 04-03,
    // 4 Fri 04-04, 5 Mon 04-07, 6 04-08, 7 04-09, 8 04-10, 9 Fri 04-11, 10 Mon 04-14. PDT
    // (DST began 2025-03-09).
    check(
        "ca-dmhc",
        "initial",
        "2025-03-31T08:00:00-07:00[America/Los_Angeles]",
        None,
        "2025-04-15T00:00:00-07:00[America/Los_Angeles]",
    );
    // Christmas: day 0 Thu 2025-12-25 (holiday); 1 Fri 12-26, 2 Mon 12-29, 3 12-30, 4 Wed 12-31;
    // Thu 2026-01-01 New Year's Day; 5 Fri 01-02, 6 Mon 01-05, 7 01-06, 8 01-07, 9 01-08,
    // 10 Fri 01-09.
    check(
        "ca-dmhc",
        "initial",
        "2025-12-25T12:00:00-08:00[America/Los_Angeles]",
        None,
        "2026-01-10T00:00:00-08:00[America/Los_Angeles]",
    );
}

#[test]
fn ca_dmhc_counts_across_the_year_end() {
    // Day 0 Mon 2025-12-22; 1 12-23, 2 Wed 12-24; Thu 12-25 Christmas; 3 Fri 12-26, 4 Mon 12-29,
    // 5 12-30, 6 Wed 12-31; Thu 2026-01-01 New Year's Day; 7 Fri 01-02, 8 Mon 01-05, 9 01-06,
    // 10 Wed 01-07.
    check(
        "ca-dmhc",
        "initial",
        "2025-12-22T09:15:00-08:00[America/Los_Angeles]",
        None,
        "2026-01-08T00:00:00-08:00[America/Los_Angeles]",
    );
    // Sunday holidays move to Monday: Christmas Sun 2022-12-25 → Mon 12-26, New Year's Day
    // Sun 2023-01-01 → Mon 01-02. Day 0 Fri 2022-12-23; Mon 12-26 skipped; 1 12-27, 2 12-28,
    // 3 12-29, 4 Fri 12-30; Mon 01-02 skipped; 5 01-03, 6 01-04, 7 01-05, 8 Fri 01-06,
    // 9 Mon 01-09, 10 Tue 01-10.
    check(
        "ca-dmhc",
        "initial",
        "2022-12-23T15:00:00-08:00[America/Los_Angeles]",
        None,
        "2023-01-11T00:00:00-08:00[America/Los_Angeles]",
    );
    // Saturday holidays are not moved for the state: New Year's Day 2022 is a Saturday, so
    // Fri 2021-12-31 is a business day. Day 0 Thu 2021-12-30; 1 Fri 12-31, 2 Mon 2022-01-03,
    // 3 01-04, 4 01-05, 5 01-06, 6 Fri 01-07, 7 Mon 01-10, 8 01-11, 9 01-12, 10 Thu 01-13
    // (MLK Day is 01-17).
    check(
        "ca-dmhc",
        "initial",
        "2021-12-30T10:00:00-08:00[America/Los_Angeles]",
        None,
        "2022-01-14T00:00:00-08:00[America/Los_Angeles]",
    );
    // Christmas Sat 2027-12-25 and New Year's Day Sat 2028-01-01 are not moved either.
    // Day 0 Mon 2027-12-20; 1 12-21, 2 12-22, 3 12-23, 4 Fri 12-24, 5 Mon 12-27, 6 12-28,
    // 7 12-29, 8 12-30, 9 Fri 12-31, 10 Mon 2028-01-03.
    check(
        "ca-dmhc",
        "psychiatry",
        "2027-12-20T10:00:00-08:00[America/Los_Angeles]",
        None,
        // Psychiatry is 15 business days: 11 01-04, 12 01-05, 13 01-06, 14 Fri 01-07,
        // 15 Mon 01-10 (MLK Day 2028 is 01-17).
        "2028-01-11T00:00:00-08:00[America/Los_Angeles]",
    );
}

#[test]
fn ca_dmhc_hour_deadlines_are_real_hours_across_dst() {
    // Fall back: 10:00 PDT = 17:00Z on 11-01; + 48 h = 17:00Z on 11-03 = 09:00 PST.
    check(
        "ca-dmhc",
        "urgent",
        "2025-11-01T10:00:00-07:00[America/Los_Angeles]",
        None,
        "2025-11-03T09:00:00-08:00[America/Los_Angeles]",
    );
    // The two 01:30s of 2025-11-02: the first (PDT, 08:30Z) + 48 h = 08:30Z on 11-04 = 00:30 PST;
    // the second (PST, 09:30Z) + 48 h = 01:30 PST.
    check(
        "ca-dmhc",
        "urgent",
        "2025-11-02T01:30:00-07:00[America/Los_Angeles]",
        None,
        "2025-11-04T00:30:00-08:00[America/Los_Angeles]",
    );
    check(
        "ca-dmhc",
        "urgent",
        "2025-11-02T01:30:00-08:00[America/Los_Angeles]",
        None,
        "2025-11-04T01:30:00-08:00[America/Los_Angeles]",
    );
    // Spring forward: 10:00 PST = 18:00Z on 03-07; + 48 h = 18:00Z on 03-09 = 11:00 PDT.
    check(
        "ca-dmhc",
        "urgent",
        "2026-03-07T10:00:00-08:00[America/Los_Angeles]",
        None,
        "2026-03-09T11:00:00-07:00[America/Los_Angeles]",
    );
    // Urgent with prior authorization, 96 h: 12:00 PST Fri 03-06 = 20:00Z; + 96 h = 20:00Z
    // Tue 03-10 = 13:00 PDT. Weekends do not matter for hours.
    check(
        "ca-dmhc",
        "urgent-prior-auth",
        "2026-03-06T12:00:00-08:00[America/Los_Angeles]",
        None,
        "2026-03-10T13:00:00-07:00[America/Los_Angeles]",
    );
    // 96 h over Thanksgiving: Wed 2025-11-26 08:00 PST → Sun 11-30 08:00 PST.
    check(
        "ca-dmhc",
        "urgent-prior-auth",
        "2025-11-26T08:00:00-08:00[America/Los_Angeles]",
        None,
        "2025-11-30T08:00:00-08:00[America/Los_Angeles]",
    );
}

#[test]
fn day_zero_is_the_local_date_in_the_rule_sets_zone() {
    // 01:00 in New York on Wed 2025-11-26 is 22:00 on Tue 11-25 in Los Angeles: day 0 is 11-25,
    // as in the Thanksgiving case, and the deadline is printed in the rule set's zone.
    check(
        "ca-dmhc",
        "initial",
        "2025-11-26T01:00:00-05:00[America/New_York]",
        None,
        "2025-12-12T00:00:00-08:00[America/Los_Angeles]",
    );
    // Conversely 22:30 PST on Tue 11-25 is 01:30 on Wed 11-26 in New York, so under ny-98 day 0
    // is Wed 11-26; Thu 11-27 Thanksgiving (the day after is no federal holiday); 1 Fri 11-28,
    // 2 Mon 12-01, 3 12-02, 4 12-03, 5 12-04, 6 Fri 12-05, 7 Mon 12-08, 8 12-09, 9 12-10,
    // 10 Thu 12-11.
    check(
        "ny-98",
        "initial",
        "2025-11-25T22:30:00-08:00[America/Los_Angeles]",
        None,
        "2025-12-12T00:00:00-05:00[America/New_York]",
    );
}

#[test]
fn follow_up_counts_from_the_prior_appointment() {
    // SB 221: day 0 is the prior appointment's date, Thu 2025-11-20, not the request's (Fri 11-21).
    // 1 Fri 11-21, 2 Mon 11-24, 3 11-25, 4 Wed 11-26; Thu-Fri 11-27/28 holidays; 5 Mon 12-01,
    // 6 12-02, 7 12-03, 8 12-04, 9 Fri 12-05, 10 Mon 12-08.
    let prior = "2025-11-20T15:00:00-08:00[America/Los_Angeles]";
    let requested = "2025-11-21T09:00:00-08:00[America/Los_Angeles]";
    check(
        "ca-dmhc",
        "follow-up",
        requested,
        Some(prior),
        "2025-12-09T00:00:00-08:00[America/Los_Angeles]",
    );
    let deadline =
        deadline_of("ca-dmhc", "follow-up", requested, Some(prior), None).expect("covered");
    assert_eq!(deadline.anchor, Anchor::PriorAppointment);
    assert_eq!(deadline.anchor_instant.timestamp(), instant(prior));
    assert_eq!(deadline.last_day, Some(date(2025, 12, 8)));

    // A prior appointment long before the request gives a deadline already past: day 0
    // Mon 2025-09-01 (Labor Day); 1 Tue 09-02, ..., 4 Fri 09-05, 5 Mon 09-08, ..., 9 Fri 09-12,
    // 10 Mon 09-15. PDT.
    check(
        "ca-dmhc",
        "follow-up",
        "2025-10-20T09:00:00-07:00[America/Los_Angeles]",
        Some("2025-09-01T10:00:00-07:00[America/Los_Angeles]"),
        "2025-09-16T00:00:00-07:00[America/Los_Angeles]",
    );
}

#[test]
fn follow_up_without_prior_appointment_counts_from_the_request() {
    // Day 0 is the request's date, Fri 2025-11-21. 1 Mon 11-24, 2 11-25, 3 Wed 11-26; Thu-Fri
    // 11-27/28 holidays; 4 Mon 12-01, 5 12-02, 6 12-03, 7 12-04, 8 Fri 12-05, 9 Mon 12-08,
    // 10 Tue 12-09.
    let requested = "2025-11-21T09:00:00-08:00[America/Los_Angeles]";
    check(
        "ca-dmhc",
        "follow-up",
        requested,
        None,
        "2025-12-10T00:00:00-08:00[America/Los_Angeles]",
    );
    let deadline = deadline_of("ca-dmhc", "follow-up", requested, None, None).expect("covered");
    assert_eq!(deadline.anchor, Anchor::Request);
    assert_eq!(deadline.anchor_instant.timestamp(), instant(requested));
}

#[test]
fn request_anchored_kinds_ignore_a_prior_appointment() {
    // An initial request counts from the request even when a prior appointment is given: same
    // days as the Thanksgiving case.
    let prior = "2025-11-03T15:00:00-08:00[America/Los_Angeles]";
    let requested = "2025-11-25T16:30:00-08:00[America/Los_Angeles]";
    check(
        "ca-dmhc",
        "initial",
        requested,
        Some(prior),
        "2025-12-12T00:00:00-08:00[America/Los_Angeles]",
    );
    let deadline =
        deadline_of("ca-dmhc", "initial", requested, Some(prior), None).expect("covered");
    assert_eq!(deadline.anchor, Anchor::Request);
}

#[test]
fn clinical_exception_moves_the_deadline_to_the_documented_date() {
    let requested = "2025-11-25T16:30:00-08:00[America/Los_Angeles]";
    // Standard: last day Thu 2025-12-11 (Thanksgiving case). Documented 2026-01-15: the deadline
    // is midnight ending 01-15; the standard stays.
    let deadline =
        deadline_of("ca-dmhc", "initial", requested, None, Some("2026-01-15")).expect("allowed");
    assert_eq!(
        deadline.instant.to_string(),
        "2026-01-16T00:00:00-08:00[America/Los_Angeles]"
    );
    assert_eq!(
        deadline.standard.to_string(),
        "2025-12-12T00:00:00-08:00[America/Los_Angeles]"
    );
    assert_eq!(deadline.last_day, Some(date(2026, 1, 15)));
    assert_eq!(deadline.clinical_exception, Some(date(2026, 1, 15)));

    // Documenting the standard's own last day is not shorter, so it is accepted.
    let deadline =
        deadline_of("ca-dmhc", "initial", requested, None, Some("2025-12-11")).expect("allowed");
    assert_eq!(
        deadline.instant.to_string(),
        "2025-12-12T00:00:00-08:00[America/Los_Angeles]"
    );

    // An hour-based standard: 48 h from 10:00 PDT 2025-11-01 ends 09:00 PST 11-03, so its last
    // day is 11-03; documented Wed 11-05 gives midnight ending 11-05.
    let deadline = deadline_of(
        "ca-dmhc",
        "urgent",
        "2025-11-01T10:00:00-07:00[America/Los_Angeles]",
        None,
        Some("2025-11-05"),
    )
    .expect("allowed");
    assert_eq!(
        deadline.instant.to_string(),
        "2025-11-06T00:00:00-08:00[America/Los_Angeles]"
    );
    assert_eq!(
        deadline.standard.to_string(),
        "2025-11-03T09:00:00-08:00[America/Los_Angeles]"
    );
}

#[test]
fn clinical_exception_before_the_last_day_is_rejected() {
    // Last day Thu 2025-12-11; documented Wed 12-10 would shorten the wait.
    assert_eq!(
        deadline_of(
            "ca-dmhc",
            "initial",
            "2025-11-25T16:30:00-08:00[America/Los_Angeles]",
            None,
            Some("2025-12-10"),
        ),
        Err(DeadlineError::ClinicalExceptionTooEarly {
            documented: date(2025, 12, 10),
            last_day: date(2025, 12, 11),
        })
    );
    // Hours: the 48-hour standard ends on 2025-11-03; documenting 11-02 is too early.
    assert_eq!(
        deadline_of(
            "ca-dmhc",
            "urgent",
            "2025-11-01T10:00:00-07:00[America/Los_Angeles]",
            None,
            Some("2025-11-02"),
        ),
        Err(DeadlineError::ClinicalExceptionTooEarly {
            documented: date(2025, 11, 2),
            last_day: date(2025, 11, 3),
        })
    );
}

#[test]
fn clinical_exception_is_rejected_where_the_rule_set_allows_none() {
    for (rule_set, kind) in [
        ("medicaid-438", "initial"),
        ("ny-98", "post-discharge"),
        ("md-comar", "urgent"),
        ("ncqa-bh", "psychiatry"),
    ] {
        assert_eq!(
            deadline_of(
                rule_set,
                kind,
                "2025-11-25T16:30:00-08:00[America/Los_Angeles]",
                None,
                Some("2026-02-01"),
            ),
            Err(DeadlineError::ClinicalExceptionNotAllowed(
                rule_set.to_owned()
            )),
            "{rule_set} {kind}"
        );
    }
}

#[test]
fn a_kind_the_rule_set_does_not_cover_is_an_error() {
    let requested = "2025-11-25T16:30:00-08:00[America/Los_Angeles]";
    assert_eq!(
        deadline_of("ca-dmhc", "post-discharge", requested, None, None),
        Err(DeadlineError::KindNotCovered {
            rule_set: "ca-dmhc".to_owned(),
            kind: RequestKind::PostDischarge,
            covered: "urgent, urgent-prior-auth, initial, psychiatry, follow-up".to_owned(),
        })
    );
    for (rule_set, kind) in [
        ("ca-dmhc", "non-life-threatening-emergency"),
        ("medicaid-438", "urgent"),
        ("medicaid-438", "follow-up"),
        ("ny-98", "urgent"),
        ("md-comar", "post-discharge"),
        ("ncqa-bh", "follow-up"),
    ] {
        assert!(
            matches!(
                deadline_of(rule_set, kind, requested, None, None),
                Err(DeadlineError::KindNotCovered { .. })
            ),
            "{rule_set} {kind}"
        );
    }
}

#[test]
fn the_tables_here_cover_every_kind_of_every_built_in_rule_set() {
    // If a rule set gains a kind or a file is added, this fails until the tables cover it.
    let expected: [(&str, &[&str]); 5] = [
        (
            "ca-dmhc",
            &[
                "urgent",
                "urgent-prior-auth",
                "initial",
                "psychiatry",
                "follow-up",
            ],
        ),
        ("medicaid-438", &["initial", "psychiatry"]),
        ("ny-98", &["initial", "psychiatry", "post-discharge"]),
        (
            "md-comar",
            &["urgent", "urgent-prior-auth", "initial", "psychiatry"],
        ),
        (
            "ncqa-bh",
            &[
                "non-life-threatening-emergency",
                "urgent",
                "urgent-prior-auth",
                "initial",
                "psychiatry",
                "post-discharge",
            ],
        ),
    ];
    let names: Vec<&str> = builtin::rule_set_names().collect();
    assert_eq!(names, expected.map(|(name, _)| name));
    for (name, kinds) in expected {
        let covered: Vec<&str> = rule_set(name)
            .deadlines()
            .iter()
            .map(|rule| rule.kind.slug())
            .collect();
        assert_eq!(covered, kinds, "{name}");
    }
}

// ---------------------------------------------------------------------------------------------
// medicaid-438: 10 business days, America/Los_Angeles, federal holidays

#[test]
fn medicaid_438_skips_federal_holidays() {
    // Juneteenth Thu 2025-06-19. Day 0 Mon 06-16; 1 06-17, 2 06-18; 06-19 skipped; 3 Fri 06-20,
    // 4 Mon 06-23, 5 06-24, 6 06-25, 7 06-26, 8 Fri 06-27, 9 Mon 06-30, 10 Tue 07-01
    // (California counts Juneteenth and ends Mon 06-30, see the ca-dmhc case).
    check(
        "medicaid-438",
        "initial",
        "2025-06-16T10:00:00-07:00[America/Los_Angeles]",
        None,
        "2025-07-02T00:00:00-07:00[America/Los_Angeles]",
    );
    // Columbus Day Mon 2025-10-13. Day 0 Sat 10-04; 1 Mon 10-06, ..., 5 Fri 10-10; 10-13
    // skipped; 6 Tue 10-14, 7 10-15, 8 10-16, 9 Fri 10-17, 10 Mon 10-20 (California: Fri 10-17).
    check(
        "medicaid-438",
        "psychiatry",
        "2025-10-04T11:00:00-07:00[America/Los_Angeles]",
        None,
        "2025-10-21T00:00:00-07:00[America/Los_Angeles]",
    );
    // Saturday holidays are observed on Friday: Christmas Sat 2027-12-25 on Fri 12-24 and New
    // Year's Day Sat 2028-01-01 on Fri 2027-12-31. Day 0 Mon 2027-12-20; 1 12-21, 2 12-22,
    // 3 Thu 12-23; 12-24 skipped; 4 Mon 12-27, 5 12-28, 6 12-29, 7 Thu 12-30; 12-31 skipped;
    // 8 Mon 2028-01-03, 9 01-04, 10 Wed 01-05.
    check(
        "medicaid-438",
        "initial",
        "2027-12-20T10:00:00-08:00[America/Los_Angeles]",
        None,
        "2028-01-06T00:00:00-08:00[America/Los_Angeles]",
    );
    // New Year's Day Sat 2022-01-01 observed Fri 2021-12-31, in the year before. Day 0
    // Thu 2021-12-30; 12-31 skipped; 1 Mon 2022-01-03, 2 01-04, 3 01-05, 4 01-06, 5 Fri 01-07,
    // 6 Mon 01-10, 7 01-11, 8 01-12, 9 01-13, 10 Fri 01-14.
    check(
        "medicaid-438",
        "initial",
        "2021-12-30T10:00:00-08:00[America/Los_Angeles]",
        None,
        "2022-01-15T00:00:00-08:00[America/Los_Angeles]",
    );
}

// ---------------------------------------------------------------------------------------------
// ny-98: 10 business days or 7 calendar days, America/New_York, federal holidays

#[test]
fn ny_98_deadlines() {
    // Thanksgiving Thu 2025-11-27 only (the day after is no federal holiday). Day 0 Tue 11-25;
    // 1 Wed 11-26; 11-27 skipped; 2 Fri 11-28, 3 Mon 12-01, 4 12-02, 5 12-03, 6 12-04,
    // 7 Fri 12-05, 8 Mon 12-08, 9 12-09, 10 Wed 12-10.
    check(
        "ny-98",
        "initial",
        "2025-11-25T10:00:00-05:00[America/New_York]",
        None,
        "2025-12-11T00:00:00-05:00[America/New_York]",
    );
    // Columbus Day Mon 2025-10-13. Day 0 Fri 10-10; 10-13 skipped; 1 Tue 10-14, 2 10-15,
    // 3 10-16, 4 Fri 10-17, 5 Mon 10-20, 6 10-21, 7 10-22, 8 10-23, 9 Fri 10-24, 10 Mon 10-27.
    // EDT.
    check(
        "ny-98",
        "psychiatry",
        "2025-10-10T16:00:00-04:00[America/New_York]",
        None,
        "2025-10-28T00:00:00-04:00[America/New_York]",
    );
    // Post-discharge, 7 calendar days: day 0 Thu 2025-10-30; 1 10-31, 2 11-01, 3 11-02, 4 11-03,
    // 5 11-04, 6 11-05, 7 Thu 11-06. Weekends count; DST ended 11-02, so the offset is EST.
    check(
        "ny-98",
        "post-discharge",
        "2025-10-30T18:00:00-04:00[America/New_York]",
        None,
        "2025-11-07T00:00:00-05:00[America/New_York]",
    );
    // Post-discharge over Thanksgiving and a weekend: day 0 Wed 2025-11-26; 7 days later is
    // Wed 12-03, holidays and weekend included.
    check(
        "ny-98",
        "post-discharge",
        "2025-11-26T23:30:00-05:00[America/New_York]",
        None,
        "2025-12-04T00:00:00-05:00[America/New_York]",
    );
}

// ---------------------------------------------------------------------------------------------
// md-comar: 72 hours or 10 calendar days, America/New_York

#[test]
fn md_comar_deadlines() {
    // Urgent, 72 h across the spring-forward change of 2026-03-08: 15:00 EST Fri 03-06 = 20:00Z;
    // + 72 h = 20:00Z Mon 03-09 = 16:00 EDT.
    check(
        "md-comar",
        "urgent",
        "2026-03-06T15:00:00-05:00[America/New_York]",
        None,
        "2026-03-09T16:00:00-04:00[America/New_York]",
    );
    // Urgent with prior authorization is also 72 h; Christmas does not matter.
    check(
        "md-comar",
        "urgent-prior-auth",
        "2025-12-24T09:00:00-05:00[America/New_York]",
        None,
        "2025-12-27T09:00:00-05:00[America/New_York]",
    );
    // Initial, 10 calendar days ignoring weekends and Thanksgiving: day 0 Tue 2025-11-25;
    // 11-25 + 10 = Fri 12-05.
    check(
        "md-comar",
        "initial",
        "2025-11-25T10:00:00-05:00[America/New_York]",
        None,
        "2025-12-06T00:00:00-05:00[America/New_York]",
    );
    // Psychiatry, 10 calendar days from a Saturday across the year end: day 0 Sat 2025-12-27;
    // 12-28 .. 12-31 are 1-4, 2026-01-01 .. 01-06 are 5-10: last day Tue 01-06.
    check(
        "md-comar",
        "psychiatry",
        "2025-12-27T12:00:00-05:00[America/New_York]",
        None,
        "2026-01-07T00:00:00-05:00[America/New_York]",
    );
    // Calendar days across the fall-back change: day 0 Sat 2025-10-25; + 10 = Tue 11-04, EST.
    check(
        "md-comar",
        "initial",
        "2025-10-25T09:00:00-04:00[America/New_York]",
        None,
        "2025-11-05T00:00:00-05:00[America/New_York]",
    );
}

// ---------------------------------------------------------------------------------------------
// ncqa-bh: hours, 10 business days or 7 calendar days, America/Los_Angeles, federal holidays

#[test]
fn ncqa_bh_deadlines() {
    // Non-life-threatening emergency, 6 h: 00:30 PDT on 2025-11-02 = 07:30Z; + 6 h = 13:30Z =
    // 05:30 PST (the wall clock moves 5 hours).
    check(
        "ncqa-bh",
        "non-life-threatening-emergency",
        "2025-11-02T00:30:00-07:00[America/Los_Angeles]",
        None,
        "2025-11-02T05:30:00-08:00[America/Los_Angeles]",
    );
    // 6 h across midnight on a holiday: 22:00 PDT Fri 2025-07-04 → 04:00 Sat 07-05.
    check(
        "ncqa-bh",
        "non-life-threatening-emergency",
        "2025-07-04T22:00:00-07:00[America/Los_Angeles]",
        None,
        "2025-07-05T04:00:00-07:00[America/Los_Angeles]",
    );
    // Urgent, 48 h across the year end: 12:00 PST 2025-12-31 → 12:00 PST 2026-01-02.
    check(
        "ncqa-bh",
        "urgent",
        "2025-12-31T12:00:00-08:00[America/Los_Angeles]",
        None,
        "2026-01-02T12:00:00-08:00[America/Los_Angeles]",
    );
    // Urgent with prior authorization, 48 h, from just before the spring-forward gap:
    // 01:30 PST 2026-03-08 = 09:30Z; + 48 h = 09:30Z 03-10 = 02:30 PDT.
    check(
        "ncqa-bh",
        "urgent-prior-auth",
        "2026-03-08T01:30:00-08:00[America/Los_Angeles]",
        None,
        "2026-03-10T02:30:00-07:00[America/Los_Angeles]",
    );
    // Initial: Veterans Day Tue 2025-11-11. Day 0 Fri 11-07; 1 Mon 11-10; 11-11 skipped;
    // 2 Wed 11-12, 3 11-13, 4 Fri 11-14, 5 Mon 11-17, 6 11-18, 7 11-19, 8 11-20, 9 Fri 11-21,
    // 10 Mon 11-24.
    check(
        "ncqa-bh",
        "initial",
        "2025-11-07T11:00:00-08:00[America/Los_Angeles]",
        None,
        "2025-11-25T00:00:00-08:00[America/Los_Angeles]",
    );
    // Psychiatry: MLK Day Mon 2026-01-19. Day 0 Wed 01-14; 1 Thu 01-15, 2 Fri 01-16; 01-19
    // skipped; 3 Tue 01-20, 4 01-21, 5 01-22, 6 Fri 01-23, 7 Mon 01-26, 8 01-27, 9 01-28,
    // 10 Thu 01-29.
    check(
        "ncqa-bh",
        "psychiatry",
        "2026-01-14T13:00:00-08:00[America/Los_Angeles]",
        None,
        "2026-01-30T00:00:00-08:00[America/Los_Angeles]",
    );
    // Post-discharge, 7 calendar days across a leap day: day 0 Fri 2028-02-25; 02-26, 02-27,
    // 02-28, 02-29, 03-01, 03-02, 03-03 are 1-7: last day Fri 03-03.
    check(
        "ncqa-bh",
        "post-discharge",
        "2028-02-25T10:00:00-08:00[America/Los_Angeles]",
        None,
        "2028-03-04T00:00:00-08:00[America/Los_Angeles]",
    );
}

// ---------------------------------------------------------------------------------------------
// The calendars against hand-made lists

/// Observed California state holidays that fall on weekdays, 2024-2027 (Gov. Code § 19853).
const CALIFORNIA_HOLIDAYS_2024_2027: [(i16, i8, i8); 42] = [
    // 2024: Cesar Chavez Day Sun 03-31 observed Mon 04-01.
    (2024, 1, 1),
    (2024, 1, 15),
    (2024, 2, 19),
    (2024, 4, 1),
    (2024, 5, 27),
    (2024, 7, 4),
    (2024, 9, 2),
    (2024, 11, 11),
    (2024, 11, 28),
    (2024, 11, 29),
    (2024, 12, 25),
    // 2025
    (2025, 1, 1),
    (2025, 1, 20),
    (2025, 2, 17),
    (2025, 3, 31),
    (2025, 5, 26),
    (2025, 7, 4),
    (2025, 9, 1),
    (2025, 11, 11),
    (2025, 11, 27),
    (2025, 11, 28),
    (2025, 12, 25),
    // 2026: July 4 is a Saturday and is not moved.
    (2026, 1, 1),
    (2026, 1, 19),
    (2026, 2, 16),
    (2026, 3, 31),
    (2026, 5, 25),
    (2026, 9, 7),
    (2026, 11, 11),
    (2026, 11, 26),
    (2026, 11, 27),
    (2026, 12, 25),
    // 2027: July 4 Sun observed Mon 07-05; Christmas is a Saturday and is not moved.
    (2027, 1, 1),
    (2027, 1, 18),
    (2027, 2, 15),
    (2027, 3, 31),
    (2027, 5, 31),
    (2027, 7, 5),
    (2027, 9, 6),
    (2027, 11, 11),
    (2027, 11, 25),
    (2027, 11, 26),
];

/// Observed federal holidays, 2024-2027 (5 U.S.C. § 6103).
const FEDERAL_HOLIDAYS_2024_2027: [(i16, i8, i8); 45] = [
    (2024, 1, 1),
    (2024, 1, 15),
    (2024, 2, 19),
    (2024, 5, 27),
    (2024, 6, 19),
    (2024, 7, 4),
    (2024, 9, 2),
    (2024, 10, 14),
    (2024, 11, 11),
    (2024, 11, 28),
    (2024, 12, 25),
    (2025, 1, 1),
    (2025, 1, 20),
    (2025, 2, 17),
    (2025, 5, 26),
    (2025, 6, 19),
    (2025, 7, 4),
    (2025, 9, 1),
    (2025, 10, 13),
    (2025, 11, 11),
    (2025, 11, 27),
    (2025, 12, 25),
    // 2026: July 4 Sat observed Fri 07-03.
    (2026, 1, 1),
    (2026, 1, 19),
    (2026, 2, 16),
    (2026, 5, 25),
    (2026, 6, 19),
    (2026, 7, 3),
    (2026, 9, 7),
    (2026, 10, 12),
    (2026, 11, 11),
    (2026, 11, 26),
    (2026, 12, 25),
    // 2027: Juneteenth Sat observed Fri 06-18, July 4 Sun observed Mon 07-05, Christmas Sat
    // observed Fri 12-24, New Year's Day 2028 Sat observed Fri 12-31.
    (2027, 1, 1),
    (2027, 1, 18),
    (2027, 2, 15),
    (2027, 5, 31),
    (2027, 6, 18),
    (2027, 7, 5),
    (2027, 9, 6),
    (2027, 10, 11),
    (2027, 11, 11),
    (2027, 11, 25),
    (2027, 12, 24),
    (2027, 12, 31),
];

/// A naive business-day oracle: Monday to Friday, less a hand-made list of holidays.
struct Oracle(BTreeSet<Date>);

impl Oracle {
    fn new(holidays: &[(i16, i8, i8)]) -> Oracle {
        Oracle(holidays.iter().map(|&(y, m, d)| date(y, m, d)).collect())
    }

    fn is_business_day(&self, day: Date) -> bool {
        day.weekday().to_monday_one_offset() <= 5 && !self.0.contains(&day)
    }

    fn nth_business_day_after(&self, day0: Date, n: u32) -> Date {
        let mut day = day0;
        let mut counted = 0;
        while counted < n {
            day = day.tomorrow().expect("fixtures stay in 2024-2027");
            if self.is_business_day(day) {
                counted += 1;
            }
        }
        day
    }
}

/// The built-in calendars and their oracles: ca-dmhc counts California state holidays,
/// medicaid-438 federal ones.
fn calendars_and_oracles() -> [(&'static BusinessCalendar, Oracle); 2] {
    [
        (
            rule_set("ca-dmhc").calendar(),
            Oracle::new(&CALIFORNIA_HOLIDAYS_2024_2027),
        ),
        (
            rule_set("medicaid-438").calendar(),
            Oracle::new(&FEDERAL_HOLIDAYS_2024_2027),
        ),
    ]
}

#[test]
fn business_days_2024_to_2027_match_the_hand_made_lists() {
    for (calendar, oracle) in calendars_and_oracles() {
        let mut day = date(2024, 1, 1);
        while day <= date(2027, 12, 31) {
            assert_eq!(
                calendar.is_business_day(day),
                oracle.is_business_day(day),
                "{} on {day} ({:?})",
                calendar.holidays().name(),
                day.weekday()
            );
            day = day.tomorrow().expect("in range");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Properties

/// Request instants from 2020 through 2035, in whole seconds.
fn request_seconds() -> std::ops::Range<i64> {
    let first: Timestamp = "2020-01-01T00:00:00Z".parse().expect("valid");
    let end: Timestamp = "2036-01-01T00:00:00Z".parse().expect("valid");
    first.as_second()..end.as_second()
}

/// One built-in rule set's zone and calendar with a single request-anchored `within` rule.
fn single_rule(base: &RuleSet, within: Within) -> RuleSet {
    RuleSet::new(RuleSetParts {
        name: format!("{}-test", base.name()).into(),
        title: "test".to_owned(),
        source: "test".to_owned(),
        time_zone: base.time_zone().clone(),
        calendar: base.calendar().clone(),
        deadlines: vec![DeadlineRule {
            kind: RequestKind::Initial,
            within,
            from: Anchor::Request,
            source: "test".into(),
        }],
        clinical_exception: base.clinical_exception().clone(),
        compliance_threshold: None,
        triage: None,
    })
    .expect("one non-zero rule in a named zone")
}

fn any_within() -> impl Strategy<Value = Within> {
    prop_oneof![
        (1..=400u32).prop_map(Within::Hours),
        (1..=40u32).prop_map(Within::BusinessDays),
        (1..=60u32).prop_map(Within::CalendarDays),
    ]
}

fn query(kind: RequestKind, requested: Timestamp) -> DeadlineQuery {
    DeadlineQuery {
        kind,
        requested,
        prior_appointment: None,
        clinical_exception: None,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Every request-anchored deadline of every built-in rule set is after the request.
    #[test]
    fn a_deadline_never_precedes_its_request(
        rule_set_idx in any::<Index>(),
        rule_idx in any::<Index>(),
        second in request_seconds(),
    ) {
        let rule_set = rule_set_idx.get(&RULE_SETS);
        let rule = rule_idx.get(rule_set.deadlines());
        let requested = Timestamp::from_second(second).expect("in range");
        let deadline = rule_set.deadline(&query(rule.kind, requested)).expect("covered kind");
        prop_assert_eq!(deadline.anchor, Anchor::Request);
        prop_assert!(
            deadline.instant.timestamp() > requested,
            "{} {}: {} is not after {}", rule_set.name(), rule.kind, deadline.instant, requested
        );
    }

    /// The semantics of each unit, for random N, in each built-in rule set's zone and calendar.
    #[test]
    fn deadlines_follow_the_documented_semantics(
        rule_set_idx in any::<Index>(),
        within in any_within(),
        second in request_seconds(),
    ) {
        let base = rule_set_idx.get(&RULE_SETS);
        let rule_set = single_rule(base, within);
        let requested = Timestamp::from_second(second).expect("in range");
        let deadline = rule_set.deadline(&query(RequestKind::Initial, requested)).expect("covered");
        let zone = rule_set.time_zone();
        let day0 = requested.to_zoned(zone.clone()).date();
        prop_assert!(deadline.instant.timestamp() > requested);
        prop_assert_eq!(deadline.instant.time_zone(), zone);
        match within {
            Within::Hours(n) => {
                prop_assert_eq!(
                    deadline.instant.timestamp(),
                    requested + SignedDuration::from_hours(i64::from(n))
                );
                prop_assert_eq!(deadline.last_day, None);
            }
            Within::BusinessDays(n) => {
                let last = deadline.last_day.expect("day-based rule");
                let calendar = rule_set.calendar();
                prop_assert!(calendar.is_business_day(last), "{last} is not a business day");
                prop_assert_eq!(calendar.business_days_between(day0, last), n);
                prop_assert_eq!(
                    &deadline.instant,
                    &last.tomorrow().expect("in range").to_zoned(zone.clone()).expect("in range")
                );
            }
            Within::CalendarDays(n) => {
                let last = deadline.last_day.expect("day-based rule");
                prop_assert_eq!(last, day0 + i64::from(n).days());
                prop_assert_eq!(
                    &deadline.instant,
                    &last.tomorrow().expect("in range").to_zoned(zone.clone()).expect("in range")
                );
            }
        }
    }

    /// Closing a day never makes a deadline earlier; closing a business day between day 0 and the
    /// last day pushes the last day to the next business day, and any other closure changes
    /// nothing.
    #[test]
    fn a_closure_never_moves_a_deadline_earlier(
        rule_set_idx in any::<Index>(),
        rule_idx in any::<Index>(),
        second in request_seconds(),
        closure_offset in -5i64..45,
    ) {
        let rule_set = rule_set_idx.get(&RULE_SETS);
        let rule = rule_idx.get(rule_set.deadlines());
        let requested = Timestamp::from_second(second).expect("in range");
        let day0 = requested.to_zoned(rule_set.time_zone().clone()).date();
        let closure = day0 + closure_offset.days();
        let closed = rule_set.with_calendar(rule_set.calendar().clone().with_closure(closure));
        let query = query(rule.kind, requested);
        let open = rule_set.deadline(&query).expect("covered");
        let shut = closed.deadline(&query).expect("covered");
        prop_assert!(shut.instant.timestamp() >= open.instant.timestamp());
        match (rule.within, open.last_day) {
            (Within::BusinessDays(_), Some(last))
                if closure > day0 && closure <= last && rule_set.calendar().is_business_day(closure) =>
            {
                let next = rule_set.calendar().nth_business_day_after(last, 1).expect("in range");
                prop_assert_eq!(shut.last_day, Some(next));
            }
            _ => prop_assert_eq!(&shut.instant, &open.instant),
        }
    }

    /// `nth_business_day_after` agrees with the naive oracle on hand-listed holidays.
    #[test]
    fn nth_business_day_after_matches_the_oracle(
        offset in 0i64..(365 * 3 + 270),
        n in 0u32..=40,
    ) {
        // Day 0 from 2024-01-01 to 2027-09-26; 40 business days later is still in 2027.
        let day0 = date(2024, 1, 1) + offset.days();
        for (calendar, oracle) in calendars_and_oracles() {
            prop_assert_eq!(
                calendar.nth_business_day_after(day0, n).expect("in range"),
                oracle.nth_business_day_after(day0, n),
                "{} from {} n={}", calendar.holidays().name(), day0, n
            );
        }
    }
}
