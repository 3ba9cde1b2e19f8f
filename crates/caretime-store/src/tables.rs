//! What each change does to the tables queries read: the statements that mirror
//! `Book::apply`, run in the transaction that appends the change to the journal.

use caretime_core::region::Region;
use caretime_core::request::Request;
use caretime_core::slug::Slug;
use caretime_engine::book::{Appointment, AppointmentStatus, Cancellation, Change};
use caretime_engine::group::SeatOutcome;
use jiff::Timestamp;

use crate::db::{Statement, Value};
use crate::wire;

/// Unix seconds.
pub(crate) fn seconds(at: Timestamp) -> i64 {
    at.as_second()
}

fn cancellation_values(cancellation: Option<&Cancellation>) -> [Value; 3] {
    match cancellation {
        Some(c) => [
            c.reason.slug().into(),
            c.by.slug().into(),
            seconds(c.at).into(),
        ],
        None => [Value::NoText, Value::NoText, Value::NoInt],
    }
}

/// An appointment's status change: the row `id` ($1) if it is in status `from` ($2), to `to`
/// ($3) with `active` ($4), the cancellation ($5-$7), the expiry kept if $8, and the journal row
/// ($9). One tuple of values, so that `db::batched` merges a replan's tens of thousands into a
/// few statements (SQLite 3.33 and PostgreSQL both read `UPDATE ... FROM`; a VALUES list's
/// columns are `column1`, `column2`, ... on both). The casts type the columns on PostgreSQL,
/// which takes a VALUES column's type from its first row. A status change never makes an
/// appointment hold time it did not (the engine only releases time), so the order in which a
/// merged update changes its rows cannot matter to the overlap guard.
const SET_STATUS: &str = "UPDATE appointment AS a SET status = v.column3, active = v.column4, \
     cancel_reason = v.column5, cancelled_by = v.column6, cancelled_at = v.column7, \
     expires = CASE WHEN v.column8 THEN a.expires ELSE NULL END, journal_seq = v.column9 \
     FROM (VALUES (CAST($1 AS BIGINT), CAST($2 AS TEXT), CAST($3 AS TEXT), CAST($4 AS BOOLEAN), \
     CAST($5 AS TEXT), CAST($6 AS TEXT), CAST($7 AS BIGINT), CAST($8 AS BOOLEAN), \
     CAST($9 AS BIGINT))) AS v WHERE a.id = v.column1 AND a.status = v.column2";

