//! A book shared by one process's concurrent callers (a server's requests, a benchmark's
//! clients), with group commit.
//!
//! Callers queue decisions; one writer task takes every decision waiting, takes the database's
//! write lock once, catches up on the journal once, decides each on the book with the ones
//! before it applied, and commits them all in one transaction (one fsync). Under load a
//! batch holds many decisions, so the lock and the fsync are paid once for all of them; alone,
//! a decision is a batch of one.

use std::sync::Arc;
use std::time::Instant;

use caretime_engine::book::Outcome;
use jiff::Timestamp;
use tokio::sync::{Mutex, mpsc, oneshot};

use crate::live::{BoxError, Context, Decision, LiveBook, Queued};
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
        let live = Arc::new(Mutex::new(live));
        let writer = Arc::clone(&live);
        tokio::spawn(async move {
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
                let results = writer.lock().await.decide_batch(queued).await;
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
        SharedBook { queue, live }
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
    /// committed before the call (by any process) applied. Reads that wait for the book
    /// together share one catch-up on the journal ([`LiveBook::catch_up_since`]).
    pub async fn read<T>(
        &self,
        now: Timestamp,
        read: impl FnOnce(Context<'_>) -> T,
    ) -> Result<T, StoreError> {
        let arrived = Instant::now();
        let mut live = self.live.lock().await;
        live.roll(now).await?;
        live.catch_up_since(arrived).await?;
        Ok(read(live.context()))
    }
}
