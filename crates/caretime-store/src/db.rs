//! The two backends behind one face: connecting, migrations, and statements with their values.
//!
//! Both schemas have the same tables and columns, and every statement is written once, with
//! `$1`-style parameters (which SQLite reads too). What differs is how a writer takes the
//! write lock ([`Tx::begin`]) and how a lost race shows itself ([`is_race`]).

use std::borrow::Cow;
use std::collections::HashSet;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{AssertSqlSafe, Postgres, Row, Sqlite, Transaction};

use crate::StoreError;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("migrations/postgres");

/// Which database a store is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file (the embedded default).
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

impl Backend {
    /// `sqlite` or `postgres`.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// How many connections a process keeps to a PostgreSQL server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Connections {
    /// Two: a command or a benchmark client works one statement at a time.
    Few,
    /// Up to this many (at least 2): a server answering concurrent requests, each of which
    /// reads its caller's token and writes an audit row.
    UpTo(u32),
}

/// A connection pool on either backend.
#[derive(Clone, Debug)]
pub(crate) enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// How long a writer waits for another's write lock before it reports the database busy.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

impl Pool {
    /// Connects to `url` (`sqlite://FILE`, `sqlite::memory:`, `postgres://...`). A SQLite file is
    /// created if `create` and it does not exist, and runs in WAL mode (readers do not wait for
    /// the writer).
    pub(crate) async fn connect(
        url: &str,
        create: bool,
        connections: Connections,
    ) -> Result<Pool, StoreError> {
        if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)
                .map_err(|_| StoreError::Url(url_shape(url)))?
                .create_if_missing(create)
                .journal_mode(SqliteJournalMode::Wal)
                // WAL with NORMAL is durable across a crash of the process (the case that
                // matters: a killed replan) and loses at most the last commits on a power loss.
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(BUSY_TIMEOUT);
            if !create
                && options.get_filename() != Path::new(":memory:")
                && !options.get_filename().exists()
            {
                return Err(StoreError::Missing(url_shape(url)));
            }
            let pool = SqlitePoolOptions::new()
                .max_connections(4)
                .connect_with(options)
                .await
                .map_err(|error| StoreError::connect(url, error))?;
            Ok(Pool::Sqlite(pool))
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let options =
                PgConnectOptions::from_str(url).map_err(|_| StoreError::Url(url_shape(url)))?;
            // Two connections by default: a process works one statement at a time, but the pool
            // hands a released connection back on a task of its own, so the next statement may
            // open a new one meanwhile. With a larger cap every short process (a CLI command, a
            // benchmark client) opened several in turn, and 32 concurrent `caretime book`
            // commands took 87 of PostgreSQL's default 100 connections. A server asks for more:
            // with two, its concurrent requests queued for a connection (each holds one through
            // its audit row's commit and fsync).
            let max = match connections {
                Connections::Few => 2,
                Connections::UpTo(max) => max.max(2),
            };
            let pool = PgPoolOptions::new()
                .max_connections(max)
                .acquire_timeout(BUSY_TIMEOUT)
                .connect_with(options)
                .await
                .map_err(|error| StoreError::connect(url, error))?;
            Ok(Pool::Postgres(pool))
        } else {
            Err(StoreError::Url(url_shape(url)))
        }
    }

    pub(crate) fn backend(&self) -> Backend {
        match self {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    fn migrator(&self) -> &'static Migrator {
        match self {
            Pool::Sqlite(_) => &SQLITE_MIGRATIONS,
            Pool::Postgres(_) => &POSTGRES_MIGRATIONS,
        }
    }

    /// The schema versions this binary knows, and the ones the database has applied.
    pub(crate) async fn schema(&self) -> Result<Schema, StoreError> {
        let known: Vec<i64> = self.migrator().iter().map(|m| m.version).collect();
        let exists = match self {
            Pool::Sqlite(pool) => {
                sqlx::query_scalar::<_, i64>(
                    "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
                )
                .fetch_one(pool)
                .await?
                    > 0
            }
            Pool::Postgres(pool) => {
                sqlx::query_scalar::<_, bool>("SELECT to_regclass('_sqlx_migrations') IS NOT NULL")
                    .fetch_one(pool)
                    .await?
            }
        };
        let applied = if exists {
            let sql = "SELECT version FROM _sqlx_migrations WHERE success ORDER BY version";
            match self {
                Pool::Sqlite(pool) => sqlx::query_scalar(sql).fetch_all(pool).await?,
                Pool::Postgres(pool) => sqlx::query_scalar(sql).fetch_all(pool).await?,
            }
        } else {
            Vec::new()
        };
        Ok(Schema { known, applied })
    }

    /// Applies the migrations the database lacks; refuses a database whose schema is newer
    /// than this binary's.
    pub(crate) async fn migrate(&self) -> Result<Vec<i64>, StoreError> {
        let schema = self.schema().await?;
        if let Some(&newer) = schema.applied.iter().find(|v| !schema.known.contains(v)) {
            return Err(StoreError::SchemaTooNew {
                database: newer,
                known: schema.known.last().copied().unwrap_or(0),
            });
        }
        let pending = schema.pending();
        match self {
            Pool::Sqlite(pool) => self.migrator().run(pool).await?,
            Pool::Postgres(pool) => self.migrator().run(pool).await?,
        }
        Ok(pending)
    }

    pub(crate) async fn close(&self) {
        match self {
            Pool::Sqlite(pool) => pool.close().await,
            Pool::Postgres(pool) => pool.close().await,
        }
    }
}

