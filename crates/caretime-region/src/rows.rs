//! A region as four tables of rows: the CSV tables `caretime` writes and imports, and the store's
//! SQL tables (`facility`, `template_block`, `clinician`, `member`), which have the same columns.
//!
//! [`region_rows`] turns a [`Region`] into [`RegionRows`]; [`region_from_rows`] turns rows back
//! into a region, checking every cell exactly as [`crate::file::read_region`] checks a JSON
//! region file (one validation path serves both); [`read_region_csv`] parses the four CSV files
//! first. A [`RowSource`] says where rows came from, so an error names the file (or table), the
//! line (or row id) and the column:
//!
//! ```text
//! members.csv:7312: field `birth_date`: not a valid date (expected YYYY-MM-DD)
//! ```
//!
//! Member rows hold PHI: an error about one names the column and the rule, never the cell's
//! text, and [`MemberRow`]'s `Debug` shows none of it.
//!
//! # The tables
//!
//! Each CSV file starts with a header row naming its columns; the columns may come in any order,
//! but every documented column must be there, once, and no other. Cells hold text; a list is
//! `;`-separated (`en;es`) with no spaces. Ids are positions: the first row of a table has id 0,
//! the next 1, and so on (a message naming `members[17]` means the member with id 17). Weekdays
//! are `mon` ... `sun`, times `HH:MM` (24-hour, two digits each), dates `YYYY-MM-DD`.
//!
//! ## `facilities.csv` (table `facility`): one row a facility or network office
//!
//! | column | format | example |
//! |---|---|---|
//! | `id` | the facility's id: 0, 1, 2, ... in row order | `0` |
//! | `name` | text | `Los Angeles Medical Center` |
//! | `address` | text | `4867 W Sunset Blvd, Los Angeles, CA` |
//! | `lat` | latitude in decimal degrees, -90 to 90 | `34.0983` |
//! | `lon` | longitude in decimal degrees, -180 to 180 | `-118.293` |
//! | `time_zone` | an IANA time zone name | `America/Los_Angeles` |
//! | `mon` ... `sun` | seven columns: that day's opening hours `HH:MM-HH:MM`, empty when closed | `08:00-18:00` |
//! | `weekdays` | the working weekdays, a list; empty means `mon;tue;wed;thu;fri` | `mon;tue;wed;thu;fri` |
//! | `holidays` | a built-in holiday calendar (`california-state`, `us-federal`, ...) or `none` | `california-state` |
//! | `closures` | further closed dates, a list, may be empty | `2025-07-03;2025-12-26` |
//!
//! ## `template_blocks.csv` (table `template_block`): one row a block of a weekly template
//!
//! A template is its rows: they come together, templates in id order from 0, and its blocks in
//! the order they are listed. A template without blocks cannot be written as rows.
//!
//! | column | format | example |
//! |---|---|---|
//! | `template` | the template's id: 0, 1, 2, ... | `0` |
//! | `template_name` | the template's name, the same on each of its rows, unique in the region | `socal-2025-fte-1.00` |
//! | `fte` | the template's FTE, 0.01 to 1.00 in hundredths, the same on each of its rows | `1.00` |
//! | `position` | (table only; in CSV the row order gives it) the block's index in its template, 0, 1, ... | `0` |
//! | `day` | a weekday | `mon` |
//! | `start` | `HH:MM` | `08:00` |
//! | `end` | `HH:MM`, after `start` | `09:00` |
//! | `kind` | `direct`, `protected`, `group`, `meeting`, `urgent-hold` or `break` | `protected` |
//!
//! Blocks of one template may not overlap.
//!
//! ## `clinicians.csv` (table `clinician`): one row a clinician, internal or network
//!
//! | column | format | example |
//! |---|---|---|
//! | `id` | the clinician's id: 0, 1, 2, ... in row order | `0` |
//! | `name` | text | `Ana Park` |
//! | `discipline` | `psychologist`, `therapist`, `social-worker`, `psychiatric-nurse` or `psychiatrist` | `therapist` |
//! | `affiliation` | `internal` or `network` | `internal` |
//! | `languages` | lowercase ISO 639 codes, a list of at least one | `en;es` |
//! | `modalities` | `in-person`, `video`, `phone`: a list of at least one | `in-person;video;phone` |
//! | `fte` | 0.01 to 1.00, equal to the template's | `1.00` |
//! | `facility` | the id of the facility (a row of `facilities.csv`) | `0` |
//! | `template` | the id of the weekly template (rows of `template_blocks.csv`) | `0` |
//! | `template_name` | that template's name | `socal-2025-fte-1.00` |
//!
//! An internal clinician's template must fit the opening hours of their facility.
//!
//! ## `members.csv` (table `member`): one row a member. PHI
//!
//! | column | format | example |
//! |---|---|---|
//! | `id` | the member's id: 0, 1, 2, ... in row order | `0` |
//! | `plan_number` | text, not blank, unique in the region | `SC123456789` |
//! | `name` | text, not blank | `Jose Kim` |
//! | `birth_date` | `YYYY-MM-DD` | `1980-02-29` |
//! | `language` | a lowercase ISO 639 code | `es` |
//! | `lat` | home latitude in decimal degrees | `34.1` |
//! | `lon` | home longitude in decimal degrees | `-118.3` |
//! | `accepts` | the modalities the member accepts, a list of at least one | `in-person;video` |
//!
//! # Errors
//!
//! A CSV error names the file, the 1-based line the row starts on (the header is line 1) and
//! the column, with a list entry by position (`accepts[1]`). A database error names the table
//! and, as its line, the row's id (for `template_block` the template's id, the field naming the
//! block by position: `blocks[2].day`).

