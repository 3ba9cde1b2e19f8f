//! Fuzz target for the CSV region reader (`rows::read_region_csv`).
//!
//! members.csv holds members' names, birth dates and plan numbers, so the reader promises what
//! the JSON reader does: it returns (no panic, no hang) with an error of one line without control
//! characters, and its errors quote nothing of the files, so contain none of the members' data,
//! however the files move it around (a name in a header, a birth date as a time zone, a plan
//! number as an FTE). The inputs are a small generated region's four files, mutated cell by cell
//! and as text. A region that reads is written back, and reads back the same.
//!
//! The number of cases is `CARETIME_FUZZ_CASES` (64 by default; CI runs more).

use std::sync::OnceLock;

use caretime_core::id::RegionId;
use caretime_core::region::Region;
use caretime_region::file::{CsvTable, RegionFileError, write_region_csv};
use caretime_region::generate::{RegionParams, generate};
use caretime_region::rows::{CsvFile, CsvFiles, read_region_csv};
use proptest::prelude::*;

#[path = "../../caretime-core/tests/fuzz_config/mod.rs"]
mod fuzz_config;

use fuzz_config::{MAX_ERROR_BYTES, config};

/// The four tables of a region, as records (the header first), in [`CsvTable::ALL`] order.
type Tables = [Vec<Vec<String>>; 4];

/// A generated region small enough to read thousands of times: the socal preset at 0.1 %, its
/// first 12 members.
struct Base {
    tables: Tables,
    /// Every member's name, birth date and plan number.
    phi: Vec<String>,
}

fn base() -> &'static Base {
    static BASE: OnceLock<Base> = OnceLock::new();
    BASE.get_or_init(|| {
        let mut region = generate(&RegionParams::socal(0.001, 7)).expect("the preset generates");
        region.members.truncate(12);
        let phi = region
            .members
            .iter()
            .flat_map(|member| {
                [
                    member.name.expose().clone(),
                    member.birth_date.expose().to_string(),
                    member.plan_number.expose().clone(),
                ]
            })
            .collect();
        Base {
            tables: written(&region).map(|text| records(&text)),
            phi,
        }
    })
}

fn written(region: &Region) -> [String; 4] {
    CsvTable::ALL.map(|table| {
        let mut out = Vec::new();
        write_region_csv(region, table, &mut out).expect("a read or generated region is writable");
        String::from_utf8(out).expect("CSV is UTF-8")
    })
}

fn records(text: &str) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes())
        .records()
        .map(|record| {
            record
                .expect("the writer writes CSV")
                .iter()
                .map(str::to_owned)
                .collect()
        })
        .collect()
}

fn text(records: &[Vec<String>]) -> String {
    let mut writer = csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(Vec::new());
    for record in records {
        writer.write_record(record).expect("writes to memory");
    }
    String::from_utf8(writer.into_inner().expect("flushes to memory")).expect("UTF-8")
}

fn read(texts: &[String; 4]) -> Result<Region, RegionFileError> {
    let [facilities, template_blocks, clinicians, members] = [0, 1, 2, 3].map(|idx| CsvFile {
        name: CsvTable::ALL[idx].file_name(),
        text: texts[idx].as_str(),
    });
    read_region_csv(
        RegionId(0),
        "fuzz".to_owned(),
        &CsvFiles {
            facilities,
            template_blocks,
            clinicians,
            members,
        },
    )
}

/// Text a mutation puts in a cell. `phi` picks one of the members' data instead.
fn replacement(pick: usize, phi: &str) -> String {
    let values = [
        "",
        " ",
        "0",
        "-1",
        "4294967295",
        "4294967296",
        "1e308",
        "NaN",
        "inf",
        "0.333",
        "1.00",
        ";",
        "en;en",
        "\u{1b}[2J",
        "a\nb",
        "\"",
        "\u{202e}",
        "24:00",
        "08:00-07:00",
        "9999-12-31",
        "Mars/Base",
        "none",
        "in-person;video;phone",
    ];
    match pick % (values.len() + 6) {
        idx if idx < values.len() => values[idx].to_owned(),
        idx if idx == values.len() => "x".repeat(100_000),
        _ => phi.to_owned(),
    }
}

