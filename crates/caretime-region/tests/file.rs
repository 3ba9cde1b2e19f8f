//! The region file: round trips, and errors that point at file, line and field without ever
//! quoting a member's PHI.

use caretime_core::calendar::{BusinessCalendar, HolidayCalendar, WeekdayMask};
use caretime_core::files::FileError;
use caretime_core::region::{Affiliation, Discipline, Language, Modality, Region};
use caretime_core::template::{BlockKind, Template};
use caretime_region::file::{
    CsvTable, RegionFileError, read_region, template_names, write_region_csv, write_region_json,
};
use caretime_region::generate::{RegionParams, generate};
use jiff::civil::date;

/// A small valid region, one table entry per line. Line numbers are part of the tests: the
/// facility is on line 5, the template on 8, the clinicians on 11-12, the members on 15-16.
const FIXTURE: &str = r#"{
  "version": 1,
  "name": "Test region",
  "facilities": [
    {"name":"Clinic","address":"1 Main St","lat":34.0,"lon":-118.0,"time_zone":"America/Los_Angeles","hours":{"mon":"08:00-18:00","tue":"08:00-18:00"},"calendar":{"holidays":"california-state","closures":["2025-07-03"]}}
  ],
  "templates": [
    {"name":"short-week","fte":0.1,"blocks":[{"day":"mon","start":"09:00","end":"10:00","kind":"direct"},{"day":"tue","start":"09:00","end":"12:00","kind":"protected"}]}
  ],
  "clinicians": [
    {"name":"Ana Park","discipline":"therapist","affiliation":"internal","languages":["en","es"],"modalities":["in-person","video"],"fte":0.1,"facility":0,"template":"short-week"},
    {"id":1,"name":"Lee Chen","discipline":"psychiatrist","affiliation":"network","languages":["en"],"modalities":["video"],"fte":0.1,"facility":0,"template":"short-week"}
  ],
  "members": [
    {"plan_number":"SC000000001","name":"Jose Kim","birth_date":"1980-02-29","language":"es","lat":34.1,"lon":-118.1,"accepts":["in-person"]},
    {"plan_number":"SC000000002","name":"Zelda Secretname","birth_date":"1975-06-15","language":"hy","lat":34.2,"lon":-118.2,"accepts":["in-person","video"]}
  ]
}
"#;

/// The fixture with `from` replaced by `to` (exactly once).
fn edit(from: &str, to: &str) -> String {
    assert_eq!(FIXTURE.matches(from).count(), 1, "`{from}` must occur once");
    FIXTURE.replace(from, to)
}

fn read(text: &str) -> Result<Region, RegionFileError> {
    read_region("test.json", text)
}

fn file_error(text: &str) -> FileError {
    match read(text) {
        Err(RegionFileError::Invalid(err)) => err,
        Err(other) => panic!("expected a file error, got {other}"),
        Ok(_) => panic!("expected an error"),
    }
}

/// Checks that reading `text` fails at `line` and `field` with a message containing `says`, and
/// that neither the error nor its message contains any of `secrets`.
fn check(text: &str, line: usize, field: &str, says: &str, secrets: &[&str]) {
    let err = file_error(text);
    let shown = err.to_string();
    assert_eq!(
        (err.file.as_str(), err.line, err.field.as_str()),
        ("test.json", Some(line), field),
        "{shown}"
    );
    assert!(shown.contains(says), "`{shown}` should say `{says}`");
    assert!(
        shown.starts_with(&format!("test.json:{line}: field `{field}`: ")),
        "{shown}"
    );
    for secret in secrets {
        assert!(
            !shown.contains(secret) && !format!("{err:?}").contains(secret),
            "`{shown}` leaks `{secret}`"
        );
    }
}

fn json(region: &Region) -> String {
    let mut bytes = Vec::new();
    write_region_json(region, &mut bytes).expect("writable");
    String::from_utf8(bytes).expect("JSON is UTF-8")
}