use std::borrow::Cow;
use std::fmt;

use caretime_core::calendar::weekday_slug;
use caretime_core::files::FileError;
use caretime_core::id::RegionId;
use caretime_core::region::{Clinician, Facility, Member, Modality, ModalitySet, Region};
use caretime_core::slug::Slug;
use caretime_core::template::Template;
use jiff::civil::Weekday;

use crate::file::{
    BlockRecord, CalendarRecord, ClinicianRecord, CsvTable, FacilityRecord, FieldPath, Index, Key,
    Locate, MemberRecord, Name, RegionFileError, Step, TOO_MANY, Tables, TemplateRecord,
    WeekRecord, affiliation_slug, hhmm, validate, writable,
};

// ---------------------------------------------------------------------------------------------
// The rows

/// A row of `facilities.csv` (table `facility`): see the module docs for each column's format.
#[derive(Debug, Clone, PartialEq)]
pub struct FacilityRow {
    pub id: u32,
    pub name: String,
    pub address: String,
    pub lat: f64,
    pub lon: f64,
    pub time_zone: String,
    /// Opening hours `HH:MM-HH:MM`, empty when closed.
    pub mon: String,
    pub tue: String,
    pub wed: String,
    pub thu: String,
    pub fri: String,
    pub sat: String,
    pub sun: String,
    /// `;`-separated weekdays; empty means Monday to Friday.
    pub weekdays: String,
    pub holidays: String,
    /// `;`-separated dates, may be empty.
    pub closures: String,
}

impl FacilityRow {
    /// The CSV header, in the order written.
    pub const COLUMNS: [&'static str; 16] = [
        "id",
        "name",
        "address",
        "lat",
        "lon",
        "time_zone",
        "mon",
        "tue",
        "wed",
        "thu",
        "fri",
        "sat",
        "sun",
        "weekdays",
        "holidays",
        "closures",
    ];

    fn cells(&self) -> [Cow<'_, str>; 16] {
        [
            Cow::Owned(self.id.to_string()),
            Cow::Borrowed(&self.name),
            Cow::Borrowed(&self.address),
            Cow::Owned(self.lat.to_string()),
            Cow::Owned(self.lon.to_string()),
            Cow::Borrowed(&self.time_zone),
            Cow::Borrowed(&self.mon),
            Cow::Borrowed(&self.tue),
            Cow::Borrowed(&self.wed),
            Cow::Borrowed(&self.thu),
            Cow::Borrowed(&self.fri),
            Cow::Borrowed(&self.sat),
            Cow::Borrowed(&self.sun),
            Cow::Borrowed(&self.weekdays),
            Cow::Borrowed(&self.holidays),
            Cow::Borrowed(&self.closures),
        ]
    }

    fn hours(&self) -> [(Weekday, &str); 7] {
        [
            (Weekday::Monday, &self.mon),
            (Weekday::Tuesday, &self.tue),
            (Weekday::Wednesday, &self.wed),
            (Weekday::Thursday, &self.thu),
            (Weekday::Friday, &self.fri),
            (Weekday::Saturday, &self.sat),
            (Weekday::Sunday, &self.sun),
        ]
    }
}

/// A row of `template_blocks.csv` (table `template_block`): one block of a weekly template, with
/// the template's id, name and FTE repeated on each of its rows.
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateBlockRow {
    pub template: u32,
    pub template_name: String,
    /// The template's FTE as written, `1.00`.
    pub fte: String,
    /// The block's index within its template: a column of the table; in CSV, the row order.
    pub position: u32,
    pub day: String,
    pub start: String,
    pub end: String,
    pub kind: String,
}

impl TemplateBlockRow {
    /// The CSV header, in the order written. `position` is not among them: in CSV a block's
    /// position is its order among its template's rows.
    pub const COLUMNS: [&'static str; 7] = [
        "template",
        "template_name",
        "fte",
        "day",
        "start",
        "end",
        "kind",
    ];

    fn cells(&self) -> [Cow<'_, str>; 7] {
        [
            Cow::Owned(self.template.to_string()),
            Cow::Borrowed(&self.template_name),
            Cow::Borrowed(&self.fte),
            Cow::Borrowed(&self.day),
            Cow::Borrowed(&self.start),
            Cow::Borrowed(&self.end),
            Cow::Borrowed(&self.kind),
        ]
    }
}

