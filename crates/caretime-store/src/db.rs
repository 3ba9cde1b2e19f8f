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

/// A PostgreSQL connection idle for longer than this is pinged before it is handed out; one in
/// steady use is not. sqlx pings at every acquire by default, a round trip that was one of the
/// two a served request's token lookup made. A server restarted or a connection cut while in
/// use shows as an error of the statement it was running, and sqlx closes that connection.
const PING_WHEN_IDLE: Duration = Duration::from_secs(30);

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
                .test_before_acquire(false)
                .before_acquire(|connection, meta| {
                    Box::pin(async move {
                        if meta.idle_for > PING_WHEN_IDLE {
                            sqlx::Connection::ping(connection).await?;
                        }
                        Ok(true)
                    })
                })
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

/// A parameter of a [`Combined`] statement.
#[derive(Debug, PartialEq)]
enum Parameter<'a> {
    One(&'a Value),
    Column(Column),
}

/// One column of a run of inserts, as an array.
#[derive(Debug, PartialEq)]
enum Column {
    Ints(Vec<Option<i64>>),
    Reals(Vec<Option<f64>>),
    Texts(Vec<Option<String>>),
    Bools(Vec<Option<bool>>),
    Bytes(Vec<Option<Vec<u8>>>),
}

impl Column {
    /// The column of `values` (one type, and nulls), or `None` if they mix types. A column of
    /// nulls only is of the type its nulls say (`NoInt`, `NoText`).
    fn of<'a>(values: impl Iterator<Item = &'a Value> + Clone) -> Option<Column> {
        let typed = values
            .clone()
            .find(|value| !matches!(value, Value::NoInt | Value::NoText))
            .or_else(|| values.clone().next())?;
        fn gather<'a, T>(
            values: impl Iterator<Item = &'a Value>,
            get: impl Fn(&Value) -> Option<T>,
        ) -> Option<Vec<Option<T>>> {
            values
                .map(|value| match value {
                    Value::NoInt | Value::NoText => Some(None),
                    value => get(value).map(Some),
                })
                .collect()
        }
        Some(match typed {
            Value::Int(_) | Value::NoInt => Column::Ints(gather(values, |value| match value {
                Value::Int(v) => Some(*v),
                _ => None,
            })?),
            Value::Real(_) => Column::Reals(gather(values, |value| match value {
                Value::Real(v) => Some(*v),
                _ => None,
            })?),
            Value::Text(_) | Value::NoText => Column::Texts(gather(values, |value| match value {
                Value::Text(v) => Some(v.clone()),
                _ => None,
            })?),
            Value::Bool(_) => Column::Bools(gather(values, |value| match value {
                Value::Bool(v) => Some(*v),
                _ => None,
            })?),
            Value::Bytes(_) => Column::Bytes(gather(values, |value| match value {
                Value::Bytes(v) => Some(v.clone()),
                _ => None,
            })?),
        })
    }

    /// Its array type in PostgreSQL.
    fn array_type(&self) -> &'static str {
        match self {
            Column::Ints(_) => "int8[]",
            Column::Reals(_) => "float8[]",
            Column::Texts(_) => "text[]",
            Column::Bools(_) => "bool[]",
            Column::Bytes(_) => "bytea[]",
        }
    }
}

/// Single-row statements as one PostgreSQL statement whose text depends only on which statement
/// texts there are, not on how many of each: every statement of one text becomes one part, a
/// data-modifying `WITH` query inserting from arrays (`INSERT INTO t (a, b) SELECT u.c1, u.c2
/// FROM unnest($1::int8[], $2::text[]) AS u (c1, c2)`), and the answer is one row of the rows
/// each part changed. A server's batches of bookings are then one prepared statement, planned
/// once, however many bookings each holds. Only for inserts (and the `book` row's update of the
/// journal's head, which no other part touches): the parts of one statement see the database as
/// it was before it, so a part must not read what another writes. Inserts do not: their
/// constraints, foreign keys among them, are checked once the whole statement has run.
#[derive(Debug)]
struct Combined<'a> {
    sql: String,
    parameters: Vec<Parameter<'a>>,
    /// Each part's text and how many rows it must change, in the answer's order.
    parts: Vec<(&'a str, Option<u64>)>,
}

