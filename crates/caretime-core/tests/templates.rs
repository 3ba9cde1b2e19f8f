//! Clinicians' weekly templates checked against the built-in contracts.
//!
//! Every template here is a template file's text, parsed by `files::parse_template` and checked by
//! `template::check_template`, so the suite exercises what a user's file goes through. The contracts'
//! protected hours are written out below, as the settlements and proposals were reported, so the
//! tests do not take the library's word for what a contract owes.

use caretime_core::files::{self, builtin};
use caretime_core::region::Fte;
use caretime_core::template::{self, BlockKind, TemplateCheck, TemplateViolation};

/// Protected minutes per full-time 40-hour week of each built-in contract (the reports cited in
/// each contract file): socal-2025 5 h, employer-2024 6 h, union-2024 7 h,
/// norcal-2022 7.5 h.
const PROTECTED_PER_FULL_TIME_WEEK: [(&str, u32); 4] = [
    ("socal-2025", 5 * 60),
    ("employer-2024", 6 * 60),
    ("union-2024", 7 * 60),
    ("norcal-2022", 7 * 60 + 30),
];

/// A facility open 08:00-18:00 Monday to Friday and closed at weekends.
const WEEKDAYS_8_TO_18: &str = r#"{ mon = "08:00-18:00", tue = "08:00-18:00", wed = "08:00-18:00", thu = "08:00-18:00", fri = "08:00-18:00" }"#;

const WEEKDAYS: [&str; 5] = ["mon", "tue", "wed", "thu", "fri"];

/// The text of a template file: the FTE, the facility's opening hours (an inline table) and each
/// listed day's blocks (`"08:00-09:00 protected"`).
fn template_text<S: AsRef<str>>(fte: &str, hours: &str, week: &[(&str, Vec<S>)]) -> String {
    let mut text =
        format!("fte = {fte}\n\n[facility]\nname = \"Test clinic\"\nhours = {hours}\n\n[week]\n");
    for (day, blocks) in week {
        let quoted: Vec<String> = blocks
            .iter()
            .map(|block| format!("\"{}\"", block.as_ref()))
            .collect();
        text.push_str(&format!("{day} = [{}]\n", quoted.join(", ")));
    }
    text
}

/// Parses a template file's text and checks it against a built-in contract and the file's
/// facility hours.
fn check(contract: &str, text: &str) -> TemplateCheck {
    let document = files::parse_template("test-template.toml", text)
        .unwrap_or_else(|err| panic!("fixture should parse: {err}\n{text}"));
    let contract = builtin::contract(contract).expect("a built-in contract");
    template::check_template(&document.template, &contract, &document.hours)
}

/// Minutes a week of `kind` in a checked template.
fn minutes(check: &TemplateCheck, kind: BlockKind) -> u32 {
    check
        .minutes_by_kind
        .iter()
        .find(|(k, _)| *k == kind)
        .map(|(_, minutes)| *minutes)
        .expect("every kind is listed")
}

fn paid_minutes(check: &TemplateCheck) -> u32 {
    BlockKind::ALL
        .into_iter()
        .filter(|kind| kind.is_paid())
        .map(|kind| minutes(check, kind))
        .sum()
}

fn codes(check: &TemplateCheck) -> Vec<&'static str> {
    check
        .violations
        .iter()
        .map(TemplateViolation::code)
        .collect()
}

/// The shape of a week apart from its protected time, Monday to Friday.
struct Shape {
    fte: &'static str,
    /// Each day's working periods (minutes after midnight); the gaps between them are unpaid breaks.
    periods: &'static [(u32, u32)],
    /// The blocks that close each day, as (minutes, kind).
    day_ends: [&'static [(u32, &'static str)]; 5],
}

/// 1.0 FTE: 08:00-17:00 with a 12:00-13:00 lunch break, 40 paid hours; 2.5 meeting hours and two
/// urgent-hold hours a week.
const FULL_TIME: Shape = Shape {
    fte: "1.0",
    periods: &[(8 * 60, 12 * 60), (13 * 60, 17 * 60)],
    day_ends: [
        &[(60, "urgent-hold")],
        &[(90, "meeting")],
        &[(60, "urgent-hold")],
        &[(60, "meeting")],
        &[],
    ],
};

/// 0.5 FTE: mornings 08:00-12:00, 20 paid hours; half the meetings and one urgent-hold hour.
const HALF_TIME: Shape = Shape {
    fte: "0.5",
    periods: &[(8 * 60, 12 * 60)],
    day_ends: [&[(60, "urgent-hold")], &[(75, "meeting")], &[], &[], &[]],
};