/// A row of `clinicians.csv` (table `clinician`).
#[derive(Debug, Clone, PartialEq)]
pub struct ClinicianRow {
    pub id: u32,
    pub name: String,
    pub discipline: String,
    pub affiliation: String,
    /// `;`-separated language codes.
    pub languages: String,
    /// `;`-separated modalities.
    pub modalities: String,
    pub fte: String,
    pub facility: u32,
    pub template: u32,
    pub template_name: String,
}

impl ClinicianRow {
    /// The CSV header, in the order written.
    pub const COLUMNS: [&'static str; 10] = [
        "id",
        "name",
        "discipline",
        "affiliation",
        "languages",
        "modalities",
        "fte",
        "facility",
        "template",
        "template_name",
    ];

    fn cells(&self) -> [Cow<'_, str>; 10] {
        [
            Cow::Owned(self.id.to_string()),
            Cow::Borrowed(&self.name),
            Cow::Borrowed(&self.discipline),
            Cow::Borrowed(&self.affiliation),
            Cow::Borrowed(&self.languages),
            Cow::Borrowed(&self.modalities),
            Cow::Borrowed(&self.fte),
            Cow::Owned(self.facility.to_string()),
            Cow::Owned(self.template.to_string()),
            Cow::Borrowed(&self.template_name),
        ]
    }
}

/// A row of `members.csv` (table `member`). Holds PHI: its `Debug` shows the id, the language and
/// the accepted modalities, and `[phi]` for the plan number, name, birth date and home.
#[derive(Clone, PartialEq)]
pub struct MemberRow {
    pub id: u32,
    pub plan_number: String,
    pub name: String,
    /// `YYYY-MM-DD`.
    pub birth_date: String,
    pub language: String,
    /// The home's latitude.
    pub lat: f64,
    /// The home's longitude.
    pub lon: f64,
    /// `;`-separated modalities.
    pub accepts: String,
}

impl MemberRow {
    /// The CSV header, in the order written.
    pub const COLUMNS: [&'static str; 8] = [
        "id",
        "plan_number",
        "name",
        "birth_date",
        "language",
        "lat",
        "lon",
        "accepts",
    ];

    fn cells(&self) -> [Cow<'_, str>; 8] {
        [
            Cow::Owned(self.id.to_string()),
            Cow::Borrowed(&self.plan_number),
            Cow::Borrowed(&self.name),
            Cow::Borrowed(&self.birth_date),
            Cow::Borrowed(&self.language),
            Cow::Owned(self.lat.to_string()),
            Cow::Owned(self.lon.to_string()),
            Cow::Borrowed(&self.accepts),
        ]
    }
}

impl fmt::Debug for MemberRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let phi = format_args!("[phi]");
        f.debug_struct("MemberRow")
            .field("id", &self.id)
            .field("plan_number", &phi)
            .field("name", &phi)
            .field("birth_date", &phi)
            .field("language", &self.language)
            .field("lat", &phi)
            .field("lon", &phi)
            .field("accepts", &self.accepts)
            .finish()
    }
}

/// A region's four tables, each in id order (template blocks by template, then position).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RegionRows {
    pub facilities: Vec<FacilityRow>,
    pub template_blocks: Vec<TemplateBlockRow>,
    pub clinicians: Vec<ClinicianRow>,
    pub members: Vec<MemberRow>,
}

// ---------------------------------------------------------------------------------------------
// From a region

/// The region's rows, each cell the text [`crate::file::write_region_csv`] writes.
///
/// Fails as the region file writers do (a time zone without an IANA name, a holiday calendar that
/// is not the built-in one of its name, a reference to a missing facility or template), and for
/// a template without blocks, which the tables cannot hold.
pub fn region_rows(region: &Region) -> Result<RegionRows, RegionFileError> {
    let names = writable_rows(region)?;
    Ok(RegionRows {
        facilities: region
            .facilities
            .iter()
            .enumerate()
            .map(|(index, facility)| facility_row(index, facility))
            .collect(),
        template_blocks: region
            .templates
            .iter()
            .enumerate()
            .flat_map(|(index, template)| template_block_rows(index, &names[index], template))
            .collect(),
        clinicians: region
            .clinicians
            .iter()
            .enumerate()
            .map(|(index, clinician)| clinician_row(index, clinician, &names))
            .collect(),
        members: region
            .members
            .iter()
            .enumerate()
            .map(|(index, member)| member_row(index, member))
            .collect(),
    })
}

/// Checks that the region can be written as rows, and names its templates.
pub(crate) fn writable_rows(region: &Region) -> Result<Vec<String>, RegionFileError> {
    let names = writable(region)?;
    if let Some(index) = region
        .templates
        .iter()
        .position(|template| template.blocks.is_empty())
    {
        return Err(RegionFileError::Unwritable(format!(
            "template {index} has no blocks, and the tables keep a template only as its blocks"
        )));
    }
    Ok(names)
}

fn id_number(index: usize) -> u32 {
    u32::try_from(index).expect("a region's tables are indexed by u32 ids")
}

fn joined<'a>(names: impl Iterator<Item = &'a str>) -> String {
    names.collect::<Vec<_>>().join(";")
}

fn modality_list(modalities: ModalitySet) -> String {
    joined(
        Modality::ALL
            .into_iter()
            .filter(|modality| modalities.contains(*modality))
            .map(Modality::slug),
    )
}

