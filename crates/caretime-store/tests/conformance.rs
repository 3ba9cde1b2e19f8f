//! The store's conformance story, the same on every backend: SQLite always, PostgreSQL when
//! `CARETIME_TEST_POSTGRES_URL` is set (see `support`).

mod support;

use caretime_core::files::builtin;
use caretime_core::id::{AppointmentId, MemberId};
use caretime_core::request::{Preferences, Request, RequestKind};
use caretime_engine::availability::Minute;
use caretime_engine::book::{
    CancellationReason, CancelledBy, Change, Choice, Outcome, Refusal, Take, TakeOffer,
};
use caretime_engine::find::Offer;
use caretime_region::generate::{RegionParams, generate};
use caretime_store::live::{Context, Decision, LiveBook};
use caretime_store::query::AppointmentFilter;
use caretime_store::{Actor, AuditEvent, Store, StoreError};
use jiff::Timestamp;
use sqlx::Connection;
use support::TestDb;

fn now() -> Timestamp {
    "2025-12-01T16:00:00Z".parse().expect("an instant")
}

fn actor(name: &str) -> Actor {
    Actor {
        who: format!("test:{name}"),
        source: "conformance".to_owned(),
    }
}

fn booking() -> AuditEvent {
    AuditEvent {
        action: "create",
        entity: "appointment",
        entity_id: None,
        outcome: "ok",
    }
}

/// A store on `db` holding a small generated region (about 30 clinicians, 9,600 members).
async fn imported(db: &TestDb) -> Store {
    let store = Store::open(&db.url).await.expect("the store opens");
    let region = generate(&RegionParams::socal(0.002, 1)).expect("a region");
    let rules = builtin::rule_set_text("ca-dmhc").expect("the built-in rule set");
    let first = now().to_zoned(jiff::tz::TimeZone::UTC).date();
    store
        .import_region(&region, rules, first, &actor("import"), now(), &|_, _| {})
        .await
        .expect("the region imports");
    store
}

fn request(ctx: Context<'_>, member: u32) -> Request {
    Request {
        id: ctx.next_request,
        member: MemberId(member),
        kind: RequestKind::Initial,
        requested: now(),
        prior_appointment: None,
        clinical_exception: None,
        treating_clinician: None,
        preferences: Preferences::ANY,
    }
}

/// Books `member`'s initial request: the best offer, or `choice`.
fn book(ctx: Context<'_>, member: u32, choice: Option<Choice>) -> Result<Outcome, StoreError> {
    let request = request(ctx, member);
    let offers = ctx
        .book
        .find(ctx.region, ctx.rules, &request, now())
        .expect("a find");
    let best = offers.best().expect("an offer");
    let offer = match choice {
        Some(choice) => offers
            .offers
            .iter()
            .filter(|offer| offer.start <= choice.start)
            .min_by_key(|offer| offer.start)
            .unwrap_or(best),
        None => best,
    };
    Ok(ctx.book.decide_take(
        ctx.region,
        &TakeOffer {
            request: &request,
            offers: &offers,
            offer,
            choice,
            take: Take::Book,
        },
        now(),
    ))
}

/// The offers a book makes for `member`'s initial request.
fn offers_for(live: &LiveBook, member: u32) -> Vec<Offer> {
    let ctx = live.context();
    let request = request(ctx, member);
    ctx.book
        .find(ctx.region, ctx.rules, &request, now())
        .expect("a find")
        .offers
}

/// A slot to contend for (member 1's best offer) and `n` members who have offers of their own
/// (some accept no modality anyone near them offers).
async fn contested(store: &Store, n: usize) -> (Choice, Vec<u32>) {
    let probe = LiveBook::load(store, now(), &actor("probe"))
        .await
        .expect("loads");
    let target = offers_for(&probe, 1)[0].clone();
    let members = (100..)
        .filter(|&member| !offers_for(&probe, member).is_empty())
        .take(n)
        .collect();
    (
        Choice {
            clinician: target.clinician,
            start: target.start,
        },
        members,
    )
}