/// The database URL with any password left out, for messages.
fn url_shape(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}{user}@{}", &url[..scheme + 3], &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}

pub(crate) fn shown_url(url: &str) -> String {
    url_shape(url)
}

/// Schema versions: the binary's and the database's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Schema {
    /// Versions this binary can apply, in order.
    pub known: Vec<i64>,
    /// Versions the database has applied.
    pub applied: Vec<i64>,
}

impl Schema {
    /// Known versions not yet applied.
    pub fn pending(&self) -> Vec<i64> {
        self.known
            .iter()
            .copied()
            .filter(|v| !self.applied.contains(v))
            .collect()
    }
}

/// A value bound to a statement's parameter.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Value {
    Int(i64),
    Real(f64),
    Text(String),
    Bool(bool),
    Bytes(Vec<u8>),
    /// SQL NULL in an integer column.
    NoInt,
    /// SQL NULL in a text column.
    NoText,
}

impl From<i64> for Value {
    fn from(value: i64) -> Value {
        Value::Int(value)
    }
}

impl From<Vec<u8>> for Value {
    fn from(value: Vec<u8>) -> Value {
        Value::Bytes(value)
    }
}

impl From<u32> for Value {
    fn from(value: u32) -> Value {
        Value::Int(i64::from(value))
    }
}

impl From<bool> for Value {
    fn from(value: bool) -> Value {
        Value::Bool(value)
    }
}

impl From<f64> for Value {
    fn from(value: f64) -> Value {
        Value::Real(value)
    }
}

impl From<String> for Value {
    fn from(value: String) -> Value {
        Value::Text(value)
    }
}

impl From<&str> for Value {
    fn from(value: &str) -> Value {
        Value::Text(value.to_owned())
    }
}

impl From<Option<i64>> for Value {
    fn from(value: Option<i64>) -> Value {
        value.map_or(Value::NoInt, Value::Int)
    }
}

impl From<Option<&str>> for Value {
    fn from(value: Option<&str>) -> Value {
        value.map_or(Value::NoText, Value::from)
    }
}

/// One SQL statement and its parameters' values.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Statement {
    pub(crate) sql: Cow<'static, str>,
    pub(crate) args: Vec<Value>,
    /// The number of rows it must change (`None`: any), checked when it runs: an update of a
    /// row that is not as the journal says means the tables and the journal disagree.
    pub(crate) expect_rows: Option<u64>,
}