/// 0.75 FTE: 08:00-15:00 with a lunch break, 30 paid hours.
const THREE_QUARTER_TIME: Shape = Shape {
    fte: "0.75",
    periods: &[(8 * 60, 12 * 60), (13 * 60, 15 * 60)],
    day_ends: [
        &[(60, "urgent-hold")],
        &[(60, "meeting")],
        &[(60, "urgent-hold")],
        &[(60, "meeting")],
        &[],
    ],
};

fn hhmm(minute: u32) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

/// A week of `shape` with `protected_minutes` of protected time: each day opens with its share of
/// protected time (quarter hours spread from Monday, any odd minutes on Friday), then direct time
/// fills the day up to the blocks that close it. Only the protected and direct minutes depend on
/// `protected_minutes`.
fn week(shape: &Shape, protected_minutes: u32) -> Vec<(&'static str, Vec<String>)> {
    let quarters = protected_minutes / 15;
    let mut week = Vec::new();
    for (day_idx, (day, day_end)) in (0u32..).zip(WEEKDAYS.into_iter().zip(shape.day_ends)) {
        let mut protected = 15 * (quarters / 5 + u32::from(day_idx < quarters % 5));
        if day_idx == 4 {
            protected += protected_minutes % 15;
        }
        let day_end_minutes: u32 = day_end.iter().map(|(minutes, _)| minutes).sum();
        let mut blocks = Vec::new();
        let mut push = |start: u32, end: u32, kind: &str| {
            if end > start {
                blocks.push(format!("{}-{} {kind}", hhmm(start), hhmm(end)));
            }
        };
        for (period_idx, &(start, end)) in shape.periods.iter().enumerate() {
            let is_last = period_idx + 1 == shape.periods.len();
            let mut clock = start;
            if period_idx == 0 {
                push(clock, clock + protected, "protected");
                clock += protected;
            }
            let direct_end = if is_last { end - day_end_minutes } else { end };
            assert!(clock <= direct_end, "{day}: the fixture's day is overfull");
            push(clock, direct_end, "direct");
            clock = direct_end;
            if is_last {
                for (minutes, kind) in day_end {
                    push(clock, clock + minutes, kind);
                    clock += minutes;
                }
            }
            if let Some(&(next_start, _)) = shape.periods.get(period_idx + 1) {
                push(end, next_start, "break");
            }
        }
        week.push((day, blocks));
    }
    week
}

fn week_text(shape: &Shape, protected_minutes: u32) -> String {
    template_text(shape.fte, WEEKDAYS_8_TO_18, &week(shape, protected_minutes))
}

#[test]
fn the_table_of_contracts_covers_every_built_in_contract() {
    let names: Vec<&str> = builtin::contract_names().collect();
    let listed: Vec<&str> = PROTECTED_PER_FULL_TIME_WEEK
        .iter()
        .map(|(name, _)| *name)
        .collect();
    assert_eq!(names, listed);
}

#[test]
fn every_contract_accepts_a_full_time_week_with_its_protected_hours() {
    for (contract, protected) in PROTECTED_PER_FULL_TIME_WEEK {
        let check = check(contract, &week_text(&FULL_TIME, protected));
        assert!(check.is_valid(), "{contract}: {:?}", check.violations);
        assert_eq!(check.required_protected_minutes, protected, "{contract}");
        assert_eq!(check.allowed_paid_minutes, 40 * 60, "{contract}");
        assert_eq!(paid_minutes(&check), 40 * 60, "{contract}");
        assert_eq!(
            minutes(&check, BlockKind::Protected),
            protected,
            "{contract}"
        );
        assert_eq!(minutes(&check, BlockKind::Meeting), 150, "{contract}");
        assert_eq!(minutes(&check, BlockKind::UrgentHold), 120, "{contract}");
        assert_eq!(minutes(&check, BlockKind::Break), 5 * 60, "{contract}");
    }
}

#[test]
fn every_contract_accepts_a_half_time_week_with_half_its_protected_hours() {
    for (contract, full_time_protected) in PROTECTED_PER_FULL_TIME_WEEK {
        // norcal-2022's 7.5 hours halve to 3h45m exactly; no contract here needs rounding at 0.5.
        let protected = full_time_protected / 2;
        let check = check(contract, &week_text(&HALF_TIME, protected));
        assert!(check.is_valid(), "{contract}: {:?}", check.violations);
        assert_eq!(check.required_protected_minutes, protected, "{contract}");
        assert_eq!(check.allowed_paid_minutes, 20 * 60, "{contract}");
        assert_eq!(paid_minutes(&check), 20 * 60, "{contract}");
        assert_eq!(
            minutes(&check, BlockKind::Protected),
            protected,
            "{contract}"
        );
    }
}