impl<'a> Combined<'a> {
    fn of(statements: &'a [Statement]) -> Option<Combined<'a>> {
        // The texts in the order they first come, each with its statements.
        let mut texts: Vec<(&str, Vec<&Statement>)> = Vec::new();
        for statement in statements {
            match texts.iter_mut().find(|(sql, _)| *sql == statement.sql) {
                Some((_, run)) => run.push(statement),
                None => texts.push((&statement.sql, vec![statement])),
            }
        }
        if statements.len() < 2 {
            return None;
        }
        let mut sql = String::new();
        let mut parameters = Vec::new();
        let mut parts = Vec::new();
        for (part, (text, run)) in texts.into_iter().enumerate() {
            sql.push_str(if part == 0 { "WITH " } else { ", " });
            sql.push_str(&format!("w{part} AS ("));
            let expected = run
                .iter()
                .map(|statement| statement.expect_rows)
                .sum::<Option<u64>>();
            if run.iter().any(|statement| statement.expect_rows.is_some()) && expected.is_none() {
                return None;
            }
            if text.starts_with("UPDATE book SET journal_seq ") && run.len() == 1 {
                push_renumbered(&mut sql, text, parameters.len());
                parameters.extend(run[0].args.iter().map(Parameter::One));
            } else {
                let shape = tuple(run[0]).filter(|shape| !shape.update)?;
                if text.contains("RETURNING") || text.contains("WITH") {
                    return None;
                }
                let width = run[0].args.len();
                let columns = (0..width)
                    .map(|column| {
                        Column::of(run.iter().map(move |statement| &statement.args[column]))
                    })
                    .collect::<Option<Vec<_>>>()?;
                // `INSERT INTO t (a, b) VALUES ` without its `VALUES`, then the tuple's
                // expressions over the arrays' columns.
                sql.push_str(shape.head.strip_suffix("VALUES ")?);
                sql.push_str("SELECT ");
                let expressions = shape.tuple.strip_prefix('(')?.strip_suffix(')')?;
                let mut columns_sql = String::new();
                push_renumbered_as(&mut columns_sql, expressions, |n| format!("u.c{n}"));
                sql.push_str(&columns_sql);
                sql.push_str(" FROM unnest(");
                for (column, values) in columns.iter().enumerate() {
                    if column > 0 {
                        sql.push_str(", ");
                    }
                    sql.push_str(&format!(
                        "${}::{}",
                        parameters.len() + column + 1,
                        values.array_type()
                    ));
                }
                sql.push_str(") AS u (");
                for column in 1..=width {
                    if column > 1 {
                        sql.push_str(", ");
                    }
                    sql.push_str(&format!("c{column}"));
                }
                sql.push(')');
                sql.push_str(shape.tail);
                parameters.extend(columns.into_iter().map(Parameter::Column));
            }
            sql.push_str(" RETURNING 1)");
            parts.push((text, expected));
        }
        if parameters.len() > MAX_PARAMETERS {
            return None;
        }
        sql.push_str(" SELECT ");
        for part in 0..parts.len() {
            if part > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("(SELECT count(*) FROM w{part})"));
        }
        Some(Combined {
            sql,
            parameters,
            parts,
        })
    }
}

/// Appends `sql` with each parameter `$N` written `$(N + offset)`.
fn push_renumbered(out: &mut String, sql: &str, offset: usize) {
    push_renumbered_as(out, sql, |n| format!("${}", n + offset));
}