pub(crate) fn facility_row(index: usize, facility: &Facility) -> FacilityRow {
    let day = |day: Weekday| {
        facility
            .hours
            .on(day)
            .map(|range| range.to_string())
            .unwrap_or_default()
    };
    let calendar = &facility.calendar;
    FacilityRow {
        id: id_number(index),
        name: facility.name.clone(),
        address: facility.address.clone(),
        lat: facility.location.lat(),
        lon: facility.location.lon(),
        time_zone: facility
            .time_zone
            .iana_name()
            .expect("zones were checked by `writable`")
            .to_owned(),
        mon: day(Weekday::Monday),
        tue: day(Weekday::Tuesday),
        wed: day(Weekday::Wednesday),
        thu: day(Weekday::Thursday),
        fri: day(Weekday::Friday),
        sat: day(Weekday::Saturday),
        sun: day(Weekday::Sunday),
        weekdays: joined(calendar.weekdays().weekdays().map(weekday_slug)),
        holidays: calendar.holidays().name().to_owned(),
        closures: calendar
            .closures()
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(";"),
    }
}

pub(crate) fn template_block_rows<'r>(
    index: usize,
    name: &'r str,
    template: &'r Template,
) -> impl Iterator<Item = TemplateBlockRow> + 'r {
    let fte = template.fte.to_string();
    template
        .blocks
        .iter()
        .enumerate()
        .map(move |(position, block)| TemplateBlockRow {
            template: id_number(index),
            template_name: name.to_owned(),
            fte: fte.clone(),
            position: id_number(position),
            day: weekday_slug(block.day).to_owned(),
            start: hhmm(block.range.start()),
            end: hhmm(block.range.end()),
            kind: block.kind.slug().to_owned(),
        })
}

pub(crate) fn clinician_row(index: usize, clinician: &Clinician, names: &[String]) -> ClinicianRow {
    ClinicianRow {
        id: id_number(index),
        name: clinician.name.clone(),
        discipline: clinician.discipline.slug().to_owned(),
        affiliation: affiliation_slug(clinician.affiliation).to_owned(),
        languages: joined(clinician.languages.iter().map(|language| language.code())),
        modalities: modality_list(clinician.modalities),
        fte: clinician.fte.to_string(),
        facility: clinician.facility.0,
        template: clinician.template.0,
        template_name: names[clinician.template.index()].clone(),
    }
}

pub(crate) fn member_row(index: usize, member: &Member) -> MemberRow {
    let home = member.home.expose();
    MemberRow {
        id: id_number(index),
        plan_number: member.plan_number.expose().clone(),
        name: member.name.expose().clone(),
        birth_date: member.birth_date.expose().to_string(),
        language: member.language.code().to_owned(),
        lat: home.lat(),
        lon: home.lon(),
        accepts: modality_list(member.accepts),
    }
}

/// Writes a row's cells as one CSV record.
pub(crate) trait CsvRow {
    /// Writes the row's cells, in [`Self::header`] order.
    fn write<W: std::io::Write>(&self, csv: &mut csv::Writer<W>) -> csv::Result<()>;
    /// The CSV header.
    fn header() -> &'static [&'static str];
}

macro_rules! csv_row {
    ($row:ty) => {
        impl CsvRow for $row {
            fn write<W: std::io::Write>(&self, csv: &mut csv::Writer<W>) -> csv::Result<()> {
                csv.write_record(self.cells().iter().map(|cell| cell.as_bytes()))
            }

            fn header() -> &'static [&'static str] {
                &<$row>::COLUMNS
            }
        }
    };
}

csv_row!(FacilityRow);
csv_row!(TemplateBlockRow);
csv_row!(ClinicianRow);
csv_row!(MemberRow);

// ---------------------------------------------------------------------------------------------
// Where rows came from

/// Where one table's rows came from, so that an error can point at a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowOrigin {
    /// A CSV file: its name as the user gave it, and the 1-based line each row starts on, in row
    /// order (the header is line 1, so a file without quoted line breaks has row `i` on line
    /// `i + 2`).
    Csv { file: String, lines: Vec<usize> },
    /// A database table: errors name the table, and the row by its id as the line.
    Table { name: String },
}

/// Where each of a region's four tables came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowSource {
    pub facilities: RowOrigin,
    pub template_blocks: RowOrigin,
    pub clinicians: RowOrigin,
    pub members: RowOrigin,
}

impl RowSource {
    /// The store's tables: `facility`, `template_block`, `clinician` and `member`.
    pub fn database() -> RowSource {
        let table = |name: &str| RowOrigin::Table {
            name: name.to_owned(),
        };
        RowSource {
            facilities: table("facility"),
            template_blocks: table("template_block"),
            clinicians: table("clinician"),
            members: table("member"),
        }
    }

    fn origin(&self, table: CsvTable) -> &RowOrigin {
        match table {
            CsvTable::Facilities => &self.facilities,
            CsvTable::TemplateBlocks => &self.template_blocks,
            CsvTable::Clinicians => &self.clinicians,
            CsvTable::Members => &self.members,
        }
    }
}

