//! The server's users and their bearer tokens, as rows.
//!
//! The store never sees a token or a password: the caller (caretime-server) hashes them
//! (SHA-256 for a token, which is 32 random bytes; argon2 for a password) and the store keeps
//! the hashes. A user's name is staff data, not a member's, so errors may name it. Every change
//! writes an audit row in its own transaction.

use jiff::Timestamp;

use crate::db::{Pool, Statement, Tx};
use crate::{Actor, AuditEvent, Store, StoreError, audit_statement, tables};

/// A user to add, with a first token.
#[derive(Clone, Copy, Debug)]
pub struct NewUser<'a> {
    /// A unique name (`alice`, `front-desk-3`).
    pub name: &'a str,
    /// `scheduler`, `clinician`, `manager`, `auditor` or `admin` (the database refuses others).
    pub role: &'a str,
    /// For a clinician: which clinician of the region.
    pub clinician: Option<u32>,
    /// An argon2 PHC string, or none.
    pub password_hash: Option<&'a str>,
    /// The SHA-256 of the first token, in hex.
    pub token_hash: &'a str,
}

/// A user as stored.
#[derive(Clone, PartialEq, Eq)]
pub struct UserRow {
    /// Its id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Its role's name.
    pub role: String,
    /// For a clinician: which clinician.
    pub clinician: Option<u32>,
    /// The argon2 PHC string, if the user has a password.
    pub password_hash: Option<String>,
}

impl std::fmt::Debug for UserRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserRow")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("role", &self.role)
            .field("clinician", &self.clinician)
            .field(
                "password_hash",
                &self.password_hash.as_ref().map(|_| "[hash]"),
            )
            .finish()
    }
}

type UserColumns = (i64, String, String, Option<i64>, Option<String>);

fn user_row(
    (id, name, role, clinician, password_hash): UserColumns,
) -> Result<UserRow, StoreError> {
    let clinician = clinician
        .map(|id| {
            u32::try_from(id)
                .map_err(|_| StoreError::Disagree("app_user.clinician is out of range".into()))
        })
        .transpose()?;
    Ok(UserRow {
        id,
        name,
        role,
        clinician,
        password_hash,
    })
}

fn user_audit(action: &'static str, name: &str) -> AuditEvent {
    AuditEvent {
        action,
        entity: "user",
        entity_id: Some(name.to_owned()),
        outcome: "ok",
    }
}

impl Store {
    /// Adds a user and its first token, in one transaction. A name taken already is
    /// [`StoreError::UserExists`].
    pub async fn add_user(
        &self,
        user: &NewUser<'_>,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<i64, StoreError> {
        if self.user_by_name(user.name).await?.is_some() {
            return Err(StoreError::UserExists(user.name.to_owned()));
        }
        let at = tables::seconds(now);
        let insert = "INSERT INTO app_user (name, role, clinician, password_hash, created_at) \
                      VALUES ($1, $2, $3, $4, $5) RETURNING id";
        let mut tx = Tx::begin_unlocked(self.pool()).await?;
        macro_rules! insert {
            ($tx:expr) => {
                sqlx::query_scalar(insert)
                    .bind(user.name)
                    .bind(user.role)
                    .bind(user.clinician.map(i64::from))
                    .bind(user.password_hash)
                    .bind(at)
                    .fetch_one(&mut **$tx)
                    .await
            };
        }
        let id: Result<i64, sqlx::Error> = match &mut tx {
            Tx::Sqlite(tx) => insert!(tx),
            Tx::Postgres(tx) => insert!(tx),
        };
        let written = async {
            let id = id?;
            tx.run(&token_statement(user.token_hash, id, at)).await?;
            tx.run(&audit_statement(
                actor,
                now,
                &user_audit("create", user.name),
            ))
            .await?;
            Ok::<_, StoreError>(id)
        }
        .await;
        match written {
            Ok(id) => {
                tx.commit().await?;
                Ok(id)
            }
            Err(error) => {
                tx.rollback().await?;
                Err(error)
            }
        }
    }

    /// Adds a token to the user `name`.
    pub async fn add_token(
        &self,
        name: &str,
        token_hash: &str,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        self.add_scoped_token(name, token_hash, "api", actor, now)
            .await
    }

    /// Adds a calendar feed token to the user `name`: it opens only their calendar feed
    /// ([`Store::user_by_feed_token`]), never the API.
    pub async fn add_feed_token(
        &self,
        name: &str,
        token_hash: &str,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        self.add_scoped_token(name, token_hash, "calendar", actor, now)
            .await
    }

