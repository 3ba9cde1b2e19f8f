//! Episodes: follow-ups at the clinician's cadence, SB 221's 10 business days, DST-safe wall times.

mod support;

use caretime_core::id::{ClinicianId, EpisodeId, MemberId, RequestId};
use caretime_core::request::{Preferences, RequestKind};
use caretime_engine::availability::Horizon;
use caretime_engine::book::{Book, BookPolicy, Outcome, Take, TakeOffer};
use caretime_engine::episode::{Cadence, Episode, LongerWait, next_follow_up, recurrence};
use caretime_engine::find::{Route, Timeliness};
use jiff::civil::date;
use jiff::tz::TimeZone;
use support::{at, region, request, rules};

fn los_angeles() -> TimeZone {
    TimeZone::get("America/Los_Angeles").expect("bundled zone")
}

fn episode(cadence: Cadence, longer_wait: LongerWait) -> Episode {
    Episode {
        id: EpisodeId(0),
        member: MemberId(0),
        clinician: ClinicianId(1),
        cadence,
        longer_wait,
        preferences: Preferences::ANY,
        discharged: None,
        appointments: Default::default(),
    }
}

#[test]
fn weekly_sessions_keep_their_wall_time_across_the_fall_dst_change() {
    // Tuesday 2025-10-28 09:00 PDT (UTC-7); DST ends Sunday 2025-11-02; the next Tuesdays are
    // 09:00 PST (UTC-8): 16:00Z, then 17:00Z.
    let first = at("2025-10-28T16:00:00Z").to_zoned(los_angeles());
    let starts: Vec<String> = recurrence(&first, Cadence::Weekly, 3)
        .iter()
        .map(|start| start.timestamp().to_string())
        .collect();
    assert_eq!(
        starts,
        [
            "2025-10-28T16:00:00Z",
            "2025-11-04T17:00:00Z",
            "2025-11-11T17:00:00Z"
        ]
    );
    // Monthly from January 31st: the 28th in February, back to the 31st in March.
    let january = at("2026-01-31T17:00:00Z").to_zoned(los_angeles());
    let dates: Vec<String> = recurrence(&january, Cadence::Monthly, 3)
        .iter()
        .map(|start| start.date().to_string())
        .collect();
    assert_eq!(dates, ["2026-01-31", "2026-02-28", "2026-03-31"]);
}

#[test]
fn a_follow_up_across_the_dst_change_is_booked_at_the_same_wall_time_with_continuity() {
    let region = region();
    let rules = rules();
    let horizon = Horizon {
        first: date(2025, 10, 27),
        last: date(2025, 11, 14),
    };
    let mut book = Book::new(&region, horizon, &[], BookPolicy::STANDARD).expect("valid");
    // The intake: Tuesday 2025-10-28 09:00 PDT with clinician 1.
    let now = at("2025-10-27T12:00:00-07:00");
    let intake = request(0, 0, RequestKind::Initial, "2025-10-27T12:00:00-07:00");
    let offers = book.find(&region, rules, &intake, now).expect("find");
    let offer = offers.best().expect("an offer").clone();
    let choice = caretime_engine::book::Choice {
        clinician: ClinicianId(1),
        start: at("2025-10-28T09:00:00-07:00"),
    };
    let Outcome::Accepted(changes) = book.decide_take(
        &region,
        &TakeOffer {
            request: &intake,
            offers: &offers,
            offer: &offer,
            choice: Some(choice),
            take: Take::Book,
        },
        now,
    ) else {
        panic!("the intake can be booked");
    };
    book.apply(&changes).expect("applies");

    let after = at("2025-10-28T10:00:00-07:00");
    let follow_up = next_follow_up(
        &episode(Cadence::Weekly, LongerWait::NotDocumented),
        RequestId(1),
        choice.start,
        &los_angeles(),
        rules,
        after,
    )
    .expect("deadline");
    assert_eq!(follow_up.request.clinical_exception, None);
    let offers = book
        .find_from(
            &region,
            rules,
            &follow_up.request,
            follow_up.not_before,
            after,
        )
        .expect("find");
    let within = book
        .find_within(
            &region,
            rules,
            &follow_up.request,
            &follow_up.deadline,
            follow_up.not_before,
            after,
        )
        .expect("find");
    assert_eq!(within, offers, "the carried deadline finds the same offers");
    let best = offers.best().expect("an offer");
    assert_eq!(best.route, Route::Continuity);
    assert_eq!(best.clinician, ClinicianId(1));
    assert_eq!(best.start, at("2025-11-04T09:00:00-08:00"), "09:00 PST");
    assert_eq!(best.timeliness, Timeliness::Met);
    // SB 221: 10 business days after Tuesday 2025-10-28 is Tuesday 2025-11-11 (Veterans Day,
    // 2025-11-11, is a California state holiday, so the last day is Wednesday 2025-11-12).
    assert_eq!(offers.last_day, Some(date(2025, 11, 12)));
}

