//! The book, persisted: SQLite (the embedded default) or PostgreSQL.
//!
//! The database is the source of truth; a process's in-memory [`Book`] is a cache of it
//! ([`live::LiveBook`]). Every accepted decision's changes are appended to the journal and
//! applied to the tables in one transaction, and reach the cache only after the commit. Before
//! each decision a process catches up on the journal rows it has not seen. The database itself
//! refuses a double booking (an exclusion constraint on PostgreSQL, a trigger inside SQLite's
//! single write transaction), and every read or write of member data writes an audit row. A
//! decision may write a [`record::Record`] in the same transaction, saying why it was made (a
//! replan's disruption and counts).
//!
//! [`Book`]: caretime_engine::book::Book

pub mod check;
mod db;
pub mod live;
pub mod query;
pub mod record;
pub mod region;
pub mod shared;
pub mod snapshot;
mod tables;
mod tokens;
pub mod users;
pub mod wire;

use caretime_engine::book::ApplyError;
use caretime_region::file::RegionFileError;
use jiff::Timestamp;

pub use db::{Backend, Connections, Schema};
use db::{Pool, Statement, Tx};

/// What went wrong in the store. Messages name tables, fields and ids, never a member's data.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Not a URL the store can open.
    #[error(
        "`{0}` is not a database URL: use sqlite://FILE (created if missing) or \
         postgres://USER@HOST:PORT/DATABASE"
    )]
    Url(String),
    /// No database at that URL (a SQLite file is created only by `db init` and `import`).
    #[error(
        "there is no database at {0}: create it with `caretime import REGION.json` (or `caretime \
         db init`), or name another with --database"
    )]
    Missing(String),
    /// The database could not be reached.
    #[error("cannot open the database {url}: {message}")]
    Connect {
        /// The URL, without its password.
        url: String,
        /// Why.
        message: String,
    },
    /// The database was written by a newer caretime.
    #[error(
        "the database's schema (version {database}) is newer than this caretime's (version \
         {known}): use a newer caretime"
    )]
    SchemaTooNew {
        /// The newest version the database has.
        database: i64,
        /// The newest version this binary knows.
        known: i64,
    },
    /// No region has been imported.
    #[error("the database holds no region yet: import one with `caretime import REGION.json`")]
    Empty,
    /// A region is there already.
    #[error("the database holds a region already (one database, one region)")]
    AlreadyImported,
    /// The journal and the tables (or the cache) disagree.
    #[error("the database is inconsistent: {0}; run `caretime db check`")]
    Disagree(String),
    /// A journal row could not be read back.
    #[error("journal row {seq}: {error}")]
    Journal {
        /// Its sequence number.
        seq: i64,
        /// Why.
        error: wire::WireError,
    },
    /// The stored region is not valid.
    #[error("the stored region: {0}")]
    Region(#[from] RegionFileError),
    /// The stored rule set is not valid.
    #[error("the stored rule set: {0}")]
    Rules(String),
    /// A journal row does not apply to the book.
    #[error("journal row {seq} does not apply to the book: {error}")]
    Apply {
        /// The decision's first sequence number.
        seq: i64,
        /// Why.
        error: ApplyError,
    },
    /// A snapshot could not be read back.
    #[error(
        "the snapshot at journal row {seq} (part {part}) does not load: {message}; write a new \
         one with `caretime db snapshot`"
    )]
    Snapshot {
        /// The last journal row it holds.
        seq: i64,
        /// Which part.
        part: i64,
        /// Why.
        message: String,
    },
    /// A user of that name exists already.
    #[error("there is a user named `{0}` already")]
    UserExists(String),
    /// No user of that name.
    #[error("there is no user named `{0}`")]
    NoUser(String),
    /// The book could not be built.
    #[error("the book: {0}")]
    Book(String),
    /// Migrations failed.
    #[error("migrating the database: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The database refused or failed a statement.
    #[error("database: {0}")]
    Sql(#[from] sqlx::Error),
}