/// Appends `sql` with each parameter `$N` written as `name(N)`.
fn push_renumbered_as(out: &mut String, sql: &str, name: impl Fn(usize) -> String) {
    let mut rest = sql;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        rest = &rest[at + 1..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        match rest[..digits].parse::<usize>() {
            Ok(n) => out.push_str(&name(n)),
            Err(_) => {
                out.push('$');
                out.push_str(&rest[..digits]);
            }
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

    /// Runs single-row statements in order, runs of one text merged ([`batched`]). On
    /// PostgreSQL, statements that only insert go as one ([`Combined`]): a round trip for a
    /// batch's journal, table and audit rows, of a text that does not change with their number.
    pub(crate) async fn run_all(&mut self, statements: Vec<Statement>) -> Result<(), StoreError> {
        if let Tx::Postgres(tx) = self
            && let Some(combined) = Combined::of(&statements)
        {
            let mut query = sqlx::query(AssertSqlSafe(combined.sql));
            for parameter in combined.parameters {
                query = match parameter {
                    Parameter::One(Value::Int(v)) => query.bind(*v),
                    Parameter::One(Value::Real(v)) => query.bind(*v),
                    Parameter::One(Value::Text(v)) => query.bind(v.clone()),
                    Parameter::One(Value::Bool(v)) => query.bind(*v),
                    Parameter::One(Value::Bytes(v)) => query.bind(v.clone()),
                    Parameter::One(Value::NoInt) => query.bind(None::<i64>),
                    Parameter::One(Value::NoText) => query.bind(None::<String>),
                    Parameter::Column(Column::Ints(v)) => query.bind(v),
                    Parameter::Column(Column::Reals(v)) => query.bind(v),
                    Parameter::Column(Column::Texts(v)) => query.bind(v),
                    Parameter::Column(Column::Bools(v)) => query.bind(v),
                    Parameter::Column(Column::Bytes(v)) => query.bind(v),
                };
            }
            let row = query.fetch_one(&mut **tx).await?;
            for (column, (sql, expected)) in combined.parts.iter().enumerate() {
                let rows: i64 = row.try_get(column)?;
                let rows = u64::try_from(rows).unwrap_or(0);
                if let Some(expected) = expected
                    && rows != *expected
                {
                    return Err(StoreError::Disagree(format!(
                        "a statement changed {rows} rows, not {expected}: {}",
                        first_words(sql)
                    )));
                }
            }
            return Ok(());
        }
        let max = self.max_parameters();
        for statement in batched(statements, max) {
            self.run(&statement).await?;
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
    fn inserts_and_the_head_combine_into_one_statement_of_arrays() {
        let head = Statement::new(
            "UPDATE book SET journal_seq = $1 WHERE id = 1 AND journal_seq = $2",
            vec![5i64.into(), 3i64.into()],
        )
        .one_row();
        let audit = |who: Value| {
            Statement::new(
                "INSERT INTO audit (x, n) VALUES ($1::text, $2)",
                vec![who, Value::NoInt],
            )
            .one_row()
        };
        let statements = [
            insert(1),
            audit("a".into()),
            insert(2),
            head.clone(),
            audit(Value::NoText),
        ];
        let combined = Combined::of(&statements).expect("combinable");
        assert_eq!(
            combined.sql,
            "WITH w0 AS (INSERT INTO t (a, b) SELECT u.c1, u.c2 FROM unnest($1::int8[], \
             $2::text[]) AS u (c1, c2) RETURNING 1), \
             w1 AS (INSERT INTO audit (x, n) SELECT u.c1::text, u.c2 FROM unnest($3::text[], \
             $4::int8[]) AS u (c1, c2) RETURNING 1), \
             w2 AS (UPDATE book SET journal_seq = $5 WHERE id = 1 AND journal_seq = $6 \
             RETURNING 1) \
             SELECT (SELECT count(*) FROM w0), (SELECT count(*) FROM w1), \
             (SELECT count(*) FROM w2)"
        );
        assert_eq!(
            combined.parameters,
            vec![
                Parameter::Column(Column::Ints(vec![Some(1), Some(2)])),
                Parameter::Column(Column::Texts(vec![Some("x".into()), Some("x".into())])),
                Parameter::Column(Column::Texts(vec![Some("a".into()), None])),
                Parameter::Column(Column::Ints(vec![None, None])),
                Parameter::One(&Value::Int(5)),
                Parameter::One(&Value::Int(3)),
            ]
        );
        assert_eq!(
            combined
                .parts
                .iter()
                .map(|(_, rows)| *rows)
                .collect::<Vec<_>>(),
            vec![None, Some(2), Some(1)]
        );
        // The text does not change with the number of rows.
        let more = [
            insert(1),
            insert(2),
            insert(3),
            audit("a".into()),
            head.clone(),
        ];
        let fewer = [insert(1), audit("a".into()), head.clone()];
        assert_eq!(
            Combined::of(&more).expect("combinable").sql,
            Combined::of(&fewer).expect("combinable").sql
        );
        // One statement runs as it is; an update of another table could read what an insert of
        // the same statement wrote, so it runs apart; so do types that mix in a column.
        assert!(Combined::of(&statements[..1]).is_none());
        let status = Statement::new("UPDATE appointment SET status = $1", vec!["x".into()]);
        assert!(Combined::of(&[insert(1), status]).is_none());
        let mixed = Statement::new(
            "INSERT INTO t (a, b) VALUES ($1, $2)",
            vec![1i64.into(), 2i64.into()],
        );
        assert!(Combined::of(&[insert(1), mixed]).is_none());
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
