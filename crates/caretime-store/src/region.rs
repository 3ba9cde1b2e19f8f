//! The region in the database: imported once, in one transaction, and read back whole when a
//! process loads its book. The tables have the region CSV tables' columns
//! (`caretime_region::rows`).

use caretime_core::files::parse_rule_set;
use caretime_core::id::RegionId;
use caretime_core::region::Region;
use caretime_core::rules::RuleSet;
use caretime_region::rows::{
    ClinicianRow, FacilityRow, MemberRow, RegionRows, RowSource, TemplateBlockRow,
    region_from_rows, region_rows,
};
use jiff::Timestamp;
use jiff::civil::Date;

use crate::db::{Pool, Statement, Tx, Value, values_sql};
use crate::{Actor, AuditEvent, Store, StoreError, audit_statement, tables};

/// The region a database holds, with the rule set its deadlines follow and the book's first
/// date.
#[derive(Clone, Debug)]
pub struct StoredRegion {
    /// The region.
    pub region: Region,
    /// The rule set.
    pub rules: RuleSet,
    /// The rule set's TOML text, as imported.
    pub rules_text: String,
    /// The first date of the book's horizon.
    pub first: Date,
}

/// What an import wrote.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Imported {
    /// Facilities.
    pub facilities: usize,
    /// Template blocks.
    pub template_blocks: usize,
    /// Clinicians.
    pub clinicians: usize,
    /// Members.
    pub members: usize,
}

/// How many members and clinicians a region has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RegionSize {
    /// Members.
    pub members: usize,
    /// Clinicians, internal and network.
    pub clinicians: usize,
}

impl Store {
    /// The stored region's size, without reading anyone's data (ids are 0 to size - 1).
    pub async fn region_size(&self) -> Result<RegionSize, StoreError> {
        let sql = "SELECT (SELECT count(*) FROM book), (SELECT count(*) FROM member), \
                   (SELECT count(*) FROM clinician)";
        let (books, members, clinicians): (i64, i64, i64) = match self.pool() {
            Pool::Sqlite(pool) => sqlx::query_as(sql).fetch_one(pool).await?,
            Pool::Postgres(pool) => sqlx::query_as(sql).fetch_one(pool).await?,
        };
        if books == 0 {
            return Err(StoreError::Empty);
        }
        Ok(RegionSize {
            members: usize::try_from(members).unwrap_or(0),
            clinicians: usize::try_from(clinicians).unwrap_or(0),
        })
    }

    /// Writes `region`, the rule set `rules_text` (TOML) and the book's first date into an
    /// empty database, all in one transaction: on any error nothing is written. `progress` is
    /// told the rows written so far, out of the total.
    pub async fn import_region(
        &self,
        region: &Region,
        rules_text: &str,
        first: Date,
        actor: &Actor,
        now: Timestamp,
        progress: &(dyn Fn(usize, usize) + Sync),
    ) -> Result<Imported, StoreError> {
        parse_rule_set("the rule set", rules_text)
            .map_err(|error| StoreError::Rules(error.to_string()))?;
        let rows = region_rows(region)?;
        let mut tx = Tx::begin_unlocked(self.pool()).await?;
        let result = write_region(&mut tx, region, &rows, rules_text, first, now, progress).await;
        let audit = AuditEvent {
            action: "create",
            entity: "region",
            entity_id: Some(format!("{} members", rows.members.len())),
            outcome: "ok",
        };
        match result {
            Ok(imported) => {
                tx.run(&audit_statement(actor, now, &audit)).await?;
                tx.commit().await?;
                Ok(imported)
            }
            Err(error) => {
                tx.rollback().await?;
                Err(error)
            }
        }
    }

