//! The book, persisted: SQLite (the embedded default) or PostgreSQL.
//!
//! The database is the source of truth; a process's in-memory [`caretime_engine::book::Book`]
//! is a cache of it. Every accepted decision's changes are appended to the journal and applied
//! to the tables in one transaction, and reach the cache only after the commit.

pub mod wire;
