//! A serving process's cache of the API tokens it has checked, kept true by PostgreSQL.
//!
//! Every request names its caller by a bearer token, and looking the token up was a round trip
//! to the database per request (with sqlx's connection checks, three). On PostgreSQL a server
//! keeps the users of the live tokens it has seen, and a connection of its own LISTENs on
//! [`CHANNEL`]: a trigger on `app_user` and `api_token` (migration 0007) notifies that channel
//! at the commit of every change to them, from any process or from plain SQL, and each
//! notification empties the cache. So a revoked token stops working as soon as its
//! notification arrives (milliseconds); in the same process, at once.
//!
//! The cache answers only while that connection listens: from the moment it is lost (a missed
//! notification cannot be told from none) until it listens again, every lookup goes to the
//! database and nothing is kept. A lookup's answer is kept only if no notification came while it
//! was asked (the generation below), so an answer read before a revocation is never kept after
//! it. An entry is also dropped [`MAX_AGE`] after it was read, a bound if notifications ever
//! stopped for a reason this process cannot see. Unknown and revoked tokens are not kept, so
//! guessing fills nothing; at [`MAX_ENTRIES`] the cache starts again empty.
//!
//! SQLite has no notifications, and a lookup there does not leave the process: no cache.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::{Duration, Instant};

use sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions};

use crate::users::UserRow;

/// The channel the trigger of migration 0007 notifies.
const CHANNEL: &str = "caretime_users";

/// How long an entry is trusted without a fresh read.
const MAX_AGE: Duration = Duration::from_secs(60);

/// At most this many tokens are kept.
const MAX_ENTRIES: usize = 10_000;

/// How long the listener waits before connecting again after it could not.
const RECONNECT_AFTER: Duration = Duration::from_secs(1);

/// The users of live tokens, by token hash.
pub(crate) struct TokenCache {
    entries: Mutex<HashMap<String, (UserRow, Instant)>>,
    /// Moves on at every notification and whenever listening starts or stops.
    generation: AtomicU64,
    /// Whether the notification connection listens (the cache answers only then).
    listening: AtomicBool,
}

impl std::fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenCache")
            .field("listening", &self.listening.load(Ordering::Acquire))
            .field("generation", &self.generation.load(Ordering::Acquire))
            .finish_non_exhaustive()
    }
}

/// A lookup in progress: the generation it began at.
pub(crate) struct Lookup(u64);

impl TokenCache {
    /// A cache whose listener connects with `options`; it answers once the listener listens.
    /// Call within a Tokio runtime: the listener is a task that ends when the cache is dropped.
    pub(crate) fn start(options: PgConnectOptions) -> Arc<TokenCache> {
        let cache = Arc::new(TokenCache::empty());
        tokio::spawn(listen(Arc::downgrade(&cache), options));
        cache
    }

    /// An empty cache, not listening.
    fn empty() -> TokenCache {
        TokenCache {
            entries: Mutex::new(HashMap::new()),
            generation: AtomicU64::new(0),
            listening: AtomicBool::new(false),
        }
    }

    /// The entries (a panic elsewhere while they were locked leaves them whole: every change to
    /// them is one call).
    fn entries(&self) -> MutexGuard<'_, HashMap<String, (UserRow, Instant)>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The user of the token `hash`, if kept and fresh; else the lookup to make.
    pub(crate) fn get(&self, hash: &str) -> Result<UserRow, Lookup> {
        // The generation is read before the entries: a notification after this point moves it,
        // and `keep` then refuses what the database answered.
        let lookup = Lookup(self.generation.load(Ordering::Acquire));
        if !self.listening.load(Ordering::Acquire) {
            return Err(lookup);
        }
        match self.entries().get(hash) {
            Some((user, read)) if read.elapsed() < MAX_AGE => Ok(user.clone()),
            _ => Err(lookup),
        }
    }

    /// Keeps what the database answered for `lookup`, unless anything changed since it began.
    pub(crate) fn keep(&self, lookup: Lookup, hash: &str, user: &UserRow) {
        let mut entries = self.entries();
        // Checked under the lock `forget` empties the entries under, after moving the
        // generation: either this sees the move, or `forget` empties what this keeps.
        if !self.listening.load(Ordering::Acquire)
            || self.generation.load(Ordering::Acquire) != lookup.0
        {
            return;
        }
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(hash.to_owned(), (user.clone(), Instant::now()));
    }

    /// Forgets every entry (a notification, or a change this process made).
    pub(crate) fn forget(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.entries().clear();
    }