const ZELDA: [&str; 3] = ["Zelda", "Secretname", "SC000000002"];

#[test]
fn the_fixture_reads() {
    let region = read(FIXTURE).expect("valid fixture");
    assert_eq!(region.name, "Test region");
    let facility = &region.facilities[0];
    assert_eq!(facility.time_zone.iana_name(), Some("America/Los_Angeles"));
    assert!(
        !facility.calendar.is_business_day(date(2025, 7, 3)),
        "closure"
    );
    assert!(
        !facility.calendar.is_business_day(date(2025, 7, 4)),
        "holiday"
    );
    assert_eq!(facility.calendar.weekdays(), WeekdayMask::MONDAY_TO_FRIDAY);
    assert_eq!(region.templates[0].minutes(BlockKind::Protected), 180);
    let [ana, lee] = [&region.clinicians[0], &region.clinicians[1]];
    assert_eq!(
        (ana.discipline, ana.affiliation),
        (Discipline::Therapist, Affiliation::Internal)
    );
    assert!(ana.speaks(Language::SPANISH) && !ana.modalities.contains(Modality::Phone));
    assert_eq!(lee.affiliation, Affiliation::Network);
    assert_eq!(lee.template.index(), 0);
    let zelda = &region.members[1];
    assert_eq!(zelda.name.expose(), "Zelda Secretname");
    assert_eq!(*zelda.birth_date.expose(), date(1975, 6, 15));
    assert_eq!(zelda.language.code(), "hy");
    assert!(zelda.accepts.contains(Modality::Video));
}