impl Statement {
    pub(crate) fn new(sql: &'static str, args: Vec<Value>) -> Statement {
        Statement {
            sql: Cow::Borrowed(sql),
            args,
            expect_rows: None,
        }
    }

    /// The same statement, which must change exactly one row.
    pub(crate) fn one_row(mut self) -> Statement {
        self.expect_rows = Some(1);
        self
    }
}

/// Parameters a multi-row statement binds on PostgreSQL (it allows 65,535).
pub(crate) const MAX_PARAMETERS: usize = 30_000;
/// Parameters a multi-row statement binds on SQLite. It allows 32,766, but binding is quadratic
/// in the statement's parameters there (each `$N` is found by name through a linear list): at
/// 30,000 a 5 % region's import took 100 s, nearly all in `sqlite3_bind_parameter_name`; at
/// 1,000, 4.3 s.
pub(crate) const SQLITE_MAX_PARAMETERS: usize = 1_000;

/// An error if `statement` says how many rows it changes and `rows` is another number.
fn changed_as_expected(statement: &Statement, rows: u64) -> Result<(), StoreError> {
    match statement.expect_rows {
        Some(expected) if rows != expected => Err(StoreError::Disagree(format!(
            "a statement changed {rows} rows, not {expected}: {}",
            first_words(&statement.sql)
        ))),
        _ => Ok(()),
    }
}

/// The statements as one PostgreSQL statement, each part a data-modifying `WITH` query and the
/// answer one row of the rows each changed, in order (`WITH w0 AS (INSERT ... RETURNING 1), ...
/// SELECT (SELECT count(*) FROM w0), ...`); `None` unless there are two or more, each inserts
/// rows (or is the `book` row's update of the journal's head, which no other part touches), and
/// their parameters fit one statement. The parts of one statement see the database as it was
/// before it, so a part must not read what another writes: inserts do not (their constraints,
/// foreign keys among them, are checked when the whole statement has run), but an update of a
/// row inserted by another part would not find it, hence only inserts.
pub(crate) fn combined(statements: &[Statement]) -> Option<String> {
    let parameters: usize = statements
        .iter()
        .map(|statement| statement.args.len())
        .sum();
    let combinable = |sql: &str| {
        (sql.starts_with("INSERT INTO ") || sql.starts_with("UPDATE book SET journal_seq "))
            && !sql.contains("RETURNING")
            && !sql.contains("WITH")
    };
    if statements.len() < 2
        || parameters > MAX_PARAMETERS
        || !statements
            .iter()
            .all(|statement| combinable(&statement.sql))
    {
        return None;
    }
    let mut sql = String::with_capacity(
        statements
            .iter()
            .map(|statement| statement.sql.len() + 48)
            .sum(),
    );
    let mut offset = 0;
    for (part, statement) in statements.iter().enumerate() {
        sql.push_str(if part == 0 { "WITH " } else { ", " });
        sql.push_str(&format!("w{part} AS ("));
        push_renumbered(&mut sql, &statement.sql, offset);
        sql.push_str(" RETURNING 1)");
        offset += statement.args.len();
    }
    sql.push_str(" SELECT ");
    for part in 0..statements.len() {
        if part > 0 {
            sql.push_str(", ");
        }
        sql.push_str(&format!("(SELECT count(*) FROM w{part})"));
    }
    Some(sql)
}

/// Appends `sql` with each parameter `$N` written `$(N + offset)`.
fn push_renumbered(out: &mut String, sql: &str, offset: usize) {
    let mut rest = sql;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..=at]);
        rest = &rest[at + 1..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        match rest[..digits].parse::<usize>() {
            Ok(n) => out.push_str(&(n + offset).to_string()),
            Err(_) => out.push_str(&rest[..digits]),
        }
        rest = &rest[digits..];
    }
    out.push_str(rest);
}

