//! `caretime db check`: what must hold in a database, checked from scratch.
//!
//! No two held appointments of a clinician overlap; no row refers to a member, clinician,
//! facility, appointment, session or request that is not there; the journal is whole (sequence
//! numbers 1 to the head, no gap) and no replan names rows past its head; the newest snapshot
//! holds exactly the journal's changes up to its row; and replaying the journal through the
//! engine gives exactly the appointments, arrangements and waitlist the tables hold.

use std::collections::BTreeMap;

use caretime_core::slug::Slug;
use jiff::Timestamp;

use crate::db::Pool;
use crate::live::LiveBook;
use crate::query::{AppointmentFilter, AppointmentRow};
use crate::{Actor, AuditEvent, Store, StoreError, snapshot};

/// At most this many problems of one kind are listed (then a count).
const MAX_LISTED: usize = 20;

/// One thing wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// What kind: `overlap`, `orphan`, `journal`, `snapshot`, `replay`.
    pub kind: &'static str,
    /// What, with ids (never a member's data).
    pub detail: String,
}

/// Queries returning pairs of ids that must return none, each with what a row means.
const PAIR_CHECKS: [(&str, &str, &str); 13] = [
    (
        "overlap",
        "held appointments {0} and {1} of one clinician overlap",
        "SELECT a.id, b.id FROM appointment a JOIN appointment b ON b.clinician = a.clinician \
         AND b.id > a.id AND b.start_at > a.start_at - 86400 AND b.start_at < a.end_at \
         AND b.end_at > a.start_at WHERE a.active AND b.active ORDER BY a.id, b.id",
    ),
    (
        "orphan",
        "appointment {0} refers to member {1}, who is not in the region",
        "SELECT a.id, a.member FROM appointment a LEFT JOIN member m ON m.id = a.member \
         WHERE m.id IS NULL ORDER BY a.id",
    ),
    (
        "orphan",
        "appointment {0} refers to clinician {1}, who is not in the region",
        "SELECT a.id, a.clinician FROM appointment a LEFT JOIN clinician c ON c.id = a.clinician \
         WHERE c.id IS NULL ORDER BY a.id",
    ),
    (
        "orphan",
        "appointment {0} refers to facility {1}, which is not in the region",
        "SELECT a.id, a.facility FROM appointment a LEFT JOIN facility f ON f.id = a.facility \
         WHERE f.id IS NULL ORDER BY a.id",
    ),
    (
        "orphan",
        "clinician {0} works at facility {1}, which is not in the region",
        "SELECT c.id, c.facility FROM clinician c LEFT JOIN facility f ON f.id = c.facility \
         WHERE f.id IS NULL ORDER BY c.id",
    ),
    (
        "orphan",
        "episode {0} lists appointment {1}, which is not in the book",
        "SELECT e.episode, e.appointment FROM episode_appointment e \
         LEFT JOIN appointment a ON a.id = e.appointment WHERE a.id IS NULL \
         ORDER BY e.episode, e.appointment",
    ),
    (
        "orphan",
        "waitlist request {0} is for member {1}, who is not in the region",
        "SELECT w.request, w.member FROM waitlist w LEFT JOIN member m ON m.id = w.member \
         WHERE m.id IS NULL ORDER BY w.request",
    ),
    (
        "orphan",
        "a seat of group {0} is for member {1}, who is not in the region",
        "SELECT s.therapy_group, s.member FROM group_seat s LEFT JOIN member m ON m.id = s.member \
         WHERE m.id IS NULL ORDER BY s.therapy_group, s.member",
    ),
    (
        "orphan",
        "appointment {0} is for request {1}, which has no row",
        "SELECT a.id, a.request FROM appointment a LEFT JOIN request r ON r.id = a.request \
         WHERE r.id IS NULL ORDER BY a.id",
    ),
    (
        "orphan",
        "the arrangement of journal row {0} is for request {1}, which has no row",
        "SELECT a.journal_seq, a.request FROM arrangement a \
         LEFT JOIN request r ON r.id = a.request WHERE r.id IS NULL ORDER BY a.journal_seq",
    ),
    (
        "orphan",
        "waitlist request {0} (journal row {1}) has no request row",
        "SELECT w.request, w.journal_seq FROM waitlist w LEFT JOIN request r ON r.id = w.request \
         WHERE r.id IS NULL ORDER BY w.request",
    ),
    (
        "journal",
        "appointment {0} was last changed by journal row {1}, past the journal's head",
        "SELECT a.id, a.journal_seq FROM appointment a, book b WHERE a.journal_seq > b.journal_seq \
         ORDER BY a.id",
    ),
    (
        "journal",
        "replan {0}'s changes end at journal row {1}, past the journal's head",
        "SELECT r.id, r.last_seq FROM replan r, book b WHERE r.last_seq > b.journal_seq \
         ORDER BY r.id",
    ),
];