    /// Reads the region, its rule set and the book's first date. Audited: members' data is
    /// read.
    pub async fn load_region(
        &self,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<StoredRegion, StoreError> {
        let stored = self.read_region().await;
        self.audit(
            actor,
            now,
            &AuditEvent {
                action: "read",
                entity: "member",
                entity_id: None,
                outcome: if stored.is_ok() { "ok" } else { "error" },
            },
        )
        .await?;
        stored
    }

    async fn read_region(&self) -> Result<StoredRegion, StoreError> {
        let book_sql = "SELECT region_id, region_name, rules, horizon_first FROM book WHERE id = 1";
        let facility_sql = "SELECT id, name, address, lat, lon, time_zone, mon, tue, wed, thu, \
                            fri, sat, sun, weekdays, holidays, closures FROM facility ORDER BY id";
        let block_sql = "SELECT template, template_name, fte, position, day, start, \"end\", kind \
                         FROM template_block ORDER BY template, position";
        let clinician_sql = "SELECT id, name, discipline, affiliation, languages, modalities, fte, \
                             facility, template, template_name FROM clinician ORDER BY id";
        macro_rules! read {
            ($pool:expr) => {{
                let book: Option<(i64, String, String, String)> =
                    sqlx::query_as(book_sql).fetch_optional($pool).await?;
                let facilities: Vec<FacilityTuple> =
                    sqlx::query_as(facility_sql).fetch_all($pool).await?;
                let blocks: Vec<BlockTuple> = sqlx::query_as(block_sql).fetch_all($pool).await?;
                let clinicians: Vec<ClinicianTuple> =
                    sqlx::query_as(clinician_sql).fetch_all($pool).await?;
                (book, facilities, blocks, clinicians)
            }};
        }
        let (book, facilities, blocks, clinicians) = match self.pool() {
            Pool::Sqlite(pool) => read!(pool),
            Pool::Postgres(pool) => read!(pool),
        };
        let members = read_members(self.pool()).await?;
        let (region_id, region_name, rules_text, first) = book.ok_or(StoreError::Empty)?;
        let rows = RegionRows {
            facilities: facilities
                .into_iter()
                .map(facility_row)
                .collect::<Result<_, _>>()?,
            template_blocks: blocks
                .into_iter()
                .map(block_row)
                .collect::<Result<_, _>>()?,
            clinicians: clinicians
                .into_iter()
                .map(clinician_row)
                .collect::<Result<_, _>>()?,
            members,
        };
        let region_id = u32::try_from(region_id)
            .map_err(|_| StoreError::Disagree("the region's id is out of range".into()))?;
        let region = region_from_rows(
            RegionId(region_id),
            region_name,
            rows,
            &RowSource::database(),
        )?;
        let rules = parse_rule_set("the stored rule set", &rules_text)
            .map_err(|error| StoreError::Rules(error.to_string()))?;
        let first = first
            .parse::<Date>()
            .map_err(|_| StoreError::Disagree("the book's first date is not a date".into()))?;
        Ok(StoredRegion {
            region,
            rules,
            rules_text,
            first,
        })
    }
}

async fn write_region(
    tx: &mut Tx,
    region: &Region,
    rows: &RegionRows,
    rules_text: &str,
    first: Date,
    now: Timestamp,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Imported, StoreError> {
    if tx.count("SELECT count(*) FROM book").await? > 0 {
        return Err(StoreError::AlreadyImported);
    }
    tx.run(&Statement::new(
        "INSERT INTO book (id, region_id, region_name, rules, horizon_first, journal_seq, \
         created_at) VALUES (1, $1, $2, $3, $4, 0, $5)",
        vec![
            region.id.0.into(),
            region.name.as_str().into(),
            rules_text.into(),
            first.to_string().into(),
            tables::seconds(now).into(),
        ],
    ))
    .await?;
    let total = rows.facilities.len()
        + rows.template_blocks.len()
        + rows.clinicians.len()
        + rows.members.len();
    let mut done = 0;
    let mut step = |n: usize| {
        done += n;
        progress(done, total);
    };
    insert_all(
        tx,
        "facility",
        &FacilityRow::COLUMNS,
        rows.facilities.iter().map(|r| {
            vec![
                r.id.into(),
                r.name.as_str().into(),
                r.address.as_str().into(),
                r.lat.into(),
                r.lon.into(),
                r.time_zone.as_str().into(),
                r.mon.as_str().into(),
                r.tue.as_str().into(),
                r.wed.as_str().into(),
                r.thu.as_str().into(),
                r.fri.as_str().into(),
                r.sat.as_str().into(),
                r.sun.as_str().into(),
                r.weekdays.as_str().into(),
                r.holidays.as_str().into(),
                r.closures.as_str().into(),
            ]
        }),
        &mut step,
    )
    .await?;
    insert_all(
        tx,
        "template_block",
        &[
            "template",
            "template_name",
            "fte",
            "position",
            "day",
            "start",
            "\"end\"",
            "kind",
        ],
        rows.template_blocks.iter().map(|r| {
            vec![
                r.template.into(),
                r.template_name.as_str().into(),
                r.fte.as_str().into(),
                r.position.into(),
                r.day.as_str().into(),
                r.start.as_str().into(),
                r.end.as_str().into(),
                r.kind.as_str().into(),
            ]
        }),
        &mut step,
    )
    .await?;
    insert_all(
        tx,
        "clinician",
        &ClinicianRow::COLUMNS,
        rows.clinicians.iter().map(|r| {
            vec![
                r.id.into(),
                r.name.as_str().into(),
                r.discipline.as_str().into(),
                r.affiliation.as_str().into(),
                r.languages.as_str().into(),
                r.modalities.as_str().into(),
                r.fte.as_str().into(),
                r.facility.into(),
                r.template.into(),
                r.template_name.as_str().into(),
            ]
        }),
        &mut step,
    )
    .await?;
    insert_all(
        tx,
        "member",
        &MemberRow::COLUMNS,
        rows.members.iter().map(|r| {
            vec![
                r.id.into(),
                r.plan_number.as_str().into(),
                r.name.as_str().into(),
                r.birth_date.as_str().into(),
                r.language.as_str().into(),
                r.lat.into(),
                r.lon.into(),
                r.accepts.as_str().into(),
            ]
        }),
        &mut step,
    )
    .await?;
    Ok(Imported {
        facilities: rows.facilities.len(),
        template_blocks: rows.template_blocks.len(),
        clinicians: rows.clinicians.len(),
        members: rows.members.len(),
    })
}

/// Inserts rows in multi-row statements of as many rows as the parameter limit allows.
async fn insert_all(
    tx: &mut Tx,
    table: &str,
    columns: &[&str],
    rows: impl Iterator<Item = Vec<Value>>,
    step: &mut impl FnMut(usize),
) -> Result<(), StoreError> {
    let per_statement = (tx.max_parameters() / columns.len()).max(1);
    let mut rows = rows.peekable();
    while rows.peek().is_some() {
        let mut args = Vec::with_capacity(per_statement * columns.len());
        let mut n = 0;
        for row in rows.by_ref().take(per_statement) {
            args.extend(row);
            n += 1;
        }
        tx.run(&multi_row_insert(table, columns, n, args)).await?;
        step(n);
    }
    Ok(())
}

fn multi_row_insert(table: &str, columns: &[&str], rows: usize, args: Vec<Value>) -> Statement {
    let prefix = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
    Statement {
        sql: values_sql(&prefix, columns.len(), rows).into(),
        args,
        expect_rows: Some(rows as u64),
    }
}

type FacilityTuple = (
    i64,
    String,
    String,
    f64,
    f64,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
);
type BlockTuple = (i64, String, String, i64, String, String, String, String);
type ClinicianTuple = (
    i64,
    String,
    String,
    String,
    String,
    String,
    String,
    i64,
    i64,
    String,
);
/// A member row as PostgreSQL sends it.
type MemberColumns = (i64, String, String, String, String, f64, f64, String);

/// A member row as a SQLite page spells it: coordinates as text of 17 significant digits (what
/// SQLite's own JSON and CAST write loses bits), so that every bit of a home survives.
type MemberTuple = (i64, String, String, String, String, String, String, String);

/// Members read per query.
const MEMBER_PAGE: i64 = 100_000;

/// Reads the members. PostgreSQL sends rows in its binary protocol, fast as they are. SQLite's
/// driver hands rows over one at a time through a channel from its worker thread, which cost
/// most of a load with millions of members, so there they come in pages of [`MEMBER_PAGE`],
/// each one JSON array of rows.
async fn read_members(pool: &Pool) -> Result<Vec<MemberRow>, StoreError> {
    let pool = match pool {
        Pool::Sqlite(pool) => pool,
        Pool::Postgres(pool) => {
            let rows: Vec<MemberColumns> = sqlx::query_as(
                "SELECT id, plan_number, name, birth_date, language, lat, lon, accepts \
                     FROM member ORDER BY id",
            )
            .fetch_all(pool)
            .await?;
            return rows.into_iter().map(member_row).collect();
        }
    };
    let mut members: Vec<MemberRow> = Vec::new();
    loop {
        let after = members.last().map_or(-1, |member| i64::from(member.id));
        let page: Option<String> = sqlx::query_scalar(
            "SELECT json_group_array(json_array(id, plan_number, name, birth_date, language, \
             printf('%!.17g', lat), printf('%!.17g', lon), accepts)) FROM (SELECT * FROM member \
             WHERE id > $1 ORDER BY id LIMIT $2)",
        )
        .bind(after)
        .bind(MEMBER_PAGE)
        .fetch_one(pool)
        .await?;
        let Some(page) = page else { break };
        let rows: Vec<MemberTuple> = serde_json::from_str(&page).map_err(|_| {
            StoreError::Disagree(format!("the member rows after {after} do not read back"))
        })?;
        let n = rows.len() as i64;
        let first = members.len();
        for row in rows {
            members.push(member_row(row)?);
        }
        // SQLite aggregates the ordered subquery's rows in order without an ORDER BY of its own
        // (which would sort them again in a temporary b-tree); the order is checked, not assumed.
        if !members[first..].is_sorted_by_key(|member| member.id) {
            members[first..].sort_unstable_by_key(|member| member.id);
        }
        if n < MEMBER_PAGE {
            break;
        }
    }
    Ok(members)
}

fn number(value: i64, table: &str, column: &str) -> Result<u32, StoreError> {
    u32::try_from(value)
        .map_err(|_| StoreError::Disagree(format!("{table}.{column} holds a number out of range")))
}

fn facility_row(t: FacilityTuple) -> Result<FacilityRow, StoreError> {
    Ok(FacilityRow {
        id: number(t.0, "facility", "id")?,
        name: t.1,
        address: t.2,
        lat: t.3,
        lon: t.4,
        time_zone: t.5,
        mon: t.6,
        tue: t.7,
        wed: t.8,
        thu: t.9,
        fri: t.10,
        sat: t.11,
        sun: t.12,
        weekdays: t.13,
        holidays: t.14,
        closures: t.15,
    })
}

fn block_row(t: BlockTuple) -> Result<TemplateBlockRow, StoreError> {
    Ok(TemplateBlockRow {
        template: number(t.0, "template_block", "template")?,
        template_name: t.1,
        fte: t.2,
        position: number(t.3, "template_block", "position")?,
        day: t.4,
        start: t.5,
        end: t.6,
        kind: t.7,
    })
}

fn clinician_row(t: ClinicianTuple) -> Result<ClinicianRow, StoreError> {
    Ok(ClinicianRow {
        id: number(t.0, "clinician", "id")?,
        name: t.1,
        discipline: t.2,
        affiliation: t.3,
        languages: t.4,
        modalities: t.5,
        fte: t.6,
        facility: number(t.7, "clinician", "facility")?,
        template: number(t.8, "clinician", "template")?,
        template_name: t.9,
    })
}

/// A coordinate as a member row holds it: a float (PostgreSQL) or its text (a SQLite page).
trait Coordinate {
    fn degrees(self, column: &str) -> Result<f64, StoreError>;
}

impl Coordinate for f64 {
    fn degrees(self, _: &str) -> Result<f64, StoreError> {
        Ok(self)
    }
}

impl Coordinate for String {
    fn degrees(self, column: &str) -> Result<f64, StoreError> {
        self.parse::<f64>().map_err(|_| {
            StoreError::Disagree(format!(
                "member.{column} holds a value that is not a number"
            ))
        })
    }
}

fn member_row<C: Coordinate>(
    t: (i64, String, String, String, String, C, C, String),
) -> Result<MemberRow, StoreError> {
    Ok(MemberRow {
        id: number(t.0, "member", "id")?,
        plan_number: t.1,
        name: t.2,
        birth_date: t.3,
        language: t.4,
        lat: t.5.degrees("lat")?,
        lon: t.6.degrees("lon")?,
        accepts: t.7,
    })
}