    async fn add_scoped_token(
        &self,
        name: &str,
        token_hash: &str,
        scope: &'static str,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let user = self
            .user_by_name(name)
            .await?
            .ok_or_else(|| StoreError::NoUser(name.to_owned()))?;
        let mut tx = Tx::begin_unlocked(self.pool()).await?;
        tx.run(&Statement::new(
            "INSERT INTO api_token (hash, user_id, created_at, scope) VALUES ($1, $2, $3, $4)",
            vec![
                token_hash.into(),
                user.id.into(),
                tables::seconds(now).into(),
                scope.into(),
            ],
        ))
        .await?;
        let action = if scope == "api" {
            "token"
        } else {
            "feed-token"
        };
        tx.run(&audit_statement(actor, now, &user_audit(action, name)))
            .await?;
        tx.commit().await
    }

    /// Revokes every token of the user `name`; returns how many were live.
    pub async fn revoke_tokens(
        &self,
        name: &str,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<u64, StoreError> {
        let user = self
            .user_by_name(name)
            .await?
            .ok_or_else(|| StoreError::NoUser(name.to_owned()))?;
        let mut tx = Tx::begin_unlocked(self.pool()).await?;
        let revoked = tx
            .run(&Statement::new(
                "UPDATE api_token SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
                vec![tables::seconds(now).into(), user.id.into()],
            ))
            .await?;
        tx.run(&audit_statement(actor, now, &user_audit("revoke", name)))
            .await?;
        tx.commit().await?;
        // The notification reaches this process's cache too, but not before this returns.
        if let Some(cache) = &self.tokens {
            cache.forget();
        }
        Ok(revoked)
    }

    /// The user a live (unrevoked) API token with this hash belongs to (from the token cache
    /// when this store keeps one: [`Store::with_token_cache`]).
    pub async fn user_by_token(&self, token_hash: &str) -> Result<Option<UserRow>, StoreError> {
        let sql = "SELECT u.id, u.name, u.role, u.clinician, u.password_hash FROM api_token t \
                   JOIN app_user u ON u.id = t.user_id WHERE t.hash = $1 AND t.revoked_at IS NULL \
                   AND t.scope = 'api'";
        let Some(cache) = &self.tokens else {
            return one_user(self.pool(), sql, token_hash).await;
        };
        let lookup = match cache.get(token_hash) {
            Ok(user) => return Ok(Some(user)),
            Err(lookup) => lookup,
        };
        let user = one_user(self.pool(), sql, token_hash).await?;
        if let Some(user) = &user {
            cache.keep(lookup, token_hash, user);
        }
        Ok(user)
    }

    /// The user a live calendar feed token with this hash belongs to.
    pub async fn user_by_feed_token(
        &self,
        token_hash: &str,
    ) -> Result<Option<UserRow>, StoreError> {
        let sql = "SELECT u.id, u.name, u.role, u.clinician, u.password_hash FROM api_token t \
                   JOIN app_user u ON u.id = t.user_id WHERE t.hash = $1 AND t.revoked_at IS NULL \
                   AND t.scope = 'calendar'";
        one_user(self.pool(), sql, token_hash).await
    }

    /// The user named `name`.
    pub async fn user_by_name(&self, name: &str) -> Result<Option<UserRow>, StoreError> {
        let sql = "SELECT id, name, role, clinician, password_hash FROM app_user WHERE name = $1";
        one_user(self.pool(), sql, name).await
    }

    /// Every user, by name.
    pub async fn users(&self) -> Result<Vec<UserRow>, StoreError> {
        let sql = "SELECT id, name, role, clinician, password_hash FROM app_user ORDER BY name";
        let rows: Vec<UserColumns> = match self.pool() {
            Pool::Sqlite(pool) => sqlx::query_as(sql).fetch_all(pool).await?,
            Pool::Postgres(pool) => sqlx::query_as(sql).fetch_all(pool).await?,
        };
        rows.into_iter().map(user_row).collect()
    }
}

fn token_statement(token_hash: &str, user: i64, at: i64) -> Statement {
    Statement::new(
        "INSERT INTO api_token (hash, user_id, created_at) VALUES ($1, $2, $3)",
        vec![token_hash.into(), user.into(), at.into()],
    )
}

async fn one_user(
    pool: &Pool,
    sql: &'static str,
    key: &str,
) -> Result<Option<UserRow>, StoreError> {
    let row: Option<UserColumns> = match pool {
        Pool::Sqlite(pool) => sqlx::query_as(sql).bind(key).fetch_optional(pool).await?,
        Pool::Postgres(pool) => sqlx::query_as(sql).bind(key).fetch_optional(pool).await?,
    };
    row.map(user_row).transpose()
}