/// `prefix` (`INSERT INTO t (a, b) VALUES `) followed by `rows` tuples of `width` parameters.
pub(crate) fn values_sql(prefix: &str, width: usize, rows: usize) -> String {
    let mut sql = String::with_capacity(prefix.len() + rows * width * 6);
    sql.push_str(prefix);
    push_tuples(&mut sql, width, 0..rows);
    sql
}

/// Appends the tuples of parameters of `rows` (`($1, $2), ($3, $4)` for rows 0 and 1 of width
/// 2), separated by commas.
fn push_tuples(sql: &mut String, width: usize, rows: std::ops::Range<usize>) {
    let first = rows.start;
    for row in rows {
        if row > first {
            sql.push_str(", ");
        }
        sql.push('(');
        for column in 0..width {
            if column > 0 {
                sql.push_str(", ");
            }
            sql.push('$');
            sql.push_str(&(row * width + column + 1).to_string());
        }
        sql.push(')');
    }
}

/// Where a statement's one tuple of parameters is, if it merges with others of its text: the
/// text is `head` (ending `VALUES `), the tuple (parameters `$1` to `$N` in order, each perhaps
/// inside a cast), then `tail`, and no parameter is outside the tuple.
struct Tuple<'a> {
    head: &'a str,
    tuple: &'a str,
    tail: &'a str,
    /// An `UPDATE ... FROM (VALUES ...)`: a merged one changes each row once, so its tuples name
    /// different rows (by their first parameter).
    update: bool,
}

fn tuple(statement: &Statement) -> Option<Tuple<'_>> {
    let sql = statement.sql.as_ref();
    let update = sql.starts_with("UPDATE ");
    if !(update || sql.starts_with("INSERT INTO ")) || statement.args.is_empty() {
        return None;
    }
    let open = sql.find("VALUES (")? + "VALUES ".len();
    let mut depth = 0usize;
    let mut close = None;
    for (at, byte) in sql.bytes().enumerate().skip(open) {
        match byte {
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    close = Some(at + 1);
                    break;
                }
            }
            _ => {}
        }
    }
    let close = close?;
    let (head, tuple, tail) = (&sql[..open], &sql[open..close], &sql[close..]);
    if head.contains('$') || tail.contains('$') || tail.contains("VALUES") || sql.contains("SELECT")
    {
        return None;
    }
    // The parameters, in order: $1 to $N, as many as the statement binds.
    let mut expected = 1;
    let mut rest = tuple;
    while let Some(at) = rest.find('$') {
        rest = &rest[at + 1..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if rest[..digits].parse::<usize>().ok() != Some(expected) {
            return None;
        }
        expected += 1;
        rest = &rest[digits..];
    }
    (expected - 1 == statement.args.len()).then_some(Tuple {
        head,
        tuple,
        tail,
        update,
    })
}

/// The statements in order, each run of single-row statements of the same text that carry one
/// tuple of values (`INSERT INTO t (a, b) VALUES ($1, $2)`, `... ON CONFLICT (a) DO NOTHING`,
/// `UPDATE t AS x SET ... FROM (VALUES ($1, $2)) AS v WHERE ...`) merged into statements of many
/// tuples, as many as `max_parameters` allows: a replan of thousands of moves makes a few round
/// trips, not thousands. A merged statement must change as many rows as its parts together
/// (when each says how many), so a status update that finds its row in another status still
/// fails the transaction. A merged update's tuples name different rows (a run is cut before a
/// tuple whose first value, the row's id, the statement changes already): one statement
/// changes a row once, so two changes of one row must stay two statements, in order.
pub(crate) fn batched(statements: Vec<Statement>, max_parameters: usize) -> Vec<Statement> {
    let mut out: Vec<Statement> = Vec::with_capacity(statements.len());
    let mut run: Vec<Statement> = Vec::new();
    let mut keys: HashSet<i64> = HashSet::new();
    for statement in statements {
        let Some(shape) = tuple(&statement) else {
            flush(&mut run, &mut out);
            keys.clear();
            out.push(statement);
            continue;
        };
        let joins = run.first().is_some_and(|first| {
            first.sql == statement.sql
                && first.args.len() == statement.args.len()
                && first.expect_rows.is_some() == statement.expect_rows.is_some()
        });
        let full = (run.len() + 1) * statement.args.len() > max_parameters;
        let key = match statement.args.first() {
            Some(Value::Int(key)) => Some(*key),
            _ => None,
        };
        let repeats = shape.update && key.is_none_or(|key| keys.contains(&key));
        if !joins || full || repeats {
            flush(&mut run, &mut out);
            keys.clear();
        }
        if shape.update
            && let Some(key) = key
        {
            keys.insert(key);
        }
        run.push(statement);
    }
    flush(&mut run, &mut out);
    out
}

