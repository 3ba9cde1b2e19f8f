//! The reports a simulation writes, as people and programs receive them: text, JSON, CSV and the
//! HTML page of a small scenario (tests/fixtures/small.toml) are snapshots, so that any change in
//! a figure or its layout shows in review. Then the HTML page's promises that a snapshot cannot
//! keep by itself: well-formed enough for a browser and a printer, no script, every label escaped.

use std::sync::OnceLock;

use caretime_sim::html::chart::{self, BarChart, BarGroup, Reference};
use caretime_sim::html::{self, svg};
use caretime_sim::render;
use caretime_sim::scenario::parse_scenario;
use caretime_sim::summary::{COMPLIANCE, Column, Estimate, Row, Summary, Table, Unit};

const SMALL: &str = include_str!("fixtures/small.toml");

/// The small scenario's summary, simulated once for every test of this file.
fn small_summary() -> &'static Summary {
    static SUMMARY: OnceLock<Summary> = OnceLock::new();
    SUMMARY.get_or_init(|| {
        let scenario = parse_scenario("tests/fixtures/small.toml", SMALL)
            .expect("the fixture is a valid scenario");
        let (summary, _) =
            caretime_sim::simulate(&scenario, &|_, _| {}).expect("the fixture simulates");
        summary
    })
}

#[test]
fn text_report() {
    insta::assert_snapshot!("text", render::text(small_summary()));
}

#[test]
fn json_report() {
    let json = serde_json::to_string_pretty(&render::json(small_summary()))
        .expect("a JSON value serializes");
    insta::assert_snapshot!("json", json);
}

#[test]
fn csv_report() {
    let csv = render::csv(small_summary()).expect("CSV into memory cannot fail");
    insta::assert_snapshot!("csv", csv);
}

#[test]
fn html_report() {
    let page = html::html(small_summary());
    assert_well_formed(&page);
    assert_eq!(
        page,
        html::html(small_summary()),
        "the same summary gives the same bytes"
    );
    insta::assert_snapshot!("html", page);
}