#[test]
fn a_monthly_cadence_needs_a_documented_exception_or_yields_to_the_ten_business_days() {
    let rules = rules();
    let prior = at("2025-12-02T09:00:00-08:00");
    let now = at("2025-12-02T10:00:00-08:00");
    let documented = next_follow_up(
        &episode(Cadence::Monthly, LongerWait::Documented),
        RequestId(1),
        prior,
        &los_angeles(),
        rules,
        now,
    )
    .expect("deadline");
    assert_eq!(
        documented.request.clinical_exception,
        Some(date(2026, 1, 2))
    );
    assert_eq!(documented.not_before, at("2026-01-02T09:00:00-08:00"));
    let deadline = rules
        .deadline(&documented.request.deadline_query())
        .expect("deadline");
    assert_eq!(deadline.clinical_exception, Some(date(2026, 1, 2)));
    // The follow-up carries its request's deadline, the documented date's end.
    assert_eq!(
        Some(documented.deadline),
        rules
            .deadline_instants(&documented.request.deadline_query())
            .ok()
    );
    assert_eq!(documented.deadline.last_day, Some(date(2026, 1, 2)));

    let undocumented = next_follow_up(
        &episode(Cadence::Monthly, LongerWait::NotDocumented),
        RequestId(2),
        prior,
        &los_angeles(),
        rules,
        now,
    )
    .expect("deadline");
    assert_eq!(undocumented.request.clinical_exception, None);
    assert_eq!(undocumented.not_before, prior);
    // 10 business days after Tuesday 2025-12-02: Dec 3-5, 8-12, 15-16 → Tuesday 2025-12-16.
    let deadline = rules
        .deadline(&undocumented.request.deadline_query())
        .expect("deadline");
    assert_eq!(deadline.last_day, Some(date(2025, 12, 16)));
    assert_eq!(undocumented.deadline.last_day, Some(date(2025, 12, 16)));
    assert_eq!(undocumented.deadline.clinical_exception, None);
}