/// Appends the run to `out` as one statement (a run of one as it is).
fn flush(run: &mut Vec<Statement>, out: &mut Vec<Statement>) {
    if run.len() < 2 {
        out.append(run);
        return;
    }
    let first = &run[0];
    let Some(shape) = tuple(first) else {
        out.append(run);
        return;
    };
    let width = first.args.len();
    let mut sql = String::with_capacity(first.sql.len() + run.len() * width * 6);
    sql.push_str(shape.head);
    // The first tuple as written (with its casts), then plain ones.
    sql.push_str(shape.tuple);
    sql.push_str(", ");
    push_tuples(&mut sql, width, 1..run.len());
    sql.push_str(shape.tail);
    let expect_rows = run
        .iter()
        .map(|statement| statement.expect_rows)
        .sum::<Option<u64>>();
    let args = run.drain(..).flat_map(|statement| statement.args).collect();
    out.push(Statement {
        sql: sql.into(),
        args,
        expect_rows,
    });
}

macro_rules! bind_all {
    ($query:expr, $args:expr) => {{
        let mut query = $query;
        for arg in $args {
            query = match arg {
                Value::Int(v) => query.bind(*v),
                Value::Real(v) => query.bind(*v),
                Value::Text(v) => query.bind(v.clone()),
                Value::Bool(v) => query.bind(*v),
                Value::Bytes(v) => query.bind(v.clone()),
                Value::NoInt => query.bind(None::<i64>),
                Value::NoText => query.bind(None::<String>),
            };
        }
        query
    }};
}

/// A write transaction holding the book's write lock.
#[derive(Debug)]
pub(crate) enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

