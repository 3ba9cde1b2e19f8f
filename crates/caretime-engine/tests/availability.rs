//! The availability index against a naive oracle: every clinician's every minute, scanned.

use std::collections::HashMap;

use caretime_core::calendar::{BusinessCalendar, DayOff, WeekdayMask};
use caretime_core::files::builtin;
use caretime_core::id::ClinicianId;
use caretime_core::region::Fte;
use caretime_core::template::{Block, BlockKind, DayRange, Template};
use caretime_engine::availability::{
    Availability, AvailabilityError, FreeInterval, FreeKind, GRID_MINUTES, Horizon, Minute, Pool,
    RowSet, Schedule, Search, Urgency, next_week_start, week_start,
};
use jiff::civil::{Date, Time, Weekday, date};
use jiff::tz::TimeZone;
use proptest::prelude::*;

const RELEASE_MINUTES: i64 = 24 * 60;

/// A day's blocks as consecutive segments from 08:00: (length in quarter hours, kind or a gap).
fn day_blocks(day: Weekday, segments: &[(u8, Option<BlockKind>)]) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut minute = 8 * 60;
    for (quarters, kind) in segments {
        let end = (minute + u32::from(*quarters) * 15).min(20 * 60);
        if let (Some(kind), true) = (kind, end > minute) {
            let time =
                |m: u32| Time::new((m / 60) as i8, (m % 60) as i8, 0, 0).expect("within the day");
            blocks.push(Block {
                day,
                range: DayRange::new(time(minute), time(end)).expect("end > start"),
                kind: *kind,
            });
        }
        minute = end;
    }
    blocks
}

fn kind_strategy() -> impl Strategy<Value = Option<BlockKind>> {
    prop_oneof![
        4 => Just(Some(BlockKind::Direct)),
        1 => Just(Some(BlockKind::UrgentHold)),
        1 => Just(Some(BlockKind::Protected)),
        1 => Just(Some(BlockKind::Meeting)),
        1 => Just(Some(BlockKind::Break)),
        1 => Just(Some(BlockKind::Group)),
        1 => Just(None),
    ]
}

fn template_strategy() -> impl Strategy<Value = Template> {
    let day = prop::collection::vec((1u8..9, kind_strategy()), 0..7);
    prop::collection::vec(day, 7).prop_map(|days| {
        let weekdays = [
            Weekday::Monday,
            Weekday::Tuesday,
            Weekday::Wednesday,
            Weekday::Thursday,
            Weekday::Friday,
            Weekday::Saturday,
            Weekday::Sunday,
        ];
        // Weekends get blocks less often, as in real clinics.
        let blocks = weekdays
            .iter()
            .zip(&days)
            .enumerate()
            .flat_map(|(idx, (day, segments))| {
                day_blocks(
                    *day,
                    if idx >= 5 && segments.len() > 2 {
                        &segments[..1]
                    } else {
                        segments
                    },
                )
            });
        Template {
            fte: Fte::FULL_TIME,
            blocks: blocks.collect(),
        }
    })
}

#[derive(Clone, Debug)]
struct Query {
    clinician: usize,
    offset_minutes: i64,
    length: u32,
    urgent: bool,
    now: NowOffset,
    reserve: bool,
    release_last: bool,
}

#[derive(Clone, Copy, Debug)]
enum NowOffset {
    /// Minutes after the horizon starts.
    Absolute(i64),
    /// Minutes after the release time of a slot starting at the query's earliest grid start.
    NearRelease(i64),
}

fn query_strategy(n_clinicians: usize) -> impl Strategy<Value = Query> {
    // `now` is either anywhere in the horizon or on the grid within two hours of the release time
    // of a slot starting at the query's earliest start, where an off-by-one in the release rule
    // would show.
    let now = prop_oneof![
        (0i64..14 * 24 * 60).prop_map(NowOffset::Absolute),
        (-8i64..=8).prop_map(|quarters| NowOffset::NearRelease(quarters * 15)),
    ];
    let lengths = prop::sample::select(vec![30u32, 45, 60, 90]);
    (
        0..n_clinicians,
        0i64..14 * 24 * 60,
        lengths,
        any::<bool>(),
        now,
        any::<bool>(),
        prop::bool::weighted(0.2),
    )
        .prop_map(
            |(clinician, offset_minutes, length, urgent, now, reserve, release_last)| Query {
                clinician,
                offset_minutes,
                length,
                urgent,
                now,
                reserve,
                release_last,
            },
        )
}

