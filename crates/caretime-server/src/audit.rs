//! Read audit rows by group commit.
//!
//! Every read of member data writes an audit row before it is answered. Written one by one,
//! each row is a transaction of its own, and on PostgreSQL a flush to disk: with many readers at
//! once that flush was most of a `$find`'s time (bench/NOTES.md, "bench serve"). Here readers
//! queue their rows; one writer takes every row waiting, writes them in one transaction
//! ([`Store::audit_all`]) and then answers each reader. A reader is still answered only once its
//! row is committed, so no read goes unrecorded; the rows of a batch commit together or not at
//! all, and on a failure every reader of the batch gets the error.

use caretime_store::{Actor, AuditEvent, Store};
use jiff::Timestamp;
use tokio::sync::{mpsc, oneshot};

use crate::error::ApiError;

/// At most this many rows a transaction.
const MAX_BATCH: usize = 512;

/// Whether the batch committed.
type Reply = oneshot::Sender<bool>;

/// The queue of audit rows and its writer.
#[derive(Clone, Debug)]
pub struct AuditQueue(mpsc::UnboundedSender<((Actor, Timestamp, AuditEvent), Reply)>);

impl AuditQueue {
    /// Starts the writer on `store` (on the current Tokio runtime); it ends when every handle
    /// to the queue is dropped.
    pub fn start(store: Store) -> AuditQueue {
        let (sender, mut queue) =
            mpsc::unbounded_channel::<((Actor, Timestamp, AuditEvent), Reply)>();
        tokio::spawn(async move {
            while let Some(first) = queue.recv().await {
                let mut batch = vec![first];
                while batch.len() < MAX_BATCH {
                    match queue.try_recv() {
                        Ok(next) => batch.push(next),
                        Err(_) => break,
                    }
                }
                let (rows, replies): (Vec<_>, Vec<_>) = batch.into_iter().unzip();
                let written = match store.audit_all(&rows).await {
                    Ok(()) => true,
                    Err(error) => {
                        // Store errors name tables and ids, never member data.
                        tracing::error!(%error, rows = rows.len(), "audit rows not written");
                        false
                    }
                };
                for reply in replies {
                    // A reader that went away needs no answer.
                    let _ = reply.send(written);
                }
            }
        });
        AuditQueue(sender)
    }

    /// Writes one row, returning once it is committed (with the rows queued beside it).
    pub async fn write(
        &self,
        actor: Actor,
        at: Timestamp,
        event: AuditEvent,
    ) -> Result<(), ApiError> {
        let failed = || ApiError::Internal("the audit log could not be written".to_owned());
        let (reply, answer) = oneshot::channel();
        self.0
            .send(((actor, at, event), reply))
            .map_err(|_| failed())?;
        match answer.await {
            Ok(true) => Ok(()),
            _ => Err(failed()),
        }
    }
}
