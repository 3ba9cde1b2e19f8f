//! A region as table rows and CSV files: the rows hold the cells the CSV writer writes, read back
//! into the same region, and every error names file (or table), line (or row id) and column
//! without quoting a member's data.

use caretime_core::files::FileError;
use caretime_core::id::RegionId;
use caretime_core::region::Region;
use caretime_core::template::Template;
use caretime_region::file::{CsvTable, RegionFileError, write_region_csv, write_region_json};
use caretime_region::generate::{RegionParams, generate};
use caretime_region::rows::{
    CsvFile, CsvFiles, MemberRow, RegionRows, RowSource, read_region_csv, region_from_rows,
    region_rows,
};

/// The four CSV texts of a region, by table.
#[derive(Clone)]
struct Texts {
    facilities: String,
    template_blocks: String,
    clinicians: String,
    members: String,
}

fn file<'a>(name: &'a str, text: &'a str) -> CsvFile<'a> {
    CsvFile { name, text }
}

impl Texts {
    fn of(region: &Region) -> Texts {
        let table = |table: CsvTable| {
            let mut out = Vec::new();
            write_region_csv(region, table, &mut out).expect("writable");
            String::from_utf8(out).expect("CSV is UTF-8")
        };
        Texts {
            facilities: table(CsvTable::Facilities),
            template_blocks: table(CsvTable::TemplateBlocks),
            clinicians: table(CsvTable::Clinicians),
            members: table(CsvTable::Members),
        }
    }

    fn read(&self) -> Result<Region, RegionFileError> {
        read_region_csv(
            RegionId(0),
            "Southern California".to_owned(),
            &CsvFiles {
                facilities: file("facilities.csv", &self.facilities),
                template_blocks: file("template_blocks.csv", &self.template_blocks),
                clinicians: file("clinicians.csv", &self.clinicians),
                members: file("members.csv", &self.members),
            },
        )
    }

    fn error(&self) -> FileError {
        invalid(self.read())
    }
}

fn invalid(result: Result<Region, RegionFileError>) -> FileError {
    match result {
        Err(RegionFileError::Invalid(err)) => err,
        Err(other) => panic!("expected a file error, got {other}"),
        Ok(_) => panic!("expected an error"),
    }
}

/// `text` with the cell of `column` on `line` (1-based, the header is line 1) set to `value`.
/// The line must have no quoted cells.
fn with_cell(text: &str, line: usize, column: &str, value: &str) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let slot = lines[0]
        .split(',')
        .position(|name| name == column)
        .expect("a documented column");
    assert!(!lines[line - 1].contains('"'), "line {line} is quoted");
    let mut cells: Vec<&str> = lines[line - 1].split(',').collect();
    cells[slot] = value;
    lines[line - 1] = cells.join(",");
    lines.join("\n") + "\n"
}

/// The cell of `column` on `line` of `text`.
fn cell(text: &str, line: usize, column: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let slot = lines[0]
        .split(',')
        .position(|name| name == column)
        .expect("a documented column");
    lines[line - 1]
        .split(',')
        .nth(slot)
        .expect("a cell")
        .to_owned()
}

fn json(region: &Region) -> String {
    let mut out = Vec::new();
    write_region_json(region, &mut out).expect("writable");
    String::from_utf8(out).expect("JSON is UTF-8")
}