#[test]
fn generated_regions_round_trip_byte_for_byte() {
    let region = generate(&RegionParams::socal(0.002, 7)).expect("valid");
    let written = json(&region);
    let reread = read_region("socal.json", &written).expect("a written region reads back");
    assert_eq!(reread.members.len(), region.members.len());
    assert_eq!(reread.clinicians.len(), region.clinicians.len());
    assert_eq!(reread.templates, region.templates);
    assert_eq!(json(&reread), written);
    // Internal templates are named after the contract that made them.
    assert!(written.contains(r#""template":"socal-2025-fte-1.00""#));
}

#[test]
fn the_fixture_writes_in_the_documented_shape() {
    let region = read(FIXTURE).expect("valid fixture");
    let written = json(&region);
    let lines: Vec<&str> = written.lines().collect();
    assert_eq!(
        lines[..4],
        [
            "{",
            r#"  "version": 1,"#,
            r#"  "id": 0,"#,
            r#"  "name": "Test region","#
        ]
    );
    assert_eq!(
        lines[5],
        r#"    {"id":0,"name":"Clinic","address":"1 Main St","lat":34.0,"lon":-118.0,"time_zone":"America/Los_Angeles","hours":{"mon":"08:00-18:00","tue":"08:00-18:00"},"calendar":{"weekdays":["mon","tue","wed","thu","fri"],"holidays":"california-state","closures":["2025-07-03"]}}"#
    );
    // Names are not part of the domain's templates: a template that no contract makes is
    // written by position.
    assert_eq!(template_names(&region), ["template-0"]);
    assert!(lines[8].starts_with(r#"    {"id":0,"name":"template-0","fte":0.1,"blocks":[{"day":"mon","start":"09:00","end":"10:00","kind":"direct"}"#));
    assert_eq!(
        lines[15],
        r#"    {"id":0,"plan_number":"SC000000001","name":"Jose Kim","birth_date":"1980-02-29","language":"es","lat":34.1,"lon":-118.1,"accepts":["in-person"]},"#
    );
    assert_eq!(lines.len(), 19);
    assert_eq!(json(&read(&written).expect("rereads")), written);
}

#[test]
fn a_bad_birth_date_names_the_field_not_the_member() {
    check(
        &edit("1975-06-15", "1975-13-45"),
        16,
        "members[1].birth_date",
        "not a valid date (expected YYYY-MM-DD)",
        &["Zelda", "Secretname", "SC000000002", "1975", "13-45"],
    );
}

#[test]
fn a_member_field_of_the_wrong_type_is_not_quoted() {
    check(
        &edit(r#""SC000000002""#, "123456789"),
        16,
        "members[1].plan_number",
        "invalid type or value (expected a string)",
        &["123456789", "Zelda"],
    );
    check(
        &edit(r#""Zelda Secretname""#, r#"["Zelda", "Secretname"]"#),
        16,
        "members[1].name",
        "invalid type or value",
        &ZELDA,
    );
}

#[test]
fn other_member_errors_keep_their_values_to_themselves() {
    check(
        &edit(r#""lat":34.2,"lon":-118.2"#, r#""lat":134.2,"lon":-118.2"#),
        16,
        "members[1].lat",
        "home location out of range",
        &["134.2", "-118.2", "Zelda"],
    );
    check(
        &edit(r#""language":"hy""#, r#""language":"Armenian""#),
        16,
        "members[1].language",
        "not a language code",
        &["Armenian", "Zelda"],
    );
    check(
        &edit(
            r#""accepts":["in-person","video"]"#,
            r#""accepts":["in-person","carrier-pigeon"]"#,
        ),
        16,
        "members[1].accepts[1]",
        "unknown modality",
        &["pigeon", "Zelda"],
    );
    check(
        &edit(r#""accepts":["in-person","video"]"#, r#""accepts":[]"#),
        16,
        "members[1].accepts",
        "at least one modality",
        &ZELDA,
    );
    check(
        &edit("SC000000002", "SC000000001"),
        16,
        "members[1].plan_number",
        "the same plan number as members[0]",
        &["SC000000001", "Zelda"],
    );
    check(
        &edit(r#""Zelda Secretname""#, r#""  ""#),
        16,
        "members[1].name",
        "a member needs a name",
        &ZELDA,
    );
    check(
        &edit(r#""name":"Zelda Secretname","#, ""),
        16,
        "members[1].name",
        "missing field `name`",
        &ZELDA,
    );
}

#[test]
fn an_unknown_template_name() {
    check(
        &edit(
            r#""facility":0,"template":"short-week"},"#,
            r#""facility":0,"template":"long-week"},"#,
        ),
        11,
        "clinicians[0].template",
        "no entry of `templates` has this name",
        &["long-week"],
    );
}

#[test]
fn a_facility_index_out_of_range() {
    check(
        &edit(
            r#""facility":0,"template":"short-week"},"#,
            r#""facility":3,"template":"short-week"},"#,
        ),
        11,
        "clinicians[0].facility",
        "facility 3 is out of range: the file has 1 facilities",
        &[],
    );
    check(
        &edit(
            r#""facility":0,"template":"short-week"},"#,
            r#""facility":-1,"template":"short-week"},"#,
        ),
        11,
        "clinicians[0].facility",
        "invalid type or value (expected u32)",
        &["-1"],
    );
}

#[test]
fn an_internal_template_must_fit_the_facility_hours() {
    let wednesday = edit(
        r#"{"day":"tue","start":"09:00","end":"12:00","kind":"protected"}"#,
        r#"{"day":"wed","start":"09:00","end":"12:00","kind":"protected"}"#,
    );
    // The internal therapist fails; the network psychiatrist on the same week would not.
    check(
        &wednesday,
        11,
        "clinicians[0].template",
        "its template, templates[0], does not fit the hours of facilities[0]: block wed 09:00-12:00 protected falls on a day the facility is closed",
        &["short-week", "Clinic"],
    );
    let network_only =
        wednesday.replace(r#""affiliation":"internal""#, r#""affiliation":"network""#);
    assert!(read(&network_only).is_ok());
}

#[test]
fn template_errors_point_at_the_block() {
    check(
        &edit(r#""end":"10:00""#, r#""end":"25:00""#),
        8,
        "templates[0].blocks[0].end",
        "not a time (expected HH:MM, 00:00 to 23:59)",
        &["25:00"],
    );
    check(
        &edit(r#""end":"10:00""#, r#""end":"08:00""#),
        8,
        "templates[0].blocks[0].end",
        "09:00-08:00: the end must be after the start",
        &[],
    );
    check(
        &edit(r#""kind":"direct""#, r#""kind":"lunch""#),
        8,
        "templates[0].blocks[0].kind",
        "unknown block kind (expected direct, protected",
        &["lunch"],
    );
    check(
        &edit(
            r#"{"day":"tue","start":"09:00","end":"12:00","kind":"protected"}"#,
            r#"{"day":"mon","start":"09:30","end":"12:00","kind":"protected"}"#,
        ),
        8,
        "templates[0].blocks[1]",
        "block mon 09:30-12:00 protected overlaps block mon 09:00-10:00 direct",
        &[],
    );
    check(
        &edit(r#""fte":0.1,"blocks""#, r#""fte":0.333,"blocks""#),
        8,
        "templates[0].fte",
        "FTE must be a number above 0",
        &[],
    );
    check(
        &edit(
            r#""fte":0.1,"facility":0,"template":"short-week"},"#,
            r#""fte":0.2,"facility":0,"template":"short-week"},"#,
        ),
        11,
        "clinicians[0].fte",
        "FTE 0.20 differs from the 0.10 of its template, templates[0]",
        &["short-week"],
    );
}

#[test]
fn facility_and_clinician_errors() {
    check(
        &edit("America/Los_Angeles", "America/Hollywood"),
        5,
        "facilities[0].time_zone",
        "unknown time zone (expected an IANA name",
        &["Hollywood"],
    );
    check(
        &edit(r#""mon":"08:00-18:00""#, r#""mon":"8am-6pm""#),
        5,
        "facilities[0].hours.mon",
        "not a time (expected HH:MM",
        &["8am"],
    );
    check(
        &edit("california-state", "texas-state"),
        5,
        "facilities[0].calendar.holidays",
        "unknown holiday calendar (built in: california-state, us-federal, or none)",
        &["texas"],
    );
    check(
        &edit("2025-07-03", "July 3"),
        5,
        "facilities[0].calendar.closures[0]",
        "not a date (expected YYYY-MM-DD)",
        &["July"],
    );
    check(
        &edit(r#""discipline":"therapist""#, r#""discipline":"shaman""#),
        11,
        "clinicians[0].discipline",
        "unknown discipline (expected psychologist",
        &["shaman"],
    );
    check(
        &edit(r#""modalities":["video"]"#, r#""modalities":[]"#),
        12,
        "clinicians[1].modalities",
        "at least one modality is needed",
        &[],
    );
    check(
        &edit(r#""languages":["en","es"]"#, r#""languages":["en","en"]"#),
        11,
        "clinicians[0].languages[1]",
        "language listed twice",
        &[],
    );
    check(
        &edit(r#""affiliation":"network""#, r#""affiliation":"external""#),
        12,
        "clinicians[1].affiliation",
        "unknown affiliation (expected internal or network)",
        &["external"],
    );
}

#[test]
fn ids_must_be_positions() {
    check(
        &edit(
            r#"{"id":1,"name":"Lee Chen""#,
            r#"{"id":7,"name":"Lee Chen""#,
        ),
        12,
        "clinicians[1].id",
        "entry 1 must have id 1 (got 7)",
        &[],
    );
}

#[test]
fn structural_errors() {
    check(
        &edit(r#""version": 1"#, r#""version": 2"#),
        2,
        "version",
        "unsupported version 2",
        &[],
    );
    check(
        &edit(r#""hours":{"#, r#""opening_hours":{"#),
        5,
        "facilities[0]",
        "unknown field (expected one of `id`, `name`, `address`",
        &["opening_hours"],
    );
    // A syntax error inside a member reports where, not what.
    check(
        &edit(
            r#""name":"Zelda Secretname","#,
            r#""name":"Zelda Secretname" "#,
        ),
        16,
        "members[1]",
        "expected `,` or `}`",
        &ZELDA,
    );
    let truncated = &FIXTURE[..FIXTURE.len() - 3];
    let err = file_error(truncated);
    assert_eq!(err.line, Some(17), "{err}");
    let trailing = format!("{FIXTURE}{{}}");
    assert_eq!(file_error(&trailing).line, Some(19));
}

#[test]
fn regions_the_format_cannot_hold_are_refused() {
    let mut region = read(FIXTURE).expect("valid fixture");
    region.facilities[0].calendar =
        BusinessCalendar::new(WeekdayMask::MONDAY_TO_FRIDAY, HolidayCalendar::empty());
    assert!(json(&region).contains(r#""holidays":"none""#));
    let custom = HolidayCalendar::new("custom".into(), "Custom".into(), String::new(), Vec::new())
        .expect("an empty calendar is valid");
    region.facilities[0].calendar = BusinessCalendar::new(WeekdayMask::MONDAY_TO_FRIDAY, custom);
    let err = write_region_json(&region, &mut Vec::new()).expect_err("custom calendar");
    assert!(
        err.to_string().contains("holiday calendar `custom`"),
        "{err}"
    );
}

#[test]
fn csv_tables() {
    let region = generate(&RegionParams::socal(0.001, 3)).expect("valid");
    let table = |table: CsvTable| {
        let mut out = Vec::new();
        write_region_csv(&region, table, &mut out).expect("writes");
        String::from_utf8(out).expect("UTF-8")
    };
    let facilities = table(CsvTable::Facilities);
    assert!(facilities.starts_with(
        "id,name,address,lat,lon,time_zone,mon,tue,wed,thu,fri,sat,sun,weekdays,holidays,closures\n0,Los Angeles Medical Center,"
    ));
    assert_eq!(facilities.lines().count(), 1 + region.facilities.len());
    let clinicians = table(CsvTable::Clinicians);
    assert_eq!(clinicians.lines().count(), 1 + region.clinicians.len());
    assert!(clinicians.contains(",internal,en"));
    let members = table(CsvTable::Members);
    assert!(members.starts_with("id,plan_number,name,birth_date,language,lat,lon,accepts\n0,SC"));
    assert_eq!(members.lines().count(), 1 + region.members.len());
    let blocks = table(CsvTable::TemplateBlocks);
    let n_blocks: usize = region.templates.iter().map(|t| t.blocks.len()).sum();
    assert_eq!(blocks.lines().count(), 1 + n_blocks);
    assert!(blocks.contains("0,socal-2025-fte-1.00,1.00,mon,08:00,09:00,protected\n"));
}

/// Reading `text` fails on `line`, with a one-line message that names `field` (or no field) and
/// quotes none of Zelda's data.
fn refused_without_echo(text: &str, line: usize, field: &str) {
    let err = file_error(text);
    let shown = err.to_string();
    assert_eq!(
        (err.line, err.field.as_str()),
        (Some(line), field),
        "{shown}"
    );
    assert_eq!(shown.lines().count(), 1, "{shown}");
    for secret in ZELDA.iter().chain(&["1975-06-15", "Zelda\\u0020"]) {
        assert!(!shown.contains(secret), "`{shown}` leaks `{secret}`");
    }
}

#[test]
fn keys_the_file_makes_up_are_not_quoted() {
    // A member's data written as a key: in the member, beside the tables, in other entries.
    let extra_key = |key: &str| {
        edit(
            r#""name":"Zelda Secretname","#,
            &format!(r#""name":"Zelda Secretname",{key}:1,"#),
        )
    };
    refused_without_echo(&extra_key(r#""Zelda Secretname""#), 16, "members[1]");
    refused_without_echo(&extra_key(r#""1975-06-15""#), 16, "members[1]");
    refused_without_echo(&extra_key(r#""Zelda\u0020Secretname""#), 16, "members[1]");
    refused_without_echo(
        &edit(
            r#""version": 1,"#,
            r#""version": 1, "Zelda Secretname": 1,"#,
        ),
        2,
        "",
    );
    refused_without_echo(
        &edit(
            r#"{"name":"Clinic","#,
            r#"{"Zelda Secretname":1,"name":"Clinic","#,
        ),
        5,
        "facilities[0]",
    );
    refused_without_echo(
        &edit(
            r#"{"name":"Ana Park","#,
            r#"{"SC000000002":1,"name":"Ana Park","#,
        ),
        11,
        "clinicians[0]",
    );
    refused_without_echo(
        &edit(
            r#"{"name":"short-week","#,
            r#"{"Zelda Secretname":1,"name":"short-week","#,
        ),
        8,
        "templates[0]",
    );
    let err = file_error(&extra_key(r#""Zelda Secretname""#)).to_string();
    assert!(
        err.ends_with("unknown field (expected one of `id`, `plan_number`, `name`, `birth_date`, `language`, `lat`, `lon`, `accepts`)"),
        "{err}"
    );
}

#[test]
fn values_out_of_place_are_not_quoted() {
    let name = r#""Zelda Secretname""#;
    refused_without_echo(
        &edit(r#""version": 1"#, &format!(r#""version": {name}"#)),
        2,
        "version",
    );
    for (from, to, line, field) in [
        (
            r#""America/Los_Angeles""#,
            name.to_owned(),
            5,
            "facilities[0].time_zone",
        ),
        (
            r#""california-state""#,
            name.to_owned(),
            5,
            "facilities[0].calendar.holidays",
        ),
        (
            r#""2025-07-03""#,
            name.to_owned(),
            5,
            "facilities[0].calendar.closures[0]",
        ),
        (
            r#""kind":"direct""#,
            format!(r#""kind":{name}"#),
            8,
            "templates[0].blocks[0].kind",
        ),
        (
            r#""discipline":"therapist""#,
            format!(r#""discipline":{name}"#),
            11,
            "clinicians[0].discipline",
        ),
        (
            r#""template":"short-week"},"#,
            format!(r#""template":{name}}},"#),
            11,
            "clinicians[0].template",
        ),
        (
            r#""languages":["en","es"]"#,
            format!(r#""languages":[{name}]"#),
            11,
            "clinicians[0].languages[0]",
        ),
        (
            r#""plan_number":"SC000000001""#,
            r#""plan_number":["SC000000002"]"#.to_owned(),
            15,
            "members[0].plan_number",
        ),
    ] {
        refused_without_echo(&edit(from, &to), line, field);
    }
}

#[test]
fn a_template_of_more_blocks_than_a_week_has_minutes_is_refused_while_read() {
    let block = r#"{"day":"mon","start":"09:00","end":"10:00","kind":"direct"}"#;
    let blocks = vec![block; Template::MAX_BLOCKS + 1].join(",");
    let text = edit(
        r#""blocks":[{"day":"mon","start":"09:00","end":"10:00","kind":"direct"},{"day":"tue","start":"09:00","end":"12:00","kind":"protected"}]"#,
        &format!(r#""blocks":[{blocks}]"#),
    );
    let err = file_error(&text).to_string();
    assert!(
        err.contains("templates[0].blocks") && err.contains("at most 10080 blocks"),
        "{err}"
    );
}

#[test]
fn a_list_of_languages_is_bounded() {
    let many = vec![r#""en""#; 65].join(",");
    check(
        &edit(
            r#""languages":["en","es"]"#,
            &format!(r#""languages":[{many}]"#),
        ),
        11,
        "clinicians[0].languages",
        "expected at most 64 entries",
        &[],
    );
}