fn committed_appointment(decision: &Decision) -> AppointmentId {
    match decision {
        Decision::Committed { changes, .. } => changes
            .iter()
            .find_map(|change| match change {
                Change::Create(appointment) => Some(appointment.id),
                _ => None,
            })
            .expect("a new appointment"),
        other => panic!("expected a commit, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_booking_survives_a_restart_and_every_process_sees_it() {
    for db in support::databases("story").await {
        let store = imported(&db).await;
        let mut first = LiveBook::load(&store, now(), &actor("a"))
            .await
            .expect("loads");
        // A second process, started before the booking.
        let other_store = Store::open(&db.url).await.expect("opens again");
        let mut second = LiveBook::load(&other_store, now(), &actor("b"))
            .await
            .expect("loads");

        let decision = first
            .decide(now(), &actor("a"), booking(), |ctx| book(ctx, 5, None))
            .await
            .expect("decides");
        let id = committed_appointment(&decision);
        let booked = first.appointment(id).expect("in the cache");

        // The database holds it.
        let rows = store
            .appointments(
                AppointmentFilter {
                    member: Some(5),
                    clinician: None,
                },
                &actor("a"),
                now(),
            )
            .await
            .expect("lists");
        assert_eq!(rows.len(), 1, "{}", db.backend);
        assert_eq!(rows[0].id, id.0);
        assert_eq!(rows[0].start, booked.start);
        assert_eq!(rows[0].clinician, booked.clinician.0);
        assert_eq!(rows[0].status, "booked");
        assert!(rows[0].active);

        // The process started before the booking does not offer the booked time afterwards.
        second.catch_up().await.expect("catches up");
        let taken =
            |offer: &Offer| offer.clinician == booked.clinician && offer.start == booked.start;
        assert!(
            !offers_for(&second, 6).iter().any(taken),
            "{}: the other process offers the booked time",
            db.backend
        );
        // And deciding for that very time is refused.
        let choice = Choice {
            clinician: booked.clinician,
            start: booked.start,
        };
        let stale = second
            .decide(now(), &actor("b"), booking(), |ctx| {
                book(ctx, 6, Some(choice))
            })
            .await
            .expect("decides");
        assert!(
            matches!(&stale, Decision::Refused(r) | Decision::Conflict(r)
                if r.iter().any(|r| matches!(r, Refusal::NotFree { .. }))),
            "{}: {stale:?}",
            db.backend
        );

        // A restart: a fresh process loads the same book and finds the same offers.
        let before: Vec<Vec<Offer>> = (10..20).map(|m| offers_for(&first, m)).collect();
        let reopened = Store::open(&db.url).await.expect("reopens");
        let restarted = LiveBook::load(&reopened, now(), &actor("d"))
            .await
            .expect("loads");
        let after: Vec<Vec<Offer>> = (10..20).map(|m| offers_for(&restarted, m)).collect();
        assert_eq!(before, after, "{}", db.backend);
        assert_eq!(restarted.appointment(id), Some(booked.clone()));

        // Cancelling gives the time back, in the tables and in every cache.
        let mut restarted = restarted;
        let cancel = restarted
            .decide(now(), &actor("d"), booking(), |ctx| {
                Ok::<_, StoreError>(ctx.book.decide_cancel(
                    id,
                    CancellationReason::MemberRequest,
                    CancelledBy::Member,
                    now(),
                ))
            })
            .await
            .expect("decides");
        assert!(matches!(cancel, Decision::Committed { .. }), "{cancel:?}");
        let rows = reopened
            .appointments(AppointmentFilter::default(), &actor("d"), now())
            .await
            .expect("lists");
        assert_eq!(rows[0].status, "cancelled");
        assert!(!rows[0].active);
        assert_eq!(rows[0].cancelled_by.as_deref(), Some("member"));
        first.catch_up().await.expect("catches up");
        let free = first.book().availability().free_kind(
            booked.clinician,
            Minute::from_timestamp(booked.start),
            booked.length,
        );
        assert_eq!(
            free,
            Ok(Some(booked.time)),
            "{}: the time is free again",
            db.backend
        );

        let problems = reopened.check(&actor("d"), now()).await.expect("checks");
        assert_eq!(problems, Vec::new(), "{}", db.backend);
        for store in [store, other_store, reopened] {
            store.close().await;
        }
        db.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_64_bookings_of_one_slot_across_two_pools_exactly_one_commits() {
    for db in support::databases("race").await {
        let store = imported(&db).await;
        let second_pool = Store::open(&db.url).await.expect("a second pool");
        let (choice, members) = contested(&store, 64).await;
        let mut tasks = Vec::new();
        for (task, member) in members.into_iter().enumerate() {
            // Half the tasks on each pool, each with its own cached book (two servers).
            let store = if task % 2 == 0 {
                store.clone()
            } else {
                second_pool.clone()
            };
            let who = actor(&format!("task-{task}"));
            let mut live = LiveBook::load(&store, now(), &who).await.expect("loads");
            tasks.push(tokio::spawn(async move {
                live.decide(now(), &who, booking(), move |ctx| {
                    book(ctx, member, Some(choice))
                })
                .await
            }));
        }
        let mut committed = 0;
        let mut conflicts = 0;
        for task in tasks {
            match task
                .await
                .expect("the task ran")
                .expect("no database error")
            {
                Decision::Committed { .. } => committed += 1,
                Decision::Conflict(refusals) | Decision::Refused(refusals) => {
                    assert!(
                        refusals
                            .iter()
                            .any(|r| matches!(r, Refusal::NotFree { .. })),
                        "a conflict says the time is taken: {refusals:?}"
                    );
                    conflicts += 1;
                }
            }
        }
        assert_eq!((committed, conflicts), (1, 63), "{}", db.backend);
        let rows = store
            .appointments(
                AppointmentFilter {
                    member: None,
                    clinician: Some(choice.clinician.0),
                },
                &actor("probe"),
                now(),
            )
            .await
            .expect("lists");
        assert_eq!(rows.iter().filter(|row| row.active).count(), 1);
        assert_eq!(
            store.check(&actor("probe"), now()).await.expect("checks"),
            Vec::new()
        );
        store.close().await;
        second_pool.close().await;
        db.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_database_itself_refuses_an_overlap_and_keeps_the_audit_log() {
    for db in support::databases("guard").await {
        let store = imported(&db).await;
        let mut live = LiveBook::load(&store, now(), &actor("a"))
            .await
            .expect("loads");
        let decision = live
            .decide(now(), &actor("a"), booking(), |ctx| book(ctx, 3, None))
            .await
            .expect("decides");
        let id = committed_appointment(&decision);
        store.close().await;

        // Bypass the engine: copy the appointment under a new id, half an hour later.
        let overlap = "INSERT INTO appointment SELECT id + 1000, request, member, kind, requested, \
             deadline, clinician, facility, zone, start_at + 1800, end_at + 1800, time_kind, \
             modality, interpreter, route, status, active, expires, cancel_reason, cancelled_by, \
             cancelled_at, replaces, offered_clinician, offered_start, offered_met, \
             offered_late_days, journal_seq FROM appointment WHERE id = $1";
        let update_audit = "UPDATE audit SET actor = 'someone else'";
        let delete_audit = "DELETE FROM audit";
        let raw = |sql: &'static str| {
            let url = db.url.clone();
            async move {
                if url.starts_with("sqlite:") {
                    let mut conn = sqlx::SqliteConnection::connect(&url)
                        .await
                        .expect("connects");
                    sqlx::query(sql)
                        .bind(i64::from(id.0))
                        .execute(&mut conn)
                        .await
                        .map(|_| ())
                } else {
                    let mut conn = sqlx::PgConnection::connect(&url).await.expect("connects");
                    let query = sqlx::query(sql);
                    let query = if sql.contains("$1") {
                        query.bind(i64::from(id.0))
                    } else {
                        query
                    };
                    query.execute(&mut conn).await.map(|_| ())
                }
            }
        };
        let refused = raw(overlap).await.expect_err("an overlap is refused");
        let message = refused.to_string();
        assert!(
            message.contains("overlapping appointment")
                || message.contains("appointment_no_overlap"),
            "{}: {message}",
            db.backend
        );
        for sql in [update_audit, delete_audit] {
            let refused = raw(sql).await.expect_err("the audit log is append-only");
            assert!(refused.to_string().contains("append-only"), "{refused}");
        }

        // Every access to member data is in the log: the import, the region's load, the
        // booking.
        let reopened = Store::open(&db.url).await.expect("reopens");
        let log = reopened.audit_log().await.expect("reads the log");
        let actions: Vec<(&str, &str, &str)> = log
            .iter()
            .map(|row| {
                (
                    row.action.as_str(),
                    row.entity.as_str(),
                    row.outcome.as_str(),
                )
            })
            .collect();
        assert_eq!(
            actions,
            [
                ("create", "region", "ok"),
                ("read", "member", "ok"),
                ("create", "appointment", "ok"),
            ],
            "{}",
            db.backend
        );
        assert_eq!(log[2].entity_id.as_deref(), Some(id.0.to_string().as_str()));
        assert_eq!(log[2].actor, "test:a");
        reopened.close().await;
        db.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_horizon_rolls_forward_without_a_restart() {
    for db in support::databases("roll").await {
        let store = imported(&db).await;
        let mut live = LiveBook::load(&store, now(), &actor("a"))
            .await
            .expect("loads");
        let horizon = live.book().availability().horizon();
        let later = now() + jiff::SignedDuration::from_hours(24 * 200);
        assert!(
            later.to_zoned(jiff::tz::TimeZone::UTC).date()
                > horizon.last - jiff::Span::new().days(caretime_store::live::LOOKAHEAD_DAYS),
        );
        let decision = live
            .decide(later, &actor("a"), booking(), |ctx| {
                let mut request = request(ctx, 9);
                request.requested = later;
                let offers = ctx
                    .book
                    .find(ctx.region, ctx.rules, &request, later)
                    .expect("a find");
                let offer = offers.best().expect("an offer 200 days on");
                Ok::<_, StoreError>(ctx.book.decide_take(
                    ctx.region,
                    &TakeOffer {
                        request: &request,
                        offers: &offers,
                        offer,
                        choice: None,
                        take: Take::Book,
                    },
                    later,
                ))
            })
            .await
            .expect("decides");
        let id = committed_appointment(&decision);
        let start = live.appointment(id).expect("booked").start;
        assert!(start >= later, "{}", db.backend);
        assert!(live.book().availability().horizon().last > horizon.last);
        store.close().await;
        db.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_import_and_a_newer_schema_are_refused() {
    for db in support::databases("refuse").await {
        let store = imported(&db).await;
        let region = generate(&RegionParams::socal(0.002, 2)).expect("a region");
        let rules = builtin::rule_set_text("ca-dmhc").expect("the built-in rule set");
        let again = store
            .import_region(
                &region,
                rules,
                now().to_zoned(jiff::tz::TimeZone::UTC).date(),
                &actor("x"),
                now(),
                &|_, _| {},
            )
            .await;
        assert!(
            matches!(again, Err(StoreError::AlreadyImported)),
            "{again:?}"
        );
        store.close().await;

        let newer = "INSERT INTO _sqlx_migrations (version, description, success, checksum, \
                     execution_time) VALUES (99999999, 'from the future', true, $1, 0)";
        if db.url.starts_with("sqlite:") {
            let mut conn = sqlx::SqliteConnection::connect(&db.url)
                .await
                .expect("connects");
            sqlx::query(newer)
                .bind(vec![0u8; 48])
                .execute(&mut conn)
                .await
                .expect("inserts");
        } else {
            let mut conn = sqlx::PgConnection::connect(&db.url)
                .await
                .expect("connects");
            sqlx::query(newer)
                .bind(vec![0u8; 48])
                .execute(&mut conn)
                .await
                .expect("inserts");
        }
        let refused = Store::open(&db.url)
            .await
            .expect_err("a newer schema is refused");
        assert!(
            matches!(
                refused,
                StoreError::SchemaTooNew {
                    database: 99999999,
                    ..
                }
            ),
            "{refused:?}"
        );
        db.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_shared_book_commits_queued_decisions_together_and_books_a_slot_once() {
    for db in support::databases("shared").await {
        let (store, shared) = shared_book(&db).await;
        let (choice, members) = contested(&store, 96).await;
        let mut tasks = Vec::new();
        // 64 want the same slot; 32 more want their own best offers.
        for (task, member) in members.into_iter().enumerate() {
            let shared = shared.clone();
            let wanted = (task < 64).then_some(choice);
            tasks.push(tokio::spawn(async move {
                shared
                    .decide(
                        now(),
                        actor(&format!("task-{task}")),
                        booking(),
                        move |ctx| book(ctx, member, wanted).map_err(Into::into),
                    )
                    .await
            }));
        }
        let (mut same_slot, mut own, mut refused) = (0, 0, 0);
        for (task, handle) in tasks.into_iter().enumerate() {
            match handle.await.expect("ran").expect("no store error") {
                Decision::Committed { changes, .. } => {
                    let slot = changes.iter().any(|change| {
                        matches!(change, Change::Create(a)
                            if a.clinician == choice.clinician && a.start == choice.start)
                    });
                    if task < 64 {
                        assert!(slot, "a chosen time is booked as chosen");
                        same_slot += 1;
                    } else {
                        assert!(!slot, "the slot is booked once");
                        own += 1;
                    }
                }
                Decision::Refused(refusals) | Decision::Conflict(refusals) => {
                    assert!(task < 64, "task {task}: {refusals:?}");
                    assert!(
                        refusals
                            .iter()
                            .any(|r| matches!(r, Refusal::NotFree { .. }))
                    );
                    refused += 1;
                }
            }
        }
        assert_eq!((same_slot, refused, own), (1, 63, 32), "{}", db.backend);
        // A fresh process sees every commit; the database agrees with the journal.
        let reloaded = LiveBook::load(&store, now(), &actor("check"))
            .await
            .expect("loads");
        let read = shared
            .read(now(), |ctx| ctx.book.appointment_count())
            .await
            .expect("reads");
        assert_eq!(reloaded.book().appointment_count(), read);
        assert_eq!(read, 33);
        assert_eq!(
            store.check(&actor("check"), now()).await.expect("checks"),
            Vec::new()
        );
        store.close().await;
        db.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn reads_that_share_a_catch_up_see_every_commit_made_before_them() {
    use caretime_store::shared::SharedBook;
    for db in support::databases("reads").await {
        let (store, shared) = shared_book(&db).await;
        let mut other = LiveBook::load(&store, now(), &actor("other"))
            .await
            .expect("loads");
        let count = |shared: SharedBook| async move {
            shared
                .read(now(), |ctx| ctx.book.appointment_count())
                .await
                .expect("reads")
        };
        assert_eq!(count(shared.clone()).await, 0);
        let members: Vec<u32> = (100..)
            .filter(|&member| !offers_for(&other, member).is_empty())
            .take(3)
            .collect();
        for (round, &member) in members.iter().enumerate() {
            // Another process commits; every read that starts after its commit sees it, whether
            // it makes the catch-up or waits for one that another read started.
            let decision = other
                .decide(now(), &actor("other"), booking(), |ctx| {
                    book(ctx, member, None)
                })
                .await
                .expect("decides");
            assert!(
                matches!(decision, Decision::Committed { .. }),
                "{decision:?}"
            );
            let reads: Vec<_> = (0..16)
                .map(|_| tokio::spawn(count(shared.clone())))
                .collect();
            for read in reads {
                assert_eq!(read.await.expect("ran"), round + 1, "{}", db.backend);
            }
        }
        store.close().await;
        db.finish().await;
    }
}

/// A store on `db` holding a small region, and a server's book of it.
async fn shared_book(db: &support::TestDb) -> (Store, caretime_store::shared::SharedBook) {
    let store = imported(db).await;
    let live = LiveBook::load(&store, now(), &actor("server"))
        .await
        .expect("loads");
    (store, caretime_store::shared::SharedBook::start(live))
}

/// Runs `statements` in order on one new connection to `db` (temporary tables last as long).
async fn run_sql(db: &support::TestDb, statements: &[String]) {
    use sqlx::Connection;
    if db.url.starts_with("sqlite:") {
        let mut conn = sqlx::SqliteConnection::connect(&db.url)
            .await
            .expect("connects");
        for statement in statements {
            sqlx::raw_sql(sqlx::AssertSqlSafe(statement.as_str()))
                .execute(&mut conn)
                .await
                .expect("runs");
        }
    } else {
        let mut conn = sqlx::PgConnection::connect(&db.url)
            .await
            .expect("connects");
        for statement in statements {
            sqlx::raw_sql(sqlx::AssertSqlSafe(statement.as_str()))
                .execute(&mut conn)
                .await
                .expect("runs");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_batch_the_database_refuses_leaves_nothing_in_the_book() {
    use caretime_store::shared::SharedError;
    for db in support::databases("refused-batch").await {
        let (store, shared) = shared_book(&db).await;
        let (_, members) = contested(&store, 2).await;
        let decide = |member: u32| {
            let shared = shared.clone();
            async move {
                shared
                    .decide(now(), actor("server"), booking(), move |ctx| {
                        book(ctx, member, None).map_err(Into::into)
                    })
                    .await
            }
        };
        let first = committed_appointment(&decide(members[0]).await.expect("commits"));
        // Behind the book's back, a row takes the time the second member would be booked into
        // (a copy of the first booking, moved there): the database refuses the batch.
        let next = shared
            .read(now(), |ctx| {
                let request = request(ctx, members[1]);
                let offers = ctx.book.find(ctx.region, ctx.rules, &request, now());
                offers.expect("a find").best().expect("an offer").clone()
            })
            .await
            .expect("reads");
        let (start, end) = (
            next.start.as_second(),
            next.start.as_second() + i64::from(next.length) * 60,
        );
        run_sql(
            &db,
            &[
                format!(
                    "CREATE TEMP TABLE planted AS SELECT * FROM appointment WHERE id = {}",
                    first.0
                ),
                format!(
                    "UPDATE planted SET id = 900000, clinician = {}, start_at = {start}, \
                     end_at = {end}",
                    next.clinician.0
                ),
                "INSERT INTO appointment SELECT * FROM planted".to_owned(),
            ],
        )
        .await;
        let refused = decide(members[1]).await;
        assert!(matches!(refused, Err(SharedError::Store(_))), "{refused:?}");
        // The book forgot the refused booking: reads, and searches for free time, agree with the
        // database.
        let count = shared
            .read(now(), |ctx| ctx.book.appointment_count())
            .await
            .expect("reads");
        let ahead = shared
            .read_ahead(now(), |ctx| ctx.book.appointment_count())
            .await
            .expect("reads");
        assert_eq!((count, ahead), (1, 1), "{}", db.backend);
        // Without the planted row, the same booking commits.
        run_sql(
            &db,
            &["DELETE FROM appointment WHERE id = 900000".to_owned()],
        )
        .await;
        committed_appointment(&decide(members[1]).await.expect("commits"));
        assert_eq!(
            store.check(&actor("check"), now()).await.expect("checks"),
            Vec::new()
        );
        store.close().await;
        db.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_batch_that_needs_the_book_rolled_forward_rolls_it_and_commits() {
    for db in support::databases("shared-roll").await {
        let (store, shared) = shared_book(&db).await;
        let (_, members) = contested(&store, 1).await;
        let member = members[0];
        // A decision made 40 days on: the book then reaches too short a way ahead, and the
        // writer rebuilds it (before it takes the write lock) and still decides on it.
        let later = now()
            .checked_add(jiff::SignedDuration::from_hours(40 * 24))
            .expect("in range");
        let horizon = |shared: caretime_store::shared::SharedBook| async move {
            shared
                .read_ahead(now(), |ctx| ctx.book.availability().horizon().last)
                .await
                .expect("reads")
        };
        let before = horizon(shared.clone()).await;
        let decision = shared
            .decide(later, actor("server"), booking(), move |ctx| {
                book(ctx, member, None).map_err(Into::into)
            })
            .await
            .expect("no store error");
        committed_appointment(&decision);
        assert!(horizon(shared.clone()).await > before, "{}", db.backend);
        let count = shared
            .read(later, |ctx| ctx.book.appointment_count())
            .await
            .expect("reads");
        assert_eq!(count, 1, "{}", db.backend);
        assert_eq!(
            store.check(&actor("check"), now()).await.expect("checks"),
            Vec::new()
        );
        store.close().await;
        db.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_book_loaded_from_a_snapshot_is_the_book_the_journal_replays() {
    for db in support::databases("snapshot").await {
        let store = imported(&db).await;
        let mut live = LiveBook::load(&store, now(), &actor("a"))
            .await
            .expect("loads");
        let members: Vec<u32> = (100..)
            .filter(|&member| !offers_for(&live, member).is_empty())
            .take(30)
            .collect();
        let mut booked = Vec::new();
        for &member in &members[..20] {
            let decision = live
                .decide(now(), &actor("a"), booking(), |ctx| book(ctx, member, None))
                .await
                .expect("decides");
            booked.push(committed_appointment(&decision));
        }
        for &id in &booked[..5] {
            let cancel = live
                .decide(now(), &actor("a"), booking(), |ctx| {
                    Ok::<_, StoreError>(ctx.book.decide_cancel(
                        id,
                        CancellationReason::MemberRequest,
                        CancelledBy::Member,
                        now(),
                    ))
                })
                .await
                .expect("decides");
            assert!(matches!(cancel, Decision::Committed { .. }), "{cancel:?}");
        }
        let info = store
            .write_snapshot(&actor("snapshot"), now(), |_, _| {})
            .await
            .expect("writes")
            .expect("the journal is not empty");
        assert_eq!(info.seq, live.seen(), "{}", db.backend);
        assert_eq!(info.changes, info.seq, "{}", db.backend);
        // The journal goes on after the snapshot: a load applies the snapshot, then the tail.
        for &member in &members[20..] {
            live.decide(now(), &actor("a"), booking(), |ctx| book(ctx, member, None))
                .await
                .expect("decides");
        }
        let from_snapshot = LiveBook::load(&store, now(), &actor("b"))
            .await
            .expect("loads");
        let replayed = LiveBook::replay(&store, now(), &actor("c"))
            .await
            .expect("replays");
        assert_eq!(from_snapshot.seen(), live.seen(), "{}", db.backend);
        assert_eq!(replayed.seen(), live.seen(), "{}", db.backend);
        let count = replayed.book().appointment_count();
        assert_eq!(from_snapshot.book().appointment_count(), count);
        assert!(count >= 30, "{count}");
        for id in 0..count as u32 {
            assert_eq!(
                from_snapshot.appointment(AppointmentId(id)),
                replayed.appointment(AppointmentId(id)),
                "appointment {id} on {}",
                db.backend
            );
        }
        assert_eq!(
            from_snapshot.context().next_request,
            replayed.context().next_request
        );
        for member in [7, members[0], members[25]] {
            assert_eq!(
                offers_for(&from_snapshot, member),
                offers_for(&replayed, member),
                "{}",
                db.backend
            );
        }
        let problems = store.check(&actor("check"), now()).await.expect("checks");
        assert!(problems.is_empty(), "{problems:?}");

        // A damaged snapshot: the check says so, a load says what to run, and a new snapshot
        // replaces it.
        execute(&db.url, "UPDATE snapshot SET data = substr(data, 1, 10)").await;
        let problems = store.check(&actor("check"), now()).await.expect("checks");
        assert!(
            problems.iter().any(|problem| problem.kind == "snapshot"),
            "{problems:?}"
        );
        let error = LiveBook::load(&store, now(), &actor("d"))
            .await
            .expect_err("a damaged snapshot does not load");
        assert!(
            error.to_string().contains("caretime db snapshot"),
            "{error}"
        );
        store
            .write_snapshot(&actor("snapshot"), now(), |_, _| {})
            .await
            .expect("writes");
        let problems = store.check(&actor("check"), now()).await.expect("checks");
        assert!(problems.is_empty(), "{problems:?}");
        let reloaded = LiveBook::load(&store, now(), &actor("e"))
            .await
            .expect("loads");
        assert_eq!(reloaded.seen(), live.seen());
        store.close().await;
        db.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_have_hashed_tokens_that_can_be_revoked() {
    use caretime_store::users::NewUser;
    for db in support::databases("users").await {
        let store = imported(&db).await;
        let admin = actor("admin");
        let alice = NewUser {
            name: "alice",
            role: "scheduler",
            clinician: None,
            password_hash: None,
            token_hash: "aa11",
        };
        store.add_user(&alice, &admin, now()).await.expect("adds");
        let again = store.add_user(&alice, &admin, now()).await;
        assert!(
            matches!(again, Err(StoreError::UserExists(ref name)) if name == "alice"),
            "{again:?}"
        );
        // The database refuses a role it does not know, and a clinician without a clinician.
        for (name, role, clinician) in [("bob", "root", None), ("carol", "clinician", None)] {
            let refused = store
                .add_user(
                    &NewUser {
                        name,
                        role,
                        clinician,
                        password_hash: None,
                        token_hash: "bb22",
                    },
                    &admin,
                    now(),
                )
                .await;
            assert!(refused.is_err(), "{name}: {refused:?}");
            assert!(store.user_by_name(name).await.expect("reads").is_none());
        }
        let dana = NewUser {
            name: "dana",
            role: "clinician",
            clinician: Some(3),
            password_hash: Some("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA"),
            token_hash: "cc33",
        };
        store.add_user(&dana, &admin, now()).await.expect("adds");
        store
            .add_token("dana", "dd44", &admin, now())
            .await
            .expect("a second token");
        let found = store
            .user_by_token("dd44")
            .await
            .expect("reads")
            .expect("dana");
        assert_eq!(
            (found.name.as_str(), found.role.as_str()),
            ("dana", "clinician")
        );
        assert_eq!(found.clinician, Some(3));
        assert!(!format!("{found:?}").contains("argon2"), "{found:?}");
        assert_eq!(store.user_by_token("ffff").await.expect("reads"), None);
        let revoked = store
            .revoke_tokens("dana", &admin, now())
            .await
            .expect("revokes");
        assert_eq!(revoked, 2, "{}", db.backend);
        assert_eq!(store.user_by_token("cc33").await.expect("reads"), None);
        assert_eq!(
            store
                .user_by_token("aa11")
                .await
                .expect("reads")
                .map(|u| u.name),
            Some("alice".into())
        );
        let names: Vec<String> = store
            .users()
            .await
            .expect("lists")
            .into_iter()
            .map(|u| u.name)
            .collect();
        assert_eq!(names, ["alice", "dana"]);
        let log = store.audit_log().await.expect("reads the log");
        let user_events: Vec<(&str, Option<&str>)> = log
            .iter()
            .filter(|row| row.entity == "user")
            .map(|row| (row.action.as_str(), row.entity_id.as_deref()))
            .collect();
        assert_eq!(
            user_events,
            [
                ("create", Some("alice")),
                ("create", Some("dana")),
                ("token", Some("dana")),
                ("revoke", Some("dana")),
            ],
            "{}",
            db.backend
        );
        store.close().await;
        db.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_decision_of_many_status_changes_commits_them_all_or_none() {
    use caretime_engine::book::{AppointmentStatus, Cancellation};
    for db in support::databases("statuses").await {
        let store = imported(&db).await;
        let mut live = LiveBook::load(&store, now(), &actor("a"))
            .await
            .expect("loads");
        let mut ids = Vec::new();
        for member in 20..26 {
            let decision = live
                .decide(now(), &actor("a"), booking(), |ctx| book(ctx, member, None))
                .await
                .expect("decides");
            ids.push(committed_appointment(&decision));
        }
        let cancellation = Some(Cancellation {
            reason: CancellationReason::Strike,
            by: CancelledBy::Plan,
            at: now(),
        });
        let change = |id: AppointmentId, from, to| Change::SetStatus {
            appointment: id,
            from,
            to,
            cancellation: (to == AppointmentStatus::Cancelled)
                .then_some(cancellation)
                .flatten(),
        };
        let commit = |changes: Vec<Change>| {
            move |_: Context<'_>| {
                Ok::<_, StoreError>(Outcome::Accepted(changes.iter().cloned().collect()))
            }
        };
        // The fourth is not pending: none of the six changes is written.
        let mut stale: Vec<Change> = ids
            .iter()
            .map(|&id| change(id, AppointmentStatus::Booked, AppointmentStatus::Cancelled))
            .collect();
        stale[3] = change(
            ids[3],
            AppointmentStatus::Pending,
            AppointmentStatus::Cancelled,
        );
        let refused = live
            .decide(now(), &actor("a"), booking(), commit(stale))
            .await
            .expect_err("a change of a row not in its status fails the write");
        assert!(
            matches!(&refused, StoreError::Disagree(message) if message.contains("not 6")),
            "{}: {refused}",
            db.backend
        );
        let statuses = |mut rows: Vec<caretime_store::query::AppointmentRow>| -> Vec<String> {
            rows.sort_by_key(|row| row.id);
            rows.into_iter().map(|row| row.status).collect()
        };
        let rows = store
            .appointments(AppointmentFilter::default(), &actor("a"), now())
            .await
            .expect("lists");
        assert_eq!(statuses(rows), vec!["booked"; 6], "{}", db.backend);

        // Arrivals (no cancellation: NULLs) and cancellations in one decision, and the first
        // appointment twice (arrived, then fulfilled): all six written.
        let mut changes = vec![
            change(
                ids[0],
                AppointmentStatus::Booked,
                AppointmentStatus::Arrived,
            ),
            change(
                ids[1],
                AppointmentStatus::Booked,
                AppointmentStatus::Cancelled,
            ),
            change(
                ids[0],
                AppointmentStatus::Arrived,
                AppointmentStatus::Fulfilled,
            ),
        ];
        changes.extend(ids[2..].iter().enumerate().map(|(idx, &id)| {
            let to = if idx % 2 == 0 {
                AppointmentStatus::Arrived
            } else {
                AppointmentStatus::Cancelled
            };
            change(id, AppointmentStatus::Booked, to)
        }));
        let decision = live
            .decide(now(), &actor("a"), booking(), commit(changes))
            .await
            .expect("decides");
        assert!(
            matches!(decision, Decision::Committed { .. }),
            "{decision:?}"
        );
        let mut rows = store
            .appointments(AppointmentFilter::default(), &actor("a"), now())
            .await
            .expect("lists");
        rows.sort_by_key(|row| row.id);
        let cancelled: Vec<(Option<String>, Option<String>)> = rows
            .iter()
            .map(|row| (row.cancel_reason.clone(), row.cancelled_by.clone()))
            .collect();
        assert_eq!(
            statuses(rows),
            [
                "fulfilled",
                "cancelled",
                "arrived",
                "cancelled",
                "arrived",
                "cancelled"
            ],
            "{}",
            db.backend
        );
        let strike = (Some("strike".to_owned()), Some("plan".to_owned()));
        assert_eq!(cancelled[1], strike);
        assert_eq!(cancelled[2], (None, None));
        assert_eq!(
            store.check(&actor("a"), now()).await.expect("checks"),
            Vec::new(),
            "{}",
            db.backend
        );
        store.close().await;
        db.finish().await;
    }
}

/// A request row as read straight from the table: id, member, kind, requested,
/// prior_appointment, clinical_exception, treating_clinician, preferences, journal_seq.
type RequestTuple = (
    i64,
    i64,
    String,
    i64,
    Option<i64>,
    Option<String>,
    Option<i64>,
    Option<String>,
    i64,
);

/// The request table, read with a connection of its own.
async fn request_rows(url: &str) -> Vec<RequestTuple> {
    let sql = "SELECT id, member, kind, requested, prior_appointment, clinical_exception, \
               treating_clinician, preferences, journal_seq FROM request ORDER BY id";
    if url.starts_with("sqlite:") {
        let mut conn = sqlx::SqliteConnection::connect(url)
            .await
            .expect("connects");
        sqlx::query_as(sql)
            .fetch_all(&mut conn)
            .await
            .expect("reads")
    } else {
        let mut conn = sqlx::PgConnection::connect(url).await.expect("connects");
        sqlx::query_as(sql)
            .fetch_all(&mut conn)
            .await
            .expect("reads")
    }
}

/// Runs `sql` (statements separated by `;`) on the database, past the store.
async fn execute(url: &str, sql: &'static str) {
    if url.starts_with("sqlite:") {
        let mut conn = sqlx::SqliteConnection::connect(url)
            .await
            .expect("connects");
        sqlx::raw_sql(sql).execute(&mut conn).await.expect("runs");
    } else {
        let mut conn = sqlx::PgConnection::connect(url).await.expect("connects");
        sqlx::raw_sql(sql).execute(&mut conn).await.expect("runs");
    }
}

fn committed_seq(decision: &Decision) -> i64 {
    match decision {
        Decision::Committed { seq, .. } => *seq,
        other => panic!("expected a commit, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_request_is_kept_once_as_first_carried_and_an_older_journal_gives_the_same_rows() {
    use caretime_core::calendar::WeekdayMask;
    use caretime_core::id::{ClinicianId, RequestId};
    use caretime_engine::find::OutOfNetworkArrangement;
    use jiff::civil::{date, time};
    for db in support::databases("requests").await {
        let store = imported(&db).await;
        let mut live = LiveBook::load(&store, now(), &actor("a"))
            .await
            .expect("loads");
        let weekdays = Preferences {
            weekdays: WeekdayMask::MONDAY_TO_FRIDAY,
            earliest_start: time(9, 0, 0, 0),
            latest_start: time(17, 0, 0, 0),
        };
        let prior = now() - jiff::SignedDuration::from_hours(24 * 7);
        let rich = |ctx: Context<'_>, member: u32| Request {
            prior_appointment: Some(prior),
            clinical_exception: Some(date(2026, 1, 30)),
            treating_clinician: Some(ClinicianId(2)),
            preferences: weekdays,
            ..request(ctx, member)
        };

        // A booking whose request says everything a request can.
        let booked = live
            .decide(now(), &actor("a"), booking(), |ctx| {
                let request = rich(ctx, 30);
                let offers = ctx
                    .book
                    .find(ctx.region, ctx.rules, &request, now())
                    .expect("a find");
                let offer = offers.best().expect("an offer");
                Ok::<_, StoreError>(ctx.book.decide_take(
                    ctx.region,
                    &TakeOffer {
                        request: &request,
                        offers: &offers,
                        offer,
                        choice: None,
                        take: Take::Book,
                    },
                    now(),
                ))
            })
            .await
            .expect("decides");
        // A request that waits, then is proposed time from the waitlist.
        let waited = live
            .decide(now(), &actor("a"), booking(), |ctx| {
                let request = Request {
                    kind: RequestKind::Psychiatry,
                    ..request(ctx, 31)
                };
                let offers = ctx
                    .book
                    .find(ctx.region, ctx.rules, &request, now())
                    .expect("a find");
                Ok::<_, StoreError>(ctx.book.decide_wait(&request, &offers, now()))
            })
            .await
            .expect("decides");
        let proposed = live
            .decide(now(), &actor("a"), booking(), |ctx| {
                ctx.book
                    .decide_propose_waitlist(ctx.region, ctx.rules, now())
                    .map_err(|error| StoreError::Book(error.to_string()))
            })
            .await
            .expect("decides");
        let Decision::Committed { changes, .. } = &proposed else {
            panic!("{proposed:?}");
        };
        assert!(
            changes.iter().any(|c| matches!(c, Change::Create(_))),
            "{}: the waiting request is proposed time: {changes:?}",
            db.backend
        );
        // An out-of-network arrangement, which carries only the request's id, member, kind and
        // time.
        let arranged = live
            .decide(now(), &actor("a"), booking(), |ctx| {
                Ok::<_, StoreError>(Outcome::Accepted(
                    [Change::Arrange(OutOfNetworkArrangement {
                        request: ctx.next_request,
                        requested: now(),
                        member: MemberId(32),
                        kind: RequestKind::Urgent,
                        deadline: now() + jiff::SignedDuration::from_hours(48),
                    })]
                    .into_iter()
                    .collect(),
                ))
            })
            .await
            .expect("decides");

        let requested = now().as_second();
        let expected: Vec<RequestTuple> = vec![
            (
                0,
                30,
                "initial".to_owned(),
                requested,
                Some(prior.as_second()),
                Some("2026-01-30".to_owned()),
                Some(2),
                Some(
                    r#"{"weekdays":["mon","tue","wed","thu","fri"],"earliest_start":"09:00","latest_start":"17:00"}"#
                        .to_owned(),
                ),
                committed_seq(&booked),
            ),
            (
                1,
                31,
                "psychiatry".to_owned(),
                requested,
                None,
                None,
                None,
                None,
                committed_seq(&waited),
            ),
            (
                2,
                32,
                "urgent".to_owned(),
                requested,
                None,
                None,
                None,
                None,
                committed_seq(&arranged),
            ),
        ];
        assert_eq!(request_rows(&db.url).await, expected, "{}", db.backend);
        assert_eq!(live.context().next_request, RequestId(3));
        assert_eq!(
            store.check(&actor("a"), now()).await.expect("checks"),
            Vec::new(),
            "{}",
            db.backend
        );
        store.close().await;

        // A database from before the table: its journal gives the same rows.
        execute(
            &db.url,
            "DROP TABLE request; DELETE FROM _sqlx_migrations WHERE version = 2",
        )
        .await;
        let reopened = Store::open(&db.url).await.expect("migrates");
        assert_eq!(request_rows(&db.url).await, expected, "{}", db.backend);

        // A row gone is a problem `db check` names.
        execute(&db.url, "DELETE FROM request WHERE id = 1").await;
        let problems = reopened.check(&actor("a"), now()).await.expect("checks");
        let details: Vec<&str> = problems.iter().map(|p| p.detail.as_str()).collect();
        assert_eq!(
            details,
            ["appointment 1 is for request 1, which has no row"],
            "{}",
            db.backend
        );
        reopened.close().await;
        db.finish().await;
    }
}

/// Waits (up to ten seconds) for `check` to hold.
async fn eventually(what: &str, mut check: impl AsyncFnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !check().await {
        assert!(std::time::Instant::now() < deadline, "never: {what}");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_s_cached_token_ends_when_any_process_revokes_it() {
    use caretime_store::users::NewUser;
    for db in support::databases("token-cache").await {
        let admin = actor("admin");
        // Another process (`caretime user ...`) adds alice before the server starts: a change's
        // notification reaches only connections that listen when it commits, so none of it can
        // empty the cache below after the test has filled it.
        let other = imported(&db).await;
        let alice = |token_hash| NewUser {
            name: "alice",
            role: "scheduler",
            clinician: None,
            password_hash: None,
            token_hash,
        };
        other
            .add_user(&alice("t1"), &admin, now())
            .await
            .expect("adds");
        let server = Store::open(&db.url)
            .await
            .expect("opens")
            .with_token_cache();
        let name = async |store: &Store, hash| {
            store
                .user_by_token(hash)
                .await
                .expect("reads")
                .map(|user| user.name)
        };
        if db.backend == "sqlite" {
            assert_eq!(server.token_cache(), None, "no cache on SQLite");
            assert_eq!(name(&server, "t1").await.as_deref(), Some("alice"));
            other
                .revoke_tokens("alice", &admin, now())
                .await
                .expect("revokes");
            assert_eq!(name(&server, "t1").await, None);
            db.finish().await;
            continue;
        }
        eventually("the cache listens", async || {
            server.token_cache() == Some((0, true))
        })
        .await;
        assert_eq!(name(&server, "t1").await.as_deref(), Some("alice"));
        assert_eq!(server.token_cache(), Some((1, true)), "kept");
        assert_eq!(name(&server, "unknown").await, None);
        assert_eq!(
            server.token_cache(),
            Some((1, true)),
            "an unknown token is not kept"
        );

        // The cache answers without the database: with the trigger off, a revocation in plain
        // SQL goes unseen (until the entry's age runs out).
        let mut sql = sqlx::PgConnection::connect(&db.url)
            .await
            .expect("connects");
        for statement in [
            "ALTER TABLE api_token DISABLE TRIGGER api_token_changed",
            "UPDATE api_token SET revoked_at = 1 WHERE hash = 't1'",
            "ALTER TABLE api_token ENABLE TRIGGER api_token_changed",
        ] {
            sqlx::query(statement)
                .execute(&mut sql)
                .await
                .expect(statement);
        }
        assert_eq!(name(&other, "t1").await, None, "revoked in the database");
        assert_eq!(
            name(&server, "t1").await.as_deref(),
            Some("alice"),
            "cached"
        );

        // With the trigger on, any change reaches the cache: here a new token from another
        // process, then a revocation by another process, then one in plain SQL.
        other
            .add_token("alice", "t2", &admin, now())
            .await
            .expect("a token");
        eventually("the cache forgets t1", async || {
            name(&server, "t1").await.is_none()
        })
        .await;
        assert_eq!(name(&server, "t2").await.as_deref(), Some("alice"));
        other
            .revoke_tokens("alice", &admin, now())
            .await
            .expect("revokes");
        eventually("a revocation elsewhere ends t2", async || {
            name(&server, "t2").await.is_none()
        })
        .await;
        // A new token from another process, once the server keeps it (alone: the new token's
        // own notification emptied the cache).
        let kept = async |hash: &'static str| {
            other
                .add_token("alice", hash, &admin, now())
                .await
                .expect("a token");
            eventually(&format!("{hash} is kept"), async || {
                name(&server, hash).await.is_some() && server.token_cache() == Some((1, true))
            })
            .await;
        };
        kept("t3").await;
        sqlx::query("UPDATE api_token SET revoked_at = 2 WHERE hash = 't3'")
            .execute(&mut sql)
            .await
            .expect("revokes in SQL");
        eventually("a revocation in plain SQL ends t3", async || {
            name(&server, "t3").await.is_none()
        })
        .await;

        // A revocation through the server's own store takes effect at once.
        kept("t4").await;
        server
            .revoke_tokens("alice", &admin, now())
            .await
            .expect("revokes");
        assert_eq!(name(&server, "t4").await, None, "at once");
        sql.close().await.ok();
        drop(server);
        other.close().await;
        db.finish().await;
    }
}