#[test]
fn the_book_keeps_episodes_and_proposes_each_follow_up_from_the_latest_session() {
    use caretime_core::id::{AppointmentId, EpisodeId};
    use caretime_engine::book::{AppointmentStatus, Refusal};
    use caretime_engine::episode::EpisodeRefusal;

    let region = region();
    let rules = rules();
    let horizon = Horizon {
        first: date(2025, 12, 1),
        last: date(2025, 12, 31),
    };
    let mut book = Book::new(&region, horizon, &[], BookPolicy::STANDARD).expect("valid");
    let apply = |book: &mut Book, outcome: Outcome| match outcome {
        Outcome::Accepted(changes) => book.apply(&changes).expect("applies"),
        Outcome::Refused(refusals) => panic!("refused: {refusals:?}"),
    };
    let now = at("2025-12-01T08:00:00-08:00");
    // Intake with clinician 1 on Monday 09:00 (the earliest concordant time for member 1, who
    // speaks Spanish), then an episode with a biweekly cadence.
    let intake = request(0, 1, RequestKind::Initial, "2025-12-01T08:00:00-08:00");
    let offers = book.find(&region, rules, &intake, now).expect("find");
    let offer = offers.best().expect("offer").clone();
    assert_eq!(
        (offer.clinician, offer.start),
        (ClinicianId(1), at("2025-12-01T09:00:00-08:00"))
    );
    let take = book.decide_take(
        &region,
        &TakeOffer {
            request: &intake,
            offers: &offers,
            offer: &offer,
            choice: None,
            take: Take::Book,
        },
        now,
    );
    apply(&mut book, take);
    let open = book.decide_open_episode(
        MemberId(1),
        ClinicianId(1),
        Cadence::Biweekly,
        LongerWait::NotDocumented,
        Preferences::ANY,
    );
    // The clinician's appointments are found without a scan of the book.
    let clinician = book
        .appointment(AppointmentId(0))
        .expect("booked")
        .clinician;
    let of_clinician = |book: &caretime_engine::book::Book| -> Vec<AppointmentId> {
        book.appointments_of(clinician).map(|(id, _)| id).collect()
    };
    assert_eq!(of_clinician(&book), [AppointmentId(0)]);
    assert_eq!(
        book.appointments_of(caretime_core::id::ClinicianId(u32::MAX))
            .count(),
        0
    );
    // A batch that opens an episode and then fails leaves no episode for the member.
    let Outcome::Accepted(mut stale) = open.clone() else {
        panic!("an episode opens");
    };
    stale.push(caretime_engine::book::Change::SetCadence {
        episode: EpisodeId(0),
        from: Cadence::Monthly,
        to: Cadence::Weekly,
    });
    assert!(book.apply(&stale).is_err());
    assert!(book.open_episode_of(MemberId(1)).is_none());
    apply(&mut book, open);
    assert_eq!(
        book.open_episode_of(MemberId(1)).map(|episode| episode.id),
        Some(EpisodeId(0))
    );
    assert!(book.open_episode_of(MemberId(2)).is_none());
    let attach = book.decide_attach(EpisodeId(0), AppointmentId(0));
    apply(&mut book, attach);
    assert_eq!(book.episode_of(AppointmentId(0)), Some(EpisodeId(0)));
    assert_eq!(
        book.decide_attach(EpisodeId(0), AppointmentId(0))
            .refusals(),
        [Refusal::Episode(EpisodeRefusal::AlreadyAttached)]
    );

    // Two weeks after Monday 12-01 09:00 is Monday 12-15 09:00: 10 business days after 12-01
    // is 12-15 itself (Dec 2-5, 8-12, 15), so the cadence meets SB 221.
    let follow_up = book
        .next_follow_up(EpisodeId(0), RequestId(1), rules, now)
        .expect("deadline")
        .expect("an open episode with a session");
    assert_eq!(follow_up.not_before, at("2025-12-15T09:00:00-08:00"));
    let offers = book
        .find_from(
            &region,
            rules,
            &follow_up.request,
            follow_up.not_before,
            now,
        )
        .expect("find");
    let best = offers.best().expect("offer");
    assert_eq!(
        (best.route, best.start),
        (Route::Continuity, at("2025-12-15T09:00:00-08:00"))
    );
    assert_eq!(best.timeliness, Timeliness::Met);

    // The clinician goes weekly: the next follow-up is looked for a week after the session
    // (Monday 12-08 09:00). A batch with a stale second change leaves the cadence as it was.
    let weekly = book.decide_cadence(EpisodeId(0), Cadence::Weekly);
    apply(&mut book, weekly);
    assert_eq!(book.episodes()[0].cadence, Cadence::Weekly);
    let follow_up = book
        .next_follow_up(EpisodeId(0), RequestId(1), rules, now)
        .expect("deadline")
        .expect("an open episode with a session");
    assert_eq!(follow_up.not_before, at("2025-12-08T09:00:00-08:00"));
    let Outcome::Accepted(mut back) = book.decide_cadence(EpisodeId(0), Cadence::Biweekly) else {
        panic!("an open episode");
    };
    back.push(caretime_engine::book::Change::SetCadence {
        episode: EpisodeId(0),
        from: Cadence::Monthly,
        to: Cadence::Weekly,
    });
    assert!(book.apply(&back).is_err());
    assert_eq!(book.episodes()[0].cadence, Cadence::Weekly);

    // After discharge there is no next follow-up, no second discharge and no cadence change.
    assert_eq!(
        book.appointment(AppointmentId(0))
            .expect("in the book")
            .status,
        AppointmentStatus::Booked
    );
    let discharge = book.decide_discharge(EpisodeId(0), at("2025-12-02T10:00:00-08:00"));
    apply(&mut book, discharge);
    assert!(book.open_episode_of(MemberId(1)).is_none(), "discharged");
    assert_eq!(
        book.next_follow_up(EpisodeId(0), RequestId(2), rules, now)
            .expect("known"),
        None
    );
    assert_eq!(
        book.decide_discharge(EpisodeId(0), now).refusals(),
        [Refusal::Episode(EpisodeRefusal::Discharged)]
    );
    assert_eq!(
        book.decide_cadence(EpisodeId(0), Cadence::Monthly)
            .refusals(),
        [Refusal::Episode(EpisodeRefusal::Discharged)]
    );

    // A member's episodes are looked up newest first: a second episode is the open one, and
    // once it ends too, the member has none open (the first stays discharged).
    let second = book.decide_open_episode(
        MemberId(1),
        ClinicianId(1),
        Cadence::Biweekly,
        LongerWait::NotDocumented,
        Preferences::ANY,
    );
    apply(&mut book, second);
    assert_eq!(
        book.open_episode_of(MemberId(1)).map(|episode| episode.id),
        Some(EpisodeId(1))
    );
    // A member the region does not have (past its members) has none, and can open one.
    let stranger = MemberId(u32::MAX - 1);
    assert!(book.open_episode_of(stranger).is_none());
    let open_stranger = book.decide_open_episode(
        stranger,
        ClinicianId(1),
        Cadence::Biweekly,
        LongerWait::NotDocumented,
        Preferences::ANY,
    );
    apply(&mut book, open_stranger);
    assert_eq!(
        book.open_episode_of(stranger).map(|episode| episode.id),
        Some(EpisodeId(2))
    );
    let discharge = book.decide_discharge(EpisodeId(1), at("2025-12-03T10:00:00-08:00"));
    apply(&mut book, discharge);
    assert!(book.open_episode_of(MemberId(1)).is_none());
    // A newer episode of the stranger's that ends leaves the older open one theirs.
    let newer = book.decide_open_episode(
        stranger,
        ClinicianId(1),
        Cadence::Biweekly,
        LongerWait::NotDocumented,
        Preferences::ANY,
    );
    apply(&mut book, newer);
    let discharge = book.decide_discharge(EpisodeId(3), at("2025-12-03T11:00:00-08:00"));
    apply(&mut book, discharge);
    assert_eq!(
        book.open_episode_of(stranger).map(|episode| episode.id),
        Some(EpisodeId(2))
    );
}