/// Every bookable minute of every clinician, with the kind of time and the block run it is in.
struct Oracle {
    minutes: HashMap<(usize, i64), FreeKind>,
}

impl Oracle {
    fn new(schedules: &[Schedule], horizon: Horizon) -> Oracle {
        let mut minutes = HashMap::new();
        for (idx, schedule) in schedules.iter().enumerate() {
            let mut day = horizon.first;
            while day <= horizon.last {
                let closed = matches!(
                    schedule.calendar.day_off(day),
                    Some(DayOff::Holiday(_) | DayOff::Closure)
                );
                let away = schedule
                    .leave
                    .iter()
                    .any(|(first, last)| *first <= day && day <= *last);
                for block in schedule
                    .template
                    .blocks
                    .iter()
                    .filter(|b| b.day == day.weekday() && !closed && !away)
                {
                    let kind = match block.kind {
                        BlockKind::Direct => FreeKind::Direct,
                        BlockKind::UrgentHold => FreeKind::UrgentHold,
                        _ => continue,
                    };
                    let minute_at = |time: Time| {
                        day.to_datetime(time)
                            .to_zoned(schedule.time_zone.clone())
                            .expect("in range")
                            .timestamp()
                            .as_second()
                            / 60
                    };
                    for minute in minute_at(block.range.start())..minute_at(block.range.end()) {
                        minutes.insert((idx, minute), kind);
                    }
                }
                day = day.tomorrow().expect("in range");
            }
        }
        Oracle { minutes }
    }

    fn earliest(
        &self,
        clinician: usize,
        not_before: i64,
        length: u32,
        urgent: bool,
        now: i64,
    ) -> Option<i64> {
        let last = self
            .minutes
            .keys()
            .filter(|(c, _)| *c == clinician)
            .map(|(_, m)| *m)
            .max()?;
        let mut start =
            not_before + (GRID_MINUTES - not_before.rem_euclid(GRID_MINUTES)) % GRID_MINUTES;
        while start <= last {
            let first_kind = self.minutes.get(&(clinician, start));
            let fits = first_kind.is_some_and(|kind| {
                (start..start + i64::from(length))
                    .all(|m| self.minutes.get(&(clinician, m)) == Some(kind))
                    && (urgent || *kind == FreeKind::Direct || now >= start - RELEASE_MINUTES)
            });
            if fits {
                return Some(start);
            }
            start += GRID_MINUTES;
        }
        None
    }

    /// Takes the minutes out; returns their kind.
    fn reserve(&mut self, clinician: usize, start: i64, length: u32) -> FreeKind {
        let kinds: Vec<FreeKind> = (start..start + i64::from(length))
            .map(|minute| {
                self.minutes
                    .remove(&(clinician, minute))
                    .expect("reserved a minute that was not free")
            })
            .collect();
        assert!(
            kinds.iter().all(|kind| *kind == kinds[0]),
            "one kind of time"
        );
        kinds[0]
    }

    fn release(&mut self, clinician: usize, start: i64, length: u32, kind: FreeKind) {
        for minute in start..start + i64::from(length) {
            assert!(self.minutes.insert((clinician, minute), kind).is_none());
        }
    }
}