#[derive(Clone, Debug)]
enum Mutation {
    /// Sets a cell (the header's included) of a table.
    Set {
        table: usize,
        row: usize,
        cell: usize,
        value: usize,
        phi: usize,
    },
    /// Swaps two cells of a row: a name into the birth date, a plan number into a header.
    Swap {
        table: usize,
        row: usize,
        first: usize,
        second: usize,
    },
    /// Drops a row, or copies one to the end.
    Remove {
        table: usize,
        row: usize,
    },
    Duplicate {
        table: usize,
        row: usize,
    },
    /// Drops the last cell of a row, or adds one.
    Cut {
        table: usize,
        row: usize,
    },
    Grow {
        table: usize,
        row: usize,
        phi: usize,
    },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let n = any::<usize>;
    prop_oneof![
        6 => (n(), n(), n(), n(), n()).prop_map(|(table, row, cell, value, phi)| {
            Mutation::Set { table, row, cell, value, phi }
        }),
        3 => (n(), n(), n(), n())
            .prop_map(|(table, row, first, second)| Mutation::Swap { table, row, first, second }),
        1 => (n(), n()).prop_map(|(table, row)| Mutation::Remove { table, row }),
        1 => (n(), n()).prop_map(|(table, row)| Mutation::Duplicate { table, row }),
        1 => (n(), n()).prop_map(|(table, row)| Mutation::Cut { table, row }),
        1 => (n(), n(), n()).prop_map(|(table, row, phi)| Mutation::Grow { table, row, phi }),
    ]
}

fn mutate(tables: &mut Tables, mutation: &Mutation, phi: &[String]) {
    let pick = |table: usize| table % 4;
    match *mutation {
        Mutation::Set {
            table,
            row,
            cell,
            value,
            phi: which,
        } => {
            let rows = &mut tables[pick(table)];
            let row = row % rows.len();
            let cells = &mut rows[row];
            if !cells.is_empty() {
                let cell = cell % cells.len();
                cells[cell] = replacement(value, &phi[which % phi.len()]);
            }
        }
        Mutation::Swap {
            table,
            row,
            first,
            second,
        } => {
            let rows = &mut tables[pick(table)];
            let row = row % rows.len();
            let cells = &mut rows[row];
            if !cells.is_empty() {
                let len = cells.len();
                cells.swap(first % len, second % len);
            }
        }
        Mutation::Remove { table, row } => {
            let rows = &mut tables[pick(table)];
            let row = row % rows.len();
            rows.remove(row);
            if rows.is_empty() {
                rows.push(Vec::new());
            }
        }
        Mutation::Duplicate { table, row } => {
            let rows = &mut tables[pick(table)];
            let copy = rows[row % rows.len()].clone();
            rows.push(copy);
        }
        Mutation::Cut { table, row } => {
            let rows = &mut tables[pick(table)];
            let row = row % rows.len();
            rows[row].pop();
        }
        Mutation::Grow {
            table,
            row,
            phi: which,
        } => {
            let rows = &mut tables[pick(table)];
            let row = row % rows.len();
            rows[row].push(phi[which % phi.len()].clone());
        }
    }
}

/// Cuts or grows the text at a byte offset (on a character boundary).
fn edit_text(text: &mut String, at: usize, inserted: Option<&str>) {
    let mut at = at % (text.len() + 1);
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    match inserted {
        Some(inserted) => text.insert_str(at, inserted),
        None => text.truncate(at),
    }
}

/// What the reader promises of `texts`.
fn check(texts: &[String; 4]) -> Result<(), TestCaseError> {
    match read(texts) {
        Ok(region) => {
            let texts = written(&region);
            let reread = read(&texts).expect("written tables read");
            prop_assert_eq!(written(&reread), texts);
        }
        Err(RegionFileError::Invalid(err)) => {
            fuzz_config::check_message(&err.to_string(), MAX_ERROR_BYTES, &base().phi)?;
        }
        Err(other) => prop_assert!(false, "reading gave {}", other),
    }
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn the_csv_reader_takes_mutated_tables(mutations in prop::collection::vec(mutation(), 1..5)) {
        let base = base();
        let mut tables = base.tables.clone();
        for mutation in &mutations {
            mutate(&mut tables, mutation, &base.phi);
        }
        check(&tables.each_ref().map(|records| text(records)))?;
    }

    #[test]
    fn the_csv_reader_takes_cut_and_spliced_text(
        table in 0usize..4,
        cuts in prop::collection::vec(
            (any::<usize>(), prop::option::of("\\PC{0,8}|[\\x00-\\x1f\",;\\n\\r]{1,4}|\u{feff}")),
            1..4,
        ),
    ) {
        let mut texts = base().tables.each_ref().map(|records| text(records));
        for (at, inserted) in &cuts {
            edit_text(&mut texts[table], *at, inserted.as_deref());
        }
        check(&texts)?;
    }
}
