//! Bookings made through the engine's decisions, seeded (the same seed books the same
//! appointments): random requests at their best offers, the load `bench find` times against (and
//! `replan --bookings`); and a steady book at a stated utilisation ([`Workload::steady`]), the
//! practice `replan` disrupts by default.

use caretime_core::id::{ClinicianId, GroupId, MemberId, RequestId};
use caretime_core::region::{Affiliation, Clinician, Discipline, Region};
use caretime_core::request::{Preferences, Request, RequestKind};
use caretime_core::rules::RuleSet;
use caretime_core::template::BlockKind;
use caretime_engine::availability::{FreeKind, Minute};
use caretime_engine::book::{Book, Outcome as Decision, Take, TakeOffer};
use caretime_engine::episode::Cadence;
use caretime_engine::find::{Offer, Offers, Route, modality_for, timeliness};
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

/// How much of each side's direct time a steady book holds once the time's requests have come:
/// shares from 0 to 1.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Utilisation {
    /// Internal clinicians' direct time.
    pub(crate) internal: f64,
    /// Network providers' direct time (the hours a week each gives the plan's members).
    pub(crate) network: f64,
}

/// What [`Workload::steady`] booked.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct SteadyCounts {
    /// Appointments booked.
    pub(crate) booked: u32,
    /// Slots of a clinician whom none of the members drawn could reach (an in-person-only
    /// network office far from them).
    pub(crate) unreached: u32,
}

/// The share of a therapist's appointments that are intakes: the socal-2024 scenario's episodes
/// average about 12 sessions (a third stop after one; crates/caretime-sim/scenarios).
const INTAKE_SHARE: f64 = 1.0 / 12.0;

/// The share of follow-ups a week after the last session rather than two: socal-2024's episodes
/// are weekly for four sessions, then biweekly, and average about 12 sessions.
const WEEKLY_SHARE: f64 = 1.0 / 3.0;

/// Intakes and psychiatry evaluations are requested 1 to this many days before the appointment
/// (an assumption: within the 10 business days of ca-dmhc, as a practice with room books them).
const MAX_LEAD_DAYS: i64 = 14;