/// The statements that apply `change` (journal row `seq`) to the tables.
pub(crate) fn statements(region: &Region, change: &Change, seq: i64) -> Vec<Statement> {
    match change {
        Change::Create(appointment) => vec![insert_appointment(region, appointment, seq)],
        Change::SetStatus {
            appointment,
            from,
            to,
            cancellation,
        } => {
            let [reason, by, at] = cancellation_values(cancellation.as_ref());
            let keeps_expiry =
                matches!(to, AppointmentStatus::Pending | AppointmentStatus::Proposed);
            vec![
                Statement::new(
                    SET_STATUS,
                    vec![
                        appointment.0.into(),
                        from.code().into(),
                        to.code().into(),
                        to.holds_time().into(),
                        reason,
                        by,
                        at,
                        keeps_expiry.into(),
                        seq.into(),
                    ],
                )
                .one_row(),
            ]
        }
        Change::Arrange(arrangement) => vec![Statement::new(
            "INSERT INTO arrangement (journal_seq, request, member, kind, requested, deadline) \
             VALUES ($1, $2, $3, $4, $5, $6)",
            vec![
                seq.into(),
                arrangement.request.0.into(),
                arrangement.member.0.into(),
                arrangement.kind.slug().into(),
                seconds(arrangement.requested).into(),
                seconds(arrangement.deadline).into(),
            ],
        )],
        Change::Wait(entry) => vec![Statement::new(
            "INSERT INTO waitlist (request, member, kind, requested, deadline, since, journal_seq) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            vec![
                entry.request.id.0.into(),
                entry.request.member.0.into(),
                entry.request.kind.slug().into(),
                seconds(entry.request.requested).into(),
                seconds(entry.deadline).into(),
                seconds(entry.since).into(),
                seq.into(),
            ],
        )],
        Change::Unwait(request) => vec![
            Statement::new(
                "DELETE FROM waitlist WHERE request = $1",
                vec![request.0.into()],
            )
            .one_row(),
        ],
        Change::CreateGroup(group) => {
            let mut out = vec![Statement::new(
                "INSERT INTO therapy_group (id, name, facility, capacity, journal_seq) \
                 VALUES ($1, $2, $3, $4, $5)",
                vec![
                    group.id.0.into(),
                    group.name.as_str().into(),
                    group.facility.0.into(),
                    i64::from(group.capacity).into(),
                    seq.into(),
                ],
            )];
            for (position, clinician) in group.facilitators.iter().enumerate() {
                out.push(Statement::new(
                    "INSERT INTO group_facilitator (therapy_group, position, clinician) \
                     VALUES ($1, $2, $3)",
                    vec![group.id.0.into(), index(position), clinician.0.into()],
                ));
            }
            for member in &group.roster {
                out.push(Statement::new(
                    "INSERT INTO group_member (therapy_group, member, enrolled_seq) \
                     VALUES ($1, $2, $3)",
                    vec![group.id.0.into(), member.0.into(), seq.into()],
                ));
            }
            for (number, session) in group.sessions.iter().enumerate() {
                let [reason, by, at] = cancellation_values(session.cancellation.as_ref());
                out.push(Statement::new(
                    "INSERT INTO group_session (therapy_group, session, start_at, end_at, \
                     cancel_reason, cancelled_by, cancelled_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    vec![
                        group.id.0.into(),
                        index(number),
                        seconds(session.start).into(),
                        (seconds(session.start) + i64::from(session.length) * 60).into(),
                        reason,
                        by,
                        at,
                    ],
                ));
                for seat in &session.seats {
                    out.push(insert_seat(group.id.0, number, seat.member.0, seat.status));
                }
                for (absent, substitute) in &session.substitutes {
                    out.push(Statement::new(
                        "INSERT INTO group_substitute (therapy_group, session, absent, substitute) \
                         VALUES ($1, $2, $3, $4)",
                        vec![
                            group.id.0.into(),
                            index(number),
                            absent.0.into(),
                            substitute.0.into(),
                        ],
                    ));
                }
            }
            out
        }
        Change::Enrol {
            group,
            member,
            from,
        } => vec![
            Statement::new(
                "INSERT INTO group_member (therapy_group, member, enrolled_seq) VALUES ($1, $2, $3)",
                vec![group.0.into(), member.0.into(), seq.into()],
            ),
            Statement::new(
                "INSERT INTO group_seat (therapy_group, session, member, status) \
                 SELECT therapy_group, session, $1, 'booked' FROM group_session \
                 WHERE therapy_group = $2 AND cancel_reason IS NULL AND start_at >= $3",
                vec![member.0.into(), group.0.into(), seconds(*from).into()],
            ),
        ],
        Change::Unenrol {
            group,
            member,
            from,
        } => vec![
            Statement::new(
                "DELETE FROM group_member WHERE therapy_group = $1 AND member = $2",
                vec![group.0.into(), member.0.into()],
            )
            .one_row(),
            Statement::new(
                "DELETE FROM group_seat WHERE therapy_group = $1 AND member = $2 \
                 AND status = 'booked' AND session IN (SELECT session FROM group_session \
                 WHERE therapy_group = $1 AND start_at >= $3)",
                vec![group.0.into(), member.0.into(), seconds(*from).into()],
            ),
        ],
        Change::CancelSession {
            group,
            session,
            cancellation,
            seats,
        } => {
            let [reason, by, at] = cancellation_values(Some(cancellation));
            let mut out = vec![
                Statement::new(
                    "UPDATE group_session SET cancel_reason = $1, cancelled_by = $2, \
                     cancelled_at = $3 WHERE therapy_group = $4 AND session = $5 \
                     AND cancel_reason IS NULL",
                    vec![reason, by, at, group.0.into(), index(*session)],
                )
                .one_row(),
                Statement::new(
                    "UPDATE group_seat SET status = 'cancelled' WHERE therapy_group = $1 \
                     AND session = $2 AND status = 'booked'",
                    vec![group.0.into(), index(*session)],
                ),
            ];
            for (member, outcome) in seats {
                if let SeatOutcome::Moved { group, session } = outcome {
                    out.push(insert_seat(
                        group.0,
                        *session,
                        member.0,
                        AppointmentStatus::Booked,
                    ));
                }
            }
            out
        }
        Change::Reschedule {
            clinician, from, ..
        } => vec![Statement::new(
            "INSERT INTO schedule_change (journal_seq, clinician, from_date) VALUES ($1, $2, $3)",
            vec![seq.into(), clinician.0.into(), from.to_string().into()],
        )],
        Change::OpenEpisode(episode) => {
            let mut out = vec![Statement::new(
                "INSERT INTO episode (id, member, clinician, cadence, discharged, journal_seq) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
                vec![
                    episode.id.0.into(),
                    episode.member.0.into(),
                    episode.clinician.0.into(),
                    episode.cadence.slug().into(),
                    episode.discharged.map(seconds).into(),
                    seq.into(),
                ],
            )];
            for appointment in &episode.appointments {
                out.push(attach(episode.id.0, appointment.0));
            }
            out
        }
        Change::Attach {
            episode,
            appointment,
        } => vec![attach(episode.0, appointment.0)],
        Change::SetCadence { episode, from, to } => {
            vec![
            Statement::new(
                "UPDATE episode SET cadence = $1, journal_seq = $2 WHERE id = $3 AND cadence = $4",
                vec![to.slug().into(), seq.into(), episode.0.into(), from.slug().into()],
            )
            .one_row(),
        ]
        }
        Change::Discharge { episode, at } => vec![
            Statement::new(
                "UPDATE episode SET discharged = $1, journal_seq = $2 WHERE id = $3",
                vec![seconds(*at).into(), seq.into(), episode.0.into()],
            )
            .one_row(),
        ],
        Change::Substitute {
            group,
            session,
            absent,
            substitute,
        } => vec![
            Statement::new(
                "DELETE FROM group_substitute WHERE therapy_group = $1 AND session = $2 \
                 AND absent = $3",
                vec![group.0.into(), index(*session), absent.0.into()],
            ),
            Statement::new(
                "INSERT INTO group_substitute (therapy_group, session, absent, substitute) \
                 VALUES ($1, $2, $3, $4)",
                vec![
                    group.0.into(),
                    index(*session),
                    absent.0.into(),
                    substitute.0.into(),
                ],
            ),
        ],
        Change::SeatStatus {
            group,
            session,
            member,
            from,
            to,
        } => vec![seat_status(group.0, *session, member.0, *from, *to)],
    }
}

