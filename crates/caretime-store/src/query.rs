//! Reading the book's tables: appointments by member or clinician. Every read is audited.

use jiff::Timestamp;

use crate::db::Pool;
use crate::{Actor, AuditEvent, Store, StoreError};

/// Which appointments to list.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AppointmentFilter {
    /// One member's.
    pub member: Option<u32>,
    /// One clinician's.
    pub clinician: Option<u32>,
}

/// An appointment as the tables hold it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppointmentRow {
    /// Its id.
    pub id: u32,
    /// The request it answers.
    pub request: u32,
    /// The member (an id only).
    pub member: u32,
    /// The request kind's slug.
    pub kind: String,
    /// When the request was made.
    pub requested: Timestamp,
    /// The deadline it counts against.
    pub deadline: Timestamp,
    /// Who sees the member.
    pub clinician: u32,
    /// Where.
    pub facility: u32,
    /// The facility's zone (IANA name).
    pub zone: String,
    /// Start.
    pub start: Timestamp,
    /// End.
    pub end: Timestamp,
    /// Direct or urgent-hold time.
    pub time_kind: String,
    /// How.
    pub modality: String,
    /// Continuity, internal or network.
    pub route: String,
    /// FHIR status code.
    pub status: String,
    /// Whether it holds the clinician's time.
    pub active: bool,
    /// Whether the offer it answered met the deadline.
    pub offered_met: bool,
    /// Business days late, if not.
    pub offered_late_days: i64,
    /// The cancellation's reason, if cancelled.
    pub cancel_reason: Option<String>,
    /// Who cancelled: member or plan.
    pub cancelled_by: Option<String>,
    /// The journal row that last changed it.
    pub journal_seq: i64,
}

/// The columns as stored.
#[derive(sqlx::FromRow)]
struct Record {
    id: i64,
    request: i64,
    member: i64,
    kind: String,
    requested: i64,
    deadline: i64,
    clinician: i64,
    facility: i64,
    zone: String,
    start_at: i64,
    end_at: i64,
    time_kind: String,
    modality: String,
    route: String,
    status: String,
    active: bool,
    offered_met: bool,
    offered_late_days: i64,
    cancel_reason: Option<String>,
    cancelled_by: Option<String>,
    journal_seq: i64,
}

const COLUMNS: &str = "id, request, member, kind, requested, deadline, clinician, facility, zone, \
                       start_at, end_at, time_kind, modality, route, status, active, offered_met, \
                       offered_late_days, cancel_reason, cancelled_by, journal_seq";

fn instant(seconds: i64, what: &str, id: i64) -> Result<Timestamp, StoreError> {
    Timestamp::from_second(seconds)
        .map_err(|_| StoreError::Disagree(format!("appointment {id}: {what} is out of range")))
}

fn id(value: i64, what: &str, row: i64) -> Result<u32, StoreError> {
    u32::try_from(value)
        .map_err(|_| StoreError::Disagree(format!("appointment {row}: {what} is out of range")))
}

fn row(r: Record) -> Result<AppointmentRow, StoreError> {
    let n = r.id;
    Ok(AppointmentRow {
        id: id(r.id, "id", n)?,
        request: id(r.request, "request", n)?,
        member: id(r.member, "member", n)?,
        kind: r.kind,
        requested: instant(r.requested, "requested", n)?,
        deadline: instant(r.deadline, "deadline", n)?,
        clinician: id(r.clinician, "clinician", n)?,
        facility: id(r.facility, "facility", n)?,
        zone: r.zone,
        start: instant(r.start_at, "start", n)?,
        end: instant(r.end_at, "end", n)?,
        time_kind: r.time_kind,
        modality: r.modality,
        route: r.route,
        status: r.status,
        active: r.active,
        offered_met: r.offered_met,
        offered_late_days: r.offered_late_days,
        cancel_reason: r.cancel_reason,
        cancelled_by: r.cancelled_by,
        journal_seq: r.journal_seq,
    })
}

