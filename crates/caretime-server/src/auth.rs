//! Who is asking: bearer tokens, passwords and roles.
//!
//! A token is 32 random bytes from the operating system, shown once as `ct_` and 64 hex digits;
//! the database keeps its SHA-256. A password is kept as an argon2id PHC string. Every request
//! but the public ones (`/health`, `/metadata`) carries `Authorization: Bearer <token>`; the
//! [`Caller`] extractor looks the token up and refuses the request (401) otherwise.

use std::fmt::Write as _;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use caretime_store::{Actor, AuditEvent};
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::error::ApiError;

/// What a user may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// Books, holds and cancels for any member.
    Scheduler,
    /// Sees their own schedule and their own patients.
    Clinician,
    /// Reports and replans.
    Manager,
    /// Reads the audit log, nothing else.
    Auditor,
    /// Everything, users included.
    Admin,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 5] = [
        Role::Scheduler,
        Role::Clinician,
        Role::Manager,
        Role::Auditor,
        Role::Admin,
    ];

    /// Its name, as stored and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Role::Scheduler => "scheduler",
            Role::Clinician => "clinician",
            Role::Manager => "manager",
            Role::Auditor => "auditor",
            Role::Admin => "admin",
        }
    }

    /// The role named `name`.
    pub fn from_name(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.name() == name)
    }
}

/// A new token: `ct_` and 64 hex digits of OS randomness.
pub fn new_token() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    Ok(format!("ct_{}", hex(&bytes)))
}

/// What the database keeps of a token: its SHA-256, in hex.
pub fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// An argon2id PHC string for `password`, with a random salt.
pub fn hash_password(password: &str) -> Result<String, argon2::password_hash::Error> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|_| argon2::password_hash::Error::Crypto)?;
    let salt = SaltString::encode_b64(&salt)?;
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)?
        .to_string())
}

/// Whether `password` matches the PHC string `hash`.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        let _ = write!(out, "{byte:02x}");
    }
    out
}

/// The authenticated user a request comes from.
#[derive(Clone, Debug)]
pub struct Caller {
    /// The user's name (staff, not a member: it may go into logs and the audit log).
    pub name: String,
    /// What they may do.
    pub role: Role,
    /// For a clinician: which clinician of the region.
    pub clinician: Option<u32>,
    /// Where the request came from (the peer's address).
    pub source: String,
}

impl Caller {
    /// The caller as the audit log names them.
    pub fn actor(&self) -> Actor {
        Actor {
            who: format!("user:{}", self.name),
            source: self.source.clone(),
        }
    }

    /// Refuses the request (403) unless the caller has one of `roles` (an admin always may);
    /// a refusal is written to the audit log as an attempt on `entity`.
    pub async fn require(
        &self,
        state: &AppState,
        roles: &[Role],
        entity: &'static str,
    ) -> Result<(), ApiError> {
        if self.role == Role::Admin || roles.contains(&self.role) {
            return Ok(());
        }
        Err(self
            .refuse(
                state,
                entity,
                None,
                format!("the role {} may not do this", self.role.name()),
            )
            .await)
    }

    /// The 403 for an attempt on `entity` (`entity_id` when one is named), written to the audit
    /// log first; `why` is the client's diagnostic (no member data). If the audit log cannot be
    /// written, that failure is the answer.
    pub async fn refuse(
        &self,
        state: &AppState,
        entity: &'static str,
        entity_id: Option<String>,
        why: String,
    ) -> ApiError {
        let audited = self
            .audit_read(state, state.clock.now(), entity, entity_id, "forbidden")
            .await;
        match audited {
            Ok(()) => ApiError::Forbidden(why),
            Err(error) => error,
        }
    }

    /// Writes the audit row of the caller's read of `entity` (`entity_id` when one is named)
    /// at `now`, ending in `outcome` (`ok`, `forbidden`).
    pub async fn audit_read(
        &self,
        state: &AppState,
        now: jiff::Timestamp,
        entity: &'static str,
        entity_id: Option<String>,
        outcome: &'static str,
    ) -> Result<(), ApiError> {
        state
            .audit
            .write(
                self.actor(),
                now,
                AuditEvent {
                    action: "read",
                    entity,
                    entity_id,
                    outcome,
                },
            )
            .await
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Caller, ApiError> {
        let header =
            parts
                .headers
                .get(axum::http::header::AUTHORIZATION)
                .ok_or(ApiError::Unauthorized(
                    "an Authorization: Bearer token is needed",
                ))?;
        let token = header
            .to_str()
            .ok()
            .and_then(|value| value.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|token| !token.is_empty())
            .ok_or(ApiError::Unauthorized(
                "the Authorization header must be `Bearer <token>`",
            ))?;
        let user = state
            .store
            .user_by_token(&token_hash(token))
            .await?
            .ok_or(ApiError::Unauthorized("the token is unknown or revoked"))?;
        caller_of(user, parts)
    }
}

fn caller_of(user: caretime_store::users::UserRow, parts: &Parts) -> Result<Caller, ApiError> {
    let role = Role::from_name(&user.role)
        .ok_or_else(|| ApiError::Internal(format!("user {} has an unknown role", user.name)))?;
    let source = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or_else(|| "unknown".to_owned(), |info| info.0.to_string());
    Ok(Caller {
        name: user.name,
        role,
        clinician: user.clinician,
        source,
    })
}

/// The caller of a calendar feed: the user of a feed token in the query (`?token=`, what a
/// calendar program subscribing to a URL can send; `caretime user feed`), else the user of the
/// Authorization header. A feed token opens nothing but the feed; an API token is never taken
/// from a URL.
#[derive(Clone, Debug)]
pub struct FeedCaller(pub Caller);

impl FromRequestParts<AppState> for FeedCaller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<FeedCaller, ApiError> {
        let token = parts.uri.query().and_then(|query| {
            form_urlencoded::parse(query.as_bytes())
                .find(|(key, _)| key == "token")
                .map(|(_, value)| value.into_owned())
        });
        let Some(token) = token else {
            return Caller::from_request_parts(parts, state)
                .await
                .map(FeedCaller);
        };
        let user = state
            .store
            .user_by_feed_token(&token_hash(&token))
            .await?
            .ok_or(ApiError::Unauthorized(
                "the feed token is unknown or revoked",
            ))?;
        caller_of(user, parts).map(FeedCaller)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_hash_to_64_hex_digits() {
        let a = new_token().expect("randomness");
        let b = new_token().expect("randomness");
        assert_ne!(a, b);
        assert_eq!(a.len(), 3 + 64);
        let hash = token_hash(&a);
        assert_eq!(hash.len(), 64);
        assert_ne!(hash, token_hash(&b));
        assert!(hash.bytes().all(|c| c.is_ascii_hexdigit()));
        // SHA-256 of "abc" (FIPS 180-2, appendix B.1).
        assert_eq!(
            token_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn a_password_verifies_against_its_hash_only() {
        let hash = hash_password("correct horse").expect("hashes");
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &hash));
        assert!(!verify_password("wrong horse", &hash));
        assert!(!verify_password("correct horse", "not a hash"));
    }

    #[test]
    fn roles_round_trip_their_names() {
        for role in Role::ALL {
            assert_eq!(Role::from_name(role.name()), Some(role));
        }
        assert_eq!(Role::from_name("root"), None);
    }
}
