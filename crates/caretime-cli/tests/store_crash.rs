//! A `replan --apply` of thousands of moves killed with SIGKILL while it commits leaves all of
//! its moves or none, and `db check` finds nothing wrong afterwards. About two minutes in debug:
//! it runs when `CARETIME_SLOW_TESTS` is set (CI sets it).

mod support;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use caretime_core::files::builtin;
use caretime_core::id::MemberId;
use caretime_core::request::{Preferences, Request, RequestKind};
use caretime_engine::book::{Outcome, Take, TakeOffer};
use caretime_region::generate::{RegionParams, generate};
use caretime_store::live::LiveBook;
use caretime_store::{Actor, AuditEvent, Store};
use jiff::Timestamp;

const NOW: &str = "2025-12-05T08:00:00-08:00[America/Los_Angeles]";
const STRIKE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../examples/disruptions/socal-strike.toml"
);

fn now() -> Timestamp {
    caretime_core::time_input::parse_instant(NOW).expect("an instant")
}

fn actor() -> Actor {
    Actor {
        who: "test:crash".to_owned(),
        source: "store_crash".to_owned(),
    }
}

/// A database holding a 3 % socal region whose next weeks are full: thousands of initial
/// requests, booked in one decision at their best offers from 2025-12-08 on.
async fn full_book(url: &str) -> i64 {
    let store = Store::open(url).await.expect("opens");
    let region = generate(&RegionParams::socal(0.03, 1)).expect("a region");
    let rules = builtin::rule_set_text("ca-dmhc").expect("built in");
    store
        .import_region(
            &region,
            rules,
            now().to_zoned(jiff::tz::TimeZone::UTC).date(),
            &actor(),
            now(),
            &|_, _| {},
        )
        .await
        .expect("imports");
    let mut live = LiveBook::load(&store, now(), &actor())
        .await
        .expect("loads");
    let strike_starts: Timestamp = "2025-12-08T08:00:00Z".parse().expect("an instant");
    let audit = AuditEvent {
        action: "create",
        entity: "appointment",
        entity_id: None,
        outcome: "ok",
    };
    let decision = live
        .decide(now(), &actor(), audit, |ctx| {
            let mut scratch = ctx.book.clone();
            let mut changes = Vec::new();
            let mut next = ctx.next_request.0;
            for member in 0..4_000u32 {
                let request = Request {
                    id: caretime_core::id::RequestId(next),
                    member: MemberId(member),
                    kind: RequestKind::Initial,
                    requested: now(),
                    prior_appointment: None,
                    clinical_exception: None,
                    treating_clinician: None,
                    preferences: Preferences::ANY,
                };
                let offers = scratch
                    .find_from(ctx.region, ctx.rules, &request, strike_starts, now())
                    .expect("a find");
                let Some(offer) = offers.best() else { continue };
                let take = TakeOffer {
                    request: &request,
                    offers: &offers,
                    offer,
                    choice: None,
                    take: Take::Book,
                };
                if let Outcome::Accepted(made) = scratch.decide_take(ctx.region, &take, now()) {
                    scratch.apply(&made).expect("applies to the scratch book");
                    changes.extend(made);
                    next += 1;
                }
            }
            Ok::<_, caretime_store::StoreError>(Outcome::Accepted(changes.into_iter().collect()))
        })
        .await
        .expect("books");
    assert!(matches!(
        decision,
        caretime_store::live::Decision::Committed { .. }
    ));
    let seen = live.seen();
    store.close().await;
    seen
}

/// The journal's length, read by a fresh process's load.
async fn journal_rows(url: &str) -> i64 {
    let store = Store::open_existing(url).await.expect("opens");
    let live = LiveBook::load(&store, now(), &actor())
        .await
        .expect("loads");
    let seen = live.seen();
    store.close().await;
    seen
}

fn replan_apply(url: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_caretime"));
    command.args([
        "replan",
        "--database",
        url,
        "--disruption",
        STRIKE,
        "--now",
        NOW,
        "--apply",
    ]);
    command
}

fn copy_database(from: &Path, to: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let source = format!("{}{suffix}", from.display());
        if Path::new(&source).exists() {
            std::fs::copy(&source, format!("{}{suffix}", to.display())).expect("copies");
        }
    }
}

#[test]
fn a_killed_replan_leaves_all_its_moves_or_none() {
    if std::env::var_os("CARETIME_SLOW_TESTS").is_none() {
        println!("skipped: set CARETIME_SLOW_TESTS to run it");
        return;
    }
    let dir = support::scratch("store-crash");
    let original = dir.join("original.db");
    let original_url = format!("sqlite://{}", original.display());
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let booked = runtime.block_on(full_book(&original_url));
    assert!(booked > 2_000, "the book holds {booked} changes");

    // The whole plan, uninterrupted, on a copy: how many changes it commits.
    let whole = dir.join("whole.db");
    copy_database(&original, &whole);
    let whole_url = format!("sqlite://{}", whole.display());
    let output = replan_apply(&whole_url).output().expect("runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let all = runtime.block_on(journal_rows(&whole_url)) - booked;
    assert!(all > 1_000, "the strike moves thousands: {all} changes");

    let mut killed_mid_commit = 0;
    for (attempt, delay_ms) in [0u64, 100, 400].into_iter().enumerate() {
        let copy = dir.join(format!("attempt-{attempt}.db"));
        copy_database(&original, &copy);
        let url = format!("sqlite://{}", copy.display());
        let mut child = replan_apply(&url)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starts");
        let stderr = child.stderr.take().expect("stderr");
        let mut lines = BufReader::new(stderr).lines();
        let committing = lines.any(|line| line.is_ok_and(|l| l.starts_with("committing")));
        assert!(committing, "the replan says when it commits");
        std::thread::sleep(Duration::from_millis(delay_ms));
        // SIGKILL: no destructor, no rollback, no checkpoint.
        child.kill().expect("killed");
        let status = child.wait().expect("waited");
        let rows = runtime.block_on(journal_rows(&url)) - booked;
        assert!(
            rows == 0 || rows == all,
            "attempt {attempt}: {rows} of {all} changes were committed"
        );
        if rows == 0 && !status.success() {
            killed_mid_commit += 1;
        }
        println!("killed {delay_ms} ms after `committing`: {rows} of {all} changes committed");
        let check = support::caretime(&["db", "check", "--database", &url, "--now", NOW]);
        assert_eq!(
            check.status, 0,
            "attempt {attempt}: {}{}",
            check.stdout, check.stderr
        );
    }
    assert!(
        killed_mid_commit > 0,
        "no kill landed before the commit ended"
    );
    std::fs::remove_dir_all(&dir).ok();
}
