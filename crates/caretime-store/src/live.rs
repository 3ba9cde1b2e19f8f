//! A process's book: the engine's [`Book`] kept coherent with the database.
//!
//! One path for every change: catch up on the journal, decide with the engine on the cached
//! book, then commit the decision's changes (journal rows, table rows and audit rows) in one
//! transaction that holds the write lock. If another process committed in between, the
//! transaction catches up and decides again, once; a decision the engine then refuses is a
//! conflict. The cache applies the changes only after the commit.

use caretime_core::id::{AppointmentId, RequestId};
use caretime_core::region::Region;
use caretime_core::rules::RuleSet;
use caretime_engine::availability::Horizon;
use caretime_engine::book::{Book, BookPolicy, Change, Outcome, Refusal};
use std::time::Instant;

use jiff::civil::Date;
use jiff::{Timestamp, ToSpan};

use crate::db::{Pool, Statement, Tx};
use crate::record::Record;
use crate::region::StoredRegion;
use crate::{Actor, AuditEvent, Store, StoreError, audit_statement, snapshot, tables, wire};

/// The book covers this many days past today; it is rebuilt, a month further, when today
/// comes within [`Horizon::last`] minus this.
pub const LOOKAHEAD_DAYS: i32 = 180;
/// How much further than the lookahead a rebuilt book reaches (so it is rebuilt monthly, not
/// daily).
const ROLL_DAYS: i32 = 30;
/// Journal rows read per query while loading or catching up.
const JOURNAL_PAGE: i64 = 20_000;

/// What a decision came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Committed: these changes are in the database and in the book.
    Committed {
        /// The changes.
        changes: Vec<Change>,
        /// The journal's sequence number of the first.
        seq: i64,
    },
    /// The engine refused the decision (every reason).
    Refused(Vec<Refusal>),
    /// Another process's commit made the decision impossible: the engine refused it on the
    /// book caught up with that commit (or the database refused the write twice).
    Conflict(Vec<Refusal>),
}

/// An error a decision function returns, boxed so that decisions of any caller can share a
/// queue.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A decision waiting for a batch ([`crate::shared::SharedBook`]).
pub(crate) struct Queued {
    pub(crate) now: Timestamp,
    pub(crate) actor: Actor,
    pub(crate) audit: AuditEvent,
    pub(crate) decide: DecideOnce,
}

/// A queued decision's function.
pub(crate) type DecideOnce = Box<dyn FnOnce(Context<'_>) -> Result<Outcome, BoxError> + Send>;

/// What a decision sees.
#[derive(Clone, Copy, Debug)]
pub struct Context<'a> {
    /// The book, caught up.
    pub book: &'a Book,
    /// Its region.
    pub region: &'a Region,
    /// Its rule set.
    pub rules: &'a RuleSet,
    /// The id a new request takes.
    pub next_request: RequestId,
}

/// The engine's book, a cache of the database's.
#[derive(Debug)]
pub struct LiveBook {
    store: Store,
    stored: StoredRegion,
    book: Book,
    /// The last journal row applied.
    seen: i64,
    /// Every decision committed before this instant is in the cache: the instant a catch-up
    /// (or a batch's transaction) sent its first query, whose snapshot is at or after it.
    current_as_of: Option<Instant>,
    next_request: u32,
}

impl LiveBook {
    /// Loads the book as of `now`: the region, the newest snapshot of the journal, then the
    /// journal rows after it.
    pub async fn load(
        store: &Store,
        now: Timestamp,
        actor: &Actor,
    ) -> Result<LiveBook, StoreError> {
        LiveBook::load_with(store, now, actor, true).await
    }

    /// Loads the book as of `now` from the journal alone, every row in order (`db check`: the
    /// journal is the record, a snapshot only a cache of it).
    pub async fn replay(
        store: &Store,
        now: Timestamp,
        actor: &Actor,
    ) -> Result<LiveBook, StoreError> {
        LiveBook::load_with(store, now, actor, false).await
    }

    async fn load_with(
        store: &Store,
        now: Timestamp,
        actor: &Actor,
        snapshot: bool,
    ) -> Result<LiveBook, StoreError> {
        let stored = store.load_region(actor, now).await?;
        let book = empty_book(&stored, now)?;
        let mut live = LiveBook {
            store: store.clone(),
            stored,
            book,
            seen: 0,
            current_as_of: None,
            next_request: 0,
        };
        if snapshot {
            live.restore().await?;
        } else {
            live.catch_up().await?;
        }
        Ok(live)
    }