impl Tx {
    /// Begins a transaction that holds the write lock until it ends, and reads the journal's
    /// head under it. SQLite: `BEGIN IMMEDIATE` (one writer at a time, the others wait up to
    /// the busy timeout). PostgreSQL: the book row locked `FOR UPDATE`.
    pub(crate) async fn begin(pool: &Pool) -> Result<(Tx, i64), StoreError> {
        match pool {
            Pool::Sqlite(pool) => {
                let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                let head = sqlx::query_scalar("SELECT journal_seq FROM book WHERE id = 1")
                    .fetch_optional(&mut *tx)
                    .await?
                    .ok_or(StoreError::Empty)?;
                Ok((Tx::Sqlite(tx), head))
            }
            Pool::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                let head =
                    sqlx::query_scalar("SELECT journal_seq FROM book WHERE id = 1 FOR UPDATE")
                        .fetch_optional(&mut *tx)
                        .await?
                        .ok_or(StoreError::Empty)?;
                Ok((Tx::Postgres(tx), head))
            }
        }
    }

    /// Begins a transaction for loading data into an empty database (the same lock).
    pub(crate) async fn begin_unlocked(pool: &Pool) -> Result<Tx, StoreError> {
        match pool {
            Pool::Sqlite(pool) => Ok(Tx::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await?)),
            Pool::Postgres(pool) => Ok(Tx::Postgres(pool.begin().await?)),
        }
    }

    /// The most parameters a multi-row statement should bind on this backend.
    pub(crate) fn max_parameters(&self) -> usize {
        match self {
            Tx::Sqlite(_) => SQLITE_MAX_PARAMETERS,
            Tx::Postgres(_) => MAX_PARAMETERS,
        }
    }

    /// Runs `statement`, checking the number of rows it changed if it says.
    pub(crate) async fn run(&mut self, statement: &Statement) -> Result<u64, StoreError> {
        let sql = AssertSqlSafe(statement.sql.clone());
        let rows = match self {
            Tx::Sqlite(tx) => bind_all!(sqlx::query(sql), &statement.args)
                .execute(&mut **tx)
                .await?
                .rows_affected(),
            Tx::Postgres(tx) => bind_all!(sqlx::query(sql), &statement.args)
                .execute(&mut **tx)
                .await?
                .rows_affected(),
        };
        changed_as_expected(statement, rows)?;
        Ok(rows)
    }

    /// Runs the statements in order. On PostgreSQL, statements that only insert ([`combined`])
    /// go as one, a round trip for all of them (a batch's journal, table and audit rows).
    pub(crate) async fn run_all(&mut self, statements: &[Statement]) -> Result<(), StoreError> {
        if let Tx::Postgres(tx) = self
            && let Some(sql) = combined(statements)
        {
            let row = bind_all!(
                sqlx::query(AssertSqlSafe(sql)),
                statements.iter().flat_map(|statement| &statement.args)
            )
            .fetch_one(&mut **tx)
            .await?;
            for (column, statement) in statements.iter().enumerate() {
                let rows: i64 = row.try_get(column)?;
                changed_as_expected(statement, u64::try_from(rows).unwrap_or(0))?;
            }
            return Ok(());
        }
        for statement in statements {
            self.run(statement).await?;
        }
        Ok(())
    }

    /// A count (`SELECT count(*) ...`) read inside the transaction.
    pub(crate) async fn count(&mut self, sql: &'static str) -> Result<i64, StoreError> {
        Ok(match self {
            Tx::Sqlite(tx) => sqlx::query_scalar(sql).fetch_one(&mut **tx).await?,
            Tx::Postgres(tx) => sqlx::query_scalar(sql).fetch_one(&mut **tx).await?,
        })
    }

    pub(crate) async fn commit(self) -> Result<(), StoreError> {
        match self {
            Tx::Sqlite(tx) => tx.commit().await?,
            Tx::Postgres(tx) => tx.commit().await?,
        }
        Ok(())
    }

    pub(crate) async fn rollback(self) -> Result<(), StoreError> {
        match self {
            Tx::Sqlite(tx) => tx.rollback().await?,
            Tx::Postgres(tx) => tx.rollback().await?,
        }
        Ok(())
    }
}

/// The statement's first words, to say which one failed without its values.
fn first_words(sql: &str) -> String {
    sql.split_whitespace().take(4).collect::<Vec<_>>().join(" ")
}