impl Store {
    /// Appointments matching `filter`, by start then id. Audited as a read of appointments
    /// (the member's, the clinician's, or all).
    pub async fn appointments(
        &self,
        filter: AppointmentFilter,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<Vec<AppointmentRow>, StoreError> {
        let entity_id = match (filter.member, filter.clinician) {
            (Some(member), Some(clinician)) => {
                Some(format!("member-{member},clinician-{clinician}"))
            }
            (Some(member), None) => Some(format!("member-{member}")),
            (None, Some(clinician)) => Some(format!("clinician-{clinician}")),
            (None, None) => None,
        };
        let rows = self.appointment_rows(filter).await;
        let outcome = if rows.is_ok() { "ok" } else { "error" };
        self.audit(
            actor,
            now,
            &AuditEvent {
                action: "read",
                entity: "appointment",
                entity_id,
                outcome,
            },
        )
        .await?;
        rows
    }

    /// Appointments matching `filter`, unaudited (the caller audits).
    pub(crate) async fn appointment_rows(
        &self,
        filter: AppointmentFilter,
    ) -> Result<Vec<AppointmentRow>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM appointment WHERE ($1 < 0 OR member = $1) \
             AND ($2 < 0 OR clinician = $2) ORDER BY start_at, id"
        );
        let member = filter.member.map_or(-1, i64::from);
        let clinician = filter.clinician.map_or(-1, i64::from);
        let sql = sqlx::AssertSqlSafe(sql);
        let records: Vec<Record> = match self.pool() {
            Pool::Sqlite(pool) => {
                sqlx::query_as(sql)
                    .bind(member)
                    .bind(clinician)
                    .fetch_all(pool)
                    .await?
            }
            Pool::Postgres(pool) => {
                sqlx::query_as(sql)
                    .bind(member)
                    .bind(clinician)
                    .fetch_all(pool)
                    .await?
            }
        };
        records.into_iter().map(row).collect()
    }
}

/// When each clinician's time last changed, as far as the appointment tables tell: for
/// `$bulk-publish`'s `_since` and the `meta.lastUpdated` of a clinician's Schedule and Slots.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClinicianChanges {
    /// When the book was imported: the time of every clinician no appointment has touched.
    pub imported: Timestamp,
    /// `(clinician, time)`: the time of the journal row that last changed one of the
    /// clinician's appointments (a booking, hold, confirmation, cancellation, expiry, move), for
    /// the clinicians who have any; by clinician.
    pub last: Vec<(u32, Timestamp)>,
}

impl ClinicianChanges {
    /// When `clinician`'s appointments last changed, or the import time.
    pub fn of(&self, clinician: u32) -> Timestamp {
        self.last
            .binary_search_by_key(&clinician, |(id, _)| *id)
            .map_or(self.imported, |found| self.last[found].1)
    }
}

impl Store {
    /// When each clinician's appointments last changed (one grouped query, no member data, so
    /// not audited).
    pub async fn clinician_changes(&self) -> Result<ClinicianChanges, StoreError> {
        let imported_sql = "SELECT created_at FROM book WHERE id = 1";
        let last_sql = "SELECT a.clinician, MAX(j.at) FROM appointment a \
                        JOIN journal j ON j.seq = a.journal_seq \
                        GROUP BY a.clinician ORDER BY a.clinician";
        let (imported, last): (i64, Vec<(i64, i64)>) = match self.pool() {
            Pool::Sqlite(pool) => (
                sqlx::query_scalar(imported_sql).fetch_one(pool).await?,
                sqlx::query_as(last_sql).fetch_all(pool).await?,
            ),
            Pool::Postgres(pool) => (
                sqlx::query_scalar(imported_sql).fetch_one(pool).await?,
                sqlx::query_as(last_sql).fetch_all(pool).await?,
            ),
        };
        let time = |seconds: i64| {
            Timestamp::from_second(seconds)
                .map_err(|_| StoreError::Disagree("a journal time is out of range".to_owned()))
        };
        Ok(ClinicianChanges {
            imported: time(imported)?,
            last: last
                .into_iter()
                .map(|(clinician, at)| {
                    let clinician = u32::try_from(clinician).map_err(|_| {
                        StoreError::Disagree("an appointment's clinician is out of range".into())
                    })?;
                    Ok((clinician, time(at)?))
                })
                .collect::<Result<_, StoreError>>()?,
        })
    }
}
