//! A book shared by one process's concurrent callers (a server's requests, a benchmark's
//! clients), with group commit.
//!
//! Callers queue decisions; one writer task takes every decision waiting, takes the database's
//! write lock once, catches up on the journal once, decides each on the book with the ones
//! before it applied, and commits them all in one transaction (one fsync). Under load a
//! batch holds many decisions, so the lock and the fsync are paid once for all of them; alone,
//! a decision is a batch of one.
//!
//! The book itself is locked only while a batch is decided, not while its rows are written and
//! committed (most of a batch's time). Reads wait for a batch in flight to commit ([`SharedBook::read`]:
//! what they show has been committed), except searches for free time ([`SharedBook::read_ahead`]),
//! which see its decisions already: a time a batch took shows as taken a few milliseconds early,
//! and if the batch fails to commit the book is rebuilt from the database.

use std::sync::Arc;
use std::time::Instant;

use caretime_engine::book::Outcome;
use jiff::Timestamp;
use tokio::sync::{Mutex, RwLock, mpsc, oneshot};

use crate::db::Backend;
use crate::live::{Batch, Begun, BoxError, Context, Decision, LiveBook, Queued};
use crate::{Actor, AuditEvent, StoreError};

/// At most this many decisions commit in one transaction.
const MAX_BATCH: usize = 512;

/// Why a shared decision failed.
#[derive(Debug, thiserror::Error)]
pub enum SharedError {
    /// The batch it was in could not be committed (nothing of it was).
    #[error(transparent)]
    Store(Arc<StoreError>),
    /// The decision function's own error.
    #[error(transparent)]
    Decide(BoxError),
    /// The writer has stopped (the process is shutting down).
    #[error("the book's writer has stopped")]
    Stopped,
}

struct Job {
    queued: Queued,
    reply: oneshot::Sender<Result<Decision, SharedError>>,
}

/// A [`LiveBook`] behind a queue and one writer task.
#[derive(Clone, Debug)]
pub struct SharedBook {
    queue: mpsc::UnboundedSender<Job>,
    live: Arc<Mutex<LiveBook>>,
    /// Held for writing by the writer from a batch's start to its commit: [`SharedBook::read`]
    /// takes it for reading (before the book), so it never sees a decision not yet committed.
    committed: Arc<RwLock<()>>,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job").finish_non_exhaustive()
    }
}

impl SharedBook {
    /// Starts the writer task (on the current tokio runtime) over `live`.
    pub fn start(live: LiveBook) -> SharedBook {
        let (queue, mut jobs) = mpsc::unbounded_channel::<Job>();
        let store = live.store().clone();
        let live = Arc::new(Mutex::new(live));
        let committed = Arc::new(RwLock::new(()));
        let writer = Arc::clone(&live);
        let gate = Arc::clone(&committed);
        // PostgreSQL queues a transaction for the book row's lock and hands it over at the
        // commit; SQLite's busy handler would poll for it, sleeping.
        let begin_early = store.backend() == Backend::Postgres;
        tokio::spawn(async move {
            let mut next: Option<Result<Begun, StoreError>> = None;
            while let Some(first) = jobs.recv().await {
                let mut batch = vec![first];
                while batch.len() < MAX_BATCH {
                    match jobs.try_recv() {
                        Ok(job) => batch.push(job),
                        Err(_) => break,
                    }
                }
                let (queued, replies): (Vec<Queued>, Vec<_>) =
                    batch.into_iter().map(|job| (job.queued, job.reply)).unzip();
                let _writing = gate.write().await;
                // The book rolls forward (monthly: it is read again) before the write lock is
                // taken, so that other processes do not wait for the read; a transaction begun
                // early is given up for it.
                let latest = queued.iter().map(|queued| queued.now).max();
                let rolled = match latest {
                    Some(latest) => {
                        let mut live = writer.lock().await;
                        if live.needs_roll(latest)
                            && let Some(Ok(early)) = next.take()
                        {
                            // Ended now, not when its connection is next used: it holds the
                            // write lock. Its failure only means the lock went with it.
                            let _ = early.rollback().await;
                        }
                        live.roll(latest).await
                    }
                    None => Ok(false),
                };
                // A transaction begun early, or a new one (also when beginning early failed: the
                // database may be back, and these decisions have not been tried).
                let begun = match (rolled, next.take()) {
                    (Err(error), _) => Err(error),
                    (Ok(_), Some(Ok(begun))) => Ok(begun),
                    (Ok(_), Some(Err(_)) | None) => Begun::new(&store).await,
                };
                let results = match begun {
                    Ok(begun) => {
                        let decided = writer.lock().await.decide_batch(begun, queued).await;
                        match decided {
                            Ok(batch) if begin_early && !jobs.is_empty() => {
                                // More decisions wait: the next batch's transaction asks for the
                                // write lock now and gets it the moment this one commits.
                                let (committed, begun) =
                                    tokio::join!(commit(batch, &writer), Begun::new(&store));
                                next = Some(begun);
                                committed
                            }
                            Ok(batch) => commit(batch, &writer).await,
                            Err(error) => Err(error),
                        }
                    }
                    Err(error) => Err(error),
                };
                match results {
                    Ok(results) => {
                        for (reply, result) in replies.into_iter().zip(results) {
                            // A caller that stopped waiting does not need its answer.
                            let _ = reply.send(result.map_err(SharedError::Decide));
                        }
                    }
                    Err(error) => {
                        let error = Arc::new(error);
                        for reply in replies {
                            let _ = reply.send(Err(SharedError::Store(Arc::clone(&error))));
                        }
                    }
                }
            }
        });
        SharedBook {
            queue,
            live,
            committed,
        }
    }