/// Locates errors in rows: a path of the JSON document (`templates[3].blocks[2].day`) becomes a
/// table, a row and a column.
struct Rows<'r> {
    source: &'r RowSource,
    rows: &'r RegionRows,
    /// The index in `rows.template_blocks` of each template's first block.
    first_block: Vec<usize>,
}

impl Rows<'_> {
    fn table_error(&self, table: CsvTable, message: impl fmt::Display) -> FileError {
        let file = match self.source.origin(table) {
            RowOrigin::Csv { file, .. } => file,
            RowOrigin::Table { name } => name,
        };
        FileError::field(file, "", message.to_string())
    }

    /// An error in row `row` of `table` (an index into that table's rows), in `field` (a
    /// column, with a position for a list's entry).
    fn cell(
        &self,
        table: CsvTable,
        row: usize,
        field: &str,
        message: impl fmt::Display,
    ) -> FileError {
        let (file, line, field) = match self.source.origin(table) {
            RowOrigin::Csv { file, lines } => (file, lines.get(row).copied(), field.to_owned()),
            RowOrigin::Table { name } => {
                let id = |id: Option<u32>| id.and_then(|id| usize::try_from(id).ok());
                match table {
                    CsvTable::Facilities => (
                        name,
                        id(self.rows.facilities.get(row).map(|r| r.id)),
                        field.to_owned(),
                    ),
                    CsvTable::Clinicians => (
                        name,
                        id(self.rows.clinicians.get(row).map(|r| r.id)),
                        field.to_owned(),
                    ),
                    CsvTable::Members => (
                        name,
                        id(self.rows.members.get(row).map(|r| r.id)),
                        field.to_owned(),
                    ),
                    CsvTable::TemplateBlocks => {
                        let block = self.rows.template_blocks.get(row);
                        // The template's own columns name the template; the others a block.
                        let field = match block {
                            Some(_) if matches!(field, "template" | "template_name" | "fte") => {
                                field.to_owned()
                            }
                            Some(block) if field.is_empty() => {
                                format!("blocks[{}]", block.position)
                            }
                            Some(block) => format!("blocks[{}].{field}", block.position),
                            None => field.to_owned(),
                        };
                        (name, id(block.map(|r| r.template)), field)
                    }
                }
            }
        };
        FileError {
            file: file.clone(),
            line,
            field,
            message: message.to_string(),
        }
    }
}

fn table_of(key: &str) -> Option<CsvTable> {
    match key {
        "facilities" => Some(CsvTable::Facilities),
        "templates" => Some(CsvTable::TemplateBlocks),
        "clinicians" => Some(CsvTable::Clinicians),
        "members" => Some(CsvTable::Members),
        _ => None,
    }
}

