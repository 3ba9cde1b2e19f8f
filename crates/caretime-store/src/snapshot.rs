//! The book's snapshot: the journal up to one row, packed, so that a process loads a year of
//! appointments in seconds and then replays only the rows after it.
//!
//! A snapshot is a cache of the journal, never the record. [`Store::write_snapshot`] reads the
//! journal (without the write lock: rows up to the head never change), packs each page of whole
//! decisions into one part ([`wire::pack`]), and then, under the write lock, removes the
//! snapshot there was and stores the parts, in one transaction. [`LiveBook`](crate::live::LiveBook)
//! loads the newest snapshot in the packed format this binary writes and ignores any other.
//! `caretime db check` compares the snapshot with the journal, change by change.

use std::collections::VecDeque;

use caretime_engine::book::Change;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::db::{Pool, Statement, Tx};
use crate::live::{JournalRow, read_decisions};
use crate::wire::{self, PACKED_VERSION, Packed};
use crate::{Actor, AuditEvent, Store, StoreError, audit_statement};

/// One part: whole decisions, in journal order.
#[derive(Serialize, Deserialize)]
struct Part<'a> {
    #[serde(borrow)]
    decisions: Vec<PackedDecision<'a>>,
}

/// A decision: its first journal row and its changes (rows `first`, `first + 1`, ...).
#[derive(Serialize, Deserialize)]
struct PackedDecision<'a> {
    first: i64,
    #[serde(borrow)]
    changes: Vec<Packed<'a>>,
}

/// A decision read back from a snapshot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SnapshotDecision {
    /// Its first journal row.
    pub first: i64,
    /// Its changes, in order.
    pub changes: Vec<Change>,
}

/// A stored snapshot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SnapshotInfo {
    /// The last journal row it holds.
    pub seq: i64,
    /// Its parts.
    pub parts: i64,
    /// Journal rows it holds.
    pub changes: i64,
    /// Bytes of packed data.
    pub bytes: i64,
}

impl Store {
    /// Writes a snapshot of the journal up to its head, replacing any other (a damaged one
    /// too); `progress` hears the journal rows packed so far and the head. Returns the
    /// snapshot, or `None` when the journal is empty.
    pub async fn write_snapshot(
        &self,
        actor: &Actor,
        now: Timestamp,
        mut progress: impl FnMut(i64, i64),
    ) -> Result<Option<SnapshotInfo>, StoreError> {
        let head = journal_head(self.pool()).await?;
        if head == 0 {
            return Ok(None);
        }
        let mut parts: Vec<(i64, Vec<u8>)> = Vec::new();
        let mut seen = 0;
        while seen < head {
            let (rows, _) = read_decisions(self.pool(), seen).await?;
            let rows: Vec<JournalRow> =
                rows.into_iter().take_while(|row| row.seq <= head).collect();
            let Some(last) = rows.last() else { break };
            let last = last.seq;
            parts.push(((rows.len() as i64), pack_rows(&rows)?));
            seen = last;
            progress(seen, head);
        }
        if seen != head {
            return Err(StoreError::Disagree(format!(
                "the journal's head is row {head}, but its rows end at {seen}"
            )));
        }
        let mut info = SnapshotInfo {
            seq: head,
            parts: parts.len() as i64,
            changes: 0,
            bytes: 0,
        };
        let (mut tx, _) = Tx::begin(self.pool()).await?;
        let written = async {
            tx.run(&Statement::new("DELETE FROM snapshot", Vec::new()))
                .await?;
            for (part, (changes, data)) in parts.into_iter().enumerate() {
                info.changes += changes;
                info.bytes += data.len() as i64;
                tx.run(&Statement::new(
                    "INSERT INTO snapshot (seq, format, part, changes, data) \
                     VALUES ($1, $2, $3, $4, $5)",
                    vec![
                        head.into(),
                        PACKED_VERSION.into(),
                        (part as i64).into(),
                        changes.into(),
                        data.into(),
                    ],
                ))
                .await?;
            }
            let event = AuditEvent {
                action: "snapshot",
                entity: "appointment",
                entity_id: None,
                outcome: "ok",
            };
            tx.run(&audit_statement(actor, now, &event)).await
        }
        .await;
        match written {
            Ok(_) => tx.commit().await?,
            Err(error) => {
                tx.rollback().await?;
                return Err(error);
            }
        }
        Ok(Some(info))
    }
}

/// Packs journal rows (whole decisions) into one part.
fn pack_rows(rows: &[JournalRow]) -> Result<Vec<u8>, StoreError> {
    let mut decisions: Vec<PackedDecision<'_>> = Vec::new();
    for row in rows {
        let change = wire::decode_change(&row.change).map_err(|error| StoreError::Journal {
            seq: row.seq,
            error,
        })?;
        let packed = wire::pack(&change, &row.change);
        match decisions.last_mut() {
            Some(decision) if decision.first == row.decision => decision.changes.push(packed),
            _ => decisions.push(PackedDecision {
                first: row.decision,
                changes: vec![packed],
            }),
        }
        let decision = decisions.last().map_or(0, |d| d.first);
        let offset = decisions.last().map_or(0, |d| d.changes.len() as i64 - 1);
        if row.seq != decision + offset {
            return Err(StoreError::Disagree(format!(
                "journal row {} is not in sequence within its decision {decision}",
                row.seq
            )));
        }
    }
    postcard::to_stdvec(&Part { decisions }).map_err(|error| {
        StoreError::Disagree(format!("a snapshot part could not be packed: {error}"))
    })
}

