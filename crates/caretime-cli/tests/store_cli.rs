//! The stored book as a user drives it from the shell: `db`, `import`, `book`, `cancel` and
//! `appointments`, each command a process of its own on one database. Every test runs on a
//! fresh SQLite file, and again on a fresh PostgreSQL database when
//! `CARETIME_TEST_POSTGRES_URL` is set (the store's test support makes and drops it). The tests
//! read the database directly with sqlx, as an auditor would, to see what each command wrote.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

use jiff::Timestamp;
use serde_json::Value;
use sqlx::Connection;

#[path = "../../caretime-store/tests/support/mod.rs"]
mod db_support;
mod support;

use db_support::TestDb;
use support::{Run, assert_one_error_line, json, scratch};

/// The clock every command is given.
const NOW: &str = "2025-12-01T08:00:00-08:00[America/Los_Angeles]";
/// The user the commands run as: the audit log's actor is `cli:` and this.
const USER: &str = "store-cli-test";

/// Generates a socal region at `scale` in a scratch directory `name`: its JSON file, or with
/// `csv` the directory of its four CSV tables.
fn generate(name: &str, scale: &str, csv: bool) -> PathBuf {
    let dir = scratch(&format!("store_cli-{name}"));
    let json_path = dir.join("region.json");
    let csv_dir = dir.join("csv");
    let mut args = words(
        "region generate --preset socal --scale {scale} --seed 1 -o {output}",
        &[("scale", scale), ("output", path_text(&json_path))],
    );
    if csv {
        args.extend(["--csv", path_text(&csv_dir)]);
    }
    let generated = support::caretime(&args);
    assert_eq!(generated.status, 0, "{}", generated.stderr);
    if csv { csv_dir } else { json_path }
}

/// The region of the story (socal at 0.002: 9,600 members, 31 clinicians).
fn story_region() -> &'static Path {
    static REGION: OnceLock<PathBuf> = OnceLock::new();
    REGION.get_or_init(|| generate("story-region", "0.002", false))
}

/// A smaller region for the tests that only need some clinicians' time (2,400 members).
fn small_region() -> &'static Path {
    static REGION: OnceLock<PathBuf> = OnceLock::new();
    REGION.get_or_init(|| generate("small-region", "0.0005", false))
}

fn path_text(path: &Path) -> &str {
    path.to_str().expect("UTF-8 path")
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("readable")).expect("JSON")
}

