//! The databases a conformance test runs on: a fresh SQLite file always, and a fresh
//! PostgreSQL database when `CARETIME_TEST_POSTGRES_URL` names a server (a database on it the
//! tests may connect to, to create their own).
//!
//! Each PostgreSQL test makes its own database (`<that database>_<test>_<pid>`) and drops it
//! when done; it also appends its name to the file `CARETIME_TEST_POSTGRES_LOG` names, if any,
//! so that CI can say how many PostgreSQL tests ran.

#![allow(dead_code, unreachable_pub)]

use std::io::Write;
use std::path::PathBuf;

use sqlx::Connection;

/// A database for one test.
#[derive(Debug)]
pub struct TestDb {
    /// `sqlite` or `postgres`.
    pub backend: &'static str,
    /// Its URL.
    pub url: String,
    dir: Option<PathBuf>,
    postgres: Option<(String, String)>,
}

/// The variable naming the PostgreSQL server.
pub const POSTGRES_URL: &str = "CARETIME_TEST_POSTGRES_URL";

/// A fresh SQLite file in a new temporary directory.
pub fn sqlite(test: &str) -> TestDb {
    let dir = std::env::temp_dir().join(format!(
        "caretime-store-{test}-{}-{}",
        std::process::id(),
        unique()
    ));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    TestDb {
        backend: "sqlite",
        url: format!("sqlite://{}", dir.join("book.db").display()),
        dir: Some(dir),
        postgres: None,
    }
}

fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// A fresh PostgreSQL database, or `None` (with the reason printed) when the variable is unset.
pub async fn postgres(test: &str) -> Option<TestDb> {
    let Ok(server) = std::env::var(POSTGRES_URL) else {
        println!("skipped on PostgreSQL: {POSTGRES_URL} is not set");
        return None;
    };
    let (base, params) = server.split_once('?').unwrap_or((&server, ""));
    let (prefix, database) = base.rsplit_once('/').expect("a URL ending in /DATABASE");
    let name = format!("{database}_{test}_{}_{}", std::process::id(), unique())
        .to_lowercase()
        .replace(|c: char| !c.is_ascii_alphanumeric() && c != '_', "_");
    let mut admin = sqlx::PgConnection::connect(&server)
        .await
        .expect("the PostgreSQL server in CARETIME_TEST_POSTGRES_URL");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
        .execute(&mut admin)
        .await
        .expect("CREATE DATABASE");
    admin.close().await.ok();
    if let Ok(log) = std::env::var("CARETIME_TEST_POSTGRES_LOG") {
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .expect("the PostgreSQL test log");
        // One write of the whole line: `writeln!` may write the name and the newline apart, and
        // concurrent tests then run their names together.
        file.write_all(format!("{test}\n").as_bytes())
            .expect("the PostgreSQL test log");
    }
    let query = if params.is_empty() {
        String::new()
    } else {
        format!("?{params}")
    };
    Some(TestDb {
        backend: "postgres",
        url: format!("{prefix}/{name}{query}"),
        dir: None,
        postgres: Some((server.clone(), name)),
    })
}

/// Every backend this run tests: SQLite, then PostgreSQL if set.
pub async fn databases(test: &str) -> Vec<TestDb> {
    let mut all = vec![sqlite(test)];
    all.extend(postgres(test).await);
    all
}

impl TestDb {
    /// Removes the database (the SQLite directory; the PostgreSQL database, its connections
    /// closed first).
    pub async fn finish(self) {
        if let Some(dir) = &self.dir {
            std::fs::remove_dir_all(dir).ok();
        }
        if let Some((server, name)) = &self.postgres {
            let mut admin = sqlx::PgConnection::connect(server)
                .await
                .expect("the PostgreSQL server");
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
            )))
            .execute(&mut admin)
            .await
            .expect("DROP DATABASE");
            admin.close().await.ok();
        }
    }
}