/// The `request` row of the request `change` carries (a booking's appointment, an arrangement,
/// a wait), written once: a request carried again (it waited, then was booked; a moved
/// appointment) keeps the row of the first change that carried it. Apart from [`statements`]
/// because no statement reads the table: the rows are written after the others, so that they
/// do not break the runs of inserts `db::batched` merges.
pub(crate) fn request_statement(change: &Change, seq: i64) -> Option<Statement> {
    const INSERT: &str = "INSERT INTO request (id, member, kind, requested, prior_appointment, \
        clinical_exception, treating_clinician, preferences, journal_seq) \
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) DO NOTHING";
    let full = |request: &Request| {
        Statement::new(
            INSERT,
            vec![
                request.id.0.into(),
                request.member.0.into(),
                request.kind.slug().into(),
                seconds(request.requested).into(),
                request.prior_appointment.map(seconds).into(),
                request
                    .clinical_exception
                    .map(|date| date.to_string())
                    .as_deref()
                    .into(),
                request.treating_clinician.map(|id| i64::from(id.0)).into(),
                wire::encode_preferences(&request.preferences)
                    .as_deref()
                    .into(),
                seq.into(),
            ],
        )
    };
    match change {
        Change::Create(appointment) => Some(full(&appointment.request)),
        Change::Wait(entry) => Some(full(&entry.request)),
        // An arrangement carries only its request's id, member, kind and time.
        Change::Arrange(arrangement) => Some(Statement::new(
            INSERT,
            vec![
                arrangement.request.0.into(),
                arrangement.member.0.into(),
                arrangement.kind.slug().into(),
                seconds(arrangement.requested).into(),
                Value::NoInt,
                Value::NoText,
                Value::NoInt,
                Value::NoText,
                seq.into(),
            ],
        )),
        _ => None,
    }
}