/// Unpacks part `part` of the snapshot at `seq`.
pub(crate) fn unpack_part(
    seq: i64,
    part: i64,
    data: &[u8],
) -> Result<Vec<SnapshotDecision>, StoreError> {
    let bad = |message: String| StoreError::Snapshot { seq, part, message };
    let packed: Part<'_> = postcard::from_bytes(data).map_err(|error| bad(error.to_string()))?;
    packed
        .decisions
        .into_iter()
        .map(|decision| {
            let changes = decision
                .changes
                .into_iter()
                .map(wire::unpack)
                .collect::<Result<Vec<Change>, _>>()
                .map_err(|error| bad(error.to_string()))?;
            Ok(SnapshotDecision {
                first: decision.first,
                changes,
            })
        })
        .collect()
}

/// How the newest snapshot differs from the journal, change by change (nothing when there is
/// no snapshot, or it agrees).
pub(crate) async fn compare_with_journal(pool: &Pool) -> Result<Vec<String>, StoreError> {
    let Some(info) = newest_snapshot(pool).await? else {
        return Ok(Vec::new());
    };
    let mut differ = Vec::new();
    let mut journal: VecDeque<JournalRow> = VecDeque::new();
    let mut fetched = 0;
    let mut last = 0;
    'parts: for (part, data) in read_parts(pool, info.seq).await? {
        let decisions = match unpack_part(info.seq, part, &data) {
            Ok(decisions) => decisions,
            Err(error) => {
                differ.push(error.to_string());
                break;
            }
        };
        for decision in decisions {
            for (offset, change) in decision.changes.iter().enumerate() {
                let seq = decision.first + offset as i64;
                if journal.is_empty() {
                    let (rows, _) = read_decisions(pool, fetched).await?;
                    fetched = rows.last().map_or(fetched, |row| row.seq);
                    journal.extend(rows);
                }
                let Some(row) = journal.pop_front() else {
                    differ.push(format!(
                        "the snapshot holds row {seq}, past the journal's last row"
                    ));
                    break 'parts;
                };
                if row.seq != seq || row.decision != decision.first {
                    differ.push(format!(
                        "the snapshot's row {seq} (decision {}) is the journal's row {} \
                         (decision {})",
                        decision.first, row.seq, row.decision
                    ));
                    break 'parts;
                }
                match wire::decode_change(&row.change) {
                    Ok(journal_change) if journal_change == *change => {}
                    _ => differ.push(format!("journal row {seq} differs from the snapshot")),
                }
                last = seq;
            }
        }
    }
    if differ.is_empty() && last != info.seq {
        differ.push(format!(
            "the snapshot says it reaches row {}, its changes end at row {last}",
            info.seq
        ));
    }
    Ok(differ)
}

/// The journal's head.
async fn journal_head(pool: &Pool) -> Result<i64, StoreError> {
    let sql = "SELECT journal_seq FROM book WHERE id = 1";
    let head: Option<i64> = match pool {
        Pool::Sqlite(pool) => sqlx::query_scalar(sql).fetch_optional(pool).await?,
        Pool::Postgres(pool) => sqlx::query_scalar(sql).fetch_optional(pool).await?,
    };
    head.ok_or(StoreError::Empty)
}

/// The newest snapshot in this binary's packed format.
pub(crate) async fn newest_snapshot(pool: &Pool) -> Result<Option<SnapshotInfo>, StoreError> {
    let sql = "SELECT seq, count(*), sum(changes), sum(length(data)) FROM snapshot \
               WHERE format = $1 GROUP BY seq ORDER BY seq DESC LIMIT 1";
    let row: Option<(i64, i64, i64, i64)> = match pool {
        Pool::Sqlite(pool) => {
            sqlx::query_as(sql)
                .bind(PACKED_VERSION)
                .fetch_optional(pool)
                .await?
        }
        Pool::Postgres(pool) => {
            sqlx::query_as(
                "SELECT seq, count(*), sum(changes)::bigint, sum(length(data))::bigint \
                 FROM snapshot WHERE format = $1 GROUP BY seq ORDER BY seq DESC LIMIT 1",
            )
            .bind(PACKED_VERSION)
            .fetch_optional(pool)
            .await?
        }
    };
    Ok(row.map(|(seq, parts, changes, bytes)| SnapshotInfo {
        seq,
        parts,
        changes,
        bytes,
    }))
}

/// The parts of the snapshot at `seq`, in order, read in one statement (so a snapshot another
/// process replaces meanwhile is read whole or not at all).
pub(crate) async fn read_parts(pool: &Pool, seq: i64) -> Result<Vec<(i64, Vec<u8>)>, StoreError> {
    let sql = "SELECT part, data FROM snapshot WHERE seq = $1 AND format = $2 ORDER BY part";
    Ok(match pool {
        Pool::Sqlite(pool) => {
            sqlx::query_as(sql)
                .bind(seq)
                .bind(PACKED_VERSION)
                .fetch_all(pool)
                .await?
        }
        Pool::Postgres(pool) => {
            sqlx::query_as(sql)
                .bind(seq)
                .bind(PACKED_VERSION)
                .fetch_all(pool)
                .await?
        }
    })
}