/// The week counts the index keeps equal a count of the bits, in every week of the horizon and
/// the weeks on either side of it (partly or wholly outside the index).
fn week_counts_agree(
    index: &Availability,
    clinicians: &[ClinicianId],
    horizon: Horizon,
) -> Result<(), TestCaseError> {
    let utc_minute = |date: Date| {
        Minute(
            date.to_zoned(TimeZone::UTC)
                .expect("in range")
                .timestamp()
                .as_second()
                / 60,
        )
    };
    let last = Minute(utc_minute(horizon.last).0 + 14 * 24 * 60);
    let mut week = week_start(Minute(utc_minute(horizon.first).0 - 14 * 24 * 60));
    while week <= last {
        let next = next_week_start(week);
        for &clinician in clinicians {
            let counted = index
                .week_direct_minutes(clinician, week)
                .expect("known clinician");
            let scanned = index
                .direct_minutes(clinician, week, next)
                .expect("known clinician");
            prop_assert_eq!(
                counted,
                scanned,
                "clinician {:?}, week of {:?}",
                clinician,
                week
            );
            // Any minute of the week reads the same counts.
            let inside = index
                .week_direct_minutes(clinician, Minute(next.0 - 1))
                .expect("known clinician");
            prop_assert_eq!(inside, counted);
        }
        week = next;
    }
    Ok(())
}

fn california() -> BusinessCalendar {
    BusinessCalendar::new(
        WeekdayMask::MONDAY_TO_FRIDAY,
        builtin::holiday_calendar("california-state").expect("built in"),
    )
}

/// A full-time clinician in Los Angeles with these blocks, the California state calendar and no leave.
fn los_angeles_schedule(clinician: ClinicianId, blocks: Vec<Block>) -> Schedule {
    Schedule {
        clinician,
        pool: Pool(0),
        time_zone: TimeZone::get("America/Los_Angeles").expect("bundled zone"),
        template: Template {
            fte: Fte::FULL_TIME,
            blocks,
        },
        calendar: california(),
        leave: Vec::new(),
    }
}