/// The words of a command line: split at spaces, with `{now}` standing for [`NOW`] and each
/// other `{name}` for its value in `values`.
fn words<'a>(line: &'a str, values: &[(&str, &'a str)]) -> Vec<&'a str> {
    line.split_whitespace()
        .map(
            |word| match word.strip_prefix('{').and_then(|w| w.strip_suffix('}')) {
                Some("now") => NOW,
                Some(name) => values
                    .iter()
                    .find(|(known, _)| *known == name)
                    .map(|(_, value)| *value)
                    .unwrap_or_else(|| panic!("no value for {{{name}}} in `{line}`")),
                None => word,
            },
        )
        .collect()
}

/// Runs the command `line` (see [`words`]) on the database at `url`.
fn run_line(url: &str, line: &str, values: &[(&str, &str)]) -> Run {
    run(url, &words(line, values))
}

/// A `caretime` command on the database at `url`, as [`USER`], with no database URL
/// inherited from the environment.
fn command(url: &str, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_caretime"));
    command
        .args(args)
        .args(["--database", url])
        .env("USER", USER)
        .env_remove("CARETIME_DATABASE_URL");
    command
}

fn run(url: &str, args: &[&str]) -> Run {
    finished(command(url, args).output().expect("the binary runs"))
}

/// What a finished process printed and how it exited.
fn finished(output: Output) -> Run {
    Run {
        status: output.status.code().expect("exited, not killed"),
        stdout: String::from_utf8(output.stdout).expect("UTF-8 stdout"),
        stderr: String::from_utf8(output.stderr).expect("UTF-8 stderr"),
    }
}

/// Imports `region` into the database at `url`.
fn import(url: &str, region: &Path) {
    let imported = json(&run_line(
        url,
        "import {region} --now {now} --format json",
        &[("region", path_text(region))],
    ));
    let members = read_json(region)["members"]
        .as_array()
        .expect("members")
        .len();
    assert_eq!(imported["members"], members, "{imported}");
}

/// [`NOW`] as an instant.
fn now() -> Timestamp {
    NOW.parse().expect("NOW is a zoned time")
}

/// The start of an appointment or offer as printed (RFC 3339 with the local offset).
fn start_of(entry: &Value) -> Timestamp {
    entry["start"]
        .as_str()
        .expect("a start")
        .parse()
        .expect("an RFC 3339 start")
}

/// Runs `$body` with `$conn` a direct connection to the test database, whichever the backend.
macro_rules! with_connection {
    ($db:expr, $conn:ident => $body:expr) => {
        match $db.backend {
            "sqlite" => {
                let mut $conn = sqlx::SqliteConnection::connect(&$db.url)
                    .await
                    .expect("the SQLite file opens");
                let out = $body;
                $conn.close().await.ok();
                out
            }
            _ => {
                let mut $conn = sqlx::PgConnection::connect(&$db.url)
                    .await
                    .expect("the PostgreSQL database opens");
                let out = $body;
                $conn.close().await.ok();
                out
            }
        }
    };
}

/// One row of the audit log, as read straight from the table.
#[derive(Clone, Debug, PartialEq, Eq)]
struct AuditLine {
    at: i64,
    actor: String,
    action: String,
    entity: String,
    entity_id: Option<String>,
    outcome: String,
}

type AuditTuple = (i64, String, String, String, Option<String>, String);

async fn audit_log(db: &TestDb) -> Vec<AuditLine> {
    let sql = "SELECT at, actor, action, entity, entity_id, outcome FROM audit ORDER BY id";
    let rows: Vec<AuditTuple> = with_connection!(db, conn => sqlx::query_as(sql)
        .fetch_all(&mut conn)
        .await
        .expect("the audit log reads"));
    rows.into_iter()
        .map(
            |(at, actor, action, entity, entity_id, outcome)| AuditLine {
                at,
                actor,
                action,
                entity,
                entity_id,
                outcome,
            },
        )
        .collect()
}

/// What a command may have written, counted per table: the book row and the journal's head,
/// the region, the journal, the appointments and the requests.
const COUNTS: [(&str, &str); 11] = [
    ("book", "SELECT count(*) FROM book"),
    (
        "journal head",
        "SELECT coalesce(max(journal_seq), 0) FROM book",
    ),
    ("journal", "SELECT count(*) FROM journal"),
    ("facility", "SELECT count(*) FROM facility"),
    ("clinician", "SELECT count(*) FROM clinician"),
    ("member", "SELECT count(*) FROM member"),
    ("appointment", "SELECT count(*) FROM appointment"),
    (
        "held appointment",
        "SELECT count(*) FROM appointment WHERE active",
    ),
    ("arrangement", "SELECT count(*) FROM arrangement"),
    ("waitlist", "SELECT count(*) FROM waitlist"),
    ("request", "SELECT count(*) FROM request"),
];

/// The database's contents in brief: each of [`COUNTS`], and the whole audit log.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Contents {
    counts: Vec<(&'static str, i64)>,
    audit: Vec<AuditLine>,
}

async fn contents(db: &TestDb) -> Contents {
    let counts = with_connection!(db, conn => {
        let mut counts = Vec::new();
        for (name, sql) in COUNTS {
            let count: i64 = sqlx::query_scalar(sql)
                .fetch_one(&mut conn)
                .await
                .unwrap_or_else(|error| panic!("{name}: {error}"));
            counts.push((name, count));
        }
        counts
    });
    Contents {
        counts,
        audit: audit_log(db).await,
    }
}

impl Contents {
    fn count(&self, name: &str) -> i64 {
        self.counts
            .iter()
            .find(|(known, _)| *known == name)
            .map(|(_, count)| *count)
            .expect("a counted table")
    }
}

/// Asserts that a command wrote nothing but the audit rows `(action, entity, outcome)` listed.
fn assert_wrote_only(
    before: &Contents,
    after: &Contents,
    audited: &[(&str, &str, &str)],
    args: &[&str],
) {
    assert_eq!(before.counts, after.counts, "{args:?} changed the book");
    let (old, new) = after
        .audit
        .split_at(before.audit.len().min(after.audit.len()));
    assert_eq!(old, before.audit, "{args:?} changed the audit log");
    let new: Vec<(&str, &str, &str)> = new
        .iter()
        .map(|line| {
            (
                line.action.as_str(),
                line.entity.as_str(),
                line.outcome.as_str(),
            )
        })
        .collect();
    assert_eq!(new, audited, "{args:?}: audit rows written");
}

#[tokio::test]
async fn story_import_book_cancel_check_and_its_audit_trail() {
    for db in db_support::databases("story").await {
        story(&db).await;
        migrate_a_new_database(db.backend).await;
        db.finish().await;
    }
}

/// `db init`, `import`, `book` (the best offer, then a time `find` found), `appointments`,
/// `cancel`, `db check`; then the audit log those commands left.
async fn story(db: &TestDb) {
    let url = db.url.as_str();
    let backend = db.backend;
    let region_path = story_region();

    let init = json(&run(url, &["db", "init", "--format", "json"]));
    let versions = init["versions"].as_array().expect("versions").clone();
    assert!(!versions.is_empty(), "{backend}: db init applied no schema");
    let again = json(&run(url, &["db", "init", "--format", "json"]));
    assert_eq!(
        again["versions"],
        Value::from(versions),
        "{backend}: init twice"
    );
    // A database without a region yet is sound: nothing to replay.
    let check = run_line(url, "db check --now {now}", &[]);
    assert_eq!(
        check.status, 0,
        "{backend}: {}{}",
        check.stdout, check.stderr
    );
    assert!(check.stdout.contains("no problems"), "{}", check.stdout);

    import(url, region_path);

    // The engine's best offer for member 5.
    let first = json(&run_line(
        url,
        "book --member 5 --kind initial --now {now} --format json",
        &[],
    ));
    assert_eq!(first["member"], "member-5", "{backend}: {first}");
    assert_eq!(first["kind"], "initial", "{backend}: {first}");
    assert_eq!(first["status"], "booked", "{backend}: {first}");
    assert!(
        start_of(&first) > now(),
        "{backend}: booked in the past: {first}"
    );
    let first_id = first["id"].as_str().expect("an id").to_owned();
    let first_clinician = first["clinician"].as_str().expect("a clinician").to_owned();

    // A free time `find` offers member 17 on the region file, with another clinician (the
    // file's book is empty, so only another clinician's time is surely still free).
    let found = json(&support::caretime(&words(
        "find --region {region} --member 17 --kind initial --requested {now} --offers 5 \
         --format json",
        &[("region", path_text(region_path))],
    )));
    let offer = found["offers"]
        .as_array()
        .expect("offers")
        .iter()
        .find(|offer| offer["clinician"] != first_clinician.as_str())
        .unwrap_or_else(|| panic!("an offer from another clinician: {found}"));
    let clinician = offer["clinician"].as_str().expect("a clinician");
    let start = offer["start"].as_str().expect("a start");
    let second = json(&run_line(
        url,
        "book --member member-17 --kind initial --clinician {clinician} --start {start} \
         --now {now} --format json",
        &[("clinician", clinician), ("start", start)],
    ));
    assert_eq!(second["member"], "member-17", "{backend}: {second}");
    assert_eq!(second["clinician"], clinician, "{backend}: {second}");
    assert_eq!(start_of(&second), start_of(offer), "{backend}: {second}");
    assert_eq!(second["status"], "booked", "{backend}: {second}");
    let second_id = second["id"].as_str().expect("an id").to_owned();
    assert_ne!(first_id, second_id, "{backend}");

    // Each filter lists its own appointment only.
    let list = |filter: &str, id: &str| -> Vec<Value> {
        let listed = json(&run_line(
            url,
            "appointments {filter} {id} --now {now} --format json",
            &[("filter", filter), ("id", id)],
        ));
        listed.as_array().expect("a list").clone()
    };
    let members = list("--member", "5");
    assert_eq!(members.len(), 1, "{backend}: {members:?}");
    assert_eq!(members[0], first, "{backend}: listed as booked");
    let clinicians = list("--clinician", clinician);
    assert_eq!(clinicians.len(), 1, "{backend}: {clinicians:?}");
    assert_eq!(clinicians[0], second, "{backend}: listed as booked");

    let cancelled = json(&run_line(
        url,
        "cancel {id} --reason member-request --by member --now {now} --format json",
        &[("id", &first_id)],
    ));
    assert_eq!(cancelled["id"], first_id.as_str(), "{backend}: {cancelled}");
    assert_eq!(cancelled["status"], "cancelled", "{backend}: {cancelled}");
    let members = list("--member", "member-5");
    assert_eq!(members.len(), 1, "{backend}: {members:?}");
    assert_eq!(members[0]["status"], "cancelled", "{backend}: {members:?}");
    assert_eq!(members[0]["cancel_reason"], "member-request", "{backend}");
    assert_eq!(members[0]["cancelled_by"], "member", "{backend}");
    assert_eq!(members[0]["start"], first["start"], "{backend}");
    let clinicians = list("--clinician", clinician);
    assert_eq!(clinicians.len(), 1, "{backend}: {clinicians:?}");
    assert_eq!(clinicians[0], second, "{backend}: the other is untouched");

    // Each booking's request has its row; the cancel wrote none.
    assert_eq!(contents(db).await.count("request"), 2, "{backend}");

    let check = run(url, &["db", "check", "--now", NOW]);
    assert_eq!(
        check.status, 0,
        "{backend}: {}{}",
        check.stdout, check.stderr
    );
    assert!(
        check.stdout.contains("no problems"),
        "{backend}: {}",
        check.stdout
    );

    audit_trail(db, &first_id, &second_id, clinician).await;
}

/// The audit log after the story: a row for the import, each booking, the cancel and each
/// appointments read, in that order, all by the CLI's actor at the given clock and ok; and the
/// database refuses to change or delete any of them.
async fn audit_trail(db: &TestDb, first_id: &str, second_id: &str, clinician: &str) {
    let backend = db.backend;
    let log = audit_log(db).await;
    for line in &log {
        assert_eq!(line.actor, format!("cli:{USER}"), "{backend}: {line:?}");
        assert_eq!(line.outcome, "ok", "{backend}: {line:?}");
        assert_eq!(
            line.at,
            now().as_second(),
            "{backend}: the clock given: {line:?}"
        );
    }
    let first_number = first_id.trim_start_matches("appointment-");
    let second_number = second_id.trim_start_matches("appointment-");
    let expected: Vec<(&str, &str, Option<String>)> = vec![
        ("create", "region", None),
        ("create", "appointment", Some(first_number.to_owned())),
        ("create", "appointment", Some(second_number.to_owned())),
        ("read", "appointment", Some("member-5".to_owned())),
        ("read", "appointment", Some(clinician.to_owned())),
        ("update", "appointment", Some(first_number.to_owned())),
        ("read", "appointment", Some("member-5".to_owned())),
        ("read", "appointment", Some(clinician.to_owned())),
    ];
    // The rows expected, in order, among the others (each command that loads the book also
    // audits its read of the members, and `db check` its check).
    let mut rest = log.iter();
    for (action, entity, entity_id) in &expected {
        let found = rest.any(|line| {
            line.action == *action
                && line.entity == *entity
                && (entity_id.is_none() || line.entity_id == *entity_id)
        });
        assert!(
            found,
            "{backend}: no {action} {entity} {entity_id:?} in order in {log:#?}"
        );
    }
    let loads = log
        .iter()
        .filter(|line| line.action == "read" && line.entity == "member")
        .count();
    assert_eq!(
        loads, 4,
        "{backend}: two books, a cancel and a check load the members"
    );

    for sql in [
        "UPDATE audit SET outcome = 'refused'",
        "UPDATE audit SET actor = 'someone else' WHERE action = 'update'",
        "DELETE FROM audit",
        "DELETE FROM audit WHERE action = 'read'",
    ] {
        let result = with_connection!(db, conn => sqlx::query(sql)
            .execute(&mut conn)
            .await
            .map(|done| done.rows_affected()));
        let error = result.expect_err(&format!("{backend}: `{sql}` went through"));
        assert!(
            error.to_string().contains("append-only"),
            "{backend}: `{sql}`: {error}"
        );
    }
    assert_eq!(audit_log(db).await, log, "{backend}: the audit log changed");
}

/// `db migrate` on a new database (an empty SQLite file: `db migrate` creates none) applies
/// the schema, and a second run applies nothing.
async fn migrate_a_new_database(backend: &str) {
    let db = match backend {
        "sqlite" => {
            let db = db_support::sqlite("migrate");
            std::fs::File::create(sqlite_file(&db.url)).expect("an empty SQLite file");
            db
        }
        _ => db_support::postgres("migrate")
            .await
            .expect("PostgreSQL is set: the story ran on it"),
    };
    let migrated = json(&run(&db.url, &["db", "migrate", "--format", "json"]));
    assert!(
        !migrated["versions"]
            .as_array()
            .expect("versions")
            .is_empty(),
        "{backend}: {migrated}"
    );
    let again = json(&run(&db.url, &["db", "migrate", "--format", "json"]));
    assert_eq!(
        again["versions"],
        Value::Array(Vec::new()),
        "{backend}: {again}"
    );
    let text = run(&db.url, &["db", "migrate"]);
    assert_eq!(text.status, 0, "{backend}: {}", text.stderr);
    assert!(
        text.stdout.contains("migrated"),
        "{backend}: {}",
        text.stdout
    );
    let contents = contents(&db).await;
    assert_eq!(contents.count("book"), 0, "{backend}: no region yet");
    db.finish().await;
}

/// The free time `find` offers `member` first in the small region, with a clinician who sees
/// members by video (so any member who accepts video can ask for the same time).
fn a_free_video_time(member: &str) -> (String, String) {
    let region = read_json(small_region());
    let found = json(&support::caretime(&words(
        "find --region {region} --member {member} --kind initial --requested {now} --offers 5 \
         --format json",
        &[("region", path_text(small_region())), ("member", member)],
    )));
    let video_clinicians: Vec<String> = region["clinicians"]
        .as_array()
        .expect("clinicians")
        .iter()
        .filter(|c| {
            c["modalities"]
                .as_array()
                .is_some_and(|m| m.contains(&"video".into()))
        })
        .map(|c| format!("clinician-{}", c["id"]))
        .collect();
    let offer = found["offers"]
        .as_array()
        .expect("offers")
        .iter()
        .find(|offer| {
            offer["clinician"]
                .as_str()
                .is_some_and(|c| video_clinicians.iter().any(|v| v == c))
        })
        .unwrap_or_else(|| panic!("an offer by a clinician who works by video: {found}"));
    (
        offer["clinician"].as_str().expect("a clinician").to_owned(),
        offer["start"].as_str().expect("a start").to_owned(),
    )
}

/// The first `n` members of the small region who accept video appointments.
fn video_members(n: usize) -> Vec<String> {
    let region = read_json(small_region());
    let members: Vec<String> = region["members"]
        .as_array()
        .expect("members")
        .iter()
        .filter(|m| {
            m["accepts"]
                .as_array()
                .is_some_and(|a| a.contains(&"video".into()))
        })
        .take(n)
        .map(|m| format!("member-{}", m["id"]))
        .collect();
    assert_eq!(members.len(), n, "enough members who accept video");
    members
}

/// Whether a refusal line says the time is taken.
fn says_taken(line: &str, clinician: &str) -> bool {
    (line.starts_with("refused: ") || line.starts_with("conflict: "))
        && line.contains(&format!("{clinician} is not free at"))
}

const RACERS: usize = 32;

#[tokio::test]
async fn racing_processes_book_one_time_once() {
    for db in db_support::databases("race").await {
        let url = db.url.as_str();
        let backend = db.backend;
        import(url, small_region());
        let members = video_members(RACERS);
        let (clinician, start) = a_free_video_time(&members[0]);

        // All at once: each process loads the book, decides on its own cache and commits.
        let children: Vec<_> = members
            .iter()
            .map(|member| {
                let line = "book --member {member} --kind initial --clinician {clinician} \
                            --start {start} --now {now}";
                let values = [
                    ("member", member.as_str()),
                    ("clinician", &clinician),
                    ("start", &start),
                ];
                command(url, &words(line, &values))
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .expect("the binary starts")
            })
            .collect();
        let runs: Vec<Run> = children
            .into_iter()
            .map(|child| finished(child.wait_with_output().expect("the process ends")))
            .collect();

        let winners: Vec<&Run> = runs.iter().filter(|r| r.status == 0).collect();
        assert_eq!(winners.len(), 1, "{backend}: exactly one books the time");
        assert!(winners[0].stdout.starts_with("booked "), "{backend}");
        for (member, run) in members.iter().zip(&runs).filter(|(_, r)| r.status != 0) {
            assert_eq!(
                run.status, 1,
                "{backend}: {member}: {}{}",
                run.stdout, run.stderr
            );
            assert!(run.stderr.is_empty(), "{backend}: {member}: {}", run.stderr);
            assert!(
                run.stdout.lines().count() == 1 && says_taken(&run.stdout, &clinician),
                "{backend}: {member}: {}",
                run.stdout
            );
        }

        let listed = json(&run_line(
            url,
            "appointments --clinician {clinician} --now {now} --format json",
            &[("clinician", &clinician)],
        ));
        let listed = listed.as_array().expect("a list");
        assert_eq!(listed.len(), 1, "{backend}: {listed:?}");
        assert_eq!(listed[0]["status"], "booked", "{backend}");
        assert_eq!(
            start_of(&listed[0]),
            start.parse::<Timestamp>().expect("RFC 3339")
        );
        let winner = members[runs.iter().position(|r| r.status == 0).expect("a winner")].as_str();
        assert_eq!(listed[0]["member"], winner, "{backend}");

        let check = run(url, &["db", "check", "--now", NOW]);
        assert_eq!(
            check.status, 0,
            "{backend}: {}{}",
            check.stdout, check.stderr
        );
        assert!(
            check.stdout.contains("no problems"),
            "{backend}: {}",
            check.stdout
        );

        // Each attempt left one audit row: one booked, the others refused or lost the race.
        let attempts: Vec<String> = audit_log(&db)
            .await
            .into_iter()
            .filter(|line| line.action == "create" && line.entity == "appointment")
            .map(|line| line.outcome)
            .collect();
        assert_eq!(attempts.len(), RACERS, "{backend}: {attempts:?}");
        assert_eq!(
            attempts.iter().filter(|o| *o == "ok").count(),
            1,
            "{backend}"
        );
        assert!(
            attempts
                .iter()
                .all(|o| ["ok", "refused", "conflict"].contains(&o.as_str())),
            "{backend}: {attempts:?}"
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn a_time_booked_by_one_process_is_refused_to_the_next() {
    for db in db_support::databases("taken").await {
        let url = db.url.as_str();
        let backend = db.backend;
        import(url, small_region());
        let members = video_members(2);
        let (clinician, start) = a_free_video_time(&members[0]);
        let book = |member: &str| {
            run_line(
                url,
                "book --member {member} --kind initial --clinician {clinician} --start {start} \
                 --now {now} --format json",
                &[
                    ("member", member),
                    ("clinician", &clinician),
                    ("start", &start),
                ],
            )
        };
        let booked = json(&book(&members[0]));
        assert_eq!(booked["status"], "booked", "{backend}: {booked}");
        let before = contents(&db).await;

        let taken = book(&members[1]);
        assert_eq!(
            taken.status, 1,
            "{backend}: {}{}",
            taken.stdout, taken.stderr
        );
        let refused: Value = serde_json::from_str(&taken.stdout).expect("one JSON document");
        assert_eq!(refused["outcome"], "refused", "{backend}: {refused}");
        let reasons = refused["reasons"].as_array().expect("reasons");
        assert!(
            reasons.iter().any(|r| r
                .as_str()
                .is_some_and(|r| r.contains(&format!("{clinician} is not free at")))),
            "{backend}: {refused}"
        );
        let after = contents(&db).await;
        assert_wrote_only(
            &before,
            &after,
            &[
                ("read", "member", "ok"),
                ("create", "appointment", "refused"),
            ],
            &["book", &members[1]],
        );

        let listed = json(&run_line(
            url,
            "appointments --clinician {clinician} --now {now} --format json",
            &[("clinician", &clinician)],
        ));
        assert_eq!(listed, Value::Array(vec![booked]), "{backend}");
        db.finish().await;
    }
}

/// Where a bad command is caught: before anything is read (nothing is written, not even an
/// audit row: ids are checked against the region's size, which reads no one's data).
#[derive(Clone, Copy, Debug)]
enum Caught {
    BeforeOpening,
}

impl Caught {
    /// The audit rows `(action, entity, outcome)` a command caught here writes.
    fn audited(self) -> &'static [(&'static str, &'static str, &'static str)] {
        match self {
            Caught::BeforeOpening => &[],
        }
    }
}

/// Bad commands on a book with a region and one appointment: the command line (`{region}` is
/// the region already imported, `{start}` a free time, `{later}` a day after `{now}`), what the
/// one error line says, and where it is caught.
const BAD_COMMANDS: [(&str, &str, Caught); 25] = {
    use Caught::BeforeOpening;
    [
        (
            "book --member 99999 --kind initial --now {now}",
            "member-99999 is not a member of the region",
            BeforeOpening,
        ),
        (
            "book --member 3 --kind initial --clinician 999 --start {start} --now {now}",
            "clinician-999 is not a clinician of the region",
            BeforeOpening,
        ),
        (
            "book --member 3 --kind initial --treating clinician-999 --now {now}",
            "clinician-999 is not a clinician of the region",
            BeforeOpening,
        ),
        (
            "book --member 3 --kind checkup --now {now}",
            "unknown request kind `checkup`",
            BeforeOpening,
        ),
        (
            "book --member Jane --kind initial --now {now}",
            "--member must be a number",
            BeforeOpening,
        ),
        (
            "book --member 3 --kind initial --now yesterday",
            "--now is not a valid time",
            BeforeOpening,
        ),
        (
            "book --member 3 --kind initial --now {now} --requested soon",
            "--requested is not a valid time",
            BeforeOpening,
        ),
        (
            "book --member 3 --kind initial --now {now} --requested {later}",
            "--requested is after --now",
            BeforeOpening,
        ),
        (
            "book --member 3 --kind initial --clinician 0 --start 9am --now {now}",
            "--start is not a valid time",
            BeforeOpening,
        ),
        (
            "book --member 3 --kind initial --clinician 0 --now {now}",
            "required arguments were not provided: --start",
            BeforeOpening,
        ),
        (
            "book --member 3 --kind initial --start {start} --now {now}",
            "required arguments were not provided: --clinician",
            BeforeOpening,
        ),
        (
            "cancel 0 --reason bored --by member --now {now}",
            "--reason must be one of",
            BeforeOpening,
        ),
        (
            "cancel 0 --reason other --by nobody --now {now}",
            "--by must be member or plan",
            BeforeOpening,
        ),
        (
            "cancel first --reason other --by plan --now {now}",
            "the appointment must be a number",
            BeforeOpening,
        ),
        (
            "cancel 0 --reason other --by plan --now noon",
            "--now is not a valid time",
            BeforeOpening,
        ),
        (
            "appointments --member someone --now {now}",
            "--member must be a number",
            BeforeOpening,
        ),
        (
            "appointments --clinician c7 --now {now}",
            "--clinician must be a number",
            BeforeOpening,
        ),
        (
            "appointments --member 99999 --now {now}",
            "member-99999 is not a member of the region",
            BeforeOpening,
        ),
        (
            "appointments --clinician 999 --now {now}",
            "clinician-999 is not a clinician of the region",
            BeforeOpening,
        ),
        (
            "appointments --now today",
            "--now is not a valid time",
            BeforeOpening,
        ),
        (
            "db check --now today",
            "--now is not a valid time",
            BeforeOpening,
        ),
        (
            "import /nonexistent/caretime/region.json --now {now}",
            "/nonexistent/caretime/region.json",
            BeforeOpening,
        ),
        (
            "import {region} --now {now}",
            "the database holds a region already",
            BeforeOpening,
        ),
        (
            "import {region} --now {now} --rules no-such-rules",
            "no-such-rules",
            BeforeOpening,
        ),
        (
            "export census --at noon --now {now}",
            "--at is not a valid time",
            BeforeOpening,
        ),
    ]
};

/// `export census` on a stored book with one booking: every clinician answers each question
/// their discipline takes (NPMH three, psychiatrists the non-urgent one), the text, JSON and CSV
/// agree on the counts, the same command gives the same bytes, a sample is reproducible from
/// its seed, and an instant outside the book's horizon is refused.
#[tokio::test]
async fn export_census_answers_every_provider_in_every_format() {
    let region_json = read_json(small_region());
    let clinicians = region_json["clinicians"].as_array().expect("clinicians");
    let psychiatrists = clinicians
        .iter()
        .filter(|clinician| clinician["discipline"] == "psychiatrist")
        .count();
    let npmh = clinicians.len() - psychiatrists;
    for db in db_support::databases("census").await {
        let url = db.url.as_str();
        let backend = db.backend;
        import(url, small_region());
        let booked = json(&run_line(
            url,
            "book --member 3 --kind initial --now {now} --format json",
            &[],
        ));
        assert_eq!(booked["status"], "booked", "{backend}: {booked}");

        let csv = run_line(url, "export census --now {now} --csv", &[]);
        assert_eq!(csv.status, 0, "{backend}: {}", csv.stderr);
        let rows: Vec<Vec<&str>> = csv
            .stdout
            .lines()
            .skip(1)
            .map(|line| line.split(',').collect())
            .collect();
        assert_eq!(rows.len(), 3 * npmh + psychiatrists, "{backend}");
        // The survey instant is --now, 16:00 UTC.
        assert!(rows.iter().all(|row| row[0] == "2025-12-01T16:00:00Z"));
        let again = run_line(url, "export census --now {now} --csv", &[]);
        assert_eq!(csv.stdout, again.stdout, "{backend}: the same bytes");

        let census = json(&run_line(
            url,
            "export census --now {now} --sample 2 --seed 5 --format json",
            &[],
        ));
        let rows_json = census["rows"].as_array().expect("rows");
        for question in ["urgent", "non-urgent", "follow-up"] {
            let all = rows_json
                .iter()
                .find(|row| row["question"] == question && row["label"] == "all")
                .expect("an all row");
            let asked: Vec<&Vec<&str>> = rows.iter().filter(|row| row[8] == question).collect();
            let within = asked.iter().filter(|row| row[15] == "true").count();
            assert_eq!(all["eligible"], asked.len(), "{backend} {question}");
            assert_eq!(all["within_standard"], within, "{backend} {question}");
        }
        assert_eq!(census["thresholds"][0]["rate"], 0.7, "{backend}");
        assert_eq!(census["thresholds"][1]["rate"], 0.9, "{backend}");
        let sample = json(&run_line(
            url,
            "export census --now {now} --sample 2 --seed 5 --format json",
            &[],
        ));
        assert_eq!(census["sample"], sample["sample"], "{backend}");

        let text = run_line(url, "export census --now {now}", &[]);
        assert_eq!(text.status, 0, "{backend}: {}", text.stderr);
        assert!(
            text.stdout.contains("threshold ca-dmhc 70%"),
            "{}",
            text.stdout
        );

        let args = words("export census --at 2030-01-01T00:00:00Z --now {now}", &[]);
        let refused = run(url, &args);
        assert_one_error_line(&refused, &args, "outside the book's horizon");
        db.finish().await;
    }
}

#[tokio::test]
async fn bad_input_to_the_store_commands_writes_nothing() {
    let region = path_text(small_region());
    for db in db_support::databases("bad_input").await {
        let url = db.url.as_str();
        let backend = db.backend;
        import(url, small_region());
        // A booking, so that there is something to leave untouched.
        let booked = json(&run_line(
            url,
            "book --member 3 --kind initial --now {now} --format json",
            &[],
        ));
        assert_eq!(booked["status"], "booked", "{backend}: {booked}");

        let values = [
            ("region", region),
            ("start", "2025-12-02T09:00:00-08:00[America/Los_Angeles]"),
            ("later", "2025-12-02T08:00:00-08:00[America/Los_Angeles]"),
        ];
        for (line, says, caught) in BAD_COMMANDS {
            let args = words(line, &values);
            let before = contents(&db).await;
            let answer = run(url, &args);
            assert_one_error_line(&answer, &args, says);
            let after = contents(&db).await;
            assert_wrote_only(&before, &after, caught.audited(), &args);
        }

        // An unknown appointment is the engine's refusal (exit 1), audited as such.
        let before = contents(&db).await;
        let args = words(
            "cancel appointment-4242 --reason other --by plan --now {now}",
            &[],
        );
        let refused = run(url, &args);
        assert_eq!(
            refused.status, 1,
            "{backend}: {}{}",
            refused.stdout, refused.stderr
        );
        assert!(refused.stderr.is_empty(), "{backend}: {}", refused.stderr);
        assert!(
            refused.stdout.starts_with("refused: ")
                && refused
                    .stdout
                    .contains("appointment-4242 is not in the book"),
            "{backend}: {}",
            refused.stdout
        );
        let after = contents(&db).await;
        assert_wrote_only(
            &before,
            &after,
            &[
                ("read", "member", "ok"),
                ("update", "appointment", "refused"),
            ],
            &args,
        );

        let check = run(url, &["db", "check", "--now", NOW]);
        assert_eq!(
            check.status, 0,
            "{backend}: {}{}",
            check.stdout, check.stderr
        );
        db.finish().await;
    }
}

/// Each store command once (`{region}`: a region file).
const EVERY_COMMAND: [&str; 7] = [
    "db init",
    "db migrate",
    "db check --now {now}",
    "import {region} --now {now}",
    "book --member 1 --kind initial --now {now}",
    "cancel 0 --reason other --by plan --now {now}",
    "appointments --now {now}",
];

#[test]
fn a_url_of_another_database_is_refused_by_every_command() {
    let dir = scratch("store_cli-bad-url");
    let region = path_text(small_region());
    for line in EVERY_COMMAND {
        let args = words(line, &[("region", region)]);
        let answer = finished(
            command("mysql://x", &args)
                .current_dir(&dir)
                .output()
                .expect("the binary runs"),
        );
        assert_one_error_line(&answer, &args, "`mysql://x` is not a database URL");
        assert!(answer.stderr.contains("sqlite://") && answer.stderr.contains("postgres://"));
    }
    let left: Vec<_> = std::fs::read_dir(&dir).expect("the scratch dir").collect();
    assert!(left.is_empty(), "a bad URL created files: {left:?}");
}

/// The file a `sqlite://FILE` URL names.
fn sqlite_file(url: &str) -> &Path {
    Path::new(url.strip_prefix("sqlite://").expect("a sqlite:// URL"))
}

#[tokio::test]
async fn a_missing_sqlite_file_is_created_by_db_init_only() {
    let db = db_support::sqlite("missing");
    let file = sqlite_file(&db.url);
    let region = path_text(small_region());
    for line in EVERY_COMMAND {
        if line.starts_with("db init") || line.starts_with("import") {
            continue;
        }
        let args = words(line, &[("region", region)]);
        let answer = run(&db.url, &args);
        assert_one_error_line(&answer, &args, "there is no database at");
        assert!(
            answer.stderr.contains("caretime db init"),
            "{}",
            answer.stderr
        );
        assert!(!file.exists(), "{args:?} created the file");
    }
    let init = run(&db.url, &words("db init", &[]));
    assert_eq!(init.status, 0, "{}", init.stderr);
    assert!(file.exists(), "db init creates the file");
    db.finish().await;
}

#[tokio::test]
async fn an_import_with_one_bad_member_row_writes_no_region() {
    // 10,080 members (socal at 0.0021) as CSV tables, one birth date made impossible.
    let csv_dir = generate("bad-row-region", "0.0021", true);
    let members_path = csv_dir.join("members.csv");
    let text = std::fs::read_to_string(&members_path).expect("members.csv");
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    assert!(lines.len() > 10_000, "{} member rows", lines.len() - 1);
    let header: Vec<&str> = lines[0].split(',').collect();
    let field = |name: &str| header.iter().position(|h| *h == name).expect("a column");
    let (birth_date, name, plan_number) =
        (field("birth_date"), field("name"), field("plan_number"));
    // Every member's data, which no message may hold.
    let phi: Vec<String> = lines[1..]
        .iter()
        .flat_map(|line| {
            let cells: Vec<&str> = line.split(',').collect();
            [cells[name], cells[birth_date], cells[plan_number]].map(str::to_owned)
        })
        .collect();
    let bad_line = 7_001; // 1-based, the header being line 1.
    let mut cells: Vec<String> = lines[bad_line - 1].split(',').map(str::to_owned).collect();
    let year = cells[birth_date][..4].to_owned();
    cells[birth_date] = format!("{year}-02-30");
    let bad_value = cells[birth_date].clone();
    lines[bad_line - 1] = cells.join(",");
    std::fs::write(&members_path, lines.join("\n") + "\n").expect("writable");

    for db in db_support::databases("bad_row").await {
        let url = db.url.as_str();
        let backend = db.backend;
        json(&run(url, &["db", "init", "--format", "json"]));
        let before = contents(&db).await;
        let args = ["import", path_text(&csv_dir), "--now", NOW];
        let answer = run(url, &args);
        assert_one_error_line(&answer, &args, "members.csv");
        assert!(
            answer.stderr.contains(&format!(":{bad_line}")) && answer.stderr.contains("birth_date"),
            "{backend}: names the line and the field: {}",
            answer.stderr
        );
        assert!(
            !answer.stderr.contains(&bad_value),
            "{backend}: {}",
            answer.stderr
        );
        for secret in &phi {
            assert!(
                !answer.stderr.contains(secret.as_str()),
                "{backend}: leaks member data: {}",
                answer.stderr
            );
        }
        let after = contents(&db).await;
        assert_wrote_only(&before, &after, &[], &args);
        assert_eq!(after.count("member"), 0, "{backend}");

        let book = words("book --member 1 --kind initial --now {now}", &[]);
        assert_one_error_line(&run(url, &book), &book, "import one with `caretime import");
        db.finish().await;
    }
}

#[tokio::test]
async fn a_database_from_a_newer_caretime_is_refused_by_every_command() {
    let region = path_text(small_region());
    for db in db_support::databases("newer_schema").await {
        let url = db.url.as_str();
        let backend = db.backend;
        json(&run(url, &["db", "init", "--format", "json"]));
        let future = 99_990_101_000_000_i64;
        with_connection!(db, conn => sqlx::query(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, \
             execution_time) VALUES ($1, 'from a newer caretime', $2, $3, 0)",
        )
        .bind(future)
        .bind(true)
        .bind(vec![0_u8; 48])
        .execute(&mut conn)
        .await
        .map(|_| ())
        .expect("a future migration recorded"));
        let before = contents(&db).await;
        for line in EVERY_COMMAND {
            let args = words(line, &[("region", region)]);
            let answer = run(url, &args);
            assert_one_error_line(&answer, &args, "newer than this caretime");
            assert!(
                answer.stderr.contains(&future.to_string()),
                "{backend}: {}",
                answer.stderr
            );
            assert_wrote_only(&before, &contents(&db).await, &[], &args);
        }
        db.finish().await;
    }
}

#[tokio::test]
async fn find_on_a_stored_book_is_the_same_after_a_restart_and_from_a_snapshot() {
    for db in db_support::databases("restart").await {
        let url = db.url.as_str();
        let backend = db.backend;
        import(url, story_region());
        let mut booked = Vec::new();
        for member in ["20", "21", "22", "23", "24"] {
            let run = run_line(
                url,
                "book --member {member} --kind initial --now {now} --format json",
                &[("member", member)],
            );
            if run.status == 1 {
                continue; // nobody can see this member: a refusal, not an error
            }
            let appointment = json(&run);
            booked.push((
                appointment["clinician"]
                    .as_str()
                    .expect("a clinician")
                    .to_owned(),
                appointment["start"].as_str().expect("a start").to_owned(),
            ));
        }
        assert!(booked.len() >= 3, "{backend}: {booked:?}");
        let find = |member: &str| {
            run_line(
                url,
                "find --member {member} --kind initial --requested {now} --offers 5 \
                 --format json",
                &[("member", member)],
            )
        };
        let mut found = Vec::new();
        for member in ["30", "31", "32"] {
            // Each run is a new process: a restart, loading the book from the database.
            let (first, second) = (find(member), find(member));
            assert_eq!(first.status, 0, "{backend}: {}", first.stderr);
            assert_eq!(first.stdout, second.stdout, "{backend}: member {member}");
            found.push(first.stdout.clone());
            let offers = json(&first)["offers"].clone();
            for offer in offers.as_array().expect("offers") {
                let offered = (
                    offer["clinician"].as_str().expect("a clinician").to_owned(),
                    offer["start"].as_str().expect("a start").to_owned(),
                );
                assert!(
                    !booked.contains(&offered),
                    "{backend}: {offered:?} is booked"
                );
            }
        }
        // A process that loads a snapshot of the journal finds exactly the same.
        let snapshot = run(url, &["db", "snapshot", "--format", "json"]);
        assert_eq!(snapshot.status, 0, "{backend}: {}", snapshot.stderr);
        let written = json(&snapshot);
        assert_eq!(
            written["written"],
            Value::Bool(true),
            "{backend}: {written}"
        );
        assert!(
            written["seq"].as_i64() >= Some(booked.len() as i64),
            "{written}"
        );
        for (member, before) in ["30", "31", "32"].into_iter().zip(&found) {
            assert_eq!(&find(member).stdout, before, "{backend}: member {member}");
        }
        let check = run(url, &["db", "check"]);
        assert_eq!(check.status, 0, "{backend}: {}", check.stdout);
        db.finish().await;
    }
}

/// One HTTP/1.1 GET on `address`: the status line, the headers (lowercased names) and the body.
fn http_get(address: &str, path: &str) -> (String, Vec<(String, String)>, String) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(address).expect("connects");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )
    .expect("sends");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("reads");
    let (head, body) = response.split_once("\r\n\r\n").expect("a head and a body");
    let mut lines = head.lines();
    let status = lines.next().expect("a status line").to_owned();
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    (status, headers, body.to_owned())
}