impl StoreError {
    fn connect(url: &str, error: sqlx::Error) -> StoreError {
        let message = match &error {
            sqlx::Error::Database(db) => db.message().to_owned(),
            sqlx::Error::Io(io) => io.to_string(),
            other => other.to_string(),
        };
        StoreError::Connect {
            url: db::shown_url(url),
            message,
        }
    }

    /// Whether the error is a write lost to a concurrent writer (an overlap the database
    /// refused, a busy lock).
    pub fn is_race(&self) -> bool {
        matches!(self, StoreError::Sql(error) if db::is_race(error))
    }
}

/// Who acts, and from where: what the audit log records of each access.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    /// A user or a process (`cli:alice`); never a member's data.
    pub who: String,
    /// Where from (`host/pid`, an address).
    pub source: String,
}

/// One audit event: who did what to which member data, and how it ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEvent {
    /// `read`, `create`, `update`, ...
    pub action: &'static str,
    /// The kind of record: `appointment`, `member`, `region`, ...
    pub entity: &'static str,
    /// Which (an id), or none for many.
    pub entity_id: Option<String>,
    /// `ok`, `refused`, `conflict`, `error`.
    pub outcome: &'static str,
}

/// A row of the audit log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditRow {
    /// Its number, in the order written.
    pub id: i64,
    /// When.
    pub at: Timestamp,
    /// Who.
    pub actor: String,
    /// From where.
    pub source: String,
    /// What.
    pub action: String,
    /// On what kind of record.
    pub entity: String,
    /// Which.
    pub entity_id: Option<String>,
    /// How it ended.
    pub outcome: String,
}

fn audit_statement(actor: &Actor, at: Timestamp, event: &AuditEvent) -> Statement {
    Statement::new(
        "INSERT INTO audit (at, actor, source, action, entity, entity_id, outcome) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        vec![
            tables::seconds(at).into(),
            actor.who.as_str().into(),
            actor.source.as_str().into(),
            event.action.into(),
            event.entity.into(),
            event.entity_id.as_deref().into(),
            event.outcome.into(),
        ],
    )
}

/// A database holding one region's book.
#[derive(Clone, Debug)]
pub struct Store {
    pool: Pool,
    url: String,
    /// A server's cache of API tokens (PostgreSQL only; [`Store::with_token_cache`]).
    tokens: Option<std::sync::Arc<tokens::TokenCache>>,
}