/// `fast` cases by default; `slow` when `CARETIME_SLOW_TESTS` is set (CI sets it); any number with
/// `CARETIME_PROPTEST_CASES`.
fn cases(fast: u32, slow: u32) -> u32 {
    if let Some(cases) = std::env::var("CARETIME_PROPTEST_CASES")
        .ok()
        .and_then(|text| text.parse().ok())
    {
        return cases;
    }
    if std::env::var_os("CARETIME_SLOW_TESTS").is_some() {
        slow
    } else {
        fast
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(96, 500)))]

    #[test]
    fn index_agrees_with_a_minute_by_minute_scan(
        templates in prop::collection::vec(template_strategy(), 1..4),
        // Horizons over Thanksgiving, the fall DST change and the spring one.
        first in prop::sample::select(vec![date(2025, 11, 20), date(2025, 10, 28), date(2026, 3, 3), date(2025, 12, 22)]),
        closure_offset in prop::option::of(0i64..14),
        leave in prop::option::of((0i64..14, 0i64..4)),
        queries in prop::collection::vec(query_strategy(3), 1..40),
    ) {
        let horizon = Horizon { first, last: first.checked_add(jiff::ToSpan::days(13)).expect("in range") };
        let offset = |days: i64| -> Date { first.checked_add(jiff::ToSpan::days(days)).expect("in range") };
        let schedules: Vec<Schedule> = templates
            .iter()
            .enumerate()
            .map(|(idx, template)| Schedule {
                clinician: ClinicianId(idx as u32 * 7 + 3),
                pool: Pool((idx % 2) as u8),
                time_zone: TimeZone::get("America/Los_Angeles").expect("bundled zone"),
                template: template.clone(),
                calendar: match (idx, closure_offset) {
                    (0, Some(days)) => california().with_closure(offset(days)),
                    _ => california(),
                },
                leave: match (idx, leave) {
                    (1, Some((start, length))) => vec![(offset(start), offset(start + length))],
                    _ => Vec::new(),
                },
            })
            .collect();
        let mut index = Availability::build(&schedules, horizon, RELEASE_MINUTES).expect("templates do not overlap");
        // Search tags (languages, say): clinician 0 has tag 0, 1 both, 2 tag 1, 3 none. Kept up
        // to date through every reserve and release below.
        let tags_of_idx = |idx: usize| [0b01u64, 0b11, 0b10, 0b00][idx % 4];
        index
            .set_tags(2, |clinician| tags_of_idx(clinician.index() / 7))
            .expect("two tags");
        let mut oracle = Oracle::new(&schedules, horizon);
        let mut reserved = Vec::new();
        let horizon_start = first.to_zoned(TimeZone::get("America/Los_Angeles").expect("bundled zone")).expect("in range").timestamp().as_second() / 60;
        for query in queries {
            let clinician_idx = query.clinician % schedules.len();
            let clinician = schedules[clinician_idx].clinician;
            let not_before = horizon_start + query.offset_minutes;
            let now = match query.now {
                NowOffset::Absolute(minutes) => horizon_start + minutes,
                NowOffset::NearRelease(minutes) => {
                    Minute(not_before).ceil_to_grid().0 - RELEASE_MINUTES + minutes
                }
            };
            let urgency = if query.urgent { Urgency::Urgent } else { Urgency::Routine };
            let found = index
                .earliest(clinician, Minute(not_before), query.length, urgency, Minute(now))
                .expect("known clinician");
            let expected = oracle.earliest(clinician_idx, not_before, query.length, query.urgent, now);
            prop_assert_eq!(found.map(|m| m.0), expected, "{:?}", query);
            // Across the clinician's pool: the earliest start of any of them, lowest id on ties,
            // within a bound that sometimes cuts the answer off.
            let pool = Pool((clinician_idx % 2) as u8);
            // Bounded three days on, and unbounded (the late search: every start to the
            // horizon's end); every row of the pool, and the rows of each tag.
            for (before, tag) in [not_before + 3 * 24 * 60, i64::MAX]
                .into_iter()
                .flat_map(|before| [None, Some(0u8), Some(1)].map(|tag| (before, tag)))
            {
                let admitted = |idx: usize| {
                    idx % 2 == clinician_idx % 2
                        && tag.is_none_or(|tag| tags_of_idx(idx) & (1 << tag) != 0)
                };
                let mut rows = RowSet::empty(index.n_rows());
                for idx in (0..schedules.len()).filter(|&idx| admitted(idx)) {
                    rows.insert(index.row_of(schedules[idx].clinician).expect("indexed"));
                }
                let among = index
                    .earliest_among(&Search {
                        pool,
                        rows: &rows,
                        tag,
                        not_before: Minute(not_before),
                        before: Minute(before),
                        length: query.length,
                        urgency,
                        now: Minute(now),
                        starts: None,
                    })
                    .expect("valid length");
                let expected_among = (0..schedules.len())
                    .filter(|&idx| admitted(idx))
                    .filter_map(|idx| {
                        oracle
                            .earliest(idx, not_before, query.length, query.urgent, now)
                            .filter(|start| *start < before)
                            .map(|start| (start, schedules[idx].clinician))
                    })
                    .min();
                prop_assert_eq!(among.map(|found| (found.start.0, found.clinician)), expected_among, "{:?} before {} tag {:?}", query, before, tag);
            }
            if query.release_last && let Some((clinician, start, length, kind)) = reserved.pop() {
                let clinician_idx = schedules.iter().position(|s| s.clinician == clinician).expect("known");
                index.release(clinician, start, length, kind).expect("reserved time can be released");
                oracle.release(clinician_idx, start.0, length, kind);
                // Released time is free again, and cannot be released twice.
                prop_assert_eq!(index.free_kind(clinician, start, length), Ok(Some(kind)));
                prop_assert_eq!(
                    index.release(clinician, start, length, kind),
                    Err(AvailabilityError::NotReserved { clinician })
                );
                let clinicians: Vec<ClinicianId> = schedules.iter().map(|s| s.clinician).collect();
                week_counts_agree(&index, &clinicians, horizon)?;
                continue;
            }
            if let (Some(start), true) = (found, query.reserve) {
                let free = index.free_kind(clinician, start, query.length).expect("known clinician");
                let kind = free.expect("the offered time is free");
                let other = match kind {
                    FreeKind::Direct => FreeKind::UrgentHold,
                    FreeKind::UrgentHold => FreeKind::Direct,
                };
                // The other kind of time is not there to take, and asking for it takes nothing
                // (the oracle would disagree with later searches otherwise).
                prop_assert_eq!(
                    index.reserve_as(clinician, start, query.length, other),
                    Err(AvailabilityError::NotFree { clinician })
                );
                // Half the time with the kind named, half the time found by the index.
                let kind = if query.offset_minutes % 2 == 0 {
                    index.reserve_as(clinician, start, query.length, kind).map(|()| kind)
                } else {
                    index.reserve(clinician, start, query.length)
                }
                .expect("the offered time is free");
                let removed = oracle.reserve(clinician_idx, start.0, query.length);
                prop_assert_eq!(removed, kind);
                reserved.push((clinician, start, query.length, kind));
                // A booked slot never appears again.
                prop_assert_eq!(
                    index.reserve(clinician, start, query.length),
                    Err(AvailabilityError::NotFree { clinician })
                );
                let clinicians: Vec<ClinicianId> = schedules.iter().map(|s| s.clinician).collect();
                week_counts_agree(&index, &clinicians, horizon)?;
            }
        }
    }
}