/// The checks a browser and a printer need and a snapshot does not make: a complete document,
/// every chart closed, no script, and no `&` that does not start an entity (an unescaped label).
fn assert_well_formed(page: &str) {
    assert!(page.starts_with("<!DOCTYPE html>"), "an HTML5 document");
    assert!(
        page.trim_end().ends_with("</html>"),
        "the document is complete"
    );
    assert_eq!(
        page.matches("<svg").count(),
        page.matches("</svg>").count(),
        "every chart is closed"
    );
    for tag in ["table", "figure", "section", "text"] {
        assert_eq!(
            page.matches(&format!("<{tag}>")).count() + page.matches(&format!("<{tag} ")).count(),
            page.matches(&format!("</{tag}>")).count(),
            "every <{tag}> is closed"
        );
    }
    let lowercase = page.to_lowercase();
    assert!(!lowercase.contains("<script"), "no JavaScript");
    assert!(
        !lowercase
            .replace(r#"xmlns="http://www.w3.org/2000/svg""#, "")
            .contains("http"),
        "no external assets (the SVG namespace is a name, not a download)"
    );
    for (idx, _) in page.match_indices('&') {
        let entity: String = page[idx + 1..]
            .chars()
            .take_while(|ch| *ch != ';')
            .take(8)
            .collect();
        let named = !entity.is_empty() && entity.chars().all(|ch| ch.is_ascii_alphabetic());
        let numeric = entity.len() > 1
            && entity.starts_with('#')
            && entity[1..].chars().all(|ch| ch.is_ascii_digit());
        assert!(
            named || numeric,
            "an unescaped `&` at byte {idx}: {:?}",
            &page[idx..(idx + 30).min(page.len())]
        );
    }
}

const FOLLOW_UPS: [Column; 1] = [Column {
    slug: "within-standard",
    title: "within SB 221",
    unit: Unit::Share,
}];

fn estimate(mean: f64, half_width: f64) -> Estimate {
    Estimate {
        mean: Some(mean),
        half_width: Some(half_width),
        n: 3,
    }
}

/// A summary made by hand, with labels that HTML and SVG must escape.
fn awkward_summary() -> Summary {
    let compliance_row = |label: &str, share: f64| Row {
        label: label.to_owned(),
        cells: vec![
            estimate(120.0, 4.0),
            estimate(share, 0.02),
            estimate(4.0, 1.0),
            estimate(9.0, 0.5),
            estimate(4.5, 0.3),
        ],
    };
    Summary {
        scenario: "fish&chips".to_owned(),
        title: "Rates <b>bold</b> & \"quoted\"".to_owned(),
        contract: "a&b-2025".to_owned(),
        members_per_therapist: 2500,
        replications: 3,
        period: (
            jiff::civil::date(2025, 1, 1),
            jiff::civil::date(2025, 3, 31),
        ),
        rule_set: "ca-dmhc".to_owned(),
        threshold: Some(0.7),
        tables: vec![
            Table {
                slug: "compliance-by-kind",
                title: "Timely access by request kind",
                columns: &COMPLIANCE,
                rows: vec![
                    compliance_row("initial & urgent", 0.81),
                    compliance_row("<script>alert(1)</script>", 0.4),
                ],
            },
            Table {
                slug: "compliance-by-facility",
                title: "Timely access by the offered clinician's facility",
                columns: &COMPLIANCE,
                rows: vec![compliance_row("Fish & Sons Clinic", 0.9)],
            },
            Table {
                slug: "compliance-by-month",
                title: "Timely access by month of request",
                columns: &COMPLIANCE,
                rows: vec![
                    compliance_row("2025-01", 0.8),
                    compliance_row("2025-02", 0.75),
                    compliance_row("2025-03 & later", 0.7),
                ],
            },
            Table {
                slug: "follow-ups",
                title: "Follow-ups",
                columns: &FOLLOW_UPS,
                rows: vec![Row {
                    label: "all".to_owned(),
                    cells: vec![estimate(0.8, 0.05)],
                }],
            },
        ],
    }
}

#[test]
fn html_escapes_every_label_and_is_well_formed() {
    let page = html::html(&awkward_summary());
    assert_well_formed(&page);
    assert!(!page.contains("Fish & Sons"), "a table label is escaped");
    assert!(
        !page.contains("initial & urgent"),
        "a chart label is escaped"
    );
    assert!(!page.contains("<script>alert"), "markup in a label is text");
    assert!(!page.contains("<b>bold"), "markup in the title is text");
    // Charts for the tables that are there (kinds, months, waits, follow-ups within SB 221),
    // none for those that are not (no follow-up intervals, no routes).
    assert_eq!(page.matches("<svg").count(), 4);
    assert!(page.contains("mean ± half-width of the 95 % confidence interval"));
}

#[test]
fn charts_escape_their_text() {
    let svg = chart::bar_chart(&BarChart {
        title: "Fish & Sons <Clinic>".to_owned(),
        unit: Unit::Share,
        axis_label: "share & more".to_owned(),
        series: vec!["A&B".to_owned(), "C\"D".to_owned()],
        groups: vec![BarGroup {
            label: "Ear, Nose & Throat".to_owned(),
            values: vec![estimate(0.5, 0.1), estimate(0.6, 0.0)],
        }],
        reference: Some(Reference {
            value: 0.7,
            label: "70% & up".to_owned(),
        }),
    });
    assert!(svg.starts_with("<svg ") && svg.ends_with("</svg>"));
    assert!(svg.contains("<title>Fish &amp; Sons &lt;Clinic&gt;</title>"));
    assert!(svg.contains(r#"aria-label="Fish &amp; Sons &lt;Clinic&gt;""#));
    assert!(svg.contains(">Ear, Nose &amp; Throat</text>"));
    assert!(svg.contains(">C&quot;D</text>"));
    assert!(!svg.contains("Nose & Throat"));
    assert_eq!(
        svg::escape("<a href='x'>&</a>"),
        "&lt;a href=&#39;x&#39;&gt;&amp;&lt;/a&gt;"
    );
}