    /// Fills the empty cache from the database: the newest snapshot, then the journal after it.
    async fn restore(&mut self) -> Result<(), StoreError> {
        self.seen = 0;
        self.current_as_of = None;
        self.next_request = 0;
        self.restore_snapshot().await?;
        self.catch_up().await?;
        Ok(())
    }

    /// Applies the newest snapshot this binary can read, if there is one.
    async fn restore_snapshot(&mut self) -> Result<(), StoreError> {
        // Twice: another process may replace the snapshot between the two queries.
        for _ in 0..2 {
            let Some(info) = snapshot::newest_snapshot(self.store.pool()).await? else {
                return Ok(());
            };
            let parts = snapshot::read_parts(self.store.pool(), info.seq).await?;
            if parts.len() as i64 != info.parts {
                continue;
            }
            for (part, data) in parts {
                for decision in snapshot::unpack_part(info.seq, part, &data)? {
                    self.apply_decision(&decision.changes, decision.first)?;
                    self.seen = decision.first + decision.changes.len() as i64 - 1;
                }
            }
            if self.seen != info.seq {
                return Err(StoreError::Snapshot {
                    seq: info.seq,
                    part: info.parts - 1,
                    message: format!("its decisions end at row {}", self.seen),
                });
            }
            return Ok(());
        }
        Ok(())
    }

    /// The cached book.
    pub fn book(&self) -> &Book {
        &self.book
    }

    /// The region.
    pub fn region(&self) -> &Region {
        &self.stored.region
    }

    /// The rule set.
    pub fn rules(&self) -> &RuleSet {
        &self.stored.rules
    }

    /// The region, rule set and book, for a caller done with the database.
    pub fn into_parts(self) -> (Region, RuleSet, Book) {
        (self.stored.region, self.stored.rules, self.book)
    }

    /// The last journal row the cache has applied.
    pub fn seen(&self) -> i64 {
        self.seen
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// What a decision would see now (without catching up).
    pub fn context(&self) -> Context<'_> {
        Context {
            book: &self.book,
            region: &self.stored.region,
            rules: &self.stored.rules,
            next_request: RequestId(self.next_request),
        }
    }

    /// Applies the journal rows committed since the cache last looked.
    pub async fn catch_up(&mut self) -> Result<usize, StoreError> {
        let asked = Instant::now();
        let mut applied = 0;
        loop {
            let (rows, more) = read_decisions(self.store.pool(), self.seen).await?;
            applied += self.apply_rows(rows)?;
            if !more {
                self.current_as_of = Some(asked);
                return Ok(applied);
            }
        }
    }

    /// Catches up unless a catch-up that began after `arrived` already has: a request that
    /// arrived at `arrived` must see every decision committed before it, and a catch-up sent
    /// later saw them all. Concurrent readers queued behind one catch-up then share it instead
    /// of each making its own round trip.
    pub async fn catch_up_since(&mut self, arrived: Instant) -> Result<usize, StoreError> {
        if self.current_as_of.is_some_and(|as_of| as_of > arrived) {
            return Ok(0);
        }
        self.catch_up().await
    }

    /// Makes sure the book reaches [`LOOKAHEAD_DAYS`] past `now`, rebuilding it from the
    /// database when it does not (the horizon rolls forward with the date).
    pub async fn roll(&mut self, now: Timestamp) -> Result<bool, StoreError> {
        if !self.needs_roll(now) {
            return Ok(false);
        }
        self.book = empty_book(&self.stored, now)?;
        self.restore().await?;
        Ok(true)
    }

    /// Whether the book falls short of [`LOOKAHEAD_DAYS`] past `now` ([`LiveBook::roll`] would
    /// rebuild it).
    pub fn needs_roll(&self, now: Timestamp) -> bool {
        utc_date(now).saturating_add(LOOKAHEAD_DAYS.days())
            > self.book.availability().horizon().last
    }