#[test]
fn thirty_minutes_short_of_protected_time_is_exactly_one_violation() {
    for (contract, full_time_protected) in PROTECTED_PER_FULL_TIME_WEEK {
        for (shape, fte_hundredths, required) in [
            (&FULL_TIME, 100, full_time_protected),
            (&HALF_TIME, 50, full_time_protected / 2),
        ] {
            // The missing 30 minutes become direct time, so the paid week is unchanged.
            let check = check(contract, &week_text(shape, required - 30));
            let fte = Fte::from_hundredths(fte_hundredths).expect("a valid FTE");
            assert_eq!(
                check.violations,
                [TemplateViolation::ProtectedShort {
                    contract: contract.to_owned(),
                    fte,
                    required_minutes: required,
                    scheduled_minutes: required - 30,
                }],
                "{contract} at {fte}"
            );
            let message = check.violations[0].to_string();
            assert!(message.contains("30m short"), "{message}");
            assert!(message.contains(contract), "{message}");
        }
    }
    // One message in full, so a change of wording is a visible decision.
    let check = check("norcal-2022", &week_text(&HALF_TIME, 225 - 30));
    assert_eq!(
        check.violations[0].to_string(),
        "protected time 3h15m is 30m short of the 3h45m that contract norcal-2022 requires at 0.50 FTE"
    );
}

#[test]
fn pro_rated_protected_time_rounds_up_to_the_minute() {
    // norcal-2022 at 0.75 FTE: 7.5 h * 0.75 = 337.5 minutes, and a guarantee is never shaved by
    // rounding, so 338 minutes are owed.
    let owed = check("norcal-2022", &week_text(&THREE_QUARTER_TIME, 338));
    assert!(owed.is_valid(), "{:?}", owed.violations);
    assert_eq!(owed.required_protected_minutes, 338);
    assert_eq!(paid_minutes(&owed), 30 * 60);

    let short = check("norcal-2022", &week_text(&THREE_QUARTER_TIME, 337));
    assert_eq!(codes(&short), ["protected-short"]);
    assert!(
        short.violations[0].to_string().contains("1m short"),
        "{}",
        short.violations[0]
    );
}

#[test]
fn every_violation_is_reported_not_just_the_first() {
    // A 0.5 FTE week (20 paid hours allowed) with one protected hour of the 2h30m socal-2025 owes,
    // a meeting over the end of Monday's morning session, an afternoon that runs past the 18:00
    // closing, Saturday work while the facility is closed, and 29h30m of paid time.
    let text = template_text(
        "0.5",
        WEEKDAYS_8_TO_18,
        &[
            (
                "mon",
                vec![
                    "08:00-09:00 protected",
                    "09:00-12:00 direct",
                    "11:30-12:30 meeting",
                    "12:30-13:00 break",
                    "13:00-18:30 direct",
                ],
            ),
            ("tue", vec!["08:00-12:00 direct", "13:00-17:00 direct"]),
            ("wed", vec!["08:00-12:00 direct", "13:00-17:00 direct"]),
            ("sat", vec!["09:00-12:00 direct"]),
        ],
    );
    let check = check("socal-2025", &text);
    assert_eq!(
        codes(&check),
        [
            "protected-short",
            "exceeds-fte",
            "overlap",
            "outside-facility-hours",
            "outside-facility-hours",
        ]
    );
    let messages: Vec<String> = check.violations.iter().map(ToString::to_string).collect();
    assert_eq!(
        messages,
        [
            "protected time 1h is 1h30m short of the 2h30m that contract socal-2025 requires at 0.50 FTE",
            "paid time 29h30m exceeds the 20h of a 0.50 FTE week",
            "block mon 11:30-12:30 meeting overlaps block mon 09:00-12:00 direct",
            "block mon 13:00-18:30 direct is outside the facility's hours (mon 08:00-18:00)",
            "block sat 09:00-12:00 direct falls on a day the facility is closed",
        ]
    );
}