/// FNV-1a, 64 bits: a checksum that does not depend on the platform or Rust's version.
fn fnv(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in bytes {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// Asserts that `err` names `file`, `line` and `field`, says `says`, and that neither its message
/// nor its `Debug` contains any of `secrets`.
fn check(err: &FileError, file: &str, line: usize, field: &str, says: &str, secrets: &[&str]) {
    let shown = err.to_string();
    assert_eq!(
        (err.file.as_str(), err.line, err.field.as_str()),
        (file, Some(line), field),
        "{shown}"
    );
    assert!(shown.contains(says), "`{shown}` should say `{says}`");
    assert_eq!(shown.lines().count(), 1, "{shown}");
    for secret in secrets {
        assert!(
            !shown.contains(secret) && !format!("{err:?}").contains(secret),
            "`{shown}` leaks `{secret}`"
        );
    }
}

#[test]
fn csv_tables_are_byte_for_byte_what_they_were_before_rows() {
    // Length and checksum of each table of this region as written by the CSV writer before it
    // was rebuilt on `rows` (commit 01745ff). They change only if the generator does; then
    // recompute them from the writer at a commit whose output is known to be right.
    let golden = [
        (CsvTable::Facilities, 872, 0x0723_f38a_fb19_4a27_u64),
        (CsvTable::TemplateBlocks, 4692, 0xf70a_b3c7_abde_26b8),
        (CsvTable::Clinicians, 2496, 0xdd22_aef0_e6e0_5cab),
        (CsvTable::Members, 807_292, 0xc856_e6b6_9bc8_7c69),
    ];
    let region = generate(&RegionParams::socal(0.002, 7)).expect("the preset generates");
    for (table, len, checksum) in golden {
        let mut out = Vec::new();
        write_region_csv(&region, table, &mut out).expect("writable");
        assert_eq!((out.len(), fnv(&out)), (len, checksum), "{table:?}");
    }
}

#[test]
fn rows_hold_the_cells_the_csv_files_hold() {
    let region = generate(&RegionParams::socal(0.002, 7)).expect("the preset generates");
    let rows = region_rows(&region).expect("writable");
    let texts = Texts::of(&region);
    assert_eq!(rows.members.len(), region.members.len());
    assert_eq!(texts.members.lines().count(), 1 + rows.members.len());
    let member = &rows.members[5];
    assert_eq!(
        texts.members.lines().nth(6),
        Some(
            format!(
                "{},{},{},{},{},{},{},{}",
                member.id,
                member.plan_number,
                member.name,
                member.birth_date,
                member.language,
                member.lat,
                member.lon,
                member.accepts
            )
            .as_str()
        )
    );
    let n_blocks: usize = region.templates.iter().map(|t| t.blocks.len()).sum();
    assert_eq!(rows.template_blocks.len(), n_blocks);
    // Positions count each template's blocks from 0.
    let second = region.templates[0].blocks.len();
    assert_eq!(
        (
            rows.template_blocks[second].template,
            rows.template_blocks[second].position
        ),
        (1, 0)
    );
    assert_eq!(
        rows.template_blocks[second - 1].position as usize,
        second - 1
    );
    assert_eq!(rows.facilities[0].weekdays, "mon;tue;wed;thu;fri");
    assert_eq!(rows.clinicians[0].template_name, "socal-2025-fte-1.00");
}

#[test]
fn a_generated_region_round_trips_through_csv() {
    let region = generate(&RegionParams::socal(0.002, 7)).expect("the preset generates");
    let texts = Texts::of(&region);
    let reread = texts.read().expect("written tables read back");
    assert_eq!(reread.name, region.name);
    assert_eq!(reread.templates, region.templates);
    assert_eq!(
        region_rows(&reread).expect("writable"),
        region_rows(&region).expect("writable")
    );
    // Every field of a region is in its JSON file.
    assert_eq!(json(&reread), json(&region));
    let again = Texts::of(&reread);
    assert_eq!(
        [
            &again.facilities,
            &again.template_blocks,
            &again.clinicians,
            &again.members
        ],
        [
            &texts.facilities,
            &texts.template_blocks,
            &texts.clinicians,
            &texts.members
        ]
    );
}

#[test]
fn a_generated_region_round_trips_through_rows() {
    let region = generate(&RegionParams::socal(0.001, 3)).expect("the preset generates");
    let rows = region_rows(&region).expect("writable");
    let reread = region_from_rows(
        RegionId(4),
        "Test".to_owned(),
        rows.clone(),
        &RowSource::database(),
    )
    .expect("rows read back");
    assert_eq!((reread.id, reread.name.as_str()), (RegionId(4), "Test"));
    assert_eq!(region_rows(&reread).expect("writable"), rows);
    let mut renamed = region.clone();
    renamed.id = RegionId(4);
    renamed.name = "Test".to_owned();
    assert_eq!(json(&reread), json(&renamed));
}

/// A members.csv of exactly 10,000 rows, with the other tables of its region.
fn ten_thousand_members() -> Texts {
    let mut region = generate(&RegionParams::socal(0.0025, 11)).expect("the preset generates");
    assert!(region.members.len() >= 10_000);
    region.members.truncate(10_000);
    let texts = Texts::of(&region);
    assert_eq!(texts.members.lines().count(), 10_001);
    texts
}

#[test]
fn a_bad_cell_among_ten_thousand_members_is_named_by_file_line_and_column() {
    let texts = ten_thousand_members();
    let line = 7_312;
    let secrets_of = |line: usize| {
        let birth_date = cell(&texts.members, line, "birth_date");
        [
            cell(&texts.members, line, "name"),
            cell(&texts.members, line, "plan_number"),
            birth_date.replace('-', "/"),
            birth_date,
        ]
    };

    // The member's own birth date, written the wrong way.
    let secrets = secrets_of(line);
    let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
    let bad_date = Texts {
        members: with_cell(&texts.members, line, "birth_date", secrets[2]),
        ..texts.clone()
    };
    check(
        &bad_date.error(),
        "members.csv",
        line,
        "birth_date",
        "not a valid date (expected YYYY-MM-DD)",
        &secrets,
    );

    let bad_language = Texts {
        members: with_cell(&texts.members, 9_876, "language", "Spanish"),
        ..texts.clone()
    };
    let secrets = secrets_of(9_876);
    let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
    check(
        &bad_language.error(),
        "members.csv",
        9_876,
        "language",
        "not a language code",
        &secrets,
    );

    let bad_accepts = Texts {
        members: with_cell(&texts.members, 2, "accepts", "video;fax"),
        ..texts.clone()
    };
    check(
        &bad_accepts.error(),
        "members.csv",
        2,
        "accepts[1]",
        "unknown modality",
        &[],
    );

    let n_facilities = texts.facilities.lines().count() - 1;
    let missing_facility = Texts {
        clinicians: with_cell(&texts.clinicians, 4, "facility", &n_facilities.to_string()),
        ..texts.clone()
    };
    check(
        &missing_facility.error(),
        "clinicians.csv",
        4,
        "facility",
        &format!("facility {n_facilities} is out of range: the file has {n_facilities} facilities"),
        &[],
    );

    // The first bad row is the one reported, wherever the file goes bad again later.
    let twice = Texts {
        members: with_cell(&bad_date.members, 9_000, "language", "x"),
        ..texts.clone()
    };
    assert_eq!(twice.error().line, Some(line));
}

#[test]
fn headers_must_name_the_documented_columns() {
    let region = generate(&RegionParams::socal(0.001, 3)).expect("the preset generates");
    let texts = Texts::of(&region);
    let first_member = texts.members.lines().nth(1).expect("a member").to_owned();
    let member_name = cell(&texts.members, 2, "name");

    let renamed = Texts {
        members: texts.members.replacen("birth_date", "birthdate", 1),
        ..texts.clone()
    };
    check(
        &renamed.error(),
        "members.csv",
        1,
        "birth_date",
        "missing column (expected the columns id, plan_number, name, birth_date,",
        &[],
    );

    // Without a header, a member's cells stand where the column names should: not quoted.
    let headless = Texts {
        members: texts.members.lines().skip(1).collect::<Vec<_>>().join("\n"),
        ..texts.clone()
    };
    check(
        &headless.error(),
        "members.csv",
        1,
        "id",
        "missing column",
        &[&member_name, &first_member],
    );

    let extra = Texts {
        clinicians: texts
            .clinicians
            .lines()
            .enumerate()
            .map(|(line_idx, line)| {
                format!("{line},{}", if line_idx == 0 { "Ana Park" } else { "x" })
            })
            .collect::<Vec<_>>()
            .join("\n"),
        ..texts.clone()
    };
    check(
        &extra.error(),
        "clinicians.csv",
        1,
        "",
        "column 11 is not one of the documented columns (id, name,",
        &["Ana Park"],
    );

    let twice = Texts {
        facilities: texts.facilities.replacen("closures", "name", 1),
        ..texts.clone()
    };
    check(
        &twice.error(),
        "facilities.csv",
        1,
        "name",
        "the column appears twice",
        &[],
    );

    let empty = Texts {
        template_blocks: String::new(),
        ..texts.clone()
    };
    check(
        &empty.error(),
        "template_blocks.csv",
        1,
        "",
        "missing header row",
        &[],
    );
}

#[test]
fn columns_may_come_in_any_order_and_a_byte_order_mark_is_skipped() {
    let region = generate(&RegionParams::socal(0.001, 3)).expect("the preset generates");
    let texts = Texts::of(&region);
    // Move each member's `id` to the end of its line.
    let members: String = texts
        .members
        .lines()
        .map(|line| {
            let (id, rest) = line.split_once(',').expect("several cells");
            format!("{rest},{id}\n")
        })
        .collect();
    let shuffled = Texts {
        members: format!("\u{feff}{members}"),
        ..texts.clone()
    };
    let reread = shuffled.read().expect("reads in any column order");
    assert_eq!(json(&reread), json(&region));
}

#[test]
fn a_row_needs_a_cell_for_each_column() {
    let region = generate(&RegionParams::socal(0.001, 3)).expect("the preset generates");
    let texts = Texts::of(&region);
    let line = 3;
    let name = cell(&texts.members, line, "name");
    let short_line = texts.members.lines().nth(line - 1).expect("a member");
    let (kept, _) = short_line.rsplit_once(',').expect("several cells");
    let short = Texts {
        members: texts.members.replacen(short_line, kept, 1),
        ..texts.clone()
    };
    check(
        &short.error(),
        "members.csv",
        line,
        "",
        "the row has 7 cells, the header 8",
        &[&name],
    );

    let not_a_number = Texts {
        members: with_cell(&texts.members, line, "lat", "north"),
        ..texts.clone()
    };
    check(
        &not_a_number.error(),
        "members.csv",
        line,
        "lat",
        "not a number",
        &[&name, "north"],
    );
}

#[test]
fn template_rows_go_together_in_id_order() {
    let region = generate(&RegionParams::socal(0.001, 3)).expect("the preset generates");
    let texts = Texts::of(&region);
    let mut lines: Vec<&str> = texts.template_blocks.lines().collect();
    let first_of_template_1 = 2 + region.templates[0].blocks.len();
    // A block of template 0 after template 1's first block.
    lines.swap(first_of_template_1 - 2, first_of_template_1 - 1);
    let apart = Texts {
        template_blocks: lines.join("\n"),
        ..texts.clone()
    };
    check(
        &apart.error(),
        "template_blocks.csv",
        first_of_template_1,
        "template",
        "with each template's rows together: expected 1 or 2",
        &[],
    );

    let renamed = Texts {
        template_blocks: with_cell(&texts.template_blocks, 3, "template_name", "other"),
        ..texts.clone()
    };
    check(
        &renamed.error(),
        "template_blocks.csv",
        3,
        "template_name",
        "differs from the template_name of the template's first block",
        &[],
    );

    let wrong_name = Texts {
        clinicians: with_cell(&texts.clinicians, 2, "template_name", "template-1"),
        ..texts.clone()
    };
    check(
        &wrong_name.error(),
        "clinicians.csv",
        2,
        "template_name",
        "differs from the name of template 0",
        &[],
    );

    // The shared checks: a block ending before it starts, in the row that holds it.
    let backwards = Texts {
        template_blocks: with_cell(&texts.template_blocks, 4, "end", "00:15"),
        ..texts.clone()
    };
    let err = backwards.error();
    assert_eq!(
        (err.file.as_str(), err.line, err.field.as_str()),
        ("template_blocks.csv", Some(4), "end"),
        "{err}"
    );
}

#[test]
fn database_rows_are_named_by_table_and_id() {
    let region = generate(&RegionParams::socal(0.001, 3)).expect("the preset generates");
    let rows = region_rows(&region).expect("writable");
    let read = |rows: RegionRows| {
        invalid(region_from_rows(
            RegionId(0),
            "Test".to_owned(),
            rows,
            &RowSource::database(),
        ))
    };

    let mut bad_member = rows.clone();
    let member = &mut bad_member.members[17];
    let secrets = [
        member.name.clone(),
        member.plan_number.clone(),
        member.birth_date.clone(),
    ];
    member.birth_date = member.birth_date.replace('-', "");
    check(
        &read(bad_member),
        "member",
        17,
        "birth_date",
        "not a valid date",
        &secrets.each_ref().map(String::as_str),
    );

    let mut bad_block = rows.clone();
    let row = region.templates[0].blocks.len() + 1;
    assert_eq!(
        (
            bad_block.template_blocks[row].template,
            bad_block.template_blocks[row].position
        ),
        (1, 1)
    );
    bad_block.template_blocks[row].day = "someday".to_owned();
    check(
        &read(bad_block),
        "template_block",
        1,
        "blocks[1].day",
        "unknown weekday",
        &[],
    );

    let mut gap = rows.clone();
    gap.template_blocks[1].position = 5;
    check(
        &read(gap),
        "template_block",
        0,
        "blocks[5].position",
        "expected 1",
        &[],
    );

    let mut out_of_order = rows.clone();
    out_of_order.clinicians.swap(0, 1);
    check(
        &read(out_of_order),
        "clinician",
        1,
        "id",
        "entry 0 must have id 0 (got 1)",
        &[],
    );
}

#[test]
fn member_rows_do_not_show_phi() {
    let region = generate(&RegionParams::socal(0.001, 3)).expect("the preset generates");
    let rows = region_rows(&region).expect("writable");
    let member: &MemberRow = &rows.members[0];
    let shown = format!("{:?}", rows.members[..3].to_vec());
    for secret in [
        &member.name,
        &member.plan_number,
        &member.birth_date,
        &member.lat.to_string(),
        &member.lon.to_string(),
    ] {
        assert!(
            !shown.contains(secret.as_str()),
            "`{shown}` leaks `{secret}`"
        );
    }
    assert!(shown.contains("plan_number: [phi]") && shown.contains(&member.accepts));
}

#[test]
fn a_template_without_blocks_cannot_become_rows() {
    let mut region = generate(&RegionParams::socal(0.001, 3)).expect("the preset generates");
    region.templates.push(Template {
        fte: region.templates[0].fte,
        blocks: Vec::new(),
    });
    let err = region_rows(&region).expect_err("no blocks");
    assert!(
        err.to_string().contains(&format!(
            "template {} has no blocks",
            region.templates.len() - 1
        )),
        "{err}"
    );
}