impl Store {
    /// Every problem found (none: the database is sound). Audited as a read of the book.
    pub async fn check(&self, actor: &Actor, now: Timestamp) -> Result<Vec<Problem>, StoreError> {
        let mut problems = Vec::new();
        for (kind, template, sql) in PAIR_CHECKS {
            let pairs = pairs(self.pool(), sql).await?;
            list(
                &mut problems,
                kind,
                pairs.iter().map(|(a, b)| {
                    template
                        .replace("{0}", &a.to_string())
                        .replace("{1}", &b.to_string())
                }),
            );
        }
        let (head, count, max) = self.journal_extent().await?;
        if count != max || head != max {
            problems.push(Problem {
                kind: "journal",
                detail: format!(
                    "the journal holds {count} rows numbered up to {max}, and its head says {head}"
                ),
            });
        }
        list(
            &mut problems,
            "snapshot",
            snapshot::compare_with_journal(self.pool())
                .await?
                .into_iter(),
        );
        // A database without a region (after `db init`) has nothing to replay; a journal there
        // is a problem of its own.
        let has_region = self::count(self.pool(), "SELECT count(*) FROM book").await? > 0;
        if !has_region {
            if count > 0 {
                problems.push(Problem {
                    kind: "journal",
                    detail: format!("the journal holds {count} rows, but there is no region"),
                });
            }
        } else {
            match LiveBook::replay(self, now, actor).await {
                Ok(live) => self.compare(&live, &mut problems).await?,
                Err(error) => problems.push(Problem {
                    kind: "replay",
                    detail: format!("the journal does not replay: {error}"),
                }),
            }
        }
        self.audit(
            actor,
            now,
            &AuditEvent {
                action: "check",
                entity: "book",
                entity_id: None,
                outcome: if problems.is_empty() {
                    "ok"
                } else {
                    "problems"
                },
            },
        )
        .await?;
        Ok(problems)
    }

    async fn journal_extent(&self) -> Result<(i64, i64, i64), StoreError> {
        let sql = "SELECT (SELECT journal_seq FROM book WHERE id = 1), count(*), \
                   coalesce(max(seq), 0) FROM journal";
        let (head, count, max): (Option<i64>, i64, i64) = match self.pool() {
            Pool::Sqlite(pool) => sqlx::query_as(sql).fetch_one(pool).await?,
            Pool::Postgres(pool) => sqlx::query_as(sql).fetch_one(pool).await?,
        };
        Ok((head.unwrap_or(0), count, max))
    }

    /// The replayed book against the tables.
    async fn compare(
        &self,
        live: &LiveBook,
        problems: &mut Vec<Problem>,
    ) -> Result<(), StoreError> {
        let book = live.book();
        let rows = self.appointment_rows(AppointmentFilter::default()).await?;
        let mut by_id: BTreeMap<u32, AppointmentRow> =
            rows.into_iter().map(|row| (row.id, row)).collect();
        let mut differ = Vec::new();
        for id in 0..book.appointment_count() {
            let id = caretime_core::id::AppointmentId(id as u32);
            let Some(appointment) = book.appointment(id) else {
                continue;
            };
            let Some(row) = by_id.remove(&id.0) else {
                differ.push(format!(
                    "appointment {} is in the journal, not in the table",
                    id.0
                ));
                continue;
            };
            let same = row.status == appointment.status.code()
                && row.clinician == appointment.clinician.0
                && row.member == appointment.request.member.0
                && row.start == appointment.start
                && row.end.duration_since(row.start).as_secs()
                    == i64::from(appointment.length) * 60
                && row.time_kind == appointment.time.slug()
                && row.route == appointment.route.slug()
                && row.active == appointment.status.holds_time()
                && row.cancelled_by.as_deref() == appointment.cancellation.map(|c| c.by.slug());
            if !same {
                differ.push(format!(
                    "appointment {} differs between the journal and the table",
                    id.0
                ));
            }
        }
        differ.extend(
            by_id
                .keys()
                .map(|id| format!("appointment {id} is in the table, not in the journal")),
        );
        let arrangements = count(self.pool(), "SELECT count(*) FROM arrangement").await?;
        if arrangements != book.arrangements().len() as i64 {
            differ.push(format!(
                "the journal makes {} out-of-network arrangements, the table holds {arrangements}",
                book.arrangements().len()
            ));
        }
        let waiting = count(self.pool(), "SELECT count(*) FROM waitlist").await?;
        if waiting != book.waitlist().len() as i64 {
            differ.push(format!(
                "the journal leaves {} requests waiting, the table holds {waiting}",
                book.waitlist().len()
            ));
        }
        let episodes = count(self.pool(), "SELECT count(*) FROM episode").await?;
        if episodes != book.episodes().len() as i64 {
            differ.push(format!(
                "the journal opens {} episodes, the table holds {episodes}",
                book.episodes().len()
            ));
        }
        list(problems, "replay", differ.into_iter());
        Ok(())
    }
}

fn list(problems: &mut Vec<Problem>, kind: &'static str, details: impl Iterator<Item = String>) {
    let mut n = 0;
    for detail in details {
        if n < MAX_LISTED {
            problems.push(Problem { kind, detail });
        }
        n += 1;
    }
    if n > MAX_LISTED {
        problems.push(Problem {
            kind,
            detail: format!("... and {} more of this kind", n - MAX_LISTED),
        });
    }
}

async fn pairs(pool: &Pool, sql: &'static str) -> Result<Vec<(i64, i64)>, StoreError> {
    Ok(match pool {
        Pool::Sqlite(pool) => sqlx::query_as(sql).fetch_all(pool).await?,
        Pool::Postgres(pool) => sqlx::query_as(sql).fetch_all(pool).await?,
    })
}

async fn count(pool: &Pool, sql: &'static str) -> Result<i64, StoreError> {
    Ok(match pool {
        Pool::Sqlite(pool) => sqlx::query_scalar(sql).fetch_one(pool).await?,
        Pool::Postgres(pool) => sqlx::query_scalar(sql).fetch_one(pool).await?,
    })
}