#[test]
fn protected_meeting_and_break_blocks_are_never_free() {
    let template = Template {
        fte: Fte::FULL_TIME,
        blocks: day_blocks(
            Weekday::Monday,
            &[
                (4, Some(BlockKind::Protected)),
                (8, Some(BlockKind::Direct)),
                (4, Some(BlockKind::Break)),
                (2, Some(BlockKind::Meeting)),
                (4, Some(BlockKind::UrgentHold)),
            ],
        ),
    };
    let schedule = los_angeles_schedule(ClinicianId(1), template.blocks);
    // Monday 2025-12-01 and Monday 2025-12-08; Monday 2025-12-15 is outside the horizon.
    let horizon = Horizon {
        first: date(2025, 12, 1),
        last: date(2025, 12, 14),
    };
    let index = Availability::build(&[schedule], horizon, RELEASE_MINUTES).expect("valid");
    let free: Vec<(String, FreeKind)> = index
        .free(ClinicianId(1))
        .expect("known")
        .iter()
        .map(|interval| {
            let zone = TimeZone::get("America/Los_Angeles").expect("bundled zone");
            let local = |m: Minute| {
                m.to_timestamp()
                    .expect("in range")
                    .to_zoned(zone.clone())
                    .strftime("%m-%d %H:%M")
                    .to_string()
            };
            (
                format!("{}-{}", local(interval.start), &local(interval.end)[6..]),
                interval.kind,
            )
        })
        .collect();
    // 08:00-09:00 protected, 09:00-11:00 direct, 11:00-12:00 break, 12:00-12:30 meeting,
    // 12:30-13:30 urgent hold: only the direct and urgent-hold blocks are free.
    assert_eq!(
        free,
        [
            ("12-01 09:00-11:00".to_owned(), FreeKind::Direct),
            ("12-01 12:30-13:30".to_owned(), FreeKind::UrgentHold),
            ("12-08 09:00-11:00".to_owned(), FreeKind::Direct),
            ("12-08 12:30-13:30".to_owned(), FreeKind::UrgentHold),
        ]
    );
}

#[test]
fn overlapping_bookable_blocks_are_rejected() {
    let mut blocks = day_blocks(Weekday::Tuesday, &[(8, Some(BlockKind::Direct))]);
    blocks.extend(day_blocks(
        Weekday::Tuesday,
        &[(2, None), (4, Some(BlockKind::UrgentHold))],
    ));
    let schedule = los_angeles_schedule(ClinicianId(9), blocks);
    let horizon = Horizon {
        first: date(2025, 12, 1),
        last: date(2025, 12, 7),
    };
    assert_eq!(
        Availability::build(&[schedule], horizon, RELEASE_MINUTES).map(|_| ()),
        Err(AvailabilityError::OverlappingBlocks(ClinicianId(9)))
    );
}