    /// Starts or stops answering; either way, forgets everything.
    fn set_listening(&self, listening: bool) {
        self.listening.store(listening, Ordering::Release);
        self.forget();
    }

    /// How many tokens are kept (for tests and metrics).
    pub(crate) fn len(&self) -> usize {
        self.entries().len()
    }

    /// Whether the cache answers (its listener listens).
    pub(crate) fn is_listening(&self) -> bool {
        self.listening.load(Ordering::Acquire)
    }
}

/// The listener: connects, LISTENs, forgets at each notification; on any loss stops the cache
/// answering and connects again. Ends when the cache is dropped.
async fn listen(cache: Weak<TokenCache>, options: PgConnectOptions) {
    // A pool of one connection of its own, so a server's request connections stay its own.
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .max_lifetime(None)
        .idle_timeout(None)
        .connect_lazy_with(options);
    loop {
        if cache.strong_count() == 0 {
            return;
        }
        let listener = match PgListener::connect_with(&pool).await {
            Ok(mut listener) => {
                // A lost connection ends `try_recv` at once (`Ok(None)`), so the cache stops
                // answering before anything is missed, rather than after reconnecting.
                listener.eager_reconnect(false);
                match listener.listen(CHANNEL).await {
                    Ok(()) => Some(listener),
                    Err(error) => {
                        tracing::warn!(%error, "cannot listen for token changes");
                        None
                    }
                }
            }
            Err(error) => {
                tracing::warn!(%error, "cannot connect to listen for token changes");
                None
            }
        };
        let Some(mut listener) = listener else {
            tokio::time::sleep(RECONNECT_AFTER).await;
            continue;
        };
        match cache.upgrade() {
            Some(cache) => cache.set_listening(true),
            None => return,
        }
        loop {
            let received = listener.try_recv().await;
            let Some(cache) = cache.upgrade() else {
                return;
            };
            match received {
                Ok(Some(_)) => cache.forget(),
                Ok(None) => {
                    tracing::warn!("lost the connection that listens for token changes");
                    cache.set_listening(false);
                    break;
                }
                Err(error) => {
                    tracing::warn!(%error, "listening for token changes failed");
                    cache.set_listening(false);
                    break;
                }
            }
        }
        drop(listener);
        tokio::time::sleep(RECONNECT_AFTER).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache(listening: bool) -> TokenCache {
        let cache = TokenCache::empty();
        cache.listening.store(listening, Ordering::Release);
        cache
    }

    fn user() -> UserRow {
        UserRow {
            id: 1,
            name: "front-desk".into(),
            role: "scheduler".into(),
            clinician: None,
            password_hash: None,
        }
    }

    #[test]
    fn a_kept_answer_is_given_while_listening() {
        let cache = cache(true);
        let lookup = cache.get("h").expect_err("nothing kept yet");
        cache.keep(lookup, "h", &user());
        assert_eq!(cache.get("h").ok(), Some(user()));
        assert!(cache.get("other").is_err());
    }

    #[test]
    fn an_answer_asked_before_a_change_is_not_kept() {
        let cache = cache(true);
        let lookup = cache.get("h").expect_err("nothing kept yet");
        cache.forget(); // a notification while the database was asked
        cache.keep(lookup, "h", &user());
        assert!(cache.get("h").is_err());
        assert_eq!(cache.len(), 0);
    }

    #[test]
    fn nothing_is_kept_or_given_while_not_listening() {
        let cache = cache(true);
        let lookup = cache.get("h").expect_err("nothing kept yet");
        cache.keep(lookup, "h", &user());
        cache.set_listening(false);
        assert!(
            cache.get("h").is_err(),
            "the connection is lost: ask the database"
        );
        let lookup = cache.get("h").expect_err("not listening");
        cache.keep(lookup, "h", &user());
        assert_eq!(cache.len(), 0);
        // Listening again starts empty: what was kept before may have been revoked meanwhile.
        cache.set_listening(true);
        assert!(cache.get("h").is_err());
    }

    #[test]
    fn a_full_cache_starts_again() {
        let cache = cache(true);
        for i in 0..MAX_ENTRIES {
            let lookup = cache.get("x").expect_err("not kept");
            cache.keep(lookup, &i.to_string(), &user());
        }
        assert_eq!(cache.len(), MAX_ENTRIES);
        let lookup = cache.get("h").expect_err("not kept");
        cache.keep(lookup, "h", &user());
        assert_eq!(cache.len(), 1);
    }
}