/// Members drawn for a slot before it is left free: enough for every clinician whose members
/// live around them (in-person-only network offices) to find one most of the time.
const MEMBER_TRIES: usize = 32;

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

    /// Fills the book as a practice running at `utilisation` holds it at `now`: each direct slot
    /// of each clinician's template (internal by `utilisation.internal`, network by
    /// `utilisation.network`) is drawn to be booked with that chance, for the request a steady
    /// practice books there: at a psychiatrist a psychiatry evaluation; at a therapist an intake
    /// ([`INTAKE_SHARE`]) or a follow-up with them as the treating clinician, a week or two after
    /// the last session ([`WEEKLY_SHARE`]; SB 221 counts 10 business days from it). Intakes and
    /// evaluations are requested 1 to [`MAX_LEAD_DAYS`] days before. A slot whose request comes
    /// after `now` is not booked yet: the calendar is full to the target behind `now` and thins
    /// out over the next two weeks, as a practice that books within the deadlines does. The
    /// member is drawn among those who can reach the clinician (distance or a remote modality).
    /// Each booking goes through decide and apply as the offer the member took (a find at the
    /// request's time would have seen that time's book, which this one does not replay).
    /// Urgent-hold and group time stay free. Ids from `first_id`; `progress` is told how many
    /// clinicians are done.
    pub(crate) fn steady(
        &mut self,
        book: &mut Book,
        rules: &RuleSet,
        utilisation: Utilisation,
        now: Timestamp,
        first_id: u32,
        progress: &mut dyn FnMut(u32),
    ) -> anyhow::Result<SteadyCounts> {
        let region = self.region;
        let lengths = book.policy().find.lengths;
        let max_travel_km = book.policy().find.max_travel_km;
        let mut counts = SteadyCounts::default();
        let mut next_id = first_id;
        for (idx, clinician) in region.clinicians.iter().enumerate() {
            if idx % 64 == 0 {
                progress(idx as u32);
            }
            let share = match clinician.affiliation {
                Affiliation::Internal => utilisation.internal,
                Affiliation::Network => utilisation.network,
            };
            if share <= 0.0 {
                continue;
            }
            let psychiatrist = clinician.discipline == Discipline::Psychiatrist;
            let slot_length = i64::from(if psychiatrist {
                lengths.psychiatry
            } else {
                lengths.follow_up
            });
            let free = book.availability().free(clinician.id)?;
            for interval in free.iter().filter(|free| free.kind == FreeKind::Direct) {
                let mut cursor = interval.start;
                while cursor.0 + slot_length <= interval.end.0 {
                    let slot = cursor;
                    cursor = Minute(cursor.0 + slot_length);
                    if !self.rng.random_bool(share) {
                        continue;
                    }
                    let start = slot.to_timestamp()?;
                    let request = self.steady_request(clinician, start, RequestId(next_id));
                    let length = i64::from(lengths.minutes(request.kind));
                    if slot.0 + length > interval.end.0 {
                        continue;
                    }
                    // An intake longer than a follow-up takes the slots it covers.
                    cursor = Minute(cursor.0.max(slot.0 + length));
                    if request.requested > now {
                        continue;
                    }
                    let Some((member, modality)) = (0..MEMBER_TRIES).find_map(|_| {
                        let member =
                            &region.members[self.rng.random_range(0..region.members.len())];
                        modality_for(region, member, clinician, max_travel_km, false)
                            .map(|modality| (member, modality))
                    }) else {
                        counts.unreached += 1;
                        continue;
                    };
                    let request = Request {
                        member: member.id,
                        ..request
                    };
                    let deadline = rules.deadline_instants(&request.deadline_query())?;
                    let met = timeliness(deadline.instant, deadline.last_day, rules, start);
                    // The leads above meet every deadline of ca-dmhc; a rule set with shorter
                    // ones gets only the requests its deadlines allow here.
                    if !met.is_met() {
                        continue;
                    }
                    let offer = Offer {
                        clinician: clinician.id,
                        facility: clinician.facility,
                        start,
                        length: lengths.minutes(request.kind),
                        modality,
                        interpreter: (!clinician.speaks(member.language))
                            .then_some(member.language),
                        route: Route::of(
                            request.treating_clinician.is_some(),
                            clinician.affiliation,
                        ),
                        time: FreeKind::Direct,
                        timeliness: met,
                    };
                    let offers = Offers {
                        request: request.id,
                        deadline: deadline.instant,
                        last_day: deadline.last_day,
                        rule_set: rules.name(),
                        rule: &deadline.rule.source,
                        clinical_exception: false,
                        offers: vec![offer],
                        arrangement: None,
                    };
                    let taking = TakeOffer {
                        request: &request,
                        offers: &offers,
                        offer: &offers.offers[0],
                        choice: None,
                        take: Take::Book,
                    };
                    if let Decision::Accepted(changes) =
                        book.decide_take(region, &taking, request.requested)
                    {
                        book.apply(&changes)?;
                        counts.booked += 1;
                        next_id += 1;
                    }
                }
            }
        }
        Ok(counts)
    }

    /// The request a steady practice books at `start` with `clinician` (its member is set
    /// later): see [`Workload::steady`].
    fn steady_request(
        &mut self,
        clinician: &Clinician,
        start: Timestamp,
        id: RequestId,
    ) -> Request {
        let days = |n: i64| SignedDuration::from_hours(24 * n);
        let (kind, requested, prior, treating) = if clinician.discipline == Discipline::Psychiatrist
        {
            let lead = self.rng.random_range(1..=MAX_LEAD_DAYS);
            (RequestKind::Psychiatry, start - days(lead), None, None)
        } else if self.rng.random_bool(INTAKE_SHARE) {
            let lead = self.rng.random_range(1..=MAX_LEAD_DAYS);
            (RequestKind::Initial, start - days(lead), None, None)
        } else {
            // The next session is booked at the last one, at the same time of day.
            let interval = if self.rng.random_bool(WEEKLY_SHARE) {
                7
            } else {
                14
            };
            let prior = start - days(interval);
            (
                RequestKind::FollowUp,
                prior,
                Some(prior),
                Some(clinician.id),
            )
        };
        Request {
            id,
            member: MemberId(0),
            kind,
            requested,
            prior_appointment: prior,
            clinical_exception: None,
            treating_clinician: treating,
            preferences: Preferences::ANY,
        }
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