fn index(position: usize) -> Value {
    Value::Int(i64::try_from(position).unwrap_or(i64::MAX))
}

fn attach(episode: u32, appointment: u32) -> Statement {
    Statement::new(
        "INSERT INTO episode_appointment (episode, appointment) VALUES ($1, $2)",
        vec![episode.into(), appointment.into()],
    )
}

fn insert_seat(group: u32, session: usize, member: u32, status: AppointmentStatus) -> Statement {
    Statement::new(
        "INSERT INTO group_seat (therapy_group, session, member, status) VALUES ($1, $2, $3, $4)",
        vec![
            group.into(),
            index(session),
            member.into(),
            status.code().into(),
        ],
    )
}

fn insert_appointment(region: &Region, appointment: &Appointment, seq: i64) -> Statement {
    let a = appointment;
    let zone = region
        .facilities
        .get(a.facility.index())
        .and_then(|facility| facility.time_zone.iana_name())
        .unwrap_or("UTC");
    let [reason, by, at] = cancellation_values(a.cancellation.as_ref());
    let (met, late) = match a.offered.timeliness {
        caretime_engine::find::Timeliness::Met => (true, 0),
        caretime_engine::find::Timeliness::Late { business_days } => {
            (false, i64::from(business_days))
        }
    };
    let start = seconds(a.start);
    Statement::new(
        "INSERT INTO appointment (id, request, member, kind, requested, deadline, clinician, \
         facility, zone, start_at, end_at, time_kind, modality, interpreter, route, status, \
         active, expires, cancel_reason, cancelled_by, cancelled_at, replaces, \
         offered_clinician, offered_start, offered_met, offered_late_days, journal_seq) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, \
         $18, $19, $20, $21, $22, $23, $24, $25, $26, $27)",
        vec![
            a.id.0.into(),
            a.request.id.0.into(),
            a.request.member.0.into(),
            a.request.kind.slug().into(),
            seconds(a.request.requested).into(),
            seconds(a.deadline).into(),
            a.clinician.0.into(),
            a.facility.0.into(),
            zone.into(),
            start.into(),
            (start + i64::from(a.length) * 60).into(),
            a.time.slug().into(),
            a.modality.slug().into(),
            a.interpreter
                .as_ref()
                .map(|language| language.code())
                .into(),
            a.route.slug().into(),
            a.status.code().into(),
            a.status.holds_time().into(),
            a.expires.map(seconds).into(),
            reason,
            by,
            at,
            a.replaces.map(|id| i64::from(id.0)).into(),
            a.offered.clinician.0.into(),
            seconds(a.offered.start).into(),
            met.into(),
            late.into(),
            seq.into(),
        ],
    )
}

/// A seat's status change: the member's seats in the session with status `from` (one, as the
/// engine changes one: a member holds one seat of a status in a session).
fn seat_status(
    group: u32,
    session: usize,
    member: u32,
    from: AppointmentStatus,
    to: AppointmentStatus,
) -> Statement {
    Statement::new(
        "UPDATE group_seat SET status = $1 WHERE therapy_group = $2 AND session = $3 \
         AND member = $4 AND status = $5",
        vec![
            to.code().into(),
            group.into(),
            index(session),
            member.into(),
            from.code().into(),
        ],
    )
    .one_row()
}