#[tokio::test]
async fn users_get_a_token_once_and_the_server_stops_on_sigterm() {
    use std::io::BufRead;
    for db in db_support::databases("serve").await {
        let url = db.url.as_str();
        let backend = db.backend;
        import(url, small_region());
        let added = json(&run(
            url,
            &[
                "user",
                "add",
                "alice",
                "--role",
                "scheduler",
                "--format",
                "json",
            ],
        ));
        let token = added["token"].as_str().expect("a token").to_owned();
        assert!(token.starts_with("ct_") && token.len() == 67, "{token}");
        let listed = run(url, &["user", "list", "--format", "json"]);
        assert!(listed.stdout.contains("\"alice\""), "{}", listed.stdout);
        assert!(
            !listed.stdout.contains(&token[3..]),
            "{backend}: a token is shown once"
        );
        for (args, expected) in [
            (
                vec!["user", "add", "bob", "--role", "root"],
                "unknown role `root`",
            ),
            (
                vec!["user", "add", "carol", "--role", "clinician"],
                "--role clinician needs --clinician",
            ),
            (
                vec![
                    "user",
                    "add",
                    "carol",
                    "--role",
                    "clinician",
                    "--clinician",
                    "99999",
                ],
                "clinician-99999 is not a clinician of the region",
            ),
            (
                vec!["user", "add", "alice", "--role", "admin"],
                "there is a user named `alice` already",
            ),
            (
                vec!["user", "add", "a b", "--role", "admin"],
                "a user name is",
            ),
            (
                vec!["user", "revoke", "zed"],
                "there is no user named `zed`",
            ),
            (
                vec!["user", "feed", "alice"],
                "alice is not a clinician user",
            ),
            (vec!["user", "feed", "zed"], "there is no user named `zed`"),
        ] {
            assert_one_error_line(&run(url, &args), &args, expected);
        }
        let listed = json(&run(url, &["user", "list", "--format", "json"]));
        assert_eq!(
            listed.as_array().map(Vec::len),
            Some(1),
            "{backend}: {listed}"
        );
        // A clinician's calendar feed: a path with its own token, printed once.
        run(
            url,
            &[
                "user",
                "add",
                "dr-one",
                "--role",
                "clinician",
                "--clinician",
                "1",
            ],
        );
        let feed = json(&run(url, &["user", "feed", "dr-one", "--format", "json"]));
        let feed_path = feed["path"].as_str().expect("a path").to_owned();
        assert!(
            feed_path.starts_with("/Practitioner/1/calendar.ics?token=ct_"),
            "{feed_path}"
        );

        let mut server = command(url, &["serve", "--bind", "127.0.0.1:0"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("the server starts");
        let mut first = String::new();
        std::io::BufReader::new(server.stdout.take().expect("stdout"))
            .read_line(&mut first)
            .expect("the server says where it listens");
        let address = first
            .trim()
            .rsplit_once("http://")
            .map(|(_, address)| address.to_owned())
            .unwrap_or_else(|| panic!("{backend}: {first}"));
        let (status, _, body) = http_get(&address, "/health");
        assert!(status.contains(" 200 "), "{status}");
        assert_eq!(body, "ok");
        let (status, headers, body) = http_get(&address, "/Nowhere");
        assert!(status.contains(" 404 "), "{status}");
        assert!(
            headers
                .iter()
                .any(|(name, value)| name == "content-type" && value == "application/fhir+json"),
            "{headers:?}"
        );
        let outcome: Value = serde_json::from_str(&body).expect("a JSON body");
        assert_eq!(outcome["resourceType"], "OperationOutcome", "{outcome}");
        assert_eq!(outcome["issue"][0]["code"], "not-supported", "{outcome}");
        let (status, headers, body) = http_get(&address, &feed_path);
        assert!(status.contains(" 200 "), "{backend}: {status} {body}");
        assert!(
            headers
                .iter()
                .any(|(name, value)| name == "content-type" && value.starts_with("text/calendar")),
            "{headers:?}"
        );
        assert!(body.starts_with("BEGIN:VCALENDAR"), "{body}");

        let stopped = Command::new("kill")
            .args(["-TERM", &server.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(stopped.success());
        let output = server.wait_with_output().expect("the server stops");
        assert!(output.status.success(), "{backend}: {:?}", output.status);
        let log = String::from_utf8(output.stderr).expect("UTF-8 logs");
        assert!(!log.is_empty());
        for line in log.lines() {
            let event: Value = serde_json::from_str(line)
                .unwrap_or_else(|_| panic!("{backend}: a log line is not JSON: {line}"));
            assert!(event["level"].is_string(), "{line}");
        }
        assert!(log.contains("\"stopped\""), "{log}");
        assert!(
            !log.contains(&token[3..]),
            "{backend}: the token is not logged"
        );
        db.finish().await;
    }
}

/// A `disruption` row: id, name, reason, first_date, last_date, clinicians, file.
type DisruptionTuple = (i64, String, String, String, String, String, String);
/// A `replan` row.
#[derive(Debug, PartialEq, Eq, sqlx::FromRow)]
struct ReplanLine {
    id: i64,
    disruption: i64,
    decided_at: i64,
    actor: String,
    displaced: i64,
    moved_internal: i64,
    moved_network: i64,
    out_of_network: i64,
    timely: i64,
    groups_kept: i64,
    groups_cancelled: i64,
    first_seq: Option<i64>,
    last_seq: Option<i64>,
}

async fn replan_rows(db: &TestDb) -> (Vec<DisruptionTuple>, Vec<ReplanLine>, i64) {
    with_connection!(db, conn => {
        let disruptions: Vec<DisruptionTuple> = sqlx::query_as(
            "SELECT id, name, reason, first_date, last_date, clinicians, file FROM disruption \
             ORDER BY id",
        )
        .fetch_all(&mut conn)
        .await
        .expect("the disruptions read");
        let replans: Vec<ReplanLine> = sqlx::query_as(
            "SELECT id, disruption, decided_at, actor, displaced, moved_internal, moved_network, \
             out_of_network, timely, groups_kept, groups_cancelled, first_seq, last_seq \
             FROM replan ORDER BY id",
        )
        .fetch_all(&mut conn)
        .await
        .expect("the replans read");
        let head: i64 = sqlx::query_scalar("SELECT journal_seq FROM book")
            .fetch_one(&mut conn)
            .await
            .expect("the head reads");
        (disruptions, replans, head)
    })
}

#[tokio::test]
async fn an_applied_replan_records_its_disruption_and_counts_with_its_changes() {
    for db in db_support::databases("replan").await {
        let url = db.url.as_str();
        let backend = db.backend;
        import(url, story_region());
        // Some bookings in the evening (the next days' times); their clinicians go on leave.
        let evening = "2025-12-01T18:00:00-08:00[America/Los_Angeles]";
        let mut clinicians: Vec<u32> = Vec::new();
        for member in ["5", "6", "7", "8", "9", "10"] {
            let run = run_line(
                url,
                "book --member {member} --kind initial --now {evening} --format json",
                &[("member", member), ("evening", evening)],
            );
            if run.status == 1 {
                continue; // nobody can see this member
            }
            let booked = json(&run);
            let clinician = booked["clinician"].as_str().expect("a clinician");
            let number: u32 = clinician
                .trim_start_matches("clinician-")
                .parse()
                .expect("a clinician id");
            if booked["start"].as_str().expect("a start") >= "2025-12-02" {
                clinicians.push(number);
            }
        }
        clinicians.sort_unstable();
        clinicians.dedup();
        assert!(
            !clinicians.is_empty(),
            "{backend}: nothing booked after today"
        );
        let dir = scratch(&format!("store_cli-replan-{backend}"));
        let file = dir.join("two-weeks-leave.toml");
        let text = format!(
            "reason = \"leave\"\nfirst = \"2025-12-02\"\nlast = \"2025-12-19\"\nclinicians = {clinicians:?}\n"
        );
        std::fs::write(&file, &text).expect("the disruption file");
        let replan = |extra: &[&str]| {
            let mut args = words(
                "replan --disruption {file} --now {evening} --format json",
                &[("file", path_text(&file)), ("evening", evening)],
            );
            args.extend(extra);
            run(url, &args)
        };

        // A preview records nothing.
        let (_, _, head_before) = replan_rows(&db).await;
        json(&replan(&[]));
        assert_eq!(
            replan_rows(&db).await,
            (Vec::new(), Vec::new(), head_before),
            "{backend}"
        );

        let report = json(&replan(&["--apply"]));
        let count = |field: &str| report[field].as_i64().expect("a count");
        assert!(count("displaced") >= 1, "{backend}: {report}");
        let changes = report["applied"]["changes"].as_i64().expect("changes");
        let (disruptions, replans, head) = replan_rows(&db).await;
        let listed = clinicians
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(";");
        assert_eq!(
            disruptions,
            [(
                1,
                "two-weeks-leave".to_owned(),
                "leave".to_owned(),
                "2025-12-02".to_owned(),
                "2025-12-19".to_owned(),
                listed,
                text.clone(),
            )],
            "{backend}"
        );
        assert_eq!(head, head_before + changes, "{backend}");
        assert_eq!(
            replans,
            [ReplanLine {
                id: 1,
                disruption: 1,
                decided_at: evening
                    .parse::<Timestamp>()
                    .expect("an instant")
                    .as_second(),
                actor: format!("cli:{USER}"),
                displaced: count("displaced"),
                moved_internal: count("internal"),
                moved_network: count("network"),
                out_of_network: count("out_of_network"),
                timely: count("timely"),
                groups_kept: count("groups_kept"),
                groups_cancelled: count("groups_cancelled"),
                first_seq: Some(head_before + 1),
                last_seq: Some(head),
            }],
            "{backend}"
        );
        let check = run(url, &["db", "check", "--now", evening]);
        assert_eq!(check.status, 0, "{backend}: {}", check.stdout);

        // A replan that names journal rows past the head is a problem.
        let tampered = with_connection!(db, conn => sqlx::query(
            "UPDATE replan SET last_seq = last_seq + 3"
        )
        .execute(&mut conn)
        .await
        .map(|done| done.rows_affected()));
        assert_eq!(tampered.expect("updates"), 1, "{backend}");
        let check = run(url, &["db", "check", "--now", evening]);
        assert_eq!(check.status, 1, "{backend}: {}", check.stdout);
        let past = format!(
            "journal: replan 1's changes end at journal row {}, past the journal's head",
            head + 3
        );
        assert!(check.stdout.contains(&past), "{backend}: {}", check.stdout);
        std::fs::remove_dir_all(&dir).ok();
        db.finish().await;
    }
}