impl Locate for Rows<'_> {
    fn at(&self, path: &[Step<'_>], message: impl fmt::Display) -> FileError {
        let column = |steps: &[Step<'_>]| FieldPath(steps).to_string();
        match path {
            [Key("facilities"), Index(row), rest @ ..] => {
                // The JSON document groups hours and the calendar; the table has a column each.
                let rest = match rest {
                    [Key("hours" | "calendar"), rest @ ..] => rest,
                    rest => rest,
                };
                self.cell(CsvTable::Facilities, *row, &column(rest), message)
            }
            [Key("templates"), Index(template), rest @ ..] => {
                let first = self
                    .first_block
                    .get(*template)
                    .copied()
                    .unwrap_or(usize::MAX);
                let (row, field) = match rest {
                    [Key("blocks"), Index(block), rest @ ..] => {
                        (first.saturating_add(*block), column(rest))
                    }
                    [Key("name")] => (first, "template_name".to_owned()),
                    [Key("id")] => (first, "template".to_owned()),
                    rest => (first, column(rest)),
                };
                self.cell(CsvTable::TemplateBlocks, row, &field, message)
            }
            [
                Key(table @ ("clinicians" | "members")),
                Index(row),
                rest @ ..,
            ] => {
                let table = table_of(table).expect("clinicians and members are tables");
                self.cell(table, *row, &column(rest), message)
            }
            [Key(table), ..] => match table_of(table) {
                Some(table) => self.table_error(table, message),
                None => FileError::field("", &column(path), message.to_string()),
            },
            [] => FileError::field("", "", message.to_string()),
            [Index(_), ..] => FileError::field("", &column(path), message.to_string()),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Into a region

/// A `;`-separated list: an empty cell is an empty list.
fn list(cell: &str) -> Vec<Name<'_>> {
    if cell.is_empty() {
        Vec::new()
    } else {
        cell.split(';')
            .map(|name| Name(Cow::Borrowed(name)))
            .collect()
    }
}

/// An FTE cell as the number the shared validation checks.
fn fte_number(rows: &Rows<'_>, table: CsvTable, row: usize, cell: &str) -> Result<f64, FileError> {
    // Rust's float parser takes `inf` and `NaN`; the FTE check refuses them.
    cell.parse::<f64>().map_err(|_| {
        rows.cell(
            table,
            row,
            "fte",
            "not a number (expected an FTE from 0.01 to 1.00 such as 0.80)",
        )
    })
}

/// Turns rows into a region, checking every cell as [`crate::file::read_region`] checks a JSON
/// region file, plus what only rows can get wrong: each template's rows together, in id order,
/// positions counting from 0, with one name and FTE; each clinician's `template` and
/// `template_name` naming the same template. The region's id and name are not in the rows.
///
/// The first problem is an error naming the file or table, the line or row id and the column
/// (see [`RowSource`]); an error about a member never quotes the member's cells.
pub fn region_from_rows(
    id: RegionId,
    name: String,
    rows: RegionRows,
    source: &RowSource,
) -> Result<Region, RegionFileError> {
    let mut locator = Rows {
        source,
        rows: &rows,
        first_block: Vec::new(),
    };
    // Group the block rows into templates; the rest of the checks are the shared ones.
    let mut first_block = Vec::new();
    for (row_idx, block) in rows.template_blocks.iter().enumerate() {
        let next = first_block.len();
        let template = usize::try_from(block.template).unwrap_or(usize::MAX);
        if template == next {
            first_block.push(row_idx);
        } else if template.checked_add(1) != Some(next) {
            return Err(locator
                .cell(
                    CsvTable::TemplateBlocks,
                    row_idx,
                    "template",
                    format!(
                        "template ids go 0, 1, 2, ... with each template's rows together: expected {}{}",
                        if next == 0 {
                            String::new()
                        } else {
                            format!("{} or ", next - 1)
                        },
                        next,
                    ),
                )
                .into());
        }
        let first = first_block[template];
        let expected_position = row_idx - first;
        if usize::try_from(block.position).ok() != Some(expected_position) {
            return Err(locator
                .cell(
                    CsvTable::TemplateBlocks,
                    row_idx,
                    "position",
                    format!(
                        "positions count a template's blocks 0, 1, 2, ... in order: expected {expected_position}"
                    ),
                )
                .into());
        }
        let first_row = &rows.template_blocks[first];
        for (field, this, theirs) in [
            (
                "template_name",
                &block.template_name,
                &first_row.template_name,
            ),
            ("fte", &block.fte, &first_row.fte),
        ] {
            if this != theirs {
                return Err(locator
                    .cell(
                        CsvTable::TemplateBlocks,
                        row_idx,
                        field,
                        format!("differs from the {field} of the template's first block"),
                    )
                    .into());
            }
        }
    }
    locator.first_block = first_block;

    let facilities = rows
        .facilities
        .iter()
        .map(|row| {
            let mut hours = WeekRecord::default();
            for (day, range) in row.hours() {
                *day_of(&mut hours, day) = (!range.is_empty()).then_some(Cow::Borrowed(range));
            }
            FacilityRecord {
                id: Some(row.id),
                name: Cow::Borrowed(&row.name),
                address: Cow::Borrowed(&row.address),
                lat: row.lat,
                lon: row.lon,
                time_zone: Cow::Borrowed(&row.time_zone),
                hours,
                calendar: CalendarRecord {
                    weekdays: (!row.weekdays.is_empty()).then(|| list(&row.weekdays)),
                    holidays: Cow::Borrowed(&row.holidays),
                    closures: list(&row.closures),
                },
            }
        })
        .collect();

    let mut templates = Vec::with_capacity(locator.first_block.len());
    for (template, &first) in locator.first_block.iter().enumerate() {
        let end = locator
            .first_block
            .get(template + 1)
            .copied()
            .unwrap_or(rows.template_blocks.len());
        let first_row = &rows.template_blocks[first];
        templates.push(TemplateRecord {
            id: Some(first_row.template),
            name: Cow::Borrowed(&first_row.template_name),
            fte: fte_number(&locator, CsvTable::TemplateBlocks, first, &first_row.fte)?,
            blocks: rows.template_blocks[first..end]
                .iter()
                .map(|block| BlockRecord {
                    day: Cow::Borrowed(&block.day),
                    start: Cow::Borrowed(&block.start),
                    end: Cow::Borrowed(&block.end),
                    kind: Cow::Borrowed(&block.kind),
                })
                .collect(),
        });
    }

    let mut clinicians = Vec::with_capacity(rows.clinicians.len());
    for (row_idx, row) in rows.clinicians.iter().enumerate() {
        let at = |field: &str, message: String| {
            RegionFileError::from(locator.cell(CsvTable::Clinicians, row_idx, field, message))
        };
        // The shared checks find a clinician's template by name; here the id must agree.
        let template = usize::try_from(row.template)
            .ok()
            .and_then(|template| templates.get(template))
            .ok_or_else(|| {
                at(
                    "template",
                    format!(
                        "template {} is out of range: the tables have {} templates",
                        row.template,
                        templates.len()
                    ),
                )
            })?;
        if template.name != row.template_name.as_str() {
            return Err(at(
                "template_name",
                format!(
                    "differs from the name of template {} in the template blocks",
                    row.template
                ),
            ));
        }
        clinicians.push(ClinicianRecord {
            id: Some(row.id),
            name: Cow::Borrowed(&row.name),
            discipline: Cow::Borrowed(&row.discipline),
            affiliation: Cow::Borrowed(&row.affiliation),
            languages: list(&row.languages),
            modalities: list(&row.modalities),
            fte: fte_number(&locator, CsvTable::Clinicians, row_idx, &row.fte)?,
            facility: row.facility,
            template: Cow::Borrowed(&row.template_name),
        });
    }

    let members = rows
        .members
        .iter()
        .map(|row| MemberRecord {
            id: Some(row.id),
            plan_number: Cow::Borrowed(&row.plan_number),
            name: Cow::Borrowed(&row.name),
            birth_date: Cow::Borrowed(&row.birth_date),
            language: Cow::Borrowed(&row.language),
            lat: row.lat,
            lon: row.lon,
            accepts: list(&row.accepts),
        })
        .collect();

    let tables = Tables {
        facilities,
        templates,
        clinicians,
        members,
    };
    Ok(validate(&locator, id, name, tables)?)
}

fn day_of<'r, 'a>(hours: &'r mut WeekRecord<'a>, day: Weekday) -> &'r mut Option<Cow<'a, str>> {
    match day {
        Weekday::Monday => &mut hours.mon,
        Weekday::Tuesday => &mut hours.tue,
        Weekday::Wednesday => &mut hours.wed,
        Weekday::Thursday => &mut hours.thu,
        Weekday::Friday => &mut hours.fri,
        Weekday::Saturday => &mut hours.sat,
        Weekday::Sunday => &mut hours.sun,
    }
}

// ---------------------------------------------------------------------------------------------
// CSV

/// One CSV file's name (for errors) and text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CsvFile<'a> {
    pub name: &'a str,
    pub text: &'a str,
}

/// The four CSV files of a region, as [`crate::file::write_region_csv`] writes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CsvFiles<'a> {
    pub facilities: CsvFile<'a>,
    pub template_blocks: CsvFile<'a>,
    pub clinicians: CsvFile<'a>,
    pub members: CsvFile<'a>,
}

/// Reads a region from its four CSV files (the id and name are not in them): each header must
/// name the documented columns (see the module docs), each row have a cell a column; then
/// [`region_from_rows`] checks every cell. Errors name the file, the line and the column, and
/// never quote a cell.
pub fn read_region_csv(
    id: RegionId,
    name: String,
    files: &CsvFiles<'_>,
) -> Result<Region, RegionFileError> {
    let (facilities, facility_lines) = parse_table(
        &files.facilities,
        &FacilityRow::COLUMNS,
        Region::MAX_FACILITIES,
        "facilities",
        |cells| {
            Ok(FacilityRow {
                id: cells.id("id")?,
                name: cells.text("name"),
                address: cells.text("address"),
                lat: cells.degrees("lat")?,
                lon: cells.degrees("lon")?,
                time_zone: cells.text("time_zone"),
                mon: cells.text("mon"),
                tue: cells.text("tue"),
                wed: cells.text("wed"),
                thu: cells.text("thu"),
                fri: cells.text("fri"),
                sat: cells.text("sat"),
                sun: cells.text("sun"),
                weekdays: cells.text("weekdays"),
                holidays: cells.text("holidays"),
                closures: cells.text("closures"),
            })
        },
    )?;
    let mut previous: Option<(u32, u32)> = None;
    let (template_blocks, block_lines) = parse_table(
        &files.template_blocks,
        &TemplateBlockRow::COLUMNS,
        Region::MAX_TEMPLATES.saturating_mul(Template::MAX_BLOCKS),
        "template blocks",
        |cells| {
            let template = cells.id("template")?;
            // In CSV a block's position is its place among its template's rows.
            let position = match previous {
                Some((last, position)) if last == template => position.saturating_add(1),
                _ => 0,
            };
            previous = Some((template, position));
            Ok(TemplateBlockRow {
                template,
                template_name: cells.text("template_name"),
                fte: cells.text("fte"),
                position,
                day: cells.text("day"),
                start: cells.text("start"),
                end: cells.text("end"),
                kind: cells.text("kind"),
            })
        },
    )?;
    let (clinicians, clinician_lines) = parse_table(
        &files.clinicians,
        &ClinicianRow::COLUMNS,
        Region::MAX_CLINICIANS,
        "clinicians",
        |cells| {
            Ok(ClinicianRow {
                id: cells.id("id")?,
                name: cells.text("name"),
                discipline: cells.text("discipline"),
                affiliation: cells.text("affiliation"),
                languages: cells.text("languages"),
                modalities: cells.text("modalities"),
                fte: cells.text("fte"),
                facility: cells.id("facility")?,
                template: cells.id("template")?,
                template_name: cells.text("template_name"),
            })
        },
    )?;
    let (members, member_lines) = parse_table(
        &files.members,
        &MemberRow::COLUMNS,
        Region::MAX_MEMBERS,
        "members",
        |cells| {
            Ok(MemberRow {
                id: cells.id("id")?,
                plan_number: cells.text("plan_number"),
                name: cells.text("name"),
                birth_date: cells.text("birth_date"),
                language: cells.text("language"),
                lat: cells.degrees("lat")?,
                lon: cells.degrees("lon")?,
                accepts: cells.text("accepts"),
            })
        },
    )?;
    let csv = |file: &CsvFile<'_>, lines| RowOrigin::Csv {
        file: file.name.to_owned(),
        lines,
    };
    let source = RowSource {
        facilities: csv(&files.facilities, facility_lines),
        template_blocks: csv(&files.template_blocks, block_lines),
        clinicians: csv(&files.clinicians, clinician_lines),
        members: csv(&files.members, member_lines),
    };
    let rows = RegionRows {
        facilities,
        template_blocks,
        clinicians,
        members,
    };
    region_from_rows(id, name, rows, &source)
}