/// Whether `error` is the database refusing a write another writer's made impossible: an
/// overlap refused by the exclusion constraint (PostgreSQL, SQLSTATE 23P01) or the SQLite
/// trigger, a unique key already taken, or a lock not granted in time.
pub(crate) fn is_race(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Database(db) => {
            let code = db.code();
            let code = code.as_deref().unwrap_or("");
            // PostgreSQL: exclusion violation, unique violation, serialization failure,
            // deadlock. SQLite: BUSY (5), LOCKED (6), and the trigger's abort (a constraint,
            // with its message).
            matches!(
                code,
                "23P01" | "23505" | "40001" | "40P01" | "5" | "6" | "517"
            ) || db.message().contains("caretime: overlapping appointment")
        }
        sqlx::Error::PoolTimedOut => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn insert(a: i64) -> Statement {
        Statement::new(
            "INSERT INTO t (a, b) VALUES ($1, $2)",
            vec![a.into(), "x".into()],
        )
    }

    #[test]
    fn inserts_and_the_head_combine_into_one_statement_with_parameters_renumbered() {
        let merged = batched(vec![insert(1), insert(2)], MAX_PARAMETERS);
        let head = Statement::new(
            "UPDATE book SET journal_seq = $1 WHERE id = 1 AND journal_seq = $2",
            vec![5i64.into(), 3i64.into()],
        )
        .one_row();
        let audit = Statement::new("INSERT INTO audit (x) VALUES ($1::text)", vec!["a".into()]);
        let parts = [merged[0].clone(), head, audit];
        assert_eq!(
            combined(&parts).expect("combinable"),
            "WITH w0 AS (INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4) RETURNING 1), \
             w1 AS (UPDATE book SET journal_seq = $5 WHERE id = 1 AND journal_seq = $6 \
             RETURNING 1), w2 AS (INSERT INTO audit (x) VALUES ($7::text) RETURNING 1) \
             SELECT (SELECT count(*) FROM w0), (SELECT count(*) FROM w1), \
             (SELECT count(*) FROM w2)"
        );
        // One statement runs as it is; an update of another table could read what an insert of
        // the same statement wrote, so it runs apart; and so does anything past the limit.
        assert_eq!(combined(&parts[..1]), None);
        let status = Statement::new("UPDATE appointment SET status = $1", vec!["x".into()]);
        assert_eq!(combined(&[parts[0].clone(), status]), None);
        let wide = Statement {
            sql: "INSERT INTO t (a) VALUES ($1)".into(),
            args: vec![Value::Int(0); MAX_PARAMETERS],
            expect_rows: None,
        };
        assert_eq!(combined(&[parts[0].clone(), wide]), None);
    }

    #[test]
    fn runs_of_one_insert_merge_and_other_statements_keep_their_place() {
        let update = Statement::new("UPDATE t SET b = $1", vec!["y".into()]).one_row();
        let out = batched(
            vec![insert(1), insert(2), update.clone(), insert(3)],
            MAX_PARAMETERS,
        );
        assert_eq!(out.len(), 3);
        assert_eq!(out[0].sql, "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)");
        assert_eq!(
            out[0].args,
            vec![Value::Int(1), "x".into(), Value::Int(2), "x".into()]
        );
        assert_eq!(
            out[0].expect_rows, None,
            "inserts say nothing of their rows"
        );
        assert_eq!(out[1], update);
        assert_eq!(out[2], insert(3));
    }

    #[test]
    fn a_long_run_is_cut_at_the_parameter_limit() {
        let n = MAX_PARAMETERS / 2 + 7;
        let out = batched((0..n as i64).map(insert).collect(), MAX_PARAMETERS);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].args.len(), MAX_PARAMETERS);
        assert_eq!(out[1].args.len(), 14);
        assert_eq!(out[1].args[0], Value::Int((MAX_PARAMETERS / 2) as i64));
    }

    #[test]
    fn an_insert_from_a_select_is_never_merged() {
        let select = Statement::new("INSERT INTO t (a, b) SELECT a, $1 FROM u", vec!["x".into()]);
        let out = batched(vec![select.clone(), select.clone()], MAX_PARAMETERS);
        assert_eq!(out, vec![select.clone(), select]);
    }

    /// A status update of row `id` from `from`, as `tables` writes one: a tuple of values,
    /// cast in SQL, joined to the table.
    fn set_status(id: i64, from: &str) -> Statement {
        Statement::new(
            "UPDATE t AS a SET s = v.column3, n = v.column4 FROM (VALUES (CAST($1 AS BIGINT), \
             CAST($2 AS TEXT), CAST($3 AS TEXT), CAST($4 AS BIGINT))) AS v \
             WHERE a.id = v.column1 AND a.s = v.column2",
            vec![id.into(), from.into(), "cancelled".into(), Value::NoInt],
        )
        .one_row()
    }

    #[test]
    fn a_run_of_status_updates_merges_and_must_change_every_row() {
        let out = batched(
            vec![set_status(1, "booked"), set_status(2, "pending"), insert(3)],
            MAX_PARAMETERS,
        );
        assert_eq!(out.len(), 2);
        assert_eq!(
            out[0].sql,
            "UPDATE t AS a SET s = v.column3, n = v.column4 FROM (VALUES (CAST($1 AS BIGINT), \
             CAST($2 AS TEXT), CAST($3 AS TEXT), CAST($4 AS BIGINT)), ($5, $6, $7, $8)) AS v \
             WHERE a.id = v.column1 AND a.s = v.column2"
        );
        assert_eq!(
            out[0].args,
            vec![
                Value::Int(1),
                "booked".into(),
                "cancelled".into(),
                Value::NoInt,
                Value::Int(2),
                "pending".into(),
                "cancelled".into(),
                Value::NoInt,
            ]
        );
        assert_eq!(out[0].expect_rows, Some(2), "both rows, or the write fails");
        assert_eq!(out[1], insert(3));
    }

    #[test]
    fn two_updates_of_one_row_stay_in_order_in_two_statements() {
        // Pending to booked, then booked to cancelled: one statement would change the row once.
        let out = batched(
            vec![
                set_status(1, "booked"),
                set_status(7, "pending"),
                set_status(2, "booked"),
                set_status(7, "booked"),
                set_status(3, "booked"),
            ],
            MAX_PARAMETERS,
        );
        let ids: Vec<Vec<&Value>> = out
            .iter()
            .map(|statement| statement.args.iter().step_by(4).collect())
            .collect();
        assert_eq!(
            ids,
            vec![
                vec![&Value::Int(1), &Value::Int(7), &Value::Int(2)],
                vec![&Value::Int(7), &Value::Int(3)],
            ]
        );
        assert_eq!(out[0].expect_rows, Some(3));
        assert_eq!(out[1].expect_rows, Some(2));
    }

    #[test]
    fn updates_are_cut_at_the_parameter_limit() {
        let out = batched(
            (0..2_001).map(|id| set_status(id, "booked")).collect(),
            SQLITE_MAX_PARAMETERS,
        );
        let rows: Vec<Option<u64>> = out.iter().map(|statement| statement.expect_rows).collect();
        assert_eq!(
            rows,
            vec![Some(250); 8]
                .into_iter()
                .chain([Some(1)])
                .collect::<Vec<_>>()
        );
        assert!(
            out.iter()
                .all(|statement| statement.args.len() <= SQLITE_MAX_PARAMETERS)
        );
        assert!(out[0].sql.contains("($997, $998, $999, $1000)) AS v"));
        assert_eq!(out[8], set_status(2_000, "booked"));
    }

    #[test]
    fn an_insert_that_may_do_nothing_merges_and_expects_no_count() {
        let upsert = |id: i64| {
            Statement::new(
                "INSERT INTO r (id, b) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING",
                vec![id.into(), "x".into()],
            )
        };
        let out = batched(vec![upsert(1), upsert(1), upsert(2)], MAX_PARAMETERS);
        assert_eq!(out.len(), 1);
        assert_eq!(
            out[0].sql,
            "INSERT INTO r (id, b) VALUES ($1, $2), ($3, $4), ($5, $6) ON CONFLICT (id) DO NOTHING"
        );
        assert_eq!(out[0].expect_rows, None);
    }

    #[test]
    fn a_statement_with_values_outside_its_tuple_is_never_merged() {
        let odd = Statement::new(
            "UPDATE t AS a SET s = $3 FROM (VALUES ($1, $2)) AS v WHERE a.id = v.column1",
            vec![1i64.into(), "x".into(), "y".into()],
        );
        let out = batched(vec![odd.clone(), odd.clone()], MAX_PARAMETERS);
        assert_eq!(out, vec![odd.clone(), odd]);
    }
}