impl Store {
    /// Opens the database at `url` and applies the migrations it lacks (a SQLite file is
    /// created if missing). Refuses a database whose schema is newer than this binary's.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        let store = Store::connect(url, true).await?;
        store.pool.migrate().await?;
        Ok(store)
    }

    /// Opens an existing database (a missing SQLite file is an error, not created) and applies
    /// the migrations it lacks.
    pub async fn open_existing(url: &str) -> Result<Store, StoreError> {
        Store::open_existing_with(url, Connections::Few).await
    }

    /// [`Store::open_existing`] with up to `connections` to a PostgreSQL server (a server's
    /// concurrent requests; SQLite keeps its four, as its writers wait for each other anyway).
    pub async fn open_existing_with(
        url: &str,
        connections: Connections,
    ) -> Result<Store, StoreError> {
        let pool = Pool::connect(url, false, connections).await?;
        let store = Store {
            pool,
            url: db::shown_url(url),
            tokens: None,
        };
        store.pool.migrate().await?;
        Ok(store)
    }

    /// Connects without migrating (`db check`, `db migrate`); `create` makes a missing SQLite
    /// file.
    pub async fn connect(url: &str, create: bool) -> Result<Store, StoreError> {
        let pool = Pool::connect(url, create, Connections::Few).await?;
        Ok(Store {
            pool,
            url: db::shown_url(url),
            tokens: None,
        })
    }

    /// This store (and its clones) keeps the users of the API tokens it looks up, on
    /// PostgreSQL, where a connection of its own listens for changes to users and tokens and
    /// each change empties the cache: a server's requests then skip the token's round trip. A
    /// revocation made elsewhere takes effect when its notification arrives (milliseconds), one
    /// made through this store at once; while that connection is lost, every lookup asks the
    /// database. On SQLite, the same store (no cache). Call within a Tokio runtime.
    #[must_use]
    pub fn with_token_cache(mut self) -> Store {
        if let Pool::Postgres(pool) = &self.pool
            && self.tokens.is_none()
        {
            let options = (*pool.connect_options()).clone();
            self.tokens = Some(tokens::TokenCache::start(options));
        }
        self
    }

    /// How many tokens the cache keeps, and whether it answers (listens for changes); `None`
    /// without a cache.
    pub fn token_cache(&self) -> Option<(usize, bool)> {
        self.tokens
            .as_ref()
            .map(|cache| (cache.len(), cache.is_listening()))
    }

    /// The database's URL, without a password.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// SQLite or PostgreSQL.
    pub fn backend(&self) -> Backend {
        self.pool.backend()
    }

    /// The schema versions known and applied.
    pub async fn schema(&self) -> Result<Schema, StoreError> {
        self.pool.schema().await
    }

    /// Applies the migrations the database lacks; returns the versions applied.
    pub async fn migrate(&self) -> Result<Vec<i64>, StoreError> {
        self.pool.migrate().await
    }

    /// Closes the connections (a SQLite file's WAL is checkpointed).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Writes one audit row on its own.
    pub async fn audit(
        &self,
        actor: &Actor,
        at: Timestamp,
        event: &AuditEvent,
    ) -> Result<(), StoreError> {
        let mut tx = Tx::begin_unlocked(&self.pool).await?;
        tx.run(&audit_statement(actor, at, event)).await?;
        tx.commit().await
    }

    /// Writes several audit rows in one transaction: one commit (and one flush to disk) for
    /// all of them, or none of them.
    pub async fn audit_all(
        &self,
        rows: &[(Actor, Timestamp, AuditEvent)],
    ) -> Result<(), StoreError> {
        let mut tx = Tx::begin_unlocked(&self.pool).await?;
        for (actor, at, event) in rows {
            tx.run(&audit_statement(actor, *at, event)).await?;
        }
        tx.commit().await
    }

    /// The audit log, oldest first.
    pub async fn audit_log(&self) -> Result<Vec<AuditRow>, StoreError> {
        self.audit_page(0, i64::MAX).await
    }

    /// Up to `limit` audit rows after row `after`, oldest first (a page of the log).
    pub async fn audit_page(&self, after: i64, limit: i64) -> Result<Vec<AuditRow>, StoreError> {
        let sql = "SELECT id, at, actor, source, action, entity, entity_id, outcome FROM audit \
                   WHERE id > $1 ORDER BY id LIMIT $2";
        macro_rules! rows {
            ($pool:expr) => {{
                let rows: Vec<(
                    i64,
                    i64,
                    String,
                    String,
                    String,
                    String,
                    Option<String>,
                    String,
                )> = sqlx::query_as(sql)
                    .bind(after)
                    .bind(limit)
                    .fetch_all($pool)
                    .await?;
                rows
            }};
        }
        let rows = match &self.pool {
            Pool::Sqlite(pool) => rows!(pool),
            Pool::Postgres(pool) => rows!(pool),
        };
        rows.into_iter()
            .map(
                |(id, at, actor, source, action, entity, entity_id, outcome)| {
                    Ok(AuditRow {
                        id,
                        at: Timestamp::from_second(at)
                            .map_err(|_| StoreError::Disagree(format!("audit row {id}: time")))?,
                        actor,
                        source,
                        action,
                        entity,
                        entity_id,
                        outcome,
                    })
                },
            )
            .collect()
    }

    /// How many rows the audit log holds.
    pub async fn audit_count(&self) -> Result<i64, StoreError> {
        let sql = "SELECT count(*) FROM audit";
        Ok(match &self.pool {
            Pool::Sqlite(pool) => sqlx::query_scalar(sql).fetch_one(pool).await?,
            Pool::Postgres(pool) => sqlx::query_scalar(sql).fetch_one(pool).await?,
        })
    }

    pub(crate) fn pool(&self) -> &Pool {
        &self.pool
    }
}