#[test]
fn each_protected_hour_removes_one_direct_hour() {
    let socal = check("socal-2025", &week_text(&FULL_TIME, 5 * 60));
    let union = check("union-2024", &week_text(&FULL_TIME, 7 * 60));
    assert!(socal.is_valid() && union.is_valid());
    assert_eq!(
        minutes(&socal, BlockKind::Direct) - minutes(&union, BlockKind::Direct),
        2 * 60
    );
    for kind in [
        BlockKind::Group,
        BlockKind::Meeting,
        BlockKind::UrgentHold,
        BlockKind::Break,
    ] {
        assert_eq!(minutes(&socal, kind), minutes(&union, kind), "{kind:?}");
    }
    assert_eq!(paid_minutes(&socal), paid_minutes(&union));

    // The same holds for the standard weeks the library generates for any two built-in contracts,
    // since they share the full-time week, the meetings and the urgent holds.
    for (first, _) in PROTECTED_PER_FULL_TIME_WEEK {
        for (second, _) in PROTECTED_PER_FULL_TIME_WEEK {
            let (first, second) = (
                builtin::contract(first).expect("built in"),
                builtin::contract(second).expect("built in"),
            );
            let (first_terms, second_terms) = (first.terms(), second.terms());
            assert_eq!(
                first_terms.full_time_minutes,
                second_terms.full_time_minutes
            );
            assert_eq!(first_terms.meeting_minutes, second_terms.meeting_minutes);
            assert_eq!(
                first_terms.urgent_hold_slots,
                second_terms.urgent_hold_slots
            );
            let first_week = template::standard_template(&first, Fte::FULL_TIME);
            let second_week = template::standard_template(&second, Fte::FULL_TIME);
            let direct_gain = i64::from(first_week.minutes(BlockKind::Direct))
                - i64::from(second_week.minutes(BlockKind::Direct));
            let protected_gain = i64::from(second_week.minutes(BlockKind::Protected))
                - i64::from(first_week.minutes(BlockKind::Protected));
            assert_eq!(
                direct_gain,
                protected_gain,
                "{} vs {}",
                first.name(),
                second.name()
            );
        }
    }
}

#[test]
fn example_templates() {
    let full_time = files::parse_template(
        "examples/templates/full-time.toml",
        include_str!("../../../examples/templates/full-time.toml"),
    )
    .expect("the example parses");
    assert_eq!(
        full_time.facility_name.as_deref(),
        Some("Los Angeles Medical Center")
    );
    let socal = builtin::contract("socal-2025").expect("built in");
    let check = template::check_template(&full_time.template, &socal, &full_time.hours);
    assert!(check.is_valid(), "{:?}", check.violations);
    assert_eq!(
        check.minutes_by_kind,
        [
            (BlockKind::Direct, 30 * 60 + 30),
            (BlockKind::Protected, 5 * 60),
            (BlockKind::Group, 0),
            (BlockKind::Meeting, 2 * 60 + 30),
            (BlockKind::UrgentHold, 2 * 60),
            (BlockKind::Break, 5 * 60),
        ]
    );

    let short = files::parse_template(
        "examples/templates/short-protected.toml",
        include_str!("../../../examples/templates/short-protected.toml"),
    )
    .expect("the example parses");
    let check = template::check_template(&short.template, &socal, &short.hours);
    let messages: Vec<String> = check.violations.iter().map(ToString::to_string).collect();
    assert_eq!(
        messages,
        [
            "protected time 4h30m is 30m short of the 5h that contract socal-2025 requires at 1.00 FTE",
            "block wed 14:00-15:00 direct overlaps block wed 13:00-14:30 meeting",
            "block thu 17:00-18:30 direct is outside the facility's hours (thu 08:00-18:00)",
        ]
    );
    assert_eq!(
        codes(&check),
        ["protected-short", "overlap", "outside-facility-hours"]
    );
}

#[test]
fn ten_thousand_copies_of_a_block_are_found_in_one_pass_and_listed_briefly() {
    let text = template_text(
        "1.0",
        WEEKDAYS_8_TO_18,
        &[("mon", vec!["08:00-09:00 direct"; 10_000])],
    );
    let check = check("socal-2025", &text);
    // Protected time short, paid time over the week, and each copy overlapping the one before.
    assert_eq!(check.n_violations(), 2 + 9_999);
    assert_eq!(check.violations.len(), TemplateCheck::MAX_LISTED);
    assert_eq!(
        check.unlisted_violations,
        2 + 9_999 - TemplateCheck::MAX_LISTED
    );
    assert_eq!(
        check.violations[2].to_string(),
        "block mon 08:00-09:00 direct overlaps block mon 08:00-09:00 direct"
    );
}

#[test]
fn a_long_block_is_compared_with_every_block_it_spans() {
    let text = template_text(
        "1.0",
        WEEKDAYS_8_TO_18,
        &[(
            "mon",
            vec![
                "08:00-17:00 direct",
                "09:00-10:00 meeting",
                "11:00-12:00 break",
            ],
        )],
    );
    let messages: Vec<String> = check("socal-2025", &text)
        .violations
        .iter()
        .filter(|violation| violation.code() == "overlap")
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        messages,
        [
            "block mon 09:00-10:00 meeting overlaps block mon 08:00-17:00 direct",
            "block mon 11:00-12:00 break overlaps block mon 08:00-17:00 direct",
        ]
    );
}
