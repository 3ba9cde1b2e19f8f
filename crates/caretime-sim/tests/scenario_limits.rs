//! Scenario values the model cannot run are refused when the file is read, with the field named:
//! counts that wrap, shares that never end, staffing that grows with the square of the region,
//! dates past the calendar's end.

use caretime_sim::scenario::{BUILTIN, parse_scenario};

const SOCAL: &str = BUILTIN[0].1;

/// The built-in socal-2024 scenario with one line replaced.
fn with(from: &str, to: &str) -> String {
    assert_eq!(SOCAL.matches(from).count(), 1, "`{from}` must occur once");
    SOCAL.replacen(from, to, 1)
}

/// Reading the edited scenario fails on `field`, in one line without control characters.
fn refused(text: &str, field: &str) -> String {
    let err = parse_scenario("s.toml", text).expect_err(field);
    let shown = err.to_string();
    assert_eq!(err.field, field, "{shown}");
    assert_eq!(shown.lines().count(), 1, "{shown}");
    assert!(!shown.chars().any(char::is_control), "{shown:?}");
    shown
}

#[test]
fn months_and_warm_up_cannot_wrap_past_their_limit() {
    let text = with("months = 12", "months = 4294967295").replacen(
        "warm-up-months = 6",
        "warm-up-months = 1",
        1,
    );
    refused(&text, "simulation.months");
    let text = with("months = 12", "months = 4294967290").replacen(
        "warm-up-months = 6",
        "warm-up-months = 10",
        1,
    );
    refused(&text, "simulation.months");
}

#[test]
fn a_run_past_the_last_date_is_refused() {
    let shown = refused(
        &with(r#"start = "2023-07-01""#, r#"start = "9999-01-01""#),
        "simulation.start",
    );
    assert!(shown.contains("9999-12-31"), "{shown}");
    refused(
        &with(r#"start = "2023-07-01""#, r#"start = "+002023-07-01""#),
        "simulation.start",
    );
}

#[test]
fn shares_that_never_end_are_refused() {
    for share in ["1.0", "0.95"] {
        refused(
            &with(
                "member-cancellation = 0.08",
                &format!("member-cancellation = {share}"),
            ),
            "attendance.member-cancellation",
        );
    }
    parse_scenario(
        "s.toml",
        &with("member-cancellation = 0.08", "member-cancellation = 0.9"),
    )
    .expect("0.9 books each request ten times on average, and ends");
}

#[test]
fn regions_beyond_what_memory_holds_are_refused() {
    for (from, to) in [
        ("members-per-therapist = 3000", "members-per-therapist = 1"),
        ("members-per-therapist = 3000", "members-per-therapist = 99"),
        ("members = 4800000", "members = 18446744073709551615"),
        ("members = 4800000", "members = 10000001"),
        (
            "network-providers = 13000",
            "network-providers = 2000000000",
        ),
    ] {
        refused(&with(from, to), "region");
    }
    parse_scenario(
        "s.toml",
        &with(
            "members-per-therapist = 3000",
            "members-per-therapist = 100",
        ),
    )
    .expect("100 members per therapist is the fewest allowed");
}

#[test]
fn counts_the_model_loops_over_are_bounded() {
    refused(
        &with("weekly-sessions = 0", "weekly-sessions = 4294967295"),
        "episodes.weekly-sessions",
    );
    refused(
        &with(
            "annual-cost-per-fte = 185000",
            "annual-cost-per-fte = 1e308",
        ),
        "wages.annual-cost-per-fte",
    );
}

#[test]
fn names_from_the_file_are_escaped() {
    let shown = refused(
        &with(r#"rule-set = "ca-dmhc""#, r#"rule-set = "\u001b[2J""#),
        "rule-set",
    );
    assert!(shown.contains(r"\u{1b}[2J"), "{shown}");
    refused(
        &with(r#"preset = "socal""#, r#"preset = "a\nb""#),
        "region.preset",
    );
}

#[test]
fn clinic_policies_out_of_range_are_refused_by_name() {
    let shown = refused(
        &with(
            "follow-ups = \"treating-clinician\"",
            "follow-ups = \"whoever\"",
        ),
        "clinic.follow-ups",
    );
    assert!(shown.contains("treating-clinician"), "{shown}");
    let shown = refused(
        &with("overbook = \"expected-no-shows\"", "overbook = \"always\""),
        "clinic.overbook",
    );
    assert!(shown.contains("expected-no-shows"), "{shown}");
    refused(
        &with("intake-reserve-share = 0.16", "intake-reserve-share = 1.5"),
        "clinic.intake-reserve-share",
    );
    refused(
        &with("network-acceptance = 0.8", "network-acceptance = -0.1"),
        "clinic.network-acceptance",
    );
    refused(&with("referral-days = 5", "referral-days = 400"), "clinic");
    refused(
        &with("referral-days = 5", "referral-days = 5\ncaseload-cap = 0"),
        "clinic.caseload-cap",
    );
    refused(
        &with(
            "attend-odds-per-week-beyond = 0.95",
            "attend-odds-per-week-beyond = 1.2",
        ),
        "attendance.attend-odds-per-week-beyond",
    );
    refused(
        &with(
            "discharge-after-missed-in-a-row = 2",
            "discharge-after-missed-in-a-row = 1000",
        ),
        "attendance.discharge-after-missed-in-a-row",
    );
}