/// One CSV record's cells, by column name.
struct Cells<'c> {
    file: &'c str,
    line: Option<usize>,
    /// The record's position of each documented column, in documented order.
    positions: &'c [usize],
    columns: &'c [&'static str],
    record: &'c csv::StringRecord,
}

impl Cells<'_> {
    fn text(&self, column: &str) -> String {
        let slot = self
            .columns
            .iter()
            .position(|name| *name == column)
            .expect("cells are asked for by documented column");
        self.record
            .get(self.positions[slot])
            .expect("rows were checked to have a cell a column")
            .to_owned()
    }

    fn error(&self, column: &str, message: &str) -> FileError {
        FileError {
            file: self.file.to_owned(),
            line: self.line,
            field: column.to_owned(),
            message: message.to_owned(),
        }
    }

    fn id(&self, column: &str) -> Result<u32, FileError> {
        self.text(column)
            .parse()
            .map_err(|_| self.error(column, "not an id (expected a whole number: 0, 1, 2, ...)"))
    }

    fn degrees(&self, column: &str) -> Result<f64, FileError> {
        self.text(column).parse().map_err(|_| {
            self.error(
                column,
                "not a number (expected decimal degrees such as -118.25)",
            )
        })
    }
}

/// Parses one CSV file into rows and the line each starts on. Stops at row `max + 1`, so that a
/// file cannot make the reader hold more than a region may have.
fn parse_table<T>(
    file: &CsvFile<'_>,
    columns: &[&'static str],
    max: usize,
    what: &str,
    mut row: impl FnMut(&Cells<'_>) -> Result<T, FileError>,
) -> Result<(Vec<T>, Vec<usize>), FileError> {
    let expected = || columns.join(", ");
    let at = |line: Option<usize>, field: &str, message: String| FileError {
        file: file.name.to_owned(),
        line,
        field: field.to_owned(),
        message,
    };
    // Spreadsheets often save "CSV UTF-8" with a byte order mark.
    let text = file.text.strip_prefix('\u{feff}').unwrap_or(file.text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut record = csv::StringRecord::new();
    // The csv crate's messages name positions, never cell text; still, they are not repeated
    // here in full, only what kind of problem it was.
    let csv_error = |err: csv::Error| {
        let line = err
            .position()
            .and_then(|position| usize::try_from(position.line()).ok());
        at(line, "", "not valid CSV".to_owned())
    };
    if !reader.read_record(&mut record).map_err(csv_error)? {
        return Err(at(
            Some(1),
            "",
            format!("missing header row (expected the columns {})", expected()),
        ));
    }
    let header = record.clone();
    let mut positions = Vec::with_capacity(columns.len());
    for column in columns {
        let mut found = header
            .iter()
            .enumerate()
            .filter(|(_, name)| name == column)
            .map(|(position, _)| position);
        match (found.next(), found.next()) {
            (Some(position), None) => positions.push(position),
            (None, _) => {
                return Err(at(
                    Some(1),
                    column,
                    format!("missing column (expected the columns {})", expected()),
                ));
            }
            (Some(_), Some(_)) => {
                return Err(at(Some(1), column, "the column appears twice".to_owned()));
            }
        }
    }
    if let Some(unknown) = (0..header.len()).find(|position| !positions.contains(position)) {
        // The header's text is not quoted: a file without a header has a member's cells there.
        return Err(at(
            Some(1),
            "",
            format!(
                "column {} is not one of the documented columns ({})",
                unknown + 1,
                expected()
            ),
        ));
    }
    let mut rows = Vec::new();
    let mut lines = Vec::new();
    while reader.read_record(&mut record).map_err(csv_error)? {
        let line = record
            .position()
            .and_then(|position| usize::try_from(position.line()).ok());
        if record.len() != header.len() {
            return Err(at(
                line,
                "",
                format!(
                    "the row has {} cells, the header {}",
                    record.len(),
                    header.len()
                ),
            ));
        }
        if rows.len() == max {
            return Err(at(
                line,
                "",
                format!("{TOO_MANY}: a region holds at most {max} {what} in memory"),
            ));
        }
        let cells = Cells {
            file: file.name,
            line,
            positions: &positions,
            columns,
            record: &record,
        };
        rows.push(row(&cells)?);
        lines.push(line.unwrap_or(0));
    }
    Ok((rows, lines))
}
