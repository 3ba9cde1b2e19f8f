//! Random requests booked through the engine's decisions: the load `bench find` times against and
//! `replan` disrupts. Seeded: the same seed books the same appointments.

use caretime_core::id::{ClinicianId, GroupId, MemberId, RequestId};
use caretime_core::region::{Affiliation, Discipline, Region};
use caretime_core::request::{Preferences, Request, RequestKind};
use caretime_core::rules::RuleSet;
use caretime_core::template::BlockKind;
use caretime_engine::book::{Book, Outcome as Decision, Take, TakeOffer};
use caretime_engine::episode::Cadence;
use caretime_engine::group::{DEFAULT_GROUP_CAPACITY, NewGroup};
use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The most bookings a workload makes (`--bookings`): ten million, about 15 seconds on this
/// machine once the calendar is full; an appointment costs the book under 100 bytes.
pub(crate) const MAX_BOOKINGS: u32 = 10_000_000;

/// `--bookings` within [`MAX_BOOKINGS`].
pub(crate) fn check_bookings(bookings: Option<u32>) -> anyhow::Result<()> {
    match bookings {
        Some(count) if count > MAX_BOOKINGS => {
            anyhow::bail!("--bookings must be at most {MAX_BOOKINGS}")
        }
        _ => Ok(()),
    }
}

/// A source of random requests over the first weeks from an instant.
pub(crate) struct Workload<'r> {
    region: &'r Region,
    therapists: Vec<ClinicianId>,
    rng: ChaCha8Rng,
    first: Timestamp,
    weeks: i64,
}

impl<'r> Workload<'r> {
    /// Requests at business-hours instants of the `weeks` weeks from `first`, by the region's
    /// members (a region without members makes none).
    pub(crate) fn new(
        region: &'r Region,
        seed: u64,
        first: Timestamp,
        weeks: i64,
    ) -> anyhow::Result<Workload<'r>> {
        if region.members.is_empty() {
            anyhow::bail!("the region has no members to make requests");
        }
        Ok(Workload {
            region,
            therapists: region
                .clinicians
                .iter()
                .filter(|c| {
                    c.affiliation == Affiliation::Internal
                        && c.discipline != Discipline::Psychiatrist
                })
                .map(|c| c.id)
                .collect(),
            // Distinct from the region's streams, which use the same seed.
            rng: ChaCha8Rng::seed_from_u64(seed ^ 0x6265_6e63_6866_696e),
            first,
            weeks,
        })
    }

    /// A random request and the instant it is made: mostly initial, some follow-ups with a
    /// treating therapist, urgent and psychiatry requests (a mix for load, not a demand model).
    pub(crate) fn request(&mut self, id: u32) -> (Request, Timestamp) {
        let day = self.rng.random_range(0..self.weeks * 7);
        let minute = self.rng.random_range(8 * 60..17 * 60);
        let now = self.first + SignedDuration::from_mins(day * 24 * 60 + minute);
        let member = MemberId(self.rng.random_range(0..self.region.members.len() as u32));
        let roll: f64 = self.rng.random();
        let kind = match roll {
            r if r < 0.6 => RequestKind::Initial,
            r if r < 0.8 => RequestKind::FollowUp,
            r if r < 0.9 => RequestKind::Urgent,
            _ => RequestKind::Psychiatry,
        };
        let follow_up = kind == RequestKind::FollowUp;
        let treating = (follow_up && !self.therapists.is_empty())
            .then(|| self.therapists[self.rng.random_range(0..self.therapists.len())]);
        let request = Request {
            id: RequestId(id),
            member,
            kind,
            requested: now,
            prior_appointment: follow_up.then(|| now - SignedDuration::from_hours(24 * 7)),
            clinical_exception: None,
            treating_clinician: treating,
            preferences: Preferences::ANY,
        };
        (request, now)
    }

    /// Books `count` random requests (ids from `first_id`) at their best offers, through find,
    /// decide and apply; `progress` is told how many were tried every 1,024. Returns how many
    /// were booked.
    pub(crate) fn book(
        &mut self,
        book: &mut Book,
        rules: &RuleSet,
        first_id: u32,
        count: u32,
        progress: &mut dyn FnMut(u32),
    ) -> anyhow::Result<u32> {
        let mut booked = 0;
        for idx in 0..count {
            let (request, now) = self.request(first_id + idx);
            let offers = book.find(self.region, rules, &request, now)?;
            if let Some(offer) = offers.best() {
                let taking = TakeOffer {
                    request: &request,
                    offers: &offers,
                    offer,
                    choice: None,
                    take: Take::Book,
                };
                if let Decision::Accepted(changes) = book.decide_take(self.region, &taking, now) {
                    book.apply(&changes)?;
                    booked += 1;
                }
            }
            if idx % 1024 == 0 {
                progress(idx);
            }
        }
        Ok(booked)
    }

    /// Starts a weekly group for each internal therapist whose template has group time (a share
    /// `per_therapist` of them, picked at random), `weeks` sessions from the first group block on
    /// or after `first`, at most 90 minutes, 8 seats of which 5 to 8 are filled with random
    /// members; through decide and apply. Returns how many groups were made.
    pub(crate) fn groups(
        &mut self,
        book: &mut Book,
        first: Date,
        per_therapist: f64,
        weeks: usize,
    ) -> anyhow::Result<u32> {
        let mut made = 0;
        for &therapist in &self.therapists {
            if !self.rng.random_bool(per_therapist) {
                continue;
            }
            let clinician = &self.region.clinicians[therapist.index()];
            let template = &self.region.templates[clinician.template.index()];
            let Some(block) = template.blocks.iter().find(|b| b.kind == BlockKind::Group) else {
                continue;
            };
            let length = (block.range.minutes()).min(90);
            let mut day = first;
            while day.weekday() != block.day {
                day = day.tomorrow()?;
            }
            // Templates are in the facility's zone.
            let zone = &self.region.facilities[clinician.facility.index()].time_zone;
            let start = day
                .to_datetime(block.range.start())
                .to_zoned(zone.clone())?;
            let new = NewGroup {
                name: format!("Group of {therapist}"),
                facilitators: vec![therapist],
                capacity: DEFAULT_GROUP_CAPACITY,
                first: start.clone(),
                cadence: Cadence::Weekly,
                sessions: weeks,
                length,
            };
            let Decision::Accepted(changes) = book.decide_create_group(self.region, &new) else {
                continue;
            };
            book.apply(&changes)?;
            let group = GroupId(book.groups().len() as u32 - 1);
            made += 1;
            let seats = self
                .rng
                .random_range(5..=usize::from(DEFAULT_GROUP_CAPACITY));
            for _ in 0..seats {
                let member = MemberId(self.rng.random_range(0..self.region.members.len() as u32));
                // Enrolled before the first session: a seat in every one.
                if let Decision::Accepted(changes) =
                    book.decide_enrol(group, member, start.timestamp())
                {
                    book.apply(&changes)?;
                }
            }
        }
        Ok(made)
    }
}