    /// Decides with `decide` on the caught-up book and commits what it accepts. `audit`
    /// describes the decision for the audit log (its outcome is filled in). `decide` may fail
    /// with the caller's own error (a find the engine could not run), which is returned as is.
    pub async fn decide<F, E>(
        &mut self,
        now: Timestamp,
        actor: &Actor,
        audit: AuditEvent,
        decide: F,
    ) -> Result<Decision, E>
    where
        F: Fn(Context<'_>) -> Result<Outcome, E>,
        E: From<StoreError>,
    {
        let no_record: Option<&fn(&[Change]) -> Record> = None;
        self.decide_with(now, actor, audit, decide, no_record).await
    }

    /// [`LiveBook::decide`], writing in the same transaction the [`Record`] that `record` makes
    /// of the changes that commit (those of the last decision, if it was made again).
    pub async fn decide_recording<F, R, E>(
        &mut self,
        now: Timestamp,
        actor: &Actor,
        audit: AuditEvent,
        decide: F,
        record: R,
    ) -> Result<Decision, E>
    where
        F: Fn(Context<'_>) -> Result<Outcome, E>,
        R: Fn(&[Change]) -> Record,
        E: From<StoreError>,
    {
        self.decide_with(now, actor, audit, decide, Some(&record))
            .await
    }

    async fn decide_with<F, R, E>(
        &mut self,
        now: Timestamp,
        actor: &Actor,
        audit: AuditEvent,
        decide: F,
        record: Option<&R>,
    ) -> Result<Decision, E>
    where
        F: Fn(Context<'_>) -> Result<Outcome, E>,
        R: Fn(&[Change]) -> Record,
        E: From<StoreError>,
    {
        self.roll(now).await?;
        self.catch_up().await?;
        let mut raced = false;
        loop {
            let changes = match decide(self.context())? {
                Outcome::Accepted(changes) => changes.into_vec(),
                Outcome::Refused(refusals) => {
                    let outcome = if raced { "conflict" } else { "refused" };
                    self.store
                        .audit(actor, now, &AuditEvent { outcome, ..audit })
                        .await?;
                    return Ok(if raced {
                        Decision::Conflict(refusals)
                    } else {
                        Decision::Refused(refusals)
                    });
                }
            };
            match self
                .commit(&changes, now, actor, &audit, &decide, record)
                .await
            {
                Ok(Committed::Done { changes, seq }) => {
                    return Ok(Decision::Committed { changes, seq });
                }
                Ok(Committed::Refused(refusals)) => {
                    self.store
                        .audit(
                            actor,
                            now,
                            &AuditEvent {
                                outcome: "conflict",
                                ..audit
                            },
                        )
                        .await?;
                    return Ok(Decision::Conflict(refusals));
                }
                Ok(Committed::Failed(error)) => return Err(error),
                Err(error) if error.is_race() && !raced => {
                    // The database refused what the cache allowed: catch up, decide again once.
                    raced = true;
                    self.catch_up().await?;
                }
                Err(error) if error.is_race() => {
                    self.store
                        .audit(
                            actor,
                            now,
                            &AuditEvent {
                                outcome: "conflict",
                                ..audit
                            },
                        )
                        .await?;
                    return Ok(Decision::Conflict(Vec::new()));
                }
                Err(error) => return Err(error.into()),
            }
        }
    }

    /// Commits `changes` in one transaction under the write lock; if the journal moved since
    /// the cache last looked, catches up inside the transaction and decides again.
    async fn commit<F, R, E>(
        &mut self,
        changes: &[Change],
        now: Timestamp,
        actor: &Actor,
        audit: &AuditEvent,
        decide: &F,
        record: Option<&R>,
    ) -> Result<Committed<E>, StoreError>
    where
        F: Fn(Context<'_>) -> Result<Outcome, E>,
        R: Fn(&[Change]) -> Record,
    {
        let (mut tx, head) = Tx::begin(self.store.pool()).await?;
        let mut redecided = None;
        if head != self.seen {
            let rows = read_journal(self.store.pool(), Some(&mut tx), self.seen, i64::MAX).await;
            let caught_up = rows.and_then(|rows| self.apply_rows(rows));
            if let Err(error) = caught_up {
                tx.rollback().await?;
                return Err(error);
            }
            match decide(self.context()) {
                Ok(Outcome::Accepted(again)) => redecided = Some(again.into_vec()),
                Ok(Outcome::Refused(refusals)) => {
                    tx.rollback().await?;
                    return Ok(Committed::Refused(refusals));
                }
                Err(error) => {
                    tx.rollback().await?;
                    return Ok(Committed::Failed(error));
                }
            }
        }
        let changes = redecided.as_deref().unwrap_or(changes);
        let record = record.map(|record| record(changes));
        let written = write(
            &mut tx,
            &self.stored.region,
            changes,
            head,
            now,
            actor,
            audit,
            record.as_ref(),
        )
        .await;
        match written {
            Ok(()) => tx.commit().await?,
            Err(error) => {
                tx.rollback().await?;
                return Err(error);
            }
        }
        let seq = head + 1;
        self.apply_decision(changes, seq)?;
        self.seen = head + changes.len() as i64;
        Ok(Committed::Done {
            changes: changes.to_vec(),
            seq,
        })
    }

    /// Decides a batch of queued decisions in `begun`'s transaction (which holds the database's
    /// write lock; the book rolled forward to their latest `now` before it began) and applies
    /// them to the cache as if they were committed; [`Batch::commit`]
    /// then commits them all at once (group commit: one catch-up, one fsync), and if that fails
    /// the caller rebuilds the cache ([`LiveBook::rebuild`]). Each decision is decided on the book
    /// with the ones before it applied. The error is the batch's (nothing was decided); a
    /// decision's own error is in its place in [`Batch::commit`]'s answer.
    pub(crate) async fn decide_batch(
        &mut self,
        begun: Begun,
        jobs: Vec<Queued>,
    ) -> Result<Batch, StoreError> {
        let Begun {
            mut tx,
            head,
            asked,
        } = begun;
        let prepared = self.prepare(&mut tx, head).await;
        if let Err(error) = prepared {
            tx.rollback().await?;
            return Err(error);
        }
        let mut writes = Writes::default();
        let mut results = Vec::with_capacity(jobs.len());
        for job in jobs {
            let outcome = (job.decide)(self.context());
            match outcome {
                Err(error) => results.push(Err(error)),
                Ok(Outcome::Refused(refusals)) => {
                    writes.audit_only(&job.actor, job.now, &job.audit, "refused");
                    results.push(Ok(Decision::Refused(refusals)));
                }
                Ok(Outcome::Accepted(changes)) => {
                    let first = head + writes.rows() + 1;
                    match self.apply_decision(&changes, first) {
                        Ok(()) => {
                            writes.decision(
                                &self.stored.region,
                                &changes,
                                first,
                                job.now,
                                &job.actor,
                                &job.audit,
                            );
                            results.push(Ok(Decision::Committed {
                                changes: changes.into_vec(),
                                seq: first,
                            }));
                        }
                        Err(error) => results.push(Err(Box::new(error))),
                    }
                }
            }
        }
        // The batch's rows are the journal's next ones: no other process can write any before
        // the batch commits (its transaction holds the write lock), so a catch-up made before
        // then finds nothing new, and one made after starts past them.
        self.seen = head + writes.rows();
        // The transaction read the head under the write lock, after `asked`: every commit
        // before then is in the journal up to `head`, now applied.
        self.current_as_of = Some(asked);
        Ok(Batch {
            tx,
            head,
            writes,
            results,
        })
    }

    /// Brings the cache to the journal's `head` as `tx` sees it. The caller rolls the book
    /// forward first ([`LiveBook::roll`]), before it takes the write lock: a roll reads the
    /// whole book again.
    async fn prepare(&mut self, tx: &mut Tx, head: i64) -> Result<(), StoreError> {
        if head != self.seen {
            let rows = read_journal(self.store.pool(), Some(tx), self.seen, i64::MAX).await?;
            self.apply_rows(rows)?;
        }
        Ok(())
    }

    /// Starts the cache again from the database (after a batch it applied failed to commit).
    pub(crate) async fn rebuild(&mut self) -> Result<(), StoreError> {
        let horizon = self.book.availability().horizon();
        self.book = Book::new(&self.stored.region, horizon, &[], BookPolicy::STANDARD)
            .map_err(|error| StoreError::Book(error.to_string()))?;
        self.restore().await
    }

    /// Applies journal rows (whole decisions, in order) to the cache.
    fn apply_rows(&mut self, rows: Vec<JournalRow>) -> Result<usize, StoreError> {
        let n = rows.len();
        let mut decision: Vec<Change> = Vec::new();
        let mut decision_seq = 0;
        for row in rows {
            if row.decision != decision_seq && !decision.is_empty() {
                self.apply_decision(&decision, decision_seq)?;
                decision.clear();
            }
            decision_seq = row.decision;
            let change = wire::decode_change(&row.change).map_err(|error| StoreError::Journal {
                seq: row.seq,
                error,
            })?;
            decision.push(change);
            self.seen = row.seq;
        }
        if !decision.is_empty() {
            self.apply_decision(&decision, decision_seq)?;
        }
        Ok(n)
    }

    fn apply_decision(&mut self, changes: &[Change], seq: i64) -> Result<(), StoreError> {
        self.book
            .apply(changes)
            .map_err(|error| StoreError::Apply { seq, error })?;
        for change in changes {
            let request = match change {
                Change::Create(appointment) => Some(appointment.request.id),
                Change::Arrange(arrangement) => Some(arrangement.request),
                Change::Wait(entry) => Some(entry.request.id),
                _ => None,
            };
            if let Some(request) = request {
                self.next_request = self.next_request.max(request.0.saturating_add(1));
            }
        }
        Ok(())
    }

    /// The appointment `id` as the cache holds it.
    pub fn appointment(&self, id: AppointmentId) -> Option<caretime_engine::book::Appointment> {
        self.book.appointment(id)
    }
}

enum Committed<E> {
    Done { changes: Vec<Change>, seq: i64 },
    Refused(Vec<Refusal>),
    Failed(E),
}

/// A batch's transaction, begun: it holds the database's write lock.
pub(crate) struct Begun {
    tx: Tx,
    /// The journal's head under the lock.
    head: i64,
    /// When the transaction was asked for.
    asked: Instant,
}

impl Begun {
    /// Begins a transaction that takes the write lock and reads the journal's head.
    pub(crate) async fn new(store: &Store) -> Result<Begun, StoreError> {
        let asked = Instant::now();
        let (tx, head) = Tx::begin(store.pool()).await?;
        Ok(Begun { tx, head, asked })
    }

    /// Ends the transaction without writing, releasing the write lock.
    pub(crate) async fn rollback(self) -> Result<(), StoreError> {
        self.tx.rollback().await
    }
}

/// A batch decided and applied to the cache, not yet committed.
pub(crate) struct Batch {
    tx: Tx,
    head: i64,
    writes: Writes,
    results: Vec<Result<Decision, BoxError>>,
}

impl Batch {
    /// Whether the cache holds decisions of this batch (which it must forget if the commit
    /// fails).
    pub(crate) fn changed_the_book(&self) -> bool {
        self.writes.rows() > 0
    }

    /// Writes and commits the batch: each decision's answer, or the batch's error (nothing of
    /// it was committed).
    pub(crate) async fn commit(self) -> Result<Vec<Result<Decision, BoxError>>, StoreError> {
        let Batch {
            mut tx,
            head,
            writes,
            results,
        } = self;
        match writes.run(&mut tx, head).await {
            Ok(()) => tx.commit().await?,
            Err(error) => {
                tx.rollback().await?;
                return Err(error);
            }
        }
        Ok(results)
    }
}

/// The UTC date of `now`.
fn utc_date(now: Timestamp) -> Date {
    now.to_zoned(jiff::tz::TimeZone::UTC).date()
}

/// An empty book over the stored region, from its first date to a month past the lookahead.
fn empty_book(stored: &StoredRegion, now: Timestamp) -> Result<Book, StoreError> {
    let today = utc_date(now).max(stored.first);
    let horizon = Horizon {
        first: stored.first,
        last: today.saturating_add((LOOKAHEAD_DAYS + ROLL_DAYS).days()),
    };
    Book::new(&stored.region, horizon, &[], BookPolicy::STANDARD)
        .map_err(|error| StoreError::Book(error.to_string()))
}

/// Writes a decision: its journal rows, the tables' changes and its record, the new head and
/// the audit row.
#[expect(
    clippy::too_many_arguments,
    reason = "one decision's parts, each used once"
)]
async fn write(
    tx: &mut Tx,
    region: &Region,
    changes: &[Change],
    head: i64,
    now: Timestamp,
    actor: &Actor,
    audit: &AuditEvent,
    record: Option<&Record>,
) -> Result<(), StoreError> {
    let mut writes = Writes::default();
    writes.decision(region, changes, head + 1, now, actor, audit);
    if let Some(record) = record {
        let seqs = (!changes.is_empty()).then(|| (head + 1, head + changes.len() as i64));
        writes.tables.extend(record.statements(seqs, now, actor));
    }
    writes.run(tx, head).await
}

/// What one transaction writes for the decisions it commits, in order: journal rows, then the
/// tables' statements, then the request rows, then the journal's new head, then the audit rows.
#[derive(Debug, Default)]
pub(crate) struct Writes {
    journal: Vec<Statement>,
    tables: Vec<Statement>,
    requests: Vec<Statement>,
    audits: Vec<Statement>,
    /// Journal rows added.
    rows: i64,
}

impl Writes {
    /// Adds a decision whose first journal row is `first`.
    pub(crate) fn decision(
        &mut self,
        region: &Region,
        changes: &[Change],
        first: i64,
        now: Timestamp,
        actor: &Actor,
        audit: &AuditEvent,
    ) {
        for (offset, change) in changes.iter().enumerate() {
            let seq = first + offset as i64;
            self.journal.push(Statement::new(
                "INSERT INTO journal (seq, decision, at, actor, change) VALUES ($1, $2, $3, $4, $5)",
                vec![
                    seq.into(),
                    first.into(),
                    tables::seconds(now).into(),
                    actor.who.as_str().into(),
                    wire::encode_change(change).into(),
                ],
            ));
            self.tables.extend(tables::statements(region, change, seq));
            self.requests.extend(tables::request_statement(change, seq));
        }
        self.rows += changes.len() as i64;
        let entity_id = changes.iter().find_map(|change| match change {
            Change::Create(appointment) => Some(appointment.id.0.to_string()),
            Change::SetStatus { appointment, .. } => Some(appointment.0.to_string()),
            _ => None,
        });
        let event = AuditEvent {
            entity_id: audit.entity_id.clone().or(entity_id),
            outcome: "ok",
            ..audit.clone()
        };
        self.audits.push(audit_statement(actor, now, &event));
    }

    /// Adds the audit row of a decision that wrote nothing (refused, or a conflict).
    pub(crate) fn audit_only(
        &mut self,
        actor: &Actor,
        now: Timestamp,
        audit: &AuditEvent,
        outcome: &'static str,
    ) {
        let event = AuditEvent {
            outcome,
            ..audit.clone()
        };
        self.audits.push(audit_statement(actor, now, &event));
    }

    /// Journal rows added so far.
    pub(crate) fn rows(&self) -> i64 {
        self.rows
    }

    /// Runs everything in `tx`, whose journal head was `head` (on PostgreSQL a batch of
    /// bookings is one statement: [`Tx::run_all`]).
    pub(crate) async fn run(self, tx: &mut Tx, head: i64) -> Result<(), StoreError> {
        // The journal first: table rows name the journal row that wrote them.
        let mut statements = self.journal;
        statements.extend(self.tables);
        statements.extend(self.requests);
        if self.rows > 0 {
            statements.push(
                Statement::new(
                    "UPDATE book SET journal_seq = $1 WHERE id = 1 AND journal_seq = $2",
                    vec![(head + self.rows).into(), head.into()],
                )
                .one_row(),
            );
        }
        statements.extend(self.audits);
        tx.run_all(statements).await
    }
}

/// A journal row as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JournalRow {
    /// Its sequence number.
    pub seq: i64,
    /// Its decision's first sequence number.
    pub decision: i64,
    /// The change, as [`wire::encode_change`] wrote it.
    pub change: String,
}

/// Reads a page of the journal after `after`, whole decisions only: the rows, and whether more
/// may follow.
pub(crate) async fn read_decisions(
    pool: &Pool,
    after: i64,
) -> Result<(Vec<JournalRow>, bool), StoreError> {
    let mut rows = read_journal_page(pool, after, JOURNAL_PAGE).await?;
    let full = rows.len() as i64 == JOURNAL_PAGE;
    if full {
        // The page may end inside a decision: keep whole decisions only.
        let last = rows.last().map_or(0, |row| row.decision);
        if rows.first().is_some_and(|row| row.decision == last) {
            rows = read_decision(pool, after, last).await?;
        } else {
            rows.retain(|row| row.decision != last);
        }
    }
    Ok((rows, full))
}

/// Reads the rows of one decision after `after`.
async fn read_decision(
    pool: &Pool,
    after: i64,
    decision: i64,
) -> Result<Vec<JournalRow>, StoreError> {
    let sql = "SELECT seq, decision, change FROM journal WHERE seq > $1 AND decision = $2 \
               ORDER BY seq";
    let rows: Vec<(i64, i64, String)> = match pool {
        Pool::Sqlite(pool) => {
            sqlx::query_as(sql)
                .bind(after)
                .bind(decision)
                .fetch_all(pool)
                .await?
        }
        Pool::Postgres(pool) => {
            sqlx::query_as(sql)
                .bind(after)
                .bind(decision)
                .fetch_all(pool)
                .await?
        }
    };
    Ok(journal_rows(rows))
}

fn journal_rows(rows: Vec<(i64, i64, String)>) -> Vec<JournalRow> {
    rows.into_iter()
        .map(|(seq, decision, change)| JournalRow {
            seq,
            decision,
            change,
        })
        .collect()
}

/// Reads up to `limit` journal rows after `after`, in order, as one row of text: a load reads
/// millions of rows, and a driver that hands rows over one at a time (sqlx's SQLite worker
/// thread) spends most of its time handing them over. Each line is `seq decision change`; a
/// change is one line of JSON, which escapes every line break it holds.
async fn read_journal_page(
    pool: &Pool,
    after: i64,
    limit: i64,
) -> Result<Vec<JournalRow>, StoreError> {
    let page: Option<String> = match pool {
        Pool::Sqlite(pool) => {
            sqlx::query_scalar(
                "SELECT group_concat(CAST(seq AS TEXT) || ' ' || CAST(decision AS TEXT) || ' ' \
                 || change, char(10)) FROM (SELECT seq, decision, change \
                 FROM journal WHERE seq > $1 ORDER BY seq LIMIT $2)",
            )
            .bind(after)
            .bind(limit)
            .fetch_one(pool)
            .await?
        }
        Pool::Postgres(pool) => {
            sqlx::query_scalar(
                "SELECT string_agg(seq::text || ' ' || decision::text || ' ' || change, E'\\n' \
                 ORDER BY seq) FROM (SELECT seq, decision, change FROM journal WHERE seq > $1 \
                 ORDER BY seq LIMIT $2) AS page",
            )
            .bind(after)
            .bind(limit)
            .fetch_one(pool)
            .await?
        }
    };
    let Some(page) = page else {
        return Ok(Vec::new());
    };
    let mut rows = page
        .split('\n')
        .map(|line| {
            let mut parts = line.splitn(3, ' ');
            let number = |part: Option<&str>| part.and_then(|text| text.parse::<i64>().ok());
            match (number(parts.next()), number(parts.next()), parts.next()) {
                (Some(seq), Some(decision), Some(change)) => Ok(JournalRow {
                    seq,
                    decision,
                    change: change.to_owned(),
                }),
                _ => Err(StoreError::Disagree(format!(
                    "a journal row after {after} is not `seq decision change`"
                ))),
            }
        })
        .collect::<Result<Vec<JournalRow>, StoreError>>()?;
    // SQLite aggregates the ordered subquery's rows in order without an ORDER BY of its own
    // (which would sort them again in a temporary b-tree); the order is checked, not assumed.
    if !rows.is_sorted_by_key(|row| row.seq) {
        rows.sort_unstable_by_key(|row| row.seq);
    }
    Ok(rows)
}

/// Reads up to `limit` journal rows after `after`, in order, through the transaction if given.
pub(crate) async fn read_journal(
    pool: &Pool,
    tx: Option<&mut Tx>,
    after: i64,
    limit: i64,
) -> Result<Vec<JournalRow>, StoreError> {
    let sql = "SELECT seq, decision, change FROM journal WHERE seq > $1 ORDER BY seq LIMIT $2";
    let rows: Vec<(i64, i64, String)> = match (tx, pool) {
        (Some(Tx::Sqlite(tx)), _) => {
            sqlx::query_as(sql)
                .bind(after)
                .bind(limit)
                .fetch_all(&mut **tx)
                .await?
        }
        (Some(Tx::Postgres(tx)), _) => {
            sqlx::query_as(sql)
                .bind(after)
                .bind(limit)
                .fetch_all(&mut **tx)
                .await?
        }
        (None, Pool::Sqlite(pool)) => {
            sqlx::query_as(sql)
                .bind(after)
                .bind(limit)
                .fetch_all(pool)
                .await?
        }
        (None, Pool::Postgres(pool)) => {
            sqlx::query_as(sql)
                .bind(after)
                .bind(limit)
                .fetch_all(pool)
                .await?
        }
    };
    Ok(journal_rows(rows))
}