#[test]
fn urgent_hold_opens_to_routine_requests_at_the_release_time() {
    // Monday 2025-12-01: 08:00-09:00 urgent hold, nothing else.
    let schedule = los_angeles_schedule(
        ClinicianId(4),
        day_blocks(Weekday::Monday, &[(4, Some(BlockKind::UrgentHold))]),
    );
    let horizon = Horizon {
        first: date(2025, 12, 1),
        last: date(2025, 12, 1),
    };
    let index = Availability::build(&[schedule], horizon, RELEASE_MINUTES).expect("valid");
    let start = Minute::from_timestamp("2025-12-01T08:00:00-08:00".parse().expect("valid time"));
    let release = Minute(start.0 - RELEASE_MINUTES);
    let query = |urgency, now: Minute| {
        index
            .earliest(ClinicianId(4), Minute(release.0 - 600), 60, urgency, now)
            .expect("known")
    };
    assert_eq!(
        query(Urgency::Routine, Minute(release.0 - 1)),
        None,
        "held one minute before release"
    );
    assert_eq!(
        query(Urgency::Routine, release),
        Some(start),
        "released at the release time"
    );
    assert_eq!(
        query(Urgency::Urgent, Minute(release.0 - 600)),
        Some(start),
        "urgent may always use it"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(48, 300)))]

    /// A new schedule from a date replaces exactly the time from that date's local midnight:
    /// before it the old template's time, from it the new one's, as if built that way.
    #[test]
    fn reschedule_replaces_time_from_its_date(
        old in template_strategy(),
        new in template_strategy(),
        from_offset in 0i64..14,
        first in prop::sample::select(vec![date(2025, 10, 27), date(2025, 11, 20), date(2026, 3, 2)]),
    ) {
        let zone = TimeZone::get("America/Los_Angeles").expect("bundled zone");
        let last = first.checked_add(jiff::ToSpan::days(13)).expect("in range");
        let from = first.checked_add(jiff::ToSpan::days(from_offset)).expect("in range");
        let schedule = |template: &Template| Schedule {
            clinician: ClinicianId(5),
            pool: Pool(0),
            time_zone: zone.clone(),
            template: template.clone(),
            calendar: california(),
            leave: Vec::new(),
        };
        let mut index = Availability::build(&[schedule(&old)], Horizon { first, last }, RELEASE_MINUTES)
            .expect("valid");
        index.reschedule(&schedule(&new), from).expect("same pool");
        let cutoff = Minute::from_timestamp(from.to_zoned(zone.clone()).expect("in range").timestamp());
        let before = Availability::build(&[schedule(&old)], Horizon { first, last }, RELEASE_MINUTES)
            .expect("valid");
        let after = Availability::build(&[schedule(&new)], Horizon { first: from, last }, RELEASE_MINUTES)
            .expect("valid");
        let slots = |intervals: Vec<FreeInterval>| -> Vec<(i64, FreeKind)> {
            intervals
                .iter()
                .flat_map(|interval| {
                    (interval.start.0..interval.end.0)
                        .step_by(GRID_MINUTES as usize)
                        .map(move |minute| (minute, interval.kind))
                })
                .collect()
        };
        let mut expected: Vec<(i64, FreeKind)> = slots(before.free(ClinicianId(5)).expect("known"))
            .into_iter()
            .filter(|(minute, _)| *minute < cutoff.0)
            .collect();
        expected.extend(slots(after.free(ClinicianId(5)).expect("known")));
        prop_assert_eq!(slots(index.free(ClinicianId(5)).expect("known")), expected);
        week_counts_agree(&index, &[ClinicianId(5)], Horizon { first, last })?;
        // New time can be taken and given back (it is template time now).
        if let Some(interval) = index.free(ClinicianId(5)).expect("known").into_iter().find(|i| i.start >= cutoff) {
            let kind = index.reserve(ClinicianId(5), interval.start, 15).expect("free");
            prop_assert_eq!(index.release(ClinicianId(5), interval.start, 15, kind), Ok(()));
        }
    }
}