    /// Queues a decision and waits for its commit. `decide` runs once, under the write lock,
    /// on the book caught up with the journal and with the decisions queued before it.
    pub async fn decide<F>(
        &self,
        now: Timestamp,
        actor: Actor,
        audit: AuditEvent,
        decide: F,
    ) -> Result<Decision, SharedError>
    where
        F: FnOnce(Context<'_>) -> Result<Outcome, BoxError> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job = Job {
            queued: Queued {
                now,
                actor,
                audit,
                decide: Box::new(decide),
            },
            reply,
        };
        self.queue.send(job).map_err(|_| SharedError::Stopped)?;
        answer.await.map_err(|_| SharedError::Stopped)?
    }

    /// Reads the book as of `now`: rolled forward if `now` needs it, with every decision
    /// committed before the call (by any process) applied, and none that is not yet committed
    /// (it waits for a batch in flight). Reads that wait for the book together share one
    /// catch-up on the journal ([`LiveBook::catch_up_since`]).
    pub async fn read<T>(
        &self,
        now: Timestamp,
        read: impl FnOnce(Context<'_>) -> T,
    ) -> Result<T, StoreError> {
        let arrived = Instant::now();
        let _committed = self.committed.read().await;
        self.read_from(arrived, now, read).await
    }

    /// [`SharedBook::read`] without waiting for a batch in flight, whose decisions it may see
    /// before they commit (or fail to): for searches of free time, such as `$find`, which
    /// then miss a time a moment before it is taken, or, if the batch fails, until the book is
    /// rebuilt.
    pub async fn read_ahead<T>(
        &self,
        now: Timestamp,
        read: impl FnOnce(Context<'_>) -> T,
    ) -> Result<T, StoreError> {
        self.read_from(Instant::now(), now, read).await
    }

    async fn read_from<T>(
        &self,
        arrived: Instant,
        now: Timestamp,
        read: impl FnOnce(Context<'_>) -> T,
    ) -> Result<T, StoreError> {
        let mut live = self.live.lock().await;
        live.roll(now).await?;
        live.catch_up_since(arrived).await?;
        Ok(read(live.context()))
    }
}

/// Commits a decided batch without holding the book; if the commit fails, the book forgets the
/// batch's decisions (rebuilt from the database).
async fn commit(
    batch: Batch,
    live: &Mutex<LiveBook>,
) -> Result<Vec<Result<Decision, BoxError>>, StoreError> {
    let changed = batch.changed_the_book();
    let committed = batch.commit().await;
    if committed.is_err() && changed {
        // The rebuild's own failure leaves the batch's error to report; the next catch-up
        // continues from what the rebuild did read.
        let _ = live.lock().await.rebuild().await;
    }
    committed
}
